//! Bounds from absolute values of the weights: the product `| |W_m| ... |W_1| |` and the
//! interval enclosure of the Jacobian.

use faer::Mat;

use crate::error::Result;
use crate::network::{ReluNet, on_balanced};
use crate::norms::{Norm, abs_mat, mul, operator_norm};

/// `| |W_m| |W_{m-1}| ... |W_1| |_{p -> p}` with `|W|` the entrywise absolute value.
///
/// Every Jacobian `J = W_m D_{m-1} ... D_1 W_1` with `0 <= D_l <= I` satisfies
/// `|J| <= |W_m| ... |W_1|` entrywise, and the l1, l2 and l-inf operator norms are monotone on
/// non-negative matrices, so this is a certified bound in all three norms. In l1 and l-inf it
/// never exceeds [`norm_product`](super::norm_product) (`| |W| |_p = |W|_p` there); for
/// entrywise non-negative weights it equals `|W_m ... W_1|`, which is then the exact constant.
///
/// Cost: `m - 1` products of non-negative matrices and one operator norm.
///
/// ```
/// use lipschitz::{Norm, ReluNet, bounds::abs_product};
/// let net = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// assert!((abs_product(&net, Norm::LInf)? - 2.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`](crate::LipError::Decomposition) if an SVD fails (l2).
///
/// # References
/// M. Pintore and B. Després, *Computable Lipschitz bounds for deep neural networks*,
/// arXiv:2410.21053, 2024 (bounds in the l1 and l-inf norms built on absolute values).
pub fn abs_product(net: &ReluNet, norm: Norm) -> Result<f64> {
    on_balanced(net, |net| {
        let w = net.weights();
        let prod = w[1..].iter().fold(abs_mat(w[0].as_ref()), |acc, wl| {
            mul(abs_mat(wl.as_ref()).as_ref(), acc.as_ref())
        });
        operator_norm(prod.as_ref(), norm)
    })
}

/// Interval enclosure of the Jacobian over all patterns `D_l in [0, 1]^{n_l}`, propagated from
/// the output: with `G_m = W_m` exact and `G_l = G_{l+1} D_l W_l`, each entry of `G_l` lies in
/// `[lo, hi]` where
///
/// ```text
/// lo_ij = sum_k min(0, lo_ik w_kj, hi_ik w_kj),   hi_ij = sum_k max(0, lo_ik w_kj, hi_ik w_kj),
/// ```
///
/// and the bound is `|B|_{p -> p}` with `B = max(|lo|, |hi|)` entrywise. Since `|J| <= B` and
/// the intervals are contained in those of [`abs_product`], this certified bound is never
/// larger than it; unlike it, it keeps the sign cancellations of the last layer, so it is exact
/// for `|x| = relu(x) + relu(-x)`.
///
/// Cost: `sum_l n_m n_l n_{l-1}` operations.
///
/// ```
/// use lipschitz::{Norm, ReluNet, bounds::jacobian_interval};
/// let abs = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// assert!((jacobian_interval(&abs, Norm::LInf)? - 1.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`](crate::LipError::Decomposition) if an SVD fails (l2).
///
/// # References
/// T.-W. Weng et al., *Towards fast computation of certified robustness for ReLU networks*,
/// ICML 2018 (interval bounds on Jacobians, there with local activation bounds).
pub fn jacobian_interval(net: &ReluNet, norm: Norm) -> Result<f64> {
    on_balanced(net, |net| {
        let w = net.weights();
        let m = w.len();
        let mut lo = w[m - 1].clone();
        let mut hi = w[m - 1].clone();
        for l in (0..m - 1).rev() {
            let wl = &w[l];
            let (rows, inner, cols) = (lo.nrows(), wl.nrows(), wl.ncols());
            let mut nlo = Mat::zeros(rows, cols);
            let mut nhi = Mat::zeros(rows, cols);
            for j in 0..cols {
                for k in 0..inner {
                    let wkj = wl[(k, j)];
                    for i in 0..rows {
                        let (a, b) = (lo[(i, k)] * wkj, hi[(i, k)] * wkj);
                        nlo[(i, j)] += a.min(b).min(0.0);
                        nhi[(i, j)] += a.max(b).max(0.0);
                    }
                }
            }
            lo = nlo;
            hi = nhi;
        }
        let b = Mat::from_fn(lo.nrows(), lo.ncols(), |i, j| lo[(i, j)].abs().max(hi[(i, j)].abs()));
        operator_norm(b.as_ref(), norm)
    })
}
