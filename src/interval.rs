//! A rigorous interval backend: closed intervals `[lo, hi]` with MPFR
//! endpoints and outward rounding (the lower end rounded down, the upper end
//! rounded up), so that every solver written against [`Scalar`] /
//! [`Transcendental`] runs on it unchanged and every computed value is an
//! *enclosure* of the value exact arithmetic (exact `exp`, `ln`, `√`) would
//! have produced along the same branches.
//!
//! # What is rigorous
//!
//! `+ − × ÷`, negation, `abs`, `exp`, `ln`, `√`, conversion from a rational
//! ([`Scalar::from_rational`]) and from an `f64` are inclusion-monotone and
//! rounded outward with MPFR's directed rounding, so the result contains the
//! exact result for every choice of points in the operands. [`Scalar::to_text`]
//! rounds the decimal ends outward too.
//!
//! # What can raise an error (never a silent guess)
//!
//! An operation whose result is not determined by the enclosures records an
//! [`IntervalError`] in a thread-local "first error" slot and returns a
//! harmless placeholder so the computation can unwind normally:
//!
//! | operation                                   | error                                   | placeholder        |
//! |---------------------------------------------|-----------------------------------------|--------------------|
//! | `x / y` with `0 ∈ y`                        | [`IntervalError::DivisionByZeroInterval`] | `[−∞, +∞]`         |
//! | `<`, `≤`, `>`, `≥`, `partial_cmp`, `==` on overlapping intervals that the enclosures cannot decide | [`IntervalError::UndecidableComparison`] | `false` / `None` |
//! | `ln` of an interval not inside `(0, ∞)`     | [`IntervalError::Domain`] (`op = "ln"`)   | `[−∞, +∞]`         |
//! | `sqrt` ([`Transcendental::sqrt`]) of an interval reaching below 0 | [`IntervalError::Domain`] (`op = "sqrt"`) | `[−∞, +∞]` |
//!
//! [`Scalar::sqrt_checked`] returns `None` instead of recording. Comparisons
//! decide whatever the enclosures prove: `a < b` is `true` when
//! `a.hi < b.lo`, `false` when `a.lo ≥ b.hi`, and undecidable otherwise;
//! `partial_cmp` is `Some(Less/Greater)` only for disjoint intervals and
//! `Some(Equal)` only for the same point. So a branch taken on intervals is
//! always the branch exact arithmetic takes — or the run records an error.
//!
//! The runner clears the slot before an interval run and turns a recorded
//! error into [`Error::Unsupported`] afterwards ([`guarded`], and
//! [`guarded_parallel`] for the parallel sweep), whatever the run itself
//! returned: interval runs never silently succeed with a guessed branch.
//!
//! # What is not rigorous
//!
//! [`Scalar::to_f64`] and [`Scalar::to_rational`] give the *midpoint* (for
//! display, plots and fits), not an enclosure. Solvers that pivot by
//! comparing magnitudes ([`crate::linalg::Matrix::solve`]) work on intervals
//! only when the comparisons are decidable; the model uses the pivot-free
//! [`crate::linalg::Matrix::solve_spd`].
//!
//! # Text
//!
//! The text form is `[lo;hi]`: both ends are decimals (or `inf`/`-inf`)
//! readable by [`crate::num::parse_rational`], `lo` rounded down and `hi`
//! rounded up. The separator is `;` rather than `,` so that interval values
//! can stand in the comma-separated trace files unquoted. The text as a whole
//! is *not* a number for `parse_rational`; read it with [`parse_interval_text`].

use std::cell::RefCell;
use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use rug::float::{Round, Special};
use rug::{Float, Rational};

use crate::error::{Error, Result};
use crate::num::{parse_rational, rational_to_f64_nearest, Scalar, Transcendental};

/// An operation whose result the enclosures do not determine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntervalError {
    /// A division by an interval that contains 0.
    #[error("division by an interval that contains 0")]
    DivisionByZeroInterval,
    /// A comparison of overlapping intervals.
    #[error("a comparison of overlapping intervals could not be decided")]
    UndecidableComparison,
    /// A function applied to an interval that leaves its domain.
    #[error("{op} of an interval that is not inside its domain")]
    Domain {
        /// The function (`ln`, `sqrt`).
        op: &'static str,
    },
}

thread_local! {
    static FIRST_ERROR: RefCell<Option<IntervalError>> = const { RefCell::new(None) };
}

/// Records `e` unless an earlier error is already recorded on this thread.
fn record(e: IntervalError) {
    FIRST_ERROR.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    });
}

/// The first interval error recorded on this thread since the last
/// [`clear_interval_error`] / `take_interval_error`, and clears the slot.
pub fn take_interval_error() -> Option<IntervalError> {
    FIRST_ERROR.with(|slot| slot.borrow_mut().take())
}

/// Forgets any recorded interval error on this thread.
pub fn clear_interval_error() {
    FIRST_ERROR.with(|slot| *slot.borrow_mut() = None);
}

/// The library error for a recorded interval error.
pub fn to_error(e: &IntervalError) -> Error {
    Error::Unsupported(format!(
        "interval backend: {e} (the enclosure could not decide the operation, so the run \
         stops instead of guessing); raise the precision (interval:BITS) or shorten the run"
    ))
}

/// Runs `f` (an interval computation on this thread) with a clear error
/// slot; a recorded interval error wins over `f`'s own result, which may be
/// a consequence of the placeholder values.
pub fn guarded<R>(f: impl FnOnce() -> Result<R>) -> Result<R> {
    clear_interval_error();
    let out = f();
    match take_interval_error() {
        Some(e) => Err(to_error(&e)),
        None => out,
    }
}

/// [`guarded`] for a computation that uses rayon: `f` runs in a dedicated
/// thread pool, and the error slots of all its threads are cleared before
/// and collected after.
pub fn guarded_parallel<R: Send>(f: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(rayon::current_num_threads().max(1))
        .build()
        .map_err(|e| Error::Unsupported(format!("interval backend: cannot start threads: {e}")))?;
    clear_interval_error();
    pool.broadcast(|_| clear_interval_error());
    let out = pool.install(|| {
        clear_interval_error();
        let out = f();
        (out, take_interval_error())
    });
    let mut errors = pool.broadcast(|_| take_interval_error());
    errors.push(out.1);
    errors.push(take_interval_error());
    match errors.into_iter().flatten().next() {
        Some(e) => Err(to_error(&e)),
        None => out.0,
    }
}

/// A closed interval `[lo, hi]` with MPFR endpoints (see the module docs).
#[derive(Clone, Debug)]
pub struct Interval {
    lo: Float,
    hi: Float,
}

fn down<T>(prec: u32, v: T) -> Float
where
    Float: rug::ops::AssignRound<T, Round = Round, Ordering = Ordering>,
{
    Float::with_val_round(prec, v, Round::Down).0
}

fn up<T>(prec: u32, v: T) -> Float
where
    Float: rug::ops::AssignRound<T, Round = Round, Ordering = Ordering>,
{
    Float::with_val_round(prec, v, Round::Up).0
}

impl Interval {
    /// `[lo, hi]`; `None` unless `lo ≤ hi` (so not for NaN ends).
    pub fn new(lo: Float, hi: Float) -> Option<Self> {
        (lo <= hi).then_some(Interval { lo, hi })
    }

    /// The point interval `[x, x]`.
    pub fn point(x: Float) -> Self {
        Interval {
            lo: x.clone(),
            hi: x,
        }
    }

    /// The whole line `[−∞, +∞]` at precision `prec`.
    pub fn entire(prec: u32) -> Self {
        Interval {
            lo: Float::with_val(prec, Special::NegInfinity),
            hi: Float::with_val(prec, Special::Infinity),
        }
    }

    /// Lower end.
    pub fn lo(&self) -> &Float {
        &self.lo
    }

    /// Upper end.
    pub fn hi(&self) -> &Float {
        &self.hi
    }

    /// `hi − lo`, rounded up.
    pub fn width(&self) -> Float {
        up(self.prec(), &self.hi - &self.lo)
    }

    /// `lo ≤ q ≤ hi`, decided exactly.
    pub fn contains(&self, q: &Rational) -> bool {
        self.lo <= *q && self.hi >= *q
    }

    /// True when `0 ∈ [lo, hi]`.
    pub fn contains_zero(&self) -> bool {
        self.lo.cmp0() != Some(Ordering::Greater) && self.hi.cmp0() != Some(Ordering::Less)
    }

    /// Precision of the ends in bits.
    pub fn prec(&self) -> u32 {
        self.lo.prec().max(self.hi.prec())
    }

    /// Builds from computed ends; NaN ends (from ∞ − ∞ or 0·∞ on already
    /// unbounded enclosures) give the whole line.
    fn make(lo: Float, hi: Float) -> Self {
        if lo.is_nan() || hi.is_nan() {
            let p = lo.prec().max(hi.prec());
            return Self::entire(p);
        }
        Interval { lo, hi }
    }

    fn prec2(&self, other: &Interval) -> u32 {
        self.prec().max(other.prec())
    }

    fn add_ref(&self, r: &Interval) -> Interval {
        let p = self.prec2(r);
        Self::make(down(p, &self.lo + &r.lo), up(p, &self.hi + &r.hi))
    }

    fn sub_ref(&self, r: &Interval) -> Interval {
        let p = self.prec2(r);
        Self::make(down(p, &self.lo - &r.hi), up(p, &self.hi - &r.lo))
    }

    fn mul_ref(&self, r: &Interval) -> Interval {
        let p = self.prec2(r);
        let ends = [
            (&self.lo, &r.lo),
            (&self.lo, &r.hi),
            (&self.hi, &r.lo),
            (&self.hi, &r.hi),
        ];
        let lows: Vec<Float> = ends.iter().map(|(a, b)| down(p, *a * *b)).collect();
        let highs: Vec<Float> = ends.iter().map(|(a, b)| up(p, *a * *b)).collect();
        min_max(lows, highs, p)
    }

    fn div_ref(&self, r: &Interval) -> Interval {
        let p = self.prec2(r);
        if r.contains_zero() || r.lo.is_nan() || r.hi.is_nan() {
            record(IntervalError::DivisionByZeroInterval);
            return Self::entire(p);
        }
        let ends = [
            (&self.lo, &r.lo),
            (&self.lo, &r.hi),
            (&self.hi, &r.lo),
            (&self.hi, &r.hi),
        ];
        let lows: Vec<Float> = ends.iter().map(|(a, b)| down(p, *a / *b)).collect();
        let highs: Vec<Float> = ends.iter().map(|(a, b)| up(p, *a / *b)).collect();
        min_max(lows, highs, p)
    }

    /// `self < other` where the enclosures decide it: `Some(true)` when
    /// `hi < other.lo`, `Some(false)` when `lo ≥ other.hi`, `None` otherwise
    /// (nothing is recorded).
    pub fn certainly_lt(&self, other: &Interval) -> Option<bool> {
        if self.hi < other.lo {
            Some(true)
        } else if self.lo >= other.hi {
            Some(false)
        } else {
            None
        }
    }

    /// `self ≤ other` where the enclosures decide it (nothing is recorded).
    pub fn certainly_le(&self, other: &Interval) -> Option<bool> {
        if self.hi <= other.lo {
            Some(true)
        } else if self.lo > other.hi {
            Some(false)
        } else {
            None
        }
    }

    fn is_point_equal(&self, other: &Interval) -> bool {
        self.lo == self.hi && other.lo == other.hi && self.lo == other.lo
    }
}

/// `[min lows, max highs]`; a NaN anywhere gives the whole line.
fn min_max(lows: Vec<Float>, highs: Vec<Float>, p: u32) -> Interval {
    if lows.iter().chain(&highs).any(Float::is_nan) {
        return Interval::entire(p);
    }
    let lo = lows
        .into_iter()
        .reduce(|a, b| if b < a { b } else { a })
        .expect("four products");
    let hi = highs
        .into_iter()
        .reduce(|a, b| if b > a { b } else { a })
        .expect("four products");
    Interval { lo, hi }
}

/// Reads the text form `[lo;hi]` of [`Scalar::to_text`] back as the exact
/// rational ends; `None` for anything else (including infinite ends).
pub fn parse_interval_text(text: &str) -> Option<(Rational, Rational)> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    let (lo, hi) = inner.split_once(';')?;
    let lo = parse_rational(lo.trim()).ok()?;
    let hi = parse_rational(hi.trim()).ok()?;
    (lo <= hi).then_some((lo, hi))
}

// ---------------------------------------------------------------------------
// Operators.
// ---------------------------------------------------------------------------

macro_rules! binop {
    ($tr:ident, $m:ident, $atr:ident, $am:ident, $f:ident) => {
        impl $tr<Interval> for Interval {
            type Output = Interval;
            fn $m(self, r: Interval) -> Interval {
                self.$f(&r)
            }
        }
        impl<'a> $tr<&'a Interval> for Interval {
            type Output = Interval;
            fn $m(self, r: &'a Interval) -> Interval {
                self.$f(r)
            }
        }
        impl<'a> $tr<&'a Interval> for &'a Interval {
            type Output = Interval;
            fn $m(self, r: &'a Interval) -> Interval {
                self.$f(r)
            }
        }
        impl $atr<Interval> for Interval {
            fn $am(&mut self, r: Interval) {
                *self = self.$f(&r);
            }
        }
        impl<'a> $atr<&'a Interval> for Interval {
            fn $am(&mut self, r: &'a Interval) {
                *self = self.$f(r);
            }
        }
    };
}

binop!(Add, add, AddAssign, add_assign, add_ref);
binop!(Sub, sub, SubAssign, sub_assign, sub_ref);
binop!(Mul, mul, MulAssign, mul_assign, mul_ref);
binop!(Div, div, DivAssign, div_assign, div_ref);

impl Neg for Interval {
    type Output = Interval;
    fn neg(self) -> Interval {
        Interval {
            lo: -self.hi,
            hi: -self.lo,
        }
    }
}

// ---------------------------------------------------------------------------
// Comparisons: decided by the enclosures, or recorded as undecidable.
// ---------------------------------------------------------------------------

impl PartialEq for Interval {
    /// `true` for the same point, `false` for disjoint intervals; otherwise
    /// records [`IntervalError::UndecidableComparison`] and returns `false`.
    fn eq(&self, other: &Interval) -> bool {
        if self.is_point_equal(other) {
            true
        } else if self.hi < other.lo || self.lo > other.hi {
            false
        } else {
            record(IntervalError::UndecidableComparison);
            false
        }
    }
}

impl PartialOrd for Interval {
    /// `Less`/`Greater` for disjoint intervals, `Equal` for the same point;
    /// otherwise records [`IntervalError::UndecidableComparison`] and
    /// returns `None`.
    fn partial_cmp(&self, other: &Interval) -> Option<Ordering> {
        if self.hi < other.lo {
            Some(Ordering::Less)
        } else if self.lo > other.hi {
            Some(Ordering::Greater)
        } else if self.is_point_equal(other) {
            Some(Ordering::Equal)
        } else {
            record(IntervalError::UndecidableComparison);
            None
        }
    }
    fn lt(&self, other: &Interval) -> bool {
        decided(self.certainly_lt(other))
    }
    fn le(&self, other: &Interval) -> bool {
        decided(self.certainly_le(other))
    }
    fn gt(&self, other: &Interval) -> bool {
        decided(other.certainly_lt(self))
    }
    fn ge(&self, other: &Interval) -> bool {
        decided(other.certainly_le(self))
    }
}

fn decided(answer: Option<bool>) -> bool {
    answer.unwrap_or_else(|| {
        record(IntervalError::UndecidableComparison);
        false
    })
}

// ---------------------------------------------------------------------------
// The numeric traits.
// ---------------------------------------------------------------------------

impl Scalar for Interval {
    /// Precision of the ends in bits.
    type Ctx = u32;

    fn backend_name(prec: &u32) -> String {
        format!("interval:{prec}")
    }
    /// The smallest interval of `prec`-bit ends that contains `q`.
    fn from_rational(q: &Rational, prec: &u32) -> Self {
        Interval {
            lo: down(*prec, q),
            hi: up(*prec, q),
        }
    }
    fn from_i64(n: i64, prec: &u32) -> Self {
        Interval {
            lo: down(*prec, n),
            hi: up(*prec, n),
        }
    }
    /// Exact when `prec ≥ 53`; otherwise the enclosing interval.
    fn from_f64(x: f64, prec: &u32) -> Self {
        Interval {
            lo: down(*prec, x),
            hi: up(*prec, x),
        }
    }
    /// The midpoint, rounded to nearest (not an enclosure).
    fn to_f64(&self) -> f64 {
        match self.to_rational() {
            Some(m) => rational_to_f64_nearest(&m),
            None => (self.lo.to_f64() + self.hi.to_f64()) / 2.0,
        }
    }
    /// The exact midpoint (not an enclosure); `None` for an unbounded interval.
    fn to_rational(&self) -> Option<Rational> {
        let lo = self.lo.to_rational()?;
        let hi = self.hi.to_rational()?;
        Some((lo + hi) / 2u32)
    }
    /// `[lo;hi]` with decimal ends rounded outward (see the module docs).
    fn to_text(&self) -> String {
        format!(
            "[{};{}]",
            self.lo.to_string_radix_round(10, None, Round::Down),
            self.hi.to_string_radix_round(10, None, Round::Up)
        )
    }
    fn abs(&self) -> Self {
        if self.lo.cmp0() != Some(Ordering::Less) {
            self.clone()
        } else if self.hi.cmp0() != Some(Ordering::Greater) {
            -self.clone()
        } else {
            let nl = Float::with_val(self.lo.prec(), -&self.lo);
            let hi = if nl > self.hi { nl } else { self.hi.clone() };
            Interval {
                lo: Float::new(self.prec()),
                hi,
            }
        }
    }
    /// Exactly `[0, 0]`.
    fn is_zero(&self) -> bool {
        self.lo.is_zero() && self.hi.is_zero()
    }
    /// Both ends finite.
    fn is_finite(&self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
    /// `None` when the interval reaches below 0 (nothing is recorded).
    fn sqrt_checked(&self) -> Option<Self> {
        if self.lo.cmp0() == Some(Ordering::Less) || self.lo.is_nan() {
            return None;
        }
        let p = self.prec();
        Some(Interval {
            lo: down(p, self.lo.sqrt_ref()),
            hi: up(p, self.hi.sqrt_ref()),
        })
    }
}

impl Transcendental for Interval {
    /// `[exp(lo)↓, exp(hi)↑]`.
    fn exp(&self) -> Self {
        let p = self.prec();
        Self::make(down(p, self.lo.exp_ref()), up(p, self.hi.exp_ref()))
    }
    /// `[ln(lo)↓, ln(hi)↑]`; records a domain error unless `lo > 0`.
    fn ln(&self) -> Self {
        let p = self.prec();
        if self.lo.cmp0() != Some(Ordering::Greater) {
            record(IntervalError::Domain { op: "ln" });
            return Self::entire(p);
        }
        Self::make(down(p, self.lo.ln_ref()), up(p, self.hi.ln_ref()))
    }
    /// `[√lo↓, √hi↑]`; records a domain error unless `lo ≥ 0`.
    fn sqrt(&self) -> Self {
        self.sqrt_checked().unwrap_or_else(|| {
            record(IntervalError::Domain { op: "sqrt" });
            Self::entire(self.prec())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Rational {
        Rational::from((n, d))
    }

    #[test]
    fn third_is_enclosed_and_text_reads_back_outward() {
        clear_interval_error();
        let x = Interval::from_rational(&q(1, 3), &24);
        assert!(x.lo < q(1, 3) && x.hi > q(1, 3));
        let (lo, hi) = parse_interval_text(&x.to_text()).unwrap();
        assert!(lo <= x.lo.to_rational().unwrap() && hi >= x.hi.to_rational().unwrap());
        assert!(take_interval_error().is_none());
    }

    // The operators themselves are under test, negations included.
    #[allow(clippy::nonminimal_bool, clippy::neg_cmp_op_on_partial_ord)]
    #[test]
    fn comparisons_decide_or_record() {
        clear_interval_error();
        let p = 64;
        let a = Interval::from_i64(1, &p);
        let b = Interval::from_i64(2, &p);
        assert!(a < b && b > a && a <= b && a != b);
        assert_eq!(a.partial_cmp(&a.clone()), Some(Ordering::Equal));
        assert!(take_interval_error().is_none());
        let wide = Interval::new(Float::with_val(p, 0), Float::with_val(p, 3)).unwrap();
        assert!(!(wide < b));
        assert_eq!(
            take_interval_error(),
            Some(IntervalError::UndecidableComparison)
        );
        assert_eq!(wide.partial_cmp(&b), None);
        assert_eq!(
            take_interval_error(),
            Some(IntervalError::UndecidableComparison)
        );
    }
}
