//! Explicit integrators for `dy/dt = f(t, y)`: Euler, Heun, classical RK4 and adaptive
//! Dormand–Prince 5(4).
//!
//! The state is any [`OdeState`]: a `Vec<f64>`, a faer `Col<f64>` or a faer `Mat<f64>` (for
//! particle systems stored one particle per column). The right-hand side is a closure
//! `f(t, &y, &mut dy)` that overwrites `dy`.
//!
//! A [`Solver`] is configured once, then [`Solver::solve`] runs it:
//!
//! * output at every step, at the final time only, or at requested times (fixed-step methods
//!   reach a requested time inside a step by a partial step of the same scheme; Dormand–Prince
//!   uses its fourth-order continuous extension, so neither changes the step sequence);
//! * a post-step hook that edits the state after each accepted step (projection back onto a
//!   manifold, e.g. renormalising tokens on the sphere);
//! * an observer that sees every accepted step;
//! * events: the times at which scalar functions `g(t, y)` cross zero, located to a tolerance
//!   by the Illinois variant of regula falsi on the step's interpolant, optionally terminal;
//! * statistics (accepted and rejected steps, right-hand-side evaluations).
//!
//! A non-finite state stops the run with [`CoreError::NonFinite`] naming the step and time; a
//! step too small to be resolved at the current time (the doubles near `t` are too far apart
//! to hold `t + h`) stops it with [`CoreError::StepSizeUnderflow`], for fixed-step and
//! adaptive methods alike.
//!
//! ```
//! use megavolt_core::ode::{Output, Solver};
//!
//! # fn main() -> megavolt_core::Result<()> {
//! // u' = u, u(0) = 1 on [0, 1] with RK4, step 1/100.
//! let sol = Solver::rk4(0.01)?.solve(|_t, y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = y[0], 0.0, vec![1.0], 1.0)?;
//! let e = std::f64::consts::E;
//! assert!((sol.y_final()[0] - e).abs() < 1e-9);
//! assert_eq!(sol.stats.accepted, 100);
//! # Ok(()) }
//! ```
//!
//! # References
//! * E. Hairer, S. P. Nørsett, G. Wanner, *Solving Ordinary Differential Equations I*, 2nd ed.,
//!   Springer 1993: §II.1 (RK methods), §II.4 (step-size control and the starting step),
//!   §II.6 (dense output of DOPRI5).
//! * J. R. Dormand, P. J. Prince, "A family of embedded Runge–Kutta formulae", J. Comput. Appl.
//!   Math. 6 (1980).

mod dopri;
mod state;

pub use state::OdeState;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// The integration scheme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Explicit Euler, order 1.
    Euler,
    /// Heun's method (explicit trapezoidal rule), order 2.
    Heun,
    /// Classical fourth-order Runge–Kutta.
    Rk4,
    /// Adaptive Dormand–Prince 5(4) with local extrapolation.
    DormandPrince(AdaptiveOptions),
}

/// Step-size control of [`Method::DormandPrince`].
///
/// | field | default | meaning | valid range |
/// |---|---|---|---|
/// | `rtol` | 1e-6 | relative tolerance on each component | `> 0` (at least `1e-15`) |
/// | `atol` | 1e-9 | absolute tolerance on each component | `>= 0`, with `rtol + atol > 0` |
/// | `max_steps` | 1_000_000 | accepted plus rejected steps before giving up | `> 0` |
/// | `initial_step` | automatic | first trial step | `> 0` |
/// | `max_step` | `inf` | largest step | `> 0` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveOptions {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance. `0` means pure relative control, which has no error scale for a
    /// component that is exactly `0` (such as `y(0) = 0`): the first steps are then rejected
    /// down to `StepSizeUnderflow`; give a positive `atol` for such problems.
    pub atol: f64,
    /// Step budget (accepted and rejected).
    pub max_steps: usize,
    /// First trial step; `None` selects it from the problem (Hairer–Wanner §II.4).
    pub initial_step: Option<f64>,
    /// Largest step size.
    pub max_step: f64,
}

impl Default for AdaptiveOptions {
    fn default() -> Self {
        Self {
            rtol: 1e-6,
            atol: 1e-9,
            max_steps: 1_000_000,
            initial_step: None,
            max_step: f64::INFINITY,
        }
    }
}

impl AdaptiveOptions {
    /// Options with the given tolerances and defaults otherwise.
    pub fn tolerances(rtol: f64, atol: f64) -> Self {
        Self { rtol, atol, ..Self::default() }
    }

    fn validate(&self) -> Result<()> {
        if !(self.rtol.is_finite() && self.rtol >= 1e-15) {
            return Err(CoreError::invalid("rtol", self.rtol, "a finite number >= 1e-15"));
        }
        if !(self.atol.is_finite() && self.atol >= 0.0) {
            return Err(CoreError::invalid("atol", self.atol, "a finite number >= 0"));
        }
        if self.max_steps == 0 {
            return Err(CoreError::invalid("max_steps", 0, "at least 1"));
        }
        if let Some(h) = self.initial_step
            && !(h.is_finite() && h > 0.0)
        {
            return Err(CoreError::invalid("initial_step", h, "a finite number > 0"));
        }
        if self.max_step.is_nan() || self.max_step <= 0.0 {
            return Err(CoreError::invalid("max_step", self.max_step, "a number > 0"));
        }
        Ok(())
    }
}

/// Which states a solution keeps.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Output {
    /// Initial and final state only.
    #[default]
    Final,
    /// Every accepted step (and the initial state).
    EveryStep,
    /// The requested times, which must be monotone in the direction of integration and lie
    /// between the initial and final time.
    Times(Vec<f64>),
}

/// Which zero crossings of an event function count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// From negative to positive.
    Rising,
    /// From positive to negative.
    Falling,
    /// Both.
    #[default]
    Either,
}

type EventFn<'a, S> = Box<dyn FnMut(f64, &S) -> f64 + 'a>;

/// A scalar function `g(t, y)` whose zero crossings are located during integration.
pub struct Event<'a, S> {
    g: EventFn<'a, S>,
    direction: Direction,
    terminal: bool,
    tol: f64,
}

impl<'a, S> Event<'a, S> {
    /// A non-terminal event, located to within `1e-12` in time, counting both directions.
    pub fn new(g: impl FnMut(f64, &S) -> f64 + 'a) -> Self {
        Self { g: Box::new(g), direction: Direction::Either, terminal: false, tol: 1e-12 }
    }

    /// Counts only crossings in `direction`.
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// Stops the integration at the first crossing.
    pub fn terminal(mut self) -> Self {
        self.terminal = true;
        self
    }

    /// Sets the tolerance on the located time (absolute, in time units).
    pub fn tolerance(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
}

/// A located zero crossing.
#[derive(Debug, Clone, PartialEq)]
pub struct EventHit<S> {
    /// Index of the event, in the order the events were added.
    pub event: usize,
    /// Located time.
    pub t: f64,
    /// State at the located time (interpolated).
    pub y: S,
}

/// Work counters of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Accepted steps.
    pub accepted: usize,
    /// Rejected steps (adaptive methods only).
    pub rejected: usize,
    /// Evaluations of the right-hand side, including those spent locating events and producing
    /// output inside fixed steps.
    pub rhs_evals: usize,
}

/// The result of [`Solver::solve`].
#[derive(Debug, Clone, PartialEq)]
pub struct Solution<S> {
    /// Output times.
    pub t: Vec<f64>,
    /// States at the output times.
    pub y: Vec<S>,
    /// Located events, in time order.
    pub events: Vec<EventHit<S>>,
    /// Work counters.
    pub stats: Stats,
    /// `true` when a terminal event stopped the run before the final time.
    pub terminated: bool,
    /// Time at which the run ended (the final time, or a terminal event's time).
    pub t_end: f64,
    /// State at `t_end`.
    pub y_end: S,
}

impl<S> Solution<S> {
    /// The state at the end of the run.
    pub fn y_final(&self) -> &S {
        &self.y_end
    }
}

type Hook<'a, S> = Box<dyn FnMut(f64, &mut S) + 'a>;
type Observer<'a, S> = Box<dyn FnMut(f64, &S) + 'a>;

/// A configured integrator. See the [module documentation](self).
pub struct Solver<'a, S> {
    method: Method,
    step_size: f64,
    output: Output,
    post_step: Option<Hook<'a, S>>,
    observer: Option<Observer<'a, S>>,
    events: Vec<Event<'a, S>>,
}

impl<'a, S: OdeState> Solver<'a, S> {
    /// A fixed-step solver.
    ///
    /// # Errors
    /// [`CoreError::InvalidParameter`] if `step_size` is not finite and positive, or if
    /// `method` is adaptive.
    pub fn fixed(method: Method, step_size: f64) -> Result<Self> {
        if matches!(method, Method::DormandPrince(_)) {
            return Err(CoreError::invalid("method", "DormandPrince", "a fixed-step method"));
        }
        if !(step_size.is_finite() && step_size > 0.0) {
            return Err(CoreError::invalid("step_size", step_size, "a finite number > 0"));
        }
        Ok(Self::with_method(method, step_size))
    }

    /// Explicit Euler with step `step_size`.
    ///
    /// # Errors
    /// As [`Solver::fixed`].
    pub fn euler(step_size: f64) -> Result<Self> {
        Self::fixed(Method::Euler, step_size)
    }

    /// Heun's method with step `step_size`.
    ///
    /// # Errors
    /// As [`Solver::fixed`].
    pub fn heun(step_size: f64) -> Result<Self> {
        Self::fixed(Method::Heun, step_size)
    }

    /// Classical RK4 with step `step_size`.
    ///
    /// # Errors
    /// As [`Solver::fixed`].
    pub fn rk4(step_size: f64) -> Result<Self> {
        Self::fixed(Method::Rk4, step_size)
    }

    /// Adaptive Dormand–Prince 5(4).
    ///
    /// # Errors
    /// [`CoreError::InvalidParameter`] naming the first invalid option.
    pub fn dormand_prince(options: AdaptiveOptions) -> Result<Self> {
        options.validate()?;
        Ok(Self::with_method(Method::DormandPrince(options), f64::NAN))
    }

    fn with_method(method: Method, step_size: f64) -> Self {
        Self {
            method,
            step_size,
            output: Output::Final,
            post_step: None,
            observer: None,
            events: Vec::new(),
        }
    }

    /// Selects which states are kept.
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// Edits the state after every accepted step (and every interpolated state).
    pub fn post_step(mut self, hook: impl FnMut(f64, &mut S) + 'a) -> Self {
        self.post_step = Some(Box::new(hook));
        self
    }

    /// Calls `observer(t, y)` after every accepted step, and once for the initial state.
    pub fn observer(mut self, observer: impl FnMut(f64, &S) + 'a) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }

    /// Adds an event.
    pub fn event(mut self, event: Event<'a, S>) -> Self {
        self.events.push(event);
        self
    }

    /// Integrates `dy/dt = f(t, y)` from `(t0, y0)` to `t_end` (forward or backward in time).
    ///
    /// # Errors
    /// * [`CoreError::InvalidParameter`] for non-finite or equal times, a non-finite initial
    ///   state, or output times out of order or out of range;
    /// * [`CoreError::NonFinite`] when the state becomes NaN or infinite;
    /// * [`CoreError::MaxStepsExceeded`] for the adaptive method;
    /// * [`CoreError::StepSizeUnderflow`], naming the step size and the time, when a step
    ///   cannot be resolved at the current time: for the adaptive method when its step falls
    ///   to 16 machine epsilons of `|t|`; for a fixed-step method when the doubles near `t`
    ///   are too far apart for the grid `t0 + k h` to realise steps of length `h` to within
    ///   `h / 1024` (a step of 1 at `t = 1e17`, where doubles are 16 apart). Integrating in
    ///   the shifted time `t - t0` avoids it.
    #[allow(clippy::float_cmp, reason = "an empty time span is exactly t0 == t_end")]
    pub fn solve<F>(mut self, mut f: F, t0: f64, y0: S, t_end: f64) -> Result<Solution<S>>
    where
        F: FnMut(f64, &S, &mut S),
    {
        crate::error::ensure_finite("t0", t0)?;
        crate::error::ensure_finite("t_end", t_end)?;
        if t0 == t_end {
            return Err(CoreError::invalid("t_end", t_end, "a time different from t0"));
        }
        if !state::all_finite(&y0) {
            return Err(CoreError::invalid(
                "y0",
                "a state with NaN or infinite entries",
                "finite entries",
            ));
        }
        let dir = (t_end - t0).signum();
        if let Output::Times(times) = &self.output {
            validate_times(times, t0, t_end, dir)?;
        }
        for e in &self.events {
            if !(e.tol.is_finite() && e.tol > 0.0) {
                return Err(CoreError::invalid("event tolerance", e.tol, "a finite number > 0"));
            }
        }
        let mut run = Run::new(&mut self, t0, y0, t_end, dir);
        match self.method {
            Method::DormandPrince(opts) => dopri::integrate(&mut self, &mut run, &mut f, opts)?,
            method => integrate_fixed(&mut self, &mut run, &mut f, method)?,
        }
        Ok(run.finish(matches!(self.output, Output::Final)))
    }
}

fn validate_times(times: &[f64], t0: f64, t_end: f64, dir: f64) -> Result<()> {
    let (lo, hi) = if dir > 0.0 { (t0, t_end) } else { (t_end, t0) };
    for (k, &t) in times.iter().enumerate() {
        if !(t.is_finite() && t >= lo && t <= hi) {
            return Err(CoreError::invalid("output time", t, "a finite time between t0 and t_end"));
        }
        if k > 0 && (t - times[k - 1]) * dir < 0.0 {
            return Err(CoreError::invalid(
                "output time",
                t,
                "times monotone in the direction of integration",
            ));
        }
    }
    Ok(())
}

/// Bookkeeping shared by the fixed-step and adaptive drivers.
pub(crate) struct Run<S> {
    pub(crate) t: f64,
    pub(crate) y: S,
    pub(crate) t_end: f64,
    pub(crate) dir: f64,
    pub(crate) stats: Stats,
    out_t: Vec<f64>,
    out_y: Vec<S>,
    next_output: usize,
    g_prev: Vec<f64>,
    events: Vec<EventHit<S>>,
    terminated: bool,
}

impl<S: OdeState> Run<S> {
    #[allow(clippy::float_cmp, reason = "output requested exactly at the initial time")]
    fn new(solver: &mut Solver<'_, S>, t0: f64, y0: S, t_end: f64, dir: f64) -> Self {
        let g_prev = solver.events.iter_mut().map(|e| (e.g)(t0, &y0)).collect();
        if let Some(obs) = solver.observer.as_mut() {
            obs(t0, &y0);
        }
        let mut run = Self {
            t: t0,
            y: y0,
            t_end,
            dir,
            stats: Stats::default(),
            out_t: Vec::new(),
            out_y: Vec::new(),
            next_output: 0,
            g_prev,
            events: Vec::new(),
            terminated: false,
        };
        match &solver.output {
            Output::Final | Output::EveryStep => {
                run.out_t.push(t0);
                run.out_y.push(run.y.clone());
            }
            Output::Times(times) => {
                while run.next_output < times.len() && times[run.next_output] == t0 {
                    run.out_t.push(t0);
                    run.out_y.push(run.y.clone());
                    run.next_output += 1;
                }
            }
        }
        run
    }

    /// Records an accepted step from `(t_old, y_old)` to `(self.t, self.y)`, whose states in
    /// between are given by `interp(theta)` for `theta` in `(0, 1]`. Returns `true` when a
    /// terminal event ended the run.
    #[allow(clippy::float_cmp, reason = "exact hits of step ends reuse the computed state")]
    pub(crate) fn accept(
        &mut self,
        solver: &mut Solver<'_, S>,
        t_old: f64,
        step: usize,
        interp: &mut dyn FnMut(f64) -> S,
    ) -> Result<bool> {
        if !state::all_finite(&self.y) {
            return Err(CoreError::NonFinite { step, time: self.t });
        }
        self.stats.accepted += 1;
        let h = self.t - t_old;
        let mut interp_hooked = |theta: f64| {
            let mut y = interp(theta);
            if let Some(hook) = solver.post_step.as_mut() {
                hook(t_old + theta * h, &mut y);
            }
            y
        };

        // Events: locate every crossing inside the step; the earliest terminal one ends it.
        let mut t_stop = None;
        let mut stop_theta = 1.0;
        let mut hits = Vec::new();
        for (idx, ev) in solver.events.iter_mut().enumerate() {
            let g_new = (ev.g)(self.t, &self.y);
            let g_old = self.g_prev[idx];
            self.g_prev[idx] = g_new;
            let crossed = match ev.direction {
                Direction::Rising => g_old < 0.0 && g_new >= 0.0,
                Direction::Falling => g_old > 0.0 && g_new <= 0.0,
                Direction::Either => (g_old < 0.0 && g_new >= 0.0) || (g_old > 0.0 && g_new <= 0.0),
            };
            if !crossed {
                continue;
            }
            let theta = locate(&mut ev.g, &mut interp_hooked, t_old, h, g_old, g_new, ev.tol);
            hits.push((theta, idx));
            if ev.terminal && theta < stop_theta + f64::EPSILON {
                stop_theta = theta;
                t_stop = Some(idx);
            }
        }
        hits.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (theta, idx) in hits {
            if t_stop.is_some() && theta > stop_theta {
                continue;
            }
            let y = if theta == 1.0 { self.y.clone() } else { interp_hooked(theta) };
            self.events.push(EventHit { event: idx, t: t_old + theta * h, y });
        }
        if t_stop.is_some() && stop_theta < 1.0 {
            self.y = interp_hooked(stop_theta);
            self.t = t_old + stop_theta * h;
        }

        // Outputs inside the step.
        match &solver.output {
            Output::EveryStep => {
                self.out_t.push(self.t);
                self.out_y.push(self.y.clone());
            }
            Output::Final => {}
            Output::Times(times) => {
                while self.next_output < times.len()
                    && (times[self.next_output] - self.t) * self.dir <= 0.0
                {
                    let tt = times[self.next_output];
                    let theta = (tt - t_old) / h;
                    let y = if tt == self.t { self.y.clone() } else { interp_hooked(theta) };
                    self.out_t.push(tt);
                    self.out_y.push(y);
                    self.next_output += 1;
                }
            }
        }
        if let Some(obs) = solver.observer.as_mut() {
            obs(self.t, &self.y);
        }
        self.terminated = t_stop.is_some();
        Ok(self.terminated)
    }

    fn finish(mut self, push_final: bool) -> Solution<S> {
        if push_final {
            self.out_t.push(self.t);
            self.out_y.push(self.y.clone());
        }
        Solution {
            t: self.out_t,
            y: self.out_y,
            events: self.events,
            stats: self.stats,
            terminated: self.terminated,
            t_end: self.t,
            y_end: self.y,
        }
    }
}

/// Locates the zero of `g(t_old + theta h, interp(theta))` in `(0, 1]` by the Illinois method.
fn locate<S>(
    g: &mut EventFn<'_, S>,
    interp: &mut dyn FnMut(f64) -> S,
    t_old: f64,
    h: f64,
    g_old: f64,
    g_new: f64,
    tol: f64,
) -> f64 {
    if g_new == 0.0 {
        return 1.0;
    }
    let (mut a, mut b) = (0.0f64, 1.0f64);
    let (mut ga, mut gb) = (g_old, g_new);
    let tol_theta = tol / h.abs();
    let mut side = 0i8;
    for _ in 0..200 {
        if (b - a) <= tol_theta {
            break;
        }
        let mut c = (a * gb - b * ga) / (gb - ga);
        if !(c > a && c < b) {
            c = 0.5 * (a + b);
        }
        let gc = g(t_old + c * h, &interp(c));
        if gc == 0.0 {
            return c;
        }
        if gc.signum() == gb.signum() {
            b = c;
            gb = gc;
            if side == 1 {
                ga *= 0.5;
            }
            side = 1;
        } else {
            a = c;
            ga = gc;
            if side == -1 {
                gb *= 0.5;
            }
            side = -1;
        }
    }
    b
}

/// One step of a fixed-step method from `(t, y)` with step `h`, into `out`.
fn fixed_step<S: OdeState, F: FnMut(f64, &S, &mut S)>(
    method: Method,
    f: &mut F,
    t: f64,
    y: &S,
    h: f64,
    work: &mut [S; 5],
    out: &mut S,
) -> usize {
    let [k1, k2, k3, k4, tmp] = work;
    match method {
        Method::Euler => {
            f(t, y, k1);
            state::lincomb(out, y, &[(h, k1)]);
            1
        }
        Method::Heun => {
            f(t, y, k1);
            state::lincomb(tmp, y, &[(h, k1)]);
            f(t + h, tmp, k2);
            state::lincomb(out, y, &[(0.5 * h, k1), (0.5 * h, k2)]);
            2
        }
        Method::Rk4 => {
            f(t, y, k1);
            state::lincomb(tmp, y, &[(0.5 * h, k1)]);
            f(t + 0.5 * h, tmp, k2);
            state::lincomb(tmp, y, &[(0.5 * h, k2)]);
            f(t + 0.5 * h, tmp, k3);
            state::lincomb(tmp, y, &[(h, k3)]);
            f(t + h, tmp, k4);
            state::lincomb(out, y, &[(h / 6.0, k1), (h / 3.0, k2), (h / 3.0, k3), (h / 6.0, k4)]);
            4
        }
        Method::DormandPrince(_) => unreachable!("adaptive method in fixed-step driver"),
    }
}

/// Largest number of fixed steps a run may take (beyond it a step size is almost surely a
/// unit mistake, and the run would not finish).
const MAX_FIXED_STEPS: f64 = 1e10;

/// Largest deviation, relative to the step size, of a realised fixed step from the step that
/// was asked for. The grid times `t0 + k h` are rounded to the doubles near `t`, which are
/// `ulp(t)` apart; once `ulp(t)` is no longer small against `h`, the realised steps differ
/// from `h` (at `t = 1e17`, `h = 1` gives steps of 0 and 16) and the run is not the requested
/// scheme. Within `2^-10` the scheme's error constant `C h^p` changes by less than
/// `(1 + 2^-10)^4 - 1 < 0.4 %` for the orders `p <= 4` used here.
const MAX_STEP_DEVIATION: f64 = 1.0 / 1024.0;

fn integrate_fixed<S: OdeState, F: FnMut(f64, &S, &mut S)>(
    solver: &mut Solver<'_, S>,
    run: &mut Run<S>,
    f: &mut F,
    method: Method,
) -> Result<()> {
    let span = (run.t_end - run.t).abs();
    let h_nominal = solver.step_size;
    if !span.is_finite() {
        return Err(CoreError::invalid(
            "t_end",
            format!("{:e} (from t0 = {:e})", run.t_end, run.t),
            "an interval whose length t_end - t0 is finite",
        ));
    }
    // Steps of exactly `h` until the end, the last one shortened; a remainder below 1e-9 h is
    // rounding in `span / h` and is absorbed into the previous step.
    let ratio = span / h_nominal;
    if ratio > MAX_FIXED_STEPS {
        return Err(CoreError::invalid(
            "step_size",
            crate::error::fmt_value(h_nominal),
            "a step giving at most 1e10 steps over the interval",
        ));
    }
    let n_steps = if (ratio - ratio.round()).abs() <= 1e-9 * ratio.max(1.0) {
        ratio.round().max(1.0) as usize
    } else {
        ratio.ceil() as usize
    };
    let (t0, dir) = (run.t, run.dir);
    // Times of the grid are computed from t0, not accumulated, to avoid drift.
    let grid = |k: usize| t0 + dir * h_nominal * k as f64;
    // A remainder that the doubles near `t_end` cannot hold (the grid time before the last
    // already rounds onto or past `t_end`) is absorbed into the previous step as well.
    let n_steps = if n_steps > 1 && (grid(n_steps - 1) - run.t_end) * dir >= 0.0 {
        n_steps - 1
    } else {
        n_steps
    };
    // Length of the last step in exact arithmetic, up to the rounding of `span`.
    let h_last = span - h_nominal * (n_steps - 1) as f64;
    let mut work: [S; 5] = std::array::from_fn(|_| run.y.clone());
    let mut next = run.y.clone();
    for step in 0..n_steps {
        let t_old = run.t;
        let last = step + 1 == n_steps;
        let t_new = if last { run.t_end } else { grid(step + 1) };
        let h = t_new - t_old;
        let h_intended = if last { h_last } else { h_nominal };
        if h == 0.0 || (h.abs() - h_intended).abs() > MAX_STEP_DEVIATION * h_nominal {
            return Err(CoreError::StepSizeUnderflow { step_size: h_intended, time: t_old });
        }
        run.stats.rhs_evals += fixed_step(method, f, t_old, &run.y, h, &mut work, &mut next);
        if let Some(hook) = solver.post_step.as_mut() {
            hook(t_new, &mut next);
        }
        // `next` now holds the previous state.
        std::mem::swap(&mut run.y, &mut next);
        run.t = t_new;
        let y_old = &next;
        let mut extra = 0usize;
        // Output and event location inside the step use a partial step of the same scheme,
        // which is as accurate as the scheme itself and leaves the step sequence unchanged.
        let mut interp = |theta: f64| {
            let mut scratch: [S; 5] = std::array::from_fn(|_| y_old.clone());
            let mut out = y_old.clone();
            extra += fixed_step(method, f, t_old, y_old, theta * h, &mut scratch, &mut out);
            out
        };
        let stop = run.accept(solver, t_old, step, &mut interp)?;
        run.stats.rhs_evals += extra;
        if stop {
            break;
        }
    }
    Ok(())
}
