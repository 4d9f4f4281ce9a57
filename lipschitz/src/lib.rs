//! Certified bounds and exact values of Lipschitz constants of ReLU networks, and
//! Lipschitz-aware training.
//!
//! A network used inside a time-stepping scheme is only as stable as its Lipschitz constant.
//! For a ReLU network `f` ([`ReluNet`], convertible from `megavolt_core::nn::Mlp`) and a norm
//! `p` in {1, 2, inf} ([`Norm`]), this crate computes
//!
//! | quantity | functions | guarantee |
//! |---|---|---|
//! | upper bounds | [`bounds`]: norm product, Combettes–Pesquet, `|W|`-product, Jacobian intervals, SeqLip | `>= L_p(f)` (greedy SeqLip: estimate) |
//! | lower bounds | [`sampled_lower_bound`] | `<= L_p(f)` |
//! | exact values | [`exact_lipschitz`], [`exact_lipschitz_1d`] | `= L_p(f)` (small networks), global or over a box |
//! | training with control | [`training`]: spectral normalisation, Parseval retraction, bound penalty | — |
//! | max-pooling | [`maxpool`]: 1-D and 2-D pooling with a documented tie rule | — |
//! | convolutions | [`conv`]: convolutions as matrices; pooling as ReLU layers | — |
//!
//! ```
//! use lipschitz::{ExactConfig, LowerConfig, Norm, ReluNet, bounds, exact_lipschitz, sampled_lower_bound};
//! use megavolt_core::Seed;
//!
//! let net = ReluNet::random(&[2, 6, 6, 1], 1.0, 0.5, &mut Seed::new(7).stream("net"))?;
//! let lower = sampled_lower_bound(&net, &LowerConfig::default_for(Norm::L2), Seed::new(1))?.value;
//! let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::L2))?.value;
//! let cp = bounds::combettes_pesquet(&net)?;
//! let product = bounds::norm_product(&net, Norm::L2)?;
//! assert!(lower <= exact * (1.0 + 1e-12) && exact <= cp * (1.0 + 1e-12) && cp <= product * (1.0 + 1e-12));
//! # Ok::<(), lipschitz::LipError>(())
//! ```
//!
//! Convention: `relu'(0) = 0`; no certified quantity depends on it (see [`network`]).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bounds;
pub mod conv;
pub mod domain;
pub mod error;
pub mod exact;
pub mod experiments;
#[cfg(feature = "lipsdp")]
pub mod lipsdp;
pub mod lower;
pub mod lp;
pub mod maxpool;
pub mod network;
pub mod norms;
pub mod training;

pub use bounds::{UpperBound, all_upper_bounds};
pub use domain::Domain;
pub use error::{LipError, Result};
pub use exact::{ExactConfig, ExactResult, exact_lipschitz, exact_lipschitz_1d};
pub use lower::{LowerBound, LowerConfig, sampled_lower_bound};
pub use network::{ActivationPattern, ReluNet};
pub use norms::{Norm, PowerBracket, operator_norm, power_iteration, spectral_norm};

/// The experiments of this crate, for `megavolt reproduce`.
pub fn experiments() -> Vec<Box<dyn megavolt_core::Experiment>> {
    experiments::all()
}
