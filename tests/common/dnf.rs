//! Reading real dnf's recorded outputs (repodata-fixtures/scripts/run-dnf-oracle.sh) and
//! comparing them with patchscan's scan JSON.

use std::collections::BTreeMap;
use std::path::Path;

/// name.arch → candidate `epoch:version-release` of every Missing patch.
pub fn missing(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["Patches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["State"] == "Missing")
        .map(|p| {
            (
                p["KBId"].as_str().unwrap().to_string(),
                p["CandidateVersion"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts equal maps, showing only the entries that differ.
pub fn assert_same(ours: &BTreeMap<String, String>, dnf: &BTreeMap<String, String>, what: &str) {
    let mut diffs = Vec::new();
    for k in ours
        .keys()
        .chain(dnf.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        if ours.get(k) != dnf.get(k) {
            diffs.push(format!(
                "{k}: patchscan {:?}, dnf {:?}",
                ours.get(k),
                dnf.get(k)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{what}: {} of {}/{} differ:\n{}",
        diffs.len(),
        ours.len(),
        dnf.len(),
        diffs
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

pub fn evr_with_epoch(s: &str) -> String {
    if s.contains(':') {
        s.to_string()
    } else {
        format!("0:{s}")
    }
}

pub fn highest(map: &mut BTreeMap<String, String>, key: String, evr: String) {
    use patchscan::version::RpmEvr;
    let new = RpmEvr::parse(&evr).unwrap();
    match map.get(&key) {
        Some(old) if RpmEvr::parse(old).unwrap() >= new => {}
        _ => {
            map.insert(key, evr);
        }
    }
}

/// Parses `dnf updateinfo list --available`: `ADVISORY TYPE/SEV NEVRA` lines.
pub fn dnf_updateinfo(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let nevra = line.split_whitespace().last().unwrap();
        let n = patchscan::version::Nevra::parse(nevra).unwrap_or_else(|e| panic!("{line}: {e}"));
        highest(&mut out, n.name_arch(), n.evr.to_full_string());
    }
    out
}

/// Parses `dnf check-update`: `name.arch  [epoch:]version-release  repo` lines.
pub fn dnf_check_update(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with("Obsoleting") {
            break;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() != 3 || !cols[0].contains('.') {
            continue;
        }
        highest(&mut out, cols[0].to_string(), evr_with_epoch(cols[1]));
    }
    out
}

/// Parses an `updateinfo list` output (`ID TYPE/SEV NEVRA` lines; with `--with-cve` or
/// `--with-bz` the first column is the CVE or Bugzilla id) into id → name.arch → highest
/// `epoch:version-release`.
pub fn dnf_updateinfo_by_id(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (id, nevra) = (cols[0], cols[cols.len() - 1]);
        let n = patchscan::version::Nevra::parse(nevra).unwrap_or_else(|e| panic!("{line}: {e}"));
        highest(
            out.entry(id.to_string()).or_default(),
            n.name_arch(),
            n.evr.to_full_string(),
        );
    }
    out
}
