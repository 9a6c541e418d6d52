//! The report's figures as [`Chart`]s built from results (drawing is
//! [`crate::plot`]'s job): err(N, T) curves, T*(N) with the fitted laws and
//! the bound, weight trajectories, the decay of the truncated bias.

use crate::fits::FitReport;
use crate::plot::{Chart, Series, Style};
use crate::sweep::SweepResult;

/// At most `k` budgets spread evenly over the grid (always the first and last).
fn spread(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..k).map(|i| i * (n - 1) / (k - 1)).collect();
    v.dedup();
    v
}

/// `err(N, T)` against T, one curve per budget (at most six), log–log, with
/// each curve's minimum marked.
pub fn err_curves(r: &SweepResult, title: &str) -> Chart {
    let surface = r.surface();
    let mut chart = Chart::new(
        title,
        "T (inner steps per weight update)",
        format!("{} err(N, T)", r.metric),
    )
    .log_axes(true, true);
    let tstar = r.tstar();
    for ni in spread(r.budgets.len(), 6) {
        let n = r.budgets[ni];
        let pts: Vec<(f64, f64)> = surface
            .iter()
            .filter(|c| c.n == n)
            .map(|c| (c.t as f64, c.mean))
            .collect();
        chart = chart.with_series(Series::new(format!("N = {n}"), pts, Style::Line));
    }
    let mins: Vec<(f64, f64)> = tstar
        .iter()
        .filter(|t| {
            spread(r.budgets.len(), 6)
                .iter()
                .any(|&ni| r.budgets[ni] == t.n)
        })
        .map(|t| (t.t as f64, t.value))
        .collect();
    chart.with_series(Series::new("T*(N)", mins, Style::Points))
}

/// `T*(N)` against N (log x) with the fitted laws and, if given, the bound
/// model's `T_b(N)`.
pub fn tstar_vs_n(
    r: &SweepResult,
    fits: Option<&FitReport>,
    bound: Option<&dyn Fn(f64) -> f64>,
    title: &str,
) -> Chart {
    let tstar = r.tstar();
    let mut chart = Chart::new(
        title,
        "budget N (inner gradient steps)",
        "optimal horizon T*(N)",
    )
    .log_axes(true, false);
    let pts: Vec<(f64, f64)> = tstar.iter().map(|t| (t.n as f64, t.t as f64)).collect();
    let (lo, hi) = (
        r.budgets.first().copied().unwrap_or(1) as f64,
        r.budgets.last().copied().unwrap_or(1) as f64,
    );
    let grid: Vec<f64> = (0..=60)
        .map(|i| (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / 60.0).exp())
        .collect();
    if let Some(f) = fits {
        for fit in &f.fits {
            let curve: Vec<(f64, f64)> = grid.iter().map(|&n| (n, fit.predict(n))).collect();
            let name = format!(
                "{} (R² {})",
                fit.law,
                fit.r2.map_or("n/a".into(), |x| format!("{x:.3}"))
            );
            chart = chart.with_series(Series::new(name, curve, Style::Dashed));
        }
    }
    if let Some(b) = bound {
        let curve: Vec<(f64, f64)> = grid.iter().map(|&n| (n, b(n))).collect();
        chart = chart.with_series(Series::new("bound model T_b(N)", curve, Style::Line));
    }
    if r.seeds > 1 {
        let lo: Vec<(f64, f64)> = tstar
            .iter()
            .filter_map(|t| t.t_ci.map(|(a, _)| (t.n as f64, a as f64)))
            .collect();
        let hi: Vec<(f64, f64)> = tstar
            .iter()
            .filter_map(|t| t.t_ci.map(|(_, b)| (t.n as f64, b as f64)))
            .collect();
        chart = chart
            .with_series(Series::new("T* 95% CI (low)", lo, Style::Dashed))
            .with_series(Series::new("T* 95% CI (high)", hi, Style::Dashed));
    }
    chart.with_series(Series::new("measured T*(N)", pts, Style::LinePoints))
}

/// Weight on domain 1 against the inner steps spent, `k·T` (log scale, so
/// that greedy's early collapse and the long run both show), one curve per
/// run given as (name, T, `w_k,1` for k = 0..=K).
pub fn trajectories(runs: &[(String, usize, Vec<f64>)], w_star: f64, title: &str) -> Chart {
    let mut chart =
        Chart::new(title, "inner steps k·T", "w_k,1 (weight on domain 1)").log_axes(true, false);
    let mut xmax: f64 = 1.0;
    for (name, t, w1) in runs {
        let pts: Vec<(f64, f64)> = w1
            .iter()
            .enumerate()
            .skip(1)
            .map(|(k, &x)| ((k * t) as f64, x))
            .collect();
        xmax = pts.iter().map(|p| p.0).fold(xmax, f64::max);
        chart = chart.with_series(Series::new(name.clone(), pts, Style::Line));
    }
    chart.with_series(Series::new(
        "w*_1",
        vec![(1.0, w_star), (xmax, w_star)],
        Style::Dashed,
    ))
}

/// The truncated fixed points' gap against T (log y) with the predicted
/// `ρ^{2T}` slope and the fitted one, both through the last point (the
/// asymptotic regime, where the fit is made).
pub fn truncated_decay(
    points: &[(usize, f64)],
    rho2: f64,
    fitted: Option<f64>,
    title: &str,
) -> Chart {
    let pts: Vec<(f64, f64)> = points.iter().map(|&(t, g)| (t as f64, g)).collect();
    let mut chart =
        Chart::new(title, "T", "gap of the truncated fixed point").log_axes(false, true);
    if let Some(&(t0, g0)) = pts.iter().rev().find(|p| p.1 > 0.0) {
        let line = |rate: f64| -> Vec<(f64, f64)> {
            pts.iter()
                .map(|&(t, _)| (t, g0 * rate.powf(t - t0)))
                .collect()
        };
        chart = chart.with_series(Series::new(
            format!("predicted ρ² = {rho2:.4} per step"),
            line(rho2),
            Style::Dashed,
        ));
        if let Some(r) = fitted {
            chart = chart.with_series(Series::new(
                format!("fitted rate {r:.4}"),
                line(r),
                Style::Line,
            ));
        }
    }
    chart.with_series(Series::new(
        "Φ(truncated fixed point) − Φ*",
        pts,
        Style::Points,
    ))
}

/// `tstar backends`: relative deviation of `w_k` from the reference against
/// the round k, log y, one line per backend (the reference excluded).
/// Rounds with a deviation of exactly 0 (or below f64's range) cannot be
/// drawn on a log axis and are dropped; the legend says how many.
pub fn deviation_by_round(c: &crate::precision::BackendComparison) -> Chart {
    let mut chart = Chart::new(
        format!(
            "{}: deviation from {} (T = {}, N = {})",
            c.instance, c.reference, c.steps, c.budget
        ),
        "round k",
        "relative deviation of w_k",
    )
    .log_axes(false, true);
    for r in c
        .rows
        .iter()
        .filter(|r| !r.is_reference && !r.dev_w.is_empty())
    {
        let pts: Vec<(f64, f64)> = r
            .dev_w
            .iter()
            .enumerate()
            .map(|(k, d)| (k as f64, d.to_f64()))
            .filter(|p| p.1 > 0.0 && p.1.is_finite())
            .collect();
        let dropped = r.dev_w.len() - pts.len();
        let name = if dropped == 0 {
            r.backend.to_string()
        } else {
            format!(
                "{} ({dropped} zero round{} omitted)",
                r.backend,
                if dropped == 1 { "" } else { "s" }
            )
        };
        chart = chart.with_series(Series::new(name, pts, Style::LinePoints));
    }
    chart
}
