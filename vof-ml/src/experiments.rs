//! The `reproduce` experiments.

/// All experiments of the crate.
pub fn all() -> Vec<Box<dyn megavolt_core::Experiment>> {
    Vec::new()
}
