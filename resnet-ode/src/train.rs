//! Training by gradient descent with the depth-scaled step `L * lr0`.

use faer::{Mat, MatRef};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::error::{ResnetError, Result, at_least, positive};
use crate::resnet::ResNet;
use crate::workspace::Workspace;

/// How gradients are computed during training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Backprop {
    /// Store every state in the forward pass ([`ResNet::loss_and_gradients`]).
    #[default]
    Stored,
    /// Rebuild states backwards ([`ResNet::loss_and_gradients_memory_free`]).
    MemoryFree,
}

/// The unvalidated description of a training run; validate with [`TrainSpec::build`].
///
/// Each step updates every trained parameter by `theta <- theta - L lr0 grad l(theta)`, where
/// `l` is the mean squared error over the batch ([`crate::mean_squared_error`]). The factor
/// `L` makes the update the explicit Euler discretisation, with step `lr0`, of the gradient
/// flow `dZ_k/dt = -L ∂l/∂Z_k` of Marion et al. (ICLR 2024, §3), under which each layer's
/// weights move by `O(1)` in training time although their gradients are `O(1/L)`.
///
/// | field | meaning | default | valid range |
/// |---|---|---|---|
/// | `lr0` | step of the gradient flow in training time | — | `> 0` |
/// | `steps` | number of updates | — | `>= 1` |
/// | `batch_size` | `None`: full-batch GD; `Some(b)`: SGD on `b` samples drawn without replacement each step | `None` | `1..=n` |
/// | `train_maps` | also train the input and output maps `A`, `B` | `false` | — |
/// | `backprop` | [`Backprop`] | `Stored` | — |
/// | `record_every` | record loss and weight increments every this many steps | `1` | `>= 1` |
///
/// ```
/// use resnet_ode::TrainSpec;
/// # fn main() -> resnet_ode::Result<()> {
/// let cfg = TrainSpec { batch_size: Some(10), ..TrainSpec::new(0.01, 50) }.build()?;
/// assert_eq!(cfg.spec().steps, 50);
/// assert!(TrainSpec::new(0.0, 50).build().is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    /// Gradient-flow step `lr0`; the update uses `L * lr0`.
    pub lr0: f64,
    /// Number of updates.
    pub steps: usize,
    /// Mini-batch size, or `None` for full-batch gradient descent.
    pub batch_size: Option<usize>,
    /// Whether the input and output maps are trained.
    pub train_maps: bool,
    /// Gradient computation.
    pub backprop: Backprop,
    /// Recording period.
    pub record_every: usize,
}

impl TrainSpec {
    /// Full-batch gradient descent with stored backpropagation, recording every step.
    pub fn new(lr0: f64, steps: usize) -> Self {
        Self {
            lr0,
            steps,
            batch_size: None,
            train_maps: false,
            backprop: Backprop::Stored,
            record_every: 1,
        }
    }

    /// Validates the specification.
    ///
    /// # Errors
    /// [`ResnetError::InvalidParameter`] naming the first field out of range.
    pub fn build(self) -> Result<TrainConfig> {
        positive("lr0", self.lr0)?;
        at_least("steps", self.steps, 1, "at least 1")?;
        at_least("record_every", self.record_every, 1, "at least 1")?;
        if let Some(b) = self.batch_size {
            at_least("batch_size", b, 1, "at least 1")?;
        }
        Ok(TrainConfig { spec: self })
    }
}

/// A validated [`TrainSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TrainConfig {
    spec: TrainSpec,
}

impl TrainConfig {
    /// The specification.
    pub fn spec(&self) -> &TrainSpec {
        &self.spec
    }
}

/// What a training run records.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TrainHistory {
    /// Indices of the recorded steps (the loss is that of the batch before the update).
    pub steps: Vec<usize>,
    /// Batch loss at the recorded steps.
    pub loss: Vec<f64>,
    /// `max_k |Z_{k+1} - Z_k|_F` ([`crate::ResNetParams::max_increment`]) before the recorded
    /// updates.
    pub max_increment: Vec<f64>,
    /// Full-data loss after the last update.
    pub final_loss: f64,
    /// Maximum of the weight increment over layers and over all recorded times, including the
    /// final weights: the quantity of Fig. 1 (left) of Marion et al. (ICLR 2024).
    pub max_increment_over_time: f64,
}

fn select_columns(dst: &mut Mat<f64>, x: MatRef<'_, f64>, idx: &[usize]) {
    for (j, &c) in idx.iter().enumerate() {
        for i in 0..x.nrows() {
            dst[(i, j)] = x[(i, c)];
        }
    }
}

/// Trains `net` on the samples `x` (`p x n`) with targets `y` (`q x n`).
///
/// The random stream `rng` is used only to draw mini-batches.
///
/// # Errors
/// * [`ResnetError::InvalidParameter`] if `batch_size > n`;
/// * [`ResnetError::Diverged`] naming the step at which the loss or a weight stopped being
///   finite.
///
/// # Panics
/// If `x` does not have `p` rows, `y` does not have `q` rows, or their columns differ.
///
/// # References
/// * P. Marion, Y.-H. Wu, M. E. Sander, G. Biau, "Implicit regularization of deep residual
///   networks towards neural ODEs", ICLR 2024, eq. (3) and §5.
#[track_caller]
pub fn train<R: Rng + ?Sized>(
    net: &mut ResNet,
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    config: &TrainConfig,
    rng: &mut R,
) -> Result<TrainHistory> {
    assert_eq!(x.ncols(), y.ncols(), "train: x and y must have as many columns");
    assert_eq!(y.nrows(), net.config().output_dim(), "train: y must have q rows");
    let spec = config.spec;
    let n = x.ncols();
    if let Some(b) = spec.batch_size
        && b > n
    {
        return Err(ResnetError::invalid("batch_size", b, "at most the number of samples"));
    }
    let lr = net.config().depth() as f64 * spec.lr0;
    let mut hist = TrainHistory::default();
    let mut perm: Vec<usize> = (0..n).collect();
    let batch = spec.batch_size.unwrap_or(n).min(n);
    let mut ws = Workspace::new(net.config(), batch);
    let (mut xb, mut yb) = (Mat::zeros(x.nrows(), batch), Mat::zeros(y.nrows(), batch));
    for step in 0..spec.steps {
        let (xs, ys) = if batch < n {
            // Partial Fisher–Yates: the first b entries become a uniform sample.
            for i in 0..batch {
                let j = rng.random_range(i..n);
                perm.swap(i, j);
            }
            select_columns(&mut xb, x, &perm[..batch]);
            select_columns(&mut yb, y, &perm[..batch]);
            (xb.as_ref(), yb.as_ref())
        } else {
            (x, y)
        };
        let mut memory_free = None;
        let loss = match spec.backprop {
            Backprop::Stored => net.loss_and_gradients_in(xs, ys, &mut ws),
            Backprop::MemoryFree => {
                let r = net.loss_and_gradients_memory_free(xs, ys);
                memory_free = Some(r.gradients.params);
                r.loss
            }
        };
        let grads = memory_free.as_mut().unwrap_or_else(|| ws.gradients_mut());
        if !loss.is_finite() {
            return Err(ResnetError::Diverged { step, loss });
        }
        if step % spec.record_every == 0 {
            let inc = net.params().max_increment();
            hist.steps.push(step);
            hist.loss.push(loss);
            hist.max_increment.push(inc);
            hist.max_increment_over_time = hist.max_increment_over_time.max(inc);
        }
        if !spec.train_maps {
            for g in grads.input_map.iter_mut().chain(grads.output_map.iter_mut()) {
                g.fill(0.0);
            }
        }
        net.params_mut().axpy(-lr, grads);
        if !net.params().all_finite() {
            return Err(ResnetError::Diverged { step, loss: f64::NAN });
        }
    }
    let out = net.forward(x);
    hist.final_loss = crate::resnet::mean_squared_error(out.as_ref(), y).0;
    if !hist.final_loss.is_finite() {
        return Err(ResnetError::Diverged { step: spec.steps, loss: hist.final_loss });
    }
    hist.max_increment_over_time = hist.max_increment_over_time.max(net.params().max_increment());
    log::debug!(
        "trained depth {} for {} steps: final loss {:e}",
        net.config().depth(),
        spec.steps,
        hist.final_loss
    );
    Ok(hist)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Init, ResNetSpec};
    use megavolt_core::rng::{Seed, gaussian_mat};

    #[test]
    fn gradient_descent_decreases_the_loss_and_rejects_bad_batches() {
        let seed = Seed::new(5);
        let cfg =
            ResNetSpec { init: Init::Tied, gain: 2.0, ..ResNetSpec::new(3, 8, 8) }.build().unwrap();
        let mut net = ResNet::new(cfg, &mut seed.stream("init"));
        let x = gaussian_mat(&mut seed.stream("x"), 3, 10, 1.0);
        let y = gaussian_mat(&mut seed.stream("y"), 3, 10, 1.0);
        let tc = TrainSpec::new(0.01, 30).build().unwrap();
        let h = train(&mut net, x.as_ref(), y.as_ref(), &tc, &mut seed.stream("batches")).unwrap();
        assert!(h.loss.windows(2).all(|w| w[1] < w[0]), "full-batch GD with a small step descends");
        assert!(h.final_loss < h.loss[0]);
        let bad = TrainSpec { batch_size: Some(11), ..TrainSpec::new(0.01, 3) }.build().unwrap();
        let e =
            train(&mut net, x.as_ref(), y.as_ref(), &bad, &mut seed.stream("batches")).unwrap_err();
        assert!(matches!(e, ResnetError::InvalidParameter { name: "batch_size", .. }));
        let huge = TrainSpec::new(1e6, 5).build().unwrap();
        let e = train(&mut net, x.as_ref(), y.as_ref(), &huge, &mut seed.stream("batches"))
            .unwrap_err();
        assert!(matches!(e, ResnetError::Diverged { .. }), "{e:?}");
    }
}
