//! Each documented baseline behaviour, through the binary, on the beds made by real rpm,
//! createrepo_c and modifyrepo_c (repodata-fixtures/beds; cases in beds-data/cases.tsv).

mod common;

use common::beds::scan;
use serde_json::Value;

fn state<'a>(report: &'a Value, kb: &str) -> &'a Value {
    report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["KBId"] == kb)
        .unwrap_or_else(|| panic!("{kb} not reported"))
}

fn st(report: &Value, kb: &str) -> String {
    state(report, kb)["State"].as_str().unwrap().to_string()
}

fn reported(report: &Value, kb: &str) -> bool {
    report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["KBId"] == kb)
}

const AL2023_DEFAULT: &str = r#"{"Name":"al2023-default","OperatingSystem":"AMAZON_LINUX_2023","GlobalFilters":{"PatchFilters":[{"Key":"PRODUCT","Values":["*"]}]},"ApprovalRules":{"PatchRules":[
 {"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["Security"]},{"Key":"SEVERITY","Values":["Critical","Important"]}]},"ApproveAfterDays":7},
 {"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["Bugfix"]}]},"ApproveAfterDays":7}]}}"#;

fn al2023(extra: &str) -> String {
    format!(r#"{{"Name":"custom-al2023","OperatingSystem":"AMAZON_LINUX_2023",{extra}}}"#)
}

#[test]
fn default_baseline_severity_classification_and_dates() {
    let r = scan("host-a", AL2023_DEFAULT, &[]);
    for kb in [
        "openssl-libs.x86_64",
        "curl.x86_64",
        "libcurl.x86_64",
        "systemd.x86_64",
    ] {
        assert_eq!(st(&r, kb), "Missing", "{kb}");
    }
    // Moderate, Low and enhancement are not approved by the default rules.
    for kb in ["vim-minimal.x86_64", "less.x86_64", "python3-pip.noarch"] {
        assert_eq!(st(&r, kb), "InstalledOther", "{kb}");
    }
    // A notice without severity: the SEVERITY filter is ignored (documented rule).
    assert_eq!(st(&r, "sudo.x86_64"), "Missing");
    // Lowercase `important` matches (dnf shows it as Unknown: a deliberate difference).
    assert_eq!(st(&r, "bash.x86_64"), "Missing");
    assert_eq!(state(&r, "bash.x86_64")["Severity"], "important");
    // Packages with no advisory are behind the non-security gate.
    for kb in ["tzdata.noarch", "htop.x86_64", "fmt.x86_64"] {
        assert_eq!(st(&r, kb), "InstalledOther", "{kb}");
    }
    // ApproveAfterDays 7, strict: exactly 7 days and 7 days minus 1 s are not yet approved.
    assert_eq!(st(&r, "zlib.x86_64"), "InstalledOther");
    assert_eq!(st(&r, "xz-libs.x86_64"), "InstalledOther");
    assert_eq!(st(&r, "gzip.x86_64"), "Missing");
    // `updated` wins over `issued` (rsync: issued 60 days ago, updated 2 days ago).
    assert_eq!(st(&r, "rsync.x86_64"), "InstalledOther");
    // Only `issued` (YYYY-MM-DD): used.
    assert_eq!(st(&r, "tar.x86_64"), "Missing");
    assert!(state(&r, "tar.x86_64")["Reason"]
        .as_str()
        .unwrap()
        .contains("Issued"));
    // No dates: build time (5 days ago) → not yet approved.
    assert_eq!(st(&r, "gawk.x86_64"), "InstalledOther");
    // Date forms dnf cannot parse are read: YYYY-MM-DD, UNIX seconds, ISO 8601.
    for kb in ["grep.x86_64", "sed.x86_64", "findutils.x86_64"] {
        assert_eq!(st(&r, kb), "Missing", "{kb}");
        assert!(
            state(&r, kb)["Reason"]
                .as_str()
                .unwrap()
                .contains("Updated"),
            "{kb}"
        );
    }
    // Unparseable dates fall back to the build time.
    assert!(state(&r, "libcap.x86_64")["Reason"]
        .as_str()
        .unwrap()
        .contains("BuildTime"));
    // Medium is not Critical/Important: glibc not approved; no i686 record for an x86_64-only host.
    assert_eq!(st(&r, "glibc.x86_64"), "InstalledOther");
    assert!(!reported(&r, "glibc.i686"));
    assert!(!reported(&r, "libgcc.i686"));
    // primary_db-only repository: read.
    assert_eq!(st(&r, "amazon-ssm-agent.x86_64"), "Missing");
    assert_eq!(st(&r, "ec2-utils.noarch"), "InstalledOther");
    // Their only notices are Moderate: not approved by the default rules.
    assert_eq!(st(&r, "coreutils.x86_64"), "InstalledOther");
    assert_eq!(st(&r, "ncurses-libs.x86_64"), "InstalledOther");
    assert_eq!(st(&r, "custom-agent.x86_64"), "InstalledOther");
    // Not installed: counted NotApplicable, listed only on request.
    assert!(!reported(&r, "nginx.x86_64"));
    assert!(r["PatchState"]["NotApplicableCount"].as_u64().unwrap() >= 1);
    let with_na = scan("host-a", AL2023_DEFAULT, &["--include-not-applicable"]);
    assert_eq!(st(&with_na, "nginx.x86_64"), "NotApplicable");
    // Summary.
    let s = &r["PatchState"];
    assert_eq!(s["Operation"], "Scan");
    assert_eq!(s["NonCompliantSeverity"], "INFORMATIONAL");
    let missing = r["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["State"] == "Missing")
        .count() as u64;
    assert_eq!(s["MissingCount"].as_u64().unwrap(), missing);
}

#[test]
fn versions_epochs_tilde_caret_installonly_superseded() {
    let r = scan(
        "host-a",
        &al2023(
            r#""ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0,"EnableNonSecurity":true}]}"#,
        ),
        &[],
    );
    // Installed newer than the repo, and a notice covering exactly the installed version.
    assert_eq!(st(&r, "coreutils.x86_64"), "Installed");
    assert_eq!(st(&r, "ncurses-libs.x86_64"), "Installed");
    // Multilib: i686 updates only where i686 is installed.
    assert_eq!(st(&r, "libstdc++.i686"), "Missing");
    assert_eq!(st(&r, "libstdc++.x86_64"), "Missing");
    assert!(!reported(&r, "libgcc.i686"));
    // Epoch bump to a lower version.
    assert_eq!(
        state(&r, "nano.x86_64")["CandidateVersion"],
        "1:5.6.1-1.amzn2023"
    );
    // 1.7~rc1 < 1.7~rc2 < 1.7.
    assert_eq!(
        state(&r, "jq.x86_64")["CandidateVersion"]
            .as_str()
            .unwrap()
            .split('-')
            .next(),
        Some("0:1.7")
    );
    // Caret snapshot above the base version.
    assert_eq!(st(&r, "fmt.x86_64"), "Missing");
    assert!(state(&r, "fmt.x86_64")["CandidateVersion"]
        .as_str()
        .unwrap()
        .contains('^'));
    // Two kernels installed: one record, for the newest.
    let kernels: Vec<_> = r["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["KBId"] == "kernel.x86_64")
        .collect();
    assert_eq!(kernels.len(), 1);
    // Superseded notices: the newest version, the CVEs and advisories of both.
    let x = state(&r, "libxml2.x86_64");
    assert!(
        x["CandidateVersion"].as_str().unwrap().ends_with(".0.3"),
        "{x}"
    );
    assert_eq!(x["AdvisoryIds"].as_array().unwrap().len(), 2, "{x}");
    // Default rules approve only the Important (-0.2) one, not the Moderate (-0.3).
    let d = scan("host-a", AL2023_DEFAULT, &[]);
    assert!(state(&d, "libxml2.x86_64")["CandidateVersion"]
        .as_str()
        .unwrap()
        .ends_with(".0.2"));
    // Medium ≡ Moderate: a Moderate filter approves glibc's `Medium` notice.
    let m = scan(
        "host-a",
        &al2023(
            r#""ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"SEVERITY","Values":["Moderate"]}]},"ApproveAfterDays":0}]}"#,
        ),
        &[],
    );
    assert_eq!(st(&m, "glibc.x86_64"), "Missing");
}

#[test]
fn approved_and_rejected_lists() {
    // Approval by advisory ID, CVE and Bugzilla ID, with no rules at all.
    let r = scan(
        "host-a",
        &al2023(
            r#""ApprovedPatches":["ALAS2023-2025-026","CVE-2025-10027","2200028"],"ApprovedPatchesComplianceLevel":"HIGH""#,
        ),
        &[],
    );
    for kb in ["cronie.x86_64", "logrotate.x86_64", "shadow-utils.x86_64"] {
        assert_eq!(st(&r, kb), "Missing", "{kb}");
        assert_eq!(state(&r, kb)["ComplianceLevel"], "HIGH");
    }
    assert_eq!(st(&r, "openssl-libs.x86_64"), "InstalledOther");
    assert_eq!(r["PatchState"]["NonCompliantSeverity"], "HIGH");
    // Approved patches bypass global filters that exclude everything else.
    let r = scan(
        "host-a",
        &al2023(
            r#""GlobalFilters":{"PatchFilters":[{"Key":"PRODUCT","Values":["AmazonLinux2"]}]},"ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]},"ApprovedPatches":["cronie"]"#,
        ),
        &[],
    );
    assert_eq!(st(&r, "cronie.x86_64"), "Missing");
    assert_eq!(st(&r, "openssl-libs.x86_64"), "InstalledOther");
    // Name approval of a notice-less package needs ApprovedPatchesEnableNonSecurity.
    let r = scan("host-a", &al2023(r#""ApprovedPatches":["htop"]"#), &[]);
    assert_eq!(st(&r, "htop.x86_64"), "InstalledOther");
    let r = scan(
        "host-a",
        &al2023(r#""ApprovedPatches":["htop"],"ApprovedPatchesEnableNonSecurity":true"#),
        &[],
    );
    assert_eq!(st(&r, "htop.x86_64"), "Missing");
    // Rejected beats approved; BLOCK gives InstalledRejected, ALLOW_AS_DEPENDENCY InstalledOther.
    let block = scan(
        "host-a",
        &al2023(
            r#""ApprovedPatches":["openssh"],"RejectedPatches":["openssh"],"RejectedPatchesAction":"BLOCK""#,
        ),
        &[],
    );
    assert_eq!(st(&block, "openssh.x86_64"), "InstalledRejected");
    assert_eq!(block["PatchState"]["InstalledRejectedCount"], 1);
    let allow = scan(
        "host-a",
        &al2023(r#""ApprovedPatches":["openssh"],"RejectedPatches":["openssh"]"#),
        &[],
    );
    assert_eq!(st(&allow, "openssh.x86_64"), "InstalledOther");
    assert_eq!(allow["PatchState"]["InstalledRejectedCount"], 0);
    // Entries that match nothing are reported as a stale baseline.
    let stale = scan(
        "host-a",
        &al2023(r#""ApprovedPatches":["no-such-package","ALAS2023-1999-001"]"#),
        &[],
    );
    let warnings = stale["Warnings"].to_string();
    assert!(
        warnings.contains("no-such-package") && warnings.contains("ALAS2023-1999-001"),
        "{warnings}"
    );
}

#[test]
fn module_streams_and_rhel_host() {
    let rhel = r#"{"Name":"rhel-all","OperatingSystem":"REDHAT_ENTERPRISE_LINUX","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["*"]}]},"ApproveAfterDays":0}]}}"#;
    let r = scan("host-b", rhel, &[]);
    // nodejs stream 20 is enabled on the host; the default stream 18 (higher epoch) is ignored.
    let node = state(&r, "nodejs.x86_64");
    assert_eq!(node["State"], "Missing");
    assert!(
        node["CandidateVersion"].as_str().unwrap().contains(":20."),
        "{node}"
    );
    // Superseded with epoch: both CVEs of the second notice and the first one's.
    let ssl = state(&r, "openssl.x86_64");
    assert!(
        ssl["CVEIds"].as_str().unwrap().split(',').count() >= 3,
        "{ssl}"
    );
    // Multilib with both arches installed.
    assert_eq!(st(&r, "glibc.i686"), "Missing");
    assert!(!reported(&r, "libgcc.i686"));
}

#[test]
fn pending_reboot_and_fail_on() {
    let everything = al2023(
        r#""ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0,"EnableNonSecurity":true}]}"#,
    );
    let r = scan("host-a", &everything, &[]);
    assert_eq!(st(&r, "coreutils.x86_64"), "Installed");
    // Every package was installed when the bed was made; a boot before that makes them pending.
    let r = scan("host-a", &everything, &["--boot-time", "2000-01-01"]);
    assert_eq!(st(&r, "coreutils.x86_64"), "InstalledPendingReboot");
}
