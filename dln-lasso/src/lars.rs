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
use crate::error::{DlnError, Result, non_negative, positive};
use crate::problem::Problem;

/// Smallest `1 -+ a_j` for which an inactive correlation is considered to approach the
/// common one (see [`Lars::path`]).
const DENOM_TOL: f64 = 1e-10;

/// Entry events below `LAMBDA_FLOOR * lambda_max` are below the rounding level of the
/// correlations and are not resolved (see [`Lars::path`]).
const LAMBDA_FLOOR: f64 = 1e-12;

/// What LARS needs to know about `M` and `r`.
trait GramOracle {
    fn dim(&self) -> usize;
    fn corr(&self) -> &[f64];
    fn entry(&self, i: usize, j: usize) -> f64;
    /// `M_{:,A} d`.
    fn active_combination(&self, active: &[usize], d: &[f64]) -> Vec<f64>;
    /// `r - M x`.
    fn correlations(&self, x: &[f64]) -> Vec<f64>;
}

impl GramOracle for Problem {
    fn dim(&self) -> usize {
        Problem::dim(self)
    }
    fn corr(&self) -> &[f64] {
        Problem::corr(self)
    }
    fn entry(&self, i: usize, j: usize) -> f64 {
        self.gram()[(i, j)]
    }
    fn active_combination(&self, active: &[usize], d: &[f64]) -> Vec<f64> {
        let mut a = vec![0.0; Problem::dim(self)];
        for (&j, &dk) in active.iter().zip(d) {
            for (ai, mi) in a.iter_mut().zip(self.gram_col(j)) {
                *ai += mi * dk;
            }
        }
        a
    }
    fn correlations(&self, x: &[f64]) -> Vec<f64> {
        Problem::correlations(self, x)
    }
}

impl GramOracle for Design {
    fn dim(&self) -> usize {
        Design::dim(self)
    }
    fn corr(&self) -> &[f64] {
        Design::corr(self)
    }
    fn entry(&self, i: usize, j: usize) -> f64 {
        self.gram_entry(i, j)
    }
    fn active_combination(&self, active: &[usize], d: &[f64]) -> Vec<f64> {
        Design::active_combination(self, active, d)
    }
    fn correlations(&self, x: &[f64]) -> Vec<f64> {
        Design::correlations(self, x)
    }
}

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
    /// [`DlnError::NonFinite`] if a coefficient becomes non-finite (a numerically singular
    /// active Gram matrix that passed the collinearity test).
    pub fn path(&self, problem: &Problem) -> Result<LassoPath> {
        self.path_with(problem)
    }

    /// As [`Lars::path`], from a design kept as `(X, y)`: Gram entries are computed when a
    /// variable enters (`O(n k)`) and correlations once per knot (`O(n p)`), without forming
    /// `M`. The knots are those of [`Lars::path`] up to rounding.
    ///
    /// # Errors
    /// As [`Lars::path`].
    pub fn path_design(&self, design: &Design) -> Result<LassoPath> {
        self.path_with(design)
    }

    fn path_with<G: GramOracle>(&self, problem: &G) -> Result<LassoPath> {
        let cfg = &self.config;
        let p = problem.dim();
        let r = problem.corr();
        let lasso = cfg.method == LarsMethod::Lasso;
        let sign_ok = |c: f64| !cfg.positive || c > 0.0;

        let mut x = vec![0.0; p];
        let mut c = r.to_vec();
        let mut lambda = c.iter().filter(|v| sign_ok(**v)).fold(0.0_f64, |a, v| a.max(v.abs()));
        let lambda_max = lambda;
        let mut path = LassoPath {
            lambdas: vec![],
            coefs: vec![],
            active: vec![],
            events: vec![],
            method: cfg.method,
        };
        if lambda <= cfg.lambda_min {
            path.push(cfg.lambda_min.max(lambda), x, vec![], PathEvent::End);
            return Ok(path);
        }

        let mut active: Vec<usize> = Vec::new();
        let mut signs: Vec<f64> = Vec::new();
        let mut chol = Cholesky::default();
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
        );
        path.push(lambda, x.clone(), active.clone(), first);

        for _ in 0..cfg.max_iters {
            // Direction: decreasing lambda by gamma adds gamma * d to x_A.
            let mut d = signs.clone();
            chol.solve(&mut d);
            let a = problem.active_combination(&active, &d);

            // Candidate events, as step lengths gamma = lambda - lambda'. Events below the
            // rounding level of the correlations are not resolved: the path ends there.
            let mut best = (lambda - cfg.lambda_min, PathEvent::End);
            let floor = LAMBDA_FLOOR * lambda_max;
            for j in 0..p {
                if is_active[j] || blocked.contains(&j) {
                    continue;
                }
                // A correlation that moves with the common one to within DENOM_TOL is taken as
                // moving with it (a column in the span of the active ones, up to rounding): it
                // could at most exceed lambda by DENOM_TOL * (lambda_max - lambda).
                let upper =
                    (1.0 - a[j] > DENOM_TOL).then(|| (lambda - c[j]).max(0.0) / (1.0 - a[j]));
                let lower = (1.0 + a[j] > DENOM_TOL && !cfg.positive)
                    .then(|| (lambda + c[j]).max(0.0) / (1.0 + a[j]));
                let back = just_left == Some(j);
                if let Some(g) = upper.filter(|_| !(back && c[j] > 0.0))
                    && g < best.0
                    && lambda - g > floor
                {
                    best = (g, PathEvent::Enter { var: j, sign: 1.0 });
                }
                if let Some(g) = lower.filter(|_| !(back && c[j] < 0.0))
                    && g < best.0
                    && lambda - g > floor
                {
                    best = (g, PathEvent::Enter { var: j, sign: -1.0 });
                }
            }
            if lasso {
                for (k, &j) in active.iter().enumerate() {
                    if x[j] != 0.0 && x[j] * d[k] < 0.0 {
                        let g = -x[j] / d[k];
                        if g < best.0 {
                            best = (g, PathEvent::Leave { var: j });
                        }
                    }
                }
            }
            let (gamma, event) = best;
            lambda = (lambda - gamma).max(cfg.lambda_min);

            // Coefficients at the new knot, from the closed form of the piece.
            let mut xa: Vec<f64> =
                active.iter().zip(&signs).map(|(&j, s)| r[j] - lambda * s).collect();
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
            c = problem.correlations(&x);

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
    fn try_enter<G: GramOracle>(
        &self,
        m: &G,
        var: usize,
        sign: f64,
        active: &mut Vec<usize>,
        signs: &mut Vec<f64>,
        chol: &mut Cholesky,
        is_active: &mut [bool],
    ) -> PathEvent {
        let col: Vec<f64> = active.iter().map(|&j| m.entry(j, var)).collect();
        match chol.try_push(&col, m.entry(var, var), self.config.collinearity_tol) {
            Ok(()) => {
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

    /// The path at any `lambda`: linear interpolation between the enclosing knots (exact, the
    /// path being piecewise linear); `0` above the first knot; the last coefficients below the
    /// last knot.
    pub fn at(&self, lambda: f64) -> Vec<f64> {
        let k = self.lambdas.len();
        if lambda >= self.lambdas[0] {
            return vec![0.0; self.coefs[0].len()];
        }
        for i in 1..k {
            let (l0, l1) = (self.lambdas[i - 1], self.lambdas[i]);
            if lambda >= l1 && l0 > l1 {
                let w = (l0 - lambda) / (l0 - l1);
                return self.coefs[i - 1]
                    .iter()
                    .zip(&self.coefs[i])
                    .map(|(a, b)| a + w * (b - a))
                    .collect();
            }
        }
        self.coefs[k - 1].clone()
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
    fn rejects_bad_config() {
        assert!(Lars::new(LarsConfig { lambda_min: -1.0, ..LarsConfig::default() }).is_err());
        assert!(Lars::new(LarsConfig { collinearity_tol: 2.0, ..LarsConfig::default() }).is_err());
        assert!(Lars::new(LarsConfig { max_iters: 0, ..LarsConfig::default() }).is_err());
    }
}
