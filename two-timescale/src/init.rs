//! Initial positions and the subdivision condition of the convergence theorem.
//!
//! The analysis of the two-timescale limit assumes that every constant piece
//! `[v_k, v_{k+1}]` of the target (with `v_0 = 0`, `v_{K+1} = 1`) holds at least two
//! neurons, so that each jump has its own pair of flanking neurons. Sorted uniform draws
//! satisfy it only with some probability `p` ([`subdivision_probability`], about 0.34 for
//! the paper's target and `m = 20`). [`draw_admissible`] re-draws with the next random
//! stream (`seed.indexed(label, k)` for `k = 0, 1, ...`) until the condition holds; the
//! number of draws is geometric with mean `1 / p`.
//!
//! ```
//! use megavolt_core::Seed;
//! use two_timescale::{init::{draw_admissible, subdivision_probability}, target::PiecewiseConstant};
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! let target = PiecewiseConstant::paper();
//! let p = subdivision_probability(&target, 20, 2);
//! assert!(p > 0.3 && p < 0.4);
//! let draw = draw_admissible(Seed::new(42), "init", &target, 20, 2, 1000)?;
//! assert!(draw.draws >= 1);
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §4 (assumption on the
//!   initialisation: at least two neurons per constant piece).

use megavolt_core::Seed;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TwoTimescaleError};
use crate::network::sorted_uniform;
use crate::target::PiecewiseConstant;

/// Checks that every piece of `target` holds at least `required` of the `positions`.
/// A position on a boundary counts for neither adjacent piece.
///
/// # Errors
/// [`TwoTimescaleError::BadSubdivision`] naming the first piece with too few neurons.
pub fn check_subdivision(
    positions: &[f64],
    target: &PiecewiseConstant,
    required: usize,
) -> Result<()> {
    let b = target.boundaries();
    for (piece, w) in b.windows(2).enumerate() {
        let count = positions.iter().filter(|&&u| u > w[0] && u < w[1]).count();
        if count < required {
            return Err(TwoTimescaleError::BadSubdivision {
                piece,
                lo: w[0],
                hi: w[1],
                count,
                required,
            });
        }
    }
    Ok(())
}

/// Admissible initial positions and how many draws were needed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdmissibleDraw {
    /// Sorted positions.
    pub positions: Vec<f64>,
    /// Number of draws, at least 1.
    pub draws: u64,
}

/// Draws `m` sorted uniform positions from `seed.indexed(label, k)`, `k = 0, 1, ...`, until
/// every piece holds at least `required` of them.
///
/// # Errors
/// [`TwoTimescaleError::InvalidParameter`] if `m == 0` or `max_draws == 0`;
/// [`TwoTimescaleError::RedrawExhausted`] if no draw among `max_draws` is admissible.
pub fn draw_admissible(
    seed: Seed,
    label: &str,
    target: &PiecewiseConstant,
    m: usize,
    required: usize,
    max_draws: u64,
) -> Result<AdmissibleDraw> {
    if m == 0 {
        return Err(TwoTimescaleError::invalid("m", m, "at least one neuron"));
    }
    if max_draws == 0 {
        return Err(TwoTimescaleError::invalid("max_draws", max_draws, "at least 1"));
    }
    for k in 0..max_draws {
        let positions = sorted_uniform(m, &mut seed.indexed(label, k));
        if check_subdivision(&positions, target, required).is_ok() {
            return Ok(AdmissibleDraw { positions, draws: k + 1 });
        }
    }
    Err(TwoTimescaleError::RedrawExhausted { draws: max_draws })
}

/// The exact probability that `m` i.i.d. uniform positions put at least `required` neurons
/// in every piece of `target`: a multinomial sum over the piece lengths, computed by dynamic
/// programming over pieces in `O(K m^2)`.
pub fn subdivision_probability(target: &PiecewiseConstant, m: usize, required: usize) -> f64 {
    let b = target.boundaries();
    let lengths: Vec<f64> = b.windows(2).map(|w| w[1] - w[0]).collect();
    // P = m! sum_{n_i >= required, sum n_i = m} prod_i p_i^{n_i} / n_i!;
    // state[n] = sum over the pieces so far, with n neurons used, of prod p_i^{n_i}/n_i!.
    let mut fact = vec![1.0f64; m + 1];
    for n in 1..=m {
        fact[n] = fact[n - 1] * n as f64;
    }
    let mut state = vec![0.0; m + 1];
    state[0] = 1.0;
    for &p in &lengths {
        let mut next = vec![0.0; m + 1];
        for (used, &s) in state.iter().enumerate() {
            if s == 0.0 {
                continue;
            }
            for k in required..=(m - used) {
                next[used + k] += s * p.powi(k as i32) / fact[k];
            }
        }
        state = next;
    }
    state[m] * fact[m]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_of_trivial_cases() {
        let t = PiecewiseConstant::new(0.0, vec![0.5], vec![1.0]).unwrap();
        // Two pieces of length 1/2, m = 2, one neuron each: 2 * (1/2)^2 = 1/2.
        assert!((subdivision_probability(&t, 2, 1) - 0.5).abs() < 1e-15);
        // No requirement: probability 1.
        assert!((subdivision_probability(&t, 7, 0) - 1.0).abs() < 1e-14);
        // Not enough neurons: probability 0.
        assert!(subdivision_probability(&t, 3, 2).abs() < f64::MIN_POSITIVE);
    }

    #[test]
    fn check_names_the_piece() {
        let t = PiecewiseConstant::paper();
        let e = check_subdivision(&[0.1, 0.15, 0.25], &t, 2).unwrap_err();
        assert!(matches!(e, TwoTimescaleError::BadSubdivision { piece: 1, count: 1, .. }));
    }
}
