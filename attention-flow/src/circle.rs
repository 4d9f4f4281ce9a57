//! Reductions on the circle: two point clusters and their merge time.
//!
//! Two point clusters of sizes `a` and `b` on the unit circle at angle `phi` apart stay point
//! clusters under SA (every token of a cluster has the same velocity). A token of the first
//! cluster has `Z = a e^beta + b e^{beta cos phi}` and tangential speed
//! `b e^{beta cos phi} sin phi / Z` towards the other cluster, so
//!
//! ```text
//! phi' = - sin(phi) [ 1 / ((a/b) E + 1) + 1 / ((b/a) E + 1) ],   E = e^{beta (1 - cos phi)}
//! ```
//!
//! (for `a = b`: `phi' = -2 sin(phi) / (E + 1)`), and the time to go from `phi_0` to `phi_1`
//! is the integral of `1/|phi'|`, computed by composite Gauss–Legendre quadrature. For large
//! `beta` it grows like `e^{beta (1 - cos phi_0)}`: the metastable plateau.
//!
//! # References
//! * B. Geshkovski, H. Koubbi, Y. Polyanskiy, P. Rigollet, "Dynamic metastability in the
//!   self-attention model", arXiv:2410.06833 (2024).

use crate::error::{AttentionError, Result, check_beta};

/// `|phi'|` of two SA point clusters of sizes `a`, `b` at angle `phi`.
pub fn two_cluster_speed(beta: f64, a: f64, b: f64, phi: f64) -> f64 {
    let e = (beta * (1.0 - phi.cos())).exp();
    phi.sin() * (1.0 / (a / b * e + 1.0) + 1.0 / (b / a * e + 1.0))
}

/// Time for two SA point clusters (sizes `a`, `b`) to go from angle `phi0` to `phi1 < phi0`.
///
/// # Errors
/// [`AttentionError::InvalidParameter`] unless `0 < phi1 < phi0 < pi`, `a, b > 0` and `beta`
/// is finite and non-negative.
///
/// ```
/// # fn main() -> attention_flow::Result<()> {
/// // beta = 0, equal sizes: tan(phi/2) = tan(phi0/2) e^{-t}.
/// let t = attention_flow::circle::two_cluster_time(0.0, 1.0, 1.0, 2.0, 1.0405669293)?;
/// assert!((t - 1.0).abs() < 1e-9);
/// # Ok(()) }
/// ```
pub fn two_cluster_time(beta: f64, a: f64, b: f64, phi0: f64, phi1: f64) -> Result<f64> {
    check_beta(beta)?;
    if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) {
        return Err(AttentionError::invalid("sizes", format!("({a}, {b})"), "positive sizes"));
    }
    if !(phi1 > 0.0 && phi1 < phi0 && phi0 < std::f64::consts::PI) {
        return Err(AttentionError::invalid(
            "angles",
            format!("phi0 = {phi0}, phi1 = {phi1}"),
            "0 < phi1 < phi0 < pi",
        ));
    }
    // 5-point Gauss–Legendre on 4000 panels, uniform in log(phi) (the integrand is ~1/phi
    // near 0).
    const NODES: [f64; 5] = [
        0.0,
        -0.538_469_310_105_683,
        0.538_469_310_105_683,
        -0.906_179_845_938_664,
        0.906_179_845_938_664,
    ];
    const WEIGHTS: [f64; 5] = [
        0.568_888_888_888_889,
        0.478_628_670_499_366,
        0.478_628_670_499_366,
        0.236_926_885_056_189,
        0.236_926_885_056_189,
    ];
    let (l0, l1) = (phi1.ln(), phi0.ln());
    let panels = 4000;
    let h = (l1 - l0) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let mid = l0 + (p as f64 + 0.5) * h;
        for (x, w) in NODES.iter().zip(WEIGHTS) {
            let u = mid + 0.5 * h * x;
            let phi = u.exp();
            total += w * 0.5 * h * phi / two_cluster_speed(beta, a, b, phi);
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta0_closed_form() {
        // tan(phi/2) = tan(phi0/2) e^{-t} for equal sizes at beta = 0.
        let (phi0, t) = (2.0f64, 3.0f64);
        let phi1 = 2.0 * ((phi0 / 2.0).tan() * (-t).exp()).atan();
        assert!((phi1 - 0.1547678572).abs() < 1e-9);
        let got = two_cluster_time(0.0, 2.0, 2.0, phi0, phi1).unwrap();
        assert!((got - t).abs() < 1e-12, "{got}");
    }
}
