//! Workloads of `lipschitz`.

use std::path::Path;

use anyhow::Result;
use lipschitz::{ExactConfig, Norm, ReluNet, exact_lipschitz};
use megavolt_core::rng::Seed;

use super::{row_major, write_spec};
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// Smallest inscribed-ball radius of a region counted as interior (both sides).
const INTERIOR_TOL: f64 = 1e-9;

/// The workloads of `lipschitz`.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    vec![Box::new(LipschitzExact { sizes: vec![2, 10, 10, 1] })]
}

/// Exact global l2 Lipschitz constant of a seeded ReLU network (weights `N(0, 1 / fan_in)`,
/// biases `N(0, 0.1^2)`) by enumeration of the activation regions with interior
/// (`peers/lipschitz_exact.py`, interior checks with scipy's HiGHS `linprog`).
pub struct LipschitzExact {
    /// Widths `[in, hidden.., out]`.
    pub sizes: Vec<usize>,
}

struct LipschitzExactState {
    net: ReluNet,
    config: ExactConfig,
}

impl Prepared for LipschitzExactState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        let r = exact_lipschitz(&self.net, &self.config).expect("exact_lipschitz failed");
        vec![r.value]
    }
}

impl Workload for LipschitzExact {
    fn name(&self) -> &'static str {
        "lipschitz_exact"
    }
    fn description(&self) -> String {
        format!("exact l2 Lipschitz constant by region enumeration, sizes {:?}", self.sizes)
    }
    fn peer_package(&self) -> &'static str {
        "scipy"
    }
    fn rtol(&self) -> f64 {
        // The constant is the spectral norm of the Jacobian of one region: a direct computation
        // once both sides find the same set of regions.
        1e-9
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let net = ReluNet::random(&self.sizes, 1.0, 0.1, &mut Seed::new(7).stream("relu-net"))?;
        for (l, (w, b)) in net.weights().iter().zip(net.biases()).enumerate() {
            write_npy(
                &dir.join(format!("w{l}.npy")),
                &[w.nrows(), w.ncols()],
                &row_major(w.as_ref()),
            )?;
            let bv: Vec<f64> = b.iter().copied().collect();
            write_npy(&dir.join(format!("b{l}.npy")), &[bv.len()], &bv)?;
        }
        let config = ExactConfig::new(Norm::L2).interior_tol(INTERIOR_TOL)?;
        write_spec(
            dir,
            &serde_json::json!({ "depth": net.depth(), "interior_tol": INTERIOR_TOL }),
        )?;
        Ok(Box::new(LipschitzExactState { net, config }))
    }
}
