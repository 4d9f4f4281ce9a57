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

/// A `nrows x ncols` matrix of i.i.d. centred Gaussian entries with standard deviation `std`.
pub fn gaussian_mat<R: Rng + ?Sized>(
    rng: &mut R,
    nrows: usize,
    ncols: usize,
    std: f64,
) -> Mat<f64> {
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
pub fn gaussian_col<R: Rng + ?Sized>(rng: &mut R, n: usize, std: f64) -> Col<f64> {
    Col::from_fn(n, |_| {
        let z: f64 = StandardNormal.sample(rng);
        std * z
    })
}

/// A `nrows x ncols` matrix of i.i.d. entries uniform on `[lo, hi)`, filled column by column.
pub fn uniform_mat<R: Rng + ?Sized>(
    rng: &mut R,
    nrows: usize,
    ncols: usize,
    lo: f64,
    hi: f64,
) -> Mat<f64> {
    let mut m = Mat::zeros(nrows, ncols);
    for j in 0..ncols {
        for i in 0..nrows {
            let u: f64 = rng.random();
            m[(i, j)] = lo + (hi - lo) * u;
        }
    }
    m
}

/// A vector of `n` i.i.d. entries uniform on `[lo, hi)`.
pub fn uniform_col<R: Rng + ?Sized>(rng: &mut R, n: usize, lo: f64, hi: f64) -> Col<f64> {
    Col::from_fn(n, |_| {
        let u: f64 = rng.random();
        lo + (hi - lo) * u
    })
}

/// `n` points drawn uniformly on the unit sphere of `R^d`, one per **column** of a `d x n`
/// matrix (normalised Gaussian vectors).
///
/// # Panics
/// If `d == 0`.
#[track_caller]
pub fn uniform_sphere<R: Rng + ?Sized>(rng: &mut R, d: usize, n: usize) -> Mat<f64> {
    assert!(d > 0, "uniform_sphere: dimension must be positive");
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
