//! Certified lower bounds from Jacobians at sampled points, improved by a local search.
//!
//! At a point `x` where no pre-activation vanishes, `f` is affine on a neighbourhood of `x`
//! with Jacobian `J(x)`, so `L_p(f) >= |J(x)|_{p -> p}`. At a tie (some pre-activation exactly
//! zero) the Jacobian that automatic differentiation returns depends on the convention for
//! `relu'(0)` and can exceed the constant (both units of `relu(x) - relu(-x)` "active" at 0
//! give 2 with the convention `relu'(0) = 1`), so such points are rejected: only points
//! whose smallest `|pre-activation|` exceeds `margin_tol` count.
//!
//! `|J(x)|` is piecewise constant in `x`, so its gradient vanishes almost everywhere; the
//! local ascent is therefore a derivative-free search over neighbouring regions: random steps
//! of adaptive radius (grown by 1.5 on success, shrunk by 0.7 on failure), accepted when the
//! norm increases and the point stays in the domain with margin.

use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use megavolt_core::Seed;

use crate::domain::Domain;
use crate::error::{LipError, Result};
use crate::network::{ReluNet, unbalance};
use crate::norms::{Norm, operator_norm};

/// Configuration of [`sampled_lower_bound`].
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `n_samples` | 1000 | sampled points | `>= 1` |
/// | `radius` | 1.0 | standard deviation of the Gaussian samples (global domain) | `> 0` |
/// | `n_starts` | 10 | best samples refined by the local search | `0..=n_samples` |
/// | `ascent_steps` | 100 | proposals per refined start | any |
/// | `margin_tol` | 1e-9 | smallest admissible absolute pre-activation, of the balanced network ([`ReluNet::balanced`]: weights of order one) | `> 0` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LowerConfig {
    norm: Norm,
    domain: Domain,
    n_samples: usize,
    radius: f64,
    n_starts: usize,
    ascent_steps: usize,
    margin_tol: f64,
}

impl LowerConfig {
    /// Validated configuration (see the table for the meaning of each argument).
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] naming the first argument out of range.
    pub fn new(
        norm: Norm,
        domain: Domain,
        n_samples: usize,
        radius: f64,
        n_starts: usize,
        ascent_steps: usize,
    ) -> Result<Self> {
        if n_samples == 0 {
            return Err(LipError::invalid("n_samples", n_samples, "at least 1"));
        }
        if !(radius.is_finite() && radius > 0.0) {
            return Err(LipError::invalid("radius", radius, "finite and > 0"));
        }
        if n_starts > n_samples {
            return Err(LipError::invalid("n_starts", n_starts, "at most n_samples"));
        }
        Ok(Self { norm, domain, n_samples, radius, n_starts, ascent_steps, margin_tol: 1e-9 })
    }

    /// Defaults (1000 samples, radius 1, 10 starts of 100 steps) on the whole space.
    pub fn default_for(norm: Norm) -> Self {
        Self {
            norm,
            domain: Domain::Global,
            n_samples: 1000,
            radius: 1.0,
            n_starts: 10,
            ascent_steps: 100,
            margin_tol: 1e-9,
        }
    }

    /// Sets the margin below which a pre-activation counts as a tie.
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] unless `margin_tol > 0` and finite.
    pub fn margin_tol(mut self, margin_tol: f64) -> Result<Self> {
        if !(margin_tol.is_finite() && margin_tol > 0.0) {
            return Err(LipError::invalid("margin_tol", margin_tol, "finite and > 0"));
        }
        self.margin_tol = margin_tol;
        Ok(self)
    }
}

/// A certified lower bound and where it was attained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LowerBound {
    /// `max |J(x)|` over admissible points.
    pub value: f64,
    /// The best sampled value before the local search.
    pub sampled: f64,
    /// The maximising point (no pre-activation within `margin_tol` of 0).
    pub point: Vec<f64>,
    /// Number of admissible points evaluated.
    pub n_evaluated: usize,
    /// Number of points rejected as too close to a tie.
    pub n_rejected: usize,
}

/// Largest Jacobian norm over sampled points (Gaussian for [`Domain::Global`], uniform on a
/// box), then local search from the best `n_starts` samples (see the
/// [module documentation](self)). Random streams come from `seed` (`"lower/samples"`,
/// `"lower/ascent"`), so equal seeds give bit-identical results.
///
/// ```
/// use lipschitz::{LowerConfig, Norm, ReluNet, sampled_lower_bound};
/// use megavolt_core::Seed;
/// let id = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
/// let lb = sampled_lower_bound(&id, &LowerConfig::default_for(Norm::L2), Seed::new(0))?;
/// assert!((lb.value - 1.0).abs() < 1e-15);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if a box domain does not have the input dimension;
/// [`LipError::Decomposition`] if an SVD fails.
///
/// # References
/// M. Jordan and A. G. Dimakis, NeurIPS 2020 (RandomLB); A. Virmaux and K. Scaman,
/// NeurIPS 2018 (gradient-ascent lower bounds).
pub fn sampled_lower_bound(net: &ReluNet, config: &LowerConfig, seed: Seed) -> Result<LowerBound> {
    config.domain.check(net.in_dim())?;
    // Sampled on the balanced network (same activation regions, no overflow in the forward
    // pass), and scaled back exactly.
    let (unit, e) = net.unit_balanced().balanced()?;
    let mut r = lower_balanced(&unit, config, seed)?;
    r.value = unbalance(r.value, e)?;
    r.sampled = unbalance(r.sampled, e)?;
    Ok(r)
}

fn lower_balanced(net: &ReluNet, config: &LowerConfig, seed: Seed) -> Result<LowerBound> {
    let d = net.in_dim();
    let mut rng = seed.stream("lower/samples");
    let mut scored: Vec<(f64, Vec<f64>)> = Vec::with_capacity(config.n_samples);
    let mut n_rejected = 0;
    for _ in 0..config.n_samples {
        let x: Vec<f64> = match &config.domain {
            Domain::Global => {
                (0..d).map(|_| config.radius * rng.sample::<f64, _>(StandardNormal)).collect()
            }
            Domain::Box { lo, hi } => {
                lo.iter().zip(hi).map(|(a, b)| a + (b - a) * rng.random::<f64>()).collect()
            }
        };
        match value_at(net, config, &x)? {
            Some(v) => scored.push((v, x)),
            None => n_rejected += 1,
        }
    }
    let mut n_evaluated = scored.len();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let sampled = scored.first().map_or(0.0, |s| s.0);
    let mut best = scored.first().cloned().unwrap_or((0.0, vec![0.0; d]));
    let mut arng = seed.stream("lower/ascent");
    for (v0, x0) in scored.into_iter().take(config.n_starts) {
        let (mut v, mut x) = (v0, x0);
        let mut r = 0.1 * config.radius;
        for _ in 0..config.ascent_steps {
            let y: Vec<f64> =
                x.iter().map(|xi| xi + r * arng.sample::<f64, _>(StandardNormal)).collect();
            if !config.domain.contains(&y) {
                r *= 0.7;
                continue;
            }
            match value_at(net, config, &y)? {
                Some(vy) => {
                    n_evaluated += 1;
                    if vy > v {
                        (v, x) = (vy, y);
                        r *= 1.5;
                    } else {
                        r *= 0.7;
                    }
                }
                None => n_rejected += 1,
            }
            r = r.clamp(1e-6 * config.radius, 10.0 * config.radius);
        }
        if v > best.0 {
            best = (v, x);
        }
    }
    Ok(LowerBound { value: best.0, sampled, point: best.1, n_evaluated, n_rejected })
}

/// `|J(x)|` if no pre-activation is within `margin_tol` of zero.
fn value_at(net: &ReluNet, config: &LowerConfig, x: &[f64]) -> Result<Option<f64>> {
    let (pattern, margin) = net.pattern(x);
    if margin <= config.margin_tol {
        return Ok(None);
    }
    Ok(Some(operator_norm(net.jacobian_of_pattern(&pattern).as_ref(), config.norm)?))
}
