//! `primary` (streamed XML) and `primary_db` (SQLite): every available package's NEVRA and
//! build time. Source packages are skipped.

use std::io::BufReader;
use std::path::Path;

use quick_xml::events::Event;

use super::RpmMdError;
use crate::repo::compress;
use crate::version::{Nevra, RpmEvr};

pub(super) fn xml_error(path: &Path, position: u64, e: impl std::fmt::Display) -> RpmMdError {
    RpmMdError::Xml {
        path: path.to_path_buf(),
        position,
        message: e.to_string(),
    }
}

/// Appends an entity reference (`&amp;`, `&#38;`) to captured text.
pub(super) fn push_ref(out: &mut String, r: &quick_xml::events::BytesRef<'_>) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(r) {
        out.push_str(s);
    }
}

pub(super) fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn parse_epoch(path: &Path, s: Option<&str>) -> Result<u64, RpmMdError> {
    match s.map(str::trim) {
        None | Some("") => Ok(0),
        Some(e) => e.parse().map_err(|_| RpmMdError::Invalid {
            path: path.to_path_buf(),
            message: format!("epoch {e:?} is not a number"),
        }),
    }
}

/// Streams primary.xml, calling `emit` for each binary package.
pub fn read_xml(path: &Path, emit: &mut dyn FnMut(Nevra, Option<i64>)) -> Result<(), RpmMdError> {
    let input = compress::open(path)?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, input));
    let mut buf = Vec::with_capacity(4096);
    let mut in_package = false;
    let mut capture: Option<&'static str> = None;
    let (mut name, mut arch, mut text) = (String::new(), String::new(), String::new());
    let mut evr: Option<RpmEvr> = None;
    let mut build: Option<i64> = None;
    let mut saw_root = false;
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(path, pos, e))?;
        match ev {
            Event::Start(e) => match e.name().as_ref() {
                "metadata" => saw_root = true,
                "package" => {
                    in_package = true;
                    name.clear();
                    arch.clear();
                    evr = None;
                    build = None;
                }
                "name" if in_package => {
                    capture = Some("name");
                    text.clear();
                }
                "arch" if in_package => {
                    capture = Some("arch");
                    text.clear();
                }
                // Provides, requires and file lists: most of the file, none of our business.
                "format" | "description" | "summary" if in_package => {
                    let end = e.to_end().into_owned();
                    let mut skip = Vec::new();
                    reader
                        .read_to_end_into(end.name(), &mut skip)
                        .map_err(|err| xml_error(path, pos, err))?;
                }
                _ => {}
            },
            Event::Empty(e) if in_package => match e.name().as_ref() {
                "version" => {
                    let epoch = parse_epoch(path, attr(&e, "epoch").as_deref())?;
                    evr = Some(RpmEvr::new(
                        epoch,
                        attr(&e, "ver").unwrap_or_default(),
                        attr(&e, "rel").unwrap_or_default(),
                    ));
                }
                "time" => build = attr(&e, "build").and_then(|b| b.trim().parse().ok()),
                _ => {}
            },
            Event::Text(t) if capture.is_some() => text.push_str(&t),
            Event::GeneralRef(r) if capture.is_some() => push_ref(&mut text, &r),
            Event::End(e) => match e.name().as_ref() {
                "name" if capture == Some("name") => {
                    name = text.trim().to_string();
                    capture = None;
                }
                "arch" if capture == Some("arch") => {
                    arch = text.trim().to_string();
                    capture = None;
                }
                "package" => {
                    in_package = false;
                    let Some(v) = evr.take() else {
                        return Err(RpmMdError::Invalid {
                            path: path.to_path_buf(),
                            message: format!("package {name:?} has no <version>"),
                        });
                    };
                    if name.is_empty() || arch.is_empty() {
                        return Err(RpmMdError::Invalid {
                            path: path.to_path_buf(),
                            message: "a <package> lacks <name> or <arch>".into(),
                        });
                    }
                    if arch != "src" && arch != "nosrc" {
                        emit(Nevra::new(name.clone(), v, arch.clone()), build);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_root {
        return Err(RpmMdError::Invalid {
            path: path.to_path_buf(),
            message: "no <metadata> element: not a primary.xml".into(),
        });
    }
    Ok(())
}

/// Reads `primary_db` (SQLite, usually bz2-compressed): decompressed to a temporary file.
pub fn read_db(path: &Path, emit: &mut dyn FnMut(Nevra, Option<i64>)) -> Result<(), RpmMdError> {
    let sql_err = |e: rusqlite::Error| RpmMdError::Sqlite {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let io_err = |source| RpmMdError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut input = compress::open(path)?;
    let mut tmp = tempfile::NamedTempFile::new().map_err(io_err)?;
    std::io::copy(&mut input, tmp.as_file_mut()).map_err(io_err)?;
    let conn = rusqlite::Connection::open_with_flags(
        tmp.path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql_err)?;
    let mut stmt = conn
        .prepare("SELECT name, arch, epoch, version, release, time_build FROM packages")
        .map_err(sql_err)?;
    let mut rows = stmt.query([]).map_err(sql_err)?;
    while let Some(row) = rows.next().map_err(sql_err)? {
        let get = |i: usize| -> Result<String, RpmMdError> {
            Ok(row
                .get::<_, Option<String>>(i)
                .map_err(sql_err)?
                .unwrap_or_default())
        };
        let (name, arch) = (get(0)?, get(1)?);
        if arch == "src" || arch == "nosrc" {
            continue;
        }
        let epoch = parse_epoch(path, Some(&get(2)?))?;
        let build: Option<i64> = row.get(5).ok();
        emit(
            Nevra::new(name, RpmEvr::new(epoch, get(3)?, get(4)?), arch),
            build,
        );
    }
    Ok(())
}
