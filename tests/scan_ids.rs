//! Approvals by id and notices bound to module streams, held against real dnf on beds built
//! from REAL updateinfo files (Amazon Linux, Rocky, Bottlerocket, openSUSE, libdnf's own test
//! data: repodata-fixtures/realdata-updateinfo) by repodata-fixtures/scripts/make-id-beds.sh
//! (real rpmbuild, rpm, createrepo_c, modifyrepo_c and dnf 4), named by `PATCHSCAN_ID_BEDS`.
//!
//! For every notice, CVE and Bugzilla id dnf lists on a bed, a baseline whose only entry is
//! `ApprovedPatches: [id]` must report Missing exactly the packages dnf's own id filter names
//! (`updateinfo list --available --advisory=|--cve=|--bz=`), at the highest version each.
//! Patch Manager also matches that entry as a package name: where an id is also the name of
//! a package in the bed (openSUSE names notices after packages), that package's highest
//! version with any notice is approved as well — the one deliberate difference from dnf's
//! filter (docs/decisions.md, "Approved entries").

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::beds::scan_bed;
use common::dnf::{assert_same, dnf_updateinfo, dnf_updateinfo_by_id, missing};

fn id_beds() -> Option<PathBuf> {
    match std::env::var_os("PATCHSCAN_ID_BEDS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            assert!(
                !common::oracles_required(),
                "PATCHSCAN_REQUIRE_ORACLES=1 but PATCHSCAN_ID_BEDS is not set (make it with repodata-fixtures/scripts/make-id-beds.sh)"
            );
            eprintln!("skipping: PATCHSCAN_ID_BEDS is not set");
            None
        }
    }
}

fn hosts(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("oracle/updateinfo-list-available.out").is_file())
        .collect();
    out.sort();
    assert!(
        out.len() >= 15,
        "{}: only {} beds",
        dir.display(),
        out.len()
    );
    out
}

fn os_of(bed: &Path) -> &'static str {
    let text = std::fs::read_to_string(bed.join("root/etc/os-release")).unwrap();
    if text.contains("ID=\"amzn\"") {
        "AMAZON_LINUX_2023"
    } else if text.contains("ID=\"rocky\"") {
        "ROCKY_LINUX"
    } else {
        "REDHAT_ENTERPRISE_LINUX"
    }
}

const ALL_NOTICES: &str = r#"{"Name":"all-notices","OperatingSystem":"OS","ApprovalRules":{"PatchRules":[
  {"PatchFilterGroup":{"PatchFilters":[]},"ApproveUntilDate":"2099-12-31"}]}}"#;

/// Every notice applies as dnf decides, module-bound ones included: enabled, default,
/// disabled, another context, no modules metadata.
#[test]
fn notices_apply_as_dnf_decides_on_real_updateinfo_and_module_streams() {
    let Some(dir) = id_beds() else {
        return;
    };
    let mut module_notice_seen = BTreeSet::new();
    for bed in hosts(&dir) {
        let name = bed.file_name().unwrap().to_string_lossy().to_string();
        let report = scan_bed(&bed, &ALL_NOTICES.replace("OS", os_of(&bed)), &[]);
        let dnf = dnf_updateinfo(&bed.join("oracle/updateinfo-list-available.out"));
        assert_same(&missing(&report), &dnf, &name);
        if dnf
            .keys()
            .any(|k| k.starts_with("rubygem-") || k.starts_with("test-perl-DBI"))
        {
            module_notice_seen.insert(name);
        }
    }
    // The module variants do differ: dnf applies the module notices on exactly these beds.
    assert_eq!(
        module_notice_seen.into_iter().collect::<Vec<_>>(),
        [
            "ids-libdnf-advisories-default",
            "ids-libdnf-advisories-enabled",
            "ids-rocky-default",
            "ids-rocky-enabled"
        ]
    );
}

#[test]
fn approving_one_id_reports_what_dnf_s_id_filter_names() {
    let Some(dir) = id_beds() else {
        return;
    };
    let (mut checked, mut by_name, mut filters, mut older_in_filter) = (0, 0, 0, 0);
    for bed in hosts(&dir) {
        let name = bed.file_name().unwrap().to_string_lossy().to_string();
        let oracle = bed.join("oracle");
        let os = os_of(&bed);
        // id → name.arch → highest version, from dnf's listings of every available notice.
        let mut expected: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for file in [
            "updateinfo-list-available.out",
            "updateinfo-list-available-cve.out",
            "updateinfo-list-available-bz.out",
        ] {
            for (id, pkgs) in dnf_updateinfo_by_id(&oracle.join(file)) {
                expected.entry(id).or_default().extend(pkgs);
            }
        }
        // dnf's own filters for the sampled ids agree with its listings (and add ids whose
        // packages are all installed already: expected empty).
        let index = std::fs::read_to_string(oracle.join("ids-index.tsv")).unwrap();
        for line in index.lines() {
            let [n, kind, id] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("{line}")
            };
            let filtered = dnf_updateinfo_by_id(&oracle.join(format!("id-{n}.out")));
            let named: BTreeMap<String, String> = filtered.into_values().flatten().collect();
            let listed = expected.get(id).cloned().unwrap_or_default();
            if kind == "advisory" {
                assert_eq!(
                    listed, named,
                    "{name}: dnf --advisory={id} and dnf's listing disagree"
                );
            } else {
                // The same packages; where several notices carry the reference, dnf's
                // --cve/--bz filter may show an older notice's version than its listing of
                // the reference does. patchscan approves every notice carrying it (Patch
                // Manager compares each notice's references) and reports the highest.
                assert_eq!(
                    listed.keys().collect::<Vec<_>>(),
                    named.keys().collect::<Vec<_>>(),
                    "{name}: dnf --{kind}={id} and dnf's listing name different packages"
                );
                if listed != named {
                    older_in_filter += 1;
                }
            }
            expected.entry(id.to_string()).or_default();
            filters += 1;
        }
        // Package names of the bed: an id equal to one is also a name pattern.
        let all = dnf_updateinfo(&oracle.join("updateinfo-list-available.out"));
        for (id, mut want) in expected {
            let lower = id.to_ascii_lowercase();
            let named: Vec<&String> = all
                .keys()
                .filter(|k| {
                    k.rsplit_once('.')
                        .is_some_and(|(n, _)| n.to_ascii_lowercase() == lower)
                })
                .collect();
            if !named.is_empty() {
                by_name += 1;
                for k in named {
                    want.insert(k.clone(), all[k].clone());
                }
            }
            let baseline = format!(
                r#"{{"Name":"one-id","OperatingSystem":"{os}","ApprovedPatches":[{}]}}"#,
                serde_json::Value::String(id.clone())
            );
            let report = scan_bed(&bed, &baseline, &[]);
            assert_same(
                &missing(&report),
                &want,
                &format!("{name}: ApprovedPatches [{id:?}]"),
            );
            checked += 1;
        }
    }
    assert!(checked >= 300, "only {checked} ids checked");
    assert!(filters >= 100, "only {filters} dnf id filters recorded");
    assert!(
        by_name >= 10,
        "only {by_name} ids that are also package names"
    );
    eprintln!(
        "{checked} ids checked ({by_name} also package names), {filters} against dnf's own filters ({older_in_filter} of them show an older version than dnf's listing)"
    );
}
