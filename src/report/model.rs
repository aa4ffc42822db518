//! The host report: AWS's `InstancePatchState` and `DescribeInstancePatches` shapes (spec §6),
//! plus patchscan's explanations. This type *is* the JSON schema of `scan --format json`.

use rayon::prelude::*;
use serde::Serialize;

use crate::baseline::ComplianceLevel;
use crate::engine::decision::{Decision, Evaluation, PatchState};
use crate::vocab::time::format_time;
use crate::vocab::warning::Warning;

/// One host's scan result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostReport {
    pub patch_state: PatchStateSummary,
    pub patches: Vec<PatchRecord>,
    /// Each with its stable code (`{"Code": "stale-metadata", "Message": …}`).
    pub warnings: Vec<Warning>,
    /// The package lists the scan used, with their suites' dates (APT hosts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<RepositoryRecord>,
    /// The baseline's id in AWS's shape (its own, or the synthetic `pb-…` one), for
    /// `--format aws`; patchscan's own JSON reports `BaselineId` as the id or the name.
    #[serde(skip)]
    pub aws_baseline_id: String,
}

/// One package list a scan used: where it is, its suite and whether the host trusts it and
/// treats it as a security pocket.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepositoryRecord {
    pub path: String,
    /// The Release `Suite` (apt's archive: `bookworm-security`, `oldstable-security`).
    pub suite: String,
    pub codename: String,
    pub origin: String,
    pub component: String,
    pub architecture: String,
    /// The Release `Date` and `Valid-Until`, RFC 3339.
    pub date: Option<String>,
    pub valid_until: Option<String>,
    pub trusted: bool,
    pub security: bool,
}

/// `InstancePatchState` with AWS's field names, plus `NonCompliantSeverity`.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PatchStateSummary {
    pub instance_id: String,
    pub patch_group: String,
    pub baseline_id: String,
    pub snapshot_id: String,
    pub installed_count: u64,
    pub installed_other_count: u64,
    pub installed_pending_reboot_count: u64,
    pub installed_rejected_count: u64,
    pub missing_count: u64,
    pub failed_count: u64,
    pub not_applicable_count: u64,
    pub unreported_not_applicable_count: u64,
    pub critical_non_compliant_count: u64,
    pub security_non_compliant_count: u64,
    pub other_non_compliant_count: u64,
    pub operation_start_time: String,
    pub operation_end_time: String,
    pub operation: String,
    /// Omitted when the host is compliant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_compliant_severity: Option<ComplianceLevel>,
}

/// One patch: `PatchComplianceData` fields plus versions, advisories, compliance level, reason.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PatchRecord {
    pub title: String,
    #[serde(rename = "KBId")]
    pub kb_id: String,
    pub classification: String,
    /// The vendor's severity from the advisory.
    pub severity: String,
    pub state: PatchState,
    pub installed_time: String,
    #[serde(rename = "CVEIds")]
    pub cve_ids: String,
    pub installed_version: String,
    pub candidate_version: String,
    pub advisory_ids: Vec<String>,
    pub compliance_level: ComplianceLevel,
    pub reason: String,
}

/// What the report needs besides the decisions.
#[derive(Debug, Clone)]
pub struct ReportContext<'a> {
    pub instance_id: &'a str,
    pub patch_group: &'a str,
    pub baseline_id: &'a str,
    pub start: i64,
    pub end: i64,
    pub include_not_applicable: bool,
}

/// A decision's record; its strings move into it.
fn record(d: Decision) -> PatchRecord {
    let installed_version = d
        .installed
        .as_ref()
        .map(|e| e.to_full_string())
        .unwrap_or_default();
    let candidate_version = d
        .candidate
        .as_ref()
        .map(|e| e.to_full_string())
        .unwrap_or_default();
    let shown = if d.candidate.is_some() {
        &candidate_version
    } else {
        &installed_version
    };
    let mut kb_id = String::with_capacity(d.name.len() + d.arch.len() + 1);
    kb_id.push_str(&d.name);
    kb_id.push('.');
    kb_id.push_str(&d.arch);
    let mut title = String::with_capacity(kb_id.len() + shown.len() + 1);
    title.push_str(&kb_id);
    title.push(':');
    title.push_str(shown);
    PatchRecord {
        title,
        kb_id,
        classification: d.classification,
        severity: d.severity,
        state: d.state,
        // The patch's install time: known only for installed states (AWS reports 1970 for
        // Missing and NotApplicable, whose patch is not installed).
        installed_time: format_time(match d.state {
            PatchState::Installed
            | PatchState::InstalledOther
            | PatchState::InstalledPendingReboot
            | PatchState::InstalledRejected => d.installed_time.unwrap_or(0),
            _ => 0,
        }),
        cve_ids: if matches!(d.state, PatchState::Missing | PatchState::Failed) {
            d.cves.join(",")
        } else {
            String::new()
        },
        installed_version,
        candidate_version,
        advisory_ids: d.advisory_ids,
        compliance_level: d.compliance_level,
        reason: d.reason,
    }
}

impl HostReport {
    /// Builds the report from an evaluation (spec §5.3 counts and severity).
    pub fn new(eval: &Evaluation, ctx: &ReportContext<'_>, warnings: Vec<Warning>) -> Self {
        Self::from_evaluation(eval.clone(), ctx, warnings)
    }

    /// [`HostReport::new`], taking the evaluation apart: the records take over its strings.
    pub fn from_evaluation(
        eval: Evaluation,
        ctx: &ReportContext<'_>,
        warnings: Vec<Warning>,
    ) -> Self {
        let mut s = PatchStateSummary {
            instance_id: ctx.instance_id.to_string(),
            patch_group: ctx.patch_group.to_string(),
            baseline_id: ctx.baseline_id.to_string(),
            operation_start_time: format_time(ctx.start),
            operation_end_time: format_time(ctx.end),
            operation: "Scan".into(),
            ..Default::default()
        };
        let mut worst: Option<ComplianceLevel> = None;
        for d in &eval.decisions {
            match d.state {
                PatchState::Installed => s.installed_count += 1,
                PatchState::InstalledOther => s.installed_other_count += 1,
                PatchState::InstalledPendingReboot => s.installed_pending_reboot_count += 1,
                PatchState::InstalledRejected => s.installed_rejected_count += 1,
                PatchState::Missing => s.missing_count += 1,
                PatchState::Failed => s.failed_count += 1,
                PatchState::NotApplicable => s.not_applicable_count += 1,
            }
            if d.state.is_non_compliant() {
                let critical = d.compliance_level == ComplianceLevel::Critical;
                let security = d.classification.eq_ignore_ascii_case("Security");
                s.critical_non_compliant_count += u64::from(critical);
                s.security_non_compliant_count += u64::from(security);
                s.other_non_compliant_count += u64::from(!critical && !security);
                // Floor of INFORMATIONAL, as the agent reports.
                let level = d.compliance_level.max(ComplianceLevel::Informational);
                worst = Some(worst.map_or(level, |w| w.max(level)));
            }
        }
        s.not_applicable_count += eval.not_applicable.len() as u64 + eval.not_applicable_unlisted;
        s.non_compliant_severity = worst;
        // Thousands of records on a large host: built on every core, in order.
        let mut patches: Vec<PatchRecord> = eval.decisions.into_par_iter().map(record).collect();
        if ctx.include_not_applicable {
            // Listed by name and arch whatever order the engine produced them in.
            let mut na = eval.not_applicable;
            na.sort_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
            patches.par_extend(na.into_par_iter().map(record));
        }
        HostReport {
            patch_state: s,
            patches,
            warnings,
            repositories: Vec::new(),
            aws_baseline_id: ctx.baseline_id.to_string(),
        }
    }

    /// The report as `serde_json::to_string_pretty` writes it, byte for byte, with the patch
    /// records (nearly all of the output on a large host) written on every core. The rest of
    /// the report is serialised as itself with the records taken out for the moment, so every
    /// field the type has is written.
    pub fn to_json_pretty(&mut self) -> serde_json::Result<String> {
        let mut out = Vec::new();
        self.write_json_pretty(&mut out)?;
        // Only serde_json's output and ASCII punctuation were written.
        String::from_utf8(out).map_err(|e| serde_json::Error::io(std::io::Error::other(e)))
    }

    /// [`HostReport::to_json_pretty`]'s text, written to `out` piece by piece
    /// (the records' text is never gathered into one string).
    pub fn write_json_pretty(&mut self, out: &mut impl std::io::Write) -> serde_json::Result<()> {
        let patches = std::mem::take(&mut self.patches);
        let frame = serde_json::to_string_pretty(&*self);
        self.patches = patches;
        let frame = frame?;
        // Strings are written escaped (no raw quote or newline), so this is the field itself.
        const EMPTY: &str = "\n  \"Patches\": []";
        let Some(at) = frame.find(EMPTY).filter(|_| !self.patches.is_empty()) else {
            return out
                .write_all(frame.as_bytes())
                .map_err(serde_json::Error::io);
        };
        // Each record written straight at its depth in the array (two levels in).
        let chunks: Vec<Vec<u8>> = self
            .patches
            .par_chunks(64)
            .map(|chunk| {
                let mut text = Vec::with_capacity(chunk.len() * 600);
                for record in chunk {
                    text.extend_from_slice(b",\n    ");
                    let mut ser = serde_json::Serializer::with_formatter(
                        &mut text,
                        Nested {
                            depth: 2,
                            has_value: false,
                        },
                    );
                    serde::Serialize::serialize(record, &mut ser)?;
                }
                Ok(text)
            })
            .collect::<serde_json::Result<_>>()?;
        let mut write = |bytes: &[u8]| out.write_all(bytes).map_err(serde_json::Error::io);
        write(&frame.as_bytes()[..at])?;
        write(b"\n  \"Patches\": [")?;
        for (i, chunk) in chunks.iter().enumerate() {
            // Each record's text starts with its separator: the first one has no comma.
            write(if i == 0 { &chunk[1..] } else { chunk })?;
        }
        write(b"\n  ]")?;
        write(&frame.as_bytes()[at + EMPTY.len()..])
    }

    /// Whether any patch makes the host non-compliant.
    pub fn is_non_compliant(&self) -> bool {
        self.patch_state.non_compliant_severity.is_some()
    }
}

/// A condition `--fail-on` names, met by a host's report (for `scan`) or by any host of a
/// fleet run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailOn {
    /// Any patch makes the host non-compliant.
    NonCompliant,
    /// A non-compliant patch is a security one (`SecurityNonCompliantCount` above 0).
    Security,
    /// The host is non-compliant at this compliance level or above (its
    /// `NonCompliantSeverity`): `Critical` fails only on CRITICAL, `Low` on LOW and above.
    AtLeast(ComplianceLevel),
    /// The scan warned (stale metadata, an entry that matches nothing, …).
    Warnings,
}

impl FailOn {
    /// Every condition, strictest level first.
    pub const ALL: [FailOn; 8] = [
        FailOn::NonCompliant,
        FailOn::Security,
        FailOn::AtLeast(ComplianceLevel::Critical),
        FailOn::AtLeast(ComplianceLevel::High),
        FailOn::AtLeast(ComplianceLevel::Medium),
        FailOn::AtLeast(ComplianceLevel::Low),
        FailOn::AtLeast(ComplianceLevel::Informational),
        FailOn::Warnings,
    ];

    /// Whether `report` meets the condition.
    pub fn met_by(self, report: &HostReport) -> bool {
        let state = &report.patch_state;
        match self {
            FailOn::NonCompliant => report.is_non_compliant(),
            FailOn::Security => state.security_non_compliant_count > 0,
            FailOn::AtLeast(level) => state.non_compliant_severity.is_some_and(|s| s >= level),
            FailOn::Warnings => !report.warnings.is_empty(),
        }
    }
}

/// serde_json's pretty layout (two spaces a level) for a value that starts `depth` levels
/// in: what `to_string_pretty` writes for it inside its parents, without indenting afterwards.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn line<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        w.write_all(b"\n")?;
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.line(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::{PackageVersion, RpmEvr};
    use crate::vocab::warning::WarningCode;

    fn d(name: &str, state: PatchState, class: &str, level: ComplianceLevel) -> Decision {
        Decision {
            name: name.into(),
            arch: "x86_64".into(),
            state,
            installed: Some(PackageVersion::Rpm(RpmEvr::new(0, "1.0", "1"))),
            candidate: (state == PatchState::Missing)
                .then(|| PackageVersion::Rpm(RpmEvr::new(2, "1.1", "1"))),
            classification: class.into(),
            severity: "Important".into(),
            compliance_level: level,
            advisory_ids: vec!["ALAS-1".into()],
            cves: vec!["CVE-1".into(), "CVE-2".into()],
            installed_time: Some(1_700_000_000),
            release_time: None,
            date_source: None,
            reason: String::new(),
        }
    }

    #[test]
    fn json_written_on_every_core_equals_serde_json_pretty() {
        let mut decisions: Vec<Decision> = (0..300)
            .map(|i| {
                let mut x = d(
                    &format!("pkg{i}"),
                    if i % 3 == 0 {
                        PatchState::Missing
                    } else {
                        PatchState::InstalledOther
                    },
                    "Security",
                    ComplianceLevel::Critical,
                );
                x.reason = format!("tricky \"quotes\", \\ back, new\nline, \"Patches\": [] {i}");
                if i % 7 == 0 {
                    x.advisory_ids.clear();
                }
                x
            })
            .collect();
        let eval = |decisions: Vec<Decision>| Evaluation {
            decisions,
            ..Default::default()
        };
        let odd = [
            Warning::new(WarningCode::StaleMetadata, "w \"Patches\": []\n"),
            Warning::new(WarningCode::Baseline, "x"),
        ];
        for warnings in [vec![], odd.to_vec()] {
            for n in [0, 1, 2, 65, 300] {
                let mut report =
                    HostReport::new(&eval(decisions[..n].to_vec()), &ctx(), warnings.clone());
                if n % 2 == 1 {
                    // Every field of the report is written, the APT repositories included.
                    report.repositories.push(RepositoryRecord {
                        path: "var/lib/apt/lists/x_Packages.lz4".into(),
                        suite: "bookworm-security".into(),
                        codename: "bookworm".into(),
                        origin: "Debian".into(),
                        component: "main".into(),
                        architecture: "amd64".into(),
                        date: Some("2025-06-01T00:00:00Z".into()),
                        valid_until: None,
                        trusted: true,
                        security: true,
                    });
                }
                let expected = serde_json::to_string_pretty(&report).unwrap();
                assert_eq!(report.to_json_pretty().unwrap(), expected, "{n} records");
            }
        }
        decisions.clear();
    }

    fn ctx() -> ReportContext<'static> {
        ReportContext {
            instance_id: "i-0123456789abcdef0",
            patch_group: "",
            baseline_id: "pb-x",
            start: 0,
            end: 1,
            include_not_applicable: false,
        }
    }

    #[test]
    fn counts_and_severity_follow_spec_5_3() {
        let eval = Evaluation {
            decisions: vec![
                d(
                    "a",
                    PatchState::Missing,
                    "Security",
                    ComplianceLevel::Critical,
                ),
                d(
                    "b",
                    PatchState::Missing,
                    "Bugfix",
                    ComplianceLevel::Unspecified,
                ),
                d(
                    "c",
                    PatchState::InstalledRejected,
                    "",
                    ComplianceLevel::Unspecified,
                ),
                d(
                    "e",
                    PatchState::Installed,
                    "Security",
                    ComplianceLevel::Critical,
                ),
                d(
                    "f",
                    PatchState::InstalledOther,
                    "",
                    ComplianceLevel::Unspecified,
                ),
            ],
            not_applicable: vec![d(
                "g",
                PatchState::NotApplicable,
                "",
                ComplianceLevel::Unspecified,
            )],
            unused_entries: vec![],
            not_applicable_unlisted: 0,
        };
        let r = HostReport::new(&eval, &ctx(), vec![]);
        let s = &r.patch_state;
        assert_eq!(
            (
                s.missing_count,
                s.installed_rejected_count,
                s.installed_count,
                s.installed_other_count,
                s.not_applicable_count
            ),
            (2, 1, 1, 1, 1)
        );
        assert_eq!(
            (
                s.critical_non_compliant_count,
                s.security_non_compliant_count,
                s.other_non_compliant_count
            ),
            (1, 1, 2)
        );
        assert_eq!(s.non_compliant_severity, Some(ComplianceLevel::Critical));
        assert_eq!(r.patches.len(), 5, "NotApplicable records only on request");
        let a = &r.patches[0];
        assert_eq!(a.title, "a.x86_64:2:1.1-1");
        assert_eq!(a.kb_id, "a.x86_64");
        assert_eq!(a.cve_ids, "CVE-1,CVE-2");
        assert_eq!(r.patches[3].cve_ids, "", "CVEs only for Missing/Failed");
        assert_eq!(
            r.patches[3].title, "e.x86_64:0:1.0-1",
            "installed version when nothing newer"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["PatchState"]["Operation"], "Scan");
        assert_eq!(json["PatchState"]["NonCompliantSeverity"], "CRITICAL");
        assert_eq!(json["Patches"][0]["State"], "Missing");
        assert_eq!(json["Patches"][0]["KBId"], "a.x86_64");
        assert_eq!(
            json["Patches"][0]["InstalledTime"], "1970-01-01T00:00:00Z",
            "Missing: not installed"
        );
        assert_eq!(json["Patches"][3]["InstalledTime"], "2023-11-14T22:13:20Z");
    }

    #[test]
    fn unspecified_non_compliance_reports_informational_and_compliant_omits_it() {
        let eval = Evaluation {
            decisions: vec![d(
                "b",
                PatchState::Missing,
                "Bugfix",
                ComplianceLevel::Unspecified,
            )],
            ..Default::default()
        };
        assert_eq!(
            HostReport::new(&eval, &ctx(), vec![])
                .patch_state
                .non_compliant_severity,
            Some(ComplianceLevel::Informational)
        );
        let eval = Evaluation {
            decisions: vec![d(
                "e",
                PatchState::Installed,
                "Security",
                ComplianceLevel::Critical,
            )],
            ..Default::default()
        };
        let r = HostReport::new(&eval, &ctx(), vec![]);
        assert!(!r.is_non_compliant());
        assert!(serde_json::to_value(&r).unwrap()["PatchState"]
            .get("NonCompliantSeverity")
            .is_none());
    }
}
