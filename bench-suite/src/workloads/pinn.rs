//! Workloads of `pinn`.

use std::path::Path;

use anyhow::Result;
use faer::Mat;
use megavolt_core::linalg::Parallelism;
use megavolt_core::nn::Adam;
use megavolt_core::rng::Seed;
use pinn::jet::TanhNet;
use pinn::problems::{heat, wave};
use pinn::{PiklConfig, PinnProblem};

use super::{row_major, tokens_as_rows, write_spec};
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// The workloads of `pinn`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    vec![
        Box::new(PiklSolve { n: 100_000, m: 20, lambda: 1e-4, mu: 1e-3 }),
        Box::new(PinnStep { n_colloc: 10_000, n_initial: 100, n_boundary: 200, lr: 1e-3 }),
    ]
}

/// PIKL assembly and solve for the wave equation `u_tt - 4 u_xx = 0` on `[-1/2, 1/2]^2`
/// (`pinn::problems::wave`, `L = 1/2`, Sobolev order 2): the Toeplitz sums over the data for
/// every mode difference, then the Hermitian system
/// `(A^H A + n lambda D + n mu P^H G P) theta = A^H y` (`peers/pikl_solve.py`).
pub struct PiklSolve {
    /// Data points.
    pub n: usize,
    /// Modes per axis are `-m..=m`.
    pub m: usize,
    /// Sobolev penalty.
    pub lambda: f64,
    /// Physics penalty.
    pub mu: f64,
}

struct PiklSolveState {
    config: PiklConfig,
    x: Mat<f64>,
    y: Vec<f64>,
}

impl Prepared for PiklSolveState {
    fn run(&mut self, threads: Threads) -> Vec<f64> {
        // The assembly runs on one thread; the factorisation follows the thread setting.
        let parallelism = match threads {
            Threads::One => Parallelism::Sequential,
            Threads::All => Parallelism::Parallel,
        };
        let config = self.config.with_parallelism(parallelism);
        let model = config.fit(self.x.as_ref(), &self.y).expect("PIKL solve");
        let theta = model.coefficients();
        theta.iter().map(|t| t.re).chain(theta.iter().map(|t| t.im)).collect()
    }
}

impl Workload for PiklSolve {
    fn name(&self) -> &'static str {
        "pikl_solve"
    }
    fn description(&self) -> String {
        format!("PIKL wave assembly + solve, n = {}, m = {}, d = 2", self.n, self.m)
    }
    fn peer_package(&self) -> &'static str {
        "scipy"
    }
    fn rtol(&self) -> f64 {
        // Direct solve of a Hermitian system: rounding times its condition number.
        1e-8
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let data = wave::sample(Seed::new(7), self.n, 0.0);
        let config = wave::config(self.m, self.lambda, self.mu)?;
        write_npy(&dir.join("x.npy"), &[2, self.n], &row_major(data.x.as_ref()))?;
        write_npy(&dir.join("y.npy"), &[self.n], &data.y)?;
        write_spec(
            dir,
            &serde_json::json!({
                "m": self.m,
                "half_width": config.basis().half_width(),
                "sobolev_order": config.sobolev_order(),
                "lambda": self.lambda,
                "mu": self.mu,
                // u_tt - 4 u_xx: coefficients of the multi-indices (2, 0) and (0, 2).
                "operator": [[1.0, 2, 0], [-4.0, 0, 2]],
            }),
        )?;
        Ok(Box::new(PiklSolveState { config, x: data.x, y: data.y }))
    }
}

/// One full-batch Adam step (fresh moments) of the heat-equation PINN `u_t - u_xx = 0` on
/// `[0, 1]^2`, `u(0, x) = sin(pi x)`, `u(t, 0) = u(t, 1) = 0`, network `2-10-10-10-1` tanh:
/// loss = mean residual^2 over collocation points + initial MSE + boundary MSE
/// (`pinn::PinnProblem`, `peers/pinn_step.py`).
pub struct PinnStep {
    /// Collocation points.
    pub n_colloc: usize,
    /// Initial-condition points.
    pub n_initial: usize,
    /// Boundary points.
    pub n_boundary: usize,
    /// Adam learning rate.
    pub lr: f64,
}

/// The network's widths.
const PINN_SIZES: [usize; 5] = [2, 10, 10, 10, 1];

struct PinnStepState {
    problem: PinnProblem,
    net: TanhNet,
    lr: f64,
}

impl Prepared for PinnStepState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        let (parts, grad) = self.problem.loss_and_gradient(&self.net);
        let mut params = self.net.params().to_vec();
        Adam::new(self.lr, params.len()).step(&mut params, &grad);
        let mut out = vec![parts.total];
        out.extend(params);
        out
    }
}

impl Workload for PinnStep {
    fn name(&self) -> &'static str {
        "pinn_step"
    }
    fn description(&self) -> String {
        format!(
            "heat PINN Adam step, 2-10-10-10-1 tanh, {} collocation, {} initial, {} boundary",
            self.n_colloc, self.n_initial, self.n_boundary
        )
    }
    fn peer_package(&self) -> &'static str {
        "jax"
    }
    fn rtol(&self) -> f64 {
        // Direct computation; the first Adam step lr g / (|g| + eps) is well conditioned
        // except for gradient entries near eps.
        1e-9
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let seed = Seed::new(11);
        let colloc = heat::collocation(seed, self.n_colloc);
        let (init, bnd) = heat::initial_and_boundary(seed, self.n_initial, self.n_boundary);
        let net = TanhNet::glorot(&PINN_SIZES, &mut seed.stream("pinn/init"))?;
        // Points as rows (t, x) for the peer.
        write_npy(&dir.join("colloc.npy"), &[self.n_colloc, 2], &tokens_as_rows(&colloc))?;
        write_npy(&dir.join("x_init.npy"), &[self.n_initial, 2], &tokens_as_rows(&init.x))?;
        write_npy(&dir.join("y_init.npy"), &[self.n_initial], &init.y)?;
        write_npy(&dir.join("x_bnd.npy"), &[self.n_boundary, 2], &tokens_as_rows(&bnd.x))?;
        write_npy(&dir.join("y_bnd.npy"), &[self.n_boundary], &bnd.y)?;
        write_npy(&dir.join("params.npy"), &[net.n_params()], net.params())?;
        write_spec(dir, &serde_json::json!({ "sizes": PINN_SIZES, "lr": self.lr }))?;
        let problem = PinnProblem::builder(heat::operator(), colloc)
            .condition("initial", init.x, init.y)
            .condition("boundary", bnd.x, bnd.y)
            .build()?;
        Ok(Box::new(PinnStepState { problem, net, lr: self.lr }))
    }
}
