//! Times reading an rpm database: `cargo run --release --example read_rpmdb -- <db or dir>`.
//!
//! Prints the package count, the whole read (`read_rpmdb`), and header parsing alone
//! (every stored blob through `parse_header`, best of 20 rounds).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use patchscan::host::rpmdb::{database_file, parse_header, read_rpmdb, stored_headers};

fn main() -> anyhow::Result<()> {
    let path = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".to_string()));
    let start = Instant::now();
    let packages = read_rpmdb(&path)?;
    let whole = start.elapsed();

    let file = database_file(&path)?;
    let blobs = stored_headers(&file)?;
    let mut best = Duration::MAX;
    for _ in 0..20 {
        let start = Instant::now();
        for blob in &blobs {
            std::hint::black_box(parse_header(blob)?);
        }
        best = best.min(start.elapsed());
    }
    println!(
        "{}: {} packages; read_rpmdb {:.1} ms; parsing {} headers {:.2} ms",
        file.display(),
        packages.len(),
        whole.as_secs_f64() * 1e3,
        blobs.len(),
        best.as_secs_f64() * 1e3
    );
    Ok(())
}
