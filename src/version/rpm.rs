//! RPM versions: `RpmEvr` (epoch, version, release) and `Nevra`.
//!
//! Ordering is rpm's: epoch as a number first (missing = 0), then version and release, each
//! with `rpmvercmp`'s segment rules (the `rpm-version` crate implements them; our differential
//! tests against `rpm.labelCompare` keep it honest).

use std::cmp::Ordering;
use std::fmt;

use super::VersionError;

/// An RPM epoch:version-release.
///
/// Equality follows the ordering (`1.0` equals `1_0`, `01` equals `1`), so this type
/// deliberately has no `Hash`.
#[derive(Debug, Clone)]
pub struct RpmEvr {
    /// Epoch; rpm treats a missing epoch as 0.
    pub epoch: u64,
    /// Upstream version.
    pub version: String,
    /// Release; empty when the string had none (sorts below every non-empty release).
    pub release: String,
}

impl RpmEvr {
    /// Builds an EVR from structured fields, as read from a header or metadata.
    pub fn new(epoch: u64, version: impl Into<String>, release: impl Into<String>) -> Self {
        RpmEvr {
            epoch,
            version: version.into(),
            release: release.into(),
        }
    }

    /// Parses `[epoch:]version[-release]`; the release is what follows the last `-`.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |reason| VersionError::Rpm {
            input: input.to_string(),
            reason,
        };
        let (epoch, rest) = match input.split_once(':') {
            Some((e, rest)) => (
                parse_epoch(e).ok_or_else(|| err("epoch is not a number"))?,
                rest,
            ),
            None => (0, input),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, r),
            None => (rest, ""),
        };
        if version.is_empty() {
            return Err(err("empty version"));
        }
        if version.contains(':') || release.contains(':') {
            return Err(err("more than one ':'"));
        }
        Ok(RpmEvr::new(epoch, version, release))
    }

    /// `epoch:version-release` with the epoch always shown (the form reports use).
    pub fn to_full_string(&self) -> String {
        // Built by hand: a fleet report writes millions of these.
        let mut s = String::with_capacity(self.version.len() + self.release.len() + 22);
        match u8::try_from(self.epoch) {
            Ok(e) if e < 10 => s.push(char::from(b'0' + e)),
            _ => s.push_str(&self.epoch.to_string()),
        }
        s.push(':');
        s.push_str(&self.version);
        if !self.release.is_empty() {
            s.push('-');
            s.push_str(&self.release);
        }
        s
    }
}

/// An epoch as metadata and `rpm -q` write it: [`parse_epoch`], with an empty (or
/// all-blank) text meaning 0.
pub fn parse_epoch_or_zero(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        Some(0)
    } else {
        parse_epoch(text)
    }
}

/// Parses an epoch as rpm reads one: decimal digits (no sign, no blanks), leading zeros
/// allowed. The one epoch parser: EVR strings, repository metadata and inventories use it.
pub fn parse_epoch(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = text.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some(0);
    }
    trimmed.parse().ok()
}

/// rpm's `rpmvercmp` on one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    // rpm-version compares whole EVRs; with equal (empty) epochs and releases only the
    // version string decides.
    rpm_version::Evr::new("", a, "").cmp(&rpm_version::Evr::new("", b, ""))
}

impl Ord for RpmEvr {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch.cmp(&other.epoch).then_with(|| {
            rpm_version::Evr::new("", self.version.as_str(), self.release.as_str()).cmp(
                &rpm_version::Evr::new("", other.version.as_str(), other.release.as_str()),
            )
        })
    }
}

impl PartialOrd for RpmEvr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmEvr {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmEvr {}

impl fmt::Display for RpmEvr {
    /// rpm's own short form: the epoch only when it is not 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.version)?;
        if !self.release.is_empty() {
            write!(f, "-{}", self.release)?;
        }
        Ok(())
    }
}

/// A package identity: name, epoch, version, release, architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nevra {
    /// Package name.
    pub name: String,
    /// Epoch, version and release.
    pub evr: RpmEvr,
    /// Architecture (`x86_64`, `noarch`, `src`, …).
    pub arch: String,
}

impl Nevra {
    /// Builds a NEVRA from structured fields.
    pub fn new(name: impl Into<String>, evr: RpmEvr, arch: impl Into<String>) -> Self {
        Nevra {
            name: name.into(),
            evr,
            arch: arch.into(),
        }
    }

    /// Parses the forms rpm, yum and dnf print: `name-[epoch:]version-release.arch` and
    /// `epoch:name-version-release.arch`.
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let err = |reason| VersionError::Nevra {
            input: input.to_string(),
            reason,
        };
        let (nevr, arch) = input
            .rsplit_once('.')
            .ok_or_else(|| err("no '.arch' suffix"))?;
        let (nev, release) = nevr.rsplit_once('-').ok_or_else(|| err("no release"))?;
        let (ne, version) = nev.rsplit_once('-').ok_or_else(|| err("no version"))?;
        let (mut name, mut epoch) = (ne, None);
        let mut version = version;
        if let Some((e, v)) = version.split_once(':') {
            epoch = Some(parse_epoch(e).ok_or_else(|| err("epoch is not a number"))?);
            version = v;
        }
        if let Some((e, n)) = ne.split_once(':') {
            if epoch.is_some() {
                return Err(err("two epochs"));
            }
            epoch = Some(parse_epoch(e).ok_or_else(|| err("epoch is not a number"))?);
            name = n;
        }
        if name.is_empty() || version.is_empty() || release.is_empty() || arch.is_empty() {
            return Err(err("empty name, version, release or arch"));
        }
        Ok(Nevra::new(
            name,
            RpmEvr::new(epoch.unwrap_or(0), version, release),
            arch,
        ))
    }

    /// `name.arch`: the KBId Patch Manager reports.
    pub fn name_arch(&self) -> String {
        format!("{}.{}", self.name, self.arch)
    }

    /// `name.arch:epoch:version-release`: the Title Patch Manager reports.
    pub fn title(&self) -> String {
        format!("{}.{}:{}", self.name, self.arch, self.evr.to_full_string())
    }
}

impl fmt::Display for Nevra {
    /// `name-[epoch:]version-release.arch`, as `rpm -q` prints with an epoch when it is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}.{}", self.name, self.evr, self.arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        RpmEvr::parse(a).unwrap().cmp(&RpmEvr::parse(b).unwrap())
    }

    #[test]
    fn full_strings_always_show_the_epoch() {
        for (epoch, version, release) in [
            (0, "1.2", "3.el9"),
            (9, "1.2", "3.el9"),
            (10, "1.2", ""),
            (255, "2.0", "1"),
            (256, "2.0", "1"),
            (u64::MAX, "0", "0"),
        ] {
            let evr = RpmEvr::new(epoch, version, release);
            let expected = if release.is_empty() {
                format!("{epoch}:{version}")
            } else {
                format!("{epoch}:{version}-{release}")
            };
            assert_eq!(evr.to_full_string(), expected);
        }
    }

    #[test]
    fn rpmvercmp_rules() {
        use Ordering::*;
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("1.0a", "1.0", Greater),
            ("1.0", "1.0a", Less),
            ("5.5p1", "5.5p10", Less),
            ("10", "9", Greater),
            ("1.01", "1.1", Equal),
            ("1.001", "1.1", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.0.1", Less),
            ("1.0^git1", "1.0~rc1", Greater),
            ("1.0^git1~pre", "1.0^git1", Less),
            ("a", "1", Less),
            ("1_0", "1.0", Equal),
            ("1..0", "1.0", Equal),
            (
                "123456789012345678901234",
                "123456789012345678901233",
                Greater,
            ),
            ("0001", "1", Equal),
            ("1:1.0", "2.0", Greater),
            ("0:1.0", "1.0", Equal),
            ("01:1.0", "1:1.0", Equal),
            ("1.0-1", "1.0", Greater),
            ("1.0-1.el8", "1.0-1.el8_1", Less),
            ("2.36-9+deb12u4", "2.36-9+deb12u10", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn release_after_last_dash() {
        let evr = RpmEvr::parse("3:1.2-beta-4.el9").unwrap();
        assert_eq!(evr.epoch, 3);
        assert_eq!(evr.version, "1.2-beta");
        assert_eq!(evr.release, "4.el9");
        assert_eq!(evr.to_full_string(), "3:1.2-beta-4.el9");
    }

    #[test]
    fn bad_evrs_are_errors() {
        for bad in ["", "x:1.0", ":1.0", "1:", "1:2:3-4", "-1"] {
            assert!(RpmEvr::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn nevra_forms() {
        let a = Nevra::parse("dbus-1:1.12.28-1.amzn2023.0.1.x86_64").unwrap();
        let b = Nevra::parse("1:dbus-1.12.28-1.amzn2023.0.1.x86_64").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.name, "dbus");
        assert_eq!(a.evr.epoch, 1);
        assert_eq!(a.evr.version, "1.12.28");
        assert_eq!(a.evr.release, "1.amzn2023.0.1");
        assert_eq!(a.arch, "x86_64");
        assert_eq!(a.title(), "dbus.x86_64:1:1.12.28-1.amzn2023.0.1");
        assert_eq!(a.to_string(), "dbus-1:1.12.28-1.amzn2023.0.1.x86_64");
        let c = Nevra::parse("python3-libs-3.9.16-1.amzn2023.0.2.noarch").unwrap();
        assert_eq!(c.name, "python3-libs");
        assert_eq!(c.evr.epoch, 0);
        assert_eq!(c.title(), "python3-libs.noarch:0:3.9.16-1.amzn2023.0.2");
        assert!(Nevra::parse("bash").is_err());
        assert!(Nevra::parse("bash-5.2.x86_64").is_err());
    }
}
