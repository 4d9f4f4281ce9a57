//! Criterion benches of the bounds, the exact enumeration and the lower bound.
//!
//! `cargo bench -p lipschitz` (add `--features lipsdp` for the semidefinite bound).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lipschitz::bounds::{
    FirstOrderConfig, abs_product, combettes_pesquet, combettes_pesquet_norm, jacobian_interval,
    lipsdp_first_order, norm_product, seqlip_exhaustive, split_abs,
};
use lipschitz::{
    Domain, ExactConfig, LowerConfig, Norm, ReluNet, exact_lipschitz, exact_lipschitz_1d,
    sampled_lower_bound,
};
use megavolt_core::Seed;

fn net(sizes: &[usize]) -> ReluNet {
    ReluNet::random(sizes, 2f64.sqrt(), 0.5, &mut Seed::new(0).stream("bench"))
        .expect("valid sizes")
}

fn upper(c: &mut Criterion) {
    let mut g = c.benchmark_group("upper_bounds");
    for width in [16usize, 64] {
        let n = net(&[2, width, width, 2]);
        g.bench_with_input(BenchmarkId::new("product_l2", width), &n, |b, n| {
            b.iter(|| norm_product(black_box(n), Norm::L2))
        });
        g.bench_with_input(BenchmarkId::new("combettes_pesquet", width), &n, |b, n| {
            b.iter(|| combettes_pesquet(black_box(n)))
        });
        g.bench_with_input(BenchmarkId::new("abs_product_linf", width), &n, |b, n| {
            b.iter(|| abs_product(black_box(n), Norm::LInf))
        });
        g.bench_with_input(BenchmarkId::new("jacobian_interval_linf", width), &n, |b, n| {
            b.iter(|| jacobian_interval(black_box(n), Norm::LInf))
        });
        g.bench_with_input(BenchmarkId::new("combettes_pesquet_linf", width), &n, |b, n| {
            b.iter(|| combettes_pesquet_norm(black_box(n), Norm::LInf))
        });
        g.bench_with_input(BenchmarkId::new("split_abs_linf", width), &n, |b, n| {
            b.iter(|| split_abs(black_box(n), Norm::LInf))
        });
    }
    let n = net(&[2, 10, 10, 1]);
    g.bench_function("seqlip_exhaustive_w10", |b| b.iter(|| seqlip_exhaustive(black_box(&n), 10)));
    let n = net(&[2, 16, 16, 2]);
    g.bench_function("lipsdp_first_order_w16", |b| {
        b.iter(|| lipsdp_first_order(black_box(&n), &FirstOrderConfig::default()))
    });
    g.finish();
}

fn exact_and_lower(c: &mut Criterion) {
    let mut g = c.benchmark_group("exact_and_lower");
    for width in [4usize, 8] {
        let n = net(&[2, width, width, 1]);
        g.bench_with_input(BenchmarkId::new("exact_enumeration_l2", width), &n, |b, n| {
            b.iter(|| exact_lipschitz(black_box(n), &ExactConfig::new(Norm::L2)))
        });
    }
    let deep = net(&[1, 32, 32, 32, 32, 1]);
    g.bench_function("exact_line_splitting_depth4_w32", |b| {
        b.iter(|| exact_lipschitz_1d(black_box(&deep), Norm::L2, None))
    });
    let n = net(&[2, 64, 64, 2]);
    let cfg = LowerConfig::new(Norm::L2, Domain::Global, 200, 1.0, 2, 20).expect("valid config");
    g.bench_function("sampled_lower_bound_200", |b| {
        b.iter(|| sampled_lower_bound(black_box(&n), &cfg, Seed::new(1)))
    });
    g.finish();
}

#[cfg(feature = "lipsdp")]
fn lipsdp(c: &mut Criterion) {
    use lipschitz::lipsdp::{LipSdpConfig, lipsdp_neuron};
    let mut g = c.benchmark_group("lipsdp_neuron");
    for width in [8usize, 16] {
        let n = net(&[2, width, width, 2]);
        g.bench_with_input(BenchmarkId::new("clarabel", width), &n, |b, n| {
            b.iter(|| lipsdp_neuron(black_box(n), &LipSdpConfig::default()))
        });
    }
    g.finish();
}

#[cfg(not(feature = "lipsdp"))]
fn lipsdp(_: &mut Criterion) {}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(200));
    targets = upper, exact_and_lower, lipsdp
}
criterion_main!(benches);
