(** * SPEC §4.2 / proofs/bound.md Lemma 1: scalar (eigenvalue) bounds.

    H = H(w) is symmetric with spectrum in [μ, L]; M = I − ηH, H⁻¹M^T and
    P_T = η Σ_{s<T} M^s are functions of H, so their norms are maxima over
    eigenvalues h ∈ [μ, L] of the scalar functions bounded here. *)

Require Import Reals Lra Psatz.
Open Scope R_scope.

(** Issue item 4: for μ ≤ h ≤ L and 0 < η ≤ 1/L,
    |1 − ηh|^T / h ≤ (1 − ημ)^T / μ. *)
Theorem scalar_bias_bound (mu L h eta : R) (T : nat) :
  0 < mu -> mu <= h -> h <= L -> 0 < eta -> eta <= 1 / L ->
  Rabs (1 - eta * h) ^ T / h <= (1 - eta * mu) ^ T / mu.
Proof.
intros Hmu Hh1 Hh2 He HeL.
assert (HL : 0 < L) by lra.
assert (HetaL : eta * L <= 1).
{ apply (Rmult_le_compat_r L) in HeL; [|lra].
  unfold Rdiv in HeL; rewrite Rmult_assoc, Rinv_l, Rmult_1_r in HeL; lra. }
assert (Hab : Rabs (1 - eta * h) = 1 - eta * h).
{ apply Rabs_right; nra. }
rewrite Hab.
assert (H1 : 0 <= 1 - eta * h <= 1 - eta * mu) by nra.
assert (HT : (1 - eta * h) ^ T <= (1 - eta * mu) ^ T).
{ apply pow_incr; exact H1. }
assert (H0T : 0 <= (1 - eta * h) ^ T) by (apply pow_le; lra).
unfold Rdiv.
apply Rmult_le_compat; try lra.
- apply Rlt_le, Rinv_0_lt_compat; lra.
- apply Rinv_le_contravar; lra.
Qed.

(** The contraction factor of SPEC §4.2 / bound.md, for any η ≥ 0:
    ρ = max(|1 − ημ|, |1 − ηL|). *)
Definition rho (eta mu L : R) := Rmax (Rabs (1 - eta * mu)) (Rabs (1 - eta * L)).

(** h ↦ |1 − ηh| is convex, so on [μ, L] it is at most its value at an end. *)
Lemma abs_affine_le_rho (eta mu L h : R) :
  0 <= eta -> mu <= h -> h <= L -> Rabs (1 - eta * h) <= rho eta mu L.
Proof.
intros He Hh1 Hh2; unfold rho, Rmax.
destruct (Rle_dec _ _) as [Hd|Hd]; unfold Rabs in *;
  repeat destruct Rcase_abs; nra.
Qed.

(** The eigenvalue bound behind ‖H⁻¹ M^T‖ ≤ ρ^T / μ (any 0 ≤ η, no η ≤ 1/L). *)
Theorem bias_eigen_bound (eta mu L h : R) (T : nat) :
  0 < mu -> 0 <= eta -> mu <= h -> h <= L ->
  Rabs (1 - eta * h) ^ T / h <= rho eta mu L ^ T / mu.
Proof.
intros Hmu He Hh1 Hh2.
pose proof (abs_affine_le_rho eta mu L h He Hh1 Hh2) as Hr.
assert (HT : Rabs (1 - eta * h) ^ T <= rho eta mu L ^ T).
{ apply pow_incr; split; [apply Rabs_pos | exact Hr]. }
assert (H0T : 0 <= Rabs (1 - eta * h) ^ T) by (apply pow_le, Rabs_pos).
unfold Rdiv; apply Rmult_le_compat; try lra.
- apply Rlt_le, Rinv_0_lt_compat; lra.
- apply Rinv_le_contravar; lra.
Qed.

(** The eigenvalues of P_T: η Σ_{s<T} (1 − ηh)^s = (1 − (1 − ηh)^T)/h. *)
Fixpoint geom (q : R) (T : nat) : R :=
  match T with O => 0 | S T' => geom q T' + q ^ T' end.

Lemma p_eigen_closed (eta h : R) (T : nat) :
  0 < h -> eta * geom (1 - eta * h) T = (1 - (1 - eta * h) ^ T) / h.
Proof.
intros Hh; induction T as [|T IH]; simpl.
- field; lra.
- rewrite Rmult_plus_distr_l, IH; field; lra.
Qed.

Lemma pow_le_self (x : R) (T : nat) : 0 <= x <= 1 -> (1 <= T)%nat -> x ^ T <= x.
Proof.
intros Hx HT; destruct T as [|T]; [lia|]; simpl.
assert (x ^ T <= 1) by (rewrite <- (pow1 T); apply pow_incr; lra).
assert (0 <= x ^ T) by (apply pow_le; lra).
nra.
Qed.

(** … and the eigenvalue bound behind ‖P_T‖ ≤ π̄ = max(1/μ, (1 + ρ)η),
    for T ≥ 1, η > 0 and ρ ≤ 1 (bound.md Lemma 1). *)
Theorem p_eigen_bound (eta mu L h : R) (T : nat) :
  0 < mu -> 0 < eta -> mu <= h -> h <= L -> (1 <= T)%nat ->
  rho eta mu L <= 1 ->
  eta * geom (1 - eta * h) T <= Rmax (1 / mu) ((1 + rho eta mu L) * eta).
Proof.
intros Hmu He Hh1 Hh2 HT Hr.
rewrite p_eigen_closed by lra.
pose proof (abs_affine_le_rho eta mu L h (Rlt_le _ _ He) Hh1 Hh2) as Hq.
set (q := 1 - eta * h) in *; set (r := rho eta mu L) in *.
assert (Hqabs : Rabs (q ^ T) <= r).
{ rewrite <- RPow_abs.
  apply Rle_trans with (Rabs q); [|exact Hq].
  apply pow_le_self; [split; [apply Rabs_pos | lra] | exact HT]. }
assert (Hlo : - r <= q ^ T) by (pose proof (Rle_abs (- q ^ T)); rewrite Rabs_Ropp in *; lra).
assert (Hh : 0 < h) by lra.
destruct (Rle_dec (eta * h) 1) as [Hs|Hs].
- (* 0 <= q < 1: (1 - q^T)/h <= 1/h <= 1/mu *)
  assert (0 <= q ^ T) by (apply pow_le; unfold q; lra).
  apply Rle_trans with (1 / mu); [|apply Rmax_l].
  apply Rle_trans with (1 / h).
  + unfold Rdiv; apply Rmult_le_compat_r; [apply Rlt_le, Rinv_0_lt_compat|]; lra.
  + unfold Rdiv; rewrite !Rmult_1_l; apply Rinv_le_contravar; lra.
- (* ηh > 1: 1/h < η and 1 − q^T ≤ 1 + ρ *)
  apply Rle_trans with ((1 + r) * eta); [|apply Rmax_r].
  apply Rle_trans with ((1 + r) / h).
  + unfold Rdiv; apply Rmult_le_compat_r; [apply Rlt_le, Rinv_0_lt_compat|]; lra.
  + assert (Hinv : / h <= eta).
    { apply Rmult_le_reg_r with h; [lra|]. rewrite Rinv_l; lra. }
    unfold Rdiv; apply Rmult_le_compat_l; [|exact Hinv].
    pose proof (Rabs_pos q); lra.
Qed.
