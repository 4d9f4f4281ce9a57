//! `memory-free`: rebuilding activations by running the residual steps backwards.

use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};
use megavolt_core::nn::Activation;
use megavolt_core::rng::gaussian_mat;
use megavolt_core::stats::{fit_loglog, rel_error_l2};

use super::powers_of_two;
use crate::config::{Init, ResNetSpec};
use crate::neural_ode::{NeuralOde, Scheme};
use crate::resnet::{ResNet, mean_squared_error};

/// Memory-free backpropagation through Euler and Heun discretisations.
///
/// A network with weights smooth in depth ([`Init::Smooth`], length scale 0.25, GELU,
/// `d = 16`, `M = 32`, `beta = 1`, `n = 50` Gaussian inputs and targets) is run forward
/// keeping only its output, then backpropagated while each state is rebuilt by a backward
/// step `Φ_{-h}`. The round trip `Φ_{-h} ∘ Φ_h` differs from the identity by the difference
/// between the method and its adjoint `Φ*_h = Φ_{-h}^{-1}`, whose leading error terms are
/// `C h^{p+1}` and `(-1)^p C h^{p+1}` for a method of order `p` (Hairer, Lubich, Wanner,
/// *Geometric Numerical Integration*, Thm. II.3.2): `O(h^2)` per Euler step (`p = 1`), but
/// `O(h^4)` per Heun step (`p = 2`, the terms cancel). The rebuilt input is therefore off by
/// `O(1/L)` for Euler and `O(1/L^3)` for Heun. Checks: Euler slope in `[-1.2, -0.8]`, Heun
/// slope in `[-3.3, -2.7]`, and Heun's error below Euler's at the largest depth. The relative error of the memory-free gradients against stored
/// backpropagation is reported alongside.
///
/// | setting | quick | paper |
/// |---|---|---|
/// | depths | 8, 16, ..., 512 | 8, 16, ..., 4096 |
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryFree;

impl Experiment for MemoryFree {
    fn name(&self) -> &'static str {
        "memory-free"
    }
    fn title(&self) -> &'static str {
        "Memory-free backpropagation: reconstruction error O(1/L) for Euler, O(1/L^3) for Heun"
    }
    fn paper(&self) -> &'static str {
        "M. E. Sander, P. Ablin, G. Peyré, Do residual neural networks discretize neural ODEs?, NeurIPS 2022"
    }
    fn summary(&self) -> &'static str {
        "A deep ResNet with weights smooth in depth is backpropagated without storing activations: each \
         state is rebuilt from the next one by a backward residual step. The rebuilt input differs from \
         the true one by O(1/L) for the Euler ResNet and by O(1/L^3) when the network is Heun's \
         discretisation of the same neural ODE, so the memory-free gradients approach the exact ones \
         as depth grows."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 13 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let (d, m, n) = (16, 32, 50);
        let depths = powers_of_two(8, ctx.scale.pick(512, 4096));
        let mut out = ExperimentOutput::default();
        out.param("dim", d)
            .param("hidden", m)
            .param("samples", n)
            .param("depths", &depths)
            .param("length_scale", 0.25);
        let x = gaussian_mat(&mut ctx.seed.stream("data/x"), d, n, 1.0);
        let y = gaussian_mat(&mut ctx.seed.stream("data/y"), d, n, 1.0);
        let (mut e_euler, mut e_heun, mut g_euler, mut g_heun) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, &depth) in depths.iter().enumerate() {
            ctx.progress(i as f64 / depths.len() as f64, &format!("L = {depth}"));
            let spec = ResNetSpec {
                activation: Activation::Gelu,
                init: Init::Smooth { length_scale: 0.25 },
                ..ResNetSpec::new(d, m, depth)
            };
            // One draw of the smooth weight functions for every depth: the same stream.
            let net = ResNet::new(spec.build()?, &mut ctx.seed.stream("init/smooth"));
            let mf = net.loss_and_gradients_memory_free(x.as_ref(), y.as_ref());
            let (_, exact) = net.loss_and_gradients(x.as_ref(), y.as_ref());
            e_euler.push(mf.reconstruction_error);
            g_euler.push(rel_error_l2(&mf.gradients.params.flatten(), &exact.params.flatten()));

            let ode = NeuralOde::from_resnet(&net);
            let h_last =
                ode.flow(Scheme::Heun, depth, x.as_ref())?.pop().unwrap_or_else(|| x.clone());
            let (_, g) = mean_squared_error(h_last.as_ref(), y.as_ref());
            let stored = ode.flow_backprop(Scheme::Heun, depth, x.as_ref(), g.as_ref())?;
            let free =
                ode.flow_backprop_memory_free(Scheme::Heun, depth, h_last.as_ref(), g.as_ref())?;
            e_heun.push((&free.rebuilt_initial - &x).norm_l2() / x.norm_l2());
            g_heun.push(rel_error_l2(&free.gradients.flatten(), &stored.flatten()));
        }
        let lx: Vec<f64> = depths.iter().map(|&l| l as f64).collect();
        for (label, errs, (lo, hi), p) in
            [("Euler", &e_euler, (-1.2, -0.8), -1.0), ("Heun", &e_heun, (-3.3, -2.7), -3.0)]
        {
            let fit = fit_loglog(&lx, errs);
            out.metrics.push(
                Metric::new(format!("log-log slope of reconstruction error, {label}"), fit.slope)
                    .with_std_error(fit.slope_std_error)
                    .with_reference(p, "round trip O(h^{p+1}) per step for odd order p, O(h^{p+2}) for even p (Hairer-Lubich-Wanner Thm II.3.2)")
                    .with_check(Check::Within(lo, hi)),
            );
        }
        let last = depths.len() - 1;
        out.metrics.push(
            Metric::new(format!("Heun reconstruction error at L = {}", depths[last]), e_heun[last])
                .with_reference(e_euler[last], "Euler reconstruction error at the same depth")
                .with_check(Check::AtMost),
        );
        out.metrics.push(Metric::new(
            format!("Euler memory-free gradient relative error at L = {}", depths[last]),
            g_euler[last],
        ));
        out.metrics.push(Metric::new(
            format!("Heun memory-free gradient relative error at L = {}", depths[last]),
            g_heun[last],
        ));
        out.series.push(Series::new(
            "memory_free",
            vec![
                ("L", lx.clone()),
                ("reconstruction_euler", e_euler.clone()),
                ("reconstruction_heun", e_heun.clone()),
                ("gradient_error_euler", g_euler.clone()),
                ("gradient_error_heun", g_heun.clone()),
            ],
        ));
        out.figures.push(Figure::new(
            "memory_free",
            "Memory-free backpropagation: relative error of the rebuilt input and of the gradients against depth.",
            vec![
                Panel::new("rebuilt input", "depth L", "relative error")
                    .log(true, true)
                    .curve(Curve::new("Euler", lx.clone(), e_euler, Style::Line))
                    .curve(Curve::new("Heun", lx.clone(), e_heun, Style::Line)),
                Panel::new("gradients", "depth L", "relative error")
                    .log(true, true)
                    .curve(Curve::new("Euler", lx.clone(), g_euler, Style::Line))
                    .curve(Curve::new("Heun", lx, g_heun, Style::Line)),
            ],
        ));
        Ok(out)
    }
}
