//! The compiled `tstar` binary refuses every bad instance file listed in
//! SPEC §5 and every bad command-line flag: a non-zero exit status, a message
//! on stderr that names the offending field and the reason, and no panic.
//! One positive control checks that a valid file is accepted and that
//! `run --json` prints exactly one JSON object of strings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

/// The SPEC §5 example: a valid instance that every refusal test breaks in
/// exactly one place.
const SPEC_EXAMPLE: &str = r#"{
  "name": "two-domains",
  "domains": [
    {"name": "web",  "A": [[2, 0], [0, 1]], "b": [1, "-1/2"]},
    {"name": "code", "A": [[1, 0], [0, 3]], "b": [0, 2]}
  ],
  "validation": {"A": [[1, 0], [0, 1]], "b": ["0.5", 0]},
  "eta": "1/4",
  "alpha": "1/2",
  "theta0": [0, 0],
  "w0": ["1/2", "1/2"]
}"#;

fn base() -> Value {
    serde_json::from_str(SPEC_EXAMPLE).expect("the SPEC example is valid JSON")
}

/// A fresh directory under the system temp dir, unique per test (tag),
/// process and call; removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "tstar-cli-refusals-{}-{}-{}",
            std::process::id(),
            n,
            tag
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write instance file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tstar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args(args)
        .output()
        .expect("run the tstar binary")
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp path is UTF-8")
}

fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "tstar {}\n  status: {:?}\n  stdout: {}\n  stderr: {}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `tstar args` and checks the refusal: non-zero exit (and not the
/// panic code 101), no panic message, and every needle in stderr.
fn assert_refused(args: &[&str], needles: &[&str]) -> String {
    let out = tstar(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let what = describe(args, &out);
    assert!(!out.status.success(), "expected a refusal:\n{what}");
    assert_ne!(
        out.status.code(),
        Some(101),
        "exit code of a panic:\n{what}"
    );
    assert!(
        !stderr.contains("panicked"),
        "the program panicked:\n{what}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr should contain {needle:?}:\n{what}"
        );
    }
    stderr
}

/// Runs `tstar args`, checks it succeeds, and returns its stdout.
fn assert_accepted(args: &[&str]) -> String {
    let out = tstar(args);
    let what = describe(args, &out);
    assert!(out.status.success(), "expected success:\n{what}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "the program panicked:\n{what}"
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Writes `text` as an instance file and checks that both `tstar check FILE`
/// and `tstar run --instance FILE -T 1 -N 10` refuse it with a message of the
/// form `FIELD: ...REASON...`.
fn refuse_text(tag: &str, text: &str, field: &str, reason: &str) {
    let dir = TempDir::new(tag);
    let file = dir.write("instance.json", text);
    let file = path_str(&file);
    let named = format!("{field}: ");
    assert_refused(&["check", file], &[&named, reason]);
    assert_refused(
        &["run", "--instance", file, "-T", "1", "-N", "10"],
        &[&named, reason],
    );
}

/// As [`refuse_text`], for an instance given as a JSON value.
fn refuse(tag: &str, v: &Value, field: &str, reason: &str) {
    let text = serde_json::to_string_pretty(v).expect("serialize");
    refuse_text(tag, &text, field, reason);
}

/// `base()` with the value at JSON pointer `ptr` replaced by `new`.
fn with(ptr: &str, new: Value) -> Value {
    let mut v = base();
    *v.pointer_mut(ptr)
        .unwrap_or_else(|| panic!("no {ptr} in the base instance")) = new;
    v
}

/// `base()` with the key at `ptr` (an object member) removed.
fn without(parent: &str, key: &str) -> Value {
    let mut v = base();
    v.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {parent:?}"))
        .shift_remove(key)
        .unwrap_or_else(|| panic!("no {key} in {parent:?}"));
    v
}

// ---------------------------------------------------------------------------
// Positive controls.

#[test]
fn valid_file_is_accepted_by_check_and_run() {
    let dir = TempDir::new("valid");
    let file = dir.write("instance.json", SPEC_EXAMPLE);
    let file = path_str(&file);
    let text = assert_accepted(&["check", file]);
    assert!(!text.is_empty());
    assert_accepted(&["run", "--instance", file, "-T", "1", "-N", "10"]);
}

#[test]
fn run_json_prints_exactly_one_object_of_strings() {
    let dir = TempDir::new("run-json");
    let file = dir.write("instance.json", SPEC_EXAMPLE);
    let stdout = assert_accepted(&[
        "run",
        "--instance",
        path_str(&file),
        "-T",
        "2",
        "-N",
        "10",
        "--json",
    ]);
    // from_str refuses trailing non-whitespace, so this is exactly one value.
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{stdout}"));
    let obj = v.as_object().expect("a JSON object");
    for key in [
        "phi",
        "phi_star",
        "gap",
        "stationarity",
        "val",
        "rounds",
        "backend",
        "estimator",
        "update",
    ] {
        let val = obj
            .get(key)
            .unwrap_or_else(|| panic!("missing key {key}:\n{stdout}"));
        assert!(val.is_string(), "{key} should be a string, got {val}");
    }
    for key in ["w", "theta"] {
        let arr = obj
            .get(key)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{key} should be an array:\n{stdout}"));
        assert_eq!(arr.len(), 2, "{key} has one entry per domain / coordinate");
        assert!(
            arr.iter().all(Value::is_string),
            "{key} should hold strings, got {arr:?}"
        );
    }
    assert_eq!(obj["rounds"], json!("5"), "K = ⌊N/T⌋ = ⌊10/2⌋");
    assert_eq!(obj["backend"], json!("f64"));
    assert_eq!(obj["estimator"], json!("unrolled"));
    assert_eq!(obj["update"], json!("eg"));
}

#[test]
fn json_number_is_read_exactly_from_its_text() {
    let text = SPEC_EXAMPLE.replace(r#""eta": "1/4""#, r#""eta": 0.1"#);
    assert!(text.contains(r#""eta": 0.1"#));
    let dir = TempDir::new("eta-0.1");
    let file = dir.write("instance.json", &text);
    let stdout = assert_accepted(&["check", path_str(&file), "--json"]);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{stdout}"));
    assert_eq!(v["eta"], json!("1/10"), "check --json printed {stdout}");
}

#[test]
fn optional_fields_may_be_left_out() {
    let mut v = base();
    let obj = v.as_object_mut().unwrap();
    obj.shift_remove("theta0");
    obj.shift_remove("w0");
    let dir = TempDir::new("optional");
    let file = dir.write("instance.json", &v.to_string());
    assert_accepted(&["check", path_str(&file)]);
    assert_accepted(&["run", "--instance", path_str(&file), "-T", "1", "-N", "10"]);
}

#[test]
fn singular_validation_matrix_is_accepted() {
    // A_0 need only be positive semidefinite.
    let v = with("/validation/A", json!([[1, 0], [0, 0]]));
    let dir = TempDir::new("psd-validation");
    let file = dir.write("instance.json", &v.to_string());
    assert_accepted(&["check", path_str(&file)]);
}

// ---------------------------------------------------------------------------
// Missing fields.

#[test]
fn missing_eta() {
    refuse("no-eta", &without("", "eta"), "eta", "missing field");
}

#[test]
fn missing_domains() {
    refuse(
        "no-domains",
        &without("", "domains"),
        "domains",
        "missing field",
    );
}

#[test]
fn missing_validation() {
    refuse(
        "no-validation",
        &without("", "validation"),
        "validation",
        "missing field",
    );
}

#[test]
fn missing_domain_matrix() {
    refuse(
        "no-domain-A",
        &without("/domains/1", "A"),
        "domains[1].A",
        "missing field",
    );
}

#[test]
fn missing_domain_vector() {
    refuse(
        "no-domain-b",
        &without("/domains/0", "b"),
        "domains[0].b",
        "missing field",
    );
}

#[test]
fn missing_validation_matrix() {
    refuse(
        "no-validation-A",
        &without("/validation", "A"),
        "validation.A",
        "missing field",
    );
}

#[test]
fn missing_alpha_without_flag_is_refused_by_run_only() {
    // alpha is optional in the file, but a run needs one from somewhere.
    let v = without("", "alpha");
    let dir = TempDir::new("no-alpha");
    let file = dir.write("instance.json", &v.to_string());
    let file = path_str(&file);
    assert_accepted(&["check", file]);
    assert_refused(
        &["run", "--instance", file, "-T", "1", "-N", "10"],
        &["--alpha: ", "sets no \"alpha\""],
    );
    assert_accepted(&[
        "run",
        "--instance",
        file,
        "-T",
        "1",
        "-N",
        "10",
        "--alpha",
        "1/2",
    ]);
}

// ---------------------------------------------------------------------------
// Wrong dimensions.

#[test]
fn domain_matrix_with_wrong_row_count() {
    let v = with("/domains/1/A", json!([[1, 0, 0], [0, 3, 0], [0, 0, 1]]));
    refuse("A-rows", &v, "domains[1].A", "wrong dimensions");
}

#[test]
fn domain_matrix_with_a_short_row() {
    let v = with("/domains/0/A", json!([[2, 0], [0]]));
    refuse("A-row-len", &v, "domains[0].A[1]", "wrong dimensions");
}

#[test]
fn domain_vector_of_wrong_length() {
    let v = with("/domains/1/b", json!([0, 2, 5]));
    refuse("b-len", &v, "domains[1].b", "wrong dimensions");
}

#[test]
fn empty_domain_vector() {
    let v = with("/domains/0/b", json!([]));
    refuse("b-empty", &v, "domains[0].b", "empty");
}

#[test]
fn validation_vector_of_wrong_length() {
    let v = with("/validation/b", json!(["0.5"]));
    refuse("val-b-len", &v, "validation.b", "wrong dimensions");
}

#[test]
fn validation_matrix_of_wrong_size() {
    let v = with("/validation/A", json!([[1, 0, 0], [0, 1, 0], [0, 0, 1]]));
    refuse("val-A-size", &v, "validation.A", "wrong dimensions");
}

#[test]
fn theta0_of_wrong_length() {
    let v = with("/theta0", json!([0, 0, 0]));
    refuse("theta0-len", &v, "theta0", "wrong dimensions");
}

#[test]
fn w0_of_wrong_length() {
    let v = with("/w0", json!(["1/3", "1/3", "1/3"]));
    refuse("w0-len", &v, "w0", "wrong dimensions");
}

// ---------------------------------------------------------------------------
// Matrices: symmetry and definiteness.

#[test]
fn domain_matrix_not_symmetric() {
    let v = with("/domains/0/A", json!([[2, 1], [0, 1]]));
    refuse("A-asym", &v, "domains[0].A", "not symmetric");
}

#[test]
fn validation_matrix_not_symmetric() {
    let v = with("/validation/A", json!([[1, "1/2"], ["1/3", 1]]));
    refuse("val-A-asym", &v, "validation.A", "not symmetric");
}

#[test]
fn domain_matrix_indefinite() {
    // Eigenvalues 3 and −1.
    let v = with("/domains/1/A", json!([[1, 2], [2, 1]]));
    refuse("A-indef", &v, "domains[1].A", "not positive definite");
}

#[test]
fn domain_matrix_psd_but_singular() {
    let v = with("/domains/0/A", json!([[1, 0], [0, 0]]));
    refuse("A-singular", &v, "domains[0].A", "not positive definite");
}

#[test]
fn domain_matrix_rank_one_dense() {
    // [[1,1],[1,1]] has eigenvalues 2 and 0.
    let v = with("/domains/1/A", json!([[1, 1], [1, 1]]));
    refuse("A-rank1", &v, "domains[1].A", "not positive definite");
}

#[test]
fn validation_matrix_not_psd() {
    let v = with("/validation/A", json!([[1, 0], [0, "-1/1000"]]));
    refuse("val-A-neg", &v, "validation.A", "not positive semidefinite");
}

#[test]
fn validation_matrix_indefinite_dense() {
    let v = with("/validation/A", json!([[1, 2], [2, 1]]));
    refuse(
        "val-A-indef",
        &v,
        "validation.A",
        "not positive semidefinite",
    );
}

// ---------------------------------------------------------------------------
// w0 on the simplex.

#[test]
fn w0_with_negative_entry() {
    let v = with("/w0", json!(["3/2", "-1/2"]));
    refuse("w0-neg", &v, "w0[1]", "off the simplex");
}

#[test]
fn w0_not_summing_to_one() {
    let v = with("/w0", json!(["1/2", "1/3"]));
    refuse("w0-sum", &v, "w0", "off the simplex");
}

#[test]
fn w0_summing_to_one_only_in_floating_point() {
    // 0.3 + 0.7 = 1 exactly is fine; 0.3 + 0.70000000000000001 is 1 in
    // f64 (both round to the same doubles) but not exactly, so it is refused.
    let ok = with("/w0", json!(["0.3", "0.7"]));
    let dir = TempDir::new("w0-exact-ok");
    let file = dir.write("instance.json", &ok.to_string());
    assert_accepted(&["check", path_str(&file)]);
    let v = with("/w0", json!(["0.3", "0.70000000000000001"]));
    refuse("w0-exact-bad", &v, "w0", "off the simplex");
}

// ---------------------------------------------------------------------------
// Number of domains.

#[test]
fn one_domain_is_too_few() {
    let mut v = base();
    v["domains"].as_array_mut().unwrap().truncate(1);
    refuse("one-domain", &v, "domains", "at least two domains");
}

#[test]
fn zero_domains_is_too_few() {
    let v = with("/domains", json!([]));
    refuse("zero-domains", &v, "domains", "at least two domains");
}

// ---------------------------------------------------------------------------
// Unreadable numbers.

#[test]
fn eta_not_a_number() {
    let v = with("/eta", json!("abc"));
    refuse("eta-abc", &v, "eta", "cannot read");
}

#[test]
fn eta_with_zero_denominator() {
    let v = with("/eta", json!("1/0"));
    refuse("eta-1/0", &v, "eta", "cannot read");
}

#[test]
fn matrix_entry_not_a_number() {
    let v = with("/domains/1/A/0/1", json!("abc"));
    refuse("A-abc", &v, "domains[1].A[0][1]", "cannot read");
}

#[test]
fn vector_entry_with_zero_denominator() {
    let v = with("/validation/b/1", json!("1/0"));
    refuse("val-b-1/0", &v, "validation.b[1]", "cannot read");
}

#[test]
fn w0_entry_not_a_number() {
    let v = with("/w0/0", json!("half"));
    refuse("w0-half", &v, "w0[0]", "cannot read");
}

#[test]
fn alpha_not_a_number() {
    let v = with("/alpha", json!("1/2/3"));
    refuse("alpha-bad", &v, "alpha", "cannot read");
}

#[test]
fn number_of_the_wrong_json_type() {
    let v = with("/eta", json!(true));
    refuse("eta-bool", &v, "eta", "expected a number");
    let v = with("/theta0", json!("0"));
    refuse("theta0-string", &v, "theta0", "expected a list");
}

// ---------------------------------------------------------------------------
// Step sizes.

/// Domains diag(2,1) and diag(1,1): λ_max = 2, so 2/λ_max = 1.
fn boundary_instance(eta: &str) -> Value {
    json!({
        "name": "eta-boundary",
        "domains": [
            {"A": [[2, 0], [0, 1]], "b": [1, 0]},
            {"A": [[1, 0], [0, 1]], "b": [0, 1]}
        ],
        "validation": {"A": [[1, 0], [0, 1]], "b": [0, 0]},
        "eta": eta,
        "alpha": "1/2"
    })
}

#[test]
fn eta_at_the_divergence_boundary_is_refused() {
    // η = 1 = 2/λ_max exactly: refused, naming the domain that attains λ_max.
    let v = boundary_instance("1");
    refuse("eta-boundary", &v, "eta", "diverges");
    let dir = TempDir::new("eta-boundary-msg");
    let file = dir.write("instance.json", &v.to_string());
    assert_refused(&["check", path_str(&file)], &["eta: ", "domains[0].A"]);
    refuse(
        "eta-over",
        &boundary_instance("3/2"),
        "eta",
        "inner gradient descent diverges",
    );
}

#[test]
fn eta_just_below_the_boundary_is_accepted() {
    let dir = TempDir::new("eta-below");
    let file = dir.write("instance.json", &boundary_instance("99/100").to_string());
    let file = path_str(&file);
    assert_accepted(&["check", file]);
    assert_accepted(&["run", "--instance", file, "-T", "1", "-N", "10"]);
}

#[test]
fn eta_boundary_is_checked_for_every_domain() {
    // The second domain has the larger eigenvalue: λ_max = 3, 2/λ_max = 2/3.
    let v = with("/eta", json!("2/3"));
    let dir = TempDir::new("eta-dom1");
    let file = dir.write("instance.json", &v.to_string());
    assert_refused(
        &["check", path_str(&file)],
        &["eta: ", "diverges", "domains[1].A"],
    );
    let v = with("/eta", json!("0.66"));
    let dir = TempDir::new("eta-dom1-ok");
    let file = dir.write("instance.json", &v.to_string());
    assert_accepted(&["check", path_str(&file)]);
}

#[test]
fn eta_zero_or_negative() {
    refuse(
        "eta-zero",
        &with("/eta", json!(0)),
        "eta",
        "must be positive",
    );
    refuse(
        "eta-neg",
        &with("/eta", json!("-1/4")),
        "eta",
        "must be positive",
    );
}

#[test]
fn alpha_zero_or_negative() {
    refuse(
        "alpha-zero",
        &with("/alpha", json!("0")),
        "alpha",
        "must be positive",
    );
    refuse(
        "alpha-neg",
        &with("/alpha", json!(-1)),
        "alpha",
        "must be positive",
    );
}

// ---------------------------------------------------------------------------
// Unknown fields and malformed files.

#[test]
fn unknown_top_level_field() {
    let mut v = base();
    v["etaa"] = json!("1/4");
    refuse("unknown-top", &v, "etaa", "unknown field");
}

#[test]
fn unknown_domain_field() {
    let mut v = base();
    v["domains"][1]["c"] = json!(0);
    refuse("unknown-domain", &v, "domains[1].c", "unknown field");
}

#[test]
fn unknown_validation_field() {
    let mut v = base();
    v["validation"]["B"] = json!([[1, 0], [0, 1]]);
    refuse("unknown-validation", &v, "validation.B", "unknown field");
}

#[test]
fn invalid_json() {
    // A truncated file.
    let text = &SPEC_EXAMPLE[..SPEC_EXAMPLE.len() / 2];
    refuse_text("truncated", text, "(file)", "not valid JSON");
    refuse_text(
        "trailing-comma",
        r#"{"eta": "1/4",}"#,
        "(file)",
        "not valid JSON",
    );
    refuse_text("empty-file", "", "(file)", "not valid JSON");
}

#[test]
fn top_level_not_an_object() {
    refuse_text("top-array", "[1, 2]", "(file)", "object");
}

#[test]
fn domains_not_a_list_and_domain_not_an_object() {
    refuse(
        "domains-object",
        &with("/domains", json!({"a": 1})),
        "domains",
        "list",
    );
    refuse(
        "domain-number",
        &with("/domains/1", json!(7)),
        "domains[1]",
        "object",
    );
}

// ---------------------------------------------------------------------------
// Command-line refusals.

const RUN_GREEDY: [&str; 7] = [
    "run",
    "--instance",
    "builtin:greedy-fails",
    "-T",
    "1",
    "-N",
    "10",
];

fn run_greedy_with(extra: &[&str]) -> Vec<String> {
    RUN_GREEDY
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

fn refuse_args(args: &[String], needles: &[&str]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_refused(&args, needles)
}

#[test]
fn eta_flag_violating_the_step_condition() {
    // greedy-fails has λ_max = 9, so 2/λ_max = 2/9.
    refuse_args(
        &run_greedy_with(&["--eta", "1/4"]),
        &["--eta: ", "diverges"],
    );
    refuse_args(
        &run_greedy_with(&["--eta", "2/9"]),
        &["--eta: ", "diverges"],
    );
    let ok: Vec<String> = run_greedy_with(&["--eta", "1/5"]);
    let ok: Vec<&str> = ok.iter().map(String::as_str).collect();
    assert_accepted(&ok);
}

#[test]
fn eta_flag_not_positive_or_unreadable() {
    refuse_args(
        &run_greedy_with(&["--eta", "0"]),
        &["--eta", "must be positive"],
    );
    refuse_args(
        &run_greedy_with(&["--eta=-1/4"]),
        &["--eta", "must be positive"],
    );
    refuse_args(
        &run_greedy_with(&["--eta", "-1/4"]),
        &["--eta: ", "must be positive"],
    );
    refuse_args(
        &run_greedy_with(&["--eta", "abc"]),
        &["--eta", "cannot read"],
    );
    refuse_args(
        &run_greedy_with(&["--eta", "1/0"]),
        &["--eta", "cannot read"],
    );
}

#[test]
fn exact_backend_with_eg_update() {
    refuse_args(
        &run_greedy_with(&["--backend", "exact", "--update", "eg"]),
        &["eg needs exp"],
    );
    // eg is the default update.
    refuse_args(&run_greedy_with(&["--backend", "exact"]), &["eg needs exp"]);
}

#[test]
fn malformed_backend_names() {
    refuse_args(
        &run_greedy_with(&["--backend", "mp:abc"]),
        &["--backend", "mp:abc"],
    );
    refuse_args(
        &run_greedy_with(&["--backend", "foo"]),
        &["--backend", "foo"],
    );
    refuse_args(&run_greedy_with(&["--backend", "mp:1"]), &["--backend"]);
}

#[test]
fn unknown_estimator_or_update() {
    refuse_args(
        &run_greedy_with(&["--estimator", "magic"]),
        &["--estimator", "magic"],
    );
    refuse_args(&run_greedy_with(&["--update", "sgd"]), &["--update", "sgd"]);
}

#[test]
fn zero_inner_steps() {
    assert_refused(
        &[
            "run",
            "--instance",
            "builtin:greedy-fails",
            "-T",
            "0",
            "-N",
            "10",
        ],
        &["--steps", "at least 1"],
    );
}

#[test]
fn budget_smaller_than_steps() {
    assert_refused(
        &[
            "run",
            "--instance",
            "builtin:greedy-fails",
            "-T",
            "10",
            "-N",
            "5",
        ],
        &["--budget", "smaller than"],
    );
}

#[test]
fn alpha_flag_not_positive() {
    // Written with a space, `-1` must reach the value check rather than be
    // taken for an unknown flag.
    refuse_args(
        &run_greedy_with(&["--alpha", "-1"]),
        &["--alpha: ", "must be positive"],
    );
    refuse_args(
        &run_greedy_with(&["--alpha=-1/2"]),
        &["--alpha: ", "must be positive"],
    );
    refuse_args(
        &run_greedy_with(&["--alpha", "-1/2"]),
        &["--alpha: ", "must be positive"],
    );
    // A forgotten value is still refused, not silently skipped.
    refuse_args(&run_greedy_with(&["--alpha", "--json"]), &["--alpha"]);
    refuse_args(
        &run_greedy_with(&["--alpha", "0"]),
        &["--alpha: ", "must be positive"],
    );
    refuse_args(
        &run_greedy_with(&["--alpha", "x"]),
        &["--alpha", "cannot read"],
    );
}

#[test]
fn unknown_builtin() {
    assert_refused(
        &["run", "--instance", "builtin:nope", "-T", "1", "-N", "10"],
        &["--instance", "nope", "greedy-fails"],
    );
    assert_refused(&["check", "builtin:nope"], &["nope", "greedy-fails"]);
}

#[test]
fn missing_instance_file() {
    let dir = TempDir::new("missing-file");
    let missing = dir.0.join("does-not-exist.json");
    let missing = path_str(&missing);
    assert_refused(&["check", missing], &[missing, "No such file"]);
    assert_refused(
        &["run", "--instance", missing, "-T", "1", "-N", "10"],
        &[missing, "No such file"],
    );
}

#[test]
fn instance_path_is_a_directory() {
    let dir = TempDir::new("dir-as-file");
    let d = path_str(&dir.0);
    assert_refused(&["check", d], &[d]);
}

#[test]
fn missing_required_flags() {
    // clap refuses: no -N.
    assert_refused(
        &["run", "--instance", "builtin:greedy-fails", "-T", "1"],
        &["--budget"],
    );
    // No subcommand at all.
    assert_refused(&[], &["Usage"]);
}
