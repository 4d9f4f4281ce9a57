//! Piecewise-constant targets `f*(x) = f*_0 + sum_k Delta_k 1[x > v_k]` on `[0, 1]`.

use serde::{Deserialize, Serialize};

use crate::error::{Result, TwoTimescaleError, finite};

/// A piecewise-constant target on `[0, 1]`:
///
/// ```text
/// f*(x) = f*_0 + sum_{k=1..K} Delta_k 1[x > v_k],   0 < v_1 < ... < v_K < 1.
/// ```
///
/// | field | meaning | valid range |
/// |---|---|---|
/// | `base` | `f*_0`, the value on `[0, v_1]` | finite |
/// | `jumps` | the jump locations `v_k` | strictly increasing, inside `(0, 1)` |
/// | `heights` | the jump heights `Delta_k` | finite, same length as `jumps` |
///
/// The constant pieces are `[v_k, v_{k+1}]` with `v_0 = 0` and `v_{K+1} = 1`.
///
/// ```
/// use two_timescale::target::PiecewiseConstant;
///
/// # fn main() -> Result<(), two_timescale::TwoTimescaleError> {
/// let t = PiecewiseConstant::paper();
/// assert_eq!(t.piece_values(), vec![1.0, 5.0, 1.0, 3.0, 1.0, 5.0]);
/// let one = PiecewiseConstant::new(0.0, vec![0.5], vec![1.0])?;
/// assert_eq!(one.eval(0.7), 1.0);
/// # Ok(()) }
/// ```
///
/// # References
/// * P. Marion, R. Berthier, NeurIPS 2023 (arXiv:2304.09576), §2 (target class) and §5
///   (the five-jump target of the experiments).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiecewiseConstant {
    base: f64,
    jumps: Vec<f64>,
    heights: Vec<f64>,
}

impl PiecewiseConstant {
    /// A validated target.
    ///
    /// # Errors
    /// [`TwoTimescaleError::InvalidParameter`] for a non-finite value, jump locations that are
    /// not strictly increasing inside `(0, 1)`, or lengths that differ.
    pub fn new(base: f64, jumps: Vec<f64>, heights: Vec<f64>) -> Result<Self> {
        finite("base", base)?;
        if jumps.len() != heights.len() {
            return Err(TwoTimescaleError::invalid(
                "heights",
                format!("{} heights for {} jumps", heights.len(), jumps.len()),
                "one height per jump",
            ));
        }
        for (k, &v) in jumps.iter().enumerate() {
            if !(v > 0.0 && v < 1.0) {
                return Err(TwoTimescaleError::invalid("jumps", v, "locations inside (0, 1)"));
            }
            if k > 0 && v <= jumps[k - 1] {
                return Err(TwoTimescaleError::invalid(
                    "jumps",
                    v,
                    "strictly increasing locations",
                ));
            }
        }
        for &d in &heights {
            finite("heights", d)?;
        }
        Ok(Self { base, jumps, heights })
    }

    /// A target given by its values on the constant pieces, `values[0]` on `[0, v_1]`.
    ///
    /// # Errors
    /// As [`PiecewiseConstant::new`], and when `values.len() != jumps.len() + 1`.
    pub fn from_values(jumps: Vec<f64>, values: &[f64]) -> Result<Self> {
        if values.len() != jumps.len() + 1 {
            return Err(TwoTimescaleError::invalid(
                "values",
                format!("{} values for {} jumps", values.len(), jumps.len()),
                "one value per piece (jumps + 1)",
            ));
        }
        let heights = values.windows(2).map(|w| w[1] - w[0]).collect();
        Self::new(values[0], jumps, heights)
    }

    /// The target of the paper's experiments: jumps at 0.2, 0.35, 0.5, 0.65, 0.8 and piece
    /// values 1, 5, 1, 3, 1, 5.
    pub fn paper() -> Self {
        Self {
            base: 1.0,
            jumps: vec![0.2, 0.35, 0.5, 0.65, 0.8],
            heights: vec![4.0, -4.0, 2.0, -2.0, 4.0],
        }
    }

    /// `f*_0`.
    pub fn base(&self) -> f64 {
        self.base
    }

    /// The jump locations `v_k`.
    pub fn jumps(&self) -> &[f64] {
        &self.jumps
    }

    /// The jump heights `Delta_k`.
    pub fn heights(&self) -> &[f64] {
        &self.heights
    }

    /// Number of jumps `K`.
    pub fn n_jumps(&self) -> usize {
        self.jumps.len()
    }

    /// `f*(x)`, right-continuous convention excluded: the value at `v_k` is the left value.
    #[inline]
    pub fn eval(&self, x: f64) -> f64 {
        let mut y = self.base;
        for (&v, &d) in self.jumps.iter().zip(&self.heights) {
            // Branch-free: the comparison is converted to 0 or 1.
            y += d * f64::from(u8::from(x > v));
        }
        y
    }

    /// The values on the `K + 1` constant pieces.
    pub fn piece_values(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.jumps.len() + 1);
        let mut y = self.base;
        out.push(y);
        for &d in &self.heights {
            y += d;
            out.push(y);
        }
        out
    }

    /// The piece boundaries `0 = v_0 < v_1 < ... < v_K < v_{K+1} = 1`.
    pub fn boundaries(&self) -> Vec<f64> {
        let mut b = Vec::with_capacity(self.jumps.len() + 2);
        b.push(0.0);
        b.extend_from_slice(&self.jumps);
        b.push(1.0);
        b
    }

    /// `sum_k Delta_k^2`.
    pub fn sum_squared_heights(&self) -> f64 {
        self.heights.iter().map(|d| d * d).sum()
    }

    /// `int_a^b f*(x) dx` for `a <= b`.
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        let mut s = self.base * (b - a);
        for (&v, &d) in self.jumps.iter().zip(&self.heights) {
            s += d * (b - v.clamp(a, b));
        }
        s
    }

    /// The loss floor `(eta / 28) sum_k Delta_k^2` of a width-`eta` network with one neuron on
    /// each jump and outer weights equal to the heights.
    pub fn loss_floor(&self, eta: f64) -> f64 {
        eta * crate::activation::SQUARED_GAP * self.sum_squared_heights()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(PiecewiseConstant::new(0.0, vec![0.5, 0.5], vec![1.0, 1.0]).is_err());
        assert!(PiecewiseConstant::new(0.0, vec![1.0], vec![1.0]).is_err());
        assert!(PiecewiseConstant::new(0.0, vec![0.5], vec![]).is_err());
        assert!(PiecewiseConstant::new(f64::NAN, vec![], vec![]).is_err());
        let t = PiecewiseConstant::from_values(
            vec![0.2, 0.35, 0.5, 0.65, 0.8],
            &[1.0, 5.0, 1.0, 3.0, 1.0, 5.0],
        )
        .unwrap();
        assert_eq!(t, PiecewiseConstant::paper());
    }

    #[test]
    fn integral_is_piece_lengths_times_values() {
        let t = PiecewiseConstant::paper();
        // 0.2*1 + 0.15*5 + 0.15*1 + 0.15*3 + 0.15*1 + 0.2*5 = 2.7
        assert!((t.integral(0.0, 1.0) - 2.7).abs() < 1e-14);
        assert!((t.integral(0.3, 0.4) - (0.05 * 5.0 + 0.05 * 1.0)).abs() < 1e-15);
        assert!((t.loss_floor(4e-3) - 0.008).abs() < 1e-16);
    }
}
