//! Residual networks as discretised neural ODEs: depth scaling, training and the
//! continuous-depth limit.
//!
//! A depth-`L` residual network with two-layer-perceptron blocks,
//!
//! ```text
//! h_0 = A x,   h_{k+1} = h_k + L^{-beta} V_k sigma(W_k h_k),   F(x) = B h_L,
//! ```
//!
//! is, for `beta = 1` and weights that are samples `W_k = W(k/L)` of regular functions of
//! depth, the explicit Euler scheme with step `1/L` for the neural ODE
//! `dh/ds = V(s) sigma(W(s) h)` on `[0, 1]`. This crate provides
//!
//! | item | contents |
//! |---|---|
//! | [`ResNetSpec`] / [`ResNetConfig`] | architecture, `beta`, activation, [`Init`] (i.i.d., smooth in depth, weight-tied), validated once |
//! | [`ResNet`] | forward pass, backpropagation through depth, memory-free backpropagation |
//! | [`Workspace`] | preallocated buffers: [`ResNet::loss_and_gradients_in`] trains without allocating |
//! | [`NeuralOde`] | the depth-continuous model with piecewise-linear weights, integrated by `megavolt-core` (Euler, Heun, RK4, Dormand–Prince) |
//! | [`NeuralOde::flow_backprop`] | exact gradients of the Euler / Heun / RK4 discretisations (the discrete adjoint), stored or memory-free |
//! | [`NeuralOde::continuous_adjoint`] | gradients by the continuous adjoint method |
//! | [`train()`] | full-batch GD and SGD with the depth-scaled step `L * lr0` |
//! | [`depth_scaling`] | Monte Carlo second moments at initialisation against `(1 + L^{-2 beta}/2)^L` |
//! | [`transport`] | neural ODEs with piecewise-constant parameters as transport maps between empirical measures |
//! | [`experiments()`] | the `megavolt reproduce` experiments of this crate |
//!
//! Samples are the **columns** of a matrix (`p x n` inputs, `d x n` states), as in
//! `megavolt_core::nn`. Every linear-algebra call is sequential (`faer::Par::Seq`), so a seed
//! gives bit-identical results at any thread count.
//!
//! ```
//! use megavolt_core::rng::{Seed, gaussian_mat};
//! use resnet_ode::{Init, ResNet, ResNetSpec, TrainSpec, train};
//!
//! # fn main() -> resnet_ode::Result<()> {
//! let seed = Seed::new(2);
//! let config = ResNetSpec { init: Init::Tied, gain: 4.0, ..ResNetSpec::new(4, 8, 16) }.build()?;
//! let mut net = ResNet::new(config, &mut seed.stream("init"));
//! let x = gaussian_mat(&mut seed.stream("x"), 4, 10, 1.0);
//! let y = gaussian_mat(&mut seed.stream("y"), 4, 10, 1.0);
//! let history = train(&mut net, x.as_ref(), y.as_ref(), &TrainSpec::new(0.01, 20).build()?, &mut seed.stream("sgd"))?;
//! assert!(history.final_loss < history.loss[0]);
//! // Trained from a weight-tied initialisation, the weights stay smooth in depth.
//! assert!(net.params().max_increment() < 1.0);
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, Y.-H. Wu, M. E. Sander, G. Biau, "Implicit regularization of deep residual
//!   networks towards neural ODEs", ICLR 2024.
//! * P. Marion, A. Fermanian, G. Biau, J.-P. Vert, "Scaling ResNets in the large-depth
//!   regime", JMLR 26 (2025).
//! * M. E. Sander, P. Ablin, G. Peyré, "Do residual neural networks discretize neural ODEs?",
//!   NeurIPS 2022.
//! * A. Álvarez-López, B. Geshkovski, D. Ruiz-Balet, "Constructive approximate transport maps
//!   with normalizing flows", arXiv:2412.19366 (2025).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adjoint;
pub mod config;
pub mod depth_scaling;
pub mod discrete;
pub mod error;
pub mod experiments;
pub mod init;
mod kernels;
pub mod neural_ode;
pub mod params;
pub mod resnet;
pub mod train;
pub mod transport;
pub mod workspace;

pub use adjoint::AdjointSolution;
pub use config::{Init, ResNetConfig, ResNetSpec};
pub use discrete::MemoryFreeOde;
pub use error::{ResnetError, Result};
pub use experiments::experiments;
pub use neural_ode::{Integrator, NeuralOde, OdeGradients, Scheme};
pub use params::ResNetParams;
pub use resnet::{ForwardCache, Gradients, MemoryFreeGradients, ResNet, mean_squared_error};
pub use train::{Backprop, TrainConfig, TrainHistory, TrainSpec, train};
pub use workspace::Workspace;
