//! `single-location-regression`: an attention predictor learns the latent directions.

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};
use megavolt_core::stats::mean_se;

use crate::regression::{LinearPredictor, SlrSetting, SlrTask, linear_population_risk, train};

/// Projected SGD on the attention predictor `sum_l erf(lambda <X_l, k>) <X_l, v>` for
/// single-location regression in the authors' SGD setting ([`SlrSetting::default`]: `d = 80`,
/// `L = 10`, `gamma = sqrt(1/2)`, `eps = 0.1`, `lambda_t = 2 / (1 + 1e-4 t)`, step `1e-3`,
/// batch 5; 200 000 steps at both scales), against the oracle `T_{k*,v*}` and the linear
/// predictor on the token sum (ridge least squares on 20 000 samples).
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleLocation;

impl Experiment for SingleLocation {
    fn name(&self) -> &'static str {
        "single-location-regression"
    }

    fn title(&self) -> &'static str {
        "Attention solves single-location regression; the linear predictor does not"
    }

    fn paper(&self) -> &'static str {
        "P. Marion, R. Berthier, G. Biau, C. Boyer, Attention layers provably solve \
         single-location regression, ICLR 2025"
    }

    fn summary(&self) -> &'static str {
        "Each input is a sequence of 10 Gaussian tokens in R^80; one of them, at a uniformly \
         random position, is shifted along a hidden direction k* and the label is its \
         projection on a second hidden direction v*. A simplified attention layer \
         sum_l erf(lambda <X_l, k>) <X_l, v> trained by projected SGD on the sphere recovers \
         both directions (absolute cosines above 0.99; the predictor is invariant under \
         (k, v) -> (-k, -v)) and reaches the risk of the oracle predictor with \
         k = k*, v = v*, while the best linear predictor stays at a much larger risk."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 11 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let setting = SlrSetting::default();
        let n_test = ctx.scale.pick(2000, 20_000);
        let mut out = ExperimentOutput::default();
        out.param("setting", setting)
            .param("n_test", n_test)
            .param("n_linear_train", 20_000)
            .param("seed", ctx.seed.value());
        let task = SlrTask::new(setting, ctx.seed)?;
        let test = task.sample(&mut ctx.seed.stream("slr/test"), n_test);
        ctx.progress(0.0, "training");
        let (_, logs) = train(&task, ctx.seed, &test, setting.steps / 100)?;
        let last = *logs.last().ok_or("no log")?;

        let lin_train = task.sample(&mut ctx.seed.stream("slr/linear"), 20_000);
        let lin = LinearPredictor::fit(&lin_train, 1e-8)?;
        let d = setting.d;
        let sq: Vec<f64> = test
            .x
            .iter()
            .zip(&test.y)
            .map(|(x, y)| {
                let pred: f64 =
                    (0..d).map(|i| lin.w[i] * (0..x.ncols()).map(|l| x[(i, l)]).sum::<f64>()).sum();
                (pred - y).powi(2)
            })
            .collect();
        let lin_risk = mean_se(&sq);

        out.metrics.push(
            Metric::new("|<k, k*>| after training", last.cos_k.abs())
                .with_reference(0.99, "recovery of the latent key direction")
                .with_check(Check::AtLeast),
        );
        out.metrics.push(
            Metric::new("|<v, v*>| after training", last.cos_v.abs())
                .with_reference(0.99, "recovery of the latent value direction")
                .with_check(Check::AtLeast),
        );
        out.metrics.push(
            Metric::new("test risk of the trained attention predictor", last.risk)
                .with_reference(
                    last.oracle_risk,
                    "oracle T_{k*,v*} at the same lambda, same test set",
                )
                .with_check(Check::Rel(0.05)),
        );
        out.metrics.push(
            Metric::new("test risk of the linear predictor on the token sum", lin_risk.mean)
                .with_std_error(lin_risk.std_error)
                .with_reference(
                    linear_population_risk(&setting),
                    "population risk eps^2 + gamma^2 (L-1)/(gamma^2 + L-1)",
                )
                .with_check(Check::Sigmas(4.0)),
        );
        out.metrics.push(Metric::new("final lambda", last.lambda));
        out.notes.push(format!(
            "The predictor is invariant under (k, v) -> (-k, -v); alignments are reported in \
             absolute value (signed at the end: <k, k*> = {:.4}, <v, v*> = {:.4}).",
            last.cos_k, last.cos_v
        ));

        let steps: Vec<f64> = logs.iter().map(|l| l.step as f64).collect();
        let col =
            |f: fn(&crate::regression::SlrLog) -> f64| logs.iter().map(f).collect::<Vec<f64>>();
        out.series.push(Series::new(
            "training",
            vec![
                ("step", steps.clone()),
                ("lambda", col(|l| l.lambda)),
                ("risk", col(|l| l.risk)),
                ("oracle_risk", col(|l| l.oracle_risk)),
                ("cos_k", col(|l| l.cos_k)),
                ("cos_v", col(|l| l.cos_v)),
            ],
        ));
        out.figures.push(Figure::new(
            "single-location-regression",
            "Left: test risk of the attention predictor during projected SGD, of the oracle at \
             the same lambda, and of the linear predictor. Right: alignment of the learned \
             directions with k* and v*",
            vec![
                Panel::new("Test risk", "step", "risk")
                    .log(false, true)
                    .curve(Curve::new(
                        "attention predictor",
                        steps.clone(),
                        col(|l| l.risk),
                        Style::Line,
                    ))
                    .curve(Curve::new(
                        "oracle (k*, v*)",
                        steps.clone(),
                        col(|l| l.oracle_risk),
                        Style::Dashed,
                    ))
                    .curve(Curve::new(
                        "linear predictor",
                        steps.clone(),
                        vec![lin_risk.mean; steps.len()],
                        Style::Dashed,
                    )),
                Panel::new("Alignment", "step", "cosine")
                    .curve(Curve::new("<k, k*>", steps.clone(), col(|l| l.cos_k), Style::Line))
                    .curve(Curve::new("<v, v*>", steps, col(|l| l.cos_v), Style::Line)),
            ],
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
