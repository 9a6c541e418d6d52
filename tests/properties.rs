//! Property tests over random quadratic instances (SPEC §1–§4) and over the
//! numeric backends' laws.
//!
//! Random instances: m ∈ {2, 3} domains, d ∈ 1..=4, `A_i = B_iᵀB_i + I` with
//! integer `B_i` entries in −2..=2 (so `A_i ⪰ I`), `b_i` with entries k/2,
//! `|k| ≤ 6`, validation `A_0 = CᵀC` (PSD, possibly singular or zero) with
//! integer `C` entries in −2..=2, η = 1/(1 + max_i tr A_i) (< 1/λ_max, since
//! λ_max(A_i) ≤ tr A_i). Each instance is written as JSON text with every
//! number a string and read back through `Instance::from_json_str`, so the
//! validation path runs on every case. Weights w are positive integers
//! normalised to the simplex (rational, every entry ≥ 1/27).
//!
//! Facts used by the bounds below, all from the construction:
//! * `λ_min(H(w)) ≥ Σ w_i ≥ 1` on the simplex because every `A_i ⪰ I`;
//! * for a PSD matrix `‖A‖₂ ≤ ‖A‖_F ≤ tr A`, and `‖|A|‖_F = ‖A‖_F ≤ tr A`;
//! * `‖θ*(w)‖ ≤ ‖r(w)‖/λ_min(H) ≤ Θ := max_i ‖A_i b_i‖`.
//!
//! Proptest cases default to 32 per property (`PROPTEST_CASES` overrides);
//! quickcheck runs its default 100 cases (`QUICKCHECK_TESTS` overrides).

mod common;

use proptest::collection::vec as pvec;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};
use quickcheck::{QuickCheck, TestResult};
use rug::integer::Order;
use rug::ops::Pow;
use rug::{Float, Integer, Rational};

use tstar::instance::Instance;
use tstar::linalg::{dot, symmetric_eigenvalues_f64, Matrix};
use tstar::mix::{self, inner_steps, unrolled_round, Estimator, MixConfig, Pgd, TraceCollector};
use tstar::model::Problem;
use tstar::num::{
    parse_rational, rational_to_f32_nearest, rational_to_f64_nearest, Exact, Mp, Scalar,
};
use tstar::simplex::project;

// ---------------------------------------------------------------------------
// Random instances.
// ---------------------------------------------------------------------------

use common::{gen_strategy as gen_strategy_d, Gen};

fn gen_strategy() -> impl Strategy<Value = Gen> {
    gen_strategy_d(4)
}

/// 32 cases unless `PROPTEST_CASES` says otherwise; failures are saved
/// beside this file (`properties.proptest-regressions`).
fn config() -> ProptestConfig {
    let mut c = ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 32;
    }
    c
}

// ---------------------------------------------------------------------------
// Norms and instance constants (f64, rounded up by a relative 1e-12, far more
// than the few ulps the f64 evaluation of these bounds can lose).
// ---------------------------------------------------------------------------

fn up(x: f64) -> f64 {
    x * (1.0 + 1e-12)
}

fn rnorm(v: &[Rational]) -> f64 {
    let s: Rational = v.iter().map(|x| Rational::from(x * x)).sum();
    up(rational_to_f64_nearest(&s).sqrt())
}

fn fnorm<T: Scalar>(v: &[T]) -> f64 {
    up(v.iter().map(|x| x.to_f64().powi(2)).sum::<f64>().sqrt())
}

/// `|x − y|` computed exactly, then rounded up.
fn dist<T: Scalar, U: Scalar>(x: &T, y: &U) -> f64 {
    let d = x.to_rational().expect("finite") - y.to_rational().expect("finite");
    up(rational_to_f64_nearest(&d.abs()))
}

/// `‖x − y‖₂` computed exactly, then rounded up.
fn vdist<T: Scalar, U: Scalar>(x: &[T], y: &[U]) -> f64 {
    let s: Rational = x
        .iter()
        .zip(y)
        .map(|(a, b)| {
            let d = a.to_rational().expect("finite") - b.to_rational().expect("finite");
            Rational::from(&d * &d)
        })
        .sum();
    up(rational_to_f64_nearest(&s).sqrt())
}

/// Size constants of an instance, all upper bounds.
#[derive(Clone, Debug)]
struct Consts {
    /// `tr A_i` (≥ ‖A_i‖₂, ‖A_i‖_F).
    tr: Vec<f64>,
    /// `L_A = max_i tr A_i`.
    la: f64,
    /// `tr A_0`.
    n0: f64,
    /// `Θ = max_i ‖A_i b_i‖ ≥ ‖θ*(w)‖` for every w in the simplex.
    theta: f64,
    /// `‖b_i‖`.
    bn: Vec<f64>,
    /// `‖b_0‖`.
    b0n: f64,
}

fn trace(a: &Matrix<Rational>) -> f64 {
    let s: Rational = (0..a.rows()).map(|i| a[(i, i)].clone()).sum();
    up(rational_to_f64_nearest(&s))
}

fn consts(inst: &Instance) -> Consts {
    let tr: Vec<f64> = inst.domains.iter().map(|d| trace(&d.a)).collect();
    Consts {
        la: tr.iter().copied().fold(0.0, f64::max),
        tr,
        n0: trace(&inst.val_a),
        theta: inst
            .domains
            .iter()
            .map(|d| rnorm(&d.a.mul_vec(&d.b)))
            .fold(0.0, f64::max),
        bn: inst.domains.iter().map(|d| rnorm(&d.b)).collect(),
        b0n: rnorm(&inst.val_b),
    }
}

fn mp_vec(v: &[Rational], prec: u32) -> Vec<Mp> {
    v.iter().map(|q| Mp::with_val(prec, q)).collect()
}

/// `2^-k` as a rational.
fn pow2_inv(k: u32) -> Rational {
    Rational::from((Integer::from(1), Integer::from(1) << k))
}

// ---------------------------------------------------------------------------
// Property 1: ∇Φ against central finite differences of Φ at 512 bits.
// ---------------------------------------------------------------------------

const FD_PREC: u32 = 512;
const FD_LOG2_STEP: u32 = 100;

/// Along a direction u (here `e_i` and `e_i − e_j`) let
/// `θ(t) = θ*(w + t u)`, `e(t) = θ(t) − b_0`, `φ(t) = Φ(w + t u) = ½ eᵀA_0e`,
/// `A_u = Σ u_k A_k`, `S = H(w + tu)⁻¹ A_u`. Differentiating `H θ = r`:
/// `θ' = −H⁻¹ Σ_k u_k ∇f_k(θ)`, `θ'' = −2Sθ'`, `θ''' = 6S²θ'`, hence
/// `φ''' = 3 e'ᵀA_0e'' + eᵀA_0e'''` and
/// `|φ'''| ≤ 6 ‖A_0‖ s D₁ (D₁ + s E)` with
/// `λ = λ_min(H(w + tu)) ≥ 1 − ε Σ|u_k| ≥ ½`, `s = Σ|u_k| tr A_k / λ`,
/// `‖θ‖ ≤ 2Θ` (as ‖r‖ ≤ (1 + 2ε)Θ and λ ≥ 1 − 2ε),
/// `D₁ = Σ|u_k| tr A_k (2Θ + ‖b_k‖)/λ ≥ ‖θ'‖`, `E = 2Θ + ‖b_0‖ ≥ ‖e‖`.
/// The central difference errs by `ε²/12 (φ'''(ξ₁) + φ'''(ξ₂)) ≤ ε²/6 sup|φ'''|`
/// (truncation, ε = 2^-100 so ε² ≈ 6e-61).
/// Rounding at 512 bits: θ* by partial-pivoting elimination has relative
/// error below d³·2^{d}·κ(H)·2^-512 ≤ 2^-490 (κ ≤ 2·69), so the values of
/// Φ, the inputs w ± εu and the formula for ∇Φ are each off by less than
/// `2^-450 (1 + L_A)² (1 + ‖A_0‖)(1 + E)²`; divided by 2ε this leaves
/// `2^-349 (…)`, which we round up to `2^-340 (…)(1 + Σ|u_k|)`.
/// The bound is far inside a 1e-40 relative tolerance: on the generated
/// instances it comes out between about 1e-55 and 1e-48, while the observed
/// errors are about 1e-59 (roughly ε²/6 times a third derivative of order 10²).
fn fd_bound(c: &Consts, u: &[i64]) -> f64 {
    let eps = (-(FD_LOG2_STEP as f64)).exp2();
    let lam = 0.5;
    let su: f64 = u.iter().map(|x| x.unsigned_abs() as f64).sum();
    let s: f64 = u
        .iter()
        .zip(&c.tr)
        .map(|(x, t)| x.unsigned_abs() as f64 * t)
        .sum::<f64>()
        / lam;
    let d1: f64 = u
        .iter()
        .enumerate()
        .map(|(k, x)| x.unsigned_abs() as f64 * c.tr[k] * (2.0 * c.theta + c.bn[k]))
        .sum::<f64>()
        / lam;
    let e = 2.0 * c.theta + c.b0n;
    let third = 6.0 * c.n0 * s * d1 * (d1 + s * e);
    let trunc = eps * eps / 6.0 * third;
    let round =
        (-340f64).exp2() * (1.0 + c.la).powi(2) * (1.0 + c.n0) * (1.0 + e).powi(2) * (1.0 + su);
    up(up(trunc + round))
}

fn check_grad_phi_fd(g: &Gen) -> Result<(), TestCaseError> {
    let inst = g.instance();
    let c = consts(&inst);
    let p = Problem::<Mp>::new(&inst, &FD_PREC);
    let w = g.w();
    let grad = p.grad_phi(&mp_vec(&w, FD_PREC)).expect("H(w) ≻ 0");
    let eps = pow2_inv(FD_LOG2_STEP);
    let two_eps = Mp::with_val(FD_PREC, Rational::from(&eps * 2u32));
    // Coordinate directions (Φ extended to the orthant by H(w) = Σ w_i A_i)
    // and simplex-tangent directions e_i − e_j.
    let mut dirs: Vec<Vec<i64>> = Vec::new();
    for i in 0..g.m {
        let mut u = vec![0; g.m];
        u[i] = 1;
        dirs.push(u);
        for j in i + 1..g.m {
            let mut u = vec![0; g.m];
            u[i] = 1;
            u[j] = -1;
            dirs.push(u);
        }
    }
    for u in dirs {
        let shifted = |sign: i64| -> Vec<Mp> {
            let v: Vec<Rational> = w
                .iter()
                .zip(&u)
                .map(|(wi, &ui)| wi.clone() + Rational::from(&eps * (sign * ui)))
                .collect();
            mp_vec(&v, FD_PREC)
        };
        let fd =
            (p.phi(&shifted(1)).expect("H ≻ 0") - p.phi(&shifted(-1)).expect("H ≻ 0")) / &two_eps;
        let mut want = Mp::with_val(FD_PREC, 0);
        for (gk, &uk) in grad.iter().zip(&u) {
            want += Mp::with_val(FD_PREC, gk * uk);
        }
        let err = dist(&fd, &want);
        let bound = fd_bound(&c, &u);
        prop_assert!(
            err <= bound,
            "direction {:?}: |FD − ∇Φ·u| = {:e} > bound {:e} (∇Φ·u ≈ {:e})",
            u,
            err,
            bound,
            want.to_f64()
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Property 2: the unrolled estimator at a fixed point (SPEC §4.2), and the
// implicit estimator.
// ---------------------------------------------------------------------------

/// `I − η H`.
fn m_matrix<T: Scalar>(p: &Problem<T>, w: &[T]) -> Matrix<T> {
    let mut mm = Matrix::identity(p.d(), &p.ctx);
    let neg_eta = -p.eta.clone();
    mm.add_scaled(&neg_eta, &p.hessian(w));
    mm
}

/// Exact: started at θ* the inner iterates stay at θ*, and
/// `h_T,i = −∇g(θ*)ᵀ H⁻¹ (I − M^T) ∇f_i(θ*)` with equality for T = 1..=6
/// (T = 1 is η times the alignment estimate); the implicit estimator at θ*
/// is ∇Φ(w) exactly.
fn check_fixed_point_exact(g: &Gen) -> Result<(), TestCaseError> {
    let inst = g.instance();
    let p = Problem::<Exact>::new(&inst, &());
    let w = g.w();
    let ts = p.theta_star(&w).expect("H ≻ 0");
    let h = p.hessian(&w);
    let gg = p.grad_g(&ts);
    let v = h.solve(&gg).expect("H ≻ 0");
    let cs: Vec<Vec<Exact>> = (0..g.m).map(|i| p.grad_f(i, &ts)).collect();
    let mm = m_matrix(&p, &w);
    let id = Matrix::<Exact>::identity(g.d, &());
    let mut mt = id.clone();
    for t in 1..=6usize {
        mt = mt.mul_mat(&mm);
        let (theta_t, est) = unrolled_round(&p, &w, &ts, t);
        prop_assert_eq!(&theta_t, &ts, "θ left the fixed point at T = {}", t);
        let i_minus = id.sub(&mt);
        for i in 0..g.m {
            let want = -dot(&v, &i_minus.mul_vec(&cs[i]));
            prop_assert_eq!(&est[i], &want, "T = {}, domain {}", t, i);
            if t == 1 {
                let align = -dot(&gg, &cs[i]);
                prop_assert_eq!(&est[i], &(align * &p.eta), "T = 1 is η·alignment");
            }
        }
    }
    // Implicit estimator at θ_0 = θ*(w), one round of 3 steps.
    let cfg = MixConfig::<Exact> {
        steps: 3,
        budget: 3,
        alpha: Rational::from((1, 10)),
        estimator: Estimator::Implicit,
        theta0: ts.clone(),
        w0: w.clone(),
        max_bits: 1 << 22,
    };
    let mut tc = TraceCollector::default();
    mix::run(&p, &cfg, Pgd, &mut [&mut tc]).expect("exact run");
    let hk = tc.records[0].h.clone().expect("round 0 has an estimate");
    prop_assert_eq!(hk, p.grad_phi(&w).expect("H ≻ 0"));
    Ok(())
}

/// Floating (mp:256): from θ_0 = θ*(w),
/// `|h_T,i − ∇Φ_i| = |∇g(θ*)ᵀ H⁻¹ M^T c_i| ≤ ρ^T ‖∇g(θ*)‖ ‖c_i‖ / λ_min(H)`
/// (SPEC §4.2: `P_T − H⁻¹ = −H⁻¹M^T`, `‖H⁻¹M^T‖ = max_j |1 − ηλ_j|^T/λ_j`),
/// checked at T = 1, 10, 200. The error itself need not decrease
/// monotonically in T (it is a signed sum over eigen-directions, e.g.
/// `0.9^T − 0.9·0.1^{T−1}` vanishes at T = 1), so it is the bound that is
/// compared, not consecutive errors. ρ and λ_min come from f64 eigenvalues
/// widened by 1e-12·λ_max (nalgebra's symmetric eigensolver is accurate to a
/// few ulps of ‖H‖). The slack `2^-200 T (1 + L_A)² (1 + ‖∇g‖)(1 + max‖c_i‖)`
/// covers the 256-bit rounding of T steps of the recursion (each step loses
/// at most ~(d + m)·2^-256 relative to ‖H‖‖J‖ + ‖G‖).
///
/// Implicit estimator from θ_0 = 0 after T steps, δ = θ_T − θ*:
/// `‖δ‖ ≤ ρ^T ‖θ*‖` and, expanding ∇g(θ*+δ), ∇f_i(θ*+δ),
/// `|h_i − ∇Φ_i| ≤ (‖A_0‖‖δ‖‖c_i‖ + ‖∇g(θ*)‖‖A_i‖‖δ‖ + ‖A_0‖‖A_i‖‖δ‖²)/λ_min(H)`,
/// checked at T = 1, 10, 100.
fn check_convergence_mp(g: &Gen) -> Result<(), TestCaseError> {
    const PREC: u32 = 256;
    let inst = g.instance();
    let c = consts(&inst);
    let p = Problem::<Mp>::new(&inst, &PREC);
    let wq = g.w();
    let w = mp_vec(&wq, PREC);
    let ev = symmetric_eigenvalues_f64(&Problem::<Exact>::new(&inst, &()).hessian(&wq));
    let (lmin, lmax) = (ev[0], ev[ev.len() - 1]);
    let slack_ev = 1e-12 * lmax;
    let lmin_lo = lmin - slack_ev;
    let eta = rational_to_f64_nearest(&inst.eta);
    let rho = up((1.0 - eta * (lmin - slack_ev))
        .abs()
        .max((1.0 - eta * (lmax + slack_ev)).abs()));
    prop_assert!(lmin_lo >= 1.0 - 1e-9, "λ_min(H) = {} < 1", lmin);
    prop_assert!(rho < 1.0, "ρ = {} ≥ 1", rho);

    let ts = p.theta_star(&w).expect("H ≻ 0");
    let grad = p.grad_phi(&w).expect("H ≻ 0");
    let ngg = fnorm(&p.grad_g(&ts));
    let nc: Vec<f64> = (0..g.m).map(|i| fnorm(&p.grad_f(i, &ts))).collect();
    let ncmax = nc.iter().copied().fold(0.0, f64::max);
    for t in [1usize, 10, 200] {
        let (_, est) = unrolled_round(&p, &w, &ts, t);
        let slack =
            (-200f64).exp2() * t as f64 * (1.0 + c.la).powi(2) * (1.0 + ngg) * (1.0 + ncmax);
        for i in 0..g.m {
            let err = dist(&est[i], &grad[i]);
            let bound = up(rho.powi(t as i32) * ngg * nc[i] / lmin_lo) + slack;
            prop_assert!(
                err <= bound,
                "unrolled T = {}, domain {}: error {:e} > bound {:e} (ρ = {})",
                t,
                i,
                err,
                bound,
                rho
            );
        }
    }

    let nts = fnorm(&ts);
    for t in [1usize, 10, 100] {
        let cfg = MixConfig::<Mp> {
            steps: t,
            budget: t,
            alpha: Mp::with_val(PREC, 0.0625),
            estimator: Estimator::Implicit,
            theta0: vec![Mp::with_val(PREC, 0); g.d],
            w0: w.clone(),
            max_bits: 1 << 22,
        };
        let mut tc = TraceCollector::default();
        mix::run(&p, &cfg, Pgd, &mut [&mut tc]).expect("mp run");
        let theta_t = &tc.records[1].theta;
        let hk = tc.records[0].h.as_ref().expect("round 0 has an estimate");
        let delta = vdist(theta_t, &ts);
        let slack =
            (-200f64).exp2() * t as f64 * (1.0 + c.la).powi(2) * (1.0 + ngg) * (1.0 + ncmax + nts);
        prop_assert!(
            delta <= up(rho.powi(t as i32) * nts) + slack,
            "‖θ_T − θ*‖ = {:e} > ρ^T‖θ*‖ at T = {}",
            delta,
            t
        );
        for i in 0..g.m {
            let err = dist(&hk[i], &grad[i]);
            let bound = up((c.n0 * delta * nc[i]
                + ngg * c.tr[i] * delta
                + c.n0 * c.tr[i] * delta * delta)
                / lmin_lo)
                + slack;
            prop_assert!(
                err <= bound,
                "implicit T = {}, domain {}: error {:e} > bound {:e}",
                t,
                i,
                err,
                bound
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Property 3: f64 and mp:256 agree on short runs (pgd, unrolled).
// ---------------------------------------------------------------------------

/// Smallest k with 2^-k ≤ x (x > 0).
fn log2_ceil_inv(x: f64) -> u32 {
    let mut k = 0;
    while (-(k as f64)).exp2() > x {
        k += 1;
    }
    k
}

/// The data of the agreement bound for one run.
struct RunShape {
    m: usize,
    d: usize,
    eta: f64,
    alpha: f64,
    steps: usize,
    rounds: usize,
}

/// Magnitudes one round works with (upper bounds):
/// `theta ≥ ‖θ_t‖`, `g ≥ tr A_i ‖θ_t − b_i‖ ≥ ‖|A_i||θ_t − b_i|‖` and ≥ ‖∇f_i(θ_t)‖,
/// `gg ≥ tr A_0 ‖θ_T − b_0‖`, `pj ≥ ‖J_t‖_F` (t ≤ T), `hn ≥ ‖h‖`.
struct Mag {
    theta: f64,
    g: f64,
    gg: f64,
    pj: f64,
    hn: f64,
}

/// Rounding error `(δθ, δw)` of one round of `mix::unrolled_round` followed
/// by `Pgd`, computed with unit roundoff u from the backend's own state,
/// against the exact round from that same state. Standard bounds
/// `γ_n = nu/(1 − nu)` for every dot product and sum of the code; η and α
/// are powers of two, so products with them are exact:
/// * per inner step `ε_θ = η γ_{m+d+1} G + uΘ` (∇f_i = A_i(θ − b_i), the
///   weighted sum, the update), `δθ = T ε_θ` (‖M‖ ≤ 1 carries them);
/// * per Jacobian step `ε_J = η γ_{m+d+2}(L_A P_J + 2√m G) + u P_J`
///   (H = Σw_iA_i, HJ, + G, the update), and the θ rounding feeds J through
///   G_t: `δJ = T ε_J + η√m L_A T²/2 ε_θ`;
/// * `δh = δJ G_g + P_J(γ_{d+1} G_g + ‖A_0‖ δθ) + γ_d P_J G_g`;
/// * `δw = α δh + u‖y‖ + 2√m (m+1) γ_{m+3}(√m‖y‖ + 1) + u`, `‖y‖ ≤ 1 + α‖h‖`,
///   for y = w − αh and Π_Δ(y) (the threshold τ is the largest of m
///   partial-sum quotients; a comparison decided the wrong way by rounding
///   moves it by at most one more rounding error per entry, hence m + 1).
///
/// A floor of 2^-1000 per term stands for underflow to subnormals.
fn local_errors(c: &Consts, s: &RunShape, mag: &Mag, u: f64) -> (f64, f64) {
    let gam = |n: usize| n as f64 * u / (1.0 - n as f64 * u);
    let (m, d) = (s.m, s.d);
    let sm = (m as f64).sqrt();
    let t = s.steps as f64;
    let tiny = (-1000f64).exp2();
    let eps_th = s.eta * gam(m + d + 1) * mag.g + u * mag.theta + tiny;
    let d_th = t * eps_th;
    let eps_j = s.eta * gam(m + d + 2) * (c.la * mag.pj + 2.0 * sm * mag.g) + u * mag.pj + tiny;
    let d_j = t * eps_j + s.eta * sm * c.la * t * t / 2.0 * eps_th;
    let d_h = d_j * mag.gg
        + mag.pj * (gam(d + 1) * mag.gg + c.n0 * d_th)
        + gam(d) * mag.pj * mag.gg
        + tiny;
    let ny = 1.0 + s.alpha * mag.hn;
    let d_w =
        s.alpha * d_h + u * ny + 2.0 * sm * (m as f64 + 1.0) * gam(m + 3) * (sm * ny + 1.0) + u;
    (up(d_th), up(d_w))
}

/// Lipschitz constants of one round, over the region every iterate lives in
/// (‖θ‖ ≤ Θ, w on the simplex; Θ because θ_{t+1} = Mθ_t + ηr with
/// ‖M‖ ≤ 1 − ηλ_min and ‖r‖ ≤ λ_minΘ, starting from θ_0 = 0):
/// * `G = L_A (Θ + max‖b_i‖) ≥ ‖∇f_i(θ)‖`, `G_g = ‖A_0‖(Θ + ‖b_0‖) ≥ ‖∇g(θ)‖`;
/// * `‖J_t‖_F ≤ η t √m G =: P_J` (J_{t+1} = MJ_t − ηG_t, ‖M‖ ≤ 1);
/// * `θ_T(θ_0, w)`: ∂/∂θ_0 = M^T (norm ≤ 1), ∂/∂w = J_T (norm ≤ P_J);
/// * `h(θ_0, w) = J_Tᵀ∇g(θ_T)`, with δM = −ηΣδw_kA_k and δG_t = [A_kδθ_t]:
///   `‖δJ_T‖ ≤ η√m L_A T a + η² m L_A G T(T−1) c`, so
///   `L_hθ = η√m L_A T G_g + P_J ‖A_0‖`,
///   `L_hw = η² m L_A G T(T−1) G_g + P_J² ‖A_0‖` (a = ‖δθ_0‖, c = ‖δw‖);
/// * `w' = Π(w − αh)` with Π non-expansive.
///
/// So the errors `a_k = ‖θ̂_k − θ_k‖`, `c_k = ‖ŵ_k − w_k‖` of a backend with
/// unit roundoff u against exact arithmetic obey
/// `a_{k+1} ≤ a_k + P_J c_k + δθ`,
/// `c_{k+1} ≤ c_k + α(L_hθ a_k + L_hw c_k) + δw`,
/// `a_0 = 0`, `c_0 = √m u` (w_0 = 1/m rounded), with δθ, δw from
/// [`local_errors`] at the magnitudes Θ, G, G_g, P_J, P_J G_g.
///
/// The test asserts `‖ŵ_k^{f64} − ŵ_k^{mp}‖ ≤ 2 (c_k(2^-53) + c_k(2^-256))`;
/// the factor 2 covers what the first-order γ bookkeeping drops (O(u²)
/// terms, the O(u) distance of rounded weights from the simplex, the O(u)
/// relative slack of the constants). With α of the order 1/(10(1 + L_A))
/// these worst-case constants make (1 + αL_hw)^K astronomically large, so
/// this rigorous bound is only asserted for α small enough that
/// `K(αL_hw + √(αL_hθP_J)) ≤ 4` (growth ≤ e^4); the realistic α is covered
/// by the first-order bound of [`check_backends_agree_linearized`].
struct Lip {
    mag: Mag,
    l_ht: f64,
    l_hw: f64,
}

fn lipschitz(c: &Consts, m: usize, eta: f64, steps: usize) -> Lip {
    let sm = (m as f64).sqrt();
    let bmax = c.bn.iter().copied().fold(0.0, f64::max);
    let g = c.la * (c.theta + bmax);
    let gg = c.n0 * (c.theta + c.b0n);
    let t = steps as f64;
    let pj = eta * t * sm * g;
    Lip {
        mag: Mag {
            theta: c.theta,
            g,
            gg,
            pj,
            hn: pj * gg,
        },
        l_ht: eta * sm * c.la * t * gg + pj * c.n0,
        l_hw: eta * eta * m as f64 * c.la * g * t * (t - 1.0) * gg + pj * pj * c.n0,
    }
}

/// `c_k` for k = 0..=K (see [`Lip`]).
fn agreement_bound(c: &Consts, s: &RunShape, u: f64) -> Vec<f64> {
    let l = lipschitz(c, s.m, s.eta, s.steps);
    let (d_th, d_w) = local_errors(c, s, &l.mag, u);
    let (mut a, mut cw) = (0.0, (s.m as f64).sqrt() * u);
    let mut out = vec![cw];
    for _ in 0..s.rounds {
        let a2 = a + l.mag.pj * cw + d_th;
        let c2 = cw + s.alpha * (l.l_ht * a + l.l_hw * cw) + d_w;
        a = a2;
        cw = c2;
        out.push(cw);
    }
    out
}

/// The trace `(θ_k, w_k)`, k = 0..=K, of pgd with the unrolled estimator
/// from θ_0 = 0, w_0 uniform.
type Trace<T> = Vec<(Vec<T>, Vec<T>)>;

fn run_trace<T: Scalar>(p: &Problem<T>, steps: usize, rounds: usize, alpha: &Rational) -> Trace<T> {
    let ctx = &p.ctx;
    let m = p.m();
    let cfg = MixConfig::<T> {
        steps,
        budget: steps * rounds,
        alpha: T::from_rational(alpha, ctx),
        estimator: Estimator::Unrolled,
        theta0: vec![T::zero(ctx); p.d()],
        w0: vec![T::from_rational(&Rational::from((1, m as u64)), ctx); m],
        max_bits: 1 << 22,
    };
    let mut tc = TraceCollector::default();
    mix::run(p, &cfg, Pgd, &mut [&mut tc]).expect("run");
    tc.records.into_iter().map(|r| (r.theta, r.w)).collect()
}

/// η = 2^-k ≤ 1/(1 + L_A), exact in f64 (so both backends run the same η).
fn pow2_eta(inst: Instance, c: &Consts) -> (Instance, u32) {
    let eta_k = log2_ceil_inv(1.0 / (1.0 + c.la));
    (inst.with_eta(pow2_inv(eta_k)).expect("η < 2/λ_max"), eta_k)
}

fn assert_traces_within(
    w64: &Trace<f64>,
    wmp: &Trace<Mp>,
    bound: &[f64],
    what: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(w64.len(), bound.len());
    prop_assert_eq!(wmp.len(), bound.len());
    for (k, b) in bound.iter().enumerate() {
        let diff = vdist(&w64[k].1, &wmp[k].1);
        prop_assert!(
            diff <= *b,
            "round {}: ‖w_f64 − w_mp‖ = {:e} > bound {:e} ({})",
            k,
            diff,
            b,
            what
        );
    }
    Ok(())
}

/// Property 3a: the rigorous a-priori bound of [`Lip`], at small α.
fn check_backends_agree(
    g: &Gen,
    steps: usize,
    rounds: usize,
    shift: u32,
) -> Result<(), TestCaseError> {
    let inst = g.instance();
    let c = consts(&inst);
    let (inst, eta_k) = pow2_eta(inst, &c);
    let eta = (-(eta_k as f64)).exp2();
    let l = lipschitz(&c, g.m, eta, steps);
    let k_cap = log2_ceil_inv(1.0 / (10.0 * (1.0 + c.la)));
    let mut k0 = k_cap;
    let kf = rounds as f64;
    let growth = |k: u32| {
        let a = (-(k as f64)).exp2();
        kf * (a * l.l_hw + (a * l.l_ht * l.mag.pj).sqrt())
    };
    while growth(k0) > 1.0 {
        k0 += 1;
    }
    let alpha_k = k0.saturating_sub(shift).max(k_cap);
    let shape = RunShape {
        m: g.m,
        d: g.d,
        eta,
        alpha: (-(alpha_k as f64)).exp2(),
        steps,
        rounds,
    };
    let b64 = agreement_bound(&c, &shape, (-53f64).exp2());
    let bmp = agreement_bound(&c, &shape, (-256f64).exp2());
    let bound: Vec<f64> = b64.iter().zip(&bmp).map(|(x, y)| 2.0 * (x + y)).collect();
    let alpha = pow2_inv(alpha_k);
    let w64 = run_trace(&Problem::<f64>::new(&inst, &()), steps, rounds, &alpha);
    let wmp = run_trace(&Problem::<Mp>::new(&inst, &256), steps, rounds, &alpha);
    let what = format!("a priori, T = {steps}, α = 2^-{alpha_k}, η = 2^-{eta_k}");
    assert_traces_within(&w64, &wmp, &bound, &what)
}

/// Spectral norm of the block `rows × cols` of a dense f64 matrix, as
/// `√λ_max(XᵀX)`, rounded up.
fn block_norm(jac: &[Vec<f64>], rows: std::ops::Range<usize>, cols: std::ops::Range<usize>) -> f64 {
    let n = cols.len();
    let mut xtx = Matrix::<f64>::zeros(n, n, &());
    for (a, ca) in cols.clone().enumerate() {
        for (b, cb) in cols.clone().enumerate() {
            xtx[(a, b)] = rows.clone().map(|r| jac[r][ca] * jac[r][cb]).sum();
        }
    }
    let ev = symmetric_eigenvalues_f64(&xtx);
    let top = ev.last().copied().unwrap_or(0.0).max(0.0);
    // Eigenvalues of a symmetric f64 matrix are accurate to a few ulps of
    // its norm; 1e-9 of relative (and 1e-30 absolute) slack covers that and
    // the finite-difference error below.
    (top * (1.0 + 1e-9)).sqrt() + 1e-30
}

/// Property 3b, at the realistic α = 2^s·2^-⌈log₂ 10(1 + L_A)⌉, s ∈ 0..=3.
/// The exact round as a map of the state, `S(θ, w) = (θ_T, w − αh)`
/// followed by Π_Δ (non-expansive), is smooth, so to first order in the
/// backend's error `(a_k, c_k)`:
/// `a_{k+1} ≤ ‖∂θ_T/∂θ‖ a_k + ‖∂θ_T/∂w‖ c_k + δθ_k`,
/// `c_{k+1} ≤ ‖∂y/∂θ‖ a_k + ‖∂y/∂w‖ c_k + δw_k`,
/// with the Jacobian of S taken at the mp:256 state of round k (central
/// differences, step 2^-64, truncation ~2^-128, rounding ~2^-192: far below
/// the 1e-9 slack of [`block_norm`]) and the local rounding `δθ_k, δw_k` of
/// [`local_errors`] at the magnitudes of that round: Θ_k = max_t ‖θ_t‖,
/// G_k = max_{t,i} tr A_i ‖θ_t − b_i‖, G_{g,k} = tr A_0 ‖θ_T − b_0‖,
/// P_{J,k} = η Σ_{t<T} ‖[∇f_1(θ_t) … ∇f_m(θ_t)]‖_F, ‖h_k‖.
/// The factor 2 in the assertion covers the dropped second-order terms
/// (the errors are below 1e-10 and the map's second derivatives moderate)
/// and the O(u) differences between the f64 and mp states' magnitudes.
fn check_backends_agree_linearized(
    g: &Gen,
    steps: usize,
    rounds: usize,
    shift: u32,
) -> Result<(), TestCaseError> {
    const PREC: u32 = 256;
    let inst = g.instance();
    let c = consts(&inst);
    let (inst, eta_k) = pow2_eta(inst, &c);
    let eta = (-(eta_k as f64)).exp2();
    let alpha_k = log2_ceil_inv(1.0 / (10.0 * (1.0 + c.la))) - shift;
    let alpha = pow2_inv(alpha_k);
    let shape = RunShape {
        m: g.m,
        d: g.d,
        eta,
        alpha: (-(alpha_k as f64)).exp2(),
        steps,
        rounds,
    };
    let p = Problem::<Mp>::new(&inst, &PREC);
    let alpha_mp = Mp::with_val(PREC, &alpha);
    let w64 = run_trace(&Problem::<f64>::new(&inst, &()), steps, rounds, &alpha);
    let wmp = run_trace(&p, steps, rounds, &alpha);
    let (d, m) = (g.d, g.m);
    let smooth = |x: &[Mp]| -> Vec<Mp> {
        let (th, h) = unrolled_round(&p, &x[d..], &x[..d], steps);
        let y = x[d..]
            .iter()
            .zip(&h)
            .map(|(wi, hi)| wi.clone() - &(alpha_mp.clone() * hi));
        th.into_iter().chain(y).collect()
    };
    let fd_step = Mp::with_val(PREC, pow2_inv(64));
    let mut bounds = Vec::with_capacity(rounds + 1);
    for u in [(-53f64).exp2(), (-256f64).exp2()] {
        let (mut a, mut cw) = (0.0, (m as f64).sqrt() * u);
        let mut out = vec![cw];
        for (theta, w) in wmp.iter().take(rounds) {
            // Magnitudes of this round along the mp trajectory.
            let mut th = theta.clone();
            let (mut theta_max, mut gmax, mut pj) = (fnorm(&th), 0.0f64, 0.0);
            for _ in 0..steps {
                for i in 0..m {
                    let e: Vec<Mp> = th.iter().zip(&p.b[i]).map(|(x, b)| x.clone() - b).collect();
                    gmax = gmax.max(up(c.tr[i] * fnorm(&e)));
                }
                let gf: f64 = (0..m).map(|i| fnorm(&p.grad_f(i, &th)).powi(2)).sum();
                pj += eta * gf.sqrt();
                th = inner_steps(&p, w, &th, 1);
                theta_max = theta_max.max(fnorm(&th));
            }
            let e0: Vec<Mp> = th.iter().zip(&p.b0).map(|(x, b)| x.clone() - b).collect();
            let (_, h) = unrolled_round(&p, w, theta, steps);
            let mag = Mag {
                theta: theta_max,
                g: gmax,
                gg: up(c.n0 * fnorm(&e0)),
                pj: up(pj),
                hn: fnorm(&h),
            };
            let (d_th, d_w) = local_errors(&c, &shape, &mag, u);
            // Jacobian of the smooth part of the round, column j = ∂S/∂x_j.
            let x: Vec<Mp> = theta.iter().chain(w).cloned().collect();
            let mut jac = vec![vec![0.0; d + m]; d + m];
            for j in 0..d + m {
                let mut xp = x.clone();
                let mut xm = x.clone();
                xp[j] += &fd_step;
                xm[j] -= &fd_step;
                let (sp, sm) = (smooth(&xp), smooth(&xm));
                for r in 0..d + m {
                    jac[r][j] = ((sp[r].clone() - &sm[r]) / &fd_step / 2u32).to_f64();
                }
            }
            let n_tt = block_norm(&jac, 0..d, 0..d);
            let n_tw = block_norm(&jac, 0..d, d..d + m);
            let n_yt = block_norm(&jac, d..d + m, 0..d);
            let n_yw = block_norm(&jac, d..d + m, d..d + m);
            let a2 = n_tt * a + n_tw * cw + d_th;
            let c2 = n_yt * a + n_yw * cw + d_w;
            a = up(a2);
            cw = up(c2);
            out.push(cw);
        }
        bounds.push(out);
    }
    let bound: Vec<f64> = bounds[0]
        .iter()
        .zip(&bounds[1])
        .map(|(x, y)| 2.0 * (x + y))
        .collect();
    let what = format!("first order, T = {steps}, α = 2^-{alpha_k}, η = 2^-{eta_k}");
    assert_traces_within(&w64, &wmp, &bound, &what)
}

// ---------------------------------------------------------------------------
// Property 5: simplex projection on Exact.
// ---------------------------------------------------------------------------

/// All points of the simplex with coordinates in (1/n)ℤ.
fn simplex_grid(m: usize, n: u32) -> Vec<Vec<Rational>> {
    fn rec(m: usize, left: u32, n: u32, cur: &mut Vec<u32>, out: &mut Vec<Vec<Rational>>) {
        if cur.len() + 1 == m {
            cur.push(left);
            out.push(cur.iter().map(|&k| Rational::from((k, n))).collect());
            cur.pop();
            return;
        }
        for k in 0..=left {
            cur.push(k);
            rec(m, left - k, n, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(m, n, n, &mut Vec::new(), &mut out);
    out
}

fn dist2(x: &[Rational], y: &[Rational]) -> Rational {
    x.iter()
        .zip(y)
        .map(|(a, b)| {
            let d = Rational::from(a - b);
            Rational::from(&d * &d)
        })
        .sum()
}

fn check_projection(y: &[Rational]) -> Result<(), TestCaseError> {
    let p = project(y, &());
    prop_assert!(
        p.iter().all(|x| x.cmp0() != std::cmp::Ordering::Less),
        "negative entry in {:?}",
        p
    );
    prop_assert_eq!(p.iter().sum::<Rational>(), Rational::from(1));
    // KKT: Π(y)_i = max(y_i − τ, 0) for one τ.
    let i0 = p
        .iter()
        .position(|x| x.cmp0() == std::cmp::Ordering::Greater)
        .expect("sum is 1");
    let tau = Rational::from(&y[i0] - &p[i0]);
    for (yi, pi) in y.iter().zip(&p) {
        let want = Rational::from(yi - &tau).max(Rational::new());
        prop_assert_eq!(pi, &want, "not of the form max(y − τ, 0), τ = {}", tau);
    }
    let best = dist2(y, &p);
    for q in simplex_grid(y.len(), 24) {
        prop_assert!(
            dist2(y, &q) >= best,
            "grid point {:?} is closer to {:?} than Π = {:?}",
            q,
            y,
            p
        );
    }
    Ok(())
}

fn rational_strategy() -> impl Strategy<Value = Rational> {
    (-40i64..=40, 1i64..=8).prop_map(|(n, d)| Rational::from((n, d)))
}

// ---------------------------------------------------------------------------
// The proptest properties.
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Property 1: ∇Φ (512 bits) equals central differences of Φ (512 bits)
    /// with step 2^-100 along e_i and e_i − e_j, within [`fd_bound`].
    #[test]
    fn grad_phi_matches_central_differences(g in gen_strategy()) {
        check_grad_phi_fd(&g)?;
    }

    /// Property 2a (exact): SPEC §4.2 closed form of the unrolled estimator
    /// at a fixed point, and the implicit estimator there is ∇Φ exactly.
    #[test]
    fn estimators_at_fixed_point_are_exact(g in gen_strategy()) {
        check_fixed_point_exact(&g)?;
    }

    /// Property 2b (mp:256): the unrolled estimator's error is below
    /// ρ^T‖∇g‖‖c_i‖/λ_min; the implicit one converges as θ → θ*.
    #[test]
    fn estimators_converge_to_hypergradient(g in gen_strategy()) {
        check_convergence_mp(&g)?;
    }

    /// Property 3a: f64 and mp:256 trajectories of pgd/unrolled stay within
    /// the rigorous a-priori rounding bound (see [`Lip`]) at small α.
    #[test]
    fn f64_and_mp_agree_a_priori(
        g in gen_strategy(),
        steps in 1usize..=5,
        rounds in 1usize..=20,
        shift in 0u32..=2,
    ) {
        check_backends_agree(&g, steps, rounds, shift)?;
    }

    /// Property 3b: the same at α ≈ 1/(10(1 + L_A))·2^s, s ∈ 0..=3, against
    /// the first-order bound along the trajectory.
    #[test]
    fn f64_and_mp_agree_first_order(
        g in gen_strategy(),
        steps in 1usize..=5,
        rounds in 1usize..=20,
        shift in 0u32..=3,
    ) {
        check_backends_agree_linearized(&g, steps, rounds, shift)?;
    }

    /// Property 5: Π_Δ on Exact lands on the simplex, has the KKT form, and
    /// no point of the 1/24 grid of the simplex is strictly closer.
    #[test]
    fn projection_is_nearest_point(y in (2usize..=3).prop_flat_map(|m| pvec(rational_strategy(), m))) {
        check_projection(&y)?;
    }
}

// ---------------------------------------------------------------------------
// Property 4: the backends' laws (quickcheck).
// ---------------------------------------------------------------------------

/// Same value (so −0 and +0 agree), compared exactly.
fn same_value<T: Scalar>(x: &T, y: &T) -> bool {
    x.to_rational() == y.to_rational()
}

fn f64_round_trips(x: f64) -> TestResult {
    if !x.is_finite() {
        return TestResult::discard();
    }
    let q = match parse_rational(&x.to_text()) {
        Ok(q) => q,
        Err(_) => return TestResult::failed(),
    };
    TestResult::from_bool(same_value(&rational_to_f64_nearest(&q), &x))
}

fn f32_round_trips(x: f32) -> TestResult {
    if !x.is_finite() {
        return TestResult::discard();
    }
    let q = match parse_rational(&x.to_text()) {
        Ok(q) => q,
        Err(_) => return TestResult::failed(),
    };
    TestResult::from_bool(same_value(&rational_to_f32_nearest(&q), &x))
}

#[test]
fn qc_f64_text_round_trip() {
    QuickCheck::new().quickcheck(f64_round_trips as fn(f64) -> TestResult);
    QuickCheck::new()
        .quickcheck((|bits: u64| f64_round_trips(f64::from_bits(bits))) as fn(u64) -> TestResult);
}

#[test]
fn qc_f32_text_round_trip() {
    QuickCheck::new().quickcheck(f32_round_trips as fn(f32) -> TestResult);
    QuickCheck::new()
        .quickcheck((|bits: u32| f32_round_trips(f32::from_bits(bits))) as fn(u32) -> TestResult);
}

/// An MPFR number with a random significand of up to `limbs.len()·64` bits
/// (rounded to `prec`) and a binary exponent in ±2^12.
fn mp_from_parts(prec: u32, limbs: &[u64], exp: i16, negative: bool) -> Float {
    let n = Integer::from_digits(limbs, Order::Lsf);
    let x = Float::with_val(prec, n) << i32::from(exp / 8);
    if negative {
        -x
    } else {
        x
    }
}

fn mp_round_trips(prec: u32, limbs: Vec<u64>, exp: i16, negative: bool) -> bool {
    let x = mp_from_parts(prec, &limbs, exp, negative);
    match parse_rational(&x.to_text()) {
        Ok(q) => Float::with_val(prec, &q) == x,
        Err(_) => false,
    }
}

#[test]
fn qc_mp_text_round_trip() {
    fn at_100(limbs: Vec<u64>, exp: i16, negative: bool) -> bool {
        mp_round_trips(100, limbs, exp, negative)
    }
    fn at_300(limbs: Vec<u64>, exp: i16, negative: bool) -> bool {
        mp_round_trips(300, limbs, exp, negative)
    }
    /// A rational p/q rounded to the precision, then round-tripped.
    fn ratio(prec_pick: bool, p: i64, q: i64) -> TestResult {
        if q == 0 {
            return TestResult::discard();
        }
        let prec = if prec_pick { 300 } else { 100 };
        let x = Float::with_val(prec, Rational::from((p, q)));
        let back = parse_rational(&x.to_text()).map(|r| Float::with_val(prec, &r));
        TestResult::from_bool(back.is_ok_and(|b| b == x))
    }
    QuickCheck::new().quickcheck(at_100 as fn(Vec<u64>, i16, bool) -> bool);
    QuickCheck::new().quickcheck(at_300 as fn(Vec<u64>, i16, bool) -> bool);
    QuickCheck::new().quickcheck(ratio as fn(bool, i64, i64) -> TestResult);
}

fn rat(p: i64, q: i64) -> Option<Rational> {
    (q != 0).then(|| Rational::from((p, q)))
}

#[test]
fn qc_exact_text_round_trip() {
    fn prop(p: i64, q: i64, scale: u8) -> TestResult {
        let Some(x) = rat(p, q) else {
            return TestResult::discard();
        };
        // Spread over many magnitudes: x · 10^scale / 7^scale.
        let x = x * Rational::from((
            Integer::from(10).pow(u32::from(scale)),
            Integer::from(7).pow(u32::from(scale)),
        ));
        TestResult::from_bool(parse_rational(&x.to_text()).is_ok_and(|y| y == x))
    }
    QuickCheck::new().quickcheck(prop as fn(i64, i64, u8) -> TestResult);
}

/// The field laws, written against the `Scalar` trait so that it is the
/// trait's operator implementations on `Exact` that are exercised.
fn field_laws<T: Scalar>(a: T, b: T, c: T, ctx: &T::Ctx) -> bool {
    let assoc_add = (a.clone() + &b) + &c == a.clone() + &(b.clone() + &c);
    let assoc_mul = (a.clone() * &b) * &c == a.clone() * &(b.clone() * &c);
    let distrib = a.clone() * &(b.clone() + &c) == a.clone() * &b + &(a.clone() * &c);
    let comm = a.clone() * &b == b.clone() * &a && a.clone() + &b == b.clone() + &a;
    let div = b.is_zero() || (a.clone() / &b) * &b == a;
    let sub = (a.clone() - &a).is_zero() && a.clone() - &a == T::zero(ctx);
    let neg = -a.clone() + &a == T::zero(ctx);
    let one = a.clone() * &T::one(ctx) == a;
    let mut acc = a.clone();
    acc += &b;
    acc -= &b;
    acc *= &c;
    let assign = acc == a.clone() * &c;
    assoc_add && assoc_mul && distrib && comm && div && sub && neg && one && assign
}

#[test]
fn qc_exact_field_identities() {
    fn prop(v: (i64, i64, i64, i64, i64, i64)) -> TestResult {
        let (Some(a), Some(b), Some(c)) = (rat(v.0, v.1), rat(v.2, v.3), rat(v.4, v.5)) else {
            return TestResult::discard();
        };
        TestResult::from_bool(field_laws::<Exact>(a, b, c, &()))
    }
    QuickCheck::new().quickcheck(prop as fn((i64, i64, i64, i64, i64, i64)) -> TestResult);
}

/// `x` is a nearest float to `q`: no neighbour is strictly closer, and on a
/// tie the even significand wins.
macro_rules! nearest_check {
    ($name:ident, $t:ty, $round:ident) => {
        fn $name(q: &Rational) -> bool {
            let x: $t = $round(q);
            if !x.is_finite() {
                return false;
            }
            let xq = Rational::from_f64(x as f64).expect("finite");
            let dx = Rational::from(q - &xq).abs();
            let mut ok = true;
            for nb in [x.next_up(), x.next_down()] {
                if let Some(nq) = Rational::from_f64(nb as f64) {
                    let dn = Rational::from(q - &nq).abs();
                    ok &= dx <= dn;
                    if dx == dn {
                        ok &= x.to_bits() & 1 == 0;
                    }
                }
            }
            ok
        }
    };
}

nearest_check!(nearest_f64, f64, rational_to_f64_nearest);
nearest_check!(nearest_f32, f32, rational_to_f32_nearest);

#[test]
fn qc_conversions_are_correctly_rounded() {
    /// p/q · 2^e over the normal, subnormal and large ranges of each format.
    fn ratio(p: i64, q: i64, e: i16) -> TestResult {
        let Some(x) = rat(p, q) else {
            return TestResult::discard();
        };
        let e64 = i32::from(e) % 1100;
        let e32 = i32::from(e) % 150;
        let scaled = |e: i32| {
            if e >= 0 {
                &x * Rational::from(Integer::from(1) << e.unsigned_abs())
            } else {
                &x / Rational::from(Integer::from(1) << e.unsigned_abs())
            }
        };
        let (x64, x32) = (scaled(e64), scaled(e32));
        let fits64 = x64.clone().abs() <= Rational::from_f64(f64::MAX).expect("finite");
        let fits32 = x32.clone().abs() <= Rational::from_f64(f64::from(f32::MAX)).expect("finite");
        if !fits64 || !fits32 {
            return TestResult::discard();
        }
        TestResult::from_bool(nearest_f64(&x64) && nearest_f32(&x32))
    }
    /// Exact midpoints between neighbouring floats, and points a hair off
    /// them: the ties-to-even and the tie-breaking comparisons.
    fn midpoints(b64: u64, b32: u32) -> TestResult {
        let (x, y) = (f64::from_bits(b64), f32::from_bits(b32));
        if !x.is_finite() || !x.next_up().is_finite() || !y.is_finite() || !y.next_up().is_finite()
        {
            return TestResult::discard();
        }
        let mid = |a: f64, b: f64| {
            (Rational::from_f64(a).expect("finite") + Rational::from_f64(b).expect("finite")) / 2u32
        };
        let m64 = mid(x, x.next_up());
        let m32 = mid(f64::from(y), f64::from(y.next_up()));
        let hair = Rational::from((1, 1u64 << 62))
            * Rational::from_f64(f64::MIN_POSITIVE).expect("finite");
        let mut ok = nearest_f64(&m64) && nearest_f32(&m32);
        ok &= nearest_f64(&Rational::from(&m64 + &hair))
            && nearest_f64(&Rational::from(&m64 - &hair));
        ok &= nearest_f32(&Rational::from(&m32 + &hair))
            && nearest_f32(&Rational::from(&m32 - &hair));
        TestResult::from_bool(ok)
    }
    QuickCheck::new().quickcheck(ratio as fn(i64, i64, i16) -> TestResult);
    QuickCheck::new().quickcheck(midpoints as fn(u64, u32) -> TestResult);
}
