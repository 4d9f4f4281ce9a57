//! Interface normal estimators on 3x3 (2D) and 3x3x3 (3D) blocks of volume fractions.
//!
//! A 2D block is `c[i][j]`, `i` along x and `j` along y, offsets `i - 1, j - 1` from the
//! centre cell; a 3D block is `c[i][j][k]`. Normals are expressed in cell-index units and
//! point **out of** the material (`n ~ -grad c`), matching the convention
//! `{n . x <= alpha}` of [`crate::volume`]. A block with no gradient information returns the
//! zero vector; callers fall back to upwind fluxes.
//!
//! | method | 2D | 3D | exact on lines/planes |
//! |---|---|---|---|
//! | [`NormalMethod::Youngs`] | weights (1, 2, 1) | weights (1, 2, 4) | no |
//! | [`NormalMethod::Centred`] | central differences of column heights | same on 3x3 columns | when `|slope| <= 1` and the columns capture the heights |
//! | [`NormalMethod::Mixed`] | Youngs or centred, whichever is steeper-aware (MYC) | same | as centred in its range |
//! | [`NormalMethod::Elvira`] | best of six height slopes by 3x3 least squares | best of 27 height slope pairs by 3x3x3 least squares | yes, for `|slope| <= 1` in the chosen orientation |
//!
//! ```
//! use vof_ml::normals::{normal_2d, NormalMethod};
//!
//! // Material below the horizontal line y = 0.25 (cell-centred coordinates).
//! let c = [[1.0, 0.75, 0.0]; 3];
//! let n = normal_2d(&c, NormalMethod::Elvira);
//! assert!(n[0].abs() < 1e-15 && n[1] > 0.0);
//! ```
//!
//! # References
//! - D. L. Youngs, in *Numerical Methods for Fluid Dynamics*, Academic Press, 1982.
//! - E. Aulisa, S. Manservisi, R. Scardovelli, S. Zaleski, *Interface reconstruction with
//!   least-squares fit and split advection in three-dimensional Cartesian geometry*,
//!   J. Comput. Phys. 225 (2007) 2301-2319 (centred columns and the mixed choice).
//! - J. E. Pilliod, E. G. Puckett, *Second-order accurate volume-of-fluid algorithms for
//!   tracking material interfaces*, J. Comput. Phys. 199 (2004) 465-502 (ELVIRA).

use serde::{Deserialize, Serialize};

use crate::volume::{line_alpha, line_volume, plane_alpha, plane_volume};

/// A 3x3 block of volume fractions, `c[i][j]`.
pub type Block2 = [[f64; 3]; 3];
/// A 3x3x3 block of volume fractions, `c[i][j][k]`.
pub type Block3 = [[[f64; 3]; 3]; 3];

/// Which normal estimator a PLIC reconstruction uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NormalMethod {
    /// Youngs' weighted finite-difference gradient.
    Youngs,
    /// Centred differences of column (row) sums, in the orientation of smaller slope.
    Centred,
    /// Mixed Youngs-centred (MYC) choice of Aulisa et al. (2007).
    Mixed,
    /// Efficient least-squares VOF interface reconstruction (Pilliod & Puckett 2004), with a
    /// 27-candidate height-function extension in 3D.
    Elvira,
}

impl NormalMethod {
    /// All estimators.
    pub const ALL: [NormalMethod; 4] =
        [NormalMethod::Youngs, NormalMethod::Centred, NormalMethod::Mixed, NormalMethod::Elvira];

    /// Short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            NormalMethod::Youngs => "youngs",
            NormalMethod::Centred => "centred",
            NormalMethod::Mixed => "mixed",
            NormalMethod::Elvira => "elvira",
        }
    }
}

/// The normal of the centre cell of a 2D block.
pub fn normal_2d(c: &Block2, method: NormalMethod) -> [f64; 2] {
    match method {
        NormalMethod::Youngs => youngs_2d(c),
        NormalMethod::Centred => centred_2d(c),
        NormalMethod::Mixed => mixed_2d(c),
        NormalMethod::Elvira => elvira_2d(c),
    }
}

/// Youngs' normal, `-grad c` with (1, 2, 1) smoothing.
pub fn youngs_2d(c: &Block2) -> [f64; 2] {
    let nx = -((c[2][0] + 2.0 * c[2][1] + c[2][2]) - (c[0][0] + 2.0 * c[0][1] + c[0][2]));
    let ny = -((c[0][2] + 2.0 * c[1][2] + c[2][2]) - (c[0][0] + 2.0 * c[1][0] + c[2][0]));
    [nx, ny]
}

fn sums_2d(c: &Block2) -> ([f64; 3], [f64; 3]) {
    let col = [0, 1, 2].map(|i| c[i][0] + c[i][1] + c[i][2]);
    let row = [0, 1, 2].map(|j| c[0][j] + c[1][j] + c[2][j]);
    (col, row)
}

fn sign_or(v: f64, fallback: f64) -> f64 {
    if v > 0.0 || (v == 0.0 && fallback >= 0.0) { 1.0 } else { -1.0 }
}

/// Centred-column normal: the height-function slope in the orientation of smaller slope,
/// scaled so that its dominant component is `+-1`.
pub fn centred_2d(c: &Block2) -> [f64; 2] {
    let (col, row) = sums_2d(c);
    let y = youngs_2d(c);
    let sy = sign_or(row[0] - row[2], y[1]);
    let sx = sign_or(col[0] - col[2], y[0]);
    let slope_y = 0.5 * (col[0] - col[2]);
    let slope_x = 0.5 * (row[0] - row[2]);
    if slope_y.abs() <= slope_x.abs() { [slope_y, sy] } else { [sx, slope_x] }
}

fn l1_dominance<const D: usize>(n: [f64; D]) -> f64 {
    let s: f64 = n.iter().map(|v| v.abs()).sum();
    if s == 0.0 { 0.0 } else { n.iter().fold(0.0_f64, |a, v| a.max(v.abs())) / s }
}

/// Mixed Youngs-centred normal: the centred normal unless Youngs' normal is further from
/// the axes (smaller dominant component after `|n|_1 = 1`), where centred columns are
/// inaccurate.
pub fn mixed_2d(c: &Block2) -> [f64; 2] {
    let cc = centred_2d(c);
    let y = youngs_2d(c);
    if l1_dominance(y) < l1_dominance(cc) { y } else { cc }
}

/// Sum of squared differences between the 3x3 fractions implied by the line
/// `{n . x <= alpha}` through the centre cell (matching its fraction) and the data.
pub fn line_misfit(c: &Block2, n: [f64; 2]) -> f64 {
    let alpha = line_alpha(n, c[1][1]);
    let mut s = 0.0;
    for (i, col) in c.iter().enumerate() {
        for (j, v) in col.iter().enumerate() {
            let shift = n[0] * (i as f64 - 1.0) + n[1] * (j as f64 - 1.0);
            let d = line_volume(n, alpha - shift) - v;
            s += d * d;
        }
    }
    s
}

/// ELVIRA: backward, central and forward slopes of the column and row sums (six candidate
/// lines); the one whose extension best reproduces the 3x3 block in least squares wins.
pub fn elvira_2d(c: &Block2) -> [f64; 2] {
    let (col, row) = sums_2d(c);
    let y = youngs_2d(c);
    let sy = sign_or(row[0] - row[2], y[1]);
    let sx = sign_or(col[0] - col[2], y[0]);
    let slopes_y = [col[0] - col[1], 0.5 * (col[0] - col[2]), col[1] - col[2]];
    let slopes_x = [row[0] - row[1], 0.5 * (row[0] - row[2]), row[1] - row[2]];
    let mut best = [0.0, 0.0];
    let mut best_err = f64::INFINITY;
    let candidates = slopes_y.iter().map(|&s| [s, sy]).chain(slopes_x.iter().map(|&s| [sx, s]));
    for n in candidates {
        let e = line_misfit(c, n);
        if e < best_err {
            best_err = e;
            best = n;
        }
    }
    best
}

/// The normal of the centre cell of a 3D block.
pub fn normal_3d(c: &Block3, method: NormalMethod) -> [f64; 3] {
    match method {
        NormalMethod::Youngs => youngs_3d(c),
        NormalMethod::Centred => centred_3d(c),
        NormalMethod::Mixed => {
            let cc = centred_3d(c);
            let y = youngs_3d(c);
            if l1_dominance(y) < l1_dominance(cc) { y } else { cc }
        }
        NormalMethod::Elvira => elvira_3d(c),
    }
}

/// Sum of squared differences between the 27 fractions implied by the plane
/// `{n . x <= alpha}` through the centre cell (matching its fraction) and the data.
pub fn plane_misfit(c: &Block3, n: [f64; 3]) -> f64 {
    let alpha = plane_alpha(n, c[1][1][1]);
    let mut s = 0.0;
    for (i, ci) in c.iter().enumerate() {
        for (j, cij) in ci.iter().enumerate() {
            for (k, v) in cij.iter().enumerate() {
                let shift =
                    n[0] * (i as f64 - 1.0) + n[1] * (j as f64 - 1.0) + n[2] * (k as f64 - 1.0);
                let d = plane_volume(n, alpha - shift) - v;
                s += d * d;
            }
        }
    }
    s
}

/// 3D ELVIRA: in each of the three column orientations, backward, central and forward
/// differences of the 3x3 column heights in the two transverse directions (nine slope pairs,
/// 27 candidates in all); the candidate plane that best reproduces the 27 fractions in least
/// squares wins. Exact for planes whose heights the columns of one orientation capture.
pub fn elvira_3d(c: &Block3) -> [f64; 3] {
    let y = youngs_3d(c);
    let mut best = centred_3d(c);
    let mut best_err = plane_misfit(c, best);
    for axis in 0..3 {
        let (h, plane) = heights_3d(c, axis);
        let sigma = sign_or(plane[0] - plane[2], y[axis]);
        let (ta, tb) = transverse(axis);
        let sa = [h[0][1] - h[1][1], 0.5 * (h[0][1] - h[2][1]), h[1][1] - h[2][1]];
        let sb = [h[1][0] - h[1][1], 0.5 * (h[1][0] - h[1][2]), h[1][1] - h[1][2]];
        for &a in &sa {
            for &b in &sb {
                let mut n = [0.0; 3];
                n[axis] = sigma;
                n[ta] = a;
                n[tb] = b;
                let e = plane_misfit(c, n);
                if e < best_err {
                    best_err = e;
                    best = n;
                }
            }
        }
    }
    best
}

fn transverse(axis: usize) -> (usize, usize) {
    match axis {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    }
}

/// Column heights along `axis` over the two transverse directions, and the sums of the three
/// planes normal to `axis`.
fn heights_3d(c: &Block3, axis: usize) -> ([[f64; 3]; 3], [f64; 3]) {
    let mut h = [[0.0; 3]; 3];
    let mut plane = [0.0; 3];
    for (a, ha) in h.iter_mut().enumerate() {
        for (b, hab) in ha.iter_mut().enumerate() {
            for (t, pt) in plane.iter_mut().enumerate() {
                let v = match axis {
                    0 => c[t][a][b],
                    1 => c[a][t][b],
                    _ => c[a][b][t],
                };
                *hab += v;
                *pt += v;
            }
        }
    }
    (h, plane)
}

/// Youngs' 3D normal with (1, 2, 4) weights.
pub fn youngs_3d(c: &Block3) -> [f64; 3] {
    let w = [1.0, 2.0, 1.0];
    let mut n = [0.0; 3];
    for a in 0..3 {
        for b in 0..3 {
            let wt = w[a] * w[b];
            n[0] -= wt * (c[2][a][b] - c[0][a][b]);
            n[1] -= wt * (c[a][2][b] - c[a][0][b]);
            n[2] -= wt * (c[a][b][2] - c[a][b][0]);
        }
    }
    n
}

/// Centred-column 3D normal: of the three orientations, the one with the most dominant
/// component after `|n|_1 = 1`.
#[allow(clippy::needless_range_loop)]
pub fn centred_3d(c: &Block3) -> [f64; 3] {
    let y = youngs_3d(c);
    let get = |axis: usize, a: usize, b: usize, t: usize| match axis {
        0 => c[t][a][b],
        1 => c[a][t][b],
        _ => c[a][b][t],
    };
    let mut best = [0.0; 3];
    let mut best_dom = -1.0;
    for axis in 0..3 {
        // Heights H[a][b] along `axis`, over the two transverse directions.
        let mut h = [[0.0; 3]; 3];
        let mut plane = [0.0; 3];
        for (a, ha) in h.iter_mut().enumerate() {
            for (b, hab) in ha.iter_mut().enumerate() {
                for t in 0..3 {
                    let v = get(axis, a, b, t);
                    *hab += v;
                    plane[t] += v;
                }
            }
        }
        let sigma = sign_or(plane[0] - plane[2], y[axis]);
        let (ta, tb) = match axis {
            0 => (1, 2),
            1 => (0, 2),
            _ => (0, 1),
        };
        let mut n = [0.0; 3];
        n[axis] = sigma;
        n[ta] = 0.5 * (h[0][1] - h[2][1]);
        n[tb] = 0.5 * (h[1][0] - h[1][2]);
        let dom = l1_dominance(n);
        if dom > best_dom {
            best_dom = dom;
            best = n;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shapes::{HalfPlane, Region2};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn block_of_line(n: [f64; 2], d: f64) -> Block2 {
        let hp = HalfPlane { normal: n, offset: d };
        let mut c = [[0.0; 3]; 3];
        for (i, col) in c.iter_mut().enumerate() {
            for (j, v) in col.iter_mut().enumerate() {
                let lo = [i as f64 - 1.5, j as f64 - 1.5];
                *v = hp.fraction(lo, [lo[0] + 1.0, lo[1] + 1.0]);
            }
        }
        c
    }

    #[test]
    fn elvira_and_centred_exact_on_shallow_lines() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..500 {
            // y = m x + b with |m| <= 1 staying inside the column stencil |y| <= 1.5.
            let m: f64 = rng.random_range(-1.0..1.0);
            let b = rng.random_range(-1.0..1.0) * (1.5 - 1.5 * m.abs()).min(0.5);
            let below = rng.random_bool(0.5);
            let n = if below { [-m, 1.0] } else { [m, -1.0] };
            let d = if below { b } else { -b };
            let c = block_of_line(n, d);
            for method in [NormalMethod::Elvira, NormalMethod::Centred] {
                let e = normal_2d(&c, method);
                let s = e[1].abs();
                assert!(
                    (e[0] / s - n[0]).abs() < 1e-12 && (e[1] / s - n[1]).abs() < 1e-12,
                    "{method:?} {n:?} {e:?}"
                );
            }
        }
    }

    #[test]
    fn youngs_is_exact_only_on_axes_and_diagonals() {
        let c = block_of_line([0.0, 1.0], 0.2);
        let n = youngs_2d(&c);
        assert!(n[0].abs() < 1e-15 && n[1] > 0.0);
        let c = block_of_line([1.0, 1.0], 0.1);
        let n = youngs_2d(&c);
        assert!((n[0] - n[1]).abs() < 1e-15);
        let c = block_of_line([-0.4, 1.0], 0.1);
        let n = youngs_2d(&c);
        assert!((n[0] / n[1] + 0.4).abs() > 1e-3);
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn three_d_normals_on_planes() {
        use crate::shapes::{HalfSpace, Region3};
        let hs = HalfSpace { normal: [0.3, -0.2, 1.0], offset: 0.1 };
        let mut c = [[[0.0; 3]; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                for k in 0..3 {
                    let lo = [i as f64 - 1.5, j as f64 - 1.5, k as f64 - 1.5];
                    c[i][j][k] = hs.fraction(lo, [lo[0] + 1.0, lo[1] + 1.0, lo[2] + 1.0]);
                }
            }
        }
        let n = centred_3d(&c);
        assert!((n[0] / n[2] - 0.3).abs() < 1e-12 && (n[1] / n[2] + 0.2).abs() < 1e-12, "{n:?}");
        let e = elvira_3d(&c);
        assert!((e[0] / e[2] - 0.3).abs() < 1e-12 && (e[1] / e[2] + 0.2).abs() < 1e-12, "{e:?}");
        assert!(plane_misfit(&c, e) < 1e-24);
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        for _ in 0..100 {
            let (mx, my): (f64, f64) = (rng.random_range(-0.4..0.4), rng.random_range(-0.4..0.4));
            let b = rng.random_range(-0.5..0.5) * (1.0 - (mx.abs() + my.abs()));
            let hs = HalfSpace { normal: [-mx, -my, 1.0], offset: b };
            let mut c = [[[0.0; 3]; 3]; 3];
            for i in 0..3 {
                for j in 0..3 {
                    for k in 0..3 {
                        let lo = [i as f64 - 1.5, j as f64 - 1.5, k as f64 - 1.5];
                        c[i][j][k] = hs.fraction(lo, [lo[0] + 1.0, lo[1] + 1.0, lo[2] + 1.0]);
                    }
                }
            }
            let e = normal_3d(&c, NormalMethod::Elvira);
            assert!(
                (e[0] / e[2] + mx).abs() < 1e-12 && (e[1] / e[2] + my).abs() < 1e-12,
                "{mx} {my} {e:?}"
            );
        }
        let y = youngs_3d(&c);
        assert!(y[2] > 0.0 && y[0] > 0.0 && y[1] < 0.0);
    }
}
