//! The update index of one repository set: every available RPM version with the update
//! notices that cover it. Built once per repository set and shared read-only by every host.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::repo::rpmmd::ModuleRef;
use crate::version::Nevra;

/// Where a release date came from (spec §3.3: updated → issued → build time → 1970).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DateSource {
    Updated,
    Issued,
    BuildTime,
    None,
}

/// One update notice, as the rpm-md reader gives it; in the index its package list is empty
/// (the packages point at their notices instead).
pub use crate::repo::rpmmd::Advisory;

/// A module stream an available package belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleStream {
    pub name: String,
    pub stream: String,
}

/// One available package version.
#[derive(Debug, Clone)]
pub struct AvailablePackage {
    pub nevra: Nevra,
    pub build_time: Option<i64>,
    /// Index into [`UpdateIndex::repos`].
    pub repo: usize,
    /// The notices that list this NEVRA, each with the module streams its collections are bound
    /// to.
    pub advisories: Vec<AdvisoryLink>,
    /// Module streams whose artifacts include this NEVRA.
    pub modules: Vec<ModuleStream>,
}

/// One notice listing a package, and under which module streams it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryLink {
    /// Index into [`UpdateIndex::advisories`].
    pub advisory: usize,
    /// `None`: a collection with no `<module>` lists the package, so the notice always applies.
    /// `Some(streams)`: only collections bound to these module streams list it; the notice
    /// applies to the package only on a host where one of them is active (see
    /// `engine::rpm`).
    pub modules: Option<Vec<ModuleRef>>,
}

impl AdvisoryLink {
    /// Adds one more collection of the same notice that lists the package.
    fn merge(&mut self, modules: Option<&Arc<[ModuleRef]>>) {
        match (&mut self.modules, modules) {
            (None, _) => {}
            (all @ Some(_), None) => *all = None,
            (Some(list), Some(more)) => {
                for m in more.iter() {
                    if !list.contains(m) {
                        list.push(m.clone());
                    }
                }
            }
        }
    }
}

/// A repository's identity and metadata date, for reports.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepoInfo {
    pub path: String,
    pub revision: Option<String>,
    /// repomd timestamp (newest data timestamp), UNIX seconds.
    pub timestamp: Option<i64>,
}

/// Every available version and advisory of a repository set.
#[derive(Debug, Default)]
pub struct UpdateIndex {
    pub repos: Vec<RepoInfo>,
    pub advisories: Vec<Advisory>,
    /// Available packages by name (foldhash: the engine looks a name up per installed package
    /// and per notice entry; SipHash was a visible part of a scan).
    pub packages: HashMap<String, Vec<AvailablePackage>, foldhash::fast::RandomState>,
    /// Default stream per module, from modules metadata.
    pub module_defaults: HashMap<String, String>,
    /// Every (name, stream, context) the modules metadata describes: a notice bound to a module
    /// stream applies only through one of these (libdnf matches name, stream and context).
    pub module_contexts: HashSet<(String, String, String)>,
}

impl UpdateIndex {
    /// Adds a repository; returns its index.
    pub fn add_repo(&mut self, info: RepoInfo) -> usize {
        self.repos.push(info);
        self.repos.len() - 1
    }

    /// Adds an available package.
    pub fn add_package(&mut self, nevra: Nevra, build_time: Option<i64>, repo: usize) {
        let package = AvailablePackage {
            nevra,
            build_time,
            repo,
            advisories: Vec::new(),
            modules: Vec::new(),
        };
        // The name is copied only for a new key.
        match self.packages.get_mut(&package.nevra.name) {
            Some(list) => list.push(package),
            None => {
                self.packages
                    .insert(package.nevra.name.clone(), vec![package]);
            }
        }
    }

    /// Adds a notice and links it to the available packages it lists (by exact NEVRA; a listed
    /// NEVRA no repository offers is not a candidate).
    pub fn add_advisory(&mut self, mut advisory: Advisory) {
        let idx = self.advisories.len();
        let packages = std::mem::take(&mut advisory.packages);
        self.advisories.push(advisory);
        for listed in &packages {
            let n = &listed.nevra;
            if let Some(list) = self.packages.get_mut(&n.name) {
                for p in list.iter_mut() {
                    if p.nevra.arch != n.arch || p.nevra.evr != n.evr {
                        continue;
                    }
                    match p.advisories.iter_mut().find(|l| l.advisory == idx) {
                        Some(link) => link.merge(listed.module.as_ref()),
                        None => p.advisories.push(AdvisoryLink {
                            advisory: idx,
                            modules: listed.module.as_ref().map(|m| m.to_vec()),
                        }),
                    }
                }
            }
        }
    }

    /// Marks the available packages that are artifacts of a module stream.
    pub fn add_module_stream(&mut self, stream: ModuleStream, artifacts: &[Nevra]) {
        for n in artifacts {
            if let Some(list) = self.packages.get_mut(&n.name) {
                for p in list.iter_mut() {
                    if p.nevra.arch == n.arch
                        && p.nevra.evr == n.evr
                        && !p.modules.contains(&stream)
                    {
                        p.modules.push(stream.clone());
                    }
                }
            }
        }
    }

    /// Number of available package versions.
    pub fn package_count(&self) -> usize {
        self.packages.values().map(Vec::len).sum()
    }
}

impl UpdateIndex {
    /// Adds one rpm-md repository as read by [`crate::repo::rpmmd::read_repository`].
    pub fn add_rpm_repository(&mut self, meta: crate::repo::rpmmd::RepoMetadata) {
        let repo = self.add_repo(RepoInfo {
            path: meta.dir.display().to_string(),
            revision: meta.revision,
            timestamp: meta.timestamp,
        });
        self.packages.reserve(meta.packages.len());
        for p in meta.packages {
            self.add_package(p.nevra, p.build_time, repo);
        }
        for m in meta.modules {
            self.module_contexts.insert((
                m.id.name.clone(),
                m.id.stream.clone(),
                m.id.context.clone().unwrap_or_default(),
            ));
            self.add_module_stream(
                ModuleStream {
                    name: m.id.name.clone(),
                    stream: m.id.stream.clone(),
                },
                &m.rpms,
            );
        }
        for d in meta.module_defaults {
            if let Some(stream) = d.stream {
                self.module_defaults.insert(d.module, stream);
            }
        }
        for a in meta.advisories {
            self.add_advisory(a);
        }
    }
}
