//! Sampling of the initial weights, see [`Init`].

use faer::Mat;
use megavolt_core::rng::gaussian_mat;
use rand::Rng;

use crate::config::{Init, ResNetConfig};
use crate::params::ResNetParams;

/// Draws initial parameters for `config` from `rng`.
///
/// The order of draws is fixed: `A`, `B`, then the residual weights (all `W` then all `V` for
/// `Iid`; the Fourier coefficients of `W` then of `V` for `Smooth`; the shared `W` for `Tied`).
pub fn sample_params<R: Rng + ?Sized>(config: &ResNetConfig, rng: &mut R) -> ResNetParams {
    let (d, m, depth) = (config.dim(), config.hidden(), config.depth());
    let input_map = config.spec().input_dim.map(|p| gaussian_mat(rng, d, p, (p as f64).powf(-0.5)));
    let output_map =
        config.spec().output_dim.map(|q| gaussian_mat(rng, q, d, (d as f64).powf(-0.5)));
    let w_std = config.spec().gain / (d as f64).sqrt();
    let v_std = 1.0 / (m as f64).sqrt();
    let (w, v) = match config.init() {
        Init::Iid => {
            let w = (0..depth).map(|_| gaussian_mat(rng, m, d, w_std)).collect();
            let v = (0..depth).map(|_| gaussian_mat(rng, d, m, v_std)).collect();
            (w, v)
        }
        Init::Smooth { length_scale } => {
            let w_path = SmoothPath::sample(rng, m, d, w_std, length_scale);
            let v_path = SmoothPath::sample(rng, d, m, v_std, length_scale);
            let s = |k: usize| k as f64 / depth as f64;
            (
                (0..depth).map(|k| w_path.at(s(k))).collect(),
                (0..depth).map(|k| v_path.at(s(k))).collect(),
            )
        }
        Init::Tied => {
            let w0 = gaussian_mat(rng, m, d, w_std);
            (vec![w0; depth], vec![Mat::zeros(d, m); depth])
        }
    };
    ResNetParams { w, v, input_map, output_map }
}

/// A matrix-valued stationary Gaussian random function of depth time `s`, smooth in `s`: a
/// random Fourier series whose spectrum is that of a squared-exponential kernel with
/// correlation length `length_scale` (see [`Init::Smooth`]).
#[derive(Debug, Clone)]
pub struct SmoothPath {
    amplitudes: Vec<f64>,
    cos: Vec<Mat<f64>>,
    sin: Vec<Mat<f64>>,
}

impl SmoothPath {
    /// Draws a `nrows x ncols` path whose entries are `N(0, std^2)` at every `s`.
    ///
    /// # Panics
    /// If `length_scale` is not finite and positive.
    #[track_caller]
    pub fn sample<R: Rng + ?Sized>(
        rng: &mut R,
        nrows: usize,
        ncols: usize,
        std: f64,
        length_scale: f64,
    ) -> Self {
        assert!(
            length_scale.is_finite() && length_scale > 0.0,
            "SmoothPath: length_scale must be > 0"
        );
        // Frequencies whose weight exp(-2 (pi j l)^2) is above 1e-16 of the constant mode.
        let n_modes =
            1 + (18.4f64.sqrt() / (std::f64::consts::PI * length_scale)).floor().min(64.0) as usize;
        let raw: Vec<f64> = (0..n_modes)
            .map(|j| (-2.0 * (std::f64::consts::PI * j as f64 * length_scale).powi(2)).exp())
            .collect();
        let total: f64 = raw.iter().sum();
        let amplitudes = raw.iter().map(|r| std * (r / total).sqrt()).collect();
        let cos = (0..n_modes).map(|_| gaussian_mat(rng, nrows, ncols, 1.0)).collect();
        let sin = (0..n_modes).map(|_| gaussian_mat(rng, nrows, ncols, 1.0)).collect();
        Self { amplitudes, cos, sin }
    }

    /// The matrix at depth time `s`.
    pub fn at(&self, s: f64) -> Mat<f64> {
        let (r, c) = (self.cos[0].nrows(), self.cos[0].ncols());
        let mut out = Mat::zeros(r, c);
        for (j, a) in self.amplitudes.iter().enumerate() {
            let phase = 2.0 * std::f64::consts::PI * j as f64 * s;
            let (cj, sj) = (a * phase.cos(), a * phase.sin());
            for col in 0..c {
                for row in 0..r {
                    out[(row, col)] += cj * self.cos[j][(row, col)] + sj * self.sin[j][(row, col)];
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ResNetSpec;
    use megavolt_core::rng::Seed;

    #[test]
    fn tied_has_zero_v_and_equal_w() {
        let c = ResNetSpec { init: Init::Tied, ..ResNetSpec::new(3, 5, 7) }.build().unwrap();
        let p = sample_params(&c, &mut Seed::new(1).stream("init"));
        assert!(p.v.iter().all(|v| v.norm_l2() == 0.0));
        assert!(p.max_increment() == 0.0);
        assert!(p.w[0].norm_l2() > 0.0);
    }

    #[test]
    fn smooth_path_marginal_variance_and_smoothness() {
        // Marginal variance std^2 at every s, estimated over 4000 independent scalar paths.
        let mut rng = Seed::new(2).stream("smooth");
        let n = 4000;
        let path = SmoothPath::sample(&mut rng, n, 1, 0.5, 0.2);
        for s in [0.0, 0.37, 0.9] {
            let m = path.at(s);
            let var: f64 = (0..n).map(|i| m[(i, 0)].powi(2)).sum::<f64>() / n as f64;
            // Standard error of a variance estimate: std^2 sqrt(2/n).
            assert!((var - 0.25).abs() < 5.0 * 0.25 * (2.0 / n as f64).sqrt(), "s = {s}: {var}");
        }
        // Increments scale like the depth step.
        let d1 = (path.at(0.51) - path.at(0.5)).norm_l2();
        let d2 = (path.at(0.502) - path.at(0.5)).norm_l2();
        assert!((d1 / d2 - 5.0).abs() < 0.1, "{}", d1 / d2);
    }
}
