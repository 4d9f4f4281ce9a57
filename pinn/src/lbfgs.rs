//! Limited-memory BFGS with a strong Wolfe line search.

use serde::{Deserialize, Serialize};

use crate::error::{PinnError, Result, positive};

/// Settings of [`minimize`].
///
/// | field | default | meaning | valid range |
/// |---|---|---|---|
/// | `memory` | 10 | number of stored correction pairs | `>= 1` |
/// | `max_iters` | 500 | iteration cap | `>= 1` |
/// | `grad_tol` | 1e-10 | stop when `max_i |g_i| <= grad_tol` | `> 0` |
/// | `f_tol` | 1e-15 | stop when an iteration decreases `f` by less than `f_tol max(|f|, 1)` | `> 0` |
/// | `c1`, `c2` | 1e-4, 0.9 | sufficient-decrease and curvature constants | `0 < c1 < c2 < 1` |
/// | `max_line_search` | 30 | function evaluations per line search | `>= 1` |
///
/// # Errors
/// [`LbfgsConfig::validate`] returns [`PinnError::InvalidParameter`] for a value outside its
/// range.
///
/// # Example
/// ```
/// use pinn::lbfgs::{LbfgsConfig, minimize};
/// // Minimise (x - 3)^2 + 2 (y + 1)^2.
/// let report = minimize(&LbfgsConfig::default(), &[0.0, 0.0], |x, g| {
///     g[0] = 2.0 * (x[0] - 3.0);
///     g[1] = 4.0 * (x[1] + 1.0);
///     (x[0] - 3.0).powi(2) + 2.0 * (x[1] + 1.0).powi(2)
/// })?;
/// assert!((report.x[0] - 3.0).abs() < 1e-8 && (report.x[1] + 1.0).abs() < 1e-8);
/// # Ok::<(), pinn::PinnError>(())
/// ```
///
/// # References
/// J. Nocedal, S. J. Wright, *Numerical Optimization*, 2nd ed. (2006), Algorithm 7.4 (two-loop
/// recursion), Algorithms 3.5 and 3.6 (strong Wolfe line search with zoom).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LbfgsConfig {
    /// Number of stored correction pairs.
    pub memory: usize,
    /// Iteration cap.
    pub max_iters: usize,
    /// Gradient tolerance (infinity norm).
    pub grad_tol: f64,
    /// Relative function-decrease tolerance.
    pub f_tol: f64,
    /// Sufficient-decrease constant.
    pub c1: f64,
    /// Curvature constant.
    pub c2: f64,
    /// Evaluations per line search.
    pub max_line_search: usize,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        Self {
            memory: 10,
            max_iters: 500,
            grad_tol: 1e-10,
            f_tol: 1e-15,
            c1: 1e-4,
            c2: 0.9,
            max_line_search: 30,
        }
    }
}

impl LbfgsConfig {
    /// Checks every field against its range.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] naming the first offending field.
    pub fn validate(&self) -> Result<()> {
        if self.memory == 0 {
            return Err(PinnError::invalid("memory", self.memory, ">= 1"));
        }
        if self.max_iters == 0 {
            return Err(PinnError::invalid("max_iters", self.max_iters, ">= 1"));
        }
        if self.max_line_search == 0 {
            return Err(PinnError::invalid("max_line_search", self.max_line_search, ">= 1"));
        }
        positive("grad_tol", self.grad_tol)?;
        positive("f_tol", self.f_tol)?;
        if !(self.c1 > 0.0 && self.c1 < self.c2 && self.c2 < 1.0) {
            return Err(PinnError::invalid(
                "c1, c2",
                format!("{}, {}", self.c1, self.c2),
                "0 < c1 < c2 < 1",
            ));
        }
        Ok(())
    }
}

/// Why [`minimize`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// The gradient fell below `grad_tol`.
    Gradient,
    /// An iteration decreased `f` by less than `f_tol` relative.
    FunctionDecrease,
    /// `max_iters` iterations were taken.
    MaxIters,
    /// The line search found no acceptable step along a descent direction (usually: `f` is at
    /// its floating-point floor).
    LineSearch,
}

/// The result of [`minimize`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LbfgsReport {
    /// Final point.
    pub x: Vec<f64>,
    /// Final value.
    pub f: f64,
    /// Infinity norm of the final gradient.
    pub grad_norm: f64,
    /// Iterations taken.
    pub iters: usize,
    /// Function and gradient evaluations.
    pub evaluations: usize,
    /// Why the run stopped.
    pub stop: StopReason,
    /// `f` after each iteration (index 0: the starting value).
    pub history: Vec<f64>,
}

/// Minimises `f` from `x0`; `f(x, g)` returns the value and writes the gradient into `g`.
///
/// # Errors
/// [`PinnError::InvalidParameter`] for an invalid configuration; [`PinnError::NonFinite`] if
/// the value or gradient at `x0` is not finite (later non-finite trial points only shorten the
/// step).
pub fn minimize<F>(config: &LbfgsConfig, x0: &[f64], mut f: F) -> Result<LbfgsReport>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    config.validate()?;
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    let mut evaluations = 1;
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Err(PinnError::NonFinite { step: 0, time: 0.0 });
    }
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut history = vec![fx];
    let mut stop = StopReason::MaxIters;
    let mut iters = 0;
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    while iters < config.max_iters {
        if inf_norm(&g) <= config.grad_tol {
            stop = StopReason::Gradient;
            break;
        }
        let mut p = two_loop(&g, &s_hist, &y_hist);
        let mut slope = dot(&g, &p);
        if slope >= 0.0 || !slope.is_finite() {
            s_hist.clear();
            y_hist.clear();
            p = g.iter().map(|v| -v).collect();
            slope = -dot(&g, &g);
        }
        let alpha0 = if s_hist.is_empty() { (1.0 / inf_norm(&g)).min(1.0) } else { 1.0 };
        let mut phi = |alpha: f64, xn: &mut [f64], gn: &mut [f64]| {
            for i in 0..n {
                xn[i] = x[i] + alpha * p[i];
            }
            evaluations += 1;
            let v = f(xn, gn);
            if v.is_finite() && gn.iter().all(|t| t.is_finite()) {
                (v, dot(gn, &p))
            } else {
                (f64::INFINITY, f64::NAN)
            }
        };
        let Some(f_new) = wolfe_search(config, fx, slope, alpha0, &mut phi, &mut x_new, &mut g_new)
        else {
            stop = StopReason::LineSearch;
            break;
        };
        iters += 1;
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        if dot(&s, &y) > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() {
            if s_hist.len() == config.memory {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        let decrease = fx - f_new;
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        fx = f_new;
        history.push(fx);
        if decrease <= config.f_tol * fx.abs().max(1.0) {
            stop = StopReason::FunctionDecrease;
            break;
        }
    }
    log::debug!("L-BFGS: {iters} iterations, {evaluations} evaluations, f = {fx:e}, stop {stop:?}");
    Ok(LbfgsReport { grad_norm: inf_norm(&g), x, f: fx, iters, evaluations, stop, history })
}

/// Strong Wolfe line search; on success `x_new`, `g_new` hold the accepted point and its value
/// is returned.
fn wolfe_search<P>(
    cfg: &LbfgsConfig,
    f0: f64,
    slope0: f64,
    alpha0: f64,
    phi: &mut P,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> Option<f64>
where
    P: FnMut(f64, &mut [f64], &mut [f64]) -> (f64, f64),
{
    let (mut a_prev, mut f_prev, mut d_prev) = (0.0, f0, slope0);
    let mut alpha = alpha0;
    let mut evals = 0;
    while evals < cfg.max_line_search {
        let (fa, da) = phi(alpha, x_new, g_new);
        evals += 1;
        if fa > f0 + cfg.c1 * alpha * slope0 || (evals > 1 && fa >= f_prev) {
            return zoom(
                cfg,
                f0,
                slope0,
                (a_prev, f_prev, d_prev),
                (alpha, fa),
                phi,
                x_new,
                g_new,
                evals,
            );
        }
        if da.abs() <= -cfg.c2 * slope0 {
            return Some(fa);
        }
        if da >= 0.0 {
            return zoom(
                cfg,
                f0,
                slope0,
                (alpha, fa, da),
                (a_prev, f_prev),
                phi,
                x_new,
                g_new,
                evals,
            );
        }
        (a_prev, f_prev, d_prev) = (alpha, fa, da);
        alpha *= 2.0;
    }
    None
}

/// The zoom phase between a low end (value and slope known) and a high end.
#[allow(clippy::too_many_arguments)]
fn zoom<P>(
    cfg: &LbfgsConfig,
    f0: f64,
    slope0: f64,
    lo: (f64, f64, f64),
    hi: (f64, f64),
    phi: &mut P,
    x_new: &mut [f64],
    g_new: &mut [f64],
    mut evals: usize,
) -> Option<f64>
where
    P: FnMut(f64, &mut [f64], &mut [f64]) -> (f64, f64),
{
    let (mut a_lo, mut f_lo, mut d_lo) = lo;
    let (mut a_hi, mut f_hi) = hi;
    while evals < cfg.max_line_search {
        // Minimiser of the quadratic through (a_lo, f_lo, d_lo) and (a_hi, f_hi), safeguarded
        // to the middle 80% of the bracket; bisection when the quadratic is not convex.
        let width = a_hi - a_lo;
        let curv = (f_hi - f_lo - d_lo * width) / (width * width);
        let mut alpha = if curv > 0.0 && f_hi.is_finite() {
            a_lo - d_lo / (2.0 * curv)
        } else {
            a_lo + 0.5 * width
        };
        let (lo_b, hi_b) = (a_lo.min(a_hi), a_lo.max(a_hi));
        let margin = 0.1 * (hi_b - lo_b);
        alpha = alpha.clamp(lo_b + margin, hi_b - margin);
        let (fa, da) = phi(alpha, x_new, g_new);
        evals += 1;
        if fa > f0 + cfg.c1 * alpha * slope0 || fa >= f_lo {
            (a_hi, f_hi) = (alpha, fa);
        } else {
            if da.abs() <= -cfg.c2 * slope0 {
                return Some(fa);
            }
            if da * (a_hi - a_lo) >= 0.0 {
                (a_hi, f_hi) = (a_lo, f_lo);
            }
            (a_lo, f_lo, d_lo) = (alpha, fa, da);
        }
        if (a_hi - a_lo).abs() < 1e-16 * a_lo.abs().max(1e-300) {
            break;
        }
    }
    // Accept the best sufficient-decrease point found, if it improves on the start.
    if a_lo > 0.0 && f_lo < f0 {
        let (fa, _) = phi(a_lo, x_new, g_new);
        return Some(fa);
    }
    None
}

fn two_loop(g: &[f64], s_hist: &[Vec<f64>], y_hist: &[Vec<f64>]) -> Vec<f64> {
    let mut q: Vec<f64> = g.to_vec();
    let k = s_hist.len();
    let mut alphas = vec![0.0; k];
    for i in (0..k).rev() {
        let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
        alphas[i] = rho * dot(&s_hist[i], &q);
        q.iter_mut().zip(&y_hist[i]).for_each(|(qv, yv)| *qv -= alphas[i] * yv);
    }
    if k > 0 {
        let gamma = dot(&s_hist[k - 1], &y_hist[k - 1]) / dot(&y_hist[k - 1], &y_hist[k - 1]);
        q.iter_mut().for_each(|v| *v *= gamma);
    }
    for i in 0..k {
        let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
        let beta = rho * dot(&y_hist[i], &q);
        q.iter_mut().zip(&s_hist[i]).for_each(|(qv, sv)| *qv += (alphas[i] - beta) * sv);
    }
    q.iter_mut().for_each(|v| *v = -*v);
    q
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn inf_norm(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rosenbrock(x: &[f64], g: &mut [f64]) -> f64 {
        let n = x.len();
        let mut f = 0.0;
        g.fill(0.0);
        for i in 0..n - 1 {
            let (a, b) = (1.0 - x[i], x[i + 1] - x[i] * x[i]);
            f += a * a + 100.0 * b * b;
            g[i] += -2.0 * a - 400.0 * x[i] * b;
            g[i + 1] += 200.0 * b;
        }
        f
    }

    #[test]
    fn solves_rosenbrock() {
        let x0: Vec<f64> = (0..10).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
        let cfg = LbfgsConfig { max_iters: 1000, ..LbfgsConfig::default() };
        let r = minimize(&cfg, &x0, rosenbrock).unwrap();
        assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-6), "{r:?}");
        // Strong Wolfe steps decrease f monotonically.
        assert!(r.history.windows(2).all(|w| w[1] <= w[0]));
        assert!(r.iters < 200, "{} iterations", r.iters);
    }

    #[test]
    fn rejects_bad_config_and_non_finite_start() {
        let bad = LbfgsConfig { c2: 1e-5, ..LbfgsConfig::default() };
        assert!(minimize(&bad, &[0.0], |_, _| 0.0).is_err());
        let r = minimize(&LbfgsConfig::default(), &[0.0], |_, g| {
            g[0] = f64::NAN;
            0.0
        });
        assert!(matches!(r, Err(PinnError::NonFinite { step: 0, .. })));
    }
}
