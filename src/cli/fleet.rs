//! `patchscan fleet`: every host of a manifest, in parallel, into Parquet/CSV/JSON Lines
//! tables and AWS inventory payloads.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, ValueEnum};

use patchscan::exit;
use patchscan::fleet::{self, Manifest, RunOptions, RunSummary};
use patchscan::report::aws::{is_managed_node_id, AwsInventorySink};
use patchscan::report::csv::CsvTable;
use patchscan::report::fleet::{FleetSink, PartitionBy, TableSink};
use patchscan::report::jsonl::JsonlTable;
use patchscan::report::outdir::OutputDir;
use patchscan::report::parquet::ParquetTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// summaries.parquet and patches.parquet
    Parquet,
    /// summaries.csv and patches.csv (the same columns)
    Csv,
    /// summaries.jsonl and patches.jsonl (the same columns)
    Jsonl,
    /// aws-inventory/<InstanceId>.json: PutInventory items per host
    AwsInventory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Partition {
    /// ScanDate=YYYY-MM-DD/
    Date,
    /// PatchGroup=<group>/
    PatchGroup,
}

/// Arguments of `patchscan fleet`.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The fleet manifest (TOML; see docs/fleets.md, "Fleet manifest").
    manifest: PathBuf,
    /// Output directory.
    #[arg(long, default_value = "patchscan-out")]
    out: PathBuf,
    /// Threads for the whole run: scanning, and writing while the next batch is scanned
    /// (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Evaluation time: RFC 3339, YYYY-MM-DD or UNIX seconds, UTC (default: the manifest's
    /// `now`, else the current time).
    #[arg(long, value_parser = patchscan::vocab::time::parse_time)]
    now: Option<i64>,
    /// Output formats (repeat or comma-separate).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "parquet")]
    format: Vec<OutputFormat>,
    /// Write hive-style partitions instead of one file per table.
    #[arg(long, value_enum)]
    partition_by: Option<Partition>,
    /// Hosts per batch handed to the writers (bounds memory).
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// Warn when repository metadata is older than this many days.
    #[arg(long, default_value_t = 30)]
    max_metadata_age: u32,
    /// Seconds reading one host may take before that host is failed (the run goes on).
    #[arg(long, default_value_t = patchscan::fleet::run::DEFAULT_HOST_TIMEOUT.as_secs_f64(), value_parser = parse_timeout)]
    host_timeout: f64,
    /// List NotApplicable patches in the patches table too (they are always counted).
    #[arg(long)]
    include_not_applicable: bool,
    /// Exit 1 when any host meets any of these (comma-separated or repeated; a run where
    /// hosts could not be scanned exits 3 first).
    #[arg(long, value_enum, value_delimiter = ',')]
    fail_on: Vec<crate::cli::FailOnArg>,
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t.is_finite() && t <= 1e9 => Ok(t),
        _ => Err(format!("{s:?} is not a number of seconds above 0")),
    }
}

/// The writers for the requested formats.
pub fn sinks(
    out: &Path,
    formats: &[OutputFormat],
    partition: Option<PartitionBy>,
) -> Vec<Box<dyn FleetSink>> {
    let mut sinks: Vec<Box<dyn FleetSink>> = Vec::new();
    let mut seen = Vec::new();
    for f in formats {
        if seen.contains(f) {
            continue;
        }
        seen.push(*f);
        sinks.push(match f {
            OutputFormat::Parquet => {
                Box::new(TableSink::<ParquetTable>::new(out, "parquet", partition))
            }
            OutputFormat::Csv => Box::new(TableSink::<CsvTable>::new(out, "csv", partition)),
            OutputFormat::Jsonl => Box::new(TableSink::<JsonlTable>::new(out, "jsonl", partition)),
            OutputFormat::AwsInventory => Box::new(AwsInventorySink::new(out)),
        });
    }
    sinks
}

/// Fails when AWS inventory payloads are wanted for hosts without a managed-node id.
pub fn check_managed_ids(manifest: &Manifest) -> Result<()> {
    let lacking: Vec<String> = manifest
        .hosts
        .iter()
        .filter(|h| !is_managed_node_id(&h.instance_id))
        .map(|h| format!("  {} ({})", h.id, h.declared))
        .collect();
    if !lacking.is_empty() {
        bail!(
            "{}: --format aws-inventory needs a managed-node id (i-… or mi-…) for every host; give these an instance_id:\n{}",
            manifest.path.display(),
            lacking.join("\n")
        );
    }
    Ok(())
}

/// Prints what the run did and returns the exit code: 3 when some hosts failed, else 1 when
/// a host meets a `fail_on` condition, else 0.
pub fn report_summary(
    summary: &RunSummary,
    failures: &[(String, String)],
    fail_on: &[crate::cli::FailOnArg],
) -> i32 {
    println!(
        "{} hosts: {} compliant, {} non-compliant, {} could not be scanned ({:.2} s)",
        summary.hosts,
        summary.compliant,
        summary.non_compliant,
        summary.failed,
        summary.elapsed.as_secs_f64()
    );
    let shown = 20;
    for (id, error) in failures.iter().take(shown) {
        eprintln!("patchscan: host {id}: {error}");
    }
    if failures.len() > shown {
        eprintln!(
            "patchscan: … and {} more hosts failed (see the Error column)",
            failures.len() - shown
        );
    }
    let met: Vec<String> = fail_on
        .iter()
        .filter_map(|f| {
            let hosts = summary.meeting.get(&f.condition()).copied().unwrap_or(0);
            (hosts > 0).then(|| {
                let name = f.to_possible_value().map(|v| v.get_name().to_string());
                format!("{hosts} hosts meet --fail-on {}", name.unwrap_or_default())
            })
        })
        .collect();
    if !met.is_empty() {
        eprintln!("patchscan: {}", met.join("; "));
    }
    if summary.failed > 0 {
        exit::PARTIAL
    } else if !met.is_empty() {
        exit::JUDGEMENT_FAILED
    } else {
        exit::OK
    }
}

/// Runs a loaded manifest with the given options and formats.
pub fn run_manifest(
    manifest: &Manifest,
    out: &Path,
    opts: &RunOptions,
    formats: &[OutputFormat],
    partition: Option<PartitionBy>,
) -> Result<(RunSummary, Vec<(String, String)>)> {
    // polars encodes Parquet columns on a thread pool of its own, sized once per process from
    // POLARS_MAX_THREADS (default: every core): hold it to `--jobs` too, unless the user set it.
    if std::env::var_os("POLARS_MAX_THREADS").is_none() {
        std::env::set_var("POLARS_MAX_THREADS", opts.jobs.max(1).to_string());
    }
    let failures = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    // Written into a fresh directory beside `out`, locked against another run, and swapped
    // into place whole at the end: never a mix of two runs, never half a run.
    let dir = OutputDir::begin(out).map_err(|e| anyhow!(e))?;
    let mut all = sinks(dir.staging(), formats, partition);
    all.push(Box::new(FailureLog(failures.clone())));
    let mut summary = fleet::run(manifest, opts, all).map_err(|e| anyhow!(e))?;
    let marker = serde_json::json!({
        "patchscan": env!("CARGO_PKG_VERSION"),
        "now": opts.now,
        "hosts": summary.hosts,
        "failed": summary.failed,
        "files": summary.files.iter().filter_map(|f| f.strip_prefix(dir.staging()).ok()).map(|f| f.display().to_string()).collect::<Vec<_>>(),
    });
    summary.files = dir
        .commit(&summary.files, &format!("{marker:#}\n"))
        .map_err(|e| anyhow!(e))?;
    let failures = failures.lock().map(|f| f.clone()).unwrap_or_default();
    Ok((summary, failures))
}

/// Collects failed hosts' reasons for the closing message.
struct FailureLog(std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>);

impl FleetSink for FailureLog {
    fn write(
        &mut self,
        batch: &[patchscan::report::fleet::FleetHost],
    ) -> Result<(), patchscan::report::fleet::ReportError> {
        if let Ok(mut log) = self.0.lock() {
            for h in batch {
                if let Err(e) = &h.outcome {
                    log.push((h.host_id.clone(), e.to_string()));
                }
            }
        }
        Ok(())
    }
    fn finish(&mut self) -> Result<Vec<PathBuf>, patchscan::report::fleet::ReportError> {
        Ok(Vec::new())
    }
}

pub fn run(args: FleetArgs) -> Result<i32> {
    let manifest = Manifest::load(&args.manifest).map_err(|e| anyhow!(e))?;
    if args.format.contains(&OutputFormat::AwsInventory) {
        check_managed_ids(&manifest)?;
    }
    let now = args
        .now
        .or(manifest.now)
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp());
    let mut opts = RunOptions {
        now,
        batch: args.batch,
        max_metadata_age_days: args.max_metadata_age,
        host_timeout: std::time::Duration::from_secs_f64(args.host_timeout),
        include_not_applicable: args.include_not_applicable,
        progress: crate::cli::ui::chatty(),
        ..Default::default()
    };
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        opts.jobs = jobs;
    }
    let partition = args.partition_by.map(|p| match p {
        Partition::Date => PartitionBy::Date,
        Partition::PatchGroup => PartitionBy::PatchGroup,
    });
    crate::cli::ui::note(&format!(
        "{}: {} hosts, {} repository sets, {} threads",
        args.manifest.display(),
        manifest.hosts.len(),
        manifest.repo_sets.len(),
        opts.jobs
    ));
    let (summary, failures) = run_manifest(&manifest, &args.out, &opts, &args.format, partition)
        .with_context(|| format!("fleet {}", args.manifest.display()))?;
    for file in &summary.files {
        crate::cli::ui::note(&format!("wrote {}", file.display()));
    }
    println!(
        "wrote {} files under {}",
        summary.files.len(),
        args.out.display()
    );
    Ok(report_summary(&summary, &failures, &args.fail_on))
}
