//! The conservative, bounded one-dimensional update shared by the 2D and 3D drivers.
//!
//! Along one grid line of `n` cells with faces `0..=n` (face `k` between cells `k - 1` and
//! `k`; for periodic lines faces `0` and `n` are the same face), signed face Courant numbers
//! `beta_k = u_k dt / h` and material fractions `f_k` of the swept volumes, one sweep is
//!
//! ```text
//! F_k = beta_k f_k,
//! alpha_i <- alpha_i - (F_{i+1} - F_i) + c_i (beta_{i+1} - beta_i),
//! ```
//!
//! with `c_i = H(alpha_i(t_n) - 1/2)` frozen over the sweeps of a step (Weymouth & Yue 2010,
//! eq. 10): the last term cancels the compression of a one-dimensional sweep of a
//! divergence-free field, and since `sum_d (beta_{i+1} - beta_i)_d = 0` for discretely
//! divergence-free face velocities, the total volume is conserved to rounding after every step.
//!
//! **Outflow limiting.** Before the update, each cell bounds its *total* outgoing material
//! `M` (over both faces when the flow diverges from it) by its content, `M <= alpha_i`, and its
//! total outgoing second phase by its complement, `V - M <= 1 - alpha_i` (`V` the outgoing
//! volume), by scaling the outgoing material (resp. second-phase) fluxes. Each face is limited
//! only by its upwind cell, so the update stays conservative. For a single outgoing face this
//! is the interval `[1 - (1 - alpha)/beta, alpha/beta]` of Després & Jourdren (2020).
//!
//! **Inflow limiting.** In a non-uniform field the divergence term can still overfill a cell
//! with `c_i = 0` or empty one with `c_i = 1`; the incoming material (resp. second-phase) flux
//! of such a cell is then reduced, for at most 16 passes. In uniform flows neither limiter
//! changes a flux that already keeps the bounds.
//!
//! # References
//! G. D. Weymouth, D. K.-P. Yue, *Conservative volume-of-fluid method for free-surface
//! simulations on Cartesian grids*, J. Comput. Phys. 229 (2010) 2853-2865.

/// Limits the material flux volumes `flux` (faces `0..=n`) by the content of each upwind cell,
/// then updates `alpha` (cells `0..n`) in place.
///
/// `beta` and `flux` have `n + 1` entries; for `periodic` lines entries `0` and `n` describe the
/// same face and must be equal on entry.
pub(crate) fn limit_and_update(
    alpha: &mut [f64],
    c: &[f64],
    beta: &[f64],
    flux: &mut [f64],
    periodic: bool,
) {
    let n = alpha.len();
    debug_assert_eq!(beta.len(), n + 1);
    debug_assert_eq!(flux.len(), n + 1);
    for i in 0..n {
        let right = beta[i + 1] > 0.0;
        let left = beta[i] < 0.0;
        if !right && !left {
            continue;
        }
        let a = alpha[i].clamp(0.0, 1.0);
        let mut vol = 0.0;
        let mut mat = 0.0;
        if right {
            vol += beta[i + 1];
            mat += flux[i + 1];
        }
        if left {
            vol -= beta[i];
            mat -= flux[i];
        }
        if mat > a {
            let s = if mat > 0.0 { a / mat } else { 0.0 };
            if right {
                flux[i + 1] = if left { flux[i + 1] * s } else { a };
            }
            if left {
                flux[i] = if right { flux[i] * s } else { -a };
            }
        } else {
            let second = vol - mat;
            let room = 1.0 - a;
            if second > room {
                let s = if second > 0.0 { room / second } else { 0.0 };
                if right {
                    flux[i + 1] = beta[i + 1] - (beta[i + 1] - flux[i + 1]) * s;
                }
                if left {
                    flux[i] = beta[i] - (beta[i] - flux[i]) * s;
                }
            }
        }
    }
    if periodic {
        if beta[0] > 0.0 {
            flux[0] = flux[n];
        } else {
            flux[n] = flux[0];
        }
    }
    limit_inflow(alpha, c, beta, flux, periodic);
    for i in 0..n {
        // Outflow first, then inflow: for one outgoing face `alpha - F_out >= 0` holds exactly.
        alpha[i] = alpha[i] - flux[i + 1] + flux[i] + c[i] * (beta[i + 1] - beta[i]);
    }
}

/// Inflow limiting: where the divergence term would push a cell out of `[0, 1]`, the offending
/// inflow (material into a cell that would overfill, second phase into a cell that would
/// empty below zero) is reduced, a few passes at most. Each change alters one face flux for
/// both of its cells, so the update stays conservative; a residual excursion is clipped and
/// counted by the drivers.
/// Passes of the inflow limiter (each pass can move a correction one cell upwind).
const MAX_INFLOW_PASSES: usize = 16;

fn limit_inflow(alpha: &[f64], c: &[f64], beta: &[f64], flux: &mut [f64], periodic: bool) {
    let n = alpha.len();
    let set = |flux: &mut [f64], k: usize, v: f64| {
        flux[k] = v;
        if periodic && (k == 0 || k == n) {
            flux[0] = v;
            flux[n] = v;
        }
    };
    for _ in 0..MAX_INFLOW_PASSES {
        let mut changed = false;
        for i in 0..n {
            let new = alpha[i] - flux[i + 1] + flux[i] + c[i] * (beta[i + 1] - beta[i]);
            if new > 1.0 {
                let excess = new - 1.0;
                let in_l = if beta[i] > 0.0 { flux[i].max(0.0) } else { 0.0 };
                let in_r = if beta[i + 1] < 0.0 { (-flux[i + 1]).max(0.0) } else { 0.0 };
                let total = in_l + in_r;
                if total > 0.0 {
                    let s = ((total - excess) / total).max(0.0);
                    if in_l > 0.0 {
                        set(flux, i, flux[i] * s);
                    }
                    if in_r > 0.0 {
                        set(flux, i + 1, flux[i + 1] * s);
                    }
                    changed = true;
                }
            } else if new < 0.0 {
                let deficit = -new;
                let p_l = if beta[i] > 0.0 { (beta[i] - flux[i]).max(0.0) } else { 0.0 };
                let p_r =
                    if beta[i + 1] < 0.0 { (flux[i + 1] - beta[i + 1]).max(0.0) } else { 0.0 };
                let total = p_l + p_r;
                if total > 0.0 {
                    let s = ((total - deficit) / total).max(0.0);
                    if p_l > 0.0 {
                        set(flux, i, beta[i] - p_l * s);
                    }
                    if p_r > 0.0 {
                        set(flux, i + 1, beta[i + 1] + p_r * s);
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}
