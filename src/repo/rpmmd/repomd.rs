//! `repomd.xml`: which data files a repository has, with their locations and timestamps.

use std::path::Path;

use super::RpmMdError;

/// One `<data type="…">` entry.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub kind: String,
    pub href: String,
    pub timestamp: Option<i64>,
}

/// A parsed repomd.xml.
#[derive(Debug, Clone)]
pub struct RepoMd {
    pub revision: Option<String>,
    pub data: Vec<DataFile>,
}

impl RepoMd {
    /// Reads and parses a repomd.xml (small: a DOM parser is fine).
    pub fn read(path: &Path) -> Result<Self, RpmMdError> {
        let text = std::fs::read_to_string(path).map_err(|source| RpmMdError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let doc = roxmltree::Document::parse(&text).map_err(|e| RpmMdError::Xml {
            path: path.to_path_buf(),
            position: e.pos().row.into(),
            message: format!("{e} (row {}, column {})", e.pos().row, e.pos().col),
        })?;
        let root = doc.root_element();
        if root.tag_name().name() != "repomd" {
            return Err(RpmMdError::Invalid {
                path: path.to_path_buf(),
                message: format!("root element is <{}>, not <repomd>", root.tag_name().name()),
            });
        }
        let child_text = |node: roxmltree::Node<'_, '_>, name: &str| {
            node.children()
                .find(|c| c.tag_name().name() == name)
                .and_then(|c| c.text())
                .map(|t| t.trim().to_string())
        };
        let mut data = Vec::new();
        for d in root.children().filter(|c| c.tag_name().name() == "data") {
            let kind = d.attribute("type").unwrap_or_default().to_string();
            let href = d
                .children()
                .find(|c| c.tag_name().name() == "location")
                .and_then(|l| l.attribute("href"))
                .ok_or_else(|| RpmMdError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("<data type=\"{kind}\"> has no <location href>"),
                })?
                .to_string();
            let timestamp =
                child_text(d, "timestamp").and_then(|t| t.parse::<f64>().ok().map(|f| f as i64));
            data.push(DataFile {
                kind,
                href,
                timestamp,
            });
        }
        Ok(RepoMd {
            revision: child_text(root, "revision"),
            data,
        })
    }

    /// The data file of a type, if listed.
    pub fn data(&self, kind: &str) -> Option<&DataFile> {
        self.data.iter().find(|d| d.kind == kind)
    }

    /// The newest data timestamp: when the metadata was generated.
    pub fn newest_timestamp(&self) -> Option<i64> {
        self.data.iter().filter_map(|d| d.timestamp).max()
    }
}
