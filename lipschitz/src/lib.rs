//! Certified bounds and exact values of Lipschitz constants of ReLU networks, and Lipschitz-aware training.
//!
//! This crate is part of the megavolt workspace and builds on `megavolt-core`.
