//! The vector-space operations an ODE state needs.

use faer::{Col, Mat};

/// A state that the integrators of [`crate::ode`] can advance.
///
/// The state is viewed as a sequence of contiguous chunks of `f64` (one for a vector, one per
/// column for a faer matrix); every operation works chunk by chunk, so the integrators never
/// allocate inside a step.
pub trait OdeState: Clone {
    /// Number of contiguous chunks.
    fn n_chunks(&self) -> usize;
    /// Chunk `k`.
    fn chunk(&self, k: usize) -> &[f64];
    /// Chunk `k`, mutably.
    fn chunk_mut(&mut self, k: usize) -> &mut [f64];
}

impl OdeState for Vec<f64> {
    fn n_chunks(&self) -> usize {
        1
    }
    fn chunk(&self, _k: usize) -> &[f64] {
        self
    }
    fn chunk_mut(&mut self, _k: usize) -> &mut [f64] {
        self
    }
}

impl OdeState for Col<f64> {
    fn n_chunks(&self) -> usize {
        1
    }
    fn chunk(&self, _k: usize) -> &[f64] {
        self.try_as_col_major().expect("owned columns are contiguous").as_slice()
    }
    fn chunk_mut(&mut self, _k: usize) -> &mut [f64] {
        self.try_as_col_major_mut().expect("owned columns are contiguous").as_slice_mut()
    }
}

impl OdeState for Mat<f64> {
    fn n_chunks(&self) -> usize {
        self.ncols()
    }
    fn chunk(&self, k: usize) -> &[f64] {
        self.col_as_slice(k)
    }
    fn chunk_mut(&mut self, k: usize) -> &mut [f64] {
        self.col_as_slice_mut(k)
    }
}

/// `out = base + sum_i coeffs[i] * terms[i]`, in one pass.
pub(crate) fn lincomb<S: OdeState>(out: &mut S, base: &S, terms: &[(f64, &S)]) {
    for k in 0..out.n_chunks() {
        let o = out.chunk_mut(k);
        o.copy_from_slice(base.chunk(k));
        for &(c, t) in terms {
            if c != 0.0 {
                for (oi, ti) in o.iter_mut().zip(t.chunk(k)) {
                    *oi += c * ti;
                }
            }
        }
    }
}

pub(crate) fn all_finite<S: OdeState>(y: &S) -> bool {
    (0..y.n_chunks()).all(|k| y.chunk(k).iter().all(|v| v.is_finite()))
}

pub(crate) fn len<S: OdeState>(y: &S) -> usize {
    (0..y.n_chunks()).map(|k| y.chunk(k).len()).sum()
}

/// Root-mean-square of `err_i / (atol + rtol * max(|y0_i|, |y1_i|))` (Hairer–Wanner's norm).
pub(crate) fn error_norm<S: OdeState>(err: &S, y0: &S, y1: &S, rtol: f64, atol: f64) -> f64 {
    let mut sum = 0.0;
    for k in 0..err.n_chunks() {
        for ((e, a), b) in err.chunk(k).iter().zip(y0.chunk(k)).zip(y1.chunk(k)) {
            let sc = atol + rtol * a.abs().max(b.abs());
            sum += (e / sc).powi(2);
        }
    }
    let n = len(err).max(1) as f64;
    (sum / n).sqrt()
}
