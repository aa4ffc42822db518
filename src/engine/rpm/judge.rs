//! Judging the RPM family's candidate versions: which versions an installed name.arch can take
//! (compatible arch, an active module stream), which notices apply to each on this host, and
//! the baseline's verdict through each.

use std::collections::{HashMap, HashSet};

use super::super::approval::{self, AdvisoryFacts, Context, PatchFacts, Verdict};
use super::super::decision::{best_approved, Candidate, Decision, HostOptions};
use crate::baseline::PackageForms;
use crate::repo::index::{AdvisoryLink, AvailablePackage, DateSource, UpdateIndex};
use crate::version::{PackageVersion, RpmEvr};
use crate::vocab::time::format_time;

/// Maps and sets keyed by package names and arches: foldhash (seeded per process) instead of
/// SipHash, a tenth of the cost on these short keys.
pub(super) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(super) type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// Names dnf installs side by side instead of upgrading.
pub fn is_installonly(name: &str) -> bool {
    name == "kernel"
        || name.starts_with("kernel-")
            && !name.starts_with("kernel-headers")
            && !name.starts_with("kernel-tools")
}

/// Whether an available arch can update an installed one (noarch crosses both ways).
pub(super) fn arch_compatible(installed: &str, available: &str) -> bool {
    installed == available || installed == "noarch" || available == "noarch"
}

pub(super) fn module_allowed(
    p: &AvailablePackage,
    index: &UpdateIndex,
    host: &HostOptions,
) -> bool {
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
pub(super) struct Judged<'i> {
    pub(super) pkg: &'i AvailablePackage,
    pub(super) advisory: Option<usize>,
    pub(super) verdict: Verdict,
    pub(super) release: (i64, DateSource),
    /// [`describe`] of it, when it was written ahead (shared tables, approved versions only).
    pub(super) reason: Option<String>,
}

impl Candidate for Judged<'_> {
    type Version = RpmEvr;
    fn version(&self) -> &RpmEvr {
        &self.pkg.nevra.evr
    }
    fn verdict(&self) -> &Verdict {
        &self.verdict
    }
}

impl Judged<'_> {
    /// Why it was approved: written ahead, or now.
    pub(super) fn reason(&self, index: &UpdateIndex) -> String {
        self.reason.clone().unwrap_or_else(|| describe(self, index))
    }
}

/// Judges one candidate version through each notice that lists it (or through none), adding
/// the outcomes to `out` and the baseline entries that matched to `used`.
pub(super) fn judge<'i>(
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

/// Why a version was approved: the rules or entries, its notice and its date.
pub(super) fn describe(j: &Judged<'_>, index: &UpdateIndex) -> String {
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

/// The distinct arches of a name's available versions, in the order they first appear.
pub(super) fn distinct_arches(list: &[AvailablePackage]) -> impl Iterator<Item = &str> {
    list.iter().enumerate().filter_map(move |(i, p)| {
        let arch = p.nevra.arch.as_str();
        (!list[..i].iter().any(|q| q.nevra.arch == arch)).then_some(arch)
    })
}

/// The approved version a not-installed name.arch (versions in `list`) would take, if any.
pub(super) fn best_approved_as_not_installed<'i>(
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
    let best = best_approved(&judged)?;
    let at = judged.iter().position(|j| std::ptr::eq(j, best))?;
    Some(judged.swap_remove(at))
}

/// The NotApplicable record of a not-installed name.arch whose highest approved version is
/// `best`.
pub(super) fn not_applicable_decision(
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
