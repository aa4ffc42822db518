//! apt repository metadata: `Release`/`InRelease` ([`release`]), `Packages` ([`packages`]) and
//! the sources configuration that decides which lists count ([`sources`]), read into one
//! [`AptIndex`].
//!
//! The index is built once per set of lists and shared read-only (it is `Send + Sync`); what
//! differs per host — which of those lists its sources configure, and whether they are
//! trusted — is an [`AptSelection`], a mask over the index's lists, so a fleet never re-parses
//! a `Packages` file per host.
//!
//! Lists come from a host root's `var/lib/apt/lists/` (apt's file names encode the URI, suite,
//! component and architecture), from a repository tree (`dists/<suite>/…`) or a directory of
//! lists given with `--repo`.

pub mod packages;
pub mod release;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::apt_sources as sources;
pub use crate::apt_sources::SourceEntry;
pub use packages::PackageStanza;
pub use release::Release;

use crate::files::compress::CompressError;
use crate::files::rootfs;
use crate::repo::Place;
use crate::version::DebVersion;

/// Why apt metadata could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AptError {
    #[error(transparent)]
    Open(#[from] CompressError),
    /// The host's apt sources could not be read.
    #[error(transparent)]
    Sources(#[from] crate::apt_sources::SourcesError),
    /// A Release file is not a regular file, is too large, or could not be read.
    #[error(transparent)]
    File(#[from] crate::files::rootfs::RootFsError),
    /// A file could not be read to its end (truncated or corrupt compressed data included).
    #[error("{}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file's content is not what apt would accept.
    #[error("{}: line {line}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// No `Packages` list at all.
    #[error("{}: no apt lists (no *_Packages files, no dists/<suite>/<component>/binary-<arch>/Packages): {hint}", .path.display())]
    NoLists { path: PathBuf, hint: String },
    /// A list differs from what its Release file says it holds.
    #[error("{0}")]
    NotAsReleased(Box<Mismatch>),
    /// A directory given as a repository could not be listed.
    #[error("{}: cannot list: {source}", .path.display())]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One `Packages` list: where it came from and the suite it belongs to.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AptList {
    /// The file read.
    pub path: PathBuf,
    /// apt's name for it without a compression suffix
    /// (`deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages`), or for a tree the
    /// same name built from the tree's path: [`SourceEntry::list_prefix`] matches it.
    pub key: String,
    /// The repository host (`deb.debian.org`; empty for local files): apt's `site`.
    pub site: String,
    /// The `dists/` directory name (`bookworm-security`); `./` for a flat repository.
    pub dist: String,
    pub component: String,
    pub arch: String,
    /// Index into [`AptIndex::releases`].
    pub release: Option<usize>,
}

/// One available version of a package, with every list that offers it.
#[derive(Debug, Clone)]
pub struct AvailableDeb {
    pub version: DebVersion,
    pub arch: Arc<str>,
    /// The `Priority` of a list offering it (the largest such list: equal versions carry the
    /// same fields in practice).
    pub priority: Option<Arc<str>>,
    pub section: Option<Arc<str>>,
    /// Indexes into [`AptIndex::lists`] (most versions are in one or two lists).
    pub lists: smallvec::SmallVec<[u32; 2]>,
}

/// Every available version of a set of apt lists.
#[derive(Debug, Default)]
pub struct AptIndex {
    pub lists: Vec<AptList>,
    pub releases: Vec<Release>,
    /// By package name.
    pub packages: NameTable,
    /// Whether these are a host root's own lists (`var/lib/apt/lists`), of which the host's
    /// sources decide which count; otherwise (`--repo`) every list counts.
    pub host_lists: bool,
}

/// Available versions by package name: a dense vector of (name, versions) entries in the
/// order names were first seen, and a hash table of positions into it (a map of whole version
/// lists, spread over its buckets, touched three times the memory). The entries can be walked
/// in order and split between threads; foldhash because the index is built from files per run,
/// so hash flooding is not a concern, and SipHash was a tenth of the load time. Most names have
/// one version, kept inline.
#[derive(Debug, Default)]
pub struct NameTable {
    positions: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
    entries: Vec<NameEntry>,
}

/// One package name with every available version of it.
#[derive(Debug)]
pub struct NameEntry {
    pub name: Box<str>,
    pub versions: smallvec::SmallVec<[AvailableDeb; 1]>,
}

impl NameTable {
    fn with_capacity(n: usize) -> Self {
        let mut t = NameTable::default();
        t.positions.reserve(n, |_| 0);
        t.entries.reserve(n);
        t
    }

    fn hash(&self, name: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(name)
    }

    /// The position of `name` among [`NameTable::entries`].
    pub fn position(&self, name: &str) -> Option<usize> {
        let entries = &self.entries;
        self.positions
            .find(self.hash(name), |&i| &*entries[i as usize].name == name)
            .map(|&i| i as usize)
    }

    /// The versions of `name` (empty when no list has it).
    pub fn get(&self, name: &str) -> &[AvailableDeb] {
        match self.position(name) {
            Some(i) => &self.entries[i].versions,
            None => &[],
        }
    }

    /// Every name with its versions, in the order the names were first read.
    pub fn entries(&self) -> &[NameEntry] {
        &self.entries
    }

    /// Every name with its versions.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[AvailableDeb])> {
        self.entries.iter().map(|e| (&*e.name, &e.versions[..]))
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn slot(&mut self, name: Box<str>) -> &mut smallvec::SmallVec<[AvailableDeb; 1]> {
        let hash = self.hash(&name);
        let (entries, hasher) = (&mut self.entries, &self.hasher);
        let i = match self.positions.entry(
            hash,
            |&i| entries[i as usize].name == name,
            |&i| {
                use std::hash::BuildHasher;
                hasher.hash_one(&*entries[i as usize].name)
            },
        ) {
            hashbrown::hash_table::Entry::Occupied(o) => *o.get() as usize,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let i = entries.len();
                v.insert(i as u32);
                entries.push(NameEntry {
                    name,
                    versions: smallvec::SmallVec::new(),
                });
                i
            }
        };
        &mut entries[i].versions
    }
}

/// Which of an index's lists a host uses, and which of those it trusts.
#[derive(Debug, Clone)]
pub struct AptSelection {
    pub enabled: Vec<bool>,
    pub trusted: Vec<bool>,
    /// Enabled, trusted and a security pocket ([`AptIndex::is_security_list`]).
    pub security: Vec<bool>,
}

impl AptSelection {
    /// Every list enabled and trusted (lists given with `--repo`).
    pub fn all(index: &AptIndex) -> Self {
        Self::new(
            index,
            vec![true; index.lists.len()],
            vec![true; index.lists.len()],
        )
    }

    fn new(index: &AptIndex, enabled: Vec<bool>, trusted: Vec<bool>) -> Self {
        let security = (0..index.lists.len())
            .map(|i| enabled[i] && trusted[i] && index.is_security_list(i))
            .collect();
        AptSelection {
            enabled,
            trusted,
            security,
        }
    }

    /// The lists a host's sources configure (matched by apt's list-file names), trusted unless
    /// every entry configuring one says `trusted=no`.
    pub fn from_sources(index: &AptIndex, sources: &[SourceEntry]) -> Self {
        let mut enabled = vec![false; index.lists.len()];
        let mut trusted = vec![false; index.lists.len()];
        for s in sources {
            let prefix = s.list_prefix();
            for (i, l) in index.lists.iter().enumerate() {
                let Some(rest) = l.key.strip_prefix(&prefix) else {
                    continue;
                };
                let matches = if s.suite.ends_with('/') {
                    rest == "Packages"
                } else {
                    s.components.iter().any(|c| {
                        rest.strip_prefix(sources::quote_path(c).as_str())
                            .and_then(|r| r.strip_prefix("_binary-"))
                            .and_then(|r| r.strip_suffix("_Packages"))
                            .is_some_and(|arch| {
                                s.archs.as_ref().is_none_or(|a| a.iter().any(|x| x == arch))
                            })
                    })
                };
                if matches {
                    enabled[i] = true;
                    trusted[i] |= s.trusted;
                }
            }
        }
        Self::new(index, enabled, trusted)
    }

    /// Whether no list is enabled.
    pub fn is_empty(&self) -> bool {
        !self.enabled.iter().any(|e| *e)
    }
}

impl AptIndex {
    /// Whether a list publishes security updates (spec §3.3): its Release `Suite` (apt's
    /// archive) contains `security` (any case), or its site contains `security.debian.org`.
    /// Trust is the host's, see [`AptSelection`].
    pub fn is_security_list(&self, list: usize) -> bool {
        let l = &self.lists[list];
        let archive = l
            .release
            .map(|r| self.releases[r].suite.as_str())
            .filter(|s| !s.is_empty())
            // Without a Release file apt knows no archive; the dists/ name is the best guess.
            .unwrap_or(l.dist.as_str());
        archive.to_ascii_lowercase().contains("security") || l.site.contains("security.debian.org")
    }

    /// Number of available versions.
    pub fn package_count(&self) -> usize {
        self.packages.entries.iter().map(|e| e.versions.len()).sum()
    }
}

/// Adds one stanza of list `idx` to a map (an equal version from another list gains the list).
fn insert(map: &mut NameTable, p: PackageStanza, idx: u32) {
    let versions = map.slot(p.name);
    match versions
        .iter_mut()
        .find(|v| v.arch == p.arch && v.version == p.version)
    {
        Some(v) => {
            if !v.lists.contains(&idx) {
                v.lists.push(idx);
            }
        }
        None => versions.push(AvailableDeb {
            version: p.version,
            arch: p.arch,
            priority: p.priority,
            section: p.section,
            lists: smallvec::smallvec![idx],
        }),
    }
}

/// Merges one list's map into another's.
fn merge(into: &mut NameTable, from: NameTable) {
    for NameEntry { name, versions } in from.entries {
        let target = into.slot(name);
        for v in versions {
            match target
                .iter_mut()
                .find(|t| t.arch == v.arch && t.version == v.version)
            {
                Some(t) => {
                    for l in v.lists {
                        if !t.lists.contains(&l) {
                            t.lists.push(l);
                        }
                    }
                }
                None => target.push(v),
            }
        }
    }
}

/// A `Packages` file found on disk, not yet read.
#[derive(Debug, Clone)]
struct FoundList {
    list: AptList,
    release_path: Option<PathBuf>,
    /// How its Release names it, without a compression suffix (`main/binary-amd64/Packages`,
    /// `Packages` in a flat repository), and the suffix of the file read (`.lz4`, or empty).
    listed_as: (String, &'static str),
}

const COMPRESSED: [&str; 7] = ["", ".lz4", ".zst", ".gz", ".xz", ".bz2", ".lzma"];

/// The `Packages` stem of a list-file name (the compression suffix removed).
fn packages_stem(name: &str) -> Option<&str> {
    COMPRESSED
        .iter()
        .filter(|ext| !ext.is_empty())
        .find_map(|ext| name.strip_suffix(ext))
        .or(Some(name))
        .filter(|s| s.ends_with("_Packages") || *s == "Packages")
}

/// Decodes apt's list-file names in a directory (`var/lib/apt/lists` or a copy of it).
fn lists_in_dir(dir: &Path, place: Place<'_>) -> Result<Vec<FoundList>, AptError> {
    let (dir, names) = place.names(dir).map_err(|source| AptError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let dir = dir.as_path();
    let names: Vec<String> = names
        .into_iter()
        .filter_map(|n| n.into_string().ok())
        .collect();
    let mut out: Vec<FoundList> = Vec::new();
    for name in &names {
        let Some(stem) = packages_stem(name) else {
            continue;
        };
        let suffix = compression_suffix(&name[stem.len()..]);
        let path = match place.entry(&dir.join(name)) {
            Ok(Some(path)) => path,
            Ok(None) => continue,
            Err(source) => {
                return Err(AptError::Read {
                    path: dir.join(name),
                    source,
                })
            }
        };
        // Several compressions of one list: the first by name (plain before any suffix) wins.
        if out.iter().any(|f| f.list.key == stem) {
            continue;
        }
        let base = &stem[..stem.len() - "Packages".len()];
        let (site, dist, component, arch, release_prefix, listed_as) = match base.rfind("_dists_") {
            Some(d) => {
                let prefix = &base[..d];
                let after = &base[d + "_dists_".len()..];
                let Some(bin) = after.rfind("_binary-") else {
                    continue;
                };
                let arch = after[bin + "_binary-".len()..].trim_end_matches('_');
                let dist_comp = &after[..bin];
                // The suite may hold `/` (`buster/updates`): take the longest prefix that
                // has a Release file, else the first segment.
                let parts: Vec<&str> = dist_comp.split('_').collect();
                let mut split = 1.min(parts.len());
                for k in (1..parts.len()).rev() {
                    let d = parts[..k].join("_");
                    let rel = format!("{prefix}_dists_{d}_");
                    if names
                        .iter()
                        .any(|n| n == &format!("{rel}InRelease") || n == &format!("{rel}Release"))
                    {
                        split = k;
                        break;
                    }
                }
                let dist = parts[..split].join("/");
                let component = parts[split..].join("/");
                let site = if prefix.starts_with('_') {
                    String::new()
                } else {
                    sources::unquote(prefix.split('_').next().unwrap_or(""))
                };
                let component = sources::unquote(&component);
                let listed_as = format!("{component}/binary-{arch}/Packages");
                (
                    site,
                    sources::unquote(&dist),
                    component,
                    arch.to_string(),
                    format!("{prefix}_dists_{}_", parts[..split].join("_")),
                    listed_as,
                )
            }
            None => {
                let site = if base.starts_with('_') {
                    String::new()
                } else {
                    sources::unquote(base.split('_').next().unwrap_or(""))
                };
                (
                    site,
                    "./".into(),
                    String::new(),
                    String::new(),
                    base.to_string(),
                    "Packages".to_string(),
                )
            }
        };
        let release_path = ["InRelease", "Release"]
            .iter()
            .find_map(|r| place.file(&dir.join(format!("{release_prefix}{r}"))));
        out.push(FoundList {
            list: AptList {
                path,
                key: stem.to_string(),
                site,
                dist,
                component,
                arch,
                release: None,
            },
            release_path,
            listed_as: (listed_as, suffix),
        });
    }
    Ok(out)
}

/// `suffix` as one of [`COMPRESSED`] (a static string), or empty.
fn compression_suffix(suffix: &str) -> &'static str {
    COMPRESSED
        .iter()
        .find(|c| **c == suffix)
        .copied()
        .unwrap_or("")
}

/// The preferred `Packages` file of a `binary-<arch>` directory, with its suffix.
fn packages_file(dir: &Path) -> Option<(PathBuf, &'static str)> {
    COMPRESSED
        .iter()
        .map(|ext| (dir.join(format!("Packages{ext}")), *ext))
        .find(|(p, _)| p.is_file())
}

/// The lists of one `dists/<suite>/` directory.
fn lists_in_suite(suite_dir: &Path, repo_root: &Path, dist: &str) -> Vec<FoundList> {
    let release_path = ["InRelease", "Release"]
        .iter()
        .map(|r| suite_dir.join(r))
        .find(|p| p.is_file());
    let uri = format!("file:{}", repo_root.display());
    let prefix = sources::uri_to_file_name(&format!("{uri}/dists/{dist}/"));
    let mut out = Vec::new();
    // Components may be nested (`updates/main`): look two levels down for binary-* dirs.
    let mut stack = vec![(suite_dir.to_path_buf(), String::new(), 0)];
    while let Some((d, comp, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut subdirs: Vec<(PathBuf, String)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| Some((e.path(), e.file_name().into_string().ok()?)))
            .collect();
        subdirs.sort();
        for (p, name) in subdirs.into_iter().rev() {
            if let Some(arch) = name.strip_prefix("binary-") {
                if comp.is_empty() {
                    continue;
                }
                if let Some((file, ext)) = packages_file(&p) {
                    let comp_enc = sources::quote_path(&comp);
                    out.push(FoundList {
                        list: AptList {
                            path: file,
                            key: format!("{prefix}{comp_enc}_binary-{arch}_Packages"),
                            site: String::new(),
                            dist: dist.to_string(),
                            component: comp.clone(),
                            arch: arch.to_string(),
                            release: None,
                        },
                        release_path: release_path.clone(),
                        listed_as: (format!("{comp}/binary-{arch}/Packages"), ext),
                    });
                }
            } else if depth < 2 && !matches!(name.as_str(), "i18n" | "source" | "by-hash") {
                let c = if comp.is_empty() {
                    name
                } else {
                    format!("{comp}/{name}")
                };
                stack.push((p, c, depth + 1));
            }
        }
    }
    out.sort_by(|a, b| a.list.key.cmp(&b.list.key));
    out
}

/// The lists of a directory given with `--repo`: a repository tree (`DIR/dists/<suite>/`),
/// one suite of it (`DIR/dists/<suite>`), a flat repository (`DIR/Packages*`) or a
/// directory of apt list files.
fn lists_in_repo(dir: &Path) -> Result<Vec<FoundList>, AptError> {
    let dists = dir.join("dists");
    if dists.is_dir() {
        let entries = std::fs::read_dir(&dists).map_err(|source| AptError::Dir {
            path: dists.clone(),
            source,
        })?;
        let mut suites: Vec<(PathBuf, String)> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| Some((e.path(), e.file_name().into_string().ok()?)))
            .collect();
        suites.sort();
        return Ok(suites
            .iter()
            .flat_map(|(p, name)| lists_in_suite(p, dir, name))
            .collect());
    }
    let is_suite = ["InRelease", "Release"]
        .iter()
        .any(|r| dir.join(r).is_file());
    if is_suite {
        let parent = dir
            .parent()
            .filter(|p| p.file_name().is_some_and(|n| n == "dists"));
        if let (Some(dists), Some(name)) = (parent, dir.file_name().and_then(|n| n.to_str())) {
            if let Some(root) = dists.parent() {
                return Ok(lists_in_suite(dir, root, name));
            }
        }
    }
    if let Some((file, ext)) = packages_file(dir) {
        let release_path = ["InRelease", "Release"]
            .iter()
            .map(|r| dir.join(r))
            .find(|p| p.is_file());
        return Ok(vec![FoundList {
            list: AptList {
                path: file,
                key: format!(
                    "{}Packages",
                    sources::uri_to_file_name(&format!("file:{}/", dir.display()))
                ),
                site: String::new(),
                dist: "./".into(),
                component: String::new(),
                arch: String::new(),
                release: None,
            },
            release_path,
            listed_as: ("Packages".into(), ext),
        }]);
    }
    lists_in_dir(dir, Place::Scanner)
}

/// Finds the lists of a host root (`var/lib/apt/lists`).
pub fn root_lists_dir(root: &crate::files::rootfs::RootFs) -> Option<PathBuf> {
    root.resolve("var/lib/apt/lists")
        .ok()
        .filter(|p| p.is_dir())
}

/// Reads the lists of `--repo` directories into one index.
pub fn load_repos(dirs: &[PathBuf]) -> Result<AptIndex, AptError> {
    let mut found = Vec::new();
    for d in dirs {
        let lists = lists_in_repo(d)?;
        if lists.is_empty() {
            return Err(AptError::NoLists {
                path: d.clone(),
                hint: "expected a repository tree (dists/<suite>/), a suite directory, a flat repository or a directory of apt lists".into(),
            });
        }
        found.extend(lists);
    }
    load(found)
}

/// Reads every list of an apt lists directory into one index.
pub fn load_lists_dir(dir: &Path) -> Result<AptIndex, AptError> {
    load_lists_dir_in(dir, Place::Scanner)
}

/// [`load_lists_dir`] for a directory in `place` (a host root's `var/lib/apt/lists`, read
/// through the root).
pub fn load_lists_dir_in(dir: &Path, place: Place<'_>) -> Result<AptIndex, AptError> {
    let found = lists_in_dir(dir, place)?;
    if found.is_empty() {
        return Err(AptError::NoLists {
            path: dir.to_path_buf(),
            hint: "run `apt-get update` on the host, or pass --repo".into(),
        });
    }
    load(found)
}

/// Holds a list against its Release's `SHA256` entry, when the Release lists it: the entry
/// of the decompressed list (`main/binary-amd64/Packages`, which Debian's and Ubuntu's
/// Releases carry for every list), else the entry of the file as stored (`Packages.xz`).
/// A list that differs is truncated, damaged or from another update than its Release, and
/// is an error, never read as a smaller suite. (apt itself checks only when it downloads.)
fn check_against_release(
    f: &FoundList,
    content: &packages::ListContent,
    release: &Release,
) -> Result<(), AptError> {
    let (name, suffix) = &f.listed_as;
    let (listed, found, what) = match release.sha256.get(name.as_str()) {
        Some(listed) => (listed, *content, name.clone()),
        None => {
            let stored = format!("{name}{suffix}");
            let Some(listed) = release
                .sha256
                .get(stored.as_str())
                .filter(|_| !suffix.is_empty())
            else {
                return Ok(());
            };
            (listed, stored_content(&f.list.path)?, stored)
        }
    };
    if listed.size == found.size && listed.sha256 == found.sha256 {
        return Ok(());
    }
    Err(AptError::NotAsReleased(Box::new(Mismatch {
        path: f.list.path.clone(),
        release: release.path.clone(),
        listed_as: what,
        listed: *listed,
        found,
    })))
}

/// A list that is not what its Release file says it holds.
#[derive(Debug, thiserror::Error)]
#[error("{}: not the list its Release {} names: {listed_as} is listed as {} bytes with SHA-256 {}, the list holds {} bytes with SHA-256 {} (truncated, damaged, or from another update than the Release; `apt-get update` on the host fetches both again)", .path.display(), .release.display(), .listed.size, crate::files::digest::hex(&.listed.sha256), .found.size, crate::files::digest::hex(&.found.sha256))]
pub struct Mismatch {
    pub path: PathBuf,
    pub release: PathBuf,
    /// The name the Release lists it under.
    pub listed_as: String,
    pub listed: release::ListedFile,
    pub found: packages::ListContent,
}

/// The size and SHA-256 of a file's bytes as stored (not decompressed), read as a stream.
fn stored_content(path: &Path) -> Result<packages::ListContent, AptError> {
    let limit = crate::files::compress::metadata_limit();
    let (size, digest) = crate::files::digest::of_file::<sha2::Sha256>(path, limit)?;
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(&digest);
    Ok(packages::ListContent { size, sha256 })
}

fn load(found: Vec<FoundList>) -> Result<AptIndex, AptError> {
    use rayon::prelude::*;
    // Release files, each read once.
    let mut release_paths: Vec<PathBuf> = found
        .iter()
        .filter_map(|f| f.release_path.clone())
        .collect();
    release_paths.sort();
    release_paths.dedup();
    let (releases, maps) = rayon::join(
        || {
            release_paths
                .par_iter()
                .map(|p| {
                    let bytes = rootfs::open_regular(p, rootfs::MAX_TEXT_BYTES)
                        .and_then(|(file, _)| rootfs::read_all(file, p, rootfs::MAX_TEXT_BYTES))?;
                    release::parse_release(&bytes, p)
                })
                .collect::<Result<Vec<_>, _>>()
        },
        || {
            // Each list straight into a map of its own (the big one is built while it is
            // still being decompressed), then the smaller maps merged into the largest. The
            // largest list's map has room for every list's names from the start: growing its
            // vector of 60,000 entries while merging copied it and faulted in fresh pages on
            // one thread while the other had nothing to do.
            let estimates: Vec<usize> = found
                .iter()
                .map(|f| packages::estimated_stanzas(&f.list.path))
                .collect();
            let largest =
                (0..estimates.len()).max_by_key(|&i| (estimates[i], std::cmp::Reverse(i)));
            let total: usize = estimates.iter().sum();
            found
                .par_iter()
                .enumerate()
                .map(|(i, f)| {
                    let room = if Some(i) == largest {
                        total + total / 8
                    } else {
                        estimates[i]
                    };
                    let mut map = NameTable::with_capacity(room);
                    let idx = i as u32;
                    let content = packages::read_packages_with(&f.list.path, &mut |s| {
                        insert(&mut map, s, idx)
                    })?;
                    Ok((map, content))
                })
                .collect::<Result<Vec<_>, AptError>>()
        },
    );
    let (releases, read) = (releases?, maps?);
    let (mut maps, contents): (Vec<NameTable>, Vec<packages::ListContent>) =
        read.into_iter().unzip();
    for (f, content) in found.iter().zip(&contents) {
        let Some(r) = f.release_path.as_ref() else {
            continue;
        };
        let release = &releases[release_paths.iter().position(|q| q == r).unwrap_or(0)];
        check_against_release(f, content, release)?;
    }
    maps.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let mut maps = maps.into_iter();
    let mut packages = maps.next().unwrap_or_default();
    for m in maps {
        merge(&mut packages, m);
    }
    let lists = found
        .into_iter()
        .map(|mut f| {
            f.list.release = f
                .release_path
                .as_ref()
                .and_then(|p| release_paths.iter().position(|q| q == p));
            f.list
        })
        .collect();
    let index = AptIndex {
        lists,
        releases,
        packages,
        host_lists: false,
    };
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_can_be_shared_across_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<AptIndex>();
        shared::<AptSelection>();
        shared::<crate::repo::set::RepoIndex>();
    }

    #[test]
    fn list_names_decode() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "deb.debian.org_debian_dists_bookworm_InRelease",
            "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
            "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
            "deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en",
            "security.debian.org_dists_buster_updates_Release",
            "security.debian.org_dists_buster_updates_main_binary-i386_Packages.gz",
            "_srv_my%5frepo_dists_x_non-free_binary-all_Packages",
            "lock",
        ] {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        let found = lists_in_dir(dir.path(), Place::Scanner).unwrap();
        let got: Vec<(String, String, String, String, bool)> = found
            .iter()
            .map(|f| {
                (
                    f.list.site.clone(),
                    f.list.dist.clone(),
                    f.list.component.clone(),
                    f.list.arch.clone(),
                    f.release_path.is_some(),
                )
            })
            .collect();
        let want = [
            ("", "x", "non-free", "all", false),
            ("deb.debian.org", "bookworm", "main", "amd64", true),
            (
                "security.debian.org",
                "buster/updates",
                "main",
                "i386",
                true,
            ),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(a, b, c, d, e)| {
                (
                    a.to_string(),
                    b.to_string(),
                    c.to_string(),
                    d.to_string(),
                    *e,
                )
            })
            .collect();
        assert_eq!(got, want);
        assert!(
            found[1]
                .list
                .path
                .ends_with("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"),
            "plain preferred"
        );
    }
}
