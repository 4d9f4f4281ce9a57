//! Workloads of `attention-flow`.

use std::path::Path;

use anyhow::Result;
use attention_flow::{SphereAttention, TokenField, Workspace};
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
    ws: Workspace,
    k: [Mat<f64>; 4],
    tmp: Mat<f64>,
}

impl Prepared for AttentionRk4State {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        let (x, h) = (&self.x, self.h);
        let [k1, k2, k3, k4] = &mut self.k;
        self.field.velocity_into(x.as_ref(), k1.as_mut(), &mut self.ws);
        self.tmp = x + 0.5 * h * &*k1;
        self.field.velocity_into(self.tmp.as_ref(), k2.as_mut(), &mut self.ws);
        self.tmp = x + 0.5 * h * &*k2;
        self.field.velocity_into(self.tmp.as_ref(), k3.as_mut(), &mut self.ws);
        self.tmp = x + h * &*k3;
        self.field.velocity_into(self.tmp.as_ref(), k4.as_mut(), &mut self.ws);
        let mut y = x + (h / 6.0) * (&*k1 + 2.0 * &*k2 + 2.0 * &*k3 + &*k4);
        for j in 0..y.ncols() {
            let c = y.col_as_slice_mut(j);
            let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt();
            c.iter_mut().for_each(|v| *v /= norm);
        }
        tokens_as_rows(&y)
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
        let zeros = || Mat::zeros(self.d, self.n);
        Ok(Box::new(AttentionRk4State {
            field,
            x,
            h: self.h,
            ws: Workspace::new(),
            k: [zeros(), zeros(), zeros(), zeros()],
            tmp: zeros(),
        }))
    }
}
