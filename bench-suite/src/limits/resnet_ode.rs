//! Limits of `resnet-ode`.

use crate::check::Limit;

/// The discrete-to-continuous limits of `resnet-ode`.
pub fn limits() -> Vec<Limit> {
    Vec::new()
}
