//! # tstar
//!
//! Checks the theorems of Das, Patel, Razaviyayn and Mirrokni, "Less is More:
//! Convergence Benefits of Fewer Data Weight Updates over Longer Horizon"
//! (2026) numerically and exactly: data mixing as a bilevel problem, the
//! algorithm MIX(T, N) that updates the mixture weights after every T inner
//! steps with a T-step lookahead hypergradient, on quadratic instances.
//!
//! The mathematics is `SPEC.md` (shipped beside the project); each module
//! names the section it implements. Data flows one way:
//! [`instance`] → [`model`] / [`optimum`] → [`mix`] (trace) → [`report`].
//!
//! Every solver is generic over [`num::Scalar`] and runs on `f32`, `f64`,
//! [`num::Mp`] (MPFR, precision chosen at run time) and [`num::Exact`]
//! (rationals). What needs `exp` is bounded on [`num::Transcendental`], which
//! `Exact` does not implement.
#![warn(missing_docs)]
#![deny(clippy::float_cmp)]

pub mod bound;
pub mod builtin;
pub mod certify;
pub mod counterexample;
pub mod error;
pub mod experiments;
pub mod figures;
pub mod fits;
pub mod instance;
pub mod interval;
pub mod linalg;
pub mod mix;
pub mod model;
pub mod num;
pub mod optimum;
pub mod plot;
pub mod poly;
pub mod precision;
pub mod report;
pub mod reproduce;
pub mod runner;
pub mod simplex;
pub mod sweep;

pub use error::{Error, Result};
