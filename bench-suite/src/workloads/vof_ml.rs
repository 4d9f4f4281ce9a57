//! Workloads of `vof-ml`.

use crate::compare::Workload;

/// The workloads of `vof-ml`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    Vec::new()
}
