//! Euclidean projection onto the probability simplex (SPEC §2, `pgd`).
//!
//! Sort-and-threshold: with `u` the entries of `y` in decreasing order,
//! `ρ = max { j : u_j − (Σ_{i≤j} u_i − 1)/j > 0 }`,
//! `τ = (Σ_{i≤ρ} u_i − 1)/ρ`, and `Π_Δ(y)_i = max(y_i − τ, 0)`. Only field
//! operations and comparisons, so it is exact on `Exact`.

use crate::num::Scalar;

/// `Π_Δ(y) = argmin_{x ∈ Δ} ‖x − y‖`.
pub fn project<T: Scalar>(y: &[T], ctx: &T::Ctx) -> Vec<T> {
    assert!(!y.is_empty(), "projection of an empty vector");
    let mut u: Vec<T> = y.to_vec();
    // Decreasing; incomparable values (NaN) keep their order and poison τ.
    u.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Equal));
    let one = T::one(ctx);
    let mut cumsum = T::zero(ctx);
    let mut tau = u[0].clone() - &one;
    for (j, uj) in u.iter().enumerate() {
        cumsum += uj;
        let t = (cumsum.clone() - &one) / &T::from_i64(j as i64 + 1, ctx);
        if uj.clone() - &t > T::zero(ctx) {
            tau = t;
        } else {
            break;
        }
    }
    let zero = T::zero(ctx);
    y.iter()
        .map(|yi| (yi.clone() - &tau).max_of(zero.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rug::Rational;

    #[test]
    fn points_on_the_simplex_are_fixed() {
        let w = vec![
            Rational::from((1, 3)),
            Rational::from((2, 3)),
            Rational::new(),
        ];
        assert_eq!(project(&w, &()), w);
    }

    #[test]
    fn known_projection() {
        // (1, 1) ↦ (1/2, 1/2); (2, 0) ↦ (1, 0).
        let half = Rational::from((1, 2));
        assert_eq!(
            project(&[Rational::from(1), Rational::from(1)], &()),
            vec![half.clone(), half]
        );
        assert_eq!(
            project(&[Rational::from(2), Rational::from(0)], &()),
            vec![Rational::from(1), Rational::from(0)]
        );
    }
}
