//! The Parseval retraction of Cissé et al. (2017).

use faer::Mat;

use crate::error::{LipError, Result};
use crate::norms::mul;

/// One Parseval retraction step `W <- (1 + beta) W - beta W W^T W`.
///
/// In the SVD basis it maps each singular value by `s <- (1 + beta) s - beta s^3`, whose fixed
/// point `s = 1` attracts with rate `1 - 2 beta`; it keeps `W W^T` close to the identity
/// (a Parseval tight frame), so `|W|_2` stays close to 1. Iterates converge for
/// `0 < beta s^2 < 1` roughly; Cissé et al. use `beta` about `3e-4` after every SGD step.
///
/// | parameter | meaning | valid |
/// |---|---|---|
/// | `beta` | retraction strength | `(0, 1]` |
///
/// ```
/// use lipschitz::training::parseval_retraction;
/// let mut w = faer::mat![[2.0, 0.0], [0.0, 0.5]];
/// for _ in 0..200 {
///     parseval_retraction(&mut w, 0.1)?;
/// }
/// assert!((w[(0, 0)] - 1.0).abs() < 1e-10 && (w[(1, 1)] - 1.0).abs() < 1e-10);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] unless `0 < beta <= 1`.
///
/// # References
/// M. Cissé, P. Bojanowski, E. Grave, Y. Dauphin and N. Usunier, *Parseval networks: improving
/// robustness to adversarial examples*, ICML 2017, Section 4.1.
pub fn parseval_retraction(w: &mut Mat<f64>, beta: f64) -> Result<()> {
    if !(beta > 0.0 && beta <= 1.0) {
        return Err(LipError::invalid("beta", beta, "in (0, 1]"));
    }
    let wwt = mul(w.as_ref(), w.transpose());
    let cubic = mul(wwt.as_ref(), w.as_ref());
    let next =
        Mat::from_fn(w.nrows(), w.ncols(), |i, j| (1.0 + beta) * w[(i, j)] - beta * cubic[(i, j)]);
    *w = next;
    Ok(())
}
