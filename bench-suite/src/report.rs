//! The `report.md` that closes a reproduction run.
//!
//! The report is regenerated from the `result.json` files found in the output directory, so a
//! resumed run, a partial run and merged shards all end with the same kind of report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::BenchError;
use crate::output::{ExperimentRecord, try_read_record, write_atomic};

/// Every subdirectory of `out` that holds a `result.json`, with its record or the reason it
/// cannot be read. Logs nothing, so that callers decide whether and how often to warn.
pub fn scan_records(out: &Path) -> Vec<(PathBuf, Result<ExperimentRecord, String>)> {
    fs::read_dir(out)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|path| path.is_dir())
        .filter_map(|path| match try_read_record(&path) {
            Ok(None) => None,
            Ok(Some(rec)) => Some((path, Ok(rec))),
            Err(e) => Some((path, Err(format!("{e:#}")))),
        })
        .collect()
}

/// Reads every finished experiment below `out`, in the order of `order` (experiments not in
/// `order` follow, sorted by name). An unreadable `result.json` is skipped with one warning.
pub fn collect_records(out: &Path, order: &[&str]) -> Vec<ExperimentRecord> {
    let mut records: Vec<ExperimentRecord> = scan_records(out)
        .into_iter()
        .filter_map(|(path, rec)| {
            rec.map_err(|e| {
                log::warn!("skipping {}: result.json is unreadable ({e})", path.display())
            })
            .ok()
        })
        .map(|mut r| {
            // Verdicts are recomputed from value, reference and check, never trusted as stored.
            r.metrics = r.metrics.into_iter().map(megavolt_core::Metric::rechecked).collect();
            r
        })
        .collect();
    let rank = |name: &str| order.iter().position(|n| *n == name).unwrap_or(usize::MAX);
    records.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then_with(|| a.name.cmp(&b.name)));
    records
}

/// Checks that the records of `dir` share one seed and one scale.
///
/// # Errors
/// [`BenchError::MixedSettings`], listing the experiments of each setting.
pub fn ensure_one_setting(dir: &Path, records: &[ExperimentRecord]) -> Result<(), BenchError> {
    let mut groups: BTreeMap<(u64, &str), Vec<&str>> = BTreeMap::new();
    for r in records {
        groups.entry((r.seed, r.scale.as_str())).or_default().push(r.name.as_str());
    }
    if groups.len() <= 1 {
        return Ok(());
    }
    let groups = groups
        .into_iter()
        .map(|((seed, scale), names)| format!("seed {seed} / scale {scale}: {}", names.join(", ")))
        .collect();
    Err(BenchError::MixedSettings { dir: dir.to_path_buf(), groups })
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else if v.is_finite() && (1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        format!("{v:.4e}")
    }
}

/// Escapes the characters that would break a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn verdict(pass: Option<bool>) -> &'static str {
    match pass {
        Some(true) => "pass",
        Some(false) => "**FAIL**",
        None => "—",
    }
}

/// A description of the machine: processor model, logical cores, operating system.
pub fn machine_description() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown processor".to_owned());
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    format!("{cpu}, {cores} logical cores, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// Renders the report for the given records.
pub fn render(records: &[ExperimentRecord], extra_sections: &[(String, String)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# megavolt reproduction report\n");
    let seeds: std::collections::BTreeSet<u64> = records.iter().map(|r| r.seed).collect();
    let scales: std::collections::BTreeSet<&str> =
        records.iter().map(|r| r.scale.as_str()).collect();
    let fmt_set = |v: Vec<String>| if v.is_empty() { "—".to_owned() } else { v.join(", ") };
    let _ = writeln!(
        s,
        "megavolt {} · seed {} · scale {} · machine: {}\n",
        env!("CARGO_PKG_VERSION"),
        fmt_set(seeds.iter().map(u64::to_string).collect()),
        fmt_set(scales.iter().map(|s| (*s).to_owned()).collect()),
        machine_description()
    );
    let _ = writeln!(
        s,
        "Each experiment reproduces a result of a paper with the megavolt crates. A metric is \
         judged against an independent reference (a closed form, a published number or a \
         theoretical rate) with the stated check; a metric without such a reference is \
         reported without a verdict (—).\n"
    );

    let (mut n_pass, mut n_fail, mut n_none) = (0, 0, 0);
    let _ = writeln!(s, "## Summary\n");
    let _ = writeln!(s, "| experiment | metric | reproduced | reference | check | verdict |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for r in records {
        for m in &r.metrics {
            match m.pass {
                Some(true) => n_pass += 1,
                Some(false) => n_fail += 1,
                None => n_none += 1,
            }
            let value = match m.std_error {
                Some(se) => format!("{} ± {}", fmt_num(m.value), fmt_num(se)),
                None => fmt_num(m.value),
            };
            let reference = m.reference.map_or_else(|| "—".to_owned(), fmt_num);
            let check = m.check.map_or_else(|| "—".to_owned(), |c| c.describe());
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} | {} |",
                r.name,
                cell(&m.name),
                value,
                reference,
                cell(&check),
                verdict(m.pass)
            );
        }
    }
    let _ = writeln!(s, "\n{n_pass} metrics pass, {n_fail} fail, {n_none} have no reference.\n");

    for r in records {
        let _ = writeln!(s, "## {} (`{}`)\n", r.title, r.name);
        let _ = writeln!(
            s,
            "*Source:* {}  \n*Crate:* `{}` · seed {} · scale {} · run time {:.1} s · paper-scale \
             run time: {}\n",
            r.paper,
            r.crate_name,
            r.seed,
            r.scale,
            r.seconds,
            r.paper_runtime.as_deref().unwrap_or("not stated")
        );
        let _ = writeln!(s, "{}\n", r.summary);
        if !r.parameters.is_empty() {
            let params: Vec<String> =
                r.parameters.iter().map(|(k, v)| format!("`{k}` = {v}")).collect();
            let _ = writeln!(s, "*Parameters:* {}\n", params.join(", "));
        }
        for m in &r.metrics {
            if let Some(src) = &m.source {
                let _ = writeln!(
                    s,
                    "- {}: {} (reference {}, {}; {})",
                    m.name,
                    fmt_num(m.value),
                    m.reference.map_or_else(|| "—".to_owned(), fmt_num),
                    src,
                    verdict(m.pass)
                );
            }
        }
        if r.metrics.iter().any(|m| m.source.is_some()) {
            s.push('\n');
        }
        for (file, caption) in &r.figures {
            let _ = writeln!(s, "![{caption}]({}/{file})\n\n*{caption}*\n", r.name);
        }
        for note in &r.notes {
            let _ = writeln!(s, "> {note}\n");
        }
        let files: Vec<String> = r.files.iter().map(|f| format!("[{f}]({}/{f})", r.name)).collect();
        let _ = writeln!(s, "*Files:* {}\n", files.join(" · "));
    }
    for (title, body) in extra_sections {
        let _ = writeln!(s, "## {title}\n\n{body}\n");
    }
    s
}

/// Regenerates `report.md` in `out` from the finished experiments there (an unreadable
/// `result.json` is skipped with a warning), including the `check.md` and `compare.md` tables
/// when present.
///
/// # Errors
/// [`BenchError::MixedSettings`] if the experiments do not share one seed and one scale (the
/// report is then left as it was), and I/O errors.
pub fn write_report(out: &Path, order: &[&str]) -> Result<(usize, String)> {
    let records = collect_records(out, order);
    let text = write_report_of(out, &records)?;
    Ok((records.len(), text))
}

/// Writes `report.md` in `out` for `records` (as returned by [`collect_records`]) and returns
/// its text.
///
/// # Errors
/// [`BenchError::MixedSettings`] if the records do not share one seed and one scale (nothing
/// is written then), and I/O errors.
pub fn write_report_of(out: &Path, records: &[ExperimentRecord]) -> Result<String> {
    ensure_one_setting(out, records)?;
    let mut extra = Vec::new();
    for (file, title) in
        [("check.md", "Discrete against continuous"), ("compare.md", "Speed against peers")]
    {
        if let Ok(body) = fs::read_to_string(out.join(file)) {
            extra.push((title.to_owned(), body));
        }
    }
    let text = render(records, &extra);
    write_atomic(&out.join("report.md"), text.as_bytes())?;
    Ok(text)
}
