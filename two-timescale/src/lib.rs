//! Two-layer networks trained in the two-timescale regime and their limit dynamics.
//!
//! This crate is part of the megavolt workspace and builds on `megavolt-core`.
