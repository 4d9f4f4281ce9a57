//! Criterion benches of megavolt-core kernels: an RK4 step on a particle system, a
//! Dormand–Prince solve, and a forward-backward pass of a dense network.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use faer::Mat;
use megavolt_core::nn::{Activation, Init, Mlp, mse_loss};
use megavolt_core::ode::{AdaptiveOptions, Solver};
use megavolt_core::rng::{Seed, gaussian_mat};

fn rk4_linear(c: &mut Criterion) {
    // dy/dt = -y on a d x n matrix state: measures the integrator's own overhead.
    let mut g = c.benchmark_group("rk4_step_overhead");
    for n in [256usize, 4096] {
        let y0 = gaussian_mat(&mut Seed::new(1).stream("y0"), 8, n, 1.0);
        g.throughput(Throughput::Elements((8 * n) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                Solver::rk4(0.1)
                    .unwrap()
                    .solve(
                        |_t, y: &Mat<f64>, dy: &mut Mat<f64>| {
                            for j in 0..y.ncols() {
                                for (d, v) in
                                    dy.col_as_slice_mut(j).iter_mut().zip(y.col_as_slice(j))
                                {
                                    *d = -v;
                                }
                            }
                        },
                        0.0,
                        black_box(y0.clone()),
                        1.0,
                    )
                    .unwrap()
            });
        });
    }
    g.finish();
}

fn dopri_rotation(c: &mut Criterion) {
    c.bench_function("dopri5_rotation_tol1e-10", |b| {
        b.iter(|| {
            Solver::dormand_prince(AdaptiveOptions::tolerances(1e-10, 1e-10))
                .unwrap()
                .solve(
                    |_t, y: &Vec<f64>, dy: &mut Vec<f64>| {
                        dy[0] = y[1];
                        dy[1] = -y[0];
                    },
                    0.0,
                    black_box(vec![1.0, 0.0]),
                    100.0,
                )
                .unwrap()
        });
    });
}

fn mlp_forward_backward(c: &mut Criterion) {
    let mut rng = Seed::new(2).stream("net");
    let net =
        Mlp::new(&[16, 64, 64, 1], Activation::Tanh, Activation::Identity, Init::Glorot, &mut rng);
    let x = gaussian_mat(&mut rng, 16, 256, 1.0);
    let y = gaussian_mat(&mut rng, 1, 256, 1.0);
    c.bench_function("mlp_16-64-64-1_batch256_forward_backward", |b| {
        b.iter(|| {
            let cache = net.forward_cached(black_box(x.as_ref()));
            let (_, g) = mse_loss(cache.output(), y.as_ref());
            net.backward(&cache, g.as_ref())
        });
    });
}

fn exponential(c: &mut Criterion) {
    let xs: Vec<f64> = (0..1 << 20).map(|i| -20.0 * f64::from(i) / f64::from(1 << 20)).collect();
    let mut g = c.benchmark_group("exp_1M");
    g.throughput(Throughput::Elements(xs.len() as u64));
    g.bench_function("std", |b| {
        b.iter(|| {
            let mut v = xs.clone();
            v.iter_mut().for_each(|x| *x = x.exp());
            v
        });
    });
    g.bench_function("megavolt_core::math::exp_slice", |b| {
        b.iter(|| {
            let mut v = xs.clone();
            megavolt_core::math::exp_slice(&mut v);
            v
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = rk4_linear, dopri_rotation, mlp_forward_backward, exponential
}
criterion_main!(benches);
