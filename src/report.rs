//! Reporting: readable summaries, JSON for scripts, CSV traces.
//!
//! In JSON every number is a string, so nothing is lost to a binary float on
//! the way out: `p/q` on `Exact`, the shortest round-trip decimal on
//! `f32`/`f64`, all significant digits on `Mp`.

use std::fmt::Write as _;

use rug::float::Round;
use rug::{Float, Rational};
use serde_json::{json, Value};

use crate::experiments::HorizonComparison;
use crate::fits::{FitError, FitReport};
use crate::instance::Instance;
use crate::num::Scalar;
use crate::optimum::{Optimum, OptimumKind};
use crate::runner::{Num, RunReport};
use crate::sweep::SweepResult;

fn texts(v: &[Num]) -> Value {
    Value::Array(v.iter().map(|x| Value::String(x.text.clone())).collect())
}

fn qtexts(v: &[Rational]) -> Value {
    Value::Array(v.iter().map(|x| Value::String(x.to_text())).collect())
}

/// An enclosure width for display: `2^-k` when it underflows f64.
fn width_text(lo: &Rational, hi: &Rational) -> String {
    let w = Rational::from(hi - lo);
    if w.cmp0() == std::cmp::Ordering::Equal {
        return "0 (exact)".into();
    }
    let f = w.to_f64();
    if f > 1e-300 {
        return short(f);
    }
    let bits = i64::from(w.denom().significant_bits()) - i64::from(w.numer().significant_bits());
    format!("≤ 2^-{}", bits.max(0))
}

/// Short display of an f64: 10 significant digits.
pub fn short(x: f64) -> String {
    if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        let s = format!("{:.10}", x);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{:.9e}", x)
    }
}

fn short_vec(v: impl IntoIterator<Item = f64>) -> String {
    let parts: Vec<String> = v.into_iter().map(short).collect();
    format!("({})", parts.join(", "))
}

/// A rational as an MPFR decimal of `prec` bits, rounded in direction `r`.
fn decimal(q: &Rational, prec: u32, r: Round) -> String {
    Float::with_val_round(prec, q, r)
        .0
        .to_string_radix(10, None)
}

/// The optimum as JSON: value (`p/q` when exact, else a 256-bit decimal),
/// the enclosure rounded outward, minimizer, kind.
pub fn optimum_json(opt: &Optimum) -> Value {
    json!({
        "phi_star": if opt.exact { opt.phi_star.to_text() } else { decimal(&opt.phi_star, 256, Round::Nearest) },
        "phi_star_f64": short(opt.phi_star.to_f64()),
        "kind": match opt.kind { OptimumKind::Certified => "certified", OptimumKind::Local => "local" },
        "exact": opt.exact,
        "enclosure": opt.enclosure.as_ref().map(|(lo, hi)| json!([
            decimal(lo, 256, Round::Down),
            decimal(hi, 256, Round::Up),
        ])),
        "enclosure_width": opt.enclosure.as_ref().map(|(lo, hi)| width_text(lo, hi)),
        "w_star": Value::Array(opt.w_star.iter().map(|x| Value::String(short(x.to_f64()))).collect()),
    })
}

/// The `run --json` object.
pub fn run_json(r: &RunReport) -> Value {
    json!({
        "instance": r.instance,
        "backend": r.backend,
        "estimator": r.estimator.to_string(),
        "update": r.update.to_string(),
        "steps": r.steps.to_string(),
        "budget": r.budget.to_string(),
        "rounds": r.rounds.to_string(),
        "eta": r.eta.to_text(),
        "alpha": r.alpha.to_text(),
        "w": texts(&r.w),
        "theta": texts(&r.theta),
        "phi": r.phi.text,
        "phi_star": r.phi_star.text,
        "gap": r.gap.text,
        "stationarity": r.stationarity.text,
        "val": r.val.text,
        "optimum": optimum_json(&r.optimum),
    })
}

/// The trace as CSV: `k, w_1..w_m, phi, g_theta, grad_map2, h_1..h_m`.
/// Values are the backend's text; `h` is empty on the last row (k = K).
pub fn trace_csv(r: &RunReport) -> String {
    let mut out = String::from("k");
    for i in 1..=r.m {
        let _ = write!(out, ",w_{i}");
    }
    out.push_str(",phi,g_theta,grad_map2");
    for i in 1..=r.m {
        let _ = write!(out, ",h_{i}");
    }
    out.push('\n');
    for row in &r.trace {
        let _ = write!(out, "{}", row.k);
        for x in &row.w {
            let _ = write!(out, ",{}", x.text);
        }
        let _ = write!(
            out,
            ",{},{},{}",
            row.phi.text, row.g_theta.text, row.grad_map2.text
        );
        match &row.h {
            Some(h) => h.iter().for_each(|x| {
                let _ = write!(out, ",{}", x.text);
            }),
            None => out.push_str(&",".repeat(r.m)),
        }
        out.push('\n');
    }
    out
}

fn optimum_lines(opt: &Optimum, out: &mut String) {
    let kind = match (opt.kind, opt.exact) {
        (OptimumKind::Certified, true) => "certified, exact".to_string(),
        (OptimumKind::Certified, false) => {
            let (lo, hi) = opt.enclosure.as_ref().expect("certified has an enclosure");
            format!("certified, enclosure width {}", width_text(lo, hi))
        }
        (OptimumKind::Local, _) => "local: best of a multistart search, not proved global".into(),
    };
    let _ = writeln!(
        out,
        "  Φ*            = {}   ({kind})",
        short(opt.phi_star.to_f64())
    );
    if opt.exact {
        let _ = writeln!(out, "                = {}", opt.phi_star);
    }
    let _ = writeln!(
        out,
        "  w*            = {}",
        short_vec(opt.w_star.iter().map(|x| x.to_f64()))
    );
}

/// The readable summary of a run.
pub fn run_text(r: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "MIX(T = {}, N = {}) on {} (m = {}, d = {})",
        r.steps, r.budget, r.instance, r.m, r.d
    );
    let _ = writeln!(
        out,
        "  backend {}, estimator {}, update {}, K = {} rounds, η = {}, α = {}",
        r.backend, r.estimator, r.update, r.rounds, r.eta, r.alpha
    );
    optimum_lines(&r.optimum, &mut out);
    let _ = writeln!(
        out,
        "  w_K           = {}",
        short_vec(r.w.iter().map(|x| x.f64))
    );
    let _ = writeln!(
        out,
        "  θ_K           = {}",
        short_vec(r.theta.iter().map(|x| x.f64))
    );
    let _ = writeln!(out, "  Φ(w_K)        = {}", short(r.phi.f64));
    let _ = writeln!(out, "  gap           = {}   Φ(w_K) − Φ*", short(r.gap.f64));
    let _ = writeln!(out, "  val           = {}   g(θ_K) − Φ*", short(r.val.f64));
    let _ = writeln!(
        out,
        "  stationarity  = {}   (1/K) Σ_k ‖G(w_k)‖²",
        short(r.stationarity.f64)
    );
    out
}

/// The facts `tstar check` prints.
pub fn check_text(inst: &Instance, opt: &Optimum) -> String {
    let (mu, l) = inst.mu_l();
    let mut out = String::new();
    let _ = writeln!(out, "{}: valid instance", inst.name);
    let _ = writeln!(out, "  m = {} domains, d = {}", inst.m(), inst.d());
    let _ = writeln!(
        out,
        "  domains       = {}",
        inst.domains
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(out, "  μ             = {}   (min_i λ_min(A_i))", short(mu));
    let _ = writeln!(out, "  L             = {}   (max_i λ_max(A_i))", short(l));
    let _ = writeln!(
        out,
        "  η             = {}   (< 2/L = {}: inner gradient descent converges)",
        inst.eta,
        short(2.0 / l)
    );
    match &inst.alpha {
        Some(a) => {
            let _ = writeln!(out, "  α             = {a}");
        }
        None => {
            let _ = writeln!(out, "  α             = (not set: pass --alpha to run)");
        }
    }
    optimum_lines(opt, &mut out);
    out
}

/// The facts of `tstar check` as JSON.
pub fn check_json(inst: &Instance, opt: &Optimum) -> Value {
    let (mu, l) = inst.mu_l();
    json!({
        "name": inst.name,
        "m": inst.m().to_string(),
        "d": inst.d().to_string(),
        "domains": inst.domains.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        "mu": mu.to_string(),
        "L": l.to_string(),
        "eta": inst.eta.to_text(),
        "alpha": inst.alpha.as_ref().map(|a| a.to_text()),
        "w0": qtexts(&inst.w0),
        "optimum": optimum_json(opt),
    })
}

/// A horizon comparison as CSV: `T, K, gap, stationarity, val, w_1..w_m`
/// (the oracle as `T = oracle`).
pub fn horizons_csv(c: &HorizonComparison) -> String {
    let m = c.oracle.m;
    let mut out = String::from("T,K,gap,stationarity,val");
    for i in 1..=m {
        let _ = write!(out, ",w_{i}");
    }
    out.push('\n');
    let rows = c
        .unrolled
        .iter()
        .map(|r| (r.steps.to_string(), r))
        .chain(std::iter::once(("oracle".to_string(), &c.oracle)));
    for (label, r) in rows {
        let _ = write!(
            out,
            "{label},{},{},{},{}",
            r.rounds, r.gap.text, r.stationarity.text, r.val.text
        );
        for x in &r.w {
            let _ = write!(out, ",{}", x.text);
        }
        out.push('\n');
    }
    out
}

/// A horizon comparison as a Markdown section.
pub fn horizons_markdown(inst: &Instance, opt: &Optimum, c: &HorizonComparison) -> String {
    let mut out = String::new();
    let r0 = &c.oracle;
    let _ = writeln!(out, "## {}\n", inst.name);
    let _ = writeln!(
        out,
        "m = {}, d = {}, η = {}, α = {}, backend {}, update {}, budget N = {}.\n",
        inst.m(),
        inst.d(),
        r0.eta,
        r0.alpha,
        r0.backend,
        r0.update,
        c.budget
    );
    let mut facts = String::new();
    optimum_lines(opt, &mut facts);
    let _ = writeln!(out, "```\n{}```\n", facts);
    let _ = writeln!(out, "| T | K = ⌊N/T⌋ | gap | stationarity | val | w_K |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    let rows = c
        .unrolled
        .iter()
        .map(|r| (format!("{} (unrolled)", r.steps), r))
        .chain(std::iter::once(("1 (oracle ∇Φ)".to_string(), r0)));
    for (label, r) in rows {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} |",
            r.rounds,
            short(r.gap.f64),
            short(r.stationarity.f64),
            short(r.val.f64),
            short_vec(r.w.iter().map(|x| x.f64))
        );
    }
    let best = c.best_by_gap();
    let greedy = c.unrolled.iter().find(|r| r.steps == 1);
    let _ = writeln!(out);
    if let Some(g) = greedy {
        let _ = writeln!(
            out,
            "Greedy (T = 1) ends with gap {}; the best horizon tried, T = {}, with gap {}.",
            short(g.gap.f64),
            best.steps,
            short(best.gap.f64)
        );
    }
    out
}

/// The surface as CSV: `N,T,alpha,value,ci_lo,ci_hi` with the best α per
/// (N, T) (its text), the mean over seeds and its 95% interval.
pub fn sweep_surface_csv(r: &SweepResult) -> String {
    let mut out = String::from("N,T,alpha,value,ci_lo,ci_hi\n");
    for c in r.surface() {
        let _ = writeln!(
            out,
            "{},{},{},{:e},{:e},{:e}",
            c.n, c.t, r.alphas[c.alpha], c.mean, c.ci.0, c.ci.1
        );
    }
    out
}

/// `T*(N)` as CSV: `N,T_star,alpha,value,margin,close_call,t_ci_lo,t_ci_hi`.
pub fn sweep_tstar_csv(r: &SweepResult) -> String {
    let mut out = String::from("N,T_star,alpha,value,margin,close_call,t_ci_lo,t_ci_hi\n");
    for t in r.tstar() {
        let (lo, hi) = t.t_ci.map_or((String::new(), String::new()), |(a, b)| {
            (a.to_string(), b.to_string())
        });
        let _ = writeln!(
            out,
            "{},{},{},{:e},{:e},{},{lo},{hi}",
            t.n, t.t, r.alphas[t.alpha], t.value, t.margin, t.close_call
        );
    }
    out
}

/// Budgets whose T* sits at the largest T swept: the range may be too short
/// there, and such points bias any fit.
pub fn censored_budgets(r: &SweepResult) -> Vec<usize> {
    let tmax = *r.steps.iter().max().expect("nonempty");
    r.tstar()
        .iter()
        .filter(|t| t.t == tmax && t.n / tmax > 1)
        .map(|t| t.n)
        .collect()
}

/// The readable sweep summary: the `T*(N)` table and the fits' verdict.
pub fn sweep_text(r: &SweepResult, fits: &std::result::Result<FitReport, FitError>) -> String {
    let mut out = String::new();
    let stoch = r.seeds > 1;
    let _ = writeln!(
        out,
        "T*(N) for metric {} ({} budgets × {} horizons × {} α × {} seeds; {} rounds computed, {} trajectories fast-forwarded, {} diverged)",
        r.metric,
        r.budgets.len(),
        r.steps.len(),
        r.alphas.len(),
        r.seeds,
        r.rounds_computed,
        r.fast_forwarded,
        r.diverged.len()
    );
    let _ = writeln!(
        out,
        "  {:>10}  {:>6}  {:>12}  {:>14}  {:>10}{}",
        "N",
        "T*",
        "α",
        "err(N, T*)",
        "margin",
        if stoch { "  T* 95% CI" } else { "" }
    );
    for t in r.tstar() {
        let ci = t
            .t_ci
            .map_or(String::new(), |(a, b)| format!("  [{a}, {b}]"));
        let flag = if t.close_call {
            "  (decided within rounding?)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:>10}  {:>6}  {:>12}  {:>14}  {:>10}{ci}{flag}",
            t.n,
            t.t,
            short(r.alphas[t.alpha].to_f64()),
            short(t.value),
            short(t.margin)
        );
    }
    let cens = censored_budgets(r);
    if !cens.is_empty() {
        let _ = writeln!(
            out,
            "  note: T* is the largest T swept at N = {:?}; widen --steps to see where it really is",
            cens
        );
    }
    match fits {
        Ok(f) => {
            let _ = writeln!(out, "Fits of T*(N) (SPEC §3):");
            for fit in &f.fits {
                let _ = writeln!(
                    out,
                    "  {:<14} {:<34} R² = {:<8} AIC = {:<10.2} ΔAIC = {:.2}",
                    fit.law.to_string(),
                    fit.params.to_string(),
                    fit.r2.map_or("n/a".into(), |x| format!("{x:.4}")),
                    fit.aic,
                    fit.delta_aic
                );
            }
            if let Some(ci) = &f.log_b_ci {
                let _ = writeln!(
                    out,
                    "  log law b: 95% bootstrap CI [{}, {}]",
                    short(ci.lo),
                    short(ci.hi)
                );
            }
            if let Some(ci) = &f.power_p_ci {
                let _ = writeln!(
                    out,
                    "  power law p: 95% bootstrap CI [{}, {}]",
                    short(ci.lo),
                    short(ci.hi)
                );
            }
            let _ = writeln!(out, "Verdict: {}", f.verdict());
        }
        Err(e) => {
            let _ = writeln!(out, "Fits skipped: {e}");
        }
    }
    out
}

/// The sweep as one JSON object: `tstar` (list of `{N, T, alpha, value}`
/// with margins and intervals), `fits`, and the run's facts.
pub fn sweep_json(r: &SweepResult, fits: &std::result::Result<FitReport, FitError>) -> Value {
    let tstar: Vec<Value> = r
        .tstar()
        .iter()
        .map(|t| {
            json!({
                "N": t.n,
                "T": t.t,
                "alpha": r.alphas[t.alpha].to_text(),
                "value": t.value,
                "margin": t.margin,
                "close_call": t.close_call,
                "T_ci": t.t_ci.map(|(a, b)| json!([a, b])),
            })
        })
        .collect();
    json!({
        "metric": r.metric.to_string(),
        "budgets": r.budgets,
        "steps": [r.steps.first(), r.steps.last()],
        "alphas": r.alphas.iter().map(|a| a.to_text()).collect::<Vec<_>>(),
        "seeds": r.seeds,
        "rounds_computed": r.rounds_computed,
        "fast_forwarded": r.fast_forwarded,
        "diverged": r.diverged.len(),
        "censored_budgets": censored_budgets(r),
        "tstar": tstar,
        "fits": match fits {
            Ok(f) => json!({"report": f, "verdict": f.verdict()}),
            Err(e) => json!({"error": e.to_string()}),
        },
    })
}

/// Writes a sweep's data and figures into `dir`, file names prefixed with
/// `prefix`: `surface.csv`, `tstar.csv`, `sweep.json`, `err_curves.{svg,png}`,
/// `tstar.{svg,png}`. A figure that cannot be drawn is skipped and named in
/// the returned warnings; data files are always written.
pub fn write_sweep(
    dir: &std::path::Path,
    prefix: &str,
    name: &str,
    res: &SweepResult,
    fits: &std::result::Result<FitReport, FitError>,
    bound: Option<&dyn Fn(f64) -> f64>,
) -> crate::Result<Written> {
    let io = |source| crate::Error::Io {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::write(
        dir.join(format!("{prefix}surface.csv")),
        sweep_surface_csv(res),
    )
    .map_err(io)?;
    std::fs::write(dir.join(format!("{prefix}tstar.csv")), sweep_tstar_csv(res)).map_err(io)?;
    let js = serde_json::to_string_pretty(&sweep_json(res, fits)).expect("JSON value");
    std::fs::write(dir.join(format!("{prefix}sweep.json")), js + "\n").map_err(io)?;
    let charts = [
        (
            "err_curves",
            crate::figures::err_curves(res, &format!("{name}: {} err(N, T) against T", res.metric)),
        ),
        (
            "tstar",
            crate::figures::tstar_vs_n(
                res,
                fits.as_ref().ok(),
                bound,
                &format!("{name}: optimal horizon T*(N), metric {}", res.metric),
            ),
        ),
    ];
    let mut written = Written::default();
    for (stem, chart) in charts {
        match crate::plot::write_chart(&chart, &dir.join(format!("{prefix}{stem}"))) {
            Ok((svg, png)) => {
                written.files.push(svg);
                written.files.push(png);
            }
            Err(e) => written
                .warnings
                .push(format!("figure {prefix}{stem} not written: {e}")),
        }
    }
    Ok(written)
}

/// What [`write_counterexample`] wrote, and the figures it could not draw.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// Files written.
    pub files: Vec<std::path::PathBuf>,
    /// One message per figure that could not be drawn.
    pub warnings: Vec<String>,
}

/// Writes the counterexample's JSON, the two trajectories as CSV
/// (`k, T, w_1, …`), and the figures `trajectories` and `truncated_decay`.
pub fn write_counterexample(
    dir: &std::path::Path,
    cx: &crate::counterexample::Counterexample,
    greedy: &crate::counterexample::Trajectory,
    longer: &crate::counterexample::Trajectory,
) -> crate::Result<Written> {
    let io = |source| crate::Error::Io {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut out = Written::default();
    let js = dir.join("counterexample.json");
    std::fs::write(
        &js,
        serde_json::to_string_pretty(&cx.to_json()).expect("JSON") + "\n",
    )
    .map_err(io)?;
    out.files.push(js);
    let mut csv = String::from("T,k");
    let m = greedy.w.first().map_or(0, Vec::len);
    for i in 1..=m {
        let _ = write!(csv, ",w_{i}");
    }
    csv.push('\n');
    for tr in [greedy, longer] {
        for (k, w) in tr.w.iter().enumerate() {
            let _ = write!(csv, "{},{k}", tr.steps);
            for x in w {
                let _ = write!(csv, ",{x:e}");
            }
            csv.push('\n');
        }
    }
    let tc = dir.join("trajectories.csv");
    std::fs::write(&tc, csv).map_err(io)?;
    out.files.push(tc);
    let w_star = cx.w_star.first().map_or(f64::NAN, |x| x.to_f64());
    let runs = [greedy, longer]
        .iter()
        .map(|t| {
            (
                format!("T = {} ({} rounds)", t.steps, t.w.len().saturating_sub(1)),
                t.steps,
                t.w.iter().map(|w| w[0]).collect::<Vec<f64>>(),
            )
        })
        .collect::<Vec<_>>();
    let mut charts = vec![(
        "trajectories",
        crate::figures::trajectories(
            &runs,
            w_star,
            &format!(
                "{}: weight trajectories, N = {}",
                cx.instance, greedy.budget
            ),
        ),
    )];
    if let Some(decay) = &cx.decay {
        let points: Vec<(usize, f64)> = cx
            .truncated
            .iter()
            .filter(|p| !p.vertex)
            .map(|p| (p.t, p.ln_gap.exp()))
            .collect();
        charts.push((
            "truncated_decay",
            crate::figures::truncated_decay(
                &points,
                decay.predicted_rho2,
                Some(decay.fitted_rate),
                &format!(
                    "{}: bias of the truncated fixed point against T",
                    cx.instance
                ),
            ),
        ));
    }
    for (stem, chart) in charts {
        match crate::plot::write_chart(&chart, &dir.join(stem)) {
            Ok((svg, png)) => {
                out.files.push(svg);
                out.files.push(png);
            }
            Err(e) => out.warnings.push(format!("figure {stem} not written: {e}")),
        }
    }
    Ok(out)
}

/// The bound comparison: constants, then `T_b(N)` against `T*(N)` and the
/// bound's value against the measurement.
pub fn bound_text(c: &crate::experiments::BoundComparison) -> String {
    let mut out = c.model.to_text();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "{}", c.alpha_note);
    let _ = writeln!(
        out,
        "  {:>10}  {:>6}  {:>10}  {:>14}  {:>14}  {:>10}",
        "N", "T*", "T_b(N)", "measured", "bound", "ratio"
    );
    let mut violated = 0;
    for (n, t, tb, meas, bound) in c.rows() {
        if meas > bound {
            violated += 1;
        }
        let _ = writeln!(
            out,
            "  {:>10}  {:>6}  {:>10}  {:>14}  {:>14}  {:>10}",
            n,
            t,
            short(tb),
            short(meas),
            short(bound),
            short(bound / meas)
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if violated == 0 {
            "The measured stationarity is below the proved bound at every T* (as the theorem says); the ratio column is how loose the bound is."
                .to_string()
        } else {
            format!("VIOLATION: the bound is below the measurement at {violated} budgets — the derivation is wrong (or f64 rounding matters here)")
        }
    );
    out
}

// ---------------------------------------------------------------------------
// `tstar backends` (crate::precision).
// ---------------------------------------------------------------------------

fn bytes_text(b: usize) -> String {
    let b = b as f64;
    if b < 1024.0 {
        format!("{b} B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{:.1} MiB", b / (1024.0 * 1024.0))
    }
}

/// The `tstar backends` table: deviations from the reference, correct
/// digits, the first round over 10⁻³, time per round, peak memory; the
/// exact run's growth; the per-backend `T*(N)` sweep.
pub fn backends_text(c: &crate::precision::BackendComparison) -> String {
    use crate::precision::RowStatus;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Backends on {}: MIX(T = {}, N = {}), K = {} rounds, {} estimator, {} update, α = {}",
        c.instance,
        c.steps,
        c.budget,
        c.rounds,
        c.estimator,
        c.update,
        c.alpha.to_text()
    );
    let _ = writeln!(
        out,
        "Reference: {}{}",
        c.reference,
        match c.reference_digits {
            None => " (exact rationals)".to_string(),
            Some(d) =>
                format!(" (~{d:.1} decimal digits; its own rounding is part of every deviation)"),
        }
    );
    if let Some(n) = &c.reference_note {
        let _ = writeln!(out, "  note: {n}");
    }
    let _ = writeln!(
        out,
        "Deviations are relative (max_i |x_i − ref_i| / max_j |ref_j| for w), computed exactly in rationals."
    );
    let _ = writeln!(
        out,
        "\n  {:<11} {:>11} {:>11} {:>8} {:>10} {:>9} {:>12} {:>11}",
        "backend",
        "max dev w",
        "max dev Φ",
        "digits w",
        "digits gap",
        "k > 1e-3",
        "s / round",
        "peak heap"
    );
    for r in &c.rows {
        let name = format!("{}{}", r.backend, if r.is_reference { "*" } else { "" });
        match &r.status {
            RowStatus::Ran => {
                let dev =
                    |d: Option<crate::precision::Deviation>| d.map_or("-".into(), |d| d.text());
                let dig = |d: Option<crate::precision::Digits>| d.map_or("-".into(), |d| d.text());
                let _ = writeln!(
                    out,
                    "  {:<11} {:>11} {:>11} {:>8} {:>10} {:>9} {:>12} {:>11}",
                    name,
                    dev(r.max_rel_dev_w),
                    dev(r.max_rel_dev_phi),
                    dig(r.digits_w),
                    dig(r.digits_gap),
                    r.first_round_over.map_or("never".into(), |k| k.to_string()),
                    r.seconds_per_round
                        .map_or("-".into(), |s| format!("{s:.3e}")),
                    r.peak_bytes.map_or("-".into(), bytes_text),
                );
            }
            RowStatus::Skipped(why) => {
                let _ = writeln!(out, "  {name:<11} skipped: {why}");
            }
            RowStatus::Failed(why) => {
                let _ = writeln!(out, "  {name:<11} failed: {why}");
            }
        }
    }
    let _ = writeln!(
        out,
        "  (* = reference; digits are of the final w_K and gap)"
    );
    if let Some(g) = &c.exact_growth {
        let _ = writeln!(out, "\nExact run: size of the largest number (numerator + denominator bits over w_k, θ_k) per round:");
        let shown: Vec<String> = g.bits_per_round.iter().map(|b| b.to_string()).collect();
        let _ = writeln!(out, "  {}", shown.join(" "));
        if !g.theta_replay_matches {
            let _ = writeln!(
                out,
                "  warning: the replayed θ_K differs from the run's; the θ sizes may be off"
            );
        }
        match (g.model, g.practical_rounds, g.practical_budget) {
            (Some(m), Some(k), Some(n)) => {
                let how = match m {
                    crate::precision::GrowthModel::Geometric => format!(
                        "geometric growth, ×{:.3} per round",
                        g.growth_factor.unwrap_or(f64::NAN)
                    ),
                    crate::precision::GrowthModel::Additive => format!(
                        "additive growth, +{:.0} bits per round",
                        g.bits_per_round_increment.unwrap_or(f64::NAN)
                    ),
                };
                let _ = writeln!(
                    out,
                    "  fit over rounds {}..{}: {how}; one number reaches {:.0e} bits (~{} MB) at round ≈ {:.0}, i.e. budget N ≈ {} at T = {}: exact runs stop being practical there (an extrapolation).",
                    g.fit_rounds.0,
                    g.fit_rounds.1,
                    g.threshold_bits as f64,
                    g.threshold_bits / 8 / 1_000_000,
                    k,
                    short(n),
                    g.steps
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  too few rounds, or no growth, to extrapolate where exact runs stop being practical"
                );
            }
        }
    }
    if let Some(s) = &c.sweep {
        let _ = writeln!(
            out,
            "\nSmall sweep per backend: T*(N) for T = {}..{}, fixed α = {}, metric {} (* = close call: decided within rounding)",
            s.steps.0,
            s.steps.1,
            s.alpha.to_text(),
            s.metric
        );
        let mut header = format!("  {:>8}", "N");
        for r in &s.rows {
            let _ = write!(header, " {:>9}", r.backend.to_string());
        }
        let _ = writeln!(out, "{header}");
        for &n in &s.budgets {
            let mut line = format!("  {n:>8}");
            for r in &s.rows {
                let cell = if r.error.is_some() {
                    "failed".to_string()
                } else {
                    r.tstar.iter().find(|t| t.0 == n).map_or("-".into(), |t| {
                        format!("{}{}", t.1, if t.2 { "*" } else { "" })
                    })
                };
                let _ = write!(line, " {cell:>9}");
            }
            let _ = writeln!(out, "{line}");
        }
        for r in &s.rows {
            if let Some(e) = &r.error {
                let _ = writeln!(out, "  {}: sweep failed: {e}", r.backend);
            }
        }
        for (b, why) in &s.skipped {
            let _ = writeln!(out, "  {b}: {why}");
        }
        let _ = writeln!(
            out,
            "  {}",
            match (s.f32_swept, s.reference, s.f32_first_change) {
                (false, _, _) => "f32 was not swept.".to_string(),
                (true, Some(rb), Some(n)) => format!(
                    "f32 first changes the answer at N = {n}: its T* differs from {rb}'s there."
                ),
                (true, Some(rb), None) => {
                    format!(
                        "f32 never changes the answer on this grid: T* equals {rb}'s at every N."
                    )
                }
                (true, None, _) => "no reference for the sweep.".to_string(),
            }
        );
    }
    out
}

/// The `tstar backends --json` object: `reference` and `backends` (one
/// object per backend with `backend`, `max_rel_dev_w`, `max_rel_dev_phi`,
/// `digits_w`, `digits_gap`, `first_round_over_1e-3`, `seconds_per_round`,
/// plus `status`, `is_reference`, `peak_bytes`); deviations are strings
/// (`"5.562e-309"`: they can underflow f64), digits numbers or `"exact"`,
/// null where a value does not apply. Also `exact_bits_per_round`,
/// `exact_growth_factor`, `exact_practical_budget` and `tstar_by_backend`.
pub fn backends_json(c: &crate::precision::BackendComparison) -> Value {
    use crate::precision::{Digits, RowStatus};
    let digits = |d: Option<Digits>| match d {
        None => Value::Null,
        Some(Digits::Exact) => Value::String("exact".into()),
        Some(Digits::Count(x)) => json!((x * 100.0).round() / 100.0),
    };
    let rows: Vec<Value> = c
        .rows
        .iter()
        .map(|r| {
            json!({
                "backend": r.backend.to_string(),
                "status": match &r.status { RowStatus::Ran => "ran".to_string(), RowStatus::Skipped(_) => "skipped".into(), RowStatus::Failed(_) => "failed".into() },
                "reason": match &r.status { RowStatus::Ran => Value::Null, RowStatus::Skipped(w) | RowStatus::Failed(w) => Value::String(w.clone()) },
                "is_reference": r.is_reference,
                "max_rel_dev_w": r.max_rel_dev_w.map(|d| d.text()),
                "max_rel_dev_phi": r.max_rel_dev_phi.map(|d| d.text()),
                "final_rel_dev_w": r.final_dev_w.map(|d| d.text()),
                "final_rel_dev_gap": r.final_dev_gap.map(|d| d.text()),
                "digits_w": digits(r.digits_w),
                "digits_gap": digits(r.digits_gap),
                "first_round_over_1e-3": r.first_round_over,
                "seconds_per_round": r.seconds_per_round,
                "peak_bytes": r.peak_bytes,
            })
        })
        .collect();
    let g = c.exact_growth.as_ref();
    let sweep = c.sweep.as_ref().map(|s| {
        json!({
            "budgets": s.budgets,
            "steps": [s.steps.0, s.steps.1],
            "alpha": s.alpha.to_text(),
            "metric": s.metric.to_string(),
            "reference": s.reference.map(|b| b.to_string()),
            "f32_first_change_at": if !s.f32_swept { Value::Null } else { s.f32_first_change.map_or(Value::String("never".into()), |n| json!(n)) },
            "skipped": s.skipped.iter().map(|(b, _)| b.to_string()).collect::<Vec<_>>(),
            "backends": s.rows.iter().map(|r| json!({
                "backend": r.backend.to_string(),
                "error": r.error,
                "seconds": r.seconds,
                "tstar": r.tstar.iter().map(|t| json!({"N": t.0, "T_star": t.1, "close_call": t.2})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "instance": c.instance,
        "steps": c.steps,
        "budget": c.budget,
        "rounds": c.rounds,
        "estimator": c.estimator.to_string(),
        "update": c.update.to_string(),
        "alpha": c.alpha.to_text(),
        "reference": c.reference.to_string(),
        "reference_note": c.reference_note,
        "backends": rows,
        "exact_bits_per_round": g.map(|g| g.bits_per_round.clone()),
        "exact_growth_model": g.and_then(|g| g.model).map(|m| match m { crate::precision::GrowthModel::Geometric => "geometric", crate::precision::GrowthModel::Additive => "additive" }),
        "exact_growth_factor": g.and_then(|g| g.growth_factor),
        "exact_bits_increment_per_round": g.and_then(|g| g.bits_per_round_increment),
        "exact_practical_threshold_bits": g.map(|g| g.threshold_bits),
        "exact_practical_rounds": g.and_then(|g| g.practical_rounds),
        "exact_practical_budget": g.and_then(|g| g.practical_budget),
        "tstar_by_backend": sweep,
    })
}

/// `tstar certify --json`: `budget`, `metric`, `tstar` (null when not
/// separated), `tied`, `precision_bits`, `enclosures` (`{T, lo, hi}` as
/// decimal strings rounded outward), and the attempts.
pub fn certify_json(c: &crate::certify::Certificate) -> Value {
    json!({
        "budget": c.budget,
        "metric": c.metric.to_string(),
        "tstar": c.tstar,
        "tied": c.tied,
        "precision_bits": c.precision_bits,
        "phi_star_certified": c.phi_star_certified,
        "attempts": c.attempts.iter().map(|(p, n)| json!({"precision_bits": p, "tied": n})).collect::<Vec<_>>(),
        "enclosures": c.enclosures.iter().map(|e| {
            let (lo, hi) = crate::certify::Certificate::bounds_text(e, 25);
            json!({"T": e.t, "lo": lo, "hi": hi, "error": e.error})
        }).collect::<Vec<_>>(),
    })
}

/// The readable certificate.
pub fn certify_text(c: &crate::certify::Certificate) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "certify: metric {} at budget N = {} (interval arithmetic, outward rounding)",
        c.metric, c.budget
    );
    for (p, n) in &c.attempts {
        let _ = writeln!(
            out,
            "  {p:>5} bits: {n} horizon(s) overlap the best enclosure"
        );
    }
    match c.tstar {
        Some(t) => {
            let _ = writeln!(
                out,
                "proved: T*({}) = {t} — its enclosure lies strictly below every other T's, at {} bits",
                c.budget, c.precision_bits
            );
        }
        None => {
            let _ = writeln!(
                out,
                "not separated at {} bits: T* is one of {:?} (their enclosures overlap)",
                c.precision_bits, c.tied
            );
        }
    }
    if !c.phi_star_certified && c.metric != crate::sweep::Metric::Stationarity {
        let _ = writeln!(
            out,
            "note: Φ* is a local value here; the ordering of T does not depend on it, the printed enclosures do"
        );
    }
    let mut encl: Vec<&crate::certify::TEnclosure> = c.enclosures.iter().collect();
    encl.sort_by(|a, b| a.hi.total_cmp(&b.hi));
    let _ = writeln!(out, "  the five best enclosures:");
    for e in encl.iter().take(5) {
        let (lo, hi) = crate::certify::Certificate::bounds_text(e, 20);
        let _ = writeln!(out, "    T = {:>4}: [{lo}, {hi}]", e.t);
    }
    out
}
