//! Self-attention on the unit sphere: the SA and USA models with `Q = K = V = I`.

use faer::{Accum, MatMut, MatRef};

use crate::error::{Result, check_beta};
use crate::field::TokenField;
use crate::kernel::{Attend, Evaluation, Normalization, Workspace};

/// The self-attention dynamics of tokens on the unit sphere `S^{d-1}` (isotropic case
/// `Q = K = V = I`), with inverse temperature `beta`:
///
/// ```text
/// SA :  dx_i/dt = P_{x_i}^perp ( sum_j e^{beta <x_i, x_j>} x_j / Z_i ),   Z_i = sum_k e^{beta <x_i, x_k>}
/// USA:  dx_i/dt = P_{x_i}^perp ( (1/n) sum_j e^{beta <x_i, x_j>} x_j )
/// P_x^perp y = y - <x, y> x
/// ```
///
/// Tokens are the columns of a `d x n` matrix. One evaluation costs `1.5 n^2 d` multiply-adds
/// and `n (n + 1) / 2` exponentials: the Gram matrix is symmetric and `<x_i, x_j> <= 1` on the
/// sphere, so one common shift serves every row and only the lower triangle of the weights is
/// formed, by cache-sized panels that feed two faer products each (see [`crate::kernel`]); the
/// memory is `O(n (d + b))` for panels of `b <= 256` columns. The result is scaled by `1 / Z_i`
/// after the product. The self term `j = i` is left out of the sum (it stays in `Z_i`): its
/// projection `P_{x_i}^perp x_i` vanishes on the sphere, and dropping it removes the rounding
/// error of size `e^beta / n` that it would otherwise leave in the USA velocity. Off the sphere
/// (inside a Runge–Kutta stage) the field is still tangent to every sphere `|x_i| = 1`, so the
/// unit sphere is invariant.
///
/// | parameter | default | valid range |
/// |---|---|---|
/// | `beta` | — | finite, `>= 0` (SA stable up to at least `1e3`; USA needs `e^beta / n` finite, `beta <~ 700`) |
/// | `normalization` | [`Normalization::Softmax`] (SA) | SA or USA |
/// | `evaluation` | [`Evaluation::default`] | dense or blocked scores |
///
/// # Errors
/// The constructors return [`AttentionError::InvalidParameter`](crate::AttentionError) for a
/// non-finite or negative `beta`.
///
/// # Example
/// ```
/// use attention_flow::{SphereAttention, TokenField, tokens};
///
/// # fn main() -> attention_flow::Result<()> {
/// // An antipodal pair is an equilibrium for every beta.
/// let model = SphereAttention::sa(4.0)?;
/// let x = tokens::regular_polygon(2, 0.3);
/// let v = model.velocity(x.as_ref());
/// assert!(v.norm_max() < 1e-15);
/// # Ok(()) }
/// ```
///
/// # References
/// * B. Geshkovski, C. Letrouit, Y. Polyanskiy, P. Rigollet, "A mathematical perspective on
///   Transformers", Bull. AMS 62 (2025), equations (SA) and (USA) of §2 and §3.
#[derive(Debug, Clone, PartialEq)]
pub struct SphereAttention {
    beta: f64,
    normalization: Normalization,
    evaluation: Evaluation,
}

impl SphereAttention {
    /// The model with the given normalisation.
    ///
    /// # Errors
    /// [`AttentionError::InvalidParameter`](crate::AttentionError) naming `beta` if it is not
    /// finite and non-negative.
    pub fn new(beta: f64, normalization: Normalization) -> Result<Self> {
        check_beta(beta)?;
        Ok(Self { beta, normalization, evaluation: Evaluation::default() })
    }

    /// The SA model (softmax normalisation by `Z_i`).
    ///
    /// # Errors
    /// As [`SphereAttention::new`].
    pub fn sa(beta: f64) -> Result<Self> {
        Self::new(beta, Normalization::Softmax)
    }

    /// The USA model (normalisation by `n`).
    ///
    /// # Errors
    /// As [`SphereAttention::new`].
    pub fn usa(beta: f64) -> Result<Self> {
        Self::new(beta, Normalization::Uniform)
    }

    /// Selects dense or blocked evaluation of the scores.
    pub fn with_evaluation(mut self, evaluation: Evaluation) -> Self {
        self.evaluation = evaluation;
        self
    }

    /// Inverse temperature `beta`.
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// SA or USA.
    pub fn normalization(&self) -> Normalization {
        self.normalization
    }

    /// The evaluation settings.
    pub fn evaluation(&self) -> &Evaluation {
        &self.evaluation
    }

    /// The unprojected attention average `A_i = sum_j w_ij x_j` (self term included), the
    /// vector that the "step, then renormalise" layer adds to each token.
    ///
    /// # Panics
    /// If `out` does not have the shape of `x`.
    #[track_caller]
    pub fn attention_average_into(
        &self,
        x: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
        ws: &mut Workspace,
    ) {
        self.attend(x, out, ws, false);
    }

    #[track_caller]
    fn attend(
        &self,
        x: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
        ws: &mut Workspace,
        drop_self: bool,
    ) {
        assert_eq!(
            (out.nrows(), out.ncols()),
            (x.nrows(), x.ncols()),
            "SphereAttention: output shape differs from the token matrix"
        );
        Attend {
            queries: x,
            keys: x,
            values: x,
            beta: self.beta,
            normalization: self.normalization,
            drop_self,
            symmetric: true,
            accum: Accum::Replace,
            alpha: 1.0,
        }
        .run(&self.evaluation, &mut ws.kernel, out);
    }
}

/// `out_i <- out_i - <x_i, out_i> x_i` for every column.
pub(crate) fn project_tangent(x: MatRef<'_, f64>, mut out: MatMut<'_, f64>) {
    for j in 0..x.ncols() {
        let xc = x.col(j);
        let mut oc = out.as_mut().col_mut(j);
        match (xc.try_as_col_major(), oc.as_mut().try_as_col_major_mut()) {
            (Some(xs), Some(os)) => {
                let (xs, os) = (xs.as_slice(), os.as_slice_mut());
                let c: f64 = xs.iter().zip(os.iter()).map(|(a, b)| a * b).sum();
                os.iter_mut().zip(xs).for_each(|(o, a)| *o -= c * a);
            }
            _ => {
                let mut c = 0.0;
                for i in 0..x.nrows() {
                    c += xc[i] * oc[i];
                }
                for i in 0..x.nrows() {
                    oc[i] -= c * xc[i];
                }
            }
        }
    }
}

impl TokenField for SphereAttention {
    fn dim(&self) -> Option<usize> {
        None
    }

    fn on_sphere(&self) -> bool {
        true
    }

    #[track_caller]
    fn velocity_into(&self, x: MatRef<'_, f64>, mut out: MatMut<'_, f64>, ws: &mut Workspace) {
        self.attend(x, out.as_mut(), ws, true);
        project_tangent(x, out);
    }

    fn unprojected_velocity_into(
        &self,
        x: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
        ws: &mut Workspace,
    ) {
        self.attend(x, out, ws, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens;

    #[test]
    fn velocity_is_tangent() {
        let x = tokens::uniform(megavolt_core::Seed::new(1), "t", 4, 20);
        for model in [SphereAttention::sa(2.0).unwrap(), SphereAttention::usa(2.0).unwrap()] {
            let v = model.velocity(x.as_ref());
            for j in 0..20 {
                let dot: f64 = (0..4).map(|i| v[(i, j)] * x[(i, j)]).sum();
                assert!(dot.abs() < 1e-15, "{dot}");
            }
        }
    }

    #[test]
    fn rejects_bad_beta() {
        assert!(SphereAttention::sa(f64::NAN).is_err());
        assert!(SphereAttention::usa(-1.0).is_err());
        assert!(SphereAttention::sa(f64::INFINITY).is_err());
    }
}
