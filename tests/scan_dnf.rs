//! `patchscan scan` agrees with real dnf on the beds (repodata-fixtures/beds), parsing dnf's
//! own raw output as recorded by repodata-fixtures/scripts/run-dnf-oracle.sh.

mod common;

use common::beds::{bed, large_bed, scan, scan_bed};
use common::dnf::{assert_same, dnf_check_update, dnf_updateinfo, missing};

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
