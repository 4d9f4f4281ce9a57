//! Criterion benches of megavolt-core kernels.
fn main() {}
