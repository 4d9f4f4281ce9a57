//! `transport-map`: a neural ODE with piecewise-constant parameters pushing one measure onto
//! another, against the number of parameter switches.

use faer::Mat;
use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};
use megavolt_core::rng::uniform_col;
use megavolt_core::stats::fit_loglog;

use super::powers_of_two;
use crate::transport::{monotone_flow, wasserstein1_1d};

const AMPLITUDE: f64 = 0.8;

/// The monotone map `T(u) = u - (0.8 / 2 pi) sin(2 pi u)` (`T' = 1 - 0.8 cos 2 pi u > 0`),
/// pushing `U[0, 1]` to a target with two density peaks.
fn target_map(u: f64) -> f64 {
    let tau = std::f64::consts::TAU;
    u - AMPLITUDE / tau * (tau * u).sin()
}

/// Transport by a ReLU-neuron flow with piecewise-constant parameters in one dimension.
///
/// Base measure `U[0, 1]`, target `T # U[0, 1]` with `T` above. The flow of
/// [`crate::transport::monotone_flow`] with knots at the base quantiles `j/K` and values at the
/// target quantiles `T(j/K)` uses `K + 2` switches and realises the piecewise-linear
/// interpolant `T_K` of the monotone rearrangement, so `W_1(T_K # base, target)
/// = ∫ |T_K - T| <= sup |T''| / (8 K^2)` with `sup |T''| = 1.6 pi`. `W_1` is evaluated with
/// the midpoint rule on `n` base quantiles pushed through the flow's closed-form solution.
/// A second part pushes `N = 64` uniform atoms exactly onto `N` atoms sampled from the target
/// (`N + 1` pieces).
///
/// Checks: fitted slope of `W_1` against `K` in `[-2.2, -1.8]`; `W_1` below the interpolation
/// bound at the largest `K`; the empirical transport exact to `1e-12`.
///
/// # Limitations
/// This is a one-dimensional construction in the model class of Álvarez-López, Geshkovski and
/// Ruiz-Balet (2025), not the multi-dimensional construction of that paper, and its rate
/// (`K^{-2}`, from linear interpolation) is not the rate proved there.
///
/// | setting | quick | paper |
/// |---|---|---|
/// | pieces `K` | 2, 4, ..., 256 | 2, 4, ..., 4096 |
/// | quadrature points `n` | 20 000 | 200 000 |
#[derive(Debug, Clone, Copy, Default)]
pub struct TransportMap;

impl Experiment for TransportMap {
    fn name(&self) -> &'static str {
        "transport-map"
    }
    fn title(&self) -> &'static str {
        "Piecewise-constant ReLU-neuron flows as transport maps: W1 against the number of switches"
    }
    fn paper(&self) -> &'static str {
        "A. Álvarez-López, B. Geshkovski, D. Ruiz-Balet, Constructive approximate transport maps with normalizing flows, arXiv:2412.19366 (2025)"
    }
    fn summary(&self) -> &'static str {
        "The neural ODE x' = w (a x + b)_+ with parameters constant between switches moves mass by \
         dilating half-lines. In one dimension, K + 2 switches realise exactly the piecewise-linear \
         interpolant of the monotone transport map between a uniform base and a bimodal target, so the \
         Wasserstein-1 distance to the target decays like K^{-2}; N atoms are transported exactly onto N \
         target atoms."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 3 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let pieces = powers_of_two(2, ctx.scale.pick(256, 4096));
        let n = ctx.scale.pick(20_000, 200_000);
        let mut out = ExperimentOutput::default();
        out.param("pieces", &pieces).param("quadrature_points", n).param("amplitude", AMPLITUDE);
        let base: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
        let base_mat = Mat::from_fn(1, n, |_, j| base[j]);
        let sup_t2 = 2.0 * std::f64::consts::PI * AMPLITUDE;
        let (mut w1, mut bound, mut switches) = (Vec::new(), Vec::new(), Vec::new());
        for (i, &k) in pieces.iter().enumerate() {
            ctx.progress(i as f64 / pieces.len() as f64, &format!("K = {k}"));
            let knots: Vec<f64> = (0..=k).map(|j| j as f64 / k as f64).collect();
            let values: Vec<f64> = knots.iter().map(|&u| target_map(u)).collect();
            let flow = monotone_flow(&knots, &values)?;
            let pushed = flow.apply(&base_mat);
            let dist = (0..n).map(|j| (pushed[(0, j)] - target_map(base[j])).abs()).sum::<f64>()
                / n as f64;
            w1.push(dist);
            bound.push(sup_t2 / (8.0 * (k * k) as f64));
            switches.push(flow.n_switches() as f64);
        }
        let kx: Vec<f64> = pieces.iter().map(|&k| k as f64).collect();
        let fit = fit_loglog(&kx, &w1);
        out.metrics.push(
            Metric::new("log-log slope of W1 against the number of pieces K", fit.slope)
                .with_std_error(fit.slope_std_error)
                .with_reference(-2.0, "linear interpolation error O(K^-2) of a C^2 monotone map")
                .with_check(Check::Within(-2.2, -1.8)),
        );
        let last = pieces.len() - 1;
        out.metrics.push(
            Metric::new(format!("W1 with K = {}", pieces[last]), w1[last])
                .with_reference(bound[last], "sup|T''| / (8 K^2)")
                .with_check(Check::AtMost),
        );

        // Exact transport between empirical measures with N atoms each.
        let atoms = 64;
        let mut src: Vec<f64> =
            uniform_col(&mut ctx.seed.stream("transport/source"), atoms, 0.0, 1.0)
                .iter()
                .copied()
                .collect();
        let mut tgt: Vec<f64> =
            uniform_col(&mut ctx.seed.stream("transport/target"), atoms, 0.0, 1.0)
                .iter()
                .map(|&u| target_map(u))
                .collect();
        src.sort_by(f64::total_cmp);
        tgt.sort_by(f64::total_cmp);
        let before = wasserstein1_1d(&src, &tgt);
        let flow = monotone_flow(&src, &tgt)?;
        let moved = flow.apply(&Mat::from_fn(1, atoms, |_, j| src[j]));
        let after = wasserstein1_1d(&moved.row(0).iter().copied().collect::<Vec<_>>(), &tgt);
        out.metrics.push(Metric::new(
            format!("W1 between the {atoms}-atom measures before transport"),
            before,
        ));
        out.metrics.push(
            Metric::new(format!("W1 after the {}-switch flow", flow.n_switches()), after)
                .with_reference(0.0, "exact piecewise-linear interpolation of the atoms")
                .with_check(Check::AbsBelow(1e-12)),
        );

        out.series.push(Series::new(
            "w1_vs_switches",
            vec![
                ("pieces", kx.clone()),
                ("switches", switches.clone()),
                ("w1", w1.clone()),
                ("bound", bound.clone()),
            ],
        ));
        out.figures.push(Figure::new(
            "transport_map",
            "Wasserstein-1 distance to the target against the number of parameter switches (log-log).",
            vec![
                Panel::new("U[0,1] to T#U[0,1]", "number of switches", "W1 to target")
                    .log(true, true)
                    .curve(Curve::new("piecewise-constant flow", switches.clone(), w1, Style::Points))
                    .curve(Curve::new("sup|T''|/(8K^2)", switches, bound, Style::Dashed)),
            ],
        ));
        Ok(out)
    }
}
