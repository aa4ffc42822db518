//! `patchscan inventory` equals real `rpm -qa` on the beds' databases (written by real rpm).

mod common;

use common::{root, run};

fn rows(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
fn inventory_equals_rpm_qa_on_every_bed() {
    for host in ["host-a", "host-b"] {
        let bed = root().join("repodata-fixtures/beds").join(host);
        let out = run(
            &[
                "inventory",
                "--root",
                bed.join("root").to_str().unwrap(),
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ours: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}\t{}\t{}\t{}",
                    p["name"].as_str().unwrap(),
                    p["epoch"],
                    p["version"].as_str().unwrap(),
                    p["release"].as_str().unwrap(),
                    p["arch"].as_str().unwrap()
                )
            })
            .collect();
        let theirs = std::fs::read_to_string(bed.join("oracle/rpm-qa.out")).unwrap();
        let mut ours_sorted = ours.clone();
        ours_sorted.sort();
        assert_eq!(ours_sorted, rows(&theirs), "{host}");
        assert!(ours.len() >= 40, "{host}: {} packages", ours.len());
    }
}

#[test]
fn inventory_errors_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["inventory", "--root", dir.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rpm database"));
    let junk = dir.path().join("rpmdb.sqlite");
    std::fs::write(&junk, b"this is not a database at all, not even close").unwrap();
    let out = run(&["inventory", "--rpmdb", junk.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(junk.to_str().unwrap()));
}

/// `dpkg-query -W` on a root's database: (name, version, arch, status abbreviation) of every
/// entry dpkg reports as installed (`?i`, `?W`, `?t`: configured, or triggers due; no `R`).
fn dpkg_query_installed(admindir: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args([
            "-W",
            "-f",
            "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n",
        ])
        .output()
        .expect("dpkg-query");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let abbrev = f[3].trim_end();
            let state = abbrev.chars().nth(1)?;
            (matches!(state, 'i' | 'W' | 't') && !abbrev.contains('R'))
                .then(|| format!("{}\t{}\t{}\t{abbrev}", f[0], f[1], f[2]))
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn inventory_of_a_debian_root_equals_dpkg_query() {
    if !common::tool_available("dpkg-query", "dpkg-query", &["--version"]) {
        return;
    }
    // The apt bed (made by real dpkg) and the real Debian 12 capture's status file.
    let capture = tempfile::tempdir().unwrap();
    let admin = capture.path().join("var/lib/dpkg");
    std::fs::create_dir_all(&admin).unwrap();
    std::fs::copy(
        root().join("repodata-fixtures/apt-real/debian-bookworm/dpkg-status"),
        admin.join("status"),
    )
    .unwrap();
    let bed = root().join("repodata-fixtures/apt-beds/debian12/root");
    for host_root in [bed.as_path(), capture.path()] {
        let out = run(
            &[
                "inventory",
                "--root",
                host_root.to_str().unwrap(),
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ours: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}\t{}\t{}\t{}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap(),
                    p["arch"].as_str().unwrap(),
                    p["status"].as_str().unwrap()
                )
            })
            .collect();
        ours.sort();
        let theirs = dpkg_query_installed(&host_root.join("var/lib/dpkg"));
        assert!(
            theirs.len() >= 18,
            "{}: {} rows",
            host_root.display(),
            theirs.len()
        );
        assert_eq!(ours, theirs, "{}", host_root.display());
        // The table names the same packages.
        let table = run(&["inventory", "--root", host_root.to_str().unwrap()], None);
        let text = String::from_utf8_lossy(&table.stdout);
        assert_eq!(text.lines().count(), theirs.len() + 1, "{text}");
    }
}

#[test]
fn inventory_of_a_root_without_any_database_names_both() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
    let out = run(&["inventory", "--root", dir.path().to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no rpm database") && err.contains("no dpkg database"),
        "{err}"
    );
}
