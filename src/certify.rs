//! `tstar certify`: a proof of which horizon is optimal at a budget.
//!
//! For every T, MIX(T, N) runs on the rigorous interval backend
//! ([`crate::interval`]): each number is an interval with MPFR endpoints
//! rounded outward, so the computed `[lo_T, hi_T]` contains the exact
//! `err(N, T)` of the exact-arithmetic algorithm. T* is proved when the best
//! upper end is below every other lower end; otherwise the T whose
//! enclosures overlap the best one are listed. The precision is doubled
//! until the answer separates or a limit is reached.
//!
//! The `gap` and `val` metrics subtract Φ*; the comparison between horizons
//! does not depend on it (it is a common shift), but the printed enclosures
//! do: they use the certified enclosure of Φ* for two domains, and the local
//! value (flagged) otherwise.

use rayon::prelude::*;
use rug::float::Round;
use rug::{Float, Rational};

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::interval::{clear_interval_error, take_interval_error, Interval};
use crate::mix::{Eg, Estimator, Pgd, RoundMethod, UpdateKind};
use crate::model::Problem;
use crate::num::Backend;
use crate::optimum::{Optimum, OptimumKind};
use crate::sweep::{self, Metric, SweepSpec};

/// What to certify.
#[derive(Clone, Debug)]
pub struct CertifySpec {
    /// Budget N.
    pub budget: usize,
    /// Horizons T (those with T ≤ N compete).
    pub steps: Vec<usize>,
    /// The error compared.
    pub metric: Metric,
    /// Estimator.
    pub estimator: Estimator,
    /// Update.
    pub update: UpdateKind,
    /// Outer step α (exact).
    pub alpha: Rational,
    /// First precision tried, in bits.
    pub start_prec: u32,
    /// Largest precision tried, in bits.
    pub max_prec: u32,
}

/// The enclosure of `err(N, T)` for one T.
#[derive(Clone, Debug)]
pub struct TEnclosure {
    /// Horizon T.
    pub t: usize,
    /// Lower end (rounded down).
    pub lo: Float,
    /// Upper end (rounded up).
    pub hi: Float,
    /// Why the enclosure is the whole line, if it is.
    pub error: Option<String>,
}

/// The answer.
#[derive(Clone, Debug)]
pub struct Certificate {
    /// Budget N.
    pub budget: usize,
    /// Metric.
    pub metric: Metric,
    /// The proved T*, when the enclosures separate.
    pub tstar: Option<usize>,
    /// The T whose enclosures overlap the best one (just T* when separated).
    pub tied: Vec<usize>,
    /// The precision of the final attempt.
    pub precision_bits: u32,
    /// The final enclosures, one per competing T.
    pub enclosures: Vec<TEnclosure>,
    /// Every attempt: (precision, number of tied horizons).
    pub attempts: Vec<(u32, usize)>,
    /// Whether Φ* itself is certified (two domains).
    pub phi_star_certified: bool,
}

impl Certificate {
    /// The enclosure's ends as decimal strings rounded outward.
    pub fn bounds_text(e: &TEnclosure, digits: usize) -> (String, String) {
        if e.error.is_some() || !e.lo.is_finite() || !e.hi.is_finite() {
            return ("-inf".into(), "inf".into());
        }
        (
            e.lo.to_string_radix_round(10, Some(digits), Round::Down),
            e.hi.to_string_radix_round(10, Some(digits), Round::Up),
        )
    }
}

fn interval_of(lo: &Rational, hi: &Rational, prec: u32) -> Interval {
    let (l, _) = Float::with_val_round(prec, lo, Round::Down);
    let (h, _) = Float::with_val_round(prec, hi, Round::Up);
    Interval::new(l, h).expect("lo ≤ hi")
}

/// Encloses `err(N, T)` for every T at one precision.
fn enclose_all(
    inst: &Instance,
    opt: &Optimum,
    spec: &CertifySpec,
    prec: u32,
) -> Result<Vec<TEnclosure>> {
    let steps: Vec<usize> = spec
        .steps
        .iter()
        .copied()
        .filter(|&t| t <= spec.budget)
        .collect();
    let problem: Problem<Interval> = Problem::new(inst, &prec);
    let phi_star = match &opt.enclosure {
        Some((lo, hi)) => interval_of(lo, hi, prec),
        None => interval_of(&opt.phi_star, &opt.phi_star, prec),
    };
    let sweep_spec = SweepSpec {
        estimator: spec.estimator,
        update: spec.update,
        backend: Backend::Interval(prec),
        method: RoundMethod::Iterative,
        fast_forward: false,
        ..SweepSpec::new(
            vec![spec.budget],
            steps.clone(),
            spec.metric,
            vec![spec.alpha.clone()],
        )
    };
    steps
        .par_iter()
        .enumerate()
        .map(|(ti, &t)| {
            // Each task runs on one thread: the thread-local error slot is
            // this trajectory's own.
            clear_interval_error();
            let out = match spec.update {
                UpdateKind::Pgd => sweep::trajectory::<Interval, Pgd>(
                    &problem,
                    inst,
                    &phi_star,
                    &sweep_spec,
                    ti,
                    0,
                    0,
                    &prec,
                    Pgd,
                ),
                UpdateKind::Eg => sweep::trajectory::<Interval, Eg>(
                    &problem,
                    inst,
                    &phi_star,
                    &sweep_spec,
                    ti,
                    0,
                    0,
                    &prec,
                    Eg,
                ),
            };
            let flagged = take_interval_error();
            let whole = |why: String| TEnclosure {
                t,
                lo: Float::with_val(prec, f64::NEG_INFINITY),
                hi: Float::with_val(prec, f64::INFINITY),
                error: Some(why),
            };
            Ok(match (out, flagged) {
                (_, Some(e)) => whole(e.to_string()),
                (Err(e @ Error::NonFinite { .. }), None) => whole(e.to_string()),
                (Err(e), None) => return Err(e),
                (Ok(tr), None) => match tr.values.first().cloned().flatten() {
                    Some(v) => TEnclosure {
                        t,
                        lo: v.lo().clone(),
                        hi: v.hi().clone(),
                        error: None,
                    },
                    None => whole("no value (diverged)".into()),
                },
            })
        })
        .collect()
}

/// Certifies T* at the budget, doubling the precision from `start_prec`
/// up to `max_prec` until the enclosures separate.
pub fn certify(inst: &Instance, opt: &Optimum, spec: &CertifySpec) -> Result<Certificate> {
    if spec.steps.iter().all(|&t| t > spec.budget) || spec.steps.is_empty() {
        return Err(Error::param(
            "--steps",
            format!("no T ≤ N = {} to compare", spec.budget),
        ));
    }
    if spec.steps.contains(&0) {
        return Err(Error::param("--steps", "T must be at least 1"));
    }
    if spec.start_prec < 16 || spec.max_prec < spec.start_prec {
        return Err(Error::param(
            "--max-precision",
            format!(
                "need 16 ≤ start ({}) ≤ max ({}) bits",
                spec.start_prec, spec.max_prec
            ),
        ));
    }
    let mut prec = spec.start_prec;
    let mut attempts = Vec::new();
    loop {
        let encl = enclose_all(inst, opt, spec, prec)?;
        let best = encl
            .iter()
            .filter(|e| e.error.is_none())
            .min_by(|a, b| a.hi.total_cmp(&b.hi).then(a.t.cmp(&b.t)));
        let (tstar, tied) = match best {
            Some(b) => {
                let tied: Vec<usize> = encl
                    .iter()
                    .filter(|e| e.t == b.t || e.error.is_some() || e.lo <= b.hi)
                    .map(|e| e.t)
                    .collect();
                ((tied.len() == 1).then_some(b.t), tied)
            }
            None => (None, encl.iter().map(|e| e.t).collect()),
        };
        attempts.push((prec, tied.len()));
        if tstar.is_some() || prec >= spec.max_prec {
            return Ok(Certificate {
                budget: spec.budget,
                metric: spec.metric,
                tstar,
                tied,
                precision_bits: prec,
                enclosures: encl,
                attempts,
                phi_star_certified: opt.kind == OptimumKind::Certified,
            });
        }
        prec = (prec.saturating_mul(2)).min(spec.max_prec);
    }
}
