//! Small statistics used to judge reproductions: convergence-order fits, relative errors,
//! ensemble means with standard errors.

use serde::{Deserialize, Serialize};

/// Result of an ordinary least-squares line fit `y = intercept + slope * x`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LineFit {
    /// Fitted slope.
    pub slope: f64,
    /// Fitted intercept.
    pub intercept: f64,
    /// Standard error of the slope (0 for two points, where the fit is exact).
    pub slope_std_error: f64,
    /// Coefficient of determination.
    pub r_squared: f64,
}

/// Least-squares line through `(x_i, y_i)`.
///
/// # Panics
/// If the slices have different lengths, fewer than two points, a non-finite entry, or all
/// `x` equal.
#[track_caller]
pub fn fit_line(x: &[f64], y: &[f64]) -> LineFit {
    assert_eq!(x.len(), y.len(), "fit_line: x and y of different lengths");
    let n = x.len();
    assert!(n >= 2, "fit_line: need at least two points");
    assert!(x.iter().chain(y).all(|v| v.is_finite()), "fit_line: non-finite entry in x or y");
    let nf = n as f64;
    let mx = x.iter().sum::<f64>() / nf;
    let my = y.iter().sum::<f64>() / nf;
    let sxx: f64 = x.iter().map(|&a| (a - mx) * (a - mx)).sum();
    let sxy: f64 = x.iter().zip(y).map(|(&a, &b)| (a - mx) * (b - my)).sum();
    let syy: f64 = y.iter().map(|&b| (b - my) * (b - my)).sum();
    assert!(sxx > 0.0, "fit_line: all abscissae are equal");
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let rss: f64 = x.iter().zip(y).map(|(&a, &b)| (b - intercept - slope * a).powi(2)).sum();
    let slope_std_error = if n > 2 { (rss / (nf - 2.0) / sxx).sqrt() } else { 0.0 };
    let r_squared = if syy > 0.0 { 1.0 - rss / syy } else { 1.0 };
    LineFit { slope, intercept, slope_std_error, r_squared }
}

/// Fitted order of convergence: the slope of `log(error)` against `log(h)`.
///
/// With `h` a step size (or `1/L`, `1/n`), an error `C h^p` gives slope `p`.
///
/// # Panics
/// If any entry is not finite and strictly positive, or as [`fit_line`].
#[track_caller]
pub fn fit_loglog(h: &[f64], error: &[f64]) -> LineFit {
    assert!(
        h.iter().chain(error).all(|&v| v > 0.0 && v.is_finite()),
        "fit_loglog: entries must be finite and > 0"
    );
    let lx: Vec<f64> = h.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = error.iter().map(|v| v.ln()).collect();
    fit_line(&lx, &ly)
}

/// Mean and standard error of the mean of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanSe {
    /// Sample mean.
    pub mean: f64,
    /// Standard error of the mean, `s / sqrt(n)` with the unbiased sample deviation `s`.
    pub std_error: f64,
    /// Sample size.
    pub n: usize,
}

/// Mean and standard error over an ensemble (seeds, Monte Carlo draws).
///
/// # Panics
/// If `sample` is empty.
#[track_caller]
pub fn mean_se(sample: &[f64]) -> MeanSe {
    let n = sample.len();
    assert!(n > 0, "mean_se: empty sample");
    let nf = n as f64;
    let mean = sample.iter().sum::<f64>() / nf;
    let std_error = if n > 1 {
        let var = sample.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
        (var / nf).sqrt()
    } else {
        f64::INFINITY
    };
    MeanSe { mean, std_error, n }
}

/// `|value - reference| / |reference|`, or the absolute difference when the reference is 0.
pub fn rel_error(value: f64, reference: f64) -> f64 {
    let d = (value - reference).abs();
    if reference == 0.0 { d } else { d / reference.abs() }
}

/// Relative error in the Euclidean norm: `|a - b| / |b|` (absolute when `b = 0`).
///
/// # Panics
/// If the slices have different lengths.
#[track_caller]
pub fn rel_error_l2(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "rel_error_l2: lengths differ");
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    let den: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    if den == 0.0 { num } else { num / den }
}

/// Quantile of a sample by linear interpolation between order statistics (type 7, as NumPy).
///
/// # Panics
/// If `sample` is empty, contains NaN, or `q` is outside `[0, 1]`.
#[track_caller]
pub fn quantile(sample: &[f64], q: f64) -> f64 {
    assert!(!sample.is_empty(), "quantile: empty sample");
    assert!((0.0..=1.0).contains(&q), "quantile: q must lie in [0, 1]");
    let mut s = sample.to_vec();
    assert!(sample.iter().all(|v| !v.is_nan()), "quantile: NaN in sample");
    s.sort_by(f64::total_cmp);
    let pos = q * (s.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    s[lo] + (pos - lo as f64) * (s[hi] - s[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_power_law() {
        let h = [0.1, 0.05, 0.025, 0.0125];
        let e: Vec<f64> = h.iter().map(|v: &f64| 3.0 * v.powi(2)).collect();
        let fit = fit_loglog(&h, &e);
        assert!((fit.slope - 2.0).abs() < 1e-12);
        assert!((fit.intercept - 3f64.ln()).abs() < 1e-12);
        assert!(fit.slope_std_error < 1e-12);
    }

    #[test]
    fn slope_standard_error_matches_textbook() {
        // y = x + noise with residuals (+1, -1, -1, +1): rss = 4, sxx = 5, se = sqrt(4/2/5).
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.0, 0.0, 1.0, 4.0];
        let fit = fit_line(&x, &y);
        assert!((fit.slope - 1.0).abs() < 1e-15);
        assert!((fit.slope_std_error - (0.4f64).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn mean_and_quantiles() {
        let m = mean_se(&[1.0, 2.0, 3.0, 4.0]);
        assert!((m.mean - 2.5).abs() < 1e-15);
        // s^2 = 5/3, se = sqrt(5/12)
        assert!((m.std_error - (5.0f64 / 12.0).sqrt()).abs() < 1e-15);
        assert!((quantile(&[3.0, 1.0, 2.0, 4.0], 0.5) - 2.5).abs() < 1e-15);
        assert!((rel_error(1.1, 1.0) - 0.1).abs() < 1e-15);
    }
}
