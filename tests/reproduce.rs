//! `tstar reproduce --quick` end to end: it writes the report and the data,
//! and the report shows greedy losing to a longer horizon on the
//! counterexample.

use std::process::Command;

#[test]
fn quick_reproduce_writes_report_and_shows_greedy_failing() {
    let dir = std::env::temp_dir().join(format!("tstar-reproduce-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args(["reproduce", "--quick", "--out"])
        .arg(&dir)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(dir.join("REPORT.md")).expect("REPORT.md");
    assert!(report.contains("## greedy-fails") && report.contains("## dense-3x5"));
    let csv = std::fs::read_to_string(dir.join("greedy-fails-horizons.csv")).expect("csv");
    let gap_of = |label: &str| -> f64 {
        let line = csv
            .lines()
            .find(|l| l.split(',').next() == Some(label))
            .unwrap_or_else(|| panic!("row {label}"));
        line.split(',').nth(2).unwrap().parse().unwrap()
    };
    let greedy = gap_of("1");
    let best = ["2", "5", "10", "20", "50"]
        .iter()
        .map(|t| gap_of(t))
        .fold(f64::INFINITY, f64::min);
    assert!(greedy > 1.0, "greedy gap {greedy}");
    assert!(best < 1e-6 * greedy, "best lookahead gap {best}");
    assert!(gap_of("oracle").abs() < 1e-12);
    std::fs::remove_dir_all(&dir).ok();
}
