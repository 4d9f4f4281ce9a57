//! The reproduce pipeline on small stand-in experiments: files, resume, shards, errors; and
//! the binary's handling of bad arguments.

use std::path::Path;
use std::process::Command;

use bench_suite::registry::Entry;
use bench_suite::run::{Outcome, ReproduceOptions, Shard, merge, reproduce};
use megavolt_core::experiment::{
    Check, Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, NamedArray, Panel,
    RunContext, Scale, Series, Style,
};
use rand::RngExt;

/// A random walk whose mean square after `n` steps is `n`: a real Monte Carlo check.
struct Walk(&'static str);

impl Experiment for Walk {
    fn name(&self) -> &'static str {
        self.0
    }
    fn title(&self) -> &'static str {
        "Random walk"
    }
    fn paper(&self) -> &'static str {
        "textbook"
    }
    fn summary(&self) -> &'static str {
        "Mean square displacement of a simple random walk."
    }
    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let n_walks = 400;
        let n_steps = 50;
        let mut finals = Vec::new();
        for w in 0..n_walks {
            let mut rng = ctx.seed.indexed("walk", w);
            let x: f64 = (0..n_steps).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).sum();
            finals.push(x * x);
            ctx.progress((w + 1) as f64 / n_walks as f64, "walking");
        }
        let ms = megavolt_core::stats::mean_se(&finals);
        let mut out = ExperimentOutput::default();
        out.param("n_steps", n_steps);
        out.metrics.push(
            Metric::new("mean square displacement", ms.mean)
                .with_std_error(ms.std_error)
                .with_reference(n_steps as f64, "E[X_n^2] = n")
                .with_check(Check::Sigmas(5.0)),
        );
        out.metrics.push(Metric::new("walks", n_walks as f64));
        let idx: Vec<f64> = (0..n_walks).map(|i| i as f64).collect();
        out.series.push(Series::new("finals", vec![("walk", idx.clone()), ("x2", finals.clone())]));
        out.arrays.push(NamedArray::new("finals", vec![n_walks as usize], finals.clone()));
        out.figures.push(Figure::new(
            "finals",
            "Squared final positions",
            vec![Panel::new("x^2", "walk", "x^2").curve(Curve::new(
                "x^2",
                idx,
                finals,
                Style::Points,
            ))],
        ));
        Ok(out)
    }
}

struct Broken;

impl Experiment for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }
    fn title(&self) -> &'static str {
        "Always fails"
    }
    fn paper(&self) -> &'static str {
        "none"
    }
    fn summary(&self) -> &'static str {
        "Returns an error."
    }
    fn run(&self, _ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        Err("beta must be finite, got NaN".into())
    }
}

fn registry() -> Vec<Entry> {
    ["walk-a", "walk-b", "walk-c"]
        .into_iter()
        .map(|n| Entry { crate_name: "test", experiment: Box::new(Walk(n)) as Box<dyn Experiment> })
        .collect()
}

fn opts(out: &Path) -> ReproduceOptions {
    ReproduceOptions {
        names: vec![],
        scale: Scale::Quick,
        seed: 7,
        out: out.to_path_buf(),
        force: false,
        shard: None,
        jobs: 2,
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn writes_files_report_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let reg = registry();
    let outcomes = reproduce(&reg, &opts(dir.path())).unwrap();
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Ran { failed: 0 }), "{outcomes:?}");
    for f in ["result.json", "finals.csv", "finals.npy", "finals.svg", "data.json"] {
        assert!(dir.path().join("walk-a").join(f).is_file(), "{f}");
    }
    let report = String::from_utf8(read(&dir.path().join("report.md"))).unwrap();
    assert!(report.contains("| `walk-a` | mean square displacement |"));
    assert!(report.contains("3 metrics pass, 0 fail, 3 have no reference."));
    assert!(report.contains("![Squared final positions](walk-a/finals.svg)"));
    // No temporary file is left behind.
    assert!(
        std::fs::read_dir(dir.path().join("walk-a"))
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with('.'))
    );

    // A second run skips everything; --force re-runs with bit-identical data.
    let before = read(&dir.path().join("walk-b/finals.npy"));
    let again = reproduce(&reg, &opts(dir.path())).unwrap();
    assert!(again.iter().all(|(_, o)| *o == Outcome::Skipped));
    let forced = reproduce(
        &reg,
        &ReproduceOptions { force: true, names: vec!["walk-b".into()], ..opts(dir.path()) },
    )
    .unwrap();
    assert_eq!(forced.len(), 1);
    assert_eq!(before, read(&dir.path().join("walk-b/finals.npy")));
    // Another seed in the same directory is refused (one report never mixes settings) unless
    // --force replaces the result.
    let other = |force| {
        reproduce(
            &reg,
            &ReproduceOptions { seed: 8, force, names: vec!["walk-a".into()], ..opts(dir.path()) },
        )
    };
    let err = other(false).unwrap_err().to_string();
    assert!(err.contains("already holds results of seed 7"), "{err}");
    assert_eq!(other(true).unwrap()[0].1, Outcome::Ran { failed: 0 });
    // The results of seed 7 are gone, so the report holds seed 8 only.
    assert!(!dir.path().join("walk-b").exists() && !dir.path().join("walk-c").exists());
    let report = String::from_utf8(read(&dir.path().join("report.md"))).unwrap();
    assert!(report.contains(" · seed 8 · scale quick · "), "{report}");
}

#[test]
fn shards_merge_to_the_single_run() {
    let reg = registry();
    let whole = tempfile::tempdir().unwrap();
    reproduce(&reg, &opts(whole.path())).unwrap();
    let parts: Vec<tempfile::TempDir> = (1..=2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (k, p) in parts.iter().enumerate() {
        let o = reproduce(
            &reg,
            &ReproduceOptions { shard: Some(Shard { k: k + 1, n: 2 }), ..opts(p.path()) },
        )
        .unwrap();
        assert_eq!(o.len(), if k == 0 { 2 } else { 1 });
    }
    let merged = tempfile::tempdir().unwrap();
    let sources: Vec<_> = parts.iter().map(|p| p.path().to_path_buf()).collect();
    assert_eq!(merge(&reg, &sources, merged.path()).unwrap(), 3);
    for name in ["walk-a", "walk-b", "walk-c"] {
        for f in ["finals.csv", "finals.npy", "data.json"] {
            assert_eq!(
                read(&whole.path().join(name).join(f)),
                read(&merged.path().join(name).join(f)),
                "{name}/{f}"
            );
        }
    }
    assert!(merge(&reg, &[whole.path().join("nothing-here")], merged.path()).is_err());
    // Results of another seed are not merged into a directory holding seed 7.
    let other = tempfile::tempdir().unwrap();
    reproduce(
        &reg,
        &ReproduceOptions { seed: 9, names: vec!["walk-a".into()], ..opts(other.path()) },
    )
    .unwrap();
    let err = merge(&reg, &[other.path().to_path_buf()], merged.path()).unwrap_err();
    assert!(err.to_string().contains("already holds results of seed 7"), "{err}");
}

#[test]
fn errors_are_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = registry();
    reg.insert(0, Entry { crate_name: "test", experiment: Box::new(Broken) });
    let o = reproduce(
        &reg,
        &ReproduceOptions { names: vec!["broken".into(), "walk-a".into()], ..opts(dir.path()) },
    )
    .unwrap();
    assert!(matches!(&o[0].1, Outcome::Error(e) if e.contains("beta must be finite")));
    assert_eq!(o[1].1, Outcome::Ran { failed: 0 });
    assert!(!dir.path().join("broken/result.json").exists());
    let err = reproduce(&reg, &ReproduceOptions { names: vec!["nope".into()], ..opts(dir.path()) })
        .unwrap_err();
    assert!(err.to_string().contains("unknown experiment `nope`"), "{err}");
}

#[test]
fn binary_rejects_bad_arguments_without_panicking() {
    let exe = env!("CARGO_BIN_EXE_megavolt");
    let dir = tempfile::tempdir().unwrap();
    let cases: &[&[&str]] = &[
        &["reproduce", "--scale", "huge"],
        &["reproduce", "--seed", "-3"],
        &["reproduce", "--shard", "3/2"],
        &["reproduce", "--shard", "0/2"],
        &["reproduce", "no-such-experiment"],
        &["merge", "/nonexistent/megavolt"],
        &["frobnicate"],
    ];
    for args in cases {
        let out = Command::new(exe).args(*args).current_dir(dir.path()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.trim().is_empty(), "{args:?}: no message");
    }
    let list = Command::new(exe).arg("list").output().unwrap();
    assert!(list.status.success());
    // A report of an empty directory is refused and writes nothing.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = Command::new(exe).args(["report", "--out"]).arg(&empty).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to report"));
    assert!(!empty.join("report.md").exists());
    // A file given as the output directory is named as such.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = Command::new(exe).args(["check", "--out"]).arg(&file).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a file, not a directory"));
}

fn euler_limit(expected: Option<(f64, f64)>) -> bench_suite::check::Limit {
    use bench_suite::check::{Limit, LimitData};
    Limit {
        crate_name: "megavolt-core",
        name: "Euler → u' = u",
        parameter: "h",
        expected,
        compute: Box::new(|| {
            let h: Vec<f64> = [8u32, 16, 32, 64].iter().map(|n| 1.0 / f64::from(*n)).collect();
            let mut error = Vec::new();
            for &step in &h {
                let sol = megavolt_core::ode::Solver::euler(step)?.solve(
                    |_t, y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = y[0],
                    0.0,
                    vec![1.0],
                    1.0,
                )?;
                error.push((sol.y_final()[0] - std::f64::consts::E).abs());
            }
            Ok(LimitData { h, error })
        }),
    }
}

#[test]
fn check_fits_orders_and_judges_them() {
    let dir = tempfile::tempdir().unwrap();
    let limits =
        vec![euler_limit(Some((1.0, 0.1))), euler_limit(Some((2.0, 0.1))), euler_limit(None)];
    let rows = bench_suite::check::check(&limits, dir.path()).unwrap();
    assert!((rows[0].slope - 1.0).abs() < 0.1);
    assert_eq!(
        rows.iter().map(|r| r.pass).collect::<Vec<_>>(),
        vec![Some(true), Some(false), None]
    );
    let md = std::fs::read_to_string(dir.path().join("check.md")).unwrap();
    assert!(md.contains("no proven rate") && md.contains("**FAIL**"));
    assert!(dir.path().join("check.svg").is_file());
}

#[test]
fn merge_refuses_mixed_seeds_and_writes_nothing() {
    let reg = registry();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    reproduce(&reg, &ReproduceOptions { names: vec!["walk-a".into()], ..opts(a.path()) }).unwrap();
    reproduce(&reg, &ReproduceOptions { names: vec!["walk-b".into()], seed: 99, ..opts(b.path()) })
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let err =
        merge(&reg, &[a.path().to_path_buf(), b.path().to_path_buf()], out.path()).unwrap_err();
    assert!(err.to_string().contains("different settings"), "{err}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn report_recomputes_verdicts_and_cleans_temporaries() {
    let reg = registry();
    let dir = tempfile::tempdir().unwrap();
    reproduce(&reg, &ReproduceOptions { names: vec!["walk-a".into()], ..opts(dir.path()) })
        .unwrap();
    // Tamper with a stored value: the report must judge it again, not trust "pass".
    let path = dir.path().join("walk-a/result.json");
    let mut rec: serde_json::Value = serde_json::from_slice(&read(&path)).unwrap();
    rec["metrics"][0]["value"] = serde_json::json!(1000.0);
    std::fs::write(&path, serde_json::to_vec(&rec).unwrap()).unwrap();
    let order: Vec<&str> = vec![];
    let (_, text) = bench_suite::report::write_report(dir.path(), &order).unwrap();
    assert!(text.contains("**FAIL**"), "{text}");
    // A temporary file left by a killed run is removed when the experiment runs again.
    let stale = dir.path().join("walk-a/.finals.csv.tmp-1");
    std::fs::write(&stale, b"half").unwrap();
    reproduce(
        &reg,
        &ReproduceOptions { names: vec!["walk-a".into()], force: true, ..opts(dir.path()) },
    )
    .unwrap();
    assert!(!stale.exists());
}

/// Every regular file under `dir` (relative path, contents), except `result.json`, which also
/// records the wall-clock time.
fn data_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for exp in std::fs::read_dir(dir).unwrap().flatten().filter(|e| e.path().is_dir()) {
        for f in std::fs::read_dir(exp.path()).unwrap().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if name != "result.json" {
                let rel = format!("{}/{name}", exp.file_name().to_string_lossy());
                files.push((rel, read(&f.path())));
            }
        }
    }
    files.sort();
    files
}

/// The workspace's own experiments (the fastest of several crates) split into three shards,
/// run two at a time, and merged, give byte-identical data files to one sequential run.
#[test]
fn real_experiments_sharded_and_merged_match_one_run() {
    let names: Vec<String> =
        ["hardmax", "role-of-v", "transport-map", "dln-orthogonal", "two-timescale-init-redraw"]
            .map(String::from)
            .to_vec();
    let reg = bench_suite::registry::all();
    let base = |out: &Path| ReproduceOptions { names: names.clone(), seed: 11, ..opts(out) };
    let whole = tempfile::tempdir().unwrap();
    let o = reproduce(&reg, &ReproduceOptions { jobs: 1, ..base(whole.path()) }).unwrap();
    assert_eq!(o.len(), names.len());
    assert!(o.iter().all(|(_, o)| matches!(o, Outcome::Ran { .. })), "{o:?}");

    let parts: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut ran = 0;
    for (k, p) in parts.iter().enumerate() {
        let shard = Some(Shard { k: k + 1, n: 3 });
        ran +=
            reproduce(&reg, &ReproduceOptions { shard, jobs: 2, ..base(p.path()) }).unwrap().len();
    }
    assert_eq!(ran, names.len());
    let merged = tempfile::tempdir().unwrap();
    let sources: Vec<_> = parts.iter().map(|p| p.path().to_path_buf()).collect();
    assert_eq!(merge(&reg, &sources, merged.path()).unwrap(), names.len());

    let (a, b) = (data_files(whole.path()), data_files(merged.path()));
    assert!(a.len() > 2 * names.len(), "too few data files: {}", a.len());
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between the single run and the merged shards");
    }
}

fn megavolt(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_megavolt"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `--force` with another seed removes the results of the old seed (only the files megavolt
/// wrote), so the directory and its report hold one seed; `report` refuses a directory that
/// mixes seeds and `compare` leaves its report alone with a warning.
#[test]
fn force_with_another_seed_replaces_the_old_results() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let run = megavolt(dir, &["reproduce", "hardmax", "role-of-v", "--out", "R", "--seed", "42"]);
    assert!(run.status.success(), "{}", stderr(&run));
    std::fs::write(dir.join("R/notes.txt"), b"mine").unwrap();
    std::fs::write(dir.join("R/role-of-v/mine.txt"), b"mine").unwrap();

    let refused = megavolt(dir, &["reproduce", "hardmax", "--out", "R", "--seed", "7"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("already holds results of seed 42"), "{}", stderr(&refused));

    let forced = megavolt(dir, &["reproduce", "hardmax", "--out", "R", "--seed", "7", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(stderr(&forced).contains("role-of-v (seed 42 / scale quick)"), "{}", stderr(&forced));
    let report = std::fs::read_to_string(dir.join("R/report.md")).unwrap();
    assert!(report.contains(" · seed 7 · scale quick · "), "{report}");
    assert!(!report.contains("role-of-v"), "{report}");
    let hardmax = bench_suite::output::read_record(&dir.join("R/hardmax")).unwrap();
    assert_eq!(hardmax.seed, 7);
    // The user's files stay; the old experiment's own files do not.
    assert_eq!(read(&dir.join("R/notes.txt")), b"mine");
    let left: Vec<String> = std::fs::read_dir(dir.join("R/role-of-v"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["mine.txt"]);

    // Put a seed-42 result back by hand: the directory now mixes seeds.
    let other = megavolt(dir, &["reproduce", "role-of-v", "--out", "S", "--seed", "42"]);
    assert!(other.status.success(), "{}", stderr(&other));
    std::fs::remove_dir_all(dir.join("R/role-of-v")).unwrap();
    std::fs::rename(dir.join("S/role-of-v"), dir.join("R/role-of-v")).unwrap();
    let refused = megavolt(dir, &["report", "--out", "R"]);
    assert!(!refused.status.success());
    let msg = stderr(&refused);
    assert!(msg.contains("mixes results of different settings"), "{msg}");
    assert!(msg.contains("seed 7 / scale quick: hardmax") && msg.contains("seed 42"), "{msg}");
    assert_eq!(std::fs::read_to_string(dir.join("R/report.md")).unwrap(), report);
    let compared = Command::new(env!("CARGO_BIN_EXE_megavolt"))
        .args(["compare", "lars_diabetes", "--out", "R", "--rounds", "1", "--reps", "1"])
        .current_dir(dir)
        .env("MEGAVOLT_PYTHON", "/nonexistent")
        .output()
        .unwrap();
    assert!(compared.status.success(), "{}", stderr(&compared));
    assert!(stderr(&compared).contains("report.md was not regenerated"), "{}", stderr(&compared));
    assert_eq!(std::fs::read_to_string(dir.join("R/report.md")).unwrap(), report);
}

/// The workloads of `compare` are named by `compare --help`, `compare --list` and the READMEs.
#[test]
fn compare_names_its_workloads() {
    let tmp = tempfile::tempdir().unwrap();
    let help = megavolt(tmp.path(), &["compare", "--help"]);
    let list = megavolt(tmp.path(), &["compare", "--list"]);
    assert!(help.status.success() && list.status.success());
    let (help, list) =
        (String::from_utf8(help.stdout).unwrap(), String::from_utf8(list.stdout).unwrap());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let workspace_readme = std::fs::read_to_string(root.join("../README.md")).unwrap();
    let workloads = bench_suite::workloads::all();
    assert_eq!(list.lines().count(), workloads.len(), "{list}");
    for w in &workloads {
        let line = format!("{}  {} (peer: {})", w.name(), w.description(), w.peer_package());
        assert!(
            list.lines()
                .any(|l| l.trim_start().starts_with(w.name()) && l.contains(&w.description())),
            "{list}"
        );
        assert!(help.contains(w.name()) && help.contains(&w.description()), "{help}");
        assert!(readme.contains(&format!("`{}`", w.name())), "bench-suite/README.md lacks {line}");
        assert!(workspace_readme.contains(&format!("`{}`", w.name())), "README.md lacks {line}");
    }
    // Listing writes nothing.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// Runs `compare lars_diabetes` once with `MEGAVOLT_PYTHON` set; returns (success, stderr,
/// compare.md).
fn compare_with_python(dir: &Path, python: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_megavolt"))
        .args(["compare", "lars_diabetes", "--out", "C", "--rounds", "1", "--reps", "1"])
        .current_dir(dir)
        .env("MEGAVOLT_PYTHON", python)
        .output()
        .unwrap();
    let md = std::fs::read_to_string(dir.join("C/compare.md")).unwrap_or_default();
    (out.status.success(), stderr(&out), md)
}

/// A missing or non-Python interpreter is named as such, with the variable and its value, and
/// told apart from a missing package; like a missing package, it leaves the peer's columns
/// empty and is not an error.
#[cfg(unix)]
#[test]
fn compare_tells_a_missing_interpreter_from_a_missing_package() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let script = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    // Answers the interpreter probe like Python 3, fails every import.
    let no_packages = script(
        "no-packages",
        "case \"$2\" in *megavolt-python*) echo 'megavolt-python 3';; *) exit 1;; esac",
    );
    let not_python = script("not-python", "echo 'not python' >&2; exit 2");
    let not_executable = dir.join("not-executable");
    std::fs::write(&not_executable, b"").unwrap();

    let (ok, err, md) = compare_with_python(dir, Path::new("/nonexistent"));
    assert!(ok, "{err}");
    for text in [&err, &md] {
        assert!(text.contains("MEGAVOLT_PYTHON=/nonexistent cannot be run"), "{text}");
        assert!(!text.contains("not installed"), "{text}");
    }
    let (ok, err, md) = compare_with_python(dir, &not_python);
    assert!(ok, "{err}");
    assert!(
        md.contains("does not run as Python 3") && md.contains("exited with code 2: not python"),
        "{md}"
    );
    let (ok, err, md) = compare_with_python(dir, &not_executable);
    assert!(ok, "{err}");
    assert!(md.contains("cannot be run"), "{md}");
    let (ok, err, md) = compare_with_python(dir, &no_packages);
    assert!(ok, "{err}");
    assert!(!err.contains("cannot be run") && !md.contains("cannot be run"), "{err}\n{md}");
    assert!(
        md.contains("peer package `scikit-learn` is not installed for MEGAVOLT_PYTHON="),
        "{md}"
    );
}

/// An unreadable `result.json` is skipped with one warning, not two.
#[test]
fn report_warns_once_about_an_unreadable_record() {
    let tmp = tempfile::tempdir().unwrap();
    reproduce(
        &registry(),
        &ReproduceOptions { names: vec!["walk-a".into(), "walk-b".into()], ..opts(tmp.path()) },
    )
    .unwrap();
    std::fs::write(tmp.path().join("walk-b/result.json"), b"{bad").unwrap();
    let out = megavolt(tmp.path(), &["report", "--out", "."]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warnings = stderr(&out).matches("walk-b: result.json is unreadable").count();
    assert_eq!(warnings, 1, "{}", stderr(&out));
    let report = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
    assert!(report.contains("`walk-a`") && !report.contains("`walk-b`"), "{report}");
}

/// A shard with no experiment says so, exits successfully and writes nothing.
#[test]
fn empty_shard_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = megavolt(tmp.path(), &["reproduce", "--shard", "1000/1000", "--out", "new"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("shard 1000/1000 selects none of the"), "{}", stderr(&out));
    assert!(!tmp.path().join("new").exists());
    // In an existing directory, the report is left as it was.
    let existing = tmp.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("report.md"), b"earlier").unwrap();
    let out = megavolt(tmp.path(), &["reproduce", "--shard", "1000/1000", "--out", "existing"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&existing.join("report.md")), b"earlier");
    // The library returns no outcome.
    let none = reproduce(
        &registry(),
        &ReproduceOptions { shard: Some(Shard { k: 4, n: 4 }), ..opts(&tmp.path().join("lib")) },
    )
    .unwrap();
    assert!(none.is_empty());
    assert!(!tmp.path().join("lib").exists());
}
