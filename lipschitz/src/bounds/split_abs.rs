//! The Combettes–Pesquet splitting with entrywise absolute values, summed before the norm.

use faer::Mat;

use crate::error::Result;
use crate::network::{ReluNet, on_balanced};
use crate::norms::{Norm, abs_mat, mul, operator_norm};

/// `| G_m |_{p -> p} / 2^(m-1)` with the non-negative matrices
///
/// ```text
/// G_0 = I,   G_j = sum_{i = 0}^{j-1} |W_j W_{j-1} ... W_{i+1}| G_i   (j = 1, ..., m),
/// ```
///
/// where `|A|` is the entrywise absolute value.
///
/// On an activation region `D_l = (I + E_l) / 2` with `E_l` diagonal and `|E_l| <= I`
/// entrywise, so the Jacobian `J = W_m D_{m-1} ... D_1 W_1` is `2^-(m-1)` times a sum of
/// `2^(m-1)` products in which each `E_l` either cuts the chain `W_m ... W_1` into blocks or
/// is absent. Bounding each product entrywise by the product of the blocks' absolute values
/// gives `|J| <= G_m / 2^(m-1)` entrywise (the recursion sums over the position of the last
/// cut), and the l1, l2 and l-inf operator norms are monotone on non-negative matrices: a
/// certified bound in all three norms.
///
/// Where [`combettes_pesquet_norm`](super::combettes_pesquet_norm) takes the norm of every
/// block and then sums, this sums the blocks entrywise and takes one norm, so sign
/// cancellations inside a block survive:
///
/// * l1 and l-inf: `split_abs <= combettes_pesquet_norm` (the norm of a sum of non-negative
///   products is at most the sum of products of norms, and `| |A| |_p = |A|_p` there);
/// * every norm: `split_abs <= abs_product` (each term is at most `|W_m| ... |W_1|`
///   entrywise, and there are `2^(m-1)` terms);
/// * entrywise non-negative weights: every term equals `W_m ... W_1`, so the bound is
///   `|W_m ... W_1|_p`, the exact constant;
/// * `|x| = relu(x) + relu(-x)`: `G_2 = |W_2 W_1| + |W_2| |W_1| = 0 + 2`, the bound is the
///   exact constant 1.
///
/// Cost: `m (m + 1) / 2` products of weight blocks and `m (m - 1) / 2` products with the
/// `n_l x n_0` matrices `G_l`.
///
/// ```
/// use lipschitz::{Norm, ReluNet, bounds::split_abs};
/// let abs = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// assert!((split_abs(&abs, Norm::LInf)? - 1.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`](crate::LipError::Decomposition) if an SVD fails (l2).
///
/// # References
/// P. L. Combettes and J.-C. Pesquet, SIAM J. Math. Data Sci. 2 (2020), Theorem 3.2 (the
/// splitting `relu = (Id + |.|) / 2`); M. Pintore and B. Després, *Computable Lipschitz bounds
/// for deep neural networks*, arXiv:2410.21053, 2024 (bounds in l1 and l-inf from absolute
/// values of the weights).
pub fn split_abs(net: &ReluNet, norm: Norm) -> Result<f64> {
    on_balanced(net, |net| {
        let w = net.weights();
        let m = w.len();
        let mut g: Vec<Mat<f64>> = Vec::with_capacity(m + 1);
        g.push(Mat::identity(net.in_dim(), net.in_dim()));
        for j in 1..=m {
            // Blocks W_j ... W_{i+1} for i = j-1 down to 0, extended one factor at a time.
            let mut block = w[j - 1].clone();
            let mut acc = Mat::<f64>::zeros(w[j - 1].nrows(), net.in_dim());
            for i in (0..j).rev() {
                if i < j - 1 {
                    block = mul(block.as_ref(), w[i].as_ref());
                }
                acc += mul(abs_mat(block.as_ref()).as_ref(), g[i].as_ref());
            }
            g.push(acc);
        }
        Ok(operator_norm(g[m].as_ref(), norm)? / 2f64.powi(m as i32 - 1))
    })
}
