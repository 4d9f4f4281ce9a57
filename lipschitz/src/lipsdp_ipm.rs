//! LipSDP-Neuron solved by a structure-exploiting primal-dual interior-point method (pure Rust).
//!
//! The semidefinite program of Fazlyab et al. (2019, Theorem 2, Neuron parametrisation) for a
//! ReLU network with input width `n_0` and `n_u` hidden units, `n = n_0 + n_u`, is written in
//! the dual standard form with `m = 1 + n_u` scalar variables `y = (rho, lambda)`:
//!
//! ```text
//! max  b^T y   s.t.   S = C - sum_i y_i A_i >= 0 (n x n),   s = lambda >= 0 (n_u),
//! b = (-1, 0, ..., 0),   C = -W_L^T W_L (last hidden block),
//! A_0 = -diag(I_{n_0}, 0),   A_v = e_d a_v^T + a_v e_d^T,  a_v = w_v - e_d,  d = n_0 + v,
//! ```
//!
//! where `w_v` holds the row of the incoming weight matrix of hidden unit `v` in the block of
//! the previous layer, so that `S = -M(rho, lambda)`. Its primal is
//! `min <C, X>` s.t. `<A_i, X> - x_i = b_i` (the `x` part only for the `lambda` rows),
//! `X >= 0`, `x >= 0`.
//!
//! Each iteration computes the HKM search direction (Helmberg, Rendl, Vanderbei and Wolkowicz
//! 1996; Kojima, Shindoh and Hara 1997; Monteiro 1997): with `Z = S^{-1}`,
//!
//! ```text
//! H dy = r_p - A(G) + A(X R_d Z),   H_ij = tr(A_i X A_j Z) + [i = j >= 1] x_i / s_i,
//! dS = R_d - A^T(dy),   dX = sym(G - X dS Z),
//! ```
//!
//! with `G = sigma mu Z - X` (minus `dX_aff dS_aff Z` in Mehrotra's corrector), `R_d` and `r_p`
//! the dual and primal residuals. Because every `A_v` is a symmetric rank-2 matrix supported on
//! one row and column, `H` is assembled from `X A`, `Z A` (`n x n_u`) and `A^T X A`,
//! `A^T Z A` (`n_u x n_u`) at `O(m n^2)` cost, instead of the `O(m n^3)` of a generic solver;
//! the dense work per iteration is a few Cholesky factorisations and symmetric eigenvalue
//! problems of size `n`. Mehrotra's predictor-corrector (as in SDPT3, Todd, Toh and Tütüncü
//! 1998) chooses `sigma = (mu_aff / mu)^e` with `e = max(1, 3 min(alpha_p, alpha_d)^2)` from
//! the predictor's step lengths; step lengths are `gamma = 0.9 + 0.09 min(alpha_p, alpha_d)`
//! times the largest steps keeping `X` and `S` positive definite, from the eigenvalues of `L^{-1} dX L^{-T}` with `X = L L^T`.
//! The iteration stops when the relative duality gap and the relative primal and dual
//! infeasibilities are all at most `tol`.
//!
//! # References
//! M. Fazlyab, A. Robey, H. Hassani, M. Morari and G. J. Pappas, *Efficient and accurate
//! estimation of Lipschitz constants for deep neural networks*, NeurIPS 2019, Theorem 2.
//! C. Helmberg, F. Rendl, R. J. Vanderbei and H. Wolkowicz, *An interior-point method for
//! semidefinite programming*, SIAM J. Optim. 6 (1996) 342–361.
//! M. Kojima, S. Shindoh and S. Hara, *Interior-point methods for the monotone semidefinite
//! linear complementarity problem in symmetric matrices*, SIAM J. Optim. 7 (1997) 86–125.
//! R. D. C. Monteiro, *Primal-dual path-following algorithms for semidefinite programming*,
//! SIAM J. Optim. 7 (1997) 663–678.
//! M. J. Todd, K. C. Toh and R. H. Tütüncü, *On the Nesterov–Todd direction in semidefinite
//! programming*, SIAM J. Optim. 8 (1998) 769–796; K. C. Toh, M. J. Todd and R. H. Tütüncü,
//! *SDPT3 — a MATLAB software package for semidefinite programming*, Optim. Methods Softw. 11
//! (1999) 545–581.

use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Mat, MatRef, Par, Side};
use serde::{Deserialize, Serialize};

use crate::error::{LipError, Result};
use crate::network::{ReluNet, unbalance_lipsdp};
use crate::norms::mul;

/// Configuration of [`lipsdp_neuron_ipm`].
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `tol` | 1e-8 | bound on the relative gap and the relative infeasibilities | `[1e-12, 1e-2]` |
/// | `max_iter` | 100 | interior-point iterations | `>= 1` |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IpmConfig {
    tol: f64,
    max_iter: u32,
}

impl Default for IpmConfig {
    fn default() -> Self {
        Self { tol: 1e-8, max_iter: 100 }
    }
}

/// Checks the stopping tolerance (`[1e-12, 1e-2]`) and iteration budget (at least one) shared
/// by the LipSDP solvers.
pub(crate) fn check_solver_budget(tol: f64, max_iter: u32) -> Result<()> {
    if !(1e-12..=1e-2).contains(&tol) {
        return Err(LipError::invalid("tol", tol, "in [1e-12, 1e-2]"));
    }
    if max_iter == 0 {
        return Err(LipError::invalid("max_iter", max_iter, "at least 1"));
    }
    Ok(())
}

impl IpmConfig {
    /// A validated configuration.
    ///
    /// ```
    /// use lipschitz::lipsdp_ipm::IpmConfig;
    /// assert!(IpmConfig::new(1e-8, 50).is_ok());
    /// assert!(IpmConfig::new(1.0, 50).is_err());
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `tol` is outside `[1e-12, 1e-2]` or `max_iter == 0`.
    pub fn new(tol: f64, max_iter: u32) -> Result<Self> {
        check_solver_budget(tol, max_iter)?;
        Ok(Self { tol, max_iter })
    }

    /// The stopping tolerance.
    pub fn tol(&self) -> f64 {
        self.tol
    }

    /// The iteration limit.
    pub fn max_iter(&self) -> u32 {
        self.max_iter
    }
}

/// Result of [`lipsdp_neuron_ipm`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpmSolution {
    /// `sqrt(rho)`, the l2 upper bound.
    pub value: f64,
    /// The optimal `rho`.
    pub rho: f64,
    /// The multipliers `lambda >= 0`, one per hidden unit, layer by layer.
    /// (Scaled back from the balanced network: outside the range of `f64` they read `0` or
    /// `inf`; see [`ReluNet::balanced`].)
    pub multipliers: Vec<f64>,
    /// Largest eigenvalue of `M(rho, lambda)` at the returned point (`<= 0` up to tolerance),
    /// for the LMI of the balanced network ([`ReluNet::balanced`]) on which the problem is
    /// solved.
    pub lmi_max_eigenvalue: f64,
    /// Interior-point iterations.
    pub iterations: u32,
    /// Final relative duality gap.
    pub gap: f64,
    /// Final relative primal infeasibility.
    pub primal_infeasibility: f64,
    /// Final relative dual infeasibility.
    pub dual_infeasibility: f64,
    /// Size `n` of the LMI (`n_0 + ` hidden units).
    pub lmi_size: usize,
}

/// The problem data: `n`, `n_0`, `C`, and the vectors `a_v` as columns of `acol`.
struct Data {
    n: usize,
    n0: usize,
    nu: usize,
    c: Mat<f64>,
    acol: Mat<f64>,
}

impl Data {
    fn new(net: &ReluNet) -> Self {
        let sizes = net.sizes();
        let depth = net.depth();
        let n0 = sizes[0];
        let nu: usize = sizes[1..depth].iter().sum();
        let n = n0 + nu;
        let mut acol = Mat::<f64>::zeros(n, nu);
        let mut prev = 0;
        let mut v = 0;
        for k in 1..depth {
            let w = &net.weights()[k - 1];
            for u in 0..sizes[k] {
                for c in 0..w.ncols() {
                    acol[(prev + c, v)] = w[(u, c)];
                }
                acol[(n0 + v, v)] = -1.0;
                v += 1;
            }
            prev += sizes[k - 1];
        }
        let w_last = &net.weights()[depth - 1];
        let gram = mul(w_last.transpose(), w_last.as_ref());
        let o = n - sizes[depth - 1];
        let mut c = Mat::<f64>::zeros(n, n);
        for j in 0..gram.ncols() {
            for i in 0..gram.nrows() {
                c[(o + i, o + j)] = -gram[(i, j)];
            }
        }
        Self { n, n0, nu, c, acol }
    }

    /// `A(Y)` for a symmetric `Y`: `(-tr Y_00, 2 (Y a_v)_{d_v})`, and the `-x` of the
    /// `lambda` rows is added by the caller.
    fn op(&self, y: MatRef<'_, f64>) -> Vec<f64> {
        let mut out = vec![0.0; 1 + self.nu];
        out[0] = -(0..self.n0).map(|r| y[(r, r)]).sum::<f64>();
        for v in 0..self.nu {
            let d = self.n0 + v;
            out[1 + v] = 2.0 * (0..self.n).map(|r| y[(d, r)] * self.acol[(r, v)]).sum::<f64>();
        }
        out
    }

    /// `sum_i y_i A_i`.
    fn adjoint(&self, y: &[f64]) -> Mat<f64> {
        let mut out = Mat::<f64>::zeros(self.n, self.n);
        for r in 0..self.n0 {
            out[(r, r)] = -y[0];
        }
        for v in 0..self.nu {
            let d = self.n0 + v;
            for r in 0..self.n {
                let t = y[1 + v] * self.acol[(r, v)];
                out[(d, r)] += t;
                out[(r, d)] += t;
            }
        }
        out
    }

    /// The Schur complement `H_ij = tr(A_i X A_j Z)` (without the linear-cone part).
    fn schur(&self, x: &Mat<f64>, z: &Mat<f64>) -> Mat<f64> {
        let (n0, nu) = (self.n0, self.nu);
        let xa = mul(x.as_ref(), self.acol.as_ref());
        let za = mul(z.as_ref(), self.acol.as_ref());
        let p = mul(self.acol.transpose(), xa.as_ref());
        let q = mul(self.acol.transpose(), za.as_ref());
        let mut h = Mat::<f64>::zeros(1 + nu, 1 + nu);
        let mut h00 = 0.0;
        for r in 0..n0 {
            for s in 0..n0 {
                h00 += x[(r, s)] * z[(s, r)];
            }
        }
        h[(0, 0)] = h00;
        for j in 0..nu {
            let dj = n0 + j;
            let s: f64 = (0..n0).map(|r| x[(r, dj)] * za[(r, j)] + xa[(r, j)] * z[(dj, r)]).sum();
            h[(0, 1 + j)] = -s;
            h[(1 + j, 0)] = -s;
        }
        for j in 0..nu {
            let dj = n0 + j;
            for i in 0..=j {
                let di = n0 + i;
                let v = xa[(dj, i)] * za[(di, j)]
                    + p[(i, j)] * z[(dj, di)]
                    + x[(di, dj)] * q[(i, j)]
                    + xa[(di, j)] * za[(dj, i)];
                h[(1 + i, 1 + j)] = v;
                h[(1 + j, 1 + i)] = v;
            }
        }
        h
    }
}

fn sym(a: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(a.nrows(), a.ncols(), |i, j| 0.5 * (a[(i, j)] + a[(j, i)]))
}

fn dot(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            s += a[(i, j)] * b[(i, j)];
        }
    }
    s
}

fn norm(a: &Mat<f64>) -> f64 {
    dot(a, a).sqrt()
}

fn vnorm(v: &[f64]) -> f64 {
    v.iter().map(|t| t * t).sum::<f64>().sqrt()
}

/// `gamma` times the largest `alpha` with `X + alpha dX` positive semidefinite (for
/// `X = L L^T`), capped at 1.
fn max_step(l: MatRef<'_, f64>, dx: &Mat<f64>, x: &[f64], dxv: &[f64], gamma: f64) -> Result<f64> {
    let n = dx.nrows();
    let mut y = dx.clone();
    solve_lower_triangular_in_place(l, y.as_mut(), Par::Seq);
    let mut w = y.transpose().to_owned();
    solve_lower_triangular_in_place(l, w.as_mut(), Par::Seq);
    let w = sym(&w);
    let eig = w
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| LipError::Decomposition { rows: n, cols: n })?;
    let mut lmin = eig.first().copied().unwrap_or(0.0);
    for (xi, di) in x.iter().zip(dxv) {
        lmin = lmin.min(di / xi);
    }
    Ok(if lmin < 0.0 { (gamma * (-1.0 / lmin)).min(1.0) } else { 1.0 })
}

fn chol(a: &Mat<f64>, what: &str, iter: u32) -> Result<Mat<f64>> {
    let llt = a.llt(Side::Lower).map_err(|_| LipError::Solver {
        status: format!("{what} lost positive definiteness at iteration {iter}"),
    })?;
    Ok(llt.L().to_owned())
}

/// The search direction for the complementarity target `G` (matrix) and `g` (vector part).
struct Dir {
    dx: Mat<f64>,
    dxv: Vec<f64>,
    ds: Mat<f64>,
    dsv: Vec<f64>,
    dy: Vec<f64>,
}

/// LipSDP-Neuron l2 upper bound `sqrt(rho)` of a ReLU network with at least one hidden layer,
/// by the interior-point method of the [module documentation](self).
///
/// ```
/// use lipschitz::{ReluNet, lipsdp_ipm::{IpmConfig, lipsdp_neuron_ipm}};
/// // |x| = relu(x) + relu(-x): LipSDP gives 1.
/// let abs = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// let r = lipsdp_neuron_ipm(&abs, &IpmConfig::default())?;
/// assert!((r.value - 1.0).abs() < 1e-6);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if the network has no hidden layer, or naming `weights` if
/// an iterate becomes NaN or infinite (a layer whose entries span too wide a range) or the
/// bound is outside the range of `f64`; [`LipError::Solver`] if
/// the iteration limit is reached or a factorisation fails; [`LipError::Decomposition`] if an
/// eigenvalue problem fails.
pub fn lipsdp_neuron_ipm(net: &ReluNet, config: &IpmConfig) -> Result<IpmSolution> {
    let (unit, _) = net.balanced_weights();
    let mut r = ipm_balanced(&unit, config).map_err(|e| match e {
        // Balancing leaves the layers' scales of order one, so an iterate that still becomes
        // non-finite comes from entries spanning too wide a range within a layer.
        LipError::NonFinite { step, .. } => LipError::invalid(
            "weights",
            format!("an interior-point iterate that became non-finite at iteration {step}"),
            "layers whose entries span a range the LMI's dense factorisations can resolve",
        ),
        other => other,
    })?;
    unbalance_lipsdp(net, &mut r.value, Some(&mut r.rho), &mut r.multipliers)?;
    Ok(r)
}

/// [`lipsdp_neuron_ipm`] on a network whose weights are of order one.
fn ipm_balanced(net: &ReluNet, config: &IpmConfig) -> Result<IpmSolution> {
    let depth = net.depth();
    if depth < 2 {
        return Err(LipError::invalid("network depth", depth, "at least one hidden layer"));
    }
    let data = Data::new(net);
    let (n, nu) = (data.n, data.nu);
    let m = 1 + nu;
    let mut b = vec![0.0; m];
    b[0] = -1.0;
    let cnorm = norm(&data.c);
    let anorm = (0..nu)
        .map(|v| (2.0 * (0..n).map(|r| data.acol[(r, v)].powi(2)).sum::<f64>()).sqrt())
        .fold((data.n0 as f64).sqrt(), f64::max);
    // Starting point X = xi I, S = eta I (Toh, Todd and Tütüncü 1999, section 3.3).
    let eta = 10f64.max((n as f64).sqrt()).max(cnorm).max(anorm);
    let xi = 10f64.max((n as f64).sqrt()) * (1.0 + 1.0 / (1.0 + anorm));
    let mut x = Mat::<f64>::identity(n, n) * xi;
    let mut s = Mat::<f64>::identity(n, n) * eta;
    let mut xv = vec![xi; nu];
    let mut sv = vec![eta; nu];
    let mut y = vec![0.0; m];
    let nc = (n + nu) as f64;
    let bnorm = vnorm(&b);
    let (mut gap, mut pinf, mut dinf);
    let mut iter = 0;
    loop {
        // Residuals.
        let mut ax = data.op(x.as_ref());
        for v in 0..nu {
            ax[1 + v] -= xv[v];
        }
        let rp: Vec<f64> = (0..m).map(|i| b[i] - ax[i]).collect();
        let aty = data.adjoint(&y);
        let rd = Mat::from_fn(n, n, |i, j| data.c[(i, j)] - s[(i, j)] - aty[(i, j)]);
        let rdv: Vec<f64> = (0..nu).map(|v| y[1 + v] - sv[v]).collect();
        let pobj = dot(&data.c, &x);
        let dobj = -y[0];
        let comp = dot(&x, &s) + xv.iter().zip(&sv).map(|(a, c)| a * c).sum::<f64>();
        if !(comp.is_finite() && pobj.is_finite() && dobj.is_finite()) {
            return Err(LipError::NonFinite { step: iter as usize, time: y[0] });
        }
        gap = comp / (1.0 + pobj.abs() + dobj.abs());
        pinf = vnorm(&rp) / (1.0 + bnorm);
        dinf = (dot(&rd, &rd) + rdv.iter().map(|t| t * t).sum::<f64>()).sqrt() / (1.0 + cnorm);
        log::trace!("ipm {iter}: rho {} gap {gap:e} pinf {pinf:e} dinf {dinf:e}", y[0]);
        if gap <= config.tol && pinf <= config.tol && dinf <= config.tol {
            break;
        }
        if iter >= config.max_iter {
            return Err(LipError::Solver {
                status: format!(
                    "interior point: {iter} iterations without convergence \
                     (gap {gap:e}, primal {pinf:e}, dual {dinf:e})"
                ),
            });
        }
        iter += 1;
        let mu = comp / nc;
        let ls = chol(&s, "S", iter)?;
        let lx = chol(&x, "X", iter)?;
        let mut z = Mat::<f64>::identity(n, n);
        solve_lower_triangular_in_place(ls.as_ref(), z.as_mut(), Par::Seq);
        let z = mul(z.transpose(), z.as_ref());
        let mut h = data.schur(&x, &z);
        for v in 0..nu {
            h[(1 + v, 1 + v)] += xv[v] / sv[v];
        }
        let hl = h.llt(Side::Lower).map_err(|_| LipError::Solver {
            status: format!("Schur complement not positive definite at iteration {iter}"),
        })?;
        let xrdz = sym(&mul(mul(x.as_ref(), rd.as_ref()).as_ref(), z.as_ref()));
        let mut a_xrdz = data.op(xrdz.as_ref());
        for v in 0..nu {
            a_xrdz[1 + v] -= xv[v] * rdv[v] / sv[v];
        }
        let solve = |g: &Mat<f64>, gv: &[f64]| -> Dir {
            let mut ag = data.op(g.as_ref());
            for v in 0..nu {
                ag[1 + v] -= gv[v];
            }
            let rhs = Mat::from_fn(m, 1, |i, _| rp[i] - ag[i] + a_xrdz[i]);
            let dym = faer::linalg::solvers::Solve::solve(&hl, &rhs);
            let dy: Vec<f64> = (0..m).map(|i| dym[(i, 0)]).collect();
            let atdy = data.adjoint(&dy);
            let ds = Mat::from_fn(n, n, |i, j| rd[(i, j)] - atdy[(i, j)]);
            let dsv: Vec<f64> = (0..nu).map(|v| rdv[v] + dy[1 + v]).collect();
            let xdsz = mul(mul(x.as_ref(), ds.as_ref()).as_ref(), z.as_ref());
            let dx = sym(&Mat::from_fn(n, n, |i, j| g[(i, j)] - xdsz[(i, j)]));
            let dxv: Vec<f64> = (0..nu).map(|v| gv[v] - xv[v] * dsv[v] / sv[v]).collect();
            Dir { dx, dxv, ds, dsv, dy }
        };
        // Predictor (affine scaling, sigma = 0).
        let g_aff = -x.clone();
        let gv_aff: Vec<f64> = xv.iter().map(|t| -t).collect();
        let aff = solve(&g_aff, &gv_aff);
        let ap = max_step(lx.as_ref(), &aff.dx, &xv, &aff.dxv, 1.0)?;
        let ad = max_step(ls.as_ref(), &aff.ds, &sv, &aff.dsv, 1.0)?;
        let xa = &x + &aff.dx * ap;
        let sa = &s + &aff.ds * ad;
        let comp_aff = dot(&xa, &sa)
            + (0..nu).map(|v| (xv[v] + ap * aff.dxv[v]) * (sv[v] + ad * aff.dsv[v])).sum::<f64>();
        let expon = (3.0 * ap.min(ad).powi(2)).max(1.0);
        let sigma = (comp_aff / comp).clamp(0.0, 1.0).powf(expon);
        // Corrector: G = sigma mu Z - X - dX_aff dS_aff Z.
        let dd = mul(mul(aff.dx.as_ref(), aff.ds.as_ref()).as_ref(), z.as_ref());
        let g = sym(&Mat::from_fn(n, n, |i, j| sigma * mu * z[(i, j)] - x[(i, j)] - dd[(i, j)]));
        let gv: Vec<f64> =
            (0..nu).map(|v| sigma * mu / sv[v] - xv[v] - aff.dxv[v] * aff.dsv[v] / sv[v]).collect();
        let dir = solve(&g, &gv);
        let gamma = 0.9 + 0.09 * ap.min(ad);
        let ap = max_step(lx.as_ref(), &dir.dx, &xv, &dir.dxv, gamma)?;
        let ad = max_step(ls.as_ref(), &dir.ds, &sv, &dir.dsv, gamma)?;
        x = sym(&(&x + &dir.dx * ap));
        s = sym(&(&s + &dir.ds * ad));
        for v in 0..nu {
            xv[v] += ap * dir.dxv[v];
            sv[v] += ad * dir.dsv[v];
        }
        for (yi, di) in y.iter_mut().zip(&dir.dy) {
            *yi += ad * di;
        }
    }
    let rho = y[0];
    let multipliers: Vec<f64> = y[1..].iter().map(|v| v.max(0.0)).collect();
    let mut yy = vec![rho];
    yy.extend_from_slice(&multipliers);
    // M(rho, lambda) = sum y_i A_i - C.
    let aty = data.adjoint(&yy);
    let lmi = Mat::from_fn(n, n, |i, j| aty[(i, j)] - data.c[(i, j)]);
    let eig = lmi
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| LipError::Decomposition { rows: n, cols: n })?;
    let lmi_max_eigenvalue = eig.last().copied().unwrap_or(0.0);
    log::debug!(
        "lipsdp ipm: n = {n}, rho = {rho}, {iter} iterations, max eig {lmi_max_eigenvalue:e}"
    );
    Ok(IpmSolution {
        value: rho.max(0.0).sqrt(),
        rho,
        multipliers,
        lmi_max_eigenvalue,
        iterations: iter,
        gap,
        primal_infeasibility: pinf,
        dual_infeasibility: dinf,
        lmi_size: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use megavolt_core::Seed;
    use megavolt_core::rng::gaussian_mat;

    fn spd(n: usize, seed: u64) -> Mat<f64> {
        let g = gaussian_mat(&mut Seed::new(seed).stream("spd"), n, n, 1.0);
        mul(g.as_ref(), g.transpose()) + Mat::<f64>::identity(n, n)
    }

    /// The dense `A_i`.
    fn dense_a(data: &Data, i: usize) -> Mat<f64> {
        let mut e = vec![0.0; 1 + data.nu];
        e[i] = 1.0;
        data.adjoint(&e)
    }

    #[test]
    fn structured_schur_complement_matches_dense_traces() {
        let net =
            ReluNet::random(&[3, 4, 3, 2], 1.0, 0.5, &mut Seed::new(1).stream("net")).unwrap();
        let data = Data::new(&net);
        let (x, z) = (spd(data.n, 2), spd(data.n, 3));
        let h = data.schur(&x, &z);
        let mut worst: f64 = 0.0;
        for i in 0..=data.nu {
            let ai = dense_a(&data, i);
            // A(Y)_i = <A_i, Y>.
            let yv = data.op(x.as_ref());
            assert!((yv[i] - dot(&ai, &x)).abs() <= 1e-12 * (1.0 + dot(&x, &x).sqrt()));
            for j in 0..=data.nu {
                let aj = dense_a(&data, j);
                let t = mul(
                    mul(mul(ai.as_ref(), x.as_ref()).as_ref(), aj.as_ref()).as_ref(),
                    z.as_ref(),
                );
                let tr: f64 = (0..data.n).map(|k| t[(k, k)]).sum();
                worst = worst.max((h[(i, j)] - tr).abs() / (1.0 + tr.abs()));
            }
        }
        assert!(worst < 1e-12, "worst relative error {worst:e}");
    }

    #[test]
    fn one_layer_closed_forms_and_certificate() {
        let cfg = IpmConfig::default();
        // relu(x) - relu(-x) = x: LipSDP (a pattern superset) gives 2.
        let id =
            ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None).unwrap();
        let r = lipsdp_neuron_ipm(&id, &cfg).unwrap();
        assert!((r.value - 2.0).abs() < 1e-7, "{}", r.value);
        // Non-negative weights: LipSDP is exact, |W2 W1|.
        let pos =
            ReluNet::new(vec![faer::mat![[1.0, 0.5], [0.2, 1.0]], faer::mat![[0.3, 0.7]]], None)
                .unwrap();
        let exact = crate::norms::spectral_norm(pos.weight_product().as_ref()).unwrap();
        let r = lipsdp_neuron_ipm(&pos, &cfg).unwrap();
        assert!((r.value - exact).abs() < 1e-7 * exact, "{} vs {exact}", r.value);
        assert!(r.lmi_max_eigenvalue <= 1e-7 * (1.0 + r.rho));
        assert!(r.multipliers.iter().all(|&l| l >= 0.0));
    }

    #[test]
    fn ordering_exact_lipsdp_product_and_certificate() {
        use crate::exact::{ExactConfig, exact_lipschitz};
        use crate::norms::Norm;
        for k in 0..4u64 {
            let net =
                ReluNet::random(&[2, 6, 5, 1], 2f64.sqrt(), 0.5, &mut Seed::new(k).stream("net"))
                    .unwrap();
            let r = lipsdp_neuron_ipm(&net, &IpmConfig::default()).unwrap();
            let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap().value;
            let product = crate::bounds::norm_product(&net, Norm::L2).unwrap();
            assert!(r.value >= exact * (1.0 - 1e-7), "lipsdp {} < exact {exact}", r.value);
            assert!(r.value <= product * (1.0 + 1e-7), "lipsdp {} > product {product}", r.value);
            assert!(r.lmi_max_eigenvalue <= 1e-7 * (1.0 + r.rho), "{:e}", r.lmi_max_eigenvalue);
            assert!(r.multipliers.iter().all(|&l| l >= 0.0));
            assert!(r.gap <= 1e-8 && r.primal_infeasibility <= 1e-8);
        }
    }

    #[cfg(feature = "lipsdp")]
    #[test]
    fn same_optimum_as_clarabel() {
        use crate::lipsdp::{LipSdpConfig, lipsdp_neuron};
        let nets: [&[usize]; 4] = [&[2, 6, 5, 1], &[2, 8, 8, 2], &[3, 5, 4, 4, 2], &[4, 10, 3]];
        for (k, sizes) in nets.iter().enumerate() {
            let net =
                ReluNet::random(sizes, 2f64.sqrt(), 0.5, &mut Seed::new(k as u64).stream("ipm"))
                    .unwrap();
            let ours = lipsdp_neuron_ipm(&net, &IpmConfig::new(1e-9, 100).unwrap()).unwrap();
            let cl = lipsdp_neuron(&net, &LipSdpConfig::new(1e-9, 200).unwrap()).unwrap();
            assert!(
                (ours.rho - cl.rho).abs() <= 1e-6 * cl.rho,
                "{sizes:?}: ipm {} clarabel {}",
                ours.rho,
                cl.rho
            );
        }
    }

    #[test]
    fn bad_inputs_are_rejected() {
        assert!(matches!(IpmConfig::new(0.0, 10), Err(LipError::InvalidParameter { .. })));
        assert!(matches!(IpmConfig::new(f64::NAN, 10), Err(LipError::InvalidParameter { .. })));
        assert!(matches!(IpmConfig::new(1e-8, 0), Err(LipError::InvalidParameter { .. })));
        let lin = ReluNet::new(vec![faer::mat![[1.0, 2.0]]], None).unwrap();
        assert!(matches!(
            lipsdp_neuron_ipm(&lin, &IpmConfig::default()),
            Err(LipError::InvalidParameter { .. })
        ));
        // One iteration cannot converge: a typed solver error, no panic.
        let net =
            ReluNet::random(&[2, 6, 5, 1], 1.0, 0.5, &mut Seed::new(0).stream("net")).unwrap();
        assert!(matches!(
            lipsdp_neuron_ipm(&net, &IpmConfig::new(1e-8, 1).unwrap()),
            Err(LipError::Solver { .. })
        ));
    }

    #[test]
    #[ignore = "timing: cargo test --release -p lipschitz -- --ignored ipm_scaling --nocapture"]
    fn ipm_scaling_with_width() {
        let widths: Vec<usize> = std::env::var("LIPSDP_WIDTHS")
            .map_or(vec![8, 16, 32, 64], |v| v.split(',').map(|w| w.parse().unwrap()).collect());
        for width in widths {
            let net = ReluNet::random(
                &[2, width, width, 2],
                2f64.sqrt(),
                0.5,
                &mut Seed::new(0).stream("net"),
            )
            .unwrap();
            let t = std::time::Instant::now();
            let r = lipsdp_neuron_ipm(&net, &IpmConfig::default()).unwrap();
            eprintln!(
                "width {width}: lmi {} iters {} time {:.4?} value {:.8} eig {:e}",
                r.lmi_size,
                r.iterations,
                t.elapsed(),
                r.value,
                r.lmi_max_eigenvalue
            );
        }
    }
}
