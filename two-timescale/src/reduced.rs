//! The two-timescale limit at finite width `eta`: exact least squares for the outer weights
//! and the reduced gradient flow of the positions.
//!
//! For fixed positions `u`, the loss is a convex quadratic in `(a_0, a)`; its minimiser
//! `a*(u)` solves the normal equations `G a = b` with
//!
//! ```text
//! G_ij = int_0^1 phi_i phi_j,   b_i = int_0^1 f* phi_i,   phi_0 = 1, phi_j = sigma_eta(. - u_j),
//! ```
//!
//! assembled exactly from piecewise polynomials and solved by a symmetric eigendecomposition
//! (minimum-norm solution when units coincide or lie outside `[0, 1]`). The reduced loss is
//! `L(a*(u), u)` and, by the envelope theorem, its gradient is `grad_u L(a, u)` at
//! `a = a*(u)`. The slow dynamics `du/dtau = -grad_u L(a*(u), u)` is smooth for `eta > 0`
//! (no absorption: neurons converge to the jumps); it is integrated with adaptive
//! Dormand–Prince. As `eta -> 0` it tends to the sharp flow of [`crate::limit`].
//!
//! ```
//! use two_timescale::reduced::{fit_outer_weights, reduced_loss};
//! use two_timescale::target::PiecewiseConstant;
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! let target = PiecewiseConstant::new(0.0, vec![0.5], vec![1.0])?;
//! // A unit centred on the jump: by the symmetry x -> 1 - x the fit passes through 1/2 there,
//! // and it beats the weights (a_0, a_1) = (0, 1), whose loss is eta / 28.
//! let net = fit_outer_weights(&[0.5], 0.01, &target)?;
//! assert!((net.eval(0.5) - 0.5).abs() < 1e-12);
//! assert!(reduced_loss(&[0.5], 0.01, &target)? < 0.01 / 28.0);
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §3 (reduced dynamics).

use std::cell::RefCell;

use faer::{Mat, Side};
use megavolt_core::ode::{AdaptiveOptions, Output, Solver};

use crate::error::{Result, TwoTimescaleError};
use crate::limit::{LimitTrajectory, check_times};
use crate::loss::{population_gradient, population_loss};
use crate::network::Network;
use crate::piecewise::gram_system;
use crate::target::PiecewiseConstant;

/// The network with the given positions and least-squares optimal bias and outer weights.
///
/// # Errors
/// [`TwoTimescaleError::InvalidParameter`] for invalid `eta` or positions;
/// [`TwoTimescaleError::Eigen`] if the eigendecomposition fails.
pub fn fit_outer_weights(
    positions: &[f64],
    eta: f64,
    target: &PiecewiseConstant,
) -> Result<Network> {
    let mut net = Network::with_positions(eta, positions.to_vec())?;
    let (gram, rhs) = gram_system(positions, eta, target.jumps(), |x| target.eval(x));
    let n = rhs.len();
    let g = Mat::from_fn(n, n, |i, j| gram[i * n + j]);
    let evd =
        g.self_adjoint_eigen(Side::Lower).map_err(|_| TwoTimescaleError::Eigen { size: n })?;
    let s = evd.S().column_vector();
    let q = evd.U();
    let smax = (0..n).map(|i| s[i].abs()).fold(0.0, f64::max);
    let cutoff = smax * n as f64 * f64::EPSILON * 16.0;
    let mut sol = vec![0.0; n];
    for k in 0..n {
        if s[k] <= cutoff {
            continue;
        }
        let proj: f64 = (0..n).map(|i| q[(i, k)] * rhs[i]).sum::<f64>() / s[k];
        for (i, x) in sol.iter_mut().enumerate() {
            *x += q[(i, k)] * proj;
        }
    }
    net.bias = sol[0];
    net.outer.copy_from_slice(&sol[1..]);
    Ok(net)
}

/// The reduced loss `min_a L(a, u)` at width `eta`.
///
/// # Errors
/// As [`fit_outer_weights`].
pub fn reduced_loss(positions: &[f64], eta: f64, target: &PiecewiseConstant) -> Result<f64> {
    Ok(population_loss(&fit_outer_weights(positions, eta, target)?, target))
}

/// The reduced velocity `-grad_u L(a*(u), u)`.
///
/// # Errors
/// As [`fit_outer_weights`].
pub fn reduced_velocity(
    positions: &[f64],
    eta: f64,
    target: &PiecewiseConstant,
) -> Result<Vec<f64>> {
    let net = fit_outer_weights(positions, eta, target)?;
    Ok(population_gradient(&net, target).positions.into_iter().map(|g| -g).collect())
}

/// Integrates `du/dtau = -grad_u L(a*(u), u)` at width `eta` from `positions` at `tau = 0` to
/// `tau_end`, with output at `times` (non-decreasing, inside `[0, tau_end]`), with adaptive
/// Dormand–Prince at tolerances `rtol`, `atol`.
///
/// # Errors
/// [`TwoTimescaleError::InvalidParameter`] for invalid inputs; the errors of
/// [`fit_outer_weights`] met during integration; [`TwoTimescaleError::Core`] if the
/// integrator fails.
pub fn integrate_reduced_flow(
    positions: &[f64],
    eta: f64,
    target: &PiecewiseConstant,
    tau_end: f64,
    times: &[f64],
    rtol: f64,
    atol: f64,
) -> Result<LimitTrajectory> {
    Network::with_positions(eta, positions.to_vec())?;
    crate::error::positive("tau_end", tau_end)?;
    check_times(times, tau_end)?;
    let failure = RefCell::new(None);
    let sol = Solver::dormand_prince(AdaptiveOptions::tolerances(rtol, atol))?
        .output(Output::Times(times.to_vec()))
        .solve(
            |_t, y: &Vec<f64>, dy: &mut Vec<f64>| match reduced_velocity(y, eta, target) {
                Ok(v) => dy.copy_from_slice(&v),
                Err(e) => {
                    dy.iter_mut().for_each(|d| *d = 0.0);
                    failure.borrow_mut().get_or_insert(e);
                }
            },
            0.0,
            positions.to_vec(),
            tau_end,
        )?;
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    Ok(LimitTrajectory {
        times: sol.t,
        positions: sol.y,
        absorptions: Vec::new(),
        final_positions: sol.y_end,
        rhs_evals: sol.stats.rhs_evals,
    })
}
