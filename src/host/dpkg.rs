//! What dpkg has installed: `var/lib/dpkg/status` (every `Status:` state), distroless images'
//! one-file-per-package `var/lib/dpkg/status.d/`, and install times from the mtimes of
//! `var/lib/dpkg/info/<pkg>[:arch].list`.
//!
//! A status file that real `dpkg-query` refuses (no `Package`, an empty or invalid name, a
//! duplicate field, an unknown `Status` word, an installed package without `Version`, two
//! instances of a package that is not `Multi-Arch: same`, a line that is not a field) is an
//! error naming the file and line; what dpkg-query only warns about (a missing `Maintainer`
//! or `Description`) is accepted.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::deb822::{self, Paragraph, Reader};
use crate::files::rootfs::RootFs;
use crate::version::DebVersion;

/// Why dpkg's database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DpkgError {
    /// A file could not be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A stanza dpkg-query would refuse.
    #[error("{}: line {line}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// Neither `var/lib/dpkg/status` nor `var/lib/dpkg/status.d/` exists.
    #[error("{}: no dpkg database (var/lib/dpkg/status or var/lib/dpkg/status.d/)", .root.display())]
    NoDatabase { root: PathBuf },
    /// The database lists no installed package (a scan must not report an empty host as
    /// compliant).
    #[error("{}: no installed packages", .path.display())]
    NothingInstalled { path: PathBuf },
    /// A file of the root could not be reached or read.
    #[error(transparent)]
    Root(#[from] crate::files::rootfs::RootFsError),
}

/// The first word of `Status:`: what the administrator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Want {
    Unknown,
    Install,
    Hold,
    Deinstall,
    Purge,
}

/// The third word of `Status:`: where the package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum State {
    NotInstalled,
    ConfigFiles,
    HalfInstalled,
    Unpacked,
    HalfConfigured,
    TriggersAwaited,
    TriggersPending,
    Installed,
}

/// A package's `Status:` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DpkgStatus {
    pub want: Want,
    /// The second word: `reinstreq` (the package is broken and must be reinstalled).
    pub reinstall_required: bool,
    pub state: State,
}

impl DpkgStatus {
    /// `install ok installed`.
    pub const INSTALLED: DpkgStatus = DpkgStatus {
        want: Want::Install,
        reinstall_required: false,
        state: State::Installed,
    };

    /// Parses the three words of a `Status:` value.
    pub fn parse(value: &str) -> Result<DpkgStatus, String> {
        let words: Vec<&str> = value.split_ascii_whitespace().collect();
        let [want, flag, state] = words[..] else {
            return Err(format!(
                "'Status' field {value:?} is not three words (want, flag, state)"
            ));
        };
        let want = match want {
            "unknown" => Want::Unknown,
            "install" => Want::Install,
            "hold" => Want::Hold,
            "deinstall" => Want::Deinstall,
            "purge" => Want::Purge,
            w => {
                return Err(format!(
                    "first (want) word in 'Status' field: invalid value {w:?}"
                ))
            }
        };
        let reinstall_required = match flag {
            "ok" => false,
            "reinstreq" => true,
            f => {
                return Err(format!(
                    "second (error) word in 'Status' field: invalid value {f:?}"
                ))
            }
        };
        let state = match state {
            "not-installed" => State::NotInstalled,
            "config-files" => State::ConfigFiles,
            "half-installed" => State::HalfInstalled,
            "unpacked" => State::Unpacked,
            "half-configured" => State::HalfConfigured,
            "triggers-awaited" => State::TriggersAwaited,
            "triggers-pending" => State::TriggersPending,
            "installed" => State::Installed,
            s => {
                return Err(format!(
                    "third (status) word in 'Status' field: invalid value {s:?}"
                ))
            }
        };
        Ok(DpkgStatus {
            want,
            reinstall_required,
            state,
        })
    }

    /// Truly installed: configured (`installed`), or configured with trigger processing still
    /// due (`triggers-awaited`, `triggers-pending`). Half-installed, unpacked and
    /// half-configured packages are not: dpkg has not finished installing that version.
    pub fn is_installed(&self) -> bool {
        matches!(
            self.state,
            State::Installed | State::TriggersAwaited | State::TriggersPending
        ) && !self.reinstall_required
    }

    /// `hold`: apt-get upgrade leaves the package alone (Patch Manager still reports it).
    pub fn is_held(&self) -> bool {
        self.want == Want::Hold
    }

    /// dpkg-query's two-letter abbreviation (`ii`, `rc`, `hi`, `iU`…), as `dpkg -l` shows.
    pub fn abbrev(&self) -> String {
        let w = match self.want {
            Want::Unknown => 'u',
            Want::Install => 'i',
            Want::Hold => 'h',
            Want::Deinstall => 'r',
            Want::Purge => 'p',
        };
        let s = match self.state {
            State::NotInstalled => 'n',
            State::ConfigFiles => 'c',
            State::HalfInstalled => 'H',
            State::Unpacked => 'U',
            State::HalfConfigured => 'F',
            State::TriggersAwaited => 'W',
            State::TriggersPending => 't',
            State::Installed => 'i',
        };
        let mut out = format!("{w}{s}");
        if self.reinstall_required {
            out.push('R');
        }
        out
    }
}

/// One package instance dpkg knows (installed or with configuration files left).
#[derive(Debug, Clone)]
pub struct InstalledDeb {
    pub name: String,
    /// Debian architecture (`amd64`, `all`, …); empty when the stanza has none (dpkg warns).
    pub arch: String,
    pub version: DebVersion,
    /// `info/<pkg>[:arch].list` mtime, UNIX seconds, when known.
    pub install_time: Option<i64>,
    pub status: DpkgStatus,
    /// `Multi-Arch: same`: several architectures may be installed side by side.
    pub multi_arch_same: bool,
    /// The source package, when the stanza names one.
    pub source: Option<String>,
}

impl InstalledDeb {
    /// `name:arch`, as dpkg names co-installable instances.
    pub fn qualified_name(&self) -> String {
        format!("{}:{}", self.name, self.arch)
    }
}

fn invalid(path: &Path, line: usize, message: impl Into<String>) -> DpkgError {
    DpkgError::Invalid {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// dpkg's package-name rule: non-empty, starting with a letter or digit, no white space,
/// no `:` (that qualifies an architecture) and printable ASCII only.
fn name_problem(name: &str) -> Option<&'static str> {
    let first = name.bytes().next()?;
    if !first.is_ascii_alphanumeric() {
        return Some("must start with an alphanumeric character");
    }
    if name
        .bytes()
        .any(|b| !b.is_ascii_graphic() || matches!(b, b':' | b'/' | b','))
    {
        return Some("has a character dpkg does not allow");
    }
    None
}

/// Parses a dpkg `status` file. Stanzas without a `Status:` field are not installed (as
/// dpkg-query reads them); `not-installed` stanzas are dropped; every other state is kept with
/// its [`DpkgStatus`] (filter with [`DpkgStatus::is_installed`]). Install times are unset.
pub fn parse_status(bytes: &[u8], path: &Path) -> Result<Vec<InstalledDeb>, DpkgError> {
    parse(bytes, path, None)
}

/// Parses one file of a distroless image's `var/lib/dpkg/status.d/`: stanzas carry no
/// `Status:`, and every package listed is installed.
pub fn parse_status_d(bytes: &[u8], path: &Path) -> Result<Vec<InstalledDeb>, DpkgError> {
    parse(bytes, path, Some(DpkgStatus::INSTALLED))
}

fn utf8<'a>(value: &'a [u8], field: &str, line: usize, path: &Path) -> Result<&'a str, DpkgError> {
    std::str::from_utf8(value)
        .map_err(|_| invalid(path, line, format!("'{field}' field is not valid UTF-8")))
}

/// dpkg's check on a file that does not end with a newline: it was cut (a truncated copy, a
/// full disk), and dpkg-query refuses it, naming the field the cut fell in.
fn missing_final_newline(bytes: &[u8], path: &Path) -> Option<DpkgError> {
    if bytes.last().is_none_or(|&b| b == b'\n') {
        return None;
    }
    let line = memchr::memchr_iter(b'\n', bytes).count() + 1;
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = lines[lines.len() - 1];
    // The field the last line belongs to: its own, or the one a continuation line continues.
    let owner = lines
        .iter()
        .rev()
        .find(|l| !l.is_empty() && !l.starts_with(b" ") && !l.starts_with(b"\t"));
    let message = match owner.map(|l| l.splitn(2, |&b| b == b':').collect::<Vec<_>>()) {
        Some(parts) if parts.len() == 2 => {
            let name = deb822::lossy(parts[0]);
            if std::ptr::eq(owner.copied().unwrap_or_default(), last)
                && deb822::trim(parts[1]).is_empty()
            {
                format!("end of file before value of field '{name}' (missing final newline)")
            } else {
                format!("end of file during value of field '{name}' (missing final newline)")
            }
        }
        Some(parts) => format!(
            "end of file after field name '{}' (missing final newline)",
            deb822::lossy(parts[0])
        ),
        None => "end of file in the middle of a line (missing final newline)".to_string(),
    };
    Some(invalid(
        path,
        line,
        format!("{message}: the file is cut short"),
    ))
}

fn parse(
    bytes: &[u8],
    path: &Path,
    default_status: Option<DpkgStatus>,
) -> Result<Vec<InstalledDeb>, DpkgError> {
    if let Some(err) = missing_final_newline(bytes, path) {
        return Err(err);
    }
    let mut out = Vec::new();
    let mut reader = Reader::new(bytes);
    let mut para = Paragraph::default();
    // name → (multi-arch same, first line), to refuse duplicate non-co-installable instances.
    let mut seen: HashMap<String, (bool, usize)> = HashMap::new();
    loop {
        match reader.read_into(&mut para) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(invalid(path, e.line, e.message)),
        }
        if let Some(p) = stanza(&para, path, default_status)? {
            let key = p.name.clone();
            let line = para.line();
            if let Some(&(same, first)) = seen.get(&key) {
                if !(same && p.multi_arch_same) {
                    return Err(invalid(
                        path,
                        line,
                        format!(
                            "package {key:?} appears again (first at line {first}) and is not Multi-Arch: same in both"
                        ),
                    ));
                }
                if out
                    .iter()
                    .any(|q: &InstalledDeb| q.name == p.name && q.arch == p.arch)
                {
                    return Err(invalid(
                        path,
                        line,
                        format!("package {}:{} appears twice", p.name, p.arch),
                    ));
                }
            } else {
                seen.insert(key, (p.multi_arch_same, line));
            }
            out.push(p);
        }
    }
    Ok(out)
}

fn stanza(
    para: &Paragraph<'_>,
    path: &Path,
    default_status: Option<DpkgStatus>,
) -> Result<Option<InstalledDeb>, DpkgError> {
    let fields = para.fields();
    for (i, f) in fields.iter().enumerate() {
        if fields[..i]
            .iter()
            .any(|g| g.name().eq_ignore_ascii_case(f.name()))
        {
            return Err(invalid(
                path,
                f.line(),
                format!("duplicate value for '{}' field", deb822::lossy(f.name())),
            ));
        }
    }
    let Some(pkg) = para.field("Package") else {
        return Err(invalid(path, para.line(), "missing 'Package' field"));
    };
    let name = utf8(pkg.value(), "Package", pkg.line(), path)?;
    if name.is_empty() {
        return Err(invalid(
            path,
            pkg.line(),
            "invalid package name in 'Package' field: may not be empty string",
        ));
    }
    if let Some(problem) = name_problem(name) {
        return Err(invalid(
            path,
            pkg.line(),
            format!("invalid package name {name:?} in 'Package' field: {problem}"),
        ));
    }
    let status = match para.field("Status") {
        Some(f) => DpkgStatus::parse(utf8(f.value(), "Status", f.line(), path)?)
            .map_err(|m| invalid(path, f.line(), m))?,
        None => match default_status {
            Some(s) => s,
            None => return Ok(None),
        },
    };
    if status.state == State::NotInstalled {
        return Ok(None);
    }
    let Some(vf) = para.field("Version") else {
        return Err(invalid(
            path,
            para.line(),
            format!("package {name:?}: missing 'Version' field"),
        ));
    };
    let vtext = utf8(vf.value(), "Version", vf.line(), path)?;
    let version = DebVersion::parse(vtext).map_err(|e| {
        invalid(
            path,
            vf.line(),
            format!("package {name:?}: 'Version' field: {e}"),
        )
    })?;
    let arch = match para.field("Architecture") {
        Some(f) => {
            let a = utf8(f.value(), "Architecture", f.line(), path)?;
            if a.bytes().any(|b| !(b.is_ascii_alphanumeric() || b == b'-')) {
                return Err(invalid(
                    path,
                    f.line(),
                    format!("package {name:?}: {a:?} is not a valid architecture name"),
                ));
            }
            a.to_string()
        }
        None => String::new(),
    };
    let multi_arch_same = para
        .get("Multi-Arch")
        .is_some_and(|v| v.eq_ignore_ascii_case(b"same"));
    let source = para
        .get("Source")
        .and_then(|v| v.split(|b| *b == b' ').next())
        .filter(|s| !s.is_empty())
        .map(|s| deb822::lossy(s).into_owned());
    Ok(Some(InstalledDeb {
        name: name.to_string(),
        arch,
        version,
        install_time: None,
        status,
        multi_arch_same,
        source,
    }))
}

/// Where a root keeps dpkg's database: which of its parts the root has.
#[derive(Debug, Clone, Copy)]
pub struct DpkgDatabase {
    /// `var/lib/dpkg/status` is a file.
    pub status: bool,
    /// `var/lib/dpkg/status.d/` is a directory (distroless images).
    pub status_d: bool,
    /// `var/lib/dpkg/info/` is a directory (install times).
    pub info: bool,
}

const STATUS: &str = "var/lib/dpkg/status";
const STATUS_D: &str = "var/lib/dpkg/status.d";
const INFO: &str = "var/lib/dpkg/info";

/// Finds dpkg's database in a root — a directory or an archive — (`None` when it has none).
pub fn find(root: &RootFs) -> Option<DpkgDatabase> {
    let db = DpkgDatabase {
        status: root.is_file(STATUS),
        status_d: root.is_dir(STATUS_D),
        info: root.is_dir(INFO),
    };
    (db.status || db.status_d).then_some(db)
}

/// Reads the truly installed packages of a root's database, with install times (the mtime
/// of `var/lib/dpkg/info/<pkg>[:arch].list`, from the tar header in an archive).
pub fn read_installed(root: &RootFs, db: &DpkgDatabase) -> Result<Vec<InstalledDeb>, DpkgError> {
    let mut all = Vec::new();
    let mut shown = None;
    if db.status {
        let (path, bytes) = root.read(STATUS)?;
        all = parse_status(&bytes, &path)?;
        shown = Some(path);
    }
    if db.status_d {
        let (dir, names) = root.read_dir(STATUS_D)?;
        shown.get_or_insert(dir);
        for name in names {
            // The name need not be UTF-8: the package is what the file says.
            let rel = Path::new(STATUS_D).join(&name);
            // status.d also holds `<pkg>.md5sums` files.
            if name.as_encoded_bytes().ends_with(b".md5sums") || root.is_dir(&rel) {
                continue;
            }
            let (path, bytes) = root.read(&rel)?;
            all.extend(parse_status_d(&bytes, &path)?);
        }
    }
    all.retain(|p| p.status.is_installed());
    if all.is_empty() {
        return Err(DpkgError::NothingInstalled {
            path: shown.unwrap_or_else(|| root.path().to_path_buf()),
        });
    }
    if db.info {
        for p in &mut all {
            p.install_time = root
                .mtime(format!("{INFO}/{}:{}.list", p.name, p.arch))
                .or_else(|| root.mtime(format!("{INFO}/{}.list", p.name)));
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<InstalledDeb> {
        parse_status(text.as_bytes(), Path::new("status")).unwrap()
    }

    fn parse_err(text: &str) -> String {
        parse_status(text.as_bytes(), Path::new("status"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn states_holds_and_multi_arch() {
        let ps = parse_ok(
            "Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\nArchitecture: amd64\n\n\
Package: b\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: amd64\n\n\
Package: c\nStatus: purge ok not-installed\nArchitecture: amd64\n\n\
Package: d\nStatus: hold ok installed\nVersion: 2\nArchitecture: all\n\n\
Package: e\nStatus: install reinstreq half-installed\nVersion: 2\nArchitecture: amd64\n\n\
Package: f\nStatus: install ok triggers-pending\nVersion: 1\nArchitecture: amd64\n\n\
Package: g\nStatus: install ok unpacked\nVersion: 1\nArchitecture: amd64\n\n\
Package: libz\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nMulti-Arch: same\n\n\
Package: libz\nStatus: install ok installed\nVersion: 1\nArchitecture: i386\nMulti-Arch: same\n\n\
Package: h\nVersion: 1\nArchitecture: amd64\n",
        );
        let abbrevs: Vec<(String, String, bool)> = ps
            .iter()
            .map(|p| {
                (
                    p.qualified_name(),
                    p.status.abbrev(),
                    p.status.is_installed(),
                )
            })
            .collect();
        let want = [
            ("a:amd64", "ii", true),
            ("b:amd64", "rc", false),
            ("d:all", "hi", true),
            ("e:amd64", "iHR", false),
            ("f:amd64", "it", true),
            ("g:amd64", "iU", false),
            ("libz:amd64", "ii", true),
            ("libz:i386", "ii", true),
        ];
        let want: Vec<(String, String, bool)> = want
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
            .collect();
        assert_eq!(abbrevs, want);
        assert!(ps[2].status.is_held());
        assert_eq!(ps[0].version.epoch(), 1);
    }

    #[test]
    fn what_dpkg_query_refuses_is_an_error_with_the_line() {
        let cases = [
            ("Package:\n\nPackage: a\nStatus: install ok installed\nVersion: 1\n", "line 1", "empty"),
            ("Package: a\nStatus: install ok installed\nVersion: 1\nVersion: 2\n", "line 4", "duplicate"),
            ("Package: a\nStatus: install ok bogus\nVersion: 1\n", "line 2", "bogus"),
            ("Package: a\nStatus: install ok installed\nArchitecture: amd64\n", "line 1", "Version"),
            ("Status: install ok installed\nVersion: 1\n", "line 1", "Package"),
            ("Package: a\nStatus: install ok installed\nVersion: 1 2\n", "line 3", "Version"),
            ("Package: a\nStatus: install ok installed\nVersion: 1\nbroken line\n", "line 4", "broken line"),
            (
                "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\nPackage: a\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n",
                "line 6",
                "appears again",
            ),
        ];
        for (text, line, what) in cases {
            let err = parse_err(text);
            assert!(err.starts_with("status: "), "{err}");
            assert!(err.contains(line) && err.contains(what), "{text:?}: {err}");
        }
    }

    #[test]
    fn distroless_files_are_installed_without_status() {
        let ps = parse_status_d(
            b"Package: libsqlite3-0\nVersion: 3.34.1-3\nArchitecture: arm64\nSource: sqlite3\n",
            Path::new("status.d/libsqlite3-0"),
        )
        .unwrap();
        assert_eq!(ps.len(), 1);
        assert!(ps[0].status.is_installed());
        assert_eq!(ps[0].source.as_deref(), Some("sqlite3"));
        // The same stanza in a status file is not installed.
        assert!(parse_ok("Package: libsqlite3-0\nVersion: 3.34.1-3\n").is_empty());
    }
}
