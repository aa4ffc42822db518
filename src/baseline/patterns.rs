//! Approved and rejected patch-list entries (spec §4): package-name forms with wildcards,
//! advisory IDs, CVE IDs and Bugzilla IDs.
//!
//! An approved entry is matched by **membership**, not by its shape: it approves a package
//! version when it matches one of the version's name forms (compared case-insensitively; with a
//! wildcard `*`, `?` or `[…]`, as a glob in which `*` crosses `.`, `-` and `:`), **or** when it
//! equals the id of a notice that lists the version, or one of that notice's CVE or Bugzilla
//! references (case-sensitive, as Patch Manager compares them). So `BRSA-kdg8bd1th2gb`,
//! `WebKitGtk` (an openSUSE patch name) or `ACME-0017` approve by id although no list of known
//! prefixes names them. Two exceptions, both documented by AWS: a numbers-only entry is a
//! Bugzilla id only ("The system processes numbers-only strings as Bugzilla IDs"), never a
//! version form; and SUSE patch names take a wildcard (`SUSE-SLE-…-2023-*`, spec §4.3).
//! Rejected entries are package names only (spec §4.1). The shape ([`PatternKind`]) is kept for
//! diagnostics: an id-shaped entry in `RejectedPatches`, an entry that matches nothing.

use std::fmt;

use crate::version::RpmEvr;

/// Which package-manager family an entry is read for; the accepted forms differ (§4.1–§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternFamily {
    /// Amazon Linux, RHEL and rebuilds, Oracle, CentOS (yum/dnf).
    Rpm,
    /// SUSE (zypper): RPM forms plus `….rpm` file names and SUSE patch names.
    Suse,
    /// Debian, Ubuntu, Raspberry Pi OS.
    Apt,
}

/// What an entry looks like. Only diagnostics use it: matching tries every kind (module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternKind {
    /// A package-name form, possibly with wildcards.
    Package,
    /// A vendor advisory / update notice id (`ALAS2023-2024-123`, `RHSA-2024:1234`, SUSE patch names …).
    Advisory,
    /// A CVE id.
    Cve,
    /// A Bugzilla id (digits only: "The system processes numbers-only strings as Bugzilla IDs").
    Bugzilla,
}

/// One entry of `ApprovedPatches` or `RejectedPatches`, compiled.
#[derive(Debug, Clone)]
pub struct PatchPattern {
    raw: String,
    lower: String,
    kind: PatternKind,
    /// The entry as a glob over name forms, when it holds a wildcard.
    glob: Option<glob::Pattern>,
    /// The entry as a glob over notice ids (SUSE patch names only).
    id_glob: Option<glob::Pattern>,
}

/// A bad patch-list entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(String);

const GLOB_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: false,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

const ID_GLOB_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

/// Advisory id prefixes whose shape is `PREFIX-YYYY-N` or `PREFIX-YYYY:N`.
const ADVISORY_PREFIXES: &[&str] = &[
    "ALAS",
    "ALAS2",
    "ALAS2022",
    "ALAS2023",
    "ALASKERNEL",
    "RHSA",
    "RHBA",
    "RHEA",
    "ELSA",
    "ELBA",
    "ELEA",
    "RLSA",
    "RLBA",
    "RLEA",
    "ALSA",
    "ALBA",
    "ALEA",
    "CESA",
    "CEBA",
    "CEEA",
];

fn is_advisory_id(s: &str, family: PatternFamily) -> bool {
    if family != PatternFamily::Apt {
        if s.starts_with("SUSE-") || s.starts_with("openSUSE-") {
            return true;
        }
        if s.starts_with("FEDORA-") {
            return true;
        }
    }
    let mut parts = s.splitn(2, '-');
    let (Some(prefix), Some(rest)) = (parts.next(), parts.next()) else {
        return false;
    };
    // `ALAS2KERNEL-5.10-2022-001`-style ids carry extra segments; accept any prefix from the
    // list followed by year and number.
    let known = ADVISORY_PREFIXES.contains(&prefix)
        || (prefix.starts_with("ALAS") && prefix[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    if !known {
        return false;
    }
    let tail = rest.rsplit(['-', ':']).next().unwrap_or("");
    !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) && rest.len() > tail.len()
}

fn is_cve_id(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

impl PatchPattern {
    /// Compiles an entry as the given family reads it.
    pub fn parse(raw: &str, family: PatternFamily) -> Result<Self, PatternError> {
        if raw.is_empty() {
            return Err(PatternError("empty entry".into()));
        }
        if raw.chars().any(char::is_whitespace) {
            return Err(PatternError(format!("{raw:?} contains white space")));
        }
        let kind = if family == PatternFamily::Apt {
            PatternKind::Package
        } else if raw.bytes().all(|b| b.is_ascii_digit()) {
            PatternKind::Bugzilla
        } else if is_cve_id(raw) {
            PatternKind::Cve
        } else if is_advisory_id(raw, family) {
            PatternKind::Advisory
        } else {
            PatternKind::Package
        };
        let mut lower = raw.to_ascii_lowercase();
        if family == PatternFamily::Suse {
            // SUSE lists file names: `example-pkg-2023.15.4-46.17.1.x86_64.rpm`.
            if let Some(stripped) = lower.strip_suffix(".rpm") {
                lower.truncate(stripped.len());
            }
        }
        let wild = |src: &str| -> Result<Option<glob::Pattern>, PatternError> {
            if !src.contains(['*', '?', '[']) {
                return Ok(None);
            }
            glob::Pattern::new(src)
                .map(Some)
                .map_err(|e| PatternError(format!("{raw:?} is not a valid wildcard pattern: {e}")))
        };
        // Name forms are matched lower-cased; ids keep their case.
        let glob = wild(&lower)?;
        let id_glob = if family == PatternFamily::Suse {
            wild(raw)?
        } else {
            None
        };
        Ok(PatchPattern {
            raw: raw.to_string(),
            lower,
            kind,
            glob,
            id_glob,
        })
    }

    /// The entry as written in the baseline.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// What the entry's shape suggests it names (for diagnostics; matching tries every kind).
    pub fn kind(&self) -> &PatternKind {
        &self.kind
    }

    /// Whether the entry matches one of a package's name forms. A numbers-only entry is a
    /// Bugzilla id and matches no name form.
    pub fn matches_package(&self, forms: &PackageForms) -> bool {
        if self.kind == PatternKind::Bugzilla {
            return false;
        }
        match &self.glob {
            Some(glob) => forms
                .forms
                .iter()
                .any(|f| glob.matches_with(f, GLOB_OPTIONS)),
            None => forms.forms.contains(&self.lower),
        }
    }

    /// Whether the entry is this notice's id, or one of its CVE or Bugzilla references, exactly
    /// (case-sensitive). SUSE patch names also match the entry as a glob.
    pub fn matches_advisory<'a>(
        &self,
        advisory_id: &str,
        cves: impl IntoIterator<Item = &'a str>,
        bugzillas: impl IntoIterator<Item = &'a str>,
    ) -> bool {
        if self.raw == advisory_id {
            return true;
        }
        if let Some(glob) = &self.id_glob {
            if glob.matches_with(advisory_id, ID_GLOB_OPTIONS) {
                return true;
            }
        }
        cves.into_iter().any(|c| c == self.raw) || bugzillas.into_iter().any(|b| b == self.raw)
    }
}

impl fmt::Display for PatchPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Every name form of one package version that patch-list entries are matched against,
/// lower-cased.
#[derive(Debug, Clone)]
pub struct PackageForms {
    forms: Vec<String>,
}

impl PackageForms {
    /// The twelve RPM constructions of spec §4.1 (epoch shown as `0` when unset).
    pub fn rpm(name: &str, evr: &RpmEvr, arch: &str) -> Self {
        let (n, a) = (name.to_ascii_lowercase(), arch.to_ascii_lowercase());
        let v = evr.version.to_ascii_lowercase();
        let r = evr.release.to_ascii_lowercase();
        let e = evr.epoch;
        let forms = vec![
            n.clone(),
            format!("{n}.{a}"),
            format!("{n}-{v}"),
            format!("{n}-{v}-{r}"),
            format!("{n}-{v}-{r}.{a}"),
            v.clone(),
            format!("{v}-{r}"),
            format!("{e}:{v}-{r}"),
            format!("{n}-{e}:{v}-{r}"),
            format!("{n}-{e}:{v}-{r}.{a}"),
            format!("{e}:{n}-{v}-{r}.{a}"),
            format!("{n}.{a}:{e}:{v}-{r}"),
        ];
        PackageForms { forms }
    }

    /// The Debian forms (§4.2): `name` (documented), plus the observed `name.arch`,
    /// `name-version`, `arch:version`, `name.arch:version` and `version`.
    pub fn apt(name: &str, version: &str, arch: &str) -> Self {
        let (n, v, a) = (
            name.to_ascii_lowercase(),
            version.to_ascii_lowercase(),
            arch.to_ascii_lowercase(),
        );
        let forms = vec![
            n.clone(),
            format!("{n}.{a}"),
            format!("{n}-{v}"),
            format!("{a}:{v}"),
            format!("{n}.{a}:{v}"),
            v,
        ];
        PackageForms { forms }
    }

    /// No forms: for evaluations whose baseline has no patch lists (nothing to match).
    pub fn none() -> Self {
        PackageForms { forms: Vec::new() }
    }

    /// The forms, for diagnostics.
    pub fn as_slice(&self) -> &[String] {
        &self.forms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpm(p: &str) -> PatchPattern {
        PatchPattern::parse(p, PatternFamily::Rpm).unwrap()
    }

    fn dbus() -> PackageForms {
        PackageForms::rpm(
            "dbus",
            &RpmEvr::new(1, "1.12.28", "1.amzn2023.0.1"),
            "x86_64",
        )
    }

    #[test]
    fn documented_rpm_forms_match() {
        // spec §4.1: the twelve constructions of dbus.x86_64:1:1.12.28-1.amzn2023.0.1.
        for p in [
            "dbus",
            "dbus.x86_64",
            "dbus-1.12.28",
            "dbus-1.12.28-1.amzn2023.0.1",
            "dbus-1.12.28-1.amzn2023.0.1.x86_64",
            "1.12.28",
            "1.12.28-1.amzn2023.0.1",
            "1:1.12.28-1.amzn2023.0.1",
            "dbus-1:1.12.28-1.amzn2023.0.1",
            "dbus-1:1.12.28-1.amzn2023.0.1.x86_64",
            "1:dbus-1.12.28-1.amzn2023.0.1.x86_64",
            "dbus.x86_64:1:1.12.28-1.amzn2023.0.1",
        ] {
            assert_eq!(rpm(p).kind(), &PatternKind::Package, "{p}");
            assert!(rpm(p).matches_package(&dbus()), "{p} should match");
        }
    }

    #[test]
    fn documented_wildcards_match() {
        for p in [
            "dbus*",
            "dbus-1.12.2*",
            "dbus-*:1.12.28-1.amzn2023.0.1.x86_64",
            "DBUS.X86_64",
            "*.amzn2023.0.1",
        ] {
            assert!(rpm(p).matches_package(&dbus()), "{p} should match");
        }
        // The 2023 documentation's examples.
        let ex = PackageForms::rpm(
            "example-pkg",
            &RpmEvr::new(0, "0.710.10", "2.7.abcd"),
            "x86_64",
        );
        for p in [
            "example-pkg-0.710.10-2.7.abcd.x86_64",
            "example-pkg-*.abcd.x86_64",
        ] {
            assert!(rpm(p).matches_package(&ex), "{p} should match");
        }
        let ee = PackageForms::rpm(
            "pkg-example-EE",
            &RpmEvr::new(0, "20180914", "2.2.amzn1"),
            "noarch",
        );
        for p in [
            "pkg-example-EE-20180914-2.2.amzn1.noarch",
            "pkg-example-EE-2018*.amzn1.noarch",
            "pkg-example-*-20180914-2.2.amzn1.noarch",
        ] {
            assert!(rpm(p).matches_package(&ee), "{p} should match");
        }
    }

    #[test]
    fn near_misses_do_not_match() {
        for p in [
            "dbus.i686",
            "dbus-1.12.29",
            "dbu",
            "dbus-libs",
            "dbus-1.12",
            "dbus-0:1.12.28-1.amzn2023.0.1",
            "2:1.12.28-1.amzn2023.0.1",
            "dbus-libs*",
            "*.amzn2",
            "dbus.x86_64:1:1.12.28",
        ] {
            assert!(!rpm(p).matches_package(&dbus()), "{p} must not match");
        }
        let libs = PackageForms::rpm(
            "dbus-libs",
            &RpmEvr::new(1, "1.12.28", "1.amzn2023.0.1"),
            "x86_64",
        );
        assert!(!rpm("dbus").matches_package(&libs));
        assert!(!rpm("dbus.x86_64").matches_package(&libs));
        assert!(rpm("dbus*").matches_package(&libs));
    }

    #[test]
    fn epoch_zero_forms_exist() {
        let bash = PackageForms::rpm("bash", &RpmEvr::new(0, "5.2.15", "3.amzn2023"), "x86_64");
        assert!(rpm("bash-0:5.2.15-3.amzn2023").matches_package(&bash));
        assert!(rpm("bash.x86_64:0:5.2.15-3.amzn2023").matches_package(&bash));
        assert!(!rpm("bash-1:5.2.15-3.amzn2023").matches_package(&bash));
    }

    #[test]
    fn ids_are_recognised_and_matched_exactly() {
        for (p, kind) in [
            ("ALAS-2018-123", PatternKind::Advisory),
            ("ALAS2-2021-1594", PatternKind::Advisory),
            ("ALAS2023-2025-123", PatternKind::Advisory),
            ("RHSA-2017:0864", PatternKind::Advisory),
            ("ELSA-2025-123", PatternKind::Advisory),
            ("RLSA-2022:1234", PatternKind::Advisory),
            (
                "SUSE-SLE-Module-Basesystem-15-SP5-2023-123",
                PatternKind::Advisory,
            ),
            ("CVE-2018-1234567", PatternKind::Cve),
            ("1463241", PatternKind::Bugzilla),
            ("ALAS-foo", PatternKind::Package),
            ("CVE-18-1", PatternKind::Package),
        ] {
            assert_eq!(rpm(p).kind(), &kind, "{p}");
        }
        let adv = rpm("ALAS2023-2025-123");
        assert!(adv.matches_advisory("ALAS2023-2025-123", [], []));
        assert!(!adv.matches_advisory("ALAS2023-2025-1234", [], []));
        assert!(!adv.matches_advisory("alas2023-2025-123", [], []));
        assert!(!adv.matches_package(&dbus()));
        let cve = rpm("CVE-2018-1234567");
        assert!(cve.matches_advisory("X", ["CVE-2018-1234567"], []));
        assert!(!cve.matches_advisory("X", ["CVE-2018-123456"], []));
        let bz = rpm("1463241");
        assert!(bz.matches_advisory("X", [], ["1463241"]));
        assert!(!bz.matches_advisory("X", ["146324"], ["14632410"]));
        // A numbers-only entry is a Bugzilla id, never a version.
        let v = PackageForms::rpm("x", &RpmEvr::new(0, "2", "1"), "noarch");
        assert!(!rpm("2").matches_package(&v));
    }

    #[test]
    fn ids_match_by_membership_whatever_their_shape() {
        // Bottlerocket, openSUSE and third-party notice ids follow no known prefix.
        for id in [
            "BRSA-kdg8bd1th2gb",
            "WebKitGtk",
            "clamav-3",
            "ACME-0017",
            "MYREPO-2024-7",
        ] {
            let p = rpm(id);
            assert!(p.matches_advisory(id, [], []), "{id}");
            assert!(!p.matches_advisory(&format!("{id}0"), [], []), "{id}");
            // Ids compare case-sensitively.
            let upper = id.to_ascii_uppercase();
            if upper != id {
                assert!(!p.matches_advisory(&upper, [], []), "{id}");
            }
        }
        // The same entry is also a name pattern: `WebKitGtk` names the package webkitgtk.
        let webkit = PackageForms::rpm("webkitgtk", &RpmEvr::new(0, "2.40", "1"), "x86_64");
        assert!(rpm("WebKitGtk").matches_package(&webkit));
        // An advisory-shaped entry is also a CVE or Bugzilla reference when a notice says so,
        // and a CVE-shaped one a notice id.
        assert!(rpm("ALAS-2018-123").matches_advisory("X", ["ALAS-2018-123"], []));
        assert!(rpm("CVE-2024-0001").matches_advisory("CVE-2024-0001", [], []));
        assert!(rpm("ACME-0017").matches_advisory("X", [], ["ACME-0017"]));
        // Outside SUSE an id never matches as a wildcard (Patch Manager compares ids exactly).
        assert!(!rpm("ALAS2023-2025-*").matches_advisory("ALAS2023-2025-123", [], []));
    }

    #[test]
    fn apt_forms() {
        let apt = |p: &str| PatchPattern::parse(p, PatternFamily::Apt).unwrap();
        let curl = PackageForms::apt("curl", "7.88.1-10+deb12u5", "amd64");
        for p in [
            "curl",
            "CURL",
            "curl.amd64",
            "curl-7.88.1-10+deb12u5",
            "amd64:7.88.1-10+deb12u5",
            "curl.amd64:7.88.1-10+deb12u5",
            "7.88.1-10+deb12u5",
            "cur*",
            "curl*deb12u5",
        ] {
            assert!(apt(p).matches_package(&curl), "{p} should match");
        }
        for p in ["libcurl4", "curl.arm64", "curl-7.88.1", "curl*deb11*"] {
            assert!(!apt(p).matches_package(&curl), "{p} must not match");
        }
        // On APT systems only names exist: an advisory-shaped entry is a package name.
        assert_eq!(apt("CVE-2023-1234").kind(), &PatternKind::Package);
    }

    #[test]
    fn suse_forms() {
        let suse = |p: &str| PatchPattern::parse(p, PatternFamily::Suse).unwrap();
        let pkg = PackageForms::rpm(
            "example-pkg",
            &RpmEvr::new(0, "2023.15.4", "46.17.1"),
            "x86_64",
        );
        assert!(suse("example-pkg-2023.15.4-46.17.1.x86_64.rpm").matches_package(&pkg));
        assert!(suse("example-pkg-2023.15.4-46.17.1.*.rpm").matches_package(&pkg));
        assert!(!suse("example-pkg-2023.15.4-46.17.1.i586.rpm").matches_package(&pkg));
        let patch = suse("SUSE-SLE-Example-Package-15-2023-*");
        assert_eq!(patch.kind(), &PatternKind::Advisory);
        assert!(patch.matches_advisory("SUSE-SLE-Example-Package-15-2023-123", [], []));
        assert!(!patch.matches_advisory("SUSE-SLE-Example-Package-12-2018-123", [], []));
        assert!(!patch.matches_package(&pkg));
    }

    #[test]
    fn bad_entries_are_errors() {
        assert!(PatchPattern::parse("", PatternFamily::Rpm).is_err());
        assert!(PatchPattern::parse("dbus [", PatternFamily::Rpm).is_err());
        assert!(PatchPattern::parse("dbus-[", PatternFamily::Rpm).is_err());
    }
}
