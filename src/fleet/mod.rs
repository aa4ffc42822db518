//! Fleets: a manifest of repository sets, baselines, patch-group registrations and hosts
//! ([`manifest`]), and the parallel run over one shared index per repository set ([`run`](mod@run)).

pub mod manifest;
pub mod run;

pub use manifest::{HostEntry, Manifest, ManifestError};
pub use run::{run, FleetError, RunOptions, RunSummary};
