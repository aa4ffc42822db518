//! The operating systems of Patch Manager's API (`OperatingSystem`), shared by the readers
//! (which identify a host) and the policy (whose baselines name one).

use std::fmt;

use serde::Serialize;

/// `OperatingSystem` (spec §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperatingSystem {
    Windows,
    AmazonLinux,
    AmazonLinux2,
    AmazonLinux2022,
    AmazonLinux2023,
    Ubuntu,
    RedhatEnterpriseLinux,
    Suse,
    Centos,
    OracleLinux,
    Debian,
    Macos,
    Raspbian,
    RockyLinux,
    AlmaLinux,
}

/// The package-manager family that decides how a baseline is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OsFamily {
    /// yum/dnf with `updateinfo.xml`.
    Rpm,
    /// zypper patches.
    Suse,
    /// APT (Debian, Ubuntu, Raspberry Pi OS).
    Apt,
    /// Windows or macOS: valid AWS baselines that patchscan does not evaluate.
    NotLinux,
}

impl OperatingSystem {
    /// Every value, in the API's order.
    pub const ALL: [OperatingSystem; 15] = [
        Self::Windows,
        Self::AmazonLinux,
        Self::AmazonLinux2,
        Self::AmazonLinux2022,
        Self::Ubuntu,
        Self::RedhatEnterpriseLinux,
        Self::Suse,
        Self::Centos,
        Self::OracleLinux,
        Self::Debian,
        Self::Macos,
        Self::Raspbian,
        Self::RockyLinux,
        Self::AlmaLinux,
        Self::AmazonLinux2023,
    ];

    /// The API spelling, e.g. `AMAZON_LINUX_2023`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Windows => "WINDOWS",
            Self::AmazonLinux => "AMAZON_LINUX",
            Self::AmazonLinux2 => "AMAZON_LINUX_2",
            Self::AmazonLinux2022 => "AMAZON_LINUX_2022",
            Self::AmazonLinux2023 => "AMAZON_LINUX_2023",
            Self::Ubuntu => "UBUNTU",
            Self::RedhatEnterpriseLinux => "REDHAT_ENTERPRISE_LINUX",
            Self::Suse => "SUSE",
            Self::Centos => "CENTOS",
            Self::OracleLinux => "ORACLE_LINUX",
            Self::Debian => "DEBIAN",
            Self::Macos => "MACOS",
            Self::Raspbian => "RASPBIAN",
            Self::RockyLinux => "ROCKY_LINUX",
            Self::AlmaLinux => "ALMA_LINUX",
        }
    }

    /// Parses the API spelling (exact, as AWS does).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|os| os.as_str() == s)
    }

    /// The evaluation family.
    pub fn family(self) -> OsFamily {
        match self {
            Self::Windows | Self::Macos => OsFamily::NotLinux,
            Self::Ubuntu | Self::Debian | Self::Raspbian => OsFamily::Apt,
            Self::Suse => OsFamily::Suse,
            _ => OsFamily::Rpm,
        }
    }

    /// Whether `ApproveAfterDays`/`ApproveUntilDate` mean anything (not on APT systems).
    pub fn supports_approval_dates(self) -> bool {
        self.family() != OsFamily::Apt
    }
}

impl fmt::Display for OperatingSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OperatingSystem {
    /// Parses a user's spelling (`--os`, a manifest's `os`), the error listing the Linux
    /// systems patchscan evaluates.
    pub fn parse_arg(s: &str) -> Result<Self, String> {
        Self::parse(s).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL
                .iter()
                .filter(|o| o.family() != OsFamily::NotLinux)
                .map(|o| o.as_str())
                .collect();
            format!(
                "unknown operating system {s:?} (known: {})",
                known.join(", ")
            )
        })
    }
}
