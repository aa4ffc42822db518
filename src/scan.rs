//! One host, end to end: identify it, read what is installed, read its repositories into an
//! update index, evaluate the baseline and build the report.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::baseline::{self, OperatingSystem, OsFamily};
use crate::engine::approval::Context;
use crate::engine::decision::HostOptions;
use crate::engine::rpm::{self, InstalledView};
use crate::host::dpkg::{self, InstalledDeb};
use crate::host::os::{self, OsIdentity};
use crate::host::rootfs::RootFs;
use crate::host::rpmdb::{self, InstalledRpm};
use crate::repo::apt::{self, AptIndex, AptSelection, SourceEntry};
use crate::repo::index::UpdateIndex;
use crate::repo::Place;
use crate::report::model::{HostReport, ReportContext, RepositoryRecord};
use crate::version::Nevra;
use crate::vocab::time::format_time;

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
    /// How the host is evaluated and reported.
    pub eval: EvalOptions,
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
    #[error("{0} hosts are not scanned by patchscan (it evaluates Linux baselines only)")]
    Unsupported(OperatingSystem),
    #[error(transparent)]
    Dpkg(#[from] dpkg::DpkgError),
    #[error("{}: no dpkg database (var/lib/dpkg/status or var/lib/dpkg/status.d/)", .0.display())]
    NoDpkg(PathBuf),
    #[error(transparent)]
    Apt(#[from] apt::AptError),
    #[error("{root}: no apt lists: none given with --repo and {looked} is missing or holds no *_Packages files (a host whose lists were cleaned must not look compliant; run `apt-get update` on it or pass --repo)")]
    NoAptLists { root: PathBuf, looked: String },
    #[error("{root}: none of the apt lists in {lists} belongs to a source configured in etc/apt/sources.list, sources.list.d/*.list or *.sources ({configured} configured; run `apt-get update` on the host, or pass --repo)")]
    NoConfiguredLists {
        root: PathBuf,
        lists: String,
        configured: usize,
    },
    #[error(transparent)]
    RpmDb(#[from] rpmdb::RpmDbError),
    #[error(transparent)]
    Repo(#[from] crate::repo::rpmmd::RpmMdError),
    #[error("package family {0:?} has no repository reader yet")]
    UnsupportedFamily(OsFamily),
    #[error("{origin}: a {host:?}-family host cannot be evaluated against {index:?}-family repositories")]
    FamilyMismatch {
        origin: String,
        host: OsFamily,
        index: OsFamily,
    },
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
            if root.resolve(rel).is_ok() {
                let (path, text) = root.read_to_string(rel)?;
                let fields = os::parse_os_release(&text, &path)?;
                return Ok(os::identify(&fields, &path)?);
            }
        }
        if root.resolve("etc/system-release").is_ok() {
            let (path, text) = root.read_to_string("etc/system-release")?;
            return Ok(os::identify(&os::system_release_fields(&text), &path)?);
        }
        Err(ScanError::NoOsRelease(root.path().to_path_buf()))
    };
    crate::host::source::Overrides {
        os: opts.os,
        product: opts.product.clone(),
    }
    .identify(from_files)
}

/// The repository directories of the host's own package-manager cache, each resolved inside
/// the root (a link out of the root is not followed), and what was looked for.
pub fn cached_repositories(root: &RootFs) -> (Vec<PathBuf>, String) {
    let place = Place::Root(root);
    let mut found: Vec<PathBuf> = Vec::new();
    let mut add = |dir: PathBuf| {
        if !found.contains(&dir) {
            found.push(dir);
        }
    };
    let looked = "var/cache/dnf/*/, var/cache/yum/**/, var/cache/zypp/raw/*/".to_string();
    let subdirs = |dir: &Path| -> Vec<PathBuf> {
        place.names(dir).map_or_else(
            |_| Vec::new(),
            |(dir, names)| {
                names
                    .iter()
                    .filter_map(|n| place.dir(&dir.join(n)))
                    .collect()
            },
        )
    };
    for base in ["var/cache/dnf", "var/cache/zypp/raw"] {
        if let Ok(dir) = root.resolve(base) {
            for d in subdirs(&dir) {
                if place.file(&d.join("repodata/repomd.xml")).is_some() {
                    add(d);
                }
            }
        }
    }
    // yum: var/cache/yum/<basearch>/<releasever>/<repo>/repomd.xml (no repodata/ level).
    if let Ok(dir) = root.resolve("var/cache/yum") {
        let mut stack = vec![(dir, 0)];
        while let Some((d, depth)) = stack.pop() {
            if place.file(&d.join("repomd.xml")).is_some()
                || place.file(&d.join("repodata/repomd.xml")).is_some()
            {
                add(d);
                continue;
            }
            if depth < 4 {
                stack.extend(subdirs(&d).into_iter().map(|s| (s, depth + 1)));
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
    let Ok((_, names)) = root.read_dir("etc/dnf/modules.d") else {
        return Ok((enabled, disabled));
    };
    for file in names {
        if Path::new(&file).extension().is_none_or(|x| x != "module") {
            continue;
        }
        let rel = Path::new("etc/dnf/modules.d").join(&file);
        // The name need not be UTF-8 (dnf reads the file's own [section] and name=).
        let (path, text) = root
            .read_to_string(&rel)
            .map_err(|err| ScanError::ModuleState {
                path: root.path().join(&rel),
                message: err.to_string(),
            })?;
        add_module_file(&text, &path, &mut enabled, &mut disabled)?;
    }
    Ok((enabled, disabled))
}

/// Adds one dnf module state file's verdict (`[name]`, `name=`, `stream=`, `state=`).
pub fn add_module_file(
    text: &str,
    path: &Path,
    enabled: &mut HashMap<String, String>,
    disabled: &mut HashSet<String>,
) -> Result<(), ScanError> {
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
            path: path.to_path_buf(),
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
    Ok(())
}

/// What is installed on a host, in its package family's terms.
#[derive(Debug, Clone)]
pub enum Installed {
    /// RPM family and SUSE: the rpmdb's packages.
    Rpm(Vec<InstalledRpm>),
    /// Debian, Ubuntu, Raspberry Pi OS: dpkg's truly installed packages, and the apt sources
    /// the host configures (`None`: unknown, e.g. an inventory file — every list counts).
    Deb {
        packages: Vec<InstalledDeb>,
        sources: Option<Vec<SourceEntry>>,
    },
}

impl Installed {
    /// How many packages are installed.
    pub fn len(&self) -> usize {
        match self {
            Installed::Rpm(p) => p.len(),
            Installed::Deb { packages, .. } => packages.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Facts about one host: who it is and what is installed. Built from a root directory by
/// [`read_host`], or by other sources (archives, inventory files) from their own bytes.
#[derive(Debug, Clone)]
pub struct HostFacts {
    pub identity: OsIdentity,
    pub installed: Installed,
    /// Enabled module streams (`etc/dnf/modules.d/*.module`), module → stream.
    pub enabled_streams: HashMap<String, String>,
    /// Modules explicitly disabled.
    pub disabled_modules: HashSet<String>,
    /// The host's own name (`etc/hostname`), when it has one.
    pub host_name: Option<String>,
    /// Where the facts came from (a root path, an archive, an inventory file).
    pub origin: String,
}

/// A repository set's parsed metadata: read once, then shared read-only (it is `Send + Sync`)
/// by every host evaluated against it.
#[derive(Debug)]
pub enum RepoIndex {
    /// rpm-md repositories (dnf, yum, zypper).
    Rpm(UpdateIndex),
    /// apt lists (Debian, Ubuntu, Raspberry Pi OS).
    Apt(AptIndex),
}

/// How one host is evaluated and reported, beyond its facts.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// The managed-node id to report; `None`: the host name, else the origin.
    pub instance_id: Option<String>,
    pub patch_group: String,
    /// "Now", UNIX seconds UTC.
    pub now: i64,
    /// Last boot, UNIX seconds: packages installed after it are pending a reboot.
    pub boot_time: Option<i64>,
    /// The running kernel release, on a live scan.
    pub running_kernel: Option<String>,
    /// The host architecture, when the installed packages should not decide it.
    pub arch: Option<String>,
    /// List NotApplicable patches too (they are always counted).
    pub include_not_applicable: bool,
    /// Warn when a repository's metadata is older than this many days.
    pub max_metadata_age_days: u32,
}

/// The baseline a host is held against: the given one (file or predefined name), else AWS's
/// predefined default for its operating system.
pub fn baseline_for(
    spec: Option<&str>,
    os: OperatingSystem,
) -> Result<baseline::LoadedBaseline, ScanError> {
    match spec {
        Some(spec) => Ok(baseline::load_for_os(spec, os)?),
        None => baseline::predefined::default_for(os).ok_or(ScanError::NoDefaultBaseline(os)),
    }
}

/// Fails for operating systems `scan` cannot evaluate yet.
fn check_supported(os: OperatingSystem) -> Result<(), ScanError> {
    if matches!(os.family(), OsFamily::Rpm | OsFamily::Suse | OsFamily::Apt) {
        Ok(())
    } else {
        Err(ScanError::Unsupported(os))
    }
}

/// Reads what is installed on an identified host root, and its module state and name.
pub fn read_host_as(root: &RootFs, identity: OsIdentity) -> Result<HostFacts, ScanError> {
    check_supported(identity.operating_system)?;
    let (installed, (enabled_streams, disabled_modules)) = match identity.operating_system.family()
    {
        OsFamily::Apt => {
            let db =
                dpkg::find(root).ok_or_else(|| ScanError::NoDpkg(root.path().to_path_buf()))?;
            let packages = dpkg::read_installed(root, &db)?;
            let sources = apt::sources::read_root_sources(root)?;
            (Installed::Deb { packages, sources }, Default::default())
        }
        _ => (
            Installed::Rpm(rpmdb::read_host_rpmdb(root)?),
            module_state(root)?,
        ),
    };
    Ok(HostFacts {
        identity,
        installed,
        enabled_streams,
        disabled_modules,
        host_name: host_name(root),
        origin: root.path().display().to_string(),
    })
}

/// Identifies a host root and reads its facts.
pub fn read_host(root: &RootFs, opts: &ScanOptions) -> Result<HostFacts, ScanError> {
    let identity = identify(root, opts)?;
    read_host_as(root, identity)
}

/// Reads an RPM-family host root's own repository cache (dnf, yum, zypp), through the root.
pub fn load_cached_repositories(root: &RootFs) -> Result<RepoIndex, ScanError> {
    let (found, looked) = cached_repositories(root);
    if found.is_empty() {
        return Err(ScanError::NoRepositories {
            root: root.path().to_path_buf(),
            looked,
        });
    }
    Ok(RepoIndex::Rpm(load_index_in(&found, Place::Root(root))?))
}

/// Reads a repository set for hosts of one package family.
pub fn load_repo_set(family: OsFamily, dirs: &[PathBuf]) -> Result<RepoIndex, ScanError> {
    match family {
        OsFamily::Rpm | OsFamily::Suse => Ok(RepoIndex::Rpm(load_index(dirs)?)),
        OsFamily::Apt => Ok(RepoIndex::Apt(apt::load_repos(dirs)?)),
        _ => Err(ScanError::UnsupportedFamily(family)),
    }
}

/// Reads a Debian/Ubuntu root's own lists (`var/lib/apt/lists`); which of them count is
/// decided per host by its sources (see [`AptIndex::host_lists`]).
pub fn load_host_apt_lists(root: &RootFs) -> Result<RepoIndex, ScanError> {
    let looked = "var/lib/apt/lists".to_string();
    let no_lists = || ScanError::NoAptLists {
        root: root.path().to_path_buf(),
        looked: looked.clone(),
    };
    let dir = apt::root_lists_dir(root).ok_or_else(no_lists)?;
    match apt::load_lists_dir_in(&dir, Place::Root(root)) {
        Ok(mut index) => {
            index.host_lists = true;
            Ok(RepoIndex::Apt(index))
        }
        Err(apt::AptError::NoLists { .. }) => Err(no_lists()),
        Err(e) => Err(e.into()),
    }
}

/// Holds one host's facts against a baseline and a repository set (spec §3–§5).
pub fn evaluate(
    facts: &HostFacts,
    index: &RepoIndex,
    loaded: &baseline::LoadedBaseline,
    opts: &EvalOptions,
) -> Result<HostReport, ScanError> {
    evaluate_inner(facts, index, loaded, opts, None)
}

/// [`evaluate`] for one of many hosts that share indexes and baselines (a fleet): the verdicts
/// on not-installed packages come from `shared`, judged once per index, baseline, product, time
/// and module streams instead of once per host. The outcome is the same.
pub fn evaluate_shared<'a>(
    facts: &HostFacts,
    index: &'a RepoIndex,
    loaded: &'a baseline::LoadedBaseline,
    opts: &EvalOptions,
    shared: &rpm::SharedVerdicts<'a>,
) -> Result<HostReport, ScanError> {
    evaluate_inner(facts, index, loaded, opts, Some(shared))
}

fn evaluate_inner<'a>(
    facts: &HostFacts,
    index: &'a RepoIndex,
    loaded: &'a baseline::LoadedBaseline,
    opts: &EvalOptions,
    shared: Option<&rpm::SharedVerdicts<'a>>,
) -> Result<HostReport, ScanError> {
    let os = facts.identity.operating_system;
    let mut warnings: Vec<String> = loaded
        .warnings
        .iter()
        .map(|w| format!("baseline {}: {w}", loaded.baseline.origin))
        .collect();
    if loaded.baseline.operating_system != os {
        return Err(ScanError::Baseline(baseline::BaselineError::OsMismatch {
            origin: loaded.baseline.origin.to_string(),
            name: loaded.baseline.name.clone(),
            baseline_os: loaded.baseline.operating_system,
            host_os: os,
        }));
    }
    warnings.extend(crate::engine::approval::product_warnings(
        &loaded.baseline,
        &facts.identity.product,
    ));
    let mut repositories = Vec::new();
    let eval = match (&facts.installed, index) {
        (Installed::Deb { packages, sources }, RepoIndex::Apt(index)) => {
            let selection = match (index.host_lists, sources) {
                (true, Some(sources)) => {
                    let sel = AptSelection::from_sources(index, sources);
                    if sel.is_empty() {
                        return Err(ScanError::NoConfiguredLists {
                            root: PathBuf::from(&facts.origin),
                            lists: index
                                .lists
                                .first()
                                .and_then(|l| l.path.parent())
                                .map(|p| p.display().to_string())
                                .unwrap_or_default(),
                            configured: sources.len(),
                        });
                    }
                    sel
                }
                (true, None) => {
                    warnings.push(
                        "no apt sources configured (etc/apt/sources.list, sources.list.d/): every list in var/lib/apt/lists counts, trusted".into(),
                    );
                    AptSelection::all(index)
                }
                (false, _) => AptSelection::all(index),
            };
            apt_warnings(index, &selection, opts, &mut warnings);
            if !packages
                .iter()
                .any(|p| !index.packages.get(&p.name).is_empty())
            {
                warnings.push(unrelated_repositories(packages.len()));
            }
            repositories = apt_repositories(index, &selection);
            let host = HostOptions {
                boot_time: opts.boot_time,
                arch: opts.arch.clone(),
                ..Default::default()
            };
            let ctx = Context {
                baseline: &loaded.baseline,
                product: &facts.identity.product,
                now: opts.now,
            };
            // Approval delays are ignored on APT; baseline validation already warns.
            crate::engine::apt::evaluate_host(
                &ctx,
                packages,
                index,
                &selection,
                &host,
                opts.include_not_applicable,
            )
        }
        (Installed::Rpm(installed), RepoIndex::Rpm(index)) => {
            metadata_age_warnings(index, opts, &mut warnings);
            if !installed
                .iter()
                .any(|p| index.packages.contains_key(&p.nevra.name))
            {
                warnings.push(unrelated_repositories(installed.len()));
            }
            let host = HostOptions {
                enabled_streams: facts.enabled_streams.clone(),
                disabled_modules: facts.disabled_modules.clone(),
                boot_time: opts.boot_time,
                running_kernel: opts.running_kernel.clone(),
                arch: opts.arch.clone(),
            };
            let ctx = Context {
                baseline: &loaded.baseline,
                product: &facts.identity.product,
                now: opts.now,
            };
            let table = shared.map(|shared| {
                shared.table(
                    index,
                    &loaded.baseline,
                    &facts.identity.product,
                    opts.now,
                    &host,
                )
            });
            let mode = match (&table, opts.include_not_applicable) {
                (Some(table), list) => rpm::NotInstalled::Shared { table, list },
                (None, true) => rpm::NotInstalled::List,
                (None, false) => rpm::NotInstalled::Count,
            };
            rpm::evaluate_host(&ctx, installed, index, &host, mode)
        }
        (_, index) => {
            return Err(ScanError::FamilyMismatch {
                origin: facts.origin.clone(),
                host: os.family(),
                index: match index {
                    RepoIndex::Rpm(_) => OsFamily::Rpm,
                    RepoIndex::Apt(_) => OsFamily::Apt,
                },
            });
        }
    };
    for e in &eval.unused_entries {
        warnings.push(format!(
            "baseline entry {e:?} matches nothing in this scan (stale baseline?)"
        ));
    }
    let instance_id = opts
        .instance_id
        .clone()
        .or_else(|| facts.host_name.clone())
        .unwrap_or_else(|| facts.origin.clone());
    let mut report = HostReport::from_evaluation(
        eval,
        &ReportContext {
            instance_id: &instance_id,
            patch_group: &opts.patch_group,
            baseline_id: loaded.baseline.report_id(),
            start: opts.now,
            end: opts.now,
            include_not_applicable: opts.include_not_applicable,
        },
        warnings,
    );
    report.repositories = repositories;
    report.aws_baseline_id = loaded.baseline.aws_id().to_string();
    // The same id a fleet run gives this host at this time.
    report.patch_state.snapshot_id =
        crate::report::fleet::snapshot_id(&[&instance_id, &opts.now.to_string()]);
    Ok(report)
}

/// The warning for repositories that offer none of the host's packages: another
/// distribution's or release's, so nothing could be found missing and the host looks compliant.
fn unrelated_repositories(installed: usize) -> String {
    format!(
        "none of the host's {installed} installed packages is offered by the repositories: are they the host's distribution and release? nothing can be found missing"
    )
}

/// The enabled lists, for the report.
fn apt_repositories(index: &AptIndex, selection: &AptSelection) -> Vec<RepositoryRecord> {
    index
        .lists
        .iter()
        .enumerate()
        .filter(|(i, _)| selection.enabled[*i])
        .map(|(i, l)| {
            let rel = l.release.map(|r| &index.releases[r]);
            RepositoryRecord {
                path: l.path.display().to_string(),
                suite: rel
                    .map(|r| r.suite.clone())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| l.dist.clone()),
                codename: rel.map(|r| r.codename.clone()).unwrap_or_default(),
                origin: rel.map(|r| r.origin.clone()).unwrap_or_default(),
                component: l.component.clone(),
                architecture: l.arch.clone(),
                date: rel.and_then(|r| r.date).map(format_time),
                valid_until: rel.and_then(|r| r.valid_until).map(format_time),
                trusted: selection.trusted[i],
                security: selection.security[i],
            }
        })
        .collect()
}

/// Each enabled suite's Release date, and a warning when it is stale: `Valid-Until` passed,
/// or older than `--max-metadata-age`.
fn apt_warnings(
    index: &AptIndex,
    selection: &AptSelection,
    opts: &EvalOptions,
    warnings: &mut Vec<String>,
) {
    let mut seen = HashSet::new();
    for (i, l) in index.lists.iter().enumerate() {
        if !selection.enabled[i] {
            continue;
        }
        let Some(r) = l.release else {
            if seen.insert(usize::MAX - i) {
                warnings.push(format!(
                    "{}: no Release or InRelease file for this list (suite unknown, never security)",
                    l.path.display()
                ));
            }
            continue;
        };
        if !seen.insert(r) {
            continue;
        }
        let rel = &index.releases[r];
        let name = rel.path.display();
        match (rel.date, rel.valid_until) {
            (_, Some(until)) if until < opts.now => warnings.push(format!(
                "{name}: Release dated {} expired at {} (Valid-Until): the lists are stale",
                rel.date.map(format_time).unwrap_or_else(|| "?".into()),
                format_time(until)
            )),
            (Some(t), _) if stale(opts, t) => warnings.push(format!(
                "{name}: Release dated {} is older than {} days",
                format_time(t),
                opts.max_metadata_age_days
            )),
            (None, _) => warnings.push(format!("{name}: Release has no Date")),
            _ => {}
        }
    }
}

/// Whether metadata dated `t` is older than `--max-metadata-age` at the evaluation time.
fn stale(opts: &EvalOptions, t: i64) -> bool {
    opts.now - t > i64::from(opts.max_metadata_age_days) * 86_400
}

fn metadata_age_warnings(index: &UpdateIndex, opts: &EvalOptions, warnings: &mut Vec<String>) {
    for r in &index.repos {
        match r.timestamp {
            Some(t) if stale(opts, t) => {
                warnings.push(format!(
                    "{}: metadata dated {} is older than {} days",
                    r.path,
                    format_time(t),
                    opts.max_metadata_age_days
                ));
            }
            None => warnings.push(format!("{}: metadata has no date", r.path)),
            _ => {}
        }
    }
}

/// Scans one host root end to end: identify it, then read its package database and its
/// repositories side by side, then evaluate.
pub fn scan(opts: &ScanOptions) -> Result<HostReport, ScanError> {
    scan_keeping(opts).map(|(report, _, _)| report)
}

fn scan_keeping(opts: &ScanOptions) -> Result<(HostReport, HostFacts, RepoIndex), ScanError> {
    let root = RootFs::new(&opts.root)?;
    let identity = identify(&root, opts)?;
    let os = identity.operating_system;
    check_supported(os)?;
    let loaded = baseline_for(opts.baseline.as_deref(), os)?;
    let load_index = || match (os.family(), opts.repos.is_empty()) {
        (OsFamily::Apt, true) => load_host_apt_lists(&root),
        (OsFamily::Rpm | OsFamily::Suse, true) => load_cached_repositories(&root),
        (family, _) => load_repo_set(family, &opts.repos),
    };
    let (facts, index) = rayon::join(|| read_host_as(&root, identity), load_index);
    let (facts, index) = (facts?, index?);
    let report = evaluate(&facts, &index, &loaded, &opts.eval)?;
    Ok((report, facts, index))
}

/// [`scan`] for a process that exits right after: the host's facts and the repository index
/// are not freed (for a Debian archive's 65,000 versions that is 10–20 ms of `free` at the
/// end of a scan of about 60 ms).
pub fn scan_and_exit(opts: &ScanOptions) -> Result<HostReport, ScanError> {
    let (report, facts, index) = scan_keeping(opts)?;
    std::mem::forget(facts);
    std::mem::forget(index);
    Ok(report)
}

fn host_name(root: &RootFs) -> Option<String> {
    root.read_to_string("etc/hostname")
        .ok()
        .map(|(_, s)| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Reads repository directories into one update index.
pub fn load_index(dirs: &[PathBuf]) -> Result<UpdateIndex, ScanError> {
    load_index_in(dirs, Place::Scanner)
}

/// [`load_index`] for directories in `place` (a host root's cache).
pub fn load_index_in(dirs: &[PathBuf], place: Place<'_>) -> Result<UpdateIndex, ScanError> {
    use rayon::prelude::*;
    let repos: Vec<_> = dirs
        .par_iter()
        .map(|dir| crate::repo::rpmmd::read_repository_in(dir, place))
        .collect::<Result<_, _>>()?;
    let mut index = UpdateIndex::default();
    for meta in repos {
        index.add_rpm_repository(meta);
    }
    Ok(index)
}
