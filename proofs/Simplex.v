(** * SPEC §2 (pgd): the output of the sort-and-threshold simplex projection
    lies on the probability simplex and is the nearest point of it.

    Model of [tstar::simplex::project] (src/simplex.rs): [u] is [y] sorted in
    decreasing order (any sort: we assume only that [u] is a permutation of
    [y] and is sorted), τ starts at u_0 − 1, and for j = 0, 1, … with
    cumsum = Σ_{i ≤ j} u_i and t = (cumsum − 1)/(j + 1): if u_j − t > 0 then
    τ := t, else stop.  The output is x_i = max(y_i − τ, 0).  Theorem: every
    x_i ≥ 0 and Σ x_i = 1, for every nonempty real vector y, and
    ‖x − y‖ ≤ ‖z − y‖ for every z on the simplex. *)

Require Import Reals Lra Psatz List Sorting.Sorted Sorting.Permutation.
Import ListNotations.
Open Scope R_scope.

Fixpoint sum (l : list R) : R :=
  match l with [] => 0 | a :: t => a + sum t end.

(** The loop: [j] entries processed, running sum [cs], current [tau]. *)
Fixpoint loop (v : list R) (j : nat) (cs tau : R) : R :=
  match v with
  | [] => tau
  | x :: rest =>
      let t := (cs + x - 1) / INR (S j) in
      if Rlt_dec 0 (x - t) then loop rest (S j) (cs + x) t else tau
  end.

Definition threshold (u : list R) : R :=
  match u with [] => 0 | u0 :: _ => loop u 0 0 (u0 - 1) end.

Definition clip (tau a : R) : R := Rmax (a - tau) 0.

Definition project (y u : list R) : list R := map (clip (threshold u)) y.

Definition sorted_desc (u : list R) := StronglySorted (fun a b => b <= a) u.

(** ** Sums *)
Lemma sum_app l1 l2 : sum (l1 ++ l2) = sum l1 + sum l2.
Proof. induction l1 as [|a l IH]; simpl; [ring | rewrite IH; ring]. Qed.

Lemma sum_perm l1 l2 : Permutation l1 l2 -> sum l1 = sum l2.
Proof. intros P; induction P; simpl; lra. Qed.

Lemma sum_clip_above tau l : (forall a, In a l -> tau < a) ->
  sum (map (clip tau) l) = sum l - INR (length l) * tau.
Proof.
induction l as [|a l IH]; intros H; cbn [map sum length]; [simpl; ring|].
rewrite IH by (intros b Hb; apply H; right; exact Hb).
rewrite S_INR.
unfold clip, Rmax; destruct (Rle_dec (a - tau) 0) as [Hc|Hc].
- pose proof (H a (or_introl eq_refl)); lra.
- ring.
Qed.

Lemma sum_clip_below tau l : (forall b, In b l -> b <= tau) ->
  sum (map (clip tau) l) = 0.
Proof.
induction l as [|a l IH]; intros H; simpl; [reflexivity|].
rewrite IH by (intros b Hb; apply H; right; exact Hb).
unfold clip, Rmax; destruct (Rle_dec (a - tau) 0) as [Hc|Hc]; [lra|].
pose proof (H a (or_introl eq_refl)); lra.
Qed.

(** ** The loop invariant

    After processing the prefix [p] (nonempty, every entry > τ = (Σp − 1)/|p|,
    every entry ≥ every remaining one), the loop ends with a split
    p ++ v = p' ++ v2 where p' is nonempty, every entry of p' is > τ* =
    (Σp' − 1)/|p'|, and every entry of v2 is ≤ τ*. *)
Lemma loop_spec (v p : list R) (tau : R) :
  p <> [] ->
  tau = (sum p - 1) / INR (length p) ->
  (forall a, In a p -> tau < a) ->
  (forall a b, In a p -> In b v -> b <= a) ->
  sorted_desc v ->
  let ts := loop v (length p) (sum p) tau in
  exists p' v2, p ++ v = p' ++ v2 /\ p' <> [] /\
    ts = (sum p' - 1) / INR (length p') /\
    (forall a, In a p' -> ts < a) /\ (forall b, In b v2 -> b <= ts).
Proof.
revert p tau; induction v as [|x rest IH]; intros p tau Hp Htau Habove Hord Hs ts.
- exists p, []; simpl in ts; unfold ts; repeat split; auto.
  intros b [].
- apply StronglySorted_inv in Hs; destruct Hs as [Hs' Hx].
  assert (Hn : (0 < length p)%nat) by (destruct p; [congruence | simpl; lia]).
  assert (HnR : 0 < INR (length p)) by (apply lt_0_INR; exact Hn).
  unfold ts; cbn [loop].
  destruct (Rlt_dec 0 (x - (sum p + x - 1) / INR (S (length p)))) as [Hacc|Hrej].
  + (* accept x: recurse with the prefix p ++ [x] *)
    set (t := (sum p + x - 1) / INR (S (length p))) in *.
    assert (Hlen : length (p ++ [x]) = S (length p))
      by (rewrite app_length; simpl; lia).
    assert (Hsum : sum (p ++ [x]) = sum p + x) by (rewrite sum_app; simpl; ring).
    destruct (IH (p ++ [x]) t) as (p' & v2 & Heq & Hp' & Ht' & Ha' & Hb').
    * intros E; destruct p; discriminate.
    * rewrite Hlen, Hsum; reflexivity.
    * intros a Ha; apply in_app_or in Ha; destruct Ha as [Ha|[Ha|[]]].
      -- pose proof (Hord a x Ha (or_introl eq_refl)); lra.
      -- subst a; lra.
    * intros a b Ha Hb; apply in_app_or in Ha; destruct Ha as [Ha|[Ha|[]]].
      -- apply Hord; [exact Ha | right; exact Hb].
      -- subst a; rewrite Forall_forall in Hx; apply Hx; exact Hb.
    * exact Hs'.
    * rewrite Hlen, Hsum in *.
      exists p', v2; repeat split; auto.
      rewrite <- Heq, <- app_assoc; reflexivity.
  + (* reject x: stop with tau; x ≤ tau, and the rest is ≤ x *)
    exists p, (x :: rest); repeat split; auto.
    assert (Hx_le : x <= tau).
    { apply Rnot_lt_le in Hrej.
      rewrite S_INR in Hrej.
      rewrite Htau.
      set (n := INR (length p)) in *; set (s := sum p) in *.
      assert (H1 : x <= (s + x - 1) / (n + 1)) by lra.
      apply Rmult_le_compat_r with (r := n + 1) in H1; [|lra].
      unfold Rdiv in H1; rewrite Rmult_assoc, Rinv_l, Rmult_1_r in H1 by lra.
      apply Rmult_le_reg_r with n; [exact HnR|].
      unfold Rdiv; rewrite Rmult_assoc, Rinv_l, Rmult_1_r by lra.
      lra. }
    intros b [Hb|Hb].
    * subst b; exact Hx_le.
    * rewrite Forall_forall in Hx; pose proof (Hx b Hb); lra.
Qed.

(** The first step always accepts u_0 (u_0 − (u_0 − 1) = 1 > 0). *)
Lemma threshold_first (u0 : R) (rest : list R) :
  threshold (u0 :: rest) = loop rest (length [u0]) (sum [u0]) (u0 - 1).
Proof.
unfold threshold; simpl.
replace ((0 + u0 - 1) / 1) with (u0 - 1) by field.
replace (u0 + 0) with (0 + u0) by ring.
destruct (Rlt_dec 0 (u0 - (u0 - 1))) as [_|H]; [reflexivity | lra].
Qed.

(** Issue item 6: the projection's output lies on the simplex. *)
Theorem project_on_simplex (y u : list R) :
  y <> [] -> Permutation y u -> sorted_desc u ->
  Forall (fun xi => 0 <= xi) (project y u) /\ sum (project y u) = 1.
Proof.
intros Hy Hperm Hs; split.
- unfold project; apply Forall_forall; intros xi Hxi.
  apply in_map_iff in Hxi; destruct Hxi as (a & <- & _).
  unfold clip; apply Rmax_r.
- destruct u as [|u0 rest].
  { apply Permutation_sym, Permutation_nil in Hperm; contradiction. }
  apply StronglySorted_inv in Hs; destruct Hs as [Hs' Hx].
  destruct (loop_spec rest [u0] (u0 - 1)) as (p' & v2 & Heq & Hp' & Ht & Ha & Hb).
  + discriminate.
  + simpl; field.
  + intros a [<-|[]]; lra.
  + intros a b [<-|[]] Hb; rewrite Forall_forall in Hx; apply Hx; exact Hb.
  + exact Hs'.
  + unfold project; rewrite threshold_first.
    set (ts := loop rest (length [u0]) (sum [u0]) (u0 - 1)) in *.
    rewrite (sum_perm _ _ (Permutation_map (clip ts) Hperm)).
    simpl app in Heq; rewrite Heq, map_app, sum_app.
    rewrite (sum_clip_above ts p' Ha), (sum_clip_below ts v2 Hb).
    assert (Hn : 0 < INR (length p')) by (apply lt_0_INR; destruct p'; [congruence | simpl; lia]).
    rewrite Ht; field; lra.
Qed.

(** ** The output is the nearest point of the simplex

    For any τ, x = max(y − τ, 0) with Σ x = 1 minimizes ‖z − y‖² over the
    simplex: pointwise (z_i − y_i)² − (x_i − y_i)² ≥ −2τ (z_i − x_i) when
    z_i ≥ 0, and the right-hand sides sum to −2τ (Σz − Σx) = 0. *)
Fixpoint dist2 (a b : list R) : R :=
  match a, b with
  | x :: a', y :: b' => (x - y) ^ 2 + dist2 a' b'
  | _, _ => 0
  end.

Lemma clip_pointwise (tau y z : R) : 0 <= z ->
  (z - y) ^ 2 - (clip tau y - y) ^ 2 >= - 2 * tau * (z - clip tau y).
Proof.
intros Hz; unfold clip, Rmax; destruct (Rle_dec (y - tau) 0) as [H|H].
- nra.
- apply Rnot_le_lt in H.
  assert (E : (z - y) ^ 2 - (y - tau - y) ^ 2 - - 2 * tau * (z - (y - tau))
              = (z - (y - tau)) ^ 2) by ring.
  pose proof (pow2_ge_0 (z - (y - tau))); lra.
Qed.

Lemma dist2_gap (tau : R) (y z : list R) :
  length z = length y -> Forall (fun zi => 0 <= zi) z ->
  dist2 z y - dist2 (map (clip tau) y) y
    >= - 2 * tau * (sum z - sum (map (clip tau) y)).
Proof.
revert z; induction y as [|yi y IH]; intros z Hlen Hz.
- destruct z; [simpl; lra | discriminate].
- destruct z as [|zi z]; [discriminate|].
  simpl in Hlen; injection Hlen as Hlen.
  apply Forall_inv in Hz as Hzi; apply Forall_inv_tail in Hz.
  specialize (IH z Hlen Hz).
  pose proof (clip_pointwise tau yi zi Hzi).
  simpl; lra.
Qed.

Theorem nearest_point (tau : R) (y z : list R) :
  length z = length y -> Forall (fun zi => 0 <= zi) z -> sum z = 1 ->
  sum (map (clip tau) y) = 1 ->
  dist2 (map (clip tau) y) y <= dist2 z y.
Proof.
intros Hlen Hz Hs1 Hs2.
pose proof (dist2_gap tau y z Hlen Hz) as H.
rewrite Hs1, Hs2 in H; lra.
Qed.

(** Issue item 6, strong form: [project y u] is on the simplex and is the
    nearest point of the simplex to [y] (what [tstar::simplex::project]
    promises: Π_Δ(y) = argmin_{x ∈ Δ} ‖x − y‖). *)
Theorem project_is_nearest (y u : list R) :
  y <> [] -> Permutation y u -> sorted_desc u ->
  forall z, length z = length y -> Forall (fun zi => 0 <= zi) z -> sum z = 1 ->
  dist2 (project y u) y <= dist2 z y.
Proof.
intros Hy Hp Hs z Hlen Hz Hz1.
destruct (project_on_simplex y u Hy Hp Hs) as [_ H1].
unfold project in *; apply nearest_point; assumption.
Qed.
