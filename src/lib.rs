//! patchscan: AWS Systems Manager Patch Manager's Linux baseline evaluation, offline.
//!
//! Readers turn a host's files into facts ([`host`]) and a repository set's files into an
//! update index ([`repo`]); the engine holds a [`baseline`] against both and decides one state
//! per patch; reporters render those decisions. See docs/architecture.md for the data flow.

#![forbid(unsafe_code)]

pub mod apt_sources;
pub mod baseline;
pub mod deb822;
pub mod engine;
pub mod files;
pub mod fleet;
pub mod host;
pub mod repo;
pub mod report;
pub mod scan;
pub mod sqlite;
pub mod version;
pub mod vocab;

/// Process exit codes shared by every command.
pub mod exit {
    /// Done, and where the command judges, all good.
    pub const OK: i32 = 0;
    /// The judgement failed: an invalid baseline, or `--fail-on` met.
    pub const JUDGEMENT_FAILED: i32 = 1;
    /// Usage error or unreadable input.
    pub const USAGE_OR_INPUT: i32 = 2;
    /// Partial: some fleet hosts could not be scanned; every other result was written.
    pub const PARTIAL: i32 = 3;
}
