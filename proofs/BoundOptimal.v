(** * SPEC §4.5 / proofs/bound.md §6: the bound-optimal horizon T_b(N).

    f(T) = a T / N + b ρ^{2T} with a, b > 0, 0 < ρ < 1, N > 0 (real T ≥ 0,
    ρ^{2T} = exp(2T ln ρ)) is minimized over T ≥ 0 at
      T_b(N) = max(0, ln(2 b ln(1/ρ) N / a) / (2 ln(1/ρ))). *)

Require Import Reals Lra Psatz.
Open Scope R_scope.

Definition fmodel (a b rho N T : R) : R := a * T / N + b * Rpower rho (2 * T).

Definition T_b (a b rho N : R) : R :=
  Rmax 0 (ln (2 * b * ln (1 / rho) * N / a) / (2 * ln (1 / rho))).

(** With k = 2 ln(1/ρ) > 0 and c = a/N: f(T) = c T + b e^{−kT}. *)
Lemma fmodel_exp (a b rho N T : R) : 0 < rho ->
  fmodel a b rho N T = a / N * T + b * exp (- (2 * ln (1 / rho)) * T).
Proof.
intros Hr; unfold fmodel, Rpower, Rdiv.
rewrite Rmult_1_l, ln_Rinv by lra.
f_equal; [ring|f_equal; f_equal; ring].
Qed.

(** Tangent-line bound: f(T) ≥ f(T0) + (T − T0)(c − b k e^{−k T0}). *)
Lemma tangent (c b k T T0 : R) : 0 <= b ->
  c * T + b * exp (- k * T) >=
  c * T0 + b * exp (- k * T0) + (T - T0) * (c - b * k * exp (- k * T0)).
Proof.
intros Hb.
assert (E : exp (- k * T) = exp (- k * T0) * exp (- k * (T - T0))).
{ rewrite <- exp_plus; f_equal; ring. }
pose proof (exp_ineq1_le (- k * (T - T0))) as Hx.
pose proof (exp_pos (- k * T0)) as Hp.
rewrite E.
assert (b * exp (- k * T0) * (1 + - k * (T - T0))
        <= b * exp (- k * T0) * exp (- k * (T - T0))).
{ apply Rmult_le_compat_l; [|exact Hx]. apply Rmult_le_pos; lra. }
nra.
Qed.

Theorem T_b_nonneg (a b rho N : R) : 0 <= T_b a b rho N.
Proof. apply Rmax_l. Qed.

(** Issue item 5: T_b(N) minimizes f over T ≥ 0. *)
Theorem T_b_minimizes (a b rho N : R) :
  0 < a -> 0 < b -> 0 < rho < 1 -> 0 < N ->
  forall T, 0 <= T -> fmodel a b rho N (T_b a b rho N) <= fmodel a b rho N T.
Proof.
intros Ha Hb Hr HN T HT.
set (k := 2 * ln (1 / rho)).
assert (Hl : 0 < ln (1 / rho)).
{ rewrite <- ln_1; apply ln_increasing; [lra|].
  unfold Rdiv; rewrite Rmult_1_l; rewrite <- Rinv_1 at 1.
  apply Rinv_lt_contravar; lra. }
assert (Hk : 0 < k) by (unfold k; lra).
set (c := a / N).
assert (Hc : 0 < c) by (unfold c; apply Rdiv_lt_0_compat; lra).
rewrite !fmodel_exp by lra; fold k; fold c.
set (z := 2 * b * ln (1 / rho) * N / a).
assert (Hz : z = b * k / c) by (unfold z, k, c; field; lra).
assert (Hz0 : 0 < z) by (rewrite Hz; apply Rdiv_lt_0_compat; nra).
unfold T_b; fold z; fold k.
unfold Rmax; destruct (Rle_dec 0 (ln z / k)) as [Hpos|Hneg].
- (* interior: e^{−k T0} = c / (b k), the slope vanishes *)
  set (T0 := ln z / k).
  assert (Hexp : exp (- k * T0) = c / (b * k)).
  { unfold T0; replace (- k * (ln z / k)) with (- ln z) by (field; lra).
    rewrite exp_Ropp, exp_ln by exact Hz0; rewrite Hz; field; split; lra. }
  pose proof (tangent c b k T T0 (Rlt_le _ _ Hb)) as Ht.
  rewrite Hexp in Ht |- *.
  replace (c - b * k * (c / (b * k))) with 0 in Ht by (field; split; lra).
  rewrite Rmult_0_r in Ht.
  lra.
- (* boundary: ln z < 0, so z < 1, b k < c and f is increasing on [0, ∞) *)
  assert (Hlz : ln z < 0).
  { apply Rnot_le_lt in Hneg.
    destruct (Rlt_dec (ln z) 0) as [H|H]; [exact H|].
    exfalso; apply Rnot_lt_le in H.
    assert (0 <= ln z / k)
      by (unfold Rdiv; apply Rmult_le_pos; [lra | left; apply Rinv_0_lt_compat; lra]).
    lra. }
  assert (Hz1 : z < 1).
  { rewrite <- (exp_ln z Hz0). rewrite <- exp_0. apply exp_increasing; lra. }
  assert (Hbk : b * k <= c).
  { rewrite Hz in Hz1. apply Rmult_lt_compat_r with (r := c) in Hz1; [|lra].
    unfold Rdiv in Hz1; rewrite Rmult_assoc, Rinv_l, Rmult_1_r in Hz1; lra. }
  pose proof (tangent c b k T 0 (Rlt_le _ _ Hb)) as Ht.
  replace (- k * 0) with 0 in Ht by ring; rewrite exp_0 in Ht.
  assert (0 <= (T - 0) * (c - b * k * 1)) by (apply Rmult_le_pos; lra).
  replace (- k * 0) with 0 by ring; rewrite exp_0; lra.
Qed.
