//! `patchscan scan` on Debian/Ubuntu hosts agrees with real apt on the apt beds
//! (repodata-fixtures/apt-beds, made by scripts/make-apt-beds.py with real dpkg-deb,
//! dpkg-scanpackages, apt-ftparchive, dpkg and apt-get update), parsing apt's own raw output:
//! the recorded one, and a fresh run of apt when it is installed (required under
//! PATCHSCAN_REQUIRE_ORACLES=1).
//!
//! With a baseline approving everything (EnableNonSecurity on), the Missing set equals
//! `apt list --upgradable` with every suite configured (held packages included); with AWS's
//! default baseline it equals apt's view with only the security suite configured.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::apt::*;

const BEDS: [(&str, &str); 2] = [("debian12", "DEBIAN"), ("ubuntu2404", "UBUNTU")];

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn assert_same(ours: &BTreeMap<String, String>, apt: &BTreeMap<String, String>, what: &str) {
    assert!(
        !apt.is_empty(),
        "{what}: apt lists nothing (a broken oracle)"
    );
    let keys: std::collections::BTreeSet<&String> = ours.keys().chain(apt.keys()).collect();
    let diffs: Vec<String> = keys
        .into_iter()
        .filter(|k| ours.get(*k) != apt.get(*k))
        .map(|k| format!("{k}: patchscan {:?}, apt {:?}", ours.get(k), apt.get(k)))
        .collect();
    assert!(diffs.is_empty(), "{what}:\n{}", diffs.join("\n"));
}

/// Scans a bed's root with its own lists (`var/lib/apt/lists`, selected by its sources).
fn scan_root(bed: &Path, baseline: Option<&str>, extra: &[&str]) -> serde_json::Value {
    let root = bed.join("root");
    let now = bed_now(bed);
    let mut args = vec!["--root", root.to_str().unwrap(), "--now", &now];
    args.extend_from_slice(extra);
    scan_json(&args, baseline).0
}

/// Scans a bed's root against its repository trees given with `--repo`.
fn scan_repos(bed: &Path, baseline: Option<&str>) -> serde_json::Value {
    let root = bed.join("root");
    let now = bed_now(bed);
    let repos: Vec<String> = std::fs::read_dir(bed.join("repos"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    let mut args = vec!["--root", root.to_str().unwrap(), "--now", &now];
    for r in &repos {
        args.extend(["--repo", r.as_str()]);
    }
    scan_json(&args, baseline).0
}

fn check_against(oracle: &Path, bed: &Path, os: &str, label: &str) {
    let all = parse_list_upgradable(&read(&oracle.join("all/apt-list-upgradable.out")));
    let sec = parse_list_upgradable(&read(&oracle.join("security/apt-list-upgradable.out")));
    let approve = approve_all(os);
    assert_same(
        &missing(&scan_root(bed, Some(&approve), &[])),
        &all,
        &format!("{label}: approve-all vs apt list --upgradable (all suites), host lists"),
    );
    assert_same(
        &missing(&scan_repos(bed, Some(&approve))),
        &all,
        &format!("{label}: approve-all vs apt list --upgradable (all suites), --repo trees"),
    );
    assert_same(
        &missing(&scan_root(bed, None, &[])),
        &sec,
        &format!("{label}: default baseline vs apt list --upgradable (security suite only)"),
    );
    assert_same(
        &missing(&scan_repos(bed, None)),
        &sec,
        &format!("{label}: default baseline, --repo trees, vs apt (security suite only)"),
    );
    // apt-get -s upgrade installs a subset (held packages stay); every one is Missing at the
    // same version. dist-upgrade agrees with the list on these beds.
    let ours = missing(&scan_root(bed, Some(&approve), &[]));
    let upgrade = parse_simulated(&read(&oracle.join("all/apt-get-s-upgrade.out")));
    for (k, v) in &upgrade {
        assert_eq!(
            ours.get(k),
            Some(v),
            "{label}: apt-get -s upgrade installs {k} {v}"
        );
    }
    let dist = parse_simulated(&read(&oracle.join("all/apt-get-s-dist-upgrade.out")));
    let held: Vec<&String> = all.keys().filter(|k| !dist.contains_key(*k)).collect();
    assert!(
        !held.is_empty(),
        "{label}: the bed has a held package apt keeps back"
    );
    for k in held {
        assert!(ours.contains_key(k), "{label}: held {k} is still Missing");
    }
}

#[test]
fn recorded_apt_outputs_agree() {
    for (bed, os) in BEDS {
        let b = apt_bed(bed);
        check_against(&b.join("oracle"), &b, os, &format!("{bed} (recorded)"));
    }
}

#[test]
fn fresh_apt_run_agrees() {
    if !common::tool_available("apt-get", "apt-get", &["--version"]) {
        return;
    }
    for (bed, os) in BEDS {
        let b = apt_bed(bed);
        let out = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("bash")
            .arg(common::root().join("repodata-fixtures/scripts/run-apt-oracle.sh"))
            .arg(&b)
            .arg(out.path())
            .status()
            .unwrap();
        assert!(status.success(), "run-apt-oracle.sh {bed}");
        check_against(out.path(), &b, os, &format!("{bed} (fresh apt run)"));
    }
}

#[test]
fn version_cases_debian() {
    let b = apt_bed("debian12");
    let all = scan_root(&b, Some(&approve_all("DEBIAN")), &[]);
    let def = scan_root(&b, None, &[]);
    let m = missing(&all);
    let d = missing(&def);
    // Epoch bump 0 → 1 wins over the same upstream version.
    assert_eq!(m["mawk.amd64"], "1:1.3.4.20200120-3.1");
    assert!(!d.contains_key("mawk.amd64"), "-updates is not security");
    // Epoch kept, one build in both -updates and -security: security.
    assert_eq!(d["openssh-client.amd64"], "1:9.2p1-2+deb12u5");
    // `~`: 1.0~rc1-1 < 1.0-1; 6~deb12u1 < 6~deb12u2.
    assert_eq!(m["rust-tool.amd64"], "1.0-1");
    assert_eq!(d["nodejs.amd64"], "18.19.0+dfsg-6~deb12u2");
    // +bN binNMU, non-security.
    assert_eq!(m["bash.amd64"], "5.2.15-2+b7");
    assert!(!d.contains_key("bash.amd64"));
    // +debNuM: with EnableNonSecurity off the candidate is the highest *security* build even
    // though a newer -updates build exists.
    assert_eq!(d["libssl3.amd64"], "3.0.15-1~deb12u2");
    assert_eq!(m["libssl3.amd64"], "3.0.15-1~deb12u3");
    assert_eq!(patch(&def, "libssl3.amd64")["Classification"], "Security");
    assert_eq!(patch(&all, "libssl3.amd64")["Classification"], "");
    // Held: still Missing.
    assert_eq!(d["linux-image-amd64.amd64"], "6.1.133-1");
    assert!(patch(&def, "linux-image-amd64.amd64")["Reason"]
        .as_str()
        .unwrap()
        .contains("held"));
    // rc: not installed — not a decision; NotApplicable when listed.
    assert!(all["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| !p["KBId"].as_str().unwrap().starts_with("oldtool")));
    let na = scan_root(
        &b,
        Some(&approve_all("DEBIAN")),
        &["--include-not-applicable"],
    );
    assert_eq!(patches(&na, "NotApplicable")["oldtool.amd64"], "1.1-1");
    assert_eq!(patches(&na, "NotApplicable")["htop.amd64"], "3.2.2-2");
    // Counted the same whether listed or not.
    assert_eq!(
        all["PatchState"]["NotApplicableCount"],
        patches(&na, "NotApplicable").len() as u64
    );
    assert_eq!(
        na["PatchState"]["NotApplicableCount"],
        all["PatchState"]["NotApplicableCount"]
    );
    // Newer than every source: never downgraded.
    let local = patch(&all, "localpkg.amd64");
    assert_eq!(local["State"], "InstalledOther");
    assert_eq!(local["InstalledVersion"], "9.9-1");
    assert_eq!(local["CandidateVersion"], "");
    // Multi-arch: one patch per installed architecture.
    assert_eq!(d["libmulti1.amd64"], "2.0-1+deb12u1");
    assert_eq!(d["libmulti1.i386"], "2.0-1+deb12u1");
    // Architecture all.
    assert_eq!(d["fonts-data.all"], "1.0-1+deb12u1");
    // Up to date but only in a non-security suite: Installed with approve-all,
    // InstalledOther with the default baseline.
    assert_eq!(patch(&all, "coreutils.amd64")["State"], "Installed");
    assert_eq!(patch(&def, "coreutils.amd64")["State"], "InstalledOther");
    // AWS's APT shapes: Title name.arch:version, Severity = the Priority.
    let curl = patch(&def, "curl.amd64");
    assert_eq!(curl["Title"], "curl.amd64:7.88.1-10+deb12u8");
    assert_eq!(curl["Severity"], "optional");
    assert_eq!(
        curl["InstalledTime"], "1970-01-01T00:00:00Z",
        "Missing: not installed"
    );
    assert_eq!(patch(&def, "libextra0.amd64")["Severity"], "extra");
    let installed = patch(&all, "coreutils.amd64");
    assert_ne!(
        installed["InstalledTime"], "1970-01-01T00:00:00Z",
        "from info/coreutils.list"
    );
}

#[test]
fn version_cases_ubuntu() {
    let b = apt_bed("ubuntu2404");
    let m = missing(&scan_root(&b, Some(&approve_all("UBUNTU")), &[]));
    let def = scan_root(&b, None, &[]);
    let d = missing(&def);
    // ubuntuX: the security build 3.4 (also in -updates) vs the newer -updates-only 3.5.
    assert_eq!(d["openssl.amd64"], "3.0.13-0ubuntu3.4");
    assert_eq!(m["openssl.amd64"], "3.0.13-0ubuntu3.5");
    assert_eq!(d["vim.amd64"], "2:9.1.0016-1ubuntu7.8");
    assert_eq!(d["python3.12.amd64"], "3.12.3-1ubuntu0.4");
    assert_eq!(m["ubuntu-pro-client.amd64"], "35.1~24.04");
    assert!(!d.contains_key("libc6.amd64"));
    // Installed at the security version: Installed, Security, the Priority as severity.
    let gnutls = patch(&def, "libgnutls30t64.amd64");
    assert_eq!(gnutls["State"], "Installed");
    assert_eq!(gnutls["Classification"], "Security");
    // Ubuntu's default baseline is as Debian's: the held kernel is Missing.
    assert_eq!(d["linux-image-generic.amd64"], "6.8.0-51.52");
    assert_eq!(def["PatchState"]["InstanceId"], "ubuntu2404-bed");
}

#[test]
fn section_and_priority_filters_and_patch_lists() {
    let b = apt_bed("debian12");
    let only_libs = r#"{"Name":"libs","OperatingSystem":"DEBIAN","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"SECTION","Values":["LIBS"]},{"Key":"PRIORITY","Values":["Optional"]}]}}]},"RejectedPatches":["nodejs"],"ApprovedPatches":["curl"],"ApprovedPatchesEnableNonSecurity":false}"#;
    let (r, stderr) = scan_json(
        &[
            "--root",
            b.join("root").to_str().unwrap(),
            "--now",
            &bed_now(&b),
        ],
        Some(only_libs),
    );
    let m = missing(&r);
    // libs + optional + security: libssl3, libcurl4, libmulti1; not libextra0 (extra).
    for k in [
        "libssl3.amd64",
        "libcurl4.amd64",
        "libmulti1.amd64",
        "libmulti1.i386",
    ] {
        assert!(m.contains_key(k), "{k}: {m:?}");
    }
    assert!(!m.contains_key("libextra0.amd64"));
    // curl (section web) comes through the approved list (its update is security).
    assert_eq!(m["curl.amd64"], "7.88.1-10+deb12u8");
    // nodejs is rejected; the installed version too: ALLOW_AS_DEPENDENCY → InstalledOther.
    let node = patch(&r, "nodejs.amd64");
    assert_eq!(node["State"], "InstalledOther");
    assert!(node["Reason"].as_str().unwrap().contains("rejected"));
    assert!(!stderr.contains("matches nothing"), "{stderr}");
}

#[test]
fn stale_and_dated_suites_warn() {
    let b = apt_bed("debian12");
    // A month after the bed was made: the security suite's Valid-Until (7 days) has passed.
    let late = "2099-01-01T00:00:00Z";
    let (_, stderr) = scan_json(
        &["--root", b.join("root").to_str().unwrap(), "--now", late],
        None,
    );
    assert!(
        stderr.contains("bookworm-security_Release") && stderr.contains("Valid-Until"),
        "{stderr}"
    );
    assert!(stderr.contains("older than 30 days"), "{stderr}");
    let (_, fresh) = scan_json(
        &[
            "--root",
            b.join("root").to_str().unwrap(),
            "--now",
            &bed_now(&b),
        ],
        None,
    );
    assert!(!fresh.contains("Valid-Until"), "{fresh}");
}

#[test]
fn untrusted_security_source_is_never_security() {
    let dir = tempfile::tempdir().unwrap();
    let b = apt_bed("debian12");
    let root = dir.path().join("root");
    copy_dir(&b.join("root"), &root);
    let sources = root.join("etc/apt/sources.list.d/debian.sources");
    let text = read(&sources).replace(
        "URIs: http://deb.debian.org/debian-security\n",
        "URIs: http://deb.debian.org/debian-security\nTrusted: no\n",
    );
    assert!(text.contains("Trusted: no"));
    std::fs::write(&sources, text).unwrap();
    let now = bed_now(&b);
    let (r, _) = scan_json(&["--root", root.to_str().unwrap(), "--now", &now], None);
    assert!(
        missing(&r).is_empty(),
        "nothing is security without a trusted security source: {:?}",
        missing(&r)
    );
    // Its versions are still candidates for a baseline taking non-security updates.
    let (r, _) = scan_json(
        &["--root", root.to_str().unwrap(), "--now", &now],
        Some(&approve_all("DEBIAN")),
    );
    let curl = patch(&r, "curl.amd64");
    assert_eq!(curl["CandidateVersion"], "7.88.1-10+deb12u8");
    assert_eq!(curl["Classification"], "");
}

#[test]
fn one_suite_directory_and_a_lists_directory_as_repo() {
    let b = apt_bed("debian12");
    let now = bed_now(&b);
    let root = b.join("root");
    let suite = b.join("repos/debian-security/dists/bookworm-security");
    let (r, _) = scan_json(
        &[
            "--root",
            root.to_str().unwrap(),
            "--repo",
            suite.to_str().unwrap(),
            "--now",
            &now,
        ],
        None,
    );
    let sec = parse_list_upgradable(&read(&b.join("oracle/security/apt-list-upgradable.out")));
    assert_same(&missing(&r), &sec, "--repo dists/bookworm-security");
    // The host's lists directory given with --repo: every list counts.
    let lists = root.join("var/lib/apt/lists");
    let (r, _) = scan_json(
        &[
            "--root",
            root.to_str().unwrap(),
            "--repo",
            lists.to_str().unwrap(),
            "--now",
            &now,
        ],
        Some(&approve_all("DEBIAN")),
    );
    let all = parse_list_upgradable(&read(&b.join("oracle/all/apt-list-upgradable.out")));
    assert_same(&missing(&r), &all, "--repo var/lib/apt/lists");
    let repos = r["Repositories"].as_array().unwrap();
    let security: Vec<&str> = repos
        .iter()
        .filter(|x| x["Security"] == true)
        .map(|x| x["Suite"].as_str().unwrap())
        .collect();
    assert_eq!(
        security,
        ["bookworm-security", "bookworm-security"],
        "{repos:?}"
    );
    assert!(repos
        .iter()
        .all(|x| x["Date"].as_str().unwrap().starts_with("20")));
}

#[test]
fn installed_after_the_last_boot_is_pending_reboot() {
    let b = apt_bed("debian12");
    // The info/*.list files are younger than 2000: every installed approved version counts as
    // installed after that boot.
    let r = scan_root(
        &b,
        Some(&approve_all("DEBIAN")),
        &["--boot-time", "2000-01-01T00:00:00Z"],
    );
    let c = patch(&r, "coreutils.amd64");
    assert_eq!(c["State"], "InstalledPendingReboot");
    assert!(c["Reason"]
        .as_str()
        .unwrap()
        .contains("after the last boot"));
    // Missing stays Missing; without --boot-time nothing is pending.
    assert_eq!(patch(&r, "curl.amd64")["State"], "Missing");
    let r = scan_root(&b, Some(&approve_all("DEBIAN")), &[]);
    assert_eq!(r["PatchState"]["InstalledPendingRebootCount"], 0);
}

/// A Raspberry Pi OS host (32-bit images say `ID=raspbian`) is scanned on the Debian path:
/// the debian12 bed with Raspberry Pi OS's os-release is RASPBIAN / `Raspbian12`, gets
/// AWS-RaspbianDefaultPatchBaseline by default, and agrees with apt's recorded view of the
/// same lists (apt does not read os-release).
#[test]
fn raspberry_pi_os_is_scanned_on_the_debian_path() {
    let dir = tempfile::tempdir().unwrap();
    let bed = dir.path().join("raspbian12");
    copy_dir(&apt_bed("debian12"), &bed);
    std::fs::write(
        bed.join("root/etc/os-release"),
        "PRETTY_NAME=\"Raspbian GNU/Linux 12 (bookworm)\"\nNAME=\"Raspbian GNU/Linux\"\n\
         VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=raspbian\n\
         ID_LIKE=debian\nHOME_URL=\"http://www.raspbian.org/\"\n",
    )
    .unwrap();
    let report = scan_root(&bed, None, &[]);
    let baseline = report["PatchState"]["BaselineId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(baseline.ends_with("/pb-0ec16280999c5c75e"), "{baseline}");
    // The product is Raspbian12: a PRODUCT filter of Raspbian12 approves, Debian12 does not.
    let by_product = |product: &str| {
        let baseline = format!(
            r#"{{"Name":"by-product","OperatingSystem":"RASPBIAN","ApprovalRules":{{"PatchRules":[{{"PatchFilterGroup":{{"PatchFilters":[{{"Key":"PRODUCT","Values":["{product}"]}}]}},"EnableNonSecurity":true}}]}}}}"#
        );
        missing(&scan_root(&bed, Some(&baseline), &[])).len()
    };
    assert!(by_product("Raspbian12") > 0);
    assert_eq!(by_product("Debian12"), 0);
    let b = apt_bed("debian12");
    check_against(&b.join("oracle"), &bed, "RASPBIAN", "raspbian12 (recorded)");
}

/// The APT engine caches verdicts by (Priority, Section, security) only when the baseline has
/// no patch lists; with lists every version is judged on its own. A baseline with a list entry
/// that matches nothing must therefore give every record exactly as the cached run does (the
/// entry's own warning aside), with rules of every kind the filters allow.
#[test]
fn apt_verdicts_with_the_cache_bypassed_equal_the_cached_run() {
    let rules = r#"[
        {"PatchFilterGroup":{"PatchFilters":[{"Key":"PRIORITY","Values":["required","important"]}]},"ComplianceLevel":"HIGH","EnableNonSecurity":true},
        {"PatchFilterGroup":{"PatchFilters":[{"Key":"SECTION","Values":["libs","admin"]}]},"ComplianceLevel":"LOW"},
        {"PatchFilterGroup":{"PatchFilters":[{"Key":"PRIORITY","Values":["*"]}]}}
    ]"#;
    for (bed, os) in BEDS {
        let bed = apt_bed(bed);
        let plain = format!(
            r#"{{"Name":"cache","OperatingSystem":"{os}","ApprovalRules":{{"PatchRules":{rules}}}}}"#
        );
        let listed = format!(
            r#"{{"Name":"cache","OperatingSystem":"{os}","ApprovalRules":{{"PatchRules":{rules}}},"ApprovedPatches":["no-such-package-anywhere"]}}"#
        );
        let cached = scan_root(&bed, Some(&plain), &["--include-not-applicable"]);
        let bypassed = scan_root(&bed, Some(&listed), &["--include-not-applicable"]);
        assert!(cached["Patches"].as_array().unwrap().len() > 10, "{os}");
        assert_eq!(cached["Patches"], bypassed["Patches"], "{os}");
        let mut a = cached["PatchState"].clone();
        let mut b = bypassed["PatchState"].clone();
        for s in [&mut a, &mut b] {
            s.as_object_mut().unwrap().remove("BaselineId");
        }
        assert_eq!(a, b, "{os}");
        assert!(
            bypassed["Warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["Code"] == "unused-baseline-entry"
                    && w["Message"]
                        .as_str()
                        .unwrap()
                        .contains("no-such-package-anywhere")),
            "{os}: {}",
            bypassed["Warnings"]
        );
    }
}
