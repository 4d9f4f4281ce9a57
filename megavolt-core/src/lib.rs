//! The shared numerical layer of the megavolt workspace.
//!
//! | module | contents |
//! |---|---|
//! | [`rng`] | the seeding convention: one `u64` seed, one ChaCha8 stream per component |
//! | [`ode`] | explicit Euler, Heun, RK4 and adaptive Dormand–Prince 5(4) with events, hooks and observers |
//! | [`nn`] | dense feed-forward networks with backpropagation, initialisers, SGD and Adam |
//! | [`ensemble`] | deterministic parallel ensembles: one stream per member, results in member order |
//! | [`stats`] | convergence-order fits, relative errors, ensemble means with standard errors |
//! | [`experiment`] | the [`Experiment`] trait that `megavolt reproduce` runs |
//! | [`math`] | vectorised exponential and the fused softmax pass |
//! | [`linalg`] | determinism policy for faer and small dense helpers |
//!
//! # Determinism
//! By default every linear-algebra call inside one run is sequential (`faer::Par::Seq`), and
//! parallelism is spent across independent runs (seeds, grid points), each drawing from its own
//! random stream. The same seed then gives bit-identical results at any thread count on a given
//! machine. [`linalg::Parallelism::Parallel`] opts into multi-threaded kernels for very large
//! problems; results are then reproducible only to rounding.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod ensemble;
pub mod error;
pub mod experiment;
pub mod linalg;
pub mod math;
pub mod nn;
pub mod ode;
pub mod rng;
pub mod stats;

pub use error::{CoreError, Result};
pub use experiment::{Experiment, ExperimentOutput, Metric, RunContext, Scale};
pub use rng::Seed;
