//! rpm-md reading checked against what real tools make of real files: createrepo_c 0.17 and
//! libsolv 0.7 (dnf's parser) outputs sit next to each fixture (see
//! tests/fixtures/rpmmd/README.md), plus repositories made by createrepo_c/modifyrepo_c
//! (repodata-fixtures/scripts/make-rpmmd-fixtures.sh).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use patchscan::files::compress;
use patchscan::repo::rpmmd::{
    self, parse_metadata_date, primary, read_repository, updateinfo, Advisory, RepoMd, RpmMdError,
};
use serde_json::Value;

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpmmd")
        .join(path)
}

/// An oracle file, read through our own decompression (big ones are stored gzipped).
fn oracle_text(data_file: &Path, suffix: &str) -> String {
    let plain = PathBuf::from(format!("{}.{suffix}", data_file.display()));
    let gz = PathBuf::from(format!("{}.{suffix}.gz", data_file.display()));
    let path = if plain.exists() { plain } else { gz };
    let mut text = String::new();
    compress::open(&path)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn oracle_json(data_file: &Path, tool: &str) -> Value {
    serde_json::from_str(&oracle_text(data_file, &format!("{tool}.json"))).unwrap()
}

const UPDATEINFO: &[&str] = &[
    "amazon/updateinfo_1_item.xml.gz",
    "amazon/updateinfo_2_items.xml.gz",
    "amazon/updateinfo_AL2022.xml.gz",
    "amazon/updateinfo_AL2023.xml.gz",
    "rocky/updateinfo.xml",
    "bottlerocket/updateinfo.xml.gz",
    "opensuse-11.0-update/repodata/updateinfo.xml.gz",
    "suse-delta/repodata/updateinfo.xml.gz",
    "libdnf-advisories/updateinfo.xml",
    "libdnf-hawkey-yum/repodata/updateinfo.xml.gz",
];

fn text(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

/// createrepo_c writes dates it parsed as `YYYY-MM-DDTHH:MM:SS` (dropping the time of forms
/// without seconds), and UNIX-second dates as written.
fn assert_date_matches_createrepo_c(ours: Option<i64>, theirs: &Value, what: &str) {
    if let Some(seconds) = theirs.as_i64() {
        assert_eq!(ours, Some(seconds), "{what}");
        return;
    }
    let Some(theirs) = text(theirs) else {
        assert_eq!(ours, None, "{what}");
        return;
    };
    let expected = parse_metadata_date(theirs).unwrap_or_else(|| panic!("{what}: {theirs}"));
    let ours = ours.unwrap_or_else(|| panic!("{what}: we found no date, createrepo_c {theirs}"));
    if theirs.ends_with("T00:00:00") {
        assert_eq!(ours - ours.rem_euclid(86_400), expected, "{what}: {theirs}");
    } else {
        assert_eq!(ours, expected, "{what}: {theirs}");
    }
}

fn refs_of_type(references: &Value, kind: &str) -> Vec<String> {
    references
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == kind)
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// CVE and Bugzilla ids, in file order; other reference types are not kept.
fn assert_references(ours: &Advisory, references: &Value, what: &str) {
    assert_eq!(ours.cves, refs_of_type(references, "cve"), "{what}");
    assert_eq!(
        ours.bugzillas,
        refs_of_type(references, "bugzilla"),
        "{what}"
    );
}

fn check_against_createrepo_c(path: &Path, ours: &[Advisory]) {
    let oracle = oracle_json(path, "createrepo_c");
    let updates = oracle["updates"].as_array().unwrap();
    assert_eq!(ours.len(), updates.len(), "{}", path.display());
    assert_eq!(oracle["count"].as_u64(), Some(ours.len() as u64));
    for (ours, theirs) in ours.iter().zip(updates) {
        let what = format!("{} {}", path.display(), ours.id);
        assert_eq!(ours.id, theirs["id"].as_str().unwrap(), "{what}");
        assert_eq!(ours.kind.as_deref(), text(&theirs["type"]), "{what}");
        assert_eq!(
            ours.severity.as_deref(),
            text(&theirs["severity"]),
            "{what}"
        );
        assert_eq!(Some(ours.title.as_str()), text(&theirs["title"]), "{what}");
        assert_date_matches_createrepo_c(ours.issued, &theirs["issued_date"], &what);
        assert_date_matches_createrepo_c(ours.updated, &theirs["updated_date"], &what);
        assert_references(ours, &theirs["references"], &what);
        let expected: Vec<String> = theirs["collections"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["packages"].as_array().unwrap())
            .map(|p| {
                let epoch = p["epoch"].as_str().filter(|e| !e.is_empty()).unwrap_or("0");
                format!(
                    "{} {epoch} {} {} {}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap(),
                    p["release"].as_str().unwrap(),
                    p["arch"].as_str().unwrap()
                )
            })
            .collect();
        let got: Vec<String> = ours
            .packages
            .iter()
            .map(|p| {
                let n = &p.nevra;
                format!(
                    "{} {} {} {} {}",
                    n.name, n.evr.epoch, n.evr.version, n.evr.release, n.arch
                )
            })
            .collect();
        assert_eq!(got, expected, "{what}");
    }
}

/// libsolv's buildtime is the later of issued and updated, or 0 for a form it cannot read
/// (Amazon's `YYYY-MM-DD HH:MM`, ISO `T…Z`), which we must still read.
fn check_against_libsolv(path: &Path, ours: &[Advisory]) {
    let oracle = oracle_json(path, "libsolv");
    let updates = oracle["updates"].as_array().unwrap();
    assert_eq!(ours.len(), updates.len(), "{}", path.display());
    for (ours, theirs) in ours.iter().zip(updates) {
        let what = format!("{} {}", path.display(), ours.id);
        assert_eq!(
            theirs["name"].as_str().unwrap(),
            format!("patch:{}", ours.id),
            "{what}"
        );
        assert_eq!(ours.kind.as_deref(), text(&theirs["type"]), "{what}");
        assert_eq!(
            ours.severity.as_deref(),
            text(&theirs["severity"]),
            "{what}"
        );
        let buildtime = theirs["buildtime"].as_i64().unwrap();
        let latest = ours.issued.max(ours.updated);
        if buildtime == 0 {
            assert!(
                latest.is_some(),
                "{what}: a date libsolv cannot read, nor can we"
            );
        } else {
            assert_eq!(latest, Some(buildtime), "{what}");
        }
        assert_references(ours, &theirs["references"], &what);
        let expected: Vec<String> = theirs["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}-{}.{}", p["name"], p["evr"], p["arch"]).replace('"', ""))
            .collect();
        let got: Vec<String> = ours.packages.iter().map(|p| p.nevra.to_string()).collect();
        assert_eq!(got, expected, "{what}");
    }
}

#[test]
fn every_real_updateinfo_matches_createrepo_c_and_libsolv() {
    let mut advisories = 0;
    let mut packages = 0;
    for name in UPDATEINFO {
        let path = fixture(name);
        let ours = updateinfo::read_updateinfo(&path).unwrap();
        check_against_createrepo_c(&path, &ours);
        check_against_libsolv(&path, &ours);
        advisories += ours.len();
        packages += ours.iter().map(|a| a.packages.len()).sum::<usize>();
    }
    // The MANIFEST's counts: 1+2+1+1+4+2+164+14+1+2 advisories.
    assert_eq!(advisories, 192);
    assert!(packages > 2_600, "{packages}");
}

#[test]
fn amazon_linux_2_advisory_fields_as_patch_manager_reads_them() {
    let ours = updateinfo::read_updateinfo(&fixture("amazon/updateinfo_1_item.xml.gz")).unwrap();
    let a = &ours[0];
    assert_eq!(a.id, "ALAS2-2018-939");
    assert_eq!(a.kind.as_deref(), Some("security"));
    assert_eq!(a.severity.as_deref(), Some("critical"));
    assert_eq!(a.issued, parse_metadata_date("2018-01-11 21:05"));
    assert_eq!(a.updated, parse_metadata_date("2018-01-16 01:28"));
    assert_eq!(a.updated, Some(1_516_066_080));
    assert_eq!(a.cves, ["CVE-2017-5754", "CVE-2017-5715"]);
    assert_eq!(a.packages.len(), 13);
    assert_eq!(
        a.packages[0].nevra.to_string(),
        "kernel-4.9.76-38.79.amzn2.x86_64"
    );
}

/// A collection naming two `<module>`s kept only the last (libdnf applies the collection when
/// any of them is active).
#[test]
fn collection_modules_are_shared_and_every_module_element_is_kept() {
    let ours = updateinfo::read_updateinfo(&fixture("libdnf-advisories/updateinfo.xml")).unwrap();
    let p = &ours[0].packages;
    let first = p[0].module.as_ref().unwrap();
    let names: Vec<(&str, &str)> = first
        .iter()
        .map(|m| (m.name.as_str(), m.stream.as_str()))
        .collect();
    assert_eq!(names, [("perl-DBI", "master"), ("non", "existing")]);
    assert_eq!(first[0].context.as_deref(), Some("2c"));
    assert!(std::sync::Arc::ptr_eq(first, p[1].module.as_ref().unwrap()));
    let third = p[2].module.as_ref().unwrap();
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].context.as_deref(), Some("2b"));
    assert_eq!(third[0].version, Some(2));
    assert_eq!(third[0].arch.as_deref(), Some("x86_64"));
}

/// `name epoch version release arch` rows of an oracle TSV, source packages left out.
fn tsv_binary_rows(path: &Path, tool: &str) -> Vec<String> {
    oracle_text(path, &format!("{tool}.tsv"))
        .lines()
        .skip(1)
        .filter(|l| !l.ends_with("\tsrc") && !l.ends_with("\tnosrc"))
        .map(|l| l.replace('\t', " "))
        .collect()
}

fn package_rows(packages: &[rpmmd::AvailablePackage]) -> Vec<String> {
    packages
        .iter()
        .map(|p| {
            let n = &p.nevra;
            format!(
                "{} {} {} {} {}",
                n.name, n.evr.epoch, n.evr.version, n.evr.release, n.arch
            )
        })
        .collect()
}

#[test]
fn real_primary_files_match_createrepo_c_and_libsolv_without_source_packages() {
    for (name, total) in [
        ("opensuse-11.0-update/repodata/primary.xml.gz", 2_430),
        ("suse-delta/repodata/primary.xml.gz", 162),
        ("opensuse-10.2-updates-subset/repodata/primary.xml.gz", 22),
    ] {
        let path = fixture(name);
        let ours = primary::read_primary_xml(&path).unwrap();
        let createrepo_c = tsv_binary_rows(&path, "createrepo_c");
        assert_eq!(package_rows(&ours), createrepo_c, "{name}");
        assert_eq!(
            package_rows(&ours),
            tsv_binary_rows(&path, "libsolv"),
            "{name}"
        );
        let all_rows = oracle_text(&path, "createrepo_c.tsv").lines().count() - 1;
        assert_eq!(all_rows, total, "{name}");
        assert!(ours.iter().all(|p| p.build_time.is_some()), "{name}");
    }
}

#[test]
fn opensuse_repository_reads_whole() {
    let repo = read_repository(&fixture("opensuse-11.0-update")).unwrap();
    assert_eq!(repo.packages.len(), 2_430 - 164);
    assert_eq!(repo.advisories.len(), 164);
    assert_eq!(repo.timestamp, Some(1_224_755_535));
    assert!(repo.modules.is_empty() && repo.module_defaults.is_empty());
    let first = &repo.packages[0];
    assert_eq!(
        first.nevra.to_string(),
        "autoyast2-installation-2.16.19-0.1.noarch"
    );
}

#[test]
fn real_repomd_files_list_their_data() {
    // Amazon Linux 2 lists only primary_db.
    for name in [
        "repomd-captures/amazon-linux-2-repomd_valid.xml",
        "repomd-captures/amazon-linux-2-claircore-test_repomd.xml",
    ] {
        let repomd = RepoMd::read(&fixture(name)).unwrap();
        assert!(repomd.primary().is_none(), "{name}");
        let db = repomd.primary_db().unwrap();
        assert!(db.href.contains("primary.sqlite."), "{name}: {}", db.href);
        assert!(repomd.updateinfo().is_some(), "{name}");
        assert!(db.timestamp.is_some() && db.checksum.is_some(), "{name}");
    }
    let fedora = RepoMd::read(&fixture("repomd-captures/fedora-35-repomd.xml")).unwrap();
    assert!(fedora.primary().is_some() && fedora.primary_db().is_some());
    let rocky = RepoMd::read(&fixture("rocky/repomd.xml")).unwrap();
    let ui = rocky.updateinfo().unwrap();
    assert_eq!(ui.checksum.as_ref().unwrap().algorithm, "sha256");
    assert_eq!(ui.checksum.as_ref().unwrap().value.len(), 64);
}

#[test]
fn every_real_repomd_matches_createrepo_c() {
    for name in [
        "repomd-captures/amazon-linux-2-repomd_valid.xml",
        "repomd-captures/amazon-linux-2-claircore-test_repomd.xml",
        "repomd-captures/fedora-35-repomd.xml",
        "rocky/repomd.xml",
        "libdnf-hawkey-yum/repodata/repomd.xml",
        "opensuse-11.0-update/repodata/repomd.xml",
        "opensuse-10.2-updates-subset/repodata/repomd.xml",
        "suse-delta/repodata/repomd.xml",
    ] {
        let path = fixture(name);
        let ours = RepoMd::read(&path).unwrap();
        let oracle = oracle_json(&path, "createrepo_c");
        assert_eq!(
            ours.revision.as_deref(),
            text(&oracle["revision"]),
            "{name}"
        );
        let records = oracle["records"].as_array().unwrap();
        assert_eq!(ours.data.len(), records.len(), "{name}");
        for (data, record) in ours.data.iter().zip(records) {
            assert_eq!(data.kind, record["type"].as_str().unwrap(), "{name}");
            assert_eq!(data.href, record["location"].as_str().unwrap(), "{name}");
            assert_eq!(data.timestamp, record["timestamp"].as_i64(), "{name}");
            let checksum = data.checksum.as_ref();
            assert_eq!(
                checksum.map(|c| c.value.as_str()),
                text(&record["checksum"]),
                "{name}"
            );
            assert_eq!(
                checksum.map(|c| c.algorithm.as_str()),
                text(&record["checksum_type"]),
                "{name}"
            );
        }
    }
}

// ---- bad input: each error names the file and says what is wrong ----

fn copy_repo(from: &Path, to: &Path) {
    fs::create_dir_all(to.join("repodata")).unwrap();
    for entry in fs::read_dir(from.join("repodata")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join("repodata").join(entry.file_name())).unwrap();
    }
}

fn assert_names(err: &RpmMdError, file: &str) {
    assert!(err.to_string().contains(file), "{err}");
}

#[test]
fn truncated_gzip_is_an_error_naming_file_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fs::read(fixture("opensuse-11.0-update/repodata/updateinfo.xml.gz")).unwrap();
    let path = dir.path().join("updateinfo.xml.gz");
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = updateinfo::read_updateinfo(&path).unwrap_err();
    assert!(matches!(err, RpmMdError::Read { .. }), "{err:?}");
    assert_names(&err, "updateinfo.xml.gz");
    assert!(err.to_string().contains("gzip"), "{err}");
}

#[test]
fn malformed_xml_is_located_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("updateinfo.xml");
    fs::write(
        &path,
        "<updates>\n<update type=\"security\">\n<id>X-1</id>\n</wrong>\n</updates>\n",
    )
    .unwrap();
    let err = updateinfo::read_updateinfo(&path).unwrap_err();
    let RpmMdError::Malformed { line, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*line, 4, "{err}");
    assert_names(&err, "updateinfo.xml");
}

#[test]
fn truncated_plain_xml_and_empty_files_are_errors_not_empty_results() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(fixture("rocky/updateinfo.xml")).unwrap();
    let path = dir.path().join("updateinfo.xml");
    fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = updateinfo::read_updateinfo(&path).unwrap_err();
    assert!(matches!(err, RpmMdError::Malformed { .. }), "{err:?}");
    let cut = text.find("</updates>").unwrap();
    fs::write(&path, &text[..cut]).unwrap();
    let err = updateinfo::read_updateinfo(&path).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    fs::write(&path, "").unwrap();
    assert_names(
        &updateinfo::read_updateinfo(&path).unwrap_err(),
        "updateinfo.xml",
    );
    fs::write(&path, "<metadata/>").unwrap();
    let err = updateinfo::read_updateinfo(&path).unwrap_err();
    assert!(err.to_string().contains("expected <updates>"), "{err}");
}

#[test]
fn missing_location_names_repomd_type_and_path() {
    let dir = tempfile::tempdir().unwrap();
    copy_repo(&fixture("suse-delta"), dir.path());
    fs::remove_file(dir.path().join("repodata/updateinfo.xml.gz")).unwrap();
    let err = read_repository(dir.path()).unwrap_err();
    assert!(matches!(err, RpmMdError::MissingLocation { .. }), "{err:?}");
    assert_names(&err, "repomd.xml");
    assert_names(&err, "updateinfo");
    assert_names(&err, "repodata/updateinfo.xml.gz");
}

#[test]
fn repomd_without_primary_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("repodata")).unwrap();
    fs::copy(
        fixture("rocky/repomd.xml"),
        dir.path().join("repodata/repomd.xml"),
    )
    .unwrap();
    let text = fs::read_to_string(dir.path().join("repodata/repomd.xml")).unwrap();
    let text = text.replace("type=\"primary\"", "type=\"not-primary\"");
    let text = text.replace("type=\"primary_db\"", "type=\"not-primary_db\"");
    fs::write(dir.path().join("repodata/repomd.xml"), text).unwrap();
    let err = read_repository(dir.path()).unwrap_err();
    assert!(matches!(err, RpmMdError::NoPrimary { .. }), "{err:?}");
    assert_names(&err, "repomd.xml");
}

#[test]
fn unknown_compression_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("primary.xml.gz");
    fs::write(&path, b"\x00\x01\x02\x03binary garbage").unwrap();
    let err = primary::read_primary_xml(&path).unwrap_err();
    assert!(matches!(err, RpmMdError::UnknownFormat { .. }), "{err:?}");
    assert_names(&err, "primary.xml.gz");
    fs::write(&path, b"\x1f\x9d\x90compress").unwrap();
    let err = primary::read_primary_xml(&path).unwrap_err();
    assert!(matches!(err, RpmMdError::Compress(_)), "{err:?}");
    assert_names(&err, "primary.xml.gz");
}

// ---- repositories made by createrepo_c/modifyrepo_c (repodata-fixtures/scripts/make-rpmmd-fixtures.sh)

fn generated(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("repodata-fixtures/rpmmd")
        .join(path)
}

#[test]
fn createrepo_c_repository_reads_packages_advisories_and_modules() {
    let repo = read_repository(&generated("tiny")).unwrap();
    assert_eq!(repo.revision.as_deref(), Some("42"));
    let mut names: Vec<String> = repo.packages.iter().map(|p| p.nevra.to_string()).collect();
    names.sort();
    // The three .src.rpm files are left out.
    assert_eq!(
        names,
        [
            "epochal-2:1.0-1.noarch",
            "hello-2.1-3.amzn2.noarch",
            "tool-0.9-7.el8.x86_64"
        ]
    );
    assert!(repo.packages.iter().all(|p| p.build_time.is_some()));

    let [security, bugfix] = &repo.advisories[..] else {
        panic!("{:?}", repo.advisories)
    };
    assert_eq!(security.id, "TEST-2024:0001");
    assert_eq!(security.title, "Important: hello & tool security update");
    assert_eq!(security.kind.as_deref(), Some("security"));
    assert_eq!(security.severity.as_deref(), Some("Important"));
    assert_eq!(security.issued, parse_metadata_date("2024-01-02 03:04:05"));
    assert_eq!(
        security.updated,
        parse_metadata_date("2024-01-05T06:07:08Z")
    );
    assert_eq!(security.cves, ["CVE-2024-0001"]);
    assert_eq!(security.bugzillas, ["1234"]);
    assert_eq!(security.packages[0].module, None);
    let module = &security.packages[1].module.as_deref().unwrap()[0];
    assert_eq!(module.name, "toolbox");
    assert_eq!(module.version, Some(8_090_020_240_101_000_000));
    assert_eq!(bugfix.severity, None);
    assert_eq!(bugfix.updated, None);
    assert_eq!(bugfix.packages[0].nevra.evr.epoch, 2);

    assert_eq!(repo.modules.len(), 2);
    assert_eq!(&repo.modules[0].id, module);
    let rpms: Vec<String> = repo.modules[0].rpms.iter().map(|n| n.to_string()).collect();
    assert_eq!(rpms, ["tool-0.9-7.el8.x86_64", "tool-0.9-7.el8.src"]);
    assert_eq!(repo.modules[1].id.stream, "2", "a bare YAML number");
    assert_eq!(repo.module_defaults.len(), 1);
    assert_eq!(repo.module_defaults[0].module, "toolbox");
    assert_eq!(repo.module_defaults[0].stream.as_deref(), Some("1.0"));
}

#[test]
fn primary_xml_and_primary_db_read_the_same() {
    let dir = generated("tiny");
    let repomd = RepoMd::read(&dir.join("repodata/repomd.xml")).unwrap();
    let repomd_path = dir.join("repodata/repomd.xml");
    let xml = primary::read_primary_xml(
        &repomd
            .primary()
            .unwrap()
            .local_path(&dir, &repomd_path, patchscan::repo::Place::Scanner)
            .unwrap(),
    )
    .unwrap();
    let db = primary::read_primary_db(
        &repomd
            .primary_db()
            .unwrap()
            .local_path(&dir, &repomd_path, patchscan::repo::Place::Scanner)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(xml.len(), 3);
    assert_eq!(xml, db);

    // A repository listing only primary_db, like every Amazon Linux 2 mirror.
    let copy = tempfile::tempdir().unwrap();
    copy_repo(&dir, copy.path());
    let path = copy.path().join("repodata/repomd.xml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("type=\"primary\"", "type=\"unused\"")).unwrap();
    let repo = read_repository(copy.path()).unwrap();
    assert_eq!(repo.packages, db);
}

#[test]
fn zstd_metadata_reads_like_gzip() {
    let gz = read_repository(&generated("tiny")).unwrap();
    let zst = read_repository(&generated("tiny-zstd")).unwrap();
    assert_eq!(gz.packages, zst.packages);
    assert_eq!(gz.advisories, zst.advisories);
}

#[test]
fn every_compression_is_read_by_content_whatever_the_name() {
    let expected = read_repository(&generated("tiny")).unwrap().advisories;
    let dir = generated("compression");
    let mut seen = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let ours = updateinfo::read_updateinfo(&path).unwrap();
        assert_eq!(ours, expected, "{}", path.display());
        seen += 1;
    }
    assert_eq!(seen, 8);
}
