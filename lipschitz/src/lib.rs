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
pub mod lipsdp_ipm;
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
pub use megavolt_core::math::ldexp;
pub use network::{ActivationPattern, ReluNet};
pub use norms::{Norm, PowerBracket, operator_norm, power_iteration, spectral_norm};

/// Whether this build contains the clarabel-based LipSDP solver (the module `lipsdp`, crate
/// feature `lipsdp`), so that callers compiled without the feature can choose at run time. The
/// pure-Rust interior-point solver [`lipsdp_ipm`] is always available.
pub const LIPSDP_AVAILABLE: bool = cfg!(feature = "lipsdp");

/// The LipSDP-Neuron l2 upper bound `sqrt(rho)` by the structured interior-point method
/// [`lipsdp_ipm::lipsdp_neuron_ipm`] with relative gap and infeasibility tolerance `tol` (at
/// most 100 iterations). The clarabel solver stays available as `lipsdp::lipsdp_neuron` with
/// the crate feature `lipsdp`.
///
/// ```
/// use lipschitz::{ReluNet, lipsdp_neuron_bound};
/// let abs = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// assert!((lipsdp_neuron_bound(&abs, 1e-8)? - 1.0).abs() < 1e-6);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] for `tol` outside `[1e-12, 1e-2]` or a network without hidden
/// layer, and the errors of [`lipsdp_ipm::lipsdp_neuron_ipm`] if the method does not converge.
pub fn lipsdp_neuron_bound(net: &ReluNet, tol: f64) -> Result<f64> {
    let config = lipsdp_ipm::IpmConfig::new(tol, 100)?;
    Ok(lipsdp_ipm::lipsdp_neuron_ipm(net, &config)?.value)
}

/// The experiments of this crate, for `megavolt reproduce`.
pub fn experiments() -> Vec<Box<dyn megavolt_core::Experiment>> {
    experiments::all()
}
