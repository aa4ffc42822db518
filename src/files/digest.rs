//! Digests of files and streams, for holding metadata against the index that names it
//! (repomd.xml's `<checksum>`, a Release's `SHA256`): read as a stream, never whole.

use std::io::{self, Read};
use std::path::Path;

use super::rootfs::{self, RootFsError};

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The byte count and `D` digest of everything `reader` yields.
pub fn of_reader<D: sha2::Digest>(reader: &mut dyn Read) -> io::Result<(u64, Vec<u8>)> {
    let mut hasher = D::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 << 10];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((size, hasher.finalize().to_vec()))
}

/// The size and `D` digest of the regular file at `path`, which may hold at most `limit`
/// bytes (also when it grows while read).
pub fn of_file<D: sha2::Digest>(path: &Path, limit: u64) -> Result<(u64, Vec<u8>), RootFsError> {
    let (mut file, _) = rootfs::open_regular(path, limit)?;
    let (size, digest) =
        of_reader::<D>(&mut (&mut file).take(limit.saturating_add(1))).map_err(|source| {
            RootFsError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
    if size > limit {
        return Err(RootFsError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        });
    }
    Ok((size, digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_s_digest_is_its_bytes_digest_and_the_limit_holds() {
        use sha2::Digest;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        let (size, d) = of_file::<sha2::Sha256>(&path, 3).unwrap();
        assert_eq!(size, 3);
        assert_eq!(d, sha2::Sha256::digest(b"abc").to_vec());
        assert_eq!(
            hex(&d),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(matches!(
            of_file::<sha2::Sha256>(&path, 2),
            Err(RootFsError::TooLarge { .. })
        ));
    }
}
