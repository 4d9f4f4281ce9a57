//! Exact Lipschitz constants of small ReLU networks by enumerating the activation regions that
//! have interior.
//!
//! A ReLU network is continuous and affine on each activation region, and the domain is convex,
//! so
//!
//! ```text
//! L_p(f) = max over regions R with non-empty interior of |J_R|_{p -> p}.
//! ```
//!
//! A pattern that is feasible only on a lower-dimensional set (both units of
//! `relu(x) - relu(-x)` active at `x = 0`) must not count. [`exact_lipschitz`] walks the tree of
//! partial patterns layer by layer and unit by unit; a branch survives only if the linear
//! program
//!
//! ```text
//! maximise t  subject to  s_i (a_i^T x + c_i) >= t |a_i|_2  for every decided unit,
//!                         x in the domain with margin t,   t <= 1,
//! ```
//!
//! (`a_i^T x + c_i` the unit's pre-activation on the partial region, `s_i = +1` active,
//! `-1` inactive) has optimum `t* > interior_tol`: `t*` is the radius of the largest ball in the
//! region. The side of a split that contains the parent's ball centre with margin needs no
//! program. For one input dimension, [`exact_lipschitz_1d`] splits the line at every zero
//! crossing instead, which is exact and cheap also for deep networks.

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::domain::Domain;
use crate::error::{LipError, Result};
use crate::lp::maximise;
use crate::network::{ActivationPattern, ReluNet, unbalance};
use crate::norms::{Norm, mul, operator_norm};

/// Configuration of [`exact_lipschitz`].
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `norm` | — | norm of the constant | any |
/// | `domain` | [`Domain::Global`] | whole space or a box (local constant) | box of the input dimension |
/// | `max_regions` | 200 000 | stop with [`LipError::TooLarge`] beyond this many regions | `>= 1` |
/// | `interior_tol` | 1e-9 | smallest inscribed-ball radius counted as interior, relative to the box's smallest half-width when that is below 1 | `(0, 1e-2]` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactConfig {
    norm: Norm,
    domain: Domain,
    max_regions: usize,
    interior_tol: f64,
}

impl ExactConfig {
    /// Defaults for `norm` on the whole space.
    pub fn new(norm: Norm) -> Self {
        Self { norm, domain: Domain::Global, max_regions: 200_000, interior_tol: 1e-9 }
    }

    /// Restricts to a domain (a box gives the local constant over the box).
    pub fn domain(mut self, domain: Domain) -> Self {
        self.domain = domain;
        self
    }

    /// Sets the region budget.
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `max_regions == 0`.
    pub fn max_regions(mut self, max_regions: usize) -> Result<Self> {
        if max_regions == 0 {
            return Err(LipError::invalid("max_regions", max_regions, "at least 1"));
        }
        self.max_regions = max_regions;
        Ok(self)
    }

    /// Sets the interior tolerance.
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] unless `0 < interior_tol <= 1e-2`.
    pub fn interior_tol(mut self, interior_tol: f64) -> Result<Self> {
        if !(interior_tol > 0.0 && interior_tol <= 1e-2) {
            return Err(LipError::invalid("interior_tol", interior_tol, "in (0, 1e-2]"));
        }
        self.interior_tol = interior_tol;
        Ok(self)
    }
}

/// Result of an exact computation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactResult {
    /// The Lipschitz constant.
    pub value: f64,
    /// Number of activation regions with interior met in the domain.
    pub n_regions: usize,
    /// Number of linear programs solved.
    pub lp_solves: usize,
    /// A pattern of a maximising region.
    pub pattern: ActivationPattern,
    /// A point in the interior of that region (centre of its largest inscribed ball, capped).
    pub witness: Vec<f64>,
}

/// One decided unit: `g^T x + h >= t` with `|g|_2 = 1`.
#[derive(Clone)]
struct Halfspace {
    g: Vec<f64>,
    h: f64,
}

struct Search<'a> {
    net: &'a ReluNet,
    cfg: &'a ExactConfig,
    best: Option<(f64, ActivationPattern, Vec<f64>)>,
    n_regions: usize,
    lp_solves: usize,
    /// `interior_tol` times the domain's half-width (capped at 1).
    tol: f64,
}

/// The exact Lipschitz constant over `config.domain` by region enumeration (see the
/// [module documentation](self)).
///
/// Cost: one small linear program per surviving branch of the pattern tree, at most
/// `2^{hidden units}`; for one hidden layer of width `n` on `R^d` there are at most
/// `sum_{i <= d} C(n, i)` regions.
///
/// ```
/// use lipschitz::{ExactConfig, Norm, ReluNet, exact_lipschitz};
/// // relu(x) - relu(-x) = x: the pattern with both units active is not realisable.
/// let id = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None)?;
/// let r = exact_lipschitz(&id, &ExactConfig::new(Norm::L2))?;
/// assert!((r.value - 1.0).abs() < 1e-12);
/// assert_eq!(r.n_regions, 2);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if a box domain does not have the network's input
/// dimension; [`LipError::TooLarge`] beyond `max_regions`; [`LipError::Solver`] if a linear
/// program fails; [`LipError::Decomposition`] if an SVD fails.
///
/// # References
/// M. Jordan and A. G. Dimakis, *Exactly computing the local Lipschitz constant of ReLU
/// networks*, NeurIPS 2020 (exact local constants, there by mixed-integer programming).
pub fn exact_lipschitz(net: &ReluNet, config: &ExactConfig) -> Result<ExactResult> {
    // The search runs on the balanced network (every layer's largest weight in [1/2, 1)), so
    // that its thresholds are relative to the weights' scale; the value is scaled back exactly.
    config.domain.check(net.in_dim())?;
    let (unit, e) = net.unit_balanced().balanced()?;
    let mut r = exact_unit_scale(&unit, config)?;
    r.value = unbalance(r.value, e)?;
    Ok(r)
}

/// [`exact_lipschitz`] on a network whose weights are of order one.
fn exact_unit_scale(net: &ReluNet, config: &ExactConfig) -> Result<ExactResult> {
    let d = net.in_dim();
    let (start, cons) = match &config.domain {
        Domain::Global => (vec![0.0; d], Vec::new()),
        Domain::Box { lo, hi } => {
            let mut cons = Vec::with_capacity(2 * d);
            for k in 0..d {
                let mut e = vec![0.0; d];
                e[k] = 1.0;
                cons.push(Halfspace { g: e.clone(), h: -lo[k] });
                e[k] = -1.0;
                cons.push(Halfspace { g: e, h: hi[k] });
            }
            (lo.iter().zip(hi).map(|(a, b)| 0.5 * (a + b)).collect(), cons)
        }
    };
    let radius = match &config.domain {
        Domain::Global => 1.0,
        Domain::Box { lo, hi } => {
            lo.iter().zip(hi).map(|(a, b)| 0.5 * (b - a)).fold(f64::INFINITY, f64::min).min(1.0)
        }
    };
    let tol = config.interior_tol * radius;
    let mut s = Search { net, cfg: config, best: None, n_regions: 0, lp_solves: 0, tol };
    let a0 = Mat::<f64>::identity(d, d);
    let first = mul(net.weights()[0].as_ref(), a0.as_ref());
    let c0: Vec<f64> = net.biases()[0].iter().copied().collect();
    s.walk(0, 0, &first, &c0, &mut vec![Vec::new()], cons, start, radius)?;
    let (value, pattern, witness) = s.best.ok_or_else(|| LipError::Solver {
        status: format!(
            "no activation region with an inscribed ball of radius above {tol:e} \
             (interior_tol times the domain's half-width) found in the domain"
        ),
    })?;
    log::debug!("exact_lipschitz: {} regions, {} linear programs", s.n_regions, s.lp_solves);
    Ok(ExactResult { value, n_regions: s.n_regions, lp_solves: s.lp_solves, pattern, witness })
}

impl Search<'_> {
    /// Decides unit `i` of hidden layer `l`, whose pre-activations on the current partial region
    /// are `a x + c`. `center` is the centre of a ball of radius `radius` inside the region.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        l: usize,
        i: usize,
        a: &Mat<f64>,
        c: &[f64],
        pattern: &mut ActivationPattern,
        cons: Vec<Halfspace>,
        center: Vec<f64>,
        radius: f64,
    ) -> Result<()> {
        let m = self.net.depth();
        if l + 1 == m {
            return self.leaf(pattern, a, center);
        }
        if i == a.nrows() {
            // Layer complete: pre-activations of the next layer.
            let mask = pattern.last().expect("current layer").clone();
            let mut da = a.clone();
            let mut dc = c.to_vec();
            for (k, &on) in mask.iter().enumerate() {
                if !on {
                    da.row_mut(k).fill(0.0);
                    dc[k] = 0.0;
                }
            }
            let w = &self.net.weights()[l + 1];
            let na = mul(w.as_ref(), da.as_ref());
            let b = &self.net.biases()[l + 1];
            let nc: Vec<f64> = (0..w.nrows())
                .map(|r| b[r] + (0..w.ncols()).map(|k| w[(r, k)] * dc[k]).sum::<f64>())
                .collect();
            if l + 2 < m {
                pattern.push(Vec::new());
            }
            self.walk(l + 1, 0, &na, &nc, pattern, cons, center, radius)?;
            if l + 2 < m {
                pattern.pop();
            }
            return Ok(());
        }
        let row: Vec<f64> = (0..a.ncols()).map(|k| a[(i, k)]).collect();
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        let tol = self.tol;
        if norm <= 1e-14 * (1.0 + c[i].abs()) {
            // Constant unit on the region: its state is forced (and irrelevant if c = 0).
            pattern.last_mut().expect("layer").push(c[i] > 0.0);
            self.walk(l, i + 1, a, c, pattern, cons, center, radius)?;
            pattern.last_mut().expect("layer").pop();
            return Ok(());
        }
        let g: Vec<f64> = row.iter().map(|v| v / norm).collect();
        let h = c[i] / norm;
        let at_center = dot(&g, &center) + h;
        for active in [true, false] {
            let s = if active { 1.0 } else { -1.0 };
            let half = Halfspace { g: g.iter().map(|v| s * v).collect(), h: s * h };
            let mut next = cons.clone();
            next.push(half);
            // The side holding the centre with margin keeps a ball of radius min(radius, margin).
            let margin = s * at_center;
            let (ok, ctr, rad) = if margin > tol {
                (true, center.clone(), radius.min(margin))
            } else {
                let (t, x) = self.chebyshev(&next, &center)?;
                (t > tol, x, t)
            };
            if ok {
                pattern.last_mut().expect("layer").push(active);
                self.walk(l, i + 1, a, c, pattern, next, ctr, rad)?;
                pattern.last_mut().expect("layer").pop();
            }
        }
        Ok(())
    }

    fn leaf(&mut self, pattern: &ActivationPattern, a: &Mat<f64>, center: Vec<f64>) -> Result<()> {
        self.n_regions += 1;
        if self.n_regions > self.cfg.max_regions {
            return Err(LipError::TooLarge {
                what: "activation regions",
                size: self.n_regions,
                limit: self.cfg.max_regions,
            });
        }
        // At the leaf `a` is the Jacobian W_m D_{m-1} ... W_1 of the region.
        let v = operator_norm(a.as_ref(), self.cfg.norm)?;
        if self.best.as_ref().is_none_or(|b| v > b.0) {
            self.best = Some((v, pattern.clone(), center));
        }
        Ok(())
    }

    /// Largest `t <= 1` with a ball of radius `t` inside `{g_k^T x + h_k >= 0}`, and its centre.
    fn chebyshev(&mut self, cons: &[Halfspace], x0: &[f64]) -> Result<(f64, Vec<f64>)> {
        self.lp_solves += 1;
        let d = x0.len();
        let margins: Vec<f64> = cons.iter().map(|k| dot(&k.g, x0) + k.h).collect();
        let t0 = margins.iter().copied().fold(0.0, f64::min);
        // Variables u+ (d), u- (d), tau; x = x0 + u+ - u-, t = t0 + tau.
        let n = 2 * d + 1;
        let mut a = Mat::zeros(cons.len() + 1, n);
        let mut b = Vec::with_capacity(cons.len() + 1);
        for (r, k) in cons.iter().enumerate() {
            for j in 0..d {
                a[(r, j)] = -k.g[j];
                a[(r, d + j)] = k.g[j];
            }
            a[(r, 2 * d)] = 1.0;
            b.push((margins[r] - t0).max(0.0));
        }
        a[(cons.len(), 2 * d)] = 1.0;
        b.push(1.0 - t0);
        let mut obj = vec![0.0; n];
        obj[2 * d] = 1.0;
        let sol = maximise(a.as_ref(), &b, &obj)?;
        let x: Vec<f64> = (0..d).map(|j| x0[j] + sol.y[j] - sol.y[d + j]).collect();
        Ok((t0 + sol.value, x))
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Exact constant of a network with one input on the whole line or an interval `[lo, hi]`, by
/// splitting at every zero crossing of every unit, layer by layer. Returns the constant and
/// the number of linear pieces.
///
/// For one input the operator norm of the `n_m x 1` Jacobian is the vector `p`-norm of its
/// column.
///
/// ```
/// use lipschitz::{Norm, ReluNet, exact_lipschitz_1d};
/// let abs = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// let (l, pieces) = exact_lipschitz_1d(&abs, Norm::L2, None)?;
/// assert!((l - 1.0).abs() < 1e-15);
/// assert_eq!(pieces, 2);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if the network has more than one input or the interval is
/// not finite with `lo < hi`.
pub fn exact_lipschitz_1d(
    net: &ReluNet,
    norm: Norm,
    interval: Option<(f64, f64)>,
) -> Result<(f64, usize)> {
    if net.in_dim() != 1 {
        return Err(LipError::invalid("network input dimension", net.in_dim(), "1"));
    }
    let (lo, hi) = interval.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
    if interval.is_some() && !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(LipError::invalid("interval", format!("[{lo}, {hi}]"), "finite lo < hi"));
    }
    // On the balanced network (same pieces, no overflow), scaled back exactly.
    let (unit, e) = net.unit_balanced().balanced()?;
    let (value, pieces) = exact_1d_balanced(&unit, norm, lo, hi);
    Ok((unbalance(value, e)?, pieces))
}

/// [`exact_lipschitz_1d`] on a network whose weights are of order one.
fn exact_1d_balanced(net: &ReluNet, norm: Norm, lo: f64, hi: f64) -> (f64, usize) {
    // A piece: interval, and the layer input as slope * x + offset.
    let mut pieces = vec![(lo, hi, vec![1.0], vec![0.0])];
    let m = net.depth();
    for l in 0..m - 1 {
        let (w, b) = (&net.weights()[l], &net.biases()[l]);
        let mut next = Vec::with_capacity(pieces.len());
        for (plo, phi, slope, off) in pieces {
            let p: Vec<f64> = (0..w.nrows())
                .map(|r| (0..w.ncols()).map(|k| w[(r, k)] * slope[k]).sum())
                .collect();
            let q: Vec<f64> = (0..w.nrows())
                .map(|r| b[r] + (0..w.ncols()).map(|k| w[(r, k)] * off[k]).sum::<f64>())
                .collect();
            let mut cuts: Vec<f64> = p
                .iter()
                .zip(&q)
                .filter(|(pi, _)| **pi != 0.0)
                .map(|(pi, qi)| -qi / pi)
                .filter(|x| *x > plo && *x < phi)
                .collect();
            cuts.sort_by(f64::total_cmp);
            cuts.dedup();
            let mut ends = vec![plo];
            ends.extend(cuts);
            ends.push(phi);
            for e in ends.windows(2) {
                let (a, z) = (e[0], e[1]);
                let mid = match (a.is_finite(), z.is_finite()) {
                    (true, true) => 0.5 * (a + z),
                    (false, true) => z - 1.0 - z.abs(),
                    (true, false) => a + 1.0 + a.abs(),
                    (false, false) => 0.0,
                };
                let on: Vec<bool> = (0..p.len()).map(|r| p[r] * mid + q[r] > 0.0).collect();
                let s: Vec<f64> = (0..p.len()).map(|r| if on[r] { p[r] } else { 0.0 }).collect();
                let o: Vec<f64> = (0..p.len()).map(|r| if on[r] { q[r] } else { 0.0 }).collect();
                next.push((a, z, s, o));
            }
        }
        pieces = next;
    }
    let w = &net.weights()[m - 1];
    let mut best: f64 = 0.0;
    for (_, _, slope, _) in &pieces {
        let j: Vec<f64> =
            (0..w.nrows()).map(|r| (0..w.ncols()).map(|k| w[(r, k)] * slope[k]).sum()).collect();
        best = best.max(norm.vector(&j));
    }
    (best, pieces.len())
}
