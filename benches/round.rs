//! One MIX round (T = 10 inner steps, unrolled estimator, pgd) on the dense
//! three-domain d = 5 built-in, per backend: the baseline cost of a digit.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rug::{Float, Rational};
use tstar::builtin;
use tstar::interval::Interval;
use tstar::mix::{Estimator, Mix, MixConfig, Pgd};
use tstar::model::Problem;
use tstar::num::Scalar;

fn bench_backend<T: Scalar>(c: &mut Criterion, name: &str, ctx: T::Ctx) {
    let inst = builtin::load("builtin:dense-3x5").expect("built-in");
    let problem: Problem<T> = Problem::new(&inst, &ctx);
    let alpha = inst.alpha.clone().expect("alpha");
    let config =
        MixConfig::from_instance(&inst, &ctx, 10, 10, &alpha, Estimator::Unrolled, u64::MAX);
    let mix = Mix::new(&problem, &config, Pgd).expect("valid");
    c.bench_with_input(BenchmarkId::new("mix_round_T10", name), &(), |b, _| {
        b.iter(|| mix.next_round(mix.init()).expect("round"))
    });
}

fn rounds(c: &mut Criterion) {
    bench_backend::<f32>(c, "f32", ());
    bench_backend::<f64>(c, "f64", ());
    bench_backend::<Float>(c, "mp:64", 64);
    bench_backend::<Float>(c, "mp:256", 256);
    bench_backend::<Float>(c, "mp:1024", 1024);
    bench_backend::<Rational>(c, "exact", ());
    bench_backend::<Interval>(c, "interval:256", 256);
}

criterion_group!(benches, rounds);
criterion_main!(benches);
