//! Every experiment of the workspace, in report order.

use megavolt_core::Experiment;

/// An experiment with the crate that implements it.
pub struct Entry {
    /// Crate name.
    pub crate_name: &'static str,
    /// The experiment.
    pub experiment: Box<dyn Experiment>,
}

fn tag(crate_name: &'static str, list: Vec<Box<dyn Experiment>>) -> impl Iterator<Item = Entry> {
    list.into_iter().map(move |experiment| Entry { crate_name, experiment })
}

/// All registered experiments.
pub fn all() -> Vec<Entry> {
    let mut v: Vec<Entry> = Vec::new();
    v.extend(tag("attention-flow", attention_flow::experiments()));
    v.extend(tag("resnet-ode", resnet_ode::experiments()));
    v.extend(tag("dln-lasso", dln_lasso::experiments()));
    v.extend(tag("two-timescale", two_timescale::experiments()));
    v.extend(tag("vof-ml", vof_ml::experiments()));
    v.extend(tag("lipschitz", lipschitz::experiments()));
    v.extend(tag("pinn", pinn::experiments()));
    v
}
