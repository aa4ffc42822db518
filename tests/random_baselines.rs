//! Random valid baselines over the beds made from real data (the ID beds of
//! repodata-fixtures/scripts/make-id-beds.sh and the committed RPM beds): rules with random
//! filters, dates and switches, patch lists with every entry kind, BLOCK and
//! ALLOW_AS_DEPENDENCY. Every verdict must be explained by its Reason (the rule or list entry
//! it names exists in the baseline), lists must act monotonically (one more approved entry
//! never takes a patch out of Missing/Installed; one more rejected entry never adds a Missing
//! one), and where dnf can answer — `--security` — it is the oracle.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::beds::{bed, scan_bed};
use common::corpus::Rng;
use common::dnf::{assert_same, dnf_updateinfo, dnf_updateinfo_by_id, missing};

fn beds() -> Vec<PathBuf> {
    let mut out = vec![bed("host-a"), bed("host-b")];
    match std::env::var_os("PATCHSCAN_ID_BEDS") {
        Some(dir) => {
            for b in [
                "ids-rocky-enabled",
                "ids-opensuse-11.0-update",
                "ids-amazon-updateinfo-al2023",
                "ids-bottlerocket",
                "ids-opensuse-delta",
            ] {
                out.push(PathBuf::from(&dir).join(b));
            }
        }
        None => assert!(
            !common::oracles_required(),
            "PATCHSCAN_REQUIRE_ORACLES=1 but PATCHSCAN_ID_BEDS is not set"
        ),
    }
    out
}

fn os_of(bed: &Path) -> &'static str {
    let text = std::fs::read_to_string(bed.join("root/etc/os-release")).unwrap();
    if text.contains("ID=\"amzn\"") || text.contains("ID=amzn") {
        "AMAZON_LINUX_2023"
    } else if text.contains("ID=\"rocky\"") {
        "ROCKY_LINUX"
    } else {
        "REDHAT_ENTERPRISE_LINUX"
    }
}

/// What a bed offers to pick entries from: notice ids, CVE and Bugzilla ids, package names.
struct Pool {
    ids: Vec<String>,
    names: Vec<String>,
}

fn pool(bed: &Path) -> Pool {
    let oracle = bed.join("oracle");
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for f in [
        "updateinfo-list-all.out",
        "updateinfo-list-available-cve.out",
        "updateinfo-list-available-bz.out",
    ] {
        let path = oracle.join(f);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // `--all` lines carry an installed marker column first.
        for line in text.lines() {
            let cols: Vec<&str> = line.split_whitespace().filter(|c| *c != "i").collect();
            if cols.len() >= 3 {
                ids.insert(cols[0].to_string());
            }
        }
        if path.is_file() {
            for (_, pkgs) in dnf_updateinfo_by_id(&path) {
                for k in pkgs.keys() {
                    names.insert(k.rsplit_once('.').unwrap().0.to_string());
                }
            }
        }
    }
    Pool {
        ids: ids.into_iter().collect(),
        names: names.into_iter().collect(),
    }
}

fn entry(rng: &mut Rng, pool: &Pool) -> String {
    match rng.below(5) {
        0 | 1 if !pool.ids.is_empty() => rng.pick(&pool.ids).clone(),
        2 if !pool.names.is_empty() => {
            let n = rng.pick(&pool.names);
            let cut = n.len().div_ceil(2);
            format!("{}*", &n[..cut])
        }
        _ if !pool.names.is_empty() => rng.pick(&pool.names).clone(),
        _ => "nothing-by-this-name".into(),
    }
}

fn random_baseline(rng: &mut Rng, os: &str, pool: &Pool) -> serde_json::Value {
    let classes = [
        "Security",
        "Bugfix",
        "Enhancement",
        "Recommended",
        "Newpackage",
        "*",
    ];
    let severities = ["Critical", "Important", "Medium", "Moderate", "Low", "*"];
    let levels = [
        "CRITICAL",
        "HIGH",
        "MEDIUM",
        "LOW",
        "INFORMATIONAL",
        "UNSPECIFIED",
    ];
    let mut rules = Vec::new();
    for _ in 0..rng.below(4) {
        let mut filters = Vec::new();
        if rng.chance(60) {
            let v: Vec<&str> = (0..1 + rng.below(2)).map(|_| *rng.pick(&classes)).collect();
            filters.push(serde_json::json!({"Key": "CLASSIFICATION", "Values": v}));
        }
        if rng.chance(40) {
            let v: Vec<&str> = (0..1 + rng.below(3))
                .map(|_| *rng.pick(&severities))
                .collect();
            filters.push(serde_json::json!({"Key": "SEVERITY", "Values": v}));
        }
        let mut rule = serde_json::json!({
            "PatchFilterGroup": {"PatchFilters": filters},
            "ComplianceLevel": rng.pick(&levels),
            "EnableNonSecurity": rng.chance(30),
        });
        if rng.chance(50) {
            rule["ApproveAfterDays"] = serde_json::json!(rng.below(361));
        } else {
            let y = 2005 + rng.below(30);
            rule["ApproveUntilDate"] =
                serde_json::json!(format!("{y}-0{}-1{}", 1 + rng.below(9), rng.below(10)));
        }
        rules.push(rule);
    }
    let approved: Vec<String> = (0..rng.below(4)).map(|_| entry(rng, pool)).collect();
    // Rejected lists take names only.
    let rejected: Vec<String> = (0..rng.below(3))
        .filter(|_| !pool.names.is_empty())
        .map(|_| rng.pick(&pool.names).clone())
        .collect();
    serde_json::json!({
        "Name": "random",
        "OperatingSystem": os,
        "ApprovalRules": {"PatchRules": rules},
        "ApprovedPatches": approved,
        "ApprovedPatchesComplianceLevel": rng.pick(&levels),
        "ApprovedPatchesEnableNonSecurity": rng.chance(40),
        "RejectedPatches": rejected,
        "RejectedPatchesAction": if rng.chance(50) { "BLOCK" } else { "ALLOW_AS_DEPENDENCY" },
    })
}

fn keys(report: &serde_json::Value, states: &[&str]) -> BTreeSet<String> {
    report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| states.contains(&p["State"].as_str().unwrap()))
        .map(|p| p["KBId"].as_str().unwrap().to_string())
        .collect()
}

/// Every verdict names what decided it, and that exists in the baseline.
fn explained(report: &serde_json::Value, b: &serde_json::Value, what: &str) {
    let rules = b["ApprovalRules"]["PatchRules"].as_array().unwrap().len();
    let approved: Vec<&str> = b["ApprovedPatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let rejected: Vec<&str> = b["RejectedPatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for p in report["Patches"].as_array().unwrap() {
        let (state, reason) = (p["State"].as_str().unwrap(), p["Reason"].as_str().unwrap());
        let kb = p["KBId"].as_str().unwrap();
        if let Some(at) = reason.find("matches rejected entry ") {
            let entry: String =
                serde_json::from_str(reason[at + 23..].split(" (").next().unwrap()).unwrap();
            assert!(rejected.contains(&entry.as_str()), "{what}: {kb}: {reason}");
            let want = if b["RejectedPatchesAction"] == "BLOCK" {
                "InstalledRejected"
            } else {
                "InstalledOther"
            };
            assert_eq!(state, want, "{what}: {kb}: {reason}");
            continue;
        }
        if matches!(state, "Missing" | "Installed" | "InstalledPendingReboot") {
            let at = reason
                .find("approved by ")
                .unwrap_or_else(|| panic!("{what}: {kb} {state}: {reason}"));
            let by = &reason[at + 12..reason[at..].find(" (").map_or(reason.len(), |e| at + e)];
            for part in by.split(", ") {
                if let Some(i) = part.strip_prefix("rule ") {
                    assert!(
                        i.parse::<usize>().unwrap() < rules,
                        "{what}: {kb}: {reason}"
                    );
                } else if let Some(e) = part.strip_prefix("approved entry ") {
                    let e: String = serde_json::from_str(e).unwrap();
                    assert!(approved.contains(&e.as_str()), "{what}: {kb}: {reason}");
                } else {
                    panic!("{what}: {kb}: unknown approver {part:?} in {reason}");
                }
            }
        }
        if state == "Missing" {
            use patchscan::version::RpmEvr;
            let inst = RpmEvr::parse(p["InstalledVersion"].as_str().unwrap()).unwrap();
            let cand = RpmEvr::parse(p["CandidateVersion"].as_str().unwrap()).unwrap();
            assert!(
                cand > inst,
                "{what}: {kb}: candidate {cand} ≤ installed {inst}"
            );
        }
    }
}

#[test]
fn random_baselines_are_explained_monotonic_and_agree_with_dnf() {
    let mut rng = Rng::new(0x5eed_2026_1203);
    let (mut scans, mut seen) = (0, std::collections::BTreeMap::<&str, usize>::new());
    for bed in beds() {
        let name = bed.file_name().unwrap().to_string_lossy().to_string();
        let os = os_of(&bed);
        let pool = pool(&bed);
        assert!(
            !pool.ids.is_empty() && !pool.names.is_empty(),
            "{name}: nothing to pick"
        );
        // dnf as the oracle where it answers: one Security rule = `--security`.
        let sec = format!(
            r#"{{"Name":"sec","OperatingSystem":"{os}","ApprovalRules":{{"PatchRules":[{{"PatchFilterGroup":{{"PatchFilters":[{{"Key":"CLASSIFICATION","Values":["Security"]}}]}},"ApproveUntilDate":"2099-12-31"}}]}}}}"#
        );
        let dnf = dnf_updateinfo(&bed.join("oracle/updateinfo-list-available-security.out"));
        assert_same(
            &missing(&scan_bed(&bed, &sec, &[])),
            &dnf,
            &format!("{name}: --security"),
        );
        for round in 0..12 {
            let what = format!("{name} #{round}");
            let b = random_baseline(&mut rng, os, &pool);
            let report = scan_bed(&bed, &b.to_string(), &[]);
            explained(&report, &b, &what);
            for p in report["Patches"].as_array().unwrap() {
                *seen
                    .entry(match p["State"].as_str().unwrap() {
                        "Missing" => "Missing",
                        "Installed" => "Installed",
                        "InstalledRejected" => "InstalledRejected",
                        _ => "other",
                    })
                    .or_default() += 1;
                if p["Reason"].as_str().unwrap().contains("approved entry") {
                    *seen.entry("approved by an entry").or_default() += 1;
                }
                if p["Reason"]
                    .as_str()
                    .unwrap()
                    .contains("(ALLOW_AS_DEPENDENCY)")
                {
                    *seen.entry("allowed as dependency").or_default() += 1;
                }
            }
            // One more approved entry.
            let mut more = b.clone();
            more["ApprovedPatches"]
                .as_array_mut()
                .unwrap()
                .push(entry(&mut rng, &pool).into());
            let wider = scan_bed(&bed, &more.to_string(), &[]);
            explained(&wider, &more, &what);
            let good = ["Missing", "Installed", "InstalledPendingReboot"];
            let (before, after) = (keys(&report, &good), keys(&wider, &good));
            assert!(
                before.is_subset(&after),
                "{what}: {more}: lost {:?}",
                before.difference(&after).collect::<Vec<_>>()
            );
            assert_eq!(
                keys(&report, &["InstalledRejected"]),
                keys(&wider, &["InstalledRejected"]),
                "{what}"
            );
            // One more rejected entry.
            let mut fewer = b.clone();
            fewer["RejectedPatches"]
                .as_array_mut()
                .unwrap()
                .push(rng.pick(&pool.names).clone().into());
            let narrower = scan_bed(&bed, &fewer.to_string(), &[]);
            explained(&narrower, &fewer, &what);
            let (before, after) = (keys(&report, &["Missing"]), keys(&narrower, &["Missing"]));
            assert!(
                after.is_subset(&before),
                "{what}: {fewer}: gained {:?}",
                after.difference(&before).collect::<Vec<_>>()
            );
            scans += 3;
        }
    }
    assert!(scans >= 72, "{scans} scans");
    // The random baselines reach every kind of verdict.
    eprintln!("{scans} scans: {seen:?}");
    for kind in [
        "Missing",
        "Installed",
        "InstalledRejected",
        "approved by an entry",
        "allowed as dependency",
    ] {
        assert!(seen.get(kind).is_some_and(|&n| n >= 3), "{kind}: {seen:?}");
    }
}
