//! Closed-form identities of SPEC §1, §2 and §4 checked with equality on the
//! exact backend, and the behaviour the core issue promises on the shipped
//! counterexample.

use rug::{Float, Rational};
use tstar::builtin::{self, BUILTINS};
use tstar::instance::Instance;
use tstar::linalg::{dot, Matrix};
use tstar::mix::{self, inner_steps, unrolled_round, Estimator, MixConfig, Pgd, TraceCollector};
use tstar::model::Problem;
use tstar::num::{Backend, Scalar};
use tstar::optimum::{optimum, OptimumKind, OptimumOptions};
use tstar::runner::{self, RunRequest};

fn q(n: i64, d: i64) -> Rational {
    Rational::from((n, d))
}

/// Every built-in plus a dense two-domain instance with a non-trivial θ_0.
fn instances() -> Vec<Instance> {
    let mut v: Vec<Instance> = BUILTINS
        .iter()
        .map(|b| Instance::from_json_str(b.text).unwrap())
        .collect();
    v.push(
        Instance::from_json_str(
            r#"{
        "name": "dense-2x3",
        "domains": [
          {"A": [[4, 1, 0], [1, 3, "1/2"], [0, "1/2", 2]], "b": [1, -2, "3/4"]},
          {"A": [[2, -1, 0], [-1, 5, 1], [0, 1, 3]], "b": [-1, 0, 2]}
        ],
        "validation": {"A": [[1, 1, 0], [1, 1, 0], [0, 0, 2]], "b": [0, 1, -1]},
        "eta": "1/8", "alpha": "1/3", "theta0": ["1/2", -1, 2], "w0": ["1/3", "2/3"]
      }"#,
        )
        .unwrap(),
    );
    v
}

fn weights(m: usize) -> Vec<Vec<Rational>> {
    // Interior points and a vertex.
    let mut out = vec![vec![q(1, m as i64); m]];
    let mut skew: Vec<Rational> = (1..=m as i64)
        .map(|i| q(i, (m * (m + 1) / 2) as i64))
        .collect();
    out.push(skew.clone());
    skew.reverse();
    out.push(skew);
    let mut vertex = vec![q(0, 1); m];
    vertex[0] = q(1, 1);
    out.push(vertex);
    out
}

fn mat_pow(m: &Matrix<Rational>, t: usize) -> Matrix<Rational> {
    let mut p = Matrix::identity(m.rows(), &());
    for _ in 0..t {
        p = p.mul_mat(m);
    }
    p
}

#[test]
fn t_inner_steps_equal_the_closed_form_inner_map() {
    // SPEC §4.1: θ_T = M^T θ_0 + (I − M^T) θ*, M = I − ηH(w).
    for inst in instances() {
        let p: Problem<Rational> = Problem::new(&inst, &());
        let theta0: Vec<Rational> = inst.theta0.clone();
        for w in weights(inst.m()) {
            let h = p.hessian(&w);
            let m = Matrix::identity(p.d(), &()).sub(&h.scaled(&p.eta));
            let ts = p.theta_star(&w).unwrap();
            for t in [0, 1, 2, 5, 9] {
                let mt = mat_pow(&m, t);
                let i_minus = Matrix::identity(p.d(), &()).sub(&mt);
                let closed: Vec<Rational> = mt
                    .mul_vec(&theta0)
                    .iter()
                    .zip(i_minus.mul_vec(&ts))
                    .map(|(a, b)| a.clone() + b)
                    .collect();
                assert_eq!(
                    inner_steps(&p, &w, &theta0, t),
                    closed,
                    "{} T={t}",
                    inst.name
                );
                // The unrolled round takes the same inner steps.
                if t > 0 {
                    assert_eq!(unrolled_round(&p, &w, &theta0, t).0, closed);
                }
            }
        }
    }
}

#[test]
fn unrolled_estimator_at_t1_is_the_greedy_alignment_rule() {
    // SPEC §2: h_i = −η ∇g(θ_1)ᵀ ∇f_i(θ_0) at T = 1.
    for inst in instances() {
        let p: Problem<Rational> = Problem::new(&inst, &());
        for w in weights(inst.m()) {
            let theta0 = inst.theta0.clone();
            let (theta1, h) = unrolled_round(&p, &w, &theta0, 1);
            let gg = p.grad_g(&theta1);
            for (i, hi) in h.iter().enumerate() {
                let want = -(p.eta.clone() * dot(&gg, &p.grad_f(i, &theta0)));
                assert_eq!(*hi, want, "{} i={i}", inst.name);
            }
        }
    }
}

#[test]
fn weighted_domain_gradients_vanish_at_the_inner_optimum() {
    // SPEC §1: Σ_i w_i ∇f_i(θ*(w)) = 0 exactly.
    for inst in instances() {
        let p: Problem<Rational> = Problem::new(&inst, &());
        for w in weights(inst.m()) {
            let ts = p.theta_star(&w).unwrap();
            let total = p.grad_inner(&w, &ts);
            assert!(total.iter().all(|x| *x == 0), "{}: {total:?}", inst.name);
        }
    }
}

#[test]
fn hypergradient_matches_the_explicit_inverse_formula() {
    // ∇Φ(w)_i = −∇g(θ*)ᵀ H⁻¹ ∇f_i(θ*), here with H⁻¹ formed column by column.
    for inst in instances() {
        let p: Problem<Rational> = Problem::new(&inst, &());
        for w in weights(inst.m()) {
            let h = p.hessian(&w);
            let d = p.d();
            let cols: Vec<Vec<Rational>> = (0..d)
                .map(|j| {
                    let mut e = vec![q(0, 1); d];
                    e[j] = q(1, 1);
                    h.solve(&e).unwrap()
                })
                .collect();
            let hinv = Matrix::from_columns(&cols, &());
            let ts = p.theta_star(&w).unwrap();
            let gg = p.grad_g(&ts);
            let want: Vec<Rational> = (0..p.m())
                .map(|i| -dot(&gg, &hinv.mul_vec(&p.grad_f(i, &ts))))
                .collect();
            assert_eq!(p.grad_phi(&w).unwrap(), want, "{}", inst.name);
        }
    }
}

#[test]
fn exact_estimator_in_a_run_is_the_closed_form_hypergradient() {
    for inst in instances() {
        let p: Problem<Rational> = Problem::new(&inst, &());
        let config = MixConfig {
            steps: 2,
            budget: 8,
            alpha: q(1, 10),
            estimator: Estimator::Exact,
            theta0: inst.theta0.clone(),
            w0: inst.w0.clone(),
            max_bits: 1 << 24,
        };
        let mut trace = TraceCollector::default();
        mix::run(&p, &config, Pgd, &mut [&mut trace]).unwrap();
        assert_eq!(trace.records.len(), 5);
        for rec in &trace.records[..4] {
            assert_eq!(rec.h.as_ref().unwrap(), &p.grad_phi(&rec.w).unwrap());
        }
        assert!(trace.records[4].h.is_none());
    }
}

#[test]
fn unrolled_estimator_at_a_fixed_point_is_the_truncated_hypergradient() {
    // SPEC §4.2: at θ_0 = θ*(w), h_i = −∇g(θ*)ᵀ P_T ∇f_i(θ*) with
    // P_T = H⁻¹ (I − M^T).
    for inst in instances() {
        let p: Problem<Rational> = Problem::new(&inst, &());
        for w in weights(inst.m()) {
            let ts = p.theta_star(&w).unwrap();
            let h = p.hessian(&w);
            let m = Matrix::identity(p.d(), &()).sub(&h.scaled(&p.eta));
            for t in [1, 3, 6] {
                let (theta_t, est) = unrolled_round(&p, &w, &ts, t);
                assert_eq!(theta_t, ts, "θ* is a fixed point of the inner map");
                let i_minus = Matrix::identity(p.d(), &()).sub(&mat_pow(&m, t));
                let gg = p.grad_g(&ts);
                let want: Vec<Rational> = (0..p.m())
                    .map(|i| {
                        let v = h.solve(&i_minus.mul_vec(&p.grad_f(i, &ts))).unwrap();
                        -dot(&gg, &v)
                    })
                    .collect();
                assert_eq!(est, want, "{} T={t}", inst.name);
            }
        }
    }
}

#[test]
fn certified_optimum_bounds_phi_on_a_grid_and_is_attained() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    assert_eq!(opt.kind, OptimumKind::Certified);
    let (lo, hi) = opt.enclosure.clone().unwrap();
    assert!(lo <= hi);
    let p: Problem<Rational> = Problem::new(&inst, &());
    // Φ ≥ lo everywhere (checked on a grid, exactly), and Φ(w*) is within
    // the enclosure up to the width of w*'s isolating interval.
    for j in 0..=200 {
        let s = q(j, 200);
        let w = vec![s.clone(), Rational::from(1 - &s)];
        assert!(
            p.phi(&w).unwrap() >= lo,
            "Φ(s = {j}/200) below the certified lower end"
        );
    }
    let at_star = p.phi(&opt.w_star).unwrap();
    let slack = Rational::from(1) >> 600u32;
    assert!(at_star <= Rational::from(&hi + &slack));
    assert!(at_star >= lo);
}

#[test]
fn certified_optimum_at_a_vertex_is_exact() {
    // Validation target equal to domain 1's minimizer with the same metric:
    // Φ(1, 0) = 0 is the minimum, attained exactly at a vertex.
    let inst = Instance::from_json_str(
        r#"{"name": "vertex",
            "domains": [{"A": [[2, 0], [0, 1]], "b": [1, 1]}, {"A": [[1, 0], [0, 3]], "b": [-1, 0]}],
            "validation": {"A": [[1, 0], [0, 1]], "b": [1, 1]}, "eta": "1/4"}"#,
    )
    .unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    assert!(opt.exact);
    assert_eq!(opt.phi_star, 0);
    assert_eq!(opt.w_star, vec![q(1, 1), q(0, 1)]);
}

fn request(steps: usize, budget: usize, estimator: Estimator) -> RunRequest {
    RunRequest {
        steps,
        budget,
        backend: Backend::Mp(256),
        estimator,
        update: tstar::mix::UpdateKind::Pgd,
        max_bits: 1 << 22,
    }
}

#[test]
fn exact_estimator_reaches_phi_star_but_greedy_does_not() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let oracle = runner::run(&inst, &opt, &request(1, 600, Estimator::Exact)).unwrap();
    let gap = Float::with_val(256, Float::parse(&oracle.gap.text).unwrap());
    assert!(gap.clone().abs() < 1e-30, "oracle gap {gap}");
    let greedy = runner::run(&inst, &opt, &request(1, 20_000, Estimator::Unrolled)).unwrap();
    assert!(greedy.gap.f64 > 1.0, "greedy gap {}", greedy.gap.f64);
    // Greedy ends at the vertex that carries no weight on domain 1.
    assert_eq!(greedy.w[0].f64, 0.0);
}

#[test]
fn runs_are_deterministic_bit_for_bit() {
    let inst = builtin::load("builtin:dense-3x5").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    for backend in [Backend::F32, Backend::F64, Backend::Mp(128)] {
        let mut req = request(3, 60, Estimator::Unrolled);
        req.backend = backend;
        req.update = tstar::mix::UpdateKind::Eg;
        let a = runner::run(&inst, &opt, &req).unwrap();
        let b = runner::run(&inst, &opt, &req).unwrap();
        let texts = |r: &runner::RunReport| {
            r.trace
                .iter()
                .flat_map(|row| row.w.iter().map(|x| x.text.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(&a), texts(&b), "{backend}");
    }
}

#[test]
fn exact_runs_stop_with_an_error_past_the_size_limit() {
    let inst = builtin::load("builtin:dense-3x5").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let mut req = request(1, 50, Estimator::Unrolled);
    req.backend = Backend::Exact;
    req.max_bits = 4096;
    let err = runner::run(&inst, &opt, &req).unwrap_err();
    assert!(
        matches!(err, tstar::Error::ExactTooLarge { limit: 4096, .. }),
        "{err}"
    );
}

#[test]
fn exact_text_output_reads_back_to_the_same_rational() {
    let inst = builtin::load("builtin:greedy-fails").unwrap();
    let opt = optimum(&inst, &OptimumOptions::default()).unwrap();
    let mut req = request(2, 8, Estimator::Unrolled);
    req.backend = Backend::Exact;
    let rep = runner::run(&inst, &opt, &req).unwrap();
    let p: Problem<Rational> = Problem::new(&inst, &());
    let w: Vec<Rational> = rep
        .w
        .iter()
        .map(|x| tstar::num::parse_rational(&x.text).unwrap())
        .collect();
    // Φ(w_K) recomputed from the printed weights equals the printed Φ.
    assert_eq!(p.phi(&w).unwrap().to_text(), rep.phi.text);
    let sum: Rational = w.iter().sum();
    assert_eq!(sum, 1);
}
