//! `equiangular-closed-form`: orthonormal tokens against the scalar equiangular ODE.

use megavolt_core::Experiment;
use megavolt_core::experiment::{
    Check, Curve, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext, Series,
    Style,
};
use megavolt_core::ode::Output;

use super::fmt_num;
use crate::equiangular::{closed_form_beta0, solve};
use crate::observables::inner_product_range;
use crate::{Normalization, Scheme, SimOptions, SphereAttention, simulate, tokens};

/// Orthonormal start (`n` tokens `e_1..e_n` in `R^n`): the common inner product of the
/// particle simulation against `(e^{2t} - 1)/(e^{2t} + n - 1)` at `beta = 0`, and against the
/// scalar ODE of [`crate::equiangular`] at `beta > 0`.
///
/// | setting | value |
/// |---|---|
/// | tokens | `n = 32` orthonormal in `R^32` |
/// | integrator | RK4, step `1e-3`, on `t` in `[0, 5]` |
/// | comparisons | `beta = 0` (closed form); SA `beta` in {1, 4} and USA `beta = 1` (scalar ODE, RK4 step `1e-4`) |
/// | tolerance | max deviation `< 1e-9` |
#[derive(Debug, Clone, Copy, Default)]
pub struct EquiangularClosedForm;

/// Number of tokens (and dimension).
pub(crate) const N: usize = 32;
/// Particle step.
pub(crate) const STEP: f64 = 1e-3;
/// Horizon.
pub(crate) const T_END: f64 = 5.0;

/// Result of one equiangular run.
pub(crate) struct EquiangularRun {
    /// Output times.
    pub t: Vec<f64>,
    /// Mean off-diagonal inner product of the particles.
    pub mean: Vec<f64>,
    /// Largest deviation of any off-diagonal inner product from the reference.
    pub max_dev: f64,
    /// Largest spread (max - min off-diagonal inner product) over time.
    pub max_spread: f64,
    /// Reference curve.
    pub reference: Vec<f64>,
}

/// Simulates `n` orthonormal tokens and compares every off-diagonal inner product with the
/// reference `rho(t)` (closed form at `beta = 0`, scalar ODE otherwise).
pub(crate) fn run_equiangular(
    normalization: Normalization,
    n: usize,
    beta: f64,
    step: f64,
    t_end: f64,
    n_out: usize,
) -> crate::Result<EquiangularRun> {
    let times: Vec<f64> = (0..=n_out).map(|k| t_end * k as f64 / n_out as f64).collect();
    let model = SphereAttention::new(beta, normalization)?;
    let opts = SimOptions { output: Output::Times(times.clone()), ..SimOptions::default() };
    let traj =
        simulate(&model, tokens::orthonormal(n).as_ref(), t_end, Scheme::Rk4 { step }, &opts)?;
    let reference = if beta == 0.0 {
        times.iter().map(|&t| closed_form_beta0(n, t)).collect()
    } else {
        solve(normalization, n, beta, 0.0, &times, 1e-4)?
    };
    let (mut max_dev, mut max_spread) = (0.0f64, 0.0f64);
    let mut mean = Vec::with_capacity(times.len());
    for (x, &r) in traj.x.iter().zip(&reference) {
        let (lo, hi) = inner_product_range(x.as_ref());
        let g = crate::observables::gram(x.as_ref());
        let mut s = 0.0;
        for j in 0..n {
            for i in 0..n {
                if i != j {
                    s += g[(i, j)];
                }
            }
        }
        mean.push(s / (n * (n - 1)) as f64);
        max_dev = max_dev.max((lo - r).abs()).max((hi - r).abs());
        max_spread = max_spread.max(hi - lo);
    }
    Ok(EquiangularRun { t: times, mean, max_dev, max_spread, reference })
}

impl Experiment for EquiangularClosedForm {
    fn name(&self) -> &'static str {
        "equiangular-closed-form"
    }

    fn title(&self) -> &'static str {
        "Orthonormal tokens: simulation against the equiangular ODE and its beta = 0 closed form"
    }

    fn paper(&self) -> &'static str {
        "B. Geshkovski, C. Letrouit, Y. Polyanskiy, P. Rigollet, A mathematical perspective on \
         Transformers, Bull. AMS 62 (2025)"
    }

    fn summary(&self) -> &'static str {
        "Starting from n = 32 orthonormal tokens in R^32, the SA and USA dynamics keep all \
         pairwise inner products equal, and the common value rho(t) obeys a scalar ODE; at \
         beta = 0 it is (e^{2t} - 1)/(e^{2t} + n - 1). The particle system, integrated with RK4 \
         (step 1e-3) through the full attention evaluation, must stay within 1e-9 of the closed \
         form at beta = 0 and of the scalar ODE (integrated independently) at beta > 0, over \
         t in [0, 5]."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("under 1 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        out.param("n", N)
            .param("d", N)
            .param("step", STEP)
            .param("t_end", T_END)
            .param("scheme", "RK4 with renormalisation after each step")
            .param("scalar_reference_step", 1e-4);
        let cases: Vec<(Normalization, f64)> = vec![
            (Normalization::Softmax, 0.0),
            (Normalization::Softmax, 1.0),
            (Normalization::Softmax, 4.0),
            (Normalization::Uniform, 1.0),
        ];
        let mut rho_panel = Panel::new("Common inner product", "t", "rho(t)");
        let mut dev_panel =
            Panel::new("Deviation from reference", "t", "|mean - rho|").log(false, true);
        for (k, &(norm, beta)) in cases.iter().enumerate() {
            ctx.progress(k as f64 / cases.len() as f64, "equiangular run");
            let run = run_equiangular(norm, N, beta, STEP, T_END, 100)?;
            let model = match norm {
                Normalization::Softmax => "SA",
                Normalization::Uniform => "USA",
            };
            let tag = format!("{model}, beta = {}", fmt_num(beta));
            let source = if beta == 0.0 {
                "closed form (e^{2t}-1)/(e^{2t}+n-1)"
            } else {
                "scalar equiangular ODE, RK4 step 1e-4"
            };
            out.metrics.push(
                Metric::new(format!("max |<x_i,x_j> - rho(t)|, {tag}"), run.max_dev)
                    .with_reference(0.0, source)
                    .with_check(Check::AbsBelow(1e-9)),
            );
            out.metrics
                .push(Metric::new(format!("max spread of <x_i,x_j>, {tag}"), run.max_spread));
            let dev: Vec<f64> = run
                .mean
                .iter()
                .zip(&run.reference)
                .map(|(a, b)| (a - b).abs().max(1e-17))
                .collect();
            out.series.push(Series::new(
                format!("rho-{}-beta{}", model.to_lowercase(), fmt_num(beta)),
                vec![
                    ("t", run.t.clone()),
                    ("mean", run.mean.clone()),
                    ("reference", run.reference.clone()),
                ],
            ));
            rho_panel = rho_panel
                .curve(Curve::new(
                    format!("{tag} (particles)"),
                    run.t.clone(),
                    run.mean,
                    Style::Points,
                ))
                .curve(Curve::new(
                    format!("{tag} (reference)"),
                    run.t.clone(),
                    run.reference,
                    Style::Dashed,
                ));
            dev_panel = dev_panel.curve(Curve::new(tag, run.t, dev, Style::Line));
        }
        out.figures.push(Figure::new(
            "equiangular",
            "Mean pairwise inner product of 32 orthonormal tokens (points) against the \
             closed form / scalar ODE (dashed), and the deviation (floored at 1e-17)",
            vec![rho_panel, dev_panel],
        ));
        ctx.progress(1.0, "done");
        Ok(out)
    }
}
