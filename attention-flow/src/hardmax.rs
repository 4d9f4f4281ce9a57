//! Hardmax (zero-temperature) attention as a Frank–Wolfe step.
//!
//! As `beta -> infinity`, the discrete attention layer
//! `x_i <- x_i + gamma (sum_j softmax_j(beta <B x_i, x_j>) x_j - x_i)` becomes
//!
//! ```text
//! J_i = argmax_j <B x_i, x_j>,    x_i <- x_i + gamma_k ( (1/|J_i|) sum_{j in J_i} x_j - x_i )
//! ```
//!
//! (ties split evenly), with `B` the symmetric part of `K^T Q`. For `f(x) = (1/2) <B x, x>` the
//! gradient at `x_i` is `B x_i`, and a linear function over the convex hull of the tokens is
//! maximised at a token, so the update is a Frank–Wolfe step of size `gamma_k` for maximising `f`
//! over the hull of the current tokens. Since each new token is a convex combination of the
//! old ones (for `gamma_k` in `[0, 1]`), the hulls are nested.
//!
//! * `B` positive semidefinite: a vertex `v` of the hull is its own maximiser when all vertices
//!   have equal `B`-norm, so it is stationary; an interior token in the cell
//!   `C_v = {x : <B x, v> > <B x, w> for the other vertices w}` moves on the straight line to
//!   `v`: `x^k - v = prod_{m<k} (1 - gamma_m) (x^0 - v)`.
//! * `B` negative semidefinite: each token moves towards the token most opposite to it, and
//!   the configuration contracts to a single cluster. In simulations of random planar tokens
//!   with `B = -I` the diameter shrinks geometrically (about `1 - gamma` per step for a
//!   constant `gamma`) while the cluster forms near, not at, the origin.
//!
//! Step-size rules: a constant `gamma` in `(0, 1]`, or the classical Frank–Wolfe schedule
//! `gamma_k = 2 / (k + 2)`.
//!
//! # Limitations
//! The exact update rule, step-size rule and the statements of the negative semidefinite case
//! are taken from the abstracts of the arXiv (v1) and ICML versions of the paper; its body was
//! not available when this module was written. The two abstracts differ on the negative
//! semidefinite result (linear contraction to the origin in v1, an `O(1/t)` energy rate in the
//! ICML version).
//!
//! # References
//! * A. Alcalde, B. Geshkovski, D. Ruiz-Balet, "Attention's forward pass and Frank–Wolfe",
//!   arXiv:2508.09628 (2025); ICML 2026.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use serde::{Deserialize, Serialize};

use crate::error::{AttentionError, Result, check_beta};
use crate::tokens;

/// Step size of the Frank–Wolfe / attention step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum StepSize {
    /// `gamma_k = gamma` for every step, `gamma` in `(0, 1]`.
    Constant(f64),
    /// `gamma_k = 2 / (k + 2)` (the classical Frank–Wolfe schedule, `k = 0, 1, ...`).
    Harmonic,
}

impl StepSize {
    /// The step size at step `k`.
    pub fn at(self, k: usize) -> f64 {
        match self {
            StepSize::Constant(g) => g,
            StepSize::Harmonic => 2.0 / (k as f64 + 2.0),
        }
    }
}

/// The hardmax attention map with bilinear form `B` (symmetrised on construction).
///
/// | parameter | default | valid range |
/// |---|---|---|
/// | `b` | — | square, finite; replaced by `(B + B^T)/2` |
/// | `step_size` | — | `Constant(gamma)` with `gamma` in `(0, 1]`, or `Harmonic` |
/// | `self_interaction` | `true` | include `j = i` among the candidates |
/// | `tie_rtol` | `1e-12` | scores within `tie_rtol * max_j |score_j|` of the maximum tie |
///
/// # Errors
/// [`Hardmax::new`] returns [`AttentionError::InvalidParameter`] for a non-finite `B` or a
/// step size outside `(0, 1]`.
///
/// # Panics
/// [`Hardmax::new`] panics if `B` is not square; [`Hardmax::step`] panics if the tokens do
/// not have as many rows as `B`.
///
/// # Example
/// ```
/// use attention_flow::hardmax::{Hardmax, StepSize};
/// use faer::Mat;
///
/// # fn main() -> attention_flow::Result<()> {
/// // Square vertices plus one interior token, B = I, gamma = 1/2.
/// let x = faer::mat![[1.0, -1.0, -1.0, 1.0, 0.25], [1.0, 1.0, -1.0, -1.0, 0.5]];
/// let map = Hardmax::new(Mat::identity(2, 2), StepSize::Constant(0.5))?;
/// let y = map.step(x.as_ref(), 0);
/// assert_eq!((y[(0, 4)], y[(1, 4)]), (0.625, 0.75)); // half-way to the vertex (1, 1)
/// assert_eq!(y[(0, 0)], 1.0); // vertices are fixed
/// # Ok(()) }
/// ```
///
/// # References
/// * A. Alcalde, B. Geshkovski, D. Ruiz-Balet, "Attention's forward pass and Frank–Wolfe",
///   arXiv:2508.09628 (2025).
#[derive(Debug, Clone, PartialEq)]
pub struct Hardmax {
    b: Mat<f64>,
    step_size: StepSize,
    self_interaction: bool,
    tie_rtol: f64,
}

impl Hardmax {
    /// The map with bilinear form `b` and the given step-size rule.
    ///
    /// # Errors
    /// [`AttentionError::InvalidParameter`] naming `B` or `gamma`.
    ///
    /// # Panics
    /// If `b` is not square.
    #[track_caller]
    pub fn new(b: Mat<f64>, step_size: StepSize) -> Result<Self> {
        assert_eq!(
            b.nrows(),
            b.ncols(),
            "Hardmax::new: B is {}x{}, not square",
            b.nrows(),
            b.ncols()
        );
        if !megavolt_core::linalg::all_finite(b.as_ref()) {
            return Err(AttentionError::invalid(
                "B",
                "a matrix with non-finite entries",
                "finite entries",
            ));
        }
        if let StepSize::Constant(g) = step_size
            && !(g.is_finite() && g > 0.0 && g <= 1.0)
        {
            return Err(AttentionError::invalid("gamma", g, "a number in (0, 1]"));
        }
        let sym = Mat::from_fn(b.nrows(), b.ncols(), |i, j| 0.5 * (b[(i, j)] + b[(j, i)]));
        Ok(Self { b: sym, step_size, self_interaction: true, tie_rtol: 1e-12 })
    }

    /// Includes (`true`, the default) or excludes `j = i` from the candidates.
    pub fn self_interaction(mut self, include: bool) -> Self {
        self.self_interaction = include;
        self
    }

    /// Relative tolerance under which two scores tie.
    ///
    /// # Errors
    /// [`AttentionError::InvalidParameter`] if `rtol` is negative or not finite.
    pub fn tie_rtol(mut self, rtol: f64) -> Result<Self> {
        if !(rtol.is_finite() && rtol >= 0.0) {
            return Err(AttentionError::invalid("tie_rtol", rtol, "a finite number >= 0"));
        }
        self.tie_rtol = rtol;
        Ok(self)
    }

    /// The symmetric bilinear form `B`.
    pub fn b(&self) -> MatRef<'_, f64> {
        self.b.as_ref()
    }

    /// Scores `S[j, i] = <B x_i, x_j>`.
    fn scores(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let n = x.ncols();
        let mut bx = Mat::zeros(x.nrows(), n);
        matmul(bx.as_mut(), Accum::Replace, self.b.as_ref(), x, 1.0, Par::Seq);
        let mut s = Mat::zeros(n, n);
        matmul(s.as_mut(), Accum::Replace, x.transpose(), bx.as_ref(), 1.0, Par::Seq);
        s
    }

    /// The maximisers `J_i` of every token (sorted indices).
    ///
    /// # Panics
    /// If `x` does not have as many rows as `B`.
    #[track_caller]
    pub fn maximizers(&self, x: MatRef<'_, f64>) -> Vec<Vec<usize>> {
        assert_eq!(
            x.nrows(),
            self.b.nrows(),
            "Hardmax: tokens have {} rows, B is {}x{}",
            x.nrows(),
            self.b.nrows(),
            self.b.nrows()
        );
        let s = self.scores(x);
        let n = x.ncols();
        (0..n)
            .map(|i| {
                let col = s.col_as_slice(i);
                let candidates = (0..n).filter(|&j| self.self_interaction || j != i);
                let (mut best, mut scale) = (f64::NEG_INFINITY, 0.0f64);
                for j in candidates.clone() {
                    best = best.max(col[j]);
                    scale = scale.max(col[j].abs());
                }
                let tol = self.tie_rtol * scale;
                candidates.filter(|&j| col[j] >= best - tol).collect()
            })
            .collect()
    }

    /// One hardmax step (step index `k` for the step-size rule).
    ///
    /// # Panics
    /// If `x` does not have as many rows as `B`.
    #[track_caller]
    pub fn step(&self, x: MatRef<'_, f64>, k: usize) -> Mat<f64> {
        let gamma = self.step_size.at(k);
        let sets = self.maximizers(x);
        let mut out = x.to_owned();
        for (i, set) in sets.iter().enumerate() {
            if set.is_empty() {
                continue;
            }
            let inv = 1.0 / set.len() as f64;
            for r in 0..x.nrows() {
                let target: f64 = if set.len() == 1 {
                    x[(r, set[0])]
                } else {
                    set.iter().map(|&j| x[(r, j)]).sum::<f64>() * inv
                };
                out[(r, i)] = x[(r, i)] + gamma * (target - x[(r, i)]);
            }
        }
        out
    }

    /// `n_steps` steps from `x0`; returns the states `x^0, ..., x^{n_steps}`.
    ///
    /// # Errors
    /// [`AttentionError::NonFiniteToken`] naming `x0`.
    ///
    /// # Panics
    /// If `x0` does not have as many rows as `B`.
    #[track_caller]
    pub fn run(&self, x0: MatRef<'_, f64>, n_steps: usize) -> Result<Vec<Mat<f64>>> {
        tokens::check_finite("x0", x0)?;
        let mut states = Vec::with_capacity(n_steps + 1);
        states.push(x0.to_owned());
        for k in 0..n_steps {
            let next = self.step(states[k].as_ref(), k);
            states.push(next);
        }
        Ok(states)
    }
}

/// One finite-temperature attention step with bilinear form `B`:
/// `x_i <- x_i + gamma (sum_j softmax_j(beta <B x_i, x_j>) x_j - x_i)`, whose `beta -> infinity`
/// limit is [`Hardmax::step`] (with self-interaction).
///
/// # Errors
/// [`AttentionError::InvalidParameter`] for a bad `beta` or `gamma`.
///
/// # Panics
/// If `b` is not `d x d` with `d` the number of rows of `x`.
#[track_caller]
pub fn softmax_step(
    x: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    beta: f64,
    gamma: f64,
) -> Result<Mat<f64>> {
    check_beta(beta)?;
    if !(gamma.is_finite() && gamma > 0.0 && gamma <= 1.0) {
        return Err(AttentionError::invalid("gamma", gamma, "a number in (0, 1]"));
    }
    assert_eq!((b.nrows(), b.ncols()), (x.nrows(), x.nrows()), "softmax_step: B must be d x d");
    let head = crate::Head::new(
        b.to_owned(),
        Mat::identity(x.nrows(), x.nrows()),
        Mat::identity(x.nrows(), x.nrows()),
    )?;
    let model = crate::Transformer::new(vec![head], beta)?;
    let avg = crate::TokenField::velocity(&model, x);
    Ok(Mat::from_fn(x.nrows(), x.ncols(), |r, i| x[(r, i)] + gamma * (avg[(r, i)] - x[(r, i)])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_with_interior() -> Mat<f64> {
        faer::mat![
            [1.0, -1.0, -1.0, 1.0, 0.375, -0.25, 0.125],
            [1.0, 1.0, -1.0, -1.0, 0.25, -0.625, -0.5]
        ]
    }

    #[test]
    fn psd_vertices_fixed_and_interior_halves_exactly() {
        let x0 = square_with_interior();
        let map = Hardmax::new(Mat::identity(2, 2), StepSize::Constant(0.5)).unwrap();
        let states = map.run(x0.as_ref(), 5).unwrap();
        // Cells: (0.375, 0.25) -> (1, 1); (-0.25, -0.625) -> (-1, -1); (0.125, -0.5) -> (1, -1).
        let targets = [(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)];
        for (k, s) in states.iter().enumerate() {
            for j in 0..4 {
                assert_eq!((s[(0, j)], s[(1, j)]), (x0[(0, j)], x0[(1, j)]));
            }
            for (m, &(vx, vy)) in targets.iter().enumerate() {
                let j = 4 + m;
                let ratio = 0.5f64.powi(k as i32);
                assert_eq!((s[(0, j)] - vx).to_bits(), (ratio * (x0[(0, j)] - vx)).to_bits());
                assert_eq!((s[(1, j)] - vy).to_bits(), (ratio * (x0[(1, j)] - vy)).to_bits());
            }
        }
    }

    #[test]
    fn nsd_square_contracts_by_half() {
        let x0 = faer::mat![[1.0, -1.0, -1.0, 1.0], [1.0, 1.0, -1.0, -1.0]];
        let map = Hardmax::new(-Mat::<f64>::identity(2, 2), StepSize::Constant(0.25)).unwrap();
        let states = map.run(x0.as_ref(), 20).unwrap();
        for (k, s) in states.iter().enumerate() {
            let r = 0.5f64.powi(k as i32);
            for j in 0..4 {
                assert_eq!((s[(0, j)], s[(1, j)]), (r * x0[(0, j)], r * x0[(1, j)]));
            }
        }
    }

    #[test]
    fn ties_split_evenly() {
        // Token at the origin with B = I: every score is 0 for it, all tie.
        let x = faer::mat![[1.0, -1.0, 0.0], [0.5, 0.5, 0.0]];
        let map = Hardmax::new(Mat::identity(2, 2), StepSize::Constant(1.0)).unwrap();
        assert_eq!(map.maximizers(x.as_ref())[2], vec![0, 1, 2]);
        let y = map.step(x.as_ref(), 0);
        assert!((y[(0, 2)]).abs() < 1e-16 && (y[(1, 2)] - 1.0 / 3.0).abs() < 1e-16);
    }

    #[test]
    fn softmax_step_tends_to_hardmax() {
        let x = square_with_interior();
        let hard =
            Hardmax::new(Mat::identity(2, 2), StepSize::Constant(0.5)).unwrap().step(x.as_ref(), 0);
        let soft =
            softmax_step(x.as_ref(), Mat::<f64>::identity(2, 2).as_ref(), 200.0, 0.5).unwrap();
        assert!(megavolt_core::linalg::max_abs_diff(hard.as_ref(), soft.as_ref()) < 1e-20);
    }
}
