//! `scan`'s output contract on the beds: table and --explain, --fail-on, --instance-id,
//! stale-metadata warnings.

mod common;

use common::{root, run};

fn bed_args(extra: &[&str]) -> Vec<String> {
    let bed = root().join("repodata-fixtures/beds/host-a");
    let mut args: Vec<String> = vec![
        "scan".into(),
        "--root".into(),
        bed.join("root").display().to_string(),
        "--repo".into(),
        bed.join("repos/amazonlinux").display().to_string(),
        "--repo".into(),
        bed.join("repos/extras-sqlite").display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn scan(extra: &[&str]) -> std::process::Output {
    let args = bed_args(extra);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&argv, None)
}

#[test]
fn table_lists_non_compliant_first_and_explains() {
    let out = scan(&["--now", "2025-06-01T12:00:00Z", "--explain"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let summary = lines.next().unwrap();
    assert!(
        summary.contains("NON_COMPLIANT (INFORMATIONAL)") && summary.contains("missing "),
        "{summary}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("STATE") && header.ends_with("REASON"),
        "{header}"
    );
    let states: Vec<&str> = lines.filter_map(|l| l.split_whitespace().next()).collect();
    let first_other = states.iter().position(|s| *s == "InstalledOther").unwrap();
    assert!(
        states[..first_other].iter().all(|s| *s == "Missing"),
        "{states:?}"
    );
    assert!(
        text.contains("approved by rule 0 (ALAS2023-2025-001; Updated"),
        "{text}"
    );
}

#[test]
fn fail_on_noncompliant_and_instance_id() {
    let out = scan(&[
        "--now",
        "2025-06-01T12:00:00Z",
        "--fail-on",
        "noncompliant",
        "--format",
        "json",
        "--instance-id",
        "i-0123456789abcdef0",
        "--patch-group",
        "web",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "non-compliant host with --fail-on: exit 1"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["PatchState"]["InstanceId"], "i-0123456789abcdef0");
    assert_eq!(v["PatchState"]["PatchGroup"], "web");
    // Compliant: a baseline approving nothing.
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("none.json");
    std::fs::write(
        &b,
        r#"{"Name":"approve-nothing","OperatingSystem":"AMAZON_LINUX_2023"}"#,
    )
    .unwrap();
    let out = scan(&[
        "--now",
        "2025-06-01T12:00:00Z",
        "--fail-on",
        "noncompliant",
        "--baseline",
        b.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("COMPLIANT"));
}

#[test]
fn stale_metadata_is_a_warning() {
    let fresh = scan(&["--now", "2025-06-01T12:00:00Z", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert!(
        !v["Warnings"].to_string().contains("older than"),
        "{}",
        v["Warnings"]
    );
    let late = scan(&[
        "--now",
        "2025-09-01T00:00:00Z",
        "--format",
        "json",
        "--max-metadata-age",
        "30",
    ]);
    assert_eq!(late.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&late.stdout).unwrap();
    let w = v["Warnings"].to_string();
    assert!(
        w.contains("amazonlinux") && w.contains("older than 30 days"),
        "{w}"
    );
    assert!(String::from_utf8_lossy(&late.stderr).contains("warning:"));
}

#[test]
fn bad_time_and_os_are_usage_errors() {
    let out = scan(&["--now", "next tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    let out = scan(&["--os", "GENTOO"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AMAZON_LINUX_2023"));
}

/// `--fail-on` thresholds: a security-only baseline at compliance level HIGH leaves 27
/// security patches Missing (NonCompliantSeverity HIGH); a bugfix-only one 5 non-security
/// ones. `critical` is not met by HIGH, `high` and `low` are; `security` only by the first.
#[test]
fn fail_on_takes_a_compliance_level_or_security() {
    let dir = tempfile::tempdir().unwrap();
    for (class, security_missing, cases) in [
        (
            "Security",
            27,
            [
                ("noncompliant", 1),
                ("security", 1),
                ("critical", 0),
                ("high", 1),
                ("medium", 1),
                ("low", 1),
                ("informational", 1),
            ],
        ),
        (
            "Bugfix",
            0,
            [
                ("noncompliant", 1),
                ("security", 0),
                ("critical", 0),
                ("high", 1),
                ("medium", 1),
                ("low", 1),
                ("informational", 1),
            ],
        ),
    ] {
        let b = dir.path().join(format!("{class}.json"));
        std::fs::write(
            &b,
            format!(
                r#"{{"Name":"only-{class}","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{{"PatchRules":[{{"PatchFilterGroup":{{"PatchFilters":[{{"Key":"CLASSIFICATION","Values":["{class}"]}}]}},"ApproveAfterDays":0,"ComplianceLevel":"HIGH","EnableNonSecurity":true}}]}}}}"#
            ),
        )
        .unwrap();
        let base = [
            "--now",
            "2025-06-01T12:00:00Z",
            "--baseline",
            b.to_str().unwrap(),
        ];
        let out = scan(&[&base[..], &["--format", "json"]].concat());
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["PatchState"]["NonCompliantSeverity"], "HIGH", "{class}");
        assert_eq!(
            v["PatchState"]["SecurityNonCompliantCount"], security_missing,
            "{class}"
        );
        for (threshold, code) in cases {
            let out = scan(&[&base[..], &["--fail-on", threshold]].concat());
            assert_eq!(
                out.status.code(),
                Some(code),
                "{class} --fail-on {threshold}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Results on stdout, warnings on stderr, in every format (the table put its warnings on
/// stdout); `-q` leaves only errors, `-v` adds a note of what was read; `--color` decides the
/// table's colours whatever the terminal, and NO_COLOR turns `auto` off.
#[test]
fn stdout_has_results_stderr_the_rest_and_q_v_color_decide_it() {
    // 2026: the bed's metadata (2025-06-01) is stale, so every scan warns.
    let late = ["--now", "2026-06-01T00:00:00Z"];
    for format in ["table", "json", "aws"] {
        let out = scan(&[&late[..], &["--format", format]].concat());
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(
            stderr.contains("warning:") && stderr.contains("older than 30 days"),
            "{format}: {stderr}"
        );
        // (patchscan's own JSON keeps them as data too, in its `Warnings` field.)
        assert!(
            !stdout.contains("warning:"),
            "{format}: a warning on stdout"
        );
        let quiet = scan(&[&late[..], &["--format", format, "-q"]].concat());
        assert!(
            quiet.stderr.is_empty(),
            "{format} -q: {}",
            String::from_utf8_lossy(&quiet.stderr)
        );
        assert_eq!(quiet.stdout, out.stdout, "{format}: -q changes only stderr");
    }
    let verbose = scan(&[&late[..], &["-v"]].concat());
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        stderr.contains("installed,") && stderr.contains(" ms"),
        "{stderr}"
    );
    // An error is still said with -q.
    let failed = run(&["scan", "-q", "--root", "/no/such/root"], None);
    assert_eq!(failed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("/no/such/root"));

    let ansi = |extra: &[&str], env: Option<(&str, &str)>| {
        let args = bed_args(&[&late[..], extra].concat());
        let mut cmd = common::patchscan();
        cmd.args(&args);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        cmd.output().unwrap().stdout.contains(&0x1b)
    };
    assert!(ansi(&["--color", "always"], None));
    assert!(
        ansi(&["--color=always"], Some(("NO_COLOR", "1"))),
        "always wins over NO_COLOR"
    );
    assert!(!ansi(&["--color", "never"], None));
    assert!(!ansi(&[], Some(("NO_COLOR", "1"))));
}
