//! AWS's predefined Linux baselines (`baselines/*.json`), compiled into the binary.

use std::path::PathBuf;

use super::{check_text, BaselineOrigin, LoadedBaseline, OperatingSystem};

macro_rules! predefined {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/baselines/", $name, ".json")))),*]
    };
}

/// Name and JSON text of each predefined baseline.
const BASELINES: &[(&str, &str)] = predefined!(
    "AWS-AmazonLinuxDefaultPatchBaseline",
    "AWS-AmazonLinux2DefaultPatchBaseline",
    "AWS-AmazonLinux2022DefaultPatchBaseline",
    "AWS-AmazonLinux2023DefaultPatchBaseline",
    "AWS-RedHatDefaultPatchBaseline",
    "AWS-RockyLinuxDefaultPatchBaseline",
    "AWS-AlmaLinuxDefaultPatchBaseline",
    "AWS-OracleLinuxDefaultPatchBaseline",
    "AWS-SuseDefaultPatchBaseline",
    "AWS-CentOSDefaultPatchBaseline",
    "AWS-UbuntuDefaultPatchBaseline",
    "AWS-DebianDefaultPatchBaseline",
    "AWS-RaspbianDefaultPatchBaseline",
);

/// Names of every predefined baseline.
pub fn names() -> Vec<&'static str> {
    BASELINES.iter().map(|(n, _)| *n).collect()
}

/// The predefined baseline `name`, if there is one.
pub fn load(name: &str) -> Option<LoadedBaseline> {
    let (name, text) = BASELINES.iter().find(|(n, _)| *n == name)?;
    let check = check_text(text, &PathBuf::from(format!("baselines/{name}.json"))).ok()?;
    let doc = check.documents.into_iter().next()?;
    let mut baseline = doc.baseline?;
    baseline.origin = BaselineOrigin::Predefined(name);
    Some(LoadedBaseline {
        baseline,
        warnings: doc.diagnostics,
    })
}

/// AWS's default baseline for an operating system (every predefined Linux baseline is the
/// default for its OS).
pub fn default_name(os: OperatingSystem) -> Option<&'static str> {
    use OperatingSystem::*;
    Some(match os {
        AmazonLinux => "AWS-AmazonLinuxDefaultPatchBaseline",
        AmazonLinux2 => "AWS-AmazonLinux2DefaultPatchBaseline",
        AmazonLinux2022 => "AWS-AmazonLinux2022DefaultPatchBaseline",
        AmazonLinux2023 => "AWS-AmazonLinux2023DefaultPatchBaseline",
        RedhatEnterpriseLinux => "AWS-RedHatDefaultPatchBaseline",
        RockyLinux => "AWS-RockyLinuxDefaultPatchBaseline",
        AlmaLinux => "AWS-AlmaLinuxDefaultPatchBaseline",
        OracleLinux => "AWS-OracleLinuxDefaultPatchBaseline",
        Suse => "AWS-SuseDefaultPatchBaseline",
        Centos => "AWS-CentOSDefaultPatchBaseline",
        Ubuntu => "AWS-UbuntuDefaultPatchBaseline",
        Debian => "AWS-DebianDefaultPatchBaseline",
        Raspbian => "AWS-RaspbianDefaultPatchBaseline",
        Windows | Macos => return None,
    })
}

/// AWS's default baseline for an operating system, loaded.
pub fn default_for(os: OperatingSystem) -> Option<LoadedBaseline> {
    default_name(os).and_then(load)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{Approval, FilterKey, OsFamily};

    #[test]
    fn every_predefined_baseline_loads_and_is_its_os_default() {
        for name in names() {
            let loaded = load(name).unwrap_or_else(|| panic!("{name} does not load"));
            let b = &loaded.baseline;
            assert_eq!(b.name, name);
            assert_eq!(default_name(b.operating_system), Some(name));
            assert!(b.report_id().contains("patchbaseline/pb-"), "{name}");
            for rule in &b.approval_rules {
                assert_eq!(rule.approval, Approval::AfterDays(7), "{name}");
            }
            // Only the APT ones warn (ApproveAfterDays is ignored there).
            let apt = b.operating_system.family() == OsFamily::Apt;
            assert_eq!(
                !loaded.warnings.is_empty(),
                apt,
                "{name}: {:?}",
                loaded.warnings
            );
        }
        assert_eq!(names().len(), 13);
    }

    #[test]
    fn oracle_default_approves_critical_since_2025_12() {
        let b = load("AWS-OracleLinuxDefaultPatchBaseline")
            .unwrap()
            .baseline;
        let sev = b.approval_rules[0]
            .filters
            .iter()
            .find(|f| f.key == FilterKey::Severity)
            .unwrap();
        assert_eq!(sev.values, ["Critical", "Important", "Moderate"]);
    }

    #[test]
    fn centos_default_includes_non_security() {
        let b = load("AWS-CentOSDefaultPatchBaseline").unwrap().baseline;
        assert!(b.global_filters.is_empty());
        assert!(b.approval_rules[0].enable_non_security);
    }
}
