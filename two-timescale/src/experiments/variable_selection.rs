//! Variable selection with the additive model in two and ten dimensions.

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};

use super::PAPER;
use crate::additive::{AdditiveNetwork, AdditiveRun, AdditiveTarget, run_additive_gd};
use crate::loss::jump_distances;
use crate::target::PiecewiseConstant;

/// Additive networks (10 units per coordinate, `eta = 0.01`) trained by gradient descent on
/// the exact population loss, in `d = 2` (one relevant coordinate) and `d = 10` (three
/// relevant coordinates); each relevant component is `1[x > 0.3] + 1[x > 0.5] + 1[x > 0.7]`.
/// Two-timescale (`eps = 0.01`) against equal steps (`eps = 1`) for the same number of
/// steps, over 5 seeds (quick) or 20 seeds (paper).
pub struct VariableSelection;

const ETA: f64 = 0.01;
const UNITS: usize = 10;
const EPS_TWO: f64 = 0.01;
const TAU_END: f64 = 0.5;
const COVER_TOL: f64 = 0.01;

struct Summary {
    covered: bool,
    /// Largest irrelevant component deviation over the smallest relevant one.
    irrelevant_deviation: f64,
    max_irrelevant_weight: f64,
    max_irrelevant_move: f64,
    loss: f64,
}

fn summarise(init: &AdditiveNetwork, run: &AdditiveRun, target: &AdditiveTarget) -> Summary {
    let fin = &run.network;
    let mut covered = true;
    let (mut w, mut mv, mut dev, mut rel_dev) = (0.0f64, 0.0f64, 0.0f64, f64::INFINITY);
    for (k, comp) in target.components().iter().enumerate() {
        if comp.n_jumps() > 0 {
            covered &= jump_distances(&fin.positions[k], comp).iter().all(|d| *d <= COVER_TOL);
            rel_dev = rel_dev.min(fin.component_deviation(k));
        } else {
            w = fin.outer[k].iter().fold(w, |m, a| m.max(a.abs()));
            dev = dev.max(fin.component_deviation(k));
            mv = fin.positions[k]
                .iter()
                .zip(&init.positions[k])
                .fold(mv, |m, (a, b)| m.max((a - b).abs()));
        }
    }
    Summary {
        covered,
        irrelevant_deviation: dev / rel_dev,
        max_irrelevant_weight: w,
        max_irrelevant_move: mv,
        loss: run.records.last().map_or(f64::NAN, |r| r.loss),
    }
}

impl Experiment for VariableSelection {
    fn name(&self) -> &'static str {
        "two-timescale-variable-selection"
    }
    fn title(&self) -> &'static str {
        "Variable selection by an additive two-timescale network in 2 and 10 dimensions"
    }
    fn paper(&self) -> &'static str {
        PAPER
    }
    fn summary(&self) -> &'static str {
        "Beyond the univariate theory: an additive network sum_k sum_j a_jk sigma(x_k - u_jk) \
         learns a target that depends on only some coordinates. In the two-timescale regime, \
         the outer weights of an irrelevant coordinate stay at their optimum, zero, so its \
         neurons do not move, while the relevant coordinates cover their jumps. With equal \
         step sizes, neurons react to transient weights. The experiment reports, in 2 and 10 \
         dimensions, the fraction of runs covering every relevant jump, the largest irrelevant \
         outer weight and the largest displacement of an irrelevant neuron."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 4 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let n_seeds = ctx.scale.pick(5u64, 20);
        let steps3 = PiecewiseConstant::new(0.0, vec![0.3, 0.5, 0.7], vec![1.0, 1.0, 1.0])?;
        let flat = PiecewiseConstant::new(0.0, vec![], vec![])?;
        let mut out = ExperimentOutput::default();
        out.param("eta", ETA).param("units_per_coordinate", UNITS).param("seeds", n_seeds);
        out.param("eps_two_timescale", EPS_TWO).param("tau_end_two_timescale", TAU_END);
        out.param("cover_tol", COVER_TOL);
        let mut loss_curves = Vec::new();
        for (di, (d, relevant)) in [(2usize, 1usize), (10, 3)].into_iter().enumerate() {
            let comps =
                (0..d).map(|k| if k < relevant { steps3.clone() } else { flat.clone() }).collect();
            let target = AdditiveTarget::new(comps)?;
            // Outer step below the stability limit 1 / lambda_max of the Gram matrix, which
            // grows like the number of units (their means add up).
            let h = 0.5 / (1.0 + (d * UNITS) as f64 / 3.0);
            let steps = (TAU_END / (h * EPS_TWO)).round() as u64;
            out.param(&format!("h_d{d}"), h).param(&format!("steps_d{d}"), steps);
            let mut res: Vec<(Summary, Summary)> = Vec::new();
            for k in 0..n_seeds {
                ctx.progress((di as f64 + k as f64 / n_seeds as f64) / 2.0, "additive runs");
                let init = AdditiveNetwork::uniform(
                    ETA,
                    d,
                    UNITS,
                    &mut ctx.seed.indexed(&format!("init-d{d}"), k),
                )?;
                let two = run_additive_gd(&init, &target, h, EPS_TWO, steps, 50)?;
                let std = run_additive_gd(&init, &target, h, 1.0, steps, 50)?;
                if k == 0 {
                    let t = |r: &AdditiveRun| {
                        r.records.iter().map(|x| x.step as f64).collect::<Vec<_>>()
                    };
                    let l = |r: &AdditiveRun| r.records.iter().map(|x| x.loss).collect::<Vec<_>>();
                    loss_curves.push(Curve::new(
                        format!("d = {d}, eps = 0.01"),
                        t(&two),
                        l(&two),
                        Style::Line,
                    ));
                    loss_curves.push(Curve::new(
                        format!("d = {d}, eps = 1"),
                        t(&std),
                        l(&std),
                        Style::Dashed,
                    ));
                }
                res.push((summarise(&init, &two, &target), summarise(&init, &std, &target)));
            }
            let frac = |f: &dyn Fn(&(Summary, Summary)) -> bool| {
                res.iter().filter(|r| f(r)).count() as f64 / res.len() as f64
            };
            let max =
                |f: &dyn Fn(&(Summary, Summary)) -> f64| res.iter().map(f).fold(0.0, f64::max);
            out.metrics.push(
                Metric::new(
                    format!("d = {d}: fraction of runs covering every relevant jump, eps = 0.01"),
                    frac(&|r| r.0.covered),
                )
                .with_reference(
                    1.0,
                    "two-timescale convergence (observed in the paper's notebooks)",
                ),
            );
            out.metrics.push(Metric::new(
                format!("d = {d}: fraction of runs covering every relevant jump, eps = 1"),
                frac(&|r| r.1.covered),
            ));
            out.metrics.push(
                Metric::new(
                    format!("d = {d}: irrelevant / relevant component L2 deviation, eps = 0.01"),
                    max(&|r| r.0.irrelevant_deviation),
                )
                .with_reference(
                    0.01,
                    "irrelevant components two orders of magnitude below relevant ones",
                )
                .with_check(Check::AtMost),
            );
            out.metrics.push(Metric::new(
                format!("d = {d}: irrelevant / relevant component L2 deviation, eps = 1"),
                max(&|r| r.1.irrelevant_deviation),
            ));
            out.metrics.push(Metric::new(
                format!("d = {d}: largest irrelevant outer weight, eps = 0.01"),
                max(&|r| r.0.max_irrelevant_weight),
            ));
            out.metrics.push(Metric::new(
                format!("d = {d}: largest irrelevant outer weight, eps = 1"),
                max(&|r| r.1.max_irrelevant_weight),
            ));
            out.metrics.push(
                Metric::new(
                    format!("d = {d}: largest displacement of an irrelevant neuron, eps = 0.01"),
                    max(&|r| r.0.max_irrelevant_move),
                )
                .with_reference(0.0, "neurons of an irrelevant coordinate stay put")
                .with_check(Check::AbsBelow(ETA)),
            );
            out.metrics.push(Metric::new(
                format!("d = {d}: largest displacement of an irrelevant neuron, eps = 1"),
                max(&|r| r.1.max_irrelevant_move),
            ));
            let floor = ETA / 28.0 * 3.0 * relevant as f64;
            out.metrics.push(
                Metric::new(
                    format!("d = {d}: median final loss, eps = 0.01"),
                    super::median(&res.iter().map(|r| r.0.loss).collect::<Vec<_>>()),
                )
                .with_reference(floor, "loss floor (eta/28) sum Delta^2 over relevant coordinates"),
            );
            out.metrics.push(Metric::new(
                format!("d = {d}: median final loss, eps = 1"),
                super::median(&res.iter().map(|r| r.1.loss).collect::<Vec<_>>()),
            ));
            out.series.push(Series::new(
                format!("runs_d{d}"),
                vec![
                    ("covered_two", res.iter().map(|r| f64::from(u8::from(r.0.covered))).collect()),
                    (
                        "covered_eps1",
                        res.iter().map(|r| f64::from(u8::from(r.1.covered))).collect(),
                    ),
                    (
                        "irrelevant_deviation_two",
                        res.iter().map(|r| r.0.irrelevant_deviation).collect(),
                    ),
                    (
                        "irrelevant_deviation_eps1",
                        res.iter().map(|r| r.1.irrelevant_deviation).collect(),
                    ),
                    (
                        "irrelevant_weight_two",
                        res.iter().map(|r| r.0.max_irrelevant_weight).collect(),
                    ),
                    (
                        "irrelevant_weight_eps1",
                        res.iter().map(|r| r.1.max_irrelevant_weight).collect(),
                    ),
                    ("irrelevant_move_two", res.iter().map(|r| r.0.max_irrelevant_move).collect()),
                    ("irrelevant_move_eps1", res.iter().map(|r| r.1.max_irrelevant_move).collect()),
                    ("loss_two", res.iter().map(|r| r.0.loss).collect()),
                    ("loss_eps1", res.iter().map(|r| r.1.loss).collect()),
                ],
            ));
        }
        let mut panel = Panel::new("population loss (first seed)", "step", "L").log(false, true);
        for c in loss_curves {
            panel = panel.curve(c);
        }
        out.figures.push(Figure::new(
            "loss",
            "Exact population loss of the additive network along gradient descent, two-timescale \
             (solid) and equal steps (dashed), in 2 and 10 dimensions.",
            vec![panel],
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
