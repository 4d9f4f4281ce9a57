//! The error type of the `pinn` crate.

use megavolt_core::CoreError;
use thiserror::Error;

/// Errors returned by the fallible operations of this crate.
///
/// Every variant carries the numbers needed to understand the failure: the name and value of a
/// rejected parameter, the iteration at which a training run produced a non-finite loss, or the
/// size of a system that would not fit in memory.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PinnError {
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
    /// A loss, a gradient or a solution became NaN or infinite.
    #[error("non-finite value at step {step}, time {time:e}")]
    NonFinite {
        /// Iteration (optimiser step, or 0 for a direct solve) that produced the value.
        step: usize,
        /// Pseudo-time of the run: the iteration as a float for optimisers, 0 for solves.
        time: f64,
    },
    /// The number of Fourier modes is too large for a dense solve.
    #[error("{modes} Fourier modes exceed the dense-solve limit of {max}")]
    TooManyModes {
        /// Requested number of modes `(2m+1)^d`.
        modes: usize,
        /// Largest supported number.
        max: usize,
    },
    /// The linear system of the estimator could not be solved to finite values.
    #[error("singular system of size {size}: {reason}")]
    Singular {
        /// Order of the system.
        size: usize,
        /// What failed.
        reason: &'static str,
    },
    /// An error of the shared numerical layer.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Shorthand for `Result<T, PinnError>`.
pub type Result<T, E = PinnError> = std::result::Result<T, E>;

megavolt_core::parameter_checks!(PinnError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_parameter_and_value() {
        let e = positive("lambda", -1.0).unwrap_err();
        assert_eq!(e.to_string(), "invalid parameter `lambda` = -1: expected a finite number > 0");
        assert!(non_negative("mu", 0.0).is_ok());
        assert!(non_negative("mu", f64::NAN).is_err());
    }
}
