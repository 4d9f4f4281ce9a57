//! The papers' numbers at test size. Paper-scale variants are ignored by default:
//! `cargo test -p pinn --release -- --ignored`.

use megavolt_core::rng::Seed;
use megavolt_core::stats::rel_error_l2;
use pinn::problems::{advection, heat, oscillator, wave};
use pinn::{SolveMethod, mse};

mod pikl {
    use super::*;

    #[test]
    fn oscillator_prior_beats_sobolev_only_fit() {
        // L = pi, s = 2, m = 100, n = 1000, noise sd 0.5, lambda = 1/n, mu = 1 (pikernel README
        // setting); test MSE < 3e-3 and at least 3x below mu = 0.
        let seed = Seed::new(1);
        let train = oscillator::sample(seed, "train", 1000, 0.5);
        let test = oscillator::sample(seed, "test", 1000, 0.0);
        let with =
            oscillator::config(100, 1e-3, 1.0).unwrap().fit(train.x.as_ref(), &train.y).unwrap();
        let without =
            oscillator::config(100, 1e-3, 0.0).unwrap().fit(train.x.as_ref(), &train.y).unwrap();
        let e_with = mse(&with.predict(test.x.as_ref()), &test.y);
        let e_without = mse(&without.predict(test.x.as_ref()), &test.y);
        eprintln!("oscillator: mu = 1 MSE {e_with:.3e}, mu = 0 MSE {e_without:.3e}");
        assert!(e_with < 3e-3, "{e_with}");
        assert!(3.0 * e_with < e_without, "{e_with} vs {e_without}");
        assert_eq!(with.method(), SolveMethod::Cholesky);
    }

    #[test]
    fn validation_split_prefers_the_correct_prior() {
        let seed = Seed::new(5);
        let train = oscillator::sample(seed, "train", 300, 0.5);
        let val = oscillator::sample(seed, "val", 100, 0.5);
        let base = oscillator::config(50, 1e-3, 0.0).unwrap();
        let sel = pinn::select_penalties(
            &base,
            train.x.as_ref(),
            &train.y,
            val.x.as_ref(),
            &val.y,
            &[1e-4, 1e-3, 1e-2],
            &[0.0, 0.1, 1.0, 10.0],
        )
        .unwrap();
        assert_eq!(sel.table.len(), 12);
        assert!(sel.config.mu() > 0.0, "{:?}", sel.table);
        let best = sel.table.iter().map(|r| r.2).fold(f64::INFINITY, f64::min);
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
        let chosen = sel
            .table
            .iter()
            .find(|r| same(r.0, sel.config.lambda()) && same(r.1, sel.config.mu()))
            .unwrap();
        assert!(chosen.2 <= best);
    }

    #[test]
    fn laplace_prior_on_a_disk_helps() {
        // f = exp(x) cos(y) is harmonic; noisy samples in the disk of radius L = 1/2.
        use faer::Mat;
        use pinn::{DiffOperator, Domain, PiklConfig};
        use rand::RngExt;
        let mut rng = Seed::new(8).stream("disk");
        let mut pts = Vec::new();
        while pts.len() < 600 {
            let (x, y): (f64, f64) = (rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5));
            if x.hypot(y) <= 0.5 {
                pts.push((x, y));
            }
        }
        let f = |x: f64, y: f64| x.exp() * y.cos();
        let (train, test) = pts.split_at(400);
        let xt = Mat::from_fn(2, train.len(), |i, j| if i == 0 { train[j].0 } else { train[j].1 });
        let yt: Vec<f64> = train
            .iter()
            .map(|&(x, y)| {
                let z: f64 =
                    rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                f(x, y) + 0.2 * z
            })
            .collect();
        let xs = Mat::from_fn(2, test.len(), |i, j| if i == 0 { test[j].0 } else { test[j].1 });
        let ys: Vec<f64> = test.iter().map(|&(x, y)| f(x, y)).collect();
        let laplace =
            DiffOperator::derivative(2, 0, 2).unwrap() + DiffOperator::derivative(2, 1, 2).unwrap();
        let fit = |mu: f64| {
            let cfg = PiklConfig::builder(2, 0.5)
                .modes(8)
                .lambda(1e-2)
                .mu(mu)
                .operator(laplace.clone())
                .domain(Domain::disk(0.5))
                .build()
                .unwrap();
            mse(&cfg.fit(xt.as_ref(), &yt).unwrap().predict(xs.as_ref()), &ys)
        };
        let (with, without) = (fit(1.0), fit(0.0));
        eprintln!("disk Laplace prior: MSE {with:.3e} vs {without:.3e} without");
        assert!(with < without, "{with} vs {without}");
    }

    #[test]
    fn wave_equation_solver_at_n_4000() {
        let data = wave::sample(Seed::new(7), 4000, 0.0);
        let grid = wave::grid();
        let model = wave::config(20, 1e-7, 1e-3).unwrap().fit(data.x.as_ref(), &data.y).unwrap();
        let err = rel_error_l2(&model.predict(grid.x.as_ref()), &grid.y);
        eprintln!("wave n = 4000, m = 20: relative L2 {err:.3e}");
        assert!(err < 3e-3, "{err}");
    }

    #[test]
    fn wave_equation_more_modes_help_at_n_20000() {
        let data = wave::sample(Seed::new(7), 20_000, 0.0);
        let grid = wave::grid();
        let err = |m| {
            let model = wave::config(m, 1e-7, 1e-3).unwrap().fit(data.x.as_ref(), &data.y).unwrap();
            rel_error_l2(&model.predict(grid.x.as_ref()), &grid.y)
        };
        let (e15, e20) = (err(15), err(20));
        eprintln!("wave n = 2e4: m = 15 {e15:.3e}, m = 20 {e20:.3e}");
        assert!(e15 > e20, "{e15} vs {e20}");
    }

    #[test]
    fn advection_is_solved_to_high_accuracy() {
        for run in 0..2 {
            let (train, test) =
                advection::split(Seed::new(1001).derive(&format!("run{run}")), 20.0);
            let model =
                advection::config(20.0, 20, 1e5).unwrap().fit(train.x.as_ref(), &train.y).unwrap();
            let err = rel_error_l2(&model.predict(test.x.as_ref()), &test.y);
            eprintln!("advection run {run}: relative L2 {err:.3e} ({:?})", model.method());
            assert!(err < 1e-5, "{err}");
        }
    }
}

mod rescaled {
    use super::*;
    use faer::Mat;
    use pinn::{Axis, DiffOperator, Domain, PiklConfig, Rescaling};

    #[test]
    fn advection_in_physical_coordinates() {
        // u_t + 20 u_x = 0 on [0, 1] x [0, 2 pi], periodic in x, u = sin(x - 20 t): the same
        // problem as the rescaled benchmark, with mu scaled by pi^2 since D is divided by pi.
        let r = Rescaling::new(
            &[0.0, 0.0],
            &[1.0, 2.0 * std::f64::consts::PI],
            &[(-0.5, 0.5), (-1.0, 1.0)],
        )
        .unwrap();
        let op = DiffOperator::zero(2)
            .with_term(1.0, &[1, 0])
            .unwrap()
            .with_term(20.0, &[0, 1])
            .unwrap();
        let cfg = PiklConfig::builder(2, 0.5)
            .modes(20)
            .sobolev_order(1.0)
            .lambda(0.0)
            .mu(1e5 * std::f64::consts::PI.powi(2))
            .operator(r.operator(&op))
            .domain(Domain::Box(vec![Axis::Interval { lower: -0.5, upper: 0.5 }, Axis::Periodic]))
            .build()
            .unwrap();
        let truth = |t: f64, x: f64| (x - 20.0 * t).sin();
        let t0 = 0.37;
        let xs = Mat::from_fn(2, 100, |i, j| {
            if i == 0 { t0 } else { 2.0 * std::f64::consts::PI * (j as f64 + 0.3) / 100.0 }
        });
        let ys: Vec<f64> = (0..100).map(|j| truth(t0, xs[(1, j)])).collect();
        let model = cfg.fit(r.apply(xs.as_ref()).as_ref(), &ys).unwrap();
        let test = Mat::from_fn(2, 400, |i, j| {
            if i == 0 {
                (j / 20) as f64 / 19.0
            } else {
                2.0 * std::f64::consts::PI * (j % 20) as f64 / 20.0
            }
        });
        let exact: Vec<f64> = (0..400).map(|j| truth(test[(0, j)], test[(1, j)])).collect();
        let err = rel_error_l2(&model.predict(r.apply(test.as_ref()).as_ref()), &exact);
        assert!(err < 1e-5, "{err}");
    }
}

mod snapshots {
    use super::*;
    use pinn::lbfgs::{LbfgsConfig, minimize};

    #[test]
    fn solver_counters_and_rounded_results() {
        let rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
            g[0] = -2.0 * a - 400.0 * x[0] * b;
            g[1] = 200.0 * b;
            a * a + 100.0 * b * b
        };
        let r = minimize(&LbfgsConfig::default(), &[-1.2, 1.0], rosen).unwrap();
        let train = oscillator::sample(Seed::new(1), "train", 200, 0.5);
        let model =
            oscillator::config(20, 5e-3, 1.0).unwrap().fit(train.x.as_ref(), &train.y).unwrap();
        let theta0 = model.coefficients()[20];
        let text = format!(
            "lbfgs rosenbrock: iters {}, evaluations {}, stop {:?}\npikl oscillator theta_0 = {:.6}, method {:?}",
            r.iters,
            r.evaluations,
            r.stop,
            theta0.re,
            model.method()
        );
        insta::assert_snapshot!(text);
    }
}

mod overfitting {
    use pinn::overfit::{CounterexampleConfig, counterexample};

    #[test]
    fn steep_network_has_zero_risk_but_wrong_solution() {
        for n_times in [50, 1000] {
            let cfg = CounterexampleConfig {
                n_times,
                n_space: 1000 / n_times.min(1000),
                n_eval: 100,
                ..Default::default()
            };
            let r = counterexample(&cfg).unwrap();
            eprintln!("counterexample: {r:?}");
            assert!(r.steepness * r.t_min >= 20.0 - 1e-9);
            assert!(r.empirical_risk < 1e-20, "{r:?}");
            assert!(r.l2_distance > 0.15, "{r:?}");
            // u_p is as far from u* as the zero function.
            assert!((r.l2_distance - r.l2_truth).abs() < 0.1 * r.l2_truth, "{r:?}");
        }
    }
}

mod pinn_heat {
    use super::*;
    use pinn::jet::TanhNet;
    use pinn::{PinnProblem, TrainConfig, train};

    fn run(
        n_colloc: usize,
        n_boundary: usize,
        n_initial: usize,
        cfg: &TrainConfig,
    ) -> (f64, pinn::TrainReport) {
        let seed = Seed::new(3);
        let (init, bnd) = heat::initial_and_boundary(seed, n_initial, n_boundary);
        let problem = PinnProblem::builder(heat::operator(), heat::collocation(seed, n_colloc))
            .condition("initial", init.x, init.y)
            .condition("boundary", bnd.x, bnd.y)
            .build()
            .unwrap();
        let mut net = TanhNet::glorot(&[2, 10, 10, 10, 1], &mut seed.stream("init")).unwrap();
        let report = train(&problem, &mut net, cfg).unwrap();
        let grid = heat::grid();
        let pred = net.forward(grid.x.as_ref(), &pinn::jet::JetSpec::values(2)).value();
        (rel_error_l2(&pred, &grid.y), report)
    }

    #[test]
    fn small_heat_pinn_converges_with_adam_then_lbfgs() {
        let cfg =
            TrainConfig { adam_steps: 300, adam_lr: 1e-2, lbfgs_iters: 1500, ..Default::default() };
        let (err, report) = run(400, 60, 40, &cfg);
        eprintln!(
            "small heat PINN: relative L2 {err:.3e}, loss {:.3e}, lbfgs {:?}",
            report.final_loss.total,
            report.lbfgs.as_ref().map(|r| (r.iters, r.evaluations, r.stop))
        );
        let first = report.history[0].1;
        assert!(report.final_loss.total < 1e-3 * first, "{:?}", report.history.last());
        // The threshold of the paper-scale setting, reached here with L-BFGS on fewer points.
        assert!(err < 3e-2, "{err}");
    }

    #[test]
    #[ignore = "paper scale: cargo test --release -- --ignored"]
    fn heat_pinn_paper_setting() {
        // 3 x 10 tanh, Glorot, 1e4 collocation, 200 boundary, 100 initial, 5000 Adam at 1e-3.
        let cfg = TrainConfig { adam_steps: 5000, adam_lr: 1e-3, ..Default::default() };
        let (err, _) = run(10_000, 200, 100, &cfg);
        eprintln!("heat PINN paper setting: relative L2 {err:.3e}");
        assert!(err < 3e-2, "{err}");
    }
}

mod reproduce {
    use megavolt_core::Scale;
    use megavolt_core::experiment::silent_context;

    #[test]
    fn experiment_names_are_unique_kebab_case() {
        let exps = pinn::experiments();
        let mut names: Vec<&str> = exps.iter().map(|e| e.name()).collect();
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), exps.len());
    }

    #[test]
    #[ignore = "quick-scale reproduction, about a minute in release: cargo test --release -- --ignored"]
    fn all_experiments_pass_at_quick_scale() {
        for exp in pinn::experiments() {
            let start = std::time::Instant::now();
            let out = exp.run(&silent_context(42, Scale::Quick)).unwrap();
            eprintln!("{}: {:.1} s", exp.name(), start.elapsed().as_secs_f64());
            for m in &out.metrics {
                eprintln!(
                    "  {} = {:.4e} (ref {:?}, pass {:?})",
                    m.name, m.value, m.reference, m.pass
                );
            }
            assert!(out.all_pass(), "{}", exp.name());
        }
    }
}
