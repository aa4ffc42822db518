//! The AWS JSON shapes of a patch baseline, field for field (spec §1).
//!
//! One struct takes all three shapes a user has: `get-patch-baseline` output,
//! `create-patch-baseline --cli-input-json` input, and an element of a `BaselineOverride`
//! array. Unknown fields are rejected so a misspelt field is an error, not a silent default.
//! Enum-valued fields are kept as strings here and checked in [`super::validate`], so that
//! every bad value in a file is reported at once with its field path.

use serde::{Deserialize, Serialize};

/// A baseline document as written by AWS tools or a user.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BaselineDocument {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_filters: Option<PatchFilterGroupDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_rules: Option<PatchRuleGroupDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_patches: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_patches_compliance_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_patches_enable_non_security: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_patches: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_patches_action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<PatchSourceDoc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_security_updates_compliance_status: Option<String>,
    /// `create-patch-baseline` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// `create-patch-baseline` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<TagDoc>>,
    /// `get-patch-baseline` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_groups: Option<Vec<String>>,
    /// `get-patch-baseline` only: an ISO timestamp (CLI) or epoch seconds (SDK JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<serde_json::Value>,
    /// `get-patch-baseline` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<serde_json::Value>,
}

/// `{"PatchFilters": [...]}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PatchFilterGroupDoc {
    /// Required by AWS even when empty.
    pub patch_filters: Option<Vec<PatchFilterDoc>>,
}

/// `{"Key": "...", "Values": [...]}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PatchFilterDoc {
    pub key: Option<String>,
    pub values: Option<Vec<String>>,
}

/// `{"PatchRules": [...]}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PatchRuleGroupDoc {
    pub patch_rules: Option<Vec<PatchRuleDoc>>,
}

/// One approval rule.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PatchRuleDoc {
    pub patch_filter_group: Option<PatchFilterGroupDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approve_after_days: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approve_until_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_non_security: Option<bool>,
}

/// An alternative patch source repository.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PatchSourceDoc {
    pub name: Option<String>,
    pub products: Option<Vec<String>>,
    pub configuration: Option<String>,
}

/// A resource tag (create input only).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct TagDoc {
    pub key: Option<String>,
    pub value: Option<String>,
}
