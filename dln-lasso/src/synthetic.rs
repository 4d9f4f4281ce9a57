//! Seeded synthetic regression problems: orthogonal designs, correlated Gaussian designs and
//! sparse ground truths.
//!
//! Every generator draws from its own named stream of a [`Seed`] (`"design"`, `"truth"`,
//! `"noise"`, `"test-design"`, `"test-noise"`), so the same seed gives the same numbers
//! whatever else is generated.

use faer::Mat;
use megavolt_core::Seed;
use megavolt_core::rng::gaussian_mat;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{DlnError, Result, non_negative, positive};

/// An `n x p` design with `X^T X / n = I` (`p <= n`): a Gaussian matrix orthonormalised by
/// modified Gram–Schmidt (applied twice) and scaled by `sqrt(n)`.
///
/// # Errors
/// [`DlnError::InvalidParameter`] if `p > n` or `p = 0`.
///
/// # Example
/// ```
/// let x = dln_lasso::synthetic::orthogonal_design(20, 3, megavolt_core::Seed::new(1))?;
/// let m00: f64 = (0..20).map(|i| x[(i, 0)] * x[(i, 0)]).sum::<f64>() / 20.0;
/// assert!((m00 - 1.0).abs() < 1e-12);
/// # Ok::<(), dln_lasso::DlnError>(())
/// ```
pub fn orthogonal_design(n: usize, p: usize, seed: Seed) -> Result<Mat<f64>> {
    if p == 0 || p > n {
        return Err(DlnError::invalid("p", p, "1 <= p <= n"));
    }
    let mut q = gaussian_mat(&mut seed.stream("design"), n, p, 1.0);
    for _pass in 0..2 {
        for j in 0..p {
            for k in 0..j {
                let dot: f64 = (0..n).map(|i| q[(i, j)] * q[(i, k)]).sum();
                for i in 0..n {
                    q[(i, j)] -= dot * q[(i, k)];
                }
            }
            let norm: f64 = (0..n).map(|i| q[(i, j)] * q[(i, j)]).sum::<f64>().sqrt();
            for i in 0..n {
                q[(i, j)] /= norm;
            }
        }
    }
    let s = (n as f64).sqrt();
    Ok(Mat::from_fn(n, p, |i, j| s * q[(i, j)]))
}

/// An `n x p` Gaussian design whose rows have the Toeplitz covariance `rho^|j - k|`, built by the
/// AR(1) recursion `x_0 = z_0`, `x_j = rho x_{j-1} + sqrt(1 - rho^2) z_j` along each row.
///
/// # Errors
/// [`DlnError::InvalidParameter`] if `|rho| >= 1` or `rho` is not finite.
pub fn correlated_design(
    n: usize,
    p: usize,
    rho: f64,
    seed: Seed,
    label: &str,
) -> Result<Mat<f64>> {
    if !(rho.is_finite() && rho.abs() < 1.0) {
        return Err(DlnError::invalid("rho", rho, "|rho| < 1"));
    }
    let z = gaussian_mat(&mut seed.stream(label), n, p, 1.0);
    let c = (1.0 - rho * rho).sqrt();
    let mut x = Mat::zeros(n, p);
    for i in 0..n {
        for j in 0..p {
            x[(i, j)] = if j == 0 { z[(i, 0)] } else { rho * x[(i, j - 1)] + c * z[(i, j)] };
        }
    }
    Ok(x)
}

/// A `k`-sparse vector of length `p`: `k` distinct positions drawn uniformly, entries
/// `amplitude * (1 + U)` with `U` uniform on `[0, 1)` and a random sign (positive only when
/// `nonneg`).
///
/// # Errors
/// [`DlnError::InvalidParameter`] if `k > p` or `amplitude` is not finite and positive.
pub fn sparse_truth(
    p: usize,
    k: usize,
    amplitude: f64,
    nonneg: bool,
    seed: Seed,
) -> Result<Vec<f64>> {
    if k > p {
        return Err(DlnError::invalid("k", k, "k <= p"));
    }
    positive("amplitude", amplitude)?;
    let mut rng = seed.stream("truth");
    let mut idx: Vec<usize> = (0..p).collect();
    // Partial Fisher–Yates shuffle: the first k entries are a uniform k-subset.
    for i in 0..k {
        let j = rng.random_range(i..p);
        idx.swap(i, j);
    }
    let mut beta = vec![0.0; p];
    for &i in &idx[..k] {
        let mag = amplitude * (1.0 + rng.random::<f64>());
        let sign = if nonneg || rng.random::<bool>() { 1.0 } else { -1.0 };
        beta[i] = sign * mag;
    }
    Ok(beta)
}

/// A sparse linear model `y = X beta + noise` with a correlated Gaussian design and an
/// independent test set.
///
/// | field | meaning | default | valid range |
/// |---|---|---|---|
/// | `n_train` | training samples | 100 | `>= 1` |
/// | `n_test` | test samples | 1000 | `>= 1` |
/// | `p` | features | 50 | `>= 1` |
/// | `k` | non-zeros of `beta` | 5 | `<= p` |
/// | `rho` | design correlation `rho^abs(j - k)` | 0.5 | `(-1, 1)` |
/// | `amplitude` | magnitude scale of `beta` | 1 | `> 0` |
/// | `noise_std` | standard deviation of the noise | 0.5 | `>= 0` |
/// | `nonneg` | non-negative `beta` | false | |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SparseRegression {
    /// Training samples.
    pub n_train: usize,
    /// Test samples.
    pub n_test: usize,
    /// Features.
    pub p: usize,
    /// Non-zero coefficients.
    pub k: usize,
    /// Correlation parameter of the design.
    pub rho: f64,
    /// Magnitude scale of the non-zero coefficients.
    pub amplitude: f64,
    /// Noise standard deviation.
    pub noise_std: f64,
    /// Non-negative truth.
    pub nonneg: bool,
}

impl Default for SparseRegression {
    fn default() -> Self {
        Self {
            n_train: 100,
            n_test: 1000,
            p: 50,
            k: 5,
            rho: 0.5,
            amplitude: 1.0,
            noise_std: 0.5,
            nonneg: false,
        }
    }
}

/// A generated sparse regression: training and test sets (raw, not standardised) and the truth.
#[derive(Debug, Clone)]
pub struct SparseSample {
    /// Training set.
    pub train: Dataset,
    /// Test set, from the same distribution.
    pub test: Dataset,
    /// The true coefficients.
    pub beta: Vec<f64>,
}

impl SparseRegression {
    /// Draws a training and a test set.
    ///
    /// # Errors
    /// [`DlnError::InvalidParameter`] naming the first invalid field.
    pub fn generate(&self, seed: Seed) -> Result<SparseSample> {
        if self.n_train == 0 || self.n_test == 0 || self.p == 0 {
            return Err(DlnError::invalid(
                "n_train, n_test, p",
                format!("{}, {}, {}", self.n_train, self.n_test, self.p),
                "all >= 1",
            ));
        }
        non_negative("noise_std", self.noise_std)?;
        let beta = sparse_truth(self.p, self.k, self.amplitude, self.nonneg, seed)?;
        let names: Vec<String> = (0..self.p).map(|j| format!("x{j}")).collect();
        let make = |n: usize, design: &str, noise: &str| -> Result<Dataset> {
            let x = correlated_design(n, self.p, self.rho, seed, design)?;
            let mut rng = seed.stream(noise);
            let y = (0..n)
                .map(|i| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    (0..self.p).map(|j| x[(i, j)] * beta[j]).sum::<f64>() + self.noise_std * z
                })
                .collect();
            Ok(Dataset::standardized(x, y, names.clone(), crate::data::Standardization::Raw))
        };
        Ok(SparseSample {
            train: make(self.n_train, "design", "noise")?,
            test: make(self.n_test, "test-design", "test-noise")?,
            beta,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_design_is_orthogonal() {
        let x = orthogonal_design(50, 7, Seed::new(3)).unwrap();
        for j in 0..7 {
            for k in 0..7 {
                let m: f64 = (0..50).map(|i| x[(i, j)] * x[(i, k)]).sum::<f64>() / 50.0;
                let want = if j == k { 1.0 } else { 0.0 };
                assert!((m - want).abs() < 50.0 * f64::EPSILON, "M[{j},{k}] = {m}");
            }
        }
        assert!(orthogonal_design(3, 4, Seed::new(0)).is_err());
    }

    #[test]
    fn sparse_truth_has_k_nonzeros_and_is_reproducible() {
        let a = sparse_truth(30, 4, 1.0, false, Seed::new(9)).unwrap();
        let b = sparse_truth(30, 4, 1.0, false, Seed::new(9)).unwrap();
        assert_eq!(a.iter().filter(|v| **v != 0.0).count(), 4);
        assert!(a.iter().zip(&b).all(|(u, v)| u.to_bits() == v.to_bits()));
        assert!(sparse_truth(3, 4, 1.0, false, Seed::new(9)).is_err());
    }

    #[test]
    fn correlated_design_has_ar1_correlation() {
        // Sample correlation of neighbouring columns: rho within a few standard errors.
        let x = correlated_design(20000, 3, 0.6, Seed::new(5), "design").unwrap();
        let c: f64 = (0..20000).map(|i| x[(i, 0)] * x[(i, 1)]).sum::<f64>() / 20000.0;
        assert!((c - 0.6).abs() < 5.0 * (1.0 + 0.36_f64).sqrt() / (20000f64).sqrt(), "corr {c}");
        assert!(correlated_design(2, 2, 1.0, Seed::new(5), "design").is_err());
    }
}
