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

/// Intermediate values of a jet forward pass, needed by the reverse pass, and the reusable
/// buffers of both passes.
///
/// One cache can serve many passes ([`TanhNet::forward_into`], [`TanhNet::backward_add`]):
/// its buffers grow to the largest block seen and are then reused, so a training loop over
/// blocks of points allocates nothing per block.
#[derive(Debug, Clone, Default)]
pub struct JetCache {
    spec: Option<JetSpec>,
    n: usize,
    /// Layer inputs, all channels side by side (`width x channels n`, column-major, channel
    /// `c` of point `p` in column `c n + p`).
    inputs: Vec<Vec<f64>>,
    /// Pre-activations of the hidden layers, same layout.
    pre: Vec<Vec<f64>>,
    /// The output layer: `channels n` values, channel-major.
    out: Vec<f64>,
    /// Adjoint scratch of the reverse pass.
    bar: [Vec<f64>; 2],
}

impl JetCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of points of the last forward pass.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The jets of the last forward pass, `channels x n` (row 0: `u`, then the channels of the
    /// [`JetSpec`]); empty before any pass.
    pub fn jets(&self) -> MatRef<'_, f64> {
        let ch = self.spec.as_ref().map_or(0, JetSpec::channels);
        MatRef::from_column_major_slice(&self.out[..ch * self.n], self.n, ch).transpose()
    }
}

/// `buf[..len]`, growing `buf` if needed (new entries are zero, old ones are kept).
fn sized(buf: &mut Vec<f64>, len: usize) -> &mut [f64] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
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
        let mut cache = JetCache::new();
        self.forward_into(x, spec, &mut cache);
        let jets = Jets { spec: spec.clone(), data: cache.jets().to_owned() };
        (jets, cache)
    }

    /// The jets of `u` at the points `x` (`d x n`), written into `cache` ([`JetCache::jets`])
    /// together with what [`TanhNet::backward_add`] needs; the cache's buffers are reused.
    ///
    /// Per layer, one matrix product over all channels and points, then the tanh jet rules as
    /// element-wise loops over whole channels (the hyperbolic tangent through a vectorised
    /// exponential, `tanh z = sign(z) (1 - e) / (1 + e)`, `e = exp(-2|z|)`, accurate to a few
    /// units of `f64::EPSILON` in absolute terms).
    ///
    /// # Panics
    /// If `x.nrows()` or `spec.dim()` differ from the input dimension.
    #[track_caller]
    pub fn forward_into(&self, x: MatRef<'_, f64>, spec: &JetSpec, cache: &mut JetCache) {
        let d = self.sizes[0];
        assert!(x.nrows() == d && spec.dim() == d, "TanhNet::forward: input dimension mismatch");
        let n = x.ncols();
        let ch = spec.channels();
        if cache.spec.as_ref() != Some(spec) {
            cache.spec = Some(spec.clone());
        }
        cache.n = n;
        let n_layers = self.sizes.len() - 1;
        cache.inputs.resize_with(n_layers, Vec::new);
        cache.pre.resize_with(n_layers - 1, Vec::new);
        {
            // Input channels: the points, then the unit vectors of the first derivatives, then
            // zero second derivatives.
            let a0 = sized(&mut cache.inputs[0], d * ch * n);
            a0.fill(0.0);
            for p in 0..n {
                for i in 0..d {
                    a0[p * d + i] = x[(i, p)];
                    if spec.first {
                        a0[((1 + i) * n + p) * d + i] = 1.0;
                    }
                }
            }
        }
        for l in 0..n_layers {
            let (w, b) = self.layer(l);
            let (fan_in, fan_out) = (w.ncols(), w.nrows());
            let (done, next) = cache.inputs.split_at_mut(l + 1);
            let a = MatRef::from_column_major_slice(&done[l][..fan_in * ch * n], fan_in, ch * n);
            let last = l + 1 == n_layers;
            let z = if last {
                sized(&mut cache.out, fan_out * ch * n)
            } else {
                sized(&mut cache.pre[l], fan_out * ch * n)
            };
            matmul(
                MatMut::from_column_major_slice_mut(z, fan_out, ch * n),
                Accum::Replace,
                w,
                a,
                1.0,
                Par::Seq,
            );
            // The bias shifts the values only.
            for col in z[..fan_out * n].chunks_exact_mut(fan_out) {
                for (v, bu) in col.iter_mut().zip(b) {
                    *v += bu;
                }
            }
            if !last {
                activate(&cache.pre[l], sized(&mut next[0], fan_out * ch * n), spec, fan_out * n);
            }
        }
    }

    /// Gradient of `sum_{c, p} adjoint[c, p] * jets[c, p]` with respect to the parameters (order
    /// of [`TanhNet::params`]), by a reverse pass through the jet computation.
    ///
    /// # Panics
    /// If `adjoint` is not `channels x n` for the cached pass.
    #[track_caller]
    pub fn backward(&self, cache: &JetCache, adjoint: MatRef<'_, f64>) -> Vec<f64> {
        let mut grad = vec![0.0; self.n_params()];
        self.backward_add(&mut cache.clone(), adjoint, &mut grad);
        grad
    }

    /// Adds to `grad` the gradient of `sum_{c, p} adjoint[c, p] * jets[c, p]` with respect to
    /// the parameters, for the pass cached in `cache` (whose scratch buffers it reuses).
    ///
    /// # Panics
    /// If `adjoint` is not `channels x n` for the cached pass, or `grad` has the wrong length.
    #[track_caller]
    pub fn backward_add(&self, cache: &mut JetCache, adjoint: MatRef<'_, f64>, grad: &mut [f64]) {
        let spec = cache.spec.clone().expect("TanhNet::backward: no forward pass in the cache");
        let n = cache.n;
        let ch = spec.channels();
        assert!(adjoint.nrows() == ch && adjoint.ncols() == n, "TanhNet::backward: adjoint shape");
        assert_eq!(grad.len(), self.n_params(), "TanhNet::backward: gradient length");
        let n_layers = self.sizes.len() - 1;
        let [zbar, abar] = &mut cache.bar;
        // Adjoint of the output layer's pre-activation, channels side by side (1 x ch n).
        {
            let zb = sized(zbar, ch * n);
            for c in 0..ch {
                for p in 0..n {
                    zb[c * n + p] = adjoint[(c, p)];
                }
            }
        }
        for l in (0..n_layers).rev() {
            let (w, _) = self.layer(l);
            let off = self.offset(l);
            let (fan_in, fan_out) = (self.sizes[l], self.sizes[l + 1]);
            let zb = MatRef::from_column_major_slice(&zbar[..fan_out * ch * n], fan_out, ch * n);
            let input = MatRef::from_column_major_slice(
                &cache.inputs[l][..fan_in * ch * n],
                fan_in,
                ch * n,
            );
            matmul(
                MatMut::from_column_major_slice_mut(
                    &mut grad[off..off + fan_in * fan_out],
                    fan_out,
                    fan_in,
                ),
                Accum::Add,
                zb,
                input.transpose(),
                1.0,
                Par::Seq,
            );
            let gb = &mut grad[off + fan_in * fan_out..off + fan_in * fan_out + fan_out];
            for col in zbar[..fan_out * n].chunks_exact(fan_out) {
                for (g, v) in gb.iter_mut().zip(col) {
                    *g += v;
                }
            }
            if l == 0 {
                break;
            }
            let ab = sized(abar, fan_in * ch * n);
            matmul(
                MatMut::from_column_major_slice_mut(ab, fan_in, ch * n),
                Accum::Replace,
                w.transpose(),
                zb,
                1.0,
                Par::Seq,
            );
            let wn = fan_in * n;
            activate_adjoint(
                &cache.pre[l - 1][..ch * wn],
                &cache.inputs[l][..wn],
                &abar[..ch * wn],
                sized(zbar, ch * wn),
                &spec,
                wn,
            );
        }
    }
}

/// `tanh` of every entry of `z` into `out`: `sign(z) (1 - e) / (1 + e)` with `e = exp(-2|z|)`
/// from the vectorised exponential; the absolute error is a few units of `f64::EPSILON`.
fn tanh_into(z: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(z) {
        *o = -2.0 * v.abs();
    }
    megavolt_core::math::exp_slice(out);
    pulp::Arch::new().dispatch(TanhFromExp { z, out });
}

/// The last step of [`tanh_into`], compiled for the widest SIMD set at run time.
struct TanhFromExp<'a> {
    z: &'a [f64],
    out: &'a mut [f64],
}

impl pulp::WithSimd for TanhFromExp<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        for (o, v) in self.out.iter_mut().zip(self.z) {
            *o = ((1.0 - *o) / (1.0 + *o)).copysign(*v);
        }
    }
}

/// The tanh jet rules: from the pre-activation channels `z` to the activation channels `a`
/// (both `channels` blocks of `wn = width n` entries), element-wise over whole channels.
fn activate(z: &[f64], a: &mut [f64], spec: &JetSpec, wn: usize) {
    let (t, rest) = a.split_at_mut(wn);
    tanh_into(&z[..wn], t);
    pulp::Arch::new().dispatch(Activate { z, t, rest, spec, wn });
}

/// The derivative channels of [`activate`], compiled for the widest SIMD set at run time.
struct Activate<'a> {
    z: &'a [f64],
    t: &'a [f64],
    rest: &'a mut [f64],
    spec: &'a JetSpec,
    wn: usize,
}

impl pulp::WithSimd for Activate<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self { z, t, rest, spec, wn } = self;
        let d = spec.dim();
        let t = &t[..wn];
        let zc = |c: usize| &z[c * wn..(c + 1) * wn];
        let mut out = rest.chunks_exact_mut(wn);
        for i in 0..spec.n_first() {
            let o = out.next().expect("a first-derivative channel");
            for ((o, &z), &t) in o.iter_mut().zip(zc(1 + i)).zip(t) {
                *o = (1.0 - t * t) * z;
            }
        }
        for (c, &(i, j)) in spec.pairs().iter().enumerate() {
            let o = out.next().expect("a pair channel");
            let (zi, zj, zq) = (zc(1 + i), zc(1 + j), zc(1 + d + c));
            for ((((o, &t), &zi), &zj), &zq) in o.iter_mut().zip(t).zip(zi).zip(zj).zip(zq) {
                let s1 = 1.0 - t * t;
                let s2 = -2.0 * t * s1;
                *o = s2 * zi * zj + s1 * zq;
            }
        }
    }
}

/// Adjoint of [`activate`]: from the adjoint `abar` of the activation channels to that of the
/// pre-activation channels, `zbar`; `t` is the value channel of the activations.
fn activate_adjoint(
    z: &[f64],
    t: &[f64],
    abar: &[f64],
    zbar: &mut [f64],
    spec: &JetSpec,
    wn: usize,
) {
    pulp::Arch::new().dispatch(ActivateAdjoint { z, t, abar, zbar, spec, wn });
}

/// The loops of [`activate_adjoint`], compiled for the widest SIMD set at run time.
struct ActivateAdjoint<'a> {
    z: &'a [f64],
    t: &'a [f64],
    abar: &'a [f64],
    zbar: &'a mut [f64],
    spec: &'a JetSpec,
    wn: usize,
}

impl pulp::WithSimd for ActivateAdjoint<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self { z, t, abar, zbar, spec, wn } = self;
        let d = spec.dim();
        let t = &t[..wn];
        let zc = |c: usize| &z[c * wn..(c + 1) * wn];
        let ab = |c: usize| &abar[c * wn..(c + 1) * wn];
        let (zb0, zbr) = zbar.split_at_mut(wn);
        for ((o, &a), &t) in zb0.iter_mut().zip(ab(0)).zip(t) {
            *o = (1.0 - t * t) * a;
        }
        for i in 0..spec.n_first() {
            let o = &mut zbr[i * wn..(i + 1) * wn];
            for ((((o, z0), &t), &zi), &abi) in
                o.iter_mut().zip(zb0.iter_mut()).zip(t).zip(zc(1 + i)).zip(ab(1 + i))
            {
                let s1 = 1.0 - t * t;
                let s2 = -2.0 * t * s1;
                *o = s1 * abi;
                *z0 += s2 * zi * abi;
            }
        }
        for (c, &(i, j)) in spec.pairs().iter().enumerate() {
            let q = 1 + d + c;
            let (zi, zj, zq, abq) = (zc(1 + i), zc(1 + j), zc(q), ab(q));
            let o = &mut zbr[(q - 1) * wn..q * wn];
            for ((((((o, z0), &t), &zi), &zj), &zq), &abq) in
                o.iter_mut().zip(zb0.iter_mut()).zip(t).zip(zi).zip(zj).zip(zq).zip(abq)
            {
                let s1 = 1.0 - t * t;
                let s2 = -2.0 * t * s1;
                let s3 = s1 * (6.0 * t * t - 2.0);
                *o = s1 * abq;
                *z0 += (s3 * zi * zj + s2 * zq) * abq;
            }
            for (target, other) in [(i, zj), (j, zi)] {
                let o = &mut zbr[target * wn..(target + 1) * wn];
                for (((o, &t), &other), &abq) in o.iter_mut().zip(t).zip(other).zip(abq) {
                    let s2 = -2.0 * t * (1.0 - t * t);
                    *o += s2 * other * abq;
                }
            }
        }
    }
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
    fn vectorised_tanh_is_accurate_in_absolute_terms() {
        let z: Vec<f64> = (-4000..=4000)
            .map(|k| k as f64 * 2.5e-3)
            .chain([0.0, -0.0, 1e-300, -1e-12, 19.0, -19.1, 40.0, 800.0, -1e308])
            .collect();
        let mut t = vec![0.0; z.len()];
        tanh_into(&z, &mut t);
        for (&zi, &ti) in z.iter().zip(&t) {
            // exp to a few ulps, then one subtraction, one addition and one division.
            assert!((ti - zi.tanh()).abs() <= 4.0 * f64::EPSILON, "tanh({zi}) = {ti}");
            assert_eq!(ti.is_sign_negative(), zi.is_sign_negative(), "sign at {zi}");
        }
        tanh_into(&[f64::NAN], &mut t[..1]);
        assert!(t[0].is_nan());
    }

    #[test]
    fn reused_cache_gives_the_same_jets_and_gradients() {
        let n = net(6);
        let spec = JetSpec::with_pairs(2, &[(1, 1), (0, 1)]);
        let big = Mat::from_fn(2, 9, |i, j| 0.1 * (i as f64 + 1.0) * (j as f64 - 4.0));
        let small = Mat::from_fn(2, 4, |i, j| 0.3 - 0.2 * i as f64 + 0.05 * j as f64);
        let adj = Mat::from_fn(spec.channels(), 4, |c, p| (c as f64 - p as f64).cos());
        let (fresh, fresh_cache) = n.forward_cached(small.as_ref(), &spec);
        let fresh_grad = n.backward(&fresh_cache, adj.as_ref());
        // A cache first used on a larger block, with another spec, then on the small one.
        let mut cache = JetCache::new();
        n.forward_into(big.as_ref(), &JetSpec::full(2), &mut cache);
        n.forward_into(small.as_ref(), &spec, &mut cache);
        assert_eq!(cache.n(), 4);
        assert_eq!(cache.jets().to_owned(), fresh.data);
        // backward_add accumulates onto what is already there.
        let mut grad = vec![1.0; n.n_params()];
        n.backward_add(&mut cache, adj.as_ref(), &mut grad);
        for (g, f) in grad.iter().zip(&fresh_grad) {
            // Bias sums are accumulated onto 1 point by point: rounding of a 5-term sum.
            assert!((g - (1.0 + f)).abs() <= 8.0 * f64::EPSILON * (1.0 + f.abs()), "{g} vs {f}");
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
