//! `metastability`: merge times of tight groups on the circle and the staircase of merges.

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};
use megavolt_core::ode::{AdaptiveOptions, Output};
use megavolt_core::stats::fit_line;

use super::fmt_num;
use crate::circle::two_cluster_time;
use crate::observables::{cluster_count, normalized_energy};
use crate::{MergeEvent, Scheme, SimOptions, SphereAttention, simulate, tokens};

/// Metastability of SA on the circle.
///
/// 1. Two exact point clusters (3 tokens each) at angle `1.2`: the located merge time
///    (`<x_i, x_j> >= 1 - 1e-3` across the clusters) against the quadrature of the reduced
///    ODE of [`crate::circle`], for `beta` in {2, 4, 6, 8}.
/// 2. Three tight groups (4 tokens within `±0.02` rad) at angles 0, 1.2, 2.8: the located time
///    at which the first two groups merge, for several `beta`, and the fit of `log T` against
///    `beta` (leading-order prediction: slope `1 - cos 1.2`).
/// 3. From 32 uniform tokens on the circle (`beta = 9`): cluster count and normalised energy
///    over a long horizon (the staircase).
///
/// Integrator: Dormand–Prince 5(4), `rtol = 1e-10`, `atol = 1e-12`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Metastability;

const GAP: f64 = 1.2;
const DELTA: f64 = 1e-3;

fn dopri() -> Scheme {
    Scheme::DormandPrince(AdaptiveOptions {
        rtol: 1e-10,
        atol: 1e-12,
        ..AdaptiveOptions::default()
    })
}

/// Tokens in groups at the given centre angles, `m` tokens per group spread evenly over
/// `[-spread, spread]`; returns the tokens and the group labels.
pub(crate) fn grouped_circle(
    centres: &[f64],
    m: usize,
    spread: f64,
) -> (faer::Mat<f64>, Vec<usize>) {
    let mut angles = Vec::new();
    let mut labels = Vec::new();
    for (g, &c) in centres.iter().enumerate() {
        for k in 0..m {
            let off = if m == 1 { 0.0 } else { spread * (2.0 * k as f64 / (m - 1) as f64 - 1.0) };
            angles.push(c + off);
            labels.push(g);
        }
    }
    (tokens::circle(&angles), labels)
}

impl Experiment for Metastability {
    fn name(&self) -> &'static str {
        "metastability"
    }

    fn title(&self) -> &'static str {
        "Metastable clusters on the circle: merge times grow like e^{c beta}"
    }

    fn paper(&self) -> &'static str {
        "B. Geshkovski, H. Koubbi, Y. Polyanskiy, P. Rigollet, Dynamic metastability in the \
         self-attention model, arXiv:2410.06833 (2024)"
    }

    fn summary(&self) -> &'static str {
        "Tokens of SA on the circle that start in tight groups first collapse within their \
         groups, then the groups persist for a time exponential in beta before the closest two \
         merge. The merge time is located as an event. Two exact point clusters obey a scalar \
         ODE whose merge time is an integral (checked to 1e-6 relative); for three tight groups \
         log T is fitted against beta, with slope close to 1 - cos(gap) of the closest pair. \
         From a uniform start, the number of clusters and the normalised energy form a \
         staircase over a long horizon."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        let betas_fit: Vec<f64> = ctx
            .scale
            .pick(vec![4.0, 8.0, 12.0, 16.0, 20.0], (2..=12).map(|k| 2.0 * k as f64).collect());
        let staircase_t: f64 = ctx.scale.pick(3e3, 1e4);
        out.param("merge_delta", DELTA)
            .param("closest_gap", GAP)
            .param("betas_fit", &betas_fit)
            .param("integrator", "Dormand-Prince 5(4), rtol 1e-10, atol 1e-12")
            .param("staircase_n", 32)
            .param("staircase_beta", 9.0)
            .param("staircase_t_end", staircase_t)
            .param("seed", ctx.seed.value());
        let phi_merge = (1.0 - DELTA).acos();

        // 1. Exact point clusters against the quadrature.
        ctx.progress(0.0, "point clusters");
        let mut worst = 0.0f64;
        for beta in [2.0, 4.0, 6.0, 8.0] {
            let (x0, labels) = grouped_circle(&[0.0, GAP], 3, 0.0);
            let opts = SimOptions {
                merge: Some(MergeEvent { labels, delta: DELTA }),
                ..SimOptions::default()
            };
            let model = SphereAttention::sa(beta)?;
            let traj = simulate(&model, x0.as_ref(), 1e6, dopri(), &opts)?;
            let t_sim = traj.merge_time.ok_or("point clusters did not merge")?;
            let t_ref = two_cluster_time(beta, 3.0, 3.0, GAP, phi_merge)?;
            worst = worst.max((t_sim / t_ref - 1.0).abs());
            out.metrics.push(
                Metric::new(
                    format!("merge time of two point clusters, beta = {}", fmt_num(beta)),
                    t_sim,
                )
                .with_reference(t_ref, "quadrature of the two-cluster ODE")
                .with_check(Check::Rel(1e-6)),
            );
        }
        out.notes.push(format!("largest relative error of point-cluster merge times: {worst:.2e}"));

        // 2. Three tight groups: log T against beta.
        let centres = [0.0, GAP, 2.8];
        let (mut ts, mut refs) = (Vec::new(), Vec::new());
        for (k, &beta) in betas_fit.iter().enumerate() {
            ctx.progress(
                0.1 + 0.5 * k as f64 / betas_fit.len() as f64,
                &format!("groups, beta = {beta}"),
            );
            let (x0, labels) = grouped_circle(&centres, 4, 0.02);
            let opts = SimOptions {
                merge: Some(MergeEvent { labels, delta: DELTA }),
                ..SimOptions::default()
            };
            let model = SphereAttention::sa(beta)?;
            let traj = simulate(&model, x0.as_ref(), 1e7, dopri(), &opts)?;
            let t = traj.merge_time.ok_or("groups did not merge")?;
            ts.push(t);
            refs.push(two_cluster_time(beta, 4.0, 4.0, GAP, phi_merge)?);
            out.metrics.push(Metric::new(
                format!("first merge time of 3 tight groups, beta = {}", fmt_num(beta)),
                t,
            ));
        }
        let log_t: Vec<f64> = ts.iter().map(|t| t.ln()).collect();
        let log_ref: Vec<f64> = refs.iter().map(|t| t.ln()).collect();
        let fit = fit_line(&betas_fit, &log_t);
        let fit_ref = fit_line(&betas_fit, &log_ref);
        out.metrics.push(
            Metric::new("slope of log T against beta (3 tight groups)", fit.slope)
                .with_std_error(fit.slope_std_error)
                .with_reference(
                    fit_ref.slope,
                    "same fit for two point clusters at the closest gap (quadrature)",
                ),
        );
        // Laplace's method on the merge-time integral: T ~ e^{beta (1 - cos g)} / (2 beta sin^2 g),
        // so log(beta T) is asymptotically linear in beta with slope 1 - cos g.
        let top = betas_fit.len().saturating_sub(3);
        let log_bt: Vec<f64> = betas_fit.iter().zip(&log_t).map(|(b, l)| l + b.ln()).collect();
        let fit_bt = fit_line(&betas_fit[top..], &log_bt[top..]);
        out.metrics.push(
            Metric::new("slope of log(beta T) against beta, three largest beta", fit_bt.slope)
                .with_reference(1.0 - GAP.cos(), "Laplace asymptotics 1 - cos(gap)"),
        );
        out.series.push(Series::new(
            "merge-times",
            vec![
                ("beta", betas_fit.clone()),
                ("T", ts.clone()),
                ("T_point_clusters", refs.clone()),
            ],
        ));
        let panel_fit = Panel::new("First merge time", "beta", "T")
            .log(false, true)
            .curve(Curve::new(
                "3 tight groups (located event)",
                betas_fit.clone(),
                ts,
                Style::Points,
            ))
            .curve(Curve::new(
                "two point clusters (quadrature)",
                betas_fit.clone(),
                refs,
                Style::Dashed,
            ));

        // 3. Staircase from a uniform start on the circle.
        ctx.progress(0.7, "staircase");
        let beta = 9.0;
        let x0 = tokens::uniform(ctx.seed, "tokens", 2, 32);
        let n_grid = 200;
        let grid: Vec<f64> = (0..=n_grid)
            .map(|k| 1e-2 * (staircase_t / 1e-2).powf(k as f64 / n_grid as f64))
            .collect();
        let opts = SimOptions {
            output: Output::Times(grid),
            cluster_delta: Some(DELTA),
            ..SimOptions::default()
        };
        let model = SphereAttention::sa(beta)?;
        let traj = simulate(&model, x0.as_ref(), staircase_t, dopri(), &opts)?;
        let counts: Vec<f64> =
            traj.x.iter().map(|x| cluster_count(x.as_ref(), DELTA) as f64).collect();
        let energy: Vec<f64> = traj
            .x
            .iter()
            .map(|x| normalized_energy(x.as_ref(), beta))
            .collect::<crate::Result<_>>()?;
        for (t, k) in traj.merge_times() {
            out.notes.push(format!(
                "staircase: cluster count drops to {k} at t ~ {t:.4} (step resolution)"
            ));
        }
        out.series.push(Series::new(
            "staircase",
            vec![
                ("t", traj.t.clone()),
                ("clusters", counts.clone()),
                ("normalized_energy", energy.clone()),
            ],
        ));
        out.figures.push(Figure::new(
            "metastability",
            format!(
                "Left: first merge time of three tight groups (gap {GAP}) against beta, with the \
                 two-point-cluster quadrature. Middle and right: 32 uniform SA tokens on the \
                 circle, beta = 9: cluster count (delta = {DELTA}) and normalised energy \
                 (1/n^2) sum e^(beta(<x_i,x_j>-1)) over time"
            ),
            vec![
                panel_fit,
                Panel::new("Clusters", "t", "count").log(true, false).curve(Curve::new(
                    "clusters",
                    traj.t.clone(),
                    counts,
                    Style::Step,
                )),
                Panel::new("Normalised energy", "t", "E_hat").log(true, false).curve(Curve::new(
                    "energy",
                    traj.t,
                    energy,
                    Style::Line,
                )),
            ],
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
