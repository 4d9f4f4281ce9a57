//! Gradient descent on the weights of a diagonal linear network.
//!
//! For `x = u ⊙ v` with step `gamma` and `g_k = grad l(x_k)`:
//!
//! ```text
//! u_{k+1} = u_k - gamma v_k ⊙ g_k,   v_{k+1} = v_k - gamma u_k ⊙ g_k,
//! ```
//!
//! so that `a = u + v` and `b = u - v` are multiplied exactly by `1 - gamma g_k` and
//! `1 + gamma g_k`, and the balance `u^2 - v^2 = a b` by `1 - gamma^2 g_k^2` (no longer
//! conserved, unlike the flow). For `x = u ⊙ u`, `u_{k+1} = u_k ⊙ (1 - 2 gamma g_k)` and
//! `x_{k+1} = x_k ⊙ (1 - 2 gamma g_k)^2`. Iteration `k` is reported at the rescaled time
//! `s = 2 gamma k / log(1/eps)`, and the time average is the Riemann sum
//! `xbar_k = (1/k) sum_{j<k} x_j`.
//!
//! The weights are stored as they are (`sqrt(eps)` must be a normal double: `L` up to about
//! 1400); being multiplicative, the updates keep the relative precision of tiny coordinates.
//!
//! # References
//! - S. Pesme, N. Flammarion, *Saddle-to-saddle dynamics in diagonal linear networks*,
//!   NeurIPS 2023, §2.
//! - M. Even, S. Pesme, S. Gunasekar, N. Flammarion, *(S)GD over diagonal linear networks:
//!   implicit bias, large stepsizes and edge of stability*, NeurIPS 2023.

use serde::{Deserialize, Serialize};

use crate::error::{DlnError, Result, positive};
use crate::mirror::{Init, Parametrization};
use crate::problem::Problem;

/// Configuration of [`GradientDescent`].
///
/// | field | meaning | default | valid range |
/// |---|---|---|---|
/// | `step_size` | `gamma` | `1e-2` | `> 0` |
/// | `log_inv_eps` | `L = log(1/eps)` | 20 | `(0, 1400]` |
/// | `parametrization` | `u ⊙ v` or `u ⊙ u` | `Product` | |
/// | `init` | shapes of `u(0)`, `v(0)` | `PesmeFlammarion` | |
/// | `record_every` | iterations between two recorded iterates | 100 | `>= 1` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GdConfig {
    /// Step size.
    pub step_size: f64,
    /// `L = log(1/eps)`.
    pub log_inv_eps: f64,
    /// The parametrisation.
    pub parametrization: Parametrization,
    /// The initialisation shapes.
    pub init: Init,
    /// Recording period.
    pub record_every: usize,
}

impl Default for GdConfig {
    fn default() -> Self {
        Self {
            step_size: 1e-2,
            log_inv_eps: 20.0,
            parametrization: Parametrization::Product,
            init: Init::PesmeFlammarion,
            record_every: 100,
        }
    }
}

/// A validated gradient-descent runner.
///
/// # Example
/// ```
/// use dln_lasso::gd::{GdConfig, GradientDescent};
/// use dln_lasso::Problem;
/// use faer::Mat;
///
/// let p = Problem::from_gram(Mat::identity(2, 2), vec![2.0, -1.0])?;
/// let gd = GradientDescent::new(GdConfig { step_size: 1e-2, log_inv_eps: 10.0, ..GdConfig::default() })?;
/// let tr = gd.run(&p, 2000)?;
/// // After t = 20 both coordinates have converged to r.
/// let x = tr.x.last().unwrap();
/// assert!((x[0] - 2.0).abs() < 1e-6 && (x[1] + 1.0).abs() < 1e-6);
/// # Ok::<(), dln_lasso::DlnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct GradientDescent {
    config: GdConfig,
}

/// Recorded iterates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GdTrajectory {
    /// Iteration numbers.
    pub iters: Vec<usize>,
    /// Rescaled times `2 gamma k / L`.
    pub s: Vec<f64>,
    /// Weights `u`.
    pub u: Vec<Vec<f64>>,
    /// Weights `v` (equal to `u` for `Square`).
    pub v: Vec<Vec<f64>>,
    /// Predictors.
    pub x: Vec<Vec<f64>>,
    /// Time averages `(1/k) sum_{j<k} x_j` (`x_0` at `k = 0`).
    pub xbar: Vec<Vec<f64>>,
}

/// One gradient step on `(u, v)` for `x = u ⊙ v`, given `g = grad l(u ⊙ v)`.
///
/// # Panics
/// If the lengths differ.
#[track_caller]
pub fn product_step(u: &mut [f64], v: &mut [f64], g: &[f64], step_size: f64) {
    assert!(u.len() == v.len() && u.len() == g.len(), "product_step: lengths differ");
    for ((ui, vi), gi) in u.iter_mut().zip(v.iter_mut()).zip(g) {
        let (a, b) = (*ui, *vi);
        *ui = a - step_size * b * gi;
        *vi = b - step_size * a * gi;
    }
}

/// One gradient step on `u` for `x = u ⊙ u` (`d l / d u = 2 u ⊙ g`).
///
/// # Panics
/// If the lengths differ.
#[track_caller]
pub fn square_step(u: &mut [f64], g: &[f64], step_size: f64) {
    assert_eq!(u.len(), g.len(), "square_step: lengths differ");
    for (ui, gi) in u.iter_mut().zip(g) {
        *ui -= step_size * 2.0 * *ui * gi;
    }
}

impl GradientDescent {
    /// Validates a configuration.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] naming the first invalid field.
    pub fn new(config: GdConfig) -> Result<Self> {
        positive("step_size", config.step_size)?;
        positive("log_inv_eps", config.log_inv_eps)?;
        if config.log_inv_eps > 1400.0 {
            return Err(DlnError::invalid(
                "log_inv_eps",
                config.log_inv_eps,
                "at most 1400 (sqrt(eps) must be a normal double)",
            ));
        }
        if config.record_every == 0 {
            return Err(DlnError::invalid("record_every", 0, "at least 1"));
        }
        Ok(Self { config })
    }

    /// The configuration.
    pub fn config(&self) -> &GdConfig {
        &self.config
    }

    /// The initial weights `u(0) = sqrt(eps) beta`, `v(0) = sqrt(eps) gamma`.
    ///
    /// # Panics
    /// If a `Custom` initialisation does not have `p` entries.
    #[track_caller]
    pub fn initial_weights(&self, p: usize) -> (Vec<f64>, Vec<f64>) {
        let se = (-0.5 * self.config.log_inv_eps).exp();
        let (beta, gamma) = match (&self.config.init, self.config.parametrization) {
            (Init::PesmeFlammarion, Parametrization::Product) => {
                (vec![2f64.sqrt(); p], vec![0.0; p])
            }
            (Init::PesmeFlammarion, Parametrization::Square) | (Init::Balanced, _) => {
                (vec![1.0; p], vec![1.0; p])
            }
            (Init::Custom { beta, gamma }, _) => {
                assert!(
                    beta.len() == p && gamma.len() == p,
                    "Init::Custom does not have {p} entries"
                );
                (beta.clone(), gamma.clone())
            }
        };
        let u: Vec<f64> = beta.iter().map(|b| se * b).collect();
        match self.config.parametrization {
            Parametrization::Product => (u, gamma.iter().map(|c| se * c).collect()),
            Parametrization::Square => (u.clone(), u),
        }
    }

    /// Runs `n_iters` steps, recording every `record_every` iterations and the last one.
    ///
    /// # Errors
    /// [`DlnError::NonFinite`] (with the iteration and its rescaled time) if the iterates
    /// diverge, typically for a step size above `2 / (|M| max(u^2 + v^2))`.
    ///
    /// # Panics
    /// If a `Custom` initialisation does not match the problem's dimension.
    #[track_caller]
    pub fn run(&self, problem: &Problem, n_iters: usize) -> Result<GdTrajectory> {
        let cfg = &self.config;
        let p = problem.dim();
        let (mut u, mut v) = self.initial_weights(p);
        let x_of =
            |u: &[f64], v: &[f64]| -> Vec<f64> { u.iter().zip(v).map(|(a, b)| a * b).collect() };
        let mut sum = vec![0.0; p];
        let mut tr = GdTrajectory {
            iters: vec![],
            s: vec![],
            u: vec![],
            v: vec![],
            x: vec![],
            xbar: vec![],
        };
        let s_of = |k: usize| 2.0 * cfg.step_size * k as f64 / cfg.log_inv_eps;
        for k in 0..=n_iters {
            let x = x_of(&u, &v);
            if k % cfg.record_every == 0 || k == n_iters {
                let xbar =
                    if k == 0 { x.clone() } else { sum.iter().map(|s| s / k as f64).collect() };
                tr.iters.push(k);
                tr.s.push(s_of(k));
                tr.u.push(u.clone());
                tr.v.push(v.clone());
                tr.x.push(x.clone());
                tr.xbar.push(xbar);
            }
            if k == n_iters {
                break;
            }
            for (si, xi) in sum.iter_mut().zip(&x) {
                *si += xi;
            }
            let g = problem.gradient(&x);
            match cfg.parametrization {
                Parametrization::Product => product_step(&mut u, &mut v, &g, cfg.step_size),
                Parametrization::Square => {
                    square_step(&mut u, &g, cfg.step_size);
                    v.copy_from_slice(&u);
                }
            }
            if u.iter().chain(&v).any(|w| !w.is_finite()) {
                return Err(DlnError::NonFinite { step: k + 1, time: s_of(k + 1) });
            }
        }
        Ok(tr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergence_is_reported() {
        let p = Problem::from_gram(faer::Mat::identity(1, 1), vec![1.0]).unwrap();
        let cfg =
            GdConfig { step_size: 50.0, log_inv_eps: 0.1, record_every: 1, ..GdConfig::default() };
        let err = GradientDescent::new(cfg).unwrap().run(&p, 2000).unwrap_err();
        assert!(matches!(err, DlnError::NonFinite { .. }), "{err}");
    }

    #[test]
    fn rejects_bad_config() {
        assert!(GradientDescent::new(GdConfig { step_size: 0.0, ..GdConfig::default() }).is_err());
        assert!(
            GradientDescent::new(GdConfig { log_inv_eps: 2000.0, ..GdConfig::default() }).is_err()
        );
    }
}
