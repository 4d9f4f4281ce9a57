//! Diagonal linear networks and the lasso regularisation path.
//!
//! A diagonal linear network predicts with `x = u ⊙ v` and is trained by gradient flow on a
//! quadratic loss `l(x) = 1/2 <x, M x> - <r, x> + c` from a small initialisation
//! `u(0) = sqrt(eps) b`, `v(0) = sqrt(eps) c`. In the rescaled time `s = 2t / log(1/eps)` its
//! trajectory follows the lasso regularisation path `lambda = 1/s`, exactly in the limit
//! `eps -> 0` as long as the path is monotone (Berthier 2025). This crate computes both sides of
//! that comparison:
//!
//! | module | contents |
//! |---|---|
//! | [`problem`] | the quadratic loss in Gram form `(M, r)`, KKT checks, duality gaps |
//! | [`data`] | the diabetes data of Efron et al. (2004), shipped, with the usual standardisations |
//! | [`synthetic`] | seeded orthogonal and correlated designs, sparse truths |
//! | [`design`] | a design kept as `(X, y)`, for LARS when `p >> n` |
//! | [`lars`] | the exact lasso path (LARS with the lasso modification) and plain LAR |
//! | [`mirror`] | mirror coordinates of the network, parametrisations `u ⊙ v` and `u ⊙ u`, initialisations |
//! | [`flow`] | gradient flow in mirror coordinates, Radau IIA with step doubling, activations |
//! | [`gd`] | gradient descent on the weights, `u ⊙ v` and `u ⊙ u` |
//! | [`saddle`] | the saddle-to-saddle limit algorithm and sign-constrained least squares |
//! | [`exact`] | closed-form flow of one separable coordinate (orthogonal designs) |
//! | [`experiments`](mod@experiments) | the `megavolt reproduce` experiments |
//! | [`cd`] | coordinate descent on a grid: warm starts, duality-gap stopping, gap-safe screening, non-negative lasso |
//!
//! Every `lambda` uses the convention of scikit-learn's `Lasso`: with `M = X^T X / n` and
//! `r = X^T y / n` the lasso minimises `|y - X x|^2 / (2n) + lambda |x|_1` and
//! `lambda_max = |r|_inf` ([`problem::LossScaling::Sum`] gives the `|y - X x|^2 / 2` scaling).
//!
//! # References
//! - R. Berthier, *Diagonal linear networks and the lasso regularization path*, 2025.
//! - R. Berthier, *Incremental learning in diagonal linear networks*, JMLR 24(171), 2023.
//! - S. Pesme, N. Flammarion, *Saddle-to-saddle dynamics in diagonal linear networks*,
//!   NeurIPS 2023.
//! - B. Woodworth et al., *Kernel and rich regimes in overparametrized models*, COLT 2020.
//! - B. Efron, T. Hastie, I. Johnstone, R. Tibshirani, *Least angle regression*, Ann. Statist.
//!   32(2), 2004.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cd;
mod chol;
pub mod data;
pub mod design;
mod engine;
pub mod error;
pub mod exact;
pub mod experiments;
pub mod flow;
pub mod gd;
pub mod lars;
pub mod mirror;
pub mod problem;
pub mod saddle;
pub mod synthetic;

pub use design::Design;
pub use error::{DlnError, Result};
pub use experiments::experiments;
pub use lars::{Lars, LarsConfig, LarsMethod, LassoPath, PathEvent, lasso_path};
pub use problem::{LossScaling, Problem};
