//! `patchscan image inspect`: what is found in a disk image — container, partition table,
//! each partition, the root and what its fstab attached. The first thing to run when a scan
//! of an image fails.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use patchscan::disk::{Image, Layout};
use patchscan::exit;
use patchscan::files::rootfs::RootFs;
use patchscan::report::table::Padded;

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Show what is found in a disk image: container, partition table, partitions (type,
    /// size, file system, label, UUID), the root and the file systems its fstab attaches.
    #[command(after_help = crate::cli::EXIT_CODES)]
    Inspect(InspectArgs),
    /// List a directory of the image's root (links followed inside the image), a name a line.
    #[command(after_help = crate::cli::EXIT_CODES)]
    Ls(PathArgs),
    /// Write a file of the image's root to stdout (links followed inside the image).
    #[command(after_help = crate::cli::EXIT_CODES)]
    Cat(PathArgs),
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// The image: a raw disk or a file system image.
    image: PathBuf,
    /// A path as the host sees it (`/etc/os-release`).
    path: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InspectFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The image: a raw disk or a file system image.
    image: PathBuf,
    #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
    format: InspectFormat,
}

/// Sizes as people read them: 8.0 GiB, 512 MiB, 1.0 KiB.
fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn render(layout: &Layout, read: (u64, u64)) -> String {
    let mut out = String::new();
    let line =
        |out: &mut String, k: &str, v: &str| out.push_str(&format!("{}  {v}\n", Padded(k, 10)));
    line(
        &mut out,
        "image",
        &format!(
            "{} ({}, {})",
            layout.image.display(),
            layout.container,
            human(layout.size)
        ),
    );
    match (&layout.partition_table, layout.sector_size) {
        (Some(t), Some(s)) => line(&mut out, "table", &format!("{t}, {s}-byte sectors")),
        _ => line(&mut out, "table", "none (a file system fills the image)"),
    }
    if !layout.partitions.is_empty() {
        let header = [
            "#", "start", "size", "type", "name", "fs", "label", "uuid", "role",
        ];
        let rows: Vec<[String; 9]> = layout
            .partitions
            .iter()
            .map(|p| {
                [
                    p.number.to_string(),
                    human(p.start),
                    human(p.size),
                    if p.type_name.is_empty() {
                        p.type_id.clone()
                    } else {
                        p.type_name.clone()
                    },
                    p.name.clone(),
                    p.file_system.clone().unwrap_or_default(),
                    p.label.clone().unwrap_or_default(),
                    p.uuid.clone().unwrap_or_default(),
                    p.role.clone(),
                ]
            })
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        out.push_str("partitions\n");
        let mut put = |cells: Vec<&str>| {
            let mut l = String::from("  ");
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    l.push_str(c);
                } else {
                    l.push_str(&format!("{}  ", Padded(c, widths[i])));
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        put(header.to_vec());
        for r in &rows {
            put(r.iter().map(String::as_str).collect());
        }
    }
    for v in &layout.logical_volumes {
        line(
            &mut out,
            "volume",
            &format!(
                "{} ({}, {}{}) {}",
                v.name,
                human(v.size),
                v.file_system.as_deref().unwrap_or("-"),
                v.uuid
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default(),
                v.role
            ),
        );
    }
    line(
        &mut out,
        "root",
        &format!("{} ({})", layout.root, layout.root_file_system),
    );
    for m in &layout.mounts {
        line(
            &mut out,
            "mount",
            &format!("{} from {} ({})", m.mount_point, m.source, m.spec),
        );
    }
    for n in &layout.notes {
        line(&mut out, "note", n);
    }
    line(
        &mut out,
        "read",
        &format!(
            "{} of {} bytes ({:.4}%)",
            read.0,
            read.1,
            100.0 * read.0 as f64 / read.1.max(1) as f64
        ),
    );
    out
}

pub fn run(cmd: ImageCommand) -> Result<i32> {
    use std::io::Write;
    match cmd {
        ImageCommand::Ls(args) => {
            let root = RootFs::from_image(&args.image)?;
            let (_, names) = root.read_dir(&args.path)?;
            let mut out = std::io::stdout().lock();
            for n in names {
                out.write_all(n.as_encoded_bytes())?;
                out.write_all(b"\n")?;
            }
            Ok(exit::OK)
        }
        ImageCommand::Cat(args) => {
            let root = RootFs::from_image(&args.image)?;
            let (_, bytes) = root.read(&args.path)?;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(exit::OK)
        }
        ImageCommand::Inspect(args) => {
            let image = Image::open(&args.image)?;
            let read = image.bytes_read();
            match args.format {
                InspectFormat::Json => {
                    #[derive(serde::Serialize)]
                    #[serde(rename_all = "PascalCase")]
                    struct Shown<'a> {
                        #[serde(flatten)]
                        layout: &'a Layout,
                        bytes_read: u64,
                    }
                    let shown = Shown {
                        layout: image.layout(),
                        bytes_read: read.0,
                    };
                    println!("{}", serde_json::to_string_pretty(&shown)?);
                }
                InspectFormat::Table => print!("{}", render(image.layout(), read)),
            }
            Ok(exit::OK)
        }
    }
}
