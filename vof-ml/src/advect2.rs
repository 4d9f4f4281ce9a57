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
//! | `courant` | 0.5 | `(0, 1]` | `max_speed dt / h`; steps that break the sweep's time-step condition are halved |
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
use crate::normals::NormalMethod;
use crate::normals::{Block2, normal_2d};
use crate::plic::Plic2;
use crate::scheme::Scheme;
use crate::sweep::{SplitGrid, phase_indicator, step_with_halving, sweep_axis, validate};
use crate::velocity::Velocity2;

/// Summary of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Number of time steps.
    pub steps: usize,
    /// Number of (sub)steps performed: `steps` plus one for every halving forced by the
    /// time-step condition of [`crate::sweep`].
    pub substeps: usize,
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
    /// Number of cell values clipped back to `[0, 1]` after a step. The bounded sweep
    /// ([`crate::sweep`]) makes this zero for every scheme; the counter stays as a check.
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
/// `[0, 1]` that [`RunStats`] counts. `step(alpha, s, t, dt)` advances one step and returns
/// the number of pieces it used.
pub(crate) fn run_steps(
    alpha: &mut [f64],
    t0: f64,
    t_end: f64,
    speed: f64,
    max_dx: f64,
    cell: f64,
    mut step: impl FnMut(&mut [f64], usize, f64, f64) -> Result<usize>,
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
        substeps: 0,
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
        stats.substeps += step(alpha, s, t, dt)?;
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
        validate(&scheme, courant, 2)?;
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
            self.step(alpha, velocity, t, dt, s % 2 == 1)
        })
    }

    /// One step of length `dt` from time `t` (x then y sweep, or y then x if `y_first`),
    /// without clipping. Where the time-step condition of [`crate::sweep`] fails, the step is
    /// redone as two half steps (recursively; the sweep order alternates from piece to piece).
    /// Returns the number of pieces used (1 if the step was not split).
    ///
    /// Values of `alpha` are read as clamped to `[0, 1]`; the result lies in `[0, 1]`.
    ///
    /// # Errors
    /// [`VofError::InvalidParameter`] if `t` is not finite or `dt` is not finite and positive;
    /// [`VofError::StepConditionViolated`] if the condition still fails after
    /// [`crate::sweep::MAX_HALVINGS`] halvings.
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
    ) -> Result<usize> {
        assert_eq!(alpha.len(), self.grid.len(), "Advection2::step: alpha has the wrong length");
        step_with_halving(alpha, t, dt, 0, |alpha, t, dt, part| {
            let courants = self.face_courants(velocity, t + 0.5 * dt, dt);
            let c = phase_indicator(alpha);
            let order = if y_first ^ (part % 2 == 1) { [1, 0] } else { [0, 1] };
            order
                .into_iter()
                .all(|axis| sweep_axis(self, &self.scheme, alpha, &c, &courants[axis], axis))
        })
    }

    /// Face Courant numbers `[x faces, y faces]`, from stream-function differences, indexed
    /// line by line: face `k` of the line `t` across `axis` at `k + (n_axis + 1) t`.
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
        for i in 0..nx {
            for k in 0..=ny {
                let kk = if k == ny && !closed { 0 } else { k };
                let v = -(p(i + 1, kk) - p(i, kk)) / g.h[0];
                by[k + (ny + 1) * i] =
                    if closed && (k == 0 || k == ny) { 0.0 } else { v * dt / g.h[1] };
            }
        }
        [bx, by]
    }

    #[inline]
    fn at(&self, alpha: &[f64], i: isize, j: isize) -> f64 {
        let b = self.boundary;
        alpha[self.grid.index(b.wrap(i, self.grid.n[0]), b.wrap(j, self.grid.n[1]))]
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
}

impl SplitGrid for Advection2 {
    type Recon = Plic2;

    fn boundary(&self) -> Boundary {
        self.boundary
    }

    fn lines(&self, axis: usize) -> (usize, usize) {
        (self.grid.n[axis], self.grid.n[1 - axis])
    }

    /// Global index of cell `s` of line `t` along `axis`.
    #[inline]
    fn cell(&self, axis: usize, t: usize, s: usize) -> usize {
        if axis == 0 { self.grid.index(s, t) } else { self.grid.index(t, s) }
    }

    fn reconstruct(&self, alpha: &[f64], idx: usize, v: f64, method: NormalMethod) -> Plic2 {
        let n0 = self.grid.n[0];
        Plic2::new(normal_2d(&self.block(alpha, idx % n0, idx / n0), method), v)
    }

    fn recon_fraction(r: &Plic2, axis: usize, positive: bool, beta: f64) -> f64 {
        r.face_fraction(axis, positive, beta)
    }

    /// Learned flux fractions of every face of `axis` (indexed like the face Courant numbers),
    /// from one batched network evaluation over the faces with a non-pure stencil.
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
                let b = courant[k + (n + 1) * t];
                if b == 0.0 {
                    continue;
                }
                let (up, dir) =
                    if b > 0.0 { (k as isize - 1, 1isize) } else { (k as isize, -1isize) };
                let u = self.boundary.wrap(up, n) as isize;
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
        let mut out = vec![0.0; courant.len()];
        for (slot, v) in slots.into_iter().zip(f) {
            out[slot] = v;
        }
        out
    }
}
