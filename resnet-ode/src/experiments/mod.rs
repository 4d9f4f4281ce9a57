//! The `megavolt reproduce` experiments of this crate.
//!
//! | name | reproduces |
//! |---|---|
//! | `depth-scaling` | the second-moment trichotomy at initialisation (Marion, Fermanian, Biau, Vert, JMLR 2025) |
//! | `implicit-regularisation` | Figs. 1 (left) and 2 of Marion, Wu, Sander, Biau (ICLR 2024) |
//! | `discrete-to-continuous` | the `O(1/L)` distance between a trained ResNet and its neural ODE (same paper, Theorem 1) |
//! | `memory-free` | memory-free backpropagation, Euler against Heun (Sander, Ablin, Peyré, NeurIPS 2022) |
//! | `transport-map` | neural ODEs with piecewise-constant parameters as transport maps (Álvarez-López, Geshkovski, Ruiz-Balet, 2025) |

mod continuum;
mod depth_scaling;
mod implicit_reg;
mod memory_free;
mod transport_map;

use faer::Mat;
use megavolt_core::Experiment;
use megavolt_core::nn::Activation;
use megavolt_core::rng::{Seed, gaussian_mat};

pub use continuum::DiscreteToContinuous;
pub use depth_scaling::DepthScalingExperiment;
pub use implicit_reg::ImplicitRegularisation;
pub use memory_free::MemoryFree;
pub use transport_map::TransportMap;

use crate::config::{Init, ResNetSpec};
use crate::error::Result;
use crate::params::ResNetParams;
use crate::resnet::ResNet;

/// Every experiment of this crate, in the order of a report.
pub fn experiments() -> Vec<Box<dyn Experiment>> {
    vec![
        Box::new(DepthScalingExperiment),
        Box::new(ImplicitRegularisation),
        Box::new(DiscreteToContinuous),
        Box::new(MemoryFree),
        Box::new(TransportMap),
    ]
}

/// The regression problem of Marion et al. (ICLR 2024, §5): inputs and targets i.i.d.
/// `N(0, I_d)` (one sample per column), and one `M x d` matrix of i.i.d. `N(0, 1)` entries
/// shared by every layer of the weight-tied initialisation.
pub(crate) struct Problem {
    pub x: Mat<f64>,
    pub y: Mat<f64>,
    pub w0: Mat<f64>,
    pub dim: usize,
    pub hidden: usize,
}

impl Problem {
    pub fn new(seed: Seed, dim: usize, hidden: usize, n: usize) -> Self {
        Self {
            x: gaussian_mat(&mut seed.stream("data/x"), dim, n, 1.0),
            y: gaussian_mat(&mut seed.stream("data/y"), dim, n, 1.0),
            w0: gaussian_mat(&mut seed.stream("init/w0"), hidden, dim, 1.0),
            dim,
            hidden,
        }
    }

    /// A depth-`depth` GELU network (`beta = 1`, no input or output map): weight-tied from
    /// the shared matrix, or i.i.d. with the same `N(0, 1)` scale for `W_k` and `N(0, 1/M)` for
    /// `V_k`.
    pub fn network(&self, depth: usize, tied: bool, seed: Seed) -> Result<ResNet> {
        let gain = (self.dim as f64).sqrt();
        let init = if tied { Init::Tied } else { Init::Iid };
        let cfg = ResNetSpec {
            activation: Activation::Gelu,
            init,
            gain,
            ..ResNetSpec::new(self.dim, self.hidden, depth)
        }
        .build()?;
        if tied {
            let params = ResNetParams {
                w: vec![self.w0.clone(); depth],
                v: vec![Mat::zeros(self.dim, self.hidden); depth],
                input_map: None,
                output_map: None,
            };
            Ok(ResNet::from_params(cfg, params))
        } else {
            Ok(ResNet::new(cfg, &mut seed.indexed("init/iid", depth as u64)))
        }
    }
}

/// Depths `start, 2 start, 4 start, ...` up to `max`.
pub(crate) fn powers_of_two(start: usize, max: usize) -> Vec<usize> {
    std::iter::successors(Some(start), |&l| Some(l * 2)).take_while(|&l| l <= max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use megavolt_core::experiment::{Scale, silent_context};

    /// Every experiment runs at quick scale and every metric with a verdict passes.
    #[test]
    #[ignore = "about a minute in release: cargo test --release -- --ignored"]
    fn all_experiments_pass_at_quick_scale() {
        for e in experiments() {
            let out = e.run(&silent_context(0, Scale::Quick)).unwrap();
            for m in &out.metrics {
                assert_ne!(
                    m.pass,
                    Some(false),
                    "{}: {} = {} (reference {:?})",
                    e.name(),
                    m.name,
                    m.value,
                    m.reference
                );
            }
        }
    }
}
