//! Machine images as they are stored: disk images built by
//! repodata-fixtures/scripts/make-images.sh from the beds' real roots (real rpmdb and dpkg
//! status) with the real tools (mkfs.ext4 -d, mkfs.xfs with a protofile, sfdisk and fdisk on
//! plain files, dd), without root or mounting. Each image scans exactly as the tree it was
//! made from; the readers agree with debugfs and xfs_db on the same file systems; each
//! damaged input is an error naming the image, the layer and what is wrong.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{patchscan, root};

const NOW: &str = "2025-06-01T12:00:00Z";

/// The image beds, built once per test run; `None` (skip) when the tools are missing and
/// not required.
fn beds() -> Option<&'static Path> {
    static BEDS: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    BEDS.get_or_init(|| {
        for (tool, probe) in [
            ("mkfs.xfs", "-V"),
            ("mkfs.ext4", "-V"),
            ("sfdisk", "--version"),
            ("fdisk", "--version"),
            ("faketime", "--version"),
            ("debugfs", "-V"),
            ("xfs_db", "-V"),
        ] {
            if !common::tool_available(tool, tool, &[probe]) {
                return None;
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(root().join("repodata-fixtures/scripts/make-images.sh"))
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "make-images.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(dir)
    })
    .as_ref()
    .map(|d| d.path())
}

fn run(args: &[&str]) -> std::process::Output {
    patchscan().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The repositories of the bed a tree came from.
fn repos(tree: &str) -> Vec<PathBuf> {
    if tree.starts_with("deb") {
        let d = root().join("repodata-fixtures/apt-beds/debian12/repos");
        vec![d.join("debian"), d.join("debian-security")]
    } else {
        let d = root().join("repodata-fixtures/beds/host-a/repos");
        vec![d.join("amazonlinux"), d.join("extras-sqlite")]
    }
}

/// `scan` of a source (`--root DIR` or `--image FILE`) in a format, with fixed identity.
fn scan(
    source: &[&str],
    tree: &str,
    format: &str,
    baseline: Option<&Path>,
) -> std::process::Output {
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(source.iter().map(|s| s.to_string()));
    for r in repos(tree) {
        args.push("--repo".into());
        args.push(r.display().to_string());
    }
    args.extend(
        [
            "--now",
            NOW,
            "--instance-id",
            "i-0image",
            "--format",
            format,
        ]
        .map(String::from),
    );
    if let Some(b) = baseline {
        args.push("--baseline".into());
        args.push(b.display().to_string());
    }
    patchscan().args(&args).output().unwrap()
}

/// Every layout and the tree it holds.
const LAYOUTS: &[(&str, &str)] = &[
    ("gpt-xfs.raw", "rpm"),
    ("gpt-xfs-4k.raw", "rpm"),
    ("gpt-ext4-rpm.raw", "rpm"),
    ("gpt-ext4-deb.raw", "deb"),
    ("mbr-logical.raw", "rpm"),
    ("bare-ext4.img", "rpm"),
    ("bare-xfs.img", "deb"),
    ("var-split.raw", "rpm-split"),
];

/// Each image gives byte for byte the scan its tree gives, in JSON and the table, with AWS's
/// default baseline and with one approving everything; and the same inventory.
#[test]
fn every_layout_scans_as_the_tree_it_was_made_from() {
    let Some(beds) = beds() else { return };
    let work = tempfile::tempdir().unwrap();
    for &(image, tree) in LAYOUTS {
        let (os, rule) = if tree.starts_with("deb") {
            (
                "DEBIAN",
                r#"{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["*"]}]},"EnableNonSecurity":true}"#,
            )
        } else {
            (
                "AMAZON_LINUX_2023",
                r#"{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0,"EnableNonSecurity":true}"#,
            )
        };
        let approve_all = work.path().join(format!("{os}.json"));
        std::fs::write(
            &approve_all,
            format!(r#"{{"Name":"approve-all","OperatingSystem":"{os}","ApprovalRules":{{"PatchRules":[{rule}]}}}}"#),
        )
        .unwrap();
        let img = beds.join("images").join(image);
        let dir = beds.join("trees").join(tree);
        let (img, dir) = (img.to_str().unwrap(), dir.to_str().unwrap());
        for format in ["json", "table"] {
            for baseline in [None, Some(approve_all.as_path())] {
                let want = scan(&["--root", dir], tree, format, baseline);
                let got = scan(&["--image", img], tree, format, baseline);
                assert!(want.status.success(), "{tree}: {}", text(&want.stderr));
                assert_eq!(
                    got.status.code(),
                    want.status.code(),
                    "{image}: {}",
                    text(&got.stderr)
                );
                assert_eq!(
                    text(&got.stdout),
                    text(&want.stdout),
                    "{image} ({format}, {baseline:?})"
                );
            }
        }
        let json: serde_json::Value =
            serde_json::from_slice(&scan(&["--image", img], tree, "json", None).stdout).unwrap();
        let state = &json["PatchState"];
        assert!(
            state["InstalledOtherCount"].as_u64().unwrap()
                + state["InstalledCount"].as_u64().unwrap()
                >= 5,
            "{image}: {state}"
        );
        let want = run(&["inventory", "--root", dir, "--format", "json"]);
        let got = run(&["inventory", "--image", img, "--format", "json"]);
        assert!(
            want.status.success() && got.status.success(),
            "{image}: {}",
            text(&got.stderr)
        );
        assert_eq!(text(&got.stdout), text(&want.stdout), "{image}: inventory");
    }
}
