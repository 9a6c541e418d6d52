//! Where greedy (T = 1) data mixing fails, and how the failure fades with the
//! horizon T (SPEC §2, §4.2–4.3). Two domains only: `w = (s, 1 − s)`.
//!
//! **Greedy fixed points.** At a fixed point of MIX(1, ·) with the unrolled
//! estimator, `θ_k = θ*(w)`, the inner step leaves θ* in place and
//! `h_i = −η ∇g(θ*)ᵀ ∇f_i(θ*)` (SPEC §2, T = 1). Both weight updates move
//! `s` in the direction of `−D(s)`, where
//!
//! ```text
//! D(s) = h_1 − h_2 = −η ∇g(θ*(s))ᵀ (∇f_1(θ*(s)) − ∇f_2(θ*(s))).
//! ```
//!
//! * `pgd`: `Π_Δ(y_1, y_2) = (c, 1 − c)` with `c = clip((y_1 − y_2 + 1)/2, 0, 1)`,
//!   and `y_1 − y_2 + 1 = 2s − α(h_1 − h_2)`, so `s ↦ clip(s − α D(s)/2, 0, 1)`.
//! * `eg`: `s'/(1 − s') = s/(1 − s) · exp(−α (h_1 − h_2))`, so the log-odds
//!   move by `−α D(s)`.
//!
//! Fixed points (the `pgd` ones): the interior zeros of D, the vertex `s = 0`
//! when `D(0) ≥ 0`, the vertex `s = 1` when `D(1) ≤ 0`. (Under `eg` a vertex
//! is always fixed, since a zero weight stays zero, but it repels when the
//! sign condition fails, so the attracting ones are the same.) Attracting for
//! small enough α: interior zeros where D changes sign from − to +, `s = 0`
//! when D > 0 just right of 0 (`D(0) > 0`, or `D(0) = 0` and D turns
//! positive), `s = 1` when D < 0 just left of 1.
//!
//! With `θ* = adj(H) r / det H`, every factor of D is a polynomial over
//! `det H`, and `N(s) = D(s) · det H(s)²` is a polynomial of degree ≤ 2d. It
//! is recovered exactly by interpolation from exact evaluations
//! ([`Problem<Rational>`](crate::model::Problem)); since `det H > 0` on
//! [0, 1], D and N have the same sign, and the zeros of N in [0, 1] are
//! isolated exactly with a Sturm sequence ([`crate::poly`]). Φ at a fixed
//! point is exact when s is rational, otherwise a rigorous enclosure (see
//! [`FixedPoint::phi`]).
//!
//! **Truncated fixed points** (SPEC §4.2). With horizon T, at a fixed point
//! `h_i = −∇g(θ*)ᵀ P_T ∇f_i(θ*)`, `P_T = H⁻¹(I − M^T)`, `M = I − ηH(w)`, so
//! the direction is `D_T(s) = −∇g(θ*)ᵀ P_T (∇f_1 − ∇f_2)(θ*)`. `D_1 = D`
//! (`P_1 = ηI`), and as `T → ∞`, `P_T → H⁻¹` and
//! `D_T → −∇g(θ*)ᵀ H⁻¹ (∇f_1 − ∇f_2) = ∇Φ_1 − ∇Φ_2 = dΦ/ds`, which changes sign
//! from − to + at an interior minimizer s*. So for large T the attracting
//! zero `w̄_T` of `D_T` sits next to s*, and its gap `Φ(w̄_T) − Φ*` decays
//! like `ρ^{2T}` (SPEC §4.3), `ρ = max |1 − ηλ(H(w*))|`.
//!
//! **Search.** [`search`] draws small integer instances and keeps the one
//! where greedy ends farthest from Φ*, relative to where it started.

use std::cmp::Ordering;
use std::fmt::Write as _;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rug::float::Round;
use rug::{Float, Rational};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::linalg::{dot, sub, symmetric_eigenvalues_f64, Matrix};
use crate::mix::{self, Eg, Estimator, MixConfig, Observer, Pgd, RoundRecord, UpdateKind};
use crate::model::Problem;
use crate::num::Scalar;
use crate::optimum::{optimum, Optimum, OptimumOptions};
use crate::poly::{interpolate, roots_in_unit_interval, simplest_between, Poly, Root};

// ---------------------------------------------------------------------------
// Options and result types.
// ---------------------------------------------------------------------------

/// Options of [`analyze`].
#[derive(Clone, Debug)]
pub struct CounterexampleOptions {
    /// Greedy fixed points off the rationals are isolated in intervals of
    /// width ≤ 2^-bits.
    pub bits: u32,
    /// Isolation width 2^-bits of the certified optimum Φ* ([`optimum`]).
    pub optimum_bits: u32,
    /// MPFR precision (bits) of the truncated fixed points `w̄_T`.
    pub prec: u32,
    /// Horizons `T = 1..=t_max` of the truncated fixed points.
    pub t_max: usize,
    /// First T of the decay fit (default `⌈t_max/2⌉`, see [`fit_decay`]).
    pub fit_from: Option<usize>,
    /// Rounds of the f64 MIX(T = 1) run from `w_0` that shows which greedy
    /// fixed point is reached.
    pub rounds: usize,
    /// α of that run; default: the instance's α.
    pub alpha: Option<Rational>,
}

impl Default for CounterexampleOptions {
    fn default() -> Self {
        CounterexampleOptions {
            bits: 256,
            optimum_bits: 640,
            prec: 256,
            t_max: 60,
            fit_from: None,
            rounds: 5000,
            alpha: None,
        }
    }
}

/// A rigorous enclosure `lo ≤ x ≤ hi` of a real number, exact when `lo = hi`.
#[derive(Clone, Debug, PartialEq)]
pub struct Enclosure {
    /// Lower bound.
    pub lo: Rational,
    /// Upper bound.
    pub hi: Rational,
}

impl Enclosure {
    /// The exact value `q`.
    pub fn exact(q: Rational) -> Self {
        Enclosure {
            lo: q.clone(),
            hi: q,
        }
    }
    /// True when the value is known exactly (`lo = hi`).
    pub fn is_exact(&self) -> bool {
        self.lo == self.hi
    }
    /// `(lo + hi)/2`.
    pub fn mid(&self) -> Rational {
        Rational::from(&self.lo + &self.hi) / 2u32
    }
    /// `x − y` for x in `self`, y in `other`: `[lo − other.hi, hi − other.lo]`.
    pub fn minus(&self, other: &Enclosure) -> Enclosure {
        Enclosure {
            lo: Rational::from(&self.lo - &other.hi),
            hi: Rational::from(&self.hi - &other.lo),
        }
    }
    /// The value as text: `p/q` when exact, else the midpoint to 20
    /// significant digits.
    pub fn value_text(&self) -> String {
        if self.is_exact() {
            self.lo.to_string()
        } else {
            decimal(&self.mid(), 20, Round::Nearest)
        }
    }
    /// `lo` rounded down and `hi` rounded up to `digits` significant
    /// digits, so the printed interval still encloses the value.
    pub fn bounds_text(&self, digits: usize) -> (String, String) {
        (
            decimal(&self.lo, digits, Round::Down),
            decimal(&self.hi, digits, Round::Up),
        )
    }
    /// `{"value", "lo", "hi", "exact"}`, every number a string (bounds
    /// rounded outward to 30 digits).
    pub fn to_json(&self) -> Value {
        let (lo, hi) = self.bounds_text(30);
        json!({"value": self.value_text(), "lo": lo, "hi": hi, "exact": self.is_exact()})
    }
}

impl Serialize for Enclosure {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

fn ser_q<S: Serializer>(q: &Rational, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&q.to_string())
}

fn ser_opt_q<S: Serializer>(q: &Option<Rational>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match q {
        Some(q) => s.serialize_some(&q.to_string()),
        None => s.serialize_none(),
    }
}

fn ser_vec_q<S: Serializer>(v: &[Rational], s: S) -> std::result::Result<S::Ok, S::Error> {
    let texts: Vec<String> = v.iter().map(|q| q.to_string()).collect();
    texts.serialize(s)
}

/// A fixed point `w = (s, 1 − s)` of greedy MIX (T = 1, unrolled estimator).
#[derive(Clone, Debug, Serialize)]
pub struct FixedPoint {
    /// `s` exactly, when known: always for vertices, and for interior zeros
    /// of D that are rational with a small enough denominator (see
    /// [`crate::poly::simplest_between`]).
    #[serde(serialize_with = "ser_opt_q")]
    pub s: Option<Rational>,
    /// `s_lo ≤ s ≤ s_hi`: equal to s when exact, else the isolating interval
    /// (its ends are not zeros of D, and it holds exactly one).
    #[serde(serialize_with = "ser_q")]
    pub s_lo: Rational,
    /// See `s_lo`.
    #[serde(serialize_with = "ser_q")]
    pub s_hi: Rational,
    /// True for `s = 0` or `s = 1`.
    pub vertex: bool,
    /// Attracts nearby starts for small enough α (see the module docs).
    pub attracting: bool,
    /// `Φ(w)`: exact at a rational s. On an isolating interval `(a, b)`,
    /// `|Φ(s) − Φ(a)| ≤ (b − a) sup_{[a,b]} |Φ'|` and the same from b, with
    /// `Φ' = Q/det³`, `Q = P'·det − 2P·det'` (`P = Φ·det²`, a polynomial),
    /// `sup |Q| ≤ Σ_k |q_k|` on [0, 1] and `det ≥ det(a) − (b − a)Σ_k k|d_k|`
    /// on [a, b], which must be > 0; the enclosure is the intersection of the
    /// two resulting intervals.
    pub phi: Enclosure,
    /// `Φ(w) − Φ*`, from `phi` and the certified enclosure of Φ*.
    pub gap: Enclosure,
}

impl FixedPoint {
    /// The exact s, or the midpoint of its interval.
    pub fn s_mid(&self) -> Rational {
        self.s
            .clone()
            .unwrap_or_else(|| Rational::from(&self.s_lo + &self.s_hi) / 2u32)
    }
    /// `w = (s, 1 − s)` as text: `p/q` when exact, else 30-digit decimals
    /// of the interval midpoint.
    pub fn w_text(&self) -> Vec<String> {
        let s = self.s_mid();
        let t = Rational::from(1 - &s);
        if self.s.is_some() {
            vec![s.to_string(), t.to_string()]
        } else {
            vec![
                decimal(&s, 30, Round::Nearest),
                decimal(&t, 30, Round::Nearest),
            ]
        }
    }
}

/// The exact greedy analysis of a two-domain instance.
#[derive(Clone, Debug)]
pub struct GreedyAnalysis {
    /// `N(s) = D(s) · det H(s)²`, exactly.
    pub direction_poly: Poly,
    /// `det H(s)`.
    pub det_poly: Poly,
    /// `P(s) = Φ(s) · det H(s)²`.
    pub phi_poly: Poly,
    /// The fixed points, in increasing s.
    pub fixed_points: Vec<FixedPoint>,
    /// Index of the fixed point reached from `w_0` in the α → 0 limit: the
    /// flow `ṡ = −D(s)` from `s_0` runs monotonically to the first fixed
    /// point in the direction of `−D(s_0)`.
    pub flow_reached: usize,
}

/// A truncated fixed point `w̄_T` (SPEC §4.2) and its gap.
#[derive(Clone, Debug, Serialize)]
pub struct TruncatedPoint {
    /// Horizon T.
    #[serde(rename = "T")]
    pub t: usize,
    /// `w̄_T = (s, 1 − s)`: s as a 40-digit decimal.
    pub s: String,
    /// s as f64.
    pub s_f64: f64,
    /// True when `D_T` has no − to + sign change found near s* and the
    /// attracting vertex is reported instead.
    pub vertex: bool,
    /// `Φ(w̄_T) − Φ*` at the working precision, 12 significant digits.
    pub gap: String,
    /// `ln(Φ(w̄_T) − Φ*)` (−∞ when the gap is not positive).
    pub ln_gap: f64,
}

/// The geometric decay of the truncated gaps (SPEC §4.3).
#[derive(Clone, Debug, Serialize)]
pub struct Decay {
    /// `r̂ = exp(slope)`, slope of the least-squares line of `ln gap_T` on T.
    pub fitted_rate: f64,
    /// `ρ²`, `ρ = max(|1 − ηλ_min(H(w*))|, |1 − ηλ_max(H(w*))|)`.
    pub predicted_rho2: f64,
    /// ρ.
    pub rho: f64,
    /// `|r̂ − ρ²| / ρ²`.
    pub rel_diff: f64,
    /// First T of the fit.
    pub t_from: usize,
    /// Last T of the fit.
    pub t_to: usize,
    /// Number of points fitted.
    pub points: usize,
    /// Gaps at or below this are precision noise and left out.
    pub floor: f64,
}

/// The whole analysis behind `tstar counterexample`.
#[derive(Clone, Debug, Serialize)]
pub struct Counterexample {
    /// Instance name.
    pub instance: String,
    /// Dimension d.
    pub d: usize,
    /// η.
    #[serde(serialize_with = "ser_q")]
    pub eta: Rational,
    /// A minimizer `w*` (a point of its isolating interval when irrational).
    #[serde(serialize_with = "ser_vec_q")]
    pub w_star: Vec<Rational>,
    /// Φ*, certified ([`optimum`]).
    pub phi_star: Enclosure,
    /// The greedy fixed points, increasing s.
    pub greedy_fixed_points: Vec<FixedPoint>,
    /// Index of the fixed point greedy reaches from `w_0`.
    pub reached: usize,
    /// How `reached` was decided, in words.
    pub reached_how: String,
    /// Index of the fixed point the α → 0 flow reaches from `w_0`.
    pub flow_reached: usize,
    /// Where the f64 MIX(T = 1, pgd) run ended (`s_K`), if it was run.
    pub run_final_s: Option<f64>,
    /// `Φ(reached) − Φ*`.
    pub greedy_gap: Enclosure,
    /// The smallest gap over the attracting fixed points (`lo` and `hi` are
    /// the minima of the bounds), if there is one.
    pub min_attracting_gap: Option<Enclosure>,
    /// True when `greedy_gap.lo > 0`: greedy provably fails from `w_0`.
    pub certified: bool,
    /// `w̄_T` and `gap_T` for `T = 1..=t_max`.
    pub truncated: Vec<TruncatedPoint>,
    /// MPFR precision of `truncated`.
    pub truncated_prec: u32,
    /// The fitted decay rate against ρ², when enough gaps lie above the floor.
    pub decay: Option<Decay>,
    /// One line: does greedy fail, and how sure is that.
    pub verdict: String,
}

// ---------------------------------------------------------------------------
// Directions D and D_T.
// ---------------------------------------------------------------------------

fn w_of<T: Scalar>(s: &T, ctx: &T::Ctx) -> Vec<T> {
    vec![s.clone(), T::one(ctx) - s]
}

/// Refuses instances with m ≠ 2: the analysis parametrizes `w = (s, 1 − s)`.
pub fn require_two_domains(inst: &Instance) -> Result<()> {
    if inst.m() != 2 {
        return Err(Error::Unsupported(format!(
            "the counterexample analysis needs exactly two domains (it parametrizes w = (s, 1 − s) \
             and isolates fixed points on [0, 1]); instance `{}` has m = {}",
            inst.name,
            inst.m()
        )));
    }
    Ok(())
}

/// The greedy direction `D(s) = h_1 − h_2 = −η ∇g(θ*)ᵀ (∇f_1(θ*) − ∇f_2(θ*))`
/// at `w = (s, 1 − s)`, on any backend (exact on `Exact`).
pub fn greedy_direction<T: Scalar>(p: &Problem<T>, s: &T) -> Result<T> {
    let ts = p.theta_star(&w_of(s, &p.ctx))?;
    let delta = sub(&p.grad_f(0, &ts), &p.grad_f(1, &ts));
    Ok(-(p.eta.clone() * &dot(&p.grad_g(&ts), &delta)))
}

fn mat_pow<T: Scalar>(m: &Matrix<T>, mut e: usize, ctx: &T::Ctx) -> Matrix<T> {
    let mut result = Matrix::identity(m.rows(), ctx);
    let mut base = m.clone();
    while e > 0 {
        if e & 1 == 1 {
            result = result.mul_mat(&base);
        }
        e >>= 1;
        if e > 0 {
            base = base.mul_mat(&base);
        }
    }
    result
}

/// The truncated direction `D_T(s) = −∇g(θ*)ᵀ P_T (∇f_1 − ∇f_2)(θ*)` with
/// `P_T = H⁻¹(I − M^T)`, `M = I − ηH(w)` (SPEC §4.2), `M^T` by repeated
/// squaring. `D_1 = D` ([`greedy_direction`]) and `D_T → dΦ/ds` as T → ∞.
pub fn truncated_direction<T: Scalar>(p: &Problem<T>, s: &T, t: usize) -> Result<T> {
    let ctx = &p.ctx;
    let w = w_of(s, ctx);
    let h = p.hessian(&w);
    let ts = h.solve(&p.rhs(&w)).ok_or_else(|| Error::Singular {
        what: "θ*(w)".into(),
    })?;
    let delta = sub(&p.grad_f(0, &ts), &p.grad_f(1, &ts));
    let m = Matrix::identity(p.d(), ctx).sub(&h.scaled(&p.eta));
    let y = sub(&delta, &mat_pow(&m, t, ctx).mul_vec(&delta));
    let v = h.solve(&y).ok_or_else(|| Error::Singular {
        what: "H(w)⁻¹ (I − M^T) (∇f_1 − ∇f_2)".into(),
    })?;
    Ok(-dot(&p.grad_g(&ts), &v))
}

// ---------------------------------------------------------------------------
// Exact greedy analysis.
// ---------------------------------------------------------------------------

/// Sign of `n` just to the right (`right = true`) or left of a zero `x` of
/// `n`: the sign of the first nonzero derivative, times `(−1)^k` on the left.
fn side_sign(n: &Poly, x: &Rational, right: bool) -> Ordering {
    let mut q = n.derivative();
    let mut k = 1usize;
    while !q.is_zero() {
        let v = q.eval(x).cmp0();
        if v != Ordering::Equal {
            return if right || k % 2 == 0 { v } else { v.reverse() };
        }
        q = q.derivative();
        k += 1;
    }
    Ordering::Equal
}

/// Exact greedy fixed points of a two-domain instance, their Φ and gap
/// against the enclosure `phi_star` of Φ*, and the point the α → 0 flow
/// reaches from `w_0`. Interior irrational zeros are isolated to width
/// ≤ 2^-bits.
pub fn greedy_analysis(inst: &Instance, phi_star: &Enclosure, bits: u32) -> Result<GreedyAnalysis> {
    require_two_domains(inst)?;
    let p: Problem<Rational> = Problem::new(inst, &());
    let d = inst.d();
    let det_of = |s: &Rational| p.hessian(&w_of(s, &())).determinant(&());
    // Degree ≤ 2d for N and P, d for det: 2d + 1 nodes.
    let n = 2 * d + 1;
    let xs: Vec<Rational> = (0..n)
        .map(|j| Rational::from((j as i64, (n - 1) as i64)))
        .collect();
    let dets: Vec<Rational> = xs.iter().map(det_of).collect();
    let mut ns = Vec::with_capacity(n);
    let mut ps = Vec::with_capacity(n);
    for (s, det) in xs.iter().zip(&dets) {
        let det2 = Rational::from(det * det);
        ns.push(greedy_direction(&p, s)? * &det2);
        ps.push(p.phi(&w_of(s, &()))? * det2);
    }
    let det_poly = interpolate(&xs[..d + 1], &dets[..d + 1]);
    let n_poly = interpolate(&xs, &ns);
    let p_poly = interpolate(&xs, &ps);
    // Guard the algebra: the interpolants must reproduce D and Φ at fresh points.
    for probe in [Rational::from((1, 7)), Rational::from((5, 13))] {
        let det = det_poly.eval(&probe);
        let det2 = Rational::from(&det * &det);
        if det != det_of(&probe)
            || n_poly.eval(&probe) != greedy_direction(&p, &probe)? * &det2
            || p_poly.eval(&probe) != p.phi(&w_of(&probe, &()))? * &det2
        {
            return Err(Error::Unsupported(
                "internal check failed: the interpolated D(s)·det² or Φ(s)·det² does not \
                 reproduce the model"
                    .into(),
            ));
        }
    }
    if n_poly.is_zero() {
        return Err(Error::Unsupported(format!(
            "instance `{}`: D(s) = h_1 − h_2 vanishes identically, so every w is a greedy \
             fixed point and there is nothing to analyze",
            inst.name
        )));
    }
    let phi_exact = |s: &Rational| -> Rational {
        let det = det_poly.eval(s);
        p_poly.eval(s) / (det.clone() * &det)
    };
    let q_poly = p_poly
        .derivative()
        .mul(&det_poly)
        .sub(&p_poly.mul(&det_poly.derivative()).scale(&Rational::from(2)));
    let q_bound = q_poly.abs_bound();
    let det_slope = det_poly.derivative_bound();
    let phi_on = |a: &Rational, b: &Rational| -> Result<Enclosure> {
        let w = Rational::from(b - a);
        let det_lo = det_poly.eval(a) - Rational::from(&w * &det_slope);
        if det_lo.cmp0() != Ordering::Greater {
            return Err(Error::Unsupported(format!(
                "cannot enclose Φ near s = {}: det H(s) is not bounded away from 0 at \
                 {bits}-bit isolation",
                a.to_f64()
            )));
        }
        let e = w * &q_bound / (det_lo.clone() * &det_lo * &det_lo);
        let (fa, fb) = (phi_exact(a), phi_exact(b));
        let (small, large) = if fa <= fb { (fa, fb) } else { (fb, fa) };
        Ok(Enclosure {
            lo: large - &e,
            hi: small + e,
        })
    };

    let zero = Rational::new();
    let one = Rational::from(1);
    let n0 = n_poly.eval(&zero).cmp0();
    let n1 = n_poly.eval(&one).cmp0();
    let s0 = inst.w0[0].clone();
    let n_s0 = n_poly.eval(&s0).cmp0();

    let mut fps: Vec<FixedPoint> = Vec::new();
    let exact_point = |s: Rational, vertex: bool, attracting: bool| -> FixedPoint {
        let phi = Enclosure::exact(phi_exact(&s));
        FixedPoint {
            gap: phi.minus(phi_star),
            phi,
            s_lo: s.clone(),
            s_hi: s.clone(),
            s: Some(s),
            vertex,
            attracting,
        }
    };
    if n0 != Ordering::Less {
        let attracting = match n0 {
            Ordering::Greater => true,
            _ => side_sign(&n_poly, &zero, true) == Ordering::Greater,
        };
        fps.push(exact_point(zero.clone(), true, attracting));
    }
    for root in roots_in_unit_interval(&n_poly, bits) {
        match root {
            Root::Exact(x) => {
                if x == zero || x == one {
                    continue; // the vertices are handled on their own
                }
                let attracting = side_sign(&n_poly, &x, false) == Ordering::Less
                    && side_sign(&n_poly, &x, true) == Ordering::Greater;
                fps.push(exact_point(x, false, attracting));
            }
            Root::Isolated(a, b) => {
                let attracting = n_poly.eval(&a).cmp0() == Ordering::Less
                    && n_poly.eval(&b).cmp0() == Ordering::Greater;
                // A rational zero with a small denominator is the simplest
                // rational of its tiny interval; so is w_0's s if it is a zero.
                let mut exact = None;
                for c in [simplest_between(&a, &b), s0.clone()] {
                    if a < c && c < b && n_poly.eval(&c).is_zero() {
                        exact = Some(c);
                        break;
                    }
                }
                match exact {
                    Some(x) => fps.push(exact_point(x, false, attracting)),
                    None => {
                        let phi = phi_on(&a, &b)?;
                        fps.push(FixedPoint {
                            s: None,
                            gap: phi.minus(phi_star),
                            phi,
                            s_lo: a,
                            s_hi: b,
                            vertex: false,
                            attracting,
                        });
                    }
                }
            }
        }
    }
    if n1 != Ordering::Greater {
        let attracting = match n1 {
            Ordering::Less => true,
            _ => side_sign(&n_poly, &one, false) == Ordering::Less,
        };
        fps.push(exact_point(one.clone(), true, attracting));
    }
    fps.sort_by_key(FixedPoint::s_mid);

    // Where each fixed point lies relative to s_0 (exactly, also when s_0 is
    // inside an isolating interval: then the side follows from the signs).
    let side = |fp: &FixedPoint| -> Ordering {
        if let Some(s) = &fp.s {
            return s.cmp(&s0);
        }
        if fp.s_hi <= s0 {
            Ordering::Less
        } else if fp.s_lo >= s0 {
            Ordering::Greater
        } else if n_s0 == n_poly.eval(&fp.s_hi).cmp0() {
            Ordering::Less
        } else {
            Ordering::Greater
        }
    };
    let flow_reached = match n_s0 {
        Ordering::Equal => fps.iter().position(|fp| fp.s.as_ref() == Some(&s0)),
        Ordering::Greater => fps.iter().rposition(|fp| side(fp) != Ordering::Greater),
        Ordering::Less => fps.iter().position(|fp| side(fp) != Ordering::Less),
    }
    .ok_or_else(|| {
        Error::Unsupported(
            "internal check failed: the greedy flow from w_0 reaches no fixed point".into(),
        )
    })?;
    Ok(GreedyAnalysis {
        direction_poly: n_poly,
        det_poly,
        phi_poly: p_poly,
        fixed_points: fps,
        flow_reached,
    })
}

/// The certified Φ* of a two-domain instance as an [`Enclosure`].
pub fn phi_star_enclosure(opt: &Optimum) -> Enclosure {
    match &opt.enclosure {
        Some((lo, hi)) => Enclosure {
            lo: lo.clone(),
            hi: hi.clone(),
        },
        None => Enclosure::exact(opt.phi_star.clone()),
    }
}

// ---------------------------------------------------------------------------
// f64 runs of MIX.
// ---------------------------------------------------------------------------

struct WeightsCollector(Vec<Vec<f64>>);

impl Observer<f64> for WeightsCollector {
    fn observe(&mut self, record: &RoundRecord<f64>) {
        self.0.push(record.w.clone());
    }
}

/// The weights `w_0, …, w_K` of one f64 run of MIX(T, N).
#[derive(Clone, Debug, Serialize)]
pub struct Trajectory {
    /// Inner steps per round, T.
    #[serde(rename = "T")]
    pub steps: usize,
    /// Budget N; K = ⌊N/T⌋ rounds.
    pub budget: usize,
    /// α of the run (exact text).
    pub alpha: String,
    /// Weight update used.
    pub update: String,
    /// `w_k` for k = 0..=K.
    pub w: Vec<Vec<f64>>,
}

/// Runs MIX(T, N) on f64 with the unrolled estimator from the instance's
/// `θ_0`, `w_0`, with `alpha` (default: the instance's α), and returns
/// every `w_k`.
pub fn trajectory(
    inst: &Instance,
    steps: usize,
    budget: usize,
    update: UpdateKind,
    alpha: Option<&Rational>,
) -> Result<Trajectory> {
    let alpha = match alpha {
        Some(a) => a.clone(),
        None => crate::runner::resolve_alpha(inst)?,
    };
    let p: Problem<f64> = Problem::new(inst, &());
    let config = MixConfig::from_instance(
        inst,
        &(),
        steps,
        budget,
        &alpha,
        Estimator::Unrolled,
        u64::MAX,
    );
    let mut col = WeightsCollector(Vec::new());
    match update {
        UpdateKind::Pgd => mix::run(&p, &config, Pgd, &mut [&mut col])?,
        UpdateKind::Eg => mix::run(&p, &config, Eg, &mut [&mut col])?,
    };
    Ok(Trajectory {
        steps,
        budget,
        alpha: alpha.to_string(),
        update: update.to_string(),
        w: col.0,
    })
}

/// The two trajectories of the figure: greedy (T = 1) and horizon `steps`,
/// both with budget N (so `N` and `⌊N/T⌋` rounds), the same update and α.
pub fn trajectories(
    inst: &Instance,
    steps: usize,
    budget: usize,
    update: UpdateKind,
    alpha: Option<&Rational>,
) -> Result<(Trajectory, Trajectory)> {
    Ok((
        trajectory(inst, 1, budget, update, alpha)?,
        trajectory(inst, steps, budget, update, alpha)?,
    ))
}

// ---------------------------------------------------------------------------
// Truncated fixed points and their decay.
// ---------------------------------------------------------------------------

/// The attracting zero of `D_T` nearest to s* at MPFR precision `prec`:
/// symmetric brackets `[s* − δ, s* + δ] ∩ [0, 1]`, δ doubling from
/// `2^-(prec/2)`, until `D_T < 0` at the left end and `> 0` at the right;
/// then bisection keeping that sign pattern, so the limit is a − to + sign
/// change (attracting). Without such a bracket on all of [0, 1], the
/// attracting vertex (`D_T(0) > 0` → 0, `D_T(1) < 0` → 1; the nearer to s*
/// if both) is returned with `true`.
fn truncated_zero(p: &Problem<Float>, s_star: &Float, t: usize) -> Result<(Float, bool)> {
    let prec = p.ctx;
    let f = |s: &Float| truncated_direction(p, s, t);
    let zero = Float::new(prec);
    let one = Float::with_val(prec, 1);
    let mut delta = Float::with_val(prec, 1) >> (prec / 2) as i32;
    let (mut lo, mut hi) = loop {
        let lo = Float::with_val(prec, s_star - &delta).max(&zero);
        let hi = Float::with_val(prec, s_star + &delta).min(&one);
        if f(&lo)? < 0 && f(&hi)? > 0 {
            break (lo, hi);
        }
        if lo.is_zero() && hi == 1 {
            let (d0, d1) = (f(&zero)?, f(&one)?);
            let left = d0 > 0;
            let right = d1 < 0;
            let vertex = match (left, right) {
                (true, true) => {
                    if Float::with_val(prec, &one - s_star) < *s_star {
                        one
                    } else {
                        zero
                    }
                }
                (false, true) => one,
                _ => zero,
            };
            return Ok((vertex, true));
        }
        delta *= 2u32;
    };
    for _ in 0..prec + 16 {
        let mid = Float::with_val(prec, &lo + &hi) / 2u32;
        if mid <= lo || mid >= hi {
            break;
        }
        let v = f(&mid)?;
        if v.is_zero() {
            return Ok((mid, false));
        }
        if v < 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((Float::with_val(prec, &lo + &hi) / 2u32, false))
}

/// `w̄_T` and `gap_T = Φ(w̄_T) − Φ*` for `T = 1..=t_max` at MPFR precision
/// `prec` (SPEC §4.2), each the attracting zero of `D_T` nearest to the
/// certified minimizer (or the attracting vertex when there is none, e.g.
/// T = 1 when greedy runs to a vertex).
pub fn truncated_fixed_points(
    inst: &Instance,
    opt: &Optimum,
    prec: u32,
    t_max: usize,
) -> Result<Vec<TruncatedPoint>> {
    require_two_domains(inst)?;
    let p: Problem<Float> = Problem::new(inst, &prec);
    let s_star = Float::with_val(prec, &opt.w_star[0]);
    let phi_star = Float::with_val(prec, &opt.phi_star);
    (1..=t_max)
        .map(|t| {
            let (s, vertex) = truncated_zero(&p, &s_star, t)?;
            let gap = p.phi(&w_of(&s, &prec))? - &phi_star;
            let ln_gap = if gap > 0 {
                gap.clone().ln().to_f64()
            } else {
                f64::NEG_INFINITY
            };
            Ok(TruncatedPoint {
                t,
                s: float_text(&s, 40),
                s_f64: s.to_f64(),
                vertex,
                gap: float_text(&gap, 12),
                ln_gap,
            })
        })
        .collect()
}

/// Fits `ln gap_T ≈ a + T ln r̂` by least squares and compares `r̂` with ρ²
/// at w* (SPEC §4.3).
///
/// Rule: the fit uses the interior (non-vertex) points with
/// `T ≥ fit_from` (the transient: subdominant modes of M decay like
/// `(|μ_2|/ρ)^T` relative to the leading one, so the first half of the range
/// is left out by default, `fit_from = ⌈t_max/2⌉`) and
/// `gap_T > floor = 2^-(prec − 56)`, which keeps 56 bits of headroom above
/// the working precision (about 1e-60 at 256 bits). `None` with fewer than
/// three such points.
pub fn fit_decay(
    inst: &Instance,
    opt: &Optimum,
    points: &[TruncatedPoint],
    prec: u32,
    fit_from: Option<usize>,
) -> Option<Decay> {
    let t_max = points.iter().map(|p| p.t).max()?;
    let from = fit_from.unwrap_or(t_max.div_ceil(2)).max(1);
    let floor_ln = -f64::from(prec.saturating_sub(56)) * std::f64::consts::LN_2;
    let sel: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.t >= from && !p.vertex && p.ln_gap.is_finite() && p.ln_gap > floor_ln)
        .map(|p| (p.t as f64, p.ln_gap))
        .collect();
    if sel.len() < 3 {
        return None;
    }
    let n = sel.len() as f64;
    let mx = sel.iter().map(|p| p.0).sum::<f64>() / n;
    let my = sel.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = sel.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = sel.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let fitted_rate = (sxy / sxx).exp();
    let rho = contraction_at(inst, &opt.w_star);
    let predicted_rho2 = rho * rho;
    Some(Decay {
        fitted_rate,
        predicted_rho2,
        rho,
        rel_diff: (fitted_rate - predicted_rho2).abs() / predicted_rho2,
        t_from: sel.first().map_or(from, |p| p.0 as usize),
        t_to: sel.last().map_or(from, |p| p.0 as usize),
        points: sel.len(),
        floor: floor_ln.exp(),
    })
}

/// `ρ = max(|1 − ηλ_min(H(w))|, |1 − ηλ_max(H(w))|)`, the contraction of
/// the inner map at w (f64).
pub fn contraction_at(inst: &Instance, w: &[Rational]) -> f64 {
    let p: Problem<Rational> = Problem::new(inst, &());
    let ev = symmetric_eigenvalues_f64(&p.hessian(w));
    let eta = inst.eta.to_f64();
    ev.iter()
        .map(|l| (1.0 - eta * l).abs())
        .fold(0.0f64, f64::max)
}

// ---------------------------------------------------------------------------
// The whole analysis.
// ---------------------------------------------------------------------------

/// Runs the analysis on a two-domain instance: certified Φ*, exact greedy
/// fixed points and the greedy gap, which point greedy reaches from `w_0`,
/// the truncated fixed points `w̄_T` and the decay fit.
///
/// Which fixed point is reached: MIX(T = 1, N = `rounds`) with `pgd` and the
/// unrolled estimator is run on f64 from the instance's `θ_0`, `w_0` with
/// α (`opts.alpha`, else the file's); if it settles (`|s_K − s_{K−100}| ≤
/// 1e-9`) within 1e-6 of a fixed point, that one. Otherwise (or without
/// any α) the α → 0 flow prediction of [`greedy_analysis`] is used, and
/// `reached_how` says so.
pub fn analyze(inst: &Instance, opts: &CounterexampleOptions) -> Result<Counterexample> {
    require_two_domains(inst)?;
    let opt = optimum(
        inst,
        &OptimumOptions {
            bits: opts.optimum_bits,
            ..OptimumOptions::default()
        },
    )?;
    let phi_star = phi_star_enclosure(&opt);
    let ga = greedy_analysis(inst, &phi_star, opts.bits)?;
    let fps = ga.fixed_points;
    let flow_text = |fp: &FixedPoint| format!("w = ({})", fp.w_text().join(", "));

    // Which fixed point does greedy reach?
    let alpha = opts.alpha.clone().or_else(|| inst.alpha.clone());
    let mut run_final_s = None;
    let (reached, reached_how) = match &alpha {
        None => (
            ga.flow_reached,
            "no α given: the α → 0 flow ṡ = −D(s) from w_0 decides".to_string(),
        ),
        Some(a) => {
            let traj = trajectory(inst, 1, opts.rounds.max(1), UpdateKind::Pgd, Some(a))?;
            let ss: Vec<f64> = traj.w.iter().map(|w| w[0]).collect();
            let last = *ss.last().expect("K + 1 records");
            let back = ss[ss.len().saturating_sub(101)];
            run_final_s = Some(last);
            let settled = (last - back).abs() <= 1e-9;
            let near = fps
                .iter()
                .enumerate()
                .map(|(i, fp)| (i, (fp.s_mid().to_f64() - last).abs()))
                .min_by(|x, y| x.1.total_cmp(&y.1))
                .filter(|(_, dist)| *dist <= 1e-6 && settled);
            let run = format!(
                "f64 MIX(T = 1, pgd, unrolled), α = {a}, {} rounds from w_0, ended at s = {last}",
                opts.rounds.max(1)
            );
            match near {
                Some((i, _)) => {
                    let agree = if i == ga.flow_reached {
                        "agrees with the α → 0 flow"
                    } else {
                        "differs from the α → 0 flow prediction"
                    };
                    (
                        i,
                        format!("{run}, i.e. at {} ({agree})", flow_text(&fps[i])),
                    )
                }
                None => (
                    ga.flow_reached,
                    format!(
                        "{run}, which is not settled at a fixed point; the α → 0 flow from w_0 \
                         reaches {}",
                        flow_text(&fps[ga.flow_reached])
                    ),
                ),
            }
        }
    };
    let greedy_gap = fps[reached].gap.clone();
    let certified = greedy_gap.lo.cmp0() == Ordering::Greater;
    let attracting: Vec<&FixedPoint> = fps.iter().filter(|fp| fp.attracting).collect();
    let min_attracting_gap = if attracting.is_empty() {
        None
    } else {
        Some(Enclosure {
            lo: attracting
                .iter()
                .map(|fp| fp.gap.lo.clone())
                .min()
                .expect("nonempty"),
            hi: attracting
                .iter()
                .map(|fp| fp.gap.hi.clone())
                .min()
                .expect("nonempty"),
        })
    };
    let verdict = verdict_text(&fps[reached], &greedy_gap, certified, &min_attracting_gap);

    let truncated = truncated_fixed_points(inst, &opt, opts.prec, opts.t_max)?;
    let decay = fit_decay(inst, &opt, &truncated, opts.prec, opts.fit_from);
    Ok(Counterexample {
        instance: inst.name.clone(),
        d: inst.d(),
        eta: inst.eta.clone(),
        w_star: opt.w_star.clone(),
        phi_star,
        greedy_fixed_points: fps,
        reached,
        reached_how,
        flow_reached: ga.flow_reached,
        run_final_s,
        greedy_gap,
        min_attracting_gap,
        certified,
        truncated,
        truncated_prec: opts.prec,
        decay,
        verdict,
    })
}

fn verdict_text(
    fp: &FixedPoint,
    gap: &Enclosure,
    certified: bool,
    min_attracting: &Option<Enclosure>,
) -> String {
    let (lo, hi) = gap.bounds_text(5);
    let at = format!("w = ({})", fp.w_text().join(", "));
    if certified {
        let every = match min_attracting {
            Some(m) if m.lo.cmp0() == Ordering::Greater => {
                format!(
                    "; every attracting greedy fixed point has gap ≥ {}",
                    m.bounds_text(5).0
                )
            }
            _ => String::new(),
        };
        format!("greedy fails: gap ≥ {lo} (certified), greedy converges to {at}{every}")
    } else if gap.hi.cmp0() != Ordering::Greater {
        format!("greedy does not fail here: greedy converges to {at}, a minimizer (gap = 0)")
    } else {
        format!(
            "greedy does not fail here (to within the enclosure): greedy converges to {at}, \
             gap ≤ {hi} (enclosure [{lo}, {hi}] contains 0; not certified either way)"
        )
    }
}

impl Counterexample {
    /// The greedy fixed point reached from `w_0`.
    pub fn reached_point(&self) -> &FixedPoint {
        &self.greedy_fixed_points[self.reached]
    }

    /// JSON, every number a string (`p/q` when exact): keys `w_star`,
    /// `phi_star`, `greedy_fixed_points` (weight vectors), `greedy_gap`,
    /// `certified`, `truncated` (`{T, w, gap}`), `decay`
    /// (`{fitted_rate, predicted_rho2, rel_diff}`), `verdict`, and details.
    pub fn to_json(&self) -> Value {
        let (phi_lo, phi_hi) = self.phi_star.bounds_text(30);
        let (gap_lo, gap_hi) = self.greedy_gap.bounds_text(30);
        let fp_detail: Vec<Value> = self
            .greedy_fixed_points
            .iter()
            .enumerate()
            .map(|(i, fp)| {
                json!({
                    "w": fp.w_text(),
                    "exact": fp.s.is_some(),
                    "s_interval": [fp.s_lo.to_string(), fp.s_hi.to_string()],
                    "vertex": fp.vertex,
                    "attracting": fp.attracting,
                    "phi": fp.phi.to_json(),
                    "gap": fp.gap.to_json(),
                    "reached_from_w0": i == self.reached,
                })
            })
            .collect();
        let w_star: Vec<String> = self
            .w_star
            .iter()
            .map(|q| decimal(q, 30, Round::Nearest))
            .collect();
        json!({
            "instance": self.instance,
            "m": 2,
            "d": self.d,
            "eta": self.eta.to_string(),
            "w_star": w_star,
            "phi_star": self.phi_star.value_text(),
            "phi_star_enclosure": [phi_lo, phi_hi],
            "greedy_fixed_points": self.greedy_fixed_points.iter().map(FixedPoint::w_text).collect::<Vec<_>>(),
            "greedy_fixed_points_detail": fp_detail,
            "reached": {
                "w": self.reached_point().w_text(),
                "how": self.reached_how,
                "flow_w": self.greedy_fixed_points[self.flow_reached].w_text(),
                "run_final_s": self.run_final_s.map(|s| s.to_string()),
            },
            "greedy_gap": self.greedy_gap.value_text(),
            "greedy_gap_enclosure": [gap_lo, gap_hi],
            "min_attracting_gap": self.min_attracting_gap.as_ref().map(Enclosure::to_json),
            "certified": self.certified,
            "truncated_prec": self.truncated_prec,
            "truncated": self.truncated.iter().map(|t| {
                let s = parse_decimal(&t.s);
                json!({
                    "T": t.t,
                    "w": [t.s.clone(), one_minus_text(&s, &t.s)],
                    "gap": t.gap,
                    "vertex": t.vertex,
                })
            }).collect::<Vec<_>>(),
            "decay": self.decay.as_ref().map(|d| json!({
                "fitted_rate": d.fitted_rate.to_string(),
                "predicted_rho2": d.predicted_rho2.to_string(),
                "rho": d.rho.to_string(),
                "rel_diff": d.rel_diff.to_string(),
                "T_from": d.t_from,
                "T_to": d.t_to,
                "points": d.points,
                "floor": d.floor.to_string(),
            })),
            "verdict": self.verdict,
        })
    }

    /// A readable summary.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "counterexample analysis: {} (m = 2, d = {}, η = {})",
            self.instance, self.d, self.eta
        );
        let ws: Vec<String> = self
            .w_star
            .iter()
            .map(|q| decimal(q, 12, Round::Nearest))
            .collect();
        let (plo, phi) = self.phi_star.bounds_text(15);
        let _ = writeln!(
            o,
            "  Φ* = {} (certified, in [{plo}, {phi}]) at w* ≈ ({})",
            self.phi_star.value_text(),
            ws.join(", ")
        );
        let _ = writeln!(
            o,
            "  greedy (T = 1) fixed points, w = (s, 1 − s), D(s) = −η ∇g(θ*)ᵀ(∇f_1 − ∇f_2)(θ*):"
        );
        for (i, fp) in self.greedy_fixed_points.iter().enumerate() {
            let (glo, ghi) = fp.gap.bounds_text(8);
            let gap = if fp.gap.is_exact() {
                format!(
                    "gap = {} ≈ {}",
                    fp.gap.lo,
                    decimal(&fp.gap.lo, 8, Round::Nearest)
                )
            } else {
                format!("gap ∈ [{glo}, {ghi}]")
            };
            let _ = writeln!(
                o,
                "    w = ({}){}  {}  {}{}",
                fp.w_text().join(", "),
                if fp.s.is_some() { " exact" } else { "" },
                if fp.attracting {
                    "attracting"
                } else {
                    "not attracting"
                },
                gap,
                if i == self.reached {
                    "  ← reached from w_0"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(o, "  reached: {}", self.reached_how);
        let (glo, ghi) = self.greedy_gap.bounds_text(12);
        let _ = writeln!(o, "  greedy gap Φ(reached) − Φ* ∈ [{glo}, {ghi}]");
        if let Some(m) = &self.min_attracting_gap {
            let (mlo, mhi) = m.bounds_text(12);
            let _ = writeln!(o, "  smallest gap over attracting points ∈ [{mlo}, {mhi}]");
        }
        let _ = writeln!(o, "  verdict: {}", self.verdict);
        let _ = writeln!(
            o,
            "  truncated fixed points w̄_T (MPFR {} bits; attracting zero of D_T nearest w*):",
            self.truncated_prec
        );
        let _ = writeln!(o, "    {:>4}  {:<24}  gap_T", "T", "w̄_T(1)");
        for t in &self.truncated {
            let s: String = t.s.chars().take(22).collect();
            let _ = writeln!(
                o,
                "    {:>4}  {:<24}  {}{}",
                t.t,
                s,
                t.gap,
                if t.vertex { "  (vertex)" } else { "" }
            );
        }
        match &self.decay {
            Some(d) => {
                let _ = writeln!(
                    o,
                    "  decay: fitted rate r̂ = {:.6} over T = {}..{} ({} points, gap > {:.1e}); \
                     ρ² = {:.6} (ρ = {:.6} at w*); |r̂ − ρ²|/ρ² = {:.2e}",
                    d.fitted_rate,
                    d.t_from,
                    d.t_to,
                    d.points,
                    d.floor,
                    d.predicted_rho2,
                    d.rho,
                    d.rel_diff
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "  decay: not fitted (fewer than three interior gaps above the precision floor)"
                );
            }
        }
        o
    }
}

// ---------------------------------------------------------------------------
// Decimal text.
// ---------------------------------------------------------------------------

/// `q` to `digits` significant digits, rounded in direction `round` (both
/// the binary conversion and the decimal printing round that way, so a
/// `Down` result is ≤ q and an `Up` result ≥ q).
fn decimal(q: &Rational, digits: usize, round: Round) -> String {
    let prec = (digits as f64 * 3.33) as u32 + 32;
    let f = Float::with_val_round(prec, q, round).0;
    plain(&f.to_string_radix_round(10, Some(digits), round))
}

fn float_text(f: &Float, digits: usize) -> String {
    plain(&f.to_string_radix(10, Some(digits)))
}

/// MPFR's `d.ddde±x` as plain decimal when the exponent is moderate.
fn plain(s: &str) -> String {
    let (mant, exp) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (s, 0),
    };
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    let digits = format!("{ip}{fp}");
    if digits.bytes().all(|b| b == b'0') {
        return "0".into();
    }
    let point = ip.len() as i64 + exp; // decimal point after this many digits
    let trim = |x: String| -> String {
        if x.contains('.') {
            x.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            x
        }
    };
    let body = if !(-5..=21).contains(&point) {
        let first_nonzero = digits.find(|c| c != '0').unwrap_or(0);
        let ds = &digits[first_nonzero..];
        let e = point - 1 - first_nonzero as i64;
        let m = trim(format!("{}.{}", &ds[..1], &ds[1..]));
        format!("{m}e{e}")
    } else if point <= 0 {
        trim(format!("0.{}{}", "0".repeat((-point) as usize), digits))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        let a = a.trim_start_matches('0');
        trim(format!("{}.{b}", if a.is_empty() { "0" } else { a }))
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

fn parse_decimal(s: &str) -> Option<Rational> {
    crate::num::parse_rational(s).ok()
}

fn one_minus_text(s: &Option<Rational>, fallback: &str) -> String {
    match s {
        Some(q) => decimal(&Rational::from(1 - q), 40, Round::Nearest),
        None => format!("1 - {fallback}"),
    }
}

// ---------------------------------------------------------------------------
// Search for counterexamples.
// ---------------------------------------------------------------------------

/// Options of [`search`].
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Seed of the generator (ChaCha8): the same seed gives the same instance.
    pub seed: u64,
    /// Number of random candidates screened in f64.
    pub candidates: usize,
    /// How many of the best-screened candidates get the exact analysis.
    pub exact_top: usize,
    /// Largest dimension d drawn (1 to 3).
    pub max_dim: usize,
    /// Shrink the winner (smaller integers, smaller d, fewer off-diagonals).
    pub shrink: bool,
    /// Cap on accepted shrinking steps.
    pub max_shrink_steps: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            seed: 1,
            candidates: 2000,
            exact_top: 10,
            max_dim: 3,
            shrink: true,
            max_shrink_steps: 400,
        }
    }
}

/// What [`search_detailed`] found.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    /// The best instance (after shrinking), with α chosen for its greedy run.
    pub instance: Instance,
    /// Its relative greedy gap `(Φ(reached) − Φ*)/(Φ(w_0) − Φ*)`, exact
    /// analysis (α → 0 flow from `w_0`).
    pub score: f64,
    /// The score of the best candidate before shrinking.
    pub best_before_shrink: f64,
    /// Candidates drawn.
    pub candidates: usize,
    /// Shrinking steps accepted.
    pub shrink_steps: usize,
}

/// Integer data of a two-domain instance: `A_1, A_2, A_0` (d×d, row-major,
/// symmetric) and `b_1, b_2, b_0`.
#[derive(Clone, Debug, PartialEq)]
struct Gen {
    d: usize,
    mats: [Vec<i64>; 3],
    vecs: [Vec<i64>; 3],
}

impl Gen {
    fn random(rng: &mut ChaCha8Rng, max_dim: usize) -> Gen {
        let d = rng.random_range(1..=max_dim.clamp(1, 3));
        let diag = rng.random_bool(0.5);
        let spd = |rng: &mut ChaCha8Rng, psd_only: bool| -> Vec<i64> {
            let mut a = vec![0i64; d * d];
            if diag {
                for i in 0..d {
                    a[i * d + i] = if psd_only {
                        rng.random_range(0..=3)
                    } else {
                        rng.random_range(1..=9)
                    };
                }
            } else {
                // BᵀB (+ I for the domains): symmetric positive (semi)definite.
                let b: Vec<i64> = (0..d * d).map(|_| rng.random_range(-2..=2)).collect();
                for i in 0..d {
                    for j in 0..d {
                        a[i * d + j] = (0..d).map(|k| b[k * d + i] * b[k * d + j]).sum();
                    }
                    if !psd_only {
                        a[i * d + i] += 1;
                    }
                }
            }
            if a.iter().all(|&x| x == 0) {
                for i in 0..d {
                    a[i * d + i] = 1;
                }
            }
            a
        };
        let a1 = spd(rng, false);
        let a2 = spd(rng, false);
        let a0 = spd(rng, true);
        let mut vec = |_: usize| -> Vec<i64> { (0..d).map(|_| rng.random_range(-3..=3)).collect() };
        Gen {
            d,
            mats: [a1, a2, a0],
            vecs: [vec(0), vec(1), vec(2)],
        }
    }

    /// The instance, validated by the file reader (`None` when invalid),
    /// with `η = 1/(1 + max_i tr A_i)` (< 1/λ_max, so inner descent converges).
    fn instance(&self, name: &str) -> Option<Instance> {
        let d = self.d;
        let mat = |a: &[i64]| -> Value {
            Value::Array(
                (0..d)
                    .map(|i| Value::Array((0..d).map(|j| json!(a[i * d + j])).collect()))
                    .collect(),
            )
        };
        let trace = |a: &[i64]| (0..d).map(|i| a[i * d + i]).sum::<i64>();
        let eta = format!(
            "1/{}",
            1 + trace(&self.mats[0]).max(trace(&self.mats[1])).max(0)
        );
        let v = json!({
            "name": name,
            "domains": [
                {"name": "one", "A": mat(&self.mats[0]), "b": self.vecs[0]},
                {"name": "two", "A": mat(&self.mats[1]), "b": self.vecs[1]},
            ],
            "validation": {"A": mat(&self.mats[2]), "b": self.vecs[2]},
            "eta": eta,
            "w0": ["1/2", "1/2"],
        });
        Instance::from_json_value(&v).ok()
    }

    /// Simpler neighbours, most drastic first: drop a dimension, zero an
    /// off-diagonal pair, move one entry (pair) one step toward 0.
    fn shrinks(&self) -> Vec<Gen> {
        let d = self.d;
        let mut out = Vec::new();
        if d > 1 {
            for k in 0..d {
                let keep: Vec<usize> = (0..d).filter(|&i| i != k).collect();
                let mats = self.mats.clone().map(|a| {
                    keep.iter()
                        .flat_map(|&i| keep.iter().map(move |&j| (i, j)))
                        .map(|(i, j)| a[i * d + j])
                        .collect()
                });
                let vecs = self
                    .vecs
                    .clone()
                    .map(|v| keep.iter().map(|&i| v[i]).collect());
                out.push(Gen {
                    d: d - 1,
                    mats,
                    vecs,
                });
            }
        }
        for m in 0..3 {
            for i in 0..d {
                for j in i + 1..d {
                    if self.mats[m][i * d + j] != 0 {
                        let mut g = self.clone();
                        g.mats[m][i * d + j] = 0;
                        g.mats[m][j * d + i] = 0;
                        out.push(g);
                    }
                }
            }
        }
        let toward0 = |x: i64| x - x.signum();
        for m in 0..3 {
            for i in 0..d {
                for j in i..d {
                    if self.mats[m][i * d + j] != 0 {
                        let mut g = self.clone();
                        g.mats[m][i * d + j] = toward0(g.mats[m][i * d + j]);
                        g.mats[m][j * d + i] = g.mats[m][i * d + j];
                        out.push(g);
                    }
                }
            }
        }
        for v in 0..3 {
            for i in 0..d {
                if self.vecs[v][i] != 0 {
                    let mut g = self.clone();
                    g.vecs[v][i] = toward0(g.vecs[v][i]);
                    out.push(g);
                }
            }
        }
        out
    }
}

/// Cheap f64 screening of the relative greedy gap: D and Φ on a grid of 256
/// cells, the flow from `s_0` to the first sign change of D in the direction
/// of `−D(s_0)` (bisection) or to the vertex, Φ* by golden section around
/// the best grid point. `None` when `Φ(w_0) − Φ*` is negligible or a solve fails.
fn screen(inst: &Instance) -> Option<f64> {
    let p: Problem<f64> = Problem::new(inst, &());
    let dd = |s: f64| greedy_direction(&p, &s).ok();
    let phi = |s: f64| p.phi(&[s, 1.0 - s]).ok();
    let n = 256usize;
    let grid: Vec<f64> = (0..=n).map(|j| j as f64 / n as f64).collect();
    let ds: Vec<f64> = grid.iter().map(|&s| dd(s)).collect::<Option<_>>()?;
    let phis: Vec<f64> = grid.iter().map(|&s| phi(s)).collect::<Option<_>>()?;
    let s0 = inst.w0[0].to_f64();
    let j0 = (s0 * n as f64).round() as usize;
    let d0 = dd(s0)?;
    let bisect = |mut a: f64, mut b: f64| -> Option<f64> {
        // D(a) and D(b) of opposite signs.
        let sa = dd(a)? > 0.0;
        for _ in 0..60 {
            let m = 0.5 * (a + b);
            if (dd(m)? > 0.0) == sa {
                a = m;
            } else {
                b = m;
            }
        }
        Some(0.5 * (a + b))
    };
    let reached = if d0 > 0.0 {
        match (0..j0.min(n)).rev().find(|&j| ds[j] <= 0.0) {
            Some(j) => bisect(grid[j], grid[j + 1])?,
            None => 0.0,
        }
    } else if d0 < 0.0 {
        match (j0 + 1..=n).find(|&j| ds[j] >= 0.0) {
            Some(j) => bisect(grid[j - 1], grid[j])?,
            None => 1.0,
        }
    } else {
        s0
    };
    let (jm, _) = phis.iter().enumerate().min_by(|x, y| x.1.total_cmp(y.1))?;
    let (mut a, mut b) = (grid[jm.saturating_sub(1)], grid[(jm + 1).min(n)]);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let (c, e) = (b - g * (b - a), a + g * (b - a));
        if phi(c)? < phi(e)? {
            b = e;
        } else {
            a = c;
        }
    }
    let phi_star = phi(0.5 * (a + b))?.min(phis[jm]);
    let denom = phi(s0)? - phi_star;
    if denom <= 1e-9 * (1.0 + phi_star.abs()) {
        return None;
    }
    Some(((phi(reached)? - phi_star) / denom).max(0.0))
}

/// The relative greedy gap `(Φ(reached) − Φ*)/(Φ(w_0) − Φ*)` from the exact
/// analysis with isolation width 2^-bits, "reached" meaning the α → 0 flow
/// from `w_0` ([`GreedyAnalysis::flow_reached`]). The value is the midpoint
/// of rigorous enclosures; it is 0 unless the gap is certified positive.
pub fn relative_greedy_gap(inst: &Instance, bits: u32) -> Result<f64> {
    require_two_domains(inst)?;
    let opt = optimum(
        inst,
        &OptimumOptions {
            bits,
            ..OptimumOptions::default()
        },
    )?;
    let phi_star = phi_star_enclosure(&opt);
    let ga = greedy_analysis(inst, &phi_star, bits)?;
    let gap = &ga.fixed_points[ga.flow_reached].gap;
    if gap.lo.cmp0() != Ordering::Greater {
        return Ok(0.0);
    }
    let p: Problem<Rational> = Problem::new(inst, &());
    let start = Enclosure::exact(p.phi(&inst.w0)?).minus(&phi_star);
    if start.hi.cmp0() != Ordering::Greater {
        return Ok(0.0);
    }
    Ok((gap.mid() / start.mid()).to_f64())
}

/// α for the greedy run of a found instance: the largest `2^-k` (k ≤ 40)
/// with `α · max|D'| ≤ 1` (finite differences on a grid), so that
/// `s ↦ s − αD(s)/2` is increasing and pgd follows the flow.
fn choose_alpha(inst: &Instance) -> Rational {
    let p: Problem<f64> = Problem::new(inst, &());
    let n = 512;
    let ds: Vec<f64> = (0..=n)
        .map(|j| greedy_direction(&p, &(j as f64 / n as f64)).unwrap_or(0.0))
        .collect();
    let slope = ds
        .windows(2)
        .map(|w| ((w[1] - w[0]) * n as f64).abs())
        .fold(0.0f64, f64::max);
    let mut k = 0u32;
    while k < 40 && slope * 0.5f64.powi(k as i32) > 1.0 {
        k += 1;
    }
    Rational::from(1) >> k
}

/// Searches random small-integer two-domain instances for one where greedy
/// fails badly, and returns the best (see [`search_detailed`]).
pub fn search(opts: &SearchOptions) -> Result<Instance> {
    Ok(search_detailed(opts)?.instance)
}

/// Draws `candidates` random instances (d ∈ 1..=max_dim, diagonal or dense,
/// `A_i = BᵀB + I` or a diagonal of 1..9, `A_0 = CᵀC` or a diagonal of
/// 0..3, entries of B, C in −2..2, of the b's in −3..3,
/// `η = 1/(1 + max tr A_i)`, `w_0` uniform), scores each by the f64
/// screening of the relative greedy gap, gives the best `exact_top` the
/// exact analysis ([`relative_greedy_gap`]) and keeps the best. Then, if
/// asked, shrinks it: a simpler neighbour (drop a dimension, zero an
/// off-diagonal pair, an entry one step toward 0) is accepted when it is
/// valid and both its screened and its exact score stay ≥ 90% of the best
/// score before shrinking; repeated until no neighbour qualifies or
/// `max_shrink_steps`. Deterministic in the seed. Fails when no candidate
/// has a certified positive gap.
pub fn search_detailed(opts: &SearchOptions) -> Result<SearchOutcome> {
    const EXACT_BITS: u32 = 64;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let name = format!("search-seed-{}", opts.seed);
    let mut screened: Vec<(f64, Gen)> = Vec::new();
    for _ in 0..opts.candidates {
        let g = Gen::random(&mut rng, opts.max_dim);
        let Some(inst) = g.instance(&name) else {
            continue;
        };
        if let Some(score) = screen(&inst) {
            if score > 0.0 {
                screened.push((score, g));
            }
        }
    }
    screened.sort_by(|x, y| y.0.total_cmp(&x.0));
    let mut best: Option<(f64, Gen)> = None;
    for (_, g) in screened.into_iter().take(opts.exact_top.max(1)) {
        let inst = g.instance(&name).expect("screened instances are valid");
        let score = relative_greedy_gap(&inst, EXACT_BITS)?;
        if score > 0.0 && best.as_ref().is_none_or(|b| score > b.0) {
            best = Some((score, g));
        }
    }
    let (best_score, mut g) = best.ok_or_else(|| {
        Error::Unsupported(format!(
            "search (seed {}, {} candidates) found no instance where greedy provably fails; \
             try more candidates or another seed",
            opts.seed, opts.candidates
        ))
    })?;
    let mut score = best_score;
    let threshold = 0.9 * best_score;
    let mut steps = 0;
    if opts.shrink {
        'outer: while steps < opts.max_shrink_steps {
            for cand in g.shrinks() {
                let Some(inst) = cand.instance(&name) else {
                    continue;
                };
                if screen(&inst).is_none_or(|s| s < threshold) {
                    continue;
                }
                let exact = relative_greedy_gap(&inst, EXACT_BITS)?;
                if exact >= threshold {
                    g = cand;
                    score = exact;
                    steps += 1;
                    continue 'outer;
                }
            }
            break;
        }
    }
    let mut instance = g.instance(&name).expect("accepted instances are valid");
    instance.alpha = Some(choose_alpha(&instance));
    Ok(SearchOutcome {
        instance,
        score,
        best_before_shrink: best_score,
        candidates: opts.candidates,
        shrink_steps: steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals() {
        assert_eq!(plain("1.3466"), "1.3466");
        assert_eq!(plain("1.5000000e-70"), "1.5e-70");
        assert_eq!(plain("5.0000000e-1"), "0.5");
        assert_eq!(plain("1.2346e-4"), "0.00012346");
        assert_eq!(plain("123456.70"), "123456.7");
        assert_eq!(plain("-2.5e1"), "-25");
        assert_eq!(plain("0"), "0");
    }

    #[test]
    fn directed_decimals_enclose() {
        let q = Rational::from((2, 3));
        let lo = crate::num::parse_rational(&decimal(&q, 5, Round::Down)).unwrap();
        let hi = crate::num::parse_rational(&decimal(&q, 5, Round::Up)).unwrap();
        assert!(lo < q && q < hi);
    }
}
