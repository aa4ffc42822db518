//! A streaming filter that drops every `<format>…</format>` block from primary.xml.
//!
//! Those blocks (provides, requires, file lists) are most of the file and none of what we read;
//! finding their ends with `memmem` instead of tokenising them makes primary parsing several
//! times faster. createrepo_c writes the tags literally (text inside is escaped, so `<format>`
//! cannot occur in it). Errors are re-reported by an unfiltered parse, so positions stay exact.

use std::io::{self, Read};

use memchr::memmem;

const OPEN: &[u8] = b"<format>";
const CLOSE: &[u8] = b"</format>";
const CHUNK: usize = 256 * 1024;

/// Wraps a reader, removing `<format>…</format>` blocks from what it yields.
pub(crate) struct StripFormat<R> {
    inner: R,
    /// Input read but not yet classified (may end in a partial tag).
    carry: Vec<u8>,
    /// Output ready to hand out, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    in_format: bool,
    eof: bool,
    open: memmem::Finder<'static>,
    close: memmem::Finder<'static>,
}

impl<R: Read> StripFormat<R> {
    pub(crate) fn new(inner: R) -> Self {
        StripFormat {
            inner,
            carry: Vec::with_capacity(CHUNK + CLOSE.len()),
            out: Vec::with_capacity(CHUNK),
            out_pos: 0,
            in_format: false,
            eof: false,
            open: memmem::Finder::new(OPEN),
            close: memmem::Finder::new(CLOSE),
        }
    }

    /// Reads one chunk and moves what can be decided from `carry` to `out`.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        let start = self.carry.len();
        self.carry.resize(start + CHUNK, 0);
        let n = self.inner.read(&mut self.carry[start..])?;
        self.carry.truncate(start + n);
        if n == 0 {
            self.eof = true;
        }
        let mut pos = 0;
        loop {
            let rest = &self.carry[pos..];
            if self.in_format {
                match self.close.find(rest) {
                    Some(i) => {
                        pos += i + CLOSE.len();
                        self.in_format = false;
                    }
                    None => {
                        // Keep a possible partial `</format>` at the end.
                        let keep = if self.eof {
                            0
                        } else {
                            (CLOSE.len() - 1).min(rest.len())
                        };
                        pos = self.carry.len() - keep;
                        break;
                    }
                }
            } else {
                match self.open.find(rest) {
                    Some(i) => {
                        self.out.extend_from_slice(&rest[..i]);
                        pos += i + OPEN.len();
                        self.in_format = true;
                    }
                    None => {
                        let keep = if self.eof {
                            0
                        } else {
                            (OPEN.len() - 1).min(rest.len())
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
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
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
    fn passes_text_without_blocks_and_partial_tags_through() {
        let input = b"<a>&lt;format&gt; <forma</a>";
        let mut out = Vec::new();
        StripFormat::new(Trickle(input, 3))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, input);
    }
}
