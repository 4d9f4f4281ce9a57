//! The common interface of the token dynamics: a velocity field on `d x n` token matrices.

use faer::{Mat, MatMut, MatRef};

use crate::kernel::Workspace;

/// A velocity field `dX/dt = F(X)` on tokens stored one per column of a `d x n` matrix.
///
/// Implemented by [`SphereAttention`](crate::SphereAttention) (SA and USA on the unit
/// sphere) and [`Transformer`](crate::Transformer) (the model in `R^d`). The integrators of [`simulate`](crate::simulate) accept any implementation.
pub trait TokenField {
    /// The token dimension `d` the field expects, if it fixes one.
    fn dim(&self) -> Option<usize>;

    /// `true` when the tokens live on the unit sphere: initial tokens are then normalised, and
    /// integrators renormalise them after every step.
    fn on_sphere(&self) -> bool;

    /// Writes `F(X)` into `out` (same shape as `x`), using `ws` as scratch memory.
    ///
    /// # Panics
    /// If `out` does not have the shape of `x`, or `x` has the wrong number of rows.
    fn velocity_into(&self, x: MatRef<'_, f64>, out: MatMut<'_, f64>, ws: &mut Workspace);

    /// The velocity before projection on the sphere: for fields on the sphere, the vector
    /// that the "step, then renormalise" layer adds to each token (the attention average,
    /// self term included); for other fields, the velocity itself.
    ///
    /// # Panics
    /// As [`TokenField::velocity_into`].
    fn unprojected_velocity_into(
        &self,
        x: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
        ws: &mut Workspace,
    ) {
        self.velocity_into(x, out, ws);
    }

    /// `F(X)`, allocating.
    ///
    /// # Panics
    /// If `x` has the wrong number of rows.
    #[track_caller]
    fn velocity(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut out = Mat::zeros(x.nrows(), x.ncols());
        self.velocity_into(x, out.as_mut(), &mut Workspace::new());
        out
    }
}
