//! Package version ordering, exactly as the package managers order.
//!
//! [`rpm`] holds `RpmEvr` and `Nevra` (rpm's `rpmvercmp` rules), [`deb`] holds `DebVersion`
//! (dpkg's rules). Both are structured values: parse once, compare many times.

pub mod deb;
pub mod rpm;

pub use deb::DebVersion;
pub use rpm::{Nevra, RpmEvr};

/// An installed or available version in its package family's terms, as decisions and
/// reports carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageVersion {
    Rpm(RpmEvr),
    Deb(DebVersion),
}

impl PackageVersion {
    /// As Patch Manager prints it in titles: RPM `epoch:version-release` (epoch always),
    /// Debian the version as dpkg prints it (epoch only when set).
    pub fn to_full_string(&self) -> String {
        match self {
            PackageVersion::Rpm(e) => e.to_full_string(),
            PackageVersion::Deb(v) => v.as_str().to_string(),
        }
    }

    /// The RPM version, for RPM-family decisions.
    pub fn as_rpm(&self) -> Option<&RpmEvr> {
        match self {
            PackageVersion::Rpm(e) => Some(e),
            PackageVersion::Deb(_) => None,
        }
    }

    /// The Debian version, for APT decisions.
    pub fn as_deb(&self) -> Option<&DebVersion> {
        match self {
            PackageVersion::Deb(v) => Some(v),
            PackageVersion::Rpm(_) => None,
        }
    }
}

impl std::fmt::Display for PackageVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_full_string())
    }
}

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
