//! The workloads of `megavolt compare`, each with a Python twin in `peers/`.

use crate::compare::Workload;

/// Every workload, in table order.
pub fn all() -> Vec<Box<dyn Workload>> {
    Vec::new()
}
