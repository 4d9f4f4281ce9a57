//! The error type of `attention-flow`.

use megavolt_core::CoreError;
use thiserror::Error;

/// Errors returned by the fallible operations of `attention-flow`.
///
/// Shape mismatches (a token matrix with the wrong number of rows for a model) are programmer
/// errors and panic instead; see the `# Panics` sections.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum AttentionError {
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: expected {expected}")]
    InvalidParameter {
        /// Name of the parameter, as spelled in the API.
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// The valid range, in words.
        expected: &'static str,
    },
    /// A token (one column of the token matrix) has a NaN or infinite entry.
    #[error("token {index} of `{name}` has a non-finite entry")]
    NonFiniteToken {
        /// Name of the token matrix, as spelled in the API.
        name: &'static str,
        /// Column index of the offending token.
        index: usize,
    },
    /// A token that must be projected onto the unit sphere is the zero vector.
    #[error("token {index} of `{name}` is zero and cannot be placed on the unit sphere")]
    ZeroToken {
        /// Name of the token matrix, as spelled in the API.
        name: &'static str,
        /// Column index of the offending token.
        index: usize,
    },
    /// The state of a long computation became NaN or infinite.
    #[error("non-finite state at step {step}, time {time:e}")]
    NonFinite {
        /// Index of the step (or layer) that produced the non-finite state.
        step: usize,
        /// Time (or depth) reached.
        time: f64,
    },
    /// An error of the shared numerical layer (integrator configuration, step budget, ...).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Shorthand for `Result<T, AttentionError>`.
pub type Result<T, E = AttentionError> = std::result::Result<T, E>;

megavolt_core::parameter_checks!(AttentionError);

/// Checks that `beta` is finite and non-negative.
pub(crate) fn check_beta(beta: f64) -> Result<f64> {
    non_negative("beta", beta)
}
