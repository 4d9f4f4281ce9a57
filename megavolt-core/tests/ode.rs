//! Convergence orders, accuracy and event location of the integrators, against closed forms.
// The integrators take `Vec<f64>` states, so right-hand sides take `&Vec<f64>`.
#![allow(clippy::ptr_arg)]

use faer::Mat;
use megavolt_core::CoreError;

use megavolt_core::ode::{AdaptiveOptions, Direction, Event, Method, Output, Solver};
use megavolt_core::stats::fit_loglog;

fn growth(_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>) {
    dy[0] = 1.01 * y[0];
}

fn rotation(_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>) {
    dy[0] = y[1];
    dy[1] = -y[0];
}

/// u' = 1.01 u, u(0) = 0.5 on [0, 1], steps 1/16 .. 1/256: fitted orders 1, 2, 4 within 0.1.
#[test]
fn fixed_step_orders() {
    let exact = 0.5 * 1.01f64.exp();
    for (method, order) in [(Method::Euler, 1.0), (Method::Heun, 2.0), (Method::Rk4, 4.0)] {
        let hs: Vec<f64> = (4..=8).map(|k| 1.0 / f64::from(1u32 << k)).collect();
        let errs: Vec<f64> = hs
            .iter()
            .map(|&h| {
                let sol =
                    Solver::fixed(method, h).unwrap().solve(growth, 0.0, vec![0.5], 1.0).unwrap();
                assert_eq!(sol.stats.accepted, (1.0 / h).round() as usize);
                (sol.y_final()[0] - exact).abs()
            })
            .collect();
        let fit = fit_loglog(&hs, &errs);
        assert!((fit.slope - order).abs() < 0.1, "{method:?}: fitted order {}", fit.slope);
    }
}

/// Dormand–Prince at rtol = atol = 1e-12 on the rotation: global error below 1e-10 at 2 pi,
/// and the error scales with the tolerance (order 5 local error, so roughly linearly).
#[test]
fn dormand_prince_rotation() {
    let t_end = 2.0 * std::f64::consts::PI;
    let err_at = |tol: f64| {
        let sol = Solver::dormand_prince(AdaptiveOptions::tolerances(tol, tol))
            .unwrap()
            .solve(rotation, 0.0, vec![1.0, 0.0], t_end)
            .unwrap();
        let y = sol.y_final();
        ((y[0] - 1.0).powi(2) + y[1].powi(2)).sqrt()
    };
    let e12 = err_at(1e-12);
    assert!(e12 < 1e-10, "error {e12:e}");
    let tols = [1e-5, 1e-7, 1e-9];
    let errs: Vec<f64> = tols.iter().map(|&t| err_at(t)).collect();
    let fit = fit_loglog(&tols, &errs);
    // Tolerance proportionality: the global error of an error-per-step controller scales like
    // tol^{p/(p+1)} = tol^{5/6} for p = 5 (Hairer, Nørsett, Wanner §II.4).
    assert!((fit.slope - 5.0 / 6.0).abs() < 0.2, "tolerance slope {}", fit.slope);
}

/// Dense output at requested times matches the exact solution to the tolerance's order.
#[test]
fn dense_output_and_partial_steps() {
    let times: Vec<f64> = (0..=20).map(|k| 0.3 * f64::from(k)).collect();
    let sol = Solver::dormand_prince(AdaptiveOptions::tolerances(1e-11, 1e-11))
        .unwrap()
        .output(Output::Times(times.clone()))
        .solve(rotation, 0.0, vec![1.0, 0.0], 6.0)
        .unwrap();
    assert_eq!(sol.t, times);
    for (t, y) in sol.t.iter().zip(&sol.y) {
        assert!((y[0] - t.cos()).abs() < 1e-9 && (y[1] + t.sin()).abs() < 1e-9, "t = {t}");
    }
    // Fixed steps: a requested time inside a step is reached by a partial RK4 step.
    let sol = Solver::rk4(0.1)
        .unwrap()
        .output(Output::Times(vec![0.05, 0.55]))
        .solve(rotation, 0.0, vec![1.0, 0.0], 1.0)
        .unwrap();
    assert_eq!(sol.stats.accepted, 10);
    assert!((sol.y[1][0] - 0.55f64.cos()).abs() < 1e-6);
}

/// The zero of cos t at pi/2 is located to 1e-10 by both kinds of methods.
#[test]
fn events_located() {
    let target = std::f64::consts::FRAC_PI_2;
    let sol = Solver::dormand_prince(AdaptiveOptions::tolerances(1e-12, 1e-12))
        .unwrap()
        .event(Event::new(|_t, y: &Vec<f64>| y[0]).direction(Direction::Falling).terminal())
        .solve(rotation, 0.0, vec![1.0, 0.0], 10.0)
        .unwrap();
    assert!(sol.terminated);
    assert!((sol.t_end - target).abs() < 1e-10, "located {}", sol.t_end);
    assert_eq!(sol.events.len(), 1);

    // Time events are exact for any scheme; state events carry the scheme's own error.
    let sol = Solver::rk4(1e-3)
        .unwrap()
        .event(Event::new(|t, _y: &Vec<f64>| t - 0.123_456_789))
        .event(Event::new(|_t, y: &Vec<f64>| y[0]))
        .solve(rotation, 0.0, vec![1.0, 0.0], 5.0)
        .unwrap();
    assert!(!sol.terminated);
    assert!((sol.events[0].t - 0.123_456_789).abs() < 1e-12);
    // Zeros of cos at pi/2 and 3 pi/2, RK4 with h = 1e-3 has error ~1e-13.
    let zeros: Vec<f64> = sol.events.iter().filter(|e| e.event == 1).map(|e| e.t).collect();
    assert_eq!(zeros.len(), 2);
    assert!((zeros[0] - target).abs() < 1e-10);
    assert!((zeros[1] - 3.0 * target).abs() < 1e-10);
}

/// Matrix states, post-step projection and backward integration.
#[test]
fn matrix_state_projection_and_backward_time() {
    // Rotation of two unit vectors in the plane (columns), renormalised after each step.
    let y0 = Mat::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 0.0 });
    let mut observed = 0usize;
    let sol = Solver::euler(1e-2)
        .unwrap()
        .post_step(|_t, y: &mut Mat<f64>| {
            for j in 0..y.ncols() {
                let n = (y[(0, j)].powi(2) + y[(1, j)].powi(2)).sqrt();
                y[(0, j)] /= n;
                y[(1, j)] /= n;
            }
        })
        .observer(|_t, _y| observed += 1)
        .solve(
            |_t, y: &Mat<f64>, dy: &mut Mat<f64>| {
                for j in 0..y.ncols() {
                    dy[(0, j)] = -y[(1, j)];
                    dy[(1, j)] = y[(0, j)];
                }
            },
            0.0,
            y0,
            1.0,
        )
        .unwrap();
    let y = sol.y_final();
    for j in 0..2 {
        assert!(((y[(0, j)].powi(2) + y[(1, j)].powi(2)) - 1.0).abs() < 4.0 * f64::EPSILON);
    }
    // Projected Euler on the circle has a global phase error of order h.
    assert!((y[(0, 0)] - 1f64.cos()).abs() < 1e-2);
    assert_eq!(observed, 101);

    // Backward: from t = 1 to 0 recovers u(0) for u' = 1.01 u.
    let sol = Solver::rk4(1.0 / 64.0)
        .unwrap()
        .solve(growth, 1.0, vec![0.5 * 1.01f64.exp()], 0.0)
        .unwrap();
    assert!((sol.y_final()[0] - 0.5).abs() < 1e-8);
}

#[test]
fn invalid_input_and_blow_up_are_errors() {
    assert!(matches!(
        Solver::<Vec<f64>>::rk4(0.0),
        Err(CoreError::InvalidParameter { name: "step_size", .. })
    ));
    assert!(matches!(Solver::<Vec<f64>>::rk4(f64::NAN), Err(CoreError::InvalidParameter { .. })));
    assert!(Solver::<Vec<f64>>::dormand_prince(AdaptiveOptions::tolerances(-1.0, 1e-9)).is_err());
    // A step so small that the run would never finish is rejected up front.
    let tiny = Solver::rk4(1e-300).unwrap().solve(growth, 0.0, vec![1.0], 1.0).unwrap_err();
    assert!(matches!(tiny, CoreError::InvalidParameter { name: "step_size", .. }), "{tiny}");
    assert!(Solver::rk4(0.1).unwrap().solve(growth, 0.0, vec![f64::NAN], 1.0).is_err());
    assert!(
        Solver::rk4(0.1)
            .unwrap()
            .output(Output::Times(vec![0.5, 0.2]))
            .solve(growth, 0.0, vec![1.0], 1.0)
            .is_err()
    );
    // y' = y^2, y(0) = 1 blows up at t = 1: Euler with h = 0.1 overflows after a few steps.
    let err = Solver::euler(0.1)
        .unwrap()
        .solve(
            |_t, y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = y[0] * y[0] * 1e100,
            0.0,
            vec![1.0],
            5.0,
        )
        .unwrap_err();
    assert!(matches!(err, CoreError::NonFinite { .. }), "{err}");
    // The adaptive method cannot pass the singularity and says where it stopped.
    let err = Solver::dormand_prince(AdaptiveOptions::tolerances(1e-8, 1e-8))
        .unwrap()
        .solve(|_t, y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = y[0] * y[0], 0.0, vec![1.0], 2.0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            CoreError::StepSizeUnderflow { .. }
                | CoreError::MaxStepsExceeded { .. }
                | CoreError::NonFinite { .. }
        ),
        "{err}"
    );
}

/// Integer work counters are part of the contract: lock them.
#[test]
fn work_counters_snapshot() {
    let sol = Solver::dormand_prince(AdaptiveOptions::tolerances(1e-8, 1e-8))
        .unwrap()
        .solve(rotation, 0.0, vec![1.0, 0.0], 10.0)
        .unwrap();
    let s = sol.stats;
    insta::assert_snapshot!(format!(
        "accepted={} rejected={} rhs_evals={}",
        s.accepted, s.rejected, s.rhs_evals
    ));
}

fn decay(_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>) {
    dy[0] = -y[0];
}

/// Near t = 1e17 the doubles are 16 apart, so the grid `t0 + k h` with h = 1 would realise
/// steps of 0 and 16: the fixed-step methods refuse, in both directions, naming step and time.
#[test]
#[allow(clippy::float_cmp, reason = "the error reports the requested step exactly")]
fn fixed_steps_unresolvable_at_large_time_are_errors() {
    let t0 = 1e17;
    for (method, h, t0, t_end) in [
        (Method::Rk4, 1.0, t0, t0 + 64.0),
        (Method::Rk4, 1.0, t0 + 64.0, t0),
        (Method::Heun, 1.0, t0, t0 + 64.0),
        (Method::Euler, 0.5, 1e16, 1e16 + 8.0),
    ] {
        let err = Solver::fixed(method, h).unwrap().solve(decay, t0, vec![1.0], t_end).unwrap_err();
        assert_eq!(err, CoreError::StepSizeUnderflow { step_size: h, time: t0 }, "{method:?}");
    }
    // Doubles near 2^52 are 1 apart, so realised steps are h rounded to integers: a deviation
    // of 1/2 is more than h / 1024 for h = 256.5 but not for h = 2048.5.
    let t0 = 2f64.powi(52);
    let err = Solver::rk4(256.5).unwrap().solve(decay, t0, vec![1.0], t0 + 2565.0).unwrap_err();
    assert!(matches!(err, CoreError::StepSizeUnderflow { step_size, .. } if step_size == 256.5));
    let sol = Solver::rk4(2048.5).unwrap().solve(decay, t0, vec![1.0], t0 + 20485.0).unwrap();
    assert_eq!(sol.stats.accepted, 10);
}

/// Where the doubles hold the grid exactly, an autonomous problem gives the same bits at a
/// large time offset as from 0: the check changes nothing for steps it accepts.
#[test]
fn resolvable_fixed_steps_at_large_time_are_unchanged() {
    // 2^14 is a multiple of the spacing 16 of the doubles near 1e17.
    let h = 16384.0;
    let scaled = |_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = -y[0] / 16384.0;
    for method in [Method::Euler, Method::Heun, Method::Rk4] {
        let far = Solver::fixed(method, h)
            .unwrap()
            .solve(scaled, 1e17, vec![1.0], 1e17 + 64.0 * h)
            .unwrap();
        let near =
            Solver::fixed(method, h).unwrap().solve(scaled, 0.0, vec![1.0], 64.0 * h).unwrap();
        assert_eq!(far.stats, near.stats);
        assert_eq!(far.y_final()[0].to_bits(), near.y_final()[0].to_bits(), "{method:?}");
    }
    // 1/16 is a multiple of the spacing 2^-12 of the doubles near 2^40.
    let t0 = 2f64.powi(40);
    let far = Solver::rk4(1.0 / 16.0).unwrap().solve(decay, t0, vec![1.0], t0 + 1.0).unwrap();
    let near = Solver::rk4(1.0 / 16.0).unwrap().solve(decay, 0.0, vec![1.0], 1.0).unwrap();
    assert_eq!(far.y_final()[0].to_bits(), near.y_final()[0].to_bits());
    // RK4 with h = 1/16 on u' = -u: global error about h^4 / 120 of e^-1.
    assert!((far.y_final()[0] - (-1f64).exp()).abs() < 1e-6);
}

/// A last partial step shorter than the spacing of the doubles at the final time cannot be
/// taken; it is absorbed into the previous step instead of becoming a step of length 0.
#[test]
#[allow(clippy::float_cmp, reason = "the run ends exactly at the requested time")]
fn unrepresentable_remainder_is_absorbed() {
    // Near 2^52 the doubles are 1 apart: steps of 1 - 1e-7 are realised as steps of 1 and the
    // remainder 3e-7 of the span 3 vanishes.
    let t0 = 2f64.powi(52);
    let sol = Solver::rk4(1.0 - 1e-7).unwrap().solve(decay, t0, vec![1.0], t0 + 3.0).unwrap();
    let reference = Solver::rk4(1.0).unwrap().solve(decay, 0.0, vec![1.0], 3.0).unwrap();
    assert_eq!(sol.stats.accepted, 3);
    assert_eq!(sol.t_end, t0 + 3.0);
    assert_eq!(sol.y_final()[0].to_bits(), reference.y_final()[0].to_bits());
}

#[test]
fn short_spans_near_zero_and_unbounded_intervals() {
    // y' = cos t on [0, 1e-15]: y = sin(1e-15) = 1e-15 to rounding; the span is far below the
    // unit time scale but every step is resolvable at t = 0.
    let cos = |t: f64, _y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = t.cos();
    let sol = Solver::dormand_prince(AdaptiveOptions::default())
        .unwrap()
        .solve(cos, 0.0, vec![0.0], 1e-15)
        .unwrap();
    assert!((sol.y_end[0] - 1e-15).abs() <= 4.0 * f64::EPSILON * 1e-15, "{}", sol.y_end[0]);
    // t_end - t0 overflows: a typed error naming t_end, in scientific notation.
    let e = Solver::euler(1e308).unwrap().solve(decay, -1e308, vec![1.0], 1e308).unwrap_err();
    assert!(matches!(e, CoreError::InvalidParameter { name: "t_end", .. }), "{e}");
    assert!(e.to_string().contains("1e308"), "{e}");
}
