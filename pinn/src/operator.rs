//! Linear differential operators with constant coefficients and their Fourier symbols.

use faer::c64;
use serde::{Deserialize, Serialize};

use crate::error::{PinnError, Result};

/// A linear differential operator with constant real coefficients,
/// `D = sum_a c_a d^a`, with multi-indices `a = (a_1, ..., a_d)` and
/// `d^a = d^{a_1}/dx_1^{a_1} ... d^{a_d}/dx_d^{a_d}`.
///
/// # Symbol and sign convention
/// On the Fourier mode `e_k(x) = exp(-i omega <k, x>)` the operator acts as multiplication by
///
/// ```text
/// p(k) = sum_a c_a prod_j (-i omega k_j)^{a_j},
/// ```
///
/// the sign matching the basis of [`crate::FourierBasis`]. With the opposite sign a mixed-parity
/// operator such as `f'' + f' + f` would silently become `f'' - f' + f`.
///
/// Operators combine with `+`, `-`, scalar `*` and [`DiffOperator::compose`].
///
/// # Example
/// ```
/// use pinn::DiffOperator;
/// // The damped oscillator f'' + f' + f in one variable.
/// let op = DiffOperator::derivative(1, 0, 2)? + DiffOperator::derivative(1, 0, 1)?
///     + DiffOperator::identity(1);
/// assert_eq!(op.order(), 2);
/// // Symbol at omega = 1, k = 1: (-i)^2 + (-i) + 1 = -i.
/// let p = op.symbol(&[1], 1.0);
/// assert!((p.re).abs() < 1e-15 && (p.im + 1.0).abs() < 1e-15);
/// # Ok::<(), pinn::PinnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffOperator {
    dim: usize,
    terms: Vec<(f64, Vec<u32>)>,
}

impl DiffOperator {
    /// The zero operator on functions of `dim` variables.
    pub fn zero(dim: usize) -> Self {
        Self { dim, terms: Vec::new() }
    }

    /// The identity operator on functions of `dim` variables.
    pub fn identity(dim: usize) -> Self {
        Self { dim, terms: vec![(1.0, vec![0; dim])] }
    }

    /// The partial derivative of order `order` along `axis`.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if `axis >= dim`.
    pub fn derivative(dim: usize, axis: usize, order: u32) -> Result<Self> {
        if axis >= dim {
            return Err(PinnError::invalid("axis", axis, "an axis index < dim"));
        }
        let mut a = vec![0; dim];
        a[axis] = order;
        Ok(Self { dim, terms: vec![(1.0, a)] })
    }

    /// Adds the term `coefficient * d^multi_index`.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if the multi-index has the wrong length or the coefficient
    /// is not finite.
    pub fn with_term(mut self, coefficient: f64, multi_index: &[u32]) -> Result<Self> {
        if multi_index.len() != self.dim {
            return Err(PinnError::invalid("multi_index length", multi_index.len(), "dim"));
        }
        if !coefficient.is_finite() {
            return Err(PinnError::invalid("coefficient", coefficient, "a finite number"));
        }
        self.terms.push((coefficient, multi_index.to_vec()));
        Ok(self.simplified())
    }

    /// Number of variables.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The terms `(c_a, a)`, merged so that each multi-index appears once.
    pub fn terms(&self) -> &[(f64, Vec<u32>)] {
        &self.terms
    }

    /// The order: the largest `|a| = sum_j a_j` over the terms (0 for the zero operator).
    pub fn order(&self) -> u32 {
        self.terms.iter().map(|(_, a)| a.iter().sum()).max().unwrap_or(0)
    }

    /// The composition `self ∘ other` (for constant coefficients, the product of symbols).
    ///
    /// # Panics
    /// If the dimensions differ.
    #[track_caller]
    pub fn compose(&self, other: &Self) -> Self {
        assert_eq!(self.dim, other.dim, "DiffOperator::compose: dimensions differ");
        let mut terms = Vec::new();
        for (c1, a1) in &self.terms {
            for (c2, a2) in &other.terms {
                terms.push((c1 * c2, a1.iter().zip(a2).map(|(x, y)| x + y).collect()));
            }
        }
        Self { dim: self.dim, terms }.simplified()
    }

    /// The symbol `p(k) = sum_a c_a prod_j (-i omega k_j)^{a_j}` at the integer frequency `k`.
    ///
    /// # Panics
    /// If `k.len() != self.dim()`.
    #[track_caller]
    pub fn symbol(&self, k: &[i64], omega: f64) -> c64 {
        assert_eq!(k.len(), self.dim, "DiffOperator::symbol: wrong frequency length");
        let mut total = c64::new(0.0, 0.0);
        for (c, a) in &self.terms {
            let mut prod = c64::new(*c, 0.0);
            for (&kj, &aj) in k.iter().zip(a) {
                let factor = c64::new(0.0, -omega * kj as f64);
                for _ in 0..aj {
                    prod *= factor;
                }
            }
            total += prod;
        }
        total
    }

    /// The operator in the coordinates `y = c + s ⊙ x` (per-axis affine change of variables):
    /// since `d/dx_j = s_j d/dy_j`, each coefficient is multiplied by `prod_j s_j^{a_j}`.
    ///
    /// # Panics
    /// If `scale.len() != self.dim()`.
    #[track_caller]
    pub fn rescaled(&self, scale: &[f64]) -> Self {
        assert_eq!(scale.len(), self.dim, "DiffOperator::rescaled: wrong scale length");
        let terms = self
            .terms
            .iter()
            .map(|(c, a)| {
                (
                    c * a.iter().zip(scale).map(|(&aj, s)| s.powi(aj as i32)).product::<f64>(),
                    a.clone(),
                )
            })
            .collect();
        Self { dim: self.dim, terms }
    }

    fn simplified(mut self) -> Self {
        self.terms.sort_by(|x, y| x.1.cmp(&y.1));
        let mut merged: Vec<(f64, Vec<u32>)> = Vec::with_capacity(self.terms.len());
        for (c, a) in self.terms {
            match merged.last_mut() {
                Some(last) if last.1 == a => last.0 += c,
                _ => merged.push((c, a)),
            }
        }
        merged.retain(|(c, _)| *c != 0.0);
        Self { dim: self.dim, terms: merged }
    }
}

impl std::ops::Add for DiffOperator {
    type Output = DiffOperator;
    /// # Panics
    /// If the dimensions differ.
    #[track_caller]
    fn add(mut self, rhs: Self) -> Self {
        assert_eq!(self.dim, rhs.dim, "DiffOperator + DiffOperator: dimensions differ");
        self.terms.extend(rhs.terms);
        self.simplified()
    }
}

impl std::ops::Sub for DiffOperator {
    type Output = DiffOperator;
    /// # Panics
    /// If the dimensions differ.
    #[track_caller]
    fn sub(self, rhs: Self) -> Self {
        self + (-1.0) * rhs
    }
}

impl std::ops::Mul<DiffOperator> for f64 {
    type Output = DiffOperator;
    fn mul(self, mut rhs: DiffOperator) -> DiffOperator {
        rhs.terms.iter_mut().for_each(|t| t.0 *= self);
        rhs.simplified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_of_mixed_operator_follows_basis_sign() {
        // D e_k = p(k) e_k for e_k(x) = exp(-i omega k x): check against differentiating
        // the exponential by central differences.
        let op = DiffOperator::derivative(1, 0, 2).unwrap()
            + DiffOperator::derivative(1, 0, 1).unwrap()
            + DiffOperator::identity(1);
        let (omega, k, x, h) = (0.5, 3_i64, 0.3, 1e-4);
        let e = |x: f64| c64::new(0.0, -omega * k as f64 * x).exp();
        let d1 = (e(x + h) - e(x - h)) / (2.0 * h);
        let d2 = (e(x + h) - e(x) * 2.0 + e(x - h)) / (h * h);
        let lhs = d2 + d1 + e(x);
        let rhs = op.symbol(&[k], omega) * e(x);
        assert!((lhs - rhs).norm() < 1e-6, "{lhs} vs {rhs}");
    }

    #[test]
    fn algebra_merges_terms() {
        let dt = DiffOperator::derivative(2, 0, 1).unwrap();
        let dx = DiffOperator::derivative(2, 1, 1).unwrap();
        let wave = dt.compose(&dt) - 4.0 * dx.compose(&dx);
        assert_eq!(wave.terms().len(), 2);
        assert_eq!(wave.order(), 2);
        let zero = wave.clone() - wave;
        assert!(zero.terms().is_empty());
        let r = (dt + dx).rescaled(&[2.0, 3.0]);
        assert_eq!(r.terms(), &[(3.0, vec![0, 1]), (2.0, vec![1, 0])]);
        assert!(DiffOperator::derivative(2, 2, 1).is_err());
    }
}
