//! Limits of `two-timescale`.

use crate::check::Limit;

/// The discrete-to-continuous limits of `two-timescale`.
pub fn limits() -> Vec<Limit> {
    Vec::new()
}
