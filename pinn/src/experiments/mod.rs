//! Paper reproductions run by `megavolt reproduce`.
//!
//! | name | what it shows |
//! |---|---|
//! | `pikl-oscillator-rates` | PIKL reaches a faster rate than the Sobolev-only fit when the prior is right |
//! | `pikl-wave` | PIKL as a solver of the wave equation from initial and boundary data |
//! | `pikl-advection` | PIKL solves periodic advection to near machine precision |
//! | `pinn-vs-pikl-heat` | a PINN and PIKL on the heat equation: error and time |
//! | `pinn-overfitting` | the steep-network counterexample and regularised PINNs on growing data |

use megavolt_core::Experiment;

mod advection;
mod heat_compare;
mod overfitting;
mod rates;
mod wave;

pub use advection::AdvectionExperiment;
pub use heat_compare::HeatComparison;
pub use overfitting::OverfittingExperiment;
pub use rates::OscillatorRates;
pub use wave::WaveExperiment;

/// Every experiment of the crate, in report order.
pub fn experiments() -> Vec<Box<dyn Experiment>> {
    vec![
        Box::new(OscillatorRates),
        Box::new(WaveExperiment),
        Box::new(AdvectionExperiment),
        Box::new(HeatComparison),
        Box::new(OverfittingExperiment),
    ]
}

const PIKL_PAPER: &str =
    "N. Doumèche, F. Bach, G. Biau, C. Boyer, Physics-informed kernel learning, JMLR 26 (2025)";
const PINN_PAPER: &str =
    "N. Doumèche, G. Biau, C. Boyer, On the convergence of PINNs, Bernoulli 31 (2025)";
