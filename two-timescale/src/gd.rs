//! Full-batch gradient descent on the exact population loss, with separated step sizes.
//!
//! ```text
//! a <- a - h grad_a L(a, u),    u <- u - h eps grad_u L(a, u),
//! ```
//!
//! with the exact gradient of [`crate::loss`], both taken at the parameters before the step;
//! slow time `tau = steps * h * eps`. Deterministic: the noiseless counterpart of
//! [`crate::sgd`], used to test the approach to the two-timescale limit as `h, eps -> 0`.
//!
//! ```
//! use two_timescale::{gd::{GdConfig, run_gd}, network::Network, target::PiecewiseConstant};
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! let target = PiecewiseConstant::new(0.0, vec![0.5], vec![1.0])?;
//! let net = Network::with_positions(0.02, vec![0.2, 0.45, 0.7])?;
//! let run = run_gd(&net, &target, &GdConfig::new(0.2, 0.5, 2.0)?)?;
//! assert!(run.final_loss() < run.records[0].loss);
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §3 (gradient flow with
//!   separated time scales).

use serde::{Deserialize, Serialize};

use crate::error::{Result, TwoTimescaleError, positive};
use crate::loss::{population_gradient, population_loss};
use crate::network::Network;
use crate::sgd::{Record, TrainingRun, record_step};
use crate::target::PiecewiseConstant;

/// Settings of [`run_gd`], validated when built.
///
/// | parameter | symbol | default | valid range |
/// |---|---|---|---|
/// | `step_size` | `h`, outer step | (required) | `> 0` |
/// | `epsilon` | `eps`, inner/outer step ratio | (required) | `> 0` |
/// | `tau_end` | final slow time | (required) | at least one step, at most 1e9 steps |
/// | `records` | snapshots after the initial one | `min(100, steps)` | `1..=steps` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GdConfig {
    step_size: f64,
    epsilon: f64,
    steps: u64,
    records: usize,
}

impl GdConfig {
    /// A configuration running `round(tau_end / (h eps))` steps.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] for values out of range.
    pub fn new(step_size: f64, epsilon: f64, tau_end: f64) -> Result<Self> {
        positive("step_size", step_size)?;
        positive("epsilon", epsilon)?;
        positive("tau_end", tau_end)?;
        let steps = (tau_end / (step_size * epsilon)).round();
        if !(1.0..=1e9).contains(&steps) {
            return Err(TwoTimescaleError::invalid("tau_end", tau_end, "between 1 and 1e9 steps"));
        }
        let steps = steps as u64;
        Ok(Self { step_size, epsilon, steps, records: 100.min(steps as usize) })
    }

    /// Sets the number of snapshots after the initial one.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] if `records` is 0 or exceeds the step count.
    pub fn with_records(mut self, records: usize) -> Result<Self> {
        if records == 0 || records as u64 > self.steps {
            return Err(TwoTimescaleError::invalid("records", records, "1..=number of steps"));
        }
        self.records = records;
        Ok(self)
    }

    /// Number of steps.
    pub fn steps(&self) -> u64 {
        self.steps
    }
    /// `h`.
    pub fn step_size(&self) -> f64 {
        self.step_size
    }
    /// `eps`.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }
}

/// Runs gradient descent on the exact population loss from `init`.
///
/// # Errors
/// [`TwoTimescaleError::NonFinite`] when the parameters become NaN or infinite (step sizes
/// beyond the stability limit), naming the step and slow time.
pub fn run_gd(
    init: &Network,
    target: &PiecewiseConstant,
    config: &GdConfig,
) -> Result<TrainingRun> {
    let mut net = init.clone();
    let h = config.step_size;
    let h_inner = h * config.epsilon;
    let mut records = Vec::with_capacity(config.records + 1);
    records.push(Record {
        step: 0,
        tau: 0.0,
        loss: population_loss(&net, target),
        network: net.clone(),
    });
    let mut step = 0;
    for k in 1..=config.records {
        let stop = record_step(k, config.records, config.steps);
        while step < stop {
            let g = population_gradient(&net, target);
            net.bias -= h * g.bias;
            for (a, ga) in net.outer.iter_mut().zip(&g.outer) {
                *a -= h * ga;
            }
            for (u, gu) in net.positions.iter_mut().zip(&g.positions) {
                *u -= h_inner * gu;
            }
            step += 1;
            if !net.is_finite() {
                return Err(TwoTimescaleError::NonFinite { step, time: step as f64 * h_inner });
            }
        }
        let loss = population_loss(&net, target);
        records.push(Record { step, tau: step as f64 * h_inner, loss, network: net.clone() });
    }
    Ok(TrainingRun { steps: step, records, network: net })
}
