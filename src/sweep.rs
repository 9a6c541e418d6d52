//! The budget sweep: `err(N, T)` on a grid of budgets N and horizons T, and
//! the optimal horizon `T*(N)` (SPEC §2 step-size policy, §3).
//!
//! One trajectory of MIX with a given (T, α, seed) yields the metric at every
//! budget `N = K·T`, K = 1, 2, …: `gap` and `val` read the state after K
//! rounds, `stationarity` the running mean `(1/K) Σ_{k<K} ‖G(w_k)‖²`. So a
//! sweep runs one trajectory per (T, α, seed), in parallel, not one per
//! budget.
//!
//! **Fast-forward.** Without noise and with a constant step, a round is a
//! deterministic map of the state `(θ_k, w_k)`. If a state repeats exactly
//! (`(θ_k, w_k) = (θ_{k−p}, w_{k−p})` for some p ≤ 64, compared with `==` on
//! the backend's own numbers), the trajectory is periodic from round k − p
//! on, and every later budget's metric follows exactly from the cycle. On
//! floating backends converging runs reach such a cycle (a fixed point, or a
//! short cycle in the last bits) after some hundreds of rounds, which is what
//! makes long budgets cheap. Nothing is
//! extrapolated: the states are those the full run would visit, and the
//! running sum of `stationarity` differs from the round-by-round sum only by
//! the rounding of `prefix + full · cycle_sum` (none on `Exact`).

use std::io::IsTerminal;
use std::str::FromStr;

use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rug::{Float, Rational};

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::mix::{
    Eg, Estimator, Mix, MixConfig, MixState, Noise, Pgd, RoundMethod, RoundOptions, Schedule,
    UpdateKind, WeightUpdate,
};
use crate::model::{grad_mapping_norm2_from, Problem};
use crate::num::{Backend, Scalar};

/// The error measured at a budget (SPEC §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// `Φ(w_K) − Φ*`.
    Gap,
    /// `(1/K) Σ_{k<K} ‖G(w_k)‖²`.
    Stationarity,
    /// `g(θ_K) − Φ*`.
    Val,
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "gap" => Ok(Metric::Gap),
            "stationarity" => Ok(Metric::Stationarity),
            "val" => Ok(Metric::Val),
            _ => Err(format!(
                "unknown metric `{s}`: expected gap, stationarity or val"
            )),
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Metric::Gap => "gap",
            Metric::Stationarity => "stationarity",
            Metric::Val => "val",
        })
    }
}

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// Budgets N, ascending, distinct.
    pub budgets: Vec<usize>,
    /// Horizons T, ascending, distinct, each ≥ 1.
    pub steps: Vec<usize>,
    /// The error measured.
    pub metric: Metric,
    /// Hypergradient estimator.
    pub estimator: Estimator,
    /// Weight update.
    pub update: UpdateKind,
    /// Backend.
    pub backend: Backend,
    /// Outer steps: one (fixed α) or a grid (`auto`: best α per (N, T)).
    pub alphas: Vec<Rational>,
    /// Step-size schedule.
    pub schedule: Schedule,
    /// Gradient noise σ (None: full gradients).
    pub noise: Option<Rational>,
    /// Independent seeds R (1 without noise).
    pub seeds: usize,
    /// Base seed; trajectory r uses a seed derived from it and r only, so
    /// every T and α sees the same noise for seed r.
    pub base_seed: u64,
    /// Iterative or closed-form rounds.
    pub method: RoundMethod,
    /// Size limit on `Exact`.
    pub max_bits: u64,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
    /// Skip the tail of a trajectory once its state repeats exactly (see
    /// the module docs); off only to check that it changes nothing.
    pub fast_forward: bool,
}

impl SweepSpec {
    /// A full-gradient f64 sweep with the unrolled estimator, pgd, a constant
    /// step, closed-form rounds where they apply, fast-forward on and no
    /// progress bar; change fields with struct-update syntax.
    pub fn new(
        budgets: Vec<usize>,
        steps: Vec<usize>,
        metric: Metric,
        alphas: Vec<Rational>,
    ) -> Self {
        SweepSpec {
            budgets,
            steps,
            metric,
            estimator: Estimator::Unrolled,
            update: UpdateKind::Pgd,
            backend: Backend::F64,
            alphas,
            schedule: Schedule::Constant,
            noise: None,
            seeds: 1,
            base_seed: 1,
            method: RoundMethod::Auto,
            max_bits: crate::runner::DEFAULT_MAX_BITS,
            progress: false,
            fast_forward: true,
        }
    }

    /// Refuses empty ranges, T = 0, T larger than every budget, σ < 0, no
    /// seeds, a non-positive α.
    pub fn validate(&self) -> Result<()> {
        if self.budgets.is_empty() {
            return Err(Error::param("--budgets", "the budget grid is empty"));
        }
        if self.steps.is_empty() {
            return Err(Error::param("--steps", "the range of T is empty"));
        }
        if self.steps.contains(&0) {
            return Err(Error::param("--steps", "T must be at least 1"));
        }
        if self.budgets.contains(&0) {
            return Err(Error::param("--budgets", "budgets must be at least 1"));
        }
        let nmax = *self.budgets.iter().max().expect("nonempty");
        let tmin = *self.steps.iter().min().expect("nonempty");
        if tmin > nmax {
            return Err(Error::param(
                "--steps",
                format!(
                    "every T exceeds the largest budget N = {nmax}: no (N, T) has K = ⌊N/T⌋ ≥ 1"
                ),
            ));
        }
        if self.alphas.is_empty()
            || self
                .alphas
                .iter()
                .any(|a| a.cmp0() != std::cmp::Ordering::Greater)
        {
            return Err(Error::param("--alpha", "every α must be positive"));
        }
        if let Some(s) = &self.noise {
            if s.cmp0() == std::cmp::Ordering::Less {
                return Err(Error::param("--noise", format!("σ must be ≥ 0, got {s}")));
            }
        }
        if self.seeds == 0 {
            return Err(Error::param("--seeds", "need at least one seed"));
        }
        Ok(())
    }
}

/// The measured surface and what follows from it.
#[derive(Clone, Debug)]
pub struct SweepResult {
    /// Budgets N.
    pub budgets: Vec<usize>,
    /// Horizons T.
    pub steps: Vec<usize>,
    /// α grid (as asked).
    pub alphas: Vec<Rational>,
    /// Metric.
    pub metric: Metric,
    /// Seeds R.
    pub seeds: usize,
    /// `values[((ti · A + ai) · R + r) · B + ni]`: the metric of seed r at
    /// (N, T, α); NaN where K = 0, +∞ from a diverged round on.
    pub values: Vec<f64>,
    /// Trajectories that diverged (non-finite state): (T, α index, seed, round).
    pub diverged: Vec<(usize, usize, usize, usize)>,
    /// Trajectories whose tail was fast-forwarded through an exact cycle.
    pub fast_forwarded: usize,
    /// Rounds actually computed, over all trajectories.
    pub rounds_computed: u64,
    /// Relative precision of the backend (2^-p; 0 on `Exact`).
    pub unit_roundoff: f64,
}

/// One row of the surface: the best α at (N, T) and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Budget N.
    pub n: usize,
    /// Horizon T.
    pub t: usize,
    /// Index of the chosen α.
    pub alpha: usize,
    /// Mean over seeds.
    pub mean: f64,
    /// 95% confidence interval of the mean (equal to the mean for R = 1).
    pub ci: (f64, f64),
}

/// `T*(N)` with how it was decided.
#[derive(Clone, Debug, PartialEq)]
pub struct TStar {
    /// Budget N.
    pub n: usize,
    /// The best T (ties to the smallest).
    pub t: usize,
    /// The α chosen for it.
    pub alpha: usize,
    /// Its metric value (mean over seeds).
    pub value: f64,
    /// Relative margin to the runner-up T: (second − best)/|best|.
    pub margin: f64,
    /// True when the margin is within 1000 units of roundoff of the backend:
    /// T* may be decided by rounding, not by the mathematics.
    pub close_call: bool,
    /// Bootstrap 95% interval of T* over seeds (stochastic sweeps).
    pub t_ci: Option<(usize, usize)>,
}

impl SweepResult {
    fn idx(&self, ti: usize, ai: usize, r: usize, ni: usize) -> usize {
        ((ti * self.alphas.len() + ai) * self.seeds + r) * self.budgets.len() + ni
    }

    /// The metric of seed r at (N index, T index, α index).
    pub fn value(&self, ti: usize, ai: usize, r: usize, ni: usize) -> f64 {
        self.values[self.idx(ti, ai, r, ni)]
    }

    fn mean_over(&self, ti: usize, ai: usize, ni: usize, seeds: &[usize]) -> f64 {
        seeds
            .iter()
            .map(|&r| self.value(ti, ai, r, ni))
            .sum::<f64>()
            / seeds.len() as f64
    }

    /// Mean and 95% CI (Student t) over all seeds.
    pub fn mean_ci(&self, ti: usize, ai: usize, ni: usize) -> (f64, (f64, f64)) {
        let all: Vec<usize> = (0..self.seeds).collect();
        let mean = self.mean_over(ti, ai, ni, &all);
        if self.seeds < 2 || !mean.is_finite() {
            return (mean, (mean, mean));
        }
        let var = all
            .iter()
            .map(|&r| (self.value(ti, ai, r, ni) - mean).powi(2))
            .sum::<f64>()
            / (self.seeds - 1) as f64;
        let half = student_t975(self.seeds - 1) * (var / self.seeds as f64).sqrt();
        (mean, (mean - half, mean + half))
    }

    /// The best α at (T, N) for the mean over `seeds`: (index, value).
    fn best_alpha(&self, ti: usize, ni: usize, seeds: &[usize]) -> (usize, f64) {
        (0..self.alphas.len())
            .map(|ai| (ai, self.mean_over(ti, ai, ni, seeds)))
            .filter(|(_, v)| !v.is_nan())
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::NAN))
    }

    /// The surface: for each (N, T) with K ≥ 1, the best α and its mean.
    pub fn surface(&self) -> Vec<Cell> {
        let mut out = Vec::new();
        for (ni, &n) in self.budgets.iter().enumerate() {
            for (ti, &t) in self.steps.iter().enumerate() {
                if t > n {
                    continue;
                }
                let all: Vec<usize> = (0..self.seeds).collect();
                let (ai, _) = self.best_alpha(ti, ni, &all);
                let (mean, ci) = self.mean_ci(ti, ai, ni);
                out.push(Cell {
                    n,
                    t,
                    alpha: ai,
                    mean,
                    ci,
                });
            }
        }
        out
    }

    /// `argmin_T` of the mean curve at budget index ni over `seeds`:
    /// (T index, α index, value, runner-up value).
    fn argmin_t(&self, ni: usize, seeds: &[usize]) -> Option<(usize, usize, f64, f64)> {
        let n = self.budgets[ni];
        let mut best: Option<(usize, usize, f64)> = None;
        let mut second = f64::INFINITY;
        for (ti, &t) in self.steps.iter().enumerate() {
            if t > n {
                continue;
            }
            let (ai, v) = self.best_alpha(ti, ni, seeds);
            if v.is_nan() {
                continue;
            }
            match best {
                Some((_, _, bv)) if v >= bv => second = second.min(v),
                Some((_, _, bv)) => {
                    second = second.min(bv);
                    best = Some((ti, ai, v));
                }
                None => best = Some((ti, ai, v)),
            }
        }
        best.map(|(ti, ai, v)| (ti, ai, v, second))
    }

    /// `T*(N)` for every budget, with a bootstrap CI over seeds (B = 1000
    /// resamples, seeded) when R ≥ 2.
    pub fn tstar(&self) -> Vec<TStar> {
        let all: Vec<usize> = (0..self.seeds).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(0x7574_6172);
        (0..self.budgets.len())
            .filter_map(|ni| {
                let (ti, ai, v, second) = self.argmin_t(ni, &all)?;
                let margin = if v == 0.0 {
                    if second == 0.0 {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                } else {
                    (second - v) / v.abs()
                };
                let t_ci = (self.seeds >= 2).then(|| {
                    let mut ts: Vec<usize> = (0..1000)
                        .filter_map(|_| {
                            let sample: Vec<usize> = (0..self.seeds)
                                .map(|_| rng.random_range(0..self.seeds))
                                .collect();
                            self.argmin_t(ni, &sample).map(|(bt, ..)| self.steps[bt])
                        })
                        .collect();
                    ts.sort_unstable();
                    let q = |p: f64| ts[((ts.len() - 1) as f64 * p).round() as usize];
                    (q(0.025), q(0.975))
                });
                Some(TStar {
                    n: self.budgets[ni],
                    t: self.steps[ti],
                    alpha: ai,
                    value: v,
                    margin,
                    close_call: margin.is_finite() && margin <= 1000.0 * self.unit_roundoff,
                    t_ci,
                })
            })
            .collect()
    }
}

/// Fits the scaling laws of SPEC §3 to the measured `T*(N)` (seeded
/// bootstrap, 2000 resamples).
pub fn fit_tstar(
    res: &SweepResult,
) -> std::result::Result<crate::fits::FitReport, crate::fits::FitError> {
    let ts = res.tstar();
    let ns: Vec<f64> = ts.iter().map(|t| t.n as f64).collect();
    let tv: Vec<f64> = ts.iter().map(|t| t.t as f64).collect();
    crate::fits::fit_laws(&ns, &tv, &crate::fits::FitOptions::default())
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom.
fn student_t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => 1.959_964 + 2.4 / df as f64,
    }
}

/// Derives seed r's generator seed from the base seed (SplitMix64).
pub fn seed_for(base: u64, r: usize) -> u64 {
    let mut z = base.wrapping_add((r as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs the sweep on an instance whose Φ* is `phi_star`.
pub fn sweep(inst: &Instance, phi_star: &Rational, spec: &SweepSpec) -> Result<SweepResult> {
    spec.validate()?;
    match (spec.backend, spec.update) {
        (Backend::F32, UpdateKind::Eg) => sweep_typed::<f32, _>(inst, phi_star, spec, &(), Eg),
        (Backend::F32, UpdateKind::Pgd) => sweep_typed::<f32, _>(inst, phi_star, spec, &(), Pgd),
        (Backend::F64, UpdateKind::Eg) => sweep_typed::<f64, _>(inst, phi_star, spec, &(), Eg),
        (Backend::F64, UpdateKind::Pgd) => sweep_typed::<f64, _>(inst, phi_star, spec, &(), Pgd),
        (Backend::Mp(p), UpdateKind::Eg) => sweep_typed::<Float, _>(inst, phi_star, spec, &p, Eg),
        (Backend::Mp(p), UpdateKind::Pgd) => sweep_typed::<Float, _>(inst, phi_star, spec, &p, Pgd),
        (Backend::Exact, UpdateKind::Pgd) => {
            sweep_typed::<Rational, _>(inst, phi_star, spec, &(), Pgd)
        }
        (Backend::Exact, UpdateKind::Eg) => Err(crate::runner::eg_on_exact()),
        // Interval states never repeat provably, so no cycle detection (its
        // `==` on overlapping enclosures would be undecidable); a recorded
        // interval error on any worker thread turns the sweep into an error.
        (Backend::Interval(p), UpdateKind::Eg) => {
            let spec = SweepSpec {
                fast_forward: false,
                ..spec.clone()
            };
            crate::interval::guarded_parallel(|| {
                sweep_typed::<crate::interval::Interval, _>(inst, phi_star, &spec, &p, Eg)
            })
        }
        (Backend::Interval(p), UpdateKind::Pgd) => {
            let spec = SweepSpec {
                fast_forward: false,
                ..spec.clone()
            };
            crate::interval::guarded_parallel(|| {
                sweep_typed::<crate::interval::Interval, _>(inst, phi_star, &spec, &p, Pgd)
            })
        }
    }
}

/// The unit roundoff of a backend (0 on `Exact`).
pub fn unit_roundoff(b: Backend) -> f64 {
    match b {
        Backend::F32 => f32::EPSILON as f64 / 2.0,
        Backend::F64 => f64::EPSILON / 2.0,
        Backend::Mp(p) => 2f64.powi(-(p as i32)),
        Backend::Exact => 0.0,
        Backend::Interval(p) => 2f64.powi(-(p as i32)),
    }
}

fn sweep_typed<T: Scalar, U: WeightUpdate<T> + Copy + Send + Sync>(
    inst: &Instance,
    phi_star: &Rational,
    spec: &SweepSpec,
    ctx: &T::Ctx,
    update: U,
) -> Result<SweepResult> {
    let problem: Problem<T> = Problem::new(inst, ctx);
    let phi_star = T::from_rational(phi_star, ctx);
    let tasks: Vec<(usize, usize, usize)> = (0..spec.steps.len())
        .flat_map(|ti| {
            (0..spec.alphas.len()).flat_map(move |ai| (0..spec.seeds).map(move |r| (ti, ai, r)))
        })
        .collect();
    let bar = if spec.progress && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(tasks.len() as u64);
        b.set_style(
            ProgressStyle::with_template(
                "sweep {bar:40} {pos}/{len} trajectories, {elapsed} elapsed, eta {eta}",
            )
            .expect("template"),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let outcomes: Vec<Result<Trajectory<T>>> = tasks
        .par_iter()
        .map(|&(ti, ai, r)| {
            let out = trajectory(&problem, inst, &phi_star, spec, ti, ai, r, ctx, update);
            bar.inc(1);
            out
        })
        .collect();
    bar.finish_and_clear();
    let nb = spec.budgets.len();
    let mut result = SweepResult {
        budgets: spec.budgets.clone(),
        steps: spec.steps.clone(),
        alphas: spec.alphas.clone(),
        metric: spec.metric,
        seeds: spec.seeds,
        values: vec![f64::NAN; tasks.len() * nb],
        diverged: Vec::new(),
        fast_forwarded: 0,
        rounds_computed: 0,
        unit_roundoff: unit_roundoff(spec.backend),
    };
    for (&(ti, ai, r), out) in tasks.iter().zip(outcomes) {
        let tr = out?;
        let base = result.idx(ti, ai, r, 0);
        for (slot, v) in result.values[base..base + nb].iter_mut().zip(&tr.values) {
            *slot = match v {
                Some(v) => v.to_f64(),
                None => f64::NAN,
            };
        }
        if let Some(k) = tr.diverged_at {
            let t = spec.steps[ti];
            for (slot, &n) in result.values[base..base + nb].iter_mut().zip(&spec.budgets) {
                if n / t > k.saturating_sub(1) {
                    *slot = f64::INFINITY;
                }
            }
            result.diverged.push((spec.steps[ti], ai, r, k));
        }
        result.fast_forwarded += usize::from(tr.fast_forwarded);
        result.rounds_computed += tr.rounds as u64;
    }
    Ok(result)
}

/// One trajectory's metric at every budget, on the backend.
#[derive(Clone, Debug)]
pub struct Trajectory<T> {
    /// The metric at each budget of the spec; `None` where K = ⌊N/T⌋ = 0 or
    /// the run diverged before round K.
    pub values: Vec<Option<T>>,
    /// The round after which the state stopped being finite.
    pub diverged_at: Option<usize>,
    /// Whether the tail was fast-forwarded through an exact cycle.
    pub fast_forwarded: bool,
    /// Rounds computed.
    pub rounds: usize,
}

/// A state remembered for cycle detection: round k, the state, the running
/// sum `Σ_{j<k} q_j` before round k, and `q_k`.
struct Snap<T> {
    k: usize,
    theta: Vec<T>,
    w: Vec<T>,
    prefix: T,
    q: T,
}

/// The longest period looked for (a cycle in the last bits can be longer
/// than a few rounds).
const CYCLE_WINDOW: usize = 64;

/// The metric at every budget of `spec` from one trajectory of MIX with
/// horizon `spec.steps[ti]`, step `spec.alphas[ai]` and noise seed r.
#[allow(clippy::too_many_arguments)]
pub fn trajectory<T: Scalar, U: WeightUpdate<T> + Copy>(
    problem: &Problem<T>,
    inst: &Instance,
    phi_star: &T,
    spec: &SweepSpec,
    ti: usize,
    ai: usize,
    r: usize,
    ctx: &T::Ctx,
    update: U,
) -> Result<Trajectory<T>> {
    let t = spec.steps[ti];
    let ks: Vec<usize> = spec.budgets.iter().map(|&n| n / t).collect();
    let kmax = *ks.iter().max().expect("nonempty");
    let mut values: Vec<Option<T>> = vec![None; ks.len()];
    if kmax == 0 {
        return Ok(Trajectory {
            values,
            diverged_at: None,
            fast_forwarded: false,
            rounds: 0,
        });
    }
    let conv = |q: &Rational| T::from_rational(q, ctx);
    let config = MixConfig::from_instance(
        inst,
        ctx,
        t,
        kmax * t,
        &spec.alphas[ai],
        spec.estimator,
        spec.max_bits,
    );
    let noise = spec.noise.as_ref().map(|s| Noise {
        sigma: conv(s),
        seed: seed_for(spec.base_seed, r),
    });
    let autonomous = spec.fast_forward && noise.is_none() && spec.schedule == Schedule::Constant;
    let options = RoundOptions {
        schedule: spec.schedule,
        noise,
        method: spec.method,
    };
    let mix = Mix::with_options(problem, &config, update, options)?;
    let need_q = spec.metric == Metric::Stationarity;
    let needs_grad = need_q || spec.estimator == Estimator::Exact;
    let value_at = |s: &MixState<T>, prefix: &T, k: usize| -> Result<T> {
        Ok(match spec.metric {
            Metric::Gap => problem.phi(&s.w)? - phi_star,
            Metric::Val => problem.g(&s.theta) - phi_star,
            Metric::Stationarity => prefix.clone() / &T::from_i64(k as i64, ctx),
        })
    };
    let record = |values: &mut Vec<Option<T>>, k: usize, v: T| {
        for (slot, &kb) in values.iter_mut().zip(&ks) {
            if kb == k {
                *slot = Some(v.clone());
            }
        }
    };
    let mut state = mix.init();
    let mut prefix = T::zero(ctx);
    let mut window: Vec<Snap<T>> = Vec::with_capacity(CYCLE_WINDOW);
    for k in 0..=kmax {
        if k > 0 && ks.contains(&k) {
            let v = value_at(&state, &prefix, k)?;
            record(&mut values, k, v);
        }
        if k == kmax {
            break;
        }
        let grad = if needs_grad {
            Some(problem.grad_phi(&state.w)?)
        } else {
            None
        };
        let q = match &grad {
            Some(g) if need_q => grad_mapping_norm2_from(&state.w, g, ctx),
            _ => T::zero(ctx),
        };
        if autonomous {
            if window.len() == CYCLE_WINDOW {
                window.remove(0);
            }
            window.push(Snap {
                k,
                theta: state.theta.clone(),
                w: state.w.clone(),
                prefix: prefix.clone(),
                q: q.clone(),
            });
        }
        prefix += &q;
        let grad = if spec.estimator == Estimator::Exact {
            grad
        } else {
            None
        };
        let next = match mix.advance(state, grad) {
            Ok((next, _)) => next,
            Err(Error::NonFinite { round, .. }) => {
                return Ok(Trajectory {
                    values,
                    diverged_at: Some(round),
                    fast_forwarded: false,
                    rounds: k + 1,
                });
            }
            Err(e) => return Err(e),
        };
        state = next;
        if autonomous {
            if let Some(start) = window
                .iter()
                .position(|s| s.theta == state.theta && s.w == state.w)
            {
                // State k+1 equals snapshot `start`: period p from there on.
                let cycle = &window[start..];
                let p = cycle.len();
                let cycle_sum = cycle.iter().fold(T::zero(ctx), |a, s| a + &s.q);
                let j0 = cycle[0].k;
                for (ni, &kb) in ks.iter().enumerate() {
                    if kb <= k + 1 || kb == 0 {
                        continue;
                    }
                    let off = kb - j0;
                    let (full, rem) = (off / p, off % p);
                    let snap = &cycle[rem];
                    let pre = cycle[0].prefix.clone()
                        + &(T::from_i64(full as i64, ctx) * &cycle_sum)
                        + &(snap.prefix.clone() - &cycle[0].prefix);
                    let s = MixState {
                        k: kb,
                        theta: snap.theta.clone(),
                        w: snap.w.clone(),
                        rng: None,
                    };
                    values[ni] = Some(value_at(&s, &pre, kb)?);
                }
                if ks.contains(&(k + 1)) {
                    let v = value_at(&state, &prefix, k + 1)?;
                    record(&mut values, k + 1, v);
                }
                return Ok(Trajectory {
                    values,
                    diverged_at: None,
                    fast_forwarded: true,
                    rounds: k + 1,
                });
            }
        }
    }
    Ok(Trajectory {
        values,
        diverged_at: None,
        fast_forwarded: false,
        rounds: kmax,
    })
}

/// Parses a budget grid: a list `100,1000,10000` or a geometric range
/// `1e2..1e6:13` (13 budgets from 10² to 10⁶, rounded to integers,
/// duplicates removed).
pub fn parse_budgets(s: &str) -> std::result::Result<Vec<usize>, String> {
    let num = |x: &str| -> std::result::Result<f64, String> {
        let q = crate::num::parse_rational(x).map_err(|e| e.to_string())?;
        let f = q.to_f64();
        if f < 1.0 || !f.is_finite() {
            return Err(format!("budget `{x}` must be at least 1"));
        }
        Ok(f)
    };
    let mut out: Vec<usize> = if let Some((range, count)) = s.split_once(':') {
        let (lo, hi) = range
            .split_once("..")
            .ok_or_else(|| format!("`{s}`: expected LO..HI:COUNT, e.g. 1e2..1e6:13"))?;
        let (lo, hi) = (num(lo)?, num(hi)?);
        let count: usize = count
            .parse()
            .map_err(|_| format!("`{count}`: the count after `:` must be a whole number"))?;
        if count < 1 || lo > hi {
            return Err(format!("`{s}`: need LO ≤ HI and COUNT ≥ 1"));
        }
        if count == 1 {
            vec![lo.round() as usize]
        } else {
            (0..count)
                .map(|i| {
                    let f = i as f64 / (count - 1) as f64;
                    (lo.ln() + f * (hi.ln() - lo.ln())).exp().round() as usize
                })
                .collect()
        }
    } else {
        s.split(',')
            .map(|x| num(x.trim()).map(|f| f.round() as usize))
            .collect::<std::result::Result<_, _>>()?
    };
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err("the budget grid is empty".into());
    }
    Ok(out)
}

/// Parses a range of T: `1..200` (inclusive), a single `T`, or a list `1,2,5`.
pub fn parse_steps(s: &str) -> std::result::Result<Vec<usize>, String> {
    let int = |x: &str| -> std::result::Result<usize, String> {
        x.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{x}` is not a whole number"))
    };
    let mut out: Vec<usize> = if let Some((lo, hi)) = s.split_once("..") {
        let (lo, hi) = (int(lo)?, int(hi)?);
        if lo > hi {
            return Err(format!("`{s}`: the range is empty (LO > HI)"));
        }
        (lo..=hi).collect()
    } else {
        s.split(',')
            .map(int)
            .collect::<std::result::Result<_, _>>()?
    };
    if out.contains(&0) {
        return Err("T must be at least 1".into());
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The default `auto` grid: α₀ · 4^j for j = −3..=2 (α₀ the file's α).
pub fn auto_alpha_grid(alpha0: &Rational) -> Vec<Rational> {
    (-3i32..=2)
        .map(|j| {
            if j >= 0 {
                alpha0.clone() * Rational::from(4u32.pow(j as u32))
            } else {
                alpha0.clone() / Rational::from(4u32.pow((-j) as u32))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_grids_parse() {
        assert_eq!(parse_budgets("100,1000").unwrap(), vec![100, 1000]);
        assert_eq!(parse_budgets("1e2..1e4:3").unwrap(), vec![100, 1000, 10000]);
        assert!(parse_budgets("1e4..1e2:3").is_err());
        assert!(parse_budgets("0,10").is_err());
        assert!(parse_budgets("abc").is_err());
    }

    #[test]
    fn step_ranges_parse() {
        assert_eq!(parse_steps("1..4").unwrap(), vec![1, 2, 3, 4]);
        assert_eq!(parse_steps("5,1,5").unwrap(), vec![1, 5]);
        assert!(parse_steps("4..1").is_err());
        assert!(parse_steps("0..3").is_err());
    }

    #[test]
    fn seeds_differ_and_are_stable() {
        assert_ne!(seed_for(1, 0), seed_for(1, 1));
        assert_eq!(seed_for(7, 3), seed_for(7, 3));
    }
}
