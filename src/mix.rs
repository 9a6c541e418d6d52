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
        // Shifting h by its minimum changes nothing after normalization and
        // keeps every exponent ≤ 0, so nothing overflows.
        let hmin = h
            .iter()
            .skip(1)
            .fold(h[0].clone(), |m, x| if *x < m { x.clone() } else { m });
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

/// The state between rounds: round index k, `θ_k`, `w_k`.
#[derive(Clone, Debug)]
pub struct MixState<T> {
    /// Round index k.
    pub k: usize,
    /// `θ_k` (warm start of round k).
    pub theta: Vec<T>,
    /// `w_k`.
    pub w: Vec<T>,
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
}

impl<'a, T: Scalar, U: WeightUpdate<T>> Mix<'a, T, U> {
    /// A validated solver.
    pub fn new(problem: &'a Problem<T>, config: &'a MixConfig<T>, update: U) -> Result<Self> {
        config.validate(problem)?;
        Ok(Mix {
            problem,
            config,
            update,
        })
    }

    /// The start `(θ_0, w_0)`.
    pub fn init(&self) -> MixState<T> {
        MixState {
            k: 0,
            theta: self.config.theta0.clone(),
            w: self.config.w0.clone(),
        }
    }

    /// Φ, g and ‖G‖² at the state; `∇Φ(w_k)` too, which the `exact`
    /// estimator reuses.
    fn measure(&self, s: &MixState<T>) -> Result<(RoundRecord<T>, Vec<T>)> {
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
        let p = self.problem;
        let ctx = &p.ctx;
        let (mut rec, grad_phi) = self.measure(&s)?;
        let (theta_t, h) = match self.config.estimator {
            Estimator::Unrolled => unrolled_round(p, &s.w, &s.theta, self.config.steps),
            other => {
                let theta_t = inner_steps(p, &s.w, &s.theta, self.config.steps);
                let h = match other {
                    Estimator::Exact => grad_phi,
                    Estimator::Alignment => {
                        let gg = p.grad_g(&theta_t);
                        (0..p.m())
                            .map(|i| -dot(&gg, &p.grad_f(i, &theta_t)))
                            .collect()
                    }
                    Estimator::Implicit => {
                        let gg = p.grad_g(&theta_t);
                        let v = p.hessian(&s.w).solve(&gg).ok_or_else(|| Error::Singular {
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
        let w_next = self.update.apply(&s.w, &h, &self.config.alpha, ctx);
        rec.h = Some(h);
        let next = MixState {
            k: s.k + 1,
            theta: theta_t,
            w: w_next,
        };
        self.check(&next)?;
        Ok((next, rec))
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

/// `T` plain inner steps `θ_{t+1} = θ_t − η ∇F(θ_t; w)`.
pub fn inner_steps<T: Scalar>(p: &Problem<T>, w: &[T], theta0: &[T], steps: usize) -> Vec<T> {
    // ∇F(θ; w) = H(w) θ − r(w): one matrix-vector product per step.
    let h = p.hessian(w);
    let r = p.rhs(w);
    let mut theta = theta0.to_vec();
    for _ in 0..steps {
        let grad = sub(&h.mul_vec(&theta), &r);
        for (t, g) in theta.iter_mut().zip(grad) {
            *t -= p.eta.clone() * &g;
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
    let ctx = &p.ctx;
    let (d, m) = (p.d(), p.m());
    let h = p.hessian(w);
    let mut theta = theta0.to_vec();
    let mut jac = Matrix::zeros(d, m, ctx);
    for _ in 0..steps {
        let grads: Vec<Vec<T>> = (0..m).map(|i| p.grad_f(i, &theta)).collect();
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
    let mix = Mix::new(problem, config, update)?;
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
