//! Volume fraction of a cell cut by a line (2D) or a plane (3D), and its inverse.
//!
//! The unit cell is `[0, 1]^d` and the material is the half-space
//!
//! ```text
//! { x in [0, 1]^d : m . x <= alpha }.
//! ```
//!
//! The forward map `alpha -> V(m, alpha)` is the analytic relation of Scardovelli & Zaleski
//! (2000), eqs. (2.4)-(2.9), rewritten so that no term is divided by a vanishing normal
//! component: after reflecting to `m_i >= 0`, sorting `m_1 <= m_2 (<= m_3)` and using the
//! symmetry `V(m, M - alpha) = 1 - V(m, alpha)` with `M = sum m_i`, every piece is a
//! polynomial whose coefficients stay bounded as `m_1 -> 0`. Axis-aligned normals, `alpha`
//! outside `[0, M]` and `V` at 0 or 1 are therefore exact, not special cases. The inverse
//! `V -> alpha` is closed form in 2D and on the first, second and linear pieces in 3D, and a
//! bracketed Newton iteration on the two cubic pieces.
//!
//! Rectangular cells `[0, dx] x [0, dy] (x [0, dz])` reduce to the unit cell by scaling the
//! normal: `m_i <- m_i dx_i` ([`rect_volume`], [`box_volume`]).
//!
//! ```
//! use vof_ml::volume::{line_volume, line_alpha, plane_volume};
//!
//! assert!((line_volume([1.0, 2.0], 1.0) - 0.25).abs() < 1e-15);
//! assert!((plane_volume([1.0, 1.0, 1.0], 1.5) - 0.5).abs() < 1e-15);
//! let alpha = line_alpha([0.3, -0.8], 0.4);
//! assert!((line_volume([0.3, -0.8], alpha) - 0.4).abs() < 1e-15);
//! ```
//!
//! # References
//! R. Scardovelli, S. Zaleski, *Analytical relations connecting linear interfaces and volume
//! fractions in rectangular grids*, J. Comput. Phys. 164 (2000) 228-237.

/// Reflects to non-negative components and rescales so that the largest is 1: returns
/// `(|m| / s, alpha' / s)`, which has the same volume. The rescaling keeps products of
/// components away from underflow for tiny normals (e.g. `1e-200`).
#[inline]
fn reflect<const D: usize>(m: [f64; D], alpha: f64) -> ([f64; D], f64) {
    let mut a = alpha;
    let mut out = m;
    for v in &mut out {
        if *v < 0.0 {
            a -= *v;
            *v = -*v;
        }
    }
    let s = out.iter().fold(0.0_f64, |x, v| x.max(*v));
    if s > 0.0 && s.is_finite() {
        for v in &mut out {
            *v /= s;
        }
        a /= s;
    }
    (out, a)
}

/// Largest absolute component (1 for the zero vector).
#[inline]
fn scale_of<const D: usize>(m: [f64; D]) -> f64 {
    let s = m.iter().fold(0.0_f64, |x, v| x.max(v.abs()));
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

/// Shift that undoes [`reflect`] on the plane constant.
#[inline]
fn reflect_shift<const D: usize>(m: [f64; D]) -> f64 {
    m.iter().filter(|v| **v < 0.0).sum()
}

/// Area fraction of the unit square below the line `m . x = alpha`.
///
/// Any normal, including zero components; returns 0 for `alpha <= min m.x` and 1 for
/// `alpha >= max m.x`. For `m = 0` it returns 1 if `alpha >= 0` and 0 otherwise.
///
/// # References
/// Scardovelli & Zaleski (2000), eq. (2.4).
pub fn line_volume(m: [f64; 2], alpha: f64) -> f64 {
    let (m, a) = reflect(m, alpha);
    let (m1, m2) = if m[0] <= m[1] { (m[0], m[1]) } else { (m[1], m[0]) };
    let big = m1 + m2;
    if a <= 0.0 {
        return if big == 0.0 && a == 0.0 { 1.0 } else { 0.0 };
    }
    if a >= big {
        return 1.0;
    }
    let (ah, flip) = if a > 0.5 * big { (big - a, true) } else { (a, false) };
    let v = if ah <= m1 { ah * ah / (2.0 * m1 * m2) } else { (2.0 * ah - m1) / (2.0 * m2) };
    if flip { 1.0 - v } else { v }
}

/// The line constant `alpha` with `line_volume(m, alpha) = volume`.
///
/// `volume` is clamped to `[0, 1]`; the returned `alpha` is then exact to rounding.
///
/// # Panics
/// If `m` is zero or not finite.
#[track_caller]
pub fn line_alpha(m: [f64; 2], volume: f64) -> f64 {
    assert!(
        m.iter().all(|v| v.is_finite()) && m.iter().any(|v| *v != 0.0),
        "line_alpha: normal must be finite and non-zero, got {m:?}"
    );
    let c = volume.clamp(0.0, 1.0);
    let (mm, _) = reflect(m, 0.0);
    let (m1, m2) = if mm[0] <= mm[1] { (mm[0], mm[1]) } else { (mm[1], mm[0]) };
    let big = m1 + m2;
    let ch = c.min(1.0 - c);
    let a = if ch <= 0.5 * m1 / m2 { (2.0 * m1 * m2 * ch).sqrt() } else { m2 * ch + 0.5 * m1 };
    let a = if c > 0.5 { big - a } else { a };
    a * scale_of(m) + reflect_shift(m)
}

/// Volume fraction of the unit cube below the plane `m . x = alpha`.
///
/// Any normal, including zero components (the 2D and 1D limits come out of the same
/// formulas). For `m = 0` it returns 1 if `alpha >= 0` and 0 otherwise.
///
/// # References
/// Scardovelli & Zaleski (2000), eqs. (2.7)-(2.9).
pub fn plane_volume(m: [f64; 3], alpha: f64) -> f64 {
    let (m, a) = reflect(m, alpha);
    let [m1, m2, m3] = sorted3(m);
    let big = m1 + m2 + m3;
    if a <= 0.0 {
        return if big == 0.0 && a == 0.0 { 1.0 } else { 0.0 };
    }
    if a >= big {
        return 1.0;
    }
    let (ah, flip) = if a > 0.5 * big { (big - a, true) } else { (a, false) };
    let v = half_volume(m1, m2, m3, ah);
    if flip { 1.0 - v } else { v }
}

/// `V` on `0 < a <= M / 2` for sorted non-negative components.
#[inline]
fn half_volume(m1: f64, m2: f64, m3: f64, a: f64) -> f64 {
    if a <= m1 {
        a * a * a / (6.0 * m1 * m2 * m3)
    } else if a <= m2 {
        (3.0 * a * a - 3.0 * a * m1 + m1 * m1) / (6.0 * m2 * m3)
    } else if m3 >= m1 + m2 && a >= m1 + m2 {
        (2.0 * a - m1 - m2) / (2.0 * m3)
    } else {
        // Cubic pieces: the removed corners (a - m2)^3 and (a - m3)^3 are at most m1^3.
        let base = (3.0 * a * a - 3.0 * a * m1 + m1 * m1) / (6.0 * m2 * m3);
        let d2 = a - m2;
        let d3 = (a - m3).max(0.0);
        base - (d2 * d2 * d2 + d3 * d3 * d3) / (6.0 * m1 * m2 * m3)
    }
}

/// `dV/da` on the cubic pieces of [`half_volume`].
#[inline]
fn half_volume_slope(m1: f64, m2: f64, m3: f64, a: f64) -> f64 {
    let d2 = a - m2;
    let d3 = (a - m3).max(0.0);
    (2.0 * a - m1) / (2.0 * m2 * m3) - (d2 * d2 + d3 * d3) / (2.0 * m1 * m2 * m3)
}

#[inline]
fn sorted3(m: [f64; 3]) -> [f64; 3] {
    let mut s = m;
    if s[0] > s[1] {
        s.swap(0, 1);
    }
    if s[1] > s[2] {
        s.swap(1, 2);
    }
    if s[0] > s[1] {
        s.swap(0, 1);
    }
    s
}

/// The plane constant `alpha` with `plane_volume(m, alpha) = volume`.
///
/// `volume` is clamped to `[0, 1]`. Closed form on the cube-root, quadratic and linear pieces;
/// on the two cubic pieces a Newton iteration kept inside the piece's bracket (the function is
/// increasing and convex-concave there), which converges to rounding in a few steps.
///
/// # Panics
/// If `m` is zero or not finite.
#[track_caller]
pub fn plane_alpha(m: [f64; 3], volume: f64) -> f64 {
    assert!(
        m.iter().all(|v| v.is_finite()) && m.iter().any(|v| *v != 0.0),
        "plane_alpha: normal must be finite and non-zero, got {m:?}"
    );
    let c = volume.clamp(0.0, 1.0);
    let (mm, _) = reflect(m, 0.0);
    let [m1, m2, m3] = sorted3(mm);
    let big = m1 + m2 + m3;
    let ch = c.min(1.0 - c);
    let a = half_alpha(m1, m2, m3, ch);
    let a = if c > 0.5 { big - a } else { a };
    a * scale_of(m) + reflect_shift(m)
}

fn half_alpha(m1: f64, m2: f64, m3: f64, c: f64) -> f64 {
    if c <= 0.0 {
        return 0.0;
    }
    let big = m1 + m2 + m3;
    if m2 == 0.0 {
        return m3 * c;
    }
    let v1 = if m1 > 0.0 { m1 * m1 / (6.0 * m2 * m3) } else { 0.0 };
    if c <= v1 {
        return (6.0 * m1 * m2 * m3 * c).cbrt();
    }
    let v2 = (3.0 * m2 * m2 - 3.0 * m2 * m1 + m1 * m1) / (6.0 * m2 * m3);
    if c <= v2 {
        return 0.5 * m1 + (2.0 * m2 * m3 * c - m1 * m1 / 12.0).max(0.0).sqrt();
    }
    if m3 >= m1 + m2 {
        let v3 = (m1 + m2) / (2.0 * m3);
        if c >= v3 {
            return m3 * c + 0.5 * (m1 + m2);
        }
    }
    // Cubic pieces on [m2, hi].
    let hi = if m3 >= m1 + m2 { m1 + m2 } else { 0.5 * big };
    let (mut lo, mut up) = (m2, hi);
    let mut a = 0.5 * (lo + up);
    for _ in 0..100 {
        let f = half_volume(m1, m2, m3, a) - c;
        if f > 0.0 {
            up = a;
        } else {
            lo = a;
        }
        let slope = half_volume_slope(m1, m2, m3, a);
        let mut next = a - f / slope;
        if !(next > lo && next < up) {
            next = 0.5 * (lo + up);
        }
        if (next - a).abs() <= 1e-16 * big.max(1e-300) || up - lo <= 4.0 * f64::EPSILON * big {
            return next;
        }
        a = next;
    }
    a
}

/// Area fraction of the rectangle `[0, dx] x [0, dy]` below `m . x = alpha`.
///
/// # Panics
/// If a side is not positive.
#[track_caller]
pub fn rect_volume(m: [f64; 2], alpha: f64, size: [f64; 2]) -> f64 {
    assert!(size.iter().all(|s| *s > 0.0), "rect_volume: sides must be positive, got {size:?}");
    line_volume([m[0] * size[0], m[1] * size[1]], alpha)
}

/// Volume fraction of the box `[0, dx] x [0, dy] x [0, dz]` below `m . x = alpha`.
///
/// # Panics
/// If a side is not positive.
#[track_caller]
pub fn box_volume(m: [f64; 3], alpha: f64, size: [f64; 3]) -> f64 {
    assert!(size.iter().all(|s| *s > 0.0), "box_volume: sides must be positive, got {size:?}");
    plane_volume([m[0] * size[0], m[1] * size[1], m[2] * size[2]], alpha)
}

/// The line constant of the rectangle `[0, dx] x [0, dy]` holding `volume`.
///
/// # Panics
/// If a side is not positive or `m` is zero.
#[track_caller]
pub fn rect_alpha(m: [f64; 2], volume: f64, size: [f64; 2]) -> f64 {
    assert!(size.iter().all(|s| *s > 0.0), "rect_alpha: sides must be positive, got {size:?}");
    line_alpha([m[0] * size[0], m[1] * size[1]], volume)
}

/// The plane constant of the box `[0, dx] x [0, dy] x [0, dz]` holding `volume`.
///
/// # Panics
/// If a side is not positive or `m` is zero.
#[track_caller]
pub fn box_alpha(m: [f64; 3], volume: f64, size: [f64; 3]) -> f64 {
    assert!(size.iter().all(|s| *s > 0.0), "box_alpha: sides must be positive, got {size:?}");
    plane_alpha([m[0] * size[0], m[1] * size[1], m[2] * size[2]], volume)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Brute-force midpoint quadrature of the indicator, error O(1/n) per crossing cell.
    fn brute_2d(m: [f64; 2], a: f64, n: usize) -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                let x = (i as f64 + 0.5) / n as f64;
                let y = (j as f64 + 0.5) / n as f64;
                if m[0] * x + m[1] * y <= a {
                    s += 1.0;
                }
            }
        }
        s / (n * n) as f64
    }

    #[test]
    fn closed_form_values() {
        assert!((line_volume([1.0, 2.0], 1.0) - 0.25).abs() < 1e-15);
        assert!((line_volume([1.0, 1.0], 1.5) - 0.875).abs() < 1e-15);
        for (a, v) in [(1.0, 1.0 / 6.0), (1.5, 0.5), (2.0, 5.0 / 6.0)] {
            assert!((plane_volume([1.0, 1.0, 1.0], a) - v).abs() < 1e-15);
        }
        assert!((plane_volume([0.2, 0.3, 0.5], 0.25) - 0.0155 / 0.18).abs() < 1e-15);
        // Degenerate normals: 1D and 2D limits.
        assert!((plane_volume([0.0, 0.0, 2.0], 0.5) - 0.25).abs() < 1e-15);
        assert!((plane_volume([0.0, 1.0, 2.0], 1.0) - line_volume([1.0, 2.0], 1.0)).abs() < 1e-15);
        assert!((line_volume([0.0, -4.0], -1.0) - 0.75).abs() < 1e-15);
        // Tiny normals: products of components would underflow without rescaling.
        assert!((line_volume([1e-200, 1e-200], 5e-201) - 0.125).abs() < 1e-15);
        assert!((plane_volume([1e-200, 1e-200, 1e-200], 1e-200) - 1.0 / 6.0).abs() < 1e-15);
        let a = plane_alpha([1e-200, -2e-200, 3e-200], 0.3);
        assert!((plane_volume([1e-200, -2e-200, 3e-200], a) - 0.3).abs() < 1e-14);
        let a = line_alpha([-1e-200, 3e-200], 0.7);
        assert!((line_volume([-1e-200, 3e-200], a) - 0.7).abs() < 1e-14);
    }

    #[test]
    fn line_volume_matches_quadrature() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            let m = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let a = rng.random_range(-1.0..1.0);
            // 400 x 400 midpoint rule: error below a few cells of width 1/400 along the line.
            assert!((line_volume(m, a) - brute_2d(m, a, 400)).abs() < 6e-3);
        }
    }

    #[test]
    fn round_trips_and_symmetry() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for k in 0..4000 {
            let mut m3 = [
                rng.random_range(-1.0..1.0),
                rng.random_range(-1.0..1.0),
                rng.random_range(-1.0..1.0),
            ];
            if k % 4 == 1 {
                m3[k % 3] = 0.0;
            }
            if k % 8 == 3 {
                m3[(k + 1) % 3] = 1e-13;
            }
            let c: f64 = match k % 5 {
                0 => rng.random_range(0.0..1e-6),
                1 => 1.0 - rng.random_range(0.0..1e-6),
                _ => rng.random(),
            };
            let a = plane_alpha(m3, c);
            assert!((plane_volume(m3, a) - c).abs() < 1e-12, "3D {m3:?} {c}");
            let m2 = [m3[0], m3[1]];
            if m2.iter().any(|v| *v != 0.0) {
                let a = line_alpha(m2, c);
                assert!((line_volume(m2, a) - c).abs() < 1e-12, "2D {m2:?} {c}");
            }
            // Forward symmetry V(M - alpha) = 1 - V(alpha) for positive components.
            let mm = [m3[0].abs(), m3[1].abs(), m3[2].abs()];
            let big: f64 = mm.iter().sum();
            let t = rng.random_range(0.0..big);
            assert!((plane_volume(mm, big - t) - (1.0 - plane_volume(mm, t))).abs() < 1e-14);
        }
        // alpha -> V -> alpha on well-conditioned pieces.
        for _ in 0..1000 {
            let m = [
                rng.random_range(0.1..1.0),
                rng.random_range(0.1..1.0),
                rng.random_range(0.1..1.0),
            ];
            let big: f64 = m.iter().sum();
            let a = rng.random_range(0.05 * big..0.95 * big);
            assert!((plane_alpha(m, plane_volume(m, a)) - a).abs() < 1e-12);
            let a2 = rng.random_range(0.05..0.95) * (m[0] + m[1]);
            assert!((line_alpha([m[0], m[1]], line_volume([m[0], m[1]], a2)) - a2).abs() < 1e-12);
        }
    }

    #[test]
    fn volume_is_monotone_and_bounded() {
        let m = [0.3, 0.05, 0.9];
        let mut prev = -1.0;
        for k in 0..=1000 {
            let a = -0.1 + 1.4 * k as f64 / 1000.0;
            let v = plane_volume(m, a);
            assert!((0.0..=1.0).contains(&v) && v >= prev);
            prev = v;
        }
    }

    #[test]
    fn rectangles_scale() {
        // Material x + y <= 1 in [0, 2] x [0, 1]: triangle of area 1/2 over 2.
        assert!((rect_volume([1.0, 1.0], 1.0, [2.0, 1.0]) - 0.25).abs() < 1e-15);
        let a = box_alpha([1.0, 1.0, 1.0], 0.5, [1.0, 2.0, 3.0]);
        assert!((box_volume([1.0, 1.0, 1.0], a, [1.0, 2.0, 3.0]) - 0.5).abs() < 1e-14);
        assert!((rect_alpha([0.0, 1.0], 0.3, [1.0, 2.0]) - 0.6).abs() < 1e-15);
    }
}
