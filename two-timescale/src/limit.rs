//! The two-timescale limit for sharp units (`eta -> 0`): cell averages, the reduced loss, the
//! reduced gradient flow of the positions and its event-driven integration with absorption.
//!
//! As `eta -> 0` the units become steps `1[x > u_j]`, and for fixed sorted positions
//! `0 <= u_1 <= ... <= u_m <= 1` the network is any function constant on the cells
//! `[0, u_1], [u_1, u_2], ..., [u_m, 1]`. The optimal outer weights make it equal to the
//! **cell average** of `f*` on every cell, and the reduced loss is
//!
//! ```text
//! L(u) = sum_cells int_cell (f* - avg_cell f*)^2,
//! ```
//!
//! where a cell with a single jump `v` of height `Delta`, `d_l = v - u_L`, `d_r = u_R - v`,
//! contributes `Delta^2 d_l d_r / (d_l + d_r)`. The slow dynamics is the reduced gradient
//! flow `du/dtau = -grad L(u)`; by the envelope theorem and Leibniz' rule,
//!
//! ```text
//! du_j/dtau = (f*(u_j) - c_R)^2 - (f*(u_j) - c_L)^2,
//! ```
//!
//! with `c_L`, `c_R` the averages on the cells left and right of `u_j`. Only the two neurons
//! flanking a jump move, towards it: `du_L/dtau = Delta^2 d_r^2 / (d_l + d_r)^2`,
//! `du_R/dtau = -Delta^2 d_l^2 / (d_l + d_r)^2`, and `d_l^3 - d_r^3` is conserved along the
//! flow. The nearer neuron reaches the jump in finite time at speed at least `Delta^2 / 4`;
//! it is then **absorbed** (the reduced loss has a kink minimum there), and the cell's loss
//! vanishes.
//!
//! [`SharpLimit::integrate`] integrates this flow with adaptive Dormand–Prince and terminal
//! events `u_j = v_k`, located to `1e-13` in slow time, then snaps the neuron onto the jump
//! and restarts. Between events, the right-hand side is evaluated with the cell–jump
//! incidence frozen, which continues it analytically past the jump, so that the integrator
//! never steps over a discontinuity of the vector field.
//!
//! ```
//! use two_timescale::{limit::sharp_velocities, target::PiecewiseConstant};
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! let target = PiecewiseConstant::new(0.0, vec![0.5], vec![1.0])?;
//! let v = sharp_velocities(&[0.1, 0.4, 0.7, 0.9], &target)?;
//! assert!((v[1] - 4.0 / 9.0).abs() < 1e-15 && (v[2] + 1.0 / 9.0).abs() < 1e-15);
//! assert_eq!((v[0], v[3]), (0.0, 0.0));
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §3 (the two-timescale limit:
//!   fast variable at its optimum, slow dynamics of the positions, absorption at jumps).

use megavolt_core::ode::{AdaptiveOptions, Event, Output, Solver};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TwoTimescaleError};
use crate::target::PiecewiseConstant;

/// Checks that positions are finite, sorted non-decreasingly and inside `[0, 1]`.
pub(crate) fn check_sorted_unit(positions: &[f64]) -> Result<()> {
    if positions.is_empty() {
        return Err(TwoTimescaleError::invalid("positions", "[]", "at least one neuron"));
    }
    for (j, &u) in positions.iter().enumerate() {
        if !(0.0..=1.0).contains(&u) {
            return Err(TwoTimescaleError::invalid("positions", u, "positions inside [0, 1]"));
        }
        if j > 0 && u < positions[j - 1] {
            return Err(TwoTimescaleError::invalid("positions", u, "non-decreasing positions"));
        }
    }
    Ok(())
}

/// The optimal sharp-unit fit for fixed positions: one cell average per cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellFit {
    /// Cell boundaries `0, u_1, ..., u_m, 1` (`m + 2` entries).
    pub boundaries: Vec<f64>,
    /// Average of `f*` on each of the `m + 1` cells.
    pub averages: Vec<f64>,
    /// `int_cell (f* - average)^2` on each cell.
    pub cell_losses: Vec<f64>,
}

impl CellFit {
    /// The reduced loss, sum of the cell losses.
    pub fn loss(&self) -> f64 {
        self.cell_losses.iter().sum()
    }

    /// The optimal weights of the sharp network `a_0 + sum_j a_j 1[x > u_j]`: `a_0` is the
    /// first average and `a_j` the change of average across `u_j`.
    pub fn outer_weights(&self) -> (f64, Vec<f64>) {
        (self.averages[0], self.averages.windows(2).map(|w| w[1] - w[0]).collect())
    }
}

/// Average and squared deviation of `f*` on `[lo, hi]`, by its constant sub-pieces.
fn cell_stats(lo: f64, hi: f64, target: &PiecewiseConstant) -> (f64, f64) {
    let len = hi - lo;
    if len <= 0.0 {
        // A degenerate cell carries no mass; its average is the value just right of `lo`.
        let avg = target.eval(lo) + jump_at(lo, target);
        return (avg, 0.0);
    }
    let avg = target.integral(lo, hi) / len;
    let mut loss = 0.0;
    let mut a = lo;
    let mut y = target.eval(lo) + jump_at(lo, target);
    for (&v, &d) in target.jumps().iter().zip(target.heights()) {
        if v > lo && v < hi {
            loss += (v - a) * (y - avg) * (y - avg);
            a = v;
            y += d;
        }
    }
    loss += (hi - a) * (y - avg) * (y - avg);
    (avg, loss)
}

/// The height of the jump located exactly at `x`, or 0.
#[allow(clippy::float_cmp, reason = "absorbed neurons are set exactly onto the jump")]
fn jump_at(x: f64, target: &PiecewiseConstant) -> f64 {
    target.jumps().iter().zip(target.heights()).filter(|(v, _)| **v == x).map(|(_, d)| d).sum()
}

/// The optimal cell averages for sorted positions in `[0, 1]`.
///
/// # Errors
/// [`TwoTimescaleError::InvalidParameter`] if the positions are empty, unsorted or outside
/// `[0, 1]`.
pub fn cell_fit(positions: &[f64], target: &PiecewiseConstant) -> Result<CellFit> {
    check_sorted_unit(positions)?;
    let mut boundaries = Vec::with_capacity(positions.len() + 2);
    boundaries.push(0.0);
    boundaries.extend_from_slice(positions);
    boundaries.push(1.0);
    let (averages, cell_losses) =
        boundaries.windows(2).map(|w| cell_stats(w[0], w[1], target)).unzip();
    Ok(CellFit { boundaries, averages, cell_losses })
}

/// The reduced loss `L(u)` of sharp units.
///
/// # Errors
/// As [`cell_fit`].
pub fn sharp_reduced_loss(positions: &[f64], target: &PiecewiseConstant) -> Result<f64> {
    Ok(cell_fit(positions, target)?.loss())
}

/// The reduced velocities `du_j/dtau = (f*(u_j) - c_R)^2 - (f*(u_j) - c_L)^2`; a neuron on a
/// jump is absorbed and has velocity 0.
///
/// # Errors
/// As [`cell_fit`].
pub fn sharp_velocities(positions: &[f64], target: &PiecewiseConstant) -> Result<Vec<f64>> {
    let fit = cell_fit(positions, target)?;
    Ok(positions
        .iter()
        .enumerate()
        .map(|(j, &u)| {
            if target.jumps().contains(&u) {
                return 0.0;
            }
            let y = target.eval(u);
            let (cl, cr) = (fit.averages[j], fit.averages[j + 1]);
            (y - cr) * (y - cr) - (y - cl) * (y - cl)
        })
        .collect())
}

/// Tolerances of [`SharpLimit::integrate`].
///
/// | field | default | meaning | valid range |
/// |---|---|---|---|
/// | `rtol` | 1e-10 | relative tolerance of Dormand–Prince | `>= 1e-15` |
/// | `atol` | 1e-12 | absolute tolerance | `>= 0` |
/// | `event_tol` | 1e-13 | tolerance on located absorption times | `> 0` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SharpLimit {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Tolerance on event times.
    pub event_tol: f64,
}

impl Default for SharpLimit {
    fn default() -> Self {
        Self { rtol: 1e-10, atol: 1e-12, event_tol: 1e-13 }
    }
}

/// A neuron reaching a jump.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Absorption {
    /// Index of the neuron.
    pub neuron: usize,
    /// Index of the jump.
    pub jump: usize,
    /// Slow time of absorption.
    pub time: f64,
}

/// Positions of a limit dynamics at requested slow times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimitTrajectory {
    /// Output slow times.
    pub times: Vec<f64>,
    /// Positions at each output time.
    pub positions: Vec<Vec<f64>>,
    /// Absorptions in time order (empty for finite-width flows).
    pub absorptions: Vec<Absorption>,
    /// Positions at the final time.
    pub final_positions: Vec<f64>,
    /// Right-hand-side evaluations spent.
    pub rhs_evals: usize,
}

/// The frozen cell–jump incidence of one integration segment.
struct Topology {
    /// For each of the `m + 1` cells: value of `f*` just right of its left end, and its
    /// interior jumps `(v, Delta)`.
    cells: Vec<(f64, Vec<(f64, f64)>)>,
    /// `f*(u_j)` for free neurons, `None` for absorbed ones.
    values: Vec<Option<f64>>,
    /// Events `(neuron, jump)`.
    events: Vec<(usize, usize)>,
}

impl Topology {
    fn new(u: &[f64], target: &PiecewiseConstant) -> Self {
        let m = u.len();
        let mut cells = Vec::with_capacity(m + 1);
        let mut events = Vec::new();
        for i in 0..=m {
            let lo = if i == 0 { 0.0 } else { u[i - 1] };
            let hi = if i == m { 1.0 } else { u[i] };
            let left_value = target.eval(lo) + jump_at(lo, target);
            let mut jumps = Vec::new();
            for (k, (&v, &d)) in target.jumps().iter().zip(target.heights()).enumerate() {
                if v > lo && v < hi {
                    jumps.push((v, d));
                    if i > 0 {
                        events.push((i - 1, k));
                    }
                    if i < m {
                        events.push((i, k));
                    }
                }
            }
            cells.push((left_value, jumps));
        }
        let values = u
            .iter()
            .map(|&x| if target.jumps().contains(&x) { None } else { Some(target.eval(x)) })
            .collect();
        Self { cells, values, events }
    }

    fn rhs(&self, u: &[f64], du: &mut [f64]) {
        let m = u.len();
        let avg = |i: usize| {
            let lo = if i == 0 { 0.0 } else { u[i - 1] };
            let hi = if i == m { 1.0 } else { u[i] };
            let (y0, jumps) = &self.cells[i];
            if jumps.is_empty() {
                return *y0;
            }
            let len = hi - lo;
            y0 + jumps.iter().map(|(v, d)| d * (hi - v)).sum::<f64>() / len
        };
        for (j, dj) in du.iter_mut().enumerate() {
            *dj = match self.values[j] {
                None => 0.0,
                Some(y) => {
                    let (cl, cr) = (avg(j), avg(j + 1));
                    (y - cr) * (y - cr) - (y - cl) * (y - cl)
                }
            };
        }
    }
}

impl SharpLimit {
    fn validate(&self) -> Result<()> {
        if !(self.rtol.is_finite() && self.rtol >= 1e-15) {
            return Err(TwoTimescaleError::invalid("rtol", self.rtol, "a finite number >= 1e-15"));
        }
        crate::error::non_negative("atol", self.atol)?;
        crate::error::positive("event_tol", self.event_tol)?;
        Ok(())
    }

    /// Integrates the sharp reduced flow from sorted `positions` at `tau = 0` to `tau_end`,
    /// with output at `times` (non-decreasing, inside `[0, tau_end]`).
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] for invalid tolerances, positions (see
    /// [`cell_fit`]), `tau_end <= 0` or output times out of range;
    /// [`TwoTimescaleError::Core`] if the integrator fails.
    pub fn integrate(
        &self,
        positions: &[f64],
        target: &PiecewiseConstant,
        tau_end: f64,
        times: &[f64],
    ) -> Result<LimitTrajectory> {
        self.validate()?;
        check_sorted_unit(positions)?;
        crate::error::positive("tau_end", tau_end)?;
        check_times(times, tau_end)?;
        let mut u = positions.to_vec();
        let mut t = 0.0;
        let mut out_t = Vec::with_capacity(times.len());
        let mut out_u = Vec::with_capacity(times.len());
        let mut absorptions = Vec::new();
        let mut rhs_evals = 0;
        let mut next = 0;
        while next < times.len() && times[next] <= 0.0 {
            out_t.push(times[next]);
            out_u.push(u.clone());
            next += 1;
        }
        // Each segment ends with one absorption, and a jump absorbs at most once per
        // flanking neuron: the loop ends after at most m + K + 1 segments.
        for _ in 0..=(u.len() + target.n_jumps() + 1) {
            let topo = Topology::new(&u, target);
            if topo.events.is_empty() {
                // No cell contains a jump: every velocity is zero, the state is final.
                break;
            }
            let seg_times: Vec<f64> = times[next..].to_vec();
            let mut solver =
                Solver::dormand_prince(AdaptiveOptions::tolerances(self.rtol, self.atol))?
                    .output(Output::Times(seg_times));
            for &(j, k) in &topo.events {
                let v = target.jumps()[k];
                solver = solver.event(
                    Event::new(move |_t, y: &Vec<f64>| y[j] - v)
                        .terminal()
                        .tolerance(self.event_tol),
                );
            }
            let topo_ref = &topo;
            let sol = solver.solve(
                |_t, y: &Vec<f64>, dy: &mut Vec<f64>| topo_ref.rhs(y, dy),
                t,
                u.clone(),
                tau_end,
            )?;
            rhs_evals += sol.stats.rhs_evals;
            for (tt, yy) in sol.t.iter().zip(&sol.y) {
                // Outputs at exactly the event time are re-emitted after snapping.
                if sol.terminated && *tt >= sol.t_end {
                    break;
                }
                out_t.push(*tt);
                out_u.push(yy.clone());
                next += 1;
            }
            t = sol.t_end;
            u = sol.y_end.clone();
            if !sol.terminated {
                break;
            }
            let hit = sol.events.last().expect("a terminal run records its event");
            let (j, k) = topo.events[hit.event];
            u[j] = target.jumps()[k];
            log::debug!("neuron {j} absorbed by jump {k} at slow time {t:e}");
            absorptions.push(Absorption { neuron: j, jump: k, time: t });
            if t >= tau_end {
                break;
            }
        }
        while next < times.len() {
            out_t.push(times[next]);
            out_u.push(u.clone());
            next += 1;
        }
        Ok(LimitTrajectory {
            times: out_t,
            positions: out_u,
            absorptions,
            final_positions: u,
            rhs_evals,
        })
    }
}

/// Checks output times: non-decreasing, inside `[0, tau_end]`.
pub(crate) fn check_times(times: &[f64], tau_end: f64) -> Result<()> {
    for (k, &t) in times.iter().enumerate() {
        if !(t.is_finite() && (0.0..=tau_end).contains(&t)) {
            return Err(TwoTimescaleError::invalid("times", t, "times inside [0, tau_end]"));
        }
        if k > 0 && t < times[k - 1] {
            return Err(TwoTimescaleError::invalid("times", t, "non-decreasing times"));
        }
    }
    Ok(())
}
