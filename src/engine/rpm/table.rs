//! Verdict tables shared by the hosts of a fleet: every version of an index, and every
//! name.arch as if not installed, judged once per (index, baseline, product, time, module
//! streams) instead of once per host.

use std::sync::{Arc, OnceLock};

use super::super::approval::Context;
use super::super::decision::best_approved;
use super::super::decision::{Decision, HostOptions};
use super::judge::{
    describe, distinct_arches, judge, module_allowed, not_applicable_decision, FastMap, Judged,
};
use crate::repo::index::UpdateIndex;

/// One distinct arch of a name in the index, judged as not installed.
pub(super) struct NotInstalledSlot {
    pub(super) arch: String,
    /// The NotApplicable record, when some version of this name.arch is approved.
    pub(super) decision: Option<Decision>,
    /// Baseline entries that judging it matched.
    pub(super) used: Vec<String>,
}

/// What one name of the index is judged to, for one table.
pub(super) struct NameVerdicts<'i> {
    pub(super) name: &'i str,
    /// Every version of the name whose module stream is enabled, judged through each notice
    /// that lists it (or none), in the index's order, with the reasons of approved ones
    /// written: what an installed name.arch's decision starts from.
    pub(super) versions: Vec<Judged<'i>>,
    /// Its distinct arches in the order they first appear, as [`evaluate_host`] visits them,
    /// judged as not installed.
    pub(super) arches: Vec<NotInstalledSlot>,
}

/// The verdicts on every version of an index, and on every name.arch as if not installed, for
/// one baseline, product, time and module-stream configuration: judged once for every host
/// that shares them instead of once per host. What stays per host is comparing them with what
/// it has installed.
pub struct VerdictTable<'i> {
    /// Per name, in `index.packages`' iteration order (the index is not changed after it is
    /// built, so every iteration visits the names in the same order).
    pub(super) names: Vec<NameVerdicts<'i>>,
    /// Name → position in `names`.
    pub(super) positions: FastMap<&'i str, usize>,
    /// How many name.arches of each arch have an approved version (NotApplicable when not
    /// installed).
    pub(super) approved_per_arch: FastMap<String, u64>,
    /// The (name position, arch slot) pairs whose judging matched baseline entries.
    pub(super) with_entries: Vec<(usize, usize)>,
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
                        let decision = best_approved(of_arch())
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
    pub(super) fn judged(&self, name: &str) -> &[Judged<'i>] {
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
    /// How many tables have been built or asked for.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.tables.lock().map_or(0, |t| t.len())
    }

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
