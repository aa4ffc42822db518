//! `patchscan inventory`: what is installed, the offline `rpm -qa` (or `dpkg-query -W` on a
//! Debian/Ubuntu root).

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;

use patchscan::exit;
use patchscan::files::rootfs::RootFs;
use patchscan::host::dpkg;
use patchscan::host::rpmdb;
use patchscan::report::table::Padded;
use patchscan::vocab::time::format_time;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InventoryFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// A host root (a mounted or unpacked image); the database is found under var/lib/rpm or
    /// usr/lib/sysimage/rpm inside it, following the root's own symlinks, else dpkg's under
    /// var/lib/dpkg (status, status.d/).
    #[arg(long, conflicts_with_all = ["rpmdb", "image"])]
    root: Option<PathBuf>,
    /// A disk image (raw disk or file system image), read without mounting: the same
    /// databases are found in its root file system.
    #[arg(long, conflicts_with = "rpmdb")]
    image: Option<PathBuf>,
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

#[derive(Serialize)]
struct DebRow<'a> {
    name: &'a str,
    version: String,
    arch: &'a str,
    /// dpkg's `Status` abbreviation as `dpkg -l` prints it (`ii`, `hi`, …).
    status: String,
    install_time: Option<String>,
}

pub fn run(args: InventoryArgs) -> Result<i32> {
    let (db, mut pkgs) = match &args.rpmdb {
        Some(p) => (p.clone(), rpmdb::read_rpmdb(p)?),
        None => {
            let root = match &args.image {
                Some(image) => RootFs::from_image(image)?,
                None => RootFs::new(args.root.clone().unwrap_or_else(|| PathBuf::from("/")))?,
            };
            let found = rpmdb::find_rpmdb(&root).map(|db| (db, rpmdb::read_host_rpmdb(&root)));
            // A lookup that met damage in an image may have read as "no database".
            root.damage()?;
            match found {
                Ok((db, pkgs)) => (db, pkgs?),
                Err(rpm_err) => match dpkg::find(&root) {
                    Some(found) => {
                        let code = run_dpkg(&root, &found, args.format);
                        root.damage()?;
                        return code;
                    }
                    None => bail!(
                        "{rpm_err}; and no dpkg database (var/lib/dpkg/status or status.d/) either"
                    ),
                },
            }
        }
    };
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
            let cells = rows
                .iter()
                .map(|r| {
                    vec![
                        r.name.to_string(),
                        r.epoch.to_string(),
                        r.version.to_string(),
                        r.release.to_string(),
                        r.arch.to_string(),
                        r.install_time.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            let header = ["NAME", "EPOCH", "VERSION", "RELEASE", "ARCH", "INSTALLED"];
            print!("{}", columns(&header, cells));
            crate::cli::ui::note(&format!("{} packages in {}", rows.len(), db.display()));
        }
    }
    Ok(exit::OK)
}

/// The installed packages of a Debian/Ubuntu root, as `dpkg-query -W` sees them (only the
/// truly installed ones; half-installed and config-files entries are left out).
fn run_dpkg(root: &RootFs, db: &dpkg::DpkgDatabase, format: InventoryFormat) -> Result<i32> {
    let mut pkgs = dpkg::read_installed(root, db)?;
    pkgs.sort_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
    let rows: Vec<DebRow<'_>> = pkgs
        .iter()
        .map(|p| DebRow {
            name: &p.name,
            version: p.version.to_string(),
            arch: &p.arch,
            status: p.status.abbrev(),
            install_time: p.install_time.map(format_time),
        })
        .collect();
    match format {
        InventoryFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        InventoryFormat::Table => {
            let cells = rows
                .iter()
                .map(|r| {
                    vec![
                        r.name.to_string(),
                        r.version.clone(),
                        r.arch.to_string(),
                        r.status.clone(),
                        r.install_time.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            let header = ["NAME", "VERSION", "ARCH", "STATUS", "INSTALLED"];
            print!("{}", columns(&header, cells));
            crate::cli::ui::note(&format!(
                "{} packages in {}",
                rows.len(),
                root.path().display()
            ));
        }
    }
    Ok(exit::OK)
}

/// Rows under a header, each column as wide as its widest cell (the last one unpadded).
fn columns(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{}  ", Padded(cell, widths[i])));
            }
        }
        out.push('\n');
    }
    out
}
