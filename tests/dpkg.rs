//! host::dpkg on real status files (tests/fixtures/dpkg, from claircore, trivy and syft), held
//! against real dpkg-query's view of each: the recorded one, and a fresh run when dpkg-query
//! is installed. A file dpkg-query refuses is an error naming the file and a line.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use patchscan::host::dpkg;

/// Status files (from the repository root), each with `<file>.dpkg-query.tsv` next to it.
const FILES: [&str; 10] = [
    "tests/fixtures/dpkg/debian-only.status",
    "tests/fixtures/dpkg/postgresql.status",
    "tests/fixtures/dpkg/vcpkg.status",
    "tests/fixtures/dpkg/ubuntu1804.status",
    "tests/fixtures/dpkg/third-party.status",
    "tests/fixtures/dpkg/syft-image.status",
    "tests/fixtures/dpkg/syft-multiple.status",
    "tests/fixtures/dpkg/syft-deinstall.status",
    "tests/fixtures/dpkg/syft-coreutils-relationships.status",
    "repodata-fixtures/apt-real/debian-bookworm/dpkg-status",
];

/// `name:arch` → (version, abbrev) rows of a dpkg-query `-W` table, or `None` when it refused.
fn dpkg_query_view(tsv: &str) -> Option<BTreeMap<String, (String, String)>> {
    if tsv.lines().any(|l| l.starts_with("# dpkg-query rc=")) {
        return None;
    }
    Some(
        tsv.lines()
            .filter(|l| !l.starts_with("package\t") && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (
                    format!("{}:{}", f[0], f[2]),
                    (f[1].to_string(), f[3].trim().to_string()),
                )
            })
            // Rows without a version are not-installed leftovers dpkg still lists.
            .filter(|(_, (v, _))| !v.is_empty())
            .collect(),
    )
}

fn ours(bytes: &[u8], path: &Path) -> Result<BTreeMap<String, (String, String)>, String> {
    dpkg::parse_status(bytes, path)
        .map(|ps| {
            ps.into_iter()
                .map(|p| {
                    (
                        p.qualified_name(),
                        (p.version.to_string(), p.status.abbrev()),
                    )
                })
                .collect()
        })
        .map_err(|e| e.to_string())
}

fn check(name: &str, path: &Path, expected: Option<BTreeMap<String, (String, String)>>) {
    let bytes = std::fs::read(path).unwrap();
    let got = ours(&bytes, path);
    match expected {
        Some(want) => assert_eq!(got.as_ref(), Ok(&want), "{name}"),
        None => {
            let err = got.expect_err(name);
            assert!(
                err.contains(&path.display().to_string()) && err.contains(": line "),
                "{name}: {err}"
            );
        }
    }
}

#[test]
fn status_files_read_as_recorded_dpkg_query_reads_them() {
    for f in FILES {
        let path = common::root().join(f);
        let tsv = std::fs::read_to_string(format!("{}.dpkg-query.tsv", path.display())).unwrap();
        check(f, &path, dpkg_query_view(&tsv));
    }
}

/// What real dpkg-query lists from the admin directory `admin`, `None` when it refuses.
fn fresh_dpkg_query(admin: &Path) -> Option<BTreeMap<String, (String, String)>> {
    let out = std::process::Command::new("dpkg-query")
        .arg(format!("--admindir={}", admin.display()))
        .args([
            "-W",
            "-f",
            "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n",
        ])
        .output()
        .unwrap();
    if out.status.success() {
        dpkg_query_view(&String::from_utf8_lossy(&out.stdout))
    } else {
        None
    }
}

#[test]
fn status_files_read_as_a_fresh_dpkg_query_reads_them() {
    if !common::tool_available("dpkg-query", "dpkg-query", &["--version"]) {
        return;
    }
    for f in FILES {
        let path = common::root().join(f);
        let admin = tempfile::tempdir().unwrap();
        std::fs::copy(&path, admin.path().join("status")).unwrap();
        for d in ["info", "updates"] {
            std::fs::create_dir(admin.path().join(d)).unwrap();
        }
        check(f, &path, fresh_dpkg_query(admin.path()));
    }
}

#[test]
fn distroless_status_d_packages_are_installed() {
    let root = patchscan::files::rootfs::RootFs::new(common::fixture("dpkg/distroless")).unwrap();
    let db = dpkg::find(&root).expect("status.d found");
    assert!(!db.status && db.status_d);
    let ps = dpkg::read_installed(&root, &db).unwrap();
    let got: Vec<String> = ps
        .iter()
        .map(|p| format!("{} {} {}", p.qualified_name(), p.version, p.status.abbrev()))
        .collect();
    assert_eq!(got, ["libsqlite3-0:arm64 3.34.1-3 ii"]);
}

/// A status file cut short (an interrupted copy, a full disk) at random places: wherever real
/// dpkg-query refuses the cut file, so do we, naming a line; wherever it reads it, we read the
/// same packages. Cuts fall anywhere, at line ends and stanza ends too.
#[test]
fn status_files_cut_short_read_as_dpkg_query_reads_them() {
    if !common::tool_available("dpkg-query", "dpkg-query", &["--version"]) {
        return;
    }
    let path = common::root().join("repodata-fixtures/apt-real/debian-bookworm/dpkg-status");
    let bytes = std::fs::read(&path).unwrap();
    let mut rng = common::corpus::Rng::new(20261204);
    let newlines: Vec<usize> = memchr::memchr_iter(b'\n', &bytes).collect();
    let mut cuts: Vec<usize> = (0..40).map(|_| 1 + rng.below(bytes.len() - 1)).collect();
    cuts.extend((0..20).map(|_| newlines[rng.below(newlines.len())] + 1));
    let admin = tempfile::tempdir().unwrap();
    for d in ["info", "updates"] {
        std::fs::create_dir(admin.path().join(d)).unwrap();
    }
    let (mut refused, mut read) = (0, 0);
    for cut in cuts {
        let file = admin.path().join("status");
        std::fs::write(&file, &bytes[..cut]).unwrap();
        let view = fresh_dpkg_query(admin.path());
        match view {
            Some(_) => read += 1,
            None => refused += 1,
        }
        check(&format!("cut at byte {cut}"), &file, view);
    }
    assert!(refused >= 30 && read >= 5, "{refused} refused, {read} read");
}
