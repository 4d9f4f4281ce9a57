//! Piecewise-linear interface reconstruction (PLIC) in one cell and its exact face fluxes.
//!
//! A reconstructed cell is the unit cell (index units) with material `{n . x <= alpha}`,
//! `alpha` chosen so that the material volume equals the cell's fraction. The fraction of
//! material in the region swept through a face during one step is again a cut-cell volume:
//! for the face `x_d = 1` and Courant number `beta` the swept slab is `1 - beta <= x_d <= 1`;
//! substituting `x_d = 1 - beta + beta s` maps it to a unit cell with normal component
//! `beta n_d` and constant `alpha - n_d (1 - beta)`. For the face `x_d = 0` the slab is
//! `0 <= x_d <= beta` and the constant is unchanged.
//!
//! ```
//! use vof_ml::plic::Plic2;
//!
//! // Vertical interface x = 0.5, material on the left: nothing leaves through the right face
//! // until beta > 0.5.
//! let cell = Plic2::new([1.0, 0.0], 0.5);
//! assert_eq!(cell.face_fraction(0, true, 0.4), 0.0);
//! assert!((cell.face_fraction(0, true, 0.8) - 0.375).abs() < 1e-15);
//! ```
//!
//! # References
//! Scardovelli & Zaleski (2000); W. J. Rider, D. B. Kothe, *Reconstructing volume tracking*,
//! J. Comput. Phys. 141 (1998) 112-152, Sec. 3 (split geometric fluxes).

use crate::volume::{line_alpha, line_volume, plane_alpha, plane_volume};

/// A reconstructed 2D cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plic2 {
    /// Normal (out of the material), index units; zero when unknown.
    pub normal: [f64; 2],
    /// Line constant in the unit cell.
    pub alpha: f64,
    /// The cell's volume fraction.
    pub fraction: f64,
}

impl Plic2 {
    /// Reconstructs a cell of fraction `fraction` with the given normal.
    pub fn new(normal: [f64; 2], fraction: f64) -> Self {
        let usable = normal.iter().all(|v| v.is_finite()) && normal.iter().any(|v| *v != 0.0);
        let normal = if usable { normal } else { [0.0, 0.0] };
        let alpha = if usable { line_alpha(normal, fraction) } else { 0.0 };
        Self { normal, alpha, fraction }
    }

    /// Material fraction of the slab swept through face `x_axis = 1` (`positive`) or
    /// `x_axis = 0`, for a Courant number `beta` in `(0, 1]`. Without a normal, or for a pure
    /// cell, it is the cell fraction (donor-cell flux).
    pub fn face_fraction(&self, axis: usize, positive: bool, beta: f64) -> f64 {
        if self.normal.iter().all(|v| *v == 0.0) || self.fraction <= 0.0 || self.fraction >= 1.0 {
            return self.fraction.clamp(0.0, 1.0);
        }
        let mut m = self.normal;
        m[axis] *= beta;
        let a = if positive { self.alpha - self.normal[axis] * (1.0 - beta) } else { self.alpha };
        line_volume(m, a)
    }
}

/// A reconstructed 3D cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plic3 {
    /// Normal (out of the material), index units; zero when unknown.
    pub normal: [f64; 3],
    /// Plane constant in the unit cell.
    pub alpha: f64,
    /// The cell's volume fraction.
    pub fraction: f64,
}

impl Plic3 {
    /// Reconstructs a cell of fraction `fraction` with the given normal.
    pub fn new(normal: [f64; 3], fraction: f64) -> Self {
        let usable = normal.iter().all(|v| v.is_finite()) && normal.iter().any(|v| *v != 0.0);
        let normal = if usable { normal } else { [0.0; 3] };
        let alpha = if usable { plane_alpha(normal, fraction) } else { 0.0 };
        Self { normal, alpha, fraction }
    }

    /// As [`Plic2::face_fraction`].
    pub fn face_fraction(&self, axis: usize, positive: bool, beta: f64) -> f64 {
        if self.normal.iter().all(|v| *v == 0.0) || self.fraction <= 0.0 || self.fraction >= 1.0 {
            return self.fraction.clamp(0.0, 1.0);
        }
        let mut m = self.normal;
        m[axis] *= beta;
        let a = if positive { self.alpha - self.normal[axis] * (1.0 - beta) } else { self.alpha };
        plane_volume(m, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::{HalfPlane, HalfSpace, Region2, Region3};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn face_fraction_equals_exact_slab_fraction() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..300 {
            let n = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let d = rng.random_range(-0.5..1.5);
            let hp = HalfPlane { normal: n, offset: d };
            let frac = hp.fraction([0.0, 0.0], [1.0, 1.0]);
            let cell = Plic2::new(n, frac);
            let beta: f64 = rng.random_range(0.01..1.0);
            for axis in 0..2 {
                let mut lo = [0.0, 0.0];
                let mut hi = [1.0, 1.0];
                lo[axis] = 1.0 - beta;
                assert!((cell.face_fraction(axis, true, beta) - hp.fraction(lo, hi)).abs() < 1e-12);
                lo[axis] = 0.0;
                hi[axis] = beta;
                assert!(
                    (cell.face_fraction(axis, false, beta) - hp.fraction(lo, hi)).abs() < 1e-12
                );
            }
            let n3 = [n[0], n[1], rng.random_range(-1.0..1.0)];
            let hs = HalfSpace { normal: n3, offset: d };
            let cell = Plic3::new(n3, hs.fraction([0.0; 3], [1.0; 3]));
            let (mut lo, hi) = ([0.0; 3], [1.0; 3]);
            lo[2] = 1.0 - beta;
            assert!((cell.face_fraction(2, true, beta) - hs.fraction(lo, hi)).abs() < 1e-12);
        }
    }
}
