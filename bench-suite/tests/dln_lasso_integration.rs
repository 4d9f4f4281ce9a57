//! The `dln-lasso` workloads of `megavolt compare`: their Rust answers against published
//! scikit-learn numbers and against the exact path.

use bench_suite::compare::{Threads, Workload};
use bench_suite::workloads::dln_lasso::{LarsDiabetes, LassoCdPath};
use dln_lasso::data::{Standardization, diabetes};
use dln_lasso::{LossScaling, lasso_path};

#[test]
fn lars_diabetes_knots_are_scikit_learns() {
    let dir = tempfile::tempdir().unwrap();
    let knots = LarsDiabetes.prepare(dir.path()).unwrap().run(Threads::One);
    // scikit-learn 1.9.1 `lars_path(method="lasso")` on the unit-norm diabetes data, printed
    // to six decimals.
    let want = [
        2.148044, 2.012022, 1.024651, 0.715098, 0.294411, 0.200869, 0.156029, 0.045206, 0.012393,
        0.011512, 0.004937, 0.002965, 0.0,
    ];
    assert_eq!(knots.len(), want.len(), "{knots:?}");
    for (k, w) in knots.iter().zip(want) {
        assert!((k - w).abs() <= 5e-7, "{k} vs {w}");
    }
    assert!(dir.path().join("x.npy").exists() && dir.path().join("y.npy").exists());
}

#[test]
fn lasso_cd_path_is_within_its_tolerance_of_the_exact_path() {
    let w = LassoCdPath { n_alphas: 100, ratio: 1e-3, tol: 1e-10, max_iter: 100_000 };
    let dir = tempfile::tempdir().unwrap();
    let ours = w.prepare(dir.path()).unwrap().run(Threads::One);
    let problem = diabetes(Standardization::UnitNorm).problem(LossScaling::Mean).unwrap();
    let exact = lasso_path(&problem).unwrap();
    let lmax = problem.lambda_max();
    let p = problem.dim();
    assert_eq!(ours.len(), 5 * p);
    let scale = ours.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    for (block, k) in ours.chunks_exact(p).zip([10, 30, 50, 75, 99]) {
        // The grid of `geometric_grid(lmax, 1e-3, 100)`.
        let lambda = lmax * (1e-3_f64).powf(k as f64 / 99.0);
        let want = exact.at(lambda);
        for (o, e) in block.iter().zip(&want) {
            // Half the workload's tolerance: one side's distance to the minimiser.
            assert!((o - e).abs() <= 0.5 * w.rtol() * scale, "lambda {lambda}: {o} vs {e}");
        }
    }
}
