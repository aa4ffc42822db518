//! Dates as repository metadata writes them, read as UNIX seconds UTC.

use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

/// Reads an updateinfo `issued`/`updated` date (or any rpm-md date) as UNIX seconds, UTC.
///
/// Accepts every form seen in real files: `YYYY-MM-DD HH:MM:SS` (RHEL, Rocky, Fedora),
/// `YYYY-MM-DD HH:MM` (Amazon Linux), `YYYY-MM-DD HH`, `YYYY-MM-DD`, ISO 8601 with `T`, an
/// optional fraction and `Z` or `±HH:MM` (Bottlerocket), a trailing ` UTC`/` GMT`, and bare
/// UNIX seconds (SUSE). Forms without a zone are UTC, as Patch Manager reads them. Anything
/// else is `None`, so the caller can fall back to another date and say so.
pub fn parse_metadata_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let date = Date::from_calendar_date(
        i32::from(digits(bytes, 0, 4)?),
        Month::try_from(u8::try_from(digits(bytes, 5, 2)?).ok()?).ok()?,
        u8::try_from(digits(bytes, 8, 2)?).ok()?,
    )
    .ok()?;
    let rest = &text[10..];
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix(' '))
        .unwrap_or(rest);
    let (time, zone) = parse_time(rest)?;
    let offset = parse_zone(zone)?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .unix_timestamp(),
    )
}

/// `HH[:MM[:SS[.fraction]]]` (each part optional after the hour) and what follows it.
fn parse_time(text: &str) -> Option<(Time, &str)> {
    let bytes = text.as_bytes();
    let mut fields = [0u8; 3];
    let mut at = 0;
    for (i, field) in fields.iter_mut().enumerate() {
        if i > 0 {
            if bytes.get(at) != Some(&b':') || !bytes.get(at + 1).is_some_and(u8::is_ascii_digit) {
                break;
            }
            at += 1;
        }
        if !bytes.get(at).is_some_and(u8::is_ascii_digit) {
            break;
        }
        *field = u8::try_from(digits(bytes, at, 2)?).ok()?;
        at += 2;
    }
    if at > 0 && bytes.get(at) == Some(&b'.') {
        // Fractional seconds do not change the second a patch was released in.
        at += 1;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
    }
    let time = Time::from_hms(fields[0], fields[1], fields[2]).ok()?;
    Some((time, &text[at..]))
}

/// A zone suffix: nothing, `Z`, ` UTC`, ` GMT`, or `±HH[:]MM`.
fn parse_zone(text: &str) -> Option<UtcOffset> {
    let text = text.trim();
    match text {
        "" | "Z" | "z" | "UTC" | "GMT" => return Some(UtcOffset::UTC),
        _ => {}
    }
    let bytes = text.as_bytes();
    let sign: i8 = match bytes.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = i8::try_from(digits(bytes, 1, 2)?).ok()?;
    let minutes_at = if bytes.get(3) == Some(&b':') { 4 } else { 3 };
    let minutes = match bytes.len() {
        3 => 0,
        len if len == minutes_at + 2 => i8::try_from(digits(bytes, minutes_at, 2)?).ok()?,
        _ => return None,
    };
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// The decimal number in `bytes[at..at + len]`, all of which must be ASCII digits.
fn digits(bytes: &[u8], at: usize, len: usize) -> Option<u16> {
    let field = bytes.get(at..at + len)?;
    field.iter().try_fold(0u16, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u16::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::parse_metadata_date as parse;

    #[test]
    fn full_seconds_rocky() {
        // vuln-list-update/rocky/updateinfo.xml, RLBA-2021:2580 issued.
        assert_eq!(parse("2021-07-22 18:25:24"), Some(1_626_978_324));
    }

    #[test]
    fn minutes_amazon_linux_2() {
        // vuln-list-update/amazon/updateinfo_1_item.xml.gz, ALAS2-2018-939 issued.
        assert_eq!(parse("2018-01-11 21:05"), Some(1_515_704_700));
    }

    #[test]
    fn hour_only_and_date_only() {
        // The PBO-2021 yum forms; date from libdnf/advisories/updateinfo.xml.
        assert_eq!(parse("2019-03-29 00"), Some(1_553_817_600));
        assert_eq!(parse("2019-03-29 07"), Some(1_553_817_600 + 7 * 3600));
        assert_eq!(parse("2019-03-29"), Some(1_553_817_600));
    }

    #[test]
    fn iso_8601_bottlerocket_and_variants() {
        // vuln-list-update/bottlerocket/updateinfo.xml.gz, BRSA-1bwujdrkn6nc.
        assert_eq!(parse("2025-06-11T19:52:52Z"), Some(1_749_671_572));
        assert_eq!(parse("2025-06-11T19:52:52.123456Z"), Some(1_749_671_572));
        assert_eq!(parse("2025-06-11T21:52:52+02:00"), Some(1_749_671_572));
        assert_eq!(parse("2025-06-11T14:52:52-0500"), Some(1_749_671_572));
        assert_eq!(parse("2025-06-11T19:52:52"), Some(1_749_671_572));
        assert_eq!(parse("2025-06-11 19:52:52 UTC"), Some(1_749_671_572));
    }

    #[test]
    fn unix_seconds_suse() {
        // libzypp/opensuse-11.0-update/repodata/updateinfo.xml.gz, xorg-x11-Xvnc issued.
        assert_eq!(parse("1213630432"), Some(1_213_630_432));
    }

    #[test]
    fn unparseable_is_none() {
        for bad in [
            "",
            "soon",
            "2021-13-01",
            "2021-02-30 00:00:00",
            "2021-07-22 25:00",
            "2021-07-22 18:25:24 CEST",
            "21-07-22",
            "2021-07-22x",
            "99999999999999999999999",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
