//! Training with Lipschitz control: spectral normalisation, the Parseval retraction and a
//! penalty on a differentiable upper bound, applied to `megavolt_core::nn::Mlp` networks.
//!
//! | control | update after each optimiser step / loss term | reference |
//! |---|---|---|
//! | [`SpectralNormaliser`] | `W <- c W / sigma_hat(W)`, one power iteration on a persistent vector | Miyato et al., ICLR 2018 |
//! | [`parseval_retraction`] | `W <- (1 + b) W - b W W^T W` | Cissé et al., ICML 2017 |
//! | [`product_bound_gradient`] | loss `+ lambda prod_l |W_l|_p` | Yoshida & Miyato 2017; Pintore & Després 2024 |
//!
//! [`train_regression`] runs full-batch Adam on the mean squared error with one of these
//! controls ([`Control`]).

mod parseval;
mod penalty;
mod spectral;
mod trainer;

pub use parseval::parseval_retraction;
pub use penalty::product_bound_gradient;
pub use spectral::SpectralNormaliser;
pub use trainer::{Control, TrainConfig, TrainHistory, train_regression};
