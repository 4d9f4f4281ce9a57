//! Limits of `resnet-ode`: residual networks of depth `L` (explicit Euler) and Heun residual
//! networks against the neural ODE they discretise.

use anyhow::Result;
use faer::Mat;
use megavolt_core::Seed;
use megavolt_core::linalg::max_abs_diff;
use megavolt_core::nn::Activation;
use megavolt_core::rng::gaussian_mat;
use resnet_ode::{Integrator, NeuralOde, Scheme};

use crate::check::{Limit, LimitData};

/// A tanh neural ODE with `K = 4` weight nodes (state 4, width 8, fan-in scaled) and a batch
/// of five inputs.
fn setting() -> (NeuralOde, Mat<f64>) {
    let (d, m, k) = (4, 8, 4);
    let mut rng = Seed::new(21).stream("weights");
    let w = (0..k).map(|_| gaussian_mat(&mut rng, m, d, 1.0 / (d as f64).sqrt())).collect();
    let v = (0..k).map(|_| gaussian_mat(&mut rng, d, m, 1.0 / (m as f64).sqrt())).collect();
    let h0 = gaussian_mat(&mut Seed::new(21).stream("inputs"), d, 5, 1.0);
    (NeuralOde::new(Activation::Tanh, w, v), h0)
}

fn depth_limit(scheme: Scheme) -> Result<LimitData> {
    let (ode, h0) = setting();
    let exact =
        ode.integrate(h0.as_ref(), Integrator::DormandPrince { rtol: 1e-12, atol: 1e-12 })?;
    let mut data = LimitData { h: vec![], error: vec![] };
    // Depths are multiples of the number of nodes, so every step sees smooth weights.
    for depth in [8usize, 16, 32, 64, 128] {
        let states = ode.flow(scheme, depth, h0.as_ref())?;
        let out = states.last().expect("flow returns the output state");
        data.h.push(1.0 / depth as f64);
        data.error.push(max_abs_diff(out.as_ref(), exact.as_ref()));
    }
    Ok(data)
}

/// The discrete-to-continuous limits of `resnet-ode`.
pub fn limits() -> Vec<Limit> {
    vec![
        Limit {
            crate_name: "resnet-ode",
            name: "ResNet of depth L (Euler) → neural ODE",
            parameter: "1/L",
            expected: Some((1.0, 0.15)),
            compute: Box::new(|| depth_limit(Scheme::Euler)),
        },
        Limit {
            crate_name: "resnet-ode",
            name: "Heun ResNet → neural ODE",
            parameter: "1/L",
            expected: Some((2.0, 0.2)),
            compute: Box::new(|| depth_limit(Scheme::Heun)),
        },
    ]
}
