//! Cargo.toml's `rust-version` is true: no locked dependency needs a newer Rust, and the
//! toolchain CI builds with (rust-toolchain.toml) is that version, so CI's build is the MSRV
//! build.

use std::path::Path;

fn version(text: &str) -> Vec<u64> {
    text.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[test]
fn rust_version_is_what_the_locked_dependencies_need_and_what_ci_builds_with() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = env!("CARGO_PKG_RUST_VERSION");
    assert!(!ours.is_empty(), "Cargo.toml has no rust-version");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut newest = (Vec::new(), String::new());
    for p in meta["packages"].as_array().unwrap() {
        if let Some(rv) = p["rust_version"].as_str() {
            if version(rv) > newest.0 {
                newest = (
                    version(rv),
                    format!("{} {} needs {rv}", p["name"], p["version"]),
                );
            }
        }
    }
    assert!(
        newest.0 <= version(ours),
        "rust-version {ours} is older than a dependency allows: {}",
        newest.1
    );
    let toolchain = std::fs::read_to_string(root.join("rust-toolchain.toml")).unwrap();
    let channel = toolchain
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = "))
        .unwrap()
        .trim_matches('"');
    assert_eq!(
        version(channel)[..2],
        version(ours)[..2],
        "CI's toolchain {channel} is not the rust-version {ours}"
    );
}
