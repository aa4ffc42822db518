//! The apt beds of repodata-fixtures/apt-beds (made by make-apt-beds.py with real dpkg-deb,
//! dpkg-scanpackages, apt-ftparchive, dpkg and apt) and parsers of real apt's raw output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{root, run};

pub fn apt_bed(name: &str) -> PathBuf {
    root().join("repodata-fixtures/apt-beds").join(name)
}

/// The time a bed was made (its Release dates), as `--now`.
pub fn bed_now(bed: &Path) -> String {
    std::fs::read_to_string(bed.join("NOW"))
        .unwrap()
        .trim()
        .to_string()
}

/// A baseline approving every version, non-security ones included.
pub fn approve_all(os: &str) -> String {
    format!(
        r#"{{"Name":"approve-all","OperatingSystem":"{os}","ApprovalRules":{{"PatchRules":[{{"PatchFilterGroup":{{"PatchFilters":[{{"Key":"PRODUCT","Values":["*"]}}]}},"EnableNonSecurity":true}}]}}}}"#
    )
}

/// `name.arch` → version from `apt list --upgradable` output
/// (`name/suite[,suite] version arch [upgradable from: old]`).
pub fn parse_list_upgradable(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| l.contains("[upgradable from:"))
        .map(|l| {
            let mut w = l.split_whitespace();
            let name = w.next().unwrap().split('/').next().unwrap();
            let version = w.next().unwrap();
            let arch = w.next().unwrap();
            (format!("{name}.{arch}"), version.to_string())
        })
        .collect()
}

/// `name.arch` → version of the `Inst` lines of `apt-get -s upgrade|dist-upgrade`
/// (`Inst name[:arch] [old] (new Origin:suite [arch]) …`).
pub fn parse_simulated(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("Inst "))
        .map(|l| {
            let name = l.split_whitespace().next().unwrap();
            let name = name.split(':').next().unwrap();
            let open = l.find('(').unwrap() + 1;
            let paren = &l[open..open + l[open..].find(')').unwrap()];
            let version = paren.split_whitespace().next().unwrap();
            let arch = paren[paren.rfind('[').unwrap() + 1..]
                .split(']')
                .next()
                .unwrap();
            (format!("{name}.{arch}"), version.to_string())
        })
        .collect()
}

/// Runs `scan --format json` with a baseline given as JSON text (or a predefined name).
pub fn scan_json(args: &[&str], baseline: Option<&str>) -> (serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<String> = vec!["scan".into(), "--format".into(), "json".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    if let Some(b) = baseline {
        if b.starts_with('{') {
            let p = dir.path().join("baseline.json");
            std::fs::write(&p, b).unwrap();
            all.extend(["--baseline".into(), p.display().to_string()]);
        } else {
            all.extend(["--baseline".into(), b.to_string()]);
        }
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = run(&refs, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "scan {args:?} failed: {stderr}{}",
        String::from_utf8_lossy(&out.stdout)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// `KBId` → `CandidateVersion` of the Missing patches.
pub fn missing(report: &serde_json::Value) -> BTreeMap<String, String> {
    patches(report, "Missing")
}

pub fn patches(report: &serde_json::Value, state: &str) -> BTreeMap<String, String> {
    report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["State"] == state)
        .map(|p| {
            (
                p["KBId"].as_str().unwrap().to_string(),
                p["CandidateVersion"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The patch record with this KBId.
pub fn patch<'a>(report: &'a serde_json::Value, kb: &str) -> &'a serde_json::Value {
    report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["KBId"] == kb)
        .unwrap_or_else(|| panic!("no patch {kb}"))
}

/// Copies a directory tree (a bed, to break it).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}
