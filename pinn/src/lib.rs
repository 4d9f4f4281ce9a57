//! Physics-informed kernel learning in Fourier bases and physics-informed neural networks.
//!
//! This crate is part of the megavolt workspace and builds on `megavolt-core`.
