//! `tstar backends`: the comparison of number backends (src/precision.rs).

use std::process::Command;

use rug::ops::Pow;
use rug::Rational;
use tstar::builtin;
use tstar::mix::{Estimator, UpdateKind};
use tstar::num::Backend;
use tstar::optimum::{optimum, OptimumOptions};
use tstar::precision::{
    compare_backends, exact_value, rel_dev_vec, BackendComparison, BackendRow, Deviation, Digits,
    RowStatus, DEFAULT_BACKENDS,
};
use tstar::runner::{RunRequest, DEFAULT_MAX_BITS};

fn compare(update: UpdateKind, steps: usize, budget: usize, max_bits: u64) -> BackendComparison {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let req = RunRequest {
        steps,
        budget,
        backend: Backend::F64,
        estimator: Estimator::Unrolled,
        update,
        max_bits,
    };
    compare_backends(&inst, &opt, &req, &DEFAULT_BACKENDS, None).unwrap()
}

fn row(c: &BackendComparison, b: Backend) -> &BackendRow {
    c.rows.iter().find(|r| r.backend == b).unwrap()
}

const FLOATING: [Backend; 6] = [
    Backend::F32,
    Backend::F64,
    Backend::Mp(64),
    Backend::Mp(128),
    Backend::Mp(256),
    Backend::Mp(1024),
];

/// Strictly decreasing deviations down the precision ladder, all nonzero.
fn assert_strictly_ordered(
    c: &BackendComparison,
    ladder: &[Backend],
    get: fn(&BackendRow) -> Deviation,
    what: &str,
) {
    let devs: Vec<Deviation> = ladder.iter().map(|&b| get(row(c, b))).collect();
    for (pair, bs) in devs.windows(2).zip(ladder.windows(2)) {
        assert!(
            !pair[1].is_zero() && pair[0].log10 > pair[1].log10,
            "{what}: {} ({}) should deviate more than {} ({})",
            bs[0],
            pair[0].text(),
            bs[1],
            pair[1].text()
        );
    }
}

#[test]
fn pgd_deviations_order_by_precision_against_exact() {
    let c = compare(UpdateKind::Pgd, 2, 40, DEFAULT_MAX_BITS);
    assert_eq!(c.reference, Backend::Exact);
    assert_eq!(c.rounds, 20);
    assert!(c.reference_note.is_none());
    assert!(row(&c, Backend::Exact).is_reference);
    for r in &c.rows {
        assert_eq!(r.status, RowStatus::Ran, "{}", r.backend);
        assert_eq!(r.dev_w.len(), 21);
        assert!(r.peak_bytes.is_none(), "no meter was given");
        assert!(r.seconds_per_round.unwrap() >= 0.0);
        assert_eq!(r.first_round_over, None, "{}", r.backend);
    }
    // Against an exact reference even mp:1024 deviates (w_1, Φ(w_0) are not
    // dyadic), far below f64's normal range: kept as a logarithm.
    assert_strictly_ordered(&c, &FLOATING, |r| r.max_rel_dev_w.unwrap(), "max_rel_dev_w");
    assert_strictly_ordered(
        &c,
        &FLOATING,
        |r| r.max_rel_dev_phi.unwrap(),
        "max_rel_dev_phi",
    );
    let m1024 = row(&c, Backend::Mp(1024)).max_rel_dev_w.unwrap();
    assert!(
        m1024.log10 < -300.0 && m1024.log10 > -320.0,
        "{}",
        m1024.text()
    );
    // Digits of the gap increase strictly with precision; the final w is
    // the vertex (0, 1) on every backend, so its digits are "exact".
    let dg: Vec<f64> = FLOATING
        .iter()
        .map(|&b| row(&c, b).digits_gap.unwrap().value())
        .collect();
    assert!(dg.windows(2).all(|p| p[0] < p[1]), "{dg:?}");
    assert!(dg[0] > 5.0 && dg[0] < 8.0, "f32 digits {}", dg[0]);
    assert!(dg[1] > 14.0 && dg[1] < 17.0, "f64 digits {}", dg[1]);
    let dw: Vec<f64> = FLOATING
        .iter()
        .map(|&b| row(&c, b).digits_w.unwrap().value())
        .collect();
    assert!(dw.windows(2).all(|p| p[0] <= p[1]), "{dw:?}");
    let ex = row(&c, Backend::Exact);
    assert_eq!(ex.digits_w, Some(Digits::Exact));
    assert!(ex.max_rel_dev_w.unwrap().is_zero());

    // Exact growth: one size per round, θ replayed exactly, an extrapolation.
    let g = c.exact_growth.as_ref().expect("exact ran");
    assert_eq!(g.bits_per_round.len(), 21);
    assert!(g.theta_replay_matches);
    assert!(g.bits_per_round.last() > g.bits_per_round.first());
    let n = g.practical_budget.expect("extrapolated");
    assert!(n > 40.0, "{n}");
}

#[test]
fn eg_uses_mp1024_as_the_reference() {
    let c = compare(UpdateKind::Eg, 2, 40, DEFAULT_MAX_BITS);
    assert_eq!(c.reference, Backend::Mp(1024));
    assert!(c.reference_note.as_deref().unwrap().contains("eg"));
    assert!(matches!(
        row(&c, Backend::Exact).status,
        RowStatus::Skipped(_)
    ));
    assert!(c.exact_growth.is_none());
    let r = row(&c, Backend::Mp(1024));
    assert!(r.is_reference && r.max_rel_dev_w.unwrap().is_zero());
    // Zero deviation from a floating reference: the reference's digits.
    match r.digits_w.unwrap() {
        Digits::Count(d) => assert!((d - 1024.0 * std::f64::consts::LOG10_2).abs() < 1e-9),
        Digits::Exact => panic!("mp:1024 is not exact"),
    }
    assert_strictly_ordered(
        &c,
        &FLOATING[..5],
        |r| r.max_rel_dev_w.unwrap(),
        "max_rel_dev_w",
    );
}

#[test]
fn an_exact_run_over_its_size_limit_falls_back_to_mp1024() {
    let c = compare(UpdateKind::Pgd, 2, 40, 60);
    assert_eq!(c.reference, Backend::Mp(1024));
    assert!(matches!(
        row(&c, Backend::Exact).status,
        RowStatus::Failed(_)
    ));
    assert!(c.reference_note.is_some());
}

#[test]
fn deviations_are_exact_and_normwise() {
    let q = |n: i64, d: i64| Rational::from((n, d));
    // max_i |x_i − r_i| / max_j |r_j| = (1/4) / 1.
    let d = rel_dev_vec(&[q(1, 4), q(3, 4)], &[q(0, 1), q(1, 1)]);
    assert!((d.log10 - 0.25f64.log10()).abs() < 1e-12);
    assert!(rel_dev_vec(&[q(1, 3)], &[q(1, 3)]).is_zero());
    // Far below f64: still a number.
    let tiny = Deviation::of(&Rational::from((1, rug::Integer::from(10).pow(400u32))));
    assert_eq!(tiny.text(), "1.000e-400");
    // Texts are read back in the backend's own format, exactly.
    assert_eq!(exact_value(Backend::F32, "0.1"), Rational::from_f32(0.1f32));
    assert_eq!(exact_value(Backend::F64, "0.1"), Rational::from_f64(0.1f64));
    assert_eq!(exact_value(Backend::Exact, "1/3"), Some(q(1, 3)));
    let mp = exact_value(Backend::Mp(64), "0.1").unwrap();
    assert_ne!(mp, q(1, 10));
    assert!(rel_dev_vec(&[mp], &[q(1, 10)]).log10 < -18.0);
}

#[test]
fn cli_json_has_the_documented_keys_and_writes_files() {
    let dir = std::env::temp_dir().join(format!("tstar-backends-test-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args([
            "backends",
            "--instance",
            "builtin:greedy-fails",
            "--steps",
            "2",
            "--budget",
            "40",
            "--update",
            "pgd",
            "--json",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reference"], "exact");
    let rows = v["backends"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    for r in rows {
        for key in [
            "backend",
            "max_rel_dev_w",
            "max_rel_dev_phi",
            "digits_w",
            "digits_gap",
            "first_round_over_1e-3",
            "seconds_per_round",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
        // The binary's counting allocator measures every run.
        assert!(r["peak_bytes"].as_u64().unwrap() > 0, "{r}");
    }
    assert_eq!(rows[0]["backend"], "f32");
    assert!(rows[0]["first_round_over_1e-3"].is_null());
    assert_eq!(rows[6]["digits_gap"], "exact");
    assert!(v["exact_bits_per_round"].as_array().unwrap().len() == 21);
    assert!(v["exact_practical_budget"].as_f64().is_some());
    let sweep = &v["tstar_by_backend"];
    assert_eq!(sweep["backends"].as_array().unwrap().len(), 4);
    assert!(!sweep["f32_first_change_at"].is_null());
    assert!(dir.join("backends.json").exists());
    assert!(dir.join("deviation.svg").exists());
    assert!(dir.join("deviation.png").exists());
    let _ = std::fs::remove_dir_all(&dir);

    // eg: mp:1024 is the reference, exact is skipped with null values.
    let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args([
            "backends",
            "--instance",
            "builtin:greedy-fails",
            "-T",
            "2",
            "-N",
            "40",
            "--update",
            "eg",
            "--no-sweep",
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
    assert_eq!(v["reference"], "mp:1024");
    let exact = &v["backends"][6];
    assert_eq!(exact["status"], "skipped");
    assert!(exact["max_rel_dev_w"].is_null() && exact["seconds_per_round"].is_null());
}

#[test]
fn cli_text_table_and_refusals() {
    let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args([
            "backends",
            "--instance",
            "builtin:greedy-fails",
            "-T",
            "2",
            "-N",
            "40",
            "--no-sweep",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Reference: exact"), "{text}");
    assert!(text.contains("mp:1024"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args([
            "backends",
            "--instance",
            "builtin:greedy-fails",
            "-T",
            "2",
            "-N",
            "40",
            "--backends",
            "f64,mp:x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--backends"));
}
