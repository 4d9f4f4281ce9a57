//! Workloads of `two-timescale`.

use crate::compare::Workload;

/// The workloads of `two-timescale`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    Vec::new()
}
