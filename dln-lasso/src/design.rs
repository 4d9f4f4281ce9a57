//! A regression design kept as `(X, y)` for LARS without the Gram matrix.
//!
//! [`crate::Problem`] stores `M = X^T X / n` (`p x p`): right for `p` up to a few thousand and
//! for every solver of the crate. When `p >> n`, [`Design`] keeps the `n x p` design instead
//! and [`crate::Lars::path_design`] computes each Gram entry it needs (`O(n)` each) and each
//! equiangular direction's correlations (`O(n p)` per knot), as in Efron et al. (2004, §2):
//! no `O(n p^2)` precomputation and no `p^2` storage.
//!
//! # References
//! - B. Efron, T. Hastie, I. Johnstone, R. Tibshirani, *Least angle regression*, Ann. Statist.
//!   32(2), 2004, §2 and §7 (computations).

use faer::{Mat, MatRef};

use crate::error::{DlnError, Result};
use crate::problem::LossScaling;

/// A design matrix and response with the loss `w |y - X x|^2 / 2`, `w = 1/n` (`Mean`) or `1`
/// (`Sum`): the same `lambda` units as [`crate::Problem::from_design`].
///
/// # Example
/// ```
/// use dln_lasso::{Design, Lars, LarsConfig, LossScaling, Problem};
/// use faer::Mat;
///
/// let x = Mat::from_fn(4, 6, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
/// let y = vec![1.0, -2.0, 0.5, 3.0];
/// let lars = Lars::new(LarsConfig::default())?;
/// let a = lars.path_design(&Design::new(x.as_ref(), &y, LossScaling::Mean)?)?;
/// let b = lars.path(&Problem::from_design(x.as_ref(), &y, LossScaling::Mean)?)?;
/// assert!((a.lambdas()[1] - b.lambdas()[1]).abs() < 1e-12);
/// # Ok::<(), dln_lasso::DlnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Design {
    x: Mat<f64>,
    y: Vec<f64>,
    corr: Vec<f64>,
    sq_norms: Vec<f64>,
    weight: f64,
}

impl Design {
    /// Copies a design `x` (`n x p`, one sample per row) and response `y` (length `n`).
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] for a non-finite entry or `n = 0`.
    ///
    /// # Panics
    /// If `y.len() != x.nrows()`.
    #[track_caller]
    pub fn new(x: MatRef<'_, f64>, y: &[f64], scaling: LossScaling) -> Result<Self> {
        assert_eq!(
            x.nrows(),
            y.len(),
            "Design::new: X has {} rows but y has {} entries",
            x.nrows(),
            y.len()
        );
        let (n, p) = (x.nrows(), x.ncols());
        if n == 0 {
            return Err(DlnError::invalid("x.nrows()", n, "at least one sample"));
        }
        if !megavolt_core::linalg::all_finite(x) || y.iter().any(|v| !v.is_finite()) {
            return Err(DlnError::invalid("x, y", "a non-finite entry", "finite entries"));
        }
        let weight = match scaling {
            LossScaling::Mean => 1.0 / n as f64,
            LossScaling::Sum => 1.0,
        };
        let x = x.to_owned();
        let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(u, v)| u * v).sum() };
        let corr = (0..p).map(|j| weight * dot(x.col_as_slice(j), y)).collect();
        let sq_norms = (0..p).map(|j| weight * dot(x.col_as_slice(j), x.col_as_slice(j))).collect();
        Ok(Self { x, y: y.to_vec(), corr, sq_norms, weight })
    }

    /// Number of features `p`.
    pub fn dim(&self) -> usize {
        self.x.ncols()
    }

    /// `r = w X^T y`.
    pub fn corr(&self) -> &[f64] {
        &self.corr
    }

    /// `M_ij = w <X_i, X_j>`.
    pub fn gram_entry(&self, i: usize, j: usize) -> f64 {
        if i == j {
            return self.sq_norms[i];
        }
        let (a, b) = (self.x.col_as_slice(i), self.x.col_as_slice(j));
        self.weight * a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>()
    }

    /// `w X^T v` for a vector `v` of length `n`.
    fn xt_times(&self, v: &[f64]) -> Vec<f64> {
        (0..self.dim())
            .map(|j| {
                self.weight * self.x.col_as_slice(j).iter().zip(v).map(|(a, b)| a * b).sum::<f64>()
            })
            .collect()
    }

    /// `sum_k coef_k X_{idx_k}`.
    fn combine(&self, idx: &[usize], coef: &[f64]) -> Vec<f64> {
        let mut u = vec![0.0; self.x.nrows()];
        for (&j, &c) in idx.iter().zip(coef) {
            if c != 0.0 {
                for (ui, xi) in u.iter_mut().zip(self.x.col_as_slice(j)) {
                    *ui += c * xi;
                }
            }
        }
        u
    }

    /// `M_{:,A} d = w X^T X_A d`.
    pub(crate) fn active_combination(&self, active: &[usize], d: &[f64]) -> Vec<f64> {
        self.xt_times(&self.combine(active, d))
    }

    /// Residual correlations `c = w X^T (y - X x)`.
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn correlations(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.dim(), "vector of length {} for {} features", x.len(), self.dim());
        let idx: Vec<usize> = (0..x.len()).filter(|&j| x[j] != 0.0).collect();
        let coef: Vec<f64> = idx.iter().map(|&j| x[j]).collect();
        let fit = self.combine(&idx, &coef);
        let res: Vec<f64> = self.y.iter().zip(&fit).map(|(a, b)| a - b).collect();
        self.xt_times(&res)
    }

    /// Largest KKT violation of the lasso at `x` for `lambda` (see
    /// [`crate::Problem::kkt_violation`]).
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn kkt_violation(&self, x: &[f64], lambda: f64) -> f64 {
        let c = self.correlations(x);
        x.iter().zip(&c).fold(0.0, |m: f64, (&xj, &cj)| {
            let v = if xj == 0.0 {
                (cj.abs() - lambda).max(0.0)
            } else {
                (cj - lambda * xj.signum()).abs()
            };
            m.max(v)
        })
    }
}
