//! Workloads of `dln-lasso`.

use crate::compare::Workload;

/// The workloads of `dln-lasso`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    Vec::new()
}
