//! Token configurations: validation, normalisation onto the sphere and standard starts.
//!
//! Tokens are stored one per **column** of a `d x n` faer matrix.

use std::f64::consts::PI;

use faer::{Mat, MatRef};
use megavolt_core::rng::{Seed, uniform_sphere};

use crate::error::{AttentionError, Result};

/// Checks that every entry of every token is finite.
///
/// # Errors
/// [`AttentionError::NonFiniteToken`] naming the matrix `name` and the first offending column.
pub fn check_finite(name: &'static str, x: MatRef<'_, f64>) -> Result<()> {
    for j in 0..x.ncols() {
        if (0..x.nrows()).any(|i| !x[(i, j)].is_finite()) {
            return Err(AttentionError::NonFiniteToken { name, index: j });
        }
    }
    Ok(())
}

/// The tokens divided by their Euclidean norms: a point configuration on the unit sphere.
///
/// # Errors
/// [`AttentionError::NonFiniteToken`] for a non-finite entry, [`AttentionError::ZeroToken`]
/// for a zero column (both naming `name` and the column).
///
/// ```
/// # fn main() -> attention_flow::Result<()> {
/// let x = faer::mat![[3.0, 0.0], [4.0, 2.0]];
/// let u = attention_flow::tokens::normalized("x", x.as_ref())?;
/// assert!((u[(0, 0)] - 0.6).abs() < 1e-16 && (u[(1, 1)] - 1.0).abs() < 1e-16);
/// # Ok(()) }
/// ```
pub fn normalized(name: &'static str, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let mut out = x.to_owned();
    for j in 0..out.ncols() {
        if out.col_as_slice(j).iter().any(|v| !v.is_finite()) {
            return Err(AttentionError::NonFiniteToken { name, index: j });
        }
    }
    for j in 0..out.ncols() {
        let mut norm = column_norm(out.col_as_slice(j));
        if norm == 0.0 {
            return Err(AttentionError::ZeroToken { name, index: j });
        }
        if norm.is_infinite() {
            // Entries near f64::MAX: divide by the largest magnitude first.
            let big = out.col_as_slice(j).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            out.col_as_slice_mut(j).iter_mut().for_each(|v| *v /= big);
            norm = column_norm(out.col_as_slice(j));
        }
        out.col_as_slice_mut(j).iter_mut().for_each(|v| *v /= norm);
    }
    Ok(out)
}

/// Euclidean norm of a column (see [`megavolt_core::math::norm2`]).
pub(crate) fn column_norm(c: &[f64]) -> f64 {
    megavolt_core::math::norm2(c)
}

/// Divides every column by its norm, in place (columns of norm zero are left alone).
pub(crate) fn renormalize_columns(x: &mut Mat<f64>) {
    for j in 0..x.ncols() {
        let c = x.col_as_slice_mut(j);
        let norm2: f64 = c.iter().map(|v| v * v).sum();
        if norm2 > 0.0 && norm2.is_finite() {
            let inv = norm2.sqrt().recip();
            c.iter_mut().for_each(|v| *v *= inv);
        }
    }
}

/// `n` tokens uniform on the unit sphere of `R^d`, from the stream `label` of `seed`
/// (normalised Gaussian vectors, see [`megavolt_core::rng::uniform_sphere`]).
///
/// # Panics
/// If `d == 0`.
#[track_caller]
pub fn uniform(seed: Seed, label: &str, d: usize, n: usize) -> Mat<f64> {
    uniform_sphere(&mut seed.stream(label), d, n)
}

/// The standard basis `e_1, ..., e_n` of `R^n` (orthonormal tokens, `d = n`): the equiangular
/// start with common inner product `0`.
pub fn orthonormal(n: usize) -> Mat<f64> {
    Mat::identity(n, n)
}

/// `n` tokens at the vertices of a regular polygon on the unit circle, token `k` at angle
/// `phase + 2 pi k / n`. For `n = 2` an antipodal pair, for `n = 3` an equilateral triangle:
/// equilibria of SA and USA for every `beta`.
pub fn regular_polygon(n: usize, phase: f64) -> Mat<f64> {
    Mat::from_fn(2, n, |i, k| {
        let a = phase + 2.0 * PI * k as f64 / n as f64;
        if i == 0 { a.cos() } else { a.sin() }
    })
}

/// Tokens on the unit circle at the given angles (radians).
pub fn circle(angles: &[f64]) -> Mat<f64> {
    Mat::from_fn(2, angles.len(), |i, k| if i == 0 { angles[k].cos() } else { angles[k].sin() })
}

/// The angles `atan2(y, x)` of tokens in `R^2`.
///
/// # Panics
/// If `x` does not have two rows.
#[track_caller]
pub fn angles(x: MatRef<'_, f64>) -> Vec<f64> {
    assert_eq!(x.nrows(), 2, "angles: tokens must lie in R^2, got {} rows", x.nrows());
    (0..x.ncols()).map(|k| x[(1, k)].atan2(x[(0, k)])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_errors_name_the_token() {
        let x = faer::mat![[1.0, 0.0, 2.0], [0.0, 0.0, 1.0]];
        assert_eq!(
            normalized("x0", x.as_ref()),
            Err(AttentionError::ZeroToken { name: "x0", index: 1 })
        );
        let y = faer::mat![[1.0, f64::NAN], [0.0, 1.0]];
        assert_eq!(
            normalized("x0", y.as_ref()),
            Err(AttentionError::NonFiniteToken { name: "x0", index: 1 })
        );
    }

    #[test]
    fn norm_is_overflow_safe() {
        assert!((column_norm(&[3e200, 4e200]) - 5e200).abs() < 1e186);
        assert!((column_norm(&[3e-200, 4e-200]) - 5e-200).abs() < 1e-214);
    }

    #[test]
    fn tokens_near_the_largest_double_normalise() {
        // |(MAX, MAX)| overflows; the token is still (1, 1) / sqrt 2 on the sphere.
        let x = faer::mat![[f64::MAX, 1.0], [f64::MAX, 0.0]];
        let y = normalized("x", x.as_ref()).unwrap();
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!(
            (y[(0, 0)] - h).abs() < 2.0 * f64::EPSILON
                && (y[(1, 0)] - h).abs() < 2.0 * f64::EPSILON
        );
        assert!((y[(0, 1)] - 1.0).abs() < f64::EPSILON);
    }
}
