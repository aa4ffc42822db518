//! Categorising a host's packages into Patch Manager states (spec §3.4, RPM family and SUSE).
//!
//! Per installed `name.arch` (the highest installed version; for installonly packages such as
//! kernels that is the newest kernel): collect the available versions for that name with a
//! compatible architecture and an enabled module stream, ask [`approval`] about each
//! (`judge`), and compare the highest approved one with what is installed
//! ([`super::decision`]). Fleets share the judging across hosts (`table`).

mod judge;
mod table;

use std::collections::{BTreeSet, HashSet};

use rayon::prelude::*;

use super::approval::{self, Context};
use super::decision::{self, Decision, Evaluation, HostOptions};
use crate::baseline::PackageForms;
use crate::repo::index::UpdateIndex;
use crate::version::{Nevra, PackageVersion};
use judge::{
    arch_compatible, best_approved_as_not_installed, distinct_arches, judge, module_allowed,
    not_applicable_decision, FastMap, FastSet, Judged,
};

pub use judge::is_installonly;
pub use table::{SharedVerdicts, VerdictTable};

/// What the engine needs of an installed package.
pub trait InstalledView {
    fn nevra(&self) -> &Nevra;
    /// Install time, UNIX seconds.
    fn install_time(&self) -> Option<i64>;
}

/// Evaluates one host.
///
/// The installed packages, and then the not-installed ones, are judged on every core; the
/// outcome does not depend on how the work is split (decisions are sorted at the end).
pub fn evaluate_host<I: InstalledView + Sync>(
    ctx: &Context<'_>,
    installed: &[I],
    index: &UpdateIndex,
    host: &HostOptions,
    not_installed: NotInstalled<'_>,
) -> Evaluation {
    // Highest installed version per name.arch.
    let mut by_name_arch: FastMap<(&str, &str), &I> =
        FastMap::with_capacity_and_hasher(installed.len(), Default::default());
    for p in installed {
        let n = p.nevra();
        by_name_arch
            .entry((n.name.as_str(), n.arch.as_str()))
            .and_modify(|cur| {
                if n.evr > cur.nevra().evr {
                    *cur = p;
                }
            })
            .or_insert(p);
    }
    let mut installed_arches: BTreeSet<&str> = by_name_arch.keys().map(|(_, a)| *a).collect();
    if let Some(a) = host.arch.as_deref() {
        installed_arches.insert(a);
    }
    let b = ctx.baseline;
    let mut out = Evaluation::default();

    // In name.arch order, so that grouping by state below gives the report's order.
    let mut entries: Vec<((&str, &str), &I)> = by_name_arch.iter().map(|(k, v)| (*k, *v)).collect();
    entries.sort_unstable_by(|x, y| x.0.cmp(&y.0));
    let ahead = match not_installed {
        NotInstalled::Shared { table, .. } => Some(table),
        _ => None,
    };
    let judged: Vec<(Decision, Vec<String>)> = entries
        .par_iter()
        .map(|&((name, arch), inst)| {
            let mut used = Vec::new();
            let pre = ahead.map(|t| t.judged(name));
            let d = decide_installed(ctx, index, host, name, arch, inst, &mut used, pre);
            (d, used)
        })
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    out.decisions = Vec::with_capacity(judged.len());
    for (d, u) in judged {
        used.extend(u);
        out.decisions.push(d);
    }

    // Not installed: NotApplicable when some version is approved (compatible arches only).
    let installed_names: FastSet<&str> = by_name_arch.keys().map(|(n, _)| *n).collect();
    // Whether a not-installed name.arch of the index can apply to this host at all.
    let applies = |name: &str, arch: &str| {
        !(by_name_arch.contains_key(&(name, arch))
            || (arch == "noarch" && installed_names.contains(name))
            || !(arch == "noarch" || installed_arches.contains(arch)))
    };
    match not_installed {
        NotInstalled::List | NotInstalled::Count => {
            let list_them = matches!(not_installed, NotInstalled::List);
            let found: Vec<(Vec<Decision>, u64, Vec<String>)> = index
                .packages
                .par_iter()
                .map(|(name, list)| {
                    let mut used = Vec::new();
                    let mut found = Vec::new();
                    let mut counted = 0;
                    for arch in distinct_arches(list) {
                        if !applies(name, arch) {
                            continue;
                        }
                        if let Some(best) =
                            best_approved_as_not_installed(ctx, index, host, arch, list, &mut used)
                        {
                            if list_them {
                                found.push(not_applicable_decision(name, arch, &best, index));
                            } else {
                                counted += 1;
                            }
                        }
                    }
                    (found, counted, used)
                })
                .collect();
            for (found, counted, u) in found {
                used.extend(u);
                out.not_applicable.extend(found);
                out.not_applicable_unlisted += counted;
            }
        }
        NotInstalled::Shared { table, list: true } => {
            for ((name, _), verdicts) in index.packages.iter().zip(&table.names) {
                for slot in &verdicts.arches {
                    if !applies(name, &slot.arch) {
                        continue;
                    }
                    used.extend(slot.used.iter().cloned());
                    if let Some(d) = &slot.decision {
                        out.not_applicable.push(d.clone());
                    }
                }
            }
        }
        NotInstalled::Shared { table, list: false } => {
            // Counted without visiting every name of the index: the approved name.arches of
            // the arches this host can take, less those of names it has installed (an
            // installed name.arch, or a noarch build of an installed name, is not
            // NotApplicable).
            let arch_fits = |arch: &str| arch == "noarch" || installed_arches.contains(arch);
            let mut count: u64 = table
                .approved_per_arch
                .iter()
                .filter(|(arch, _)| arch_fits(arch))
                .map(|(_, n)| n)
                .sum();
            for name in &installed_names {
                let Some(&at) = table.positions.get(name) else {
                    continue;
                };
                for slot in &table.names[at].arches {
                    if slot.decision.is_some()
                        && arch_fits(&slot.arch)
                        && !applies(name, &slot.arch)
                    {
                        count -= 1;
                    }
                }
            }
            out.not_applicable_unlisted += count;
            for &(at, k) in &table.with_entries {
                let (name, slot) = (table.names[at].name, &table.names[at].arches[k]);
                if applies(name, &slot.arch) {
                    used.extend(slot.used.iter().cloned());
                }
            }
        }
    }

    out.finish(b, &used)
}

/// The decision for one installed name.arch, whose highest installed version is `inst`.
/// `judged_ahead` holds every version of `name` with an enabled module stream, already judged
/// (a shared table); without it the versions are judged here.
#[allow(clippy::too_many_arguments)]
fn decide_installed<I: InstalledView>(
    ctx: &Context<'_>,
    index: &UpdateIndex,
    host: &HostOptions,
    name: &str,
    arch: &str,
    inst: &I,
    used: &mut Vec<String>,
    judged_ahead: Option<&[Judged<'_>]>,
) -> Decision {
    let b = ctx.baseline;
    let inst_nevra = inst.nevra();
    let mut own: Vec<Judged<'_>> = Vec::new();
    let judged: Vec<&Judged<'_>> = match judged_ahead {
        Some(all) => all
            .iter()
            .filter(|j| arch_compatible(arch, &j.pkg.nevra.arch))
            .inspect(|j| j.verdict.note_entries(used))
            .collect(),
        None => {
            if let Some(list) = index.packages.get(name) {
                for p in list {
                    if arch_compatible(arch, &p.nevra.arch) && module_allowed(p, index, host) {
                        judge(p, index, ctx, host, used, &mut own);
                    }
                }
            }
            own.iter().collect()
        }
    };
    let inst_forms = if b.rejected_patches.is_empty() {
        PackageForms::none()
    } else {
        PackageForms::rpm(name, &inst_nevra.evr, arch)
    };
    let rejected_installed = decision::rejected_installed(b, &inst_forms);
    if let Some(r) = rejected_installed {
        used.push(r.to_string());
    }
    let best = decision::best_approved(judged.iter().copied());
    let mut d = Decision::installed_other(
        name,
        arch,
        PackageVersion::Rpm(inst_nevra.evr.clone()),
        inst.install_time(),
    );
    if let Some(r) = rejected_installed {
        (d.state, d.reason) = decision::rejected_state(r, b.rejected_patches_action);
        return d;
    }
    let Some(best) = best else {
        d.reason = decision::nothing_approved(!judged.is_empty());
        return d;
    };
    let adv = best.advisory.map(|i| &index.advisories[i]);
    d.candidate = Some(PackageVersion::Rpm(best.pkg.nevra.evr.clone()));
    d.classification = adv
        .and_then(|a| a.kind.as_deref())
        .map(approval::canonical_classification)
        .unwrap_or_default();
    d.severity = adv
        .and_then(|a| a.severity.as_deref())
        .unwrap_or_default()
        .to_string();
    d.compliance_level = best.verdict.compliance_level;
    d.release_time = Some(best.release.0);
    d.date_source = Some(best.release.1);
    let newer = best.pkg.nevra.evr > inst_nevra.evr;
    if newer {
        // Advisories and CVEs fixed by moving from installed to best, skipped ones included.
        let mut ids = BTreeSet::new();
        let mut cves = BTreeSet::new();
        for j in &judged {
            let v = &j.pkg.nevra.evr;
            if *v > inst_nevra.evr && *v <= best.pkg.nevra.evr {
                if let Some(i) = j.advisory {
                    ids.insert(index.advisories[i].id.as_str());
                    cves.extend(index.advisories[i].cves.iter().map(String::as_str));
                }
            }
        }
        d.advisory_ids = ids.into_iter().map(str::to_string).collect();
        d.cves = cves.into_iter().map(str::to_string).collect();
    } else {
        d.advisory_ids = adv.map(|a| vec![a.id.clone()]).unwrap_or_default();
    }
    // An installonly package (a kernel) is pending a reboot also while another one runs.
    let pending = decision::installed_after_boot(host.boot_time, inst.install_time())
        || (is_installonly(name)
            && host.running_kernel.as_deref().is_some_and(|running| {
                let vr = format!(
                    "{}-{}.{}",
                    inst_nevra.evr.version, inst_nevra.evr.release, arch
                );
                running != vr
            }));
    decision::settle(
        &mut d,
        newer,
        &inst_nevra.evr,
        &best.pkg.nevra.evr,
        best.reason(index),
        pending,
    );
    d
}

/// How [`evaluate_host`] treats the index's packages that are not installed.
#[derive(Clone, Copy)]
pub enum NotInstalled<'t> {
    /// Judge them for this host and list each NotApplicable record.
    List,
    /// Judge them for this host and count the NotApplicable ones without building records.
    Count,
    /// Take their verdicts from a table built for this host's index, baseline, product, time
    /// and module streams (see [`SharedVerdicts`]); list the records when `list`. The installed
    /// packages' versions are judged from the same table.
    Shared {
        table: &'t VerdictTable<'t>,
        list: bool,
    },
}

impl InstalledView for crate::host::rpmdb::InstalledRpm {
    fn nevra(&self) -> &crate::version::Nevra {
        &self.nevra
    }
    fn install_time(&self) -> Option<i64> {
        self.install_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{self, predefined, Baseline};
    use crate::engine::decision::{PatchState, STATES};
    use crate::repo::index::DateSource;
    use crate::repo::index::{Advisory, ModuleStream, RepoInfo};
    use crate::repo::rpmmd::AdvisoryPackage;
    use std::path::Path;

    const NOW: i64 = 1_750_000_000;
    const DAY: i64 = 86_400;

    #[derive(Clone)]
    struct Inst(Nevra, Option<i64>);
    impl InstalledView for Inst {
        fn nevra(&self) -> &Nevra {
            &self.0
        }
        fn install_time(&self) -> Option<i64> {
            self.1
        }
    }

    fn n(s: &str) -> Nevra {
        Nevra::parse(s).unwrap()
    }

    fn adv(
        id: &str,
        kind: &str,
        sev: Option<&str>,
        age_days: i64,
        cves: &[&str],
        pkgs: &[&str],
    ) -> Advisory {
        Advisory {
            id: id.into(),
            kind: Some(kind.into()),
            severity: sev.map(Into::into),
            title: String::new(),
            issued: None,
            updated: Some(NOW - age_days * DAY),
            cves: cves.iter().map(|c| c.to_string()).collect(),
            bugzillas: Vec::new(),
            packages: pkgs
                .iter()
                .map(|p| AdvisoryPackage {
                    nevra: n(p),
                    module: None,
                })
                .collect(),
        }
    }

    fn index() -> UpdateIndex {
        let mut ix = UpdateIndex::default();
        let r = ix.add_repo(RepoInfo {
            path: "repo".into(),
            revision: None,
            timestamp: None,
        });
        for p in [
            "openssl-1:3.0.8-2.x86_64",
            "openssl-1:3.0.8-3.x86_64",
            "openssl-1:3.0.8-4.x86_64",
            "openssl-1:3.0.8-3.i686",
            "kernel-6.1.10-1.x86_64",
            "zlib-1.2.13-1.x86_64",
            "nginx-1.24.0-1.x86_64",
            "nodejs-1:18.20.0-1.x86_64",
            "nodejs-1:20.12.0-1.x86_64",
            "tzdata-2025a-1.noarch",
        ] {
            ix.add_package(n(p), Some(NOW - 30 * DAY), r);
        }
        for (id, sev, age, cves, pkgs) in [
            (
                "ALAS-1",
                "Important",
                30,
                &["CVE-1"][..],
                &["openssl-1:3.0.8-2.x86_64"][..],
            ),
            (
                "ALAS-2",
                "Critical",
                20,
                &["CVE-2"],
                &["openssl-1:3.0.8-3.x86_64", "openssl-1:3.0.8-3.i686"],
            ),
            (
                "ALAS-3",
                "Critical",
                1,
                &["CVE-3"],
                &["openssl-1:3.0.8-4.x86_64"],
            ),
            ("ALAS-K", "Important", 10, &[], &["kernel-6.1.10-1.x86_64"]),
            ("ALAS-N", "Critical", 10, &[], &["nginx-1.24.0-1.x86_64"]),
            (
                "ALAS-M",
                "Critical",
                10,
                &[],
                &["nodejs-1:18.20.0-1.x86_64", "nodejs-1:20.12.0-1.x86_64"],
            ),
        ] {
            ix.add_advisory(adv(id, "security", Some(sev), age, cves, pkgs));
        }
        ix.add_module_stream(
            ModuleStream {
                name: "nodejs".into(),
                stream: "18".into(),
            },
            &[n("nodejs-1:18.20.0-1.x86_64")],
        );
        ix.add_module_stream(
            ModuleStream {
                name: "nodejs".into(),
                stream: "20".into(),
            },
            &[n("nodejs-1:20.12.0-1.x86_64")],
        );
        ix.module_defaults.insert("nodejs".into(), "18".into());
        ix
    }

    fn installed() -> Vec<Inst> {
        [
            "openssl-1:3.0.8-1.x86_64",
            "kernel-6.1.8-1.x86_64",
            "kernel-6.1.9-1.x86_64",
            "zlib-1.2.13-1.x86_64",
            "nodejs-1:18.19.0-1.x86_64",
            "custom-agent-1.0-1.x86_64",
        ]
        .iter()
        .map(|s| Inst(n(s), Some(NOW - 40 * DAY)))
        .collect()
    }

    fn run(b: &Baseline, host: &HostOptions) -> Evaluation {
        let ctx = Context {
            baseline: b,
            product: "AmazonLinux2023",
            now: NOW,
        };
        evaluate_host(&ctx, &installed(), &index(), host, NotInstalled::List)
    }

    fn find<'a>(e: &'a Evaluation, name: &str, arch: &str) -> &'a Decision {
        e.decisions
            .iter()
            .chain(&e.not_applicable)
            .find(|d| d.name == name && d.arch == arch)
            .unwrap_or_else(|| panic!("{name}.{arch} not reported"))
    }

    fn rpm(v: &Option<PackageVersion>) -> &crate::version::RpmEvr {
        v.as_ref().and_then(PackageVersion::as_rpm).unwrap()
    }

    #[test]
    fn default_baseline_states() {
        let b = predefined::load("AWS-AmazonLinux2023DefaultPatchBaseline")
            .unwrap()
            .baseline;
        let e = run(&b, &HostOptions::default());
        let ssl = find(&e, "openssl", "x86_64");
        assert_eq!(ssl.state, PatchState::Missing);
        // -4 is too recent (1 day); -3 is the best approved. CVEs of -2 and -3 (skipped one included).
        assert_eq!(
            ssl.candidate.as_ref().unwrap().to_full_string(),
            "1:3.0.8-3"
        );
        assert_eq!(ssl.cves, ["CVE-1", "CVE-2"]);
        assert_eq!(ssl.advisory_ids, ["ALAS-1", "ALAS-2"]);
        assert_eq!(
            (ssl.classification.as_str(), ssl.severity.as_str()),
            ("Security", "Critical")
        );
        assert_eq!(ssl.date_source, Some(DateSource::Updated));
        // i686 is not offered to an x86_64-only host.
        assert!(e
            .decisions
            .iter()
            .chain(&e.not_applicable)
            .all(|d| d.arch != "i686"));
        // The newest installed kernel is evaluated; only one kernel decision.
        let k: Vec<_> = e.decisions.iter().filter(|d| d.name == "kernel").collect();
        assert_eq!(k.len(), 1);
        assert_eq!(rpm(&k[0].installed).version, "6.1.9");
        assert_eq!(k[0].state, PatchState::Missing);
        // zlib: available version equals installed but has no advisory → not approved.
        assert_eq!(find(&e, "zlib", "x86_64").state, PatchState::InstalledOther);
        assert_eq!(
            find(&e, "custom-agent", "x86_64").state,
            PatchState::InstalledOther
        );
        // nodejs: stream 20 is not enabled; 18 is the default → 18.20 is the candidate.
        let node = find(&e, "nodejs", "x86_64");
        assert_eq!(rpm(&node.candidate).version, "18.20.0");
        // nginx not installed, approved → NotApplicable.
        assert_eq!(find(&e, "nginx", "x86_64").state, PatchState::NotApplicable);
    }

    #[test]
    fn enabled_stream_wins_over_default() {
        let b = predefined::load("AWS-AmazonLinux2023DefaultPatchBaseline")
            .unwrap()
            .baseline;
        let mut host = HostOptions::default();
        host.enabled_streams.insert("nodejs".into(), "20".into());
        let node = run(&b, &host)
            .decisions
            .into_iter()
            .find(|d| d.name == "nodejs")
            .unwrap();
        assert_eq!(rpm(&node.candidate).version, "20.12.0");
    }

    fn custom(json: &str) -> Baseline {
        let check = baseline::check_text(json, Path::new("t.json")).unwrap();
        check
            .documents
            .into_iter()
            .next()
            .unwrap()
            .baseline
            .unwrap()
    }

    #[test]
    fn rejected_block_vs_allow_and_stale_entries() {
        let block = custom(
            r#"{"Name":"blk","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]},"RejectedPatches":["openssl","no-such-package*"],"RejectedPatchesAction":"BLOCK","ApprovedPatches":["ALAS-404"]}"#,
        );
        let e = run(&block, &HostOptions::default());
        assert_eq!(
            find(&e, "openssl", "x86_64").state,
            PatchState::InstalledRejected
        );
        assert_eq!(e.unused_entries, ["ALAS-404", "no-such-package*"]);
        let allow = custom(
            r#"{"Name":"alw","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]},"RejectedPatches":["openssl"]}"#,
        );
        assert_eq!(
            find(&run(&allow, &HostOptions::default()), "openssl", "x86_64").state,
            PatchState::InstalledOther
        );
        // Rejecting only the newest version lets the previous one be the candidate.
        let newest = custom(
            r#"{"Name":"new","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]},"RejectedPatches":["openssl-1:3.0.8-4.x86_64"]}"#,
        );
        let ssl = run(&newest, &HostOptions::default())
            .decisions
            .into_iter()
            .find(|d| d.name == "openssl")
            .unwrap();
        assert_eq!(rpm(&ssl.candidate).release, "3");
    }

    /// An installed `foo.x86_64` and an approved `foo.noarch`: noarch replaces any arch (as
    /// libsolv lets an arch-specific package be upgraded to noarch), so the newer noarch build
    /// is the x86_64 package's update, reported under the installed arch.
    #[test]
    fn an_installed_arch_package_takes_an_approved_noarch_update() {
        let b = custom(
            r#"{"Name":"all","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0,"EnableNonSecurity":true}]},"ApprovedPatches":["tzdata"]}"#,
        );
        let ctx = Context {
            baseline: &b,
            product: "AmazonLinux2023",
            now: NOW,
        };
        let with = |installed: &str| {
            let inst = [Inst(n(installed), Some(NOW - 40 * DAY))];
            evaluate_host(
                &ctx,
                &inst,
                &index(),
                &HostOptions::default(),
                NotInstalled::List,
            )
        };
        let e = with("tzdata-2024a-1.x86_64");
        let tz = find(&e, "tzdata", "x86_64");
        assert_eq!(tz.state, PatchState::Missing, "{}", tz.reason);
        assert_eq!(rpm(&tz.candidate).to_full_string(), "0:2025a-1");
        assert!(
            !e.decisions
                .iter()
                .any(|d| d.name == "tzdata" && d.arch == "noarch"),
            "one record, under the installed arch"
        );
        // Installed at the noarch build's version, it is Installed.
        let e = with("tzdata-2025a-1.x86_64");
        assert_eq!(find(&e, "tzdata", "x86_64").state, PatchState::Installed);
    }

    #[test]
    fn installed_and_pending_reboot() {
        let b = custom(
            r#"{"Name":"all","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0,"EnableNonSecurity":true}]}}"#,
        );
        let e = run(&b, &HostOptions::default());
        let zlib = find(&e, "zlib", "x86_64");
        assert_eq!(zlib.state, PatchState::Installed, "{}", zlib.reason);
        let host = HostOptions {
            boot_time: Some(NOW - 50 * DAY),
            ..Default::default()
        };
        assert_eq!(
            find(&run(&b, &host), "zlib", "x86_64").state,
            PatchState::InstalledPendingReboot
        );
    }

    #[test]
    fn shared_tables_give_what_judging_per_host_gives() {
        let baselines = [
            predefined::load("AWS-AmazonLinux2023DefaultPatchBaseline")
                .unwrap()
                .baseline,
            custom(
                r#"{"Name":"blk","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]},"RejectedPatches":["nginx","no-such-package*"],"RejectedPatchesAction":"BLOCK","ApprovedPatches":["ALAS-404","tzdata"]}"#,
            ),
        ];
        let stream_20 = HostOptions {
            enabled_streams: [("nodejs".to_string(), "20".to_string())].into(),
            ..Default::default()
        };
        let no_node = HostOptions {
            disabled_modules: ["nodejs".to_string()].into(),
            ..Default::default()
        };
        let i686 = HostOptions {
            arch: Some("i686".into()),
            ..Default::default()
        };
        let hosts = [HostOptions::default(), stream_20, no_node, i686];
        // Without nodejs installed, its module state decides the NotApplicable candidate.
        let without_node: Vec<Inst> = installed()
            .into_iter()
            .filter(|i| i.0.name != "nodejs")
            .collect();
        let ix = index();
        let shared = SharedVerdicts::default();
        let mut candidates = BTreeSet::new();
        let mut listed_somewhere = 0;
        for b in &baselines {
            let ctx = Context {
                baseline: b,
                product: "AmazonLinux2023",
                now: NOW,
            };
            for host in &hosts {
                for inst in [installed(), without_node.clone()] {
                    let listed = evaluate_host(&ctx, &inst, &ix, host, NotInstalled::List);
                    let counted = evaluate_host(&ctx, &inst, &ix, host, NotInstalled::Count);
                    let table = shared.table(&ix, b, "AmazonLinux2023", NOW, host);
                    let from_table = |list| {
                        evaluate_host(
                            &ctx,
                            &inst,
                            &ix,
                            host,
                            NotInstalled::Shared {
                                table: &table,
                                list,
                            },
                        )
                    };
                    let (s_listed, s_counted) = (from_table(true), from_table(false));
                    let show = |e: &Evaluation| format!("{:?}", (&e.decisions, &e.unused_entries));
                    listed_somewhere += listed.not_applicable.len();
                    assert_eq!(show(&listed), show(&counted));
                    assert_eq!(show(&listed), show(&s_listed));
                    assert_eq!(show(&listed), show(&s_counted));
                    assert_eq!(
                        format!("{:?}", listed.not_applicable),
                        format!("{:?}", s_listed.not_applicable)
                    );
                    let n = listed.not_applicable.len() as u64;
                    assert_eq!(
                        (
                            counted.not_applicable.len(),
                            counted.not_applicable_unlisted
                        ),
                        (0, n)
                    );
                    assert_eq!(
                        (
                            s_counted.not_applicable.len(),
                            s_counted.not_applicable_unlisted
                        ),
                        (0, n)
                    );
                    assert_eq!(s_listed.not_applicable_unlisted, 0);
                    if let Some(d) = listed.not_applicable.iter().find(|d| d.name == "nodejs") {
                        candidates.insert(rpm(&d.candidate).version.clone());
                    }
                }
            }
        }
        assert!(listed_somewhere > 0);
        // The stream really changed the outcome, so tables were not shared across streams.
        assert_eq!(
            candidates,
            BTreeSet::from(["18.20.0".to_string(), "20.12.0".to_string()])
        );
        // One table per baseline and module configuration (the arch is applied per host).
        assert_eq!(shared.len(), 2 * 3);
    }

    #[test]
    fn state_discriminants_run_in_report_order() {
        let all = PatchState::ALL;
        assert_eq!(all.len(), STATES);
        for (i, s) in all.iter().enumerate() {
            assert_eq!(*s as usize, i);
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn host_arch_decides_which_builds_can_apply() {
        let b = predefined::load("AWS-AmazonLinux2023DefaultPatchBaseline")
            .unwrap()
            .baseline;
        let na_i686 = |host: &HostOptions| {
            run(&b, host)
                .not_applicable
                .iter()
                .filter(|d| d.arch == "i686")
                .count()
        };
        assert_eq!(
            na_i686(&HostOptions::default()),
            0,
            "x86_64-only host: no i686 builds"
        );
        let host = HostOptions {
            arch: Some("i686".into()),
            ..Default::default()
        };
        assert_eq!(na_i686(&host), 1, "--arch i686: openssl.i686 applies");
    }

    #[test]
    fn newer_kernel_than_the_running_one_is_pending_reboot() {
        let b = custom(
            r#"{"Name":"all","OperatingSystem":"AMAZON_LINUX_2023","ApprovalRules":{"PatchRules":[{"PatchFilterGroup":{"PatchFilters":[]},"ApproveAfterDays":0}]}}"#,
        );
        let mut inst = installed();
        inst.push(Inst(n("kernel-6.1.10-1.x86_64"), Some(NOW - DAY)));
        let ctx = Context {
            baseline: &b,
            product: "AmazonLinux2023",
            now: NOW,
        };
        let state = |running: &str| {
            let host = HostOptions {
                running_kernel: Some(running.into()),
                ..Default::default()
            };
            evaluate_host(&ctx, &inst, &index(), &host, NotInstalled::List)
                .decisions
                .into_iter()
                .find(|d| d.name == "kernel")
                .unwrap()
                .state
        };
        assert_eq!(state("6.1.9-1.x86_64"), PatchState::InstalledPendingReboot);
        assert_eq!(state("6.1.10-1.x86_64"), PatchState::Installed);
    }

    #[test]
    fn multilib_when_both_arches_installed() {
        let b = predefined::load("AWS-AmazonLinux2023DefaultPatchBaseline")
            .unwrap()
            .baseline;
        let mut inst = installed();
        inst.push(Inst(n("openssl-1:3.0.8-1.i686"), None));
        let ctx = Context {
            baseline: &b,
            product: "AmazonLinux2023",
            now: NOW,
        };
        let e = evaluate_host(
            &ctx,
            &inst,
            &index(),
            &HostOptions::default(),
            NotInstalled::List,
        );
        let d = e
            .decisions
            .iter()
            .find(|d| d.name == "openssl" && d.arch == "i686")
            .unwrap();
        assert_eq!(d.state, PatchState::Missing);
        assert_eq!(rpm(&d.candidate).release, "3");
    }
}
