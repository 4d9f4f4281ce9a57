//! `dln-orthogonal`: the network's time average against the lasso path when `M = I`.

use faer::Mat;
use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};
use megavolt_core::stats::fit_loglog;

use super::{column, geomspace, max_diff};
use crate::exact::separable_product;
use crate::flow::{FlowConfig, MirrorFlow};
use crate::lars::lasso_path;
use crate::problem::Problem;

/// The diagonal network on `M = I`, `r = (3, 2, -1)`, Pesme–Flammarion initialisation.
///
/// Each coordinate is then an independent logistic-type flow with a closed form
/// ([`crate::exact`]); the mirror-coordinate integrator is checked against it up to
/// `log(1/eps) = 500`. The lasso path is soft-thresholding, `sign(r)(|r| - lambda)_+`, with knots
/// `3, 2, 1`; the network activates coordinates near `s = 1/3, 1/2, 1` and its time average
/// approaches `lasso(1/s)` at the rate `1/log(1/eps)` (Berthier 2025, Theorem 2.1 in the
/// monotone case).
///
/// | setting | quick | paper |
/// |---|---|---|
/// | `log(1/eps)` | 25, 50, ..., 400, and 500 | 25, 50, ..., 800, and 500 |
/// | time grid | 120 points in `[0.05, 3.5]` | 400 points |
#[derive(Debug, Clone, Copy, Default)]
pub struct DlnOrthogonal;

impl Experiment for DlnOrthogonal {
    fn name(&self) -> &'static str {
        "dln-orthogonal"
    }
    fn title(&self) -> &'static str {
        "Diagonal linear network against the lasso path on an orthogonal design"
    }
    fn paper(&self) -> &'static str {
        "R. Berthier, Diagonal Linear Networks and the Lasso Regularization Path, 2025"
    }
    fn summary(&self) -> &'static str {
        "A diagonal linear network x = u*v trained by gradient flow from u(0) = sqrt(2 eps), v(0) = 0 on \
         the loss |x|^2/2 - <r, x> with r = (3, 2, -1). In the rescaled time s = 2t/log(1/eps) its \
         coordinates switch on near s = 1/3, 1/2, 1 (the inverse lasso knots) and its time average \
         approaches the lasso solution at lambda = 1/s, with an error proportional to 1/log(1/eps). The \
         stiff mirror-coordinate integrator is checked against the exact separable solution."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let r = vec![3.0, 2.0, -1.0];
        let problem = Problem::from_gram(Mat::identity(3, 3), r.clone())?;
        let lasso = lasso_path(&problem)?;
        let ls: Vec<f64> = (0..ctx.scale.pick(5, 6)).map(|k| 25.0 * 2f64.powi(k)).collect();
        let times = geomspace(0.05, 3.5, ctx.scale.pick(120, 400));
        let mut out = ExperimentOutput::default();
        out.param("r", &r).param("log_inv_eps", &ls).param("init", "PesmeFlammarion");

        // Accuracy against the closed form at log(1/eps) = 500.
        ctx.progress(0.0, "L = 500 against the exact solution");
        let flow = MirrorFlow::new(FlowConfig { log_inv_eps: 500.0, ..FlowConfig::default() })?;
        let tr = flow.run(&problem, &times)?;
        let map = flow.mirror_map(&problem);
        let mut worst = 0.0_f64;
        for (k, &s) in times.iter().enumerate() {
            for (i, &ri) in r.iter().enumerate() {
                let e = separable_product(1.0, ri, map.pos[i], map.neg[i], 500.0, s)?;
                worst = worst.max((tr.x[k][i] - e.x).abs() / e.x.abs());
            }
        }
        out.metrics.push(
            Metric::new("max relative error of x(s), log(1/eps) = 500", worst)
                .with_reference(0.0, "closed-form separable solution (Riccati equation)")
                .with_check(Check::AbsBelow(1e-6)),
        );
        for a in &tr.activations {
            out.metrics.push(
                Metric::new(format!("activation time of x{} at log(1/eps) = 500", a.coord), a.s)
                    .with_reference(
                        1.0 / r[a.coord].abs(),
                        "limit eps -> 0: 1/|r_i| (inverse lasso knot)",
                    )
                    .with_check(Check::Abs(5e-3)),
            );
        }

        // The rate in log(1/eps), at the last time of the grid.
        let mut errs = Vec::new();
        let mut fig_curves = Vec::new();
        for (n, &l) in ls.iter().enumerate() {
            ctx.progress((n + 1) as f64 / (ls.len() + 1) as f64, &format!("L = {l}"));
            let flow = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })?;
            let tr = flow.run(&problem, &times)?;
            errs.push(max_diff(tr.xbar.last().expect("non-empty"), &lasso.at(1.0 / 3.5)));
            if n == ls.len() - 1 || n == 0 {
                for i in 0..3 {
                    fig_curves.push(Curve::new(
                        format!("xbar{i}, L = {l}"),
                        times.clone(),
                        column(&tr.xbar, i),
                        Style::Line,
                    ));
                }
            }
            out.series.push(Series::new(
                format!("trajectory_L{l}"),
                vec![
                    ("s", times.clone()),
                    ("x0", column(&tr.x, 0)),
                    ("x1", column(&tr.x, 1)),
                    ("x2", column(&tr.x, 2)),
                    ("xbar0", column(&tr.xbar, 0)),
                    ("xbar1", column(&tr.xbar, 1)),
                    ("xbar2", column(&tr.xbar, 2)),
                ],
            ));
        }
        let fit = fit_loglog(&ls, &errs);
        out.metrics.push(
            Metric::new(
                "slope of log |xbar(3.5) - lasso(1/3.5)|_inf against log log(1/eps)",
                fit.slope,
            )
            .with_reference(-1.0, "rate 1/log(1/eps) (Berthier 2025; exact on this design)")
            .with_check(Check::Abs(0.1)),
        );
        out.series.push(Series::new(
            "error_vs_L",
            vec![("log_inv_eps", ls.clone()), ("max_error", errs.clone())],
        ));

        let lasso_curves: Vec<Vec<f64>> = times.iter().map(|&s| lasso.at(1.0 / s)).collect();
        let mut p1 =
            Panel::new("time average xbar(s) and lasso(1/s)", "s = 2t / log(1/eps)", "coefficient")
                .log(true, false);
        for c in fig_curves {
            p1 = p1.curve(c);
        }
        for i in 0..3 {
            p1 = p1.curve(Curve::new(
                format!("lasso x{i}(1/s)"),
                times.clone(),
                column(&lasso_curves, i),
                Style::Dashed,
            ));
        }
        let lambdas: Vec<f64> = times.iter().map(|s| 1.0 / s).collect();
        let mut p2 =
            Panel::new("the same against lambda = 1/s", "lambda", "coefficient").log(true, false);
        for i in 0..3 {
            p2 = p2.curve(Curve::new(
                format!("lasso x{i}"),
                lambdas.clone(),
                column(&lasso_curves, i),
                Style::Dashed,
            ));
            p2 = p2.curve(Curve::new(
                format!("network x{i}(s), L = 500"),
                lambdas.clone(),
                column(&tr.x, i),
                Style::Line,
            ));
        }
        let p3 = Panel::new("distance to the lasso at s = 3.5", "log(1/eps)", "max |xbar - lasso|")
            .log(true, true)
            .curve(Curve::new("measured", ls.clone(), errs.clone(), Style::Points))
            .curve(Curve::new(
                "slope -1",
                ls.clone(),
                ls.iter().map(|l| errs[0] * ls[0] / l).collect(),
                Style::Dashed,
            ));
        out.figures.push(Figure::new(
            "dln_orthogonal",
            "Diagonal network on M = I, r = (3, 2, -1): time average against the lasso path, and the 1/log(1/eps) rate.",
            vec![p1, p2, p3],
        ));
        out.notes.push(format!("max |xbar(3.5) - lasso(1/3.5)| for log(1/eps) = {ls:?}: {errs:?}"));
        Ok(out)
    }
}
