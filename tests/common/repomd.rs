//! rpm-md repositories edited as createrepo_c would have written them: a metadata file replaced
//! with its repomd.xml entry (checksums, sizes) brought up to date.

use std::io::{Read, Write};
use std::path::Path;

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The `<data type="KIND">` entry of `repo`'s repomd.xml: the file it names and that file's
/// decompressed content.
pub fn metadata_file(repo: &Path, kind: &str) -> (std::path::PathBuf, Vec<u8>) {
    let repomd = std::fs::read_to_string(repo.join("repodata/repomd.xml")).unwrap();
    let entry = repomd
        .split("<data type=")
        .find(|e| e.starts_with(&format!("\"{kind}\"")))
        .unwrap_or_else(|| panic!("{kind} in {}", repo.display()));
    let href = entry
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let path = repo.join(href);
    let mut open = Vec::new();
    patchscan::files::compress::open(&path)
        .unwrap()
        .read_to_end(&mut open)
        .unwrap();
    (path, open)
}

/// Stores `stored` (whose content is `open`) as `repo`'s KIND file, under its old name, and
/// describes it in repomd.xml as createrepo_c would (checksums and sizes), so that a reader
/// that checks them, as dnf does, sees only the changed content.
pub fn replace_metadata(repo: &Path, kind: &str, stored: &[u8], open: &[u8]) {
    let (path, _) = metadata_file(repo, kind);
    std::fs::write(&path, stored).unwrap();
    let repomd_path = repo.join("repodata/repomd.xml");
    let repomd = std::fs::read_to_string(&repomd_path).unwrap();
    let mut out = String::new();
    let mut inside = false;
    for line in repomd.lines() {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        if t.starts_with("<data ") {
            inside = t.starts_with(&format!("<data type=\"{kind}\""));
        }
        let new = match t {
            _ if !inside => line.to_string(),
            _ if t.starts_with("<checksum ") => {
                format!(
                    "{indent}<checksum type=\"sha256\">{}</checksum>",
                    sha256_hex(stored)
                )
            }
            _ if t.starts_with("<open-checksum ") => format!(
                "{indent}<open-checksum type=\"sha256\">{}</open-checksum>",
                sha256_hex(open)
            ),
            _ if t.starts_with("<size>") => format!("{indent}<size>{}</size>", stored.len()),
            _ if t.starts_with("<open-size>") => {
                format!("{indent}<open-size>{}</open-size>", open.len())
            }
            _ => line.to_string(),
        };
        out.push_str(&new);
        out.push('\n');
    }
    std::fs::write(&repomd_path, out).unwrap();
}
