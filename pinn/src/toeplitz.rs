//! The data sums of the PIKL normal equations, streamed over the points in cache-sized blocks.
//!
//! For points `X_i` in `d` dimensions, values `Y_i` and `z_{ij} = exp(i omega X_{ij})`, the
//! normal equations need the Toeplitz sums and the right-hand side
//!
//! ```text
//! c(Δ) = sum_i prod_j z_ij^{Δ_j},   Δ in {-2m..2m}^d,
//! b(k) = sum_i Y_i prod_j z_ij^{k_j}, k in {-m..m}^d.
//! ```
//!
//! Because `c(-Δ) = conj(c(Δ))` and `b(-k) = conj(b(k))`, only `Δ_1 >= 0` and `k_1 >= 0` are
//! computed. For a block of points, the real and imaginary parts of `z_{i1}^p` (`p >= 0`)
//! form one table, and those of the products over the other axes (for the rest indices at or
//! after the centre) another; one real matrix product of the two tables, accumulated over
//! the blocks, gives the four real sums `CC, CS, SC, SS` from which every needed complex sum
//! follows (the mirrored rest indices are conjugates). The powers are built column by
//! column by complex multiplication, one sine and cosine per point and axis, in loops over
//! the points of the block that the compiler vectorises. Nothing is allocated per block.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, c64};

/// Bytes of the per-block tables: small enough to stay in a per-core cache.
const BLOCK_BYTES: usize = 1 << 19;

/// The half tables of the sums: `c(Δ)` for `Δ_1 = 0..=2m` (rows) and every rest index
/// (columns, `{-2m..2m}^{d-1}` flattened, last axis fastest), and `b(k)` for `k_1 = 0..=m`
/// and every rest index in `{-m..m}^{d-1}`.
pub(crate) struct HalfSums {
    pub(crate) toeplitz: Mat<c64>,
    pub(crate) rhs: Mat<c64>,
}

/// Computes [`HalfSums`] for the points `x` (`d x n`, one per column) and values `y`.
///
/// The caller has validated the shapes and that everything is finite.
pub(crate) fn half_sums(m: usize, omega: f64, x: MatRef<'_, f64>, y: &[f64]) -> HalfSums {
    let d = x.nrows();
    let n = x.ncols();
    let side = 2 * m + 1;
    let radix = 4 * m + 1;
    let rest_diff = radix.pow(d as u32 - 1);
    let rest_modes = side.pow(d as u32 - 1);
    // Rest indices at or after the centre: their mirrors are the conjugates.
    let (hc, hm) = ((rest_diff - 1) / 2, (rest_modes - 1) / 2);
    let (nh, nhm) = (rest_diff - hc, rest_modes - hm);
    let a_cols = 2 * m + 1;
    let ya = m + 1;

    // Columns of every table: first-axis powers, their y-weighted half, the rest tables, and
    // for d = 3 the power tables of the two other axes.
    let extra = if d == 3 { 2 * 2 * a_cols } else { 0 };
    let cols = 2 * a_cols + 2 * ya + 2 * nh + 2 * nhm + extra;
    let block = (BLOCK_BYTES / (8 * cols)).clamp(16, 1024).min(n);

    let mut first = vec![0.0; block * 2 * a_cols];
    let mut first_y = vec![0.0; block * 2 * ya];
    let mut rest = vec![0.0; block * 2 * nh];
    let mut rest_small = vec![0.0; block * 2 * nhm];
    let mut axis_pw = vec![vec![0.0; block * 2 * a_cols]; if d == 3 { 2 } else { 0 }];
    let mut zc = vec![0.0; block];
    let mut zs = vec![0.0; block];
    let mut prod = Mat::<f64>::zeros(2 * a_cols, 2 * nh);
    let mut prod_y = Mat::<f64>::zeros(2 * ya, 2 * nhm);

    let mut start = 0;
    while start < n {
        let rows = block.min(n - start);
        // Axis 0: the powers 0..=2m and their y-weighted half 0..=m.
        unit_root(omega, x, 0, start, &mut zc[..rows], &mut zs[..rows]);
        let first = &mut first[..rows * 2 * a_cols];
        powers_table(&zc[..rows], &zs[..rows], first);
        let first_y = &mut first_y[..rows * 2 * ya];
        let yb = &y[start..start + rows];
        for a in 0..ya {
            for (part, off) in [(0, 0), (1, a_cols)] {
                let src = &first[(off + a) * rows..(off + a + 1) * rows];
                let dst = &mut first_y[(part * ya + a) * rows..(part * ya + a + 1) * rows];
                for ((o, &v), &w) in dst.iter_mut().zip(src).zip(yb) {
                    *o = v * w;
                }
            }
        }
        let rest = &mut rest[..rows * 2 * nh];
        let rest_small = &mut rest_small[..rows * 2 * nhm];
        match d {
            1 => {
                // The empty product: 1 + 0i.
                rest[..rows].fill(1.0);
                rest[rows..].fill(0.0);
                rest_small.copy_from_slice(rest);
            }
            2 => {
                unit_root(omega, x, 1, start, &mut zc[..rows], &mut zs[..rows]);
                powers_table(&zc[..rows], &zs[..rows], rest);
                // Rest indices 0..=m of the small table are the powers 0..=m.
                for part in 0..2 {
                    let src = &rest[part * a_cols * rows..(part * a_cols + ya) * rows];
                    rest_small[part * nhm * rows..(part * nhm + ya) * rows].copy_from_slice(src);
                }
            }
            _ => {
                for (j, pw) in axis_pw.iter_mut().enumerate() {
                    unit_root(omega, x, 1 + j, start, &mut zc[..rows], &mut zs[..rows]);
                    powers_table(&zc[..rows], &zs[..rows], &mut pw[..rows * 2 * a_cols]);
                }
                let (p1, p2) = (&axis_pw[0][..rows * 2 * a_cols], &axis_pw[1][..rows * 2 * a_cols]);
                product_table(p1, p2, rows, a_cols, 2 * m, hc, radix, rest);
                product_table(p1, p2, rows, a_cols, m, hm, side, rest_small);
            }
        }
        let f = MatRef::from_column_major_slice(first, rows, 2 * a_cols);
        let fy = MatRef::from_column_major_slice(first_y, rows, 2 * ya);
        let r = MatRef::from_column_major_slice(rest, rows, 2 * nh);
        let rs = MatRef::from_column_major_slice(rest_small, rows, 2 * nhm);
        matmul(prod.as_mut(), Accum::Add, f.transpose(), r, 1.0, Par::Seq);
        matmul(prod_y.as_mut(), Accum::Add, fy.transpose(), rs, 1.0, Par::Seq);
        start += rows;
    }
    HalfSums {
        toeplitz: combine(prod.as_ref(), a_cols, nh, hc, rest_diff),
        rhs: combine(prod_y.as_ref(), ya, nhm, hm, rest_modes),
    }
}

/// `cos` and `sin` of `omega x_{axis, i}` for the points `start..start + c.len()`.
fn unit_root(
    omega: f64,
    x: MatRef<'_, f64>,
    axis: usize,
    start: usize,
    c: &mut [f64],
    s: &mut [f64],
) {
    for (r, (cr, sr)) in c.iter_mut().zip(s.iter_mut()).enumerate() {
        let (sin, cos) = (omega * x[(axis, start + r)]).sin_cos();
        *cr = cos;
        *sr = sin;
    }
}

/// Writes `Re z^p` into column `p` and `Im z^p` into column `max + 1 + p` (`p = 0..=max`,
/// `max + 1 = out.len() / (2 rows)`) of a column-major table with one row per point, by
/// repeated complex multiplication with `z = c + i s`.
fn powers_table(c: &[f64], s: &[f64], out: &mut [f64]) {
    pulp::Arch::new().dispatch(PowersTable { c, s, out });
}

/// The loops of [`powers_table`], compiled for the widest SIMD set at run time.
struct PowersTable<'a> {
    c: &'a [f64],
    s: &'a [f64],
    out: &'a mut [f64],
}

impl pulp::WithSimd for PowersTable<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Self { c, s, out } = self;
        let rows = c.len();
        let s = &s[..rows];
        let count = out.len() / (2 * rows);
        let (re, im) = out.split_at_mut(count * rows);
        re[..rows].fill(1.0);
        im[..rows].fill(0.0);
        for p in 1..count {
            let (re_prev, re_next) = re.split_at_mut(p * rows);
            let (im_prev, im_next) = im.split_at_mut(p * rows);
            let (rp, ip) = (&re_prev[(p - 1) * rows..], &im_prev[(p - 1) * rows..]);
            let (rn, inx) = (&mut re_next[..rows], &mut im_next[..rows]);
            for (((((rn, inx), &rp), &ip), &c), &s) in
                rn.iter_mut().zip(inx.iter_mut()).zip(rp).zip(ip).zip(c).zip(s)
            {
                // (rp + i ip)(c + i s), in the operation order of complex multiplication.
                *rn = rp * c - ip * s;
                *inx = rp * s + ip * c;
            }
        }
    }
}

/// For `d = 3`: the table of `z_2^p z_3^q` over the flattened rest indices
/// `r = (p + max) width + (q + max)`, `p, q in -max..=max`, `width = 2 max + 1`, from `r =
/// centre` on (real parts, then imaginary parts), from the power tables of the two axes
/// (columns `0..a_cols` real, then imaginary; negative powers are conjugates).
#[allow(clippy::too_many_arguments)]
fn product_table(
    p1: &[f64],
    p2: &[f64],
    rows: usize,
    a_cols: usize,
    max: usize,
    centre: usize,
    width: usize,
    out: &mut [f64],
) {
    let count = out.len() / (2 * rows);
    let (re, im) = out.split_at_mut(count * rows);
    for h in 0..count {
        let r = centre + h;
        let p = (r / width) as i64 - max as i64;
        let q = (r % width) as i64 - max as i64;
        let (ar, ai, sa) = power_col(p1, rows, a_cols, p);
        let (br, bi, sb) = power_col(p2, rows, a_cols, q);
        let (ore, oim) = (&mut re[h * rows..(h + 1) * rows], &mut im[h * rows..(h + 1) * rows]);
        for i in 0..rows {
            let (x_re, x_im) = (ar[i], sa * ai[i]);
            let (y_re, y_im) = (br[i], sb * bi[i]);
            ore[i] = x_re * y_re - x_im * y_im;
            oim[i] = x_re * y_im + x_im * y_re;
        }
    }
}

/// The real and imaginary columns of `z^p` in a power table, and the sign of the imaginary
/// part (`z^{-p} = conj(z^p)`).
fn power_col(table: &[f64], rows: usize, a_cols: usize, p: i64) -> (&[f64], &[f64], f64) {
    let a = p.unsigned_abs() as usize;
    let sign = if p < 0 { -1.0 } else { 1.0 };
    (&table[a * rows..(a + 1) * rows], &table[(a_cols + a) * rows..(a_cols + a + 1) * rows], sign)
}

/// Complex sums `sum_i F_ia R_ir` for all rest indices from the real products of
/// `[Re F, Im F]` with `[Re R, Im R]` over the rest indices `r >= centre`: for such `r` and
/// its mirror `r' = total - 1 - r` (where `R_ir' = conj(R_ir)`),
/// `sum F R_r = (CC - SS) + i (CS + SC)` and `sum F R_r' = (CC + SS) + i (SC - CS)`.
fn combine(prod: MatRef<'_, f64>, rows: usize, nh: usize, centre: usize, total: usize) -> Mat<c64> {
    let mut out = Mat::<c64>::zeros(rows, total);
    for a in 0..rows {
        for h in 0..nh {
            let (cc, cs) = (prod[(a, h)], prod[(a, nh + h)]);
            let (sc, ss) = (prod[(rows + a, h)], prod[(rows + a, nh + h)]);
            let r = centre + h;
            out[(a, r)] = c64::new(cc - ss, cs + sc);
            out[(a, total - 1 - r)] = c64::new(cc + ss, sc - cs);
        }
    }
    out
}
