//! Full-batch regression training with a Lipschitz control.

use faer::MatRef;
use megavolt_core::nn::{Adam, Mlp, mse_loss};
use serde::{Deserialize, Serialize};

use super::{SpectralNormaliser, parseval_retraction, product_bound_gradient};
use crate::error::{LipError, Result};
use crate::norms::Norm;

/// How the Lipschitz constant is controlled during training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Control {
    /// Plain training.
    None,
    /// [`SpectralNormaliser`] with per-layer target `target` after every step (`iters` power
    /// iterations per step on persistent vectors).
    SpectralNorm {
        /// Per-layer spectral norm (`> 0`).
        target: f64,
        /// Power iterations per step (`>= 1`).
        iters: usize,
    },
    /// [`parseval_retraction`] of every hidden weight after every step (the last layer, with
    /// one output row, is left free as in Cissé et al.).
    Parseval {
        /// Retraction strength (`(0, 1]`).
        beta: f64,
    },
    /// Loss `+ lambda prod_l |W_l|_p` ([`product_bound_gradient`]).
    Penalty {
        /// Penalty weight (`>= 0`).
        lambda: f64,
        /// Norm of the product.
        norm: Norm,
    },
}

/// Configuration of [`train_regression`].
///
/// | field | meaning | valid |
/// |---|---|---|
/// | `steps` | full-batch Adam steps | `>= 1` |
/// | `lr` | Adam step size | `> 0` |
/// | `control` | Lipschitz control | see [`Control`] |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    steps: usize,
    lr: f64,
    control: Control,
}

impl TrainConfig {
    /// A validated configuration.
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] naming the first parameter out of range (including the
    /// parameters of `control`).
    pub fn new(steps: usize, lr: f64, control: Control) -> Result<Self> {
        if steps == 0 {
            return Err(LipError::invalid("steps", steps, "at least 1"));
        }
        if !(lr.is_finite() && lr > 0.0) {
            return Err(LipError::invalid("lr", lr, "finite and > 0"));
        }
        match control {
            Control::SpectralNorm { target, iters } => {
                SpectralNormaliser::new(target, iters)?;
            }
            Control::Parseval { beta } if !(beta > 0.0 && beta <= 1.0) => {
                return Err(LipError::invalid("beta", beta, "in (0, 1]"));
            }
            Control::Penalty { lambda, .. } if !(lambda.is_finite() && lambda >= 0.0) => {
                return Err(LipError::invalid("lambda", lambda, "finite and >= 0"));
            }
            _ => {}
        }
        Ok(Self { steps, lr, control })
    }

    /// The control.
    pub fn control(&self) -> Control {
        self.control
    }
}

/// Loss history of a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainHistory {
    /// Mean squared error (without penalty) before each step.
    pub loss: Vec<f64>,
    /// Mean squared error after the last step.
    pub final_loss: f64,
}

/// Trains `net` by full-batch Adam on `L = (1/2N) |net(x) - y|^2` (`x`: `in x N`, `y`:
/// `out x N`), applying `config.control` after every step (or adding its penalty).
///
/// ```
/// use lipschitz::training::{Control, TrainConfig, train_regression};
/// use megavolt_core::{Seed, nn::{Activation, Init, Mlp}};
/// let mut net = Mlp::new(&[1, 16, 1], Activation::Relu, Activation::Identity, Init::He, &mut Seed::new(0).stream("n"));
/// let x = faer::Mat::from_fn(1, 32, |_, j| j as f64 / 31.0);
/// let y = faer::Mat::from_fn(1, 32, |_, j| (j as f64 / 31.0).powi(2));
/// let h = train_regression(&mut net, x.as_ref(), y.as_ref(), &TrainConfig::new(300, 1e-2, Control::None)?)?;
/// assert!(h.final_loss < 0.1 * h.loss[0]);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::NonFinite`] (with the step and the loss) if the loss stops being finite;
/// [`LipError::Decomposition`] if an SVD of the penalty fails.
///
/// # Panics
/// If the shapes of `x` and `y` do not fit the network.
#[track_caller]
pub fn train_regression(
    net: &mut Mlp,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    config: &TrainConfig,
) -> Result<TrainHistory> {
    let mut adam = Adam::new(config.lr, net.n_params());
    let mut sn = match config.control {
        Control::SpectralNorm { target, iters } => Some(SpectralNormaliser::new(target, iters)?),
        _ => None,
    };
    if let Some(sn) = sn.as_mut() {
        sn.apply(net.layers_mut().iter_mut().map(|l| &mut l.weight));
    }
    let mut loss = Vec::with_capacity(config.steps);
    for step in 0..config.steps {
        let cache = net.forward_cached(x);
        let (l, g_out) = mse_loss(cache.output(), y);
        if !l.is_finite() {
            return Err(LipError::NonFinite { step, time: l });
        }
        loss.push(l);
        let mut grad = net.backward(&cache, g_out.as_ref()).flatten();
        if let Control::Penalty { lambda, norm } = config.control
            && lambda > 0.0
        {
            let weights: Vec<_> = net.layers().iter().map(|l| l.weight.clone()).collect();
            let (_, gk) = product_bound_gradient(&weights, norm)?;
            let mut k = 0;
            for (layer, g) in net.layers().iter().zip(&gk) {
                for j in 0..g.ncols() {
                    for i in 0..g.nrows() {
                        grad[k] += lambda * g[(i, j)];
                        k += 1;
                    }
                }
                k += layer.bias.nrows();
            }
        }
        let mut p = net.params();
        adam.step(&mut p, &grad);
        net.set_params(&p);
        match config.control {
            Control::SpectralNorm { .. } => {
                if let Some(sn) = sn.as_mut() {
                    sn.apply(net.layers_mut().iter_mut().map(|l| &mut l.weight));
                }
            }
            Control::Parseval { beta } => {
                let n = net.layers().len();
                for layer in net.layers_mut()[..n - 1].iter_mut() {
                    parseval_retraction(&mut layer.weight, beta)?;
                }
            }
            _ => {}
        }
    }
    let final_loss = mse_loss(net.forward(x).as_ref(), y).0;
    if !final_loss.is_finite() {
        return Err(LipError::NonFinite { step: config.steps, time: final_loss });
    }
    Ok(TrainHistory { loss, final_loss })
}
