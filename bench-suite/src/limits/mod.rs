//! The discrete-to-continuous limits that `megavolt check` evaluates, one module per crate.

use crate::check::Limit;

pub mod attention_flow;
pub mod dln_lasso;
pub mod lipschitz;
pub mod pinn;
pub mod resnet_ode;
pub mod two_timescale;
pub mod vof_ml;

/// Every limit, in table order.
pub fn all() -> Vec<Limit> {
    let mut v = Vec::new();
    v.extend(attention_flow::limits());
    v.extend(resnet_ode::limits());
    v.extend(dln_lasso::limits());
    v.extend(two_timescale::limits());
    v.extend(vof_ml::limits());
    v.extend(lipschitz::limits());
    v.extend(pinn::limits());
    v
}
