//! Prescribed velocity fields, evaluated as face-averaged normal velocities.
//!
//! Split VOF schemes need the normal velocity on every cell face. 2D fields are given by a
//! stream function `psi` (`u = d psi / dy`, `v = -d psi / dx`) and face velocities are
//! differences of `psi` at the face's end points divided by the face length, so the discrete
//! divergence of every cell vanishes identically (to rounding). 3D fields give the exact face
//! average of their normal component in closed form, which by the divergence theorem has zero
//! discrete divergence as well.
//!
//! | field | formula | period / reversal |
//! |---|---|---|
//! | [`Uniform2`] | `(u, v)` | — |
//! | [`Rotation`] | `omega (y_c - y, x - x_c)` | `2 pi / omega` |
//! | [`ReversedVortex`] | `psi = (1/pi) sin^2(pi x) sin^2(pi y) cos(pi t / T)` | back at `t = T` |
//! | [`Uniform3`] | `(u, v, w)` | — |
//! | [`Deformation3`] | LeVeque's `2 sin^2(pi x) sin(2 pi y) sin(2 pi z) g(t)`, ... with `g = cos(pi t / T)` | back at `t = T` |
//!
//! # References
//! - W. J. Rider, D. B. Kothe, J. Comput. Phys. 141 (1998) 112-152 (reversed single vortex).
//! - R. J. LeVeque, *High-resolution conservative algorithms for advection in incompressible
//!   flow*, SIAM J. Numer. Anal. 33 (1996) 627-665 (3D deformation field).

use std::f64::consts::PI;

/// A 2D velocity field given by a stream function.
pub trait Velocity2: Sync {
    /// Stream function `psi(x, y, t)`, with `u = d psi / dy`, `v = -d psi / dx`.
    fn stream(&self, x: f64, y: f64, t: f64) -> f64;
    /// An upper bound of `max(|u|, |v|)` over the unit square and all times (sets the step).
    fn max_speed(&self) -> f64;
}

/// A 3D velocity field given by exact face averages.
pub trait Velocity3: Sync {
    /// Average over the face `x_axis = s`, `[a0, a1] x [b0, b1]` in the two other coordinates
    /// (in increasing axis order), of the velocity component along `axis`.
    fn face_average(&self, axis: usize, s: f64, a: [f64; 2], b: [f64; 2], t: f64) -> f64;
    /// An upper bound of the speed components.
    fn max_speed(&self) -> f64;
}

/// The uniform field `(u, v)`: `psi = u y - v x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniform2 {
    /// Velocity.
    pub velocity: [f64; 2],
}

impl Velocity2 for Uniform2 {
    fn stream(&self, x: f64, y: f64, _t: f64) -> f64 {
        self.velocity[0] * y - self.velocity[1] * x
    }
    fn max_speed(&self) -> f64 {
        self.velocity[0].abs().max(self.velocity[1].abs())
    }
}

/// Solid-body rotation about `center` with angular velocity `omega`:
/// `psi = -(omega / 2) |x - x_c|^2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rotation {
    /// Centre of rotation.
    pub center: [f64; 2],
    /// Angular velocity (counter-clockwise positive).
    pub omega: f64,
}

impl Velocity2 for Rotation {
    fn stream(&self, x: f64, y: f64, _t: f64) -> f64 {
        -0.5 * self.omega * ((x - self.center[0]).powi(2) + (y - self.center[1]).powi(2))
    }
    fn max_speed(&self) -> f64 {
        // Largest distance to the centre from a point of the unit square.
        let dx = self.center[0].max(1.0 - self.center[0]);
        let dy = self.center[1].max(1.0 - self.center[1]);
        self.omega.abs() * dx.hypot(dy)
    }
}

/// The reversed single vortex of Rider & Kothe on the unit square.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReversedVortex {
    /// Reversal period `T`: the flow reverses at `T / 2` and the shape returns at `T`.
    pub period: f64,
}

impl Velocity2 for ReversedVortex {
    fn stream(&self, x: f64, y: f64, t: f64) -> f64 {
        let sx = (PI * x).sin();
        let sy = (PI * y).sin();
        sx * sx * sy * sy * (PI * t / self.period).cos() / PI
    }
    fn max_speed(&self) -> f64 {
        1.0
    }
}

/// The uniform 3D field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniform3 {
    /// Velocity.
    pub velocity: [f64; 3],
}

impl Velocity3 for Uniform3 {
    fn face_average(&self, axis: usize, _s: f64, _a: [f64; 2], _b: [f64; 2], _t: f64) -> f64 {
        self.velocity[axis]
    }
    fn max_speed(&self) -> f64 {
        self.velocity.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
    }
}

/// LeVeque's 3D deformation field on the unit cube,
/// `u = 2 sin^2(pi x) sin(2 pi y) sin(2 pi z) g`, `v = -sin(2 pi x) sin^2(pi y) sin(2 pi z) g`,
/// `w = -sin(2 pi x) sin(2 pi y) sin^2(pi z) g`, `g(t) = cos(pi t / T)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deformation3 {
    /// Period `T` (3 in the standard test).
    pub period: f64,
}

/// Mean of `sin(2 pi s)` over `[a, b]`.
fn mean_sin2pi(a: f64, b: f64) -> f64 {
    -((2.0 * PI * b).cos() - (2.0 * PI * a).cos()) / (2.0 * PI * (b - a))
}

impl Velocity3 for Deformation3 {
    fn face_average(&self, axis: usize, s: f64, a: [f64; 2], b: [f64; 2], t: f64) -> f64 {
        let g = (PI * t / self.period).cos();
        let sq = (PI * s).sin().powi(2);
        let ma = mean_sin2pi(a[0], a[1]);
        let mb = mean_sin2pi(b[0], b[1]);
        match axis {
            0 => 2.0 * sq * ma * mb * g,
            _ => -sq * ma * mb * g,
        }
    }
    fn max_speed(&self) -> f64 {
        2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_functions_give_the_stated_velocities() {
        // Rotation: psi is quadratic, so face differences equal the face-centre velocity.
        let r = Rotation { center: [0.5, 0.5], omega: 2.0 * PI };
        let (x, y, h) = (0.3, 0.8, 0.01);
        let u = (r.stream(x, y + h, 0.0) - r.stream(x, y, 0.0)) / h;
        assert!((u - 2.0 * PI * (0.5 - (y + 0.5 * h))).abs() < 1e-12);
        let v = -(r.stream(x + h, y, 0.0) - r.stream(x, y, 0.0)) / h;
        assert!((v - 2.0 * PI * ((x + 0.5 * h) - 0.5)).abs() < 1e-12);
        // Vortex: u = sin^2(pi x) sin(2 pi y) cos(pi t / T), second-order face differences.
        let f = ReversedVortex { period: 2.0 };
        let e = 1e-5;
        let u = (f.stream(0.3, 0.6 + e, 0.5) - f.stream(0.3, 0.6 - e, 0.5)) / (2.0 * e);
        let exact =
            (PI * 0.3_f64).sin().powi(2) * (2.0 * PI * 0.6_f64).sin() * (PI * 0.25_f64).cos();
        assert!((u - exact).abs() < 1e-8);
        assert!((Uniform2 { velocity: [1.0, -2.0] }.max_speed() - 2.0).abs() < 1e-15);
    }

    #[test]
    fn deformation_face_averages_match_quadrature_and_are_divergence_free() {
        let f = Deformation3 { period: 3.0 };
        let t = 0.4;
        let g = (PI * t / 3.0).cos();
        // Midpoint quadrature of v over a face y = 0.3, x in [0.1, 0.2], z in [0.55, 0.6].
        let n = 400;
        let mut q = 0.0;
        for i in 0..n {
            for k in 0..n {
                let x = 0.1 + 0.1 * (i as f64 + 0.5) / n as f64;
                let z = 0.55 + 0.05 * (k as f64 + 0.5) / n as f64;
                q -= (2.0 * PI * x).sin() * (PI * 0.3_f64).sin().powi(2) * (2.0 * PI * z).sin() * g;
            }
        }
        q /= (n * n) as f64;
        assert!((q - f.face_average(1, 0.3, [0.1, 0.2], [0.55, 0.6], t)).abs() < 1e-6);
        // Net outflow of a cell is zero to rounding.
        let (lo, h) = ([0.23, 0.61, 0.37], 0.07);
        let hi = [lo[0] + h, lo[1] + h, lo[2] + h];
        let ux = f.face_average(0, hi[0], [lo[1], hi[1]], [lo[2], hi[2]], t)
            - f.face_average(0, lo[0], [lo[1], hi[1]], [lo[2], hi[2]], t);
        let vy = f.face_average(1, hi[1], [lo[0], hi[0]], [lo[2], hi[2]], t)
            - f.face_average(1, lo[1], [lo[0], hi[0]], [lo[2], hi[2]], t);
        let wz = f.face_average(2, hi[2], [lo[0], hi[0]], [lo[1], hi[1]], t)
            - f.face_average(2, lo[2], [lo[0], hi[0]], [lo[1], hi[1]], t);
        assert!((ux + vy + wz).abs() < 1e-15);
    }
}
