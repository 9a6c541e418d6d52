//! The sweep's shortcuts are exact: one trajectory per T serves every budget
//! (checked with equality on `Exact`), fast-forwarding through a repeated
//! state changes nothing, and the closed-form round of SPEC §4.4 agrees with
//! the iterative recursion.

use rug::{Float, Rational};
use tstar::builtin;
use tstar::mix::{unrolled_round, unrolled_round_closed, Estimator, Pgd, RoundMethod, UpdateKind};
use tstar::model::Problem;
use tstar::num::{parse_rational, Backend};
use tstar::optimum::{optimum, OptimumOptions};
use tstar::runner::{self, RunRequest};
use tstar::sweep::{sweep, trajectory, Metric, SweepSpec};

fn spec(
    metric: Metric,
    backend: Backend,
    budgets: Vec<usize>,
    steps: Vec<usize>,
    alpha: Rational,
) -> SweepSpec {
    SweepSpec {
        backend,
        method: RoundMethod::Iterative,
        ..SweepSpec::new(budgets, steps, metric, vec![alpha])
    }
}

#[test]
fn one_trajectory_per_t_equals_direct_runs_exactly() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let problem: Problem<Rational> = Problem::new(&inst, &());
    let budgets = vec![3, 4, 6, 7, 9];
    let steps = vec![1, 2, 3];
    for metric in [Metric::Gap, Metric::Stationarity, Metric::Val] {
        let s = spec(
            metric,
            Backend::Exact,
            budgets.clone(),
            steps.clone(),
            inst.alpha.clone().unwrap(),
        );
        for (ti, &t) in steps.iter().enumerate() {
            let tr =
                trajectory::<Rational, Pgd>(&problem, &inst, &opt.phi_star, &s, ti, 0, 0, &(), Pgd)
                    .unwrap();
            for (ni, &n) in budgets.iter().enumerate() {
                let direct = runner::run(
                    &inst,
                    &opt,
                    &RunRequest {
                        steps: t,
                        budget: n,
                        backend: Backend::Exact,
                        estimator: Estimator::Unrolled,
                        update: UpdateKind::Pgd,
                        max_bits: 1 << 22,
                    },
                )
                .unwrap();
                let want = match metric {
                    Metric::Gap => &direct.gap.text,
                    Metric::Stationarity => &direct.stationarity.text,
                    Metric::Val => &direct.val.text,
                };
                let got = tr.values[ni].clone().expect("K ≥ 1");
                assert_eq!(got, parse_rational(want).unwrap(), "{metric} N={n} T={t}");
            }
        }
    }
}

#[test]
fn fast_forward_changes_nothing() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let budgets: Vec<usize> = vec![10, 100, 1000, 5000, 20000];
    let steps: Vec<usize> = vec![1, 2, 5, 10, 40];
    for metric in [Metric::Gap, Metric::Stationarity, Metric::Val] {
        let mut on = spec(
            metric,
            Backend::F64,
            budgets.clone(),
            steps.clone(),
            inst.alpha.clone().unwrap(),
        );
        let fast = sweep(&inst, &opt.phi_star, &on).unwrap();
        on.fast_forward = false;
        let slow = sweep(&inst, &opt.phi_star, &on).unwrap();
        assert!(
            fast.fast_forwarded > 0,
            "no trajectory reached a repeated state"
        );
        assert!(fast.rounds_computed < slow.rounds_computed);
        for (a, b) in fast.values.iter().zip(&slow.values) {
            if a.is_nan() {
                assert!(b.is_nan());
                continue;
            }
            match metric {
                // The running mean differs only by the rounding of the sum.
                Metric::Stationarity => assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}"),
                _ => assert_eq!(a.to_bits(), b.to_bits(), "{metric}: {a} vs {b}"),
            }
        }
        let picks = |r: &tstar::sweep::SweepResult| {
            r.tstar()
                .iter()
                .map(|x| (x.n, x.t, x.alpha))
                .collect::<Vec<_>>()
        };
        assert_eq!(picks(&fast), picks(&slow));
    }
}

#[test]
fn closed_form_round_agrees_with_the_recursion() {
    let inst = builtin::load("builtin:dense-3x5").unwrap();
    let p64: Problem<f64> = Problem::new(&inst, &());
    let p256: Problem<Float> = Problem::new(&inst, &256);
    let w = [0.2, 0.5, 0.3];
    let w_mp: Vec<Float> = w.iter().map(|&x| Float::with_val(256, x)).collect();
    let theta0 = [0.5, -1.0, 0.25, 2.0, 0.0];
    let theta0_mp: Vec<Float> = theta0.iter().map(|&x| Float::with_val(256, x)).collect();
    for t in [1, 2, 11, 30, 200, 1000] {
        let (th, h) = unrolled_round_closed(&p64, &w, &theta0, t)
            .expect("f64 has an eigensolver")
            .unwrap();
        let (th_ref, h_ref) = unrolled_round(&p256, &w_mp, &theta0_mp, t);
        let scale_h = h_ref
            .iter()
            .map(|x| x.to_f64().abs())
            .fold(1e-300, f64::max);
        for (a, b) in h.iter().zip(&h_ref) {
            assert!(
                (a - b.to_f64()).abs() <= 1e-10 * scale_h,
                "T={t}: h {a} vs {}",
                b.to_f64()
            );
        }
        for (a, b) in th.iter().zip(&th_ref) {
            assert!(
                (a - b.to_f64()).abs() <= 1e-10 * (1.0 + b.to_f64().abs()),
                "T={t}: θ {a} vs {}",
                b.to_f64()
            );
        }
    }
    // Exact and MPFR have no eigensolver: the recursion stays the path there.
    assert!(unrolled_round_closed(&p256, &w_mp, &theta0_mp, 5).is_none());
}

#[test]
fn stochastic_sweeps_are_reproducible_and_report_intervals() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let mut s = spec(
        Metric::Stationarity,
        Backend::F64,
        vec![50, 200],
        vec![1, 2, 5],
        inst.alpha.clone().unwrap(),
    );
    s.noise = Some(Rational::from((1, 10)));
    s.seeds = 4;
    let a = sweep(&inst, &opt.phi_star, &s).unwrap();
    let b = sweep(&inst, &opt.phi_star, &s).unwrap();
    assert_eq!(
        a.values.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.values.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    // Seeds differ, so the CI has positive width.
    let (mean, (lo, hi)) = a.mean_ci(0, 0, 1);
    assert!(lo < mean && mean < hi, "{lo} {mean} {hi}");
    for row in a.tstar() {
        let (tlo, thi) = row.t_ci.expect("bootstrap CI with R ≥ 2");
        assert!(tlo <= thi);
    }
    // σ = 0 reproduces the full-gradient values exactly.
    s.fast_forward = false;
    s.noise = Some(Rational::new());
    s.seeds = 1;
    let zero = sweep(&inst, &opt.phi_star, &s).unwrap();
    s.noise = None;
    let full = sweep(&inst, &opt.phi_star, &s).unwrap();
    assert_eq!(zero.values, full.values);
}

#[test]
fn bad_sweeps_are_refused() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let q = Rational::from((1, 4));
    let bad = |f: &dyn Fn(&mut SweepSpec)| {
        let mut s = spec(Metric::Gap, Backend::F64, vec![10], vec![1, 2], q.clone());
        f(&mut s);
        sweep(&inst, &Rational::new(), &s).unwrap_err().to_string()
    };
    assert!(bad(&|s| s.budgets.clear()).contains("--budgets"));
    assert!(bad(&|s| s.steps.clear()).contains("--steps"));
    assert!(bad(&|s| s.steps = vec![20, 30]).contains("--steps"));
    assert!(bad(&|s| s.noise = Some(Rational::from(-1))).contains("--noise"));
    assert!(bad(&|s| s.seeds = 0).contains("--seeds"));
    assert!(bad(&|s| s.alphas = vec![Rational::new()]).contains("--alpha"));
}
