//! Dates in rpm-md metadata, in every form found in real files, all UTC.

use time::{Date, Month, PrimitiveDateTime, Time};

/// Parses `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH`, `YYYY-MM-DD`, ISO 8601
/// with `T` (`Z`, an offset, fractional seconds) and UNIX seconds. `None` when none fits.
pub fn parse_metadata_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(num(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let date = Date::from_calendar_date(year, month, u8::try_from(num(8..10)?).ok()?).ok()?;
    let rest = &s[10..];
    let rest = rest.strip_prefix([' ', 'T']).unwrap_or(rest);
    let rest = rest.trim_end_matches(" UTC").trim_end_matches('Z');
    let mut hms = [0u8; 3];
    if !rest.is_empty() {
        let main = rest.split(['.', '+']).next().unwrap_or("");
        for (i, part) in main.split(':').enumerate() {
            if i > 2 || part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            hms[i] = part.parse().ok()?;
        }
    }
    let t = Time::from_hms(hms[0], hms[1], hms[2]).ok()?;
    Some(
        PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_seen_in_real_files() {
        // Amazon Linux 2 (vuln-list-update fixtures): minutes, no seconds.
        assert_eq!(parse_metadata_date("2018-01-11 21:05"), Some(1_515_704_700));
        // Rocky, Amazon Linux 2023: seconds.
        assert_eq!(
            parse_metadata_date("2018-01-11 21:05:30"),
            Some(1_515_704_730)
        );
        assert_eq!(parse_metadata_date("2018-01-11 21"), Some(1_515_704_400));
        assert_eq!(parse_metadata_date("2018-01-11"), Some(1_515_628_800));
        // Bottlerocket: ISO 8601.
        assert_eq!(
            parse_metadata_date("2025-06-11T19:52:52Z"),
            Some(1_749_671_572)
        );
        assert_eq!(
            parse_metadata_date("2025-06-11T19:52:52.123+00:00"),
            Some(1_749_671_572)
        );
        // openSUSE: UNIX seconds.
        assert_eq!(parse_metadata_date("1213108400"), Some(1_213_108_400));
        assert_eq!(
            parse_metadata_date("2018-01-11 21:05:30 UTC"),
            Some(1_515_704_730)
        );
        for bad in [
            "",
            "yesterday",
            "2018-13-01",
            "2018-02-30",
            "2018/01/11",
            "2018-01-11 25:00",
        ] {
            assert_eq!(parse_metadata_date(bad), None, "{bad}");
        }
    }
}
