//! rpm-md repositories (`repodata/repomd.xml` and the files it names) read into plain values.
//!
//! Readers stream: primary and updateinfo files of hundreds of megabytes are read event by
//! event, and memory grows only with the values kept (the fields Patch Manager uses), never
//! with the file. Strings that repeat across thousands of entries (update types, severities,
//! module identities) are shared through `Arc`.

mod date;
mod lean;
pub(crate) mod modules;
pub mod primary;
pub(crate) mod repomd;
pub mod updateinfo;
mod xml;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::files::compress::CompressError;
use crate::repo::Place;
use crate::version::rpm::Nevra;

pub use date::parse_metadata_date;
pub use repomd::{Checksum, NotAsListed, RepoMd, RepoMdData};

/// What one rpm-md repository offers: packages, advisories and module streams.
#[derive(Debug, Clone)]
pub struct RepoMetadata {
    /// The repository root (the directory holding `repodata/`).
    pub dir: PathBuf,
    /// `<revision>` from repomd.xml, when given.
    pub revision: Option<String>,
    /// The newest `<timestamp>` among repomd.xml's data entries (UNIX seconds).
    pub timestamp: Option<i64>,
    /// Binary packages from primary (source packages are left out).
    pub packages: Vec<AvailablePackage>,
    /// Update notices from updateinfo; empty when the repository has none.
    pub advisories: Vec<Advisory>,
    /// Module streams from modules.yaml; empty when the repository has none.
    pub modules: Vec<ModuleStream>,
    /// Default streams from modules.yaml.
    pub module_defaults: Vec<ModuleDefault>,
}

/// A binary package a repository offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailablePackage {
    /// Its identity.
    pub nevra: Nevra,
    /// `<time build=…>` (UNIX seconds): the release date of last resort.
    pub build_time: Option<i64>,
}

/// One update notice (`<update>` in updateinfo.xml) with the attributes baselines filter on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// `<id>`: `ALAS2-2018-939`, `RHSA-2021:2575`, …
    pub id: String,
    /// The `type` attribute as written (`security`, `bugfix`, `enhancement`, `recommended`,
    /// `newpackage`, `optional`, …): the baseline's CLASSIFICATION. `None` when absent.
    pub kind: Option<Arc<str>>,
    /// `<severity>` as written (`critical`, `Important`, `Moderate`, `None`…); `None` when absent
    /// or empty.
    pub severity: Option<Arc<str>>,
    /// `<title>`.
    pub title: String,
    /// `<issued date=…>` in UNIX seconds UTC; `None` when absent or unparseable.
    pub issued: Option<i64>,
    /// `<updated date=…>` in UNIX seconds UTC; `None` when absent or unparseable.
    pub updated: Option<i64>,
    /// Ids of `<reference type="cve">`.
    pub cves: Vec<String>,
    /// Ids of `<reference type="bugzilla">`.
    pub bugzillas: Vec<String>,
    /// The packages of every `<collection>` in `<pkglist>`, in file order.
    pub packages: Vec<AdvisoryPackage>,
}

/// A package an advisory covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryPackage {
    /// Its identity.
    pub nevra: Nevra,
    /// The module streams of its collection (every `<module>` it names), when it names any;
    /// shared by every package of that collection.
    pub module: Option<Arc<[ModuleRef]>>,
}

/// A module stream's identity, as updateinfo `<module …/>` and modules.yaml write it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleRef {
    /// Module name (`nodejs`).
    pub name: String,
    /// Stream (`18`, `rhel8`).
    pub stream: String,
    /// Build version (`8080020230503125346`), when given.
    pub version: Option<u64>,
    /// Context hash, when given.
    pub context: Option<String>,
    /// Architecture, when given.
    pub arch: Option<String>,
}

/// A `modulemd` document of modules.yaml: one built module stream and its packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleStream {
    /// Name, stream, version, context, arch.
    pub id: ModuleRef,
    /// `artifacts.rpms`: the packages that belong to this stream.
    pub rpms: Vec<Nevra>,
}

/// A `modulemd-defaults` document: the stream enabled when none was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleDefault {
    /// Module name.
    pub module: String,
    /// Default stream; `None` when the document sets none.
    pub stream: Option<String>,
}

/// Why an rpm-md repository or one of its files could not be read. Every variant names the
/// file.
#[derive(Debug, thiserror::Error)]
pub enum RpmMdError {
    /// Opening or detecting the compression of a file failed.
    #[error(transparent)]
    Compress(#[from] CompressError),
    /// Reading failed part way: truncated or corrupt compressed data, or an I/O error.
    #[error("{path}: read failed: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What failed (the message names the compression format).
        #[source]
        source: io::Error,
    },
    /// The file is neither XML nor in a compression format we know.
    #[error("{path}: not XML and not a known compression format (starts with {head})")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// Its first bytes in hex.
        head: String,
    },
    /// Malformed XML, or well-formed XML that is not what the file should hold.
    #[error(
        "{path}: line {line}, column {column} (byte {offset} of the decompressed data): {reason}"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Byte offset into the decompressed data.
        offset: u64,
        /// 1-based line of `offset` (0 when it could not be computed).
        line: u64,
        /// 1-based column (in bytes) of `offset`.
        column: u64,
        /// What is wrong.
        reason: String,
    },
    /// repomd.xml names a file that is not there.
    #[error("{repomd}: the `{data_type}` location `{href}` does not exist ({path})")]
    MissingLocation {
        /// The repomd.xml naming it.
        repomd: PathBuf,
        /// The data type (`primary`, `updateinfo`, …).
        data_type: String,
        /// The location as written.
        href: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A metadata file's digest is not the one repomd.xml lists.
    #[error(transparent)]
    NotAsListed(Box<NotAsListed>),
    /// repomd.xml gives a checksum of a type no tool knows, so the file cannot be checked.
    #[error("{}: the `{data_type}` checksum type {algorithm:?} is none of md5, sha, sha1, sha224, sha256, sha384, sha512, so the file cannot be checked (dnf refuses it: \"Unknown checksum type\")", .repomd.display())]
    UnknownChecksum {
        /// The repomd.xml.
        repomd: PathBuf,
        /// The data type whose checksum it is.
        data_type: String,
        /// The type as written.
        algorithm: String,
    },
    /// repomd.xml lists neither `primary` nor `primary_db`, so there are no packages to read.
    #[error("{path}: lists neither `primary` nor `primary_db` metadata")]
    NoPrimary {
        /// The repomd.xml.
        path: PathBuf,
    },
    /// The primary_db SQLite database could not be read.
    #[error("{path}: primary_db: {source}")]
    Sqlite {
        /// The file (the compressed one, as repomd names it).
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The primary_db database does not have the schema createrepo writes.
    #[error("{path}: primary_db: {what}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// modules.yaml is not valid YAML, or a document lacks what it must have.
    #[error("{path}: document {document}: {reason}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// 1-based index of the YAML document.
        document: usize,
        /// What is wrong (with a line and column where the YAML parser gave one).
        reason: String,
    },
}

/// The whole decompressed content of a small metadata file (repomd.xml, modules.yaml).
fn read_whole(path: &Path) -> Result<Vec<u8>, RpmMdError> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut crate::files::compress::open(path)?, &mut bytes).map_err(
        |source| RpmMdError::Read {
            path: path.to_path_buf(),
            source,
        },
    )?;
    Ok(bytes)
}

/// Reads the repository at `dir` (which holds `repodata/repomd.xml`): packages from `primary`
/// (or `primary_db` when only that is listed), and `updateinfo` and `modules` when listed.
pub fn read_repository(dir: &Path) -> Result<RepoMetadata, RpmMdError> {
    read_repository_in(dir, Place::Scanner)
}

/// [`read_repository`] for a repository in `place`: in a host root (its dnf, yum or zypp
/// cache) every file is found through the root, so a link out of the root is not followed.
pub fn read_repository_in(dir: &Path, place: Place<'_>) -> Result<RepoMetadata, RpmMdError> {
    // yum's cache (`var/cache/yum/<arch>/<release>/<repo>/`) has repomd.xml without repodata/.
    let nested = dir.join("repodata").join("repomd.xml");
    let repomd_path = match (place.file(&nested), place.file(&dir.join("repomd.xml"))) {
        (Some(found), _) | (None, Some(found)) => found,
        (None, None) if matches!(place, Place::Scanner) => nested,
        (None, None) => {
            return Err(RpmMdError::Read {
                path: nested,
                source: io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such regular file inside the host root",
                ),
            })
        }
    };
    let repomd = RepoMd::read(&repomd_path)?;
    // Each file is found, then held against repomd.xml's checksum before it is read.
    fn found<'d>(
        data: &'d RepoMdData,
        dir: &Path,
        repomd: &Path,
        place: Place<'_>,
    ) -> Result<(PathBuf, &'d RepoMdData), RpmMdError> {
        Ok((data.local_path(dir, repomd, place)?, data))
    }
    let locate = |data| found(data, dir, &repomd_path, place);
    let checked = |(path, data): (PathBuf, &RepoMdData)| {
        data.verify(&path, &repomd_path)?;
        Ok::<_, RpmMdError>(path)
    };
    let primary = if let Some(data) = repomd.primary() {
        Ok(locate(data)?)
    } else if let Some(data) = repomd.primary_db() {
        Err(locate(data)?)
    } else {
        return Err(RpmMdError::NoPrimary { path: repomd_path });
    };
    let updateinfo = repomd.updateinfo().map(locate).transpose()?;
    let modules = repomd.modules().map(locate).transpose()?;
    // The files are independent: check and read them on two cores.
    let (packages, (advisories, modules)) = rayon::join(
        || match primary {
            Ok(xml) => primary::read_primary_xml(&checked(xml)?),
            Err(db) => primary::read_primary_db(&checked(db)?),
        },
        || {
            let advisories = match updateinfo {
                Some(found) => checked(found).and_then(|p| updateinfo::read_updateinfo(&p)),
                None => Ok(Vec::new()),
            };
            let modules = match modules {
                Some(found) => checked(found).and_then(|p| modules::read_modules(&p)),
                None => Ok((Vec::new(), Vec::new())),
            };
            (advisories, modules)
        },
    );
    let (packages, advisories, (modules, module_defaults)) = (packages?, advisories?, modules?);
    Ok(RepoMetadata {
        dir: dir.to_path_buf(),
        revision: repomd.revision.clone(),
        timestamp: repomd.data.iter().filter_map(|d| d.timestamp).max(),
        packages,
        advisories,
        modules,
        module_defaults,
    })
}
