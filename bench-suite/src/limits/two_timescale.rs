//! Limits of `two-timescale`: online SGD with a small step ratio `eps` against the
//! two-timescale limit dynamics (outer weights at their least-squares optimum, positions
//! following the reduced gradient flow).

use megavolt_core::Seed;
use two_timescale::init::draw_admissible;
use two_timescale::network::Network;
use two_timescale::reduced::integrate_reduced_flow;
use two_timescale::sgd::{SgdConfig, run_sgd};
use two_timescale::target::PiecewiseConstant;

use crate::check::{Limit, LimitData};

/// Width of the units (the paper's value).
const ETA: f64 = 4e-3;
/// Number of units (the paper's value).
const WIDTH: usize = 20;
/// Final slow time: before the first neurons are absorbed by the target's jumps, while the
/// positions still move at their full speed.
const TAU_END: f64 = 5e-3;
/// Ratio `h / eps` of the paper's runs (`h = 1e-3`, `eps = 2e-5`).
const H_OVER_EPS: f64 = 50.0;
/// Independent SGD runs averaged per step size.
const RUNS: u64 = 6;

/// The discrete-to-continuous limits of `two-timescale`.
pub fn limits() -> Vec<Limit> {
    vec![Limit {
        crate_name: "two-timescale",
        name: "two-timescale SGD → reduced flow (positions at tau = 5e-3, eps = h/50)",
        parameter: "h",
        // No rate of SGD to the two-timescale limit is proven (Marion & Berthier 2023 prove
        // convergence of the limit only).
        expected: None,
        compute: Box::new(|| {
            let target = PiecewiseConstant::paper();
            let init = draw_admissible(Seed::new(7), "init", &target, WIDTH, 2, 100_000)?;
            let net = Network::with_positions(ETA, init.positions.clone())?;
            // The limit with the same width eta: the distance isolates the effect of (h, eps).
            let limit = integrate_reduced_flow(
                &init.positions,
                ETA,
                &target,
                TAU_END,
                &[TAU_END],
                1e-10,
                1e-12,
            )?;
            let u_limit = &limit.final_positions;
            let mut data = LimitData { h: vec![], error: vec![] };
            for h in [4e-3, 2e-3, 1e-3, 5e-4, 2.5e-4] {
                let config = SgdConfig::new(h, h / H_OVER_EPS, TAU_END)?.with_records(1)?;
                let mut mean = 0.0;
                for k in 0..RUNS {
                    let run = run_sgd(&net, &target, &config, &mut Seed::new(7).indexed("sgd", k))?;
                    let d = run
                        .network
                        .positions
                        .iter()
                        .zip(u_limit)
                        .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
                    mean += d / RUNS as f64;
                }
                data.h.push(h);
                data.error.push(mean);
            }
            Ok(data)
        }),
    }]
}
