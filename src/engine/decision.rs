//! What the engine decides, and the steps both engines take the same way: the RPM family
//! and SUSE ([`super::rpm`]) and APT (`super::apt`) differ in how they find and judge
//! candidate versions, not in what they make of them. Choosing an installed package's update,
//! settling Missing / Installed / InstalledPendingReboot, the rejected-installed state, the
//! baseline entries that matched nothing and the order of the outcome are written once here.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::approval::Verdict;
use crate::baseline::{
    Baseline, ComplianceLevel, PackageForms, PatchPattern, RejectedPatchesAction,
};
use crate::repo::index::DateSource;
use crate::version::PackageVersion;

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
pub(crate) const STATES: usize = PatchState::NotApplicable as usize + 1;

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
    /// Not-installed packages with an approved version (counted as NotApplicable), by name
    /// and arch.
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

/// A candidate version as an engine judged it: its version and the baseline's verdict.
pub(crate) trait Candidate {
    type Version: Ord;
    fn version(&self) -> &Self::Version;
    fn verdict(&self) -> &Verdict;
}

/// The approved version a package takes: the highest; of equal versions (one version seen
/// through several notices or lists), the one with the highest compliance level.
pub(crate) fn best_approved<'c, C: Candidate + 'c>(
    candidates: impl IntoIterator<Item = &'c C>,
) -> Option<&'c C> {
    candidates
        .into_iter()
        .filter(|c| c.verdict().is_approved())
        .max_by(|x, y| order(*x, *y))
}

/// Whether `new` is preferred to `old` by [`best_approved`]'s rule (a running best).
pub(crate) fn prefer<C: Candidate>(new: &C, old: &C) -> bool {
    order(new, old).is_gt()
}

fn order<C: Candidate>(x: &C, y: &C) -> std::cmp::Ordering {
    x.version().cmp(y.version()).then(
        x.verdict()
            .compliance_level
            .cmp(&y.verdict().compliance_level),
    )
}

/// The rejected entry an installed package's own version matches, if any.
pub(crate) fn rejected_installed<'b>(
    baseline: &'b Baseline,
    forms: &PackageForms,
) -> Option<&'b PatchPattern> {
    baseline
        .rejected_patches
        .iter()
        .find(|p| p.matches_package(forms))
}

/// Why an installed package has no update: nothing at all to consider, or nothing approved.
pub(crate) fn nothing_approved(any_candidate: bool) -> String {
    if any_candidate {
        "no available version is approved".into()
    } else {
        "no version at least as new as the installed one in the repositories".into()
    }
}

/// Whether a package installed at `installed` (UNIX seconds) came after the last boot.
pub(crate) fn installed_after_boot(boot: Option<i64>, installed: Option<i64>) -> bool {
    matches!((boot, installed), (Some(boot), Some(t)) if t > boot)
}

/// Settles an installed package's decision once its best approved version is known: Missing
/// when that version is newer (`why` says what approved it); otherwise Installed, or
/// InstalledPendingReboot when the host must still reboot into it.
pub(crate) fn settle(
    d: &mut Decision,
    newer: bool,
    installed: &dyn std::fmt::Display,
    approved: &dyn std::fmt::Display,
    why: String,
    pending_reboot: bool,
) {
    if newer {
        d.state = PatchState::Missing;
        d.reason = why;
        return;
    }
    d.state = PatchState::Installed;
    d.reason = format!("installed {installed} ≥ approved {approved}: {why}");
    if pending_reboot {
        d.state = PatchState::InstalledPendingReboot;
        d.reason = format!("installed after the last boot; {}", d.reason);
    }
}

impl Evaluation {
    /// Records the baseline's list entries that judging matched nothing with (`used`: those
    /// it did), and puts the decisions in the one order every report starts from: by state
    /// (declaration order), then name and arch; NotApplicable ones by name and arch.
    pub(crate) fn finish(mut self, baseline: &Baseline, used: &HashSet<String>) -> Self {
        for p in baseline
            .approved_patches
            .iter()
            .chain(&baseline.rejected_patches)
        {
            if !used.contains(p.as_str()) {
                self.unused_entries.push(p.to_string());
            }
        }
        // Keys are unique: one decision per name.arch.
        self.decisions
            .sort_unstable_by(|a, b| (a.state, &a.name, &a.arch).cmp(&(b.state, &b.name, &b.arch)));
        self.not_applicable
            .sort_unstable_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::approval::ApprovedBy;

    struct C(u32, Verdict);
    impl Candidate for C {
        type Version = u32;
        fn version(&self) -> &u32 {
            &self.0
        }
        fn verdict(&self) -> &Verdict {
            &self.1
        }
    }
    fn c(version: u32, approved: bool, level: ComplianceLevel) -> C {
        C(
            version,
            Verdict {
                approved_by: if approved {
                    vec![ApprovedBy::Rule(0)]
                } else {
                    vec![]
                },
                rejected_by: None,
                compliance_level: level,
            },
        )
    }

    /// Both engines take the highest approved version, and of equal versions the highest
    /// compliance level, however the candidates are ordered; a running best agrees.
    #[test]
    fn the_best_approved_version_and_its_ties() {
        use ComplianceLevel::*;
        let all = [
            c(3, false, Critical),
            c(2, true, Low),
            c(2, true, High),
            c(2, true, Medium),
            c(1, true, Critical),
        ];
        for rotation in 0..all.len() {
            let order: Vec<&C> = all.iter().cycle().skip(rotation).take(all.len()).collect();
            let best = best_approved(order.iter().copied()).unwrap();
            assert_eq!((best.0, best.1.compliance_level), (2, High), "{rotation}");
            let mut running: Option<&C> = None;
            for x in order.iter().copied().filter(|x| x.1.is_approved()) {
                if running.is_none_or(|r| prefer(x, r)) {
                    running = Some(x);
                }
            }
            assert_eq!(
                running.map(|r| (r.0, r.1.compliance_level)),
                Some((2, High))
            );
        }
        assert!(best_approved([&c(5, false, Critical)]).is_none());
    }

    /// One text per case, whichever engine decides.
    #[test]
    fn settling_an_installed_package() {
        let fresh = || {
            Decision::installed_other(
                "p",
                "x86_64",
                PackageVersion::Deb(crate::version::DebVersion::parse("1").unwrap()),
                None,
            )
        };
        let mut d = fresh();
        settle(&mut d, true, &"1", &"2", "approved by rule 0".into(), true);
        assert_eq!(
            (d.state, d.reason.as_str()),
            (PatchState::Missing, "approved by rule 0")
        );
        let mut d = fresh();
        settle(
            &mut d,
            false,
            &"2",
            &"2",
            "approved by rule 0".into(),
            false,
        );
        assert_eq!(d.state, PatchState::Installed);
        assert_eq!(d.reason, "installed 2 ≥ approved 2: approved by rule 0");
        let mut d = fresh();
        settle(&mut d, false, &"2", &"1", "approved by rule 0".into(), true);
        assert_eq!(d.state, PatchState::InstalledPendingReboot);
        assert_eq!(
            d.reason,
            "installed after the last boot; installed 2 ≥ approved 1: approved by rule 0"
        );
        assert!(installed_after_boot(Some(10), Some(11)));
        assert!(!installed_after_boot(Some(10), Some(10)) && !installed_after_boot(None, Some(1)));
        assert_ne!(nothing_approved(true), nothing_approved(false));
    }
}
