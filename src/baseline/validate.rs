//! Validation of baseline documents against the API's fields, enums and limits (spec §1–§2),
//! with diagnostics that name the field path and the rule broken.

use std::fmt;

use super::model::{BaselineDocument, PatchFilterGroupDoc};
use super::patterns::{PatchPattern, PatternKind};
use super::{
    Approval, ApprovalRule, Baseline, BaselineOrigin, ComplianceLevel, FilterKey, OperatingSystem,
    OsFamily, PatchFilter, PatchSource, PatternFamily, RejectedPatchesAction,
};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// AWS accepts it but ignores it, or it will match nothing.
    Warning,
    /// AWS would reject the baseline.
    Error,
}

/// One finding about a baseline document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    /// The field path, e.g. `ApprovalRules.PatchRules[1].ApproveAfterDays`.
    pub field: String,
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn error(field: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn warning(field: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{level}: {}: {}", self.field, self.message)
    }
}

const MAX_RULES: usize = 10;
const MAX_FILTERS: usize = 4;
const MAX_VALUES: usize = 20;
const MAX_PATCHES: usize = 50;
const MAX_SOURCES: usize = 20;
const MAX_APPROVE_AFTER_DAYS: i64 = 360;

/// Values AWS documents per filter key and family; others draw a warning (they match nothing).
fn known_values(os: OperatingSystem, key: FilterKey) -> Option<&'static [&'static str]> {
    match (os.family(), key) {
        (OsFamily::Rpm, FilterKey::Classification) => Some(&[
            "Security",
            "Bugfix",
            "Enhancement",
            "Recommended",
            "Newpackage",
        ]),
        (OsFamily::Rpm, FilterKey::Severity) => {
            Some(&["Critical", "Important", "Medium", "Moderate", "Low", "None"])
        }
        (OsFamily::Suse, FilterKey::Classification) => Some(&[
            "Security",
            "Recommended",
            "Optional",
            "Feature",
            "Document",
            "Yast",
        ]),
        (OsFamily::Suse, FilterKey::Severity) => {
            Some(&["Critical", "Important", "Moderate", "Medium", "Low"])
        }
        (OsFamily::Apt, FilterKey::Priority) => {
            Some(&["Required", "Important", "Standard", "Optional", "Extra"])
        }
        _ => None,
    }
}

fn check_len(
    diags: &mut Vec<Diagnostic>,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> bool {
    let n = value.chars().count();
    if n < min || n > max {
        diags.push(Diagnostic::error(
            field,
            format!("length {n} is outside {min}–{max} characters"),
        ));
        return false;
    }
    true
}

fn check_charset(
    diags: &mut Vec<Diagnostic>,
    field: &str,
    value: &str,
    allowed: impl Fn(char) -> bool,
    pattern: &str,
) {
    if let Some(c) = value.chars().find(|c| !allowed(*c)) {
        diags.push(Diagnostic::error(
            field,
            format!("{value:?} has {c:?}, which the pattern {pattern} does not allow"),
        ));
    }
}

pub use crate::vocab::time::{format_date, parse_date};

fn validate_filters(
    diags: &mut Vec<Diagnostic>,
    path: &str,
    group: Option<&PatchFilterGroupDoc>,
    os: OperatingSystem,
) -> Vec<PatchFilter> {
    let Some(group) = group else {
        diags.push(Diagnostic::error(path, "is required"));
        return Vec::new();
    };
    let Some(filters) = &group.patch_filters else {
        diags.push(Diagnostic::error(
            format!("{path}.PatchFilters"),
            "is required (use [] for none)",
        ));
        return Vec::new();
    };
    if filters.len() > MAX_FILTERS {
        diags.push(Diagnostic::error(
            format!("{path}.PatchFilters"),
            format!(
                "has {} filters; at most {MAX_FILTERS} are allowed",
                filters.len()
            ),
        ));
    }
    let mut out = Vec::new();
    let mut seen_keys = Vec::new();
    for (i, f) in filters.iter().enumerate() {
        let fpath = format!("{path}.PatchFilters[{i}]");
        let key = match f.key.as_deref() {
            None => {
                diags.push(Diagnostic::error(format!("{fpath}.Key"), "is required"));
                None
            }
            Some(k) => match FilterKey::parse(k) {
                None => {
                    diags.push(Diagnostic::error(
                        format!("{fpath}.Key"),
                        format!(
                            "unknown filter key {k:?} (valid for {os}: {})",
                            key_list(os)
                        ),
                    ));
                    None
                }
                Some(key) if !valid_filter_keys(os).contains(&key) => {
                    diags.push(Diagnostic::error(
                        format!("{fpath}.Key"),
                        format!(
                            "{k} is not a valid filter key for {os} (valid: {})",
                            key_list(os)
                        ),
                    ));
                    None
                }
                Some(key) => Some(key),
            },
        };
        if let Some(key) = key {
            if seen_keys.contains(&key) {
                diags.push(Diagnostic::warning(
                    format!("{fpath}.Key"),
                    format!(
                        "{} appears twice in this group; both must match",
                        key.as_str()
                    ),
                ));
            }
            seen_keys.push(key);
        }
        let values = match &f.values {
            None => {
                diags.push(Diagnostic::error(format!("{fpath}.Values"), "is required"));
                Vec::new()
            }
            Some(values) => {
                if values.is_empty() || values.len() > MAX_VALUES {
                    diags.push(Diagnostic::error(
                        format!("{fpath}.Values"),
                        format!("has {} values; 1–{MAX_VALUES} are allowed", values.len()),
                    ));
                }
                for (j, v) in values.iter().enumerate() {
                    let vpath = format!("{fpath}.Values[{j}]");
                    if !check_len(diags, &vpath, v, 1, 64) {
                        continue;
                    }
                    if let Some(key) = key {
                        if v != "*" {
                            if let Some(known) = known_values(os, key) {
                                if !known.iter().any(|k| k.eq_ignore_ascii_case(v)) {
                                    diags.push(Diagnostic::warning(
                                        vpath,
                                        format!(
                                            "{v:?} is not a {} value AWS documents for {os} ({}); it will likely match nothing",
                                            key.as_str(),
                                            known.join(", ")
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                }
                values.clone()
            }
        };
        if let Some(key) = key {
            out.push(PatchFilter { key, values });
        }
    }
    out
}

fn key_list(os: OperatingSystem) -> String {
    valid_filter_keys(os)
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn compliance_level(
    diags: &mut Vec<Diagnostic>,
    field: &str,
    value: Option<&str>,
) -> ComplianceLevel {
    match value {
        None => ComplianceLevel::Unspecified,
        Some(v) => ComplianceLevel::parse(v).unwrap_or_else(|| {
            diags.push(Diagnostic::error(
                field,
                format!("unknown compliance level {v:?} (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNSPECIFIED)"),
            ));
            ComplianceLevel::Unspecified
        }),
    }
}

fn patch_list(
    diags: &mut Vec<Diagnostic>,
    field: &str,
    list: Option<&Vec<String>>,
    os: OperatingSystem,
    rejected: bool,
) -> Vec<PatchPattern> {
    let Some(list) = list else {
        return Vec::new();
    };
    if list.len() > MAX_PATCHES {
        diags.push(Diagnostic::error(
            field,
            format!(
                "has {} entries; at most {MAX_PATCHES} are allowed",
                list.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let epath = format!("{field}[{i}]");
        if !check_len(diags, &epath, entry, 1, 100) {
            continue;
        }
        match PatchPattern::parse(entry, pattern_family(os)) {
            Err(e) => diags.push(Diagnostic::error(epath, e.to_string())),
            Ok(p) => {
                if rejected && *p.kind() != PatternKind::Package {
                    diags.push(Diagnostic::warning(
                        epath,
                        format!(
                            "{entry:?} looks like {} id; rejected lists take package names only, so it will match nothing",
                            match p.kind() {
                                PatternKind::Advisory => "an advisory",
                                PatternKind::Cve => "a CVE",
                                _ => "a Bugzilla",
                            }
                        ),
                    ));
                }
                out.push(p);
            }
        }
    }
    out
}

/// Validates one document. Returns the baseline when there are no errors, and every
/// diagnostic (errors and warnings) in field order.
///
/// `standalone` is false for elements of a `BaselineOverride` array, which carry no `Name`.
pub fn validate(
    doc: &BaselineDocument,
    origin: BaselineOrigin,
    standalone: bool,
) -> (Option<Baseline>, Vec<Diagnostic>) {
    let mut d = Vec::new();

    if let Some(id) = &doc.baseline_id {
        if check_len(&mut d, "BaselineId", id, 20, 128) {
            check_charset(
                &mut d,
                "BaselineId",
                id,
                |c| c.is_ascii_alphanumeric() || "_-:/".contains(c),
                "^[a-zA-Z0-9_\\-:/]{20,128}$",
            );
        }
    }
    match &doc.name {
        Some(name) if check_len(&mut d, "Name", name, 3, 128) => check_charset(
            &mut d,
            "Name",
            name,
            |c| c.is_ascii_alphanumeric() || "_-.".contains(c),
            "^[a-zA-Z0-9_\\-.]{3,128}$",
        ),
        Some(_) => {}
        None if standalone => d.push(Diagnostic::error("Name", "is required")),
        None => {}
    }

    let os = match doc.operating_system.as_deref() {
        None => {
            d.push(Diagnostic::warning(
                "OperatingSystem",
                "is missing; AWS then defaults to WINDOWS, which patchscan does not evaluate",
            ));
            OperatingSystem::Windows
        }
        Some(s) => OperatingSystem::parse(s).unwrap_or_else(|| {
            let all: Vec<_> = OperatingSystem::ALL.iter().map(|o| o.as_str()).collect();
            d.push(Diagnostic::error(
                "OperatingSystem",
                format!("unknown operating system {s:?} (one of {})", all.join(", ")),
            ));
            OperatingSystem::Windows
        }),
    };
    if doc.operating_system.is_some() && os.family() == OsFamily::NotLinux {
        d.push(Diagnostic::warning(
            "OperatingSystem",
            format!("{os} is valid for AWS, but patchscan evaluates Linux baselines only"),
        ));
    }

    if let Some(desc) = &doc.description {
        check_len(&mut d, "Description", desc, 1, 1024);
    }

    let global_filters = match &doc.global_filters {
        None => Vec::new(),
        Some(g) => validate_filters(&mut d, "GlobalFilters", Some(g), os),
    };

    let mut approval_rules = Vec::new();
    if let Some(group) = &doc.approval_rules {
        match &group.patch_rules {
            None => d.push(Diagnostic::error(
                "ApprovalRules.PatchRules",
                "is required (use [] for none)",
            )),
            Some(rules) => {
                if rules.len() > MAX_RULES {
                    d.push(Diagnostic::error(
                        "ApprovalRules.PatchRules",
                        format!("has {} rules; at most {MAX_RULES} are allowed", rules.len()),
                    ));
                }
                for (i, rule) in rules.iter().enumerate() {
                    let rpath = format!("ApprovalRules.PatchRules[{i}]");
                    let filters = validate_filters(
                        &mut d,
                        &format!("{rpath}.PatchFilterGroup"),
                        rule.patch_filter_group.as_ref(),
                        os,
                    );
                    let level = compliance_level(
                        &mut d,
                        &format!("{rpath}.ComplianceLevel"),
                        rule.compliance_level.as_deref(),
                    );
                    let approval = rule_approval(&mut d, &rpath, rule, os);
                    approval_rules.push(ApprovalRule {
                        filters,
                        compliance_level: level,
                        approval,
                        enable_non_security: rule.enable_non_security.unwrap_or(false),
                    });
                }
            }
        }
    }

    let approved_patches = patch_list(
        &mut d,
        "ApprovedPatches",
        doc.approved_patches.as_ref(),
        os,
        false,
    );
    let approved_level = compliance_level(
        &mut d,
        "ApprovedPatchesComplianceLevel",
        doc.approved_patches_compliance_level.as_deref(),
    );
    let rejected_patches = patch_list(
        &mut d,
        "RejectedPatches",
        doc.rejected_patches.as_ref(),
        os,
        true,
    );
    let rejected_action = match doc.rejected_patches_action.as_deref() {
        None | Some("ALLOW_AS_DEPENDENCY") => RejectedPatchesAction::AllowAsDependency,
        Some("BLOCK") => RejectedPatchesAction::Block,
        Some(other) => {
            d.push(Diagnostic::error(
                "RejectedPatchesAction",
                format!("unknown action {other:?} (ALLOW_AS_DEPENDENCY or BLOCK)"),
            ));
            RejectedPatchesAction::AllowAsDependency
        }
    };

    let mut sources = Vec::new();
    if let Some(list) = &doc.sources {
        if list.len() > MAX_SOURCES {
            d.push(Diagnostic::error(
                "Sources",
                format!(
                    "has {} sources; at most {MAX_SOURCES} are allowed",
                    list.len()
                ),
            ));
        }
        for (i, s) in list.iter().enumerate() {
            let spath = format!("Sources[{i}]");
            let name = s.name.clone().unwrap_or_default();
            match &s.name {
                None => d.push(Diagnostic::error(format!("{spath}.Name"), "is required")),
                Some(n) => {
                    if check_len(&mut d, &format!("{spath}.Name"), n, 3, 50) {
                        check_charset(
                            &mut d,
                            &format!("{spath}.Name"),
                            n,
                            |c| c.is_ascii_alphanumeric() || "_-.".contains(c),
                            "^[a-zA-Z0-9_\\-.]{3,50}$",
                        );
                    }
                }
            }
            let products = s.products.clone().unwrap_or_default();
            if products.is_empty() || products.len() > 20 {
                d.push(Diagnostic::error(
                    format!("{spath}.Products"),
                    format!("has {} products; 1–20 are required", products.len()),
                ));
            }
            for (j, p) in products.iter().enumerate() {
                check_len(&mut d, &format!("{spath}.Products[{j}]"), p, 1, 128);
            }
            let configuration = s.configuration.clone().unwrap_or_default();
            check_len(
                &mut d,
                &format!("{spath}.Configuration"),
                &configuration,
                1,
                1024,
            );
            sources.push(PatchSource {
                name,
                products,
                configuration,
            });
        }
    }

    if let Some(status) = &doc.available_security_updates_compliance_status {
        use crate::vocab::status::ComplianceStatus;
        if !matches!(
            ComplianceStatus::parse(status),
            Some(ComplianceStatus::Compliant | ComplianceStatus::NonCompliant)
        ) {
            d.push(Diagnostic::error(
                "AvailableSecurityUpdatesComplianceStatus",
                format!("unknown status {status:?} (COMPLIANT or NON_COMPLIANT)"),
            ));
        } else if os != OperatingSystem::Windows {
            d.push(Diagnostic::warning(
                "AvailableSecurityUpdatesComplianceStatus",
                "applies to Windows Server only; ignored for Linux",
            ));
        }
    }
    if let Some(token) = &doc.client_token {
        check_len(&mut d, "ClientToken", token, 1, 64);
    }
    if let Some(tags) = &doc.tags {
        if tags.len() > 1000 {
            d.push(Diagnostic::error("Tags", "at most 1000 tags are allowed"));
        }
        for (i, t) in tags.iter().enumerate() {
            match &t.key {
                None => d.push(Diagnostic::error(format!("Tags[{i}].Key"), "is required")),
                Some(k) => {
                    check_len(&mut d, &format!("Tags[{i}].Key"), k, 1, 128);
                }
            }
            match &t.value {
                None => d.push(Diagnostic::error(format!("Tags[{i}].Value"), "is required")),
                Some(v) => {
                    check_len(&mut d, &format!("Tags[{i}].Value"), v, 0, 256);
                }
            }
        }
    }
    if let Some(groups) = &doc.patch_groups {
        for (i, g) in groups.iter().enumerate() {
            let gpath = format!("PatchGroups[{i}]");
            if check_len(&mut d, &gpath, g, 1, 256) {
                check_charset(
                    &mut d,
                    &gpath,
                    g,
                    |c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c),
                    "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
                );
            }
        }
    }

    let has_errors = d.iter().any(|x| x.level == Level::Error);
    let baseline = (!has_errors).then(|| Baseline {
        baseline_id: doc.baseline_id.clone(),
        name: doc
            .name
            .clone()
            .unwrap_or_else(|| format!("BaselineOverride-{}", os.as_str())),
        operating_system: os,
        description: doc.description.clone(),
        global_filters,
        approval_rules,
        approved_patches,
        approved_patches_compliance_level: approved_level,
        approved_patches_enable_non_security: doc
            .approved_patches_enable_non_security
            .unwrap_or(false),
        rejected_patches,
        rejected_patches_action: rejected_action,
        sources,
        origin,
        aws_id_cache: Default::default(),
    });
    (baseline, d)
}

fn rule_approval(
    d: &mut Vec<Diagnostic>,
    rpath: &str,
    rule: &super::model::PatchRuleDoc,
    os: OperatingSystem,
) -> Approval {
    let days = rule.approve_after_days.and_then(|days| {
        if (0..=MAX_APPROVE_AFTER_DAYS).contains(&days) {
            u32::try_from(days).ok()
        } else {
            d.push(Diagnostic::error(
                format!("{rpath}.ApproveAfterDays"),
                format!("{days} is outside 0–{MAX_APPROVE_AFTER_DAYS}"),
            ));
            None
        }
    });
    let until = rule.approve_until_date.as_deref().and_then(|s| {
        let parsed = parse_date(s);
        if parsed.is_none() {
            d.push(Diagnostic::error(
                format!("{rpath}.ApproveUntilDate"),
                format!("{s:?} is not a date in the form YYYY-MM-DD"),
            ));
        }
        parsed
    });
    let both = rule.approve_after_days.is_some() && rule.approve_until_date.is_some();
    let neither = rule.approve_after_days.is_none() && rule.approve_until_date.is_none();
    if both {
        d.push(Diagnostic::error(
            rpath,
            "has both ApproveAfterDays and ApproveUntilDate; give one",
        ));
    }
    if os.supports_approval_dates() {
        if neither {
            d.push(Diagnostic::error(
                rpath,
                "needs ApproveAfterDays or ApproveUntilDate",
            ));
        }
    } else if !neither {
        let field = if rule.approve_after_days.is_some() {
            "ApproveAfterDays"
        } else {
            "ApproveUntilDate"
        };
        d.push(Diagnostic::warning(
            format!("{rpath}.{field}"),
            format!("is ignored on {os}: AWS does not support approval delays for APT systems"),
        ));
    }
    match (days, until) {
        (Some(days), None) => Approval::AfterDays(days),
        (None, Some(date)) => Approval::UntilDate(date),
        _ => Approval::Unset,
    }
}

/// Filter keys valid in an operating system's baselines (spec §2.1).
pub fn valid_filter_keys(os: OperatingSystem) -> &'static [FilterKey] {
    use FilterKey::*;
    match os.family() {
        OsFamily::Rpm | OsFamily::Suse => &[Product, Classification, Severity],
        OsFamily::Apt => &[Product, Priority, Section],
        OsFamily::NotLinux if os == OperatingSystem::Macos => &[Product, Classification],
        OsFamily::NotLinux => &[
            Product,
            ProductFamily,
            Classification,
            MsrcSeverity,
            PatchSet,
        ],
    }
}

/// How patch-list entries are read for an operating system.
pub fn pattern_family(os: OperatingSystem) -> PatternFamily {
    match os.family() {
        OsFamily::Apt => PatternFamily::Apt,
        OsFamily::Suse => PatternFamily::Suse,
        _ => PatternFamily::Rpm,
    }
}
