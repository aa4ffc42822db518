//! Bad Debian/Ubuntu input ends in a clear error naming the file (and line), exit code 2 —
//! never a panic, never an empty, compliant-looking report.

mod common;

use common::apt::{apt_bed, bed_now, copy_dir};

/// A writable copy of the Debian bed.
fn bed_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("debian12");
    copy_dir(&apt_bed("debian12"), &b);
    (dir, b)
}

fn scan_fails(args: &[&str], want: &[&str]) -> String {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    let out = common::run(&all, None);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for w in want {
        assert!(stderr.contains(w), "{args:?}: want {w:?} in: {stderr}");
    }
    stderr
}

#[test]
fn truncated_packages_xz_names_the_file() {
    let (_d, b) = bed_copy();
    let bin = b.join("repos/debian/dists/bookworm/main/binary-amd64");
    std::fs::remove_file(bin.join("Packages")).unwrap();
    let xz = bin.join("Packages.xz");
    let bytes = std::fs::read(&xz).unwrap();
    std::fs::write(&xz, &bytes[..bytes.len() / 2]).unwrap();
    let root = b.join("root");
    let repo = b.join("repos/debian");
    scan_fails(
        &[
            "--root",
            root.to_str().unwrap(),
            "--repo",
            repo.to_str().unwrap(),
            "--now",
            &bed_now(&b),
        ],
        &[xz.to_str().unwrap(), "xz data is truncated or corrupt"],
    );
}

#[test]
fn broken_status_stanza_names_file_and_line() {
    let (_d, b) = bed_copy();
    let status = b.join("root/var/lib/dpkg/status");
    let text = std::fs::read_to_string(&status).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, "this is not a field");
    std::fs::write(&status, lines.join("\n") + "\n").unwrap();
    scan_fails(
        &["--root", b.join("root").to_str().unwrap()],
        &[&format!("{}: line 3:", status.display()), "Field: value"],
    );
}

#[test]
fn unreadable_list_names_the_file() {
    let (_d, b) = bed_copy();
    let lists = b.join("root/var/lib/apt/lists");
    let victim = lists.join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4");
    std::fs::remove_file(&victim).unwrap();
    // A dangling link: a list that cannot be opened (root reads any mode bits).
    std::os::unix::fs::symlink("/nonexistent/Packages", &victim).unwrap();
    scan_fails(
        &["--root", b.join("root").to_str().unwrap()],
        &[victim.to_str().unwrap(), "cannot read"],
    );
    // A corrupt lz4 list.
    std::fs::remove_file(&victim).unwrap();
    std::fs::write(&victim, b"\x04\x22\x4d\x18\x64\x40\xa7garbage").unwrap();
    scan_fails(
        &["--root", b.join("root").to_str().unwrap()],
        &[victim.to_str().unwrap(), "lz4"],
    );
}

#[test]
fn no_lists_and_no_configured_lists_are_errors() {
    let (_d, b) = bed_copy();
    let root = b.join("root");
    let sources = root.join("etc/apt/sources.list.d/debian.sources");
    std::fs::write(
        &sources,
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main\n",
    )
    .unwrap();
    scan_fails(
        &["--root", root.to_str().unwrap()],
        &["none of the apt lists", "1 configured"],
    );
    std::fs::remove_dir_all(root.join("var/lib/apt/lists")).unwrap();
    std::fs::create_dir(root.join("var/lib/apt/lists")).unwrap();
    scan_fails(
        &["--root", root.to_str().unwrap()],
        &["no apt lists", "apt-get update"],
    );
    // A malformed sources file is named with its line.
    std::fs::write(&sources, "Types: deb\nURIs http://x\n").unwrap();
    scan_fails(
        &["--root", root.to_str().unwrap()],
        &[&format!("{}: line 2:", sources.display())],
    );
}

#[test]
fn bad_release_date_names_the_release_and_line() {
    let (_d, b) = bed_copy();
    let release = b.join("root/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_Release");
    let text = std::fs::read_to_string(&release).unwrap();
    let fixed: String = text
        .lines()
        .map(|l| {
            if l.starts_with("Date:") {
                "Date: last tuesday".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&release, fixed).unwrap();
    let line = text.lines().position(|l| l.starts_with("Date:")).unwrap() + 1;
    scan_fails(
        &["--root", b.join("root").to_str().unwrap()],
        &[
            &format!("{}: line {line}:", release.display()),
            "last tuesday",
        ],
    );
}
