//! Limits of `dln-lasso`: gradient descent on a diagonal linear network against its gradient
//! flow, the flow at small initialisation against the saddle-to-saddle limit, and the
//! time-averaged flow against the lasso path.

use anyhow::Result;
use dln_lasso::data::{Standardization, diabetes};
use dln_lasso::flow::{FlowConfig, MirrorFlow};
use dln_lasso::gd::{GdConfig, GradientDescent};
use dln_lasso::saddle::{SaddleConfig, SaddleToSaddle};
use dln_lasso::{LossScaling, Problem, lasso_path};
use faer::Mat;
use megavolt_core::linalg::mat_from_rows;

use crate::check::{Limit, LimitData};

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0_f64, |m, (x, y)| m.max((x - y).abs()))
}

/// A correlated three-dimensional quadratic (`M` positive definite, off-diagonal entries of
/// both signs), on which the flow activates its coordinates one after another.
fn correlated() -> Result<Problem> {
    let m = mat_from_rows(&[&[1.0, 0.5, 0.2], &[0.5, 1.0, -0.3], &[0.2, -0.3, 1.0]]);
    Ok(Problem::from_gram(m, vec![1.0, -0.8, 0.6])?)
}

/// The orthogonal design `M = I`, `r = (3, 2, -1)`: lasso knots `3, 2, 1`.
fn orthogonal() -> Result<Problem> {
    Ok(Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0])?)
}

/// The discrete-to-continuous limits of `dln-lasso`.
pub fn limits() -> Vec<Limit> {
    vec![
        Limit {
            crate_name: "dln-lasso",
            name: "DLN gradient descent → gradient flow (x at s = 3, log(1/eps) = 12)",
            parameter: "gamma",
            expected: Some((1.0, 0.15)),
            compute: Box::new(|| {
                let p = correlated()?;
                let (l, s_end) = (12.0, 3.0);
                let flow = MirrorFlow::new(FlowConfig {
                    log_inv_eps: l,
                    tol: 1e-12,
                    ..FlowConfig::default()
                })?;
                let xf = flow.run(&p, &[s_end])?.x.pop().expect("one output time");
                let mut data = LimitData { h: vec![], error: vec![] };
                // s = 2 gamma k / L: k = s L / (2 gamma) = 18 / gamma steps, an integer.
                for gamma in [0.04, 0.02, 0.01, 0.005] {
                    let n = (s_end * l / (2.0 * gamma)).round() as usize;
                    let cfg = GdConfig {
                        step_size: gamma,
                        log_inv_eps: l,
                        record_every: n,
                        ..GdConfig::default()
                    };
                    let x = GradientDescent::new(cfg)?.run(&p, n)?.x.pop().expect("last iterate");
                    data.h.push(gamma);
                    data.error.push(max_abs_diff(&x, &xf));
                }
                Ok(data)
            }),
        },
        Limit {
            crate_name: "dln-lasso",
            name: "DLN flow activation times → saddle-to-saddle jump times (diabetes, first 7)",
            parameter: "1/log(1/eps)",
            // The crossings of |sigma_i| = 1 lag or lead the limit's jumps by the width of
            // the transition layers, O(1/log(1/eps)) in rescaled time (dln-lasso README,
            // "Known limitations"), accumulated over the earlier jumps.
            expected: Some((1.0, 0.2)),
            compute: Box::new(|| {
                let p = diabetes(Standardization::UnitNorm).problem(LossScaling::Mean)?;
                let seq = SaddleToSaddle::new(SaddleConfig::default())?.run(&p)?;
                let mut data = LimitData { h: vec![], error: vec![] };
                for l in [50.0, 100.0, 200.0, 400.0] {
                    let flow =
                        MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })?;
                    let tr = flow.run(&p, &[10.0])?;
                    // First entry of each of the first seven variables, in the limit's order
                    // (the last jump before s = 10 is the seventh, at s = 1/0.045206).
                    let mut gap = 0.0_f64;
                    for q in &seq.saddles[1..=7] {
                        let a = tr
                            .activations
                            .iter()
                            .find(|a| a.coord == q.trigger && a.entering)
                            .ok_or_else(|| {
                                anyhow::anyhow!("coordinate {} never activates", q.trigger)
                            })?;
                        gap = gap.max((a.s - q.s).abs() / q.s);
                    }
                    data.h.push(1.0 / l);
                    data.error.push(gap);
                }
                Ok(data)
            }),
        },
        Limit {
            crate_name: "dln-lasso",
            name: "time-averaged DLN flow xbar(s) → lasso(1/s) (orthogonal design, s = 3)",
            parameter: "1/log(1/eps)",
            // The error of xbar against lasso(1/s) is proportional to 1/log(1/eps) on monotone
            // paths (notes to Berthier 2025; the crate's tests check it halves as L doubles).
            expected: Some((1.0, 0.15)),
            compute: Box::new(|| {
                let p = orthogonal()?;
                let s = 3.0;
                let target = lasso_path(&p)?.at(1.0 / s);
                let mut data = LimitData { h: vec![], error: vec![] };
                for l in [25.0, 50.0, 100.0, 200.0, 400.0] {
                    let flow =
                        MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })?;
                    let xbar = flow.run(&p, &[s])?.xbar.pop().expect("one output time");
                    data.h.push(1.0 / l);
                    data.error.push(max_abs_diff(&xbar, &target));
                }
                Ok(data)
            }),
        },
    ]
}
