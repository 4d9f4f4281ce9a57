//! Closed-form gradient flow of a diagonal linear network on a separable (diagonal) loss.
//!
//! On one coordinate with `l(x) = m x^2 / 2 - r x`, the mirror variable of
//! [`crate::mirror`] obeys `d sigma / ds = r - m x(sigma)` with
//! `x = P e^{L (sigma - 1)} - Q e^{-L (sigma + 1)}`. With `z = e^{L sigma}` this is the Riccati
//! equation `z' = L (r z - m A z^2 + m B)`, `A = P e^{-L}`, `B = Q e^{-L}`, whose roots
//! `z_+ > 0 > z_-` give
//!
//! ```text
//! (z - z_+) / (z - z_-) = w_0 exp(-L D s),   D = sqrt(r^2 + 4 m^2 A B),
//! ```
//!
//! evaluated here in logarithms so that `L` up to several hundred (`eps = e^{-L}` far below
//! the smallest double for `A B`) stays exact to rounding. The time average follows from
//! `sigma(s) = s (r - m xbar(s))` (the loss is quadratic).
//!
//! For `M` diagonal every coordinate is such a problem: this is the exact solution of the
//! orthogonal design, used to validate [`crate::flow::MirrorFlow`].
//!
//! # References
//! - R. Berthier, *Diagonal linear networks and the lasso regularization path*, 2025, §3.
//! - B. Woodworth et al., *Kernel and rich regimes in overparametrized models*, COLT 2020, §4.

use crate::error::{DlnError, Result, positive};

/// State of one separable coordinate at rescaled time `s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeparableState {
    /// Mirror variable.
    pub sigma: f64,
    /// Predictor.
    pub x: f64,
    /// Time average `(1/s) int_0^s x` (the value at `s = 0` is `x(0)`).
    pub xbar: f64,
}

fn ln1p_exp(v: f64) -> f64 {
    // log(1 + e^v) without overflow.
    if v > 0.0 { v + (-v).exp().ln_1p() } else { v.exp().ln_1p() }
}

/// Exact flow of one coordinate of a `Product` network (`x = P e^{L(sigma-1)} -
/// Q e^{-L(sigma+1)}`, `sigma(0) = 0`) on `l(x) = m x^2/2 - r x`, at rescaled time `s`.
///
/// # Errors
/// [`DlnError::InvalidParameter`] if `m`, `L` or `s` is not finite and positive (`s >= 0`),
/// if `P`, `Q` are negative, or if `r = 0` with `P Q = 0` (degenerate case not covered).
pub fn separable_product(
    m: f64,
    r: f64,
    pos: f64,
    neg: f64,
    log_inv_eps: f64,
    s: f64,
) -> Result<SeparableState> {
    positive("m", m)?;
    positive("log_inv_eps", log_inv_eps)?;
    if !(s.is_finite() && s >= 0.0) {
        return Err(DlnError::invalid("s", s, "a finite number >= 0"));
    }
    if !(pos >= 0.0 && neg >= 0.0 && pos.is_finite() && neg.is_finite()) {
        return Err(DlnError::invalid("pos, neg", format!("{pos}, {neg}"), "finite and >= 0"));
    }
    if r < 0.0 {
        // x -> -x, sigma -> -sigma swaps the two exponentials.
        let st = separable_product(m, -r, neg, pos, log_inv_eps, s)?;
        return Ok(SeparableState { sigma: -st.sigma, x: -st.x, xbar: -st.xbar });
    }
    if pos == 0.0 || (r == 0.0 && neg == 0.0) {
        return Err(DlnError::invalid(
            "r, pos, neg",
            format!("{r}, {pos}, {neg}"),
            "r > 0 with pos > 0, or r = 0 with pos neg > 0",
        ));
    }
    let l = log_inv_eps;
    // ln A, ln B and D = sqrt(r^2 + 4 m^2 A B), A B = P Q e^{-2L}.
    let ln_a = pos.ln() - l;
    let ln_ab = if neg > 0.0 { pos.ln() + neg.ln() - 2.0 * l } else { f64::NEG_INFINITY };
    let ab_term = 4.0 * m * m * ln_ab.exp();
    let d = (r * r + ab_term).sqrt();
    // z_+ = (r + D) / (2 m A);  |z_-| = 2 m B / (r + D)  (B = A B / A).
    let ln_zp = (r + d).ln() - (2.0 * m).ln() - ln_a;
    let ln_zm =
        if neg > 0.0 { (2.0 * m).ln() + ln_ab - ln_a - (r + d).ln() } else { f64::NEG_INFINITY };
    // w0 = (1 - z_+) / (1 + |z_-|) at z(0) = 1.
    let sigma = if ln_zp > 0.0 {
        // w < 0: write w = -e^{lw}; z = (z_+ - w z_-) / (1 - w) with w z_- = e^{lw} |z_-|.
        let lw0 = ln_zp + (-(-ln_zp).exp()).ln_1p() - ln_zm.exp().ln_1p();
        let lw = lw0 - l * d * s;
        let ln_z = ln_zp + (-(lw + ln_zm - ln_zp).exp()).ln_1p() - ln1p_exp(lw);
        ln_z / l
    } else {
        // z_+ <= 1: w in [0, 1).
        let zp = ln_zp.exp();
        let zm = -ln_zm.exp();
        let w = (1.0 - zp) / (1.0 - zm) * (-l * d * s).exp();
        ((zp - w * zm) / (1.0 - w)).ln() / l
    };
    let x = pos * (l * (sigma - 1.0)).exp()
        - if neg > 0.0 { neg * (-l * (sigma + 1.0)).exp() } else { 0.0 };
    let xbar = if s > 0.0 { (r - sigma / s) / m } else { x };
    Ok(SeparableState { sigma, x, xbar })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_special_case() {
        // Q = 0: x' = 2 x (r - m x) in t, logistic with x(0) = P e^{-L}.
        let (m, r, pos, l) = (2.0, 3.0, 0.5, 12.0);
        for s in [0.0, 0.2, 0.6, 1.5] {
            let st = separable_product(m, r, pos, 0.0, l, s).unwrap();
            let x0 = pos * (-l).exp();
            let t = s * l / 2.0;
            let k = r / m;
            let want = k / (1.0 + (k / x0 - 1.0) * (-2.0 * r * t).exp());
            assert!((st.x - want).abs() < 1e-12 * want, "s = {s}: {} vs {want}", st.x);
        }
    }

    #[test]
    fn satisfies_the_ode() {
        // Central difference of sigma against r - m x, including a negative r.
        for &(r, pos, neg) in &[(1.5, 0.5, 0.5), (-0.7, 0.3, 1.1), (0.0, 0.5, 0.5)] {
            let (m, l, s, h) = (1.3, 30.0, 0.9, 1e-5);
            let a = separable_product(m, r, pos, neg, l, s - h).unwrap();
            let b = separable_product(m, r, pos, neg, l, s + h).unwrap();
            let c = separable_product(m, r, pos, neg, l, s).unwrap();
            let deriv = (b.sigma - a.sigma) / (2.0 * h);
            assert!((deriv - (r - m * c.x)).abs() < 1e-7, "r = {r}: {deriv} vs {}", r - m * c.x);
        }
    }
}
