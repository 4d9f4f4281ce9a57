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
//! Both are computed by the log-sum-exp rule: the row maximum `m_i = max_j <q_i, k_j>` is
//! subtracted before exponentiating, so the softmax weights never overflow, whatever `beta`
//! (the uniform weights are finite as long as `exp(beta m_i) / n` is).
//!
//! The scores `K^T Q` are formed by one faer matrix product, and the output by a second one,
//! `V W`, for a cost of `O(n^2 (p + m))` per evaluation. When the queries equal the keys the
//! score matrix is symmetric and only its lower triangle is computed.
//!
//! When the `n x n` score matrix does not fit in [`Evaluation::memory_budget`], the queries are
//! processed in blocks of `b` columns: each block needs an `n x b` score tile, so the memory is
//! `O(n (p + m + b))`. Every query column sees the same arithmetic in both modes, up to the
//! blocking of the matrix products, so the results agree to rounding.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
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
    /// Always the full `n x n` score matrix.
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

/// Reusable scratch memory of the kernel (the score tile), so that repeated evaluations do not
/// allocate.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub(crate) scores: Mat<f64>,
    pub(crate) qx: Mat<f64>,
    pub(crate) kx: Mat<f64>,
    pub(crate) vx: Mat<f64>,
}

impl Default for Workspace {
    fn default() -> Self {
        Self {
            scores: Mat::zeros(0, 0),
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
    pub(crate) fn run(&self, eval: &Evaluation, scores: &mut Mat<f64>, mut out: MatMut<'_, f64>) {
        let n = self.queries.ncols();
        if n == 0 {
            return;
        }
        let par: Par = eval.parallelism.par();
        let block = eval.block_size(n);
        if scores.nrows() != n || scores.ncols() < block {
            *scores = Mat::zeros(n, block);
        }
        let mut start = 0;
        while start < n {
            let len = block.min(n - start);
            self.scores_block(start, len, scores, par);
            for c in 0..len {
                self.normalise_column(scores.col_as_slice_mut(c), start + c, n);
            }
            matmul(
                out.as_mut().subcols_mut(start, len),
                self.accum,
                self.values,
                scores.as_ref().subcols(0, len),
                1.0,
                par,
            );
            start += len;
        }
    }

    /// `scores[:, 0..len] = K^T Q[:, start..start + len]`.
    fn scores_block(&self, start: usize, len: usize, scores: &mut Mat<f64>, par: Par) {
        let n = self.queries.ncols();
        let q = self.queries.subcols(start, len);
        let dst = scores.as_mut().subcols_mut(0, len);
        if self.symmetric && len == n && self.queries.nrows() >= 8 {
            // Symmetric Gram: the lower triangle by one product, then mirrored.
            triangular::matmul(
                dst,
                BlockStructure::TriangularLower,
                Accum::Replace,
                self.keys.transpose(),
                BlockStructure::Rectangular,
                q,
                BlockStructure::Rectangular,
                1.0,
                par,
            );
            mirror_lower(scores.as_mut().subcols_mut(0, n));
        } else {
            matmul(dst, Accum::Replace, self.keys.transpose(), q, 1.0, par);
        }
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

/// Copies the strictly lower triangle of a square matrix onto its upper triangle, by tiles.
fn mirror_lower(mut s: MatMut<'_, f64>) {
    let n = s.nrows();
    const TILE: usize = 64;
    let mut jb = 0;
    while jb < n {
        let je = (jb + TILE).min(n);
        // Diagonal tile, element by element.
        for j in jb..je {
            for i in jb..j {
                let v = s[(j, i)];
                s[(i, j)] = v;
            }
        }
        // Off-diagonal tiles: upper (ib.., jb..) from the transposed lower (jb.., ib..).
        let (left, mut right) = s.as_mut().split_at_col_mut(jb);
        let mut ib = 0;
        while ib < jb {
            let ie = (ib + TILE).min(jb);
            let src = left.as_ref().submatrix(jb, ib, je - jb, ie - ib);
            right.as_mut().submatrix_mut(ib, 0, ie - ib, je - jb).copy_from(src.transpose());
            ib = ie;
        }
        jb = je;
    }
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
            a.run(&eval, &mut Mat::zeros(0, 0), out.as_mut());
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
        a.run(&Evaluation::default(), &mut Mat::zeros(0, 0), out.as_mut());
        let err = megavolt_core::linalg::max_abs_diff(out.as_ref(), reference.as_ref());
        assert!(err < 64.0 * f64::EPSILON, "{err}");
    }

    #[test]
    fn mirror_copies_lower_to_upper() {
        let n = 150;
        let mut m = Mat::from_fn(n, n, |i, j| if i >= j { (i * 1000 + j) as f64 } else { -1.0 });
        mirror_lower(m.as_mut());
        for j in 0..n {
            for i in 0..n {
                assert_eq!(m[(i, j)].to_bits(), m[(j, i)].to_bits());
            }
        }
    }

    #[test]
    fn auto_mode_switches_to_blocks_above_budget() {
        let eval = Evaluation { memory_budget: 8 * 100 * 100, ..Evaluation::default() };
        assert_eq!(eval.block_size(100), 100);
        assert_eq!(eval.block_size(1000), 10);
    }
}
