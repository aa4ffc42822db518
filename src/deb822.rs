//! deb822 control paragraphs — the format of dpkg's `status`, apt's `Packages`, `Release` and
//! `.sources` files — read zero-copy from a byte buffer.
//!
//! A paragraph is a run of `Name: value` lines; a line starting with a space or TAB continues
//! the previous field; blank (or whitespace-only) lines separate paragraphs. Values are bytes:
//! real archives carry non-UTF-8 descriptions and maintainer names, and only the fields a
//! caller needs are ever decoded. Field names compare case-insensitively, as dpkg and apt do.
//!
//! Our own reader (see docs/dependencies.md): `debian-packaging` rejects TAB continuation
//! lines and pulls ~200 crates; this one reads a 50 MB `Packages` in a few tens of ms.

use memchr::memchr;

/// A line the reader could not make sense of, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SyntaxError {
    /// 1-based line number in the buffer.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One `Name: value` field; the value spans its continuation lines.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    name: &'a [u8],
    value: &'a [u8],
    line: usize,
}

impl<'a> Field<'a> {
    /// The field name as written.
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The value: the rest of the first line (leading and trailing blanks removed) and, for a
    /// multi-line field, the continuation lines as written (newlines included).
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The 1-based line the field starts on.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The value's first line.
    pub fn first_line(&self) -> &'a [u8] {
        match memchr(b'\n', self.value) {
            Some(i) => trim(&self.value[..i]),
            None => self.value,
        }
    }

    /// The value's lines, each trimmed; empty lines (and a continuation line of just `.`)
    /// are skipped. This is how list-valued fields (`Conffiles`, the checksum lists of a
    /// `Release`, multi-line `Suites:` in a `.sources` file) read.
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> {
        self.value
            .split(|&b| b == b'\n')
            .map(trim)
            .filter(|l| !l.is_empty() && *l != b".")
    }

    /// Whitespace-separated words over all lines (`Architectures`, `Components`, `Suites`).
    pub fn words(&self) -> impl Iterator<Item = &'a [u8]> {
        self.value
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
    }
}

/// Removes leading and trailing spaces, TABs and carriage returns.
pub fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
        s = rest;
    }
    s
}

/// One paragraph (stanza).
#[derive(Debug, Clone, Default)]
pub struct Paragraph<'a> {
    line: usize,
    fields: Vec<Field<'a>>,
}

impl<'a> Paragraph<'a> {
    /// The 1-based line the paragraph starts on.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The fields in file order.
    pub fn fields(&self) -> &[Field<'a>] {
        &self.fields
    }

    /// The first field named `name` (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&Field<'a>> {
        let name = name.as_bytes();
        self.fields
            .iter()
            .find(|f| f.name.len() == name.len() && f.name.eq_ignore_ascii_case(name))
    }

    /// The value of the first field named `name`.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.field(name).map(|f| f.value)
    }

    /// Whether the paragraph has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// Reads paragraphs one after another from a buffer.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    /// The 1-based number of the line at `pos`.
    line: usize,
    comments: bool,
    keep: Option<&'static [&'static str]>,
}

impl<'a> Reader<'a> {
    /// A reader of `data` (status, Packages, Release: no comment lines).
    pub fn new(data: &'a [u8]) -> Self {
        Reader {
            data,
            pos: 0,
            line: 1,
            comments: false,
            keep: None,
        }
    }

    /// A reader that skips `#` comment lines, as apt does in `.sources` files.
    pub fn with_comments(data: &'a [u8]) -> Self {
        Reader {
            comments: true,
            ..Reader::new(data)
        }
    }

    /// The 1-based number of the next unread line.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Keep only the fields named here (case-insensitive) in the paragraphs read: every line
    /// is still checked, but the others are not stored. For large indexes of which a caller
    /// needs a few fields.
    pub fn keep_only(mut self, names: &'static [&'static str]) -> Self {
        self.keep = Some(names);
        self
    }

    fn kept(&self, name: &[u8]) -> bool {
        self.keep.is_none_or(|names| {
            names
                .iter()
                .any(|n| n.len() == name.len() && n.as_bytes().eq_ignore_ascii_case(name))
        })
    }

    /// The error for a line that should be a field but is not one.
    fn field_error(line: &[u8], line_no: usize) -> SyntaxError {
        match memchr(b':', line) {
            None => SyntaxError {
                line: line_no,
                message: format!(
                    "expected `Field: value`, found {:?}",
                    String::from_utf8_lossy(&line[..line.len().min(60)])
                ),
            },
            Some(colon) => SyntaxError {
                line: line_no,
                message: format!(
                    "invalid field name {:?}",
                    String::from_utf8_lossy(&line[..colon])
                ),
            },
        }
    }

    /// Reads the next paragraph into `para` (reusing its storage); `false` at the end.
    pub fn read_into(&mut self, para: &mut Paragraph<'a>) -> Result<bool, SyntaxError> {
        para.fields.clear();
        para.line = 0;
        let data = self.data;
        // Whether a field line was seen, and whether the last one was stored.
        let (mut started, mut last_kept) = (false, false);
        while self.pos < data.len() {
            let start = self.pos;
            let line_no = self.line;
            let first = data[start];
            let field_line = !(matches!(first, b' ' | b'\t' | b'\n' | b'\r')
                || (first == b'#' && self.comments));
            if field_line {
                // The name runs to the first ':' (no blanks in it); the line end is searched
                // for only after it, so a field line is scanned once.
                let mut i = start;
                while i < data.len() && data[i] != b':' && !data[i].is_ascii_whitespace() {
                    i += 1;
                }
                let end_of =
                    |from: usize| memchr(b'\n', &data[from..]).map_or(data.len(), |k| from + k);
                if i == data.len() || data[i] != b':' || i == start {
                    let end = end_of(start);
                    let line = &data[start..end];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    return Err(Self::field_error(line, line_no));
                }
                let colon = i;
                let end = end_of(colon + 1);
                self.pos = end + 1;
                self.line += 1;
                if !started {
                    para.line = line_no;
                    started = true;
                }
                let name = &data[start..colon];
                last_kept = self.kept(name);
                if last_kept {
                    para.fields.push(Field {
                        name,
                        value: trim(&data[colon + 1..end]),
                        line: line_no,
                    });
                }
                continue;
            }
            let end = memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
            self.pos = end + 1;
            self.line += 1;
            let mut line = &data[start..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            match line.first() {
                None => {
                    if started {
                        return Ok(true);
                    }
                }
                Some(b' ' | b'\t') => {
                    if line.iter().all(|&b| b == b' ' || b == b'\t') {
                        if started {
                            return Ok(true);
                        }
                        continue;
                    }
                    if !started {
                        return Err(SyntaxError {
                            line: line_no,
                            message: "continuation line (starting with a space) outside a field"
                                .into(),
                        });
                    }
                    if !last_kept {
                        continue;
                    }
                    let Some(last) = para.fields.last_mut() else {
                        continue;
                    };
                    // Extend the value to the end of this line: values are contiguous.
                    let vstart = if last.value.is_empty() {
                        start
                    } else {
                        last.value.as_ptr() as usize - data.as_ptr() as usize
                    };
                    last.value = &data[vstart..start + line.len()];
                }
                Some(b'#') if self.comments => {}
                // A line starting with a carriage return that is not a blank CRLF line.
                Some(_) => return Err(Self::field_error(line, line_no)),
            }
        }
        Ok(started)
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Paragraph<'a>, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut p = Paragraph::default();
        match self.read_into(&mut p) {
            Ok(true) => Some(Ok(p)),
            Ok(false) => None,
            Err(e) => {
                // Stop after an error: the rest of the buffer is not trusted.
                self.pos = self.data.len();
                Some(Err(e))
            }
        }
    }
}

/// Decodes a value as UTF-8, replacing invalid bytes (names and versions are ASCII; other
/// fields may be Latin-1 in old archives).
pub fn lossy(value: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> Vec<Paragraph<'_>> {
        Reader::new(data).collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn paragraphs_fields_and_continuations() {
        let data =
            b"Package: a\nVersion: 1.0\nDescription: short\n long line\n .\n\tTAB continued\n\n\n\
Package: b\r\nversion:2:1.0-1  \r\n \t \nPackage: c\nVersion: 3\n";
        let ps = all(data);
        assert_eq!(ps.len(), 3);
        assert_eq!(ps[0].get("package"), Some(&b"a"[..]));
        assert_eq!(ps[0].line(), 1);
        let d = ps[0].field("Description").unwrap();
        assert_eq!(d.first_line(), b"short");
        assert_eq!(
            d.lines().collect::<Vec<_>>(),
            [&b"short"[..], b"long line", b"TAB continued"]
        );
        assert_eq!(ps[1].get("Version"), Some(&b"2:1.0-1"[..]), "CRLF, trimmed");
        assert_eq!(ps[1].line(), 9);
        assert_eq!(ps[2].line(), 12, "a whitespace-only line separates");
        assert_eq!(ps[2].field("Version").unwrap().line(), 13);
    }

    #[test]
    fn empty_first_line_value_takes_the_continuation() {
        let ps = all(b"Suites:\n bookworm\n bookworm-updates\nComponents: main\n");
        let f = ps[0].field("Suites").unwrap();
        assert_eq!(
            f.words().collect::<Vec<_>>(),
            [&b"bookworm"[..], b"bookworm-updates"]
        );
        assert_eq!(ps[0].get("components"), Some(&b"main"[..]));
    }

    #[test]
    fn non_utf8_bytes_pass_through() {
        let ps = all(b"Package: x\nMaintainer: Ren\xe9 \xff\nVersion: 1\n");
        assert_eq!(ps[0].get("Maintainer"), Some(&b"Ren\xe9 \xff"[..]));
        assert_eq!(ps[0].get("Version"), Some(&b"1"[..]));
    }

    #[test]
    fn comments_only_where_allowed() {
        let src = b"# a comment\nTypes: deb\n# inside\nURIs: http://x\n";
        let ps: Vec<_> = Reader::with_comments(src)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].fields().len(), 2);
        let err = Reader::new(b"Package: a\n# not a field\n")
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.line, 2);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = Reader::new(b"Package: a\nVersion 1.0\n")
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("Version 1.0"), "{err}");
        let err = Reader::new(b"\n continued\n")
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.line, 2);
        let err = Reader::new(b"Package: a\n: x\n")
            .find_map(Result::err)
            .unwrap();
        assert_eq!(err.line, 2);
        // After an error the iterator ends.
        let mut r = Reader::new(b"bad\nPackage: a\n");
        assert!(r.next().unwrap().is_err());
        assert!(r.next().is_none());
    }

    #[test]
    fn keep_only_stores_the_named_fields_and_still_checks_every_line() {
        let data = b"Package: a\nDescription: d\n more\nVersion: 1\n\nPackage: b\nbad line\n";
        let mut r = Reader::new(data).keep_only(&["package", "VERSION"]);
        let p = r.next().unwrap().unwrap();
        let names: Vec<&[u8]> = p.fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, [&b"Package"[..], b"Version"]);
        assert_eq!(
            p.get("Version"),
            Some(&b"1"[..]),
            "the continuation went nowhere"
        );
        assert_eq!(r.next().unwrap().unwrap_err().line, 7);
    }

    #[test]
    fn read_into_reuses_storage() {
        let mut r = Reader::new(b"A: 1\n\nA: 2\nB: 3\n");
        let mut p = Paragraph::default();
        assert!(r.read_into(&mut p).unwrap());
        assert_eq!(p.get("A"), Some(&b"1"[..]));
        assert!(r.read_into(&mut p).unwrap());
        assert_eq!(p.fields().len(), 2);
        assert!(!r.read_into(&mut p).unwrap());
        assert!(p.is_empty());
    }
}
