//! Gradient flow of a diagonal linear network, integrated in mirror coordinates by an implicit
//! Runge–Kutta method (3-stage Radau IIA, order 5, L-stable and stiffly accurate).
//!
//! The state is the mirror variable `sigma` of [`crate::mirror`] together with the running
//! integral `w(s) = int_0^s x ds'`, in the rescaled time `s = 2t / log(1/eps)`:
//!
//! ```text
//! d sigma / ds = r - M x(sigma),   dw/ds = x(sigma),   xbar(s) = w(s) / s.
//! ```
//!
//! The Jacobian `-M diag(dx/dsigma)` has eigenvalues of size `L |x| |M|`: the system is stiff
//! for small `eps` once coordinates are active, while the trajectory itself is smooth between
//! activations. Each step solves the stage equations by Newton's method with the exact
//! Jacobian; the step size is controlled by step doubling on the error of `L sigma` (which is
//! the relative error of the exponentially small coordinates) and of `w`.
//!
//! Activations are recorded when `|sigma_i|` crosses `1` for `u ⊙ v` (when `sigma_i` crosses
//! `1/2` for `u ⊙ u`): as `eps -> 0` these are the jump times of the saddle-to-saddle limit.
//!
//! # References
//! - E. Hairer, G. Wanner, *Solving ordinary differential equations II*, 2nd ed., Springer
//!   1996, §IV.5 (Radau IIA) and §II.4 (step doubling).
//! - R. Berthier, *Diagonal linear networks and the lasso regularization path*, 2025.

use faer::Mat;
use faer::prelude::Solve;
use serde::{Deserialize, Serialize};

use crate::error::{DlnError, Result, positive};
use crate::mirror::{Init, MirrorMap, Parametrization};
use crate::problem::Problem;

/// Configuration of [`MirrorFlow`].
///
/// | field | meaning | default | valid range |
/// |---|---|---|---|
/// | `log_inv_eps` | `L = log(1/eps)` | 50 | `> 0` |
/// | `parametrization` | `u ⊙ v` or `u ⊙ u` | `Product` | |
/// | `init` | shapes of `u(0)`, `v(0)` | `PesmeFlammarion` | |
/// | `tol` | local error per step on `L sigma` and on `w / (1 + abs(w))` | `1e-10` | `(0, 1)` |
/// | `h_max` | largest step in `s`, relative to `max(1, s)` | `0.05` | `> 0` |
/// | `max_steps` | step budget (accepted and rejected) | 200000 | `>= 1` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowConfig {
    /// `L = log(1/eps)`.
    pub log_inv_eps: f64,
    /// The parametrisation.
    pub parametrization: Parametrization,
    /// The initialisation shapes.
    pub init: Init,
    /// Local error tolerance.
    pub tol: f64,
    /// Largest step in rescaled time, relative to `max(1, s)`.
    pub h_max: f64,
    /// Step budget.
    pub max_steps: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            log_inv_eps: 50.0,
            parametrization: Parametrization::Product,
            init: Init::PesmeFlammarion,
            tol: 1e-10,
            h_max: 0.05,
            max_steps: 200_000,
        }
    }
}

/// A validated mirror-coordinate integrator.
///
/// # Example
/// ```
/// use dln_lasso::flow::{FlowConfig, MirrorFlow};
/// use dln_lasso::Problem;
/// use faer::Mat;
///
/// let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0])?;
/// let flow = MirrorFlow::new(FlowConfig { log_inv_eps: 200.0, ..FlowConfig::default() })?;
/// let tr = flow.run(&p, &[3.0])?;
/// // Coordinates activate near s = 1/3, 1/2, 1, the inverse lasso knots.
/// let first: Vec<f64> = tr.activations.iter().map(|a| a.s).collect();
/// assert!((first[0] - 1.0 / 3.0).abs() < 0.01 && (first[2] - 1.0).abs() < 0.01);
/// # Ok::<(), dln_lasso::DlnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MirrorFlow {
    config: FlowConfig,
}

/// A crossing of `|sigma_i|` (of `sigma_i` for `u ⊙ u`) through the activation threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    /// Coordinate.
    pub coord: usize,
    /// Rescaled time of the crossing (linear interpolation within the step).
    pub s: f64,
    /// Sign of `sigma_i` at the crossing: the sign the coordinate takes.
    pub sign: f64,
    /// `true` when `|sigma_i|` rises through the threshold, `false` when it falls back.
    pub entering: bool,
}

/// Integrator statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FlowStats {
    /// Accepted steps.
    pub accepted: usize,
    /// Rejected steps (error too large or Newton failure).
    pub rejected: usize,
    /// Newton iterations over all stage solves.
    pub newton_iters: usize,
}

/// The flow sampled at the requested rescaled times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowTrajectory {
    /// Rescaled times `s` (the requested ones, in increasing order).
    pub s: Vec<f64>,
    /// Mirror variable at each time.
    pub sigma: Vec<Vec<f64>>,
    /// Predictor `x` at each time.
    pub x: Vec<Vec<f64>>,
    /// Time average `xbar(s) = (1/s) int_0^s x` at each time (`x(0)` at `s = 0`).
    pub xbar: Vec<Vec<f64>>,
    /// Threshold crossings, in time order.
    pub activations: Vec<Activation>,
    /// Statistics.
    pub stats: FlowStats,
}

// Radau IIA, three stages (Hairer & Wanner, Table IV.5.6).
const SQ6: f64 = 2.449_489_742_783_178;
const C: [f64; 3] = [(4.0 - SQ6) / 10.0, (4.0 + SQ6) / 10.0, 1.0];
const A: [[f64; 3]; 3] = [
    [(88.0 - 7.0 * SQ6) / 360.0, (296.0 - 169.0 * SQ6) / 1800.0, (-2.0 + 3.0 * SQ6) / 225.0],
    [(296.0 + 169.0 * SQ6) / 1800.0, (88.0 + 7.0 * SQ6) / 360.0, (-2.0 - 3.0 * SQ6) / 225.0],
    [(16.0 - SQ6) / 36.0, (16.0 + SQ6) / 36.0, 1.0 / 9.0],
];

struct Step {
    sigma: Vec<f64>,
    w: Vec<f64>,
    newton: usize,
}

impl MirrorFlow {
    /// Validates a configuration.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] naming the first invalid field.
    pub fn new(config: FlowConfig) -> Result<Self> {
        positive("log_inv_eps", config.log_inv_eps)?;
        positive("tol", config.tol)?;
        if config.tol >= 1.0 {
            return Err(DlnError::invalid("tol", config.tol, "a number in (0, 1)"));
        }
        positive("h_max", config.h_max)?;
        if config.max_steps == 0 {
            return Err(DlnError::invalid("max_steps", 0, "at least 1"));
        }
        if let Init::Custom { beta, gamma } = &config.init
            && let Some(v) = beta.iter().chain(gamma).find(|v| !v.is_finite())
        {
            return Err(DlnError::invalid("init", v, "finite shapes"));
        }
        Ok(Self { config })
    }

    /// The configuration.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// The mirror map of this network on `problem`.
    ///
    /// # Panics
    /// If a `Custom` initialisation does not match the problem's dimension.
    #[track_caller]
    pub fn mirror_map(&self, problem: &Problem) -> MirrorMap {
        MirrorMap::new(
            self.config.parametrization,
            &self.config.init,
            self.config.log_inv_eps,
            problem.dim(),
        )
    }

    /// Integrates from `s = 0` and samples at `times` (non-negative, sorted increasingly).
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] if `times` is not sorted or has a negative or non-finite
    /// entry; [`DlnError::MaxStepsExceeded`], [`DlnError::StepSizeUnderflow`] or
    /// [`DlnError::NonFinite`] (with the rescaled time reached) if the integration fails.
    ///
    /// # Panics
    /// If a `Custom` initialisation does not match the problem's dimension.
    #[track_caller]
    pub fn run(&self, problem: &Problem, times: &[f64]) -> Result<FlowTrajectory> {
        if let Some(t) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(DlnError::invalid("times", t, "finite, non-negative rescaled times"));
        }
        if times.windows(2).any(|w| w[1] < w[0]) {
            return Err(DlnError::invalid("times", "unsorted", "sorted increasingly"));
        }
        let map = self.mirror_map(problem);
        let cfg = &self.config;
        let p = problem.dim();
        let threshold = cfg.parametrization.threshold();
        let mut sigma = vec![0.0; p];
        let mut w = vec![0.0; p];
        let mut s = 0.0;
        let mut h = cfg.h_max.min(1e-3);
        let mut out = FlowTrajectory {
            s: vec![],
            sigma: vec![],
            x: vec![],
            xbar: vec![],
            activations: vec![],
            stats: FlowStats::default(),
        };
        let mut steps = 0;
        for &target in times {
            while s < target {
                if steps >= cfg.max_steps {
                    return Err(DlnError::MaxStepsExceeded { max_steps: cfg.max_steps, time: s });
                }
                steps += 1;
                // The cap is relative: late in the path the dynamics are slow on the scale of s.
                let hs = h.min(target - s).min(cfg.h_max * s.max(1.0));
                if hs < 1e-14 * s.max(1.0) && target - s > hs {
                    return Err(DlnError::StepSizeUnderflow { step_size: hs, time: s });
                }
                // One full step and two half steps.
                let full = self.radau_step(problem, &map, &sigma, &w, hs);
                let half1 = full
                    .as_ref()
                    .and_then(|_| self.radau_step(problem, &map, &sigma, &w, 0.5 * hs));
                let half2 = half1
                    .as_ref()
                    .and_then(|a| self.radau_step(problem, &map, &a.sigma, &a.w, 0.5 * hs));
                let (Some(f), Some(h1), Some(h2)) = (full, half1, half2) else {
                    out.stats.rejected += 1;
                    h = 0.25 * hs;
                    continue;
                };
                out.stats.newton_iters += f.newton + h1.newton + h2.newton;
                let l = cfg.log_inv_eps;
                let err = (0..p).fold(0.0_f64, |m, i| {
                    let es = l * (f.sigma[i] - h2.sigma[i]).abs();
                    let ew = (f.w[i] - h2.w[i]).abs() / (1.0 + h2.w[i].abs());
                    m.max(es).max(ew)
                }) / 31.0;
                if !err.is_finite() {
                    out.stats.rejected += 1;
                    h = 0.25 * hs;
                    continue;
                }
                let factor = (0.9 * (cfg.tol / err.max(1e-300)).powf(1.0 / 6.0)).clamp(0.2, 4.0);
                if err > cfg.tol {
                    out.stats.rejected += 1;
                    h = hs * factor;
                    continue;
                }
                // Accept the more accurate two-half-step result.
                let s_new = s + hs;
                for (i, (old, new)) in sigma.iter().zip(&h2.sigma).enumerate() {
                    let (a, b) = (self.level(*old), self.level(*new));
                    if (a < threshold) != (b < threshold) {
                        let frac = self.crossing(problem, &map, (&sigma, &w), hs, i, (a, b));
                        let sign = if b >= threshold { new.signum() } else { old.signum() };
                        out.activations.push(Activation {
                            coord: i,
                            s: s + frac * hs,
                            sign,
                            entering: b >= threshold,
                        });
                    }
                }
                sigma = h2.sigma;
                w = h2.w;
                s = if target - s_new < 1e-12 * target.max(1.0) { target } else { s_new };
                out.stats.accepted += 1;
                // A step shortened to land on an output time does not shrink the next one.
                h = if hs < h { h.max(hs * factor) } else { hs * factor };
                if sigma.iter().chain(&w).any(|v| !v.is_finite()) {
                    return Err(DlnError::NonFinite { step: out.stats.accepted, time: s });
                }
            }
            let x = map.x_of(&sigma);
            let xbar =
                if target > 0.0 { w.iter().map(|v| v / target).collect() } else { x.clone() };
            out.s.push(target);
            out.sigma.push(sigma.clone());
            out.x.push(x);
            out.xbar.push(xbar);
        }
        out.activations.sort_by(|a, b| a.s.total_cmp(&b.s));
        log::debug!("mirror flow: {:?}", out.stats);
        Ok(out)
    }

    /// The quantity compared with the activation threshold: `|sigma_i|` for `u ⊙ v`, `sigma_i`
    /// for `u ⊙ u` (whose coordinates are non-negative and grow only for positive `sigma_i`).
    fn level(&self, sigma: f64) -> f64 {
        match self.config.parametrization {
            Parametrization::Product => sigma.abs(),
            Parametrization::Square => sigma,
        }
    }

    /// Fraction of the step `h` at which `|sigma_i|` crosses the threshold: bisection on
    /// single Radau steps of the fractional size (each as accurate as the step itself), started
    /// from the linear interpolant's bracket.
    fn crossing(
        &self,
        problem: &Problem,
        map: &MirrorMap,
        start: (&[f64], &[f64]),
        h: f64,
        i: usize,
        ends: (f64, f64),
    ) -> f64 {
        let threshold = self.config.parametrization.threshold();
        let rising = ends.1 >= threshold;
        let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
        let linear = (threshold - ends.0) / (ends.1 - ends.0);
        for it in 0..60 {
            let mid = if it == 0 { linear.clamp(1e-3, 1.0 - 1e-3) } else { 0.5 * (lo + hi) };
            let Some(st) = self.radau_step(problem, map, start.0, start.1, mid * h) else {
                return linear;
            };
            let above = self.level(st.sigma[i]) >= threshold;
            if above == rising {
                hi = mid;
            } else {
                lo = mid;
            }
            if (hi - lo) * h < 1e-15 * (1.0 + h) {
                break;
            }
        }
        0.5 * (lo + hi)
    }

    /// One Radau IIA step of size `h` from `(sigma, w)`; `None` if Newton fails.
    fn radau_step(
        &self,
        problem: &Problem,
        map: &MirrorMap,
        sigma: &[f64],
        w: &[f64],
        h: f64,
    ) -> Option<Step> {
        let p = sigma.len();
        let l = self.config.log_inv_eps;
        let m = problem.gram();
        // Stage increments z[k][i], predicted by the explicit Euler slope.
        let x0 = map.x_of(sigma);
        let f0: Vec<f64> = problem.gradient(&x0).iter().map(|g| -g).collect();
        let mut z: Vec<Vec<f64>> =
            (0..3).map(|k| f0.iter().map(|f| C[k] * h * f).collect()).collect();
        let mut xs = vec![vec![0.0; p]; 3];
        let mut ds = vec![vec![0.0; p]; 3];
        let mut newton = 0;
        let mut converged = false;
        // Below this, an increment of L sigma is at the rounding level of sigma.
        let newton_tol = (1e-2 * self.config.tol).max(16.0 * l * f64::EPSILON);
        for _ in 0..12 {
            newton += 1;
            for k in 0..3 {
                for i in 0..p {
                    let (x, d) = map.eval(i, sigma[i] + z[k][i]);
                    xs[k][i] = x;
                    ds[k][i] = d;
                }
            }
            let fs: Vec<Vec<f64>> =
                xs.iter().map(|x| problem.gradient(x).iter().map(|g| -g).collect()).collect();
            // Residual G_k = z_k - h sum_j a_kj f_j.
            let mut rhs = Mat::<f64>::zeros(3 * p, 1);
            for k in 0..3 {
                for i in 0..p {
                    let v = z[k][i] - h * (0..3).map(|j| A[k][j] * fs[j][i]).sum::<f64>();
                    if !v.is_finite() {
                        return None;
                    }
                    rhs[(k * p + i, 0)] = -v;
                }
            }
            // Jacobian I + h (A ⊗ I) blockdiag(M D_j).
            let jac = Mat::<f64>::from_fn(3 * p, 3 * p, |row, col| {
                let (k, i) = (row / p, row % p);
                let (j, q) = (col / p, col % p);
                let id = if row == col { 1.0 } else { 0.0 };
                id + h * A[k][j] * m[(i, q)] * ds[j][q]
            });
            let delta = jac.partial_piv_lu().solve(&rhs);
            let mut dmax = 0.0_f64;
            for k in 0..3 {
                for i in 0..p {
                    let d = delta[(k * p + i, 0)];
                    if !d.is_finite() {
                        return None;
                    }
                    z[k][i] += d;
                    dmax = dmax.max(l * d.abs());
                }
            }
            if dmax < newton_tol {
                converged = true;
                break;
            }
        }
        if !converged {
            return None;
        }
        let sigma_new: Vec<f64> = (0..p).map(|i| sigma[i] + z[2][i]).collect();
        for k in 0..3 {
            for i in 0..p {
                xs[k][i] = map.eval(i, sigma[i] + z[k][i]).0;
            }
        }
        // Stiffly accurate: the quadrature weights are the last row of A.
        let w_new: Vec<f64> =
            (0..p).map(|i| w[i] + h * (0..3).map(|k| A[2][k] * xs[k][i]).sum::<f64>()).collect();
        Some(Step { sigma: sigma_new, w: w_new, newton })
    }
}
