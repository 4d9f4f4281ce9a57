//! Domains `Omega ⊂ [-L, L]^d` and the closed-form Gram matrices of Fourier modes on them.

use faer::c64;
use serde::{Deserialize, Serialize};

use crate::basis::FourierBasis;
use crate::error::{PinnError, Result};
use crate::special::bessel_j1;

/// One axis of a box domain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Axis {
    /// The interval `[lower, upper] ⊂ [-L, L]`.
    Interval {
        /// Left end.
        lower: f64,
        /// Right end, `> lower`.
        upper: f64,
    },
    /// The whole period `[-2L, 2L]`: functions are periodic along this axis (period `4L`), and
    /// inputs along it must be rescaled into `[-2L, 2L]`.
    Periodic,
}

/// The domain `Omega` on which the physics penalty `int_Omega |D f|^2` is integrated.
///
/// | variant | Gram entry `T(Δ) = (4L)^{-d} int_Omega exp(i omega <Δ, x>) dx` |
/// |---|---|
/// | [`Axis::Interval`] `[a, b]` | `(exp(i omega Δ b) - exp(i omega Δ a)) / (4L i omega Δ)`, `(b - a) / (4L)` at 0; on `[-L, L]`: `sin(pi Δ / 2) / (pi Δ)` |
/// | [`Axis::Periodic`] | `1{Δ = 0}` |
/// | box | product over the axes |
/// | disk of radius `r` centred at 0 (`d = 2`) | `pi r J_1(omega r |Δ|) / (8 L^2 omega |Δ|)`, `pi r^2 / (16 L^2)` at 0; for `r = L`: `J_1(pi |Δ| / 2) / (4 |Δ|)` |
///
/// `T` is Hermitian and Toeplitz: `T_{kj} = T(k - j)`, and `theta^H P^H T P theta` equals
/// `(4L)^{-d} int_Omega |D f|^2` for `f = sum_k theta_k e_k` and the diagonal symbol matrix `P`.
///
/// # Example
/// ```
/// use pinn::{Domain, FourierBasis};
/// let basis = FourierBasis::new(2, 4, 0.5)?;
/// let disk = Domain::disk(0.5);
/// disk.validate(&basis)?;
/// let t0 = disk.gram_entry(&basis, &[0, 0]);
/// assert!((t0.re - std::f64::consts::PI / 16.0).abs() < 1e-15);
/// # Ok::<(), pinn::PinnError>(())
/// ```
///
/// # References
/// Doumèche, Bach, Biau, Boyer, *Physics-informed kernel learning*, JMLR 26 (2025), Section 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Domain {
    /// A product of intervals and periodic axes.
    Box(Vec<Axis>),
    /// The disk of the given radius centred at the origin (`d = 2`, radius `<= L`).
    Disk {
        /// Radius, in `(0, L]`.
        radius: f64,
    },
}

impl Domain {
    /// The cube `[-L, L]^dim`.
    pub fn cube(dim: usize, half_width: f64) -> Self {
        Domain::Box(vec![Axis::Interval { lower: -half_width, upper: half_width }; dim])
    }

    /// The box `prod_j [lower_j, upper_j]`.
    ///
    /// # Panics
    /// If the slices have different lengths.
    #[track_caller]
    pub fn boxed(lower: &[f64], upper: &[f64]) -> Self {
        assert_eq!(lower.len(), upper.len(), "Domain::boxed: bounds of different lengths");
        Domain::Box(
            lower
                .iter()
                .zip(upper)
                .map(|(&lower, &upper)| Axis::Interval { lower, upper })
                .collect(),
        )
    }

    /// The disk of radius `radius` centred at 0 in the plane.
    pub fn disk(radius: f64) -> Self {
        Domain::Disk { radius }
    }

    /// Number of variables.
    pub fn dim(&self) -> usize {
        match self {
            Domain::Box(axes) => axes.len(),
            Domain::Disk { .. } => 2,
        }
    }

    /// Checks that the domain fits the basis: same dimension, intervals inside `[-L, L]` with
    /// `lower < upper`, disk radius in `(0, L]`.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] naming the offending field.
    pub fn validate(&self, basis: &FourierBasis) -> Result<()> {
        if self.dim() != basis.dim() {
            return Err(PinnError::invalid("domain dimension", self.dim(), "the basis dimension"));
        }
        let l = basis.half_width();
        // Allow rounding in bounds computed as centre +- half width.
        let slack = 1e-12 * l;
        match self {
            Domain::Box(axes) => {
                for axis in axes {
                    if let Axis::Interval { lower, upper } = *axis {
                        let ok = lower.is_finite()
                            && upper.is_finite()
                            && lower < upper
                            && lower >= -l - slack
                            && upper <= l + slack;
                        if !ok {
                            return Err(PinnError::invalid(
                                "interval",
                                format!("[{lower}, {upper}]"),
                                "lower < upper inside [-L, L]",
                            ));
                        }
                    }
                }
            }
            Domain::Disk { radius } => {
                if !(radius.is_finite() && *radius > 0.0 && *radius <= l + slack) {
                    return Err(PinnError::invalid("radius", radius, "a radius in (0, L]"));
                }
            }
        }
        Ok(())
    }

    /// Whether `x` lies in the closed domain (periodic axes accept `[-2L, 2L]`).
    ///
    /// # Panics
    /// If `x.len() != self.dim()`.
    #[track_caller]
    pub fn contains(&self, basis: &FourierBasis, x: &[f64]) -> bool {
        assert_eq!(x.len(), self.dim(), "Domain::contains: wrong point length");
        match self {
            Domain::Box(axes) => axes.iter().zip(x).all(|(axis, &v)| match *axis {
                Axis::Interval { lower, upper } => (lower..=upper).contains(&v),
                Axis::Periodic => v.abs() <= 2.0 * basis.half_width(),
            }),
            Domain::Disk { radius } => x[0].hypot(x[1]) <= *radius,
        }
    }

    /// The Gram entry `T(Δ) = (4L)^{-d} int_Omega exp(i omega <Δ, x>) dx` (see the table above).
    ///
    /// # Panics
    /// If `delta.len() != self.dim()`.
    #[track_caller]
    pub fn gram_entry(&self, basis: &FourierBasis, delta: &[i64]) -> c64 {
        assert_eq!(delta.len(), self.dim(), "Domain::gram_entry: wrong frequency length");
        let l = basis.half_width();
        let omega = basis.omega();
        match self {
            Domain::Box(axes) => {
                let mut prod = c64::new(1.0, 0.0);
                for (axis, &dj) in axes.iter().zip(delta) {
                    prod *= match *axis {
                        Axis::Periodic => c64::new(if dj == 0 { 1.0 } else { 0.0 }, 0.0),
                        Axis::Interval { lower, upper } => {
                            interval_gram(lower, upper, dj, omega, l)
                        }
                    };
                }
                prod
            }
            Domain::Disk { radius } => {
                let norm = (delta[0] as f64).hypot(delta[1] as f64);
                let value = if norm == 0.0 {
                    std::f64::consts::PI * radius * radius / (16.0 * l * l)
                } else {
                    std::f64::consts::PI * radius * bessel_j1(omega * radius * norm)
                        / (8.0 * l * l * omega * norm)
                };
                c64::new(value, 0.0)
            }
        }
    }
}

/// `(4L)^{-1} int_a^b exp(i omega Δ x) dx`.
fn interval_gram(a: f64, b: f64, delta: i64, omega: f64, l: f64) -> c64 {
    if delta == 0 {
        return c64::new((b - a) / (4.0 * l), 0.0);
    }
    let w = omega * delta as f64;
    // Centre the interval so that symmetric intervals give an exactly real entry.
    let (centre, half) = (0.5 * (a + b), 0.5 * (b - a));
    let real_part = 2.0 * (w * half).sin() / (4.0 * l * w);
    c64::new(0.0, w * centre).exp() * real_part
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (4L)^{-2} int_Omega exp(i omega <Δ, x>) dx by a tensor midpoint rule on the box itself,
    /// or in polar coordinates on the disk: smooth integrands, error O(h^2).
    fn quadrature(basis: &FourierBasis, dom: &Domain, delta: &[i64], n: usize) -> c64 {
        let l = basis.half_width();
        let w = basis.omega();
        let phase =
            |x: f64, y: f64| c64::new(0.0, w * (delta[0] as f64 * x + delta[1] as f64 * y)).exp();
        let mut sum = c64::new(0.0, 0.0);
        match dom {
            Domain::Box(axes) => {
                let bounds: Vec<(f64, f64)> = axes
                    .iter()
                    .map(|a| match *a {
                        Axis::Interval { lower, upper } => (lower, upper),
                        Axis::Periodic => (-2.0 * l, 2.0 * l),
                    })
                    .collect();
                let (hx, hy) = (
                    (bounds[0].1 - bounds[0].0) / n as f64,
                    (bounds[1].1 - bounds[1].0) / n as f64,
                );
                for i in 0..n {
                    for j in 0..n {
                        let x = bounds[0].0 + (i as f64 + 0.5) * hx;
                        let y = bounds[1].0 + (j as f64 + 0.5) * hy;
                        sum += phase(x, y) * (hx * hy);
                    }
                }
            }
            Domain::Disk { radius } => {
                let (hr, ht) = (radius / n as f64, 2.0 * std::f64::consts::PI / n as f64);
                for i in 0..n {
                    let r = (i as f64 + 0.5) * hr;
                    for j in 0..n {
                        let t = (j as f64 + 0.5) * ht;
                        sum += phase(r * t.cos(), r * t.sin()) * (r * hr * ht);
                    }
                }
            }
        }
        sum * (1.0 / (16.0 * l * l))
    }

    #[test]
    fn closed_forms_match_quadrature() {
        let basis = FourierBasis::new(2, 4, 0.7).unwrap();
        let square = Domain::cube(2, 0.7);
        let offset = Domain::boxed(&[-0.3, -0.7], &[0.6, 0.2]);
        let disk = Domain::disk(0.7);
        for delta in [[0_i64, 0], [1, 0], [3, -2], [-5, 4]] {
            for dom in [&square, &offset, &disk] {
                let exact = dom.gram_entry(&basis, &delta);
                let approx = quadrature(&basis, dom, &delta, 600);
                assert!((exact - approx).norm() < 1e-5, "{dom:?} {delta:?}: {exact} vs {approx}");
            }
        }
        // The symmetric interval gives sin(pi Δ / 2) / (pi Δ) exactly.
        let t = square.gram_entry(&basis, &[3, 0]);
        let expected =
            (1.5 * std::f64::consts::PI).sin() / (3.0 * std::f64::consts::PI) * 0.25 * 2.0;
        assert!((t.re - expected).abs() < 1e-15 && t.im.abs() < 1e-16, "{t}");
    }

    #[test]
    fn periodic_axis_is_orthogonal_and_validation_rejects_bad_domains() {
        let basis = FourierBasis::new(2, 3, 0.5).unwrap();
        let dom = Domain::Box(vec![Axis::Interval { lower: -0.5, upper: 0.5 }, Axis::Periodic]);
        assert!(dom.validate(&basis).is_ok());
        assert!(dom.gram_entry(&basis, &[2, 1]).norm() < 1e-300);
        // (2L / 4L) on the interval times 1 on the period.
        assert!((dom.gram_entry(&basis, &[0, 0]).re - 0.5).abs() < 1e-15);
        assert!(Domain::disk(0.6).validate(&basis).is_err());
        assert!(Domain::boxed(&[0.2, 0.0], &[0.1, 0.3]).validate(&basis).is_err());
        assert!(Domain::cube(1, 0.5).validate(&basis).is_err());
    }
}
