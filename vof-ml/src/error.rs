//! The error type of `vof-ml`.

use megavolt_core::CoreError;
use thiserror::Error;

/// Errors returned by the fallible operations of `vof-ml`.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum VofError {
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
    /// The volume fraction field became NaN or infinite.
    #[error("non-finite volume fraction at step {step}, time {time:e}")]
    NonFinite {
        /// Index of the time step that produced the non-finite value.
        step: usize,
        /// Time reached when it was detected.
        time: f64,
    },
    /// The time-step condition of the bounded sweep (see [`crate::sweep`]) still failed after
    /// the step was split into `2^MAX_HALVINGS` parts ([`crate::sweep::MAX_HALVINGS`]).
    #[error("bounded-sweep time-step condition violated at time {time:e} even with dt = {dt:e}")]
    StepConditionViolated {
        /// Start of the smallest rejected piece.
        time: f64,
        /// Length of the smallest rejected piece.
        dt: f64,
    },
    /// Loaded data (network weights, data sets) do not have the expected form.
    #[error("malformed data: {0}")]
    Malformed(String),
    /// An error of the shared layer (network loading, parameter checks).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Shorthand for `Result<T, VofError>`.
pub type Result<T, E = VofError> = std::result::Result<T, E>;

megavolt_core::parameter_checks!(VofError);
