//! Running a fleet: every repository set read once and shared (`Arc`) by the hosts that use
//! it; hosts scanned in parallel (rayon) in batches, each batch written while the next ones
//! are scanned, in the same pool, so memory holds the indexes plus about three batches of
//! hosts.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::engine::rpm::SharedVerdicts;
use crate::fleet::manifest::{HostEntry, Manifest};
use crate::host::facts::HostFacts;
use crate::host::source::{HostSource, SourceKind};
use crate::repo::set::{self, RepoIndex, RepoSetError};
use crate::report::fleet::{snapshot_id, FleetHost, FleetSink, HostFailure, ReportError};
use crate::report::model::FailOn;
use crate::scan::{self, EvalOptions};
use crate::vocab::status::ComplianceStatus;

/// The default for [`RunOptions::host_timeout`]: far above any real host (a 3,000-package
/// root reads in well under a second), short enough that a stalled one does not hold a
/// nightly run.
pub const DEFAULT_HOST_TIMEOUT: Duration = Duration::from_secs(300);

/// How to run a fleet.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads (hosts in flight).
    pub jobs: usize,
    /// "Now", UNIX seconds UTC.
    pub now: i64,
    /// Hosts per batch handed to the writers.
    pub batch: usize,
    /// Draw a progress bar on stderr (only when it is a terminal).
    pub progress: bool,
    /// Warn when repository metadata is older than this many days.
    pub max_metadata_age_days: u32,
    /// How long reading one host's source may take before the host is failed.
    pub host_timeout: Duration,
    /// List NotApplicable patches in the patches table too (they are always counted).
    pub include_not_applicable: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            now: 0,
            batch: 256,
            progress: true,
            max_metadata_age_days: 30,
            host_timeout: DEFAULT_HOST_TIMEOUT,
            include_not_applicable: false,
        }
    }
}

/// What a fleet run did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub hosts: usize,
    pub compliant: usize,
    pub non_compliant: usize,
    pub failed: usize,
    /// How many scanned hosts meet each `--fail-on` condition that any host meets.
    pub meeting: std::collections::HashMap<FailOn, usize>,
    /// The files written, in the order the writers finished them.
    pub files: Vec<PathBuf>,
    pub elapsed: Duration,
}

/// Why a fleet run stopped (a host that fails is a record, not an error).
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("repository set {id:?}: {source}")]
    RepoSet {
        id: String,
        #[source]
        source: RepoSetError,
    },
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("cannot start {jobs} worker threads: {message}")]
    Threads { jobs: usize, message: String },
}

/// Reads every repository set of the manifest once, in parallel.
fn load_sets(manifest: &Manifest) -> Result<HashMap<String, Arc<RepoIndex>>, FleetError> {
    manifest
        .repo_sets
        .par_iter()
        .map(|set| {
            set::load_repo_set(set.family(), &set.repos)
                .map(|index| (set.id.clone(), Arc::new(index)))
                .map_err(|source| FleetError::RepoSet {
                    id: set.id.clone(),
                    source,
                })
        })
        .collect()
}

/// A host's record before anything is known beyond the manifest.
fn blank_host(entry: &HostEntry, opts: &RunOptions) -> FleetHost {
    FleetHost {
        host_id: entry.id.clone(),
        instance_id: entry.instance_id.clone(),
        source: entry.source.display().to_string(),
        source_kind: "unknown",
        patch_group: entry.patch_group.clone(),
        operating_system: None,
        product: None,
        platform_name: None,
        repo_set: entry.repo_set.clone(),
        baseline_id: None,
        scan_time: opts.now,
        snapshot_id: snapshot_id(&[&entry.instance_id, &opts.now.to_string()]),
        outcome: Err(Arc::new(Failure::NotScanned)),
    }
}

/// How a host fails in a fleet run beyond its readers' and the pipeline's own errors.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The record before the host was scanned (never written: every host is scanned).
    #[error("not scanned")]
    NotScanned,
    /// Reading the host's files did not finish within `--host-timeout`.
    #[error("reading this host did not finish within {secs} s (--host-timeout); its files may be on a file system that stopped answering, or far larger than real hosts'")]
    TimedOut { secs: f64 },
    /// The reader thread could not be started.
    #[error("cannot start a thread to read this host: {0}")]
    Thread(String),
    /// The reader thread ended without an answer.
    #[error("internal error while reading this host (a patchscan bug): the reader stopped without an answer")]
    ReaderLost,
    /// The manifest gives this host no repository set or baseline.
    #[error("{0}")]
    Manifest(String),
    /// Its repository set was not loaded.
    #[error("repository set {0:?} was not loaded")]
    SetNotLoaded(String),
    /// Scanning it panicked (a bug); the run went on.
    #[error("internal error while scanning this host (a patchscan bug): {0}")]
    Panicked(String),
}

fn failed(e: impl std::error::Error + Send + Sync + 'static) -> HostFailure {
    Arc::new(e)
}

/// Scans one host; every failure becomes the record's error.
fn scan_host<'a>(
    entry: &HostEntry,
    manifest: &'a Manifest,
    indexes: &'a HashMap<String, Arc<RepoIndex>>,
    shared: &SharedVerdicts<'a>,
    opts: &RunOptions,
) -> FleetHost {
    let mut host = blank_host(entry, opts);
    let outcome = (|| -> Result<_, HostFailure> {
        let (kind, facts) = read_within(entry, opts.host_timeout)?;
        host.source_kind = kind.as_str();
        let facts = facts?;
        let os = facts.identity.operating_system;
        host.operating_system = Some(os.as_str().to_string());
        host.product = Some(facts.identity.product.clone());
        host.platform_name = Some(facts.identity.pretty_name.clone()).filter(|p| !p.is_empty());
        let set = manifest
            .repo_set_for(entry, os)
            .map_err(|e| failed(Failure::Manifest(e)))?;
        host.repo_set = Some(set.id.clone());
        let index = indexes
            .get(&set.id)
            .ok_or_else(|| failed(Failure::SetNotLoaded(set.id.clone())))?;
        let baseline = manifest
            .baseline_ref(&entry.patch_group, os)
            .map_err(|e| failed(Failure::Manifest(e)))?;
        host.baseline_id = Some(baseline.baseline.report_id().to_string());
        let eval = EvalOptions {
            instance_id: Some(entry.instance_id.clone()),
            patch_group: entry.patch_group.clone(),
            now: opts.now,
            max_metadata_age_days: opts.max_metadata_age_days,
            include_not_applicable: opts.include_not_applicable,
            ..Default::default()
        };
        let mut report =
            scan::evaluate_shared(&facts, index, baseline, &eval, shared).map_err(failed)?;
        report.patch_state.snapshot_id = host.snapshot_id.clone();
        Ok(report)
    })();
    host.outcome = outcome;
    host
}

/// A host's source kind, when it could be told, and its facts or why they could not be read.
type ReadOutcome = (SourceKind, Result<HostFacts, HostFailure>);

/// Reads a host's source on a thread of its own, waiting for it at most `limit`. A read that
/// does not finish (a file system that stops answering, an input no check foresaw) fails
/// this host with a message; its thread is left behind, and the run goes on. Evaluation,
/// which works on what was read under the readers' size limits, is not timed.
fn read_within(entry: &HostEntry, limit: Duration) -> Result<ReadOutcome, HostFailure> {
    let (tx, rx) = std::sync::mpsc::channel::<Result<ReadOutcome, HostFailure>>();
    let path = entry.source.clone();
    let overrides = entry.overrides.clone();
    std::thread::Builder::new()
        .name("patchscan-read".into())
        .spawn(move || {
            let outcome = HostSource::detect(&path)
                .map(|source| {
                    let facts = source.read(&overrides).map_err(failed);
                    (source.kind, facts)
                })
                .map_err(failed);
            // The receiver is gone when the host timed out.
            let _ = tx.send(outcome);
        })
        .map_err(|e| failed(Failure::Thread(e.to_string())))?;
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(failed(Failure::TimedOut {
            secs: limit.as_secs_f64(),
        })),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(failed(Failure::ReaderLost)),
    }
}

/// Scans one host, turning a panic (a bug) into that host's error so the run goes on.
fn scan_host_guarded<'a>(
    entry: &HostEntry,
    manifest: &'a Manifest,
    indexes: &'a HashMap<String, Arc<RepoIndex>>,
    shared: &SharedVerdicts<'a>,
    opts: &RunOptions,
) -> FleetHost {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan_host(entry, manifest, indexes, shared, opts)
    }))
    .unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        FleetHost {
            outcome: Err(failed(Failure::Panicked(message))),
            ..blank_host(entry, opts)
        }
    })
}

fn progress_bar(hosts: usize, wanted: bool) -> indicatif::ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(hosts as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {pos}/{len} hosts [{bar:40}] {per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Hands one batch to every sink.
fn write_batch(sinks: &mut [Box<dyn FleetSink>], batch: &[FleetHost]) -> Result<(), ReportError> {
    for sink in sinks.iter_mut() {
        sink.write(batch)?;
    }
    Ok(())
}

/// Runs the fleet, streaming results to `sinks` in manifest order.
pub fn run(
    manifest: &Manifest,
    opts: &RunOptions,
    mut sinks: Vec<Box<dyn FleetSink>>,
) -> Result<RunSummary, FleetError> {
    let start = Instant::now();
    let jobs = opts.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("patchscan-fleet-{i}"))
        .build()
        .map_err(|e| FleetError::Threads {
            jobs,
            message: e.to_string(),
        })?;
    let indexes = pool.install(|| load_sets(manifest))?;
    let shared = SharedVerdicts::default();

    let bar = progress_bar(manifest.hosts.len(), opts.progress);
    let mut summary = RunSummary::default();
    // Batches are scanned on this thread's behalf and written on a writer thread's, both as
    // jobs of the one pool: `--jobs` threads do all the work, a worker taking whichever job is
    // waiting (one job means one thread). The writer takes batches in manifest order through
    // a one-slot channel, so scanning runs at most a batch ahead of the batch in the channel:
    // memory holds about three batches of hosts.
    let written = std::thread::scope(|scope| -> Result<Vec<PathBuf>, ReportError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<FleetHost>>(1);
        let pool = &pool;
        let writer = std::thread::Builder::new()
            .name("patchscan-writer".into())
            .spawn_scoped(scope, move || -> Result<Vec<PathBuf>, ReportError> {
                // Each batch is freed once written, by the pool's threads side by side (freed
                // here on the writer thread alone, the frees left a core idle for a tenth of
                // each batch's time).
                for batch in rx {
                    pool.install(|| {
                        write_batch(&mut sinks, &batch)?;
                        batch.into_par_iter().for_each(drop);
                        Ok::<(), ReportError>(())
                    })?;
                }
                pool.install(|| {
                    let mut files = Vec::new();
                    for sink in sinks.iter_mut() {
                        files.extend(sink.finish()?);
                    }
                    Ok(files)
                })
            })
            .map_err(|e| ReportError::Thread(e.to_string()))?;
        for chunk in manifest.hosts.chunks(opts.batch.max(1)) {
            let batch = pool.install(|| {
                chunk
                    .par_iter()
                    .map(|entry| {
                        let host = scan_host_guarded(entry, manifest, &indexes, &shared, opts);
                        bar.inc(1);
                        host
                    })
                    .collect::<Vec<FleetHost>>()
            });
            for h in &batch {
                summary.hosts += 1;
                if let Ok(report) = &h.outcome {
                    for condition in FailOn::ALL {
                        if condition.met_by(report) {
                            *summary.meeting.entry(condition).or_default() += 1;
                        }
                    }
                }
                match h.status() {
                    ComplianceStatus::Compliant => summary.compliant += 1,
                    ComplianceStatus::NonCompliant => summary.non_compliant += 1,
                    ComplianceStatus::ScanFailed => summary.failed += 1,
                }
            }
            // A writer that stopped (an error) no longer receives: its error is the outcome.
            if tx.send(batch).is_err() {
                break;
            }
        }
        drop(tx);
        writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    bar.finish_and_clear();
    summary.files = written?;
    summary.elapsed = start.elapsed();
    Ok(summary)
}
