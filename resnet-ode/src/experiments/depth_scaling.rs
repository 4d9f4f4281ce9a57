//! `depth-scaling`: the mean of `|h_L|^2 / |h_0|^2` at initialisation against
//! `(1 + L^{-2 beta}/2)^L`.

use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};
use megavolt_core::nn::Activation;
use megavolt_core::rng::gaussian_mat;
use megavolt_core::stats::{fit_loglog, mean_se};

use crate::config::{Init, ResNetSpec};
use crate::depth_scaling::{DepthScaling, expected_norm_ratio};
use crate::resnet::ResNet;

/// Monte Carlo second moments of i.i.d. ReLU residual stacks for `beta ∈ {1/4, 1/2, 1}`.
///
/// | setting | quick | paper |
/// |---|---|---|
/// | `d = M` | 16 | 40 (the width of the JMLR experiments) |
/// | depths | 4, 8, ..., 64 | 10, 120, ..., 1000 |
/// | draws per point | 1000 | 400 (the JMLR figures use 50) |
///
/// Each mean is judged against the closed form within four Monte Carlo standard errors.
///
/// A second part repeats the measurement with weights that are smooth in depth
/// ([`Init::Smooth`], length scale 0.25, 200 draws, ReLU): `h_L - h_0 = L^{-beta} sum_k f_k(h_k)`
/// is then a Riemann sum, so `|h_L - h_0| / |h_0|` behaves like `L^{1 - beta}` for
/// `beta > 1` (checked for `beta = 2`: fitted slope in `[-1.2, -0.8]`), tends to the neural
/// ODE's value for `beta = 1`, and grows for `beta < 1` (reported).
#[derive(Debug, Clone, Copy, Default)]
pub struct DepthScalingExperiment;

impl Experiment for DepthScalingExperiment {
    fn name(&self) -> &'static str {
        "depth-scaling"
    }
    fn title(&self) -> &'static str {
        "Second moment of a random ResNet: explosion, neural SDE and identity regimes"
    }
    fn paper(&self) -> &'static str {
        "P. Marion, A. Fermanian, G. Biau, J.-P. Vert, Scaling ResNets in the large-depth regime, JMLR 26 (2025)"
    }
    fn summary(&self) -> &'static str {
        "For residual blocks L^{-beta} V_k ReLU(W_k h) with independent Gaussian weights of fan-in variance, \
         E|h_L|^2/|h_0|^2 = (1 + L^{-2 beta}/2)^L exactly: it explodes with depth for beta < 1/2, tends to \
         e^{1/2} at beta = 1/2 (the neural SDE regime) and to 1 for beta > 1/2. Monte Carlo means over \
         independent networks are compared with the closed form."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 4 min on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let width = ctx.scale.pick(16, 40);
        let depths: Vec<usize> =
            ctx.scale.pick(vec![4, 8, 16, 32, 64], (0..10).map(|i| 10 + 110 * i).collect());
        let draws = ctx.scale.pick(1000, 400);
        let betas = [0.25, 0.5, 1.0];
        let mut out = ExperimentOutput::default();
        out.param("width", width)
            .param("depths", &depths)
            .param("betas", betas)
            .param("draws", draws);
        let mut panel = Panel::new("E|h_L|^2 / |h_0|^2", "depth L", "mean ratio").log(true, true);
        let total = betas.len() * depths.len();
        for (bi, &beta) in betas.iter().enumerate() {
            let (mut means, mut ses, mut exact) = (Vec::new(), Vec::new(), Vec::new());
            for (li, &depth) in depths.iter().enumerate() {
                ctx.progress(
                    (bi * depths.len() + li) as f64 / total as f64,
                    &format!("beta {beta}, L {depth}"),
                );
                let study = DepthScaling {
                    dim: width,
                    hidden: width,
                    depth,
                    beta,
                    activation: Activation::Relu,
                    draws,
                };
                let seed = ctx.seed.derive(&format!("beta={beta}/L={depth}"));
                let m = mean_se(&study.sample(seed)?);
                let e = expected_norm_ratio(Activation::Relu, depth, beta).unwrap_or(f64::NAN);
                out.metrics.push(
                    Metric::new(format!("mean ratio, beta = {beta}, L = {depth}"), m.mean)
                        .with_std_error(m.std_error)
                        .with_reference(e, "(1 + L^{-2 beta}/2)^L, exact second moment")
                        .with_check(Check::Sigmas(4.0)),
                );
                means.push(m.mean);
                ses.push(m.std_error);
                exact.push(e);
            }
            let lx: Vec<f64> = depths.iter().map(|&l| l as f64).collect();
            panel = panel
                .curve(Curve::new(
                    format!("Monte Carlo, beta = {beta}"),
                    lx.clone(),
                    means.clone(),
                    Style::Points,
                ))
                .curve(Curve::new(
                    format!("(1 + L^(-2 beta)/2)^L, beta = {beta}"),
                    lx.clone(),
                    exact.clone(),
                    Style::Line,
                ));
            out.series.push(Series::new(
                format!("ratio_beta_{beta}"),
                vec![("L", lx), ("mean", means), ("std_error", ses), ("exact", exact)],
            ));
        }
        let e_half = 0.5f64.exp();
        out.notes.push(format!("limits: infinity for beta < 1/2, e^(1/2) = {e_half:.6} for beta = 1/2, 1 for beta > 1/2"));
        let smooth_panel = smooth_regimes(ctx, width, &depths, &mut out)?;
        out.figures.push(Figure::new(
            "depth_scaling",
            "Left: mean of |h_L|^2/|h_0|^2 over independent ReLU ResNets against the exact second moment. \
             Right: relative change |h_L - h_0|/|h_0| with weights smooth in depth.",
            vec![panel, smooth_panel],
        ));
        Ok(out)
    }
}

/// Mean relative change `|h_L - h_0| / |h_0|` for weights smooth in depth.
fn smooth_regimes(
    ctx: &RunContext<'_>,
    width: usize,
    depths: &[usize],
    out: &mut ExperimentOutput,
) -> Result<Panel, ExperimentError> {
    let draws = 200;
    let lx: Vec<f64> = depths.iter().map(|&l| l as f64).collect();
    let mut panel =
        Panel::new("smooth initialisation", "depth L", "mean |h_L - h_0| / |h_0|").log(true, true);
    for beta in [0.5, 1.0, 2.0] {
        let mut means = Vec::new();
        for &depth in depths {
            let spec = ResNetSpec {
                activation: Activation::Relu,
                init: Init::Smooth { length_scale: 0.25 },
                beta,
                ..ResNetSpec::new(width, width, depth)
            };
            let config = spec.build()?;
            let mut changes = Vec::with_capacity(draws);
            for i in 0..draws {
                // Draw i uses the same smooth weight functions and input at every depth.
                let mut rng = ctx.seed.indexed("smooth-init", i as u64);
                let net = ResNet::new(config, &mut rng);
                let h0 = gaussian_mat(&mut rng, width, 1, 1.0);
                let hl = net.stack_forward(h0.as_ref());
                changes.push((&hl - &h0).norm_l2() / h0.norm_l2());
            }
            means.push(mean_se(&changes).mean);
        }
        let fit = fit_loglog(&lx, &means);
        let metric = Metric::new(
            format!("smooth init: slope of mean |h_L - h_0|/|h_0| vs L, beta = {beta}"),
            fit.slope,
        )
        .with_std_error(fit.slope_std_error);
        out.metrics.push(if beta > 1.0 {
            metric
                .with_reference(1.0 - beta, "Riemann sum: |h_L - h_0| ~ L^{1 - beta}")
                .with_check(Check::Within(-1.2, -0.8))
        } else {
            metric
        });
        panel = panel.curve(Curve::new(
            format!("beta = {beta}"),
            lx.clone(),
            means.clone(),
            Style::Line,
        ));
        out.series.push(Series::new(
            format!("smooth_change_beta_{beta}"),
            vec![("L", lx.clone()), ("mean_change", means)],
        ));
    }
    Ok(panel)
}
