//! Benchmarks: updateinfo parsing throughput (a generated 50 MB updateinfo.xml, one core) and
//! a full scan of the large bed, with and without its JSON report (`PATCHSCAN_LARGE_BED=DIR`,
//! made by repodata-fixtures/scripts/make-large-bed.sh). Whole-process timings against dnf:
//! benches/alternate.py (docs/performance.md).
//!
//! Run: `cargo bench --bench scan` (docs/performance.md records the figures).

use std::io::Write;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

// The allocator the binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writes a synthetic updateinfo of about `target` bytes, shaped like Amazon Linux's.
fn synthetic_updateinfo(target: usize) -> (tempfile::NamedTempFile, u64) {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    let mut w = std::io::BufWriter::new(f.as_file_mut());
    let mut n = 0usize;
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<updates>\n";
    w.write_all(head.as_bytes()).expect("write");
    let mut written = head.len();
    while written < target {
        let m = n + 100_000;
        let mut s = format!(
            "  <update author=\"linux-security@amazon.com\" from=\"linux-security@amazon.com\" status=\"final\" type=\"security\" version=\"1.4\">\n    <id>ALAS2023-2025-{n}</id>\n    <title>Amazon Linux 2023 - ALAS2023-2025-{n}: important priority package update for pkg{n} &amp; friends</title>\n    <issued date=\"2025-01-02 03:04\" />\n    <updated date=\"2025-01-03 04:05\" />\n    <severity>important</severity>\n    <description>Package updates are available for Amazon Linux 2023 that fix the following vulnerabilities: CVE-2025-{n}, CVE-2025-{m}.</description>\n    <references>\n      <reference href=\"https://www.cve.org/CVERecord?id=CVE-2025-{n}\" id=\"CVE-2025-{n}\" type=\"cve\" />\n      <reference href=\"https://www.cve.org/CVERecord?id=CVE-2025-{m}\" id=\"CVE-2025-{m}\" type=\"cve\" />\n    </references>\n    <pkglist>\n      <collection short=\"amazon-linux-2023\">\n        <name>amazon-linux-2023</name>\n"
        );
        for (i, arch) in ["x86_64", "aarch64", "x86_64", "aarch64"]
            .iter()
            .enumerate()
        {
            s.push_str(&format!(
                "        <package arch=\"{arch}\" epoch=\"0\" name=\"pkg{n}-sub{i}\" release=\"1.amzn2023.0.{n}\" version=\"1.2.{i}\">\n          <filename>Packages/pkg{n}-sub{i}-1.2.{i}-1.amzn2023.0.{n}.{arch}.rpm</filename>\n        </package>\n"
            ));
        }
        s.push_str("      </collection>\n    </pkglist>\n  </update>\n");
        w.write_all(s.as_bytes()).expect("write");
        written += s.len();
        n += 1;
    }
    w.write_all(b"</updates>\n").expect("write");
    written += 11;
    drop(w);
    (f, written as u64)
}

fn updateinfo(c: &mut Criterion) {
    let (file, bytes) = synthetic_updateinfo(50 << 20);
    let path = file.path().to_path_buf();
    let mut g = c.benchmark_group("updateinfo");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("parse 50 MB", |b| {
        b.iter(|| {
            patchscan::repo::rpmmd::updateinfo::read_updateinfo(&path)
                .expect("parse")
                .len()
        })
    });
    g.finish();
}

fn large_bed(c: &mut Criterion) {
    let Some(dir) = std::env::var_os("PATCHSCAN_LARGE_BED") else {
        eprintln!("large-bed scan skipped: set PATCHSCAN_LARGE_BED");
        return;
    };
    let bed = PathBuf::from(dir).join("large");
    let opts = patchscan::scan::ScanOptions {
        root: bed.join("root"),
        repos: std::fs::read_dir(bed.join("repos"))
            .expect("repos")
            .map(|e| e.expect("entry").path())
            .collect(),
        eval: patchscan::scan::EvalOptions {
            now: 1_748_779_200,
            max_metadata_age_days: 30,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.bench_function(
        "large bed (3,000 installed, 5,000 available, 2,000 advisories)",
        |b| b.iter(|| patchscan::scan::scan(&opts).expect("scan")),
    );
    // What `scan --format json` does after the scan: the 1.4 MB report.
    g.bench_function("large bed, scan and JSON report", |b| {
        b.iter(|| {
            let mut report = patchscan::scan::scan(&opts).expect("scan");
            report.to_json_pretty().expect("json").len()
        })
    });
    g.finish();
}

criterion_group!(benches, updateinfo, large_bed);
criterion_main!(benches);
