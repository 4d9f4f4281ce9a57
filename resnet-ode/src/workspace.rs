//! Preallocated buffers for repeated forward-backward passes: training without allocation.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

use crate::config::ResNetConfig;
use crate::kernels;
use crate::params::ResNetParams;
use crate::resnet::ResNet;

/// Buffers for [`ResNet::loss_and_gradients_in`]: every state `h_0..h_L`, every activation
/// `sigma(W_k h_k)` and its derivative, the adjoint, the output and the gradients, for one
/// batch size. Build it once and reuse it across training steps; a pass then allocates
/// nothing.
///
/// Memory: `((L + 1) d + 2 L M + M + d + 2 q + p) n` numbers plus one copy of the parameters.
///
/// ```
/// use megavolt_core::rng::{Seed, gaussian_mat};
/// use resnet_ode::{ResNet, ResNetSpec, Workspace};
///
/// # fn main() -> resnet_ode::Result<()> {
/// let seed = Seed::new(0);
/// let mut net = ResNet::new(ResNetSpec::new(4, 8, 16).build()?, &mut seed.stream("init"));
/// let x = gaussian_mat(&mut seed.stream("x"), 4, 10, 1.0);
/// let y = gaussian_mat(&mut seed.stream("y"), 4, 10, 1.0);
/// let mut ws = Workspace::new(net.config(), 10);
/// let first = net.loss_and_gradients_in(x.as_ref(), y.as_ref(), &mut ws);
/// for _ in 0..20 {
///     net.loss_and_gradients_in(x.as_ref(), y.as_ref(), &mut ws);
///     net.params_mut().axpy(-0.1, ws.gradients());
/// }
/// assert!(net.loss_and_gradients_in(x.as_ref(), y.as_ref(), &mut ws) < first);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Workspace {
    config: ResNetConfig,
    n: usize,
    states: Vec<f64>,
    acts: Vec<f64>,
    ders: Vec<f64>,
    u: Vec<f64>,
    g: Vec<f64>,
    output: Mat<f64>,
    grad_output: Mat<f64>,
    grads: ResNetParams,
    input_grad: Mat<f64>,
}

impl Workspace {
    /// Buffers for networks with configuration `config` (any weights) and batches of `n`
    /// samples.
    pub fn new(config: &ResNetConfig, n: usize) -> Self {
        let (d, m, l) = (config.dim(), config.hidden(), config.depth());
        let (p, q) = (config.input_dim(), config.output_dim());
        let grads = ResNetParams {
            w: vec![Mat::zeros(m, d); l],
            v: vec![Mat::zeros(d, m); l],
            input_map: config.spec().input_dim.map(|_| Mat::zeros(d, p)),
            output_map: config.spec().output_dim.map(|_| Mat::zeros(q, d)),
        };
        Self {
            config: *config,
            n,
            states: vec![0.0; (l + 1) * d * n],
            acts: vec![0.0; l * m * n],
            ders: vec![0.0; l * m * n],
            u: vec![0.0; m * n],
            g: vec![0.0; d * n],
            output: Mat::zeros(q, n),
            grad_output: Mat::zeros(q, n),
            grads,
            input_grad: Mat::zeros(p, n),
        }
    }

    /// The batch size `n` the buffers were sized for.
    pub fn batch_size(&self) -> usize {
        self.n
    }

    /// Gradients of the last pass with respect to the parameters.
    pub fn gradients(&self) -> &ResNetParams {
        &self.grads
    }

    /// Mutable gradients of the last pass (e.g. to zero the maps' gradients before an update).
    pub fn gradients_mut(&mut self) -> &mut ResNetParams {
        &mut self.grads
    }

    /// Gradient of the last pass with respect to the input `x` (`p x n`).
    pub fn input_gradient(&self) -> MatRef<'_, f64> {
        self.input_grad.as_ref()
    }

    /// Output `F(x)` of the last pass (`q x n`).
    pub fn output(&self) -> MatRef<'_, f64> {
        self.output.as_ref()
    }

    /// State `h_k` of the last pass (`d x n`), `k = 0..=L`.
    ///
    /// # Panics
    /// If `k > L`.
    #[track_caller]
    pub fn state(&self, k: usize) -> MatRef<'_, f64> {
        assert!(k <= self.config.depth(), "state: k must be at most L");
        let dn = self.config.dim() * self.n;
        MatRef::from_column_major_slice(
            &self.states[k * dn..(k + 1) * dn],
            self.config.dim(),
            self.n,
        )
    }

    /// Consumes the workspace, returning the parameter and input gradients.
    pub fn into_gradients(self) -> (ResNetParams, Mat<f64>) {
        (self.grads, self.input_grad)
    }
}

fn view(s: &[f64], r: usize, c: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(s, r, c)
}

fn view_mut(s: &mut [f64], r: usize, c: usize) -> MatMut<'_, f64> {
    MatMut::from_column_major_slice_mut(s, r, c)
}

impl ResNet {
    /// The loss `mean((F(x) - y)^2)` and its gradients by stored backpropagation, in the
    /// preallocated buffers of `ws`: the same computation as [`ResNet::loss_and_gradients`]
    /// (see [`ResNet::backward`] for the recursion) without any allocation. Gradients are
    /// read with [`Workspace::gradients`] and [`Workspace::input_gradient`].
    ///
    /// # Panics
    /// If `ws` was built for another architecture or batch size, `x` is not `p x n` or `y`
    /// not `q x n`.
    #[track_caller]
    pub fn loss_and_gradients_in(
        &self,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        ws: &mut Workspace,
    ) -> f64 {
        let cfg = self.config();
        assert!(
            ws.config.spec().dim == cfg.dim()
                && ws.config.hidden() == cfg.hidden()
                && ws.config.depth() == cfg.depth()
                && ws.config.spec().input_dim == cfg.spec().input_dim
                && ws.config.spec().output_dim == cfg.spec().output_dim,
            "loss_and_gradients_in: workspace built for another architecture"
        );
        let n = ws.n;
        assert_eq!((x.nrows(), x.ncols()), (cfg.input_dim(), n), "x must be p x n");
        assert_eq!((y.nrows(), y.ncols()), (cfg.output_dim(), n), "y must be q x n");
        let (d, m, l) = (cfg.dim(), cfg.hidden(), cfg.depth());
        let (dn, mn) = (d * n, m * n);
        let alpha = cfg.scale();
        let act = cfg.activation();
        let params = self.params();
        let seq = Par::Seq;

        // Forward: h_0 = A x, then h_{k+1} = h_k + alpha V_k sigma(W_k h_k).
        {
            let mut h0 = view_mut(&mut ws.states[..dn], d, n);
            match &params.input_map {
                Some(a) => matmul(h0, Accum::Replace, a.as_ref(), x, 1.0, seq),
                None => h0.copy_from(x),
            }
        }
        for k in 0..l {
            let (prev, next) = ws.states.split_at_mut((k + 1) * dn);
            let hk = &prev[k * dn..];
            let a = &mut ws.acts[k * mn..(k + 1) * mn];
            let da = &mut ws.ders[k * mn..(k + 1) * mn];
            matmul(
                view_mut(a, m, n),
                Accum::Replace,
                params.w[k].as_ref(),
                view(hk, d, n),
                1.0,
                seq,
            );
            kernels::apply_with_derivative(act, a, da);
            let hk1 = &mut next[..dn];
            hk1.copy_from_slice(hk);
            matmul(
                view_mut(hk1, d, n),
                Accum::Add,
                params.v[k].as_ref(),
                view(a, m, n),
                alpha,
                seq,
            );
        }
        let hl = view(&ws.states[l * dn..], d, n);
        match &params.output_map {
            Some(b) => matmul(ws.output.as_mut(), Accum::Replace, b.as_ref(), hl, 1.0, seq),
            None => ws.output.copy_from(hl),
        }

        // Loss and dl/dF.
        let count = (ws.output.nrows() * n).max(1) as f64;
        let mut sum = 0.0;
        for j in 0..n {
            let o = ws.output.col_as_slice(j);
            for (i, (gi, oi)) in ws.grad_output.col_as_slice_mut(j).iter_mut().zip(o).enumerate() {
                let r = oi - y[(i, j)];
                sum += r * r;
                *gi = 2.0 * r / count;
            }
        }
        let loss = sum / count;

        // Backward: g_L = B^T dl/dF, then the discrete adjoint recursion.
        let go = ws.grad_output.as_ref();
        {
            let mut g = view_mut(&mut ws.g, d, n);
            match (&params.output_map, ws.grads.output_map.as_mut()) {
                (Some(b), Some(gb)) => {
                    matmul(gb.as_mut(), Accum::Replace, go, hl.transpose(), 1.0, seq);
                    matmul(g, Accum::Replace, b.transpose(), go, 1.0, seq);
                }
                _ => g.copy_from(go),
            }
        }
        for k in (0..l).rev() {
            let a = view(&ws.acts[k * mn..(k + 1) * mn], m, n);
            let da = &ws.ders[k * mn..(k + 1) * mn];
            let hk = view(&ws.states[k * dn..(k + 1) * dn], d, n);
            let g = view(&ws.g, d, n);
            matmul(ws.grads.v[k].as_mut(), Accum::Replace, g, a.transpose(), alpha, seq);
            let u = view_mut(&mut ws.u, m, n);
            matmul(u, Accum::Replace, params.v[k].transpose(), g, alpha, seq);
            kernels::mul_in_place(&mut ws.u, da);
            let u = view(&ws.u, m, n);
            matmul(ws.grads.w[k].as_mut(), Accum::Replace, u, hk.transpose(), 1.0, seq);
            matmul(view_mut(&mut ws.g, d, n), Accum::Add, params.w[k].transpose(), u, 1.0, seq);
        }
        let g = view(&ws.g, d, n);
        match (&params.input_map, ws.grads.input_map.as_mut()) {
            (Some(a), Some(ga)) => {
                matmul(ga.as_mut(), Accum::Replace, g, x.transpose(), 1.0, seq);
                matmul(ws.input_grad.as_mut(), Accum::Replace, a.transpose(), g, 1.0, seq);
            }
            _ => ws.input_grad.copy_from(g),
        }
        loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Init, ResNetSpec};
    use megavolt_core::nn::Activation;
    use megavolt_core::rng::{Seed, gaussian_mat};

    /// The workspace pass equals the cache-based forward and backward passes to rounding, and
    /// reusing a workspace gives bit-identical results.
    #[test]
    fn workspace_pass_matches_the_cached_passes() {
        for (act, maps) in
            [(Activation::Gelu, true), (Activation::Tanh, false), (Activation::Relu, true)]
        {
            let spec = ResNetSpec {
                activation: act,
                init: Init::Iid,
                input_dim: maps.then_some(3),
                output_dim: maps.then_some(2),
                beta: 0.8,
                ..ResNetSpec::new(5, 6, 7)
            };
            let seed = Seed::new(4);
            let net = ResNet::new(spec.build().unwrap(), &mut seed.stream("init"));
            let (p, q) = (net.config().input_dim(), net.config().output_dim());
            let x = gaussian_mat(&mut seed.stream("x"), p, 9, 1.0);
            let y = gaussian_mat(&mut seed.stream("y"), q, 9, 1.0);
            let cache = net.forward_cached(x.as_ref());
            let (loss, dout) = crate::resnet::mean_squared_error(cache.output.as_ref(), y.as_ref());
            let reference = net.backward(&cache, dout.as_ref());
            let mut ws = Workspace::new(net.config(), 9);
            let l1 = net.loss_and_gradients_in(x.as_ref(), y.as_ref(), &mut ws);
            assert!((l1 - loss).abs() <= 8.0 * f64::EPSILON * loss, "{act:?}");
            let (g, r) = (ws.gradients().flatten(), reference.params.flatten());
            let scale = r.iter().fold(0.0f64, |s, v| s.max(v.abs()));
            let worst = g.iter().zip(&r).fold(0.0f64, |s, (a, b)| s.max((a - b).abs()));
            assert!(worst <= 1e-13 * scale, "{act:?}: {worst:e}");
            let gi =
                megavolt_core::linalg::max_abs_diff(ws.input_gradient(), reference.input.as_ref());
            let si = megavolt_core::linalg::max_abs_diff(
                reference.input.as_ref(),
                Mat::zeros(p, 9).as_ref(),
            );
            assert!(gi <= 1e-13 * si, "{act:?}: {gi:e}");
            let l2 = net.loss_and_gradients_in(x.as_ref(), y.as_ref(), &mut ws);
            assert_eq!(l1.to_bits(), l2.to_bits());
            assert_eq!(ws.gradients().flatten(), g, "reused workspace is bit-identical");
            assert_eq!(ws.state(0).nrows(), 5);
        }
    }

    #[test]
    #[should_panic(expected = "another architecture")]
    fn workspace_of_another_depth_is_rejected() {
        let net =
            ResNet::new(ResNetSpec::new(2, 3, 4).build().unwrap(), &mut Seed::new(0).stream("i"));
        let mut ws = Workspace::new(&ResNetSpec::new(2, 3, 5).build().unwrap(), 1);
        let x = Mat::zeros(2, 1);
        net.loss_and_gradients_in(x.as_ref(), x.as_ref(), &mut ws);
    }
}
