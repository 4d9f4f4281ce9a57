//! `early-stopping`: test error against the stopping time and against `1/lambda`.

use megavolt_core::experiment::{
    Curve, Experiment, ExperimentError, ExperimentOutput, Figure, Metric, Panel, RunContext,
    Series, Style,
};
use megavolt_core::stats::mean_se;

use crate::data::Dataset;
use crate::gd::{GdConfig, GradientDescent};
use crate::lars::lasso_path;
use crate::problem::LossScaling;
use crate::synthetic::SparseRegression;

/// Early stopping of a diagonal network against the lasso on a sparse regression.
///
/// Data: [`SparseRegression`] with `n = 100` training samples, `p = 50` features of correlation
/// `0.5^|j-k|`, 5 non-zero coefficients of size 1 to 2 and noise of standard deviation 0.5
/// (test set of 1000). The network is trained by gradient descent (`log(1/eps) = 20`, step
/// `0.02`, Pesme–Flammarion initialisation); its test error at the rescaled time `s` is compared
/// with the lasso's at `lambda = 1/s` (exact path). Training time plays the role of `1/lambda`:
/// the time average `xbar(s)` has nearly the test error of `lasso(1/s)` at every `s`, while the
/// last iterate `x(s)`, which sits at the saddle ahead of the lasso path
/// (`x = x_lasso - lambda d x_lasso / d lambda` in the limit), reaches its best error earlier.
///
/// | setting | quick | paper |
/// |---|---|---|
/// | data sets (seeds) | 2 | 10 |
#[derive(Debug, Clone, Copy, Default)]
pub struct EarlyStopping;

fn test_mse(test: &Dataset, x: &[f64]) -> f64 {
    let n = test.n_samples();
    (0..n)
        .map(|i| {
            let pred: f64 = x.iter().enumerate().map(|(j, v)| test.x[(i, j)] * v).sum();
            (test.y[i] - pred).powi(2)
        })
        .sum::<f64>()
        / n as f64
}

impl Experiment for EarlyStopping {
    fn name(&self) -> &'static str {
        "early-stopping"
    }
    fn title(&self) -> &'static str {
        "Test error against early-stopping time (network) and against 1/lambda (lasso)"
    }
    fn paper(&self) -> &'static str {
        "R. Berthier, Diagonal Linear Networks and the Lasso Regularization Path, 2025"
    }
    fn summary(&self) -> &'static str {
        "On a sparse linear regression with correlated features, the test error of a diagonal linear \
         network trained by gradient descent from a small initialisation, as a function of the stopping \
         time s = 2t/log(1/eps), is compared with the test error of the lasso as a function of 1/lambda. \
         The time-averaged network has nearly the lasso's test error at every s = 1/lambda: stopping \
         early acts like a stronger l1 penalty. The last iterate runs ahead of the lasso path and reaches \
         its best error earlier."
    }

    fn paper_runtime(&self) -> Option<&'static str> {
        Some("about 5 s on one core")
    }

    fn run(&self, ctx: &RunContext<'_>) -> Result<ExperimentOutput, ExperimentError> {
        let data_gen = SparseRegression::default();
        let n_seeds = ctx.scale.pick(2, 10);
        let (l, gamma) = (20.0, 0.02);
        let mut out = ExperimentOutput::default();
        out.param("data", data_gen)
            .param("log_inv_eps", l)
            .param("step_size", gamma)
            .param("seeds", n_seeds);
        let n_rec = 2000;
        let mut curves_x: Vec<Vec<f64>> = Vec::new();
        let mut curves_xbar: Vec<Vec<f64>> = Vec::new();
        let mut curves_lasso: Vec<Vec<f64>> = Vec::new();
        let mut s_grid = Vec::new();
        let (mut best_gd, mut best_lasso, mut best_s_gd, mut best_s_lasso) =
            (vec![], vec![], vec![], vec![]);
        for k in 0..n_seeds {
            ctx.progress(k as f64 / n_seeds as f64, &format!("data set {k}"));
            let sample = data_gen.generate(ctx.seed.derive(&format!("data/{k}")))?;
            let problem = sample.train.problem(LossScaling::Mean)?;
            let path = lasso_path(&problem)?;
            // Up to s = 100 / lambda_max, i.e. lambda down to lambda_max / 100.
            let s_max = 100.0 / problem.lambda_max();
            let n_iters = (s_max * l / (2.0 * gamma)).ceil() as usize;
            let gd = GradientDescent::new(GdConfig {
                step_size: gamma,
                log_inv_eps: l,
                record_every: (n_iters / n_rec).max(1),
                ..GdConfig::default()
            })?;
            let tr = gd.run(&problem, n_iters)?;
            // Times in units of 1/lambda_max so that seeds can be averaged.
            let rel_s: Vec<f64> = tr.s.iter().map(|s| s * problem.lambda_max()).collect();
            let ex: Vec<f64> = tr.x.iter().map(|x| test_mse(&sample.test, x)).collect();
            let exb: Vec<f64> = tr.xbar.iter().map(|x| test_mse(&sample.test, x)).collect();
            let el: Vec<f64> =
                tr.s.iter()
                    .map(|&s| {
                        if s > 0.0 {
                            test_mse(&sample.test, &path.at(1.0 / s))
                        } else {
                            test_mse(&sample.test, &vec![0.0; data_gen.p])
                        }
                    })
                    .collect();
            let argmin = |v: &[f64]| {
                v.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap_or(0)
            };
            let (ig, il) = (argmin(&ex), argmin(&el));
            best_gd.push(ex[ig]);
            best_lasso.push(el[il]);
            best_s_gd.push(rel_s[ig]);
            best_s_lasso.push(rel_s[il]);
            if k == 0 {
                s_grid = rel_s;
            }
            let m = s_grid.len().min(ex.len());
            curves_x.push(ex[..m].to_vec());
            curves_xbar.push(exb[..m].to_vec());
            curves_lasso.push(el[..m].to_vec());
        }
        let m = curves_x.iter().map(Vec::len).min().unwrap_or(0);
        s_grid.truncate(m);
        let avg = |c: &[Vec<f64>]| -> Vec<f64> {
            (0..m).map(|i| c.iter().map(|v| v[i]).sum::<f64>() / c.len() as f64).collect()
        };
        let (ax, axb, al) = (avg(&curves_x), avg(&curves_xbar), avg(&curves_lasso));
        let (mg, ml) = (mean_se(&best_gd), mean_se(&best_lasso));
        out.metrics.push(
            Metric::new("best test MSE, network x(s) (mean over data sets)", mg.mean)
                .with_std_error(mg.std_error),
        );
        out.metrics.push(
            Metric::new("best test MSE, lasso(1/s) (mean over data sets)", ml.mean)
                .with_std_error(ml.std_error),
        );
        out.metrics.push(Metric::new(
            "noise variance (Bayes test MSE)",
            data_gen.noise_std * data_gen.noise_std,
        ));
        let late: Vec<usize> = (0..m).filter(|&i| s_grid[i] >= 5.0).collect();
        let gap = late.iter().fold(0.0_f64, |g, &i| g.max((axb[i] - al[i]).abs() / al[i]));
        out.metrics.push(Metric::new(
            "max relative difference of test MSE, xbar(s) against lasso(1/s), s lambda_max >= 5",
            gap,
        ));
        let (sg, sl) = (mean_se(&best_s_gd), mean_se(&best_s_lasso));
        out.metrics.push(
            Metric::new("best stopping time s * lambda_max, network", sg.mean)
                .with_std_error(sg.std_error),
        );
        out.metrics.push(
            Metric::new("best 1/lambda * lambda_max, lasso", sl.mean).with_std_error(sl.std_error),
        );

        let s_pos: Vec<usize> = (0..m).filter(|&i| s_grid[i] > 0.0).collect();
        let pick = |v: &[f64]| -> Vec<f64> { s_pos.iter().map(|&i| v[i]).collect() };
        let xs = pick(&s_grid);
        let panel = Panel::new(
            "test error",
            "s * lambda_max (network) = lambda_max / lambda (lasso)",
            "test MSE",
        )
        .log(true, true)
        .curve(Curve::new("network x(s), gradient descent", xs.clone(), pick(&ax), Style::Line))
        .curve(Curve::new("network time average xbar(s)", xs.clone(), pick(&axb), Style::Line))
        .curve(Curve::new("lasso(1/s)", xs.clone(), pick(&al), Style::Dashed));
        out.figures.push(Figure::new(
            "early_stopping",
            "Test error of a diagonal network stopped at time s and of the lasso at lambda = 1/s (means over data sets).",
            vec![panel],
        ));
        out.series.push(Series::new(
            "test_error",
            vec![
                ("s_times_lambda_max", s_grid),
                ("network_x", ax),
                ("network_xbar", axb),
                ("lasso", al),
            ],
        ));
        Ok(out)
    }
}
