//! Limits of `attention-flow`: residual attention layers and RK4 against the attention ODE,
//! and hardmax as the zero-temperature limit of softmax attention.

use anyhow::Result;
use attention_flow::hardmax::{Hardmax, StepSize, softmax_step};
use attention_flow::layers::{LayerScheme, run_layers};
use attention_flow::{Scheme, SimOptions, SphereAttention, simulate, tokens};
use faer::Mat;
use megavolt_core::Seed;
use megavolt_core::linalg::max_abs_diff;
use megavolt_core::ode::AdaptiveOptions;

use crate::check::{Limit, LimitData};

/// Horizon of the layer and RK4 comparisons.
const T: f64 = 2.0;

fn setting() -> Result<(SphereAttention, Mat<f64>)> {
    Ok((SphereAttention::sa(1.0)?, tokens::uniform(Seed::new(11), "tokens", 3, 16)))
}

/// The attention ODE at `T` by Dormand–Prince at tolerance `1e-12`.
fn reference() -> Result<Mat<f64>> {
    let (model, x0) = setting()?;
    let scheme = Scheme::DormandPrince(AdaptiveOptions::tolerances(1e-12, 1e-12));
    Ok(simulate(&model, x0.as_ref(), T, scheme, &SimOptions::default())?.x_end)
}

/// The discrete-to-continuous limits of `attention-flow`.
pub fn limits() -> Vec<Limit> {
    vec![
        Limit {
            crate_name: "attention-flow",
            name: "projected Euler layers → SA ODE",
            parameter: "h",
            expected: Some((1.0, 0.15)),
            compute: Box::new(|| {
                let (model, x0) = setting()?;
                let exact = reference()?;
                let mut data = LimitData { h: vec![], error: vec![] };
                for layers in [20usize, 40, 80, 160] {
                    let h = T / layers as f64;
                    let traj = run_layers(
                        &model,
                        x0.as_ref(),
                        h,
                        layers,
                        LayerScheme::ProjectedEuler,
                        layers,
                    )?;
                    let last = traj.x.last().expect("output layer recorded");
                    data.h.push(h);
                    data.error.push(max_abs_diff(last.as_ref(), exact.as_ref()));
                }
                Ok(data)
            }),
        },
        Limit {
            crate_name: "attention-flow",
            name: "RK4 → SA ODE",
            parameter: "h",
            expected: Some((4.0, 0.3)),
            compute: Box::new(|| {
                let (model, x0) = setting()?;
                let exact = reference()?;
                let mut data = LimitData { h: vec![], error: vec![] };
                for steps in [5usize, 10, 20, 40] {
                    let h = T / steps as f64;
                    let traj = simulate(
                        &model,
                        x0.as_ref(),
                        T,
                        Scheme::Rk4 { step: h },
                        &SimOptions::default(),
                    )?;
                    data.h.push(h);
                    data.error.push(max_abs_diff(traj.x_end.as_ref(), exact.as_ref()));
                }
                Ok(data)
            }),
        },
        Limit {
            crate_name: "attention-flow",
            name: "softmax step → hardmax step (B = I)",
            parameter: "1/beta",
            // The softmax weights approach the argmax exponentially in beta (rate: the gap
            // between the two largest scores), so no power law in 1/beta is claimed.
            expected: None,
            compute: Box::new(|| {
                let x = tokens::uniform(Seed::new(12), "tokens", 3, 12);
                let b = Mat::<f64>::identity(3, 3);
                let hard = Hardmax::new(b.clone(), StepSize::Constant(0.5))?
                    .self_interaction(true)
                    .step(x.as_ref(), 0);
                let mut data = LimitData { h: vec![], error: vec![] };
                for beta in [4.0, 8.0, 16.0, 32.0, 64.0] {
                    let soft = softmax_step(x.as_ref(), b.as_ref(), beta, 0.5)?;
                    data.h.push(1.0 / beta);
                    data.error
                        .push(max_abs_diff(soft.as_ref(), hard.as_ref()).max(f64::MIN_POSITIVE));
                }
                Ok(data)
            }),
        },
    ]
}
