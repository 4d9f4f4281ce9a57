//! Limits of `vof-ml`: mesh refinement of the split advection schemes on the reversed single
//! vortex (period 2, Courant 0.5), whose exact solution at the final time is the initial disk.

use anyhow::Result;
use vof_ml::benchmarks::vortex;
use vof_ml::normals::NormalMethod;
use vof_ml::scheme::Scheme;

use crate::check::{Limit, LimitData};

fn refinement(scheme: Scheme) -> Result<LimitData> {
    let mut data = LimitData { h: vec![], error: vec![] };
    for n in [32usize, 64, 128] {
        let case = vortex(n, scheme.clone(), 0.5, 2.0)?;
        data.h.push(1.0 / n as f64);
        data.error.push(case.error);
    }
    Ok(data)
}

/// The mesh-refinement limits of `vof-ml`.
pub fn limits() -> Vec<Limit> {
    let row = |name: &'static str, scheme: Scheme, expected: Option<(f64, f64)>| Limit {
        crate_name: "vof-ml",
        name,
        parameter: "h",
        expected,
        compute: Box::new(move || refinement(scheme.clone())),
    };
    vec![
        // Geometric PLIC with a normal exact on straight lines is second order on smooth
        // interfaces (Pilliod & Puckett 2004).
        row("PLIC-ELVIRA, reversed vortex", Scheme::Plic(NormalMethod::Elvira), Some((2.0, 0.25))),
        // The other schemes have no proven order on this deforming interface: trends only.
        row("PLIC-Youngs, reversed vortex", Scheme::Plic(NormalMethod::Youngs), None),
        row("Després–Lagoutière, reversed vortex", Scheme::DespresLagoutiere, None),
        row("upwind, reversed vortex", Scheme::Upwind, None),
    ]
}
