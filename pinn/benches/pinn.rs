//! Criterion benches: PIKL Toeplitz assembly and Hermitian solve (2-D wave problem, m = 20),
//! and one PINN training step (loss and gradient through the jets) on the heat problem.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use megavolt_core::rng::Seed;
use pinn::jet::TanhNet;
use pinn::problems::{heat, wave};
use pinn::{PiklConfig, PinnProblem};

fn pikl(c: &mut Criterion) {
    let mut g = c.benchmark_group("pikl_wave_m20");
    let cfg: PiklConfig = wave::config(20, 1e-7, 1e-3).expect("valid config");
    for n in [10_000usize, 100_000] {
        let data = wave::sample(Seed::new(1), n, 0.0);
        g.bench_with_input(BenchmarkId::new("assemble", n), &n, |b, _| {
            b.iter(|| black_box(cfg.assemble(data.x.as_ref(), &data.y).expect("assembles")))
        });
        g.bench_with_input(BenchmarkId::new("assemble_and_solve", n), &n, |b, _| {
            b.iter(|| black_box(cfg.fit(data.x.as_ref(), &data.y).expect("solves")))
        });
    }
    let data = wave::sample(Seed::new(1), 10_000, 0.0);
    let asm = cfg.assemble(data.x.as_ref(), &data.y).expect("assembles");
    g.bench_function("solve_only", |b| b.iter(|| black_box(cfg.solve(&asm).expect("solves"))));
    g.finish();
}

fn pinn_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("pinn_heat_step");
    for n_colloc in [1_000usize, 10_000] {
        let seed = Seed::new(2);
        let (init, bnd) = heat::initial_and_boundary(seed, 100, 200);
        let problem = PinnProblem::builder(heat::operator(), heat::collocation(seed, n_colloc))
            .condition("initial", init.x, init.y)
            .condition("boundary", bnd.x, bnd.y)
            .build()
            .expect("valid problem");
        let net =
            TanhNet::glorot(&[2, 10, 10, 10, 1], &mut seed.stream("init")).expect("valid sizes");
        g.bench_with_input(BenchmarkId::new("loss_and_gradient", n_colloc), &n_colloc, |b, _| {
            b.iter(|| black_box(problem.loss_and_gradient(&net)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2));
    targets = pikl, pinn_step
}
criterion_main!(benches);
