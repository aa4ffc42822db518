//! Whether a baseline approves one package version (spec §3.2–§3.3).
//!
//! A version is approved iff it is not rejected and either an `ApprovedPatches` entry names it
//! (bypassing global filters and rules, gated by `ApprovedPatchesEnableNonSecurity` for
//! non-security versions) or the global filters pass and at least one rule approves it (its
//! filters pass, its date condition passes, and the version is security or the rule has
//! `EnableNonSecurity`). The compliance level is the highest over everything that approved it.

use crate::baseline::{
    Approval, Baseline, ComplianceLevel, FilterKey, OsFamily, PackageForms, PatchFilter,
};
use crate::vocab::warning::{Warning, WarningCode};

/// What a package version brings to the decision: its names, its advisory attributes (RPM
/// family and SUSE: the update notice; APT: the candidate's priority and section) and its
/// release date.
#[derive(Debug, Clone)]
pub struct PatchFacts<'a> {
    /// Name forms for patch-list matching.
    pub forms: &'a PackageForms,
    /// The update notice (RPM family, SUSE); `None` for a package with no advisory.
    pub advisory: Option<AdvisoryFacts<'a>>,
    /// APT `Priority` of the version.
    pub priority: Option<&'a str>,
    /// APT `Section` of the version.
    pub section: Option<&'a str>,
    /// Whether the version counts as a security update: RPM — it is in an update notice; APT —
    /// a trusted security pocket publishes it. (SUSE skips the gate altogether.)
    pub is_security: bool,
    /// Release time, UNIX seconds UTC, after the fallbacks (updated → issued → build time → 0).
    pub release_time: i64,
}

/// The attributes of an update notice.
#[derive(Debug, Clone, Copy)]
pub struct AdvisoryFacts<'a> {
    pub id: &'a str,
    /// The notice's `type` (`security`, `bugfix`, …), matched by CLASSIFICATION.
    pub classification: &'a str,
    /// The vendor severity; `None` when the notice has none.
    pub severity: Option<&'a str>,
    pub cves: &'a [String],
    pub bugzillas: &'a [String],
}

/// What approved a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovedBy {
    /// `ApprovalRules.PatchRules[index]`.
    Rule(usize),
    /// An `ApprovedPatches` entry, as written.
    ApprovedPatch(String),
}

/// The baseline's verdict on one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Every rule and list entry that approves it (empty: not approved).
    pub approved_by: Vec<ApprovedBy>,
    /// The `RejectedPatches` entry that rejects it, which wins over any approval.
    pub rejected_by: Option<String>,
    /// The highest compliance level among `approved_by`.
    pub compliance_level: ComplianceLevel,
}

impl Verdict {
    /// Records the patch-list entries that took part, for "matches nothing" warnings.
    pub fn note_entries(&self, used: &mut impl Extend<String>) {
        for by in &self.approved_by {
            if let ApprovedBy::ApprovedPatch(e) = by {
                used.extend([e.clone()]);
            }
        }
        if let Some(r) = &self.rejected_by {
            used.extend([r.clone()]);
        }
    }

    /// What approved it, for reasons: `rule 0, approved entry "curl"`.
    pub fn approvers(&self) -> String {
        self.approved_by
            .iter()
            .map(|b| match b {
                ApprovedBy::Rule(i) => format!("rule {i}"),
                ApprovedBy::ApprovedPatch(e) => format!("approved entry {e:?}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Verdict {
    /// Approved and not rejected.
    pub fn is_approved(&self) -> bool {
        self.rejected_by.is_none() && !self.approved_by.is_empty()
    }
}

/// One evaluation context: the baseline, the host's product and the run's clock.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub baseline: &'a Baseline,
    /// The PRODUCT filter value of the host, e.g. `AmazonLinux2023`.
    pub product: &'a str,
    /// The run's "now", UNIX seconds UTC, taken once per run.
    pub now: i64,
}

/// Title case as Patch Manager reports classifications: `security` → `Security`.
pub fn canonical_classification(kind: &str) -> String {
    if kind.is_ascii() {
        // Every notice type seen in real files: one allocation, no per-char case tables.
        let mut out = kind.to_ascii_lowercase();
        if let Some(first) = out.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        return out;
    }
    let mut chars = kind.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Severity equality: case-insensitive, and `Medium` ≡ `Moderate` (AWS documents this for
/// Amazon Linux 2023; we apply it to every RPM system because RHEL data says `Moderate` where
/// the filter vocabulary says `Medium`).
pub fn severity_matches(filter_value: &str, severity: &str) -> bool {
    crate::vocab::severity::same(filter_value, severity)
}

fn filter_passes(filter: &PatchFilter, facts: &PatchFacts<'_>, ctx: &Context<'_>) -> bool {
    if filter.values.iter().any(|v| v == "*") {
        return true;
    }
    let apt = ctx.baseline.operating_system.family() == OsFamily::Apt;
    match filter.key {
        // Exact on RPM/zypper paths; lower-cased both sides on APT (observed).
        FilterKey::Product => product_matches(&filter.values, ctx.product, apt),
        FilterKey::Classification => match &facts.advisory {
            Some(a) => filter
                .values
                .iter()
                .any(|v| v.eq_ignore_ascii_case(a.classification)),
            // "If you filter on Classification … but they aren't specified in updateinfo.xml,
            // the package won't be included by the filter."
            None => false,
        },
        FilterKey::Severity => match facts.advisory.and_then(|a| a.severity) {
            Some(sev) => filter.values.iter().any(|v| severity_matches(v, sev)),
            // "Severity requirements in the same rule are ignored for packages that don't have
            // Severity attributes."
            None => true,
        },
        FilterKey::Priority => facts
            .priority
            .is_some_and(|p| filter.values.iter().any(|v| v.eq_ignore_ascii_case(p))),
        FilterKey::Section => facts
            .section
            .is_some_and(|s| filter.values.iter().any(|v| v.eq_ignore_ascii_case(s))),
        // Validation rejects other keys for Linux baselines.
        _ => false,
    }
}

/// Whether a filter group's PRODUCT filters (if any) admit the host's product. A group that
/// does not can approve nothing on this host: a misspelt product looks compliant.
pub fn product_admitted(filters: &[PatchFilter], baseline: &Baseline, product: &str) -> bool {
    let apt = baseline.operating_system.family() == OsFamily::Apt;
    filters
        .iter()
        .filter(|f| f.key == FilterKey::Product)
        .all(|f| f.values.iter().any(|v| v == "*") || product_matches(&f.values, product, apt))
}

/// PRODUCT comparison: exact on the RPM and zypper paths, lower-cased both sides on APT
/// (observed, spec §3.2).
fn product_matches(values: &[String], product: &str, apt: bool) -> bool {
    values.iter().any(|v| {
        if apt {
            v.eq_ignore_ascii_case(product)
        } else {
            v == product
        }
    })
}

/// Warnings for a baseline whose PRODUCT filters shut this host out: the global filters, or
/// every approval rule. (`--fail-on warnings` turns them into a failed judgement.)
pub fn product_warnings(baseline: &Baseline, product: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    let warning = |message| Warning::new(WarningCode::ProductExcludesHost, message);
    if !product_admitted(&baseline.global_filters, baseline, product) {
        out.push(warning(format!(
            "baseline {:?}: the GlobalFilters' PRODUCT values do not include the host's product {product}, so no approval rule applies to this host",
            baseline.name
        )));
    } else if !baseline.approval_rules.is_empty()
        && baseline
            .approval_rules
            .iter()
            .all(|r| !product_admitted(&r.filters, baseline, product))
    {
        out.push(warning(format!(
            "baseline {:?}: no approval rule's PRODUCT values include the host's product {product}, so no rule applies to this host",
            baseline.name
        )));
    }
    out
}

fn group_passes(filters: &[PatchFilter], facts: &PatchFacts<'_>, ctx: &Context<'_>) -> bool {
    filters.iter().all(|f| filter_passes(f, facts, ctx))
}

const DAY: i64 = 86_400;

/// The approval cutoff of a rule: a version is approved iff released strictly before it.
pub fn approval_cutoff(approval: Approval, now: i64) -> Option<i64> {
    match approval {
        Approval::AfterDays(days) => Some(now - i64::from(days) * DAY),
        // The whole UTC day is included: cutoff = the next day at 00:00:00Z.
        Approval::UntilDate(date) => Some(date.midnight().assume_utc().unix_timestamp() + DAY),
        Approval::Unset => None,
    }
}

/// The baseline's verdict on one package version.
pub fn evaluate(facts: &PatchFacts<'_>, ctx: &Context<'_>) -> Verdict {
    let b = ctx.baseline;
    let family = b.operating_system.family();
    let rejected_by = b
        .rejected_patches
        .iter()
        .find(|p| p.matches_package(facts.forms))
        .map(|p| p.to_string());

    let mut approved_by = Vec::new();
    let mut level = ComplianceLevel::Unspecified;
    let security_gate_open = |enable_non_security: bool| {
        family == OsFamily::Suse || enable_non_security || facts.is_security
    };

    let listed = b.approved_patches.iter().find(|p| {
        p.matches_package(facts.forms)
            || facts.advisory.is_some_and(|a| {
                p.matches_advisory(
                    a.id,
                    a.cves.iter().map(String::as_str),
                    a.bugzillas.iter().map(String::as_str),
                )
            })
    });
    if let Some(entry) = listed {
        if security_gate_open(b.approved_patches_enable_non_security) {
            approved_by.push(ApprovedBy::ApprovedPatch(entry.to_string()));
            level = level.max(b.approved_patches_compliance_level);
        }
    }

    if group_passes(&b.global_filters, facts, ctx) {
        for (i, rule) in b.approval_rules.iter().enumerate() {
            if !security_gate_open(rule.enable_non_security) {
                continue;
            }
            if !group_passes(&rule.filters, facts, ctx) {
                continue;
            }
            // APT systems ignore approval dates (spec §3.2).
            let date_ok = family == OsFamily::Apt
                || approval_cutoff(rule.approval, ctx.now)
                    .is_none_or(|cutoff| facts.release_time < cutoff);
            if date_ok {
                approved_by.push(ApprovedBy::Rule(i));
                level = level.max(rule.compliance_level);
            }
        }
    }

    Verdict {
        approved_by,
        rejected_by,
        compliance_level: level,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{self, predefined};
    use crate::version::RpmEvr;
    use std::path::Path;

    #[test]
    fn classifications_are_title_case_ascii_or_not() {
        for (kind, want) in [
            ("security", "Security"),
            ("BUGFIX", "Bugfix"),
            ("enhancement", "Enhancement"),
            ("", ""),
            ("x", "X"),
            ("éCLAIR", "Éclair"),
            ("newPackage", "Newpackage"),
        ] {
            assert_eq!(canonical_classification(kind), want, "{kind:?}");
        }
    }

    const NOW: i64 = 1_763_000_000; // 2025-11-13T02:13:20Z

    fn custom(json: &str) -> Baseline {
        let check = baseline::check_text(json, Path::new("t.json")).unwrap();
        let doc = check.documents.into_iter().next().unwrap();
        doc.baseline
            .unwrap_or_else(|| panic!("{:?}", doc.diagnostics))
    }

    fn forms() -> PackageForms {
        PackageForms::rpm(
            "openssl",
            &RpmEvr::new(1, "3.0.8", "1.amzn2023.0.20"),
            "x86_64",
        )
    }

    fn notice<'a>(kind: &'a str, sev: Option<&'a str>) -> AdvisoryFacts<'a> {
        AdvisoryFacts {
            id: "ALAS2023-2025-100",
            classification: kind,
            severity: sev,
            cves: &[],
            bugzillas: &[],
        }
    }

    fn facts<'a>(
        f: &'a PackageForms,
        adv: Option<AdvisoryFacts<'a>>,
        age_days: i64,
    ) -> PatchFacts<'a> {
        PatchFacts {
            forms: f,
            advisory: adv,
            priority: None,
            section: None,
            is_security: adv.is_some(),
            release_time: NOW - age_days * DAY,
        }
    }

    fn verdict(b: &Baseline, facts: &PatchFacts<'_>) -> Verdict {
        evaluate(
            facts,
            &Context {
                baseline: b,
                product: "AmazonLinux2023",
                now: NOW,
            },
        )
    }

    #[test]
    fn default_al2023_baseline() {
        let b = predefined::load("AWS-AmazonLinux2023DefaultPatchBaseline")
            .unwrap()
            .baseline;
        let f = forms();
        let cases = [
            (Some(notice("security", Some("Critical"))), 8, true),
            (Some(notice("security", Some("important"))), 8, true),
            (Some(notice("security", Some("Medium"))), 8, false),
            (Some(notice("security", Some("Low"))), 8, false),
            // Missing severity: the SEVERITY filter is ignored.
            (Some(notice("security", None)), 8, true),
            (Some(notice("bugfix", None)), 8, true),
            (Some(notice("enhancement", None)), 8, false),
            // Too recent.
            (Some(notice("security", Some("Critical"))), 6, false),
            // No advisory: non-security, excluded by the gate.
            (None, 100, false),
        ];
        for (adv, age, want) in cases {
            let v = verdict(&b, &facts(&f, adv, age));
            assert_eq!(v.is_approved(), want, "{adv:?} age {age}: {v:?}");
        }
    }

    #[test]
    fn approve_after_days_boundary_is_strict() {
        let b = predefined::load("AWS-AmazonLinux2023DefaultPatchBaseline")
            .unwrap()
            .baseline;
        let f = forms();
        let mut x = facts(&f, Some(notice("security", Some("Critical"))), 7);
        assert!(!verdict(&b, &x).is_approved(), "exactly 7 days: not yet");
        x.release_time -= 1;
        assert!(
            verdict(&b, &x).is_approved(),
            "7 days and 1 second: approved"
        );
    }

    #[test]
    fn approve_until_date_includes_the_whole_day() {
        let b = custom(
            r#"{"Name":"until","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveUntilDate":"2025-11-10"}]}}"#,
        );
        let f = forms();
        let day_end = time::macros::datetime!(2025-11-10 23:59:59 UTC).unix_timestamp();
        let mut x = facts(&f, Some(notice("security", None)), 0);
        x.release_time = day_end;
        assert!(verdict(&b, &x).is_approved());
        x.release_time = day_end + 1;
        assert!(!verdict(&b, &x).is_approved());
    }

    #[test]
    fn medium_equals_moderate_case_insensitively() {
        assert!(severity_matches("Medium", "Moderate"));
        assert!(severity_matches("moderate", "MEDIUM"));
        assert!(severity_matches("Important", "important"));
        assert!(!severity_matches("Important", "Critical"));
    }

    #[test]
    fn non_security_switch_and_approved_list() {
        let f = forms();
        let plain = facts(&f, None, 30);
        let b = custom(
            r#"{"Name":"t-ns","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["*"]}]},"ApproveAfterDays":0,"EnableNonSecurity":true}]}}"#,
        );
        assert_eq!(verdict(&b, &plain).approved_by, [ApprovedBy::Rule(0)]);
        // A CLASSIFICATION filter never passes a package without a notice.
        let b = custom(
            r#"{"Name":"t-ns","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["Security"]}]},"ApproveAfterDays":0,"EnableNonSecurity":true}]}}"#,
        );
        assert!(!verdict(&b, &plain).is_approved());
        // Approved list: gated by ApprovedPatchesEnableNonSecurity for notice-less packages.
        let b = custom(
            r#"{"Name":"t-ap","OperatingSystem":"AMAZON_LINUX_2023","ApprovedPatches":["openssl"],"ApprovedPatchesComplianceLevel":"HIGH"}"#,
        );
        assert!(!verdict(&b, &plain).is_approved());
        let b = custom(
            r#"{"Name":"t-ap","OperatingSystem":"AMAZON_LINUX_2023","ApprovedPatches":["openssl"],"ApprovedPatchesComplianceLevel":"HIGH","ApprovedPatchesEnableNonSecurity":true}"#,
        );
        let v = verdict(&b, &plain);
        assert_eq!(v.approved_by, [ApprovedBy::ApprovedPatch("openssl".into())]);
        assert_eq!(v.compliance_level, ComplianceLevel::High);
    }

    #[test]
    fn approved_bypasses_global_filters_and_rejected_wins() {
        let f = forms();
        let sec = facts(&f, Some(notice("security", Some("Low"))), 0);
        let b = custom(
            r#"{"Name":"t-gf","OperatingSystem":"AMAZON_LINUX_2023","GlobalFilters":{"PatchFilters":[{"Key":"PRODUCT","Values":["AmazonLinux2"]}]},"ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0,"ComplianceLevel":"CRITICAL"}]},"ApprovedPatches":["ALAS2023-2025-100"],"ApprovedPatchesComplianceLevel":"MEDIUM"}"#,
        );
        let v = verdict(&b, &sec);
        assert_eq!(
            v.approved_by,
            [ApprovedBy::ApprovedPatch("ALAS2023-2025-100".into())]
        );
        assert_eq!(
            v.compliance_level,
            ComplianceLevel::Medium,
            "the rule did not apply: product differs"
        );
        let b = custom(
            r#"{"Name":"t-rj","OperatingSystem":"AMAZON_LINUX_2023","ApprovedPatches":["openssl*"],"RejectedPatches":["openssl-1:3.0.8-1.amzn2023.0.20.x86_64"]}"#,
        );
        let v = verdict(&b, &sec);
        assert!(!v.is_approved());
        assert_eq!(
            v.rejected_by.as_deref(),
            Some("openssl-1:3.0.8-1.amzn2023.0.20.x86_64")
        );
    }

    #[test]
    fn compliance_level_is_the_highest_approver() {
        let f = forms();
        let sec = facts(&f, Some(notice("security", Some("Critical"))), 10);
        let b = custom(
            r#"{"Name":"t-lv","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[
            {"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["Security"]}]},"ApproveAfterDays":0,"ComplianceLevel":"LOW"},
            {"PatchFilterGroup":{"PatchFilters":[{"Key":"SEVERITY","Values":["Critical"]}]},"ApproveAfterDays":0,"ComplianceLevel":"CRITICAL"},
            {"PatchFilterGroup":{"PatchFilters":[{"Key":"SEVERITY","Values":["Low"]}]},"ApproveAfterDays":0,"ComplianceLevel":"HIGH"}]}}"#,
        );
        let v = verdict(&b, &sec);
        assert_eq!(v.approved_by, [ApprovedBy::Rule(0), ApprovedBy::Rule(1)]);
        assert_eq!(v.compliance_level, ComplianceLevel::Critical);
    }

    #[test]
    fn suse_skips_the_security_gate_and_apt_ignores_dates() {
        let f = forms();
        let b = custom(
            r#"{"Name":"t-su","OperatingSystem":"SUSE","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["*"]}]},"ApproveAfterDays":0}]}}"#,
        );
        let mut x = facts(&f, None, 1);
        x.is_security = false;
        assert!(verdict(&b, &x).is_approved());
        let deb = predefined::load("AWS-DebianDefaultPatchBaseline")
            .unwrap()
            .baseline;
        let apt_forms = PackageForms::apt("curl", "7.88.1-10+deb12u5", "amd64");
        let fresh = PatchFacts {
            forms: &apt_forms,
            advisory: None,
            priority: Some("optional"),
            section: Some("web"),
            is_security: true,
            release_time: NOW,
        };
        let ctx = Context {
            baseline: &deb,
            product: "Debian12",
            now: NOW,
        };
        assert!(
            evaluate(&fresh, &ctx).is_approved(),
            "released now, 7-day delay ignored on APT"
        );
        let not_sec = PatchFacts {
            is_security: false,
            ..fresh.clone()
        };
        assert!(!evaluate(&not_sec, &ctx).is_approved());
        let no_prio = PatchFacts {
            priority: None,
            ..fresh
        };
        assert!(!evaluate(&no_prio, &ctx).is_approved());
    }

    #[test]
    fn classifications_in_title_case() {
        assert_eq!(canonical_classification("security"), "Security");
        assert_eq!(canonical_classification("newpackage"), "Newpackage");
        assert_eq!(canonical_classification("BUGFIX"), "Bugfix");
    }
}
