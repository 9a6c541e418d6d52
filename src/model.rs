//! The quadratic data-mixing model on a backend, and its closed forms
//! (SPEC §1).
//!
//! A [`Problem`] is an [`Instance`] converted once to the backend `T` (each
//! number correctly rounded from its exact value).

use rug::Rational;

use crate::error::{Error, Result};
use crate::instance::Instance;
use crate::linalg::{dot, sub, Matrix};
use crate::num::Scalar;
use crate::simplex::project;

/// An instance on backend `T`.
#[derive(Clone, Debug)]
pub struct Problem<T: Scalar> {
    /// Backend context (precision).
    pub ctx: T::Ctx,
    /// `A_i`.
    pub a: Vec<Matrix<T>>,
    /// `b_i`.
    pub b: Vec<Vec<T>>,
    /// `A_i b_i`, so that `r(w) = Σ w_i A_i b_i` costs no products of matrices.
    pub ab: Vec<Vec<T>>,
    /// `A_0`.
    pub a0: Matrix<T>,
    /// `b_0`.
    pub b0: Vec<T>,
    /// η.
    pub eta: T,
}

impl<T: Scalar> Problem<T> {
    /// Converts an instance to the backend.
    pub fn new(inst: &Instance, ctx: &T::Ctx) -> Self {
        let conv = |q: &Rational| T::from_rational(q, ctx);
        let vec = |v: &[Rational]| v.iter().map(conv).collect::<Vec<T>>();
        let a: Vec<Matrix<T>> = inst.domains.iter().map(|d| d.a.map(conv)).collect();
        let b: Vec<Vec<T>> = inst.domains.iter().map(|d| vec(&d.b)).collect();
        // A_i b_i from the exact data, then rounded once.
        let ab = inst
            .domains
            .iter()
            .map(|d| vec(&d.a.mul_vec(&d.b)))
            .collect();
        Problem {
            ctx: ctx.clone(),
            a,
            b,
            ab,
            a0: inst.val_a.map(conv),
            b0: vec(&inst.val_b),
            eta: conv(&inst.eta),
        }
    }

    /// Number of domains m.
    pub fn m(&self) -> usize {
        self.a.len()
    }

    /// Dimension d.
    pub fn d(&self) -> usize {
        self.b0.len()
    }

    /// `H(w) = Σ w_i A_i`.
    pub fn hessian(&self, w: &[T]) -> Matrix<T> {
        let mut h = Matrix::zeros(self.d(), self.d(), &self.ctx);
        for (wi, ai) in w.iter().zip(&self.a) {
            h.add_scaled(wi, ai);
        }
        h
    }

    /// `r(w) = Σ w_i A_i b_i`.
    pub fn rhs(&self, w: &[T]) -> Vec<T> {
        let mut r = vec![T::zero(&self.ctx); self.d()];
        for (wi, abi) in w.iter().zip(&self.ab) {
            for (rj, x) in r.iter_mut().zip(abi) {
                *rj += wi.clone() * x;
            }
        }
        r
    }

    /// `∇f_i(θ) = A_i (θ − b_i)`.
    pub fn grad_f(&self, i: usize, theta: &[T]) -> Vec<T> {
        self.a[i].mul_vec(&sub(theta, &self.b[i]))
    }

    /// `∇F(θ; w) = Σ w_i ∇f_i(θ) = H(w) θ − r(w)`.
    pub fn grad_inner(&self, w: &[T], theta: &[T]) -> Vec<T> {
        let mut g = vec![T::zero(&self.ctx); self.d()];
        for (i, wi) in w.iter().enumerate() {
            let gi = self.grad_f(i, theta);
            for (gj, x) in g.iter_mut().zip(gi) {
                *gj += wi.clone() * &x;
            }
        }
        g
    }

    /// `g(θ) = ½ (θ − b_0)ᵀ A_0 (θ − b_0)`.
    pub fn g(&self, theta: &[T]) -> T {
        let e = sub(theta, &self.b0);
        dot(&e, &self.a0.mul_vec(&e)) / &T::from_i64(2, &self.ctx)
    }

    /// `∇g(θ) = A_0 (θ − b_0)`.
    pub fn grad_g(&self, theta: &[T]) -> Vec<T> {
        self.a0.mul_vec(&sub(theta, &self.b0))
    }

    /// `θ*(w) = H(w)⁻¹ r(w)`.
    pub fn theta_star(&self, w: &[T]) -> Result<Vec<T>> {
        self.hessian(w)
            .solve_spd(&self.rhs(w))
            .ok_or_else(|| Error::Singular {
                what: "θ*(w) = H(w)⁻¹ r(w)".into(),
            })
    }

    /// `Φ(w) = g(θ*(w))`.
    pub fn phi(&self, w: &[T]) -> Result<T> {
        Ok(self.g(&self.theta_star(w)?))
    }

    /// The hypergradient `∇Φ(w)_i = −∇g(θ*)ᵀ H(w)⁻¹ ∇f_i(θ*)`.
    pub fn grad_phi(&self, w: &[T]) -> Result<Vec<T>> {
        Ok(self.phi_and_grad(w)?.1)
    }

    /// `Φ(w)` and `∇Φ(w)` together, sharing `θ*(w)`: one solve for θ*,
    /// one for `v = H⁻¹ ∇g(θ*)` (H is symmetric), then `∇Φ_i = −vᵀ ∇f_i(θ*)`.
    pub fn phi_and_grad(&self, w: &[T]) -> Result<(T, Vec<T>)> {
        let h = self.hessian(w);
        let ts = h.solve_spd(&self.rhs(w)).ok_or_else(|| Error::Singular {
            what: "θ*(w)".into(),
        })?;
        let v = h
            .solve_spd(&self.grad_g(&ts))
            .ok_or_else(|| Error::Singular {
                what: "H(w)⁻¹ ∇g(θ*)".into(),
            })?;
        let grad = (0..self.m())
            .map(|i| -dot(&v, &self.grad_f(i, &ts)))
            .collect();
        Ok((self.g(&ts), grad))
    }

    /// `‖G(w)‖²` with `G(w) = w − Π_Δ(w − ∇Φ(w))`, the simplex gradient
    /// mapping (SPEC §3).
    pub fn grad_mapping_norm2(&self, w: &[T]) -> Result<T> {
        let gp = self.grad_phi(w)?;
        Ok(grad_mapping_norm2_from(w, &gp, &self.ctx))
    }
}

/// `‖w − Π_Δ(w − ∇Φ(w))‖²` from an already computed `∇Φ(w)`.
pub fn grad_mapping_norm2_from<T: Scalar>(w: &[T], grad: &[T], ctx: &T::Ctx) -> T {
    let p = project(&sub(w, grad), ctx);
    let g = sub(w, &p);
    dot(&g, &g)
}
