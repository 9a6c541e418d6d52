//! The bound model of SPEC §4.5 as a proved claim: for MIX(T, N) with the
//! `unrolled` estimator (warm start, full gradients), the `pgd` weight update
//! and a constant outer step α, the `stationarity` metric of SPEC §3 obeys
//!
//! ```text
//!     stationarity(N, T) = (1/K) Σ_{k<K} ‖G(w_k)‖²  ≤  C_K / K + C_E · E(T)²
//!                                                  ≤  C₁ T/N + C₂ ρ_b^{2T}
//! ```
//!
//! for every budget N and horizon T with `K = ⌊N/T⌋ ≥ 1`, whenever
//! `0 < α ≤ α_max = 1/L_Φ`. The derivation, with every constant, is
//! `proofs/bound.md`; the names below follow it:
//!
//! | symbol | meaning |
//! |---|---|
//! | `μ`, `L` | `min_i λ_min(A_i)`, `max_i λ_max(A_i)` (certified bounds) |
//! | `ρ` | `max(|1 − ημ|, |1 − ηL|) < 1`, the inner contraction (SPEC §4.2) |
//! | `ρ_b` | the rate of the model, `max(ρ^θ, 2^-20)` with θ = 1/2 by default; it must exceed ρ because the error of the warm-started estimator decays like `T ρ^{T−1}`, not `ρ^T` |
//! | `D` | bound on the warm-start error `‖θ_{k,0} − θ*(w_k)‖` |
//! | `G` | bound on `‖∇g(θ*(w))‖` over the simplex |
//! | `F` | bound on `‖[∇f_i(θ*(w)) − c̄]_i‖_F` (columns centred) |
//! | `𝒜` | bound on `(Σ_i ‖A_i − Ā‖²)^{1/2}` |
//! | `π̄` | bound on `‖P_T‖ = ‖η Σ_{s<T} M^s‖` |
//! | `L_Φ` | `(‖A_0‖ F² + 2 𝒜 F G) / μ²`, smoothness of Φ on the simplex |
//! | `Δ_Φ` | `Φ(w_0) − Φ_lo ≥ Φ(w_0) − Φ*` |
//!
//! Every constant is an upper bound of the quantity it names, computed as
//! follows: eigenvalue bounds are f64 estimates certified exactly (the
//! shifted matrix is checked positive semidefinite by exact LDLᵀ on the
//! rational data); every difference that could cancel (`1 − ρ`, `3 − 2αL_Φ`,
//! `Φ(w_0) − Φ_lo`) and every squared norm is computed in exact rationals and
//! rounded outward; square roots are rounded up and checked exactly; the
//! remaining f64 arithmetic is products, quotients and sums of nonnegative
//! numbers (plus `ln`/`exp` in one supremum), each final constant then being
//! inflated by [`INFLATION`] = 1 + 10⁻¹², far more than the accumulated
//! rounding of a few hundred such operations (each ≤ 2⁻⁵³ relative).

use rug::Rational;
use serde_json::{json, Value};
use thiserror::Error;

use crate::instance::Instance;
use crate::linalg::{dot, norm2, sub, symmetric_eigenvalues_f64, Matrix};
use crate::model::Problem;
use crate::num::{rational_to_f64_nearest, Scalar};
use crate::optimum::{optimum, OptimumKind, OptimumOptions};

/// Relative inflation applied to every constant computed in f64 from
/// certified inputs: `1 + 10⁻¹²` (see the module documentation).
pub const INFLATION: f64 = 1.0 + 1e-12;

/// Smallest rate the model uses: `ρ_b ≥ 2⁻²⁰`, so that `ρ_b > 0` even when
/// `ρ = 0` (all `A_i = I/η`).
pub const MIN_RATE: f64 = 1.0 / 1_048_576.0;

/// Why a bound model cannot be stated.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BoundError {
    /// An assumption of the theorem fails (α too large, ρ not certifiably
    /// below 1, a bad option).
    #[error("not applicable: {reason}")]
    NotApplicable {
        /// Which assumption, with the numbers.
        reason: String,
    },
    /// An eigenvalue bound could not be certified exactly.
    #[error("cannot certify {what}")]
    Certification {
        /// The quantity.
        what: String,
    },
    /// Evaluating Φ(w_0) failed.
    #[error(transparent)]
    Model(#[from] crate::Error),
}

/// Where the lower bound `Φ_lo ≤ Φ*` in `Δ_Φ = Φ(w_0) − Φ_lo` comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum PhiLower {
    /// `Φ_lo = 0`, valid because `A_0 ⪰ 0` makes `g ≥ 0`.
    Zero,
    /// For two domains the lower end of the certified enclosure of Φ*
    /// ([`crate::optimum`], 128-bit root isolation); otherwise (or if the
    /// certification fails) 0. The default.
    Auto,
    /// A lower bound supplied by the caller. It must be a proved lower
    /// bound of Φ* (a local minimum from the m > 2 search is not).
    Given(Rational),
}

/// Options of [`bound_model_with`].
#[derive(Clone, Debug)]
pub struct BoundOptions {
    /// θ ∈ (0, 1) in `ρ_b = max(ρ^θ, 2⁻²⁰)`. Larger θ gives a rate closer
    /// to ρ and a larger C₂. Default 1/2.
    pub rate_exponent: f64,
    /// The lower bound on Φ* used in `Δ_Φ`. Default [`PhiLower::Auto`].
    pub phi_lower: PhiLower,
}

impl Default for BoundOptions {
    fn default() -> Self {
        BoundOptions {
            rate_exponent: 0.5,
            phi_lower: PhiLower::Auto,
        }
    }
}

/// The proved bound (`proofs/bound.md`, Theorem) for one instance and one α,
/// for runs started at the instance's `θ_0`, `w_0`, with its η.
///
/// All fields are upper bounds of what they name unless said otherwise
/// (`mu` and `alpha_max` are lower bounds).
#[derive(Clone, Debug)]
pub struct BoundModel {
    /// Instance name.
    pub instance: String,
    /// The outer step α the bound is for (exact).
    pub alpha: Rational,
    /// η (nearest f64, display only).
    pub eta: f64,
    /// `μ = min_i λ_min(A_i)`, certified lower bound.
    pub mu: f64,
    /// `L = max_i λ_max(A_i)`, certified upper bound.
    pub l: f64,
    /// `ρ = max(|1 − ημ|, |1 − ηL|)`, the inner contraction factor.
    pub rho_inner: f64,
    /// `ρ_b = max(ρ^θ, 2⁻²⁰) ∈ (ρ, 1)`: the rate of the model.
    pub rho: f64,
    /// `‖A_0‖`.
    pub a0_norm: f64,
    /// `𝒜 ≥ (Σ_i ‖A_i − Ā‖²)^{1/2}` for a fixed symmetric Ā (0 or the mean).
    pub a_spread: f64,
    /// `F ≥ (Σ_i ‖∇f_i(θ*(w)) − c̄(w)‖²)^{1/2}` for every w ∈ Δ.
    pub grad_f: f64,
    /// `G ≥ ‖∇g(θ*(w))‖` for every w ∈ Δ.
    pub grad_g: f64,
    /// `D ≥ ‖θ_{k,0} − θ*(w_k)‖` for every round k of every run.
    pub warm_radius: f64,
    /// `π̄ = max(1/μ, (1 + ρ) η) ≥ ‖P_T‖` for every T.
    pub p_norm: f64,
    /// `L_Φ = (‖A_0‖ F² + 2 𝒜 F G) / μ²`: Φ is L_Φ-smooth on Δ.
    pub l_phi: f64,
    /// `α_max = 1/L_Φ` (rounded down; +∞ when L_Φ = 0): the largest α the
    /// theorem covers.
    pub alpha_max: f64,
    /// `Φ(w_0)` (nearest f64, display only).
    pub phi0: f64,
    /// `Φ_lo ≤ Φ*` (nearest f64, display only).
    pub phi_lower: f64,
    /// Where Φ_lo comes from.
    pub phi_lower_source: &'static str,
    /// `Δ_Φ = Φ(w_0) − Φ_lo ≥ Φ(w_0) − Φ*`, computed exactly, rounded up.
    pub phi_gap: f64,
    /// `q = 3 − 2αL_Φ ∈ [1, 3)`, rounded down.
    pub q: f64,
    /// `C_K = 8 α Δ_Φ / (q min(1, α)²)`: coefficient of 1/K.
    pub c_k: f64,
    /// `C_E = 2 α² (4 + q) / (q min(1, α)²)`: coefficient of E(T)².
    pub c_e: f64,
    /// `a = F (G/μ + π̄ ‖A_0‖ D)` in E(T).
    pub e_a: f64,
    /// `b = η 𝒜 D G` in E(T).
    pub e_b: f64,
    /// `c = η 𝒜 ‖A_0‖ D²` in E(T).
    pub e_c: f64,
    /// `C₁ = 2 C_K` (the 2 pays for `1/K ≤ 2T/N`).
    pub c1: f64,
    /// `C₂ = C_E (a ρ/ρ_b + b s₁ + c s₂)²` with
    /// `s_p = max_{T≥1} T ρ^{pT−1} / ρ_b^T`.
    pub c2: f64,
}

impl BoundModel {
    /// `C₁ T/N + C₂ ρ_b^{2T}`: the bound on `stationarity(N, T)`, valid for
    /// integers `N ≥ T ≥ 1` (it uses `1/⌊N/T⌋ ≤ 2T/N`).
    pub fn value(&self, n: f64, t: f64) -> f64 {
        self.c1 * t / n + self.c2 * self.rho.powf(2.0 * t)
    }

    /// `C_K/K + C_E E(T)²`: the sharper bound the theorem proves first, for
    /// K rounds of horizon T (budget N with `⌊N/T⌋ = K`).
    pub fn value_rounds(&self, k: f64, t: f64) -> f64 {
        let e = self.error_bound(t);
        self.c_k / k + self.c_e * e * e
    }

    /// `E(T) = a ρ^T + b T ρ^{T−1} + c T ρ^{2T−1}`: a bound on the centred
    /// estimation error `‖h_k − ∇Φ(w_k) − mean·1‖` of every round (ρ = `rho_inner`).
    pub fn error_bound(&self, t: f64) -> f64 {
        let r = self.rho_inner;
        self.e_a * r.powf(t) + self.e_b * t * r.powf(t - 1.0) + self.e_c * t * r.powf(2.0 * t - 1.0)
    }

    /// The minimizer over T ≥ 0 of `C₁T/N + C₂ρ_b^{2T}` (a convex function
    /// of T): `max(0, ln(2 C₂ ln(1/ρ_b) N / C₁) / (2 ln(1/ρ_b)))` (SPEC §4.5);
    /// 0 when C₂ = 0, +∞ when C₁ = 0 < C₂.
    pub fn t_b(&self, n: f64) -> f64 {
        if self.c2 <= 0.0 {
            return 0.0;
        }
        if self.c1 <= 0.0 {
            return f64::INFINITY;
        }
        let l = (1.0 / self.rho).ln();
        let t = (2.0 * self.c2 * l * n / self.c1).ln() / (2.0 * l);
        t.max(0.0)
    }

    /// Every constant, with the formulas, as JSON (non-finite numbers as
    /// strings).
    pub fn to_json(&self) -> Value {
        json!({
            "instance": self.instance,
            "claim": "stationarity(N,T) <= C_K/K + C_E*E(T)^2 <= C1*T/N + C2*rho^(2T), K = floor(N/T) >= 1",
            "applies_to": "estimator unrolled (warm start, full gradients), update pgd, constant alpha <= alpha_max = 1/L_phi",
            "alpha": self.alpha.to_string(),
            "alpha_f64": num(self.alpha.to_f64()),
            "alpha_max": num(self.alpha_max),
            "eta": num(self.eta),
            "mu": num(self.mu),
            "L": num(self.l),
            "rho_inner": num(self.rho_inner),
            "rho": num(self.rho),
            "norm_A0": num(self.a0_norm),
            "A_spread": num(self.a_spread),
            "F": num(self.grad_f),
            "G": num(self.grad_g),
            "D": num(self.warm_radius),
            "P_bar": num(self.p_norm),
            "L_phi": num(self.l_phi),
            "phi_w0": num(self.phi0),
            "phi_lower": num(self.phi_lower),
            "phi_lower_source": self.phi_lower_source,
            "phi_gap": num(self.phi_gap),
            "q": num(self.q),
            "C_K": num(self.c_k),
            "C_E": num(self.c_e),
            "E": {"a": num(self.e_a), "b": num(self.e_b), "c": num(self.e_c),
                  "formula": "E(T) = a rho_inner^T + b T rho_inner^(T-1) + c T rho_inner^(2T-1)"},
            "C1": num(self.c1),
            "C2": num(self.c2),
            "T_b": "max(0, ln(2 C2 ln(1/rho) N / C1) / (2 ln(1/rho)))",
        })
    }

    /// A readable summary.
    pub fn to_text(&self) -> String {
        format!(
            "bound model for {} (unrolled, pgd, constant α = {} ≈ {:.6e}; proofs/bound.md)\n\
             \x20 stationarity(N, T) ≤ C_K/K + C_E·E(T)² ≤ C₁·T/N + C₂·ρ_b^(2T),  K = ⌊N/T⌋ ≥ 1\n\
             \x20 μ = {:.6e}  L = {:.6e}  η = {:.6e}  ρ = {:.9}  ρ_b = {:.9}\n\
             \x20 ‖A₀‖ = {:.6e}  𝒜 = {:.6e}  F = {:.6e}  G = {:.6e}  D = {:.6e}  π̄ = {:.6e}\n\
             \x20 L_Φ = {:.6e}  α_max = 1/L_Φ = {:.6e}  q = {:.6}\n\
             \x20 Δ_Φ = Φ(w_0) − Φ_lo = {:.6e} − {:.6e} ≤ {:.6e}  (Φ_lo: {})\n\
             \x20 C_K = {:.6e}  C_E = {:.6e}  E(T) = {:.4e}·ρ^T + {:.4e}·Tρ^(T−1) + {:.4e}·Tρ^(2T−1)\n\
             \x20 C₁ = {:.6e}  C₂ = {:.6e}  T_b(N) = max(0, ln(2C₂ ln(1/ρ_b) N/C₁) / (2 ln(1/ρ_b)))\n",
            self.instance,
            self.alpha,
            self.alpha.to_f64(),
            self.mu,
            self.l,
            self.eta,
            self.rho_inner,
            self.rho,
            self.a0_norm,
            self.a_spread,
            self.grad_f,
            self.grad_g,
            self.warm_radius,
            self.p_norm,
            self.l_phi,
            self.alpha_max,
            self.q,
            self.phi0,
            self.phi_lower,
            self.phi_gap,
            self.phi_lower_source,
            self.c_k,
            self.c_e,
            self.e_a,
            self.e_b,
            self.e_c,
            self.c1,
            self.c2,
        )
    }
}

fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        json!(x.to_string())
    }
}

/// [`bound_model_with`] with the default options (θ = 1/2, Φ_lo = 0).
pub fn bound_model(inst: &Instance, alpha: &Rational) -> Result<BoundModel, BoundError> {
    bound_model_with(inst, alpha, &BoundOptions::default())
}

/// Computes the constants of the theorem in `proofs/bound.md` for `inst`
/// (its η, θ_0, w_0) and the outer step α. Refuses with
/// [`BoundError::NotApplicable`] when `α > 1/L_Φ`, when α ≤ 0, when
/// `ρ < 1` cannot be certified, or on bad options.
///
/// ```
/// use rug::Rational;
/// use tstar::bound::{bound_model, bound_model_with, BoundOptions};
///
/// let inst = tstar::builtin::load("builtin:greedy-fails").unwrap();
/// // The file's α = 1/4 is above 1/L_Φ: not applicable.
/// assert!(bound_model(&inst, &Rational::from((1, 4))).is_err());
/// // The largest applicable α.
/// let probe = bound_model(&inst, &Rational::from((1, 1_000_000))).unwrap();
/// let alpha = Rational::from_f64(probe.alpha_max).unwrap();
/// let model = bound_model_with(&inst, &alpha, &BoundOptions::default()).unwrap();
/// // N = 1000, T = 5, K = 200: the sharp form is below the model form.
/// assert!(model.value_rounds(200.0, 5.0) <= model.value(1000.0, 5.0));
/// assert!(model.t_b(1e4) > model.t_b(1e2));
/// ```
pub fn bound_model_with(
    inst: &Instance,
    alpha: &Rational,
    opts: &BoundOptions,
) -> Result<BoundModel, BoundError> {
    let na = |reason: String| BoundError::NotApplicable { reason };
    if alpha.cmp0() != std::cmp::Ordering::Greater {
        return Err(na(format!("α = {alpha} is not positive")));
    }
    let theta = opts.rate_exponent;
    if !(theta > 0.0 && theta < 1.0) {
        return Err(na(format!("rate exponent θ = {theta} is not in (0, 1)")));
    }
    let m = inst.m();
    let d = inst.d();
    let eta_q = &inst.eta;

    // --- Spectra (certified). -------------------------------------------------
    let mut mu_q: Option<Rational> = None;
    let mut l_q: Option<Rational> = None;
    let mut a_norm = Vec::with_capacity(m);
    for (i, dom) in inst.domains.iter().enumerate() {
        let lo = lambda_min_lower(&dom.a, &format!("λ_min(domains[{i}].A)"))?;
        let hi = lambda_max_upper(&dom.a, &format!("λ_max(domains[{i}].A)"))?;
        if lo.cmp0() != std::cmp::Ordering::Greater {
            return Err(BoundError::Certification {
                what: format!("λ_min(domains[{i}].A) > 0 (the estimate is {lo})"),
            });
        }
        a_norm.push(up(&hi));
        mu_q = Some(match mu_q {
            Some(x) if x <= lo => x,
            _ => lo,
        });
        l_q = Some(match l_q {
            Some(x) if x >= hi => x,
            _ => hi,
        });
    }
    let mu_q = mu_q.expect("m ≥ 2");
    let l_q = l_q.expect("m ≥ 2");
    let mu = down(&mu_q);
    let l = up(&l_q);
    let a0_norm = up(&lambda_max_upper(&inst.val_a, "‖A_0‖")?.max(Rational::new()));

    // ρ and 1 − ρ exactly from the certified endpoints (|1 − ηλ| is convex in λ).
    let one = Rational::from(1);
    let r1 = (&one - Rational::from(eta_q * &mu_q)).abs();
    let r2 = (&one - Rational::from(eta_q * &l_q)).abs();
    let rho_q = if r1 >= r2 { r1 } else { r2 };
    if rho_q >= one {
        return Err(na(format!(
            "cannot certify ρ = max(|1 − ημ|, |1 − ηL|) < 1 (η = {}, μ ≥ {:.6e}, L ≤ {:.6e}): \
             inner gradient descent must contract",
            inst.eta, mu, l
        )));
    }
    let rho = up(&rho_q);
    let one_minus_rho = down(&Rational::from(&one - &rho_q));
    let eta = up(eta_q);
    let rho_b = rho.powf(theta).max(MIN_RATE);
    if !(rho_b > rho && rho_b < 1.0) {
        return Err(na(format!(
            "ρ = {rho} is too close to 1 for a model rate ρ_b = ρ^θ strictly between ρ and 1 in f64"
        )));
    }

    // --- Centred matrices: Ā = mean A_i, r̄ = mean A_i b_i. ---------------------
    let mq = Rational::from(m as u64);
    let mut abar = Matrix::zeros(d, d, &());
    let mut rbar = vec![Rational::new(); d];
    for dom in &inst.domains {
        abar.add_scaled(&Rational::from(1), &dom.a);
        for (r, x) in rbar.iter_mut().zip(dom.a.mul_vec(&dom.b)) {
            *r += x;
        }
    }
    let abar = abar.scaled(&Rational::from((1, m as u64)));
    let rbar: Vec<Rational> = rbar.into_iter().map(|x| x / &mq).collect();
    let mut dev_norm = Vec::with_capacity(m);
    for (i, dom) in inst.domains.iter().enumerate() {
        let x = dom.a.sub(&abar);
        dev_norm.push(up(&sym_norm_upper(&x, &format!("‖domains[{i}].A − Ā‖"))?));
    }
    let sum_sq = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let a_spread = sum_sq(&a_norm).min(sum_sq(&dev_norm));

    // --- Balls, over a finite set of centres z. --------------------------------
    let mut centres: Vec<Vec<Rational>> = vec![vec![Rational::new(); d], inst.theta0.clone()];
    centres.push(inst.val_b.clone());
    let mut bmean = vec![Rational::new(); d];
    for dom in &inst.domains {
        centres.push(dom.b.clone());
        for (s, x) in bmean.iter_mut().zip(&dom.b) {
            *s += x;
        }
    }
    centres.push(bmean.into_iter().map(|x| x / &mq).collect());

    let sqrt_l = sqrt_up(&l_q);
    let sqrt_mu = sqrt_down(&mu_q);
    let mut warm_radius = f64::INFINITY;
    let mut grad_g = f64::INFINITY;
    let mut f_plain = vec![f64::INFINITY; m];
    let mut f_centred = vec![f64::INFINITY; m];
    for z in &centres {
        // x_i = b_i − z. β(z) ≥ ‖Σ_i w_i A_i x_i‖ = ‖H(w)(θ*(w) − z)‖ and
        // R_*(z) ≥ ‖θ*(w) − z‖ for every w ∈ Δ (Lemma 2 of proofs/bound.md):
        // β = min(max_i ‖A_i x_i‖, √L · max_i ‖x_i‖_{A_i}),
        // R_* = min(β/μ, max_i ‖x_i‖_{A_i} / √μ).
        let mut beta_a = 0.0f64;
        let mut energy = 0.0f64;
        for dom in &inst.domains {
            let x = sub(&dom.b, z);
            let ax = dom.a.mul_vec(&x);
            beta_a = beta_a.max(norm_up(&ax));
            energy = energy.max(sqrt_up(&dot(&x, &ax)));
        }
        let beta = beta_a.min(sqrt_l * energy);
        let r_star = (beta / mu).min(energy / sqrt_mu);
        // Every inner iterate stays in B(z, R_θ(z)).
        let r_theta = norm_up(&sub(&inst.theta0, z)).max(eta * beta / one_minus_rho);
        warm_radius = warm_radius.min(r_theta + r_star);
        grad_g = grad_g.min(norm_up(&inst.val_a.mul_vec(&sub(z, &inst.val_b))) + a0_norm * r_star);
        for (i, dom) in inst.domains.iter().enumerate() {
            f_plain[i] =
                f_plain[i].min(norm_up(&dom.a.mul_vec(&sub(z, &dom.b))) + a_norm[i] * r_star);
            // (A_i − Ā) z − A_i b_i + r̄
            let dz = dom.a.sub(&abar).mul_vec(z);
            let ab = dom.a.mul_vec(&dom.b);
            let v: Vec<Rational> = dz
                .iter()
                .zip(&ab)
                .zip(&rbar)
                .map(|((x, y), r)| Rational::from(x - y) + r)
                .collect();
            f_centred[i] = f_centred[i].min(norm_up(&v) + dev_norm[i] * r_star);
        }
    }
    let grad_f = sum_sq(&f_plain).min(sum_sq(&f_centred));
    let p_norm = (1.0 / mu).max((1.0 + rho) * eta);

    // --- Smoothness of Φ and the admissible α. ---------------------------------
    let l_phi =
        INFLATION * (a0_norm * grad_f * grad_f + 2.0 * a_spread * grad_f * grad_g) / (mu * mu);
    let alpha_max = if l_phi > 0.0 {
        (1.0 / l_phi).next_down()
    } else {
        f64::INFINITY
    };
    let alpha_ok =
        alpha_max.is_infinite() || Rational::from_f64(alpha_max).is_some_and(|amax| *alpha <= amax);
    if !alpha_ok {
        return Err(na(format!(
            "α = {} ≈ {:.6e} > 1/L_Φ = {:.6e} (L_Φ = {:.6e} bounds the smoothness of Φ on the simplex)",
            alpha,
            alpha.to_f64(),
            alpha_max,
            l_phi
        )));
    }
    let q_q = Rational::from(3)
        - Rational::from(2) * alpha * Rational::from_f64(l_phi).expect("finite L_Φ");
    let q = down(&q_q).max(1.0);

    // --- Φ(w_0) − Φ_lo, exactly. ----------------------------------------------
    let exact: Problem<Rational> = Problem::new(inst, &());
    let phi0 = exact.phi(&inst.w0)?;
    let (lo, phi_lower_source) = match &opts.phi_lower {
        PhiLower::Zero => (Rational::new(), "0 (g ≥ 0)"),
        PhiLower::Given(q) => (q.clone(), "given"),
        PhiLower::Auto => match certified_phi_star_lower(inst) {
            Some(q) => (q, "certified enclosure of Φ* (two domains)"),
            None => (Rational::new(), "0 (g ≥ 0)"),
        },
    };
    let gap_q = Rational::from(&phi0 - &lo);
    if gap_q.cmp0() == std::cmp::Ordering::Less {
        return Err(na(format!(
            "Φ_lo = {lo} exceeds Φ(w_0) = {phi0}, so it is not a lower bound of Φ*"
        )));
    }
    let phi_gap = up(&gap_q);

    // --- Constants. -------------------------------------------------------------
    let alpha_up = up(alpha);
    let m_alpha = down(alpha).min(1.0);
    let c_k = INFLATION * 8.0 * alpha_up * phi_gap / (q * m_alpha * m_alpha);
    let c_e = INFLATION * 2.0 * alpha_up * alpha_up * (4.0 + q) / (q * m_alpha * m_alpha);
    let e_a = INFLATION * grad_f * (grad_g / mu + p_norm * a0_norm * warm_radius);
    let e_b = INFLATION * eta * a_spread * warm_radius * grad_g;
    let e_c = INFLATION * eta * a_spread * a0_norm * warm_radius * warm_radius;
    let s1 = sup_t_rho(rho, rho_b, 1);
    let s2 = sup_t_rho(rho, rho_b, 2);
    let e_sup = e_a * (rho / rho_b) + e_b * s1 + e_c * s2;
    let c1 = 2.0 * c_k;
    let c2 = INFLATION * c_e * e_sup * e_sup;

    Ok(BoundModel {
        instance: inst.name.clone(),
        alpha: alpha.clone(),
        eta: eta_q.to_f64(),
        mu,
        l,
        rho_inner: rho,
        rho: rho_b,
        a0_norm,
        a_spread,
        grad_f,
        grad_g,
        warm_radius,
        p_norm,
        l_phi,
        alpha_max,
        phi0: phi0.to_f64(),
        phi_lower: lo.to_f64(),
        phi_lower_source,
        phi_gap,
        q,
        c_k,
        c_e,
        e_a,
        e_b,
        e_c,
        c1,
        c2,
    })
}

/// The lower end of the certified enclosure of Φ* for two domains.
fn certified_phi_star_lower(inst: &Instance) -> Option<Rational> {
    if inst.m() != 2 {
        return None;
    }
    let opts = OptimumOptions {
        bits: 128,
        ..OptimumOptions::default()
    };
    let opt = optimum(inst, &opts).ok()?;
    if opt.kind != OptimumKind::Certified {
        return None;
    }
    opt.enclosure.map(|(lo, _)| lo)
}

/// `max_{T ≥ 1 integer} T ρ^{pT−1} / ρ_b^T` for `0 ≤ ρ < ρ_b`, p ∈ {1, 2}.
/// The logarithm `ln T + (pT − 1) ln ρ − T ln ρ_b` is concave in real T with
/// its maximum at `T_c = 1/(ln ρ_b − p ln ρ)`, so the integer maximum is at
/// ⌊T_c⌋ or ⌈T_c⌉ (or T = 1 when T_c < 1); neighbours are evaluated too.
fn sup_t_rho(rho: f64, rho_b: f64, p: i32) -> f64 {
    if rho <= 0.0 {
        // ρ^{pT−1} = 0 except 0⁰ = 1 at T = 1, p = 1.
        return if p == 1 { 1.0 / rho_b } else { 0.0 };
    }
    let (lr, lb) = (rho.ln(), rho_b.ln());
    let pf = f64::from(p);
    let f = |t: f64| (t.ln() + (pf * t - 1.0) * lr - t * lb).exp();
    let tc = 1.0 / (lb - pf * lr);
    let mut best = f(1.0);
    if tc.is_finite() && tc > 1.0 {
        let fl = tc.floor();
        for t in [fl - 1.0, fl, fl + 1.0, fl + 2.0] {
            if t >= 1.0 {
                best = best.max(f(t));
            }
        }
    }
    best
}

/// Smallest-ish f64 ≥ q (nearest, moved up one ulp if it fell below).
fn up(q: &Rational) -> f64 {
    let f = rational_to_f64_nearest(q);
    match Rational::from_f64(f) {
        Some(fq) if fq < *q => f.next_up(),
        _ => f,
    }
}

/// Largest-ish f64 ≤ q.
fn down(q: &Rational) -> f64 {
    let f = rational_to_f64_nearest(q);
    match Rational::from_f64(f) {
        Some(fq) if fq > *q => f.next_down(),
        Some(_) => f,
        None => f64::MAX,
    }
}

/// An f64 ≥ ‖v‖.
fn norm_up(v: &[Rational]) -> f64 {
    sqrt_up(&norm2(v))
}

/// An f64 ≥ √q (q ≥ 0), checked exactly: `s² ≥ q` in rationals.
fn sqrt_up(q: &Rational) -> f64 {
    let mut s = up(q).sqrt();
    while let Some(sq) = Rational::from_f64(s) {
        if Rational::from(&sq * &sq) >= *q {
            break;
        }
        s = s.next_up();
    }
    s
}

/// An f64 ≤ √q (q ≥ 0), checked exactly: `s² ≤ q` in rationals.
fn sqrt_down(q: &Rational) -> f64 {
    let mut s = down(q).max(0.0).sqrt();
    while let Some(sq) = Rational::from_f64(s) {
        if s <= 0.0 || Rational::from(&sq * &sq) <= *q {
            break;
        }
        s = s.next_down();
    }
    s
}

/// `a − s I`.
fn shift(a: &Matrix<Rational>, s: &Rational) -> Matrix<Rational> {
    a.sub(&Matrix::identity(a.rows(), &()).scaled(s))
}

/// Candidate offsets from an f64 eigenvalue estimate: 0 first (integer
/// spectra are then exact), then growing multiples of the scale.
fn offsets(ev: &[f64]) -> impl Iterator<Item = f64> {
    let scale = ev.iter().fold(1.0f64, |s, x| s.max(x.abs()));
    std::iter::once(0.0).chain((0..24).map(move |j| scale * 1e-13 * 8f64.powi(j)))
}

/// A rational `c ≤ λ_min(a)`, certified by `a − cI ⪰ 0` exactly.
fn lambda_min_lower(a: &Matrix<Rational>, what: &str) -> Result<Rational, BoundError> {
    let ev = symmetric_eigenvalues_f64(a);
    let lam = ev[0];
    for off in offsets(&ev) {
        let mut c = lam - off;
        if lam > 0.0 && c <= 0.0 {
            c = lam / 2.0;
        }
        if let Some(cq) = Rational::from_f64(c) {
            if shift(a, &cq).is_positive_semidefinite() {
                return Ok(cq);
            }
        }
    }
    // Last resort for a positive definite matrix with a tiny λ_min.
    let mut c = lam / 2.0;
    for _ in 0..64 {
        if let Some(cq) = Rational::from_f64(c) {
            if c > 0.0 && shift(a, &cq).is_positive_semidefinite() {
                return Ok(cq);
            }
        }
        c /= 2.0;
    }
    Err(BoundError::Certification {
        what: what.to_string(),
    })
}

/// A rational `c ≥ λ_max(a)`, certified by `cI − a ⪰ 0` exactly.
fn lambda_max_upper(a: &Matrix<Rational>, what: &str) -> Result<Rational, BoundError> {
    let ev = symmetric_eigenvalues_f64(a);
    let lam = *ev.last().expect("d ≥ 1");
    for off in offsets(&ev) {
        if let Some(cq) = Rational::from_f64(lam + off) {
            let neg = shift(a, &cq).scaled(&Rational::from(-1));
            if neg.is_positive_semidefinite() {
                return Ok(cq);
            }
        }
    }
    Err(BoundError::Certification {
        what: what.to_string(),
    })
}

/// A rational `s ≥ ‖x‖₂` for symmetric x: `sI ∓ x ⪰ 0`.
fn sym_norm_upper(x: &Matrix<Rational>, what: &str) -> Result<Rational, BoundError> {
    let hi = lambda_max_upper(x, what)?;
    let neg = x.scaled(&Rational::from(-1));
    let lo = lambda_max_upper(&neg, what)?;
    Ok(hi.max(lo).max(Rational::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_helpers_are_outward() {
        let third = Rational::from((1, 3));
        assert!(Rational::from_f64(up(&third)).unwrap() >= third);
        assert!(Rational::from_f64(down(&third)).unwrap() <= third);
        let v = vec![Rational::from(1), Rational::from((1, 3))];
        let s = Rational::from_f64(norm_up(&v)).unwrap();
        assert!(Rational::from(&s * &s) >= norm2(&v));
    }

    #[test]
    fn eigenvalue_bounds_are_certified_and_exact_on_integer_spectra() {
        let a = Matrix::from_rows(vec![
            vec![Rational::from(2), Rational::from(1)],
            vec![Rational::from(1), Rational::from(2)],
        ])
        .unwrap();
        assert_eq!(lambda_min_lower(&a, "a").unwrap(), 1);
        assert_eq!(lambda_max_upper(&a, "a").unwrap(), 3);
        assert_eq!(
            sym_norm_upper(&a.scaled(&Rational::from(-1)), "a").unwrap(),
            3
        );
    }

    #[test]
    fn supremum_matches_brute_force() {
        for &(rho, rb) in &[(0.5f64, 0.75f64), (0.9, 0.95), (0.99, 0.995), (0.0, 0.5)] {
            for p in [1, 2] {
                let brute = (1..20_000)
                    .map(|t| {
                        let t = f64::from(t);
                        t * rho.powf(f64::from(p) * t - 1.0) / rb.powf(t)
                    })
                    .fold(0.0f64, f64::max);
                let s = sup_t_rho(rho, rb, p);
                assert!(s >= brute * (1.0 - 1e-12), "ρ={rho} p={p}: {s} < {brute}");
                assert!(
                    s <= brute * (1.0 + 1e-9) + 1e-300,
                    "ρ={rho} p={p}: {s} > {brute}"
                );
            }
        }
    }
}
