//! Runs MIX(T, N) on a backend chosen at run time and erases the backend
//! type: the result is text (exact on `Exact`, round-trip on floats) plus
//! `f64` copies for display.
//!
//! This is the one place where a run-time [`Backend`] meets the compile-time
//! type: `eg` on `Exact` is refused here, because [`crate::mix::Eg`] is only
//! implemented for [`Transcendental`] backends.

use rug::{Float, Rational};

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::mix::{self, Eg, Estimator, MixConfig, Pgd, TraceCollector, UpdateKind, WeightUpdate};
use crate::model::Problem;
use crate::num::{Backend, Scalar};
use crate::optimum::Optimum;

/// Default size limit for exact runs: 2^22 bits (about 1.26 million decimal
/// digits) in one numerator plus denominator.
pub const DEFAULT_MAX_BITS: u64 = 1 << 22;

/// A request for one run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Inner steps per round, T.
    pub steps: usize,
    /// Budget N.
    pub budget: usize,
    /// Backend.
    pub backend: Backend,
    /// Estimator.
    pub estimator: Estimator,
    /// Update.
    pub update: UpdateKind,
    /// Size limit on `Exact`.
    pub max_bits: u64,
}

impl RunRequest {
    /// Checks T ≥ 1 and N ≥ T.
    pub fn validate(&self) -> Result<()> {
        mix::check_horizon(self.steps, self.budget)
    }
}

/// A number on the backend, as text and as f64.
#[derive(Clone, Debug, PartialEq)]
pub struct Num {
    /// Text that reads back to the same backend value.
    pub text: String,
    /// Nearest f64.
    pub f64: f64,
}

impl Num {
    fn of<T: Scalar>(x: &T) -> Num {
        Num {
            text: x.to_text(),
            f64: x.to_f64(),
        }
    }
    fn vec<T: Scalar>(x: &[T]) -> Vec<Num> {
        x.iter().map(Num::of).collect()
    }
}

/// One row of the trace.
#[derive(Clone, Debug)]
pub struct TraceRow {
    /// Round k.
    pub k: usize,
    /// `w_k`.
    pub w: Vec<Num>,
    /// `Φ(w_k)`.
    pub phi: Num,
    /// `g(θ_k)`.
    pub g_theta: Num,
    /// `‖G(w_k)‖²`.
    pub grad_map2: Num,
    /// `h_k` (absent on the last row, k = K).
    pub h: Option<Vec<Num>>,
}

/// A finished run, backend-erased.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Instance name.
    pub instance: String,
    /// m.
    pub m: usize,
    /// d.
    pub d: usize,
    /// Backend name (`mp:256`, …).
    pub backend: String,
    /// Estimator.
    pub estimator: Estimator,
    /// Update.
    pub update: UpdateKind,
    /// T.
    pub steps: usize,
    /// N.
    pub budget: usize,
    /// K = ⌊N/T⌋.
    pub rounds: usize,
    /// η as given (exact).
    pub eta: Rational,
    /// α as given (exact).
    pub alpha: Rational,
    /// `w_K`.
    pub w: Vec<Num>,
    /// `θ_K`.
    pub theta: Vec<Num>,
    /// `Φ(w_K)`.
    pub phi: Num,
    /// Φ* on the backend.
    pub phi_star: Num,
    /// `Φ(w_K) − Φ*`.
    pub gap: Num,
    /// `(1/K) Σ_{k<K} ‖G(w_k)‖²`.
    pub stationarity: Num,
    /// `g(θ_K) − Φ*`.
    pub val: Num,
    /// How Φ* is known.
    pub optimum: Optimum,
    /// Records k = 0..=K.
    pub trace: Vec<TraceRow>,
}

/// The outer step α: `--alpha` if given, else the file's.
pub fn resolve_alpha(inst: &Instance) -> Result<Rational> {
    inst.alpha.clone().ok_or_else(|| {
        Error::param(
            "--alpha",
            "the instance file sets no \"alpha\"; pass --alpha (e.g. --alpha 1/2)",
        )
    })
}

/// The refusal of `eg` on the exact backend.
pub fn eg_on_exact() -> Error {
    Error::Unsupported(
        "eg needs exp, which has no exact rational value; use --update pgd or a floating backend (f64, mp:BITS)"
            .into(),
    )
}

/// Runs the request on its backend.
pub fn run(inst: &Instance, opt: &Optimum, req: &RunRequest) -> Result<RunReport> {
    match (req.backend, req.update) {
        (Backend::F32, UpdateKind::Eg) => run_typed::<f32, _>(inst, opt, req, &(), Eg),
        (Backend::F32, UpdateKind::Pgd) => run_typed::<f32, _>(inst, opt, req, &(), Pgd),
        (Backend::F64, UpdateKind::Eg) => run_typed::<f64, _>(inst, opt, req, &(), Eg),
        (Backend::F64, UpdateKind::Pgd) => run_typed::<f64, _>(inst, opt, req, &(), Pgd),
        (Backend::Mp(p), UpdateKind::Eg) => run_typed::<Float, _>(inst, opt, req, &p, Eg),
        (Backend::Mp(p), UpdateKind::Pgd) => run_typed::<Float, _>(inst, opt, req, &p, Pgd),
        (Backend::Exact, UpdateKind::Pgd) => run_typed::<Rational, _>(inst, opt, req, &(), Pgd),
        (Backend::Exact, UpdateKind::Eg) => Err(eg_on_exact()),
        // A recorded interval error (undecidable branch, division by an
        // interval containing 0) turns the run into an error.
        (Backend::Interval(p), UpdateKind::Eg) => crate::interval::guarded(|| {
            run_typed::<crate::interval::Interval, _>(inst, opt, req, &p, Eg)
        }),
        (Backend::Interval(p), UpdateKind::Pgd) => crate::interval::guarded(|| {
            run_typed::<crate::interval::Interval, _>(inst, opt, req, &p, Pgd)
        }),
    }
}

/// Runs on one backend type `T` with update `U`.
pub fn run_typed<T: Scalar, U: WeightUpdate<T>>(
    inst: &Instance,
    opt: &Optimum,
    req: &RunRequest,
    ctx: &T::Ctx,
    update: U,
) -> Result<RunReport> {
    let alpha = resolve_alpha(inst)?;
    let problem: Problem<T> = Problem::new(inst, ctx);
    let conv = |q: &Rational| T::from_rational(q, ctx);
    let config = MixConfig::from_instance(
        inst,
        ctx,
        req.steps,
        req.budget,
        &alpha,
        req.estimator,
        req.max_bits,
    );
    let mut trace = TraceCollector::default();
    let outcome = mix::run(&problem, &config, update, &mut [&mut trace])?;
    let phi_star = conv(&opt.phi_star);
    Ok(RunReport {
        instance: inst.name.clone(),
        m: inst.m(),
        d: inst.d(),
        backend: T::backend_name(ctx),
        estimator: req.estimator,
        update: req.update,
        steps: req.steps,
        budget: req.budget,
        rounds: outcome.rounds,
        eta: inst.eta.clone(),
        alpha,
        w: Num::vec(&outcome.w),
        theta: Num::vec(&outcome.theta),
        phi: Num::of(&outcome.phi),
        gap: Num::of(&outcome.gap(&phi_star)),
        val: Num::of(&outcome.val(&phi_star)),
        stationarity: Num::of(&outcome.stationarity),
        phi_star: Num::of(&phi_star),
        optimum: opt.clone(),
        trace: trace
            .records
            .iter()
            .map(|r| TraceRow {
                k: r.k,
                w: Num::vec(&r.w),
                phi: Num::of(&r.phi),
                g_theta: Num::of(&r.g_theta),
                grad_map2: Num::of(&r.grad_map2),
                h: r.h.as_deref().map(Num::vec),
            })
            .collect(),
    })
}
