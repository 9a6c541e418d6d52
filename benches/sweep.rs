//! The budget sweep of the speed requirement: f64, the three-domain d = 4
//! built-in, T = 1…80, 13 budgets 10²…10⁵, fixed α, metric stationarity,
//! pgd. Also one inner step and one unrolled round (iterative and closed
//! form) on the same instance.

use criterion::{criterion_group, criterion_main, Criterion};
use rug::Rational;
use tstar::builtin;
use tstar::mix::{inner_steps, unrolled_round, unrolled_round_closed};
use tstar::model::Problem;
use tstar::optimum::{optimum, OptimumOptions};
use tstar::sweep::{parse_budgets, sweep, Metric, SweepSpec};

fn spec(alpha: Rational) -> SweepSpec {
    // f64, unrolled, pgd, constant step, closed-form rounds: SweepSpec::new.
    SweepSpec::new(
        parse_budgets("1e2..1e5:13").expect("grid"),
        (1..=80).collect(),
        Metric::Stationarity,
        vec![alpha],
    )
}

fn benches(c: &mut Criterion) {
    let inst = builtin::load("builtin:dense-3x4").expect("built-in");
    let opt = optimum(&inst, &OptimumOptions::default()).expect("optimum");
    let s = spec(inst.alpha.clone().expect("alpha"));
    let mut g = c.benchmark_group("sweep");
    g.sample_size(20);
    g.bench_function("f64_dense3x4_T1-80_N1e5_stationarity", |b| {
        b.iter(|| sweep(&inst, &opt.phi_star, &s).expect("sweep"))
    });
    g.finish();

    let p: Problem<f64> = Problem::new(&inst, &());
    let w = [0.5, 0.3, 0.2];
    let theta = [0.1, -0.2, 0.3, 0.0];
    c.bench_function("inner_step_f64_d4", |b| {
        b.iter(|| inner_steps(&p, &w, &theta, 1))
    });
    c.bench_function("unrolled_round_iterative_f64_T80", |b| {
        b.iter(|| unrolled_round(&p, &w, &theta, 80))
    });
    c.bench_function("unrolled_round_closed_f64_T80", |b| {
        b.iter(|| {
            unrolled_round_closed(&p, &w, &theta, 80)
                .expect("eigensolver")
                .expect("round")
        })
    });
}

criterion_group!(group, benches);
criterion_main!(group);
