//! The algorithm MIX(T, N) (SPEC §2): hypergradient estimators, weight
//! updates, and the runner.
//!
//! Shaped after argmin: [`Mix::next_round`] is one round, taking the state
//! by value and returning the next; [`run`] owns the loop and hands every
//! [`RoundRecord`] to [`Observer`]s (the trace writer and the metric
//! collectors are observers, not code inside the solver).

use std::str::FromStr;

use crate::error::{Error, Result};
use crate::linalg::{dot, sub, Matrix};
use crate::model::{grad_mapping_norm2_from, Problem};
use crate::num::{Scalar, Transcendental};
use crate::simplex::project;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// How `h_k ≈ ∇Φ(w_k)` is estimated after the T inner steps (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimator {
    /// T-step lookahead: `h_k = ∂g(θ_{k,T})/∂w` at `w_k` with `θ_{k,0}` held
    /// fixed, by the forward recursion `J_0 = 0`,
    /// `J_{t+1} = (I − ηH(w_k)) J_t − η [∇f_1(θ_{k,t}) … ∇f_m(θ_{k,t})]`,
    /// `h_k = J_Tᵀ ∇g(θ_{k,T})`. At T = 1 this is the greedy
    /// `h_{k,i} = −η ∇g(θ_{k,1})ᵀ ∇f_i(θ_{k,0})`.
    Unrolled,
    /// `h_{k,i} = −∇g(θ_{k+1})ᵀ H(w_k)⁻¹ ∇f_i(θ_{k+1})`: the hypergradient
    /// formula at the current inner iterate.
    Implicit,
    /// `h_{k,i} = −∇g(θ_{k+1})ᵀ ∇f_i(θ_{k+1})`: gradient alignment.
    Alignment,
    /// The oracle `h_k = ∇Φ(w_k)` from the closed form (quadratics only).
    Exact,
}

impl FromStr for Estimator {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "unrolled" => Ok(Estimator::Unrolled),
            "implicit" => Ok(Estimator::Implicit),
            "alignment" => Ok(Estimator::Alignment),
            "exact" => Ok(Estimator::Exact),
            _ => Err(format!(
                "unknown estimator `{s}`: expected unrolled, implicit, alignment or exact"
            )),
        }
    }
}

impl std::fmt::Display for Estimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Estimator::Unrolled => "unrolled",
            Estimator::Implicit => "implicit",
            Estimator::Alignment => "alignment",
            Estimator::Exact => "exact",
        })
    }
}

/// Which weight update, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateKind {
    /// Exponentiated gradient ([`Eg`]).
    Eg,
    /// Projected gradient ([`Pgd`]).
    Pgd,
}

impl FromStr for UpdateKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "eg" => Ok(UpdateKind::Eg),
            "pgd" => Ok(UpdateKind::Pgd),
            _ => Err(format!("unknown update `{s}`: expected eg or pgd")),
        }
    }
}

impl std::fmt::Display for UpdateKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UpdateKind::Eg => "eg",
            UpdateKind::Pgd => "pgd",
        })
    }
}

/// A weight update `w_{k+1} = U(w_k, h_k)` (SPEC §2).
pub trait WeightUpdate<T: Scalar> {
    /// The next weights from the current ones, the estimate and the step α.
    fn apply(&self, w: &[T], h: &[T], alpha: &T, ctx: &T::Ctx) -> Vec<T>;
}

/// Projected gradient: `w_{k+1} = Π_Δ(w_k − α h_k)`; exact on `Exact`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pgd;

impl<T: Scalar> WeightUpdate<T> for Pgd {
    fn apply(&self, w: &[T], h: &[T], alpha: &T, ctx: &T::Ctx) -> Vec<T> {
        let y: Vec<T> = w
            .iter()
            .zip(h)
            .map(|(wi, hi)| wi.clone() - &(alpha.clone() * hi))
            .collect();
        project(&y, ctx)
    }
}

/// Exponentiated gradient (mirror descent): `w_{k+1,i} ∝ w_{k,i} exp(−α h_{k,i})`.
/// Needs `exp`, hence bounded on [`Transcendental`]: not available on `Exact`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Eg;

impl<T: Transcendental> WeightUpdate<T> for Eg {
    fn apply(&self, w: &[T], h: &[T], alpha: &T, ctx: &T::Ctx) -> Vec<T> {
        // Shifting h by a constant changes nothing after normalization;
        // shifting by (an f64 copy of) its minimum keeps every exponent near
        // or below 0, so nothing overflows — and needs no comparison of
        // backend numbers, which an interval might not be able to decide.
        let hmin = h.iter().map(|x| x.to_f64()).fold(f64::INFINITY, f64::min);
        let hmin = T::from_f64(if hmin.is_finite() { hmin } else { 0.0 }, ctx);
        let u: Vec<T> = w
            .iter()
            .zip(h)
            .map(|(wi, hi)| wi.clone() * &(-(alpha.clone() * &(hi.clone() - &hmin))).exp())
            .collect();
        let s = u.iter().fold(T::zero(ctx), |s, x| s + x);
        u.into_iter().map(|x| x / &s).collect()
    }
}

/// Parameters of one MIX(T, N) run.
#[derive(Clone, Debug)]
pub struct MixConfig<T: Scalar> {
    /// Inner steps per round, T ≥ 1.
    pub steps: usize,
    /// Budget of inner gradient steps, N ≥ T.
    pub budget: usize,
    /// Outer step α.
    pub alpha: T,
    /// Hypergradient estimator.
    pub estimator: Estimator,
    /// Start θ_0.
    pub theta0: Vec<T>,
    /// Start w_0.
    pub w0: Vec<T>,
    /// On a growing-size backend (`Exact`): stop with a clear error when a
    /// number needs more bits than this.
    pub max_bits: u64,
}

impl<T: Scalar> MixConfig<T> {
    /// The configuration of a run of `inst` on a backend: its `θ_0`, `w_0`
    /// and the exact α, each rounded once to the backend.
    pub fn from_instance(
        inst: &crate::instance::Instance,
        ctx: &T::Ctx,
        steps: usize,
        budget: usize,
        alpha: &rug::Rational,
        estimator: Estimator,
        max_bits: u64,
    ) -> Self {
        let conv = |q: &rug::Rational| T::from_rational(q, ctx);
        MixConfig {
            steps,
            budget,
            alpha: conv(alpha),
            estimator,
            theta0: inst.theta0.iter().map(conv).collect(),
            w0: inst.w0.iter().map(conv).collect(),
            max_bits,
        }
    }

    /// K = ⌊N / T⌋, the number of weight updates.
    pub fn rounds(&self) -> usize {
        self.budget / self.steps
    }

    fn validate(&self, p: &Problem<T>) -> Result<()> {
        check_horizon(self.steps, self.budget)?;
        if self.theta0.len() != p.d() || self.w0.len() != p.m() {
            return Err(Error::param("start", "θ_0 or w_0 has the wrong dimension"));
        }
        Ok(())
    }
}

/// Refuses T = 0 and N < T (no round would fit: K = ⌊N/T⌋ = 0).
pub fn check_horizon(steps: usize, budget: usize) -> Result<()> {
    if steps == 0 {
        return Err(Error::param("--steps", "T must be at least 1"));
    }
    if budget < steps {
        return Err(Error::param(
            "--budget",
            format!("N = {budget} is smaller than T = {steps}: no round fits (K = ⌊N/T⌋ = 0)"),
        ));
    }
    Ok(())
}

/// Step-size schedule of the outer update (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Schedule {
    /// `α_k = α`.
    #[default]
    Constant,
    /// `α_k = α / √(k + 1)`; needs a square root (not on `Exact`).
    InvSqrt,
}

impl FromStr for Schedule {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "constant" => Ok(Schedule::Constant),
            "invsqrt" => Ok(Schedule::InvSqrt),
            _ => Err(format!(
                "unknown schedule `{s}`: expected constant or invsqrt"
            )),
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Schedule::Constant => "constant",
            Schedule::InvSqrt => "invsqrt",
        })
    }
}

/// Gaussian gradient noise (SPEC §2, stochastic gradients): each inner
/// gradient `∇f_i(θ)` becomes `∇f_i(θ) + σ ξ`, `ξ ~ N(0, I_d)`, independent
/// per domain and step, drawn in binary64 from ChaCha8 seeded with `seed`,
/// in the order step t, domain i, coordinate j — so the same seed gives the
/// same numbers on every machine and backend. The unrolled estimator uses
/// the same noisy gradients as the step; the validation gradient is exact.
#[derive(Clone, Debug)]
pub struct Noise<T> {
    /// σ ≥ 0.
    pub sigma: T,
    /// Seed of the generator.
    pub seed: u64,
}

/// How a round is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RoundMethod {
    /// The T-step recursion of SPEC §2: the reference, on every backend.
    #[default]
    Iterative,
    /// The closed form of SPEC §4.4 (cost independent of T) where the
    /// backend has a symmetric eigensolver, the estimator is `unrolled`, there
    /// is no noise and T > 2d; otherwise the recursion.
    Auto,
}

/// Options of a run beyond [`MixConfig`]: schedule, noise, round method.
#[derive(Clone, Debug)]
pub struct RoundOptions<T> {
    /// Outer step-size schedule.
    pub schedule: Schedule,
    /// Gradient noise, if any.
    pub noise: Option<Noise<T>>,
    /// Iterative or closed-form rounds.
    pub method: RoundMethod,
}

impl<T> Default for RoundOptions<T> {
    fn default() -> Self {
        RoundOptions {
            schedule: Schedule::Constant,
            noise: None,
            method: RoundMethod::Iterative,
        }
    }
}

/// The state between rounds: round index k, `θ_k`, `w_k`, and the noise
/// generator's position.
#[derive(Clone, Debug)]
pub struct MixState<T> {
    /// Round index k.
    pub k: usize,
    /// `θ_k` (warm start of round k).
    pub theta: Vec<T>,
    /// `w_k`.
    pub w: Vec<T>,
    /// The noise generator, when the run is stochastic.
    pub rng: Option<ChaCha8Rng>,
}

/// What an observer sees of round k: the state entering the round and the
/// estimate it produced. The last record (k = K) has no estimate.
#[derive(Clone, Debug)]
pub struct RoundRecord<T> {
    /// Round index k.
    pub k: usize,
    /// `w_k`.
    pub w: Vec<T>,
    /// `θ_k`.
    pub theta: Vec<T>,
    /// `Φ(w_k)`.
    pub phi: T,
    /// `g(θ_k)`.
    pub g_theta: T,
    /// `‖G(w_k)‖²`, the squared simplex gradient mapping.
    pub grad_map2: T,
    /// `h_k`, absent for k = K.
    pub h: Option<Vec<T>>,
}

/// Sees every round of a run.
pub trait Observer<T> {
    /// Called once per record, in order k = 0, 1, …, K.
    fn observe(&mut self, record: &RoundRecord<T>);
}

/// Keeps the whole trace.
#[derive(Clone, Debug)]
pub struct TraceCollector<T> {
    /// Records k = 0..=K.
    pub records: Vec<RoundRecord<T>>,
}

impl<T> Default for TraceCollector<T> {
    fn default() -> Self {
        TraceCollector {
            records: Vec::new(),
        }
    }
}

impl<T: Clone> Observer<T> for TraceCollector<T> {
    fn observe(&mut self, record: &RoundRecord<T>) {
        self.records.push(record.clone());
    }
}

/// One MIX(T, N) solver on a problem with a weight update.
pub struct Mix<'a, T: Scalar, U> {
    problem: &'a Problem<T>,
    config: &'a MixConfig<T>,
    update: U,
    options: RoundOptions<T>,
    closed_form: bool,
}

impl<'a, T: Scalar, U: WeightUpdate<T>> Mix<'a, T, U> {
    /// A validated solver with default options (constant α, no noise,
    /// iterative rounds).
    pub fn new(problem: &'a Problem<T>, config: &'a MixConfig<T>, update: U) -> Result<Self> {
        Self::with_options(problem, config, update, RoundOptions::default())
    }

    /// A validated solver with options.
    pub fn with_options(
        problem: &'a Problem<T>,
        config: &'a MixConfig<T>,
        update: U,
        options: RoundOptions<T>,
    ) -> Result<Self> {
        config.validate(problem)?;
        if options.schedule == Schedule::InvSqrt
            && T::from_i64(2, &problem.ctx).sqrt_checked().is_none()
        {
            return Err(Error::Unsupported(
                "the invsqrt schedule needs √ and the exact backend has none; use --alpha-schedule constant or a floating backend".into(),
            ));
        }
        if let Some(n) = &options.noise {
            if n.sigma < T::zero(&problem.ctx) {
                return Err(Error::param("--noise", "σ must be ≥ 0"));
            }
        }
        let closed_form = options.method == RoundMethod::Auto
            && config.estimator == Estimator::Unrolled
            && options.noise.is_none()
            && config.steps > 2 * problem.d()
            && T::sym_eigen(&Matrix::identity(1, &problem.ctx)).is_some();
        Ok(Mix {
            problem,
            config,
            update,
            options,
            closed_form,
        })
    }

    /// The start `(θ_0, w_0)`.
    pub fn init(&self) -> MixState<T> {
        MixState {
            k: 0,
            theta: self.config.theta0.clone(),
            w: self.config.w0.clone(),
            rng: self
                .options
                .noise
                .as_ref()
                .map(|n| ChaCha8Rng::seed_from_u64(n.seed)),
        }
    }

    /// Φ, g and ‖G‖² at the state; `∇Φ(w_k)` too, which the `exact`
    /// estimator reuses.
    pub fn measure(&self, s: &MixState<T>) -> Result<(RoundRecord<T>, Vec<T>)> {
        let p = self.problem;
        let (phi, grad) = p.phi_and_grad(&s.w)?;
        let grad_map2 = grad_mapping_norm2_from(&s.w, &grad, &p.ctx);
        let rec = RoundRecord {
            k: s.k,
            w: s.w.clone(),
            theta: s.theta.clone(),
            phi,
            g_theta: p.g(&s.theta),
            grad_map2,
            h: None,
        };
        Ok((rec, grad))
    }

    /// One round: T inner steps from the warm start, the estimate `h_k`,
    /// and the weight update. Returns the next state and the record of
    /// round k.
    pub fn next_round(&self, s: MixState<T>) -> Result<(MixState<T>, RoundRecord<T>)> {
        let (mut rec, grad_phi) = self.measure(&s)?;
        let (next, h) = self.advance(s, Some(grad_phi))?;
        rec.h = Some(h);
        Ok((next, rec))
    }

    /// The round without measurements: the next state and `h_k`. The
    /// `exact` estimator needs `∇Φ(w_k)`; pass it when already computed.
    pub fn advance(
        &self,
        mut s: MixState<T>,
        grad_phi: Option<Vec<T>>,
    ) -> Result<(MixState<T>, Vec<T>)> {
        let p = self.problem;
        let ctx = &p.ctx;
        let steps = self.config.steps;
        let sigma = self.options.noise.as_ref().map(|n| &n.sigma);
        let mut noise = match (sigma, s.rng.as_mut()) {
            (Some(sig), Some(rng)) => Some((sig, rng)),
            _ => None,
        };
        let (theta_t, h) = match self.config.estimator {
            Estimator::Unrolled if self.closed_form => {
                unrolled_round_closed(p, &s.w, &s.theta, steps)
                    .unwrap_or_else(|| Ok(unrolled_round_noisy(p, &s.w, &s.theta, steps, None)))?
            }
            Estimator::Unrolled => unrolled_round_noisy(
                p,
                &s.w,
                &s.theta,
                steps,
                noise.as_mut().map(|(a, b)| (*a, &mut **b)),
            ),
            other => {
                let theta_t = inner_steps_noisy(
                    p,
                    &s.w,
                    &s.theta,
                    steps,
                    noise.as_mut().map(|(a, b)| (*a, &mut **b)),
                );
                let h = match other {
                    Estimator::Exact => match grad_phi {
                        Some(g) => g,
                        None => p.grad_phi(&s.w)?,
                    },
                    Estimator::Alignment => {
                        let gg = p.grad_g(&theta_t);
                        (0..p.m())
                            .map(|i| -dot(&gg, &p.grad_f(i, &theta_t)))
                            .collect()
                    }
                    Estimator::Implicit => {
                        let gg = p.grad_g(&theta_t);
                        let v = p
                            .hessian(&s.w)
                            .solve_spd(&gg)
                            .ok_or_else(|| Error::Singular {
                                what: "H(w_k)⁻¹ ∇g(θ_{k+1})".into(),
                            })?;
                        (0..p.m())
                            .map(|i| -dot(&v, &p.grad_f(i, &theta_t)))
                            .collect()
                    }
                    Estimator::Unrolled => unreachable!("handled above"),
                };
                (theta_t, h)
            }
        };
        let alpha = match self.options.schedule {
            Schedule::Constant => self.config.alpha.clone(),
            Schedule::InvSqrt => {
                let root = T::from_i64(s.k as i64 + 1, ctx)
                    .sqrt_checked()
                    .expect("checked when the solver was built");
                self.config.alpha.clone() / &root
            }
        };
        let w_next = self.update.apply(&s.w, &h, &alpha, ctx);
        let next = MixState {
            k: s.k + 1,
            theta: theta_t,
            w: w_next,
            rng: s.rng,
        };
        self.check(&next)?;
        Ok((next, h))
    }

    fn check(&self, s: &MixState<T>) -> Result<()> {
        if s.w.iter().chain(&s.theta).any(|x| !x.is_finite()) {
            return Err(Error::NonFinite {
                round: s.k,
                what: "w or θ".into(),
            });
        }
        let bits =
            s.w.iter()
                .chain(&s.theta)
                .filter_map(Scalar::bit_size)
                .max();
        if let Some(bits) = bits {
            if bits > self.config.max_bits {
                return Err(Error::ExactTooLarge {
                    round: s.k,
                    bits,
                    limit: self.config.max_bits,
                });
            }
        }
        Ok(())
    }
}

/// Adds `σ ξ_i` to each domain gradient, drawing in the documented order.
fn add_noise<T: Scalar>(grads: &mut [Vec<T>], noise: Option<(&T, &mut ChaCha8Rng)>, ctx: &T::Ctx) {
    if let Some((sigma, rng)) = noise {
        for g in grads.iter_mut() {
            for x in g.iter_mut() {
                let xi: f64 = rng.sample(StandardNormal);
                *x += sigma.clone() * &T::from_f64(xi, ctx);
            }
        }
    }
}

/// `T` plain inner steps `θ_{t+1} = θ_t − η ∇F(θ_t; w)`.
pub fn inner_steps<T: Scalar>(p: &Problem<T>, w: &[T], theta0: &[T], steps: usize) -> Vec<T> {
    inner_steps_noisy(p, w, theta0, steps, None)
}

/// Inner steps with optional gradient noise.
fn inner_steps_noisy<T: Scalar>(
    p: &Problem<T>,
    w: &[T],
    theta0: &[T],
    steps: usize,
    mut noise: Option<(&T, &mut ChaCha8Rng)>,
) -> Vec<T> {
    let ctx = &p.ctx;
    let mut theta = theta0.to_vec();
    if noise.is_none() {
        // ∇F(θ; w) = H(w) θ − r(w): one matrix-vector product per step.
        let h = p.hessian(w);
        let r = p.rhs(w);
        for _ in 0..steps {
            let grad = sub(&h.mul_vec(&theta), &r);
            for (t, g) in theta.iter_mut().zip(grad) {
                *t -= p.eta.clone() * &g;
            }
        }
        return theta;
    }
    for _ in 0..steps {
        let mut grads: Vec<Vec<T>> = (0..p.m()).map(|i| p.grad_f(i, &theta)).collect();
        add_noise(&mut grads, noise.as_mut().map(|(a, b)| (*a, &mut **b)), ctx);
        for (r, t) in theta.iter_mut().enumerate() {
            let mut step = T::zero(ctx);
            for (wi, gi) in w.iter().zip(&grads) {
                step += wi.clone() * &gi[r];
            }
            *t -= p.eta.clone() * &step;
        }
    }
    theta
}

/// T inner steps carrying the unrolled Jacobian `J_t = ∂θ_{k,t}/∂w`
/// forward, then `h = J_Tᵀ ∇g(θ_{k,T})`.
pub fn unrolled_round<T: Scalar>(
    p: &Problem<T>,
    w: &[T],
    theta0: &[T],
    steps: usize,
) -> (Vec<T>, Vec<T>) {
    unrolled_round_noisy(p, w, theta0, steps, None)
}

fn unrolled_round_noisy<T: Scalar>(
    p: &Problem<T>,
    w: &[T],
    theta0: &[T],
    steps: usize,
    mut noise: Option<(&T, &mut ChaCha8Rng)>,
) -> (Vec<T>, Vec<T>) {
    let ctx = &p.ctx;
    let (d, m) = (p.d(), p.m());
    let h = p.hessian(w);
    let mut theta = theta0.to_vec();
    let mut jac = Matrix::zeros(d, m, ctx);
    for _ in 0..steps {
        let mut grads: Vec<Vec<T>> = (0..m).map(|i| p.grad_f(i, &theta)).collect();
        add_noise(&mut grads, noise.as_mut().map(|(a, b)| (*a, &mut **b)), ctx);
        // J ← J − η (H J + G): the same as M J − η G with M = I − ηH.
        let hj = h.mul_mat(&jac);
        for r in 0..d {
            for (c, gc) in grads.iter().enumerate() {
                let t = p.eta.clone() * &(hj[(r, c)].clone() + &gc[r]);
                jac[(r, c)] -= t;
            }
        }
        for r in 0..d {
            let mut step = T::zero(ctx);
            for (wi, gi) in w.iter().zip(&grads) {
                step += wi.clone() * &gi[r];
            }
            theta[r] -= p.eta.clone() * &step;
        }
    }
    let est = jac.tr_mul_vec(&p.grad_g(&theta));
    (theta, est)
}

/// `x^n` by repeated squaring (field operations only).
pub fn powu<T: Scalar>(x: &T, mut n: usize, ctx: &T::Ctx) -> T {
    let mut base = x.clone();
    let mut acc = T::one(ctx);
    while n > 0 {
        if n & 1 == 1 {
            acc *= &base;
        }
        n >>= 1;
        if n > 0 {
            base = base.clone() * &base;
        }
    }
    acc
}

/// The divided difference `K(x, y) = Σ_{s<T} x^{T−1−s} y^s = (x^T − y^T)/(x − y)`
/// (`T x^{T−1}` when x = y), free of cancellation: with `c = (x + y)/2`,
/// `δ = (x − y)/2`, `K = Σ_{odd k} C(T, k) c^{T−k} δ^{k−1}`, a series whose
/// terms shrink like `(Tδ/c)²`; it is used when `T|δ| < |c|/2`, and the
/// quotient otherwise, where it loses at most about one ulp.
pub fn divided_power_difference<T: Scalar>(x: &T, y: &T, t: usize, ctx: &T::Ctx) -> T {
    let two = T::from_i64(2, ctx);
    let c = (x.clone() + y) / &two;
    let delta = (x.clone() - y) / &two;
    if delta.is_zero() {
        return T::from_i64(t as i64, ctx) * &powu(x, t.saturating_sub(1), ctx);
    }
    let tdelta = T::from_i64(t as i64, ctx) * &delta.abs();
    if tdelta.clone() + &tdelta >= c.abs() {
        return (powu(x, t, ctx) - &powu(y, t, ctx)) / &(x.clone() - y);
    }
    // Σ over odd k ≤ T: C(T, k) c^{T−k} δ^{k−1}.
    let d2 = delta.clone() * &delta;
    let c2 = c.clone() * &c;
    let mut sum = T::zero(ctx);
    let mut k = 1usize;
    // binom = C(T, k); power terms c^{T−k} δ^{k−1}.
    let mut binom = T::from_i64(t as i64, ctx);
    let mut term_pow = powu(&c, t - 1, ctx);
    loop {
        let term = binom.clone() * &term_pow;
        let before = sum.clone();
        sum += &term;
        if k + 2 > t || sum == before {
            break;
        }
        // C(T, k+2) = C(T, k) (T−k)(T−k−1) / ((k+1)(k+2)).
        binom = binom * &T::from_i64(((t - k) * (t - k - 1)) as i64, ctx)
            / &T::from_i64(((k + 1) * (k + 2)) as i64, ctx);
        // c^{T−k−2} δ^{k+1} = c^{T−k} δ^{k−1} · δ²/c².
        term_pow = term_pow * &d2 / &c2;
        k += 2;
    }
    sum
}

/// One unrolled round in closed form (SPEC §4.4), at a cost independent of
/// T. With `M = I − ηH(w) = Q Λ Qᵀ`, `e_0 = θ_{k,0} − θ*`, `c_i = ∇f_i(θ*)`:
/// `θ_T = θ* + Q Λ^T Qᵀ e_0` and
/// `h_i = J_T[:, i]ᵀ ∇g(θ_T) = −η ( c_iᵀ S_T ∇g + ⟨A_i, Q (u vᵀ ∘ K) Qᵀ⟩ )`
/// with `S_T = Q diag((1 − λ_j^T)/(1 − λ_j)) Qᵀ`, `u = Qᵀ∇g(θ_T)`,
/// `v = Qᵀe_0` and `K_jk = (λ_j^T − λ_k^T)/(λ_j − λ_k)`. `None` when the
/// backend has no eigensolver.
pub fn unrolled_round_closed<T: Scalar>(
    p: &Problem<T>,
    w: &[T],
    theta0: &[T],
    steps: usize,
) -> Option<Result<(Vec<T>, Vec<T>)>> {
    let ctx = &p.ctx;
    let h = p.hessian(w);
    let (lam_h, q) = T::sym_eigen(&h)?;
    Some((|| {
        let d = p.d();
        let ts = h.solve(&p.rhs(w)).ok_or_else(|| Error::Singular {
            what: "θ*(w) in the closed-form round".into(),
        })?;
        let one = T::one(ctx);
        let lam: Vec<T> = lam_h
            .iter()
            .map(|l| one.clone() - &(p.eta.clone() * l))
            .collect();
        let lam_t: Vec<T> = lam.iter().map(|l| powu(l, steps, ctx)).collect();
        let e0 = sub(theta0, &ts);
        let v = q.tr_mul_vec(&e0);
        let scaled: Vec<T> = v.iter().zip(&lam_t).map(|(a, b)| a.clone() * b).collect();
        let theta_t: Vec<T> = ts
            .iter()
            .zip(q.mul_vec(&scaled))
            .map(|(a, b)| a.clone() + &b)
            .collect();
        let gg = p.grad_g(&theta_t);
        let u = q.tr_mul_vec(&gg);
        // S_T ∇g = Q diag(σ) u, σ_j = (1 − λ_j^T)/(ηλ^H_j).
        let su: Vec<T> = u
            .iter()
            .zip(lam_t.iter().zip(&lam_h))
            .map(|(uj, (lt, lh))| uj.clone() * &(one.clone() - lt) / &(p.eta.clone() * lh))
            .collect();
        let s_grad = q.mul_vec(&su);
        // B = Q C Qᵀ, C_jk = u_j K_jk v_k.
        let mut c = Matrix::zeros(d, d, ctx);
        for j in 0..d {
            for k in 0..d {
                let kjk = if j == k {
                    T::from_i64(steps as i64, ctx) * &powu(&lam[j], steps - 1, ctx)
                } else {
                    divided_power_difference(&lam[j], &lam[k], steps, ctx)
                };
                c[(j, k)] = u[j].clone() * &kjk * &v[k];
            }
        }
        let b = q.mul_mat(&c).mul_mat(&q.transpose());
        let est = (0..p.m())
            .map(|i| {
                let ci = p.grad_f(i, &ts);
                let first = dot(&ci, &s_grad);
                let second = p.a[i]
                    .iter()
                    .zip(b.iter())
                    .fold(T::zero(ctx), |acc, (x, y)| acc + &(x.clone() * y));
                -(p.eta.clone() * &(first + &second))
            })
            .collect();
        Ok((theta_t, est))
    })())
}

/// What a finished run reports, on its backend.
#[derive(Clone, Debug)]
pub struct MixOutcome<T> {
    /// K = ⌊N/T⌋.
    pub rounds: usize,
    /// Final weights `w_K`.
    pub w: Vec<T>,
    /// Final parameters `θ_K`.
    pub theta: Vec<T>,
    /// `Φ(w_K)`.
    pub phi: T,
    /// `g(θ_K)`.
    pub g_theta: T,
    /// `(1/K) Σ_{k<K} ‖G(w_k)‖²` (SPEC §3).
    pub stationarity: T,
}

impl<T: Scalar> MixOutcome<T> {
    /// `gap = Φ(w_K) − Φ*`.
    pub fn gap(&self, phi_star: &T) -> T {
        self.phi.clone() - phi_star
    }

    /// `val = g(θ_K) − Φ*`.
    pub fn val(&self, phi_star: &T) -> T {
        self.g_theta.clone() - phi_star
    }
}

/// Runs MIX(T, N) to the end: K rounds, then a last record for k = K.
pub fn run<T: Scalar, U: WeightUpdate<T>>(
    problem: &Problem<T>,
    config: &MixConfig<T>,
    update: U,
    observers: &mut [&mut dyn Observer<T>],
) -> Result<MixOutcome<T>> {
    run_with(problem, config, update, RoundOptions::default(), observers)
}

/// [`run`] with a schedule, noise or the closed-form round.
pub fn run_with<T: Scalar, U: WeightUpdate<T>>(
    problem: &Problem<T>,
    config: &MixConfig<T>,
    update: U,
    options: RoundOptions<T>,
    observers: &mut [&mut dyn Observer<T>],
) -> Result<MixOutcome<T>> {
    let mix = Mix::with_options(problem, config, update, options)?;
    let rounds = config.rounds();
    let mut state = mix.init();
    let mut sum = T::zero(&problem.ctx);
    for _ in 0..rounds {
        let (next, rec) = mix.next_round(state)?;
        sum += &rec.grad_map2;
        for o in observers.iter_mut() {
            o.observe(&rec);
        }
        state = next;
    }
    let (last, _) = mix.measure(&state)?;
    for o in observers.iter_mut() {
        o.observe(&last);
    }
    Ok(MixOutcome {
        rounds,
        stationarity: sum / &T::from_i64(rounds as i64, &problem.ctx),
        phi: last.phi,
        g_theta: last.g_theta,
        w: state.w,
        theta: state.theta,
    })
}
