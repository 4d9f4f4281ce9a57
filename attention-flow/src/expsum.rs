//! The exponential pass of the symmetric attention kernel: one column of the lower triangle
//! of the score matrix is replaced by `e^{beta (s - shift)}`, its sum is returned, and its
//! entries below the diagonal are added to the running row sums.
//!
//! The exponential is [`megavolt_core::math::exp_normal`], which vectorises on AVX2 and gives
//! exactly `0` below `e^-708`.

use megavolt_core::math::exp_normal as exp;

/// Replaces `col[k]` by `e^{beta (col[k] - shift)}`, adds `col[1..]` to `row_sums` (which must
/// have length `col.len() - 1`) and returns the sum of the new `col`.
///
/// # Panics
/// If `row_sums.len() + 1 != col.len()` or `col` is empty.
#[track_caller]
pub(crate) fn exp_column(col: &mut [f64], row_sums: &mut [f64], beta: f64, shift: f64) -> f64 {
    assert_eq!(row_sums.len() + 1, col.len(), "exp_column: row sums must match the column");
    pulp::Arch::new().dispatch(ExpColumn { col, row_sums, beta, shift })
}

/// The body of [`exp_column`], compiled once per instruction set by `pulp`.
struct ExpColumn<'a> {
    col: &'a mut [f64],
    row_sums: &'a mut [f64],
    beta: f64,
    shift: f64,
}

impl pulp::WithSimd for ExpColumn<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> f64 {
        let Self { col, row_sums, beta, shift } = self;
        for v in col.iter_mut() {
            *v = exp(beta * (*v - shift));
        }
        // Eight partial sums in a fixed order: deterministic and vectorisable.
        let mut sum = [0.0f64; 8];
        let mut chunks = col.chunks_exact(8);
        for c in &mut chunks {
            for k in 0..8 {
                sum[k] += c[k];
            }
        }
        let tail: f64 = chunks.remainder().iter().sum();
        for (z, e) in row_sums.iter_mut().zip(&col[1..]) {
            *z += e;
        }
        ((sum[0] + sum[1]) + (sum[2] + sum[3])) + ((sum[4] + sum[5]) + (sum[6] + sum[7])) + tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_pass_sums_and_accumulates() {
        let col0: Vec<f64> = (0..37).map(|i| -0.9 + 0.05 * f64::from(i)).collect();
        let shift = 1.0;
        let beta = 3.0;
        let mut col = col0.clone();
        let mut rows = vec![1.0; 36];
        let s = exp_column(&mut col, &mut rows, beta, shift);
        let reference: f64 = col0.iter().map(|x| (beta * (x - shift)).exp()).sum();
        assert!((s - reference).abs() <= 8.0 * f64::EPSILON * reference);
        for k in 0..37 {
            assert_eq!(col[k].to_bits(), exp(beta * (col0[k] - shift)).to_bits());
        }
        for k in 0..36 {
            assert_eq!(rows[k].to_bits(), (1.0 + col[k + 1]).to_bits());
        }
    }
}
