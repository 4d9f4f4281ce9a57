//! The Transformer ODE in `R^d` with general query, key and value matrices, and multi-head
//! attention.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};

use crate::error::{AttentionError, Result, check_beta};
use crate::field::TokenField;
use crate::kernel::{Attend, Evaluation, Normalization, Workspace};
use crate::sphere::project_tangent;

/// One attention head: query and key matrices `Q, K` (`p x d`) and value matrix `V` (`d x d`).
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    q: Mat<f64>,
    k: Mat<f64>,
    v: Mat<f64>,
    q_is_k: bool,
    identity: bool,
}

impl Head {
    /// A head from its matrices.
    ///
    /// # Errors
    /// [`AttentionError::InvalidParameter`] naming `Q`, `K` or `V` if an entry is not finite.
    ///
    /// # Panics
    /// If `Q` and `K` do not have the same shape, or `V` is not `d x d` with `d` the number of
    /// columns of `Q` (a programmer error).
    #[track_caller]
    pub fn new(q: Mat<f64>, k: Mat<f64>, v: Mat<f64>) -> Result<Self> {
        assert_eq!(
            (q.nrows(), q.ncols()),
            (k.nrows(), k.ncols()),
            "Head::new: Q is {}x{} but K is {}x{}",
            q.nrows(),
            q.ncols(),
            k.nrows(),
            k.ncols()
        );
        let d = q.ncols();
        assert_eq!(
            (v.nrows(), v.ncols()),
            (d, d),
            "Head::new: V is {}x{} but must be {d}x{d} (Q and K have {d} columns)",
            v.nrows(),
            v.ncols()
        );
        for (name, m) in [("Q", &q), ("K", &k), ("V", &v)] {
            if !megavolt_core::linalg::all_finite(m.as_ref()) {
                return Err(AttentionError::invalid(
                    name,
                    "a matrix with non-finite entries",
                    "finite entries",
                ));
            }
        }
        let q_is_k = q == k;
        let identity = q_is_k && q == Mat::<f64>::identity(d, d) && v == q;
        Ok(Self { q, k, v, q_is_k, identity })
    }

    /// `Q = K = V = I_d`.
    pub fn identity(d: usize) -> Self {
        let i = Mat::<f64>::identity(d, d);
        Self { q: i.clone(), k: i.clone(), v: i, q_is_k: true, identity: true }
    }

    /// Token dimension `d`.
    pub fn dim(&self) -> usize {
        self.v.nrows()
    }

    /// Query matrix.
    pub fn q(&self) -> MatRef<'_, f64> {
        self.q.as_ref()
    }

    /// Key matrix.
    pub fn k(&self) -> MatRef<'_, f64> {
        self.k.as_ref()
    }

    /// Value matrix.
    pub fn v(&self) -> MatRef<'_, f64> {
        self.v.as_ref()
    }
}

/// The Transformer ODE in `R^d` (pure attention, no layer normalisation), with `H` heads:
///
/// ```text
/// dx_i/dt = sum_{h=1}^{H} sum_j softmax_j( beta <Q_h x_i, K_h x_j> ) V_h x_j
/// ```
///
/// With `V = I` the tokens grow like `e^t`; the clustering theorems of the NeurIPS 2023 paper
/// are stated in the rescaled tokens `z_i(t) = e^{-tV} x_i(t)` (see [`rescaled`]), which obey
/// `dz_i/dt = sum_j P_ij(t) V (z_j - z_i)` with `P_ij(t) = softmax_j(beta <Q e^{tV} z_i, K
/// e^{tV} z_j>)`.
///
/// With [`Transformer::on_sphere`], the velocity of each token is projected on the tangent
/// space of the unit sphere, `P_{x_i}^perp`, giving SA with general `Q, K, V` (tokens are
/// normalised by the integrators).
///
/// The softmax uses log-sum-exp (the logits grow like `e^{2t}` with `V = I`); one evaluation
/// costs `O(n^2 (p + d) + n d p)` per head.
///
/// | parameter | default | valid range |
/// |---|---|---|
/// | `heads` | — | at least one, all of the same `d` |
/// | `beta` | 1 | finite, `>= 0` (the temperature may also sit inside `Q, K`) |
/// | `evaluation` | [`Evaluation::default`] | dense or blocked scores |
///
/// # Errors
/// [`Transformer::new`] returns [`AttentionError::InvalidParameter`] for a bad `beta` or an
/// empty list of heads.
///
/// # Panics
/// [`Transformer::new`] panics if the heads have different dimensions; [`Head::new`] panics on
/// mismatched shapes of `Q`, `K`, `V`.
///
/// # Example
/// ```
/// use attention_flow::{Head, TokenField, Transformer};
/// use faer::Mat;
///
/// # fn main() -> attention_flow::Result<()> {
/// // V = -I: every token is pulled towards a weighted mean of the others.
/// let v = -Mat::<f64>::identity(2, 2);
/// let head = Head::new(Mat::identity(2, 2), Mat::identity(2, 2), v)?;
/// let model = Transformer::new(vec![head], 1.0)?;
/// let x = faer::mat![[1.0, -1.0], [0.0, 0.0]];
/// let dx = model.velocity(x.as_ref());
/// assert!(dx.norm_max() < 1.0);
/// # Ok(()) }
/// ```
///
/// # References
/// * B. Geshkovski, C. Letrouit, Y. Polyanskiy, P. Rigollet, "The emergence of clusters in
///   self-attention dynamics", NeurIPS 2023, equation (1.1) and the rescaling of §2.
/// * GLPR, "A mathematical perspective on Transformers", Bull. AMS 62 (2025), §2 and §9
///   (multi-head attention as a sum of heads).
#[derive(Debug, Clone, PartialEq)]
pub struct Transformer {
    heads: Vec<Head>,
    beta: f64,
    sphere: bool,
    evaluation: Evaluation,
}

impl Transformer {
    /// A model from its heads.
    ///
    /// # Errors
    /// [`AttentionError::InvalidParameter`] naming `beta` or `heads`.
    ///
    /// # Panics
    /// If the heads do not all have the same token dimension.
    #[track_caller]
    pub fn new(heads: Vec<Head>, beta: f64) -> Result<Self> {
        check_beta(beta)?;
        if heads.is_empty() {
            return Err(AttentionError::invalid("heads", 0, "at least one head"));
        }
        let d = heads[0].dim();
        for (h, head) in heads.iter().enumerate() {
            assert_eq!(
                head.dim(),
                d,
                "Transformer::new: head {h} has dimension {} but head 0 has {d}",
                head.dim()
            );
        }
        Ok(Self { heads, beta, sphere: false, evaluation: Evaluation::default() })
    }

    /// A single-head model.
    ///
    /// # Errors
    /// As [`Head::new`] and [`Transformer::new`].
    ///
    /// # Panics
    /// As [`Head::new`].
    #[track_caller]
    pub fn single(q: Mat<f64>, k: Mat<f64>, v: Mat<f64>, beta: f64) -> Result<Self> {
        Self::new(vec![Head::new(q, k, v)?], beta)
    }

    /// Projects the velocity on the tangent space of the unit sphere (SA with general
    /// `Q, K, V`).
    pub fn on_sphere(mut self, on_sphere: bool) -> Self {
        self.sphere = on_sphere;
        self
    }

    /// Selects dense or blocked evaluation of the scores.
    pub fn with_evaluation(mut self, evaluation: Evaluation) -> Self {
        self.evaluation = evaluation;
        self
    }

    /// The heads.
    pub fn heads(&self) -> &[Head] {
        &self.heads
    }

    /// Inverse temperature.
    pub fn beta(&self) -> f64 {
        self.beta
    }
}

fn product(dst: &mut Mat<f64>, a: MatRef<'_, f64>, x: MatRef<'_, f64>, par: Par) {
    if dst.nrows() != a.nrows() || dst.ncols() != x.ncols() {
        *dst = Mat::zeros(a.nrows(), x.ncols());
    }
    matmul(dst.as_mut(), Accum::Replace, a, x, 1.0, par);
}

impl TokenField for Transformer {
    fn dim(&self) -> Option<usize> {
        Some(self.heads[0].dim())
    }

    fn on_sphere(&self) -> bool {
        self.sphere
    }

    #[track_caller]
    fn velocity_into(&self, x: MatRef<'_, f64>, mut out: MatMut<'_, f64>, ws: &mut Workspace) {
        self.attention_sum(x, out.as_mut(), ws);
        if self.sphere {
            project_tangent(x, out);
        }
    }

    #[track_caller]
    fn unprojected_velocity_into(
        &self,
        x: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
        ws: &mut Workspace,
    ) {
        self.attention_sum(x, out, ws);
    }
}

impl Transformer {
    /// `sum_h sum_j softmax_j(beta <Q_h x_i, K_h x_j>) V_h x_j`, without projection.
    #[track_caller]
    fn attention_sum(&self, x: MatRef<'_, f64>, mut out: MatMut<'_, f64>, ws: &mut Workspace) {
        let d = self.heads[0].dim();
        assert_eq!(
            x.nrows(),
            d,
            "Transformer: tokens have {} rows, the model has d = {d}",
            x.nrows()
        );
        assert_eq!(
            (out.nrows(), out.ncols()),
            (x.nrows(), x.ncols()),
            "Transformer: output shape differs"
        );
        let par = self.evaluation.parallelism.par();
        for (h, head) in self.heads.iter().enumerate() {
            let accum = if h == 0 { Accum::Replace } else { Accum::Add };
            let Workspace { kernel, qx, kx, vx } = ws;
            if head.identity {
                Attend {
                    queries: x,
                    keys: x,
                    values: x,
                    beta: self.beta,
                    normalization: Normalization::Softmax,
                    drop_self: false,
                    symmetric: true,
                    accum,
                    alpha: 1.0,
                }
                .run(&self.evaluation, kernel, out.as_mut());
                continue;
            }
            product(qx, head.q.as_ref(), x, par);
            if !head.q_is_k {
                product(kx, head.k.as_ref(), x, par);
            }
            product(vx, head.v.as_ref(), x, par);
            let keys = if head.q_is_k { qx.as_ref() } else { kx.as_ref() };
            Attend {
                queries: qx.as_ref(),
                keys,
                values: vx.as_ref(),
                beta: self.beta,
                normalization: Normalization::Softmax,
                drop_self: false,
                symmetric: head.q_is_k,
                accum,
                alpha: 1.0,
            }
            .run(&self.evaluation, kernel, out.as_mut());
        }
    }
}

/// The matrix exponential `e^A` by scaling and squaring with a degree-18 Taylor polynomial
/// (the scaled matrix has max-norm at most 1/2, so the truncation error is below `1e-22`
/// relative).
///
/// # Panics
/// If `a` is not square.
#[track_caller]
pub fn expm(a: MatRef<'_, f64>) -> Mat<f64> {
    assert_eq!(a.nrows(), a.ncols(), "expm: matrix must be square");
    let d = a.nrows();
    let norm: f64 =
        (0..d).map(|i| (0..d).map(|j| a[(i, j)].abs()).sum::<f64>()).fold(0.0, f64::max);
    let s = if norm > 0.5 { (norm / 0.5).log2().ceil() as i32 } else { 0 };
    let scale = 0.5f64.powi(s);
    let b = Mat::from_fn(d, d, |i, j| a[(i, j)] * scale);
    // Horner: I + B (I + B/2 (I + B/3 (...)))
    let mut p = Mat::<f64>::identity(d, d);
    for k in (1..=18).rev() {
        let mut next = Mat::<f64>::identity(d, d);
        matmul(next.as_mut(), Accum::Add, b.as_ref(), p.as_ref(), 1.0 / k as f64, Par::Seq);
        p = next;
    }
    for _ in 0..s {
        let mut sq = Mat::zeros(d, d);
        matmul(sq.as_mut(), Accum::Replace, p.as_ref(), p.as_ref(), 1.0, Par::Seq);
        p = sq;
    }
    p
}

/// The rescaled tokens `z_i = e^{-tV} x_i` of the NeurIPS 2023 paper.
///
/// # Panics
/// If `v` is not `d x d` with `d` the number of rows of `x`.
#[track_caller]
pub fn rescaled(x: MatRef<'_, f64>, v: MatRef<'_, f64>, t: f64) -> Mat<f64> {
    assert_eq!((v.nrows(), v.ncols()), (x.nrows(), x.nrows()), "rescaled: V must be d x d");
    let e = expm(Mat::from_fn(v.nrows(), v.ncols(), |i, j| -t * v[(i, j)]).as_ref());
    let mut z = Mat::zeros(x.nrows(), x.ncols());
    matmul(z.as_mut(), Accum::Replace, e.as_ref(), x, 1.0, Par::Seq);
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SphereAttention, tokens};

    #[test]
    fn expm_of_rotation_and_diagonal() {
        let a = faer::mat![[0.0, -2.0], [2.0, 0.0]];
        let e = expm(a.as_ref());
        assert!((e[(0, 0)] - 2f64.cos()).abs() < 1e-14 && (e[(1, 0)] - 2f64.sin()).abs() < 1e-14);
        let dgn = faer::mat![[3.0, 0.0], [0.0, -1.0]];
        let e = expm(dgn.as_ref());
        assert!((e[(0, 0)] - 3f64.exp()).abs() < 1e-13 * 3f64.exp());
        assert!((e[(1, 1)] - (-1f64).exp()).abs() < 1e-15);
    }

    #[test]
    fn identity_head_on_sphere_equals_sa() {
        let x = tokens::uniform(megavolt_core::Seed::new(3), "t", 4, 15);
        let sa = SphereAttention::sa(1.5).unwrap().velocity(x.as_ref());
        let general =
            Head::new(Mat::identity(4, 4), Mat::identity(4, 4), Mat::identity(4, 4)).unwrap();
        // Force the general path by scaling Q and K: beta <2x, x/2> = beta <x, x>.
        let q = Mat::from_fn(4, 4, |i, j| if i == j { 2.0 } else { 0.0 });
        let k = Mat::from_fn(4, 4, |i, j| if i == j { 0.5 } else { 0.0 });
        let scaled = Head::new(q, k, Mat::identity(4, 4)).unwrap();
        for head in [general, scaled] {
            let t = Transformer::new(vec![head], 1.5).unwrap().on_sphere(true);
            let v = t.velocity(x.as_ref());
            assert!(megavolt_core::linalg::max_abs_diff(v.as_ref(), sa.as_ref()) < 1e-14);
        }
    }

    #[test]
    fn heads_are_summed() {
        let mut rng = megavolt_core::Seed::new(8).stream("heads");
        let x = megavolt_core::rng::gaussian_mat(&mut rng, 3, 9, 1.0);
        let mk = |rng: &mut megavolt_core::rng::WorkspaceRng| {
            Head::new(
                megavolt_core::rng::gaussian_mat(rng, 2, 3, 1.0),
                megavolt_core::rng::gaussian_mat(rng, 2, 3, 1.0),
                megavolt_core::rng::gaussian_mat(rng, 3, 3, 1.0),
            )
            .unwrap()
        };
        let (h1, h2) = (mk(&mut rng), mk(&mut rng));
        let v1 = Transformer::new(vec![h1.clone()], 0.8).unwrap().velocity(x.as_ref());
        let v2 = Transformer::new(vec![h2.clone()], 0.8).unwrap().velocity(x.as_ref());
        let both = Transformer::new(vec![h1, h2], 0.8).unwrap().velocity(x.as_ref());
        let sum = Mat::from_fn(3, 9, |i, j| v1[(i, j)] + v2[(i, j)]);
        assert!(megavolt_core::linalg::max_abs_diff(both.as_ref(), sum.as_ref()) < 1e-14);
    }
}
