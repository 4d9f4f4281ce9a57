//! Reproduction experiments run by `megavolt reproduce`.
//!
//! | name | what |
//! |---|---|
//! | `lipschitz-bounds-vs-exact` | every bound against the exact constant on random networks of growing depth and width |
//! | `lipschitz-training-tradeoff` | accuracy against certified constant for spectral normalisation, Parseval and penalty training |
//! | `lipschitz-lipsdp-scaling` | LipSDP-Neuron (structured first-order solver) against width: tightness and cost |

mod bounds_table;
mod lipsdp_scaling;
mod training_tradeoff;

pub use bounds_table::BoundsVsExact;
pub use lipsdp_scaling::LipSdpScaling;
pub use training_tradeoff::TrainingTradeoff;

/// All experiments of the crate.
pub fn all() -> Vec<Box<dyn megavolt_core::Experiment>> {
    vec![Box::new(BoundsVsExact), Box::new(TrainingTradeoff), Box::new(LipSdpScaling)]
}
