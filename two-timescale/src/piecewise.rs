//! Exact integrals of piecewise polynomials built from smoothed-step units.
//!
//! On `[0, 1]`, a unit `sigma_eta(x - u)` is a polynomial of degree at most 3 between the
//! breakpoints `u - eta/2`, `u`, `u + eta/2`, and the target is constant between its jumps.
//! Splitting `[0, 1]` at all these points, every integrand of the loss and of its gradient is a
//! polynomial of degree at most 6 on each piece. On a piece of centre `c` and half-width `w`,
//! polynomials are expanded in the normalised variable `s = (x - c) / w` in `[-1, 1]`, where
//! all coefficients are of order one, and integrated exactly with
//! `int_{-1}^{1} s^n ds = 2 / (n + 1)` for even `n` (0 for odd `n`).

use crate::activation::{sigma, sigma_integral};

/// Coefficients `[c0, c1, c2, c3]` of `c0 + c1 s + c2 s^2 + c3 s^3`.
pub(crate) type Cubic = [f64; 4];

/// `int_{-1}^{1} s^n ds` for `n = 0..=6`.
const MOMENTS: [f64; 7] = [2.0, 0.0, 2.0 / 3.0, 0.0, 2.0 / 5.0, 0.0, 2.0 / 7.0];

/// `int_{-1}^{1} p(s) ds`.
#[inline]
pub(crate) fn integral(p: &Cubic) -> f64 {
    2.0 * p[0] + (2.0 / 3.0) * p[2]
}

/// `int_{-1}^{1} p(s) q(s) ds`.
#[inline]
pub(crate) fn integral_product(p: &Cubic, q: &Cubic) -> f64 {
    let mut s = 0.0;
    for (i, pi) in p.iter().enumerate() {
        for (j, qj) in q.iter().enumerate() {
            if (i + j) % 2 == 0 {
                s += pi * qj * MOMENTS[i + j];
            }
        }
    }
    s
}

/// The state of a unit on one piece.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    /// `sigma_eta = 0` on the piece.
    Off,
    /// `sigma_eta = 1` on the piece.
    On,
    /// Transition: `sigma_eta` and `sigma'(. / eta)` as polynomials in `s`.
    Ramp { value: Cubic, slope: Cubic },
}

/// The unit at `u` on the piece of centre `c` and half-width `w`.
#[inline]
pub(crate) fn unit_on_piece(u: f64, eta: f64, c: f64, w: f64) -> Unit {
    let zc = (c - u) / eta;
    if zc <= -0.5 {
        return Unit::Off;
    }
    if zc >= 0.5 {
        return Unit::On;
    }
    let g = w / eta;
    if zc < 0.0 {
        // 4 (b + g s)^3 and 12 (b + g s)^2 with b = zc + 1/2.
        let b = zc + 0.5;
        Unit::Ramp {
            value: [4.0 * b * b * b, 12.0 * b * b * g, 12.0 * b * g * g, 4.0 * g * g * g],
            slope: [12.0 * b * b, 24.0 * b * g, 12.0 * g * g, 0.0],
        }
    } else {
        // 1 - 4 (b - g s)^3 and 12 (b - g s)^2 with b = 1/2 - zc.
        let b = 0.5 - zc;
        Unit::Ramp {
            value: [1.0 - 4.0 * b * b * b, 12.0 * b * b * g, -12.0 * b * g * g, 4.0 * g * g * g],
            slope: [12.0 * b * b, -24.0 * b * g, 12.0 * g * g, 0.0],
        }
    }
}

/// The sorted, de-duplicated breakpoints in `[0, 1]` of the units at `positions` and of the
/// jumps at `jumps`, including 0 and 1.
pub(crate) fn breakpoints(positions: &[f64], eta: f64, jumps: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.push(0.0);
    out.push(1.0);
    out.extend(jumps.iter().copied());
    for &u in positions {
        for p in [u - 0.5 * eta, u, u + 0.5 * eta] {
            if p > 0.0 && p < 1.0 {
                out.push(p);
            }
        }
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
}

/// Integrals of one additive component against its residual.
///
/// For the residual `r(x) = sum_j a_j sigma_eta(x - u_j) - g(x)`, with `g` piecewise
/// constant, all integrals over `[0, 1]`:
///
/// | field | value |
/// |---|---|
/// | `mean` | `int r` |
/// | `square` | `int r^2` |
/// | `r_sigma[j]` | `int r sigma_eta(x - u_j)` |
/// | `r_slope[j]` | `int r sigma'((x - u_j) / eta)` |
/// | `sigma_mean[j]` | `int sigma_eta(x - u_j)` |
/// | `slope_mean[j]` | `int sigma'((x - u_j) / eta)` |
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ComponentIntegrals {
    pub mean: f64,
    pub square: f64,
    pub r_sigma: Vec<f64>,
    pub r_slope: Vec<f64>,
    pub sigma_mean: Vec<f64>,
    pub slope_mean: Vec<f64>,
}

/// Computes [`ComponentIntegrals`] exactly. `g_value(x)` is the constant value of `g` on the
/// piece containing `x` (evaluated at piece centres), and `g_jumps` its discontinuities.
pub(crate) fn component_integrals(
    outer: &[f64],
    positions: &[f64],
    eta: f64,
    g_jumps: &[f64],
    g_value: impl Fn(f64) -> f64,
) -> ComponentIntegrals {
    let m = positions.len();
    let mut out = ComponentIntegrals {
        r_sigma: vec![0.0; m],
        r_slope: vec![0.0; m],
        sigma_mean: vec![0.0; m],
        slope_mean: vec![0.0; m],
        ..Default::default()
    };
    for (j, &u) in positions.iter().enumerate() {
        let z1 = (1.0 - u) / eta;
        let z0 = -u / eta;
        out.sigma_mean[j] = eta * (sigma_integral(z1) - sigma_integral(z0));
        out.slope_mean[j] = eta * (sigma(z1) - sigma(z0));
    }

    let mut bps = Vec::with_capacity(3 * m + g_jumps.len() + 2);
    breakpoints(positions, eta, g_jumps, &mut bps);

    // Units sorted by position: on each piece the units that are fully on form a prefix and
    // the ramps a short window after it, so a piece costs O(log m + window).
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| positions[i].total_cmp(&positions[j]));
    let sorted_u: Vec<f64> = order.iter().map(|&i| positions[i]).collect();
    let mut prefix_a = Vec::with_capacity(m + 1);
    prefix_a.push(0.0);
    for &i in &order {
        prefix_a.push(prefix_a.last().copied().unwrap_or(0.0) + outer[i]);
    }
    // on_mass[k]: integral of the residual over the pieces whose fully-on prefix has length k.
    let mut on_mass = vec![0.0; m + 1];
    let mut ramps: Vec<(usize, Cubic, Cubic)> = Vec::with_capacity(m);
    for piece in bps.windows(2) {
        let (lo, hi) = (piece[0], piece[1]);
        let c = 0.5 * (lo + hi);
        let w = 0.5 * (hi - lo);
        let n_on = sorted_u.partition_point(|&u| (c - u) / eta >= 0.5);
        let n_end = n_on + sorted_u[n_on..].partition_point(|&u| (c - u) / eta > -0.5);
        // Residual polynomial on the piece.
        let mut p: Cubic = [prefix_a[n_on] - g_value(c), 0.0, 0.0, 0.0];
        ramps.clear();
        for &j in &order[n_on..n_end] {
            match unit_on_piece(positions[j], eta, c, w) {
                Unit::Off => {}
                Unit::On => {
                    p[0] += outer[j];
                    ramps.push((j, [1.0, 0.0, 0.0, 0.0], [0.0; 4]));
                }
                Unit::Ramp { value, slope } => {
                    for (pk, vk) in p.iter_mut().zip(value.iter()) {
                        *pk += outer[j] * vk;
                    }
                    ramps.push((j, value, slope));
                }
            }
        }
        let int_p = w * integral(&p);
        out.mean += int_p;
        out.square += w * integral_product(&p, &p);
        on_mass[n_on] += int_p;
        for (j, value, slope) in &ramps {
            out.r_sigma[*j] += w * integral_product(&p, value);
            out.r_slope[*j] += w * integral_product(&p, slope);
        }
    }
    // A unit at sorted rank k is fully on in every piece whose prefix is longer than k.
    let mut tail = 0.0;
    for k in (0..m).rev() {
        tail += on_mass[k + 1];
        out.r_sigma[order[k]] += tail;
    }
    out
}

/// The normal equations `G a = b` of the least-squares fit of `f*` by the span of the constant
/// function and the units, with `G` of size `m + 1` (index 0 is the constant), row-major.
pub(crate) fn gram_system(
    positions: &[f64],
    eta: f64,
    t_jumps: &[f64],
    t_value: impl Fn(f64) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let m = positions.len();
    let n = m + 1;
    let mut gram = vec![0.0; n * n];
    let mut rhs = vec![0.0; n];
    let mut bps = Vec::with_capacity(3 * m + t_jumps.len() + 2);
    breakpoints(positions, eta, t_jumps, &mut bps);
    let mut active: Vec<(usize, Cubic)> = Vec::with_capacity(n);
    for piece in bps.windows(2) {
        let (lo, hi) = (piece[0], piece[1]);
        let c = 0.5 * (lo + hi);
        let w = 0.5 * (hi - lo);
        let y = t_value(c);
        active.clear();
        active.push((0, [1.0, 0.0, 0.0, 0.0]));
        for (j, &u) in positions.iter().enumerate() {
            match unit_on_piece(u, eta, c, w) {
                Unit::Off => {}
                Unit::On => active.push((j + 1, [1.0, 0.0, 0.0, 0.0])),
                Unit::Ramp { value, .. } => active.push((j + 1, value)),
            }
        }
        for (ia, (i, pi)) in active.iter().enumerate() {
            rhs[*i] += w * y * integral(pi);
            for (j, pj) in &active[ia..] {
                let v = w * integral_product(pi, pj);
                gram[i * n + j] += v;
                if i != j {
                    gram[j * n + i] += v;
                }
            }
        }
    }
    (gram, rhs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_polynomials_reproduce_sigma() {
        let eta = 0.1;
        let u = 0.4;
        // A piece inside each half of the ramp.
        for (lo, hi) in [(0.36, 0.39), (0.41, 0.44)] {
            let c = 0.5 * (lo + hi);
            let w = 0.5 * (hi - lo);
            let Unit::Ramp { value, slope } = unit_on_piece(u, eta, c, w) else {
                panic!("expected a ramp")
            };
            for k in 0..=10 {
                let s = -1.0 + 0.2 * k as f64;
                let x = c + w * s;
                let v = value[0] + s * (value[1] + s * (value[2] + s * value[3]));
                let d = slope[0] + s * (slope[1] + s * (slope[2] + s * slope[3]));
                assert!((v - sigma((x - u) / eta)).abs() < 1e-14);
                assert!((d - crate::activation::sigma_prime((x - u) / eta)).abs() < 1e-13);
            }
        }
    }
}
