//! Vectorised elementary functions for the hot loops of the research crates.
//!
//! [`exp_slice`] and [`softmax_pass`] evaluate the exponential with a branch-free algorithm
//! (Cody–Waite range reduction `x = k ln 2 + r`, `|r| <= ln 2 / 2`, a degree-13 Taylor
//! polynomial for `e^r`, and the scaling by `2^k` built from the exponent bits) that the
//! compiler vectorises. The loop is dispatched at run time to the widest SIMD instruction set
//! of the processor (AVX2 + FMA or AVX-512 where available) through `pulp`, the dispatcher
//! faer uses. The result is within a few units in the last place of `f64::exp` over the whole
//! range, handles overflow (`+inf`), underflow (subnormals, then `0`) and NaN, and is several
//! times faster than calling `f64::exp` element by element.
//!
//! [`ldexp`] and [`ilogb`] scale by powers of two exactly, for code that keeps sums of squares
//! or products of layers within the floating-point range.
//!
//! # Determinism
//! The polynomial is evaluated with explicit `mul_add`, so the rounding does not depend on the
//! instruction set chosen at run time.

const LOG2E: f64 = std::f64::consts::LOG2_E;
// ln 2 split so that k * LN2_HI is exact for |k| < 2^11 (Cody & Waite).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
// 1.5 * 2^52: adding it rounds to the nearest integer and leaves that integer in the low
// mantissa bits.
const ROUND_MAGIC: f64 = 6_755_399_441_055_744.0;
// 1 / i! for i = 13 down to 2.
const INV_FACT: [f64; 12] = [
    1.0 / 6_227_020_800.0,
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
];

/// `e^x`, branch-free, within a few ulps of `f64::exp`. See the [module docs](self).
///
/// Meant to be inlined into loops compiled for FMA hardware ([`exp_slice`], [`softmax_pass`]);
/// called on its own on a processor build without FMA, its `mul_add`s fall back to a slow
/// software routine, so prefer `f64::exp` for isolated scalars.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // Beyond these bounds the result is +inf or 0 anyway; clamping keeps the exponent
    // arithmetic in range (NaN passes through `clamp`).
    let x = x.clamp(-746.0, 710.0);
    let t = x.mul_add(LOG2E, ROUND_MAGIC);
    let k = t - ROUND_MAGIC;
    let r = k.mul_add(-LN2_LO, k.mul_add(-LN2_HI, x));
    let mut p = INV_FACT[0];
    for &c in &INV_FACT[1..] {
        p = p.mul_add(r, c);
    }
    let p = p.mul_add(r, 1.0).mul_add(r, 1.0);
    // 2^k as the product of two normal powers of two, so that subnormal results are right.
    let ki = (t.to_bits() as i64).wrapping_sub(ROUND_MAGIC.to_bits() as i64);
    let k1 = ki >> 1;
    let k2 = ki - k1;
    let s1 = f64::from_bits(((k1 + 1023) as u64) << 52);
    let s2 = f64::from_bits(((k2 + 1023) as u64) << 52);
    p * s1 * s2
}

// Range of `exp_normal`: below, the result is subnormal (flushed to 0); above, it overflows.
const EXP_NORMAL_LOWEST: f64 = -708.0;
const EXP_NORMAL_HIGHEST: f64 = 709.0;

/// `e^x` on `[-708, 709]`, within a few ulps of `f64::exp`; exactly `0` for `x < -708` and
/// `+inf` for `x > 709`, NaN for NaN. The cut-offs lie slightly inside the range of normal
/// results (`-708.39 <= x <= 709.78`), so the last fraction of a unit at each end is flushed.
///
/// Same reduction and polynomial as [`exp`] (the polynomial evaluated by Estrin's scheme: a
/// dependency chain of five operations instead of thirteen), but `2^k` is assembled with
/// integer additions and left shifts only, so that loops of it vectorise on AVX2 too; the
/// price is the flush of subnormal results to zero. Deterministic across instruction sets.
#[inline(always)]
pub fn exp_normal(x: f64) -> f64 {
    // `clamp` keeps NaN (it becomes NaN in the result).
    let xc = x.clamp(EXP_NORMAL_LOWEST, EXP_NORMAL_HIGHEST);
    let t = xc.mul_add(LOG2E, ROUND_MAGIC);
    let k = t - ROUND_MAGIC;
    let r = k.mul_add(-LN2_LO, k.mul_add(-LN2_HI, xc));
    // Estrin's scheme: a dependency chain of five operations instead of Horner's thirteen, so
    // that the out-of-order core overlaps many elements.
    let c = &INV_FACT;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q0 = r + 1.0;
    let q1 = c[10].mul_add(r, c[11]); // 1/2 + r/6
    let q2 = c[8].mul_add(r, c[9]);
    let q3 = c[6].mul_add(r, c[7]);
    let q4 = c[4].mul_add(r, c[5]);
    let q5 = c[2].mul_add(r, c[3]);
    let q6 = c[0].mul_add(r, c[1]);
    let s0 = q1.mul_add(r2, q0);
    let s1 = q3.mul_add(r2, q2);
    let s2 = q5.mul_add(r2, q4);
    let u0 = s1.mul_add(r4, s0);
    let u1 = q6.mul_add(r4, s2);
    let p = u1.mul_add(r8, u0);
    // The low 12 bits of `t` hold k (two's complement), |k| <= 1023: adding the exponent bias
    // and shifting gives the bits of 2^k.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    let v = p * scale;
    if x < EXP_NORMAL_LOWEST {
        0.0
    } else if x > EXP_NORMAL_HIGHEST {
        f64::INFINITY
    } else {
        v
    }
}

/// Replaces every entry by its exponential.
pub fn exp_slice(xs: &mut [f64]) {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || {
            for v in xs.iter_mut() {
                *v = exp(*v);
            }
        },
    );
}

/// The fused softmax pass: replaces every `x` by `e^{beta (x - shift)}` and returns the sum of
/// the new values.
///
/// With `shift = max x`, every argument is `<= 0`, so no term overflows whatever `beta`.
pub fn softmax_pass(xs: &mut [f64], beta: f64, shift: f64) -> f64 {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || {
            // Two passes over a cache-resident slice: the exponential loop vectorises on its
            // own, while fusing the sum into it keeps the compiler from vectorising at all.
            for v in xs.iter_mut() {
                *v = exp(beta * (*v - shift));
            }
            // Four partial sums in a fixed order: deterministic and vectorisable.
            let mut sum = [0.0f64; 4];
            let mut chunks = xs.chunks_exact(4);
            for c in &mut chunks {
                for k in 0..4 {
                    sum[k] += c[k];
                }
            }
            let tail: f64 = chunks.remainder().iter().sum();
            (sum[0] + sum[1]) + (sum[2] + sum[3]) + tail
        },
    )
}

/// `2^k` for `-1022 <= k <= 1023`, built from its exponent bits.
fn pow2(k: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&k));
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// `x * 2^e`, exact unless the result leaves the range of normal numbers (then it overflows to
/// infinity or rounds into the subnormals, as one multiplication would).
///
/// ```
/// use megavolt_core::math::ldexp;
/// assert_eq!(ldexp(3.0, -2), 0.75);
/// assert_eq!(ldexp(1.5, 2000), f64::INFINITY);
/// assert_eq!(ldexp(ldexp(1.0, -1050), 1050), 1.0); // via a subnormal
/// ```
pub fn ldexp(x: f64, e: i32) -> f64 {
    // Steps of at most 2^1000 (a normal number either way): each product is exact while it
    // stays normal, and scaling moves monotonically towards the result, so only the last
    // product can leave the normal range.
    let mut y = x;
    let mut rest = e;
    while rest != 0 && y != 0.0 && y.is_finite() {
        let step = rest.clamp(-1000, 1000);
        y *= pow2(step);
        rest -= step;
    }
    y
}

/// The binary exponent of `x`: the `e` with `2^e <= |x| < 2^(e+1)`, for finite nonzero `x`
/// (subnormals included).
///
/// ```
/// use megavolt_core::math::ilogb;
/// assert_eq!(ilogb(1.0), 0);
/// assert_eq!(ilogb(-0.75), -1);
/// assert_eq!(ilogb(1e300), 996);
/// assert_eq!(ilogb(f64::from_bits(1)), -1074);
/// ```
///
/// # Panics
/// In debug builds, if `x` is zero or not finite.
#[track_caller]
pub fn ilogb(x: f64) -> i32 {
    debug_assert!(x != 0.0 && x.is_finite(), "ilogb: {x} is zero or not finite");
    // Lift subnormals into the normal range first; the biased exponent field then gives e.
    let a = x.abs();
    let (y, shift) = if a < f64::MIN_POSITIVE { (a * pow2(64), 64) } else { (a, 0) };
    ((y.to_bits() >> 52) & 0x7ff) as i32 - 1023 - shift
}

/// Euclidean norm of a slice without overflow or underflow: the plain sum of squares when it
/// lies safely inside the normal range (so ordinary vectors give the textbook bits), otherwise
/// the sum rescaled by the largest magnitude. NaN if an entry is NaN; `0` for an empty slice.
///
/// ```
/// use megavolt_core::math::norm2;
/// assert_eq!(norm2(&[3.0, 4.0]), 5.0);
/// assert_eq!(norm2(&[3e300, 4e300]), 5e300);
/// assert!((norm2(&[3e-300, 4e-300]) / 5e-300 - 1.0).abs() < 4.0 * f64::EPSILON);
/// assert!(norm2(&[1.0, f64::NAN]).is_nan());
/// assert_eq!(norm2(&[]), 0.0);
/// ```
pub fn norm2(x: &[f64]) -> f64 {
    let plain: f64 = x.iter().map(|v| v * v).sum();
    if (1e-290..=1e290).contains(&plain) {
        return plain.sqrt();
    }
    if plain.is_nan() {
        return f64::NAN;
    }
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * x.iter().map(|v| (v / scale).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        if a.to_bits() == b.to_bits() {
            return 0.0;
        }
        let spacing = if b.abs() < f64::MIN_POSITIVE {
            f64::from_bits(1)
        } else {
            (b.abs() * f64::EPSILON).max(f64::from_bits(1))
        };
        (a - b).abs() / spacing
    }

    #[test]
    fn matches_std_exp_across_the_range() {
        let mut worst = 0.0f64;
        let n = 200_000;
        for i in 0..=n {
            let x = -745.0 + 1454.0 * f64::from(i) / f64::from(n);
            let e = ulps(exp(x), x.exp());
            if x.exp() >= f64::MIN_POSITIVE {
                worst = worst.max(e);
            } else {
                // Subnormal results: absolute error within a couple of subnormal spacings.
                assert!(
                    (exp(x) - x.exp()).abs()
                        <= 2.0 * f64::from_bits(1) * 2f64.powi(52) * f64::EPSILON,
                    "x = {x}"
                );
            }
        }
        assert!(worst <= 4.0, "worst error {worst} ulp");
        // Small arguments, where the polynomial alone matters.
        for i in 0..10_000 {
            let x = -0.5 + f64::from(i) * 1e-4;
            assert!(ulps(exp(x), x.exp()) <= 2.0, "x = {x}");
        }
    }

    #[test]
    #[allow(clippy::float_cmp, reason = "exact special values")]
    fn special_values() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(1.0), std::f64::consts::E);
    }

    #[test]
    fn slice_kernels_agree_with_the_scalar_function() {
        let xs: Vec<f64> = (0..1003).map(|i| -3.0 + 0.006 * f64::from(i)).collect();
        let mut a = xs.clone();
        exp_slice(&mut a);
        for (x, v) in xs.iter().zip(&a) {
            assert_eq!(v.to_bits(), exp(*x).to_bits());
        }
        let mut b = xs.clone();
        let shift = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum = softmax_pass(&mut b, 2.5, shift);
        let reference: f64 = xs.iter().map(|x| (2.5 * (x - shift)).exp()).sum();
        assert!(
            (sum - reference).abs() <= 8.0 * f64::EPSILON * reference * (xs.len() as f64).sqrt()
        );
        assert!(b.iter().all(|v| *v <= 1.0));
    }

    #[test]
    fn exp_normal_matches_std_exp_over_the_normal_range() {
        let n = 200_000;
        let mut worst = 0.0f64;
        for i in 0..=n {
            let x = EXP_NORMAL_LOWEST
                + (EXP_NORMAL_HIGHEST - EXP_NORMAL_LOWEST) * f64::from(i) / f64::from(n);
            worst = worst.max(ulps(exp_normal(x), x.exp()));
        }
        assert!(worst <= 4.0, "worst error {worst} ulp");
        for i in 0..20_000 {
            let x = -1.0 + f64::from(i) * 1e-4;
            assert!(ulps(exp_normal(x), x.exp()) <= 2.0, "x = {x}");
        }
    }

    #[test]
    #[allow(clippy::float_cmp, reason = "exact special values")]
    fn exp_normal_special_values() {
        assert_eq!(exp_normal(0.0), 1.0);
        assert_eq!(exp_normal(-708.5), 0.0);
        assert_eq!(exp_normal(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_normal(709.5), f64::INFINITY);
        assert!(exp_normal(f64::NAN).is_nan());
        assert!(exp_normal(-708.0) >= f64::MIN_POSITIVE);
        assert!(exp_normal(709.0).is_finite());
    }
}
