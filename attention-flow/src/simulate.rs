//! Time integration of token dynamics with megavolt-core's solvers.
//!
//! [`simulate`] integrates any [`TokenField`] with RK4 (attention recomputed at every stage),
//! adaptive Dormand–Prince 5(4) (for long metastable horizons) or explicit Euler. For fields on
//! the sphere the tokens are renormalised after every step (a retraction, which keeps the order
//! of the scheme since the exact flow stays on the sphere). Optional extras: a terminal event
//! when all tokens have collapsed (`min_{i != j} <x_i, x_j> >= 1 - tol`), located to `1e-10`
//! in time, and a log of the cluster count at every step.

use faer::{Mat, MatRef};
use megavolt_core::CoreError;
use megavolt_core::ode::{AdaptiveOptions, Direction, Event, Output, Solver, Stats};
use serde::{Deserialize, Serialize};

use crate::error::{AttentionError, Result, positive};
use crate::field::TokenField;
use crate::kernel::Workspace;
use crate::observables::{cluster_count, min_inner_product};
use crate::tokens;

/// The time integrator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Scheme {
    /// Classical RK4 with a fixed step, attention recomputed at each of the four stages.
    Rk4 {
        /// Step size.
        step: f64,
    },
    /// Adaptive Dormand–Prince 5(4).
    DormandPrince(AdaptiveOptions),
    /// Explicit Euler with a fixed step (on the sphere: the projected Euler layer).
    Euler {
        /// Step size.
        step: f64,
    },
}

/// What [`simulate`] records besides the final state.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `output` | [`Output::Final`] | which states are kept |
/// | `collapse_tol` | `None` | stop when `min_{i != j} <x_i, x_j> >= 1 - collapse_tol` |
/// | `cluster_delta` | `None` | log the cluster count (threshold `1 - delta`) after every step |
/// | `merge` | `None` | stop when two tokens of different groups come within `<x_i, x_j> >= 1 - delta` |
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SimOptions {
    /// States to keep.
    pub output: Output,
    /// Collapse threshold of the terminal event, in `(0, 2)`.
    pub collapse_tol: Option<f64>,
    /// Cluster threshold `delta` of the cluster log, in `(0, 2)`.
    pub cluster_delta: Option<f64>,
    /// Terminal merge event between labelled groups of tokens.
    pub merge: Option<MergeEvent>,
}

/// A terminal event: the first time two tokens with different group labels satisfy
/// `<x_i, x_j> >= 1 - delta` (the function `max_{label_i != label_j} <x_i, x_j> - (1 - delta)`
/// crosses zero upwards), located to `1e-10` in time.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeEvent {
    /// Group label of every token.
    pub labels: Vec<usize>,
    /// Merge threshold, in `(0, 2)`.
    pub delta: f64,
}

/// `max_{labels_i != labels_j} <x_i, x_j>` (`-inf` if all labels agree).
pub(crate) fn max_inter_group_inner_product(x: MatRef<'_, f64>, labels: &[usize]) -> f64 {
    let g = crate::observables::gram(x);
    let mut m = f64::NEG_INFINITY;
    for j in 0..x.ncols() {
        for i in 0..j {
            if labels[i] != labels[j] {
                m = m.max(g[(i, j)]);
            }
        }
    }
    m
}

/// The result of [`simulate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Output times.
    pub t: Vec<f64>,
    /// Token matrices at the output times.
    pub x: Vec<Mat<f64>>,
    /// Time at which the run ended (the final time, or the collapse time).
    pub t_end: f64,
    /// Tokens at `t_end`.
    pub x_end: Mat<f64>,
    /// Located collapse time, if the collapse event fired.
    pub collapse_time: Option<f64>,
    /// Located merge time of [`SimOptions::merge`], if it fired.
    pub merge_time: Option<f64>,
    /// `(t, count)` at the initial time and at every step where the cluster count changed.
    pub cluster_log: Vec<(f64, usize)>,
    /// Work counters of the integrator.
    pub stats: Stats,
}

impl Trajectory {
    /// The times at which the cluster count dropped, with the count after the drop (resolved
    /// to one step of the integrator).
    pub fn merge_times(&self) -> Vec<(f64, usize)> {
        self.cluster_log.windows(2).filter(|w| w[1].1 < w[0].1).map(|w| w[1]).collect()
    }
}

fn check_tol(name: &'static str, v: Option<f64>) -> Result<()> {
    match v {
        Some(t) if !(t.is_finite() && t > 0.0 && t < 2.0) => {
            Err(AttentionError::invalid(name, t, "a number in (0, 2)"))
        }
        _ => Ok(()),
    }
}

/// Integrates `dX/dt = F(X)` from `X(0) = x0` to `t_end`.
///
/// On the sphere, `x0` is first normalised (columns divided by their norms).
///
/// # Errors
/// * [`AttentionError::NonFiniteToken`] / [`AttentionError::ZeroToken`] (sphere only) naming
///   `x0` and the token;
/// * [`AttentionError::InvalidParameter`] for a step size, time or tolerance out of range;
/// * [`AttentionError::NonFinite`] when the state becomes NaN or infinite (step and time);
/// * [`AttentionError::Core`] for other integrator failures (step budget exhausted).
///
/// # Panics
/// If `x0` has a number of rows different from the field's dimension.
///
/// # Example
/// ```
/// use attention_flow::{Scheme, SimOptions, SphereAttention, simulate, tokens};
///
/// # fn main() -> attention_flow::Result<()> {
/// let model = SphereAttention::sa(1.0)?;
/// let x0 = tokens::uniform(megavolt_core::Seed::new(7), "tokens", 3, 8);
/// let opts = SimOptions { collapse_tol: Some(1e-3), ..SimOptions::default() };
/// let traj = simulate(&model, x0.as_ref(), 100.0, Scheme::Rk4 { step: 0.05 }, &opts)?;
/// assert!(traj.collapse_time.is_some());
/// # Ok(()) }
/// ```
#[track_caller]
pub fn simulate<F: TokenField>(
    field: &F,
    x0: MatRef<'_, f64>,
    t_end: f64,
    scheme: Scheme,
    options: &SimOptions,
) -> Result<Trajectory> {
    if let Some(d) = field.dim() {
        assert_eq!(
            x0.nrows(),
            d,
            "simulate: tokens have {} rows, the field expects {d}",
            x0.nrows()
        );
    }
    if !(t_end.is_finite() && t_end > 0.0) {
        return Err(AttentionError::invalid("t_end", t_end, "a finite number > 0"));
    }
    check_tol("collapse_tol", options.collapse_tol)?;
    check_tol("cluster_delta", options.cluster_delta)?;
    if let Some(m) = &options.merge {
        check_tol("merge.delta", Some(m.delta))?;
        if m.labels.len() != x0.ncols() {
            return Err(AttentionError::invalid(
                "merge.labels",
                format!("{} labels for {} tokens", m.labels.len(), x0.ncols()),
                "one label per token",
            ));
        }
    }
    let y0 = if field.on_sphere() {
        tokens::normalized("x0", x0)?
    } else {
        tokens::check_finite("x0", x0)?;
        x0.to_owned()
    };

    let mut cluster_log = Vec::new();
    let mut solver = match scheme {
        Scheme::Rk4 { step } => Solver::rk4(positive("step", step)?)?,
        Scheme::Euler { step } => Solver::euler(positive("step", step)?)?,
        Scheme::DormandPrince(opts) => Solver::dormand_prince(opts)?,
    }
    .output(options.output.clone());
    if field.on_sphere() {
        solver = solver.post_step(|_t, y: &mut Mat<f64>| tokens::renormalize_columns(y));
    }
    if let Some(delta) = options.cluster_delta {
        let log = &mut cluster_log;
        solver = solver.observer(move |t, y: &Mat<f64>| {
            let k = cluster_count(y.as_ref(), delta);
            if log.last().is_none_or(|&(_, last)| last != k) {
                log.push((t, k));
            }
        });
    }
    if let Some(tol) = options.collapse_tol {
        let g = move |_t: f64, y: &Mat<f64>| min_inner_product(y.as_ref()) - (1.0 - tol);
        solver =
            solver.event(Event::new(g).direction(Direction::Rising).terminal().tolerance(1e-10));
    }
    let merge_index = options.collapse_tol.map_or(0, |_| 1);
    if let Some(m) = &options.merge {
        let (labels, delta) = (m.labels.clone(), m.delta);
        let g = move |_t: f64, y: &Mat<f64>| {
            max_inter_group_inner_product(y.as_ref(), &labels) - (1.0 - delta)
        };
        solver =
            solver.event(Event::new(g).direction(Direction::Rising).terminal().tolerance(1e-10));
    }

    let mut ws = Workspace::new();
    let sol = solver
        .solve(
            |_t, y: &Mat<f64>, dy: &mut Mat<f64>| {
                field.velocity_into(y.as_ref(), dy.as_mut(), &mut ws)
            },
            0.0,
            y0,
            t_end,
        )
        .map_err(|e| match e {
            CoreError::NonFinite { step, time } => AttentionError::NonFinite { step, time },
            other => AttentionError::Core(other),
        })?;
    let collapse_time =
        options.collapse_tol.and(sol.events.iter().find(|e| e.event == 0).map(|e| e.t));
    let merge_time =
        options.merge.as_ref().and(sol.events.iter().find(|e| e.event == merge_index).map(|e| e.t));
    Ok(Trajectory {
        t: sol.t,
        x: sol.y,
        t_end: sol.t_end,
        x_end: sol.y_end,
        collapse_time,
        merge_time,
        cluster_log,
        stats: sol.stats,
    })
}
