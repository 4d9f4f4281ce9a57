//! The numbers the crate must reproduce, at small size: closed forms, convergence orders and
//! Monte Carlo identities.

use faer::Mat;
use megavolt_core::nn::Activation;
use megavolt_core::rng::{Seed, gaussian_mat};
use megavolt_core::stats::{fit_loglog, mean_se, rel_error_l2};
use resnet_ode::{Init, Integrator, NeuralOde, ResNet, ResNetParams, ResNetSpec, Scheme};

/// The rotation generator A = [[0, -1], [1, 0]] as a neural ODE `dh/ds = V sigma(W h)` with
/// `V = A`, `W = I`, identity activation, and the exact solution `(cos 1, sin 1)` from `(1, 0)`.
fn rotation() -> (NeuralOde, Mat<f64>, Mat<f64>) {
    let a = Mat::from_fn(2, 2, |i, j| [[0.0, -1.0], [1.0, 0.0]][i][j]);
    let ode = NeuralOde::new(Activation::Identity, vec![Mat::identity(2, 2)], vec![a]);
    let h0 = Mat::from_fn(2, 1, |i, _| [1.0, 0.0][i]);
    let exact = Mat::from_fn(2, 1, |i, _| [1f64.cos(), 1f64.sin()][i]);
    (ode, h0, exact)
}

fn rotation_resnet(depth: usize) -> ResNet {
    let cfg = ResNetSpec { activation: Activation::Identity, ..ResNetSpec::new(2, 2, depth) }
        .build()
        .unwrap();
    let a = Mat::from_fn(2, 2, |i, j| [[0.0, -1.0], [1.0, 0.0]][i][j]);
    let params = ResNetParams {
        w: vec![Mat::identity(2, 2); depth],
        v: vec![a; depth],
        input_map: None,
        output_map: None,
    };
    ResNet::from_params(cfg, params)
}

/// All entries of a matrix, column-major.
fn flat(m: &Mat<f64>) -> Vec<f64> {
    (0..m.ncols()).flat_map(|j| m.col_as_slice(j).to_vec()).collect()
}

mod rotation_resnet {
    use super::*;

    /// Euler ResNet and Heun errors at L = 10, 100, 1000 (published to four digits, hence the
    /// relative tolerance of one unit in the fourth digit).
    #[test]
    fn euler_and_heun_errors_match_the_reference_values() {
        let (ode, h0, exact) = rotation();
        let euler_ref = [5.112e-2, 5.012e-3, 5.001e-4];
        let heun_ref = [1.666e-3, 1.667e-5, 1.667e-7];
        for (i, depth) in [10usize, 100, 1000].into_iter().enumerate() {
            let net = rotation_resnet(depth);
            let e_euler = (net.forward(h0.as_ref()) - &exact).norm_l2();
            assert!(
                (e_euler - euler_ref[i]).abs() <= 1e-3 * euler_ref[i],
                "Euler L = {depth}: {e_euler:e}"
            );
            let heun = ode
                .integrate(h0.as_ref(), Integrator::Fixed { scheme: Scheme::Heun, steps: depth })
                .unwrap();
            let e_heun = (heun - &exact).norm_l2();
            assert!(
                (e_heun - heun_ref[i]).abs() <= 1e-3 * heun_ref[i],
                "Heun L = {depth}: {e_heun:e}"
            );
            // The same numbers from the neural ODE's own schemes and from megavolt-core's Euler.
            let own = ode.flow(Scheme::Heun, depth, h0.as_ref()).unwrap().pop().unwrap();
            assert!((own - &exact).norm_l2() - e_heun < 1e-13);
            let core = ode
                .integrate(h0.as_ref(), Integrator::Fixed { scheme: Scheme::Euler, steps: depth })
                .unwrap();
            assert!((core - &exact).norm_l2() - e_euler < 1e-13);
        }
    }

    /// Memory-free reconstruction of h_0: one Euler round trip is I - A^2/L^2 = (1 + 1/L^2) I,
    /// one Heun round trip I + A^4/(4 L^4) = (1 + 1/(4 L^4)) I, so the errors are
    /// (1 + 1/L^2)^L - 1 and (1 + 1/(4L^4))^L - 1.
    #[test]
    fn memory_free_reconstruction_errors_are_the_closed_forms() {
        let (ode, h0, _) = rotation();
        for depth in [10usize, 100, 1000] {
            let l = depth as f64;
            for (scheme, exact_err) in [
                (Scheme::Euler, (1.0 + 1.0 / (l * l)).powf(l) - 1.0),
                (Scheme::Heun, (1.0 + 0.25 / l.powi(4)).powf(l) - 1.0),
            ] {
                let h_last = ode.flow(scheme, depth, h0.as_ref()).unwrap().pop().unwrap();
                let g = Mat::<f64>::zeros(2, 1);
                let mf = ode
                    .flow_backprop_memory_free(scheme, depth, h_last.as_ref(), g.as_ref())
                    .unwrap();
                let err = (&mf.rebuilt_initial - &h0).norm_l2();
                // Rounding accumulates as ~ L u over the forward and backward passes.
                assert!(
                    (err - exact_err).abs() <= 1e-6 * exact_err + 8.0 * l * f64::EPSILON,
                    "{scheme:?} L = {depth}: {err:e} vs {exact_err:e}"
                );
            }
        }
    }
}

mod adjoints {
    use super::*;

    fn smooth_ode(nodes: usize, seed: u64) -> (NeuralOde, Mat<f64>, Mat<f64>) {
        let cfg = ResNetSpec {
            activation: Activation::Tanh,
            init: Init::Smooth { length_scale: 0.3 },
            ..ResNetSpec::new(3, 4, nodes)
        }
        .build()
        .unwrap();
        let seed = Seed::new(seed);
        let net = ResNet::new(cfg, &mut seed.stream("init"));
        let h0 = gaussian_mat(&mut seed.stream("h0"), 3, 5, 1.0);
        let target = gaussian_mat(&mut seed.stream("target"), 3, 5, 1.0);
        (NeuralOde::from_resnet(&net), h0, target)
    }

    /// Backpropagation through the ResNet and the discrete adjoint of its Euler scheme are the
    /// same recursion written twice: equal to rounding.
    #[test]
    fn discrete_adjoint_of_euler_equals_backprop() {
        for (act, beta) in
            [(Activation::Gelu, 1.0), (Activation::Tanh, 0.5), (Activation::Relu, 1.0)]
        {
            let cfg =
                ResNetSpec { activation: act, beta, ..ResNetSpec::new(4, 6, 32) }.build().unwrap();
            let seed = Seed::new(3);
            let net = ResNet::new(cfg, &mut seed.stream("init"));
            let x = gaussian_mat(&mut seed.stream("x"), 4, 7, 1.0);
            let y = gaussian_mat(&mut seed.stream("y"), 4, 7, 1.0);
            let (_, bp) = net.loss_and_gradients(x.as_ref(), y.as_ref());
            let ode = NeuralOde::from_resnet(&net);
            let out = net.forward(x.as_ref());
            let (_, g_out) = resnet_ode::mean_squared_error(out.as_ref(), y.as_ref());
            let adj = ode.flow_backprop(Scheme::Euler, 32, x.as_ref(), g_out.as_ref()).unwrap();
            // The ODE's V nodes are L^{1-beta} V_k, so dl/dV_k = L^{1-beta} dl/dVnode_k.
            let c = 32f64.powf(1.0 - beta);
            let mut adj_flat = Vec::new();
            for m in &adj.w {
                for j in 0..m.ncols() {
                    adj_flat.extend_from_slice(m.col_as_slice(j));
                }
            }
            for m in &adj.v {
                for j in 0..m.ncols() {
                    adj_flat.extend(m.col_as_slice(j).iter().map(|g| c * g));
                }
            }
            let rel = rel_error_l2(&adj_flat, &bp.params.flatten());
            assert!(rel < 1e-12, "{act:?}: relative difference {rel:e}");
            let rel_x = rel_error_l2(&flat(&adj.state), &flat(&bp.input));
            assert!(rel_x < 1e-12, "{act:?}: input gradient {rel_x:e}");
        }
    }

    /// Backpropagation through Heun and RK4 steps against central differences of the loss.
    #[test]
    fn discrete_adjoints_match_finite_differences() {
        let (ode, h0, target) = smooth_ode(4, 9);
        for scheme in [Scheme::Heun, Scheme::Rk4] {
            let loss = |o: &NeuralOde| {
                let h = o.flow(scheme, 8, h0.as_ref()).unwrap().pop().unwrap();
                resnet_ode::mean_squared_error(h.as_ref(), target.as_ref())
            };
            let (_, g) = loss(&ode);
            let grads = ode.flow_backprop(scheme, 8, h0.as_ref(), g.as_ref()).unwrap();
            let eps = 1e-6;
            for (node, (r, c)) in [(0usize, (0usize, 0usize)), (1, (2, 1)), (3, (3, 2))] {
                let mut w = ode.w_nodes().to_vec();
                w[node][(r, c)] += eps;
                let lp =
                    loss(&NeuralOde::new(ode.activation(), w.clone(), ode.v_nodes().to_vec())).0;
                w[node][(r, c)] -= 2.0 * eps;
                let lm = loss(&NeuralOde::new(ode.activation(), w, ode.v_nodes().to_vec())).0;
                let fd = (lp - lm) / (2.0 * eps);
                assert!(
                    (fd - grads.w[node][(r, c)]).abs() < 1e-8,
                    "{scheme:?}: {fd} vs {}",
                    grads.w[node][(r, c)]
                );
            }
        }
    }

    /// The continuous adjoint solved with a scheme of order p at step 1/N converges to the exact
    /// gradient of the continuous model at order p, and to backpropagation through the same
    /// scheme (the discrete adjoint) at least at order p (Heun's leading terms coincide, so
    /// the difference is O(N^{-3}) there). The reference is the continuous adjoint with RK4 at
    /// 512 steps (error below 1e-11).
    #[test]
    fn continuous_adjoint_converges_at_the_scheme_order() {
        let (ode, h0, target) = smooth_ode(4, 21);
        let loss_grad =
            |h: faer::MatRef<'_, f64>| resnet_ode::mean_squared_error(h, target.as_ref()).1;
        let reference = ode
            .continuous_adjoint(
                h0.as_ref(),
                Integrator::Fixed { scheme: Scheme::Rk4, steps: 512 },
                loss_grad,
            )
            .unwrap()
            .gradients
            .flatten();
        for (scheme, steps) in [
            (Scheme::Euler, [16usize, 32, 64, 128]),
            (Scheme::Heun, [8, 16, 32, 64]),
            (Scheme::Rk4, [4, 8, 16, 32]),
        ] {
            let (mut to_exact, mut to_discrete) = (Vec::new(), Vec::new());
            for &n in &steps {
                let cont = ode
                    .continuous_adjoint(
                        h0.as_ref(),
                        Integrator::Fixed { scheme, steps: n },
                        loss_grad,
                    )
                    .unwrap();
                let h1 = ode.flow(scheme, n, h0.as_ref()).unwrap().pop().unwrap();
                let disc = ode
                    .flow_backprop(scheme, n, h0.as_ref(), loss_grad(h1.as_ref()).as_ref())
                    .unwrap();
                to_exact.push(rel_error_l2(&cont.gradients.flatten(), &reference));
                to_discrete.push(rel_error_l2(&cont.gradients.flatten(), &disc.flatten()));
            }
            let h: Vec<f64> = steps.iter().map(|&n| 1.0 / n as f64).collect();
            let p = scheme.order() as f64;
            let exact_fit = fit_loglog(&h, &to_exact);
            assert!(
                (exact_fit.slope - p).abs() < 0.25,
                "{scheme:?}: slope to exact {} ({to_exact:?})",
                exact_fit.slope
            );
            let disc_fit = fit_loglog(&h, &to_discrete);
            assert!(
                disc_fit.slope > p - 0.25,
                "{scheme:?}: slope to discrete {} ({to_discrete:?})",
                disc_fit.slope
            );
        }
    }
}

mod depth_scaling {
    use super::*;
    use resnet_ode::depth_scaling::{DepthScaling, expected_norm_ratio};

    /// E|h_L|^2/|h_0|^2 = (1 + L^{-2 beta}/2)^L within four standard errors, in the three
    /// regimes.
    #[test]
    fn second_moment_identity_within_sampling_error() {
        for (beta, depth) in [(0.25, 16usize), (0.5, 32), (1.0, 32), (0.5, 4)] {
            let study = DepthScaling {
                dim: 6,
                hidden: 10,
                depth,
                beta,
                activation: Activation::Relu,
                draws: 3000,
            };
            let r = study.sample(Seed::new(17)).unwrap();
            let m = mean_se(&r);
            let exact = expected_norm_ratio(Activation::Relu, depth, beta).unwrap();
            assert!(
                (m.mean - exact).abs() < 4.0 * m.std_error,
                "beta {beta}, L {depth}: {} ± {} vs {exact}",
                m.mean,
                m.std_error
            );
        }
    }
}

mod errors {
    use super::*;
    use resnet_ode::{ResnetError, TrainSpec};

    #[test]
    fn bad_input_returns_typed_errors() {
        assert!(matches!(
            ResNetSpec::new(0, 4, 4).build(),
            Err(ResnetError::InvalidParameter { name: "dim", .. })
        ));
        assert!(matches!(
            TrainSpec::new(f64::NAN, 4).build(),
            Err(ResnetError::InvalidParameter { name: "lr0", .. })
        ));
        assert!(matches!(
            TrainSpec::new(0.1, 0).build(),
            Err(ResnetError::InvalidParameter { name: "steps", .. })
        ));
        let study = resnet_ode::depth_scaling::DepthScaling {
            dim: 2,
            hidden: 2,
            depth: 2,
            beta: 0.5,
            activation: Activation::Relu,
            draws: 1,
        };
        assert!(matches!(
            study.sample(Seed::new(0)),
            Err(ResnetError::InvalidParameter { name: "draws", .. })
        ));
        // A velocity that blows up is reported with the step where it happened.
        let ode = NeuralOde::new(
            Activation::Identity,
            vec![Mat::identity(1, 1)],
            vec![Mat::from_fn(1, 1, |_, _| 1e308)],
        );
        let h0 = Mat::from_fn(1, 1, |_, _| 1e10);
        assert!(matches!(
            ode.flow(Scheme::Euler, 4, h0.as_ref()),
            Err(ResnetError::NonFinite { step: 1, .. })
        ));
        assert!(matches!(
            ode.integrate(h0.as_ref(), Integrator::Fixed { scheme: Scheme::Rk4, steps: 4 }),
            Err(ResnetError::Core(megavolt_core::CoreError::NonFinite { .. }))
        ));
    }
}

mod determinism {
    use super::*;
    use resnet_ode::{TrainSpec, train};

    /// A short training run is bit-identical for a given seed; its loss curve (rounded) and
    /// the integer shape of its history are locked by a snapshot.
    #[test]
    fn training_trajectory_is_reproducible() {
        let run = || {
            let seed = Seed::new(42);
            let cfg = ResNetSpec {
                init: Init::Smooth { length_scale: 0.3 },
                ..ResNetSpec::new(3, 6, 12)
            }
            .build()
            .unwrap();
            let mut net = ResNet::new(cfg, &mut seed.stream("init"));
            let x = gaussian_mat(&mut seed.stream("x"), 3, 16, 1.0);
            let y = gaussian_mat(&mut seed.stream("y"), 3, 16, 1.0);
            let spec =
                TrainSpec { batch_size: Some(4), record_every: 5, ..TrainSpec::new(0.05, 40) };
            let hist = train(
                &mut net,
                x.as_ref(),
                y.as_ref(),
                &spec.build().unwrap(),
                &mut seed.stream("batches"),
            )
            .unwrap();
            (hist, net.params().flatten())
        };
        let (h1, p1) = run();
        let (h2, p2) = run();
        assert!(p1.iter().zip(&p2).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(h1, h2);
        let lines: Vec<String> =
            h1.steps.iter().zip(&h1.loss).map(|(s, l)| format!("{s}: {l:.6}")).collect();
        insta::assert_snapshot!(format!(
            "records: {}\n{}\nfinal: {:.6}",
            h1.steps.len(),
            lines.join("\n"),
            h1.final_loss
        ));
    }
}

mod memory_free {
    use super::*;

    /// Rebuilding the states of an Euler ResNet with smooth weights leaves an error O(1/L):
    /// the fitted slope over L = 16..128 is -1.
    #[test]
    fn euler_reconstruction_error_is_first_order() {
        let seed = Seed::new(8);
        let x = gaussian_mat(&mut seed.stream("x"), 4, 6, 1.0);
        let y = gaussian_mat(&mut seed.stream("y"), 4, 6, 1.0);
        let depths = [16usize, 32, 64, 128];
        let mut errs = Vec::new();
        for &depth in &depths {
            let cfg = ResNetSpec {
                init: Init::Smooth { length_scale: 0.3 },
                ..ResNetSpec::new(4, 8, depth)
            }
            .build()
            .unwrap();
            let net = ResNet::new(cfg, &mut seed.stream("init"));
            let mf = net.loss_and_gradients_memory_free(x.as_ref(), y.as_ref());
            let (loss, exact) = net.loss_and_gradients(x.as_ref(), y.as_ref());
            assert!((mf.loss - loss).abs() <= 1e-14 * loss.max(1.0));
            // The gradients computed on rebuilt states are close to the exact ones.
            assert!(
                rel_error_l2(&mf.gradients.params.flatten(), &exact.params.flatten())
                    < 10.0 * mf.reconstruction_error.max(1e-15)
            );
            errs.push(mf.reconstruction_error);
        }
        let l: Vec<f64> = depths.iter().map(|&d| d as f64).collect();
        let fit = fit_loglog(&l, &errs);
        assert!((fit.slope + 1.0).abs() < 0.15, "slope {} ({errs:?})", fit.slope);
    }
}

mod experiments_smoke {
    use megavolt_core::experiment::{Scale, silent_context};

    /// The cheapest experiment runs in the test profile and its verdicts pass.
    #[test]
    fn transport_map_experiment_passes_at_quick_scale() {
        let e =
            resnet_ode::experiments().into_iter().find(|e| e.name() == "transport-map").unwrap();
        let out = e.run(&silent_context(0, Scale::Quick)).unwrap();
        assert!(out.metrics.iter().filter(|m| m.pass.is_some()).count() >= 3);
        assert!(out.all_pass(), "{:?}", out.metrics);
    }
}

mod implicit_regularisation {
    use super::*;
    use resnet_ode::{TrainSpec, train};

    /// The long-time regime of Marion et al. (ICLR 2024, §5, Fig. 2) with the settings of the
    /// authors' `infinite_training_time.py`: `d = 16`, `M = 64`, `n = 50`, `L = 64`, GELU,
    /// `V_k = 0` and all `W_k` equal to one `N(0, 1)` matrix, inputs and targets `N(0, I)`,
    /// gradient descent with step `L * 0.005` on `mean((h_L - y)^2)`. Under the
    /// Polyak–Łojasiewicz condition of the paper's §4 the loss decays geometrically to 0; at 100 000 steps it is
    /// below `1e-6` (the figure's axis goes down to `1e-7`).
    fn figure_two(steps: usize) -> (Vec<f64>, f64, f64) {
        let seed = Seed::new(0);
        let (d, m, n, l) = (16, 64, 50, 64);
        let x = gaussian_mat(&mut seed.stream("x"), d, n, 1.0);
        let y = gaussian_mat(&mut seed.stream("y"), d, n, 1.0);
        let w0 = gaussian_mat(&mut seed.stream("w0"), m, d, 1.0);
        let cfg = ResNetSpec {
            activation: Activation::Gelu,
            init: Init::Tied,
            ..ResNetSpec::new(d, m, l)
        }
        .build()
        .unwrap();
        let params = ResNetParams {
            w: vec![w0; l],
            v: vec![Mat::zeros(d, m); l],
            input_map: None,
            output_map: None,
        };
        let mut net = ResNet::from_params(cfg, params);
        let spec = TrainSpec { record_every: steps / 10, ..TrainSpec::new(0.005, steps) };
        let h =
            train(&mut net, x.as_ref(), y.as_ref(), &spec.build().unwrap(), &mut seed.stream("b"))
                .unwrap();
        (h.loss, h.final_loss, l as f64 * h.max_increment_over_time)
    }

    #[test]
    #[ignore = "paper scale: cargo test --release -- --ignored"]
    fn figure_two_loss_goes_below_1e_minus_6() {
        let (loss, last, smooth) = figure_two(100_000);
        eprintln!(
            "Fig. 2: loss every 10 000 steps {loss:?}, final {last:.3e}, L max inc {smooth:.3}"
        );
        assert!(last < 1e-6, "final loss {last:e} ({loss:?}), L max increment {smooth}");
        // Geometric decay: the second half of the run divides the loss by a large factor.
        assert!(loss[5] / last > 100.0, "{loss:?}, {last:e}");
        assert!(loss.windows(2).all(|w| w[1] < w[0]), "{loss:?}");
    }
}
