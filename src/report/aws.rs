//! `--format aws-inventory`: per host, the `PutInventory` items the SSM agent uploads after a
//! scan (spec §6.3) — `AWS:PatchSummary` and `AWS:ComplianceItem` — as one
//! `aws ssm put-inventory --cli-input-json file://…` document: `{InstanceId, Items}`.
//!
//! Every content value is a string (counts too), times are `YYYY-MM-DDTHH:MM:SSZ`, states
//! PascalCase. Only hosts with a real managed-node id (`i-…` or `mi-…`) can be uploaded;
//! hosts that failed to scan have nothing to upload and are listed instead.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value as Json};

use crate::engine::decision::PatchState;
use crate::report::fleet::{into_file, AtomicFile, FleetHost, FleetSink, ReportError};
use crate::report::model::HostReport;
use crate::vocab::status::ComplianceStatus;

/// Whether `id` is a managed-node id as `InstancePatchState.InstanceId` allows:
/// `i-` and 8 or 17 word characters, or `mi-` and 17.
pub fn is_managed_node_id(id: &str) -> bool {
    let word = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if let Some(rest) = id.strip_prefix("mi-") {
        rest.len() == 17 && word(rest)
    } else if let Some(rest) = id.strip_prefix("i-") {
        (rest.len() == 8 || rest.len() == 17) && word(rest)
    } else {
        false
    }
}

/// `AWS:PatchSummary` content: the counts as strings, as the agent uploads them.
fn patch_summary(h: &FleetHost, r: &HostReport) -> Map<String, Json> {
    let s = &r.patch_state;
    let mut c = Map::new();
    let mut put = |k: &str, v: String| {
        c.insert(k.to_string(), Json::String(v));
    };
    put("BaselineId", s.baseline_id.clone());
    put("PatchGroup", s.patch_group.clone());
    put("SnapshotId", h.snapshot_id.clone());
    put("ExecutionId", h.snapshot_id.clone());
    for (key, count) in [
        ("InstalledCount", s.installed_count),
        ("InstalledOtherCount", s.installed_other_count),
        ("InstalledRejectedCount", s.installed_rejected_count),
        (
            "InstalledPendingRebootCount",
            s.installed_pending_reboot_count,
        ),
        ("NotApplicableCount", s.not_applicable_count),
        ("MissingCount", s.missing_count),
        ("FailedCount", s.failed_count),
        ("CriticalNonCompliantCount", s.critical_non_compliant_count),
        ("SecurityNonCompliantCount", s.security_non_compliant_count),
        ("OtherNonCompliantCount", s.other_non_compliant_count),
    ] {
        put(key, count.to_string());
    }
    put("OperationType", s.operation.clone());
    put("OperationStartTime", s.operation_start_time.clone());
    put("OperationEndTime", s.operation_end_time.clone());
    put("RebootOption", "RebootIfNeeded".to_string());
    if let Some(level) = s.non_compliant_severity {
        put("NonCompliantSeverity", level.as_str().to_string());
    }
    c
}

/// `AWS:ComplianceItem` content: one entry per reported patch.
fn compliance_items(r: &HostReport) -> Vec<Json> {
    let s = &r.patch_state;
    r.patches
        .iter()
        .filter(|p| p.state != PatchState::NotApplicable)
        .map(|p| {
            let installed = matches!(
                p.state,
                PatchState::Installed
                    | PatchState::InstalledOther
                    | PatchState::InstalledPendingReboot
                    | PatchState::InstalledRejected
            );
            let mut item = Map::new();
            let mut put = |k: &str, v: &str| {
                item.insert(k.to_string(), Json::String(v.to_string()));
            };
            put("Id", &p.kb_id);
            put("Title", &p.title);
            put("Severity", p.compliance_level.as_str());
            put(
                "Status",
                if p.state.is_non_compliant() {
                    ComplianceStatus::NonCompliant
                } else {
                    ComplianceStatus::Compliant
                }
                .as_str(),
            );
            put("PatchBaselineId", &s.baseline_id);
            put("PatchState", p.state.as_str());
            put("PatchGroup", &s.patch_group);
            put("DocumentName", "");
            put("DocumentVersion", "");
            put(
                "InstalledTime",
                if installed { &p.installed_time } else { "" },
            );
            put("Classification", &p.classification);
            put("PatchSeverity", &p.severity);
            if matches!(p.state, PatchState::Missing | PatchState::Failed) && !p.cve_ids.is_empty()
            {
                put("CVEIds", &p.cve_ids);
            }
            Json::Object(item)
        })
        .collect()
}

/// The `put-inventory --cli-input-json` document of one scanned host.
pub fn put_inventory_document(h: &FleetHost, r: &HostReport) -> Json {
    let capture = &r.patch_state.operation_end_time;
    json!({
        "InstanceId": h.instance_id,
        "Items": [
            {
                "TypeName": "AWS:PatchSummary",
                "SchemaVersion": "1.0",
                "CaptureTime": capture,
                "Content": [Json::Object(patch_summary(h, r))],
            },
            {
                "TypeName": "AWS:ComplianceItem",
                "SchemaVersion": "1.0",
                "CaptureTime": capture,
                "Context": {
                    "ComplianceType": "Patch",
                    "ExecutionId": h.snapshot_id,
                    "ExecutionType": "Command",
                    "ExecutionTime": r.patch_state.operation_start_time,
                },
                "Content": compliance_items(r),
            },
        ],
    })
}

/// Writes `OUT/aws-inventory/<InstanceId>.json` per scanned host.
pub struct AwsInventorySink {
    dir: PathBuf,
    written: Vec<PathBuf>,
}

impl AwsInventorySink {
    pub fn new(out: &Path) -> Self {
        AwsInventorySink {
            dir: out.join("aws-inventory"),
            written: Vec::new(),
        }
    }
}

impl FleetSink for AwsInventorySink {
    fn write(&mut self, batch: &[FleetHost]) -> Result<(), ReportError> {
        for h in batch {
            let Ok(report) = &h.outcome else { continue };
            if !is_managed_node_id(&h.instance_id) {
                continue;
            }
            let dest = self.dir.join(format!("{}.json", h.instance_id));
            let (target, file) = AtomicFile::create(&dest)?;
            let mut w = std::io::BufWriter::new(file);
            serde_json::to_writer_pretty(&mut w, &put_inventory_document(h, report)).map_err(
                |e| ReportError::Encode {
                    path: dest.clone(),
                    message: e.to_string(),
                },
            )?;
            w.write_all(b"\n").map_err(ReportError::io(&dest))?;
            let file = into_file(w, &dest)?;
            self.written.push(target.commit(&file)?);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Vec<PathBuf>, ReportError> {
        Ok(std::mem::take(&mut self.written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_node_ids() {
        for ok in ["i-0123456789abcdef0", "i-01234567", "mi-0123456789abcdef0"] {
            assert!(is_managed_node_id(ok), "{ok}");
        }
        for bad in [
            "web-1",
            "i-0123",
            "mi-01234567",
            "i-0123456789abcdef0x",
            "i-0123456-89abcdef0",
        ] {
            assert!(!is_managed_node_id(bad), "{bad}");
        }
    }
}
