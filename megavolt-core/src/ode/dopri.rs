//! Dormand–Prince 5(4) with PI step-size control and fourth-order dense output.

use super::state::{self, OdeState};
use super::{AdaptiveOptions, Run, Solver};
use crate::error::{CoreError, Result};

// Butcher tableau (Dormand & Prince 1980; Hairer, Nørsett, Wanner, Table II.5.2).
const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const A71: f64 = 35.0 / 384.0;
const A73: f64 = 500.0 / 1113.0;
const A74: f64 = 125.0 / 192.0;
const A75: f64 = -2187.0 / 6784.0;
const A76: f64 = 11.0 / 84.0;
// Difference between the fifth- and fourth-order weights.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;
// Dense output (Hairer, Nørsett, Wanner §II.6, the DOPRI5 continuous extension).
const D1: f64 = -12715105075.0 / 11282082432.0;
const D3: f64 = 87487479700.0 / 32700410799.0;
const D4: f64 = -10690763975.0 / 1880347072.0;
const D5: f64 = 701980252875.0 / 199316789632.0;
const D6: f64 = -1453857185.0 / 822651844.0;
const D7: f64 = 69997945.0 / 29380423.0;

const SAFETY: f64 = 0.9;
const FAC_MIN: f64 = 0.2;
const FAC_MAX: f64 = 10.0;
const BETA: f64 = 0.04;
const EXPO: f64 = 0.2 - BETA * 0.75;

/// Starting step of Hairer, Nørsett, Wanner §II.4.
fn initial_step<S: OdeState, F: FnMut(f64, &S, &mut S)>(
    f: &mut F,
    t: f64,
    y: &S,
    f0: &S,
    dir: f64,
    opts: &AdaptiveOptions,
    evals: &mut usize,
) -> f64 {
    let zero = {
        let mut z = y.clone();
        state::lincomb(&mut z, y, &[(-1.0, y)]);
        z
    };
    let d0 = state::error_norm(y, &zero, y, opts.rtol, opts.atol.max(1e-300));
    let d1 = state::error_norm(f0, &zero, y, opts.rtol, opts.atol.max(1e-300));
    let h0 = if d0 < 1e-5 || d1 < 1e-5 { 1e-6 } else { 0.01 * d0 / d1 };
    let h0 = h0.min(opts.max_step);
    let mut y1 = y.clone();
    state::lincomb(&mut y1, y, &[(dir * h0, f0)]);
    let mut f1 = y.clone();
    f(t + dir * h0, &y1, &mut f1);
    *evals += 1;
    let mut diff = y.clone();
    state::lincomb(&mut diff, &f1, &[(-1.0, f0)]);
    let d2 = state::error_norm(&diff, &zero, y, opts.rtol, opts.atol.max(1e-300)) / h0;
    let h1 =
        if d1.max(d2) <= 1e-15 { (h0 * 1e-3).max(1e-6) } else { (0.01 / d1.max(d2)).powf(0.2) };
    (100.0 * h0).min(h1).min(opts.max_step)
}

pub(super) fn integrate<S: OdeState, F: FnMut(f64, &S, &mut S)>(
    solver: &mut Solver<'_, S>,
    run: &mut Run<S>,
    f: &mut F,
    opts: AdaptiveOptions,
) -> Result<()> {
    let y0 = run.y.clone();
    let mut k: [S; 7] = std::array::from_fn(|_| y0.clone());
    let mut tmp = y0.clone();
    let mut y_new = y0.clone();
    let mut err = y0.clone();

    f(run.t, &run.y, &mut k[0]);
    run.stats.rhs_evals += 1;
    if !state::all_finite(&k[0]) {
        return Err(CoreError::NonFinite { step: 0, time: run.t });
    }
    let mut h = match opts.initial_step {
        Some(h) => h.min(opts.max_step),
        None => initial_step(f, run.t, &run.y, &k[0], run.dir, &opts, &mut run.stats.rhs_evals),
    };
    // Steps below 16 eps times the time, or times the span when that is shorter than one
    // (so that spans such as [0, 1e-15] are integrated), cannot be resolved.
    let time_scale = (run.t_end - run.t).abs().min(1.0);
    let mut err_old = 1e-4f64;
    let mut rejected_last = false;
    let mut n_steps = 0usize;

    loop {
        let remaining = (run.t_end - run.t).abs();
        if remaining <= 0.0 {
            return Ok(());
        }
        if n_steps >= opts.max_steps {
            return Err(CoreError::MaxStepsExceeded {
                max_steps: opts.max_steps,
                time: run.t,
                t_end: run.t_end,
            });
        }
        // Land exactly on the final time; avoid a sliver of a last step.
        let last = h >= remaining || 1.01 * h >= remaining;
        if last {
            h = remaining;
        }
        if h <= 16.0 * f64::EPSILON * run.t.abs().max(time_scale)
            || (run.t + run.dir * h).to_bits() == run.t.to_bits()
        {
            return Err(CoreError::StepSizeUnderflow { step_size: h, time: run.t });
        }
        let hs = run.dir * h;
        let t = run.t;
        n_steps += 1;

        let [k1, k2, k3, k4, k5, k6, k7] = &mut k;
        let y = &run.y;
        state::lincomb(&mut tmp, y, &[(hs * A21, k1)]);
        f(t + C2 * hs, &tmp, k2);
        state::lincomb(&mut tmp, y, &[(hs * A31, k1), (hs * A32, k2)]);
        f(t + C3 * hs, &tmp, k3);
        state::lincomb(&mut tmp, y, &[(hs * A41, k1), (hs * A42, k2), (hs * A43, k3)]);
        f(t + C4 * hs, &tmp, k4);
        state::lincomb(
            &mut tmp,
            y,
            &[(hs * A51, k1), (hs * A52, k2), (hs * A53, k3), (hs * A54, k4)],
        );
        f(t + C5 * hs, &tmp, k5);
        state::lincomb(
            &mut tmp,
            y,
            &[(hs * A61, k1), (hs * A62, k2), (hs * A63, k3), (hs * A64, k4), (hs * A65, k5)],
        );
        f(t + hs, &tmp, k6);
        state::lincomb(
            &mut y_new,
            y,
            &[(hs * A71, k1), (hs * A73, k3), (hs * A74, k4), (hs * A75, k5), (hs * A76, k6)],
        );
        f(t + hs, &y_new, k7);
        run.stats.rhs_evals += 6;
        state::lincomb(
            &mut err,
            &tmp,
            &[
                (-1.0, &tmp),
                (hs * E1, k1),
                (hs * E3, k3),
                (hs * E4, k4),
                (hs * E5, k5),
                (hs * E6, k6),
                (hs * E7, k7),
            ],
        );
        let en = state::error_norm(&err, y, &y_new, opts.rtol, opts.atol);

        if !en.is_finite() {
            // A non-finite trial: shrink hard and retry; a persistent failure ends in underflow.
            run.stats.rejected += 1;
            h *= FAC_MIN;
            rejected_last = true;
            continue;
        }
        if en <= 1.0 {
            // Accepted: PI controller (Hairer, Nørsett, Wanner §IV.2).
            let fac =
                (SAFETY * en.max(1e-10).powf(-EXPO) * err_old.powf(BETA)).clamp(FAC_MIN, FAC_MAX);
            let fac = if rejected_last { fac.min(1.0) } else { fac };
            err_old = en.max(1e-4);
            rejected_last = false;

            let t_old = t;
            let y_old = std::mem::replace(&mut run.y, y_new.clone());
            run.t = if last { run.t_end } else { t + hs };
            // Dense output coefficients.
            let (k1, k3, k4, k5, k6, k7) = (&k[0], &k[2], &k[3], &k[4], &k[5], &k[6]);
            let mut r2 = y_old.clone();
            state::lincomb(&mut r2, &run.y, &[(-1.0, &y_old)]);
            let mut r3 = y_old.clone();
            state::lincomb(&mut r3, &r2, &[(-1.0, &r2), (hs, k1), (-1.0, &r2)]);
            let mut r4 = y_old.clone();
            state::lincomb(&mut r4, &r2, &[(-hs, k7), (-1.0, &r3)]);
            let mut r5 = y_old.clone();
            state::lincomb(
                &mut r5,
                &r2,
                &[
                    (-1.0, &r2),
                    (hs * D1, k1),
                    (hs * D3, k3),
                    (hs * D4, k4),
                    (hs * D5, k5),
                    (hs * D6, k6),
                    (hs * D7, k7),
                ],
            );
            let mut interp = |theta: f64| {
                let s1 = 1.0 - theta;
                let mut out = y_old.clone();
                state::lincomb(
                    &mut out,
                    &y_old,
                    &[
                        (theta, &r2),
                        (theta * s1, &r3),
                        (theta * s1 * theta, &r4),
                        (theta * s1 * theta * s1, &r5),
                    ],
                );
                out
            };
            let stop = run.accept(solver, t_old, n_steps, &mut interp)?;
            if stop {
                return Ok(());
            }
            // First-same-as-last; a post-step hook may have moved the state, so re-evaluate then.
            if solver.post_step.is_some() {
                f(run.t, &run.y, &mut k[0]);
                run.stats.rhs_evals += 1;
            } else {
                k.swap(0, 6);
            }
            h = (h * fac).min(opts.max_step);
        } else {
            run.stats.rejected += 1;
            rejected_last = true;
            h *= (SAFETY * en.powf(-0.2)).max(FAC_MIN);
        }
    }
}
