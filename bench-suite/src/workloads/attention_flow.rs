//! Workloads of `attention-flow`.

use std::path::Path;

use anyhow::Result;
use attention_flow::{Scheme, SimOptions, SphereAttention, simulate};
use faer::Mat;
use megavolt_core::rng::{Seed, uniform_sphere};

use super::{tokens_as_rows, write_spec};
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// The workloads of `attention-flow`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    vec![Box::new(AttentionRk4 { n: 1024, d: 64, beta: 1.0, h: 0.05 })]
}

/// One RK4 step of SA dynamics on the sphere (`peers/attention_rk4.py`).
pub struct AttentionRk4 {
    /// Tokens.
    pub n: usize,
    /// Dimension.
    pub d: usize,
    /// Inverse temperature.
    pub beta: f64,
    /// Step size.
    pub h: f64,
}

struct AttentionRk4State {
    field: SphereAttention,
    x: Mat<f64>,
    h: f64,
}

impl Prepared for AttentionRk4State {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        // One step of the crate's own RK4 integration (attention recomputed at each stage,
        // tokens renormalised after the step), as a user would call it.
        let traj = simulate(
            &self.field,
            self.x.as_ref(),
            self.h,
            Scheme::Rk4 { step: self.h },
            &SimOptions::default(),
        )
        .expect("valid tokens and step");
        tokens_as_rows(&traj.x_end)
    }
}

impl Workload for AttentionRk4 {
    fn name(&self) -> &'static str {
        "attention_rk4"
    }
    fn description(&self) -> String {
        format!("SA RK4 step, n = {}, d = {}", self.n, self.d)
    }
    fn peer_package(&self) -> &'static str {
        "numpy"
    }
    fn rtol(&self) -> f64 {
        1e-10
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let x = uniform_sphere(&mut Seed::new(1).stream("tokens"), self.d, self.n);
        write_npy(&dir.join("x0.npy"), &[self.n, self.d], &tokens_as_rows(&x))?;
        write_spec(dir, &serde_json::json!({ "beta": self.beta, "h": self.h }))?;
        let field = SphereAttention::sa(self.beta)?;
        Ok(Box::new(AttentionRk4State { field, x, h: self.h }))
    }
}
