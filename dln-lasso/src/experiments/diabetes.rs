//! `dln-diabetes`: the network against the lasso path on the diabetes data.

use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};

use super::{SKLEARN_DIABETES_KNOTS, column, geomspace, max_diff};
use crate::data::{DIABETES_FEATURES, Standardization, diabetes};
use crate::flow::{FlowConfig, MirrorFlow};
use crate::lars::lasso_path;
use crate::problem::LossScaling;
use crate::saddle::{SaddleConfig, SaddleToSaddle};

/// The diagonal network on the diabetes data (centred unit-norm columns, centred response,
/// `1/(2n)` loss), against the exact lasso path.
///
/// Along the lasso path the coefficient of `s3` (hdl) shrinks from `lambda = 0.045206` on,
/// reaches zero at `0.004937` and comes back with the opposite sign at `0.002965`. The network
/// cannot follow: its coefficients move between restricted least-squares saddles whose signs are
/// fixed by the integrated gradient. At the knot `lambda = 0.012393` (`s = 80.69`) the next
/// saddle would give `s3` the positive sign while its mirror variable sits at `-1`, so the
/// network switches `s3` off there; it returns, positive, only once its integrated gradient has
/// crossed the whole interval `[-1, 1]`. From that knot on the network and the lasso path differ.
///
/// | setting | quick | paper |
/// |---|---|---|
/// | `log(1/eps)` | 200 | 500 |
/// | time grid | 200 points in `[0.3, 400]` | 600 points |
#[derive(Debug, Clone, Copy, Default)]
pub struct DlnDiabetes;

impl Experiment for DlnDiabetes {
    fn name(&self) -> &'static str {
        "dln-diabetes"
    }
    fn title(&self) -> &'static str {
        "Diagonal linear network against the lasso path on the diabetes data"
    }
    fn paper(&self) -> &'static str {
        "R. Berthier, Diagonal Linear Networks and the Lasso Regularization Path, 2025; data of Efron, \
         Hastie, Johnstone, Tibshirani, Least Angle Regression, Ann. Statist. 2004"
    }
    fn summary(&self) -> &'static str {
        "Gradient flow of a diagonal linear network from a tiny initialisation on the diabetes regression, \
         against the exact lasso path computed by LARS. The network's time average follows lasso(1/s) \
         through the first nine knots; at lambda = 0.012393 the lasso path keeps the coefficient of s3 \
         negative and later moves it through zero to the opposite sign, which the network cannot do: it \
         switches s3 off and brings it back, positive, much later. The saddle-to-saddle limit locates \
         the departure exactly."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let data = diabetes(Standardization::UnitNorm);
        let problem = data.problem(LossScaling::Mean)?;
        let lasso = lasso_path(&problem)?;
        let l = ctx.scale.pick(200.0, 500.0);
        let times = geomspace(0.3, 400.0, ctx.scale.pick(200, 600));
        let mut out = ExperimentOutput::default();
        out.param("log_inv_eps", l).param("standardization", "UnitNorm").param("s_max", 400.0);

        ctx.progress(0.0, "saddle-to-saddle limit");
        let seq = SaddleToSaddle::new(SaddleConfig::default())?.run(&problem)?;
        let knots_s: Vec<f64> = lasso.lambdas().iter().map(|x| 1.0 / x).collect();
        let jumps = seq.jump_times();
        let follow =
            jumps.iter().zip(&knots_s).take_while(|(a, b)| (*a - *b).abs() <= 1e-9 * *b).count();
        let departure = jumps[follow - 1];
        out.metrics.push(
            Metric::new("knots followed by the limit network", follow as f64)
                .with_reference(
                    9.0,
                    "knot where s3's restricted least-squares sign flips (scikit-learn path)",
                )
                .with_check(Check::Abs(0.0)),
        );
        out.metrics.push(
            Metric::new("rescaled time of departure s = 1/lambda_9", departure)
                .with_reference(
                    1.0 / SKLEARN_DIABETES_KNOTS[8],
                    "scikit-learn 1.9.1 lars_path knot 0.012393",
                )
                .with_check(Check::Rel(1e-9)),
        );

        ctx.progress(0.1, &format!("mirror flow, log(1/eps) = {l}"));
        let flow = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })?;
        let tr = flow.run(&problem, &times)?;
        let lasso_at: Vec<Vec<f64>> = times.iter().map(|&s| lasso.at(1.0 / s)).collect();
        let scale =
            lasso.coefs().last().expect("non-empty").iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let (mut before, mut after) = (0.0_f64, 0.0_f64);
        for (k, &s) in times.iter().enumerate() {
            let d = max_diff(&tr.xbar[k], &lasso_at[k]) / scale;
            if s < 0.9 * departure {
                before = before.max(d);
            } else {
                after = after.max(d);
            }
        }
        out.metrics.push(Metric::new(
            "max |xbar(s) - lasso(1/s)| / |x_ols|_inf before the departure",
            before,
        ));
        out.metrics.push(Metric::new(
            "max |xbar(s) - lasso(1/s)| / |x_ols|_inf after the departure",
            after,
        ));
        let s3 = 6;
        let s3_min_flow = column(&tr.x, s3).iter().fold(0.0_f64, |m, v| m.min(*v));
        out.metrics.push(Metric::new("most negative x_s3 of the network", s3_min_flow));

        // Figures: coefficients against s (network) and against 1/lambda (lasso), and s3 alone.
        let mut p1 =
            Panel::new(format!("network time average, log(1/eps) = {l}"), "s", "coefficient")
                .log(true, false);
        let mut p2 = Panel::new("lasso path", "1/lambda", "coefficient").log(true, false);
        for (j, name) in DIABETES_FEATURES.iter().enumerate() {
            p1 = p1.curve(Curve::new(*name, times.clone(), column(&tr.xbar, j), Style::Line));
            p2 = p2.curve(Curve::new(*name, times.clone(), column(&lasso_at, j), Style::Line));
        }
        let limit_s3: Vec<f64> = times.iter().map(|&s| seq.at(s)[s3]).collect();
        let lasso_saddle_s3: Vec<f64> = times.iter().map(|&s| lasso.at(1.0 / s)[s3]).collect();
        let p3 = Panel::new("s3 (hdl): why they separate", "s = 1/lambda", "coefficient of s3")
            .log(true, false)
            .curve(Curve::new("network x(s)", times.clone(), column(&tr.x, s3), Style::Line))
            .curve(Curve::new("network xbar(s)", times.clone(), column(&tr.xbar, s3), Style::Line))
            .curve(Curve::new(
                "saddle-to-saddle limit",
                times.clone(),
                limit_s3.clone(),
                Style::Step,
            ))
            .curve(Curve::new("lasso(1/s)", times.clone(), lasso_saddle_s3, Style::Dashed));
        out.figures.push(Figure::new(
            "dln_diabetes",
            "Diabetes: the network's time average against s and the lasso path against 1/lambda; right, the \
             coefficient of s3, which the lasso moves through zero and the network switches off.",
            vec![p1, p2, p3],
        ));
        let mut cols: Vec<(&str, Vec<f64>)> = vec![("s", times.clone())];
        let names_x: Vec<String> = DIABETES_FEATURES.iter().map(|n| format!("xbar_{n}")).collect();
        let names_l: Vec<String> = DIABETES_FEATURES.iter().map(|n| format!("lasso_{n}")).collect();
        for (j, name) in names_x.iter().enumerate() {
            cols.push((name.as_str(), column(&tr.xbar, j)));
        }
        for (j, name) in names_l.iter().enumerate() {
            cols.push((name.as_str(), column(&lasso_at, j)));
        }
        cols.push(("limit_s3", limit_s3));
        out.series.push(Series::new("diabetes_trajectories", cols));
        out.notes.push(format!(
            "The limit network follows the LARS knots for {follow} knots and departs at s = {departure:.4}. \
             Flow statistics: {:?}.",
            tr.stats
        ));
        Ok(out)
    }
}
