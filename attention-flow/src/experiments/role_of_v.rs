//! `role-of-v`: the limiting geometry of the R^d Transformer ODE for three value matrices.

use faer::Mat;
use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};
use megavolt_core::ode::Output;
use megavolt_core::rng::uniform_mat;

use crate::observables::{convex_hull_2d, diameter, hull_area_2d};
use crate::{Scheme, SimOptions, Transformer, rescaled, simulate};

/// The Transformer ODE `dx_i/dt = sum_j softmax_j(<x_i, x_j>) V x_j` in `R^2` (`Q = K = I`,
/// `beta = 1`), `n = 20` tokens uniform in `[-5, 5]^2`, RK4 with step `0.01` on `[0, T]`
/// (`T = 5` quick, `8` paper), observed in the rescaled tokens `z_i = e^{-tV} x_i`:
///
/// | `V` | prediction (NeurIPS 2023) | measured |
/// |---|---|---|
/// | `I` | `z_i` converge to the vertices of a convex polytope; the hull of `{z_i}` shrinks | hull area over time, distance of each `z_i` to the nearest hull vertex |
/// | `-I` | a single cluster at the origin | largest `|x_i(T)|` |
/// | `diag(1, 1/2)` | the components of `z_i` along the top eigenvector take at most 3 values | number of distinct values |
#[derive(Debug, Clone, Copy, Default)]
pub struct RoleOfV;

const N: usize = 20;
const STEP: f64 = 0.01;

/// Distinct values of a sample, merging values closer than `tol`.
fn distinct(values: &mut [f64], tol: f64) -> usize {
    values.sort_by(f64::total_cmp);
    1 + values.windows(2).filter(|w| w[1] - w[0] > tol).count()
}

fn points(label: &str, x: &Mat<f64>) -> Curve {
    Curve::new(
        label,
        (0..x.ncols()).map(|j| x[(0, j)]).collect(),
        (0..x.ncols()).map(|j| x[(1, j)]).collect(),
        Style::Points,
    )
}

impl Experiment for RoleOfV {
    fn name(&self) -> &'static str {
        "role-of-v"
    }

    fn title(&self) -> &'static str {
        "Role of the value matrix: polytope, origin, hyperplanes"
    }

    fn paper(&self) -> &'static str {
        "B. Geshkovski, C. Letrouit, Y. Polyanskiy, P. Rigollet, The emergence of clusters in \
         self-attention dynamics, NeurIPS 2023"
    }

    fn summary(&self) -> &'static str {
        "Tokens in R^2 under pure self-attention with Q = K = I and three value matrices, \
         observed in the rescaled variables z = e^{-tV} x in which the NeurIPS 2023 theorems \
         are stated. V = I: the z_i converge to the vertices of a convex polytope and their \
         convex hull shrinks; V = -I: all tokens collapse to the origin; V with a simple \
         positive top eigenvalue: the z-components along its eigenvector approach at most \
         three values."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let t_end: f64 = ctx.scale.pick(5.0, 8.0);
        let mut out = ExperimentOutput::default();
        out.param("n", N)
            .param("d", 2)
            .param("beta", 1.0)
            .param("step", STEP)
            .param("t_end", t_end)
            .param("start", "uniform in [-5, 5]^2, stream \"tokens\"")
            .param("seed", ctx.seed.value());
        let x0 = uniform_mat(&mut ctx.seed.stream("tokens"), 2, N, -5.0, 5.0);
        let n_out = 50;
        let times: Vec<f64> = (0..=n_out).map(|k| t_end * k as f64 / n_out as f64).collect();
        let opts = SimOptions { output: Output::Times(times.clone()), ..SimOptions::default() };
        let ident = Mat::<f64>::identity(2, 2);
        let mut panels = Vec::new();

        // V = I.
        ctx.progress(0.0, "V = I");
        let v = ident.clone();
        let model = Transformer::single(ident.clone(), ident.clone(), v.clone(), 1.0)?;
        let traj = simulate(&model, x0.as_ref(), t_end, Scheme::Rk4 { step: STEP }, &opts)?;
        let z: Vec<Mat<f64>> =
            traj.t.iter().zip(&traj.x).map(|(&t, x)| rescaled(x.as_ref(), v.as_ref(), t)).collect();
        let areas: Vec<f64> = z.iter().map(|z| hull_area_2d(z.as_ref())).collect();
        let max_rise =
            areas.windows(2).map(|w| (w[1] - w[0]) / areas[0]).fold(f64::NEG_INFINITY, f64::max);
        out.metrics.push(
            Metric::new(
                "V = I: largest relative increase of the hull area of z between outputs",
                max_rise,
            )
            .with_reference(0.0, "hull of z non-increasing (NeurIPS 2023, V = I)")
            .with_check(Check::AtMost),
        );
        let z_end = z.last().ok_or("no output")?;
        let hull = convex_hull_2d(z_end.as_ref());
        let far = (0..N)
            .map(|i| {
                hull.iter()
                    .map(|&h| (z_end[(0, i)] - z_end[(0, h)]).hypot(z_end[(1, i)] - z_end[(1, h)]))
                    .fold(f64::INFINITY, f64::min)
            })
            .fold(0.0, f64::max);
        out.metrics.push(Metric::new(
            "V = I: hull vertices of z at t = 0",
            convex_hull_2d(x0.as_ref()).len() as f64,
        ));
        out.metrics.push(Metric::new(
            format!("V = I: hull vertices of z at t = {t_end}"),
            hull.len() as f64,
        ));
        out.metrics.push(Metric::new(
            format!("V = I: largest distance of z_i(T) to a hull vertex, T = {t_end}"),
            far,
        ));
        out.series.push(Series::new(
            "v-identity-hull-area",
            vec![("t", traj.t.clone()), ("area", areas)],
        ));
        panels.push(
            Panel::new("V = I (z = e^{-t} x)", "z_1", "z_2")
                .equal_aspect()
                .curve(points("t = 0", &x0))
                .curve(points(&format!("t = {t_end}"), z_end)),
        );

        // V = -I.
        ctx.progress(0.33, "V = -I");
        let v = -ident.clone();
        let model = Transformer::single(ident.clone(), ident.clone(), v, 1.0)?;
        let traj = simulate(&model, x0.as_ref(), t_end, Scheme::Rk4 { step: STEP }, &opts)?;
        let norms: Vec<f64> = traj
            .x
            .iter()
            .map(|x| (0..N).map(|j| x[(0, j)].hypot(x[(1, j)])).fold(0.0, f64::max))
            .collect();
        out.metrics.push(Metric::new(
            format!("V = -I: largest |x_i(T)|, T = {t_end}"),
            *norms.last().unwrap_or(&0.0),
        ));
        out.metrics.push(Metric::new("V = -I: largest |x_i(0)|", norms[0]));
        out.metrics.push(Metric::new(
            format!("V = -I: diameter at T = {t_end}"),
            diameter(traj.x.last().ok_or("no output")?.as_ref()),
        ));
        out.series.push(Series::new(
            "v-minus-identity-max-norm",
            vec![("t", traj.t.clone()), ("max_norm", norms)],
        ));
        panels.push(
            Panel::new("V = -I (x)", "x_1", "x_2")
                .equal_aspect()
                .curve(points("t = 0", &x0))
                .curve(points(&format!("t = {t_end}"), traj.x.last().ok_or("no output")?)),
        );

        // V = diag(1, 1/2).
        ctx.progress(0.66, "V = diag(1, 1/2)");
        let v = faer::mat![[1.0, 0.0], [0.0, 0.5]];
        let model = Transformer::single(ident.clone(), ident.clone(), v.clone(), 1.0)?;
        let traj = simulate(&model, x0.as_ref(), t_end, Scheme::Rk4 { step: STEP }, &opts)?;
        let z_end = rescaled(traj.x.last().ok_or("no output")?.as_ref(), v.as_ref(), t_end);
        let mut comps: Vec<f64> = (0..N).map(|j| z_end[(0, j)]).collect();
        let range = comps.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            - comps.iter().cloned().fold(f64::INFINITY, f64::min);
        let count = distinct(&mut comps, 1e-3 * range.max(1e-300));
        out.metrics.push(Metric::new(
            format!("V = diag(1, 1/2): distinct values of <z_i(T), e_1> (gap > 1e-3 of range), T = {t_end}"),
            count as f64,
        ));
        panels.push(
            Panel::new("V = diag(1, 1/2) (z = e^{-tV} x)", "z_1", "z_2")
                .curve(points("t = 0", &x0))
                .curve(points(&format!("t = {t_end}"), &z_end)),
        );

        out.figures.push(Figure::new(
            "role-of-v",
            "Tokens at t = 0 and at the final time, in the rescaled variables for V = I and \
             V = diag(1, 1/2), in the original variables for V = -I",
            panels,
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
