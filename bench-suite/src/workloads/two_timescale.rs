//! Workloads of `two-timescale`: the paper's online SGD against a numpy loop of the same steps
//! on the same random samples.

use std::path::Path;

use anyhow::{Result, ensure};
use megavolt_core::Seed;
use megavolt_core::rng::uniform_mat;
use two_timescale::init::draw_admissible;
use two_timescale::network::Network;
use two_timescale::sgd::{SgdConfig, run_sgd};
use two_timescale::target::PiecewiseConstant;

use super::{row_major, write_spec};
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// The workloads of `two-timescale`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    vec![Box::new(TwoTimescaleSgd { m: 20, eta: 4e-3, h: 1e-3, eps: 2e-5, steps: 100_000 })]
}

/// `steps` one-sample SGD steps of the paper's network (`peers/two_timescale_sgd.py`).
pub struct TwoTimescaleSgd {
    /// Neurons.
    pub m: usize,
    /// Width of the smoothed steps.
    pub eta: f64,
    /// Outer step size.
    pub h: f64,
    /// Ratio of the inner to the outer step size.
    pub eps: f64,
    /// SGD steps.
    pub steps: u64,
}

/// Seed of the initial positions and of the samples.
const SEED: u64 = 42;

struct SgdState {
    net: Network,
    target: PiecewiseConstant,
    config: SgdConfig,
}

impl Prepared for SgdState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        // The sample stream is the one written to `samples.npy`: two uniforms per step, the
        // point x first, then the noise variable.
        let mut rng = Seed::new(SEED).stream("sgd");
        let run = run_sgd(&self.net, &self.target, &self.config, &mut rng).expect("finite SGD");
        let net = run.network;
        let mut out = net.positions;
        out.extend(net.outer);
        out.push(net.bias);
        out
    }
}

impl Workload for TwoTimescaleSgd {
    fn name(&self) -> &'static str {
        "two_timescale_sgd"
    }
    fn description(&self) -> String {
        format!(
            "{} SGD steps, m = {}, eta = {:.0e}, h = {:.0e}, eps = {:.0e}",
            self.steps, self.m, self.eta, self.h, self.eps
        )
    }
    fn peer_package(&self) -> &'static str {
        "numpy"
    }
    fn rtol(&self) -> f64 {
        // Direct computation: the two sides evaluate the cubic units with differently
        // arranged formulas and sum the output in different orders, a few ulps per step,
        // accumulated over 1e5 contracting steps.
        1e-9
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let target = PiecewiseConstant::paper();
        let init = draw_admissible(Seed::new(SEED), "init", &target, self.m, 2, 100_000)?;
        let net = Network::with_positions(self.eta, init.positions.clone())?;
        let tau_end = self.steps as f64 * self.h * self.eps;
        let config = SgdConfig::new(self.h, self.eps, tau_end)?.with_records(1)?;
        ensure!(config.steps() == self.steps, "{} steps instead of {}", config.steps(), self.steps);
        // Uniforms in the order SGD draws them; column k of the 2 x steps matrix is (x, xi) of
        // step k, written as a steps x 2 array.
        let samples =
            uniform_mat(&mut Seed::new(SEED).stream("sgd"), 2, self.steps as usize, 0.0, 1.0);
        write_npy(
            &dir.join("samples.npy"),
            &[self.steps as usize, 2],
            &row_major(samples.transpose()),
        )?;
        write_npy(&dir.join("u0.npy"), &[self.m], &init.positions)?;
        write_spec(
            dir,
            &serde_json::json!({
                "eta": self.eta,
                "h": self.h,
                "eps": self.eps,
                "noise": config.noise(),
                "base": target.base(),
                "jumps": target.jumps(),
                "heights": target.heights(),
            }),
        )?;
        Ok(Box::new(SgdState { net, target, config }))
    }
}
