//! Evaluation of softmax attention, `out_i = sum_j w_ij v_j`, densely or in column blocks.
//!
//! For queries `q_i`, keys `k_j` and values `v_j` (columns of `p x n`, `p x n` and `m x n`
//! matrices) and an inverse temperature `beta >= 0`, the weights are
//!
//! ```text
//! softmax (SA):  w_ij = exp(beta <q_i, k_j>) / Z_i,   Z_i = sum_k exp(beta <q_i, k_k>)
//! uniform (USA): w_ij = exp(beta <q_i, k_j>) / n
//! ```
//!
//! Both are computed by the log-sum-exp rule: a shift `m_i >= max_j <q_i, k_j>` is subtracted
//! before exponentiating, so the softmax weights never overflow, whatever `beta` (the uniform
//! weights are finite as long as `exp(beta m_i) / n` is).
//!
//! General queries and keys: the scores `K^T Q` are formed by one faer matrix product, the
//! row maximum is the shift, and the output is a second product `V W`, for a cost of
//! `O(n^2 (p + m))` per evaluation. When the `n x n` score matrix does not fit in
//! [`Evaluation::memory_budget`], the queries are processed in blocks of `b` columns: each block
//! needs an `n x b` score tile, so the memory is `O(n (p + m + b))`.
//!
//! Queries equal to the keys (the sphere models, `Q = K`): the score matrix is symmetric and
//! `<q_i, q_j> <= max_k |q_k|^2` by Cauchy–Schwarz, so one common shift serves every row. Only
//! the lower triangle of `e^{beta (<q_i, q_j> - max_k |q_k|^2)}` is computed, panel by panel of
//! columns small enough to stay in cache, and each panel feeds both the output columns it
//! belongs to and, transposed, the later ones: `n (n + 1) / 2` exponentials, `n^2 p / 2 + n^2
//! m` multiply-adds and `O(n (p + m + b))` memory, whatever the mode. If the squared norms are
//! too spread for a common shift (`beta (max |q|^2 - min |q|^2) > 500`), the general path is
//! used. Every output column sees the same arithmetic up to the blocking of sums, so all modes
//! agree to rounding.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use megavolt_core::linalg::Parallelism;
use serde::{Deserialize, Serialize};

/// How the attention weights of a query are normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Normalization {
    /// Divide by the row sum `Z_i` (softmax; the SA model).
    #[default]
    Softmax,
    /// Divide by the number of tokens `n` (the unnormalised USA model).
    Uniform,
}

/// How the `n x n` score matrix is materialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum EvalMode {
    /// Dense when `8 n^2` bytes fit in the memory budget, blocked otherwise.
    #[default]
    Auto,
    /// Always the full `n x n` score matrix (general queries and keys; the symmetric kernel
    /// works by cache-sized panels in every mode).
    Dense,
    /// Always blocks of (at most) this many query columns.
    Blocked {
        /// Number of query columns per block (at least 1).
        block: usize,
    },
}

/// Evaluation settings of the attention kernel.
///
/// | field | default | meaning |
/// |---|---|---|
/// | `mode` | [`EvalMode::Auto`] | dense or blocked score matrix |
/// | `memory_budget` | 128 MiB | bytes allowed for the score matrix in [`EvalMode::Auto`] |
/// | `parallelism` | sequential | faer kernels on one thread (bit-identical at any thread count) or all |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Dense or blocked evaluation.
    pub mode: EvalMode,
    /// Bytes allowed for scores in [`EvalMode::Auto`].
    pub memory_budget: usize,
    /// Threads used by the matrix products.
    pub parallelism: Parallelism,
}

impl Default for Evaluation {
    fn default() -> Self {
        Self {
            mode: EvalMode::Auto,
            memory_budget: 128 << 20,
            parallelism: Parallelism::Sequential,
        }
    }
}

impl Evaluation {
    /// Number of query columns processed per block for `n` tokens (`n` means dense).
    pub fn block_size(&self, n: usize) -> usize {
        let n1 = n.max(1);
        match self.mode {
            EvalMode::Dense => n1,
            EvalMode::Blocked { block } => block.clamp(1, n1),
            EvalMode::Auto => {
                if (n1 as u128) * (n1 as u128) * 8 <= self.memory_budget as u128 {
                    n1
                } else {
                    (self.memory_budget / (8 * n1)).clamp(1, n1)
                }
            }
        }
    }
}

/// Reusable scratch memory of the kernel (score tile, row sums, projected tokens), so that
/// repeated evaluations do not allocate.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub(crate) kernel: Scratch,
    pub(crate) qx: Mat<f64>,
    pub(crate) kx: Mat<f64>,
    pub(crate) vx: Mat<f64>,
}

/// The buffers of one [`Attend::run`].
#[derive(Debug, Clone)]
pub(crate) struct Scratch {
    /// Score tile (`n x n` dense, `n x block` blocked).
    pub(crate) scores: Mat<f64>,
    /// Unscaled output, for accumulating evaluations.
    pub(crate) tmp: Mat<f64>,
    /// Row sums `Z_i` of the exponentials.
    pub(crate) z: Vec<f64>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self { scores: Mat::zeros(0, 0), tmp: Mat::zeros(0, 0), z: Vec::new() }
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self {
            kernel: Scratch::default(),
            qx: Mat::zeros(0, 0),
            kx: Mat::zeros(0, 0),
            vx: Mat::zeros(0, 0),
        }
    }
}

impl Workspace {
    /// An empty workspace; it grows on first use.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Columns per panel of the symmetric kernel: an `n x b` panel of about 512 KiB, so that it
/// stays in the level-2 cache between its exponentiation and its two products; between 16
/// and 256, and a multiple of 8.
fn cache_panel(n: usize) -> usize {
    ((1usize << 16) / n.max(1)).clamp(16, 256) / 8 * 8
}

/// Largest spread `beta (max_i |q_i|^2 - min_i |q_i|^2)` for which the symmetric kernel uses
/// one shift `M = max_i |q_i|^2` for all rows: the diagonal term `e^{beta (|q_i|^2 - M)}` of
/// every row then stays above `e^{-500}`, so no row sum underflows, and every weight that
/// matters to double precision (within `e^{-36}` of its row's largest) stays far from the
/// subnormal range.
const MAX_SHIFT_SPREAD: f64 = 500.0;

/// One attention evaluation: `out[:, i] (+)= alpha * sum_j w_ij v[:, j]`.
pub(crate) struct Attend<'a> {
    pub queries: MatRef<'a, f64>,
    pub keys: MatRef<'a, f64>,
    pub values: MatRef<'a, f64>,
    pub beta: f64,
    pub normalization: Normalization,
    /// Leave the `j = i` term out of the sum (it stays in `Z_i`).
    pub drop_self: bool,
    /// The queries are the keys: the score matrix is symmetric.
    pub symmetric: bool,
    pub accum: Accum,
    pub alpha: f64,
}

impl Attend<'_> {
    pub(crate) fn run(&self, eval: &Evaluation, scratch: &mut Scratch, mut out: MatMut<'_, f64>) {
        let n = self.queries.ncols();
        if n == 0 {
            return;
        }
        let par: Par = eval.parallelism.par();
        let block = eval.block_size(n);
        if self.symmetric && self.run_symmetric(eval, scratch, out.as_mut(), par) {
            return;
        }
        let scores = &mut scratch.scores;
        if scores.nrows() < n || scores.ncols() < block {
            *scores = Mat::zeros(n, block);
        }
        let mut start = 0;
        while start < n {
            let len = block.min(n - start);
            let mut tile = scores.as_mut().submatrix_mut(0, 0, n, len);
            matmul(
                tile.as_mut(),
                Accum::Replace,
                self.keys.transpose(),
                self.queries.subcols(start, len),
                1.0,
                par,
            );
            self.finish_block(start, tile, out.as_mut(), par);
            start += len;
        }
    }

    /// Weights of the query columns `start..start + len` from their scores (the `n x len`
    /// `tile`), then `out[:, start..start + len] (+)= V W`.
    fn finish_block(
        &self,
        start: usize,
        mut tile: MatMut<'_, f64>,
        out: MatMut<'_, f64>,
        par: Par,
    ) {
        let n = self.queries.ncols();
        let len = tile.ncols();
        for c in 0..len {
            let col = tile.as_mut().col_mut(c).try_as_col_major_mut().expect("contiguous tile");
            self.normalise_column(col.as_slice_mut(), start + c, n);
        }
        matmul(out.subcols_mut(start, len), self.accum, self.values, tile.as_ref(), 1.0, par);
    }

    /// The symmetric evaluation (queries equal to keys), by panels of columns. Returns
    /// `false` (and does nothing) when the squared norms are too spread for one common shift.
    ///
    /// With `M = max_i <q_i, q_i>`, Cauchy–Schwarz gives `<q_i, q_j> <= M`, so the matrix
    /// `E_ij = e^{beta (<q_i, q_j> - M)}` never overflows, and it is symmetric. Row `i` of `E`
    /// contains `e^{beta (|q_i|^2 - M)} >= e^{-500}` (see [`MAX_SHIFT_SPREAD`]), so no row sum
    /// underflows. The lower triangle of `E` is formed panel by panel (columns `j0..j1`, rows
    /// `j0..n`), and each panel, while it is in cache, is used twice: for the output columns
    /// `j0..j1` (`V[:, j0..n] P`, the diagonal block mirrored) and, transposed, for the columns
    /// `j1..n` (`V[:, j0..j1] P_below^T`). Only `n (n + 1) / 2` exponentials are computed, the
    /// row sums `Z_i` are accumulated in the same sweep, and the memory is `O(n b)` for panels
    /// of `b` columns. The output columns are scaled by `alpha / Z_i` (or `alpha e^{beta M} /
    /// n`) at the end.
    fn run_symmetric(
        &self,
        eval: &Evaluation,
        scratch: &mut Scratch,
        mut out: MatMut<'_, f64>,
        par: Par,
    ) -> bool {
        let n = self.queries.ncols();
        let beta = self.beta;
        let q = self.queries;
        let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
        for i in 0..n {
            let g: f64 = q.col(i).iter().map(|v| v * v).sum();
            if !g.is_finite() {
                return false;
            }
            hi = hi.max(g);
            lo = lo.min(g);
        }
        // `hi` and `lo` are finite here.
        if beta * (hi - lo) > MAX_SHIFT_SPREAD {
            return false;
        }
        let panel = match eval.mode {
            EvalMode::Blocked { .. } => eval.block_size(n),
            EvalMode::Dense | EvalMode::Auto => eval.block_size(n).min(cache_panel(n)),
        };
        let Scratch { scores, tmp, z } = scratch;
        if scores.nrows() < n || scores.ncols() < panel {
            *scores = Mat::zeros(n, panel);
        }
        z.clear();
        z.resize(n, 0.0);
        let m = self.values.nrows();
        let add = self.accum == Accum::Add;
        if add && (tmp.nrows() != m || tmp.ncols() != n) {
            *tmp = Mat::zeros(m, n);
        }
        let mut dst = if add { tmp.as_mut() } else { out.as_mut() };
        dst.fill(0.0);
        let mut j0 = 0;
        while j0 < n {
            let b = panel.min(n - j0);
            let j1 = j0 + b;
            let mut p = scores.as_mut().submatrix_mut(0, 0, n - j0, b);
            // Scores of the panel: rows j0..n, columns j0..j1.
            matmul(
                p.as_mut(),
                Accum::Replace,
                q.subcols(j0, n - j0).transpose(),
                q.subcols(j0, b),
                1.0,
                par,
            );
            // Exponentials of the lower triangle, with the row sums: z[j] collects column j of
            // the lower triangle and, from the earlier columns, row j of it.
            for c in 0..b {
                let j = j0 + c;
                let col = p.as_mut().col_mut(c).try_as_col_major_mut().expect("contiguous panel");
                let col = &mut col.as_slice_mut()[c..];
                let (done, rest) = z.split_at_mut(j + 1);
                done[j] += crate::expsum::exp_column(col, rest, beta, hi);
            }
            // The diagonal block, mirrored; its diagonal removed for `drop_self` (after the
            // row sums, which keep it).
            for c in 0..b {
                for r in 0..c {
                    p[(r, c)] = p[(c, r)];
                }
                if self.drop_self {
                    p[(c, c)] = 0.0;
                }
            }
            matmul(
                dst.as_mut().subcols_mut(j0, b),
                Accum::Add,
                self.values.subcols(j0, n - j0),
                p.as_ref(),
                1.0,
                par,
            );
            if j1 < n {
                matmul(
                    dst.as_mut().subcols_mut(j1, n - j1),
                    Accum::Add,
                    self.values.subcols(j0, b),
                    p.as_ref().subrows(b, n - j1).transpose(),
                    1.0,
                    par,
                );
            }
            j0 = j1;
        }
        let uniform = self.alpha * (beta * hi).exp() / n as f64;
        for (i, &zi) in z.iter().enumerate() {
            let scale = match self.normalization {
                Normalization::Softmax => self.alpha / zi,
                Normalization::Uniform => uniform,
            };
            let mut oc = out.as_mut().col_mut(i);
            match (add, oc.as_mut().try_as_col_major_mut()) {
                (false, Some(os)) => os.as_slice_mut().iter_mut().for_each(|o| *o *= scale),
                (true, Some(os)) => {
                    let src = tmp.col_as_slice(i);
                    os.as_slice_mut().iter_mut().zip(src).for_each(|(o, t)| *o += scale * t);
                }
                (false, None) => (0..m).for_each(|r| oc[r] *= scale),
                (true, None) => (0..m).for_each(|r| oc[r] += scale * tmp[(r, i)]),
            }
        }
        true
    }

    /// Turns the scores of query `i` (one column) into its weights, in place.
    fn normalise_column(&self, col: &mut [f64], i: usize, n: usize) {
        let beta = self.beta;
        let m = column_max(col);
        // One fused, SIMD-dispatched pass: exponentials and their sum.
        let z = megavolt_core::math::softmax_pass(col, beta, m);
        let scale = match self.normalization {
            Normalization::Softmax => self.alpha / z,
            Normalization::Uniform => self.alpha * (beta * m).exp() / n as f64,
        };
        for s in col.iter_mut() {
            *s *= scale;
        }
        if self.drop_self {
            col[i] = 0.0;
        }
    }
}

/// Largest entry (NaN entries are skipped, as by `f64::max`), with four independent lanes so
/// that the loop vectorises.
fn column_max(col: &[f64]) -> f64 {
    let mut lanes = [f64::NEG_INFINITY; 4];
    let mut chunks = col.chunks_exact(4);
    for c in &mut chunks {
        for k in 0..4 {
            if c[k] > lanes[k] {
                lanes[k] = c[k];
            }
        }
    }
    let mut m = lanes[0].max(lanes[1]).max(lanes[2].max(lanes[3]));
    for &v in chunks.remainder() {
        m = m.max(v);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(q: &Mat<f64>, k: &Mat<f64>, v: &Mat<f64>, beta: f64) -> Mat<f64> {
        let n = q.ncols();
        let mut out = Mat::zeros(v.nrows(), n);
        for i in 0..n {
            let logits: Vec<f64> = (0..n)
                .map(|j| beta * (0..q.nrows()).map(|r| q[(r, i)] * k[(r, j)]).sum::<f64>())
                .collect();
            let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
            let z: f64 = w.iter().sum();
            for j in 0..n {
                for r in 0..v.nrows() {
                    out[(r, i)] += w[j] / z * v[(r, j)];
                }
            }
        }
        out
    }

    #[test]
    fn dense_blocked_and_naive_agree() {
        let mut rng = megavolt_core::Seed::new(5).stream("kernel");
        let (p, n) = (9, 37);
        let q = megavolt_core::rng::gaussian_mat(&mut rng, p, n, 1.0);
        let k = megavolt_core::rng::gaussian_mat(&mut rng, p, n, 1.0);
        let v = megavolt_core::rng::gaussian_mat(&mut rng, 4, n, 1.0);
        let reference = naive(&q, &k, &v, 0.7);
        for mode in
            [EvalMode::Dense, EvalMode::Blocked { block: 5 }, EvalMode::Blocked { block: 1 }]
        {
            let eval = Evaluation { mode, ..Evaluation::default() };
            let mut out = Mat::zeros(4, n);
            let a = Attend {
                queries: q.as_ref(),
                keys: k.as_ref(),
                values: v.as_ref(),
                beta: 0.7,
                normalization: Normalization::Softmax,
                drop_self: false,
                symmetric: false,
                accum: Accum::Replace,
                alpha: 1.0,
            };
            a.run(&eval, &mut Scratch::default(), out.as_mut());
            let err = megavolt_core::linalg::max_abs_diff(out.as_ref(), reference.as_ref());
            assert!(err < 64.0 * f64::EPSILON, "{mode:?}: {err}");
        }
    }

    #[test]
    fn symmetric_gram_matches_full_product() {
        let mut rng = megavolt_core::Seed::new(6).stream("kernel");
        let (p, n) = (16, 150);
        let x = megavolt_core::rng::gaussian_mat(&mut rng, p, n, 0.3);
        let reference = naive(&x, &x, &x, 2.0);
        let mut out = Mat::zeros(p, n);
        let a = Attend {
            queries: x.as_ref(),
            keys: x.as_ref(),
            values: x.as_ref(),
            beta: 2.0,
            normalization: Normalization::Softmax,
            drop_self: false,
            symmetric: true,
            accum: Accum::Replace,
            alpha: 1.0,
        };
        a.run(&Evaluation::default(), &mut Scratch::default(), out.as_mut());
        let err = megavolt_core::linalg::max_abs_diff(out.as_ref(), reference.as_ref());
        assert!(err < 64.0 * f64::EPSILON, "{err}");
    }

    /// `sum_{j (!= i)} w_ij v_j` with `w_ij = e^{beta <q_i, q_j>} / Z_i` (or `/ n`), summed
    /// directly in the log domain of each row.
    fn naive_symmetric(
        q: &Mat<f64>,
        v: &Mat<f64>,
        beta: f64,
        normalization: Normalization,
        drop_self: bool,
    ) -> Mat<f64> {
        let n = q.ncols();
        let mut out = Mat::zeros(v.nrows(), n);
        for i in 0..n {
            let logits: Vec<f64> = (0..n)
                .map(|j| beta * (0..q.nrows()).map(|r| q[(r, i)] * q[(r, j)]).sum::<f64>())
                .collect();
            let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
            let scale = match normalization {
                Normalization::Softmax => 1.0 / w.iter().sum::<f64>(),
                Normalization::Uniform => m.exp() / n as f64,
            };
            for j in (0..n).filter(|&j| !(drop_self && j == i)) {
                for r in 0..v.nrows() {
                    out[(r, i)] += w[j] * scale * v[(r, j)];
                }
            }
        }
        out
    }

    /// The panel kernel (several panels, a partial last one), its fallback for spread norms,
    /// both normalisations, the dropped self term and accumulation, against direct sums.
    #[test]
    fn symmetric_panels_match_direct_sums() {
        let mut rng = megavolt_core::Seed::new(8).stream("kernel");
        let (p, n) = (6, 70);
        // Norms spread over [0.5, 1.5]: beta = 2 uses the common shift, beta = 300 exceeds
        // the spread limit (300 * (1.5^2 - 0.5^2) = 600) and takes the row-by-row path.
        let mut q = megavolt_core::rng::gaussian_mat(&mut rng, p, n, 1.0);
        for j in 0..n {
            let norm = q.col(j).norm_l2();
            let target = 0.5 + j as f64 / (n - 1) as f64;
            for r in 0..p {
                q[(r, j)] *= target / norm;
            }
        }
        let v = megavolt_core::rng::gaussian_mat(&mut rng, 3, n, 1.0);
        for beta in [0.0, 2.0, 300.0] {
            for normalization in [Normalization::Softmax, Normalization::Uniform] {
                for drop_self in [false, true] {
                    let reference = naive_symmetric(&q, &v, beta, normalization, drop_self);
                    let big = reference.norm_max();
                    for mode in [
                        EvalMode::Dense,
                        EvalMode::Blocked { block: 16 },
                        EvalMode::Blocked { block: 1 },
                    ] {
                        for accum in [Accum::Replace, Accum::Add] {
                            let eval = Evaluation { mode, ..Evaluation::default() };
                            let mut out = Mat::from_fn(3, n, |_, _| 1.0);
                            let a = Attend {
                                queries: q.as_ref(),
                                keys: q.as_ref(),
                                values: v.as_ref(),
                                beta,
                                normalization,
                                drop_self,
                                symmetric: true,
                                accum,
                                alpha: 1.0,
                            };
                            a.run(&eval, &mut Scratch::default(), out.as_mut());
                            let shift = if accum == Accum::Add { 1.0 } else { 0.0 };
                            let err =
                                Mat::from_fn(3, n, |r, c| out[(r, c)] - shift - reference[(r, c)])
                                    .norm_max();
                            // Sums of n terms of size at most `big`, each within a few ulps.
                            let tol = 8.0 * n as f64 * f64::EPSILON * (big + shift);
                            assert!(
                                err <= tol,
                                "beta {beta}, {normalization:?}, drop {drop_self}, {mode:?}, \
                                 {accum:?}: {err} > {tol}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The symmetric kernel never holds more than `n x 256` scores, in every mode: its memory
    /// is linear in `n`.
    #[test]
    fn symmetric_scratch_is_linear_in_n() {
        for n in [300usize, 3000] {
            let x = crate::tokens::uniform(megavolt_core::Seed::new(9), "t", 4, n);
            let mut scratch = Scratch::default();
            let mut out = Mat::zeros(4, n);
            let a = Attend {
                queries: x.as_ref(),
                keys: x.as_ref(),
                values: x.as_ref(),
                beta: 3.0,
                normalization: Normalization::Softmax,
                drop_self: true,
                symmetric: true,
                accum: Accum::Replace,
                alpha: 1.0,
            };
            let eval = Evaluation { mode: EvalMode::Dense, ..Evaluation::default() };
            a.run(&eval, &mut scratch, out.as_mut());
            assert_eq!(scratch.scores.nrows(), n);
            assert!(scratch.scores.ncols() <= 256, "{}", scratch.scores.ncols());
            assert!(megavolt_core::linalg::all_finite(out.as_ref()));
        }
    }

    #[test]
    fn cache_panels_are_multiples_of_eight() {
        assert_eq!(cache_panel(1024), 64);
        assert_eq!(cache_panel(16384), 16);
        assert_eq!(cache_panel(100), 256);
        assert_eq!(cache_panel(4096) % 8, 0);
    }

    #[test]
    fn auto_mode_switches_to_blocks_above_budget() {
        let eval = Evaluation { memory_budget: 8 * 100 * 100, ..Evaluation::default() };
        assert_eq!(eval.block_size(100), 100);
        assert_eq!(eval.block_size(1000), 10);
    }
}
