//! Least-squares fits of scaling laws to measured optimal horizons `T*(N)`
//! (SPEC §3, "Scaling laws to fit to T*(N)").
//!
//! Four laws are fitted to the points `(N_i, T*_i)`, `i = 1 … n`:
//!
//! | [`Law`]               | model                 | fitted by                                          | k |
//! |-----------------------|-----------------------|----------------------------------------------------|---|
//! | [`Law::Log`]          | `T* = a + b ln N`     | ordinary least squares in the regressor `ln N`     | 2 |
//! | [`Law::Power`]        | `T* = c N^p`          | ordinary least squares of `ln T*` on `ln N`, over the points with `T* > 0` | 2 |
//! | [`Law::Sqrt`]         | `T* = c √N`           | least squares through the origin in `x = √N`: `c = Σ x T* / Σ x²` | 1 |
//! | [`Law::SqrtNLogN`]    | `T* = c √(N ln N)`    | least squares through the origin in `x = √(N ln N)` | 1 |
//!
//! **Every law is scored on the original scale `T*`, over all `n` points**, so
//! the scores are comparable across laws:
//!
//! - `RSS = Σ (T*_i − T̂_i)²`, with `T̂` the law's prediction;
//! - `R² = 1 − RSS / TSS`, `TSS = Σ (T*_i − mean T*)²` (undefined, reported as
//!   `None`, when every `T*_i` is the same);
//! - `AIC = n ln(max(RSS, RSS_floor) / n) + 2k`, `k` the number of parameters
//!   of the law (the noise variance, common to all laws, is not counted: only
//!   AIC differences mean anything). `RSS_floor = n (ε · max(1, max |T*_i|))²`
//!   with `ε` = [`f64::EPSILON`]: a fit exact to rounding counts as exact, so
//!   two exact laws tie on `n ln(RSS/n)` and the one with fewer parameters
//!   wins instead of the one with the luckier rounding, and `ln 0` never
//!   occurs.
//!
//! The power law's parameters come from the log–log regression, which is not
//! the least-squares fit on the original scale; its original-scale RSS (and so
//! its AIC) is therefore slightly pessimistic compared with a non-linear fit.
//! The log-scale R² of that regression is reported beside it
//! ([`Fit::log_scale`]). A point with `T* ≤ 0` is left out of the power
//! regression but still counts in its original-scale RSS.
//!
//! Uncertainty: percentile bootstrap intervals at level 95% for `b` (log law)
//! and `p` (power law). Each resample draws `n` pairs `(N_i, T*_i)` with
//! replacement from a [`ChaCha8Rng`] seeded with [`FitOptions::seed`], so a
//! report is reproducible bit for bit. A resample in which the slope cannot be
//! fitted (all drawn `N` equal; for `p`, fewer than two drawn points with
//! `T* > 0` at distinct `N`) is skipped and counted in
//! [`BootstrapCi::skipped`].
//!
//! The verdict ([`FitReport::best`]) is the law with the smallest AIC; ties go
//! to fewer parameters, then to the order of [`Law::ALL`].

use std::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use thiserror::Error;

/// The confidence level of the bootstrap intervals.
pub const CI_LEVEL: f64 = 0.95;

/// An AIC difference below this is conventionally read as "the data hardly
/// separate the two laws" (Burnham & Anderson's rule of thumb); the verdict
/// says so.
pub const AIC_CLOSE: f64 = 2.0;

/// A scaling law for `T*(N)` (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Law {
    /// `T* = a + b ln N`.
    Log,
    /// `T* = c N^p`.
    Power,
    /// `T* = c √N`.
    Sqrt,
    /// `T* = c √(N ln N)`.
    SqrtNLogN,
}

impl Law {
    /// Every law, in the order of [`FitReport::fits`] (and of tie-breaking).
    pub const ALL: [Law; 4] = [Law::Log, Law::Power, Law::Sqrt, Law::SqrtNLogN];

    /// The number of fitted parameters `k` (the AIC penalty is `2k`).
    pub fn parameters(self) -> usize {
        match self {
            Law::Log | Law::Power => 2,
            Law::Sqrt | Law::SqrtNLogN => 1,
        }
    }

    /// The model with symbolic parameters, e.g. `T* = a + b ln N`.
    pub fn formula(self) -> &'static str {
        match self {
            Law::Log => "T* = a + b ln N",
            Law::Power => "T* = c N^p",
            Law::Sqrt => "T* = c √N",
            Law::SqrtNLogN => "T* = c √(N ln N)",
        }
    }
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Law::Log => "log",
            Law::Power => "power",
            Law::Sqrt => "sqrt",
            Law::SqrtNLogN => "sqrt(N ln N)",
        })
    }
}

/// The fitted parameters of one law. Serialized without a tag, e.g.
/// `{"a": 2.0, "b": 3.0}` (the law is named beside it in [`Fit::law`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Params {
    /// `T* = a + b ln N`.
    Log {
        /// Intercept.
        a: f64,
        /// Slope in `ln N`.
        b: f64,
    },
    /// `T* = c N^p`.
    Power {
        /// Prefactor (`c = exp(intercept)` of the log–log regression).
        c: f64,
        /// Exponent.
        p: f64,
    },
    /// `T* = c √N`.
    Sqrt {
        /// Prefactor.
        c: f64,
    },
    /// `T* = c √(N ln N)`.
    SqrtNLogN {
        /// Prefactor.
        c: f64,
    },
}

impl Params {
    /// The law these parameters belong to.
    pub fn law(&self) -> Law {
        match self {
            Params::Log { .. } => Law::Log,
            Params::Power { .. } => Law::Power,
            Params::Sqrt { .. } => Law::Sqrt,
            Params::SqrtNLogN { .. } => Law::SqrtNLogN,
        }
    }

    /// The law's prediction `T̂(N)`. NaN outside its domain: `N ≤ 0` for the
    /// log and power laws, `N < 0` for `√N`, `N < 1` for `√(N ln N)`.
    pub fn predict(&self, n: f64) -> f64 {
        match *self {
            Params::Log { a, b } => a + b * n.ln(),
            Params::Power { c, p } => c * n.powf(p),
            Params::Sqrt { c } => c * n.sqrt(),
            Params::SqrtNLogN { c } => c * sqrt_n_ln_n(n),
        }
    }
}

/// The model with the fitted numbers, e.g. `T* = 2.00 + 3.00 ln N`.
impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Params::Log { a, b } => {
                let sign = if b < 0.0 { '−' } else { '+' };
                write!(f, "T* = {} {sign} {} ln N", sig(a), sig(b.abs()))
            }
            Params::Power { c, p } => write!(f, "T* = {} N^{}", sig(c), sig(p)),
            Params::Sqrt { c } => write!(f, "T* = {} √N", sig(c)),
            Params::SqrtNLogN { c } => write!(f, "T* = {} √(N ln N)", sig(c)),
        }
    }
}

/// The log–log regression behind the power law: its own goodness of fit, on
/// the scale it was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LogScale {
    /// Points used (those with `T* > 0`).
    pub n_used: usize,
    /// `Σ (ln T*_i − ln c − p ln N_i)²` over the points used.
    pub rss: f64,
    /// `1 − rss / Σ (ln T*_i − mean ln T*)²`; `None` when every used `T*` is
    /// the same.
    pub r2: Option<f64>,
}

/// One law fitted to the data, scored on the original scale `T*` (see the
/// module documentation for the formulas).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// Which law.
    pub law: Law,
    /// The fitted parameters.
    pub params: Params,
    /// Number of points `n` (all of them, for every law).
    pub n: usize,
    /// Number of fitted parameters `k`.
    pub k: usize,
    /// `Σ (T*_i − T̂_i)²` over all `n` points (not floored).
    pub rss: f64,
    /// `1 − RSS/TSS` on the original scale; `None` when every `T*_i` is the
    /// same (`TSS = 0`).
    pub r2: Option<f64>,
    /// `n ln(max(RSS, RSS_floor)/n) + 2k`.
    pub aic: f64,
    /// `AIC − AIC(best)`: 0 for the best law, positive for the others.
    pub delta_aic: f64,
    /// For [`Law::Power`] only: the log–log regression's own fit.
    pub log_scale: Option<LogScale>,
}

impl Fit {
    /// The fitted curve at budget `n` (for drawing): see [`Params::predict`].
    pub fn predict(&self, n: f64) -> f64 {
        self.params.predict(n)
    }
}

/// A percentile bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapCi {
    /// Lower end: the `(1 − level)/2` quantile of the resampled estimates.
    pub lo: f64,
    /// Upper end: the `(1 + level)/2` quantile of the resampled estimates.
    pub hi: f64,
    /// Confidence level ([`CI_LEVEL`]).
    pub level: f64,
    /// Resamples drawn (`B`).
    pub resamples: usize,
    /// Resamples skipped because the parameter could not be fitted on them;
    /// the interval rests on `resamples − skipped` estimates.
    pub skipped: usize,
}

impl BootstrapCi {
    /// Whether `v` lies in `[lo, hi]`.
    pub fn contains(&self, v: f64) -> bool {
        self.lo <= v && v <= self.hi
    }
}

/// Options of [`fit_laws`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FitOptions {
    /// Bootstrap resamples `B` (default 2000); 0 turns the bootstrap off.
    pub resamples: usize,
    /// Seed of the bootstrap's `ChaCha8Rng` (default 0).
    pub seed: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            resamples: 2000,
            seed: 0,
        }
    }
}

/// Why the laws could not be fitted.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum FitError {
    /// `ns` and `tstar` differ in length.
    #[error("{ns} budgets N but {tstar} values T*: one T* per N is needed")]
    LengthMismatch {
        /// Length of `ns`.
        ns: usize,
        /// Length of `tstar`.
        tstar: usize,
    },
    /// Fewer than 3 points.
    #[error("{n} point(s): fitting the scaling laws needs at least 3")]
    TooFewPoints {
        /// Number of points given.
        n: usize,
    },
    /// A NaN or infinite `N` or `T*`.
    #[error("point {index}: N = {n}, T* = {tstar}: not a finite number")]
    NonFinite {
        /// Index of the point.
        index: usize,
        /// Its `N`.
        n: f64,
        /// Its `T*`.
        tstar: f64,
    },
    /// `N ≤ 0`: `ln N` is undefined.
    #[error("point {index}: N = {n} ≤ 0, so ln N is undefined")]
    NonPositiveN {
        /// Index of the point.
        index: usize,
        /// Its `N`.
        n: f64,
    },
    /// `0 < N ≤ 1`: `ln N ≤ 0`, so the regressor `√(N ln N)` of
    /// [`Law::SqrtNLogN`] is undefined (or 0 at `N = 1`).
    #[error(
        "point {index}: N = {n} ≤ 1 gives ln N ≤ 0, so √(N ln N) is undefined (or 0 at N = 1); \
         drop the budgets N ≤ 1"
    )]
    NLogNUndefined {
        /// Index of the point.
        index: usize,
        /// Its `N`.
        n: f64,
    },
    /// Every `N` is the same: no slope in `ln N` can be fitted.
    #[error("every point has N = {n}: no law in N can be fitted")]
    AllNEqual {
        /// The common `N`.
        n: f64,
    },
    /// The power law is fitted on `ln T*` and needs two points with `T* > 0`
    /// at distinct `N`.
    #[error(
        "only {positive} point(s) with T* > 0: the power law is fitted on ln T* and needs at \
         least two of them, at distinct N"
    )]
    PowerUndefined {
        /// Points with `T* > 0`.
        positive: usize,
    },
}

/// The four laws fitted to one data set, with bootstrap intervals and the
/// AIC verdict (SPEC §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    /// Number of points.
    pub n: usize,
    /// One fit per law, in the order of [`Law::ALL`].
    pub fits: Vec<Fit>,
    /// The law with the smallest AIC.
    pub best: Law,
    /// Bootstrap interval for `b` of the log law (`None` if the bootstrap is
    /// off or every resample was degenerate).
    pub log_b_ci: Option<BootstrapCi>,
    /// Bootstrap interval for `p` of the power law (`None` likewise).
    pub power_p_ci: Option<BootstrapCi>,
    /// The options used.
    pub options: FitOptions,
}

impl FitReport {
    /// The fit of `law`.
    pub fn fit(&self, law: Law) -> &Fit {
        self.fits
            .iter()
            .find(|f| f.law == law)
            .expect("a report holds a fit of every law")
    }

    /// The fit of the best law.
    pub fn best_fit(&self) -> &Fit {
        self.fit(self.best)
    }

    /// Whether the log law `T* = a + b ln N` has the smallest AIC.
    pub fn log_is_best(&self) -> bool {
        self.best == Law::Log
    }

    /// The best law other than [`FitReport::best`] (smallest AIC among the
    /// rest).
    pub fn runner_up(&self) -> &Fit {
        self.fits
            .iter()
            .filter(|f| f.law != self.best)
            .min_by(|x, y| x.aic.total_cmp(&y.aic))
            .expect("four laws are fitted")
    }

    /// One honest sentence, e.g. `log law wins: T* = 3.10 + 2.00 ln N,
    /// R² = 0.9700, b ∈ [1.80, 2.20] (95% bootstrap); next: power,
    /// ΔAIC = 12.3`. It names the log law's fate, the best law with its
    /// fitted formula and R², the intervals for `b` and `p`, and warns when
    /// the runner-up is within ΔAIC < 2.
    pub fn verdict(&self) -> String {
        let log = self.fit(Law::Log);
        let Some(log_r2) = log.r2 else {
            return format!(
                "T* is the same at all {} budgets: no growth to fit, and every law with a free \
                 constant reproduces it, so the comparison says nothing (AIC picks {})",
                self.n, self.best
            );
        };
        let b_ci = ci_text("b", &self.log_b_ci);
        let p_ci = ci_text("p", &self.power_p_ci);
        let runner = self.runner_up();
        let next = if runner.delta_aic < AIC_CLOSE {
            format!(
                "; but {} is within ΔAIC = {:.2} < {AIC_CLOSE}, so the data hardly separate them",
                runner.law, runner.delta_aic
            )
        } else {
            format!("; next: {}, ΔAIC = {:.1}", runner.law, runner.delta_aic)
        };
        if self.log_is_best() {
            return format!(
                "log law wins: {}, R² = {}, {b_ci}{next}",
                log.params,
                r2_text(Some(log_r2))
            );
        }
        let best = self.best_fit();
        let fate = if log_r2 < 0.9 {
            format!(
                "the log law does not fit here (R² = {}",
                r2_text(Some(log_r2))
            )
        } else {
            format!(
                "the log law fits (R² = {}) but is not the best (ΔAIC = {:.1}",
                r2_text(Some(log_r2)),
                log.delta_aic
            )
        };
        format!(
            "{fate}, {b_ci}); best: {}, {}, R² = {}, {p_ci}{next}",
            best.law,
            best.params,
            r2_text(best.r2)
        )
    }
}

/// Fits the four laws of SPEC §3 to the points `(ns[i], tstar[i])` by least
/// squares, scores them on `T*` (RSS, R², AIC), bootstraps intervals for the
/// log law's `b` and the power law's `p`, and picks the law with the smallest
/// AIC. The formulas are in the module documentation.
///
/// Needs at least 3 points, every `N > 1` (for `√(N ln N)`), not all `N`
/// equal, finite values, and two points with `T* > 0` (for the power law).
///
/// ```
/// use tstar::fits::{fit_laws, FitOptions, Law};
/// let ns: Vec<f64> = (2..=6).map(|e| 10f64.powi(e)).collect();
/// let t: Vec<f64> = ns.iter().map(|n| 2.0 + 3.0 * n.ln()).collect();
/// let report = fit_laws(&ns, &t, &FitOptions::default()).unwrap();
/// assert_eq!(report.best, Law::Log);
/// assert!(report.log_b_ci.unwrap().contains(3.0));
/// assert!((report.fit(Law::Log).predict(1e3) - t[1]).abs() < 1e-9);
/// println!("{}", report.verdict());
/// ```
pub fn fit_laws(ns: &[f64], tstar: &[f64], opts: &FitOptions) -> Result<FitReport, FitError> {
    validate(ns, tstar)?;
    let n = ns.len();
    let ln_n: Vec<f64> = ns.iter().map(|v| v.ln()).collect();

    let (a, b) = linear_ls(&ln_n, tstar).ok_or(FitError::AllNEqual { n: ns[0] })?;

    let (pos_x, pos_y) = positive_log_points(&ln_n, tstar, 0..n);
    let (ln_c, p) = linear_ls(&pos_x, &pos_y).ok_or(FitError::PowerUndefined {
        positive: pos_x.len(),
    })?;
    let log_scale = {
        let rss = pos_x
            .iter()
            .zip(&pos_y)
            .map(|(x, y)| (y - ln_c - p * x).powi(2))
            .sum::<f64>();
        LogScale {
            n_used: pos_x.len(),
            rss,
            r2: r_squared(rss, &pos_y),
        }
    };

    let sqrt_x: Vec<f64> = ns.iter().map(|v| v.sqrt()).collect();
    let nlogn_x: Vec<f64> = ns.iter().map(|&v| sqrt_n_ln_n(v)).collect();

    let all_params = [
        Params::Log { a, b },
        Params::Power { c: ln_c.exp(), p },
        Params::Sqrt {
            c: origin_ls(&sqrt_x, tstar),
        },
        Params::SqrtNLogN {
            c: origin_ls(&nlogn_x, tstar),
        },
    ];

    let scale = tstar.iter().fold(1.0_f64, |m, t| m.max(t.abs()));
    let rss_floor = n as f64 * (f64::EPSILON * scale).powi(2);
    let mut fits: Vec<Fit> = all_params
        .iter()
        .map(|params| {
            let law = params.law();
            let rss = ns
                .iter()
                .zip(tstar)
                .map(|(&x, &t)| (t - params.predict(x)).powi(2))
                .sum::<f64>();
            let k = law.parameters();
            Fit {
                law,
                params: *params,
                n,
                k,
                rss,
                r2: r_squared(rss, tstar),
                aic: n as f64 * (rss.max(rss_floor) / n as f64).ln() + 2.0 * k as f64,
                delta_aic: 0.0,
                log_scale: (law == Law::Power).then_some(log_scale),
            }
        })
        .collect();

    // Smallest AIC; ties to fewer parameters, then to the order of Law::ALL
    // (min_by keeps the first of equal elements).
    let best = fits
        .iter()
        .min_by(|x, y| x.aic.total_cmp(&y.aic).then(x.k.cmp(&y.k)))
        .expect("four laws are fitted");
    let (best_law, best_aic) = (best.law, best.aic);
    for f in &mut fits {
        f.delta_aic = f.aic - best_aic;
    }

    let (log_b_ci, power_p_ci) = bootstrap(&ln_n, tstar, opts);
    Ok(FitReport {
        n,
        fits,
        best: best_law,
        log_b_ci,
        power_p_ci,
        options: *opts,
    })
}

fn validate(ns: &[f64], tstar: &[f64]) -> Result<(), FitError> {
    if ns.len() != tstar.len() {
        return Err(FitError::LengthMismatch {
            ns: ns.len(),
            tstar: tstar.len(),
        });
    }
    if ns.len() < 3 {
        return Err(FitError::TooFewPoints { n: ns.len() });
    }
    for (index, (&n, &t)) in ns.iter().zip(tstar).enumerate() {
        if !n.is_finite() || !t.is_finite() {
            return Err(FitError::NonFinite { index, n, tstar: t });
        }
    }
    if let Some((index, &n)) = ns.iter().enumerate().find(|(_, &n)| n <= 0.0) {
        return Err(FitError::NonPositiveN { index, n });
    }
    if let Some((index, &n)) = ns.iter().enumerate().find(|(_, &n)| n <= 1.0) {
        return Err(FitError::NLogNUndefined { index, n });
    }
    Ok(())
}

/// `√(N ln N)`.
fn sqrt_n_ln_n(n: f64) -> f64 {
    (n * n.ln()).sqrt()
}

/// The points `(ln N_i, ln T*_i)` with `T*_i > 0`, `i` in `idx`.
fn positive_log_points(
    ln_n: &[f64],
    tstar: &[f64],
    idx: impl IntoIterator<Item = usize>,
) -> (Vec<f64>, Vec<f64>) {
    idx.into_iter()
        .filter(|&i| tstar[i] > 0.0)
        .map(|i| (ln_n[i], tstar[i].ln()))
        .unzip()
}

/// Ordinary least squares `y ≈ α + β x` by centred sums:
/// `β = Σ (x − x̄)(y − ȳ) / Σ (x − x̄)²`, `α = ȳ − β x̄`. `None` with fewer
/// than 2 points or when every `x` is the same (checked on the values, not on
/// the centred sum, which rounding can leave slightly positive).
fn linear_ls(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if x.len() < 2 || hi - lo <= 0.0 {
        return None;
    }
    let m = x.len() as f64;
    let xm = x.iter().sum::<f64>() / m;
    let ym = y.iter().sum::<f64>() / m;
    let (sxx, sxy) = x.iter().zip(y).fold((0.0, 0.0), |(sxx, sxy), (&xi, &yi)| {
        let dx = xi - xm;
        (sxx + dx * dx, sxy + dx * (yi - ym))
    });
    let beta = sxy / sxx;
    Some((ym - beta * xm, beta))
}

/// Least squares through the origin `y ≈ c x`: `c = Σ x y / Σ x²`
/// (`Σ x² > 0` since every `N > 1`).
fn origin_ls(x: &[f64], y: &[f64]) -> f64 {
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let sxx: f64 = x.iter().map(|a| a * a).sum();
    sxy / sxx
}

/// `1 − rss / Σ (y − ȳ)²`, `None` when every `y` is the same (tested on the
/// values: the centred sum of a constant need not round to 0).
fn r_squared(rss: f64, y: &[f64]) -> Option<f64> {
    let first = y.first()?;
    if y.iter().all(|v| v.to_bits() == first.to_bits()) {
        return None;
    }
    let ym = y.iter().sum::<f64>() / y.len() as f64;
    let tss: f64 = y.iter().map(|v| (v - ym).powi(2)).sum();
    Some(1.0 - rss / tss)
}

/// Percentile bootstrap of `b` (log law) and `p` (power law) on the same
/// resamples of the pairs.
fn bootstrap(
    ln_n: &[f64],
    tstar: &[f64],
    opts: &FitOptions,
) -> (Option<BootstrapCi>, Option<BootstrapCi>) {
    let b_count = opts.resamples;
    if b_count == 0 {
        return (None, None);
    }
    let n = ln_n.len();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut idx = vec![0usize; n];
    let (mut xs, mut ys) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut bs, mut ps) = (Vec::with_capacity(b_count), Vec::with_capacity(b_count));
    for _ in 0..b_count {
        for i in idx.iter_mut() {
            *i = rng.random_range(0..n);
        }
        xs.clear();
        ys.clear();
        xs.extend(idx.iter().map(|&i| ln_n[i]));
        ys.extend(idx.iter().map(|&i| tstar[i]));
        if let Some((_, b)) = linear_ls(&xs, &ys) {
            bs.push(b);
        }
        let (px, py) = positive_log_points(ln_n, tstar, idx.iter().copied());
        if let Some((_, p)) = linear_ls(&px, &py) {
            ps.push(p);
        }
    }
    (percentile_ci(bs, b_count), percentile_ci(ps, b_count))
}

/// The percentile interval of `estimates` (quantiles by linear interpolation
/// between order statistics, "type 7"); `None` if there are none.
fn percentile_ci(mut estimates: Vec<f64>, resamples: usize) -> Option<BootstrapCi> {
    if estimates.is_empty() {
        return None;
    }
    estimates.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let h = (estimates.len() - 1) as f64 * q;
        let (i, frac) = (h.floor() as usize, h - h.floor());
        let j = (i + 1).min(estimates.len() - 1);
        estimates[i] + frac * (estimates[j] - estimates[i])
    };
    Some(BootstrapCi {
        lo: quantile((1.0 - CI_LEVEL) / 2.0),
        hi: quantile((1.0 + CI_LEVEL) / 2.0),
        level: CI_LEVEL,
        resamples,
        skipped: resamples - estimates.len(),
    })
}

/// About three significant digits, fixed notation for moderate magnitudes.
fn sig(x: f64) -> String {
    if !x.is_finite() || x.abs() < f64::MIN_POSITIVE {
        return format!("{x}");
    }
    let e = x.abs().log10().floor() as i32;
    if (-3..5).contains(&e) {
        let decimals = (2 - e).max(0) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.2e}")
    }
}

fn r2_text(r2: Option<f64>) -> String {
    r2.map_or_else(|| "undefined".to_string(), |v| format!("{v:.4}"))
}

fn ci_text(name: &str, ci: &Option<BootstrapCi>) -> String {
    match ci {
        None => format!("no bootstrap interval for {name}"),
        Some(ci) => {
            let skipped = if ci.skipped > 0 {
                format!(", {} of {} resamples skipped", ci.skipped, ci.resamples)
            } else {
                String::new()
            };
            format!(
                "{name} ∈ [{}, {}] ({:.0}% bootstrap{skipped})",
                sig(ci.lo),
                sig(ci.hi),
                ci.level * 100.0
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` geometric points from `10^lo` to `10^hi`.
    fn geometric(lo: f64, hi: f64, count: usize) -> Vec<f64> {
        (0..count)
            .map(|i| 10f64.powf(lo + (hi - lo) * i as f64 / (count - 1) as f64))
            .collect()
    }

    /// Deterministic noise, uniform on `[-amp, amp)`.
    fn noise(seed: u64, count: usize, amp: f64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..count).map(|_| rng.random_range(-amp..amp)).collect()
    }

    fn fit(ns: &[f64], t: &[f64]) -> FitReport {
        let r = fit_laws(ns, t, &FitOptions::default()).expect("fit");
        println!("{}", r.verdict());
        r
    }

    #[test]
    fn exact_log_law_is_recovered() {
        let ns = geometric(2.0, 6.0, 13);
        let t: Vec<f64> = ns.iter().map(|n| 2.0 + 3.0 * n.ln()).collect();
        let r = fit(&ns, &t);
        let log = r.fit(Law::Log);
        let Params::Log { a, b } = log.params else {
            panic!("log params")
        };
        assert!((a - 2.0).abs() < 1e-9, "a = {a}");
        assert!((b - 3.0).abs() < 1e-9, "b = {b}");
        assert!((log.r2.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(r.best, Law::Log);
        assert!(r.log_is_best());
        assert!(r.verdict().starts_with("log law wins"));
        // Every law other than the best is worse.
        for f in &r.fits {
            assert!(f.law == Law::Log || f.delta_aic > 0.0);
        }
        assert!((log.predict(1e4) - (2.0 + 3.0 * 1e4f64.ln())).abs() < 1e-9);
    }

    #[test]
    fn noisy_log_law_ci_contains_b() {
        let ns = geometric(2.0, 6.0, 25);
        let eps = noise(7, ns.len(), 0.3);
        let t: Vec<f64> = ns
            .iter()
            .zip(&eps)
            .map(|(n, e)| 2.0 + 3.0 * n.ln() + e)
            .collect();
        let r = fit(&ns, &t);
        assert_eq!(r.best, Law::Log);
        let ci = r.log_b_ci.unwrap();
        assert!(ci.contains(3.0), "{ci:?}");
        assert!(ci.hi - ci.lo < 0.2, "{ci:?}");
        assert_eq!(ci.skipped, 0);
        assert_eq!(ci.resamples, 2000);
    }

    #[test]
    fn bootstrap_is_reproducible_and_seeded() {
        let ns = geometric(2.0, 6.0, 13);
        let eps = noise(3, ns.len(), 0.3);
        let t: Vec<f64> = ns.iter().zip(&eps).map(|(n, e)| 1.0 + n.ln() + e).collect();
        let opts = FitOptions::default();
        let r1 = fit_laws(&ns, &t, &opts).unwrap();
        let r2 = fit_laws(&ns, &t, &opts).unwrap();
        assert_eq!(r1, r2);
        let r3 = fit_laws(&ns, &t, &FitOptions { seed: 1, ..opts }).unwrap();
        assert_ne!(r1.log_b_ci, r3.log_b_ci);
        let off = fit_laws(
            &ns,
            &t,
            &FitOptions {
                resamples: 0,
                ..opts
            },
        )
        .unwrap();
        assert!(off.log_b_ci.is_none() && off.power_p_ci.is_none());
        assert_eq!(off.fits, r1.fits);
    }

    #[test]
    fn power_law_exponent_is_recovered() {
        let ns = geometric(2.0, 6.0, 13);
        let eps = noise(11, ns.len(), 0.02);
        let t: Vec<f64> = ns
            .iter()
            .zip(&eps)
            .map(|(n, e)| 0.5 * n.sqrt() * (1.0 + e))
            .collect();
        let r = fit(&ns, &t);
        let Params::Power { c, p } = r.fit(Law::Power).params else {
            panic!("power params")
        };
        assert!((p - 0.5).abs() < 0.01, "p = {p}");
        assert!((c - 0.5).abs() < 0.05, "c = {c}");
        assert!(r.power_p_ci.unwrap().contains(0.5), "{:?}", r.power_p_ci);
        // N^0.5 is both the power law and the one-parameter √N law, so AIC
        // may pick either; it must not pick the log law.
        assert!(matches!(r.best, Law::Power | Law::Sqrt), "{}", r.best);
        assert!(!r.log_is_best());
        assert!(r.verdict().starts_with("the log law does not fit here"));
        let ls = r.fit(Law::Power).log_scale.unwrap();
        assert_eq!(ls.n_used, 13);
        assert!(ls.r2.unwrap() > 0.999);
    }

    /// `√(N ln N)` has local log–log slope `1/2 + 1/(2 ln N)`, which is 0.61
    /// to 0.54 on `N = 10²…10⁶`: a power law with p a little above 1/2 follows
    /// it closely. So the test asserts: the `√(N ln N)` law fits (R² ≥ 0.999),
    /// the best is `√(N ln N)` or the power law, the log law is not best, and
    /// the fitted `p` lies in (0.5, 0.62).
    #[test]
    fn sqrt_n_log_n_law_is_preferred_to_log() {
        let ns = geometric(2.0, 6.0, 13);
        let eps = noise(5, ns.len(), 0.01);
        let t: Vec<f64> = ns
            .iter()
            .zip(&eps)
            .map(|(n, e)| 0.3 * (n * n.ln()).sqrt() * (1.0 + e))
            .collect();
        let r = fit(&ns, &t);
        assert!(r.fit(Law::SqrtNLogN).r2.unwrap() >= 0.999);
        assert!(matches!(r.best, Law::SqrtNLogN | Law::Power), "{}", r.best);
        assert!(!r.log_is_best());
        let Params::Power { p, .. } = r.fit(Law::Power).params else {
            panic!("power params")
        };
        assert!(p > 0.5 && p < 0.62, "p = {p}");
    }

    #[test]
    fn integer_tstar_still_gives_log() {
        let ns = geometric(2.0, 6.0, 13);
        let t: Vec<f64> = ns.iter().map(|n| (2.0 + 3.0 * n.ln()).round()).collect();
        let r = fit(&ns, &t);
        assert_eq!(r.best, Law::Log);
        assert!(r.log_b_ci.unwrap().contains(3.0), "{:?}", r.log_b_ci);
    }

    #[test]
    fn constant_tstar_has_no_r2() {
        let ns = geometric(2.0, 6.0, 7);
        let t = vec![4.0; ns.len()];
        let r = fit(&ns, &t);
        assert!(r.fits.iter().all(|f| f.r2.is_none()));
        // Log (b = 0) and power (p = 0) are both exact to rounding: the RSS
        // floor makes them tie, and the tie goes to the log law.
        assert_eq!(r.best, Law::Log);
        assert!(r.verdict().contains("no growth"));
    }

    #[test]
    fn errors() {
        let opts = FitOptions::default();
        assert_eq!(
            fit_laws(&[10.0, 100.0], &[1.0, 2.0], &opts),
            Err(FitError::TooFewPoints { n: 2 })
        );
        assert_eq!(
            fit_laws(&[10.0, 100.0, 1000.0], &[1.0, 2.0], &opts),
            Err(FitError::LengthMismatch { ns: 3, tstar: 2 })
        );
        assert_eq!(
            fit_laws(&[10.0, 0.0, 1000.0], &[1.0, 2.0, 3.0], &opts),
            Err(FitError::NonPositiveN { index: 1, n: 0.0 })
        );
        assert_eq!(
            fit_laws(&[10.0, 100.0, -5.0], &[1.0, 2.0, 3.0], &opts),
            Err(FitError::NonPositiveN { index: 2, n: -5.0 })
        );
        assert_eq!(
            fit_laws(&[1.0, 100.0, 1000.0], &[1.0, 2.0, 3.0], &opts),
            Err(FitError::NLogNUndefined { index: 0, n: 1.0 })
        );
        assert!(matches!(
            fit_laws(&[10.0, f64::NAN, 1000.0], &[1.0, 2.0, 3.0], &opts),
            Err(FitError::NonFinite { index: 1, .. })
        ));
        assert!(matches!(
            fit_laws(&[10.0, 100.0, 1000.0], &[1.0, f64::INFINITY, 3.0], &opts),
            Err(FitError::NonFinite { index: 1, .. })
        ));
        assert_eq!(
            fit_laws(&[10.0, 10.0, 10.0], &[1.0, 2.0, 3.0], &opts),
            Err(FitError::AllNEqual { n: 10.0 })
        );
        assert_eq!(
            fit_laws(&[10.0, 100.0, 1000.0], &[0.0, -1.0, 3.0], &opts),
            Err(FitError::PowerUndefined { positive: 1 })
        );
        let msg = FitError::NLogNUndefined { index: 0, n: 1.0 }.to_string();
        assert!(msg.contains("ln N ≤ 0"), "{msg}");
    }

    #[test]
    fn degenerate_resamples_are_skipped_and_counted() {
        // Two of three points share N: a resample is degenerate when it
        // draws only the shared N or only the other one.
        let r = fit_laws(
            &[10.0, 10.0, 1000.0],
            &[3.0, 4.0, 9.0],
            &FitOptions::default(),
        )
        .unwrap();
        let ci = r.log_b_ci.unwrap();
        assert!(ci.skipped > 0 && ci.skipped < ci.resamples, "{ci:?}");
        // Expected fraction (2/3)³ + (1/3)³ = 1/3.
        let frac = ci.skipped as f64 / ci.resamples as f64;
        assert!((frac - 1.0 / 3.0).abs() < 0.05, "{frac}");
    }

    #[test]
    fn report_serializes() {
        let ns = geometric(2.0, 6.0, 5);
        let t: Vec<f64> = ns.iter().map(|n| 1.0 + n.ln()).collect();
        let r = fit_laws(&ns, &t, &FitOptions::default()).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["best"], "log");
        assert!(json["fits"][0]["params"]["b"].is_number());
        assert_eq!(json["fits"][3]["law"], "sqrt_n_log_n");
    }

    #[test]
    fn formatting() {
        assert_eq!(sig(3.456), "3.46");
        assert_eq!(sig(0.5), "0.500");
        assert_eq!(sig(123.456), "123");
        assert_eq!(sig(1.5e-7), "1.50e-7");
        assert_eq!(
            Params::Log { a: 3.1, b: -2.0 }.to_string(),
            "T* = 3.10 − 2.00 ln N"
        );
        assert_eq!(Law::SqrtNLogN.to_string(), "sqrt(N ln N)");
    }
}
