//! The `megavolt` command: reproduces the results of the papers behind the megavolt crates.
//!
//! `megavolt reproduce` runs the selected experiments (every research crate implements
//! [`megavolt_core::Experiment`]), writes per experiment a `result.json` (parameters, seed,
//! version, metrics with verdicts, run time) and a `data.json`, plus the CSV series, `.npy`
//! trajectories and SVG figures that the experiment has (not every experiment has all three),
//! then a `report.md` with one row per metric. Writes are atomic and a second run skips
//! finished experiments, so an interrupted run resumes where it stopped.
//!
//! The library part exposes the pieces the binary is made of, so that they can be tested and
//! reused: [`registry`], [`run`], [`output`], [`report`], [`plot`] and [`npy`].

pub mod check;
pub mod compare;
pub mod error;
pub mod limits;
pub mod npy;
pub mod output;
pub mod plot;
pub mod registry;
pub mod report;
pub mod run;
pub mod workloads;

pub use error::BenchError;
