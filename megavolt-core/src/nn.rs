//! Dense feed-forward networks with backpropagation, initialisers and optimisers.
//!
//! A network maps a batch stored **one sample per column**: an input of shape
//! `in_dim x batch` gives an output of shape `out_dim x batch`. Layer `l` computes
//!
//! ```text
//! z_l = W_l a_{l-1} + b_l,    a_l = sigma_l(z_l),    a_0 = x,
//! ```
//!
//! with `W_l` of shape `n_l x n_{l-1}`. [`Mlp::forward_cached`] keeps the `a_l` and `z_l`;
//! [`Mlp::backward`] turns the gradient of a loss with respect to the output into gradients
//! with respect to every weight, bias and the input. Parameters are also exposed as one flat
//! vector ([`Mlp::params`], [`Mlp::set_params`]) on which the optimisers [`Sgd`] and [`Adam`]
//! act, so research crates can train any parametrisation with the same code.
//!
//! All products run with `faer::Par::Seq` (see the crate's determinism policy).
//!
//! ```
//! use megavolt_core::nn::{Activation, Adam, Init, Mlp, mse_loss};
//! use megavolt_core::Seed;
//! use faer::Mat;
//!
//! let mut rng = Seed::new(0).stream("init");
//! let mut net = Mlp::new(&[1, 16, 1], Activation::Tanh, Activation::Identity, Init::Glorot, &mut rng);
//! let x = Mat::from_fn(1, 32, |_, j| j as f64 / 31.0);
//! let y = Mat::from_fn(1, 32, |_, j| (3.0 * j as f64 / 31.0).sin());
//! let mut adam = Adam::new(2e-2, net.n_params());
//! let first = mse_loss(net.forward(x.as_ref()).as_ref(), y.as_ref()).0;
//! for _ in 0..2000 {
//!     let cache = net.forward_cached(x.as_ref());
//!     let (_, g_out) = mse_loss(cache.output(), y.as_ref());
//!     let grads = net.backward(&cache, g_out.as_ref());
//!     let mut p = net.params();
//!     adam.step(&mut p, &grads.flatten());
//!     net.set_params(&p);
//! }
//! let last = mse_loss(net.forward(x.as_ref()).as_ref(), y.as_ref()).0;
//! assert!(last < 0.1 * first);
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, MatRef, Par};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// Element-wise activation functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `x`.
    Identity,
    /// `max(x, 0)`; its derivative at 0 is taken as 0.
    Relu,
    /// `tanh x`.
    Tanh,
    /// The tanh form of GELU, `x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
    Gelu,
    /// `1 / (1 + e^{-x})`.
    Sigmoid,
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)
const GELU_A: f64 = 0.044715;

impl Activation {
    /// `sigma(x)`.
    #[inline]
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Identity => x,
            // `f64::max` would turn NaN into 0 and hide a bad input.
            Activation::Relu => {
                if x <= 0.0 {
                    0.0
                } else {
                    x
                }
            }
            Activation::Tanh => x.tanh(),
            Activation::Gelu => 0.5 * x * (1.0 + (GELU_C * (x + GELU_A * x * x * x)).tanh()),
            Activation::Sigmoid => sigmoid(x),
        }
    }

    /// `sigma'(x)`.
    #[inline]
    pub fn derivative(self, x: f64) -> f64 {
        match self {
            Activation::Identity => 1.0,
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
            Activation::Gelu => {
                let u = GELU_C * (x + GELU_A * x * x * x);
                let t = u.tanh();
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * x * x)
            }
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
        }
    }
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Weight initialisers (biases start at zero).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Glorot (Xavier) uniform: `U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))`.
    Glorot,
    /// He normal: `N(0, 2 / fan_in)`.
    He,
    /// `N(0, std^2)`.
    Gaussian {
        /// Standard deviation.
        std: f64,
    },
    /// `N(0, scale^2 / fan_in)`: the fan-in scaled Gaussian.
    FanIn {
        /// Multiplier of `1 / sqrt(fan_in)`.
        scale: f64,
    },
}

impl Init {
    /// Draws a `fan_out x fan_in` weight matrix, filled column by column.
    pub fn sample<R: Rng + ?Sized>(self, fan_out: usize, fan_in: usize, rng: &mut R) -> Mat<f64> {
        let mut w = Mat::zeros(fan_out, fan_in);
        for j in 0..fan_in {
            for i in 0..fan_out {
                w[(i, j)] = match self {
                    Init::Glorot => {
                        let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
                        let u: f64 = rng.random();
                        a * (2.0 * u - 1.0)
                    }
                    Init::He => {
                        let z: f64 = StandardNormal.sample(rng);
                        z * (2.0 / fan_in as f64).sqrt()
                    }
                    Init::Gaussian { std } => {
                        let z: f64 = StandardNormal.sample(rng);
                        z * std
                    }
                    Init::FanIn { scale } => {
                        let z: f64 = StandardNormal.sample(rng);
                        z * scale / (fan_in as f64).sqrt()
                    }
                };
            }
        }
        w
    }
}

/// One affine layer `z = W a + b` followed by an activation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Weights, `out x in`.
    pub weight: Mat<f64>,
    /// Biases, length `out`.
    pub bias: Col<f64>,
    /// Activation applied after the affine map.
    pub activation: Activation,
}

impl Dense {
    /// Input dimension.
    pub fn in_dim(&self) -> usize {
        self.weight.ncols()
    }
    /// Output dimension.
    pub fn out_dim(&self) -> usize {
        self.weight.nrows()
    }
}

/// A multilayer perceptron. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "MlpRecord", try_from = "MlpRecord")]
pub struct Mlp {
    layers: Vec<Dense>,
}

/// Intermediate values of a forward pass, needed by [`Mlp::backward`].
#[derive(Debug, Clone)]
pub struct ForwardCache {
    /// `a_0 = x, a_1, ..., a_m` (the last is the output).
    pub activations: Vec<Mat<f64>>,
    /// `z_1, ..., z_m`.
    pub pre_activations: Vec<Mat<f64>>,
}

impl ForwardCache {
    /// The network output `a_m`.
    pub fn output(&self) -> MatRef<'_, f64> {
        self.activations.last().expect("cache holds the input").as_ref()
    }
}

/// Gradients of a scalar loss with respect to every parameter and the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// `dL/dW_l`, same shapes as the weights.
    pub weights: Vec<Mat<f64>>,
    /// `dL/db_l`.
    pub biases: Vec<Col<f64>>,
    /// `dL/dx`, `in_dim x batch`.
    pub input: Mat<f64>,
}

impl Gradients {
    /// The parameter gradients in the order of [`Mlp::params`].
    pub fn flatten(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for (w, b) in self.weights.iter().zip(&self.biases) {
            push_mat(&mut out, w.as_ref());
            out.extend(b.iter().copied());
        }
        out
    }
}

fn push_mat(out: &mut Vec<f64>, m: MatRef<'_, f64>) {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            out.push(m[(i, j)]);
        }
    }
}

impl Mlp {
    /// A network with layer widths `sizes = [in, h_1, ..., out]`, activation `hidden` after every
    /// hidden layer and `output` after the last.
    ///
    /// # Panics
    /// If `sizes` has fewer than two entries or a zero width.
    #[track_caller]
    pub fn new<R: Rng + ?Sized>(
        sizes: &[usize],
        hidden: Activation,
        output: Activation,
        init: Init,
        rng: &mut R,
    ) -> Self {
        assert!(sizes.len() >= 2, "Mlp::new: need at least input and output sizes");
        assert!(sizes.iter().all(|&s| s > 0), "Mlp::new: zero layer width");
        let m = sizes.len() - 1;
        let layers = (0..m)
            .map(|l| Dense {
                weight: init.sample(sizes[l + 1], sizes[l], rng),
                bias: Col::zeros(sizes[l + 1]),
                activation: if l + 1 == m { output } else { hidden },
            })
            .collect();
        Self { layers }
    }

    /// A network from explicit layers.
    ///
    /// # Errors
    /// [`CoreError::InvalidParameter`] if there is no layer, consecutive shapes do not chain,
    /// a bias has the wrong length, or a weight is not finite.
    pub fn from_layers(layers: Vec<Dense>) -> Result<Self> {
        if layers.is_empty() {
            return Err(CoreError::invalid("layers", 0, "at least one layer"));
        }
        for (l, layer) in layers.iter().enumerate() {
            if layer.bias.nrows() != layer.out_dim() {
                return Err(CoreError::invalid(
                    "bias length",
                    layer.bias.nrows(),
                    "the layer's output dimension",
                ));
            }
            if l > 0 && layers[l - 1].out_dim() != layer.in_dim() {
                return Err(CoreError::invalid(
                    "layer input dimension",
                    layer.in_dim(),
                    "the previous layer's output dimension",
                ));
            }
            if !crate::linalg::all_finite(layer.weight.as_ref())
                || !layer.bias.iter().all(|v| v.is_finite())
            {
                return Err(CoreError::invalid("weights", format!("layer {l}"), "finite entries"));
            }
        }
        Ok(Self { layers })
    }

    /// The layers.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// The layers, mutably (for weight constraints such as spectral normalisation).
    pub fn layers_mut(&mut self) -> &mut [Dense] {
        &mut self.layers
    }

    /// Layer widths `[in, h_1, ..., out]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.layers[0].in_dim()];
        s.extend(self.layers.iter().map(Dense::out_dim));
        s
    }

    /// Input dimension.
    pub fn in_dim(&self) -> usize {
        self.layers[0].in_dim()
    }

    /// Output dimension.
    pub fn out_dim(&self) -> usize {
        self.layers.last().map_or(0, Dense::out_dim)
    }

    /// Number of scalar parameters.
    pub fn n_params(&self) -> usize {
        self.layers.iter().map(|l| l.out_dim() * (l.in_dim() + 1)).sum()
    }

    /// Output for a batch `x` (`in_dim x batch`).
    ///
    /// # Panics
    /// If `x` has the wrong number of rows.
    #[track_caller]
    pub fn forward(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.check_input(x);
        let mut a = x.to_owned();
        for layer in &self.layers {
            let mut z = affine(layer, a.as_ref());
            z.as_mut()
                .col_iter_mut()
                .for_each(|c| c.iter_mut().for_each(|v| *v = layer.activation.apply(*v)));
            a = z;
        }
        a
    }

    /// Forward pass keeping what [`Mlp::backward`] needs.
    ///
    /// # Panics
    /// If `x` has the wrong number of rows.
    #[track_caller]
    pub fn forward_cached(&self, x: MatRef<'_, f64>) -> ForwardCache {
        self.check_input(x);
        let mut activations = vec![x.to_owned()];
        let mut pre_activations = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let z = affine(layer, activations.last().expect("non-empty").as_ref());
            let a = Mat::from_fn(z.nrows(), z.ncols(), |i, j| layer.activation.apply(z[(i, j)]));
            pre_activations.push(z);
            activations.push(a);
        }
        ForwardCache { activations, pre_activations }
    }

    /// Backpropagation: gradients of a loss `L` given `grad_output = dL/d(output)`.
    ///
    /// # Panics
    /// If `grad_output` does not have the output's shape.
    #[track_caller]
    pub fn backward(&self, cache: &ForwardCache, grad_output: MatRef<'_, f64>) -> Gradients {
        let out = cache.output();
        assert_eq!(
            (grad_output.nrows(), grad_output.ncols()),
            (out.nrows(), out.ncols()),
            "Mlp::backward: gradient shape differs from output shape"
        );
        let m = self.layers.len();
        let mut weights = Vec::with_capacity(m);
        let mut biases = Vec::with_capacity(m);
        let mut delta = grad_output.to_owned();
        for l in (0..m).rev() {
            let layer = &self.layers[l];
            let z = &cache.pre_activations[l];
            // dL/dz = dL/da * sigma'(z)
            for j in 0..delta.ncols() {
                for i in 0..delta.nrows() {
                    delta[(i, j)] *= layer.activation.derivative(z[(i, j)]);
                }
            }
            let a_prev = cache.activations[l].as_ref();
            let mut gw = Mat::zeros(layer.out_dim(), layer.in_dim());
            matmul(gw.as_mut(), Accum::Replace, delta.as_ref(), a_prev.transpose(), 1.0, Par::Seq);
            let gb =
                Col::from_fn(layer.out_dim(), |i| (0..delta.ncols()).map(|j| delta[(i, j)]).sum());
            let mut next = Mat::zeros(layer.in_dim(), delta.ncols());
            matmul(
                next.as_mut(),
                Accum::Replace,
                layer.weight.transpose(),
                delta.as_ref(),
                1.0,
                Par::Seq,
            );
            weights.push(gw);
            biases.push(gb);
            delta = next;
        }
        weights.reverse();
        biases.reverse();
        Gradients { weights, biases, input: delta }
    }

    /// All parameters as one vector: for each layer, `W` column by column, then `b`.
    pub fn params(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.n_params());
        for layer in &self.layers {
            push_mat(&mut out, layer.weight.as_ref());
            out.extend(layer.bias.iter().copied());
        }
        out
    }

    /// Sets all parameters from a vector in the order of [`Mlp::params`].
    ///
    /// # Panics
    /// If `p.len() != self.n_params()`.
    #[track_caller]
    pub fn set_params(&mut self, p: &[f64]) {
        assert_eq!(p.len(), self.n_params(), "Mlp::set_params: wrong number of parameters");
        let mut k = 0;
        for layer in &mut self.layers {
            for j in 0..layer.in_dim() {
                for i in 0..layer.out_dim() {
                    layer.weight[(i, j)] = p[k];
                    k += 1;
                }
            }
            for i in 0..layer.out_dim() {
                layer.bias[i] = p[k];
                k += 1;
            }
        }
    }

    /// Serialises the network (sizes, activations, weights) as JSON.
    ///
    /// # Errors
    /// Never in practice; kept fallible because serialisation is.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| CoreError::Malformed(e.to_string()))
    }

    /// Reads a network written by [`Mlp::to_json`].
    ///
    /// # Errors
    /// [`CoreError::Malformed`] if the text is not a valid network record.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| CoreError::Malformed(e.to_string()))
    }

    #[track_caller]
    fn check_input(&self, x: MatRef<'_, f64>) {
        assert_eq!(
            x.nrows(),
            self.in_dim(),
            "Mlp: input has {} rows, network expects {}",
            x.nrows(),
            self.in_dim()
        );
    }
}

fn affine(layer: &Dense, a: MatRef<'_, f64>) -> Mat<f64> {
    let mut z = Mat::zeros(layer.out_dim(), a.ncols());
    for j in 0..a.ncols() {
        for i in 0..layer.out_dim() {
            z[(i, j)] = layer.bias[i];
        }
    }
    matmul(z.as_mut(), Accum::Add, layer.weight.as_ref(), a, 1.0, Par::Seq);
    z
}

/// Serialised form of a layer: weights row by row.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LayerRecord {
    rows: usize,
    cols: usize,
    activation: Activation,
    weight: Vec<f64>,
    bias: Vec<f64>,
}

/// Serialised form of an [`Mlp`].
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MlpRecord {
    layers: Vec<LayerRecord>,
}

impl From<Mlp> for MlpRecord {
    fn from(net: Mlp) -> Self {
        let layers = net
            .layers
            .iter()
            .map(|l| LayerRecord {
                rows: l.out_dim(),
                cols: l.in_dim(),
                activation: l.activation,
                weight: (0..l.out_dim())
                    .flat_map(|i| (0..l.in_dim()).map(move |j| (i, j)))
                    .map(|(i, j)| l.weight[(i, j)])
                    .collect(),
                bias: l.bias.iter().copied().collect(),
            })
            .collect();
        Self { layers }
    }
}

impl TryFrom<MlpRecord> for Mlp {
    type Error = CoreError;
    fn try_from(r: MlpRecord) -> Result<Self> {
        let mut layers = Vec::with_capacity(r.layers.len());
        for l in r.layers {
            if l.weight.len() != l.rows * l.cols {
                return Err(CoreError::Malformed(format!(
                    "layer weight has {} entries, shape {}x{}",
                    l.weight.len(),
                    l.rows,
                    l.cols
                )));
            }
            layers.push(Dense {
                weight: Mat::from_fn(l.rows, l.cols, |i, j| l.weight[i * l.cols + j]),
                bias: Col::from_fn(l.bias.len(), |i| l.bias[i]),
                activation: l.activation,
            });
        }
        Mlp::from_layers(layers)
    }
}

impl std::fmt::Display for MlpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "network with {} layers", self.layers.len())
    }
}

/// Mean squared error `L = (1 / (2 N)) sum (pred - target)^2` over the `N` entries, and
/// `dL/dpred`.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn mse_loss(pred: MatRef<'_, f64>, target: MatRef<'_, f64>) -> (f64, Mat<f64>) {
    assert_eq!(
        (pred.nrows(), pred.ncols()),
        (target.nrows(), target.ncols()),
        "mse_loss: shapes differ"
    );
    let n = (pred.nrows() * pred.ncols()).max(1) as f64;
    let grad = Mat::from_fn(pred.nrows(), pred.ncols(), |i, j| (pred[(i, j)] - target[(i, j)]) / n);
    let loss = (0..pred.ncols())
        .flat_map(|j| (0..pred.nrows()).map(move |i| (i, j)))
        .map(|(i, j)| (pred[(i, j)] - target[(i, j)]).powi(2))
        .sum::<f64>()
        / (2.0 * n);
    (loss, grad)
}

/// Plain gradient descent `p <- p - lr * g`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    /// Learning rate.
    pub lr: f64,
}

impl Sgd {
    /// One step.
    ///
    /// # Panics
    /// If the lengths differ.
    #[track_caller]
    pub fn step(&self, params: &mut [f64], grad: &[f64]) {
        assert_eq!(params.len(), grad.len(), "Sgd::step: lengths differ");
        params.iter_mut().zip(grad).for_each(|(p, g)| *p -= self.lr * g);
    }
}

/// Adam (Kingma & Ba, 2015) with bias correction.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `lr` | — | step size |
/// | `beta1` | 0.9 | decay of the first moment |
/// | `beta2` | 0.999 | decay of the second moment |
/// | `eps` | 1e-8 | added to the root of the second moment |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Step size.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator offset.
    pub eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u32,
}

impl Adam {
    /// Adam for `n_params` parameters with the usual defaults.
    pub fn new(lr: f64, n_params: usize) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            m: vec![0.0; n_params],
            v: vec![0.0; n_params],
            t: 0,
        }
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u32 {
        self.t
    }

    /// One step.
    ///
    /// # Panics
    /// If the lengths differ from the optimiser's.
    #[track_caller]
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        assert_eq!(params.len(), self.m.len(), "Adam::step: wrong number of parameters");
        assert_eq!(grad.len(), self.m.len(), "Adam::step: wrong gradient length");
        self.t += 1;
        let c1 = 1.0 - self.beta1.powi(self.t as i32);
        let c2 = 1.0 - self.beta2.powi(self.t as i32);
        for i in 0..params.len() {
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * grad[i];
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * grad[i] * grad[i];
            let mhat = self.m[i] / c1;
            let vhat = self.v[i] / c2;
            params[i] -= self.lr * mhat / (vhat.sqrt() + self.eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Seed, gaussian_mat};

    const ALL: [Activation; 5] = [
        Activation::Identity,
        Activation::Relu,
        Activation::Tanh,
        Activation::Gelu,
        Activation::Sigmoid,
    ];

    #[test]
    fn activation_derivatives_match_central_differences() {
        let h = 1e-6;
        for act in ALL {
            for &x in &[-2.3, -0.7, 0.31, 1.9] {
                let fd = (act.apply(x + h) - act.apply(x - h)) / (2.0 * h);
                // Central differences: truncation O(h^2 f''') plus rounding O(eps / h).
                assert!((fd - act.derivative(x)).abs() < 1e-8, "{act:?} at {x}");
            }
        }
    }

    fn loss(net: &Mlp, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> f64 {
        mse_loss(net.forward(x).as_ref(), y).0
    }

    #[test]
    fn backward_matches_central_differences() {
        for (k, act) in ALL.into_iter().enumerate() {
            let seed = Seed::new(11);
            let mut rng = seed.indexed("net", k as u64);
            let net = Mlp::new(
                &[3, 5, 4, 2],
                act,
                Activation::Tanh,
                Init::Gaussian { std: 0.8 },
                &mut rng,
            );
            let x = gaussian_mat(&mut rng, 3, 7, 1.0);
            let y = gaussian_mat(&mut rng, 2, 7, 1.0);
            let cache = net.forward_cached(x.as_ref());
            let (_, g) = mse_loss(cache.output(), y.as_ref());
            let grads = net.backward(&cache, g.as_ref());
            let flat = grads.flatten();
            let p0 = net.params();
            let h = 1e-6;
            let mut probe = net.clone();
            for i in 0..p0.len() {
                let mut p = p0.clone();
                p[i] += h;
                probe.set_params(&p);
                let lp = loss(&probe, x.as_ref(), y.as_ref());
                p[i] -= 2.0 * h;
                probe.set_params(&p);
                let lm = loss(&probe, x.as_ref(), y.as_ref());
                let fd = (lp - lm) / (2.0 * h);
                // ReLU kinks: a Gaussian pre-activation within h of 0 has probability ~1e-6.
                assert!(
                    (fd - flat[i]).abs() < 1e-7 * (1.0 + fd.abs()),
                    "{act:?} param {i}: fd {fd} vs {}",
                    flat[i]
                );
            }
            // Input gradient.
            for r in 0..3 {
                for c in 0..7 {
                    let mut xp = x.clone();
                    xp[(r, c)] += h;
                    let lp = loss(&net, xp.as_ref(), y.as_ref());
                    xp[(r, c)] -= 2.0 * h;
                    let lm = loss(&net, xp.as_ref(), y.as_ref());
                    let fd = (lp - lm) / (2.0 * h);
                    assert!(
                        (fd - grads.input[(r, c)]).abs() < 1e-7 * (1.0 + fd.abs()),
                        "{act:?} input ({r},{c})"
                    );
                }
            }
        }
    }

    #[test]
    fn nan_inputs_propagate_through_every_activation() {
        for act in ALL {
            assert!(act.apply(f64::NAN).is_nan(), "{act:?}");
        }
    }

    #[test]
    fn json_round_trip_is_exact() {
        let mut rng = Seed::new(5).stream("net");
        let net = Mlp::new(&[2, 3, 1], Activation::Relu, Activation::Identity, Init::He, &mut rng);
        let back = Mlp::from_json(&net.to_json().unwrap()).unwrap();
        assert_eq!(net, back);
        assert!(Mlp::from_json("{\"layers\":[]}").is_err());
        assert!(Mlp::from_json("{\"layers\":[{\"rows\":2,\"cols\":2,\"activation\":\"relu\",\"weight\":[1.0],\"bias\":[0.0,0.0]}]}").is_err());
    }

    #[test]
    fn adam_first_step_has_size_lr() {
        // With bias correction, the first Adam step is lr * g / (|g| + eps) = lr * sign(g).
        let mut adam = Adam::new(0.1, 2);
        let mut p = vec![1.0, 1.0];
        adam.step(&mut p, &[3.0, -0.5]);
        // Deviation from lr * sign(g): lr * eps / |g| <= 0.1 * 1e-8 / 0.5 = 2e-9.
        assert!((p[0] - 0.9).abs() < 2.1e-9);
        assert!((p[1] - 1.1).abs() < 2.1e-9);
    }
}
