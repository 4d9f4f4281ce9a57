//! Training data for learned fluxes and the training loop.
//!
//! **Data.** Each sample is a random interface crossing a 3x3 (3D: 3x3x3) stencil of unit
//! cells centred at the origin (the upwind cell), a Courant number `beta ~ U(0, 1]`, the exact
//! cell fractions, and the exact material fraction of the swept slab
//! `[1/2 - beta, 1/2] x [-1/2, 1/2] (x [-1/2, 1/2])` of the centre cell (flow towards `+x`).
//! Shapes ([`ShapeKind`]): straight lines (planes) through a random point of the centre cell;
//! circles (spheres) of radius 0.5 to 6 cells whose boundary crosses the centre cell, with the
//! material inside or outside; corners, the intersection of two half-planes (half-spaces) with a
//! random opening angle, their vertex in the centre cell, and their complements. All fractions
//! are exact (polygon clipping, closed-form disk areas, Scardovelli–Zaleski volumes) except
//! spheres and 3D corners, integrated by a four-level subdivision (error below 1e-4).
//! Inputs follow the order of [`crate::learned`].
//!
//! **Training.** Mean-squared error, Adam (megavolt-core) on shuffled mini-batches, identity
//! output, ReLU hidden layers (default 80-40-20-10, as in Després & Jourdren 2020).
//!
//! | parameter | default | valid range |
//! |---|---|---|
//! | `hidden` | `[80, 40, 20, 10]` | non-empty, widths >= 1 |
//! | `epochs` | 40 | >= 1 |
//! | `batch_size` | 128 | >= 1 |
//! | `learning_rate` | 1e-3 | `(0, 1)` |
//! | `decay` | 0.97 per epoch | `(0, 1]` |
//!
//! ```
//! use megavolt_core::Seed;
//! use vof_ml::training::{generate_2d, train, ShapeKind, TrainConfig};
//!
//! let data = generate_2d(200, Seed::new(1), &ShapeKind::ALL)?;
//! let cfg = TrainConfig { hidden: vec![16], epochs: 3, ..TrainConfig::default() }.validated()?;
//! let (net, history) = train(&data, &cfg, Seed::new(2))?;
//! assert_eq!(net.in_dim(), 10);
//! assert_eq!(history.len(), 3);
//! # Ok::<(), vof_ml::VofError>(())
//! ```
//!
//! # References
//! Després & Jourdren, J. Comput. Phys. 408 (2020) 109275, Secs. 3-5;
//! Pintore & Després, arXiv:2507.05218 (2025).

use std::f64::consts::PI;

use faer::Mat;
use megavolt_core::Seed;
use megavolt_core::nn::{Activation, Adam, Init, Mlp, mse_loss};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::{Result, VofError};
use crate::normals::{Block2, Block3};
use crate::shapes::{
    Disk, HalfPlane, HalfSpace, LevelSet3, Region2, Region3, Sphere, rect_area_in_halfplanes,
};

/// Interface families of the training set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShapeKind {
    /// Straight lines (planes).
    Line,
    /// Circles (spheres), material inside or outside.
    Circle,
    /// Corners and their complements.
    Corner,
}

impl ShapeKind {
    /// The three families.
    pub const ALL: [ShapeKind; 3] = [ShapeKind::Line, ShapeKind::Circle, ShapeKind::Corner];
}

/// A data set: one input row per sample and its target flux fraction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// 2 or 3.
    pub dim: usize,
    /// Inputs, `[beta, stencil...]` per sample.
    pub inputs: Vec<Vec<f64>>,
    /// Exact material fraction of the swept slab.
    pub targets: Vec<f64>,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// `true` without samples.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The data set as JSON.
    ///
    /// # Errors
    /// [`VofError::Malformed`] if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| VofError::Malformed(e.to_string()))
    }

    /// Reads [`Dataset::to_json`] output.
    ///
    /// # Errors
    /// [`VofError::Malformed`] if the text is not a data set.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| VofError::Malformed(e.to_string()))
    }
}

/// Material `{n1 . x <= d1} ∩ {n2 . x <= d2}`, or its complement.
struct Corner2 {
    planes: [([f64; 2], f64); 2],
    complement: bool,
}

impl Region2 for Corner2 {
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        let cell = (hi[0] - lo[0]) * (hi[1] - lo[1]);
        let f = (rect_area_in_halfplanes(lo, hi, &self.planes) / cell).clamp(0.0, 1.0);
        if self.complement { 1.0 - f } else { f }
    }
}

struct Outside<R>(R);

impl<R: Region2> Region2 for Outside<R> {
    fn fraction(&self, lo: [f64; 2], hi: [f64; 2]) -> f64 {
        1.0 - self.0.fraction(lo, hi)
    }
}

struct Outside3<R>(R);

impl<R: Region3> Region3 for Outside3<R> {
    fn fraction(&self, lo: [f64; 3], hi: [f64; 3]) -> f64 {
        1.0 - self.0.fraction(lo, hi)
    }
}

fn unit2(theta: f64) -> [f64; 2] {
    [theta.cos(), theta.sin()]
}

fn random_shape_2d<R: rand::Rng + ?Sized>(kind: ShapeKind, rng: &mut R) -> Box<dyn Region2> {
    let p = [rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5)];
    let n = unit2(rng.random_range(0.0..2.0 * PI));
    match kind {
        ShapeKind::Line => Box::new(HalfPlane { normal: n, offset: n[0] * p[0] + n[1] * p[1] }),
        ShapeKind::Circle => {
            let r = rng.random_range(0.5..6.0);
            // Boundary through p with outward normal n.
            let d = Disk { center: [p[0] - r * n[0], p[1] - r * n[1]], radius: r };
            if rng.random_bool(0.5) { Box::new(d) } else { Box::new(Outside(d)) }
        }
        ShapeKind::Corner => {
            let theta = rng.random_range(0.0..2.0 * PI);
            let opening = rng.random_range(0.25 * PI..0.95 * PI);
            let n1 = unit2(theta);
            let n2 = unit2(theta + PI - opening);
            let d1 = n1[0] * p[0] + n1[1] * p[1];
            let d2 = n2[0] * p[0] + n2[1] * p[1];
            Box::new(Corner2 { planes: [(n1, d1), (n2, d2)], complement: rng.random_bool(0.5) })
        }
    }
}

/// The 2D network input `[beta, a(1,1), a(0,1), ..., a(-1,-1)]` for a flow-frame stencil.
pub fn input_2d(a: &Block2, beta: f64) -> Vec<f64> {
    let mut x = vec![beta];
    for y in (0..3).rev() {
        for xi in (0..3).rev() {
            x.push(a[xi][y]);
        }
    }
    x
}

/// The 3D network input for a flow-frame stencil.
pub fn input_3d(a: &Block3, beta: f64) -> Vec<f64> {
    let mut x = vec![beta];
    for z in (0..3).rev() {
        for y in (0..3).rev() {
            for xi in (0..3).rev() {
                x.push(a[xi][y][z]);
            }
        }
    }
    x
}

/// Stencil fractions and swept-slab fraction of a 2D shape.
pub fn sample_2d(shape: &dyn Region2, beta: f64) -> (Block2, f64) {
    let mut a = [[0.0; 3]; 3];
    for (i, col) in a.iter_mut().enumerate() {
        for (j, v) in col.iter_mut().enumerate() {
            let lo = [i as f64 - 1.5, j as f64 - 1.5];
            *v = shape.fraction(lo, [lo[0] + 1.0, lo[1] + 1.0]);
        }
    }
    let f = shape.fraction([0.5 - beta, -0.5], [0.5, 0.5]);
    (a, f)
}

/// Stencil fractions and swept-slab fraction of a 3D shape.
pub fn sample_3d(shape: &dyn Region3, beta: f64) -> (Block3, f64) {
    let mut a = [[[0.0; 3]; 3]; 3];
    for (i, ai) in a.iter_mut().enumerate() {
        for (j, aij) in ai.iter_mut().enumerate() {
            for (k, v) in aij.iter_mut().enumerate() {
                let lo = [i as f64 - 1.5, j as f64 - 1.5, k as f64 - 1.5];
                *v = shape.fraction(lo, [lo[0] + 1.0, lo[1] + 1.0, lo[2] + 1.0]);
            }
        }
    }
    let f = shape.fraction([0.5 - beta, -0.5, -0.5], [0.5, 0.5, 0.5]);
    (a, f)
}

fn check_request(n: usize, kinds: &[ShapeKind]) -> Result<()> {
    if n == 0 {
        return Err(VofError::invalid("samples", n, "at least 1"));
    }
    if kinds.is_empty() {
        return Err(VofError::invalid("kinds", "[]", "at least one shape family"));
    }
    Ok(())
}

/// `n` seeded 2D samples, families drawn in turn from `kinds`; sample `k` uses its own
/// stream `seed.indexed("vof-sample-2d", k)`.
///
/// # Errors
/// [`VofError::InvalidParameter`] if `n = 0` or `kinds` is empty.
pub fn generate_2d(n: usize, seed: Seed, kinds: &[ShapeKind]) -> Result<Dataset> {
    check_request(n, kinds)?;
    let mut inputs = Vec::with_capacity(n);
    let mut targets = Vec::with_capacity(n);
    for k in 0..n {
        let mut rng = seed.indexed("vof-sample-2d", k as u64);
        let shape = random_shape_2d(kinds[k % kinds.len()], &mut rng);
        let beta = 1.0 - rng.random::<f64>();
        let (a, f) = sample_2d(shape.as_ref(), beta);
        inputs.push(input_2d(&a, beta));
        targets.push(f);
    }
    Ok(Dataset { dim: 2, inputs, targets })
}

fn random_unit3<R: rand::Rng + ?Sized>(rng: &mut R) -> [f64; 3] {
    let z: f64 = rng.random_range(-1.0..1.0);
    let t: f64 = rng.random_range(0.0..2.0 * PI);
    let s = (1.0 - z * z).sqrt();
    [s * t.cos(), s * t.sin(), z]
}

fn random_shape_3d<R: rand::Rng + ?Sized>(kind: ShapeKind, rng: &mut R) -> Box<dyn Region3> {
    let p = [rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5)];
    let n = random_unit3(rng);
    let dot = |a: [f64; 3], b: [f64; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    match kind {
        ShapeKind::Line => Box::new(HalfSpace { normal: n, offset: dot(n, p) }),
        ShapeKind::Circle => {
            let r = rng.random_range(0.5..6.0);
            let s = Sphere {
                center: [p[0] - r * n[0], p[1] - r * n[1], p[2] - r * n[2]],
                radius: r,
                depth: 4,
            };
            if rng.random_bool(0.5) { Box::new(s) } else { Box::new(Outside3(s)) }
        }
        ShapeKind::Corner => {
            let m = random_unit3(rng);
            let (d1, d2) = (dot(n, p), dot(m, p));
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            // max of two unit-normal distances is 1-Lipschitz; its negation is the complement.
            Box::new(LevelSet3 {
                phi: move |x: [f64; 3]| sign * (dot(n, x) - d1).max(dot(m, x) - d2),
                depth: 4,
            })
        }
    }
}

/// `n` seeded 3D samples (see [`generate_2d`]).
///
/// # Errors
/// [`VofError::InvalidParameter`] if `n = 0` or `kinds` is empty.
pub fn generate_3d(n: usize, seed: Seed, kinds: &[ShapeKind]) -> Result<Dataset> {
    check_request(n, kinds)?;
    let mut inputs = Vec::with_capacity(n);
    let mut targets = Vec::with_capacity(n);
    for k in 0..n {
        let mut rng = seed.indexed("vof-sample-3d", k as u64);
        let shape = random_shape_3d(kinds[k % kinds.len()], &mut rng);
        let beta = 1.0 - rng.random::<f64>();
        let (a, f) = sample_3d(shape.as_ref(), beta);
        inputs.push(input_3d(&a, beta));
        targets.push(f);
    }
    Ok(Dataset { dim: 3, inputs, targets })
}

/// Training hyper-parameters (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Passes over the data.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Adam step size.
    pub learning_rate: f64,
    /// Multiplicative learning-rate decay per epoch.
    pub decay: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            hidden: vec![80, 40, 20, 10],
            epochs: 40,
            batch_size: 128,
            learning_rate: 1e-3,
            decay: 0.97,
        }
    }
}

impl TrainConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`VofError::InvalidParameter`] naming the first invalid field.
    pub fn validated(self) -> Result<Self> {
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(VofError::invalid(
                "hidden",
                format!("{:?}", self.hidden),
                "non-empty positive widths",
            ));
        }
        if self.epochs == 0 {
            return Err(VofError::invalid("epochs", self.epochs, ">= 1"));
        }
        if self.batch_size == 0 {
            return Err(VofError::invalid("batch_size", self.batch_size, ">= 1"));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate < 1.0) {
            return Err(VofError::invalid(
                "learning_rate",
                self.learning_rate,
                "a number in (0, 1)",
            ));
        }
        if !(self.decay > 0.0 && self.decay <= 1.0) {
            return Err(VofError::invalid("decay", self.decay, "a number in (0, 1]"));
        }
        Ok(self)
    }
}

/// Trains a flux network on `data`; returns it with the mean training loss of every epoch.
///
/// # Errors
/// [`VofError::InvalidParameter`] if the configuration is invalid or the data set is empty;
/// [`VofError::NonFinite`] if the loss becomes NaN (step = epoch).
pub fn train(data: &Dataset, config: &TrainConfig, seed: Seed) -> Result<(Mlp, Vec<f64>)> {
    let config = config.clone().validated()?;
    if data.is_empty() {
        return Err(VofError::invalid("data", 0, "a non-empty data set"));
    }
    let n_in = data.inputs[0].len();
    let mut sizes = vec![n_in];
    sizes.extend(&config.hidden);
    sizes.push(1);
    let mut net = Mlp::new(
        &sizes,
        Activation::Relu,
        Activation::Identity,
        Init::He,
        &mut seed.stream("vof-init"),
    );
    let mut adam = Adam::new(config.learning_rate, net.n_params());
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut shuffle = seed.stream("vof-shuffle");
    let mut history = Vec::with_capacity(config.epochs);
    let mut params = net.params();
    for epoch in 0..config.epochs {
        for i in (1..order.len()).rev() {
            let j = shuffle.random_range(0..=i);
            order.swap(i, j);
        }
        let mut total = 0.0;
        for chunk in order.chunks(config.batch_size) {
            let x = Mat::from_fn(n_in, chunk.len(), |r, c| data.inputs[chunk[c]][r]);
            let y = Mat::from_fn(1, chunk.len(), |_, c| data.targets[chunk[c]]);
            let cache = net.forward_cached(x.as_ref());
            let (loss, g) = mse_loss(cache.output(), y.as_ref());
            total += loss * chunk.len() as f64;
            let grads = net.backward(&cache, g.as_ref());
            adam.step(&mut params, &grads.flatten());
            net.set_params(&params);
        }
        let mean = total / data.len() as f64;
        if !mean.is_finite() {
            return Err(VofError::NonFinite { step: epoch, time: epoch as f64 });
        }
        log::debug!("epoch {epoch}: loss {mean:.3e}");
        history.push(mean);
        adam.lr *= config.decay;
    }
    Ok((net, history))
}
