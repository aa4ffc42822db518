//! rpm-md repositories (`repodata/`): repomd.xml, primary (XML or `primary_db`), updateinfo and
//! modules, read into the shared [`UpdateIndex`].
//!
//! The large files (primary, updateinfo) are streamed with quick-xml: memory grows with the
//! index built, not with the file.

mod date;
mod modules;
mod primary;
mod repomd;
pub mod updateinfo;

use std::path::{Path, PathBuf};

pub use date::parse_metadata_date;
pub use repomd::{DataFile, RepoMd};

use super::compress::CompressError;
use super::index::{ModuleStream, RepoInfo, UpdateIndex};

/// Why a repository could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum RpmMdError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Compress(#[from] CompressError),
    #[error("{path}: malformed XML at byte {position}: {message}")]
    Xml {
        path: PathBuf,
        position: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: repomd.xml names {kind} at {location}, which does not exist")]
    MissingData {
        path: PathBuf,
        kind: String,
        location: PathBuf,
    },
    #[error("{path}: repomd.xml lists neither primary nor primary_db")]
    NoPrimary { path: PathBuf },
    #[error("{path}: primary_db: {message}")]
    Sqlite { path: PathBuf, message: String },
    #[error("{path}: modules: {message}")]
    Modules { path: PathBuf, message: String },
}

/// Finds `repomd.xml` for a repository directory: `DIR/repodata/repomd.xml`, or
/// `DIR/repomd.xml` (yum's cache keeps it without the `repodata/` level).
fn repomd_path(dir: &Path) -> Result<PathBuf, RpmMdError> {
    for p in [dir.join("repodata/repomd.xml"), dir.join("repomd.xml")] {
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(RpmMdError::Io {
        path: dir.join("repodata/repomd.xml"),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "no repomd.xml"),
    })
}

/// Resolves a repomd `location href` against the repository directory (hrefs are relative to
/// the directory holding `repodata/`; yum's cache flattens them next to repomd.xml).
fn data_path(dir: &Path, repomd: &Path, file: &DataFile) -> Result<PathBuf, RpmMdError> {
    let base_name = Path::new(&file.href)
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_default();
    let candidates = [
        dir.join(&file.href),
        repomd
            .parent()
            .map(|p| p.join(&base_name))
            .unwrap_or_default(),
    ];
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| RpmMdError::MissingData {
            path: repomd.to_path_buf(),
            kind: file.kind.clone(),
            location: dir.join(&file.href),
        })
}

/// Reads one repository directory into `index`.
pub fn add_to_index(dir: &Path, index: &mut UpdateIndex) -> Result<(), RpmMdError> {
    let repomd_file = repomd_path(dir)?;
    let md = RepoMd::read(&repomd_file)?;
    let repo = index.add_repo(RepoInfo {
        path: dir.display().to_string(),
        revision: md.revision.clone(),
        timestamp: md.newest_timestamp(),
    });
    match (md.data("primary"), md.data("primary_db")) {
        (Some(f), _) => {
            let path = data_path(dir, &repomd_file, f)?;
            primary::read_xml(&path, &mut |nevra, build| {
                index.add_package(nevra, build, repo)
            })?;
        }
        (None, Some(f)) => {
            let path = data_path(dir, &repomd_file, f)?;
            primary::read_db(&path, &mut |nevra, build| {
                index.add_package(nevra, build, repo)
            })?;
        }
        (None, None) => {
            return Err(RpmMdError::NoPrimary { path: repomd_file });
        }
    }
    if let Some(f) = md.data("modules") {
        let path = data_path(dir, &repomd_file, f)?;
        let parsed = modules::read(&path)?;
        for m in parsed.streams {
            index.add_module_stream(
                ModuleStream {
                    name: m.name,
                    stream: m.stream,
                },
                &m.artifacts,
            );
        }
        index.module_defaults.extend(parsed.defaults);
    }
    if let Some(f) = md.data("updateinfo") {
        let path = data_path(dir, &repomd_file, f)?;
        updateinfo::read(&path, &mut |adv, pkgs| index.add_advisory(adv, &pkgs))?;
    }
    Ok(())
}
