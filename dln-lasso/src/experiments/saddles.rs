//! `saddle-vs-lars`: the saddle-to-saddle limit against LARS and the simulated flow.

use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};
use megavolt_core::stats::fit_loglog;

use super::SKLEARN_DIABETES_KNOTS;
use crate::data::{DIABETES_FEATURES, Standardization, diabetes};
use crate::flow::{FlowConfig, MirrorFlow};
use crate::lars::lasso_path;
use crate::problem::LossScaling;
use crate::saddle::{SaddleConfig, SaddleToSaddle};

/// The saddle-to-saddle algorithm of Pesme & Flammarion (2023) on the diabetes data: its jump
/// times against the inverse LARS knots, and the activation times of the simulated flow
/// (mirror coordinates) approaching the jump times as `log(1/eps)` grows.
///
/// | setting | quick | paper |
/// |---|---|---|
/// | `log(1/eps)` | 50, 100, 200, 400 | 50, 100, ..., 1600 |
/// | horizon | `s = 10` (first seven activations) | same |
#[derive(Debug, Clone, Copy, Default)]
pub struct SaddleVsLars;

impl Experiment for SaddleVsLars {
    fn name(&self) -> &'static str {
        "saddle-vs-lars"
    }
    fn title(&self) -> &'static str {
        "Saddle-to-saddle jump times against LARS knots and simulated activations"
    }
    fn paper(&self) -> &'static str {
        "S. Pesme, N. Flammarion, Saddle-to-Saddle Dynamics in Diagonal Linear Networks, NeurIPS 2023"
    }
    fn summary(&self) -> &'static str {
        "As the initialisation scale goes to zero, gradient flow of a diagonal linear network jumps between \
         saddles, each a sign-constrained least-squares fit on a growing support. On the diabetes data the \
         first nine jump times coincide with the inverse knots of the lasso path (LARS), then the two \
         separate. The activation times of the simulated flow approach the jump times as log(1/eps) grows."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let problem = diabetes(Standardization::UnitNorm).problem(LossScaling::Mean)?;
        let lasso = lasso_path(&problem)?;
        let seq = SaddleToSaddle::new(SaddleConfig::default())?.run(&problem)?;
        let jumps = seq.jump_times();
        let mut out = ExperimentOutput::default();
        let ls: Vec<f64> = (0..ctx.scale.pick(4, 6)).map(|k| 50.0 * 2f64.powi(k)).collect();
        out.param("log_inv_eps", &ls).param("horizon", 10.0);

        for (k, knot) in SKLEARN_DIABETES_KNOTS.iter().take(9).enumerate() {
            out.metrics.push(
                Metric::new(
                    format!("jump {} ({})", k + 1, DIABETES_FEATURES[seq.saddles[k + 1].trigger]),
                    jumps[k],
                )
                .with_reference(1.0 / knot, "1/lambda_k, scikit-learn 1.9.1 lars_path knot")
                .with_check(Check::Rel(1e-9)),
            );
        }
        out.metrics.push(Metric::new("jump 10 (after the departure)", jumps[9]).with_reference(
            1.0 / SKLEARN_DIABETES_KNOTS[9],
            "1/lambda_10 (the lasso knot it no longer matches)",
        ));

        let mut gaps = Vec::new();
        let mut rows: Vec<Vec<f64>> = Vec::new();
        for (n, &l) in ls.iter().enumerate() {
            ctx.progress(n as f64 / ls.len() as f64, &format!("L = {l}"));
            let flow = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })?;
            let tr = flow.run(&problem, &[10.0])?;
            let mut gap = 0.0_f64;
            let mut row = Vec::new();
            for q in &seq.saddles[1..=7] {
                let a = tr
                    .activations
                    .iter()
                    .find(|a| a.coord == q.trigger && a.entering)
                    .ok_or("missing activation")?;
                gap = gap.max((a.s - q.s).abs() / q.s);
                row.push(a.s);
            }
            rows.push(row);
            gaps.push(gap);
        }
        let fit = fit_loglog(&ls, &gaps);
        out.metrics.push(Metric::new(
            "slope of the relative activation gap against log(1/eps)",
            fit.slope,
        ));
        out.metrics.push(
            Metric::new(
                format!("relative activation gap at log(1/eps) = {}", ls[ls.len() - 1]),
                gaps[gaps.len() - 1],
            )
            .with_reference(gaps[0], format!("gap at log(1/eps) = {} (must shrink)", ls[0]))
            .with_check(Check::AtMost),
        );

        let idx: Vec<f64> = (1..=jumps.len()).map(|k| k as f64).collect();
        let knots_s: Vec<f64> =
            lasso.lambdas().iter().filter(|x| **x > 0.0).map(|x| 1.0 / x).collect();
        let kidx: Vec<f64> = (1..=knots_s.len()).map(|k| k as f64).collect();
        let p1 = Panel::new("jump times and inverse knots", "event", "s = 1/lambda")
            .log(false, true)
            .curve(Curve::new("saddle-to-saddle jumps", idx.clone(), jumps.clone(), Style::Points))
            .curve(Curve::new("LARS knots 1/lambda_k", kidx.clone(), knots_s.clone(), Style::Step));
        let p2 = Panel::new(
            "flow activations against the limit",
            "log(1/eps)",
            "max relative gap (first 7)",
        )
        .log(true, true)
        .curve(Curve::new("measured", ls.clone(), gaps.clone(), Style::Points));
        out.figures.push(Figure::new(
            "saddle_vs_lars",
            "Diabetes: saddle-to-saddle jump times against inverse LARS knots (left); gap between simulated \
             activations and jump times (right).",
            vec![p1, p2],
        ));
        out.series.push(Series::new("jumps", vec![("event", idx), ("s", jumps.clone())]));
        out.series.push(Series::new("knots", vec![("event", kidx), ("inverse_lambda", knots_s)]));
        out.series.push(Series::new(
            "activation_gaps",
            vec![("log_inv_eps", ls.clone()), ("max_rel_gap", gaps)],
        ));
        out.notes.push(format!("First seven activation times per log(1/eps) {ls:?}: {rows:.4?}"));
        Ok(out)
    }
}
