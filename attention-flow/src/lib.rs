//! Self-attention dynamics as interacting particle systems: clustering, metastability and hardmax attention.
//!
//! This crate is part of the megavolt workspace and builds on `megavolt-core`.
