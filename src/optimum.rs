//! The outer optimum `Φ* = min_{w ∈ Δ} Φ(w)` and its minimizer (SPEC §1).
//!
//! **Two domains: certified.** With `w = (s, 1 − s)`, `H(s) = A_2 + s(A_1 − A_2)`
//! and `Φ(s) = P(s) / det H(s)²`, where `P(s) = det(s)² Φ(s) = ½ uᵀA_0u` with
//! `u = adj(H) r − det·b_0` a polynomial of degree ≤ 2d. P and det are
//! recovered exactly by interpolation from exact evaluations at rational
//! points. Then `Φ'(s) = Q(s)/det(s)³` with `Q = P'·det − 2 P·det'`, and
//! since `det > 0` on [0, 1] (H is positive definite) the critical points are
//! the roots of Q. They are isolated exactly with a Sturm sequence of the
//! square-free part of Q, refined by bisection, and each gets a rigorous
//! enclosure of Φ: on an isolating interval [a, b] ∋ s_c,
//! `|Φ(s_c) − Φ(a)| ≤ (b − a) · sup|Φ'| ≤ (b − a)² · Σ_k k|q_k| / det_lo³`,
//! because `|Q(s)| ≤ |s − s_c| · sup|Q'|` and `det ≥ det_lo` on [a, b].
//! Φ* lies in `[min lo, min hi]` over the endpoints and critical points.
//!
//! **More domains: local.** Spectral projected gradient (Birgin–Martínez–
//! Raydan, non-monotone line search) from several starts at high MPFR
//! precision; the best stationary point found is reported as "local".

use rug::{Float, Rational};

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::linalg::sub;
use crate::model::Problem;
use crate::poly::{interpolate, roots_in_unit_interval, Root};
use crate::simplex::project;

/// How far Φ* can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimumKind {
    /// A rigorous enclosure of the global minimum over the simplex.
    Certified,
    /// The best of several local searches: a local minimum, not proved global.
    Local,
}

/// `Φ*`, its minimizer `w*`, and how they are known.
#[derive(Clone, Debug)]
pub struct Optimum {
    /// The value handed to the backends: exact when `exact`, otherwise a
    /// point of the enclosure (certified) or the best value found (local).
    pub phi_star: Rational,
    /// `lo ≤ Φ* ≤ hi` (certified only).
    pub enclosure: Option<(Rational, Rational)>,
    /// A minimizer (a point of its isolating interval when irrational).
    pub w_star: Vec<Rational>,
    /// Certified or local.
    pub kind: OptimumKind,
    /// True when `phi_star` is Φ* exactly.
    pub exact: bool,
}

/// Options of the search.
#[derive(Clone, Debug)]
pub struct OptimumOptions {
    /// Certified case: isolating intervals are refined to width ≤ 2^-bits.
    pub bits: u32,
    /// Local case: MPFR precision of the search.
    pub local_prec: u32,
}

impl Default for OptimumOptions {
    fn default() -> Self {
        OptimumOptions {
            bits: 640,
            local_prec: 256,
        }
    }
}

/// Computes Φ*: certified for m = 2, local for m > 2.
pub fn optimum(inst: &Instance, opts: &OptimumOptions) -> Result<Optimum> {
    if inst.m() == 2 {
        certified_two_domains(inst, opts.bits)
    } else {
        local_multistart(inst, opts.local_prec)
    }
}

fn certified_two_domains(inst: &Instance, bits: u32) -> Result<Optimum> {
    let p: Problem<Rational> = Problem::new(inst, &());
    let d = inst.d();
    let w_of = |s: &Rational| vec![s.clone(), Rational::from(1 - s)];
    let det_of = |s: &Rational| p.hessian(&w_of(s)).determinant(&());
    // Enough nodes for degree 2d (P) and d (det).
    let n = 2 * d + 1;
    let xs: Vec<Rational> = (0..n)
        .map(|j| Rational::from((j as i64, (n - 1) as i64)))
        .collect();
    let dets: Vec<Rational> = xs.iter().map(det_of).collect();
    let ps: Vec<Rational> = xs
        .iter()
        .zip(&dets)
        .map(|(s, det)| Ok(p.phi(&w_of(s))? * det.clone() * det))
        .collect::<Result<_>>()?;
    let det_poly = interpolate(&xs[..d + 1], &dets[..d + 1]);
    let p_poly = interpolate(&xs, &ps);
    let phi_at = |s: &Rational| -> Rational {
        let det = det_poly.eval(s);
        p_poly.eval(s) / (det.clone() * &det)
    };
    // Guard the algebra: the interpolants must reproduce Φ at a fresh point.
    let probe = Rational::from((1, 7));
    if phi_at(&probe) != p.phi(&w_of(&probe))? {
        return Err(Error::Unsupported(
            "internal check failed: Φ(s) interpolation does not reproduce Φ".into(),
        ));
    }
    let q = p_poly
        .derivative()
        .mul(&det_poly)
        .sub(&p_poly.mul(&det_poly.derivative()).scale(&Rational::from(2)));

    // Candidates: (lo, hi, s).
    let mut cands: Vec<(Rational, Rational, Rational)> = Vec::new();
    for s in [Rational::new(), Rational::from(1)] {
        let v = phi_at(&s);
        cands.push((v.clone(), v, s));
    }
    if !q.is_zero() {
        let lq = q.derivative_bound();
        let ld = det_poly.derivative_bound();
        for root in roots_in_unit_interval(&q, bits) {
            match root {
                Root::Exact(s) => {
                    let v = phi_at(&s);
                    cands.push((v.clone(), v, s));
                }
                Root::Isolated(a, b) => {
                    let w = Rational::from(&b - &a);
                    let det_lo = det_poly.eval(&a) - w.clone() * &ld;
                    if det_lo.cmp0() != std::cmp::Ordering::Greater {
                        return Err(Error::Unsupported(format!(
                            "cannot certify Φ*: det H(s) is not bounded away from 0 near s = {}; \
                             the instance is too ill-conditioned for {bits}-bit isolation",
                            a.to_f64()
                        )));
                    }
                    let e = w.clone() * &w * &lq / (det_lo.clone() * &det_lo * &det_lo);
                    let v = phi_at(&a);
                    let mid = Rational::from(&a + &b) / 2u32;
                    cands.push((Rational::from(&v - &e), Rational::from(&v + &e), mid));
                }
            }
        }
    }
    let best = cands
        .iter()
        .min_by(|x, y| x.1.cmp(&y.1))
        .expect("the endpoints are candidates");
    let lo = cands.iter().map(|c| &c.0).min().expect("nonempty").clone();
    let hi = best.1.clone();
    let exact = lo == hi;
    // The value handed on: the best candidate's Φ at a point of its interval.
    let phi_star = if exact { hi.clone() } else { phi_at(&best.2) };
    Ok(Optimum {
        phi_star,
        enclosure: Some((lo, hi)),
        w_star: w_of(&best.2),
        kind: OptimumKind::Certified,
        exact,
    })
}

// ---------------------------------------------------------------------------
// Local search for m > 2.
// ---------------------------------------------------------------------------

fn local_multistart(inst: &Instance, prec: u32) -> Result<Optimum> {
    let p: Problem<Float> = Problem::new(inst, &prec);
    let m = inst.m();
    let q = |n: i64, d: i64| Float::with_val(prec, Rational::from((n, d)));
    let mut starts: Vec<Vec<Float>> = vec![(0..m).map(|_| q(1, m as i64)).collect()];
    for i in 0..m {
        starts.push(
            (0..m)
                .map(|j| if i == j { q(1, 1) } else { q(0, 1) })
                .collect(),
        );
        // Halfway between vertex i and the centre.
        starts.push(
            (0..m)
                .map(|j| {
                    if i == j {
                        q(m as i64 + 1, 2 * m as i64)
                    } else {
                        q(1, 2 * m as i64)
                    }
                })
                .collect(),
        );
    }
    starts.push(inst.w0.iter().map(|x| Float::with_val(prec, x)).collect());
    let mut best: Option<(Float, Vec<Float>)> = None;
    for s in starts {
        let (f, w) = spg(&p, s, prec)?;
        if best.as_ref().is_none_or(|(bf, _)| f < *bf) {
            best = Some((f, w));
        }
    }
    let (f, w) = best.expect("at least one start");
    let to_q = |x: &Float| x.to_rational().unwrap_or_default();
    Ok(Optimum {
        phi_star: to_q(&f),
        enclosure: None,
        w_star: w.iter().map(to_q).collect(),
        kind: OptimumKind::Local,
        exact: false,
    })
}

/// Spectral projected gradient with a non-monotone Armijo search (memory 10).
fn spg(p: &Problem<Float>, w0: Vec<Float>, prec: u32) -> Result<(Float, Vec<Float>)> {
    let ctx = &prec;
    let tol: Float = Float::with_val(prec, 1) >> (2 * prec as i32 - 64).max(60);
    let lam_min: Float = Float::with_val(prec, 1) >> 60;
    let lam_max: Float = Float::with_val(prec, 1) << 60;
    let mut w = project(&w0, ctx);
    let mut f = p.phi(&w)?;
    let mut g = p.grad_phi(&w)?;
    let mut lam = Float::with_val(prec, 1);
    let mut history = vec![f.clone()];
    for _ in 0..5000 {
        let trial: Vec<Float> = w
            .iter()
            .zip(&g)
            .map(|(wi, gi)| wi.clone() - Float::with_val(prec, &lam * gi))
            .collect();
        let dir = sub(&project(&trial, ctx), &w);
        let dd: Float = dir
            .iter()
            .fold(Float::new(prec), |s, x| s + Float::with_val(prec, x * x));
        if dd <= tol {
            break;
        }
        let gd: Float = g.iter().zip(&dir).fold(Float::new(prec), |s, (a, b)| {
            s + Float::with_val(prec, a * b)
        });
        let fmax = history
            .iter()
            .max_by(|a, b| a.total_cmp(b))
            .expect("nonempty")
            .clone();
        let mut t = Float::with_val(prec, 1);
        let (w_new, f_new) = loop {
            let cand: Vec<Float> = w
                .iter()
                .zip(&dir)
                .map(|(wi, di)| wi.clone() + Float::with_val(prec, &t * di))
                .collect();
            let fc = p.phi(&cand)?;
            let bound = fmax.clone() + Float::with_val(prec, &t * &gd) / 10_000u32;
            if fc <= bound || t < lam_min {
                break (cand, fc);
            }
            t /= 2u32;
        };
        let g_new = p.grad_phi(&w_new)?;
        let s = sub(&w_new, &w);
        let y = sub(&g_new, &g);
        let sy: Float = s.iter().zip(&y).fold(Float::new(prec), |a, (x, z)| {
            a + Float::with_val(prec, x * z)
        });
        let ss: Float = s
            .iter()
            .fold(Float::new(prec), |a, x| a + Float::with_val(prec, x * x));
        lam = if sy > 0 {
            (ss / sy).clamp(&lam_min, &lam_max)
        } else {
            lam_max.clone()
        };
        w = w_new;
        f = f_new;
        g = g_new;
        history.push(f.clone());
        if history.len() > 10 {
            history.remove(0);
        }
    }
    Ok((f, w))
}
