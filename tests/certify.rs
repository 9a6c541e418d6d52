//! `tstar certify`: a separated answer agrees with the f64 sweep, the JSON
//! contract, and that an unseparated answer lists the tied horizons.

use std::process::Command;

use tstar::builtin;
use tstar::certify::{certify, CertifySpec};
use tstar::mix::{Estimator, UpdateKind};
use tstar::optimum::{optimum, OptimumOptions};
use tstar::sweep::{sweep, Metric, SweepSpec};

fn spec(budget: usize, tmax: usize, max_prec: u32) -> CertifySpec {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    CertifySpec {
        budget,
        steps: (1..=tmax).collect(),
        metric: Metric::Stationarity,
        estimator: Estimator::Unrolled,
        update: UpdateKind::Pgd,
        alpha: inst.alpha.unwrap(),
        start_prec: 128,
        max_prec,
    }
}

#[test]
fn a_separated_answer_agrees_with_the_f64_sweep() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let s = spec(100, 20, 2048);
    let cert = certify(&inst, &opt, &s).unwrap();
    let t = cert.tstar.expect("separated at ≤ 2048 bits");
    assert_eq!(cert.tied, vec![t]);
    let f64_sweep = sweep(
        &inst,
        &opt.phi_star,
        &SweepSpec::new(
            vec![100],
            (1..=20).collect(),
            Metric::Stationarity,
            vec![s.alpha.clone()],
        ),
    )
    .unwrap();
    assert_eq!(f64_sweep.tstar()[0].t, t);
    // The proof: T*'s upper end is below every other lower end.
    let best = cert.enclosures.iter().find(|e| e.t == t).unwrap();
    for e in cert.enclosures.iter().filter(|e| e.t != t) {
        assert!(best.hi < e.lo, "T = {} overlaps", e.t);
    }
    // And the f64 values lie inside the enclosures (f64 rounding is far
    // below the enclosures' distance here, so the midpoints agree closely).
    for (ti, e) in cert.enclosures.iter().enumerate() {
        let v = f64_sweep.value(ti, 0, 0, 0);
        assert!(
            (v - e.lo.to_f64()).abs() <= 1e-9 * v.abs(),
            "T = {}: f64 {v} vs [{}, {}]",
            e.t,
            e.lo,
            e.hi
        );
    }
}

#[test]
fn an_unseparated_answer_lists_the_tied_horizons() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    // 64 bits cannot survive ~100 rounds of widening: everything ties.
    let cert = certify(
        &inst,
        &opt,
        &CertifySpec {
            start_prec: 64,
            ..spec(1000, 12, 64)
        },
    )
    .unwrap();
    assert!(cert.tstar.is_none());
    assert!(cert.tied.len() > 1);
    assert_eq!(cert.precision_bits, 64);
}

#[test]
fn certify_json_contract_and_refusals() {
    let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args([
            "certify",
            "--instance",
            "builtin:greedy-fails",
            "-N",
            "100",
            "--steps",
            "1..20",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "budget",
        "metric",
        "tstar",
        "tied",
        "precision_bits",
        "enclosures",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    let e = &v["enclosures"][0];
    assert!(e["T"].is_number() && e["lo"].is_string() && e["hi"].is_string());
    for bad in [
        vec!["--steps", "200..300"],
        vec!["--precision", "8"],
        vec!["--precision", "512", "--max-precision", "256"],
    ] {
        let mut args = vec!["certify", "--instance", "builtin:greedy-fails", "-N", "100"];
        args.extend(bad.iter().copied());
        let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} accepted");
        assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
    }
}

#[test]
fn at_n_1e4_certify_answers_with_the_tied_horizons() {
    // The case N = 10⁴: with the enclosures widening ~11 bits per
    // round (README, "Limitation, measured"), 2048 bits cannot separate
    // T = 38..40 after ~250 rounds; certify must say exactly which T remain
    // tied, at the precision limit, and not guess.
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let s = CertifySpec {
        steps: vec![38, 39, 40],
        ..spec(10_000, 40, 2048)
    };
    let cert = certify(&inst, &opt, &s).unwrap();
    match cert.tstar {
        Some(t) => {
            assert_eq!(cert.tied, vec![t]);
            let f64_sweep = sweep(
                &inst,
                &opt.phi_star,
                &SweepSpec::new(
                    vec![10_000],
                    s.steps.clone(),
                    Metric::Stationarity,
                    vec![s.alpha.clone()],
                ),
            )
            .unwrap();
            assert_eq!(f64_sweep.tstar()[0].t, t);
        }
        None => {
            assert_eq!(cert.precision_bits, 2048);
            assert!(!cert.tied.is_empty());
            assert!(cert.tied.iter().all(|t| s.steps.contains(t)));
            assert_eq!(cert.attempts.last().unwrap().0, 2048);
        }
    }
}
