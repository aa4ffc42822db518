//! Warnings with stable codes: what a scan says when it evaluated the host but something may
//! make the answer less than it seems (stale metadata, a baseline that shuts the host out, …).
//! The code is for scripts and tables (`--fail-on warnings` counts any), the message for people.
//! Codes are never renamed; a new case gets a new code.

use serde::Serialize;

/// A warning's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningCode {
    /// The baseline's validation warned (an ID-shaped entry in RejectedPatches, …).
    Baseline,
    /// The baseline's PRODUCT filters (global, or every rule's) leave the host's product out.
    ProductExcludesHost,
    /// A baseline patch-list entry matched nothing in this scan.
    UnusedBaselineEntry,
    /// None of the host's installed packages is offered by the repositories.
    UnrelatedRepositories,
    /// Repository metadata (repomd timestamp or Release date) is older than the age limit.
    StaleMetadata,
    /// Repository metadata has no date.
    UndatedMetadata,
    /// An apt Release's Valid-Until has passed.
    ReleaseExpired,
    /// An apt list has no Release or InRelease beside it.
    ListWithoutRelease,
    /// A Debian/Ubuntu host configures no apt sources: every list counts.
    NoAptSources,
}

impl WarningCode {
    /// Every code, in the order the documentation lists them.
    pub const ALL: [WarningCode; 9] = [
        WarningCode::Baseline,
        WarningCode::ProductExcludesHost,
        WarningCode::UnusedBaselineEntry,
        WarningCode::UnrelatedRepositories,
        WarningCode::StaleMetadata,
        WarningCode::UndatedMetadata,
        WarningCode::ReleaseExpired,
        WarningCode::ListWithoutRelease,
        WarningCode::NoAptSources,
    ];

    /// The stable spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::Baseline => "baseline",
            WarningCode::ProductExcludesHost => "product-excludes-host",
            WarningCode::UnusedBaselineEntry => "unused-baseline-entry",
            WarningCode::UnrelatedRepositories => "unrelated-repositories",
            WarningCode::StaleMetadata => "stale-metadata",
            WarningCode::UndatedMetadata => "undated-metadata",
            WarningCode::ReleaseExpired => "release-expired",
            WarningCode::ListWithoutRelease => "list-without-release",
            WarningCode::NoAptSources => "no-apt-sources",
        }
    }
}

impl Serialize for WarningCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for WarningCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One warning: `{"Code": "stale-metadata", "Message": "…"}` in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
}

impl Warning {
    pub fn new(code: WarningCode, message: impl Into<String>) -> Self {
        Warning {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    /// `message [code]`, as stderr shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_kebab_case_and_all_listed() {
        let mut seen = std::collections::HashSet::new();
        for c in WarningCode::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{s}"
            );
        }
        assert_eq!(seen.len(), 9);
        let json = serde_json::to_string(&Warning::new(WarningCode::StaleMetadata, "x")).unwrap();
        assert_eq!(json, r#"{"Code":"stale-metadata","Message":"x"}"#);
    }
}
