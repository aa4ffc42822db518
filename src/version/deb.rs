//! Debian versions with dpkg's ordering (epoch, upstream, revision; `~` before everything,
//! letters before other characters, digit runs compared as numbers of any length, a missing
//! digit run equal to 0).
//!
//! Our own implementation: the `debversion` crate orders `1.0~` below `1.0~0`, where dpkg and
//! apt say equal (found by the differential tests; see docs/dependencies.md).

use std::cmp::Ordering;
use std::fmt;

use super::VersionError;

/// A Debian package version as dpkg orders it.
///
/// Keeps the string it was parsed from for display (reports print versions as dpkg does).
/// Equality follows the ordering (`1.0` equals `1.00`), so there is no `Hash`.
#[derive(Debug, Clone)]
pub struct DebVersion {
    text: Box<str>,
    epoch: u32,
    /// Byte range of the upstream version in `text`.
    upstream: (u32, u32),
    /// Byte range of the revision in `text` (empty when there is none).
    revision: (u32, u32),
}

impl DebVersion {
    /// Parses `[epoch:]upstream[-revision]` as dpkg does: the epoch is what precedes the first
    /// `:`, the revision what follows the last `-`. Characters outside Debian policy (`_`)
    /// are accepted, as apt accepts them in real archives.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let text = input.trim();
        let err = |reason: &str| VersionError::Deb {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if text.is_empty() {
            return Err(err("empty version"));
        }
        if text.len() > u32::MAX as usize {
            return Err(err("version is too long"));
        }
        let allowed = |b: u8| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'~' | b':' | b'_')
        };
        if !text.bytes().all(allowed) {
            let c = text
                .chars()
                .find(|c| !c.is_ascii() || !allowed(*c as u8))
                .unwrap_or_default();
            return Err(err(&format!("character {c:?} is not allowed in a version")));
        }
        let bytes = text.as_bytes();
        let (epoch, upstream_start) = match memchr::memchr(b':', bytes) {
            Some(i) => {
                let digits = &text[..i];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("epoch is not a number"));
                }
                let epoch = digits
                    .parse::<u32>()
                    .map_err(|_| err("epoch is too large"))?;
                (epoch, i + 1)
            }
            None => (0, 0),
        };
        let rest = &bytes[upstream_start..];
        let (upstream, revision) = match memchr::memrchr(b'-', rest) {
            Some(i) => (
                (upstream_start, upstream_start + i),
                (upstream_start + i + 1, text.len()),
            ),
            None => ((upstream_start, text.len()), (text.len(), text.len())),
        };
        if upstream.0 == upstream.1 {
            return Err(err("empty upstream version"));
        }
        if revision.0 == revision.1 && rest.ends_with(b"-") {
            return Err(err("empty revision after '-'"));
        }
        // Every offset is at most `text.len()`, checked above to fit.
        let narrow = |(a, b): (usize, usize)| (a as u32, b as u32);
        Ok(DebVersion {
            text: text.into(),
            epoch,
            upstream: narrow(upstream),
            revision: narrow(revision),
        })
    }

    /// The version exactly as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        &self.text[self.upstream.0 as usize..self.upstream.1 as usize]
    }

    /// The Debian revision (empty when absent, which dpkg orders as `0`).
    pub fn revision(&self) -> &str {
        &self.text[self.revision.0 as usize..self.revision.1 as usize]
    }
}

/// dpkg's weight of one character in a non-digit run: `~` first, then the end of the run (and
/// digits), then letters, then everything else.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs; digit runs compare as numbers of
/// any length, a missing run counting as 0.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            // Equal weights are only possible for two equal non-digit characters.
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && j < b.len() && a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if a.get(i).is_some_and(u8::is_ascii_digit) {
            return Ordering::Greater;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream(), other.upstream()))
            .then_with(|| verrevcmp(self.revision(), other.revision()))
    }
}

impl PartialOrd for DebVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DebVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebVersion {}

impl fmt::Display for DebVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        DebVersion::parse(a)
            .unwrap()
            .cmp(&DebVersion::parse(b).unwrap())
    }

    #[test]
    fn dpkg_rules() {
        use Ordering::*;
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "1.00", Equal),
            ("1.0-0", "1.0", Equal),
            ("1:1.0", "2.0", Greater),
            ("0:1.0", "1.0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0a", "1.0+", Less),
            ("1.0+", "1.0", Greater),
            ("1.0", "1.0a", Less),
            ("2.36-9+deb12u4", "2.36-9+deb12u10", Less),
            ("1.2-1+b1", "1.2-1", Greater),
            ("1.2-1ubuntu0.1", "1.2-1ubuntu1", Less),
            ("1.2-1~bpo12+1", "1.2-1", Less),
            (
                "123456789012345678901234",
                "123456789012345678901233",
                Greater,
            ),
            ("1.0-1", "1.0-1.1", Less),
            ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", Less),
            // A missing digit run counts as 0 (the debversion crate gets these wrong).
            ("1.0~", "1.0~0", Equal),
            ("1.3.0+dfsg1~-6", "1.3.0+dfsg1~0-6", Equal),
            ("1.0a", "1.0a0", Equal),
            ("9:1.18.36:5.4-20", "9:1.18.36:5.5-1", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn keeps_text_and_rejects_garbage() {
        let v = DebVersion::parse("1:9.18.28-1~deb12u2").unwrap();
        assert_eq!(v.to_string(), "1:9.18.28-1~deb12u2");
        assert_eq!(v.epoch(), 1);
        assert_eq!(v.upstream(), "9.18.28");
        assert_eq!(v.revision(), "1~deb12u2");
        for bad in [
            "",
            "a:1.0",
            ":1.0",
            "1.0 2",
            "1.0/2",
            "1:",
            "1.0-",
            "99999999999:1",
        ] {
            assert!(DebVersion::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
