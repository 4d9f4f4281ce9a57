//! Operator norms of matrices in the l1, l2 and l-infinity norms, and a certified pairing of
//! power iteration with an upper bound of the spectral norm.
//!
//! | norm | operator norm of `W` (`m x n`) | cost |
//! |---|---|---|
//! | [`Norm::L1`] | largest absolute column sum, `max_j sum_i |w_ij|` | `O(mn)` |
//! | [`Norm::L2`] | largest singular value `sigma_1(W)` (faer SVD) | `O(mn min(m, n))` |
//! | [`Norm::LInf`] | largest absolute row sum, `max_i sum_j |w_ij|` | `O(mn)` |
//!
//! Power iteration on `W^T W` gives a Rayleigh estimate `sigma_hat_k <= sigma_1`, so it is a
//! *lower* bound. [`power_iteration`] pairs it with the certified upper bound
//! `min(sqrt(|W|_1 |W|_inf), tr((W^T W)^(2^s))^(1 / 2^(s+1)))`.

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, MatRef, Par};
use megavolt_core::math::norm2;
use serde::{Deserialize, Serialize};

use crate::error::{LipError, Result};

/// The vector norm in which a Lipschitz constant is measured (same norm on input and output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// `|x|_1 = sum |x_i|`.
    L1,
    /// `|x|_2`, the Euclidean norm.
    L2,
    /// `|x|_inf = max |x_i|`.
    LInf,
}

impl Norm {
    /// All three norms.
    pub const ALL: [Norm; 3] = [Norm::L1, Norm::L2, Norm::LInf];

    /// `"l1"`, `"l2"` or `"linf"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Norm::L1 => "l1",
            Norm::L2 => "l2",
            Norm::LInf => "linf",
        }
    }

    /// The norm of a vector (`0` if empty, NaN if an entry is NaN); in l2 without overflow or
    /// underflow of the squares ([`megavolt_core::math::norm2`]).
    ///
    /// ```
    /// use lipschitz::Norm;
    /// assert_eq!(Norm::L2.vector(&[3.0, 4.0]), 5.0);
    /// assert_eq!(Norm::L2.vector(&[3e300, 4e300]), 5e300);
    /// assert!((Norm::L2.vector(&[3e-300, 4e-300]) / 5e-300 - 1.0).abs() < 4.0 * f64::EPSILON);
    /// ```
    pub fn vector(self, x: &[f64]) -> f64 {
        match self {
            Norm::L1 => x.iter().fold(0.0, |s, v| s + v.abs()),
            Norm::L2 => norm2(x),
            Norm::LInf => {
                x.iter().fold(
                    0.0,
                    |m: f64, v| {
                        if m.is_nan() || v.is_nan() { f64::NAN } else { m.max(v.abs()) }
                    },
                )
            }
        }
    }
}

/// The operator norm `|W|_{p -> p}` of `W` in the norm `norm` (see the module table).
///
/// ```
/// use lipschitz::{Norm, operator_norm};
/// let w = faer::mat![[3.0, 0.0], [4.0, 0.0]];
/// assert!((operator_norm(w.as_ref(), Norm::L2)? - 5.0).abs() < 1e-12);
/// assert!((operator_norm(w.as_ref(), Norm::L1)? - 7.0).abs() < 1e-12);
/// assert!((operator_norm(w.as_ref(), Norm::LInf)? - 4.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] naming `w` if an entry is NaN or infinite;
/// [`LipError::Decomposition`] if the SVD (l2 only) does not converge.
pub fn operator_norm(w: MatRef<'_, f64>, norm: Norm) -> Result<f64> {
    check_finite(w)?;
    if w.nrows() == 0 || w.ncols() == 0 {
        return Ok(0.0);
    }
    Ok(match norm {
        Norm::L1 => (0..w.ncols())
            .map(|j| (0..w.nrows()).map(|i| w[(i, j)].abs()).sum::<f64>())
            .fold(0.0, f64::max),
        Norm::LInf => (0..w.nrows())
            .map(|i| (0..w.ncols()).map(|j| w[(i, j)].abs()).sum::<f64>())
            .fold(0.0, f64::max),
        Norm::L2 => spectral_norm(w)?,
    })
}

/// The spectral norm `sigma_1(W)` from faer's singular values.
///
/// # Errors
/// [`LipError::InvalidParameter`] naming `w` if an entry is NaN or infinite;
/// [`LipError::Decomposition`] if the SVD does not converge.
pub fn spectral_norm(w: MatRef<'_, f64>) -> Result<f64> {
    check_finite(w)?;
    if w.nrows() == 0 || w.ncols() == 0 {
        return Ok(0.0);
    }
    let sv = w
        .singular_values()
        .map_err(|_| LipError::Decomposition { rows: w.nrows(), cols: w.ncols() })?;
    Ok(sv.first().copied().unwrap_or(0.0))
}

/// An error naming `w` if an entry of the matrix is NaN or infinite.
fn check_finite(w: MatRef<'_, f64>) -> Result<()> {
    for j in 0..w.ncols() {
        for i in 0..w.nrows() {
            if !w[(i, j)].is_finite() {
                return Err(LipError::invalid(
                    "w",
                    format!("{} at ({i}, {j})", w[(i, j)]),
                    "a matrix of finite entries",
                ));
            }
        }
    }
    Ok(())
}

/// The entrywise absolute value `|W|`.
pub fn abs_mat(w: MatRef<'_, f64>) -> Mat<f64> {
    Mat::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)].abs())
}

/// `a * b` with sequential kernels.
///
/// # Panics
/// If the inner dimensions differ.
#[track_caller]
pub fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    assert_eq!(a.ncols(), b.nrows(), "mul: inner dimensions differ");
    let mut c = Mat::zeros(a.nrows(), b.ncols());
    matmul(c.as_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    c
}

/// `m <- f m` in place.
pub(crate) fn scale_in_place(m: &mut Mat<f64>, f: f64) {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            m[(i, j)] *= f;
        }
    }
}

/// Result of [`power_iteration`]: a certified bracket `lower <= sigma_1(W) <= upper`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerBracket {
    /// Rayleigh estimates `sigma_hat_k = |W v_k|` with `|v_k| = 1`, one per iteration; each
    /// is a lower bound of `sigma_1` and the sequence is non-decreasing.
    pub history: Vec<f64>,
    /// The last Rayleigh estimate, a lower bound.
    pub lower: f64,
    /// A certified upper bound: the smaller of `sqrt(|W|_1 |W|_inf)` and the trace bound.
    pub upper: f64,
    /// The last iterate `v_k` (a unit right singular vector estimate).
    pub v: Vec<f64>,
}

/// Power iteration `v <- W^T W v / |W^T W v|` from a deterministic start, with a certified
/// upper bound.
///
/// The Rayleigh quotient `|W v|` of a unit vector never exceeds `sigma_1`, and for the power
/// iterates it is non-decreasing in `k`, so `history` approaches `sigma_1` from below with error
/// `O((sigma_2 / sigma_1)^(2k))`. The upper bound uses `sigma_1 <= sqrt(|W|_1 |W|_inf)` and
/// `sigma_1^(2q) <= tr((W^T W)^q) <= r sigma_1^(2q)` (`r` the rank) with `q = 2^s` from `s`
/// repeated squarings of the Gram matrix (rescaled at each squaring to avoid overflow), so the
/// trace bound overestimates by at most the factor `r^(1/(2q))`.
///
/// | parameter | meaning | valid |
/// |---|---|---|
/// | `iters` | power iterations | `>= 1` |
/// | `squarings` | `s`, squarings of `W^T W` for the trace bound | `0..=10` |
///
/// ```
/// use lipschitz::power_iteration;
/// let w = faer::mat![[3.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]];
/// let b = power_iteration(w.as_ref(), 30, 5)?;
/// assert!(b.lower <= 3.0 && 3.0 <= b.upper && b.upper < 3.1);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if `iters == 0`, `squarings > 10`, or an entry of `w` is NaN
/// or infinite.
///
/// # References
/// G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., 2013, section 8.2.1.
pub fn power_iteration(w: MatRef<'_, f64>, iters: usize, squarings: u32) -> Result<PowerBracket> {
    if iters == 0 {
        return Err(LipError::invalid("iters", iters, "at least 1"));
    }
    if squarings > 10 {
        return Err(LipError::invalid("squarings", squarings, "at most 10"));
    }
    check_finite(w)?;
    let n = w.ncols();
    // Deterministic start with all components non-zero (and not aligned to a basis vector).
    let mut v = Col::<f64>::from_fn(n, |i| 1.0 + 0.1 * ((i * 7 + 3) % 11) as f64);
    normalise(&mut v);
    let mut history = Vec::with_capacity(iters);
    for _ in 0..iters {
        let wv = w * &v;
        let sigma = wv.norm_l2();
        history.push(sigma);
        let mut next = w.transpose() * &wv;
        if next.norm_l2() == 0.0 {
            break;
        }
        normalise(&mut next);
        v = next;
    }
    let lower = history.last().copied().unwrap_or(0.0);
    let norm1 = operator_norm(w, Norm::L1)?;
    let norminf = operator_norm(w, Norm::LInf)?;
    let upper = (norm1 * norminf).sqrt().min(trace_bound(w, squarings));
    Ok(PowerBracket { history, lower, upper, v: v.iter().copied().collect() })
}

fn normalise(v: &mut Col<f64>) {
    let s = v.norm_l2();
    if s > 0.0 {
        v.iter_mut().for_each(|x| *x /= s);
    }
}

/// `tr((W^T W)^q)^(1/(2q))` with `q = 2^s`, computed in log scale.
fn trace_bound(w: MatRef<'_, f64>, squarings: u32) -> f64 {
    let small = if w.nrows() < w.ncols() { mul(w, w.transpose()) } else { mul(w.transpose(), w) };
    let mut g = small;
    let mut log_scale = 0.0; // g_true = exp(log_scale) * g
    let mut power = 1.0_f64;
    for _ in 0..squarings {
        let tr: f64 = (0..g.nrows()).map(|i| g[(i, i)]).sum();
        if tr <= 0.0 {
            return 0.0;
        }
        scale_in_place(&mut g, 1.0 / tr);
        log_scale += tr.ln();
        g = mul(g.as_ref(), g.as_ref());
        log_scale *= 2.0;
        power *= 2.0;
    }
    let tr: f64 = (0..g.nrows()).map(|i| g[(i, i)]).sum();
    if tr <= 0.0 {
        return 0.0;
    }
    // Rounding in the Gram products is relative O(n eps); inflate by it to stay certified.
    let slack = 1.0 + 8.0 * f64::EPSILON * (w.nrows() + w.ncols()) as f64 * (power + 1.0);
    ((tr.ln() + log_scale) / (2.0 * power)).exp() * slack
}

#[cfg(test)]
mod tests {
    use super::*;
    use megavolt_core::Seed;
    use megavolt_core::rng::gaussian_mat;

    #[test]
    fn power_iteration_on_diagonal_approaches_from_below() {
        let w = Mat::from_fn(3, 3, |i, j| if i == j { [3.0, 2.0, 1.0][i] } else { 0.0 });
        let b = power_iteration(w.as_ref(), 40, 6).unwrap();
        for pair in b.history.windows(2) {
            assert!(pair[1] >= pair[0] - 4.0 * f64::EPSILON, "not monotone: {pair:?}");
        }
        // Strictly below while the error (2/3)^(2k) is far above rounding; never above 3 by
        // more than rounding.
        assert!(b.history[..20].iter().all(|&s| s < 3.0));
        assert!(b.history.iter().all(|&s| s <= 3.0 * (1.0 + 4.0 * f64::EPSILON)));
        // Error decays like (2/3)^(2k): after 40 iterations about 1e-14 relative.
        assert!(3.0 - b.lower < 3.0 * (2.0_f64 / 3.0).powi(2 * 39));
        // Trace bound with q = 64: (3^128 + 2^128 + 1)^(1/128) - 3 is about 3 * 1e-24 / 128.
        assert!(b.upper >= 3.0 && b.upper - 3.0 < 1e-12, "upper {}", b.upper);
    }

    #[test]
    fn bracket_contains_svd_value() {
        let seed = Seed::new(3);
        for k in 0..10 {
            let mut rng = seed.indexed("w", k);
            let (m, n) = (3 + k as usize % 5, 2 + (k as usize * 3) % 7);
            let w = gaussian_mat(&mut rng, m, n, 1.0);
            let s = spectral_norm(w.as_ref()).unwrap();
            let b = power_iteration(w.as_ref(), 10, 4).unwrap();
            assert!(b.lower <= s * (1.0 + 1e-14) && s <= b.upper, "{} {} {}", b.lower, s, b.upper);
            // Overestimate at most rank^(1/32).
            assert!(b.upper <= s * (m.min(n) as f64).powf(1.0 / 32.0) * (1.0 + 1e-12));
        }
    }

    #[test]
    fn rejects_bad_parameters() {
        let w = Mat::<f64>::identity(2, 2);
        assert!(matches!(
            power_iteration(w.as_ref(), 0, 2),
            Err(LipError::InvalidParameter { name: "iters", .. })
        ));
        assert!(power_iteration(w.as_ref(), 1, 11).is_err());
    }
}
