//! Package version ordering, exactly as the package managers order.
//!
//! [`rpm`] holds `RpmEvr` and `Nevra` (rpm's `rpmvercmp` rules), [`deb`] holds `DebVersion`
//! (dpkg's rules). Both are structured values: parse once, compare many times.

pub mod deb;
pub mod rpm;

pub use deb::DebVersion;
pub use rpm::{Nevra, RpmEvr};

/// A version string that could not be parsed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VersionError {
    /// An RPM `[epoch:]version[-release]` that does not parse.
    #[error("invalid RPM version {input:?}: {reason}")]
    Rpm { input: String, reason: &'static str },
    /// An RPM `name-[epoch:]version-release.arch` that does not parse.
    #[error("invalid RPM package name {input:?}: {reason}")]
    Nevra { input: String, reason: &'static str },
    /// A Debian version that does not parse.
    #[error("invalid Debian version {input:?}: {reason}")]
    Deb { input: String, reason: String },
}

/// Renders an ordering as the one-character answer `vercmp` prints.
pub fn ordering_symbol(ord: std::cmp::Ordering) -> &'static str {
    match ord {
        std::cmp::Ordering::Less => "<",
        std::cmp::Ordering::Equal => "=",
        std::cmp::Ordering::Greater => ">",
    }
}
