//! `discrete-to-continuous`: the distance between a trained ResNet and the neural ODE defined
//! by its interpolated weights decays like `1/L`.

use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};
use megavolt_core::stats::fit_loglog;

use super::{Problem, powers_of_two};
use crate::neural_ode::{Integrator, NeuralOde};
use crate::train::{TrainSpec, train};

/// Trained ResNets against their continuous-depth limit.
///
/// For each depth `L`, a ResNet is trained as in Fig. 1 (left) of Marion et al. (ICLR 2024)
/// ([`super::ImplicitRegularisation`]: `d = 16`, `M = 32`, GELU, weight-tied start, full-batch
/// GD with step `0.01 L`, 50 steps; `n = 100` samples, 20 at quick scale). Its weights,
/// interpolated piecewise-linearly in depth ([`NeuralOde::from_resnet`]), define a neural ODE,
/// solved on the training inputs by Dormand–Prince with `rtol = atol = 1e-12`. The relative
/// Frobenius distance between the ResNet's outputs and the ODE's is the global error of the
/// Euler scheme on a vector field that is Lipschitz in depth uniformly in `L` (Theorem 1 of
/// the paper), hence `O(1/L)`: the fitted log-log slope must lie in `[-1.2, -0.8]`. The same
/// measurement after an i.i.d. start is reported without a verdict: its interpolated weights
/// oscillate at the scale of one layer, so the ODE changes with `L` and no rate is expected.
///
/// | setting | quick | paper |
/// |---|---|---|
/// | depths | 4, 8, ..., 128 | 4, 8, ..., 1024 |
/// | samples `n` | 20 | 100 |
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscreteToContinuous;

impl Experiment for DiscreteToContinuous {
    fn name(&self) -> &'static str {
        "discrete-to-continuous"
    }
    fn title(&self) -> &'static str {
        "A trained ResNet is the Euler scheme of a neural ODE: distance O(1/L)"
    }
    fn paper(&self) -> &'static str {
        "P. Marion, Y.-H. Wu, M. E. Sander, G. Biau, Implicit regularization of deep residual networks towards neural ODEs, ICLR 2024"
    }
    fn summary(&self) -> &'static str {
        "ResNets of increasing depth are trained from a weight-tied initialisation; their trained weights, \
         interpolated in depth, define a neural ODE whose solution is computed to 1e-12 with Dormand-Prince. \
         The distance between the network's outputs and the ODE's decays like 1/L, as for the Euler scheme \
         of a fixed smooth ODE."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 2 min on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let (d, m, steps, lr0) = (16, 32, 50, 0.01);
        let n = ctx.scale.pick(20, 100);
        let depths = powers_of_two(4, ctx.scale.pick(128, 1024));
        let mut out = ExperimentOutput::default();
        out.param("dim", d)
            .param("hidden", m)
            .param("samples", n)
            .param("steps", steps)
            .param("lr0", lr0);
        out.param("depths", &depths).param("reference", "Dormand-Prince, rtol = atol = 1e-12");
        let problem = Problem::new(ctx.seed.derive("continuum"), d, m, n);
        let config = TrainSpec::new(lr0, steps).build()?;
        let lx: Vec<f64> = depths.iter().map(|&l| l as f64).collect();
        let mut panel =
            Panel::new("ResNet vs neural ODE", "depth L", "relative distance of outputs")
                .log(true, true);
        for (label, tied) in [("tied", true), ("iid", false)] {
            let mut dist = Vec::new();
            for (i, &depth) in depths.iter().enumerate() {
                ctx.progress(
                    (if tied { 0.0 } else { 0.5 } + 0.5 * i as f64 / depths.len() as f64),
                    &format!("{label}, L = {depth}"),
                );
                let mut net = problem.network(depth, tied, ctx.seed)?;
                train(
                    &mut net,
                    problem.x.as_ref(),
                    problem.y.as_ref(),
                    &config,
                    &mut ctx.seed.stream("batches"),
                )?;
                let ode = NeuralOde::from_resnet(&net);
                let reference = ode.integrate(
                    problem.x.as_ref(),
                    Integrator::DormandPrince { rtol: 1e-12, atol: 1e-12 },
                )?;
                let resnet = net.forward(problem.x.as_ref());
                dist.push((&resnet - &reference).norm_l2() / reference.norm_l2());
            }
            let fit = fit_loglog(&lx, &dist);
            let metric =
                Metric::new(format!("log-log slope of distance vs L, {label} init"), fit.slope)
                    .with_std_error(fit.slope_std_error);
            out.metrics.push(if tied {
                metric
                    .with_reference(-1.0, "Euler global error O(1/L), Theorem 1 of the paper")
                    .with_check(Check::Within(-1.2, -0.8))
            } else {
                metric
            });
            panel = panel.curve(Curve::new(
                format!("{label} initialisation"),
                lx.clone(),
                dist.clone(),
                Style::Line,
            ));
            out.series.push(Series::new(
                format!("distance_{label}"),
                vec![("L", lx.clone()), ("relative_distance", dist)],
            ));
        }
        out.figures.push(Figure::new(
            "discrete_to_continuous",
            "Relative distance between trained ResNet outputs and the neural ODE of their interpolated weights.",
            vec![panel],
        ));
        Ok(out)
    }
}
