//! The equiangular reduction: tokens with a common pairwise inner product `rho`.
//!
//! If `<x_i(0), x_j(0)> = rho_0` for all `i != j` (e.g. orthonormal tokens, `d >= n`), the
//! configuration stays equiangular under SA and USA (`Q = K = V = I`) by symmetry, and `rho`
//! obeys a scalar ODE. With `A_i = sum_j w_ij x_j` and `w_ii = e^beta / Z`, `w_ij = e^{beta rho}
//! / Z` (`j != i`): `<x_i, A_i> = (e^beta + (n-1) e^{beta rho} rho) / Z` and `<x_k, A_i>` for
//! `k != i` follows similarly; differentiating `<x_i, x_k>` gives
//!
//! ```text
//! SA :  rho' = 2 (1 - rho) ((n - 1) rho + 1) / (e^{beta (1 - rho)} + n - 1)
//! USA:  rho' = (2/n) e^{beta rho} (1 - rho) ((n - 1) rho + 1)
//! ```
//!
//! At `beta = 0` both read `rho' = (2/n)(1 - rho)((n - 1) rho + 1)`, whose solution from
//! `rho_0 = 0` is `rho(t) = (e^{2t} - 1) / (e^{2t} + n - 1)` ([`closed_form_beta0`]).
//!
//! # References
//! * GLPR, "A mathematical perspective on Transformers", Bull. AMS 62 (2025), §6 (the
//!   orthogonal start and the curve `gamma_beta(t)`).

use megavolt_core::ode::Solver;

use crate::error::{AttentionError, Result, check_beta, positive};
use crate::kernel::Normalization;

/// The right-hand side `rho'` of the equiangular ODE for `n` tokens.
pub fn rate(normalization: Normalization, n: usize, beta: f64, rho: f64) -> f64 {
    let nf = n as f64;
    let core = (1.0 - rho) * ((nf - 1.0) * rho + 1.0);
    match normalization {
        Normalization::Softmax => 2.0 * core / ((beta * (1.0 - rho)).exp() + nf - 1.0),
        Normalization::Uniform => 2.0 / nf * (beta * rho).exp() * core,
    }
}

/// `rho(t) = (e^{2t} - 1) / (e^{2t} + n - 1)`: the common inner product at `beta = 0` from an
/// orthonormal start (written with `expm1` for accuracy at small `t`, and in `e^{-2t}` for
/// large `t`).
pub fn closed_form_beta0(n: usize, t: f64) -> f64 {
    let nf = n as f64;
    if t < 1.0 {
        let e = (2.0 * t).exp_m1();
        e / (e + nf)
    } else {
        let q = (-2.0 * t).exp();
        (1.0 - q) / (1.0 + (nf - 1.0) * q)
    }
}

/// Integrates the equiangular ODE from `rho(0) = rho0` with RK4 of step `step`, returning
/// `rho` at each of the increasing times `times` (which must be `>= 0`).
///
/// # Errors
/// [`AttentionError::InvalidParameter`] for a bad `beta`, `step`, `n < 2`, `rho0` outside
/// `[-1/(n-1), 1]` or times that are negative or decreasing.
pub fn solve(
    normalization: Normalization,
    n: usize,
    beta: f64,
    rho0: f64,
    times: &[f64],
    step: f64,
) -> Result<Vec<f64>> {
    check_beta(beta)?;
    positive("step", step)?;
    if n < 2 {
        return Err(AttentionError::invalid("n", n, "at least 2 tokens"));
    }
    let lo = -1.0 / (n as f64 - 1.0);
    if !(rho0.is_finite() && rho0 >= lo && rho0 <= 1.0) {
        return Err(AttentionError::invalid("rho0", rho0, "a number in [-1/(n-1), 1]"));
    }
    let mut out = Vec::with_capacity(times.len());
    let (mut t, mut rho) = (0.0, rho0);
    for &target in times {
        if !(target.is_finite() && target >= t) {
            return Err(AttentionError::invalid(
                "times",
                target,
                "finite, non-negative, increasing",
            ));
        }
        if target > t {
            let sol = Solver::rk4(step)?.solve(
                |_t, y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = rate(normalization, n, beta, y[0]),
                t,
                vec![rho],
                target,
            )?;
            rho = sol.y_end[0];
            t = target;
        }
        out.push(rho);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_matches_tabulated_values() {
        // n = 2 gives tanh t.
        for t in [0.1, 0.5, 1.0, 3.0] {
            assert!((closed_form_beta0(2, t) - t.tanh()).abs() < 2e-16);
        }
        assert!((closed_form_beta0(4, 1.0) - 0.6149794590).abs() < 1e-10);
        assert!((closed_form_beta0(8, 2.0) - 0.8701259698).abs() < 1e-10);
    }

    #[test]
    fn scalar_ode_reproduces_closed_form() {
        let times = [0.5, 1.0, 2.0];
        let rho = solve(Normalization::Softmax, 8, 0.0, 0.0, &times, 1e-3).unwrap();
        for (r, t) in rho.iter().zip(times) {
            assert!((r - closed_form_beta0(8, t)).abs() < 1e-12);
        }
    }
}
