//! Every warning code: documented in docs/output-schema.md, and given by a scan of a real bed
//! in the case it names, as `{"Code", "Message"}` in the JSON and `[code]` on stderr.

mod common;

use std::path::{Path, PathBuf};

use common::beds::{bed, scan_argv};
use common::{root, run};
use patchscan::vocab::warning::WarningCode;

/// The codes of a `scan --format json` run's warnings, and its stderr.
fn codes(args: &[String]) -> (Vec<String>, String) {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = v["Warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            assert!(w["Message"].as_str().is_some_and(|m| !m.is_empty()), "{w}");
            w["Code"].as_str().unwrap().to_string()
        })
        .collect();
    (codes, stderr)
}

fn baseline(dir: &Path, json: &str) -> String {
    let path = dir.join("baseline.json");
    std::fs::write(&path, json).unwrap();
    path.display().to_string()
}

/// A private copy of the debian12 apt bed's root.
fn apt_root(dir: &Path) -> PathBuf {
    let copy = dir.join("root");
    common::apt::copy_dir(
        &root().join("repodata-fixtures/apt-beds/debian12/root"),
        &copy,
    );
    copy
}

fn apt_scan(root: &Path, now: &str) -> Vec<String> {
    let r = root.display().to_string();
    ["scan", "--root", &r, "--now", now, "--format", "json"]
        .map(String::from)
        .to_vec()
}

#[test]
fn every_code_is_documented_and_each_case_gives_its_code() {
    let doc = std::fs::read_to_string(root().join("docs/output-schema.md")).unwrap();
    for code in WarningCode::ALL {
        assert!(
            doc.contains(&format!("| `{}` |", code.as_str())),
            "{code} is not in docs/output-schema.md's table of warning codes"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let host = bed("host-a");
    let lists = "repodata-fixtures/apt-beds/debian12/root/var/lib/apt/lists";
    let lists = root().join(lists);
    let mut seen = std::collections::BTreeSet::new();
    let mut check = |code: WarningCode, args: Vec<String>| {
        let (got, stderr) = codes(&args);
        assert!(got.contains(&code.as_str().to_string()), "{code}: {got:?}");
        assert!(stderr.contains(&format!("[{code}]")), "{code}: {stderr}");
        seen.insert(code);
    };

    // RPM: the host-a bed.
    let mut late = scan_argv(&host, &["--format", "json"]);
    let at = late.iter().position(|a| a == "--now").unwrap();
    late[at + 1] = "2026-06-01T00:00:00Z".into();
    check(WarningCode::StaleMetadata, late);
    let b = baseline(
        dir.path(),
        r#"{"Name":"unused","OperatingSystem":"AMAZON_LINUX_2023","ApprovedPatches":["no-such-package-anywhere"]}"#,
    );
    check(
        WarningCode::UnusedBaselineEntry,
        scan_argv(&host, &["--format", "json", "--baseline", &b]),
    );
    let b = baseline(
        dir.path(),
        r#"{"Name":"typo","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["AmazonLinux2032"]}]},"ApproveAfterDays":0}]}}"#,
    );
    check(
        WarningCode::ProductExcludesHost,
        scan_argv(&host, &["--format", "json", "--baseline", &b]),
    );
    let b = baseline(
        dir.path(),
        r#"{"Name":"id-shaped","OperatingSystem":"AMAZON_LINUX_2023","RejectedPatches":["ALAS2023-2025-001"]}"#,
    );
    check(
        WarningCode::Baseline,
        scan_argv(&host, &["--format", "json", "--baseline", &b]),
    );
    let tiny = root()
        .join("repodata-fixtures/rpmmd/tiny")
        .display()
        .to_string();
    let r = host.join("root").display().to_string();
    check(
        WarningCode::UnrelatedRepositories,
        [
            "scan",
            "--root",
            &r,
            "--repo",
            &tiny,
            "--now",
            "2025-06-01T12:00:00Z",
            "--format",
            "json",
        ]
        .map(String::from)
        .to_vec(),
    );

    // APT: copies of the debian12 bed's root (its Releases dated 2026-12-01, the security
    // suite valid until 2026-12-08).
    let now = "2026-12-02T00:00:00Z";
    let fresh = apt_root(&dir.path().join("fresh"));
    // The bed itself warns only that AWS's Debian baseline's approval delay is ignored on APT,
    // and says "warning" once.
    let (fresh_codes, stderr) = codes(&apt_scan(&fresh, now));
    assert_eq!(fresh_codes, ["baseline"]);
    assert_eq!(stderr.matches("warning").count(), 1, "{stderr}");
    check(
        WarningCode::ReleaseExpired,
        apt_scan(&fresh, "2026-12-20T00:00:00Z"),
    );
    let no_sources = apt_root(&dir.path().join("no-sources"));
    std::fs::remove_dir_all(no_sources.join("etc/apt/sources.list.d")).unwrap();
    check(WarningCode::NoAptSources, apt_scan(&no_sources, now));
    let updates_release = "deb.debian.org_debian_dists_bookworm-updates_Release";
    assert!(lists.join(updates_release).is_file());
    let undated = apt_root(&dir.path().join("undated"));
    let release = undated.join("var/lib/apt/lists").join(updates_release);
    let text = std::fs::read_to_string(&release).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("Date:")).collect();
    std::fs::write(&release, kept.join("\n") + "\n").unwrap();
    check(WarningCode::UndatedMetadata, apt_scan(&undated, now));
    let bare = apt_root(&dir.path().join("bare"));
    std::fs::remove_file(bare.join("var/lib/apt/lists").join(updates_release)).unwrap();
    check(WarningCode::ListWithoutRelease, apt_scan(&bare, now));

    let all: std::collections::BTreeSet<WarningCode> = WarningCode::ALL.into_iter().collect();
    assert_eq!(seen, all, "a code no case here gives");
}
