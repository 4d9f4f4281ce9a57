//! The `megavolt reproduce` experiments of this crate.
//!
//! | name | shows |
//! |---|---|
//! | `dln-orthogonal` | the time-averaged network against the lasso path on an orthogonal design, exact solution and `1/log(1/eps)` rate |
//! | `dln-diabetes` | the network against the lasso path on the diabetes data: where and why they separate |
//! | `saddle-vs-lars` | the saddle-to-saddle jump times against the LARS knots and the simulated activations |
//! | `early-stopping` | test error against the early-stopping time and against `1/lambda` |

mod diabetes;
mod early_stopping;
mod orthogonal;
mod saddles;

pub use diabetes::DlnDiabetes;
pub use early_stopping::EarlyStopping;
pub use orthogonal::DlnOrthogonal;
pub use saddles::SaddleVsLars;

use megavolt_core::Experiment;

/// Every experiment of this crate, in the order of a report.
pub fn experiments() -> Vec<Box<dyn Experiment>> {
    vec![
        Box::new(DlnOrthogonal),
        Box::new(DlnDiabetes),
        Box::new(SaddleVsLars),
        Box::new(EarlyStopping),
    ]
}

/// `n` points geometrically spaced from `a` to `b` (both included).
pub(crate) fn geomspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n).map(|k| (a.ln() + (b.ln() - a.ln()) * k as f64 / (n - 1).max(1) as f64).exp()).collect()
}

/// Column `j` of a list of vectors.
pub(crate) fn column(v: &[Vec<f64>], j: usize) -> Vec<f64> {
    v.iter().map(|x| x[j]).collect()
}

/// Largest absolute entry of `a - b`.
pub(crate) fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0, |m: f64, (x, y)| m.max((x - y).abs()))
}

/// The diabetes knots of scikit-learn 1.9.1 `lars_path(method="lasso")` on the unit-norm
/// standardisation: an independent reference for the reports.
pub(crate) const SKLEARN_DIABETES_KNOTS: [f64; 12] = [
    2.1480435755294986,
    2.0120221388246353,
    1.0246509061690712,
    0.7150981424178936,
    0.2944107174127322,
    0.20086945554432817,
    0.15602893708040982,
    0.04520625646978244,
    0.01239261621343099,
    0.01151184681833448,
    0.004937255302298364,
    0.002964799411680275,
];
