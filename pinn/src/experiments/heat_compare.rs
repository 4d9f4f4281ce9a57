//! A PINN and PIKL on the same heat problem: error and time.

use std::time::Instant;

use faer::Mat;
use megavolt_core::experiment::{Check, Curve, ExperimentError, Figure, Panel, Series, Style};
use megavolt_core::stats::rel_error_l2;
use megavolt_core::{Experiment, ExperimentOutput, Metric, RunContext};

use super::PINN_PAPER;
use crate::jet::{JetSpec, TanhNet};
use crate::pikl::PiklConfig;
use crate::pinn::{PinnProblem, TrainConfig, train};
use crate::problems::heat;

/// PIKL settings for the heat problem in PDE-solver mode (inputs centred into `[-1/2, 1/2]^2`).
pub(crate) fn heat_pikl(m: usize) -> crate::Result<PiklConfig> {
    PiklConfig::builder(2, 0.5)
        .modes(m)
        .sobolev_order(2.0)
        .lambda(1e-9)
        .mu(1e-2)
        .operator(heat::operator())
        .build()
}

/// The heat equation `u_t = u_xx`, `u(0, x) = sin(pi x)`, zero boundary values, on `[0, 1]^2`,
/// solved by a `3 x 10` tanh PINN (Adam then L-BFGS) and by PIKL from the same initial and
/// boundary points; relative `L^2` errors on a `100 x 100` grid and wall-clock times.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeatComparison;

impl Experiment for HeatComparison {
    fn name(&self) -> &'static str {
        "pinn-vs-pikl-heat"
    }
    fn title(&self) -> &'static str {
        "PINN against PIKL on the heat equation: error and time"
    }
    fn paper(&self) -> &'static str {
        PINN_PAPER
    }
    fn summary(&self) -> &'static str {
        "The heat equation with initial profile sin(pi x) and zero boundary values is solved twice: by a \
         physics-informed network with three hidden tanh layers of width 10 (full-batch Adam, then \
         L-BFGS), and by the physics-informed kernel estimator in PDE-solver mode from the same initial \
         and boundary points. Both are scored by the relative L2 error against exp(-pi^2 t) sin(pi x) \
         on a 100 x 100 grid and timed."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 4 min on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let n_colloc = ctx.scale.pick(2000, 10_000);
        let (n_boundary, n_initial) = (200, 100);
        let cfg = ctx.scale.pick(
            TrainConfig {
                adam_steps: 1000,
                adam_lr: 1e-2,
                lbfgs_iters: 500,
                ..TrainConfig::default()
            },
            TrainConfig {
                adam_steps: 5000,
                adam_lr: 1e-3,
                lbfgs_iters: 0,
                ..TrainConfig::default()
            },
        );
        let mut out = ExperimentOutput::default();
        out.param("n_collocation", n_colloc)
            .param("n_boundary", n_boundary)
            .param("n_initial", n_initial);
        out.param("network", [2, 10, 10, 10, 1]).param("train", cfg);
        let grid = heat::grid();
        let (init, bnd) = heat::initial_and_boundary(ctx.seed, n_initial, n_boundary);

        ctx.progress(0.0, "PINN");
        let problem = PinnProblem::builder(heat::operator(), heat::collocation(ctx.seed, n_colloc))
            .condition("initial", init.x.clone(), init.y.clone())
            .condition("boundary", bnd.x.clone(), bnd.y.clone())
            .build()?;
        let mut net = TanhNet::glorot(&[2, 10, 10, 10, 1], &mut ctx.seed.stream("pinn/init"))?;
        let start = Instant::now();
        let report = train(&problem, &mut net, &cfg)?;
        let pinn_time = start.elapsed().as_secs_f64();
        let pinn_pred = net.forward(grid.x.as_ref(), &JetSpec::values(2)).value();
        let pinn_err = rel_error_l2(&pinn_pred, &grid.y);
        let mut m = Metric::new("PINN relative L2 error", pinn_err);
        if ctx.scale == megavolt_core::Scale::Paper {
            m = m.with_check(Check::AbsBelow(3e-2));
        }
        out.metrics.push(m);
        out.metrics.push(Metric::new("PINN training time (s)", pinn_time));

        ctx.progress(0.7, "PIKL");
        let centred = |s: &Mat<f64>| Mat::from_fn(2, s.ncols(), |i, j| s[(i, j)] - 0.5);
        let xs = centred(&init.x);
        let xb = centred(&bnd.x);
        let x = Mat::from_fn(2, xs.ncols() + xb.ncols(), |i, j| {
            if j < xs.ncols() { xs[(i, j)] } else { xb[(i, j - xs.ncols())] }
        });
        let y: Vec<f64> = init.y.iter().chain(&bnd.y).copied().collect();
        let start = Instant::now();
        let model = heat_pikl(15)?.fit(x.as_ref(), &y)?;
        let pikl_time = start.elapsed().as_secs_f64();
        let pikl_pred = model.predict(centred(&grid.x).as_ref());
        let pikl_err = rel_error_l2(&pikl_pred, &grid.y);
        out.metrics.push(Metric::new("PIKL relative L2 error (m = 15, same 300 points)", pikl_err));
        out.metrics.push(Metric::new("PIKL fit time (s)", pikl_time));
        out.metrics.push(
            Metric::new("PIKL error / PINN error", pikl_err / pinn_err)
                .with_reference(
                    1.0,
                    "the kernel estimator is exact in its span and should win on a linear PDE",
                )
                .with_check(Check::AtMost),
        );

        let (it, loss): (Vec<f64>, Vec<f64>) =
            report.history.iter().map(|&(i, l)| (i as f64, l)).unzip();
        out.series.push(Series::new(
            "pinn_heat_loss",
            vec![("iteration", it.clone()), ("loss", loss.clone())],
        ));
        let xs: Vec<f64> = (0..100).map(|q| q as f64 / 99.0).collect();
        let row = 20;
        out.figures.push(Figure::new(
            "heat_pinn_pikl",
            "Training loss of the PINN, and both solutions at t = 0.2",
            vec![
                Panel::new("PINN loss", "iteration", "loss").log(false, true).curve(Curve::new(
                    "loss",
                    it,
                    loss,
                    Style::Line,
                )),
                Panel::new("t = 0.2", "x", "u")
                    .curve(Curve::new(
                        "exact",
                        xs.clone(),
                        (0..100).map(|q| grid.y[row * 100 + q]).collect(),
                        Style::Line,
                    ))
                    .curve(Curve::new(
                        "PINN",
                        xs.clone(),
                        (0..100).map(|q| pinn_pred[row * 100 + q]).collect(),
                        Style::Dashed,
                    ))
                    .curve(Curve::new(
                        "PIKL",
                        xs,
                        (0..100).map(|q| pikl_pred[row * 100 + q]).collect(),
                        Style::Points,
                    )),
            ],
        ));
        Ok(out)
    }
}
