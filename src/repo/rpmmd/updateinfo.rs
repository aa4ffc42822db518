//! `updateinfo.xml`, streamed: one [`Advisory`] at a time with the NEVRAs it lists.

use std::io::BufReader;
use std::path::Path;

use quick_xml::events::Event;

use super::date::parse_metadata_date;
use super::primary::{attr, push_ref, xml_error};
use super::RpmMdError;
use crate::repo::compress;
use crate::repo::index::Advisory;
use crate::version::{Nevra, RpmEvr};

#[derive(PartialEq, Eq, Clone, Copy)]
enum Field {
    Id,
    Title,
    Severity,
}

/// Streams an updateinfo file, calling `emit` with each notice and its package list.
pub fn read(path: &Path, emit: &mut dyn FnMut(Advisory, Vec<Nevra>)) -> Result<(), RpmMdError> {
    let input = compress::open(path)?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, input));
    let mut buf = Vec::with_capacity(4096);
    let mut depth = 0usize;
    let mut update_depth: Option<usize> = None;
    let mut adv = Advisory::default();
    let mut pkgs: Vec<Nevra> = Vec::new();
    let mut capture: Option<Field> = None;
    let mut text = String::new();
    let mut saw_root = false;
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(path, pos, e))?;
        let (start, empty) = match &ev {
            Event::Start(_) => (true, false),
            Event::Empty(_) => (true, true),
            _ => (false, false),
        };
        if start {
            let (Event::Start(e) | Event::Empty(e)) = &ev else {
                unreachable!()
            };
            let name = e.name();
            let name = name.as_ref();
            if !empty {
                depth += 1;
            }
            match (name, update_depth) {
                ("updates", _) => saw_root = true,
                ("update", None) => {
                    update_depth = Some(depth);
                    adv = Advisory {
                        kind: attr(e, "type").unwrap_or_default(),
                        ..Default::default()
                    };
                    pkgs.clear();
                }
                ("id" | "title" | "severity", Some(d)) if depth == d + 1 && !empty => {
                    capture = Some(match name {
                        "id" => Field::Id,
                        "title" => Field::Title,
                        _ => Field::Severity,
                    });
                    text.clear();
                }
                ("issued", Some(_)) => {
                    adv.issued = attr(e, "date").as_deref().and_then(parse_metadata_date)
                }
                ("updated", Some(_)) => {
                    adv.updated = attr(e, "date").as_deref().and_then(parse_metadata_date)
                }
                ("reference", Some(_)) => {
                    let id = attr(e, "id").unwrap_or_default();
                    match attr(e, "type").as_deref() {
                        Some("cve") if !id.is_empty() => adv.cves.push(id),
                        Some("bugzilla") if !id.is_empty() => adv.bugzillas.push(id),
                        _ => {}
                    }
                }
                ("package", Some(_)) => {
                    let name = attr(e, "name").unwrap_or_default();
                    let arch = attr(e, "arch").unwrap_or_default();
                    let epoch = match attr(e, "epoch").as_deref().map(str::trim) {
                        None | Some("") => 0,
                        Some(s) => s.parse().map_err(|_| RpmMdError::Invalid {
                            path: path.to_path_buf(),
                            message: format!(
                                "{}: package {name}: epoch {s:?} is not a number",
                                adv.id
                            ),
                        })?,
                    };
                    let version = attr(e, "version").unwrap_or_default();
                    let release = attr(e, "release").unwrap_or_default();
                    if name.is_empty() || version.is_empty() || arch.is_empty() {
                        return Err(RpmMdError::Invalid {
                            path: path.to_path_buf(),
                            message: format!("{}: a <package> lacks name, version or arch", adv.id),
                        });
                    }
                    if arch != "src" {
                        pkgs.push(Nevra::new(name, RpmEvr::new(epoch, version, release), arch));
                    }
                }
                _ => {}
            }
        } else {
            match ev {
                Event::Text(t) if capture.is_some() => text.push_str(&t),
                Event::GeneralRef(r) if capture.is_some() => push_ref(&mut text, &r),
                Event::CData(c) if capture.is_some() => {
                    text.push_str(&c.into_inner());
                }
                Event::End(e) => {
                    if let Some(field) = capture.take() {
                        let value = text.trim().to_string();
                        match field {
                            Field::Id => adv.id = value,
                            Field::Title => adv.title = value,
                            Field::Severity => adv.severity = (!value.is_empty()).then_some(value),
                        }
                    }
                    if e.name().as_ref() == "update" && update_depth == Some(depth) {
                        update_depth = None;
                        if adv.id.is_empty() {
                            return Err(RpmMdError::Invalid {
                                path: path.to_path_buf(),
                                message: "an <update> has no <id>".into(),
                            });
                        }
                        emit(std::mem::take(&mut adv), std::mem::take(&mut pkgs));
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        buf.clear();
    }
    if !saw_root {
        return Err(RpmMdError::Invalid {
            path: path.to_path_buf(),
            message: "no <updates> element: not an updateinfo file".into(),
        });
    }
    if update_depth.is_some() {
        return Err(RpmMdError::Invalid {
            path: path.to_path_buf(),
            message: "file ends inside an <update> (truncated?)".into(),
        });
    }
    Ok(())
}
