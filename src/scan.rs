//! One host, end to end: identify it, read what is installed and its repository set side by
//! side, evaluate the baseline and build the report. The pipeline only: host facts are read by
//! [`crate::host::facts`], repository sets by [`crate::repo::set`].

use std::collections::HashSet;
use std::path::PathBuf;

use crate::baseline::{self, OperatingSystem, OsFamily};
use crate::engine::approval::Context;
use crate::engine::decision::HostOptions;
use crate::engine::rpm;
use crate::host::facts::{self, HostError, HostFacts, Installed};
use crate::host::source::{HostSource, Overrides, SourceError, SourceKind};
use crate::repo::apt::{AptIndex, AptSelection};
use crate::repo::index::UpdateIndex;
use crate::repo::set::{self, RepoIndex, RepoSetError};
use crate::report::model::{HostReport, ReportContext, RepositoryRecord};
use crate::vocab::time::format_time;
use crate::vocab::warning::{Warning, WarningCode};

/// What to scan and how.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// The host: a root directory (`/` for the running host, or a mounted/unpacked image), or
    /// as `kind` says, a tar archive of one, a disk image or an inventory file.
    pub root: PathBuf,
    /// What `root` is.
    pub kind: SourceKind,
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
    /// Its facts could not be read.
    #[error(transparent)]
    Host(#[from] HostError),
    /// Its repository set could not be read.
    #[error(transparent)]
    RepoSet(#[from] RepoSetError),
    #[error(transparent)]
    RootFs(#[from] crate::files::rootfs::RootFsError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{}: an inventory file holds no repository metadata; pass --repo", .0.display())]
    InventoryWithoutRepos(PathBuf),
    #[error(transparent)]
    Baseline(#[from] baseline::BaselineError),
    #[error("{0} has no predefined default baseline; pass --baseline")]
    NoDefaultBaseline(OperatingSystem),
    #[error("{root}: none of the apt lists in {lists} belongs to a source configured in etc/apt/sources.list, sources.list.d/*.list or *.sources ({configured} configured; run `apt-get update` on the host, or pass --repo)")]
    NoConfiguredLists {
        root: PathBuf,
        lists: String,
        configured: usize,
    },
    #[error("{origin}: a {host:?}-family host cannot be evaluated against {index:?}-family repositories")]
    FamilyMismatch {
        origin: String,
        host: OsFamily,
        index: OsFamily,
    },
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
    let mut warnings: Vec<Warning> = loaded
        .warnings
        .iter()
        .map(|w| {
            Warning::new(
                WarningCode::Baseline,
                // The warning's level is the Warning itself: not "warning: " twice.
                format!(
                    "baseline {}: {}: {}",
                    loaded.baseline.origin, w.field, w.message
                ),
            )
        })
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
                    warnings.push(Warning::new(
                        WarningCode::NoAptSources,
                        "no apt sources configured (etc/apt/sources.list, sources.list.d/): every list in var/lib/apt/lists counts, trusted",
                    ));
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
        warnings.push(Warning::new(
            WarningCode::UnusedBaselineEntry,
            format!("baseline entry {e:?} matches nothing in this scan (stale baseline?)"),
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
fn unrelated_repositories(installed: usize) -> Warning {
    Warning::new(WarningCode::UnrelatedRepositories, format!(
        "none of the host's {installed} installed packages is offered by the repositories: are they the host's distribution and release? nothing can be found missing"
    ))
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
    warnings: &mut Vec<Warning>,
) {
    let mut seen = HashSet::new();
    for (i, l) in index.lists.iter().enumerate() {
        if !selection.enabled[i] {
            continue;
        }
        let Some(r) = l.release else {
            if seen.insert(usize::MAX - i) {
                warnings.push(Warning::new(
                    WarningCode::ListWithoutRelease,
                    format!(
                        "{}: no Release or InRelease file for this list (suite unknown, never security)",
                        l.path.display()
                    ),
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
            (_, Some(until)) if until < opts.now => warnings.push(Warning::new(
                WarningCode::ReleaseExpired,
                format!(
                    "{name}: Release dated {} expired at {} (Valid-Until): the lists are stale",
                    rel.date.map(format_time).unwrap_or_else(|| "?".into()),
                    format_time(until)
                ),
            )),
            (Some(t), _) if stale(opts, t) => warnings.push(Warning::new(
                WarningCode::StaleMetadata,
                format!(
                    "{name}: Release dated {} is older than {} days",
                    format_time(t),
                    opts.max_metadata_age_days
                ),
            )),
            (None, _) => warnings.push(Warning::new(
                WarningCode::UndatedMetadata,
                format!("{name}: Release has no Date"),
            )),
            _ => {}
        }
    }
}

/// Whether metadata dated `t` is older than `--max-metadata-age` at the evaluation time.
fn stale(opts: &EvalOptions, t: i64) -> bool {
    opts.now - t > i64::from(opts.max_metadata_age_days) * 86_400
}

fn metadata_age_warnings(index: &UpdateIndex, opts: &EvalOptions, warnings: &mut Vec<Warning>) {
    for r in &index.repos {
        match r.timestamp {
            Some(t) if stale(opts, t) => {
                warnings.push(Warning::new(
                    WarningCode::StaleMetadata,
                    format!(
                        "{}: metadata dated {} is older than {} days",
                        r.path,
                        format_time(t),
                        opts.max_metadata_age_days
                    ),
                ));
            }
            None => warnings.push(Warning::new(
                WarningCode::UndatedMetadata,
                format!("{}: metadata has no date", r.path),
            )),
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
    let overrides = Overrides {
        os: opts.os,
        product: opts.product.clone(),
    };
    let source = HostSource::of_kind(&opts.root, opts.kind);
    let Some(root) = source.root()? else {
        return scan_inventory(opts, &source, &overrides);
    };
    let identity = facts::identify(&root, &overrides)?;
    let os = identity.operating_system;
    facts::check_supported(os)?;
    let loaded = baseline_for(opts.baseline.as_deref(), os)?;
    let load_index = || match (os.family(), opts.repos.is_empty()) {
        (OsFamily::Apt, true) => set::load_host_apt_lists(&root),
        (OsFamily::Rpm | OsFamily::Suse, true) => set::load_cached_repositories(&root),
        (family, _) => set::load_repo_set(family, &opts.repos),
    };
    let (facts, index) = rayon::join(|| facts::read_host_as(&root, identity), load_index);
    root.damage()?;
    let (facts, index) = (facts?, index?);
    let report = evaluate(&facts, &index, &loaded, &opts.eval)?;
    Ok((report, facts, index))
}

/// An inventory file's host against the repositories given.
fn scan_inventory(
    opts: &ScanOptions,
    source: &HostSource,
    overrides: &Overrides,
) -> Result<(HostReport, HostFacts, RepoIndex), ScanError> {
    if opts.repos.is_empty() {
        return Err(ScanError::InventoryWithoutRepos(source.path.clone()));
    }
    let facts = source.read(overrides)?;
    let os = facts.identity.operating_system;
    facts::check_supported(os)?;
    let loaded = baseline_for(opts.baseline.as_deref(), os)?;
    let index = set::load_repo_set(os.family(), &opts.repos)?;
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
