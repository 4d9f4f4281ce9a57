//! The continuous adjoint method (optimise-then-discretise) for a [`NeuralOde`].
//!
//! For a loss `l(h(1))`, the gradient with respect to the weight nodes is obtained by solving,
//! backwards from `s = 1` to `s = 0`, the augmented system
//!
//! ```text
//! dh/ds = f(s, h),   da/ds = -J_h f(s, h)^T a,   dg_j/ds = -phi_j(s) (∂f/∂W(s))^T a,
//! h(1) = forward solution,   a(1) = dl/dh(1),   g_j(1) = 0,
//! ```
//!
//! with `phi_j` the hat function of node `j`; then `dl/dW_j = g_j(0)` and `dl/dh(0) = a(0)`.
//! The state `h` is recomputed backwards (no trajectory is stored), as in the adjoint method of
//! Chen et al. (2018). Solved with a scheme of order `p` and step `dt`, the result differs
//! from the exact gradient of the continuous model, and from backpropagation through the same
//! scheme ([`NeuralOde::flow_backprop`]), by `O(dt^p)` when the weights are smooth on every
//! step.
//!
//! # References
//! * R. T. Q. Chen, Y. Rubanova, J. Bettencourt, D. Duvenaud, "Neural ordinary differential
//!   equations", NeurIPS 2018, Algorithm 1.
//! * M. E. Sander, P. Ablin, G. Peyré, "Do residual neural networks discretize neural ODEs?",
//!   NeurIPS 2022, §5.

use faer::{Mat, MatRef};

use crate::error::Result;
use crate::neural_ode::{Integrator, NeuralOde, OdeGradients, solver_for};

/// Output of [`NeuralOde::continuous_adjoint`].
#[derive(Debug, Clone, PartialEq)]
pub struct AdjointSolution {
    /// The forward solution `h(1)`.
    pub final_state: Mat<f64>,
    /// The gradients.
    pub gradients: OdeGradients,
    /// `h(0)` recomputed by the backward solve (equals the input up to solver error).
    pub recomputed_initial: Mat<f64>,
}

/// Offsets of the blocks of the augmented state `[h, a, g_W nodes, g_V nodes]`.
struct Layout {
    d: usize,
    n: usize,
    m: usize,
    k: usize,
}

impl Layout {
    fn state(&self) -> usize {
        self.d * self.n
    }
    fn w_block(&self) -> usize {
        self.m * self.d
    }
    fn len(&self) -> usize {
        2 * self.state() + 2 * self.k * self.w_block()
    }
    fn pack_mat(dst: &mut [f64], m: &Mat<f64>) {
        for j in 0..m.ncols() {
            dst[j * m.nrows()..(j + 1) * m.nrows()].copy_from_slice(m.col_as_slice(j));
        }
    }
    fn unpack_mat(src: &[f64], nrows: usize, ncols: usize) -> Mat<f64> {
        Mat::from_fn(nrows, ncols, |i, j| src[j * nrows + i])
    }
}

impl NeuralOde {
    /// Gradients of `l(h(1))` by the continuous adjoint method, with `loss_grad` mapping
    /// `h(1)` to `dl/dh(1)`; the forward and backward solves both use `integrator`.
    ///
    /// # Errors
    /// As [`NeuralOde::integrate`].
    ///
    /// # Panics
    /// If `h0` does not have `d` rows or `loss_grad` returns a matrix of another shape.
    #[track_caller]
    pub fn continuous_adjoint(
        &self,
        h0: MatRef<'_, f64>,
        integrator: Integrator,
        loss_grad: impl FnOnce(MatRef<'_, f64>) -> Mat<f64>,
    ) -> Result<AdjointSolution> {
        let final_state = self.integrate(h0, integrator)?;
        let cot = loss_grad(final_state.as_ref());
        assert_eq!(
            (cot.nrows(), cot.ncols()),
            (final_state.nrows(), final_state.ncols()),
            "loss_grad: shape"
        );
        let lay = Layout { d: self.dim(), n: h0.ncols(), m: self.hidden(), k: self.n_nodes() };
        let mut y1 = vec![0.0; lay.len()];
        Layout::pack_mat(&mut y1[..lay.state()], &final_state);
        Layout::pack_mat(&mut y1[lay.state()..2 * lay.state()], &cot);

        let rhs = |s: f64, y: &Vec<f64>, dy: &mut Vec<f64>| {
            let h = Layout::unpack_mat(&y[..lay.state()], lay.d, lay.n);
            let a = Layout::unpack_mat(&y[lay.state()..2 * lay.state()], lay.d, lay.n);
            let f = self.velocity(s, h.as_ref());
            let (ja, dw, dv) = self.vjp(s, h.as_ref(), a.as_ref());
            dy.iter_mut().for_each(|v| *v = 0.0);
            Layout::pack_mat(&mut dy[..lay.state()], &f);
            let neg_ja = Mat::from_fn(ja.nrows(), ja.ncols(), |i, j| -ja[(i, j)]);
            Layout::pack_mat(&mut dy[lay.state()..2 * lay.state()], &neg_ja);
            let (j, theta) = self.locate(s);
            let w0 = 2 * lay.state();
            let v0 = w0 + lay.k * lay.w_block();
            let mut put = |node: usize, c: f64| {
                let (ws, vs) = (w0 + node * lay.w_block(), v0 + node * lay.w_block());
                for col in 0..dw.ncols() {
                    for row in 0..dw.nrows() {
                        dy[ws + col * dw.nrows() + row] -= c * dw[(row, col)];
                    }
                }
                for col in 0..dv.ncols() {
                    for row in 0..dv.nrows() {
                        dy[vs + col * dv.nrows() + row] -= c * dv[(row, col)];
                    }
                }
            };
            put(j, 1.0 - theta);
            if theta != 0.0 {
                put(j + 1, theta);
            }
        };
        let y0 = solver_for::<Vec<f64>>(integrator)?.solve(rhs, 1.0, y1, 0.0)?.y_end;

        let w0 = 2 * lay.state();
        let v0 = w0 + lay.k * lay.w_block();
        let gradients = OdeGradients {
            w: (0..lay.k)
                .map(|j| Layout::unpack_mat(&y0[w0 + j * lay.w_block()..], lay.m, lay.d))
                .collect(),
            v: (0..lay.k)
                .map(|j| Layout::unpack_mat(&y0[v0 + j * lay.w_block()..], lay.d, lay.m))
                .collect(),
            state: Layout::unpack_mat(&y0[lay.state()..], lay.d, lay.n),
        };
        let recomputed_initial = Layout::unpack_mat(&y0, lay.d, lay.n);
        Ok(AdjointSolution { final_state, gradients, recomputed_initial })
    }
}
