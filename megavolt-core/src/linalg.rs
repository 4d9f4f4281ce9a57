//! Determinism policy for faer and small dense helpers shared by the research crates.

use faer::{Mat, MatRef, Par};
use serde::{Deserialize, Serialize};

/// Whether dense kernels inside one run may use several threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Parallelism {
    /// One thread per run (the default): bit-identical results at any thread count.
    #[default]
    Sequential,
    /// faer's rayon kernels on all threads, for very large problems.
    ///
    /// Reductions are then split in a schedule-dependent way, so results are reproducible only
    /// to rounding.
    Parallel,
}

impl Parallelism {
    /// The faer parallelism to pass to kernels.
    pub fn par(self) -> Par {
        match self {
            Parallelism::Sequential => Par::Seq,
            Parallelism::Parallel => Par::rayon(0),
        }
    }
}

/// Largest absolute entry-wise difference of two matrices.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn max_abs_diff(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()), "max_abs_diff: shapes differ");
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    m
}

/// `true` when every entry is finite.
pub fn all_finite(a: MatRef<'_, f64>) -> bool {
    (0..a.ncols()).all(|j| (0..a.nrows()).all(|i| a[(i, j)].is_finite()))
}

/// Largest absolute entry (the max norm), 0 for an empty matrix.
pub fn max_abs(a: MatRef<'_, f64>) -> f64 {
    let mut m = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max(a[(i, j)].abs());
        }
    }
    m
}

/// Builds a matrix from row-major nested slices (convenient in tests and examples).
///
/// # Panics
/// If the rows have different lengths.
#[track_caller]
pub fn mat_from_rows(rows: &[&[f64]]) -> Mat<f64> {
    let nrows = rows.len();
    let ncols = rows.first().map_or(0, |r| r.len());
    assert!(rows.iter().all(|r| r.len() == ncols), "mat_from_rows: ragged rows");
    Mat::from_fn(nrows, ncols, |i, j| rows[i][j])
}
