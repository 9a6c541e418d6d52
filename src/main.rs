//! The `tstar` command line: parses, calls the library, prints. Errors are
//! rendered once, here, with a non-zero exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rug::Rational;

use tstar::builtin::{self, BUILTINS};
use tstar::mix::{Estimator, UpdateKind};
use tstar::num::{parse_rational, Backend};
use tstar::optimum::{optimum, OptimumOptions};
use tstar::report;
use tstar::runner::{self, RunRequest, DEFAULT_MAX_BITS};
use tstar::Error;

#[derive(Parser)]
#[command(
    name = "tstar",
    version,
    about = "Check the theorems of data mixing with T-step lookahead, numerically and exactly",
    long_about = "tstar runs MIX(T, N) — train on a w-weighted mixture of domains, update the \
weights w every T inner steps with a T-step lookahead hypergradient, N inner steps in all — on \
quadratic instances, on f32, f64, MPFR at any precision (mp:BITS) or exact rationals, and \
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
    /// Run the checks on every built-in instance and write REPORT.md with the data behind it.
    ///
    /// Today: the certified optimum, greedy (T = 1) against longer lookahead
    /// horizons at one budget, and the oracle hypergradient. The T*(N) sweep,
    /// scaling fits and the closed-form bound are not in this version.
    Reproduce {
        /// A smaller budget and fewer horizons (a few seconds).
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
        Command::Reproduce { quick, out } => reproduce(quick, &out),
    }
}

fn reproduce(quick: bool, out: &std::path::Path) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: out.display().to_string(),
        source,
    };
    std::fs::create_dir_all(out).map_err(io)?;
    let (budget, steps): (usize, &[usize]) = if quick {
        (500, &[1, 2, 5, 10, 20, 50])
    } else {
        (4000, &[1, 2, 3, 5, 10, 20, 50, 100, 200])
    };
    let mut md = String::from("# tstar reproduce\n\n");
    md.push_str(
        "Greedy (T = 1) against longer lookahead horizons at one budget N, with the oracle \
         hypergradient (`exact` estimator) as the reference, on f64 with projected-gradient \
         weight updates. Φ* is certified for two domains and local for more.\n\n\
         Not in this version (issue 3): the T*(N) budget sweep with scaling fits, stochastic \
         gradients, the closed-form bound and the figures.\n\n",
    );
    for b in BUILTINS {
        let inst = builtin::load(&format!("builtin:{}", b.name))?;
        eprintln!(
            "reproduce: {} (N = {budget}, {} horizons)…",
            b.name,
            steps.len()
        );
        let opt = optimum(&inst, &OptimumOptions::default())?;
        let cmp = tstar::experiments::compare_horizons(
            &inst,
            &opt,
            steps,
            budget,
            Backend::F64,
            UpdateKind::Pgd,
        )?;
        let section = report::horizons_markdown(&inst, &opt, &cmp);
        println!("{section}");
        md.push_str(&section);
        md.push('\n');
        let csv = out.join(format!("{}-horizons.csv", b.name));
        std::fs::write(&csv, report::horizons_csv(&cmp)).map_err(io)?;
        md.push_str(&format!("Data: `{}-horizons.csv`.\n\n", b.name));
    }
    std::fs::write(out.join("REPORT.md"), md).map_err(io)?;
    println!("wrote {}/REPORT.md", out.display());
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
