//! The workloads of `megavolt compare`, one module per crate; each has a Python twin in
//! `peers/` (the module named by [`Workload::name`]).

use std::path::Path;

use anyhow::Result;
use faer::{Mat, MatRef};

use crate::compare::Workload;

pub mod attention_flow;
pub mod dln_lasso;
pub mod lipschitz;
pub mod pinn;
pub mod resnet_ode;
pub mod two_timescale;
pub mod vof_ml;

/// Every workload, in table order.
pub fn all() -> Vec<Box<dyn Workload>> {
    let mut v: Vec<Box<dyn Workload>> = Vec::new();
    v.extend(attention_flow::workloads());
    v.extend(resnet_ode::workloads());
    v.extend(dln_lasso::workloads());
    v.extend(two_timescale::workloads());
    v.extend(vof_ml::workloads());
    v.extend(lipschitz::workloads());
    v.extend(pinn::workloads());
    v
}

/// Row-major copy of a matrix transposed: a `d x n` matrix of `n` column vectors becomes the
/// `n x d` array numpy holds with one vector per row.
pub fn tokens_as_rows(x: &Mat<f64>) -> Vec<f64> {
    let mut v = Vec::with_capacity(x.nrows() * x.ncols());
    for j in 0..x.ncols() {
        v.extend_from_slice(x.col_as_slice(j));
    }
    v
}

/// Row-major copy of a matrix as numpy holds it (`nrows x ncols`).
pub fn row_major(x: MatRef<'_, f64>) -> Vec<f64> {
    (0..x.nrows()).flat_map(|i| (0..x.ncols()).map(move |j| x[(i, j)])).collect()
}

/// Writes the `spec.json` a peer reads.
///
/// # Errors
/// I/O errors.
pub fn write_spec(dir: &Path, spec: &serde_json::Value) -> Result<()> {
    crate::output::write_atomic(&dir.join("spec.json"), spec.to_string().as_bytes())
}
