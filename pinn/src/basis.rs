//! The Fourier basis of the physics-informed kernel estimator.

use faer::c64;
use serde::{Deserialize, Serialize};

use crate::error::{PinnError, Result};

/// Largest number of modes `(2m+1)^d` accepted for a dense solve (a complex `N x N` matrix of
/// this order takes 1.6 GB).
pub const MAX_MODES: usize = 10_000;

/// Complex exponentials `e_k(x) = exp(-i omega <k, x>)`, `omega = pi / (2L)`, with integer
/// frequencies `k in {-m, ..., m}^d`.
///
/// The modes are `4L`-periodic along every axis: they live on the torus `[-2L, 2L]^d`, which
/// contains the domain `Omega ⊂ [-L, L]^d` with room to spare so that a function on `Omega` needs
/// no periodicity. Functions are `f = sum_k theta_k e_k`, and the torus volume normalises norms:
/// `sum_k |theta_k|^2 = (4L)^{-d} int_{[-2L,2L]^d} |f|^2`.
///
/// Modes are numbered with the first axis slowest: `k = (k_1, ..., k_d)` has flat index
/// `sum_j (k_j + m) (2m+1)^{d-1-j}`.
///
/// | parameter | symbol | valid range |
/// |---|---|---|
/// | `dim` | `d` | 1, 2 or 3 |
/// | `m` | `m` | `>= 1`, with `(2m+1)^d <=` [`MAX_MODES`] |
/// | `half_width` | `L` | finite, `> 0`, with `omega = pi / (2L)` finite and `> 0` and the period `4L` finite (roughly `1e-308 <= L <= 4e307`) |
///
/// # Example
/// ```
/// use pinn::FourierBasis;
/// let basis = FourierBasis::new(2, 3, 0.5)?;
/// assert_eq!(basis.n_modes(), 49);
/// assert_eq!(basis.mode(0), vec![-3, -3]);
/// assert!((basis.omega() - std::f64::consts::PI).abs() < 1e-15);
/// # Ok::<(), pinn::PinnError>(())
/// ```
///
/// # References
/// Doumèche, Bach, Biau, Boyer, *Physics-informed kernel learning*, JMLR 26 (2025), Section 3.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FourierBasis {
    dim: usize,
    m: usize,
    half_width: f64,
}

impl FourierBasis {
    /// The basis of dimension `dim` with frequencies up to `m` on `[-2L, 2L]^dim`, `L = half_width`.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] for `dim` outside 1..=3, `m = 0`, a non-positive
    /// `half_width`, or one so small that `omega = pi / (2L)` overflows or so large that
    /// `omega` underflows to 0 or the period `4L` overflows; [`PinnError::TooManyModes`] if
    /// `(2m+1)^dim > MAX_MODES`.
    pub fn new(dim: usize, m: usize, half_width: f64) -> Result<Self> {
        if !(1..=3).contains(&dim) {
            return Err(PinnError::invalid("dim", dim, "1, 2 or 3"));
        }
        if m == 0 {
            return Err(PinnError::invalid("m", m, "an integer >= 1"));
        }
        crate::error::positive("half_width", half_width)?;
        let omega = std::f64::consts::PI / (2.0 * half_width);
        if !(omega.is_finite() && omega > 0.0 && (4.0 * half_width).is_finite()) {
            return Err(PinnError::invalid(
                "half_width",
                format!("{half_width:e}"),
                "a width with omega = pi / (2L) finite and > 0 and the period 4L finite",
            ));
        }
        let modes = (2 * m + 1).checked_pow(dim as u32).unwrap_or(usize::MAX);
        if modes > MAX_MODES {
            return Err(PinnError::TooManyModes { modes, max: MAX_MODES });
        }
        Ok(Self { dim, m, half_width })
    }

    /// Dimension `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Largest frequency `m`.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Half-width `L` of the box `[-L, L]^d` that holds the domain.
    pub fn half_width(&self) -> f64 {
        self.half_width
    }

    /// Angular frequency unit `omega = pi / (2L)`.
    pub fn omega(&self) -> f64 {
        std::f64::consts::PI / (2.0 * self.half_width)
    }

    /// Number of modes `N = (2m+1)^d`.
    pub fn n_modes(&self) -> usize {
        (2 * self.m + 1).pow(self.dim as u32)
    }

    /// The frequency vector of the mode with flat index `index`.
    ///
    /// # Panics
    /// If `index >= self.n_modes()`.
    #[track_caller]
    pub fn mode(&self, index: usize) -> Vec<i64> {
        assert!(index < self.n_modes(), "FourierBasis::mode: index out of range");
        let side = 2 * self.m + 1;
        let mut k = vec![0; self.dim];
        let mut rest = index;
        for j in (0..self.dim).rev() {
            k[j] = (rest % side) as i64 - self.m as i64;
            rest /= side;
        }
        k
    }

    /// All frequency vectors, in flat-index order.
    pub fn modes(&self) -> Vec<Vec<i64>> {
        (0..self.n_modes()).map(|i| self.mode(i)).collect()
    }

    /// `e_k(x) = exp(-i omega <k, x>)`.
    ///
    /// Each coordinate outside `[-2L, 2L]` is first reduced exactly to its periodic image
    /// there (`x % 4L`, shifted by one period if needed), so that `e_k(x)` equals `e_k` at that
    /// image for any finite `x`: without the reduction, the phase `omega x` of `x = 1e300` has
    /// lost all its digits. A NaN or infinite coordinate gives NaN.
    ///
    /// # Panics
    /// If the lengths of `k` and `x` differ from `d`.
    #[track_caller]
    pub fn eval(&self, k: &[i64], x: &[f64]) -> c64 {
        assert!(k.len() == self.dim && x.len() == self.dim, "FourierBasis::eval: wrong length");
        let phase: f64 = k.iter().zip(x).map(|(&kj, &xj)| kj as f64 * self.reduce(xj)).sum();
        c64::new(0.0, -self.omega() * phase).exp()
    }

    /// The periodic image of the coordinate `x` in `[-2L, 2L]`: `x` itself if `|x| <= 2L`,
    /// otherwise `x - 4L j` for the integer `j` that brings it into `[-2L, 2L]`, where `4L` is
    /// the period as a double.
    ///
    /// The reduction is exact: `x % 4L` (IEEE remainder of truncated division) has no rounding
    /// error, and the shift by one period into `[-2L, 2L]` subtracts numbers within a factor
    /// of two of each other, which is exact too (Sterbenz). A NaN or infinite `x` gives NaN.
    pub(crate) fn reduce(&self, x: f64) -> f64 {
        let half_period = 2.0 * self.half_width;
        if x.abs() <= half_period {
            return x;
        }
        let period = 4.0 * self.half_width;
        let r = x % period;
        if r > half_period {
            r - period
        } else if r < -half_period {
            r + period
        } else {
            r
        }
    }
}

/// Writes `z^p` for `p = -max..=max` into `out` (length `2 max + 1`, index `p + max`), where
/// `z = exp(i omega x)`, by repeated multiplication: one complex exponential per call.
///
/// `x` should lie in the torus `[-2L, 2L]` (see `FourierBasis::reduce`): the phase `omega x`
/// of a large `x` has lost its digits.
pub(crate) fn powers(omega: f64, x: f64, max: usize, out: &mut [c64]) {
    debug_assert_eq!(out.len(), 2 * max + 1);
    let z = c64::new(0.0, omega * x).exp();
    out[max] = c64::new(1.0, 0.0);
    let mut acc = c64::new(1.0, 0.0);
    for p in 1..=max {
        acc *= z;
        out[max + p] = acc;
        out[max - p] = acc.conj();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_and_validation() {
        let b = FourierBasis::new(3, 2, 1.0).unwrap();
        assert_eq!(b.n_modes(), 125);
        assert_eq!(b.mode(62), vec![0, 0, 0]);
        assert_eq!(b.mode(124), vec![2, 2, 2]);
        assert!(FourierBasis::new(4, 1, 1.0).is_err());
        assert!(FourierBasis::new(2, 0, 1.0).is_err());
        assert!(FourierBasis::new(1, 3, -1.0).is_err());
        assert!(matches!(FourierBasis::new(3, 20, 1.0), Err(PinnError::TooManyModes { .. })));
        // omega = pi / (2L) overflows for L = 1e-310 and is 0 for L = 1e308 (2L overflows);
        // the period 4L overflows for L = 5e307.
        for l in [1e-310, 1e308, 5e307] {
            let err = FourierBasis::new(1, 3, l).unwrap_err();
            assert!(
                matches!(&err, PinnError::InvalidParameter { name: "half_width", .. }),
                "{err}"
            );
        }
        // The extremes that remain valid.
        for l in [1e-308, 4e307] {
            let omega = FourierBasis::new(1, 3, l).unwrap().omega();
            assert!(omega.is_finite() && omega > 0.0, "L = {l}: omega = {omega}");
        }
    }

    #[test]
    #[allow(clippy::float_cmp, reason = "the reduction is exact")]
    fn reduction_is_exact_and_keeps_the_torus() {
        let b = FourierBasis::new(1, 3, 1.0).unwrap();
        // Points of the torus [-2, 2] are left as they are, ends included.
        for x in [-2.0, -1.5, 0.0, 0.3, 2.0] {
            assert_eq!(b.reduce(x).to_bits(), f64::to_bits(x));
        }
        // Multiples of the period 4 go to 0; 1.7e308 and 1e300 are multiples of 4 (their
        // ulps are large powers of two).
        for x in [4.0, -8.0, 1e10, 1e300, 1.7e308, -f64::MAX] {
            assert_eq!(b.reduce(x), 0.0, "{x}");
        }
        // Integers 4j + r with r in 3, 5, 6: images -1, 1, 2 (2 stays, it is in the torus).
        assert_eq!(b.reduce(1e10 + 3.0), -1.0);
        assert_eq!(b.reduce(-1e10 - 3.0), 1.0);
        assert_eq!(b.reduce(1e15 + 5.0), 1.0);
        assert_eq!(b.reduce(6.0), 2.0);
        assert_eq!(b.reduce(-6.0), -2.0);
        // A period that is not a power of two: 4L = 1.2 (rounded), x = 1.2 * 3 + 0.5, exactly
        // as the double remainder gives it.
        let b = FourierBasis::new(1, 3, 0.3).unwrap();
        let x = 4.1;
        assert_eq!(b.reduce(x), x % 1.2);
        assert!(b.reduce(x).abs() <= 0.6);
        assert!(b.reduce(f64::NAN).is_nan() && b.reduce(f64::NEG_INFINITY).is_nan());
    }

    #[test]
    fn eval_reduces_coordinates_to_the_torus() {
        let b = FourierBasis::new(2, 3, 1.0).unwrap();
        for k in b.modes() {
            // 1e300 and 1e10 are multiples of the period 4; 1e10 + 1 has the image 1.
            let far = b.eval(&k, &[1e300, 1e10 + 1.0]);
            let near = b.eval(&k, &[0.0, 1.0]);
            assert_eq!(
                (far.re.to_bits(), far.im.to_bits()),
                (near.re.to_bits(), near.im.to_bits())
            );
        }
        assert!(b.eval(&[1, 0], &[f64::NAN, 0.0]).re.is_nan());
    }

    #[test]
    fn powers_by_recurrence_match_direct_exponentials() {
        let mut out = vec![c64::new(0.0, 0.0); 81];
        powers(1.3, 0.77, 40, &mut out);
        for p in -40_i64..=40 {
            let direct = c64::new(0.0, 1.3 * 0.77 * p as f64).exp();
            // Each multiplication adds O(eps) relative error.
            assert!(
                (out[(p + 40) as usize] - direct).norm()
                    < 64.0 * f64::EPSILON * p.abs().max(1) as f64
            );
        }
    }
}
