//! The network type analysed by the crate: a feed-forward ReLU network
//!
//! ```text
//! f(x) = W_m relu(W_{m-1} relu( ... relu(W_1 x + b_1) ... ) + b_{m-1}) + b_m,
//! ```
//!
//! with `W_l` of shape `n_l x n_{l-1}`, ReLU after every hidden layer and no activation after
//! the last. On each activation region `f` is affine with Jacobian
//! `J = W_m D_{m-1} W_{m-1} ... D_1 W_1`, `D_l` diagonal with 0/1 entries (an
//! [`ActivationPattern`]).
//!
//! Convention: the derivative of ReLU at 0 is taken as 0 (`D_ii = 1` iff the pre-activation is
//! strictly positive), as in `megavolt_core::nn::Activation::Relu`. Every certified quantity of
//! the crate is independent of this convention: lower bounds are only taken at points where
//! no pre-activation vanishes.

use faer::{Col, Mat, MatRef};
use megavolt_core::math::{ilogb, ldexp};
use megavolt_core::nn::{Activation, Dense, Mlp};
use rand::Rng;

use crate::error::{LipError, Result};
use crate::norms::mul;

/// A feed-forward ReLU network (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct ReluNet {
    weights: Vec<Mat<f64>>,
    biases: Vec<Col<f64>>,
}

/// Which units are active: `pattern[l][i]` for hidden layer `l` (0-based) and unit `i`.
pub type ActivationPattern = Vec<Vec<bool>>;

impl ReluNet {
    /// A network from its weights `W_1, ..., W_m` and biases `b_1, ..., b_m`.
    ///
    /// ```
    /// use lipschitz::ReluNet;
    /// // relu(x) - relu(-x) = x.
    /// let net = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
    /// assert_eq!(net.forward(&[-2.5]), vec![-2.5]);
    /// # Ok::<(), lipschitz::LipError>(())
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if there is no layer, shapes do not chain, a bias has the
    /// wrong length or an entry is not finite. `biases = None` means zero biases.
    pub fn new(weights: Vec<Mat<f64>>, biases: Option<Vec<Col<f64>>>) -> Result<Self> {
        if weights.is_empty() {
            return Err(LipError::invalid("weights", 0, "at least one layer"));
        }
        let biases =
            biases.unwrap_or_else(|| weights.iter().map(|w| Col::zeros(w.nrows())).collect());
        if biases.len() != weights.len() {
            return Err(LipError::invalid("biases", biases.len(), "one bias per layer"));
        }
        for (l, (w, b)) in weights.iter().zip(&biases).enumerate() {
            if w.nrows() == 0 || w.ncols() == 0 {
                return Err(LipError::invalid(
                    "weights",
                    format!("layer {l} is empty"),
                    "non-empty matrices",
                ));
            }
            if l > 0 && weights[l - 1].nrows() != w.ncols() {
                return Err(LipError::invalid(
                    "weights",
                    format!("layer {l} has {} columns", w.ncols()),
                    "columns = rows of the previous layer",
                ));
            }
            if b.nrows() != w.nrows() {
                return Err(LipError::invalid(
                    "biases",
                    format!("layer {l} has length {}", b.nrows()),
                    "length = rows of the weight",
                ));
            }
            let finite = (0..w.ncols()).all(|j| (0..w.nrows()).all(|i| w[(i, j)].is_finite()))
                && b.iter().all(|v| v.is_finite());
            if !finite {
                return Err(LipError::invalid("weights", format!("layer {l}"), "finite entries"));
            }
        }
        Ok(Self { weights, biases })
    }

    /// The ReLU network of a [`Mlp`] whose hidden layers use [`Activation::Relu`] and whose last
    /// layer uses [`Activation::Identity`].
    ///
    /// # Errors
    /// [`LipError::UnsupportedActivation`] naming the first layer that does not fit.
    pub fn from_mlp(mlp: &Mlp) -> Result<Self> {
        let layers = mlp.layers();
        for (l, layer) in layers.iter().enumerate() {
            let (want, expected) = if l + 1 == layers.len() {
                (Activation::Identity, "identity on the last layer")
            } else {
                (Activation::Relu, "relu on hidden layers")
            };
            if layer.activation != want {
                return Err(LipError::UnsupportedActivation {
                    layer: l,
                    activation: format!("{:?}", layer.activation),
                    expected,
                });
            }
        }
        Self::new(
            layers.iter().map(|l| l.weight.clone()).collect(),
            Some(layers.iter().map(|l| l.bias.clone()).collect()),
        )
    }

    /// The same network as a [`Mlp`] (ReLU hidden layers, identity output).
    pub fn to_mlp(&self) -> Mlp {
        let m = self.weights.len();
        let layers = self
            .weights
            .iter()
            .zip(&self.biases)
            .enumerate()
            .map(|(l, (w, b))| Dense {
                weight: w.clone(),
                bias: b.clone(),
                activation: if l + 1 == m { Activation::Identity } else { Activation::Relu },
            })
            .collect();
        Mlp::from_layers(layers).expect("a validated ReluNet chains")
    }

    /// A random network with widths `sizes = [in, h_1, ..., out]`, weights
    /// `N(0, scale^2 / fan_in)` and biases `N(0, bias_std^2)`.
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `sizes` has fewer than two entries, a zero width, or
    /// `scale`, `bias_std` are negative or not finite.
    pub fn random<R: Rng + ?Sized>(
        sizes: &[usize],
        scale: f64,
        bias_std: f64,
        rng: &mut R,
    ) -> Result<Self> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(LipError::invalid(
                "sizes",
                format!("{sizes:?}"),
                "at least two positive widths",
            ));
        }
        if !(scale.is_finite() && scale >= 0.0) {
            return Err(LipError::invalid("scale", scale, "finite and >= 0"));
        }
        if !(bias_std.is_finite() && bias_std >= 0.0) {
            return Err(LipError::invalid("bias_std", bias_std, "finite and >= 0"));
        }
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for l in 0..sizes.len() - 1 {
            let std = scale / (sizes[l] as f64).sqrt();
            weights.push(megavolt_core::rng::gaussian_mat(rng, sizes[l + 1], sizes[l], std));
            biases.push(megavolt_core::rng::gaussian_col(rng, sizes[l + 1], bias_std));
        }
        Self::new(weights, Some(biases))
    }

    /// The weights `W_1, ..., W_m`.
    pub fn weights(&self) -> &[Mat<f64>] {
        &self.weights
    }

    /// The biases `b_1, ..., b_m`.
    pub fn biases(&self) -> &[Col<f64>] {
        &self.biases
    }

    /// Mutable weights and biases (for training with constraints).
    pub fn params_mut(&mut self) -> (&mut [Mat<f64>], &mut [Col<f64>]) {
        (&mut self.weights, &mut self.biases)
    }

    /// Number of affine layers `m`.
    pub fn depth(&self) -> usize {
        self.weights.len()
    }

    /// Widths `[in, h_1, ..., out]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.weights[0].ncols()];
        s.extend(self.weights.iter().map(|w| w.nrows()));
        s
    }

    /// Input dimension.
    pub fn in_dim(&self) -> usize {
        self.weights[0].ncols()
    }

    /// Output dimension.
    pub fn out_dim(&self) -> usize {
        self.weights[self.weights.len() - 1].nrows()
    }

    /// Total number of hidden ReLU units.
    pub fn n_hidden(&self) -> usize {
        self.weights[..self.weights.len() - 1].iter().map(|w| w.nrows()).sum()
    }

    /// The pre-activations `z_1, ..., z_{m-1}` of the hidden layers at `x`.
    ///
    /// # Panics
    /// If `x.len() != self.in_dim()`.
    #[track_caller]
    pub fn pre_activations(&self, x: &[f64]) -> Vec<Vec<f64>> {
        self.check(x);
        let mut a = x.to_vec();
        let mut out = Vec::with_capacity(self.depth() - 1);
        for (w, b) in self.weights[..self.depth() - 1].iter().zip(&self.biases) {
            let z = affine(w.as_ref(), b, &a);
            a = z.iter().map(|v| v.max(0.0)).collect();
            out.push(z);
        }
        out
    }

    /// `f(x)`.
    ///
    /// # Panics
    /// If `x.len() != self.in_dim()`.
    #[track_caller]
    pub fn forward(&self, x: &[f64]) -> Vec<f64> {
        self.check(x);
        let mut a = x.to_vec();
        let m = self.depth();
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let z = affine(w.as_ref(), b, &a);
            a = if l + 1 == m { z } else { z.iter().map(|v| v.max(0.0)).collect() };
        }
        a
    }

    /// The activation pattern at `x` (`true` iff the pre-activation is `> 0`) and the smallest
    /// absolute pre-activation (`+inf` for a network without hidden layer).
    ///
    /// # Panics
    /// If `x.len() != self.in_dim()`.
    #[track_caller]
    pub fn pattern(&self, x: &[f64]) -> (ActivationPattern, f64) {
        let z = self.pre_activations(x);
        // A non-finite pre-activation (overflow) makes the point inadmissible: margin 0.
        let margin = z
            .iter()
            .flatten()
            .fold(f64::INFINITY, |m, v| if v.is_finite() { m.min(v.abs()) } else { 0.0 });
        (z.iter().map(|layer| layer.iter().map(|&v| v > 0.0).collect()).collect(), margin)
    }

    /// The Jacobian `W_m D_{m-1} ... D_1 W_1` of an activation pattern.
    ///
    /// # Panics
    /// If the pattern does not have one entry per hidden unit.
    #[track_caller]
    pub fn jacobian_of_pattern(&self, pattern: &ActivationPattern) -> Mat<f64> {
        assert_eq!(
            pattern.len(),
            self.depth() - 1,
            "jacobian_of_pattern: one mask per hidden layer"
        );
        let mut j = self.weights[0].clone();
        for (l, mask) in pattern.iter().enumerate() {
            assert_eq!(mask.len(), j.nrows(), "jacobian_of_pattern: mask length of layer {l}");
            for (i, &on) in mask.iter().enumerate() {
                if !on {
                    j.row_mut(i).fill(0.0);
                }
            }
            j = mul(self.weights[l + 1].as_ref(), j.as_ref());
        }
        j
    }

    /// The Jacobian at `x` with the convention `relu'(0) = 0`.
    ///
    /// # Panics
    /// If `x.len() != self.in_dim()`.
    #[track_caller]
    pub fn jacobian(&self, x: &[f64]) -> Mat<f64> {
        self.jacobian_of_pattern(&self.pattern(x).0)
    }

    /// The composition `next(self(x))`: the last affine map of `self` and the first of `next`
    /// merge into one layer, so the result has `self.depth() + next.depth() - 1` layers and a
    /// ReLU after every merged hidden layer.
    ///
    /// ```
    /// use lipschitz::ReluNet;
    /// let a = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
    /// let b = ReluNet::new(vec![faer::mat![[2.0], [-2.0]], faer::mat![[1.0, 1.0]]], None)?;
    /// let c = a.compose(&b)?; // |2x|
    /// assert_eq!(c.depth(), 3);
    /// assert_eq!(c.forward(&[-1.5]), vec![3.0]);
    /// # Ok::<(), lipschitz::LipError>(())
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `next.in_dim() != self.out_dim()`.
    pub fn compose(&self, next: &ReluNet) -> Result<ReluNet> {
        if next.in_dim() != self.out_dim() {
            return Err(LipError::invalid(
                "next",
                format!("input dimension {}", next.in_dim()),
                "the output dimension of self",
            ));
        }
        let m = self.depth();
        let (wl, bl) = (&self.weights[m - 1], &self.biases[m - 1]);
        let (w0, b0) = (&next.weights[0], &next.biases[0]);
        let merged_w = mul(w0.as_ref(), wl.as_ref());
        let merged_b = Col::from_fn(w0.nrows(), |i| {
            b0[i] + (0..w0.ncols()).map(|k| w0[(i, k)] * bl[k]).sum::<f64>()
        });
        let mut weights: Vec<Mat<f64>> = self.weights[..m - 1].to_vec();
        let mut biases: Vec<Col<f64>> = self.biases[..m - 1].to_vec();
        weights.push(merged_w);
        biases.push(merged_b);
        weights.extend(next.weights[1..].iter().cloned());
        biases.extend(next.biases[1..].iter().cloned());
        ReluNet::new(weights, Some(biases))
    }

    /// The product `W_m ... W_1` (all units active).
    pub fn weight_product(&self) -> Mat<f64> {
        self.weights[1..]
            .iter()
            .fold(self.weights[0].clone(), |acc, w| mul(w.as_ref(), acc.as_ref()))
    }

    /// The network rescaled layer by layer by powers of two, so that every nonzero weight
    /// matrix has largest entry in `[1/2, 1)` (a layer whose entries span more than `2^1021`
    /// is centred on the midpoint of its exponents instead, so that no entry underflows), and
    /// the exponent `e` with `f(x) = 2^e f_balanced(x)` for every `x`.
    ///
    /// ReLU is positively homogeneous: multiplying `W_l` by `c_l > 0` and `b_l` by
    /// `c_1 ... c_l` multiplies the network by `c_1 ... c_m` and moves no activation boundary.
    /// With `c_l` a power of two the rescaling is exact (no rounding) unless an entry leaves the
    /// range of normal numbers. Every Lipschitz bound and value of the crate is computed on the
    /// balanced network and multiplied back by `2^e`, so that weights of any magnitude
    /// representable in `f64` (say `1e-200` or `1e200` per layer) give the same relative
    /// accuracy as weights of order one.
    ///
    /// ```
    /// use lipschitz::ReluNet;
    /// let net = ReluNet::new(vec![faer::mat![[1e100], [-3e100]], faer::mat![[0.25, 0.5]]], None)?;
    /// let (unit, e) = net.balanced()?;
    /// let largest = unit.weights()[0].norm_max();
    /// assert!((0.5..1.0).contains(&largest));
    /// assert_eq!(unit.weights()[1][(0, 1)], 0.5); // already in [1/2, 1): unchanged
    /// let x = [0.3];
    /// assert_eq!(lipschitz::ldexp(unit.forward(&x)[0], e), net.forward(&x)[0]);
    /// # Ok::<(), lipschitz::LipError>(())
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] naming `biases` if a bias, rescaled with the weights,
    /// leaves the range of `f64` (biases about `1e300` times larger than the product of the
    /// weights' scales).
    pub fn balanced(&self) -> Result<(ReluNet, i32)> {
        let mut weights = Vec::with_capacity(self.depth());
        let mut biases = Vec::with_capacity(self.depth());
        let mut total = 0i32;
        for (l, (w, b)) in self.weights.iter().zip(&self.biases).enumerate() {
            let e = layer_exponent(w);
            total += e;
            weights.push(Mat::from_fn(w.nrows(), w.ncols(), |i, j| ldexp(w[(i, j)], -e)));
            let scaled = Col::from_fn(b.nrows(), |i| ldexp(b[i], -total));
            if scaled.iter().any(|v| !v.is_finite()) {
                return Err(LipError::invalid(
                    "biases",
                    format!(
                        "{:e} (largest, layer {})",
                        b.iter().fold(0.0f64, |m, v| m.max(v.abs())),
                        l + 1
                    ),
                    "biases within floating-point range once the weights are scaled to one",
                ));
            }
            biases.push(scaled);
        }
        Ok((ReluNet { weights, biases }, total))
    }

    /// [`ReluNet::balanced`] of the network with its biases set to zero: what the global upper
    /// bounds need (none of them depends on the biases), so that biases far larger than the
    /// weights cannot make them fail.
    pub(crate) fn balanced_weights(&self) -> (ReluNet, i32) {
        let zero = ReluNet {
            weights: self.weights.clone(),
            biases: self.biases.iter().map(|b| Col::zeros(b.nrows())).collect(),
        };
        zero.balanced().expect("zero biases stay finite under any scaling")
    }

    /// The same function with each hidden unit's incoming weights scaled by a power of two so
    /// that their largest magnitude lies in `[1/2, 1)`, the unit's bias with them, and the
    /// unit's outgoing column of the next layer by the inverse power (ReLU is positively
    /// homogeneous, so `f` is unchanged, exactly: a unit whose rescaling would push an entry
    /// out of the normal range is left as it is). The activation
    /// regions are those of `self`, with pre-activations of order one at points of order
    /// one, which is what the region search and the lower bound need; the norms of the
    /// individual layers change, so the upper bounds do not use it.
    pub(crate) fn unit_balanced(&self) -> ReluNet {
        let mut weights = self.weights.clone();
        let mut biases = self.biases.clone();
        let m = weights.len();
        for l in 0..m - 1 {
            for i in 0..weights[l].nrows() {
                let big =
                    (0..weights[l].ncols()).fold(0.0f64, |a, j| a.max(weights[l][(i, j)].abs()));
                if big == 0.0 {
                    continue;
                }
                let e = exponent(big);
                // Every entry moved must stay a normal number (or zero), so that the rescaling
                // is exact: an entry that would overflow or underflow leaves the unit as it is.
                let normal = |v: f64, k: i32| {
                    let w = ldexp(v, k);
                    v == 0.0 || (w.is_finite() && w.abs() >= f64::MIN_POSITIVE)
                };
                let fits = (0..weights[l + 1].nrows()).all(|r| normal(weights[l + 1][(r, i)], e))
                    && (0..weights[l].ncols()).all(|j| normal(weights[l][(i, j)], -e))
                    && ldexp(biases[l][i], -e).is_finite();
                if e == 0 || !fits {
                    continue;
                }
                for j in 0..weights[l].ncols() {
                    weights[l][(i, j)] = ldexp(weights[l][(i, j)], -e);
                }
                biases[l][i] = ldexp(biases[l][i], -e);
                for r in 0..weights[l + 1].nrows() {
                    weights[l + 1][(r, i)] = ldexp(weights[l + 1][(r, i)], e);
                }
            }
        }
        ReluNet { weights, biases }
    }

    #[track_caller]
    fn check(&self, x: &[f64]) {
        assert_eq!(
            x.len(),
            self.in_dim(),
            "ReluNet: input has length {}, network expects {}",
            x.len(),
            self.in_dim()
        );
    }
}

/// The `e` with `x / 2^e` in `[1/2, 1)`, for finite `x > 0` (subnormals included).
fn exponent(x: f64) -> i32 {
    ilogb(x) + 1
}

/// `value * 2^e` for a nonnegative bound computed on [`ReluNet::balanced`]: an error, not an
/// infinite or zero result, when the rescaled bound leaves the range of `f64` (a zero would not
/// be an upper bound of a positive constant).
pub(crate) fn unbalance(value: f64, e: i32) -> Result<f64> {
    let v = ldexp(value, e);
    if v.is_finite() && (v > 0.0 || value == 0.0) {
        Ok(v)
    } else {
        Err(LipError::invalid(
            "weights",
            if value.is_finite() {
                format!("a Lipschitz bound of about 2^{}", e + exponent_or_zero(value))
            } else {
                "a computation that overflowed (the bound or an intermediate quantity is \
                 beyond the range of f64)"
                    .to_string()
            },
            "a network whose Lipschitz bounds are representable in f64",
        ))
    }
}

/// A nonnegative bound, homogeneous of degree one in every layer's weights, evaluated on the
/// balanced network and scaled back (see [`ReluNet::balanced`]).
pub(crate) fn on_balanced(
    net: &ReluNet,
    bound: impl FnOnce(&ReluNet) -> Result<f64>,
) -> Result<f64> {
    let (unit, e) = net.balanced_weights();
    unbalance_upper(net, bound(&unit)?, e)
}

/// The exponent `e_l` of every layer in [`ReluNet::balanced`]: the balanced `W_l` is
/// `2^(-e_l) W_l`, and hidden layer `l`'s pre-activations are scaled by `2^(-(e_1 + ... + e_l))`.
pub(crate) fn layer_exponents(net: &ReluNet) -> Vec<i32> {
    net.weights().iter().map(layer_exponent).collect()
}

/// The power of two `e` by which [`ReluNet::balanced`] divides a layer: the exponent of its
/// largest entry, so that the largest scaled entry lies in `[1/2, 1)`, unless that would push a
/// nonzero entry below the normal range (a layer spanning more than `2^1021`); then the
/// midpoint of the largest and smallest exponents, capped so that the largest entry stays
/// finite, which keeps every entry as representable as it was.
fn layer_exponent(w: &Mat<f64>) -> i32 {
    let (mut big, mut small) = (0.0f64, f64::INFINITY);
    for j in 0..w.ncols() {
        for i in 0..w.nrows() {
            let a = w[(i, j)].abs();
            big = big.max(a);
            if a > 0.0 {
                small = small.min(a);
            }
        }
    }
    if big == 0.0 {
        return 0;
    }
    let (hi, lo) = (exponent(big), exponent(small));
    if lo - hi >= -1021 { hi } else { ((hi + lo).div_euclid(2)).max(hi - 1023) }
}

/// Whether some output depends structurally on some input: a chain of nonzero weights
/// `W_m[o, u_{m-1}] ... W_1[u_1, i]` exists. Every certified upper bound of the crate is then
/// positive in exact arithmetic (it dominates the Jacobian of the pattern that keeps one unit
/// of the chain per layer), so a computed zero can only be an underflow.
pub(crate) fn has_path(net: &ReluNet) -> bool {
    let mut reach = vec![true; net.in_dim()];
    for w in net.weights() {
        reach =
            (0..w.nrows()).map(|i| (0..w.ncols()).any(|j| reach[j] && w[(i, j)] != 0.0)).collect();
    }
    reach.iter().any(|&r| r)
}

/// [`unbalance`] for a certified upper bound: also an error when the bound came out zero
/// although the network is not structurally constant ([`has_path`]).
pub(crate) fn unbalance_upper(net: &ReluNet, value: f64, e: i32) -> Result<f64> {
    let v = unbalance(value, e)?;
    if v == 0.0 && has_path(net) {
        return Err(LipError::invalid(
            "weights",
            "a bound that came out 0 although the network is not constant (an underflow, or \
             small singular values lost next to large ones)",
            "layers whose products stay within the range of f64",
        ));
    }
    Ok(v)
}

/// Scales back an l2 LipSDP certificate `(sqrt(rho), rho, lambda)` (`rho` when present) computed on the balanced
/// network: with `E = e_1 + ... + e_m` and `E_l = e_1 + ... + e_l`, `rho` gains `2^(2E)` and
/// the multiplier of a unit of hidden layer `l` gains `2^(2E - 2E_l)` (its quadratic constraint
/// is of degree two in that layer's pre-activations, which the balancing scales by `2^(-E_l)`).
/// `rho` or a multiplier whose scaled value leaves the range of `f64` saturates to `0` or `inf`
/// (constants below `1e-154` or above `1e154`, layers of very different scales); the bound
/// itself is an error instead.
pub(crate) fn unbalance_lipsdp(
    net: &ReluNet,
    value: &mut f64,
    rho: Option<&mut f64>,
    multipliers: &mut [f64],
) -> Result<()> {
    let e = layer_exponents(net);
    let total: i32 = e.iter().sum();
    *value = unbalance_upper(net, *value, total)?;
    if let Some(rho) = rho {
        *rho = ldexp(*rho, 2 * total);
    }
    let sizes = net.sizes();
    let (mut k, mut partial) = (0, 0);
    for (l, &width) in sizes[1..net.depth()].iter().enumerate() {
        partial += e[l];
        for lambda in &mut multipliers[k..k + width] {
            *lambda = ldexp(*lambda, 2 * (total - partial));
        }
        k += width;
    }
    Ok(())
}

fn exponent_or_zero(x: f64) -> i32 {
    if x > 0.0 && x.is_finite() { exponent(x) } else { 0 }
}

fn affine(w: MatRef<'_, f64>, b: &Col<f64>, a: &[f64]) -> Vec<f64> {
    (0..w.nrows()).map(|i| b[i] + (0..w.ncols()).map(|j| w[(i, j)] * a[j]).sum::<f64>()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use megavolt_core::Seed;
    use megavolt_core::nn::Init;

    #[test]
    fn matches_mlp_forward_and_jacobian_matches_differences() {
        let mut rng = Seed::new(1).stream("net");
        let mlp =
            Mlp::new(&[3, 6, 5, 2], Activation::Relu, Activation::Identity, Init::He, &mut rng);
        let net = ReluNet::from_mlp(&mlp).unwrap();
        let x = [0.3, -0.7, 1.1];
        let y = mlp.forward(faer::Mat::from_fn(3, 1, |i, _| x[i]).as_ref());
        let f = net.forward(&x);
        for (i, fi) in f.iter().enumerate() {
            assert!((fi - y[(i, 0)]).abs() < 1e-14);
        }
        // f is affine near x (margin > h), so central differences are exact up to rounding.
        let (_, margin) = net.pattern(&x);
        let h = 1e-6;
        assert!(margin > 10.0 * h);
        let j = net.jacobian(&x);
        for k in 0..3 {
            let mut xp = x;
            xp[k] += h;
            let mut xm = x;
            xm[k] -= h;
            let (fp, fm) = (net.forward(&xp), net.forward(&xm));
            for i in 0..2 {
                assert!(((fp[i] - fm[i]) / (2.0 * h) - j[(i, k)]).abs() < 1e-8);
            }
        }
        assert_eq!(net.to_mlp(), mlp);
    }

    #[test]
    fn rejects_non_relu_networks_and_bad_shapes() {
        let mut rng = Seed::new(1).stream("net");
        let mlp = Mlp::new(&[2, 3, 1], Activation::Tanh, Activation::Identity, Init::He, &mut rng);
        assert!(matches!(
            ReluNet::from_mlp(&mlp),
            Err(LipError::UnsupportedActivation { layer: 0, .. })
        ));
        assert!(ReluNet::new(vec![Mat::zeros(2, 3), Mat::zeros(1, 3)], None).is_err());
        assert!(ReluNet::new(vec![], None).is_err());
        assert!(ReluNet::random(&[2], 1.0, 0.0, &mut rng).is_err());
    }
}
