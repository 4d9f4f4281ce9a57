//! The error type of the crate.

use megavolt_core::CoreError;
use thiserror::Error;

/// Errors returned by the fallible operations of `two-timescale`.
///
/// Every variant carries the numbers needed to understand the failure: the name and value of a
/// rejected parameter, the step and time at which a run stopped, or the piece of the target
/// that lacks neurons.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum TwoTimescaleError {
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
    /// The state of a training run became NaN or infinite.
    #[error("non-finite state at step {step}, slow time {time:e}")]
    NonFinite {
        /// Index of the step after which the non-finite state was detected.
        step: u64,
        /// Slow time `tau = step * h * eps` reached at detection.
        time: f64,
    },
    /// A constant piece of the target holds fewer neurons than required.
    #[error(
        "piece {piece} of the target, [{lo}, {hi}], holds {count} neurons: at least {required} needed"
    )]
    BadSubdivision {
        /// Index of the piece, from 0 (the piece `[0, v_1]`).
        piece: usize,
        /// Left end of the piece.
        lo: f64,
        /// Right end of the piece.
        hi: f64,
        /// Number of neurons inside.
        count: usize,
        /// Required number.
        required: usize,
    },
    /// No initial draw satisfied the subdivision condition within the allowed number of draws.
    #[error("no admissible initial positions in {draws} draws")]
    RedrawExhausted {
        /// Number of draws tried.
        draws: u64,
    },
    /// The eigendecomposition of a Gram matrix did not converge.
    #[error("eigendecomposition of the {size} x {size} Gram matrix did not converge")]
    Eigen {
        /// Size of the matrix.
        size: usize,
    },
    /// An error of the shared numerical layer (ODE integration, parameter checks).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Shorthand for `Result<T, TwoTimescaleError>`.
pub type Result<T, E = TwoTimescaleError> = std::result::Result<T, E>;

megavolt_core::parameter_checks!(TwoTimescaleError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_parameter_and_value() {
        let e = positive("eta", -1.0).unwrap_err();
        assert_eq!(e.to_string(), "invalid parameter `eta` = -1: expected a finite number > 0");
        assert!(non_negative("noise", 0.0).is_ok());
        assert!(finite("a", f64::NAN).is_err());
    }
}
