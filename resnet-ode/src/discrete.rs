//! Fixed-step discretisations of a [`NeuralOde`] as deep networks, with exact
//! backpropagation (the discrete adjoint) and memory-free backpropagation.
//!
//! With `N` steps of size `dt = 1/N` of an explicit Runge–Kutta scheme with tableau
//! `(c, a, b)`, one step is
//!
//! ```text
//! Y_i = h_k + dt sum_{j<i} a_ij K_j,   K_i = f(s_k + c_i dt, Y_i),   h_{k+1} = h_k + dt sum_i b_i K_i,
//! ```
//!
//! and its adjoint, processing stages from last to first with `Kbar_i = dt b_i hbar_{k+1}`,
//! is `Ybar_i = J_f(Y_i)^T Kbar_i`, `Kbar_j += dt a_ij Ybar_i` (`j < i`),
//! `hbar_k = hbar_{k+1} + sum_i Ybar_i`; the parameter gradient collects
//! `(∂f/∂θ)^T Kbar_i` at every stage. For Euler this is
//! `p_k = p_{k+1} + dt J_f(h_k)^T p_{k+1}`, the discrete adjoint that backpropagation through
//! a residual network computes (discretise-then-optimise).
//!
//! # References
//! * E. Hairer, C. Lubich, G. Wanner, *Geometric Numerical Integration*, 2nd ed., Springer
//!   2006, §VI.4 (adjoint of Runge–Kutta methods).
//! * M. E. Sander, P. Ablin, G. Peyré, "Do residual neural networks discretize neural ODEs?",
//!   NeurIPS 2022, §5 (memory-free backpropagation, Heun variant).

use faer::{Mat, MatRef};

use crate::error::{ResnetError, Result, at_least};
use crate::neural_ode::{NeuralOde, OdeGradients, Scheme};
use crate::resnet::add_scaled;

/// Output of [`NeuralOde::flow_backprop_memory_free`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryFreeOde {
    /// Gradients computed on the rebuilt states.
    pub gradients: OdeGradients,
    /// The rebuilt initial state.
    pub rebuilt_initial: Mat<f64>,
}

impl NeuralOde {
    /// The stage states of one step from `(s, h)` with step `dt` (which may be negative).
    fn stages(
        &self,
        scheme: Scheme,
        s: f64,
        dt: f64,
        h: &Mat<f64>,
    ) -> (Vec<Mat<f64>>, Vec<Mat<f64>>) {
        let (c, a, _) = scheme.tableau();
        let mut ys: Vec<Mat<f64>> = Vec::with_capacity(c.len());
        let mut ks: Vec<Mat<f64>> = Vec::with_capacity(c.len());
        for i in 0..c.len() {
            let mut y = h.clone();
            for (j, aij) in a[i].iter().enumerate() {
                if *aij != 0.0 {
                    add_scaled(&mut y, dt * aij, &ks[j]);
                }
            }
            ks.push(self.velocity(s + c[i] * dt, y.as_ref()));
            ys.push(y);
        }
        (ys, ks)
    }

    /// One step of `scheme` from `(s, h)` with step `dt` (negative to run backwards in depth).
    ///
    /// # Panics
    /// If `h` does not have `d` rows.
    #[track_caller]
    pub fn scheme_step(&self, scheme: Scheme, s: f64, dt: f64, h: &Mat<f64>) -> Mat<f64> {
        let (_, ks) = self.stages(scheme, s, dt, h);
        let (_, _, b) = scheme.tableau();
        let mut out = h.clone();
        for (bi, k) in b.iter().zip(&ks) {
            add_scaled(&mut out, dt * bi, k);
        }
        out
    }

    /// The states `h_0, ..., h_N` of `steps` steps of `scheme` on `[0, 1]`.
    ///
    /// # Errors
    /// [`ResnetError::InvalidParameter`] if `steps == 0`; [`ResnetError::NonFinite`] naming the
    /// first step whose state is not finite.
    ///
    /// # Panics
    /// If `h0` does not have `d` rows.
    #[track_caller]
    pub fn flow(&self, scheme: Scheme, steps: usize, h0: MatRef<'_, f64>) -> Result<Vec<Mat<f64>>> {
        at_least("steps", steps, 1, "at least 1")?;
        assert_eq!(h0.nrows(), self.dim(), "flow: state must have d rows");
        let dt = 1.0 / steps as f64;
        let mut states = vec![h0.to_owned()];
        for k in 0..steps {
            let next = self.scheme_step(scheme, k as f64 * dt, dt, &states[k]);
            if !megavolt_core::linalg::all_finite(next.as_ref()) {
                return Err(ResnetError::NonFinite { step: k + 1, time: (k + 1) as f64 * dt });
            }
            states.push(next);
        }
        Ok(states)
    }

    /// Backpropagates `hbar` through the step from `(s, h)` with step `dt`, accumulating the
    /// node gradients; returns the cotangent at `h`.
    fn step_adjoint(
        &self,
        scheme: Scheme,
        s: f64,
        dt: f64,
        h: &Mat<f64>,
        hbar: &Mat<f64>,
        grads: &mut OdeGradients,
    ) -> Mat<f64> {
        let (c, a, b) = scheme.tableau();
        let (ys, _) = self.stages(scheme, s, dt, h);
        let mut kbar: Vec<Mat<f64>> = b
            .iter()
            .map(|bi| Mat::from_fn(hbar.nrows(), hbar.ncols(), |r, q| dt * bi * hbar[(r, q)]))
            .collect();
        let mut out = hbar.clone();
        for i in (0..c.len()).rev() {
            let si = s + c[i] * dt;
            let (ybar, dw, dv) = self.vjp(si, ys[i].as_ref(), kbar[i].as_ref());
            self.distribute(si, 1.0, &dw, &dv, &mut grads.w, &mut grads.v);
            for (j, aij) in a[i].iter().enumerate() {
                if *aij != 0.0 {
                    add_scaled(&mut kbar[j], dt * aij, &ybar);
                }
            }
            add_scaled(&mut out, 1.0, &ybar);
        }
        out
    }

    /// Exact gradients of a loss `l(h_N)` through `steps` steps of `scheme`, given
    /// `dl/dh_N`, with every state stored (`O(N)` memory).
    ///
    /// # Errors
    /// As [`NeuralOde::flow`].
    ///
    /// # Panics
    /// If `h0` does not have `d` rows or `grad_last` the shape of `h0`.
    #[track_caller]
    pub fn flow_backprop(
        &self,
        scheme: Scheme,
        steps: usize,
        h0: MatRef<'_, f64>,
        grad_last: MatRef<'_, f64>,
    ) -> Result<OdeGradients> {
        assert_eq!(
            (grad_last.nrows(), grad_last.ncols()),
            (h0.nrows(), h0.ncols()),
            "flow_backprop: cotangent shape"
        );
        let states = self.flow(scheme, steps, h0)?;
        let dt = 1.0 / steps as f64;
        let mut grads = self.zero_gradients(h0.ncols());
        let mut hbar = grad_last.to_owned();
        for k in (0..steps).rev() {
            hbar = self.step_adjoint(scheme, k as f64 * dt, dt, &states[k], &hbar, &mut grads);
        }
        grads.state = hbar;
        Ok(grads)
    }

    /// Memory-free backpropagation: starting from the final state alone, each state is
    /// rebuilt by one step of the same scheme backwards in depth (step `-dt` from
    /// `s_{k+1}`), then the step is backpropagated at the rebuilt state. For constant weights
    /// and a linear velocity `A h`, one Euler round trip is `I - dt^2 A^2` (error `O(1/N)`
    /// after `N` steps) and one Heun round trip `I + dt^4 A^4 / 4` (error `O(1/N^3)`).
    ///
    /// # Errors
    /// [`ResnetError::InvalidParameter`] if `steps == 0`; [`ResnetError::NonFinite`] if a
    /// rebuilt state is not finite.
    ///
    /// # Panics
    /// If `h_last` does not have `d` rows or `grad_last` the shape of `h_last`.
    #[track_caller]
    pub fn flow_backprop_memory_free(
        &self,
        scheme: Scheme,
        steps: usize,
        h_last: MatRef<'_, f64>,
        grad_last: MatRef<'_, f64>,
    ) -> Result<MemoryFreeOde> {
        at_least("steps", steps, 1, "at least 1")?;
        assert_eq!(h_last.nrows(), self.dim(), "flow_backprop_memory_free: state must have d rows");
        assert_eq!(
            (grad_last.nrows(), grad_last.ncols()),
            (h_last.nrows(), h_last.ncols()),
            "cotangent shape"
        );
        let dt = 1.0 / steps as f64;
        let mut grads = self.zero_gradients(h_last.ncols());
        let mut h = h_last.to_owned();
        let mut hbar = grad_last.to_owned();
        for k in (0..steps).rev() {
            h = self.scheme_step(scheme, (k + 1) as f64 * dt, -dt, &h);
            if !megavolt_core::linalg::all_finite(h.as_ref()) {
                return Err(ResnetError::NonFinite { step: k, time: k as f64 * dt });
            }
            hbar = self.step_adjoint(scheme, k as f64 * dt, dt, &h, &hbar, &mut grads);
        }
        grads.state = hbar;
        Ok(MemoryFreeOde { gradients: grads, rebuilt_initial: h })
    }
}
