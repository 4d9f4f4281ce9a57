//! Geometric and learned volume-of-fluid (VOF) advection in 2D and 3D.
//!
//! A volume-of-fluid method transports the volume fraction `alpha` of one material on a
//! Cartesian mesh by `d alpha / dt + u . grad alpha = 0`. This crate provides
//!
//! | module | contents |
//! |---|---|
//! | [`volume`] | line/plane constant <-> volume fraction in rectangles and boxes (Scardovelli & Zaleski) |
//! | [`shapes`] | exact fractions of polygons, disks, the slotted disk; error-controlled spheres and level sets |
//! | [`normals`] | Youngs, centred-column, mixed (MYC) and ELVIRA normals |
//! | [`plic`] | PLIC cells and their exact face fluxes |
//! | [`scheme`] | upwind, Després–Lagoutière, PLIC and learned face fluxes |
//! | [`sweep`] | the conservative split update with the Weymouth–Yue correction, bounded by flux correction |
//! | [`advect2`], [`advect3`] | split advection drivers |
//! | [`velocity`] | uniform, rotation, reversed vortex, 3D deformation fields |
//! | [`learned`] | learned fluxes (symmetrised, bounded), the published VOFML-19 network, the shipped network |
//! | [`training`] | seeded training sets from lines, circles and corners; training with Adam |
//! | [`benchmarks`] | the standard advection tests and their error norms |
//! | [`experiments`](mod@experiments) | the `reproduce` experiments |
//!
//! ```
//! use vof_ml::volume::{plane_alpha, plane_volume};
//!
//! let alpha = plane_alpha([0.2, 0.3, 0.5], 0.086111);
//! assert!((plane_volume([0.2, 0.3, 0.5], alpha) - 0.086111).abs() < 1e-14);
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod advect2;
pub mod advect3;
pub mod benchmarks;
pub mod error;
pub mod experiments;
pub mod grid;
pub mod learned;
pub mod normals;
pub mod plic;
pub mod scheme;
pub mod shapes;
pub mod sweep;
pub mod training;
pub mod velocity;
pub mod volume;

pub use error::{Result, VofError};

/// The `reproduce` experiments of this crate.
pub fn experiments() -> Vec<Box<dyn megavolt_core::Experiment>> {
    experiments::all()
}
