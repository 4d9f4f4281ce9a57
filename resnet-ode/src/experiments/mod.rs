//! The `megavolt reproduce` experiments of this crate.

use megavolt_core::Experiment;

/// Every experiment of this crate, in the order of a report.
pub fn experiments() -> Vec<Box<dyn Experiment>> {
    Vec::new()
}
