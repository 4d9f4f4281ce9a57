//! The two-neurons-per-piece condition on initial positions, and re-draws.

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};

use super::{PAPER, WIDTH};
use crate::init::{check_subdivision, draw_admissible, subdivision_probability};
use crate::network::sorted_uniform;
use crate::target::PiecewiseConstant;

/// Monte Carlo frequency of admissible uniform draws against the exact multinomial
/// probability, and the number of re-draws needed per seed against its geometric law.
pub struct InitRedraw;

impl Experiment for InitRedraw {
    fn name(&self) -> &'static str {
        "two-timescale-init-redraw"
    }
    fn title(&self) -> &'static str {
        "How often uniform initial positions put two neurons in every constant piece"
    }
    fn paper(&self) -> &'static str {
        PAPER
    }
    fn summary(&self) -> &'static str {
        "The convergence analysis needs at least two neurons in every constant piece of the \
         target at initialisation. For 20 sorted uniform positions and the paper's target this \
         holds with probability about one third, computed exactly as a multinomial sum. Draws \
         failing the condition are replaced by the next random stream; the number of draws is \
         geometric with mean 1/p. The experiment checks both laws by Monte Carlo."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let target = PiecewiseConstant::paper();
        let p = subdivision_probability(&target, WIDTH, 2);
        let n = ctx.scale.pick(20_000u64, 400_000);
        let n_seeds = ctx.scale.pick(2_000u64, 40_000);
        let mut out = ExperimentOutput::default();
        out.param("m", WIDTH).param("draws", n).param("seeds", n_seeds).param("required", 2);
        let hits = (0..n)
            .filter(|&k| {
                let u = sorted_uniform(WIDTH, &mut ctx.seed.indexed("mc", k));
                check_subdivision(&u, &target, 2).is_ok()
            })
            .count() as f64;
        let freq = hits / n as f64;
        out.metrics.push(
            Metric::new("frequency of admissible draws", freq)
                .with_reference(p, "exact multinomial probability")
                .with_std_error((p * (1.0 - p) / n as f64).sqrt())
                .with_check(Check::Sigmas(4.0)),
        );
        ctx.progress(0.5, "re-draws");
        let mut counts = Vec::with_capacity(n_seeds as usize);
        for k in 0..n_seeds {
            let d = draw_admissible(
                ctx.seed.derive(&format!("member-{k}")),
                "init",
                &target,
                WIDTH,
                2,
                100_000,
            )?;
            counts.push(d.draws as f64);
        }
        let ms = megavolt_core::stats::mean_se(&counts);
        let (mean, se) = (ms.mean, ms.std_error);
        out.metrics.push(
            Metric::new("mean number of draws", mean)
                .with_reference(1.0 / p, "geometric law, mean 1/p")
                .with_std_error(se)
                .with_check(Check::Sigmas(4.0)),
        );
        let max_k = counts.iter().copied().fold(0.0, f64::max) as usize;
        let ks: Vec<f64> = (1..=max_k).map(|k| k as f64).collect();
        let emp: Vec<f64> = ks
            .iter()
            .map(|k| {
                counts.iter().filter(|c| (**c - k).abs() < 0.5).count() as f64 / n_seeds as f64
            })
            .collect();
        let geo: Vec<f64> = ks.iter().map(|k| p * (1.0 - p).powf(k - 1.0)).collect();
        out.figures.push(Figure::new(
            "draws",
            "Distribution of the number of draws needed for admissible initial positions \
             (points) and the geometric law with the exact acceptance probability (dashed).",
            vec![
                Panel::new("re-draws", "draws", "frequency")
                    .log(false, true)
                    .curve(Curve::new("observed", ks.clone(), emp.clone(), Style::Points))
                    .curve(Curve::new("geometric(p)", ks.clone(), geo.clone(), Style::Dashed)),
            ],
        ));
        out.series
            .push(Series::new("draws", vec![("draws", ks), ("observed", emp), ("geometric", geo)]));
        out.notes.push(format!("Exact acceptance probability p = {p:.6} for m = {WIDTH}."));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
