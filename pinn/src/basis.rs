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
/// | `half_width` | `L` | finite, `> 0` |
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
    /// [`PinnError::InvalidParameter`] for `dim` outside 1..=3, `m = 0` or a non-positive
    /// `half_width`; [`PinnError::TooManyModes`] if `(2m+1)^dim > MAX_MODES`.
    pub fn new(dim: usize, m: usize, half_width: f64) -> Result<Self> {
        if !(1..=3).contains(&dim) {
            return Err(PinnError::invalid("dim", dim, "1, 2 or 3"));
        }
        if m == 0 {
            return Err(PinnError::invalid("m", m, "an integer >= 1"));
        }
        crate::error::positive("half_width", half_width)?;
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
    /// # Panics
    /// If the lengths of `k` and `x` differ from `d`.
    #[track_caller]
    pub fn eval(&self, k: &[i64], x: &[f64]) -> c64 {
        assert!(k.len() == self.dim && x.len() == self.dim, "FourierBasis::eval: wrong length");
        let phase: f64 = k.iter().zip(x).map(|(&kj, &xj)| kj as f64 * xj).sum();
        c64::new(0.0, -self.omega() * phase).exp()
    }
}

/// Writes `z^p` for `p = -max..=max` into `out` (length `2 max + 1`, index `p + max`), where
/// `z = exp(i omega x)`, by repeated multiplication: one complex exponential per call.
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
