//! A streaming filter that drops every `<tag>…</tag>` block of one element from primary.xml.
//!
//! `<format>` blocks (provides, requires, file lists) are most of the file, and `<checksum>`,
//! `<summary>`, `<description>` much of the rest; none of it is read. Finding their ends with
//! `memmem` instead of tokenising them makes primary parsing several times faster.
//! createrepo_c writes these tags literally and escapes text inside them, so an opening tag
//! cannot occur within one. Errors are re-reported by an unfiltered parse, so positions stay
//! exact.

use std::io::{self, Read};

use memchr::memmem;

const CHUNK: usize = 256 * 1024;

/// The elements primary.xml readers never need, as (opening tag prefix, closing tag).
pub(crate) const PRIMARY_UNUSED: [(&[u8], &[u8]); 4] = [
    (b"<format>", b"</format>"),
    (b"<checksum ", b"</checksum>"),
    (b"<summary>", b"</summary>"),
    (b"<description>", b"</description>"),
];

/// Wraps a reader, removing `open…close` blocks from what it yields.
pub(crate) struct StripFormat<R> {
    inner: R,
    /// Input read but not yet classified (may end in a partial tag).
    carry: Vec<u8>,
    /// Reused read buffer (never re-zeroed).
    chunk: Vec<u8>,
    /// Output ready to hand out, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    in_format: bool,
    eof: bool,
    open: memmem::Finder<'static>,
    close: memmem::Finder<'static>,
}

/// Chains one filter per entry of [`PRIMARY_UNUSED`].
pub(crate) fn strip_primary_unused(inner: Box<dyn Read + Send>) -> Box<dyn Read + Send> {
    PRIMARY_UNUSED.iter().fold(inner, |r, (open, close)| {
        Box::new(StripFormat::with_tags(r, open, close))
    })
}

impl<R: Read> StripFormat<R> {
    /// A filter for `<format>` blocks.
    #[cfg(test)]
    pub(crate) fn new(inner: R) -> Self {
        Self::with_tags(inner, b"<format>", b"</format>")
    }

    /// A filter for blocks from `open` to `close`.
    pub(crate) fn with_tags(inner: R, open: &'static [u8], close: &'static [u8]) -> Self {
        StripFormat {
            inner,
            carry: Vec::with_capacity(CHUNK + close.len()),
            chunk: vec![0; CHUNK],
            out: Vec::with_capacity(CHUNK),
            out_pos: 0,
            in_format: false,
            eof: false,
            open: memmem::Finder::new(open),
            close: memmem::Finder::new(close),
        }
    }

    /// Reads one chunk and moves what can be decided from `carry` to `out`.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        let n = self.inner.read(&mut self.chunk)?;
        self.carry.extend_from_slice(&self.chunk[..n]);
        if n == 0 {
            self.eof = true;
        }
        let mut pos = 0;
        loop {
            let rest = &self.carry[pos..];
            if self.in_format {
                match self.close.find(rest) {
                    Some(i) => {
                        pos += i + self.close.needle().len();
                        self.in_format = false;
                    }
                    None => {
                        // Keep a possible partial `</format>` at the end.
                        let keep = if self.eof {
                            0
                        } else {
                            (self.close.needle().len() - 1).min(rest.len())
                        };
                        pos = self.carry.len() - keep;
                        break;
                    }
                }
            } else {
                match self.open.find(rest) {
                    Some(i) => {
                        self.out.extend_from_slice(&rest[..i]);
                        pos += i + self.open.needle().len();
                        self.in_format = true;
                    }
                    None => {
                        let keep = if self.eof {
                            0
                        } else {
                            (self.open.needle().len() - 1).min(rest.len())
                        };
                        let emit = rest.len() - keep;
                        self.out.extend_from_slice(&rest[..emit]);
                        pos += emit;
                        break;
                    }
                }
            }
        }
        self.carry.drain(..pos);
        Ok(())
    }
}

impl<R: Read> Read for StripFormat<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if self.eof && self.carry.is_empty() {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call, to cut tags across chunks.
    struct Trickle(&'static [u8], usize);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn drops_format_blocks_across_any_chunk_boundary() {
        let input = b"<metadata><package><name>a</name><format><rpm:entry name=\"x\"/></format></package><package><name>b&amp;c</name><format></format></package></metadata>";
        let want = b"<metadata><package><name>a</name></package><package><name>b&amp;c</name></package></metadata>";
        for step in 1..input.len() {
            let mut out = Vec::new();
            StripFormat::new(Trickle(input, step))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, want, "step {step}");
        }
    }

    #[test]
    fn chained_filters_drop_every_unused_element() {
        let input = b"<package><name>a</name><checksum type=\"sha256\" pkgid=\"YES\">ff</checksum><summary>s &lt;x&gt;</summary><description>d</description><time build=\"1\"/><format><x/></format></package>";
        for step in [1, 2, 5, 64] {
            let mut out = Vec::new();
            let chain = strip_primary_unused(Box::new(Trickle(input, step)));
            let mut chain = chain;
            chain.read_to_end(&mut out).unwrap();
            assert_eq!(
                out, b"<package><name>a</name><time build=\"1\"/></package>",
                "step {step}"
            );
        }
    }

    #[test]
    fn passes_text_without_blocks_and_partial_tags_through() {
        let input = b"<a>&lt;format&gt; <forma</a>";
        let mut out = Vec::new();
        StripFormat::new(Trickle(input, 3))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, input);
    }
}
