//! Affine rescaling of physical coordinates into the box of the Fourier basis.

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::error::{PinnError, Result};
use crate::operator::DiffOperator;

/// The per-axis affine map `y_j = c_j + s_j x_j` sending the physical interval
/// `[lower_j, upper_j]` onto a target interval (usually `[-L, L]`, or `[-2L, 2L]` on a periodic
/// axis).
///
/// A differential operator written in the physical variables acts in the new ones with the
/// coefficients of [`Rescaling::operator`] (`d/dx_j = s_j d/dy_j`), so that the penalty
/// `int |D f|^2` keeps its meaning up to the constant Jacobian.
///
/// # Example
/// ```
/// use faer::Mat;
/// use pinn::{DiffOperator, Rescaling};
/// // (t, x) in [0, 1] x [0, 2 pi] -> [-1/2, 1/2] x [-1, 1].
/// let r = Rescaling::new(&[0.0, 0.0], &[1.0, 2.0 * std::f64::consts::PI], &[(-0.5, 0.5), (-1.0, 1.0)])?;
/// let y = r.apply(Mat::from_fn(2, 1, |i, _| if i == 0 { 1.0 } else { 0.0 }).as_ref());
/// assert!((y[(0, 0)] - 0.5).abs() < 1e-15 && (y[(1, 0)] + 1.0).abs() < 1e-15);
/// // u_t + 20 u_x becomes u_t + (20 / pi) u_y.
/// let op = DiffOperator::zero(2).with_term(1.0, &[1, 0])?.with_term(20.0, &[0, 1])?;
/// let scaled = r.operator(&op);
/// assert!((scaled.terms()[0].0 - 20.0 / std::f64::consts::PI).abs() < 1e-12);
/// # Ok::<(), pinn::PinnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rescaling {
    offset: Vec<f64>,
    scale: Vec<f64>,
}

impl Rescaling {
    /// The map from `prod_j [lower_j, upper_j]` onto `prod_j [target_j.0, target_j.1]`.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if the lengths differ or an interval is empty or not
    /// finite.
    pub fn new(lower: &[f64], upper: &[f64], target: &[(f64, f64)]) -> Result<Self> {
        if lower.len() != upper.len() || lower.len() != target.len() || lower.is_empty() {
            return Err(PinnError::invalid("bounds length", lower.len(), "equal non-zero lengths"));
        }
        let mut offset = Vec::with_capacity(lower.len());
        let mut scale = Vec::with_capacity(lower.len());
        for j in 0..lower.len() {
            let (a, b, (ta, tb)) = (lower[j], upper[j], target[j]);
            let ok = [a, b, ta, tb].iter().all(|v| v.is_finite()) && a < b && ta < tb;
            if !ok {
                return Err(PinnError::invalid(
                    "interval",
                    format!("[{a}, {b}] -> [{ta}, {tb}]"),
                    "non-empty finite intervals",
                ));
            }
            let s = (tb - ta) / (b - a);
            scale.push(s);
            offset.push(ta - s * a);
        }
        Ok(Self { offset, scale })
    }

    /// The map from `prod_j [lower_j, upper_j]` onto `[-L, L]^d`.
    ///
    /// # Errors
    /// As [`Rescaling::new`].
    pub fn centred(lower: &[f64], upper: &[f64], half_width: f64) -> Result<Self> {
        Self::new(lower, upper, &vec![(-half_width, half_width); lower.len()])
    }

    /// The scales `s_j`.
    pub fn scales(&self) -> &[f64] {
        &self.scale
    }

    /// The points `y = c + s ⊙ x` (`d x n`).
    ///
    /// # Panics
    /// If `x.nrows()` differs from the dimension.
    #[track_caller]
    pub fn apply(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        assert_eq!(x.nrows(), self.scale.len(), "Rescaling::apply: wrong dimension");
        Mat::from_fn(x.nrows(), x.ncols(), |i, j| self.offset[i] + self.scale[i] * x[(i, j)])
    }

    /// The operator in the new variables.
    ///
    /// # Panics
    /// If the operator's dimension differs.
    #[track_caller]
    pub fn operator(&self, op: &DiffOperator) -> DiffOperator {
        op.rescaled(&self.scale)
    }
}
