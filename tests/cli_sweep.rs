//! `tstar sweep` and `tstar counterexample` through the binary: refusals of
//! bad flags, the JSON contracts, and the written files.

use std::process::{Command, Output};

fn tstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn refused(args: &[&str], needles: &[&str]) {
    let out = tstar(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} was accepted");
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}: {err}");
    }
}

const BASE: &[&str] = &["sweep", "--instance", "builtin:greedy-fails", "--quiet"];

fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    BASE.iter().copied().chain(extra.iter().copied()).collect()
}

#[test]
fn bad_sweep_flags_are_refused() {
    refused(&with(&["--steps", "5..1"]), &["--steps", "empty"]);
    refused(&with(&["--steps", "0..3"]), &["--steps", "at least 1"]);
    refused(&with(&["--budgets", ""]), &["--budgets"]);
    refused(&with(&["--budgets", "1e4..1e2:3"]), &["--budgets"]);
    refused(
        &with(&["--budgets", "10", "--steps", "20..30"]),
        &["--steps", "exceeds"],
    );
    refused(&with(&["--noise", "-1"]), &["--noise", "σ"]);
    refused(&with(&["--noise", "1/10", "--seeds", "0"]), &["--seeds"]);
    refused(&with(&["--metric", "loss"]), &["unknown metric"]);
    refused(&with(&["--alpha", "0"]), &["--alpha", "positive"]);
    refused(&with(&["--alpha", "abc"]), &["--alpha"]);
    refused(
        &with(&["--alpha-schedule", "cosine"]),
        &["unknown schedule"],
    );
    refused(
        &with(&[
            "--backend",
            "exact",
            "--alpha-schedule",
            "invsqrt",
            "--update",
            "pgd",
            "--budgets",
            "10",
            "--steps",
            "1..2",
            "--alpha",
            "1/4",
        ]),
        &["invsqrt"],
    );
    refused(
        &with(&["--backend", "exact", "--update", "eg"]),
        &["eg needs exp"],
    );
}

#[test]
fn sweep_json_has_tstar_and_fits() {
    let out = tstar(&with(&[
        "--budgets",
        "1e2..1e4:5",
        "--steps",
        "1..40",
        "--alpha",
        "1/4",
        "--update",
        "pgd",
        "--json",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let ts = v["tstar"].as_array().expect("tstar list");
    assert_eq!(ts.len(), 5);
    for row in ts {
        for key in ["N", "T", "alpha", "value"] {
            assert!(!row[key].is_null(), "{key} missing in {row}");
        }
    }
    assert!(v["fits"]["verdict"].is_string(), "{}", v["fits"]);
}

#[test]
fn sweep_auto_alpha_and_out_dir() {
    let dir = std::env::temp_dir().join(format!("tstar-sweep-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let out = tstar(&with(&[
        "--budgets",
        "100,1000",
        "--steps",
        "1..20",
        "--alpha",
        "auto",
        "--update",
        "pgd",
        "--out",
        d,
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("6 α"), "auto runs the six-point grid: {text}");
    for f in [
        "surface.csv",
        "tstar.csv",
        "sweep.json",
        "err_curves.svg",
        "err_curves.png",
        "tstar.svg",
        "tstar.png",
    ] {
        assert!(dir.join(f).exists(), "missing {f}");
    }
    let surface = std::fs::read_to_string(dir.join("surface.csv")).unwrap();
    // Every (N, T) with T ≤ N has one row: 20 for N = 100 and 20 for N = 1000.
    assert_eq!(surface.lines().count(), 1 + 40);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn counterexample_json_contract() {
    let out = tstar(&[
        "counterexample",
        "--json",
        "--t-max",
        "40",
        "--budget",
        "2000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in [
        "w_star",
        "phi_star",
        "greedy_fixed_points",
        "greedy_gap",
        "certified",
        "truncated",
        "decay",
        "verdict",
        "best_horizon",
    ] {
        assert!(!v[key].is_null(), "{key} missing");
    }
    assert_eq!(v["certified"], true);
    assert_eq!(v["truncated"].as_array().unwrap().len(), 40);
}

#[test]
fn counterexample_refuses_more_than_two_domains() {
    refused(
        &["counterexample", "--instance", "builtin:dense-3x5"],
        &["two"],
    );
}

#[test]
fn search_prints_a_valid_instance_file() {
    let out = tstar(&[
        "counterexample",
        "--search",
        "--seed",
        "3",
        "--candidates",
        "200",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let inst = tstar::instance::Instance::from_json_str(&text).expect("a valid instance file");
    assert_eq!(inst.m(), 2);
}
