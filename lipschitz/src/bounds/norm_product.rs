//! The product of layer operator norms (K* of Pintore & Després; AutoLip for MLPs).

use crate::error::Result;
use crate::network::{ReluNet, on_balanced};
use crate::norms::{Norm, operator_norm, power_iteration};

/// `K* = prod_l |W_l|_{p -> p}`, a certified upper bound of the Lipschitz constant in the norm
/// `p`, since ReLU is 1-Lipschitz coordinatewise in every l_p norm.
///
/// Cost: `m` operator norms (an SVD per layer for l2, row or column sums otherwise).
///
/// ```
/// use lipschitz::{Norm, ReluNet, bounds::norm_product};
/// let net = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
/// assert!((norm_product(&net, Norm::L2)? - 2.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`](crate::LipError::Decomposition) if an SVD fails.
///
/// # References
/// M. Pintore and B. Després, *Computable Lipschitz bounds for deep neural networks*,
/// arXiv:2410.21053, 2024 (the bound K*). A. Virmaux and K. Scaman, *Lipschitz regularity of
/// deep neural networks*, NeurIPS 2018 (AutoLip).
pub fn norm_product(net: &ReluNet, norm: Norm) -> Result<f64> {
    on_balanced(net, |net| {
        net.weights().iter().try_fold(1.0, |acc, w| Ok(acc * operator_norm(w.as_ref(), norm)?))
    })
}

/// The l2 product bound with each spectral norm replaced by the certified upper side of a
/// [`power_iteration`] bracket (`iters` iterations, `squarings` Gram squarings): a certified
/// bound that needs no SVD, at most `prod_l r_l^(1/2^(s+1))` above [`norm_product`].
///
/// # Errors
/// [`LipError::InvalidParameter`](crate::LipError::InvalidParameter) if `iters == 0` or
/// `squarings > 10`.
pub fn norm_product_power(net: &ReluNet, iters: usize, squarings: u32) -> Result<f64> {
    on_balanced(net, |net| {
        net.weights()
            .iter()
            .try_fold(1.0, |acc, w| Ok(acc * power_iteration(w.as_ref(), iters, squarings)?.upper))
    })
}
