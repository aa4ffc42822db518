//! Debian versions with dpkg's ordering (epoch, upstream, revision; `~` before everything,
//! letters before other characters, digit runs compared as numbers of any length).

use std::cmp::Ordering;
use std::fmt;

use super::VersionError;

/// A Debian package version as dpkg orders it.
///
/// Keeps the string it was parsed from for display (reports print versions as dpkg does).
/// Equality follows the ordering (`1.0` equals `1.00`), so there is no `Hash`.
#[derive(Debug, Clone)]
pub struct DebVersion {
    text: String,
    parsed: debversion::Version,
}

impl DebVersion {
    /// Parses `[epoch:]upstream[-revision]`, accepting what apt accepts in real archives
    /// (including `_`, which Debian policy forbids but real indexes carry).
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let text = input.trim();
        let err = |reason: String| VersionError::Deb {
            input: input.to_string(),
            reason,
        };
        if text.is_empty() {
            return Err(err("empty version".into()));
        }
        if let Some((epoch, _)) = text.split_once(':') {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("epoch is not a number".into()));
            }
        }
        let parsed = debversion::Version::parse_lenient(text).map_err(|e| err(e.to_string()))?;
        Ok(DebVersion {
            text: text.to_string(),
            parsed,
        })
    }

    /// The version exactly as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.parsed.epoch.unwrap_or(0)
    }
}

impl Ord for DebVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parsed.cmp(&other.parsed)
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
        for bad in ["", "a:1.0", ":1.0", "1.0 2", "1.0/2"] {
            assert!(DebVersion::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
