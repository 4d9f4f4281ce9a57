//! The `megavolt reproduce` experiments of this crate.
//!
//! | name | what it shows |
//! |---|---|
//! | `sphere-clustering` | SA on `S^2` from a uniform start: cluster count over time and collapse, `beta` in {1, 4, 9} |
//! | `equiangular-closed-form` | orthonormal tokens follow the scalar equiangular ODE; closed form at `beta = 0` |
//! | `hardmax` | Frank–Wolfe hardmax steps: fixed vertices, straight-line contraction (PSD), contraction (NSD) |
//! | `role-of-v` | R^d model with V = I, -I, diag(1, 1/2): polytope, origin, hyperplanes |
//! | `hemisphere-collapse` | tokens in a hemisphere reach diameter eps in time ~ log(1/eps) |
//! | `single-location-regression` | attention predictor trained by projected SGD recovers k*, v*; linear baseline |
//! | `metastability` | merge times of tight groups on the circle (located events), fit of `log T` against `beta`, staircase |

mod equiangular;
mod hardmax;
mod hemisphere;
mod metastability;
mod role_of_v;
mod single_location;
mod sphere_clustering;

pub use equiangular::EquiangularClosedForm;
pub use hardmax::HardmaxExperiment;
pub use hemisphere::HemisphereCollapse;
pub use metastability::Metastability;
pub use role_of_v::RoleOfV;
pub use single_location::SingleLocation;
pub use sphere_clustering::SphereClustering;

use megavolt_core::Experiment;

/// Every experiment of the crate.
pub fn all() -> Vec<Box<dyn Experiment>> {
    vec![
        Box::new(SphereClustering),
        Box::new(EquiangularClosedForm),
        Box::new(Metastability),
        Box::new(HardmaxExperiment),
        Box::new(RoleOfV),
        Box::new(HemisphereCollapse),
        Box::new(SingleLocation),
    ]
}

/// `format!` of a float parameter for names: `4` rather than `4.0`.
pub(crate) fn fmt_num(v: f64) -> String {
    format!("{v}")
}
