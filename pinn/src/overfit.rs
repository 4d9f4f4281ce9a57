//! The overfitting counterexample for unregularised physics-informed networks (heat equation).
//!
//! On `Omega = [0, 1] x [-1, 1]` (time `t`, space `x`) consider `u_t - u_xx = 0` with zero
//! Dirichlet data and the initial condition
//!
//! ```text
//! u0(x) = g(x + 1/2) - g(x - 1/2) + g(1/2) - g(3/2),   g = tanh ∘ tanh.
//! ```
//!
//! The two-hidden-layer tanh network
//!
//! ```text
//! u_p(t, x) = g(x + 1/2 + p t) - g(x - 1/2 + p t) + g(1/2 + p t) - g(3/2 + p t)
//! ```
//!
//! equals `u0` at `t = 0`, vanishes at `x = 1` for every `t` and, for `p t >> 1`, is flat:
//! every derivative decays like `exp(-2 p t)`. Once the steepness `p` exceeds a multiple of
//! `1 / t_min`, `t_min` the smallest positive collocation or boundary time, the empirical
//! risk (residual + boundary + initial mean squares) is below rounding, while `u_p` is close
//! to 0 at almost every time and therefore far from the diffusing solution in `L^2`.
//!
//! # References
//! Doumèche, Biau, Boyer, *On the convergence of PINNs*, Bernoulli 31 (2025), Section 3
//! (PINNs can overfit) and its heat-equation example.

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::{PinnError, Result, positive};
use crate::jet::{JetSpec, TanhNet};

fn g(y: f64) -> f64 {
    y.tanh().tanh()
}

/// The initial condition `u0(x) = g(x + 1/2) - g(x - 1/2) + g(1/2) - g(3/2)`.
pub fn initial_condition(x: f64) -> f64 {
    g(x + 0.5) - g(x - 0.5) + g(0.5) - g(1.5)
}

/// The network `u_p` as a [`TanhNet`] with sizes `[2, 4, 4, 1]` and inputs `(t, x)`: first layer
/// `tanh(p t + x + 1/2)`, `tanh(p t + x - 1/2)`, `tanh(p t + 1/2)`, `tanh(p t + 3/2)`, second
/// layer `tanh` of each, output weights `(1, -1, 1, -1)`.
///
/// # Errors
/// [`PinnError::InvalidParameter`] if `p` is not finite and positive.
///
/// # Example
/// ```
/// use faer::Mat;
/// use pinn::jet::JetSpec;
/// use pinn::overfit::{initial_condition, steep_network};
/// let net = steep_network(1e3)?;
/// let x = Mat::from_fn(2, 1, |i, _| if i == 0 { 0.0 } else { 0.3 });
/// let u = net.forward(x.as_ref(), &JetSpec::values(2)).value()[0];
/// assert!((u - initial_condition(0.3)).abs() < 1e-15);
/// # Ok::<(), pinn::PinnError>(())
/// ```
pub fn steep_network(p: f64) -> Result<TanhNet> {
    positive("p", p)?;
    let mut params = Vec::with_capacity(2 * 4 + 4 + 16 + 4 + 4 + 1);
    // Layer 1: W (4 x 2) column by column (t column, then x column), then b.
    params.extend([p, p, p, p]);
    params.extend([1.0, 1.0, 0.0, 0.0]);
    params.extend([0.5, -0.5, 0.5, 1.5]);
    // Layer 2: identity weights, zero bias.
    for j in 0..4 {
        for i in 0..4 {
            params.push(if i == j { 1.0 } else { 0.0 });
        }
    }
    params.extend([0.0; 4]);
    // Output.
    params.extend([1.0, -1.0, 1.0, -1.0, 0.0]);
    TanhNet::from_params(&[2, 4, 4, 1], params)
}

/// The exact solution of the heat problem as a sine series,
/// `u*(t, x) = sum_k b_k exp(-(k pi / 2)^2 t) sin(k pi (x + 1) / 2)`, with
/// `b_k = int_{-1}^{1} u0(x) sin(k pi (x + 1) / 2) dx` by the composite Simpson rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatSeries {
    coefficients: Vec<f64>,
}

impl HeatSeries {
    /// `n_terms` terms, coefficients by Simpson's rule on `n_quad` (even) intervals.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if `n_terms = 0` or `n_quad` is odd or zero.
    pub fn new(n_terms: usize, n_quad: usize) -> Result<Self> {
        if n_terms == 0 {
            return Err(PinnError::invalid("n_terms", n_terms, ">= 1"));
        }
        if n_quad == 0 || n_quad % 2 == 1 {
            return Err(PinnError::invalid("n_quad", n_quad, "an even number >= 2"));
        }
        let h = 2.0 / n_quad as f64;
        let coefficients = (1..=n_terms)
            .map(|k| {
                let w = k as f64 * std::f64::consts::PI / 2.0;
                (0..=n_quad)
                    .map(|i| {
                        let x = -1.0 + i as f64 * h;
                        let c = if i == 0 || i == n_quad {
                            1.0
                        } else if i % 2 == 1 {
                            4.0
                        } else {
                            2.0
                        };
                        c * initial_condition(x) * (w * (x + 1.0)).sin()
                    })
                    .sum::<f64>()
                    * h
                    / 3.0
            })
            .collect();
        Ok(Self { coefficients })
    }

    /// `u*(t, x)`.
    pub fn eval(&self, t: f64, x: f64) -> f64 {
        self.coefficients
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let w = (i + 1) as f64 * std::f64::consts::PI / 2.0;
                b * (-w * w * t).exp() * (w * (x + 1.0)).sin()
            })
            .sum()
    }
}

/// Settings of [`counterexample`].
///
/// | field | default | meaning | valid range |
/// |---|---|---|---|
/// | `steepness` | `None` (then `20 / t_min`) | `p` | `> 0` |
/// | `n_times` | 50 | collocation times `k / n_times`, `k = 1..n_times` | `>= 1` |
/// | `n_space` | 20 | interior collocation abscissae | `>= 1` |
/// | `n_boundary_times` | 100 | boundary times `k / n_boundary_times`, `k = 0..n` | `>= 1` |
/// | `n_initial` | 100 | initial abscissae on `[-1, 1]` | `>= 2` |
/// | `n_eval` | 200 | evaluation grid per axis for the `L^2` distance | `>= 2` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CounterexampleConfig {
    /// Steepness `p`; `None` picks `20 / t_min`.
    pub steepness: Option<f64>,
    /// Number of collocation times.
    pub n_times: usize,
    /// Number of interior collocation abscissae.
    pub n_space: usize,
    /// Number of positive boundary times.
    pub n_boundary_times: usize,
    /// Number of initial abscissae.
    pub n_initial: usize,
    /// Evaluation grid size per axis.
    pub n_eval: usize,
}

impl Default for CounterexampleConfig {
    fn default() -> Self {
        Self {
            steepness: None,
            n_times: 50,
            n_space: 20,
            n_boundary_times: 100,
            n_initial: 100,
            n_eval: 200,
        }
    }
}

/// What [`counterexample`] measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CounterexampleResult {
    /// The steepness used.
    pub steepness: f64,
    /// Smallest positive collocation or boundary time.
    pub t_min: f64,
    /// Mean squared residual `u_t - u_xx` on the collocation points.
    pub residual: f64,
    /// Mean squared boundary values.
    pub boundary: f64,
    /// Mean squared initial error.
    pub initial: f64,
    /// `residual + boundary + initial`.
    pub empirical_risk: f64,
    /// Root mean square of `u_p - u*` on the evaluation grid of `[0, 1] x [-1, 1]`.
    pub l2_distance: f64,
    /// Root mean square of `u*` on the same grid.
    pub l2_truth: f64,
}

/// Evaluates the counterexample: empirical risk of `u_p` on grids, and its distance to the
/// exact solution.
///
/// # Errors
/// [`PinnError::InvalidParameter`] for a grid size out of range or a non-positive steepness.
///
/// # Example
/// ```
/// use pinn::overfit::{CounterexampleConfig, counterexample};
/// let r = counterexample(&CounterexampleConfig { n_eval: 60, ..Default::default() })?;
/// assert!(r.empirical_risk < 1e-20 && r.l2_distance > 0.15);
/// # Ok::<(), pinn::PinnError>(())
/// ```
pub fn counterexample(cfg: &CounterexampleConfig) -> Result<CounterexampleResult> {
    for (name, v, min) in [
        ("n_times", cfg.n_times, 1),
        ("n_space", cfg.n_space, 1),
        ("n_boundary_times", cfg.n_boundary_times, 1),
        ("n_initial", cfg.n_initial, 2),
        ("n_eval", cfg.n_eval, 2),
    ] {
        if v < min {
            return Err(PinnError::invalid(name, v, "a larger grid size"));
        }
    }
    let t_min = (1.0 / cfg.n_times as f64).min(1.0 / cfg.n_boundary_times as f64);
    let p = positive("steepness", cfg.steepness.unwrap_or(20.0 / t_min))?;
    let net = steep_network(p)?;

    // Residual on the collocation grid.
    let (nt, nx) = (cfg.n_times, cfg.n_space);
    let colloc = Mat::from_fn(2, nt * nx, |i, q| {
        if i == 0 {
            (q / nx + 1) as f64 / nt as f64
        } else {
            -1.0 + 2.0 * (q % nx + 1) as f64 / (nx + 1) as f64
        }
    });
    let spec = JetSpec::with_pairs(2, &[(1, 1)]);
    let jets = net.forward(colloc.as_ref(), &spec);
    let ch_xx = spec.pair_channel(1, 1).expect("propagated");
    let residual =
        (0..nt * nx).map(|q| (jets.data[(1, q)] - jets.data[(ch_xx, q)]).powi(2)).sum::<f64>()
            / (nt * nx) as f64;

    // Boundary x = -1 and x = 1 at times k / n_b, k = 0..n_b.
    let nb = cfg.n_boundary_times + 1;
    let bnd = Mat::from_fn(2, 2 * nb, |i, q| {
        if i == 0 {
            (q % nb) as f64 / cfg.n_boundary_times as f64
        } else if q < nb {
            -1.0
        } else {
            1.0
        }
    });
    let ub = net.forward(bnd.as_ref(), &JetSpec::values(2)).value();
    let boundary = ub.iter().map(|v| v * v).sum::<f64>() / ub.len() as f64;

    // Initial line.
    let ni = cfg.n_initial;
    let init =
        Mat::from_fn(
            2,
            ni,
            |i, q| if i == 0 { 0.0 } else { -1.0 + 2.0 * q as f64 / (ni - 1) as f64 },
        );
    let ui = net.forward(init.as_ref(), &JetSpec::values(2)).value();
    let initial =
        (0..ni).map(|q| (ui[q] - initial_condition(init[(1, q)])).powi(2)).sum::<f64>() / ni as f64;

    // L2 distances on a midpoint grid.
    let series = HeatSeries::new(200, 4000)?;
    let ne = cfg.n_eval;
    let grid = Mat::from_fn(2, ne * ne, |i, q| {
        if i == 0 {
            ((q / ne) as f64 + 0.5) / ne as f64
        } else {
            -1.0 + 2.0 * ((q % ne) as f64 + 0.5) / ne as f64
        }
    });
    let up = net.forward(grid.as_ref(), &JetSpec::values(2)).value();
    let (mut dist, mut norm) = (0.0, 0.0);
    for q in 0..ne * ne {
        let truth = series.eval(grid[(0, q)], grid[(1, q)]);
        dist += (up[q] - truth).powi(2);
        norm += truth * truth;
    }
    let count = (ne * ne) as f64;
    Ok(CounterexampleResult {
        steepness: p,
        t_min,
        residual,
        boundary,
        initial,
        empirical_risk: residual + boundary + initial,
        l2_distance: (dist / count).sqrt(),
        l2_truth: (norm / count).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_solves_the_heat_problem() {
        let s = HeatSeries::new(200, 4000).unwrap();
        // Initial condition reproduced (the odd extension is smooth up to u0'' at the ends).
        for x in [-0.7, 0.0, 0.4, 0.9] {
            assert!((s.eval(0.0, x) - initial_condition(x)).abs() < 1e-5, "x = {x}");
        }
        // u_t = u_xx by central differences at an interior point.
        let (t, x, h) = (0.2, 0.3, 1e-3);
        let ut = (s.eval(t + h, x) - s.eval(t - h, x)) / (2.0 * h);
        let uxx = (s.eval(t, x + h) - 2.0 * s.eval(t, x) + s.eval(t, x - h)) / (h * h);
        assert!((ut - uxx).abs() < 1e-5);
        assert!(s.eval(0.5, 1.0).abs() < 1e-12 && s.eval(0.5, -1.0).abs() < 1e-12);
    }

    #[test]
    fn shallow_network_does_not_fit() {
        // With p t_min = 1 the residual at the first collocation times is large.
        let cfg = CounterexampleConfig { steepness: Some(50.0), n_eval: 20, ..Default::default() };
        let r = counterexample(&cfg).unwrap();
        assert!(r.empirical_risk > 1e-3, "{r:?}");
    }
}
