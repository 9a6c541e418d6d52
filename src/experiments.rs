//! Experiments built from single runs. Today: one budget N, several horizons
//! T, the same instance and backend — the comparison at the heart of the
//! paper (greedy T = 1 against longer lookahead), with the oracle
//! hypergradient as the reference.

use crate::error::Result;
use crate::instance::Instance;
use crate::mix::{Estimator, UpdateKind};
use crate::mix::{RoundMethod, Schedule};
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
        budgets: vec![budget],
        steps: (1..=t_max.min(budget)).collect(),
        metric: Metric::Gap,
        estimator: Estimator::Unrolled,
        update,
        backend: Backend::F64,
        alphas: vec![runner::resolve_alpha(inst)?],
        schedule: Schedule::Constant,
        noise: None,
        seeds: 1,
        base_seed: 1,
        method: RoundMethod::Auto,
        max_bits: DEFAULT_MAX_BITS,
        progress: false,
        fast_forward: true,
    };
    let res = sweep::sweep(inst, &opt.phi_star, &spec)?;
    res.tstar()
        .into_iter()
        .next()
        .ok_or_else(|| crate::Error::param("--budget", "no horizon fits the budget"))
}
