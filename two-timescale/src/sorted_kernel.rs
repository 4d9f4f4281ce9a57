//! An `O(log m)` SGD step that exploits the compact support of `sigma'`.
//!
//! For a sample `x`, the units split into three groups along the sorted positions: units with
//! `(x - u) / eta >= 1/2` are fully on (`sigma = 1`, `sigma' = 0`), units with
//! `(x - u) / eta <= -1/2` are off, and only the `O(1)` units in between (the window) have a
//! non-trivial value and a non-zero position gradient. With the units kept sorted by
//! position, the fully-on units are a prefix, and one SGD step needs
//!
//! * the prefix sum of outer weights over the fully-on units (for `f(x)`),
//! * the same increment `2 h r` added to all of them (their outer-weight update),
//! * point values and updates in the window.
//!
//! Outer weights are stored as `a_i = b_i + sum_{k >= i} D_k`: a prefix increment is one
//! update of `D`, and Fenwick trees over `b_i`, `D_k` and `(k + 1) D_k` give point values and
//! prefix sums in `O(log m)`. Units whose position update carries them past a neighbour are
//! swapped, which keeps the order. Every 65536 steps the representation is flattened
//! (`b_i = a_i`, `D = 0`), which bounds the growth of rounding errors.
//!
//! The summation order differs from the dense pass, so the two kernels agree to rounding
//! (not bit for bit); each is deterministic.

use rand::{Rng, RngExt};

use crate::target::PiecewiseConstant;

/// A Fenwick (binary indexed) tree of `f64` prefix sums.
#[derive(Debug, Clone)]
struct Fenwick {
    tree: Vec<f64>,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Self { tree: vec![0.0; n + 1] }
    }

    fn from_values(values: &[f64]) -> Self {
        let mut f = Self::new(values.len());
        for (i, &v) in values.iter().enumerate() {
            f.add(i, v);
        }
        f
    }

    /// Adds `v` at index `i` (0-based).
    #[inline]
    fn add(&mut self, i: usize, v: f64) {
        let mut j = i + 1;
        while j < self.tree.len() {
            self.tree[j] += v;
            j += j & j.wrapping_neg();
        }
    }

    /// Sum of indices `[0, k)`.
    #[inline]
    fn prefix(&self, k: usize) -> f64 {
        let mut j = k;
        let mut s = 0.0;
        while j > 0 {
            s += self.tree[j];
            j &= j - 1;
        }
        s
    }

    fn clear(&mut self) {
        self.tree.iter_mut().for_each(|t| *t = 0.0);
    }
}

/// Units sorted by position, with the prefix-increment representation of outer weights.
pub(crate) struct SortedUnits {
    /// Positions, sorted.
    u: Vec<f64>,
    /// Neuron index of each slot.
    id: Vec<usize>,
    /// `b_i`.
    base: Vec<f64>,
    base_tree: Fenwick,
    /// `D_k` and `(k + 1) D_k`.
    d: Fenwick,
    d_weighted: Fenwick,
    d_total: f64,
}

impl SortedUnits {
    pub(crate) fn new(outer: &[f64], positions: &[f64]) -> Self {
        let mut id: Vec<usize> = (0..positions.len()).collect();
        id.sort_by(|&i, &j| positions[i].total_cmp(&positions[j]).then(i.cmp(&j)));
        let u: Vec<f64> = id.iter().map(|&i| positions[i]).collect();
        let base: Vec<f64> = id.iter().map(|&i| outer[i]).collect();
        let n = u.len();
        Self {
            base_tree: Fenwick::from_values(&base),
            u,
            id,
            base,
            d: Fenwick::new(n),
            d_weighted: Fenwick::new(n),
            d_total: 0.0,
        }
    }

    /// `a_i`.
    #[inline]
    fn value(&self, i: usize) -> f64 {
        self.base[i] + (self.d_total - self.d.prefix(i))
    }

    /// `sum_{i < k} a_i`.
    #[inline]
    fn prefix_sum(&self, k: usize) -> f64 {
        self.base_tree.prefix(k)
            + self.d_weighted.prefix(k)
            + k as f64 * (self.d_total - self.d.prefix(k))
    }

    /// Adds `c` to `a_i` for every `i < k`.
    #[inline]
    fn add_prefix(&mut self, k: usize, c: f64) {
        if k > 0 {
            self.d.add(k - 1, c);
            self.d_weighted.add(k - 1, c * k as f64);
            self.d_total += c;
        }
    }

    /// Adds `c` to `a_i`.
    #[inline]
    fn add_point(&mut self, i: usize, c: f64) {
        self.base[i] += c;
        self.base_tree.add(i, c);
    }

    /// Swaps slots `i` and `i + 1` (positions, identities and outer weights).
    fn swap_next(&mut self, i: usize) {
        let (vi, vj) = (self.value(i), self.value(i + 1));
        self.add_point(i, vj - vi);
        self.add_point(i + 1, vi - vj);
        self.u.swap(i, i + 1);
        self.id.swap(i, i + 1);
    }

    /// Rebuilds the representation with `b_i = a_i`, `D = 0`.
    pub(crate) fn flatten(&mut self) {
        let values: Vec<f64> = (0..self.u.len()).map(|i| self.value(i)).collect();
        self.base.copy_from_slice(&values);
        self.base_tree = Fenwick::from_values(&values);
        self.d.clear();
        self.d_weighted.clear();
        self.d_total = 0.0;
    }

    /// Writes outer weights and positions back in neuron order.
    pub(crate) fn write_back(&self, outer: &mut [f64], positions: &mut [f64]) {
        for (i, &j) in self.id.iter().enumerate() {
            outer[j] = self.value(i);
            positions[j] = self.u[i];
        }
    }

    pub(crate) fn is_finite(&self) -> bool {
        self.d_total.is_finite()
            && self.u.iter().all(|u| u.is_finite())
            && (0..self.u.len()).all(|i| self.value(i).is_finite())
    }

    /// Runs `n` SGD steps (same updates and random draws as the dense kernel).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn steps<R: Rng + ?Sized>(
        &mut self,
        n: u64,
        rng: &mut R,
        target: &PiecewiseConstant,
        inv_eta: f64,
        h: f64,
        h_inner: f64,
        noise: f64,
        bias: &mut f64,
    ) {
        let jumps = target.jumps();
        let heights = &target.heights()[..jumps.len()];
        let base = target.base();
        let gu_scale = 2.0 * h_inner * inv_eta;
        let m = self.u.len();
        // Window scratch: at most m units.
        let mut win_s = vec![0.0; m];
        let mut win_ds = vec![0.0; m];
        let mut win_a = vec![0.0; m];
        for _ in 0..n {
            let x: f64 = rng.random();
            let xi: f64 = rng.random();
            let mut y = base + noise * (2.0 * xi - 1.0);
            for (v, d) in jumps.iter().zip(heights) {
                y += d * f64::from(u8::from(x > *v));
            }

            // Fully-on prefix [0, lo) and window [lo, hi).
            let lo = self.u.partition_point(|&u| (x - u) * inv_eta >= 0.5);
            let hi = lo + self.u[lo..].partition_point(|&u| (x - u) * inv_eta > -0.5);
            let mut f = *bias + self.prefix_sum(lo);
            for (k, i) in (lo..hi).enumerate() {
                let t = ((x - self.u[i]) * inv_eta).clamp(-0.5, 0.5);
                let w = 0.5 - t.abs();
                win_s[k] = 0.5 + (0.5 - 4.0 * w * w * w).copysign(t);
                win_ds[k] = 12.0 * w * w;
                win_a[k] = self.value(i);
                f += win_a[k] * win_s[k];
            }

            let r = y - f;
            let ga = 2.0 * h * r;
            let gu = gu_scale * r;
            *bias += ga;
            self.add_prefix(lo, ga);
            for (k, i) in (lo..hi).enumerate() {
                self.add_point(i, ga * win_s[k]);
                self.u[i] -= gu * win_a[k] * win_ds[k];
            }
            // Restore the order: only window units moved, by a small amount.
            for i in lo..hi {
                let mut j = i;
                while j > 0 && self.u[j] < self.u[j - 1] {
                    self.swap_next(j - 1);
                    j -= 1;
                }
                while j + 1 < m && self.u[j] > self.u[j + 1] {
                    self.swap_next(j);
                    j += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn representation_gives_values_and_prefix_sums() {
        let outer = [1.0, -2.0, 0.5, 3.0, 4.0];
        let positions = [0.9, 0.1, 0.5, 0.3, 0.7];
        let mut s = SortedUnits::new(&outer, &positions);
        // Sorted: 0.1 (-2), 0.3 (3), 0.5 (0.5), 0.7 (4), 0.9 (1).
        s.add_prefix(3, 10.0);
        s.add_point(1, 0.25);
        let want = [8.0, 13.25, 10.5, 4.0, 1.0];
        for (i, w) in want.iter().enumerate() {
            assert!((s.value(i) - w).abs() < 1e-14);
        }
        for k in 0..=5 {
            let p: f64 = want[..k].iter().sum();
            assert!((s.prefix_sum(k) - p).abs() < 1e-13, "k = {k}");
        }
        s.swap_next(1);
        assert!((s.value(1) - 10.5).abs() < 1e-14 && (s.value(2) - 13.25).abs() < 1e-14);
        s.flatten();
        let (mut a, mut u) = ([0.0; 5], [0.0; 5]);
        s.write_back(&mut a, &mut u);
        // Swapping slots keeps each neuron's weight and position, only the order changes.
        assert!((a[3] - 13.25).abs() < 1e-14 && (u[3] - 0.3).abs() < 1e-15);
        assert!((a[2] - 10.5).abs() < 1e-14 && (u[2] - 0.5).abs() < 1e-15);
        assert!((a[1] + 2.0 - 10.0).abs() < 1e-14 && (a[4] - 4.0).abs() < 1e-14);
    }
}
