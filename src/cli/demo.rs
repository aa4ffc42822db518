//! `patchscan demo`: the bundled demo fleet (repodata-fixtures/demo, made by real rpm,
//! createrepo_c and dpkg tools) end to end — scan, Parquet under ./patchscan-out, report.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};
use clap::Args;

use crate::cli::fleet::{report_summary, run_manifest, OutputFormat};
use patchscan::exit;
use patchscan::fleet::{Manifest, RunOptions};
use patchscan::report::parquet::read_fleet_view;

/// Arguments of `patchscan demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output directory.
    #[arg(long, default_value = "patchscan-out")]
    out: PathBuf,
    /// The demo fleet's manifest (default: repodata-fixtures/demo/fleet.toml of this checkout).
    #[arg(long)]
    manifest: Option<PathBuf>,
}

/// The demo fleet of the checkout the command runs in (the current directory or any above
/// it), else of the one the binary was built from.
fn demo_manifest() -> Option<PathBuf> {
    let rel = "repodata-fixtures/demo/fleet.toml";
    let here = std::env::current_dir().ok();
    let checkouts = here.iter().flat_map(|d| d.ancestors().map(|a| a.join(rel)));
    checkouts
        .chain(std::iter::once(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel),
        ))
        .find(|p| p.is_file())
}

pub fn run(args: DemoArgs) -> Result<i32> {
    let Some(path) = args.manifest.or_else(demo_manifest) else {
        bail!("repodata-fixtures/demo/fleet.toml not found: run `patchscan demo` from a patchscan checkout, or pass --manifest");
    };
    let manifest = Manifest::load(&path).map_err(|e| anyhow!(e))?;
    let opts = RunOptions {
        now: manifest.now.unwrap_or(0),
        progress: crate::cli::ui::chatty(),
        ..Default::default()
    };
    println!(
        "Demo fleet: {} ({} hosts)",
        path.display(),
        manifest.hosts.len()
    );
    let (summary, failures) =
        run_manifest(&manifest, &args.out, &opts, &[OutputFormat::Parquet], None)?;
    for file in &summary.files {
        println!("wrote {}", file.display());
    }
    let code = report_summary(&summary, &failures, &[]);
    println!();
    print!(
        "{}",
        read_fleet_view(&args.out, 10)
            .map_err(|e| anyhow!(e))?
            .to_text()
    );
    println!(
        "\nNext: `patchscan report {}` reads the tables back; query them with polars, DuckDB or pyarrow.",
        args.out.display()
    );
    // The demo fleet holds one deliberately broken image; that is the demo working.
    Ok(
        if code == exit::PARTIAL && summary.failed == expected_failures(&manifest) {
            exit::OK
        } else {
            code
        },
    )
}

/// Hosts of the demo manifest whose id says they are broken on purpose (`broken-…`).
fn expected_failures(manifest: &Manifest) -> usize {
    manifest
        .hosts
        .iter()
        .filter(|h| h.id.starts_with("broken-"))
        .count()
}
