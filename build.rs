//! Links the `patchscan` binary as a position-dependent executable on Linux.
//!
//! A position-independent executable this size (polars is most of it) carries about 130,000
//! relative relocations that the dynamic loader applies at every start, touching ~700 pages
//! before `main`: a few milliseconds of every scan (docs/performance.md). Linked at a fixed address,
//! the linker resolves them once. Only the binaries are linked this way; the library and the
//! tests are unchanged. The artefact to ship (`benches/dist.sh`, `PATCHSCAN_PIE=1`) keeps PIE
//! (address-space randomisation) and pays those milliseconds.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PATCHSCAN_PIE");
    let pie = std::env::var_os("PATCHSCAN_PIE").is_some_and(|v| v == "1");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
