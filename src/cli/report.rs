//! `patchscan report`: the fleet view of a fleet run's Parquet tables.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::{Args, ValueEnum};

use patchscan::exit;
use patchscan::report::parquet::read_fleet_view;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

/// Arguments of `patchscan report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A `fleet --out` directory: summaries.parquet and patches.parquet, or their hive
    /// partition directories.
    path: PathBuf,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    format: ReportFormat,
    /// How many advisories and hosts to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

pub fn run(args: ReportArgs) -> Result<i32> {
    let view = read_fleet_view(&args.path, args.top).map_err(|e| anyhow!(e))?;
    match args.format {
        ReportFormat::Table => print!("{}", view.to_text()),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&view)?),
    }
    Ok(exit::OK)
}
