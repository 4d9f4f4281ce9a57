//! Accuracy against certified Lipschitz constant for three ways of controlling it in training.

use faer::Mat;
use megavolt_core::experiment::{Curve, ExperimentError, Figure, Metric, Panel, Series, Style};
use megavolt_core::nn::{Activation, Init, Mlp, mse_loss};
use megavolt_core::{Experiment, ExperimentOutput, RunContext};

use crate::bounds;
use crate::exact::exact_lipschitz_1d;
use crate::network::ReluNet;
use crate::norms::Norm;
use crate::training::{Control, TrainConfig, train_regression};

/// Trains the same ReLU network `[1, 32, 32, 1]` (same initialisation, same data) on
/// `y = sin(pi x) + 0.3 sin(5 pi x)` on `[-1, 1]` (constant `2.5 pi`) without control, with
/// spectral normalisation (per-layer targets), with the Parseval retraction and with a penalty
/// on the l2 norm product, and reports the test error against the certified constant
/// (Combettes–Pesquet) and the exact constant (line splitting).
#[derive(Debug, Clone, Copy, Default)]
pub struct TrainingTradeoff;

fn target(x: f64) -> f64 {
    (std::f64::consts::PI * x).sin() + 0.3 * (5.0 * std::f64::consts::PI * x).sin()
}

impl Experiment for TrainingTradeoff {
    fn name(&self) -> &'static str {
        "lipschitz-training-tradeoff"
    }
    fn title(&self) -> &'static str {
        "Accuracy against certified Lipschitz constant under spectral normalisation, Parseval retraction and bound penalty"
    }
    fn paper(&self) -> &'static str {
        "T. Miyato et al., Spectral normalization for GANs, ICLR 2018; M. Cissé et al., Parseval networks, ICML 2017; B. Després, Neural Networks and Numerical Analysis, De Gruyter 2022"
    }
    fn summary(&self) -> &'static str {
        "One regression network, one initialisation, one data set; each Lipschitz control is run at several strengths. Tighter control gives a smaller certified constant (Combettes-Pesquet bound) and exact constant, at the price of a larger test error once the constant falls below that of the target function (2.5 pi)."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 5 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        let steps = ctx.scale.pick(1500usize, 6000);
        let n_train = 64;
        let lr = 3e-3;
        let sizes = [1usize, 32, 32, 1];
        out.param("steps", steps)
            .param("lr", lr)
            .param("sizes", sizes)
            .param("n_train", n_train)
            .param("target", "sin(pi x) + 0.3 sin(5 pi x)");
        let x = Mat::from_fn(1, n_train, |_, j| -1.0 + 2.0 * j as f64 / (n_train - 1) as f64);
        let y = Mat::from_fn(1, n_train, |_, j| target(x[(0, j)]));
        let n_test = 401;
        let xt = Mat::from_fn(1, n_test, |_, j| -1.0 + 2.0 * j as f64 / (n_test - 1) as f64);
        let yt = Mat::from_fn(1, n_test, |_, j| target(xt[(0, j)]));
        let init = Mlp::new(
            &sizes,
            Activation::Relu,
            Activation::Identity,
            Init::He,
            &mut ctx.seed.stream("init"),
        );

        let runs: Vec<(&str, f64, Control)> = vec![
            ("none", 0.0, Control::None),
            ("spectral", 0.8, Control::SpectralNorm { target: 0.8, iters: 1 }),
            ("spectral", 1.2, Control::SpectralNorm { target: 1.2, iters: 1 }),
            ("spectral", 1.6, Control::SpectralNorm { target: 1.6, iters: 1 }),
            ("spectral", 2.2, Control::SpectralNorm { target: 2.2, iters: 1 }),
            ("parseval", 1e-3, Control::Parseval { beta: 1e-3 }),
            ("parseval", 1e-2, Control::Parseval { beta: 1e-2 }),
            ("penalty", 1e-3, Control::Penalty { lambda: 1e-3, norm: Norm::L2 }),
            ("penalty", 1e-2, Control::Penalty { lambda: 1e-2, norm: Norm::L2 }),
            ("penalty", 1e-1, Control::Penalty { lambda: 1e-1, norm: Norm::L2 }),
        ];
        let mut table: Vec<[f64; 5]> = Vec::new();
        let mut worst_exact_over_cp: f64 = 0.0;
        for (k, (name, strength, control)) in runs.iter().enumerate() {
            let mut net = init.clone();
            let cfg = TrainConfig::new(steps, lr, *control)?;
            let hist = train_regression(&mut net, x.as_ref(), y.as_ref(), &cfg)?;
            let test = mse_loss(net.forward(xt.as_ref()).as_ref(), yt.as_ref()).0;
            let rnet = ReluNet::from_mlp(&net)?;
            let cp = bounds::combettes_pesquet(&rnet)?;
            let product = bounds::norm_product(&rnet, Norm::L2)?;
            let (exact, _) = exact_lipschitz_1d(&rnet, Norm::L2, None)?;
            table.push([k as f64, *strength, hist.final_loss, test, cp]);
            worst_exact_over_cp = worst_exact_over_cp.max(exact / cp);
            out.metrics.push(Metric::new(format!("{name} ({strength}): test mse"), test));
            out.metrics
                .push(Metric::new(format!("{name} ({strength}): Combettes-Pesquet bound"), cp));
            out.metrics.push(Metric::new(format!("{name} ({strength}): exact constant"), exact));
            out.metrics.push(Metric::new(format!("{name} ({strength}): norm product"), product));
            ctx.progress((k + 1) as f64 / runs.len() as f64, &format!("{name} {strength}"));
        }
        out.metrics.push(
            Metric::new("max exact constant / Combettes-Pesquet over runs", worst_exact_over_cp)
                .with_reference(1.0 + 1e-12, "upper-bound property")
                .with_check(megavolt_core::experiment::Check::AtMost),
        );
        out.series.push(Series::new(
            "tradeoff",
            vec![
                ("run", table.iter().map(|r| r[0]).collect()),
                ("strength", table.iter().map(|r| r[1]).collect()),
                ("train_mse", table.iter().map(|r| r[2]).collect()),
                ("test_mse", table.iter().map(|r| r[3]).collect()),
                ("combettes_pesquet", table.iter().map(|r| r[4]).collect()),
            ],
        ));
        out.notes.push(format!(
            "runs in order: {}",
            runs.iter().map(|r| format!("{} {}", r.0, r.1)).collect::<Vec<_>>().join("; ")
        ));
        let mut panel = Panel::new(
            "accuracy against certified constant",
            "Combettes-Pesquet bound",
            "test mse",
        )
        .log(true, true);
        for name in ["none", "spectral", "parseval", "penalty"] {
            let pts: Vec<&[f64; 5]> =
                runs.iter().zip(&table).filter(|(r, _)| r.0 == name).map(|(_, t)| t).collect();
            panel = panel.curve(Curve::new(
                name,
                pts.iter().map(|t| t[4]).collect(),
                pts.iter().map(|t| t[3]).collect(),
                Style::Points,
            ));
        }
        let grid: Vec<f64> = vec![2.5 * std::f64::consts::PI; 2];
        panel =
            panel.curve(Curve::new("target constant 2.5 pi", grid, vec![1e-4, 1.0], Style::Dashed));
        out.figures.push(Figure::new("training_tradeoff", "Test error against the certified (Combettes-Pesquet) Lipschitz constant of the trained network", vec![panel]));
        Ok(out)
    }
}
