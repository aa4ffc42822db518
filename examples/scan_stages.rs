//! Where a scan's time goes, stage by stage, each stage run alone on one thread:
//! `cargo run --release --example scan_stages -- BED [ROUNDS]` with BED the large bed's host
//! directory (`…/large`, holding root/ and repos/). Prints the best of ROUNDS (default 20).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use patchscan::engine::approval::Context;
use patchscan::engine::decision::HostOptions;
use patchscan::engine::rpm;
use patchscan::repo::index::UpdateIndex;
use patchscan::repo::rpmmd::{self, primary, updateinfo, RepoMd};
use patchscan::report::model::{HostReport, ReportContext};

// The allocator the binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn best<T>(rounds: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..rounds {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed());
        out = Some(v);
    }
    (best, out.expect("at least one round"))
}

fn ms(d: Duration) -> String {
    format!("{:7.2} ms", d.as_secs_f64() * 1e3)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let bed = PathBuf::from(args.next().expect("usage: scan_stages BED [ROUNDS]"));
    let rounds: usize = args.next().map_or(Ok(20), |s| s.parse())?;
    let root = bed.join("root");
    let repo = bed.join("repos/large");
    let opts = patchscan::scan::ScanOptions {
        root: root.clone(),
        repos: vec![repo.clone()],
        eval: patchscan::scan::EvalOptions {
            now: 1_748_779_200,
            max_metadata_age_days: 30,
            ..Default::default()
        },
        ..Default::default()
    };
    if args.next().as_deref() == Some("scan-only") {
        // For a profiler: nothing but whole scans.
        let (t, _) = best(rounds, || patchscan::scan::scan(&opts).expect("scan"));
        println!("scan (in process)    {}", ms(t));
        return Ok(());
    }
    let repomd_path = repo.join("repodata/repomd.xml");
    let repomd = RepoMd::read(&repomd_path)?;
    let primary_path = repomd.primary().expect("primary").local_path(
        &repo,
        &repomd_path,
        patchscan::repo::Place::Scanner,
    )?;
    let updateinfo_path = repomd.updateinfo().expect("updateinfo").local_path(
        &repo,
        &repomd_path,
        patchscan::repo::Place::Scanner,
    )?;

    let raw = |p: &Path| -> usize {
        let mut out = Vec::new();
        std::io::Read::read_to_end(
            &mut patchscan::files::compress::open(p).expect("open"),
            &mut out,
        )
        .expect("read");
        out.len()
    };
    let (t, n) = best(rounds, || raw(&primary_path));
    println!("inflate primary      {} ({} bytes)", ms(t), n);
    let (t, n) = best(rounds, || raw(&updateinfo_path));
    println!("inflate updateinfo   {} ({} bytes)", ms(t), n);
    let (t, pk) = best(rounds, || {
        primary::read_primary_xml(&primary_path).expect("primary")
    });
    println!("primary              {} ({} packages)", ms(t), pk.len());
    let (t, adv) = best(rounds, || {
        updateinfo::read_updateinfo(&updateinfo_path).expect("updateinfo")
    });
    println!("updateinfo           {} ({} advisories)", ms(t), adv.len());
    let db = patchscan::host::rpmdb::find_rpmdb(&patchscan::files::rootfs::RootFs::new(&root)?)?;
    let (t, installed) = best(rounds, || {
        patchscan::host::rpmdb::read_rpmdb(&db).expect("rpmdb")
    });
    println!(
        "rpmdb                {} ({} installed)",
        ms(t),
        installed.len()
    );
    let (t, meta) = best(rounds, || {
        rpmmd::read_repository(&repo).expect("repository")
    });
    println!("read_repository (par){}", ms(t));
    let (t, index) = best(rounds, || {
        let mut index = UpdateIndex::default();
        index.add_rpm_repository(meta.clone());
        index
    });
    println!("index build (+clone) {}", ms(t));
    let (t, loaded) = best(rounds, || {
        patchscan::baseline::predefined::load("AWS-RedHatDefaultPatchBaseline").expect("baseline")
    });
    println!("predefined baseline  {}", ms(t));
    let ctx = Context {
        baseline: &loaded.baseline,
        product: "RedhatEnterpriseLinux9.4",
        now: 1_748_779_200,
    };
    let host = HostOptions::default();
    let (t, eval) = best(rounds, || {
        rpm::evaluate_host(&ctx, &installed, &index, &host, rpm::NotInstalled::Count)
    });
    println!(
        "evaluate             {} ({} decisions)",
        ms(t),
        eval.decisions.len()
    );
    let rctx = ReportContext {
        instance_id: "i-0",
        patch_group: "",
        baseline_id: "pb",
        start: 0,
        end: 0,
        include_not_applicable: false,
    };
    let (t, mut report) = best(rounds, || HostReport::new(&eval, &rctx, Vec::new()));
    println!("report               {}", ms(t));
    let (t, json) = best(rounds, || report.to_json_pretty().expect("json"));
    println!("json (every core)    {} ({} bytes)", ms(t), json.len());
    let (t, _) = best(rounds, || {
        serde_json::to_string_pretty(&report).expect("json")
    });
    println!("json (serde_json)    {}", ms(t));
    let (t, _) = best(rounds, || patchscan::scan::scan(&opts).expect("scan"));
    println!("scan (in process)    {}", ms(t));
    Ok(())
}
