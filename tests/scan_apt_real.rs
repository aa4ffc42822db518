//! The real Debian 12 capture (repodata-fixtures/apt-real/debian-bookworm: real bookworm,
//! bookworm-updates and bookworm-security lists, a real dpkg status of 758 installed packages, and what real
//! apt 2.6 said about them): patchscan's Missing set equals apt's, all suites (119) and
//! security only (72); the installed set equals dpkg-query's. With apt installed, apt is also
//! re-run on the assembled root.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::apt::*;

fn capture() -> PathBuf {
    common::root().join("repodata-fixtures/apt-real/debian-bookworm")
}

fn read(name: &str) -> String {
    let p = capture().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A host root as the machine had it: os-release, sources, dpkg status, apt's lists.
fn assemble(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    let lists = root.join("var/lib/apt/lists");
    for d in ["etc/apt/sources.list.d", "var/lib/dpkg"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::create_dir_all(&lists).unwrap();
    let c = capture();
    std::fs::copy(c.join("os-release"), root.join("etc/os-release")).unwrap();
    std::fs::copy(
        c.join("debian.sources"),
        root.join("etc/apt/sources.list.d/debian.sources"),
    )
    .unwrap();
    std::fs::copy(c.join("dpkg-status"), root.join("var/lib/dpkg/status")).unwrap();
    for e in std::fs::read_dir(&c).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with("_InRelease") || name.ends_with("_Packages.xz") {
            std::fs::copy(&p, lists.join(&name)).unwrap();
        }
    }
    root
}

fn scan(root: &Path, baseline: Option<&str>) -> serde_json::Value {
    let now = read("captured-at.txt");
    scan_json(
        &["--root", root.to_str().unwrap(), "--now", now.trim()],
        baseline,
    )
    .0
}

fn assert_same(ours: &BTreeMap<String, String>, apt: &BTreeMap<String, String>, what: &str) {
    let diffs: Vec<String> = ours
        .keys()
        .chain(apt.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| ours.get(*k) != apt.get(*k))
        .map(|k| format!("{k}: patchscan {:?}, apt {:?}", ours.get(k), apt.get(k)))
        .collect();
    assert!(diffs.is_empty(), "{what}:\n{}", diffs.join("\n"));
}

#[test]
fn agrees_with_recorded_apt_on_the_real_capture() {
    let dir = tempfile::tempdir().unwrap();
    let root = assemble(dir.path());
    let all = scan(&root, Some(&approve_all("DEBIAN")));
    let apt_all = parse_list_upgradable(&read("apt-list-upgradable.out"));
    assert_eq!(apt_all.len(), 119);
    assert_same(
        &missing(&all),
        &apt_all,
        "approve-all vs apt list --upgradable",
    );
    assert_same(
        &missing(&all),
        &parse_simulated(&read("apt-get-s-dist-upgrade.out")),
        "approve-all vs apt-get -s dist-upgrade",
    );
    let def = scan(&root, None);
    let apt_sec = parse_simulated(&read("apt-get-s-dist-upgrade-security-only.out"));
    assert_eq!(apt_sec.len(), 72);
    assert_same(
        &missing(&def),
        &apt_sec,
        "default baseline vs apt-get -s dist-upgrade, bookworm-security only",
    );
    assert!(def["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["State"] == "Missing")
        .all(|p| p["Classification"] == "Security"));
    // The installed packages are dpkg-query's installed ones, at its versions.
    let dq: BTreeMap<String, String> = read("dpkg-status.dpkg-query.tsv")
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<&str>>())
        .filter(|f| f[4].ends_with("ok installed"))
        .map(|f| (format!("{}.{}", f[0], f[2]), f[1].to_string()))
        .collect();
    let ours: BTreeMap<String, String> = all["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["KBId"].as_str().unwrap().to_string(),
                p["InstalledVersion"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(dq.len(), 758);
    assert_same(&ours, &dq, "installed set vs dpkg-query");
}

#[test]
fn agrees_with_a_fresh_apt_run_on_the_real_capture() {
    if !common::tool_available("apt", "apt", &["--version"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = assemble(dir.path());
    let etc = dir.path().join("apt-etc");
    for d in ["apt.conf.d", "preferences.d"] {
        std::fs::create_dir_all(etc.join(d)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("cache/archives/partial")).unwrap();
    let o = |k: &str, v: &Path| format!("{k}={}", v.display());
    let out = std::process::Command::new("apt")
        .args(["-o", &o("Dir::Etc", &etc)])
        .args(["-o", "Dir::Etc::SourceList=/dev/null"])
        .args([
            "-o",
            &o(
                "Dir::Etc::SourceParts",
                &root.join("etc/apt/sources.list.d"),
            ),
        ])
        .args([
            "-o",
            &o("Dir::State::Lists", &root.join("var/lib/apt/lists")),
        ])
        .args([
            "-o",
            &o("Dir::State::status", &root.join("var/lib/dpkg/status")),
        ])
        .args(["-o", &o("Dir::Cache", &dir.path().join("cache"))])
        .args([
            "-o",
            "Dir::Cache::pkgcache=",
            "-o",
            "Dir::Cache::srcpkgcache=",
        ])
        .args(["-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64"])
        .args(["list", "--upgradable"])
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let apt = parse_list_upgradable(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(apt.len(), 119, "apt on the assembled root");
    let ours = missing(&scan(&root, Some(&approve_all("DEBIAN"))));
    assert_same(&ours, &apt, "approve-all vs a fresh apt list --upgradable");
}

/// NotApplicable over the whole archive (63,000 names, judged in chunks on several threads):
/// with every version approved, the count equals the name.arch pairs of the lists that apply
/// to the host (an `all` package whose name is not installed; an amd64 one whose name.arch is
/// not), worked out here from the lists and dpkg-query's view; listing them gives the same
/// count and the same pairs, each with the highest version of any list.
#[test]
fn not_applicable_covers_every_name_of_the_archive_once() {
    use std::collections::{BTreeSet, HashMap};
    use std::io::Read;
    let installed: BTreeSet<(String, String)> = read("dpkg-status.dpkg-query.tsv")
        .lines()
        .skip(1)
        .filter(|l| l.contains("\tinstall ok installed\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[2].to_string())
        })
        .collect();
    assert_eq!(installed.len(), 758);
    let names: BTreeSet<&str> = installed.iter().map(|(n, _)| n.as_str()).collect();
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for e in std::fs::read_dir(capture()).unwrap() {
        let p = e.unwrap().path();
        if !p.to_string_lossy().ends_with("_Packages.xz") {
            continue;
        }
        let mut text = String::new();
        liblzma::read::XzDecoder::new(std::fs::File::open(&p).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        for stanza in text.split("\n\n").filter(|s| !s.trim().is_empty()) {
            let field = |name: &str| {
                stanza
                    .lines()
                    .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
                    .unwrap_or_else(|| panic!("{}: no {name} in {stanza}", p.display()))
            };
            let (name, arch) = (field("Package"), field("Architecture"));
            let applies = match arch {
                "all" => !names.contains(name),
                "amd64" => !installed.contains(&(name.to_string(), arch.to_string())),
                _ => false,
            };
            if applies {
                expected
                    .entry(format!("{name}.{arch}"))
                    .or_default()
                    .push(field("Version").to_string());
            }
        }
    }
    assert!(expected.len() > 60_000, "{}", expected.len());
    let dir = tempfile::tempdir().unwrap();
    let root = assemble(dir.path());
    let counted = scan(&root, Some(&approve_all("DEBIAN")));
    assert_eq!(
        counted["PatchState"]["NotApplicableCount"],
        expected.len() as u64
    );
    let now = read("captured-at.txt");
    let listed = scan_json(
        &[
            "--root",
            root.to_str().unwrap(),
            "--now",
            now.trim(),
            "--include-not-applicable",
        ],
        Some(&approve_all("DEBIAN")),
    )
    .0;
    let na = patches(&listed, "NotApplicable");
    assert_eq!(na.len(), expected.len());
    for (kb, versions) in &expected {
        let highest = versions
            .iter()
            .max_by(|a, b| {
                let (a, b) = (
                    patchscan::version::DebVersion::parse(a).unwrap(),
                    patchscan::version::DebVersion::parse(b).unwrap(),
                );
                a.cmp(&b)
            })
            .unwrap();
        assert_eq!(na.get(kb), Some(highest), "{kb}");
    }
}
