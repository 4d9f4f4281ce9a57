//! The error type of `resnet-ode`.

use megavolt_core::CoreError;
use thiserror::Error;

/// Errors returned by the fallible operations of `resnet-ode`.
///
/// Configurations are validated once, when they are built, and name the rejected parameter and
/// its value; long computations (training, integration) stop with the step at which a state or
/// a loss stopped being finite.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ResnetError {
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
    /// A state of the network or of an integration became NaN or infinite.
    #[error("non-finite state at step {step}, depth time {time:e}")]
    NonFinite {
        /// Index of the residual step (layer) or integrator step.
        step: usize,
        /// Depth time `s = step / L` at which the state was detected.
        time: f64,
    },
    /// The training loss became NaN or infinite (step size too large).
    #[error("training diverged at step {step}: loss = {loss:e}")]
    Diverged {
        /// Index of the optimisation step.
        step: usize,
        /// The offending loss value.
        loss: f64,
    },
    /// An error of the shared numerical layer (integrators, statistics).
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Shorthand for `Result<T, ResnetError>`.
pub type Result<T, E = ResnetError> = std::result::Result<T, E>;

megavolt_core::parameter_checks!(ResnetError);

/// Checks a count is at least `min`.
pub(crate) fn at_least(
    name: &'static str,
    value: usize,
    min: usize,
    expected: &'static str,
) -> Result<usize> {
    if value >= min { Ok(value) } else { Err(ResnetError::invalid(name, value, expected)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_parameter_and_value() {
        let e = positive("lr0", -1.0).unwrap_err();
        assert_eq!(e.to_string(), "invalid parameter `lr0` = -1: expected a finite number > 0");
        assert!(non_negative("beta", 0.0).is_ok());
        assert!(at_least("depth", 0, 1, "at least 1").is_err());
        let core: ResnetError = CoreError::NonFinite { step: 3, time: 0.5 }.into();
        assert!(core.to_string().contains("step 3"));
    }
}
