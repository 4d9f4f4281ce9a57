//! The error type of `dln-lasso`.

use megavolt_core::CoreError;
use thiserror::Error;

/// Errors returned by the fallible operations of `dln-lasso`.
///
/// Every variant carries the numbers needed to understand the failure: the name and value of
/// a rejected parameter, or where a long computation stopped.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DlnError {
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
    /// The state of a long computation became NaN or infinite.
    #[error("non-finite state at step {step}, time {time:e}")]
    NonFinite {
        /// Index of the step that produced the non-finite state.
        step: usize,
        /// Time reached (rescaled time `s` for the flows, iteration count for descent).
        time: f64,
    },
    /// An iterative solver did not reach its tolerance within its iteration budget.
    #[error("not converged after {iters} iterations (residual {residual:e})")]
    NotConverged {
        /// Iterations performed.
        iters: usize,
        /// The last residual (duality gap, Newton residual, ...).
        residual: f64,
    },
    /// An adaptive integrator's step size fell below what floating point can resolve.
    #[error(
        "step size {step_size:e} is below what floating point resolves at rescaled time s = {time:e}"
    )]
    StepSizeUnderflow {
        /// The rejected step size.
        step_size: f64,
        /// Rescaled time reached.
        time: f64,
    },
    /// An adaptive integrator needed more steps than allowed.
    #[error("step budget of {max_steps} exhausted at rescaled time s = {time:e}")]
    MaxStepsExceeded {
        /// The step budget.
        max_steps: usize,
        /// Rescaled time reached.
        time: f64,
    },
    /// Data that were loaded do not have the expected form.
    #[error("malformed data: {0}")]
    Malformed(String),
    /// An error of the shared numerical layer.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Shorthand for `Result<T, DlnError>`.
pub type Result<T, E = DlnError> = std::result::Result<T, E>;

megavolt_core::parameter_checks!(DlnError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_parameter_and_value() {
        let e = positive("tol", -1.0).unwrap_err();
        assert_eq!(e.to_string(), "invalid parameter `tol` = -1: expected a finite number > 0");
        assert!(non_negative("lambda", 0.0).is_ok());
        assert!(non_negative("lambda", f64::NAN).is_err());
    }
}
