//! The univariate two-layer network `f(x) = a_0 + sum_j a_j sigma_eta(x - u_j)`.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::activation::{sigma, sigma_prime};
use crate::error::{Result, TwoTimescaleError, finite, positive};

/// A two-layer network with `m` smoothed-step units on `[0, 1]`:
///
/// ```text
/// f(x) = a_0 + sum_{j=1..m} a_j sigma_eta(x - u_j),   sigma_eta(z) = sigma(z / eta).
/// ```
///
/// | field | symbol | valid range |
/// |---|---|---|
/// | `eta` | `eta`, width of the units | `> 0`, finite |
/// | `bias` | `a_0` | finite |
/// | `outer` | `a_1..a_m` | finite |
/// | `positions` | `u_1..u_m` | finite (any real: units outside `[0, 1]` are constant there) |
///
/// The fields are public so that training loops and users can edit them; the constructors
/// validate them, and the training routines check the state for non-finite values.
///
/// ```
/// use two_timescale::network::Network;
///
/// # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
/// let net = Network::new(0.01, 1.0, vec![2.0], vec![0.5])?;
/// assert_eq!(net.eval(0.5), 2.0); // a_0 + a_1 sigma(0) = 1 + 2 * 1/2
/// assert_eq!(net.eval(0.9), 3.0);
/// # Ok(()) }
/// ```
///
/// # References
/// * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §2, equation of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// Width `eta` of the units.
    pub eta: f64,
    /// Bias `a_0`.
    pub bias: f64,
    /// Outer weights `a_1..a_m`.
    pub outer: Vec<f64>,
    /// Positions `u_1..u_m`.
    pub positions: Vec<f64>,
}

impl Network {
    /// A validated network.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] if `eta` is not finite and positive, if a weight
    /// or position is not finite, if `outer` and `positions` differ in length or are empty.
    pub fn new(eta: f64, bias: f64, outer: Vec<f64>, positions: Vec<f64>) -> Result<Self> {
        positive("eta", eta)?;
        finite("bias", bias)?;
        if outer.len() != positions.len() {
            return Err(TwoTimescaleError::invalid(
                "outer",
                format!("{} outer weights for {} positions", outer.len(), positions.len()),
                "one outer weight per position",
            ));
        }
        if positions.is_empty() {
            return Err(TwoTimescaleError::invalid("positions", "[]", "at least one neuron"));
        }
        for &a in &outer {
            finite("outer", a)?;
        }
        for &u in &positions {
            finite("positions", u)?;
        }
        Ok(Self { eta, bias, outer, positions })
    }

    /// The paper's initialisation: positions given, all outer weights and the bias zero.
    ///
    /// # Errors
    /// As [`Network::new`].
    pub fn with_positions(eta: f64, positions: Vec<f64>) -> Result<Self> {
        let m = positions.len();
        Self::new(eta, 0.0, vec![0.0; m], positions)
    }

    /// The paper's random initialisation: `m` sorted positions uniform on `[0, 1]`, outer
    /// weights and bias zero.
    ///
    /// # Errors
    /// As [`Network::new`] (`m == 0`, invalid `eta`).
    pub fn uniform<R: rand::Rng + ?Sized>(eta: f64, m: usize, rng: &mut R) -> Result<Self> {
        Self::with_positions(eta, sorted_uniform(m, rng))
    }

    /// Number of units `m`.
    pub fn width(&self) -> usize {
        self.positions.len()
    }

    /// `f(x)`.
    pub fn eval(&self, x: f64) -> f64 {
        let inv = 1.0 / self.eta;
        self.bias
            + self
                .outer
                .iter()
                .zip(&self.positions)
                .map(|(a, u)| a * sigma((x - u) * inv))
                .sum::<f64>()
    }

    /// `d f / d u_j (x) = -a_j sigma'((x - u_j) / eta) / eta`, for every `j`, into `out`.
    ///
    /// # Panics
    /// If `out.len() != self.width()`.
    #[track_caller]
    pub fn position_sensitivity(&self, x: f64, out: &mut [f64]) {
        assert_eq!(out.len(), self.width(), "position_sensitivity: wrong output length");
        let inv = 1.0 / self.eta;
        for ((o, a), u) in out.iter_mut().zip(&self.outer).zip(&self.positions) {
            *o = -a * sigma_prime((x - u) * inv) * inv;
        }
    }

    /// `true` when every parameter is finite.
    pub fn is_finite(&self) -> bool {
        self.bias.is_finite()
            && self.outer.iter().all(|a| a.is_finite())
            && self.positions.iter().all(|u| u.is_finite())
    }
}

/// `m` i.i.d. uniform draws on `[0, 1)`, sorted increasingly.
pub fn sorted_uniform<R: rand::Rng + ?Sized>(m: usize, rng: &mut R) -> Vec<f64> {
    let mut u: Vec<f64> = (0..m).map(|_| rng.random::<f64>()).collect();
    u.sort_by(f64::total_cmp);
    u
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(Network::new(0.0, 0.0, vec![1.0], vec![0.5]).is_err());
        assert!(Network::new(0.1, 0.0, vec![1.0, 2.0], vec![0.5]).is_err());
        assert!(Network::new(0.1, 0.0, vec![], vec![]).is_err());
        assert!(Network::new(0.1, 0.0, vec![f64::NAN], vec![0.5]).is_err());
    }

    #[test]
    fn sensitivity_matches_finite_differences() {
        let net = Network::new(0.1, 0.3, vec![1.5, -2.0], vec![0.42, 0.47]).unwrap();
        let mut g = vec![0.0; 2];
        let x = 0.45;
        net.position_sensitivity(x, &mut g);
        let h = 1e-6;
        for (j, gj) in g.iter().enumerate() {
            let mut p = net.clone();
            p.positions[j] += h;
            let mut q = net.clone();
            q.positions[j] -= h;
            let fd = (p.eval(x) - q.eval(x)) / (2.0 * h);
            // f is C^1 with Lipschitz derivative: the central difference is exact to O(h).
            assert!((fd - gj).abs() < 1e-4, "{fd} vs {gj}");
        }
    }
}
