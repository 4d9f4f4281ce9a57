//! Runs every `reproduce` experiment of the crate at quick scale and prints each metric with
//! its verdict and the wall time (the `megavolt` binary does the same with figures).
//!
//! ```text
//! cargo run --release -p vof-ml --example vof_ml_reproduce [name]
//! ```

use megavolt_core::Scale;
use megavolt_core::experiment::silent_context;

fn main() -> Result<(), megavolt_core::experiment::ExperimentError> {
    let only = std::env::args().nth(1);
    let ctx = silent_context(2026, Scale::Quick);
    for exp in vof_ml::experiments() {
        if only.as_deref().is_some_and(|o| o != exp.name()) {
            continue;
        }
        let start = std::time::Instant::now();
        let out = exp.run(&ctx)?;
        eprintln!("== {} ({:.1} s)", exp.name(), start.elapsed().as_secs_f64());
        for m in &out.metrics {
            eprintln!(
                "  {:<55} {:>12.4e}  ref {:?}  pass {:?}",
                m.name, m.value, m.reference, m.pass
            );
        }
    }
    Ok(())
}
