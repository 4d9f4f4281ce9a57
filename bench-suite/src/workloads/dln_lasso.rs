//! Workloads of `dln-lasso`: the exact LARS-lasso path and the coordinate-descent path against
//! scikit-learn's `lars_path` and `lasso_path` on the same data.

use std::path::Path;

use anyhow::Result;
use dln_lasso::cd::{CdConfig, CoordinateDescent, geometric_grid};
use dln_lasso::data::{Standardization, diabetes};
use dln_lasso::synthetic::SparseRegression;
use dln_lasso::{Lars, LarsConfig, LossScaling, Problem};
use faer::{Mat, Side};
use megavolt_core::Seed;

use super::{row_major, write_spec};
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// The workloads of `dln-lasso`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    vec![
        Box::new(LarsDiabetes),
        Box::new(LassoCdPath { n_alphas: 100, ratio: 1e-3, tol: 1e-10, max_iter: 100_000 }),
        Box::new(LarsSynthetic { n: 1000, p: 5000, k: 20, max_iter: 500 }),
    ]
}

/// The knots of a path (both sides list `lambda_max` first and the end of the path last), in
/// the form the library picks for the shape of `x` (Gram form for `p <= n`, design form for
/// `p > n`, as scikit-learn's `Gram = "auto"`).
fn knots(x: &Mat<f64>, y: &[f64], config: LarsConfig) -> Vec<f64> {
    let path = Lars::new(config)
        .expect("valid configuration")
        .path_from_design(x.as_ref(), y, LossScaling::Mean)
        .expect("path");
    path.lambdas().to_vec()
}

struct LarsState {
    x: Mat<f64>,
    y: Vec<f64>,
    config: LarsConfig,
}

impl Prepared for LarsState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        knots(&self.x, &self.y, self.config)
    }
}

/// The exact LARS-lasso path on the diabetes data (`peers/lars_diabetes.py`).
pub struct LarsDiabetes;

impl Workload for LarsDiabetes {
    fn name(&self) -> &'static str {
        "lars_diabetes"
    }
    fn description(&self) -> String {
        "LARS-lasso path, diabetes 442 x 10 (unit-norm columns), knots".to_owned()
    }
    fn peer_package(&self) -> &'static str {
        "scikit-learn"
    }
    fn rtol(&self) -> f64 {
        // Direct computation: a dozen Cholesky updates and solves of a well-scaled 10 x 10
        // system; the knots agree to rounding amplified by the condition number.
        1e-9
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let data = diabetes(Standardization::UnitNorm);
        let (n, p) = (data.n_samples(), data.n_features());
        write_npy(&dir.join("x.npy"), &[n, p], &row_major(data.x.as_ref()))?;
        write_npy(&dir.join("y.npy"), &[n], &data.y)?;
        write_spec(dir, &serde_json::json!({ "max_iter": 500 }))?;
        Ok(Box::new(LarsState { x: data.x, y: data.y, config: LarsConfig::default() }))
    }
}

/// The LARS-lasso path of a seeded sparse regression with `p > n`, up to `max_iter` events
/// (`peers/lars_synthetic.py`).
pub struct LarsSynthetic {
    /// Samples.
    pub n: usize,
    /// Features.
    pub p: usize,
    /// Non-zeros of the truth.
    pub k: usize,
    /// Event budget on both sides (scikit-learn's default 500).
    pub max_iter: usize,
}

impl Workload for LarsSynthetic {
    fn name(&self) -> &'static str {
        "lars_synthetic"
    }
    fn description(&self) -> String {
        format!(
            "LARS-lasso path, correlated Gaussian design n = {}, p = {}, {} events, knots",
            self.n, self.p, self.max_iter
        )
    }
    fn peer_package(&self) -> &'static str {
        "scikit-learn"
    }
    fn rtol(&self) -> f64 {
        // Direct computation over hundreds of Cholesky updates with up to a few hundred active
        // columns: rounding grows with the number of events and the conditioning of the active
        // Gram matrices.
        1e-9
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let sample = SparseRegression {
            n_train: self.n,
            n_test: 1,
            p: self.p,
            k: self.k,
            ..SparseRegression::default()
        }
        .generate(Seed::new(5))?;
        let data = sample.train;
        write_npy(&dir.join("x.npy"), &[self.n, self.p], &row_major(data.x.as_ref()))?;
        write_npy(&dir.join("y.npy"), &[self.n], &data.y)?;
        write_spec(dir, &serde_json::json!({ "max_iter": self.max_iter }))?;
        let config = LarsConfig { max_iters: self.max_iter, ..LarsConfig::default() };
        Ok(Box::new(LarsState { x: data.x, y: data.y, config }))
    }
}

/// Coordinate descent with warm starts on a geometric grid of `lambda`, diabetes data
/// (`peers/lasso_cd_path.py`).
pub struct LassoCdPath {
    /// Grid size (scikit-learn's default 100).
    pub n_alphas: usize,
    /// Smallest / largest `lambda` (scikit-learn's default `eps = 1e-3`).
    pub ratio: f64,
    /// Duality-gap tolerance relative to `|y|^2 / n`, on both sides.
    pub tol: f64,
    /// Iteration budget per grid point, on both sides.
    pub max_iter: usize,
}

/// Grid points whose coefficients are compared.
const CD_CHECKPOINTS: [usize; 5] = [10, 30, 50, 75, 99];

struct CdState {
    x: Mat<f64>,
    y: Vec<f64>,
    grid: Vec<f64>,
    cd: CoordinateDescent,
}

impl Prepared for CdState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        let problem =
            Problem::from_design(self.x.as_ref(), &self.y, LossScaling::Mean).expect("finite data");
        let path = self.cd.path(&problem, &self.grid).expect("coordinate descent converges");
        CD_CHECKPOINTS.iter().flat_map(|&k| path.fits[k].x.clone()).collect()
    }
}

impl Workload for LassoCdPath {
    fn name(&self) -> &'static str {
        "lasso_cd_path"
    }
    fn description(&self) -> String {
        format!(
            "lasso path by coordinate descent, diabetes 442 x 10, {} alphas, gap tol {:.0e}",
            self.n_alphas, self.tol
        )
    }
    fn peer_package(&self) -> &'static str {
        "scikit-learn"
    }
    fn rtol(&self) -> f64 {
        // Both sides stop at a duality gap below tol |y|^2/n; a gap g bounds the distance to
        // the minimiser by sqrt(2 g / mu), mu the smallest eigenvalue of X^T X / n (strong
        // convexity). The two answers may each be that far from the minimiser; scaled by the
        // largest coefficient (the compared quantity is a relative difference).
        let data = diabetes(Standardization::UnitNorm);
        let problem = data.problem(LossScaling::Mean).expect("finite data");
        let mu = problem
            .gram()
            .self_adjoint_eigenvalues(Side::Lower)
            .expect("eigenvalues of a 10 x 10 matrix")
            .into_iter()
            .fold(f64::INFINITY, f64::min);
        let radius = (2.0 * self.tol * problem.yy() / mu).sqrt();
        // |x_ols|_inf = 792.18 (s1) bounds every coefficient along the path from below at its
        // end; a smaller scale would only make the check stricter.
        let scale = 792.0;
        2.0 * radius / scale
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let data = diabetes(Standardization::UnitNorm);
        let (n, p) = (data.n_samples(), data.n_features());
        let problem = data.problem(LossScaling::Mean)?;
        let grid = geometric_grid(problem.lambda_max(), self.ratio, self.n_alphas)?;
        write_npy(&dir.join("x.npy"), &[n, p], &row_major(data.x.as_ref()))?;
        write_npy(&dir.join("y.npy"), &[n], &data.y)?;
        write_npy(&dir.join("alphas.npy"), &[grid.len()], &grid)?;
        write_spec(
            dir,
            &serde_json::json!({
                "tol": self.tol,
                "max_iter": self.max_iter,
                "checkpoints": CD_CHECKPOINTS,
            }),
        )?;
        let cd = CoordinateDescent::new(CdConfig {
            tol: self.tol,
            max_sweeps: self.max_iter,
            ..CdConfig::default()
        })?;
        Ok(Box::new(CdState { x: data.x, y: data.y, grid, cd }))
    }
}
