//! A fleet run's output directory, all or nothing: the run writes into a fresh staging
//! directory beside `--out`, holds a lock on `--out` against a concurrent run, and at the end
//! swaps the finished directory into place (`renameat2(RENAME_EXCHANGE)`: readers see the old
//! run or the new one, never a mix). A killed run leaves only its staging directory, which the
//! next run clears; a previous run's partitions never survive into the next run's output.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::report::fleet::ReportError;

/// Written last into a finished output directory: what wrote it.
pub const MARKER: &str = ".patchscan-run";

/// An output directory being written.
pub struct OutputDir {
    dest: PathBuf,
    staging: PathBuf,
    /// Held (flock) for the run; released when the process ends, however it ends.
    _lock: File,
    done: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReportError + '_ {
    ReportError::io(path)
}

impl OutputDir {
    /// Locks `dest` against other runs, clears what killed runs left, checks that an existing
    /// `dest` is a patchscan output (it is replaced), and creates the staging directory.
    pub fn begin(dest: &Path) -> Result<Self, ReportError> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ReportError::Output {
                path: dest.to_path_buf(),
                message: "names no directory (use a path like patchscan-out)".into(),
            })?;
        let lock_path = parent.join(format!(".{name}.lock"));
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock_exclusive(&lock, &lock_path, dest)?;
        // Under the lock, nothing else writes here: what staging directories remain are a
        // killed run's.
        let prefix = format!(".{name}.staging-");
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        if dest.exists() {
            check_replaceable(dest)?;
        }
        let staging = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)
            .map_err(io(&parent))?
            .keep();
        Ok(OutputDir {
            dest: dest.to_path_buf(),
            staging,
            _lock: lock,
            done: false,
        })
    }

    /// Where the run writes.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Writes the marker and swaps the staging directory into place; a previous output is
    /// removed. Returns `paths` (under the staging directory) as they now are under `dest`.
    pub fn commit(mut self, paths: &[PathBuf], summary: &str) -> Result<Vec<PathBuf>, ReportError> {
        let marker = self.staging.join(MARKER);
        std::fs::write(&marker, summary).map_err(io(&marker))?;
        if let Ok(dir) = File::open(&self.staging) {
            let _ = dir.sync_all();
        }
        if self.dest.exists() {
            exchange(&self.staging, &self.dest)?;
            // The previous run now sits at the staging path.
            let _ = std::fs::remove_dir_all(&self.staging);
        } else {
            std::fs::rename(&self.staging, &self.dest).map_err(io(&self.dest))?;
        }
        self.done = true;
        Ok(paths
            .iter()
            .map(|p| match p.strip_prefix(&self.staging) {
                Ok(rel) => self.dest.join(rel),
                Err(_) => p.clone(),
            })
            .collect())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// An existing `--out` is replaced only when a patchscan run wrote it: it holds the marker,
/// or (outputs of versions before the marker) nothing but patchscan's own files.
fn check_replaceable(dest: &Path) -> Result<(), ReportError> {
    if !dest.is_dir() {
        return Err(ReportError::Output {
            path: dest.to_path_buf(),
            message: "exists and is not a directory".into(),
        });
    }
    if dest.join(MARKER).is_file() {
        return Ok(());
    }
    let ours = |name: &str| {
        [
            "summaries",
            "patches",
            "aws-inventory",
            "ScanDate=",
            "PatchGroup=",
            ".",
        ]
        .iter()
        .any(|p| name.starts_with(p))
    };
    let entries = std::fs::read_dir(dest).map_err(io(dest))?;
    for e in entries {
        let e = e.map_err(io(dest))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !ours(&name) {
            return Err(ReportError::Output {
                path: dest.to_path_buf(),
                message: format!(
                    "exists and holds {name:?}, which no patchscan run wrote: a run replaces its whole --out directory, so choose an empty or new one"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(unix)]
fn lock_exclusive(lock: &File, lock_path: &Path, dest: &Path) -> Result<(), ReportError> {
    match rustix::fs::flock(lock, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(()),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(ReportError::Output {
            path: dest.to_path_buf(),
            message: format!(
                "another patchscan run is writing it (it holds {}); wait for it or choose another --out",
                lock_path.display()
            ),
        }),
        Err(e) => Err(ReportError::io(lock_path)(e.into())),
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_: &File, _: &Path, _: &Path) -> Result<(), ReportError> {
    Ok(())
}

/// Swaps two directories atomically where the kernel and file system can; else in two renames
/// (a reader may then find `dest` missing for a moment, never half written).
fn exchange(staging: &Path, dest: &Path) -> Result<(), ReportError> {
    #[cfg(target_os = "linux")]
    if rustix::fs::renameat_with(
        rustix::fs::CWD,
        staging,
        rustix::fs::CWD,
        dest,
        rustix::fs::RenameFlags::EXCHANGE,
    )
    .is_ok()
    {
        return Ok(());
    }
    let old = staging.with_extension("old");
    std::fs::rename(dest, &old).map_err(io(dest))?;
    std::fs::rename(staging, dest).map_err(io(dest))?;
    std::fs::rename(&old, staging).map_err(io(staging))?;
    Ok(())
}
