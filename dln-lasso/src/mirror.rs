//! The mirror (dual) coordinates of a diagonal linear network and its initialisation.
//!
//! With `a = u + v`, `b = u - v` the gradient flow of `x = u ⊙ v` on `l` reads `a' = -a ⊙ g`,
//! `b' = b ⊙ g` (`g = grad l(x)`), so both are explicit exponentials of the integrated gradient.
//! In the rescaled time `s = 2t / L`, `L = log(1/eps)`, and with the mirror variable
//! `sigma(s) = - int_0^s grad l(x) ds'` (the integrated negative gradient, `sigma(0) = 0`):
//!
//! ```text
//! u(0) = sqrt(eps) beta,  v(0) = sqrt(eps) gamma,  p = beta + gamma,  q = beta - gamma,
//! x_i = (p_i^2 / 4) exp(L (sigma_i - 1)) - (q_i^2 / 4) exp(-L (sigma_i + 1)),
//! d sigma / ds = r - M x(sigma).
//! ```
//!
//! A coordinate is of order one only where `|sigma_i|` reaches `1 + O(1/L)`; elsewhere it is
//! exponentially small, which `sigma` represents without loss (unlike `(u, v)` integrated with
//! an absolute tolerance). For the non-negative parametrisation `x = u ⊙ u`,
//! `u(0) = sqrt(eps) beta`, the same `sigma` gives `x_i = beta_i^2 exp(L (2 sigma_i - 1))`: a
//! coordinate becomes of order one where `sigma_i` reaches `1/2`, and the comparison is with
//! the non-negative lasso at `lambda = 1/(2s)`.
//!
//! # References
//! - R. Berthier, *Diagonal linear networks and the lasso regularization path*, 2025, §2-3.
//! - S. Pesme, N. Flammarion, *Saddle-to-saddle dynamics in diagonal linear networks*,
//!   NeurIPS 2023, §3 (the mirror-flow view, `x = alpha^2 sinh(...)`).

use serde::{Deserialize, Serialize};

/// How the network forms its predictor from its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Parametrization {
    /// `x = u ⊙ v`: the lasso. Default.
    #[default]
    Product,
    /// `x = u ⊙ u`: the non-negative lasso.
    Square,
}

impl Parametrization {
    /// The `|sigma_i|` at which a coordinate becomes of order one as `eps -> 0`: `1` for
    /// `Product`, `1/2` for `Square`.
    pub fn threshold(self) -> f64 {
        match self {
            Parametrization::Product => 1.0,
            Parametrization::Square => 0.5,
        }
    }

    /// The `lambda` of the (non-negative) lasso matched at rescaled time `s`: `1/s` for
    /// `Product`, `1/(2s)` for `Square`.
    pub fn lambda_of_s(self, s: f64) -> f64 {
        self.threshold() / s
    }
}

/// Initial weight shapes: `u(0) = sqrt(eps) beta`, `v(0) = sqrt(eps) gamma` (`gamma` unused for
/// [`Parametrization::Square`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// `beta = sqrt(2)`, `gamma = 0` on every coordinate (Pesme & Flammarion 2023): then
    /// `x = eps sinh(L sigma)`. For `Square`, `beta = 1`.
    PesmeFlammarion,
    /// `beta = gamma = 1`: `x = eps exp(2 L sigma) >= 0`, whose sign can never change.
    Balanced,
    /// Explicit shapes, one entry per coordinate.
    Custom {
        /// Shape of `u(0)`.
        beta: Vec<f64>,
        /// Shape of `v(0)`.
        gamma: Vec<f64>,
    },
}

/// The mirror map `sigma -> x` of one network: coefficient pairs `(P_i, Q_i)` with
/// `x_i = P_i exp(L (sigma_i - 1)) - Q_i exp(-L (sigma_i + 1))` for `Product`
/// (`P = p^2/4`, `Q = q^2/4`), or `x_i = P_i exp(L (2 sigma_i - 1))` for `Square`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MirrorMap {
    /// `L = log(1/eps)`.
    pub log_inv_eps: f64,
    /// The parametrisation.
    pub parametrization: Parametrization,
    /// Coefficients of the growing exponential.
    pub pos: Vec<f64>,
    /// Coefficients of the decaying exponential (zeros for `Square`).
    pub neg: Vec<f64>,
}

impl MirrorMap {
    /// The map of a network with `p` coordinates.
    ///
    /// # Panics
    /// If a `Custom` initialisation does not have `p` entries in each shape.
    #[track_caller]
    pub fn new(parametrization: Parametrization, init: &Init, log_inv_eps: f64, p: usize) -> Self {
        let (beta, gamma): (Vec<f64>, Vec<f64>) = match (init, parametrization) {
            (Init::PesmeFlammarion, Parametrization::Product) => {
                (vec![2f64.sqrt(); p], vec![0.0; p])
            }
            (Init::PesmeFlammarion, Parametrization::Square) => (vec![1.0; p], vec![0.0; p]),
            (Init::Balanced, _) => (vec![1.0; p], vec![1.0; p]),
            (Init::Custom { beta, gamma }, _) => {
                assert!(
                    beta.len() == p && gamma.len() == p,
                    "Init::Custom with {} and {} entries for {p} coordinates",
                    beta.len(),
                    gamma.len()
                );
                (beta.clone(), gamma.clone())
            }
        };
        let (pos, neg) = match parametrization {
            Parametrization::Product => (
                beta.iter().zip(&gamma).map(|(b, c)| 0.25 * (b + c) * (b + c)).collect(),
                beta.iter().zip(&gamma).map(|(b, c)| 0.25 * (b - c) * (b - c)).collect(),
            ),
            Parametrization::Square => (beta.iter().map(|b| b * b).collect(), vec![0.0; p]),
        };
        Self { log_inv_eps, parametrization, pos, neg }
    }

    /// Number of coordinates.
    pub fn dim(&self) -> usize {
        self.pos.len()
    }

    /// `x_i(sigma_i)` and `dx_i / dsigma_i`.
    pub fn eval(&self, i: usize, sigma: f64) -> (f64, f64) {
        let l = self.log_inv_eps;
        match self.parametrization {
            Parametrization::Product => {
                let e1 =
                    if self.pos[i] > 0.0 { self.pos[i] * (l * (sigma - 1.0)).exp() } else { 0.0 };
                let e2 =
                    if self.neg[i] > 0.0 { self.neg[i] * (-l * (sigma + 1.0)).exp() } else { 0.0 };
                (e1 - e2, l * (e1 + e2))
            }
            Parametrization::Square => {
                let x = if self.pos[i] > 0.0 {
                    self.pos[i] * (l * (2.0 * sigma - 1.0)).exp()
                } else {
                    0.0
                };
                (x, 2.0 * l * x)
            }
        }
    }

    /// The predictor `x(sigma)`.
    ///
    /// # Panics
    /// If `sigma.len() != p`.
    #[track_caller]
    pub fn x_of(&self, sigma: &[f64]) -> Vec<f64> {
        assert_eq!(
            sigma.len(),
            self.dim(),
            "sigma of length {} for {} coordinates",
            sigma.len(),
            self.dim()
        );
        sigma.iter().enumerate().map(|(i, &s)| self.eval(i, s).0).collect()
    }

    /// The weights `(u, v)` at `sigma` for `Product` (`u = (a + b)/2`, `v = (a - b)/2` with
    /// `a = sqrt(eps) p e^{L sigma/2}`, `b = sqrt(eps) q e^{-L sigma/2}`), or `(u, u)` for
    /// `Square`. Representable only while `eps` itself is (`L` below about 1400).
    ///
    /// # Panics
    /// If `sigma.len() != p`.
    #[track_caller]
    pub fn weights(&self, sigma: &[f64]) -> (Vec<f64>, Vec<f64>) {
        assert_eq!(sigma.len(), self.dim());
        let l = self.log_inv_eps;
        match self.parametrization {
            Parametrization::Product => sigma
                .iter()
                .enumerate()
                .map(|(i, &s)| {
                    // p = 2 sqrt(pos) up to sign: the sign of beta + gamma is not stored, so the
                    // weights are returned for beta + gamma >= 0 and beta - gamma >= 0.
                    let a = 2.0 * self.pos[i].sqrt() * (0.5 * l * (s - 1.0)).exp();
                    let b = 2.0 * self.neg[i].sqrt() * (-0.5 * l * (s + 1.0)).exp();
                    (0.5 * (a + b), 0.5 * (a - b))
                })
                .unzip(),
            Parametrization::Square => {
                let u: Vec<f64> = sigma
                    .iter()
                    .enumerate()
                    .map(|(i, &s)| self.pos[i].sqrt() * (0.5 * l * (2.0 * s - 1.0)).exp())
                    .collect();
                (u.clone(), u)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesme_flammarion_map_is_eps_sinh() {
        let m = MirrorMap::new(Parametrization::Product, &Init::PesmeFlammarion, 20.0, 1);
        for s in [-0.9_f64, -0.1, 0.0, 0.3, 0.95] {
            let want = (-20.0f64).exp() * (20.0 * s).sinh();
            let (x, _) = m.eval(0, s);
            // The exponent L (sigma - 1) carries a rounding error of order L eps.
            assert!((x - want).abs() <= 4.0 * 20.0 * f64::EPSILON * want.abs(), "{x} vs {want}");
        }
    }

    #[test]
    fn weights_reproduce_x_and_balance() {
        let init = Init::Custom { beta: vec![1.3], gamma: vec![0.4] };
        let m = MirrorMap::new(Parametrization::Product, &init, 10.0, 1);
        let (u, v) = m.weights(&[0.7]);
        let (x, _) = m.eval(0, 0.7);
        assert!((u[0] * v[0] - x).abs() < 1e-14 * x.abs());
        // u^2 - v^2 = a b = eps p q, independent of sigma.
        let eps = (-10.0f64).exp();
        assert!((u[0] * u[0] - v[0] * v[0] - eps * 1.7 * 0.9).abs() < 1e-13 * eps);
    }
}
