//! Criterion benches: lasso paths (LARS, coordinate descent), the mirror flow, gradient descent
//! and the saddle-to-saddle limit, at sizes that keep `cargo test --benches` fast.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dln_lasso::cd::{CdConfig, CoordinateDescent, geometric_grid};
use dln_lasso::data::{Standardization, diabetes};
use dln_lasso::flow::{FlowConfig, MirrorFlow};
use dln_lasso::gd::{GdConfig, GradientDescent};
use dln_lasso::saddle::{SaddleConfig, SaddleToSaddle};
use dln_lasso::synthetic::SparseRegression;
use dln_lasso::{Design, Lars, LarsConfig, LarsMethod, LossScaling, Problem, lasso_path};
use faer::Mat;
use megavolt_core::Seed;

fn diabetes_problem() -> Problem {
    diabetes(Standardization::UnitNorm).problem(LossScaling::Mean).unwrap()
}

fn paths(c: &mut Criterion) {
    let p = diabetes_problem();
    let mut g = c.benchmark_group("diabetes");
    g.bench_function("lars_lasso", |b| b.iter(|| lasso_path(black_box(&p)).unwrap()));
    let lar = Lars::new(LarsConfig { method: LarsMethod::Lar, ..LarsConfig::default() }).unwrap();
    g.bench_function("lar", |b| b.iter(|| lar.path(black_box(&p)).unwrap()));
    let grid = geometric_grid(p.lambda_max(), 1e-3, 100).unwrap();
    let cd =
        CoordinateDescent::new(CdConfig { max_sweeps: 10_000, ..CdConfig::default() }).unwrap();
    g.bench_function("cd_path_100", |b| b.iter(|| cd.path(black_box(&p), &grid).unwrap()));
    // The setting of the comparison with scikit-learn's lasso_path: gap tolerance 1e-10.
    for anderson in [0, 5] {
        let tight = CoordinateDescent::new(CdConfig {
            tol: 1e-10,
            max_sweeps: 100_000,
            anderson,
            ..CdConfig::default()
        })
        .unwrap();
        g.bench_function(BenchmarkId::new("cd_path_100_tol1e-10_anderson", anderson), |b| {
            b.iter(|| tight.path(black_box(&p), &grid).unwrap())
        });
    }
    let sts = SaddleToSaddle::new(SaddleConfig::default()).unwrap();
    g.bench_function("saddle_to_saddle", |b| b.iter(|| sts.run(black_box(&p)).unwrap()));
    g.finish();

    let mut g = c.benchmark_group("synthetic_lars");
    for &(n, d) in &[(200usize, 100usize), (200, 400)] {
        let data =
            SparseRegression { n_train: n, n_test: 1, p: d, k: 10, ..SparseRegression::default() };
        let s = data.generate(Seed::new(1)).unwrap();
        let problem = s.train.problem(LossScaling::Mean).unwrap();
        g.bench_with_input(
            BenchmarkId::new("lars_lasso", format!("{n}x{d}")),
            &problem,
            |b, pr| b.iter(|| lasso_path(black_box(pr)).unwrap()),
        );
    }
    let lars = Lars::new(LarsConfig::default()).unwrap();
    for &(n, d) in &[(200usize, 400usize), (200, 2000)] {
        let data =
            SparseRegression { n_train: n, n_test: 1, p: d, k: 10, ..SparseRegression::default() };
        let s = data.generate(Seed::new(1)).unwrap();
        let design = Design::new(s.train.x.as_ref(), &s.train.y, LossScaling::Mean).unwrap();
        g.bench_with_input(
            BenchmarkId::new("lars_design", format!("{n}x{d}")),
            &design,
            |b, de| b.iter(|| lars.path_design(black_box(de)).unwrap()),
        );
    }
    g.finish();
}

fn networks(c: &mut Criterion) {
    let orth = Problem::from_gram(Mat::identity(3, 3), vec![3.0, 2.0, -1.0]).unwrap();
    let mut g = c.benchmark_group("networks");
    for &l in &[50.0, 500.0] {
        let flow = MirrorFlow::new(FlowConfig { log_inv_eps: l, ..FlowConfig::default() }).unwrap();
        g.bench_with_input(BenchmarkId::new("mirror_flow_orthogonal", l), &flow, |b, f| {
            b.iter(|| f.run(black_box(&orth), &[3.0]).unwrap())
        });
    }
    let p = diabetes_problem();
    let flow = MirrorFlow::new(FlowConfig { log_inv_eps: 100.0, ..FlowConfig::default() }).unwrap();
    g.bench_function("mirror_flow_diabetes_s10", |b| {
        b.iter(|| flow.run(black_box(&p), &[10.0]).unwrap())
    });
    let gd = GradientDescent::new(GdConfig {
        step_size: 0.01,
        record_every: 1000,
        ..GdConfig::default()
    })
    .unwrap();
    g.bench_function("gd_diabetes_1000", |b| b.iter(|| gd.run(black_box(&p), 1000).unwrap()));
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(1)).warm_up_time(Duration::from_millis(200));
    targets = paths, networks
}
criterion_main!(benches);
