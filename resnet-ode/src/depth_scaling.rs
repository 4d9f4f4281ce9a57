//! The second moment of the output of a randomly initialised residual stack, as a function of
//! depth and of the scaling exponent `beta`.
//!
//! For `h_{k+1} = h_k + L^{-beta} V_k sigma(W_k h_k)` with independent `W_k` (`M x d`, entries
//! `N(0, 1/d)`) and `V_k` (`d x M`, entries `N(0, 1/M)`), the cross term vanishes
//! (`V_k` is centred and independent of `h_k`), `E|V a|^2 = (d/M) |a|^2`, and for ReLU
//! `E sigma(z)^2 = E z^2 / 2`, so each block multiplies `E|h|^2` by `1 + L^{-2 beta} / 2`:
//!
//! ```text
//! E |h_L|^2 / |h_0|^2 = (1 + L^{-2 beta} / 2)^L
//! ```
//!
//! which tends to 1 for `beta > 1/2`, to `e^{1/2}` for `beta = 1/2` (the neural SDE regime) and
//! to infinity for `beta < 1/2`. With the identity activation the factor is `1 + L^{-2 beta}`.
//!
//! # References
//! * P. Marion, A. Fermanian, G. Biau, J.-P. Vert, "Scaling ResNets in the large-depth
//!   regime", JMLR 26 (2025), §3 (Proposition 2 and the discussion of the three regimes).

use megavolt_core::nn::Activation;
use megavolt_core::rng::Seed;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{ResnetError, Result, at_least, non_negative};

/// A Monte Carlo study of `|h_L|^2 / |h_0|^2` at initialisation.
///
/// | field | meaning | valid range |
/// |---|---|---|
/// | `dim` | `d` | `>= 1` |
/// | `hidden` | `M` | `>= 1` |
/// | `depth` | `L` | `>= 1` |
/// | `beta` | scaling exponent | finite, `>= 0` |
/// | `activation` | `sigma` (closed form for ReLU and identity) | any |
/// | `draws` | independent networks (one input each) | `>= 2` |
///
/// ```
/// use megavolt_core::nn::Activation;
/// use megavolt_core::rng::Seed;
/// use resnet_ode::depth_scaling::{DepthScaling, expected_norm_ratio};
///
/// # fn main() -> resnet_ode::Result<()> {
/// let study = DepthScaling { dim: 8, hidden: 8, depth: 16, beta: 0.5, activation: Activation::Relu, draws: 200 };
/// let r = study.sample(Seed::new(1))?;
/// let m = megavolt_core::stats::mean_se(&r);
/// let exact = expected_norm_ratio(Activation::Relu, 16, 0.5).unwrap();
/// assert!((m.mean - exact).abs() < 5.0 * m.std_error);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DepthScaling {
    /// State dimension `d`.
    pub dim: usize,
    /// Hidden width `M`.
    pub hidden: usize,
    /// Depth `L`.
    pub depth: usize,
    /// Exponent `beta`.
    pub beta: f64,
    /// Activation.
    pub activation: Activation,
    /// Number of independent draws.
    pub draws: usize,
}

/// `E |h_L|^2 / |h_0|^2` in closed form: `(1 + L^{-2 beta}/2)^L` for ReLU,
/// `(1 + L^{-2 beta})^L` for the identity, `None` otherwise.
pub fn expected_norm_ratio(activation: Activation, depth: usize, beta: f64) -> Option<f64> {
    let a2 = (depth as f64).powf(-2.0 * beta);
    let factor = match activation {
        Activation::Relu => 1.0 + a2 / 2.0,
        Activation::Identity => 1.0 + a2,
        _ => return None,
    };
    Some(factor.powi(depth as i32))
}

impl DepthScaling {
    fn validate(&self) -> Result<()> {
        at_least("dim", self.dim, 1, "at least 1")?;
        at_least("hidden", self.hidden, 1, "at least 1")?;
        at_least("depth", self.depth, 1, "at least 1")?;
        at_least("draws", self.draws, 2, "at least 2")?;
        non_negative("beta", self.beta)?;
        if self.depth > i32::MAX as usize {
            return Err(ResnetError::invalid("depth", self.depth, "at most 2^31 - 1"));
        }
        Ok(())
    }

    /// The ratios `|h_L|^2 / |h_0|^2` of `draws` independent networks, draw `i` using the
    /// stream `seed.indexed("depth-scaling", i)` (so results do not depend on evaluation
    /// order). Each draw has its own Gaussian input `h_0`.
    ///
    /// # Errors
    /// [`ResnetError::InvalidParameter`] for a field out of range; [`ResnetError::NonFinite`]
    /// if a state overflows.
    pub fn sample(&self, seed: Seed) -> Result<Vec<f64>> {
        self.validate()?;
        (0..self.draws).map(|i| self.one_draw(seed, i)).collect()
    }

    fn one_draw(&self, seed: Seed, i: usize) -> Result<f64> {
        let (d, m, l) = (self.dim, self.hidden, self.depth);
        let mut rng = seed.indexed("depth-scaling", i as u64);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        let alpha = (l as f64).powf(-self.beta);
        let (sw, sv) = (1.0 / (d as f64).sqrt(), 1.0 / (m as f64).sqrt());
        let mut h: Vec<f64> = (0..d).map(|_| normal()).collect();
        let n0: f64 = h.iter().map(|v| v * v).sum();
        let mut a = vec![0.0; m];
        for k in 0..l {
            // Row by row of W_k, then row by row of V_k, drawn on the fly.
            for ai in a.iter_mut() {
                let z: f64 = h.iter().map(|hj| sw * normal() * hj).sum();
                *ai = self.activation.apply(z);
            }
            let update: Vec<f64> =
                (0..d).map(|_| a.iter().map(|aj| sv * normal() * aj).sum::<f64>()).collect();
            for (hi, ui) in h.iter_mut().zip(&update) {
                *hi += alpha * ui;
            }
            if !h.iter().all(|v| v.is_finite()) {
                return Err(ResnetError::NonFinite {
                    step: k + 1,
                    time: (k + 1) as f64 / l as f64,
                });
            }
        }
        Ok(h.iter().map(|v| v * v).sum::<f64>() / n0)
    }
}
