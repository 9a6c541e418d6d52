(** * SPEC §4.3: the shipped counterexample (instances/greedy-fails.json).

    Two domains in dimension 2, all matrices diagonal:
      A1 = diag(3, 9), b1 = (0, 1);  A2 = diag(1, 5), b2 = (−2, 0);
      A0 = I, b0 = (1, −3);  η = 1/9.
    Weights w = (s, 1 − s), s ∈ [0, 1].  Because everything is diagonal,
      θ*_j(s) = (s a_j b1_j + (1 − s) c_j b2_j) / (s a_j + (1 − s) c_j)
    with a = diag A1, c = diag A2.  All statements are over the reals
    (Coq standard library), proved with [field], [lra] and [nra]. *)

Require Import Reals Lra Psatz.
Open Scope R_scope.

(** ** The instance *)
Definition a1 := 3.   Definition a2 := 9.      (* diag A1 *)
Definition c1 := 1.   Definition c2 := 5.      (* diag A2 *)
Definition b11 := 0.  Definition b12 := 1.     (* b1 *)
Definition b21 := -2. Definition b22 := 0.     (* b2 *)
Definition b01 := 1.  Definition b02 := -3.    (* b0, A0 = I *)
Definition eta := 1/9.

(** ** Closed forms at w = (s, 1 − s) *)
Definition th1 (s : R) := (s * a1 * b11 + (1 - s) * c1 * b21) / (s * a1 + (1 - s) * c1).
Definition th2 (s : R) := (s * a2 * b12 + (1 - s) * c2 * b22) / (s * a2 + (1 - s) * c2).

(** gradients at θ*(s): ∇f1 = A1 (θ − b1), ∇f2 = A2 (θ − b2), ∇g = θ − b0 *)
Definition gf11 s := a1 * (th1 s - b11).  Definition gf12 s := a2 * (th2 s - b12).
Definition gf21 s := c1 * (th1 s - b21).  Definition gf22 s := c2 * (th2 s - b22).
Definition gg1 s := th1 s - b01.          Definition gg2 s := th2 s - b02.

(** Φ(s) = g(θ*(s)) = ½ ‖θ*(s) − b0‖² *)
Definition phi (s : R) := ((th1 s - b01) ^ 2 + (th2 s - b02) ^ 2) / 2.

(** Greedy direction D(s) = h_1 − h_2 = −η ∇g(θ* )ᵀ (∇f1 − ∇f2)(θ* )
    (Rust: [tstar::counterexample::greedy_direction]). *)
Definition D (s : R) :=
  - eta * (gg1 s * (gf11 s - gf21 s) + gg2 s * (gf12 s - gf22 s)).

Ltac inst := unfold D, phi, gf11, gf12, gf21, gf22, gg1, gg2, th1, th2,
  a1, a2, c1, c2, b11, b12, b21, b22, b01, b02, eta.

(** ** θ*(s) is the inner minimizer: Σ_i w_i ∇f_i(θ* ) = 0, i.e. H(w) θ* = r(w). *)
Theorem theta_star_stationary (s : R) : 0 <= s <= 1 ->
  s * gf11 s + (1 - s) * gf21 s = 0 /\ s * gf12 s + (1 - s) * gf22 s = 0.
Proof. intros Hs; inst; split; field; lra. Qed.

(** θ*(s) in lowest terms. *)
Lemma th1_closed s : 0 <= s -> th1 s = -2 * (1 - s) / (1 + 2 * s).
Proof. intros Hs; inst; field; lra. Qed.
Lemma th2_closed s : 0 <= s -> th2 s = 9 * s / (5 + 4 * s).
Proof. intros Hs; inst; field; lra. Qed.

(** ** Values of Φ *)
Theorem phi_0 : phi 0 = 9.
Proof. inst; field. Qed.

Theorem phi_1 : phi 1 = 17 / 2.
Proof. inst; field. Qed.

Theorem phi_one_third : phi (1/3) = 138141 / 18050.
Proof. inst; field. Qed.

Theorem phi_closed (s : R) : 0 <= s ->
  phi s = 9 * (196 * s^4 + 476 * s^3 + 445 * s^2 + 210 * s + 50)
          / (2 * (2 * s + 1)^2 * (4 * s + 5)^2).
Proof. intros Hs; inst; field; lra. Qed.

(** ** The greedy direction is positive on all of [0, 1] *)
Theorem D_closed (s : R) : 0 <= s ->
  D s = (420 * s^3 + 688 * s^2 + 325 * s + 25) / ((2 * s + 1)^2 * (4 * s + 5)^2).
Proof. intros Hs; inst; field; lra. Qed.

Theorem D_0 : D 0 = 1.
Proof. inst; field. Qed.

Theorem D_pos (s : R) : 0 <= s -> 0 < D s.
Proof.
intros Hs; rewrite D_closed by lra.
apply Rdiv_lt_0_compat.
- nra.
- apply Rmult_lt_0_compat; apply pow_lt; lra.
Qed.

(** ** The greedy (T = 1) pgd update at the inner fixed point

    With h = (h1, h2), D = h1 − h2 and w = (s, 1 − s), the pgd update is
    w' = Π_Δ(w − α h).  For two domains Π_Δ(x, y) = (p, 1 − p) with
    p = clamp_[0,1]((1 + x − y)/2), so s' = clamp(s − α D(s)/2). *)
Definition clamp01 (x : R) := Rmax 0 (Rmin 1 x).

Definition proj2 (x y : R) := clamp01 ((1 + x - y) / 2).

(** [proj2] is the Euclidean projection onto the 2-simplex. *)
Theorem proj2_nearest (x y u : R) : 0 <= u <= 1 ->
  let p := proj2 x y in
  0 <= p <= 1 /\
  (p - x) ^ 2 + (1 - p - y) ^ 2 <= (u - x) ^ 2 + (1 - u - y) ^ 2.
Proof.
intros Hu p.
set (z := (1 + x - y) / 2).
assert (E : forall v, (v - x) ^ 2 + (1 - v - y) ^ 2
              = 2 * (v - z) ^ 2 + ((x - z) ^ 2 + (1 - z - y) ^ 2))
  by (intros v; unfold z; field).
rewrite !E.
assert (Hp : p = Rmax 0 (Rmin 1 z)) by reflexivity.
clearbody p; subst p.
unfold Rmax, Rmin; repeat destruct Rle_dec; split; try lra;
  apply Rplus_le_compat_r; apply Rmult_le_compat_l; try lra; clearbody z; clear E; pose proof (pow2_ge_0 (u - z)); nra.
Qed.

Definition greedy_step (alpha s : R) := proj2 (s - alpha * D s / 2) (1 - s + alpha * D s / 2).

Lemma greedy_step_formula alpha s : greedy_step alpha s = clamp01 (s - alpha * D s / 2).
Proof. unfold greedy_step, proj2; f_equal; field. Qed.

(** The vertex s = 0, w = (0, 1), is a fixed point of greedy … *)
Theorem greedy_vertex_fixed (alpha : R) : 0 <= alpha -> greedy_step alpha 0 = 0.
Proof.
intros Ha; rewrite greedy_step_formula.
pose proof (D_pos 0 (Rle_refl 0)) as HD.
unfold clamp01, Rmax, Rmin; repeat destruct Rle_dec; nra.
Qed.

(** … it is the only one, and every greedy step moves strictly towards it:
    the vertex attracts from every starting weight. *)
Theorem greedy_moves_to_vertex (alpha s : R) : 0 < alpha -> 0 < s <= 1 ->
  0 <= greedy_step alpha s < s.
Proof.
intros Ha Hs; rewrite greedy_step_formula.
pose proof (D_pos s ltac:(lra)) as HD.
unfold clamp01, Rmax, Rmin; repeat destruct Rle_dec; nra.
Qed.

(** ** The greedy gap *)

(** Φ(1/3) < 9 − 1.3467, so Φ* ≤ Φ(1/3) gives Φ(0) − Φ* ≥ 1.3467 > 0. *)
Theorem phi_one_third_below : phi (1/3) < 9 - 13467 / 10000.
Proof. rewrite phi_one_third; lra. Qed.

Theorem greedy_gap_lower (phistar : R) : phistar <= phi (1/3) ->
  phi 0 - phistar >= 13467 / 10000.
Proof. intros H; rewrite phi_0; pose proof phi_one_third_below; lra. Qed.

(** Conversely Φ ≥ 9 − 1.3468 on [0, 1], so the gap is at most 1.3468:
    Φ* ∈ [9 − 1.3468, 9 − 1.3467]. *)
Theorem phi_lower (s : R) : 0 <= s <= 1 -> 9 - 13468 / 10000 < phi s.
Proof.
intros [H0 H1].
assert (Hp : 0 < 980488*s^4 + 1069208*s^3 - 274458*s^2 - 316120*s + 84175).
{ pose proof (pow2_ge_0 (s - 3325/10000)).
  pose proof (pow2_ge_0 (s*s - 3325/10000 * s)).
  nra. }
assert (Hd : 0 < (2 * s + 1)^2 * (4 * s + 5)^2)
  by (apply Rmult_lt_0_compat; apply pow_lt; lra).
assert (E : phi s - (9 - 13468 / 10000) =
  (980488*s^4 + 1069208*s^3 - 274458*s^2 - 316120*s + 84175)
  / (2500 * ((2 * s + 1)^2 * (4 * s + 5)^2))).
{ rewrite phi_closed by lra; field; split; lra. }
assert (0 < (980488*s^4 + 1069208*s^3 - 274458*s^2 - 316120*s + 84175)
  / (2500 * ((2 * s + 1)^2 * (4 * s + 5)^2))).
{ apply Rdiv_lt_0_compat; lra. }
lra.
Qed.

(** Φ* is attained somewhere on [0, 1]; whatever the minimizer, the greedy
    limit (the vertex, where Φ = 9) is worse by at least 1.3467 and at most
    1.3468. *)
Theorem greedy_gap (sstar : R) : 0 <= sstar <= 1 ->
  (forall s, 0 <= s <= 1 -> phi sstar <= phi s) ->
  13467 / 10000 <= phi 0 - phi sstar < 13468 / 10000.
Proof.
intros Hs Hmin.
pose proof (Hmin (1/3) ltac:(lra)).
pose proof (phi_lower sstar Hs).
rewrite phi_0 in *; pose proof phi_one_third_below; lra.
Qed.

(** ** The truncated (T-step) direction at the vertex (optional item)

    D_T(s) = −∇g(θ* )ᵀ P_T (∇f1 − ∇f2)(θ* ) with P_T = H⁻¹(I − M^T),
    H(s) = diag(h1, h2), h_j = s a_j + (1 − s) c_j, M = I − ηH (Rust:
    [tstar::counterexample::truncated_direction]).  D_1 = D; at the vertex
    D_T(0) = −63/5 + 18 (8/9)^T − (27/5)(4/9)^T: positive for T = 1, 2
    (the vertex still attracts) and negative for every T ≥ 3 (the T-step
    method leaves the vertex). *)
Definition hh1 (s : R) := s * a1 + (1 - s) * c1.
Definition hh2 (s : R) := s * a2 + (1 - s) * c2.
Definition pT (h : R) (T : nat) := (1 - (1 - eta * h) ^ T) / h.

Definition DT (T : nat) (s : R) :=
  - (gg1 s * pT (hh1 s) T * (gf11 s - gf21 s) + gg2 s * pT (hh2 s) T * (gf12 s - gf22 s)).

Theorem DT_1 (s : R) : 0 <= s -> DT 1 s = D s.
Proof. intros Hs; unfold DT, pT, hh1, hh2; inst; field; lra. Qed.

Theorem DT_vertex (T : nat) :
  DT T 0 = - 63 / 5 + 18 * (8 / 9) ^ T - 27 / 5 * (4 / 9) ^ T.
Proof.
unfold DT, pT, hh1, hh2.
replace (1 - eta * (0 * a1 + (1 - 0) * c1)) with (8 / 9) by (inst; field).
replace (1 - eta * (0 * a2 + (1 - 0) * c2)) with (4 / 9) by (inst; field).
inst; field.
Qed.

Theorem DT_vertex_1 : DT 1 0 = 1.
Proof. rewrite DT_vertex; simpl; field. Qed.

Theorem DT_vertex_2 : DT 2 0 = 5 / 9.
Proof. rewrite DT_vertex; simpl; field. Qed.

Theorem DT_vertex_neg (T : nat) : (3 <= T)%nat -> DT T 0 < 0.
Proof.
intros HT; rewrite DT_vertex.
destruct T as [|[|[|[|k]]]]; try lia.
- simpl; lra.
- replace (S (S (S (S k)))) with (4 + k)%nat by lia.
  rewrite !pow_add.
  assert (0 < (8 / 9) ^ k <= 1).
  { split; [apply pow_lt; lra|].
    rewrite <- (pow1 k); apply pow_incr; lra. }
  assert (0 <= (4 / 9) ^ k) by (apply pow_le; lra).
  simpl. nra.
Qed.
