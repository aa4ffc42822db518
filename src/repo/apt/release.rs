//! `Release` and `InRelease` files: a suite's identity (Origin, Label, Suite, Codename, …) and
//! dates. `InRelease` is the same paragraph inside an OpenPGP clear-signed message; the armour
//! is stripped (apt verified the signature when it fetched the file).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::AptError;
use crate::deb822::{self, Reader};

/// A suite's `Release` fields.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Release {
    pub origin: String,
    pub label: String,
    /// The archive name (`stable`, `oldstable-security`, `jammy-updates`): apt's `archive`.
    pub suite: String,
    pub codename: String,
    pub version: String,
    pub components: Vec<String>,
    pub architectures: Vec<String>,
    /// `Date`, UNIX seconds.
    pub date: Option<i64>,
    /// `Valid-Until`, UNIX seconds.
    pub valid_until: Option<i64>,
    /// `NotAutomatic: yes` (backports, experimental): apt pins it to 1; Patch Manager ignores
    /// pinning.
    pub not_automatic: bool,
    /// The files its `SHA256` field lists, by their path under the suite's directory
    /// (`main/binary-amd64/Packages.xz`), with their size and SHA-256.
    #[serde(skip)]
    pub sha256: HashMap<String, ListedFile>,
    /// The file it was read from.
    pub path: PathBuf,
}

/// A file a Release lists: its size and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedFile {
    pub size: u64,
    pub sha256: [u8; 32],
}

/// The `SHA256` field's `HASH SIZE PATH` lines (the first line of the field is empty, as apt
/// writes it; a line that is not three such words is an error naming it).
fn sha256_entries(
    field: Option<&deb822::Field<'_>>,
    text: &[u8],
    path: &Path,
    first_line: usize,
) -> Result<HashMap<String, ListedFile>, AptError> {
    let mut out = HashMap::new();
    let Some(field) = field else {
        return Ok(out);
    };
    for line in field.value().split(|&b| b == b'\n') {
        let line = deb822::trim(line);
        if line.is_empty() {
            continue;
        }
        let words: Vec<&[u8]> = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        let entry = match words[..] {
            [hash, size, name] => parse_sha256(hash).and_then(|sha256| {
                let size = std::str::from_utf8(size).ok()?.parse().ok()?;
                Some((
                    deb822::lossy(name).into_owned(),
                    ListedFile { size, sha256 },
                ))
            }),
            _ => None,
        };
        let Some((name, file)) = entry else {
            return Err(AptError::Invalid {
                path: path.to_path_buf(),
                // The line's place in `text`, which the value is a part of.
                line: first_line
                    + memchr::memchr_iter(
                        b'\n',
                        &text[..line.as_ptr() as usize - text.as_ptr() as usize],
                    )
                    .count(),
                message: format!(
                    "'SHA256' line {:?} is not 'HASH SIZE PATH' (64 hex digits, a size, a path)",
                    deb822::lossy(line)
                ),
            });
        };
        out.insert(name, file);
    }
    Ok(out)
}

fn parse_sha256(hex: &[u8]) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

const BEGIN_SIGNED: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----";
const BEGIN_SIGNATURE: &[u8] = b"-----BEGIN PGP SIGNATURE-----";

/// The signed text of a clear-signed message (RFC 4880 §7): the armour header lines up to the
/// first blank line are skipped, the text ends at the signature block, and dash-escaped lines
/// (`- -…`) are unescaped. Unsigned input comes back unchanged. Returns the text and the line
/// number (1-based) its first line had in the input.
pub fn strip_clearsign<'a>(
    bytes: &'a [u8],
    path: &Path,
) -> Result<(Cow<'a, [u8]>, usize), AptError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if !bytes[start..].starts_with(BEGIN_SIGNED) {
        return Ok((Cow::Borrowed(bytes), 1));
    }
    let bad = |line: usize, message: &str| AptError::Invalid {
        path: path.to_path_buf(),
        line,
        message: message.to_string(),
    };
    // The armour header lines (`Hash: …`) end at the first blank line after BEGIN.
    let mut body_start = None;
    let mut pos = 0;
    let mut seen_begin = false;
    for (i, l) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let content = deb822::trim(l.strip_suffix(b"\n").unwrap_or(l));
        if !seen_begin {
            if content.starts_with(BEGIN_SIGNED) {
                seen_begin = true;
            }
        } else if content.is_empty() {
            body_start = Some((pos + l.len(), i + 2));
            break;
        }
        pos += l.len();
    }
    let Some((body, first_line)) = body_start else {
        return Err(bad(
            1,
            "clear-signed message without a blank line after its armour headers",
        ));
    };
    let rest = &bytes[body..];
    let end = rest
        .windows(BEGIN_SIGNATURE.len() + 1)
        .position(|w| w[0] == b'\n' && &w[1..] == BEGIN_SIGNATURE)
        .map(|i| i + 1)
        .or_else(|| rest.starts_with(BEGIN_SIGNATURE).then_some(0));
    let Some(end) = end else {
        return Err(bad(
            first_line,
            "clear-signed message without its signature block (truncated?)",
        ));
    };
    let text = &rest[..end];
    let escaped = text.starts_with(b"- ") || memchr::memmem::find(text, b"\n- ").is_some();
    if !escaped {
        return Ok((Cow::Borrowed(text), first_line));
    }
    let mut out = Vec::with_capacity(text.len());
    for l in text.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(l.strip_prefix(b"- ").unwrap_or(l));
    }
    Ok((Cow::Owned(out), first_line))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Parses a Release date as apt writes and reads them: RFC 1123 / RFC 2822
/// (`Sat, 11 Jul 2026 10:16:37 UTC`, `+0000`, `GMT`, `Z`; the weekday optional).
pub fn parse_date(s: &str) -> Option<i64> {
    let mut words: Vec<&str> = s.split_ascii_whitespace().collect();
    if words.first().is_some_and(|w| w.ends_with(',')) {
        words.remove(0);
    }
    let [day, month, year, clock, zone @ ..] = &words[..] else {
        return None;
    };
    let day: u8 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as u8 + 1;
    let year: i32 = year.parse().ok()?;
    let mut hms = clock.split(':');
    let h: u8 = hms.next()?.parse().ok()?;
    let m: u8 = hms.next()?.parse().ok()?;
    let sec: u8 = hms.next().map_or(Some(0), |x| x.parse().ok())?;
    let offset = match zone.first().copied() {
        None | Some("UTC" | "GMT" | "Z" | "UT") => 0,
        Some(z)
            if (z.starts_with('+') || z.starts_with('-'))
                && z.len() == 5
                && z.bytes().skip(1).all(|b| b.is_ascii_digit()) =>
        {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let hh: i64 = z[1..3].parse().ok()?;
            let mm: i64 = z[3..5].parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
        Some(_) => return None,
    };
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let t = time::Time::from_hms(h, m, sec.min(59)).ok()?;
    Some(date.with_time(t).assume_utc().unix_timestamp() - offset)
}

fn words(value: &[u8]) -> Vec<String> {
    value
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .map(|w| deb822::lossy(w).into_owned())
        .collect()
}

/// Parses a `Release` or `InRelease` file.
pub fn parse_release(bytes: &[u8], path: &Path) -> Result<Release, AptError> {
    let (text, first_line) = strip_clearsign(bytes, path)?;
    let mut reader = Reader::new(&text);
    let para = match reader.next() {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            return Err(AptError::Invalid {
                path: path.to_path_buf(),
                line: e.line + first_line - 1,
                message: e.message,
            })
        }
        None => {
            return Err(AptError::Invalid {
                path: path.to_path_buf(),
                line: 1,
                message: "empty Release file".into(),
            })
        }
    };
    let get = |k: &str| para.get(k).map(|v| deb822::lossy(v).trim().to_string());
    let s = |k: &str| get(k).unwrap_or_default();
    if para.field("Suite").is_none() && para.field("Codename").is_none() {
        return Err(AptError::Invalid {
            path: path.to_path_buf(),
            line: para.line() + first_line - 1,
            message: "not a Release file: neither 'Suite' nor 'Codename'".into(),
        });
    }
    let date_field = |k: &str| -> Result<Option<i64>, AptError> {
        match para.field(k) {
            None => Ok(None),
            Some(f) => {
                let v = deb822::lossy(f.first_line());
                parse_date(&v).map(Some).ok_or_else(|| AptError::Invalid {
                    path: path.to_path_buf(),
                    line: f.line() + first_line - 1,
                    message: format!("'{k}' {v:?} is not an RFC 2822 date"),
                })
            }
        }
    };
    Ok(Release {
        origin: s("Origin"),
        label: s("Label"),
        suite: s("Suite"),
        codename: s("Codename"),
        version: s("Version"),
        components: para.get("Components").map(words).unwrap_or_default(),
        architectures: para.get("Architectures").map(words).unwrap_or_default(),
        date: date_field("Date")?,
        valid_until: date_field("Valid-Until")?,
        not_automatic: get("NotAutomatic").is_some_and(|v| v.eq_ignore_ascii_case("yes")),
        sha256: sha256_entries(para.field("SHA256"), &text, path, first_line)?,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_apt_writes_them() {
        assert_eq!(
            parse_date("Sat, 11 Jul 2026 10:16:37 UTC"),
            Some(time::macros::datetime!(2026-07-11 10:16:37 UTC).unix_timestamp())
        );
        let t = time::macros::datetime!(2020-04-23 17:33:17 UTC).unix_timestamp();
        assert_eq!(parse_date("Thu, 23 Apr 2020 17:33:17 UTC"), Some(t));
        assert_eq!(parse_date("23 Apr 2020 17:33:17 +0000"), Some(t));
        assert_eq!(parse_date("Thu, 23 Apr 2020 19:33:17 +0200"), Some(t));
        assert_eq!(parse_date("2020-04-23"), None);
        assert_eq!(
            parse_date("Thu, 23 Apr 2020 19:33:17 +0\u{e9}0"),
            None,
            "no panic"
        );
        assert_eq!(parse_date("Thu, 31 Feb 2020 17:33:17 UTC"), None);
    }

    #[test]
    fn clearsign_armour_is_stripped_and_dash_escapes_undone() {
        let signed = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: X\nSuite: s\n- -dashed\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n";
        let (text, line) = strip_clearsign(signed, Path::new("InRelease")).unwrap();
        assert_eq!(&*text, b"Origin: X\nSuite: s\n-dashed\n");
        assert_eq!(line, 4);
        let truncated = &signed[..40];
        let err = strip_clearsign(truncated, Path::new("InRelease")).unwrap_err();
        assert!(err.to_string().contains("InRelease"), "{err}");
        let plain = b"Origin: X\n";
        assert_eq!(&*strip_clearsign(plain, Path::new("R")).unwrap().0, plain);
    }

    #[test]
    fn release_fields() {
        let r = parse_release(
            b"Origin: Debian\nLabel: Debian-Security\nSuite: oldstable-security\nCodename: bookworm-security\nDate: Fri, 20 Nov 2026 00:12:41 UTC\nValid-Until: Fri, 27 Nov 2026 00:12:41 UTC\nArchitectures: amd64 arm64\nComponents: updates/main updates/contrib\nSHA256:\n 5e6ba6c8a0d8bd7e0f4dd6e6bd4f2f3e5d3e1a1b2c3d4e5f60718293a4b5c6d7 1234 main/binary-amd64/Packages\n",
            Path::new("Release"),
        )
        .unwrap();
        assert_eq!(r.suite, "oldstable-security");
        assert_eq!(r.codename, "bookworm-security");
        assert_eq!(r.components, ["updates/main", "updates/contrib"]);
        assert!(r.valid_until.unwrap() - r.date.unwrap() == 7 * 86_400);
        let listed = r.sha256["main/binary-amd64/Packages"];
        assert_eq!(listed.size, 1234);
        assert_eq!(listed.sha256[..3], [0x5e, 0x6b, 0xa6]);
        assert_eq!(listed.sha256[31], 0xd7);
        for bad in ["abc 1 main/x", "5e6b 12 x y z"] {
            let text = format!("Suite: s\nSHA256:\n {bad}\n");
            let err = parse_release(text.as_bytes(), Path::new("R"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("R: line 3") && err.contains(bad), "{err}");
        }
        let err = parse_release(b"Origin: X\nDate: yesterday\nSuite: s\n", Path::new("R"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("R: line 2") && err.contains("yesterday"),
            "{err}"
        );
    }
}
