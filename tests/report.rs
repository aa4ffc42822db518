//! The fleet tables as other tools read them, and `patchscan report`: the schema is pinned
//! here (docs/output-schema.md documents the same), the Parquet files read back in pyarrow
//! and DuckDB (PyPI; `.ci/run` installs them into a venv), CSV and JSON Lines carry the same
//! columns, partitions hold the same rows, and the fleet view agrees with the rows.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::beds::{bed, now};
use common::tool_available;
use serde_json::Value;

/// summaries: column → the DuckDB type of the Parquet column.
const SUMMARIES: &[(&str, &str)] = &[
    ("InstanceId", "VARCHAR"),
    ("HostId", "VARCHAR"),
    ("PatchGroup", "VARCHAR"),
    ("BaselineId", "VARCHAR"),
    ("SnapshotId", "VARCHAR"),
    ("ComplianceStatus", "VARCHAR"),
    ("NonCompliantSeverity", "VARCHAR"),
    ("InstalledCount", "BIGINT"),
    ("InstalledOtherCount", "BIGINT"),
    ("InstalledPendingRebootCount", "BIGINT"),
    ("InstalledRejectedCount", "BIGINT"),
    ("MissingCount", "BIGINT"),
    ("FailedCount", "BIGINT"),
    ("NotApplicableCount", "BIGINT"),
    ("UnreportedNotApplicableCount", "BIGINT"),
    ("CriticalNonCompliantCount", "BIGINT"),
    ("SecurityNonCompliantCount", "BIGINT"),
    ("OtherNonCompliantCount", "BIGINT"),
    ("OperationStartTime", "VARCHAR"),
    ("OperationEndTime", "VARCHAR"),
    ("Operation", "VARCHAR"),
    ("OperatingSystem", "VARCHAR"),
    ("Product", "VARCHAR"),
    ("PlatformName", "VARCHAR"),
    ("RepoSet", "VARCHAR"),
    ("SourceKind", "VARCHAR"),
    ("Source", "VARCHAR"),
    ("ScanTime", "TIMESTAMP"),
    ("Error", "VARCHAR"),
    ("Warnings", "VARCHAR[]"),
    ("WarningCodes", "VARCHAR[]"),
];

/// patches: column → the DuckDB type of the Parquet column.
const PATCHES: &[(&str, &str)] = &[
    ("InstanceId", "VARCHAR"),
    ("PatchGroup", "VARCHAR"),
    ("BaselineId", "VARCHAR"),
    ("OperatingSystem", "VARCHAR"),
    ("ScanTime", "TIMESTAMP"),
    ("Title", "VARCHAR"),
    ("KBId", "VARCHAR"),
    ("Classification", "VARCHAR"),
    ("Severity", "VARCHAR"),
    ("State", "VARCHAR"),
    ("InstalledTime", "VARCHAR"),
    ("CVEIds", "VARCHAR[]"),
    ("InstalledVersion", "VARCHAR"),
    ("CandidateVersion", "VARCHAR"),
    ("AdvisoryIds", "VARCHAR[]"),
    ("ComplianceLevel", "VARCHAR"),
    ("Reason", "VARCHAR"),
];

fn names(columns: &[(&str, &str)]) -> Vec<String> {
    columns.iter().map(|(n, _)| n.to_string()).collect()
}

/// One fleet run over the beds (two good hosts in two patch groups, one broken host) written
/// in every table format, optionally partitioned.
struct Run {
    dir: tempfile::TempDir,
}

impl Run {
    fn new(extra: &[&str]) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let a = bed("host-a");
        let b = bed("host-b");
        std::fs::create_dir_all(dir.path().join("broken/etc")).unwrap();
        std::fs::write(
            dir.path().join("broken/etc/os-release"),
            "ID=amzn\nVERSION_ID=2023\n",
        )
        .unwrap();
        let baseline = dir.path().join("critical.json");
        // A custom baseline: security notices of every severity are approved and CRITICAL.
        std::fs::write(
            &baseline,
            r#"{"Name": "al2023-critical", "OperatingSystem": "AMAZON_LINUX_2023",
                "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [
                  {"Key": "CLASSIFICATION", "Values": ["Security"]}]},
                  "ComplianceLevel": "CRITICAL", "ApproveAfterDays": 0}]}}"#,
        )
        .unwrap();
        let manifest = dir.path().join("fleet.toml");
        std::fs::write(
            &manifest,
            format!(
                r#"now = "{now}"
[[repo_sets]]
id = "al2023"
repos = ["{a}/repos/amazonlinux", "{a}/repos/extras-sqlite"]
operating_systems = ["AMAZON_LINUX_2023"]
[[repo_sets]]
id = "rhel9"
repos = ["{b}/repos/baseos", "{b}/repos/appstream"]
operating_systems = ["REDHAT_ENTERPRISE_LINUX"]
[[baselines]]
id = "critical"
source = "critical.json"
patch_groups = ["web"]
[[hosts]]
id = "i-0aaaaaaaaaaaaaaa1"
source = "{a}/root"
patch_group = "web"
[[hosts]]
id = "i-0aaaaaaaaaaaaaaa2"
source = "{a}/root"
[[hosts]]
id = "db-1"
source = "{b}/root"
tags = {{ PatchGroup = "db/primary" }}
[[hosts]]
id = "broken-1"
source = "broken"
patch_group = "web"
"#,
                now = now(&a),
                a = a.display(),
                b = b.display()
            ),
        )
        .unwrap();
        let out = common::patchscan()
            .arg("fleet")
            .arg(&manifest)
            .arg("--out")
            .arg(dir.path().join("out"))
            .args(["--format", "parquet,csv,jsonl"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "one broken host: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Run { dir }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// Every row of a JSON Lines table (all partitions).
    fn jsonl(&self, table: &str) -> Vec<Value> {
        let mut files = Vec::new();
        let single = self.out().join(format!("{table}.jsonl"));
        if single.is_file() {
            files.push(single);
        } else {
            for part in std::fs::read_dir(self.out().join("jsonl").join(table)).unwrap() {
                files.push(part.unwrap().path().join("part-0.jsonl"));
            }
        }
        files.sort();
        files
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn report(&self) -> Value {
        report_json(&self.out())
    }
}

fn report_json(out: &Path) -> Value {
    let o = common::patchscan()
        .arg("report")
        .arg(out)
        .args(["--format", "json", "--top", "50"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn csv_and_json_lines_carry_the_pinned_columns() {
    let run = Run::new(&[]);
    for (table, columns) in [("summaries", SUMMARIES), ("patches", PATCHES)] {
        let csv = std::fs::read_to_string(run.out().join(format!("{table}.csv"))).unwrap();
        let header: Vec<String> = csv
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect();
        assert_eq!(header, names(columns), "{table}.csv");
        for row in run.jsonl(table) {
            let keys: Vec<String> = row.as_object().unwrap().keys().cloned().collect();
            let mut want = names(columns);
            want.sort();
            let mut keys = keys;
            keys.sort();
            assert_eq!(keys, want, "{table}.jsonl");
        }
    }
    // The CSV holds the same rows: one per JSON line, CVE lists comma-joined.
    let csv = std::fs::read_to_string(run.out().join("patches.csv")).unwrap();
    let mut reader = csv_rows(&csv);
    let rows = run.jsonl("patches");
    assert_eq!(reader.len(), rows.len());
    for (cells, row) in reader.drain(..).zip(&rows) {
        assert_eq!(cells[5], row["Title"].as_str().unwrap());
        let cves: Vec<&str> = row["CVEIds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(cells[11], cves.join(","));
    }
}

/// Minimal RFC 4180 reading for the test (quoted fields with doubled quotes and newlines).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows.remove(0);
    rows
}

/// The Python with pyarrow and duckdb: `PATCHSCAN_PARQUET_PYTHON` (CI's venv), else python3.
fn parquet_python() -> Option<String> {
    let py = std::env::var("PATCHSCAN_PARQUET_PYTHON").unwrap_or_else(|_| "python3".into());
    tool_available(
        "pyarrow and duckdb (PyPI)",
        &py,
        &["-c", "import pyarrow, duckdb"],
    )
    .then_some(py)
}

fn parquet_check(py: &str, out: &Path) -> Value {
    let script = common::root().join("tests/oracles/parquet_check.py");
    let o = Command::new(py).arg(script).arg(out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn parquet_reads_back_in_pyarrow_and_duckdb_with_the_pinned_schema() {
    let Some(py) = parquet_python() else { return };
    let run = Run::new(&[]);
    let got = parquet_check(&py, &run.out());
    let summaries = run.jsonl("summaries");
    let patches = run.jsonl("patches");
    for (table, columns) in [("summaries", SUMMARIES), ("patches", PATCHES)] {
        let duck = pairs(&got["duckdb"][table]);
        let want: Vec<(String, String)> = columns
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        assert_eq!(duck, want, "{table}: DuckDB's schema");
        let arrow = pairs(&got["pyarrow"][table]);
        assert_eq!(
            arrow.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
            names(columns)
        );
        for ((name, arrow_type), (_, duck_type)) in arrow.iter().zip(columns) {
            let ok = match *duck_type {
                "VARCHAR" => arrow_type.contains("string"),
                "BIGINT" => arrow_type == "int64",
                "TIMESTAMP" => arrow_type == "timestamp[ms]",
                "VARCHAR[]" => arrow_type.contains("list") && arrow_type.contains("string"),
                _ => false,
            };
            assert!(ok, "{table}.{name}: pyarrow reads {arrow_type}");
        }
    }
    let c = &got["counts"];
    assert_eq!(c["summaries"]["pyarrow_rows"], summaries.len());
    assert_eq!(c["summaries"]["duckdb_rows"], summaries.len());
    assert_eq!(c["patches"]["pyarrow_rows"], patches.len());
    assert_eq!(c["patches"]["duckdb_rows"], patches.len());
    let missing: i64 = summaries
        .iter()
        .filter_map(|s| s["MissingCount"].as_i64())
        .sum();
    assert_eq!(c["summaries"]["missing_sum"], missing);
    assert_eq!(c["summaries"]["failed"], 1);
    let missing_rows = patches.iter().filter(|p| p["State"] == "Missing").count();
    assert_eq!(c["patches"]["missing_rows"], missing_rows);
    assert_eq!(
        missing_rows as i64, missing,
        "one Missing row per counted patch"
    );
    let cves: usize = patches
        .iter()
        .map(|p| p["CVEIds"].as_array().unwrap().len())
        .sum();
    assert!(cves > 10);
    assert_eq!(c["patches"]["cve_items"], cves);
    let advisories: usize = patches
        .iter()
        .map(|p| p["AdvisoryIds"].as_array().unwrap().len())
        .sum();
    assert_eq!(c["patches"]["advisory_items"], advisories);
}

#[test]
fn partitions_hold_the_same_rows() {
    let flat = Run::new(&[]);
    let by_group = Run::new(&["--partition-by", "patch-group"]);
    let by_date = Run::new(&["--partition-by", "date"]);
    let groups: BTreeSet<String> = std::fs::read_dir(by_group.out().join("summaries"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        groups,
        [
            "PatchGroup=__HIVE_DEFAULT_PARTITION__",
            "PatchGroup=db%2Fprimary",
            "PatchGroup=web"
        ]
        .map(String::from)
        .into()
    );
    assert!(by_date
        .out()
        .join("patches/ScanDate=2025-06-01/part-0.parquet")
        .is_file());
    // The partition column lives in the path only.
    let row = &by_group.jsonl("summaries")[0];
    assert!(row.get("PatchGroup").is_none());
    let key = |r: &Value| {
        r["InstanceId"].as_str().unwrap().to_string() + r["KBId"].as_str().unwrap_or("")
    };
    let sorted = |mut v: Vec<Value>| {
        v.sort_by_key(key);
        v
    };
    let drop_group = |v: Vec<Value>| {
        v.into_iter()
            .map(|mut r| {
                r.as_object_mut().unwrap().remove("PatchGroup");
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        sorted(flat.jsonl("patches")),
        sorted(by_date.jsonl("patches"))
    );
    assert_eq!(
        drop_group(sorted(flat.jsonl("patches"))),
        sorted(by_group.jsonl("patches"))
    );
    // `report` reads the hive layout (partition values decoded) to the same view.
    let without_paths = |mut v: Value| {
        // Failed hosts name their (per-run temporary) source paths.
        let failed = v["FailedHosts"].as_array().unwrap().len();
        v.as_object_mut().unwrap().remove("FailedHosts");
        (v, failed)
    };
    let want = without_paths(flat.report());
    assert_eq!(without_paths(by_date.report()), want);
    assert_eq!(without_paths(by_group.report()), want);
    if let Some(py) = parquet_python() {
        let got = parquet_check(&py, &by_group.out());
        assert_eq!(
            got["counts"]["summaries"]["duckdb_rows"],
            flat.jsonl("summaries").len()
        );
        let hive_groups = got["counts"]["summaries"]["by_group"]
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(hive_groups["web"], 2, "{hive_groups:?}");
        assert_eq!(hive_groups["db/primary"], 1, "{hive_groups:?}");
    }
}

#[test]
fn the_fleet_view_agrees_with_the_rows() {
    let run = Run::new(&[]);
    let view = run.report();
    let summaries = run.jsonl("summaries");
    let patches = run.jsonl("patches");
    let status = |s: &str| {
        summaries
            .iter()
            .filter(|r| r["ComplianceStatus"] == s)
            .count() as i64
    };
    assert_eq!(view["Hosts"], summaries.len() as i64);
    assert_eq!(view["Compliant"], status("COMPLIANT"));
    assert_eq!(view["NonCompliant"], status("NON_COMPLIANT"));
    assert_eq!(view["ScanFailed"], 1);
    assert_eq!(view["FailedHosts"][0]["InstanceId"], "broken-1");
    assert!(view["FailedHosts"][0]["Error"]
        .as_str()
        .unwrap()
        .contains("no rpm database"));

    // Per patch group: hosts and missing patches summed from the rows.
    let mut want: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &summaries {
        let e = want
            .entry(r["PatchGroup"].as_str().unwrap().to_string())
            .or_default();
        e.0 += 1;
        e.1 += r["MissingCount"].as_i64().unwrap_or(0);
    }
    let got: BTreeMap<String, (i64, i64)> = view["ByPatchGroup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["Key"].as_str().unwrap().to_string(),
                (
                    g["Hosts"].as_i64().unwrap(),
                    g["MissingPatches"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, want);

    // Advisories of Missing patches: distinct hosts, and hosts where the level is CRITICAL.
    let mut hosts: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for p in patches.iter().filter(|p| p["State"] == "Missing") {
        for a in p["AdvisoryIds"].as_array().unwrap() {
            let e = hosts.entry(a.as_str().unwrap().to_string()).or_default();
            let id = p["InstanceId"].as_str().unwrap().to_string();
            if p["ComplianceLevel"] == "CRITICAL" {
                e.1.insert(id.clone());
            }
            e.0.insert(id);
        }
    }
    let listed = view["TopMissingAdvisories"].as_array().unwrap();
    assert_eq!(listed.len(), hosts.len().min(50));
    let mut last = i64::MAX;
    for a in listed {
        let (all, critical) = &hosts[a["AdvisoryId"].as_str().unwrap()];
        assert_eq!(a["Hosts"], all.len() as i64);
        assert_eq!(a["CriticalHosts"], critical.len() as i64);
        assert!(a["Hosts"].as_i64().unwrap() <= last, "sorted by hosts");
        last = a["Hosts"].as_i64().unwrap();
    }
    // The custom baseline makes the web host's security patches CRITICAL; the other
    // AL2023 host (no group: AWS's default) misses the same advisories, not critically.
    let critical_listed = listed
        .iter()
        .filter(|a| a["CriticalHosts"].as_i64() == Some(1))
        .count();
    assert!(critical_listed > 3, "{critical_listed}");
    let worst = &view["MostCriticalHosts"][0];
    assert_eq!(worst["InstanceId"], "i-0aaaaaaaaaaaaaaa1");
    let s = summaries
        .iter()
        .find(|r| r["InstanceId"] == "i-0aaaaaaaaaaaaaaa1")
        .unwrap();
    assert_eq!(
        worst["CriticalNonCompliantCount"],
        s["CriticalNonCompliantCount"]
    );
    assert!(s["CriticalNonCompliantCount"].as_i64().unwrap() > 0);

    // The text form says the same.
    let text = common::patchscan()
        .arg("report")
        .arg(run.out())
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.starts_with(&format!(
            "Fleet: 4 hosts — {} compliant",
            status("COMPLIANT")
        )),
        "{text}"
    );
    assert!(text.contains("i-0aaaaaaaaaaaaaaa1"), "{text}");
}

#[test]
fn report_on_a_directory_without_tables_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::patchscan()
        .arg("report")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    assert!(err.contains("no summaries.parquet"), "{err}");
}
