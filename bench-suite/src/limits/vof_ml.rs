//! Limits of `vof-ml`.

use crate::check::Limit;

/// The discrete-to-continuous limits of `vof-ml`.
pub fn limits() -> Vec<Limit> {
    Vec::new()
}
