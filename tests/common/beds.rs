//! Running `patchscan scan` on the beds of repodata-fixtures/beds (made by real rpm,
//! createrepo_c and modifyrepo_c), evaluated at the beds' fixed NOW.

use std::path::{Path, PathBuf};

use super::{root, run};

pub fn bed(host: &str) -> PathBuf {
    root().join("repodata-fixtures/beds").join(host)
}

/// The fixed evaluation time of the beds in `bed`'s parent directory.
pub fn now(bed: &Path) -> String {
    let file = bed.parent().unwrap().join("NOW");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        .trim()
        .to_string()
}

/// The large bed (3,000 installed, 5,000 available, 2,000 advisories) made by
/// `repodata-fixtures/scripts/make-large-bed.sh DIR` and named by `PATCHSCAN_LARGE_BED=DIR`.
/// `None` (skip) when unset, except under `PATCHSCAN_REQUIRE_ORACLES=1`, where it must exist.
pub fn large_bed() -> Option<PathBuf> {
    match std::env::var_os("PATCHSCAN_LARGE_BED") {
        Some(dir) => Some(PathBuf::from(dir).join("large")),
        None => {
            assert!(
                !super::oracles_required(),
                "PATCHSCAN_REQUIRE_ORACLES=1 but PATCHSCAN_LARGE_BED is not set (make it with repodata-fixtures/scripts/make-large-bed.sh)"
            );
            eprintln!("skipping: PATCHSCAN_LARGE_BED is not set");
            None
        }
    }
}

/// Runs `scan --format json` on a committed bed with a baseline given as JSON text.
pub fn scan(host: &str, baseline_json: &str, extra: &[&str]) -> serde_json::Value {
    scan_bed(&bed(host), baseline_json, extra)
}

/// Runs `scan --format json` on the bed at `bed` (holding root/ and repos/).
pub fn scan_bed(bed: &Path, baseline_json: &str, extra: &[&str]) -> serde_json::Value {
    scan_bed_with(bed, Some(baseline_json), extra)
}

/// `scan --root BED/root --now NOW --repo BED/repos/…` (every repository of the bed, sorted),
/// then `extra`.
pub fn scan_argv(bed: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "scan".into(),
        "--root".into(),
        bed.join("root").display().to_string(),
        "--now".into(),
        now(bed),
    ];
    let mut repos: Vec<PathBuf> = std::fs::read_dir(bed.join("repos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    repos.sort();
    for r in repos {
        args.push("--repo".into());
        args.push(r.display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// [`scan_bed`] with the baseline optional (`None`: the OS's predefined default).
pub fn scan_bed_with(bed: &Path, baseline_json: Option<&str>, extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = scan_argv(bed, &["--format", "json"]);
    if let Some(json) = baseline_json {
        let b = dir.path().join("baseline.json");
        std::fs::write(&b, json).unwrap();
        args.extend(["--baseline".into(), b.display().to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv, None);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("scan JSON")
}
