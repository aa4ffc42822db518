//! A host's compliance status, as `AWS:ComplianceItem` and patchscan's tables spell it.

use std::fmt;

/// `COMPLIANT`, `NON_COMPLIANT`, or `SCAN_FAILED` (a host that could not be evaluated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComplianceStatus {
    Compliant,
    NonCompliant,
    ScanFailed,
}

impl ComplianceStatus {
    /// Every value, in this order in reports.
    pub const ALL: [ComplianceStatus; 3] = [Self::Compliant, Self::NonCompliant, Self::ScanFailed];

    /// The spelling in AWS's compliance data and in patchscan's tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "COMPLIANT",
            Self::NonCompliant => "NON_COMPLIANT",
            Self::ScanFailed => "SCAN_FAILED",
        }
    }

    /// Parses the spelling (exact).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ComplianceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
