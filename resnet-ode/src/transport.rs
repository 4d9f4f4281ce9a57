//! Neural ODEs with piecewise-constant parameters as transport maps.
//!
//! The velocity field is a single ReLU neuron, `x' = w (a·x + b)_+`, whose parameters
//! `theta = (w, a, b) ∈ R^d x R^d x R` are constant on consecutive time intervals; a jump of
//! `theta` is a *switch*. This is the model class of Álvarez-López, Geshkovski and Ruiz-Balet
//! (2025). On one interval of length `tau`, with `z = a·x + b` and `kappa = a·w`, the flow is
//! explicit: points with `z <= 0` do not move, and for `z > 0`
//!
//! ```text
//! z(t) = z e^{kappa t},   x(t) = x + w z (e^{kappa t} - 1) / kappa   (x + t w z if kappa = 0).
//! ```
//!
//! [`PiecewiseFlow::apply`] uses this closed form; [`PiecewiseFlow::integrate`] integrates the
//! same ODE with a `megavolt-core` solver (the two agree to the solver's accuracy).
//!
//! # Construction in one dimension
//! [`monotone_flow`] realises exactly the increasing piecewise-linear map with knots
//! `x_0 < ... < x_K` and values `y_0 < ... < y_K` (linear extrapolation outside): one switch
//! with `a = 0` translates by `y_0 - x_0`; one switch with `a = 1, b = -y_0` dilates the
//! half-line right of `y_0` by the first slope `s_0`; then, for `j = 1..K-1`, a switch with
//! `a = 1`, `b = -y_j`, `w = ln(s_j / s_{j-1})`, `tau = 1` dilates everything right of the
//! current image `y_j` of knot `j` by `s_j / s_{j-1}`, leaving the part already built
//! untouched; a mirrored dilation (`a = -1`) extends the first piece to the left. That is
//! `K + 2` switches for `K` linear pieces. With knots at the quantiles
//! `u_j = j / K` of a base measure and values at the target's quantiles, the map is the
//! piecewise-linear interpolant of the monotone rearrangement `T = F_target^{-1} ∘ F_base`,
//! so that `W_1(T_K # base, target) <= sup |T_K - T| <= (1/(8 K^2)) sup |T''|` when the base is
//! uniform on `[0, 1]` (the interpolation bound).
//!
//! # References
//! * A. Álvarez-López, B. Geshkovski, D. Ruiz-Balet, "Constructive approximate transport maps
//!   with normalizing flows", arXiv:2412.19366 (2025): the model class (ReLU neuron fields with
//!   piecewise-constant controls, counted by switches).
//! * D. Ruiz-Balet, E. Zuazua, "Neural ODE control for classification, approximation and
//!   transport", SIAM Review 65 (2023): constructive control of such fields.
//!
//! # Limitations
//! The construction of the 2025 paper itself (multi-dimensional, relative-entropy error under
//! a tail assumption) is not implemented: only the one-dimensional exact construction above.

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::{ResnetError, Result, positive};
use crate::neural_ode::{Integrator, solver_for};

/// The constant parameters of one interval: velocity `w (a·x + b)_+` for a time `duration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Switch {
    /// Output direction `w` (length `d`).
    pub w: Vec<f64>,
    /// Normal of the activation hyperplane `a` (length `d`).
    pub a: Vec<f64>,
    /// Offset `b`.
    pub b: f64,
    /// Length of the interval, `> 0`.
    pub duration: f64,
}

/// A flow with piecewise-constant parameters: the switches are applied in order.
///
/// ```
/// use faer::Mat;
/// use resnet_ode::transport::{PiecewiseFlow, Switch};
///
/// # fn main() -> resnet_ode::Result<()> {
/// // Dilate the half-line x > 1 by e: 2 -> 1 + e, 0 stays.
/// let flow = PiecewiseFlow::new(1, vec![Switch { w: vec![1.0], a: vec![1.0], b: -1.0, duration: 1.0 }])?;
/// let x = Mat::from_fn(1, 2, |_, j| [2.0, 0.0][j]);
/// let y = flow.apply(&x);
/// assert!((y[(0, 0)] - (1.0 + std::f64::consts::E)).abs() < 1e-14);
/// assert_eq!(y[(0, 1)], 0.0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiecewiseFlow {
    dim: usize,
    switches: Vec<Switch>,
}

impl PiecewiseFlow {
    /// A flow in `R^dim`.
    ///
    /// # Errors
    /// [`ResnetError::InvalidParameter`] if `dim == 0`, a vector has the wrong length, or a
    /// parameter is not finite or a duration not positive.
    pub fn new(dim: usize, switches: Vec<Switch>) -> Result<Self> {
        crate::error::at_least("dim", dim, 1, "at least 1")?;
        for s in &switches {
            if s.w.len() != dim || s.a.len() != dim {
                return Err(ResnetError::invalid(
                    "switch",
                    format!("w, a of lengths {}, {}", s.w.len(), s.a.len()),
                    "vectors of length dim",
                ));
            }
            if !s.w.iter().chain(&s.a).chain([&s.b]).all(|v| v.is_finite()) {
                return Err(ResnetError::invalid(
                    "switch",
                    "non-finite parameter",
                    "finite parameters",
                ));
            }
            positive("duration", s.duration)?;
        }
        Ok(Self { dim, switches })
    }

    /// The switches.
    pub fn switches(&self) -> &[Switch] {
        &self.switches
    }

    /// Number of parameter switches (intervals).
    pub fn n_switches(&self) -> usize {
        self.switches.len()
    }

    /// Total time.
    pub fn horizon(&self) -> f64 {
        self.switches.iter().map(|s| s.duration).sum()
    }

    /// Pushes the points (one per column, `d x n`) through the flow, in closed form.
    ///
    /// # Panics
    /// If `x` does not have `d` rows.
    #[track_caller]
    pub fn apply(&self, x: &Mat<f64>) -> Mat<f64> {
        assert_eq!(x.nrows(), self.dim, "apply: points must have d rows");
        let mut y = x.clone();
        for s in &self.switches {
            let kappa: f64 = s.a.iter().zip(&s.w).map(|(a, w)| a * w).sum();
            let growth =
                if kappa == 0.0 { s.duration } else { (kappa * s.duration).exp_m1() / kappa };
            for j in 0..y.ncols() {
                let col = y.col_as_slice_mut(j);
                let z: f64 = s.a.iter().zip(col.iter()).map(|(a, x)| a * x).sum::<f64>() + s.b;
                if z > 0.0 {
                    for (xi, wi) in col.iter_mut().zip(&s.w) {
                        *xi += wi * z * growth;
                    }
                }
            }
        }
        y
    }

    /// The velocity at time `t` (the parameters of the interval containing `t`).
    pub fn velocity(&self, t: f64, x: &[f64], dx: &mut [f64]) {
        let mut start = 0.0;
        let mut active = self.switches.last();
        for s in &self.switches {
            if t < start + s.duration {
                active = Some(s);
                break;
            }
            start += s.duration;
        }
        dx.iter_mut().for_each(|v| *v = 0.0);
        if let Some(s) = active {
            let z = s.a.iter().zip(x).map(|(a, x)| a * x).sum::<f64>() + s.b;
            if z > 0.0 {
                for (d, w) in dx.iter_mut().zip(&s.w) {
                    *d = w * z;
                }
            }
        }
    }

    /// Pushes the points through the flow with a `megavolt-core` integrator, one interval at a
    /// time (so that no step straddles a switch); `Fixed` steps are per unit time.
    ///
    /// # Errors
    /// As [`crate::NeuralOde::integrate`].
    ///
    /// # Panics
    /// If `x` does not have `d` rows.
    #[track_caller]
    pub fn integrate(&self, x: &Mat<f64>, integrator: Integrator) -> Result<Mat<f64>> {
        assert_eq!(x.nrows(), self.dim, "integrate: points must have d rows");
        let mut y = x.clone();
        for s in &self.switches {
            let single = PiecewiseFlow { dim: self.dim, switches: vec![s.clone()] };
            let rhs = |_t: f64, state: &Mat<f64>, dstate: &mut Mat<f64>| {
                for j in 0..state.ncols() {
                    single.velocity(0.0, state.col_as_slice(j), dstate.col_as_slice_mut(j));
                }
            };
            let scaled = match integrator {
                Integrator::Fixed { scheme, steps } => Integrator::Fixed {
                    scheme,
                    steps: ((steps as f64) * s.duration).ceil().max(1.0) as usize,
                },
                other => other,
            };
            // Integrate on [0, 1] in rescaled time tau = t / duration.
            let rhs_scaled = |t: f64, state: &Mat<f64>, dstate: &mut Mat<f64>| {
                rhs(t, state, dstate);
                for j in 0..dstate.ncols() {
                    dstate.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= s.duration);
                }
            };
            y = solver_for::<Mat<f64>>(scaled)?.solve(rhs_scaled, 0.0, y, 1.0)?.y_end;
        }
        Ok(y)
    }
}

/// The one-dimensional flow that realises the increasing piecewise-linear map with knots
/// `knots` and values `values` (see the [module documentation](self)); `K + 2` switches for
/// `K = knots.len() - 1` pieces.
///
/// # Errors
/// [`ResnetError::InvalidParameter`] if there are fewer than two knots, the lengths differ,
/// or either sequence is not finite and strictly increasing.
pub fn monotone_flow(knots: &[f64], values: &[f64]) -> Result<PiecewiseFlow> {
    if knots.len() < 2 || knots.len() != values.len() {
        return Err(ResnetError::invalid(
            "knots",
            knots.len(),
            "at least two knots, as many as values",
        ));
    }
    let increasing =
        |v: &[f64]| v.iter().all(|x| x.is_finite()) && v.windows(2).all(|p| p[1] > p[0]);
    if !increasing(knots) {
        return Err(ResnetError::invalid(
            "knots",
            "a non-increasing sequence",
            "finite, strictly increasing",
        ));
    }
    if !increasing(values) {
        return Err(ResnetError::invalid(
            "values",
            "a non-increasing sequence",
            "finite, strictly increasing",
        ));
    }
    let slopes: Vec<f64> = (0..knots.len() - 1)
        .map(|j| (values[j + 1] - values[j]) / (knots[j + 1] - knots[j]))
        .collect();
    let mut switches =
        vec![Switch { w: vec![values[0] - knots[0]], a: vec![0.0], b: 1.0, duration: 1.0 }];
    // The dilation about y_0 acts on z = x - y_0 > 0; points left of y_0 are handled by a
    // mirrored dilation (a = -1) with the same slope, giving the linear extrapolation.
    switches.push(Switch { w: vec![slopes[0].ln()], a: vec![1.0], b: -values[0], duration: 1.0 });
    switches.push(Switch { w: vec![-slopes[0].ln()], a: vec![-1.0], b: values[0], duration: 1.0 });
    for j in 1..slopes.len() {
        switches.push(Switch {
            w: vec![(slopes[j] / slopes[j - 1]).ln()],
            a: vec![1.0],
            b: -values[j],
            duration: 1.0,
        });
    }
    PiecewiseFlow::new(1, switches)
}

/// `W_1` between two empirical measures on the line with the same number of atoms and equal
/// weights: the mean absolute difference of the sorted atoms.
///
/// # Panics
/// If the lengths differ or are zero.
#[track_caller]
pub fn wasserstein1_1d(a: &[f64], b: &[f64]) -> f64 {
    assert!(!a.is_empty() && a.len() == b.len(), "wasserstein1_1d: equal non-zero lengths needed");
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>() / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neural_ode::Scheme;

    #[test]
    fn closed_form_flow_matches_integration() {
        let flow = PiecewiseFlow::new(
            2,
            vec![
                Switch { w: vec![0.5, -0.3], a: vec![1.0, 0.2], b: -0.1, duration: 0.7 },
                Switch { w: vec![0.0, 1.0], a: vec![1.0, 0.0], b: 0.3, duration: 1.3 },
            ],
        )
        .unwrap();
        let x = Mat::from_fn(2, 5, |i, j| (i as f64 - 0.5) + 0.3 * j as f64 - 0.4);
        let exact = flow.apply(&x);
        let num =
            flow.integrate(&x, Integrator::DormandPrince { rtol: 1e-12, atol: 1e-13 }).unwrap();
        assert!((&exact - &num).norm_l2() < 1e-10, "{}", (&exact - &num).norm_l2());
        let rk4 =
            flow.integrate(&x, Integrator::Fixed { scheme: Scheme::Rk4, steps: 200 }).unwrap();
        assert!((&exact - &rk4).norm_l2() < 1e-8);
    }

    #[test]
    fn monotone_flow_is_the_piecewise_linear_map() {
        let knots = [0.0, 0.5, 1.0, 2.0];
        let values = [1.0, 1.2, 3.0, 3.5];
        let flow = monotone_flow(&knots, &values).unwrap();
        assert_eq!(flow.n_switches(), 3 + 2);
        let pl = |x: f64| {
            let j = knots.windows(2).position(|w| x <= w[1]).unwrap_or(knots.len() - 2);
            let j = if x < knots[0] { 0 } else { j };
            values[j] + (values[j + 1] - values[j]) / (knots[j + 1] - knots[j]) * (x - knots[j])
        };
        let xs: Vec<f64> = (0..41).map(|i| -0.5 + 0.07 * i as f64).collect();
        let y = flow.apply(&Mat::from_fn(1, xs.len(), |_, j| xs[j]));
        for (j, &x) in xs.iter().enumerate() {
            assert!(
                (y[(0, j)] - pl(x)).abs() < 1e-13 * (1.0 + pl(x).abs()),
                "x = {x}: {} vs {}",
                y[(0, j)],
                pl(x)
            );
        }
        assert!(monotone_flow(&[0.0, 0.0], &[1.0, 2.0]).is_err());
        assert!(monotone_flow(&[0.0, 1.0], &[1.0, 0.5]).is_err());
    }
}
