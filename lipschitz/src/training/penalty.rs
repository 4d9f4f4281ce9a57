//! A differentiable (almost everywhere) upper bound to put in the loss.

use faer::Mat;

use crate::error::{LipError, Result};
use crate::norms::Norm;

/// The norm product `K = prod_l |W_l|_p` and its gradient `dK/dW_l = (K / |W_l|_p) d|W_l|_p/dW_l`,
/// with `d|W|_2/dW = u_1 v_1^T` (top singular pair), `d|W|_inf/dW = sign(W)` on the arg-max row
/// and `d|W|_1/dW = sign(W)` on the arg-max column (elements of the subdifferential at ties).
///
/// Adding `lambda K` to a loss is a design reading of "incorporating the Lipschitz constant into
/// the learning phase" (Després 2022; Pintore & Després 2024): cheap, certified, and in l-inf
/// sharper than in l2 for the same cost.
///
/// ```
/// use lipschitz::{Norm, training::product_bound_gradient};
/// let w = vec![faer::mat![[2.0, 0.0], [0.0, 1.0]], faer::mat![[3.0, 0.0]]];
/// let (k, g) = product_bound_gradient(&w, Norm::L2)?;
/// assert!((k - 6.0).abs() < 1e-12);
/// assert!((g[0][(0, 0)] - 3.0).abs() < 1e-12); // dK/dW1 = |W2| u1 v1^T
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`] if an SVD fails.
///
/// # References
/// Y. Yoshida and T. Miyato, *Spectral norm regularization for improving the generalizability
/// of deep learning*, arXiv:1705.10941, 2017.
pub fn product_bound_gradient(weights: &[Mat<f64>], norm: Norm) -> Result<(f64, Vec<Mat<f64>>)> {
    let mut norms = Vec::with_capacity(weights.len());
    let mut grads = Vec::with_capacity(weights.len());
    for w in weights {
        let (n, g) = norm_and_gradient(w, norm)?;
        norms.push(n);
        grads.push(g);
    }
    let k: f64 = norms.iter().product();
    for (l, g) in grads.iter_mut().enumerate() {
        // prod_{k != l} |W_k|, without dividing by a possibly zero norm.
        let others: f64 =
            norms.iter().enumerate().filter(|(k, _)| *k != l).map(|(_, n)| n).product();
        crate::norms::scale_in_place(g, others);
    }
    Ok((k, grads))
}

fn norm_and_gradient(w: &Mat<f64>, norm: Norm) -> Result<(f64, Mat<f64>)> {
    let (r, c) = (w.nrows(), w.ncols());
    let sign = |x: f64| {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }
    };
    Ok(match norm {
        Norm::L2 => {
            let svd = w.thin_svd().map_err(|_| LipError::Decomposition { rows: r, cols: c })?;
            let s = svd.S().column_vector()[0];
            let (u, v) = (svd.U(), svd.V());
            (s, Mat::from_fn(r, c, |i, j| u[(i, 0)] * v[(j, 0)]))
        }
        Norm::LInf => {
            let sums: Vec<f64> = (0..r).map(|i| (0..c).map(|j| w[(i, j)].abs()).sum()).collect();
            let best = (0..r).fold(0, |b, i| if sums[i] > sums[b] { i } else { b });
            (sums[best], Mat::from_fn(r, c, |i, j| if i == best { sign(w[(i, j)]) } else { 0.0 }))
        }
        Norm::L1 => {
            let sums: Vec<f64> = (0..c).map(|j| (0..r).map(|i| w[(i, j)].abs()).sum()).collect();
            let best = (0..c).fold(0, |b, j| if sums[j] > sums[b] { j } else { b });
            (sums[best], Mat::from_fn(r, c, |i, j| if j == best { sign(w[(i, j)]) } else { 0.0 }))
        }
    })
}
