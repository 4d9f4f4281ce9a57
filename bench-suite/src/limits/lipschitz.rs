//! Limits of `lipschitz`.

use crate::check::Limit;

/// The discrete-to-continuous limits of `lipschitz`.
pub fn limits() -> Vec<Limit> {
    Vec::new()
}
