//! Categorising a Debian/Ubuntu host's packages (spec §3.3 "Ubuntu / Debian" and §3.4).
//!
//! Per installed `name:arch`: the candidates are the versions at least as new as the
//! installed one, of a compatible architecture, in a list the host enables. A version is a
//! *security* version when some trusted enabled list whose suite is a security pocket
//! publishes it. [`approval`] judges each (PRIORITY and SECTION on the version's own fields,
//! no dates); the highest approved version by dpkg ordering decides, with no pinning — so with
//! `EnableNonSecurity` off the candidate is the highest *security* version even where a newer
//! non-security build exists, as AWS's agent does.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use super::approval::{self, Context, PatchFacts, Verdict};
use super::decision::{self, Candidate, Decision, Evaluation, HostOptions};
use crate::baseline::PackageForms;
use crate::host::dpkg::InstalledDeb;
use crate::repo::apt::{AptIndex, AptSelection, AvailableDeb};
use crate::version::{DebVersion, PackageVersion};

/// The host's native architecture: that of `dpkg` itself, else the most common non-`all`
/// architecture among installed packages.
pub fn native_arch(installed: &[InstalledDeb]) -> Option<String> {
    if let Some(d) = installed
        .iter()
        .find(|p| p.name == "dpkg" && !p.arch.is_empty())
    {
        return Some(d.arch.clone());
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for p in installed {
        if !p.arch.is_empty() && p.arch != "all" {
            *counts.entry(p.arch.as_str()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(a, n)| (*n, std::cmp::Reverse(*a)))
        .map(|(a, _)| a.to_string())
}

/// Whether an available architecture can replace an installed one, as apt groups them:
/// the same, or `all` ↔ the native architecture (a package may move between the two).
fn arch_compatible(installed: &str, available: &str, native: &str) -> bool {
    installed == available
        || (available == "all" && installed == native)
        || (installed == "all" && available == native)
}

struct Judged<'i> {
    pkg: &'i AvailableDeb,
    security: bool,
    verdict: Rc<Verdict>,
}

impl Candidate for Judged<'_> {
    type Version = DebVersion;
    fn version(&self) -> &DebVersion {
        &self.pkg.version
    }
    fn verdict(&self) -> &Verdict {
        &self.verdict
    }
}

fn is_security(p: &AvailableDeb, sel: &AptSelection) -> bool {
    p.lists.iter().any(|&l| sel.security[l as usize])
}

/// Verdicts by (Priority, Section, security): without patch lists that is all a verdict
/// depends on, and a Debian archive has a few hundred combinations for 65,000 versions.
/// Keyed by the interned strings' addresses (equal addresses, equal text; equal text at two
/// addresses only costs a second entry).
type VerdictCache = HashMap<(usize, usize, bool), Rc<Verdict>, foldhash::fast::RandomState>;

fn address(s: &Option<std::sync::Arc<str>>) -> usize {
    s.as_ref()
        .map_or(0, |a| std::sync::Arc::as_ptr(a) as *const u8 as usize)
}

fn enabled(p: &AvailableDeb, sel: &AptSelection) -> bool {
    p.lists.iter().any(|&l| sel.enabled[l as usize])
}

fn judge<'i>(
    name: &str,
    pkg: &'i AvailableDeb,
    sel: &AptSelection,
    ctx: &Context<'_>,
    used: &mut HashSet<String>,
    cache: &mut VerdictCache,
) -> Judged<'i> {
    let b = ctx.baseline;
    let security = is_security(pkg, sel);
    let lists = !(b.approved_patches.is_empty() && b.rejected_patches.is_empty());
    let key = (address(&pkg.priority), address(&pkg.section), security);
    if !lists {
        if let Some(v) = cache.get(&key) {
            return Judged {
                pkg,
                security,
                verdict: Rc::clone(v),
            };
        }
    }
    let forms = if lists {
        PackageForms::apt(name, pkg.version.as_str(), &pkg.arch)
    } else {
        PackageForms::none()
    };
    let facts = PatchFacts {
        forms: &forms,
        advisory: None,
        priority: pkg.priority.as_deref(),
        section: pkg.section.as_deref(),
        is_security: security,
        release_time: 0,
    };
    let verdict = Rc::new(approval::evaluate(&facts, ctx));
    verdict.note_entries(used);
    if !lists {
        cache.insert(key, Rc::clone(&verdict));
    }
    Judged {
        pkg,
        security,
        verdict,
    }
}

fn describe(j: &Judged<'_>, index: &AptIndex) -> String {
    let suites: BTreeSet<String> = j
        .pkg
        .lists
        .iter()
        .map(|&l| {
            let l = &index.lists[l as usize];
            match l.release.map(|r| &index.releases[r]) {
                Some(r) if !r.codename.is_empty() => r.codename.clone(),
                _ => l.dist.clone(),
            }
        })
        .collect();
    format!(
        "approved by {} ({}; {}; priority {})",
        j.verdict.approvers(),
        suites.into_iter().collect::<Vec<_>>().join(", "),
        if j.security {
            "security"
        } else {
            "not security"
        },
        j.pkg.priority.as_deref().unwrap_or("none")
    )
}

/// Evaluates one Debian/Ubuntu host: `installed` are its truly installed packages,
/// `selection` the lists of `index` it enables and trusts. NotApplicable decisions are kept
/// only with `list_not_applicable` (otherwise only counted).
pub fn evaluate_host(
    ctx: &Context<'_>,
    installed: &[InstalledDeb],
    index: &AptIndex,
    selection: &AptSelection,
    host: &HostOptions,
    list_not_applicable: bool,
) -> Evaluation {
    let b = ctx.baseline;
    let native = host
        .arch
        .clone()
        .or_else(|| native_arch(installed))
        .unwrap_or_default();
    let mut used: HashSet<String> = HashSet::new();
    let mut cache = VerdictCache::default();
    let mut out = Evaluation::default();
    let mut installed_keys: HashSet<(&str, &str), foldhash::fast::RandomState> = HashSet::default();

    for inst in installed {
        let arch = if inst.arch.is_empty() {
            native.as_str()
        } else {
            inst.arch.as_str()
        };
        if !installed_keys.insert((inst.name.as_str(), arch)) {
            continue;
        }
        let judged: Vec<Judged<'_>> = index
            .packages
            .get(inst.name.as_str())
            .iter()
            .filter(|p| {
                arch_compatible(arch, &p.arch, &native)
                    && p.version >= inst.version
                    && enabled(p, selection)
            })
            .map(|p| judge(&inst.name, p, selection, ctx, &mut used, &mut cache))
            .collect();
        let mut d = Decision::installed_other(
            &inst.name,
            arch,
            PackageVersion::Deb(inst.version.clone()),
            inst.install_time,
        );
        let rejected = if b.rejected_patches.is_empty() {
            None
        } else {
            let forms = PackageForms::apt(&inst.name, inst.version.as_str(), arch);
            decision::rejected_installed(b, &forms)
        };
        if let Some(r) = rejected {
            used.insert(r.to_string());
            (d.state, d.reason) = decision::rejected_state(r, b.rejected_patches_action);
            out.decisions.push(d);
            continue;
        }
        let Some(best) = decision::best_approved(&judged) else {
            d.reason = decision::nothing_approved(!judged.is_empty());
            out.decisions.push(d);
            continue;
        };
        d.candidate = Some(PackageVersion::Deb(best.pkg.version.clone()));
        d.classification = if best.security {
            "Security".into()
        } else {
            String::new()
        };
        d.severity = best.pkg.priority.as_deref().unwrap_or_default().to_string();
        d.compliance_level = best.verdict.compliance_level;
        let newer = best.pkg.version > inst.version;
        decision::settle(
            &mut d,
            newer,
            &inst.version,
            &best.pkg.version,
            describe(best, index),
            decision::installed_after_boot(host.boot_time, inst.install_time),
        );
        if newer && inst.status.is_held() {
            d.reason
                .push_str("; held (apt-get upgrade leaves it, Patch Manager reports it)");
        }
        out.decisions.push(d);
    }

    // Not installed: NotApplicable when some version for one of the host's architectures is
    // approved. The index's names are judged in chunks on the pool's threads (each chunk with
    // its own verdict cache); the results are joined in the index's order, so the outcome does
    // not depend on the split.
    let mut name_installed = vec![false; index.packages.len()];
    for (n, _) in &installed_keys {
        if let Some(i) = index.packages.position(n) {
            name_installed[i] = true;
        }
    }
    let mut host_arches: Vec<&str> = installed_keys
        .iter()
        .map(|(_, a)| *a)
        .filter(|a| *a != "all")
        .chain([native.as_str()])
        .collect();
    host_arches.sort_unstable();
    host_arches.dedup();
    let judge_chunk = |offset: usize, entries: &[crate::repo::apt::NameEntry]| {
        let mut used: HashSet<String> = HashSet::new();
        let mut cache = VerdictCache::default();
        let mut counted = 0u64;
        let mut listed = Vec::new();
        for (k, entry) in entries.iter().enumerate() {
            let name: &str = &entry.name;
            let name_installed = name_installed[offset + k];
            // The best approved version per architecture (one or two architectures per name).
            let mut best: smallvec::SmallVec<[(&str, Judged<'_>); 2]> = smallvec::SmallVec::new();
            for v in &entry.versions {
                let arch: &str = &v.arch;
                let applies = if arch == "all" {
                    !name_installed
                } else {
                    host_arches.contains(&arch)
                        && !(name_installed && installed_keys.contains(&(name, arch)))
                };
                if !applies || !enabled(v, selection) {
                    continue;
                }
                let j = judge(name, v, selection, ctx, &mut used, &mut cache);
                if !j.verdict.is_approved() {
                    continue;
                }
                match best.iter_mut().find(|(a, _)| *a == arch) {
                    Some((_, b)) => {
                        if decision::prefer(&j, b) {
                            *b = j;
                        }
                    }
                    None => best.push((arch, j)),
                }
            }
            if !list_not_applicable {
                counted += best.len() as u64;
                continue;
            }
            for (arch, best) in best {
                listed.push(Decision::not_applicable(
                    name,
                    arch,
                    PackageVersion::Deb(best.pkg.version.clone()),
                    best.verdict.compliance_level,
                    String::from("not installed; a version is approved"),
                ));
            }
        }
        (counted, listed, used)
    };
    const NAMES_AT_ONCE: usize = 8192;
    let chunks: Vec<(u64, Vec<Decision>, HashSet<String>)> = {
        use rayon::prelude::*;
        index
            .packages
            .entries()
            .par_chunks(NAMES_AT_ONCE)
            .enumerate()
            .map(|(c, entries)| judge_chunk(c * NAMES_AT_ONCE, entries))
            .collect()
    };
    for (counted, listed, chunk_used) in chunks {
        out.not_applicable_unlisted += counted;
        if out.not_applicable.is_empty() {
            out.not_applicable = listed;
        } else {
            out.not_applicable.extend(listed);
        }
        used.extend(chunk_used);
    }

    out.finish(b, &used)
}
