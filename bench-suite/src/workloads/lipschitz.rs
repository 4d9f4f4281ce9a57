//! Workloads of `lipschitz`.

use crate::compare::Workload;

/// The workloads of `lipschitz`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    Vec::new()
}
