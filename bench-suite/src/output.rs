//! Atomic, resumable output of experiment results.
//!
//! Every file is written to a temporary name in its final directory and renamed into place,
//! so a run killed at any moment leaves either the previous file or the complete new one. An
//! experiment's `result.json` is written last: its presence marks the experiment as finished,
//! which is what a second run checks before skipping it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use megavolt_core::experiment::{ExperimentOutput, Metric, Series};
use serde::{Deserialize, Serialize};

/// What `result.json` holds for one experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    /// Experiment identifier.
    pub name: String,
    /// One-line title.
    pub title: String,
    /// Source paper.
    pub paper: String,
    /// What the experiment shows, in one paragraph.
    pub summary: String,
    /// Crate that implements it.
    pub crate_name: String,
    /// Master seed.
    pub seed: u64,
    /// `quick` or `paper`.
    pub scale: String,
    /// Version of the `megavolt` command.
    pub version: String,
    /// Run parameters.
    pub parameters: std::collections::BTreeMap<String, serde_json::Value>,
    /// Metrics with verdicts.
    pub metrics: Vec<Metric>,
    /// Remarks.
    pub notes: Vec<String>,
    /// Files written beside `result.json` (CSV, NPY, SVG).
    pub files: Vec<String>,
    /// Figure captions, keyed by SVG file name.
    pub figures: Vec<(String, String)>,
    /// Wall-clock seconds of the run (not part of the reproducible content).
    pub seconds: f64,
    /// Stated cost of the paper-scale run.
    #[serde(default)]
    pub paper_runtime: Option<String>,
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
///
/// # Errors
/// Any I/O error, with the path in its context.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("output path has no parent directory")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file_name = path.file_name().context("output path has no file name")?.to_string_lossy();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes).with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all().with_context(|| format!("syncing {}", tmp.display()))?;
    }
    fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

/// The directory of experiment `name` below `out`.
pub fn experiment_dir(out: &Path, name: &str) -> PathBuf {
    out.join(name)
}

/// Reads the record of a finished experiment, if there is one.
pub fn read_record(dir: &Path) -> Option<ExperimentRecord> {
    try_read_record(dir).ok().flatten()
}

/// Reads `dir/result.json`: `Ok(None)` when there is none, `Err` with the reason when it
/// cannot be read or parsed.
///
/// # Errors
/// A `result.json` that is unreadable or not a record.
pub fn try_read_record(dir: &Path) -> Result<Option<ExperimentRecord>> {
    let path = dir.join("result.json");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    serde_json::from_str(&text).map(Some).with_context(|| format!("parsing {}", path.display()))
}

/// Renders a series as CSV text (full precision, shortest round-trip form).
///
/// # Errors
/// Never in practice (writing to memory).
pub fn series_csv(series: &Series) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&series.columns)?;
    for row in 0..series.len() {
        w.write_record(series.data.iter().map(|col| format!("{}", col[row])))?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))
}

/// Checks that a file stem chosen by an experiment is a plain name (no path separators).
///
/// # Errors
/// If the name is empty or could escape the experiment directory.
pub fn check_stem(stem: &str) -> Result<()> {
    let ok = !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !stem.starts_with('.');
    anyhow::ensure!(ok, "invalid output file name `{stem}`: use letters, digits, '-', '_' and '.'");
    Ok(())
}

/// Writes every file of an experiment's output, then its `result.json`.
///
/// # Errors
/// I/O errors and invalid file names.
pub fn write_experiment(
    dir: &Path,
    mut record: ExperimentRecord,
    output: &ExperimentOutput,
) -> Result<ExperimentRecord> {
    let mut files = Vec::new();
    for s in &output.series {
        check_stem(&s.name)?;
        let name = format!("{}.csv", s.name);
        write_atomic(&dir.join(&name), &series_csv(s)?)?;
        files.push(name);
    }
    for a in &output.arrays {
        check_stem(&a.name)?;
        let name = format!("{}.npy", a.name);
        write_atomic(&dir.join(&name), &crate::npy::encode(&a.shape, &a.data))?;
        files.push(name);
    }
    let mut figures = Vec::new();
    for fig in &output.figures {
        check_stem(&fig.name)?;
        let name = format!("{}.svg", fig.name);
        let svg =
            crate::plot::render_svg(fig).with_context(|| format!("drawing figure {}", fig.name))?;
        write_atomic(&dir.join(&name), svg.as_bytes())?;
        files.push(name.clone());
        figures.push((name, fig.caption.clone()));
    }
    // Series and arrays are also kept as JSON, for tools that prefer one file.
    let data = serde_json::json!({ "series": output.series, "arrays": output.arrays });
    write_atomic(&dir.join("data.json"), serde_json::to_string(&data)?.as_bytes())?;
    files.push("data.json".to_owned());
    record.files = files;
    record.figures = figures;
    write_atomic(&dir.join("result.json"), serde_json::to_string_pretty(&record)?.as_bytes())?;
    Ok(record)
}
