//! Physics-informed neural networks: the empirical risk with data, boundary, initial and
//! residual terms, ridge and Sobolev penalties, and training by Adam then L-BFGS.

use faer::{Mat, MatRef};
use megavolt_core::nn::Adam;
use serde::{Deserialize, Serialize};

use crate::error::{PinnError, Result, non_negative, positive};
use crate::jet::{JetCache, JetSpec, TanhNet};
use crate::lbfgs::{LbfgsConfig, LbfgsReport, minimize};
use crate::operator::DiffOperator;

/// Collocation points per block of the residual evaluation.
const COLLOCATION_BLOCK: usize = 512;

/// Weights of the terms of the empirical risk (see [`PinnProblem`]).
///
/// | field | symbol | default | valid range |
/// |---|---|---|---|
/// | `data` | `lambda_d` | 1 | `>= 0` |
/// | `residual` | — | 1 | `>= 0` |
/// | `ridge` | `lambda_ridge` | 0 | `>= 0` |
/// | `sobolev` | `lambda_t` | 0 | `>= 0` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossWeights {
    /// Weight of the data term.
    pub data: f64,
    /// Weight of the residual term.
    pub residual: f64,
    /// Ridge penalty on all parameters.
    pub ridge: f64,
    /// Empirical `H^2` Sobolev penalty.
    pub sobolev: f64,
}

impl Default for LossWeights {
    fn default() -> Self {
        Self { data: 1.0, residual: 1.0, ridge: 0.0, sobolev: 0.0 }
    }
}

/// Points with target values (data, or a boundary or initial condition).
#[derive(Debug, Clone, PartialEq)]
pub struct PointSet {
    /// Name used in reports (`"boundary"`, `"initial"`, ...).
    pub name: String,
    /// `d x n` points.
    pub points: Mat<f64>,
    /// One target per point.
    pub values: Vec<f64>,
}

/// The terms of the empirical risk at one parameter vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossParts {
    /// `lambda_d` times the data mean squared error (0 without data).
    pub data: f64,
    /// Mean squared errors of the conditions, in the order they were added (unweighted).
    pub conditions: Vec<f64>,
    /// Weighted mean squared residual.
    pub residual: f64,
    /// `lambda_ridge |theta|^2`.
    pub ridge: f64,
    /// `lambda_t` times the empirical Sobolev norm.
    pub sobolev: f64,
    /// The sum of all terms.
    pub total: f64,
}

/// A linear PDE problem for a physics-informed network, with its empirical risk
///
/// ```text
/// R(theta) = (lambda_d / n) sum_i (u(X_i) - Y_i)^2 + sum_sets (1/n_e) sum_j (u(X_j) - h_j)^2
///          + (w_r / n_r) sum_l (D u(X_l) - g(X_l))^2 + lambda_ridge |theta|^2
///          + (lambda_t / n_r) sum_l (u^2 + sum_i u_i^2 + sum_{i,j} u_ij^2)(X_l),
/// ```
///
/// the last sum over ordered pairs (a mixed derivative counts twice), the empirical `H^2` norm
/// of the convergence paper. `D` is a [`DiffOperator`] of order at most two, `g` a source.
///
/// # Errors
/// [`PinnProblemBuilder::build`] returns [`PinnError::InvalidParameter`] for an operator of
/// order above two, mismatched dimensions or lengths, an empty point set, non-finite values or
/// negative weights.
///
/// # Example
/// ```
/// use faer::Mat;
/// use megavolt_core::rng::Seed;
/// use pinn::{DiffOperator, PinnProblem, jet::TanhNet};
/// // u' = u on [0, 1] with u(0) = 1.
/// let op = DiffOperator::derivative(1, 0, 1)? - DiffOperator::identity(1);
/// let colloc = Mat::from_fn(1, 20, |_, j| j as f64 / 19.0);
/// let problem = PinnProblem::builder(op, colloc)
///     .condition("initial", Mat::from_fn(1, 1, |_, _| 0.0), vec![1.0])
///     .build()?;
/// let net = TanhNet::glorot(&[1, 8, 1], &mut Seed::new(0).stream("init"))?;
/// let (parts, grad) = problem.loss_and_gradient(&net);
/// assert_eq!(grad.len(), net.n_params());
/// assert!(parts.total > 0.0);
/// # Ok::<(), pinn::PinnError>(())
/// ```
///
/// # References
/// Doumèche, Biau, Boyer, *On the convergence of PINNs*, Bernoulli 31 (2025), Sections 2, 4
/// (ridge) and 5 (Sobolev); Raissi, Perdikaris, Karniadakis, J. Comput. Phys. 378 (2019).
#[derive(Debug, Clone)]
pub struct PinnProblem {
    operator: DiffOperator,
    collocation: Mat<f64>,
    source: Vec<f64>,
    conditions: Vec<PointSet>,
    data: Option<PointSet>,
    weights: LossWeights,
    residual_spec: JetSpec,
    /// For each operator term: its channel in `residual_spec` and coefficient.
    term_channels: Vec<(usize, f64)>,
}

/// Builder of [`PinnProblem`].
#[derive(Debug, Clone)]
pub struct PinnProblemBuilder {
    operator: DiffOperator,
    collocation: Mat<f64>,
    source: Option<Vec<f64>>,
    conditions: Vec<PointSet>,
    data: Option<PointSet>,
    weights: LossWeights,
}

impl PinnProblemBuilder {
    /// Source values `g(X_l)` at the collocation points (default 0).
    pub fn source(mut self, values: Vec<f64>) -> Self {
        self.source = Some(values);
        self
    }

    /// Adds a condition `u = h` on a set of points (boundary or initial data).
    pub fn condition(mut self, name: &str, points: Mat<f64>, values: Vec<f64>) -> Self {
        self.conditions.push(PointSet { name: name.to_owned(), points, values });
        self
    }

    /// Noisy observations of the solution (hybrid modelling).
    pub fn data(mut self, points: Mat<f64>, values: Vec<f64>) -> Self {
        self.data = Some(PointSet { name: "data".to_owned(), points, values });
        self
    }

    /// Weights of the terms.
    pub fn weights(mut self, weights: LossWeights) -> Self {
        self.weights = weights;
        self
    }

    /// Validates the problem.
    ///
    /// # Errors
    /// See [`PinnProblem`].
    pub fn build(self) -> Result<PinnProblem> {
        let d = self.operator.dim();
        if self.operator.order() > 2 {
            return Err(PinnError::invalid("operator order", self.operator.order(), "at most 2"));
        }
        check_set("collocation", self.collocation.as_ref(), None, d)?;
        if self.collocation.ncols() == 0 {
            return Err(PinnError::invalid("point set size", "collocation", "at least one point"));
        }
        let source = self.source.unwrap_or_else(|| vec![0.0; self.collocation.ncols()]);
        check_set("collocation", self.collocation.as_ref(), Some(&source), d)?;
        for set in self.conditions.iter().chain(&self.data) {
            if set.points.ncols() == 0 {
                return Err(PinnError::invalid("point set size", &set.name, "at least one point"));
            }
            check_set("condition points", set.points.as_ref(), Some(&set.values), d)?;
        }
        let w = self.weights;
        non_negative("weights.data", w.data)?;
        non_negative("weights.residual", w.residual)?;
        non_negative("weights.ridge", w.ridge)?;
        non_negative("weights.sobolev", w.sobolev)?;

        let mut pairs = Vec::new();
        for (_, a) in self.operator.terms() {
            let axes: Vec<usize> = a
                .iter()
                .enumerate()
                .flat_map(|(i, &k)| std::iter::repeat_n(i, k as usize))
                .collect();
            if axes.len() == 2 {
                pairs.push((axes[0], axes[1]));
            }
        }
        let residual_spec =
            if w.sobolev > 0.0 { JetSpec::full(d) } else { JetSpec::with_pairs(d, &pairs) };
        let term_channels = self
            .operator
            .terms()
            .iter()
            .map(|(c, a)| {
                let axes: Vec<usize> = a
                    .iter()
                    .enumerate()
                    .flat_map(|(i, &k)| std::iter::repeat_n(i, k as usize))
                    .collect();
                let ch = match axes.as_slice() {
                    [] => 0,
                    [i] => 1 + i,
                    [i, j] => residual_spec.pair_channel(*i, *j).expect("pair is propagated"),
                    _ => unreachable!("order checked above"),
                };
                (ch, *c)
            })
            .collect();
        Ok(PinnProblem {
            operator: self.operator,
            collocation: self.collocation,
            source,
            conditions: self.conditions,
            data: self.data,
            weights: w,
            residual_spec,
            term_channels,
        })
    }
}

fn check_set(
    name: &'static str,
    points: MatRef<'_, f64>,
    values: Option<&[f64]>,
    d: usize,
) -> Result<()> {
    if points.nrows() != d {
        return Err(PinnError::invalid(name, format!("{} rows", points.nrows()), "d x n points"));
    }
    for j in 0..points.ncols() {
        for i in 0..d {
            if !points[(i, j)].is_finite() {
                return Err(PinnError::invalid(name, format!("point {j}"), "finite coordinates"));
            }
        }
    }
    if let Some(v) = values {
        if v.len() != points.ncols() {
            return Err(PinnError::invalid("values length", v.len(), "one value per point"));
        }
        if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
            return Err(PinnError::invalid("values", bad, "finite values"));
        }
    }
    Ok(())
}

impl PinnProblem {
    /// A builder with the operator `D` and the collocation points (`d x n_r`).
    pub fn builder(operator: DiffOperator, collocation: Mat<f64>) -> PinnProblemBuilder {
        PinnProblemBuilder {
            operator,
            collocation,
            source: None,
            conditions: Vec::new(),
            data: None,
            weights: LossWeights::default(),
        }
    }

    /// The operator `D`.
    pub fn operator(&self) -> &DiffOperator {
        &self.operator
    }

    /// The loss weights.
    pub fn weights(&self) -> LossWeights {
        self.weights
    }

    /// The same problem with other weights.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] for a negative weight.
    pub fn with_weights(&self, weights: LossWeights) -> Result<Self> {
        let mut b = PinnProblem::builder(self.operator.clone(), self.collocation.clone())
            .source(self.source.clone())
            .weights(weights);
        b.conditions = self.conditions.clone();
        b.data = self.data.clone();
        b.build()
    }

    /// The terms of the risk at the network's parameters.
    pub fn loss(&self, net: &TanhNet) -> LossParts {
        self.evaluate(net, false).0
    }

    /// The terms of the risk and its gradient with respect to the parameters.
    ///
    /// # Panics
    /// If the network's input dimension differs from the operator's.
    #[track_caller]
    pub fn loss_and_gradient(&self, net: &TanhNet) -> (LossParts, Vec<f64>) {
        let (parts, grad) = self.evaluate(net, true);
        (parts, grad.expect("gradient requested"))
    }

    /// The mean squared residual `(1/n) sum (D u - g)^2` at other points (a physics-inconsistency
    /// diagnostic), with zero source.
    ///
    /// # Panics
    /// If `points.nrows()` differs from the input dimension, or if `points` is empty.
    #[track_caller]
    pub fn residual_mse(&self, net: &TanhNet, points: MatRef<'_, f64>) -> f64 {
        assert!(points.ncols() > 0, "PinnProblem::residual_mse: no points given");
        let jets = net.forward(points, &self.residual_spec);
        let n = points.ncols();
        (0..n)
            .map(|p| {
                self.term_channels.iter().map(|&(c, a)| a * jets.data[(c, p)]).sum::<f64>().powi(2)
            })
            .sum::<f64>()
            / n as f64
    }

    #[track_caller]
    fn evaluate(&self, net: &TanhNet, with_grad: bool) -> (LossParts, Option<Vec<f64>>) {
        let d = self.operator.dim();
        assert_eq!(
            net.sizes()[0],
            d,
            "PinnProblem: network input dimension differs from the operator's"
        );
        let w = self.weights;
        let mut grad = with_grad.then(|| vec![0.0; net.n_params()]);
        // One cache for every block and point set: its buffers are reused.
        let mut cache = JetCache::new();
        let mut adj: Vec<f64> = Vec::new();

        // Residual and Sobolev terms on the collocation points.
        let n_r = self.collocation.ncols();
        let (mut residual, mut sobolev) = (0.0, 0.0);
        if n_r > 0 && (w.residual > 0.0 || w.sobolev > 0.0) {
            let spec = &self.residual_spec;
            let ch = spec.channels();
            let scale = 1.0 / n_r as f64;
            // Mixed second derivatives appear twice in the sum over ordered pairs.
            let mult: Vec<f64> = (0..ch)
                .map(|c| {
                    let mixed = c > d && spec.pairs()[c - 1 - d].0 != spec.pairs()[c - 1 - d].1;
                    if mixed { 2.0 } else { 1.0 }
                })
                .collect();
            // Blocks of points keep the jet channels of every layer in cache.
            let mut start = 0;
            while start < n_r {
                let len = COLLOCATION_BLOCK.min(n_r - start);
                let pts = self.collocation.as_ref().subcols(start, len);
                net.forward_into(pts, spec, &mut cache);
                let jets = cache.jets();
                adj.clear();
                adj.resize(ch * len, 0.0);
                for p in 0..len {
                    let a = &mut adj[p * ch..(p + 1) * ch];
                    let r: f64 =
                        self.term_channels.iter().map(|&(c, a)| a * jets[(c, p)]).sum::<f64>()
                            - self.source[start + p];
                    residual += w.residual * scale * r * r;
                    for &(c, coef) in &self.term_channels {
                        a[c] += 2.0 * w.residual * scale * r * coef;
                    }
                    if w.sobolev > 0.0 {
                        for c in 0..ch {
                            let v = jets[(c, p)];
                            sobolev += w.sobolev * scale * mult[c] * v * v;
                            a[c] += 2.0 * w.sobolev * scale * mult[c] * v;
                        }
                    }
                }
                if let Some(g) = grad.as_mut() {
                    let adj = MatRef::from_column_major_slice(&adj, ch, len);
                    net.backward_add(&mut cache, adj, g);
                }
                start += len;
            }
        }

        // Conditions and data: values only.
        let spec = JetSpec::values(d);
        let mut set_term = |set: &PointSet, weight: f64| -> f64 {
            net.forward_into(set.points.as_ref(), &spec, &mut cache);
            let n = set.points.ncols();
            adj.clear();
            adj.resize(n, 0.0);
            let mut mse = 0.0;
            let jets = cache.jets();
            for p in 0..n {
                let e = jets[(0, p)] - set.values[p];
                mse += e * e / n as f64;
                adj[p] = 2.0 * weight * e / n as f64;
            }
            if let Some(g) = grad.as_mut().filter(|_| weight > 0.0) {
                net.backward_add(&mut cache, MatRef::from_column_major_slice(&adj, 1, n), g);
            }
            mse
        };
        let conditions: Vec<f64> = self.conditions.iter().map(|s| set_term(s, 1.0)).collect();
        let data = self.data.as_ref().map_or(0.0, |s| w.data * set_term(s, w.data));

        let ridge = w.ridge * net.params().iter().map(|p| p * p).sum::<f64>();
        if let Some(g) = grad.as_mut() {
            g.iter_mut().zip(net.params()).for_each(|(gi, p)| *gi += 2.0 * w.ridge * p);
        }
        let total = data + conditions.iter().sum::<f64>() + residual + ridge + sobolev;
        (LossParts { data, conditions, residual, ridge, sobolev, total }, grad)
    }
}

/// Settings of [`train`]: Adam, then L-BFGS.
///
/// | field | default | valid range |
/// |---|---|---|
/// | `adam_steps` | 5000 | any |
/// | `adam_lr` | 1e-3 | `> 0` |
/// | `lbfgs_iters` | 0 (no L-BFGS) | any |
/// | `lbfgs` | [`LbfgsConfig::default`] | see there |
/// | `record_every` | 100 | `>= 1` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Full-batch Adam steps.
    pub adam_steps: usize,
    /// Adam step size.
    pub adam_lr: f64,
    /// L-BFGS iterations after Adam.
    pub lbfgs_iters: usize,
    /// L-BFGS settings (its `max_iters` is replaced by `lbfgs_iters`).
    pub lbfgs: LbfgsConfig,
    /// Record the loss every this many Adam steps.
    pub record_every: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            adam_steps: 5000,
            adam_lr: 1e-3,
            lbfgs_iters: 0,
            lbfgs: LbfgsConfig::default(),
            record_every: 100,
        }
    }
}

/// What [`train`] did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// `(iteration, total loss)`, Adam steps first, then L-BFGS iterations continuing the count.
    pub history: Vec<(usize, f64)>,
    /// Loss terms at the final parameters.
    pub final_loss: LossParts,
    /// The L-BFGS run, if any (without its final point, which is in the network).
    pub lbfgs: Option<LbfgsReport>,
}

/// Trains `net` on `problem`: `adam_steps` full-batch Adam steps, then up to `lbfgs_iters`
/// L-BFGS iterations.
///
/// # Errors
/// [`PinnError::InvalidParameter`] for an invalid configuration; [`PinnError::NonFinite`] with
/// the step at which the loss or its gradient stopped being finite.
///
/// # Panics
/// If the network's input dimension differs from the problem's.
///
/// # Example
/// ```
/// use faer::Mat;
/// use megavolt_core::rng::Seed;
/// use pinn::{DiffOperator, PinnProblem, TrainConfig, jet::TanhNet, train};
/// let op = DiffOperator::derivative(1, 0, 1)? - DiffOperator::identity(1);
/// let colloc = Mat::from_fn(1, 16, |_, j| j as f64 / 15.0);
/// let problem = PinnProblem::builder(op, colloc)
///     .condition("initial", Mat::from_fn(1, 1, |_, _| 0.0), vec![1.0])
///     .build()?;
/// let mut net = TanhNet::glorot(&[1, 8, 1], &mut Seed::new(0).stream("init"))?;
/// let cfg = TrainConfig { adam_steps: 200, adam_lr: 1e-2, lbfgs_iters: 200, ..Default::default() };
/// let report = train(&problem, &mut net, &cfg)?;
/// assert!(report.final_loss.total < 1e-6);
/// # Ok::<(), pinn::PinnError>(())
/// ```
#[track_caller]
pub fn train(problem: &PinnProblem, net: &mut TanhNet, cfg: &TrainConfig) -> Result<TrainReport> {
    positive("adam_lr", cfg.adam_lr)?;
    if cfg.record_every == 0 {
        return Err(PinnError::invalid("record_every", 0, ">= 1"));
    }
    let mut params = net.params().to_vec();
    let mut adam = Adam::new(cfg.adam_lr, params.len());
    let mut history = Vec::new();
    for step in 0..cfg.adam_steps {
        let (parts, grad) = problem.loss_and_gradient(net);
        if !parts.total.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(PinnError::NonFinite { step, time: step as f64 });
        }
        if step % cfg.record_every == 0 {
            history.push((step, parts.total));
        }
        adam.step(&mut params, &grad);
        net.set_params(&params);
    }
    let mut lbfgs = None;
    if cfg.lbfgs_iters > 0 {
        let lcfg = LbfgsConfig { max_iters: cfg.lbfgs_iters, ..cfg.lbfgs };
        let mut work = net.clone();
        let report = minimize(&lcfg, &params, |p, g| {
            work.set_params(p);
            let (parts, grad) = problem.loss_and_gradient(&work);
            g.copy_from_slice(&grad);
            parts.total
        })
        .map_err(|e| match e {
            PinnError::NonFinite { .. } => {
                PinnError::NonFinite { step: cfg.adam_steps, time: cfg.adam_steps as f64 }
            }
            other => other,
        })?;
        net.set_params(&report.x);
        history.extend(
            report.history.iter().enumerate().skip(1).map(|(i, &f)| (cfg.adam_steps + i, f)),
        );
        lbfgs = Some(LbfgsReport { x: Vec::new(), ..report });
    }
    let final_loss = problem.loss(net);
    if !final_loss.total.is_finite() {
        return Err(PinnError::NonFinite { step: cfg.adam_steps + cfg.lbfgs_iters, time: 0.0 });
    }
    history.push((cfg.adam_steps + lbfgs.as_ref().map_or(0, |r| r.iters), final_loss.total));
    log::debug!("PINN training: final loss {:e}", final_loss.total);
    Ok(TrainReport { history, final_loss, lbfgs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use megavolt_core::rng::Seed;

    fn heat_problem(weights: LossWeights) -> PinnProblem {
        let dt = DiffOperator::derivative(2, 0, 1).unwrap();
        let dxx = DiffOperator::derivative(2, 1, 2).unwrap();
        let colloc =
            Mat::from_fn(
                2,
                12,
                |i, j| if i == 0 { (j % 4) as f64 / 4.0 } else { (j / 4) as f64 / 3.0 },
            );
        let init = Mat::from_fn(2, 5, |i, j| if i == 0 { 0.0 } else { j as f64 / 4.0 });
        let vals = (0..5).map(|j| (std::f64::consts::PI * j as f64 / 4.0).sin()).collect();
        PinnProblem::builder(dt - dxx, colloc)
            .condition("initial", init, vals)
            .data(Mat::from_fn(2, 3, |i, j| 0.2 + 0.1 * (i + j) as f64), vec![0.1, 0.2, 0.3])
            .weights(weights)
            .build()
            .unwrap()
    }

    #[test]
    fn loss_gradient_matches_finite_differences() {
        let w = LossWeights { data: 2.0, residual: 1.5, ridge: 0.01, sobolev: 0.1 };
        let problem = heat_problem(w);
        let mut net = TanhNet::glorot(&[2, 6, 5, 1], &mut Seed::new(2).stream("init")).unwrap();
        let (parts, g) = problem.loss_and_gradient(&net);
        assert!(parts.sobolev > 0.0 && parts.ridge > 0.0 && parts.data > 0.0);
        let p0 = net.params().to_vec();
        let h = 1e-6;
        for k in (0..p0.len()).step_by(3) {
            let mut p = p0.clone();
            p[k] += h;
            net.set_params(&p);
            let fp = problem.loss(&net).total;
            p[k] -= 2.0 * h;
            net.set_params(&p);
            let fm = problem.loss(&net).total;
            let fd = (fp - fm) / (2.0 * h);
            assert!((fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()), "param {k}: {fd} vs {}", g[k]);
        }
    }

    #[test]
    fn invalid_problems_are_rejected() {
        let op3 = DiffOperator::derivative(1, 0, 3).unwrap();
        assert!(PinnProblem::builder(op3, Mat::zeros(1, 3)).build().is_err());
        let op = DiffOperator::identity(2);
        assert!(PinnProblem::builder(op.clone(), Mat::zeros(1, 3)).build().is_err());
        let bad = LossWeights { ridge: -1.0, ..LossWeights::default() };
        assert!(PinnProblem::builder(op.clone(), Mat::zeros(2, 3)).weights(bad).build().is_err());
        assert!(
            PinnProblem::builder(op.clone(), Mat::zeros(2, 3))
                .condition("b", Mat::zeros(2, 2), vec![0.0])
                .build()
                .is_err()
        );
        let empty = PinnProblem::builder(op, Mat::zeros(2, 0)).build().unwrap_err();
        assert_eq!(
            empty.to_string(),
            "invalid parameter `point set size` = collocation: expected at least one point"
        );
    }
}
