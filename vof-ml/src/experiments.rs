//! The `reproduce` experiments: the standard VOF advection tests for every scheme, and the
//! training and evaluation of learned fluxes.
//!
//! | name | what | quick | paper |
//! |---|---|---|---|
//! | `vof-translation` | disk translation, error table and orders | N = 32, 64 | 32, 64, 128 |
//! | `vof-zalesak` | slotted-disk rotation | N = 48, 96 (learned: 48) | 100, 200 |
//! | `vof-vortex` | reversed single vortex, T = 2 | N = 32, 64, 128 (learned: 32, 64) | 32, 64, 128, 256 |
//! | `vof-deformation-3d` | LeVeque's 3D deformation | N = 16, 32 (learned: 16; no 3D ELVIRA) | 32, 64 |
//! | `vof-learned-flux` | train a flux network, local flux errors against exact fluxes | 20000 samples, 30 epochs | 200000 samples, 60 epochs |

use std::sync::Arc;

use megavolt_core::experiment::{Check, Curve, ExperimentError, Figure, Panel, Series, Style};
use megavolt_core::stats::fit_loglog;
use megavolt_core::{Experiment, ExperimentOutput, Metric, RunContext};

use crate::benchmarks::{CaseResult, contour_points, deformation, translation, vortex, zalesak};
use crate::grid::Grid2;
use crate::learned::LearnedFlux;
use crate::normals::NormalMethod;
use crate::scheme::Scheme;

/// All experiments of the crate.
pub fn all() -> Vec<Box<dyn Experiment>> {
    vec![
        Box::new(Translation),
        Box::new(Zalesak),
        Box::new(Vortex),
        Box::new(Deformation),
        Box::new(LearnedFluxExperiment),
    ]
}

const PAPER_2D: &str = "B. Després, H. Jourdren, Machine learning design of volume of fluid schemes for compressible flows, J. Comput. Phys. 408 (2020) 109275; W. J. Rider, D. B. Kothe, Reconstructing volume tracking, J. Comput. Phys. 141 (1998) 112-152";

fn schemes_2d() -> Vec<(String, Scheme)> {
    let mut s: Vec<Scheme> = vec![Scheme::Upwind, Scheme::DespresLagoutiere];
    s.extend(NormalMethod::ALL.map(Scheme::Plic));
    let mut out: Vec<(String, Scheme)> = s.into_iter().map(|s| (s.name(), s)).collect();
    out.push(("learned-shipped".into(), Scheme::Learned(Arc::new(LearnedFlux::shipped_2d()))));
    out.push(("learned-vofml19".into(), Scheme::Learned(Arc::new(LearnedFlux::vofml19()))));
    out
}

/// Runs `case` for every scheme and mesh; records errors, orders, conservation and bounds.
fn convergence_study(
    out: &mut ExperimentOutput,
    ctx: &RunContext<'_>,
    schemes: &[(String, Scheme)],
    meshes: &[usize],
    learned_max: usize,
    case: &dyn Fn(usize, Scheme) -> crate::Result<CaseResult>,
) -> Result<Vec<Vec<CaseResult>>, ExperimentError> {
    let mut all = Vec::new();
    let total = (schemes.len() * meshes.len()) as f64;
    let mut done = 0.0;
    for (name, scheme) in schemes {
        let mut row = Vec::new();
        for &n in meshes {
            if matches!(scheme, Scheme::Learned(_)) && n > learned_max {
                continue;
            }
            ctx.progress(done / total, &format!("{name} N = {n}"));
            let r = case(n, scheme.clone())?;
            out.metrics.push(Metric::new(format!("{name} E1 N={n}"), r.error));
            let drift = r.stats.volume_drift() - r.stats.clipped_volume;
            out.metrics.push(
                Metric::new(format!("{name} volume drift net of clips N={n}"), drift)
                    .with_reference(0.0, "exact conservation of the split update")
                    .with_check(Check::AbsBelow(1e-14)),
            );
            out.metrics.push(
                Metric::new(format!("{name} clipped cells N={n}"), r.stats.clips as f64)
                    .with_reference(0.0, "bounds kept by construction (flux-corrected sweep)")
                    .with_check(Check::AtMost),
            );
            out.metrics.push(Metric::new(
                format!("{name} halved steps N={n}"),
                (r.stats.substeps - r.stats.steps) as f64,
            ));
            out.metrics.push(Metric::new(
                format!("{name} bound violation N={n}"),
                r.stats.bound_violation(),
            ));
            row.push(r);
            done += 1.0;
        }
        if row.len() >= 2 {
            let h: Vec<f64> = row.iter().map(|r| 1.0 / r.n as f64).collect();
            let e: Vec<f64> = row.iter().map(|r| r.error).collect();
            let fit = fit_loglog(&h, &e);
            out.metrics.push(Metric::new(format!("{name} order"), fit.slope));
        }
        all.push(row);
    }
    let mut cols: Vec<(&str, Vec<f64>)> = vec![("n", meshes.iter().map(|&n| n as f64).collect())];
    let names: Vec<String> = schemes.iter().map(|(n, _)| n.clone()).collect();
    for (k, row) in all.iter().enumerate() {
        // Meshes skipped for a scheme are NaN.
        let e = meshes
            .iter()
            .map(|&n| row.iter().find(|r| r.n == n).map_or(f64::NAN, |r| r.error))
            .collect();
        cols.push((names[k].as_str(), e));
    }
    out.series.push(Series::new("errors", cols));
    let mut panel = Panel::new("E1 against mesh size", "h", "E1").log(true, true);
    for (k, row) in all.iter().enumerate() {
        let h: Vec<f64> = row.iter().map(|r| 1.0 / r.n as f64).collect();
        panel = panel.curve(Curve::new(
            names[k].clone(),
            h,
            row.iter().map(|r| r.error).collect(),
            Style::Line,
        ));
    }
    out.figures.push(Figure::new(
        "errors",
        "Shape error E1 = sum |alpha(T) - alpha(0)| h^2 against h, per scheme.",
        vec![panel],
    ));
    Ok(all)
}

/// Contours (alpha = 1/2) of the final fields on the finest 2D mesh, one panel per scheme.
fn contour_figure(
    out: &mut ExperimentOutput,
    name: &str,
    schemes: &[(String, Scheme)],
    runs: &[Vec<CaseResult>],
) {
    let mut panels = Vec::new();
    for (k, (sname, _)) in schemes.iter().enumerate() {
        let Some(r) = runs[k].last() else { continue };
        let Ok(grid) = Grid2::unit(r.n, r.n) else { continue };
        let (x0, y0) = contour_points(&grid, &r.initial, 0.5);
        let (x1, y1) = contour_points(&grid, &r.last, 0.5);
        panels.push(
            Panel::new(format!("{sname}, N = {}", r.n), "x", "y")
                .equal_aspect()
                .curve(Curve::new("exact", x0, y0, Style::Points))
                .curve(Curve::new("final", x1, y1, Style::Points)),
        );
    }
    out.figures.push(Figure::new(name, "Interfaces (alpha = 1/2 contours) at the final time on the finest mesh, against the initial shape.", panels));
}

/// Translation of a disk (Rider & Kothe 1998): every scheme, error table and orders.
pub struct Translation;

impl Experiment for Translation {
    fn name(&self) -> &'static str {
        "vof-translation"
    }
    fn title(&self) -> &'static str {
        "Translation of a disk by (1, 1) over one period"
    }
    fn paper(&self) -> &'static str {
        PAPER_2D
    }
    fn summary(&self) -> &'static str {
        "A disk of radius 0.2 is translated diagonally across a periodic unit square and back to its start (Courant number 0.5 per sweep). The shape error E1 measures numerical diffusion and distortion: first-order upwind smears the disk (E1 about 8e-2 on 64x64), the anti-dissipative and learned schemes keep it sharp, and PLIC schemes reach about 1e-3. Every scheme conserves volume to rounding and keeps 0 <= alpha <= 1."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 20 s on one core")
    }
    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        let meshes = ctx.scale.pick(vec![32, 64], vec![32, 64, 128]);
        out.param("meshes", &meshes)
            .param("courant", 0.5)
            .param("radius", 0.2)
            .param("velocity", [1.0, 1.0]);
        let schemes = schemes_2d();
        let runs = convergence_study(&mut out, ctx, &schemes, &meshes, usize::MAX, &|n, s| {
            translation(n, s, 0.5)
        })?;
        let src =
            "independent NumPy implementation of the same split scheme (vof-ml notes), +-25 %";
        for (k, (name, _)) in schemes.iter().enumerate() {
            for r in &runs[k] {
                let reference = match (name.as_str(), r.n) {
                    ("upwind", 32) => Some(1.08e-1),
                    ("upwind", 64) => Some(8.16e-2),
                    ("upwind", 128) => Some(5.93e-2),
                    ("plic-youngs", 32) => Some(1.47e-3),
                    ("plic-youngs", 64) => Some(1.05e-3),
                    ("plic-youngs", 128) => Some(8.19e-4),
                    _ => None,
                };
                if let Some(v) = reference {
                    out.metrics.push(
                        Metric::new(format!("{name} E1 N={} vs reference", r.n), r.error)
                            .with_reference(v, src)
                            .with_check(Check::Rel(0.25)),
                    );
                }
            }
        }
        contour_figure(&mut out, "interfaces", &schemes, &runs);
        Ok(out)
    }
}

/// Rotation of Zalesak's slotted disk.
pub struct Zalesak;

impl Experiment for Zalesak {
    fn name(&self) -> &'static str {
        "vof-zalesak"
    }
    fn title(&self) -> &'static str {
        "One rotation of Zalesak's slotted disk"
    }
    fn paper(&self) -> &'static str {
        PAPER_2D
    }
    fn summary(&self) -> &'static str {
        "The slotted disk (radius 0.15, slot width 0.05) makes one solid-body turn about the centre of a closed unit square (Courant number 0.5 with respect to the largest speed). Sharp corners test how each scheme handles under-resolved features: geometric PLIC keeps the slot, upwind fills it, learned fluxes sit in between. Errors are reported without a published reference at this setting."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 5 min on one core")
    }
    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        let meshes = ctx.scale.pick(vec![48, 96], vec![100, 200]);
        out.param("meshes", &meshes)
            .param("courant", 0.5)
            .param("omega", 2.0 * std::f64::consts::PI);
        let schemes = schemes_2d();
        let runs = convergence_study(
            &mut out,
            ctx,
            &schemes,
            &meshes,
            ctx.scale.pick(48, usize::MAX),
            &|n, s| zalesak(n, s, 0.5),
        )?;
        contour_figure(&mut out, "interfaces", &schemes, &runs);
        Ok(out)
    }
}

/// The reversed single vortex with period 2.
pub struct Vortex;

impl Experiment for Vortex {
    fn name(&self) -> &'static str {
        "vof-vortex"
    }
    fn title(&self) -> &'static str {
        "Reversed single vortex (T = 2): errors and convergence orders"
    }
    fn paper(&self) -> &'static str {
        PAPER_2D
    }
    fn summary(&self) -> &'static str {
        "A disk of radius 0.15 at (0.5, 0.75) is stretched by the single vortex psi = sin^2(pi x) sin^2(pi y) cos(pi t / T) / pi and brought back at t = T = 2 (Courant number 0.5). Second-order reconstructions (ELVIRA, centred and mixed normals) converge at about second order in E1; Youngs normals and the learned fluxes converge more slowly; upwind is first order at best."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 5 min on one core")
    }
    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        let meshes = ctx.scale.pick(vec![32, 64, 128], vec![32, 64, 128, 256]);
        out.param("meshes", &meshes).param("courant", 0.5).param("period", 2.0);
        let schemes = schemes_2d();
        let runs = convergence_study(
            &mut out,
            ctx,
            &schemes,
            &meshes,
            ctx.scale.pick(64, usize::MAX),
            &|n, s| vortex(n, s, 0.5, 2.0),
        )?;
        if let Some(k) = schemes.iter().position(|(n, _)| n == "plic-elvira") {
            let h: Vec<f64> = meshes.iter().map(|&n| 1.0 / n as f64).collect();
            let e: Vec<f64> = runs[k].iter().map(|r| r.error).collect();
            out.metrics.push(Metric::new("plic-elvira order, required", fit_loglog(&h, &e).slope).with_reference(1.8, "second-order reconstruction (Pilliod & Puckett 2004); required at least 1.8").with_check(Check::AtLeast));
        }
        contour_figure(&mut out, "interfaces", &schemes, &runs);
        Ok(out)
    }
}

/// LeVeque's 3D deformation of a sphere.
pub struct Deformation;

impl Experiment for Deformation {
    fn name(&self) -> &'static str {
        "vof-deformation-3d"
    }
    fn title(&self) -> &'static str {
        "3D deformation of a sphere (LeVeque), back at t = 3"
    }
    fn paper(&self) -> &'static str {
        "M. Pintore, B. Després, A 3D machine learning based volume of fluid scheme without explicit interface reconstruction, arXiv:2507.05218 (2025); R. J. LeVeque, SIAM J. Numer. Anal. 33 (1996) 627-665"
    }
    fn summary(&self) -> &'static str {
        "A sphere of radius 0.15 at (0.35, 0.35, 0.35) is deformed by LeVeque's field with g(t) = cos(pi t / 3) and returns at t = 3 (Courant number 0.5). Split 3D schemes with the Weymouth-Yue correction conserve volume to rounding; errors and orders are reported for upwind, Després-Lagoutière, PLIC (Youngs, centred, mixed; ELVIRA at paper scale) and the shipped 3D learned flux."
    }
    fn paper_runtime(&self) -> Option<&'static str> {
        Some("more than 20 min on one core (64^3 with six schemes; not measured to the end)")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let mut out = ExperimentOutput::default();
        let meshes = ctx.scale.pick(vec![16, 32], vec![32, 64]);
        out.param("meshes", &meshes).param("courant", 0.5).param("period", 3.0);
        let mut schemes: Vec<(String, Scheme)> = [
            Scheme::Upwind,
            Scheme::DespresLagoutiere,
            Scheme::Plic(NormalMethod::Youngs),
            Scheme::Plic(NormalMethod::Centred),
            Scheme::Plic(NormalMethod::Mixed),
            Scheme::Plic(NormalMethod::Elvira),
        ]
        .into_iter()
        // 3D ELVIRA tries 27 candidate planes per cell: paper scale only.
        .filter(|s| {
            ctx.scale == megavolt_core::Scale::Paper
                || !matches!(s, Scheme::Plic(NormalMethod::Elvira))
        })
        .map(|s| (s.name(), s))
        .collect();
        schemes.push((
            "learned-shipped-3d".into(),
            Scheme::Learned(Arc::new(LearnedFlux::shipped_3d())),
        ));
        let runs = convergence_study(
            &mut out,
            ctx,
            &schemes,
            &meshes,
            ctx.scale.pick(16, usize::MAX),
            &|n, s| deformation(n, s, 0.5),
        )?;
        // Slices z = 0.35 (through the initial centre) of the final fields, finest mesh.
        let mut panels = Vec::new();
        for (k, (sname, _)) in schemes.iter().enumerate() {
            let Some(r) = runs[k].last() else { continue };
            let Ok(grid) = Grid2::unit(r.n, r.n) else { continue };
            let kz = ((0.35 * r.n as f64) as usize).min(r.n - 1);
            let slice = |f: &[f64]| f[kz * r.n * r.n..(kz + 1) * r.n * r.n].to_vec();
            let (x0, y0) = contour_points(&grid, &slice(&r.initial), 0.5);
            let (x1, y1) = contour_points(&grid, &slice(&r.last), 0.5);
            panels.push(
                Panel::new(format!("{sname}, N = {}", r.n), "x", "y")
                    .equal_aspect()
                    .curve(Curve::new("exact", x0, y0, Style::Points))
                    .curve(Curve::new("final", x1, y1, Style::Points)),
            );
        }
        out.figures.push(Figure::new("slices", "Interfaces (alpha = 1/2) in the slice z = 0.35 at t = 3 on the finest mesh, against the initial sphere.", panels));
        Ok(out)
    }
}

/// A flux rule: stencil and Courant number to swept-volume fraction.
type FluxRule<'a> = dyn Fn(&crate::normals::Block2, f64) -> f64 + 'a;

/// Mean absolute flux error of `f` on `n` fresh samples of one shape family.
fn flux_error(
    seed: megavolt_core::Seed,
    kind: crate::training::ShapeKind,
    n: usize,
    f: &dyn Fn(&crate::normals::Block2, f64) -> f64,
) -> crate::Result<f64> {
    let data = crate::training::generate_2d(n, seed, &[kind])?;
    let mut total = 0.0;
    for (x, t) in data.inputs.iter().zip(&data.targets) {
        // Undo the input order [beta, a(1,1), a(0,1), a(-1,1), a(1,0), ...].
        let mut a = [[0.0; 3]; 3];
        let mut k = 1;
        for y in (0..3).rev() {
            for xi in (0..3).rev() {
                a[xi][y] = x[k];
                k += 1;
            }
        }
        total += (f(&a, x[0]) - t).abs();
    }
    Ok(total / n as f64)
}

/// Training of a learned flux and local flux errors of every flux rule.
pub struct LearnedFluxExperiment;

impl Experiment for LearnedFluxExperiment {
    fn name(&self) -> &'static str {
        "vof-learned-flux"
    }
    fn title(&self) -> &'static str {
        "Learning a VOF flux: training curve and local flux errors on lines, circles and corners"
    }
    fn paper(&self) -> &'static str {
        "B. Després, H. Jourdren, Machine learning design of volume of fluid schemes for compressible flows, J. Comput. Phys. 408 (2020) 109275"
    }
    fn summary(&self) -> &'static str {
        "A network with hidden layers 80-40-20-10 is trained by Adam on exact swept-volume fractions of random lines, circles and corners crossing a 3x3 stencil. Its local flux error, after symmetrisation and the positivity limiter, is compared on fresh samples with the network shipped in the crate, the published network of Després and Jourdren (VOFML-19), PLIC with Youngs and ELVIRA normals, and upwind. The published network's golden value is checked as well."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 36 s on one core")
    }
    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        use crate::normals::normal_2d;
        use crate::plic::Plic2;
        use crate::training::{ShapeKind, TrainConfig, generate_2d, train};
        let mut out = ExperimentOutput::default();
        let (samples, epochs, n_test) = ctx.scale.pick((20000, 30, 400), (200000, 60, 1500));
        out.param("samples", samples)
            .param("epochs", epochs)
            .param("test_samples_per_family", n_test)
            .param("hidden", [80, 40, 20, 10]);
        ctx.progress(0.0, "generating data");
        let data = generate_2d(samples, ctx.seed.derive("data"), &ShapeKind::ALL)?;
        ctx.progress(0.2, "training");
        let cfg = TrainConfig { epochs, ..TrainConfig::default() }.validated()?;
        let (net, history) = train(&data, &cfg, ctx.seed.derive("train"))?;
        out.series.push(Series::new(
            "loss",
            vec![
                ("epoch", (1..=history.len()).map(|e| e as f64).collect()),
                ("loss", history.clone()),
            ],
        ));
        out.figures.push(Figure::new(
            "loss",
            "Mean training loss (half mean squared error) per epoch.",
            vec![Panel::new("training", "epoch", "loss").log(false, true).curve(Curve::new(
                "loss",
                (1..=history.len()).map(|e| e as f64).collect(),
                history.clone(),
                Style::Line,
            ))],
        ));
        out.metrics.push(Metric::new("final training loss", *history.last().unwrap_or(&f64::NAN)));
        let trained = LearnedFlux::new(net)?;
        let shipped = LearnedFlux::shipped_2d();
        let vofml = LearnedFlux::vofml19();
        let rules: Vec<(&str, Box<FluxRule<'_>>)> = vec![
            ("trained", Box::new(|a, b| trained.bounded_flux_2d(a, b))),
            ("shipped", Box::new(|a, b| shipped.bounded_flux_2d(a, b))),
            ("vofml19", Box::new(|a, b| vofml.bounded_flux_2d(a, b))),
            (
                "plic-youngs",
                Box::new(|a, b| {
                    Plic2::new(normal_2d(a, NormalMethod::Youngs), a[1][1])
                        .face_fraction(0, true, b)
                }),
            ),
            (
                "plic-elvira",
                Box::new(|a, b| {
                    Plic2::new(normal_2d(a, NormalMethod::Elvira), a[1][1])
                        .face_fraction(0, true, b)
                }),
            ),
            ("upwind", Box::new(|a, _| a[1][1])),
        ];
        let test_seed = ctx.seed.derive("test");
        for (k, kind) in ShapeKind::ALL.iter().enumerate() {
            ctx.progress(0.8 + 0.05 * k as f64, "evaluating");
            for (name, f) in &rules {
                let e = flux_error(test_seed, *kind, n_test, f.as_ref())?;
                out.metrics.push(Metric::new(format!("{name} mean flux error, {kind:?}"), e));
            }
        }
        let corner = [[0.0, 0.0, 0.0], [0.0, 0.25, 0.5], [0.0, 0.5, 1.0]];
        out.metrics.push(
            Metric::new("vofml19 corner flux, beta = 0.6", vofml.bounded_flux_2d(&corner, 0.6))
                .with_reference(0.4010428879650, "VOFML-19 test suite (test/runtests.jl)")
                .with_check(Check::Abs(1e-10)),
        );
        out.notes.push("Training-set circles have radii 0.5 to 6 cells and corners opening angles 45 to 171 degrees; beta ~ U(0, 1]. Flux errors include the positivity limiter of the upwind cell.".into());
        Ok(out)
    }
}
