//! Exact lasso regularisation path by least angle regression (LARS) with the lasso
//! modification, and plain LAR.
//!
//! On a piece of the path with active set `A` and signs `s_A`,
//!
//! ```text
//! x_A(lambda) = M_AA^{-1} (r_A - lambda s_A),   x_j = 0 for j not in A,
//! ```
//!
//! so that the correlations `c = r - M x` satisfy `c_A = lambda s_A`. The next knot is the
//! largest `lambda' < lambda` at which an inactive correlation reaches `+-lambda'` (entry) or,
//! with the lasso modification, an active coefficient reaches `0` (exit: the variable leaves
//! the active set). Plain LAR ignores exits; its coefficients may then change sign. The knots
//! are in the `lambda` units of the [`Problem`] (`|r|_inf` at the start).
//!
//! Coefficients at every knot are recomputed from the formula above (not accumulated), so the
//! KKT conditions hold at every knot to the accuracy of a Cholesky solve.
//!
//! **Ties** (several events at the same `lambda`) are resolved one event at a time: the
//! extra events occur after zero-length steps and repeat the knot value. **Collinearity**: a
//! variable whose column is (to `collinearity_tol`) in the span of the active columns is not
//! added; the knot is recorded with [`PathEvent::Blocked`] and the variable is retried when the
//! active set changes. The path stays a valid lasso path (its correlation stays at `+-lambda`
//! while blocked), but the lasso solution is then not unique.
//!
//! # References
//! - B. Efron, T. Hastie, I. Johnstone, R. Tibshirani, *Least angle regression*, Ann. Statist.
//!   32(2), 2004, §2 (LARS) and §3.1 (lasso modification).
//! - M. R. Osborne, B. Presnell, B. A. Turlach, *A new approach to variable selection in least
//!   squares problems*, IMA J. Numer. Anal. 20, 2000 (homotopy).
//! - R. Tibshirani, *The lasso problem and uniqueness*, Electron. J. Statist. 7, 2013.

use serde::{Deserialize, Serialize};

use crate::chol::Cholesky;
use crate::design::Design;
use crate::engine::{DesignEngine, Engine, GramEngine};
use crate::error::{DlnError, Result, non_negative, positive};
use crate::problem::Problem;

/// Smallest `1 -+ a_j` for which an inactive correlation is considered to approach the
/// common one (see [`Lars::path`]).
const DENOM_TOL: f64 = 1e-10;

/// Entry events below `LAMBDA_FLOOR * lambda_max` are below the rounding level of the
/// correlations and are not resolved (see [`Lars::path`]).
const LAMBDA_FLOOR: f64 = 1e-12;

/// Which path LARS computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum LarsMethod {
    /// LARS with the lasso modification: the exact lasso path. Default.
    #[default]
    Lasso,
    /// Plain least angle regression (no exits).
    Lar,
}

/// What happens at a knot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum PathEvent {
    /// `var` joins the active set with sign `sign` (of its correlation).
    Enter {
        /// Variable index.
        var: usize,
        /// `+1` or `-1`.
        sign: f64,
    },
    /// `var`'s coefficient reached zero and it leaves the active set (lasso only).
    Leave {
        /// Variable index.
        var: usize,
    },
    /// `var` reached the entry condition but its column is numerically in the span of the
    /// active columns (squared pivot ratio `ratio`): it is not added.
    Blocked {
        /// Variable index.
        var: usize,
        /// Squared pivot ratio of the rejected Cholesky update.
        ratio: f64,
    },
    /// End of the path (`lambda_min` reached, or the iteration budget).
    End,
}

/// Configuration of [`Lars`].
///
/// | field | meaning | default | valid range |
/// |---|---|---|---|
/// | `method` | lasso path or plain LAR | `Lasso` | |
/// | `positive` | non-negative lasso / LAR (entries only with positive correlation) | false | |
/// | `lambda_min` | end of the path | 0 | `>= 0` |
/// | `max_iters` | maximal number of events | 500 | `>= 1` |
/// | `collinearity_tol` | squared pivot ratio below which a column counts as dependent | `1e-10` | `(0, 1)` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LarsConfig {
    /// Lasso path or plain LAR.
    pub method: LarsMethod,
    /// Non-negative coefficients only.
    pub positive: bool,
    /// The path stops at this `lambda`.
    pub lambda_min: f64,
    /// Maximal number of knots after the first.
    pub max_iters: usize,
    /// Relative pivot threshold of the collinearity test.
    pub collinearity_tol: f64,
}

impl Default for LarsConfig {
    fn default() -> Self {
        Self {
            method: LarsMethod::Lasso,
            positive: false,
            lambda_min: 0.0,
            max_iters: 500,
            collinearity_tol: 1e-10,
        }
    }
}

/// A validated LARS solver.
///
/// # Example
/// ```
/// use dln_lasso::{Lars, LarsConfig, Problem};
/// use faer::Mat;
///
/// let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0])?;
/// let path = Lars::new(LarsConfig::default())?.path(&p)?;
/// assert_eq!(path.lambdas(), &[3.0, 2.0, 1.0, 0.0]);
/// assert_eq!(path.entry_order(), vec![0, 1, 2]);
/// # Ok::<(), dln_lasso::DlnError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Lars {
    config: LarsConfig,
}

/// A piecewise-linear regularisation path: knots, coefficients, active sets and events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LassoPath {
    lambdas: Vec<f64>,
    coefs: Vec<Vec<f64>>,
    active: Vec<Vec<usize>>,
    events: Vec<PathEvent>,
    method: LarsMethod,
}

impl Lars {
    /// Validates a configuration.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] naming the first invalid field.
    pub fn new(config: LarsConfig) -> Result<Self> {
        non_negative("lambda_min", config.lambda_min)?;
        positive("collinearity_tol", config.collinearity_tol)?;
        if config.collinearity_tol >= 1.0 {
            return Err(DlnError::invalid(
                "collinearity_tol",
                config.collinearity_tol,
                "a number in (0, 1)",
            ));
        }
        if config.max_iters == 0 {
            return Err(DlnError::invalid("max_iters", 0, "at least 1"));
        }
        Ok(Self { config })
    }

    /// The configuration.
    pub fn config(&self) -> &LarsConfig {
        &self.config
    }

    /// Computes the path of `problem` from `lambda_max` down to `lambda_min`. Entries that
    /// would occur below `1e-12 lambda_max` (the rounding level of the correlations; for
    /// `p > n` columns numerically in the span of the active ones) are not resolved, and
    /// a correlation moving with the common one to within `1e-10` is taken as moving with it,
    /// which bounds the KKT violation of the result by `1e-10 lambda_max`. If `max_iters`
    /// events do not reach `lambda_min` the path is returned as far as computed, with
    /// [`LassoPath::is_complete`] `false` (and a `log` warning).
    ///
    /// # Errors
    /// [`DlnError::NonFinite`] if `lambda_max`, a coefficient, a direction or a correlation
    /// becomes NaN or infinite (a numerically singular active Gram matrix that passed the
    /// collinearity test, or entries so large that products overflow): `step` is the index
    /// of the knot being computed and `time` the `lambda` reached.
    pub fn path(&self, problem: &Problem) -> Result<LassoPath> {
        self.path_with(&mut GramEngine::new(problem))
    }

    /// As [`Lars::path`], from a design kept as `(X, y)`, without forming `M`: Gram entries
    /// are computed when a variable enters (`O(n k)`), and at each knot the correlations of
    /// the inactive columns that a safe bound cannot rule out (`O(n)` each; a full pass over
    /// `X`, `O(n p)`, when many columns are candidates). Screening does not change the result:
    /// the path is the same, bit for bit, as if every column were evaluated at every knot,
    /// and the knots are those of [`Lars::path`] up to rounding.
    ///
    /// # Errors
    /// As [`Lars::path`].
    pub fn path_design(&self, design: &Design) -> Result<LassoPath> {
        self.path_with(&mut DesignEngine::new(design))
    }

    /// The path of the regression `(x, y)` (`x` is `n x p`, one sample per row), in the form
    /// that costs less: the Gram form [`Lars::path`] when `p <= n` (forming `M` costs `n p^2`
    /// once, then `O(p |A|)` per knot), the design form [`Lars::path_design`] when `p > n`
    /// (no `p x p` matrix; at most one pass over `X`, `O(n p)`, per knot). This is the rule of
    /// scikit-learn's `lars_path(Gram = "auto")`. Both forms give the same knots up to
    /// rounding.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] for non-finite data or `n = 0`; otherwise as
    /// [`Lars::path`].
    ///
    /// # Panics
    /// If `y.len() != x.nrows()`.
    ///
    /// # Example
    /// ```
    /// use dln_lasso::{Lars, LarsConfig, LossScaling};
    /// use faer::Mat;
    ///
    /// // p = 6 > n = 4: the design form is used.
    /// let x = Mat::from_fn(4, 6, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
    /// let y = vec![1.0, -2.0, 0.5, 3.0];
    /// let path = Lars::new(LarsConfig::default())?.path_from_design(x.as_ref(), &y, LossScaling::Mean)?;
    /// assert!(path.is_complete());
    /// # Ok::<(), dln_lasso::DlnError>(())
    /// ```
    #[track_caller]
    pub fn path_from_design(
        &self,
        x: faer::MatRef<'_, f64>,
        y: &[f64],
        scaling: crate::LossScaling,
    ) -> Result<LassoPath> {
        if x.ncols() <= x.nrows() {
            self.path(&Problem::from_design(x, y, scaling)?)
        } else {
            self.path_design(&Design::new(x, y, scaling)?)
        }
    }

    pub(crate) fn path_with<E: Engine>(&self, problem: &mut E) -> Result<LassoPath> {
        let cfg = &self.config;
        let p = problem.dim();
        let r = problem.corr().to_vec();
        let lasso = cfg.method == LarsMethod::Lasso;
        let sign_ok = |c: f64| !cfg.positive || c > 0.0;

        let mut x = vec![0.0; p];
        let c = &r;
        let mut lambda = c.iter().filter(|v| sign_ok(**v)).fold(0.0_f64, |a, v| a.max(v.abs()));
        let lambda_max = lambda;
        let mut path = LassoPath {
            lambdas: vec![],
            coefs: vec![],
            active: vec![],
            events: vec![],
            method: cfg.method,
        };
        if !lambda.is_finite() {
            return Err(DlnError::NonFinite { step: 0, time: lambda });
        }
        if lambda <= cfg.lambda_min {
            path.push(cfg.lambda_min.max(lambda), x, vec![], PathEvent::End);
            return Ok(path);
        }

        let mut active: Vec<usize> = Vec::new();
        let mut signs: Vec<f64> = Vec::new();
        let mut chol = Cholesky::default();
        let mut d: Vec<f64> = Vec::new();
        let mut xa: Vec<f64> = Vec::new();
        let mut gram_col: Vec<f64> = Vec::new();
        let mut blocked: Vec<usize> = Vec::new();
        let mut just_left: Option<usize> = None;
        let mut is_active = vec![false; p];

        // The first event: the most correlated variable enters.
        let j0 = (0..p)
            .filter(|&j| sign_ok(c[j]))
            .max_by(|&a, &b| c[a].abs().total_cmp(&c[b].abs()))
            .unwrap_or(0);
        let first = self.try_enter(
            problem,
            j0,
            c[j0].signum(),
            &mut active,
            &mut signs,
            &mut chol,
            &mut is_active,
            &mut gram_col,
        );
        path.push(lambda, x.clone(), active.clone(), first);

        for _ in 0..cfg.max_iters {
            // Direction: decreasing lambda by gamma adds gamma * d to x_A.
            d.clear();
            d.extend_from_slice(&signs);
            chol.solve(&mut d);
            problem.direction(&active, &d);

            // Candidate events, as step lengths gamma = lambda - lambda'. Events below the
            // rounding level of the correlations are not resolved: the path ends there.
            let end = lambda - cfg.lambda_min;
            let mut exit = (end, PathEvent::End);
            if lasso {
                for (k, &j) in active.iter().enumerate() {
                    if x[j] != 0.0 && x[j] * d[k] < 0.0 {
                        let g = -x[j] / d[k];
                        if g < exit.0 {
                            exit = (g, PathEvent::Leave { var: j });
                        }
                    }
                }
            }
            let floor = LAMBDA_FLOOR * lambda_max;
            let skip = |j: usize| is_active[j] || blocked.contains(&j);
            let entry = |j: usize, cj: f64, aj: f64| -> Option<(f64, PathEvent)> {
                // A correlation that moves with the common one to within DENOM_TOL is taken as
                // moving with it (a column in the span of the active ones, up to rounding): it
                // could at most exceed lambda by DENOM_TOL * (lambda_max - lambda).
                let back = just_left == Some(j);
                let upper = (1.0 - aj > DENOM_TOL && !(back && cj > 0.0))
                    .then(|| (lambda - cj).max(0.0) / (1.0 - aj))
                    .filter(|g| lambda - g > floor);
                let lower = (1.0 + aj > DENOM_TOL && !cfg.positive && !(back && cj < 0.0))
                    .then(|| (lambda + cj).max(0.0) / (1.0 + aj))
                    .filter(|g| lambda - g > floor);
                match (upper, lower) {
                    (Some(u), Some(l)) if l < u => {
                        Some((l, PathEvent::Enter { var: j, sign: -1.0 }))
                    }
                    (Some(u), _) => Some((u, PathEvent::Enter { var: j, sign: 1.0 })),
                    (None, Some(l)) => Some((l, PathEvent::Enter { var: j, sign: -1.0 })),
                    (None, None) => None,
                }
            };
            // Ties: the end of the path before an entry, an entry before an exit, the smallest
            // index first among entries.
            let best = match problem.next_entry(lambda, end, exit.0, &skip, &entry) {
                Some(e) if e.0 < end && e.0 <= exit.0 => e,
                _ => exit,
            };
            if !problem.finite() || d.iter().any(|v| !v.is_finite()) {
                return Err(DlnError::NonFinite { step: path.lambdas.len(), time: lambda });
            }
            let (gamma, event) = best;
            lambda = (lambda - gamma).max(cfg.lambda_min);

            // Coefficients at the new knot, from the closed form of the piece.
            xa.clear();
            xa.extend(active.iter().zip(&signs).map(|(&j, s)| r[j] - lambda * s));
            chol.solve(&mut xa);
            for (k, &j) in active.iter().enumerate() {
                if !xa[k].is_finite() {
                    return Err(DlnError::NonFinite { step: path.lambdas.len(), time: lambda });
                }
                x[j] = xa[k];
            }
            if let PathEvent::Leave { var } = event {
                x[var] = 0.0;
            }
            problem.advance(&active, &x, gamma);
            if !problem.finite() {
                return Err(DlnError::NonFinite { step: path.lambdas.len(), time: lambda });
            }

            just_left = None;
            let recorded = match event {
                PathEvent::Enter { var, sign } => {
                    let e = self.try_enter(
                        problem,
                        var,
                        sign,
                        &mut active,
                        &mut signs,
                        &mut chol,
                        &mut is_active,
                        &mut gram_col,
                    );
                    match e {
                        PathEvent::Blocked { var, .. } => blocked.push(var),
                        _ => blocked.clear(),
                    }
                    e
                }
                PathEvent::Leave { var } => {
                    let k =
                        active.iter().position(|&v| v == var).expect("leaving variable is active");
                    active.remove(k);
                    signs.remove(k);
                    chol.remove(k);
                    problem.deactivate(k);
                    is_active[var] = false;
                    blocked.clear();
                    just_left = Some(var);
                    event
                }
                e => e,
            };
            path.push(lambda, x.clone(), active.clone(), recorded);
            if matches!(event, PathEvent::End) {
                break;
            }
        }
        if !matches!(path.events.last(), Some(PathEvent::End)) {
            log::warn!(
                "LARS stopped after max_iters = {} events at lambda = {lambda:e}",
                cfg.max_iters
            );
        }
        Ok(path)
    }

    #[allow(clippy::too_many_arguments)]
    fn try_enter<E: Engine>(
        &self,
        m: &mut E,
        var: usize,
        sign: f64,
        active: &mut Vec<usize>,
        signs: &mut Vec<f64>,
        chol: &mut Cholesky,
        is_active: &mut [bool],
        col: &mut Vec<f64>,
    ) -> PathEvent {
        let diag = m.gram_column(active, var, col);
        match chol.try_push(col, diag, self.config.collinearity_tol) {
            Ok(()) => {
                m.activate(var);
                active.push(var);
                signs.push(sign);
                is_active[var] = true;
                PathEvent::Enter { var, sign }
            }
            Err(ratio) => {
                log::debug!(
                    "LARS: variable {var} is collinear with the active set (pivot ratio {ratio:e})"
                );
                PathEvent::Blocked { var, ratio }
            }
        }
    }
}

impl LassoPath {
    fn push(&mut self, lambda: f64, x: Vec<f64>, active: Vec<usize>, event: PathEvent) {
        self.lambdas.push(lambda);
        self.coefs.push(x);
        self.active.push(active);
        self.events.push(event);
    }

    /// The knots, non-increasing, from `lambda_max` to the end of the path.
    pub fn lambdas(&self) -> &[f64] {
        &self.lambdas
    }

    /// Coefficients at each knot.
    pub fn coefs(&self) -> &[Vec<f64>] {
        &self.coefs
    }

    /// Active set after the event of each knot (the set of the following piece).
    pub fn active_sets(&self) -> &[Vec<usize>] {
        &self.active
    }

    /// The event at each knot.
    pub fn events(&self) -> &[PathEvent] {
        &self.events
    }

    /// Number of knots.
    pub fn n_knots(&self) -> usize {
        self.lambdas.len()
    }

    /// `true` when the path reached `lambda_min` (its last event is [`PathEvent::End`]);
    /// `false` when `max_iters` stopped it first.
    pub fn is_complete(&self) -> bool {
        matches!(self.events.last(), Some(PathEvent::End))
    }

    /// Which path this is.
    pub fn method(&self) -> LarsMethod {
        self.method
    }

    /// Variables in the order of their first entry.
    pub fn entry_order(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for e in &self.events {
            if let PathEvent::Enter { var, .. } = *e
                && !out.contains(&var)
            {
                out.push(var);
            }
        }
        out
    }

    /// The path at `lambda`: linear interpolation between the enclosing knots (exact, the
    /// path being piecewise linear); `0` at and above the first knot (including
    /// `lambda = +inf`, the limit of the lasso).
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] naming `lambda` if it is NaN, negative, or below the
    /// last knot (where the path was not computed: `lambda_min > 0`, or a path stopped by
    /// `max_iters`).
    ///
    /// # Example
    /// ```
    /// use dln_lasso::{Problem, lasso_path};
    /// use faer::Mat;
    ///
    /// let path = lasso_path(&Problem::from_gram(Mat::identity(2, 2), vec![3.0, -1.0])?)?;
    /// assert_eq!(path.try_at(2.0)?, vec![1.0, 0.0]);
    /// assert_eq!(path.try_at(f64::INFINITY)?, vec![0.0, 0.0]);
    /// assert!(path.try_at(f64::NAN).is_err() && path.try_at(-1.0).is_err());
    /// # Ok::<(), dln_lasso::DlnError>(())
    /// ```
    pub fn try_at(&self, lambda: f64) -> Result<Vec<f64>> {
        let k = self.lambdas.len();
        let last = self.lambdas[k - 1];
        if lambda.is_nan() || lambda < 0.0 {
            return Err(DlnError::invalid("lambda", lambda, "a number >= 0"));
        }
        if lambda < last {
            return Err(DlnError::invalid(
                "lambda",
                format!("{lambda:e} (the path ends at {last:e})"),
                "a value within the computed path",
            ));
        }
        if lambda >= self.lambdas[0] {
            return Ok(vec![0.0; self.coefs[0].len()]);
        }
        for i in 1..k {
            let (l0, l1) = (self.lambdas[i - 1], self.lambdas[i]);
            if lambda >= l1 && l0 > l1 {
                let w = (l0 - lambda) / (l0 - l1);
                return Ok(self.coefs[i - 1]
                    .iter()
                    .zip(&self.coefs[i])
                    .map(|(a, b)| a + w * (b - a))
                    .collect());
            }
        }
        Ok(self.coefs[k - 1].clone())
    }

    /// As [`LassoPath::try_at`], with NaN coefficients where the path is not defined (NaN or
    /// negative `lambda`, or `lambda` below the last knot) instead of an error.
    pub fn at(&self, lambda: f64) -> Vec<f64> {
        self.try_at(lambda).unwrap_or_else(|_| vec![f64::NAN; self.coefs[0].len()])
    }

    /// `|x|_1` at each knot.
    pub fn l1_norms(&self) -> Vec<f64> {
        self.coefs.iter().map(|x| x.iter().map(|v| v.abs()).sum()).collect()
    }

    /// Largest KKT violation over the knots (see [`Problem::kkt_violation`]; for LAR the
    /// equicorrelation conditions are only those of the lasso while no sign has flipped).
    pub fn max_kkt_violation(&self, problem: &Problem) -> f64 {
        self.lambdas
            .iter()
            .zip(&self.coefs)
            .fold(0.0, |m: f64, (&l, x)| m.max(problem.kkt_violation(x, l)))
    }
}

/// The exact lasso path of `problem` with default settings.
///
/// # Errors
/// As [`Lars::path`].
pub fn lasso_path(problem: &Problem) -> Result<LassoPath> {
    Lars::new(LarsConfig::default())?.path(problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn orthogonal_design_is_soft_thresholding() {
        let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap();
        let path = lasso_path(&p).unwrap();
        assert_eq!(path.lambdas(), &[3.0, 2.0, 1.0, 0.0]);
        for &l in &[2.5, 1.5, 0.3] {
            let x = path.at(l);
            let want: Vec<f64> =
                [3.0_f64, 2.0, -1.0].iter().map(|v| v.signum() * (v.abs() - l).max(0.0)).collect();
            for (a, b) in x.iter().zip(&want) {
                assert!((a - b).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn exact_ties_enter_one_at_a_time() {
        let p = Problem::from_gram(Mat::identity(3, 3), vec![1.0, -1.0, 1.0]).unwrap();
        let path = lasso_path(&p).unwrap();
        assert_eq!(path.entry_order().len(), 3);
        assert!(path.max_kkt_violation(&p) < 1e-15);
        let last = path.coefs().last().unwrap();
        assert_eq!(last, &vec![1.0, -1.0, 1.0]);
    }

    #[test]
    fn duplicated_column_gives_a_valid_path() {
        // Columns 0 and 1 identical: M = [[1,1,0],[1,1,0],[0,0,1]]. Column 1 keeps the
        // correlation of column 0 and never needs to enter.
        let m = megavolt_core::linalg::mat_from_rows(&[
            &[1.0, 1.0, 0.0],
            &[1.0, 1.0, 0.0],
            &[0.0, 0.0, 1.0],
        ]);
        let p = Problem::from_gram(m, vec![2.0, 2.0, 1.0]).unwrap();
        let path = lasso_path(&p).unwrap();
        assert!(path.max_kkt_violation(&p) < 1e-14);
        let last = path.coefs().last().unwrap();
        // The end point minimises the loss: x_0 + x_1 = 2, x_2 = 1.
        assert!((last[0] + last[1] - 2.0).abs() < 1e-14 && (last[2] - 1.0).abs() < 1e-14);
    }

    #[test]
    fn more_features_than_samples() {
        let seed = megavolt_core::Seed::new(11);
        let x = megavolt_core::rng::gaussian_mat(&mut seed.stream("x"), 6, 12, 1.0);
        let y: Vec<f64> = megavolt_core::rng::gaussian_col(&mut seed.stream("y"), 6, 1.0)
            .iter()
            .copied()
            .collect();
        let p = Problem::from_design(x.as_ref(), &y, crate::LossScaling::Mean).unwrap();
        let path = lasso_path(&p).unwrap();
        assert!(matches!(path.events().last(), Some(PathEvent::End)));
        assert!(path.max_kkt_violation(&p) < 1e-9);
        assert!(path.active_sets().iter().all(|a| a.len() <= 6));
        // At lambda = 0 the active columns interpolate: zero gradient.
        let g = p.gradient(path.coefs().last().unwrap());
        assert!(g.iter().all(|v| v.abs() < 1e-9), "{g:?}");
    }

    #[test]
    fn design_and_gram_paths_agree() {
        let seed = megavolt_core::Seed::new(5);
        let x = megavolt_core::rng::gaussian_mat(&mut seed.stream("x"), 30, 80, 1.0);
        let y: Vec<f64> = megavolt_core::rng::gaussian_col(&mut seed.stream("y"), 30, 1.0)
            .iter()
            .copied()
            .collect();
        let lars = Lars::new(LarsConfig::default()).unwrap();
        let a = lars
            .path(&Problem::from_design(x.as_ref(), &y, crate::LossScaling::Mean).unwrap())
            .unwrap();
        let design = Design::new(x.as_ref(), &y, crate::LossScaling::Mean).unwrap();
        let b = lars.path_design(&design).unwrap();
        // Same events and knots down to the interpolation regime (30 active columns for 30
        // samples), where the active Gram matrix becomes ill-conditioned and the two
        // summation orders part at the level of rounding.
        let lmax = a.lambdas()[0];
        let ka = a.lambdas().iter().filter(|l| **l > 1e-8 * lmax).count();
        let kb = b.lambdas().iter().filter(|l| **l > 1e-8 * lmax).count();
        assert_eq!(ka, kb);
        assert_eq!(&a.events()[..ka], &b.events()[..ka]);
        for (u, v) in a.lambdas()[..ka].iter().zip(b.lambdas()) {
            assert!((u - v).abs() < 1e-10 * lmax, "{u} vs {v}");
        }
        for (l, x) in b.lambdas().iter().zip(b.coefs()) {
            assert!(design.kkt_violation(x, *l) < 1e-9);
        }
    }

    #[test]
    fn screening_does_not_change_the_design_path() {
        // Every evaluated correlation is the same product whether a knot screens or makes a
        // full pass, so the two paths are bit-identical.
        let data = crate::synthetic::SparseRegression {
            n_train: 200,
            n_test: 1,
            p: 1000,
            k: 10,
            rho: 0.5,
            ..Default::default()
        };
        let s = data.generate(megavolt_core::Seed::new(3)).unwrap();
        let design = Design::new(s.train.x.as_ref(), &s.train.y, crate::LossScaling::Mean).unwrap();
        // Up to 100 events for 200 samples, as far as the benchmarks go (later the equicorrelation
        // set fills the sample space and every column becomes a candidate).
        let lars = Lars::new(LarsConfig { max_iters: 100, ..LarsConfig::default() }).unwrap();
        let mut screened = crate::engine::DesignEngine::new(&design);
        let a = lars.path_with(&mut screened).unwrap();
        let (passes, evaluations) = screened.work();
        let mut full = crate::engine::DesignEngine::new(&design).unscreened();
        let b = lars.path_with(&mut full).unwrap();
        assert_eq!(a, b);
        // Screening did its job: fewer column products than a pass per knot.
        let knots = a.n_knots();
        eprintln!("{knots} knots, {passes} passes, {evaluations} evaluations");
        assert!(passes * 1000 + evaluations < knots * 1000 / 2, "{passes} passes, {evaluations}");
        for (l, x) in a.lambdas().iter().zip(a.coefs()) {
            assert!(design.kkt_violation(x, *l) < 1e-9);
        }
    }

    #[test]
    fn correlated_design_with_more_features_than_samples() {
        let data = crate::synthetic::SparseRegression {
            n_train: 60,
            n_test: 1,
            p: 150,
            k: 8,
            rho: 0.8,
            ..Default::default()
        };
        let s = data.generate(megavolt_core::Seed::new(2)).unwrap();
        let p = s.train.problem(crate::LossScaling::Mean).unwrap();
        let path = lasso_path(&p).unwrap();
        let blocked =
            path.events().iter().filter(|e| matches!(e, PathEvent::Blocked { .. })).count();
        eprintln!("knots {}, blocked {blocked}", path.n_knots());
        assert!(path.is_complete());
        assert!(path.max_kkt_violation(&p) < 1e-9);
        assert!(path.active_sets().iter().all(|a| a.len() <= 60));
    }

    #[test]
    fn iteration_budget_is_reported() {
        let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap();
        let short = Lars::new(LarsConfig { max_iters: 1, ..LarsConfig::default() })
            .unwrap()
            .path(&p)
            .unwrap();
        assert!(!short.is_complete());
        assert_eq!(short.n_knots(), 2);
        assert!(lasso_path(&p).unwrap().is_complete());
    }

    #[test]
    fn evaluation_outside_the_path_is_rejected() {
        let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap();
        let path = lasso_path(&p).unwrap();
        for bad in [f64::NAN, -1e-300, -1.0, f64::NEG_INFINITY] {
            let e = path.try_at(bad).unwrap_err();
            assert!(matches!(e, DlnError::InvalidParameter { name: "lambda", .. }), "{e}");
            assert!(path.at(bad).iter().all(|v| v.is_nan()));
        }
        // lambda = +inf is the limit of the lasso: zero. lambda = 0: least squares.
        assert_eq!(path.try_at(f64::INFINITY).unwrap(), vec![0.0; 3]);
        assert_eq!(path.try_at(0.0).unwrap(), vec![3.0, 2.0, -1.0]);
        // A path stopped at lambda_min = 1.5 (or by max_iters) is not known below its end.
        let cut = Lars::new(LarsConfig { lambda_min: 1.5, ..LarsConfig::default() })
            .unwrap()
            .path(&p)
            .unwrap();
        assert_eq!(cut.try_at(1.5).unwrap(), vec![1.5, 0.5, 0.0]);
        assert!(cut.try_at(1.0).is_err());
        let short = Lars::new(LarsConfig { max_iters: 1, ..LarsConfig::default() })
            .unwrap()
            .path(&p)
            .unwrap();
        assert!(short.try_at(2.5).is_ok() && short.try_at(1.0).is_err());
    }

    #[test]
    fn overflowing_data_is_rejected_and_large_data_scales() {
        // Entries of 1e300: X^T X overflows. Both forms refuse the data, naming it.
        let x =
            megavolt_core::linalg::mat_from_rows(&[&[1e300, 0.0], &[0.0, 2e300], &[1e300, 1e300]]);
        let y = [1e300, -1e300, 0.5e300];
        for e in [
            Problem::from_design(x.as_ref(), &y, crate::LossScaling::Mean).unwrap_err(),
            Design::new(x.as_ref(), &y, crate::LossScaling::Mean).unwrap_err(),
        ] {
            assert!(matches!(e, DlnError::InvalidParameter { name: "x, y", .. }), "{e}");
        }
        // Entries of 1e-200: X^T X underflows to zero, which would give a zero path.
        let tiny = Mat::from_fn(3, 2, |i, j| 1e-200 * (1.0 + (i + j) as f64));
        let yt = [1e-200, -1e-200, 3e-200];
        for e in [
            Problem::from_design(tiny.as_ref(), &yt, crate::LossScaling::Mean).unwrap_err(),
            Design::new(tiny.as_ref(), &yt, crate::LossScaling::Mean).unwrap_err(),
        ] {
            assert!(matches!(e, DlnError::InvalidParameter { name: "x, y", .. }), "{e}");
            assert!(e.to_string().contains("underflow"), "{e}");
        }
        // Entries of 1e150: representable. The path of (a X, a y) has the knots of (X, y)
        // times a^2 and the same coefficients (exact in binary scaling by a power of two).
        let a = 2f64.powi(500);
        let small = megavolt_core::linalg::mat_from_rows(&[&[1.0, 0.0], &[0.0, 2.0], &[1.0, 1.0]]);
        let ys = [1.0, -1.0, 0.5];
        let big = Mat::from_fn(3, 2, |i, j| a * small[(i, j)]);
        let yb: Vec<f64> = ys.iter().map(|v| a * v).collect();
        let lars = Lars::new(LarsConfig::default()).unwrap();
        let ps = lars.path_from_design(small.as_ref(), &ys, crate::LossScaling::Mean).unwrap();
        for pb in [
            lars.path_from_design(big.as_ref(), &yb, crate::LossScaling::Mean).unwrap(),
            lars.path_design(&Design::new(big.as_ref(), &yb, crate::LossScaling::Mean).unwrap())
                .unwrap(),
        ] {
            assert_eq!(pb.n_knots(), ps.n_knots());
            for (u, v) in pb.lambdas().iter().zip(ps.lambdas()) {
                assert!((u / (a * a) - v).abs() <= 4.0 * f64::EPSILON * v.abs(), "{u} {v}");
            }
            for (u, v) in pb.coefs().iter().flatten().zip(ps.coefs().iter().flatten()) {
                assert!((u - v).abs() <= 1e-14 * v.abs().max(1.0), "{u} {v}");
            }
        }
    }

    #[test]
    fn overflow_inside_the_path_is_a_typed_error() {
        // A valid quadratic whose least-squares end point 2 (r_0, r_1) = (3.4e308, -3.4e308)
        // is beyond the largest double: the path stops with an error naming where.
        let m = megavolt_core::linalg::mat_from_rows(&[&[1.0, 0.5], &[0.5, 1.0]]);
        let p = Problem::from_gram(m, vec![1.7e308, -1.7e308]).unwrap();
        match lasso_path(&p) {
            Err(DlnError::NonFinite { step, time }) => {
                assert!(step >= 1 && time.is_finite() && time >= 0.0, "{step} {time}");
            }
            other => panic!("expected a non-finite error, got {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_config() {
        assert!(Lars::new(LarsConfig { lambda_min: -1.0, ..LarsConfig::default() }).is_err());
        assert!(Lars::new(LarsConfig { collinearity_tol: 2.0, ..LarsConfig::default() }).is_err());
        assert!(Lars::new(LarsConfig { max_iters: 0, ..LarsConfig::default() }).is_err());
    }
}
