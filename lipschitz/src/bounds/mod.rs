//! Certified upper bounds (and one flagged estimate) of the Lipschitz constant of a
//! [`ReluNet`].
//!
//! | function | norm | certified | cost |
//! |---|---|---|---|
//! | [`norm_product`] | l1, l2, l-inf | yes | `m` operator norms |
//! | [`norm_product_power`] | l2 | yes (upper side of a power bracket) | `m` power iterations |
//! | [`combettes_pesquet`] | l2 | yes | `O(m^2)` products and spectral norms |
//! | [`combettes_pesquet_norm`] | l1, l2, l-inf | yes | `O(m^2)` products and operator norms |
//! | [`split_abs`] | l1, l2, l-inf | yes | `O(m^2)` products of `|W_j ... W_i|` |
//! | [`abs_product`] | l1, l2, l-inf | yes | `m` products of `|W_l|` |
//! | [`jacobian_interval`] | l1, l2, l-inf | yes | `m` interval products |
//! | [`seqlip_exhaustive`] | l2 | yes | `sum_l 2^{n_l}` small SVDs |
//! | [`lipsdp_first_order`] | l2 | yes (every iterate) | Cholesky of the hidden-unit matrix per step |
//! | [`seqlip_greedy`] | l2 | **no**: an estimate | local search |
//!
//! Ordering facts used as tests: `|W_m ... W_1| <= combettes_pesquet <= norm_product` (l2),
//! `jacobian_interval <= abs_product <= norm_product` and
//! `split_abs <= combettes_pesquet_norm <= norm_product`, `split_abs <= abs_product` (l-inf and
//! l1), and every certified bound is at least the exact constant.

mod abs_product;
mod combettes_pesquet;
mod lipsdp_first_order;
mod norm_product;
mod seqlip;
mod split_abs;

pub use abs_product::{abs_product, jacobian_interval};
pub use combettes_pesquet::{combettes_pesquet, combettes_pesquet_norm};
pub use lipsdp_first_order::{FirstOrderConfig, LipSdpFirstOrder, lipsdp_first_order};
pub use norm_product::{norm_product, norm_product_power};
pub use seqlip::{SeqLip, seqlip_exhaustive, seqlip_greedy};
pub use split_abs::split_abs;

use serde::{Deserialize, Serialize};

use crate::error::{LipError, Result};
use crate::network::ReluNet;
use crate::norms::Norm;

/// One named upper bound or estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpperBound {
    /// Short name of the method (`"product"`, `"combettes-pesquet"`, ...).
    pub method: &'static str,
    /// The norm bounded.
    pub norm: Norm,
    /// The value.
    pub value: f64,
    /// `true` for a proven upper bound, `false` for an estimate (greedy SeqLip).
    pub certified: bool,
}

/// Every bound of this module that applies to `norm`: the cheap ones (norm product,
/// `|W|`-product, Jacobian intervals, Combettes–Pesquet and its entrywise variant
/// [`split_abs`]) always, SeqLip only when every
/// hidden width is at most `seqlip_max_width` (greedy SeqLip is included, flagged uncertified).
/// The LipSDP bounds, which cost far more, are separate calls ([`lipsdp_first_order`],
/// [`crate::lipsdp_ipm::lipsdp_neuron_ipm`]). A bound whose value (or an intermediate quantity
/// of its computation) lies outside the range of `f64` is left out.
///
/// ```
/// use lipschitz::{Norm, ReluNet, all_upper_bounds};
/// let net = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// let b = all_upper_bounds(&net, Norm::L2, 12)?;
/// let cp = b.iter().find(|b| b.method == "combettes-pesquet").unwrap();
/// assert!((cp.value - 1.0).abs() < 1e-12); // |x| = relu(x) + relu(-x) has constant 1
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::Decomposition`] if an SVD fails.
pub fn all_upper_bounds(
    net: &ReluNet,
    norm: Norm,
    seqlip_max_width: usize,
) -> Result<Vec<UpperBound>> {
    let mut out = Vec::new();
    // A bound whose value lies outside the range of f64 is left out (each such failure is an
    // `InvalidParameter` naming the weights); any other error is returned.
    let mut push = |method: &'static str, value: Result<f64>, certified: bool| match value {
        Ok(value) => {
            out.push(UpperBound { method, norm, value, certified });
            Ok(())
        }
        Err(LipError::InvalidParameter { name: "weights", .. }) => Ok(()),
        Err(e) => Err(e),
    };
    push("product", norm_product(net, norm), true)?;
    push("abs-product", abs_product(net, norm), true)?;
    push("jacobian-interval", jacobian_interval(net, norm), true)?;
    push("combettes-pesquet", combettes_pesquet_norm(net, norm), true)?;
    push("split-abs", split_abs(net, norm), true)?;
    if norm == Norm::L2 {
        let widest = net.sizes()[1..net.depth()].iter().copied().max().unwrap_or(0);
        if widest <= seqlip_max_width {
            push("seqlip", seqlip_exhaustive(net, seqlip_max_width).map(|r| r.value), true)?;
        }
        push("seqlip-greedy", seqlip_greedy(net).map(|r| r.value), false)?;
    }
    Ok(out)
}
