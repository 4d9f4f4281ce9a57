//! One RK4 step of SA on the sphere (four attention evaluations plus renormalisation), one
//! attention evaluation alone, and a plain faer product of the same shape as the Gram matrix
//! (to read the fraction of the machine's matrix-product rate that an evaluation reaches).
//!
//! Throughputs are in multiply-adds per second: an evaluation performs `1.5 n^2 d` of them in
//! its matrix products (lower half of the Gram matrix, then the full weighted sum), an RK4 step
//! four times that, the reference product `n^2 d`. The achieved fraction of the matrix-product
//! peak is the ratio of the `evaluation` (or `rk4_step`) throughput to the `faer_matmul_n_n_d`
//! throughput at the same size.
//!
//! `cargo bench -p attention-flow --bench rk4_step`. Sizes: `n` in {256, 1024, 4096}, `d` in
//! {3, 64}; under `cargo test --benches` (debug assertions on) only `n = 256` runs.

use std::hint::black_box;
use std::time::Duration;

use attention_flow::{
    Scheme, SimOptions, SphereAttention, TokenField, Workspace, simulate, tokens,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

fn sizes() -> &'static [usize] {
    if cfg!(debug_assertions) { &[256] } else { &[256, 1024, 4096] }
}

fn bench(c: &mut Criterion) {
    let model = SphereAttention::sa(4.0).expect("valid beta");
    for d in [3usize, 64] {
        let mut g = c.benchmark_group(format!("sa_d{d}"));
        for &n in sizes() {
            let x = tokens::uniform(megavolt_core::Seed::new(1), "bench", d, n);
            // Gram (lower half) + weighted average: 1.5 n^2 d multiply-adds.
            g.throughput(Throughput::Elements((3 * n * n * d / 2) as u64));
            g.bench_with_input(BenchmarkId::new("evaluation", n), &n, |b, _| {
                let mut out = Mat::zeros(d, n);
                let mut ws = Workspace::new();
                b.iter(|| model.velocity_into(black_box(x.as_ref()), out.as_mut(), &mut ws))
            });
            g.throughput(Throughput::Elements((6 * n * n * d) as u64));
            g.bench_with_input(BenchmarkId::new("rk4_step", n), &n, |b, _| {
                b.iter(|| {
                    simulate(
                        &model,
                        black_box(x.as_ref()),
                        0.01,
                        Scheme::Rk4 { step: 0.01 },
                        &SimOptions::default(),
                    )
                    .expect("finite")
                })
            });
            g.throughput(Throughput::Elements((n * n * d) as u64));
            g.bench_with_input(BenchmarkId::new("faer_matmul_n_n_d", n), &n, |b, _| {
                let mut gram = Mat::zeros(n, n);
                b.iter(|| {
                    matmul(
                        gram.as_mut(),
                        Accum::Replace,
                        x.transpose(),
                        black_box(x.as_ref()),
                        1.0,
                        Par::Seq,
                    )
                })
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
