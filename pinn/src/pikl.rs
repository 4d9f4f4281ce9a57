//! The physics-informed kernel estimator (PIKL): penalised least squares over a Fourier basis.

use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Col, Mat, MatMut, MatRef, Par, c64};
use megavolt_core::linalg::Parallelism;
use serde::{Deserialize, Serialize};

use crate::basis::{FourierBasis, powers};
use crate::domain::Domain;
use crate::error::{PinnError, Result, non_negative};
use crate::operator::DiffOperator;
use crate::source::{Source, SourceMoments};

/// Rows of the data processed per block of the Toeplitz assembly (bounds the scratch memory).
const BLOCK_ENTRIES: usize = 1 << 19;

/// The validated configuration of the physics-informed kernel estimator.
///
/// The estimator minimises, over `f = sum_k theta_k e_k` in the span of the
/// [`FourierBasis`],
///
/// ```text
/// (1/n) sum_i (f(X_i) - Y_i)^2 + lambda |f|^2_{H^s} + mu (4L)^{-d} int_Omega |D f|^2,
/// |f|^2_{H^s} = sum_k (1 + |k|^{2s} / (2L)^{2s}) |theta_k|^2,
/// ```
///
/// with `|k|` the Euclidean norm of the integer frequency. All norms are normalised by the
/// torus volume `(4L)^d` (so `sum_k |theta_k|^2 = (4L)^{-d} int |f|^2` over the torus). The
/// minimiser solves the Hermitian system
///
/// ```text
/// (A^H A + n (lambda S + mu P^H T P)) theta = A^H Y,   A_ik = e_k(X_i),
/// ```
///
/// with `S` the diagonal Sobolev weights, `P` the diagonal symbol of `D`
/// ([`DiffOperator::symbol`]) and `T` the Gram matrix of the modes on `Omega`
/// ([`Domain::gram_entry`]). The prediction is `Re f(x)`.
///
/// | parameter | symbol | default | valid range |
/// |---|---|---|---|
/// | `dim` | `d` | — | 1, 2, 3 |
/// | `half_width` | `L` | — | `> 0`; inputs in `[-L, L]^d` (periodic axes `[-2L, 2L]`) |
/// | `modes` | `m` | 10 | `>= 1`, `(2m+1)^d <= 10^4` |
/// | `sobolev_order` | `s` | 2 | `>= 0` (theory: `s > d/2`) |
/// | `lambda` | `lambda` | 1e-3 | `>= 0` |
/// | `mu` | `mu` | 0 | `>= 0` |
/// | `operator` | `D` | zero | dimension `d` |
/// | `domain` | `Omega` | `[-L, L]^d` | inside `[-L, L]^d` |
/// | `parallelism` | — | `Sequential` | factorisation threads (`Parallel`: reproducible to rounding only) |
///
/// # Errors
/// [`PiklBuilder::build`] returns [`PinnError::InvalidParameter`] or
/// [`PinnError::TooManyModes`] naming the offending value.
///
/// # Example
/// ```
/// use faer::Mat;
/// use pinn::{DiffOperator, PiklConfig};
/// // Fit f(x) = sin(x) on [-1, 1] with the prior f'' + f = 0.
/// let op = DiffOperator::derivative(1, 0, 2)? + DiffOperator::identity(1);
/// let cfg = PiklConfig::builder(1, 1.0).modes(20).lambda(1e-6).mu(1.0).operator(op).build()?;
/// let x = Mat::from_fn(1, 50, |_, j| -1.0 + 2.0 * j as f64 / 49.0);
/// let y: Vec<f64> = (0..50).map(|j| x[(0, j)].sin()).collect();
/// let model = cfg.fit(x.as_ref(), &y)?;
/// let pred = model.predict(Mat::from_fn(1, 1, |_, _| 0.3).as_ref());
/// assert!((pred[0] - 0.3_f64.sin()).abs() < 1e-4);
/// # Ok::<(), pinn::PinnError>(())
/// ```
///
/// # References
/// Doumèche, Bach, Biau, Boyer, *Physics-informed machine learning as a kernel method*, COLT
/// 2024; *Physics-informed kernel learning*, JMLR 26 (2025), Section 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiklConfig {
    basis: FourierBasis,
    sobolev_order: f64,
    lambda: f64,
    mu: f64,
    operator: DiffOperator,
    domain: Domain,
    #[serde(default)]
    parallelism: Parallelism,
}

/// Builder of [`PiklConfig`]; see there for the parameters.
#[derive(Debug, Clone)]
pub struct PiklBuilder {
    dim: usize,
    half_width: f64,
    modes: usize,
    sobolev_order: f64,
    lambda: f64,
    mu: f64,
    operator: Option<DiffOperator>,
    domain: Option<Domain>,
    parallelism: Parallelism,
}

impl PiklBuilder {
    /// Largest frequency `m`.
    pub fn modes(mut self, m: usize) -> Self {
        self.modes = m;
        self
    }
    /// Sobolev order `s`.
    pub fn sobolev_order(mut self, s: f64) -> Self {
        self.sobolev_order = s;
        self
    }
    /// Weight `lambda` of the Sobolev penalty.
    pub fn lambda(mut self, lambda: f64) -> Self {
        self.lambda = lambda;
        self
    }
    /// Weight `mu` of the physics penalty.
    pub fn mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self
    }
    /// The differential operator `D` of the physics prior `D f = 0`.
    pub fn operator(mut self, operator: DiffOperator) -> Self {
        self.operator = Some(operator);
        self
    }
    /// The domain `Omega` of the physics penalty.
    pub fn domain(mut self, domain: Domain) -> Self {
        self.domain = Some(domain);
        self
    }

    /// Threads of the dense factorisation (the assembly runs on one thread).
    pub fn parallelism(mut self, parallelism: Parallelism) -> Self {
        self.parallelism = parallelism;
        self
    }

    /// Validates the parameters.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] for a bad dimension, width, order, weight, operator
    /// dimension or domain; [`PinnError::TooManyModes`] beyond [`crate::basis::MAX_MODES`].
    /// The width must keep `omega = pi / (2L)` finite and positive, and the Sobolev weights
    /// `1 + (|k| / 2L)^{2s}` and the squared symbol `|p(k)|^2` of the operator must be finite
    /// on every mode: the error then names `half_width` if the largest frequency is out of
    /// range (`L = 1e-300`), else `sobolev_order` (`s = 1e6`) or `operator`.
    pub fn build(self) -> Result<PiklConfig> {
        let basis = FourierBasis::new(self.dim, self.modes, self.half_width)?;
        let sobolev_order = non_negative("sobolev_order", self.sobolev_order)?;
        let lambda = non_negative("lambda", self.lambda)?;
        let mu = non_negative("mu", self.mu)?;
        let operator = self.operator.unwrap_or_else(|| DiffOperator::zero(self.dim));
        if operator.dim() != self.dim {
            return Err(PinnError::invalid(
                "operator dimension",
                operator.dim(),
                "the basis dimension",
            ));
        }
        let domain = self.domain.unwrap_or_else(|| Domain::cube(self.dim, self.half_width));
        domain.validate(&basis)?;
        check_penalty_scales(&basis, sobolev_order, &operator)?;
        let parallelism = self.parallelism;
        Ok(PiklConfig { basis, sobolev_order, lambda, mu, operator, domain, parallelism })
    }
}

/// Checks that the Sobolev weights and the operator's symbol are finite on every mode, so
/// that the penalties of the system are numbers: with `L = 1e-300` and `m = 10` the ratio
/// `|k| / 2L` reaches `5e300` and the frequency `|k| omega` `1.6e301`, whose squares overflow;
/// with `L = 1` and `s = 1e6`, `(|k| / 2L)^{2s}` overflows.
///
/// The error names `half_width` when the largest frequency is itself out of range (its square,
/// for the weights, or its power of the operator's order, for the symbol, overflows), and
/// `sobolev_order` or `operator` otherwise.
fn check_penalty_scales(basis: &FourierBasis, s: f64, operator: &DiffOperator) -> Result<()> {
    let modes = basis.modes();
    let two_l = 2.0 * basis.half_width();
    let omega = basis.omega();
    let k_max = basis.m() as f64 * (basis.dim() as f64).sqrt();

    let w_max = modes.iter().map(|k| sobolev_weight(basis, s, k)).fold(0.0, max_or_nan);
    if !w_max.is_finite() {
        let ratio = k_max / two_l;
        let (name, value) = if (ratio * ratio).is_finite() {
            ("sobolev_order", format!("{s} (largest weight {w_max} at |k| / 2L = {ratio:e})"))
        } else {
            ("half_width", format!("{:e} (largest |k| / 2L = {ratio:e})", basis.half_width()))
        };
        return Err(PinnError::invalid(
            name,
            value,
            "an order and width whose Sobolev weights 1 + (|k| / 2L)^(2s) are finite on every mode",
        ));
    }

    if operator.terms().is_empty() {
        return Ok(());
    }
    let p_max = modes.iter().map(|k| operator.symbol(k, omega).norm_sqr()).fold(0.0, max_or_nan);
    if !p_max.is_finite() {
        let order = operator.order();
        let freq = k_max * omega;
        let (name, value) = if freq.powi(2 * order as i32).is_finite() {
            ("operator", format!("{operator:?} (largest |p(k)|^2 = {p_max} at omega = {omega:e})"))
        } else {
            let l = basis.half_width();
            (
                "half_width",
                format!("{l:e} (largest |k| omega = {freq:e}, operator of order {order})"),
            )
        };
        return Err(PinnError::invalid(
            name,
            value,
            "an operator and width whose symbol p(k) has a finite square on every mode",
        ));
    }
    Ok(())
}

/// The larger of two numbers, NaN if either is NaN (unlike `f64::max`).
fn max_or_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

/// The Sobolev weight `1 + |k|^{2s} / (2L)^{2s}` of the mode `k`.
///
/// Where `|k|^{2s}` or `(2L)^{2s}` leaves the range of doubles but their ratio does not (large
/// `s`, or `L` far from 1), the weight is computed as `1 + (|k| / 2L)^{2s}` instead.
fn sobolev_weight(basis: &FourierBasis, s: f64, k: &[i64]) -> f64 {
    let k2: f64 = k.iter().map(|&v| (v * v) as f64).sum();
    let two_l = 2.0 * basis.half_width();
    let w = 1.0 + k2.powf(s) / two_l.powf(2.0 * s);
    if w.is_finite() { w } else { 1.0 + (k2.sqrt() / two_l).powf(2.0 * s) }
}

/// How the Hermitian system was solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SolveMethod {
    /// Cholesky factorisation (the matrix was numerically positive definite).
    Cholesky,
    /// LU with partial pivoting, the fallback when Cholesky fails (e.g. `lambda = 0`).
    Lu,
}

/// The data-dependent part of the system: the Toeplitz table of `A^H A` and the vector `A^H Y`.
///
/// `(A^H A)_{kj} = c(k - j)` with `c(Δ) = sum_i exp(i omega <Δ, X_i>)` for `Δ` in
/// `{-2m, ..., 2m}^d`; it is assembled once and reused by every solve with other penalty
/// weights ([`PiklConfig::solve`], [`select_penalties`]).
#[derive(Debug, Clone)]
pub struct Assembly {
    basis: FourierBasis,
    n: usize,
    toeplitz: Vec<c64>,
    rhs: Vec<c64>,
}

impl Assembly {
    /// Number of data points.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `c(Δ)` for the frequency difference `delta` (entries in `-2m..=2m`).
    ///
    /// # Panics
    /// If `delta` has the wrong length or an entry outside `-2m..=2m`.
    #[track_caller]
    pub fn toeplitz_entry(&self, delta: &[i64]) -> c64 {
        let two_m = 2 * self.basis.m() as i64;
        assert!(
            delta.len() == self.basis.dim() && delta.iter().all(|d| d.abs() <= two_m),
            "Assembly::toeplitz_entry: frequency difference out of range"
        );
        let radix = 4 * self.basis.m() as i64 + 1;
        let idx = delta.iter().fold(0, |acc, &d| acc * radix + d + two_m);
        self.toeplitz[idx as usize]
    }

    /// The vector `A^H Y`, in flat mode order.
    pub fn rhs(&self) -> &[c64] {
        &self.rhs
    }
}

/// A fitted estimator `f = sum_k theta_k e_k`.
#[derive(Debug, Clone, PartialEq)]
pub struct PiklModel {
    basis: FourierBasis,
    theta: Vec<c64>,
    method: SolveMethod,
}

impl PiklConfig {
    /// A builder with the defaults of the parameter table.
    pub fn builder(dim: usize, half_width: f64) -> PiklBuilder {
        PiklBuilder {
            dim,
            half_width,
            modes: 10,
            sobolev_order: 2.0,
            lambda: 1e-3,
            mu: 0.0,
            operator: None,
            domain: None,
            parallelism: Parallelism::Sequential,
        }
    }

    /// The same configuration with other penalty weights.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if a weight is negative or not finite.
    pub fn with_penalties(&self, lambda: f64, mu: f64) -> Result<Self> {
        let mut out = self.clone();
        out.lambda = non_negative("lambda", lambda)?;
        out.mu = non_negative("mu", mu)?;
        Ok(out)
    }

    /// The same configuration with another thread setting for the factorisation.
    pub fn with_parallelism(&self, parallelism: Parallelism) -> Self {
        Self { parallelism, ..self.clone() }
    }

    /// The Fourier basis.
    pub fn basis(&self) -> &FourierBasis {
        &self.basis
    }
    /// Threads of the factorisation.
    pub fn parallelism_setting(&self) -> Parallelism {
        self.parallelism
    }
    /// Sobolev order `s`.
    pub fn sobolev_order(&self) -> f64 {
        self.sobolev_order
    }
    /// Sobolev weight `lambda`.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }
    /// Physics weight `mu`.
    pub fn mu(&self) -> f64 {
        self.mu
    }
    /// The operator `D`.
    pub fn operator(&self) -> &DiffOperator {
        &self.operator
    }
    /// The domain `Omega`.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// Fits the estimator to the points `x` (`d x n`, one point per column) and values `y`.
    ///
    /// # Errors
    /// As [`PiklConfig::assemble`] and [`PiklConfig::solve`].
    ///
    /// # Panics
    /// If `x.nrows() != d` or `y.len() != x.ncols()`.
    #[track_caller]
    pub fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<PiklModel> {
        let assembly = self.assemble(x, y)?;
        self.solve(&assembly)
    }

    /// Assembles `c(Δ)` and `A^H Y` in `O(n (4m+1)^d)` operations.
    ///
    /// The points are streamed in blocks that stay in cache. Per block and coordinate, the
    /// powers `exp(i omega x_j)^p` are obtained by repeated multiplication from one sine and
    /// cosine per point. The real and imaginary parts of the first coordinate's powers for
    /// `Δ_1 >= 0` and of the products of the other coordinates' powers (half of the rest
    /// indices) form two real tables whose product, accumulated over the blocks, gives one
    /// sum per frequency difference; the other half follows from `z^{-p} = conj(z^p)` and the
    /// differences with `Δ_1 < 0` from `c(-Δ) = conj(c(Δ))`. The `n x N` feature matrix is
    /// never formed: the scratch memory is a fixed few hundred kilobytes.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if there is no point, a coordinate or value is not
    /// finite, a point lies outside the torus `[-2L, 2L]^d`, or the sum of squares of `y`
    /// overflows (the loss `(1/n) sum_i (f(X_i) - Y_i)^2` would not be a number).
    ///
    /// # Panics
    /// If `x.nrows() != d` or `y.len() != x.ncols()`.
    #[track_caller]
    pub fn assemble(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Assembly> {
        let basis = self.basis;
        let d = basis.dim();
        assert_eq!(x.nrows(), d, "PiklConfig::assemble: x must be d x n");
        assert_eq!(y.len(), x.ncols(), "PiklConfig::assemble: one value per point");
        let n = x.ncols();
        if n == 0 {
            return Err(PinnError::invalid("number of points", 0, "at least one point"));
        }
        check_points(&basis, x)?;
        if let Some(v) = y.iter().find(|v| !v.is_finite()) {
            return Err(PinnError::invalid("y", v, "finite values"));
        }
        let sum_sq: f64 = y.iter().map(|v| v * v).sum();
        if !sum_sq.is_finite() {
            let largest = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            return Err(PinnError::invalid(
                "y",
                format!("values up to {largest:e} in magnitude (sum of squares overflows)"),
                "values whose sum of squares is finite (each |y| below about 1e154)",
            ));
        }

        let m = basis.m();
        let side = 2 * m + 1;
        let radix = 4 * m + 1;
        let rest_diff = radix.pow(d as u32 - 1);
        let rest_modes = side.pow(d as u32 - 1);
        let sums = crate::toeplitz::half_sums(m, basis.omega(), x, y);
        let (half, rhs) = (sums.toeplitz, sums.rhs);

        // Full table over Δ in {-2m..2m}^d, first axis slowest.
        let total = radix.pow(d as u32);
        let mut toeplitz = vec![c64::new(0.0, 0.0); total];
        for a in 0..=2 * m {
            for r in 0..rest_diff {
                toeplitz[(a + 2 * m) * rest_diff + r] = half[(a, r)];
            }
        }
        for idx in 0..(2 * m) * rest_diff {
            toeplitz[idx] = toeplitz[total - 1 - idx].conj();
        }
        let n_modes = side * rest_modes;
        let half_start = m * rest_modes;
        let rhs = (0..n_modes)
            .map(|k| {
                if k >= half_start {
                    rhs[((k - half_start) / rest_modes, k % rest_modes)]
                } else {
                    let mirror = n_modes - 1 - k;
                    rhs[((mirror - half_start) / rest_modes, mirror % rest_modes)].conj()
                }
            })
            .collect();
        log::debug!(
            "PIKL assembly: n = {n}, {} modes, {total} frequency differences",
            basis.n_modes()
        );
        Ok(Assembly { basis, n, toeplitz, rhs })
    }

    /// Solves `(A^H A + n (lambda S + mu P^H T P)) theta = A^H Y` for an assembled data set.
    ///
    /// The Hermitian matrix `K` is never formed: with real data, real coefficients and a real
    /// domain it satisfies `K_{-k,-j} = conj(K_{kj})`, so the unique solution has
    /// `theta_{-k} = conj(theta_k)`. In the orthonormal real coordinates
    /// `theta_0 = z_0`, `theta_{±k} = (u_k ∓ i v_k) / sqrt(2)` (one pair per `k > 0`) the system
    /// `W^H K W z = W^H A^H Y` is real symmetric, and is built entry by entry from the Toeplitz
    /// tables in `O(N^2)` (its lower triangle only). It is factorised in place by Cholesky,
    /// which needs a quarter of the work of complex Cholesky, or, if that fails (not
    /// numerically positive definite, as can happen with `lambda = 0`), rebuilt in full and
    /// factorised by LU with partial pivoting; both on the threads of the configuration's
    /// `parallelism` (one by default).
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] naming `lambda` or `mu` if a penalty `n lambda S_k` or
    /// `n mu |p(k)|^2` overflows; [`PinnError::Singular`] if the solution is not finite.
    ///
    /// # Panics
    /// If the assembly was made with another basis.
    #[track_caller]
    pub fn solve(&self, assembly: &Assembly) -> Result<PiklModel> {
        self.solve_inner(assembly, None)
    }

    /// The moments of a source term for this configuration's basis.
    ///
    /// # Errors
    /// [`PinnError::InvalidParameter`] if a node lies outside the torus `[-2L, 2L]^d`, or (named
    /// `y`, as in [`PiklConfig::assemble`]) if the sum of squares of the weighted values
    /// overflows.
    ///
    /// # Panics
    /// If the source's dimension differs from the basis's.
    #[track_caller]
    pub fn source_moments(&self, source: &Source) -> Result<SourceMoments> {
        let wg = source.weighted_values();
        let asm = self.assemble(source.points(), &wg)?;
        let volume = (4.0 * self.basis.half_width()).powi(self.basis.dim() as i32);
        Ok(SourceMoments { basis: self.basis, gamma: asm.rhs.iter().map(|v| v / volume).collect() })
    }

    /// Solves with the inhomogeneous prior `D f = g`: the physics penalty is
    /// `mu (4L)^{-d} int_Omega |D f - g|^2`, adding `n mu conj(p(k)) gamma_k` to `A^H Y`.
    ///
    /// # Errors
    /// As [`PiklConfig::solve`].
    ///
    /// # Panics
    /// If the assembly or the moments were made with another basis.
    ///
    /// # Example
    /// ```
    /// use faer::Mat;
    /// use pinn::{DiffOperator, Domain, PiklConfig, Source};
    /// // f'' = -pi^2 sin(pi x) on [-1, 1] with f(-1) = -1, f(1) = 1: f = sin(pi x) + x.
    /// let pi = std::f64::consts::PI;
    /// let cfg = PiklConfig::builder(1, 1.0).modes(30).lambda(1e-10).mu(1e4)
    ///     .operator(DiffOperator::derivative(1, 0, 2)?).build()?;
    /// let g = Source::from_fn(cfg.domain(), cfg.basis(), 4000, |x| -pi * pi * (pi * x[0]).sin())?;
    /// let x = Mat::from_fn(1, 2, |_, j| if j == 0 { -1.0 } else { 1.0 });
    /// let asm = cfg.assemble(x.as_ref(), &[-1.0, 1.0])?;
    /// let model = cfg.solve_with_source(&asm, &cfg.source_moments(&g)?)?;
    /// let f = model.predict(Mat::from_fn(1, 1, |_, _| 0.3).as_ref())[0];
    /// assert!((f - ((0.3 * pi).sin() + 0.3)).abs() < 1e-3);
    /// # Ok::<(), pinn::PinnError>(())
    /// ```
    #[track_caller]
    pub fn solve_with_source(
        &self,
        assembly: &Assembly,
        moments: &SourceMoments,
    ) -> Result<PiklModel> {
        assert_eq!(
            moments.basis, self.basis,
            "PiklConfig::solve_with_source: moments of another basis"
        );
        self.solve_inner(assembly, Some(&moments.gamma))
    }

    #[track_caller]
    fn solve_inner(&self, assembly: &Assembly, gamma: Option<&[c64]>) -> Result<PiklModel> {
        assert_eq!(assembly.basis, self.basis, "PiklConfig::solve: assembly of another basis");
        let system = self.system(assembly);
        let n = assembly.n;
        if let Some(w) = system.diagonal.iter().find(|w| !w.is_finite()) {
            return Err(PinnError::invalid(
                "lambda",
                format!("{:e} (penalty n lambda S_k = {w} with n = {n})", self.lambda),
                "a weight whose penalty n lambda S_k is finite on every mode",
            ));
        }
        if let Some(p) = system.symbol.iter().map(|p| p.norm_sqr()).find(|p| !p.is_finite()) {
            return Err(PinnError::invalid(
                "mu",
                format!("{:e} (penalty n mu |p(k)|^2 = {p} with n = {n})", self.mu),
                "a weight whose penalty n mu |p(k)|^2 is finite on every mode",
            ));
        }
        let n_modes = self.basis.n_modes();
        let c0 = (n_modes - 1) / 2;
        let pairs = c0;
        let r2 = std::f64::consts::SQRT_2;
        let size = 1 + 2 * pairs;
        // One buffer: the lower triangle is filled and factorised in place; the full matrix is
        // filled only if the LU fallback is needed.
        let mut mat = Mat::<f64>::zeros(size, size);
        fill_real_system(&system, mat.as_mut(), false);
        let omega = self.basis.omega();
        let nmu = assembly.n as f64 * self.mu;
        let b_of = |k: usize| match gamma {
            Some(g) => {
                assembly.rhs[k]
                    + self.operator.symbol(&self.basis.mode(k), omega).conj() * g[k] * nmu
            }
            None => assembly.rhs[k],
        };
        let rhs = Col::<f64>::from_fn(size, |i| {
            if i == 0 {
                b_of(c0).re
            } else {
                let b = b_of(c0 + 1 + (i - 1) / 2);
                if i % 2 == 1 { r2 * b.re } else { -r2 * b.im }
            }
        });
        let (z, method) = solve_symmetric(mat.as_mut(), rhs, self.parallelism.par(), |m| {
            fill_real_system(&system, m, true)
        })?;
        let mut theta = vec![c64::new(0.0, 0.0); n_modes];
        theta[c0] = c64::new(z[0], 0.0);
        for p in 0..pairs {
            let t = c64::new(z[1 + 2 * p], -z[2 + 2 * p]) / r2;
            theta[c0 + 1 + p] = t;
            theta[c0 - 1 - p] = t.conj();
        }
        Ok(PiklModel { basis: self.basis, theta, method })
    }

    /// Solves the complex Hermitian system directly (reference path for tests).
    #[cfg(test)]
    fn solve_complex(&self, assembly: &Assembly) -> Result<PiklModel> {
        let system = self.system(assembly);
        let n_modes = self.basis.n_modes();
        let k = Mat::<c64>::from_fn(n_modes, n_modes, |i, j| system.entry(i, j));
        let b = Col::<c64>::from_fn(n_modes, |i| assembly.rhs[i]);
        let (theta, method) = solve_hermitian(&k, &b)?;
        Ok(PiklModel { basis: self.basis, theta, method })
    }

    /// The Sobolev weight `1 + |k|^{2s} / (2L)^{2s}` of the mode `k` (finite on every mode of
    /// the basis: [`PiklBuilder::build`] checks it).
    pub fn sobolev_weight(&self, k: &[i64]) -> f64 {
        sobolev_weight(&self.basis, self.sobolev_order, k)
    }

    /// The entries of the system matrix `A^H A + n (lambda S + mu P^H T P)`.
    fn system<'a>(&self, assembly: &'a Assembly) -> System<'a> {
        let basis = self.basis;
        let (d, m) = (basis.dim(), basis.m());
        let radix = 4 * m + 1;
        let nf = assembly.n as f64;
        let modes = basis.modes();
        let enc: Vec<usize> = modes
            .iter()
            .map(|k| k.iter().fold(0, |acc, &v| acc * radix + (v + m as i64) as usize))
            .collect();
        let centre = (0..d).fold(0, |acc, _| acc * radix + 2 * m);

        let physics = self.mu > 0.0 && !self.operator.terms().is_empty();
        let gram: Vec<c64> = if physics {
            let total = radix.pow(d as u32);
            let mut delta = vec![0_i64; d];
            (0..total)
                .map(|mut idx| {
                    for j in (0..d).rev() {
                        delta[j] = (idx % radix) as i64 - 2 * m as i64;
                        idx /= radix;
                    }
                    self.domain.gram_entry(&basis, &delta)
                })
                .collect()
        } else {
            Vec::new()
        };
        let symbol: Vec<c64> = if physics {
            modes
                .iter()
                .map(|k| self.operator.symbol(k, basis.omega()) * (nf * self.mu).sqrt())
                .collect()
        } else {
            Vec::new()
        };
        let diagonal = modes.iter().map(|k| nf * self.lambda * self.sobolev_weight(k)).collect();
        System { toeplitz: &assembly.toeplitz, enc, centre, gram, symbol, diagonal }
    }
}

/// Entry oracle of the system matrix, built from the Toeplitz tables.
struct System<'a> {
    toeplitz: &'a [c64],
    enc: Vec<usize>,
    centre: usize,
    gram: Vec<c64>,
    symbol: Vec<c64>,
    diagonal: Vec<f64>,
}

impl System<'_> {
    #[inline]
    fn entry(&self, i: usize, j: usize) -> c64 {
        let idx = self.enc[i] + self.centre - self.enc[j];
        let mut v = self.toeplitz[idx];
        if !self.gram.is_empty() {
            v += self.symbol[i].conj() * self.gram[idx] * self.symbol[j];
        }
        if i == j {
            v.re += self.diagonal[i];
        }
        v
    }
}

/// Writes the system matrix in the real coordinates of [`PiklConfig::solve`]: coordinate 0 is
/// `theta_0`, then `(u_p, v_p)` at `(1 + 2p, 2 + 2p)` for the mode `k = c0 + 1 + p`. Only the
/// lower triangle (and the diagonal 2 x 2 blocks) unless `full`.
fn fill_real_system(system: &System<'_>, mut mat: MatMut<'_, f64>, full: bool) {
    let n_modes = system.enc.len();
    let c0 = (n_modes - 1) / 2;
    let pairs = c0;
    let r2 = std::f64::consts::SQRT_2;
    mat[(0, 0)] = system.entry(c0, c0).re;
    for q in 0..pairs {
        let e = system.entry(c0, c0 + 1 + q);
        let (u, v) = (1 + 2 * q, 2 + 2 * q);
        mat[(u, 0)] = r2 * e.re;
        mat[(v, 0)] = r2 * e.im;
        if full {
            mat[(0, u)] = r2 * e.re;
            mat[(0, v)] = r2 * e.im;
        }
    }
    for q in 0..pairs {
        let j = c0 + 1 + q;
        let jm = n_modes - 1 - j;
        let (uq, vq) = (1 + 2 * q, 2 + 2 * q);
        let from = if full { 0 } else { q };
        for p in from..pairs {
            let k = c0 + 1 + p;
            let (a, b) = (system.entry(k, j), system.entry(k, jm));
            let (up, vp) = (1 + 2 * p, 2 + 2 * p);
            mat[(up, uq)] = a.re + b.re;
            mat[(vp, uq)] = -(a.im + b.im);
            mat[(up, vq)] = a.im - b.im;
            mat[(vp, vq)] = a.re - b.re;
        }
    }
}

/// Solves the real symmetric system `k x = b` with `k`'s lower triangle in `mat`: Cholesky in
/// place; if it fails, `refill` writes the full matrix again and LU with partial pivoting
/// solves.
fn solve_symmetric(
    mut mat: MatMut<'_, f64>,
    b: Col<f64>,
    par: Par,
    refill: impl FnOnce(MatMut<'_, f64>),
) -> Result<(Vec<f64>, SolveMethod)> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::cholesky::llt;
    use faer::linalg::lu::partial_pivoting as lu;
    let size = mat.nrows();
    let mut x = b;
    let llt_req = llt::factor::cholesky_in_place_scratch::<f64>(size, par, Default::default());
    let mut buf = MemBuffer::new(llt_req);
    let factor = llt::factor::cholesky_in_place(
        mat.rb_mut(),
        Default::default(),
        par,
        MemStack::new(&mut buf),
        Default::default(),
    );
    let method = match factor {
        Ok(_) => {
            let req = llt::solve::solve_in_place_scratch::<f64>(size, 1, par);
            let mut buf = MemBuffer::new(req);
            llt::solve::solve_in_place(mat.rb(), x.as_mat_mut(), par, MemStack::new(&mut buf));
            SolveMethod::Cholesky
        }
        Err(_) => {
            log::debug!("PIKL: Cholesky failed, falling back to LU");
            refill(mat.rb_mut());
            let mut perm = vec![0usize; size];
            let mut perm_inv = vec![0usize; size];
            let req =
                lu::factor::lu_in_place_scratch::<usize, f64>(size, size, par, Default::default())
                    .or(lu::solve::solve_in_place_scratch::<usize, f64>(size, 1, par));
            let mut buf = MemBuffer::new(req);
            let (_, row_perm) = lu::factor::lu_in_place(
                mat.rb_mut(),
                &mut perm,
                &mut perm_inv,
                par,
                MemStack::new(&mut buf),
                Default::default(),
            );
            lu::solve::solve_in_place(
                mat.rb(),
                mat.rb(),
                row_perm,
                x.as_mat_mut(),
                par,
                MemStack::new(&mut buf),
            );
            SolveMethod::Lu
        }
    };
    let z: Vec<f64> = x.iter().copied().collect();
    if z.iter().any(|v| !v.is_finite()) {
        return Err(PinnError::Singular { size, reason: "the solution is not finite" });
    }
    Ok((z, method))
}

/// Solves the Hermitian system `k x = b`: Cholesky, then LU if Cholesky fails.
#[cfg(test)]
fn solve_hermitian(k: &Mat<c64>, b: &Col<c64>) -> Result<(Vec<c64>, SolveMethod)> {
    use faer::linalg::solvers::Solve;
    let (x, method) = match k.llt(faer::Side::Lower) {
        Ok(llt) => (llt.solve(b), SolveMethod::Cholesky),
        Err(_) => {
            log::debug!("PIKL: Cholesky failed, falling back to LU");
            (k.partial_piv_lu().solve(b), SolveMethod::Lu)
        }
    };
    let theta: Vec<c64> = x.iter().copied().collect();
    if theta.iter().any(|v| !(v.re.is_finite() && v.im.is_finite())) {
        return Err(PinnError::Singular { size: k.nrows(), reason: "the solution is not finite" });
    }
    Ok((theta, method))
}

/// Writes `prod_j z_j^{p_j}` over `p_j in -max..=max` (last axis fastest) into `out`, from
/// power tables centred at `centre`.
fn rest_row(pw: &[Vec<c64>], centre: usize, max: usize, out: &mut [c64]) {
    let side = 2 * max + 1;
    match pw.len() {
        0 => out[0] = c64::new(1.0, 0.0),
        1 => out.copy_from_slice(&pw[0][centre - max..centre + max + 1]),
        _ => {
            for p in 0..side {
                let a = pw[0][centre - max + p];
                for q in 0..side {
                    out[p * side + q] = a * pw[1][centre - max + q];
                }
            }
        }
    }
}

fn check_points(basis: &FourierBasis, x: MatRef<'_, f64>) -> Result<()> {
    let bound = 2.0 * basis.half_width();
    for i in 0..x.ncols() {
        for j in 0..x.nrows() {
            let v = x[(j, i)];
            if !v.is_finite() || v.abs() > bound {
                return Err(PinnError::invalid(
                    "x",
                    format!("{v} (point {i}, axis {j})"),
                    "coordinates in [-2L, 2L]",
                ));
            }
        }
    }
    Ok(())
}

impl PiklModel {
    /// The coefficients `theta_k`, in flat mode order.
    pub fn coefficients(&self) -> &[c64] {
        &self.theta
    }

    /// The basis.
    pub fn basis(&self) -> &FourierBasis {
        &self.basis
    }

    /// How the system was solved.
    pub fn method(&self) -> SolveMethod {
        self.method
    }

    /// The model of `D f`: coefficients multiplied by the symbol of `op`.
    ///
    /// # Panics
    /// If the operator's dimension differs from the basis's.
    #[track_caller]
    pub fn apply_operator(&self, op: &DiffOperator) -> PiklModel {
        assert_eq!(op.dim(), self.basis.dim(), "PiklModel::apply_operator: wrong dimension");
        let omega = self.basis.omega();
        let theta = self
            .theta
            .iter()
            .enumerate()
            .map(|(i, t)| t * op.symbol(&self.basis.mode(i), omega))
            .collect();
        PiklModel { basis: self.basis, theta, method: self.method }
    }

    /// `Re f(x)` at the points `x` (`d x n`, one per column), by blocks of matrix products.
    ///
    /// The model is a trigonometric polynomial of period `4L`: a point outside the fitting
    /// domain gets the value of its periodic image (the fit constrains the model only on the
    /// domain, so such values are extrapolations of no particular quality), and a point with a
    /// NaN or infinite coordinate gets NaN. Each coordinate outside the torus `[-2L, 2L]` is
    /// reduced exactly to its image there first (`x % 4L`, shifted by one period if needed, with
    /// `4L` the period as a double), so `predict(x)` equals `predict` at the image bit for bit,
    /// for any finite `x` up to `f64::MAX`. Coordinates inside the torus are used as given.
    ///
    /// # Panics
    /// If `x.nrows() != d`.
    #[track_caller]
    pub fn predict(&self, x: MatRef<'_, f64>) -> Vec<f64> {
        let basis = self.basis;
        let d = basis.dim();
        assert_eq!(x.nrows(), d, "PiklModel::predict: x must be d x n");
        let (m, n) = (basis.m(), x.ncols());
        let side = 2 * m + 1;
        let rest_modes = side.pow(d as u32 - 1);
        let theta = Mat::<c64>::from_fn(side, rest_modes, |a, r| self.theta[a * rest_modes + r]);
        let block = (BLOCK_ENTRIES / rest_modes).clamp(64, 4096).min(n.max(1));
        let mut first = Mat::<c64>::zeros(block, side);
        let mut rest = Mat::<c64>::zeros(block, rest_modes);
        let mut w = Mat::<c64>::zeros(block, rest_modes);
        let mut pw = vec![vec![c64::new(0.0, 0.0); side]; d];
        let mut row = vec![c64::new(0.0, 0.0); rest_modes];
        let mut out = Vec::with_capacity(n);
        let mut start = 0;
        while start < n {
            let rows = block.min(n - start);
            for r in 0..rows {
                for (j, buf) in pw.iter_mut().enumerate() {
                    powers(basis.omega(), basis.reduce(x[(j, start + r)]), m, buf);
                }
                for a in 0..side {
                    first[(r, a)] = pw[0][a].conj();
                }
                rest_row(&pw[1..], m, m, &mut row);
                for (c, v) in row.iter().enumerate() {
                    rest[(r, c)] = v.conj();
                }
            }
            let mut wv = w.as_mut().subrows_mut(0, rows);
            matmul(
                wv.as_mut(),
                Accum::Replace,
                first.as_ref().subrows(0, rows),
                theta.as_ref(),
                c64::new(1.0, 0.0),
                Par::Seq,
            );
            for r in 0..rows {
                let mut s = 0.0;
                for c in 0..rest_modes {
                    let (p, q) = (wv[(r, c)], rest[(r, c)]);
                    s += p.re * q.re - p.im * q.im;
                }
                out.push(s);
            }
            start += rows;
        }
        out
    }
}

/// The outcome of [`select_penalties`].
#[derive(Debug, Clone)]
pub struct Selection {
    /// The configuration with the smallest validation error.
    pub config: PiklConfig,
    /// The model fitted with it.
    pub model: PiklModel,
    /// Every candidate as `(lambda, mu, validation mean squared error)`.
    pub table: Vec<(f64, f64, f64)>,
}

/// Chooses `(lambda, mu)` on a grid by the mean squared error on a validation set.
///
/// The training data are assembled once; each candidate costs one solve.
///
/// # Errors
/// [`PinnError::InvalidParameter`] if a grid is empty or holds a negative weight; errors of
/// [`PiklConfig::assemble`] and [`PiklConfig::solve`].
///
/// # Panics
/// If the shapes of the data do not match the configuration.
///
/// # Example
/// ```
/// use faer::Mat;
/// use pinn::{PiklConfig, select_penalties};
/// let cfg = PiklConfig::builder(1, 1.0).modes(8).build()?;
/// let x = Mat::from_fn(1, 40, |_, j| -1.0 + j as f64 / 20.0);
/// let y: Vec<f64> = (0..40).map(|j| x[(0, j)].cos()).collect();
/// let xv = Mat::from_fn(1, 7, |_, j| -0.9 + 0.3 * j as f64);
/// let yv: Vec<f64> = (0..7).map(|j| xv[(0, j)].cos()).collect();
/// let sel = select_penalties(&cfg, x.as_ref(), &y, xv.as_ref(), &yv, &[1e-6, 1.0], &[0.0])?;
/// assert_eq!(sel.table.len(), 2);
/// assert!((sel.config.lambda() - 1e-6).abs() < 1e-20);
/// # Ok::<(), pinn::PinnError>(())
/// ```
#[track_caller]
pub fn select_penalties(
    config: &PiklConfig,
    x_train: MatRef<'_, f64>,
    y_train: &[f64],
    x_val: MatRef<'_, f64>,
    y_val: &[f64],
    lambdas: &[f64],
    mus: &[f64],
) -> Result<Selection> {
    assert_eq!(y_val.len(), x_val.ncols(), "select_penalties: one validation value per point");
    if lambdas.is_empty() || mus.is_empty() {
        return Err(PinnError::invalid("grid size", 0, "at least one lambda and one mu"));
    }
    let assembly = config.assemble(x_train, y_train)?;
    let mut best: Option<(f64, PiklConfig, PiklModel)> = None;
    let mut table = Vec::new();
    for &lambda in lambdas {
        for &mu in mus {
            let cfg = config.with_penalties(lambda, mu)?;
            let model = cfg.solve(&assembly)?;
            let err = mse(&model.predict(x_val), y_val);
            table.push((lambda, mu, err));
            if best.as_ref().is_none_or(|b| err < b.0) {
                best = Some((err, cfg, model));
            }
        }
    }
    let (_, config, model) = best.expect("grid is non-empty");
    Ok(Selection { config, model, table })
}

/// Mean squared difference of two equally long slices.
///
/// # Panics
/// If the lengths differ or are zero.
#[track_caller]
pub fn mse(a: &[f64], b: &[f64]) -> f64 {
    assert!(a.len() == b.len() && !a.is_empty(), "mse: lengths differ or are zero");
    a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>() / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use megavolt_core::rng::Seed;
    use rand::RngExt;

    fn random_points(d: usize, n: usize, l: f64, seed: u64) -> Mat<f64> {
        let mut rng = Seed::new(seed).stream("points");
        Mat::from_fn(d, n, |_, _| rng.random_range(-l..l))
    }

    #[test]
    fn toeplitz_assembly_matches_dense_product() {
        // 2500 points span several blocks of the streamed assembly (the last one partial) in
        // every dimension.
        let n = 2500;
        for d in 1..=3 {
            let m = 2;
            let cfg = PiklConfig::builder(d, 0.5).modes(m).build().unwrap();
            let basis = *cfg.basis();
            let x = random_points(d, n, 0.5, 3);
            let y: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
            let asm = cfg.assemble(x.as_ref(), &y).unwrap();
            let modes = basis.modes();
            let pt = |i: usize| (0..d).map(|j| x[(j, i)]).collect::<Vec<_>>();
            // Powers up to 4m by repeated multiplication: relative error O(4m eps) per term.
            let tol = 8.0 * n as f64 * (4 * m) as f64 * f64::EPSILON;
            for (a, ka) in modes.iter().enumerate().step_by(7) {
                for kb in modes.iter().step_by(5) {
                    let delta: Vec<i64> = ka.iter().zip(kb).map(|(p, q)| p - q).collect();
                    let dense: c64 = (0..n)
                        .map(|i| basis.eval(ka, &pt(i)).conj() * basis.eval(kb, &pt(i)))
                        .sum();
                    let err = (asm.toeplitz_entry(&delta) - dense).norm();
                    assert!(err < tol, "d = {d}, delta {delta:?}: error {err:e}");
                }
                let b: c64 = (0..n).map(|i| basis.eval(ka, &pt(i)).conj() * y[i]).sum();
                assert!((asm.rhs()[a] - b).norm() < tol, "d = {d}, rhs {a}");
            }
        }
    }

    #[test]
    fn symmetric_solver_uses_cholesky_or_falls_back_to_lu() {
        // Positive definite: [[4, 2], [2, 3]] x = [2, 1] has x = [0.5, 0].
        let spd = [[4.0, 2.0], [2.0, 3.0]];
        // Indefinite (eigenvalues 3 and -1): [[1, 2], [2, 1]] x = [3, 3] has x = [1, 1].
        let indefinite = [[1.0, 2.0], [2.0, 1.0]];
        for (k, b, x, method) in [
            (spd, [2.0, 1.0], [0.5, 0.0], SolveMethod::Cholesky),
            (indefinite, [3.0, 3.0], [1.0, 1.0], SolveMethod::Lu),
        ] {
            for par in [Par::Seq, Par::rayon(2)] {
                // Only the lower triangle is given; the refill writes the whole matrix.
                let mut mat = Mat::from_fn(2, 2, |i, j| if i >= j { k[i][j] } else { f64::NAN });
                let rhs = Col::from_fn(2, |i| b[i]);
                let full = |mut m: MatMut<'_, f64>| {
                    for i in 0..2 {
                        for j in 0..2 {
                            m[(i, j)] = k[i][j];
                        }
                    }
                };
                let (z, used) = solve_symmetric(mat.as_mut(), rhs, par, full).unwrap();
                assert_eq!(used, method);
                for i in 0..2 {
                    assert!((z[i] - x[i]).abs() < 4.0 * f64::EPSILON, "{z:?} vs {x:?}");
                }
            }
        }
        // Singular: the solution is not finite.
        let mut zero = Mat::<f64>::zeros(2, 2);
        let rhs = Col::from_fn(2, |_| 1.0);
        let res = solve_symmetric(zero.as_mut(), rhs, Par::Seq, |mut m| {
            for i in 0..2 {
                for j in 0..2 {
                    m[(i, j)] = 0.0;
                }
            }
        });
        assert!(matches!(res, Err(PinnError::Singular { .. })));
    }

    #[test]
    fn parallel_factorisation_agrees_with_sequential() {
        let op = DiffOperator::derivative(2, 0, 2).unwrap() + DiffOperator::identity(2);
        let cfg =
            PiklConfig::builder(2, 0.5).modes(6).lambda(1e-3).mu(0.1).operator(op).build().unwrap();
        assert_eq!(cfg.parallelism_setting(), Parallelism::Sequential);
        let par = cfg.with_parallelism(Parallelism::Parallel);
        assert_eq!(par.parallelism_setting(), Parallelism::Parallel);
        let x = random_points(2, 300, 0.5, 13);
        let y: Vec<f64> = (0..300).map(|i| (2.0 * x[(0, i)]).cos() * x[(1, i)]).collect();
        let (a, b) = (cfg.fit(x.as_ref(), &y).unwrap(), par.fit(x.as_ref(), &y).unwrap());
        // Same system, another summation order: agreement to rounding times conditioning.
        let norm = a.coefficients().iter().map(|t| t.norm_sqr()).sum::<f64>().sqrt();
        for (p, q) in a.coefficients().iter().zip(b.coefficients()) {
            assert!((p - q).norm() < 1e-8 * norm);
        }
    }

    #[test]
    fn prediction_is_periodic_and_propagates_nan() {
        let cfg = PiklConfig::builder(2, 0.5).modes(4).lambda(1e-6).build().unwrap();
        let x = random_points(2, 50, 0.5, 21);
        let y: Vec<f64> = (0..50).map(|i| x[(0, i)] - x[(1, i)].powi(2)).collect();
        let model = cfg.fit(x.as_ref(), &y).unwrap();
        // Period 4L = 2 on each axis; the shift by a period changes each phase by rounding
        // of the shifted coordinate (about 2 eps) times |omega k| <= 4 pi per axis, plus the
        // rounding of the power recurrence: a few hundred ulps of the coefficient sum at most.
        let shifted = Mat::from_fn(2, 50, |j, i| x[(j, i)] + if j == 0 { 2.0 } else { -4.0 });
        let (a, b) = (model.predict(x.as_ref()), model.predict(shifted.as_ref()));
        let scale: f64 = model.coefficients().iter().map(|t| t.norm()).sum();
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() <= 256.0 * f64::EPSILON * scale, "{u} vs {v}");
        }
        let bad = faer::mat![[0.1, f64::NAN, f64::INFINITY], [0.2, 0.0, 0.0]];
        let p = model.predict(bad.as_ref());
        assert!(p[0].is_finite() && p[1].is_nan() && p[2].is_nan(), "{p:?}");
    }

    #[test]
    fn far_points_are_reduced_exactly_to_their_periodic_image() {
        // L = 1, period 4: 1e10, 1e300 and 1.7e308 are multiples of 4 (their ulps are powers
        // of two >= 4), so their image is 0; 1e10 + 1 and -(1e10 + 3) have the image 1.
        let cfg = PiklConfig::builder(1, 1.0).modes(6).lambda(1e-6).build().unwrap();
        let x = random_points(1, 40, 1.0, 31);
        let y: Vec<f64> = (0..40).map(|i| (2.0 * x[(0, i)]).sin()).collect();
        let model = cfg.fit(x.as_ref(), &y).unwrap();
        let far = faer::mat![[1e10, 1e300, 1.7e308, -f64::MAX, 1e10 + 1.0, -(1e10 + 3.0)]];
        // The remainder keeps the sign of x: the image of -f64::MAX is -0.
        let image = faer::mat![[0.0, 0.0, 0.0, -0.0, 1.0, 1.0]];
        let (a, b) = (model.predict(far.as_ref()), model.predict(image.as_ref()));
        for (u, v) in a.iter().zip(&b) {
            assert_eq!(u.to_bits(), v.to_bits(), "{a:?} vs {b:?}");
        }
        // The fit of sin(2x) is close to 0 at 0, as its images should be.
        assert!(a[..4].iter().all(|v| v.abs() < 1e-3), "{a:?}");

        // In two dimensions, with a period 4L = 2 and points of the torus left as they are.
        let cfg = PiklConfig::builder(2, 0.5).modes(4).lambda(1e-6).build().unwrap();
        let x = random_points(2, 50, 0.5, 21);
        let y: Vec<f64> = (0..50).map(|i| x[(0, i)] - x[(1, i)].powi(2)).collect();
        let model = cfg.fit(x.as_ref(), &y).unwrap();
        let far = faer::mat![[1e300, 2e15 + 0.25, -1.0], [-1e20, 1e12 + 0.5, 1.0]];
        let image = faer::mat![[0.0, 0.25, -1.0], [-0.0, 0.5, 1.0]];
        let (a, b) = (model.predict(far.as_ref()), model.predict(image.as_ref()));
        for (u, v) in a.iter().zip(&b) {
            assert_eq!(u.to_bits(), v.to_bits(), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn interpolates_when_modes_exceed_points() {
        // n = 10 <= N, mu = 0, lambda tiny: the fit interpolates the data.
        let cfg = PiklConfig::builder(1, 1.0).modes(15).lambda(1e-12).build().unwrap();
        let x = random_points(1, 10, 1.0, 5);
        let y: Vec<f64> = (0..10).map(|i| (3.0 * x[(0, i)]).cos() + 0.1 * i as f64).collect();
        let model = cfg.fit(x.as_ref(), &y).unwrap();
        let pred = model.predict(x.as_ref());
        let rel = mse(&pred, &y).sqrt() / mse(&y, &[0.0; 10]).sqrt();
        assert!(rel < 1e-8, "relative training residual {rel}");
    }

    #[test]
    fn prediction_matches_direct_sum_and_physics_term_matches_quadrature() {
        let op =
            DiffOperator::derivative(2, 0, 1).unwrap() + DiffOperator::derivative(2, 1, 2).unwrap();
        let cfg = PiklConfig::builder(2, 0.5)
            .modes(3)
            .lambda(1e-3)
            .mu(0.5)
            .operator(op.clone())
            .build()
            .unwrap();
        let x = random_points(2, 60, 0.5, 9);
        let y: Vec<f64> = (0..60).map(|i| x[(0, i)] * x[(1, i)]).collect();
        let model = cfg.fit(x.as_ref(), &y).unwrap();
        let basis = *cfg.basis();
        let pred = model.predict(x.as_ref());
        for i in [0, 17, 59] {
            let pt = [x[(0, i)], x[(1, i)]];
            let direct: c64 = basis
                .modes()
                .iter()
                .zip(model.coefficients())
                .map(|(k, t)| t * basis.eval(k, &pt))
                .sum();
            assert!((pred[i] - direct.re).abs() < 1e-12);
        }
        // theta^H P^H T P theta equals (4L)^{-2} int_Omega |Df|^2.
        let df = model.apply_operator(&op);
        // Composite Simpson rule, error O(h^4).
        let nq = 300;
        let h = 1.0 / nq as f64;
        let simpson = |i: usize| {
            if i == 0 || i == nq {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            }
        };
        let mut integral = 0.0;
        for i in 0..=nq {
            for j in 0..=nq {
                let pt = [-0.5 + i as f64 * h, -0.5 + j as f64 * h];
                let v: c64 = basis
                    .modes()
                    .iter()
                    .zip(df.coefficients())
                    .map(|(k, t)| t * basis.eval(k, &pt))
                    .sum();
                integral += v.norm_sqr() * simpson(i) * simpson(j) * h * h / 9.0;
            }
        }
        let mut quad = c64::new(0.0, 0.0);
        for (a, ka) in basis.modes().iter().enumerate() {
            for (b, kb) in basis.modes().iter().enumerate() {
                let delta = [ka[0] - kb[0], ka[1] - kb[1]];
                quad += df.coefficients()[a].conj()
                    * cfg.domain().gram_entry(&basis, &delta)
                    * df.coefficients()[b];
            }
        }
        assert!((quad.re - integral / 4.0).abs() < 1e-7 * integral, "{quad} vs {}", integral / 4.0);
    }

    #[test]
    fn real_symmetric_solve_equals_complex_hermitian_solve() {
        let op =
            DiffOperator::derivative(2, 0, 2).unwrap() + DiffOperator::derivative(2, 1, 1).unwrap();
        for (lambda, mu, domain) in [
            (1e-3, 0.7, Domain::cube(2, 0.5)),
            (1e-4, 2.0, Domain::disk(0.4)),
            (
                0.0,
                10.0,
                Domain::Box(vec![
                    crate::Axis::Interval { lower: -0.2, upper: 0.5 },
                    crate::Axis::Periodic,
                ]),
            ),
        ] {
            let cfg = PiklConfig::builder(2, 0.5)
                .modes(4)
                .lambda(lambda)
                .mu(mu)
                .operator(op.clone())
                .domain(domain)
                .build()
                .unwrap();
            let x = random_points(2, 30, 0.5, 11);
            let y: Vec<f64> = (0..30).map(|i| (x[(0, i)] * 3.0).sin() + x[(1, i)]).collect();
            let asm = cfg.assemble(x.as_ref(), &y).unwrap();
            let real = cfg.solve(&asm).unwrap();
            let complex = cfg.solve_complex(&asm).unwrap();
            // Both are backward stable for the same Hermitian system: compare residuals
            // |K theta - b| against eps |K| |theta| rather than coefficients (ill-conditioned
            // when lambda = 0).
            let system = cfg.system(&asm);
            let n_modes = cfg.basis().n_modes();
            let k_norm = (0..n_modes)
                .flat_map(|i| (0..n_modes).map(move |j| (i, j)))
                .map(|(i, j)| system.entry(i, j).norm_sqr())
                .sum::<f64>()
                .sqrt();
            for model in [&real, &complex] {
                let theta = model.coefficients();
                let t_norm = theta.iter().map(|t| t.norm_sqr()).sum::<f64>().sqrt();
                let res = (0..n_modes)
                    .map(|i| {
                        let kt: c64 = (0..n_modes).map(|j| system.entry(i, j) * theta[j]).sum();
                        (kt - asm.rhs()[i]).norm_sqr()
                    })
                    .sum::<f64>()
                    .sqrt();
                assert!(res < 1e3 * f64::EPSILON * k_norm * t_norm, "residual {res}");
            }
            // The real-coordinate solution is conjugate-symmetric by construction.
            let c = real.coefficients();
            assert!(
                (0..n_modes)
                    .all(|i| (c[i] - c[n_modes - 1 - i].conj()).norm()
                        < 1e-300 + 1e-15 * c[i].norm())
            );
        }
    }

    /// The name of the rejected parameter.
    ///
    /// # Panics
    /// If `res` is not an `InvalidParameter` error.
    #[track_caller]
    fn rejected<T: std::fmt::Debug>(res: Result<T>) -> &'static str {
        match res {
            Err(PinnError::InvalidParameter { name, .. }) => name,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn out_of_range_scales_are_rejected_at_build() {
        let d2 = DiffOperator::derivative(1, 0, 2).unwrap();
        // omega = pi / (2L) overflows for L = 1e-310 and is 0 for L = 1e308.
        assert_eq!(rejected(PiklConfig::builder(1, 1e-310).build()), "half_width");
        assert_eq!(rejected(PiklConfig::builder(1, 1e308).build()), "half_width");
        // L = 1e-300, m = 10: |k| / 2L = 5e300, whose square overflows (the weights, then the
        // second-order symbol (m omega)^2 = (1.6e301)^2, are out of range).
        let tiny = PiklConfig::builder(1, 1e-300).modes(10);
        assert_eq!(rejected(tiny.clone().operator(d2.clone()).build()), "half_width");
        assert_eq!(rejected(tiny.sobolev_order(0.0).operator(d2.clone()).build()), "half_width");
        // s = 1e6 with L = 1: (10 / 2)^(2e6) overflows.
        assert_eq!(
            rejected(PiklConfig::builder(1, 1.0).sobolev_order(1e6).build()),
            "sobolev_order"
        );
        // A coefficient 1e300 on f'': |p(10)|^2 = (1e300 (10 pi / 2)^2)^2 overflows.
        let huge = 1e300 * d2.clone();
        assert_eq!(rejected(PiklConfig::builder(1, 1.0).operator(huge).build()), "operator");

        // Large but finite: s = 200 with m = 10, L = 1 has the largest weight 1 + 5^400 =
        // 3.9e279, although |k|^(2s) = 1e400 overflows on its own.
        let cfg = PiklConfig::builder(1, 1.0).sobolev_order(200.0).build().unwrap();
        let w = cfg.sobolev_weight(&[10]);
        // powi multiplies 400 factors, each rounding by at most eps.
        assert!((w - 5f64.powi(400)).abs() <= 400.0 * f64::EPSILON * w, "{w:e}");
        // Ordinary weights are computed as before, bit for bit: 1 + 9^2 / 2^4 at s = 2.
        let cfg = PiklConfig::builder(1, 1.0).build().unwrap();
        assert_eq!(cfg.sobolev_weight(&[3]).to_bits(), (1.0 + 81.0 / 16.0f64).to_bits());
        // Two penalties that overflow only with the number of points are named at solve time:
        // n lambda S_10 = 4e306 (1 + 5^4) and n mu |p(10)|^2 = 4e305 (5 pi)^4 overflow.
        let x = Mat::from_fn(1, 4, |_, j| -0.5 + 0.25 * j as f64);
        let big = PiklConfig::builder(1, 1.0).lambda(1e306).build().unwrap();
        assert_eq!(rejected(big.fit(x.as_ref(), &[0.0; 4])), "lambda");
        let big = PiklConfig::builder(1, 1.0).mu(1e305).operator(d2).build().unwrap();
        assert_eq!(rejected(big.fit(x.as_ref(), &[0.0; 4])), "mu");
    }

    #[test]
    fn values_whose_squares_overflow_are_rejected() {
        let cfg = PiklConfig::builder(1, 1.0).build().unwrap();
        let x = Mat::from_fn(1, 2, |_, j| -0.5 + j as f64);
        for y in [[1e308, 0.0], [-1e308, 1.0], [1e154, 1e154]] {
            assert_eq!(rejected(cfg.fit(x.as_ref(), &y)), "y", "{y:?}");
            assert_eq!(rejected(cfg.assemble(x.as_ref(), &y)), "y", "{y:?}");
        }
        // (1e153)^2 + (2e153)^2 = 5e306 is finite: accepted. The fit is linear in y, so it is
        // 1e153 times the fit of y / 1e153, up to rounding amplified by the condition number of
        // the system, at most (n + n lambda S_max) / (n lambda) = (2 + 2e-3 (1 + 5^4)) / 2e-3,
        // about 1.6e3.
        let small = cfg.fit(x.as_ref(), &[1.0, -2.0]).unwrap();
        let large = cfg.fit(x.as_ref(), &[1e153, -2e153]).unwrap();
        let norm = small.coefficients().iter().map(|t| t.norm_sqr()).sum::<f64>().sqrt();
        for (a, b) in small.coefficients().iter().zip(large.coefficients()) {
            assert!((a * 1e153 - b).norm() <= 1.6e3 * 64.0 * f64::EPSILON * norm * 1e153);
        }
    }

    #[test]
    fn invalid_configs_are_rejected() {
        assert!(PiklConfig::builder(1, 1.0).lambda(-1.0).build().is_err());
        assert!(PiklConfig::builder(1, 1.0).mu(f64::NAN).build().is_err());
        assert!(PiklConfig::builder(2, 1.0).operator(DiffOperator::identity(1)).build().is_err());
        let cfg = PiklConfig::builder(1, 1.0).build().unwrap();
        let far = Mat::from_fn(1, 1, |_, _| 2.5);
        assert!(cfg.fit(far.as_ref(), &[0.0]).is_err());
    }
}
