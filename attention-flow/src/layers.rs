//! Discrete layers: the residual (explicit Euler) steps that a Transformer actually applies.
//!
//! On the sphere two schemes are in use:
//!
//! ```text
//! projected Euler        x_i <- normalize( x_i + h P_{x_i}^perp A_i(X) )
//! step, then renormalise x_i <- normalize( x_i + h A_i(X) )
//! ```
//!
//! with `A_i(X) = sum_j w_ij x_j` the attention average. The first is a residual layer
//! followed by layer normalisation, a first-order discretisation of SA. The second, used in
//! the authors' sphere scripts, equals `normalize(x_i + h/(1 + h a_i) P^perp A_i)` with
//! `a_i = <x_i, A_i>`: near a cluster `a_i -> 1`, so its effective time runs slow by the factor
//! `1/(1 + h)` (about 9 % at `h = 0.1`). Both are offered as named schemes. For fields that are
//! not on the sphere both reduce to the plain residual step `x <- x + h F(X)`.

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::error::{AttentionError, Result, positive};
use crate::field::TokenField;
use crate::kernel::Workspace;
use crate::tokens;

/// A discrete layer scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LayerScheme {
    /// `x <- normalize(x + h P^perp A(x))`: residual layer on the tangent velocity, then layer
    /// normalisation.
    ProjectedEuler,
    /// `x <- normalize(x + h A(x))`: residual layer on the unprojected attention average,
    /// then layer normalisation.
    StepThenRenormalize,
}

/// Token matrices after selected layers.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerTrajectory {
    /// Layer indices of the recorded states (`0` is the input).
    pub layers: Vec<usize>,
    /// Recorded token matrices.
    pub x: Vec<Mat<f64>>,
}

/// Applies `n_layers` layers of step `step` to `x0`, recording the input, every
/// `record_every`-th layer and the output.
///
/// # Errors
/// * [`AttentionError::InvalidParameter`] for a step that is not finite and positive or
///   `record_every == 0`;
/// * [`AttentionError::NonFiniteToken`] / [`AttentionError::ZeroToken`] naming `x0`;
/// * [`AttentionError::NonFinite`] with the layer index when the state stops being finite.
///
/// # Panics
/// If `x0` has the wrong number of rows for the field.
///
/// # Example
/// ```
/// use attention_flow::layers::{LayerScheme, run_layers};
/// use attention_flow::{SphereAttention, tokens};
///
/// # fn main() -> attention_flow::Result<()> {
/// let x0 = tokens::uniform(megavolt_core::Seed::new(1), "tokens", 3, 8);
/// let model = SphereAttention::sa(1.0)?;
/// let traj = run_layers(&model, x0.as_ref(), 0.1, 50, LayerScheme::ProjectedEuler, 10)?;
/// assert_eq!(traj.layers, vec![0, 10, 20, 30, 40, 50]);
/// # Ok(()) }
/// ```
#[track_caller]
pub fn run_layers<F: TokenField>(
    field: &F,
    x0: MatRef<'_, f64>,
    step: f64,
    n_layers: usize,
    scheme: LayerScheme,
    record_every: usize,
) -> Result<LayerTrajectory> {
    positive("step", step)?;
    if record_every == 0 {
        return Err(AttentionError::invalid("record_every", 0, "at least 1"));
    }
    if let Some(d) = field.dim() {
        assert_eq!(
            x0.nrows(),
            d,
            "run_layers: tokens have {} rows, the field expects {d}",
            x0.nrows()
        );
    }
    let sphere = field.on_sphere();
    let mut x = if sphere {
        tokens::normalized("x0", x0)?
    } else {
        tokens::check_finite("x0", x0)?;
        x0.to_owned()
    };
    let mut v = Mat::zeros(x.nrows(), x.ncols());
    let mut ws = Workspace::new();
    let mut out = LayerTrajectory { layers: vec![0], x: vec![x.clone()] };
    for layer in 1..=n_layers {
        match scheme {
            LayerScheme::ProjectedEuler => field.velocity_into(x.as_ref(), v.as_mut(), &mut ws),
            LayerScheme::StepThenRenormalize => {
                field.unprojected_velocity_into(x.as_ref(), v.as_mut(), &mut ws)
            }
        }
        for j in 0..x.ncols() {
            let vj = v.col_as_slice(j);
            x.col_as_slice_mut(j).iter_mut().zip(vj).for_each(|(a, b)| *a += step * b);
        }
        if sphere {
            tokens::renormalize_columns(&mut x);
        }
        if !megavolt_core::linalg::all_finite(x.as_ref()) {
            return Err(AttentionError::NonFinite { step: layer, time: layer as f64 * step });
        }
        if layer % record_every == 0 || layer == n_layers {
            out.layers.push(layer);
            out.x.push(x.clone());
        }
    }
    Ok(out)
}
