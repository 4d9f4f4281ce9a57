//! The input domain over which a Lipschitz constant is taken.

use serde::{Deserialize, Serialize};

use crate::error::{LipError, Result};

/// Input domain: the whole space (global constant) or a box (local constant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Domain {
    /// `R^d`.
    Global,
    /// `{x : lo <= x <= hi}` with `lo < hi` componentwise; build with [`Domain::new_box`].
    Box {
        /// Lower corner.
        lo: Vec<f64>,
        /// Upper corner.
        hi: Vec<f64>,
    },
}

impl Domain {
    /// The box `[lo, hi]`.
    ///
    /// ```
    /// use lipschitz::Domain;
    /// assert!(Domain::new_box(vec![0.0, -1.0], vec![1.0, 1.0]).is_ok());
    /// assert!(Domain::new_box(vec![0.0], vec![0.0]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if the corners differ in length, are empty, are not
    /// finite, or `lo_k >= hi_k` for some `k`.
    pub fn new_box(lo: Vec<f64>, hi: Vec<f64>) -> Result<Self> {
        if lo.is_empty() || lo.len() != hi.len() {
            return Err(LipError::invalid(
                "hi",
                format!("length {} (lo has {})", hi.len(), lo.len()),
                "corners of equal positive length",
            ));
        }
        for (k, (a, b)) in lo.iter().zip(&hi).enumerate() {
            if !(a.is_finite() && b.is_finite() && a < b) {
                return Err(LipError::invalid(
                    "box",
                    format!("[{a}, {b}] in coordinate {k}"),
                    "finite lo < hi",
                ));
            }
        }
        Ok(Domain::Box { lo, hi })
    }

    /// Checks the domain against a network's input dimension `d`, and a box's corners as
    /// [`Domain::new_box`] does (its fields are public, so a box may have been built without
    /// it).
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] naming `domain` for a dimension other than `d`, or the
    /// errors of [`Domain::new_box`].
    pub fn check(&self, d: usize) -> Result<()> {
        if let Domain::Box { lo, hi } = self {
            Domain::new_box(lo.clone(), hi.clone())?;
            if lo.len() != d {
                return Err(LipError::invalid(
                    "domain",
                    format!("box of dimension {}", lo.len()),
                    "the network's input dimension",
                ));
            }
        }
        Ok(())
    }

    /// The box of half-width `radius` around `center` (`radius > 0`).
    ///
    /// # Errors
    /// [`LipError::InvalidParameter`] if `radius` is not positive and finite, or `center` is
    /// empty or not finite.
    pub fn ball_inf(center: &[f64], radius: f64) -> Result<Self> {
        if !(radius.is_finite() && radius > 0.0) {
            return Err(LipError::invalid("radius", radius, "finite and > 0"));
        }
        Self::new_box(
            center.iter().map(|c| c - radius).collect(),
            center.iter().map(|c| c + radius).collect(),
        )
    }

    /// Dimension of a box, `None` for the whole space.
    pub fn dim(&self) -> Option<usize> {
        match self {
            Domain::Global => None,
            Domain::Box { lo, .. } => Some(lo.len()),
        }
    }

    /// Whether `x` lies in the domain.
    pub fn contains(&self, x: &[f64]) -> bool {
        match self {
            Domain::Global => true,
            Domain::Box { lo, hi } => {
                x.iter().zip(lo.iter().zip(hi)).all(|(v, (a, b))| a <= v && v <= b)
            }
        }
    }
}
