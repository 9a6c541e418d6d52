//! The interval backend (`interval:BITS`): every trace quantity of an
//! interval run encloses the exact (or a much more precise) run, operations
//! round outward, and what the enclosures cannot decide is an error, never a
//! silent guess.
//!
//! Random instances as in `properties.rs`: `A_i = B_iᵀB_i + I` with integer
//! `B_i` entries in −2..=2, `b_i` entries k/2, validation `A_0 = CᵀC`,
//! η = 1/(1 + max_i tr A_i), read through `Instance::from_json_str`.
//! Proptest cases: 12 per property unless `PROPTEST_CASES` says otherwise.

// The comparison operators themselves are under test, negations included.
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::nonminimal_bool)]

mod common;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rug::{Float, Rational};

use tstar::instance::Instance;
use tstar::interval::{
    clear_interval_error, parse_interval_text, take_interval_error, Interval, IntervalError,
};
use tstar::mix::{self, Eg, Estimator, MixConfig, Pgd, RoundRecord, TraceCollector, WeightUpdate};
use tstar::model::Problem;
use tstar::num::{parse_rational, Backend, Scalar, Transcendental};
use tstar::optimum::{Optimum, OptimumKind};
use tstar::runner::{self, RunRequest};
use tstar::sweep::{self, Metric, SweepSpec};

// ---------------------------------------------------------------------------
// Random instances.
// ---------------------------------------------------------------------------

use common::{gen_strategy as gen_strategy_d, Gen};

fn gen_strategy() -> impl Strategy<Value = Gen> {
    gen_strategy_d(3)
}

fn config() -> ProptestConfig {
    let mut c = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 12;
    }
    c
}

// ---------------------------------------------------------------------------
// Runs and enclosure checks.
// ---------------------------------------------------------------------------

fn mix_config<T: Scalar>(
    inst: &Instance,
    steps: usize,
    rounds: usize,
    est: Estimator,
    ctx: &T::Ctx,
) -> MixConfig<T> {
    let conv = |q: &Rational| T::from_rational(q, ctx);
    MixConfig {
        steps,
        budget: steps * rounds,
        alpha: conv(inst.alpha.as_ref().expect("alpha in the file")),
        estimator: est,
        theta0: inst.theta0.iter().map(conv).collect(),
        w0: inst.w0.iter().map(conv).collect(),
        max_bits: 1 << 22,
    }
}

fn trace_of<T: Scalar, U: WeightUpdate<T>>(
    inst: &Instance,
    steps: usize,
    rounds: usize,
    est: Estimator,
    ctx: &T::Ctx,
    update: U,
) -> tstar::Result<Vec<RoundRecord<T>>> {
    let p: Problem<T> = Problem::new(inst, ctx);
    let cfg = mix_config(inst, steps, rounds, est, ctx);
    let mut tc = TraceCollector::default();
    mix::run(&p, &cfg, update, &mut [&mut tc])?;
    Ok(tc.records)
}

/// An interval run: `Ok(records)`, or `Err(error)` where a recorded
/// interval error is preferred to the run's own error.
fn interval_trace<U: WeightUpdate<Interval>>(
    inst: &Instance,
    steps: usize,
    rounds: usize,
    est: Estimator,
    prec: u32,
    update: U,
) -> Result<Vec<RoundRecord<Interval>>, String> {
    clear_interval_error();
    let out = trace_of::<Interval, _>(inst, steps, rounds, est, &prec, update);
    match (take_interval_error(), out) {
        (Some(e), _) => Err(format!("interval error: {e}")),
        (None, Ok(r)) => Ok(r),
        (None, Err(e)) => Err(format!("run error without an interval error: {e}")),
    }
}

/// Every quantity of `point`'s trace lies in `enc`'s.
fn check_enclosed<T: Scalar>(
    enc: &[RoundRecord<Interval>],
    point: &[RoundRecord<T>],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(enc.len(), point.len());
    let inside = |what: &str, k: usize, i: &Interval, x: &T| -> Result<(), TestCaseError> {
        let q = x.to_rational().expect("finite reference value");
        prop_assert!(
            i.contains(&q),
            "round {}: {} = {} is outside {}",
            k,
            what,
            x.to_text(),
            i.to_text()
        );
        Ok(())
    };
    for (e, p) in enc.iter().zip(point) {
        let k = p.k;
        for (i, x) in e.w.iter().zip(&p.w) {
            inside("w", k, i, x)?;
        }
        for (i, x) in e.theta.iter().zip(&p.theta) {
            inside("θ", k, i, x)?;
        }
        inside("Φ(w)", k, &e.phi, &p.phi)?;
        inside("g(θ)", k, &e.g_theta, &p.g_theta)?;
        inside("‖G(w)‖²", k, &e.grad_map2, &p.grad_map2)?;
        prop_assert_eq!(e.h.is_some(), p.h.is_some());
        if let (Some(eh), Some(ph)) = (&e.h, &p.h) {
            for (i, x) in eh.iter().zip(ph) {
                inside("h", k, i, x)?;
            }
        }
    }
    Ok(())
}

/// The largest width of Φ in the trace, in f64.
fn max_phi_width(enc: &[RoundRecord<Interval>]) -> f64 {
    enc.iter()
        .map(|r| r.phi.width().to_f64())
        .fold(0.0, f64::max)
}

fn estimator_of(i: u8) -> Estimator {
    match i % 3 {
        0 => Estimator::Unrolled,
        1 => Estimator::Alignment,
        _ => Estimator::Exact,
    }
}

proptest! {
    #![proptest_config(config())]

    /// (a) pgd: the exact rational run lies inside the interval:256 run.
    #[test]
    fn pgd_interval_encloses_exact(g in gen_strategy(), steps in 1usize..=2, est in 0u8..3) {
        let inst = g.instance();
        let est = estimator_of(est);
        let rounds = 3;
        let exact = trace_of::<Rational, _>(&inst, steps, rounds, est, &(), Pgd).expect("exact run");
        match interval_trace(&inst, steps, rounds, est, 256, Pgd) {
            Ok(enc) => {
                check_enclosed(&enc, &exact)?;
                prop_assert!(max_phi_width(&enc) < 1e-40, "enclosure too wide: {}", max_phi_width(&enc));
            }
            // A tie in the exact run (equal entries in the projection, a
            // weight exactly on the threshold) cannot be decided by an
            // enclosure: the run must refuse, which it did.
            Err(e) => prop_assert!(e.starts_with("interval error"), "{}", e),
        }
    }

    /// (b) eg: the mp:2048 run lies inside the interval:256 run.
    #[test]
    fn eg_interval_encloses_mp2048(g in gen_strategy(), steps in 1usize..=3, est in 0u8..3) {
        let inst = g.instance();
        let est = estimator_of(est);
        let rounds = 4;
        let mp = trace_of::<Float, _>(&inst, steps, rounds, est, &2048, Eg).expect("mp run");
        match interval_trace(&inst, steps, rounds, est, 256, Eg) {
            Ok(enc) => {
                check_enclosed(&enc, &mp)?;
                prop_assert!(max_phi_width(&enc) < 1e-40, "enclosure too wide: {}", max_phi_width(&enc));
            }
            Err(e) => prop_assert!(e.starts_with("interval error"), "{}", e),
        }
    }

    /// Each operation's result contains the exact result, at any precision,
    /// and a decided comparison agrees with the exact one.
    #[test]
    fn operations_enclose_exact_results(
        an in -1000i64..1000, ad in 1i64..50, bn in -1000i64..1000, bd in 1i64..50,
        prec in prop::sample::select(vec![2u32, 8, 24, 53, 113]),
    ) {
        let (a, b) = (Rational::from((an, ad)), Rational::from((bn, bd)));
        let (x, y) = (Interval::from_rational(&a, &prec), Interval::from_rational(&b, &prec));
        clear_interval_error();
        prop_assert!(x.contains(&a) && y.contains(&b));
        prop_assert!((x.clone() + &y).contains(&Rational::from(&a + &b)));
        prop_assert!((x.clone() - &y).contains(&Rational::from(&a - &b)));
        prop_assert!((x.clone() * &y).contains(&Rational::from(&a * &b)));
        prop_assert!((-x.clone()).contains(&Rational::from(-&a)));
        prop_assert!(x.abs().contains(&a.clone().abs()));
        prop_assert!(take_interval_error().is_none());
        let q = x.clone() / &y;
        if y.contains(&Rational::new()) {
            prop_assert_eq!(take_interval_error(), Some(IntervalError::DivisionByZeroInterval));
            prop_assert!(!q.is_finite());
        } else {
            prop_assert!(q.contains(&Rational::from(&a / &b)));
            prop_assert!(take_interval_error().is_none());
        }
        if let Some(lt) = x.certainly_lt(&y) {
            prop_assert_eq!(lt, a < b);
        }
        if let Some(le) = x.certainly_le(&y) {
            prop_assert_eq!(le, a <= b);
        }
        clear_interval_error();
    }
}

// ---------------------------------------------------------------------------
// (c) What the enclosures cannot decide is an error.
// ---------------------------------------------------------------------------

#[test]
fn division_by_an_interval_containing_zero_is_an_error() {
    clear_interval_error();
    let p = 64;
    let z = Interval::new(Float::with_val(p, -1), Float::with_val(p, 1)).unwrap();
    let q = Interval::one(&p) / &z;
    assert!(!q.is_finite());
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::DivisionByZeroInterval)
    );
    let q = Interval::one(&p) / &Interval::zero(&p);
    assert!(!q.is_finite());
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::DivisionByZeroInterval)
    );
    assert_eq!(take_interval_error(), None, "take clears the slot");
}

#[test]
fn undecidable_comparisons_are_errors_and_decidable_ones_are_not() {
    clear_interval_error();
    let p = 64;
    let iv = |a: i64, b: i64| Interval::new(Float::with_val(p, a), Float::with_val(p, b)).unwrap();
    // Disjoint or touching where it decides: no error.
    assert!(iv(0, 1) < iv(2, 3));
    assert!(iv(0, 1) <= iv(1, 3));
    assert!(!(iv(1, 2) < iv(0, 1)));
    assert!(iv(2, 3) > iv(0, 1));
    assert!(iv(5, 5) == iv(5, 5));
    assert!(iv(0, 1) != iv(2, 3));
    assert_eq!(
        iv(0, 1).partial_cmp(&iv(2, 3)),
        Some(std::cmp::Ordering::Less)
    );
    assert_eq!(take_interval_error(), None);
    // Overlapping: every form of the question records the error.
    assert!(!(iv(0, 2) > iv(1, 3)));
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::UndecidableComparison)
    );
    assert!(iv(0, 2).partial_cmp(&iv(1, 3)).is_none());
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::UndecidableComparison)
    );
    assert!(!(iv(0, 2) == iv(0, 2)));
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::UndecidableComparison)
    );
    // The first error is kept.
    let _ = Interval::one(&p) / &iv(-1, 1);
    let _ = iv(0, 2) < iv(1, 3);
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::DivisionByZeroInterval)
    );
}

#[test]
fn domain_errors() {
    clear_interval_error();
    let p = 64;
    let iv = |a: i64, b: i64| Interval::new(Float::with_val(p, a), Float::with_val(p, b)).unwrap();
    assert!(iv(-1, 4).sqrt_checked().is_none());
    assert_eq!(take_interval_error(), None);
    assert!(!iv(-1, 4).sqrt().is_finite());
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::Domain { op: "sqrt" })
    );
    assert!(!iv(0, 4).ln().is_finite());
    assert_eq!(
        take_interval_error(),
        Some(IntervalError::Domain { op: "ln" })
    );
    let r = iv(1, 4).sqrt();
    assert!(r.contains(&Rational::from(1)) && r.contains(&Rational::from(2)));
    assert_eq!(take_interval_error(), None);
}

/// Two identical domains from the uniform start: h_0 has two equal entries,
/// so the projection's sort must compare two overlapping enclosures.
const TIE: &str = r#"{
  "name": "tie",
  "domains": [
    {"name": "a", "A": [[2, 1], [1, 2]], "b": [1, 0]},
    {"name": "b", "A": [[2, 1], [1, 2]], "b": [1, 0]}
  ],
  "validation": {"A": [[1, 0], [0, 1]], "b": [0, 1]},
  "eta": "1/5",
  "alpha": "1/3"
}"#;

const PLAIN: &str = r#"{
  "name": "plain",
  "domains": [
    {"name": "web",  "A": [[2, 0], [0, 1]], "b": [1, "-1/2"]},
    {"name": "code", "A": [[1, 0], [0, 3]], "b": [0, 2]}
  ],
  "validation": {"A": [[1, 0], [0, 1]], "b": ["0.5", 0]},
  "eta": "1/5",
  "alpha": "1/3"
}"#;

fn no_optimum() -> Optimum {
    Optimum {
        phi_star: Rational::new(),
        enclosure: None,
        w_star: vec![Rational::from((1, 2)); 2],
        kind: OptimumKind::Local,
        exact: false,
    }
}

fn request(backend: Backend, update: mix::UpdateKind) -> RunRequest {
    RunRequest {
        steps: 2,
        budget: 8,
        backend,
        estimator: Estimator::Unrolled,
        update,
        max_bits: 1 << 22,
    }
}

#[test]
fn runner_refuses_an_undecidable_run() {
    let inst = Instance::from_json_str(TIE).unwrap();
    let req = request(Backend::Interval(256), mix::UpdateKind::Pgd);
    let err = runner::run(&inst, &no_optimum(), &req).expect_err("a tie cannot be decided");
    let msg = err.to_string();
    assert!(
        msg.contains("interval backend") && msg.contains("could not be decided"),
        "{msg}"
    );
    // The exact backend decides the tie and runs.
    let req = request(Backend::Exact, mix::UpdateKind::Pgd);
    runner::run(&inst, &no_optimum(), &req).expect("exact run");
    // The slot was left clear for the next run on this thread.
    assert_eq!(take_interval_error(), None);
}

#[test]
fn runner_interval_report_encloses_the_exact_report() {
    let inst = Instance::from_json_str(PLAIN).unwrap();
    let opt = no_optimum();
    let exact = runner::run(&inst, &opt, &request(Backend::Exact, mix::UpdateKind::Pgd)).unwrap();
    let enc = runner::run(
        &inst,
        &opt,
        &request(Backend::Interval(256), mix::UpdateKind::Pgd),
    )
    .unwrap();
    assert_eq!(enc.backend, "interval:256");
    let within = |e: &runner::Num, x: &runner::Num| {
        let (lo, hi) = parse_interval_text(&e.text).unwrap_or_else(|| panic!("{}", e.text));
        let q = parse_rational(&x.text).unwrap();
        assert!(lo <= q && q <= hi, "{} outside {}", x.text, e.text);
        assert!(
            !e.text.contains(','),
            "interval text must be CSV-safe: {}",
            e.text
        );
    };
    for (e, x) in enc.trace.iter().zip(&exact.trace) {
        e.w.iter().zip(&x.w).for_each(|(a, b)| within(a, b));
        within(&e.phi, &x.phi);
        within(&e.g_theta, &x.g_theta);
        within(&e.grad_map2, &x.grad_map2);
    }
    within(&enc.gap, &exact.gap);
    within(&enc.stationarity, &exact.stationarity);
    // eg runs on intervals too.
    let eg = runner::run(
        &inst,
        &opt,
        &request(Backend::Interval(256), mix::UpdateKind::Eg),
    )
    .unwrap();
    assert!(eg.phi.f64.is_finite());
}

#[test]
fn sweep_runs_on_intervals_and_refuses_undecidable_ties() {
    let inst = Instance::from_json_str(PLAIN).unwrap();
    let spec = SweepSpec {
        backend: Backend::Interval(128),
        ..SweepSpec::new(
            vec![4, 8],
            vec![1, 2],
            Metric::Gap,
            vec![Rational::from((1, 3))],
        )
    };
    let r = sweep::sweep(&inst, &Rational::new(), &spec).expect("interval sweep");
    assert!(r.values.iter().all(|v| v.is_finite()));
    assert!((r.unit_roundoff - 2f64.powi(-128)).abs() < 1e-50);
    let tie = Instance::from_json_str(TIE).unwrap();
    let err = sweep::sweep(&tie, &Rational::new(), &spec).expect_err("tie");
    assert!(err.to_string().contains("interval backend"), "{err}");
}

#[test]
fn backend_parses_and_prints() {
    let b: Backend = "interval:256".parse().unwrap();
    assert_eq!(b, Backend::Interval(256));
    assert_eq!(b.to_string(), "interval:256");
    assert!("interval:x".parse::<Backend>().is_err());
    assert!("interval:1".parse::<Backend>().is_err());
}

// ---------------------------------------------------------------------------
// (d) Outward rounding.
// ---------------------------------------------------------------------------

#[test]
fn one_third_at_24_bits_is_strictly_enclosed() {
    let third = Rational::from((1, 3));
    let x = Interval::from_rational(&third, &24);
    assert!(*x.lo() < third && *x.hi() > third);
    assert!(x.width() > 0);
    // The same by division of exact points.
    let y = Interval::from_i64(1, &24) / &Interval::from_i64(3, &24);
    assert!(*y.lo() < third && *y.hi() > third);
    assert_eq!(take_interval_error(), None);
}

#[test]
fn long_chains_stay_enclosing_with_positive_width() {
    clear_interval_error();
    let prec = 24;
    let (c1, c2) = (Rational::from((7, 3)), Rational::from((1, 7)));
    let (i1, i2) = (
        Interval::from_rational(&c1, &prec),
        Interval::from_rational(&c2, &prec),
    );
    let mut q = Rational::from((1, 3));
    let mut x = Interval::from_rational(&q, &prec);
    let mut last_width = Float::new(prec);
    for k in 0..120 {
        // x ← (x · 7/3 + 1/7) / (x + 2): a Möbius map (the exact value's
        // size grows linearly), bounded on x ≥ 0, never a point.
        q = (q.clone() * &c1 + &c2) / (q.clone() + 2u32);
        x = (x.clone() * &i1 + &i2) / &(x.clone() + &Interval::from_i64(2, &prec));
        assert!(x.contains(&q), "step {k}: {} outside {}", q, x.to_text());
        assert!(x.width() > 0, "step {k}: zero width");
        last_width = x.width();
    }
    assert!(last_width.is_finite());
    // exp/ln/sqrt enclose the MPFR value at 4096 bits.
    let z = Interval::from_rational(&Rational::from((-5, 7)), &prec);
    let zq = Float::with_val(4096, &Rational::from((-5, 7)));
    let e = z.exp();
    assert!(e.contains(&Float::with_val(4096, zq.exp_ref()).to_rational().unwrap()));
    let l = e.ln();
    assert!(l.contains(&Rational::from((-5, 7))));
    let s = e.sqrt();
    assert!(s.contains(
        &Float::with_val(4096, (zq / 2u32).exp_ref())
            .to_rational()
            .unwrap()
    ));
    assert_eq!(take_interval_error(), None);
}

#[test]
fn text_is_outward_and_readable() {
    let x = Interval::from_rational(&Rational::from((2, 3)), &53);
    let t = x.to_text();
    let (lo, hi) = parse_interval_text(&t).unwrap();
    assert!(lo <= x.lo().to_rational().unwrap() && hi >= x.hi().to_rational().unwrap());
    assert!(lo < Rational::from((2, 3)) && hi > Rational::from((2, 3)));
    assert_eq!(
        x.to_rational().unwrap(),
        (x.lo().to_rational().unwrap() + x.hi().to_rational().unwrap()) / 2u32
    );
    assert!((x.to_f64() - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(Interval::backend_name(&53), "interval:53");
}
