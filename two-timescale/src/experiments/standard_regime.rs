//! Equal step sizes (eps = 1) against the two-timescale regime over a seed ensemble.

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};

use super::{ETA, PAPER, WIDTH};
use crate::limit::SharpLimit;
use crate::loss::jump_distances;
use crate::network::Network;
use crate::sgd::{SgdConfig, run_sgd};
use crate::target::PiecewiseConstant;

/// SGD with `eps = 1`, `h = 1e-5`, slow time 10 (1e6 steps), and two-timescale SGD
/// (`eps = 2e-5`, `h = 1e-3`), from the same admissible initial positions on every seed of an
/// ensemble (10 seeds at quick scale, 40 at paper scale). The two-timescale run lasts until
/// the sharp limit from the same positions has absorbed a neuron on every jump, plus a
/// quarter: `tau_end = max(0.035, 1.25 tau*)`. A jump is uncovered when no neuron is within
/// 0.01 (2.5 unit widths) of it.
pub struct StandardRegime;

/// Distance beyond which a jump counts as uncovered.
pub(crate) const COVER_TOL: f64 = 0.01;

impl Experiment for StandardRegime {
    fn name(&self) -> &'static str {
        "two-timescale-standard-regime"
    }
    fn title(&self) -> &'static str {
        "With equal step sizes, SGD can leave a jump of the target without a neuron"
    }
    fn paper(&self) -> &'static str {
        PAPER
    }
    fn summary(&self) -> &'static str {
        "The same network and data as the two-timescale run, but with positions and outer \
         weights moving at the same speed (eps = 1). The positions then react to outer weights \
         that are far from optimal and may settle away from a jump, leaving a plateau of the \
         loss. Over a seed ensemble, the experiment counts the runs that leave at least one \
         jump uncovered, in the standard and in the two-timescale regime."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 5 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let target = PiecewiseConstant::paper();
        let n_seeds = ctx.scale.pick(10u64, 40);
        let standard = SgdConfig::new(1e-5, 1.0, 10.0)?.with_records(20)?;
        let two_tau = |positions: &[f64]| -> Result<f64, ExperimentError> {
            let lim = SharpLimit::default().integrate(positions, &target, 1.0, &[])?;
            Ok(lim.absorptions.iter().map(|a| a.time).fold(0.035, |m, t| m.max(1.25 * t)))
        };
        let two = SgdConfig::new(1e-3, 2e-5, 0.035)?;
        let mut out = ExperimentOutput::default();
        out.param("m", WIDTH).param("eta", ETA).param("seeds", n_seeds);
        out.param("standard", serde_json_like(&standard))
            .param("two_timescale", serde_json_like(&two));
        out.param("cover_tol", COVER_TOL);
        out.param(
            "two_timescale_tau_end",
            "max(0.035, 1.25 x last absorption time of the sharp limit)",
        );
        let (mut worst_std, mut worst_two, mut loss_std, mut loss_two) =
            (vec![], vec![], vec![], vec![]);
        let mut taus = Vec::new();
        for k in 0..n_seeds {
            ctx.progress(k as f64 / n_seeds as f64, "seed ensemble");
            let init = super::admissible(ctx.seed, k, &target)?;
            let tau_two = two_tau(&init.positions)?;
            let net = Network::with_positions(ETA, init.positions)?;
            let rs = run_sgd(&net, &target, &standard, &mut ctx.seed.indexed("standard", k))?;
            let cfg = SgdConfig::new(1e-3, 2e-5, tau_two)?.with_records(20)?;
            let rt = run_sgd(&net, &target, &cfg, &mut ctx.seed.indexed("two-timescale", k))?;
            taus.push(tau_two);
            let max = |p: &[f64]| jump_distances(p, &target).into_iter().fold(0.0, f64::max);
            worst_std.push(max(&rs.network.positions));
            worst_two.push(max(&rt.network.positions));
            loss_std.push(rs.final_loss());
            loss_two.push(rt.final_loss());
        }
        let frac = |w: &[f64]| w.iter().filter(|d| **d > COVER_TOL).count() as f64 / w.len() as f64;
        let (fs, ft) = (frac(&worst_std), frac(&worst_two));
        let se = |p: f64| (p * (1.0 - p) / n_seeds as f64).sqrt();
        out.metrics.push(
            Metric::new("fraction of runs with an uncovered jump, eps = 1", fs)
                .with_std_error(se(fs)),
        );
        out.metrics.push(
            Metric::new("fraction of runs with an uncovered jump, eps = 2e-5", ft)
                .with_reference(
                    0.0,
                    "convergence theorem (two neurons per piece at initialisation)",
                )
                .with_check(Check::AbsBelow(0.0)),
        );
        out.metrics.push(Metric::new("median final loss, eps = 1", super::median(&loss_std)));
        out.metrics.push(
            Metric::new("median final loss, eps = 2e-5", super::median(&loss_two))
                .with_reference(target.loss_floor(ETA), "loss floor 2 eta"),
        );
        let seeds: Vec<f64> = (0..n_seeds).map(|k| k as f64).collect();
        out.figures.push(Figure::new(
            "coverage",
            "Per seed, the largest distance from a jump to its nearest neuron at the end of \
             training; above the dashed line a jump is uncovered.",
            vec![
                Panel::new("jump coverage", "seed", "max_k min_j |u_j - v_k|")
                    .log(false, true)
                    .curve(Curve::new("eps = 1", seeds.clone(), worst_std.clone(), Style::Points))
                    .curve(Curve::new(
                        "eps = 2e-5",
                        seeds.clone(),
                        worst_two.clone(),
                        Style::Points,
                    ))
                    .curve(Curve::new(
                        "threshold",
                        vec![0.0, (n_seeds - 1) as f64],
                        vec![COVER_TOL; 2],
                        Style::Dashed,
                    )),
            ],
        ));
        out.series.push(Series::new(
            "ensemble",
            vec![
                ("seed", seeds),
                ("worst_distance_eps1", worst_std),
                ("worst_distance_two_timescale", worst_two),
                ("final_loss_eps1", loss_std),
                ("final_loss_two_timescale", loss_two),
                ("tau_end_two_timescale", taus),
            ],
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}

/// `(h, eps, tau_end, steps)` of a configuration, for the parameter table.
fn serde_json_like(c: &SgdConfig) -> [f64; 4] {
    [c.step_size(), c.epsilon(), c.tau_end(), c.steps() as f64]
}
