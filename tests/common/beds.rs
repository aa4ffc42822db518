//! Running `patchscan scan` on the beds of repodata-fixtures/beds (made by real rpm,
//! createrepo_c and modifyrepo_c), evaluated at the beds' fixed NOW.

use std::path::PathBuf;

use super::{root, run};

pub fn bed(host: &str) -> PathBuf {
    root().join("repodata-fixtures/beds").join(host)
}

pub fn now() -> String {
    std::fs::read_to_string(root().join("repodata-fixtures/beds/NOW"))
        .unwrap()
        .trim()
        .to_string()
}

/// Runs `scan --format json` on a bed with a baseline given as JSON text.
pub fn scan(host: &str, baseline_json: &str, extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("baseline.json");
    std::fs::write(&b, baseline_json).unwrap();
    let bed = bed(host);
    let mut args: Vec<String> = vec![
        "scan".into(),
        "--root".into(),
        bed.join("root").display().to_string(),
        "--baseline".into(),
        b.display().to_string(),
        "--now".into(),
        now(),
        "--format".into(),
        "json".into(),
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
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv, None);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("scan JSON")
}
