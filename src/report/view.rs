//! The fleet view `patchscan report` prints: computed from the Parquet tables by
//! [`crate::report::parquet::read_fleet_view`], rendered here as text or JSON.

use crate::report::table::Padded;
use std::fmt::Write as _;

use serde::Serialize;

/// The whole fleet at a glance. This type is the schema of `report --format json`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct FleetView {
    pub hosts: i64,
    pub compliant: i64,
    pub non_compliant: i64,
    pub scan_failed: i64,
    /// Non-compliant hosts by `NonCompliantSeverity`, worst first.
    pub non_compliant_by_severity: Vec<Count>,
    pub by_operating_system: Vec<GroupRow>,
    pub by_patch_group: Vec<GroupRow>,
    pub by_baseline: Vec<GroupRow>,
    /// Advisories of Missing patches, on the most hosts first.
    pub top_missing_advisories: Vec<AdvisoryRow>,
    /// Hosts with the most critical non-compliant patches.
    pub most_critical_hosts: Vec<HostRow>,
    pub failed_hosts: Vec<FailedHost>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Count {
    pub key: String,
    pub hosts: i64,
}

/// Hosts of one operating system, patch group or baseline.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRow {
    pub key: String,
    pub hosts: i64,
    pub compliant: i64,
    pub non_compliant: i64,
    pub scan_failed: i64,
    pub missing_patches: i64,
    pub critical_non_compliant_patches: i64,
}

/// One advisory whose patches are Missing somewhere.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AdvisoryRow {
    pub advisory_id: String,
    /// Hosts missing a patch of it.
    pub hosts: i64,
    /// Of those, the hosts whose baseline counts the patch CRITICAL (compliance level).
    pub critical_hosts: i64,
    /// The highest vendor severity among the advisory's missing patches.
    pub vendor_severity: String,
    pub classification: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct HostRow {
    pub instance_id: String,
    pub operating_system: String,
    pub patch_group: String,
    pub critical_non_compliant_count: i64,
    pub security_non_compliant_count: i64,
    pub missing_count: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct FailedHost {
    pub instance_id: String,
    pub source: String,
    pub error: String,
}

fn groups(out: &mut String, title: &str, rows: &[GroupRow]) {
    let _ = writeln!(out, "\n{title}");
    let width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0).max(10);
    let _ = writeln!(
        out,
        "  {}  {:>6}  {:>9}  {:>13}  {:>6}  {:>7}  {:>8}",
        Padded("", width),
        "hosts",
        "compliant",
        "non-compliant",
        "failed",
        "missing",
        "critical"
    );
    for r in rows {
        let key = if r.key.is_empty() { "(none)" } else { &r.key };
        let _ = writeln!(
            out,
            "  {}  {:>6}  {:>9}  {:>13}  {:>6}  {:>7}  {:>8}",
            Padded(key, width),
            r.hosts,
            r.compliant,
            r.non_compliant,
            r.scan_failed,
            r.missing_patches,
            r.critical_non_compliant_patches
        );
    }
}

impl FleetView {
    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let pct = |n: i64| {
            if self.hosts == 0 {
                0.0
            } else {
                100.0 * n as f64 / self.hosts as f64
            }
        };
        let _ = writeln!(
            out,
            "Fleet: {} hosts — {} compliant ({:.0}%), {} non-compliant ({:.0}%), {} could not be scanned",
            self.hosts,
            self.compliant,
            pct(self.compliant),
            self.non_compliant,
            pct(self.non_compliant),
            self.scan_failed
        );
        if !self.non_compliant_by_severity.is_empty() {
            let parts: Vec<String> = self
                .non_compliant_by_severity
                .iter()
                .map(|c| format!("{} {}", c.hosts, c.key))
                .collect();
            let _ = writeln!(out, "Non-compliant by severity: {}", parts.join(", "));
        }
        groups(&mut out, "By operating system", &self.by_operating_system);
        groups(&mut out, "By patch group", &self.by_patch_group);
        groups(&mut out, "By baseline", &self.by_baseline);
        if !self.top_missing_advisories.is_empty() {
            let _ = writeln!(out, "\nAdvisories missing on the most hosts");
            let width = self
                .top_missing_advisories
                .iter()
                .map(|a| a.advisory_id.len())
                .max()
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "  {}  {:>5}  {:>13}  {:10}  classification",
                Padded("advisory", width),
                "hosts",
                "critical on",
                "severity"
            );
            for a in &self.top_missing_advisories {
                let _ = writeln!(
                    out,
                    "  {}  {:>5}  {:>13}  {:10}  {}",
                    Padded(&a.advisory_id, width),
                    a.hosts,
                    a.critical_hosts,
                    if a.vendor_severity.is_empty() {
                        "-"
                    } else {
                        &a.vendor_severity
                    },
                    a.classification
                );
            }
        }
        if !self.most_critical_hosts.is_empty() {
            let _ = writeln!(out, "\nHosts with the most critical missing patches");
            let width = self
                .most_critical_hosts
                .iter()
                .map(|h| h.instance_id.len())
                .max()
                .unwrap_or(0);
            for h in &self.most_critical_hosts {
                let _ = writeln!(
                    out,
                    "  {}  {:>3} critical  {:>3} security  {:>3} missing  {} {}",
                    Padded(&h.instance_id, width),
                    h.critical_non_compliant_count,
                    h.security_non_compliant_count,
                    h.missing_count,
                    h.operating_system,
                    if h.patch_group.is_empty() {
                        String::new()
                    } else {
                        format!("(patch group {})", h.patch_group)
                    }
                );
            }
        }
        if !self.failed_hosts.is_empty() {
            let _ = writeln!(out, "\nHosts that could not be scanned");
            for f in &self.failed_hosts {
                let _ = writeln!(out, "  {}: {}", f.instance_id, f.error);
            }
        }
        out
    }
}
