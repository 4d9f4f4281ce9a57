//! Uniform Cartesian grids in 2D and 3D.
//!
//! Cell `(i, j)` of a [`Grid2`] is `[lo_0 + i h_0, lo_0 + (i + 1) h_0] x [...]`, stored at
//! index `i + n_0 j`; a [`Grid3`] stores `(i, j, k)` at `i + n_0 (j + n_1 k)`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, VofError};

/// What happens at the edges of the box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Boundary {
    /// Opposite faces are identified.
    #[default]
    Periodic,
    /// Walls: the normal velocity and the flux through the boundary are zero, and stencils
    /// are extended by copying the nearest cell.
    Closed,
}

impl Boundary {
    /// Cell index along an axis of `n` cells for a possibly out-of-range `v`: wrapped around
    /// (periodic) or clamped to the nearest cell (closed).
    #[inline]
    pub(crate) fn wrap(self, v: isize, n: usize) -> usize {
        match self {
            Boundary::Periodic => v.rem_euclid(n as isize) as usize,
            Boundary::Closed => v.clamp(0, n as isize - 1) as usize,
        }
    }
}

fn check_sizes<const D: usize>(n: [usize; D], lo: [f64; D], hi: [f64; D]) -> Result<()> {
    for d in 0..D {
        if n[d] < 3 {
            return Err(VofError::invalid("cells", n[d], "at least 3 cells per direction"));
        }
        if !(lo[d].is_finite() && hi[d].is_finite() && hi[d] > lo[d]) {
            return Err(VofError::invalid(
                "box",
                format!("[{}, {}]", lo[d], hi[d]),
                "finite bounds with lo < hi",
            ));
        }
    }
    Ok(())
}

/// A uniform 2D grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grid2 {
    /// Cells per direction.
    pub n: [usize; 2],
    /// Lower corner of the box.
    pub lo: [f64; 2],
    /// Cell sizes.
    pub h: [f64; 2],
}

impl Grid2 {
    /// A grid of `n[0] x n[1]` cells on the box `[lo, hi]`.
    ///
    /// # Errors
    /// [`VofError::InvalidParameter`] if a direction has fewer than 3 cells or the box is
    /// empty or not finite.
    pub fn new(n: [usize; 2], lo: [f64; 2], hi: [f64; 2]) -> Result<Self> {
        check_sizes(n, lo, hi)?;
        Ok(Self { n, lo, h: [(hi[0] - lo[0]) / n[0] as f64, (hi[1] - lo[1]) / n[1] as f64] })
    }

    /// `nx x ny` cells on the unit square.
    ///
    /// # Errors
    /// As [`Grid2::new`].
    pub fn unit(nx: usize, ny: usize) -> Result<Self> {
        Self::new([nx, ny], [0.0, 0.0], [1.0, 1.0])
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.n[0] * self.n[1]
    }

    /// Always `false` (a grid has at least 9 cells).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Storage index of cell `(i, j)`.
    #[inline]
    pub fn index(&self, i: usize, j: usize) -> usize {
        i + self.n[0] * j
    }

    /// Area of one cell.
    pub fn cell_volume(&self) -> f64 {
        self.h[0] * self.h[1]
    }

    /// Corners of cell `(i, j)`.
    pub fn cell_bounds(&self, i: usize, j: usize) -> ([f64; 2], [f64; 2]) {
        let lo = [self.lo[0] + i as f64 * self.h[0], self.lo[1] + j as f64 * self.h[1]];
        (lo, [lo[0] + self.h[0], lo[1] + self.h[1]])
    }
}

/// A uniform 3D grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grid3 {
    /// Cells per direction.
    pub n: [usize; 3],
    /// Lower corner of the box.
    pub lo: [f64; 3],
    /// Cell sizes.
    pub h: [f64; 3],
}

impl Grid3 {
    /// A grid of `n[0] x n[1] x n[2]` cells on the box `[lo, hi]`.
    ///
    /// # Errors
    /// [`VofError::InvalidParameter`] if a direction has fewer than 3 cells or the box is
    /// empty or not finite.
    pub fn new(n: [usize; 3], lo: [f64; 3], hi: [f64; 3]) -> Result<Self> {
        check_sizes(n, lo, hi)?;
        let h = [0, 1, 2].map(|d| (hi[d] - lo[d]) / n[d] as f64);
        Ok(Self { n, lo, h })
    }

    /// `nx x ny x nz` cells on the unit cube.
    ///
    /// # Errors
    /// As [`Grid3::new`].
    pub fn unit(nx: usize, ny: usize, nz: usize) -> Result<Self> {
        Self::new([nx, ny, nz], [0.0; 3], [1.0; 3])
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }

    /// Always `false`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Storage index of cell `(i, j, k)`.
    #[inline]
    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        i + self.n[0] * (j + self.n[1] * k)
    }

    /// Volume of one cell.
    pub fn cell_volume(&self) -> f64 {
        self.h[0] * self.h[1] * self.h[2]
    }

    /// Corners of cell `(i, j, k)`.
    pub fn cell_bounds(&self, i: usize, j: usize, k: usize) -> ([f64; 3], [f64; 3]) {
        let idx = [i, j, k];
        let lo = [0, 1, 2].map(|d| self.lo[d] + idx[d] as f64 * self.h[d]);
        (lo, [0, 1, 2].map(|d| lo[d] + self.h[d]))
    }
}
