//! The contract between research crates and the `megavolt reproduce` command.
//!
//! Each research crate implements [`Experiment`] for every paper result it reproduces. An
//! experiment receives a [`RunContext`] (master seed, [`Scale`], a progress callback) and
//! returns an [`ExperimentOutput`]: named [`Metric`]s with their references and verdicts, data
//! [`Series`] for CSV files, [`Figure`]s to draw and [`NamedArray`]s (trajectories) for `.npy`
//! export. Experiments never print or draw: the binary renders what they return.
//!
//! A metric with no independent reference (a measured trend with no proven rate) is reported
//! with `pass = None` rather than an invented verdict.
//!
//! ```
//! use megavolt_core::experiment::{Check, Metric};
//!
//! let m = Metric::new("error at t = 1", 3.2e-10)
//!     .with_reference(0.0, "closed form (e^{2t}-1)/(e^{2t}+n-1)")
//!     .with_check(Check::AbsBelow(1e-9));
//! assert_eq!(m.pass, Some(true));
//! let trend = Metric::new("fitted slope", -0.93);
//! assert_eq!(trend.pass, None);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rng::Seed;

/// How large a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Minutes on a laptop: reduced sizes that still show the result.
    #[default]
    Quick,
    /// The published setting.
    Paper,
}

impl Scale {
    /// `"quick"` or `"paper"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scale::Quick => "quick",
            Scale::Paper => "paper",
        }
    }

    /// Chooses between a quick-scale and a paper-scale value.
    pub fn pick<T>(self, quick: T, paper: T) -> T {
        match self {
            Scale::Quick => quick,
            Scale::Paper => paper,
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "quick" => Ok(Scale::Quick),
            "paper" => Ok(Scale::Paper),
            other => Err(format!("unknown scale `{other}`: expected `quick` or `paper`")),
        }
    }
}

/// What an experiment sees of the run that executes it.
pub struct RunContext<'a> {
    /// Master seed; derive every random stream from it with [`Seed::stream`].
    pub seed: Seed,
    /// Size of the run.
    pub scale: Scale,
    progress: &'a (dyn Fn(f64, &str) + Sync),
}

impl<'a> RunContext<'a> {
    /// A context reporting progress to `progress(fraction_done, message)`.
    pub fn new(seed: Seed, scale: Scale, progress: &'a (dyn Fn(f64, &str) + Sync)) -> Self {
        Self { seed, scale, progress }
    }

    /// Reports that a fraction in `[0, 1]` of the run is done.
    pub fn progress(&self, fraction: f64, message: &str) {
        (self.progress)(fraction.clamp(0.0, 1.0), message);
    }
}

/// A context that ignores progress, for tests and library use.
pub fn silent_context(seed: u64, scale: Scale) -> RunContext<'static> {
    static SILENT: fn(f64, &str) = |_, _| {};
    RunContext::new(Seed::new(seed), scale, &SILENT)
}

/// Boxed error returned by experiments: each crate's own error type converts into it with `?`.
pub type ExperimentError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A reproducible result of a paper, runnable by `megavolt reproduce`.
pub trait Experiment: Send + Sync {
    /// Short unique identifier, kebab-case, used on the command line and as a directory name.
    fn name(&self) -> &'static str;
    /// One-line title.
    fn title(&self) -> &'static str;
    /// The paper (authors, title, venue, year) whose result this reproduces.
    fn paper(&self) -> &'static str;
    /// One paragraph, readable without the paper, saying what the experiment shows.
    fn summary(&self) -> &'static str;
    /// Wall-clock cost of the paper-scale run on one core, as measured or estimated by the
    /// implementer (e.g. `"about 40 min"`), stated in the report; `None` when unknown.
    fn paper_runtime(&self) -> Option<&'static str> {
        None
    }
    /// Runs the experiment.
    ///
    /// # Errors
    /// Any error of the underlying crate (invalid configuration, non-finite state, ...).
    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError>;
}

/// How a metric is judged against its reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Check {
    /// `|value - reference| <= tol`.
    Abs(f64),
    /// `|value - reference| <= tol * |reference|`.
    Rel(f64),
    /// `|value| <= tol` (the reference is the ideal value, usually 0).
    AbsBelow(f64),
    /// `value <= reference`.
    AtMost,
    /// `value >= reference`.
    AtLeast,
    /// `|value - reference| <= k * std_error` (Monte Carlo estimates).
    Sigmas(f64),
    /// `lo <= value <= hi`.
    Within(f64, f64),
}

impl Check {
    fn verdict(self, value: f64, reference: Option<f64>, std_error: Option<f64>) -> Option<bool> {
        if !value.is_finite() {
            return Some(false);
        }
        let r = reference;
        Some(match self {
            Check::Abs(tol) => (value - r?).abs() <= tol,
            Check::Rel(tol) => (value - r?).abs() <= tol * r?.abs(),
            Check::AbsBelow(tol) => value.abs() <= tol,
            Check::AtMost => value <= r?,
            Check::AtLeast => value >= r?,
            Check::Sigmas(k) => (value - r?).abs() <= k * std_error?,
            Check::Within(lo, hi) => (lo..=hi).contains(&value),
        })
    }

    /// A short human-readable description, for reports.
    pub fn describe(self) -> String {
        match self {
            Check::Abs(t) => format!("|diff| <= {t:.1e}"),
            Check::Rel(t) => format!("rel. diff <= {t:.1e}"),
            Check::AbsBelow(t) => format!("|value| <= {t:.1e}"),
            Check::AtMost => "<= reference".to_owned(),
            Check::AtLeast => ">= reference".to_owned(),
            Check::Sigmas(k) => format!("within {k} standard errors"),
            Check::Within(lo, hi) => format!("in [{lo}, {hi}]"),
        }
    }
}

/// One named number produced by an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// What is measured.
    pub name: String,
    /// The reproduced value.
    pub value: f64,
    /// Standard error of `value` when it is random (seed ensembles, Monte Carlo).
    pub std_error: Option<f64>,
    /// The independent reference value, if there is one.
    pub reference: Option<f64>,
    /// Where the reference comes from (closed form, paper table, peer library).
    pub source: Option<String>,
    /// How `value` is judged against `reference`.
    pub check: Option<Check>,
    /// The verdict: `None` when there is nothing to judge against.
    pub pass: Option<bool>,
}

impl Metric {
    /// A metric without reference (reported as a measured value, without verdict).
    pub fn new(name: impl Into<String>, value: f64) -> Self {
        Self {
            name: name.into(),
            value,
            std_error: None,
            reference: None,
            source: None,
            check: None,
            pass: None,
        }
    }

    /// Attaches a standard error.
    pub fn with_std_error(mut self, se: f64) -> Self {
        self.std_error = Some(se);
        self.evaluate()
    }

    /// Attaches a reference value and its source.
    pub fn with_reference(mut self, reference: f64, source: impl Into<String>) -> Self {
        self.reference = Some(reference);
        self.source = Some(source.into());
        self.evaluate()
    }

    /// Attaches the rule that turns value and reference into a verdict.
    pub fn with_check(mut self, check: Check) -> Self {
        self.check = Some(check);
        self.evaluate()
    }

    /// Recomputes the verdict from value, reference, standard error and check (for records read
    /// back from disk).
    pub fn rechecked(self) -> Self {
        self.evaluate()
    }

    fn evaluate(mut self) -> Self {
        self.pass = self.check.and_then(|c| c.verdict(self.value, self.reference, self.std_error));
        self
    }
}

/// A table of equally long named columns, written as CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// File stem of the CSV file.
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Column data, `data[c][row]`.
    pub data: Vec<Vec<f64>>,
}

impl Series {
    /// Builds a series from `(column name, values)` pairs.
    ///
    /// # Panics
    /// If the columns do not all have the same length.
    #[track_caller]
    pub fn new(name: impl Into<String>, columns: Vec<(&str, Vec<f64>)>) -> Self {
        let len = columns.first().map_or(0, |c| c.1.len());
        assert!(
            columns.iter().all(|c| c.1.len() == len),
            "Series::new: columns of different lengths"
        );
        let (names, data) = columns.into_iter().map(|(n, d)| (n.to_owned(), d)).unzip();
        Self { name: name.into(), columns: names, data }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.first().map_or(0, Vec::len)
    }

    /// `true` when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A dense array of `f64` in row-major (C) order, written as a NumPy `.npy` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedArray {
    /// File stem.
    pub name: String,
    /// Shape, outermost first.
    pub shape: Vec<usize>,
    /// Entries in row-major order.
    pub data: Vec<f64>,
}

impl NamedArray {
    /// Builds an array.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    #[track_caller]
    pub fn new(name: impl Into<String>, shape: Vec<usize>, data: Vec<f64>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "NamedArray::new: shape does not match data"
        );
        Self { name: name.into(), shape, data }
    }
}

/// How a curve is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Connected line.
    #[default]
    Line,
    /// Markers only.
    Points,
    /// Piecewise constant (staircase), for counts over time.
    Step,
    /// Dashed line, for references and theory curves.
    Dashed,
}

/// One curve of a panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Legend label.
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates.
    pub y: Vec<f64>,
    /// Drawing style.
    pub style: Style,
}

impl Curve {
    /// A curve.
    ///
    /// # Panics
    /// If `x` and `y` have different lengths.
    #[track_caller]
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, style: Style) -> Self {
        assert_eq!(x.len(), y.len(), "Curve::new: x and y of different lengths");
        Self { label: label.into(), x, y, style }
    }
}

/// One set of axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Panel {
    /// Panel title.
    pub title: String,
    /// Horizontal axis label.
    pub x_label: String,
    /// Vertical axis label.
    pub y_label: String,
    /// Logarithmic horizontal axis.
    pub log_x: bool,
    /// Logarithmic vertical axis.
    pub log_y: bool,
    /// Same scale on both axes (geometry pictures).
    pub equal_aspect: bool,
    /// The curves.
    pub curves: Vec<Curve>,
}

impl Panel {
    /// A panel with linear axes.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Self::default()
        }
    }

    /// Sets logarithmic axes.
    pub fn log(mut self, log_x: bool, log_y: bool) -> Self {
        self.log_x = log_x;
        self.log_y = log_y;
        self
    }

    /// Requests equal scales on both axes.
    pub fn equal_aspect(mut self) -> Self {
        self.equal_aspect = true;
        self
    }

    /// Adds a curve.
    pub fn curve(mut self, curve: Curve) -> Self {
        self.curves.push(curve);
        self
    }
}

/// A figure: one or more panels laid out in a row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// File stem of the SVG file.
    pub name: String,
    /// Caption.
    pub caption: String,
    /// Panels, left to right.
    pub panels: Vec<Panel>,
}

impl Figure {
    /// A figure.
    pub fn new(name: impl Into<String>, caption: impl Into<String>, panels: Vec<Panel>) -> Self {
        Self { name: name.into(), caption: caption.into(), panels }
    }
}

/// Everything an experiment returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExperimentOutput {
    /// Parameters of the run, as written to JSON.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Named numbers with their verdicts.
    pub metrics: Vec<Metric>,
    /// Tables written as CSV.
    pub series: Vec<Series>,
    /// Figures drawn as SVG.
    pub figures: Vec<Figure>,
    /// Trajectories and other arrays written as `.npy`.
    pub arrays: Vec<NamedArray>,
    /// Free-text remarks for the report (what was observed, limitations of the run).
    pub notes: Vec<String>,
}

impl ExperimentOutput {
    /// Records a parameter.
    ///
    /// # Panics
    /// If the value cannot be represented as JSON (a map with non-string keys).
    #[track_caller]
    pub fn param(&mut self, name: &str, value: impl Serialize) -> &mut Self {
        let v = serde_json::to_value(value).expect("parameter is not representable as JSON");
        self.parameters.insert(name.to_owned(), v);
        self
    }

    /// `true` when no metric failed (metrics without verdict do not count).
    pub fn all_pass(&self) -> bool {
        self.metrics.iter().all(|m| m.pass != Some(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let m = Metric::new("x", 1.05).with_reference(1.0, "t").with_check(Check::Rel(0.1));
        assert_eq!(m.pass, Some(true));
        let m = Metric::new("x", 1.2).with_reference(1.0, "t").with_check(Check::Rel(0.1));
        assert_eq!(m.pass, Some(false));
        // A Sigmas check without standard error has no verdict.
        let m = Metric::new("x", 1.2).with_reference(1.0, "t").with_check(Check::Sigmas(3.0));
        assert_eq!(m.pass, None);
        let m = m.with_std_error(0.1);
        assert_eq!(m.pass, Some(true));
        // Non-finite values always fail.
        let m = Metric::new("x", f64::NAN).with_check(Check::Within(0.0, 1.0));
        assert_eq!(m.pass, Some(false));
    }

    #[test]
    fn scale_parsing() {
        assert_eq!("paper".parse::<Scale>(), Ok(Scale::Paper));
        assert!("huge".parse::<Scale>().is_err());
    }
}
