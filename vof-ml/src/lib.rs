//! Volume-of-fluid interface advection in 2D and 3D, geometric (PLIC) and learned flux schemes.
//!
//! This crate is part of the megavolt workspace and builds on `megavolt-core`.
