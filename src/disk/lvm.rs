//! LVM2 physical volumes with linear logical volumes (RHEL images built by kickstart keep
//! their root in `rhel/root`), from the on-disk format: the `LABELONE` label in one of the
//! first four sectors, the PV header with its metadata areas, the newest metadata text in the
//! first area's circular buffer, and each LV's segments. Only linear segments (`striped` with
//! one stripe) on this PV are mapped; an LV with any other kind of segment is listed as not
//! read. The text parser keeps to LVM's config syntax and bounds its depth.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;

use super::block::bytes::{le32, le64};
use super::block::{Blocks, Source};

/// The most metadata text read (LVM's default area is 1 MiB).
const MAX_METADATA: u64 = 64 << 20;
/// Nesting deeper than this is not LVM metadata.
const MAX_DEPTH: usize = 16;

/// Whether a source starts with an LVM2 label.
pub fn probe(src: &dyn Blocks) -> bool {
    label(src).is_some()
}

fn label(src: &dyn Blocks) -> Option<(u64, Vec<u8>)> {
    for sector in 0..4u64 {
        let mut s = vec![0u8; 512];
        src.read_at(sector * 512, &mut s).ok()?;
        if &s[0..8] == b"LABELONE" && &s[24..32] == b"LVM2 001" {
            return Some((sector * 512, s));
        }
    }
    None
}

/// One logical volume found on the PV.
pub struct LogicalVolume {
    /// `vg/lv`.
    pub name: String,
    pub size: u64,
    /// Its bytes, when every segment is linear on this PV; else why not.
    pub disk: Result<Source, String>,
}

/// A value of LVM's config format.
#[derive(Debug, Clone)]
enum Value {
    Num(i64),
    Str(String),
    List(Vec<Value>),
    Section(Vec<(String, Value)>),
}

impl Value {
    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Section(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn num(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }
    fn str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

struct Parser<'a> {
    b: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip(&mut self) {
        while self.at < self.b.len() {
            match self.b[self.at] {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => self.at += 1,
                b'#' => {
                    while self.at < self.b.len() && self.b[self.at] != b'\n' {
                        self.at += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn word(&mut self) -> Option<String> {
        self.skip();
        let start = self.at;
        while self.at < self.b.len()
            && (self.b[self.at].is_ascii_alphanumeric() || b"_.-+".contains(&self.b[self.at]))
        {
            self.at += 1;
        }
        (self.at > start).then(|| String::from_utf8_lossy(&self.b[start..self.at]).into_owned())
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("metadata nested too deep".into());
        }
        self.skip();
        match self.b.get(self.at) {
            Some(b'"') => {
                self.at += 1;
                let mut s = Vec::new();
                while let Some(&c) = self.b.get(self.at) {
                    self.at += 1;
                    match c {
                        b'\\' => {
                            if let Some(&n) = self.b.get(self.at) {
                                s.push(n);
                                self.at += 1;
                            }
                        }
                        b'"' => return Ok(Value::Str(String::from_utf8_lossy(&s).into_owned())),
                        _ => s.push(c),
                    }
                }
                Err("a string runs to the end of the metadata".into())
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip();
                    match self.b.get(self.at) {
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Value::List(items));
                        }
                        None => return Err("a list runs to the end of the metadata".into()),
                        _ => items.push(self.value(depth + 1)?),
                    }
                }
            }
            _ => {
                let w = self
                    .word()
                    .ok_or_else(|| format!("unexpected byte at {} of the metadata", self.at))?;
                w.parse()
                    .map(Value::Num)
                    .map_err(|_| format!("a bare word {w:?} in the metadata"))
            }
        }
    }

    /// `key = value` and `name { … }` items up to `}` or the end.
    fn section(&mut self, depth: usize) -> Result<Vec<(String, Value)>, String> {
        if depth > MAX_DEPTH {
            return Err("metadata nested too deep".into());
        }
        let mut items = Vec::new();
        loop {
            self.skip();
            match self.b.get(self.at) {
                None | Some(0) => return Ok(items),
                Some(b'}') => {
                    self.at += 1;
                    return Ok(items);
                }
                _ => {}
            }
            let key = self
                .word()
                .ok_or_else(|| format!("unexpected byte at {} of the metadata", self.at))?;
            self.skip();
            match self.b.get(self.at) {
                Some(b'=') => {
                    self.at += 1;
                    items.push((key, self.value(depth + 1)?));
                }
                Some(b'{') => {
                    self.at += 1;
                    items.push((key, Value::Section(self.section(depth + 1)?)));
                }
                _ => return Err(format!("{key:?} is followed by neither `=` nor `{{`")),
            }
        }
    }
}

/// A linear LV's map: (LV byte, length, PV byte) runs.
struct Linear {
    pv: Source,
    runs: Vec<(u64, u64, u64)>,
    size: u64,
}

impl Blocks for Linear {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        super::block::within(offset, buf.len(), self.size)?;
        let mut done = 0usize;
        while done < buf.len() {
            let at = offset + done as u64;
            let &(start, len, pv_at) = self
                .runs
                .iter()
                .find(|(s, l, _)| at >= *s && at < s + l)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("LVM: byte {at} is in no segment"),
                    )
                })?;
            let n = ((start + len - at) as usize).min(buf.len() - done);
            self.pv
                .read_at(pv_at + (at - start), &mut buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }
}

/// The logical volumes of the PV on `pv`.
pub fn volumes(pv: &Source) -> Result<Vec<LogicalVolume>, String> {
    let (at, sector) = label(pv.as_ref()).ok_or("no LVM2 label")?;
    let offset = u64::from(le32(&sector, 20).unwrap_or(0));
    let mut header = vec![0u8; 512];
    pv.read_at(at + offset, &mut header)
        .map_err(|e| format!("LVM PV header: {e}"))?;
    let uuid: String = String::from_utf8_lossy(&header[0..32]).into_owned();
    // Data areas, then metadata areas, each list ending in a zero pair.
    let mut pos = 40;
    let mut lists: Vec<Vec<(u64, u64)>> = vec![Vec::new(), Vec::new()];
    for list in lists.iter_mut() {
        loop {
            let (o, s) = (
                le64(&header, pos).unwrap_or(0),
                le64(&header, pos + 8).unwrap_or(0),
            );
            pos += 16;
            if o == 0 && s == 0 {
                break;
            }
            if pos > header.len() - 16 {
                return Err("LVM PV header: its area lists run past the sector".into());
            }
            list.push((o, s));
        }
    }
    let &(mda_at, mda_size) = lists[1].first().ok_or("LVM PV header: no metadata area")?;
    let mut mda = vec![0u8; 512];
    pv.read_at(mda_at, &mut mda)
        .map_err(|e| format!("LVM metadata area: {e}"))?;
    if &mda[4..20] != b" LVM2 x[5A%r0N*>" {
        return Err("LVM metadata area: no magic".into());
    }
    let (text_at, text_len) = (le64(&mda, 40).unwrap_or(0), le64(&mda, 48).unwrap_or(0));
    let inside = mda_at
        .checked_add(mda_size)
        .is_some_and(|end| end <= pv.size());
    if !inside
        || mda_size < 512
        || text_len == 0
        || text_len > MAX_METADATA
        || text_len > mda_size - 512
        || text_at < 512
        || text_at >= mda_size
    {
        return Err(format!(
            "LVM metadata area: text of {text_len} bytes at {text_at}"
        ));
    }
    // A circular buffer after the 512-byte header: the text may wrap to its start.
    let mut text = vec![0u8; text_len as usize];
    let first = text_len.min(mda_size - text_at) as usize;
    pv.read_at(mda_at + text_at, &mut text[..first])
        .map_err(|e| format!("LVM metadata: {e}"))?;
    if first < text.len() {
        pv.read_at(mda_at + 512, &mut text[first..])
            .map_err(|e| format!("LVM metadata: {e}"))?;
    }
    let items = Parser { b: &text, at: 0 }.section(0)?;
    let (vg_name, vg) = items
        .iter()
        .find(|(_, v)| v.get("physical_volumes").is_some())
        .ok_or("LVM metadata names no volume group")?;
    let extent = vg
        .num("extent_size")
        .filter(|&n| n > 0 && n <= 1 << 40)
        .ok_or("LVM metadata: no extent_size (or an impossible one)")? as u64
        * 512;
    let mut pvs: HashMap<String, u64> = HashMap::new();
    if let Some(Value::Section(list)) = vg.get("physical_volumes") {
        for (name, p) in list {
            let id: String = p
                .str("id")
                .unwrap_or("")
                .chars()
                .filter(|c| *c != '-')
                .collect();
            if id == uuid {
                pvs.insert(
                    name.clone(),
                    (p.num("pe_start").unwrap_or(0).clamp(0, 1 << 50) as u64) * 512,
                );
            }
        }
    }
    let mut out = Vec::new();
    let Some(Value::Section(lvs)) = vg.get("logical_volumes") else {
        return Ok(out);
    };
    for (lv_name, lv) in lvs {
        let Value::Section(parts) = lv else { continue };
        let mut runs = Vec::new();
        let mut why = None;
        for (key, seg) in parts {
            if !key.starts_with("segment") || !matches!(seg, Value::Section(_)) {
                continue;
            }
            let start = seg.num("start_extent").unwrap_or(-1);
            let count = seg.num("extent_count").unwrap_or(-1);
            let kind = seg.str("type").unwrap_or("");
            let stripes = match seg.get("stripes") {
                Some(Value::List(l)) => l.clone(),
                _ => Vec::new(),
            };
            match (
                kind,
                seg.num("stripe_count"),
                stripes.as_slice(),
                start >= 0 && count > 0,
            ) {
                ("striped", Some(1), [Value::Str(pv_name), Value::Num(pe)], true) if *pe >= 0 => {
                    match pvs.get(pv_name) {
                        Some(pe_start) => {
                            let run = (
                                (start as u64).checked_mul(extent),
                                (count as u64).checked_mul(extent),
                                (*pe as u64)
                                    .checked_mul(extent)
                                    .and_then(|b| b.checked_add(*pe_start)),
                            );
                            match run {
                                (Some(a), Some(b), Some(c)) if a.checked_add(b).is_some() => {
                                    runs.push((a, b, c))
                                }
                                _ => why = Some("a segment's extents overflow".into()),
                            }
                        }
                        None => {
                            why = Some(format!(
                                "a segment lies on {pv_name}, another physical volume"
                            ))
                        }
                    }
                }
                _ => why = Some(format!("a {kind} segment (only linear ones are read)")),
            }
        }
        runs.sort();
        let size = runs
            .iter()
            .try_fold(0u64, |t, r| t.checked_add(r.1))
            .unwrap_or(u64::MAX);
        let contiguous = runs
            .iter()
            .try_fold(0u64, |next, r| (r.0 == next).then_some(r.0 + r.1))
            .is_some();
        let beyond = runs
            .iter()
            .any(|r| r.2.checked_add(r.1).is_none_or(|e| e > pv.size()));
        let name = format!("{vg_name}/{lv_name}");
        let disk = match (why, contiguous, beyond) {
            (Some(w), _, _) => Err(w),
            (None, false, _) => Err("its segments leave gaps or overlap".into()),
            (None, true, true) => Err("a segment lies past the end of the physical volume".into()),
            (None, true, false) if runs.is_empty() => Err("no segments".into()),
            (None, true, false) => Ok(Arc::new(Linear {
                pv: pv.clone(),
                runs,
                size,
            }) as Source),
        };
        out.push(LogicalVolume { name, size, disk });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metadata text real LVM wrote (the committed fixture's VG), parsed: sections,
    /// numbers, strings with escapes, lists and comments.
    #[test]
    fn lvm_config_text_parses() {
        let text = br#"rhel {
id = "2kx9uV-Prrv"  # a comment
extent_size = 8192
status = ["RESIZEABLE", "READ"]
physical_volumes {
pv0 {
id = "Cdpaba-IvzI"
pe_start = 2048
}
}
description = "a \"quoted\" word"
}
contents = "Text Format Volume Group"
"#;
        let items = Parser { b: text, at: 0 }.section(0).unwrap();
        let vg = &items[0].1;
        assert_eq!(items[0].0, "rhel");
        assert_eq!(vg.num("extent_size"), Some(8192));
        assert_eq!(vg.str("id"), Some("2kx9uV-Prrv"));
        assert_eq!(vg.str("description"), Some("a \"quoted\" word"));
        let pv = vg.get("physical_volumes").unwrap().get("pv0").unwrap();
        assert_eq!(pv.num("pe_start"), Some(2048));
        assert!(matches!(vg.get("status"), Some(Value::List(l)) if l.len() == 2));
        assert_eq!(items[1].0, "contents");
    }

    /// Damaged text is an error, and nesting is bounded.
    #[test]
    fn damaged_lvm_text_is_an_error() {
        for bad in [
            &b"vg { id = \"open"[..],
            b"vg { x = [1, 2",
            b"vg { = 3 }",
            b"vg { x y }",
        ] {
            assert!(
                Parser { b: bad, at: 0 }.section(0).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "a { ".repeat(100);
        assert!(Parser {
            b: deep.as_bytes(),
            at: 0
        }
        .section(0)
        .is_err());
    }
}
