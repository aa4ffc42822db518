//! Shared plumbing for the streaming XML readers: opening (decompressing, refusing binary),
//! text collection with entity resolution, attributes, and errors that carry a line number.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::QName;
use quick_xml::Reader;

use super::lean::Attrs;
use super::RpmMdError;
use crate::files::compress;

/// Decompressed-side buffer: big enough that the parser rarely waits on the decoder.
const BUFFER: usize = 256 * 1024;

/// A streaming XML reader over one (possibly compressed) metadata file.
pub(crate) struct XmlFile {
    /// The file, for errors.
    pub path: PathBuf,
    /// The parser; read through [`XmlFile::next`] (or directly to skip a subtree).
    pub reader: Reader<BufReader<Box<dyn Read + Send>>>,
    /// The expected root element.
    root: &'static str,
    root_seen: bool,
    /// Elements open now.
    depth: usize,
}

impl XmlFile {
    /// Opens `path`, decompressing by magic, and checks that the content starts like XML
    /// whose root element will be `root`.
    pub fn open(path: &Path, root: &'static str) -> Result<XmlFile, RpmMdError> {
        let source = compress::open(path)?;
        let mut input = BufReader::with_capacity(BUFFER, source);
        let head = input.fill_buf().map_err(|source| RpmMdError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        if let Some(&first) = text.iter().find(|b| !b.is_ascii_whitespace()) {
            if first != b'<' {
                return Err(RpmMdError::UnknownFormat {
                    path: path.to_path_buf(),
                    head: head.iter().take(8).map(|b| format!("{b:02x}")).collect(),
                });
            }
        }
        let mut reader = Reader::from_reader(input);
        // Keep whitespace as is (trimming eats spaces next to entities); `<a/>` stays one
        // `Empty` event, which the readers treat like `Start` without content.
        reader.config_mut().trim_text(false);
        Ok(XmlFile {
            path: path.to_path_buf(),
            reader,
            root,
            root_seen: false,
            depth: 0,
        })
    }

    /// The next event and the depth of the element it opens or closes (0 = the root).
    ///
    /// Checks the root element's name, and at the end that the document had one and closed
    /// it, so an empty or truncated file is an error, never an empty result.
    pub fn next<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<(Event<'b>, usize), RpmMdError> {
        buf.clear();
        let event = self
            .reader
            .read_event_into(buf)
            .map_err(|e| self.syntax_error(e))?;
        let depth = self.depth;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                if !self.root_seen {
                    let found = e.name();
                    if local(found.as_ref()) != self.root {
                        return Err(self.malformed(format!(
                            "the root element is <{}>, expected <{}>",
                            found.as_ref(),
                            self.root
                        )));
                    }
                    self.root_seen = true;
                }
                if matches!(event, Event::Start(_)) {
                    self.depth += 1;
                }
            }
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                return Ok((event, self.depth));
            }
            Event::Eof if !self.root_seen => {
                return Err(
                    self.malformed(format!("no <{}> element: the file is empty", self.root))
                );
            }
            Event::Eof if self.depth > 0 => {
                return Err(self.malformed(format!(
                    "the document ends inside <{}>: the file is truncated",
                    self.root
                )));
            }
            _ => {}
        }
        Ok((event, depth))
    }

    /// Skips to the end of the element `name` just opened by [`XmlFile::next`], without
    /// producing its events.
    pub fn skip_subtree(&mut self, name: &str, scratch: &mut Vec<u8>) -> Result<(), RpmMdError> {
        scratch.clear();
        self.reader
            .read_to_end_into(QName(name), scratch)
            .map_err(|e| self.syntax_error(e))?;
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }

    /// The error for a parser failure, located at the parser's error position.
    pub fn syntax_error(&self, error: quick_xml::Error) -> RpmMdError {
        match error {
            quick_xml::Error::Io(source) => RpmMdError::Read {
                path: self.path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            other => self.malformed_at(self.reader.error_position(), other.to_string()),
        }
    }

    /// The error for content that is well-formed but wrong, at the current position.
    pub fn malformed(&self, reason: impl Into<String>) -> RpmMdError {
        self.malformed_at(self.reader.buffer_position(), reason.into())
    }

    fn malformed_at(&self, offset: u64, reason: String) -> RpmMdError {
        let (line, column) = locate(&self.path, offset).unwrap_or((0, 0));
        RpmMdError::Malformed {
            path: self.path.clone(),
            offset,
            line,
            column,
            reason,
        }
    }

    /// An attribute's value with entities resolved.
    pub fn value<'a>(&self, attr: &Attribute<'a>) -> Result<Cow<'a, str>, RpmMdError> {
        attr.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| self.malformed(format!("attribute {}: {e}", attr.key.as_ref())))
    }

    /// The attributes of `element` (duplicates are not checked: they would only repeat a
    /// value, and checking costs ~3% of the time).
    pub fn attrs<'f, 'a>(&'f self, element: &'a BytesStart<'a>) -> TagAttrs<'f, 'a> {
        let mut inner = element.attributes();
        inner.with_checks(false);
        TagAttrs { file: self, inner }
    }

    /// Appends the text of an entity or character reference (`&amp;`, `&#39;`) to `out`;
    /// an undeclared entity is an error (kept as written, it would name a package no one has).
    pub fn push_reference(
        &self,
        reference: &BytesRef<'_>,
        out: &mut String,
    ) -> Result<(), RpmMdError> {
        match reference.resolve_char_ref() {
            Ok(Some(c)) => out.push(c),
            Ok(None) => {
                let name = reference.xml10_content();
                match quick_xml::escape::resolve_predefined_entity(&name) {
                    Some(text) => out.push_str(text),
                    None => {
                        return Err(self.malformed(format!(
                            "undeclared entity &{name}; (only XML's five predefined entities \
                             and character references are defined here; dnf's parser refuses \
                             it too)"
                        )))
                    }
                }
            }
            Err(e) => return Err(self.malformed(format!("bad character reference: {e}"))),
        }
        Ok(())
    }
}

/// The attributes of one start tag read by quick-xml (see [`Attrs`]).
pub(crate) struct TagAttrs<'f, 'a> {
    file: &'f XmlFile,
    inner: quick_xml::events::attributes::Attributes<'a>,
}

impl<'a> Attrs<'a> for TagAttrs<'_, 'a> {
    type Raw = Attribute<'a>;
    type Err = RpmMdError;
    fn next_attr(&mut self) -> Option<Result<(&'a str, Attribute<'a>), RpmMdError>> {
        let attr = self.inner.next()?;
        Some(
            attr.map(|a| (a.key.0, a))
                .map_err(|e| self.file.malformed(format!("bad attribute: {e}"))),
        )
    }
    fn value(&self, raw: &Attribute<'a>) -> Result<Cow<'a, str>, RpmMdError> {
        self.file.value(raw)
    }
    fn malformed(&self, reason: &str) -> RpmMdError {
        self.file.malformed(reason)
    }
}

/// The local part of a possibly prefixed name (`rpm:entry` → `entry`).
pub(crate) fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

/// Appends text-like events to `out`; returns whether `event` was one.
pub(crate) fn push_text(
    file: &XmlFile,
    event: &Event<'_>,
    out: &mut String,
) -> Result<bool, RpmMdError> {
    match event {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => file.push_reference(r, out)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// The 1-based line and column of byte `offset` in the decompressed content of `path`.
/// Only called on the error path, so reading the file again costs nothing in the common case.
fn locate(path: &Path, offset: u64) -> Option<(u64, u64)> {
    let mut input = BufReader::new(compress::open(path).ok()?);
    let (mut line, mut line_start, mut at) = (1u64, 0u64, 0u64);
    while at < offset {
        let chunk = input.fill_buf().ok()?;
        if chunk.is_empty() {
            break;
        }
        let take = chunk
            .len()
            .min(usize::try_from(offset - at).unwrap_or(usize::MAX));
        for (i, b) in chunk[..take].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = at + i as u64 + 1;
            }
        }
        at += take as u64;
        input.consume(take);
    }
    Some((line, offset - line_start + 1))
}
