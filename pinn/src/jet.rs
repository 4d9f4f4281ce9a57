//! A tanh multilayer perceptron with exact input derivatives up to order two (forward jets) and
//! parameter gradients through them (a reverse pass over the jet computation).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use megavolt_core::nn::{Activation, Init, Mlp};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{PinnError, Result};

/// Which input derivatives a forward pass propagates: all first derivatives, and the second
/// derivatives `d^2 u / dx_i dx_j` for the listed pairs `(i, j)`, `i <= j`.
///
/// A pair only needs the first-derivative channels `i`, `j` and its own channel, so any subset
/// of pairs is closed under the propagation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetSpec {
    dim: usize,
    first: bool,
    pairs: Vec<(usize, usize)>,
}

impl JetSpec {
    /// Values only (one channel).
    pub fn values(dim: usize) -> Self {
        Self { dim, first: false, pairs: Vec::new() }
    }

    /// Values and first derivatives only.
    pub fn first_order(dim: usize) -> Self {
        Self { dim, first: true, pairs: Vec::new() }
    }

    /// Values, first derivatives and every second derivative (`d (d + 1) / 2` pairs).
    pub fn full(dim: usize) -> Self {
        let pairs = (0..dim).flat_map(|i| (i..dim).map(move |j| (i, j))).collect();
        Self { dim, first: true, pairs }
    }

    /// Values, first derivatives and the listed second derivatives.
    ///
    /// # Panics
    /// If a pair has an index `>= dim`. Pairs are normalised to `i <= j` and deduplicated.
    #[track_caller]
    pub fn with_pairs(dim: usize, pairs: &[(usize, usize)]) -> Self {
        let mut p: Vec<(usize, usize)> = pairs
            .iter()
            .map(|&(i, j)| {
                assert!(i < dim && j < dim, "JetSpec::with_pairs: index out of range");
                (i.min(j), i.max(j))
            })
            .collect();
        p.sort_unstable();
        p.dedup();
        Self { dim, first: true, pairs: p }
    }

    /// Input dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The second-derivative pairs, sorted.
    pub fn pairs(&self) -> &[(usize, usize)] {
        &self.pairs
    }

    /// Number of first-derivative channels: `d`, or 0 for [`JetSpec::values`].
    pub fn n_first(&self) -> usize {
        if self.first { self.dim } else { 0 }
    }

    /// Number of channels: `1 + d + pairs` (1 for [`JetSpec::values`]).
    pub fn channels(&self) -> usize {
        1 + self.n_first() + self.pairs.len()
    }

    /// Channel of the first derivative along `i`, if propagated.
    pub fn first_channel(&self, i: usize) -> Option<usize> {
        (self.first && i < self.dim).then_some(1 + i)
    }

    /// Channel of the pair `(i, j)` (in either order), if propagated.
    pub fn pair_channel(&self, i: usize, j: usize) -> Option<usize> {
        let key = (i.min(j), i.max(j));
        self.pairs.iter().position(|&p| p == key).map(|c| 1 + self.dim + c)
    }
}

/// Output of a jet forward pass: `u`, its first derivatives and the requested second
/// derivatives at each of `n` points.
///
/// `data` is `channels x n`: row 0 holds `u`, row `1 + i` holds `du/dx_i`, and row
/// `1 + d + c` the `c`-th pair of the [`JetSpec`].
#[derive(Debug, Clone, PartialEq)]
pub struct Jets {
    /// The propagated derivatives.
    pub spec: JetSpec,
    /// `channels x n` values.
    pub data: Mat<f64>,
}

impl Jets {
    /// `u` at every point.
    pub fn value(&self) -> Vec<f64> {
        self.data.row(0).iter().copied().collect()
    }

    /// Row of channel `c`.
    pub fn channel(&self, c: usize) -> Vec<f64> {
        self.data.row(c).iter().copied().collect()
    }

    /// The second derivative `d^2 u / dx_i dx_j`, if propagated.
    pub fn second(&self, i: usize, j: usize) -> Option<Vec<f64>> {
        self.spec.pair_channel(i, j).map(|c| self.channel(c))
    }
}

/// Intermediate values of [`TanhNet::forward_cached`], needed by [`TanhNet::backward`].
#[derive(Debug, Clone)]
pub struct JetCache {
    spec: JetSpec,
    n: usize,
    /// Layer inputs (all channels side by side, `width x channels n`).
    inputs: Vec<Mat<f64>>,
    /// Pre-activations of the hidden layers, same layout.
    pre: Vec<Mat<f64>>,
    /// `tanh` of the value channel of each hidden pre-activation, `width x n`.
    tanh: Vec<Mat<f64>>,
}

/// A fully connected network `R^d -> R` with `tanh` hidden layers and a linear output,
/// `u(x) = W_H tanh(... tanh(W_0 x + b_0) ...) + b_H`.
///
/// Parameters are one flat vector in the order of [`megavolt_core::nn::Mlp::params`] (per
/// layer, `W` column by column, then `b`), so a network can be moved to and from `Mlp`.
///
/// For each hidden layer `a+ = tanh(z)`, `z = W a + b`, the forward jet rules are
///
/// ```text
/// z_i = W a_i,  z_ij = W a_ij,
/// a+_i = s1 z_i,  a+_ij = s2 z_i z_j + s1 z_ij,
/// s1 = 1 - tanh^2(z),  s2 = -2 tanh(z) s1,  s3 = s1 (6 tanh^2(z) - 2),
/// ```
///
/// and [`TanhNet::backward`] applies their adjoints, layer by layer.
///
/// | parameter | valid range |
/// |---|---|
/// | `sizes` | `[d, h_1, ..., h_H, 1]`, at least one hidden layer, all widths `>= 1` |
///
/// # Example
/// ```
/// use faer::Mat;
/// use megavolt_core::rng::Seed;
/// use pinn::jet::{JetSpec, TanhNet};
/// let net = TanhNet::glorot(&[2, 8, 8, 1], &mut Seed::new(1).stream("init"))?;
/// let x = Mat::from_fn(2, 5, |i, j| 0.1 * (i + j) as f64);
/// let jets = net.forward(x.as_ref(), &JetSpec::full(2));
/// assert_eq!(jets.data.nrows(), 6);
/// # Ok::<(), pinn::PinnError>(())
/// ```
///
/// # References
/// Doumèche, Biau, Boyer, *On the convergence of PINNs*, Bernoulli 31 (2025), Section 2 (the
/// class of tanh networks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TanhNet {
    sizes: Vec<usize>,
    params: Vec<f64>,
}

impl TanhNet {
    /// A network with Glorot-uniform weights and zero biases.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if `sizes` is not `[d, h.., 1]` with a hidden layer and
    /// positive widths.
    pub fn glorot<R: Rng + ?Sized>(sizes: &[usize], rng: &mut R) -> Result<Self> {
        check_sizes(sizes)?;
        let mlp = Mlp::new(sizes, Activation::Tanh, Activation::Identity, Init::Glorot, rng);
        Ok(Self { sizes: sizes.to_vec(), params: mlp.params() })
    }

    /// A network from explicit parameters (order of [`Mlp::params`]).
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] for bad sizes, a wrong parameter count or non-finite
    /// parameters.
    pub fn from_params(sizes: &[usize], params: Vec<f64>) -> Result<Self> {
        check_sizes(sizes)?;
        let count: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        if params.len() != count {
            return Err(PinnError::invalid(
                "params length",
                params.len(),
                "the network's parameter count",
            ));
        }
        if params.iter().any(|p| !p.is_finite()) {
            return Err(PinnError::invalid("params", "non-finite entry", "finite parameters"));
        }
        Ok(Self { sizes: sizes.to_vec(), params })
    }

    /// The same network as a `megavolt_core` [`Mlp`] (tanh hidden layers, identity output).
    pub fn to_mlp(&self) -> Mlp {
        // The initial weights are overwritten at once.
        let mut rng = megavolt_core::rng::Seed::new(0).stream("unused");
        let mut mlp =
            Mlp::new(&self.sizes, Activation::Tanh, Activation::Identity, Init::Glorot, &mut rng);
        mlp.set_params(&self.params);
        mlp
    }

    /// Layer widths.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Flat parameters.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.params.len()
    }

    /// Replaces the parameters.
    ///
    /// # Panics
    /// If `p.len() != self.n_params()`.
    #[track_caller]
    pub fn set_params(&mut self, p: &[f64]) {
        assert_eq!(p.len(), self.params.len(), "TanhNet::set_params: wrong number of parameters");
        self.params.copy_from_slice(p);
    }

    /// Weight matrix and bias of layer `l`.
    fn layer(&self, l: usize) -> (MatRef<'_, f64>, &[f64]) {
        let off = self.offset(l);
        let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
        let w = MatRef::from_column_major_slice(
            &self.params[off..off + fan_in * fan_out],
            fan_out,
            fan_in,
        );
        (w, &self.params[off + fan_in * fan_out..off + fan_in * fan_out + fan_out])
    }

    fn offset(&self, l: usize) -> usize {
        self.sizes.windows(2).take(l).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// The jets of `u` at the points `x` (`d x n`).
    ///
    /// # Panics
    /// If `x.nrows()` or `spec.dim()` differ from the input dimension.
    #[track_caller]
    pub fn forward(&self, x: MatRef<'_, f64>, spec: &JetSpec) -> Jets {
        self.forward_cached(x, spec).0
    }

    /// The jets and the cache for [`TanhNet::backward`].
    ///
    /// # Panics
    /// If `x.nrows()` or `spec.dim()` differ from the input dimension.
    #[track_caller]
    pub fn forward_cached(&self, x: MatRef<'_, f64>, spec: &JetSpec) -> (Jets, JetCache) {
        let d = self.sizes[0];
        assert!(x.nrows() == d && spec.dim() == d, "TanhNet::forward: input dimension mismatch");
        let n = x.ncols();
        let ch = spec.channels();
        let mut a = Mat::<f64>::zeros(d, ch * n);
        for p in 0..n {
            for i in 0..d {
                a[(i, p)] = x[(i, p)];
                if spec.first {
                    a[(i, (1 + i) * n + p)] = 1.0;
                }
            }
        }
        let n_layers = self.sizes.len() - 1;
        let mut inputs = Vec::with_capacity(n_layers);
        let mut pre = Vec::with_capacity(n_layers - 1);
        let mut tanh = Vec::with_capacity(n_layers - 1);
        for l in 0..n_layers {
            let (w, b) = self.layer(l);
            let mut z = Mat::<f64>::zeros(w.nrows(), ch * n);
            matmul(z.as_mut(), Accum::Replace, w, a.as_ref(), 1.0, Par::Seq);
            for p in 0..n {
                for (u, bu) in b.iter().enumerate() {
                    z[(u, p)] += bu;
                }
            }
            inputs.push(a);
            if l + 1 == n_layers {
                let data = Mat::from_fn(ch, n, |c, p| z[(0, c * n + p)]);
                let jets = Jets { spec: spec.clone(), data };
                return (jets, JetCache { spec: spec.clone(), n, inputs, pre, tanh });
            }
            let (next, t) = activate(&z, spec, n);
            pre.push(z);
            tanh.push(t);
            a = next;
        }
        unreachable!("the output layer returns")
    }

    /// Gradient of `sum_{c, p} adjoint[c, p] * jets[c, p]` with respect to the parameters (order
    /// of [`TanhNet::params`]), by a reverse pass through the jet computation.
    ///
    /// # Panics
    /// If `adjoint` is not `channels x n` for the cached pass.
    #[track_caller]
    pub fn backward(&self, cache: &JetCache, adjoint: MatRef<'_, f64>) -> Vec<f64> {
        let (spec, n) = (&cache.spec, cache.n);
        let ch = spec.channels();
        assert!(adjoint.nrows() == ch && adjoint.ncols() == n, "TanhNet::backward: adjoint shape");
        let n_layers = self.sizes.len() - 1;
        let mut grad = vec![0.0; self.n_params()];
        // Adjoint of the output layer's pre-activation, channels side by side (1 x ch n).
        let mut zbar = Mat::<f64>::from_fn(1, ch * n, |_, q| adjoint[(q / n, q % n)]);
        for l in (0..n_layers).rev() {
            let (w, _) = self.layer(l);
            let off = self.offset(l);
            let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
            {
                let gw = MatMut::from_column_major_slice_mut(
                    &mut grad[off..off + fan_in * fan_out],
                    fan_out,
                    fan_in,
                );
                matmul(
                    gw,
                    Accum::Replace,
                    zbar.as_ref(),
                    cache.inputs[l].transpose(),
                    1.0,
                    Par::Seq,
                );
            }
            for u in 0..fan_out {
                grad[off + fan_in * fan_out + u] = (0..n).map(|p| zbar[(u, p)]).sum();
            }
            if l == 0 {
                break;
            }
            let mut abar = Mat::<f64>::zeros(fan_in, ch * n);
            matmul(abar.as_mut(), Accum::Replace, w.transpose(), zbar.as_ref(), 1.0, Par::Seq);
            zbar = activate_adjoint(&cache.pre[l - 1], &cache.tanh[l - 1], &abar, spec, n);
        }
        grad
    }
}

/// The tanh jet rules: from the pre-activation channels `z` to the activation channels.
/// Loops run down contiguous columns (one point and channel at a time).
fn activate(z: &Mat<f64>, spec: &JetSpec, n: usize) -> (Mat<f64>, Mat<f64>) {
    let width = z.nrows();
    let d = spec.dim();
    let mut a = Mat::<f64>::zeros(width, spec.channels() * n);
    let mut t = Mat::<f64>::zeros(width, n);
    let (mut s1, mut s2) = (vec![0.0; width], vec![0.0; width]);
    for p in 0..n {
        {
            let (zc, tc) = (z.col_as_slice(p), t.col_as_slice_mut(p));
            for u in 0..width {
                let th = zc[u].tanh();
                tc[u] = th;
                s1[u] = 1.0 - th * th;
                s2[u] = -2.0 * th * s1[u];
            }
        }
        a.col_as_slice_mut(p).copy_from_slice(t.col_as_slice(p));
        for i in 0..spec.n_first() {
            let q = (1 + i) * n + p;
            let (zc, ac) = (z.col_as_slice(q), a.col_as_slice_mut(q));
            for u in 0..width {
                ac[u] = s1[u] * zc[u];
            }
        }
        for (c, &(i, j)) in spec.pairs().iter().enumerate() {
            let q = (1 + d + c) * n + p;
            let (zi, zj, zq) = (
                z.col_as_slice((1 + i) * n + p),
                z.col_as_slice((1 + j) * n + p),
                z.col_as_slice(q),
            );
            let ac = a.col_as_slice_mut(q);
            for u in 0..width {
                ac[u] = s2[u] * zi[u] * zj[u] + s1[u] * zq[u];
            }
        }
    }
    (a, t)
}

/// Adjoint of [`activate`]: from the adjoint of the activation channels to that of `z`.
fn activate_adjoint(
    z: &Mat<f64>,
    t: &Mat<f64>,
    abar: &Mat<f64>,
    spec: &JetSpec,
    n: usize,
) -> Mat<f64> {
    let width = z.nrows();
    let d = spec.dim();
    let mut zbar = Mat::<f64>::zeros(width, spec.channels() * n);
    let (mut s1, mut s2, mut s3, mut z0) =
        (vec![0.0; width], vec![0.0; width], vec![0.0; width], vec![0.0; width]);
    for p in 0..n {
        let (tc, ab0) = (t.col_as_slice(p), abar.col_as_slice(p));
        for u in 0..width {
            let th = tc[u];
            s1[u] = 1.0 - th * th;
            s2[u] = -2.0 * th * s1[u];
            s3[u] = s1[u] * (6.0 * th * th - 2.0);
            z0[u] = s1[u] * ab0[u];
        }
        for i in 0..spec.n_first() {
            let q = (1 + i) * n + p;
            let (zc, abc) = (z.col_as_slice(q), abar.col_as_slice(q));
            let out = zbar.col_as_slice_mut(q);
            for u in 0..width {
                out[u] = s1[u] * abc[u];
                z0[u] += s2[u] * zc[u] * abc[u];
            }
        }
        for (c, &(i, j)) in spec.pairs().iter().enumerate() {
            let q = (1 + d + c) * n + p;
            let (qi, qj) = ((1 + i) * n + p, (1 + j) * n + p);
            let (zi, zj, zq, ab) =
                (z.col_as_slice(qi), z.col_as_slice(qj), z.col_as_slice(q), abar.col_as_slice(q));
            {
                let out = zbar.col_as_slice_mut(q);
                for u in 0..width {
                    out[u] = s1[u] * ab[u];
                    z0[u] += (s3[u] * zi[u] * zj[u] + s2[u] * zq[u]) * ab[u];
                }
            }
            {
                let out = zbar.col_as_slice_mut(qi);
                for u in 0..width {
                    out[u] += s2[u] * zj[u] * ab[u];
                }
            }
            let out = zbar.col_as_slice_mut(qj);
            for u in 0..width {
                out[u] += s2[u] * zi[u] * ab[u];
            }
        }
        zbar.col_as_slice_mut(p).copy_from_slice(&z0);
    }
    zbar
}

fn check_sizes(sizes: &[usize]) -> Result<()> {
    if sizes.len() < 3 || sizes.contains(&0) || *sizes.last().unwrap_or(&0) != 1 {
        return Err(PinnError::invalid(
            "sizes",
            format!("{sizes:?}"),
            "[d, h_1, ..., 1] with at least one hidden layer and positive widths",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use megavolt_core::rng::Seed;
    use rand::RngExt;

    fn net(seed: u64) -> TanhNet {
        // Gaussian weights of std 0.8 make higher derivatives non-trivial.
        let sizes = [2, 5, 4, 1];
        let mut rng = Seed::new(seed).stream("init");
        let count: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        let p: Vec<f64> = (0..count).map(|_| rng.random_range(-1.2..1.2)).collect();
        TanhNet::from_params(&sizes, p).unwrap()
    }

    #[test]
    fn single_unit_matches_closed_form() {
        // u = tanh(w x + b): u' = w (1 - t^2), u'' = -2 w^2 t (1 - t^2).
        let (w, b) = (1.7, -0.3);
        let n = TanhNet::from_params(&[1, 1, 1], vec![w, b, 1.0, 0.0]).unwrap();
        let x = Mat::from_fn(1, 1, |_, _| 0.4);
        let jets = n.forward(x.as_ref(), &JetSpec::full(1));
        let t = (w * 0.4 + b).tanh();
        assert!((jets.data[(0, 0)] - t).abs() < 1e-15);
        assert!((jets.data[(1, 0)] - w * (1.0 - t * t)).abs() < 1e-15);
        assert!((jets.data[(2, 0)] + 2.0 * w * w * t * (1.0 - t * t)).abs() < 1e-15);
    }

    #[test]
    fn input_derivatives_match_central_differences() {
        let n = net(3);
        let spec = JetSpec::full(2);
        let x0 = [0.3, -0.7];
        let at = |dx: [f64; 2]| {
            let x = Mat::from_fn(2, 1, |i, _| x0[i] + dx[i]);
            n.forward(x.as_ref(), &spec).data[(0, 0)]
        };
        let jets = n.forward(Mat::from_fn(2, 1, |i, _| x0[i]).as_ref(), &spec);
        let h = 1e-4;
        for i in 0..2 {
            let mut e = [0.0; 2];
            e[i] = h;
            let fd = (at(e) - at([-e[0], -e[1]])) / (2.0 * h);
            // O(h^2) truncation + O(eps / h) rounding.
            assert!((fd - jets.data[(1 + i, 0)]).abs() < 1e-7);
        }
        for &(i, j) in spec.pairs() {
            let (mut ei, mut ej) = ([0.0; 2], [0.0; 2]);
            ei[i] = h;
            ej[j] = h;
            let add = |a: [f64; 2], b: [f64; 2], s: f64| [a[0] + s * b[0], a[1] + s * b[1]];
            let fd =
                (at(add(ei, ej, 1.0)) - at(add(ei, ej, -1.0)) - at(add([-ei[0], -ei[1]], ej, 1.0))
                    + at(add([-ei[0], -ei[1]], ej, -1.0)))
                    / (4.0 * h * h);
            // O(h^2) truncation + O(eps / h^2) rounding.
            assert!((fd - jets.second(i, j).unwrap()[0]).abs() < 1e-6, "pair {i}{j}");
        }
    }

    #[test]
    fn parameter_gradients_match_finite_differences() {
        let mut n = net(4);
        let spec = JetSpec::with_pairs(2, &[(1, 1), (0, 1)]);
        let x = Mat::from_fn(2, 3, |i, j| 0.2 * i as f64 - 0.3 * j as f64 + 0.1);
        let adj = Mat::from_fn(spec.channels(), 3, |c, p| ((c * 3 + p) as f64 * 0.7).sin());
        let objective = |n: &TanhNet| {
            let j = n.forward(x.as_ref(), &spec);
            (0..spec.channels())
                .flat_map(|c| (0..3).map(move |p| (c, p)))
                .map(|(c, p)| adj[(c, p)] * j.data[(c, p)])
                .sum::<f64>()
        };
        let (_, cache) = n.forward_cached(x.as_ref(), &spec);
        let g = n.backward(&cache, adj.as_ref());
        let p0 = n.params().to_vec();
        let h = 1e-6;
        for k in 0..p0.len() {
            let mut p = p0.clone();
            p[k] += h;
            n.set_params(&p);
            let fp = objective(&n);
            p[k] -= 2.0 * h;
            n.set_params(&p);
            let fm = objective(&n);
            let fd = (fp - fm) / (2.0 * h);
            assert!((fd - g[k]).abs() < 1e-7 * (1.0 + g[k].abs()), "param {k}: {fd} vs {}", g[k]);
        }
    }

    #[test]
    fn agrees_with_core_mlp_and_rejects_bad_sizes() {
        let n = net(5);
        let x = Mat::from_fn(2, 4, |i, j| (i as f64 - j as f64) * 0.25);
        let ours = n.forward(x.as_ref(), &JetSpec::first_order(2)).value();
        let theirs = n.to_mlp().forward(x.as_ref());
        for p in 0..4 {
            assert!((ours[p] - theirs[(0, p)]).abs() < 1e-14);
        }
        assert!(TanhNet::from_params(&[2, 1], vec![0.0; 3]).is_err());
        assert!(TanhNet::from_params(&[2, 3, 2], vec![0.0; 17]).is_err());
        assert!(TanhNet::from_params(&[1, 1, 1], vec![0.0; 3]).is_err());
    }
}
