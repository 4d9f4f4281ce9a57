//! Vectorised activation kernels: `sigma` and `sigma'` over a slice in one pass.
//!
//! GELU (tanh form) is evaluated without `tanh`: with `u = c (x + a x^3)`,
//! `c = sqrt(2 / pi)`, `a = 0.044715` and `e = exp(-2 u)`,
//!
//! ```text
//! gelu(x)  = 0.5 x (1 + tanh u) = x s,                     s = 1 / (1 + e),
//! gelu'(x) = s + 2 x s (1 - s) c (1 + 3 a x^2),            s (1 - s) = (e s) s,
//! ```
//!
//! which has no cancellation (every term is a product or a sum of terms of one sign, except
//! the final sum, which is that of the exact derivative). The exponential is the branch-free
//! one of `megavolt_core::math`, and the loop is dispatched at run time to the widest SIMD
//! instruction set (AVX-512, AVX2 + FMA) by `pulp`; the polynomial uses explicit `mul_add`, so
//! results do not depend on the instruction set chosen. Other activations fall back to
//! [`Activation::apply`] and [`Activation::derivative`] entry by entry.

use megavolt_core::math::exp;
use megavolt_core::nn::Activation;

const GELU_C: f64 = 0.797_884_560_802_865_4; // sqrt(2 / pi)
const GELU_A: f64 = 0.044715;
// exp(700) is finite, so e * s * s below never forms inf * 0.
const EXP_ARG_MAX: f64 = 700.0;

#[inline(always)]
fn gelu_parts(x: f64) -> (f64, f64, f64) {
    let x2 = x * x;
    let u = GELU_C * x.mul_add(GELU_A * x2, x);
    // `min` would turn a NaN argument into 700; x itself carries the NaN into the result.
    let arg = if -2.0 * u > EXP_ARG_MAX { EXP_ARG_MAX } else { -2.0 * u };
    let e = exp(arg);
    let s = 1.0 / (1.0 + e);
    (x2, e, s)
}

#[inline(always)]
fn gelu_value_and_derivative(x: f64) -> (f64, f64) {
    let (x2, e, s) = gelu_parts(x);
    let ss = (e * s) * s;
    let dudx = GELU_C * (3.0 * GELU_A).mul_add(x2, 1.0);
    (x * s, (2.0 * x * ss).mul_add(dudx, s))
}

/// Replaces every `z` by `sigma(z)`.
pub(crate) fn apply_in_place(act: Activation, z: &mut [f64]) {
    match act {
        Activation::Gelu => pulp::Arch::new().dispatch(
            #[inline(always)]
            || {
                for zi in z.iter_mut() {
                    let (_, _, s) = gelu_parts(*zi);
                    *zi *= s;
                }
            },
        ),
        other => {
            for zi in z.iter_mut() {
                *zi = other.apply(*zi);
            }
        }
    }
}

/// Replaces every `z` by `sigma(z)` and writes `sigma'(z)` into `dz`.
///
/// # Panics
/// If the slices differ in length.
#[track_caller]
pub(crate) fn apply_with_derivative(act: Activation, z: &mut [f64], dz: &mut [f64]) {
    assert_eq!(z.len(), dz.len(), "apply_with_derivative: lengths differ");
    match act {
        Activation::Gelu => pulp::Arch::new().dispatch(
            #[inline(always)]
            || {
                for (zi, di) in z.iter_mut().zip(dz.iter_mut()) {
                    (*zi, *di) = gelu_value_and_derivative(*zi);
                }
            },
        ),
        Activation::Tanh => {
            for (zi, di) in z.iter_mut().zip(dz.iter_mut()) {
                let t = zi.tanh();
                (*zi, *di) = (t, 1.0 - t * t);
            }
        }
        other => {
            for (zi, di) in z.iter_mut().zip(dz.iter_mut()) {
                (*zi, *di) = (other.apply(*zi), other.derivative(*zi));
            }
        }
    }
}

/// `u *= d` entry by entry, vectorised.
///
/// # Panics
/// If the slices differ in length.
#[track_caller]
pub(crate) fn mul_in_place(u: &mut [f64], d: &[f64]) {
    assert_eq!(u.len(), d.len(), "mul_in_place: lengths differ");
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || {
            for (ui, di) in u.iter_mut().zip(d) {
                *ui *= di;
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tanh-free GELU against the textbook tanh form, and its derivative against central
    /// differences of the textbook form.
    #[test]
    fn gelu_kernel_matches_the_tanh_form() {
        let xs: Vec<f64> = (-4000..=4000).map(|i| f64::from(i) * 2.5e-3).collect();
        let mut z = xs.clone();
        let mut dz = vec![0.0; xs.len()];
        apply_with_derivative(Activation::Gelu, &mut z, &mut dz);
        let mut only = xs.clone();
        apply_in_place(Activation::Gelu, &mut only);
        let gelu = |x: f64| 0.5 * x * (1.0 + (GELU_C * (x + GELU_A * x * x * x)).tanh());
        for ((&x, (&v, &d)), &o) in xs.iter().zip(z.iter().zip(&dz)).zip(&only) {
            // Both forms are accurate to a few ulps of max(|gelu|, u |x|).
            assert!((v - gelu(x)).abs() <= 8.0 * f64::EPSILON * x.abs().max(1e-300), "{x}");
            assert_eq!(v.to_bits(), o.to_bits(), "value-only and fused kernels agree at {x}");
            let h = 1e-5;
            let fd = (gelu(x + h) - gelu(x - h)) / (2.0 * h);
            // Central differences: O(h^2 gelu''') plus rounding O(u / h).
            assert!((d - fd).abs() < 1e-9, "{x}: {d} vs {fd}");
        }
    }

    #[test]
    fn gelu_kernel_limits_and_nan() {
        let mut z = vec![-1e6, -40.0, 40.0, 1e6, f64::NAN, 0.0];
        let mut dz = vec![0.0; z.len()];
        apply_with_derivative(Activation::Gelu, &mut z, &mut dz);
        assert!(z[0].abs() < 1e-250 && dz[0].abs() < 1e-250, "gelu(-inf) -> 0, slope 0");
        assert!(z[1].abs() < 1e-250 && dz[1].abs() < 1e-250);
        assert!((z[2] - 40.0).abs() < 1e-12 && (dz[2] - 1.0).abs() < 1e-12);
        assert!((z[3] - 1e6).abs() < 1e-6 && (dz[3] - 1.0).abs() < 1e-12);
        assert!(z[4].is_nan() && dz[4].is_nan(), "NaN propagates");
        assert!(z[5].abs() < f64::MIN_POSITIVE && (dz[5] - 0.5).abs() < f64::EPSILON);
    }
}
