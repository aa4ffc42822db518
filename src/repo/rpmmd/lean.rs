//! A lean reader for the regular XML that createrepo_c, modifyrepo_c and the distributions'
//! updateinfo generators write: the fast path of the primary and updateinfo readers.
//!
//! The document is read in chunks; each child of the root (`<package>`, `<update>`) is cut out
//! whole (it ends at the first `</package>` / `</update>`) and tokenised from a borrowed slice:
//! no event is copied, no string is built unless a reader keeps it, and text the readers do not
//! keep is only checked, never decoded.
//!
//! It gives up ([`Bail`]) on anything it does not handle exactly as the full `quick-xml`
//! parse does: comments, CDATA, processing instructions and DOCTYPEs past the XML declaration,
//! character data directly in the root, a `\r` or a character reference in a value it keeps,
//! an unknown entity, an attribute without quotes, invalid UTF-8, a tag name that does not close
//! its element, input that is not what the readers expect. Every check that full parse makes on
//! what it reads is made here too, at least as strictly, so whenever this reader returns a
//! result, the full parse returns the same one. The callers then run the full parse, which
//! either reads the unusual file or reports the error with its exact position.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use memchr::{memchr, memchr2, memmem};

use crate::files::compress;

/// The lean reader cannot read this input exactly; the caller runs the full parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

/// Result of the lean reader.
pub(crate) type Lean<T> = Result<T, Bail>;

/// Decompressed bytes read per refill.
const CHUNK: usize = 256 * 1024;

/// The decompressed content of a metadata file, read in chunks and handed out one root child
/// at a time.
pub(crate) struct Document {
    reader: Box<dyn Read + Send>,
    /// `buf[start..end]` is read and not yet consumed; `buf` is zeroed once, when it grows.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// The root element's name, for the closing tag.
    root: &'static str,
    /// How many children the root says it has (primary's `packages=`), or 0.
    expected: usize,
}

impl Document {
    /// Opens `path` (decompressing by magic) and reads up to and including the root's start
    /// tag, which must be `<root …>`, after at most an XML declaration and whitespace.
    pub fn open(path: &Path, root: &'static str) -> Lean<Document> {
        let reader = compress::open(path).map_err(|_| Bail)?;
        let mut doc = Document {
            reader,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            root,
            expected: 0,
        };
        doc.prolog()?;
        Ok(doc)
    }

    /// Reads more input after `end`, keeping `buf[start..end]`; `false` at the end of input.
    fn refill(&mut self) -> Lean<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < CHUNK / 2 {
            let grown = (self.buf.len() * 2).max(self.end + CHUNK);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(Bail),
            }
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Skips whitespace; `false` at the end of input.
    fn skip_whitespace(&mut self) -> Lean<bool> {
        loop {
            let skip = self.pending().iter().position(|b| !b.is_ascii_whitespace());
            match skip {
                Some(i) => {
                    self.start += i;
                    return Ok(true);
                }
                None => {
                    self.start = self.end;
                    if !self.refill()? {
                        return Ok(false);
                    }
                }
            }
        }
    }

    /// Makes at least `n` bytes pending, if the input has them.
    fn want(&mut self, n: usize) -> Lean<bool> {
        while self.end - self.start < n {
            if !self.refill()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The offset (from `start`) just past the first `needle` in the pending input, reading
    /// more as needed; `None` when the input ends first.
    fn find_end(&mut self, finder: &memmem::Finder<'_>) -> Lean<Option<usize>> {
        let mut from = 0;
        loop {
            if let Some(i) = finder.find(&self.pending()[from..]) {
                return Ok(Some(from + i + finder.needle().len()));
            }
            let len = self.end - self.start;
            from = len.saturating_sub(finder.needle().len() - 1);
            if !self.refill()? {
                return Ok(None);
            }
        }
    }

    fn prolog(&mut self) -> Lean<()> {
        if !self.want(5)? {
            return Err(Bail);
        }
        if self.pending().starts_with(b"<?xml") {
            let finder = memmem::Finder::new(b"?>");
            let end = self.find_end(&finder)?.ok_or(Bail)?;
            let decl = &self.pending()[..end];
            // Nothing but a plain ASCII declaration.
            if !decl.is_ascii() || memchr2(b'<', b'>', &decl[1..end - 1]).is_some() {
                return Err(Bail);
            }
            self.start += end;
        }
        if !self.skip_whitespace()? {
            return Err(Bail);
        }
        let finder = memmem::Finder::new(b">");
        let end = self.find_end(&finder)?.ok_or(Bail)?;
        let tag = std::str::from_utf8(&self.pending()[..end]).map_err(|_| Bail)?;
        let mut tokens = Tokens::new(tag);
        let attrs = match tokens.next()? {
            Some(Token::Start {
                name,
                attrs,
                empty: false,
            }) if local(name) == self.root => attrs,
            _ => return Err(Bail),
        };
        if tokens.pos != tag.len() {
            return Err(Bail);
        }
        // primary.xml says how many packages follow: room for them up front (within reason).
        self.expected = attributes(attrs)
            .map_while(Result::ok)
            .find(|(key, _)| *key == "packages")
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .map_or(0, |n| n.min(1 << 20));
        self.start += end;
        Ok(())
    }

    /// The next child of the root: the bytes from its `<` to the end of the first `close`
    /// (`</package>`), whose opening tag starts with `open` (`<package`). `None` after the
    /// root's closing tag, when nothing but whitespace follows it.
    pub fn next_child(&mut self, open: &[u8], close: &memmem::Finder<'_>) -> Lean<Option<&str>> {
        loop {
            if !self.skip_whitespace()? {
                return Err(Bail); // the root is not closed
            }
            if !self.skip_comment()? {
                break;
            }
        }
        if !self.want(open.len() + 1)? {
            // Too short to be a child: it must be the root's closing tag.
            return self.root_end().map(|()| None);
        }
        let pending = self.pending();
        if !(pending.starts_with(open)
            && matches!(pending[open.len()], b' ' | b'\t' | b'\n' | b'>' | b'/'))
        {
            return self.root_end().map(|()| None);
        }
        let end = self.find_end(close)?.ok_or(Bail)?;
        let start = self.start;
        self.start += end;
        // One check for the whole element (quick-xml decodes every event it reads).
        let element = std::str::from_utf8(&self.buf[start..start + end]).map_err(|_| Bail)?;
        Ok(Some(element))
    }

    /// Skips a comment between two children (SUSE writes `<!--PATCHINFO id="…"!-->` before
    /// each update), as quick-xml reads one: to the first `-->`, valid UTF-8. `false` when
    /// the pending input does not start with a comment.
    fn skip_comment(&mut self) -> Lean<bool> {
        if !self.want(4)? || !self.pending().starts_with(b"<!--") {
            return Ok(false);
        }
        self.start += 4;
        let end = self.find_end(&memmem::Finder::new(b"-->"))?.ok_or(Bail)?;
        std::str::from_utf8(&self.pending()[..end]).map_err(|_| Bail)?;
        self.start += end;
        Ok(true)
    }

    /// Expects the root's closing tag, then only whitespace to the end of input.
    fn root_end(&mut self) -> Lean<()> {
        let close = format!("</{}", self.root);
        if !self.want(close.len() + 1)? || !self.pending().starts_with(close.as_bytes()) {
            return Err(Bail);
        }
        self.start += close.len();
        if !self.skip_whitespace()? || self.pending()[0] != b'>' {
            return Err(Bail);
        }
        self.start += 1;
        if self.skip_whitespace()? {
            return Err(Bail); // content after the root element
        }
        Ok(())
    }
}

/// Reads the document at `path` whose root is `<root>` through `read`, one child `<child>`
/// at a time (each cut out whole, to its first `</child>`); keeps what `read` returns.
pub(crate) fn read_children<T>(
    path: &Path,
    root: &'static str,
    child: &str,
    read: impl FnMut(&str) -> Lean<Option<T>>,
) -> Lean<Vec<T>> {
    read_every_child(path, root, child, (1, 0), read)
}

/// [`read_children`] for the children whose position `i` (from 0) has `i % every.0 ==
/// every.1`: every child is still cut out and checked as a child, but only those are read.
/// Two passes with `(2, 0)` and `(2, 1)` read a document on two threads, at the cost of
/// decompressing it twice.
pub(crate) fn read_every_child<T>(
    path: &Path,
    root: &'static str,
    child: &str,
    every: (usize, usize),
    mut read: impl FnMut(&str) -> Lean<Option<T>>,
) -> Lean<Vec<T>> {
    let mut doc = Document::open(path, root)?;
    let open = format!("<{child}");
    let close = format!("</{child}>");
    let close = memmem::Finder::new(close.as_bytes());
    let mut out = Vec::with_capacity(doc.expected / every.0);
    let mut position = 0;
    while let Some(element) = doc.next_child(open.as_bytes(), &close)? {
        if position % every.0 == every.1 {
            out.extend(read(element)?);
        }
        position += 1;
    }
    Ok(out)
}

/// One piece of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// `<name attrs>` or, with `empty`, `<name attrs/>`; `attrs` is everything between the
    /// name and the closing `>`/`/>` (checked by [`attributes`] when read).
    Start {
        name: &'a str,
        attrs: &'a str,
        empty: bool,
    },
    /// `</name>`.
    End { name: &'a str },
    /// Character data (raw: references not resolved, but well-formed).
    Text(&'a str),
}

/// Tokens of one complete element, with the nesting checked: every end tag closes the element
/// open at that point, and the element is closed exactly at the end of the slice.
pub(crate) struct Tokens<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    /// Names of the open elements.
    open: Vec<&'a str>,
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a str) -> Self {
        Tokens {
            text,
            s: text.as_bytes(),
            pos: 0,
            open: Vec::with_capacity(8),
        }
    }

    /// Elements open now (after the last token: a start tag counts as open).
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// The next token; `None` at the end of the slice, which must close the element.
    pub fn next(&mut self) -> Lean<Option<Token<'a>>> {
        let s = self.s;
        let pos = self.pos;
        if pos >= s.len() {
            return if self.open.is_empty() {
                Ok(None)
            } else {
                Err(Bail)
            };
        }
        if pos > 0 && self.open.is_empty() {
            return Err(Bail); // content after the element closed
        }
        if s[pos] != b'<' {
            // Mostly the indentation between two tags: no call for those few bytes.
            let mut end = pos;
            while end < s.len() && matches!(s[end], b' ' | b'\n' | b'\t') {
                end += 1;
            }
            if end < s.len() && s[end] != b'<' {
                end = memchr(b'<', &s[end..]).map_or(s.len(), |i| end + i);
                check_text(&s[pos..end])?;
            }
            self.pos = end;
            return Ok(Some(Token::Text(self.sub(pos, end)?)));
        }
        let body = pos + 1;
        match s.get(body) {
            Some(b'/') => {
                let close = memchr(b'>', &s[body..]).ok_or(Bail)? + body;
                let name = self.sub(body + 1, body + 1 + trim_end(&s[body + 1..close]).len())?;
                if self.open.pop() != Some(name) {
                    return Err(Bail);
                }
                self.pos = close + 1;
                Ok(Some(Token::End { name }))
            }
            Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
                let mut name_end = body + 1;
                while name_end < s.len() && !is_name_end(s[name_end]) {
                    name_end += 1;
                }
                let name = self.sub(body, name_end)?;
                let close = tag_end(s, name_end)?;
                let (attrs_end, empty) = if s[close - 1] == b'/' {
                    (close - 1, true)
                } else {
                    (close, false)
                };
                let attrs = self.sub(name_end, attrs_end)?;
                if !attrs.is_empty() && !attrs.as_bytes()[0].is_ascii_whitespace() {
                    return Err(Bail);
                }
                if !empty {
                    self.open.push(name);
                }
                self.pos = close + 1;
                Ok(Some(Token::Start { name, attrs, empty }))
            }
            _ => Err(Bail), // comments, CDATA, PIs, DOCTYPE, stray `<`
        }
    }

    /// The next tag, checking (and passing over) the text before it; `None` at the end.
    pub fn next_tag(&mut self) -> Lean<Option<Token<'a>>> {
        let s = self.s;
        let mut pos = self.pos;
        while pos < s.len() && matches!(s[pos], b' ' | b'\n' | b'\t') {
            pos += 1;
        }
        if pos < s.len() && s[pos] != b'<' {
            let end = memchr(b'<', &s[pos..]).map_or(s.len(), |i| pos + i);
            check_text(&s[pos..end])?;
            pos = end;
        }
        if pos > self.pos && self.open.is_empty() {
            return Err(Bail); // content after the element closed
        }
        self.pos = pos;
        self.next()
    }

    /// Right after the `Start` of `name` (not empty): when the element holds only text (the
    /// common case: `<name>bash</name>`), consumes the text and the end tag and returns the
    /// raw text (checked like any text); otherwise consumes nothing and returns `None`.
    pub fn leaf_text(&mut self, name: &str) -> Lean<Option<&'a str>> {
        let s = self.s;
        let from = self.pos;
        let Some(lt) = memchr(b'<', &s[from..]).map(|i| from + i) else {
            return Ok(None);
        };
        let close = &s[lt..];
        let n = name.len();
        if close.len() < n + 3 || close[1] != b'/' || &close[2..2 + n] != name.as_bytes() {
            return Ok(None);
        }
        let mut end = lt + 2 + n;
        while end < s.len() && s[end].is_ascii_whitespace() {
            end += 1;
        }
        if s.get(end) != Some(&b'>') {
            return Ok(None);
        }
        check_text(&s[from..lt])?;
        if self.open.pop() != Some(name) {
            return Err(Bail);
        }
        self.pos = end + 1;
        Ok(Some(self.sub(from, lt)?))
    }

    /// `text[from..to]`; positions are those of ASCII delimiters, so always on characters.
    fn sub(&self, from: usize, to: usize) -> Lean<&'a str> {
        self.text.get(from..to).ok_or(Bail)
    }

    /// After the `Start` of an element whose name `finder` looks for: skips to just past its
    /// end tag without tokenising what is in between, closing the element. Gives up on a
    /// nested start tag of the same name (quick-xml's skip counts those).
    pub fn skip_element(&mut self, finder: &memmem::Finder<'_>) -> Lean<()> {
        let s = self.s;
        let len = finder.needle().len();
        let mut from = self.pos;
        loop {
            let at = finder.find(&s[from..]).ok_or(Bail)? + from;
            if s[at - 1] == b'<' {
                return Err(Bail);
            }
            if s[at - 1] == b'/' && s[at - 2] == b'<' && s.get(at + len) == Some(&b'>') {
                self.pos = at + len + 1;
                self.open.pop().ok_or(Bail)?;
                return Ok(());
            }
            from = at + len;
        }
    }
}

fn is_name_end(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>' | b'=' | b'"' | b'\'' | b'<' | b'&'
    )
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &s[..n]
}

/// The index in `s` of the `>` that ends the tag whose name ends at `from`, honouring quoted
/// attribute values (which may hold `>`, and `<`, as quick-xml allows).
fn tag_end(s: &[u8], from: usize) -> Lean<usize> {
    let gt = memchr(b'>', &s[from..]).ok_or(Bail)? + from;
    let tag = &s[from..gt];
    // Usually values are in double quotes and hold no `>`: then an even number of quotes
    // before the first `>` puts it outside every value.
    let (mut quotes, mut apostrophe) = (0usize, false);
    for &b in tag {
        quotes += usize::from(b == b'"');
        apostrophe |= b == b'\'';
    }
    if !apostrophe && quotes % 2 == 0 {
        return Ok(gt);
    }
    let mut quote = 0u8;
    for (i, &b) in s.iter().enumerate().skip(from) {
        match b {
            b'>' if quote == 0 => return Ok(i),
            b'"' | b'\'' if quote == 0 => quote = b,
            _ if b == quote => quote = 0,
            _ => {}
        }
    }
    Err(Bail)
}

/// Character data: every `&` starts a `&…;` reference.
fn check_text(text: &[u8]) -> Lean<()> {
    let mut at = 0;
    while let Some(i) = memchr(b'&', &text[at..]) {
        let from = at + i + 1;
        let semi = memchr2(b';', b'&', &text[from..]).ok_or(Bail)? + from;
        if text[semi] != b';' || semi == from {
            return Err(Bail);
        }
        at = semi + 1;
    }
    Ok(())
}

/// The local part of a possibly prefixed name (`rpm:entry` → `entry`).
pub(crate) fn local(name: &str) -> &str {
    // A byte loop: names are short, and this runs for every tag.
    match name.bytes().rposition(|b| b == b':') {
        Some(i) => name.get(i + 1..).unwrap_or(name),
        None => name,
    }
}

/// A predefined entity's text.
fn predefined(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"amp" => "&",
        b"lt" => "<",
        b"gt" => ">",
        b"quot" => "\"",
        b"apos" => "'",
        _ => return None,
    })
}

/// Character data as the full parse collects it: predefined entities resolved. Character
/// references, unknown entities and `\r` (line-end normalisation) give up.
pub(crate) fn text(raw: &str) -> Lean<Cow<'_, str>> {
    decode(raw, false)
}

/// An attribute value as the full parse normalises it: predefined entities resolved, tab and
/// newline read as a space. Character references, unknown entities and `\r` give up.
pub(crate) fn attr_value(raw: &str) -> Lean<Cow<'_, str>> {
    decode(raw, true)
}

fn decode(s: &str, attribute: bool) -> Lean<Cow<'_, str>> {
    let raw = s.as_bytes();
    let special = |b: &u8| matches!(b, b'&' | b'\r') || (attribute && matches!(b, b'\t' | b'\n'));
    if !raw.iter().any(special) {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    while at < raw.len() {
        let b = raw[at];
        match b {
            b'&' => {
                let semi = memchr(b';', &raw[at..]).ok_or(Bail)? + at;
                out.push_str(predefined(&raw[at + 1..semi]).ok_or(Bail)?);
                at = semi + 1;
            }
            b'\r' => return Err(Bail),
            b'\t' | b'\n' if attribute => {
                out.push(' ');
                at += 1;
            }
            _ => {
                let run = raw[at..]
                    .iter()
                    .position(special)
                    .map_or(raw.len(), |i| at + i);
                out.push_str(s.get(at..run).ok_or(Bail)?);
                at = run;
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// The attributes of a start tag: `key="value"` or `key='value'` pairs separated by
/// whitespace, each value raw (see [`attr_value`]).
pub(crate) fn attributes(attrs: &str) -> Attributes<'_> {
    Attributes {
        text: attrs,
        pos: 0,
    }
}

/// One attribute from [`Attrs::next_attr`]: its key and raw value.
pub(crate) type Attr<'a, R, E> = Result<(&'a str, R), E>;

/// The attributes of one start tag as either reader gives them, so that both readers read
/// them with the same code, and so the same way.
pub(crate) trait Attrs<'a> {
    /// A value as written.
    type Raw;
    /// The reader's error.
    type Err;
    /// The next attribute: its key (as written, with any prefix) and raw value.
    fn next_attr(&mut self) -> Option<Attr<'a, Self::Raw, Self::Err>>;
    /// A value with entities resolved and whitespace normalised.
    fn value(&self, raw: &Self::Raw) -> Result<Cow<'a, str>, Self::Err>;
    /// The error for content that is well-formed but wrong.
    fn malformed(&self, reason: &str) -> Self::Err;
}

impl<'a> Attrs<'a> for Attributes<'a> {
    type Raw = &'a str;
    type Err = Bail;
    fn next_attr(&mut self) -> Option<Lean<(&'a str, &'a str)>> {
        self.next()
    }
    fn value(&self, raw: &&'a str) -> Lean<Cow<'a, str>> {
        attr_value(raw)
    }
    fn malformed(&self, _reason: &str) -> Bail {
        Bail
    }
}

/// Iterator of [`attributes`].
pub(crate) struct Attributes<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Lean<(&'a str, &'a str)>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.text.as_bytes();
        let start = self.pos;
        while self.pos < s.len() && s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        if self.pos == s.len() {
            return None;
        }
        if self.pos == start {
            // `a="1"b="2"`: quick-xml accepts it, we need not.
            self.pos = s.len();
            return Some(Err(Bail));
        }
        let key_start = self.pos;
        while self.pos < s.len() && !is_name_end(s[self.pos]) {
            self.pos += 1;
        }
        let key_end = self.pos;
        if key_end == key_start || s.get(self.pos) != Some(&b'=') {
            self.pos = s.len();
            return Some(Err(Bail));
        }
        let quote = match s.get(self.pos + 1) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                self.pos = s.len();
                return Some(Err(Bail));
            }
        };
        let value_start = self.pos + 2;
        let Some(len) = memchr(quote, &s[value_start..]) else {
            self.pos = s.len();
            return Some(Err(Bail));
        };
        self.pos = value_start + len + 1;
        let key = self.text.get(key_start..key_end);
        let value = self.text.get(value_start..value_start + len);
        match (key, value) {
            (Some(key), Some(value)) => Some(Ok((key, value))),
            _ => {
                self.pos = s.len();
                Some(Err(Bail))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Lean<Vec<Token<'_>>> {
        let mut t = Tokens::new(s);
        let mut out = Vec::new();
        while let Some(tok) = t.next()? {
            out.push(tok);
        }
        Ok(out)
    }

    #[test]
    fn tokenises_an_element_and_checks_its_nesting() {
        let toks = tokens("<a x=\"1>\" y='2'><b/>t &amp; u</a >").unwrap();
        assert_eq!(
            toks,
            [
                Token::Start {
                    name: "a",
                    attrs: " x=\"1>\" y='2'",
                    empty: false
                },
                Token::Start {
                    name: "b",
                    attrs: "",
                    empty: true
                },
                Token::Text("t &amp; u"),
                Token::End { name: "a" },
            ]
        );
        for bad in [
            "<a><b></a></b>",
            "<a>",
            "<a></a><b/>",
            "<a><!-- c --></a>",
            "<a><![CDATA[x]]></a>",
            "<a>x & y</a>",
            "<a>x &; y</a>",
            "< a></a>",
        ] {
            assert_eq!(tokens(bad), Err(Bail), "{bad}");
        }
        assert_eq!(tokens("<a>\u{ff}\u{0}x</a>").unwrap().len(), 3);
        // quick-xml takes `<` and `>` in values; so do we.
        assert_eq!(tokens("<a b=\"<\" c='>'></a>").unwrap().len(), 2);
    }

    #[test]
    fn values_decode_like_the_full_parse_or_give_up() {
        assert_eq!(text("a &amp; b &lt;c&gt;").unwrap(), "a & b <c>");
        assert_eq!(attr_value("a\tb\nc&quot;").unwrap(), "a b c\"");
        assert_eq!(text("a\tb\nc").unwrap(), "a\tb\nc");
        for bad in ["&#39;", "&nbsp;", "a\r\nb"] {
            assert_eq!(text(bad), Err(Bail));
            assert_eq!(attr_value(bad), Err(Bail));
        }
        let attrs: Vec<_> = attributes(" a=\"1\" b='x y'").collect();
        assert_eq!(attrs, [Ok(("a", "1")), Ok(("b", "x y"))]);
        for bad in [" a=1", " a", " a=\"1\"b=\"2\"", " a=\"1"] {
            assert!(attributes(bad).any(|a| a.is_err()), "{bad:?}");
        }
    }
}

/// Helpers for the readers' tests: the fixture files, and the differential check of the lean
/// reader against the full parse on edited documents.
#[cfg(test)]
pub(crate) mod testing {
    use std::fmt::Debug;
    use std::path::{Path, PathBuf};

    use super::{Bail, Lean};

    /// XML metadata files in the repository's fixtures (the createrepo_c/modifyrepo_c beds
    /// and the real files under tests/fixtures) whose name contains `kind` (`primary`).
    pub fn fixture_files(kind: &str) -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = Vec::new();
        let mut stack = vec![root.join("repodata-fixtures"), root.join("tests/fixtures")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if path.is_dir() {
                    stack.push(path);
                } else if name.contains(kind)
                    && name.contains(".xml")
                    && !name.contains(".tsv")
                    && !name.contains(".json")
                {
                    found.push(path);
                }
            }
        }
        found.sort();
        found
    }

    /// Small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
        }
    }

    /// `bytes` with one edit at the returned offset: a byte or snippet that matters to XML
    /// inserted or replacing some bytes, or a few bytes deleted.
    fn mutate(bytes: &[u8], rng: &mut Rng) -> (Vec<u8>, usize) {
        const SNIPPETS: &[&[u8]] = &[
            b"<",
            b">",
            b"&",
            b"\"",
            b"'",
            b"/",
            b" ",
            b"\r",
            b"\t",
            b"\n",
            b"\xff",
            b"\xc3",
            b";",
            b"=",
            b":",
            b"<!-- c -->",
            b"<![CDATA[x]]>",
            b"]]>",
            b"</package>",
            b"<package>",
            b"<format>",
            b"</format>",
            b"</update>",
            b"<update>",
            b"<name>",
            b"</name>",
            b"<id>",
            b"</id>",
            b"&amp;",
            b"&#39;",
            b"&lt;",
            b"&nbsp;",
            b"<x/>",
            b"</x>",
            b"<?pi?>",
            b"<version epoch=\"1\" ver=\"2\"/>",
            b"<time build=\"x\"/>",
            b"<arch>src</arch>",
            b"<reference type=\"cve\" id=\"CVE-1\"/>",
            b"<package name=\"p\" version=\"1\" arch=\"noarch\"/>",
            b"<collection>",
            b"<module name=\"m\" stream=\"1\"/>",
            b"\xef\xbb\xbf",
        ];
        let at = rng.below(bytes.len());
        let mut out = bytes[..at].to_vec();
        let removed = match rng.below(3) {
            0 => 1 + rng.below(4),
            _ => {
                out.extend_from_slice(SNIPPETS[rng.below(SNIPPETS.len())]);
                rng.below(2)
            }
        };
        out.extend_from_slice(&bytes[(at + removed).min(bytes.len())..]);
        (out, at)
    }

    /// Edits `xml` `rounds` times and checks the claim the fast paths rest on: whenever the
    /// lean reader returns a result, the full parse returns the same one. Edits at offsets
    /// `unread` accepts (inside blocks neither reader looks into) are not compared. Returns
    /// how many edited documents the lean reader accepted and refused.
    pub fn check_edits<T: PartialEq + Debug, E: Debug>(
        xml: &[u8],
        rounds: usize,
        lean: impl Fn(&Path) -> Lean<T>,
        full: impl Fn(&Path) -> Result<T, E>,
        unread: impl Fn(usize) -> bool,
    ) -> (usize, usize) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edited.xml");
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..rounds {
            let (edited, at) = mutate(xml, &mut rng);
            std::fs::write(&path, &edited).unwrap();
            match lean(&path) {
                Ok(_) if unread(at) => {}
                Ok(ours) => {
                    accepted += 1;
                    let theirs = full(&path);
                    assert!(
                        theirs.as_ref().is_ok_and(|t| *t == ours),
                        "round {round}, edit at {at}: {:?}: the full parse gives {theirs:?}",
                        String::from_utf8_lossy(
                            &edited[at.saturating_sub(60)..(at + 60).min(edited.len())]
                        ),
                    );
                }
                Err(Bail) => refused += 1,
            }
        }
        (accepted, refused)
    }
}
