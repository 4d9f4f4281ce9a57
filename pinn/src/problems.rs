//! The benchmark problems of the papers, with their exact solutions and data generators, shared
//! by the tests, the experiments and the benches.

use std::f64::consts::PI;

use faer::Mat;
use megavolt_core::rng::Seed;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::domain::{Axis, Domain};
use crate::error::Result;
use crate::operator::DiffOperator;
use crate::pikl::PiklConfig;

/// Points (`d x n`) and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// `d x n` points.
    pub x: Mat<f64>,
    /// One value per point.
    pub y: Vec<f64>,
}

/// Damped oscillator `f'' + f' + f = 0` on `[-pi, pi]`, solution `exp(-x/2) cos(sqrt(3) x / 2)`.
pub mod oscillator {
    use super::*;

    /// The exact solution.
    pub fn truth(x: f64) -> f64 {
        (-0.5 * x).exp() * (3.0_f64.sqrt() * 0.5 * x).cos()
    }

    /// The operator `d^2 + d + 1` in one variable.
    pub fn operator() -> DiffOperator {
        DiffOperator::identity(1)
            .with_term(1.0, &[1])
            .and_then(|o| o.with_term(1.0, &[2]))
            .expect("valid terms")
    }

    /// `n` points uniform on `[-pi, pi]`, values with Gaussian noise of standard deviation `sd`.
    pub fn sample(seed: Seed, label: &str, n: usize, sd: f64) -> Sample {
        let mut rng = seed.stream(label);
        let x = Mat::from_fn(1, n, |_, _| rng.random_range(-PI..PI));
        let y = (0..n)
            .map(|j| {
                let z: f64 = StandardNormal.sample(&mut rng);
                truth(x[(0, j)]) + sd * z
            })
            .collect();
        Sample { x, y }
    }

    /// The PIKL configuration of the check: `L = pi`, `s = 2`, given `m`, `lambda`, `mu`.
    ///
    /// # Errors
    /// As [`crate::PiklBuilder::build`].
    pub fn config(m: usize, lambda: f64, mu: f64) -> Result<PiklConfig> {
        PiklConfig::builder(1, PI)
            .modes(m)
            .sobolev_order(2.0)
            .lambda(lambda)
            .mu(mu)
            .operator(operator())
            .build()
    }
}

/// Wave equation `u_tt = 4 u_xx` on `[0, 1]^2` with zero Dirichlet data and zero initial
/// velocity; points are `(t, x)`, centred into `[-1/2, 1/2]^2` for PIKL.
pub mod wave {
    use super::*;

    /// `u(t, x) = sin(pi x) cos(2 pi t) + 0.5 sin(4 pi x) cos(8 pi t)`.
    pub fn truth(t: f64, x: f64) -> f64 {
        (PI * x).sin() * (2.0 * PI * t).cos() + 0.5 * (4.0 * PI * x).sin() * (8.0 * PI * t).cos()
    }

    /// `u_tt - 4 u_xx` in `(t, x)`.
    pub fn operator() -> DiffOperator {
        DiffOperator::zero(2)
            .with_term(1.0, &[2, 0])
            .and_then(|o| o.with_term(-4.0, &[0, 2]))
            .expect("valid terms")
    }

    /// PDE-solver data in centred coordinates: a quarter of the `n` points on the initial line,
    /// a quarter on each boundary, a quarter at `t = eps = 1/n` with the Taylor values
    /// `u0 + (1/2) c^2 u0'' eps^2` that encode `u_t(0, x) = 0`; Gaussian noise `sd`.
    pub fn sample(seed: Seed, n: usize, sd: f64) -> Sample {
        let mut rng = seed.stream("wave/data");
        let q = n / 4;
        let eps = 1.0 / n as f64;
        let mut x = Mat::zeros(2, 4 * q);
        let mut y = Vec::with_capacity(4 * q);
        for j in 0..4 * q {
            let s: f64 = rng.random_range(0.0..1.0);
            let (t, xx, v) = match j / q {
                0 => (0.0, s, truth(0.0, s)),
                1 => (s, 0.0, 0.0),
                2 => (s, 1.0, 0.0),
                _ => {
                    let u0 = truth(0.0, s);
                    let u0xx = -PI * PI * (PI * s).sin() - 8.0 * PI * PI * (4.0 * PI * s).sin();
                    (eps, s, u0 + 0.5 * 4.0 * u0xx * eps * eps)
                }
            };
            let z: f64 = StandardNormal.sample(&mut rng);
            x[(0, j)] = t - 0.5;
            x[(1, j)] = xx - 0.5;
            y.push(v + sd * z);
        }
        Sample { x, y }
    }

    /// The `100 x 100` evaluation grid `linspace(0, 1, 100)^2`, centred, with exact values.
    pub fn grid() -> Sample {
        let x = Mat::from_fn(2, 10_000, |i, q| {
            (if i == 0 { q / 100 } else { q % 100 }) as f64 / 99.0 - 0.5
        });
        let y = (0..10_000).map(|q| truth(x[(0, q)] + 0.5, x[(1, q)] + 0.5)).collect();
        Sample { x, y }
    }

    /// The PIKL configuration: `L = 1/2`, `s = 2`, given `m`, `lambda`, `mu`.
    ///
    /// # Errors
    /// As [`crate::PiklBuilder::build`].
    pub fn config(m: usize, lambda: f64, mu: f64) -> Result<PiklConfig> {
        PiklConfig::builder(2, 0.5)
            .modes(m)
            .sobolev_order(2.0)
            .lambda(lambda)
            .mu(mu)
            .operator(operator())
            .build()
    }
}

/// Advection `pi u_t + beta u_x = 0` in rescaled coordinates `t in [-1/2, 1/2]`,
/// `x in [-1, 1]` (periodic, the period `4L = 2`), solution `sin(pi x - beta t)`.
pub mod advection {
    use super::*;

    /// The exact solution.
    pub fn truth(beta: f64, t: f64, x: f64) -> f64 {
        (PI * x - beta * t).sin()
    }

    /// `pi d_t + beta d_x`.
    pub fn operator(beta: f64) -> DiffOperator {
        DiffOperator::zero(2)
            .with_term(PI, &[1, 0])
            .and_then(|o| o.with_term(beta, &[0, 1]))
            .expect("finite beta")
    }

    /// A random `100 x 100` grid (100 random times, 100 random abscissae); the training set is
    /// the slice at one random time, the test set the other 9,900 points.
    pub fn split(seed: Seed, beta: f64) -> (Sample, Sample) {
        let mut rng = seed.stream("advection/grid");
        let times: Vec<f64> = (0..100).map(|_| rng.random_range(-0.5..0.5)).collect();
        let xs: Vec<f64> = (0..100).map(|_| rng.random_range(-1.0..1.0)).collect();
        let slice = rng.random_range(0..100);
        let pick = |keep: bool| {
            let pts: Vec<(f64, f64)> = times
                .iter()
                .enumerate()
                .filter(|(k, _)| (*k == slice) == keep)
                .flat_map(|(_, &t)| xs.iter().map(move |&x| (t, x)))
                .collect();
            let x = Mat::from_fn(2, pts.len(), |i, q| if i == 0 { pts[q].0 } else { pts[q].1 });
            let y = pts.iter().map(|&(t, x)| truth(beta, t, x)).collect();
            Sample { x, y }
        };
        (pick(true), pick(false))
    }

    /// `L = 1/2`, periodic in `x`, `s = 1`, given `m`, `lambda = 0`, `mu`.
    ///
    /// # Errors
    /// As [`crate::PiklBuilder::build`].
    pub fn config(beta: f64, m: usize, mu: f64) -> Result<PiklConfig> {
        PiklConfig::builder(2, 0.5)
            .modes(m)
            .sobolev_order(1.0)
            .lambda(0.0)
            .mu(mu)
            .operator(operator(beta))
            .domain(Domain::Box(vec![Axis::Interval { lower: -0.5, upper: 0.5 }, Axis::Periodic]))
            .build()
    }
}

/// Heat equation `u_t = u_xx` on `[0, 1]^2` with `u(0, x) = sin(pi x)` and zero boundary
/// values; exact solution `exp(-pi^2 t) sin(pi x)`. Points are `(t, x)`.
pub mod heat {
    use super::*;

    /// The exact solution.
    pub fn truth(t: f64, x: f64) -> f64 {
        (-PI * PI * t).exp() * (PI * x).sin()
    }

    /// `u_t - u_xx`.
    pub fn operator() -> DiffOperator {
        DiffOperator::zero(2)
            .with_term(1.0, &[1, 0])
            .and_then(|o| o.with_term(-1.0, &[0, 2]))
            .expect("valid terms")
    }

    /// Uniform collocation points in `[0, 1]^2`.
    pub fn collocation(seed: Seed, n: usize) -> Mat<f64> {
        let mut rng = seed.stream("heat/collocation");
        Mat::from_fn(2, n, |_, _| rng.random_range(0.0..1.0))
    }

    /// `n` initial points `(0, x)` and `n` boundary points (half at `x = 0`, half at `x = 1`).
    pub fn initial_and_boundary(
        seed: Seed,
        n_initial: usize,
        n_boundary: usize,
    ) -> (Sample, Sample) {
        let mut rng = seed.stream("heat/conditions");
        let xi = Mat::from_fn(
            2,
            n_initial,
            |i, _| if i == 0 { 0.0 } else { rng.random_range(0.0..1.0) },
        );
        let yi = (0..n_initial).map(|q| (PI * xi[(1, q)]).sin()).collect();
        let xb = Mat::from_fn(2, n_boundary, |i, q| {
            if i == 0 {
                rng.random_range(0.0..1.0)
            } else if q < n_boundary / 2 {
                0.0
            } else {
                1.0
            }
        });
        (Sample { x: xi, y: yi }, Sample { x: xb, y: vec![0.0; n_boundary] })
    }

    /// The `100 x 100` grid `linspace(0, 1, 100)^2` with exact values.
    pub fn grid() -> Sample {
        let x =
            Mat::from_fn(2, 10_000, |i, q| (if i == 0 { q / 100 } else { q % 100 }) as f64 / 99.0);
        let y = (0..10_000).map(|q| truth(x[(0, q)], x[(1, q)])).collect();
        Sample { x, y }
    }
}
