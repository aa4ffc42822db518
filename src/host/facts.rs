//! Facts about one host read from its root: who it is (os-release), what is installed (rpm
//! or dpkg database), its module streams, its name and its apt sources.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::apt_sources::{self, SourceEntry};
use crate::files::rootfs::RootFs;
use crate::host::dpkg::{self, InstalledDeb};
use crate::host::os::{self, OsIdentity};
use crate::host::rpmdb::{self, InstalledRpm};
use crate::host::source::Overrides;
use crate::vocab::os::{OperatingSystem, OsFamily};

/// Why a host's facts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    RootFs(#[from] crate::files::rootfs::RootFsError),
    #[error(transparent)]
    Os(#[from] os::OsError),
    #[error(
        "{0}: no etc/os-release, usr/lib/os-release or etc/system-release; pass --os and --product"
    )]
    NoOsRelease(PathBuf),
    #[error("{0} hosts are not scanned by patchscan (it evaluates Linux baselines only)")]
    Unsupported(OperatingSystem),
    #[error(transparent)]
    Dpkg(#[from] dpkg::DpkgError),
    #[error("{}: no dpkg database (var/lib/dpkg/status or var/lib/dpkg/status.d/)", .0.display())]
    NoDpkg(PathBuf),
    #[error(transparent)]
    Sources(#[from] apt_sources::SourcesError),
    #[error(transparent)]
    RpmDb(#[from] rpmdb::RpmDbError),
    #[error("{path}: {message}")]
    ModuleState { path: PathBuf, message: String },
}

/// Identifies the host from its files, with `--os`/`--product` overrides.
pub fn identify(root: &RootFs, overrides: &Overrides) -> Result<OsIdentity, HostError> {
    let from_files = || -> Result<OsIdentity, HostError> {
        for rel in ["etc/os-release", "usr/lib/os-release"] {
            if root.resolve(rel).is_ok() {
                let (path, text) = root.read_to_string(rel)?;
                let fields = os::parse_os_release(&text, &path)?;
                return Ok(os::identify(&fields, &path)?);
            }
        }
        if root.resolve("etc/system-release").is_ok() {
            let (path, text) = root.read_to_string("etc/system-release")?;
            return Ok(os::identify(&os::system_release_fields(&text), &path)?);
        }
        Err(HostError::NoOsRelease(root.path().to_path_buf()))
    };
    let found = overrides.identify(from_files);
    // A lookup that met damage may have been taken for "absent" above (and a fallback read).
    root.damage()?;
    found
}

/// What is installed on a host, in its package family's terms.
#[derive(Debug, Clone)]
pub enum Installed {
    /// RPM family and SUSE: the rpmdb's packages.
    Rpm(Vec<InstalledRpm>),
    /// Debian, Ubuntu, Raspberry Pi OS: dpkg's truly installed packages, and the apt sources
    /// the host configures (`None`: unknown, e.g. an inventory file — every list counts).
    Deb {
        packages: Vec<InstalledDeb>,
        sources: Option<Vec<SourceEntry>>,
    },
}

impl Installed {
    /// How many packages are installed.
    pub fn len(&self) -> usize {
        match self {
            Installed::Rpm(p) => p.len(),
            Installed::Deb { packages, .. } => packages.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Facts about one host: who it is and what is installed. Built from a root directory by
/// [`read_host`], or by other sources (archives, inventory files) from their own bytes.
#[derive(Debug, Clone)]
pub struct HostFacts {
    pub identity: OsIdentity,
    pub installed: Installed,
    /// Enabled module streams (`etc/dnf/modules.d/*.module`), module → stream.
    pub enabled_streams: HashMap<String, String>,
    /// Modules explicitly disabled.
    pub disabled_modules: HashSet<String>,
    /// The host's own name (`etc/hostname`), when it has one.
    pub host_name: Option<String>,
    /// Where the facts came from (a root path, an archive, an inventory file).
    pub origin: String,
}

/// Fails for operating systems patchscan cannot evaluate.
pub fn check_supported(os: OperatingSystem) -> Result<(), HostError> {
    if matches!(os.family(), OsFamily::Rpm | OsFamily::Suse | OsFamily::Apt) {
        Ok(())
    } else {
        Err(HostError::Unsupported(os))
    }
}

/// Reads what is installed on an identified host root, and its module state and name.
pub fn read_host_as(root: &RootFs, identity: OsIdentity) -> Result<HostFacts, HostError> {
    let facts = read_facts(root, identity);
    // Damage any lookup met wins over what was read around it (a database "not found"
    // because its directory failed its checksum).
    root.damage()?;
    facts
}

fn read_facts(root: &RootFs, identity: OsIdentity) -> Result<HostFacts, HostError> {
    check_supported(identity.operating_system)?;
    let (installed, (enabled_streams, disabled_modules)) = match identity.operating_system.family()
    {
        OsFamily::Apt => {
            let db =
                dpkg::find(root).ok_or_else(|| HostError::NoDpkg(root.path().to_path_buf()))?;
            let packages = dpkg::read_installed(root, &db)?;
            let sources = apt_sources::read_root_sources(root)?;
            (Installed::Deb { packages, sources }, Default::default())
        }
        _ => (
            Installed::Rpm(rpmdb::read_host_rpmdb(root)?),
            module_state(root)?,
        ),
    };
    Ok(HostFacts {
        identity,
        installed,
        enabled_streams,
        disabled_modules,
        host_name: host_name(root),
        origin: root.path().display().to_string(),
    })
}

/// Identifies a host root and reads its facts.
pub fn read_host(root: &RootFs, overrides: &Overrides) -> Result<HostFacts, HostError> {
    let identity = identify(root, overrides)?;
    read_host_as(root, identity)
}

/// Enabled/disabled module streams from `etc/dnf/modules.d/*.module`.
pub fn module_state(
    root: &RootFs,
) -> Result<(HashMap<String, String>, HashSet<String>), HostError> {
    let mut enabled = HashMap::new();
    let mut disabled = HashSet::new();
    let Ok((_, names)) = root.read_dir("etc/dnf/modules.d") else {
        return Ok((enabled, disabled));
    };
    for file in names {
        if Path::new(&file).extension().is_none_or(|x| x != "module") {
            continue;
        }
        let rel = Path::new("etc/dnf/modules.d").join(&file);
        // The name need not be UTF-8 (dnf reads the file's own [section] and name=).
        let (path, text) = root
            .read_to_string(&rel)
            .map_err(|err| HostError::ModuleState {
                path: root.path().join(&rel),
                message: err.to_string(),
            })?;
        add_module_file(&text, &path, &mut enabled, &mut disabled)?;
    }
    Ok((enabled, disabled))
}

/// Adds one dnf module state file's verdict (`[name]`, `name=`, `stream=`, `state=`).
pub fn add_module_file(
    text: &str,
    path: &Path,
    enabled: &mut HashMap<String, String>,
    disabled: &mut HashSet<String>,
) -> Result<(), HostError> {
    let mut name = None;
    let mut fields = HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') && line.ends_with(']') {
            name = Some(line[1..line.len() - 1].to_string());
        } else if let Some((k, v)) = line.split_once('=') {
            fields.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let Some(name) = fields.get("name").cloned().or(name) else {
        return Err(HostError::ModuleState {
            path: path.to_path_buf(),
            message: "no [section] or name= line".into(),
        });
    };
    match fields.get("state").map(String::as_str) {
        Some("enabled") => {
            if let Some(stream) = fields.get("stream").filter(|s| !s.is_empty()) {
                enabled.insert(name, stream.clone());
            }
        }
        Some("disabled") => {
            disabled.insert(name);
        }
        _ => {}
    }
    Ok(())
}

fn host_name(root: &RootFs) -> Option<String> {
    root.read_to_string("etc/hostname")
        .ok()
        .map(|(_, s)| s.trim().to_string())
        .filter(|s| !s.is_empty())
}
