//! Trains the flux network shipped in `data/` (2D: `vof_net_2d.json`, 3D: `vof_net_3d.json`).
//!
//! Run (the shipped files were made with exactly these commands):
//!
//! ```text
//! cargo run --release -p vof-ml --example train_network -- 2 60000 60 2020 vof-ml/data/vof_net_2d.json
//! cargo run --release -p vof-ml --example train_network -- 3 30000 40 2025 vof-ml/data/vof_net_3d.json
//! ```
//!
//! Arguments: dimension, number of samples, epochs, seed, output path. The data set mixes
//! lines, circles and corners in equal parts (`vof_ml::training`); the network is 80-40-20-10
//! ReLU with an identity output, trained by Adam (learning rate 1e-3, decay 0.97 per epoch,
//! batches of 128). The final mean training loss is written to stderr.

use megavolt_core::Seed;
use vof_ml::training::{ShapeKind, TrainConfig, generate_2d, generate_3d, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |k: usize, d: &str| args.get(k).cloned().unwrap_or_else(|| d.to_owned());
    let dim: usize = get(0, "2").parse()?;
    let samples: usize = get(1, "60000").parse()?;
    let epochs: usize = get(2, "60").parse()?;
    let seed = Seed::new(get(3, "2020").parse()?);
    let out = get(4, "vof_net.json");
    let data = if dim == 3 {
        generate_3d(samples, seed.derive("data"), &ShapeKind::ALL)?
    } else {
        generate_2d(samples, seed.derive("data"), &ShapeKind::ALL)?
    };
    let cfg = TrainConfig { epochs, ..TrainConfig::default() }.validated()?;
    let (net, history) = train(&data, &cfg, seed.derive("train"))?;
    eprintln!(
        "final loss {:.4e} after {} epochs",
        history.last().copied().unwrap_or(f64::NAN),
        history.len()
    );
    std::fs::write(&out, net.to_json()?)?;
    Ok(())
}
