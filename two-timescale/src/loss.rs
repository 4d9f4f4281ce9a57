//! The exact population loss of the univariate model and its exact gradient.
//!
//! For `x ~ U[0, 1]`,
//!
//! ```text
//! L(a, u) = int_0^1 (f(x) - f*(x))^2 dx,
//! dL/da_0 = 2 int (f - f*),
//! dL/da_j = 2 int (f - f*) sigma_eta(x - u_j),
//! dL/du_j = -(2 a_j / eta) int (f - f*) sigma'((x - u_j) / eta),
//! ```
//!
//! computed exactly by splitting `[0, 1]` at the units' breakpoints `u_j`, `u_j +- eta/2` and
//! at the target's jumps, where every integrand is a polynomial of degree at most 6 (no
//! quadrature error; only rounding, of order `1e-16` times the number of pieces).
//!
//! ```
//! use two_timescale::{loss::population_loss, network::Network, target::PiecewiseConstant};
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! // One unit on the jump with the jump's height: the loss is eta/28 (the loss floor).
//! let target = PiecewiseConstant::new(0.0, vec![0.5], vec![1.0])?;
//! let net = Network::new(0.01, 0.0, vec![1.0], vec![0.5])?;
//! assert!((population_loss(&net, &target) - 0.01 / 28.0).abs() < 1e-15);
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §2 (population risk).

use serde::{Deserialize, Serialize};

use crate::network::Network;
use crate::piecewise::{ComponentIntegrals, component_integrals};
use crate::target::PiecewiseConstant;

/// The population loss and its gradient with respect to every parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossGradient {
    /// `L(a, u)`.
    pub loss: f64,
    /// `dL/da_0`.
    pub bias: f64,
    /// `dL/da_j`, `j = 1..m`.
    pub outer: Vec<f64>,
    /// `dL/du_j`, `j = 1..m`.
    pub positions: Vec<f64>,
}

fn integrals(net: &Network, target: &PiecewiseConstant) -> ComponentIntegrals {
    let base = target.base();
    component_integrals(&net.outer, &net.positions, net.eta, target.jumps(), |x| {
        target.eval(x) - base
    })
}

/// `L(a, u) = int_0^1 (f - f*)^2`, exactly.
pub fn population_loss(net: &Network, target: &PiecewiseConstant) -> f64 {
    let ci = integrals(net, target);
    let c = net.bias - target.base();
    (c * c + 2.0 * c * ci.mean + ci.square).max(0.0)
}

/// The loss and its exact gradient (see the [module documentation](self)).
pub fn population_gradient(net: &Network, target: &PiecewiseConstant) -> LossGradient {
    let ci = integrals(net, target);
    let c = net.bias - target.base();
    let inv = 1.0 / net.eta;
    LossGradient {
        loss: (c * c + 2.0 * c * ci.mean + ci.square).max(0.0),
        bias: 2.0 * (c + ci.mean),
        outer: (0..net.width()).map(|j| 2.0 * (c * ci.sigma_mean[j] + ci.r_sigma[j])).collect(),
        positions: (0..net.width())
            .map(|j| -2.0 * net.outer[j] * inv * (c * ci.slope_mean[j] + ci.r_slope[j]))
            .collect(),
    }
}

/// Distance from each jump of `target` to the nearest position, in jump order.
pub fn jump_distances(positions: &[f64], target: &PiecewiseConstant) -> Vec<f64> {
    target
        .jumps()
        .iter()
        .map(|v| positions.iter().map(|u| (u - v).abs()).fold(f64::INFINITY, f64::min))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Composite Gauss–Legendre (5 nodes) on a fine uniform grid: an independent quadrature.
    fn quad(f: impl Fn(f64) -> f64, n: usize) -> f64 {
        let nodes = [
            (0.0, 128.0 / 225.0),
            (-0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
            (0.538_469_310_105_683_1, 0.478_628_670_499_366_5),
            (-0.906_179_845_938_664, 0.236_926_885_056_189_08),
            (0.906_179_845_938_664, 0.236_926_885_056_189_08),
        ];
        let h = 1.0 / n as f64;
        let mut s = 0.0;
        for i in 0..n {
            let c = (i as f64 + 0.5) * h;
            for (x, w) in nodes {
                s += 0.5 * h * w * f(c + 0.5 * h * x);
            }
        }
        s
    }

    fn example() -> (Network, PiecewiseConstant) {
        let target = PiecewiseConstant::paper();
        let net = Network::new(
            0.04,
            0.7,
            vec![1.0, -2.0, 3.0, 0.5, -1.5],
            vec![0.19, 0.21, 0.5, 0.66, 0.99],
        )
        .unwrap();
        (net, target)
    }

    #[test]
    fn loss_matches_fine_quadrature() {
        let (net, target) = example();
        let exact = population_loss(&net, &target);
        // Breakpoints fall inside quadrature cells, so the quadrature is only O(h)-accurate
        // across discontinuities: 2e5 cells give about 1e-5.
        let q = quad(|x| (net.eval(x) - target.eval(x)).powi(2), 200_000);
        assert!((exact - q).abs() < 1e-4 * exact, "{exact} vs {q}");
    }

    #[test]
    fn gradient_matches_central_differences() {
        let (net, target) = example();
        let g = population_gradient(&net, &target);
        let h = 1e-6;
        let fd = |edit: &dyn Fn(&mut Network, f64)| {
            let mut p = net.clone();
            edit(&mut p, h);
            let mut q = net.clone();
            edit(&mut q, -h);
            (population_loss(&p, &target) - population_loss(&q, &target)) / (2.0 * h)
        };
        // The loss is C^2 in a and C^1 with Lipschitz gradient in u: central differences are
        // accurate to O(h^2) resp. O(h) times derivatives of size ~1/eta^2.
        assert!((fd(&|n, d| n.bias += d) - g.bias).abs() < 1e-7);
        for j in 0..net.width() {
            assert!((fd(&|n, d| n.outer[j] += d) - g.outer[j]).abs() < 1e-7);
            let d = fd(&|n, d| n.positions[j] += d);
            assert!(
                (d - g.positions[j]).abs() < 1e-4 * (1.0 + d.abs()),
                "{d} vs {}",
                g.positions[j]
            );
        }
    }
}
