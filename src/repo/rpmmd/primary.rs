//! primary metadata: the packages a repository offers, as `primary.xml` or as the
//! `primary_db` SQLite database.

use std::borrow::Cow;
use std::io;
use std::path::Path;

use memchr::memmem;
use quick_xml::events::Event;

use super::lean::{self, Attrs, Bail, Lean, Token, Tokens};
use super::xml::{local, push_text, XmlFile};
use super::{AvailablePackage, RpmMdError};
use crate::files::compress;
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
    // Fast path: the lean reader (see `lean`), which jumps over `<format>` blocks (provides,
    // requires, file lists: most of a real primary.xml, none of it needed). When it gives up,
    // the full parse runs: it reads what the lean reader does not, and its errors carry
    // exact positions.
    match lean_primary_xml(path) {
        Ok(packages) => Ok(packages),
        Err(Bail) => parse_primary_xml(path),
    }
}

/// primary.xml through the lean reader: the same packages as [`parse_primary_xml`], or
/// [`Bail`]. Like the full parse, it does not look inside `<format>` blocks.
fn lean_primary_xml(path: &Path) -> Lean<Vec<AvailablePackage>> {
    let format = memmem::Finder::new(b"format");
    lean::read_children(path, "metadata", "package", |element| {
        lean_package(element, &format)
    })
}

/// One `<package>…</package>` element.
fn lean_package(element: &str, format: &memmem::Finder<'_>) -> Lean<Option<AvailablePackage>> {
    let mut tokens = Tokens::new(element);
    match tokens.next()? {
        Some(Token::Start {
            name, empty: false, ..
        }) if lean::local(name) == "package" => {}
        _ => return Err(Bail),
    }
    let mut name: Option<Cow<'_, str>> = None;
    let mut arch: Option<Cow<'_, str>> = None;
    let mut evr = None;
    let mut build_time = None;
    while let Some(token) = tokens.next_tag()? {
        let Token::Start {
            name: tag,
            attrs,
            empty,
        } = token
        else {
            continue; // text is checked by the tokeniser; nesting too
        };
        // 1: a child of <package>.
        if tokens.depth() - usize::from(!empty) != 1 {
            continue;
        }
        let local = lean::local(tag);
        if local == "format" && !empty {
            // The full parse skips the subtree too. With attributes, or written
            // `<rpm:format>`, the end tag is another one: leave those to the full parse.
            if tag != "format" || !attrs.is_empty() {
                return Err(Bail);
            }
            tokens.skip_element(format)?;
            continue;
        }
        // Most children hold only text: one step for the element.
        let leaf = if empty { None } else { tokens.leaf_text(tag)? };
        match local {
            field @ ("name" | "arch") if !empty => {
                let target = if field == "name" {
                    &mut name
                } else {
                    &mut arch
                };
                if let Some(raw) = leaf {
                    append(target, lean::text(raw)?);
                    continue;
                }
                loop {
                    match tokens.next()? {
                        Some(Token::Text(raw)) => append(target, lean::text(raw)?),
                        Some(Token::End { .. }) => break,
                        _ => return Err(Bail),
                    }
                }
            }
            "version" => evr = Some(version_attributes(lean::attributes(attrs))?),
            "time" => build_time = build_time_attribute(lean::attributes(attrs))?,
            _ => {}
        }
    }
    let fields = PackageFields {
        name: name.map(Cow::into_owned).unwrap_or_default(),
        arch: arch.map(Cow::into_owned).unwrap_or_default(),
        evr,
        build_time,
    };
    finish_fields(fields).map_err(|_| Bail)
}

/// Appends collected text, borrowing while there is only one piece.
fn append<'a>(target: &mut Option<Cow<'a, str>>, text: Cow<'a, str>) {
    match target {
        None => *target = Some(text),
        Some(have) => have.to_mut().push_str(&text),
    }
}

/// primary.xml through quick-xml, every event checked.
fn parse_primary_xml(path: &Path) -> Result<Vec<AvailablePackage>, RpmMdError> {
    let mut file = XmlFile::open(path, "metadata")?;
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
                        "version" => fields.evr = Some(version_attributes(file.attrs(e))?),
                        "time" => fields.build_time = build_time_attribute(file.attrs(e))?,
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
fn version_attributes<'a, A: Attrs<'a>>(mut attrs: A) -> Result<RpmEvr, A::Err> {
    let (mut epoch, mut version, mut release) = (0, None, Cow::Borrowed(""));
    while let Some(attr) = attrs.next_attr() {
        let (key, raw) = attr?;
        match key {
            "epoch" => {
                epoch = parse_epoch(&attrs.value(&raw)?)
                    .ok_or_else(|| attrs.malformed("epoch is not a number"))?
            }
            "ver" => version = Some(attrs.value(&raw)?),
            "rel" => release = attrs.value(&raw)?,
            _ => {}
        }
    }
    let version = version.ok_or_else(|| attrs.malformed("<version> without ver"))?;
    Ok(RpmEvr::new(epoch, version, release))
}

pub(crate) use crate::version::rpm::parse_epoch_or_zero as parse_epoch;

/// `<time build=…>`; a missing or non-numeric build time is `None`.
fn build_time_attribute<'a, A: Attrs<'a>>(mut attrs: A) -> Result<Option<i64>, A::Err> {
    while let Some(attr) = attrs.next_attr() {
        let (key, raw) = attr?;
        if key == "build" {
            return Ok(attrs.value(&raw)?.trim().parse().ok());
        }
    }
    Ok(None)
}

/// A complete `<package>`, or `None` for a source package.
fn finish_package(
    file: &XmlFile,
    fields: PackageFields,
) -> Result<Option<AvailablePackage>, RpmMdError> {
    finish_fields(fields).map_err(|reason| file.malformed(reason))
}

/// A complete `<package>`, `None` for a source package, or what is wrong with it.
fn finish_fields(fields: PackageFields) -> Result<Option<AvailablePackage>, String> {
    let name = fields.name.trim();
    let arch = fields.arch.trim();
    if name.is_empty() || arch.is_empty() {
        return Err("<package> without <name> or <arch>".into());
    }
    let evr = fields
        .evr
        .ok_or_else(|| format!("package {name} has no <version>"))?;
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
/// The database (decompressed when it is compressed, within the metadata limit) is read into
/// sqlite's memory and opened there: sqlite never opens a file of a repository by name (a
/// host root's cache could link its side files out of the root), and `packages` must be a
/// table, as createrepo writes it (a view could make the query compute without bound).
pub fn read_primary_db(path: &Path) -> Result<Vec<AvailablePackage>, RpmMdError> {
    let read_err = |source| RpmMdError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut compress::open(path)?, &mut bytes).map_err(read_err)?;
    let sqlite_err = |source| RpmMdError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let db = crate::sqlite::open_bytes(&bytes).map_err(sqlite_err)?;
    drop(bytes);
    let kind = crate::sqlite::object_type(&db, "packages").map_err(sqlite_err)?;
    if kind.as_deref() != Some("table") {
        let found = kind.map_or("no `packages` table".to_string(), |k| {
            format!("`packages` is a {k}, not a table as createrepo writes it")
        });
        return Err(RpmMdError::Schema {
            path: path.to_path_buf(),
            what: found,
        });
    }
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
mod lean_tests {
    use super::*;
    use crate::repo::rpmmd::lean::testing::{check_edits, fixture_files};

    #[test]
    fn lean_reader_takes_every_real_primary_and_agrees_with_the_full_parse() {
        let files = fixture_files("primary.xml");
        assert!(files.len() >= 8, "{files:?}");
        for path in files {
            let lean = lean_primary_xml(&path)
                .unwrap_or_else(|_| panic!("lean reader gave up on {}", path.display()));
            assert_eq!(
                lean,
                parse_primary_xml(&path).unwrap(),
                "{}",
                path.display()
            );
            assert!(!lean.is_empty());
        }
    }

    #[test]
    fn lean_reader_never_accepts_what_the_full_parse_reads_differently() {
        // Edits inside a `<format>` block are not compared: neither reader looks there.
        let gz = fixture_files("primary.xml.gz")
            .into_iter()
            .find(|p| p.to_string_lossy().contains("host-a/repos/amazonlinux"))
            .unwrap();
        let mut xml = Vec::new();
        io::Read::read_to_end(&mut compress::open(&gz).unwrap(), &mut xml).unwrap();
        let inside_format = |at: usize| {
            let (open, close) = (&b"<format>"[..], &b"</format>"[..]);
            let last_open = memmem::rfind(&xml[..at], open);
            let last_close = memmem::rfind(&xml[..at], close);
            last_open.is_some_and(|o| o + open.len() <= at && last_close.is_none_or(|c| c < o))
        };
        let (accepted, refused) = check_edits(
            &xml,
            4000,
            lean_primary_xml,
            parse_primary_xml,
            inside_format,
        );
        assert!(
            accepted > 400 && refused > 400,
            "{accepted} accepted, {refused} refused"
        );
    }
}
