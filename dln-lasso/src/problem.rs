//! The quadratic loss shared by every solver of the crate, in Gram form.
//!
//! ```text
//! l(x) = 1/2 <x, M x> - <r, x> + c,        grad l(x) = M x - r,
//! lasso(lambda) = argmin_x l(x) + lambda |x|_1
//! ```
//!
//! From a design `X` (`n x p`) and a response `y`, the default [`LossScaling::Mean`] gives
//! `M = X^T X / n`, `r = X^T y / n`, `c = |y|^2 / (2n)`, so that `l(x) = |y - X x|^2 / (2n)`: the
//! scaling of scikit-learn's `Lasso(alpha = lambda)` and of Berthier (2025), with
//! `lambda_max = |r|_inf`. [`LossScaling::Sum`] gives `l(x) = |y - X x|^2 / 2` (Efron et al.,
//! Tibshirani), whose `lambda` is `n` times larger.
//!
//! # References
//! - R. Berthier, *Diagonal linear networks and the lasso regularization path*, 2025, §2.
//! - R. Tibshirani, *The lasso problem and uniqueness*, Electron. J. Statist. 7, 2013, §2 (KKT).

use faer::{Mat, MatRef, Side};
use serde::{Deserialize, Serialize};

use crate::error::{DlnError, Result};

/// The error for data whose second moments overflow.
pub(crate) fn overflow(x: MatRef<'_, f64>, y: &[f64]) -> DlnError {
    let largest = megavolt_core::linalg::max_abs(x).max(y.iter().fold(0.0, |m, v| m.max(v.abs())));
    DlnError::invalid(
        "x, y",
        format!("entries up to {largest:e}, whose products overflow"),
        "data with finite second moments X^T X and X^T y (rescale the data)",
    )
}

/// Checks that the second moments of the data are finite and, for non-zero columns and a
/// non-zero response, in the normal range of doubles: `diag(j)` is `w |X_j|^2` and `yy` is
/// `w |y|^2`. Below the normal range the products lose their precision (entries below about
/// `1e-154`), and an underflow to zero would silently give a zero path.
pub(crate) fn check_moments(
    x: MatRef<'_, f64>,
    y: &[f64],
    diag: impl Fn(usize) -> f64,
    yy: f64,
) -> Result<()> {
    let y_nonzero = y.iter().any(|v| *v != 0.0);
    let mut tiny = y_nonzero && yy < f64::MIN_POSITIVE;
    for j in 0..x.ncols() {
        let col_nonzero = (0..x.nrows()).any(|i| x[(i, j)] != 0.0);
        tiny |= col_nonzero && diag(j) < f64::MIN_POSITIVE;
    }
    if tiny {
        let smallest = (0..x.ncols())
            .flat_map(|j| (0..x.nrows()).map(move |i| (i, j)))
            .map(|(i, j)| x[(i, j)].abs())
            .chain(y.iter().map(|v| v.abs()))
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        return Err(DlnError::invalid(
            "x, y",
            format!("entries as small as {smallest:e}, whose products underflow"),
            "data with second moments in the normal range of doubles (rescale the data)",
        ));
    }
    Ok(())
}

/// How a design `(X, y)` is turned into the quadratic loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum LossScaling {
    /// `l(x) = |y - X x|^2 / (2n)` (scikit-learn, glmnet, Berthier 2025). Default.
    #[default]
    Mean,
    /// `l(x) = |y - X x|^2 / 2` (Efron et al. 2004, Tibshirani 1996).
    Sum,
}

/// A convex quadratic `l(x) = 1/2 <x, M x> - <r, x> + c` with `M` symmetric positive
/// semi-definite, the common input of LARS, coordinate descent and the network flows.
///
/// | field | meaning | valid range |
/// |---|---|---|
/// | `gram` | `M`, `p x p` | symmetric, positive semi-definite, finite |
/// | `corr` | `r`, length `p` | finite, in the range of `M` |
/// | `yy` | `2c`, i.e. `|y|^2 / n` | `>= <r, M^+ r>` |
///
/// # Example
/// ```
/// use dln_lasso::Problem;
/// use faer::Mat;
///
/// let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0])?;
/// assert_eq!(p.lambda_max(), 3.0);
/// // On an orthogonal design the lasso is soft-thresholding.
/// assert!(p.kkt_violation(&[2.0, 1.0, 0.0], 1.0) < 1e-15);
/// # Ok::<(), dln_lasso::DlnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Problem {
    gram: Mat<f64>,
    corr: Vec<f64>,
    yy: f64,
    n_samples: Option<usize>,
    scaling: LossScaling,
}

impl Problem {
    /// Builds the loss of a regression design `x` (`n x p`, one sample per row) and response
    /// `y` (length `n`). Centre the data first (see [`crate::data::Standardization`]) if an
    /// unpenalised intercept is wanted.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] if `x` or `y` has a non-finite entry, if `n = 0`, or if
    /// the products `X^T X` or `X^T y` overflow (entries beyond about `1e154`) or underflow
    /// (a non-zero column or response of squared norm below `f64::MIN_POSITIVE`). Rescale
    /// such data: the path of `(a X, b y)` is that of `(X, y)` with knots times `a b` and
    /// coefficients times `b / a`.
    ///
    /// # Panics
    /// If `y.len() != x.nrows()`.
    #[track_caller]
    pub fn from_design(x: MatRef<'_, f64>, y: &[f64], scaling: LossScaling) -> Result<Self> {
        assert_eq!(
            x.nrows(),
            y.len(),
            "Problem::from_design: X has {} rows but y has {} entries",
            x.nrows(),
            y.len()
        );
        let (n, p) = (x.nrows(), x.ncols());
        if n == 0 {
            return Err(DlnError::invalid("x.nrows()", n, "at least one sample"));
        }
        if let Some(v) = y.iter().find(|v| !v.is_finite()) {
            return Err(DlnError::invalid("y", v, "finite entries"));
        }
        if !megavolt_core::linalg::all_finite(x) {
            return Err(DlnError::invalid("x", "a non-finite entry", "finite entries"));
        }
        let w = match scaling {
            LossScaling::Mean => 1.0 / n as f64,
            LossScaling::Sum => 1.0,
        };
        let mut gram = Mat::<f64>::zeros(p, p);
        faer::linalg::matmul::matmul(
            gram.as_mut(),
            faer::Accum::Replace,
            x.transpose(),
            x,
            w,
            faer::Par::Seq,
        );
        // Exact symmetry, so that later symmetric solves see the same matrix on both sides.
        for j in 0..p {
            for i in 0..j {
                let v = 0.5 * (gram[(i, j)] + gram[(j, i)]);
                gram[(i, j)] = v;
                gram[(j, i)] = v;
            }
        }
        let corr: Vec<f64> =
            (0..p).map(|j| w * (0..n).map(|i| x[(i, j)] * y[i]).sum::<f64>()).collect();
        let yy = w * y.iter().map(|v| v * v).sum::<f64>();
        if !megavolt_core::linalg::all_finite(gram.as_ref())
            || !yy.is_finite()
            || corr.iter().any(|v| !v.is_finite())
        {
            return Err(overflow(x, y));
        }
        check_moments(x, y, |j| gram[(j, j)], yy)?;
        Ok(Self { gram, corr, yy, n_samples: Some(n), scaling })
    }

    /// Builds the quadratic from `M` and `r` directly. The constant is chosen as the smallest
    /// that makes `l >= 0`, `c = <r, M^+ r> / 2`, as if `y` lay in the column space of `X`.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] if `M` is not finite, symmetric (to relative `1e-12`)
    /// and positive semi-definite (eigenvalues `>= -1e-10 |M|`), if `r` is not finite, or if
    /// `r` has a component along the null space of `M` (the loss would be unbounded below).
    ///
    /// # Panics
    /// If `M` is not square of size `r.len()`.
    #[track_caller]
    pub fn from_gram(gram: Mat<f64>, corr: Vec<f64>) -> Result<Self> {
        let p = corr.len();
        assert!(
            gram.nrows() == p && gram.ncols() == p,
            "Problem::from_gram: M is {}x{} but r has {} entries",
            gram.nrows(),
            gram.ncols(),
            p
        );
        if !megavolt_core::linalg::all_finite(gram.as_ref()) {
            return Err(DlnError::invalid("gram", "a non-finite entry", "finite entries"));
        }
        if let Some(v) = corr.iter().find(|v| !v.is_finite()) {
            return Err(DlnError::invalid("corr", v, "finite entries"));
        }
        let scale = megavolt_core::linalg::max_abs(gram.as_ref()).max(f64::MIN_POSITIVE);
        for j in 0..p {
            for i in 0..j {
                if (gram[(i, j)] - gram[(j, i)]).abs() > 1e-12 * scale {
                    return Err(DlnError::invalid(
                        "gram",
                        format!("M[{i},{j}] != M[{j},{i}]"),
                        "a symmetric matrix",
                    ));
                }
            }
        }
        let evd = gram.self_adjoint_eigen(Side::Lower).map_err(|e| {
            DlnError::invalid(
                "gram",
                format!("{e:?}"),
                "a matrix with a computable eigendecomposition",
            )
        })?;
        let (u, s) = (evd.U(), evd.S().column_vector());
        let mut yy = 0.0;
        let rnorm = corr.iter().map(|v| v * v).sum::<f64>().sqrt();
        for k in 0..p {
            let proj: f64 = (0..p).map(|i| u[(i, k)] * corr[i]).sum();
            if s[k] < -1e-10 * scale {
                return Err(DlnError::invalid(
                    "gram",
                    format!("eigenvalue {:e}", s[k]),
                    "a positive semi-definite matrix",
                ));
            }
            if s[k] <= 1e-12 * scale * p as f64 {
                if proj.abs() > 1e-9 * rnorm.max(f64::MIN_POSITIVE) {
                    return Err(DlnError::invalid(
                        "corr",
                        format!("component {proj:e} along the null space of M"),
                        "a vector in the range of M",
                    ));
                }
            } else {
                yy += proj * proj / s[k];
            }
        }
        Ok(Self { gram, corr, yy, n_samples: None, scaling: LossScaling::Mean })
    }

    /// Replaces the constant `2c` (for example by `|y|^2 / n` when only `M` and `r` are known).
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] if `yy` is not finite.
    pub fn with_yy(mut self, yy: f64) -> Result<Self> {
        if !yy.is_finite() {
            return Err(DlnError::invalid("yy", yy, "a finite number"));
        }
        self.yy = yy;
        Ok(self)
    }

    /// Number of coordinates `p`.
    pub fn dim(&self) -> usize {
        self.corr.len()
    }

    /// The Gram matrix `M`.
    pub fn gram(&self) -> MatRef<'_, f64> {
        self.gram.as_ref()
    }

    /// Column `j` of `M` as a slice.
    ///
    /// # Panics
    /// If `j >= p`.
    #[track_caller]
    pub fn gram_col(&self, j: usize) -> &[f64] {
        self.gram.col_as_slice(j)
    }

    /// The correlation vector `r`.
    pub fn corr(&self) -> &[f64] {
        &self.corr
    }

    /// Twice the constant of the loss, `|y|^2 / n` for a design.
    pub fn yy(&self) -> f64 {
        self.yy
    }

    /// Number of samples, when built from a design.
    pub fn n_samples(&self) -> Option<usize> {
        self.n_samples
    }

    /// The scaling the problem was built with.
    pub fn scaling(&self) -> LossScaling {
        self.scaling
    }

    /// `lambda_max = |r|_inf`: the lasso solution is `0` exactly for `lambda >= lambda_max`.
    pub fn lambda_max(&self) -> f64 {
        self.corr.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// `M x`.
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn gram_times(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(
            x.len(),
            self.dim(),
            "vector of length {} for a problem of dimension {}",
            x.len(),
            self.dim()
        );
        let p = self.dim();
        let mut out = vec![0.0; p];
        for (j, &xj) in x.iter().enumerate() {
            if xj != 0.0 {
                let col = self.gram.col_as_slice(j);
                for i in 0..p {
                    out[i] += col[i] * xj;
                }
            }
        }
        out
    }

    /// The gradient `grad l(x) = M x - r`.
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let mut g = self.gram_times(x);
        for (gi, ri) in g.iter_mut().zip(&self.corr) {
            *gi -= ri;
        }
        g
    }

    /// The residual correlations `c = r - M x = -grad l(x)` (`X^T (y - X x) / n`).
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn correlations(&self, x: &[f64]) -> Vec<f64> {
        self.gradient(x).into_iter().map(|g| -g).collect()
    }

    /// The loss `l(x)`.
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn loss(&self, x: &[f64]) -> f64 {
        let mx = self.gram_times(x);
        let quad: f64 = x.iter().zip(&mx).map(|(a, b)| a * b).sum();
        let lin: f64 = x.iter().zip(&self.corr).map(|(a, b)| a * b).sum();
        0.5 * quad - lin + 0.5 * self.yy
    }

    /// The lasso objective `l(x) + lambda |x|_1`.
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn objective(&self, x: &[f64], lambda: f64) -> f64 {
        self.loss(x) + lambda * x.iter().map(|v| v.abs()).sum::<f64>()
    }

    /// Largest violation of the lasso optimality (KKT) conditions at `x` for `lambda`:
    /// `max( max_{x_j != 0} |c_j - lambda sign(x_j)|, max_{x_j = 0} (|c_j| - lambda)_+ )`
    /// with `c = r - M x`. Zero exactly when `x` is a lasso solution.
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn kkt_violation(&self, x: &[f64], lambda: f64) -> f64 {
        kkt_violation_from_correlations(x, &self.correlations(x), lambda)
    }

    /// KKT violation for the non-negative lasso `min l(x) + lambda sum x` over `x >= 0`:
    /// `c_j = lambda` where `x_j > 0`, `c_j <= lambda` where `x_j = 0`, and `x_j >= 0`.
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn kkt_violation_nonneg(&self, x: &[f64], lambda: f64) -> f64 {
        let c = self.correlations(x);
        x.iter().zip(&c).fold(0.0, |m: f64, (&xj, &cj)| {
            let v = if xj > 0.0 { (cj - lambda).abs() } else { (cj - lambda).max(0.0).max(-xj) };
            m.max(v)
        })
    }

    /// Duality gap of the lasso at `x` (non-negative lasso when `nonneg`), with the dual point
    /// obtained by rescaling the residual into the dual feasible set (as scikit-learn does):
    /// `gap = (1 + t^2) q / 2 + lambda |x|_1 - t (yy - <r, x>)`, `q = yy - 2<r, x> + <x, M x>`,
    /// `t = min(1, lambda / |c|_inf)` (for `nonneg`, `|c|_inf` becomes `max_j c_j`).
    ///
    /// # Panics
    /// If `x.len() != p`.
    #[track_caller]
    pub fn duality_gap(&self, x: &[f64], lambda: f64, nonneg: bool) -> f64 {
        let mx = self.gram_times(x);
        let c = self.correlations(x);
        self.gap_from_parts(x, &mx, &c, lambda, nonneg)
    }

    pub(crate) fn gap_from_parts(
        &self,
        x: &[f64],
        mx: &[f64],
        c: &[f64],
        lambda: f64,
        nonneg: bool,
    ) -> f64 {
        let xmx: f64 = x.iter().zip(mx).map(|(a, b)| a * b).sum();
        let rx: f64 = x.iter().zip(&self.corr).map(|(a, b)| a * b).sum();
        let l1: f64 = x.iter().map(|v| v.abs()).sum();
        let q = (self.yy - 2.0 * rx + xmx).max(0.0);
        let cmax = if nonneg {
            c.iter().fold(0.0_f64, |m, v| m.max(*v))
        } else {
            c.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
        };
        let t = if cmax > lambda { lambda / cmax } else { 1.0 };
        0.5 * (1.0 + t * t) * q + lambda * l1 - t * (self.yy - rx)
    }
}

/// The lasso KKT violation of `x` given its correlations `c = X^T (y - X x)` (scaled like the
/// loss): see [`Problem::kkt_violation`].
pub(crate) fn kkt_violation_from_correlations(x: &[f64], c: &[f64], lambda: f64) -> f64 {
    x.iter().zip(c).fold(0.0, |m: f64, (&xj, &cj)| {
        let v = if xj == 0.0 {
            (cj.abs() - lambda).max(0.0)
        } else {
            (cj - lambda * xj.signum()).abs()
        };
        m.max(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_and_gram_forms_agree() {
        let x = megavolt_core::linalg::mat_from_rows(&[&[1.0, 0.0], &[0.0, 2.0], &[1.0, 1.0]]);
        let y = [1.0, 2.0, 3.0];
        let p = Problem::from_design(x.as_ref(), &y, LossScaling::Mean).unwrap();
        // l(x) = |y - X x|^2 / (2n) evaluated directly.
        let z = [0.3, -0.7];
        let res: f64 = (0..3).map(|i| (y[i] - x[(i, 0)] * z[0] - x[(i, 1)] * z[1]).powi(2)).sum();
        assert!((p.loss(&z) - res / 6.0).abs() < 1e-14);
        let q = Problem::from_gram(p.gram().to_owned(), p.corr().to_vec()).unwrap();
        // Full-rank M: the minimum of the loss is at M^-1 r, where l = (yy - <r, M^-1 r>) / 2.
        assert!(q.yy() <= p.yy());
        let s = Problem::from_design(x.as_ref(), &y, LossScaling::Sum).unwrap();
        assert!((s.lambda_max() - 3.0 * p.lambda_max()).abs() < 1e-14);
    }

    #[test]
    fn rejects_bad_gram() {
        let m = megavolt_core::linalg::mat_from_rows(&[&[1.0, 2.0], &[2.0, 1.0]]);
        assert!(Problem::from_gram(m, vec![1.0, 0.0]).is_err());
        let m = megavolt_core::linalg::mat_from_rows(&[&[1.0, 1.0], &[1.0, 1.0]]);
        assert!(Problem::from_gram(m.clone(), vec![1.0, 0.0]).is_err());
        assert!(Problem::from_gram(m, vec![1.0, 1.0]).is_ok());
    }

    #[test]
    fn duality_gap_vanishes_at_solution() {
        let p = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap();
        let x = [2.0, 1.0, 0.0];
        assert!(p.duality_gap(&x, 1.0, false).abs() < 1e-14);
        assert!(p.duality_gap(&[0.0; 3], 1.0, false) > 0.1);
        assert!(p.kkt_violation_nonneg(&[2.0, 1.0, 0.0], 1.0) < 1e-15);
    }
}
