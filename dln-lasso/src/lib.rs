//! Diagonal linear networks and the lasso regularisation path: LARS, coordinate descent and gradient flow.
//!
//! This crate is part of the megavolt workspace and builds on `megavolt-core`.
