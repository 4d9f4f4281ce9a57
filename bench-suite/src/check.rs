//! `megavolt check`: every discrete scheme of the workspace against its continuous limit.
//!
//! Each [`Limit`] computes errors for a decreasing sequence of a discretisation parameter
//! (step size, `1/L`, mesh size, `1/n`) and fits the log-log slope. Where theory gives an order
//! or a rate, the row passes when the fitted slope is within the stated tolerance of it; where
//! no rate is proven, the row shows the measured trend without a verdict.

use std::path::Path;

use anyhow::Result;
use megavolt_core::experiment::{Curve, Figure, Panel, Style};
use megavolt_core::stats::fit_loglog;
use serde::{Deserialize, Serialize};

use crate::output::write_atomic;

/// The errors of one discrete-to-continuous limit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LimitData {
    /// Discretisation parameters (decreasing towards the limit).
    pub h: Vec<f64>,
    /// Distances to the limit.
    pub error: Vec<f64>,
}

/// A limit to check.
pub struct Limit {
    /// Crate that implements the scheme.
    pub crate_name: &'static str,
    /// The scheme and its limit.
    pub name: &'static str,
    /// Name of the discretisation parameter, e.g. `h` or `1/L`.
    pub parameter: &'static str,
    /// Expected slope of `log error` against `log h`, with the admissible deviation; `None`
    /// when no rate is proven.
    pub expected: Option<(f64, f64)>,
    /// Computes the errors.
    pub compute: Box<dyn Fn() -> Result<LimitData> + Send + Sync>,
}

/// One row of the check table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckRow {
    /// Crate.
    pub crate_name: String,
    /// Scheme and limit.
    pub name: String,
    /// Discretisation parameter.
    pub parameter: String,
    /// Fitted slope.
    pub slope: f64,
    /// Its standard error.
    pub slope_std_error: f64,
    /// Expected slope and tolerance.
    pub expected: Option<(f64, f64)>,
    /// Verdict (`None` without a proven rate).
    pub pass: Option<bool>,
    /// The data.
    pub data: LimitData,
    /// Error message when the computation failed.
    pub error: Option<String>,
}

/// Evaluates one limit.
pub fn evaluate(limit: &Limit) -> CheckRow {
    let mut row = CheckRow {
        crate_name: limit.crate_name.to_owned(),
        name: limit.name.to_owned(),
        parameter: limit.parameter.to_owned(),
        slope: f64::NAN,
        slope_std_error: f64::NAN,
        expected: limit.expected,
        pass: None,
        data: LimitData { h: vec![], error: vec![] },
        error: None,
    };
    match (limit.compute)() {
        Ok(data) => {
            if data.h.len() >= 2
                && data.h.iter().chain(&data.error).all(|v| *v > 0.0 && v.is_finite())
            {
                let fit = fit_loglog(&data.h, &data.error);
                row.slope = fit.slope;
                row.slope_std_error = fit.slope_std_error;
                row.pass = limit.expected.map(|(p, tol)| (fit.slope - p).abs() <= tol);
            } else {
                row.pass = limit.expected.map(|_| false);
                row.error =
                    Some("errors must be positive and finite at two or more points".to_owned());
            }
            row.data = data;
        }
        Err(e) => {
            row.pass = limit.expected.map(|_| false);
            row.error = Some(format!("{e:#}"));
        }
    }
    row
}

/// Renders the Markdown table of `check.md`.
pub fn render(rows: &[CheckRow]) -> String {
    let mut s = String::from(
        "Fitted slope of log(error) against log(parameter) for each discrete scheme against its \
         continuous limit. Rows without a proven rate show the trend without a verdict.\n\n\
         | crate | scheme → limit | parameter | fitted slope | expected | verdict |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let expected =
            r.expected.map_or_else(|| "no proven rate".to_owned(), |(p, t)| format!("{p} ± {t}"));
        let verdict = match (r.pass, &r.error) {
            (_, Some(e)) => format!("**ERROR**: {e}"),
            (Some(true), _) => "pass".to_owned(),
            (Some(false), _) => "**FAIL**".to_owned(),
            (None, _) => "—".to_owned(),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {:.3} ± {:.3} | {} | {} |\n",
            r.crate_name, r.name, r.parameter, r.slope, r.slope_std_error, expected, verdict
        ));
    }
    s.push_str("\n![Errors against the discretisation parameter](check.svg)\n");
    s
}

/// The figure: one log-log panel per row.
pub fn figure(rows: &[CheckRow]) -> Figure {
    let panels = rows
        .iter()
        .filter(|r| !r.data.h.is_empty())
        .map(|r| {
            let mut p = Panel::new(&r.name, &r.parameter, "error").log(true, true);
            p = p.curve(Curve::new(
                format!("slope {:.2}", r.slope),
                r.data.h.clone(),
                r.data.error.clone(),
                Style::Points,
            ));
            if let Some((order, _)) = r.expected {
                let (h0, e0) = (r.data.h[0], r.data.error[0]);
                let theory: Vec<f64> = r.data.h.iter().map(|h| e0 * (h / h0).powf(order)).collect();
                p = p.curve(Curve::new(
                    format!("order {order}"),
                    r.data.h.clone(),
                    theory,
                    Style::Dashed,
                ));
            }
            p
        })
        .collect();
    Figure::new("check", "Errors against the discretisation parameter", panels)
}

/// Evaluates the limits (in parallel) and writes `check.md`, `check.json` and `check.svg`.
///
/// # Errors
/// I/O errors.
pub fn check(limits: &[Limit], out: &Path) -> Result<Vec<CheckRow>> {
    use rayon::prelude::*;
    let rows: Vec<CheckRow> = limits.par_iter().map(evaluate).collect();
    write_atomic(&out.join("check.md"), render(&rows).as_bytes())?;
    write_atomic(&out.join("check.json"), serde_json::to_string_pretty(&rows)?.as_bytes())?;
    write_atomic(&out.join("check.svg"), crate::plot::render_svg(&figure(&rows))?.as_bytes())?;
    Ok(rows)
}
