//! The smoothed step activation of Marion & Berthier (2023).
//!
//! ```text
//! sigma(z) = 0                    z <= -1/2
//!            4 (z + 1/2)^3        -1/2 <= z <= 0
//!            1 - 4 (1/2 - z)^3    0 <= z <= 1/2
//!            1                    z >= 1/2
//! ```
//!
//! `sigma` is C^1 with a Lipschitz derivative (`sigma''` jumps from +12 to -12 at 0),
//! `sigma(0) = 1/2`, `sigma'(0) = 3` and `sigma(z) + sigma(-z) = 1`. The network uses the
//! rescaled unit `sigma_eta(z) = sigma(z / eta)`, a step of width `eta`.
//!
//! Both `sigma` and `sigma'` are evaluated without branches on the sign of `z`, through
//! `t = clamp(z, -1/2, 1/2)` and `w = 1/2 - |t|`: `sigma = 1/2 + sign(t) (1/2 - 4 w^3)` and
//! `sigma' = 12 w^2`, which lets the compiler vectorise loops over neurons.
//!
//! ```
//! use two_timescale::activation::{sigma, sigma_prime};
//!
//! assert_eq!(sigma(0.0), 0.5);
//! assert_eq!(sigma_prime(0.0), 3.0);
//! assert!((sigma(0.25) - 0.9375).abs() < 1e-15);
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, "Leveraging the two-timescale regime to demonstrate convergence
//!   of neural networks", NeurIPS 2023 (arXiv:2304.09576), §2 (definition of the activation).

/// `int_R (sigma(z) - 1[z > 0])^2 dz = 1/28`: the squared L^2 gap between the smoothed step
/// and the sharp step, which sets the loss floor `(eta / 28) sum_k Delta_k^2`.
pub const SQUARED_GAP: f64 = 1.0 / 28.0;

/// The smoothed step `sigma(z)`.
#[inline(always)]
pub fn sigma(z: f64) -> f64 {
    let t = z.clamp(-0.5, 0.5);
    let w = 0.5 - t.abs();
    0.5 + (0.5 - 4.0 * w * w * w).copysign(t)
}

/// The derivative `sigma'(z)`, zero outside `(-1/2, 1/2)`.
#[inline(always)]
pub fn sigma_prime(z: f64) -> f64 {
    let t = z.clamp(-0.5, 0.5);
    let w = 0.5 - t.abs();
    12.0 * w * w
}

/// An antiderivative of `sigma`: `Sigma(z) = int_{-inf}^z sigma`, equal to `z` for `z >= 1/2`.
#[inline]
pub fn sigma_integral(z: f64) -> f64 {
    if z <= -0.5 {
        0.0
    } else if z <= 0.0 {
        (z + 0.5).powi(4)
    } else if z <= 0.5 {
        z + (0.5 - z).powi(4)
    } else {
        z
    }
}

/// The rescaled unit `sigma_eta(z) = sigma(z / eta)`.
#[inline(always)]
pub fn sigma_eta(z: f64, eta: f64) -> f64 {
    sigma(z / eta)
}

/// `d/dz sigma_eta(z) = sigma'(z / eta) / eta`.
#[inline(always)]
pub fn sigma_eta_prime(z: f64, eta: f64) -> f64 {
    sigma_prime(z / eta) / eta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_match_the_definition() {
        for k in 0..=200 {
            let z = -1.0 + 0.01 * k as f64;
            let want = if z <= -0.5 {
                0.0
            } else if z <= 0.0 {
                4.0 * (z + 0.5).powi(3)
            } else if z <= 0.5 {
                1.0 - 4.0 * (0.5 - z).powi(3)
            } else {
                1.0
            };
            assert!((sigma(z) - want).abs() <= 4.0 * f64::EPSILON, "z = {z}");
            let dwant = if z.abs() < 0.5 { 12.0 * (0.5 - z.abs()).powi(2) } else { 0.0 };
            assert!((sigma_prime(z) - dwant).abs() <= 16.0 * f64::EPSILON, "z = {z}");
        }
    }

    #[test]
    fn antiderivative_differentiates_to_sigma() {
        // Central differences of order h^2 with h = 1e-5 on a C^2 antiderivative.
        let h = 1e-5;
        for k in 0..=40 {
            let z = -0.7 + 0.035 * k as f64;
            let d = (sigma_integral(z + h) - sigma_integral(z - h)) / (2.0 * h);
            assert!((d - sigma(z)).abs() < 1e-9, "z = {z}");
        }
    }
}
