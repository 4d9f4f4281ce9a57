//! LipSDP (placeholder until the solver interface is written).
