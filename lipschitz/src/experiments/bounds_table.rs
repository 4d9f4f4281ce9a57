//! Every bound against the exact constant on random networks.

use megavolt_core::experiment::{
    Check, Curve, ExperimentError, Figure, Metric, Panel, Series, Style,
};
use megavolt_core::{Experiment, ExperimentOutput, RunContext, Scale};

use crate::bounds::all_upper_bounds;
use crate::exact::{ExactConfig, exact_lipschitz, exact_lipschitz_1d};
use crate::lower::{LowerConfig, sampled_lower_bound};
use crate::network::ReluNet;
use crate::norms::Norm;
use crate::{Domain, bounds};

/// Bounds against exact constants: random ReLU networks on `R^2` (exact by region enumeration)
/// of growing width and depth in l2 and l-inf, and deep networks on `R` (exact by line
/// splitting). Reports the tightness ratio `bound / exact` of every method and checks the
/// ordering `lower <= exact <= certified bound`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoundsVsExact;

const L2_METHODS: [&str; 7] = [
    "product",
    "combettes-pesquet",
    "abs-product",
    "jacobian-interval",
    "split-abs",
    "seqlip",
    "seqlip-greedy",
];
const LINF_METHODS: [&str; 5] =
    ["product", "combettes-pesquet", "abs-product", "jacobian-interval", "split-abs"];

impl Experiment for BoundsVsExact {
    fn name(&self) -> &'static str {
        "lipschitz-bounds-vs-exact"
    }
    fn title(&self) -> &'static str {
        "Upper and lower bounds of ReLU-network Lipschitz constants against exact values"
    }
    fn paper(&self) -> &'static str {
        "M. Pintore and B. Després, Computable Lipschitz bounds for deep neural networks, arXiv:2410.21053 (2024); A. Virmaux and K. Scaman, NeurIPS 2018; P. L. Combettes and J.-C. Pesquet, SIAM J. Math. Data Sci. (2020)"
    }
    fn summary(&self) -> &'static str {
        "Random ReLU networks (weights N(0, 2/fan_in), biases N(0, 1/4)) of growing width and depth: the exact Lipschitz constant is computed by enumerating the activation regions with interior (input dimension 2) or by splitting the line (input dimension 1), and compared with the norm product, Combettes-Pesquet (in l2 and l-inf), the absolute-weight product, the Jacobian interval bound, the entrywise Combettes-Pesquet splitting (split-abs), SeqLip (exhaustive and greedy), LipSDP-Neuron (first-order solver) and the sampled-gradient lower bound. The product bound degrades geometrically with depth; Combettes-Pesquet and SeqLip stay within small factors; every certified bound stays above the exact value and the lower bound below it."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 4 min on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        let widths = ctx.scale.pick(vec![4usize, 8, 12], vec![4, 8, 12, 16]);
        let depths = ctx.scale.pick(vec![1usize, 2, 3, 4], vec![1, 2, 3, 4, 5]);
        let n_nets = ctx.scale.pick(5usize, 20);
        let n_samples = ctx.scale.pick(1000usize, 5000);
        out.param("widths", &widths)
            .param("hidden_layers", &depths)
            .param("nets_per_shape", n_nets)
            .param("input_dim", 2)
            .param("lower_samples", n_samples);

        let mut min_upper_ratio = f64::INFINITY;
        let mut max_lower_ratio: f64 = 0.0;
        let mut cp_over_product: f64 = 0.0;
        // l-inf: split-abs never exceeds Combettes-Pesquet nor the |W|-product.
        let mut split_over_min: f64 = 0.0;
        let mut rows: Vec<(usize, usize, Norm, Vec<f64>)> = Vec::new();
        let total = widths.len() * depths.len();
        let mut done = 0;
        for &w in &widths {
            for &h in &depths {
                let mut sizes = vec![2];
                sizes.extend(std::iter::repeat_n(w, h));
                sizes.push(1);
                let mut ratios_l2 = vec![0.0; L2_METHODS.len() + 1];
                let mut ratios_inf = vec![0.0; LINF_METHODS.len() + 1];
                for k in 0..n_nets {
                    let mut rng = ctx.seed.indexed(&format!("net/{w}/{h}"), k as u64);
                    let net = ReluNet::random(&sizes, 2f64.sqrt(), 0.5, &mut rng)?;
                    for (norm, methods, ratios) in [
                        (Norm::L2, &L2_METHODS[..], &mut ratios_l2),
                        (Norm::LInf, &LINF_METHODS[..], &mut ratios_inf),
                    ] {
                        let exact = exact_lipschitz(&net, &ExactConfig::new(norm))?.value;
                        let cfg = LowerConfig::new(norm, Domain::Global, n_samples, 2.0, 5, 60)?;
                        let lower = sampled_lower_bound(
                            &net,
                            &cfg,
                            ctx.seed.derive(&format!("lower/{w}/{h}/{k}")),
                        )?
                        .value;
                        let ub = all_upper_bounds(&net, norm, 16)?;
                        for (i, name) in methods.iter().enumerate() {
                            let b = ub.iter().find(|b| b.method == *name).ok_or("missing bound")?;
                            ratios[i] += b.value / exact / n_nets as f64;
                            if b.certified {
                                min_upper_ratio = min_upper_ratio.min(b.value / exact);
                            }
                        }
                        ratios[methods.len()] += lower / exact / n_nets as f64;
                        max_lower_ratio = max_lower_ratio.max(lower / exact);
                        let cp = bounds::combettes_pesquet_norm(&net, norm)?;
                        cp_over_product =
                            cp_over_product.max(cp / bounds::norm_product(&net, norm)?);
                        if norm == Norm::LInf {
                            let split = bounds::split_abs(&net, norm)?;
                            let abs = bounds::abs_product(&net, norm)?;
                            split_over_min = split_over_min.max(split / cp.min(abs));
                        }
                    }
                }
                rows.push((w, h, Norm::L2, ratios_l2));
                rows.push((w, h, Norm::LInf, ratios_inf));
                done += 1;
                ctx.progress(
                    0.8 * done as f64 / total as f64,
                    &format!("width {w}, {h} hidden layers"),
                );
            }
        }

        // Series: one row per (width, depth, norm, method).
        let mut cols: [Vec<f64>; 4] = Default::default();
        let mut method_idx = Vec::new();
        for (w, h, norm, ratios) in &rows {
            let names: Vec<&str> =
                if *norm == Norm::L2 { L2_METHODS.to_vec() } else { LINF_METHODS.to_vec() };
            for (i, r) in ratios.iter().enumerate() {
                cols[0].push(*w as f64);
                cols[1].push(*h as f64);
                cols[2].push(if *norm == Norm::L2 { 2.0 } else { f64::INFINITY });
                cols[3].push(*r);
                method_idx.push(i as f64 + if *norm == Norm::L2 { 0.0 } else { 100.0 });
            }
            let _ = names;
        }
        out.series.push(Series::new(
            "ratios_2d",
            vec![
                ("width", cols[0].clone()),
                ("hidden_layers", cols[1].clone()),
                ("p", cols[2].clone()),
                ("method_id", method_idx),
                ("mean_ratio_to_exact", cols[3].clone()),
            ],
        ));
        out.notes.push(format!(
            "method_id: l2 {} then {} = sampled lower bound; l-inf (p = inf) 100 + index in {}, {} = sampled lower bound",
            L2_METHODS.iter().enumerate().map(|(i, m)| format!("{i} = {m}")).collect::<Vec<_>>().join(", "),
            L2_METHODS.len(),
            LINF_METHODS.iter().enumerate().map(|(i, m)| format!("{i} = {m}")).collect::<Vec<_>>().join(", "),
            100 + LINF_METHODS.len()
        ));

        // Figure panel 1: l2 ratios against depth at the largest width.
        let wmax = *widths.last().ok_or("no width")?;
        let mut panel =
            Panel::new(format!("l2, input 2, width {wmax}"), "hidden layers", "bound / exact")
                .log(false, true);
        for (i, name) in L2_METHODS.iter().chain(std::iter::once(&"lower")).enumerate() {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.0 == wmax && r.2 == Norm::L2)
                .map(|r| (r.1 as f64, r.3[i]))
                .collect();
            panel = panel.curve(Curve::new(
                *name,
                pts.iter().map(|p| p.0).collect(),
                pts.iter().map(|p| p.1).collect(),
                Style::Line,
            ));
        }
        let mut panel_inf =
            Panel::new(format!("l-inf, input 2, width {wmax}"), "hidden layers", "bound / exact")
                .log(false, true);
        for (i, name) in LINF_METHODS.iter().chain(std::iter::once(&"lower")).enumerate() {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.0 == wmax && r.2 == Norm::LInf)
                .map(|r| (r.1 as f64, r.3[i]))
                .collect();
            panel_inf = panel_inf.curve(Curve::new(
                *name,
                pts.iter().map(|p| p.0).collect(),
                pts.iter().map(|p| p.1).collect(),
                Style::Line,
            ));
        }

        // Deep networks on R: exact by line splitting.
        let deep_depths: Vec<usize> = ctx.scale.pick((1..=8).collect(), (1..=12).collect());
        let deep_width = ctx.scale.pick(32usize, 64);
        let mut deep = vec![Vec::new(); 5];
        for &h in &deep_depths {
            let mut acc = [0.0; 4];
            for k in 0..n_nets {
                let mut sizes = vec![1];
                sizes.extend(std::iter::repeat_n(deep_width, h));
                sizes.push(1);
                let net = ReluNet::random(
                    &sizes,
                    2f64.sqrt(),
                    0.5,
                    &mut ctx.seed.indexed(&format!("deep/{h}"), k as u64),
                )?;
                let (exact, _) = exact_lipschitz_1d(&net, Norm::L2, None)?;
                acc[0] += bounds::norm_product(&net, Norm::L2)? / exact / n_nets as f64;
                acc[1] += bounds::combettes_pesquet(&net)? / exact / n_nets as f64;
                acc[2] += bounds::jacobian_interval(&net, Norm::L2)? / exact / n_nets as f64;
                acc[3] += bounds::split_abs(&net, Norm::L2)? / exact / n_nets as f64;
            }
            deep[0].push(h as f64);
            for i in 0..4 {
                deep[i + 1].push(acc[i]);
            }
        }
        ctx.progress(0.95, "deep networks on the line");
        out.series.push(Series::new(
            "ratios_1d_deep",
            vec![
                ("hidden_layers", deep[0].clone()),
                ("product", deep[1].clone()),
                ("combettes_pesquet", deep[2].clone()),
                ("jacobian_interval", deep[3].clone()),
                ("split_abs", deep[4].clone()),
            ],
        ));
        let mut panel_deep = Panel::new(
            format!("l2, input 1, width {deep_width}"),
            "hidden layers",
            "bound / exact",
        )
        .log(false, true);
        for (i, name) in
            ["product", "combettes-pesquet", "jacobian-interval", "split-abs"].iter().enumerate()
        {
            panel_deep = panel_deep.curve(Curve::new(
                *name,
                deep[0].clone(),
                deep[i + 1].clone(),
                Style::Line,
            ));
        }
        out.figures.push(Figure::new("bounds_vs_exact", "Mean ratio of each bound to the exact Lipschitz constant (1 = exact; below 1 only for lower bounds and the uncertified greedy SeqLip)", vec![panel, panel_inf, panel_deep]));

        // Closed-form regression networks (W1 = [1; -1], no bias).
        let w1 = faer::mat![[1.0], [-1.0]];
        let id = ReluNet::new(vec![w1.clone(), faer::mat![[1.0, -1.0]]], None)?;
        let abs = ReluNet::new(vec![w1, faer::mat![[1.0, 1.0]]], None)?;
        out.metrics.push(
            Metric::new(
                "exact constant of relu(x) - relu(-x)",
                exact_lipschitz(&id, &ExactConfig::new(Norm::L2))?.value,
            )
            .with_reference(1.0, "closed form: the identity")
            .with_check(Check::Abs(1e-12)),
        );
        out.metrics.push(
            Metric::new(
                "Combettes-Pesquet for relu(x) - relu(-x)",
                bounds::combettes_pesquet(&id)?,
            )
            .with_reference(2.0, "closed form (|W2 W1| + |W2| |W1|) / 2")
            .with_check(Check::Abs(1e-12)),
        );
        out.metrics.push(
            Metric::new(
                "Combettes-Pesquet for relu(x) + relu(-x)",
                bounds::combettes_pesquet(&abs)?,
            )
            .with_reference(1.0, "closed form (|W2 W1| + |W2| |W1|) / 2")
            .with_check(Check::Abs(1e-12)),
        );
        out.metrics.push(
            Metric::new(
                "split-abs (l-inf) for relu(x) + relu(-x)",
                bounds::split_abs(&abs, Norm::LInf)?,
            )
            .with_reference(1.0, "closed form (|W2 W1| + |W2| |W1|) / 2 = (0 + 2) / 2")
            .with_check(Check::Abs(1e-12)),
        );
        out.metrics.push(
            Metric::new(
                "split-abs (l-inf) for relu(x) - relu(-x)",
                bounds::split_abs(&id, Norm::LInf)?,
            )
            .with_reference(2.0, "closed form (|W2 W1| + |W2| |W1|) / 2 = (2 + 2) / 2")
            .with_check(Check::Abs(1e-12)),
        );
        out.metrics.push(
            Metric::new(
                "norm product for relu(x) + relu(-x)",
                bounds::norm_product(&abs, Norm::L2)?,
            )
            .with_reference(2.0, "closed form |W2| |W1|")
            .with_check(Check::Abs(1e-12)),
        );
        out.metrics.push(
            Metric::new("min certified bound / exact over all networks", min_upper_ratio)
                .with_reference(1.0 - 1e-12, "definition of an upper bound")
                .with_check(Check::AtLeast),
        );
        out.metrics.push(
            Metric::new("max sampled lower bound / exact over all networks", max_lower_ratio)
                .with_reference(1.0 + 1e-12, "definition of a lower bound")
                .with_check(Check::AtMost),
        );
        out.metrics.push(
            Metric::new(
                "max Combettes-Pesquet / product over all networks and norms",
                cp_over_product,
            )
            .with_reference(1.0 + 1e-12, "Combettes & Pesquet 2020, Proposition 3.6")
            .with_check(Check::AtMost),
        );
        out.metrics.push(
            Metric::new(
                "max split-abs / min(Combettes-Pesquet, abs-product) in l-inf over all networks",
                split_over_min,
            )
            .with_reference(1.0 + 1e-12, "triangle inequality on non-negative matrices")
            .with_check(Check::AtMost),
        );
        ctx.progress(1.0, "done");
        Ok(out)
    }
}

/// Keeps `Scale` in scope for readers of `pick`.
#[allow(dead_code)]
fn _scale(_: Scale) {}
