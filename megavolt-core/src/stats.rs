//! Small statistics used to judge reproductions: convergence-order fits, relative errors,
//! ensemble means with standard errors.

use serde::{Deserialize, Serialize};

use crate::math::{ilogb, ldexp};

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
/// The sums of squares are formed from `x` and `y` scaled by powers of two that bring their
/// largest magnitudes near 1, and the results are scaled back. Scaling by a power of two is
/// exact, so ordinary data give the same bits as the unscaled textbook formulas, while data
/// near the ends of the floating-point range (`x ~ 1e200`, or abscissae `1e-200` apart) no
/// longer overflow or underflow in `sum (x - mean)^2`. A slope, intercept or standard error
/// that is itself out of range still rounds to infinity or zero.
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
    let (ex, ey) = (scale_exponent(x), scale_exponent(y));
    let xs: Vec<f64> = x.iter().map(|&v| ldexp(v, -ex)).collect();
    let ys: Vec<f64> = y.iter().map(|&v| ldexp(v, -ey)).collect();
    let (x, y) = (&xs[..], &ys[..]);

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

    // Back to the original units: y = 2^ey y', x = 2^ex x'.
    LineFit {
        slope: ldexp(slope, ey - ex),
        intercept: ldexp(intercept, ey),
        slope_std_error: ldexp(slope_std_error, ey - ex),
        r_squared,
    }
}

/// The exponent `e` with `2^e <= max_i |v_i| < 2^{e+1}` (0 when every entry is 0).
fn scale_exponent(v: &[f64]) -> i32 {
    let max = v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
    if max == 0.0 { 0 } else { ilogb(max) }
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

    /// The textbook formulas without scaling, as `fit_line` computed them before.
    fn unscaled(x: &[f64], y: &[f64]) -> LineFit {
        let nf = x.len() as f64;
        let mx = x.iter().sum::<f64>() / nf;
        let my = y.iter().sum::<f64>() / nf;
        let sxx: f64 = x.iter().map(|&a| (a - mx) * (a - mx)).sum();
        let sxy: f64 = x.iter().zip(y).map(|(&a, &b)| (a - mx) * (b - my)).sum();
        let syy: f64 = y.iter().map(|&b| (b - my) * (b - my)).sum();
        let slope = sxy / sxx;
        let intercept = my - slope * mx;
        let rss: f64 = x.iter().zip(y).map(|(&a, &b)| (b - intercept - slope * a).powi(2)).sum();
        let slope_std_error = if x.len() > 2 { (rss / (nf - 2.0) / sxx).sqrt() } else { 0.0 };
        LineFit { slope, intercept, slope_std_error, r_squared: 1.0 - rss / syy }
    }

    #[test]
    fn scaling_by_powers_of_two_leaves_ordinary_fits_bit_identical() {
        let xs: [&[f64]; 4] = [
            &[0.0, 1.0, 2.0, 3.0],
            &[0.1, 0.7, 1.3, 9.9, 4.4],
            &[-3.0, 1e-3, 5e5, 7.0],
            &[1e-5, 2e-5, 3.3e-5],
        ];
        for x in xs {
            for scale in [1.0, 1e-7, 3e9, -0.3] {
                let y: Vec<f64> = x
                    .iter()
                    .enumerate()
                    .map(|(i, v)| scale * (2.0 * v + (i as f64).sin()))
                    .collect();
                let (a, b) = (fit_line(x, &y), unscaled(x, &y));
                assert_eq!(a.slope.to_bits(), b.slope.to_bits());
                assert_eq!(a.intercept.to_bits(), b.intercept.to_bits());
                assert_eq!(a.slope_std_error.to_bits(), b.slope_std_error.to_bits());
                assert_eq!(a.r_squared.to_bits(), b.r_squared.to_bits());
            }
        }
    }

    #[test]
    fn extreme_magnitudes_fit_the_closed_form() {
        // Points on y = x / 1e200 up to the rounding of 3e200 (half an ulp): slope 1e-200 and
        // intercept 0, to a few ulps of the slope and of the values of y.
        let fit = fit_line(&[1e200, 2e200, 3e200], &[1.0, 2.0, 3.0]);
        assert!((fit.slope - 1e-200).abs() <= 4.0 * f64::EPSILON * 1e-200, "{fit:?}");
        assert!(fit.intercept.abs() <= 8.0 * f64::EPSILON, "{fit:?}");
        assert!((fit.r_squared - 1.0).abs() <= 8.0 * f64::EPSILON, "{fit:?}");
        // The same line with x and y exchanged: slope 1e200.
        let fit = fit_line(&[1.0, 2.0, 3.0], &[1e200, 2e200, 3e200]);
        assert!((fit.slope - 1e200).abs() <= 4.0 * f64::EPSILON * 1e200, "{fit:?}");
        assert!(fit.intercept.abs() <= 8.0 * f64::EPSILON * 1e200, "{fit:?}");
        // Two points 1e-200 apart: the line through them, slope (2 - 1) / 1e-200, intercept 1.
        let fit = fit_line(&[0.0, 1e-200], &[1.0, 2.0]);
        assert!((fit.slope - 1.0 / 1e-200).abs() <= 2.0 * f64::EPSILON * 1e200, "{fit:?}");
        assert!((fit.intercept - 1.0).abs() <= 4.0 * f64::EPSILON, "{fit:?}");
        assert!((fit.r_squared - 1.0).abs() <= 4.0 * f64::EPSILON, "{fit:?}");
        // Subnormal abscissae, and ordinates near the largest double.
        let x = [0.0, 5e-324, 1e-323];
        let fit = fit_line(&x, &[-1e308, 0.0, 1e308]);
        // 1e-323 is 2 * 5e-324 exactly: slope 1e308 / 5e-324, which overflows.
        assert!(fit.slope.is_infinite() && fit.slope > 0.0, "{fit:?}");
        let fit = fit_line(&x, &[0.0, 1e-300, 2e-300]);
        assert!((fit.slope - 1e-300 / 5e-324).abs() <= 4.0 * f64::EPSILON * (1e-300 / 5e-324));
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
