//! One host, end to end: identify it, read what is installed, read its repositories into an
//! update index, evaluate the baseline and build the report.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::baseline::{self, OperatingSystem, OsFamily};
use crate::engine::approval::Context;
use crate::engine::states::{self, HostOptions, InstalledView};
use crate::host::os::{self, OsIdentity};
use crate::host::rootfs::RootFs;
use crate::host::rpmdb::{self, InstalledRpm};
use crate::repo::index::UpdateIndex;
use crate::report::model::{HostReport, ReportContext};
use crate::version::Nevra;

/// What to scan and how.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// The host root (`/` for the running host, or a mounted/unpacked image).
    pub root: PathBuf,
    /// Repository directories (each holding `repodata/`); empty: the host's own cache.
    pub repos: Vec<PathBuf>,
    /// A predefined baseline name or a file; `None`: the OS's predefined default.
    pub baseline: Option<String>,
    pub os: Option<OperatingSystem>,
    pub product: Option<String>,
    pub instance_id: Option<String>,
    pub patch_group: String,
    /// "Now", UNIX seconds UTC.
    pub now: i64,
    pub boot_time: Option<i64>,
    pub running_kernel: Option<String>,
    /// The host architecture, when the installed packages should not decide it.
    pub arch: Option<String>,
    pub include_not_applicable: bool,
    /// Warn when a repository's metadata is older than this many days.
    pub max_metadata_age_days: u32,
}

/// Why a host could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    RootFs(#[from] crate::host::rootfs::RootFsError),
    #[error(transparent)]
    Os(#[from] os::OsError),
    #[error(
        "{0}: no etc/os-release, usr/lib/os-release or etc/system-release; pass --os and --product"
    )]
    NoOsRelease(PathBuf),
    #[error(transparent)]
    Baseline(#[from] baseline::BaselineError),
    #[error("{0} has no predefined default baseline; pass --baseline")]
    NoDefaultBaseline(OperatingSystem),
    #[error("{0} hosts are not supported by `scan` yet (Debian, Ubuntu and Raspberry Pi OS are coming next)")]
    Unsupported(OperatingSystem),
    #[error(transparent)]
    RpmDb(#[from] rpmdb::RpmDbError),
    #[error(transparent)]
    Repo(#[from] crate::repo::rpmmd::RpmMdError),
    #[error("{root}: no repository metadata: none given with --repo and no cache under {looked} (a host whose cache was cleaned must not look compliant; run `dnf makecache` on it or pass --repo)")]
    NoRepositories { root: PathBuf, looked: String },
    #[error("{path}: {message}")]
    ModuleState { path: PathBuf, message: String },
}

impl InstalledView for InstalledRpm {
    fn nevra(&self) -> &Nevra {
        &self.nevra
    }
    fn install_time(&self) -> Option<i64> {
        self.install_time
    }
}

/// Identifies the host from its files, with `--os`/`--product` overrides.
pub fn identify(root: &RootFs, opts: &ScanOptions) -> Result<OsIdentity, ScanError> {
    let from_files = || -> Result<OsIdentity, ScanError> {
        for rel in ["etc/os-release", "usr/lib/os-release"] {
            if let Ok(path) = root.resolve(rel) {
                let text = std::fs::read_to_string(&path).map_err(|source| os::OsError::Io {
                    path: path.clone(),
                    source,
                })?;
                let fields = os::parse_os_release(&text, &path)?;
                return Ok(os::identify(&fields, &path)?);
            }
        }
        if let Ok(path) = root.resolve("etc/system-release") {
            let text = std::fs::read_to_string(&path).map_err(|source| os::OsError::Io {
                path: path.clone(),
                source,
            })?;
            return Ok(os::identify(&os::system_release_fields(&text), &path)?);
        }
        Err(ScanError::NoOsRelease(root.path().to_path_buf()))
    };
    match (opts.os, &opts.product) {
        (Some(os), Some(product)) => Ok(OsIdentity {
            operating_system: os,
            product: product.clone(),
            pretty_name: String::new(),
        }),
        _ => {
            let mut id = from_files()?;
            if let Some(os) = opts.os {
                id.operating_system = os;
            }
            if let Some(p) = &opts.product {
                id.product = p.clone();
            }
            Ok(id)
        }
    }
}

/// The repository directories of the host's own package-manager cache.
pub fn cached_repositories(root: &RootFs) -> (Vec<PathBuf>, String) {
    let mut found = Vec::new();
    let looked = "var/cache/dnf/*/, var/cache/yum/**/, var/cache/zypp/raw/*/".to_string();
    for base in ["var/cache/dnf", "var/cache/zypp/raw"] {
        if let Ok(dir) = root.resolve(base) {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                let mut dirs: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.join("repodata/repomd.xml").is_file())
                    .collect();
                dirs.sort();
                found.extend(dirs);
            }
        }
    }
    // yum: var/cache/yum/<basearch>/<releasever>/<repo>/repomd.xml (no repodata/ level).
    if let Ok(dir) = root.resolve("var/cache/yum") {
        let mut stack = vec![(dir, 0)];
        while let Some((d, depth)) = stack.pop() {
            if d.join("repomd.xml").is_file() || d.join("repodata/repomd.xml").is_file() {
                found.push(d);
                continue;
            }
            if depth < 4 {
                if let Ok(entries) = std::fs::read_dir(&d) {
                    for e in entries.filter_map(Result::ok) {
                        if e.file_type().is_ok_and(|t| t.is_dir()) {
                            stack.push((e.path(), depth + 1));
                        }
                    }
                }
            }
        }
    }
    (found, looked)
}

/// Enabled/disabled module streams from `etc/dnf/modules.d/*.module`.
pub fn module_state(
    root: &RootFs,
) -> Result<(HashMap<String, String>, HashSet<String>), ScanError> {
    let mut enabled = HashMap::new();
    let mut disabled = HashSet::new();
    let Ok(dir) = root.resolve("etc/dnf/modules.d") else {
        return Ok((enabled, disabled));
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok((enabled, disabled));
    };
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "module") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|err| ScanError::ModuleState {
            path: path.clone(),
            message: err.to_string(),
        })?;
        let mut name = None;
        let mut fields = HashMap::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') && line.ends_with(']') {
                name = Some(line[1..line.len() - 1].to_string());
            } else if let Some((k, v)) = line.split_once('=') {
                fields.insert(k.trim().to_string(), v.trim().to_string());
            }
        }
        let Some(name) = fields.get("name").cloned().or(name) else {
            return Err(ScanError::ModuleState {
                path,
                message: "no [section] or name= line".into(),
            });
        };
        match fields.get("state").map(String::as_str) {
            Some("enabled") => {
                if let Some(stream) = fields.get("stream").filter(|s| !s.is_empty()) {
                    enabled.insert(name, stream.clone());
                }
            }
            Some("disabled") => {
                disabled.insert(name);
            }
            _ => {}
        }
    }
    Ok((enabled, disabled))
}

/// Scans one RPM-family or SUSE host.
pub fn scan(opts: &ScanOptions) -> Result<HostReport, ScanError> {
    let start = opts.now;
    let root = RootFs::new(&opts.root)?;
    let identity = identify(&root, opts)?;
    let os = identity.operating_system;
    if !matches!(os.family(), OsFamily::Rpm | OsFamily::Suse) {
        return Err(ScanError::Unsupported(os));
    }
    let loaded = match &opts.baseline {
        Some(spec) => baseline::load_for_os(spec, os)?,
        None => baseline::predefined::default_for(os).ok_or(ScanError::NoDefaultBaseline(os))?,
    };
    let mut warnings: Vec<String> = loaded
        .warnings
        .iter()
        .map(|w| format!("baseline {}: {w}", loaded.baseline.origin))
        .collect();
    if loaded.baseline.operating_system != os {
        warnings.push(format!(
            "baseline {} is for {}, the host is {os}",
            loaded.baseline.name, loaded.baseline.operating_system
        ));
    }

    let db = rpmdb::find_rpmdb(&root)?;
    let repos = if opts.repos.is_empty() {
        let (found, looked) = cached_repositories(&root);
        if found.is_empty() {
            return Err(ScanError::NoRepositories {
                root: root.path().to_path_buf(),
                looked,
            });
        }
        found
    } else {
        opts.repos.clone()
    };
    // The host's database and the repositories are independent: read them side by side.
    let (installed, index) = rayon::join(|| rpmdb::read_rpmdb(&db), || load_index(&repos));
    let (installed, index) = (installed?, index?);
    for r in &index.repos {
        match r.timestamp {
            Some(t) if opts.now - t > i64::from(opts.max_metadata_age_days) * 86_400 => {
                warnings.push(format!(
                    "{}: metadata dated {} is older than {} days",
                    r.path,
                    states::format_time(t),
                    opts.max_metadata_age_days
                ));
            }
            None => warnings.push(format!("{}: metadata has no date", r.path)),
            _ => {}
        }
    }

    let (enabled_streams, disabled_modules) = module_state(&root)?;
    let host = HostOptions {
        enabled_streams,
        disabled_modules,
        boot_time: opts.boot_time,
        running_kernel: opts.running_kernel.clone(),
        arch: opts.arch.clone(),
    };
    let ctx = Context {
        baseline: &loaded.baseline,
        product: &identity.product,
        now: opts.now,
    };
    let eval = states::evaluate_host(&ctx, &installed, &index, &host);
    rayon::spawn(move || drop((installed, index))); // freed on a worker while the report is built
    for e in &eval.unused_entries {
        warnings.push(format!(
            "baseline entry {e:?} matches nothing in this scan (stale baseline?)"
        ));
    }
    let instance_id = opts.instance_id.clone().unwrap_or_else(|| host_name(&root));
    let end = opts.now.max(start);
    Ok(HostReport::new(
        &eval,
        &ReportContext {
            instance_id: &instance_id,
            patch_group: &opts.patch_group,
            baseline_id: loaded.baseline.report_id(),
            start,
            end,
            include_not_applicable: opts.include_not_applicable,
        },
        warnings,
    ))
}

fn host_name(root: &RootFs) -> String {
    root.resolve("etc/hostname")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| root.path().display().to_string())
}

/// Reads repository directories into one update index.
pub fn load_index(dirs: &[PathBuf]) -> Result<UpdateIndex, ScanError> {
    use rayon::prelude::*;
    let repos: Vec<_> = dirs
        .par_iter()
        .map(|dir| crate::repo::rpmmd::read_repository(dir))
        .collect::<Result<_, _>>()?;
    let mut index = UpdateIndex::default();
    for meta in repos {
        index.add_rpm_repository(meta);
    }
    Ok(index)
}
