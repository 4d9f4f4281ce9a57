//! Runs every experiment of the crate and writes its metrics to stderr.
//!
//! `cargo run --release -p two-timescale --example two_timescale_reproduce [quick|paper] [name-filter]`
//!
//! The `megavolt reproduce` command of the workspace runs the same experiments and also writes
//! their tables and figures; this example only lists the metrics and the time taken.

use std::time::Instant;

use megavolt_core::experiment::silent_context;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let scale = std::env::args().nth(1).unwrap_or_else(|| "quick".into()).parse()?;
    let filter = std::env::args().nth(2).unwrap_or_default();
    for exp in two_timescale::experiments() {
        if !exp.name().contains(&filter) {
            continue;
        }
        let start = Instant::now();
        let out = exp.run(&silent_context(42, scale))?;
        eprintln!("== {} ({:.2} s)", exp.name(), start.elapsed().as_secs_f64());
        for m in &out.metrics {
            let reference = m.reference.map_or(String::new(), |r| format!(" (reference {r:.6e})"));
            eprintln!("  {:<90} {:.6e}{reference} pass = {:?}", m.name, m.value, m.pass);
        }
        for n in &out.notes {
            eprintln!("  note: {n}");
        }
    }
    Ok(())
}
