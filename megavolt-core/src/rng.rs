//! The seeding convention of the whole workspace.
//!
//! An experiment takes a single `u64` seed. Each independent random component of the
//! experiment (initial tokens, network weights, a data set, the `k`-th member of an ensemble)
//! draws from its own ChaCha8 stream, derived from that seed and the component's identity:
//!
//! * [`Seed::stream`] names the component by a string (`"init"`, `"data/train"`), hashed
//!   with the stable 64-bit FNV-1a hash into the ChaCha stream number;
//! * [`Seed::indexed`] names the `k`-th member of a family (seed ensembles, grid points,
//!   shards), combining the label's hash with `k`.
//!
//! Because a stream depends only on `(seed, label, k)`, results do not depend on the order in
//! which components are evaluated, nor on how work is spread over threads. ChaCha streams are
//! independent by construction: each of the 2^64 stream numbers selects a disjoint key stream.
//!
//! ```
//! use megavolt_core::rng::{Seed, gaussian_mat};
//! use rand::RngExt;
//!
//! let seed = Seed::new(42);
//! let mut init = seed.stream("init");
//! let w = gaussian_mat(&mut init, 3, 4, 0.5);
//! assert_eq!(w.nrows(), 3);
//! // The same label always gives the same numbers.
//! let a: f64 = seed.stream("noise").random();
//! let b: f64 = seed.stream("noise").random();
//! assert_eq!(a.to_bits(), b.to_bits());
//! ```

use faer::{Col, Mat};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The random number generator used throughout the workspace.
pub type WorkspaceRng = ChaCha8Rng;

/// The master seed of an experiment, from which every random stream is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Seed(pub u64);

impl Seed {
    /// Wraps a `u64` seed.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The raw seed.
    pub const fn value(self) -> u64 {
        self.0
    }

    /// The ChaCha8 stream of the component named `label`.
    pub fn stream(self, label: &str) -> WorkspaceRng {
        self.stream_number(fnv1a(label.as_bytes()))
    }

    /// The ChaCha8 stream of the `k`-th member of the family named `label`.
    pub fn indexed(self, label: &str, k: u64) -> WorkspaceRng {
        // Mix `k` into the label hash with a further FNV round over its bytes, so that
        // (label, k) pairs do not collide with plain labels.
        let mut h = fnv1a(label.as_bytes());
        for byte in k.to_le_bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(FNV_PRIME);
        }
        self.stream_number(h ^ 0x9e37_79b9_7f4a_7c15)
    }

    /// A derived seed for a sub-experiment, so that a component can itself hand out streams.
    pub fn derive(self, label: &str) -> Seed {
        Seed(self.stream(label).next_u64())
    }

    fn stream_number(self, stream: u64) -> WorkspaceRng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.0);
        rng.set_stream(stream);
        rng
    }
}

impl From<u64> for Seed {
    fn from(seed: u64) -> Self {
        Self(seed)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The 64-bit FNV-1a hash: stable across platforms and Rust versions (unlike `std`'s hasher).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
}

/// A `nrows x ncols` matrix of i.i.d. centred Gaussian entries with standard deviation `std`,
/// filled column by column.
///
/// # Panics
/// If `std` is negative or not finite, or if the matrix is too large to address (its
/// columns padded to 64 bytes as faer stores them, more than `isize::MAX` bytes).
#[track_caller]
pub fn gaussian_mat<R: Rng + ?Sized>(
    rng: &mut R,
    nrows: usize,
    ncols: usize,
    std: f64,
) -> Mat<f64> {
    assert_std("gaussian_mat", std);
    assert_storable("gaussian_mat", nrows, ncols);
    // Column-major fill order, documented so that results are reproducible from other tools.
    let mut m = Mat::zeros(nrows, ncols);
    for j in 0..ncols {
        for i in 0..nrows {
            let z: f64 = StandardNormal.sample(rng);
            m[(i, j)] = std * z;
        }
    }
    m
}

/// A vector of `n` i.i.d. centred Gaussian entries with standard deviation `std`.
///
/// # Panics
/// If `std` is negative or not finite, or if the vector is too large to address (more than
/// `isize::MAX` bytes).
#[track_caller]
pub fn gaussian_col<R: Rng + ?Sized>(rng: &mut R, n: usize, std: f64) -> Col<f64> {
    assert_std("gaussian_col", std);
    assert_storable("gaussian_col", n, 1);
    Col::from_fn(n, |_| {
        let z: f64 = StandardNormal.sample(rng);
        std * z
    })
}

/// A `nrows x ncols` matrix of i.i.d. entries uniform on `[lo, hi)`, filled column by column.
///
/// Each entry is `lo + (hi - lo) u` for a draw `u` uniform on the multiples of `2^-53` in
/// `[0, 1)`; when `hi - lo` overflows it is `lo (1 - u) + hi u` instead, which stays finite. A
/// value that rounds up to `hi` (possible when `hi - lo` is a few ulps of `lo`) is replaced
/// by the largest double below `hi`, so every entry lies in `[lo, hi)`.
///
/// # Panics
/// If `lo` or `hi` is not finite, if `lo >= hi` (the interval is empty), or if the matrix is
/// too large to address (its columns padded to 64 bytes as faer stores them, more than
/// `isize::MAX` bytes).
#[track_caller]
pub fn uniform_mat<R: Rng + ?Sized>(
    rng: &mut R,
    nrows: usize,
    ncols: usize,
    lo: f64,
    hi: f64,
) -> Mat<f64> {
    assert_interval("uniform_mat", lo, hi);
    assert_storable("uniform_mat", nrows, ncols);
    let mut m = Mat::zeros(nrows, ncols);
    for j in 0..ncols {
        for i in 0..nrows {
            m[(i, j)] = uniform_in(rng, lo, hi);
        }
    }
    m
}

/// A vector of `n` i.i.d. entries uniform on `[lo, hi)`, computed as in [`uniform_mat`].
///
/// # Panics
/// If `lo` or `hi` is not finite, if `lo >= hi` (the interval is empty), or if the vector is
/// too large to address (more than `isize::MAX` bytes).
#[track_caller]
pub fn uniform_col<R: Rng + ?Sized>(rng: &mut R, n: usize, lo: f64, hi: f64) -> Col<f64> {
    assert_interval("uniform_col", lo, hi);
    assert_storable("uniform_col", n, 1);
    Col::from_fn(n, |_| uniform_in(rng, lo, hi))
}

/// One draw uniform on `[lo, hi)`, for `lo < hi` both finite.
fn uniform_in<R: Rng + ?Sized>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    let u: f64 = rng.random();
    let width = hi - lo;
    let v = if width.is_finite() {
        lo + width * u
    } else {
        // Only `lo < 0 < hi` can overflow the width. `1 - u` is exact, the rounded products
        // satisfy `0 <= hi u < hi` (for `u <= 1 - 2^-53`) and `lo <= lo (1 - u) <= 0`, and the
        // rounded sum of a non-negative and a non-positive double lies between the two.
        lo * (1.0 - u) + hi * u
    };
    if v < hi { v } else { hi.next_down() }
}

/// Checks that `[lo, hi)` is a non-empty interval of finite numbers.
#[track_caller]
fn assert_interval(caller: &str, lo: f64, hi: f64) {
    assert!(
        lo.is_finite() && hi.is_finite() && lo < hi,
        "{caller}: need finite bounds lo < hi, got lo = {lo}, hi = {hi}"
    );
}

/// Checks that a standard deviation is finite and non-negative.
#[track_caller]
fn assert_std(caller: &str, std: f64) {
    assert!(std.is_finite() && std >= 0.0, "{caller}: need a finite std >= 0, got {std}");
}

/// Checks that a `nrows x ncols` matrix of `f64` can be stored by faer, which pads every
/// column to a multiple of 64 bytes and needs the whole matrix to span at most `isize::MAX`
/// bytes. (Whether the memory is actually available is another matter: a failed allocation
/// aborts the process.)
#[track_caller]
fn assert_storable(caller: &str, nrows: usize, ncols: usize) {
    let bytes = nrows
        .checked_next_multiple_of(8)
        .and_then(|rows| rows.checked_mul(ncols))
        .and_then(|entries| entries.checked_mul(size_of::<f64>()));
    assert!(
        bytes.is_some_and(|b| b <= isize::MAX as usize),
        "{caller}: a {nrows} x {ncols} matrix of f64 exceeds the addressable size"
    );
}

/// `n` points drawn uniformly on the unit sphere of `R^d`, one per **column** of a `d x n`
/// matrix (normalised Gaussian vectors).
///
/// # Panics
/// If `d == 0`, or if the matrix is too large to address (more than `isize::MAX` bytes).
#[track_caller]
pub fn uniform_sphere<R: Rng + ?Sized>(rng: &mut R, d: usize, n: usize) -> Mat<f64> {
    assert!(d > 0, "uniform_sphere: dimension must be positive");
    assert_storable("uniform_sphere", d, n);
    let mut m = Mat::zeros(d, n);
    for j in 0..n {
        loop {
            let mut norm2 = 0.0;
            for i in 0..d {
                let z: f64 = StandardNormal.sample(rng);
                m[(i, j)] = z;
                norm2 += z * z;
            }
            // A draw of exactly zero norm has probability zero but would divide by zero.
            if norm2 > 0.0 {
                let inv = norm2.sqrt().recip();
                for i in 0..d {
                    m[(i, j)] *= inv;
                }
                break;
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        // Published FNV-1a 64-bit test vectors.
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn chacha_regression_anchor() {
        // First three standard normal draws of ChaCha8Rng seeded with 42 (rand_distr 0.6).
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let z: Vec<f64> = (0..3).map(|_| StandardNormal.sample(&mut rng)).collect();
        let expected = [0.477981, 1.334071, -0.210867];
        for (a, b) in z.iter().zip(expected) {
            assert!((a - b).abs() < 5e-7, "{a} vs {b}");
        }
    }

    #[test]
    fn streams_are_order_independent_and_distinct() {
        let seed = Seed::new(7);
        let a1: u64 = seed.stream("a").next_u64();
        let _b: u64 = seed.stream("b").next_u64();
        let a2: u64 = seed.stream("a").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(seed.stream("a").next_u64(), seed.stream("b").next_u64());
        assert_ne!(seed.indexed("a", 0).next_u64(), seed.indexed("a", 1).next_u64());
        assert_ne!(seed.indexed("a", 0).next_u64(), seed.stream("a").next_u64());
        assert_ne!(Seed::new(8).stream("a").next_u64(), a1);
    }

    #[test]
    fn sphere_points_have_unit_norm() {
        let mut rng = Seed::new(1).stream("sphere");
        let x = uniform_sphere(&mut rng, 5, 100);
        for j in 0..100 {
            let n2: f64 = (0..5).map(|i| x[(i, j)] * x[(i, j)]).sum();
            assert!((n2 - 1.0).abs() < 4.0 * f64::EPSILON);
        }
    }

    #[test]
    fn uniform_draws_are_lo_plus_width_times_u_for_ordinary_bounds() {
        // The formula is unchanged where it was already right: bit for bit on ordinary bounds.
        let mut rng = Seed::new(4).stream("u");
        let mut copy = rng.clone();
        let v = uniform_col(&mut rng, 1000, -5.0, 5.0);
        let m = uniform_mat(&mut rng, 7, 9, 0.0, 0.5);
        for x in v.iter() {
            let u: f64 = copy.random();
            assert_eq!(x.to_bits(), (-5.0 + 10.0 * u).to_bits());
        }
        for j in 0..9 {
            for i in 0..7 {
                let u: f64 = copy.random();
                assert_eq!(m[(i, j)].to_bits(), (0.5 * u).to_bits());
            }
        }
    }

    #[test]
    #[allow(clippy::float_cmp, reason = "symmetric bounds and the single double of an interval")]
    fn uniform_draws_stay_in_half_open_interval() {
        let mut rng = Seed::new(5).stream("u");
        // hi - lo overflows: every draw is finite and in [lo, hi). The mean of U(-M, M) is 0
        // with standard deviation M / sqrt(3 n) for the sample mean; allow 5 sigma.
        for (lo, hi) in [(-1e308, 1e308), (-f64::MAX, f64::MAX), (-f64::MAX, 1.0)] {
            let n = 20_000;
            let v = uniform_col(&mut rng, n, lo, hi);
            assert!(v.iter().all(|x| x.is_finite() && lo <= *x && *x < hi), "{lo} {hi}");
            if hi == -lo {
                let mean = v.iter().map(|x| x / hi).sum::<f64>() / n as f64;
                assert!(mean.abs() < 5.0 / (3.0 * n as f64).sqrt(), "mean {mean}");
            }
        }
        // [1e16, 1e16 + 2) holds a single double, 1e16 (the spacing there is 2); the draw
        // 1e16 + 2 u rounds to 1e16 + 2 = hi for u > 1/2, which is not in the interval.
        let m = uniform_mat(&mut rng, 10, 10, 1e16, 1e16 + 2.0);
        assert!(m.col_iter().all(|c| c.iter().all(|&x| x == 1e16)));
    }

    #[test]
    #[should_panic(expected = "uniform_col: need finite bounds lo < hi, got lo = 1, hi = 0")]
    fn reversed_uniform_interval_panics() {
        uniform_col(&mut Seed::new(1).stream("u"), 3, 1.0, 0.0);
    }

    #[test]
    #[should_panic(expected = "uniform_mat: need finite bounds lo < hi")]
    fn infinite_uniform_bound_panics() {
        uniform_mat(&mut Seed::new(1).stream("u"), 3, 3, 0.0, f64::INFINITY);
    }

    #[test]
    #[should_panic(expected = "gaussian_mat: need a finite std >= 0, got NaN")]
    fn nan_std_panics() {
        gaussian_mat(&mut Seed::new(1).stream("g"), 2, 2, f64::NAN);
    }

    #[test]
    #[should_panic(expected = "gaussian_col: need a finite std >= 0, got -1")]
    fn negative_std_panics() {
        gaussian_col(&mut Seed::new(1).stream("g"), 2, -1.0);
    }

    #[test]
    #[should_panic(expected = "gaussian_mat: a 18446744073709551615 x 2 matrix of f64 exceeds")]
    fn unaddressable_matrix_panics() {
        gaussian_mat(&mut Seed::new(1).stream("g"), usize::MAX, 2, 1.0);
    }

    #[test]
    fn storable_sizes_follow_faer_padding() {
        // One row is padded to 8 f64 = 64 bytes, so 2^56 columns of one row span 2^62 bytes
        // (storable) and 2^60 columns 2^66 bytes (not).
        assert_storable("t", 1, 1 << 56);
        assert!(std::panic::catch_unwind(|| assert_storable("t", 1, 1 << 60)).is_err());
        // Zero std is a valid (degenerate) distribution.
        let z = gaussian_col(&mut Seed::new(2).stream("z"), 4, 0.0);
        assert!(z.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn gaussian_moments_within_sampling_error() {
        let mut rng = Seed::new(3).stream("g");
        let n = 20_000;
        let v = gaussian_col(&mut rng, n, 2.0);
        let mean: f64 = v.iter().sum::<f64>() / n as f64;
        let var: f64 = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Standard errors: 2/sqrt(n) for the mean, sqrt(2/n)*4 for the variance; allow 5 sigma.
        assert!(mean.abs() < 5.0 * 2.0 / (n as f64).sqrt());
        assert!((var - 4.0).abs() < 5.0 * 4.0 * (2.0 / n as f64).sqrt());
    }
}
