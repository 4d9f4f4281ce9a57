//! The error type of `bench-suite`.
//!
//! Most failures of the `megavolt` command are I/O errors carried by `anyhow` with the path in
//! their context; the variants here are the ones a caller may want to tell apart (for example,
//! `check` keeps going with a warning when the report cannot be regenerated because the
//! directory mixes settings).

use std::path::PathBuf;

use thiserror::Error;

/// Errors of the `megavolt` command that name their cause.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An output directory holds results of more than one seed or scale, so one report would
    /// mix settings.
    #[error(
        "{} mixes results of different settings ({}): a report holds one seed and one scale; \
         move the odd experiments to another directory, or re-run with `megavolt reproduce \
         --seed N --scale S --force --out {}`, which removes the results of other settings",
        dir.display(),
        groups.join("; "),
        dir.display()
    )]
    MixedSettings {
        /// The output directory.
        dir: PathBuf,
        /// One entry per setting, e.g. `seed 42 / scale quick: hardmax, role-of-v`.
        groups: Vec<String>,
    },
    /// The Python interpreter of the peers cannot be started, or does not answer as Python 3.
    #[error("the Python interpreter {interpreter} cannot be run: {reason}")]
    InterpreterUnavailable {
        /// The interpreter as configured, e.g. `MEGAVOLT_PYTHON=/usr/bin/python3.12`.
        interpreter: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The interpreter runs, but a peer's Python package is not installed for it.
    #[error(
        "peer package `{package}` is not installed for {interpreter}: run `{program} -m pip \
         install -r {}`",
        requirements.display()
    )]
    PeerPackageMissing {
        /// The Python package, as named in `requirements.txt`.
        package: String,
        /// The interpreter as configured.
        interpreter: String,
        /// The interpreter's program, as run.
        program: String,
        /// The peers' `requirements.txt`.
        requirements: PathBuf,
    },
}
