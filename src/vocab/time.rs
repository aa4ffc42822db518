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
}
