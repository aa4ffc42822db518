//! SUSE hosts against real zypper: beds made from REAL openSUSE updateinfo (libzypp's test
//! data) by repodata-fixtures/scripts/make-suse-beds.sh — real rpmbuild, rpm (sqlite rpmdb),
//! createrepo_c and modifyrepo_c — with zypper 1.14's answers recorded beside them
//! (repodata-fixtures/suse-beds/*/oracle; FINDINGS.md says what they show).
//!
//! On SUSE Patch Manager applies no security gate (spec §3.3): with a rule approving
//! everything, Missing is every installed name.arch with a newer version, which is what
//! `zypper list-updates` lists; and the notices behind those updates are the patches zypper
//! calls "needed" (with `--with-optional`: zypper holds optional patches back by default).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::dnf::{assert_same, missing};
use common::{root, run};

fn beds() -> Vec<PathBuf> {
    ["sles15sp5", "leap155"]
        .iter()
        .map(|b| root().join("repodata-fixtures/suse-beds").join(b))
        .collect()
}

const EVERYTHING: &str = r#"{"Name":"everything","OperatingSystem":"SUSE","ApprovalRules":{"PatchRules":[
  {"PatchFilterGroup":{"PatchFilters":[]},"ApproveUntilDate":"2099-12-31"}]}}"#;

fn scan(bed: &Path, baseline: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.json");
    std::fs::write(&b, baseline).unwrap();
    let mut args = vec![
        "scan".to_string(),
        "--root".into(),
        bed.join("root").display().to_string(),
        "--now".into(),
        "2025-06-01T12:00:00Z".into(),
        "--format".into(),
        "json".into(),
        "--baseline".into(),
        b.display().to_string(),
    ];
    for r in std::fs::read_dir(bed.join("repos")).unwrap() {
        args.push("--repo".into());
        args.push(r.unwrap().path().display().to_string());
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv, None);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `attr="value"` of one XML tag.
fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let at = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
    &tag[at..at + tag[at..].find('"').unwrap()]
}

/// The `<update …>` tags of a zypper `--xmlout` answer.
fn updates(bed: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(bed.join("oracle").join(format!("{name}.out"))).unwrap();
    text.split("<update ")
        .skip(1)
        .map(|t| format!(" {}", &t[..t.find('>').unwrap()]))
        .collect()
}

fn with_epoch(edition: &str) -> String {
    if edition.contains(':') {
        edition.to_string()
    } else {
        format!("0:{edition}")
    }
}

#[test]
fn missing_equals_zypper_list_updates() {
    for bed in beds() {
        let report = scan(&bed, EVERYTHING);
        assert_eq!(
            report["PatchState"]["OperationStartTime"],
            "2025-06-01T12:00:00Z"
        );
        let zypper: BTreeMap<String, String> = updates(&bed, "list-updates")
            .iter()
            .filter(|t| attr(t, "kind") == "package")
            .map(|t| {
                (
                    format!("{}.{}", attr(t, "name"), attr(t, "arch")),
                    with_epoch(attr(t, "edition")),
                )
            })
            .collect();
        assert!(
            zypper.len() >= 20,
            "{}: zypper listed {}",
            bed.display(),
            zypper.len()
        );
        assert_same(&missing(&report), &zypper, &bed.display().to_string());
    }
}

#[test]
fn the_notices_behind_missing_updates_are_zypper_s_needed_patches() {
    for bed in beds() {
        let report = scan(&bed, EVERYTHING);
        let ours: BTreeSet<String> = report["Patches"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["State"] == "Missing")
            .flat_map(|p| p["AdvisoryIds"].as_array().unwrap().iter())
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let needed: BTreeSet<String> = updates(&bed, "list-patches-all")
            .iter()
            // zypper holds optional patches back unless `--with-optional` (then it calls them
            // needed: recorded as list-patches-with-optional-text); Patch Manager approves by
            // category, so a rule that approves everything takes them too.
            .filter(|t| {
                attr(t, "kind") == "patch" && matches!(attr(t, "status"), "needed" | "optional")
            })
            .map(|t| attr(t, "name").to_string())
            .collect();
        assert!(
            needed.len() >= 5,
            "{}: {} needed",
            bed.display(),
            needed.len()
        );
        let only_ours: Vec<_> = ours.difference(&needed).collect();
        let only_zypper: Vec<_> = needed.difference(&ours).collect();
        assert!(
            only_ours.is_empty() && only_zypper.is_empty(),
            "{}: only patchscan {only_ours:?}, only zypper {only_zypper:?}",
            bed.display()
        );
    }
}

/// SUSE patch-list forms (spec §4.3): a patch name with a wildcard approves the packages of
/// every patch it matches, and a `….x86_64.rpm` file name approves that one package version.
#[test]
fn suse_patch_list_forms_select_what_zypper_names() {
    let bed = &beds()[0];
    let everything = missing(&scan(bed, EVERYTHING));
    // `kde*` as a patch-name glob: the Missing packages are those whose newest update comes
    // from a patch named kde…, as zypper's list of needed patches names them.
    let kde_needed: BTreeSet<String> = updates(bed, "list-patches-all")
        .iter()
        .filter(|t| {
            attr(t, "status") == "needed" && attr(t, "name").to_ascii_lowercase().starts_with("kde")
        })
        .map(|t| attr(t, "name").to_string())
        .collect();
    assert!(!kde_needed.is_empty());
    let report = scan(
        bed,
        r#"{"Name":"kde","OperatingSystem":"SUSE","ApprovedPatches":["KDE*"],"ApprovedPatchesEnableNonSecurity":true}"#,
    );
    let ids: BTreeSet<String> = report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["State"] == "Missing")
        .flat_map(|p| p["AdvisoryIds"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap().to_string())
        .filter(|a| a.starts_with("KDE"))
        .collect();
    assert!(
        !ids.is_empty() && ids.iter().all(|i| kde_needed.contains(i)),
        "{ids:?} vs {kde_needed:?}"
    );
    // A file name approves exactly that version of that package.
    let (kb, evr) = everything.iter().next().unwrap();
    let (name, arch) = kb.rsplit_once('.').unwrap();
    let vr = evr.split_once(':').unwrap().1;
    let file = format!("{name}-{vr}.{arch}.rpm");
    let report = scan(
        bed,
        &format!(r#"{{"Name":"file","OperatingSystem":"SUSE","ApprovedPatches":["{file}"]}}"#),
    );
    let got = missing(&report);
    assert_eq!(got.get(kb), Some(evr), "{file}");
    assert_eq!(got.len(), 1, "{file}: {got:?}");
}

/// The recorded answers are real zypper's today: zypper is run again on a copy of the beds
/// (`make-suse-beds.sh --oracle-only`) and must answer byte for byte as recorded.
#[test]
fn recorded_answers_are_what_zypper_says_now() {
    if !common::tool_available("zypper", "zypper", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("suse-beds");
    common::apt::copy_dir(&root().join("repodata-fixtures/suse-beds"), &copy);
    let out = std::process::Command::new("bash")
        .arg(root().join("repodata-fixtures/scripts/make-suse-beds.sh"))
        .arg("--oracle-only")
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bed in beds() {
        let name = bed.file_name().unwrap();
        for f in [
            "list-updates.out",
            "list-patches-all.out",
            "list-patches-all-text.out",
        ] {
            let recorded = std::fs::read_to_string(bed.join("oracle").join(f)).unwrap();
            let now = std::fs::read_to_string(copy.join(name).join("oracle").join(f)).unwrap();
            assert_eq!(recorded, now, "{name:?}/{f}");
        }
    }
}
