//! `scan --format aws` and `--format aws-patches` against AWS itself: the member tables equal
//! the SSM service model (botocore's description, extract in tests/data/aws), the renderer
//! prints what the real AWS CLI v2 printed for recorded responses byte for byte
//! (tests/data/aws/cli-v2, made by tests/oracles/aws/record_cli.py), and a scan's output
//! follows the model: members, order, required members, types and enum values.

mod common;

use std::path::{Path, PathBuf};

use patchscan::report::aws_cli::{self, Kind, INSTANCE_PATCH_STATE, PATCH_COMPLIANCE_DATA};

use common::beds::{bed, scan_argv};
use common::{root, run};

fn aws_data() -> PathBuf {
    root().join("tests/data/aws")
}

fn model() -> serde_json::Value {
    let text = std::fs::read_to_string(aws_data().join("ssm-patch-shapes.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// (member, kind) of a structure shape, in model order; and its required members.
fn shape(model: &serde_json::Value, name: &str) -> (Vec<(String, Kind)>, Vec<String>) {
    let shapes = &model["shapes"];
    let s = &shapes[name];
    let members = model_member_order(name)
        .into_iter()
        .map(|m| {
            let v = &s["members"][&m];
            let kind = match shapes[v["shape"].as_str().unwrap()]["type"]
                .as_str()
                .unwrap()
            {
                "string" => Kind::String,
                "integer" | "long" => Kind::Integer,
                "timestamp" => Kind::Timestamp,
                other => panic!("{name}.{m}: type {other}"),
            };
            (m.clone(), kind)
        })
        .collect();
    let required = s["required"]
        .as_array()
        .map(|r| r.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (members, required)
}

/// A shape's member names in the model file's order (serde_json's map sorts them): the
/// 8-space-indented keys of its `"members"` object in the extract (4-space JSON).
fn model_member_order(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(aws_data().join("ssm-patch-shapes.json")).unwrap();
    let start = text.find(&format!("\n    \"{name}\": {{")).expect("shape");
    let members = start + text[start..].find("\"members\": {").expect("members");
    let end = members + text[members..].find("\n      }").expect("end of members");
    text[members..end]
        .lines()
        .filter_map(|l| {
            l.strip_prefix("        \"")?
                .split_once("\": {")
                .map(|(k, _)| k.to_string())
        })
        .collect()
}

fn enum_values(model: &serde_json::Value, name: &str) -> Vec<String> {
    model["shapes"][name]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn member_tables_are_the_service_model_s() {
    let m = model();
    for (name, table) in [
        ("InstancePatchState", INSTANCE_PATCH_STATE),
        ("PatchComplianceData", PATCH_COMPLIANCE_DATA),
    ] {
        let (members, _) = shape(&m, name);
        let ours: Vec<(String, Kind)> = table.iter().map(|&(n, k)| (n.to_string(), k)).collect();
        assert_eq!(ours, members, "{name}");
    }
    // Every state patchscan reports has its API spelling in the model's enum.
    let states = enum_values(&m, "PatchComplianceDataState");
    for s in patchscan::engine::decision::PatchState::ALL {
        assert!(
            states.contains(&aws_cli::state_name(s).to_string()),
            "{s:?}"
        );
    }
    assert!(enum_values(&m, "RebootOption").contains(&aws_cli::SCAN_REBOOT_OPTION.to_string()));
}

/// The recorded response of a case: `response.json`, or pages whose lists are concatenated
/// (the CLI merges them).
fn response(case: &Path) -> serde_json::Value {
    let single = case.join("response.json");
    if single.is_file() {
        return serde_json::from_str(&std::fs::read_to_string(single).unwrap()).unwrap();
    }
    let mut merged: Option<serde_json::Value> = None;
    for page in 1.. {
        let p = case.join(format!("response.page{page}.json"));
        if !p.is_file() {
            break;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        match &mut merged {
            None => merged = Some(v),
            Some(m) => {
                for list in ["InstancePatchStates", "Patches"] {
                    if let Some(more) = v[list].as_array() {
                        m[list].as_array_mut().unwrap().extend(more.iter().cloned());
                    }
                }
            }
        }
    }
    merged.expect("a response")
}

#[test]
fn rendering_equals_the_real_aws_cli_v2_byte_for_byte() {
    let mut compared = 0;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(aws_data().join("cli-v2"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        // Other zones, the wire format and the CLI's own paging tokens are the CLI's options,
        // not shapes patchscan prints.
        if [
            "America",
            "Kolkata",
            "wire-format",
            "max-items",
            "no-paginate",
        ]
        .iter()
        .any(|s| name.contains(s))
        {
            continue;
        }
        let resp = response(&case);
        // Integers past 64 bits (a case of the recording) are beyond any count patchscan has.
        let raw: String = std::fs::read_dir(&case)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("response")
            })
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        if raw.contains("18446744073709551616") {
            continue;
        }
        let want = std::fs::read_to_string(case.join("stdout.json")).unwrap();
        let got = aws_cli::render_response(&resp).unwrap_or_default();
        // An empty result (`{}` or a null list) prints nothing, as the CLI does.
        let got = if resp
            .as_object()
            .is_some_and(|o| o.values().all(|v| v.is_null()))
        {
            String::new()
        } else {
            got
        };
        assert_eq!(got, want, "{name}");
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} cases compared");
}

fn scan_text(extra: &[&str]) -> String {
    let args = scan_argv(&bed("host-a"), extra);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&argv, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Members of `object` are known to `shape`, with the required ones present and each of its
/// kind.
fn follows(
    object: &serde_json::Map<String, serde_json::Value>,
    shape: &[(String, Kind)],
    required: &[String],
) {
    // (The order is held by re-rendering the output: `render_response` prints members in
    // the tables' order, which is the model's.)
    for k in object.keys() {
        assert!(shape.iter().any(|(n, _)| n == k), "{k} is not in the model");
    }
    for r in required {
        assert!(object.contains_key(r), "required {r} missing");
    }
    let iso =
        |s: &str| s.len() == 25 && &s[4..5] == "-" && &s[10..11] == "T" && s.ends_with("+00:00");
    for (k, v) in object {
        let kind = shape.iter().find(|(n, _)| n == k).unwrap().1;
        match kind {
            Kind::String => assert!(v.is_string(), "{k}: {v}"),
            Kind::Integer => assert!(v.is_u64(), "{k}: {v}"),
            Kind::Timestamp => assert!(v.as_str().is_some_and(iso), "{k}: {v}"),
        }
    }
}

#[test]
fn scan_format_aws_follows_the_model() {
    let m = model();
    let (state_shape, state_required) = shape(&m, "InstancePatchState");
    let (patch_shape, patch_required) = shape(&m, "PatchComplianceData");
    let own: serde_json::Value = serde_json::from_str(&scan_text(&["--format", "json"])).unwrap();

    let text = scan_text(&["--format", "aws"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["InstancePatchStates"]
    );
    let states = v["InstancePatchStates"].as_array().unwrap();
    assert_eq!(states.len(), 1);
    let s = states[0].as_object().unwrap();
    follows(s, &state_shape, &state_required);
    assert!(enum_values(&m, "PatchOperationType")
        .contains(&s["Operation"].as_str().unwrap().to_string()));
    for count in [
        "InstalledCount",
        "InstalledOtherCount",
        "MissingCount",
        "NotApplicableCount",
    ] {
        assert_eq!(s[count], own["PatchState"][count], "{count}");
    }
    assert_eq!(s["OperationStartTime"], "2025-06-01T12:00:00+00:00");
    // The predefined default baseline carries its AWS id; the snapshot id is a UUID.
    assert!(
        s["BaselineId"]
            .as_str()
            .unwrap()
            .ends_with("pb-05c9c9bf778d4c4d0"),
        "{}",
        s["BaselineId"]
    );
    let snap = s["SnapshotId"].as_str().unwrap();
    assert_eq!(snap.len(), 36);
    assert_eq!(snap, own["PatchState"]["SnapshotId"]);
    // What we print is what the CLI would print for that response.
    assert_eq!(aws_cli::render_response(&v).unwrap(), text);

    let text = scan_text(&["--format", "aws-patches"]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let patches = v["Patches"].as_array().unwrap();
    assert_eq!(patches.len(), own["Patches"].as_array().unwrap().len());
    let states = enum_values(&m, "PatchComplianceDataState");
    let mut with_cves = 0;
    for p in patches {
        let o = p.as_object().unwrap();
        follows(o, &patch_shape, &patch_required);
        assert!(states.contains(&o["State"].as_str().unwrap().to_string()));
        // AWS omits CVEIds where a patch has none (never "").
        if let Some(c) = o.get("CVEIds") {
            assert!(c.as_str().unwrap().starts_with("CVE-"), "{c}");
            with_cves += 1;
        }
    }
    assert!(with_cves >= 1);
    assert!(patches.iter().any(|p| p["State"] == "MISSING"));
    assert_eq!(aws_cli::render_response(&v).unwrap(), text);
}

#[test]
fn a_baseline_without_an_id_gets_a_stable_synthetic_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.json");
    let id_of = |json: &str| {
        std::fs::write(&file, json).unwrap();
        let text = scan_text(&["--format", "aws", "--baseline", file.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["InstancePatchStates"][0]["BaselineId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let a = r#"{"Name":"mine","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":7}]}}"#;
    let id = id_of(a);
    assert!(
        id.len() == 20 && id.starts_with("pb-") && id[3..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(id_of(a), id, "stable");
    assert_ne!(
        id_of(&a.replace("7}", "8}")),
        id,
        "another baseline, another id"
    );
}
