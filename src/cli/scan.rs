//! `patchscan scan`: Patch Manager's verdict for one host, from files alone.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::{Args, ValueEnum};

use patchscan::baseline::OperatingSystem;
use patchscan::exit;
use patchscan::host::source::SourceKind;
use patchscan::report::{aws_cli, table};
use patchscan::scan::{self, EvalOptions, ScanOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Table,
    /// patchscan's own JSON (docs/output-schema.md, "Scan JSON").
    Json,
    /// `aws ssm describe-instance-patch-states` as the AWS CLI v2 prints it.
    Aws,
    /// `aws ssm describe-instance-patches` as the AWS CLI v2 prints it.
    AwsPatches,
}

/// Arguments of `patchscan scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Host root: `/` (default) or a mounted/unpacked machine image.
    #[arg(long, default_value = "/", conflicts_with_all = ["image", "tar", "inventory"])]
    root: PathBuf,
    /// A disk image instead of a root: a raw disk (`coldsnap download`, `dd` of a volume) or
    /// a file system image, read without mounting or root (`patchscan image inspect` shows
    /// what is found in it).
    #[arg(long, conflicts_with_all = ["tar", "inventory"])]
    image: Option<PathBuf>,
    /// A tar archive of a root instead (plain, gzip, zstd, xz or bzip2), read in place.
    #[arg(long, conflicts_with = "inventory")]
    tar: Option<PathBuf>,
    /// An inventory file instead (docs/fleets.md, "Inventory files"); needs --repo.
    #[arg(long)]
    inventory: Option<PathBuf>,
    /// A repository directory (repeatable): rpm-md (holding repodata/), or for Debian/Ubuntu
    /// an apt tree (dists/<suite>/), one suite of it, a flat repository or a directory of apt
    /// lists; default: the host's own dnf/yum/zypper cache or var/lib/apt/lists under the root.
    #[arg(long = "repo")]
    repos: Vec<PathBuf>,
    /// Predefined baseline name or baseline file (get-patch-baseline, create input or a
    /// BaselineOverride array); default: AWS's default baseline for the host's OS.
    #[arg(long)]
    baseline: Option<String>,
    /// Override the detected OperatingSystem (e.g. AMAZON_LINUX_2023).
    #[arg(long, value_parser = OperatingSystem::parse_arg)]
    os: Option<OperatingSystem>,
    /// Override the detected PRODUCT string (e.g. AmazonLinux2023, RedhatEnterpriseLinux9.4).
    #[arg(long)]
    product: Option<String>,
    /// Host architecture (e.g. x86_64, aarch64); default: the arches of installed packages.
    #[arg(long)]
    arch: Option<String>,
    /// Managed-node id to report (default: the host name).
    #[arg(long)]
    instance_id: Option<String>,
    /// Patch group to report.
    #[arg(long, default_value = "")]
    patch_group: String,
    /// Evaluation time: RFC 3339, YYYY-MM-DD or UNIX seconds, UTC (default: now).
    #[arg(long, value_parser = patchscan::vocab::time::parse_time)]
    now: Option<i64>,
    /// Last boot time: packages installed after it are InstalledPendingReboot.
    #[arg(long, value_parser = patchscan::vocab::time::parse_time)]
    boot_time: Option<i64>,
    /// Warn when repository metadata is older than this many days.
    #[arg(long, default_value_t = 30)]
    max_metadata_age: u32,
    /// List NotApplicable patches too (they are always counted).
    #[arg(long)]
    include_not_applicable: bool,
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    format: ScanFormat,
    /// Add the reason for each decision to the table.
    #[arg(long)]
    explain: bool,
    /// Exit 1 when the host meets any of these (comma-separated or repeated:
    /// `--fail-on critical,warnings`).
    #[arg(long, value_enum, value_delimiter = ',')]
    fail_on: Vec<crate::cli::FailOnArg>,
}

fn running_kernel(args: &ScanArgs) -> Option<String> {
    // Only a live scan of this machine knows the running kernel.
    if args.root != std::path::Path::new("/")
        || args.image.is_some()
        || args.tar.is_some()
        || args.inventory.is_some()
    {
        return None;
    }
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string())
}

pub fn run(args: ScanArgs) -> Result<i32> {
    let now = match args.now {
        Some(n) => n,
        None => time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let (root, kind) = match (&args.image, &args.tar, &args.inventory) {
        (Some(p), _, _) => (p.clone(), SourceKind::Image),
        (_, Some(p), _) => (p.clone(), SourceKind::Archive),
        (_, _, Some(p)) => (p.clone(), SourceKind::Inventory),
        _ => (args.root.clone(), SourceKind::Root),
    };
    let opts = ScanOptions {
        root,
        kind,
        repos: args.repos.clone(),
        baseline: args.baseline.clone(),
        os: args.os,
        product: args.product.clone(),
        eval: EvalOptions {
            instance_id: args.instance_id.clone(),
            patch_group: args.patch_group.clone(),
            now,
            boot_time: args.boot_time,
            running_kernel: running_kernel(&args),
            arch: args.arch.clone(),
            include_not_applicable: args.include_not_applicable,
            max_metadata_age_days: args.max_metadata_age,
        },
    };
    // The process ends after printing: skip freeing the index.
    let started = std::time::Instant::now();
    let mut report = scan::scan_and_exit(&opts).map_err(|e| anyhow!(e))?;
    if let Some(image) = &args.image {
        let size = std::fs::metadata(image).map(|m| m.len()).unwrap_or(0);
        let read = patchscan::disk::block::bytes_read_in_process();
        crate::cli::ui::note(&format!(
            "{}: read {read} of its {size} bytes ({:.4}%)",
            image.display(),
            100.0 * read as f64 / size.max(1) as f64
        ));
    }
    let s = &report.patch_state;
    crate::cli::ui::note(&format!(
        "{}: {} installed, {} missing, {} not applicable, baseline {}, in {:.1} ms",
        opts.root.display(),
        s.installed_count
            + s.installed_other_count
            + s.installed_pending_reboot_count
            + s.installed_rejected_count,
        s.missing_count,
        s.not_applicable_count,
        report.aws_baseline_id,
        started.elapsed().as_secs_f64() * 1e3
    ));
    match args.format {
        ScanFormat::Json => {
            let mut out = std::io::stdout().lock();
            report.write_json_pretty(&mut out)?;
            writeln!(out)?;
        }
        ScanFormat::Table => {
            let colour = crate::cli::ui::colour(std::io::stdout().is_terminal());
            print!("{}", table::render(&report, colour, args.explain));
        }
        ScanFormat::Aws => print!(
            "{}",
            aws_cli::instance_patch_states(&report, &report.aws_baseline_id)
        ),
        ScanFormat::AwsPatches => print!("{}", aws_cli::instance_patches(&report)),
    }
    for w in &report.warnings {
        crate::cli::ui::warn(&w.to_string());
    }
    let failed = args.fail_on.iter().any(|f| f.condition().met_by(&report));
    Ok(if failed {
        exit::JUDGEMENT_FAILED
    } else {
        exit::OK
    })
}
