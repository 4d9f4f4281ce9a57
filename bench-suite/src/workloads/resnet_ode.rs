//! Workloads of `resnet-ode`.

use crate::compare::Workload;

/// The workloads of `resnet-ode`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    Vec::new()
}
