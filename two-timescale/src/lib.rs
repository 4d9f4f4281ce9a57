//! Two-layer networks trained in the two-timescale regime, and their limit dynamics.
//!
//! The model of Marion & Berthier (NeurIPS 2023): on `x in [0, 1]`,
//!
//! ```text
//! f(x) = a_0 + sum_{j=1..m} a_j sigma_eta(x - u_j),
//! ```
//!
//! with the smoothed step `sigma` of [`activation`], learnable positions `u_j` and outer
//! weights `a_j`, fitted to a piecewise-constant target ([`target`]). When the outer layer
//! learns `1 / eps` times faster than the positions, gradient descent provably reaches a
//! global optimum with few neurons: the outer weights track their least-squares optimum and
//! the positions follow a reduced gradient flow in which a neuron reaching a jump of the
//! target is absorbed.
//!
//! | module | contents |
//! |---|---|
//! | [`activation`] | `sigma`, its exact derivative and antiderivative |
//! | [`target`] | piecewise-constant targets, the paper's five-jump target |
//! | [`network`] | the univariate network |
//! | [`loss`] | the exact population loss (piecewise polynomials) and its exact gradient |
//! | [`sgd`] | online SGD with outer step `h`, inner step `h eps`, slow clock `tau` |
//! | [`gd`] | full-batch gradient descent on the exact population loss |
//! | [`limit`] | the sharp (`eta -> 0`) limit: cell averages, velocities, absorption events |
//! | [`reduced`] | the finite-`eta` limit: exact least squares and reduced gradient flow |
//! | [`init`] | initial positions, the two-neurons-per-piece condition, re-draws |
//! | [`additive`] | the additive model in several dimensions (variable selection) |
//! | [`mod@experiments`] | the `megavolt reproduce` experiments |
//!
//! ```
//! use megavolt_core::Seed;
//! use two_timescale::{init::draw_admissible, limit::SharpLimit, network::Network};
//! use two_timescale::{sgd::{SgdConfig, run_sgd}, target::PiecewiseConstant};
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! let target = PiecewiseConstant::paper();
//! let init = draw_admissible(Seed::new(42), "init", &target, 20, 2, 1000)?;
//! let net = Network::with_positions(4e-3, init.positions.clone())?;
//! let config = SgdConfig::new(1e-3, 2e-5, 0.01)?; // 5e5 steps
//! let run = run_sgd(&net, &target, &config, &mut Seed::new(42).stream("sgd"))?;
//! let limit = SharpLimit::default().integrate(&init.positions, &target, 0.01, &[0.01])?;
//! assert_eq!(limit.final_positions.len(), run.network.positions.len());
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, "Leveraging the two-timescale regime to demonstrate convergence
//!   of neural networks", NeurIPS 2023, arXiv:2304.09576.
//! * R. Berthier, A. Montanari, K. Zhou, "Learning time-scales in two-layers neural
//!   networks", arXiv:2303.00055 (2023).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod activation;
pub mod additive;
pub mod error;
pub mod experiments;
pub mod gd;
pub mod init;
pub mod limit;
pub mod loss;
pub mod network;
mod piecewise;
pub mod reduced;
pub mod sgd;
mod sorted_kernel;
pub mod target;

pub use error::{Result, TwoTimescaleError};
pub use experiments::experiments;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
