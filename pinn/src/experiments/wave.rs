//! PIKL as a solver of the wave equation.

use std::time::Instant;

use megavolt_core::experiment::{Check, Curve, ExperimentError, Figure, NamedArray, Panel, Style};
use megavolt_core::stats::rel_error_l2;
use megavolt_core::{Experiment, ExperimentOutput, Metric, RunContext};

use super::PIKL_PAPER;
use crate::problems::wave;

/// The wave equation `u_tt = 4 u_xx` on `[0, 1]^2` solved by PIKL from initial and boundary
/// data only (`m = 20`, `s = 2`, `lambda = 1e-7`, `mu = 1e-3`), relative `L^2` error on a
/// `100 x 100` grid; a comparison of `m = 15` and `m = 20` at `n = 2e4`.
#[derive(Debug, Clone, Copy, Default)]
pub struct WaveExperiment;

impl Experiment for WaveExperiment {
    fn name(&self) -> &'static str {
        "pikl-wave"
    }
    fn title(&self) -> &'static str {
        "PIKL solves the 1-D wave equation from initial and boundary data"
    }
    fn paper(&self) -> &'static str {
        PIKL_PAPER
    }
    fn summary(&self) -> &'static str {
        "The wave equation u_tt = 4 u_xx with u = sin(pi x) cos(2 pi t) + 0.5 sin(4 pi x) cos(8 pi t) is solved \
         by the physics-informed kernel estimator in PDE-solver mode: the only data are initial values, \
         zero boundary values and Taylor pseudo-data at t = 1/n encoding zero initial velocity. The \
         relative L2 error on a 100 x 100 grid is compared with the paper (Table 2) and with a second \
         implementation; more Fourier modes lower the error."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let n = ctx.scale.pick(4000, 100_000);
        let mut out = ExperimentOutput::default();
        out.param("n", n)
            .param("m", 20)
            .param("s", 2.0)
            .param("lambda", 1e-7)
            .param("mu", 1e-3)
            .param("L", 0.5);
        let grid = wave::grid();
        let data = wave::sample(ctx.seed, n, 0.0);
        let start = Instant::now();
        let model = wave::config(20, 1e-7, 1e-3)?.fit(data.x.as_ref(), &data.y)?;
        let seconds = start.elapsed().as_secs_f64();
        let pred = model.predict(grid.x.as_ref());
        let err = rel_error_l2(&pred, &grid.y);
        let mut metric = Metric::new(format!("relative L2 error, n = {n}, m = 20"), err);
        if n == 4000 {
            metric = metric.with_reference(1.8e-3, "independent NumPy implementation, n = 4000");
        }
        out.metrics.push(metric.with_check(Check::AbsBelow(3e-3)));
        out.metrics.push(Metric::new("fit time (s), assembly + solve", seconds));

        ctx.progress(0.5, "m = 15 vs m = 20 at n = 2e4");
        let data = wave::sample(ctx.seed.derive("n2e4"), 20_000, 0.0);
        let mut errs = Vec::new();
        for m in [15, 20] {
            let model = wave::config(m, 1e-7, 1e-3)?.fit(data.x.as_ref(), &data.y)?;
            errs.push(rel_error_l2(&model.predict(grid.x.as_ref()), &grid.y));
        }
        out.metrics.push(
            Metric::new("relative L2 error, n = 2e4, m = 15", errs[0])
                .with_reference(3.6e-3, "independent NumPy implementation"),
        );
        out.metrics.push(Metric::new("relative L2 error, n = 2e4, m = 20", errs[1]));
        out.metrics.push(
            Metric::new("error ratio m = 15 / m = 20 at n = 2e4", errs[0] / errs[1])
                .with_reference(1.0, "more modes resolve the 8 pi t component better")
                .with_check(Check::AtLeast),
        );
        if ctx.scale == megavolt_core::Scale::Paper {
            // Noisy boundary and initial data (sd 0.1), n = 4e4.
            let noisy = wave::sample(ctx.seed.derive("noisy"), 40_000, 0.1);
            let model = wave::config(20, 1e-7, 1e-3)?.fit(noisy.x.as_ref(), &noisy.y)?;
            out.metrics.push(
                Metric::new(
                    "relative L2 error, noisy data (sd 0.1), n = 4e4",
                    rel_error_l2(&model.predict(grid.x.as_ref()), &grid.y),
                )
                .with_reference(
                    1.88e-2,
                    "Doumèche et al. 2025, noisy wave benchmark (mean of 10 runs, std 6.2e-3)",
                ),
            );
        }

        let xs: Vec<f64> = (0..100).map(|q| q as f64 / 99.0).collect();
        let mut panels = Vec::new();
        for (label, row) in [("t = 0.25", 25), ("t = 0.75", 74)] {
            let idx = |q: usize| row * 100 + q;
            panels.push(
                Panel::new(label, "x", "u")
                    .curve(Curve::new(
                        "exact",
                        xs.clone(),
                        (0..100).map(|q| grid.y[idx(q)]).collect(),
                        Style::Line,
                    ))
                    .curve(Curve::new(
                        "PIKL",
                        xs.clone(),
                        (0..100).map(|q| pred[idx(q)]).collect(),
                        Style::Dashed,
                    )),
            );
        }
        out.figures.push(Figure::new(
            "wave_slices",
            "PIKL and exact solution of the wave equation at two times",
            panels,
        ));
        out.arrays.push(NamedArray::new("wave_prediction", vec![100, 100], pred));
        Ok(out)
    }
}
