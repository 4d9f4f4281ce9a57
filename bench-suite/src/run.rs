//! The `reproduce` and `merge` commands.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use megavolt_core::experiment::{RunContext, Scale};
use megavolt_core::rng::Seed;
use rayon::prelude::*;

use crate::output::{
    ExperimentRecord, check_stem, experiment_dir, read_record, write_atomic, write_experiment,
};
use crate::registry::Entry;

/// A share `k` of `n` of the selected experiments (1-based), for job arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This share, `1..=n`.
    pub k: usize,
    /// Number of shares.
    pub n: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("invalid shard `{s}`: expected K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let k: usize = k.trim().parse().map_err(|_| err())?;
        let n: usize = n.trim().parse().map_err(|_| err())?;
        if k == 0 || n == 0 || k > n {
            return Err(err());
        }
        Ok(Self { k, n })
    }
}

/// Options of `megavolt reproduce`.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// Experiments to run (empty: all).
    pub names: Vec<String>,
    /// Size of the run.
    pub scale: Scale,
    /// Master seed.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
    /// Re-run finished experiments, and first remove the results of other seeds or scales
    /// from `out`.
    pub force: bool,
    /// Run only this share of the selection.
    pub shard: Option<Shard>,
    /// Experiments run at the same time (each is deterministic on its own, so this changes
    /// only the wall-clock time).
    pub jobs: usize,
}

/// What happened to one experiment.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Ran and wrote its results.
    Ran {
        /// Metrics that failed their check.
        failed: usize,
    },
    /// Already finished with the same seed and scale.
    Skipped,
    /// Returned an error or panicked; nothing was recorded.
    Error(String),
}

/// Selects experiments by name, in registry order, then the shard's share.
///
/// # Errors
/// If a name is unknown (the message lists the known ones).
pub fn select<'a>(
    registry: &'a [Entry],
    names: &[String],
    shard: Option<Shard>,
) -> Result<Vec<&'a Entry>> {
    for name in names {
        if !registry.iter().any(|e| e.experiment.name() == name) {
            let known: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
            bail!("unknown experiment `{name}`; known experiments: {}", known.join(", "));
        }
    }
    let chosen: Vec<&Entry> = registry
        .iter()
        .filter(|e| names.is_empty() || names.iter().any(|n| n == e.experiment.name()))
        .collect();
    Ok(match shard {
        None => chosen,
        Some(Shard { k, n }) => {
            chosen.into_iter().enumerate().filter(|(i, _)| i % n == k - 1).map(|(_, e)| e).collect()
        }
    })
}

fn progress_bar(multi: &MultiProgress, prefix: String) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(1000));
    let style =
        ProgressStyle::with_template("{prefix:>28} [{bar:30}] {percent:>3}% {elapsed:>4} {msg}")
            .expect("static template")
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(prefix);
    bar
}

/// Removes the temporary files that a killed run may have left in an experiment directory.
fn remove_stale_temporaries(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(".tmp-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Runs one experiment and writes its results. Errors and panics of the experiment are
/// returned as [`Outcome::Error`]; I/O errors abort.
///
/// # Errors
/// I/O errors while writing results.
pub fn run_one(entry: &Entry, opts: &ReproduceOptions, multi: &MultiProgress) -> Result<Outcome> {
    let exp = &entry.experiment;
    let dir = experiment_dir(&opts.out, exp.name());
    if !opts.force
        && let Some(rec) = read_record(&dir)
        && rec.seed == opts.seed
        && rec.scale == opts.scale.as_str()
    {
        return Ok(Outcome::Skipped);
    }
    remove_stale_temporaries(&dir);
    let bar = progress_bar(multi, exp.name().to_owned());
    let report = |fraction: f64, msg: &str| {
        bar.set_position((fraction * 1000.0).round() as u64);
        bar.set_message(msg.to_owned());
    };
    let ctx = RunContext::new(Seed::new(opts.seed), opts.scale, &report);
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| exp.run(&ctx)));
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let output = match result {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Ok(Outcome::Error(format!("{e}"))),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()));
            return Ok(Outcome::Error(format!(
                "panicked: {}",
                msg.unwrap_or_else(|| "unknown cause".to_owned())
            )));
        }
    };
    let record = ExperimentRecord {
        name: exp.name().to_owned(),
        title: exp.title().to_owned(),
        paper: exp.paper().to_owned(),
        summary: exp.summary().to_owned(),
        crate_name: entry.crate_name.to_owned(),
        seed: opts.seed,
        scale: opts.scale.as_str().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        parameters: output.parameters.clone(),
        metrics: output.metrics.clone(),
        notes: output.notes.clone(),
        files: Vec::new(),
        figures: Vec::new(),
        seconds,
        paper_runtime: exp.paper_runtime().map(str::to_owned),
    };
    write_experiment(&dir, record, &output)?;
    Ok(Outcome::Ran { failed: output.metrics.iter().filter(|m| m.pass == Some(false)).count() })
}

/// Runs the selected experiments and regenerates the report. Returns each experiment's
/// outcome.
///
/// An output directory holds one seed and one scale. Without `force`, a directory holding
/// results of other settings is refused. With `force`, those results are removed first (the
/// files megavolt wrote for them, never other files), then the selection runs, so the
/// directory ends with the new settings only. An empty selection (a shard beyond the number
/// of experiments) runs nothing, writes nothing and returns no outcome.
///
/// # Errors
/// Unknown names, a directory of other settings without `force`, and I/O errors.
pub fn reproduce(registry: &[Entry], opts: &ReproduceOptions) -> Result<Vec<(String, Outcome)>> {
    let selected = select(registry, &opts.names, opts.shard)?;
    if selected.is_empty() {
        // More shares than experiments leaves some shares empty: not an error for a job array,
        // but nothing to report either, so nothing is written (not even the directory).
        let chosen = select(registry, &opts.names, None)?.len();
        match opts.shard {
            Some(Shard { k, n }) => eprintln!(
                "shard {k}/{n} selects none of the {chosen} experiment(s): nothing to run, \
                 nothing written"
            ),
            None => eprintln!("no experiment selected: nothing to run, nothing written"),
        }
        return Ok(Vec::new());
    }
    if opts.force {
        let removed = remove_other_settings(&opts.out, opts.seed, opts.scale.as_str())?;
        if !removed.experiments.is_empty() {
            eprintln!(
                "--force: removed the results of other settings from {}: {}",
                opts.out.display(),
                removed.experiments.join(", ")
            );
        }
        for dir in &removed.kept_dirs {
            eprintln!(
                "--force: kept {} (no longer a finished experiment): it holds files that megavolt \
                 did not write",
                dir.display()
            );
        }
    } else {
        ensure_same_settings(
            &opts.out,
            opts.seed,
            opts.scale.as_str(),
            "--force removes them, then runs the selection",
        )?;
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;
    let total = selected.len();
    let multi = MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr());
    let done = std::sync::atomic::AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        // More workers than experiments would only be idle threads.
        .num_threads(opts.jobs.clamp(1, total.max(1)))
        .build()
        .context("starting the worker threads")?;
    let results: Vec<Result<(String, Outcome)>> = pool.install(|| {
        selected
            .par_iter()
            .map(|entry| {
                let name = entry.experiment.name();
                let start = Instant::now();
                let outcome = run_one(entry, opts, &multi)?;
                let secs = start.elapsed().as_secs_f64();
                let what = match &outcome {
                    Outcome::Ran { failed: 0 } => format!("done in {secs:.1} s"),
                    Outcome::Ran { failed } => {
                        format!("done in {secs:.1} s, {failed} metric(s) FAILED")
                    }
                    Outcome::Skipped => {
                        "already finished with this seed and scale (--force re-runs it)".to_owned()
                    }
                    Outcome::Error(e) => format!("ERROR: {e}"),
                };
                let k = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if multi.is_hidden() {
                    eprintln!("[{k}/{total}] {name}: {what}");
                } else {
                    let _ = multi.println(format!("[{k}/{total}] {name}: {what}"));
                }
                Ok((name.to_owned(), outcome))
            })
            .collect()
    });
    let outcomes = results.into_iter().collect::<Result<Vec<_>>>()?;
    let order: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
    crate::report::write_report(&opts.out, &order)?;
    Ok(outcomes)
}

/// Refuses to add results of another seed or scale to a directory that already holds some, so
/// that one report never mixes settings.
fn ensure_same_settings(out: &Path, seed: u64, scale: &str, remedy: &str) -> Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    // Unreadable records are skipped here without a warning: the report warns about them.
    if let Some(rec) = crate::report::scan_records(out)
        .into_iter()
        .filter_map(|(_, rec)| rec.ok())
        .find(|r| r.seed != seed || r.scale != scale)
    {
        bail!(
            "{} already holds results of seed {} / scale {} (e.g. `{}`), not seed {seed} / scale \
             {scale}: use another output directory ({remedy})",
            out.display(),
            rec.seed,
            rec.scale,
            rec.name
        );
    }
    Ok(())
}

/// What `--force` removed from an output directory.
#[derive(Debug, Default)]
struct Removed {
    /// The removed experiments, with their settings.
    experiments: Vec<String>,
    /// Experiment directories emptied of megavolt's files but kept because other files remain.
    kept_dirs: Vec<PathBuf>,
}

/// Removes the results of settings other than `seed` / `scale` from `out`, so that a forced
/// run leaves a directory of one setting. In every experiment directory whose `result.json`
/// records another seed or scale, the files the record lists are removed, then the record,
/// then the directory if nothing else is left in it. Files the record does not list (the
/// user's own) are never removed, nor is anything outside experiment directories except
/// `report.md`, which the run writes again.
///
/// # Errors
/// An experiment directory of other settings that is a symbolic link (nothing is removed
/// then), and I/O errors.
fn remove_other_settings(out: &Path, seed: u64, scale: &str) -> Result<Removed> {
    let mut targets: Vec<(PathBuf, ExperimentRecord)> = crate::report::scan_records(out)
        .into_iter()
        .filter_map(|(dir, rec)| rec.ok().map(|rec| (dir, rec)))
        .filter(|(_, rec)| rec.seed != seed || rec.scale != scale)
        .collect();
    targets.sort_by(|a, b| a.0.cmp(&b.0));
    // Everything is checked before anything is removed.
    for (dir, rec) in &targets {
        let link = std::fs::symlink_metadata(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .file_type()
            .is_symlink();
        if link {
            bail!(
                "{} is a symbolic link to results of seed {} / scale {}: --force does not remove \
                 results outside {}; remove the link or use another output directory",
                dir.display(),
                rec.seed,
                rec.scale,
                out.display()
            );
        }
    }
    let mut removed = Removed::default();
    for (dir, rec) in targets {
        // Data files first and the record last, as they were written: a removal cut short
        // leaves a record that the next forced run finds and finishes removing.
        for file in rec.files.iter().filter(|f| check_stem(f).is_ok()) {
            remove_if_present(&dir.join(file))?;
        }
        remove_stale_temporaries(&dir);
        remove_if_present(&dir.join("result.json"))?;
        if std::fs::remove_dir(&dir).is_err() {
            removed.kept_dirs.push(dir);
        }
        removed.experiments.push(format!("{} (seed {} / scale {})", rec.name, rec.seed, rec.scale));
    }
    if !removed.experiments.is_empty() {
        remove_if_present(&out.join("report.md"))?;
    }
    Ok(removed)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Joins the experiment directories of several output directories (shards) into `out` and
/// regenerates its report.
///
/// # Errors
/// If a source holds no finished experiment, if two sources hold the same experiment with
/// different seeds or scales, or on I/O errors.
pub fn merge(registry: &[Entry], sources: &[PathBuf], out: &Path) -> Result<usize> {
    // Everything is checked before anything is copied, so a refused merge writes nothing.
    let mut seen: Vec<(PathBuf, ExperimentRecord)> = Vec::new();
    for src in sources {
        anyhow::ensure!(src.is_dir(), "{} is not a directory", src.display());
        let order: Vec<&str> = Vec::new();
        let records = crate::report::collect_records(src, &order);
        if records.is_empty() {
            bail!("{} holds no finished experiment (no */result.json)", src.display());
        }
        for rec in records {
            if let Some((_, first)) = seen.first()
                && (first.seed != rec.seed || first.scale != rec.scale)
            {
                bail!(
                    "cannot merge runs of different settings: `{}` has seed {} / scale {}, \
                     `{}` in {} has seed {} / scale {}",
                    first.name,
                    first.seed,
                    first.scale,
                    rec.name,
                    src.display(),
                    rec.seed,
                    rec.scale
                );
            }
            if !seen.iter().any(|(_, r)| r.name == rec.name) {
                seen.push((src.clone(), rec));
            }
        }
    }
    if let Some((_, first)) = seen.first() {
        ensure_same_settings(out, first.seed, &first.scale, "or merge into an empty one")?;
    }
    for (src, rec) in &seen {
        let from = experiment_dir(src, &rec.name);
        let to = experiment_dir(out, &rec.name);
        // Copy the data files first and result.json last, each atomically.
        let mut files = rec.files.clone();
        files.push("result.json".to_owned());
        for f in files {
            let bytes = std::fs::read(from.join(&f))
                .with_context(|| format!("reading {}", from.join(&f).display()))?;
            write_atomic(&to.join(&f), &bytes)?;
        }
    }
    let order: Vec<&str> = registry.iter().map(|e| e.experiment.name()).collect();
    crate::report::write_report(out, &order)?;
    Ok(seen.len())
}
