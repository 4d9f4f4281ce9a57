//! Directionally split volume-of-fluid advection on a 2D grid.
//!
//! Transport of the volume fraction `alpha` by a divergence-free field,
//! `d alpha / dt + div(u alpha) = alpha div u` written sweep by sweep (Weymouth & Yue 2010):
//! every step of length `dt` performs an x sweep and a y sweep (the order alternates from one
//! step to the next) with the face velocities of the field at `t + dt / 2`; each sweep uses the
//! face fluxes of a [`Scheme`] and the conservative, bounded update of the sweep kernel
//! (see [`crate::sweep`]).
//!
//! | parameter | default | valid range | meaning |
//! |---|---|---|---|
//! | `courant` | 0.5 | `(0, 1]` | `max_speed dt / h`; bounds are guaranteed for `<= 0.5` |
//! | `boundary` | periodic | periodic, closed | box boundary |
//! | `scheme` | — | any [`Scheme`] with a 2D network | face flux rule |
//!
//! ```
//! use vof_ml::advect2::Advection2;
//! use vof_ml::grid::{Boundary, Grid2};
//! use vof_ml::normals::NormalMethod;
//! use vof_ml::scheme::Scheme;
//! use vof_ml::shapes::{Disk, fractions_2d};
//! use vof_ml::velocity::Uniform2;
//!
//! let grid = Grid2::unit(16, 16)?;
//! let mut alpha = fractions_2d(&grid, &Disk { center: [0.5, 0.5], radius: 0.25 });
//! let solver = Advection2::new(grid, Boundary::Periodic, Scheme::Plic(NormalMethod::Youngs), 0.5)?;
//! let stats = solver.run(&mut alpha, &Uniform2 { velocity: [1.0, 1.0] }, 0.0, 1.0)?;
//! assert_eq!(stats.steps, 32);
//! assert!(stats.volume_drift().abs() < 1e-14);
//! # Ok::<(), vof_ml::VofError>(())
//! ```
//!
//! # References
//! - G. D. Weymouth, D. K.-P. Yue, J. Comput. Phys. 229 (2010) 2853-2865.
//! - W. J. Rider, D. B. Kothe, J. Comput. Phys. 141 (1998) 112-152.

use serde::{Deserialize, Serialize};

use crate::error::{Result, VofError};
use crate::grid::{Boundary, Grid2};
use crate::learned::LearnedFlux;
use crate::normals::{Block2, normal_2d};
use crate::plic::Plic2;
use crate::scheme::{PURE_TOL, Scheme, despres_lagoutiere};
use crate::sweep::limit_and_update;
use crate::velocity::Velocity2;

/// Summary of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Number of time steps.
    pub steps: usize,
    /// Step length.
    pub dt: f64,
    /// Total volume `sum alpha h^d` at the start.
    pub volume_initial: f64,
    /// Total volume at the end.
    pub volume_final: f64,
    /// Smallest value of `alpha` seen after any step (before clipping).
    pub min: f64,
    /// Largest value of `alpha` seen after any step (before clipping).
    pub max: f64,
    /// Number of cell values clipped back to `[0, 1]` after a step.
    pub clips: usize,
    /// Total volume added (positive) or removed by those clips.
    pub clipped_volume: f64,
}

impl RunStats {
    /// `volume_final - volume_initial`.
    pub fn volume_drift(&self) -> f64 {
        self.volume_final - self.volume_initial
    }

    /// Largest violation of `0 <= alpha <= 1` seen before clipping.
    pub fn bound_violation(&self) -> f64 {
        (-self.min).max(self.max - 1.0).max(0.0)
    }
}

/// The time loop shared by the 2D and 3D solvers: equal steps `dt <= max_dx / speed` from
/// `t0` to `t_end`, each followed by the check for non-finite values and the clipping to
/// `[0, 1]` that [`RunStats`] counts. `step(alpha, s, t, dt)` advances one step.
pub(crate) fn run_steps(
    alpha: &mut [f64],
    t0: f64,
    t_end: f64,
    speed: f64,
    max_dx: f64,
    cell: f64,
    mut step: impl FnMut(&mut [f64], usize, f64, f64),
) -> Result<RunStats> {
    if !(t0.is_finite() && t_end.is_finite() && t_end > t0) {
        return Err(VofError::invalid("t_end", t_end, "a finite time after t0"));
    }
    if !(speed > 0.0 && speed.is_finite()) {
        return Err(VofError::invalid("max_speed", speed, "a finite number > 0"));
    }
    let steps = ((t_end - t0) * speed / max_dx - 1e-9).ceil().max(1.0) as usize;
    let dt = (t_end - t0) / steps as f64;
    let volume_initial = alpha.iter().sum::<f64>() * cell;
    let mut stats = RunStats {
        steps,
        dt,
        volume_initial,
        volume_final: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        clips: 0,
        clipped_volume: 0.0,
    };
    for s in 0..steps {
        let t = t0 + s as f64 * dt;
        step(alpha, s, t, dt);
        for v in alpha.iter_mut() {
            if !v.is_finite() {
                return Err(VofError::NonFinite { step: s, time: t + dt });
            }
            stats.min = stats.min.min(*v);
            stats.max = stats.max.max(*v);
            if *v < 0.0 || *v > 1.0 {
                let c = v.clamp(0.0, 1.0);
                stats.clips += 1;
                stats.clipped_volume += (c - *v) * cell;
                *v = c;
            }
        }
        log::trace!("step {s}: t = {:.6}", t + dt);
    }
    stats.volume_final = alpha.iter().sum::<f64>() * cell;
    Ok(stats)
}

/// Split advection on a 2D grid. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Advection2 {
    grid: Grid2,
    boundary: Boundary,
    scheme: Scheme,
    courant: f64,
}

impl Advection2 {
    /// A validated solver.
    ///
    /// # Errors
    /// [`VofError::InvalidParameter`] if `courant` is not in `(0, 1]` or a learned scheme's
    /// network is not a 2D one.
    pub fn new(grid: Grid2, boundary: Boundary, scheme: Scheme, courant: f64) -> Result<Self> {
        if !(courant > 0.0 && courant <= 1.0) {
            return Err(VofError::invalid("courant", courant, "a number in (0, 1]"));
        }
        if let Scheme::Learned(net) = &scheme
            && net.dim() != 2
        {
            return Err(VofError::invalid("network dimension", net.dim(), "2 for a 2D scheme"));
        }
        Ok(Self { grid, boundary, scheme, courant })
    }

    /// The grid.
    pub fn grid(&self) -> &Grid2 {
        &self.grid
    }

    /// The scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Advects `alpha` from `t0` to `t_end` with equal steps `dt <= courant h / max_speed`.
    ///
    /// # Errors
    /// [`VofError::InvalidParameter`] if `t_end <= t0` or the field's speed bound is not
    /// positive; [`VofError::NonFinite`] if a value becomes NaN or infinite.
    ///
    /// # Panics
    /// If `alpha.len()` differs from the number of cells.
    #[track_caller]
    pub fn run<V: Velocity2 + ?Sized>(
        &self,
        alpha: &mut [f64],
        velocity: &V,
        t0: f64,
        t_end: f64,
    ) -> Result<RunStats> {
        assert_eq!(alpha.len(), self.grid.len(), "Advection2::run: alpha has the wrong length");
        let h = self.grid.h[0].min(self.grid.h[1]);
        let courant = self.courant;
        let cell = self.grid.cell_volume();
        let speed = velocity.max_speed();
        run_steps(alpha, t0, t_end, speed, courant * h, cell, |alpha, s, t, dt| {
            self.step(alpha, velocity, t, dt, s % 2 == 1);
        })
    }

    /// One step of length `dt` from time `t` (x then y sweep, or y then x if `y_first`),
    /// without clipping.
    ///
    /// # Panics
    /// If `alpha.len()` differs from the number of cells.
    #[track_caller]
    pub fn step<V: Velocity2 + ?Sized>(
        &self,
        alpha: &mut [f64],
        velocity: &V,
        t: f64,
        dt: f64,
        y_first: bool,
    ) {
        assert_eq!(alpha.len(), self.grid.len(), "Advection2::step: alpha has the wrong length");
        let courants = self.face_courants(velocity, t + 0.5 * dt, dt);
        let c: Vec<f64> = alpha.iter().map(|v| if *v > 0.5 { 1.0 } else { 0.0 }).collect();
        let order = if y_first { [1, 0] } else { [0, 1] };
        for axis in order {
            self.sweep(alpha, &c, &courants[axis], axis);
        }
    }

    /// Face Courant numbers: `[x faces ((nx + 1) x ny), y faces (nx x (ny + 1))]`, from
    /// stream-function differences.
    fn face_courants<V: Velocity2 + ?Sized>(&self, velocity: &V, t: f64, dt: f64) -> [Vec<f64>; 2] {
        let g = &self.grid;
        let [nx, ny] = g.n;
        let psi: Vec<f64> = (0..=ny)
            .flat_map(|j| (0..=nx).map(move |i| (i, j)))
            .map(|(i, j)| {
                velocity.stream(g.lo[0] + i as f64 * g.h[0], g.lo[1] + j as f64 * g.h[1], t)
            })
            .collect();
        let p = |i: usize, j: usize| psi[i + (nx + 1) * j];
        let closed = self.boundary == Boundary::Closed;
        let mut bx = vec![0.0; (nx + 1) * ny];
        for j in 0..ny {
            for k in 0..=nx {
                let kk = if k == nx && !closed { 0 } else { k };
                let u = (p(kk, j + 1) - p(kk, j)) / g.h[1];
                bx[k + (nx + 1) * j] =
                    if closed && (k == 0 || k == nx) { 0.0 } else { u * dt / g.h[0] };
            }
        }
        let mut by = vec![0.0; nx * (ny + 1)];
        for k in 0..=ny {
            let kk = if k == ny && !closed { 0 } else { k };
            for i in 0..nx {
                let v = -(p(i + 1, kk) - p(i, kk)) / g.h[0];
                by[i + nx * k] = if closed && (k == 0 || k == ny) { 0.0 } else { v * dt / g.h[1] };
            }
        }
        [bx, by]
    }

    #[inline]
    fn wrap(&self, v: isize, n: usize) -> usize {
        match self.boundary {
            Boundary::Periodic => v.rem_euclid(n as isize) as usize,
            Boundary::Closed => v.clamp(0, n as isize - 1) as usize,
        }
    }

    #[inline]
    fn at(&self, alpha: &[f64], i: isize, j: isize) -> f64 {
        alpha[self.grid.index(self.wrap(i, self.grid.n[0]), self.wrap(j, self.grid.n[1]))]
    }

    fn block(&self, alpha: &[f64], i: usize, j: usize) -> Block2 {
        let mut b = [[0.0; 3]; 3];
        for (a, col) in b.iter_mut().enumerate() {
            for (bb, v) in col.iter_mut().enumerate() {
                *v = self.at(alpha, i as isize + a as isize - 1, j as isize + bb as isize - 1);
            }
        }
        b
    }

    /// Learned flux fractions of every face of `axis` (index `k + (n + 1) t`), from one
    /// batched network evaluation over the faces with a non-pure stencil.
    fn learned_fractions(
        &self,
        net: &LearnedFlux,
        alpha: &[f64],
        courant: &[f64],
        axis: usize,
    ) -> Vec<f64> {
        let g = self.grid;
        let n = g.n[axis];
        let nt = g.n[1 - axis];
        let mut stencils = Vec::new();
        let mut slots = Vec::new();
        for t in 0..nt {
            for k in 0..=n {
                let b = if axis == 0 { courant[k + (n + 1) * t] } else { courant[t + g.n[0] * k] };
                if b == 0.0 {
                    continue;
                }
                let (up, dir) =
                    if b > 0.0 { (k as isize - 1, 1isize) } else { (k as isize, -1isize) };
                let u = self.wrap(up, n) as isize;
                let mut st = [[0.0; 3]; 3];
                for (x, col) in st.iter_mut().enumerate() {
                    for (y, v) in col.iter_mut().enumerate() {
                        let along = u + dir * (x as isize - 1);
                        let across = t as isize + y as isize - 1;
                        *v = if axis == 0 {
                            self.at(alpha, along, across)
                        } else {
                            self.at(alpha, across, along)
                        };
                    }
                }
                stencils.push((st, b.abs()));
                slots.push(k + (n + 1) * t);
            }
        }
        let f = net.flux_2d_many(&stencils);
        let mut out = vec![0.0; (n + 1) * nt];
        for (slot, v) in slots.into_iter().zip(f) {
            out[slot] = v;
        }
        out
    }

    fn sweep(&self, alpha: &mut [f64], c: &[f64], courant: &[f64], axis: usize) {
        let g = self.grid;
        let n = g.n[axis];
        let nt = g.n[1 - axis];
        let periodic = self.boundary == Boundary::Periodic;
        let recon: Vec<Option<Plic2>> = match &self.scheme {
            Scheme::Plic(method) => alpha
                .iter()
                .enumerate()
                .map(|(idx, &v)| {
                    if v > PURE_TOL && v < 1.0 - PURE_TOL {
                        let (i, j) = (idx % g.n[0], idx / g.n[0]);
                        Some(Plic2::new(normal_2d(&self.block(alpha, i, j), *method), v))
                    } else {
                        None
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        let learned = match &self.scheme {
            Scheme::Learned(net) => self.learned_fractions(net, alpha, courant, axis),
            _ => Vec::new(),
        };
        let mut line = vec![0.0; n];
        let mut cl = vec![0.0; n];
        let mut beta = vec![0.0; n + 1];
        let mut flux = vec![0.0; n + 1];
        for t in 0..nt {
            let idx = |s: usize| if axis == 0 { g.index(s, t) } else { g.index(t, s) };
            for s in 0..n {
                line[s] = alpha[idx(s)];
                cl[s] = c[idx(s)];
            }
            for (k, b) in beta.iter_mut().enumerate() {
                *b = if axis == 0 { courant[k + (n + 1) * t] } else { courant[t + g.n[0] * k] };
            }
            if periodic {
                beta[n] = beta[0];
            }
            let cell = |s: isize| line[self.wrap(s, n)];
            for k in 0..=n {
                let b = beta[k];
                if b == 0.0 || (periodic && k == n) {
                    flux[k] = 0.0;
                    continue;
                }
                let (up, dir) =
                    if b > 0.0 { (k as isize - 1, 1isize) } else { (k as isize, -1isize) };
                let bb = b.abs();
                let f = match &self.scheme {
                    Scheme::Upwind => cell(up),
                    Scheme::DespresLagoutiere => {
                        despres_lagoutiere(cell(up - dir), cell(up), cell(up + dir), bb)
                    }
                    Scheme::Plic(_) => match recon[idx(self.wrap(up, n))] {
                        Some(p) => p.face_fraction(axis, b > 0.0, bb),
                        None => cell(up).clamp(0.0, 1.0),
                    },
                    Scheme::Learned(_) => learned[k + (n + 1) * t],
                };
                flux[k] = b * f;
            }
            if periodic {
                flux[n] = flux[0];
            }
            limit_and_update(&mut line, &cl, &beta, &mut flux, periodic);
            for s in 0..n {
                alpha[idx(s)] = line[s];
            }
        }
    }
}
