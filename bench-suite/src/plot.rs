//! SVG figures drawn from the [`Figure`]s that experiments return.
//!
//! Logarithmic axes are drawn by plotting `log10` of the data on linear axes with tick labels
//! written as powers of ten, so that every panel shares one code path.

use anyhow::{Result, anyhow};
use megavolt_core::experiment::{Curve, Figure, Panel, Style};
use plotters::prelude::*;

const PANEL_W: u32 = 520;
const PANEL_H: u32 = 400;
const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Renders a figure as an SVG document.
///
/// # Errors
/// If plotters fails to draw (it reports backend errors as strings).
pub fn render_svg(fig: &Figure) -> Result<String> {
    let n = fig.panels.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PANEL_W * n, PANEL_H)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let areas = root.split_evenly((1, n as usize));
        for (panel, area) in fig.panels.iter().zip(areas) {
            draw_panel(panel, &area)?;
        }
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(svg)
}

fn transform(v: f64, log: bool) -> Option<f64> {
    if log { (v > 0.0 && v.is_finite()).then(|| v.log10()) } else { v.is_finite().then_some(v) }
}

fn curve_points(c: &Curve, log_x: bool, log_y: bool) -> Vec<(f64, f64)> {
    let pts: Vec<(f64, f64)> =
        c.x.iter()
            .zip(&c.y)
            .filter_map(|(&x, &y)| Some((transform(x, log_x)?, transform(y, log_y)?)))
            .collect();
    if c.style == Style::Step {
        let mut out = Vec::with_capacity(2 * pts.len());
        for (k, &(x, y)) in pts.iter().enumerate() {
            if k > 0 {
                out.push((x, pts[k - 1].1));
            }
            out.push((x, y));
        }
        out
    } else {
        pts
    }
}

fn padded_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        let w = 0.5 * lo.abs().max(1.0);
        return (lo - w, hi + w);
    }
    let pad = 0.04 * (hi - lo);
    (lo - pad, hi + pad)
}

fn tick_label(v: f64, log: bool, span: f64) -> String {
    // Ticks at zero come out as rounding noise (e.g. -5.6e-17) from the axis arithmetic.
    let v = if v.abs() <= 1e-9 * span { 0.0 } else { v };
    if log {
        if (v - v.round()).abs() < 1e-9 {
            format!("1e{}", v.round() as i64)
        } else {
            format!("{:.1e}", 10f64.powf(v))
        }
    } else if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e4) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, plotters::coord::Shift>,
) -> Result<()> {
    let curves: Vec<Vec<(f64, f64)>> =
        panel.curves.iter().map(|c| curve_points(c, panel.log_x, panel.log_y)).collect();
    let all = curves.iter().flatten();
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (mut x0, mut x1) = padded_range(x0, x1);
    let (mut y0, mut y1) = padded_range(y0, y1);
    if panel.equal_aspect {
        let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
        let half = 0.5 * (x1 - x0).max(y1 - y0);
        (x0, x1, y0, y1) = (cx - half, cx + half, cy - half, cy + half);
    }
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| anyhow!("{e}"))?;
    let (lx, ly) = (panel.log_x, panel.log_y);
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| tick_label(*v, lx, x1 - x0))
        .y_label_formatter(&|v| tick_label(*v, ly, y1 - y0))
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (k, (curve, pts)) in panel.curves.iter().zip(curves).enumerate() {
        let color = COLORS[k % COLORS.len()];
        let legend = curve.label.clone();
        let series = match curve.style {
            Style::Points => chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| anyhow!("{e}"))?,
            Style::Dashed => chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, color.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?,
            Style::Line | Style::Step => chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?,
        };
        if !legend.is_empty() {
            if curve.style == Style::Points {
                series
                    .label(legend)
                    .legend(move |(x, y)| Circle::new((x + 8, y), 3, color.filled()));
            } else {
                series.label(legend).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            }
        }
    }
    if panel.curves.iter().any(|c| !c.label.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_all_styles_and_log_axes() {
        let x: Vec<f64> = (1..=20).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v.powi(-2)).collect();
        let panel = Panel::new("decay", "n", "error")
            .log(true, true)
            .curve(Curve::new("measured", x.clone(), y.clone(), Style::Points))
            .curve(Curve::new("rate", x.clone(), y.clone(), Style::Dashed));
        let steps = Panel::new("count", "t", "clusters").curve(Curve::new(
            "k",
            x.clone(),
            x.clone(),
            Style::Step,
        ));
        let fig = Figure::new("f", "caption", vec![panel, steps]);
        let svg = render_svg(&fig).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("measured"));
        assert!(svg.contains("1e-2"));
        // Empty and degenerate panels still draw.
        let empty = Figure::new(
            "e",
            "",
            vec![Panel::new("empty", "x", "y").curve(Curve::new(
                "",
                vec![1.0],
                vec![1.0],
                Style::Line,
            ))],
        );
        assert!(render_svg(&empty).is_ok());
    }
}
