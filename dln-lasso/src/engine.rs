//! What the LARS knot loop needs from the quadratic `(M, r)`, in Gram form ([`Problem`]) and in
//! design form ([`Design`]).
//!
//! Per knot the loop asks for the equiangular correlations `a = M_{:,A} d` of the direction `d`
//! of the active coefficients, then for the correlations `c = r - M x` at the next knot; when a
//! variable enters it asks for its Gram entries with the active set.
//!
//! - Gram form: `a` and `c` are sums over the active columns of `M`, `O(p |A|)` per knot, with
//!   `c` recomputed from the coefficients (no accumulated rounding).
//! - Design form: the active columns of `X` are kept side by side, so that `u = X_A d` and the
//!   Gram entries of an entering variable `w X_A^T x_j` are dense products of `n |A|`
//!   operations. The correlations of the inactive columns with the residual and with `u` are
//!   computed only for the columns that a safe bound cannot rule out (see [`DesignEngine`]);
//!   a full pass over `X` (`n p` operations) happens only when too many columns are
//!   candidates. All products run on one thread in a fixed order, so a path is bit-identical
//!   whatever the thread pool and whatever the columns screened.
//!
//! # References
//! - B. Efron, T. Hastie, I. Johnstone, R. Tibshirani, *Least angle regression*, Ann. Statist.
//!   32(2), 2004, §2 and §7.
//! - L. El Ghaoui, V. Viallon, T. Rabbani, *Safe feature elimination in sparse supervised
//!   learning*, Pacific J. Optim. 8(4), 2012 (safe tests from a reference point).

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use crate::design::Design;
use crate::lars::PathEvent;
use crate::problem::Problem;

/// Best entry event of one inactive variable `j` from its correlation `c_j` and equiangular
/// correlation `a_j`: `(gamma, event)`, or `None`.
pub(crate) type EntryRule<'r> = dyn Fn(usize, f64, f64) -> Option<(f64, PathEvent)> + 'r;

/// Smallest `gamma` first, then the smallest index.
fn better(cand: (f64, PathEvent), best: Option<(f64, PathEvent)>) -> bool {
    let var = |e: PathEvent| match e {
        PathEvent::Enter { var, .. } => var,
        _ => usize::MAX,
    };
    best.is_none_or(|b| cand.0 < b.0 || (cand.0 <= b.0 && var(cand.1) < var(b.1)))
}

/// The per-path state of the quadratic seen by LARS.
pub(crate) trait Engine {
    /// Number of features `p`.
    fn dim(&self) -> usize;
    /// `r`.
    fn corr(&self) -> &[f64];
    /// Writes `M_{A, var}` (in the order of `active`) into `out` and returns `M_{var, var}`.
    fn gram_column(&mut self, active: &[usize], var: usize, out: &mut Vec<f64>) -> f64;
    /// `var` was appended to the active set.
    fn activate(&mut self, var: usize);
    /// The `k`-th active variable was removed.
    fn deactivate(&mut self, k: usize);
    /// Sets the direction of the piece: `d` are the rates of the active coefficients (in the
    /// order of `active`) as `lambda` decreases.
    fn direction(&mut self, active: &[usize], d: &[f64]);
    /// The entry event with the smallest step `gamma < cap` over the variables `j` with
    /// `!skip(j)`, by `rule(j, c_j, a_j)`; ties go to the smallest index. Entries with a step
    /// above `screen_cap <= cap` lose to another event anyway and need not be found.
    fn next_entry(
        &mut self,
        lambda: f64,
        cap: f64,
        screen_cap: f64,
        skip: &dyn Fn(usize) -> bool,
        rule: &EntryRule<'_>,
    ) -> Option<(f64, PathEvent)>;
    /// Moves to the next knot: `x` are its coefficients (zero off `active`) and `gamma` the
    /// step in `lambda`.
    fn advance(&mut self, active: &[usize], x: &[f64], gamma: f64);
    /// `false` once a correlation or residual computed so far was NaN or infinite.
    fn finite(&self) -> bool;
}

/// Gram form: columns of the stored `M`.
pub(crate) struct GramEngine<'a> {
    problem: &'a Problem,
    c: Vec<f64>,
    a: Vec<f64>,
    finite: bool,
}

impl<'a> GramEngine<'a> {
    pub(crate) fn new(problem: &'a Problem) -> Self {
        let p = problem.dim();
        Self { problem, c: problem.corr().to_vec(), a: vec![0.0; p], finite: true }
    }
}

impl Engine for GramEngine<'_> {
    fn dim(&self) -> usize {
        self.problem.dim()
    }
    fn corr(&self) -> &[f64] {
        self.problem.corr()
    }
    fn gram_column(&mut self, active: &[usize], var: usize, out: &mut Vec<f64>) -> f64 {
        let col = self.problem.gram_col(var);
        out.clear();
        out.extend(active.iter().map(|&j| col[j]));
        col[var]
    }
    fn activate(&mut self, _var: usize) {}
    fn deactivate(&mut self, _k: usize) {}
    fn direction(&mut self, active: &[usize], d: &[f64]) {
        self.a.fill(0.0);
        for (&j, &dk) in active.iter().zip(d) {
            for (ai, mi) in self.a.iter_mut().zip(self.problem.gram_col(j)) {
                *ai += mi * dk;
            }
        }
        self.finite &= self.a.iter().all(|v| v.is_finite());
    }
    fn next_entry(
        &mut self,
        _lambda: f64,
        cap: f64,
        _screen_cap: f64,
        skip: &dyn Fn(usize) -> bool,
        rule: &EntryRule<'_>,
    ) -> Option<(f64, PathEvent)> {
        let mut best = None;
        for j in 0..self.c.len() {
            if !skip(j)
                && let Some(e) = rule(j, self.c[j], self.a[j])
                && e.0 < cap
                && better(e, best)
            {
                best = Some(e);
            }
        }
        best
    }
    fn advance(&mut self, active: &[usize], x: &[f64], _gamma: f64) {
        self.c.copy_from_slice(self.problem.corr());
        for &j in active {
            let xj = x[j];
            if xj != 0.0 {
                for (ci, mi) in self.c.iter_mut().zip(self.problem.gram_col(j)) {
                    *ci -= mi * xj;
                }
            }
        }
        self.finite &= self.c.iter().all(|v| v.is_finite());
    }
    fn finite(&self) -> bool {
        self.finite
    }
}

/// `(<x, u>, <x, v>)` with eight independent partial sums per product (vectorisable without
/// reassociation; the same summation order for every column).
fn dot2(x: &[f64], u: &[f64], v: &[f64]) -> (f64, f64) {
    const L: usize = 8;
    let (mut su, mut sv) = ([0.0; L], [0.0; L]);
    let (xc, uc, vc) = (x.chunks_exact(L), u.chunks_exact(L), v.chunks_exact(L));
    let (xr, ur, vr) = (xc.remainder(), uc.remainder(), vc.remainder());
    for ((xb, ub), vb) in xc.zip(uc).zip(vc) {
        for l in 0..L {
            su[l] += xb[l] * ub[l];
            sv[l] += xb[l] * vb[l];
        }
    }
    for ((xi, ui), vi) in xr.iter().zip(ur).zip(vr) {
        su[0] += xi * ui;
        sv[0] += xi * vi;
    }
    let fold = |s: [f64; L]| ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    (fold(su), fold(sv))
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `|a - b - gamma c|`.
fn dist(a: &[f64], b: &[f64], gamma: f64, c: &[f64]) -> f64 {
    a.iter().zip(b).zip(c).map(|((x, y), z)| (x - y - gamma * z).powi(2)).sum::<f64>().sqrt()
}

/// Above this fraction of the columns to evaluate, a knot evaluates them all and resets the
/// reference residual of the screening bound.
const FULL_PASS_FRACTION: f64 = 0.2;

/// Design form with safe screening of the inactive columns.
///
/// The correlation of column `j` with the residual `rho = y - X x` is `c_j = w <X_j, rho>`.
/// After a pass over all columns at a reference residual `rho_0`, Cauchy–Schwarz gives for
/// every later residual `|c_j| <= |c_j(rho_0)| + w |X_j| |rho - rho_0|`. On a piece
/// `rho(gamma) = rho - gamma u` and `|rho(gamma) - rho_0|` is convex in `gamma`, so its maximum
/// over a step is at an end. A column whose bound stays below `lambda - gamma` over the step
/// cannot reach the equicorrelation level: only the others are evaluated (two products of
/// length `n` each), and the step is verified against the bound until no unevaluated column
/// could enter first (a safe test in the sense of El Ghaoui, Viallon, Rabbani 2012; the step
/// is that of Efron et al. 2004, §2). When too many columns are candidates, one pass evaluates them all and resets
/// `rho_0`. Every evaluated correlation is the same product of the same vectors, so the path
/// does not depend on which columns were screened.
pub(crate) struct DesignEngine<'a> {
    design: &'a Design,
    /// Active columns of `X`, column-major `n x |A|`, in the order of the active set.
    x_active: Vec<f64>,
    /// `u = X_A d`.
    u: Vec<f64>,
    /// The residual `y - X x` of the current knot.
    res: Vec<f64>,
    /// The reference residual of the bound, when one was set.
    res_ref: Option<Vec<f64>>,
    /// `|c_j|` at the reference residual.
    c_ref: Vec<f64>,
    /// `w |X_j|`.
    col_norm: Vec<f64>,
    /// `c_j` and `a_j` where evaluated at the current knot (`stamp[j] == knot`).
    c: Vec<f64>,
    a: Vec<f64>,
    stamp: Vec<usize>,
    knot: usize,
    last_gamma: f64,
    todo: Vec<usize>,
    /// Absolute slack of the bound, above the rounding of the products.
    slack: f64,
    /// Fraction of the columns above which a knot makes a full pass.
    full_pass_fraction: f64,
    /// No NaN or infinity met so far.
    finite: bool,
    /// Full passes and single-column evaluations, for the log.
    passes: usize,
    evaluations: usize,
}

impl<'a> DesignEngine<'a> {
    pub(crate) fn new(design: &'a Design) -> Self {
        let (n, p) = (design.n_samples(), design.dim());
        // Room for as many active columns as can be independent; grows if rounding admits more.
        let cap = n.min(p).saturating_add(1).min(p);
        let col_norm = (0..p).map(|j| (design.weight() * design.sq_norm(j)).sqrt()).collect();
        let lambda_max = design.corr().iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        Self {
            design,
            x_active: Vec::with_capacity(n * cap),
            u: vec![0.0; n],
            res: design.response().to_vec(),
            res_ref: None,
            c_ref: vec![0.0; p],
            col_norm,
            c: vec![0.0; p],
            a: vec![0.0; p],
            stamp: vec![usize::MAX; p],
            knot: 0,
            last_gamma: 0.0,
            todo: Vec::with_capacity(p),
            slack: 1e-9 * lambda_max,
            full_pass_fraction: FULL_PASS_FRACTION,
            finite: true,
            passes: 0,
            evaluations: 0,
        }
    }

    /// Without screening: every knot evaluates every column.
    #[cfg(test)]
    pub(crate) fn unscreened(mut self) -> Self {
        self.full_pass_fraction = 0.0;
        self
    }

    /// Full passes and single-column evaluations so far.
    #[cfg(test)]
    pub(crate) fn work(&self) -> (usize, usize) {
        (self.passes, self.evaluations)
    }

    fn n(&self) -> usize {
        self.design.n_samples()
    }

    fn active_view(&self) -> MatRef<'_, f64> {
        let n = self.n();
        MatRef::from_column_major_slice(&self.x_active, n, self.x_active.len() / n)
    }

    fn evaluate(&mut self, j: usize) {
        let w = self.design.weight();
        let (cj, aj) = dot2(self.design.column(j), &self.res, &self.u);
        self.c[j] = w * cj;
        self.a[j] = w * aj;
        self.finite &= self.c[j].is_finite() && self.a[j].is_finite();
        self.stamp[j] = self.knot;
        self.evaluations += 1;
    }

    /// Evaluates every column and makes the current residual the reference.
    fn full_pass(&mut self) {
        for j in 0..self.dim() {
            self.evaluate(j);
        }
        self.evaluations -= self.dim();
        self.passes += 1;
        for (r, c) in self.c_ref.iter_mut().zip(&self.c) {
            *r = c.abs();
        }
        match &mut self.res_ref {
            Some(r) => r.copy_from_slice(&self.res),
            None => self.res_ref = Some(self.res.clone()),
        }
    }

    /// Lists into `todo` the unevaluated columns whose bound reaches `level` when the residual
    /// is at most `delta` from the reference.
    fn candidates(&mut self, level: f64, delta: f64, skip: &dyn Fn(usize) -> bool) {
        // Rounding of a product of length n, relative to w |X_j| |rho|.
        let round = 4.0 * self.n() as f64 * f64::EPSILON * (norm(&self.res) + delta);
        self.todo.clear();
        for j in 0..self.c_ref.len() {
            let bound = self.c_ref[j] + self.col_norm[j] * (delta + round) + self.slack;
            if self.stamp[j] != self.knot && bound >= level && !skip(j) {
                self.todo.push(j);
            }
        }
    }
}

impl Engine for DesignEngine<'_> {
    fn dim(&self) -> usize {
        self.design.dim()
    }
    fn corr(&self) -> &[f64] {
        self.design.corr()
    }
    fn gram_column(&mut self, active: &[usize], var: usize, out: &mut Vec<f64>) -> f64 {
        let k = active.len();
        out.clear();
        out.resize(k, 0.0);
        if k > 0 {
            let xa = self.active_view();
            let xv = self.design.x().col(var).as_mat();
            matmul(
                MatMut::from_column_major_slice_mut(out, k, 1),
                Accum::Replace,
                xa.transpose(),
                xv,
                self.design.weight(),
                Par::Seq,
            );
        }
        self.design.sq_norm(var)
    }
    fn activate(&mut self, var: usize) {
        self.x_active.extend_from_slice(self.design.column(var));
    }
    fn deactivate(&mut self, k: usize) {
        let n = self.n();
        self.x_active.drain(k * n..(k + 1) * n);
    }
    fn direction(&mut self, active: &[usize], d: &[f64]) {
        let (n, k) = (self.n(), active.len());
        debug_assert_eq!(self.x_active.len(), n * k);
        self.knot += 1;
        if k == 0 {
            self.u.fill(0.0);
            return;
        }
        let mut u = std::mem::take(&mut self.u);
        matmul(
            MatMut::from_column_major_slice_mut(&mut u, n, 1),
            Accum::Replace,
            self.active_view(),
            MatRef::from_column_major_slice(d, k, 1),
            1.0,
            Par::Seq,
        );
        self.u = u;
    }
    fn next_entry(
        &mut self,
        lambda: f64,
        cap: f64,
        screen_cap: f64,
        skip: &dyn Fn(usize) -> bool,
        rule: &EntryRule<'_>,
    ) -> Option<(f64, PathEvent)> {
        let p = self.dim();
        let too_many = (self.full_pass_fraction * p as f64) as usize;
        let mut best: Option<(f64, PathEvent)> = None;
        let consider = |this: &Self, j: usize, best: &mut Option<(f64, PathEvent)>| {
            if let Some(e) = rule(j, this.c[j], this.a[j])
                && e.0 < cap
                && better(e, *best)
            {
                *best = Some(e);
            }
        };
        let mut full = self.res_ref.is_none();
        if !full {
            // A first set from the previous step length, then verification of the step found.
            let res_ref = self.res_ref.as_deref().unwrap_or_default();
            let delta0 = dist(&self.res, res_ref, 0.0, &self.u);
            let guess = self.last_gamma.min(screen_cap);
            let mut level = lambda - guess;
            let mut delta = delta0 + guess * norm(&self.u);
            let mut evaluated = 0;
            // The first round uses the guess; only a round at the step found verifies it.
            let mut verifying = false;
            loop {
                self.candidates(level, delta, skip);
                evaluated += self.todo.len();
                if evaluated > too_many {
                    full = true;
                    break;
                }
                if verifying && self.todo.is_empty() {
                    break;
                }
                for i in 0..self.todo.len() {
                    let j = self.todo[i];
                    self.evaluate(j);
                    consider(self, j, &mut best);
                }
                let res_ref = self.res_ref.as_deref().unwrap_or_default();
                let step = best.map_or(screen_cap, |b| b.0.min(screen_cap));
                level = lambda - step;
                delta = delta0.max(dist(&self.res, res_ref, step, &self.u));
                verifying = true;
            }
        }
        if full {
            self.full_pass();
            best = None;
            for j in 0..p {
                if !skip(j) {
                    consider(self, j, &mut best);
                }
            }
        }
        self.last_gamma = best.map_or(screen_cap, |b| b.0);
        best
    }
    fn advance(&mut self, _active: &[usize], _x: &[f64], gamma: f64) {
        for (r, u) in self.res.iter_mut().zip(&self.u) {
            *r -= gamma * u;
        }
        self.finite &= self.res.iter().all(|v| v.is_finite());
    }
    fn finite(&self) -> bool {
        self.finite
    }
}

impl Drop for DesignEngine<'_> {
    fn drop(&mut self) {
        log::debug!(
            "LARS (design form): {} knots, {} full passes, {} single-column evaluations",
            self.knot,
            self.passes,
            self.evaluations
        );
    }
}
