//! The standard advection tests, with the Rider–Kothe shape error
//! `E = sum_ij |alpha_ij(T) - alpha_ij(0)| h^d`.
//!
//! | test | domain, boundary | shape | field | end time |
//! |---|---|---|---|---|
//! | [`translation`] | unit square, periodic | disk `R = 0.2` at (0.5, 0.5) | uniform (1, 1) | 1 (one period) |
//! | [`zalesak`] | unit square, closed | slotted disk ([`SlottedDisk::zalesak`]) | rotation about the centre, `omega = 2 pi` | 1 (one turn) |
//! | [`vortex`] | unit square, closed | disk `R = 0.15` at (0.5, 0.75) | reversed single vortex, period `T` | `T` |
//! | [`deformation`] | unit cube, closed | sphere `R = 0.15` at (0.35, 0.35, 0.35) | LeVeque deformation, `T = 3` | 3 |
//!
//! Initial fractions are exact for disks and the slotted disk, and integrated with a
//! six-level subdivision for spheres.
//!
//! ```
//! use vof_ml::benchmarks::translation;
//! use vof_ml::scheme::Scheme;
//!
//! let r = translation(16, Scheme::Upwind, 0.5)?;
//! assert!(r.stats.volume_drift().abs() < 1e-14);
//! assert!(r.error > 0.05);
//! # Ok::<(), vof_ml::VofError>(())
//! ```
//!
//! # References
//! Rider & Kothe, J. Comput. Phys. 141 (1998) 112-152; S. T. Zalesak, J. Comput. Phys. 31
//! (1979) 335-362; LeVeque, SIAM J. Numer. Anal. 33 (1996) 627-665.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use crate::advect2::{Advection2, RunStats};
use crate::advect3::Advection3;
use crate::error::Result;
use crate::grid::{Boundary, Grid2, Grid3};
use crate::scheme::Scheme;
use crate::shapes::{Disk, SlottedDisk, Sphere, fractions_2d, fractions_3d};
use crate::velocity::{Deformation3, ReversedVortex, Rotation, Uniform2};

/// Outcome of one benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Cells per direction.
    pub n: usize,
    /// Scheme name.
    pub scheme: String,
    /// `sum |alpha(T) - alpha(0)| h^d`.
    pub error: f64,
    /// Run statistics (conservation, bounds, clips).
    pub stats: RunStats,
    /// Initial field.
    pub initial: Vec<f64>,
    /// Final field.
    pub last: Vec<f64>,
}

fn finish(
    n: usize,
    scheme: &Scheme,
    stats: RunStats,
    initial: Vec<f64>,
    last: Vec<f64>,
    cell: f64,
) -> CaseResult {
    let error = initial.iter().zip(&last).map(|(a, b)| (a - b).abs()).sum::<f64>() * cell;
    CaseResult { n, scheme: scheme.name(), error, stats, initial, last }
}

/// Translation of a disk of radius 0.2 by (1, 1) over one period on an `n x n` periodic grid.
///
/// # Errors
/// As [`Advection2::new`] and [`Advection2::run`].
pub fn translation(n: usize, scheme: Scheme, courant: f64) -> Result<CaseResult> {
    let grid = Grid2::unit(n, n)?;
    let alpha0 = fractions_2d(&grid, &Disk { center: [0.5, 0.5], radius: 0.2 });
    let mut alpha = alpha0.clone();
    let solver = Advection2::new(grid, Boundary::Periodic, scheme.clone(), courant)?;
    let stats = solver.run(&mut alpha, &Uniform2 { velocity: [1.0, 1.0] }, 0.0, 1.0)?;
    Ok(finish(n, &scheme, stats, alpha0, alpha, grid.cell_volume()))
}

/// One full rotation of Zalesak's slotted disk on an `n x n` closed grid.
///
/// # Errors
/// As [`Advection2::new`] and [`Advection2::run`].
pub fn zalesak(n: usize, scheme: Scheme, courant: f64) -> Result<CaseResult> {
    let grid = Grid2::unit(n, n)?;
    let alpha0 = fractions_2d(&grid, &SlottedDisk::zalesak());
    let mut alpha = alpha0.clone();
    let solver = Advection2::new(grid, Boundary::Closed, scheme.clone(), courant)?;
    let field = Rotation { center: [0.5, 0.5], omega: 2.0 * PI };
    let stats = solver.run(&mut alpha, &field, 0.0, 1.0)?;
    Ok(finish(n, &scheme, stats, alpha0, alpha, grid.cell_volume()))
}

/// The reversed single vortex with period `period` on an `n x n` closed grid.
///
/// # Errors
/// As [`Advection2::new`] and [`Advection2::run`].
pub fn vortex(n: usize, scheme: Scheme, courant: f64, period: f64) -> Result<CaseResult> {
    let grid = Grid2::unit(n, n)?;
    let alpha0 = fractions_2d(&grid, &Disk { center: [0.5, 0.75], radius: 0.15 });
    let mut alpha = alpha0.clone();
    let solver = Advection2::new(grid, Boundary::Closed, scheme.clone(), courant)?;
    let stats = solver.run(&mut alpha, &ReversedVortex { period }, 0.0, period)?;
    Ok(finish(n, &scheme, stats, alpha0, alpha, grid.cell_volume()))
}

/// LeVeque's deformation of a sphere on an `n^3` closed grid, back at `t = 3`.
///
/// # Errors
/// As [`Advection3::new`] and [`Advection3::run`].
pub fn deformation(n: usize, scheme: Scheme, courant: f64) -> Result<CaseResult> {
    let grid = Grid3::unit(n, n, n)?;
    let alpha0 = fractions_3d(&grid, &Sphere { center: [0.35; 3], radius: 0.15, depth: 6 });
    let mut alpha = alpha0.clone();
    let solver = Advection3::new(grid, Boundary::Closed, scheme.clone(), courant)?;
    let stats = solver.run(&mut alpha, &Deformation3 { period: 3.0 }, 0.0, 3.0)?;
    Ok(finish(n, &scheme, stats, alpha0, alpha, grid.cell_volume()))
}

/// Points of the `level` contour of a cell-centred 2D field (marching squares on the dual
/// grid): the end points of every contour segment, for plotting interfaces.
///
/// # Panics
/// If `alpha.len()` differs from the number of cells.
#[track_caller]
pub fn contour_points(grid: &Grid2, alpha: &[f64], level: f64) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(alpha.len(), grid.len(), "contour_points: wrong field length");
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let centre = |i: usize, j: usize| {
        [grid.lo[0] + (i as f64 + 0.5) * grid.h[0], grid.lo[1] + (j as f64 + 0.5) * grid.h[1]]
    };
    for j in 0..grid.n[1] - 1 {
        for i in 0..grid.n[0] - 1 {
            let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            for e in 0..4 {
                let (a, b) = (corners[e], corners[(e + 1) % 4]);
                let (va, vb) =
                    (alpha[grid.index(a.0, a.1)] - level, alpha[grid.index(b.0, b.1)] - level);
                if (va < 0.0) != (vb < 0.0) {
                    let t = va / (va - vb);
                    let (pa, pb) = (centre(a.0, a.1), centre(b.0, b.1));
                    xs.push(pa[0] + t * (pb[0] - pa[0]));
                    ys.push(pa[1] + t * (pb[1] - pa[1]));
                }
            }
        }
    }
    (xs, ys)
}
