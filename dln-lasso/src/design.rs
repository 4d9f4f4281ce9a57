//! A regression design kept as `(X, y)` for LARS without the Gram matrix.
//!
//! [`crate::Problem`] stores `M = X^T X / n` (`p x p`): right for `p` up to a few thousand and
//! for every solver of the crate. When `p >> n`, [`Design`] keeps the `n x p` design instead
//! and [`crate::Lars::path_design`] computes each Gram entry it needs (`O(n)` each) and, per
//! knot, the correlations of the columns that a safe bound cannot rule out (`O(n)` each, at
//! most `O(n p)`), as in Efron et al. (2004, §2): no `O(n p^2)` precomputation and no `p^2`
//! storage.
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
    /// [`DlnError::InvalidParameter`] for a non-finite entry, `n = 0`, or data whose products
    /// `X^T y` or `|X_j|^2` overflow or underflow (see [`crate::Problem::from_design`]).
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
        let mut corr = vec![0.0; p];
        faer::linalg::matmul::matmul(
            faer::MatMut::from_column_major_slice_mut(&mut corr, p, 1),
            faer::Accum::Replace,
            x.transpose(),
            MatRef::from_column_major_slice(y, n, 1),
            weight,
            faer::Par::Seq,
        );
        let sq_norms: Vec<f64> = (0..p).map(|j| weight * x.col(j).squared_norm_l2()).collect();
        if corr.iter().chain(&sq_norms).any(|v| !v.is_finite()) {
            return Err(crate::problem::overflow(x.as_ref(), y));
        }
        let yy = weight * y.iter().map(|v| v * v).sum::<f64>();
        crate::problem::check_moments(x.as_ref(), y, |j| sq_norms[j], yy)?;
        Ok(Self { x, y: y.to_vec(), corr, sq_norms, weight })
    }

    /// Number of features `p`.
    pub fn dim(&self) -> usize {
        self.x.ncols()
    }

    /// Number of samples `n`.
    pub fn n_samples(&self) -> usize {
        self.x.nrows()
    }

    /// The design `X` (`n x p`).
    pub fn x(&self) -> MatRef<'_, f64> {
        self.x.as_ref()
    }

    /// The weight `w` of the loss `w |y - X x|^2 / 2`: `1/n` or `1`.
    pub fn weight(&self) -> f64 {
        self.weight
    }

    /// Column `j` of `X`.
    pub(crate) fn column(&self, j: usize) -> &[f64] {
        self.x.col_as_slice(j)
    }

    /// The response `y`.
    pub fn response(&self) -> &[f64] {
        &self.y
    }

    /// `M_jj = w |X_j|^2`.
    ///
    /// # Panics
    /// If `j >= p`.
    #[track_caller]
    pub fn sq_norm(&self, j: usize) -> f64 {
        self.sq_norms[j]
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
        crate::problem::kkt_violation_from_correlations(x, &self.correlations(x), lambda)
    }
}
