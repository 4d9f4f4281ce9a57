//! The conservative, bounded one-dimensional update shared by the 2D and 3D drivers.
//!
//! # The sweep
//!
//! Along one grid line of `n` cells with faces `0..=n` (face `k` between cells `k - 1` and
//! `k`; for periodic lines faces `0` and `n` are the same face), signed face Courant numbers
//! `beta_k = u_k dt / h` and material fractions `f_k` in `[0, 1]` of the swept volumes
//! `|beta_k| h^d`, one sweep is
//!
//! ```text
//! alpha_i <- alpha_i - (beta_{i+1} f_{i+1} - beta_i f_i) + c_i (beta_{i+1} - beta_i),   (1)
//! ```
//!
//! with `c_i = H(alpha_i(t_n) - 1/2)` frozen over the sweeps of a step (Weymouth & Yue 2010,
//! eq. 10). The last term cancels the compression of a one-dimensional sweep of a
//! divergence-free field; since `sum_d (beta_{i+1} - beta_i)_d = 0` for discretely
//! divergence-free face velocities, the total volume is conserved to rounding after every step.
//!
//! # Why the bounds hold
//!
//! Call a face *outgoing* for cell `i` if the flow leaves `i` through it, *incoming*
//! otherwise; `V_out = beta_{i+1}^+ + beta_i^-` and `V_in = beta_i^+ + beta_{i+1}^-` are the
//! outgoing and incoming volumes, `M_out`, `M_in` the material they carry and
//! `S = V - M` the second phase. Then `beta_{i+1} - beta_i = V_out - V_in` and (1) reads
//!
//! ```text
//! c_i = 0:   alpha_i <- alpha_i - M_out + M_in,                                          (2)
//! c_i = 1:   1 - alpha_i <- (1 - alpha_i) - S_out + S_in.                                 (3)
//! ```
//!
//! So each cell transports one *tracked phase* conservatively: `phi_i = alpha_i` (material)
//! if `c_i = 0`, `phi_i = 1 - alpha_i` (second phase) if `c_i = 1`, and
//! `0 <= alpha_i <= 1` after the sweep if and only if `0 <= phi_i <= 1`.
//!
//! **Low-order step.** With the donor-cell fractions `f_k = alpha_up(k)`, (2)-(3) become
//!
//! ```text
//! phi_i^L = phi_i (1 - V_out,i) + sum_{incoming k} |beta_k| tau_k,                       (4)
//! ```
//!
//! where `tau_k` is the tracked phase of cell `i` as present in the upwind cell of face `k`
//! (`alpha_up` if `c_i = 0`, `1 - alpha_up` if `c_i = 1`). Every term is non-negative when
//! `V_out,i <= 1`, so `phi^L >= 0`. The upper bound `phi^L <= 1` is the **time-step
//! condition** of the sweep:
//!
//! ```text
//! V_out,i <= 1   and   phi_i (1 - V_out,i) + sum_{incoming k} |beta_k| tau_k <= 1,        (5)
//! ```
//!
//! which is implied by `V_in,i - phi_i V_out,i <= 1 - phi_i`: the compression
//! `dt/h (u_{i-1/2}^+ - u_{i+1/2}^-)` of the sweep, weighed against the room `1 - phi_i` that
//! the Weymouth–Yue choice of `c_i` leaves (`phi_i <= 1/2` at the start of the step). In a
//! uniform flow `V_in = V_out = |beta| <= 1` and (5) always holds; in any field it holds
//! for a small enough `dt`, since `phi <= 1/2 + O(dt)` during the step. The drivers check
//! (5) on every line of every sweep and, where it fails, redo the step as two half steps
//! (see [`crate::advect2::Advection2::step`]).
//!
//! **Prelimiting.** The scheme's fraction is first clamped to the interval in which the
//! upwind cell emits at most its material `alpha_up` and at most its second phase
//! `1 - alpha_up` over its outgoing volume:
//! `f_k^H in [1 - (1 - alpha_up) / V_out,up, alpha_up / V_out,up]` (for one outgoing face,
//! the positivity interval of Després & Jourdren 2020, Sec. 6.2). It contains the donor-cell
//! value; it is not needed for the bounds, but it removes spurious outflow (for instance from
//! an empty cell) before that outflow can use up the room of the downwind cell in (6).
//!
//! **Flux correction** (Zalesak 1979, with the bounds `0 <= phi <= 1` instead of local
//! extrema). The prelimited fraction `f_k^H` differs from the donor-cell one by the material
//! volume `dm_k = |beta_k| (f_k^H - f_k^L)`, which changes the tracked phase of the downwind
//! cell by `g = +dm_k` (if its `c = 0`) or `-dm_k` (if `c = 1`) and of the upwind cell by the
//! opposite rule. For each cell, with `P^+` (`P^-`) the sum of its positive (negative)
//! contributions,
//!
//! ```text
//! R_i^+ = min(1, (1 - phi_i^L) / P_i^+),      R_i^- = min(1, phi_i^L / P_i^-),          (6)
//! ```
//!
//! and each face receives the factor `C_k = min` over its two cells of `R^+` or `R^-`, chosen
//! by the sign of that cell's contribution. Then the new tracked phase
//! `phi_i^L + sum_k C_k g_{k,i}` lies in `[phi_i^L - R_i^- P_i^-, phi_i^L + R_i^+ P_i^+]`,
//! a subset of `[0, 1]`: the room for inflow `1 - phi^L` bounds what comes in, the content
//! `phi^L` bounds what goes out. Since every face flux stays one number shared by its two
//! cells, (1) stays conservative. The correction left over, `(1 - C_k) dm_k`, is offered again
//! from the new state (up to [`FCT_PASSES`] passes); every pass keeps the bounds by the same
//! argument, so the number of passes only affects accuracy.
//!
//! **Rounding.** The limiting ratios are shrunk by `8 eps` and all updates are written as
//! `phi^L + x` with `-phi^L <= x <= 1 - phi^L`; since floating-point addition is monotone
//! and `fl(phi + fl(1 - phi)) <= 1`, the computed values stay in `[0, 1]` exactly, and so does
//! `alpha = 1 - phi`. The bounds therefore hold in floating point for every face-flux rule
//! (donor cell, Després–Lagoutière, PLIC, learned) without a final clip.
//!
//! # References
//! - G. D. Weymouth, D. K.-P. Yue, *Conservative volume-of-fluid method for free-surface
//!   simulations on Cartesian grids*, J. Comput. Phys. 229 (2010) 2853-2865.
//! - S. T. Zalesak, *Fully multidimensional flux-corrected transport algorithms for fluids*,
//!   J. Comput. Phys. 31 (1979) 335-362.
//! - B. Després, H. Jourdren, J. Comput. Phys. 408 (2020) 109275, Sec. 6.2 (the positivity
//!   interval of a single outgoing face, which (6) extends to both bounds and both cells).

use crate::error::{Result, VofError};
use crate::grid::Boundary;
use crate::learned::LearnedFlux;
use crate::normals::NormalMethod;
use crate::scheme::{PURE_TOL, Scheme, despres_lagoutiere};

/// Passes of the flux correction (each pass is bounded; later passes only recover accuracy).
pub const FCT_PASSES: usize = 3;

/// Halvings of a step the drivers try before giving up with
/// [`VofError::StepConditionViolated`] (a step is split into at most `2^MAX_HALVINGS` parts).
pub const MAX_HALVINGS: u32 = 12;

/// Remainders of a limited correction below `NEGLIGIBLE |beta|` are not offered again.
const NEGLIGIBLE: f64 = 64.0 * f64::EPSILON;

/// Shrink factor of the limiting ratios, covering the rounding of their products and sums.
const SHRINK: f64 = 1.0 - 8.0 * f64::EPSILON;

/// Scratch buffers of one line, reused from line to line.
#[derive(Debug, Default)]
pub(crate) struct LineWork {
    second: Vec<bool>,
    vout: Vec<f64>,
    phi: Vec<f64>,
    dm: Vec<f64>,
    p_pos: Vec<f64>,
    p_neg: Vec<f64>,
    delta: Vec<f64>,
}

impl LineWork {
    fn reset(&mut self, n: usize) {
        for v in [&mut self.vout, &mut self.phi, &mut self.dm, &mut self.p_pos, &mut self.p_neg] {
            v.clear();
            v.resize(n + 1, 0.0);
        }
        self.delta.clear();
        self.delta.resize(n + 1, 0.0);
        self.second.clear();
        self.second.resize(n, false);
    }
}

/// The two cells of face `k` (left, right), or `None` for a wall face of a closed line and
/// for the duplicate face `n` of a periodic line.
#[inline]
fn face_cells(k: usize, n: usize, periodic: bool) -> Option<(usize, usize)> {
    if periodic {
        (k < n).then(|| (if k == 0 { n - 1 } else { k - 1 }, k))
    } else {
        (k > 0 && k < n).then(|| (k - 1, k))
    }
}

/// Bounded update (1) of one line, with the scheme's fractions `frac` (faces `0..=n`, clamped
/// to `[0, 1]` here) corrected around the donor-cell flux as described in the
/// [module documentation](self).
///
/// Returns `false`, leaving `alpha` unchanged, if the time-step condition (5) fails in some
/// cell. Values of `alpha` outside `[0, 1]` on entry are read as clamped.
// Faces and cells are visited by index: each face reads and writes the arrays of its two cells.
#[allow(clippy::needless_range_loop)]
pub(crate) fn bounded_update(
    alpha: &mut [f64],
    c: &[f64],
    beta: &[f64],
    frac: &[f64],
    periodic: bool,
    w: &mut LineWork,
) -> bool {
    let n = alpha.len();
    debug_assert_eq!(c.len(), n);
    debug_assert_eq!(beta.len(), n + 1);
    debug_assert_eq!(frac.len(), n + 1);
    w.reset(n);
    for i in 0..n {
        w.second[i] = c[i] > 0.5;
    }
    let value = |i: usize| alpha[i].clamp(0.0, 1.0);
    // Outgoing volumes, then the low-order tracked phase (4).
    for k in 0..=n {
        let Some((l, r)) = face_cells(k, n, periodic) else { continue };
        let b = beta[k];
        if b > 0.0 {
            w.vout[l] += b;
        } else if b < 0.0 {
            w.vout[r] -= b;
        }
    }
    for i in 0..n {
        if w.vout[i] > 1.0 {
            return false;
        }
        let a = value(i);
        let phi = if w.second[i] { 1.0 - a } else { a };
        w.phi[i] = phi * (1.0 - w.vout[i]);
    }
    for k in 0..=n {
        let Some((l, r)) = face_cells(k, n, periodic) else { continue };
        let b = beta[k];
        if b == 0.0 {
            continue;
        }
        let (up, down) = if b > 0.0 { (l, r) } else { (r, l) };
        let v = b.abs();
        let low = value(up);
        let tau = if w.second[down] { 1.0 - low } else { low };
        w.phi[down] += v * tau;
        // Prelimiting: the upwind cell cannot emit more material than `alpha_up` nor more
        // second phase than `1 - alpha_up` over its outgoing volume (shared in proportion to
        // the face volumes). The donor-cell fraction lies in this interval.
        let share = w.vout[up];
        // (`lo <= hi` in exact arithmetic; the `min` guards against rounding, and NaN passes
        // through to be reported by the drivers.)
        let hi = (low / share).min(1.0);
        let lo = (1.0 - (1.0 - low) / share).max(0.0).min(hi);
        let f = frac[k];
        let high = if f < lo {
            lo
        } else if f > hi {
            hi
        } else {
            f
        };
        w.dm[k] = v * (high - low);
    }
    if w.phi[..n].iter().any(|p| *p > 1.0) {
        return false;
    }
    // Flux correction (6), in passes.
    let sign = |second: bool| if second { -1.0 } else { 1.0 };
    for _ in 0..FCT_PASSES {
        w.p_pos[..n].fill(0.0);
        w.p_neg[..n].fill(0.0);
        let mut any = false;
        for k in 0..=n {
            let dm = w.dm[k];
            let Some((l, r)) = face_cells(k, n, periodic) else { continue };
            if dm == 0.0 {
                continue;
            }
            any = true;
            let (up, down) = if beta[k] > 0.0 { (l, r) } else { (r, l) };
            for (cell, g) in [(down, sign(w.second[down]) * dm), (up, -sign(w.second[up]) * dm)] {
                if g > 0.0 {
                    w.p_pos[cell] += g;
                } else {
                    w.p_neg[cell] -= g;
                }
            }
        }
        if !any {
            break;
        }
        // Limiting ratios, stored in place of the sums.
        for i in 0..n {
            let room = 1.0 - w.phi[i];
            let have = w.phi[i];
            w.p_pos[i] = if w.p_pos[i] > room { room / w.p_pos[i] * SHRINK } else { 1.0 };
            w.p_neg[i] = if w.p_neg[i] > have { have / w.p_neg[i] * SHRINK } else { 1.0 };
        }
        w.delta[..n].fill(0.0);
        let mut limited = false;
        for k in 0..=n {
            let dm = w.dm[k];
            let Some((l, r)) = face_cells(k, n, periodic) else { continue };
            if dm == 0.0 {
                continue;
            }
            let (up, down) = if beta[k] > 0.0 { (l, r) } else { (r, l) };
            let gd = sign(w.second[down]) * dm;
            let gu = -sign(w.second[up]) * dm;
            let ratio = |cell: usize, g: f64| if g > 0.0 { w.p_pos[cell] } else { w.p_neg[cell] };
            let factor = ratio(down, gd).min(ratio(up, gu));
            if factor < 1.0 {
                w.delta[down] += factor * gd;
                w.delta[up] += factor * gu;
                // A remainder at the rounding level of the face volume is dropped rather than
                // offered again (dropping any remainder keeps the bounds).
                let rest = dm - factor * dm;
                if rest.abs() > NEGLIGIBLE * beta[k].abs() {
                    limited = true;
                    w.dm[k] = rest;
                } else {
                    w.dm[k] = 0.0;
                }
            } else {
                w.delta[down] += gd;
                w.delta[up] += gu;
                w.dm[k] = 0.0;
            }
        }
        for i in 0..n {
            w.phi[i] += w.delta[i];
        }
        if !limited {
            break;
        }
    }
    for i in 0..n {
        alpha[i] = if w.second[i] { 1.0 - w.phi[i] } else { w.phi[i] };
    }
    true
}

/// Where the uncorrected fractions of a sweep come from.
enum Fractions<'a> {
    /// From the line's values (donor cell, Després–Lagoutière).
    Line(&'a Scheme),
    /// `geometric(cell, positive, |beta|)`: the fraction of the swept slab of a reconstructed
    /// cell (global index), or `None` for a pure cell (donor cell).
    Geometric(&'a dyn Fn(usize, bool, f64) -> Option<f64>),
    /// Precomputed fractions, indexed like the face Courant numbers.
    Given(&'a [f64]),
}

/// One sweep over `lines` grid lines of `n` cells: face Courant numbers `courant` indexed
/// `k + (n + 1) line`, cell `s` of a line at global index `cell(line, s)`. Returns `false` if
/// the time-step condition failed on some line; `alpha` is then partly updated and must be
/// restored by the caller.
#[allow(clippy::too_many_arguments)]
fn sweep_lines(
    alpha: &mut [f64],
    c: &[f64],
    courant: &[f64],
    n: usize,
    lines: usize,
    periodic: bool,
    cell: impl Fn(usize, usize) -> usize,
    fractions: Fractions<'_>,
) -> bool {
    let boundary = if periodic { Boundary::Periodic } else { Boundary::Closed };
    let wrap = |s: isize| boundary.wrap(s, n);
    let mut line = vec![0.0; n];
    let mut cl = vec![0.0; n];
    let mut beta = vec![0.0; n + 1];
    let mut frac = vec![0.0; n + 1];
    let mut work = LineWork::default();
    for t in 0..lines {
        // Global indices are affine in `s` along a line.
        let base = cell(t, 0);
        let stride = cell(t, 1) - base;
        let at_line = |s: usize| base + s * stride;
        for s in 0..n {
            line[s] = alpha[at_line(s)];
            cl[s] = c[at_line(s)];
        }
        beta.copy_from_slice(&courant[(n + 1) * t..(n + 1) * (t + 1)]);
        if periodic {
            beta[n] = beta[0];
        }
        for k in 0..=n {
            let b = beta[k];
            if b == 0.0 || face_cells(k, n, periodic).is_none() {
                frac[k] = 0.0;
                continue;
            }
            let (up, dir) = if b > 0.0 { (k as isize - 1, 1isize) } else { (k as isize, -1isize) };
            let at = |s: isize| line[wrap(s)];
            frac[k] = match &fractions {
                Fractions::Line(Scheme::DespresLagoutiere) => {
                    despres_lagoutiere(at(up - dir), at(up), at(up + dir), b.abs())
                }
                Fractions::Line(_) => at(up),
                Fractions::Geometric(g) => {
                    g(at_line(wrap(up)), b > 0.0, b.abs()).unwrap_or_else(|| at(up))
                }
                Fractions::Given(f) => f[k + (n + 1) * t],
            };
        }
        if !bounded_update(&mut line, &cl, &beta, &frac, periodic, &mut work) {
            return false;
        }
        for s in 0..n {
            alpha[at_line(s)] = line[s];
        }
    }
    true
}

/// What a split driver (2D or 3D) provides to [`sweep_axis`].
pub(crate) trait SplitGrid {
    /// A reconstructed cell (PLIC).
    type Recon;
    /// The box boundary.
    fn boundary(&self) -> Boundary;
    /// `(cells per line, number of lines)` of the sweeps along `axis`.
    fn lines(&self, axis: usize) -> (usize, usize);
    /// Global index of cell `s` of line `t` along `axis`.
    fn cell(&self, axis: usize, t: usize, s: usize) -> usize;
    /// PLIC reconstruction of cell `idx` (value `v`) with the given normal estimator.
    fn reconstruct(&self, alpha: &[f64], idx: usize, v: f64, method: NormalMethod) -> Self::Recon;
    /// Material fraction of the slab swept through the `axis` face of a reconstructed cell.
    fn recon_fraction(r: &Self::Recon, axis: usize, positive: bool, beta: f64) -> f64;
    /// Learned fractions of every face of `axis`, indexed like the face Courant numbers.
    fn learned_fractions(
        &self,
        net: &LearnedFlux,
        alpha: &[f64],
        courant: &[f64],
        axis: usize,
    ) -> Vec<f64>;
}

/// One bounded sweep of `scheme` along `axis` (face Courant numbers indexed
/// `k + (n + 1) line`); `false` if the time-step condition failed (then `alpha` must be
/// restored by the caller).
pub(crate) fn sweep_axis<G: SplitGrid>(
    grid: &G,
    scheme: &Scheme,
    alpha: &mut [f64],
    c: &[f64],
    courant: &[f64],
    axis: usize,
) -> bool {
    // A non-finite velocity cannot meet the condition (and must not reach the limiters).
    if courant.iter().any(|c| !c.is_finite()) {
        return false;
    }
    let (n, lines) = grid.lines(axis);
    let periodic = grid.boundary() == Boundary::Periodic;
    let cell = |t: usize, s: usize| grid.cell(axis, t, s);
    match scheme {
        Scheme::Plic(method) => {
            let recon: Vec<Option<G::Recon>> = alpha
                .iter()
                .enumerate()
                .map(|(idx, &v)| {
                    (v > PURE_TOL && v < 1.0 - PURE_TOL)
                        .then(|| grid.reconstruct(alpha, idx, v, *method))
                })
                .collect();
            let geometric = |idx: usize, positive: bool, b: f64| {
                recon[idx].as_ref().map(|p| G::recon_fraction(p, axis, positive, b))
            };
            let fractions = Fractions::Geometric(&geometric);
            sweep_lines(alpha, c, courant, n, lines, periodic, cell, fractions)
        }
        Scheme::Learned(net) => {
            let learned = grid.learned_fractions(net, alpha, courant, axis);
            let fractions = Fractions::Given(&learned);
            sweep_lines(alpha, c, courant, n, lines, periodic, cell, fractions)
        }
        scheme => sweep_lines(alpha, c, courant, n, lines, periodic, cell, Fractions::Line(scheme)),
    }
}

/// Checks the parameters shared by the 2D and 3D drivers.
///
/// # Errors
/// [`VofError::InvalidParameter`] if `courant` is not in `(0, 1]` or a learned scheme's
/// network does not have dimension `dim`.
pub(crate) fn validate(scheme: &Scheme, courant: f64, dim: usize) -> Result<()> {
    if !(courant > 0.0 && courant <= 1.0) {
        return Err(VofError::invalid("courant", courant, "a number in (0, 1]"));
    }
    if let Scheme::Learned(net) = scheme
        && net.dim() != dim
    {
        let expected = if dim == 2 { "2 for a 2D scheme" } else { "3 for a 3D scheme" };
        return Err(VofError::invalid("network dimension", net.dim(), expected));
    }
    Ok(())
}

/// The Weymouth–Yue indicator `c = H(alpha - 1/2)`, frozen over the sweeps of a step.
pub(crate) fn phase_indicator(alpha: &[f64]) -> Vec<f64> {
    alpha.iter().map(|v| if *v > 0.5 { 1.0 } else { 0.0 }).collect()
}

/// One attempt of a (sub)step: `(alpha, t, dt, part) -> condition met`.
type Attempt<'a> = dyn FnMut(&mut [f64], f64, f64, usize) -> bool + 'a;

/// Advances one step with automatic halving: `attempt(alpha, t, dt, part)` performs one
/// (sub)step and returns `false` if the time-step condition (5) failed; the state is then
/// restored and the interval redone as two halves (`part` counts the pieces, so that drivers
/// can alternate the sweep order). Returns the number of pieces used.
///
/// # Errors
/// [`VofError::InvalidParameter`] if `t` is not finite or `dt` is not finite and positive;
/// [`VofError::StepConditionViolated`] after [`MAX_HALVINGS`] halvings (also when the
/// velocity is not finite).
pub(crate) fn step_with_halving(
    alpha: &mut [f64],
    t: f64,
    dt: f64,
    part: usize,
    mut attempt: impl FnMut(&mut [f64], f64, f64, usize) -> bool,
) -> Result<usize> {
    fn go(
        alpha: &mut [f64],
        saved: &mut Vec<Vec<f64>>,
        t: f64,
        dt: f64,
        part: usize,
        depth: u32,
        attempt: &mut Attempt<'_>,
    ) -> Result<usize> {
        let mut copy = saved.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(alpha);
        if attempt(alpha, t, dt, part) {
            saved.push(copy);
            return Ok(1);
        }
        alpha.copy_from_slice(&copy);
        saved.push(copy);
        if depth >= MAX_HALVINGS {
            return Err(VofError::StepConditionViolated { time: t, dt });
        }
        let h = 0.5 * dt;
        let a = go(alpha, saved, t, h, part, depth + 1, attempt)?;
        let b = go(alpha, saved, t + h, h, part + a, depth + 1, attempt)?;
        Ok(a + b)
    }
    if !t.is_finite() {
        return Err(VofError::invalid("t", t, "a finite time"));
    }
    if !(dt.is_finite() && dt > 0.0) {
        return Err(VofError::invalid("dt", dt, "a finite step > 0"));
    }
    let mut saved = Vec::new();
    go(alpha, &mut saved, t, dt, part, 0, &mut attempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(alpha: &[f64], c: &[f64], beta: &[f64], frac: &[f64], periodic: bool) -> Vec<f64> {
        let mut a = alpha.to_vec();
        assert!(bounded_update(&mut a, c, beta, frac, periodic, &mut LineWork::default()));
        a
    }

    #[test]
    fn donor_cell_in_uniform_flow_is_the_upwind_formula() {
        let alpha = [1.0, 0.7, 0.2, 0.0, 0.0];
        let c: Vec<f64> = alpha.iter().map(|a| if *a > 0.5 { 1.0 } else { 0.0 }).collect();
        let beta = [0.4; 6];
        let frac: Vec<f64> = (0..6).map(|k| alpha[(k + 4) % 5]).collect();
        let a = update(&alpha, &c, &beta, &frac, true);
        for i in 0..5 {
            let expect = alpha[i] - 0.4 * (alpha[i] - alpha[(i + 4) % 5]);
            assert!((a[i] - expect).abs() < 4.0 * f64::EPSILON, "{i}: {} vs {expect}", a[i]);
        }
    }

    #[test]
    fn courant_one_shifts_by_one_cell_for_any_fractions() {
        // At |beta| = 1 the exact solution moves every value one cell downstream, and the
        // prelimiting interval shrinks to the donor value (0.3 makes its rounded bounds cross).
        let alpha = [1.0, 0.3, 0.7, 0.1, 0.0, 0.55];
        let n = alpha.len();
        let c: Vec<f64> = alpha.iter().map(|a| if *a > 0.5 { 1.0 } else { 0.0 }).collect();
        for guess in [0.0, 0.9, 1.0] {
            let a = update(&alpha, &c, &[1.0; 7], &[guess; 7], true);
            for i in 0..n {
                let exact = alpha[(i + n - 1) % n];
                assert!((a[i] - exact).abs() <= 4.0 * f64::EPSILON, "{i}: {} vs {exact}", a[i]);
            }
        }
    }

    #[test]
    fn downwind_fractions_are_limited_to_the_bounds() {
        // Fully downwind fractions overfill and empty cells; the correction keeps [0, 1]
        // exactly and conserves the total.
        let alpha = [1.0, 0.9, 0.3, 0.05, 0.0, 0.0, 0.6, 1.0];
        let n = alpha.len();
        let c: Vec<f64> = alpha.iter().map(|a| if *a > 0.5 { 1.0 } else { 0.0 }).collect();
        let beta = vec![0.5; n + 1];
        let frac: Vec<f64> = (0..=n).map(|k| alpha[k % n]).collect();
        let a = update(&alpha, &c, &beta, &frac, true);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)), "{a:?}");
        let drift = a.iter().sum::<f64>() - alpha.iter().sum::<f64>();
        assert!(drift.abs() < 8.0 * f64::EPSILON, "{drift:e}");
    }

    #[test]
    fn compression_with_divergence_term_stays_bounded_and_conserves() {
        // Converging flow into cells 3 and 4 of a closed line (a 1D sweep of a 2D field is
        // compressive); the divergence term would overfill c = 0 cells without limiting.
        let alpha = [0.0, 0.2, 0.95, 0.5, 0.45, 0.9, 1.0, 0.3];
        let n = alpha.len();
        let c: Vec<f64> = alpha.iter().map(|a| if *a > 0.5 { 1.0 } else { 0.0 }).collect();
        let beta = [0.0, 0.3, 0.35, 0.4, 0.0, -0.4, -0.35, -0.3, 0.0];
        // Fractions from the far end of the donor cell's range: most material inflow.
        let frac = [0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let mut a = alpha.to_vec();
        let ok = bounded_update(&mut a, &c, &beta, &frac, false, &mut LineWork::default());
        assert!(ok);
        assert!(a.iter().all(|v| (0.0..=1.0).contains(v)), "{a:?}");
        // Volume balance of (1): sum alpha changes by sum c_i (beta_{i+1} - beta_i).
        let div: f64 = (0..n).map(|i| c[i] * (beta[i + 1] - beta[i])).sum();
        let change = a.iter().sum::<f64>() - alpha.iter().sum::<f64>();
        assert!((change - div).abs() < 16.0 * f64::EPSILON, "{change} vs {div}");
    }

    #[test]
    fn violated_time_step_condition_is_reported_and_leaves_alpha() {
        // A c = 0 cell at 0.5 receiving full cells from both sides at |beta| = 0.5: the
        // donor-cell value 1.5 breaks (5).
        let alpha = [1.0, 1.0, 0.5, 1.0, 1.0];
        let c = [1.0, 1.0, 0.0, 1.0, 1.0];
        let beta = [0.0, 0.0, 0.5, -0.5, 0.0, 0.0];
        let frac = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let mut a = alpha.to_vec();
        assert!(!bounded_update(&mut a, &c, &beta, &frac, false, &mut LineWork::default()));
        assert_eq!(a, alpha);
        // Outgoing volume above 1 breaks (5) too.
        let beta = [0.0, 0.0, -0.6, 0.6, 0.0, 0.0];
        assert!(!bounded_update(&mut a, &c, &beta, &frac, false, &mut LineWork::default()));
    }

    #[test]
    fn halving_splits_until_attempts_succeed() {
        // An attempt that succeeds only for dt <= 0.25 needs four quarters.
        let mut alpha = vec![0.5; 4];
        let mut calls = Vec::new();
        let pieces = step_with_halving(&mut alpha, 0.0, 1.0, 0, |a, t, dt, part| {
            calls.push((t, dt, part));
            if dt <= 0.25 {
                a[0] += dt;
                true
            } else {
                a[0] = f64::NAN;
                false
            }
        })
        .unwrap();
        assert_eq!(pieces, 4);
        // Dyadic times and lengths are exact in binary floating point.
        assert!((alpha[0] - 1.5).abs() < f64::EPSILON);
        let done: Vec<_> = calls.iter().filter(|c| c.1 <= 0.25).map(|c| (c.0, c.2)).collect();
        assert_eq!(done, vec![(0.0, 0), (0.25, 1), (0.5, 2), (0.75, 3)]);
        let err = step_with_halving(&mut alpha, 0.0, 1.0, 0, |_, _, _, _| false).unwrap_err();
        assert!(matches!(err, VofError::StepConditionViolated { .. }));
        // Bad times are rejected before any attempt, naming the parameter.
        for (t, dt, name) in [(0.0, f64::NAN, "dt"), (0.0, -0.125, "dt"), (f64::NAN, 0.1, "t")] {
            let err = step_with_halving(&mut alpha, t, dt, 0, |_, _, _, _| true).unwrap_err();
            assert!(
                matches!(err, VofError::InvalidParameter { name: n, .. } if n == name),
                "{err}"
            );
        }
    }
}
