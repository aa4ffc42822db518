//! apt's source configuration: `etc/apt/sources.list`, `etc/apt/sources.list.d/*.list`
//! (one-line `deb [options] uri suite component…`) and `*.sources` (deb822), deciding which
//! downloaded lists count for a host and whether they are trusted.

use std::path::{Path, PathBuf};

use crate::deb822::{self, Reader};
use crate::files::rootfs::{RootFs, RootFsError};

/// Why a host's apt sources could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// A line or stanza apt would refuse.
    #[error("{}: line {line}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A sources file is not a regular file, is too large, or could not be read.
    #[error(transparent)]
    File(#[from] RootFsError),
}

/// One `deb` source: a URI, a suite and its components (one entry per suite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub uri: String,
    /// The suite (`bookworm-security`), or a flat repository's path ending in `/`.
    pub suite: String,
    pub components: Vec<String>,
    /// `false` only with `trusted=no` / `Trusted: no`.
    pub trusted: bool,
    /// `arch=` / `Architectures:`; `None`: every architecture apt fetched.
    pub archs: Option<Vec<String>>,
    /// Where it was configured.
    pub path: PathBuf,
    pub line: usize,
}

fn bad(path: &Path, line: usize, message: impl Into<String>) -> SourcesError {
    SourcesError::Invalid {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn yes_no(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" => Some(true),
        "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Parses one-line-style sources (`sources.list`, `*.list`).
pub fn parse_one_line(text: &str, path: &Path) -> Result<Vec<SourceEntry>, SourcesError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (kind, mut rest) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad(path, line_no, format!("malformed line {line:?}")))?;
        let (mut trusted, mut archs) = (true, None);
        rest = rest.trim_start();
        if let Some(opts) = rest.strip_prefix('[') {
            let (inside, after) = opts
                .split_once(']')
                .ok_or_else(|| bad(path, line_no, "option list '[' without its closing ']'"))?;
            for opt in inside.split_whitespace() {
                let Some((k, v)) = opt.split_once('=') else {
                    return Err(bad(
                        path,
                        line_no,
                        format!("option {opt:?} is not key=value"),
                    ));
                };
                match k.trim_end_matches(['+', '-']) {
                    "trusted" => {
                        trusted = yes_no(v).ok_or_else(|| {
                            bad(path, line_no, format!("trusted={v:?} is not yes or no"))
                        })?
                    }
                    "arch" if !k.ends_with('-') => {
                        archs = Some(v.split(',').map(str::to_string).collect())
                    }
                    _ => {}
                }
            }
            rest = after;
        }
        if kind != "deb" {
            if kind == "deb-src" {
                continue;
            }
            return Err(bad(
                path,
                line_no,
                format!("unknown type {kind:?} (deb or deb-src)"),
            ));
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            return Err(bad(path, line_no, "a deb line needs a URI and a suite"));
        };
        let components: Vec<String> = words.map(str::to_string).collect();
        if components.is_empty() && !suite.ends_with('/') {
            return Err(bad(
                path,
                line_no,
                format!("suite {suite:?} has no components (only a flat repository's path, ending in '/', may omit them)"),
            ));
        }
        out.push(SourceEntry {
            uri: uri.to_string(),
            suite: suite.to_string(),
            components,
            trusted,
            archs: archs.clone(),
            path: path.to_path_buf(),
            line: line_no,
        });
    }
    Ok(out)
}

/// Parses deb822-style sources (`*.sources`).
pub fn parse_deb822(bytes: &[u8], path: &Path) -> Result<Vec<SourceEntry>, SourcesError> {
    let mut out = Vec::new();
    for para in Reader::with_comments(bytes) {
        let para = para.map_err(|e| bad(path, e.line, e.message))?;
        let words = |k: &str| -> Vec<String> {
            para.field(k)
                .map(|f| f.words().map(|w| deb822::lossy(w).into_owned()).collect())
                .unwrap_or_default()
        };
        let flag = |k: &str| -> Result<Option<bool>, SourcesError> {
            match para.field(k) {
                None => Ok(None),
                Some(f) => {
                    let v = deb822::lossy(f.first_line());
                    yes_no(&v)
                        .map(Some)
                        .ok_or_else(|| bad(path, f.line(), format!("{k}: {v:?} is not yes or no")))
                }
            }
        };
        if flag("Enabled")? == Some(false) {
            continue;
        }
        let types = words("Types");
        if types.is_empty() {
            return Err(bad(path, para.line(), "stanza without 'Types'"));
        }
        if !types.iter().any(|t| t == "deb") {
            continue;
        }
        let uris = words("URIs");
        let suites = words("Suites");
        if uris.is_empty() || suites.is_empty() {
            return Err(bad(
                path,
                para.line(),
                "a deb stanza needs 'URIs' and 'Suites'",
            ));
        }
        let components = words("Components");
        let trusted = flag("Trusted")?.unwrap_or(true);
        let archs = para
            .field("Architectures")
            .map(|f| f.words().map(|w| deb822::lossy(w).into_owned()).collect());
        for uri in &uris {
            for suite in &suites {
                if components.is_empty() && !suite.ends_with('/') {
                    return Err(bad(
                        path,
                        para.line(),
                        format!("suite {suite:?} has no 'Components'"),
                    ));
                }
                out.push(SourceEntry {
                    uri: uri.clone(),
                    suite: suite.clone(),
                    components: components.clone(),
                    trusted,
                    archs: archs.clone(),
                    path: path.to_path_buf(),
                    line: para.line(),
                });
            }
        }
    }
    Ok(out)
}

/// The sources a root (a directory or an archive) configures; `None` when it has no apt
/// configuration at all.
pub fn read_root_sources(root: &RootFs) -> Result<Option<Vec<SourceEntry>>, SourcesError> {
    let mut found = false;
    let mut out = Vec::new();
    let read = |rel: &str| root.read(rel);
    if root.is_file("etc/apt/sources.list") {
        found = true;
        let (p, bytes) = read("etc/apt/sources.list")?;
        out.extend(parse_one_line(&String::from_utf8_lossy(&bytes), &p)?);
    }
    if let Ok((_, names)) = root.read_dir("etc/apt/sources.list.d") {
        for name in names {
            let rel = format!("etc/apt/sources.list.d/{}", name.to_string_lossy());
            let kind = Path::new(&name).extension().and_then(|x| x.to_str());
            if !matches!(kind, Some("list" | "sources")) || !root.is_file(&rel) {
                continue;
            }
            found = true;
            let (p, bytes) = read(&rel)?;
            if kind == Some("list") {
                out.extend(parse_one_line(&String::from_utf8_lossy(&bytes), &p)?);
            } else {
                out.extend(parse_deb822(&bytes, &p)?);
            }
        }
    }
    Ok(found.then_some(out))
}

/// apt's `URItoFileName`: the scheme and credentials dropped, unsafe characters `%`-quoted,
/// `/` turned into `_`. The names of the files in `var/lib/apt/lists` are built this way.
pub fn uri_to_file_name(uri: &str) -> String {
    let mut rest = uri;
    if let Some(i) = rest.find(':') {
        if rest[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-')
        {
            rest = &rest[i + 1..];
        }
    }
    match rest.strip_prefix("//") {
        Some(after) => {
            // Credentials sit before the host; `file:///srv` has an empty host.
            let host_end = after.find('/').unwrap_or(after.len());
            let start = after[..host_end].rfind('@').map_or(0, |at| at + 1);
            quote(&after[start..])
        }
        // `file:/srv/repo`: no host, the path keeps its leading `/`.
        None => quote(rest),
    }
}

/// apt's quoting of one path piece (`updates/main` → `updates_main`), as in list-file names.
pub fn quote_path(s: &str) -> String {
    quote(s)
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b <= 0x20 || b >= 0x7f || br#"\|{}[]<>"^~_=!@#$%^&*"#.contains(&b) {
            out.push_str(&format!("%{b:02x}"));
        } else if b == b'/' {
            out.push('_');
        } else {
            out.push(b as char);
        }
    }
    out
}

/// Undoes `quote`'s `%xx` escapes.
pub fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SourceEntry {
    /// The list-file name prefix of this entry's suite: `<uri>/dists/<suite>/` as apt names
    /// it, or `<uri>/<path>` for a flat repository.
    pub fn list_prefix(&self) -> String {
        let base = self.uri.trim_end_matches('/');
        if self.suite.ends_with('/') {
            let path = self.suite.trim_start_matches("./");
            if path.is_empty() || path == "/" {
                uri_to_file_name(&format!("{base}/"))
            } else {
                uri_to_file_name(&format!("{base}/{path}"))
            }
        } else {
            uri_to_file_name(&format!("{base}/dists/{}/", self.suite))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_as_apt_makes_them() {
        let cases = [
            (
                "http://deb.debian.org/debian/dists/bookworm/",
                "deb.debian.org_debian_dists_bookworm_",
            ),
            (
                "https://user:pw@mirror.example:8080/ubuntu/dists/jammy-security/",
                "mirror.example:8080_ubuntu_dists_jammy-security_",
            ),
            ("file:/srv/apt/dists/x/", "_srv_apt_dists_x_"),
            ("file:///srv/my_repo/dists/x/", "_srv_my%5frepo_dists_x_"),
            ("mirror+http://h/p~q/", "h_p%7eq_"),
        ];
        for (uri, want) in cases {
            assert_eq!(uri_to_file_name(uri), want, "{uri}");
        }
        assert_eq!(unquote("_srv_my%5frepo"), "_srv_my_repo");
    }

    #[test]
    fn one_line_sources() {
        let text = "# comment\ndeb http://deb.debian.org/debian bookworm main contrib\n\
deb-src http://deb.debian.org/debian bookworm main\n\
deb [ arch=amd64,i386 trusted=no ] http://x/y jammy-security main # tail\n\
deb file:/srv/flat ./\n";
        let e = parse_one_line(text, Path::new("sources.list")).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].components, ["main", "contrib"]);
        assert!(e[0].trusted);
        assert!(!e[1].trusted);
        assert_eq!(
            e[1].archs.as_deref(),
            Some(&["amd64".to_string(), "i386".into()][..])
        );
        assert_eq!(e[1].line, 4);
        assert_eq!(e[1].list_prefix(), "x_y_dists_jammy-security_");
        assert_eq!(e[2].list_prefix(), "_srv_flat_");
        for bad in [
            "deb http://x\n",
            "deb [trusted=maybe] http://x s main\n",
            "rpm http://x s main\n",
            "deb http://x s\n",
        ] {
            let err = parse_one_line(bad, Path::new("l")).unwrap_err().to_string();
            assert!(err.starts_with("l: line 1:"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn deb822_sources() {
        let text = b"Types: deb\n# http://snapshot\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
Types: deb deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nTrusted: no\n\n\
Types: deb\nURIs: http://off\nSuites: x\nComponents: main\nEnabled: no\n\n\
Types: deb-src\nURIs: http://src\nSuites: x\nComponents: main\n";
        let e = parse_deb822(text, Path::new("debian.sources")).unwrap();
        let suites: Vec<(&str, bool)> = e.iter().map(|s| (s.suite.as_str(), s.trusted)).collect();
        assert_eq!(
            suites,
            [
                ("bookworm", true),
                ("bookworm-updates", true),
                ("bookworm-security", false)
            ]
        );
        let err = parse_deb822(b"Types: deb\nURIs: http://x\n", Path::new("s.sources"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("s.sources: line 1"), "{err}");
    }
}
