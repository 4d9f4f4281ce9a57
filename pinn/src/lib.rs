//! Physics-informed kernel learning in Fourier bases and physics-informed neural networks.
//!
//! Two estimators for problems that mix noisy data with a differential-equation prior:
//!
//! | module | contents |
//! |---|---|
//! | [`pikl`] | the physics-informed kernel estimator: a penalised least-squares fit over Fourier modes, solved exactly |
//! | [`basis`], [`domain`], [`operator`], [`rescale`], [`source`] | its Fourier basis, domains with closed-form Gram matrices, differential operators and symbols, input rescaling, source terms |
//! | [`jet`] | a tanh network with exact input derivatives up to order two and parameter gradients through them |
//! | [`pinn`] | physics-informed network losses (data, boundary, residual, ridge, Sobolev) and training |
//! | [`lbfgs`] | limited-memory BFGS with a strong Wolfe line search |
//! | [`overfit`] | the overfitting counterexample for unregularised PINNs |
//! | [`mod@experiments`] | paper reproductions run by `megavolt reproduce` |
//! | [`problems`] | the benchmark problems (oscillator, wave, advection, heat) with exact solutions and data |
//!
//! # Conventions
//! Points are stored one per column (`d x n`). The Fourier basis is `exp(-i omega <k, x>)`
//! with `omega = pi / (2L)`; differential operators act on it through the symbol
//! `sum_a c_a prod_j (-i omega k_j)^{a_j}`; norms are normalised by the torus volume `(4L)^d`.
//!
//! # References
//! - N. Doumèche, G. Biau, C. Boyer, *On the convergence of PINNs*, Bernoulli 31 (2025).
//! - N. Doumèche, F. Bach, G. Biau, C. Boyer, *Physics-informed machine learning as a kernel
//!   method*, COLT 2024; *Physics-informed kernel learning*, JMLR 26 (2025).
//! - M. Raissi, P. Perdikaris, G. E. Karniadakis, *Physics-informed neural networks*, J. Comput.
//!   Phys. 378 (2019).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod basis;
pub mod domain;
pub mod error;
pub mod experiments;
pub mod jet;
pub mod lbfgs;
pub mod operator;
pub mod overfit;
pub mod pikl;
pub mod pinn;
pub mod problems;
pub mod rescale;
pub mod source;
pub mod special;
mod toeplitz;

pub use basis::FourierBasis;
pub use domain::{Axis, Domain};
pub use error::{PinnError, Result};
pub use experiments::experiments;
pub use operator::DiffOperator;
pub use pikl::{
    Assembly, PiklBuilder, PiklConfig, PiklModel, Selection, SolveMethod, mse, select_penalties,
};
pub use pinn::{
    LossParts, LossWeights, PinnProblem, PinnProblemBuilder, PointSet, TrainConfig, TrainReport,
    train,
};
pub use rescale::Rescaling;
pub use source::{Source, SourceMoments};
