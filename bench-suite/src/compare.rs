//! `megavolt compare`: our kernels against the Python tools researchers would otherwise use.
//!
//! Each [`Workload`] prepares its inputs, writes them as `.npy` files with a `spec.json` for
//! its Python twin in `bench-suite/peers/`, and runs the same computation in Rust. The runner
//! alternates the two for several rounds (our side timed in-process, the peer timed inside its
//! own process by `peers/harness.py`, so interpreter start-up is not counted), checks that both
//! give the same answer, and reports median times, the ratio peer / ours and its spread over
//! rounds, single-threaded and with all cores.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::error::BenchError;
use crate::output::write_atomic;

/// Thread setting of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Threads {
    /// One thread on both sides.
    One,
    /// All cores on both sides.
    All,
}

/// A prepared workload: inputs are fixed, `run` times one execution.
pub trait Prepared {
    /// Runs the computation once and returns the numbers compared with the peer's answer.
    fn run(&mut self, threads: Threads) -> Vec<f64>;
}

/// A computation with a Python twin.
pub trait Workload {
    /// Identifier (also the peer module's name in `peers/`).
    fn name(&self) -> &'static str;
    /// What is computed, with sizes.
    fn description(&self) -> String;
    /// The Python package the peer needs (checked before running).
    fn peer_package(&self) -> &'static str;
    /// Relative tolerance on the answers.
    fn rtol(&self) -> f64;
    /// Builds the inputs, writes them into `dir` for the peer, and returns the Rust side.
    ///
    /// # Errors
    /// I/O errors and invalid configurations.
    fn prepare(&self, dir: &Path) -> Result<Box<dyn Prepared>>;
}

/// One row of the comparison table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// Workload name.
    pub workload: String,
    /// What was computed.
    pub description: String,
    /// Thread setting.
    pub threads: Threads,
    /// Median seconds per call, ours.
    pub ours: f64,
    /// Median seconds per call, the peer's (`None` if the peer is missing).
    pub peer: Option<f64>,
    /// Median over rounds of peer / ours.
    pub ratio: Option<f64>,
    /// Smallest and largest per-round ratio.
    pub ratio_range: Option<(f64, f64)>,
    /// Largest relative difference between the answers.
    pub max_rel_diff: Option<f64>,
    /// Whether the answers agree to the workload's tolerance.
    pub agree: Option<bool>,
    /// Why the peer did not run, with the command that installs it.
    pub missing: Option<String>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { 0.5 * (v[n / 2 - 1] + v[n / 2]) }
}

/// The folder of the Python peers.
pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// The variable that names the Python interpreter of the peers.
pub const PYTHON_VAR: &str = "MEGAVOLT_PYTHON";

fn python() -> String {
    std::env::var(PYTHON_VAR).unwrap_or_else(|_| "python3".to_owned())
}

/// The interpreter as the user configured it, for messages.
fn interpreter_description() -> String {
    match std::env::var(PYTHON_VAR) {
        Ok(value) => format!("{PYTHON_VAR}={value}"),
        Err(_) => format!("`python3` (the default; set {PYTHON_VAR} to use another)"),
    }
}

/// The line the interpreter must print to count as a working Python 3.
const PROBE_ANSWER: &str = "megavolt-python 3";

/// Checks that the peers' interpreter starts and runs Python 3.
///
/// # Errors
/// [`BenchError::InterpreterUnavailable`] with the reason (it cannot be started, or it does
/// not answer as Python 3).
pub fn check_interpreter() -> Result<(), BenchError> {
    let unavailable = |reason: String| BenchError::InterpreterUnavailable {
        interpreter: interpreter_description(),
        reason,
    };
    let out = Command::new(python())
        .args(["-c", "import sys; print('megavolt-python', sys.version_info[0])"])
        .output()
        .map_err(|e| unavailable(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stdout.trim() == PROBE_ANSWER {
        return Ok(());
    }
    let probe = format!("`{} -c \"import sys; ...\"`", python());
    if out.status.success() {
        return Err(unavailable(format!(
            "it does not run as Python 3 ({probe} printed `{}` instead of `{PROBE_ANSWER}`)",
            stdout.trim()
        )));
    }
    let status = out.status.code().map_or_else(|| "a signal".to_owned(), |c| format!("code {c}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detail = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or_else(String::new, |l| format!(": {}", l.trim()));
    Err(unavailable(format!("it does not run as Python 3 ({probe} exited with {status}{detail})")))
}

/// Checks that the peers' interpreter works and has `package`.
///
/// # Errors
/// [`BenchError::InterpreterUnavailable`] or [`BenchError::PeerPackageMissing`].
pub fn peer_available(package: &str) -> Result<(), BenchError> {
    check_interpreter()?;
    let module = package.split('[').next().unwrap_or(package).replace('-', "_");
    let module = if module == "scikit_learn" { "sklearn".to_owned() } else { module };
    let ok = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(BenchError::PeerPackageMissing {
            package: package.to_owned(),
            interpreter: interpreter_description(),
            program: python(),
            requirements: peers_dir().join("requirements.txt"),
        })
    }
}

/// The workloads as a two-column list (name, then what it computes and the peer's package),
/// one per line, for `compare --list` and `compare --help`.
pub fn workload_list(workloads: &[Box<dyn Workload>]) -> String {
    let width = workloads.iter().map(|w| w.name().len()).max().unwrap_or(0);
    workloads
        .iter()
        .map(|w| {
            format!("  {:<width$}  {} (peer: {})\n", w.name(), w.description(), w.peer_package())
        })
        .collect()
}

#[derive(Deserialize)]
struct PeerOutput {
    times: Vec<f64>,
    answer: Vec<f64>,
}

fn run_peer(name: &str, dir: &Path, reps: usize, threads: Threads) -> Result<PeerOutput> {
    let mut cmd = Command::new(python());
    cmd.arg(peers_dir().join("harness.py")).arg(name).arg(dir).arg(reps.to_string());
    if threads == Threads::One {
        for var in
            ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"]
        {
            cmd.env(var, "1");
        }
        cmd.env("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1");
    }
    cmd.env("JAX_PLATFORMS", "cpu");
    let out = cmd.output().with_context(|| format!("starting {}", python()))?;
    if !out.status.success() {
        bail!("peer `{name}` failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("reading the output of peer `{name}`"))
}

/// Largest relative difference, scaled by the largest magnitude of the reference.
fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
    a.iter().zip(b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs() / scale))
}

/// Compares one workload: `rounds` rounds of `reps` calls on each side.
///
/// # Errors
/// Preparation errors and failures of a peer that runs. A peer that cannot run (its
/// interpreter cannot be started or its package is not installed) is a row that says so, not
/// an error.
pub fn compare_one(
    w: &dyn Workload,
    threads: Threads,
    rounds: usize,
    reps: usize,
    scratch: &Path,
) -> Result<Row> {
    let dir = scratch.join(w.name());
    std::fs::create_dir_all(&dir)?;
    let mut ours_impl = w.prepare(&dir)?;
    let mut row = Row {
        workload: w.name().to_owned(),
        description: w.description(),
        threads,
        ours: f64::NAN,
        peer: None,
        ratio: None,
        ratio_range: None,
        max_rel_diff: None,
        agree: None,
        missing: None,
    };
    let answer = ours_impl.run(threads);
    let peer_ok = peer_available(w.peer_package()).map_err(|e| e.to_string());
    let mut ours_all = Vec::new();
    let mut peer_all = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let mut t = Vec::with_capacity(reps);
        for _ in 0..reps {
            let start = Instant::now();
            std::hint::black_box(ours_impl.run(threads));
            t.push(start.elapsed().as_secs_f64());
        }
        let ours_med = median(&mut t.clone());
        ours_all.extend(t);
        if peer_ok.is_ok() {
            let p = run_peer(w.name(), &dir, reps, threads)?;
            let d = max_rel_diff(&p.answer, &answer);
            row.max_rel_diff = Some(row.max_rel_diff.map_or(d, |m: f64| m.max(d)));
            let peer_med = median(&mut p.times.clone());
            peer_all.extend(p.times);
            ratios.push(peer_med / ours_med);
        }
    }
    row.ours = median(&mut ours_all);
    match peer_ok {
        Ok(()) => {
            row.peer = Some(median(&mut peer_all));
            row.ratio = Some(median(&mut ratios.clone()));
            row.ratio_range = Some((
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(0.0, f64::max),
            ));
            row.agree = row.max_rel_diff.map(|d| d <= w.rtol());
        }
        Err(msg) => row.missing = Some(msg),
    }
    Ok(row)
}

fn fmt_time(s: f64) -> String {
    if !s.is_finite() {
        "—".to_owned()
    } else if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// Renders the rows as the Markdown table of `compare.md`.
pub fn render(rows: &[Row]) -> String {
    let mut s = String::from(
        "Median time per call over alternating rounds; ratio = peer time / our time (above 1: we are faster), \
         with its range over rounds. Answers are checked against each other.\n\n\
         | workload | threads | ours | peer | ratio | range | answers |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let threads = if r.threads == Threads::One { "1" } else { "all" };
        if let Some(m) = &r.missing {
            s.push_str(&format!(
                "| {} ({}) | {threads} | {} | missing | — | — | {m} |\n",
                r.workload,
                r.description,
                fmt_time(r.ours)
            ));
            continue;
        }
        let (lo, hi) = r.ratio_range.unwrap_or((f64::NAN, f64::NAN));
        let agree = match (r.agree, r.max_rel_diff) {
            (Some(true), Some(d)) => format!("agree ({d:.1e})"),
            (_, Some(d)) => format!("**DIFFER** ({d:.1e})"),
            _ => "—".to_owned(),
        };
        s.push_str(&format!(
            "| {} ({}) | {threads} | {} | {} | {:.2}x | {:.2}–{:.2} | {agree} |\n",
            r.workload,
            r.description,
            fmt_time(r.ours),
            r.peer.map_or_else(|| "—".to_owned(), fmt_time),
            r.ratio.unwrap_or(f64::NAN),
            lo,
            hi
        ));
    }
    s
}

/// Runs the selected workloads and writes `compare.md` and `compare.json` into `out`.
///
/// # Errors
/// Unknown workload names, preparation errors, failures of a peer that runs, and I/O errors.
/// A missing interpreter or peer package is not an error: it is said once on stderr and in
/// each row.
pub fn compare(
    workloads: &[Box<dyn Workload>],
    names: &[String],
    out: &Path,
    rounds: usize,
    reps: usize,
) -> Result<Vec<Row>> {
    for n in names {
        if !workloads.iter().any(|w| w.name() == n) {
            let known: Vec<&str> = workloads.iter().map(|w| w.name()).collect();
            bail!("unknown workload `{n}`; known workloads: {}", known.join(", "));
        }
    }
    anyhow::ensure!(rounds > 0, "--rounds must be at least 1, got {rounds}");
    anyhow::ensure!(reps > 0, "--reps must be at least 1, got {reps}");
    // Said once here; each row then names what is missing.
    if let Err(e) = check_interpreter() {
        eprintln!("warning: {e}: every peer is reported as missing");
    }
    let scratch = out.join("compare-inputs");
    let mut rows = Vec::new();
    for w in workloads.iter().filter(|w| names.is_empty() || names.iter().any(|n| n == w.name())) {
        for threads in [Threads::One, Threads::All] {
            let on = if threads == Threads::One { "one thread" } else { "all cores" };
            eprintln!("compare: {} ({on})", w.name());
            rows.push(compare_one(w.as_ref(), threads, rounds, reps, &scratch)?);
        }
    }
    write_atomic(&out.join("compare.md"), render(&rows).as_bytes())?;
    write_atomic(&out.join("compare.json"), serde_json::to_string_pretty(&rows)?.as_bytes())?;
    Ok(rows)
}

/// Writes a `.npy` file of a row-major array.
///
/// # Errors
/// I/O errors.
pub fn write_npy(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    write_atomic(path, &crate::npy::encode(shape, data))
}
