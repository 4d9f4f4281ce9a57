//! SGD in the two-timescale regime against the limit dynamics (the paper's main figure).

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, NamedArray, Panel, RunContext,
    Series, Style,
};

use super::{ETA, PAPER, WIDTH};
use crate::limit::{SharpLimit, sharp_reduced_loss};
use crate::loss::jump_distances;
use crate::network::Network;
use crate::reduced::integrate_reduced_flow;
use crate::sgd::{SgdConfig, TrainingRun, run_sgd};
use crate::target::PiecewiseConstant;

/// SGD (`m = 20`, `eta = 4e-3`, `eps = 2e-5`, slow time 0.035; `h = 1e-3` at quick scale,
/// `1e-5` at paper scale) against the sharp two-timescale limit and the finite-width reduced
/// flow, from the same admissible initial positions.
pub struct SgdVsLimit;

const TAU_END: f64 = 0.035;
const EPS: f64 = 2e-5;
/// Coarse-to-fine (h, eps) pairs over which the distance to the limit must shrink.
const LADDER: [(f64, f64); 3] = [(4e-3, 8e-5), (2e-3, 4e-5), (1e-3, 2e-5)];

fn max_distance(run: &TrainingRun, limit: &[Vec<f64>]) -> f64 {
    run.records
        .iter()
        .zip(limit)
        .flat_map(|(r, l)| r.network.positions.iter().zip(l).map(|(a, b)| (a - b).abs()))
        .fold(0.0, f64::max)
}

impl Experiment for SgdVsLimit {
    fn name(&self) -> &'static str {
        "two-timescale-sgd-vs-limit"
    }
    fn title(&self) -> &'static str {
        "Two-timescale SGD follows the limit dynamics and covers every jump"
    }
    fn paper(&self) -> &'static str {
        PAPER
    }
    fn summary(&self) -> &'static str {
        "A width-20 network of smoothed steps learns a five-jump piecewise-constant target by \
         one-sample SGD whose positions move 2e-5 times slower than the outer weights. The \
         positions follow the two-timescale limit, in which the outer weights are always \
         optimal and the two neurons flanking each jump slide towards it until one is \
         absorbed. The experiment overlays SGD and limit trajectories, reports their distance \
         for decreasing step sizes, checks that every jump ends with a neuron on it and that \
         the loss reaches the floor (eta/28) sum Delta^2."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 8 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let target = PiecewiseConstant::paper();
        let init = super::admissible(ctx.seed, 0, &target)?;
        let h = ctx.scale.pick(1e-3, 1e-5);
        let records = 100;
        let config = SgdConfig::new(h, EPS, TAU_END)?.with_records(records)?;
        let net = Network::with_positions(ETA, init.positions.clone())?;
        let mut out = ExperimentOutput::default();
        out.param("m", WIDTH).param("eta", ETA).param("eps", EPS).param("h", h);
        out.param("tau_end", TAU_END).param("steps", config.steps()).param("noise", 1.0);
        out.param("initial_draws", init.draws);

        ctx.progress(0.0, "SGD");
        let run = run_sgd(&net, &target, &config, &mut ctx.seed.stream("sgd"))?;
        let taus = run.taus();
        ctx.progress(0.6, "limit dynamics");
        let sharp = SharpLimit::default().integrate(&init.positions, &target, TAU_END, &taus)?;
        let finite =
            integrate_reduced_flow(&init.positions, ETA, &target, TAU_END, &taus, 1e-8, 1e-10)?;

        // Distances over the ladder of step sizes (same initial positions and seed).
        ctx.progress(0.7, "step-size ladder");
        let mut ladder_sharp = Vec::new();
        let mut ladder_finite = Vec::new();
        for (k, &(hk, ek)) in LADDER.iter().enumerate() {
            let cfg = SgdConfig::new(hk, ek, TAU_END)?.with_records(records)?;
            let r = if k == LADDER.len() - 1 && ctx.scale == megavolt_core::Scale::Quick {
                run.clone()
            } else {
                run_sgd(&net, &target, &cfg, &mut ctx.seed.indexed("ladder", k as u64))?
            };
            ladder_sharp.push(max_distance(&r, &sharp.positions));
            ladder_finite.push(max_distance(&r, &finite.positions));
        }
        for (k, &(hk, ek)) in LADDER.iter().enumerate() {
            out.metrics.push(Metric::new(
                format!(
                    "max |u_SGD - u_limit| over tau, sharp limit, h = {hk:.0e}, eps = {ek:.0e}"
                ),
                ladder_sharp[k],
            ));
            out.metrics.push(Metric::new(
                format!(
                    "max |u_SGD - u_limit| over tau, eta = 4e-3 limit, h = {hk:.0e}, eps = {ek:.0e}"
                ),
                ladder_finite[k],
            ));
        }
        out.metrics.push(
            Metric::new(
                "distance to the eta = 4e-3 limit, finest / coarsest (h, eps)",
                ladder_finite[LADDER.len() - 1] / ladder_finite[0],
            )
            .with_reference(1.0, "must shrink as h and eps shrink")
            .with_check(Check::AtMost),
        );
        let main_sharp = max_distance(&run, &sharp.positions);
        let main_finite = max_distance(&run, &finite.positions);
        out.metrics.push(Metric::new("max |u_SGD - u_limit|, main run, sharp limit", main_sharp));
        out.metrics
            .push(Metric::new("max |u_SGD - u_limit|, main run, eta = 4e-3 limit", main_finite));

        let d = jump_distances(&run.network.positions, &target);
        let worst = d.iter().copied().fold(0.0, f64::max);
        out.metrics.push(
            Metric::new("largest distance from a jump to its nearest neuron", worst)
                .with_reference(ETA / 4.0, "a quarter of the unit width (every jump covered)")
                .with_check(Check::AtMost),
        );
        let floor = target.loss_floor(ETA);
        out.metrics.push(
            Metric::new("final population loss", run.final_loss())
                .with_reference(floor, "loss floor (eta/28) sum Delta_k^2 = 2 eta")
                .with_check(Check::Rel(ctx.scale.pick(0.5, 0.1))),
        );
        out.metrics.push(
            Metric::new("absorptions in the sharp limit", sharp.absorptions.len() as f64)
                .with_reference(target.n_jumps() as f64, "one neuron per jump")
                .with_check(Check::Abs(0.0)),
        );

        // Figures and tables.
        let m = WIDTH;
        let mut pos_panel = Panel::new("positions", "slow time tau", "u_j");
        let mut cols: Vec<(String, Vec<f64>)> = vec![("tau".into(), taus.clone())];
        for j in 0..m {
            let sgd_j: Vec<f64> = run.records.iter().map(|r| r.network.positions[j]).collect();
            let lim_j: Vec<f64> = sharp.positions.iter().map(|u| u[j]).collect();
            let fin_j: Vec<f64> = finite.positions.iter().map(|u| u[j]).collect();
            let (l1, l2) = if j == 0 { ("SGD", "sharp limit") } else { ("", "") };
            pos_panel = pos_panel
                .curve(Curve::new(l1, taus.clone(), sgd_j.clone(), Style::Line))
                .curve(Curve::new(l2, taus.clone(), lim_j.clone(), Style::Dashed));
            cols.push((format!("u_sgd_{j}"), sgd_j));
            cols.push((format!("u_limit_{j}"), lim_j));
            cols.push((format!("u_limit_eta_{j}"), fin_j));
        }
        for &v in target.jumps() {
            pos_panel =
                pos_panel.curve(Curve::new("", vec![0.0, TAU_END], vec![v, v], Style::Dashed));
        }
        let lim_loss: Vec<f64> = sharp
            .positions
            .iter()
            .map(|u| sharp_reduced_loss(u, &target))
            .collect::<Result<_, _>>()?;
        let loss_panel = Panel::new("population loss", "slow time tau", "L")
            .log(false, true)
            .curve(Curve::new("SGD", taus.clone(), run.losses(), Style::Line))
            .curve(Curve::new(
                "sharp-limit reduced loss + floor",
                taus.clone(),
                lim_loss.iter().map(|l| l + floor).collect(),
                Style::Dashed,
            ))
            .curve(Curve::new(
                "floor 2 eta",
                vec![0.0, TAU_END],
                vec![floor, floor],
                Style::Dashed,
            ));
        out.figures.push(Figure::new(
            "positions",
            "Positions u_j(tau) of SGD (solid) and of the sharp two-timescale limit (dashed); \
             horizontal dashed lines are the target's jumps. Right: exact population loss.",
            vec![pos_panel, loss_panel],
        ));
        let ladder_h: Vec<f64> = LADDER.iter().map(|p| p.0).collect();
        out.figures.push(Figure::new(
            "distance",
            "Largest distance between SGD and limit positions over the run, for (h, eps) = \
             (4e-3, 8e-5), (2e-3, 4e-5), (1e-3, 2e-5).",
            vec![
                Panel::new("SGD vs limit", "outer step h (eps = h / 50)", "max |u_SGD - u_limit|")
                    .log(true, true)
                    .curve(Curve::new(
                        "sharp limit",
                        ladder_h.clone(),
                        ladder_sharp.clone(),
                        Style::Points,
                    ))
                    .curve(Curve::new(
                        "eta = 4e-3 limit",
                        ladder_h.clone(),
                        ladder_finite.clone(),
                        Style::Points,
                    )),
            ],
        ));
        let mut series_cols: Vec<(&str, Vec<f64>)> =
            cols.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        series_cols.push(("loss_sgd", run.losses()));
        series_cols.push(("reduced_loss_sharp", lim_loss));
        out.series.push(Series::new("trajectories", series_cols));
        out.series.push(Series::new(
            "ladder",
            vec![
                ("h", ladder_h),
                ("eps", LADDER.iter().map(|p| p.1).collect()),
                ("dist_sharp", ladder_sharp),
                ("dist_eta", ladder_finite),
            ],
        ));
        let flat: Vec<f64> = run.records.iter().flat_map(|r| r.network.positions.clone()).collect();
        out.arrays.push(NamedArray::new("sgd_positions", vec![run.records.len(), m], flat));
        out.notes.push(format!(
            "Initial positions needed {} draw(s) to put two neurons in every constant piece.",
            init.draws
        ));
        out.notes.push(
            "No convergence rate of SGD to the limit is proven: distances are reported without \
             verdict, except that they must shrink with (h, eps). The sharp limit differs from \
             the eta = 4e-3 dynamics by O(eta) near the jumps."
                .into(),
        );
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
