//! The neural ODE `dh/ds = V(s) sigma(W(s) h)` on `s ∈ [0, 1]` with weights interpolated in
//! depth, integrated by `megavolt-core`.

use faer::{Mat, MatRef};
use megavolt_core::nn::Activation;
use megavolt_core::ode::{AdaptiveOptions, Method, Solver};

use crate::error::{ResnetError, Result, at_least};
use crate::resnet::{ResNet, activate, mul_derivative};

/// A fixed-step explicit Runge–Kutta scheme, one step per layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Scheme {
    /// Explicit Euler, order 1 (the ResNet itself).
    Euler,
    /// Heun's method (explicit trapezoidal rule), order 2.
    Heun,
    /// Classical Runge–Kutta, order 4.
    Rk4,
}

impl Scheme {
    /// Order of accuracy.
    pub fn order(self) -> u32 {
        match self {
            Scheme::Euler => 1,
            Scheme::Heun => 2,
            Scheme::Rk4 => 4,
        }
    }

    /// The corresponding `megavolt-core` method.
    pub fn method(self) -> Method {
        match self {
            Scheme::Euler => Method::Euler,
            Scheme::Heun => Method::Heun,
            Scheme::Rk4 => Method::Rk4,
        }
    }

    /// The Butcher tableau `(c, a, b)`, `a` strictly lower triangular, row `i` holding
    /// `a_{i0}, ..., a_{i,i-1}`.
    pub(crate) fn tableau(self) -> (&'static [f64], &'static [&'static [f64]], &'static [f64]) {
        match self {
            Scheme::Euler => (&[0.0], &[&[]], &[1.0]),
            Scheme::Heun => (&[0.0, 1.0], &[&[], &[1.0]], &[0.5, 0.5]),
            Scheme::Rk4 => (
                &[0.0, 0.5, 0.5, 1.0],
                &[&[], &[0.5], &[0.0, 0.5], &[0.0, 0.0, 1.0]],
                &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
            ),
        }
    }
}

/// How to integrate a [`NeuralOde`] over `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Integrator {
    /// `steps` equal steps of a fixed-step scheme.
    Fixed {
        /// The scheme.
        scheme: Scheme,
        /// Number of steps, `>= 1`.
        steps: usize,
    },
    /// Adaptive Dormand–Prince 5(4) with the given tolerances.
    DormandPrince {
        /// Relative tolerance, `>= 1e-15`.
        rtol: f64,
        /// Absolute tolerance, `>= 0`.
        atol: f64,
    },
}

/// A neural ODE whose weights are piecewise-linear functions of depth time.
///
/// ```text
/// dh/ds = V(s) sigma(W(s) h),  s ∈ [0, 1],
/// W(s) = (1 - theta) W_j + theta W_{j+1},  s = (j + theta) / K,  0 <= theta < 1,
/// ```
///
/// with `K` nodes `W_0..W_{K-1}` at `s_j = j / K` (the same for `V`), and `W(s) = W_{K-1}` on
/// `[(K-1)/K, 1]`. Explicit Euler with `K` steps of size `1/K` then evaluates the weights at
/// exactly the nodes, so the Euler discretisation of [`NeuralOde::from_resnet`] is the
/// residual network, to rounding. States hold one sample per column (`d x n`).
///
/// | parameter | meaning | valid range |
/// |---|---|---|
/// | `w_nodes` | `K` matrices `M x d` | `K >= 1`, equal shapes |
/// | `v_nodes` | `K` matrices `d x M` | same `K` |
/// | `activation` | `sigma` | any [`Activation`] |
///
/// ```
/// use faer::Mat;
/// use megavolt_core::nn::Activation;
/// use resnet_ode::{Integrator, NeuralOde, Scheme};
///
/// # fn main() -> resnet_ode::Result<()> {
/// // dh/ds = A h with A the rotation generator: V = A, W = I, identity activation.
/// let a = Mat::from_fn(2, 2, |i, j| [[0.0, -1.0], [1.0, 0.0]][i][j]);
/// let ode = NeuralOde::new(Activation::Identity, vec![Mat::identity(2, 2)], vec![a]);
/// let h0 = Mat::from_fn(2, 1, |i, _| if i == 0 { 1.0 } else { 0.0 });
/// let h1 = ode.integrate(h0.as_ref(), Integrator::Fixed { scheme: Scheme::Rk4, steps: 100 })?;
/// assert!((h1[(0, 0)] - 1f64.cos()).abs() < 1e-9);
/// # Ok(()) }
/// ```
///
/// # References
/// * M. E. Sander, P. Ablin, G. Peyré, "Do residual neural networks discretize neural ODEs?",
///   NeurIPS 2022, §3.
/// * P. Marion, Y.-H. Wu, M. E. Sander, G. Biau, "Implicit regularization of deep residual
///   networks towards neural ODEs", ICLR 2024, the limit model of Theorem 1.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuralOde {
    activation: Activation,
    w_nodes: Vec<Mat<f64>>,
    v_nodes: Vec<Mat<f64>>,
}

/// Gradients of a loss of `h(1)` with respect to the weight nodes and to `h(0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct OdeGradients {
    /// `dl/dW_j` for each node.
    pub w: Vec<Mat<f64>>,
    /// `dl/dV_j` for each node.
    pub v: Vec<Mat<f64>>,
    /// `dl/dh(0)`.
    pub state: Mat<f64>,
}

impl OdeGradients {
    /// All weight-node gradients in one vector (`W` nodes then `V` nodes, column-major).
    pub fn flatten(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for m in self.w.iter().chain(&self.v) {
            for j in 0..m.ncols() {
                out.extend_from_slice(m.col_as_slice(j));
            }
        }
        out
    }
}

impl NeuralOde {
    /// A neural ODE with the given weight nodes.
    ///
    /// # Panics
    /// If there is no node, the numbers of `W` and `V` nodes differ, or the shapes are not
    /// `M x d` and `d x M` throughout.
    #[track_caller]
    pub fn new(activation: Activation, w_nodes: Vec<Mat<f64>>, v_nodes: Vec<Mat<f64>>) -> Self {
        assert!(!w_nodes.is_empty(), "NeuralOde: at least one weight node is needed");
        assert_eq!(w_nodes.len(), v_nodes.len(), "NeuralOde: as many W nodes as V nodes");
        let (m, d) = (w_nodes[0].nrows(), w_nodes[0].ncols());
        for (w, v) in w_nodes.iter().zip(&v_nodes) {
            assert_eq!((w.nrows(), w.ncols()), (m, d), "NeuralOde: W nodes must all be M x d");
            assert_eq!((v.nrows(), v.ncols()), (d, m), "NeuralOde: V nodes must all be d x M");
        }
        Self { activation, w_nodes, v_nodes }
    }

    /// The neural ODE whose Euler scheme with `L` steps is the residual stack of `net`:
    /// nodes `W_k` and `L^{1 - beta} V_k`.
    pub fn from_resnet(net: &ResNet) -> Self {
        let c = (net.config().depth() as f64).powf(1.0 - net.config().beta());
        let v = net
            .params()
            .v
            .iter()
            .map(|v| Mat::from_fn(v.nrows(), v.ncols(), |i, j| c * v[(i, j)]))
            .collect();
        Self::new(net.config().activation(), net.params().w.clone(), v)
    }

    /// Number of nodes `K`.
    pub fn n_nodes(&self) -> usize {
        self.w_nodes.len()
    }

    /// State dimension `d`.
    pub fn dim(&self) -> usize {
        self.w_nodes[0].ncols()
    }

    /// Hidden width `M`.
    pub fn hidden(&self) -> usize {
        self.w_nodes[0].nrows()
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The `W` nodes.
    pub fn w_nodes(&self) -> &[Mat<f64>] {
        &self.w_nodes
    }

    /// The `V` nodes.
    pub fn v_nodes(&self) -> &[Mat<f64>] {
        &self.v_nodes
    }

    /// The node index `j` and weight `theta` with `W(s) = (1 - theta) W_j + theta W_{j+1}`.
    /// Depth times within `1e-9` of a node snap to it, so that a step grid aligned with the
    /// nodes evaluates them exactly.
    pub(crate) fn locate(&self, s: f64) -> (usize, f64) {
        let k = self.n_nodes();
        let p = (s * k as f64).clamp(0.0, k as f64);
        let r = p.round();
        let (j, theta) = if (p - r).abs() <= 1e-9 * k as f64 {
            (r as usize, 0.0)
        } else {
            (p.floor() as usize, p - p.floor())
        };
        if j + 1 >= k { (k - 1, 0.0) } else { (j, theta) }
    }

    /// `(W(s), V(s))`.
    pub fn weights_at(&self, s: f64) -> (Mat<f64>, Mat<f64>) {
        let (j, theta) = self.locate(s);
        if theta == 0.0 {
            return (self.w_nodes[j].clone(), self.v_nodes[j].clone());
        }
        let lerp = |a: &Mat<f64>, b: &Mat<f64>| {
            Mat::from_fn(a.nrows(), a.ncols(), |r, c| (1.0 - theta) * a[(r, c)] + theta * b[(r, c)])
        };
        (lerp(&self.w_nodes[j], &self.w_nodes[j + 1]), lerp(&self.v_nodes[j], &self.v_nodes[j + 1]))
    }

    /// The velocity `V(s) sigma(W(s) h)`.
    ///
    /// # Panics
    /// If `h` does not have `d` rows.
    #[track_caller]
    pub fn velocity(&self, s: f64, h: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(h.nrows(), self.dim(), "velocity: state must have d rows");
        let (w, v) = self.weights_at(s);
        let a = activate(self.activation, &(&w * h));
        &v * &a
    }

    /// Vector-Jacobian products of the velocity at `(s, h)` with cotangent `cot` (`d x n`):
    /// returns `(J_h^T cot, d<cot, f>/dW(s), d<cot, f>/dV(s))`.
    pub(crate) fn vjp(
        &self,
        s: f64,
        h: MatRef<'_, f64>,
        cot: MatRef<'_, f64>,
    ) -> (Mat<f64>, Mat<f64>, Mat<f64>) {
        let (w, v) = self.weights_at(s);
        let z = &w * h;
        let a = activate(self.activation, &z);
        let dv = cot * a.transpose();
        let mut u = v.transpose() * cot;
        mul_derivative(self.activation, &mut u, &z);
        let dw = &u * h.transpose();
        (w.transpose() * &u, dw, dv)
    }

    /// Adds `scale * (dW, dV)` at depth time `s` to the node gradients (the transpose of the
    /// interpolation).
    pub(crate) fn distribute(
        &self,
        s: f64,
        scale: f64,
        dw: &Mat<f64>,
        dv: &Mat<f64>,
        gw: &mut [Mat<f64>],
        gv: &mut [Mat<f64>],
    ) {
        let (j, theta) = self.locate(s);
        let add = |g: &mut Mat<f64>, d: &Mat<f64>, c: f64| {
            if c != 0.0 {
                crate::resnet::add_scaled(g, c, d);
            }
        };
        add(&mut gw[j], dw, scale * (1.0 - theta));
        add(&mut gv[j], dv, scale * (1.0 - theta));
        if theta != 0.0 {
            add(&mut gw[j + 1], dw, scale * theta);
            add(&mut gv[j + 1], dv, scale * theta);
        }
    }

    pub(crate) fn zero_gradients(&self, n: usize) -> OdeGradients {
        OdeGradients {
            w: self.w_nodes.iter().map(|m| Mat::zeros(m.nrows(), m.ncols())).collect(),
            v: self.v_nodes.iter().map(|m| Mat::zeros(m.nrows(), m.ncols())).collect(),
            state: Mat::zeros(self.dim(), n),
        }
    }

    /// `h(1)` from `h(0) = h0` with a `megavolt-core` integrator.
    ///
    /// # Errors
    /// * [`ResnetError::InvalidParameter`] for `steps == 0` or invalid tolerances;
    /// * [`ResnetError::Core`] wrapping a non-finite state or an exhausted step budget.
    ///
    /// # Panics
    /// If `h0` does not have `d` rows.
    #[track_caller]
    pub fn integrate(&self, h0: MatRef<'_, f64>, integrator: Integrator) -> Result<Mat<f64>> {
        assert_eq!(h0.nrows(), self.dim(), "integrate: state must have d rows");
        let solver = solver_for(integrator)?;
        let rhs = |s: f64, y: &Mat<f64>, dy: &mut Mat<f64>| *dy = self.velocity(s, y.as_ref());
        Ok(solver.solve(rhs, 0.0, h0.to_owned(), 1.0)?.y_end)
    }

    /// States at the depth times `times` (increasing, in `[0, 1]`).
    ///
    /// # Errors
    /// As [`NeuralOde::integrate`], and [`ResnetError::Core`] for output times out of order.
    ///
    /// # Panics
    /// If `h0` does not have `d` rows.
    #[track_caller]
    pub fn integrate_at(
        &self,
        h0: MatRef<'_, f64>,
        integrator: Integrator,
        times: &[f64],
    ) -> Result<Vec<Mat<f64>>> {
        assert_eq!(h0.nrows(), self.dim(), "integrate_at: state must have d rows");
        let solver =
            solver_for(integrator)?.output(megavolt_core::ode::Output::Times(times.to_vec()));
        let rhs = |s: f64, y: &Mat<f64>, dy: &mut Mat<f64>| *dy = self.velocity(s, y.as_ref());
        Ok(solver.solve(rhs, 0.0, h0.to_owned(), 1.0)?.y)
    }
}

/// The `megavolt-core` solver of an [`Integrator`] on `[0, 1]` (or `[1, 0]`).
pub(crate) fn solver_for<'a, S: megavolt_core::ode::OdeState>(
    integrator: Integrator,
) -> Result<Solver<'a, S>> {
    Ok(match integrator {
        Integrator::Fixed { scheme, steps } => {
            at_least("steps", steps, 1, "at least 1")?;
            Solver::fixed(scheme.method(), 1.0 / steps as f64)?
        }
        Integrator::DormandPrince { rtol, atol } => {
            let opts = AdaptiveOptions::tolerances(rtol, atol);
            Solver::dormand_prince(opts).map_err(|e| match e {
                megavolt_core::CoreError::InvalidParameter { name, value, expected } => {
                    ResnetError::InvalidParameter { name, value, expected }
                }
                other => other.into(),
            })?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_hits_nodes_and_is_linear_between() {
        let w: Vec<Mat<f64>> = (0..4).map(|k| Mat::from_fn(1, 1, |_, _| k as f64)).collect();
        let v = vec![Mat::zeros(1, 1); 4];
        let ode = NeuralOde::new(Activation::Tanh, w, v);
        for k in 0..4 {
            let s = k as f64 * (1.0 / 4.0);
            assert_eq!(ode.locate(s), (k, 0.0));
        }
        assert!((ode.weights_at(0.375).0[(0, 0)] - 1.5).abs() < 1e-15);
        assert!((ode.weights_at(0.9).0[(0, 0)] - 3.0).abs() < 1e-15);
        assert!((ode.weights_at(1.0).0[(0, 0)] - 3.0).abs() < 1e-15);
    }

    #[test]
    fn bad_integrator_settings_are_typed_errors() {
        let ode = NeuralOde::new(Activation::Tanh, vec![Mat::zeros(1, 1)], vec![Mat::zeros(1, 1)]);
        let h0 = Mat::<f64>::zeros(1, 1);
        let e = ode
            .integrate(h0.as_ref(), Integrator::Fixed { scheme: Scheme::Euler, steps: 0 })
            .unwrap_err();
        assert!(matches!(e, ResnetError::InvalidParameter { name: "steps", .. }));
        let e = ode
            .integrate(h0.as_ref(), Integrator::DormandPrince { rtol: -1.0, atol: 0.0 })
            .unwrap_err();
        assert!(matches!(e, ResnetError::InvalidParameter { name: "rtol", .. }));
    }
}
