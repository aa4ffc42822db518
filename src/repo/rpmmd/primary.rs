//! primary metadata: the packages a repository offers, as `primary.xml` or as the
//! `primary_db` SQLite database.

use std::io;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use super::xml::{local, push_text, XmlFile};
use super::{AvailablePackage, RpmMdError};
use crate::repo::compress::{self, Compression};
use crate::version::rpm::{Nevra, RpmEvr};

/// Source package architectures: never installable, so never candidates.
pub fn is_source_arch(arch: &str) -> bool {
    arch == "src" || arch == "nosrc"
}

/// The fields of the `<package>` being read.
#[derive(Default)]
struct PackageFields {
    name: String,
    arch: String,
    evr: Option<RpmEvr>,
    build_time: Option<i64>,
}

/// Which child's text is being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collecting {
    Nothing,
    Name,
    Arch,
}

/// Reads a primary.xml file (compressed or not) as a stream: binary packages with their
/// build time, in file order.
pub fn read_primary_xml(path: &Path) -> Result<Vec<AvailablePackage>, RpmMdError> {
    // Fast path: `<format>` blocks dropped before parsing. Should it fail, the full parse
    // runs, so an error carries exact positions (and anything the filter got wrong shows).
    match parse_primary_xml(path, true) {
        Ok(packages) => Ok(packages),
        Err(_) => parse_primary_xml(path, false),
    }
}

fn parse_primary_xml(path: &Path, strip_format: bool) -> Result<Vec<AvailablePackage>, RpmMdError> {
    let mut file = XmlFile::open_with(path, "metadata", strip_format)?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut skip = Vec::new();
    let mut packages = Vec::new();
    let mut current: Option<PackageFields> = None;
    let mut collecting = Collecting::Nothing;
    loop {
        let (event, depth) = file.next(&mut buf)?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let is_start = matches!(event, Event::Start(_));
                let qname = e.name();
                let name = local(qname.as_ref());
                if depth == 1 && name == "package" {
                    current = Some(PackageFields::default());
                } else if let (2, Some(fields)) = (depth, current.as_mut()) {
                    match name {
                        "name" if is_start => collecting = Collecting::Name,
                        "arch" if is_start => collecting = Collecting::Arch,
                        "version" => fields.evr = Some(version_attributes(&file, e)?),
                        "time" => fields.build_time = build_time(&file, e)?,
                        "format" if is_start => {
                            // requires/provides/files: the bulk of the file, none of it needed.
                            file.skip_subtree(qname.as_ref(), &mut skip)?;
                        }
                        _ => {}
                    }
                }
            }
            Event::End(e) => {
                if depth == 1 && local(e.name().as_ref()) == "package" {
                    if let Some(fields) = current.take() {
                        if let Some(package) = finish_package(&file, fields)? {
                            packages.push(package);
                        }
                    }
                }
                collecting = Collecting::Nothing;
            }
            Event::Eof => break,
            other => {
                let target = match (collecting, current.as_mut()) {
                    (Collecting::Name, Some(f)) => &mut f.name,
                    (Collecting::Arch, Some(f)) => &mut f.arch,
                    _ => continue,
                };
                push_text(&file, other, target)?;
            }
        }
    }
    Ok(packages)
}

/// `<version epoch ver rel/>`.
fn version_attributes(file: &XmlFile, element: &BytesStart) -> Result<RpmEvr, RpmMdError> {
    let (mut epoch, mut version, mut release) = (0, None, String::new());
    for attr in file.attributes(element) {
        let attr = attr?;
        match attr.key.as_ref() {
            "epoch" => {
                epoch = parse_epoch(&file.value(&attr)?)
                    .ok_or_else(|| file.malformed("epoch is not a number"))?
            }
            "ver" => version = Some(file.value(&attr)?.into_owned()),
            "rel" => release = file.value(&attr)?.into_owned(),
            _ => {}
        }
    }
    let version = version.ok_or_else(|| file.malformed("<version> without ver"))?;
    Ok(RpmEvr::new(epoch, version, release))
}

/// An epoch as metadata writes it: digits, or empty/absent for 0.
pub(crate) fn parse_epoch(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        Some(0)
    } else {
        text.parse().ok()
    }
}

/// `<time build=…>`; a missing or non-numeric build time is `None`.
fn build_time(file: &XmlFile, element: &BytesStart) -> Result<Option<i64>, RpmMdError> {
    for attr in file.attributes(element) {
        let attr = attr?;
        if attr.key.as_ref() == "build" {
            return Ok(file.value(&attr)?.trim().parse().ok());
        }
    }
    Ok(None)
}

/// A complete `<package>`, or `None` for a source package.
fn finish_package(
    file: &XmlFile,
    fields: PackageFields,
) -> Result<Option<AvailablePackage>, RpmMdError> {
    let name = fields.name.trim();
    let arch = fields.arch.trim();
    if name.is_empty() || arch.is_empty() {
        return Err(file.malformed("<package> without <name> or <arch>"));
    }
    let evr = fields
        .evr
        .ok_or_else(|| file.malformed(format!("package {name} has no <version>")))?;
    if is_source_arch(arch) {
        return Ok(None);
    }
    Ok(Some(AvailablePackage {
        nevra: Nevra::new(name, evr, arch),
        build_time: fields.build_time,
    }))
}

/// Reads a `primary_db` database (`primary.sqlite`, usually bz2- or xz-compressed): binary
/// packages from table `packages`, in `pkgKey` order.
///
/// SQLite reads only files, so compressed databases are decompressed to a temporary file
/// that is removed afterwards.
pub fn read_primary_db(path: &Path) -> Result<Vec<AvailablePackage>, RpmMdError> {
    let read_err = |source| RpmMdError::Read {
        path: path.to_path_buf(),
        source,
    };
    let (format, mut reader) = compress::open_detected(path)?;
    let temporary;
    let db_path = if format == Compression::Plain {
        path.to_path_buf()
    } else {
        temporary = tempfile::NamedTempFile::new().map_err(read_err)?;
        let mut out = io::BufWriter::new(temporary.as_file());
        io::copy(&mut reader, &mut out).map_err(read_err)?;
        drop(out);
        temporary.path().to_path_buf()
    };
    drop(reader);
    let sqlite_err = |source| RpmMdError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let db = rusqlite::Connection::open_with_flags(
        &db_path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_err)?;
    let mut statement = db
        .prepare(
            "SELECT name, arch, epoch, version, release, time_build FROM packages \
             ORDER BY pkgKey",
        )
        .map_err(sqlite_err)?;
    let mut rows = statement.query([]).map_err(sqlite_err)?;
    let mut packages = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_err)? {
        let text = |i| row.get::<_, Option<String>>(i);
        let (name, arch) = (text(0).map_err(sqlite_err)?, text(1).map_err(sqlite_err)?);
        let (epoch, version) = (text(2).map_err(sqlite_err)?, text(3).map_err(sqlite_err)?);
        let release = text(4).map_err(sqlite_err)?.unwrap_or_default();
        let build_time: Option<i64> = row.get(5).map_err(sqlite_err)?;
        let (Some(name), Some(arch), Some(version)) = (name, arch, version) else {
            return Err(sqlite_err(rusqlite::Error::InvalidColumnType(
                0,
                "packages row without name, arch or version".into(),
                rusqlite::types::Type::Null,
            )));
        };
        if is_source_arch(&arch) {
            continue;
        }
        let epoch = parse_epoch(epoch.as_deref().unwrap_or("")).ok_or_else(|| {
            sqlite_err(rusqlite::Error::InvalidColumnType(
                2,
                format!("epoch of {name} is not a number"),
                rusqlite::types::Type::Text,
            ))
        })?;
        packages.push(AvailablePackage {
            nevra: Nevra::new(name, RpmEvr::new(epoch, version, release), arch),
            build_time,
        });
    }
    Ok(packages)
}

#[cfg(test)]
mod strip_tests {
    use super::*;

    #[test]
    fn fast_path_reads_real_primaries_like_the_full_parse() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("repodata-fixtures/beds");
        let mut checked = 0;
        for repo in [
            "host-a/repos/amazonlinux",
            "host-b/repos/baseos",
            "host-b/repos/appstream",
        ] {
            let dir = root.join(repo).join("repodata");
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if !path.to_string_lossy().contains("primary.xml") {
                    continue;
                }
                let fast = parse_primary_xml(&path, true).expect("fast path");
                let full = parse_primary_xml(&path, false).expect("full parse");
                assert_eq!(fast, full, "{}", path.display());
                assert!(!fast.is_empty());
                checked += 1;
            }
        }
        assert_eq!(checked, 3);
    }
}
