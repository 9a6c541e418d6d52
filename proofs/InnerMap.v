(** * SPEC §4.1, §4.2, §4.4: the inner map, the truncated hypergradient and
    the closed-form round.

    Matrices over an arbitrary field [R] (MathComp ['M[R]_d], d = n.+1 ≥ 1;
    the square-matrix ring structure of MathComp needs a positive size, and
    d = 0 is trivial).  Nothing here uses the order, so the statements hold
    over the rationals (the Rust [Exact] backend) and over the reals alike. *)

From mathcomp Require Import ssreflect ssrfun ssrbool eqtype ssrnat seq.
From mathcomp Require Import fintype bigop ssralg matrix.

Set Implicit Arguments.
Unset Strict Implicit.
Unset Printing Implicit Defensive.

Import GRing.Theory.
Local Open Scope ring_scope.

Section InnerMap.

Variable R : fieldType.
Variable n : nat.
Local Notation d := n.+1.

(** Step size, Hessian [H = H(w)], right-hand side [r = r(w)] and a
    solution [θ*] of [H θ* = r]. *)
Variable eta : R.
Variable H : 'M[R]_d.
Variable r : 'cV[R]_d.
Variable thstar : 'cV[R]_d.
Hypothesis Hstar : H *m thstar = r.

(** [M = I − ηH]. *)
Definition M : 'M[R]_d := 1%:M - eta *: H.

(** One inner gradient step [θ ↦ θ − η (H θ − r)]; this is
    [θ − η Σ_i w_i ∇f_i(θ)] for the quadratic domain losses. *)
Definition step (th : 'cV[R]_d) : 'cV[R]_d := th - eta *: (H *m th - r).

Fixpoint iterate (T : nat) (th0 : 'cV[R]_d) : 'cV[R]_d :=
  match T with
  | 0 => th0
  | T'.+1 => step (iterate T' th0)
  end.

Lemma eta_H : eta *: H = 1%:M - M.
Proof. by rewrite /M opprB addrC subrK. Qed.

Lemma affine_step_gen (N : 'M[R]_d) (x : 'cV[R]_d) :
  eta *: H = 1%:M - N ->
  x - eta *: (H *m x - r) = N *m x + (1%:M - N) *m thstar.
Proof.
move=> eH.
rewrite scalerBr -Hstar !scalemxAl eH !mulmxBl !mul1mx !opprB.
by rewrite [LHS]addrCA [LHS]addrC [x + _]addrC subrK.
Qed.

Lemma step_affine th : step th = M *m th + (1%:M - M) *m thstar.
Proof. exact: (affine_step_gen th eta_H). Qed.

(** Theorem 1 (SPEC §4.1): [θ_T = M^T θ_0 + (I − M^T) θ*] for every [T]. *)
Theorem inner_map_closed_form (T : nat) (th0 : 'cV[R]_d) :
  iterate T th0 = (M ^+ T) *m th0 + (1%:M - M ^+ T) *m thstar.
Proof.
elim: T => [|T IH] /=.
  by rewrite expr0 mul1mx subrr mul0mx addr0.
rewrite step_affine IH mulmxDr !mulmxA -[M *m M ^+ T]/(M * M ^+ T) -exprS.
rewrite -addrA; congr (_ + _).
rewrite -mulmxDl; congr (_ *m _).
rewrite mulmxBr mulmx1 -[M *m M ^+ T]/(M * M ^+ T) -exprS.
by rewrite [LHS]addrC addrA subrK.
Qed.

(** At a fixed point of MIX the inner iterates do not move. *)
Corollary iterate_at_fixed_point (T : nat) : iterate T thstar = thstar.
Proof.
by rewrite inner_map_closed_form -mulmxDl addrC subrK mul1mx.
Qed.

(** Warm start: with [e_0 = θ_0 − θ*], [θ_t = θ* + M^t e_0] (SPEC §4.4). *)
Corollary iterate_warm_start (t : nat) (e0 : 'cV[R]_d) :
  iterate t (thstar + e0) = thstar + M ^+ t *m e0.
Proof.
rewrite inner_map_closed_form mulmxDr addrC addrA -mulmxDl subrK mul1mx.
by [].
Qed.

(** [S_T = Σ_{s<T} M^s]. *)
Definition S (T : nat) : 'M[R]_d := \sum_(s < T) M ^+ s.

Lemma S_telescope_r T : S T * (1%:M - M) = 1%:M - M ^+ T.
Proof.
elim: T => [|T IH]; first by rewrite /S big_ord0 mul0r expr0 subrr.
rewrite /S big_ord_recr /= mulrDl -/(S T) IH mulrBr mulr1 -exprSr.
by rewrite addrA subrK.
Qed.

Lemma S_telescope_l T : (1%:M - M) * S T = 1%:M - M ^+ T.
Proof.
elim: T => [|T IH]; first by rewrite /S big_ord0 mulr0 expr0 subrr.
rewrite /S big_ord_recr /= mulrDr -/(S T) IH mulrBl mul1r -exprS.
by rewrite addrA subrK.
Qed.

(** Theorem 2a (SPEC §4.2): [η Σ_{s<T} M^s H = I − M^T] (and [H] on the left). *)
Theorem truncated_hypergradient_identity (T : nat) :
  (eta *: S T) *m H = 1%:M - M ^+ T.
Proof. by rewrite -scalemxAl scalemxAr eta_H -S_telescope_r. Qed.

Theorem truncated_hypergradient_identity_l (T : nat) :
  H *m (eta *: S T) = 1%:M - M ^+ T.
Proof. by rewrite -scalemxAr scalemxAl eta_H -S_telescope_l. Qed.

(** Consequences when [H] is invertible: [P_T = η S_T = H⁻¹ (I − M^T)] and
    [P_T − H⁻¹ = − H⁻¹ M^T]. *)
Corollary P_T_closed_form (T : nat) :
  H \in unitmx -> eta *: S T = invmx H *m (1%:M - M ^+ T).
Proof.
move=> HU; rewrite -truncated_hypergradient_identity_l mulmxA.
by rewrite mulVmx // mul1mx.
Qed.

Corollary P_T_error (T : nat) :
  H \in unitmx -> eta *: S T - invmx H = - (invmx H *m M ^+ T).
Proof.
move=> HU; rewrite P_T_closed_form // mulmxBr mulmx1.
by rewrite addrAC subrr add0r.
Qed.

(** Theorem 2b: the unrolled Jacobian recursion [J_0 = 0],
    [J_{t+1} = M J_t − η G] with a constant [G ∈ R^{d×m}] gives
    [J_T = − η Σ_{s<T} M^s G].  At a fixed point of MIX the inner iterates
    stay at θ* ([iterate_at_fixed_point]), so G = [c_1 … c_m] with c_i the
    gradient of f_i at θ* is constant. *)
Variable m : nat.
Variable G : 'M[R]_(d, m).

(** Stated for an arbitrary square matrix [N]; instantiated below with [M]. *)
Fixpoint jac_gen (N : 'M[R]_d) (T : nat) : 'M[R]_(d, m) :=
  match T with
  | 0 => 0
  | T'.+1 => N *m jac_gen N T' - eta *: G
  end.

Lemma jac_gen_closed_form (N : 'M[R]_d) (T : nat) :
  jac_gen N T = - (eta *: ((\sum_(s < T) N ^+ s) *m G)).
Proof.
elim: T => [|T IH] /=; first by rewrite big_ord0 mul0mx scaler0 oppr0.
rewrite IH big_ord_recl /= expr0 mulmxDl mul1mx scalerDr opprD addrC.
congr (_ + _); rewrite mulmxN -scalemxAr mulmxA; congr (- (_ *: _)).
rewrite mulmx_sumr !mulmx_suml; apply: eq_bigr => s _.
by rewrite /bump leq0n add1n exprS.
Qed.

Definition jac (T : nat) : 'M[R]_(d, m) := jac_gen M T.

Lemma jac_rec (T : nat) : jac T.+1 = M *m jac T - eta *: G.
Proof. by []. Qed.

Theorem unrolled_jacobian_closed_form (T : nat) :
  jac T = - (eta *: (S T *m G)).
Proof. exact: jac_gen_closed_form. Qed.

(** Both together: at a fixed point, with [H] invertible, the unrolled
    Jacobian is [J_T = − P_T G = − H⁻¹ (I − M^T) G]. *)
Corollary unrolled_jacobian_at_fixed_point (T : nat) :
  H \in unitmx -> jac T = - (invmx H *m (1%:M - M ^+ T) *m G).
Proof.
by move=> HU; rewrite unrolled_jacobian_closed_form scalemxAl P_T_closed_form.
Qed.


(** ** SPEC §4.4: a whole warm-started round in closed form.

    The Jacobian column of one domain [i] (matrix [A = A_i], centre
    [b = b_i]) obeys [j_0 = 0], [j_{t+1} = M j_t − η A (θ_t − b)] with the
    actual iterates [θ_t] of the round (the gradient changes with t). *)
Fixpoint jac_var (N : 'M[R]_d) (g : nat -> 'cV[R]_d) (T : nat) : 'cV[R]_d :=
  match T with
  | 0 => 0
  | T'.+1 => N *m jac_var N g T' - eta *: g T'
  end.

Lemma pred_sub_rev (T s : nat) : (s < T)%N -> (T.-1 - s).+1 = (T - s)%N.
Proof. by move=> Hs; rewrite -subn1 -subnDA add1n subnSK. Qed.

(** Variable gradient: [J_T = − η Σ_{s<T} N^{T−1−s} g_s]. *)
Lemma jac_var_closed (N : 'M[R]_d) (g : nat -> 'cV[R]_d) (T : nat) :
  jac_var N g T = - (eta *: \sum_(s < T) N ^+ (T.-1 - s) *m g s).
Proof.
elim: T => [|T IH] /=; first by rewrite big_ord0 scaler0 oppr0.
rewrite IH big_ord_recr /= subnn expr0 mul1mx scalerDr opprD.
congr (_ + _).
rewrite mulmxN -scalemxAr mulmx_sumr; congr (- (_ *: _)).
apply: eq_bigr => s _; rewrite mulmxA -[N *m N ^+ _]/(N * N ^+ _) -exprS.
by rewrite pred_sub_rev.
Qed.

Lemma sum_rev_pow (T : nat) (c : 'cV[R]_d) :
  \sum_(s < T) M ^+ (T.-1 - s) *m c = S T *m c.
Proof.
rewrite /S mulmx_suml (reindex_inj rev_ord_inj) /=; apply: eq_bigr => s _.
congr (M ^+ _ *m c).
case: T s => [[]//|T] s /=.
by rewrite subSS subKn // -ltnS.
Qed.

Variable A : 'M[R]_d.
Variables b e0 : 'cV[R]_d.

(** [θ_t] of the round started at [θ_0 = θ* + e_0], its domain gradient
    [A (θ_t − b)], and [c = A (θ* − b)] (= ∇f_i(θ* ) ). *)
Definition round_grad (t : nat) : 'cV[R]_d := A *m (iterate t (thstar + e0) - b).
Definition c_star : 'cV[R]_d := A *m (thstar - b).

Lemma round_grad_split t : round_grad t = c_star + A *m (M ^+ t *m e0).
Proof.
by rewrite /round_grad /c_star iterate_warm_start addrAC mulmxDr.
Qed.

(** Theorem (SPEC §4.4, before the eigendecomposition):
    [J_T = − η ( S_T c + Σ_{s<T} M^{T−1−s} A M^s e_0 )]. *)
Theorem unrolled_round_closed_form (T : nat) :
  jac_var M round_grad T =
  - (eta *: (S T *m c_star + \sum_(s < T) M ^+ (T.-1 - s) *m A *m M ^+ s *m e0)).
Proof.
rewrite jac_var_closed; congr (- (_ *: _)).
rewrite -sum_rev_pow -big_split /=; apply: eq_bigr => s _.
by rewrite round_grad_split mulmxDr !mulmxA.
Qed.

(** The divided difference [K_jk] of SPEC §4.4:
    [(x − y) Σ_{s<T} x^{T−1−s} y^s = x^T − y^T] in any commutative ring,
    so [K_jk = (λ_j^T − λ_k^T)/(λ_j − λ_k)] when λ_j ≠ λ_k. *)
Lemma divided_difference (x y : R) (T : nat) :
  (x - y) * (\sum_(s < T) x ^+ (T.-1 - s) * y ^+ s) = x ^+ T - y ^+ T.
Proof. by rewrite subrXX. Qed.

Lemma divided_difference_eq (x : R) (T : nat) :
  \sum_(s < T) x ^+ (T.-1 - s) * x ^+ s = T%:R * x ^+ T.-1.
Proof.
rewrite -[RHS]mulr1 (eq_bigr (fun _ => x ^+ T.-1)); last first.
  move=> s _; rewrite -exprD subnK //.
  by case: T s => [[]//|T] s /=; rewrite -ltnS.
by rewrite sumr_const card_ord -mulr_natl mulr1.
Qed.

End InnerMap.
