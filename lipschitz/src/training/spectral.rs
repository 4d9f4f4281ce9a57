//! Spectral normalisation with persistent power-iteration vectors (Miyato et al., 2018).

use faer::{Col, Mat};

use crate::error::{LipError, Result};

/// Rescales every weight matrix to spectral norm `target`, estimated by power iteration on a
/// persistent right vector per layer:
///
/// ```text
/// u <- W v / |W v|,   v <- W^T u / |W^T u|,   sigma_hat = u^T W v = |W^T u|,   W <- target W / sigma_hat.
/// ```
///
/// `sigma_hat <= sigma_1(W)` (a Rayleigh-type quotient), so with few iterations the normalised
/// layer can have norm slightly above `target`; the persistent vector makes one iteration per
/// training step accurate once training settles. Here normalisation is applied to the stored
/// weights after each optimiser step (a projection); Miyato et al. instead differentiate through
/// `W / sigma_hat`.
///
/// | parameter | meaning | valid |
/// |---|---|---|
/// | `target` | spectral norm per layer | `> 0` |
/// | `iters` | power iterations per call | `>= 1` |
///
/// ```
/// use lipschitz::{spectral_norm, training::SpectralNormaliser};
/// let mut w = vec![faer::mat![[3.0, 1.0], [0.0, 2.0]]];
/// let mut sn = SpectralNormaliser::new(1.0, 60)?;
/// sn.apply(&mut w);
/// assert!((spectral_norm(w[0].as_ref())? - 1.0).abs() < 1e-9);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # References
/// T. Miyato, T. Kataoka, M. Koyama and Y. Yoshida, *Spectral normalization for generative
/// adversarial networks*, ICLR 2018, Algorithm 1.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectralNormaliser {
    target: f64,
    iters: usize,
    v: Vec<Col<f64>>,
}

impl SpectralNormaliser {
    /// A normaliser with no vectors yet (they are created at the first call).
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `target` is not positive and finite or `iters == 0`.
    pub fn new(target: f64, iters: usize) -> Result<Self> {
        if !(target.is_finite() && target > 0.0) {
            return Err(LipError::invalid("target", target, "finite and > 0"));
        }
        if iters == 0 {
            return Err(LipError::invalid("iters", iters, "at least 1"));
        }
        Ok(Self { target, iters, v: Vec::new() })
    }

    /// The per-layer target norm.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// Normalises every matrix of `weights` in place and returns the estimates `sigma_hat`
    /// used (before rescaling). A zero matrix is left unchanged.
    pub fn apply<'a>(&mut self, weights: impl IntoIterator<Item = &'a mut Mat<f64>>) -> Vec<f64> {
        let mut sigmas = Vec::new();
        for (l, w) in weights.into_iter().enumerate() {
            if self.v.len() <= l || self.v[l].nrows() != w.ncols() {
                let n = w.ncols();
                let v0 = Col::from_fn(n, |i| 1.0 + 0.1 * ((i * 7 + 3) % 11) as f64);
                let s = v0.norm_l2();
                let v0 = Col::from_fn(n, |i| v0[i] / s);
                if self.v.len() <= l {
                    self.v.push(v0);
                } else {
                    self.v[l] = v0;
                }
            }
            let mut sigma = 0.0;
            for _ in 0..self.iters {
                let u = &*w * &self.v[l];
                let un = u.norm_l2();
                if un == 0.0 {
                    break;
                }
                let wtu = w.transpose() * &u;
                let s = wtu.norm_l2();
                sigma = s / un;
                self.v[l] = Col::from_fn(wtu.nrows(), |i| wtu[i] / s);
            }
            if sigma > 0.0 {
                let f = self.target / sigma;
                crate::norms::scale_in_place(w, f);
            }
            sigmas.push(sigma);
        }
        sigmas
    }
}
