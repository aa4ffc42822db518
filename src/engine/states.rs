//! Categorising a host's packages into Patch Manager states (spec §3.4, RPM family and SUSE).
//!
//! Per installed `name.arch` (the highest installed version; for installonly packages such as
//! kernels that is the newest kernel): collect the available versions for that name with a
//! compatible architecture and an enabled module stream, ask [`approval`] about each, and
//! compare the highest approved one with what is installed.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::Serialize;

use super::approval::{self, AdvisoryFacts, Context, PatchFacts, Verdict};
use crate::baseline::{ComplianceLevel, PackageForms, RejectedPatchesAction};
use crate::repo::index::{AdvisoryLink, AvailablePackage, DateSource, UpdateIndex};
use crate::version::{Nevra, PackageVersion};

/// A patch's compliance state, spelled as agents upload it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PatchState {
    Missing,
    Failed,
    InstalledPendingReboot,
    InstalledRejected,
    Installed,
    InstalledOther,
    NotApplicable,
}

/// How many states there are (the discriminants run 0..STATES in `Ord` order; tested).
const STATES: usize = PatchState::NotApplicable as usize + 1;

impl PatchState {
    /// Every state, in `Ord` (report) order.
    pub const ALL: [PatchState; STATES] = [
        PatchState::Missing,
        PatchState::Failed,
        PatchState::InstalledPendingReboot,
        PatchState::InstalledRejected,
        PatchState::Installed,
        PatchState::InstalledOther,
        PatchState::NotApplicable,
    ];

    /// The PascalCase wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "Missing",
            Self::Failed => "Failed",
            Self::InstalledPendingReboot => "InstalledPendingReboot",
            Self::InstalledRejected => "InstalledRejected",
            Self::Installed => "Installed",
            Self::InstalledOther => "InstalledOther",
            Self::NotApplicable => "NotApplicable",
        }
    }

    /// Whether the state makes the host non-compliant.
    pub fn is_non_compliant(self) -> bool {
        matches!(
            self,
            Self::Missing | Self::Failed | Self::InstalledPendingReboot | Self::InstalledRejected
        )
    }
}

/// What the engine needs of an installed package.
pub trait InstalledView {
    fn nevra(&self) -> &Nevra;
    /// Install time, UNIX seconds.
    fn install_time(&self) -> Option<i64>;
}

/// Host facts beyond the package list.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// Enabled module streams (`etc/dnf/modules.d/*.module`), module → stream.
    pub enabled_streams: HashMap<String, String>,
    /// Modules explicitly disabled.
    pub disabled_modules: HashSet<String>,
    /// Last boot, UNIX seconds: packages installed after it are pending a reboot.
    pub boot_time: Option<i64>,
    /// The running kernel release (`uname -r`), on a live scan.
    pub running_kernel: Option<String>,
    /// The host architecture when given (`--arch`); otherwise the arches of installed
    /// packages decide which not-installed packages can apply.
    pub arch: Option<String>,
}

/// One reported patch: an installed package, or a not-installed one with an approved update.
#[derive(Debug, Clone)]
pub struct Decision {
    pub name: String,
    pub arch: String,
    pub state: PatchState,
    pub installed: Option<PackageVersion>,
    pub candidate: Option<PackageVersion>,
    /// Title-case notice type of the chosen version (`Security`, `Bugfix`, …), or empty.
    pub classification: String,
    /// Vendor severity of the chosen version's notice, or empty.
    pub severity: String,
    pub compliance_level: ComplianceLevel,
    pub advisory_ids: Vec<String>,
    pub cves: Vec<String>,
    pub installed_time: Option<i64>,
    /// Release time used for the chosen version, and where it came from.
    pub release_time: Option<i64>,
    pub date_source: Option<DateSource>,
    /// Why: the rule or list entry, advisory and date.
    pub reason: String,
}

impl Decision {
    /// An installed package's decision before any candidate is chosen: InstalledOther, with
    /// nothing approved yet.
    pub fn installed_other(
        name: &str,
        arch: &str,
        installed: PackageVersion,
        installed_time: Option<i64>,
    ) -> Self {
        Decision {
            name: name.to_string(),
            arch: arch.to_string(),
            state: PatchState::InstalledOther,
            installed: Some(installed),
            candidate: None,
            classification: String::new(),
            severity: String::new(),
            compliance_level: ComplianceLevel::Unspecified,
            advisory_ids: Vec::new(),
            cves: Vec::new(),
            installed_time,
            release_time: None,
            date_source: None,
            reason: String::new(),
        }
    }

    /// A not-installed name.arch with an approved version: NotApplicable. AWS omits
    /// Classification and Severity for NotApplicable (spec §5.1).
    pub fn not_applicable(
        name: &str,
        arch: &str,
        candidate: PackageVersion,
        compliance_level: ComplianceLevel,
        reason: String,
    ) -> Self {
        Decision {
            name: name.to_string(),
            arch: arch.to_string(),
            state: PatchState::NotApplicable,
            installed: None,
            candidate: Some(candidate),
            classification: String::new(),
            severity: String::new(),
            compliance_level,
            advisory_ids: Vec::new(),
            cves: Vec::new(),
            installed_time: None,
            release_time: None,
            date_source: None,
            reason,
        }
    }
}

/// The outcome for one host.
#[derive(Debug, Default, Clone)]
pub struct Evaluation {
    /// Installed packages' decisions and the Missing ones (NotApplicable listed separately).
    pub decisions: Vec<Decision>,
    /// Not-installed packages with an approved version (counted as NotApplicable), in no
    /// particular order: reports sort what they list.
    pub not_applicable: Vec<Decision>,
    /// Approved/rejected entries that matched nothing (a stale baseline is a finding).
    pub unused_entries: Vec<String>,
    /// NotApplicable patches counted but not kept in `not_applicable`, because the caller will
    /// not list them (an approve-all baseline on a Debian archive has 60,000).
    pub not_applicable_unlisted: u64,
}

/// The state of an installed package whose version a rejected entry matches (spec §3.4:
/// `BLOCK` → InstalledRejected, `ALLOW_AS_DEPENDENCY` → InstalledOther), and why.
pub fn rejected_state(
    entry: &crate::baseline::PatchPattern,
    action: RejectedPatchesAction,
) -> (PatchState, String) {
    let state = match action {
        RejectedPatchesAction::Block => PatchState::InstalledRejected,
        RejectedPatchesAction::AllowAsDependency => PatchState::InstalledOther,
    };
    let reason = format!(
        "installed version matches rejected entry {:?} ({})",
        entry.as_str(),
        action.as_str()
    );
    (state, reason)
}

/// Maps and sets keyed by package names and arches: foldhash (seeded per process) instead of
/// SipHash, a tenth of the cost on these short keys.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// Names dnf installs side by side instead of upgrading.
pub fn is_installonly(name: &str) -> bool {
    name == "kernel"
        || name.starts_with("kernel-")
            && !name.starts_with("kernel-headers")
            && !name.starts_with("kernel-tools")
}

/// Whether an available arch can update an installed one (noarch crosses both ways).
fn arch_compatible(installed: &str, available: &str) -> bool {
    installed == available || installed == "noarch" || available == "noarch"
}

fn module_allowed(p: &AvailablePackage, index: &UpdateIndex, host: &HostOptions) -> bool {
    p.modules.is_empty()
        || p.modules
            .iter()
            .any(|m| stream_active(&m.name, &m.stream, index, host))
}

/// Whether a module stream is active on the host: enabled in `etc/dnf/modules.d`, or the
/// module's default stream when the host chose none; never when the module is disabled.
fn stream_active(name: &str, stream: &str, index: &UpdateIndex, host: &HostOptions) -> bool {
    if host.disabled_modules.contains(name) {
        return false;
    }
    match host.enabled_streams.get(name) {
        Some(enabled) => enabled == stream,
        None => index.module_defaults.get(name).is_some_and(|d| d == stream),
    }
}

/// Whether a notice applies to the package it lists on this host. A notice whose collections
/// listing the package are all bound to module streams applies only when the modules
/// metadata describes one of those streams with the collection's context and that stream is
/// active (enabled, or the default) — as libdnf 0.69 decides (`AdvisoryModule::isApplicable`:
/// a module of that name, stream and context that is active). With no modules metadata at
/// all, such a notice never applies. Recorded against real dnf on beds from real Rocky and
/// libdnf advisories in `tests/scan_ids.rs`.
fn notice_applies(link: &AdvisoryLink, index: &UpdateIndex, host: &HostOptions) -> bool {
    match &link.modules {
        None => true,
        Some(streams) => streams.iter().any(|m| {
            let known = match m.context.as_deref().filter(|c| !c.is_empty()) {
                Some(ctx) => index.module_contexts.contains(&(
                    m.name.clone(),
                    m.stream.clone(),
                    ctx.to_string(),
                )),
                None => index
                    .module_contexts
                    .iter()
                    .any(|(n, s, _)| *n == m.name && *s == m.stream),
            };
            known && stream_active(&m.name, &m.stream, index, host)
        }),
    }
}

/// The release date of one version seen through one notice (or none).
fn release(p: &AvailablePackage, adv: Option<&crate::repo::index::Advisory>) -> (i64, DateSource) {
    if let Some(a) = adv {
        if let Some(t) = a.updated {
            return (t, DateSource::Updated);
        }
        if let Some(t) = a.issued {
            return (t, DateSource::Issued);
        }
    }
    match p.build_time {
        Some(t) => (t, DateSource::BuildTime),
        None => (0, DateSource::None),
    }
}

/// One candidate version judged through one notice (or through none).
struct Judged<'i> {
    pkg: &'i AvailablePackage,
    advisory: Option<usize>,
    verdict: Verdict,
    release: (i64, DateSource),
    /// [`describe`] of it, when it was written ahead (shared tables, approved versions only).
    reason: Option<String>,
}

impl Judged<'_> {
    /// Why it was approved: written ahead, or now.
    fn reason(&self, index: &UpdateIndex) -> String {
        self.reason.clone().unwrap_or_else(|| describe(self, index))
    }
}

/// Judges one candidate version through each notice that lists it (or through none), adding
/// the outcomes to `out` and the baseline entries that matched to `used`.
fn judge<'i>(
    pkg: &'i AvailablePackage,
    index: &'i UpdateIndex,
    ctx: &Context<'_>,
    host: &HostOptions,
    used: &mut Vec<String>,
    out: &mut Vec<Judged<'i>>,
) {
    let b = ctx.baseline;
    // Name forms are only matched against patch lists; most baselines have none.
    let forms = if b.approved_patches.is_empty() && b.rejected_patches.is_empty() {
        PackageForms::none()
    } else {
        PackageForms::rpm(&pkg.nevra.name, &pkg.nevra.evr, &pkg.nevra.arch)
    };
    let mut applicable = pkg
        .advisories
        .iter()
        .filter(|link| notice_applies(link, index, host))
        .map(|link| link.advisory)
        .peekable();
    // A version no applicable notice lists is judged as a package without a notice.
    let none = applicable.peek().is_none().then_some(None);
    for adv_idx in applicable.map(Some).chain(none) {
        let adv = adv_idx.map(|i| &index.advisories[i]);
        let rel = release(pkg, adv);
        let facts = PatchFacts {
            forms: &forms,
            advisory: adv.map(|a| AdvisoryFacts {
                id: &a.id,
                classification: a.kind.as_deref().unwrap_or(""),
                severity: a.severity.as_deref(),
                cves: &a.cves,
                bugzillas: &a.bugzillas,
            }),
            priority: None,
            section: None,
            is_security: adv.is_some(),
            release_time: rel.0,
        };
        let verdict = approval::evaluate(&facts, ctx);
        verdict.note_entries(used);
        out.push(Judged {
            pkg,
            advisory: adv_idx,
            verdict,
            release: rel,
            reason: None,
        });
    }
}

fn describe(j: &Judged<'_>, index: &UpdateIndex) -> String {
    let by = j.verdict.approvers();
    let adv = j
        .advisory
        .map(|i| index.advisories[i].id.as_str())
        .unwrap_or("no advisory");
    let date = match j.release.1 {
        DateSource::None => "no date (1970-01-01)".to_string(),
        src => format!("{:?} {}", src, format_time(j.release.0)),
    };
    format!("approved by {by} ({adv}; {date})")
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC); times outside years 0000–9999 as plain seconds.
///
/// Written out by hand (the civil-from-days conversion of Howard Hinnant's date algorithms):
/// reports format a time per patch, and the `time` crate's formatter was a tenth of a scan.
pub fn format_time(t: i64) -> String {
    const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    if !(MIN..=MAX).contains(&t) {
        return t.to_string();
    }
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = [0u8; 20];
    let mut at = 0;
    for (value, width, sep) in [
        (year, 4, b'-'),
        (month, 2, b'-'),
        (day, 2, b'T'),
        (secs / 3600, 2, b':'),
        (secs / 60 % 60, 2, b':'),
        (secs % 60, 2, b'Z'),
    ] {
        let mut digits = [b'0'; 4];
        let mut v = value;
        for d in digits[..width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out[at..at + width].copy_from_slice(&digits[..width]);
        out[at + width] = sep;
        at += width + 1;
    }
    // ASCII digits and separators only.
    String::from_utf8_lossy(&out).into_owned()
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
    // Grouped by state (declaration order, as `Ord` sorts them), name.arch order within each:
    // a stable sort of the decisions themselves moved each one many times.
    let mut used: HashSet<String> = HashSet::new();
    let mut sizes = [0usize; STATES];
    for (d, _) in &judged {
        sizes[d.state as usize] += 1;
    }
    let mut by_state: [Vec<Decision>; STATES] = sizes.map(Vec::with_capacity);
    for (d, u) in judged {
        used.extend(u);
        by_state[d.state as usize].push(d);
    }
    out.decisions = Vec::with_capacity(entries.len());
    for group in by_state {
        out.decisions.extend(group);
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
                            best_not_installed(ctx, index, host, arch, list, &mut used)
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

    for p in b.approved_patches.iter().chain(&b.rejected_patches) {
        if !used.contains(p.as_str()) {
            out.unused_entries.push(p.to_string());
        }
    }
    // Keys are unique: name.arch per state.
    out.not_applicable
        .sort_unstable_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
    out
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
    let rejected_installed = b
        .rejected_patches
        .iter()
        .find(|p| p.matches_package(&inst_forms));
    if let Some(r) = rejected_installed {
        used.push(r.to_string());
    }
    // Highest approved version; ties go to the highest compliance level.
    let best = judged
        .iter()
        .filter(|j| j.verdict.is_approved())
        .max_by(|x, y| {
            x.pkg
                .nevra
                .evr
                .cmp(&y.pkg.nevra.evr)
                .then(x.verdict.compliance_level.cmp(&y.verdict.compliance_level))
        });
    let mut d = Decision::installed_other(
        name,
        arch,
        PackageVersion::Rpm(inst_nevra.evr.clone()),
        inst.install_time(),
    );
    if let Some(r) = rejected_installed {
        (d.state, d.reason) = rejected_state(r, b.rejected_patches_action);
        return d;
    }
    let Some(best) = best else {
        d.reason = if judged.is_empty() {
            "no available version in the repositories".into()
        } else {
            "no available version is approved".into()
        };
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
    if best.pkg.nevra.evr > inst_nevra.evr {
        d.state = PatchState::Missing;
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
        d.reason = best.reason(index);
    } else {
        d.state = PatchState::Installed;
        d.advisory_ids = adv.map(|a| vec![a.id.clone()]).unwrap_or_default();
        d.reason = format!(
            "installed {} ≥ approved {}: {}",
            inst_nevra.evr,
            best.pkg.nevra.evr,
            best.reason(index)
        );
        let pending = match (host.boot_time, inst.install_time()) {
            (Some(boot), Some(t)) => t > boot,
            _ => false,
        } || (is_installonly(name)
            && host.running_kernel.as_deref().is_some_and(|running| {
                let vr = format!(
                    "{}-{}.{}",
                    inst_nevra.evr.version, inst_nevra.evr.release, arch
                );
                running != vr
            }));
        if pending {
            d.state = PatchState::InstalledPendingReboot;
            d.reason = format!("installed after the last boot; {}", d.reason);
        }
    }
    d
}

/// The distinct arches of a name's available versions, in the order they first appear.
fn distinct_arches(list: &[AvailablePackage]) -> impl Iterator<Item = &str> {
    list.iter().enumerate().filter_map(move |(i, p)| {
        let arch = p.nevra.arch.as_str();
        (!list[..i].iter().any(|q| q.nevra.arch == arch)).then_some(arch)
    })
}

/// The highest approved version of a not-installed name.arch (versions in `list`), if any.
fn best_not_installed<'i>(
    ctx: &Context<'_>,
    index: &'i UpdateIndex,
    host: &HostOptions,
    arch: &str,
    list: &'i [AvailablePackage],
    used: &mut Vec<String>,
) -> Option<Judged<'i>> {
    let mut judged: Vec<Judged<'_>> = Vec::new();
    for q in list {
        if q.nevra.arch == arch && module_allowed(q, index, host) {
            judge(q, index, ctx, host, used, &mut judged);
        }
    }
    judged
        .into_iter()
        .filter(|j| j.verdict.is_approved())
        .max_by(|x, y| x.pkg.nevra.evr.cmp(&y.pkg.nevra.evr))
}

/// The NotApplicable record of a not-installed name.arch whose highest approved version is
/// `best`.
fn not_applicable_decision(
    name: &str,
    arch: &str,
    best: &Judged<'_>,
    index: &UpdateIndex,
) -> Decision {
    Decision {
        release_time: Some(best.release.0),
        date_source: Some(best.release.1),
        ..Decision::not_applicable(
            name,
            arch,
            PackageVersion::Rpm(best.pkg.nevra.evr.clone()),
            best.verdict.compliance_level,
            format!("not installed; {}", best.reason(index)),
        )
    }
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

/// One distinct arch of a name in the index, judged as not installed.
struct NotInstalledSlot {
    arch: String,
    /// The NotApplicable record, when some version of this name.arch is approved.
    decision: Option<Decision>,
    /// Baseline entries that judging it matched.
    used: Vec<String>,
}

/// What one name of the index is judged to, for one table.
struct NameVerdicts<'i> {
    name: &'i str,
    /// Every version of the name whose module stream is enabled, judged through each notice
    /// that lists it (or none), in the index's order, with the reasons of approved ones
    /// written: what an installed name.arch's decision starts from.
    versions: Vec<Judged<'i>>,
    /// Its distinct arches in the order they first appear, as [`evaluate_host`] visits them,
    /// judged as not installed.
    arches: Vec<NotInstalledSlot>,
}

/// The verdicts on every version of an index, and on every name.arch as if not installed, for
/// one baseline, product, time and module-stream configuration: judged once for every host
/// that shares them instead of once per host. What stays per host is comparing them with what
/// it has installed.
pub struct VerdictTable<'i> {
    /// Per name, in `index.packages`' iteration order (the index is not changed after it is
    /// built, so every iteration visits the names in the same order).
    names: Vec<NameVerdicts<'i>>,
    /// Name → position in `names`.
    positions: FastMap<&'i str, usize>,
    /// How many name.arches of each arch have an approved version (NotApplicable when not
    /// installed).
    approved_per_arch: FastMap<String, u64>,
    /// The (name position, arch slot) pairs whose judging matched baseline entries.
    with_entries: Vec<(usize, usize)>,
}

impl<'i> VerdictTable<'i> {
    /// Judges every version and name.arch of `index` (on the calling thread: see
    /// [`SharedVerdicts`]).
    pub fn build(ctx: &Context<'_>, index: &'i UpdateIndex, host: &HostOptions) -> Self {
        let mut positions =
            FastMap::with_capacity_and_hasher(index.packages.len(), Default::default());
        let names = index
            .packages
            .iter()
            .enumerate()
            .map(|(at, (name, list))| {
                positions.insert(name.as_str(), at);
                let mut scratch = Vec::new();
                let mut versions = Vec::new();
                for p in list {
                    if module_allowed(p, index, host) {
                        judge(p, index, ctx, host, &mut scratch, &mut versions);
                    }
                }
                for j in &mut versions {
                    if j.verdict.is_approved() {
                        j.reason = Some(describe(j, index));
                    }
                }
                // As not installed, a name.arch takes its highest approved version: what
                // `best_not_installed` finds, from the versions judged above.
                let arches = distinct_arches(list)
                    .map(|arch| {
                        let of_arch = || versions.iter().filter(|j| j.pkg.nevra.arch == arch);
                        let mut used = Vec::new();
                        for j in of_arch() {
                            j.verdict.note_entries(&mut used);
                        }
                        let decision = of_arch()
                            .filter(|j| j.verdict.is_approved())
                            .max_by(|x, y| x.pkg.nevra.evr.cmp(&y.pkg.nevra.evr))
                            .map(|best| not_applicable_decision(name, arch, best, index));
                        NotInstalledSlot {
                            arch: arch.to_string(),
                            decision,
                            used,
                        }
                    })
                    .collect();
                NameVerdicts {
                    name,
                    versions,
                    arches,
                }
            })
            .collect::<Vec<NameVerdicts<'i>>>();
        let mut approved_per_arch: FastMap<String, u64> = FastMap::default();
        let mut with_entries = Vec::new();
        for (at, n) in names.iter().enumerate() {
            for (k, slot) in n.arches.iter().enumerate() {
                if slot.decision.is_some() {
                    *approved_per_arch.entry(slot.arch.clone()).or_default() += 1;
                }
                if !slot.used.is_empty() {
                    with_entries.push((at, k));
                }
            }
        }
        VerdictTable {
            names,
            positions,
            approved_per_arch,
            with_entries,
        }
    }

    /// The judged versions of `name` (none when the index does not have it).
    fn judged(&self, name: &str) -> &[Judged<'i>] {
        self.positions
            .get(name)
            .map_or(&[], |&at| self.names[at].versions.as_slice())
    }
}

/// What a table depends on beyond the index and baseline (compared by address).
#[derive(PartialEq, Eq, Hash)]
struct TableKey {
    index: usize,
    baseline: usize,
    product: String,
    now: i64,
    enabled_streams: Vec<(String, String)>,
    disabled_modules: Vec<String>,
}

/// A table, or the place where the first host that needs it builds it.
type TableCell<'a> = Arc<OnceLock<Arc<VerdictTable<'a>>>>;

/// Verdict tables shared by the hosts of one fleet run, built the first time a (index,
/// baseline, product, time, module streams) combination is seen. The lifetime ties the cache to
/// the indexes and baselines it was built from, which are compared by address.
#[derive(Default)]
pub struct SharedVerdicts<'a> {
    tables: std::sync::Mutex<FastMap<TableKey, TableCell<'a>>>,
}

impl<'a> SharedVerdicts<'a> {
    /// The table for this combination, built now if no host needed it before. A second host
    /// that asks while it is being built waits for it. The table is built on the calling thread
    /// without rayon, so that a worker waiting here never runs a task that asks for the same
    /// table again.
    pub fn table(
        &self,
        index: &'a UpdateIndex,
        baseline: &'a crate::baseline::Baseline,
        product: &str,
        now: i64,
        host: &HostOptions,
    ) -> Arc<VerdictTable<'a>> {
        let mut enabled_streams: Vec<(String, String)> = host
            .enabled_streams
            .iter()
            .map(|(m, s)| (m.clone(), s.clone()))
            .collect();
        enabled_streams.sort_unstable();
        let mut disabled_modules: Vec<String> = host.disabled_modules.iter().cloned().collect();
        disabled_modules.sort_unstable();
        let key = TableKey {
            index: index as *const UpdateIndex as usize,
            baseline: baseline as *const crate::baseline::Baseline as usize,
            product: product.to_string(),
            now,
            enabled_streams,
            disabled_modules,
        };
        let cell = {
            let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
            tables.entry(key).or_default().clone()
        };
        cell.get_or_init(|| {
            let ctx = Context {
                baseline,
                product,
                now,
            };
            Arc::new(VerdictTable::build(&ctx, index, host))
        })
        .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{self, predefined, Baseline};
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
    fn format_time_writes_what_the_time_crate_writes() {
        let reference = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| {
                    d.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| t.to_string())
        };
        let mut t: i64 = 0x1234_5678;
        let mut cases = vec![
            0,
            -1,
            1,
            86_399,
            86_400,
            951_782_400, // 2000-02-29
            4_107_542_399,
            -62_167_219_200,
            -62_167_219_201,
            253_402_300_799,
            253_402_300_800,
            i64::MIN,
            i64::MAX,
        ];
        for _ in 0..20_000 {
            // xorshift over the whole range, and over ±200 years of seconds
            t ^= t << 13;
            t ^= t >> 7;
            t ^= t << 17;
            cases.push(t);
            cases.push(t % 6_311_390_400);
        }
        for t in cases {
            assert_eq!(format_time(t), reference(t), "{t}");
        }
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
        assert_eq!(shared.tables.lock().unwrap().len(), 2 * 3);
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
