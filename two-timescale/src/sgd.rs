//! Online SGD with separated step sizes, as in the paper's experiments.
//!
//! At each step, one sample `x ~ U[0, 1]` with label `y = f*(x) + xi`, `xi ~ U[-s, s]`, and
//! with `r = y - f(x)`,
//!
//! ```text
//! a_0 <- a_0 + 2 h r,
//! a_j <- a_j + 2 h r sigma_eta(x - u_j),
//! u_j <- u_j - 2 h eps r a_j sigma'((x - u_j) / eta) / eta,
//! ```
//!
//! both gradients taken at the same sample and at the parameters before the step, with the
//! exact derivative of `sigma`. Time is measured on the slow clock `tau = steps * h * eps`.
//!
//! # Implementation
//! The inner loops do not allocate. Two kernels ([`Kernel`]) run the same steps with the same
//! random draws (one ChaCha8 stream: two uniform `f64` per step, `x` first, then the noise):
//!
//! * [`Kernel::Dense`] evaluates every unit without branches (see [`crate::activation`]), a
//!   vectorised `O(m)` pass that is the fastest for tens of units;
//! * [`Kernel::Sorted`] exploits the compact support of `sigma'`: only the `O(1)` units
//!   within `eta / 2` of `x` have a non-trivial value and a non-zero position gradient, and
//!   all units to the left of them receive the same outer-weight increment. Keeping the
//!   units sorted by position, with Fenwick trees for the prefix sums and prefix increments,
//!   a step costs `O(log m)`.
//!
//! [`Kernel::Auto`] (the default) picks the dense kernel up to 64 units. The two kernels sum
//! in different orders and agree to rounding; each is deterministic.
//!
//! # Limitations
//! With `eps = 1` and many neurons crowding a jump, SGD amplifies rounding differences
//! exponentially (about tenfold every 500 steps), so the trajectories of the two kernels
//! separate after a few thousand steps, while their statistics agree.
//!
//! ```
//! use megavolt_core::Seed;
//! use two_timescale::{network::Network, sgd::{SgdConfig, run_sgd}, target::PiecewiseConstant};
//!
//! # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
//! let target = PiecewiseConstant::paper();
//! let net = Network::uniform(4e-3, 20, &mut Seed::new(1).stream("init"))?;
//! let config = SgdConfig::new(1e-3, 2e-5, 2e-3)?.with_records(4)?; // 1e5 steps
//! let run = run_sgd(&net, &target, &config, &mut Seed::new(1).stream("sgd"))?;
//! assert_eq!(run.steps, 100_000);
//! assert_eq!(run.records.len(), 5);
//! # Ok(()) }
//! ```
//!
//! # References
//! * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §2 (SGD with step sizes `h`
//!   and `h eps`) and §5 (experimental settings).

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TwoTimescaleError, non_negative, positive};
use crate::loss::population_loss;
use crate::network::Network;
use crate::sorted_kernel::SortedUnits;
use crate::target::PiecewiseConstant;

/// Settings of [`run_sgd`], validated when built.
///
/// | parameter | symbol | default | valid range |
/// |---|---|---|---|
/// | `step_size` | `h`, outer step | (required) | `> 0` |
/// | `epsilon` | `eps`, ratio of inner to outer step | (required) | `> 0` |
/// | `tau_end` | final slow time | (required) | `> 0`, at least one step |
/// | `noise` | half-width `s` of the label noise `U[-s, s]` | 1 | `>= 0` |
/// | `records` | number of snapshots after the initial one | 100 | `1..=steps` |
///
/// The number of steps is `floor(tau_end / (h eps))` (rounded when within `1e-9` of an
/// integer).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    kernel: Kernel,
    step_size: f64,
    epsilon: f64,
    tau_end: f64,
    noise: f64,
    records: usize,
    steps: u64,
}

impl SgdConfig {
    /// A configuration with noise 1 and 100 records.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] if a value is out of range or gives no step.
    pub fn new(step_size: f64, epsilon: f64, tau_end: f64) -> Result<Self> {
        positive("step_size", step_size)?;
        positive("epsilon", epsilon)?;
        positive("tau_end", tau_end)?;
        let ratio = tau_end / (step_size * epsilon);
        let steps = if (ratio - ratio.round()).abs() <= 1e-9 * ratio {
            ratio.round()
        } else {
            ratio.floor()
        };
        if !(1.0..1e18).contains(&steps) {
            return Err(TwoTimescaleError::invalid(
                "tau_end",
                tau_end,
                "a slow time of at least one step and at most 1e18 steps",
            ));
        }
        let steps = steps as u64;
        Ok(Self {
            kernel: Kernel::Auto,
            step_size,
            epsilon,
            tau_end,
            noise: 1.0,
            records: 100.min(steps as usize),
            steps,
        })
    }

    /// The paper's two-timescale run: `h = 1e-5`, `eps = 2e-5`, `tau_end = 0.035`
    /// (1.75e8 steps).
    pub fn paper() -> Self {
        Self::new(1e-5, 2e-5, 0.035).expect("valid constants")
    }

    /// The quick variant: `h = 1e-3`, `eps = 2e-5`, `tau_end = 0.035` (1.75e6 steps).
    pub fn quick() -> Self {
        Self::new(1e-3, 2e-5, 0.035).expect("valid constants")
    }

    /// Sets the half-width of the uniform label noise.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] if `noise` is negative or not finite.
    pub fn with_noise(mut self, noise: f64) -> Result<Self> {
        self.noise = non_negative("noise", noise)?;
        Ok(self)
    }

    /// Sets the number of snapshots taken after the initial one, evenly spaced in steps.
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

    /// Selects the inner loop (the default is [`Kernel::Auto`]).
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// The selected inner loop.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// `h`.
    pub fn step_size(&self) -> f64 {
        self.step_size
    }
    /// `eps`.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }
    /// Final slow time.
    pub fn tau_end(&self) -> f64 {
        self.tau_end
    }
    /// Noise half-width.
    pub fn noise(&self) -> f64 {
        self.noise
    }
    /// Number of snapshots after the initial one.
    pub fn records(&self) -> usize {
        self.records
    }
    /// Number of SGD steps.
    pub fn steps(&self) -> u64 {
        self.steps
    }
}

/// The inner loop of [`run_sgd`] (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Kernel {
    /// Dense up to 64 units, sorted beyond.
    #[default]
    Auto,
    /// Branch-free pass over all units, `O(m)` per step.
    Dense,
    /// Sorted units with Fenwick trees, `O(log m)` per step.
    Sorted,
}

/// A snapshot of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Steps done.
    pub step: u64,
    /// Slow time `step * h * eps`.
    pub tau: f64,
    /// Exact population loss.
    pub loss: f64,
    /// The network at that step.
    pub network: Network,
}

/// The result of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRun {
    /// Steps done.
    pub steps: u64,
    /// Snapshots, the first at step 0 and the last at the final step.
    pub records: Vec<Record>,
    /// The final network.
    pub network: Network,
}

impl TrainingRun {
    /// Slow times of the records.
    pub fn taus(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.tau).collect()
    }
    /// Losses of the records.
    pub fn losses(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.loss).collect()
    }
    /// Loss of the last record.
    pub fn final_loss(&self) -> f64 {
        self.records.last().map_or(f64::NAN, |r| r.loss)
    }
}

/// The step range of record `k` of `n` over `steps` steps.
pub(crate) fn record_step(k: usize, n: usize, steps: u64) -> u64 {
    ((steps as u128 * k as u128) / n as u128) as u64
}

/// Runs `n` SGD steps in place. Returns `false` if the state became non-finite.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn sgd_steps<R: Rng + ?Sized>(
    n: u64,
    rng: &mut R,
    target: &PiecewiseConstant,
    inv_eta: f64,
    h: f64,
    h_inner: f64,
    noise: f64,
    bias: &mut f64,
    outer: &mut [f64],
    positions: &mut [f64],
    s: &mut [f64],
    ds: &mut [f64],
) -> bool {
    let m = outer.len();
    let (outer, positions, s, ds) =
        (&mut outer[..m], &mut positions[..m], &mut s[..m], &mut ds[..m]);
    let jumps = target.jumps();
    let heights = &target.heights()[..jumps.len()];
    let base = target.base();
    let gu_scale = 2.0 * h_inner * inv_eta;
    for _ in 0..n {
        let x: f64 = rng.random();
        let xi: f64 = rng.random();
        let mut y = base + noise * (2.0 * xi - 1.0);
        for (v, d) in jumps.iter().zip(heights) {
            y += d * f64::from(u8::from(x > *v));
        }

        // Units and their slopes, without branches.
        for ((sj, dsj), uj) in s.iter_mut().zip(ds.iter_mut()).zip(positions.iter()) {
            let t = ((x - uj) * inv_eta).clamp(-0.5, 0.5);
            let w = 0.5 - t.abs();
            *sj = 0.5 + (0.5 - 4.0 * w * w * w).copysign(t);
            *dsj = 12.0 * w * w;
        }
        // Network output, four partial sums in a fixed order.
        let mut acc = [0.0f64; 4];
        let mut chunks_a = outer.chunks_exact(4);
        let mut chunks_s = s.chunks_exact(4);
        for (ca, cs) in (&mut chunks_a).zip(&mut chunks_s) {
            for l in 0..4 {
                acc[l] += ca[l] * cs[l];
            }
        }
        let mut tail = 0.0;
        for (a, sj) in chunks_a.remainder().iter().zip(chunks_s.remainder()) {
            tail += a * sj;
        }
        let f = *bias + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail;

        // Simultaneous update of both layers from the pre-step parameters.
        let r = y - f;
        let ga = 2.0 * h * r;
        let gu = gu_scale * r;
        *bias += ga;
        for (((a, u), sj), dsj) in
            outer.iter_mut().zip(positions.iter_mut()).zip(s.iter()).zip(ds.iter())
        {
            let a_old = *a;
            *a = a_old + ga * sj;
            *u -= gu * a_old * dsj;
        }
    }
    bias.is_finite()
        && outer.iter().all(|a| a.is_finite())
        && positions.iter().all(|u| u.is_finite())
}

/// Runs SGD from `init` (see the [module documentation](self)).
///
/// # Errors
/// [`TwoTimescaleError::NonFinite`] if the parameters become NaN or infinite (checked every
/// 65536 steps and at every record), naming the step and slow time.
pub fn run_sgd<R: Rng + ?Sized>(
    init: &Network,
    target: &PiecewiseConstant,
    config: &SgdConfig,
    rng: &mut R,
) -> Result<TrainingRun> {
    const CHUNK: u64 = 1 << 16;
    let mut net = init.clone();
    let m = net.width();
    let mut s = vec![0.0; m];
    let mut ds = vec![0.0; m];
    let inv_eta = 1.0 / net.eta;
    let h = config.step_size;
    let h_inner = config.step_size * config.epsilon;
    let tau = |step: u64| step as f64 * h_inner;
    let mut records = Vec::with_capacity(config.records + 1);
    records.push(Record {
        step: 0,
        tau: 0.0,
        loss: population_loss(&net, target),
        network: net.clone(),
    });
    let sorted = match config.kernel {
        Kernel::Dense => false,
        Kernel::Sorted => true,
        Kernel::Auto => m > 64,
    };
    let mut units = sorted.then(|| SortedUnits::new(&net.outer, &net.positions));
    let mut step = 0u64;
    for k in 1..=config.records {
        let stop = record_step(k, config.records, config.steps);
        while step < stop {
            let n = (stop - step).min(CHUNK);
            if let Some(units) = units.as_mut() {
                units.steps(n, rng, target, inv_eta, h, h_inner, config.noise, &mut net.bias);
                units.flatten();
                step += n;
                if !(net.bias.is_finite() && units.is_finite()) {
                    return Err(TwoTimescaleError::NonFinite { step, time: tau(step) });
                }
                continue;
            }
            let ok = sgd_steps(
                n,
                rng,
                target,
                inv_eta,
                h,
                h_inner,
                config.noise,
                &mut net.bias,
                &mut net.outer,
                &mut net.positions,
                &mut s,
                &mut ds,
            );
            step += n;
            if !ok {
                return Err(TwoTimescaleError::NonFinite { step, time: tau(step) });
            }
        }
        if let Some(units) = units.as_ref() {
            units.write_back(&mut net.outer, &mut net.positions);
        }
        let loss = population_loss(&net, target);
        log::debug!("sgd step {step}, tau {:.3e}, loss {loss:.4e}", tau(step));
        records.push(Record { step, tau: tau(step), loss, network: net.clone() });
    }
    Ok(TrainingRun { steps: step, records, network: net })
}
