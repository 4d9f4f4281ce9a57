//! Directionally split volume-of-fluid advection on a 3D grid.
//!
//! The 3D counterpart of [`crate::advect2`]: each step performs three sweeps whose order
//! cycles through `xyz`, `yzx`, `zxy`, with exact face averages of the velocity at
//! `t + dt / 2` ([`Velocity3`]), the Weymouth–Yue correction and per-cell outflow limiting of
//! [`crate::sweep`]. PLIC normals come from 3x3x3 blocks ([`crate::normals::normal_3d`]).
//!
//! | parameter | default | valid range | meaning |
//! |---|---|---|---|
//! | `courant` | 0.5 | `(0, 1]` | `max_speed dt / h`; bounds are guaranteed for `<= 0.5` |
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
use crate::error::{Result, VofError};
use crate::grid::{Boundary, Grid3};
use crate::learned::LearnedFlux;
use crate::normals::{Block3, normal_3d};
use crate::plic::Plic3;
use crate::scheme::{PURE_TOL, Scheme, despres_lagoutiere};
use crate::sweep::limit_and_update;
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
    /// [`VofError::InvalidParameter`] if `courant` is not in `(0, 1]` or a learned scheme's
    /// network is not a 3D one.
    pub fn new(grid: Grid3, boundary: Boundary, scheme: Scheme, courant: f64) -> Result<Self> {
        if !(courant > 0.0 && courant <= 1.0) {
            return Err(VofError::invalid("courant", courant, "a number in (0, 1]"));
        }
        if let Scheme::Learned(net) = &scheme
            && net.dim() != 3
        {
            return Err(VofError::invalid("network dimension", net.dim(), "3 for a 3D scheme"));
        }
        Ok(Self { grid, boundary, scheme, courant })
    }

    /// The grid.
    pub fn grid(&self) -> &Grid3 {
        &self.grid
    }

    /// Advects `alpha` from `t0` to `t_end` with equal steps `dt <= courant h / max_speed`.
    ///
    /// # Errors
    /// [`VofError::InvalidParameter`] if `t_end <= t0` or the speed bound is not positive;
    /// [`VofError::NonFinite`] if a value becomes NaN or infinite.
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
            self.step(alpha, velocity, t, dt, s % 3);
        })
    }

    /// One step of length `dt` from `t`; the sweep order starts at axis `first % 3`.
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
    ) {
        assert_eq!(alpha.len(), self.grid.len(), "Advection3::step: alpha has the wrong length");
        let c: Vec<f64> = alpha.iter().map(|v| if *v > 0.5 { 1.0 } else { 0.0 }).collect();
        for s in 0..3 {
            let axis = (first + s) % 3;
            let courant = self.face_courants(velocity, axis, t + 0.5 * dt, dt);
            self.sweep(alpha, &c, &courant, axis);
        }
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
    fn wrap(&self, v: isize, n: usize) -> usize {
        match self.boundary {
            Boundary::Periodic => v.rem_euclid(n as isize) as usize,
            Boundary::Closed => v.clamp(0, n as isize - 1) as usize,
        }
    }

    #[inline]
    fn at(&self, alpha: &[f64], p: [isize; 3]) -> f64 {
        let g = &self.grid;
        alpha[g.index(self.wrap(p[0], g.n[0]), self.wrap(p[1], g.n[1]), self.wrap(p[2], g.n[2]))]
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
                    let u = self.wrap(up, n) as isize;
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

    fn sweep(&self, alpha: &mut [f64], c: &[f64], courant: &[f64], axis: usize) {
        let g = self.grid;
        let n = g.n[axis];
        let (ta, tb) = Self::transverse(axis);
        let periodic = self.boundary == Boundary::Periodic;
        let coords = |idx: usize| [idx % g.n[0], (idx / g.n[0]) % g.n[1], idx / (g.n[0] * g.n[1])];
        let recon: Vec<Option<Plic3>> = match &self.scheme {
            Scheme::Plic(method) => alpha
                .iter()
                .enumerate()
                .map(|(idx, &v)| {
                    if v > PURE_TOL && v < 1.0 - PURE_TOL {
                        Some(Plic3::new(normal_3d(&self.block(alpha, coords(idx)), *method), v))
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
        for q in 0..g.n[tb] {
            for p in 0..g.n[ta] {
                let pos = |s: usize| {
                    let mut x = [0usize; 3];
                    x[axis] = s;
                    x[ta] = p;
                    x[tb] = q;
                    x
                };
                let idx = |s: usize| {
                    let x = pos(s);
                    g.index(x[0], x[1], x[2])
                };
                for s in 0..n {
                    line[s] = alpha[idx(s)];
                    cl[s] = c[idx(s)];
                }
                let base = (n + 1) * (p + g.n[ta] * q);
                beta.copy_from_slice(&courant[base..base + n + 1]);
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
                            Some(pl) => pl.face_fraction(axis, b > 0.0, bb),
                            None => cell(up).clamp(0.0, 1.0),
                        },
                        Scheme::Learned(_) => learned[base + k],
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
}
