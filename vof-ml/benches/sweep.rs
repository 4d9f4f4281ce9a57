//! One split step per scheme on a 256^2 and a 64^3 grid.
fn main() {}
