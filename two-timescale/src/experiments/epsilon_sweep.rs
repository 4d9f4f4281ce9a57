//! Final loss against the step-size ratio eps over 20 seeds.

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series, Style,
};

use super::{ETA, PAPER, WIDTH};
use crate::network::Network;
use crate::sgd::{SgdConfig, run_sgd};
use crate::target::PiecewiseConstant;

/// SGD at `eps = 0.01, 0.1, 1`, slow time 3, over 20 seeds; `h = 1e-5` at paper scale
/// (3e7, 3e6, 3e5 steps), `h = 1e-4` at quick scale.
pub struct EpsilonSweep;

const EPSILONS: [f64; 3] = [0.01, 0.1, 1.0];
const TAU_END: f64 = 3.0;
const SEEDS: u64 = 20;

impl Experiment for EpsilonSweep {
    fn name(&self) -> &'static str {
        "two-timescale-epsilon-sweep"
    }
    fn title(&self) -> &'static str {
        "Final loss against the ratio of inner to outer step size"
    }
    fn paper(&self) -> &'static str {
        PAPER
    }
    fn summary(&self) -> &'static str {
        "For three ratios eps of the positions' step to the outer weights' step, 20 runs from \
         admissible initial positions are trained to the same slow time. Smaller eps keeps the \
         outer weights near their optimum while the positions move, which should lower the \
         final loss and its spread towards the floor (eta/28) sum Delta^2. The experiment \
         reports the distribution of final losses per eps (a box plot in the paper)."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 31 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let target = PiecewiseConstant::paper();
        let h = ctx.scale.pick(1e-4, 1e-5);
        let mut out = ExperimentOutput::default();
        out.param("m", WIDTH).param("eta", ETA).param("h", h).param("tau_end", TAU_END);
        out.param("epsilons", EPSILONS).param("seeds", SEEDS);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        let mut medians = Vec::new();
        let (mut q1, mut q3) = (Vec::new(), Vec::new());
        let mut cols: Vec<(String, Vec<f64>)> = Vec::new();
        for (i, &eps) in EPSILONS.iter().enumerate() {
            let cfg = SgdConfig::new(h, eps, TAU_END)?.with_records(10)?;
            let mut losses = Vec::new();
            for k in 0..SEEDS {
                ctx.progress((i as f64 * SEEDS as f64 + k as f64) / (3.0 * SEEDS as f64), "sweep");
                let init = super::admissible(ctx.seed, k, &target)?;
                let net = Network::with_positions(ETA, init.positions)?;
                let run =
                    run_sgd(&net, &target, &cfg, &mut ctx.seed.indexed(&format!("eps-{i}"), k))?;
                losses.push(run.final_loss());
            }
            let med = super::median(&losses);
            out.metrics.push(Metric::new(format!("median final loss, eps = {eps}"), med));
            out.metrics.push(Metric::new(
                format!("largest final loss, eps = {eps}"),
                losses.iter().copied().fold(0.0, f64::max),
            ));
            xs.extend(std::iter::repeat_n(eps, losses.len()));
            ys.extend(losses.iter().copied());
            medians.push(med);
            q1.push(megavolt_core::stats::quantile(&losses, 0.25));
            q3.push(megavolt_core::stats::quantile(&losses, 0.75));
            cols.push((format!("loss_eps_{eps}"), losses));
        }
        let floor = target.loss_floor(ETA);
        out.figures.push(Figure::new(
            "final_loss",
            "Final population loss of 20 runs per eps (points), their median (line) and \
             quartiles (dashed), and the loss floor 2 eta (dashed, horizontal).",
            vec![
                Panel::new("final loss", "eps", "L")
                    .log(true, true)
                    .curve(Curve::new("runs", xs, ys, Style::Points))
                    .curve(Curve::new("median", EPSILONS.to_vec(), medians.clone(), Style::Line))
                    .curve(Curve::new("quartiles", EPSILONS.to_vec(), q1.clone(), Style::Dashed))
                    .curve(Curve::new("", EPSILONS.to_vec(), q3.clone(), Style::Dashed))
                    .curve(Curve::new("floor", vec![0.01, 1.0], vec![floor, floor], Style::Dashed)),
            ],
        ));
        out.series.push(Series::new(
            "quartiles",
            vec![("eps", EPSILONS.to_vec()), ("q1", q1), ("median", medians), ("q3", q3)],
        ));
        out.series.push(Series::new(
            "final_losses",
            cols.iter().map(|(n, v)| (n.as_str(), v.clone())).collect(),
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
