//! Deterministic parallel ensembles: independent runs spread over threads.
//!
//! Member `k` of an ensemble receives its own stream `seed.indexed(label, k)` and results are
//! collected in member order, so the output is bit-identical whatever the number of threads
//! and the schedule. Inside each member, keep linear algebra sequential (`Par::Seq`).
//!
//! ```
//! use megavolt_core::ensemble::ensemble;
//! use megavolt_core::Seed;
//! use rand::RngExt;
//!
//! let draws: Vec<f64> = ensemble(Seed::new(3), "member", 8, |_k, rng| rng.random::<f64>());
//! assert_eq!(draws.len(), 8);
//! ```

use rayon::prelude::*;

use crate::rng::{Seed, WorkspaceRng};

/// Runs `f(k, rng_k)` for `k = 0..n` on rayon's thread pool, `rng_k = seed.indexed(label, k)`,
/// and returns the results in order of `k`.
pub fn ensemble<T, F>(seed: Seed, label: &str, n: usize, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, &mut WorkspaceRng) -> T + Sync,
{
    (0..n)
        .into_par_iter()
        .map(|k| {
            let mut rng = seed.indexed(label, k as u64);
            f(k, &mut rng)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_mat;
    use faer::Par;
    use faer::linalg::matmul::matmul;

    fn member(_k: usize, rng: &mut WorkspaceRng) -> Vec<u64> {
        // A small linear-algebra workload whose rounding would expose any reordering.
        let a = gaussian_mat(rng, 40, 40, 1.0);
        let mut c = faer::Mat::zeros(40, 40);
        matmul(c.as_mut(), faer::Accum::Replace, a.as_ref(), a.transpose(), 1.0, Par::Seq);
        (0..40).map(|i| c[(i, (i * 7) % 40)].to_bits()).collect()
    }

    #[test]
    fn bit_identical_at_any_thread_count() {
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| ensemble(Seed::new(9), "m", 12, member))
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        // Members differ from one another.
        assert_ne!(one[0], one[1]);
    }
}
