//! The fleet manifest (TOML): repository sets, baselines with their patch-group and default
//! registrations, and the hosts (listed, from a CSV file, or from a glob of sources).
//!
//! Relative paths are relative to the file that names them. docs/fleets.md ("Fleet manifest") has a
//! full example; every error names the manifest and the entry that is wrong.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::baseline::{self, LoadedBaseline, OperatingSystem, OsFamily};
use crate::host::source::Overrides;
use crate::vocab::time::parse_time;

/// Why a manifest could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", .path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("{}: {entry}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        entry: String,
        message: String,
    },
    #[error("{}: {entry}: {source}", .path.display())]
    Baseline {
        path: PathBuf,
        entry: String,
        #[source]
        source: Box<baseline::BaselineError>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestDoc {
    now: Option<String>,
    #[serde(default)]
    repo_sets: Vec<RepoSetDoc>,
    #[serde(default)]
    baselines: Vec<BaselineDoc>,
    #[serde(default)]
    hosts: Vec<HostDoc>,
    #[serde(default)]
    host_lists: Vec<HostListDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RepoSetDoc {
    id: String,
    repos: Vec<PathBuf>,
    #[serde(default)]
    operating_systems: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineDoc {
    id: String,
    source: String,
    #[serde(default)]
    patch_groups: Vec<String>,
    #[serde(default)]
    default: bool,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostDoc {
    id: String,
    /// `image = "…"` names a disk image; like any source, its kind is told by content.
    #[serde(alias = "image")]
    source: PathBuf,
    instance_id: Option<String>,
    patch_group: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    repo_set: Option<String>,
    os: Option<String>,
    product: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostListDoc {
    csv: Option<PathBuf>,
    glob: Option<String>,
    patch_group: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    repo_set: Option<String>,
    os: Option<String>,
    product: Option<String>,
}

/// A repository set: read once, shared by every host that uses it.
#[derive(Debug, Clone)]
pub struct RepoSet {
    pub id: String,
    pub repos: Vec<PathBuf>,
    /// The operating systems it serves when a host names no set.
    pub operating_systems: Vec<OperatingSystem>,
}

impl RepoSet {
    /// The package family of the set's operating systems (RPM when none are given).
    pub fn family(&self) -> OsFamily {
        self.operating_systems
            .first()
            .map_or(OsFamily::Rpm, |os| os.family())
    }
}

/// A baseline the manifest declares, validated.
#[derive(Debug, Clone)]
pub struct ManifestBaseline {
    pub id: String,
    /// One per operating system (a `BaselineOverride` file can hold several).
    pub loaded: Vec<Arc<LoadedBaseline>>,
}

/// One host to scan.
#[derive(Debug, Clone)]
pub struct HostEntry {
    pub id: String,
    /// The managed-node id to report (`i-…`/`mi-…`); the host id when not given.
    pub instance_id: String,
    pub source: PathBuf,
    pub patch_group: String,
    pub repo_set: Option<String>,
    pub overrides: Overrides,
    /// Where the entry was declared, for messages (`hosts[3]`, `hosts.csv:7`).
    pub declared: String,
}

/// A validated fleet manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    /// The manifest's `now` (UNIX seconds), if it sets one.
    pub now: Option<i64>,
    pub repo_sets: Vec<RepoSet>,
    pub baselines: Vec<ManifestBaseline>,
    /// `RegisterPatchBaselineForPatchGroup`: (patch group, OS) → baseline.
    pub patch_groups: HashMap<(String, OperatingSystem), Arc<LoadedBaseline>>,
    /// `RegisterDefaultPatchBaseline`: OS → baseline; AWS's predefined default for the others.
    pub defaults: HashMap<OperatingSystem, Arc<LoadedBaseline>>,
    pub hosts: Vec<HostEntry>,
}

/// The patch group of a host: `patch_group`, or the `Patch Group`/`PatchGroup` tag (AWS reads
/// either key; equal values are one group). Conflicting values are an error.
fn patch_group(explicit: Option<&str>, tags: &BTreeMap<String, String>) -> Result<String, String> {
    let mut found: Vec<(&str, &str)> = Vec::new();
    if let Some(g) = explicit {
        found.push(("patch_group", g));
    }
    for key in ["Patch Group", "PatchGroup"] {
        if let Some(v) = tags.get(key) {
            found.push((key, v));
        }
    }
    if let Some(((k1, v1), (k2, v2))) = found
        .iter()
        .zip(found.iter().skip(1))
        .find(|((_, a), (_, b))| a != b)
    {
        return Err(format!(
            "{k1} {v1:?} and {k2} {v2:?} disagree: a managed node is in one patch group"
        ));
    }
    let group = found.first().map_or("", |(_, v)| v).to_string();
    if group.len() > 256 {
        return Err(format!(
            "patch group {group:?} is longer than 256 characters"
        ));
    }
    Ok(group)
}

/// The id a glob-matched source gets: its file name without archive/inventory suffixes.
fn id_from_path(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in [
        ".tar.gz",
        ".tar.zst",
        ".tar.xz",
        ".tar.bz2",
        ".tgz",
        ".tar",
        ".raw",
        ".img",
        ".qcow2",
        ".vmdk",
        ".inventory",
        ".inv",
        ".txt",
    ] {
        if let Some(stem) = name.strip_suffix(suffix) {
            if !stem.is_empty() {
                return stem.to_string();
            }
        }
    }
    name
}

impl Manifest {
    /// Reads and validates a manifest: baselines are loaded and checked, registrations
    /// checked (one baseline per group per OS), host lists expanded, references resolved.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses manifest text; `path` locates relative paths and names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let doc: ManifestDoc = toml::from_str(text).map_err(|e| ManifestError::Syntax {
            path: path.to_path_buf(),
            message: crate::vocab::plain::type_words(e.to_string().trim_end()),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let invalid = |entry: String, message: String| ManifestError::Invalid {
            path: path.to_path_buf(),
            entry,
            message,
        };
        let now = match &doc.now {
            None => None,
            Some(s) => Some(parse_time(s).map_err(|m| invalid("now".into(), m))?),
        };

        let mut repo_sets = Vec::new();
        let mut set_ids = HashSet::new();
        for (i, r) in doc.repo_sets.iter().enumerate() {
            let entry = format!("repo_sets[{i}] ({:?})", r.id);
            if !set_ids.insert(r.id.clone()) {
                return Err(invalid(
                    entry,
                    "a repository set with this id is already defined".into(),
                ));
            }
            if r.repos.is_empty() {
                return Err(invalid(entry, "repos is empty".into()));
            }
            let operating_systems = r
                .operating_systems
                .iter()
                .map(|s| OperatingSystem::parse_arg(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| invalid(entry.clone(), m))?;
            let families: HashSet<_> = operating_systems.iter().map(|o| o.family()).collect();
            if families.len() > 1 {
                return Err(invalid(
                    entry,
                    "serves operating systems of different package families".into(),
                ));
            }
            let repos = r.repos.iter().map(|p| base.join(p)).collect::<Vec<_>>();
            for repo in &repos {
                if !repo.is_dir() {
                    return Err(invalid(
                        entry,
                        format!("{} is not a directory", repo.display()),
                    ));
                }
            }
            repo_sets.push(RepoSet {
                id: r.id.clone(),
                repos,
                operating_systems,
            });
        }

        let mut baselines = Vec::new();
        let mut patch_groups: HashMap<(String, OperatingSystem), Arc<LoadedBaseline>> =
            HashMap::new();
        let mut group_owner: HashMap<(String, OperatingSystem), String> = HashMap::new();
        let mut defaults: HashMap<OperatingSystem, Arc<LoadedBaseline>> = HashMap::new();
        let mut default_owner: HashMap<OperatingSystem, String> = HashMap::new();
        let mut baseline_ids = HashSet::new();
        for (i, b) in doc.baselines.iter().enumerate() {
            let entry = format!("baselines[{i}] ({:?})", b.id);
            if !baseline_ids.insert(b.id.clone()) {
                return Err(invalid(
                    entry,
                    "a baseline with this id is already defined".into(),
                ));
            }
            let spec = if baseline::predefined::load(&b.source).is_some() {
                b.source.clone()
            } else {
                base.join(&b.source).display().to_string()
            };
            let loaded: Vec<Arc<LoadedBaseline>> = baseline::load_all(&spec)
                .map_err(|source| ManifestError::Baseline {
                    path: path.to_path_buf(),
                    entry: entry.clone(),
                    source: Box::new(source),
                })?
                .into_iter()
                .map(Arc::new)
                .collect();
            for l in &loaded {
                let os = l.baseline.operating_system;
                if os.family() == OsFamily::NotLinux {
                    return Err(invalid(
                        entry,
                        format!("{os} baselines are not evaluated by patchscan"),
                    ));
                }
                for g in &b.patch_groups {
                    let key = (g.clone(), os);
                    if let Some(other) = group_owner.get(&key) {
                        return Err(invalid(
                            entry,
                            format!("patch group {g:?} already has baseline {other:?} for {os}; AWS registers one baseline per patch group per operating system"),
                        ));
                    }
                    group_owner.insert(key.clone(), b.id.clone());
                    patch_groups.insert(key, l.clone());
                }
                if b.default {
                    if let Some(other) = default_owner.get(&os) {
                        return Err(invalid(
                            entry,
                            format!("{other:?} is already the default baseline for {os}"),
                        ));
                    }
                    default_owner.insert(os, b.id.clone());
                    defaults.insert(os, l.clone());
                }
            }
            baselines.push(ManifestBaseline {
                id: b.id.clone(),
                loaded,
            });
        }

        let mut hosts = Vec::new();
        for (i, h) in doc.hosts.iter().enumerate() {
            let declared = format!("hosts[{i}] ({:?})", h.id);
            hosts.push(host_entry(h, &base, &declared).map_err(|m| invalid(declared, m))?);
        }
        for (i, list) in doc.host_lists.iter().enumerate() {
            let entry = format!("host_lists[{i}]");
            let defaults_doc = HostDoc {
                patch_group: list.patch_group.clone(),
                tags: list.tags.clone(),
                repo_set: list.repo_set.clone(),
                os: list.os.clone(),
                product: list.product.clone(),
                ..Default::default()
            };
            match (&list.csv, &list.glob) {
                (Some(csv), None) => {
                    let csv_path = base.join(csv);
                    hosts.extend(
                        csv_hosts(&csv_path, &defaults_doc)
                            .map_err(|m| invalid(entry.clone(), m))?,
                    );
                }
                (None, Some(pattern)) => {
                    let full = base.join(pattern).display().to_string();
                    let paths = glob::glob(&full)
                        .map_err(|e| invalid(entry.clone(), format!("glob {pattern:?}: {e}")))?;
                    let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
                    matched.sort();
                    if matched.is_empty() {
                        return Err(invalid(entry, format!("glob {pattern:?} matches nothing")));
                    }
                    for p in matched {
                        let doc = HostDoc {
                            id: id_from_path(&p),
                            source: p.clone(),
                            ..defaults_doc.clone()
                        };
                        let declared = format!("{entry} ({})", p.display());
                        hosts.push(
                            host_entry(&doc, Path::new(""), &declared)
                                .map_err(|m| invalid(declared.clone(), m))?,
                        );
                    }
                }
                _ => {
                    return Err(invalid(
                        entry,
                        "give exactly one of csv = \"FILE\" or glob = \"PATTERN\"".into(),
                    ))
                }
            }
        }

        let mut seen: HashMap<&str, &str> = HashMap::new();
        for h in &hosts {
            if let Some(first) = seen.insert(&h.id, &h.declared) {
                return Err(invalid(
                    h.declared.clone(),
                    format!("host id {:?} is already used by {first}", h.id),
                ));
            }
            if let Some(set) = &h.repo_set {
                if !set_ids.contains(set) {
                    let known: Vec<&str> = repo_sets.iter().map(|r| r.id.as_str()).collect();
                    return Err(invalid(
                        h.declared.clone(),
                        format!(
                            "repo_set {set:?} is not defined (defined: {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        if hosts.is_empty() {
            return Err(invalid(
                "hosts".into(),
                "the manifest lists no hosts".into(),
            ));
        }
        // AWS's predefined default for every OS without a registered default, parsed once
        // here rather than once per host.
        for os in OperatingSystem::ALL {
            if os.family() != OsFamily::NotLinux && !defaults.contains_key(&os) {
                if let Some(b) = baseline::predefined::default_for(os) {
                    defaults.insert(os, Arc::new(b));
                }
            }
        }
        Ok(Manifest {
            path: path.to_path_buf(),
            now,
            repo_sets,
            baselines,
            patch_groups,
            defaults,
            hosts,
        })
    }

    /// The repository set for a host: the one it names, else the only one serving its OS.
    pub fn repo_set_for(&self, host: &HostEntry, os: OperatingSystem) -> Result<&RepoSet, String> {
        if let Some(id) = &host.repo_set {
            return self
                .repo_sets
                .iter()
                .find(|r| &r.id == id)
                .ok_or_else(|| format!("repo_set {id:?} is not defined"));
        }
        let serving: Vec<&RepoSet> = self
            .repo_sets
            .iter()
            .filter(|r| r.operating_systems.contains(&os))
            .collect();
        match serving.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "no repository set serves {os}: give the host a repo_set or list {os} in a set's operating_systems"
            )),
            many => Err(format!(
                "several repository sets serve {os} ({}): give the host a repo_set",
                many.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// The baseline for a host of `os` in `group`, as Patch Manager picks it: the baseline
    /// registered for the group and OS, else the default registered for the OS, else AWS's
    /// predefined default.
    pub fn baseline_for(
        &self,
        group: &str,
        os: OperatingSystem,
    ) -> Result<Arc<LoadedBaseline>, String> {
        self.baseline_ref(group, os).cloned()
    }

    /// [`Manifest::baseline_for`], borrowed from the manifest.
    pub fn baseline_ref(
        &self,
        group: &str,
        os: OperatingSystem,
    ) -> Result<&Arc<LoadedBaseline>, String> {
        if !group.is_empty() {
            if let Some(b) = self.patch_groups.get(&(group.to_string(), os)) {
                return Ok(b);
            }
        }
        self.defaults
            .get(&os)
            .ok_or_else(|| format!("{os} has no predefined default baseline"))
    }
}

fn host_entry(h: &HostDoc, base: &Path, declared: &str) -> Result<HostEntry, String> {
    if h.id.trim().is_empty() {
        return Err("empty host id".into());
    }
    let os =
        h.os.as_deref()
            .map(OperatingSystem::parse_arg)
            .transpose()?;
    Ok(HostEntry {
        id: h.id.clone(),
        instance_id: h.instance_id.clone().unwrap_or_else(|| h.id.clone()),
        source: base.join(&h.source),
        patch_group: patch_group(h.patch_group.as_deref(), &h.tags)?,
        repo_set: h.repo_set.clone(),
        overrides: Overrides {
            os,
            product: h.product.clone(),
        },
        declared: declared.to_string(),
    })
}

/// Hosts from a CSV file with a header line naming its columns: `id` and `source` (or `image`,
/// its other name) required; `instance_id`, `patch_group`, `repo_set`, `os`, `product` optional (empty = unset, then the
/// host list's own values apply). Sources are relative to the CSV file.
fn csv_hosts(path: &Path, defaults: &HostDoc) -> Result<Vec<HostEntry>, String> {
    const KNOWN: [&str; 8] = [
        "id",
        "source",
        "image",
        "instance_id",
        "patch_group",
        "repo_set",
        "os",
        "product",
    ];
    let shown = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| format!("{shown}: {e}"))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{shown}: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    for h in &header {
        if !KNOWN.contains(&h.as_str()) {
            return Err(format!(
                "{shown}: unknown column {h:?} (known: {})",
                KNOWN.join(", ")
            ));
        }
    }
    if !header.iter().any(|h| h == "id") {
        return Err(format!("{shown}: no \"id\" column"));
    }
    match (
        header.iter().any(|h| h == "source"),
        header.iter().any(|h| h == "image"),
    ) {
        (false, false) => return Err(format!("{shown}: no \"source\" (or \"image\") column")),
        (true, true) => {
            return Err(format!(
                "{shown}: both a \"source\" and an \"image\" column; a host has one source"
            ))
        }
        _ => {}
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("{shown}: line {line}: {e}"))?;
        let get = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|k| record.get(k))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let doc = HostDoc {
            id: get("id").unwrap_or_default(),
            source: PathBuf::from(get("source").or_else(|| get("image")).unwrap_or_default()),
            instance_id: get("instance_id"),
            patch_group: get("patch_group").or(defaults.patch_group.clone()),
            tags: if get("patch_group").is_some() {
                BTreeMap::new()
            } else {
                defaults.tags.clone()
            },
            repo_set: get("repo_set").or(defaults.repo_set.clone()),
            os: get("os").or(defaults.os.clone()),
            product: get("product").or(defaults.product.clone()),
        };
        if doc.source.as_os_str().is_empty() {
            return Err(format!("{shown}: line {line}: empty source"));
        }
        let declared = format!("{shown}:{line}");
        out.push(host_entry(&doc, base, &declared).map_err(|m| format!("{declared}: {m}"))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        std::fs::create_dir_all(dir.path().join("repos/al2023")).unwrap();
        std::fs::create_dir_all(dir.path().join("repos/rhel9")).unwrap();
        dir
    }

    const SETS: &str = r#"
[[repo_sets]]
id = "al2023"
repos = ["repos/al2023"]
operating_systems = ["AMAZON_LINUX_2023"]

[[repo_sets]]
id = "rhel9"
repos = ["repos/rhel9"]
operating_systems = ["REDHAT_ENTERPRISE_LINUX"]
"#;

    fn load(dir: &tempfile::TempDir, text: &str) -> Result<Manifest, ManifestError> {
        let path = dir.path().join("fleet.toml");
        std::fs::write(&path, text).unwrap();
        Manifest::load(&path)
    }

    #[test]
    fn registrations_pick_baselines_as_patch_manager_does() {
        let dir = dir_with(&[]);
        let m = load(
            &dir,
            &format!(
                r#"now = "2025-06-01T12:00:00Z"
{SETS}
[[baselines]]
id = "al-web"
source = "AWS-AmazonLinux2023DefaultPatchBaseline"
patch_groups = ["web"]

[[baselines]]
id = "rhel-default"
source = "AWS-RedHatDefaultPatchBaseline"
default = true

[[hosts]]
id = "i-0123456789abcdef0"
source = "h1"
tags = {{ "Patch Group" = "web", PatchGroup = "web" }}

[[hosts]]
id = "db-1"
source = "h2"
patch_group = "db"
"#
            ),
        )
        .unwrap();
        assert_eq!(m.now, Some(1_748_779_200));
        assert_eq!(
            m.hosts[0].patch_group, "web",
            "equal tag values are one group"
        );
        assert!(m
            .baseline_for("web", OperatingSystem::AmazonLinux2023)
            .is_ok());
        // Not registered for this OS: the OS default (manifest's, else AWS's).
        let b = m
            .baseline_for("web", OperatingSystem::RedhatEnterpriseLinux)
            .unwrap();
        assert_eq!(b.baseline.name, "AWS-RedHatDefaultPatchBaseline");
        let b = m.baseline_for("db", OperatingSystem::RockyLinux).unwrap();
        assert_eq!(b.baseline.name, "AWS-RockyLinuxDefaultPatchBaseline");
        assert_eq!(
            m.repo_set_for(&m.hosts[1], OperatingSystem::RedhatEnterpriseLinux)
                .unwrap()
                .id,
            "rhel9"
        );
        assert!(m
            .repo_set_for(&m.hosts[1], OperatingSystem::Debian)
            .unwrap_err()
            .contains("no repository set serves DEBIAN"));
    }

    #[test]
    fn mistakes_name_the_entry() {
        let dir = dir_with(&[("hosts.csv", "id,source,colour\na,b,red\n")]);
        let cases = [
            ("[[hostz]]\n", "unknown field `hostz`"),
            (
                &format!("{SETS}[[baselines]]\nid='a'\nsource='AWS-AmazonLinux2023DefaultPatchBaseline'\npatch_groups=['web']\n[[baselines]]\nid='b'\nsource='AWS-AmazonLinux2023DefaultPatchBaseline'\npatch_groups=['web']\n[[hosts]]\nid='x'\nsource='y'\n"),
                "baselines[1] (\"b\"): patch group \"web\" already has baseline \"a\" for AMAZON_LINUX_2023",
            ),
            (
                &format!("{SETS}[[hosts]]\nid='x'\nsource='y'\nrepo_set='al2024'\n"),
                "hosts[0] (\"x\"): repo_set \"al2024\" is not defined (defined: al2023, rhel9)",
            ),
            (
                &format!("{SETS}[[hosts]]\nid='x'\nsource='y'\n[[hosts]]\nid='x'\nsource='z'\n"),
                "host id \"x\" is already used by hosts[0]",
            ),
            (
                &format!("{SETS}[[hosts]]\nid='x'\nsource='y'\npatch_group='a'\ntags={{PatchGroup='b'}}\n"),
                "disagree",
            ),
            (
                &format!("{SETS}[[hosts]]\nid='x'\nsource='y'\nos='AMAZON_LINUX_2024'\n"),
                "unknown operating system \"AMAZON_LINUX_2024\"",
            ),
            (
                &format!("{SETS}[[host_lists]]\ncsv='hosts.csv'\n"),
                "unknown column \"colour\"",
            ),
            (
                &format!("{SETS}[[host_lists]]\nglob='images/*.tar'\n"),
                "matches nothing",
            ),
            (
                &format!("{SETS}[[baselines]]\nid='a'\nsource='missing.json'\n[[hosts]]\nid='x'\nsource='y'\n"),
                "baselines[0] (\"a\")",
            ),
            (&format!("now='yesterday'\n{SETS}"), "now: \"yesterday\""),
            (SETS, "lists no hosts"),
        ];
        for (text, want) in cases {
            let err = load(&dir, text).unwrap_err().to_string();
            assert!(err.contains("fleet.toml"), "{err}");
            assert!(err.contains(want), "{want:?} not in: {err}");
        }
    }

    #[test]
    fn host_lists_from_csv_and_glob() {
        let dir = dir_with(&[
            (
                "lists/hosts.csv",
                "id,source,patch_group,instance_id\nweb-1,../img/web-1.tar.zst,web,i-0123456789abcdef0\ndb-1,../img/db-1.inv,,\n",
            ),
            ("img/a.tar.zst", ""),
            ("img/b.inv", ""),
        ]);
        let m = load(
            &dir,
            &format!("{SETS}[[host_lists]]\ncsv='lists/hosts.csv'\npatch_group='fallback'\nrepo_set='al2023'\n[[host_lists]]\nglob='img/*.*'\nrepo_set='rhel9'\n"),
        )
        .unwrap();
        let ids: Vec<&str> = m.hosts.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["web-1", "db-1", "a", "b"]);
        assert_eq!(m.hosts[0].instance_id, "i-0123456789abcdef0");
        assert_eq!(m.hosts[0].patch_group, "web");
        assert_eq!(m.hosts[1].patch_group, "fallback");
        assert_eq!(m.hosts[1].instance_id, "db-1");
        assert!(m.hosts[0].source.ends_with("lists/../img/web-1.tar.zst"));
        assert_eq!(m.hosts[2].repo_set.as_deref(), Some("rhel9"));
    }
}
