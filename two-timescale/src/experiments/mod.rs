//! The `megavolt reproduce` experiments of this crate.
//!
//! | name | what it shows |
//! |---|---|
//! | `two-timescale-sgd-vs-limit` | SGD positions follow the sharp limit; every jump covered; loss at the floor |
//! | `two-timescale-standard-regime` | with equal step sizes, some runs leave a jump uncovered |
//! | `two-timescale-epsilon-sweep` | final loss against `eps` over 20 seeds |
//! | `two-timescale-variable-selection` | additive model in 2 and 10 dimensions |
//! | `two-timescale-init-redraw` | the two-neurons-per-piece condition and re-draws |

mod epsilon_sweep;
mod init_redraw;
mod sgd_vs_limit;
mod standard_regime;
mod variable_selection;

pub use epsilon_sweep::EpsilonSweep;
pub use init_redraw::InitRedraw;
pub use sgd_vs_limit::SgdVsLimit;
pub use standard_regime::StandardRegime;
pub use variable_selection::VariableSelection;

/// The paper: authors, title, venue.
pub(crate) const PAPER: &str = "P. Marion, R. Berthier, \"Leveraging the two-timescale regime to \
demonstrate convergence of neural networks\", NeurIPS 2023 (arXiv:2304.09576)";

/// Width of the units in the paper's experiments.
pub(crate) const ETA: f64 = 4e-3;
/// Number of units in the paper's experiments.
pub(crate) const WIDTH: usize = 20;

/// Every experiment of the crate, in report order.
pub fn experiments() -> Vec<Box<dyn megavolt_core::Experiment>> {
    vec![
        Box::new(SgdVsLimit),
        Box::new(StandardRegime),
        Box::new(EpsilonSweep),
        Box::new(VariableSelection),
        Box::new(InitRedraw),
    ]
}

/// Admissible initial positions for member `k` of an ensemble.
pub(crate) fn admissible(
    seed: megavolt_core::Seed,
    k: u64,
    target: &crate::target::PiecewiseConstant,
) -> crate::Result<crate::init::AdmissibleDraw> {
    crate::init::draw_admissible(
        seed.derive(&format!("member-{k}")),
        "init",
        target,
        WIDTH,
        2,
        100_000,
    )
}

/// Median of a non-empty slice.
pub(crate) fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 { s[n / 2] } else { 0.5 * (s[n / 2 - 1] + s[n / 2]) }
}
