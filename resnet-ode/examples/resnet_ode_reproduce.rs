//! Runs every experiment of the crate and prints its metrics and run time.
//!
//! `cargo run --release -p resnet-ode --example resnet_ode_reproduce [quick|paper] [name...]`
//!
//! The `megavolt reproduce` command of the workspace runs the same experiments and also writes
//! their tables and figures; this example only prints.
#![allow(clippy::print_stdout)]

use megavolt_core::experiment::{Scale, silent_context};

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scale: Scale = args.first().map_or(Ok(Scale::Quick), |s| s.parse())?;
    let only: Vec<&String> = args.iter().skip(1).collect();
    for e in resnet_ode::experiments() {
        if !only.is_empty() && !only.iter().any(|n| n.as_str() == e.name()) {
            continue;
        }
        let start = std::time::Instant::now();
        let out = e.run(&silent_context(0, scale))?;
        println!("== {} ({:.2} s)", e.name(), start.elapsed().as_secs_f64());
        for m in &out.metrics {
            println!(
                "  {:<70} {:>12.5e}  se {:<10.3e} ref {:<12.5e} pass {:?}",
                m.name,
                m.value,
                m.std_error.unwrap_or(f64::NAN),
                m.reference.unwrap_or(f64::NAN),
                m.pass
            );
        }
    }
    Ok(())
}
