//! The `tstar` command line: parses, calls the library, prints. Errors are
//! rendered once, here, with a non-zero exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rug::Rational;

use tstar::builtin::{self, BUILTINS};
use tstar::mix::{self, Estimator, RoundMethod, Schedule, UpdateKind};
use tstar::num::{parse_rational, Backend};
use tstar::optimum::{optimum, OptimumOptions};
use tstar::report;
use tstar::runner::{self, RunRequest, DEFAULT_MAX_BITS};
use tstar::sweep::SweepSpec;
use tstar::Error;

#[derive(Parser)]
#[command(
    name = "tstar",
    version,
    about = "Check the theorems of data mixing with T-step lookahead, numerically and exactly",
    long_about = "tstar runs MIX(T, N) — train on a w-weighted mixture of domains, update the \
weights w every T inner steps with a T-step lookahead hypergradient, N inner steps in all — on \
quadratic instances, on f32, f64, MPFR at any precision (mp:BITS), exact rationals or rigorous intervals (interval:BITS), and \
compares the result with the exact optimum Φ*.\n\nInstances are JSON files (see README) or \
built-ins named builtin:NAME (list them with `tstar instances`)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run MIX(T, N) on one instance and backend, and report gap, stationarity and val.
    Run(RunArgs),
    /// Validate an instance file and print its facts (m, d, μ, L, Φ*, w*).
    Check {
        /// Instance file, or builtin:NAME.
        instance: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the built-in instances.
    Instances,
    /// The greedy failure on a two-domain instance: certified gap, truncated fixed points, decay rate; or --search for new counterexamples.
    Counterexample(CounterexampleArgs),
    /// The closed-form bound C₁T/N + C₂ρ^{2T} (proofs/bound.md) and T_b(N), compared with the measured T*(N).
    Bound(BoundArgs),
    /// Prove which T is optimal at a budget with interval arithmetic (or list the T that stay tied).
    Certify(CertifyArgs),
    /// Sweep T against the budget N: err(N, T), T*(N), and the scaling-law fits.
    Sweep(SweepArgs),
    /// The same MIX run on f32, f64, mp:64…mp:1024 and exact: deviations from the reference, correct digits, cost, exact growth, T*(N) per backend.
    Backends(BackendsArgs),
    /// Run the checks on every built-in instance and write REPORT.md with the data behind it.
    ///
    /// The certified greedy failure, full-gradient and stochastic sweeps of
    /// T*(N) with scaling fits, the closed-form bound, and greedy against
    /// longer horizons at one budget, with figures and data.
    Reproduce {
        /// Smaller grids (under 30 s).
        #[arg(long)]
        quick: bool,
        /// Directory for REPORT.md and the CSV files.
        #[arg(long, default_value = "results")]
        out: PathBuf,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Instance file, or builtin:NAME (see `tstar instances`).
    #[arg(long)]
    instance: String,
    /// Inner steps per weight update, T ≥ 1.
    #[arg(long, short = 'T')]
    steps: usize,
    /// Budget N of inner gradient steps in all; the run makes K = ⌊N/T⌋ weight updates.
    #[arg(long, short = 'N')]
    budget: usize,
    /// Number system: f32, f64, mp:BITS (MPFR, e.g. mp:256) or exact (rationals; pgd only).
    #[arg(long, default_value = "f64", value_parser = parse_backend)]
    backend: Backend,
    /// Hypergradient estimator: unrolled (T-step lookahead), implicit, alignment, or exact (oracle ∇Φ).
    #[arg(long, default_value = "unrolled", value_parser = parse_estimator)]
    estimator: Estimator,
    /// Weight update: eg (exponentiated gradient) or pgd (projected gradient onto the simplex).
    #[arg(long, default_value = "eg", value_parser = parse_update)]
    update: UpdateKind,
    /// Inner step η, overriding the file; exact syntax: 0.1, 1e-3, 1/4.
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    eta: Option<Rational>,
    /// Outer step α, overriding the file; exact syntax: 0.1, 1e-3, 1/4.
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    alpha: Option<Rational>,
    /// Write trace.csv and summary.json into this directory (created if missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print exactly one JSON object on stdout (every number a string).
    #[arg(long)]
    json: bool,
    /// On the exact backend, stop with an error when a number needs more bits than this.
    #[arg(long, default_value_t = DEFAULT_MAX_BITS)]
    max_bits: u64,
}

#[derive(clap::Args)]
struct CounterexampleArgs {
    /// Two-domain instance file, or builtin:NAME.
    #[arg(long, default_value = "builtin:greedy-fails")]
    instance: String,
    /// Largest T for the truncated fixed points w̄_T and the best-horizon search.
    #[arg(long, default_value_t = 60)]
    t_max: usize,
    /// Budget N of the two trajectories (greedy and the best T).
    #[arg(long, default_value_t = 4000)]
    budget: usize,
    /// Weight update of the trajectories: eg or pgd.
    #[arg(long, default_value = "pgd", value_parser = parse_update)]
    update: UpdateKind,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Write counterexample.json, trajectories.csv and the figures here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Search random small-integer instances for large greedy gaps and print the winner as an instance file.
    #[arg(long)]
    search: bool,
    /// Seed of the search.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Candidates screened by the search.
    #[arg(long, default_value_t = 2000)]
    candidates: usize,
}

#[derive(clap::Args)]
struct BoundArgs {
    /// Instance file, or builtin:NAME.
    #[arg(long, default_value = "builtin:greedy-fails")]
    instance: String,
    /// Outer step α (default: the file's; replaced by a power of two ≤ α_max when outside the theorem).
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    alpha: Option<Rational>,
    /// Budgets N of the comparison.
    #[arg(long, default_value = "1e2..1e5:7")]
    budgets: String,
    /// Horizons T of the comparison.
    #[arg(long, default_value = "1..200")]
    steps: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Write the comparison's data and figures here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
struct CertifyArgs {
    /// Instance file, or builtin:NAME.
    #[arg(long)]
    instance: String,
    /// Budget N.
    #[arg(long, short = 'N')]
    budget: usize,
    /// Horizons T: a range 1..TMAX, a list, or one value.
    #[arg(long, default_value = "1..40")]
    steps: String,
    /// The error compared: gap, stationarity or val.
    #[arg(long, default_value = "stationarity", value_parser = parse_metric)]
    metric: tstar::sweep::Metric,
    /// Hypergradient estimator.
    #[arg(long, default_value = "unrolled", value_parser = parse_estimator)]
    estimator: Estimator,
    /// Weight update: eg or pgd.
    #[arg(long, default_value = "pgd", value_parser = parse_update)]
    update: UpdateKind,
    /// Outer step α (default: the file's).
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    alpha: Option<Rational>,
    /// First precision, in bits.
    #[arg(long, default_value_t = 128)]
    precision: u32,
    /// Largest precision tried, in bits (doubling from --precision).
    #[arg(long, default_value_t = 2048)]
    max_precision: u32,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct SweepArgs {
    /// Instance file, or builtin:NAME.
    #[arg(long)]
    instance: String,
    /// Horizons T: a range LO..HI (inclusive), a list 1,2,5, or one value.
    #[arg(long, default_value = "1..200")]
    steps: String,
    /// Budgets N: a list 100,1000 or a geometric grid LO..HI:COUNT.
    #[arg(long, default_value = "1e2..1e6:13")]
    budgets: String,
    /// The error to minimize over T: gap, stationarity or val.
    #[arg(long, default_value = "stationarity", value_parser = parse_metric)]
    metric: tstar::sweep::Metric,
    /// Hypergradient estimator.
    #[arg(long, default_value = "unrolled", value_parser = parse_estimator)]
    estimator: Estimator,
    /// Weight update: eg or pgd.
    #[arg(long, default_value = "eg", value_parser = parse_update)]
    update: UpdateKind,
    /// Number system: f32, f64, mp:BITS or exact.
    #[arg(long, default_value = "f64", value_parser = parse_backend)]
    backend: Backend,
    /// Outer step: a number (fixed α), or `auto` (best α per (N, T) from the grid α₀·4^j, j = −3..2, α₀ from the file or --alpha-base).
    #[arg(long, default_value = "auto", allow_hyphen_values = true)]
    alpha: String,
    /// The centre α₀ of the auto grid (default: the file's α).
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    alpha_base: Option<Rational>,
    /// Step-size schedule: constant or invsqrt (α/√(k+1)).
    #[arg(long, default_value = "constant", value_parser = parse_schedule)]
    alpha_schedule: Schedule,
    /// Inner step η, overriding the file.
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    eta: Option<Rational>,
    /// Gradient noise σ ≥ 0 (stochastic gradients, SPEC §2).
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    noise: Option<Rational>,
    /// Independent seeds R for a stochastic sweep (default 8 with --noise, else 1).
    #[arg(long)]
    seeds: Option<usize>,
    /// Base seed of the noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write surface.csv, tstar.csv, sweep.json and the figures here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Compute every round even after the state repeats (slower; same numbers).
    #[arg(long)]
    no_fast_forward: bool,
    /// Use the T-step recursion even where the closed-form round applies.
    #[arg(long)]
    iterative: bool,
}

fn parse_metric(s: &str) -> Result<tstar::sweep::Metric, String> {
    s.parse()
}
fn parse_schedule(s: &str) -> Result<Schedule, String> {
    s.parse()
}

fn parse_backend(s: &str) -> Result<Backend, String> {
    s.parse()
}
fn parse_estimator(s: &str) -> Result<Estimator, String> {
    s.parse()
}
fn parse_update(s: &str) -> Result<UpdateKind, String> {
    s.parse()
}
fn parse_exact(s: &str) -> Result<Rational, String> {
    parse_rational(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cmd: Command) -> Result<(), Error> {
    match cmd {
        Command::Instances => {
            for b in BUILTINS {
                println!("builtin:{:<16} {}", b.name, b.summary);
            }
            println!("\nThe same files are under instances/ in the source tree; copy one to make your own.");
            Ok(())
        }
        Command::Check { instance, json } => {
            let inst = builtin::load(&instance)?;
            let opt = optimum(&inst, &OptimumOptions::default())?;
            if json {
                println!("{}", report::check_json(&inst, &opt));
            } else {
                print!("{}", report::check_text(&inst, &opt));
            }
            Ok(())
        }
        Command::Run(a) => run(a),
        Command::Sweep(a) => sweep_cmd(a),
        Command::Certify(a) => certify_cmd(a),
        Command::Bound(a) => bound_cmd(a),
        Command::Counterexample(a) => counterexample_cmd(a),
        Command::Reproduce { quick, out } => reproduce(quick, &out),
        Command::Backends(a) => backends_cmd(a),
    }
}

fn counterexample_cmd(a: CounterexampleArgs) -> Result<(), Error> {
    use tstar::counterexample as cx;
    if a.search {
        let found = cx::search_detailed(&cx::SearchOptions {
            seed: a.seed,
            candidates: a.candidates,
            ..cx::SearchOptions::default()
        })?;
        eprintln!(
            "search (seed {}, {} candidates): best relative greedy gap {} — the instance follows",
            a.seed,
            a.candidates,
            report::short(found.score)
        );
        let text = serde_json::to_string_pretty(&found.instance.to_json()).expect("JSON value");
        println!("{text}");
        return Ok(());
    }
    let inst = builtin::load(&a.instance)?;
    if a.t_max == 0 {
        return Err(Error::param("--t-max", "must be at least 1"));
    }
    mix::check_horizon(1, a.budget)?;
    let result = cx::analyze(
        &inst,
        &cx::CounterexampleOptions {
            t_max: a.t_max,
            ..cx::CounterexampleOptions::default()
        },
    )?;
    let opt = optimum(&inst, &OptimumOptions::default())?;
    let best = tstar::experiments::best_horizon(&inst, &opt, a.budget, a.t_max, a.update)?;
    let (greedy, longer) = cx::trajectories(&inst, best.t, a.budget, a.update, None)?;
    if let Some(dir) = &a.out {
        let files = report::write_counterexample(dir, &result, &greedy, &longer)?;
        for w in files.warnings {
            eprintln!("warning: {w}");
        }
    }
    if a.json {
        let mut v = result.to_json();
        v["best_horizon"] = serde_json::json!({"N": a.budget, "T": best.t, "gap": best.value});
        println!("{v}");
    } else {
        print!("{}", result.to_text());
        println!(
            "Best horizon at N = {}: T = {} (gap {}), against greedy T = 1 (gap {}).",
            a.budget,
            best.t,
            report::short(best.value),
            report::short(
                greedy
                    .w
                    .last()
                    .map(|w| inst_gap(&inst, &opt, w))
                    .unwrap_or(f64::NAN)
            )
        );
        if let Some(dir) = &a.out {
            println!(
                "wrote {}/ (counterexample.json, trajectories.csv, figures)",
                dir.display()
            );
        }
    }
    Ok(())
}

/// Φ(w) − Φ* in f64 for display.
fn inst_gap(inst: &tstar::instance::Instance, opt: &tstar::optimum::Optimum, w: &[f64]) -> f64 {
    let p: tstar::model::Problem<f64> = tstar::model::Problem::new(inst, &());
    p.phi(w).map_or(f64::NAN, |phi| {
        phi - tstar::num::rational_to_f64_nearest(&opt.phi_star)
    })
}

fn bound_cmd(a: BoundArgs) -> Result<(), Error> {
    let inst = builtin::load(&a.instance)?;
    let budgets =
        tstar::sweep::parse_budgets(&a.budgets).map_err(|e| Error::param("--budgets", e))?;
    let steps = tstar::sweep::parse_steps(&a.steps).map_err(|e| Error::param("--steps", e))?;
    if let Some(al) = &a.alpha {
        if al.cmp0() != std::cmp::Ordering::Greater {
            return Err(Error::param("--alpha", "must be positive"));
        }
    }
    let opt = optimum(&inst, &OptimumOptions::default())?;
    let cmp = tstar::experiments::bound_comparison(
        &inst,
        &opt,
        a.alpha,
        budgets,
        steps,
        !a.quiet && !a.json,
    )?;
    if let Some(dir) = &a.out {
        let fits = tstar::sweep::fit_tstar(&cmp.sweep);
        let tb = |n: f64| cmp.model.t_b(n);
        let w = report::write_sweep(dir, "bound-", &inst.name, &cmp.sweep, &fits, Some(&tb))?;
        for msg in w.warnings {
            eprintln!("warning: {msg}");
        }
        let js = serde_json::to_string_pretty(&cmp.model.to_json()).expect("JSON");
        std::fs::write(dir.join("bound.json"), js + "\n").map_err(|source| Error::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    if a.json {
        let rows: Vec<serde_json::Value> = cmp
            .rows()
            .iter()
            .map(|&(n, t, tb, meas, b)| serde_json::json!({"N": n, "T_star": t, "T_b": tb, "measured": meas, "bound": b}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"model": cmp.model.to_json(), "alpha_note": cmp.alpha_note, "comparison": rows})
        );
    } else {
        print!("{}", report::bound_text(&cmp));
    }
    Ok(())
}

fn certify_cmd(a: CertifyArgs) -> Result<(), Error> {
    let inst = builtin::load(&a.instance)?;
    let steps = tstar::sweep::parse_steps(&a.steps).map_err(|e| Error::param("--steps", e))?;
    let alpha = match a.alpha {
        Some(al) if al.cmp0() != std::cmp::Ordering::Greater => {
            return Err(Error::param("--alpha", "must be positive"))
        }
        Some(al) => al,
        None => runner::resolve_alpha(&inst)?,
    };
    if a.budget == 0 {
        return Err(Error::param("--budget", "must be at least 1"));
    }
    let opt = optimum(&inst, &OptimumOptions::default())?;
    let cert = tstar::certify::certify(
        &inst,
        &opt,
        &tstar::certify::CertifySpec {
            budget: a.budget,
            steps,
            metric: a.metric,
            estimator: a.estimator,
            update: a.update,
            alpha,
            start_prec: a.precision,
            max_prec: a.max_precision,
        },
    )?;
    if a.json {
        println!("{}", report::certify_json(&cert));
    } else {
        print!("{}", report::certify_text(&cert));
    }
    Ok(())
}

fn sweep_cmd(a: SweepArgs) -> Result<(), Error> {
    let mut inst = builtin::load(&a.instance)?;
    if let Some(eta) = a.eta {
        inst = inst.with_eta(eta)?;
    }
    let alphas = if a.alpha.trim() == "auto" {
        let base = match a.alpha_base.or(inst.alpha.clone()) {
            Some(b) => b,
            None => {
                return Err(Error::param(
                    "--alpha",
                    "auto needs a centre: the file sets no alpha; pass --alpha-base",
                ))
            }
        };
        if base.cmp0() != std::cmp::Ordering::Greater {
            return Err(Error::param("--alpha-base", "must be positive"));
        }
        tstar::sweep::auto_alpha_grid(&base)
    } else {
        let q = parse_rational(&a.alpha).map_err(|e| Error::param("--alpha", e.to_string()))?;
        vec![q]
    };
    if a.backend == Backend::Exact && a.update == UpdateKind::Eg {
        return Err(runner::eg_on_exact());
    }
    let budgets =
        tstar::sweep::parse_budgets(&a.budgets).map_err(|e| Error::param("--budgets", e))?;
    let steps = tstar::sweep::parse_steps(&a.steps).map_err(|e| Error::param("--steps", e))?;
    let spec = SweepSpec {
        budgets,
        steps,
        metric: a.metric,
        estimator: a.estimator,
        update: a.update,
        backend: a.backend,
        alphas,
        schedule: a.alpha_schedule,
        seeds: a.seeds.unwrap_or(if a.noise.is_some() { 8 } else { 1 }),
        noise: a.noise,
        base_seed: a.seed,
        method: if a.iterative {
            RoundMethod::Iterative
        } else {
            RoundMethod::Auto
        },
        max_bits: DEFAULT_MAX_BITS,
        progress: !a.quiet && !a.json,
        fast_forward: !a.no_fast_forward,
    };
    spec.validate()?;
    let opt = optimum(&inst, &OptimumOptions::default())?;
    let res = tstar::sweep::sweep(&inst, &opt.phi_star, &spec)?;
    let fits = tstar::sweep::fit_tstar(&res);
    if let Some(dir) = &a.out {
        let w = report::write_sweep(dir, "", &inst.name, &res, &fits, None)?;
        for msg in w.warnings {
            eprintln!("warning: {msg}");
        }
    }
    if a.json {
        println!("{}", report::sweep_json(&res, &fits));
    } else {
        print!("{}", report::sweep_text(&res, &fits));
        if let Some(dir) = &a.out {
            println!(
                "wrote {}/ (surface.csv, tstar.csv, sweep.json, figures)",
                dir.display()
            );
        }
    }
    Ok(())
}

fn reproduce(quick: bool, out: &std::path::Path) -> Result<(), Error> {
    let summary = tstar::reproduce::reproduce(&tstar::reproduce::ReproduceOptions {
        quick,
        out: out.to_path_buf(),
        progress: true,
    })?;
    for line in &summary.headlines {
        println!("{line}");
    }
    println!(
        "wrote {}/REPORT.md ({} files)",
        out.display(),
        summary.files.len()
    );
    Ok(())
}

fn run(a: RunArgs) -> Result<(), Error> {
    let mut inst = builtin::load(&a.instance)?;
    if let Some(eta) = a.eta {
        inst = inst.with_eta(eta)?;
    }
    if let Some(alpha) = a.alpha {
        inst = inst.with_alpha(alpha)?;
    }
    if a.backend == Backend::Exact && a.update == UpdateKind::Eg {
        // Refuse before the (possibly slow) optimum search.
        return Err(runner::eg_on_exact());
    }
    runner::resolve_alpha(&inst)?;
    let req = RunRequest {
        steps: a.steps,
        budget: a.budget,
        backend: a.backend,
        estimator: a.estimator,
        update: a.update,
        max_bits: a.max_bits,
    };
    req.validate()?;
    let opt = optimum(&inst, &OptimumOptions::default())?;
    let rep = runner::run(&inst, &opt, &req)?;
    if let Some(dir) = &a.out {
        let io = |source| Error::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        std::fs::write(dir.join("trace.csv"), report::trace_csv(&rep)).map_err(io)?;
        let summary = serde_json::to_string_pretty(&report::run_json(&rep)).expect("JSON value");
        std::fs::write(dir.join("summary.json"), summary + "\n").map_err(io)?;
    }
    if a.json {
        println!("{}", report::run_json(&rep));
    } else {
        print!("{}", report::run_text(&rep));
        if let Some(dir) = &a.out {
            println!("  wrote {0}/trace.csv and {0}/summary.json", dir.display());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// `tstar backends` and the counting allocator behind its peak-memory column.
// ---------------------------------------------------------------------------

/// The system allocator, counting live heap bytes and their peak, so that
/// `tstar backends` can report each backend's peak memory. Counting is two
/// relaxed atomic operations per allocation.
struct CountingAlloc;

static HEAP_CURRENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HEAP_PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static HEAP_BASELINE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn heap_grew(by: usize) {
    use std::sync::atomic::Ordering::Relaxed;
    let now = HEAP_CURRENT.fetch_add(by, Relaxed) + by;
    HEAP_PEAK.fetch_max(now, Relaxed);
}

fn heap_shrank(by: usize) {
    HEAP_CURRENT.fetch_sub(by, std::sync::atomic::Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters do not
// affect the allocation.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc(layout);
        if !p.is_null() {
            heap_grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc_zeroed(layout);
        if !p.is_null() {
            heap_grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(ptr, layout);
        heap_shrank(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let p = std::alloc::System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                heap_grew(new_size - layout.size());
            } else {
                heap_shrank(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// The counting allocator as a [`tstar::precision::PeakMeter`].
struct HeapMeter;

impl tstar::precision::PeakMeter for HeapMeter {
    fn reset(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let now = HEAP_CURRENT.load(Relaxed);
        HEAP_BASELINE.store(now, Relaxed);
        HEAP_PEAK.store(now, Relaxed);
    }
    fn peak_bytes(&self) -> usize {
        use std::sync::atomic::Ordering::Relaxed;
        HEAP_PEAK
            .load(Relaxed)
            .saturating_sub(HEAP_BASELINE.load(Relaxed))
    }
}

#[derive(clap::Args)]
struct BackendsArgs {
    /// Instance file, or builtin:NAME.
    #[arg(long)]
    instance: String,
    /// Inner steps per weight update, T ≥ 1.
    #[arg(long, short = 'T')]
    steps: usize,
    /// Budget N; the run makes K = ⌊N/T⌋ weight updates.
    #[arg(long, short = 'N')]
    budget: usize,
    /// Hypergradient estimator: unrolled, implicit, alignment or exact.
    #[arg(long, default_value = "unrolled", value_parser = parse_estimator)]
    estimator: Estimator,
    /// Weight update: eg or pgd (pgd adds the exact backend, which is then the reference).
    #[arg(long, default_value = "pgd", value_parser = parse_update)]
    update: UpdateKind,
    /// Outer step α, overriding the file (also the fixed α of the sweep).
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    alpha: Option<Rational>,
    /// Inner step η, overriding the file.
    #[arg(long, value_parser = parse_exact, allow_hyphen_values = true)]
    eta: Option<Rational>,
    /// Backends to compare, comma-separated.
    #[arg(long, default_value = "f32,f64,mp:64,mp:128,mp:256,mp:1024,exact")]
    backends: String,
    /// Skip the small T*(N) sweep per backend.
    #[arg(long)]
    no_sweep: bool,
    /// On the exact backend, stop with an error when a number needs more bits than this.
    #[arg(long, default_value_t = DEFAULT_MAX_BITS)]
    max_bits: u64,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Write backends.json and deviation.{svg,png} here.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn backends_cmd(a: BackendsArgs) -> Result<(), Error> {
    let mut inst = builtin::load(&a.instance)?;
    if let Some(eta) = a.eta {
        inst = inst.with_eta(eta)?;
    }
    if let Some(alpha) = a.alpha {
        inst = inst.with_alpha(alpha)?;
    }
    let alpha = runner::resolve_alpha(&inst)?;
    let backends: Vec<Backend> = a
        .backends
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<Backend>())
        .collect::<Result<_, _>>()
        .map_err(|e| Error::param("--backends", e))?;
    let req = RunRequest {
        steps: a.steps,
        budget: a.budget,
        backend: Backend::F64,
        estimator: a.estimator,
        update: a.update,
        max_bits: a.max_bits,
    };
    req.validate()?;
    let opt = optimum(&inst, &OptimumOptions::default())?;
    let mut cmp =
        tstar::precision::compare_backends(&inst, &opt, &req, &backends, Some(&HeapMeter))?;
    if !a.no_sweep {
        cmp.sweep = Some(tstar::precision::sweep_backends(
            &inst,
            &opt,
            a.estimator,
            a.update,
            &alpha,
            &backends,
        )?);
    }
    if let Some(dir) = &a.out {
        let io = |source| Error::Io {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let js = serde_json::to_string_pretty(&report::backends_json(&cmp)).expect("JSON value");
        std::fs::write(dir.join("backends.json"), js + "\n").map_err(io)?;
        let chart = tstar::figures::deviation_by_round(&cmp);
        if let Err(e) = tstar::plot::write_chart(&chart, &dir.join("deviation")) {
            eprintln!("warning: deviation figure not written: {e}");
        }
    }
    if a.json {
        println!("{}", report::backends_json(&cmp));
    } else {
        print!("{}", report::backends_text(&cmp));
        if let Some(dir) = &a.out {
            println!(
                "wrote {0}/backends.json and {0}/deviation.{{svg,png}}",
                dir.display()
            );
        }
    }
    Ok(())
}
