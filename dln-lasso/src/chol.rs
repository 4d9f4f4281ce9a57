//! Cholesky factor of a growing and shrinking principal submatrix `G_AA = L L^T`, updated in
//! `O(k^2)` per inserted or deleted index (Golub & Van Loan, *Matrix Computations*, 4th ed.,
//! §6.5.4 and §12.5).

/// Lower-triangular factor stored by rows, row `i` holding `L[i][0..=i]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cholesky {
    rows: Vec<Vec<f64>>,
}

impl Cholesky {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Solves `L z = b` in place.
    pub(crate) fn solve_lower(&self, b: &mut [f64]) {
        for (i, row) in self.rows.iter().enumerate() {
            let s: f64 = row[..i].iter().zip(&b[..i]).map(|(l, z)| l * z).sum();
            b[i] = (b[i] - s) / row[i];
        }
    }

    /// Solves `L^T z = b` in place.
    pub(crate) fn solve_upper(&self, b: &mut [f64]) {
        for i in (0..self.rows.len()).rev() {
            b[i] /= self.rows[i][i];
            let zi = b[i];
            for (bk, l) in b[..i].iter_mut().zip(&self.rows[i][..i]) {
                *bk -= l * zi;
            }
        }
    }

    /// Solves `G z = b` in place.
    pub(crate) fn solve(&self, b: &mut [f64]) {
        self.solve_lower(b);
        self.solve_upper(b);
    }

    /// Appends an index whose Gram column restricted to the current set is `g_col` and whose
    /// diagonal entry is `g_diag`. Refuses (returning the squared pivot ratio) when the new pivot
    /// squared is at most `rel_tol * g_diag`: the new column is numerically in the span of the
    /// others.
    pub(crate) fn try_push(&mut self, g_col: &[f64], g_diag: f64, rel_tol: f64) -> Result<(), f64> {
        let mut w = g_col.to_vec();
        self.solve_lower(&mut w);
        let d2 = g_diag - w.iter().map(|v| v * v).sum::<f64>();
        let ratio = if g_diag > 0.0 { d2 / g_diag } else { 0.0 };
        if ratio.is_nan() || ratio <= rel_tol {
            return Err(ratio);
        }
        w.push(d2.sqrt());
        self.rows.push(w);
        Ok(())
    }

    /// Deletes index `idx`, restoring triangularity with Givens rotations on columns.
    pub(crate) fn remove(&mut self, idx: usize) {
        self.rows.remove(idx);
        let k = self.rows.len();
        for j in idx..k {
            // Row j (formerly j + 1) has one entry too many, at column j + 1.
            let (a, b) = (self.rows[j][j], self.rows[j][j + 1]);
            let r = a.hypot(b);
            let (c, s) = if r > 0.0 { (a / r, b / r) } else { (1.0, 0.0) };
            for row in &mut self.rows[j..] {
                let (u, v) = (row[j], row[j + 1]);
                row[j] = c * u + s * v;
                row[j + 1] = -s * u + c * v;
            }
            self.rows[j].truncate(j + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gram(i: usize, j: usize) -> f64 {
        // Hilbert-like but well conditioned: 1/(1 + |i - j|) + 2 delta_ij.
        1.0 / (1.0 + (i as f64 - j as f64).abs()) + if i == j { 2.0 } else { 0.0 }
    }

    #[test]
    fn push_remove_solve() {
        let idx = [3usize, 0, 5, 1, 4];
        let mut ch = Cholesky::default();
        for (k, &i) in idx.iter().enumerate() {
            let col: Vec<f64> = idx[..k].iter().map(|&j| gram(j, i)).collect();
            ch.try_push(&col, gram(i, i), 1e-12).unwrap();
        }
        ch.remove(1);
        ch.remove(2);
        let kept = [3usize, 5, 4];
        let b = [1.0, -2.0, 0.5];
        let mut z = b.to_vec();
        ch.solve(&mut z);
        for (a, &i) in kept.iter().enumerate() {
            let gz: f64 = kept.iter().zip(&z).map(|(&j, zj)| gram(i, j) * zj).sum();
            assert!((gz - b[a]).abs() < 1e-14, "row {a}: {gz} vs {}", b[a]);
        }
    }

    #[test]
    fn refuses_dependent_column() {
        let mut ch = Cholesky::default();
        ch.try_push(&[], 1.0, 1e-10).unwrap();
        // Second column identical to the first: G = [[1, 1], [1, 1]].
        assert!(ch.try_push(&[1.0], 1.0, 1e-10).is_err());
        assert_eq!(ch.len(), 1);
    }
}
