//! `patchscan baseline validate|show` on valid and broken baselines, through the binary.

mod common;

use common::{fixture, run};

fn validate_text(name: &str, json: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, json).unwrap();
    let out = run(&["baseline", "validate", path.to_str().unwrap()], None);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn valid_shapes_validate() {
    for f in [
        "get-output-custom.json",
        "create-input.json",
        "baseline-override.json",
    ] {
        let path = fixture(&format!("baselines/{f}"));
        let out = run(&["baseline", "validate", path.to_str().unwrap()], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{f}: {stderr}");
        assert!(stderr.contains("valid"), "{f}: {stderr}");
        assert!(!stderr.contains("error:"), "{f}: {stderr}");
    }
}

#[test]
fn every_predefined_baseline_file_validates() {
    let dir = common::root().join("baselines");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let out = run(&["baseline", "validate", path.to_str().unwrap()], None);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            n += 1;
        }
    }
    assert_eq!(n, 13);
}

const RULE_OK: &str = r#"{"PatchFilterGroup":{"PatchFilters":[{"Key":"CLASSIFICATION","Values":["Security"]}]},"ApproveAfterDays":7}"#;

fn al2023(extra: &str) -> String {
    format!(r#"{{"Name":"broken-one","OperatingSystem":"AMAZON_LINUX_2023",{extra}}}"#)
}

#[test]
fn broken_baselines_name_the_field() {
    let many_rules = format!(
        r#""ApprovalRules":{{"PatchRules":[{}]}}"#,
        [RULE_OK; 11].join(",")
    );
    let many_filters = r#""GlobalFilters":{"PatchFilters":[{"Key":"PRODUCT","Values":["*"]},{"Key":"PRODUCT","Values":["*"]},{"Key":"CLASSIFICATION","Values":["*"]},{"Key":"SEVERITY","Values":["*"]},{"Key":"SEVERITY","Values":["Low"]}]}"#;
    let many_values = format!(
        r#""GlobalFilters":{{"PatchFilters":[{{"Key":"PRODUCT","Values":[{}]}}]}}"#,
        (0..21)
            .map(|i| format!("\"P{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let many_patches = format!(
        r#""ApprovedPatches":[{}]"#,
        (0..51)
            .map(|i| format!("\"pkg{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let rule = |body: &str| {
        format!(
            r#""ApprovalRules":{{"PatchRules":[{{"PatchFilterGroup":{{"PatchFilters":[{{"Key":"CLASSIFICATION","Values":["Security"]}}]}},{body}}}]}}"#
        )
    };
    let cases: Vec<(String, String, &str, &str)> = vec![
        (al2023(r#""ApprovalRulez":{}"#), "misspelt field".into(), "ApprovalRulez", "did you mean `ApprovalRules`"),
        (al2023(&rule(r#""ApproveAfterDays":361"#)), "days > 360".into(), "ApprovalRules.PatchRules[0].ApproveAfterDays", "outside 0–360"),
        (al2023(&rule(r#""ApproveAfterDays":-1"#)), "days < 0".into(), "ApprovalRules.PatchRules[0].ApproveAfterDays", "outside 0–360"),
        (al2023(&rule(r#""ApproveAfterDays":7,"ApproveUntilDate":"2025-01-01""#)), "both".into(), "ApprovalRules.PatchRules[0]", "both ApproveAfterDays and ApproveUntilDate"),
        (al2023(&rule(r#""EnableNonSecurity":true"#)), "neither".into(), "ApprovalRules.PatchRules[0]", "needs ApproveAfterDays or ApproveUntilDate"),
        (al2023(&rule(r#""ApproveUntilDate":"2025-02-30""#)), "bad date".into(), "ApprovalRules.PatchRules[0].ApproveUntilDate", "YYYY-MM-DD"),
        (al2023(&rule(r#""ApproveUntilDate":"01/02/2025""#)), "bad date form".into(), "ApprovalRules.PatchRules[0].ApproveUntilDate", "YYYY-MM-DD"),
        (al2023(r#""GlobalFilters":{"PatchFilters":[{"Key":"PRIORITY","Values":["Required"]}]}"#), "key for other OS".into(), "GlobalFilters.PatchFilters[0].Key", "not a valid filter key for AMAZON_LINUX_2023"),
        (al2023(r#""GlobalFilters":{"PatchFilters":[{"Key":"COLOUR","Values":["red"]}]}"#), "unknown key".into(), "GlobalFilters.PatchFilters[0].Key", "unknown filter key"),
        (al2023(&many_rules), "11 rules".into(), "ApprovalRules.PatchRules", "at most 10"),
        (al2023(many_filters), "5 filters".into(), "GlobalFilters.PatchFilters", "at most 4"),
        (al2023(&many_values), "21 values".into(), "GlobalFilters.PatchFilters[0].Values", "1–20"),
        (al2023(&many_patches), "51 approved".into(), "ApprovedPatches", "at most 50"),
        (al2023(r#""RejectedPatchesAction":"DENY""#), "unknown action".into(), "RejectedPatchesAction", "unknown action"),
        (al2023(r#""ApprovedPatchesComplianceLevel":"SEVERE""#), "unknown level".into(), "ApprovedPatchesComplianceLevel", "unknown compliance level"),
        (r#"{"Name":"broken-one","OperatingSystem":"AMAZON_LINUX_2024"}"#.into(), "unknown OS".into(), "OperatingSystem", "unknown operating system"),
        (al2023(r#""Name2":"x""#), "unknown field".into(), "Name2", "unknown field"),
        (r#"{"Name":"x","OperatingSystem":"SUSE"}"#.into(), "short name".into(), "Name", "outside 3–128"),
        (r#"{"Name":"bad name!","OperatingSystem":"SUSE"}"#.into(), "name charset".into(), "Name", "does not allow"),
        (r#"{"OperatingSystem":"SUSE"}"#.into(), "missing name".into(), "Name", "is required"),
        (al2023(r#""ApprovalRules":{"PatchRules":[{"ApproveAfterDays":"7"}]}"#), "wrong type".into(), "ApprovalRules.PatchRules[0].ApproveAfterDays", "invalid type"),
        (al2023(r#""ApprovalRules":{"PatchRules":[{"ApproveAfterDays":7}]}"#), "no filter group".into(), "ApprovalRules.PatchRules[0].PatchFilterGroup", "is required"),
        (al2023(r#""GlobalFilters":{"PatchFilters":[{"Key":"PRODUCT","Values":[]}]}"#), "no values".into(), "GlobalFilters.PatchFilters[0].Values", "1–20"),
        (al2023(r#""ApprovedPatches":["dbus-["]"#), "bad wildcard".into(), "ApprovedPatches[0]", "not a valid wildcard"),
        (r#"[{"OperatingSystem":"DEBIAN"},{"OperatingSystem":"DEBIAN"}]"#.into(), "override twice".into(), "OperatingSystem", "already has a baseline"),
        (r#"[{"OperatingSystem":"DEBIAN"},{"OperatingSystem":"SUSE","RejectedPatchAction":"BLOCK"}]"#.into(), "override field".into(), "[1].RejectedPatchAction", "did you mean `RejectedPatchesAction`"),
    ];
    for (json, what, field, message) in cases {
        let (code, stderr) = validate_text("b.json", &json);
        assert_eq!(code, 1, "{what}: expected invalid; stderr: {stderr}");
        let line = stderr.lines().find(|l| {
            l.contains("error:") && l.contains(&format!(" {field}:")) && l.contains(message)
        });
        assert!(
            line.is_some(),
            "{what}: no error naming {field} with {message:?} in:\n{stderr}"
        );
        assert!(
            stderr.contains("b.json"),
            "{what}: the file is not named:\n{stderr}"
        );
    }
}

#[test]
fn warnings_do_not_fail_validation() {
    let cases = [
        (
            r#"{"Name":"deb-b","OperatingSystem":"DEBIAN","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRIORITY","Values":["Required"]}]},"ApproveAfterDays":7}]}}"#,
            "ApproveAfterDays: is ignored on DEBIAN",
        ),
        (
            r#"{"Name":"al-rej","OperatingSystem":"AMAZON_LINUX_2","RejectedPatches":["ALAS2-2021-1594"]}"#,
            "rejected lists take package names only",
        ),
        (
            r#"{"Name":"al-sev","OperatingSystem":"AMAZON_LINUX_2","GlobalFilters":{"PatchFilters":[{"Key":"SEVERITY","Values":["Critcal"]}]}}"#,
            "will likely match nothing",
        ),
        (
            r#"{"Name":"win-b","OperatingSystem":"WINDOWS"}"#,
            "evaluates Linux baselines only",
        ),
    ];
    for (json, warning) in cases {
        let (code, stderr) = validate_text("w.json", json);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("warning:") && stderr.contains(warning),
            "{warning:?} not in {stderr}"
        );
    }
}

#[test]
fn unreadable_input_is_exit_2() {
    let (code, stderr) = validate_text("x.json", "not json");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("x.json") && stderr.contains("not valid JSON"),
        "{stderr}"
    );
    let out = run(&["baseline", "validate", "/nonexistent/b.json"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/b.json"));
    let out = run(&["baseline", "validate"], None);
    assert_eq!(out.status.code(), Some(2), "no files is a usage error");
    let out = run(&["baseline", "show", "AWS-NoSuchBaseline"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AWS-AmazonLinux2023DefaultPatchBaseline")
    );
}

#[test]
fn show_normalises_and_round_trips() {
    let path = fixture("baselines/create-input.json");
    let out = run(&["baseline", "show", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Defaults filled in as AWS reports them.
    assert_eq!(v["RejectedPatchesAction"], "ALLOW_AS_DEPENDENCY");
    assert_eq!(v["ApprovedPatchesComplianceLevel"], "UNSPECIFIED");
    assert_eq!(
        v["ApprovalRules"]["PatchRules"][0]["ComplianceLevel"],
        "UNSPECIFIED"
    );
    assert_eq!(
        v["ApprovalRules"]["PatchRules"][0]["EnableNonSecurity"],
        false
    );
    assert_eq!(v["GlobalFilters"]["PatchFilters"], serde_json::json!([]));
    // The normalised output is itself a valid baseline.
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again.json");
    std::fs::write(&again, &out.stdout).unwrap();
    let out2 = run(&["baseline", "validate", again.to_str().unwrap()], None);
    assert_eq!(
        out2.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out2.stderr)
    );
}

#[test]
fn show_predefined_by_name_as_table() {
    let out = run(
        &[
            "baseline",
            "show",
            "AWS-AmazonLinux2023DefaultPatchBaseline",
            "--format",
            "table",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("AMAZON_LINUX_2023"), "{text}");
    assert!(
        text.contains("CLASSIFICATION in [Security] AND SEVERITY in [Critical, Important]"),
        "{text}"
    );
    assert!(text.contains("7 days after release"), "{text}");
    let out = run(
        &[
            "baseline",
            "show",
            "AWS-AmazonLinux2023DefaultPatchBaseline",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["BaselineId"],
        "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-05c9c9bf778d4c4d0"
    );
}

#[test]
fn override_array_shows_every_element() {
    let path = fixture("baselines/baseline-override.json");
    let out = run(&["baseline", "show", path.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let oses: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["OperatingSystem"].clone())
        .collect();
    assert_eq!(oses, ["CENTOS", "DEBIAN"]);
}

#[test]
fn help_documents_exit_codes() {
    for args in [
        vec!["--help"],
        vec!["vercmp", "--help"],
        vec!["baseline", "validate", "--help"],
    ] {
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Exit codes") || text.contains("Exit 0"),
            "{args:?}: {text}"
        );
    }
}
