//! PIKL convergence rates on the damped oscillator, with and without the physics prior.

use megavolt_core::experiment::{Check, Curve, ExperimentError, Figure, Panel, Series, Style};
use megavolt_core::stats::{fit_loglog, mean_se};
use megavolt_core::{Experiment, ExperimentOutput, Metric, RunContext};

use super::PIKL_PAPER;
use crate::pikl::mse;
use crate::problems::oscillator;

/// Test error of PIKL against the sample size on the damped oscillator `f'' + f' + f = 0`
/// (hybrid modelling, noise 0.5), with the physics prior (`lambda = log n / n`,
/// `mu = 1 / log n`) and without it (`mu = 0`, `lambda = n^{-4/5}`, the Sobolev minimax
/// choice for `s = 2`, `d = 1`); fitted log-log slopes.
#[derive(Debug, Clone, Copy, Default)]
pub struct OscillatorRates;

impl Experiment for OscillatorRates {
    fn name(&self) -> &'static str {
        "pikl-oscillator-rates"
    }
    fn title(&self) -> &'static str {
        "PIKL convergence rate with and without the ODE prior (damped oscillator)"
    }
    fn paper(&self) -> &'static str {
        PIKL_PAPER
    }
    fn summary(&self) -> &'static str {
        "Noisy samples of exp(-x/2) cos(sqrt(3) x / 2) on [-pi, pi] are fitted by the physics-informed \
         kernel estimator in a Fourier basis, once penalising the residual of f'' + f' + f = 0 and once \
         with the Sobolev penalty alone. The mean squared test error is fitted against the sample size \
         on log-log axes: the correct prior gives a near-parametric slope (about -1.2 in the paper), \
         faster than the Sobolev minimax rate -4/5."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 3 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let ns: Vec<usize> = ctx.scale.pick(
            vec![10, 32, 100, 316, 1000, 3162],
            (0..=12).map(|k| 10f64.powf(1.0 + 0.25 * k as f64).round() as usize).collect(),
        );
        let reps = ctx.scale.pick(3, 5);
        let m = ctx.scale.pick(100, 300);
        let mut out = ExperimentOutput::default();
        out.param("n", &ns)
            .param("repetitions", reps)
            .param("m", m)
            .param("L", "pi")
            .param("s", 2.0);
        out.param("noise_sd", 0.5);
        let test = oscillator::sample(ctx.seed, "test", 2000, 0.0);
        let (mut with, mut without, mut se_with, mut se_without) = (vec![], vec![], vec![], vec![]);
        for (i, &n) in ns.iter().enumerate() {
            ctx.progress(i as f64 / ns.len() as f64, &format!("n = {n}"));
            let nf = n as f64;
            let (mut a, mut b) = (vec![], vec![]);
            for r in 0..reps {
                let train = oscillator::sample(ctx.seed, &format!("train/{n}/{r}"), n, 0.5);
                let physics = oscillator::config(m, nf.ln() / nf, 1.0 / nf.ln())?;
                let sobolev = oscillator::config(m, nf.powf(-0.8), 0.0)?;
                a.push(mse(
                    &physics.fit(train.x.as_ref(), &train.y)?.predict(test.x.as_ref()),
                    &test.y,
                ));
                b.push(mse(
                    &sobolev.fit(train.x.as_ref(), &train.y)?.predict(test.x.as_ref()),
                    &test.y,
                ));
            }
            let (ma, mb) = (mean_se(&a), mean_se(&b));
            with.push(ma.mean);
            se_with.push(ma.std_error);
            without.push(mb.mean);
            se_without.push(mb.std_error);
        }
        let nsf: Vec<f64> = ns.iter().map(|&n| n as f64).collect();
        let fit_with = fit_loglog(&nsf, &with);
        let fit_without = fit_loglog(&nsf, &without);
        out.metrics.push(
            Metric::new("fitted slope of test MSE vs n, PIKL with ODE prior", fit_with.slope)
                .with_std_error(fit_with.slope_std_error)
                .with_reference(-1.19, "Doumèche et al. 2025, Fig. 3 (m = 300, 5 repetitions)")
                .with_check(Check::Sigmas(3.0)),
        );
        out.metrics.push(
            Metric::new("fitted slope of test MSE vs n, Sobolev penalty only", fit_without.slope)
                .with_std_error(fit_without.slope_std_error)
                .with_reference(
                    -0.8,
                    "Sobolev minimax rate n^{-2s/(2s+1)}, s = 2 (an upper bound on the error)",
                ),
        );
        out.metrics.push(
            Metric::new(
                "slope difference (prior minus Sobolev only)",
                fit_with.slope - fit_without.slope,
            )
            .with_reference(0.0, "a correct prior accelerates the rate")
            .with_check(Check::AtMost),
        );
        out.series.push(Series::new(
            "oscillator_rates",
            vec![
                ("n", nsf.clone()),
                ("mse_pikl", with.clone()),
                ("se_pikl", se_with),
                ("mse_sobolev", without.clone()),
                ("se_sobolev", se_without),
            ],
        ));
        out.figures.push(Figure::new(
            "oscillator_rates",
            "Test MSE against n: PIKL with the oscillator prior and the Sobolev-only fit",
            vec![
                Panel::new("Damped oscillator", "n", "test MSE")
                    .log(true, true)
                    .curve(Curve::new("PIKL (ODE prior)", nsf.clone(), with, Style::Points))
                    .curve(Curve::new("Sobolev only", nsf.clone(), without, Style::Points))
                    .curve(Curve::new(
                        "fit PIKL",
                        nsf.clone(),
                        nsf.iter()
                            .map(|n| (fit_with.intercept + fit_with.slope * n.ln()).exp())
                            .collect(),
                        Style::Dashed,
                    ))
                    .curve(Curve::new(
                        "fit Sobolev",
                        nsf.clone(),
                        nsf.iter()
                            .map(|n| (fit_without.intercept + fit_without.slope * n.ln()).exp())
                            .collect(),
                        Style::Dashed,
                    )),
            ],
        ));
        Ok(out)
    }
}
