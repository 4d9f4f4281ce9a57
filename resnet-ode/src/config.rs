//! Architecture and initialisation of a residual network, validated once.

use megavolt_core::nn::Activation;
use serde::{Deserialize, Serialize};

use crate::error::{ResnetError, Result, at_least, non_negative, positive};

/// How the residual weights `(W_k, V_k)` are drawn.
///
/// With state dimension `d`, hidden width `M` and `gain` the field of [`ResNetSpec`]:
///
/// | variant | `W_k` (`M x d`) | `V_k` (`d x M`) |
/// |---|---|---|
/// | `Iid` | i.i.d. `N(0, gain^2 / d)` for each `k` | i.i.d. `N(0, 1 / M)` for each `k` |
/// | `Smooth { length_scale }` | `W(k / L)` with `W(s)` a stationary Gaussian random function, marginals `N(0, gain^2 / d)` | `V(k / L)`, marginals `N(0, 1 / M)` |
/// | `Tied` | one `N(0, gain^2 / d)` matrix shared by every layer | `0` |
///
/// The smooth random function is a random Fourier series
/// `W(s) = sum_j a_j (G_j cos(2 pi j s) + H_j sin(2 pi j s))` with i.i.d. Gaussian `G_j, H_j`
/// and `a_j^2 ∝ exp(-2 (pi j l)^2)` (`l` = `length_scale`, the spectrum of a squared-exponential
/// kernel), normalised so that `sum_j a_j^2 = 1`; it is infinitely differentiable in `s`, so
/// `max_k |W_{k+1} - W_k| = O(1/L)`.
///
/// # References
/// * P. Marion, A. Fermanian, G. Biau, J.-P. Vert, "Scaling ResNets in the large-depth
///   regime", JMLR 26 (2025): i.i.d. and smooth initialisations.
/// * P. Marion, Y.-H. Wu, M. E. Sander, G. Biau, "Implicit regularization of deep residual
///   networks towards neural ODEs", ICLR 2024: the weight-tied initialisation (`V_k = 0`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Independent Gaussian layers with fan-in variances.
    Iid,
    /// Weights that are a smooth random function of depth `k / L`.
    Smooth {
        /// Correlation length of the random function in depth time, `> 0` (e.g. `0.25`).
        length_scale: f64,
    },
    /// `V_k = 0` and all `W_k` equal: a discretised neural ODE with constant weights.
    Tied,
}

/// The unvalidated description of a residual network; turn it into a [`ResNetConfig`] with
/// [`ResNetSpec::build`].
///
/// The network is
///
/// ```text
/// h_0 = A x,   h_{k+1} = h_k + L^{-beta} V_k sigma(W_k h_k)  (k = 0..L-1),   F(x) = B h_L
/// ```
///
/// | field | symbol | default | valid range |
/// |---|---|---|---|
/// | `dim` | `d`, state dimension | — | `>= 1` |
/// | `hidden` | `M`, hidden width of a block | — | `>= 1` |
/// | `depth` | `L`, number of residual blocks | — | `>= 1` |
/// | `beta` | depth-scaling exponent | `1` | finite, `>= 0` |
/// | `activation` | `sigma` | GELU | ReLU, GELU, tanh, identity, sigmoid |
/// | `init` | see [`Init`] | `Iid` | `length_scale > 0` |
/// | `gain` | multiplies the standard deviation of `W_k` | `1` | finite, `>= 0` |
/// | `input_dim` | `p`; `None` means `A = I` (`p = d`) | `None` | `>= 1` |
/// | `output_dim` | `q`; `None` means `B = I` (`q = d`) | `None` | `>= 1` |
///
/// The linear maps are initialised with i.i.d. `N(0, 1/p)` (`A`, `d x p`) and `N(0, 1/d)`
/// (`B`, `q x d`) entries.
///
/// ```
/// use resnet_ode::{Init, ResNetSpec};
/// use megavolt_core::nn::Activation;
///
/// # fn main() -> resnet_ode::Result<()> {
/// let config = ResNetSpec { beta: 0.5, activation: Activation::Relu, ..ResNetSpec::new(16, 32, 64) }
///     .build()?;
/// assert_eq!(config.depth(), 64);
/// assert!(ResNetSpec { init: Init::Smooth { length_scale: -1.0 }, ..ResNetSpec::new(4, 4, 4) }
///     .build()
///     .is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResNetSpec {
    /// State dimension `d`.
    pub dim: usize,
    /// Hidden width `M` of each block.
    pub hidden: usize,
    /// Depth `L`.
    pub depth: usize,
    /// Depth-scaling exponent `beta` in `L^{-beta}`.
    pub beta: f64,
    /// Activation `sigma`.
    pub activation: Activation,
    /// Initialisation of the residual weights.
    pub init: Init,
    /// Multiplier of the standard deviation of `W_k`.
    pub gain: f64,
    /// Input dimension `p` of the input map `A`, or `None` for `A = I`.
    pub input_dim: Option<usize>,
    /// Output dimension `q` of the output map `B`, or `None` for `B = I`.
    pub output_dim: Option<usize>,
}

impl ResNetSpec {
    /// A specification with the defaults of the table above.
    pub fn new(dim: usize, hidden: usize, depth: usize) -> Self {
        Self {
            dim,
            hidden,
            depth,
            beta: 1.0,
            activation: Activation::Gelu,
            init: Init::Iid,
            gain: 1.0,
            input_dim: None,
            output_dim: None,
        }
    }

    /// Validates the specification.
    ///
    /// # Errors
    /// [`ResnetError::InvalidParameter`] naming the first field out of its range.
    pub fn build(self) -> Result<ResNetConfig> {
        at_least("dim", self.dim, 1, "at least 1")?;
        at_least("hidden", self.hidden, 1, "at least 1")?;
        at_least("depth", self.depth, 1, "at least 1")?;
        non_negative("beta", self.beta)?;
        non_negative("gain", self.gain)?;
        if let Init::Smooth { length_scale } = self.init {
            positive("length_scale", length_scale)?;
        }
        if let Some(p) = self.input_dim {
            at_least("input_dim", p, 1, "at least 1")?;
        }
        if let Some(q) = self.output_dim {
            at_least("output_dim", q, 1, "at least 1")?;
        }
        Ok(ResNetConfig { spec: self })
    }
}

/// A validated [`ResNetSpec`]. Build one with [`ResNetSpec::build`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ResNetConfig {
    spec: ResNetSpec,
}

impl ResNetConfig {
    /// The specification it was built from.
    pub fn spec(&self) -> &ResNetSpec {
        &self.spec
    }
    /// State dimension `d`.
    pub fn dim(&self) -> usize {
        self.spec.dim
    }
    /// Hidden width `M`.
    pub fn hidden(&self) -> usize {
        self.spec.hidden
    }
    /// Depth `L`.
    pub fn depth(&self) -> usize {
        self.spec.depth
    }
    /// Exponent `beta`.
    pub fn beta(&self) -> f64 {
        self.spec.beta
    }
    /// Activation `sigma`.
    pub fn activation(&self) -> Activation {
        self.spec.activation
    }
    /// Initialisation scheme.
    pub fn init(&self) -> Init {
        self.spec.init
    }
    /// Input dimension `p` (equal to `d` without an input map).
    pub fn input_dim(&self) -> usize {
        self.spec.input_dim.unwrap_or(self.spec.dim)
    }
    /// Output dimension `q` (equal to `d` without an output map).
    pub fn output_dim(&self) -> usize {
        self.spec.output_dim.unwrap_or(self.spec.dim)
    }
    /// The residual scale `alpha_L = L^{-beta}`.
    pub fn scale(&self) -> f64 {
        (self.spec.depth as f64).powf(-self.spec.beta)
    }
    /// The same configuration at another depth.
    ///
    /// # Errors
    /// [`ResnetError::InvalidParameter`] if `depth == 0`.
    pub fn with_depth(&self, depth: usize) -> Result<Self> {
        ResNetSpec { depth, ..self.spec }.build()
    }
}

impl TryFrom<ResNetSpec> for ResNetConfig {
    type Error = ResnetError;
    fn try_from(spec: ResNetSpec) -> Result<Self> {
        spec.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_each_bad_field_by_name() {
        let base = ResNetSpec::new(4, 8, 16);
        let cases: Vec<(ResNetSpec, &str)> = vec![
            (ResNetSpec { dim: 0, ..base }, "dim"),
            (ResNetSpec { hidden: 0, ..base }, "hidden"),
            (ResNetSpec { depth: 0, ..base }, "depth"),
            (ResNetSpec { beta: -0.5, ..base }, "beta"),
            (ResNetSpec { beta: f64::NAN, ..base }, "beta"),
            (ResNetSpec { gain: f64::INFINITY, ..base }, "gain"),
            (ResNetSpec { init: Init::Smooth { length_scale: 0.0 }, ..base }, "length_scale"),
            (ResNetSpec { input_dim: Some(0), ..base }, "input_dim"),
            (ResNetSpec { output_dim: Some(0), ..base }, "output_dim"),
        ];
        for (spec, name) in cases {
            match spec.build() {
                Err(ResnetError::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: expected InvalidParameter, got {other:?}"),
            }
        }
        let c = base.build().unwrap();
        assert_eq!((c.input_dim(), c.output_dim()), (4, 4));
        assert!((c.scale() - 1.0 / 16.0).abs() < f64::EPSILON);
    }
}
