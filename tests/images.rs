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

/// Every directory, file, link and modification time of each tree, read back through the
/// image: names, bytes and link targets equal, and mtimes equal.
#[test]
fn every_file_of_every_tree_reads_back_from_its_images() {
    use patchscan::files::rootfs::RootFs;
    let Some(beds) = beds() else { return };
    for &(image, tree) in LAYOUTS {
        let dir = beds.join("trees").join(tree);
        let root = RootFs::from_image(beds.join("images").join(image)).unwrap();
        let mut checked = 0;
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            let on_disk = dir.join(&rel);
            let mut want: Vec<_> = std::fs::read_dir(&on_disk)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            want.sort();
            let (_, mut got) = root
                .read_dir(&rel)
                .unwrap_or_else(|e| panic!("{image}: {}: {e}", rel.display()));
            // mkfs.ext4 adds lost+found at the root of each file system it makes.
            got.retain(|n| n != "lost+found" || want.contains(n));
            assert_eq!(got, want, "{image}: listing of /{}", rel.display());
            for name in want {
                let child = rel.join(&name);
                let meta = std::fs::symlink_metadata(dir.join(&child)).unwrap();
                if meta.file_type().is_symlink() {
                    assert_eq!(
                        root.symlink_target(&child),
                        Some(std::fs::read_link(dir.join(&child)).unwrap()),
                        "{image}: link /{}",
                        child.display()
                    );
                } else if meta.is_dir() {
                    stack.push(child);
                } else {
                    let (_, bytes) = root.read(&child).unwrap_or_else(|e| panic!("{image}: {e}"));
                    assert!(
                        bytes == std::fs::read(dir.join(&child)).unwrap(),
                        "{image}: bytes of /{}",
                        child.display()
                    );
                    use std::os::unix::fs::MetadataExt;
                    assert_eq!(
                        root.mtime(&child),
                        Some(meta.mtime()),
                        "{image}: mtime of /{}",
                        child.display()
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 3400, "{image}: only {checked} files");
    }
}

/// Listings as debugfs (ext4) and xfs_db (XFS) give them, on the standalone file systems, for
/// directories of every size (short-form, block, leaf, node and B+tree forms on XFS; linear
/// and htree on ext4); file bytes as `debugfs -R cat` gives them.
#[test]
fn listings_and_bytes_agree_with_debugfs_and_xfs_db() {
    let Some(beds) = beds() else { return };
    let dirs = [
        "/",
        "/etc",
        "/usr/lib",
        "/usr/lib/sysimage/rpm",
        "/usr/share/entries-8",
        "/usr/share/entries-40",
        "/usr/share/entries-300",
        "/usr/share/entries-3000",
    ];
    for (image, part, fs) in [
        ("gpt-xfs.raw", "gpt-xfs.p3", "xfs"),
        ("gpt-xfs-4k.raw", "gpt-xfs-4k.p2", "xfs"),
        ("gpt-ext4-rpm.raw", "gpt-ext4-rpm.p3", "ext4"),
        ("mbr-logical.raw", "mbr-logical.p5", "ext4"),
    ] {
        let img = beds.join("images").join(image);
        let part = beds.join("parts").join(part);
        for dir in dirs {
            let oracle = if fs == "xfs" {
                Command::new("xfs_db")
                    .args(["-r", "-c", &format!("ls {dir}")])
                    .arg(&part)
                    .output()
                    .unwrap()
            } else {
                Command::new("debugfs")
                    .args(["-R", &format!("ls -p {dir}")])
                    .arg(&part)
                    .output()
                    .unwrap()
            };
            assert!(oracle.status.success(), "{part:?} {dir}");
            let mut want: Vec<String> = text(&oracle.stdout)
                .lines()
                .filter_map(|l| {
                    if fs == "xfs" {
                        // `8   655490   directory   0x0000002e   1 . (good)`
                        let fields: Vec<&str> = l.split_whitespace().collect();
                        (fields.len() >= 7 && l.ends_with("(good)")).then(|| fields[5].to_string())
                    } else {
                        // `/inode/mode/uid/gid/name/size/`
                        l.split('/')
                            .nth(5)
                            .filter(|n| !n.is_empty())
                            .map(String::from)
                    }
                })
                .filter(|n| n != "." && n != "..")
                .collect();
            want.sort();
            let got = run(&["image", "ls", img.to_str().unwrap(), dir]);
            assert!(got.status.success(), "{image} {dir}: {}", text(&got.stderr));
            let mut got: Vec<String> = text(&got.stdout).lines().map(String::from).collect();
            got.sort();
            assert!(want.len() >= 2, "{image} {dir}: the oracle listed {want:?}");
            assert_eq!(got, want, "{image}: {dir}");
        }
        if fs == "ext4" {
            for file in [
                "/usr/lib/os-release",
                "/usr/lib/sysimage/rpm/rpmdb.sqlite",
                "/usr/share/entries-300/entry-00299-of-a-directory-with-long-names",
            ] {
                let want = Command::new("debugfs")
                    .args(["-R", &format!("cat {file}")])
                    .arg(&part)
                    .output()
                    .unwrap();
                let got = run(&["image", "cat", img.to_str().unwrap(), file]);
                assert!(
                    got.status.success(),
                    "{image} {file}: {}",
                    text(&got.stderr)
                );
                assert!(
                    want.stdout.len() > 1 && got.stdout == want.stdout,
                    "{image}: {file}"
                );
            }
        }
    }
}
