//! The `megavolt` command. Run `megavolt --help`.

use std::path::PathBuf;
use std::process::ExitCode;

use bench_suite::run::{Outcome, ReproduceOptions, Shard, merge, reproduce};
use bench_suite::{registry, report};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
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
    /// List the experiments, with their crate and source paper (`compare --list` lists the
    /// workloads of `compare`).
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
        /// Re-run experiments that already finished with the same seed and scale; results of
        /// another seed or scale in the directory are removed first (only the files megavolt
        /// wrote), so that it holds one setting.
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
        /// Workloads to compare (default: all). The list is below and at `compare --list`.
        names: Vec<String>,
        /// Print the workloads (name, what is computed, the peer's Python package) and exit.
        #[arg(long)]
        list: bool,
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
    /// Regenerate `report.md` from the finished experiments in a directory (refused when they
    /// mix seeds or scales).
    Report {
        /// Output directory of a previous run.
        #[arg(long, default_value = "results")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = parse_cli();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the arguments, with the workloads listed in `compare --help`.
fn parse_cli() -> Cli {
    let workloads = bench_suite::compare::workload_list(&bench_suite::workloads::all());
    let command = Cli::command().mut_subcommand("compare", |c| {
        c.after_help(format!(
            "Workloads (the Python peer of each is `bench-suite/peers/NAME.py`):\n{workloads}"
        ))
    });
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

/// Regenerates `report.md` after `check` or `compare` when the directory also holds finished
/// experiments. A directory that mixes seeds or scales keeps its report as it was, with a
/// warning: the tables of `check` and `compare` do not depend on the seed or the scale.
fn refresh_report(out: &std::path::Path, order: &[&str]) -> anyhow::Result<()> {
    let records = report::collect_records(out, order);
    if records.is_empty() {
        return Ok(());
    }
    if let Err(e) = report::ensure_one_setting(out, &records) {
        eprintln!("warning: report.md was not regenerated: {e}");
        return Ok(());
    }
    report::write_report_of(out, &records)?;
    Ok(())
}

#[allow(clippy::print_stdout)]
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let registry = registry::all();
    if let Command::Compare { list: true, .. } = &cli.command {
        print!("{}", bench_suite::compare::workload_list(&bench_suite::workloads::all()));
        return Ok(ExitCode::SUCCESS);
    }
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
            if outcomes.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
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
            refresh_report(&out, &order)?;
            let failed = rows.iter().filter(|r| r.pass == Some(false)).count();
            eprintln!(
                "{} limits checked, {failed} failed: {}",
                rows.len(),
                out.join("check.md").display()
            );
            Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
        Command::Compare { names, list: _, out, rounds, reps } => {
            let rows = bench_suite::compare::compare(
                &bench_suite::workloads::all(),
                &names,
                &out,
                rounds,
                reps,
            )?;
            let order: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
            refresh_report(&out, &order)?;
            let missing = rows.iter().filter(|r| r.missing.is_some()).count();
            eprintln!(
                "{} comparisons, {missing} without their peer: {}",
                rows.len(),
                out.join("compare.md").display()
            );
            // A missing peer (interpreter or package) is reported, not an error.
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { out } => {
            let order: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
            // Read once, so that an unreadable record is warned about once.
            let records = report::collect_records(&out, &order);
            anyhow::ensure!(
                !records.is_empty(),
                "{} holds no finished experiment (no readable */result.json): nothing to report",
                out.display()
            );
            report::write_report_of(&out, &records)?;
            eprintln!(
                "report of {} experiments: {}",
                records.len(),
                out.join("report.md").display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
