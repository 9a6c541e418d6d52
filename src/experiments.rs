//! Experiments built from single runs. Today: one budget N, several horizons
//! T, the same instance and backend — the comparison at the heart of the
//! paper (greedy T = 1 against longer lookahead), with the oracle
//! hypergradient as the reference.

use crate::error::Result;
use crate::instance::Instance;
use crate::mix::{Estimator, UpdateKind};
use crate::num::Backend;
use crate::optimum::Optimum;
use crate::runner::{self, RunReport, RunRequest, DEFAULT_MAX_BITS};
use crate::sweep::{self, Metric, SweepSpec, TStar};

/// The runs of a horizon comparison at one budget.
#[derive(Clone, Debug)]
pub struct HorizonComparison {
    /// Budget N shared by every run.
    pub budget: usize,
    /// Unrolled-estimator runs, one per T (in the order asked).
    pub unrolled: Vec<RunReport>,
    /// The oracle (`exact` estimator, T = 1) at the same budget.
    pub oracle: RunReport,
}

impl HorizonComparison {
    /// The T whose run has the smallest gap (ties to the smallest T).
    pub fn best_by_gap(&self) -> &RunReport {
        self.unrolled
            .iter()
            .min_by(|a, b| a.gap.f64.total_cmp(&b.gap.f64).then(a.steps.cmp(&b.steps)))
            .expect("at least one horizon")
    }
}

/// Runs MIX(T, N) with the unrolled estimator for every T in `steps` with
/// `T ≤ N`, and the oracle, all on `backend` with `update`.
pub fn compare_horizons(
    inst: &Instance,
    opt: &Optimum,
    steps: &[usize],
    budget: usize,
    backend: Backend,
    update: UpdateKind,
) -> Result<HorizonComparison> {
    let req = |t: usize, estimator| RunRequest {
        steps: t,
        budget,
        backend,
        estimator,
        update,
        max_bits: DEFAULT_MAX_BITS,
    };
    let unrolled = steps
        .iter()
        .filter(|&&t| t >= 1 && t <= budget)
        .map(|&t| runner::run(inst, opt, &req(t, Estimator::Unrolled)))
        .collect::<Result<Vec<_>>>()?;
    let oracle = runner::run(inst, opt, &req(1, Estimator::Exact))?;
    Ok(HorizonComparison {
        budget,
        unrolled,
        oracle,
    })
}

/// The horizon with the smallest `gap` at budget N among T = 1..=t_max
/// (f64, unrolled, the instance's α): the "best T" the counterexample's
/// trajectory figure compares greedy with.
pub fn best_horizon(
    inst: &Instance,
    opt: &Optimum,
    budget: usize,
    t_max: usize,
    update: UpdateKind,
) -> Result<TStar> {
    let spec = SweepSpec {
        update,
        ..SweepSpec::new(
            vec![budget],
            (1..=t_max.min(budget)).collect(),
            Metric::Gap,
            vec![runner::resolve_alpha(inst)?],
        )
    };
    let res = sweep::sweep(inst, &opt.phi_star, &spec)?;
    res.tstar()
        .into_iter()
        .next()
        .ok_or_else(|| crate::Error::param("--budget", "no horizon fits the budget"))
}

/// The bound model of SPEC §4.5 against the measured `T*(N)` of the
/// `stationarity` metric at the same α.
#[derive(Clone, Debug)]
pub struct BoundComparison {
    /// The proved model (`proofs/bound.md`).
    pub model: crate::bound::BoundModel,
    /// Why this α: the one asked for, or the largest power of two ≤ α_max
    /// when the asked one is outside the theorem's range.
    pub alpha_note: String,
    /// The measurement.
    pub sweep: sweep::SweepResult,
}

impl BoundComparison {
    /// `(N, T*(N), T_b(N), measured err(N, T*), bound at (N, T*))` per budget.
    pub fn rows(&self) -> Vec<(usize, usize, f64, f64, f64)> {
        self.sweep
            .tstar()
            .iter()
            .map(|t| {
                (
                    t.n,
                    t.t,
                    self.model.t_b(t.n as f64),
                    t.value,
                    self.model.value(t.n as f64, t.t as f64),
                )
            })
            .collect()
    }
}

/// Builds the bound model at α (default: the instance's) — or, when α is
/// beyond the theorem's `α ≤ α_max = 1/L_Φ`, at the largest power of two
/// below α_max, saying so — and sweeps `stationarity` (f64, unrolled, pgd,
/// fixed α) over `budgets` × `steps` to compare `T_b(N)` with `T*(N)`.
pub fn bound_comparison(
    inst: &Instance,
    opt: &Optimum,
    alpha: Option<rug::Rational>,
    budgets: Vec<usize>,
    steps: Vec<usize>,
    progress: bool,
) -> Result<BoundComparison> {
    let asked = match alpha {
        Some(a) => a,
        None => runner::resolve_alpha(inst)?,
    };
    let bound_err = |e: crate::bound::BoundError| crate::Error::Unsupported(format!("bound: {e}"));
    let (model, alpha_note) = match crate::bound::bound_model(inst, &asked) {
        Ok(m) => (m, format!("α = {asked} (as asked; within α ≤ α_max)")),
        Err(crate::bound::BoundError::NotApplicable { reason }) => {
            // The theorem needs α ≤ 1/L_Φ: take the largest 2^-k below it.
            let probe = crate::bound::bound_model(inst, &rug::Rational::from((1, 1u64 << 62)))
                .map_err(bound_err)?;
            let k = (-probe.alpha_max.log2()).ceil().max(0.0) as u32;
            let alpha = rug::Rational::from(1) >> k;
            let m = crate::bound::bound_model(inst, &alpha).map_err(bound_err)?;
            (
                m,
                format!(
                    "α = {asked} is outside the theorem ({reason}); the comparison uses α = 2^-{k} ≈ {:.3e} ≤ α_max = {:.3e}",
                    alpha.to_f64(),
                    probe.alpha_max
                ),
            )
        }
        Err(e) => return Err(bound_err(e)),
    };
    let spec = SweepSpec {
        progress,
        ..SweepSpec::new(
            budgets,
            steps,
            Metric::Stationarity,
            vec![model.alpha.clone()],
        )
    };
    let sweep = sweep::sweep(inst, &opt.phi_star, &spec)?;
    Ok(BoundComparison {
        model,
        alpha_note,
        sweep,
    })
}
