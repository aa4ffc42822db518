//! Fleet benchmark: a slice of the synthetic fleet made by
//! repodata-fixtures/scripts/make-fleet-bench.sh (`PATCHSCAN_FLEET_BENCH=DIR`): 500
//! inventory hosts and 5 real rpmdb roots against the large bed's index (5,000 packages,
//! 2,000 advisories), Parquet written, with one and with two worker threads. The index is
//! read once per run, as in a real run. The full 10,000-host figures come from
//! `benches/fleet-scale.sh` (docs/performance.md, "Fleet").
//!
//! Run: `PATCHSCAN_FLEET_BENCH=DIR cargo bench --bench fleet`.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};

use patchscan::fleet::{self, Manifest, RunOptions};
use patchscan::report::fleet::{FleetSink, TableSink};
use patchscan::report::parquet::ParquetTable;

fn slice_manifest(bed: &Path, dir: &Path, inventories: usize, roots: usize) -> PathBuf {
    let full =
        std::fs::read_to_string(bed.join("fleet.toml")).expect("fleet.toml of the bench bed");
    let head: String = full
        .lines()
        .take_while(|l| !l.starts_with("[[host_lists]]"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut text = head;
    for i in 0..inventories {
        text.push_str(&format!(
            "[[hosts]]\nid = \"inv-{i}\"\nsource = \"{}/inv/host-{i:05}.inv\"\npatch_group = \"inventory\"\n",
            bed.display()
        ));
    }
    for i in 0..roots {
        text.push_str(&format!(
            "[[hosts]]\nid = \"root-{i}\"\nsource = \"{}/roots/root-{i:02}\"\npatch_group = \"images\"\n",
            bed.display()
        ));
    }
    let path = dir.join("slice.toml");
    std::fs::write(&path, text).expect("write manifest");
    path
}

fn bench(c: &mut Criterion) {
    let Some(bed) = std::env::var_os("PATCHSCAN_FLEET_BENCH").map(PathBuf::from) else {
        eprintln!("skipping fleet bench: set PATCHSCAN_FLEET_BENCH (make-fleet-bench.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = Manifest::load(&slice_manifest(&bed, dir.path(), 500, 5)).expect("manifest");
    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    for jobs in [1, 2] {
        group.bench_function(
            format!("500 inventories + 5 roots, {jobs} thread(s)"),
            |b| {
                b.iter(|| {
                    let out = dir.path().join(format!("out-{jobs}"));
                    let sinks: Vec<Box<dyn FleetSink>> = vec![Box::new(
                        TableSink::<ParquetTable>::new(&out, "parquet", None),
                    )];
                    let opts = RunOptions {
                        jobs,
                        now: manifest.now.unwrap_or(0),
                        progress: false,
                        ..Default::default()
                    };
                    let summary = fleet::run(&manifest, &opts, sinks).expect("fleet run");
                    assert_eq!(summary.failed, 0);
                    summary.hosts
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
