//! Benchmarks of the Debian path on the real bookworm capture
//! (repodata-fixtures/apt-real/debian-bookworm): a whole in-process scan with the lists as apt
//! stores them (lz4, 64 KB linked blocks), with AWS's default baseline and with a baseline
//! approving everything; the 50 MB bookworm `Packages` through the deb822 reader; the dpkg
//! status. Run: `cargo bench --bench apt` (docs/performance.md records the figures).

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("repodata-fixtures/apt-real/debian-bookworm")
}

fn xz_decompress(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    patchscan::files::compress::open(path)
        .expect("open")
        .read_to_end(&mut out)
        .expect("decompress");
    out
}

use std::io::Read;

/// The machine's root: os-release, sources, dpkg status and its lists, lz4-compressed as apt
/// stores them (Acquire::GzipIndexes: 64 KB linked blocks, no checksum).
fn bookworm_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    let lists = root.join("var/lib/apt/lists");
    std::fs::create_dir_all(root.join("etc/apt/sources.list.d")).expect("mkdir");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).expect("mkdir");
    std::fs::create_dir_all(&lists).expect("mkdir");
    let c = capture();
    std::fs::copy(c.join("os-release"), root.join("etc/os-release")).expect("copy");
    std::fs::copy(
        c.join("debian.sources"),
        root.join("etc/apt/sources.list.d/debian.sources"),
    )
    .expect("copy");
    std::fs::copy(c.join("dpkg-status"), root.join("var/lib/dpkg/status")).expect("copy");
    for e in std::fs::read_dir(&c).expect("capture") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        if name.ends_with("_InRelease") {
            std::fs::copy(&p, lists.join(&name)).expect("copy");
        } else if let Some(stem) = name.strip_suffix(".xz") {
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .block_mode(lz4_flex::frame::BlockMode::Linked);
            let out = std::fs::File::create(lists.join(format!("{stem}.lz4"))).expect("create");
            let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
            enc.write_all(&xz_decompress(&p)).expect("lz4");
            enc.finish().expect("lz4");
        }
    }
    root
}

fn scan(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = bookworm_root(dir.path());
    let approve_all = dir.path().join("approve-all.json");
    std::fs::write(
        &approve_all,
        r#"{"Name":"approve-all","OperatingSystem":"DEBIAN","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[{"Key":"PRODUCT","Values":["*"]}]},"EnableNonSecurity":true}]}}"#,
    )
    .expect("baseline");
    let now = 1_795_323_363; // 2026-11-22T04:56:03Z, the capture time
    let mut g = c.benchmark_group("apt scan (real bookworm: 66,000 stanzas, 758 installed)");
    g.sample_size(20);
    for (label, baseline) in [
        ("default baseline", None),
        (
            "approve everything",
            Some(approve_all.display().to_string()),
        ),
    ] {
        let opts = patchscan::scan::ScanOptions {
            root: root.clone(),
            baseline,
            eval: patchscan::scan::EvalOptions {
                now,
                max_metadata_age_days: 30,
                ..Default::default()
            },
            ..Default::default()
        };
        g.bench_function(label, |b| {
            b.iter(|| patchscan::scan::scan(&opts).expect("scan"))
        });
    }
    g.finish();
}

fn packages(c: &mut Criterion) {
    let data = xz_decompress(
        &capture().join("deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.xz"),
    );
    let mut g = c.benchmark_group("deb822");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("bookworm main Packages (50 MB, plain, in memory)", |b| {
        b.iter(|| {
            patchscan::repo::apt::packages::parse_packages(&data, Path::new("Packages"))
                .expect("parse")
                .len()
        })
    });
    let status = std::fs::read(capture().join("dpkg-status")).expect("status");
    g.throughput(Throughput::Bytes(status.len() as u64));
    g.bench_function("dpkg status (758 packages)", |b| {
        b.iter(|| {
            patchscan::host::dpkg::parse_status(&status, Path::new("status"))
                .expect("parse")
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, scan, packages);
criterion_main!(benches);
