//! Self-attention dynamics as interacting particle systems: clustering, metastability and
//! hardmax attention.
//!
//! A Transformer's layers, read in continuous depth, move tokens `x_1, ..., x_n` in `R^d` as
//! interacting particles. This crate simulates those dynamics and measures what the theory of
//! Geshkovski, Letrouit, Polyanskiy and Rigollet predicts about them: clustering, metastable
//! plateaus, and the geometry of the limits.
//!
//! Tokens are stored one per **column** of a `d x n` faer [`Mat`](faer::Mat).
//!
//! | item | model |
//! |---|---|
//! | [`SphereAttention`] | SA and USA on the unit sphere, `Q = K = V = I` |
//! | [`Transformer`] | the ODE in `R^d` with general `Q, K, V`, multi-head, optionally projected on the sphere |
//! | [`kernel`] | softmax attention by log-sum-exp, dense or blocked (streaming) |
//! | [`layers`] | discrete layers: projected Euler and "step, then renormalise" |
//! | [`hardmax`] | zero-temperature attention as a Frank–Wolfe step |
//! | [`regression`] | single-location regression: data, attention predictor, projected SGD, linear baseline |
//! | [`simulate`] | RK4, Dormand–Prince and Euler integration with collapse events and cluster logs |
//! | [`observables`] | Gram matrix, cluster counts, energy in overflow-safe forms |
//! | [`circle`] | two point clusters on the circle: speed and merge time |
//! | [`equiangular`] | the scalar ODE of the common inner product of equiangular tokens |
//! | [`tokens`] | validation, normalisation and standard starting configurations |
//! | [`mod@experiments`] | the `megavolt reproduce` experiments of this crate |
//!
//! ```
//! use attention_flow::{Scheme, SimOptions, SphereAttention, observables, simulate, tokens};
//!
//! # fn main() -> attention_flow::Result<()> {
//! // 16 tokens uniform on S^2 cluster into one point under SA with beta = 1.
//! let x0 = tokens::uniform(megavolt_core::Seed::new(1), "tokens", 3, 16);
//! let model = SphereAttention::sa(1.0)?;
//! let traj = simulate(&model, x0.as_ref(), 60.0, Scheme::Rk4 { step: 0.05 }, &SimOptions::default())?;
//! assert_eq!(observables::cluster_count(traj.x_end.as_ref(), 1e-3), 1);
//! # Ok(()) }
//! ```
//!
//! # References
//! * B. Geshkovski, C. Letrouit, Y. Polyanskiy, P. Rigollet, "A mathematical perspective on
//!   Transformers", Bull. AMS 62 (2025) 427–479, arXiv:2312.10794.
//! * B. Geshkovski, C. Letrouit, Y. Polyanskiy, P. Rigollet, "The emergence of clusters in
//!   self-attention dynamics", NeurIPS 2023, arXiv:2305.05465.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod circle;
pub mod equiangular;
mod error;
pub mod experiments;
mod expsum;
mod field;
pub mod hardmax;
pub mod kernel;
pub mod layers;
pub mod observables;
pub mod regression;
mod simulate;
mod sphere;
pub mod tokens;
mod transformer;

pub use error::{AttentionError, Result};
pub use field::TokenField;
pub use kernel::{EvalMode, Evaluation, Normalization, Workspace};
pub use simulate::{MergeEvent, Scheme, SimOptions, Trajectory, simulate};
pub use sphere::SphereAttention;
pub use transformer::{Head, Transformer, expm, rescaled};

/// The experiments of this crate, for `megavolt reproduce`.
pub fn experiments() -> Vec<Box<dyn megavolt_core::Experiment>> {
    experiments::all()
}
