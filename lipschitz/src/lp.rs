//! A small dense linear-programming solver (primal simplex with Bland's rule).
//!
//! Solves
//!
//! ```text
//! maximise c^T y   subject to   A y <= b,  y >= 0,   with b >= 0,
//! ```
//!
//! so that `y = 0` is a feasible starting vertex (no phase one). This is the form of the
//! interior tests of the exact enumeration, which shift the variables to a known feasible
//! point first. Dense tableau, `O(m (n + m))` work per pivot; meant for the small programs
//! (tens of variables, hundreds of constraints) of region enumeration.

use faer::{Mat, MatRef};

use crate::error::{LipError, Result};

/// Solution of [`maximise`].
#[derive(Debug, Clone, PartialEq)]
pub struct LpSolution {
    /// Optimal value `c^T y`.
    pub value: f64,
    /// An optimal point.
    pub y: Vec<f64>,
    /// Number of pivots.
    pub pivots: usize,
}

/// Maximises `c^T y` subject to `A y <= b`, `y >= 0`, with `b >= 0`.
///
/// | parameter | meaning | valid |
/// |---|---|---|
/// | `a` | constraint matrix, `m x n` | finite |
/// | `b` | right-hand side, length `m` | finite, `>= 0` |
/// | `c` | objective, length `n` | finite |
///
/// ```
/// use lipschitz::lp::maximise;
/// // max 3x + 5y s.t. x <= 4, 2y <= 12, 3x + 2y <= 18: optimum 36 at (2, 6).
/// let a = faer::mat![[1.0, 0.0], [0.0, 2.0], [3.0, 2.0]];
/// let s = maximise(a.as_ref(), &[4.0, 12.0, 18.0], &[3.0, 5.0])?;
/// assert!((s.value - 36.0).abs() < 1e-12);
/// # Ok::<(), lipschitz::LipError>(())
/// ```
///
/// # Errors
/// [`LipError::InvalidParameter`] if `b` has a negative or non-finite entry;
/// [`LipError::Solver`] if the program is unbounded or the pivot budget `50 (m + n) + 100` is
/// exhausted.
///
/// # Panics
/// If `b.len() != a.nrows()` or `c.len() != a.ncols()`.
///
/// # References
/// R. G. Bland, *New finite pivoting rules for the simplex method*, Math. Oper. Res. 2 (1977).
#[track_caller]
pub fn maximise(a: MatRef<'_, f64>, b: &[f64], c: &[f64]) -> Result<LpSolution> {
    let (m, n) = (a.nrows(), a.ncols());
    assert_eq!(b.len(), m, "maximise: b has the wrong length");
    assert_eq!(c.len(), n, "maximise: c has the wrong length");
    if let Some(v) = b.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(LipError::invalid("b", v, "finite and >= 0 (the origin must be feasible)"));
    }
    // Tableau [A | I | b] and the reduced-cost row [-c | 0 | 0].
    let width = n + m + 1;
    let mut t = Mat::<f64>::zeros(m + 1, width);
    for i in 0..m {
        for j in 0..n {
            t[(i, j)] = a[(i, j)];
        }
        t[(i, n + i)] = 1.0;
        t[(i, width - 1)] = b[i];
    }
    for j in 0..n {
        t[(m, j)] = -c[j];
    }
    let mut basis: Vec<usize> = (n..n + m).collect();
    let scale = 1.0 + (0..n).map(|j| c[j].abs()).fold(0.0, f64::max);
    let tol = 1e-11 * scale;
    let max_pivots = 50 * (m + n) + 100;
    let mut pivots = 0;
    // Bland: entering variable of smallest index with negative reduced cost.
    while let Some(enter) = (0..n + m).find(|&j| t[(m, j)] < -tol) {
        // Ratio test, ties broken by the smallest basic index.
        let mut leave: Option<(usize, f64)> = None;
        for i in 0..m {
            let p = t[(i, enter)];
            if p > 1e-12 {
                let r = t[(i, width - 1)] / p;
                leave = match leave {
                    None => Some((i, r)),
                    Some((k, rk)) if r < rk - 1e-14 || (r <= rk + 1e-14 && basis[i] < basis[k]) => {
                        Some((i, r))
                    }
                    keep => keep,
                };
            }
        }
        let Some((row, _)) = leave else {
            return Err(LipError::Solver { status: "linear program is unbounded".into() });
        };
        pivot(&mut t, row, enter);
        basis[row] = enter;
        pivots += 1;
        if pivots > max_pivots {
            return Err(LipError::Solver {
                status: format!("simplex pivot budget {max_pivots} exhausted"),
            });
        }
    }
    let mut y = vec![0.0; n];
    for (i, &bi) in basis.iter().enumerate() {
        if bi < n {
            y[bi] = t[(i, width - 1)].max(0.0);
        }
    }
    let value = (0..n).map(|j| c[j] * y[j]).sum();
    Ok(LpSolution { value, y, pivots })
}

fn pivot(t: &mut Mat<f64>, row: usize, col: usize) {
    let p = t[(row, col)];
    let width = t.ncols();
    for j in 0..width {
        t[(row, j)] /= p;
    }
    for i in 0..t.nrows() {
        if i != row {
            let f = t[(i, col)];
            if f != 0.0 {
                for j in 0..width {
                    let v = t[(row, j)];
                    t[(i, j)] -= f * v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degenerate_and_unbounded_cases() {
        // Klee-Minty-like degenerate vertex: max x + y s.t. x + y <= 0, x <= 0 -> 0.
        let a = faer::mat![[1.0, 1.0], [1.0, 0.0]];
        let s = maximise(a.as_ref(), &[0.0, 0.0], &[1.0, 1.0]).unwrap();
        assert!(s.value.abs() < 1e-12);
        // Unbounded: max x s.t. -x <= 1.
        let a = faer::mat![[-1.0]];
        assert!(matches!(maximise(a.as_ref(), &[1.0], &[1.0]), Err(LipError::Solver { .. })));
        assert!(maximise(a.as_ref(), &[-1.0], &[1.0]).is_err());
    }

    #[test]
    fn chebyshev_radius_of_a_square() {
        // Largest ball in [0, 2]^2 centred (1 + u, 1 + v): max t s.t. +-(u, v) + t <= 1,
        // with u = u+ - u-, v = v+ - v-. Radius 1.
        let a = faer::mat![
            [1.0, -1.0, 0.0, 0.0, 1.0],
            [-1.0, 1.0, 0.0, 0.0, 1.0],
            [0.0, 0.0, 1.0, -1.0, 1.0],
            [0.0, 0.0, -1.0, 1.0, 1.0],
        ];
        let s = maximise(a.as_ref(), &[1.0; 4], &[0.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
        assert!((s.value - 1.0).abs() < 1e-14);
    }
}
