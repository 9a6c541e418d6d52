//! The counterexample analysis (SPEC §2, §4.2–4.3) on `builtin:greedy-fails`
//! and on an instance found by the search.

use rug::{Float, Rational};

use tstar::counterexample::{
    analyze, greedy_direction, relative_greedy_gap, search, search_detailed, trajectory,
    truncated_direction, Counterexample, CounterexampleOptions, SearchOptions,
};
use tstar::instance::Instance;
use tstar::mix::{unrolled_round, Eg, Pgd, UpdateKind, WeightUpdate};
use tstar::model::Problem;

fn greedy_fails() -> Instance {
    tstar::builtin::load("builtin:greedy-fails").expect("built-in instance")
}

fn analysis(inst: &Instance) -> Counterexample {
    analyze(inst, &CounterexampleOptions::default()).expect("analysis runs")
}

/// Runs greedy MIX (T = 1, pgd, the file's α) on f64 from `w_0 = (s, 1 − s)`
/// and returns the final s.
fn greedy_end_from(inst: &Instance, s: Rational, rounds: usize) -> f64 {
    let mut start = inst.clone();
    start.w0 = vec![s.clone(), Rational::from(1 - &s)];
    let traj = trajectory(&start, 1, rounds, UpdateKind::Pgd, None).expect("run");
    assert_eq!(traj.w.len(), rounds + 1);
    traj.w.last().expect("records")[0]
}

#[test]
fn greedy_provably_fails_at_the_vertex() {
    let c = analysis(&greedy_fails());
    // Greedy is attracted to the vertex s = 0, where Φ is rational.
    let fp = c.reached_point();
    assert_eq!(fp.s, Some(Rational::new()), "{}", c.to_text());
    assert!(fp.vertex && fp.attracting);
    assert_eq!(fp.w_text(), vec!["0".to_string(), "1".to_string()]);
    assert!(fp.phi.is_exact());
    // The gap enclosure is rigorous and bounded away from 0.
    assert!(c.certified);
    assert!(c.greedy_gap.lo > 0, "{:?}", c.greedy_gap);
    assert!(c.greedy_gap.lo <= c.greedy_gap.hi);
    let gap = c.greedy_gap.mid().to_f64();
    assert!((1.3..1.4).contains(&gap), "gap {gap}");
    assert!(c
        .verdict
        .starts_with("greedy fails: gap ≥ 1.3467 (certified)"));
    // Every attracting point fails, not only the one reached from w_0.
    assert!(c.min_attracting_gap.as_ref().unwrap().lo > 0);
    // The f64 run from w_0 agrees with the α → 0 flow.
    assert_eq!(c.reached, c.flow_reached);
    assert_eq!(c.run_final_s, Some(0.0));

    let json = c.to_json();
    for key in [
        "w_star",
        "phi_star",
        "greedy_fixed_points",
        "greedy_gap",
        "certified",
        "truncated",
        "decay",
        "verdict",
    ] {
        assert!(json.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(json["greedy_fixed_points"][0][0], "0");
    assert_eq!(json["certified"], true);
    assert_eq!(json["truncated"][9]["T"], 10);
    assert!(json["decay"]["rel_diff"].is_string());
    assert!(c.to_text().contains("greedy fails"));
    let derived = serde_json::to_value(&c).expect("serde");
    assert_eq!(derived["certified"], true);
}

#[test]
fn truncated_gaps_decay_like_rho_squared() {
    let c = analysis(&greedy_fails());
    let t = &c.truncated;
    assert_eq!(t.len(), 60);
    // T = 1 is greedy: the attracting vertex, with the greedy gap.
    assert!(t[0].vertex && t[0].s_f64 == 0.0);
    // Beyond the first few T the gaps shrink at every step...
    for pair in t[4..].windows(2) {
        assert!(!pair[1].vertex);
        assert!(
            pair[1].ln_gap < pair[0].ln_gap,
            "gap grew from T = {} to T = {}",
            pair[0].t,
            pair[1].t
        );
    }
    // ... geometrically, at the rate ρ² of the inner map at w*.
    let d = c.decay.as_ref().expect("decay fitted");
    assert!(d.points >= 10);
    assert!(
        d.rel_diff < 0.10,
        "fitted rate {} vs ρ² = {}",
        d.fitted_rate,
        d.predicted_rho2
    );
    assert!(d.fitted_rate < 1.0);
    // w̄_T → w*.
    let s_star = c.w_star[0].to_f64();
    assert!((t[59].s_f64 - s_star).abs() < 1e-4);
}

#[test]
fn reported_attracting_points_attract() {
    let inst = greedy_fails();
    let c = analysis(&inst);
    let fp = c.reached_point();
    assert!(fp.attracting);
    // Start near the vertex s = 0 (and on the other side of w_0).
    for start in [Rational::from((1, 20)), Rational::from((3, 4))] {
        let end = greedy_end_from(&inst, start, 3000);
        assert!(end.abs() < 1e-9, "ended at s = {end}");
    }
}

#[test]
fn the_fixed_point_formulas_match_one_mix_round_exactly() {
    // SPEC §4.2: at θ = θ*(w), one round of the unrolled estimator gives
    // h_1 − h_2 = D_T(s); for T = 1 that is D(s). Checked in exact arithmetic.
    let inst = greedy_fails();
    let p: Problem<Rational> = Problem::new(&inst, &());
    let s = Rational::from((2, 7));
    let w = vec![s.clone(), Rational::from(1 - &s)];
    let theta = p.theta_star(&w).unwrap();
    for t in [1usize, 2, 5] {
        let (theta_t, h) = unrolled_round(&p, &w, &theta, t);
        assert_eq!(theta_t, theta, "θ* is a fixed point of the inner steps");
        let diff = Rational::from(&h[0] - &h[1]);
        assert_eq!(diff, truncated_direction(&p, &s, t).unwrap(), "T = {t}");
        if t == 1 {
            assert_eq!(diff, greedy_direction(&p, &s).unwrap());
        }
    }
    // Both updates move s against D(s) = h_1 − h_2: pgd exactly to
    // s − αD/2 (inside the simplex), eg by −αD in the log-odds.
    let (_, h) = unrolled_round(&p, &w, &theta, 1);
    let dd = greedy_direction(&p, &s).unwrap();
    let alpha = Rational::from((1, 4));
    let next = Pgd.apply(&w, &h, &alpha, &());
    assert_eq!(next[0], s.clone() - alpha.clone() * &dd / 2u32);
    let pf: Problem<f64> = Problem::new(&inst, &());
    let wf = [s.to_f64(), 1.0 - s.to_f64()];
    let (_, hf) = unrolled_round(&pf, &wf, &pf.theta_star(&wf).unwrap(), 1);
    let nf = Eg.apply(&wf, &hf, &0.25, &());
    let logit = |w: &[f64]| (w[0] / w[1]).ln();
    let moved = logit(&nf) - logit(&wf);
    assert!((moved + 0.25 * dd.to_f64()).abs() < 1e-12, "{moved}");
    // T → ∞: D_T → ∇Φ_1 − ∇Φ_2 = dΦ/ds (at 256 bits, T = 2000: ρ^T ≈ 1e-178).
    let pm: Problem<Float> = Problem::new(&inst, &256);
    let sm = Float::with_val(256, &s);
    let grad = pm
        .grad_phi(&[sm.clone(), Float::with_val(256, 1 - &sm)])
        .unwrap();
    let dphi = Float::with_val(256, &grad[0] - &grad[1]);
    let dt = truncated_direction(&pm, &sm, 2000).unwrap();
    let err = Float::with_val(256, &dt - &dphi).abs().to_f64();
    assert!(err < 1e-60 * (1.0 + dphi.to_f64().abs()), "error {err}");
}

#[test]
fn more_than_two_domains_are_refused() {
    let inst = tstar::builtin::load("builtin:dense-3x5").unwrap();
    let err = analyze(&inst, &CounterexampleOptions::default()).unwrap_err();
    assert!(matches!(err, tstar::Error::Unsupported(_)));
    assert!(err.to_string().contains("two domains"), "{err}");
}

#[test]
fn search_finds_a_valid_instance_where_greedy_fails() {
    let opts = SearchOptions {
        seed: 7,
        candidates: 150,
        exact_top: 4,
        ..SearchOptions::default()
    };
    let inst = search(&opts).expect("search finds one");
    // Deterministic in the seed.
    assert_eq!(search(&opts).unwrap(), inst);
    // A valid instance file.
    let again = Instance::from_json_value(&inst.to_json()).expect("valid instance");
    assert_eq!(again, inst);
    assert_eq!(inst.m(), 2);
    assert!(relative_greedy_gap(&inst, 64).unwrap() > 0.0);
    let outcome = search_detailed(&opts).unwrap();
    assert!(outcome.score >= 0.9 * outcome.best_before_shrink);

    // The full analysis certifies it, and its attracting points attract.
    let c = analysis(&inst);
    assert!(c.certified, "{}", c.to_text());
    for fp in c.greedy_fixed_points.iter().filter(|fp| fp.attracting) {
        let s = fp.s_mid();
        let nudge = Rational::from((1, 50));
        let start = if s > Rational::from((1, 2)) {
            s.clone() - nudge
        } else {
            s.clone() + nudge
        };
        let end = greedy_end_from(&inst, start, 5000);
        assert!(
            (end - s.to_f64()).abs() < 1e-6,
            "from near {} ended at {end}",
            s.to_f64()
        );
    }
}
