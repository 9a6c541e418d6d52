//! Polynomials over Q and exact real-root isolation on [0, 1] (used by the
//! certified two-domain analyses, SPEC §1 and §4.2–4.3).
//!
//! Coefficients are exact rationals in increasing degree. Roots are isolated
//! with a Sturm sequence of the square-free part and refined by bisection
//! with exact sign evaluations, so every statement about a root is exact:
//! either the root itself (a rational hit exactly) or an interval `(a, b)`
//! whose ends are not roots and which contains exactly one root.

use rug::Rational;

use crate::linalg::Matrix;

/// A polynomial `Σ_k c_k x^k` over Q, coefficients in increasing degree,
/// without trailing zeros (the zero polynomial has no coefficients).
#[derive(Clone, Debug, PartialEq)]
pub struct Poly(pub Vec<Rational>);

impl Poly {
    /// Drops trailing zero coefficients.
    pub fn trim(mut self) -> Self {
        while self.0.last().is_some_and(|c| c.is_zero()) {
            self.0.pop();
        }
        self
    }
    /// True for the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    /// Degree (0 for constants and for the zero polynomial).
    pub fn degree(&self) -> usize {
        self.0.len().saturating_sub(1)
    }
    /// Leading coefficient; panics on the zero polynomial.
    pub fn lead(&self) -> &Rational {
        self.0.last().expect("nonzero polynomial")
    }
    /// `p(x)`, exactly (Horner).
    pub fn eval(&self, x: &Rational) -> Rational {
        let mut acc = Rational::new();
        for c in self.0.iter().rev() {
            acc *= x;
            acc += c;
        }
        acc
    }
    /// `p'`.
    pub fn derivative(&self) -> Poly {
        Poly(
            self.0
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, c)| Rational::from(c * k as u64))
                .collect(),
        )
        .trim()
    }
    /// `p · o`.
    pub fn mul(&self, o: &Poly) -> Poly {
        if self.is_zero() || o.is_zero() {
            return Poly(vec![]);
        }
        let mut out = vec![Rational::new(); self.0.len() + o.0.len() - 1];
        for (i, a) in self.0.iter().enumerate() {
            for (j, b) in o.0.iter().enumerate() {
                out[i + j] += Rational::from(a * b);
            }
        }
        Poly(out).trim()
    }
    /// `p − o`.
    pub fn sub(&self, o: &Poly) -> Poly {
        let n = self.0.len().max(o.0.len());
        let z = Rational::new();
        Poly(
            (0..n)
                .map(|k| Rational::from(self.0.get(k).unwrap_or(&z) - o.0.get(k).unwrap_or(&z)))
                .collect(),
        )
        .trim()
    }
    /// `c · p`.
    pub fn scale(&self, c: &Rational) -> Poly {
        Poly(self.0.iter().map(|x| Rational::from(x * c)).collect()).trim()
    }
    /// Quotient and remainder of division by a nonzero `o`.
    pub fn div_rem(&self, o: &Poly) -> (Poly, Poly) {
        let mut r = self.clone();
        let mut q = vec![Rational::new(); self.0.len().saturating_sub(o.degree())];
        while !r.is_zero() && r.degree() >= o.degree() {
            let shift = r.degree() - o.degree();
            let f = Rational::from(r.lead() / o.lead());
            for (k, c) in o.0.iter().enumerate() {
                r.0[k + shift] -= Rational::from(&f * c);
            }
            q[shift] = f;
            r.0.pop();
            r = r.trim();
        }
        (Poly(q).trim(), r)
    }
    /// Remainder of division by a nonzero `o`.
    pub fn rem(&self, o: &Poly) -> Poly {
        self.div_rem(o).1
    }
    /// Quotient of division by a nonzero `o` (callers divide exactly).
    pub fn div(&self, o: &Poly) -> Poly {
        self.div_rem(o).0
    }
    /// Scaled by a positive constant so the leading coefficient is ±1: the
    /// signs, hence Sturm sign variations, are unchanged, the sizes contained.
    pub fn normalized(&self) -> Poly {
        let l = Rational::from(self.lead().abs_ref());
        Poly(self.0.iter().map(|c| Rational::from(c / &l)).collect())
    }
    /// A greatest common divisor, normalized (leading coefficient ±1).
    pub fn gcd(&self, o: &Poly) -> Poly {
        let (mut a, mut b) = (self.clone(), o.clone());
        while !b.is_zero() {
            let r = a.rem(&b);
            a = b;
            b = if r.is_zero() { r } else { r.normalized() };
        }
        a.normalized()
    }
    /// `Σ_k k |c_k|`: a bound on `|p'|` over [0, 1].
    pub fn derivative_bound(&self) -> Rational {
        self.0
            .iter()
            .enumerate()
            .map(|(k, c)| Rational::from(c.abs_ref()) * k as u64)
            .sum()
    }
    /// `Σ_k |c_k|`: a bound on `|p|` over [0, 1] (indeed over [−1, 1]).
    pub fn abs_bound(&self) -> Rational {
        self.0.iter().map(|c| Rational::from(c.abs_ref())).sum()
    }
}

/// The coefficients of the polynomial of degree < n through `(x_j, y_j)`,
/// `j < n`, for distinct nodes `x_j`: an exact Vandermonde solve.
pub fn interpolate(xs: &[Rational], ys: &[Rational]) -> Poly {
    let n = xs.len();
    let rows: Vec<Vec<Rational>> = xs
        .iter()
        .map(|x| {
            let mut row = Vec::with_capacity(n);
            let mut p = Rational::from(1);
            for _ in 0..n {
                row.push(p.clone());
                p *= x;
            }
            row
        })
        .collect();
    let v = Matrix::from_rows(rows).expect("square");
    Poly(
        v.solve(ys)
            .expect("distinct nodes give an invertible Vandermonde matrix"),
    )
    .trim()
}

/// A Sturm sequence `p_0 = p, p_1 = p', p_{k+1} = −rem(p_{k−1}, p_k)`,
/// each term normalized. The number of distinct real roots of `p` in
/// `(a, b]` is `V(a) − V(b)`, V counting sign variations.
pub struct Sturm(pub Vec<Poly>);

impl Sturm {
    /// The Sturm sequence of a nonconstant `p`.
    pub fn new(p: &Poly) -> Sturm {
        let mut seq = vec![p.normalized(), p.derivative().normalized()];
        loop {
            let n = seq.len();
            let r = seq[n - 2].rem(&seq[n - 1]);
            if r.is_zero() {
                break;
            }
            seq.push(r.scale(&Rational::from(-1)).normalized());
        }
        Sturm(seq)
    }
    /// Sign variations `V(x)` of the sequence at `x` (zeros skipped).
    pub fn variations(&self, x: &Rational) -> usize {
        let mut count = 0;
        let mut last = std::cmp::Ordering::Equal;
        for p in &self.0 {
            let s = p.eval(x).cmp0();
            if s == std::cmp::Ordering::Equal {
                continue;
            }
            if last != std::cmp::Ordering::Equal && s != last {
                count += 1;
            }
            last = s;
        }
        count
    }
}

/// A real root located exactly: the rational itself, or an open interval
/// `(a, b)` whose ends are not roots and which holds exactly one root.
#[derive(Clone, Debug, PartialEq)]
pub enum Root {
    /// The root, exactly.
    Exact(Rational),
    /// The unique root in `(a, b)`.
    Isolated(Rational, Rational),
}

/// Distinct real roots of `q` in [0, 1]: the ones met exactly (0, 1 and
/// dyadic bisection points) as [`Root::Exact`], the others each in an
/// isolating interval of width ≤ 2^-bits. `q` must be nonzero.
pub fn roots_in_unit_interval(q: &Poly, bits: u32) -> Vec<Root> {
    let mut roots = Vec::new();
    // Square-free part: every root simple, so every isolated root changes sign.
    let g = q.gcd(&q.derivative());
    let mut p = q.div(&g).normalized();
    'restart: loop {
        if p.degree() == 0 {
            return roots;
        }
        for x in [Rational::new(), Rational::from(1)] {
            if p.eval(&x).is_zero() {
                p = p.div(&Poly(vec![-x.clone(), Rational::from(1)]));
                roots.push(Root::Exact(x));
                continue 'restart;
            }
        }
        let sturm = Sturm::new(&p);
        let mut stack = vec![(Rational::new(), Rational::from(1))];
        let mut isolated = Vec::new();
        while let Some((a, b)) = stack.pop() {
            let n = sturm.variations(&a).saturating_sub(sturm.variations(&b));
            if n == 0 {
                continue;
            }
            if n == 1 {
                isolated.push((a, b));
                continue;
            }
            let mid = Rational::from(&a + &b) / 2u32;
            if p.eval(&mid).is_zero() {
                p = p.div(&Poly(vec![-mid.clone(), Rational::from(1)]));
                roots.push(Root::Exact(mid));
                continue 'restart;
            }
            stack.push((a, mid.clone()));
            stack.push((mid, b));
        }
        // Refine each isolated simple root by sign bisection.
        let width = Rational::from((1, 1)) >> bits;
        for (mut a, mut b) in isolated {
            let sa = p.eval(&a).cmp0();
            loop {
                if Rational::from(&b - &a) <= width {
                    roots.push(Root::Isolated(a, b));
                    break;
                }
                let mid = Rational::from(&a + &b) / 2u32;
                let sm = p.eval(&mid).cmp0();
                if sm == std::cmp::Ordering::Equal {
                    roots.push(Root::Exact(mid));
                    break;
                }
                if sm == sa {
                    a = mid;
                } else {
                    b = mid;
                }
            }
        }
        return roots;
    }
}

/// The simplest rational (smallest denominator, then smallest numerator) in
/// the open interval `(a, b)`, `0 ≤ a < b`. If a rational `p/q` lies in
/// `(a, b)` and `q² < 1/(b − a)`, it is this one: another fraction `p'/q'`
/// with `q' ≤ q` in the interval would be within `b − a < 1/q²` of `p/q`,
/// while two distinct fractions differ by at least `1/(q q') ≥ 1/q²`.
pub fn simplest_between(a: &Rational, b: &Rational) -> Rational {
    assert!(a.cmp0() != std::cmp::Ordering::Less && a < b);
    // Continued fractions: (a, b) = n + (a', b') with n = ⌊a⌋.
    let n = a.clone().floor();
    let next = Rational::from(&n + 1u32);
    if &next < b {
        return next;
    }
    let a1 = Rational::from(a - &n);
    let b1 = Rational::from(b - &n);
    if a1.is_zero() {
        // (0, b1] with b1 ≤ 1: 1/k with the smallest k such that 1/k < b1.
        let k = Rational::from(b1.recip_ref()).floor() + 1u32;
        return n + k.recip();
    }
    // x ∈ (a1, b1) ⟺ 1/x ∈ (1/b1, 1/a1).
    let inner = simplest_between(&b1.recip(), &a1.recip());
    n + inner.recip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_recovers_a_polynomial_exactly() {
        let p = Poly(vec![
            Rational::from(3),
            Rational::from((-1, 2)),
            Rational::from(5),
        ]);
        let xs: Vec<Rational> = (0..4).map(Rational::from).collect();
        let ys: Vec<Rational> = xs.iter().map(|x| p.eval(x)).collect();
        assert_eq!(interpolate(&xs, &ys), p);
    }

    #[test]
    fn sturm_isolates_close_roots() {
        // (s − 1/3)(s − 1/3 − 2^-40)(s − 3/4): three distinct roots, two
        // nearly equal.
        let r1 = Rational::from((1, 3));
        let r2 = r1.clone() + (Rational::from(1) >> 40);
        let lin = |r: &Rational| Poly(vec![-r.clone(), Rational::from(1)]);
        let p = lin(&r1).mul(&lin(&r2)).mul(&lin(&Rational::from((3, 4))));
        let roots = roots_in_unit_interval(&p, 64);
        assert_eq!(roots.len(), 3);
        for root in roots {
            match root {
                Root::Exact(x) => assert!(p.eval(&x).is_zero()),
                Root::Isolated(a, b) => {
                    assert_ne!(p.eval(&a).cmp0(), p.eval(&b).cmp0());
                }
            }
        }
    }

    #[test]
    fn simplest_rational_in_an_interval() {
        let q = |n: i64, d: i64| Rational::from((n, d));
        assert_eq!(simplest_between(&q(3, 10), &q(4, 10)), q(1, 3));
        assert_eq!(simplest_between(&q(0, 1), &q(1, 5)), q(1, 6));
        assert_eq!(simplest_between(&q(1, 2), &q(2, 1)), q(1, 1));
        let r = q(5, 17);
        let eps = Rational::from(1) >> 30;
        assert_eq!(
            simplest_between(&Rational::from(&r - &eps), &Rational::from(&r + &eps)),
            r
        );
    }
}
