//! The `megavolt` command.
fn main() {}
