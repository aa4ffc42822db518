//! Who a host is: `etc/os-release` (or `etc/system-release`) → Patch Manager's
//! `OperatingSystem` and product string (`AmazonLinux2023`, `RedhatEnterpriseLinux9.4`,
//! `Suse15.5`, `Ubuntu22.04`, `Debian12`).
//!
//! AWS computes the product string service-side and does not document the mapping (spec §2.2,
//! UNCONFIRMED); ours follows the examples AWS prints (`AmazonLinux2`, `RedhatEnterpriseLinux7.2`,
//! `Suse12.7`, `Ubuntu16.04`, `CentOS7.6`) and is overridable with `--os` and `--product`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::vocab::os::OperatingSystem;

/// An operating system identified from a host's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsIdentity {
    pub operating_system: OperatingSystem,
    /// The PRODUCT filter value, e.g. `AmazonLinux2023`.
    pub product: String,
    /// `PRETTY_NAME`, for reports.
    pub pretty_name: String,
}

/// Why a host's operating system could not be identified.
#[derive(Debug, thiserror::Error)]
pub enum OsError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: not a KEY=value line")]
    Syntax { path: PathBuf, line: usize },
    #[error("{path}: no ID field; pass --os and --product")]
    NoId { path: PathBuf },
    #[error("{path}: unknown distribution ID={id:?} (ID_LIKE={like:?}); pass --os (e.g. --os REDHAT_ENTERPRISE_LINUX) and --product")]
    Unknown {
        path: PathBuf,
        id: String,
        like: String,
    },
    #[error("{path}: {id} has no VERSION_ID; pass --product")]
    NoVersion { path: PathBuf, id: String },
}

/// Parses os-release syntax: `KEY=value` lines, values optionally quoted with shell escapes.
pub fn parse_os_release(text: &str, path: &Path) -> Result<HashMap<String, String>, OsError> {
    let mut fields = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(OsError::Syntax {
                path: path.to_path_buf(),
                line: i + 1,
            });
        };
        let value = value.trim();
        let unquoted = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')))
        {
            let inner = &value[1..value.len() - 1];
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        } else {
            value.to_string()
        };
        fields.insert(key.trim().to_string(), unquoted);
    }
    Ok(fields)
}

/// Identifies the operating system from os-release fields.
pub fn identify(fields: &HashMap<String, String>, path: &Path) -> Result<OsIdentity, OsError> {
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    let id = get("ID").to_ascii_lowercase();
    if id.is_empty() {
        return Err(OsError::NoId {
            path: path.to_path_buf(),
        });
    }
    let version = get("VERSION_ID");
    let need_version = || {
        if version.is_empty() {
            Err(OsError::NoVersion {
                path: path.to_path_buf(),
                id: id.clone(),
            })
        } else {
            Ok(version)
        }
    };
    use OperatingSystem::*;
    let (os, product) = match id.as_str() {
        "amzn" => {
            let v = need_version()?;
            match v {
                "2" => (AmazonLinux2, "AmazonLinux2".to_string()),
                "2022" => (AmazonLinux2022, "AmazonLinux2022".to_string()),
                v if v.starts_with("2023") => (AmazonLinux2023, "AmazonLinux2023".to_string()),
                v => (AmazonLinux, format!("AmazonLinux{v}")),
            }
        }
        "rhel" => (
            RedhatEnterpriseLinux,
            format!("RedhatEnterpriseLinux{}", need_version()?),
        ),
        "centos" => (Centos, format!("CentOS{}", need_version()?)),
        "ol" => (OracleLinux, format!("OracleLinux{}", need_version()?)),
        "rocky" => (RockyLinux, format!("RockyLinux{}", need_version()?)),
        "almalinux" => (AlmaLinux, format!("AlmaLinux{}", need_version()?)),
        "sles" | "sled" | "sles_sap" | "opensuse-leap" | "suse" => {
            (Suse, format!("Suse{}", need_version()?))
        }
        "ubuntu" => (Ubuntu, format!("Ubuntu{}", need_version()?)),
        "debian" => (Debian, format!("Debian{}", need_version()?)),
        "raspbian" => (Raspbian, format!("Raspbian{}", need_version()?)),
        _ => {
            return Err(OsError::Unknown {
                path: path.to_path_buf(),
                id,
                like: get("ID_LIKE").to_string(),
            })
        }
    };
    Ok(OsIdentity {
        operating_system: os,
        product,
        pretty_name: get("PRETTY_NAME").to_string(),
    })
}

/// Parses `etc/system-release` (`Amazon Linux release 2 (Karoo)`, `CentOS Linux release
/// 7.9.2009 (Core)`, `Red Hat Enterprise Linux Server release 7.9 (Maipo)`) into os-release
/// fields, for old images without os-release.
pub fn system_release_fields(text: &str) -> HashMap<String, String> {
    let line = text.lines().next().unwrap_or("").trim();
    let mut fields = HashMap::new();
    let version = line
        .split_whitespace()
        .skip_while(|w| *w != "release")
        .nth(1)
        .unwrap_or("");
    let id = if line.starts_with("Amazon Linux AMI") || line.starts_with("Amazon Linux") {
        "amzn"
    } else if line.starts_with("Red Hat Enterprise Linux") {
        "rhel"
    } else if line.starts_with("CentOS") {
        "centos"
    } else if line.starts_with("Oracle Linux") {
        "ol"
    } else if line.starts_with("Rocky Linux") {
        "rocky"
    } else if line.starts_with("AlmaLinux") {
        "almalinux"
    } else {
        ""
    };
    // CentOS 7.9.2009 → 7.9, as os-release's VERSION_ID for RHEL-likes carries major.minor.
    let version: String = if id == "centos" {
        version.split('.').take(2).collect::<Vec<_>>().join(".")
    } else {
        version.to_string()
    };
    if !id.is_empty() {
        fields.insert("ID".into(), id.into());
        fields.insert("VERSION_ID".into(), version);
        fields.insert("PRETTY_NAME".into(), line.to_string());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(text: &str) -> Result<OsIdentity, OsError> {
        let p = Path::new("etc/os-release");
        identify(&parse_os_release(text, p)?, p)
    }

    #[test]
    fn real_debian_bookworm() {
        // The os-release captured in shared/realdata/debian-bookworm-this-machine.
        let text = include_str!("../../tests/fixtures/os-release/debian-12");
        let id = ident(text).unwrap();
        assert_eq!(id.operating_system, OperatingSystem::Debian);
        assert_eq!(id.product, "Debian12");
        assert_eq!(id.pretty_name, "Debian GNU/Linux 12 (bookworm)");
    }

    #[test]
    fn distributions() {
        let cases = [
            (
                "ID=\"amzn\"\nVERSION_ID=\"2023\"\n",
                OperatingSystem::AmazonLinux2023,
                "AmazonLinux2023",
            ),
            (
                "ID=\"amzn\"\nVERSION_ID=\"2\"\n",
                OperatingSystem::AmazonLinux2,
                "AmazonLinux2",
            ),
            (
                "ID=\"amzn\"\nVERSION_ID=\"2018.03\"\n",
                OperatingSystem::AmazonLinux,
                "AmazonLinux2018.03",
            ),
            (
                "ID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n",
                OperatingSystem::RedhatEnterpriseLinux,
                "RedhatEnterpriseLinux9.4",
            ),
            (
                "ID=\"rocky\"\nVERSION_ID=\"9.3\"\n",
                OperatingSystem::RockyLinux,
                "RockyLinux9.3",
            ),
            (
                "ID=\"almalinux\"\nVERSION_ID=\"8.10\"\n",
                OperatingSystem::AlmaLinux,
                "AlmaLinux8.10",
            ),
            (
                "ID=\"ol\"\nVERSION_ID=\"8.9\"\n",
                OperatingSystem::OracleLinux,
                "OracleLinux8.9",
            ),
            (
                "ID=\"centos\"\nVERSION_ID=\"7\"\n",
                OperatingSystem::Centos,
                "CentOS7",
            ),
            (
                "ID=\"sles\"\nVERSION_ID=\"15.5\"\n",
                OperatingSystem::Suse,
                "Suse15.5",
            ),
            (
                "ID=ubuntu\nVERSION_ID=\"22.04\"\n",
                OperatingSystem::Ubuntu,
                "Ubuntu22.04",
            ),
            (
                "ID=raspbian\nVERSION_ID=\"11\"\n",
                OperatingSystem::Raspbian,
                "Raspbian11",
            ),
        ];
        for (text, os, product) in cases {
            let id = ident(text).unwrap();
            assert_eq!(
                (id.operating_system, id.product.as_str()),
                (os, product),
                "{text}"
            );
        }
    }

    #[test]
    fn unknown_and_broken_are_errors_naming_the_flag() {
        let e = ident("ID=gentoo\n").unwrap_err().to_string();
        assert!(e.contains("gentoo") && e.contains("--os"), "{e}");
        let e = ident("NAME=x\n").unwrap_err().to_string();
        assert!(e.contains("no ID"), "{e}");
        let e = ident("ID=rhel\n").unwrap_err().to_string();
        assert!(e.contains("--product"), "{e}");
        let e = ident("ID=rhel\nthis is not a field\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn system_release_fallback() {
        let f = system_release_fields("CentOS Linux release 7.9.2009 (Core)\n");
        let id = identify(&f, Path::new("etc/system-release")).unwrap();
        assert_eq!(id.product, "CentOS7.9");
        let f = system_release_fields("Amazon Linux release 2 (Karoo)\n");
        assert_eq!(
            identify(&f, Path::new("x")).unwrap().operating_system,
            OperatingSystem::AmazonLinux2
        );
    }
}
