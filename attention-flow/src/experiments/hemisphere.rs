//! `hemisphere-collapse`: the clustering building block of measure-to-measure interpolation.

use faer::Mat;
use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};
use megavolt_core::stats::fit_line;

use crate::{Scheme, SimOptions, SphereAttention, simulate};

/// Tokens in an open hemisphere of `S^2` (32 tokens uniform on the cap `x_3 > 0.2`) under SA
/// with `beta = 1`: the time `T(eps)` at which every pair is within distance `eps`
/// (`<x_i, x_j> >= 1 - eps^2 / 2`, a located event), for `eps = 10^-1, ..., 10^-6`, and the fitted
/// slope of `T` against `log(1/eps)`.
///
/// Near the collapsed state all weights tend to `1/n` and the linearised SA flow is
/// `u_i' = mean(u) - u_i` for the deviations `u_i`, so pairwise distances decay like `e^{-t}`:
/// `T(eps) = log(1/eps) + O(1)`, slope 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct HemisphereCollapse;

impl Experiment for HemisphereCollapse {
    fn name(&self) -> &'static str {
        "hemisphere-collapse"
    }

    fn title(&self) -> &'static str {
        "Tokens in a hemisphere collapse to a point in time O(log 1/eps)"
    }

    fn paper(&self) -> &'static str {
        "B. Geshkovski, P. Rigollet, D. Ruiz-Balet, Measure-to-measure interpolation using \
         Transformers, arXiv:2411.04551 (2024), Proposition 2.1"
    }

    fn summary(&self) -> &'static str {
        "The attention-only building block of measure-to-measure interpolation: tokens in an \
         open hemisphere cluster to a single point, reaching diameter eps in time \
         O(log(1/eps)). The collapse time is located as an event for eps = 1e-1 ... 1e-6 and \
         its slope against log(1/eps) is compared with the rate 1 of the flow linearised at \
         the collapsed state."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let step: f64 = ctx.scale.pick(0.02, 0.005);
        let n = 32;
        let mut out = ExperimentOutput::default();
        out.param("n", n)
            .param("d", 3)
            .param("beta", 1.0)
            .param("step", step)
            .param("cap", "x_3 > 0.2");
        // Uniform on the cap by rejection from the sphere.
        let mut rng = ctx.seed.stream("tokens");
        let mut x0 = Mat::zeros(3, n);
        let mut filled = 0;
        while filled < n {
            let p = megavolt_core::rng::uniform_sphere(&mut rng, 3, 1);
            if p[(2, 0)] > 0.2 {
                for r in 0..3 {
                    x0[(r, filled)] = p[(r, 0)];
                }
                filled += 1;
            }
        }
        let model = SphereAttention::sa(1.0)?;
        let eps: Vec<f64> = (1..=6).map(|k| 10f64.powi(-k)).collect();
        let mut times = Vec::new();
        for (k, &e) in eps.iter().enumerate() {
            ctx.progress(k as f64 / eps.len() as f64, &format!("eps = {e:e}"));
            let opts = SimOptions { collapse_tol: Some(0.5 * e * e), ..SimOptions::default() };
            let traj = simulate(&model, x0.as_ref(), 200.0, Scheme::Rk4 { step }, &opts)?;
            times.push(traj.collapse_time.ok_or("no collapse by t = 200")?);
        }
        let log_inv: Vec<f64> = eps.iter().map(|e| (1.0 / e).ln()).collect();
        let tail = 3;
        let fit = fit_line(&log_inv[tail..], &times[tail..]);
        out.metrics.push(
            Metric::new("slope of T(eps) against log(1/eps), eps <= 1e-4", fit.slope)
                .with_reference(1.0, "linearised SA at the collapsed state: distances ~ e^{-t}")
                .with_check(Check::Rel(1e-3)),
        );
        for (e, t) in eps.iter().zip(&times) {
            out.metrics.push(Metric::new(format!("collapse time to diameter {e:e}"), *t));
        }
        out.series.push(Series::new(
            "collapse-times",
            vec![("log_inv_eps", log_inv.clone()), ("T", times.clone())],
        ));
        out.figures.push(Figure::new(
            "hemisphere-collapse",
            "Time at which 32 SA tokens (beta = 1) from a hemisphere reach diameter eps",
            vec![Panel::new("Collapse time", "log(1/eps)", "T").curve(Curve::new(
                "located event",
                log_inv,
                times,
                Style::Points,
            ))],
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
