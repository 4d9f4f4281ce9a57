//! One split step (all sweeps) per scheme on a 256^2 and a 64^3 grid, reported as cell
//! updates per second (`Throughput::Elements` = cells x sweeps).
//!
//! ```text
//! cargo bench -p vof-ml --bench sweep
//! ```

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vof_ml::advect2::Advection2;
use vof_ml::advect3::Advection3;
use vof_ml::grid::{Boundary, Grid2, Grid3};
use vof_ml::learned::LearnedFlux;
use vof_ml::normals::NormalMethod;
use vof_ml::scheme::Scheme;
use vof_ml::shapes::{Disk, Sphere, fractions_2d, fractions_3d};
use vof_ml::velocity::{Uniform2, Uniform3};

fn schemes_2d() -> Vec<Scheme> {
    let mut s = vec![Scheme::Upwind, Scheme::DespresLagoutiere];
    s.extend(NormalMethod::ALL.map(Scheme::Plic));
    s.push(Scheme::Learned(Arc::new(LearnedFlux::shipped_2d())));
    s
}

fn step_2d(c: &mut Criterion) {
    let n = 256;
    let grid = Grid2::unit(n, n).expect("valid grid");
    let alpha0 = fractions_2d(&grid, &Disk { center: [0.5, 0.5], radius: 0.3 });
    let field = Uniform2 { velocity: [1.0, 0.6] };
    let dt = 0.5 / n as f64;
    let mut g = c.benchmark_group("step_2d_256");
    g.throughput(Throughput::Elements((2 * grid.len()) as u64));
    for scheme in schemes_2d() {
        let solver =
            Advection2::new(grid, Boundary::Periodic, scheme.clone(), 0.5).expect("valid solver");
        g.bench_with_input(BenchmarkId::new(scheme.name(), n), &n, |b, _| {
            let mut alpha = alpha0.clone();
            b.iter(|| solver.step(black_box(&mut alpha), &field, 0.0, dt, false));
        });
    }
    g.finish();
}

fn step_3d(c: &mut Criterion) {
    let n = 64;
    let grid = Grid3::unit(n, n, n).expect("valid grid");
    let alpha0 = fractions_3d(&grid, &Sphere { center: [0.5; 3], radius: 0.3, depth: 2 });
    let field = Uniform3 { velocity: [1.0, 0.6, 0.3] };
    let dt = 0.5 / n as f64;
    let mut g = c.benchmark_group("step_3d_64");
    g.throughput(Throughput::Elements((3 * grid.len()) as u64));
    let schemes = [
        Scheme::Upwind,
        Scheme::DespresLagoutiere,
        Scheme::Plic(NormalMethod::Youngs),
        Scheme::Plic(NormalMethod::Mixed),
        Scheme::Plic(NormalMethod::Elvira),
        Scheme::Learned(Arc::new(LearnedFlux::shipped_3d())),
    ];
    for scheme in schemes {
        let solver =
            Advection3::new(grid, Boundary::Periodic, scheme.clone(), 0.5).expect("valid solver");
        g.bench_with_input(BenchmarkId::new(scheme.name(), n), &n, |b, _| {
            let mut alpha = alpha0.clone();
            b.iter(|| solver.step(black_box(&mut alpha), &field, 0.0, dt, 0));
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(2));
    targets = step_2d, step_3d
}
criterion_main!(benches);
