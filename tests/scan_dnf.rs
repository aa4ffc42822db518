//! `patchscan scan` agrees with real dnf on the beds (repodata-fixtures/beds), parsing dnf's
//! own raw output as recorded by repodata-fixtures/scripts/run-dnf-oracle.sh.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::beds::{bed, large_bed, scan, scan_bed};

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

/// Asserts equal maps, showing only the entries that differ.
fn assert_same(ours: &BTreeMap<String, String>, dnf: &BTreeMap<String, String>, what: &str) {
    let mut diffs = Vec::new();
    for k in ours
        .keys()
        .chain(dnf.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        if ours.get(k) != dnf.get(k) {
            diffs.push(format!(
                "{k}: patchscan {:?}, dnf {:?}",
                ours.get(k),
                dnf.get(k)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{what}: {} of {}/{} differ:\n{}",
        diffs.len(),
        ours.len(),
        dnf.len(),
        diffs
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
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

// dnf applies no release dates. "No delay" is written as an until-date far ahead: with
// `ApproveAfterDays: 0` the spec's strict cutoff (release < now) would leave out notices dated
// exactly at the beds' NOW, which the large bed has (tested in scan_behaviour.rs).
const ALL_ADVISORIES: &str = r#"{"Name":"all-advisories","OperatingSystem":"OS","ApprovalRules":{"PatchRules":[
  {"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["*"]}]},"ApproveUntilDate":"2099-12-31"}]}}"#;
const EVERYTHING: &str = r#"{"Name":"everything","OperatingSystem":"OS","ApprovalRules":{"PatchRules":[
  {"PatchFilterGroup":{"PatchFilters":[]},"ApproveUntilDate":"2099-12-31","EnableNonSecurity":true}]}}"#;

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
        assert_same(&missing(&report), &dnf, host);
    }
}

#[test]
fn missing_equals_dnf_check_update_with_non_security() {
    for host in ["host-a", "host-b"] {
        let report = scan(host, &EVERYTHING.replace("OS", os_of(host)), &[]);
        let dnf = dnf_check_update(&bed(host).join("oracle/check-update.out"));
        assert!(dnf.len() >= 25, "{host}: dnf listed only {}", dnf.len());
        assert_same(&missing(&report), &dnf, host);
    }
}

#[test]
fn large_bed_agrees_with_dnf() {
    let Some(large) = large_bed() else {
        return;
    };
    let os = "REDHAT_ENTERPRISE_LINUX";
    let report = scan_bed(&large, &ALL_ADVISORIES.replace("OS", os), &[]);
    let dnf = dnf_updateinfo(&large.join("oracle/updateinfo-list-available.out"));
    assert!(dnf.len() >= 500, "dnf listed only {}", dnf.len());
    assert_same(&missing(&report), &dnf, "updateinfo list --available");
    let report = scan_bed(&large, &EVERYTHING.replace("OS", os), &[]);
    let dnf = dnf_check_update(&large.join("oracle/check-update.out"));
    assert_same(&missing(&report), &dnf, "check-update");
}
