//! patchscan: AWS Systems Manager Patch Manager's Linux baseline evaluation, offline.
//!
//! Readers turn a host's files into facts ([`host`]) and a repository set's files into an
//! update index ([`repo`]); the engine holds a [`baseline`] against both and decides one state
//! per patch; reporters render those decisions. See docs/architecture.md for the data flow.
//!
//! # The interface
//!
//! - One host end to end: [`scan()`] with [`ScanOptions`] gives a [`HostReport`] (or a
//!   [`ScanError`]); [`evaluate`] holds facts read elsewhere against an index.
//! - Its parts: [`host::facts::read_host`] (a [`RootFs`] of a directory or a tar archive) or
//!   [`host::source::read_inventory`]; [`repo::set::load_repo_set`]; [`baseline::load_for_os`]
//!   and [`baseline::predefined`].
//! - Fleets: [`fleet::manifest::Manifest`] and [`fleet::run::run`] into [`report::fleet`]
//!   sinks (Parquet, CSV, JSON Lines, AWS inventory payloads).
//! - Version ordering as rpm and dpkg decide it: [`version`].
//!
//! The leaf modules left out of these documents (`files`, `sqlite`, `deb822`, `apt_sources`)
//! are public for the project's own tests and benchmarks, not an interface to build on.

#![forbid(unsafe_code)]

#[doc(hidden)]
pub mod apt_sources;
pub mod baseline;
#[doc(hidden)]
pub mod deb822;
pub mod disk;
pub mod engine;
#[doc(hidden)]
pub mod files;
pub mod fleet;
pub mod host;
pub mod repo;
pub mod report;
pub mod scan;
#[doc(hidden)]
pub mod sqlite;
pub mod version;
pub mod vocab;

pub use files::rootfs::RootFs;
pub use report::model::HostReport;
pub use scan::{evaluate, scan, EvalOptions, ScanError, ScanOptions};

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
