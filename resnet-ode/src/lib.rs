//! Residual networks as discretised neural ODEs: depth scaling, training and the continuous-depth limit.
//!
//! This crate is part of the megavolt workspace and builds on `megavolt-core`.
