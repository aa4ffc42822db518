//! `repodata/repomd.xml`: the index of a repository's metadata files.
//!
//! Small (a few KB), so it is read whole with roxmltree.

use std::path::{Component, Path, PathBuf};

use super::RpmMdError;
use crate::files::rootfs::RootFsError;
use crate::repo::Place;

/// The parsed repomd.xml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoMd {
    /// `<revision>`, when given.
    pub revision: Option<String>,
    /// Every `<data>` entry, in file order.
    pub data: Vec<RepoMdData>,
}

/// One `<data type=…>` entry: a metadata file and how to check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoMdData {
    /// The `type` attribute (`primary`, `primary_db`, `updateinfo`, `modules`, …).
    pub kind: String,
    /// `<location href>`, relative to the repository root.
    pub href: String,
    /// `<timestamp>` (UNIX seconds), when given and numeric.
    pub timestamp: Option<i64>,
    /// `<checksum>` of the file as stored.
    pub checksum: Option<Checksum>,
    /// `<open-checksum>` of the decompressed content.
    pub open_checksum: Option<Checksum>,
}

/// A checksum as repomd writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// The `type` attribute (`sha256`, `sha`, …).
    pub algorithm: String,
    /// Hex digest.
    pub value: String,
}

impl RepoMd {
    /// Reads and parses a repomd.xml file (compressed or not).
    pub fn read(path: &Path) -> Result<RepoMd, RpmMdError> {
        let bytes = super::read_whole(path)?;
        let text = std::str::from_utf8(&bytes).map_err(|e| RpmMdError::Malformed {
            path: path.to_path_buf(),
            offset: e.valid_up_to() as u64,
            line: 0,
            column: 0,
            reason: "not UTF-8".into(),
        })?;
        RepoMd::parse(text).map_err(|(offset, reason)| {
            let before = &text[..offset.min(text.len())];
            let line = before.matches('\n').count() as u64 + 1;
            let column = (before.len() - before.rfind('\n').map_or(0, |i| i + 1)) as u64 + 1;
            RpmMdError::Malformed {
                path: path.to_path_buf(),
                offset: offset as u64,
                line,
                column,
                reason,
            }
        })
    }

    /// Parses repomd.xml text; an error is a byte offset and a reason.
    pub fn parse(text: &str) -> Result<RepoMd, (usize, String)> {
        let doc = roxmltree::Document::parse(text).map_err(|e| {
            let pos = e.pos();
            (offset_of(text, pos.row, pos.col), e.to_string())
        })?;
        let root = doc.root_element();
        if root.tag_name().name() != "repomd" {
            return Err((
                root.range().start,
                format!(
                    "the root element is <{}>, expected <repomd>",
                    root.tag_name().name()
                ),
            ));
        }
        let child_text = |node: roxmltree::Node<'_, '_>, name: &str| {
            node.children()
                .find(|c| c.has_tag_name(name))
                .and_then(|c| c.text())
                .map(|t| t.trim().to_string())
        };
        let checksum = |node: roxmltree::Node<'_, '_>, name: &str| {
            node.children()
                .find(|c| c.has_tag_name(name))
                .map(|c| Checksum {
                    algorithm: c.attribute("type").unwrap_or_default().to_string(),
                    value: c.text().unwrap_or_default().trim().to_string(),
                })
        };
        let mut data = Vec::new();
        for node in root.children().filter(|c| c.has_tag_name("data")) {
            let kind = node
                .attribute("type")
                .ok_or((node.range().start, "<data> without a type".to_string()))?;
            let href = node
                .children()
                .find(|c| c.has_tag_name("location"))
                .and_then(|c| c.attribute("href"))
                .ok_or((
                    node.range().start,
                    format!("<data type=\"{kind}\"> without <location href>"),
                ))?;
            data.push(RepoMdData {
                kind: kind.to_string(),
                href: href.to_string(),
                timestamp: child_text(node, "timestamp").and_then(|t| parse_timestamp(&t)),
                checksum: checksum(node, "checksum"),
                open_checksum: checksum(node, "open-checksum"),
            });
        }
        Ok(RepoMd {
            revision: child_text(root, "revision").filter(|r| !r.is_empty()),
            data,
        })
    }

    /// The first entry of a data type.
    pub fn find(&self, kind: &str) -> Option<&RepoMdData> {
        self.data.iter().find(|d| d.kind == kind)
    }

    /// `primary`: primary.xml.
    pub fn primary(&self) -> Option<&RepoMdData> {
        self.find("primary")
    }

    /// `primary_db`: the same content as an SQLite database (all Amazon Linux 2 lists).
    pub fn primary_db(&self) -> Option<&RepoMdData> {
        self.find("primary_db")
    }

    /// `updateinfo`: the advisories.
    pub fn updateinfo(&self) -> Option<&RepoMdData> {
        self.find("updateinfo")
    }

    /// `modules`: modules.yaml.
    pub fn modules(&self) -> Option<&RepoMdData> {
        self.find("modules")
    }
}

impl RepoMdData {
    /// The file this entry names under the repository root `dir`; an error when it is
    /// missing or its location leaves the repository (`..`, absolute paths).
    pub fn local_path(
        &self,
        dir: &Path,
        repomd: &Path,
        place: Place<'_>,
    ) -> Result<PathBuf, RpmMdError> {
        let relative = Path::new(self.href.trim_start_matches('/'));
        let inside = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        let found = inside
            .then(|| {
                place.file(&dir.join(relative)).or_else(|| {
                    // yum's cache keeps the data files flat, next to repomd.xml.
                    let (parent, name) = (repomd.parent()?, relative.file_name()?);
                    place.file(&parent.join(name))
                })
            })
            .flatten();
        found.ok_or_else(|| RpmMdError::MissingLocation {
            repomd: repomd.to_path_buf(),
            data_type: self.kind.clone(),
            href: self.href.clone(),
            path: dir.join(relative),
        })
    }
}

/// The digest algorithms repomd files name (librepo's set; the `type` attribute is compared
/// without regard to case, as librepo does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    fn named(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "md5" => Self::Md5,
            "sha" | "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    /// The file's digest, as lowercase hex (read as a stream within `limit` bytes).
    fn digest_file(self, path: &Path, limit: u64) -> Result<String, RootFsError> {
        use crate::files::digest::of_file;
        let (_, digest) = match self {
            Self::Md5 => of_file::<md5::Md5>(path, limit),
            Self::Sha1 => of_file::<sha1::Sha1>(path, limit),
            Self::Sha224 => of_file::<sha2::Sha224>(path, limit),
            Self::Sha256 => of_file::<sha2::Sha256>(path, limit),
            Self::Sha384 => of_file::<sha2::Sha384>(path, limit),
            Self::Sha512 => of_file::<sha2::Sha512>(path, limit),
        }?;
        Ok(crate::files::digest::hex(&digest))
    }
}

impl RepoMdData {
    /// Holds the file at `path` (this entry's, as [`RepoMdData::local_path`] found it) against
    /// the `<checksum>` repomd.xml gives for it, as dnf does before it reads a repository:
    /// a file that differs is an error naming both digests, and so is a checksum type no
    /// tool knows. An entry without `<checksum>` is not checked (dnf accepts it);
    /// `<open-checksum>` is not checked either (dnf does not check it). The digest's hex is
    /// compared without regard to case or surrounding space, where dnf compares the text
    /// (see docs/decisions.md).
    pub fn verify(&self, path: &Path, repomd: &Path) -> Result<(), RpmMdError> {
        let Some(expected) = &self.checksum else {
            return Ok(());
        };
        let Some(algorithm) = Algorithm::named(&expected.algorithm) else {
            return Err(RpmMdError::UnknownChecksum {
                repomd: repomd.to_path_buf(),
                data_type: self.kind.clone(),
                algorithm: expected.algorithm.clone(),
            });
        };
        let found = algorithm
            .digest_file(path, crate::files::compress::metadata_limit())
            .map_err(crate::files::compress::CompressError::from)?;
        if found.eq_ignore_ascii_case(expected.value.trim()) {
            return Ok(());
        }
        Err(RpmMdError::NotAsListed(Box::new(NotAsListed {
            path: path.to_path_buf(),
            repomd: repomd.to_path_buf(),
            data_type: self.kind.clone(),
            algorithm: expected.algorithm.clone(),
            listed: expected.value.clone(),
            found,
        })))
    }
}

/// A metadata file that is not the one repomd.xml names.
#[derive(Debug, thiserror::Error)]
#[error("{}: not the `{data_type}` file {} names: its {algorithm} is {found}, repomd.xml lists {listed:?} (truncated, damaged, or from another update than repomd.xml; dnf refuses such a repository)", .path.display(), .repomd.display())]
pub struct NotAsListed {
    /// The metadata file.
    pub path: PathBuf,
    /// The repomd.xml naming it.
    pub repomd: PathBuf,
    /// Its data type (`primary`, `updateinfo`, …).
    pub data_type: String,
    /// The checksum type as written.
    pub algorithm: String,
    /// The digest repomd.xml lists.
    pub listed: String,
    /// The file's digest.
    pub found: String,
}

/// A repomd timestamp: integer seconds, sometimes written with a fraction.
fn parse_timestamp(text: &str) -> Option<i64> {
    let whole = text.split_once('.').map_or(text, |(w, _)| w);
    whole.parse().ok()
}

/// The byte offset of a 1-based row and column (in characters) of `text`.
fn offset_of(text: &str, row: u32, col: u32) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(row.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let column: usize = text[line_start..]
        .chars()
        .take(col.saturating_sub(1) as usize)
        .map(char::len_utf8)
        .sum();
    line_start + column
}
