//! Single-location regression and the attention predictor that solves it.
//!
//! **Task** (Marion, Berthier, Biau, Boyer, ICLR 2025). A sequence of `L` tokens
//! `X_1, ..., X_L` in `R^d` (the columns of a `d x L` matrix); a latent position `J_0`, uniform
//! in `{1, ..., L}`; unit vectors `k*` and `v*` with `<k*, v*> = 0`. The token at the latent
//! position is `X_{J_0} ~ N(sqrt(d/2) k*, gamma^2 I_d)` (so its position is recoverable by the
//! linear projection on `k*`), the others are `N(0, I_d)`, and
//!
//! ```text
//! y = <X_{J_0}, v*> + xi,   xi ~ N(0, eps^2).
//! ```
//!
//! **Predictor** (a simplified non-linear attention layer, the softmax replaced by `erf`):
//!
//! ```text
//! T_{k,v}(X) = sum_l erf(lambda <X_l, k>) <X_l, v>,   |k| = |v| = 1.
//! ```
//!
//! **Training**: projected (Riemannian) stochastic gradient descent on the unit sphere for `k`
//! and `v` on the square loss, with fresh batches at every step,
//! `k <- normalize(k - alpha (g_k - <k, g_k> k))` (same for `v`), and the inverse temperature
//! `lambda_t = lambda_0 / (1 + decay t)`.
//!
//! **Baselines**: the oracle `T_{k*,v*}` at the same `lambda`, and the linear predictor. By
//! exchangeability of the positions the best linear predictor is `<w, sum_l X_l>`, fitted here by
//! ridge-regularised least squares.
//!
//! Default setting ([`SlrSetting::default`], the authors' SGD setting): `d = 80`, `L = 10`,
//! `gamma = sqrt(1/2)`, `eps = 0.1`, `lambda_0 = 2`, `decay = 1e-4`, `alpha = 1e-3`, batch 5.
//!
//! # References
//! * P. Marion, R. Berthier, G. Biau, C. Boyer, "Attention layers provably solve
//!   single-location regression", ICLR 2025, arXiv:2410.01537.

use faer::{Col, Mat, MatRef};
use megavolt_core::rng::{Seed, WorkspaceRng, gaussian_col};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{AttentionError, Result, positive};

/// Parameters of the single-location regression task and of the training run.
///
/// | field | default | valid range |
/// |---|---|---|
/// | `d` | 80 | `>= 2` |
/// | `n_tokens` (`L`) | 10 | `>= 1` |
/// | `gamma` | `sqrt(1/2)` | `> 0` |
/// | `noise` (`eps`) | 0.1 | `>= 0` |
/// | `lambda0` | 2 | `> 0` |
/// | `lambda_decay` | `1e-4` | `>= 0` |
/// | `step_size` (`alpha`) | `1e-3` | `> 0` |
/// | `batch` | 5 | `>= 1` |
/// | `steps` | 200 000 | `>= 1` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SlrSetting {
    /// Token dimension.
    pub d: usize,
    /// Sequence length `L`.
    pub n_tokens: usize,
    /// Standard deviation of the informative token around `sqrt(d/2) k*`.
    pub gamma: f64,
    /// Standard deviation of the label noise.
    pub noise: f64,
    /// Initial inverse temperature of the predictor.
    pub lambda0: f64,
    /// Decay rate of `lambda_t = lambda0 / (1 + decay t)`.
    pub lambda_decay: f64,
    /// Gradient step size.
    pub step_size: f64,
    /// Samples per step.
    pub batch: usize,
    /// Number of steps.
    pub steps: usize,
}

impl Default for SlrSetting {
    fn default() -> Self {
        Self {
            d: 80,
            n_tokens: 10,
            gamma: 0.5f64.sqrt(),
            noise: 0.1,
            lambda0: 2.0,
            lambda_decay: 1e-4,
            step_size: 1e-3,
            batch: 5,
            steps: 200_000,
        }
    }
}

impl SlrSetting {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AttentionError::InvalidParameter`] naming the first invalid field.
    pub fn validate(&self) -> Result<()> {
        if self.d < 2 {
            return Err(AttentionError::invalid("d", self.d, "at least 2"));
        }
        if self.n_tokens == 0 {
            return Err(AttentionError::invalid("n_tokens", 0, "at least 1"));
        }
        if self.batch == 0 {
            return Err(AttentionError::invalid("batch", 0, "at least 1"));
        }
        if self.steps == 0 {
            return Err(AttentionError::invalid("steps", 0, "at least 1"));
        }
        positive("gamma", self.gamma)?;
        positive("lambda0", self.lambda0)?;
        positive("step_size", self.step_size)?;
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(AttentionError::invalid("noise", self.noise, "a finite number >= 0"));
        }
        if !(self.lambda_decay.is_finite() && self.lambda_decay >= 0.0) {
            return Err(AttentionError::invalid(
                "lambda_decay",
                self.lambda_decay,
                "a finite number >= 0",
            ));
        }
        Ok(())
    }

    /// `lambda_t`.
    pub fn lambda_at(&self, step: usize) -> f64 {
        self.lambda0 / (1.0 + self.lambda_decay * step as f64)
    }
}

fn unit(mut c: Col<f64>) -> Col<f64> {
    let n = c.norm_l2();
    c.iter_mut().for_each(|v| *v /= n);
    c
}

fn dot(a: &Col<f64>, x: MatRef<'_, f64>, l: usize) -> f64 {
    (0..a.nrows()).map(|i| a[i] * x[(i, l)]).sum()
}

/// A single-location regression task: the hidden directions `k*`, `v*` and the sampler.
#[derive(Debug, Clone, PartialEq)]
pub struct SlrTask {
    setting: SlrSetting,
    k_star: Col<f64>,
    v_star: Col<f64>,
}

/// A batch: `x[s]` is the `d x L` token matrix of sample `s`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlrBatch {
    /// Token matrices.
    pub x: Vec<Mat<f64>>,
    /// Labels.
    pub y: Vec<f64>,
    /// Latent positions `J_0` (0-based).
    pub positions: Vec<usize>,
}

impl SlrTask {
    /// Draws `k*` and `v*` (orthonormal) from the stream `"slr/directions"` of `seed`.
    ///
    /// # Errors
    /// As [`SlrSetting::validate`].
    pub fn new(setting: SlrSetting, seed: Seed) -> Result<Self> {
        setting.validate()?;
        let mut rng = seed.stream("slr/directions");
        let k_star = unit(gaussian_col(&mut rng, setting.d, 1.0));
        let mut v = gaussian_col(&mut rng, setting.d, 1.0);
        let c: f64 = (0..setting.d).map(|i| v[i] * k_star[i]).sum();
        for i in 0..setting.d {
            v[i] -= c * k_star[i];
        }
        Ok(Self { setting, k_star, v_star: unit(v) })
    }

    /// The setting.
    pub fn setting(&self) -> &SlrSetting {
        &self.setting
    }

    /// The key direction `k*`.
    pub fn k_star(&self) -> &Col<f64> {
        &self.k_star
    }

    /// The value direction `v*`.
    pub fn v_star(&self) -> &Col<f64> {
        &self.v_star
    }

    /// `size` samples from `rng`.
    pub fn sample(&self, rng: &mut WorkspaceRng, size: usize) -> SlrBatch {
        let (d, l) = (self.setting.d, self.setting.n_tokens);
        let shift = (d as f64 / 2.0).sqrt();
        let mut out = SlrBatch {
            x: Vec::with_capacity(size),
            y: Vec::with_capacity(size),
            positions: Vec::with_capacity(size),
        };
        for _ in 0..size {
            let j0 = rng.random_range(0..l);
            let mut x = Mat::from_fn(d, l, |_, _| StandardNormal.sample(rng));
            for i in 0..d {
                x[(i, j0)] = shift * self.k_star[i] + self.setting.gamma * x[(i, j0)];
            }
            let xi: f64 = StandardNormal.sample(rng);
            out.y.push(dot(&self.v_star, x.as_ref(), j0) + self.setting.noise * xi);
            out.x.push(x);
            out.positions.push(j0);
        }
        out
    }
}

/// The attention predictor `T_{k,v}(X) = sum_l erf(lambda <X_l, k>) <X_l, v>`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionPredictor {
    /// Key direction (unit norm).
    pub k: Col<f64>,
    /// Value direction (unit norm).
    pub v: Col<f64>,
}

impl AttentionPredictor {
    /// Prediction for one token matrix at inverse temperature `lambda`.
    pub fn predict(&self, x: MatRef<'_, f64>, lambda: f64) -> f64 {
        (0..x.ncols()).map(|l| libm::erf(lambda * dot(&self.k, x, l)) * dot(&self.v, x, l)).sum()
    }

    /// Euclidean gradients of the batch mean squared error with respect to `k` and `v`,
    /// written into `gk` and `gv` (length `d`).
    ///
    /// # Panics
    /// If `gk` or `gv` does not have length `d`.
    #[track_caller]
    pub fn batch_gradient(
        &self,
        batch: &SlrBatch,
        lambda: f64,
        gk: &mut Col<f64>,
        gv: &mut Col<f64>,
    ) {
        let d = self.k.nrows();
        assert!(
            gk.nrows() == d && gv.nrows() == d,
            "batch_gradient: gradients must have length {d}"
        );
        gk.fill(0.0);
        gv.fill(0.0);
        let two_over_sqrt_pi = 2.0 / std::f64::consts::PI.sqrt();
        let m = batch.y.len() as f64;
        for (x, y) in batch.x.iter().zip(&batch.y) {
            let l_tokens = x.ncols();
            let a: Vec<f64> = (0..l_tokens).map(|l| dot(&self.k, x.as_ref(), l)).collect();
            let b: Vec<f64> = (0..l_tokens).map(|l| dot(&self.v, x.as_ref(), l)).collect();
            let pred: f64 = a.iter().zip(&b).map(|(a, b)| libm::erf(lambda * a) * b).sum();
            let r = 2.0 * (pred - y) / m;
            for l in 0..l_tokens {
                let ck = r * two_over_sqrt_pi * (-(lambda * a[l]).powi(2)).exp() * lambda * b[l];
                let cv = r * libm::erf(lambda * a[l]);
                for i in 0..d {
                    gk[i] += ck * x[(i, l)];
                    gv[i] += cv * x[(i, l)];
                }
            }
        }
    }

    /// Mean squared error on a batch.
    pub fn risk(&self, batch: &SlrBatch, lambda: f64) -> f64 {
        let s: f64 = batch
            .x
            .iter()
            .zip(&batch.y)
            .map(|(x, y)| (self.predict(x.as_ref(), lambda) - y).powi(2))
            .sum();
        s / batch.y.len() as f64
    }
}

/// One logged point of a training run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SlrLog {
    /// Step.
    pub step: usize,
    /// `lambda_t`.
    pub lambda: f64,
    /// Test risk of the current predictor.
    pub risk: f64,
    /// Test risk of the oracle `T_{k*,v*}` at the same `lambda`.
    pub oracle_risk: f64,
    /// `<k, k*>`.
    pub cos_k: f64,
    /// `<v, v*>`.
    pub cos_v: f64,
}

/// Trains the attention predictor by projected SGD from a uniform start on the sphere (stream
/// `"slr/init"`), with batches from the stream `"slr/train"`, logging the test risk on `test`
/// every `log_every` steps.
///
/// # Errors
/// [`AttentionError::InvalidParameter`] if `log_every == 0`; [`AttentionError::NonFinite`] if
/// the parameters stop being finite.
pub fn train(
    task: &SlrTask,
    seed: Seed,
    test: &SlrBatch,
    log_every: usize,
) -> Result<(AttentionPredictor, Vec<SlrLog>)> {
    if log_every == 0 {
        return Err(AttentionError::invalid("log_every", 0, "at least 1"));
    }
    let s = task.setting;
    let mut init = seed.stream("slr/init");
    let mut p = AttentionPredictor {
        k: unit(gaussian_col(&mut init, s.d, 1.0)),
        v: unit(gaussian_col(&mut init, s.d, 1.0)),
    };
    let oracle = AttentionPredictor { k: task.k_star.clone(), v: task.v_star.clone() };
    let mut rng = seed.stream("slr/train");
    let mut logs = Vec::new();
    let mut gk = Col::<f64>::zeros(s.d);
    let mut gv = Col::<f64>::zeros(s.d);
    for step in 0..=s.steps {
        let lambda = s.lambda_at(step);
        if step % log_every == 0 || step == s.steps {
            logs.push(SlrLog {
                step,
                lambda,
                risk: p.risk(test, lambda),
                oracle_risk: oracle.risk(test, lambda),
                cos_k: (0..s.d).map(|i| p.k[i] * task.k_star[i]).sum(),
                cos_v: (0..s.d).map(|i| p.v[i] * task.v_star[i]).sum(),
            });
        }
        if step == s.steps {
            break;
        }
        let batch = task.sample(&mut rng, s.batch);
        p.batch_gradient(&batch, lambda, &mut gk, &mut gv);
        riemannian_step(&mut p.k, &gk, s.step_size);
        riemannian_step(&mut p.v, &gv, s.step_size);
        if !(p.k.iter().all(|v| v.is_finite()) && p.v.iter().all(|v| v.is_finite())) {
            return Err(AttentionError::NonFinite { step, time: step as f64 });
        }
    }
    Ok((p, logs))
}

/// `w <- normalize(w - alpha (g - <w, g> w))`.
fn riemannian_step(w: &mut Col<f64>, g: &Col<f64>, alpha: f64) {
    let c: f64 = (0..w.nrows()).map(|i| w[i] * g[i]).sum();
    for i in 0..w.nrows() {
        w[i] -= alpha * (g[i] - c * w[i]);
    }
    let n = w.norm_l2();
    w.iter_mut().for_each(|v| *v /= n);
}

/// The linear baseline `y ~ <w, sum_l X_l>`, fitted by ridge least squares.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearPredictor {
    /// Weights on the sum of the tokens.
    pub w: Col<f64>,
}

impl LinearPredictor {
    /// Fits `w` on `train` with ridge penalty `ridge * |w|^2` (per sample).
    ///
    /// # Errors
    /// [`AttentionError::InvalidParameter`] if the batch is empty or `ridge` is negative.
    pub fn fit(train: &SlrBatch, ridge: f64) -> Result<Self> {
        if train.x.is_empty() {
            return Err(AttentionError::invalid("train", "0 samples", "at least one sample"));
        }
        if !(ridge.is_finite() && ridge >= 0.0) {
            return Err(AttentionError::invalid("ridge", ridge, "a finite number >= 0"));
        }
        let d = train.x[0].nrows();
        let m = train.x.len();
        let feats = Mat::<f64>::from_fn(m, d, |s, i| {
            (0..train.x[s].ncols()).map(|l| train.x[s][(i, l)]).sum::<f64>()
        });
        let mut gram: Mat<f64> = feats.transpose() * &feats;
        for i in 0..d {
            gram[(i, i)] += ridge * m as f64;
        }
        let rhs = Col::from_fn(d, |i| (0..m).map(|s| feats[(s, i)] * train.y[s]).sum::<f64>());
        let w = faer::linalg::solvers::Solve::solve(&gram.partial_piv_lu(), &rhs);
        Ok(Self { w })
    }

    /// Mean squared error on a batch.
    pub fn risk(&self, batch: &SlrBatch) -> f64 {
        let d = self.w.nrows();
        let s: f64 = batch
            .x
            .iter()
            .zip(&batch.y)
            .map(|(x, y)| {
                let pred: f64 = (0..d)
                    .map(|i| self.w[i] * (0..x.ncols()).map(|l| x[(i, l)]).sum::<f64>())
                    .sum();
                (pred - y).powi(2)
            })
            .sum();
        s / batch.y.len() as f64
    }
}

/// Population risk of the best linear predictor on the token sum:
/// `eps^2 + gamma^2 (L - 1) / (gamma^2 + L - 1)` (the label `<X_{J_0}, v*>` has variance
/// `gamma^2`, and `<sum_l X_l, v*>` adds `L - 1` unit variances of noise tokens; the component of
/// the sum along `k*` carries no information about the label).
pub fn linear_population_risk(setting: &SlrSetting) -> f64 {
    let (g2, l1) = (setting.gamma * setting.gamma, setting.n_tokens as f64 - 1.0);
    setting.noise * setting.noise + g2 * l1 / (g2 + l1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oracle_is_exact_without_noise_tokens_at_large_lambda() {
        let setting = SlrSetting { n_tokens: 1, noise: 0.0, ..SlrSetting::default() };
        let task = SlrTask::new(setting, Seed::new(1)).unwrap();
        let batch = task.sample(&mut Seed::new(2).stream("t"), 50);
        let oracle = AttentionPredictor { k: task.k_star().clone(), v: task.v_star().clone() };
        // erf(lambda * sqrt(40) * ...) = 1 to rounding for lambda = 20.
        assert!(oracle.risk(&batch, 20.0) < 1e-20);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let setting = SlrSetting { d: 6, n_tokens: 4, ..SlrSetting::default() };
        let task = SlrTask::new(setting, Seed::new(3)).unwrap();
        let batch = task.sample(&mut Seed::new(4).stream("t"), 7);
        let mut rng = Seed::new(5).stream("p");
        let p = AttentionPredictor {
            k: gaussian_col(&mut rng, 6, 0.5),
            v: gaussian_col(&mut rng, 6, 0.5),
        };
        let (mut gk, mut gv) = (Col::zeros(6), Col::zeros(6));
        p.batch_gradient(&batch, 0.7, &mut gk, &mut gv);
        let h = 1e-6;
        for i in 0..6 {
            for (which, g) in [(0, &gk), (1, &gv)] {
                let (mut plus, mut minus) = (p.clone(), p.clone());
                if which == 0 {
                    plus.k[i] += h;
                    minus.k[i] -= h;
                } else {
                    plus.v[i] += h;
                    minus.v[i] -= h;
                }
                let fd = (plus.risk(&batch, 0.7) - minus.risk(&batch, 0.7)) / (2.0 * h);
                // Central differences: error O(h^2) times the third derivative, plus rounding
                // eps * risk / h.
                assert!(
                    (fd - g[i]).abs() < 1e-7 * (1.0 + g[i].abs()),
                    "{which} {i}: {fd} vs {}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn rejects_bad_settings() {
        assert!(SlrTask::new(SlrSetting { d: 1, ..SlrSetting::default() }, Seed::new(1)).is_err());
        assert!(
            SlrTask::new(SlrSetting { gamma: f64::NAN, ..SlrSetting::default() }, Seed::new(1))
                .is_err()
        );
    }
}
