//! SGD steps per second of the two-timescale model (the paper's setting, m = 20).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use megavolt_core::Seed;
use two_timescale::network::Network;
use two_timescale::sgd::{Kernel, SgdConfig, run_sgd};
use two_timescale::target::PiecewiseConstant;

fn sgd_steps(c: &mut Criterion) {
    let target = PiecewiseConstant::paper();
    let mut g = c.benchmark_group("sgd_steps");
    let steps = 100_000u64;
    for (kernel, name) in [(Kernel::Dense, "dense"), (Kernel::Sorted, "sorted")] {
        for m in [20usize, 100, 1000] {
            let net = Network::uniform(4e-3, m, &mut Seed::new(1).stream("init")).expect("valid");
            let config = SgdConfig::new(1e-3, 2e-5, steps as f64 * 1e-3 * 2e-5)
                .and_then(|c| c.with_records(1))
                .expect("valid")
                .with_kernel(kernel);
            g.throughput(Throughput::Elements(config.steps()));
            g.bench_with_input(BenchmarkId::new(name, m), &m, |b, _| {
                b.iter(|| {
                    let mut rng = Seed::new(2).stream("sgd");
                    black_box(run_sgd(black_box(&net), &target, &config, &mut rng).expect("finite"))
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2));
    targets = sgd_steps
}
criterion_main!(benches);
