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
