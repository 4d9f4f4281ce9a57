//! Directionally split volume-of-fluid advection on a 3D grid.
//!
//! The 3D counterpart of [`crate::advect2`]: each step performs three sweeps whose order
//! cycles through `xyz`, `yzx`, `zxy`, with exact face averages of the velocity at
//! `t + dt / 2` ([`Velocity3`]), the Weymouth–Yue correction and the bounded, flux-corrected
//! update of [`crate::sweep`] (steps that break its time-step condition are halved). PLIC normals come from 3x3x3 blocks ([`crate::normals::normal_3d`]).
//!
//! | parameter | default | valid range | meaning |
//! |---|---|---|---|
//! | `courant` | 0.5 | `(0, 1]` | `max_speed dt / h`; steps that break the sweep's time-step condition are halved |
//! | `boundary` | periodic | periodic, closed | box boundary |
//! | `scheme` | — | any [`Scheme`] with a 3D network | face flux rule |
//!
//! ```
//! use vof_ml::advect3::Advection3;
//! use vof_ml::grid::{Boundary, Grid3};
//! use vof_ml::scheme::Scheme;
//! use vof_ml::shapes::{Sphere, fractions_3d};
//! use vof_ml::velocity::Uniform3;
//!
//! let grid = Grid3::unit(8, 8, 8)?;
//! let mut alpha = fractions_3d(&grid, &Sphere { center: [0.5; 3], radius: 0.3, depth: 2 });
//! let solver = Advection3::new(grid, Boundary::Periodic, Scheme::Upwind, 0.5)?;
//! let stats = solver.run(&mut alpha, &Uniform3 { velocity: [1.0, 0.5, 0.25] }, 0.0, 0.25)?;
//! assert!(stats.volume_drift().abs() < 1e-14);
//! assert!(stats.bound_violation() == 0.0);
//! # Ok::<(), vof_ml::VofError>(())
//! ```
//!
//! # References
//! Weymouth & Yue (2010); Aulisa et al., J. Comput. Phys. 225 (2007) 2301-2319.

use crate::advect2::{RunStats, run_steps};
use crate::error::Result;
use crate::grid::{Boundary, Grid3};
use crate::learned::LearnedFlux;
use crate::normals::NormalMethod;
use crate::normals::{Block3, normal_3d};
use crate::plic::Plic3;
use crate::scheme::Scheme;
use crate::sweep::{SplitGrid, phase_indicator, step_with_halving, sweep_axis, validate};
use crate::velocity::Velocity3;

/// Split advection on a 3D grid. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Advection3 {
    grid: Grid3,
    boundary: Boundary,
    scheme: Scheme,
    courant: f64,
}

impl Advection3 {
    /// A validated solver.
    ///
    /// # Errors
    /// [`crate::VofError::InvalidParameter`] if `courant` is not in `(0, 1]` or a learned scheme's
    /// network is not a 3D one.
    pub fn new(grid: Grid3, boundary: Boundary, scheme: Scheme, courant: f64) -> Result<Self> {
        validate(&scheme, courant, 3)?;
        Ok(Self { grid, boundary, scheme, courant })
    }

    /// The grid.
    pub fn grid(&self) -> &Grid3 {
        &self.grid
    }

    /// Advects `alpha` from `t0` to `t_end` with equal steps `dt <= courant h / max_speed`.
    ///
    /// # Errors
    /// [`crate::VofError::InvalidParameter`] if `t_end <= t0` or the speed bound is not positive;
    /// [`crate::VofError::NonFinite`] if a value becomes NaN or infinite.
    ///
    /// # Panics
    /// If `alpha.len()` differs from the number of cells.
    #[track_caller]
    pub fn run<V: Velocity3 + ?Sized>(
        &self,
        alpha: &mut [f64],
        velocity: &V,
        t0: f64,
        t_end: f64,
    ) -> Result<RunStats> {
        assert_eq!(alpha.len(), self.grid.len(), "Advection3::run: alpha has the wrong length");
        let h = self.grid.h.iter().fold(f64::INFINITY, |a, b| a.min(*b));
        let courant = self.courant;
        let cell = self.grid.cell_volume();
        let speed = velocity.max_speed();
        run_steps(alpha, t0, t_end, speed, courant * h, cell, |alpha, s, t, dt| {
            self.step(alpha, velocity, t, dt, s % 3)
        })
    }

    /// One step of length `dt` from `t`; the sweep order starts at axis `first % 3`. Where the
    /// time-step condition of [`crate::sweep`] fails, the step is redone as two half steps
    /// (recursively; the first axis advances by one from piece to piece). Returns the number
    /// of pieces used (1 if the step was not split).
    ///
    /// Values of `alpha` are read as clamped to `[0, 1]`; the result lies in `[0, 1]`.
    ///
    /// # Errors
    /// [`crate::VofError::InvalidParameter`] if `t` is not finite or `dt` is not finite and
    /// positive; [`crate::VofError::StepConditionViolated`] if the condition still fails after
    /// [`crate::sweep::MAX_HALVINGS`] halvings.
    ///
    /// # Panics
    /// If `alpha.len()` differs from the number of cells.
    #[track_caller]
    pub fn step<V: Velocity3 + ?Sized>(
        &self,
        alpha: &mut [f64],
        velocity: &V,
        t: f64,
        dt: f64,
        first: usize,
    ) -> Result<usize> {
        assert_eq!(alpha.len(), self.grid.len(), "Advection3::step: alpha has the wrong length");
        step_with_halving(alpha, t, dt, 0, |alpha, t, dt, part| {
            let c = phase_indicator(alpha);
            (0..3).all(|s| {
                let axis = (first + part + s) % 3;
                let courant = self.face_courants(velocity, axis, t + 0.5 * dt, dt);
                sweep_axis(self, &self.scheme, alpha, &c, &courant, axis)
            })
        })
    }

    /// Transverse axes of `axis`, in increasing order.
    fn transverse(axis: usize) -> (usize, usize) {
        match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        }
    }

    /// Face Courant numbers of `axis`, indexed `k + (n + 1) (p + n_p q)` with `p`, `q` the
    /// transverse indices.
    fn face_courants<V: Velocity3 + ?Sized>(
        &self,
        velocity: &V,
        axis: usize,
        t: f64,
        dt: f64,
    ) -> Vec<f64> {
        let g = &self.grid;
        let (ta, tb) = Self::transverse(axis);
        let n = g.n[axis];
        let closed = self.boundary == Boundary::Closed;
        let mut out = vec![0.0; (n + 1) * g.n[ta] * g.n[tb]];
        for q in 0..g.n[tb] {
            for p in 0..g.n[ta] {
                let a = [g.lo[ta] + p as f64 * g.h[ta], g.lo[ta] + (p + 1) as f64 * g.h[ta]];
                let b = [g.lo[tb] + q as f64 * g.h[tb], g.lo[tb] + (q + 1) as f64 * g.h[tb]];
                for k in 0..=n {
                    let kk = if k == n && !closed { 0 } else { k };
                    let s = g.lo[axis] + kk as f64 * g.h[axis];
                    let u = velocity.face_average(axis, s, a, b, t);
                    out[k + (n + 1) * (p + g.n[ta] * q)] =
                        if closed && (k == 0 || k == n) { 0.0 } else { u * dt / g.h[axis] };
                }
            }
        }
        out
    }

    #[inline]
    fn at(&self, alpha: &[f64], p: [isize; 3]) -> f64 {
        let g = &self.grid;
        let b = self.boundary;
        alpha[g.index(b.wrap(p[0], g.n[0]), b.wrap(p[1], g.n[1]), b.wrap(p[2], g.n[2]))]
    }

    fn block(&self, alpha: &[f64], c: [usize; 3]) -> Block3 {
        let mut b = [[[0.0; 3]; 3]; 3];
        for (i, bi) in b.iter_mut().enumerate() {
            for (j, bij) in bi.iter_mut().enumerate() {
                for (k, v) in bij.iter_mut().enumerate() {
                    *v = self.at(
                        alpha,
                        [
                            c[0] as isize + i as isize - 1,
                            c[1] as isize + j as isize - 1,
                            c[2] as isize + k as isize - 1,
                        ],
                    );
                }
            }
        }
        b
    }
}

impl SplitGrid for Advection3 {
    type Recon = Plic3;

    fn boundary(&self) -> Boundary {
        self.boundary
    }

    fn lines(&self, axis: usize) -> (usize, usize) {
        let (ta, tb) = Self::transverse(axis);
        (self.grid.n[axis], self.grid.n[ta] * self.grid.n[tb])
    }

    /// Global index of cell `s` of line `t` (transverse indices `t % n_a`, `t / n_a`) along
    /// `axis`.
    #[inline]
    fn cell(&self, axis: usize, t: usize, s: usize) -> usize {
        let (ta, tb) = Self::transverse(axis);
        let mut x = [0usize; 3];
        x[axis] = s;
        x[ta] = t % self.grid.n[ta];
        x[tb] = t / self.grid.n[ta];
        self.grid.index(x[0], x[1], x[2])
    }

    fn reconstruct(&self, alpha: &[f64], idx: usize, v: f64, method: NormalMethod) -> Plic3 {
        let g = &self.grid;
        let at = [idx % g.n[0], (idx / g.n[0]) % g.n[1], idx / (g.n[0] * g.n[1])];
        Plic3::new(normal_3d(&self.block(alpha, at), method), v)
    }

    fn recon_fraction(r: &Plic3, axis: usize, positive: bool, beta: f64) -> f64 {
        r.face_fraction(axis, positive, beta)
    }

    /// Learned flux fractions of every face of `axis` (same indexing as the face Courant
    /// numbers), from one batched network evaluation over the faces with a non-pure stencil.
    fn learned_fractions(
        &self,
        net: &LearnedFlux,
        alpha: &[f64],
        courant: &[f64],
        axis: usize,
    ) -> Vec<f64> {
        let g = self.grid;
        let n = g.n[axis];
        let (ta, tb) = Self::transverse(axis);
        let mut stencils = Vec::new();
        let mut slots = Vec::new();
        for q in 0..g.n[tb] {
            for p in 0..g.n[ta] {
                let base = (n + 1) * (p + g.n[ta] * q);
                for k in 0..=n {
                    let b = courant[base + k];
                    if b == 0.0 {
                        continue;
                    }
                    let (up, dir) =
                        if b > 0.0 { (k as isize - 1, 1isize) } else { (k as isize, -1isize) };
                    let u = self.boundary.wrap(up, n) as isize;
                    let mut st = [[[0.0; 3]; 3]; 3];
                    for (x, sx) in st.iter_mut().enumerate() {
                        for (y, sxy) in sx.iter_mut().enumerate() {
                            for (z, v) in sxy.iter_mut().enumerate() {
                                let mut at = [0isize; 3];
                                at[axis] = u + dir * (x as isize - 1);
                                at[ta] = p as isize + y as isize - 1;
                                at[tb] = q as isize + z as isize - 1;
                                *v = self.at(alpha, at);
                            }
                        }
                    }
                    stencils.push((st, b.abs()));
                    slots.push(base + k);
                }
            }
        }
        let f = net.flux_3d_many(&stencils);
        let mut out = vec![0.0; courant.len()];
        for (slot, v) in slots.into_iter().zip(f) {
            out[slot] = v;
        }
        out
    }
}
