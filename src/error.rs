//! Typed errors of the library. The CLI renders them once, at the top.

use thiserror::Error;

/// A number that could not be read from its text.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("cannot read `{text}` as a number: {reason}")]
pub struct NumberError {
    /// The text as given.
    pub text: String,
    /// Why it was refused.
    pub reason: String,
}

/// An instance file refused: which field, and why (SPEC §5).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct InstanceError {
    /// Path of the offending field, e.g. `domains[1].A`.
    pub field: String,
    /// The reason, in words.
    pub reason: String,
}

impl InstanceError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        InstanceError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Everything the library can refuse or fail at.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad instance file or a bad override of one of its fields.
    #[error("invalid instance: {0}")]
    Instance(#[from] InstanceError),
    /// A run-time parameter that makes no sense.
    #[error("invalid parameter {name}: {reason}")]
    Parameter {
        /// The parameter (flag) name.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// The combination asks for an operation the backend does not have.
    #[error("{0}")]
    Unsupported(String),
    /// A linear system that the backend found singular.
    #[error("singular linear system while computing {what}")]
    Singular {
        /// Which quantity needed the solve.
        what: String,
    },
    /// A floating-point run produced NaN or infinity.
    #[error(
        "the run diverged at round {round}: {what} is not finite (try a smaller --alpha or --eta)"
    )]
    NonFinite {
        /// Round index k.
        round: usize,
        /// Which quantity.
        what: String,
    },
    /// An exact run whose numbers grew past the size limit (SPEC §4, practical facts).
    #[error(
        "exact run stopped at round {round}: a number needs {bits} bits, over the limit of {limit} \
         (bit length multiplies each round; use fewer rounds, a floating backend, or raise --max-bits)"
    )]
    ExactTooLarge {
        /// Round index at which the limit was crossed.
        round: usize,
        /// Bits of the largest numerator + denominator.
        bits: u64,
        /// The limit in force.
        limit: u64,
    },
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A refused parameter.
    pub fn param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Parameter {
            name: name.into(),
            reason: reason.into(),
        }
    }
}

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
