//! `patchscan fleet` through the binary, on the beds of repodata-fixtures/beds (real rpm,
//! createrepo_c; scan agrees with dnf there): every host source gives the scan's answer,
//! broken hosts are records with their reason, AWS inventory payloads follow spec §6.3.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::beds::{bed, now};
use common::tool_available;
use serde_json::Value;

/// A scratch directory with a manifest whose repository sets are the beds' repositories.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn manifest(&self, hosts: &str) -> PathBuf {
        let a = bed("host-a");
        let b = bed("host-b");
        let text = format!(
            r#"now = "{now}"

[[repo_sets]]
id = "al2023"
repos = ["{a}/repos/amazonlinux", "{a}/repos/extras-sqlite"]
operating_systems = ["AMAZON_LINUX_2023"]

[[repo_sets]]
id = "rhel9"
repos = ["{b}/repos/baseos", "{b}/repos/appstream"]
operating_systems = ["REDHAT_ENTERPRISE_LINUX"]

{hosts}
"#,
            now = now(&a),
            a = a.display(),
            b = b.display()
        );
        let path = self.path("fleet.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs `fleet` with `extra` arguments; returns the exit code and stderr.
    fn run(&self, manifest: &Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        let out = self.path("out");
        let mut cmd = common::patchscan();
        cmd.arg("fleet")
            .arg(manifest)
            .arg("--out")
            .arg(&out)
            .args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn jsonl(&self, table: &str) -> Vec<Value> {
        let path = self.path(&format!("out/{table}.jsonl"));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// An inventory file written from real `rpm -qa --qf` output on a bed's rpmdb.
fn rpm_inventory(root: &Path, dest: &Path) {
    let qf = "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\t%{BUILDTIME}\\t%{MODULARITYLABEL}\\t%{SOURCERPM}\\n";
    let out = Command::new("rpm")
        .arg("--root")
        .arg(root)
        .args(["--dbpath", "/var/lib/rpm", "-qa", "--qf", qf])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = String::from("#patchscan-inventory 1\n@os-release\n");
    text.push_str(&std::fs::read_to_string(root.join("etc/os-release")).unwrap());
    text.push_str("@rpm\n");
    text.push_str(&String::from_utf8(out.stdout).unwrap());
    let modules = root.join("etc/dnf/modules.d");
    if modules.is_dir() {
        text.push_str("@dnf-modules\n");
        for e in std::fs::read_dir(modules).unwrap() {
            text.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
        }
    }
    text.push_str("@end\n");
    std::fs::write(dest, text).unwrap();
}

/// A tar archive of `root` made by GNU tar, compressed by `how` (none, gzip, zstd).
fn gnu_tar(root: &Path, dest: &Path, how: &str) {
    let mut cmd = Command::new("tar");
    cmd.arg("-C").arg(root);
    match how {
        "gzip" => cmd.arg("-czf"),
        "zstd" => cmd.args(["--zstd", "-cf"]),
        _ => cmd.arg("-cf"),
    };
    let status = cmd.arg(dest).arg(".").status().unwrap();
    assert!(status.success());
}

/// The cells that say what was decided, without who/where (ids, source, snapshot).
fn verdict(row: &Value) -> Value {
    let mut row = row.clone();
    for k in [
        "InstanceId",
        "HostId",
        "Source",
        "SourceKind",
        "SnapshotId",
        "PlatformName",
    ] {
        row.as_object_mut().unwrap().remove(k);
    }
    row
}

fn host_rows<'a>(rows: &'a [Value], id: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["InstanceId"] == id).collect()
}

/// `scan --format json` on a bed with AWS's default baseline (spec: the OS default applies to
/// a host in no patch group).
fn scan_default(host: &str) -> Value {
    common::beds::scan_bed_with(&bed(host), None, &[])
}

#[test]
fn every_source_kind_gives_the_scan_verdict() {
    if !tool_available("rpm", "rpm", &["--version"])
        || !tool_available("GNU tar", "tar", &["--version"])
    {
        return;
    }
    let f = Fleet::new();
    let a = bed("host-a").join("root");
    let b = bed("host-b").join("root");
    gnu_tar(&a, &f.path("a.tar"), "none");
    gnu_tar(&a, &f.path("a.tar.gz"), "gzip");
    gnu_tar(&a, &f.path("a.tar.zst"), "zstd");
    gnu_tar(&b, &f.path("b.tar.zst"), "zstd");
    rpm_inventory(&a, &f.path("a.inv"));
    rpm_inventory(&b, &f.path("b.inv"));
    let hosts = format!(
        r#"
[[hosts]]
id = "a-root"
source = "{}"
[[hosts]]
id = "a-tar"
source = "a.tar"
[[hosts]]
id = "a-tgz"
source = "a.tar.gz"
[[hosts]]
id = "a-zst"
source = "a.tar.zst"
[[hosts]]
id = "a-inv"
source = "a.inv"
[[hosts]]
id = "b-root"
source = "{}"
[[hosts]]
id = "b-zst"
source = "b.tar.zst"
[[hosts]]
id = "b-inv"
source = "b.inv"
"#,
        a.display(),
        b.display()
    );
    let manifest = f.manifest(&hosts);
    let (code, stderr) = f.run(&manifest, &["--format", "jsonl,parquet"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let summaries = f.jsonl("summaries");
    let patches = f.jsonl("patches");
    assert_eq!(summaries.len(), 8);
    let kinds: Vec<&str> = summaries
        .iter()
        .map(|s| s["SourceKind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "root",
            "archive",
            "archive",
            "archive",
            "inventory",
            "root",
            "archive",
            "inventory"
        ]
    );

    for (reference, same) in [
        ("a-root", &["a-tar", "a-tgz", "a-zst", "a-inv"][..]),
        ("b-root", &["b-zst", "b-inv"][..]),
    ] {
        let want_s = verdict(host_rows(&summaries, reference)[0]);
        let want_p: Vec<Value> = host_rows(&patches, reference)
            .into_iter()
            .map(verdict)
            .collect();
        assert!(want_p.len() > 30, "{reference}: {}", want_p.len());
        for id in same {
            assert_eq!(verdict(host_rows(&summaries, id)[0]), want_s, "{id}");
            let got: Vec<Value> = host_rows(&patches, id).into_iter().map(verdict).collect();
            assert_eq!(got, want_p, "{id}");
        }
    }

    // The root's rows are the single-host scan's answer (which tests/scan_dnf.rs holds to dnf).
    for (id, host) in [("a-root", "host-a"), ("b-root", "host-b")] {
        let scan = scan_default(host);
        let s = host_rows(&summaries, id)[0];
        for key in [
            "InstalledCount",
            "InstalledOtherCount",
            "InstalledRejectedCount",
            "MissingCount",
            "NotApplicableCount",
            "CriticalNonCompliantCount",
            "SecurityNonCompliantCount",
            "OtherNonCompliantCount",
            "BaselineId",
            "OperationStartTime",
        ] {
            assert_eq!(s[key], scan["PatchState"][key], "{id} {key}");
        }
        let rows = host_rows(&patches, id);
        let scan_patches = scan["Patches"].as_array().unwrap();
        assert_eq!(rows.len(), scan_patches.len(), "{id}");
        for (row, p) in rows.iter().zip(scan_patches) {
            for key in [
                "Title",
                "KBId",
                "Classification",
                "Severity",
                "State",
                "InstalledTime",
            ] {
                assert_eq!(row[key], p[key], "{id} {key}");
            }
            let cves: Vec<&str> = row["CVEIds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(cves.join(","), p["CVEIds"].as_str().unwrap(), "{id}");
        }
    }
    assert!(f.path("out/summaries.parquet").is_file());
    assert!(f.path("out/patches.parquet").is_file());

    // Archives are read in memory: with no usable temporary directory (TMPDIR names a file)
    // the archive host's rows are unchanged. (host-b's repositories are XML: the sqlite
    // primary_db reader of host-a's extras repository is not part of this.)
    let g = Fleet::new();
    std::fs::copy(f.path("b.tar.zst"), g.path("b.tar.zst")).unwrap();
    let manifest = g.path("only-b.toml");
    std::fs::write(
        &manifest,
        format!(
            "now = \"{}\"\n[[repo_sets]]\nid = \"rhel9\"\nrepos = [\"{b}/repos/baseos\", \"{b}/repos/appstream\"]\n[[hosts]]\nid = \"b-zst\"\nsource = \"b.tar.zst\"\nrepo_set = \"rhel9\"\n",
            now(&bed("host-b")),
            b = bed("host-b").display()
        ),
    )
    .unwrap();
    let tmp = g.path("fleet.toml");
    let tmp = tmp.to_str().unwrap();
    let (code, stderr) = g.run(
        &manifest,
        &["--format", "jsonl"],
        &[("TMPDIR", tmp), ("SQLITE_TMPDIR", tmp)],
    );
    assert_eq!(code, 0, "{stderr}");
    let got: Vec<Value> = g.jsonl("patches").iter().map(verdict).collect();
    let want: Vec<Value> = host_rows(&patches, "b-zst")
        .into_iter()
        .map(verdict)
        .collect();
    assert_eq!(got, want);
}

/// Copies a bed's root into `dest` (cp -a keeps links and modes).
fn copy_root(host: &str, dest: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(bed(host).join("root"))
        .arg(dest)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn broken_hosts_are_records_with_their_reason_and_the_rest_is_intact() {
    let f = Fleet::new();
    // A corrupt database: the right name, the wrong bytes.
    copy_root("host-a", &f.path("corrupt"));
    std::fs::write(
        f.path("corrupt/var/lib/rpm/rpmdb.sqlite"),
        b"SQLite format 3\0 but then garbage, garbage, garbage",
    )
    .unwrap();
    // No os-release at all.
    copy_root("host-a", &f.path("no-os"));
    std::fs::remove_file(f.path("no-os/etc/os-release")).unwrap();
    // var/lib/rpm points at the scanner's /etc: followed inside the image, it finds nothing.
    copy_root("host-b", &f.path("escape"));
    std::fs::remove_dir_all(f.path("escape/var/lib/rpm")).unwrap();
    std::os::unix::fs::symlink("/etc", f.path("escape/var/lib/rpm")).unwrap();
    // The same escape inside an archive (GNU tar stores the link as it is).
    if tool_available("GNU tar", "tar", &["--version"]) {
        gnu_tar(&f.path("escape"), &f.path("escape.tar"), "none");
    }
    // An operating system Patch Manager does not know.
    copy_root("host-b", &f.path("plan9"));
    std::fs::write(f.path("plan9/etc/os-release"), "ID=plan9\nVERSION_ID=4\n").unwrap();

    let a = bed("host-a").join("root");
    let b = bed("host-b").join("root");
    let hosts = format!(
        r#"
[[hosts]]
id = "good-a"
source = "{}"
[[hosts]]
id = "corrupt-db"
source = "corrupt"
[[hosts]]
id = "no-os-release"
source = "no-os"
[[hosts]]
id = "escaping-link"
source = "escape"
[[hosts]]
id = "escaping-link-tar"
source = "escape.tar"
[[hosts]]
id = "unknown-os"
source = "plan9"
[[hosts]]
id = "good-b"
source = "{}"
[[hosts]]
id = "not-there"
source = "no/such/path"
"#,
        a.display(),
        b.display()
    );
    let manifest = f.manifest(&hosts);
    let (code, stderr) = f.run(&manifest, &["--format", "jsonl"], &[]);
    assert_eq!(code, 3, "exit 3 = some hosts failed: {stderr}");
    let summaries = f.jsonl("summaries");
    assert_eq!(summaries.len(), 8, "every host has a record");
    let error = |id: &str| {
        let row = host_rows(&summaries, id)[0];
        assert_eq!(row["ComplianceStatus"], "SCAN_FAILED", "{id}");
        assert!(
            row["MissingCount"].is_null(),
            "{id}: no counts for a failed host"
        );
        row["Error"].as_str().unwrap().to_string()
    };
    let e = error("corrupt-db");
    assert!(e.contains("corrupt/var/lib/rpm/rpmdb.sqlite"), "{e}");
    assert!(e.contains("sqlite"), "{e}");
    let e = error("no-os-release");
    assert!(e.contains("no etc/os-release"), "{e}");
    for id in ["escaping-link", "escaping-link-tar"] {
        if id.ends_with("tar") && !f.path("escape.tar").exists() {
            continue;
        }
        let e = error(id);
        assert!(e.contains("no rpm database"), "{e}");
        assert!(
            e.contains("var/lib/rpm is a link to /etc (followed inside the root"),
            "{e}"
        );
    }
    let e = error("unknown-os");
    assert!(e.contains("unknown distribution ID=\"plan9\""), "{e}");
    let e = error("not-there");
    assert!(e.contains("no/such/path"), "{e}");
    for id in ["corrupt-db", "no-os-release", "unknown-os"] {
        assert!(stderr.contains(&format!("host {id}: ")), "{stderr}");
    }

    // The good hosts are exactly what a fleet of only them reports.
    let clean = Fleet::new();
    let clean_manifest = clean.manifest(&format!(
        "[[hosts]]\nid = \"good-a\"\nsource = \"{}\"\n[[hosts]]\nid = \"good-b\"\nsource = \"{}\"\n",
        a.display(),
        b.display()
    ));
    let (code, stderr) = clean.run(&clean_manifest, &["--format", "jsonl"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let want_s = clean.jsonl("summaries");
    let want_p = clean.jsonl("patches");
    for id in ["good-a", "good-b"] {
        assert_eq!(host_rows(&summaries, id), host_rows(&want_s, id), "{id}");
    }
    let patches = f.jsonl("patches");
    assert_eq!(patches, want_p, "failed hosts add no patch rows");
}

/// Spec §6.3: the field names the agent uploads, every value a string.
const PATCH_SUMMARY_FIELDS: &[&str] = &[
    "PatchGroup",
    "BaselineId",
    "SnapshotId",
    "OwnerInformation",
    "InstalledCount",
    "InstalledPendingRebootCount",
    "InstalledOtherCount",
    "InstalledRejectedCount",
    "NotApplicableCount",
    "UnreportedNotApplicableCount",
    "MissingCount",
    "FailedCount",
    "OperationType",
    "OperationStartTime",
    "OperationEndTime",
    "InstallOverrideList",
    "RebootOption",
    "LastNoRebootInstallOperationTime",
    "ExecutionId",
    "NonCompliantSeverity",
    "SecurityNonCompliantCount",
    "CriticalNonCompliantCount",
    "OtherNonCompliantCount",
];
const PATCH_SUMMARY_NUMBERS: &[&str] = &[
    "InstalledCount",
    "InstalledPendingRebootCount",
    "InstalledOtherCount",
    "InstalledRejectedCount",
    "NotApplicableCount",
    "MissingCount",
    "FailedCount",
    "SecurityNonCompliantCount",
    "CriticalNonCompliantCount",
    "OtherNonCompliantCount",
];
const COMPLIANCE_ITEM_FIELDS: &[&str] = &[
    "Id",
    "Title",
    "Status",
    "Severity",
    "DocumentName",
    "DocumentVersion",
    "Classification",
    "PatchBaselineId",
    "PatchSeverity",
    "PatchState",
    "PatchGroup",
    "InstalledTime",
    "InstallOverrideList",
    "DetailedText",
    "DetailedLink",
    "CVEIds",
];
const COMPLIANCE_ITEM_REQUIRED: &[&str] = &[
    "Id",
    "Title",
    "Status",
    "Severity",
    "DocumentName",
    "DocumentVersion",
    "Classification",
    "PatchBaselineId",
    "PatchSeverity",
    "PatchState",
    "PatchGroup",
    "InstalledTime",
];

fn is_aws_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20 && b[4] == b'-' && b[10] == b'T' && b[19] == b'Z'
}

/// `fleet --fail-on`: exit 1 when any host meets a condition, 0 when none does; a run with a
/// failed host exits 3 whatever the conditions.
#[test]
fn fleet_fail_on_is_met_by_any_host() {
    let f = Fleet::new();
    let a = bed("host-a").join("root");
    let manifest = f.manifest(&format!(
        "[[hosts]]\nid = \"a\"\nsource = \"{}\"\n",
        a.display()
    ));
    let (code, stderr) = f.run(&manifest, &["--format", "jsonl"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let severity = f.jsonl("summaries")[0]["NonCompliantSeverity"].clone();
    assert!(severity.is_string(), "host-a is non-compliant: {severity}");
    let (code, stderr) = f.run(
        &manifest,
        &["--format", "jsonl", "--fail-on", "noncompliant"],
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("1 hosts meet --fail-on noncompliant"),
        "{stderr}"
    );
    let broken = f.manifest(&format!(
        "[[hosts]]\nid = \"a\"\nsource = \"{}\"\n[[hosts]]\nid = \"gone\"\nsource = \"{}\"\n",
        a.display(),
        f.path("no-such-root").display()
    ));
    let (code, stderr) = f.run(
        &broken,
        &["--format", "jsonl", "--fail-on", "noncompliant"],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");
}

#[test]
fn aws_inventory_payloads_follow_the_spec() {
    let f = Fleet::new();
    let a = bed("host-a").join("root");
    let b = bed("host-b").join("root");
    let manifest = f.manifest(&format!(
        "[[hosts]]\nid = \"i-0123456789abcdef0\"\nsource = \"{}\"\npatch_group = \"web\"\n[[hosts]]\nid = \"db\"\ninstance_id = \"mi-0123456789abcdef0\"\nsource = \"{}\"\n",
        a.display(),
        b.display()
    ));
    let (code, stderr) = f.run(&manifest, &["--format", "aws-inventory,jsonl"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let summaries = f.jsonl("summaries");
    let patches = f.jsonl("patches");
    for id in ["i-0123456789abcdef0", "mi-0123456789abcdef0"] {
        let path = f.path(&format!("out/aws-inventory/{id}.json"));
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["InstanceId"], id);
        let items = doc["Items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        let summary_row = host_rows(&summaries, id)[0];

        let ps = &items[0];
        assert_eq!(ps["TypeName"], "AWS:PatchSummary");
        assert_eq!(ps["SchemaVersion"], "1.0");
        assert!(is_aws_time(ps["CaptureTime"].as_str().unwrap()));
        let content = ps["Content"].as_array().unwrap();
        assert_eq!(content.len(), 1);
        let c = content[0].as_object().unwrap();
        for (k, v) in c {
            assert!(
                PATCH_SUMMARY_FIELDS.contains(&k.as_str()),
                "{id}: unknown field {k}"
            );
            assert!(v.is_string(), "{id}: {k} is not a string: {v}");
        }
        for k in PATCH_SUMMARY_NUMBERS {
            let n: i64 = c[*k].as_str().unwrap().parse().unwrap();
            assert_eq!(n, summary_row[*k].as_i64().unwrap(), "{id} {k}");
        }
        for k in ["OperationStartTime", "OperationEndTime"] {
            assert!(is_aws_time(c[k].as_str().unwrap()), "{k}");
        }
        assert_eq!(c["OperationType"], "Scan");
        assert_eq!(c["BaselineId"], summary_row["BaselineId"]);
        assert_eq!(c["PatchGroup"], summary_row["PatchGroup"]);
        assert_eq!(c["SnapshotId"].as_str().unwrap().len(), 36);
        assert_eq!(
            c.get("NonCompliantSeverity").and_then(Value::as_str),
            summary_row["NonCompliantSeverity"].as_str()
        );

        let ci = &items[1];
        assert_eq!(ci["TypeName"], "AWS:ComplianceItem");
        let ctx = ci["Context"].as_object().unwrap();
        assert_eq!(ctx["ComplianceType"], "Patch");
        assert_eq!(ctx["ExecutionType"], "Command");
        assert_eq!(ctx["ExecutionId"], c["SnapshotId"]);
        assert!(is_aws_time(ctx["ExecutionTime"].as_str().unwrap()));
        let entries = ci["Content"].as_array().unwrap();
        let rows = host_rows(&patches, id);
        assert_eq!(entries.len(), rows.len());
        for (e, row) in entries.iter().zip(rows) {
            let e = e.as_object().unwrap();
            for (k, v) in e {
                assert!(
                    COMPLIANCE_ITEM_FIELDS.contains(&k.as_str()),
                    "unknown field {k}"
                );
                assert!(v.is_string(), "{k} is not a string");
            }
            for k in COMPLIANCE_ITEM_REQUIRED {
                assert!(e.contains_key(*k), "{id}: {k} missing");
            }
            assert_eq!(e["Id"], row["KBId"]);
            assert_eq!(e["PatchState"], row["State"]);
            assert_eq!(e["Severity"], row["ComplianceLevel"]);
            assert_eq!(e["PatchSeverity"], row["Severity"]);
            let state = row["State"].as_str().unwrap();
            let noncompliant = matches!(
                state,
                "Missing" | "Failed" | "InstalledPendingReboot" | "InstalledRejected"
            );
            assert_eq!(
                e["Status"],
                if noncompliant {
                    "NON_COMPLIANT"
                } else {
                    "COMPLIANT"
                }
            );
            if state == "Missing" {
                assert_eq!(e["InstalledTime"], "", "not installed");
            } else {
                assert!(is_aws_time(e["InstalledTime"].as_str().unwrap()));
                assert!(!e.contains_key("CVEIds"), "CVEIds only for Missing/Failed");
            }
        }
        assert!(
            entries.iter().any(|e| e.get("CVEIds").is_some()),
            "{id}: the beds have Missing patches with CVEs"
        );
    }

    // Hosts without a managed-node id: named, nothing scanned.
    let manifest = f.manifest(&format!(
        "[[hosts]]\nid = \"web-1\"\nsource = \"{}\"\n[[hosts]]\nid = \"i-0123456789abcdef0\"\nsource = \"{}\"\n",
        a.display(),
        b.display()
    ));
    let (code, stderr) = f.run(&manifest, &["--format", "aws-inventory"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("web-1 (hosts[0]"), "{stderr}");
    assert!(!stderr.contains("i-0123456789abcdef0 ("), "{stderr}");
}

/// An inventory file from real `dpkg-query -W` on a Debian root's dpkg database.
fn dpkg_inventory(root: &Path, dest: &Path) {
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", root.join("var/lib/dpkg").display()))
        .args([
            "-W",
            "-f=Package: ${Package}\nStatus: ${Status}\nArchitecture: ${Architecture}\nMulti-Arch: ${Multi-Arch}\nSource: ${Source}\nVersion: ${Version}\n\n",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = String::from("#patchscan-inventory 1\n@os-release\n");
    text.push_str(&std::fs::read_to_string(root.join("etc/os-release")).unwrap());
    text.push_str("@dpkg\n");
    text.push_str(&String::from_utf8(out.stdout).unwrap());
    text.push_str("@end\n");
    std::fs::write(dest, text).unwrap();
}

#[test]
fn debian_hosts_from_every_source_kind_agree() {
    if !tool_available("dpkg-query", "dpkg-query", &["--version"])
        || !tool_available("GNU tar", "tar", &["--version"])
    {
        return;
    }
    let f = Fleet::new();
    let bed = common::root().join("repodata-fixtures/apt-beds/debian12");
    let root = bed.join("root");
    gnu_tar(&root, &f.path("deb.tar.zst"), "zstd");
    dpkg_inventory(&root, &f.path("deb.inv"));
    let manifest = f.path("debian.toml");
    std::fs::write(
        &manifest,
        format!(
            "now = \"{}\"\n[[repo_sets]]\nid = \"debian12\"\nrepos = [\"{b}/repos/debian\", \"{b}/repos/debian-security\"]\noperating_systems = [\"DEBIAN\"]\n[[hosts]]\nid = \"root\"\nsource = \"{b}/root\"\n[[hosts]]\nid = \"tar\"\nsource = \"deb.tar.zst\"\n[[hosts]]\nid = \"inv\"\nsource = \"deb.inv\"\n",
            std::fs::read_to_string(bed.join("NOW")).unwrap().trim(),
            b = bed.display()
        ),
    )
    .unwrap();
    let (code, stderr) = f.run(&manifest, &["--format", "jsonl"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let summaries = f.jsonl("summaries");
    let patches = f.jsonl("patches");
    // Install times come from dpkg's info/*.list mtimes: a root directory's files, an
    // archive's tar headers; an inventory has none.
    let whole = |rows: Vec<&Value>| -> Vec<Value> { rows.into_iter().map(verdict).collect() };
    let want_whole = whole(host_rows(&patches, "root"));
    assert!(
        want_whole.iter().any(|r| r["InstalledTime"]
            .as_str()
            .is_some_and(|t| !t.starts_with("1970"))),
        "the bed's installed packages have install times"
    );
    assert_eq!(
        whole(host_rows(&patches, "tar")),
        want_whole,
        "tar install times"
    );
    let strip = |rows: Vec<&Value>| -> Vec<Value> {
        rows.into_iter()
            .map(|r| {
                let mut r = verdict(r);
                r.as_object_mut().unwrap().remove("InstalledTime");
                r
            })
            .collect()
    };
    let want_s = strip(host_rows(&summaries, "root"));
    let want_p = strip(host_rows(&patches, "root"));
    assert!(want_s[0]["MissingCount"].as_i64().unwrap() > 3);
    for id in ["tar", "inv"] {
        assert_eq!(strip(host_rows(&summaries, id)), want_s, "{id}");
        assert_eq!(strip(host_rows(&patches, id)), want_p, "{id}");
    }
}

/// `fleet --include-not-applicable` lists the NotApplicable patches the shared verdict tables
/// judged (the `Shared { list: true }` path), as `scan --include-not-applicable` lists them for
/// the same host, row for row; without it they are counted only.
#[test]
fn not_applicable_patches_are_listed_on_request_as_scan_lists_them() {
    let f = Fleet::new();
    let hosts = format!(
        "[[hosts]]\nid = \"a\"\nsource = \"{}\"\n[[hosts]]\nid = \"b\"\nsource = \"{}\"\n",
        bed("host-a").join("root").display(),
        bed("host-b").join("root").display()
    );
    let manifest = f.manifest(&hosts);
    let (code, stderr) = f.run(&manifest, &["--format", "jsonl"], &[]);
    assert_eq!(code, 0, "{stderr}");
    let counted = f.jsonl("patches");
    let (code, stderr) = f.run(
        &manifest,
        &["--format", "jsonl", "--include-not-applicable"],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    let listed = f.jsonl("patches");
    let summaries = f.jsonl("summaries");
    for (id, host) in [("a", "host-a"), ("b", "host-b")] {
        let scan = common::beds::scan_bed_with(&bed(host), None, &["--include-not-applicable"]);
        let want: Vec<(String, String)> = scan["Patches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["Title"].as_str().unwrap().to_string(),
                    p["State"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let got: Vec<(String, String)> = host_rows(&listed, id)
            .iter()
            .map(|r| {
                (
                    r["Title"].as_str().unwrap().to_string(),
                    r["State"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(got, want, "{id}");
        let na = got.iter().filter(|(_, s)| s == "NotApplicable").count();
        assert!(na > 0, "{id}: some NotApplicable rows");
        assert_eq!(
            host_rows(&summaries, id)[0]["NotApplicableCount"].as_u64(),
            Some(na as u64),
            "{id}"
        );
        let without = host_rows(&counted, id);
        assert!(without.iter().all(|r| r["State"] != "NotApplicable"));
        assert_eq!(without.len() + na, got.len(), "{id}");
    }
}

/// A failed host's record keeps the error as its layer gave it (the fleet had only its text):
/// a missing root is the host source's error, a manifest without a set for the host's
/// operating system the fleet's own, each telling its case apart by type.
#[test]
fn failed_hosts_keep_their_typed_errors() {
    use patchscan::fleet::run::{run, Failure, RunOptions};
    use patchscan::host::source::SourceError;
    use patchscan::report::fleet::{FleetHost, FleetSink, ReportError};
    use std::sync::{Arc, Mutex};

    struct Keep(Arc<Mutex<Vec<FleetHost>>>);
    impl FleetSink for Keep {
        fn write(&mut self, batch: &[FleetHost]) -> Result<(), ReportError> {
            self.0.lock().unwrap().extend(batch.iter().cloned());
            Ok(())
        }
        fn finish(&mut self) -> Result<Vec<std::path::PathBuf>, ReportError> {
            Ok(Vec::new())
        }
    }
    let f = Fleet::new();
    let deb = common::root().join("repodata-fixtures/apt-beds/debian12/root");
    let path = f.manifest(&format!(
        "[[hosts]]\nid = \"gone\"\nsource = \"{}\"\n[[hosts]]\nid = \"deb\"\nsource = \"{}\"\n",
        f.path("no-such-root").display(),
        deb.display()
    ));
    let manifest = patchscan::fleet::manifest::Manifest::load(&path).unwrap();
    let kept = Arc::new(Mutex::new(Vec::new()));
    let opts = RunOptions {
        jobs: 1,
        now: 1_764_000_000,
        ..Default::default()
    };
    let summary = run(&manifest, &opts, vec![Box::new(Keep(kept.clone()))]).unwrap();
    assert_eq!(summary.failed, 2);
    let hosts = kept.lock().unwrap();
    let error = |id: &str| {
        hosts
            .iter()
            .find(|h| h.host_id == id)
            .unwrap()
            .outcome
            .as_ref()
            .unwrap_err()
            .clone()
    };
    let gone = error("gone");
    assert!(gone.downcast_ref::<SourceError>().is_some(), "{gone:?}");
    assert!(gone.to_string().contains("no-such-root"), "{gone}");
    // The manifest's repository sets are for Amazon Linux and RHEL only.
    let deb = error("deb");
    assert!(
        matches!(deb.downcast_ref::<Failure>(), Some(Failure::Manifest(_))),
        "{deb:?}"
    );
}
