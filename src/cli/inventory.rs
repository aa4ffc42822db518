//! `patchscan inventory`: what is installed, the offline `rpm -qa`.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::engine::states::format_time;
use crate::exit;
use crate::host::rootfs::RootFs;
use crate::host::rpmdb;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InventoryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// A host root (a mounted or unpacked image); the database is found under var/lib/rpm or
    /// usr/lib/sysimage/rpm inside it, following the root's own symlinks.
    #[arg(long, conflicts_with = "rpmdb")]
    root: Option<PathBuf>,
    /// An rpm database file (rpmdb.sqlite, Packages, Packages.db) or its directory.
    #[arg(long)]
    rpmdb: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = InventoryFormat::Table)]
    format: InventoryFormat,
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    epoch: u64,
    version: &'a str,
    release: &'a str,
    arch: &'a str,
    install_time: Option<String>,
}

pub fn run(args: InventoryArgs) -> Result<i32> {
    let db = match (&args.rpmdb, &args.root) {
        (Some(p), _) => p.clone(),
        (None, root) => {
            let root = RootFs::new(root.clone().unwrap_or_else(|| PathBuf::from("/")))?;
            rpmdb::find_rpmdb(&root)?
        }
    };
    let mut pkgs = rpmdb::read_rpmdb(&db)?;
    if pkgs.is_empty() {
        bail!("{}: no packages", db.display());
    }
    pkgs.sort_by(|a, b| {
        (&a.nevra.name, &a.nevra.arch, &a.nevra.evr).cmp(&(
            &b.nevra.name,
            &b.nevra.arch,
            &b.nevra.evr,
        ))
    });
    let rows: Vec<Row<'_>> = pkgs
        .iter()
        .map(|p| Row {
            name: &p.nevra.name,
            epoch: p.nevra.evr.epoch,
            version: &p.nevra.evr.version,
            release: &p.nevra.evr.release,
            arch: &p.nevra.arch,
            install_time: p.install_time.map(format_time),
        })
        .collect();
    match args.format {
        InventoryFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        InventoryFormat::Table => {
            let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
            println!(
                "{:<w$}  {:<5}  {:<24}  {:<28}  {:<8}  INSTALLED",
                "NAME", "EPOCH", "VERSION", "RELEASE", "ARCH"
            );
            for r in &rows {
                println!(
                    "{:<w$}  {:<5}  {:<24}  {:<28}  {:<8}  {}",
                    r.name,
                    r.epoch,
                    r.version,
                    r.release,
                    r.arch,
                    r.install_time.as_deref().unwrap_or("-")
                );
            }
            eprintln!("{} packages in {}", rows.len(), db.display());
        }
    }
    Ok(exit::OK)
}
