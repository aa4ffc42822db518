//! Times reading apt lists and a dpkg status: `cargo run --release --example read_apt -- LISTS_DIR [STATUS]`.

use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        return Err("usage: read_apt LISTS_DIR [STATUS]".into());
    };
    if std::env::var_os("PIECES").is_some() {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.to_string_lossy().contains("_Packages") {
                pieces(&p);
            }
        }
    }
    let t = Instant::now();
    let index = patchscan::repo::apt::load_lists_dir(Path::new(dir))?;
    println!(
        "{} lists, {} names, {} versions in {:.1} ms",
        index.lists.len(),
        index.packages.len(),
        index.package_count(),
        t.elapsed().as_secs_f64() * 1e3
    );
    if let Some(status) = args.get(1) {
        let t = Instant::now();
        let bytes = std::fs::read(status)?;
        let installed = patchscan::host::dpkg::parse_status(&bytes, Path::new(status))?;
        println!(
            "{} status entries in {:.1} ms",
            installed.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

#[allow(dead_code)]
fn pieces(path: &Path) {
    let t = Instant::now();
    let data = patchscan::repo::apt::packages::read_decompressed(path).unwrap();
    let t1 = t.elapsed();
    let s = patchscan::repo::apt::packages::parse_packages(&data, path).unwrap();
    let t2 = t.elapsed();
    let t = Instant::now();
    let s2 = patchscan::repo::apt::packages::read_packages(path).unwrap();
    let t3 = t.elapsed();
    eprintln!(
        "decompress {:?} parse {:?} ({} stanzas); pipelined {:?} ({})",
        t1,
        t2 - t1,
        s.len(),
        t3,
        s2.len()
    );
}
