//! `tstar backends`: the same MIX(T, N) computation on several number
//! backends, compared round by round with a reference (SPEC §2–§4,
//! "Practical facts").
//!
//! **Reference.** Exact rationals when they apply (`pgd`, and the exact run
//! finishes within its size limit), else the most precise MPFR backend
//! asked for (mp:1024 by default), else f64.
//!
//! **Exact comparison.** Every number of every run is read back to its exact
//! value: the run's text is parsed *in the backend's own format* (f32, f64,
//! MPFR at its precision — the texts round-trip) and converted to the exact
//! rational of that binary number; exact texts are `p/q`. Deviations
//! `|x − ref|` are then computed in rational arithmetic, and only the final
//! ratio is rounded (to a base-10 logarithm). So neither the comparison nor
//! a decimal print-out limits what is measured: an mp:1024 run compared with
//! an exact one shows its ~10⁻³⁰⁸ deviation even though that underflows a
//! normal f64. When the reference is itself a floating backend (mp:1024 for
//! `eg`), its own rounding error is of course part of every deviation; the
//! digits are then clipped to the reference's nominal digits
//! (`bits · log₁₀ 2`).
//!
//! **Definitions.**
//! - Relative deviation of a vector `x` from `r`:
//!   `max_i |x_i − r_i| / max(max_j |r_j|, 10⁻³⁰⁰)` (normwise, ∞-norm; a
//!   weight that is 0 in the reference does not make the ratio blow up).
//! - Of a scalar: `|x − r| / max(|r|, 10⁻³⁰⁰)`.
//! - `max_rel_dev_w`, `max_rel_dev_phi`: the maxima of these over the trace
//!   `k = 0..=K` of `w_k` and `Φ(w_k)`.
//! - `digits_w`, `digits_gap`: `−log₁₀` of the relative deviation of the
//!   final `w_K` and of the final gap `Φ(w_K) − Φ*`, clipped to
//!   `[0, digits of the reference]`; a deviation of exactly 0 from an exact
//!   reference is reported as "exact".
//! - `first_round_over_1e-3`: the first k where the relative deviation of
//!   `w_k` or of `Φ(w_k)` exceeds 10⁻³ (None if never).
//! - `seconds_per_round`: wall time of the run (trace included) / K.
//! - `peak_bytes`: peak heap bytes above the level at the start of the run,
//!   measured by a [`PeakMeter`] (the binary's counting global allocator);
//!   None without one.
//!
//! **Exact growth.** On the exact run, the size of round k is
//! `max over w_k and θ_k` of numerator + denominator significant bits. `θ_k`
//! is not in the run's trace; it is recomputed exactly by replaying the inner
//! steps `θ_{k+1} = inner_steps(w_k, θ_k, T)` from the traced `w_k` (checked
//! against the run's final θ_K). Two models are fitted to the second half of
//! the rounds — geometric (`log₂ bits` linear in k) and additive (bits
//! linear in k) — and the better one (least squares in `log₂ bits`)
//! extrapolates the round, hence the budget N = K·T, at which one number
//! would need [`EXACT_PRACTICAL_BITS`] = 10⁸ bits (≈ 12 MB per number; GMP
//! products of that size take seconds each, and a round makes thousands).
//!
//! **Sweep.** [`sweep_backends`] runs a small `T*(N)` sweep (fixed α,
//! metric `stationarity`) on each cheap backend (f32, f64, mp:≤128 bits;
//! exact and high-precision MPFR are skipped for time) and reports the first
//! budget where f32's `T*` differs from the most precise swept backend's.

use std::time::Instant;

use rug::{Float, Rational};

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::mix::{self, Estimator, UpdateKind};
use crate::model::Problem;
use crate::num::{parse_rational, Backend};
use crate::optimum::Optimum;
use crate::runner::{self, RunReport, RunRequest};
use crate::sweep::{self, Metric, SweepSpec};

/// Measures peak heap use; the binary implements it with a counting global
/// allocator (a `#[global_allocator]` cannot live in a library).
pub trait PeakMeter {
    /// Starts a measurement: the current heap level becomes the baseline.
    fn reset(&self);
    /// Peak heap bytes above the baseline since the last [`PeakMeter::reset`].
    fn peak_bytes(&self) -> usize;
}

/// The relative deviation above which a backend is said to have lost the
/// answer (`first_round_over_1e-3`).
pub const DEVIATION_THRESHOLD: f64 = 1e-3;

/// Size of one number (numerator + denominator bits) at which exact runs
/// are deemed impractical: 10⁸ bits ≈ 12 MB.
pub const EXACT_PRACTICAL_BITS: u64 = 100_000_000;

/// The backends compared by default.
pub const DEFAULT_BACKENDS: [Backend; 7] = [
    Backend::F32,
    Backend::F64,
    Backend::Mp(64),
    Backend::Mp(128),
    Backend::Mp(256),
    Backend::Mp(1024),
    Backend::Exact,
];

/// Budgets of the per-backend sweep: `1e2..1e4:5`.
pub const SWEEP_BUDGETS: &str = "1e2..1e4:5";
/// Horizons of the per-backend sweep.
pub const SWEEP_STEPS: &str = "1..40";
/// Largest MPFR precision swept (higher precisions are skipped for time).
pub const SWEEP_MAX_MP_BITS: u32 = 128;

/// A relative deviation, kept as its base-10 logarithm so that values far
/// below f64's range (mp:1024 against exact) survive.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Deviation {
    /// `log₁₀` of the deviation; −∞ for an exact 0.
    pub log10: f64,
}

impl Deviation {
    /// Exactly zero.
    pub const ZERO: Deviation = Deviation {
        log10: f64::NEG_INFINITY,
    };

    /// From an exact non-negative rational.
    pub fn of(q: &Rational) -> Deviation {
        if q.cmp0() != std::cmp::Ordering::Greater {
            return Deviation::ZERO;
        }
        Deviation {
            log10: Float::with_val(64, q).log10().to_f64(),
        }
    }

    /// True for an exact zero.
    pub fn is_zero(&self) -> bool {
        self.log10 == f64::NEG_INFINITY
    }

    /// The value as f64 (0 when it underflows, below ~5e-324).
    pub fn to_f64(&self) -> f64 {
        10f64.powf(self.log10)
    }

    /// `"0"` or four significant digits in scientific notation, whatever the
    /// exponent (`"5.562e-309"`).
    pub fn text(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        if !self.log10.is_finite() {
            return "inf".into();
        }
        let mut e = self.log10.floor();
        let mut m = 10f64.powf(self.log10 - e);
        if format!("{m:.3}").starts_with("10") {
            m /= 10.0;
            e += 1.0;
        }
        format!("{m:.3}e{}", e as i64)
    }

    /// The larger of two.
    pub fn max(self, o: Deviation) -> Deviation {
        if o.log10 > self.log10 {
            o
        } else {
            self
        }
    }
}

/// Correct decimal digits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Digits {
    /// `−log₁₀(relative deviation)`, clipped to `[0, reference digits]`.
    Count(f64),
    /// Equal to an exact reference.
    Exact,
}

impl Digits {
    fn of(dev: Deviation, ref_digits: Option<f64>) -> Digits {
        match ref_digits {
            None if dev.is_zero() => Digits::Exact,
            None => Digits::Count((-dev.log10).max(0.0)),
            Some(rd) => Digits::Count((-dev.log10).clamp(0.0, rd)),
        }
    }

    /// `"exact"` or the count with one decimal.
    pub fn text(&self) -> String {
        match self {
            Digits::Exact => "exact".into(),
            Digits::Count(d) => format!("{d:.1}"),
        }
    }

    /// The count (∞ for exact), for ordering.
    pub fn value(&self) -> f64 {
        match self {
            Digits::Exact => f64::INFINITY,
            Digits::Count(d) => *d,
        }
    }
}

/// How a backend's run went.
#[derive(Clone, Debug, PartialEq)]
pub enum RowStatus {
    /// Ran and was compared.
    Ran,
    /// Not run (e.g. exact with `eg`); the reason.
    Skipped(String),
    /// The run failed (diverged, too large); the error.
    Failed(String),
}

/// One backend's comparison with the reference.
#[derive(Clone, Debug)]
pub struct BackendRow {
    /// The backend.
    pub backend: Backend,
    /// Ran, skipped or failed.
    pub status: RowStatus,
    /// This row is the reference.
    pub is_reference: bool,
    /// Relative deviation of `w_k` from the reference, k = 0..=K.
    pub dev_w: Vec<Deviation>,
    /// Relative deviation of `Φ(w_k)`, k = 0..=K.
    pub dev_phi: Vec<Deviation>,
    /// Max of `dev_w`.
    pub max_rel_dev_w: Option<Deviation>,
    /// Max of `dev_phi`.
    pub max_rel_dev_phi: Option<Deviation>,
    /// Relative deviation of the final `w_K`.
    pub final_dev_w: Option<Deviation>,
    /// Relative deviation of the final gap.
    pub final_dev_gap: Option<Deviation>,
    /// Correct digits of `w_K`.
    pub digits_w: Option<Digits>,
    /// Correct digits of the gap.
    pub digits_gap: Option<Digits>,
    /// First k with a deviation (w or Φ) over [`DEVIATION_THRESHOLD`].
    pub first_round_over: Option<usize>,
    /// Wall time of the run.
    pub seconds: Option<f64>,
    /// Wall time / K.
    pub seconds_per_round: Option<f64>,
    /// Peak heap bytes during the run (None without a meter).
    pub peak_bytes: Option<usize>,
    /// Final weights (display).
    pub final_w: Vec<f64>,
    /// Final gap (display).
    pub final_gap: Option<f64>,
}

impl BackendRow {
    fn empty(backend: Backend, status: RowStatus) -> Self {
        BackendRow {
            backend,
            status,
            is_reference: false,
            dev_w: Vec::new(),
            dev_phi: Vec::new(),
            max_rel_dev_w: None,
            max_rel_dev_phi: None,
            final_dev_w: None,
            final_dev_gap: None,
            digits_w: None,
            digits_gap: None,
            first_round_over: None,
            seconds: None,
            seconds_per_round: None,
            peak_bytes: None,
            final_w: Vec::new(),
            final_gap: None,
        }
    }
}

/// Which model extrapolates the exact run's growth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrowthModel {
    /// Bits multiply by a constant factor per round.
    Geometric,
    /// Bits grow by a constant amount per round.
    Additive,
}

/// The size of the exact run's numbers, round by round, and where exact
/// runs stop being practical.
#[derive(Clone, Debug)]
pub struct ExactGrowth {
    /// T of the run.
    pub steps: usize,
    /// Max numerator + denominator bits over `w_k` and `θ_k`, k = 0..=K.
    pub bits_per_round: Vec<u64>,
    /// Rounds used by the fit (first, last).
    pub fit_rounds: (usize, usize),
    /// The better-fitting model.
    pub model: Option<GrowthModel>,
    /// Geometric growth factor per round (fitted, over the fit rounds).
    pub growth_factor: Option<f64>,
    /// Additive growth in bits per round (fitted).
    pub bits_per_round_increment: Option<f64>,
    /// The threshold, [`EXACT_PRACTICAL_BITS`].
    pub threshold_bits: u64,
    /// Extrapolated round at which one number reaches the threshold.
    pub practical_rounds: Option<f64>,
    /// That round times T: the budget N at which exact runs stop being practical.
    pub practical_budget: Option<f64>,
    /// The replayed θ_K equals the run's (a consistency check).
    pub theta_replay_matches: bool,
}

/// `T*(N)` of one backend in the small sweep.
#[derive(Clone, Debug)]
pub struct BackendTstar {
    /// The backend.
    pub backend: Backend,
    /// (N, T*, close call) per budget.
    pub tstar: Vec<(usize, usize, bool)>,
    /// Wall time of the sweep.
    pub seconds: f64,
    /// The error, if the sweep failed.
    pub error: Option<String>,
}

/// The small sweep per backend.
#[derive(Clone, Debug)]
pub struct SweepCheck {
    /// Budgets.
    pub budgets: Vec<usize>,
    /// Horizons (min, max).
    pub steps: (usize, usize),
    /// The fixed α.
    pub alpha: Rational,
    /// The metric (stationarity).
    pub metric: Metric,
    /// Per swept backend.
    pub rows: Vec<BackendTstar>,
    /// Backends not swept, with the reason.
    pub skipped: Vec<(Backend, String)>,
    /// The most precise swept backend, the sweep's reference.
    pub reference: Option<Backend>,
    /// First budget where f32's T* differs from the reference's; None:
    /// never (or f32 was not swept, see `f32_swept`).
    pub f32_first_change: Option<usize>,
    /// f32 was among the swept backends and finished.
    pub f32_swept: bool,
}

/// The whole comparison.
#[derive(Clone, Debug)]
pub struct BackendComparison {
    /// Instance name.
    pub instance: String,
    /// T.
    pub steps: usize,
    /// N.
    pub budget: usize,
    /// K = ⌊N/T⌋.
    pub rounds: usize,
    /// Estimator.
    pub estimator: Estimator,
    /// Update.
    pub update: UpdateKind,
    /// α (exact).
    pub alpha: Rational,
    /// The reference backend.
    pub reference: Backend,
    /// Why this reference (e.g. exact failed).
    pub reference_note: Option<String>,
    /// Digits of the reference (None: exact).
    pub reference_digits: Option<f64>,
    /// One row per backend asked for, in order.
    pub rows: Vec<BackendRow>,
    /// Growth of the exact run, when it ran.
    pub exact_growth: Option<ExactGrowth>,
    /// The small per-backend sweep, when run ([`sweep_backends`]).
    pub sweep: Option<SweepCheck>,
}

/// The exact value of a number printed by a backend: parsed in the
/// backend's own format (the texts round-trip), then converted exactly.
pub fn exact_value(backend: Backend, text: &str) -> Option<Rational> {
    #[allow(unreachable_patterns)]
    let v = match backend {
        Backend::F32 => text.trim().parse::<f32>().ok().and_then(Rational::from_f32),
        Backend::F64 => text.trim().parse::<f64>().ok().and_then(Rational::from_f64),
        Backend::Mp(p) => Float::parse(text.trim())
            .ok()
            .map(|x| Float::with_val(p, x))
            .and_then(|f| f.to_rational()),
        Backend::Exact => parse_rational(text).ok(),
        _ => None,
    };
    v.or_else(|| parse_rational(text).ok())
}

/// Nominal decimal digits of a backend (None for exact, or unknown).
pub fn nominal_digits(backend: Backend) -> Option<f64> {
    let bits = match backend {
        Backend::F32 => 24.0,
        Backend::F64 => 53.0,
        Backend::Mp(p) => f64::from(p),
        _ => return None,
    };
    Some(bits * std::f64::consts::LOG10_2)
}

/// A precision rank for ordering backends (higher = more precise).
#[allow(unreachable_patterns)]
fn precision_rank(b: Backend) -> Option<u64> {
    match b {
        Backend::F32 => Some(24),
        Backend::F64 => Some(53),
        Backend::Mp(p) => Some(u64::from(p)),
        Backend::Exact => Some(u64::MAX),
        _ => None,
    }
}

fn tiny() -> Rational {
    use rug::ops::Pow;
    Rational::from((1, rug::Integer::from(10).pow(300u32)))
}

/// `max_i |x_i − r_i| / max(max_j |r_j|, 10⁻³⁰⁰)`, exactly.
pub fn rel_dev_vec(x: &[Rational], r: &[Rational]) -> Deviation {
    let num = x
        .iter()
        .zip(r)
        .map(|(a, b)| Rational::from(a - b).abs())
        .max()
        .unwrap_or_default();
    let den = r
        .iter()
        .map(|b| b.clone().abs())
        .max()
        .unwrap_or_default()
        .max(tiny());
    Deviation::of(&(num / den))
}

/// `|x − r| / max(|r|, 10⁻³⁰⁰)`, exactly.
pub fn rel_dev(x: &Rational, r: &Rational) -> Deviation {
    let den = r.clone().abs().max(tiny());
    Deviation::of(&(Rational::from(x - r).abs() / den))
}

/// The exact values of one run.
struct Values {
    w: Vec<Vec<Rational>>,
    phi: Vec<Rational>,
    gap: Rational,
}

fn values_of(backend: Backend, rep: &RunReport) -> Result<Values> {
    let bad = |what: &str, text: &str| {
        Error::Unsupported(format!(
            "{backend}: cannot read {what} `{text}` back as a number"
        ))
    };
    let mut w = Vec::with_capacity(rep.trace.len());
    let mut phi = Vec::with_capacity(rep.trace.len());
    for row in &rep.trace {
        let wk = row
            .w
            .iter()
            .map(|x| exact_value(backend, &x.text).ok_or_else(|| bad("w_k", &x.text)))
            .collect::<Result<Vec<_>>>()?;
        w.push(wk);
        phi.push(exact_value(backend, &row.phi.text).ok_or_else(|| bad("Φ(w_k)", &row.phi.text))?);
    }
    let gap = exact_value(backend, &rep.gap.text).ok_or_else(|| bad("gap", &rep.gap.text))?;
    Ok(Values { w, phi, gap })
}

/// Runs the same computation on every backend and compares each with the
/// reference (see the module docs). `req_template` gives T, N, estimator,
/// update and the exact size limit; its backend is ignored. `peak` measures
/// heap use per run (None: `peak_bytes` is None).
pub fn compare_backends(
    inst: &Instance,
    opt: &Optimum,
    req_template: &RunRequest,
    backends: &[Backend],
    peak: Option<&dyn PeakMeter>,
) -> Result<BackendComparison> {
    req_template.validate()?;
    let alpha = runner::resolve_alpha(inst)?;
    if backends.is_empty() {
        return Err(Error::param("--backends", "no backend to compare"));
    }
    let mut rows: Vec<BackendRow> = Vec::new();
    let mut reports: Vec<Option<RunReport>> = Vec::new();
    for &b in backends {
        if precision_rank(b).is_none() {
            rows.push(BackendRow::empty(
                b,
                RowStatus::Skipped("not compared by `tstar backends`".into()),
            ));
            reports.push(None);
            continue;
        }
        if b == Backend::Exact && req_template.update == UpdateKind::Eg {
            rows.push(BackendRow::empty(
                b,
                RowStatus::Skipped("eg needs exp, which has no exact rational value".into()),
            ));
            reports.push(None);
            continue;
        }
        let req = RunRequest {
            backend: b,
            ..req_template.clone()
        };
        if let Some(m) = peak {
            m.reset();
        }
        let start = Instant::now();
        let out = runner::run(inst, opt, &req);
        let secs = start.elapsed().as_secs_f64();
        let peak_bytes = peak.map(|m| m.peak_bytes());
        match out {
            Ok(rep) => {
                let mut row = BackendRow::empty(b, RowStatus::Ran);
                row.seconds = Some(secs);
                row.seconds_per_round = Some(secs / rep.rounds.max(1) as f64);
                row.peak_bytes = peak_bytes;
                row.final_w = rep.w.iter().map(|x| x.f64).collect();
                row.final_gap = Some(rep.gap.f64);
                rows.push(row);
                reports.push(Some(rep));
            }
            Err(e) => {
                rows.push(BackendRow::empty(b, RowStatus::Failed(e.to_string())));
                reports.push(None);
            }
        }
    }

    // The reference: exact if it ran, else the most precise run.
    let ran: Vec<usize> = (0..rows.len()).filter(|&i| reports[i].is_some()).collect();
    let ref_idx = ran
        .iter()
        .copied()
        .max_by_key(|&i| precision_rank(rows[i].backend).unwrap_or(0))
        .ok_or_else(|| {
            let why: Vec<String> = rows
                .iter()
                .map(|r| match &r.status {
                    RowStatus::Failed(e) | RowStatus::Skipped(e) => format!("{}: {e}", r.backend),
                    RowStatus::Ran => format!("{}: ran", r.backend),
                })
                .collect();
            Error::Unsupported(format!("no backend finished the run ({})", why.join("; ")))
        })?;
    let reference = rows[ref_idx].backend;
    let reference_note = rows
        .iter()
        .find(|r| r.backend == Backend::Exact)
        .and_then(|r| match &r.status {
            RowStatus::Ran => None,
            RowStatus::Skipped(why) | RowStatus::Failed(why) => Some(format!(
                "exact is not the reference ({why}); using {reference}"
            )),
        });
    let reference_digits = nominal_digits(reference);
    let ref_rep = reports[ref_idx].as_ref().expect("ran");
    let ref_vals = values_of(reference, ref_rep)?;
    rows[ref_idx].is_reference = true;

    for i in ran {
        let b = rows[i].backend;
        let rep = reports[i].as_ref().expect("ran");
        let vals = values_of(b, rep)?;
        let n = vals.w.len().min(ref_vals.w.len());
        let dev_w: Vec<Deviation> = (0..n)
            .map(|k| rel_dev_vec(&vals.w[k], &ref_vals.w[k]))
            .collect();
        let dev_phi: Vec<Deviation> = (0..n)
            .map(|k| rel_dev(&vals.phi[k], &ref_vals.phi[k]))
            .collect();
        let row = &mut rows[i];
        row.max_rel_dev_w = dev_w.iter().copied().reduce(Deviation::max);
        row.max_rel_dev_phi = dev_phi.iter().copied().reduce(Deviation::max);
        row.first_round_over = (0..n).find(|&k| {
            dev_w[k].log10 > DEVIATION_THRESHOLD.log10()
                || dev_phi[k].log10 > DEVIATION_THRESHOLD.log10()
        });
        let fw = match (vals.w.last(), ref_vals.w.last()) {
            (Some(x), Some(r)) => rel_dev_vec(x, r),
            _ => Deviation::ZERO,
        };
        let fg = rel_dev(&vals.gap, &ref_vals.gap);
        row.final_dev_w = Some(fw);
        row.final_dev_gap = Some(fg);
        row.digits_w = Some(Digits::of(fw, reference_digits));
        row.digits_gap = Some(Digits::of(fg, reference_digits));
        row.dev_w = dev_w;
        row.dev_phi = dev_phi;
    }

    let exact_growth = match (reference, req_template.update) {
        (Backend::Exact, UpdateKind::Pgd) => {
            Some(exact_growth(inst, ref_rep, &ref_vals, req_template.steps)?)
        }
        _ => None,
    };

    Ok(BackendComparison {
        instance: inst.name.clone(),
        steps: req_template.steps,
        budget: req_template.budget,
        rounds: ref_rep.rounds,
        estimator: req_template.estimator,
        update: req_template.update,
        alpha,
        reference,
        reference_note,
        reference_digits,
        rows,
        exact_growth,
        sweep: None,
    })
}

fn bits(q: &Rational) -> u64 {
    u64::from(q.numer().significant_bits()) + u64::from(q.denom().significant_bits())
}

/// Bits per round of the exact run (θ_k replayed exactly from the traced
/// w_k) and the extrapolation to [`EXACT_PRACTICAL_BITS`].
fn exact_growth(
    inst: &Instance,
    rep: &RunReport,
    vals: &Values,
    steps: usize,
) -> Result<ExactGrowth> {
    let problem: Problem<Rational> = Problem::new(inst, &());
    let mut theta: Vec<Rational> = inst.theta0.clone();
    let mut bits_per_round = Vec::with_capacity(vals.w.len());
    for (k, w) in vals.w.iter().enumerate() {
        let b = w.iter().chain(&theta).map(bits).max().unwrap_or(0);
        bits_per_round.push(b);
        if k + 1 < vals.w.len() {
            theta = mix::inner_steps(&problem, w, &theta, steps);
        }
    }
    let run_theta: Option<Vec<Rational>> = rep
        .theta
        .iter()
        .map(|x| parse_rational(&x.text).ok())
        .collect();
    let theta_replay_matches = run_theta.as_deref() == Some(&theta[..]);

    let kk = bits_per_round.len().saturating_sub(1);
    let first = (kk / 2).max(1).min(kk);
    let pts: Vec<(f64, f64)> = (first..=kk)
        .filter(|&k| bits_per_round[k] > 0)
        .map(|k| (k as f64, bits_per_round[k] as f64))
        .collect();
    let mut g = ExactGrowth {
        steps,
        bits_per_round: bits_per_round.clone(),
        fit_rounds: (first, kk),
        model: None,
        growth_factor: None,
        bits_per_round_increment: None,
        threshold_bits: EXACT_PRACTICAL_BITS,
        practical_rounds: None,
        practical_budget: None,
        theta_replay_matches,
    };
    if pts.len() < 2 {
        return Ok(g);
    }
    let fit = |ys: &dyn Fn(f64) -> f64| -> (f64, f64) {
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| ys(p.1)).sum::<f64>() / n;
        let sxx = pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
        let sxy = pts.iter().map(|p| (p.0 - mx) * (ys(p.1) - my)).sum::<f64>();
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        (my - slope * mx, slope)
    };
    let (ga, gs) = fit(&|y: f64| y.log2());
    let (la, ls) = fit(&|y: f64| y);
    let sse_geo: f64 = pts
        .iter()
        .map(|p| (ga + gs * p.0 - p.1.log2()).powi(2))
        .sum();
    let sse_add: f64 = pts
        .iter()
        .map(|p| {
            let pred = (la + ls * p.0).max(1.0);
            (pred.log2() - p.1.log2()).powi(2)
        })
        .sum();
    g.growth_factor = Some(gs.exp2());
    g.bits_per_round_increment = Some(ls);
    let last_k = kk as f64;
    let last_b = bits_per_round[kk].max(1) as f64;
    let target = EXACT_PRACTICAL_BITS as f64;
    let model = if sse_geo <= sse_add {
        GrowthModel::Geometric
    } else {
        GrowthModel::Additive
    };
    g.model = Some(model);
    let rounds = if last_b >= target {
        Some(last_k)
    } else {
        match model {
            GrowthModel::Geometric if gs > 1e-9 => Some(last_k + (target / last_b).log2() / gs),
            GrowthModel::Additive if ls > 1e-9 => Some(last_k + (target - last_b) / ls),
            _ => None,
        }
    };
    g.practical_rounds = rounds;
    g.practical_budget = rounds.map(|r| r.ceil() * steps as f64);
    Ok(g)
}

/// True for the backends the small sweep runs (f32, f64, mp:≤128).
pub fn cheap_for_sweep(b: Backend) -> bool {
    match b {
        Backend::F32 | Backend::F64 => true,
        Backend::Mp(p) => p <= SWEEP_MAX_MP_BITS,
        _ => false,
    }
}

/// The small sweep of `T*(N)` per backend: budgets [`SWEEP_BUDGETS`],
/// horizons [`SWEEP_STEPS`], fixed `alpha`, metric stationarity, on every
/// backend of `backends` that [`cheap_for_sweep`] accepts (the others are
/// listed as skipped). Says where f32 first changes the answer.
pub fn sweep_backends(
    inst: &Instance,
    opt: &Optimum,
    estimator: Estimator,
    update: UpdateKind,
    alpha: &Rational,
    backends: &[Backend],
) -> Result<SweepCheck> {
    let budgets = sweep::parse_budgets(SWEEP_BUDGETS).map_err(|e| Error::param("budgets", e))?;
    let steps = sweep::parse_steps(SWEEP_STEPS).map_err(|e| Error::param("steps", e))?;
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for &b in backends {
        if precision_rank(b).is_none() {
            skipped.push((b, "not swept by `tstar backends`".into()));
            continue;
        }
        if !cheap_for_sweep(b) {
            skipped.push((
                b,
                format!(
                    "skipped for time (the sweep runs f32, f64 and mp up to {SWEEP_MAX_MP_BITS} bits)"
                ),
            ));
            continue;
        }
        let spec = SweepSpec {
            estimator,
            update,
            backend: b,
            ..SweepSpec::new(
                budgets.clone(),
                steps.clone(),
                Metric::Stationarity,
                vec![alpha.clone()],
            )
        };
        let start = Instant::now();
        let res = sweep::sweep(inst, &opt.phi_star, &spec);
        let seconds = start.elapsed().as_secs_f64();
        rows.push(match res {
            Ok(r) => BackendTstar {
                backend: b,
                tstar: r.tstar().iter().map(|t| (t.n, t.t, t.close_call)).collect(),
                seconds,
                error: None,
            },
            Err(e) => BackendTstar {
                backend: b,
                tstar: Vec::new(),
                seconds,
                error: Some(e.to_string()),
            },
        });
    }
    let ok: Vec<&BackendTstar> = rows.iter().filter(|r| r.error.is_none()).collect();
    let reference = ok
        .iter()
        .max_by_key(|r| precision_rank(r.backend).unwrap_or(0))
        .map(|r| r.backend);
    let f32_row = ok.iter().find(|r| r.backend == Backend::F32);
    let f32_swept = f32_row.is_some();
    let f32_first_change = match (f32_row, reference) {
        (Some(f), Some(rb)) if rb != Backend::F32 => {
            let refrow = ok.iter().find(|r| r.backend == rb).expect("present");
            budgets.iter().copied().find(|&n| {
                let a = f.tstar.iter().find(|t| t.0 == n).map(|t| t.1);
                let b = refrow.tstar.iter().find(|t| t.0 == n).map(|t| t.1);
                a != b
            })
        }
        _ => None,
    };
    Ok(SweepCheck {
        budgets,
        steps: (*steps.first().unwrap_or(&1), *steps.last().unwrap_or(&1)),
        alpha: alpha.clone(),
        metric: Metric::Stationarity,
        rows,
        skipped,
        reference,
        f32_first_change,
        f32_swept,
    })
}

/// How fast interval enclosures widen: MIX(T, N) on `interval:prec`, the
/// relative width of `w_k` (max over i of width / max|w|) per round, in bits
/// (`log2`), the least-squares growth `b` in bits per round, and the stated
/// bound `log2 width_k ≤ a + b k + 8` checked over the run.
#[derive(Clone, Debug)]
pub struct WidthGrowth {
    /// Horizon T.
    pub steps: usize,
    /// Precision of the intervals.
    pub prec: u32,
    /// `(k, log2 relative width of w_k)` for the rounds that finished.
    pub points: Vec<(usize, f64)>,
    /// Fitted intercept a (bits).
    pub intercept: f64,
    /// Fitted growth b (bits lost per round).
    pub bits_per_round: f64,
    /// Whether every measured point lies below `a + b k + 8`.
    pub within_bound: bool,
    /// Why the run stopped early (an undecidable comparison), if it did.
    pub stopped: Option<String>,
}

impl WidthGrowth {
    /// The precision (bits) the model says a run of K rounds needs to keep
    /// the enclosures of `w` below `2^-margin` relative width.
    pub fn bits_needed(&self, rounds: usize, margin: f64) -> f64 {
        (self.intercept + self.bits_per_round * rounds as f64 + margin + self.prec as f64).max(0.0)
    }
}

use crate::num::Scalar as _;

struct WidthObserver(Vec<(usize, f64)>);

impl crate::mix::Observer<crate::interval::Interval> for WidthObserver {
    fn observe(&mut self, r: &crate::mix::RoundRecord<crate::interval::Interval>) {
        let scale =
            r.w.iter()
                .map(|x| x.to_f64().abs())
                .fold(0.0, f64::max)
                .max(1e-300);
        let width = r.w.iter().map(|x| x.width().to_f64()).fold(0.0, f64::max);
        if width > 0.0 && width.is_finite() {
            self.0.push((r.k, (width / scale).log2()));
        }
    }
}

/// Measures [`WidthGrowth`] on an instance (unrolled estimator, its α).
pub fn interval_width_growth(
    inst: &Instance,
    steps: usize,
    budget: usize,
    prec: u32,
    update: UpdateKind,
) -> Result<WidthGrowth> {
    use crate::interval::{clear_interval_error, take_interval_error, Interval};
    let alpha = runner::resolve_alpha(inst)?;
    let problem: crate::model::Problem<Interval> = crate::model::Problem::new(inst, &prec);
    let config = crate::mix::MixConfig::<Interval>::from_instance(
        inst,
        &prec,
        steps,
        budget,
        &alpha,
        Estimator::Unrolled,
        u64::MAX,
    );
    let mut obs = WidthObserver(Vec::new());
    clear_interval_error();
    let out = match update {
        UpdateKind::Pgd => crate::mix::run(&problem, &config, crate::mix::Pgd, &mut [&mut obs]),
        UpdateKind::Eg => crate::mix::run(&problem, &config, crate::mix::Eg, &mut [&mut obs]),
    };
    let flagged = take_interval_error();
    // Keep the rounds before the first undecidable operation only.
    let stopped = match (&out, &flagged) {
        (_, Some(e)) => Some(e.to_string()),
        (Err(e), None) => Some(e.to_string()),
        _ => None,
    };
    let pts: Vec<(usize, f64)> = obs.0;
    let n = pts.len() as f64;
    let (a, b) = if pts.len() >= 2 {
        let mx = pts.iter().map(|p| p.0 as f64).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxy: f64 = pts.iter().map(|p| (p.0 as f64 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pts.iter().map(|p| (p.0 as f64 - mx).powi(2)).sum();
        let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        (my - b * mx, b)
    } else {
        (pts.first().map_or(0.0, |p| p.1), 0.0)
    };
    let within_bound = pts.iter().all(|&(k, y)| y <= a + b * k as f64 + 8.0);
    Ok(WidthGrowth {
        steps,
        prec,
        points: pts,
        intercept: a,
        bits_per_round: b,
        within_bound,
        stopped,
    })
}
