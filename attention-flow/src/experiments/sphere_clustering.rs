//! `sphere-clustering`: SA on the unit sphere of `R^3` from a uniform start.

use faer::Mat;
use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series, Style,
};
use megavolt_core::ode::Output;

use super::fmt_num;
use crate::{Scheme, SimOptions, SphereAttention, simulate, tokens};

/// SA with `n = 32` tokens on `S^2`, `beta` in {1, 4, 9}: cluster count over time, snapshots of
/// the tokens, and the merge and collapse times; the cluster count and collapse time also on the
/// circle `S^1` (32 uniform tokens, stream `"tokens/circle"`).
///
/// | setting | quick | paper |
/// |---|---|---|
/// | tokens | 32 uniform on `S^2` (stream `"tokens"`) | same |
/// | integrator | RK4, step 0.02 | RK4, step 0.01 |
/// | horizon | until `min <x_i, x_j> >= 1 - 1e-3` or `t = 200` | same |
/// | cluster threshold `delta` | `1e-3` | same |
#[derive(Debug, Clone, Copy, Default)]
pub struct SphereClustering;

/// Inverse temperatures of the experiment.
const BETAS: [f64; 3] = [1.0, 4.0, 9.0];
/// Number of tokens.
const N: usize = 32;
/// Cluster threshold: tokens i, j are linked when `<x_i, x_j> >= 1 - DELTA`.
const DELTA: f64 = 1e-3;
/// Collapse threshold of the terminal event.
const COLLAPSE_TOL: f64 = 1e-3;
/// Horizon.
const T_MAX: f64 = 200.0;
/// Snapshot times of the token pictures (the final state is added).
const SNAPSHOTS: [f64; 3] = [0.0, 2.0, 10.0];

impl Experiment for SphereClustering {
    fn name(&self) -> &'static str {
        "sphere-clustering"
    }

    fn title(&self) -> &'static str {
        "Clustering of SA tokens on the sphere S^2 for beta = 1, 4, 9"
    }

    fn paper(&self) -> &'static str {
        "B. Geshkovski, C. Letrouit, Y. Polyanskiy, P. Rigollet, A mathematical perspective on \
         Transformers, Bull. AMS 62 (2025)"
    }

    fn summary(&self) -> &'static str {
        "32 tokens drawn uniformly on the unit sphere of R^3 move under the self-attention \
         dynamics SA (Q = K = V = I) with inverse temperature beta in {1, 4, 9}. For almost \
         every start the tokens converge to a single point (Theorem 4 of the paper for d >= 3); \
         larger beta produces several clusters that persist for a long time before merging. \
         The experiment records the number of clusters (connected components of \
         <x_i, x_j> >= 1 - 1e-3) over time, the times at which clusters merge, and the time at \
         which every pairwise inner product exceeds 1 - 1e-3. No verdict: these times have no \
         closed-form reference."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 2 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let step = ctx.scale.pick(0.02, 0.01);
        let mut out = ExperimentOutput::default();
        out.param("n", N)
            .param("d", 3)
            .param("betas", BETAS)
            .param("scheme", "RK4 with renormalisation after each step")
            .param("step", step)
            .param("t_max", T_MAX)
            .param("cluster_delta", DELTA)
            .param("collapse_tol", COLLAPSE_TOL)
            .param("seed", ctx.seed.value())
            .param("scale", ctx.scale.as_str());
        let x0 = tokens::uniform(ctx.seed, "tokens", 3, N);
        let mut count_panel =
            Panel::new("S^2", "t", format!("components of <x_i,x_j> >= 1 - {DELTA}"));
        let mut circle_panel =
            Panel::new("Circle S^1", "t", format!("components of <x_i,x_j> >= 1 - {DELTA}"));
        let x0_circle = tokens::uniform(ctx.seed, "tokens/circle", 2, N);

        for (b, &beta) in BETAS.iter().enumerate() {
            ctx.progress(b as f64 / BETAS.len() as f64, &format!("beta = {beta}"));
            let model = SphereAttention::sa(beta)?;
            let opts = SimOptions {
                output: Output::Times(SNAPSHOTS.to_vec()),
                collapse_tol: Some(COLLAPSE_TOL),
                cluster_delta: Some(DELTA),
                ..SimOptions::default()
            };
            let traj = simulate(&model, x0.as_ref(), T_MAX, Scheme::Rk4 { step }, &opts)?;
            let tag = fmt_num(beta);

            let mut log = traj.cluster_log.clone();
            log.push((traj.t_end, log.last().map_or(N, |c| c.1)));
            let (ts, ks): (Vec<f64>, Vec<f64>) = log.iter().map(|&(t, k)| (t, k as f64)).unzip();
            out.series.push(Series::new(
                format!("cluster-count-beta{tag}"),
                vec![("t", ts.clone()), ("clusters", ks.clone())],
            ));
            count_panel =
                count_panel.curve(Curve::new(format!("beta = {tag}"), ts, ks, Style::Step));

            // The same on the circle.
            let circ = simulate(
                &model,
                x0_circle.as_ref(),
                T_MAX,
                Scheme::Rk4 { step },
                &SimOptions { output: Output::Final, ..opts.clone() },
            )?;
            let mut clog = circ.cluster_log.clone();
            clog.push((circ.t_end, clog.last().map_or(N, |c| c.1)));
            let (cts, cks): (Vec<f64>, Vec<f64>) = clog.iter().map(|&(t, k)| (t, k as f64)).unzip();
            out.series.push(Series::new(
                format!("cluster-count-circle-beta{tag}"),
                vec![("t", cts.clone()), ("clusters", cks.clone())],
            ));
            circle_panel =
                circle_panel.curve(Curve::new(format!("beta = {tag}"), cts, cks, Style::Step));
            match circ.collapse_time {
                Some(t) => out.metrics.push(Metric::new(
                    format!(
                        "circle: collapse time (min <x_i,x_j> = 1 - {COLLAPSE_TOL}), beta = {tag}"
                    ),
                    t,
                )),
                None => out.notes.push(format!(
                    "circle, beta = {tag}: no collapse by t = {T_MAX}; {} clusters remain",
                    clog.last().map_or(N, |c| c.1)
                )),
            }

            let merges = traj.merge_times();
            out.series.push(Series::new(
                format!("merges-beta{tag}"),
                vec![
                    ("t", merges.iter().map(|m| m.0).collect()),
                    ("clusters_after", merges.iter().map(|m| m.1 as f64).collect()),
                ],
            ));
            if let Some(&(t, _)) = merges.first() {
                out.metrics.push(Metric::new(format!("first merge time, beta = {tag}"), t));
            }
            if let Some(&(t, _)) = merges.iter().find(|m| m.1 == 1) {
                out.metrics.push(Metric::new(format!("time to one cluster, beta = {tag}"), t));
            }
            match traj.collapse_time {
                Some(t) => out.metrics.push(Metric::new(
                    format!("collapse time (min <x_i,x_j> = 1 - {COLLAPSE_TOL}), beta = {tag}"),
                    t,
                )),
                None => out.notes.push(format!(
                    "beta = {tag}: no collapse by t = {T_MAX}; {} clusters remain",
                    log.last().map_or(N, |c| c.1)
                )),
            }

            let mut shots: Vec<(f64, &Mat<f64>)> =
                traj.t.iter().copied().zip(traj.x.iter()).collect();
            shots.push((traj.t_end, &traj.x_end));
            let panels =
                shots
                    .into_iter()
                    .map(|(t, x)| {
                        let xs = (0..N).map(|j| x[(0, j)]).collect();
                        let ys = (0..N).map(|j| x[(1, j)]).collect();
                        Panel::new(format!("t = {t:.2}"), "x", "y")
                            .equal_aspect()
                            .curve(Curve::new("tokens", xs, ys, Style::Points))
                    })
                    .collect();
            out.figures.push(Figure::new(
                format!("tokens-beta{tag}"),
                format!(
                    "SA tokens on S^2 (projection on the x-y plane), beta = {tag}, n = {N}; the \
                     last panel is the final state"
                ),
                panels,
            ));
        }
        out.figures.push(Figure::new(
            "cluster-count",
            format!(
                "Number of clusters (connected components of <x_i,x_j> >= 1 - {DELTA}) of 32 SA \
                 tokens on S^2 (left) and on the circle (right), RK4 step {step}"
            ),
            vec![count_panel, circle_panel],
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
