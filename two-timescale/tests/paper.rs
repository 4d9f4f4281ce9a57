//! The numbers of Marion & Berthier (NeurIPS 2023) that the crate must reproduce, at small
//! size. Paper-scale runs are ignored: `cargo test --release -- --ignored`.

#![allow(
    clippy::float_cmp,
    reason = "exact values: snapped positions, exact zeros of the sharp limit"
)]
use megavolt_core::Seed;
use two_timescale::activation::{SQUARED_GAP, sigma, sigma_prime};
use two_timescale::limit::{SharpLimit, cell_fit, sharp_reduced_loss, sharp_velocities};
use two_timescale::loss::{jump_distances, population_loss};
use two_timescale::network::Network;
use two_timescale::reduced::{reduced_loss, reduced_velocity};
use two_timescale::target::PiecewiseConstant;

/// Composite Gauss–Legendre, 4 nodes per cell: exact for polynomials of degree 7 per cell.
fn gauss(f: impl Fn(f64) -> f64, a: f64, b: f64, cells: usize) -> f64 {
    let x1 = (3.0 / 7.0 - 2.0 / 7.0 * (6.0f64 / 5.0).sqrt()).sqrt();
    let x2 = (3.0 / 7.0 + 2.0 / 7.0 * (6.0f64 / 5.0).sqrt()).sqrt();
    let w1 = (18.0 + 30.0f64.sqrt()) / 36.0;
    let w2 = (18.0 - 30.0f64.sqrt()) / 36.0;
    let nodes = [(-x2, w2), (-x1, w1), (x1, w1), (x2, w2)];
    let h = (b - a) / cells as f64;
    let mut s = 0.0;
    for i in 0..cells {
        let c = a + (i as f64 + 0.5) * h;
        for (x, w) in nodes {
            s += 0.5 * h * w * f(c + 0.5 * h * x);
        }
    }
    s
}

fn one_jump() -> PiecewiseConstant {
    PiecewiseConstant::new(0.0, vec![0.5], vec![1.0]).unwrap()
}

mod activation {
    use super::*;

    #[test]
    fn values_of_the_paper() {
        let tol = 4.0 * f64::EPSILON;
        assert!((sigma(-0.25) - 0.0625).abs() <= tol);
        assert!((sigma(0.0) - 0.5).abs() <= tol);
        assert!((sigma(0.25) - 0.9375).abs() <= tol);
        assert!((sigma_prime(0.0) - 3.0).abs() <= tol);
        assert_eq!(sigma(-0.5), 0.0);
        assert_eq!(sigma(0.5), 1.0);
        for k in 0..=100 {
            let z = -0.8 + 0.016 * k as f64;
            assert!((sigma(z) + sigma(-z) - 1.0).abs() <= tol, "z = {z}");
        }
    }

    #[test]
    fn squared_gap_is_one_over_28() {
        // (sigma - step)^2 is a polynomial of degree 6 on each half: Gauss is exact.
        let left = gauss(|z| sigma(z).powi(2), -0.5, 0.0, 1);
        let right = gauss(|z| (sigma(z) - 1.0).powi(2), 0.0, 0.5, 1);
        assert!((left + right - 1.0 / 28.0).abs() < 8.0 * f64::EPSILON);
        assert!((SQUARED_GAP - 1.0 / 28.0).abs() < f64::EPSILON);
    }
}

mod one_jump_reduction {
    use super::*;

    const POSITIONS: [f64; 4] = [0.1, 0.4, 0.7, 0.9];

    #[test]
    fn reduced_loss_is_one_fifteenth() {
        let fit = cell_fit(&POSITIONS, &one_jump()).unwrap();
        // d_l d_r / (d_l + d_r) = 0.1 * 0.2 / 0.3.
        assert!((fit.loss() - 1.0 / 15.0).abs() < 4.0 * f64::EPSILON);
        // Cell averages: 0, 0, 2/3 on [0.4, 0.7], 1, 1.
        let want = [0.0, 0.0, 2.0 / 3.0, 1.0, 1.0];
        for (a, w) in fit.averages.iter().zip(want) {
            assert!((a - w).abs() < 4.0 * f64::EPSILON);
        }
        assert!((sharp_reduced_loss(&POSITIONS, &one_jump()).unwrap() - 1.0 / 15.0).abs() < 1e-15);
    }

    #[test]
    fn velocities_are_plus_four_ninths_and_minus_one_ninth() {
        let v = sharp_velocities(&POSITIONS, &one_jump()).unwrap();
        assert!((v[1] - 4.0 / 9.0).abs() < 4.0 * f64::EPSILON, "{}", v[1]);
        assert!((v[2] + 1.0 / 9.0).abs() < 4.0 * f64::EPSILON, "{}", v[2]);
        assert_eq!(v[0], 0.0);
        assert_eq!(v[3], 0.0);
        // Velocities are minus the gradient of the reduced loss (central differences).
        let h = 1e-6;
        for j in 0..4 {
            let mut p = POSITIONS;
            p[j] += h;
            let mut q = POSITIONS;
            q[j] -= h;
            let fd = (sharp_reduced_loss(&p, &one_jump()).unwrap()
                - sharp_reduced_loss(&q, &one_jump()).unwrap())
                / (2.0 * h);
            assert!((fd + v[j]).abs() < 1e-8, "neuron {j}: {fd} vs {}", v[j]);
        }
    }

    #[test]
    fn finite_width_least_squares_tends_to_the_sharp_limit() {
        // The exact least-squares reduction at width eta differs from the sharp one by
        // O(eta): the error must shrink about linearly.
        let mut errs = Vec::new();
        for eta in [4e-3, 2e-3, 1e-3] {
            let l = reduced_loss(&POSITIONS, eta, &one_jump()).unwrap();
            // Least-squares weights against the jumps of the cell averages 0, 0, 2/3, 1, 1.
            let net =
                two_timescale::reduced::fit_outer_weights(&POSITIONS, eta, &one_jump()).unwrap();
            let (b0, sharp_w) = cell_fit(&POSITIONS, &one_jump()).unwrap().outer_weights();
            let ew = sharp_w
                .iter()
                .zip(&net.outer)
                .map(|(a, b)| (a - b).abs())
                .fold((b0 - net.bias).abs(), f64::max);
            let v = reduced_velocity(&POSITIONS, eta, &one_jump()).unwrap();
            let e = (l - 1.0 / 15.0)
                .abs()
                .max((v[1] - 4.0 / 9.0).abs())
                .max((v[2] + 1.0 / 9.0).abs())
                .max(v[0].abs())
                .max(v[3].abs())
                .max(ew);
            errs.push(e);
        }
        assert!(errs[0] < 0.05, "{errs:?}");
        for w in errs.windows(2) {
            let ratio = w[0] / w[1];
            assert!((1.6..2.6).contains(&ratio), "{errs:?}");
        }
    }
}

mod loss_floor {
    use super::*;

    fn on_jumps(eta: f64) -> (Network, PiecewiseConstant) {
        let t = PiecewiseConstant::paper();
        let mut positions = t.jumps().to_vec();
        let mut outer = t.heights().to_vec();
        // Idle neurons with zero weight do not change the function.
        positions.extend([0.05, 0.95]);
        outer.extend([0.0, 0.0]);
        (Network::new(eta, t.base(), outer, positions).unwrap(), t)
    }

    #[test]
    fn floor_is_eta_over_28_times_sum_of_squared_heights() {
        for eta in [4e-3, 1e-2, 3e-2] {
            let (net, t) = on_jumps(eta);
            let floor = eta / 28.0 * t.sum_squared_heights();
            let l = population_loss(&net, &t);
            assert!((l - floor).abs() < 64.0 * f64::EPSILON * floor.max(1.0), "{l} vs {floor}");
            assert!((t.loss_floor(eta) - floor).abs() < 4.0 * f64::EPSILON);
        }
        // Paper: 2 eta = 0.008 at eta = 4e-3.
        assert!((PiecewiseConstant::paper().loss_floor(4e-3) - 0.008).abs() < 1e-17);
    }

    #[test]
    fn least_squares_weights_reach_the_floor_and_not_below_by_much() {
        // Optimal weights with positions on the jumps: a loss at most the floor (the
        // heights are feasible), and close to it since the units barely overlap.
        let (net, t) = on_jumps(4e-3);
        let l = reduced_loss(&net.positions, 4e-3, &t).unwrap();
        let floor = t.loss_floor(4e-3);
        assert!(l <= floor * (1.0 + 1e-12), "{l} vs {floor}");
        assert!(l > 0.9 * floor, "{l} vs {floor}");
    }
}

mod sharp_limit {
    use super::*;

    #[test]
    fn absorption_time_and_invariant_match_the_closed_form() {
        // d_l^3 - d_r^3 is conserved: with d_l = 0.1, d_r = 0.2 the left neuron is absorbed
        // and the right one stops at 0.5 + 0.007^(1/3).
        let c = 0.2f64.powi(3) - 0.1f64.powi(3);
        let times: Vec<f64> = (0..=40).map(|k| 0.01 * k as f64).collect();
        let traj = SharpLimit::default()
            .integrate(&[0.1, 0.4, 0.7, 0.9], &one_jump(), 0.4, &times)
            .unwrap();
        assert_eq!(traj.absorptions.len(), 1);
        let ab = traj.absorptions[0];
        assert_eq!((ab.neuron, ab.jump), (1, 0));
        // tau* = int_0^{0.1} (rho + d_r(rho))^2 / d_r(rho)^2 drho, d_r = (rho^3 + c)^(1/3):
        // a smooth integrand, Gauss to rounding.
        let tau_star = gauss(
            |rho| {
                let dr = (rho.powi(3) + c).cbrt();
                ((rho + dr) / dr).powi(2)
            },
            0.0,
            0.1,
            50,
        );
        assert!((ab.time - tau_star).abs() < 1e-9, "{} vs {tau_star}", ab.time);
        assert!((traj.final_positions[2] - (0.5 + c.cbrt())).abs() < 1e-9);
        assert_eq!(traj.final_positions[1], 0.5);
        for (t, u) in traj.times.iter().zip(&traj.positions) {
            let (dl, dr) = (0.5 - u[1], u[2] - 0.5);
            if *t < ab.time {
                assert!((dr.powi(3) - dl.powi(3) - c).abs() < 1e-10, "t = {t}");
            }
            // Non-flanking neurons never move.
            assert_eq!((u[0], u[3]), (0.1, 0.9));
        }
        // After absorption the cell's loss is 0 and nothing moves.
        let v = sharp_velocities(&traj.final_positions, &one_jump()).unwrap();
        assert!(v.iter().all(|x| *x == 0.0));
        assert_eq!(sharp_reduced_loss(&traj.final_positions, &one_jump()).unwrap(), 0.0);
    }

    #[test]
    fn paper_target_every_jump_absorbed() {
        let t = PiecewiseConstant::paper();
        let init =
            two_timescale::init::draw_admissible(Seed::new(42), "init", &t, 20, 2, 1000).unwrap();
        let traj = SharpLimit::default().integrate(&init.positions, &t, 0.035, &[0.035]).unwrap();
        // Every jump has exactly one absorbed neuron; the reduced loss decreased to 0.
        let mut jumps: Vec<usize> = traj.absorptions.iter().map(|a| a.jump).collect();
        jumps.sort_unstable();
        assert_eq!(jumps, vec![0, 1, 2, 3, 4]);
        assert_eq!(sharp_reduced_loss(&traj.final_positions, &t).unwrap(), 0.0);
        assert!(jump_distances(&traj.final_positions, &t).iter().all(|d| *d == 0.0));
        // The nearer neuron moves at speed >= Delta^2/4 >= 1: every absorption happens
        // before tau = max distance / 1.
        let max_d = 0.2;
        assert!(traj.absorptions.iter().all(|a| a.time <= max_d));
        insta::assert_snapshot!(
            "paper_limit_absorptions",
            traj.absorptions
                .iter()
                .map(|a| format!("neuron {} jump {} tau {:.6}", a.neuron, a.jump, a.time))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn simultaneous_absorptions_and_a_shared_neuron() {
        // Jumps at 0.4 and 0.6 with one neuron between them (fewer than two per piece, outside
        // the theorem): by the symmetry x -> 1 - x the middle neuron stays at 0.5 and the outer
        // ones reach the jumps at the same slow time; the two nearly simultaneous events must
        // both be handled.
        let t = PiecewiseConstant::new(0.0, vec![0.4, 0.6], vec![1.0, 1.0]).unwrap();
        let traj = SharpLimit::default().integrate(&[0.2, 0.5, 0.8], &t, 1.0, &[0.5, 1.0]).unwrap();
        assert_eq!(traj.absorptions.len(), 2);
        let (a, b) = (traj.absorptions[0], traj.absorptions[1]);
        assert!((a.time - b.time).abs() < 1e-9, "{a:?} {b:?}");
        assert!((traj.final_positions[1] - 0.5).abs() < 1e-12);
        assert_eq!((traj.final_positions[0], traj.final_positions[2]), (0.4, 0.6));
        // Left: [0, 0.4] fitted exactly; the cells [0.4, 0.5] and [0.5, 0.6] are constant.
        assert!(sharp_reduced_loss(&traj.final_positions, &t).unwrap().abs() < 1e-15);
    }

    #[test]
    fn invalid_positions_are_rejected() {
        let t = one_jump();
        assert!(SharpLimit::default().integrate(&[0.7, 0.4], &t, 1.0, &[]).is_err());
        assert!(SharpLimit::default().integrate(&[0.4, 1.2], &t, 1.0, &[]).is_err());
        assert!(SharpLimit::default().integrate(&[0.4], &t, -1.0, &[]).is_err());
        assert!(
            SharpLimit { rtol: 0.0, ..Default::default() }.integrate(&[0.4], &t, 1.0, &[]).is_err()
        );
    }
}

mod timescales {
    use super::*;
    use two_timescale::gd::{GdConfig, run_gd};
    use two_timescale::reduced::integrate_reduced_flow;

    #[test]
    fn gradient_descent_tracks_the_reduced_flow_at_rate_eps() {
        // Tikhonov: with the fast variable exponentially stable, the slow variable of the
        // singularly perturbed system is within O(eps) of the reduced flow (plus O(h eps) of
        // the time discretisation): halving eps (and the steps with it) halves the distance.
        let t = one_jump();
        let eta = 0.02;
        let u0 = vec![0.1, 0.4, 0.7, 0.9];
        let tau = 0.1;
        let lim = integrate_reduced_flow(&u0, eta, &t, tau, &[tau], 1e-11, 1e-13).unwrap();
        let net = Network::with_positions(eta, u0.clone()).unwrap();
        let mut eps_list = Vec::new();
        let mut dist = Vec::new();
        for eps in [2e-3, 1e-3, 5e-4] {
            let run =
                run_gd(&net, &t, &GdConfig::new(0.2, eps, tau).unwrap().with_records(1).unwrap())
                    .unwrap();
            let d = run
                .network
                .positions
                .iter()
                .zip(&lim.final_positions)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            eps_list.push(eps);
            dist.push(d);
        }
        let fit = megavolt_core::stats::fit_loglog(&eps_list, &dist);
        assert!((fit.slope - 1.0).abs() < 0.15, "slope {} from {dist:?}", fit.slope);
        // The positions did move, by much more than the tracking error.
        assert!((lim.final_positions[1] - 0.4).abs() > 20.0 * dist[2]);
    }
}

mod sgd {
    use super::*;
    use two_timescale::sgd::{Kernel, SgdConfig, run_sgd};

    fn quick_run(seed: u64) -> two_timescale::sgd::TrainingRun {
        let t = PiecewiseConstant::paper();
        let init =
            two_timescale::init::draw_admissible(Seed::new(seed), "init", &t, 20, 2, 1000).unwrap();
        let net = Network::with_positions(4e-3, init.positions).unwrap();
        run_sgd(
            &net,
            &t,
            &SgdConfig::quick().with_records(10).unwrap(),
            &mut Seed::new(seed).stream("sgd"),
        )
        .unwrap()
    }

    #[test]
    fn quick_configuration_covers_every_jump_near_the_floor() {
        let run = quick_run(42);
        assert_eq!(run.steps, 1_750_000);
        let t = PiecewiseConstant::paper();
        let d = jump_distances(&run.network.positions, &t);
        // Every jump ends with a neuron within 1e-3 (a quarter of the unit width) and the
        // loss is within a factor 2.5 of the floor 2 eta = 0.008.
        assert!(d.iter().all(|x| *x < 1e-3), "{d:?}");
        let floor = t.loss_floor(4e-3);
        assert!(run.final_loss() < 0.02 && run.final_loss() > floor * 0.9, "{}", run.final_loss());
        // Same seed, same bits.
        let again = quick_run(42);
        assert_eq!(
            run.network.positions.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            again.network.positions.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        insta::assert_snapshot!(
            "quick_sgd_seed42",
            format!(
                "losses {:?}\npositions {:?}",
                run.losses().iter().map(|l| format!("{l:.6}")).collect::<Vec<_>>(),
                run.network.positions.iter().map(|u| format!("{u:.6}")).collect::<Vec<_>>()
            )
        );
    }

    #[test]
    fn sorted_kernel_agrees_with_dense_kernel() {
        // Same draws, same updates, different summation order: agreement to rounding. With
        // eps = 1 and neurons crowding a jump, SGD amplifies rounding differences by about
        // ten every 500 steps, so that case is compared over 2000 steps only.
        let t = PiecewiseConstant::paper();
        for (m, h, eps, steps) in
            [(20, 1e-3, 2e-5, 200_000.0), (150, 1e-3, 2e-5, 200_000.0), (20, 1e-5, 1.0, 2000.0)]
        {
            let net = Network::uniform(4e-3, m, &mut Seed::new(9).stream("init")).unwrap();
            let cfg = SgdConfig::new(h, eps, steps * h * eps).unwrap().with_records(3).unwrap();
            let dense =
                run_sgd(&net, &t, &cfg.with_kernel(Kernel::Dense), &mut Seed::new(9).stream("s"))
                    .unwrap();
            let sorted =
                run_sgd(&net, &t, &cfg.with_kernel(Kernel::Sorted), &mut Seed::new(9).stream("s"))
                    .unwrap();
            assert_eq!(dense.steps, sorted.steps);
            let diff = |a: &[f64], b: &[f64]| {
                a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
            };
            for (rd, rs) in dense.records.iter().zip(&sorted.records) {
                let du = diff(&rd.network.positions, &rs.network.positions);
                let da = diff(&rd.network.outer, &rs.network.outer);
                assert!(
                    du < 1e-10 && da < 1e-10,
                    "m = {m}, eps = {eps}, step {}: {du:e} {da:e}",
                    rd.step
                );
                assert!((rd.network.bias - rs.network.bias).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn sgd_step_is_an_unbiased_population_gradient() {
        // E[one SGD step] = -(h grad_a L, h eps grad_u L) with the exact gradient of
        // `loss::population_gradient`: 20000 independent single steps, 5 standard errors.
        let t = PiecewiseConstant::paper();
        let net = Network::new(0.05, 1.5, vec![3.0, -2.5, 1.0, 0.5], vec![0.21, 0.36, 0.52, 0.64])
            .unwrap();
        let g = two_timescale::loss::population_gradient(&net, &t);
        let (h, eps, n) = (1e-3, 0.5, 20_000u64);
        for kernel in [Kernel::Dense, Kernel::Sorted] {
            let cfg = SgdConfig::new(h, eps, h * eps).unwrap().with_kernel(kernel);
            assert_eq!(cfg.steps(), 1);
            let params = |x: &Network| {
                let mut v = vec![x.bias];
                v.extend(&x.outer);
                v.extend(&x.positions);
                v
            };
            let mut want = vec![-h * g.bias];
            want.extend(g.outer.iter().map(|d| -h * d));
            want.extend(g.positions.iter().map(|d| -h * eps * d));
            let p0 = params(&net);
            let mut sum = vec![0.0; p0.len()];
            let mut sum2 = vec![0.0; p0.len()];
            for k in 0..n {
                let r = run_sgd(&net, &t, &cfg, &mut Seed::new(8).indexed("mc", k)).unwrap();
                for (i, (p, q)) in params(&r.network).iter().zip(&p0).enumerate() {
                    sum[i] += p - q;
                    sum2[i] += (p - q) * (p - q);
                }
            }
            for i in 0..p0.len() {
                let mean = sum[i] / n as f64;
                let se = ((sum2[i] / n as f64 - mean * mean) / (n - 1) as f64).sqrt();
                assert!(
                    (mean - want[i]).abs() < 5.0 * se,
                    "{kernel:?} parameter {i}: {mean:e} vs {:e}",
                    want[i]
                );
            }
        }
    }

    #[test]
    fn noiseless_sgd_with_zero_steps_changes_nothing_and_bad_configs_fail() {
        assert!(SgdConfig::new(0.0, 1.0, 1.0).is_err());
        assert!(SgdConfig::new(1e-3, f64::NAN, 1.0).is_err());
        assert!(SgdConfig::new(1e-3, 1e-3, 1e-9).is_err());
        assert!(SgdConfig::quick().with_noise(-1.0).is_err());
        assert!(SgdConfig::quick().with_records(0).is_err());
        assert_eq!(SgdConfig::paper().steps(), 175_000_000);
    }

    #[test]
    fn divergence_is_reported_with_the_step() {
        let t = PiecewiseConstant::paper();
        let net = Network::with_positions(4e-3, vec![0.1, 0.3, 0.6]).unwrap();
        // An outer step of 10 makes the fast layer unstable.
        let e = run_sgd(
            &net,
            &t,
            &SgdConfig::new(10.0, 1.0, 1e4).unwrap(),
            &mut Seed::new(0).stream("s"),
        )
        .unwrap_err();
        assert!(matches!(e, two_timescale::TwoTimescaleError::NonFinite { .. }), "{e}");
    }

    #[test]
    fn standard_regime_leaves_jumps_uncovered_on_some_seeds() {
        // eps = 1, h = 1e-5, 1e6 steps (the paper's same-step-size run) on 8 seeds with
        // admissible initial positions: the positions move as fast as the weights, and some
        // runs end with a jump farther than 0.02 (5 unit widths) from every neuron.
        let t = PiecewiseConstant::paper();
        let mut uncovered = 0;
        for seed in 0..8 {
            let init =
                two_timescale::init::draw_admissible(Seed::new(seed), "init", &t, 20, 2, 1000)
                    .unwrap();
            let net = Network::with_positions(4e-3, init.positions).unwrap();
            let cfg = SgdConfig::new(1e-5, 1.0, 10.0).unwrap().with_records(1).unwrap();
            let run = run_sgd(&net, &t, &cfg, &mut Seed::new(seed).stream("sgd")).unwrap();
            if jump_distances(&run.network.positions, &t).iter().any(|d| *d > 0.02) {
                uncovered += 1;
            }
        }
        assert!(uncovered >= 1, "no run left a jump uncovered");
    }

    #[test]
    #[ignore = "paper scale: cargo test --release -- --ignored"]
    fn paper_scale_run_under_a_minute() {
        let t = PiecewiseConstant::paper();
        let init =
            two_timescale::init::draw_admissible(Seed::new(42), "init", &t, 20, 2, 1000).unwrap();
        let net = Network::with_positions(4e-3, init.positions).unwrap();
        let start = std::time::Instant::now();
        let run = run_sgd(&net, &t, &SgdConfig::paper(), &mut Seed::new(42).stream("sgd")).unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(run.steps, 175_000_000);
        assert!(secs < 60.0, "{secs} s");
        assert!(jump_distances(&run.network.positions, &t).iter().all(|x| *x < 1e-3));
        assert!(run.final_loss() < 1.25 * t.loss_floor(4e-3), "{}", run.final_loss());
    }
}

mod redraw {
    use super::*;
    use two_timescale::init::{check_subdivision, draw_admissible, subdivision_probability};

    #[test]
    fn acceptance_frequency_matches_the_exact_probability() {
        let t = PiecewiseConstant::paper();
        let p = subdivision_probability(&t, 20, 2);
        let n = 20_000u64;
        let hits = (0..n)
            .filter(|&k| {
                let u =
                    two_timescale::network::sorted_uniform(20, &mut Seed::new(5).indexed("mc", k));
                check_subdivision(&u, &t, 2).is_ok()
            })
            .count() as f64;
        let freq = hits / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((freq - p).abs() < 4.0 * se, "{freq} vs {p}");
        assert!((0.3..0.4).contains(&p), "{p}");
    }

    #[test]
    fn redraw_uses_successive_streams() {
        let t = PiecewiseConstant::paper();
        let d = draw_admissible(Seed::new(3), "init", &t, 20, 2, 1000).unwrap();
        check_subdivision(&d.positions, &t, 2).unwrap();
        for k in 0..d.draws - 1 {
            let u =
                two_timescale::network::sorted_uniform(20, &mut Seed::new(3).indexed("init", k));
            assert!(check_subdivision(&u, &t, 2).is_err());
        }
        assert!(matches!(
            draw_admissible(Seed::new(3), "init", &t, 4, 2, 10),
            Err(two_timescale::TwoTimescaleError::RedrawExhausted { draws: 10 })
        ));
    }
}

mod experiments {
    use megavolt_core::Scale;
    use megavolt_core::experiment::silent_context;

    #[test]
    fn quick_experiments_pass_and_are_deterministic() {
        let exps = two_timescale::experiments();
        assert_eq!(exps.len(), 5);
        for exp in exps.iter().filter(|e| {
            [
                "two-timescale-sgd-vs-limit",
                "two-timescale-init-redraw",
                "two-timescale-variable-selection",
            ]
            .contains(&e.name())
        }) {
            let out = exp.run(&silent_context(42, Scale::Quick)).unwrap();
            let failed: Vec<_> = out.metrics.iter().filter(|m| m.pass == Some(false)).collect();
            assert!(failed.is_empty(), "{}: {failed:?}", exp.name());
            assert!(!out.figures.is_empty() && !out.series.is_empty());
            if exp.name() == "two-timescale-init-redraw" {
                let again = exp.run(&silent_context(42, Scale::Quick)).unwrap();
                assert_eq!(out, again);
            }
        }
    }
}

mod additive {
    use super::*;
    use two_timescale::additive::{AdditiveNetwork, AdditiveTarget, run_additive_gd};

    fn three_steps() -> PiecewiseConstant {
        PiecewiseConstant::new(0.0, vec![0.3, 0.5, 0.7], vec![1.0, 1.0, 1.0]).unwrap()
    }

    fn constant() -> PiecewiseConstant {
        PiecewiseConstant::new(0.0, vec![], vec![]).unwrap()
    }

    #[test]
    fn one_dimension_agrees_with_the_univariate_loss() {
        let t = PiecewiseConstant::paper();
        let net = Network::new(0.03, 0.4, vec![1.0, -2.0, 3.0], vec![0.21, 0.5, 0.8]).unwrap();
        let add = AdditiveNetwork {
            eta: 0.03,
            bias: 0.4,
            outer: vec![net.outer.clone()],
            positions: vec![net.positions.clone()],
        };
        let at = AdditiveTarget::new(vec![t.clone()]).unwrap();
        let g1 = two_timescale::loss::population_gradient(&net, &t);
        let g2 = add.population_gradient(&at);
        assert!((g1.loss - g2.loss).abs() < 1e-13);
        for j in 0..3 {
            assert!((g1.outer[j] - g2.outer[0][j]).abs() < 1e-13);
            assert!((g1.positions[j] - g2.positions[0][j]).abs() < 1e-11);
        }
    }

    #[test]
    fn two_dimensional_gradient_matches_central_differences() {
        let at = AdditiveTarget::new(vec![three_steps(), constant()]).unwrap();
        let net = AdditiveNetwork {
            eta: 0.05,
            bias: 0.3,
            outer: vec![vec![0.5, 1.0], vec![-0.7]],
            positions: vec![vec![0.31, 0.62], vec![0.45]],
        };
        let g = net.population_gradient(&at);
        let h = 1e-6;
        for k in 0..2 {
            for j in 0..net.outer[k].len() {
                let mut p = net.clone();
                p.outer[k][j] += h;
                let mut q = net.clone();
                q.outer[k][j] -= h;
                let fd = (p.population_loss(&at) - q.population_loss(&at)) / (2.0 * h);
                assert!((fd - g.outer[k][j]).abs() < 1e-7);
                let mut p = net.clone();
                p.positions[k][j] += h;
                let mut q = net.clone();
                q.positions[k][j] -= h;
                let fd = (p.population_loss(&at) - q.population_loss(&at)) / (2.0 * h);
                assert!(
                    (fd - g.positions[k][j]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "{fd} vs {}",
                    g.positions[k][j]
                );
            }
        }
        // A closed form: zero network, bias b: E[(b - f1(x1))^2] with f1 = 0, 1, 2, 3 on
        // pieces of length 0.3, 0.2, 0.2, 0.3: mean 1.5, second moment 0.2 + 0.8 + 2.7 = 3.7.
        let zero = AdditiveNetwork::with_positions(0.05, vec![vec![0.5], vec![0.5]]).unwrap();
        let l = AdditiveNetwork { bias: 1.0, ..zero }.population_loss(&at);
        assert!((l - (1.0 - 2.0 * 1.5 + 3.7)).abs() < 1e-14, "{l}");
    }

    #[test]
    fn additive_sgd_step_is_an_unbiased_population_gradient() {
        // E[one SGD step] = -(h grad_a L, h eps grad_u L) with the exact gradient: the mean of
        // 20000 independent single steps must agree within 5 standard errors, per coordinate.
        use two_timescale::additive::run_additive_sgd;
        let at = AdditiveTarget::new(vec![three_steps(), constant()]).unwrap();
        let net = AdditiveNetwork {
            eta: 0.05,
            bias: 0.8,
            outer: vec![vec![0.6, 0.9, 0.4], vec![0.3, -0.2]],
            positions: vec![vec![0.29, 0.52, 0.71], vec![0.4, 0.6]],
        };
        let g = net.population_gradient(&at);
        let (h, eps, n) = (1e-3, 0.5, 20_000u64);
        let params = |x: &AdditiveNetwork| {
            let mut v = vec![x.bias];
            v.extend(x.outer.iter().flatten());
            v.extend(x.positions.iter().flatten());
            v
        };
        let mut want = vec![-h * g.bias];
        want.extend(g.outer.iter().flatten().map(|d| -h * d));
        want.extend(g.positions.iter().flatten().map(|d| -h * eps * d));
        let p0 = params(&net);
        let mut sum = vec![0.0; p0.len()];
        let mut sum2 = vec![0.0; p0.len()];
        for k in 0..n {
            let r =
                run_additive_sgd(&net, &at, h, eps, 1.0, 1, 1, &mut Seed::new(8).indexed("mc", k))
                    .unwrap();
            for (i, (p, q)) in params(&r.network).iter().zip(&p0).enumerate() {
                sum[i] += p - q;
                sum2[i] += (p - q) * (p - q);
            }
        }
        for i in 0..p0.len() {
            let mean = sum[i] / n as f64;
            let se = ((sum2[i] / n as f64 - mean * mean) / (n - 1) as f64).sqrt();
            assert!(
                (mean - want[i]).abs() < 5.0 * se + 1e-15,
                "parameter {i}: {mean:e} vs {:e} (se {se:e})",
                want[i]
            );
        }
        assert!(
            run_additive_sgd(&net, &at, 0.01, 0.01, -1.0, 10, 1, &mut Seed::new(4).stream("a"))
                .is_err()
        );
    }

    #[test]
    fn unstable_gradient_descent_reports_the_step() {
        let at = AdditiveTarget::new(vec![three_steps(), constant()]).unwrap();
        let net = AdditiveNetwork::with_positions(0.01, vec![vec![0.2, 0.6], vec![0.5]]).unwrap();
        let e = run_additive_gd(&net, &at, 50.0, 1.0, 10_000, 1).unwrap_err();
        assert!(matches!(e, two_timescale::TwoTimescaleError::NonFinite { .. }), "{e}");
        let one = Network::with_positions(0.01, vec![0.2, 0.6]).unwrap();
        let g = two_timescale::gd::GdConfig::new(50.0, 1.0, 5e5).unwrap();
        assert!(matches!(
            two_timescale::gd::run_gd(&one, &three_steps(), &g),
            Err(two_timescale::TwoTimescaleError::NonFinite { .. })
        ));
    }

    #[test]
    fn component_deviation_of_one_centred_unit() {
        // int sigma_eta(t - 1/2) dt = 1/2 by symmetry and int sigma_eta^2 = 1/2 + eta (1/28 -
        // 1/8) from the polynomial pieces: variance 1/4 - 5 eta / 56.
        let eta = 0.01;
        let net = AdditiveNetwork {
            eta,
            bias: 3.0,
            outer: vec![vec![1.0], vec![]],
            positions: vec![vec![0.5], vec![]],
        };
        let want = (0.25 - 5.0 * eta / 56.0).sqrt();
        assert!((net.component_deviation(0) - want).abs() < 1e-14);
        assert_eq!(net.component_deviation(1), 0.0);
    }

    #[test]
    fn irrelevant_coordinate_is_deselected_in_the_two_timescale_regime() {
        let at = AdditiveTarget::new(vec![three_steps(), constant()]).unwrap();
        let net = AdditiveNetwork::with_positions(
            0.01,
            vec![vec![0.1, 0.22, 0.38, 0.45, 0.6, 0.66, 0.8, 0.9], vec![0.15, 0.4, 0.6, 0.85]],
        )
        .unwrap();
        let moved = |run: &two_timescale::additive::AdditiveRun| {
            run.network.positions[1]
                .iter()
                .zip(&net.positions[1])
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
        };
        // Slow time 0.5 (every jump of x_1 reached), outer step 0.1 (stable).
        let mut disp = Vec::new();
        for eps in [2e-3, 1e-3] {
            let steps = (0.5 / (0.1 * eps)) as u64;
            let run = run_additive_gd(&net, &at, 0.1, eps, steps, 5).unwrap();
            let fin = &run.network;
            let max_a = fin.outer[1].iter().fold(0.0f64, |m, a| m.max(a.abs()));
            assert!(max_a < 1e-4, "irrelevant outer weights {max_a}");
            let d = jump_distances(&fin.positions[0], &three_steps());
            assert!(d.iter().all(|x| *x < 0.01 / 4.0), "{d:?}");
            // Three units on three jumps: at most the floor (eta/28) * 3, and near it.
            let floor = 0.01 / 28.0 * 3.0;
            let loss = run.records.last().unwrap().loss;
            assert!(loss <= floor * (1.0 + 1e-3) && loss > 0.9 * floor, "{loss} vs {floor}");
            disp.push(moved(&run));
        }
        // Irrelevant neurons move only during the initial layer of the fast variable, by
        // O(eps) (Tikhonov): halving eps halves the displacement.
        let ratio = disp[0] / disp[1];
        assert!((1.8..2.2).contains(&ratio), "{disp:?}");
        assert!(disp[1] < 1e-4, "{disp:?}");
        // With equal step sizes they move by orders of magnitude more.
        let std = run_additive_gd(&net, &at, 0.1, 1.0, 5000, 5).unwrap();
        assert!(moved(&std) > 100.0 * disp[0], "{} vs {disp:?}", moved(&std));
    }
}
