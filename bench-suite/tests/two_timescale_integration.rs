//! The `two-timescale` workload of `megavolt compare`: the samples written for the peer are
//! the ones our SGD consumes.

use bench_suite::compare::{Threads, Workload};
use bench_suite::workloads::two_timescale::TwoTimescaleSgd;
use two_timescale::activation::{sigma, sigma_prime};
use two_timescale::target::PiecewiseConstant;

/// Reads a little-endian f64 `.npy` file (format 1.0) written by `write_npy`.
fn read_npy(path: &std::path::Path) -> Vec<f64> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[10 + header..]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn sgd_answer_is_the_step_loop_on_the_written_samples() {
    let w = TwoTimescaleSgd { m: 20, eta: 4e-3, h: 1e-3, eps: 2e-5, steps: 3000 };
    let dir = tempfile::tempdir().unwrap();
    let ours = w.prepare(dir.path()).unwrap().run(Threads::One);
    let samples = read_npy(&dir.path().join("samples.npy"));
    let mut u = read_npy(&dir.path().join("u0.npy"));
    assert_eq!(samples.len(), 2 * w.steps as usize);
    assert!(samples.iter().all(|v| (0.0..1.0).contains(v)));

    // The plain step loop of the module documentation of `two_timescale::sgd`.
    let target = PiecewiseConstant::paper();
    let mut a = vec![0.0; w.m];
    let mut a0 = 0.0;
    for step in samples.chunks_exact(2) {
        let (x, xi) = (step[0], step[1]);
        let y = target.eval(x) + (2.0 * xi - 1.0);
        let f = a0 + (0..w.m).map(|j| a[j] * sigma((x - u[j]) / w.eta)).sum::<f64>();
        let r = y - f;
        a0 += 2.0 * w.h * r;
        for j in 0..w.m {
            let z = (x - u[j]) / w.eta;
            let a_old = a[j];
            a[j] += 2.0 * w.h * r * sigma(z);
            u[j] -= 2.0 * w.h * w.eps * r * a_old * sigma_prime(z) / w.eta;
        }
    }
    let mut want = u;
    want.extend(a);
    want.push(a0);
    assert_eq!(ours.len(), want.len());
    let scale = want.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    for (k, (o, e)) in ours.iter().zip(&want).enumerate() {
        // Rounding only: the same operations up to their order, over 3000 steps.
        assert!((o - e).abs() <= 1e-12 * scale, "entry {k}: {o} vs {e}");
    }
    // Different samples would give a different network.
    assert!(want[w.m..2 * w.m].iter().any(|a| a.abs() > 1e-3));
}
