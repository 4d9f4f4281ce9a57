//! LipSDP-Neuron (Fazlyab et al., 2019) solved with the clarabel interior-point solver.
//!
//! With `x_0` the input and `x_1, ..., x_l` the hidden activations of a ReLU network
//! (slope-restricted in `[alpha, beta] = [0, 1]`), and `T = diag(lambda) >= 0` one multiplier per
//! hidden unit, the l2 Lipschitz constant satisfies `L <= sqrt(rho)` whenever
//!
//! ```text
//! M(rho, T) = [A; B]^T [[-2 alpha beta T, (alpha + beta) T], [(alpha + beta) T, -2 T]] [A; B]
//!             + diag(-rho I, 0, ..., 0, W_last^T W_last)  <=  0,
//! A = [blkdiag(W_1, ..., W_{m-1}), 0],   B = [0, I],
//! ```
//!
//! (Fazlyab et al. 2019, Theorem 2 with the Neuron parametrisation of `T`). With
//! `alpha = 0, beta = 1`, `M` is block tridiagonal: diagonal blocks `-rho I`, `-2 T_k`, and
//! `-2 T_last + W_m^T W_m`; off-diagonal blocks `T_k W_k`. The semidefinite program
//! `min rho` over `(rho, lambda >= 0)` is passed to clarabel in its conic form
//! `s = b - A x`, `s` in the positive-semidefinite triangle cone (upper triangle by columns,
//! off-diagonal entries scaled by `sqrt 2`) and the non-negative cone.
//!
//! By default the dense block `W_m^T W_m` is lifted by a Schur complement into an extra output
//! block, `[[M', W_m^T], [W_m, -I]] <= 0`, so that the aggregate sparsity of the LMI has no
//! dense hidden-hidden block for clarabel's chordal decomposition (on by default);
//! [`LipSdpConfig::schur_lift`] switches back to the textbook form. The KKT systems are
//! factored by clarabel's supernodal `faer` LDL (clarabel feature `faer-sparse`), which is
//! about 4 times faster than its simplicial QDLDL on these dense cones.
//!
//! # Limitations
//! clarabel factors a KKT system whose PSD part is dense in the `N (N + 1) / 2` entries of the
//! cone (`N` the LMI size), so the cost grows like `N^6`. Measured (release, a shared 2-core
//! machine) on `[2, w, w, 2]` networks: about 0.09 s at `w = 8` (`N = 18`), 0.3 s at `w = 16`
//! (`N = 34`) and 2 s at `w = 24` (`N = 50`); `[2, 64, 64, 2]` (`N = 130`) is out of reach,
//! where the structured interior-point method [`lipsdp_ipm`](crate::lipsdp_ipm) takes a
//! fraction of a second. Neither the Schur lift nor the
//! chordal decomposition changes the time by more than about 30% at these sizes.
//!
//! The bound is certified up to the solver's feasibility tolerance; [`LipSdp::lmi_max_eigenvalue`]
//! reports the largest eigenvalue of `M` at the returned point (`<= 0` up to rounding when the
//! LMI holds).
//!
//! Needs the crate feature `lipsdp`, a system OpenBLAS and gfortran (Debian packages
//! `libopenblas-dev` and `gfortran`).
//!
//! # References
//! M. Fazlyab, A. Robey, H. Hassani, M. Morari and G. J. Pappas, *Efficient and accurate
//! estimation of Lipschitz constants for deep neural networks*, NeurIPS 2019, Theorem 2.
//! P. J. Goulart and Y. Chen, *Clarabel: an interior-point solver for conic programs with
//! quadratic objectives*, arXiv:2405.12762, 2024.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};

use crate::error::{LipError, Result};
use crate::network::{ReluNet, unbalance_lipsdp};
use crate::norms::mul;

/// Result of [`lipsdp_neuron`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LipSdp {
    /// `sqrt(rho)`, the l2 upper bound.
    pub value: f64,
    /// The optimal `rho`.
    pub rho: f64,
    /// The multipliers `lambda`, one per hidden unit, layer by layer.
    /// (Scaled back from the balanced network: outside the range of `f64` they read `0` or
    /// `inf`; see [`ReluNet::balanced`].)
    pub multipliers: Vec<f64>,
    /// Largest eigenvalue of `M(rho, lambda)` at the solution (`<= 0` up to tolerance), for the
    /// LMI of the balanced network ([`ReluNet::balanced`]) on which the problem is solved.
    pub lmi_max_eigenvalue: f64,
    /// Interior-point iterations.
    pub iterations: u32,
    /// Solver wall time in seconds.
    pub solve_time: f64,
    /// Size of the LMI (`n_0 + hidden units`).
    pub lmi_size: usize,
}

/// Configuration of [`lipsdp_neuron`].
///
/// | field | default | meaning | valid |
/// |---|---|---|---|
/// | `tol` | 1e-8 | clarabel's gap and feasibility tolerances | `[1e-12, 1e-2]` |
/// | `max_iter` | 200 | interior-point iterations | `>= 1` |
/// | `chordal` | `true` | clarabel's chordal decomposition of the PSD cone | any |
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LipSdpConfig {
    tol: f64,
    max_iter: u32,
    chordal: bool,
    schur_lift: bool,
}

impl Default for LipSdpConfig {
    fn default() -> Self {
        Self { tol: 1e-8, max_iter: 200, chordal: true, schur_lift: true }
    }
}

impl LipSdpConfig {
    /// A validated configuration.
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `tol` is outside `[1e-12, 1e-2]` or `max_iter == 0`.
    pub fn new(tol: f64, max_iter: u32) -> Result<Self> {
        crate::lipsdp_ipm::check_solver_budget(tol, max_iter)?;
        Ok(Self { tol, max_iter, ..Self::default() })
    }

    /// Enables or disables clarabel's chordal decomposition.
    pub fn chordal(mut self, chordal: bool) -> Self {
        self.chordal = chordal;
        self
    }

    /// Lifts the last layer's Gram block `W_m^T W_m` by a Schur complement into an extra
    /// output block (`true`, the default) or keeps it dense in the LMI (`false`, the textbook
    /// form of Fazlyab et al.).
    pub fn schur_lift(mut self, lift: bool) -> Self {
        self.schur_lift = lift;
        self
    }
}

/// Column-major upper-triangle index of `(i, j)`, `i <= j`.
fn tri(i: usize, j: usize) -> usize {
    j * (j + 1) / 2 + i
}

/// LipSDP-Neuron l2 upper bound of a ReLU network with at least one hidden layer (see the
/// [module documentation](self)).
///
/// ```
/// use lipschitz::{ReluNet, lipsdp::{LipSdpConfig, lipsdp_neuron}};
/// // |x| = relu(x) + relu(-x): LipSDP gives 1.
/// let abs = ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, 1.0]]], None)?;
/// let r = lipsdp_neuron(&abs, &LipSdpConfig::default())?;
/// assert!((r.value - 1.0).abs() < 1e-5);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if the network has no hidden layer; [`LipError::Solver`] if
/// clarabel does not reach `Solved` or `AlmostSolved`; [`LipError::Decomposition`] if the
/// eigenvalue check fails.
pub fn lipsdp_neuron(net: &ReluNet, config: &LipSdpConfig) -> Result<LipSdp> {
    let (unit, _) = net.balanced_weights();
    let mut r = lipsdp_balanced(&unit, config)?;
    unbalance_lipsdp(net, &mut r.value, Some(&mut r.rho), &mut r.multipliers)?;
    Ok(r)
}

/// [`lipsdp_neuron`] on a network whose weights are of order one.
fn lipsdp_balanced(net: &ReluNet, config: &LipSdpConfig) -> Result<LipSdp> {
    let m = net.depth();
    if m < 2 {
        return Err(LipError::invalid("network depth", m, "at least one hidden layer"));
    }
    let sizes = net.sizes();
    // Block offsets of x_0, x_1, ..., x_{m-1} in the LMI.
    let mut offset = vec![0usize; m];
    for k in 1..m {
        offset[k] = offset[k - 1] + sizes[k - 1];
    }
    let n = offset[m - 1] + sizes[m - 1];
    let n_units = n - sizes[0];
    let n_var = 1 + n_units;
    // The dense block W_m^T W_m is lifted by a Schur complement,
    // M + W_m^T W_m <= 0  <=>  [[M, W_m^T], [W_m, -I]] <= 0,
    // which keeps the aggregate sparsity chordal-friendly (no dense hidden-hidden block).
    let n_out = if config.schur_lift { sizes[m] } else { 0 };
    let big = n + n_out;
    let tri_len = big * (big + 1) / 2;

    // b = svec(-M_0), M_0 = [[0, W_m^T], [W_m, -I]] in the last hidden and output blocks.
    let w_last = &net.weights()[m - 1];
    let gram = mul(w_last.transpose(), w_last.as_ref());
    let mut b = vec![0.0; tri_len + n_units];
    let o = offset[m - 1];
    let s2 = std::f64::consts::SQRT_2;
    for r in 0..n_out {
        b[tri(n + r, n + r)] = 1.0;
        for c in 0..w_last.ncols() {
            b[tri(o + c, n + r)] = -w_last[(r, c)] * s2;
        }
    }
    if !config.schur_lift {
        // b = svec(-M_0) with M_0 = W_m^T W_m in the last hidden block.
        for j in 0..gram.ncols() {
            for i in 0..=j {
                b[tri(o + i, o + j)] = -gram[(i, j)] * if i == j { 1.0 } else { s2 };
            }
        }
    }

    // Columns of A: svec(M_k) for each variable, then -I for lambda >= 0.
    let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..sizes[0] {
        rows.push(tri(i, i));
        cols.push(0);
        vals.push(-1.0);
    }
    let mut var = 1;
    for k in 1..m {
        let w = &net.weights()[k - 1];
        for u in 0..sizes[k] {
            let diag = offset[k] + u;
            rows.push(tri(diag, diag));
            cols.push(var);
            vals.push(-2.0);
            // Off-diagonal block (unit u of layer k, row of W_k) and its transpose.
            for c in 0..w.ncols() {
                let (r, cc) = (offset[k - 1] + c, diag);
                let (i, j) = if r <= cc { (r, cc) } else { (cc, r) };
                if w[(u, c)] != 0.0 {
                    rows.push(tri(i, j));
                    cols.push(var);
                    vals.push(w[(u, c)] * s2);
                }
            }
            rows.push(tri_len + var - 1);
            cols.push(var);
            vals.push(-1.0);
            var += 1;
        }
    }
    let a = CscMatrix::new_from_triplets(tri_len + n_units, n_var, rows, cols, vals);
    let p = CscMatrix::zeros((n_var, n_var));
    let mut q = vec![0.0; n_var];
    q[0] = 1.0;
    let cones = [SupportedConeT::PSDTriangleConeT(big), SupportedConeT::NonnegativeConeT(n_units)];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .max_iter(config.max_iter)
        .tol_gap_abs(config.tol)
        .tol_gap_rel(config.tol)
        .tol_feas(config.tol)
        .chordal_decomposition_enable(config.chordal)
        .build()
        .map_err(|e| LipError::Solver { status: format!("settings: {e:?}") })?;
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings)
        .map_err(|e| LipError::Solver { status: format!("setup: {e:?}") })?;
    solver.solve();
    let sol = &solver.solution;
    if !matches!(sol.status, SolverStatus::Solved | SolverStatus::AlmostSolved) {
        return Err(LipError::Solver { status: format!("{:?}", sol.status) });
    }
    let rho = sol.x[0];
    let multipliers: Vec<f64> = sol.x[1..].iter().map(|v| v.max(0.0)).collect();
    let lmi = assemble(net, &offset, n, rho, &multipliers, &gram);
    let eig = lmi
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| LipError::Decomposition { rows: n, cols: n })?;
    let lmi_max_eigenvalue = eig.last().copied().unwrap_or(0.0);
    log::debug!(
        "lipsdp: n = {n}, rho = {rho}, {} iterations, max eig {lmi_max_eigenvalue:e}",
        sol.iterations
    );
    Ok(LipSdp {
        value: rho.max(0.0).sqrt(),
        rho,
        multipliers,
        lmi_max_eigenvalue,
        iterations: sol.iterations,
        solve_time: sol.solve_time,
        lmi_size: n,
    })
}

/// The dense matrix `M(rho, lambda)`.
fn assemble(
    net: &ReluNet,
    offset: &[usize],
    n: usize,
    rho: f64,
    lambda: &[f64],
    gram: &Mat<f64>,
) -> Mat<f64> {
    let m = net.depth();
    let sizes = net.sizes();
    let mut lmi = Mat::<f64>::zeros(n, n);
    for i in 0..sizes[0] {
        lmi[(i, i)] = -rho;
    }
    let mut var = 0;
    for k in 1..m {
        let w = &net.weights()[k - 1];
        for u in 0..sizes[k] {
            let d = offset[k] + u;
            lmi[(d, d)] -= 2.0 * lambda[var];
            for c in 0..w.ncols() {
                let r = offset[k - 1] + c;
                lmi[(d, r)] += lambda[var] * w[(u, c)];
                lmi[(r, d)] += lambda[var] * w[(u, c)];
            }
            var += 1;
        }
    }
    let o = offset[m - 1];
    for j in 0..gram.ncols() {
        for i in 0..gram.nrows() {
            lmi[(o + i, o + j)] += gram[(i, j)];
        }
    }
    lmi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::{ExactConfig, exact_lipschitz};
    use crate::norms::Norm;
    use megavolt_core::Seed;

    #[test]
    fn between_exact_and_product_on_random_networks() {
        for k in 0..4u64 {
            let net =
                ReluNet::random(&[2, 6, 5, 1], 2f64.sqrt(), 0.5, &mut Seed::new(k).stream("net"))
                    .unwrap();
            let r = lipsdp_neuron(&net, &LipSdpConfig::default()).unwrap();
            let exact = exact_lipschitz(&net, &ExactConfig::new(Norm::L2)).unwrap().value;
            let product = crate::bounds::norm_product(&net, Norm::L2).unwrap();
            // Interior-point tolerance 1e-8 on rho: relative slack 1e-6 on sqrt(rho).
            assert!(r.value >= exact * (1.0 - 1e-6), "lipsdp {} < exact {exact}", r.value);
            assert!(r.value <= product * (1.0 + 1e-6), "lipsdp {} > product {product}", r.value);
            assert!(r.lmi_max_eigenvalue < 1e-6 * (1.0 + r.rho));
            // The textbook form (dense W_m^T W_m block) has the same optimum.
            let plain = lipsdp_neuron(&net, &LipSdpConfig::default().schur_lift(false)).unwrap();
            assert!(
                (plain.value - r.value).abs() <= 1e-6 * r.value,
                "{} vs {}",
                plain.value,
                r.value
            );
            assert!(plain.lmi_max_eigenvalue < 1e-6 * (1.0 + plain.rho));
        }
    }

    #[test]
    #[ignore = "timing: cargo test --release --features lipsdp -- --ignored lipsdp_scaling --nocapture"]
    fn lipsdp_scaling_with_width() {
        let widths: Vec<usize> = std::env::var("LIPSDP_WIDTHS")
            .map_or(vec![8, 12, 16, 20], |v| v.split(',').map(|w| w.parse().unwrap()).collect());
        for width in widths {
            let net = ReluNet::random(
                &[2, width, width, 2],
                2f64.sqrt(),
                0.5,
                &mut Seed::new(0).stream("net"),
            )
            .unwrap();
            for (chordal, lift) in [(true, true), (false, true), (true, false), (false, false)] {
                let config = LipSdpConfig::default().chordal(chordal).schur_lift(lift);
                let t = std::time::Instant::now();
                let r = lipsdp_neuron(&net, &config).unwrap();
                let cp = crate::bounds::combettes_pesquet(&net).unwrap();
                eprintln!(
                    "width {width} chordal {chordal} lift {lift}: lmi {} iters {} time {:.3?} lipsdp {:.6} cp {:.6} eig {:e}",
                    r.lmi_size,
                    r.iterations,
                    t.elapsed(),
                    r.value,
                    cp,
                    r.lmi_max_eigenvalue
                );
            }
        }
    }

    #[test]
    fn first_order_method_matches_the_interior_point_optimum() {
        for (k, sizes) in
            [[2usize, 6, 5, 1].as_slice(), &[2, 8, 8, 2], &[3, 5, 4, 4, 2]].iter().enumerate()
        {
            let net =
                ReluNet::random(sizes, 2f64.sqrt(), 0.5, &mut Seed::new(k as u64).stream("fo"))
                    .unwrap();
            let sdp = lipsdp_neuron(&net, &LipSdpConfig::default()).unwrap().value;
            let fo = crate::bounds::lipsdp_first_order(
                &net,
                &crate::bounds::FirstOrderConfig::default(),
            )
            .unwrap();
            eprintln!(
                "{sizes:?}: clarabel {sdp:.8} first-order {:.8} (start {:.4}, {} iterations)",
                fo.value, fo.initial, fo.iterations
            );
            // Every first-order iterate is feasible, so it cannot beat the optimum (up to the
            // interior-point tolerance); it should come close to it.
            assert!(fo.value >= sdp * (1.0 - 1e-6));
            assert!(fo.value <= sdp * (1.0 + 1e-5), "first-order {} far above {sdp}", fo.value);
        }
    }

    #[test]
    fn one_layer_closed_forms() {
        // relu(x) - relu(-x): LipSDP (a pattern superset) gives 2; non-negative weights give
        // the exact |W2 W1|.
        let id =
            ReluNet::new(vec![faer::mat![[1.0], [-1.0]], faer::mat![[1.0, -1.0]]], None).unwrap();
        assert!((lipsdp_neuron(&id, &LipSdpConfig::default()).unwrap().value - 2.0).abs() < 1e-5);
        let pos =
            ReluNet::new(vec![faer::mat![[1.0, 0.5], [0.2, 1.0]], faer::mat![[0.3, 0.7]]], None)
                .unwrap();
        let exact = crate::norms::spectral_norm(pos.weight_product().as_ref()).unwrap();
        assert!(
            (lipsdp_neuron(&pos, &LipSdpConfig::default()).unwrap().value - exact).abs()
                < 1e-5 * exact
        );
        assert!(LipSdpConfig::new(0.0, 10).is_err());
    }
}
