//! Limits of `pinn`: the PIKL estimator's test error against the sample size (a statistical
//! rate, reported as a trend: the rate on a given prior is not a proven constant).

use anyhow::Result;
use megavolt_core::Seed;
use pinn::problems::oscillator;

use crate::check::{Limit, LimitData};

/// Test mean squared error against `1/n` on the damped oscillator with noise 0.5, averaged over
/// three draws, with the physics prior (`lambda = log n / n`, `mu = 1 / log n`) or without it
/// (`lambda = n^{-4/5}`, `mu = 0`).
fn rate(with_physics: bool) -> Result<LimitData> {
    let test = oscillator::sample(Seed::new(31), "test", 2000, 0.0);
    let mut data = LimitData { h: vec![], error: vec![] };
    for n in [100usize, 300, 1000, 3000] {
        let nf = n as f64;
        let mut mse = 0.0;
        for r in 0..3 {
            let train = oscillator::sample(Seed::new(31), &format!("train/{n}/{r}"), n, 0.5);
            let config = if with_physics {
                oscillator::config(30, nf.ln() / nf, 1.0 / nf.ln())?
            } else {
                oscillator::config(30, nf.powf(-0.8), 0.0)?
            };
            let model = config.fit(train.x.as_ref(), &train.y)?;
            let pred = model.predict(test.x.as_ref());
            mse += pred.iter().zip(&test.y).map(|(p, y)| (p - y).powi(2)).sum::<f64>()
                / test.y.len() as f64;
        }
        data.h.push(1.0 / nf);
        data.error.push(mse / 3.0);
    }
    Ok(data)
}

/// The statistical limits of `pinn`.
pub fn limits() -> Vec<Limit> {
    vec![
        Limit {
            crate_name: "pinn",
            name: "PIKL with the ODE prior, test MSE vs sample size",
            parameter: "1/n",
            expected: None,
            compute: Box::new(|| rate(true)),
        },
        Limit {
            crate_name: "pinn",
            name: "Sobolev-only kernel fit, test MSE vs sample size",
            parameter: "1/n",
            expected: None,
            compute: Box::new(|| rate(false)),
        },
    ]
}
