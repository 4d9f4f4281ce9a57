//! Workloads of `lipschitz`.

use std::path::Path;

use anyhow::Result;
use lipschitz::{ExactConfig, Norm, ReluNet, exact_lipschitz, lipsdp_neuron_bound};
use megavolt_core::rng::Seed;

use super::{row_major, write_spec};
use crate::compare::{Prepared, Threads, Workload, write_npy};

/// Smallest inscribed-ball radius of a region counted as interior (both sides).
const INTERIOR_TOL: f64 = 1e-9;

/// The workloads of `lipschitz`. The LipSDP ones use the crate's pure-Rust structured
/// interior-point solver (`lipschitz::lipsdp_ipm`), available in every build.
pub fn workloads() -> Vec<Box<dyn Workload>> {
    let mut v: Vec<Box<dyn Workload>> =
        vec![Box::new(LipschitzExact { sizes: vec![2, 10, 10, 1] })];
    for peer in [LipSdpPeer::Scs, LipSdpPeer::Clarabel] {
        v.push(Box::new(LipSdp { sizes: vec![2, 16, 16, 1], peer }));
    }
    v
}

/// The cvxpy solver a [`LipSdp`] workload is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LipSdpPeer {
    /// SCS (operator splitting), `peers/lipsdp_scs.py`.
    Scs,
    /// Clarabel (interior point) behind cvxpy, `peers/lipsdp_clarabel.py`.
    Clarabel,
}

impl LipSdpPeer {
    /// Tolerance given to both sides (ours: the interior-point method's relative gap and infeasibility tolerance; the
    /// peer's: SCS's `eps_abs = eps_rel`, or Clarabel's gap and feasibility tolerances).
    fn tol(self) -> f64 {
        match self {
            LipSdpPeer::Scs => 1e-6,
            LipSdpPeer::Clarabel => 1e-8,
        }
    }
}

/// LipSDP-Neuron l2 bound `sqrt(rho)` of a seeded ReLU network (weights `N(0, 2 / fan_in)`,
/// biases `N(0, 1/4)`): our structured primal-dual interior-point method
/// (`lipschitz::lipsdp_ipm`, HKM direction, Schur complement assembled from the rank-2
/// structure of the constraint matrices) against the textbook LMI of Fazlyab et al.
/// (2019, Theorem 2) written in cvxpy and solved by SCS or by Clarabel.
pub struct LipSdp {
    /// Widths `[in, hidden.., out]`.
    pub sizes: Vec<usize>,
    /// The peer's solver.
    pub peer: LipSdpPeer,
}

struct LipSdpState {
    net: ReluNet,
    tol: f64,
}

impl Prepared for LipSdpState {
    fn run(&mut self, _threads: Threads) -> Vec<f64> {
        vec![lipsdp_neuron_bound(&self.net, self.tol).expect("LipSDP failed")]
    }
}

impl Workload for LipSdp {
    fn name(&self) -> &'static str {
        match self.peer {
            LipSdpPeer::Scs => "lipsdp_scs",
            LipSdpPeer::Clarabel => "lipsdp_clarabel",
        }
    }
    fn description(&self) -> String {
        let peer = match self.peer {
            LipSdpPeer::Scs => "SCS",
            LipSdpPeer::Clarabel => "Clarabel",
        };
        format!(
            "LipSDP-Neuron l2 bound, sizes {:?}, ours structured IPM vs cvxpy + {peer}, tol {:e}",
            self.sizes,
            self.peer.tol()
        )
    }
    fn peer_package(&self) -> &'static str {
        "cvxpy"
    }
    fn rtol(&self) -> f64 {
        // sqrt(rho) with rho accurate to the solvers' tolerance: SCS's residual tolerance
        // 1e-6 leaves about 1e-5 relative on the objective; two interior-point solutions at
        // 1e-8 agree to about 1e-7 on sqrt(rho).
        match self.peer {
            LipSdpPeer::Scs => 1e-4,
            LipSdpPeer::Clarabel => 1e-6,
        }
    }
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>> {
        let net =
            ReluNet::random(&self.sizes, 2f64.sqrt(), 0.5, &mut Seed::new(7).stream("lipsdp-net"))?;
        for (l, w) in net.weights().iter().enumerate() {
            write_npy(
                &dir.join(format!("w{l}.npy")),
                &[w.nrows(), w.ncols()],
                &row_major(w.as_ref()),
            )?;
        }
        let tol = self.peer.tol();
        write_spec(dir, &serde_json::json!({ "depth": net.depth(), "tol": tol }))?;
        Ok(Box::new(LipSdpState { net, tol }))
    }
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
