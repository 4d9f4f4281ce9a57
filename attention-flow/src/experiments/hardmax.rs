//! `hardmax`: zero-temperature attention as Frank–Wolfe steps.

use faer::Mat;
use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};
use rand::RngExt;

use crate::hardmax::{Hardmax, StepSize};

/// Hardmax dynamics in the plane.
///
/// 1. Positive semidefinite `B = I`, the square `(±1, ±1)` plus three interior tokens with
///    dyadic coordinates, `gamma = 1/2`: vertices are fixed and every interior token obeys
///    `x^k - v = (1/2)^k (x^0 - v)` exactly in floating point.
/// 2. `B = I`, 7 vertices at random angles on the unit circle and 40 interior tokens (random
///    convex combinations), `gamma = 0.05`: vertices fixed, interior tokens on straight lines
///    to their cell's vertex with `|x^k - v| = 0.95^k |x^0 - v|` to rounding.
/// 3. Negative semidefinite `B = -I`: the square contracts by exactly `1 - 2 gamma = 1/2` per
///    step for `gamma = 1/4`. 40 random tokens in `[-0.7, 0.7]^2`, with the Frank–Wolfe
///    schedule `gamma_k = 2/(k + 2)` and with `gamma = 1/4`, collapse to a single cluster
///    (reported, no verdict): the diameter shrinks geometrically (by about `1 - gamma` per step
///    for constant `gamma`), but the cluster forms near, not at, the origin (its distance is
///    reported), so the largest norm stalls instead of tending to zero. The paper's statement
///    for this case could not be checked (see the module [`crate::hardmax`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct HardmaxExperiment;

fn max_norm(x: &Mat<f64>) -> f64 {
    (0..x.ncols()).map(|j| x[(0, j)].hypot(x[(1, j)])).fold(0.0, f64::max)
}

fn diameter(x: &Mat<f64>) -> f64 {
    let n = x.ncols();
    (0..n)
        .flat_map(|i| (0..i).map(move |j| (i, j)))
        .map(|(i, j)| (x[(0, i)] - x[(0, j)]).hypot(x[(1, i)] - x[(1, j)]))
        .fold(0.0, f64::max)
}

impl Experiment for HardmaxExperiment {
    fn name(&self) -> &'static str {
        "hardmax"
    }

    fn title(&self) -> &'static str {
        "Hardmax attention as Frank–Wolfe: fixed vertices, straight-line contraction"
    }

    fn paper(&self) -> &'static str {
        "A. Alcalde, B. Geshkovski, D. Ruiz-Balet, Attention's forward pass and Frank-Wolfe, \
         arXiv:2508.09628 (2025), ICML 2026"
    }

    fn summary(&self) -> &'static str {
        "In the zero-temperature limit each token moves a fraction gamma of the way towards the \
         token maximising <B x_i, x_j> (a Frank-Wolfe step over the convex hull of the tokens). \
         For positive semidefinite B the hull vertices (of equal B-norm) are fixed and interior \
         tokens move on straight lines to the vertex of their cell, their distance shrinking by \
         (1 - gamma) per step; for B = -I tokens are pulled towards their most opposite token \
         and the configuration contracts."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let steps = ctx.scale.pick(60, 200);
        let mut out = ExperimentOutput::default();
        out.param("steps", steps).param("seed", ctx.seed.value()).param("random_gamma", 0.05);

        // 1. Dyadic square.
        let x0 = faer::mat![
            [1.0, -1.0, -1.0, 1.0, 0.375, -0.25, 0.125],
            [1.0, 1.0, -1.0, -1.0, 0.25, -0.625, -0.5]
        ];
        let map = Hardmax::new(Mat::identity(2, 2), StepSize::Constant(0.5))?;
        let states = map.run(x0.as_ref(), 20)?;
        let targets = [(1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)];
        let (mut vertex_move, mut line_err) = (0.0f64, 0.0f64);
        for (k, s) in states.iter().enumerate() {
            for j in 0..4 {
                vertex_move = vertex_move
                    .max((s[(0, j)] - x0[(0, j)]).abs())
                    .max((s[(1, j)] - x0[(1, j)]).abs());
            }
            let r = 0.5f64.powi(k as i32);
            for (m, &(vx, vy)) in targets.iter().enumerate() {
                let j = 4 + m;
                line_err = line_err
                    .max((s[(0, j)] - vx - r * (x0[(0, j)] - vx)).abs())
                    .max((s[(1, j)] - vy - r * (x0[(1, j)] - vy)).abs());
            }
        }
        out.metrics.push(
            Metric::new("PSD square: largest vertex displacement over 20 steps", vertex_move)
                .with_reference(0.0, "vertices are stationary")
                .with_check(Check::AbsBelow(0.0)),
        );
        out.metrics.push(
            Metric::new("PSD square: max |x^k - v - 2^-k (x^0 - v)| (exact arithmetic)", line_err)
                .with_reference(0.0, "straight-line contraction by (1 - gamma) per step")
                .with_check(Check::AbsBelow(0.0)),
        );

        // 2. Random polygon with interior tokens.
        let gamma = 0.05;
        let mut rng = ctx.seed.stream("hardmax/polygon");
        let k_vert = 7;
        let mut angles: Vec<f64> =
            (0..k_vert).map(|_| rng.random_range(0.0..std::f64::consts::TAU)).collect();
        angles.sort_by(f64::total_cmp);
        let verts = crate::tokens::circle(&angles);
        let n_in = 40;
        let mut x = Mat::zeros(2, k_vert + n_in);
        for j in 0..k_vert {
            x[(0, j)] = verts[(0, j)];
            x[(1, j)] = verts[(1, j)];
        }
        for j in 0..n_in {
            let w: Vec<f64> = (0..k_vert).map(|_| -rng.random_range(1e-12..1.0f64).ln()).collect();
            let total: f64 = w.iter().sum();
            for r in 0..2 {
                x[(r, k_vert + j)] = (0..k_vert).map(|v| w[v] / total * verts[(r, v)]).sum();
            }
        }
        let map = Hardmax::new(Mat::identity(2, 2), StepSize::Constant(gamma))?;
        let cells = map.maximizers(x.as_ref());
        let states = map.run(x.as_ref(), steps)?;
        let (mut vmove, mut abs_err) = (0.0f64, 0.0f64);
        for (k, s) in states.iter().enumerate() {
            for j in 0..k_vert {
                vmove = vmove.max((s[(0, j)] - x[(0, j)]).abs()).max((s[(1, j)] - x[(1, j)]).abs());
            }
            let r = (1.0 - gamma).powi(k as i32);
            for j in k_vert..k_vert + n_in {
                let v = cells[j][0];
                let d0 = (x[(0, j)] - x[(0, v)]).hypot(x[(1, j)] - x[(1, v)]);
                let dk = (s[(0, j)] - x[(0, v)]).hypot(s[(1, j)] - x[(1, v)]);
                abs_err = abs_err.max((dk - r * d0).abs());
            }
        }
        out.metrics.push(
            Metric::new("PSD polygon: largest vertex displacement", vmove)
                .with_reference(0.0, "vertices of equal norm are stationary")
                .with_check(Check::AbsBelow(0.0)),
        );
        out.metrics.push(
            Metric::new("PSD polygon: max | |x^k - v| - 0.95^k |x^0 - v| |", abs_err)
                .with_reference(0.0, "straight-line contraction by (1 - gamma) per step")
                // Rounding of each step (a few eps), damped by (1 - gamma) per step, sums to
                // at most ~ eps / gamma.
                .with_check(Check::AbsBelow(16.0 * f64::EPSILON / gamma)),
        );
        let mut poly_panel = Panel::new("B = I, gamma = 0.05", "x", "y").equal_aspect();
        for j in k_vert..k_vert + n_in {
            let xs = states.iter().map(|s| s[(0, j)]).collect();
            let ys = states.iter().map(|s| s[(1, j)]).collect();
            poly_panel = poly_panel.curve(Curve::new(format!("token {j}"), xs, ys, Style::Line));
        }
        poly_panel = poly_panel.curve(Curve::new(
            "vertices",
            (0..k_vert).map(|j| x[(0, j)]).collect(),
            (0..k_vert).map(|j| x[(1, j)]).collect(),
            Style::Points,
        ));

        // 3. Negative semidefinite.
        let sq = faer::mat![[1.0, -1.0, -1.0, 1.0], [1.0, 1.0, -1.0, -1.0]];
        let map = Hardmax::new(-Mat::<f64>::identity(2, 2), StepSize::Constant(0.25))?;
        let states = map.run(sq.as_ref(), 20)?;
        let dev = states
            .iter()
            .enumerate()
            .map(|(k, s)| (max_norm(s) - 0.5f64.powi(k as i32) * 2f64.sqrt()).abs())
            .fold(0.0, f64::max);
        out.metrics.push(
            Metric::new("NSD square, gamma = 1/4: max |max_i |x_i^k| - 2^-k sqrt 2|", dev)
                .with_reference(0.0, "x^{k+1} = (1 - 2 gamma) x^k for the square")
                .with_check(Check::AbsBelow(4.0 * f64::EPSILON)),
        );
        let mut rng = ctx.seed.stream("hardmax/disc");
        let disc = Mat::from_fn(2, 40, |_, _| rng.random_range(-0.7..0.7));
        let map = Hardmax::new(-Mat::<f64>::identity(2, 2), StepSize::Harmonic)?;
        let states = map.run(disc.as_ref(), steps)?;
        let norms: Vec<f64> = states.iter().map(max_norm).collect();
        let ks: Vec<f64> = (0..norms.len()).map(|k| k as f64).collect();
        out.metrics.push(Metric::new(
            format!("NSD random tokens, gamma_k = 2/(k+2): max norm after {steps} steps"),
            *norms.last().unwrap_or(&0.0),
        ));
        // The same tokens with a constant step: the diameter of the configuration, and where the
        // cluster ends up.
        let gamma = 0.25;
        let map = Hardmax::new(-Mat::<f64>::identity(2, 2), StepSize::Constant(gamma))?;
        let states = map.run(disc.as_ref(), 40)?;
        let diam: Vec<f64> = states.iter().map(diameter).collect();
        // Fit log diam = a + k log r over the geometric tail (steps 20..=40), where the
        // diameter is still far above rounding.
        let tail_k: Vec<f64> = (20..diam.len()).map(|k| k as f64).collect();
        let tail_log: Vec<f64> = diam[20..].iter().map(|d| d.ln()).collect();
        let factor = megavolt_core::stats::fit_line(&tail_k, &tail_log).slope.exp();
        out.metrics.push(Metric::new(
            "NSD random tokens, gamma = 1/4: fitted per-step factor of the diameter (steps 20-40)",
            factor,
        ));
        let last = states.last().expect("run returns the initial state");
        let centre = (0..2)
            .map(|a| (0..last.ncols()).map(|j| last[(a, j)]).sum::<f64>() / last.ncols() as f64)
            .fold(0.0f64, |acc, c| acc.hypot(c));
        out.metrics.push(Metric::new(
            "NSD random tokens, gamma = 1/4: distance of the final cluster to the origin",
            centre,
        ));
        out.series.push(Series::new(
            "nsd-max-norm",
            vec![("step", ks.clone()), ("max_norm", norms.clone())],
        ));
        out.series.push(Series::new(
            "nsd-diameter",
            vec![("step", (0..diam.len()).map(|k| k as f64).collect()), ("diameter", diam.clone())],
        ));
        out.figures.push(Figure::new(
            "hardmax",
            "Left: hardmax steps with B = I (tokens move on straight lines to the vertex of their \
             cell). Right: B = -I, largest token norm with gamma_k = 2/(k+2) and diameter with \
             gamma = 1/4 (the tokens collapse to one cluster near the origin)",
            vec![
                poly_panel,
                Panel::new("B = -I", "step", "max |x_i|, diameter")
                    .log(false, true)
                    .curve(Curve::new("max norm, gamma_k = 2/(k+2)", ks, norms, Style::Line))
                    .curve(Curve::new(
                        "diameter, gamma = 1/4",
                        (0..diam.len()).map(|k| k as f64).collect(),
                        diam,
                        Style::Line,
                    )),
            ],
        ));
        Ok(out)
    }
}
