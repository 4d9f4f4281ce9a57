//! The trainable parameters of a residual network, and vector-space operations on them.

use faer::Mat;
use serde::{Deserialize, Serialize};

/// The weights of a residual network, or a gradient with the same shapes.
///
/// | field | shape | role |
/// |---|---|---|
/// | `w[k]` | `M x d` | inner weight `W_k` of block `k` |
/// | `v[k]` | `d x M` | outer weight `V_k` of block `k` |
/// | `input_map` | `d x p` | `A` in `h_0 = A x`, `None` for the identity |
/// | `output_map` | `q x d` | `B` in `F(x) = B h_L`, `None` for the identity |
#[derive(Debug, Clone, PartialEq)]
pub struct ResNetParams {
    /// Inner weights `W_k`, one per block.
    pub w: Vec<Mat<f64>>,
    /// Outer weights `V_k`, one per block.
    pub v: Vec<Mat<f64>>,
    /// Input map `A`.
    pub input_map: Option<Mat<f64>>,
    /// Output map `B`.
    pub output_map: Option<Mat<f64>>,
}

/// A serialisable copy of [`ResNetParams`] (row-major nested vectors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamsRecord {
    /// Rows of each `W_k`.
    pub w: Vec<Vec<Vec<f64>>>,
    /// Rows of each `V_k`.
    pub v: Vec<Vec<Vec<f64>>>,
    /// Rows of `A`.
    pub input_map: Option<Vec<Vec<f64>>>,
    /// Rows of `B`.
    pub output_map: Option<Vec<Vec<f64>>>,
}

fn rows(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows()).map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect()).collect()
}

fn from_rows(r: &[Vec<f64>]) -> Mat<f64> {
    let ncols = r.first().map_or(0, Vec::len);
    Mat::from_fn(r.len(), ncols, |i, j| r[i][j])
}

fn all_mats(p: &ResNetParams) -> impl Iterator<Item = &Mat<f64>> {
    p.w.iter().chain(&p.v).chain(p.input_map.iter()).chain(p.output_map.iter())
}

fn all_mats_mut(p: &mut ResNetParams) -> impl Iterator<Item = &mut Mat<f64>> {
    p.w.iter_mut()
        .chain(p.v.iter_mut())
        .chain(p.input_map.iter_mut())
        .chain(p.output_map.iter_mut())
}

impl ResNetParams {
    /// Parameters with every entry zero and the shapes of `self`.
    pub fn zeros_like(&self) -> Self {
        let z = |m: &Mat<f64>| Mat::zeros(m.nrows(), m.ncols());
        Self {
            w: self.w.iter().map(z).collect(),
            v: self.v.iter().map(z).collect(),
            input_map: self.input_map.as_ref().map(z),
            output_map: self.output_map.as_ref().map(z),
        }
    }

    /// Number of scalar parameters.
    pub fn len(&self) -> usize {
        all_mats(self).map(|m| m.nrows() * m.ncols()).sum()
    }

    /// `true` when there is no parameter.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All entries in one vector: `W_0..W_{L-1}`, `V_0..V_{L-1}`, `A`, `B`, each column-major.
    pub fn flatten(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        for m in all_mats(self) {
            for j in 0..m.ncols() {
                out.extend_from_slice(m.col_as_slice(j));
            }
        }
        out
    }

    /// Overwrites every entry from a vector in the order of [`ResNetParams::flatten`].
    ///
    /// # Panics
    /// If `flat.len() != self.len()`.
    #[track_caller]
    pub fn set_from_flat(&mut self, flat: &[f64]) {
        assert_eq!(flat.len(), self.len(), "set_from_flat: wrong number of entries");
        let mut pos = 0;
        for m in all_mats_mut(self) {
            for j in 0..m.ncols() {
                let col = m.col_as_slice_mut(j);
                col.copy_from_slice(&flat[pos..pos + col.len()]);
                pos += col.len();
            }
        }
    }

    /// `self += a * other`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn axpy(&mut self, a: f64, other: &Self) {
        assert_eq!(self.w.len(), other.w.len(), "axpy: depths differ");
        assert_eq!(self.input_map.is_some(), other.input_map.is_some(), "axpy: input maps differ");
        assert_eq!(
            self.output_map.is_some(),
            other.output_map.is_some(),
            "axpy: output maps differ"
        );
        for (x, y) in all_mats_mut(self).zip(all_mats(other)) {
            assert_eq!((x.nrows(), x.ncols()), (y.nrows(), y.ncols()), "axpy: shapes differ");
            for j in 0..x.ncols() {
                for (xi, yi) in x.col_as_slice_mut(j).iter_mut().zip(y.col_as_slice(j)) {
                    *xi += a * yi;
                }
            }
        }
    }

    /// Overwrites every entry with those of `other`, without allocating.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn copy_from(&mut self, other: &Self) {
        assert_eq!(self.w.len(), other.w.len(), "copy_from: depths differ");
        assert_eq!(self.input_map.is_some(), other.input_map.is_some(), "copy_from: input maps");
        assert_eq!(self.output_map.is_some(), other.output_map.is_some(), "copy_from: output maps");
        for (x, y) in all_mats_mut(self).zip(all_mats(other)) {
            x.copy_from(y);
        }
    }

    /// Euclidean norm of all entries.
    pub fn norm(&self) -> f64 {
        all_mats(self).map(|m| m.norm_l2().powi(2)).sum::<f64>().sqrt()
    }

    /// `true` when every entry is finite.
    pub fn all_finite(&self) -> bool {
        all_mats(self).all(|m| megavolt_core::linalg::all_finite(m.as_ref()))
    }

    /// The largest increment between consecutive blocks,
    /// `max_k sqrt(|W_{k+1} - W_k|_F^2 + |V_{k+1} - V_k|_F^2)`: the smoothness measure of the
    /// weights as functions of depth (0 for a single block).
    pub fn max_increment(&self) -> f64 {
        let mut best = 0.0f64;
        for k in 1..self.w.len() {
            let dw = (&self.w[k] - &self.w[k - 1]).norm_l2();
            let dv = (&self.v[k] - &self.v[k - 1]).norm_l2();
            best = best.max(dw.hypot(dv));
        }
        best
    }

    /// A serialisable copy.
    pub fn to_record(&self) -> ParamsRecord {
        ParamsRecord {
            w: self.w.iter().map(rows).collect(),
            v: self.v.iter().map(rows).collect(),
            input_map: self.input_map.as_ref().map(rows),
            output_map: self.output_map.as_ref().map(rows),
        }
    }

    /// Rebuilds parameters from a record.
    pub fn from_record(r: &ParamsRecord) -> Self {
        Self {
            w: r.w.iter().map(|m| from_rows(m)).collect(),
            v: r.v.iter().map(|m| from_rows(m)).collect(),
            input_map: r.input_map.as_deref().map(from_rows),
            output_map: r.output_map.as_deref().map(from_rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ResNetParams {
        ResNetParams {
            w: vec![Mat::from_fn(2, 3, |i, j| (i + 3 * j) as f64); 2],
            v: vec![Mat::from_fn(3, 2, |i, j| (i * j) as f64 - 1.0); 2],
            input_map: None,
            output_map: Some(Mat::from_fn(1, 3, |_, j| j as f64)),
        }
    }

    #[test]
    fn flatten_round_trip_and_axpy() {
        let p = sample();
        assert_eq!(p.len(), 2 * 6 + 2 * 6 + 3);
        let flat = p.flatten();
        let mut q = p.zeros_like();
        q.set_from_flat(&flat);
        assert_eq!(p, q);
        q.axpy(-1.0, &p);
        assert!(q.norm() < f64::EPSILON);
        q.copy_from(&p);
        assert_eq!(q, p);
        assert_eq!(ResNetParams::from_record(&p.to_record()), p);
        // Identical blocks have zero increment.
        assert!(p.max_increment() < f64::EPSILON);
    }
}
