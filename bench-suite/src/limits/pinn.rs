//! Limits of `pinn`.

use crate::check::Limit;

/// The discrete-to-continuous limits of `pinn`.
pub fn limits() -> Vec<Limit> {
    Vec::new()
}
