//! `patchscan demo`: the bundled fleet (repodata-fixtures/demo, made by make-demo.sh with
//! real rpm/createrepo_c) runs end to end, and its rows are what `scan` says of each host.

mod common;

use serde_json::Value;

fn demo() -> std::path::PathBuf {
    common::root().join("repodata-fixtures/demo")
}

#[test]
fn the_demo_runs_end_to_end_and_agrees_with_scan() {
    let out = tempfile::tempdir().unwrap();
    let o = common::patchscan()
        .arg("demo")
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.path().join("summaries.parquet").is_file());
    assert!(out.path().join("patches.parquet").is_file());
    assert!(
        stdout.contains(
            "Fleet: 7 hosts — 0 compliant (0%), 6 non-compliant (86%), 1 could not be scanned"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("broken-al2023-image: "), "{stdout}");
    assert!(
        stdout.contains("rpmdb.sqlite: sqlite: database disk image is malformed"),
        "{stdout}"
    );

    // The same fleet as JSON Lines, each host held against a single-host scan with the
    // baseline the manifest registers for its group.
    let jl = tempfile::tempdir().unwrap();
    let o = common::patchscan()
        .arg("fleet")
        .arg(demo().join("fleet.toml"))
        .arg("--out")
        .arg(jl.path())
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "one broken image");
    let summaries: Vec<Value> = std::fs::read_to_string(jl.path().join("summaries.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let now = std::fs::read_to_string(demo().join("NOW")).unwrap();
    for (id, root, repos, baseline) in [
        (
            "al2023-web-1",
            "hosts/al2023-web-1",
            &["repos/al2023/core"][..],
            "baselines/al2023-web.json",
        ),
        (
            "rhel9-db-1",
            "hosts/rhel9-db-1",
            &["repos/rhel9/baseos", "repos/rhel9/appstream"][..],
            "baselines/rhel9-db.json",
        ),
        (
            "rhel9-db-2",
            "hosts/rhel9-db-2",
            &["repos/rhel9/baseos", "repos/rhel9/appstream"][..],
            "baselines/rhel9-db.json",
        ),
    ] {
        let mut cmd = common::patchscan();
        cmd.arg("scan")
            .arg("--root")
            .arg(demo().join(root))
            .arg("--baseline")
            .arg(if baseline.starts_with("AWS-") {
                baseline.into()
            } else {
                demo().join(baseline)
            })
            .args(["--now", now.trim(), "--format", "json"]);
        for r in repos {
            cmd.arg("--repo").arg(demo().join(r));
        }
        let scan: Value = serde_json::from_slice(&cmd.output().unwrap().stdout).unwrap();
        let row = summaries.iter().find(|s| s["HostId"] == id).unwrap();
        for key in [
            "MissingCount",
            "InstalledCount",
            "InstalledOtherCount",
            "CriticalNonCompliantCount",
            "SecurityNonCompliantCount",
            "NonCompliantSeverity",
            "BaselineId",
        ] {
            assert_eq!(row[key], scan["PatchState"][key], "{id} {key}");
        }
    }
    let status = |id: &str| {
        summaries.iter().find(|s| s["HostId"] == id).unwrap()["ComplianceStatus"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("broken-al2023-image"), "SCAN_FAILED");
    let missing = |id: &str| {
        summaries.iter().find(|s| s["HostId"] == id).unwrap()["MissingCount"]
            .as_i64()
            .unwrap()
    };
    assert!(
        missing("al2023-web-2") < missing("al2023-web-1"),
        "the half-patched image misses less"
    );
    let kinds: Vec<&str> = summaries
        .iter()
        .map(|s| s["SourceKind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "root",
            "archive",
            "inventory",
            "archive",
            "root",
            "root",
            "root"
        ]
    );
}

/// `demo` ran the fixtures of the checkout the binary was built in, not of the one it was run
/// in: a checkout (here, a copy of the demo under another root) whose demo differs is the
/// one run, from its top or from a folder inside it.
#[test]
fn demo_runs_the_fixtures_of_the_checkout_it_runs_in() {
    let other = tempfile::tempdir().unwrap();
    let demo_copy = other.path().join("repodata-fixtures/demo");
    common::apt::copy_dir(&demo(), &demo_copy);
    // This checkout's demo has one host fewer: drop the last [[hosts]] entry.
    let manifest = demo_copy.join("fleet.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let cut = text.rfind("[[hosts]]").unwrap();
    std::fs::write(&manifest, &text[..cut]).unwrap();
    let inside = other.path().join("repodata-fixtures");
    for cwd in [other.path(), inside.as_path()] {
        let out = tempfile::tempdir().unwrap();
        let o = common::patchscan()
            .current_dir(cwd)
            .arg("demo")
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains(&format!("Demo fleet: {}", manifest.display()))
                || stdout.contains(&format!(
                    "Demo fleet: {}",
                    manifest.canonicalize().unwrap().display()
                )),
            "{}: {stdout}",
            cwd.display()
        );
        assert!(stdout.contains("Fleet: 6 hosts"), "{stdout}");
    }
}
