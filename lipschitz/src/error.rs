//! The error type of the crate.

use megavolt_core::CoreError;
use thiserror::Error;

/// Errors returned by the fallible operations of `lipschitz`.
///
/// Every variant carries what is needed to understand the failure: the name and value of a
/// rejected parameter, the layer with an unsupported activation, or the size that exceeded a
/// limit.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LipError {
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
    /// A layer of a network has an activation the analysis does not cover.
    #[error("layer {layer} has activation {activation}: expected {expected}")]
    UnsupportedActivation {
        /// Index of the layer (0 is the first affine map).
        layer: usize,
        /// The activation found, formatted.
        activation: String,
        /// What the analysis needs.
        expected: &'static str,
    },
    /// An exhaustive method would exceed its size limit.
    #[error("problem too large: {what} = {size} exceeds the limit {limit}")]
    TooLarge {
        /// What was counted (a width, a number of regions).
        what: &'static str,
        /// The size met.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The state of a long computation (training) became NaN or infinite.
    #[error("non-finite state at step {step}, time {time:e}")]
    NonFinite {
        /// Index of the step that produced the non-finite state.
        step: usize,
        /// Time (or loss value) reached when it was detected.
        time: f64,
    },
    /// A singular value or eigenvalue decomposition did not converge.
    #[error("decomposition of a {rows}x{cols} matrix did not converge")]
    Decomposition {
        /// Rows of the matrix.
        rows: usize,
        /// Columns of the matrix.
        cols: usize,
    },
    /// A linear or semidefinite program could not be solved.
    #[error("optimisation problem not solved: {status}")]
    Solver {
        /// The solver's status, in words.
        status: String,
    },
    /// The operation needs a crate feature this build does not have.
    #[error("this build of lipschitz lacks the crate feature `{feature}`")]
    FeatureDisabled {
        /// The missing feature.
        feature: &'static str,
    },
    /// An error of the shared layer.
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// Shorthand for `Result<T, LipError>`.
pub type Result<T, E = LipError> = std::result::Result<T, E>;

megavolt_core::parameter_checks!(LipError);
