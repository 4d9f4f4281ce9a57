//! The additive model in several input dimensions, for variable selection.
//!
//! For `x ~ U[0, 1]^d`,
//!
//! ```text
//! f(x) = a_0 + sum_{k=1..d} sum_{j=1..m_k} a_jk sigma_eta(x_k - u_jk),
//! f*(x) = sum_k f*_k(x_k)   (piecewise-constant components),
//! ```
//!
//! where a coordinate whose component is constant is **irrelevant**. The population loss is
//! exact: with the per-coordinate residuals `r_k = sum_j a_jk sigma_eta(. - u_jk) - f*_k +
//! f*_k(0)`, their means `mu_k = int r_k` and `C = a_0 - sum_k f*_k(0) + sum_k mu_k`,
//! independence of the coordinates gives
//!
//! ```text
//! L = E[(f - f*)^2] = C^2 + sum_k (int r_k^2 - mu_k^2),
//! dL/da_jk = 2 [(C - mu_k) int sigma_jk + int r_k sigma_jk],
//! dL/du_jk = -(2 a_jk / eta) [(C - mu_k) int sigma'_jk + int r_k sigma'_jk],
//! ```
//!
//! each one-dimensional integral computed exactly as in [`crate::loss`]. At the optimum the
//! outer weights of an irrelevant coordinate vanish, and with them the velocity of its
//! neurons: in the two-timescale regime they stay put.
//!
//! ```
//! use two_timescale::additive::{AdditiveNetwork, AdditiveTarget};
//! use two_timescale::target::PiecewiseConstant;
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! let relevant = PiecewiseConstant::new(0.0, vec![0.5], vec![1.0])?;
//! let target = AdditiveTarget::new(vec![relevant, PiecewiseConstant::new(0.0, vec![], vec![])?])?;
//! let net = AdditiveNetwork::with_positions(0.01, vec![vec![0.5], vec![0.3]])?;
//! // Zero network: the loss is E[f*^2] = 1/2.
//! assert!((net.population_loss(&target) - 0.5).abs() < 1e-15);
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), supplementary experiments in
//!   two and ten dimensions (additive model, separated step sizes).

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TwoTimescaleError, non_negative, positive};
use crate::piecewise::{ComponentIntegrals, component_integrals};
use crate::target::PiecewiseConstant;

/// An additive target `f*(x) = sum_k f*_k(x_k)` on `[0, 1]^d`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditiveTarget {
    components: Vec<PiecewiseConstant>,
}

impl AdditiveTarget {
    /// A target with one component per coordinate.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] if `components` is empty.
    pub fn new(components: Vec<PiecewiseConstant>) -> Result<Self> {
        if components.is_empty() {
            return Err(TwoTimescaleError::invalid("components", "[]", "at least one coordinate"));
        }
        Ok(Self { components })
    }

    /// The components.
    pub fn components(&self) -> &[PiecewiseConstant] {
        &self.components
    }

    /// Dimension `d`.
    pub fn dim(&self) -> usize {
        self.components.len()
    }

    /// Coordinates whose component has no jump.
    pub fn irrelevant(&self) -> Vec<usize> {
        (0..self.dim()).filter(|&k| self.components[k].n_jumps() == 0).collect()
    }

    /// `f*(x)`.
    ///
    /// # Panics
    /// If `x.len() != self.dim()`.
    #[track_caller]
    pub fn eval(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.dim(), "AdditiveTarget::eval: wrong dimension");
        self.components.iter().zip(x).map(|(c, &xk)| c.eval(xk)).sum()
    }

    fn base(&self) -> f64 {
        self.components.iter().map(PiecewiseConstant::base).sum()
    }
}

/// An additive network (see the [module documentation](self)). Coordinate `k` has
/// `outer[k].len() == positions[k].len()` units, possibly none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditiveNetwork {
    /// Width `eta`.
    pub eta: f64,
    /// Bias `a_0`.
    pub bias: f64,
    /// Outer weights per coordinate.
    pub outer: Vec<Vec<f64>>,
    /// Positions per coordinate.
    pub positions: Vec<Vec<f64>>,
}

/// Gradient of the additive population loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditiveGradient {
    /// The loss.
    pub loss: f64,
    /// `dL/da_0`.
    pub bias: f64,
    /// `dL/da_jk`, per coordinate.
    pub outer: Vec<Vec<f64>>,
    /// `dL/du_jk`, per coordinate.
    pub positions: Vec<Vec<f64>>,
}

impl AdditiveNetwork {
    /// A network with the given positions, zero outer weights and bias.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] for a non-positive `eta`, no coordinate or a
    /// non-finite position.
    pub fn with_positions(eta: f64, positions: Vec<Vec<f64>>) -> Result<Self> {
        positive("eta", eta)?;
        if positions.is_empty() {
            return Err(TwoTimescaleError::invalid("positions", "[]", "at least one coordinate"));
        }
        for &u in positions.iter().flatten() {
            crate::error::finite("positions", u)?;
        }
        let outer = positions.iter().map(|p| vec![0.0; p.len()]).collect();
        Ok(Self { eta, bias: 0.0, outer, positions })
    }

    /// `m` sorted uniform positions per coordinate from `rng`, zero weights.
    ///
    /// # Errors
    /// As [`AdditiveNetwork::with_positions`].
    pub fn uniform<R: Rng + ?Sized>(eta: f64, d: usize, m: usize, rng: &mut R) -> Result<Self> {
        let positions = (0..d).map(|_| crate::network::sorted_uniform(m, rng)).collect();
        Self::with_positions(eta, positions)
    }

    /// Dimension `d`.
    pub fn dim(&self) -> usize {
        self.positions.len()
    }

    /// `f(x)`.
    ///
    /// # Panics
    /// If `x.len() != self.dim()`.
    #[track_caller]
    pub fn eval(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.dim(), "AdditiveNetwork::eval: wrong dimension");
        let inv = 1.0 / self.eta;
        let mut f = self.bias;
        for ((a, u), &xk) in self.outer.iter().zip(&self.positions).zip(x) {
            for (aj, uj) in a.iter().zip(u) {
                f += aj * crate::activation::sigma((xk - uj) * inv);
            }
        }
        f
    }

    #[track_caller]
    fn integrals(&self, target: &AdditiveTarget) -> Vec<ComponentIntegrals> {
        assert_eq!(self.dim(), target.dim(), "additive network and target differ in dimension");
        self.outer
            .iter()
            .zip(&self.positions)
            .zip(target.components())
            .map(|((a, u), t)| {
                let b = t.base();
                component_integrals(a, u, self.eta, t.jumps(), |x| t.eval(x) - b)
            })
            .collect()
    }

    /// The exact population loss `E[(f - f*)^2]` for `x ~ U[0, 1]^d`.
    ///
    /// # Panics
    /// If the network and target dimensions differ.
    #[track_caller]
    pub fn population_loss(&self, target: &AdditiveTarget) -> f64 {
        let ci = self.integrals(target);
        let c = self.bias - target.base() + ci.iter().map(|c| c.mean).sum::<f64>();
        (c * c + ci.iter().map(|c| c.square - c.mean * c.mean).sum::<f64>()).max(0.0)
    }

    /// The exact population loss and its gradient.
    ///
    /// # Panics
    /// If the network and target dimensions differ.
    #[track_caller]
    pub fn population_gradient(&self, target: &AdditiveTarget) -> AdditiveGradient {
        let ci = self.integrals(target);
        let c = self.bias - target.base() + ci.iter().map(|c| c.mean).sum::<f64>();
        let inv = 1.0 / self.eta;
        let mut outer = Vec::with_capacity(self.dim());
        let mut positions = Vec::with_capacity(self.dim());
        for (k, ck) in ci.iter().enumerate() {
            let ce = c - ck.mean;
            let m = self.outer[k].len();
            outer.push((0..m).map(|j| 2.0 * (ce * ck.sigma_mean[j] + ck.r_sigma[j])).collect());
            positions.push(
                (0..m)
                    .map(|j| {
                        -2.0 * self.outer[k][j] * inv * (ce * ck.slope_mean[j] + ck.r_slope[j])
                    })
                    .collect(),
            );
        }
        AdditiveGradient {
            loss: (c * c + ci.iter().map(|c| c.square - c.mean * c.mean).sum::<f64>()).max(0.0),
            bias: 2.0 * c,
            outer,
            positions,
        }
    }

    /// The L^2 deviation from its mean of the network's component along coordinate `k`,
    /// `(int (g_k - int g_k)^2)^(1/2)` with `g_k(t) = sum_j a_jk sigma_eta(t - u_jk)`: zero
    /// exactly when the network ignores `x_k`, whatever the individual weights.
    ///
    /// # Panics
    /// If `k >= self.dim()`.
    #[track_caller]
    pub fn component_deviation(&self, k: usize) -> f64 {
        assert!(k < self.dim(), "component_deviation: coordinate {k} out of range");
        let ci = component_integrals(&self.outer[k], &self.positions[k], self.eta, &[], |_| 0.0);
        (ci.square - ci.mean * ci.mean).max(0.0).sqrt()
    }

    fn is_finite(&self) -> bool {
        self.bias.is_finite()
            && self.outer.iter().flatten().all(|a| a.is_finite())
            && self.positions.iter().flatten().all(|u| u.is_finite())
    }
}

/// One snapshot of an additive training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditiveRecord {
    /// Steps done.
    pub step: u64,
    /// Slow time `step * h * eps`.
    pub tau: f64,
    /// Exact population loss.
    pub loss: f64,
}

/// The result of an additive training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdditiveRun {
    /// Snapshots, the first at step 0.
    pub records: Vec<AdditiveRecord>,
    /// The final network.
    pub network: AdditiveNetwork,
}

fn check_steps(h: f64, eps: f64, steps: u64, records: usize) -> Result<()> {
    positive("step_size", h)?;
    positive("epsilon", eps)?;
    if steps == 0 {
        return Err(TwoTimescaleError::invalid("steps", steps, "at least 1"));
    }
    if records == 0 || records as u64 > steps {
        return Err(TwoTimescaleError::invalid("records", records, "1..=steps"));
    }
    Ok(())
}

/// Gradient descent on the exact additive population loss, outer step `h`, inner step
/// `h eps`, for `steps` steps with `records` snapshots after the initial one.
///
/// # Errors
/// [`TwoTimescaleError::InvalidParameter`] for invalid settings;
/// [`TwoTimescaleError::NonFinite`] if the parameters diverge.
///
/// # Panics
/// If the network and target dimensions differ.
#[track_caller]
pub fn run_additive_gd(
    init: &AdditiveNetwork,
    target: &AdditiveTarget,
    h: f64,
    eps: f64,
    steps: u64,
    records: usize,
) -> Result<AdditiveRun> {
    check_steps(h, eps, steps, records)?;
    let mut net = init.clone();
    let mut out = vec![AdditiveRecord { step: 0, tau: 0.0, loss: net.population_loss(target) }];
    let mut step = 0;
    for k in 1..=records {
        let stop = crate::sgd::record_step(k, records, steps);
        while step < stop {
            let g = net.population_gradient(target);
            net.bias -= h * g.bias;
            for (a, ga) in net.outer.iter_mut().flatten().zip(g.outer.iter().flatten()) {
                *a -= h * ga;
            }
            for (u, gu) in net.positions.iter_mut().flatten().zip(g.positions.iter().flatten()) {
                *u -= h * eps * gu;
            }
            step += 1;
            if !net.is_finite() {
                return Err(TwoTimescaleError::NonFinite { step, time: step as f64 * h * eps });
            }
        }
        out.push(AdditiveRecord {
            step,
            tau: step as f64 * h * eps,
            loss: net.population_loss(target),
        });
    }
    Ok(AdditiveRun { records: out, network: net })
}

/// Online SGD on the additive model: one sample `x ~ U[0, 1]^d` per step (coordinates drawn
/// in order), label `f*(x) + xi` with `xi ~ U[-noise, noise]`, outer step `h`, inner step
/// `h eps`, exact derivative of `sigma`.
///
/// # Errors
/// As [`run_additive_gd`], and for a negative `noise`.
///
/// # Panics
/// If the network and target dimensions differ.
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn run_additive_sgd<R: Rng + ?Sized>(
    init: &AdditiveNetwork,
    target: &AdditiveTarget,
    h: f64,
    eps: f64,
    noise: f64,
    steps: u64,
    records: usize,
    rng: &mut R,
) -> Result<AdditiveRun> {
    check_steps(h, eps, steps, records)?;
    non_negative("noise", noise)?;
    assert_eq!(init.dim(), target.dim(), "additive network and target differ in dimension");
    let mut net = init.clone();
    let d = net.dim();
    let inv = 1.0 / net.eta;
    let mut x = vec![0.0; d];
    let mut out = vec![AdditiveRecord { step: 0, tau: 0.0, loss: net.population_loss(target) }];
    let mut step = 0;
    for k in 1..=records {
        let stop = crate::sgd::record_step(k, records, steps);
        while step < stop {
            for xk in x.iter_mut() {
                *xk = rng.random();
            }
            let xi: f64 = rng.random();
            let r = target.eval(&x) + noise * (2.0 * xi - 1.0) - net.eval(&x);
            let (ga, gu) = (2.0 * h * r, 2.0 * h * eps * r * inv);
            net.bias += ga;
            for ((a, u), &xk) in net.outer.iter_mut().zip(net.positions.iter_mut()).zip(&x) {
                for (aj, uj) in a.iter_mut().zip(u.iter_mut()) {
                    let z = (xk - *uj) * inv;
                    let a_old = *aj;
                    *aj += ga * crate::activation::sigma(z);
                    *uj -= gu * a_old * crate::activation::sigma_prime(z);
                }
            }
            step += 1;
        }
        if !net.is_finite() {
            return Err(TwoTimescaleError::NonFinite { step, time: step as f64 * h * eps });
        }
        out.push(AdditiveRecord {
            step,
            tau: step as f64 * h * eps,
            loss: net.population_loss(target),
        });
    }
    Ok(AdditiveRun { records: out, network: net })
}
