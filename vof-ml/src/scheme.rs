//! The face-flux rules of the split schemes.
//!
//! Every scheme returns, for one face and one sweep, the material fraction `f` of the volume
//! `|beta| h^d` that crosses the face during the step (`beta` the face Courant number):
//!
//! | scheme | `f` |
//! |---|---|
//! | [`Scheme::Upwind`] | upwind cell fraction |
//! | [`Scheme::DespresLagoutiere`] | closest to the downwind value within the stability interval |
//! | [`Scheme::Plic`] | exact fraction of the swept slab of the upwind cell's PLIC reconstruction |
//! | [`Scheme::Learned`] | symmetrised network output in the positivity interval, clipped to `[0, 1]` |
//!
//! The advection drivers then pass these fractions through the flux-corrected update of
//! [`crate::sweep`] (prelimiting by the upwind cell's content, then a Zalesak limiter around
//! the donor-cell flux), which keeps `0 <= alpha <= 1` exactly for every scheme and leaves
//! fractions unchanged where they already keep the bounds with room to spare.

use std::sync::Arc;

use crate::learned::LearnedFlux;
use crate::normals::NormalMethod;

/// Cells within `PURE_TOL` of 0 or 1 are treated as pure: PLIC does not reconstruct them
/// (donor-cell flux of their own value) and learned fluxes skip the network on stencils made
/// only of such cells. Rounding residues of size `1e-17` would otherwise trigger a
/// reconstruction or network evaluation in every cell they reach.
pub const PURE_TOL: f64 = 1e-12;

/// A face-flux rule.
#[derive(Debug, Clone)]
pub enum Scheme {
    /// First-order donor cell.
    Upwind,
    /// The anti-dissipative scheme of Després & Lagoutière (2001).
    DespresLagoutiere,
    /// Split geometric PLIC with the given normal estimator.
    Plic(NormalMethod),
    /// A learned flux (2D network in 2D, 3D network in 3D).
    Learned(Arc<LearnedFlux>),
}

impl Scheme {
    /// A short name for tables and file names.
    pub fn name(&self) -> String {
        match self {
            Scheme::Upwind => "upwind".into(),
            Scheme::DespresLagoutiere => "despres-lagoutiere".into(),
            Scheme::Plic(m) => format!("plic-{}", m.name()),
            Scheme::Learned(_) => "learned".into(),
        }
    }
}

/// Després–Lagoutière face value for flow from `up` towards `down`, with `upup` the cell
/// behind `up` and `beta` in `(0, 1]`.
///
/// ```text
/// f = upwind value                       if up is a local extremum,
/// f = clamp(down, [b_lo, b_hi])          otherwise,
/// ```
///
/// where `[b_lo, b_hi]` is the intersection of the interval between `up` and `down` with the
/// interval between `up` and `up + (1/beta - 1)(up - upup)`, which keeps the new upwind value
/// between `upup` and `up` (local maximum principle).
///
/// # References
/// B. Després, F. Lagoutière, *Contact discontinuity capturing schemes for linear advection
/// and compressible gas dynamics*, J. Sci. Comput. 16 (2001) 479-524.
pub fn despres_lagoutiere(upup: f64, up: f64, down: f64, beta: f64) -> f64 {
    if (down - up) * (up - upup) <= 0.0 {
        return up;
    }
    let e = up + (1.0 / beta - 1.0) * (up - upup);
    let lo = up.min(down).max(up.min(e));
    let hi = up.max(down).min(up.max(e));
    down.clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dl_is_downwind_on_a_monotone_front_and_upwind_at_extrema() {
        // Front 1 | 1 | 0: upwind is the plateau; the stability interval is [1, 1].
        assert!((despres_lagoutiere(1.0, 1.0, 0.0, 0.5) - 1.0).abs() < 1e-15);
        // Ramp 1 | 0.6 | 0 at beta = 0.5: e = 0.6 - 0.4 = 0.2, f = 0.2.
        assert!((despres_lagoutiere(1.0, 0.6, 0.0, 0.5) - 0.2).abs() < 1e-15);
        // At beta = 0.2 the stability interval reaches below 0: fully downwind.
        assert!(despres_lagoutiere(1.0, 0.6, 0.0, 0.2).abs() < 1e-15);
        // Local maximum: upwind value.
        assert!((despres_lagoutiere(0.0, 0.6, 0.0, 0.5) - 0.6).abs() < 1e-15);
    }
}
