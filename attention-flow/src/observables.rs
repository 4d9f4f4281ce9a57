//! Observables of a token configuration: Gram matrix, extreme inner products, cluster counts
//! and the interaction energy in overflow-safe forms.
//!
//! The energy of the SA and USA dynamics (GLPR, Bull. AMS 2025, §3) is
//!
//! ```text
//! E_beta(X) = (1 / (2 beta n^2)) sum_{i,j} e^{beta <x_i, x_j>},
//! ```
//!
//! non-decreasing along both flows. `e^{beta <x_i, x_j>}` overflows for `beta > 709`, and
//! `E_beta ~ 1/(2 beta)` hides the interaction as `beta -> 0`, so three forms are offered:
//! [`log_energy`] (log-sum-exp, finite for every `beta > 0`), [`normalized_energy`]
//! `(1/n^2) sum e^{beta (<x_i, x_j> - 1)}` in `(0, 1]` and [`energy_excess`]
//! `E_beta - 1/(2 beta)`, computed with `expm1` so that it tends to `(1/(2 n^2)) sum <x_i, x_j>`
//! as `beta -> 0`.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::error::{AttentionError, Result, check_beta};

/// The Gram matrix `X^T X` of the tokens (`n x n`).
pub fn gram(x: MatRef<'_, f64>) -> Mat<f64> {
    let n = x.ncols();
    let mut g = Mat::zeros(n, n);
    matmul(g.as_mut(), Accum::Replace, x.transpose(), x, 1.0, Par::Seq);
    g
}

/// The smallest and largest off-diagonal inner products `<x_i, x_j>`, `i != j`
/// (`(1, 1)` for fewer than two tokens).
pub fn inner_product_range(x: MatRef<'_, f64>) -> (f64, f64) {
    let g = gram(x);
    let n = x.ncols();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for j in 0..n {
        for i in 0..j {
            lo = lo.min(g[(i, j)]);
            hi = hi.max(g[(i, j)]);
        }
    }
    if n < 2 { (1.0, 1.0) } else { (lo, hi) }
}

/// The smallest off-diagonal inner product `min_{i != j} <x_i, x_j>` (1 for fewer than two
/// tokens). All tokens on the sphere lie within angle `acos(m)` of each other.
pub fn min_inner_product(x: MatRef<'_, f64>) -> f64 {
    inner_product_range(x).0
}

/// Cluster labels: connected components of the graph with an edge between `i` and `j` when
/// `<x_i, x_j> >= 1 - delta`. Labels are `0..k`, numbered in order of first appearance.
///
/// Connected components (rather than the rank of the thresholded Gram matrix) count a chain
/// of close tokens as one cluster.
pub fn cluster_labels(x: MatRef<'_, f64>, delta: f64) -> Vec<usize> {
    let g = gram(x);
    let n = x.ncols();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for j in 0..n {
        for i in 0..j {
            if g[(i, j)] >= 1.0 - delta {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut label = vec![usize::MAX; n];
    let mut next = 0;
    (0..n)
        .map(|i| {
            let r = find(&mut parent, i);
            if label[r] == usize::MAX {
                label[r] = next;
                next += 1;
            }
            label[r]
        })
        .collect()
}

/// Number of clusters: connected components of `<x_i, x_j> >= 1 - delta` (see
/// [`cluster_labels`]).
pub fn cluster_count(x: MatRef<'_, f64>, delta: f64) -> usize {
    cluster_labels(x, delta).iter().max().map_or(0, |m| m + 1)
}

/// Sizes of the clusters of [`cluster_labels`], in label order.
pub fn cluster_sizes(x: MatRef<'_, f64>, delta: f64) -> Vec<usize> {
    let labels = cluster_labels(x, delta);
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    sizes
}

fn check_nonempty(x: MatRef<'_, f64>) -> Result<()> {
    if x.ncols() == 0 {
        return Err(AttentionError::invalid("x", "0 tokens", "at least one token"));
    }
    Ok(())
}

/// `log E_beta(X)`, by log-sum-exp over the Gram matrix: finite for every `beta > 0`.
///
/// # Errors
/// [`AttentionError::InvalidParameter`] if `beta` is not finite and positive or there are no
/// tokens.
pub fn log_energy(x: MatRef<'_, f64>, beta: f64) -> Result<f64> {
    check_beta(beta)?;
    if beta == 0.0 {
        return Err(AttentionError::invalid("beta", beta, "a finite number > 0"));
    }
    check_nonempty(x)?;
    let g = gram(x);
    let n = x.ncols() as f64;
    let m = g.col_iter().flat_map(|c| c.iter().copied()).fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = g.col_iter().map(|c| c.iter().map(|v| (beta * (v - m)).exp()).sum::<f64>()).sum();
    Ok(beta * m + s.ln() - (2.0 * beta * n * n).ln())
}

/// The normalised energy `(1/n^2) sum_{i,j} e^{beta (<x_i, x_j> - 1)}`, in `(0, 1]` for
/// unit tokens: `1/n` for `n` well separated tokens at large `beta`, `sum_k (m_k / n)^2`
/// for tight clusters of sizes `m_k`, `1` for a single point.
///
/// # Errors
/// [`AttentionError::InvalidParameter`] if `beta` is not finite and non-negative or there are
/// no tokens.
pub fn normalized_energy(x: MatRef<'_, f64>, beta: f64) -> Result<f64> {
    check_beta(beta)?;
    check_nonempty(x)?;
    let g = gram(x);
    let n = x.ncols() as f64;
    let s: f64 =
        g.col_iter().map(|c| c.iter().map(|v| (beta * (v - 1.0)).exp()).sum::<f64>()).sum();
    Ok(s / (n * n))
}

/// `E_beta(X) - 1/(2 beta) = (1/(2 beta n^2)) sum_{i,j} expm1(beta <x_i, x_j>)`, which has the
/// finite limit `(1/(2 n^2)) sum_{i,j} <x_i, x_j>` at `beta = 0` (returned for `beta = 0`).
/// It differs from `E_beta` by a constant, so it is non-decreasing along SA and USA too.
///
/// # Errors
/// [`AttentionError::InvalidParameter`] if `beta` is not finite and non-negative or there are
/// no tokens.
///
/// # Limitations
/// Overflows to infinity for `beta > ~709`; use [`log_energy`] there.
pub fn energy_excess(x: MatRef<'_, f64>, beta: f64) -> Result<f64> {
    check_beta(beta)?;
    check_nonempty(x)?;
    let g = gram(x);
    let n = x.ncols() as f64;
    let s: f64 = if beta == 0.0 {
        g.col_iter().map(|c| c.iter().sum::<f64>()).sum()
    } else {
        g.col_iter().map(|c| c.iter().map(|v| (beta * v).exp_m1() / beta).sum::<f64>()).sum()
    };
    Ok(s / (2.0 * n * n))
}

/// Indices of the vertices of the convex hull of planar points (the columns of a `2 x n`
/// matrix), in counter-clockwise order (Andrew's monotone chain; collinear points on an edge
/// are not vertices).
///
/// # Panics
/// If `x` does not have two rows.
#[track_caller]
pub fn convex_hull_2d(x: MatRef<'_, f64>) -> Vec<usize> {
    assert_eq!(x.nrows(), 2, "convex_hull_2d: points must lie in R^2");
    let n = x.ncols();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| x[(0, a)].total_cmp(&x[(0, b)]).then(x[(1, a)].total_cmp(&x[(1, b)])));
    if n < 3 {
        return idx;
    }
    let cross = |o: usize, a: usize, b: usize| {
        (x[(0, a)] - x[(0, o)]) * (x[(1, b)] - x[(1, o)])
            - (x[(1, a)] - x[(1, o)]) * (x[(0, b)] - x[(0, o)])
    };
    let mut hull: Vec<usize> = Vec::with_capacity(2 * n);
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &usize>> =
            if pass == 0 { Box::new(idx.iter()) } else { Box::new(idx.iter().rev()) };
        for &p in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// Area of the convex hull of planar points (shoelace formula on [`convex_hull_2d`]).
///
/// # Panics
/// If `x` does not have two rows.
#[track_caller]
pub fn hull_area_2d(x: MatRef<'_, f64>) -> f64 {
    let h = convex_hull_2d(x);
    if h.len() < 3 {
        return 0.0;
    }
    let mut a = 0.0;
    for k in 0..h.len() {
        let (i, j) = (h[k], h[(k + 1) % h.len()]);
        a += x[(0, i)] * x[(1, j)] - x[(0, j)] * x[(1, i)];
    }
    0.5 * a.abs()
}

/// Largest Euclidean distance between two tokens (0 for fewer than two).
pub fn diameter(x: MatRef<'_, f64>) -> f64 {
    let n = x.ncols();
    let mut m = 0.0f64;
    for j in 0..n {
        for i in 0..j {
            let d2: f64 = (0..x.nrows()).map(|r| (x[(r, i)] - x[(r, j)]).powi(2)).sum();
            m = m.max(d2);
        }
    }
    m.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens;

    #[test]
    fn clusters_of_a_chain_are_connected() {
        // Angles 0, 0.03, 0.06 form a chain at delta = 1e-3 (cos 0.03 > 0.999 but cos 0.06 <
        // 0.999), plus one token far away.
        let x = tokens::circle(&[0.0, 0.03, 0.06, 2.0]);
        assert_eq!(cluster_count(x.as_ref(), 1e-3), 2);
        assert_eq!(cluster_sizes(x.as_ref(), 1e-3), vec![3, 1]);
        assert_eq!(cluster_count(x.as_ref(), 1e-6), 4);
    }

    #[test]
    fn hull_of_square_with_interior_points() {
        let x = faer::mat![[0.0, 1.0, 1.0, 0.0, 0.5, 0.5], [0.0, 0.0, 1.0, 1.0, 0.5, 0.0]];
        let mut h = convex_hull_2d(x.as_ref());
        h.sort();
        assert_eq!(h, vec![0, 1, 2, 3]);
        assert!((hull_area_2d(x.as_ref()) - 1.0).abs() < 1e-15);
        assert!((diameter(x.as_ref()) - 2f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn energy_forms_agree() {
        let x = tokens::uniform(megavolt_core::Seed::new(2), "e", 3, 10);
        for beta in [0.01, 1.0, 5.0] {
            let e = log_energy(x.as_ref(), beta).unwrap().exp();
            let ex = energy_excess(x.as_ref(), beta).unwrap() + 0.5 / beta;
            let en = normalized_energy(x.as_ref(), beta).unwrap() * beta.exp() / (2.0 * beta);
            assert!((e - ex).abs() < 1e-13 * e && (e - en).abs() < 1e-13 * e, "{e} {ex} {en}");
        }
        // At beta = 1e3 the log form is finite: one point gives E = e^beta / (2 beta).
        let one = tokens::circle(&[0.4; 5]);
        let le = log_energy(one.as_ref(), 1e3).unwrap();
        assert!((le - (1e3 - (2e3f64).ln())).abs() < 1e-12);
        assert!((normalized_energy(one.as_ref(), 1e3).unwrap() - 1.0).abs() < 1e-12);
    }
}
