//! AWS patch baselines: the JSON shapes ([`model`]), validation ([`validate`]), patch-list
//! entries (`patterns`) and AWS's predefined baselines ([`predefined`]).
//!
//! A [`Baseline`] is the validated, normalised form the engine evaluates: enums parsed,
//! defaults filled in, patch lists compiled.

pub mod model;
pub(crate) mod patterns;
pub mod predefined;
pub mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use patterns::{PackageForms, PatchPattern, PatternFamily, PatternKind};
pub use validate::{Diagnostic, Level};

pub use crate::vocab::os::{OperatingSystem, OsFamily};

/// `PatchFilterKey` (spec §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FilterKey {
    Arch,
    AdvisoryId,
    BugzillaId,
    PatchSet,
    Product,
    ProductFamily,
    Classification,
    CveId,
    Epoch,
    MsrcSeverity,
    Name,
    PatchId,
    Section,
    Priority,
    Repository,
    Release,
    Severity,
    Security,
    Version,
}

impl FilterKey {
    const ALL: [FilterKey; 19] = [
        Self::Arch,
        Self::AdvisoryId,
        Self::BugzillaId,
        Self::PatchSet,
        Self::Product,
        Self::ProductFamily,
        Self::Classification,
        Self::CveId,
        Self::Epoch,
        Self::MsrcSeverity,
        Self::Name,
        Self::PatchId,
        Self::Section,
        Self::Priority,
        Self::Repository,
        Self::Release,
        Self::Severity,
        Self::Security,
        Self::Version,
    ];

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Arch => "ARCH",
            Self::AdvisoryId => "ADVISORY_ID",
            Self::BugzillaId => "BUGZILLA_ID",
            Self::PatchSet => "PATCH_SET",
            Self::Product => "PRODUCT",
            Self::ProductFamily => "PRODUCT_FAMILY",
            Self::Classification => "CLASSIFICATION",
            Self::CveId => "CVE_ID",
            Self::Epoch => "EPOCH",
            Self::MsrcSeverity => "MSRC_SEVERITY",
            Self::Name => "NAME",
            Self::PatchId => "PATCH_ID",
            Self::Section => "SECTION",
            Self::Priority => "PRIORITY",
            Self::Repository => "REPOSITORY",
            Self::Release => "RELEASE",
            Self::Severity => "SEVERITY",
            Self::Security => "SECURITY",
            Self::Version => "VERSION",
        }
    }

    /// Parses the API spelling (exact).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `PatchComplianceLevel`, ordered from `Unspecified` (lowest) to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComplianceLevel {
    #[default]
    Unspecified,
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl ComplianceLevel {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "UNSPECIFIED",
            Self::Informational => "INFORMATIONAL",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// Parses the API spelling (exact).
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Unspecified,
            Self::Informational,
            Self::Low,
            Self::Medium,
            Self::High,
            Self::Critical,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// `RejectedPatchesAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RejectedPatchesAction {
    /// The default: rejected packages may still be installed as dependencies; installed ones
    /// report `InstalledOther`.
    #[default]
    AllowAsDependency,
    /// Rejected packages are never installed; installed ones report `InstalledRejected`.
    Block,
}

impl RejectedPatchesAction {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllowAsDependency => "ALLOW_AS_DEPENDENCY",
            Self::Block => "BLOCK",
        }
    }
}

/// One filter: a key and the values it accepts (`*` accepts everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchFilter {
    pub key: FilterKey,
    pub values: Vec<String>,
}

/// When a rule's matches become approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Approved this many days after the patch's release date.
    AfterDays(u32),
    /// Approved when released on or before this UTC day.
    UntilDate(time::Date),
    /// No date condition given (valid only on APT systems). On APT systems the engine ignores
    /// the other two as AWS does, but they are kept so `baseline show` prints what was written.
    Unset,
}

/// One approval rule, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRule {
    pub filters: Vec<PatchFilter>,
    pub compliance_level: ComplianceLevel,
    pub approval: Approval,
    pub enable_non_security: bool,
}

/// An alternative patch source (kept for reporting; patchscan reads repositories from disk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PatchSource {
    pub name: String,
    pub products: Vec<String>,
    pub configuration: String,
}

/// Where a baseline came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineOrigin {
    /// One of AWS's predefined baselines, compiled in.
    Predefined(&'static str),
    /// A file; `index` is the position in a `BaselineOverride` array.
    File { path: PathBuf, index: Option<usize> },
}

impl fmt::Display for BaselineOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Predefined(name) => write!(f, "predefined baseline {name}"),
            Self::File { path, index: None } => write!(f, "{}", path.display()),
            Self::File {
                path,
                index: Some(i),
            } => write!(f, "{}[{i}]", path.display()),
        }
    }
}

/// A validated patch baseline, ready for evaluation.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The id AWS assigned (`pb-…` or an ARN); `None` for create input and override elements.
    pub baseline_id: Option<String>,
    pub name: String,
    pub operating_system: OperatingSystem,
    pub description: Option<String>,
    pub global_filters: Vec<PatchFilter>,
    pub approval_rules: Vec<ApprovalRule>,
    pub approved_patches: Vec<PatchPattern>,
    pub approved_patches_compliance_level: ComplianceLevel,
    pub approved_patches_enable_non_security: bool,
    pub rejected_patches: Vec<PatchPattern>,
    pub rejected_patches_action: RejectedPatchesAction,
    pub sources: Vec<PatchSource>,
    pub origin: BaselineOrigin,
    /// [`Baseline::aws_id`], worked out once.
    pub aws_id_cache: std::sync::OnceLock<String>,
}

/// A baseline with the warnings its validation produced.
#[derive(Debug, Clone)]
pub struct LoadedBaseline {
    pub baseline: Baseline,
    pub warnings: Vec<Diagnostic>,
}

/// Why a baseline could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not JSON at all (unreadable input).
    #[error("{origin}: {field}: not valid JSON: {message}")]
    Json {
        origin: String,
        field: String,
        message: String,
    },
    /// JSON, but a field is unknown or of the wrong type (an invalid baseline).
    #[error("{origin}: error: {field}: {message}")]
    Shape {
        origin: String,
        field: String,
        message: String,
    },
    #[error("{origin}: invalid baseline:\n{}", render_diagnostics(.diagnostics))]
    Invalid {
        origin: String,
        diagnostics: Vec<Diagnostic>,
    },
    #[error("{name:?} is neither a file nor a predefined baseline (known: {})", predefined::names().join(", "))]
    UnknownBaseline { name: String },
    #[error("{origin}: no baseline for OperatingSystem {os} (the document has: {available})")]
    NoBaselineForOs {
        origin: String,
        os: OperatingSystem,
        available: String,
    },
    #[error("{origin}: baseline {name:?} is for OperatingSystem {baseline_os}, but the host is {host_os}; pass a baseline for {host_os} (or --os if the host was identified wrongly)")]
    OsMismatch {
        origin: String,
        name: String,
        baseline_os: OperatingSystem,
        host_os: OperatingSystem,
    },
    #[error("{origin}: more than one baseline for OperatingSystem {os}")]
    AmbiguousOverride { origin: String, os: OperatingSystem },
}

/// Adds a "did you mean" to serde's unknown-field message.
fn explain_shape_error(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return crate::vocab::plain::type_words(message);
    };
    let Some((field, expected)) = rest.split_once("`, expected one of ") else {
        return message.to_string();
    };
    let best = expected
        .split(", ")
        .map(|c| c.trim_matches('`'))
        .min_by_key(|c| edit_distance(&field.to_ascii_lowercase(), &c.to_ascii_lowercase()));
    match best {
        Some(c) if edit_distance(&field.to_ascii_lowercase(), &c.to_ascii_lowercase()) <= 3 => {
            format!("unknown field `{field}`; did you mean `{c}`?")
        }
        _ => message.to_string(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every baseline in a file (one, or several in a `BaselineOverride` array), each validated.
#[derive(Debug)]
pub struct FileCheck {
    /// The origin of each document and its outcome.
    pub documents: Vec<DocumentCheck>,
}

/// One document's outcome.
#[derive(Debug)]
pub struct DocumentCheck {
    pub origin: BaselineOrigin,
    /// `None` when validation found errors.
    pub baseline: Option<Baseline>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and validates every baseline document in `text`.
pub fn check_text(text: &str, path: &Path) -> Result<FileCheck, BaselineError> {
    let origin_name = path.display().to_string();
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| BaselineError::Json {
        origin: origin_name.clone(),
        field: format!("line {} column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    let (docs, is_array) = match value {
        serde_json::Value::Array(items) => (items, true),
        other => (vec![other], false),
    };
    let mut documents = Vec::with_capacity(docs.len());
    for (i, item) in docs.into_iter().enumerate() {
        let index = is_array.then_some(i);
        let prefix = index.map(|i| format!("[{i}]")).unwrap_or_default();
        let doc: model::BaselineDocument = serde_path_to_error::deserialize(item).map_err(|e| {
            let field = e.path().to_string();
            BaselineError::Shape {
                origin: origin_name.clone(),
                field: if field == "." {
                    if prefix.is_empty() {
                        "(document)".into()
                    } else {
                        prefix.clone()
                    }
                } else {
                    format!(
                        "{prefix}{}{field}",
                        if prefix.is_empty() { "" } else { "." }
                    )
                },
                message: explain_shape_error(&e.into_inner().to_string()),
            }
        })?;
        let origin = BaselineOrigin::File {
            path: path.to_path_buf(),
            index,
        };
        let (baseline, diagnostics) = validate::validate(&doc, origin.clone(), !is_array);
        documents.push(DocumentCheck {
            origin,
            baseline,
            diagnostics,
        });
    }
    // A BaselineOverride array may hold one baseline per OperatingSystem.
    let mut seen = std::collections::HashMap::new();
    for (i, d) in documents.iter_mut().enumerate() {
        let Some(os) = d.baseline.as_ref().map(|b| b.operating_system) else {
            continue;
        };
        if let Some(first) = seen.insert(os, i) {
            d.diagnostics.push(Diagnostic::error(
                "OperatingSystem",
                format!("{os} already has a baseline at [{first}]; a BaselineOverride holds one per operating system"),
            ));
            d.baseline = None;
        }
    }
    Ok(FileCheck { documents })
}

/// Reads and validates a baseline file.
pub fn check_file(path: &Path) -> Result<FileCheck, BaselineError> {
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_text(&text, path)
}

fn into_loaded(doc: DocumentCheck) -> Result<LoadedBaseline, BaselineError> {
    match doc.baseline {
        Some(baseline) => Ok(LoadedBaseline {
            baseline,
            warnings: doc.diagnostics,
        }),
        None => Err(BaselineError::Invalid {
            origin: doc.origin.to_string(),
            diagnostics: doc.diagnostics,
        }),
    }
}

/// Loads every baseline named by `spec`: a predefined name or a file path.
pub fn load_all(spec: &str) -> Result<Vec<LoadedBaseline>, BaselineError> {
    if let Some(loaded) = predefined::load(spec) {
        return Ok(vec![loaded]);
    }
    let path = Path::new(spec);
    if !path.exists() {
        return Err(BaselineError::UnknownBaseline {
            name: spec.to_string(),
        });
    }
    check_file(path)?
        .documents
        .into_iter()
        .map(into_loaded)
        .collect()
}

/// Loads the baseline `spec` names for a host of `os`; a `BaselineOverride` array yields the
/// one element for that operating system.
pub fn load_for_os(spec: &str, os: OperatingSystem) -> Result<LoadedBaseline, BaselineError> {
    let all = load_all(spec)?;
    // A baseline for another operating system is an error, never a warning: evaluating an
    // Amazon Linux host against an Ubuntu baseline approves nothing and looks compliant.
    if let [one] = &all[..] {
        let in_override = matches!(
            one.baseline.origin,
            BaselineOrigin::File { index: Some(_), .. }
        );
        if one.baseline.operating_system != os && !in_override {
            return Err(BaselineError::OsMismatch {
                origin: spec.to_string(),
                name: one.baseline.name.clone(),
                baseline_os: one.baseline.operating_system,
                host_os: os,
            });
        }
    }
    let available = all
        .iter()
        .map(|l| l.baseline.operating_system.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut matching = all
        .into_iter()
        .filter(|l| l.baseline.operating_system == os);
    match (matching.next(), matching.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(BaselineError::NoBaselineForOs {
            origin: spec.to_string(),
            os,
            available,
        }),
        (Some(_), Some(_)) => Err(BaselineError::AmbiguousOverride {
            origin: spec.to_string(),
            os,
        }),
    }
}

impl Baseline {
    /// The id reports carry: the AWS id when known, else the name.
    pub fn report_id(&self) -> &str {
        self.baseline_id.as_deref().unwrap_or(&self.name)
    }

    /// The id AWS shapes carry: the AWS id when known; otherwise a stable synthetic one in
    /// AWS's shape, `pb-` and 17 hex digits of a 128-bit FNV-1a hash of the baseline's
    /// `get-patch-baseline` JSON (name included), so the same baseline always gets the same id
    /// and any change to it gets another.
    pub fn aws_id(&self) -> &str {
        if let Some(id) = &self.baseline_id {
            return id;
        }
        self.aws_id_cache.get_or_init(|| self.synthetic_id())
    }

    fn synthetic_id(&self) -> String {
        let text = serde_json::to_string(&self.to_document()).unwrap_or_default();
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        for b in text.bytes() {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
        format!("pb-{:017x}", h >> (128 - 68))
    }

    /// The baseline in `get-patch-baseline` shape, every field explicit.
    pub fn to_document(&self) -> model::BaselineDocument {
        use model::*;
        let filters = |fs: &[PatchFilter]| PatchFilterGroupDoc {
            patch_filters: Some(
                fs.iter()
                    .map(|f| PatchFilterDoc {
                        key: Some(f.key.as_str().to_string()),
                        values: Some(f.values.clone()),
                    })
                    .collect(),
            ),
        };
        BaselineDocument {
            baseline_id: self.baseline_id.clone(),
            name: Some(self.name.clone()),
            operating_system: Some(self.operating_system.as_str().to_string()),
            global_filters: Some(filters(&self.global_filters)),
            approval_rules: Some(PatchRuleGroupDoc {
                patch_rules: Some(
                    self.approval_rules
                        .iter()
                        .map(|r| PatchRuleDoc {
                            patch_filter_group: Some(filters(&r.filters)),
                            compliance_level: Some(r.compliance_level.as_str().to_string()),
                            approve_after_days: match r.approval {
                                Approval::AfterDays(d) => Some(i64::from(d)),
                                _ => None,
                            },
                            approve_until_date: match r.approval {
                                Approval::UntilDate(d) => Some(validate::format_date(d)),
                                _ => None,
                            },
                            enable_non_security: Some(r.enable_non_security),
                        })
                        .collect(),
                ),
            }),
            approved_patches: Some(
                self.approved_patches
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            ),
            approved_patches_compliance_level: Some(
                self.approved_patches_compliance_level.as_str().to_string(),
            ),
            approved_patches_enable_non_security: Some(self.approved_patches_enable_non_security),
            rejected_patches: Some(
                self.rejected_patches
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            ),
            rejected_patches_action: Some(self.rejected_patches_action.as_str().to_string()),
            description: self.description.clone(),
            sources: Some(
                self.sources
                    .iter()
                    .map(|s| PatchSourceDoc {
                        name: Some(s.name.clone()),
                        products: Some(s.products.clone()),
                        configuration: Some(s.configuration.clone()),
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }
}
