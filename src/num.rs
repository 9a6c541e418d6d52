//! Numeric backends: one field-like trait ([`Scalar`]) every solver is written
//! against, and a second trait ([`Transcendental`]) for `exp`, `ln`, `sqrt`.
//!
//! The split is the point: the exponentiated-gradient update (SPEC §2, `eg`)
//! needs `exp`, which has no exact rational value, so it is bounded on
//! [`Transcendental`] and `Exact` does not implement that trait. Instantiating
//! `eg` on exact rationals is a compile error, not a run-time surprise.
//!
//! Backends:
//!
//! | type      | what                         | context                  |
//! |-----------|------------------------------|--------------------------|
//! | `f32`     | IEEE binary32                | none                     |
//! | `f64`     | IEEE binary64                | none                     |
//! | [`Mp`]    | MPFR float (`rug::Float`)    | precision in bits        |
//! | [`Exact`] | GMP rational (`rug::Rational`) | none                   |
//!
//! Values are created from a context ([`Scalar::Ctx`]) so that an MPFR
//! computation never silently changes precision: rug keeps the precision of
//! the left operand, and every value of one computation is made at one
//! precision.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rug::ops::Pow;
use rug::{Float, Integer, Rational};

use crate::error::NumberError;
use crate::linalg::Matrix;

/// Arbitrary-precision binary floating point (MPFR), precision chosen at run time.
pub type Mp = Float;
/// Exact rational arithmetic (GMP).
pub type Exact = Rational;

/// A field (or a faithful approximation of one) that the solvers run on.
///
/// Arithmetic is on owned values with a borrowed right-hand side
/// (`a.clone() + &b`), the shape that serves both `f64` and big numbers
/// without a `Copy` bound.
pub trait Scalar:
    Clone
    + Debug
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + for<'a> Add<&'a Self, Output = Self>
    + for<'a> Sub<&'a Self, Output = Self>
    + for<'a> Mul<&'a Self, Output = Self>
    + for<'a> Div<&'a Self, Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + for<'a> AddAssign<&'a Self>
    + for<'a> SubAssign<&'a Self>
    + for<'a> MulAssign<&'a Self>
{
    /// What is needed to create a value (the precision for [`Mp`]).
    type Ctx: Clone + Debug + Send + Sync + 'static;

    /// A short name of the backend in this context: `f64`, `mp:256`, `exact`.
    fn backend_name(ctx: &Self::Ctx) -> String;
    /// True when every field operation is exact (no rounding at all).
    fn is_exact() -> bool {
        false
    }
    /// The value of `q`, correctly rounded to nearest (ties to even) when
    /// the backend cannot hold it exactly.
    fn from_rational(q: &Rational, ctx: &Self::Ctx) -> Self;
    /// A small integer.
    fn from_i64(n: i64, ctx: &Self::Ctx) -> Self {
        Self::from_rational(&Rational::from(n), ctx)
    }
    /// Zero.
    fn zero(ctx: &Self::Ctx) -> Self {
        Self::from_i64(0, ctx)
    }
    /// One.
    fn one(ctx: &Self::Ctx) -> Self {
        Self::from_i64(1, ctx)
    }
    /// Nearest `f64`, for display and plotting only.
    fn to_f64(&self) -> f64;
    /// The exact rational value of this number, or `None` for NaN/infinity.
    fn to_rational(&self) -> Option<Rational>;
    /// A text form that reads back to the same value: `p/q` on `Exact`,
    /// shortest round-trip decimal on `f32`/`f64`, all significant digits on
    /// `Mp`.
    fn to_text(&self) -> String;
    /// Absolute value.
    fn abs(&self) -> Self;
    /// True for an exact zero.
    fn is_zero(&self) -> bool;
    /// False for NaN and infinities.
    fn is_finite(&self) -> bool;
    /// Size in bits of the representation when it can grow (numerator plus
    /// denominator on `Exact`); `None` for fixed-size formats.
    fn bit_size(&self) -> Option<u64> {
        None
    }
    /// The larger of two values (the first on ties or NaN).
    fn max_of(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
    /// The value of a finite f64 (exact where the backend can hold it), used
    /// for Gaussian noise drawn in binary64 so every backend sees the same
    /// numbers (SPEC §2, stochastic gradients).
    fn from_f64(x: f64, ctx: &Self::Ctx) -> Self {
        Self::from_rational(&Rational::from_f64(x).expect("finite noise sample"), ctx)
    }
    /// `√x` where the backend has it (`None` on `Exact` unless `x` is a
    /// perfect square); the `invsqrt` step-size schedule needs it.
    fn sqrt_checked(&self) -> Option<Self>;
    /// Eigen-decomposition `A = Q diag(λ) Qᵀ` of a symmetric matrix, where
    /// the backend has a symmetric eigensolver (f32, f64). It enables the
    /// closed-form round of SPEC §4.4, whose cost does not grow with T;
    /// other backends run the iterative recursion, which stays the reference.
    fn sym_eigen(_a: &Matrix<Self>) -> Option<(Vec<Self>, Matrix<Self>)> {
        None
    }
}

/// Operations whose results are irrational in general: available on the
/// floating backends, deliberately not on [`Exact`].
pub trait Transcendental: Scalar {
    /// e^x.
    fn exp(&self) -> Self;
    /// Natural logarithm.
    fn ln(&self) -> Self;
    /// Square root.
    fn sqrt(&self) -> Self;
}

/// Which backend a computation runs on, as chosen on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// IEEE binary32.
    F32,
    /// IEEE binary64.
    F64,
    /// MPFR with this many bits of precision.
    Mp(u32),
    /// Exact rationals.
    Exact,
    /// Rigorous intervals with MPFR ends of this many bits, rounded outward
    /// ([`crate::interval::Interval`]).
    Interval(u32),
}

/// Smallest and largest MPFR precision accepted from the command line.
pub const MP_PREC_RANGE: (u32, u32) = (2, 1 << 20);

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "f32" => Ok(Backend::F32),
            "f64" => Ok(Backend::F64),
            "exact" => Ok(Backend::Exact),
            other => {
                let (prefix, bits) = if let Some(bits) = other.strip_prefix("mp:") {
                    ("mp:", bits)
                } else if let Some(bits) = other.strip_prefix("interval:") {
                    ("interval:", bits)
                } else {
                    return Err(format!(
                        "unknown backend `{other}`: expected f32, f64, mp:BITS (e.g. mp:256), exact or interval:BITS (e.g. interval:256)"
                    ));
                };
                let bits: u32 = bits.parse().map_err(|_| {
                    format!("`{other}`: the precision after `{prefix}` must be a whole number of bits, e.g. {prefix}256")
                })?;
                if !(MP_PREC_RANGE.0..=MP_PREC_RANGE.1).contains(&bits) {
                    return Err(format!(
                        "`{other}`: precision must be between {} and {} bits",
                        MP_PREC_RANGE.0, MP_PREC_RANGE.1
                    ));
                }
                Ok(if prefix == "mp:" {
                    Backend::Mp(bits)
                } else {
                    Backend::Interval(bits)
                })
            }
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::F32 => write!(f, "f32"),
            Backend::F64 => write!(f, "f64"),
            Backend::Mp(b) => write!(f, "mp:{b}"),
            Backend::Exact => write!(f, "exact"),
            Backend::Interval(b) => write!(f, "interval:{b}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Reading numbers from text, exactly.
// ---------------------------------------------------------------------------

/// Reads a number exactly from its text: an integer (`-3`), a decimal
/// (`0.125`, `.5`), scientific notation (`1e-3`, `2.5E+4`) or a rational
/// `p/q` with integer `p`, `q` and `q ≠ 0`. Never goes through a binary float.
pub fn parse_rational(text: &str) -> Result<Rational, NumberError> {
    let s = text.trim();
    let bad = |reason: &str| NumberError {
        text: text.to_string(),
        reason: reason.to_string(),
    };
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if let Some((p, q)) = s.split_once('/') {
        let p = parse_integer(p.trim()).ok_or_else(|| bad("numerator is not an integer"))?;
        let q = parse_integer(q.trim()).ok_or_else(|| bad("denominator is not an integer"))?;
        if q == 0 {
            return Err(bad("denominator is zero"));
        }
        return Ok(Rational::from((p, q)));
    }
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(pos) => {
            let e = &s[pos + 1..];
            let e: i64 = parse_integer(e)
                .and_then(|e| e.to_i64())
                .ok_or_else(|| bad("exponent is not an integer"))?;
            if e.unsigned_abs() > 100_000 {
                return Err(bad("exponent is out of range (|e| > 100000)"));
            }
            (&s[..pos], e)
        }
        None => (s, 0),
    };
    let (negative, digits) = match mantissa.as_bytes().first() {
        Some(b'-') => (true, &mantissa[1..]),
        Some(b'+') => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad("no digits"));
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad(
            "expected an integer, a decimal, scientific notation or p/q",
        ));
    }
    let all_digits = format!("{int_part}{frac_part}");
    let numer = Integer::from_str(if all_digits.is_empty() {
        "0"
    } else {
        &all_digits
    })
    .map_err(|_| bad("unreadable digits"))?;
    let scale = exponent - frac_part.len() as i64;
    let ten = Integer::from(10);
    let mut q = if scale >= 0 {
        Rational::from(numer * ten.pow(scale as u32))
    } else {
        Rational::from((numer, ten.pow((-scale) as u32)))
    };
    if negative {
        q = -q;
    }
    Ok(q)
}

fn parse_integer(s: &str) -> Option<Integer> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Integer::from_str(s.strip_prefix('+').unwrap_or(s)).ok()
}

// ---------------------------------------------------------------------------
// Correctly rounded rational → binary float.
// ---------------------------------------------------------------------------

macro_rules! nearest_float {
    ($name:ident, $t:ty) => {
        /// `q` rounded to the nearest value of the type, ties to even
        /// (rug's own cast truncates toward zero).
        pub fn $name(q: &Rational) -> $t {
            // A first guess within one unit in the last place of q: `to_f64`
            // truncates, and the f32 cast rounds once more.
            let t: $t = q.to_f64() as $t;
            let tq = match Rational::from_f64(t as f64) {
                Some(tq) => tq,
                None => return t,
            };
            if &tq == q {
                return t;
            }
            // Bracket q between two neighbours a < q < b of the grid.
            let (a, b) = if tq < *q {
                (t, t.next_up())
            } else {
                (t.next_down(), t)
            };
            if !a.is_finite() || !b.is_finite() {
                return if a.is_finite() { a } else { b };
            }
            let aq = Rational::from_f64(a as f64).expect("finite");
            let bq = Rational::from_f64(b as f64).expect("finite");
            let da = Rational::from(q - &aq);
            let db = Rational::from(&bq - q);
            match da.cmp(&db) {
                std::cmp::Ordering::Less => a,
                std::cmp::Ordering::Greater => b,
                std::cmp::Ordering::Equal => {
                    if a.to_bits() & 1 == 0 {
                        a
                    } else {
                        b
                    }
                }
            }
        }
    };
}

nearest_float!(rational_to_f64_nearest, f64);
nearest_float!(rational_to_f32_nearest, f32);

// ---------------------------------------------------------------------------
// IEEE backends.
// ---------------------------------------------------------------------------

macro_rules! ieee_backend {
    ($t:ty, $name:expr, $nearest:ident) => {
        impl Scalar for $t {
            type Ctx = ();
            fn backend_name(_: &()) -> String {
                $name.to_string()
            }
            fn from_rational(q: &Rational, _: &()) -> Self {
                $nearest(q)
            }
            fn from_i64(n: i64, _: &()) -> Self {
                n as $t
            }
            fn from_f64(x: f64, _: &()) -> Self {
                x as $t
            }
            fn sqrt_checked(&self) -> Option<Self> {
                Some(<$t>::sqrt(*self))
            }
            fn sym_eigen(a: &Matrix<Self>) -> Option<(Vec<Self>, Matrix<Self>)> {
                let n = a.rows();
                let m = nalgebra::DMatrix::from_fn(n, n, |i, j| a[(i, j)]);
                let e = m.symmetric_eigen();
                let q = Matrix::from_rows(
                    (0..n)
                        .map(|i| (0..n).map(|j| e.eigenvectors[(i, j)]).collect())
                        .collect(),
                )?;
                Some((e.eigenvalues.iter().copied().collect(), q))
            }
            fn zero(_: &()) -> Self {
                0.0
            }
            fn one(_: &()) -> Self {
                1.0
            }
            fn to_f64(&self) -> f64 {
                *self as f64
            }
            fn to_rational(&self) -> Option<Rational> {
                Rational::from_f64(*self as f64)
            }
            fn to_text(&self) -> String {
                // Rust prints the shortest decimal that reads back to the same
                // value; scientific notation keeps tiny and huge values short.
                let a = self.abs();
                if a == 0.0 || (1e-5..1e16).contains(&a) || !self.is_finite() {
                    format!("{}", self)
                } else {
                    format!("{:e}", self)
                }
            }
            fn abs(&self) -> Self {
                <$t>::abs(*self)
            }
            fn is_zero(&self) -> bool {
                *self == 0.0
            }
            fn is_finite(&self) -> bool {
                <$t>::is_finite(*self)
            }
        }

        impl Transcendental for $t {
            fn exp(&self) -> Self {
                <$t>::exp(*self)
            }
            fn ln(&self) -> Self {
                <$t>::ln(*self)
            }
            fn sqrt(&self) -> Self {
                <$t>::sqrt(*self)
            }
        }
    };
}

ieee_backend!(f32, "f32", rational_to_f32_nearest);
ieee_backend!(f64, "f64", rational_to_f64_nearest);

// ---------------------------------------------------------------------------
// MPFR backend.
// ---------------------------------------------------------------------------

impl Scalar for Float {
    /// Precision in bits.
    type Ctx = u32;
    fn sqrt_checked(&self) -> Option<Self> {
        Some(Float::sqrt(self.clone()))
    }
    fn backend_name(prec: &u32) -> String {
        format!("mp:{prec}")
    }
    fn from_rational(q: &Rational, prec: &u32) -> Self {
        Float::with_val(*prec, q)
    }
    fn from_i64(n: i64, prec: &u32) -> Self {
        Float::with_val(*prec, n)
    }
    fn to_f64(&self) -> f64 {
        Float::to_f64(self)
    }
    fn to_rational(&self) -> Option<Rational> {
        Float::to_rational(self)
    }
    fn to_text(&self) -> String {
        self.to_string_radix(10, None)
    }
    fn abs(&self) -> Self {
        Float::abs(self.clone())
    }
    fn is_zero(&self) -> bool {
        Float::is_zero(self)
    }
    fn is_finite(&self) -> bool {
        Float::is_finite(self)
    }
}

impl Transcendental for Float {
    fn exp(&self) -> Self {
        Float::exp(self.clone())
    }
    fn ln(&self) -> Self {
        Float::ln(self.clone())
    }
    fn sqrt(&self) -> Self {
        Float::sqrt(self.clone())
    }
}

// ---------------------------------------------------------------------------
// Exact backend.
// ---------------------------------------------------------------------------

impl Scalar for Rational {
    type Ctx = ();
    fn backend_name(_: &()) -> String {
        "exact".to_string()
    }
    fn is_exact() -> bool {
        true
    }
    fn from_rational(q: &Rational, _: &()) -> Self {
        q.clone()
    }
    fn from_i64(n: i64, _: &()) -> Self {
        Rational::from(n)
    }
    fn sqrt_checked(&self) -> Option<Self> {
        if self.cmp0() == std::cmp::Ordering::Less {
            return None;
        }
        let (n, d) = (self.numer(), self.denom());
        let (rn, rd) = (n.clone().sqrt(), d.clone().sqrt());
        (Integer::from(&rn * &rn) == *n && Integer::from(&rd * &rd) == *d)
            .then(|| Rational::from((rn, rd)))
    }
    fn to_f64(&self) -> f64 {
        rational_to_f64_nearest(self)
    }
    fn to_rational(&self) -> Option<Rational> {
        Some(self.clone())
    }
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn abs(&self) -> Self {
        Rational::abs(self.clone())
    }
    fn is_zero(&self) -> bool {
        self.cmp0() == std::cmp::Ordering::Equal
    }
    fn is_finite(&self) -> bool {
        true
    }
    fn bit_size(&self) -> Option<u64> {
        Some(
            u64::from(self.numer().significant_bits()) + u64::from(self.denom().significant_bits()),
        )
    }
}

/// Creates a backend value from number text (see [`parse_rational`]).
pub fn parse_as<T: Scalar>(text: &str, ctx: &T::Ctx) -> Result<T, NumberError> {
    Ok(T::from_rational(&parse_rational(text)?, ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form_exactly() {
        let cases = [
            ("3", Rational::from(3)),
            ("-1/2", Rational::from((-1, 2))),
            ("0.125", Rational::from((1, 8))),
            ("1e-3", Rational::from((1, 1000))),
            ("2.5E+2", Rational::from(250)),
            (".5", Rational::from((1, 2))),
            ("6/4", Rational::from((3, 2))),
        ];
        for (text, want) in cases {
            assert_eq!(parse_rational(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn refuses_unreadable_numbers() {
        for text in [
            "", "abc", "1/0", "1.2.3", "--1", "1e", "0x10", "1/2/3", "nan", "inf",
        ] {
            assert!(parse_rational(text).is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn rounding_to_f64_is_to_nearest() {
        // 1/3 truncated toward zero would be one ulp low; nearest is the
        // correctly rounded quotient of the literals. Compare bit patterns.
        let f64_of = |n, d| rational_to_f64_nearest(&Rational::from((n, d))).to_bits();
        assert_eq!(f64_of(1, 3), (1.0f64 / 3.0).to_bits());
        assert_eq!(f64_of(2, 3), (2.0f64 / 3.0).to_bits());
        assert_eq!(f64_of(-2, 3), (-2.0f64 / 3.0).to_bits());
        let f32_of = rational_to_f32_nearest(&Rational::from((2, 3))).to_bits();
        assert_eq!(f32_of, (2.0f32 / 3.0).to_bits());
    }
}
