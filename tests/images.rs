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
            ("qemu-img", "--version"),
            ("dumpe2fs", "-V"),
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
    ("mbr-4k.raw", "rpm"),
    ("bare-ext4.img", "rpm"),
    ("bare-ext2.img", "rpm"),
    ("bare-xfs.img", "deb"),
    ("var-split.raw", "rpm-split"),
    ("lvm.raw", "rpm"),
];

/// The container images, each of a raw disk above.
const CONTAINERS: &[(&str, &str)] = &[
    ("gpt-xfs.qcow2", "rpm"),
    ("gpt-ext4-rpm.zlib.qcow2", "rpm"),
    ("gpt-xfs.zstd.qcow2", "rpm"),
    ("mbr-logical.v2.qcow2", "rpm"),
    ("gpt-xfs.overlay.qcow2", "rpm"),
    ("gpt-xfs.sparse.vmdk", "rpm"),
    ("gpt-ext4-rpm.stream.vmdk", "rpm"),
];

/// Each image gives byte for byte the scan its tree gives, in JSON and the table, with AWS's
/// default baseline and with one approving everything; and the same inventory.
#[test]
fn every_layout_scans_as_the_tree_it_was_made_from() {
    let Some(beds) = beds() else { return };
    let work = tempfile::tempdir().unwrap();
    for &(image, tree) in LAYOUTS.iter().chain(CONTAINERS) {
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
    // Every file system layout, and the compressed clusters of a qcow2 and a VMDK.
    let extra = [CONTAINERS[1], CONTAINERS[6]];
    // ext2 is left out: ext4-view cannot read a sparse file of a block-mapped (ext2/ext3)
    // inode, and says so (checked below) rather than give wrong bytes.
    for &(image, tree) in LAYOUTS
        .iter()
        .chain(&extra)
        .filter(|(i, _)| *i != "bare-ext2.img")
    {
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
    let ext2 = RootFs::from_image(beds.join("images/bare-ext2.img")).unwrap();
    let sparse = ext2
        .read("usr/lib/sysimage/rpm/rpmdb.sqlite-shm")
        .unwrap_err()
        .to_string();
    assert!(sparse.contains("corrupt filesystem"), "{sparse}");
    let (_, db) = ext2.read("usr/lib/sysimage/rpm/rpmdb.sqlite").unwrap();
    assert_eq!(
        db,
        std::fs::read(beds.join("trees/rpm/usr/lib/sysimage/rpm/rpmdb.sqlite")).unwrap()
    );
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
        if fs == "ext4" {
            // The GPT ext4 images' directories are hash trees (e2fsck -D), the MBR one's linear.
            let htree = Command::new("debugfs")
                .args(["-R", "htree /usr/share/entries-3000"])
                .arg(beds.join("parts").join(part))
                .output()
                .unwrap();
            assert_eq!(
                text(&htree.stdout).contains("Root node dump"),
                image.starts_with("gpt"),
                "{image}: {}",
                text(&htree.stdout)
            );
        }
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

/// A sparse copy of a bed image to damage.
fn copy_of(image: &str, dir: &Path) -> PathBuf {
    let from = beds().unwrap().join("images").join(image);
    let to = dir.join(image);
    let ok = Command::new("cp")
        .arg("--sparse=always")
        .arg(&from)
        .arg(&to)
        .status()
        .unwrap();
    assert!(ok.success());
    to
}

/// Writes `bytes` at `offset` of a file.
fn poke(file: &Path, offset: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
    f.write_all_at(bytes, offset).unwrap();
}

/// Changes one field of the inode at `path` of an XFS image with `xfs_db -x`, which keeps the
/// inode's CRC right, so only the damage itself is left to find.
fn xfs_db_write(img: &Path, path: &str, write: &str) {
    let w = Command::new("xfs_db")
        .args([
            "-x",
            "-c",
            &format!("path {path}"),
            "-c",
            &format!("write {write}"),
        ])
        .arg(img)
        .output()
        .unwrap();
    assert!(w.status.success(), "{}", text(&w.stderr));
}

/// The start byte of a partition, as sfdisk reads it.
fn part_start(image: &Path, n: usize) -> u64 {
    let out = Command::new("sfdisk")
        .arg("-J")
        .arg(image)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["partitiontable"]["partitions"][n - 1]["start"]
        .as_u64()
        .unwrap()
        * 512
}

/// A scan of a damaged image fails with exit 2 and a message naming the image and `wants`.
fn fails_with(image: &Path, wants: &[&str]) -> String {
    let out = scan(&["--image", image.to_str().unwrap()], "rpm", "json", None);
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{} ({wants:?}): {err}",
        image.display()
    );
    assert!(out.stdout.is_empty(), "a failed scan printed a result");
    assert!(err.contains(&image.display().to_string()), "{err}");
    for w in wants {
        assert!(err.contains(w), "wanted {w:?} in: {err}");
    }
    err
}

#[test]
fn damaged_images_fail_naming_the_layer_and_the_fault() {
    let Some(beds) = beds() else { return };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();

    // Cut short: the root partition runs past the end of the file.
    let img = copy_of("gpt-xfs.raw", dir);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&img)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    fails_with(&img, &["partition 3", "past the end"]);

    // A damaged XFS superblock: its CRC no longer matches.
    let img = copy_of("gpt-xfs.raw", dir);
    poke(&img, part_start(&img, 3) + 0x40, &[0xff; 4]);
    fails_with(
        &img,
        &["partition 3", "xfs", "superblock", "checksum mismatch"],
    );

    // A directory block of /etc whose CRC fails, found with xfs_db on the standalone copy.
    // (Regression: the os-release lookup's error was taken for "absent" and usr/lib's read
    // instead, and the scan passed; every image lookup's damage now fails the host.)
    let img = copy_of("gpt-xfs.raw", dir);
    let bmap = Command::new("xfs_db")
        .args(["-r", "-c", "path /etc", "-c", "bmap"])
        .arg(beds.join("parts/gpt-xfs.p3"))
        .output()
        .unwrap();
    // `data offset 0 startblock 32797 (1/29) count 1 flag 0`: allocation group 1, block 29.
    let first = text(&bmap.stdout);
    let ag_block = first
        .split_whitespace()
        .nth(5)
        .unwrap()
        .trim_matches(|c| c == '(' || c == ')');
    let (ag, agbno) = ag_block.split_once('/').unwrap();
    let (ag, agbno): (u64, u64) = (ag.parse().unwrap(), agbno.parse().unwrap());
    let sb = Command::new("xfs_db")
        .args(["-r", "-c", "sb 0", "-c", "print agblocks"])
        .arg(beds.join("parts/gpt-xfs.p3"))
        .output()
        .unwrap();
    let agblocks: u64 = text(&sb.stdout)
        .trim()
        .trim_start_matches("agblocks = ")
        .parse()
        .unwrap();
    let block = ag * agblocks + agbno;
    poke(&img, part_start(&img, 3) + block * 4096 + 200, b"damaged!");
    fails_with(
        &img,
        &["partition 3 (xfs)", "directory inode", "checksum mismatch"],
    );

    // An extent pointing past the end of the file system, written by xfs_db (which keeps the
    // inode's CRC right): the rpm database of a bare XFS image.
    let img = copy_of("bare-xfs.img", dir);
    xfs_db_write(&img, "/var/lib/dpkg/status", "u3.bmx[0].startblock 9999999");
    let out = scan(&["--image", img.to_str().unwrap()], "deb", "json", None);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("var/lib/dpkg/status")
            && err.contains("block 9999999")
            && err.contains("outside the file system"),
        "{err}"
    );

    // The B+tree extent map of the 3,000-entry directory with a wrong level: every walk of a
    // tree checks each block's level against its parent's, so no loop can go on.
    let img = copy_of("bare-xfs.img", dir);
    xfs_db_write(&img, "/usr/share/entries-3000", "u3.bmbt.level 3");
    let out = run(&[
        "image",
        "ls",
        img.to_str().unwrap(),
        "/usr/share/entries-3000",
    ]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("extent tree block") && err.contains("where 2 was expected"),
        "{err}"
    );

    // The only Linux partition holds no file system this reader knows.
    let img = copy_of("gpt-ext4-rpm.raw", dir);
    poke(&img, part_start(&img, 3), &vec![0xab; 1 << 16]);
    fails_with(&img, &["partition 3", "no file system this reader knows"]);

    // Both GPT headers gone: only the protective MBR is left.
    let img = copy_of("gpt-ext4-rpm.raw", dir);
    let size = std::fs::metadata(&img).unwrap().len();
    poke(&img, 512, &[0; 512]);
    poke(&img, size - 512, &[0; 512]);
    fails_with(&img, &["partition table", "protective MBR"]);

    // A disk whose file systems hold no os-release: no Linux root.
    let tree = dir.join("no-os");
    std::fs::create_dir_all(tree.join("var/lib")).unwrap();
    let img = dir.join("no-os.img");
    let mk = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-d"])
        .arg(&tree)
        .arg(&img)
        .arg("8M")
        .output()
        .unwrap();
    assert!(mk.status.success());
    fails_with(
        &img,
        &[
            "root file system",
            "no file system on this image holds etc/os-release",
        ],
    );

    // A qcow2 whose L1 table lies past the end of the file.
    let img = copy_of("gpt-xfs.qcow2", dir);
    poke(&img, 40, &(1u64 << 40).to_be_bytes());
    fails_with(
        &img,
        &["container", "qcow2", "L1 table", "outside the file"],
    );

    // A qcow2 overlay whose backing file is itself: the chain is cut off.
    std::fs::copy(
        beds.join("images/gpt-xfs.overlay.qcow2"),
        dir.join("loop.qcow2"),
    )
    .unwrap();
    let img = dir.join("loop.qcow2");
    let header = std::fs::read(&img).unwrap();
    let at = u64::from_be_bytes(header[8..16].try_into().unwrap());
    let len = u32::from_be_bytes(header[16..20].try_into().unwrap()) as usize;
    assert_eq!(&header[at as usize..at as usize + len], b"gpt-xfs.raw");
    poke(&img, at, b"loop.qcow2\0");
    poke(&img, 16, &10u32.to_be_bytes());
    fails_with(&img, &["container", "backing files (a loop?)"]);

    // An LVM physical volume whose metadata area lost its magic: the only Linux root is gone.
    let img = copy_of("lvm.raw", dir);
    poke(&img, part_start(&img, 2) + 4096 + 4, b"not lvm metadata");
    fails_with(&img, &["partition 2", "LVM metadata area: no magic"]);

    // Found by review, each once a panic, a stack overflow or a read of the scanner's own
    // files: a qcow2 whose backing file is an absolute path (here one of the scanner's block
    // devices could be named), an MBR entry starting at sector 0 (mbrman panicked), and an
    // extent-tree root 60,000 levels deep (the walk recursed until the stack overflowed).
    let img = dir.join("abs.qcow2");
    let mk = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
        .arg(beds.join("images/gpt-xfs.raw"))
        .arg(&img)
        .output()
        .unwrap();
    assert!(mk.status.success(), "{}", text(&mk.stderr));
    fails_with(
        &img,
        &[
            "container",
            "backing file",
            "only a name relative to the image's directory",
        ],
    );
    let img = copy_of("mbr-logical.raw", dir);
    poke(&img, 446 + 8, &0u32.to_le_bytes());
    fails_with(&img, &["partition table", "starts at sector 0"]);
    let img = copy_of("bare-xfs.img", dir);
    xfs_db_write(&img, "/usr/share/entries-3000", "u3.bmbt.level 60000");
    let out = run(&[
        "image",
        "ls",
        img.to_str().unwrap(),
        "/usr/share/entries-3000",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("extent tree root with level 60000"),
        "{}",
        text(&out.stderr)
    );

    // Not an image at all.
    let junk = dir.join("junk.raw");
    std::fs::write(&junk, vec![7u8; 1 << 20]).unwrap();
    let out = scan(&["--image", junk.to_str().unwrap()], "rpm", "json", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("container"),
        "{}",
        text(&out.stderr)
    );
}

/// A damaged primary GPT header: the backup at the end of the disk is read, the scan is the
/// tree's, and `image inspect` says so.
#[test]
fn a_damaged_primary_gpt_header_falls_back_to_the_backup() {
    let Some(beds) = beds() else { return };
    let work = tempfile::tempdir().unwrap();
    let img = copy_of("gpt-xfs.raw", work.path());
    poke(&img, 512 + 16, &[0xff; 4]); // the header's CRC field
    let tree = beds.join("trees/rpm");
    let want = scan(&["--root", tree.to_str().unwrap()], "rpm", "json", None);
    let got = scan(&["--image", img.to_str().unwrap()], "rpm", "json", None);
    assert!(got.status.success(), "{}", text(&got.stderr));
    assert_eq!(text(&got.stdout), text(&want.stdout));
    let inspect = run(&[
        "image",
        "inspect",
        img.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert!(
        v["Notes"][0].as_str().unwrap().contains("backup header"),
        "{v}"
    );
}

/// `image inspect` on every layout: the table, the sector size, the root, what fstab attached
/// and each file system's UUID as the file system's own tools print it.
#[test]
fn inspect_shows_each_layout() {
    let Some(beds) = beds() else { return };
    let cases: &[(&str, Option<&str>, u64, &str, &str)] = &[
        ("gpt-xfs.raw", Some("gpt"), 512, "partition 3", "xfs"),
        ("gpt-xfs-4k.raw", Some("gpt"), 4096, "partition 2", "xfs"),
        ("gpt-ext4-rpm.raw", Some("gpt"), 512, "partition 3", "ext4"),
        ("mbr-logical.raw", Some("mbr"), 512, "partition 5", "ext4"),
        ("mbr-4k.raw", Some("mbr"), 4096, "partition 1", "ext4"),
        ("bare-ext4.img", None, 0, "whole disk", "ext4"),
        ("bare-xfs.img", None, 0, "whole disk", "xfs"),
        ("var-split.raw", Some("gpt"), 512, "partition 2", "ext4"),
        (
            "lvm.raw",
            Some("gpt"),
            512,
            "logical volume rhel/root",
            "xfs",
        ),
    ];
    for &(image, table, sector, root, fs) in cases {
        let out = run(&[
            "image",
            "inspect",
            beds.join("images").join(image).to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(out.status.success(), "{image}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["PartitionTable"].as_str(), table, "{image}");
        if table.is_some() {
            assert_eq!(v["SectorSize"].as_u64(), Some(sector), "{image}");
        }
        assert_eq!(v["Root"], root, "{image}");
        assert_eq!(v["RootFileSystem"], fs, "{image}");
        assert!(
            v["BytesRead"].as_u64().unwrap() < 1 << 20,
            "{image}: {}",
            v["BytesRead"]
        );
        for p in v["Partitions"].as_array().unwrap() {
            let (Some(uuid), Some(kind)) = (p["Uuid"].as_str(), p["FileSystem"].as_str()) else {
                continue;
            };
            let part = beds.join("parts").join(format!(
                "{}.p{}",
                image.trim_end_matches(".raw"),
                p["Number"]
            ));
            let oracle = if kind == "xfs" {
                Command::new("xfs_admin")
                    .arg("-u")
                    .arg(&part)
                    .output()
                    .unwrap()
            } else {
                Command::new("tune2fs")
                    .arg("-l")
                    .arg(&part)
                    .output()
                    .unwrap()
            };
            assert!(
                text(&oracle.stdout).contains(uuid),
                "{image} partition {}: {uuid} not in {}",
                p["Number"],
                text(&oracle.stdout)
            );
        }
    }
    let out = run(&[
        "image",
        "inspect",
        beds.join("images/var-split.raw").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Mounts"][0]["MountPoint"], "/var");
    assert_eq!(v["Mounts"][0]["Source"], "partition 3");
    assert_eq!(v["Partitions"][2]["Role"], "mounted at /var");
    let table = run(&[
        "image",
        "inspect",
        beds.join("images/gpt-xfs.raw").to_str().unwrap(),
    ]);
    let t = text(&table.stdout);
    assert!(
        t.contains("gpt, 512-byte sectors")
            && t.contains("skipped (EFI System)")
            && t.contains("root"),
        "{t}"
    );
}

/// Images in a fleet: a glob of images scans like the trees, and a damaged image is one failed
/// host with its reason while every other host's result is kept.
#[test]
fn a_fleet_of_images_keeps_every_good_host_and_fails_the_bad_one() {
    let Some(beds) = beds() else { return };
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let images = dir.join("images");
    std::fs::create_dir(&images).unwrap();
    for i in ["gpt-xfs.raw", "gpt-ext4-rpm.raw", "mbr-logical.raw"] {
        copy_of(i, &images);
    }
    // A link to an image, as a glob over a directory of links to snapshots finds it
    // (regression: the source was opened without following links and failed with ELOOP).
    let linked = dir.join("linked");
    std::fs::create_dir(&linked).unwrap();
    let target = copy_of("gpt-ext4-rpm.raw", &linked);
    std::os::unix::fs::symlink(&target, images.join("via-link.raw")).unwrap();
    let spare = dir.join("spare");
    std::fs::create_dir(&spare).unwrap();
    let bad = copy_of("gpt-xfs.raw", &spare);
    std::fs::rename(&bad, images.join("broken.raw")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(images.join("broken.raw"))
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let r = repos("rpm");
    let manifest = dir.join("fleet.toml");
    std::fs::write(
        &manifest,
        format!(
            "now = \"{NOW}\"\n[[repo_sets]]\nid = \"al2023\"\nrepos = [\"{}\", \"{}\"]\noperating_systems = [\"AMAZON_LINUX_2023\"]\n\n[[hosts]]\nid = \"tree\"\nsource = \"{}\"\n\n[[hosts]]\nid = \"named-image\"\nimage = \"{}\"\n\n[[host_lists]]\nglob = \"images/*.raw\"\n\n[[host_lists]]\ncsv = \"hosts.csv\"\n",
            r[0].display(),
            r[1].display(),
            beds.join("trees/rpm").display(),
            images.join("gpt-xfs.raw").display(),
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("hosts.csv"),
        "id,image\nfrom-csv,images/mbr-logical.raw\n",
    )
    .unwrap();
    let out = patchscan()
        .arg("fleet")
        .arg(&manifest)
        .args(["--out"])
        .arg(dir.join("out"))
        .args(["--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let hosts: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("out/summaries.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hosts.len(), 8, "{hosts:?}");
    let by_id = |id: &str| {
        hosts
            .iter()
            .find(|h| h["HostId"] == id)
            .unwrap_or_else(|| panic!("{id}: {hosts:?}"))
    };
    let tree = by_id("tree");
    for id in [
        "named-image",
        "gpt-xfs",
        "gpt-ext4-rpm",
        "mbr-logical",
        "from-csv",
    ] {
        let h = by_id(id);
        assert_eq!(h["SourceKind"], "image", "{id}");
        for k in [
            "ComplianceStatus",
            "InstalledCount",
            "InstalledOtherCount",
            "MissingCount",
            "NotApplicableCount",
        ] {
            assert_eq!(h[k], tree[k], "{id}: {k}");
        }
    }
    let broken = by_id("broken");
    assert_eq!(broken["ComplianceStatus"], "SCAN_FAILED");
    let reason = broken["Error"].as_str().unwrap();
    assert!(
        reason.contains("broken.raw")
            && reason.contains("partition 3")
            && reason.contains("past the end"),
        "{reason}"
    );
}

/// A snapshot of a running instance: an ext4 journal with a transaction not yet replayed
/// (made by debugfs; it changes a version in var/lib/dpkg/status). The scan replays it in
/// memory: it equals the scan of the twin debugfs replayed, and differs from the file's bytes
/// on the disk, which `debugfs cat` (no replay) still shows.
#[test]
fn a_dirty_ext4_journal_is_replayed_in_memory() {
    let Some(beds) = beds() else { return };
    let dirty = beds.join("images/dirty-ext4.raw");
    let twin = beds.join("images/dirty-ext4-replayed.raw");
    let tree = beds.join("trees/deb");
    let got = scan(&["--image", dirty.to_str().unwrap()], "deb", "json", None);
    let want = scan(&["--image", twin.to_str().unwrap()], "deb", "json", None);
    let unreplayed = scan(&["--root", tree.to_str().unwrap()], "deb", "json", None);
    assert!(got.status.success(), "{}", text(&got.stderr));
    assert_eq!(text(&got.stdout), text(&want.stdout));
    assert_ne!(
        text(&got.stdout),
        text(&unreplayed.stdout),
        "the journal changed nothing the scan sees"
    );
    let on_disk = Command::new("debugfs")
        .args(["-R", "cat /var/lib/dpkg/status"])
        .arg(beds.join("parts/dirty-ext4.p3"))
        .output()
        .unwrap();
    assert_eq!(
        on_disk.stdout,
        std::fs::read(tree.join("var/lib/dpkg/status")).unwrap()
    );
    let replayed = run(&[
        "image",
        "cat",
        dirty.to_str().unwrap(),
        "/var/lib/dpkg/status",
    ]);
    assert_ne!(replayed.stdout, on_disk.stdout);
    let twin_bytes = run(&[
        "image",
        "cat",
        twin.to_str().unwrap(),
        "/var/lib/dpkg/status",
    ]);
    assert_eq!(replayed.stdout, twin_bytes.stdout);
}

/// `scan` takes every source a fleet takes: a tar archive of the tree (read in place) and an
/// inventory file of real `rpm -qa` output scan as the tree does; an inventory without
/// `--repo` is refused, since it carries no repository metadata.
#[test]
fn scan_takes_archives_and_inventories_as_fleets_do() {
    let Some(beds) = beds() else { return };
    if !common::tool_available("rpm", "rpm", &["--version"]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let tree = beds.join("trees/rpm");
    let tar = work.path().join("root.tar");
    let ok = Command::new("tar")
        .arg("-C")
        .arg(&tree)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(ok.success());
    let want = scan(&["--root", tree.to_str().unwrap()], "rpm", "json", None);
    let got = scan(&["--tar", tar.to_str().unwrap()], "rpm", "json", None);
    assert!(got.status.success(), "{}", text(&got.stderr));
    assert_eq!(text(&got.stdout), text(&want.stdout));

    let qf = "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\t%{BUILDTIME}\\t%{MODULARITYLABEL}\\t%{SOURCERPM}\\n";
    // rpm writes to a database it reads (sqlite's -shm): a copy, so the shared tree stays as
    // its images were made.
    let db = work.path().join("rpmdb");
    let ok = Command::new("cp")
        .arg("-a")
        .arg(tree.join("usr/lib/sysimage/rpm"))
        .arg(&db)
        .status()
        .unwrap();
    assert!(ok.success());
    let rpm = Command::new("rpm")
        .arg("--dbpath")
        .arg(&db)
        .args(["-qa", "--qf", qf])
        .output()
        .unwrap();
    assert!(rpm.status.success(), "{}", text(&rpm.stderr));
    let mut inv = String::from("#patchscan-inventory 1\n@os-release\n");
    inv.push_str(&std::fs::read_to_string(tree.join("usr/lib/os-release")).unwrap());
    inv.push_str("@rpm\n");
    inv.push_str(&text(&rpm.stdout));
    inv.push_str("@end\n");
    let file = work.path().join("host.inv");
    std::fs::write(&file, inv).unwrap();
    let got = scan(
        &["--inventory", file.to_str().unwrap()],
        "rpm",
        "json",
        None,
    );
    assert!(got.status.success(), "{}", text(&got.stderr));
    let (g, w): (serde_json::Value, serde_json::Value) = (
        serde_json::from_slice(&got.stdout).unwrap(),
        serde_json::from_slice(&want.stdout).unwrap(),
    );
    assert_eq!(
        g["PatchState"]["MissingCount"],
        w["PatchState"]["MissingCount"]
    );
    assert_eq!(g["Patches"], w["Patches"]);
    let out = run(&["scan", "--inventory", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("pass --repo"),
        "{}",
        text(&out.stderr)
    );
}

/// Random damage to the metadata of real XFS, ext4 and qcow2 images (their first 256 KiB,
/// where superblocks, group headers, the first inodes and the L1/L2 tables lie): every outcome
/// is a scan's worth of answers or errors, never a panic, a hang or a wrong-sized read.
#[test]
fn mutated_images_never_panic_or_hang() {
    use patchscan::files::rootfs::RootFs;
    use std::os::unix::fs::FileExt;
    let Some(_) = beds() else { return };
    let work = tempfile::tempdir().unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut errors = 0;
    let mut rounds = 0;
    // The os-release, the package databases and a large directory: each image's tree has
    // the first and one database, so a clean read of all three never happens.
    for (image, span) in [
        ("bare-xfs.img", 256u64 << 10),
        ("bare-ext4.img", 256 << 10),
        ("gpt-ext4-rpm.zlib.qcow2", 256 << 10),
    ] {
        let img = copy_of(image, work.path());
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&img)
            .unwrap();
        for _ in 0..150 {
            rounds += 1;
            let mut saved = Vec::new();
            for _ in 0..1 + next() % 6 {
                let at = next() % span;
                let mut old = [0u8; 8];
                file.read_exact_at(&mut old, at).unwrap();
                saved.push((at, old));
                file.write_all_at(&next().to_le_bytes()[..1 + (next() % 8) as usize], at)
                    .unwrap();
            }
            match RootFs::from_image(&img) {
                Err(_) => errors += 1,
                Ok(root) => {
                    let mut failed = false;
                    for path in [
                        "etc/os-release",
                        "usr/share/entries-3000/entry-00007-of-a-directory-with-long-names",
                    ] {
                        match root.read(path) {
                            Ok((_, bytes)) => assert!(
                                bytes.len() <= 64 << 20,
                                "{image}: {path}: {} bytes",
                                bytes.len()
                            ),
                            Err(_) => failed = true,
                        }
                    }
                    for path in ["usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/dpkg/status"] {
                        let _ = root.read(path);
                    }
                    failed |= root.read_dir("usr/share/entries-3000").is_err();
                    errors += usize::from(failed || root.damage().is_err());
                }
            }
            for (at, old) in saved.into_iter().rev() {
                file.write_all_at(&old, at).unwrap();
            }
        }
    }
    // Most of the first 256 KiB is free space or file data, which no checksum covers; the
    // count only shows the damage reached metadata often enough to mean something.
    assert!(
        errors >= 10,
        "only {errors} of {rounds} damaged images were noticed"
    );
}
