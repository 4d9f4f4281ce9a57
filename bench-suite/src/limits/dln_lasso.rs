//! Limits of `dln-lasso`.

use crate::check::Limit;

/// The discrete-to-continuous limits of `dln-lasso`.
pub fn limits() -> Vec<Limit> {
    Vec::new()
}
