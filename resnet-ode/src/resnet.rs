//! The residual network `h_{k+1} = h_k + L^{-beta} V_k sigma(W_k h_k)` with backpropagation
//! through depth, stored or memory-free.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use megavolt_core::nn::Activation;
use rand::Rng;

use crate::config::ResNetConfig;
use crate::init::sample_params;
use crate::kernels;
use crate::params::ResNetParams;
use crate::workspace::Workspace;

/// A deep residual network with two-layer-perceptron blocks.
///
/// ```text
/// h_0 = A x,   h_{k+1} = h_k + alpha_L V_k sigma(W_k h_k),   k = 0..L-1,   F(x) = B h_L,
/// alpha_L = L^{-beta}
/// ```
///
/// Samples are the **columns** of the input (`p x n`), states are `d x n`, outputs `q x n`.
/// With `beta = 1` the stack is the explicit Euler scheme with step `1/L` for the neural ODE
/// `dh/ds = V(s) sigma(W(s) h)`, `W(k/L) = W_k` (see [`crate::NeuralOde::from_resnet`]).
/// The architecture and its parameter table are those of [`crate::ResNetSpec`].
///
/// ```
/// use megavolt_core::rng::Seed;
/// use resnet_ode::{ResNet, ResNetSpec};
///
/// # fn main() -> resnet_ode::Result<()> {
/// let config = ResNetSpec { input_dim: Some(3), output_dim: Some(1), ..ResNetSpec::new(8, 16, 32) }
///     .build()?;
/// let net = ResNet::new(config, &mut Seed::new(0).stream("init"));
/// let x = faer::Mat::<f64>::from_fn(3, 5, |i, j| (i + j) as f64 / 10.0);
/// let y = faer::Mat::<f64>::zeros(1, 5);
/// let (loss, grads) = net.loss_and_gradients(x.as_ref(), y.as_ref());
/// assert!(loss.is_finite());
/// assert_eq!(grads.params.w.len(), 32);
/// # Ok(()) }
/// ```
///
/// # References
/// * P. Marion, Y.-H. Wu, M. E. Sander, G. Biau, "Implicit regularization of deep residual
///   networks towards neural ODEs", ICLR 2024, eq. (1).
/// * P. Marion, A. Fermanian, G. Biau, J.-P. Vert, "Scaling ResNets in the large-depth
///   regime", JMLR 26 (2025), the `res-3` model.
#[derive(Debug, Clone, PartialEq)]
pub struct ResNet {
    config: ResNetConfig,
    params: ResNetParams,
}

/// The states kept by [`ResNet::forward_cached`] for backpropagation.
#[derive(Debug, Clone)]
pub struct ForwardCache {
    /// The input `x` (`p x n`).
    pub input: Mat<f64>,
    /// The states `h_0, ..., h_L` (`d x n` each).
    pub states: Vec<Mat<f64>>,
    /// The activations `sigma(W_k h_k)` (`M x n` each).
    pub activations: Vec<Mat<f64>>,
    /// The derivatives `sigma'(W_k h_k)` (`M x n` each).
    pub derivatives: Vec<Mat<f64>>,
    /// The output `F(x)` (`q x n`).
    pub output: Mat<f64>,
}

/// Gradients of a scalar loss with respect to the parameters and the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// Gradient with respect to every parameter, with their shapes.
    pub params: ResNetParams,
    /// Gradient with respect to the input `x`.
    pub input: Mat<f64>,
}

/// Output of [`ResNet::loss_and_gradients_memory_free`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryFreeGradients {
    /// The loss.
    pub loss: f64,
    /// Gradients computed on the reconstructed states.
    pub gradients: Gradients,
    /// `|h_0_rebuilt - h_0|_F / |h_0|_F`, the error of the backward reconstruction.
    pub reconstruction_error: f64,
}

/// Mean squared error `l = mean((pred - target)^2)` over all entries, and `dl/dpred`.
///
/// This is the loss of the experiments of Marion et al. (ICLR 2024), without the factor 1/2 of
/// [`megavolt_core::nn::mse_loss`].
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn mean_squared_error(pred: MatRef<'_, f64>, target: MatRef<'_, f64>) -> (f64, Mat<f64>) {
    assert_eq!(
        (pred.nrows(), pred.ncols()),
        (target.nrows(), target.ncols()),
        "mean_squared_error: shapes differ"
    );
    let n = (pred.nrows() * pred.ncols()).max(1) as f64;
    let diff = Mat::from_fn(pred.nrows(), pred.ncols(), |i, j| pred[(i, j)] - target[(i, j)]);
    let loss = diff.norm_l2().powi(2) / n;
    let grad = Mat::from_fn(diff.nrows(), diff.ncols(), |i, j| 2.0 * diff[(i, j)] / n);
    (loss, grad)
}

/// `out = sigma(z)` entry by entry.
pub(crate) fn activate(act: Activation, z: &Mat<f64>) -> Mat<f64> {
    let mut a = Mat::zeros(z.nrows(), z.ncols());
    for j in 0..z.ncols() {
        for (ai, zi) in a.col_as_slice_mut(j).iter_mut().zip(z.col_as_slice(j)) {
            *ai = act.apply(*zi);
        }
    }
    a
}

/// `dst += a * src` entry by entry.
pub(crate) fn add_scaled(dst: &mut Mat<f64>, a: f64, src: &Mat<f64>) {
    for j in 0..dst.ncols() {
        for (di, si) in dst.col_as_slice_mut(j).iter_mut().zip(src.col_as_slice(j)) {
            *di += a * si;
        }
    }
}

/// `u *= sigma'(z)` entry by entry.
pub(crate) fn mul_derivative(act: Activation, u: &mut Mat<f64>, z: &Mat<f64>) {
    for j in 0..z.ncols() {
        for (ui, zi) in u.col_as_slice_mut(j).iter_mut().zip(z.col_as_slice(j)) {
            *ui *= act.derivative(*zi);
        }
    }
}

impl ResNet {
    /// A network with weights drawn from `config`'s initialisation.
    pub fn new<R: Rng + ?Sized>(config: ResNetConfig, rng: &mut R) -> Self {
        let params = sample_params(&config, rng);
        Self { config, params }
    }

    /// A network with given weights.
    ///
    /// # Panics
    /// If the number of blocks differs from the depth, or a shape from the configuration
    /// (`W_k`: `M x d`, `V_k`: `d x M`, `A`: `d x p`, `B`: `q x d`, maps present exactly when
    /// the configuration has `input_dim` / `output_dim`).
    #[track_caller]
    pub fn from_params(config: ResNetConfig, params: ResNetParams) -> Self {
        let (d, m, l) = (config.dim(), config.hidden(), config.depth());
        assert_eq!(params.w.len(), l, "from_params: number of W_k differs from depth");
        assert_eq!(params.v.len(), l, "from_params: number of V_k differs from depth");
        for (w, v) in params.w.iter().zip(&params.v) {
            assert_eq!((w.nrows(), w.ncols()), (m, d), "from_params: W_k must be M x d");
            assert_eq!((v.nrows(), v.ncols()), (d, m), "from_params: V_k must be d x M");
        }
        assert_eq!(
            params.input_map.is_some(),
            config.spec().input_dim.is_some(),
            "from_params: input map"
        );
        assert_eq!(
            params.output_map.is_some(),
            config.spec().output_dim.is_some(),
            "from_params: output map"
        );
        if let Some(a) = &params.input_map {
            assert_eq!(
                (a.nrows(), a.ncols()),
                (d, config.input_dim()),
                "from_params: A must be d x p"
            );
        }
        if let Some(b) = &params.output_map {
            assert_eq!(
                (b.nrows(), b.ncols()),
                (config.output_dim(), d),
                "from_params: B must be q x d"
            );
        }
        Self { config, params }
    }

    /// The configuration.
    pub fn config(&self) -> &ResNetConfig {
        &self.config
    }

    /// The parameters.
    pub fn params(&self) -> &ResNetParams {
        &self.params
    }

    /// The parameters, mutably. Shapes must not be changed (the next pass would panic).
    pub fn params_mut(&mut self) -> &mut ResNetParams {
        &mut self.params
    }

    /// Consumes the network, returning its parameters.
    pub fn into_params(self) -> ResNetParams {
        self.params
    }

    /// `h_0 = A x` (a copy of `x` without input map).
    ///
    /// # Panics
    /// If `x` does not have `p` rows.
    #[track_caller]
    pub fn embed(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(x.nrows(), self.config.input_dim(), "embed: input must have p rows");
        match &self.params.input_map {
            Some(a) => a * x,
            None => x.to_owned(),
        }
    }

    /// `F = B h_L` (a copy of `h_L` without output map).
    ///
    /// # Panics
    /// If `h` does not have `d` rows.
    #[track_caller]
    pub fn readout(&self, h: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(h.nrows(), self.config.dim(), "readout: state must have d rows");
        match &self.params.output_map {
            Some(b) => b * h,
            None => h.to_owned(),
        }
    }

    /// The residual function of block `k` without its scale, `f_k(h) = V_k sigma(W_k h)`.
    ///
    /// # Panics
    /// If `k >= L` or `h` does not have `d` rows.
    #[track_caller]
    pub fn block(&self, k: usize, h: MatRef<'_, f64>) -> Mat<f64> {
        let z = &self.params.w[k] * h;
        let a = activate(self.config.activation(), &z);
        &self.params.v[k] * &a
    }

    /// One residual step `h + alpha_L f_k(h)` in place; with `keep`, returns `sigma(W_k h)` and
    /// `sigma'(W_k h)` for backpropagation.
    fn step(&self, k: usize, h: &mut Mat<f64>, keep: bool) -> Option<(Mat<f64>, Mat<f64>)> {
        let m = self.config.hidden();
        let act = self.config.activation();
        let mut a = Mat::zeros(m, h.ncols());
        matmul(a.as_mut(), Accum::Replace, self.params.w[k].as_ref(), h.as_ref(), 1.0, Par::Seq);
        let da = if keep {
            let mut da = Mat::zeros(m, h.ncols());
            for j in 0..a.ncols() {
                kernels::apply_with_derivative(act, a.col_as_slice_mut(j), da.col_as_slice_mut(j));
            }
            Some(da)
        } else {
            for j in 0..a.ncols() {
                kernels::apply_in_place(act, a.col_as_slice_mut(j));
            }
            None
        };
        matmul(
            h.as_mut(),
            Accum::Add,
            self.params.v[k].as_ref(),
            a.as_ref(),
            self.config.scale(),
            Par::Seq,
        );
        da.map(|da| (a, da))
    }

    /// Runs the residual stack from `h_0` to `h_L`, keeping nothing else.
    ///
    /// # Panics
    /// If `h0` does not have `d` rows.
    #[track_caller]
    pub fn stack_forward(&self, h0: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(h0.nrows(), self.config.dim(), "stack_forward: state must have d rows");
        let mut h = h0.to_owned();
        for k in 0..self.config.depth() {
            self.step(k, &mut h, false);
        }
        h
    }

    /// The states `h_0, ..., h_L` of the residual stack.
    ///
    /// # Panics
    /// If `h0` does not have `d` rows.
    #[track_caller]
    pub fn trajectory(&self, h0: MatRef<'_, f64>) -> Vec<Mat<f64>> {
        assert_eq!(h0.nrows(), self.config.dim(), "trajectory: state must have d rows");
        let mut states = vec![h0.to_owned()];
        let mut h = h0.to_owned();
        for k in 0..self.config.depth() {
            self.step(k, &mut h, false);
            states.push(h.clone());
        }
        states
    }

    /// The network output `F(x)`.
    ///
    /// # Panics
    /// If `x` does not have `p` rows.
    #[track_caller]
    pub fn forward(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let h = self.stack_forward(self.embed(x).as_ref());
        self.readout(h.as_ref())
    }

    /// The output and every intermediate state, for [`ResNet::backward`].
    ///
    /// # Panics
    /// If `x` does not have `p` rows.
    #[track_caller]
    pub fn forward_cached(&self, x: MatRef<'_, f64>) -> ForwardCache {
        let mut h = self.embed(x);
        let mut states = Vec::with_capacity(self.config.depth() + 1);
        let mut activations = Vec::with_capacity(self.config.depth());
        let mut derivatives = Vec::with_capacity(self.config.depth());
        for k in 0..self.config.depth() {
            states.push(h.clone());
            if let Some((a, da)) = self.step(k, &mut h, true) {
                activations.push(a);
                derivatives.push(da);
            }
        }
        let output = self.readout(h.as_ref());
        states.push(h);
        ForwardCache { input: x.to_owned(), states, activations, derivatives, output }
    }

    /// Backpropagation through depth: the gradients of a loss `l(F(x))` given
    /// `dl/dF` (`q x n`).
    ///
    /// With `g_L = B^T dl/dF`, for `k = L-1, ..., 0`:
    /// `u_k = alpha_L (V_k^T g_{k+1}) ⊙ sigma'(W_k h_k)`, `dl/dV_k = alpha_L g_{k+1} sigma(W_k h_k)^T`,
    /// `dl/dW_k = u_k h_k^T`, `g_k = g_{k+1} + W_k^T u_k`; this is the discrete adjoint
    /// recursion of the Euler scheme.
    ///
    /// # Panics
    /// If `grad_output` does not have the shape of the output.
    #[track_caller]
    pub fn backward(&self, cache: &ForwardCache, grad_output: MatRef<'_, f64>) -> Gradients {
        assert_eq!(
            (grad_output.nrows(), grad_output.ncols()),
            (cache.output.nrows(), cache.output.ncols()),
            "backward: grad_output must have the shape of the output"
        );
        let mut grads = self.params.zeros_like();
        let h_last = &cache.states[self.config.depth()];
        let mut g = self.output_adjoint(grad_output, h_last.as_ref(), &mut grads);
        for k in (0..self.config.depth()).rev() {
            let (a, da) = (&cache.activations[k], &cache.derivatives[k]);
            self.block_adjoint(k, cache.states[k].as_ref(), a, da, &mut g, &mut grads);
        }
        let input = self.input_adjoint(cache.input.as_ref(), &g, &mut grads);
        Gradients { params: grads, input }
    }

    /// `g_L = B^T dl/dF` and `dl/dB`.
    fn output_adjoint(
        &self,
        grad_output: MatRef<'_, f64>,
        h_last: MatRef<'_, f64>,
        grads: &mut ResNetParams,
    ) -> Mat<f64> {
        match &self.params.output_map {
            Some(b) => {
                if let Some(gb) = grads.output_map.as_mut() {
                    matmul(
                        gb.as_mut(),
                        Accum::Replace,
                        grad_output,
                        h_last.transpose(),
                        1.0,
                        Par::Seq,
                    );
                }
                b.transpose() * grad_output
            }
            None => grad_output.to_owned(),
        }
    }

    /// `dl/dA = g_0 x^T` and the input gradient `A^T g_0`.
    fn input_adjoint(
        &self,
        x: MatRef<'_, f64>,
        g: &Mat<f64>,
        grads: &mut ResNetParams,
    ) -> Mat<f64> {
        match &self.params.input_map {
            Some(a) => {
                if let Some(ga) = grads.input_map.as_mut() {
                    matmul(ga.as_mut(), Accum::Replace, g.as_ref(), x.transpose(), 1.0, Par::Seq);
                }
                a.transpose() * g
            }
            None => g.clone(),
        }
    }

    /// The adjoint of block `k` at state `h_k`, with `a = sigma(W_k h_k)` and
    /// `da = sigma'(W_k h_k)`: updates `g` from `g_{k+1}` to `g_k` and writes `dl/dW_k`,
    /// `dl/dV_k`.
    fn block_adjoint(
        &self,
        k: usize,
        h: MatRef<'_, f64>,
        a: &Mat<f64>,
        da: &Mat<f64>,
        g: &mut Mat<f64>,
        grads: &mut ResNetParams,
    ) {
        let alpha = self.config.scale();
        matmul(grads.v[k].as_mut(), Accum::Replace, g.as_ref(), a.transpose(), alpha, Par::Seq);
        let mut u = Mat::zeros(a.nrows(), a.ncols());
        matmul(
            u.as_mut(),
            Accum::Replace,
            self.params.v[k].transpose(),
            g.as_ref(),
            alpha,
            Par::Seq,
        );
        for j in 0..u.ncols() {
            for (ui, di) in u.col_as_slice_mut(j).iter_mut().zip(da.col_as_slice(j)) {
                *ui *= di;
            }
        }
        matmul(grads.w[k].as_mut(), Accum::Replace, u.as_ref(), h.transpose(), 1.0, Par::Seq);
        matmul(g.as_mut(), Accum::Add, self.params.w[k].transpose(), u.as_ref(), 1.0, Par::Seq);
    }

    /// The loss `mean((F(x) - y)^2)` and its gradients, by stored backpropagation.
    ///
    /// Allocates a [`Workspace`] for the call; for repeated calls (training) build one and use
    /// [`ResNet::loss_and_gradients_in`].
    ///
    /// # Panics
    /// If `x` does not have `p` rows or `y` the shape of the output.
    #[track_caller]
    pub fn loss_and_gradients(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> (f64, Gradients) {
        let mut ws = Workspace::new(&self.config, x.ncols());
        let loss = self.loss_and_gradients_in(x, y, &mut ws);
        let (params, input) = ws.into_gradients();
        (loss, Gradients { params, input })
    }

    /// Memory-free backpropagation: the forward pass keeps only `h_L`; the backward pass
    /// rebuilds each state by running the residual step backwards,
    /// `h_k ≈ h_{k+1} - alpha_L f_k(h_{k+1})`, and backpropagates through block `k` at the
    /// rebuilt state. Memory is `O(1)` in depth; the rebuilt states carry an error
    /// `O(L alpha_L^2)` (`O(1/L)` for `beta = 1`), reported as the relative error of the
    /// rebuilt `h_0`.
    ///
    /// # Panics
    /// If `x` does not have `p` rows or `y` the shape of the output.
    ///
    /// # References
    /// * M. E. Sander, P. Ablin, G. Peyré, "Do residual neural networks discretize neural
    ///   ODEs?", NeurIPS 2022, §5 (memory-free backpropagation).
    #[track_caller]
    pub fn loss_and_gradients_memory_free(
        &self,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
    ) -> MemoryFreeGradients {
        let h0 = self.embed(x);
        let mut h = self.stack_forward(h0.as_ref());
        let out = self.readout(h.as_ref());
        let (loss, grad_out) = mean_squared_error(out.as_ref(), y);
        let mut grads = self.params.zeros_like();
        let mut g = self.output_adjoint(grad_out.as_ref(), h.as_ref(), &mut grads);
        let alpha = self.config.scale();
        for k in (0..self.config.depth()).rev() {
            let f = self.block(k, h.as_ref());
            add_scaled(&mut h, -alpha, &f);
            let mut probe = h.clone();
            if let Some((a, da)) = self.step(k, &mut probe, true) {
                self.block_adjoint(k, h.as_ref(), &a, &da, &mut g, &mut grads);
            }
        }
        let reconstruction_error = (&h - &h0).norm_l2() / h0.norm_l2().max(f64::MIN_POSITIVE);
        let input = self.input_adjoint(x, &g, &mut grads);
        MemoryFreeGradients {
            loss,
            gradients: Gradients { params: grads, input },
            reconstruction_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Init, ResNetSpec};
    use megavolt_core::rng::{Seed, gaussian_mat};

    fn net(act: Activation, init: Init) -> (ResNet, Mat<f64>, Mat<f64>) {
        let spec = ResNetSpec {
            activation: act,
            init,
            input_dim: Some(3),
            output_dim: Some(2),
            beta: 0.7,
            ..ResNetSpec::new(4, 5, 6)
        };
        let seed = Seed::new(11);
        let net = ResNet::new(spec.build().unwrap(), &mut seed.stream("init"));
        let x = gaussian_mat(&mut seed.stream("x"), 3, 7, 1.0);
        let y = gaussian_mat(&mut seed.stream("y"), 2, 7, 1.0);
        (net, x, y)
    }

    /// Central differences on every parameter: error O(eps^2 f''') plus rounding O(u / eps).
    #[test]
    fn gradients_match_central_differences() {
        for act in [Activation::Tanh, Activation::Gelu, Activation::Relu] {
            let (net, x, y) = net(act, Init::Iid);
            let (_, grads) = net.loss_and_gradients(x.as_ref(), y.as_ref());
            let flat = net.params().flatten();
            let g = grads.params.flatten();
            let eps = 1e-6;
            let mut worst = 0.0f64;
            for i in 0..flat.len() {
                let mut p = net.params().clone();
                let mut f = flat.clone();
                f[i] += eps;
                p.set_from_flat(&f);
                let lp = mean_squared_error(
                    ResNet::from_params(*net.config(), p.clone()).forward(x.as_ref()).as_ref(),
                    y.as_ref(),
                )
                .0;
                f[i] -= 2.0 * eps;
                p.set_from_flat(&f);
                let lm = mean_squared_error(
                    ResNet::from_params(*net.config(), p).forward(x.as_ref()).as_ref(),
                    y.as_ref(),
                )
                .0;
                worst = worst.max(((lp - lm) / (2.0 * eps) - g[i]).abs());
            }
            // ReLU kinks are crossed with probability O(eps); smooth activations see O(eps^2).
            assert!(worst < 1e-7, "{act:?}: worst abs error {worst:e}");
        }
    }

    #[test]
    fn input_gradient_matches_central_differences() {
        let (net, x, y) = net(Activation::Tanh, Init::Smooth { length_scale: 0.3 });
        let (_, grads) = net.loss_and_gradients(x.as_ref(), y.as_ref());
        let eps = 1e-6;
        for (i, j) in [(0, 0), (2, 3), (1, 6)] {
            let mut xp = x.clone();
            xp[(i, j)] += eps;
            let lp = mean_squared_error(net.forward(xp.as_ref()).as_ref(), y.as_ref()).0;
            xp[(i, j)] -= 2.0 * eps;
            let lm = mean_squared_error(net.forward(xp.as_ref()).as_ref(), y.as_ref()).0;
            assert!(((lp - lm) / (2.0 * eps) - grads.input[(i, j)]).abs() < 1e-8);
        }
    }

    #[test]
    fn memory_free_is_exact_for_zero_residuals_and_close_otherwise() {
        let (net, x, y) = net(Activation::Gelu, Init::Tied);
        // V_k = 0: every step is the identity, the reconstruction is exact.
        let mf = net.loss_and_gradients_memory_free(x.as_ref(), y.as_ref());
        let (loss, grads) = net.loss_and_gradients(x.as_ref(), y.as_ref());
        assert!(mf.reconstruction_error == 0.0);
        assert!((mf.loss - loss).abs() <= 4.0 * f64::EPSILON * loss);
        let diff = megavolt_core::stats::rel_error_l2(
            &mf.gradients.params.flatten(),
            &grads.params.flatten(),
        );
        assert!(diff < 1e-13, "{diff:e}");
    }
}
