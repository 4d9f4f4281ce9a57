//! Workloads of `resnet-ode`.

use std::path::Path;

use anyhow::Result;
use faer::{Mat, MatMut};
use megavolt_core::nn::Activation;
use megavolt_core::rng::{Seed, gaussian_mat};
use resnet_ode::{ResNet, ResNetParams, ResNetSpec, Workspace};

use super::{row_major, write_spec};
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// The workloads of `resnet-ode`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    vec![Box::new(ResnetTrainStep {
        depth: 64,
        width: 32,
        input: 16,
        output: 1,
        batch: 100,
        beta: 1.0,
        lr0: 1e-3,
    })]
}

/// One full-batch gradient-descent step of the scaled ResNet
/// `h_{k+1} = h_k + L^{-beta} V_k gelu(W_k h_k)`, `h_0 = A x`, output `B h_L`, loss the mean
/// of the squared residuals over all output entries, step `L * lr0` on every parameter
/// (`peers/resnet_train_step.py`).
pub struct ResnetTrainStep {
    /// Depth `L`.
    pub depth: usize,
    /// State and hidden width (`d = M`).
    pub width: usize,
    /// Input dimension `p`.
    pub input: usize,
    /// Output dimension `q`.
    pub output: usize,
    /// Samples.
    pub batch: usize,
    /// Depth-scaling exponent.
    pub beta: f64,
    /// Base learning rate; the step is `L * lr0`.
    pub lr0: f64,
}

struct ResnetTrainStepState {
    net: ResNet,
    start: ResNetParams,
    ws: Workspace,
    x: Mat<f64>,
    y: Mat<f64>,
    lr: f64,
}

/// Loss, gradient norm, then the updated parameters in the peer's order: the stacks `W (L x M x d)`, `V (L x d x M)`, then `A`
/// and `B`, each row-major.
fn answer(loss: f64, gnorm: f64, net: &ResNet) -> Vec<f64> {
    let p = net.params();
    let mut out = vec![0.0; p.len() + 2];
    out[..2].copy_from_slice(&[loss, gnorm]);
    let mut pos = 2;
    for m in p.w.iter().chain(&p.v).chain(p.input_map.iter()).chain(p.output_map.iter()) {
        let len = m.nrows() * m.ncols();
        MatMut::from_row_major_slice_mut(&mut out[pos..pos + len], m.nrows(), m.ncols())
            .copy_from(m);
        pos += len;
    }
    out
}

impl Prepared for ResnetTrainStepState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        // Every call starts from the same weights, like the peer's; the buffers of the
        // forward-backward pass are reused across calls, as a training loop would.
        self.net.params_mut().copy_from(&self.start);
        let loss = self.net.loss_and_gradients_in(self.x.as_ref(), self.y.as_ref(), &mut self.ws);
        let gnorm = self.ws.gradients().norm();
        self.net.params_mut().axpy(-self.lr, self.ws.gradients());
        answer(loss, gnorm, &self.net)
    }
}

impl Workload for ResnetTrainStep {
    fn name(&self) -> &'static str {
        "resnet_train_step"
    }
    fn description(&self) -> String {
        format!(
            "ResNet GD step, L = {}, d = M = {}, p = {}, q = {}, n = {}",
            self.depth, self.width, self.input, self.output, self.batch
        )
    }
    fn peer_package(&self) -> &'static str {
        "jax"
    }
    fn rtol(&self) -> f64 {
        // A direct computation: rounding accumulated over 64 blocks, forward and backward.
        1e-10
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let seed = Seed::new(3);
        let spec = ResNetSpec {
            beta: self.beta,
            activation: Activation::Gelu,
            input_dim: Some(self.input),
            output_dim: Some(self.output),
            ..ResNetSpec::new(self.width, self.width, self.depth)
        };
        let net = ResNet::new(spec.build()?, &mut seed.stream("init"));
        let x = gaussian_mat(&mut seed.stream("x"), self.input, self.batch, 1.0);
        let y = gaussian_mat(&mut seed.stream("y"), self.output, self.batch, 1.0);
        let p = net.params();
        let (l, d, m) = (self.depth, self.width, self.width);
        let stack = |ms: &[Mat<f64>]| ms.iter().flat_map(|w| row_major(w.as_ref())).collect();
        let w: Vec<f64> = stack(&p.w);
        let v: Vec<f64> = stack(&p.v);
        write_npy(&dir.join("w.npy"), &[l, m, d], &w)?;
        write_npy(&dir.join("v.npy"), &[l, d, m], &v)?;
        if let (Some(a), Some(b)) = (&p.input_map, &p.output_map) {
            write_npy(&dir.join("a.npy"), &[d, self.input], &row_major(a.as_ref()))?;
            write_npy(&dir.join("b.npy"), &[self.output, d], &row_major(b.as_ref()))?;
        }
        write_npy(&dir.join("x.npy"), &[self.input, self.batch], &row_major(x.as_ref()))?;
        write_npy(&dir.join("y.npy"), &[self.output, self.batch], &row_major(y.as_ref()))?;
        let lr = self.depth as f64 * self.lr0;
        write_spec(dir, &serde_json::json!({ "scale": net.config().scale(), "lr": lr }))?;
        let ws = Workspace::new(net.config(), self.batch);
        let start = net.params().clone();
        Ok(Box::new(ResnetTrainStepState { net, start, ws, x, y, lr }))
    }
}
