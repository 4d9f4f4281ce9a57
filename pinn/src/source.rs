//! Source terms `g` of inhomogeneous priors `D f = g` for the kernel estimator.

use faer::{Mat, MatRef, c64};

use crate::basis::FourierBasis;
use crate::domain::{Axis, Domain};
use crate::error::{PinnError, Result};

/// A source `g` given on a quadrature rule of the domain: points `x_q` (`d x Q`), weights
/// `w_q` (summing to the volume of `Omega`) and values `g(x_q)`.
///
/// With a source, the physics penalty becomes `mu (4L)^{-d} int_Omega |D f - g|^2`, which adds
/// `n mu conj(p(k)) gamma_k` to the right-hand side, with the moments
/// `gamma_k = (4L)^{-d} int_Omega g(x) exp(i omega <k, x>) dx ≈ (4L)^{-d} sum_q w_q g(x_q) exp(i omega <k, x_q>)`.
///
/// # Example
/// ```
/// use pinn::{Domain, FourierBasis, Source};
/// let basis = FourierBasis::new(1, 8, 1.0)?;
/// let g = Source::from_fn(&Domain::cube(1, 1.0), &basis, 200, |x| x[0] * x[0])?;
/// assert_eq!(g.len(), 200);
/// # Ok::<(), pinn::PinnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    points: Mat<f64>,
    weights: Vec<f64>,
    values: Vec<f64>,
}

impl Source {
    /// A source from an explicit quadrature rule.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if the lengths differ, the rule is empty, or a
    /// coordinate, weight or value is not finite.
    pub fn new(points: Mat<f64>, weights: Vec<f64>, values: Vec<f64>) -> Result<Self> {
        let q = points.ncols();
        if q == 0 || weights.len() != q || values.len() != q {
            return Err(PinnError::invalid(
                "source rule size",
                q,
                "non-empty, one weight and one value per point",
            ));
        }
        let finite_points = (0..q).all(|j| (0..points.nrows()).all(|i| points[(i, j)].is_finite()));
        if !finite_points || weights.iter().chain(&values).any(|v| !v.is_finite()) {
            return Err(PinnError::invalid(
                "source rule",
                "non-finite entry",
                "finite points, weights and values",
            ));
        }
        Ok(Self { points, weights, values })
    }

    /// The source `g` sampled on a midpoint rule of the domain with `n` nodes per axis
    /// (tensor grid on boxes, polar grid on disks; a periodic axis spans `[-2L, 2L]`).
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if `n = 0`, the domain does not fit the basis, or `g`
    /// returns a non-finite value.
    pub fn from_fn(
        domain: &Domain,
        basis: &FourierBasis,
        n: usize,
        g: impl Fn(&[f64]) -> f64,
    ) -> Result<Self> {
        if n == 0 {
            return Err(PinnError::invalid("n", n, ">= 1 nodes per axis"));
        }
        domain.validate(basis)?;
        let l = basis.half_width();
        let (points, weights) = match domain {
            Domain::Box(axes) => {
                let bounds: Vec<(f64, f64)> = axes
                    .iter()
                    .map(|a| match *a {
                        Axis::Interval { lower, upper } => (lower, upper),
                        Axis::Periodic => (-2.0 * l, 2.0 * l),
                    })
                    .collect();
                let d = bounds.len();
                let total = n.pow(d as u32);
                let weight: f64 = bounds.iter().map(|(a, b)| (b - a) / n as f64).product();
                let pts = Mat::from_fn(d, total, |i, q| {
                    let digit = (q / n.pow((d - 1 - i) as u32)) % n;
                    let (a, b) = bounds[i];
                    a + (digit as f64 + 0.5) * (b - a) / n as f64
                });
                (pts, vec![weight; total])
            }
            Domain::Disk { radius } => {
                let (hr, ht) = (radius / n as f64, 2.0 * std::f64::consts::PI / n as f64);
                let mut pts = Mat::zeros(2, n * n);
                let mut w = Vec::with_capacity(n * n);
                for i in 0..n {
                    let r = (i as f64 + 0.5) * hr;
                    for j in 0..n {
                        let t = (j as f64 + 0.5) * ht;
                        pts[(0, i * n + j)] = r * t.cos();
                        pts[(1, i * n + j)] = r * t.sin();
                        w.push(r * hr * ht);
                    }
                }
                (pts, w)
            }
        };
        let mut x = vec![0.0; points.nrows()];
        let values = (0..points.ncols())
            .map(|q| {
                for (i, v) in x.iter_mut().enumerate() {
                    *v = points[(i, q)];
                }
                g(&x)
            })
            .collect();
        Self::new(points, weights, values)
    }

    /// Number of quadrature nodes.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// `true` if the rule has no node (never, for a validated source).
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// The nodes, `d x Q`.
    pub fn points(&self) -> MatRef<'_, f64> {
        self.points.as_ref()
    }

    /// The products `w_q g(x_q)`.
    pub(crate) fn weighted_values(&self) -> Vec<f64> {
        self.weights.iter().zip(&self.values).map(|(w, g)| w * g).collect()
    }
}

/// The moments `gamma_k` of a [`Source`] in a given basis (see there).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceMoments {
    pub(crate) basis: FourierBasis,
    pub(crate) gamma: Vec<c64>,
}

impl SourceMoments {
    /// The moments, in flat mode order.
    pub fn values(&self) -> &[c64] {
        &self.gamma
    }
}
