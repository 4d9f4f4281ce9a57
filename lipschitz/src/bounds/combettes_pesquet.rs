//! The Combettes–Pesquet bound (K1 of Pintore & Després), in l2 and in the l1 and l-inf
//! norms.

use crate::error::Result;
use crate::network::{ReluNet, on_balanced};
use crate::norms::{Norm, mul, operator_norm};

/// The l2 bound of Combettes & Pesquet for networks with 1/2-averaged activations (ReLU is
/// firmly non-expansive):
///
/// ```text
/// L <= theta_m / 2^(m-1),   theta_m = sum over the 2^(m-1) ways of cutting W_m ... W_1 into
///                           consecutive blocks of the product of the blocks' spectral norms,
/// ```
///
/// computed by the `O(m^2)` recursion `F(0) = 1`, `F(j) = sum_{i<j} F(i) |W_j ... W_{i+1}|_2`,
/// `theta_m = F(m)`. It satisfies `|W_m ... W_1|_2 <= bound <= prod_l |W_l|_2` (each term of
/// the sum lies between the two). For entrywise non-negative weights the constant itself is
/// `|W_m ... W_1|_2` (attained where all units are active), which
/// [`abs_product`](super::abs_product) then returns exactly.
///
/// Cost: `O(m^2)` matrix products and spectral norms.
///
/// ```
/// use lipschitz::{ReluNet, bounds::combettes_pesquet};
/// // relu(x) - relu(-x) = x: the bound is 2, the constant 1.
/// let id = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
/// assert!((combettes_pesquet(&id)? - 2.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`](crate::LipError::Decomposition) if an SVD fails.
///
/// # References
/// P. L. Combettes and J.-C. Pesquet, *Lipschitz certificates for layered network structures
/// driven by averaged activation operators*, SIAM J. Math. Data Sci. 2 (2020), Theorem 3.2 and
/// Proposition 3.6.
pub fn combettes_pesquet(net: &ReluNet) -> Result<f64> {
    on_balanced(net, |net| combettes_pesquet_norm(net, Norm::L2))
}

/// The Combettes–Pesquet recursion of [`combettes_pesquet`] with operator norms in `norm`.
///
/// The proof needs only that `relu = (Id + R) / 2` with `R(z) = |z|` componentwise, so that on
/// each activation region `D_l = (I + E_l) / 2` with `E_l` diagonal, `|e_ii| <= 1`. Expanding
/// `J = W_m D_{m-1} ... D_1 W_1` gives `2^(m-1)` products in which each `E_l` either cuts the
/// chain or is absent; as `|E_l|_{p -> p} <= 1` for p in {1, 2, inf}, the triangle inequality
/// and submultiplicativity give
///
/// ```text
/// |J|_{p -> p} <= 2^-(m-1) sum over cuts of prod over blocks |W_j ... W_{i+1}|_{p -> p},
/// ```
///
/// the same `theta_m / 2^(m-1)` in the norm `p`. It lies between `|W_m ... W_1|_p` and the
/// [`norm_product`](super::norm_product) in the same norm, and
/// [`split_abs`](super::split_abs) is never larger in l1 and l-inf.
///
/// ```
/// use lipschitz::{Norm, ReluNet, bounds::combettes_pesquet_norm};
/// // |x| = relu(x) + relu(-x): (|W2 W1| + |W2| |W1|) / 2 = (0 + 2) / 2 = 1 in every norm.
/// let abs = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// assert!((combettes_pesquet_norm(&abs, Norm::LInf)? - 1.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`](crate::LipError::Decomposition) if an SVD fails (l2).
///
/// # References
/// P. L. Combettes and J.-C. Pesquet, SIAM J. Math. Data Sci. 2 (2020), Theorem 3.2 (written
/// there in Hilbert spaces; the expansion above carries it to l1 and l-inf).
pub fn combettes_pesquet_norm(net: &ReluNet, norm: Norm) -> Result<f64> {
    on_balanced(net, |net| {
        let w = net.weights();
        let m = w.len();
        let mut f = vec![0.0; m + 1];
        f[0] = 1.0;
        for j in 1..=m {
            // Products W_j ... W_{i+1} for i = j-1 down to 0, extended one factor at a time.
            let mut prod = w[j - 1].clone();
            let mut acc = 0.0;
            for i in (0..j).rev() {
                if i < j - 1 {
                    prod = mul(prod.as_ref(), w[i].as_ref());
                }
                acc += f[i] * operator_norm(prod.as_ref(), norm)?;
            }
            f[j] = acc;
        }
        Ok(f[m] / 2f64.powi(m as i32 - 1))
    })
}
