//! Exact and error-controlled volume fractions of shapes on Cartesian cells.
//!
//! A [`Region2`] (or [`Region3`]) answers one question: which fraction of an axis-aligned
//! cell `[lo, hi]` lies inside the shape? Polygons ([`Polygon`], clipped against the cell by
//! Sutherland–Hodgman), half-planes and half-spaces ([`HalfPlane`], [`HalfSpace`]), disks
//! ([`Disk`], closed-form integral of the circular segment) and the slotted disk
//! ([`SlottedDisk`], disk minus disk-and-rectangle) are exact to rounding. Spheres and general
//! level sets ([`Sphere`], [`LevelSet2`], [`LevelSet3`]) use a recursive subdivision that
//! classifies sub-cells with a 1-Lipschitz level set and replaces the interface by its
//! tangent line (plane) in the sub-cells it crosses at depth `depth`: the error per crossed
//! leaf is `O(kappa h_leaf^{d+1})`, so the total error is `O(kappa |Gamma| h_leaf^2)` and falls
//! four-fold per extra level.
//!
//! [`fractions_2d`] and [`fractions_3d`] fill a whole grid.
//!
//! ```
//! use vof_ml::grid::Grid2;
//! use vof_ml::shapes::{Disk, fractions_2d};
//!
//! let grid = Grid2::unit(32, 32)?;
//! let alpha = fractions_2d(&grid, &Disk { center: [0.5, 0.5], radius: 0.2 });
//! let area: f64 = alpha.iter().sum::<f64>() * grid.cell_volume();
//! assert!((area - std::f64::consts::PI * 0.04).abs() < 1e-14);
//! # Ok::<(), vof_ml::VofError>(())
//! ```

use crate::grid::{Grid2, Grid3};
use crate::volume::{line_volume, plane_volume};

/// A 2D shape whose area inside an axis-aligned rectangle can be computed.
pub trait Region2: Sync {
    /// Fraction of `[lo[0], hi[0]] x [lo[1], hi[1]]` inside the shape, in `[0, 1]`.
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64;
}

/// A 3D shape whose volume inside an axis-aligned box can be computed.
pub trait Region3: Sync {
    /// Fraction of the box `[lo, hi]` inside the shape, in `[0, 1]`.
    fn fraction(&self, lo: [f64; 3], hi: [f64; 3]) -> f64;
}

/// Signed area of a polygon (positive when counter-clockwise).
pub fn polygon_area(v: &[[f64; 2]]) -> f64 {
    let n = v.len();
    let mut s = 0.0;
    for k in 0..n {
        let a = v[k];
        let b = v[(k + 1) % n];
        s += a[0] * b[1] - a[1] * b[0];
    }
    0.5 * s
}

/// Clips a polygon to the half-plane `n . x <= d` (Sutherland–Hodgman, one edge).
pub fn clip_polygon(v: &[[f64; 2]], n: [f64; 2], d: f64) -> Vec<[f64; 2]> {
    let mut out = Vec::with_capacity(v.len() + 2);
    let len = v.len();
    for k in 0..len {
        let a = v[k];
        let b = v[(k + 1) % len];
        let fa = n[0] * a[0] + n[1] * a[1] - d;
        let fb = n[0] * b[0] + n[1] * b[1] - d;
        if fa <= 0.0 {
            out.push(a);
        }
        if (fa < 0.0 && fb > 0.0) || (fa > 0.0 && fb < 0.0) {
            let t = fa / (fa - fb);
            out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
        }
    }
    out
}

fn rect_polygon(lo: [f64; 2], hi: [f64; 2]) -> Vec<[f64; 2]> {
    vec![lo, [hi[0], lo[1]], hi, [lo[0], hi[1]]]
}

/// Area of the part of the rectangle `[lo, hi]` where all `n_k . x <= d_k` hold.
pub fn rect_area_in_halfplanes(lo: [f64; 2], hi: [f64; 2], planes: &[([f64; 2], f64)]) -> f64 {
    let mut p = rect_polygon(lo, hi);
    for &(n, d) in planes {
        if p.is_empty() {
            return 0.0;
        }
        p = clip_polygon(&p, n, d);
    }
    polygon_area(&p).abs()
}

/// A simple polygon (convex or not), vertices in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// Vertices, either orientation.
    pub vertices: Vec<[f64; 2]>,
}

impl Region2 for Polygon {
    /// Exact: the polygon is clipped against the four sides of the (convex) cell.
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        let mut p = self.vertices.clone();
        for (n, d) in
            [([-1.0, 0.0], -lo[0]), ([1.0, 0.0], hi[0]), ([0.0, -1.0], -lo[1]), ([0.0, 1.0], hi[1])]
        {
            if p.is_empty() {
                return 0.0;
            }
            p = clip_polygon(&p, n, d);
        }
        let cell = (hi[0] - lo[0]) * (hi[1] - lo[1]);
        (polygon_area(&p).abs() / cell).clamp(0.0, 1.0)
    }
}

/// The half-plane `normal . x <= offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HalfPlane {
    /// Outward normal (any length).
    pub normal: [f64; 2],
    /// Plane constant.
    pub offset: f64,
}

impl Region2 for HalfPlane {
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        let m = [self.normal[0] * (hi[0] - lo[0]), self.normal[1] * (hi[1] - lo[1])];
        line_volume(m, self.offset - self.normal[0] * lo[0] - self.normal[1] * lo[1])
    }
}

/// The half-space `normal . x <= offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HalfSpace {
    /// Outward normal (any length).
    pub normal: [f64; 3],
    /// Plane constant.
    pub offset: f64,
}

impl Region3 for HalfSpace {
    fn fraction(&self, lo: [f64; 3], hi: [f64; 3]) -> f64 {
        let n = self.normal;
        let m = [n[0] * (hi[0] - lo[0]), n[1] * (hi[1] - lo[1]), n[2] * (hi[2] - lo[2])];
        plane_volume(m, self.offset - n[0] * lo[0] - n[1] * lo[1] - n[2] * lo[2])
    }
}

/// A disk, exact to rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Disk {
    /// Centre.
    pub center: [f64; 2],
    /// Radius (> 0).
    pub radius: f64,
}

/// Primitive of `sqrt(r^2 - x^2)` on `[-r, r]`.
fn segment_primitive(x: f64, r: f64) -> f64 {
    let x = x.clamp(-r, r);
    let s = (r * r - x * x).max(0.0).sqrt();
    0.5 * (x * s + r * r * (x / r).clamp(-1.0, 1.0).asin())
}

/// Area of `{|x| <= r} ∩ {x_1 <= a} ∩ {x_2 <= b}` for a disk centred at the origin.
fn disk_quadrant(a: f64, b: f64, r: f64) -> f64 {
    if a <= -r || b <= -r {
        return 0.0;
    }
    let a = a.min(r);
    // Integrand in x_1: length of [-s, min(b, s)], s = sqrt(r^2 - x^2).
    let int_2s = |x0: f64, x1: f64| 2.0 * (segment_primitive(x1, r) - segment_primitive(x0, r));
    let int_bs =
        |x0: f64, x1: f64| b * (x1 - x0) + segment_primitive(x1, r) - segment_primitive(x0, r);
    if b >= r {
        return int_2s(-r, a);
    }
    let xb = (r * r - b * b).max(0.0).sqrt();
    let mut total = 0.0;
    if b >= 0.0 {
        // |x| > xb: s < b, full chord; |x| < xb: chord cut at b.
        let pieces = [(-r, -xb, true), (-xb, xb, false), (xb, r, true)];
        for (x0, x1, full) in pieces {
            let hi = x1.min(a);
            if hi > x0 {
                total += if full { int_2s(x0, hi) } else { int_bs(x0, hi) };
            }
        }
    } else {
        // Only |x| < xb contributes, with length b + s.
        let hi = xb.min(a);
        if hi > -xb {
            total += int_bs(-xb, hi);
        }
    }
    total
}

impl Disk {
    /// Exact area of the disk inside the rectangle `[lo, hi]`.
    pub fn area_in_rect(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        let (cx, cy, r) = (self.center[0], self.center[1], self.radius);
        let g = |x: f64, y: f64| disk_quadrant(x - cx, y - cy, r);
        (g(hi[0], hi[1]) - g(lo[0], hi[1]) - g(hi[0], lo[1]) + g(lo[0], lo[1])).max(0.0)
    }
}

impl Region2 for Disk {
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        let (cx, cy, r) = (self.center[0], self.center[1], self.radius);
        let dx = (lo[0] - cx).max(cx - hi[0]).max(0.0);
        let dy = (lo[1] - cy).max(cy - hi[1]).max(0.0);
        if dx * dx + dy * dy >= r * r {
            return 0.0;
        }
        let far = |a: f64, b: f64| (a - cx).abs().max((b - cx).abs());
        let fx = far(lo[0], hi[0]);
        let fy = (lo[1] - cy).abs().max((hi[1] - cy).abs());
        if fx * fx + fy * fy <= r * r {
            return 1.0;
        }
        let cell = (hi[0] - lo[0]) * (hi[1] - lo[1]);
        (self.area_in_rect(lo, hi) / cell).clamp(0.0, 1.0)
    }
}

/// Zalesak's slotted disk: a disk minus the axis-aligned slot rectangle, exact to rounding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlottedDisk {
    /// The disk.
    pub disk: Disk,
    /// Lower-left corner of the slot rectangle.
    pub slot_lo: [f64; 2],
    /// Upper-right corner of the slot rectangle.
    pub slot_hi: [f64; 2],
}

impl SlottedDisk {
    /// The normalised Zalesak disk: radius 0.15 at (0.5, 0.75), slot of width 0.05 reaching
    /// up to y = 0.85 (Rider & Kothe 1998, Sec. 4).
    pub fn zalesak() -> Self {
        Self {
            disk: Disk { center: [0.5, 0.75], radius: 0.15 },
            slot_lo: [0.475, 0.5],
            slot_hi: [0.525, 0.85],
        }
    }
}

impl Region2 for SlottedDisk {
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        let cell = (hi[0] - lo[0]) * (hi[1] - lo[1]);
        let full = self.disk.area_in_rect(lo, hi);
        let slo = [lo[0].max(self.slot_lo[0]), lo[1].max(self.slot_lo[1])];
        let shi = [hi[0].min(self.slot_hi[0]), hi[1].min(self.slot_hi[1])];
        let cut =
            if slo[0] < shi[0] && slo[1] < shi[1] { self.disk.area_in_rect(slo, shi) } else { 0.0 };
        ((full - cut) / cell).clamp(0.0, 1.0)
    }
}

/// A 2D level set `phi` (material where `phi <= 0`) that is 1-Lipschitz, e.g. a signed
/// distance, integrated by subdivision to `depth` levels.
pub struct LevelSet2<F: Fn([f64; 2]) -> f64 + Sync> {
    /// The level set.
    pub phi: F,
    /// Subdivision levels below the cell (each halves the leaf size).
    pub depth: u32,
}

impl<F: Fn([f64; 2]) -> f64 + Sync> Region2 for LevelSet2<F> {
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        subdivide2(&self.phi, lo, hi, self.depth)
    }
}

fn subdivide2<F: Fn([f64; 2]) -> f64>(phi: &F, lo: [f64; 2], hi: [f64; 2], depth: u32) -> f64 {
    let c = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])];
    let size = [hi[0] - lo[0], hi[1] - lo[1]];
    let half_diag = 0.5 * size[0].hypot(size[1]);
    let p = phi(c);
    if p >= half_diag {
        return 0.0;
    }
    if p <= -half_diag {
        return 1.0;
    }
    if depth == 0 {
        // Tangent line from a central-difference gradient at the leaf scale.
        let e = 1e-3 * size[0].min(size[1]);
        let g = [
            (phi([c[0] + e, c[1]]) - phi([c[0] - e, c[1]])) / (2.0 * e),
            (phi([c[0], c[1] + e]) - phi([c[0], c[1] - e])) / (2.0 * e),
        ];
        let m = [g[0] * size[0], g[1] * size[1]];
        return line_volume(m, -p + 0.5 * (m[0] + m[1]));
    }
    let mut s = 0.0;
    for k in 0..4 {
        let (a, b) = (k & 1, k >> 1);
        let l = [if a == 0 { lo[0] } else { c[0] }, if b == 0 { lo[1] } else { c[1] }];
        let h = [if a == 0 { c[0] } else { hi[0] }, if b == 0 { c[1] } else { hi[1] }];
        s += subdivide2(phi, l, h, depth - 1);
    }
    0.25 * s
}

/// A 3D level set (material where `phi <= 0`, 1-Lipschitz) integrated by subdivision.
pub struct LevelSet3<F: Fn([f64; 3]) -> f64 + Sync> {
    /// The level set.
    pub phi: F,
    /// Subdivision levels below the cell.
    pub depth: u32,
}

impl<F: Fn([f64; 3]) -> f64 + Sync> Region3 for LevelSet3<F> {
    fn fraction(&self, lo: [f64; 3], hi: [f64; 3]) -> f64 {
        subdivide3(&self.phi, lo, hi, self.depth)
    }
}

fn subdivide3<F: Fn([f64; 3]) -> f64>(phi: &F, lo: [f64; 3], hi: [f64; 3], depth: u32) -> f64 {
    let c = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1]), 0.5 * (lo[2] + hi[2])];
    let size = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
    let half_diag = 0.5 * (size[0] * size[0] + size[1] * size[1] + size[2] * size[2]).sqrt();
    let p = phi(c);
    if p >= half_diag {
        return 0.0;
    }
    if p <= -half_diag {
        return 1.0;
    }
    if depth == 0 {
        let e = 1e-3 * size[0].min(size[1]).min(size[2]);
        let mut m = [0.0; 3];
        for (d, md) in m.iter_mut().enumerate() {
            let mut a = c;
            let mut b = c;
            a[d] += e;
            b[d] -= e;
            *md = (phi(a) - phi(b)) / (2.0 * e) * size[d];
        }
        return plane_volume(m, -p + 0.5 * (m[0] + m[1] + m[2]));
    }
    let mut s = 0.0;
    for k in 0..8 {
        let mut l = lo;
        let mut h = c;
        for d in 0..3 {
            if (k >> d) & 1 == 1 {
                l[d] = c[d];
                h[d] = hi[d];
            }
        }
        s += subdivide3(phi, l, h, depth - 1);
    }
    0.125 * s
}

/// A ball, integrated by subdivision of its signed distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sphere {
    /// Centre.
    pub center: [f64; 3],
    /// Radius (> 0).
    pub radius: f64,
    /// Subdivision levels below the cell (4 gives about 1e-7 relative volume error at
    /// 16 cells per radius).
    pub depth: u32,
}

impl Region3 for Sphere {
    fn fraction(&self, lo: [f64; 3], hi: [f64; 3]) -> f64 {
        let c = self.center;
        let r = self.radius;
        let phi = move |p: [f64; 3]| {
            ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) + (p[2] - c[2]).powi(2)).sqrt() - r
        };
        subdivide3(&phi, lo, hi, self.depth)
    }
}

/// Volume fractions of a shape on every cell of a 2D grid (index `i + nx j`).
pub fn fractions_2d<R: Region2 + ?Sized>(grid: &Grid2, shape: &R) -> Vec<f64> {
    let mut out = vec![0.0; grid.len()];
    for j in 0..grid.n[1] {
        for i in 0..grid.n[0] {
            let (lo, hi) = grid.cell_bounds(i, j);
            out[grid.index(i, j)] = shape.fraction(lo, hi);
        }
    }
    out
}

/// Volume fractions of a shape on every cell of a 3D grid (index `i + nx (j + ny k)`).
pub fn fractions_3d<R: Region3 + ?Sized>(grid: &Grid3, shape: &R) -> Vec<f64> {
    let mut out = vec![0.0; grid.len()];
    for k in 0..grid.n[2] {
        for j in 0..grid.n[1] {
            for i in 0..grid.n[0] {
                let (lo, hi) = grid.cell_bounds(i, j, k);
                out[grid.index(i, j, k)] = shape.fraction(lo, hi);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn disk_area_exact_on_any_grid() {
        for n in [7, 32, 101] {
            let g = Grid2::unit(n, n).unwrap();
            let d = Disk { center: [0.43, 0.571], radius: 0.31 };
            let a: f64 = fractions_2d(&g, &d).iter().sum::<f64>() * g.cell_volume();
            assert!((a - PI * 0.31 * 0.31).abs() < 1e-14, "{n}: {a}");
        }
        // A cell entirely inside and one straddling the centre line.
        let d = Disk { center: [0.0, 0.0], radius: 1.0 };
        assert!((d.area_in_rect([-2.0, 0.0], [2.0, 2.0]) - 0.5 * PI).abs() < 1e-14);
        assert!((d.area_in_rect([0.0, 0.0], [1.0, 1.0]) - 0.25 * PI).abs() < 1e-14);
    }

    #[test]
    fn slotted_disk_and_polygon_areas() {
        let z = SlottedDisk::zalesak();
        let g = Grid2::unit(50, 50).unwrap();
        let a: f64 = fractions_2d(&g, &z).iter().sum::<f64>() * g.cell_volume();
        let r = 0.15_f64;
        // Slot strip |x - 0.5| <= w inside the disk below y = 0.85: integral of the chord.
        let w = 0.025_f64;
        let strip = |y0: f64, y1: f64| {
            // area of {|x - 0.5| <= w, y0 <= y <= y1} ∩ disk = exact via the disk routine.
            Disk { center: [0.5, 0.75], radius: r }.area_in_rect([0.5 - w, y0], [0.5 + w, y1])
        };
        let expected = PI * r * r - strip(0.5, 0.85);
        assert!((a - expected).abs() < 1e-14);
        // Chord length integral check of `strip` by the midpoint rule (independent).
        let n = 200_000;
        let mut q = 0.0;
        for k in 0..n {
            let x = 0.5 - w + (k as f64 + 0.5) * 2.0 * w / n as f64;
            let s = (r * r - (x - 0.5).powi(2)).sqrt();
            q += ((0.75 + s).min(0.85) - (0.75 - s).max(0.5)).max(0.0) * 2.0 * w / n as f64;
        }
        assert!((q - strip(0.5, 0.85)).abs() < 1e-10);
        // Non-convex L-shaped polygon of area 3 on a grid that cuts it everywhere.
        let l = Polygon {
            vertices: vec![[0.1, 0.1], [0.9, 0.1], [0.9, 0.4], [0.4, 0.4], [0.4, 0.9], [0.1, 0.9]],
        };
        let a: f64 = fractions_2d(&Grid2::unit(13, 13).unwrap(), &l).iter().sum::<f64>() / 169.0;
        assert!((a - (0.8 * 0.3 + 0.3 * 0.5)).abs() < 1e-14);
    }

    #[test]
    fn sphere_and_level_set_errors_fall_with_depth() {
        let g = Grid3::unit(12, 12, 12).unwrap();
        let exact = 4.0 / 3.0 * PI * 0.3_f64.powi(3);
        let errs: Vec<f64> = (0..3)
            .map(|d| {
                let s = Sphere { center: [0.5, 0.47, 0.52], radius: 0.3, depth: d };
                (fractions_3d(&g, &s).iter().sum::<f64>() * g.cell_volume() - exact).abs()
            })
            .collect();
        // Second order in the leaf size: each level divides the error by about four.
        assert!(errs[1] < 0.4 * errs[0] && errs[2] < 0.4 * errs[1], "{errs:?}");
        let g2 = Grid2::unit(16, 16).unwrap();
        let ls = LevelSet2 {
            phi: |p: [f64; 2]| ((p[0] - 0.5).powi(2) + (p[1] - 0.5).powi(2)).sqrt() - 0.3,
            depth: 5,
        };
        let a: f64 = fractions_2d(&g2, &ls).iter().sum::<f64>() * g2.cell_volume();
        assert!((a - PI * 0.09).abs() < 1e-5);
    }
}
