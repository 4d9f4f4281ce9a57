//! The saddle-to-saddle limit of diagonal-network gradient flow as `eps -> 0` (Pesme &
//! Flammarion 2023, Algorithm 1), and the sign-constrained least squares it needs.
//!
//! In the rescaled time `s = 2t / log(1/eps)` (their accelerated time `t / log(1/alpha)` with
//! `alpha^2 = eps` and `u(0) = sqrt(2) alpha`, `v(0) = 0`), the flow converges to a piecewise
//! constant process that jumps between saddles. With `sigma in [-1, 1]^p` the integrated
//! negative gradient:
//!
//! ```text
//! s <- 0, x <- 0, sigma <- 0
//! while grad l(x) != 0:
//!     g <- grad l(x)
//!     tau_i <- smallest tau > 0 with |sigma_i - tau g_i| = 1     (for g_i != 0)
//!     tau <- min_i tau_i;  s <- s + tau;  sigma <- sigma - tau g
//!     x <- argmin l(x') s.t. x'_i >= 0 if sigma_i = 1, x'_i <= 0 if sigma_i = -1,
//!                            x'_i = 0 if |sigma_i| < 1
//! ```
//!
//! A coordinate whose constrained optimum is `0` with an inward gradient leaves the boundary
//! and becomes inactive. While the visited saddles keep the signs of the lasso's active sets
//! the jump times are the inverse lasso knots `1/lambda_k`; a coordinate that the lasso path
//! would move through zero is instead switched off, and re-enters only after its integrated
//! gradient has crossed the whole interval (`|Delta sigma_i| = 2`).
//!
//! # References
//! - S. Pesme, N. Flammarion, *Saddle-to-saddle dynamics in diagonal linear networks*,
//!   NeurIPS 2023, Algorithm 1 and Theorem 2.
//! - C. L. Lawson, R. J. Hanson, *Solving least squares problems*, SIAM 1995, ch. 23 (NNLS).

use faer::prelude::Solve;
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

use crate::error::{DlnError, Result, positive};
use crate::problem::Problem;

/// Minimises `l(x)` subject to `x_i = 0` where `signs[i] = 0` and `signs[i] x_i >= 0`
/// elsewhere (`signs` in `{-1, 0, 1}`), by the Lawson–Hanson active-set method in Gram form.
/// Returns `x` and the number of inner iterations.
///
/// `tol` is the threshold on the constrained negative gradient below which a coordinate is
/// considered optimal at zero. Variables whose column is numerically dependent on the free
/// ones are left at zero (the minimiser is then not unique).
///
/// # Errors
/// [`DlnError::NotConverged`] if the active-set loop exceeds `50 p` iterations.
///
/// # Panics
/// If `signs.len() != p`.
#[track_caller]
pub fn sign_constrained_ls(
    problem: &Problem,
    signs: &[f64],
    tol: f64,
) -> Result<(Vec<f64>, usize)> {
    let p = problem.dim();
    assert_eq!(signs.len(), p, "signs of length {} for dimension {p}", signs.len());
    let m = problem.gram();
    let r = problem.corr();
    // z_i = signs_i x_i >= 0; the problem in z has Gram D M D and correlations D r.
    let mut z = vec![0.0; p];
    let mut free: Vec<usize> = Vec::new();
    let mut excluded = vec![false; p];
    let neg_grad = |z: &[f64], j: usize| -> f64 {
        let mz: f64 = (0..p).map(|k| m[(j, k)] * signs[k] * z[k]).sum();
        signs[j] * (r[j] - mz)
    };
    let solve_free = |free: &[usize]| -> Option<Vec<f64>> {
        let k = free.len();
        let g = Mat::<f64>::from_fn(k, k, |a, b| {
            signs[free[a]] * signs[free[b]] * m[(free[a], free[b])]
        });
        let rhs = Mat::<f64>::from_fn(k, 1, |a, _| signs[free[a]] * r[free[a]]);
        let llt = g.llt(Side::Lower).ok()?;
        let sol = llt.solve(&rhs);
        let v: Vec<f64> = (0..k).map(|a| sol[(a, 0)]).collect();
        v.iter().all(|x| x.is_finite()).then_some(v)
    };
    let mut iters = 0;
    loop {
        // Outer: the most promising coordinate at zero.
        let cand = (0..p)
            .filter(|&j| signs[j] != 0.0 && !free.contains(&j) && !excluded[j])
            .map(|j| (j, neg_grad(&z, j)))
            .filter(|&(_, w)| w > tol)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((j, _)) = cand else { break };
        free.push(j);
        loop {
            iters += 1;
            if iters > 50 * p.max(1) {
                let res = (0..p).map(|j| neg_grad(&z, j)).fold(0.0_f64, |a, b| a.max(b));
                return Err(DlnError::NotConverged { iters, residual: res });
            }
            let Some(zeta) = solve_free(&free) else {
                // Dependent column: drop the newest free variable for this solve.
                let j = free.pop().expect("free set is not empty");
                excluded[j] = true;
                break;
            };
            if zeta.iter().all(|&v| v > 0.0) {
                for (a, &j) in free.iter().enumerate() {
                    z[j] = zeta[a];
                }
                break;
            }
            // Step towards zeta until the first free variable hits zero.
            let mut alpha = 1.0_f64;
            for (a, &j) in free.iter().enumerate() {
                if zeta[a] <= 0.0 {
                    alpha = alpha.min(z[j] / (z[j] - zeta[a]));
                }
            }
            for (a, &j) in free.iter().enumerate() {
                z[j] += alpha * (zeta[a] - z[j]);
            }
            free.retain(|&j| z[j] > 1e-300_f64.max(0.0) && z[j] > 0.0);
            for (j, zj) in z.iter_mut().enumerate() {
                if !free.contains(&j) {
                    *zj = 0.0;
                }
            }
        }
    }
    // `+ 0.0` turns the -0.0 of a negative sign times a zero into +0.0.
    Ok(((0..p).map(|j| signs[j] * z[j] + 0.0).collect(), iters))
}

/// Configuration of [`SaddleToSaddle`].
///
/// | field | meaning | default | valid range |
/// |---|---|---|---|
/// | `tol` | gradient entries below `tol * abs(r)_inf` count as zero | `1e-10` | `(0, 1)` |
/// | `max_jumps` | budget of saddles | 1000 | `>= 1` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SaddleConfig {
    /// Relative tolerance on the gradient.
    pub tol: f64,
    /// Maximal number of jumps.
    pub max_jumps: usize,
}

impl Default for SaddleConfig {
    fn default() -> Self {
        Self { tol: 1e-10, max_jumps: 1000 }
    }
}

/// The saddle-to-saddle algorithm.
///
/// # Example
/// ```
/// use dln_lasso::saddle::{SaddleConfig, SaddleToSaddle};
/// use dln_lasso::Problem;
/// use faer::Mat;
///
/// let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0])?;
/// let seq = SaddleToSaddle::new(SaddleConfig::default())?.run(&p)?;
/// assert_eq!(seq.jump_times().len(), 3);
/// assert!((seq.jump_times()[0] - 1.0 / 3.0).abs() < 1e-15);
/// # Ok::<(), dln_lasso::DlnError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SaddleToSaddle {
    config: SaddleConfig,
}

/// One visited saddle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saddle {
    /// Rescaled time at which the process jumps to this saddle.
    pub s: f64,
    /// The saddle (limit predictor until the next jump).
    pub x: Vec<f64>,
    /// Mirror variable at the jump.
    pub sigma: Vec<f64>,
    /// Coordinate whose `|sigma_i|` reached 1 and triggered the jump.
    pub trigger: usize,
}

/// The sequence of saddles, starting with `x = 0` at `s = 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaddleSequence {
    /// Visited saddles in time order; the first is the origin at `s = 0`.
    pub saddles: Vec<Saddle>,
    /// `true` when the last saddle is a minimiser of the loss.
    pub converged: bool,
}

impl SaddleSequence {
    /// The jump times (all saddles but the origin).
    pub fn jump_times(&self) -> Vec<f64> {
        self.saddles[1..].iter().map(|s| s.s).collect()
    }

    /// The limit predictor at rescaled time `s` (piecewise constant, right-continuous).
    ///
    /// # Panics
    /// If `s` is NaN (a time must be ordered against the jump times).
    #[track_caller]
    pub fn at(&self, s: f64) -> &[f64] {
        assert!(!s.is_nan(), "SaddleSequence::at: the time s is NaN");
        let k = self.saddles.iter().rposition(|q| q.s <= s).unwrap_or(0);
        &self.saddles[k].x
    }
}

impl SaddleToSaddle {
    /// Validates a configuration.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] naming the first invalid field.
    pub fn new(config: SaddleConfig) -> Result<Self> {
        positive("tol", config.tol)?;
        if config.tol >= 1.0 {
            return Err(DlnError::invalid("tol", config.tol, "a number in (0, 1)"));
        }
        if config.max_jumps == 0 {
            return Err(DlnError::invalid("max_jumps", 0, "at least 1"));
        }
        Ok(Self { config })
    }

    /// Runs the algorithm on `problem` until a minimiser of `l` is reached.
    ///
    /// # Errors
    /// [`DlnError::NotConverged`] if `max_jumps` saddles do not reach a minimiser; errors of
    /// [`sign_constrained_ls`].
    pub fn run(&self, problem: &Problem) -> Result<SaddleSequence> {
        let p = problem.dim();
        let scale = problem.lambda_max().max(f64::MIN_POSITIVE);
        let gtol = self.config.tol * scale;
        let mut x = vec![0.0; p];
        let mut sigma = vec![0.0; p];
        let mut s = 0.0;
        let mut seq = SaddleSequence {
            saddles: vec![Saddle { s, x: x.clone(), sigma: sigma.clone(), trigger: usize::MAX }],
            converged: false,
        };
        for _ in 0..self.config.max_jumps {
            let g = problem.gradient(&x);
            // Time for each coordinate to reach the boundary in its direction of motion.
            let hit = |i: usize| -> Option<f64> {
                if g[i] < -gtol {
                    Some(((1.0 - sigma[i]) / -g[i]).max(0.0))
                } else if g[i] > gtol {
                    Some(((1.0 + sigma[i]) / g[i]).max(0.0))
                } else {
                    None
                }
            };
            let Some((i0, tau)) =
                (0..p).filter_map(|i| hit(i).map(|t| (i, t))).min_by(|a, b| a.1.total_cmp(&b.1))
            else {
                seq.converged = true;
                return Ok(seq);
            };
            s += tau;
            // Coordinates that reach the boundary now (ties included) are snapped onto it.
            let snap: Vec<bool> = (0..p)
                .map(|i| hit(i).is_some_and(|t| (t - tau).abs() <= 1e-12 * tau.max(1e-300)))
                .collect();
            for i in 0..p {
                if g[i].abs() > gtol {
                    sigma[i] = (sigma[i] - tau * g[i]).clamp(-1.0, 1.0);
                }
                if snap[i] {
                    sigma[i] = -g[i].signum();
                }
            }
            sigma[i0] = -g[i0].signum();
            let signs: Vec<f64> =
                sigma.iter().map(|&v| if v.abs() >= 1.0 { v.signum() } else { 0.0 }).collect();
            x = sign_constrained_ls(problem, &signs, gtol)?.0;
            seq.saddles.push(Saddle { s, x: x.clone(), sigma: sigma.clone(), trigger: i0 });
        }
        let res = problem.gradient(&x).iter().fold(0.0_f64, |a, b| a.max(b.abs()));
        Err(DlnError::NotConverged { iters: self.config.max_jumps, residual: res })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_against_enumeration() {
        // Two coordinates, both constrained to be >= 0: the minimiser of a 2 x 2 problem is one
        // of the four faces; check the KKT conditions instead of enumerating.
        let m = megavolt_core::linalg::mat_from_rows(&[&[2.0, 1.5], &[1.5, 2.0]]);
        let p = Problem::from_gram(m, vec![1.0, -0.5]).unwrap();
        let (x, _) = sign_constrained_ls(&p, &[1.0, 1.0], 1e-14).unwrap();
        // Unconstrained optimum has x_1 < 0, so x_1 = 0 and x_0 = 1/2.
        assert!((x[0] - 0.5).abs() < 1e-15 && x[1].abs() < 1e-300);
        let c = p.correlations(&x);
        assert!(c[0].abs() < 1e-15 && c[1] <= 0.0);
    }

    #[test]
    fn orthogonal_design_saddles() {
        let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap();
        let seq = SaddleToSaddle::new(SaddleConfig::default()).unwrap().run(&p).unwrap();
        assert!(seq.converged);
        let t = seq.jump_times();
        let want = [1.0 / 3.0, 0.5, 1.0];
        for (a, b) in t.iter().zip(want) {
            assert!((a - b).abs() < 4.0 * f64::EPSILON, "{a} vs {b}");
        }
        let saddles = [[3.0, 0.0, 0.0], [3.0, 2.0, 0.0], [3.0, 2.0, -1.0]];
        for (q, want) in seq.saddles[1..].iter().zip(saddles) {
            for (a, b) in q.x.iter().zip(want) {
                assert!((a - b).abs() < 1e-14);
            }
        }
    }
}
