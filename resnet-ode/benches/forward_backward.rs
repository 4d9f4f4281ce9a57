//! Forward-backward pass and a short training run of a deep residual network.
//!
//! Sizes follow Fig. 1 of Marion et al. (ICLR 2024): depth 64, hidden width 32, state and input
//! dimension 16, batch 100, GELU, one thread (`faer::Par::Seq`).
//!
//! `cargo bench -p resnet-ode --bench forward_backward`
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use megavolt_core::nn::Activation;
use megavolt_core::rng::{Seed, gaussian_mat};
use resnet_ode::{Backprop, Init, ResNet, ResNetSpec, TrainSpec, Workspace, train};

const DEPTH: usize = 64;
const HIDDEN: usize = 32;
const DIM: usize = 16;
const BATCH: usize = 100;

fn setup(init: Init) -> (ResNet, faer::Mat<f64>, faer::Mat<f64>) {
    let seed = Seed::new(0);
    let spec = ResNetSpec {
        activation: Activation::Gelu,
        init,
        gain: 4.0,
        ..ResNetSpec::new(DIM, HIDDEN, DEPTH)
    };
    let net = ResNet::new(spec.build().expect("valid configuration"), &mut seed.stream("init"));
    let x = gaussian_mat(&mut seed.stream("x"), DIM, BATCH, 1.0);
    let y = gaussian_mat(&mut seed.stream("y"), DIM, BATCH, 1.0);
    (net, x, y)
}

fn forward_backward(c: &mut Criterion) {
    let (net, x, y) = setup(Init::Iid);
    let mut g = c.benchmark_group("resnet_L64_M32_d16_n100");
    // Multiply-adds of the four matrix products per block, forward and backward.
    let flops = (DEPTH * 2 * 3 * 2 * HIDDEN * DIM * BATCH) as u64;
    g.throughput(Throughput::Elements(flops));
    g.bench_function("forward", |b| b.iter(|| black_box(net.forward(black_box(x.as_ref())))));
    g.bench_function("forward_backward", |b| {
        b.iter(|| black_box(net.loss_and_gradients(black_box(x.as_ref()), black_box(y.as_ref()))))
    });
    let mut ws = Workspace::new(net.config(), BATCH);
    g.bench_function("forward_backward_workspace", |b| {
        b.iter(|| {
            black_box(net.loss_and_gradients_in(
                black_box(x.as_ref()),
                black_box(y.as_ref()),
                &mut ws,
            ))
        })
    });
    g.bench_function("forward_backward_memory_free", |b| {
        b.iter(|| {
            black_box(
                net.loss_and_gradients_memory_free(black_box(x.as_ref()), black_box(y.as_ref())),
            )
        })
    });
    g.finish();
}

fn training_run(c: &mut Criterion) {
    let (net, x, y) = setup(Init::Tied);
    let mut g = c.benchmark_group("training");
    for (name, backprop) in [
        ("gd_50_steps_stored", Backprop::Stored),
        ("gd_50_steps_memory_free", Backprop::MemoryFree),
    ] {
        let cfg = TrainSpec { backprop, ..TrainSpec::new(0.01, 50) }
            .build()
            .expect("valid configuration");
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = net.clone();
                let h = train(
                    &mut n,
                    x.as_ref(),
                    y.as_ref(),
                    &cfg,
                    &mut Seed::new(1).stream("batches"),
                );
                black_box(h.expect("training stays finite").final_loss)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2));
    targets = forward_backward, training_run
}
criterion_main!(benches);
