//! `patchscan scan` agrees with real dnf on the beds (repodata-fixtures/beds), parsing dnf's
//! own raw output as recorded by repodata-fixtures/scripts/run-dnf-oracle.sh.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::beds::{bed, scan};

/// name.arch → candidate `epoch:version-release` of every Missing patch.
fn missing(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["State"] == "Missing")
        .map(|p| {
            (
                p["KBId"].as_str().unwrap().to_string(),
                p["CandidateVersion"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn evr_with_epoch(s: &str) -> String {
    if s.contains(':') {
        s.to_string()
    } else {
        format!("0:{s}")
    }
}

fn highest(map: &mut BTreeMap<String, String>, key: String, evr: String) {
    use patchscan::version::RpmEvr;
    let new = RpmEvr::parse(&evr).unwrap();
    match map.get(&key) {
        Some(old) if RpmEvr::parse(old).unwrap() >= new => {}
        _ => {
            map.insert(key, evr);
        }
    }
}

/// Parses `dnf updateinfo list --available`: `ADVISORY TYPE/SEV NEVRA` lines.
fn dnf_updateinfo(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let nevra = line.split_whitespace().last().unwrap();
        let n = patchscan::version::Nevra::parse(nevra).unwrap_or_else(|e| panic!("{line}: {e}"));
        highest(&mut out, n.name_arch(), n.evr.to_full_string());
    }
    out
}

/// Parses `dnf check-update`: `name.arch  [epoch:]version-release  repo` lines.
fn dnf_check_update(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("Obsoleting") {
            break;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() != 3 || !cols[0].contains('.') {
            continue;
        }
        highest(&mut out, cols[0].to_string(), evr_with_epoch(cols[1]));
    }
    out
}

const ALL_ADVISORIES: &str = r#"{"Name":"all-advisories","OperatingSystem":"OS","ApprovalRules":{"PatchRules":[
  {"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["*"]}]},"ApproveAfterDays":0}]}}"#;
const EVERYTHING: &str = r#"{"Name":"everything","OperatingSystem":"OS","ApprovalRules":{"PatchRules":[
  {"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0,"EnableNonSecurity":true}]}}"#;

fn os_of(host: &str) -> &'static str {
    match host {
        "host-a" => "AMAZON_LINUX_2023",
        _ => "REDHAT_ENTERPRISE_LINUX",
    }
}

#[test]
fn missing_equals_dnf_updateinfo_list_available() {
    for host in ["host-a", "host-b"] {
        let report = scan(host, &ALL_ADVISORIES.replace("OS", os_of(host)), &[]);
        let dnf = dnf_updateinfo(&bed(host).join("oracle/updateinfo-list-available.out"));
        assert!(dnf.len() >= 20, "{host}: dnf listed only {}", dnf.len());
        assert_eq!(missing(&report), dnf, "{host}");
    }
}

#[test]
fn missing_equals_dnf_check_update_with_non_security() {
    for host in ["host-a", "host-b"] {
        let report = scan(host, &EVERYTHING.replace("OS", os_of(host)), &[]);
        let dnf = dnf_check_update(&bed(host).join("oracle/check-update.out"));
        assert!(dnf.len() >= 25, "{host}: dnf listed only {}", dnf.len());
        assert_eq!(missing(&report), dnf, "{host}");
    }
}
