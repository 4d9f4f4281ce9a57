//! The diabetes data of Efron, Hastie, Johnstone and Tibshirani (2004), shipped with the crate.
//!
//! 442 patients, ten baseline variables and a response (disease progression after one year).
//! The raw table is compiled into the library (`data/diabetes.tsv`, about 21 kB; source and
//! licence in the crate's `NOTICE` file); [`diabetes`] returns it with one of the usual
//! standardisations.
//!
//! | [`Standardization`] | columns of `X` | `y` |
//! |---|---|---|
//! | `Raw` | as recorded | as recorded |
//! | `Centered` | mean 0 | mean 0 |
//! | `UnitNorm` | mean 0, Euclidean norm 1 (LARS paper; scikit-learn `load_diabetes()`) | mean 0 |
//! | `UnitVariance` | mean 0, variance 1 with the `1/n` convention (glmnet) | mean 0 |
//!
//! scikit-learn's `load_diabetes()` returns the `UnitNorm` design with the raw `y`; since the
//! columns are centred, `X^T y` and therefore every lasso quantity are the same with the centred
//! `y`, which amounts to fitting an unpenalised intercept.
//!
//! # References
//! - B. Efron, T. Hastie, I. Johnstone, R. Tibshirani, *Least angle regression*, Ann. Statist.
//!   32(2), 407-499, 2004, Table 1 and §1.

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::{DlnError, Result};
use crate::problem::{LossScaling, Problem};

const DIABETES_TSV: &str = include_str!("../data/diabetes.tsv");

/// Names of the ten diabetes variables, in column order: age, sex, body-mass index, mean blood
/// pressure and six blood-serum measurements (tc, ldl, hdl, tch, ltg, glu).
pub const DIABETES_FEATURES: [&str; 10] =
    ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];

/// Standardisation applied to a data set (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Standardization {
    /// The values as recorded.
    Raw,
    /// Columns of `X` and `y` centred.
    Centered,
    /// Columns centred and scaled to unit Euclidean norm, `y` centred (Efron et al. 2004 and
    /// scikit-learn). Default.
    #[default]
    UnitNorm,
    /// Columns centred and scaled to unit variance (`1/n`), `y` centred (glmnet).
    UnitVariance,
}

/// A regression data set: design, response, and the affine maps that were applied.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Design matrix, `n x p`, one sample per row.
    pub x: Mat<f64>,
    /// Response, length `n`.
    pub y: Vec<f64>,
    /// Column names.
    pub feature_names: Vec<String>,
    /// Means subtracted from the columns of the raw design (zeros for `Raw`).
    pub x_mean: Vec<f64>,
    /// Factors the centred columns were divided by (ones for `Raw` and `Centered`).
    pub x_scale: Vec<f64>,
    /// Mean subtracted from the raw response (zero for `Raw`).
    pub y_mean: f64,
}

impl Dataset {
    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.x.nrows()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }

    /// The quadratic loss of this data set (see [`Problem::from_design`]).
    ///
    /// # Errors
    /// As [`Problem::from_design`].
    pub fn problem(&self, scaling: LossScaling) -> Result<Problem> {
        Problem::from_design(self.x.as_ref(), &self.y, scaling)
    }

    /// Index of the feature called `name`, if any.
    pub fn feature_index(&self, name: &str) -> Option<usize> {
        self.feature_names.iter().position(|f| f == name)
    }

    /// Applies a standardisation to a raw data set.
    pub fn standardized(
        x: Mat<f64>,
        y: Vec<f64>,
        names: Vec<String>,
        how: Standardization,
    ) -> Self {
        let (n, p) = (x.nrows(), x.ncols());
        if how == Standardization::Raw {
            return Self {
                x,
                y,
                feature_names: names,
                x_mean: vec![0.0; p],
                x_scale: vec![1.0; p],
                y_mean: 0.0,
            };
        }
        let mean = |v: &mut dyn Iterator<Item = f64>| v.sum::<f64>() / n as f64;
        let x_mean: Vec<f64> = (0..p).map(|j| mean(&mut (0..n).map(|i| x[(i, j)]))).collect();
        let y_mean = mean(&mut y.iter().copied());
        let mut xc = Mat::from_fn(n, p, |i, j| x[(i, j)] - x_mean[j]);
        let x_scale: Vec<f64> = (0..p)
            .map(|j| {
                let ss: f64 = (0..n).map(|i| xc[(i, j)] * xc[(i, j)]).sum();
                let s = match how {
                    Standardization::UnitNorm => ss.sqrt(),
                    Standardization::UnitVariance => (ss / n as f64).sqrt(),
                    _ => 1.0,
                };
                // A constant column stays zero rather than becoming NaN.
                if s > 0.0 { s } else { 1.0 }
            })
            .collect();
        for j in 0..p {
            for i in 0..n {
                xc[(i, j)] /= x_scale[j];
            }
        }
        let yc = y.iter().map(|v| v - y_mean).collect();
        Self { x: xc, y: yc, feature_names: names, x_mean, x_scale, y_mean }
    }
}

/// Parses a whitespace-separated table with one header line; the last column is the response.
///
/// # Errors
/// [`DlnError::Malformed`] on a ragged row, a non-numeric or non-finite entry, or no data.
pub fn parse_table(text: &str) -> Result<(Mat<f64>, Vec<f64>, Vec<String>)> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| DlnError::Malformed("empty table".into()))?
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let m = header.len();
    if m < 2 {
        return Err(DlnError::Malformed("need at least one feature and a response".into()));
    }
    let mut rows = Vec::new();
    for (k, line) in lines.enumerate() {
        let row: Vec<f64> =
            line.split_whitespace()
                .map(|t| {
                    t.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                        DlnError::Malformed(format!("line {}: bad number `{t}`", k + 2))
                    })
                })
                .collect::<Result<_>>()?;
        if row.len() != m {
            return Err(DlnError::Malformed(format!(
                "line {}: {} fields, expected {m}",
                k + 2,
                row.len()
            )));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(DlnError::Malformed("no data rows".into()));
    }
    let x = Mat::from_fn(rows.len(), m - 1, |i, j| rows[i][j]);
    let y = rows.iter().map(|r| r[m - 1]).collect();
    Ok((x, y, header[..m - 1].to_vec()))
}

/// The diabetes data (`n = 442`, `p = 10`) with the given standardisation; feature names are
/// [`DIABETES_FEATURES`].
///
/// # Example
/// ```
/// use dln_lasso::data::{diabetes, Standardization};
///
/// let d = diabetes(Standardization::UnitNorm);
/// assert_eq!((d.n_samples(), d.n_features()), (442, 10));
/// assert!((d.y_mean - 152.133484).abs() < 1e-6);
/// ```
///
/// # Panics
/// Never for the shipped file (its parsing is tested).
///
/// # References
/// Efron et al., *Least angle regression*, Ann. Statist. 32(2), 2004, Table 1.
pub fn diabetes(how: Standardization) -> Dataset {
    let (x, y, _) = parse_table(DIABETES_TSV).expect("the shipped diabetes table parses");
    let names = DIABETES_FEATURES.iter().map(|s| (*s).to_owned()).collect();
    Dataset::standardized(x, y, names, how)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_table_matches_published_summary() {
        let d = diabetes(Standardization::Raw);
        assert_eq!((d.n_samples(), d.n_features()), (442, 10));
        // First patient of Efron et al. (2004), Table 1.
        let first: Vec<f64> = (0..10).map(|j| d.x[(0, j)]).collect();
        assert_eq!(first, vec![59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]);
        assert_eq!(d.y[0].to_bits(), 151.0_f64.to_bits());
    }

    #[test]
    fn standardisations() {
        let d = diabetes(Standardization::UnitNorm);
        for j in 0..10 {
            let s: f64 = (0..442).map(|i| d.x[(i, j)]).sum();
            let ss: f64 = (0..442).map(|i| d.x[(i, j)].powi(2)).sum();
            assert!(
                s.abs() < 1e-13 && (ss - 1.0).abs() < 1e-13,
                "column {j}: sum {s}, norm^2 {ss}"
            );
        }
        let v = diabetes(Standardization::UnitVariance);
        let ss: f64 = (0..442).map(|i| v.x[(i, 3)].powi(2)).sum();
        assert!((ss / 442.0 - 1.0).abs() < 1e-13);
        assert!(v.y.iter().sum::<f64>().abs() < 1e-9);
    }

    #[test]
    fn malformed_tables_are_rejected() {
        assert!(parse_table("").is_err());
        assert!(parse_table("a y\n1 2\n3").is_err());
        assert!(parse_table("a y\n1 x").is_err());
        assert!(parse_table("a y\n1 NaN").is_err());
    }
}
