//! The `megavolt` command. Run `megavolt --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use bench_suite::run::{Outcome, ReproduceOptions, Shard, merge, reproduce};
use bench_suite::{registry, report};
use clap::{Parser, Subcommand};
use megavolt_core::experiment::Scale;

/// Reproduce the results behind the megavolt crates.
#[derive(Debug, Parser)]
#[command(name = "megavolt", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the experiments, with their crate and source paper.
    List,
    /// Run experiments and write their results and a report.
    Reproduce {
        /// Experiments to run (default: all). See `megavolt list`.
        names: Vec<String>,
        /// `quick` (minutes on a laptop) or `paper` (the published setting).
        #[arg(long, default_value = "quick")]
        scale: Scale,
        /// Master seed; every random stream of every experiment derives from it.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output directory.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Re-run experiments that already finished with the same seed and scale.
        #[arg(long)]
        force: bool,
        /// Run only share K of N of the selection (for job arrays), e.g. `--shard 2/4`.
        #[arg(long)]
        shard: Option<Shard>,
        /// Experiments run at the same time (default: the number of cores). Results do not
        /// depend on it.
        #[arg(long)]
        jobs: Option<usize>,
    },
    /// Join the output directories of several shards into one, with one report.
    Merge {
        /// Output directories of the shards.
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        /// Directory receiving the merged results.
        #[arg(long, default_value = "results")]
        out: PathBuf,
    },
    /// Check every discrete scheme against its continuous limit (fitted orders and rates) and
    /// write `check.md`, `check.json` and `check.svg`.
    Check {
        /// Output directory (the report picks `check.md` up from there).
        #[arg(long, default_value = "results")]
        out: PathBuf,
    },
    /// Time our kernels against their Python peers (numpy, scipy, scikit-learn, JAX) and write
    /// `compare.md` and `compare.json`.
    Compare {
        /// Workloads to compare (default: all).
        names: Vec<String>,
        /// Output directory (the report picks `compare.md` up from there).
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Alternating rounds of ours-then-peer.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Timed calls per side and round.
        #[arg(long, default_value_t = 3)]
        reps: usize,
    },
    /// Regenerate `report.md` from the finished experiments in a directory.
    Report {
        /// Output directory of a previous run.
        #[arg(long, default_value = "results")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stdout)]
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let registry = registry::all();
    if let Command::Reproduce { out, .. }
    | Command::Merge { out, .. }
    | Command::Check { out }
    | Command::Compare { out, .. }
    | Command::Report { out } = &cli.command
    {
        anyhow::ensure!(
            !out.exists() || out.is_dir(),
            "--out {} is a file, not a directory",
            out.display()
        );
    }
    match cli.command {
        Command::List => {
            for e in &registry {
                let x = &e.experiment;
                println!(
                    "{:<32} {:<16} {}\n{:<32} {:<16} {}",
                    x.name(),
                    e.crate_name,
                    x.title(),
                    "",
                    "",
                    x.paper()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Reproduce { names, scale, seed, out, force, shard, jobs } => {
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
            anyhow::ensure!(jobs > 0, "--jobs must be at least 1");
            let opts =
                ReproduceOptions { names, scale, seed, out: out.clone(), force, shard, jobs };
            let outcomes = reproduce(&registry, &opts)?;
            let errors = outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Error(_))).count();
            let failed: usize = outcomes
                .iter()
                .map(|(_, o)| if let Outcome::Ran { failed } = o { *failed } else { 0 })
                .sum();
            eprintln!("report: {}", out.join("report.md").display());
            if failed > 0 {
                eprintln!("{failed} metric(s) failed their check: see the report");
            }
            Ok(if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Merge { sources, out } => {
            let n = merge(&registry, &sources, &out)?;
            eprintln!("merged {n} experiments into {}", out.join("report.md").display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { out } => {
            let rows = bench_suite::check::check(&bench_suite::limits::all(), &out)?;
            let order: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
            // The check table joins the report of a reproduction run in the same directory.
            if !report::collect_records(&out, &order).is_empty() {
                report::write_report(&out, &order)?;
            }
            let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
            eprintln!(
                "{} limits checked, {failed} failed: {}",
                rows.len(),
                out.join("check.md").display()
            );
            Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Compare { names, out, rounds, reps } => {
            let rows = bench_suite::compare::compare(
                &bench_suite::workloads::all(),
                &names,
                &out,
                rounds,
                reps,
            )?;
            let order: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
            if !report::collect_records(&out, &order).is_empty() {
                report::write_report(&out, &order)?;
            }
            eprintln!("{} comparisons: {}", rows.len(), out.join("compare.md").display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { out } => {
            let order: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
            anyhow::ensure!(
                !report::collect_records(&out, &order).is_empty(),
                "{} holds no finished experiment (no */result.json): nothing to report",
                out.display()
            );
            let (n, _) = report::write_report(&out, &order)?;
            eprintln!("report of {n} experiments: {}", out.join("report.md").display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
