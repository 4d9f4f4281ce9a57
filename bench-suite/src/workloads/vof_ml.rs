//! Workloads of `vof-ml`.

use std::path::Path;

use anyhow::Result;
use vof_ml::advect2::Advection2;
use vof_ml::grid::{Boundary, Grid2};
use vof_ml::normals::NormalMethod;
use vof_ml::scheme::Scheme;
use vof_ml::shapes::{Disk, fractions_2d};
use vof_ml::velocity::Uniform2;

use super::write_spec;
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// The workloads of `vof-ml`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    vec![Box::new(PlicSweep { n: 256, courant: 0.5 })]
}

/// One x sweep of split PLIC advection with Youngs normals (`peers/plic_sweep.py`): a disk of
/// radius 0.3 centred at (0.47, 0.52) on the periodic `n x n` unit grid, uniform velocity
/// (1, 0), Courant number `courant`.
///
/// The Rust side calls the crate's public [`Advection2::step`] with the velocity `(1, 0)`: its
/// x sweep is the measured sweep and its y sweep, with zero face Courant numbers, leaves the
/// field unchanged bit for bit (it still reconstructs the interface cells, an overhead counted
/// against the Rust side).
pub struct PlicSweep {
    /// Cells per side.
    pub n: usize,
    /// Courant number `u dt / h`.
    pub courant: f64,
}

struct PlicSweepState {
    solver: Advection2,
    alpha0: Vec<f64>,
    alpha: Vec<f64>,
    dt: f64,
}

impl Prepared for PlicSweepState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        self.alpha.copy_from_slice(&self.alpha0);
        let velocity = Uniform2 { velocity: [1.0, 0.0] };
        self.solver
            .step(&mut self.alpha, &velocity, 0.0, self.dt, false)
            .expect("a uniform flow at Courant <= 1 always meets the sweep's time-step condition");
        self.alpha.clone()
    }
}

impl Workload for PlicSweep {
    fn name(&self) -> &'static str {
        "plic_sweep"
    }
    fn description(&self) -> String {
        format!("PLIC x sweep (Youngs), {0} x {0} disk, Courant {1}", self.n, self.courant)
    }
    fn peer_package(&self) -> &'static str {
        "numpy"
    }
    fn rtol(&self) -> f64 {
        // Closed-form inversion and fluxes on both sides: rounding only.
        1e-10
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let grid = Grid2::unit(self.n, self.n)?;
        let alpha0 = fractions_2d(&grid, &Disk { center: [0.47, 0.52], radius: 0.3 });
        // Index i + n j: row-major (ny, nx) in numpy, a[j, i].
        write_npy(&dir.join("alpha0.npy"), &[self.n, self.n], &alpha0)?;
        // Velocity 1 on the unit grid: beta = dt / h.
        let dt = self.courant * grid.h[0];
        let beta = dt / grid.h[0];
        write_spec(
            dir,
            &serde_json::json!({ "beta": beta, "pure_tol": vof_ml::scheme::PURE_TOL }),
        )?;
        let solver =
            Advection2::new(grid, Boundary::Periodic, Scheme::Plic(NormalMethod::Youngs), 1.0)?;
        Ok(Box::new(PlicSweepState { solver, alpha: alpha0.clone(), alpha0, dt }))
    }
}
