//! Times and dates as users write them (`--now`, a manifest's `now`, `ApproveUntilDate`).

/// Parses `YYYY-MM-DD` strictly (a real calendar date).
pub fn parse_date(s: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if s.len() != 10 {
        return None;
    }
    time::Date::parse(s, &format).ok()
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses a point in time as `--now` takes it: RFC 3339, `YYYY-MM-DD` (00:00 UTC) or UNIX
/// seconds; the error says which forms are accepted.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    parse_date(s)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .ok_or_else(|| format!("{s:?} is not RFC 3339, YYYY-MM-DD or UNIX seconds"))
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC); times outside years 0000–9999 as plain seconds.
///
/// Written out by hand (the civil-from-days conversion of Howard Hinnant's date algorithms):
/// reports format a time per patch, and the `time` crate's formatter was a tenth of a scan.
pub fn format_time(t: i64) -> String {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    if !(MIN..=MAX).contains(&t) {
        return t.to_string();
    }
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = [0u8; 20];
    let mut at = 0;
    for (value, width, sep) in [
        (year, 4, b'-'),
        (month, 2, b'-'),
        (day, 2, b'T'),
        (secs / 3600, 2, b':'),
        (secs / 60 % 60, 2, b':'),
        (secs % 60, 2, b'Z'),
    ] {
        let mut digits = [b'0'; 4];
        let mut v = value;
        for d in digits[..width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out[at..at + width].copy_from_slice(&digits[..width]);
        out[at + width] = sep;
        at += width + 1;
    }
    // ASCII digits and separators only.
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_and_the_error() {
        assert_eq!(parse_time("1748779200"), Ok(1_748_779_200));
        assert_eq!(parse_time("2025-06-01T12:00:00Z"), Ok(1_748_779_200));
        assert_eq!(parse_time("2025-06-01T14:00:00+02:00"), Ok(1_748_779_200));
        assert_eq!(parse_time("2025-06-01"), Ok(1_748_736_000));
        let err = parse_time("2025-02-30").unwrap_err();
        assert_eq!(
            err,
            "\"2025-02-30\" is not RFC 3339, YYYY-MM-DD or UNIX seconds"
        );
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn format_time_writes_what_the_time_crate_writes() {
        let reference = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| {
                    d.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| t.to_string())
        };
        let mut t: i64 = 0x1234_5678;
        let mut cases = vec![
            0,
            -1,
            1,
            86_399,
            86_400,
            951_782_400, // 2000-02-29
            4_107_542_399,
            -62_167_219_200,
            -62_167_219_201,
            253_402_300_799,
            253_402_300_800,
            i64::MIN,
            i64::MAX,
        ];
        for _ in 0..20_000 {
            // xorshift over the whole range, and over ±200 years of seconds
            t ^= t << 13;
            t ^= t >> 7;
            t ^= t << 17;
            cases.push(t);
            cases.push(t % 6_311_390_400);
        }
        for t in cases {
            assert_eq!(format_time(t), reference(t), "{t}");
        }
    }
}
