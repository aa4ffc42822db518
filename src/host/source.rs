//! Where a host's facts come from: a root directory (a mounted snapshot or an unpacked image),
//! a tar archive of one (read in place), or an inventory file for a host scanned remotely.
//!
//! An inventory file is the text of the host's own tools, in sections:
//!
//! ```text
//! #patchscan-inventory 1
//! @os-release
//! <the contents of /etc/os-release>
//! @hostname
//! <the contents of /etc/hostname>                    (optional)
//! @rpm
//! <rpm -qa --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{MODULARITYLABEL}\t%{SOURCERPM}\n'>
//! @dnf-modules
//! <cat /etc/dnf/modules.d/*.module>                  (optional)
//! @dpkg
//! <dpkg-query -W -f='Package: ${Package}\nStatus: ${Status}\nArchitecture: ${Architecture}\nMulti-Arch: ${Multi-Arch}\nSource: ${Source}\nVersion: ${Version}\n\n'>
//! @end
//! ```
//!
//! The `@end` line is required: a file cut short (a full disk, an interrupted copy) would
//! otherwise read as a smaller host, and a smaller host can only look more compliant.
//!
//! docs/fleets.md ("Inventory files") gives the one-line shell command that writes one.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::files::rootfs::{RootFs, RootFsError};
use crate::host::facts::{self, HostError, HostFacts, Installed};
use crate::host::os;
use crate::host::rpmdb::InstalledRpm;
use crate::version::{Nevra, RpmEvr};
use crate::vocab::os::OperatingSystem;

/// The first line of an inventory file.
pub const INVENTORY_MAGIC: &str = "#patchscan-inventory 1";

/// The kinds of host source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// A root directory.
    #[default]
    Root,
    /// A tar archive of a root (plain, gzip, zstd, xz or bzip2).
    Archive,
    /// An inventory file.
    Inventory,
    /// A disk image: a raw disk or a file system image, read without mounting.
    Image,
}

impl SourceKind {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Root => "root",
            SourceKind::Archive => "archive",
            SourceKind::Inventory => "inventory",
            SourceKind::Image => "image",
        }
    }
}

/// Why a host source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a host root directory, a tar archive, a disk image or an inventory file (an inventory starts with `{INVENTORY_MAGIC}`)", .path.display())]
    Unrecognised { path: PathBuf },
    #[error("{}: line {line}: {message}", .path.display())]
    Inventory {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    RootFs(#[from] RootFsError),
    #[error(transparent)]
    Host(#[from] HostError),
}

/// A host source: a path and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSource {
    pub path: PathBuf,
    pub kind: SourceKind,
}

/// OS and product given by the fleet manifest instead of the host's files.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub os: Option<OperatingSystem>,
    pub product: Option<String>,
}

impl Overrides {
    /// A host's identity with the overrides applied: both given, the host's own files are not
    /// read at all (`read` is not called); otherwise what `read` finds, with the one given
    /// replacing its part. The one home of this rule, for roots, archives and inventories.
    pub fn identify<E>(
        &self,
        read: impl FnOnce() -> Result<os::OsIdentity, E>,
    ) -> Result<os::OsIdentity, E> {
        if let (Some(os), Some(product)) = (self.os, &self.product) {
            return Ok(os::OsIdentity {
                operating_system: os,
                product: product.clone(),
                pretty_name: String::new(),
            });
        }
        let mut id = read()?;
        if let Some(os) = self.os {
            id.operating_system = os;
        }
        if let Some(p) = &self.product {
            id.product = p.clone();
        }
        Ok(id)
    }
}

impl HostSource {
    /// Tells a directory, an archive and an inventory file apart, by content for files.
    pub fn detect(path: &Path) -> Result<Self, SourceError> {
        let io_err = |source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        let kind = if meta.is_dir() {
            SourceKind::Root
        } else {
            // Only a regular file: a FIFO given as a host would block the open for ever. The
            // path is the scanner's own, so its links are followed (a glob of links to images).
            let (file, _) = crate::files::rootfs::open_regular(&scanner_side(path), u64::MAX)?;
            let mut head = Vec::with_capacity(HEAD_BYTES);
            file.take(HEAD_BYTES as u64)
                .read_to_end(&mut head)
                .map_err(io_err)?;
            let text_start = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
            if text_start.starts_with(INVENTORY_MAGIC.as_bytes()) {
                SourceKind::Inventory
            } else if looks_like_tar(&head) {
                SourceKind::Archive
            } else if crate::disk::looks_like_image(&head) {
                SourceKind::Image
            } else {
                return Err(SourceError::Unrecognised {
                    path: path.to_path_buf(),
                });
            }
        };
        Ok(HostSource {
            path: path.to_path_buf(),
            kind,
        })
    }

    /// A source of a kind the caller names (`scan --image`, a manifest's `image =`).
    pub fn of_kind(path: &Path, kind: SourceKind) -> Self {
        HostSource {
            path: path.to_path_buf(),
            kind,
        }
    }

    /// The root of a directory, archive or image source (`None` for an inventory).
    pub fn root(&self) -> Result<Option<RootFs>, SourceError> {
        Ok(match self.kind {
            SourceKind::Root => Some(RootFs::new(&self.path)?),
            SourceKind::Archive => Some(RootFs::from_tar(
                scanner_side(&self.path),
                crate::host::kept_in_archives,
            )?),
            SourceKind::Image => Some(RootFs::from_image(&self.path)?),
            SourceKind::Inventory => None,
        })
    }

    /// Reads the host's facts.
    pub fn read(&self, overrides: &Overrides) -> Result<HostFacts, SourceError> {
        match self.kind {
            SourceKind::Root | SourceKind::Archive | SourceKind::Image => {
                let root = self.root()?.ok_or_else(|| SourceError::Unrecognised {
                    path: self.path.clone(),
                })?;
                Ok(facts::read_host(&root, overrides)?)
            }
            SourceKind::Inventory => {
                let (file, _) = crate::files::rootfs::open_regular(
                    &scanner_side(&self.path),
                    crate::files::rootfs::MAX_FILE_BYTES,
                )?;
                let bytes = crate::files::rootfs::read_all(
                    file,
                    &self.path,
                    crate::files::rootfs::MAX_FILE_BYTES,
                )?;
                read_inventory(&self.path, &bytes, overrides)
            }
        }
    }
}

/// A source file's path with the scanner's own links resolved: the no-follow open that keeps
/// a root's files inside the root is not meant for the path the user gave. Unchanged when it
/// cannot be resolved (the open then says why).
fn scanner_side(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// How much of a file tells its kind: enough for a disk image's GPT header at 4096.
const HEAD_BYTES: usize = 8192;

/// A compressed stream (gzip, zstd, xz, bzip2) or a tar header (`ustar` at byte 257).
fn looks_like_tar(head: &[u8]) -> bool {
    use crate::files::compress::Compression;
    Compression::detect(head) != Compression::Plain
        || head.get(257..262).is_some_and(|m| m == b"ustar")
}

/// One named section of an inventory file, with the line its body starts on.
struct Section<'a> {
    name: &'a str,
    first_line: usize,
    body: String,
}

fn sections<'a>(path: &Path, text: &'a str) -> Result<Vec<Section<'a>>, SourceError> {
    let err = |line, message: String| SourceError::Inventory {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_start_matches('\u{feff}').trim() == INVENTORY_MAGIC => {}
        _ => {
            return Err(err(
                1,
                format!("the first line must be `{INVENTORY_MAGIC}`"),
            ))
        }
    }
    let mut out: Vec<Section<'a>> = Vec::new();
    let mut ended = false;
    for (i, line) in lines {
        if ended {
            if !line.trim().is_empty() {
                return Err(err(i + 1, "text after the @end line".into()));
            }
            continue;
        }
        if line.trim_end() == "@end" {
            ended = true;
            continue;
        }
        if let Some(name) = line.strip_prefix('@') {
            let name = name.trim();
            if !["os-release", "hostname", "rpm", "dnf-modules", "dpkg"].contains(&name) {
                return Err(err(
                    i + 1,
                    format!("unknown section @{name} (known: @os-release, @hostname, @rpm, @dnf-modules, @dpkg)"),
                ));
            }
            if out.iter().any(|s| s.name == name) {
                return Err(err(i + 1, format!("section @{name} appears twice")));
            }
            out.push(Section {
                name,
                first_line: i + 2,
                body: String::new(),
            });
        } else if let Some(section) = out.last_mut() {
            section.body.push_str(line);
            section.body.push('\n');
        } else if !line.trim().is_empty() {
            return Err(err(i + 1, "text before the first @section".into()));
        }
    }
    if !ended {
        let last = text.lines().count();
        return Err(err(
            last,
            "no @end line after the last section: the file is cut short (or was written without the `echo @end` the documented command ends with)".into(),
        ));
    }
    Ok(out)
}

/// Parses an inventory file into host facts.
pub fn read_inventory(
    path: &Path,
    bytes: &[u8],
    overrides: &Overrides,
) -> Result<HostFacts, SourceError> {
    // Validated first on the fast path (an inventory is nearly always UTF-8); only a file that
    // is not takes the slower lossy conversion.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let sections = sections(path, &text)?;
    let find = |name: &str| sections.iter().find(|s| s.name == name);
    let err = |line, message: String| SourceError::Inventory {
        path: path.to_path_buf(),
        line,
        message,
    };

    let identity = overrides.identify(|| match find("os-release") {
        None => Err(err(
            1,
            "no @os-release section (or give the host's os and product in the manifest)".into(),
        )),
        Some(section) => {
            let fields = os::parse_os_release(&section.body, path).map_err(HostError::from)?;
            Ok(os::identify(&fields, path).map_err(HostError::from)?)
        }
    })?;

    let installed = match (find("rpm"), find("dpkg")) {
        (Some(_), Some(_)) => {
            return Err(err(
                1,
                "both @rpm and @dpkg: a host has one package manager".into(),
            ))
        }
        (Some(section), None) => Installed::Rpm(rpm_lines(path, section)?),
        (None, Some(section)) => dpkg_section(path, section)?,
        (None, None) => return Err(err(1, "no @rpm or @dpkg section".into())),
    };
    if installed.is_empty() {
        return Err(err(1, "the package section lists no packages".into()));
    }

    let mut enabled_streams = HashMap::new();
    let mut disabled_modules = HashSet::new();
    if let Some(section) = find("dnf-modules") {
        // `cat /etc/dnf/modules.d/*.module`: one `[module]` block per file.
        let mut block = String::new();
        for line in section.body.lines() {
            if line.trim_start().starts_with('[') && !block.trim().is_empty() {
                facts::add_module_file(&block, path, &mut enabled_streams, &mut disabled_modules)?;
                block.clear();
            }
            block.push_str(line);
            block.push('\n');
        }
        if !block.trim().is_empty() {
            facts::add_module_file(&block, path, &mut enabled_streams, &mut disabled_modules)?;
        }
    }
    let host_name = find("hostname")
        .map(|s| s.body.trim().to_string())
        .filter(|s| !s.is_empty());
    Ok(HostFacts {
        identity,
        installed,
        enabled_streams,
        disabled_modules,
        host_name,
        origin: path.display().to_string(),
    })
}

/// `(none)` is how rpm prints a missing tag.
fn tag(value: &str) -> Option<&str> {
    let v = value.trim();
    (!v.is_empty() && v != "(none)").then_some(v)
}

/// The `@rpm` section: one package per line, tab-separated as the documented `--qf` prints.
fn rpm_lines(path: &Path, section: &Section<'_>) -> Result<Vec<InstalledRpm>, SourceError> {
    let mut out = Vec::with_capacity(memchr::memchr_iter(b'\n', section.body.as_bytes()).count());
    for (i, line) in section.body.lines().enumerate() {
        let line_no = section.first_line + i;
        if line.trim().is_empty() {
            continue;
        }
        let err = |message: String| SourceError::Inventory {
            path: path.to_path_buf(),
            line: line_no,
            message,
        };
        // The fields this reader knows (more are ignored; missing ones read as empty).
        let mut f = [""; 9];
        let mut count = 0;
        for (k, field) in line.split('\t').enumerate() {
            if let Some(slot) = f.get_mut(k) {
                *slot = field;
            }
            count = k + 1;
        }
        if count < 5 {
            return Err(err(format!(
                "expected NAME, EPOCHNUM, VERSION, RELEASE, ARCH (tab-separated), got {count} field(s): {line:?}"
            )));
        }
        let name = f[0].trim();
        if name == "gpg-pubkey" {
            continue;
        }
        let epoch = match tag(f[1]) {
            None => 0,
            Some(e) => crate::version::rpm::parse_epoch(e)
                .ok_or_else(|| err(format!("epoch {e:?} is not a number")))?,
        };
        let (Some(version), Some(release), Some(arch)) = (tag(f[2]), tag(f[3]), tag(f[4])) else {
            return Err(err(format!("{name}: empty version, release or arch")));
        };
        if name.is_empty() {
            return Err(err("empty package name".into()));
        }
        let time = |k: usize, what: &str| -> Result<Option<i64>, SourceError> {
            match tag(f[k]) {
                None => Ok(None),
                Some(t) => t
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| err(format!("{what} {t:?} is not UNIX seconds"))),
            }
        };
        out.push(InstalledRpm {
            nevra: Nevra::new(name, RpmEvr::new(epoch, version, release), arch),
            install_time: time(5, "INSTALLTIME")?,
            build_time: time(6, "BUILDTIME")?,
            modularity_label: tag(f[7]).map(str::to_string),
            source_rpm: tag(f[8]).map(str::to_string),
        });
    }
    Ok(out)
}

/// The `@dpkg` section: `dpkg-query -W` in dpkg's status-file syntax. The apt sources of a
/// remote host are unknown, so every list of its repository set counts.
fn dpkg_section(path: &Path, section: &Section<'_>) -> Result<Installed, SourceError> {
    // Blank lines in front keep dpkg's reader's line numbers those of the inventory file.
    let mut text = "\n".repeat(section.first_line.saturating_sub(1));
    text.push_str(&section.body);
    let mut packages = crate::host::dpkg::parse_status(text.as_bytes(), path)
        .map_err(|e| SourceError::Host(HostError::from(e)))?;
    // dpkg-query also lists removed packages whose configuration files remain, and
    // half-installed ones: as for a root, only installed packages count.
    packages.retain(|p| p.status.is_installed());
    Ok(Installed::Deb {
        packages,
        sources: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AL2023: &str = "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPLATFORM_ID=\"platform:al2023\"\nPRETTY_NAME=\"Amazon Linux 2023.7.20250512\"\n";

    fn inv(body: &str) -> String {
        format!("{INVENTORY_MAGIC}\n@os-release\n{AL2023}{body}@end\n")
    }

    #[test]
    #[allow(irrefutable_let_patterns)]
    fn rpm_inventory_with_modules_and_hostname() {
        let text = inv("@hostname\nweb-1\n@rpm\nbash\t0\t5.2.15\t1.amzn2023.0.2\tx86_64\t1748000000\t1700000000\t(none)\tbash-5.2.15-1.amzn2023.0.2.src.rpm\ngpg-pubkey\t(none)\tabc\tdef\t(none)\nnodejs\t1\t20.10.0\t1.module\tx86_64\t1748000000\t1700000000\tnodejs:20:9040:bb20\n@dnf-modules\n[nodejs]\nname=nodejs\nstream=20\nstate=enabled\n[php]\nname=php\nstream=\nstate=disabled\n");
        let facts =
            read_inventory(Path::new("h.inv"), text.as_bytes(), &Overrides::default()).unwrap();
        assert_eq!(facts.identity.product, "AmazonLinux2023");
        assert_eq!(facts.host_name.as_deref(), Some("web-1"));
        let Installed::Rpm(pkgs) = &facts.installed else {
            panic!()
        };
        assert_eq!(pkgs.len(), 2, "gpg-pubkey is not a package");
        assert_eq!(
            pkgs[0].nevra.to_string(),
            "bash-5.2.15-1.amzn2023.0.2.x86_64"
        );
        assert_eq!(pkgs[0].install_time, Some(1_748_000_000));
        assert_eq!(pkgs[0].modularity_label, None);
        assert_eq!(pkgs[1].nevra.evr.epoch, 1);
        assert_eq!(
            pkgs[1].modularity_label.as_deref(),
            Some("nodejs:20:9040:bb20")
        );
        assert_eq!(
            facts.enabled_streams.get("nodejs").map(String::as_str),
            Some("20")
        );
        assert!(facts.disabled_modules.contains("php"));
    }

    #[test]
    fn bad_inventories_name_the_line() {
        let cases = [
            ("nothing\n".to_string(), 1, "first line"),
            (inv("@rpm\nbash\t0\t5.2\n"), 11, "expected NAME"),
            (inv("@rpm\nbash\tx\t5.2\t1\tx86_64\n"), 11, "epoch"),
            (
                inv("@rpm\nbash\t0\t5.2\t1\tx86_64\tyesterday\n"),
                11,
                "INSTALLTIME",
            ),
            (inv("@rpms\n"), 10, "unknown section"),
            (inv("@rpm\n\n"), 1, "no packages"),
            (inv(""), 1, "no @rpm"),
            (
                format!("{INVENTORY_MAGIC}\n@rpm\nbash\t0\t1\t1\tx86_64\n@end\n"),
                1,
                "no @os-release",
            ),
            (
                format!("{INVENTORY_MAGIC}\n@os-release\n{AL2023}@rpm\nbash\t0\t1\t1\tx86_64\nzlib\t0\t1.2"),
                12,
                "no @end line",
            ),
            (inv("@rpm\nbash\t0\t1\t1\tx86_64\n@end\nzlib\t0\t1\t1\tx86_64\n"), 13, "after the @end"),
        ];
        for (text, line, what) in cases {
            let err = read_inventory(Path::new("h.inv"), text.as_bytes(), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(&format!("h.inv: line {line}: ")), "{err}");
            assert!(err.contains(what), "{err}");
        }
    }

    #[test]
    fn overrides_replace_os_release() {
        let text = format!("{INVENTORY_MAGIC}\n@rpm\nbash\t0\t1\t1\tx86_64\n@end\n");
        let facts = read_inventory(
            Path::new("h.inv"),
            text.as_bytes(),
            &Overrides {
                os: Some(OperatingSystem::RedhatEnterpriseLinux),
                product: Some("RedhatEnterpriseLinux9.4".into()),
            },
        )
        .unwrap();
        assert_eq!(facts.identity.product, "RedhatEnterpriseLinux9.4");
    }
}
