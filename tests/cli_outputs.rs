//! The files the binary writes: `reproduce --quick` (REPORT.md and its data,
//! showing greedy losing to a longer horizon on the counterexample) and
//! `run --out` (trace.csv, summary.json).

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
    for section in [
        "## Full-gradient sweeps",
        "## Stochastic gradients",
        "## Greedy against longer horizons",
    ] {
        assert!(report.contains(section), "REPORT.md lacks {section}");
    }
    // Every figure the report links exists, as SVG and PNG.
    for link in report.split("](").skip(1) {
        let file = &link[..link.find(')').unwrap()];
        assert!(dir.join(file).exists(), "missing {file}");
        if let Some(stem) = file.strip_suffix(".svg") {
            assert!(
                dir.join(format!("{stem}.png")).exists(),
                "missing {stem}.png"
            );
        }
    }
    // With the stationarity metric, T*(N) grows with N on the built-ins.
    for name in ["greedy-fails", "dense-3x4"] {
        let t = std::fs::read_to_string(dir.join(format!("sweep-{name}-stationarity-tstar.csv")))
            .unwrap();
        let ts: Vec<usize> = t
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(
            ts.last() > ts.first(),
            "{name}: T*(N) = {ts:?} does not grow"
        );
    }
    let csv = std::fs::read_to_string(dir.join("horizons-greedy-fails.csv")).expect("csv");
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

#[test]
fn run_out_writes_trace_and_summary() {
    let dir = std::env::temp_dir().join(format!("tstar-run-out-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_tstar"))
        .args([
            "run",
            "--instance",
            "builtin:greedy-fails",
            "-T",
            "3",
            "-N",
            "20",
            "--update",
            "pgd",
            "--backend",
            "exact",
            "--out",
        ])
        .arg(&dir)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(dir.join("trace.csv")).expect("trace.csv");
    let lines: Vec<&str> = trace.lines().collect();
    // Header, then k = 0..=K with K = ⌊20/3⌋ = 6.
    assert_eq!(lines[0], "k,w_1,w_2,phi,g_theta,grad_map2,h_1,h_2");
    assert_eq!(lines.len(), 1 + 7);
    assert!(lines[7].starts_with("6,") && lines[7].ends_with(",,"));
    // Exact values: every weight is a rational that reads back exactly.
    for line in &lines[1..] {
        let w1 = tstar::num::parse_rational(line.split(',').nth(1).unwrap()).unwrap();
        let w2 = tstar::num::parse_rational(line.split(',').nth(2).unwrap()).unwrap();
        assert_eq!(w1 + w2, 1);
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["rounds"], "6");
    assert_eq!(summary["backend"], "exact");
    std::fs::remove_dir_all(&dir).ok();
}
