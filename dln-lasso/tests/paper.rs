//! The numbers of the papers at small size: the diabetes lasso path of Efron et al. (2004),
//! coordinate descent against it, the diagonal-network flows against closed forms, and the
//! saddle-to-saddle limit of Pesme & Flammarion (2023).
#![allow(clippy::needless_range_loop)]

mod lars_diabetes {
    use dln_lasso::data::{DIABETES_FEATURES, Standardization, diabetes};
    use dln_lasso::{Lars, LarsConfig, LarsMethod, LossScaling, PathEvent, Problem, lasso_path};

    /// Knots of the lasso path, scikit-learn 1.9.1 `lars_path(method="lasso")` on the same
    /// standardised data (centred, unit-norm columns; centred y).
    const KNOTS: [f64; 13] = [
        2.1480435755294986,
        2.0120221388246353,
        1.0246509061690712,
        0.7150981424178936,
        0.2944107174127322,
        0.20086945554432817,
        0.15602893708040982,
        0.04520625646978244,
        0.01239261621343099,
        0.01151184681833448,
        0.004937255302298364,
        0.002964799411680275,
        0.0,
    ];

    /// Two independent path algorithms in double precision: relative `1e-10` on the knots.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-10 * b.abs() + 1e-15
    }

    fn problem() -> Problem {
        diabetes(Standardization::UnitNorm).problem(LossScaling::Mean).unwrap()
    }

    fn name(j: usize) -> &'static str {
        DIABETES_FEATURES[j]
    }

    #[test]
    fn lasso_knots_and_entry_order() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        assert_eq!(path.n_knots(), KNOTS.len());
        for (k, (a, b)) in path.lambdas().iter().zip(KNOTS).enumerate() {
            // The reference has 12 significant digits.
            assert!(close(*a, b), "knot {k}: {a} vs {b}");
        }
        let order: Vec<&str> = path.entry_order().into_iter().map(name).collect();
        assert_eq!(order, ["bmi", "s5", "bp", "s3", "sex", "s6", "s1", "s4", "s2", "age"]);
    }

    #[test]
    fn s3_leaves_and_returns_with_opposite_sign() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        let s3 = 6;
        let ev = path.events();
        let leave =
            ev.iter().position(|e| matches!(e, PathEvent::Leave { var } if *var == s3)).unwrap();
        assert!(close(path.lambdas()[leave], KNOTS[10]));
        assert_eq!(path.coefs()[leave][s3].to_bits(), 0.0_f64.to_bits());
        // Before leaving s3 is negative (it entered with sign -1); at the end it is positive.
        assert!(path.coefs()[leave - 1][s3] < 0.0);
        let back = ev
            .iter()
            .rposition(|e| matches!(e, PathEvent::Enter { var, .. } if *var == s3))
            .unwrap();
        assert!(back > leave);
        assert!(matches!(ev[back], PathEvent::Enter { sign, .. } if sign > 0.0));
        assert!(close(path.lambdas()[back], KNOTS[11]));
        // s3 at the knots (scikit-learn): -223.924094 at 0.045206, then shrinking.
        assert!((path.coefs()[7][s3] + 223.92409377409).abs() < 1e-8);
    }

    #[test]
    fn end_point_is_least_squares() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        let end = path.coefs().last().unwrap();
        let l1: f64 = end.iter().map(|v| v.abs()).sum();
        assert!((l1 - 3459.977632436).abs() < 1e-8, "l1 {l1}");
        // Least squares: the gradient vanishes (relative to |r| ~ 2).
        assert!(p.gradient(end).iter().all(|g| g.abs() < 1e-11));
        assert!((end[6] - 101.043267938).abs() < 1e-8);
    }

    #[test]
    fn lasso_at_lambda_one() {
        let p = problem();
        let x = lasso_path(&p).unwrap().at(1.0);
        let want =
            [0.0, 0.0, 367.701625821431, 6.309702644175, 0.0, 0.0, 0.0, 0.0, 307.602147462196, 0.0];
        for (j, (a, b)) in x.iter().zip(want).enumerate() {
            assert!((a - b).abs() < 1e-8, "{}: {a} vs {b}", name(j));
        }
        assert!(p.kkt_violation(&x, 1.0) < 1e-12);
    }

    #[test]
    fn kkt_at_every_knot_and_between() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        assert!(path.max_kkt_violation(&p) < 1e-9);
        let ls = path.lambdas();
        for w in ls.windows(2) {
            for t in [0.25, 0.5, 0.75] {
                let l = w[0] + t * (w[1] - w[0]);
                assert!(p.kkt_violation(&path.at(l), l) < 1e-9, "lambda {l}");
            }
        }
    }

    #[test]
    fn lar_knots_and_l1_norms() {
        let p = problem();
        let cfg = LarsConfig { method: LarsMethod::Lar, ..LarsConfig::default() };
        let path = Lars::new(cfg).unwrap().path(&p).unwrap();
        let l1_ref = [
            0.0,
            60.12147502355,
            663.677277169727,
            888.910372402503,
            1250.696985932733,
            1440.784510002241,
            1537.06339940146,
            1914.564073512999,
            2115.72870171008,
            2195.754883574669,
            3459.977632436608,
        ];
        assert_eq!(path.n_knots(), 11);
        for (k, (a, b)) in path.l1_norms().iter().zip(l1_ref).enumerate() {
            assert!((a - b).abs() < 1e-8, "knot {k}: {a} vs {b}");
        }
        for (a, b) in path.lambdas().iter().zip(&KNOTS[..10]) {
            assert!(close(*a, *b));
        }
    }

    #[test]
    fn sum_scaling_multiplies_knots_by_n() {
        let d = diabetes(Standardization::UnitNorm);
        let p = d.problem(LossScaling::Sum).unwrap();
        let path = lasso_path(&p).unwrap();
        for (a, b) in path.lambdas().iter().zip(KNOTS) {
            assert!(close(*a, 442.0 * b));
        }
    }
}

mod cd_diabetes {
    use dln_lasso::cd::{CdConfig, CoordinateDescent, geometric_grid};
    use dln_lasso::data::{Standardization, diabetes};
    use dln_lasso::{Lars, LarsConfig, LossScaling, Problem, lasso_path};

    fn problem() -> Problem {
        diabetes(Standardization::UnitNorm).problem(LossScaling::Mean).unwrap()
    }

    #[test]
    fn lasso_at_one_and_a_tenth_match_scikit_learn() {
        let p = problem();
        let cd = CoordinateDescent::new(CdConfig {
            tol: 1e-14,
            max_sweeps: 100_000,
            ..CdConfig::default()
        })
        .unwrap();
        // scikit-learn 1.9.1 Lasso(alpha, tol=1e-14, max_iter=100000) on the same data.
        let refs: [(f64, [f64; 10]); 2] = [
            (
                1.0,
                [
                    0.0,
                    0.0,
                    367.701625821431,
                    6.309702644175,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                    307.602147462196,
                    0.0,
                ],
            ),
            (
                0.1,
                [
                    0.0,
                    -155.343110624669,
                    517.216241203053,
                    275.087222928257,
                    -52.552035811902,
                    0.0,
                    -210.139509035235,
                    0.0,
                    483.917174571961,
                    33.66219214313,
                ],
            ),
        ];
        for (lambda, want) in refs {
            let fit = cd.solve(&p, lambda, None).unwrap();
            for (a, b) in fit.x.iter().zip(want) {
                assert!((a - b).abs() < 1e-6, "lambda {lambda}: {a} vs {b}");
            }
            assert!(p.kkt_violation(&fit.x, lambda) < 1e-6);
        }
    }

    #[test]
    fn path_on_default_grid_agrees_with_lars() {
        let p = problem();
        let lars = lasso_path(&p).unwrap();
        let grid = geometric_grid(p.lambda_max(), 1e-3, 100).unwrap();
        // Screening alone, plain descent, and screening with Anderson extrapolation (which
        // converges before most coordinates can be screened).
        for (screening, anderson) in [(true, 0), (false, 0), (true, 5)] {
            let cd = CoordinateDescent::new(CdConfig {
                tol: 1e-12,
                max_sweeps: 100_000,
                screening,
                anderson,
                ..CdConfig::default()
            })
            .unwrap();
            let path = cd.path(&p, &grid).unwrap();
            for fit in &path.fits {
                let exact = lars.at(fit.lambda);
                // Primal suboptimality is bounded by the duality gap.
                let sub = p.objective(&fit.x, fit.lambda) - p.objective(&exact, fit.lambda);
                assert!(
                    sub >= -1e-9 && sub <= fit.gap + 1e-9,
                    "lambda {}: {sub} vs gap {}",
                    fit.lambda,
                    fit.gap
                );
                assert!(fit.gap <= 1e-12 * p.yy());
            }
            if screening && anderson == 0 {
                assert!(path.fits[1].n_screened >= 8, "screened {}", path.fits[1].n_screened);
            }
        }
    }

    #[test]
    fn nonneg_lasso_agrees_with_positive_lars() {
        let p = problem();
        let lars = Lars::new(LarsConfig { positive: true, ..LarsConfig::default() })
            .unwrap()
            .path(&p)
            .unwrap();
        let cd = CoordinateDescent::new(CdConfig {
            tol: 1e-13,
            max_sweeps: 100_000,
            nonneg: true,
            ..CdConfig::default()
        })
        .unwrap();
        for lambda in [1.5, 0.5, 0.1, 0.01] {
            let fit = cd.solve(&p, lambda, None).unwrap();
            let exact = lars.at(lambda);
            assert!(exact.iter().all(|v| *v >= 0.0));
            assert!(p.kkt_violation_nonneg(&exact, lambda) < 1e-9);
            assert!(p.kkt_violation_nonneg(&fit.x, lambda) < 1e-6);
            let sub = p.objective(&fit.x, lambda) - p.objective(&exact, lambda);
            assert!(sub.abs() <= fit.gap + 1e-9);
        }
    }
}

mod flows {
    use dln_lasso::exact::separable_product;
    use dln_lasso::flow::{FlowConfig, MirrorFlow};
    use dln_lasso::gd::{GdConfig, GradientDescent};
    use dln_lasso::mirror::{Init, Parametrization};
    use dln_lasso::saddle::{SaddleConfig, SaddleToSaddle};
    use dln_lasso::{Problem, lasso_path};
    use faer::Mat;
    use megavolt_core::ode::{AdaptiveOptions, Output, Solver};

    fn orthogonal() -> Problem {
        Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap()
    }

    #[test]
    fn one_coordinate_closed_form() {
        // M = 1, r = 1, u(0) = v(0) = 1e-4: eps = 1e-8 with beta = gamma = 1.
        let p = Problem::from_gram(Mat::identity(1, 1), vec![1.0]).unwrap();
        let l = 1e8_f64.ln();
        let ts = [1.0, 5.0, 9.2103, 12.0, 20.0];
        let times: Vec<f64> = ts.iter().map(|t| 2.0 * t / l).collect();
        let flow = MirrorFlow::new(FlowConfig {
            log_inv_eps: l,
            init: Init::Balanced,
            ..FlowConfig::default()
        })
        .unwrap();
        let tr = flow.run(&p, &times).unwrap();
        for (t, x) in ts.iter().zip(&tr.x) {
            let want = 1.0 / (1.0 + (1e8 - 1.0) * (-2.0 * t).exp());
            eprintln!("t {t}: {} vs {want}, rel {:e}", x[0], (x[0] - want).abs() / want);
            assert!((x[0] - want).abs() < 1e-8 * want, "t = {t}: {} vs {want}", x[0]);
        }
    }

    #[test]
    fn orthogonal_design_against_exact_solution() {
        let p = orthogonal();
        let times = [0.2, 0.34, 0.5, 0.8, 1.01, 1.5, 3.0];
        for l in [20.0, 100.0, 500.0] {
            let flow =
                MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() }).unwrap();
            let tr = flow.run(&p, &times).unwrap();
            let map = flow.mirror_map(&p);
            let mut worst = (0.0_f64, 0.0_f64);
            for (k, &s) in times.iter().enumerate() {
                for i in 0..3 {
                    let e =
                        separable_product(1.0, p.corr()[i], map.pos[i], map.neg[i], l, s).unwrap();
                    let ex = (tr.x[k][i] - e.x).abs() / e.x.abs();
                    let eb = (tr.xbar[k][i] - e.xbar).abs() / e.xbar.abs().max(1e-3);
                    worst = (worst.0.max(ex), worst.1.max(eb));
                }
            }
            eprintln!("L {l}: worst rel x {:e}, xbar {:e}, stats {:?}", worst.0, worst.1, tr.stats);
            assert!(worst.0 < 1e-6 && worst.1 < 1e-7, "L = {l}: {worst:?}");
        }
    }

    fn correlated() -> Problem {
        let m = megavolt_core::linalg::mat_from_rows(&[
            &[1.0, 0.5, 0.2],
            &[0.5, 1.0, -0.3],
            &[0.2, -0.3, 1.0],
        ]);
        Problem::from_gram(m, vec![1.0, -0.8, 0.6]).unwrap()
    }

    #[test]
    fn balance_is_conserved_and_mirror_flow_matches_direct_integration() {
        // Direct integration of du/dt = -v g, dv/dt = -u g (Dormand-Prince, tight relative
        // tolerance, no absolute tolerance) at a moderate eps, against the mirror flow.
        let p = correlated();
        let l = 10.0;
        let init = Init::Custom { beta: vec![1.2, 0.7, 1.0], gamma: vec![0.3, -0.4, 0.9] };
        let flow = MirrorFlow::new(FlowConfig {
            log_inv_eps: l,
            init: init.clone(),
            ..FlowConfig::default()
        })
        .unwrap();
        let s_out = [0.5, 1.0, 2.0, 4.0];
        let tr = flow.run(&p, &s_out).unwrap();
        let se = (-0.5 * l).exp();
        let Init::Custom { beta, gamma } = &init else { unreachable!() };
        let y0: Vec<f64> = beta.iter().chain(gamma).map(|b| se * b).collect();
        let t_out: Vec<f64> = s_out.iter().map(|s| s * l / 2.0).collect();
        let sol = Solver::dormand_prince(AdaptiveOptions::tolerances(1e-12, 0.0))
            .unwrap()
            .output(Output::Times(t_out.clone()))
            .solve(
                |_, y: &Vec<f64>, dy: &mut Vec<f64>| {
                    let x: Vec<f64> = (0..3).map(|i| y[i] * y[3 + i]).collect();
                    let g = p.gradient(&x);
                    for i in 0..3 {
                        dy[i] = -y[3 + i] * g[i];
                        dy[3 + i] = -y[i] * g[i];
                    }
                },
                0.0,
                y0.clone(),
                *t_out.last().unwrap(),
            )
            .unwrap();
        for (k, y) in sol.y.iter().enumerate() {
            for i in 0..3 {
                let balance0 = y0[i] * y0[i] - y0[3 + i] * y0[3 + i];
                let balance = y[i] * y[i] - y[3 + i] * y[3 + i];
                assert!(
                    (balance - balance0).abs() < 1e-8 * balance0.abs(),
                    "balance drift {balance} vs {balance0}"
                );
                let x = y[i] * y[3 + i];
                assert!(
                    (x - tr.x[k][i]).abs() < 1e-7 * x.abs().max(1e-3),
                    "s {}: x {x} vs {}",
                    s_out[k],
                    tr.x[k][i]
                );
            }
        }
        // In mirror coordinates the balance is eps p q by construction: check the weights.
        let map = flow.mirror_map(&p);
        let (u, v) = map.weights(&tr.sigma[3]);
        for i in 0..3 {
            let want = (-l).exp() * (beta[i] + gamma[i]) * (beta[i] - gamma[i]);
            // u - v is a cancellation once the coordinate is large: the balance is known to
            // the rounding of u^2 + v^2 (times the L eps of the exponentials).
            let balance = (u[i] + v[i]) * (u[i] - v[i]);
            let tol = 8.0 * (1.0 + l) * f64::EPSILON * (u[i] * u[i] + v[i] * v[i]);
            assert!((balance - want).abs() < tol, "{balance} vs {want}");
        }
    }

    #[test]
    fn gradient_descent_multiplicative_identities() {
        let p = correlated();
        let gamma = 0.05;
        let cfg = GdConfig {
            step_size: gamma,
            log_inv_eps: 12.0,
            record_every: 1,
            init: Init::Custom { beta: vec![1.2, 0.7, 1.0], gamma: vec![0.3, -0.4, 0.9] },
            ..GdConfig::default()
        };
        let tr = GradientDescent::new(cfg).unwrap().run(&p, 400).unwrap();
        for k in 0..400 {
            let g = p.gradient(&tr.x[k]);
            for i in 0..3 {
                let (u0, v0, u1, v1) = (tr.u[k][i], tr.v[k][i], tr.u[k + 1][i], tr.v[k + 1][i]);
                let (a0, b0, a1, b1) = (u0 + v0, u0 - v0, u1 + v1, u1 - v1);
                // Rounding of the update and of the sums, relative to the weights (a or b may
                // be a cancellation of two large weights).
                let scale =
                    (u0.abs() + v0.abs() + u1.abs() + v1.abs()) * (1.0 + (gamma * g[i]).abs());
                assert!((a1 - a0 * (1.0 - gamma * g[i])).abs() <= 4.0 * f64::EPSILON * scale);
                assert!((b1 - b0 * (1.0 + gamma * g[i])).abs() <= 4.0 * f64::EPSILON * scale);
                let want = a0 * b0 * (1.0 - gamma * gamma * g[i] * g[i]);
                assert!((a1 * b1 - want).abs() <= 8.0 * f64::EPSILON * scale * scale);
            }
        }
        // u ⊙ u: x_{k+1} = x_k (1 - 2 gamma g_k)^2.
        let cfg = GdConfig {
            step_size: gamma,
            log_inv_eps: 12.0,
            record_every: 1,
            parametrization: Parametrization::Square,
            ..GdConfig::default()
        };
        let tr = GradientDescent::new(cfg).unwrap().run(&p, 400).unwrap();
        for k in 0..400 {
            let g = p.gradient(&tr.x[k]);
            for i in 0..3 {
                let want = tr.x[k][i] * (1.0 - 2.0 * gamma * g[i]).powi(2);
                assert!((tr.x[k + 1][i] - want).abs() <= 8.0 * f64::EPSILON * want.abs());
                assert!(tr.x[k + 1][i] >= 0.0);
            }
        }
    }

    #[test]
    fn gradient_descent_converges_to_the_flow_at_first_order() {
        let p = correlated();
        let l = 12.0;
        let s_end = 3.0;
        let flow = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() }).unwrap();
        let xf = flow.run(&p, &[s_end]).unwrap().x.pop().unwrap();
        let errs: Vec<f64> = [0.02, 0.01, 0.005]
            .iter()
            .map(|&gamma| {
                let n = (s_end * l / (2.0 * gamma)).round() as usize;
                let cfg = GdConfig {
                    step_size: gamma,
                    log_inv_eps: l,
                    record_every: n,
                    ..GdConfig::default()
                };
                let x = GradientDescent::new(cfg).unwrap().run(&p, n).unwrap().x.pop().unwrap();
                x.iter().zip(&xf).fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()))
            })
            .collect();
        eprintln!("gd errors {errs:?}");
        for w in errs.windows(2) {
            let ratio = w[0] / w[1];
            assert!((ratio - 2.0).abs() < 0.2, "error ratio {ratio} (first order expects 2)");
        }
    }

    fn crossing_time(r: f64, pos: f64, neg: f64, l: f64) -> f64 {
        // Bisection on |sigma(s)| = 1 of the exact separable solution.
        let f = |s: f64| separable_product(1.0, r, pos, neg, l, s).unwrap().sigma.abs() - 1.0;
        let (mut a, mut b) = (1e-9, 10.0);
        for _ in 0..200 {
            let c = 0.5 * (a + b);
            if f(c) < 0.0 { a = c } else { b = c }
        }
        0.5 * (a + b)
    }

    #[test]
    fn activations_on_orthogonal_design() {
        let p = orthogonal();
        let mut gaps = Vec::new();
        for l in [50.0, 200.0, 500.0] {
            let flow =
                MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() }).unwrap();
            let tr = flow.run(&p, &[3.0]).unwrap();
            let map = flow.mirror_map(&p);
            let coords: Vec<usize> = tr.activations.iter().map(|a| a.coord).collect();
            assert_eq!(coords, vec![0, 1, 2]);
            let mut gap = 0.0_f64;
            for a in &tr.activations {
                let i = a.coord;
                let exact = crossing_time(p.corr()[i], map.pos[i], map.neg[i], l);
                assert!((a.s - exact).abs() < 1e-6, "L {l}: {} vs exact {exact}", a.s);
                assert_eq!(a.sign.to_bits(), p.corr()[i].signum().to_bits());
                gap = gap.max((a.s - 1.0 / p.corr()[i].abs()).abs());
            }
            gaps.push(gap);
        }
        eprintln!("activation gaps to 1/|r_i|: {gaps:?}");
        assert!(gaps[0] > gaps[1] && gaps[1] > gaps[2] && gaps[2] < 1e-2);
        // The limit algorithm gives the same times exactly.
        let seq = SaddleToSaddle::new(SaddleConfig::default()).unwrap().run(&p).unwrap();
        for (a, b) in seq.jump_times().iter().zip([1.0 / 3.0, 0.5, 1.0]) {
            assert!((a - b).abs() < 1e-15);
        }
    }

    #[test]
    fn time_average_approaches_the_lasso_at_rate_one_over_l() {
        let p = orthogonal();
        let lasso = lasso_path(&p).unwrap();
        let s = 3.0;
        let target = lasso.at(1.0 / s);
        let ls = [25.0, 50.0, 100.0, 200.0, 400.0];
        let errs: Vec<f64> = ls
            .iter()
            .map(|&l| {
                let flow = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })
                    .unwrap();
                let xbar = flow.run(&p, &[s]).unwrap().xbar.pop().unwrap();
                xbar.iter().zip(&target).fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()))
            })
            .collect();
        eprintln!("xbar errors {errs:?}");
        assert!(errs.windows(2).all(|w| w[1] < w[0]));
        let fit = megavolt_core::stats::fit_loglog(&ls, &errs);
        assert!((fit.slope + 1.0).abs() < 0.15, "slope {}", fit.slope);
        // eps = 1e-32: xbar(3) = (2.65856, 1.66040, -0.66353) (Radau in mirror coordinates).
        let flow =
            MirrorFlow::new(FlowConfig { log_inv_eps: 32.0 * 10f64.ln(), ..FlowConfig::default() })
                .unwrap();
        let xbar = flow.run(&p, &[s]).unwrap().xbar.pop().unwrap();
        for (a, b) in xbar.iter().zip([2.65856, 1.66040, -0.66353]) {
            assert!((a - b).abs() < 6e-6, "{a} vs {b}");
        }
    }
}

mod square {
    use dln_lasso::Problem;
    use dln_lasso::flow::{FlowConfig, MirrorFlow};
    use dln_lasso::mirror::{Init, Parametrization};
    use faer::Mat;

    fn orthogonal() -> Problem {
        Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap()
    }

    fn config(l: f64) -> FlowConfig {
        FlowConfig {
            log_inv_eps: l,
            parametrization: Parametrization::Square,
            init: Init::PesmeFlammarion,
            ..FlowConfig::default()
        }
    }

    #[test]
    fn square_flow_is_logistic_per_coordinate() {
        // x' = -4 x (x - r) in t with x(0) = eps: x(t) = r / (1 + (r/eps - 1) e^{-4 r t}).
        let p = orthogonal();
        let l = 40.0;
        let times = [0.05, 0.17, 0.26, 0.6, 1.5];
        let tr = MirrorFlow::new(config(l)).unwrap().run(&p, &times).unwrap();
        let eps = (-l).exp();
        for (k, &s) in times.iter().enumerate() {
            let t = s * l / 2.0;
            for i in 0..3 {
                let r = p.corr()[i];
                let want = r / (1.0 + (r / eps - 1.0) * (-4.0 * r * t).exp());
                let got = tr.x[k][i];
                assert!((got - want).abs() < 1e-8 * want.abs(), "s {s}, x{i}: {got} vs {want}");
                assert!(got > 0.0);
            }
        }
    }

    #[test]
    fn square_flow_follows_the_nonnegative_lasso_at_half_the_inverse_time() {
        // Activations at s = 1/(2 r_i) for r_i > 0; none for r_i < 0; xbar(s) approaches
        // (r - 1/(2s))_+ at the rate 1/log(1/eps).
        let p = orthogonal();
        let s = 3.0;
        let target = [3.0 - 1.0 / 6.0, 2.0 - 1.0 / 6.0, 0.0];
        let mut errs = Vec::new();
        for l in [100.0, 200.0, 400.0] {
            let tr = MirrorFlow::new(config(l)).unwrap().run(&p, &[s]).unwrap();
            let act: Vec<(usize, f64)> = tr.activations.iter().map(|a| (a.coord, a.s)).collect();
            assert_eq!(act.len(), 2);
            assert!(
                (act[0].1 - 1.0 / 6.0).abs() < 2.0 / l && (act[1].1 - 0.25).abs() < 2.0 / l,
                "{act:?}"
            );
            let xbar = &tr.xbar[0];
            errs.push(xbar.iter().zip(target).fold(0.0_f64, |m, (a, b)| m.max((a - b).abs())));
        }
        for w in errs.windows(2) {
            assert!((w[0] / w[1] - 2.0).abs() < 0.1, "errors {errs:?}");
        }
    }
}

mod saddles {
    use dln_lasso::data::{Standardization, diabetes};
    use dln_lasso::flow::{FlowConfig, MirrorFlow};
    use dln_lasso::saddle::{SaddleConfig, SaddleToSaddle};
    use dln_lasso::{LossScaling, Problem, lasso_path};

    fn problem() -> Problem {
        diabetes(Standardization::UnitNorm).problem(LossScaling::Mean).unwrap()
    }

    #[test]
    fn diabetes_saddles_follow_lars_then_depart() {
        let p = problem();
        let path = lasso_path(&p).unwrap();
        let seq = SaddleToSaddle::new(SaddleConfig::default()).unwrap().run(&p).unwrap();
        assert!(seq.converged);
        let jumps = seq.jump_times();
        // The first nine jumps are the inverse LARS knots, with the same variables.
        let order = path.entry_order();
        for k in 0..9 {
            let knot = 1.0 / path.lambdas()[k];
            assert!((jumps[k] - knot).abs() < 1e-9 * knot, "jump {k}: {} vs {knot}", jumps[k]);
            assert_eq!(seq.saddles[k + 1].trigger, order[k]);
        }
        // At the ninth knot (lambda = 0.012393) the restricted least-squares saddle would give
        // s3 the sign opposite to its lasso sign: the network switches s3 off instead, while
        // the lasso keeps it negative and shrinks it to zero only at lambda = 0.004937.
        let s3 = 6;
        assert_eq!(seq.saddles[9].x[s3].abs().to_bits(), 0.0_f64.to_bits());
        assert!(seq.saddles[8].x[s3] < 0.0 && path.coefs()[8][s3] < -150.0);
        // From there on the jump times separate from the knots.
        assert!((jumps[9] - 1.0 / path.lambdas()[9]).abs() > 0.5);
        // s3 comes back with the positive sign of least squares; the end is least squares.
        let back = seq.saddles.iter().rposition(|q| q.trigger == s3).unwrap();
        assert!(back > 9 && seq.saddles[back].x[s3] > 0.0);
        let end = &seq.saddles.last().unwrap().x;
        let l1: f64 = end.iter().map(|v| v.abs()).sum();
        assert!((l1 - 3459.977632436).abs() < 1e-7, "l1 {l1}");
    }

    #[test]
    fn flow_follows_the_lasso_until_the_departure_knot_only() {
        // Before s = 1/0.012393 the distance of xbar(s) to lasso(1/s) shrinks like 1/log(1/eps);
        // after it, it does not: the lasso moves s3 through zero, the network cannot.
        let p = problem();
        let path = lasso_path(&p).unwrap();
        let departure = 1.0 / 0.01239261621343099;
        let times: Vec<f64> = (0..120)
            .map(|k| (0.3f64.ln() + (400f64.ln() - 0.3f64.ln()) * k as f64 / 119.0).exp())
            .collect();
        let scale = 792.175638552; // |x_ols|_inf (s1), scikit-learn.
        let dist = |l: f64| -> (f64, f64) {
            let tr = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })
                .unwrap()
                .run(&p, &times)
                .unwrap();
            times.iter().zip(&tr.xbar).fold((0.0_f64, 0.0_f64), |(b, a), (&s, xb)| {
                let d =
                    xb.iter().zip(path.at(1.0 / s)).fold(0.0_f64, |m, (u, v)| m.max((u - v).abs()))
                        / scale;
                if s < 0.9 * departure { (b.max(d), a) } else { (b, a.max(d)) }
            })
        };
        let (b1, a1) = dist(100.0);
        let (b2, a2) = dist(400.0);
        assert!(b2 < 0.35 * b1, "before the departure: {b1} -> {b2}");
        assert!(a2 > 0.7 * a1 && a2 > 0.1, "after the departure: {a1} -> {a2}");
    }

    #[test]
    fn flow_activations_approach_the_jump_times() {
        let p = problem();
        let seq = SaddleToSaddle::new(SaddleConfig::default()).unwrap().run(&p).unwrap();
        let gaps: Vec<f64> = [100.0, 400.0]
            .iter()
            .map(|&l| {
                let flow = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() })
                    .unwrap();
                let tr = flow.run(&p, &[10.0]).unwrap();
                // First entry of each of the first seven variables, in the limit's order.
                (1..=7).fold(0.0_f64, |m, k| {
                    let q = &seq.saddles[k];
                    let a =
                        tr.activations.iter().find(|a| a.coord == q.trigger && a.entering).unwrap();
                    m.max((a.s - q.s).abs() / q.s)
                })
            })
            .collect();
        assert!(gaps[1] < 0.6 * gaps[0] && gaps[1] < 0.03, "relative gaps {gaps:?}");
    }
}

mod reproduce {
    use megavolt_core::Scale;
    use megavolt_core::experiment::silent_context;

    #[test]
    fn experiment_names_are_unique_and_kebab_case() {
        let names: Vec<&str> = dln_lasso::experiments().iter().map(|e| e.name()).collect();
        assert_eq!(names, ["dln-orthogonal", "dln-diabetes", "saddle-vs-lars", "early-stopping"]);
    }

    #[test]
    #[ignore = "quick scale in release: cargo test --release -- --ignored"]
    fn quick_scale_runs_and_passes() {
        for e in dln_lasso::experiments() {
            let start = std::time::Instant::now();
            let out = e.run(&silent_context(42, Scale::Quick)).unwrap();
            eprintln!("{}: {:.2} s", e.name(), start.elapsed().as_secs_f64());
            for m in &out.metrics {
                eprintln!(
                    "  {} = {:.6e} (ref {:?}, pass {:?})",
                    m.name, m.value, m.reference, m.pass
                );
            }
            for n in &out.notes {
                eprintln!("  note: {n}");
            }
            if let Ok(path) = std::env::var("DLN_DUMP") {
                for se in &out.series {
                    let mut text = se.columns.join(",") + "\n";
                    for i in 0..se.len() {
                        let row: Vec<String> =
                            se.data.iter().map(|c| format!("{:.6e}", c[i])).collect();
                        text += &(row.join(",") + "\n");
                    }
                    std::fs::write(format!("{path}/{}_{}.csv", e.name(), se.name), text).unwrap();
                }
            }
            assert!(out.all_pass(), "{} has a failing metric", e.name());
        }
    }

    #[test]
    #[ignore = "paper scale: cargo test --release -- --ignored"]
    fn paper_scale_runs_and_passes() {
        for e in dln_lasso::experiments() {
            let out = e.run(&silent_context(42, Scale::Paper)).unwrap();
            assert!(out.all_pass(), "{} has a failing metric", e.name());
        }
    }
}

mod snapshots {
    use dln_lasso::data::{DIABETES_FEATURES, Standardization, diabetes};
    use dln_lasso::saddle::{SaddleConfig, SaddleToSaddle};
    use dln_lasso::{LossScaling, PathEvent, lasso_path};

    #[test]
    fn diabetes_event_sequences() {
        let p = diabetes(Standardization::UnitNorm).problem(LossScaling::Mean).unwrap();
        let path = lasso_path(&p).unwrap();
        let events: Vec<String> = path
            .events()
            .iter()
            .zip(path.lambdas())
            .map(|(e, l)| match e {
                PathEvent::Enter { var, sign } => format!(
                    "{l:.6} +{}{}",
                    DIABETES_FEATURES[*var],
                    if *sign > 0.0 { "(+)" } else { "(-)" }
                ),
                PathEvent::Leave { var } => format!("{l:.6} -{}", DIABETES_FEATURES[*var]),
                PathEvent::Blocked { var, .. } => {
                    format!("{l:.6} blocked {}", DIABETES_FEATURES[*var])
                }
                PathEvent::End => format!("{l:.6} end"),
            })
            .collect();
        insta::assert_snapshot!("lars_lasso_diabetes", events.join("\n"));
        let seq = SaddleToSaddle::new(SaddleConfig::default()).unwrap().run(&p).unwrap();
        let jumps: Vec<String> = seq.saddles[1..]
            .iter()
            .map(|q| format!("{:.6} {}", q.s, DIABETES_FEATURES[q.trigger]))
            .collect();
        insta::assert_snapshot!("saddles_diabetes", jumps.join("\n"));
    }
}
