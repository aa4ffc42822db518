//! Helpers shared by the integration tests: running the real binary, finding real tools.
#![allow(dead_code)]

pub mod apt;
pub mod beds;
pub mod corpus;
pub mod dnf;
pub mod repomd;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The patchscan binary cargo built for this test run.
pub fn patchscan() -> Command {
    Command::new(env!("CARGO_BIN_EXE_patchscan"))
}

/// Runs patchscan with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = patchscan();
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn patchscan");
    if let Some(data) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    child.wait_with_output().expect("wait for patchscan")
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// Whether CI demands that oracle tools be present (`PATCHSCAN_REQUIRE_ORACLES=1`).
pub fn oracles_required() -> bool {
    std::env::var("PATCHSCAN_REQUIRE_ORACLES").is_ok_and(|v| v == "1")
}

/// Whether a real tool is usable: `probe` is run and must exit 0. When it is not, the caller
/// skips — unless oracles are required, in which case this panics (a missing oracle is a
/// failure in CI, never a silent skip).
pub fn tool_available(what: &str, program: &str, probe_args: &[&str]) -> bool {
    let ok = Command::new(program)
        .args(probe_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            !oracles_required(),
            "PATCHSCAN_REQUIRE_ORACLES=1 but {what} is not usable ({program} {probe_args:?} failed)"
        );
        eprintln!("skipping: {what} is not installed");
    }
    ok
}

/// Debian's own Python, which has python3-rpm and python3-apt (a pyenv `python3` may not).
pub fn system_python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}
