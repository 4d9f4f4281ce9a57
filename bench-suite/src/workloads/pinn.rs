//! Workloads of `pinn`.

use crate::compare::Workload;

/// The workloads of `pinn`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    Vec::new()
}
