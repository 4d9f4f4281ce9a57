//! The error type of `megavolt-core`.

use thiserror::Error;

/// Errors returned by the fallible operations of `megavolt-core`.
///
/// Every variant carries the numbers needed to understand the failure without a debugger:
/// the name and value of a rejected parameter, or the step and time at which an integration
/// stopped.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CoreError {
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
        /// Time reached when the state was detected.
        time: f64,
    },
    /// An adaptive integrator needed more steps than allowed.
    #[error("step budget of {max_steps} exhausted at time {time:e} (target {t_end:e})")]
    MaxStepsExceeded {
        /// The step budget.
        max_steps: usize,
        /// Time reached.
        time: f64,
        /// Time that was to be reached.
        t_end: f64,
    },
    /// An integrator's step is too small for floating point to resolve at the current time:
    /// the adaptive step size fell below it, or the grid of a fixed-step method cannot realise
    /// the requested step there.
    #[error("step size {step_size:e} is below what floating point resolves at time {time:e}")]
    StepSizeUnderflow {
        /// The rejected step size (for a fixed-step method, the step that was to be taken).
        step_size: f64,
        /// Time reached.
        time: f64,
    },
    /// Data that were loaded or deserialised do not have the expected form.
    #[error("malformed data: {0}")]
    Malformed(String),
}

/// Shorthand for `Result<T, CoreError>`.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

crate::parameter_checks!(CoreError);

/// Checks that `value` is finite, or returns [`CoreError::InvalidParameter`] naming it.
pub fn ensure_finite(name: &'static str, value: f64) -> Result<f64> {
    finite(name, value)
}

/// Checks that `value` is finite and strictly positive.
pub fn ensure_positive(name: &'static str, value: f64) -> Result<f64> {
    positive(name, value)
}

/// Checks that `value` is finite and non-negative.
pub fn ensure_non_negative(name: &'static str, value: f64) -> Result<f64> {
    non_negative(name, value)
}

/// A number as error messages print it: plainly from `1e-4` to `1e16` (and `0`, NaN,
/// infinities), in scientific notation otherwise, so that `1e300` is not spelled out in 301
/// digits.
///
/// ```
/// use megavolt_core::error::fmt_value;
/// assert_eq!(fmt_value(-1.0), "-1");
/// assert_eq!(fmt_value(0.25), "0.25");
/// assert_eq!(fmt_value(1e300), "1e300");
/// assert_eq!(fmt_value(-2.5e-310), "-2.5e-310");
/// ```
pub fn fmt_value(value: f64) -> String {
    let a = value.abs();
    if a == 0.0 || !a.is_finite() || (1e-4..1e16).contains(&a) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

/// Gives an error enum with a variant
/// `InvalidParameter { name: &'static str, value: String, expected: &'static str }` the
/// constructor `invalid(name, value, expected)` (any displayable value) and defines, in the
/// calling module, the crate-private range checks `finite`, `positive` and `non_negative`
/// (`fn(&'static str, f64) -> Result<f64, E>`), whose messages are the same in every crate of
/// the workspace: "expected a finite number", "... > 0", "... >= 0".
///
/// ```
/// #[derive(Debug)]
/// pub enum MyError {
///     /// A parameter is outside its valid range.
///     InvalidParameter { name: &'static str, value: String, expected: &'static str },
/// }
/// megavolt_core::parameter_checks!(MyError);
///
/// assert!(positive("lr", 0.1).is_ok());
/// let MyError::InvalidParameter { name, value, .. } = non_negative("beta", -1.0).unwrap_err();
/// assert_eq!((name, value.as_str()), ("beta", "-1"));
/// assert!(finite("x", f64::NAN).is_err());
/// ```
#[macro_export]
macro_rules! parameter_checks {
    ($error:ident) => {
        impl $error {
            /// Builds the `InvalidParameter` variant from any displayable value.
            pub fn invalid(
                name: &'static str,
                value: impl ::std::fmt::Display,
                expected: &'static str,
            ) -> Self {
                Self::InvalidParameter { name, value: value.to_string(), expected }
            }
        }

        /// Checks that `value` is finite, naming it in the error otherwise.
        #[allow(dead_code)]
        pub(crate) fn finite(name: &'static str, value: f64) -> ::std::result::Result<f64, $error> {
            if value.is_finite() {
                Ok(value)
            } else {
                Err($error::invalid(name, $crate::error::fmt_value(value), "a finite number"))
            }
        }

        /// Checks that `value` is finite and strictly positive, naming it in the error otherwise.
        #[allow(dead_code)]
        pub(crate) fn positive(
            name: &'static str,
            value: f64,
        ) -> ::std::result::Result<f64, $error> {
            if value.is_finite() && value > 0.0 {
                Ok(value)
            } else {
                Err($error::invalid(name, $crate::error::fmt_value(value), "a finite number > 0"))
            }
        }

        /// Checks that `value` is finite and non-negative, naming it in the error otherwise.
        #[allow(dead_code)]
        pub(crate) fn non_negative(
            name: &'static str,
            value: f64,
        ) -> ::std::result::Result<f64, $error> {
            if value.is_finite() && value >= 0.0 {
                Ok(value)
            } else {
                Err($error::invalid(name, $crate::error::fmt_value(value), "a finite number >= 0"))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_parameter_and_value() {
        let e = ensure_positive("beta", f64::NAN).unwrap_err();
        assert_eq!(e.to_string(), "invalid parameter `beta` = NaN: expected a finite number > 0");
        assert!(ensure_non_negative("beta", 0.0).is_ok());
        assert!(ensure_finite("x", f64::INFINITY).is_err());
    }
}
