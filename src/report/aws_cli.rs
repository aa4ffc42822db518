//! `scan --format aws` / `aws-patches`: a host's result exactly as the AWS CLI v2 prints
//! `aws ssm describe-instance-patch-states` and `aws ssm describe-instance-patches`, so scripts
//! written against AWS read it unchanged.
//!
//! What the CLI does (recorded from a real AWS CLI v2 against canned responses,
//! `tests/data/aws/FINDINGS.md`): members in the service model's order whatever the response's,
//! members the model does not know and `null` members dropped, four-space indentation, no ASCII
//! escaping, one trailing newline, timestamps (epoch seconds on the wire) as ISO 8601 in the
//! local zone with a `±HH:MM` suffix and six-digit microseconds only when non-zero. patchscan
//! prints the zone as UTC (`+00:00`): the same bytes as the CLI under `TZ=UTC`, as on EC2.
//!
//! The member tables below are the model's (`ssm` service description, extract in
//! `tests/data/aws/ssm-patch-shapes.json`; a test holds them to it).

use std::fmt::Write as _;

use crate::engine::decision::PatchState;
use crate::report::model::HostReport;

/// How the CLI prints a member's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    /// Epoch seconds on the wire; ISO 8601 when printed.
    Timestamp,
}

/// `InstancePatchState`'s members, in model order.
pub const INSTANCE_PATCH_STATE: &[(&str, Kind)] = &[
    ("InstanceId", Kind::String),
    ("PatchGroup", Kind::String),
    ("BaselineId", Kind::String),
    ("SnapshotId", Kind::String),
    ("InstallOverrideList", Kind::String),
    ("OwnerInformation", Kind::String),
    ("InstalledCount", Kind::Integer),
    ("InstalledOtherCount", Kind::Integer),
    ("InstalledPendingRebootCount", Kind::Integer),
    ("InstalledRejectedCount", Kind::Integer),
    ("MissingCount", Kind::Integer),
    ("FailedCount", Kind::Integer),
    ("UnreportedNotApplicableCount", Kind::Integer),
    ("NotApplicableCount", Kind::Integer),
    ("AvailableSecurityUpdateCount", Kind::Integer),
    ("OperationStartTime", Kind::Timestamp),
    ("OperationEndTime", Kind::Timestamp),
    ("Operation", Kind::String),
    ("LastNoRebootInstallOperationTime", Kind::Timestamp),
    ("RebootOption", Kind::String),
    ("CriticalNonCompliantCount", Kind::Integer),
    ("SecurityNonCompliantCount", Kind::Integer),
    ("OtherNonCompliantCount", Kind::Integer),
];

/// `PatchComplianceData`'s members, in model order.
pub const PATCH_COMPLIANCE_DATA: &[(&str, Kind)] = &[
    ("Title", Kind::String),
    ("KBId", Kind::String),
    ("Classification", Kind::String),
    ("Severity", Kind::String),
    ("State", Kind::String),
    ("InstalledTime", Kind::Timestamp),
    ("CVEIds", Kind::String),
];

/// A member's value, before printing.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    /// An integer as the response wrote it (the CLI passes the digits through).
    Integer(String),
    /// Epoch seconds with their fraction.
    Time(f64),
}

/// `PatchComplianceDataState`: the API's spelling of a state.
pub fn state_name(state: PatchState) -> &'static str {
    match state {
        PatchState::Installed => "INSTALLED",
        PatchState::InstalledOther => "INSTALLED_OTHER",
        PatchState::InstalledPendingReboot => "INSTALLED_PENDING_REBOOT",
        PatchState::InstalledRejected => "INSTALLED_REJECTED",
        PatchState::Missing => "MISSING",
        PatchState::NotApplicable => "NOT_APPLICABLE",
        PatchState::Failed => "FAILED",
    }
}

/// The reboot option reported for a scan: `AWS-RunPatchBaseline`'s default.
pub const SCAN_REBOOT_OPTION: &str = "RebootIfNeeded";

/// `describe-instance-patch-states` for this host. `baseline_id` is the AWS id, or the
/// synthetic `pb-…` id of a baseline that has none ([`crate::baseline::Baseline::aws_id`]).
pub fn instance_patch_states(report: &HostReport, baseline_id: &str) -> String {
    let s = &report.patch_state;
    let int = |n: u64| Some(Value::Integer(n.to_string()));
    let members: Vec<Option<Value>> = vec![
        Some(Value::Text(s.instance_id.clone())),
        Some(Value::Text(s.patch_group.clone())),
        Some(Value::Text(baseline_id.to_string())),
        Some(Value::Text(s.snapshot_id.clone())),
        None,
        None,
        int(s.installed_count),
        int(s.installed_other_count),
        int(s.installed_pending_reboot_count),
        int(s.installed_rejected_count),
        int(s.missing_count),
        int(s.failed_count),
        int(s.unreported_not_applicable_count),
        int(s.not_applicable_count),
        // patchscan never reports AVAILABLE_SECURITY_UPDATE (a Windows-only state).
        int(0),
        time_of(&s.operation_start_time),
        time_of(&s.operation_end_time),
        Some(Value::Text(s.operation.clone())),
        None,
        Some(Value::Text(SCAN_REBOOT_OPTION.into())),
        int(s.critical_non_compliant_count),
        int(s.security_non_compliant_count),
        int(s.other_non_compliant_count),
    ];
    let object = INSTANCE_PATCH_STATE
        .iter()
        .zip(members)
        .filter_map(|(&(name, kind), v)| v.map(|v| (name, kind, v)))
        .collect();
    render_document("InstancePatchStates", vec![Some(object)])
}

/// `describe-instance-patches` for this host: its patches (NotApplicable ones only when the
/// scan listed them; AWS uploads no details of those for Linux).
pub fn instance_patches(report: &HostReport) -> String {
    let items = report
        .patches
        .iter()
        .map(|p| {
            let mut o = vec![
                ("Title", Kind::String, Value::Text(p.title.clone())),
                ("KBId", Kind::String, Value::Text(p.kb_id.clone())),
                (
                    "Classification",
                    Kind::String,
                    Value::Text(p.classification.clone()),
                ),
                ("Severity", Kind::String, Value::Text(p.severity.clone())),
                (
                    "State",
                    Kind::String,
                    Value::Text(state_name(p.state).into()),
                ),
            ];
            o.extend(time_of(&p.installed_time).map(|t| ("InstalledTime", Kind::Timestamp, t)));
            // AWS omits CVEIds when a patch has none.
            if !p.cve_ids.is_empty() {
                o.push(("CVEIds", Kind::String, Value::Text(p.cve_ids.clone())));
            }
            Some(o)
        })
        .collect();
    render_document("Patches", items)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (the report's times) as epoch seconds.
fn time_of(text: &str) -> Option<Value> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| Value::Time(t.unix_timestamp() as f64))
}

/// One object's members, in the order they are printed.
pub type Object = Vec<(&'static str, Kind, Value)>;

/// `{"LIST": [objects…]}` as the CLI prints it (`None`: a `null` element, kept as `null`).
/// An empty result prints as the CLI prints it too: `{"LIST": []}`.
pub fn render_document(list: &str, items: Vec<Option<Object>>) -> String {
    let mut out = String::new();
    out.push_str("{\n    ");
    push_string(&mut out, list);
    out.push_str(": [");
    for (i, item) in items.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        match item {
            None => out.push_str("        null"),
            Some(members) if members.is_empty() => out.push_str("        {}"),
            Some(members) => {
                out.push_str("        {");
                for (j, (name, kind, value)) in members.iter().enumerate() {
                    out.push_str(if j == 0 {
                        "\n            "
                    } else {
                        ",\n            "
                    });
                    push_string(&mut out, name);
                    out.push_str(": ");
                    push_value(&mut out, *kind, value);
                }
                out.push_str("\n        }");
            }
        }
    }
    if !items.is_empty() {
        out.push_str("\n    ");
    }
    out.push_str("]\n}\n");
    out
}

fn push_value(out: &mut String, kind: Kind, value: &Value) {
    match (kind, value) {
        (_, Value::Text(s)) => push_string(out, s),
        (_, Value::Integer(digits)) => out.push_str(digits),
        (_, Value::Time(t)) => push_string(out, &iso_utc(*t)),
    }
}

/// JSON string as Python's `json.dump(ensure_ascii=False)` writes it: `"` and `\` escaped,
/// control characters as `\n`-style or `\u00xx` escapes, everything else as it is — which is
/// what serde_json writes.
fn push_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// Epoch seconds as the CLI prints them in UTC: `2025-06-01T12:00:00+00:00`, with
/// `.ffffff` when the microseconds (rounded half to even, as Python's `fromtimestamp`) are not
/// zero.
pub fn iso_utc(t: f64) -> String {
    let (mut secs, frac) = (t.trunc(), t.fract());
    let mut micros = (frac * 1e6).round_ties_even();
    if micros >= 1e6 {
        secs += 1.0;
        micros -= 1e6;
    } else if micros < 0.0 {
        secs -= 1.0;
        micros += 1e6;
    }
    let base = crate::vocab::time::format_time(secs as i64);
    let mut out = base.trim_end_matches('Z').to_string();
    if micros != 0.0 {
        let _ = write!(out, ".{:06}", micros as u32);
    }
    out.push_str("+00:00");
    out
}

/// An ISO 8601 timestamp as the CLI re-prints it: its own offset as `±HH:MM`, microseconds
/// when not zero.
fn iso_text(s: &str) -> Option<String> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    let (h, m, _) = t.offset().as_hms();
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if t.microsecond() != 0 {
        let _ = write!(out, ".{:06}", t.microsecond());
    }
    let sign = if t.offset().is_negative() { '-' } else { '+' };
    let _ = write!(out, "{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs());
    Some(out)
}

/// Renders a describe response as the CLI would (members by the tables above, unknown and
/// null members dropped, timestamps as ISO): how the tests hold [`render_document`] to the
/// real CLI's recorded outputs.
pub fn render_response(response: &serde_json::Value) -> Option<String> {
    let (list, shape) = if response.get("InstancePatchStates").is_some() {
        ("InstancePatchStates", INSTANCE_PATCH_STATE)
    } else {
        ("Patches", PATCH_COMPLIANCE_DATA)
    };
    let items = response.get(list)?.as_array()?;
    let objects = items
        .iter()
        .map(|item| {
            let map = item.as_object()?;
            Some(
                shape
                    .iter()
                    .filter_map(|&(name, kind)| {
                        let v = map.get(name)?;
                        let value = match (kind, v) {
                            (_, serde_json::Value::Null) => return None,
                            (Kind::Timestamp, serde_json::Value::Number(n)) => {
                                Value::Time(n.as_f64()?)
                            }
                            // The CLI also takes timestamps written as text: epoch seconds,
                            // or ISO 8601 (printed in its own offset).
                            (Kind::Timestamp, serde_json::Value::String(s)) => {
                                match s.parse::<f64>() {
                                    Ok(t) => Value::Time(t),
                                    Err(_) => Value::Text(iso_text(s)?),
                                }
                            }
                            (_, serde_json::Value::String(s)) => Value::Text(s.clone()),
                            (_, serde_json::Value::Number(n)) => Value::Integer(n.to_string()),
                            _ => return None,
                        };
                        Some((name, kind, value))
                    })
                    .collect(),
            )
        })
        .collect();
    Some(render_document(list, objects))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_the_cli_prints_them_in_utc() {
        assert_eq!(iso_utc(0.0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso_utc(1_748_779_200.0), "2025-06-01T12:00:00+00:00");
        assert_eq!(iso_utc(1_748_779_200.5), "2025-06-01T12:00:00.500000+00:00");
        assert_eq!(
            iso_utc(1_748_779_200.999_999_9),
            "2025-06-01T12:00:01+00:00"
        );
    }
}
