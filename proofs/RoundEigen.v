(** * SPEC §4.4: the eigendecomposition step of the closed-form round.

    With M = Q Λ Qᵀ (Qᵀ Q = I, Λ = diag(λ)), Ã = Qᵀ A Q and
    K_jk = Σ_{s<T} λ_j^{T−1−s} λ_k^s:
      Σ_{s<T} M^{T−1−s} A M^s = Q (Ã ∘ K) Qᵀ,
    the term Q (Ã_i ∘ K) Qᵀ e_0 of J_T[:, i] in SPEC §4.4; together with
    [unrolled_round_closed_form] and [divided_difference] (InnerMap.v) this is
    the whole formula used by [tstar::mix::unrolled_round_closed]. *)

From mathcomp Require Import ssreflect ssrfun ssrbool eqtype ssrnat seq.
From mathcomp Require Import fintype bigop ssralg matrix.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.
Local Open Scope ring_scope.

Section RoundEigen.

Variable R : fieldType.
Variable n : nat.
Local Notation d := n.+1.

Variable Q : 'M[R]_d.
Variable l : 'rV[R]_d.
Hypothesis QtQ : Q^T *m Q = 1%:M.

Lemma QQt : Q *m Q^T = 1%:M.
Proof. exact: mulmx1C. Qed.

Definition powr (k : nat) : 'rV[R]_d := \row_j (l ord0 j ^+ k).

Lemma diag_pow0 : diag_mx (powr 0) = 1%:M.
Proof.
by rewrite -diag_const_mx; congr diag_mx; apply/matrixP => i j; rewrite !mxE expr0.
Qed.

(** (Q Λ Qᵀ)^k = Q Λ^k Qᵀ *)
Lemma pow_conj (k : nat) :
  (Q *m diag_mx l *m Q^T) ^+ k = Q *m diag_mx (powr k) *m Q^T.
Proof.
elim: k => [|k IH].
  by rewrite expr0 diag_pow0 mulmx1 QQt.
rewrite exprS IH -[_ * _]/(_ *m _).
rewrite -!mulmxA; congr (Q *m _).
rewrite (mulmxA Q^T Q) QtQ mul1mx.
rewrite !mulmxA mulmx_diag; congr (diag_mx _ *m _).
by apply/matrixP => i j; rewrite !mxE exprS.
Qed.

Variable A : 'M[R]_d.

Definition Atil : 'M[R]_d := Q^T *m A *m Q.

Definition Kmat (T : nat) : 'M[R]_d :=
  \matrix_(j, k) \sum_(s < T) l ord0 j ^+ (T.-1 - s) * l ord0 k ^+ s.

Definition hadamard (X Y : 'M[R]_d) : 'M[R]_d := \matrix_(j, k) (X j k * Y j k).

Theorem round_eigen_form (T : nat) :
  \sum_(s < T) (Q *m diag_mx l *m Q^T) ^+ (T.-1 - s) *m A *m (Q *m diag_mx l *m Q^T) ^+ s
  = Q *m hadamard Atil (Kmat T) *m Q^T.
Proof.
have term : forall a b : nat,
  (Q *m diag_mx l *m Q^T) ^+ a *m A *m (Q *m diag_mx l *m Q^T) ^+ b
  = Q *m (diag_mx (powr a) *m Atil *m diag_mx (powr b)) *m Q^T.
  move=> a b; rewrite !pow_conj /Atil !mulmxA.
  by [].
rewrite (eq_bigr _ (fun s _ => term _ _)).
rewrite -mulmx_suml -mulmx_sumr; congr (Q *m _ *m Q^T).
apply/matrixP => j k; rewrite summxE !mxE mulr_sumr; apply: eq_bigr => s _.
rewrite mul_mx_diag mul_diag_mx !mxE.
by rewrite [_ ^+ _ * _]mulrC -mulrA.
Qed.

(** The entries of K: [(λ_j − λ_k) K_jk = λ_j^T − λ_k^T], and
    [K_jk = T λ_j^{T−1}] when [λ_j = λ_k]. *)
Lemma Kmat_divided_difference (T : nat) j k :
  (l ord0 j - l ord0 k) * Kmat T j k = l ord0 j ^+ T - l ord0 k ^+ T.
Proof. by rewrite mxE subrXX. Qed.

Lemma Kmat_equal (T : nat) j k : l ord0 j = l ord0 k ->
  Kmat T j k = T%:R * l ord0 j ^+ T.-1.
Proof.
move=> E; rewrite mxE -E -[RHS]mulr1.
rewrite (eq_bigr (fun _ => l ord0 j ^+ T.-1)); last first.
  move=> s _; rewrite -exprD subnK //.
  by case: T s => [[]//|T] s /=; rewrite -ltnS.
by rewrite sumr_const card_ord -mulr_natl mulr1.
Qed.

End RoundEigen.
