//! The command line's own habits: shell completions and man pages generated from the clap
//! definitions, checked with the real bash and man.

mod common;

use common::run;

const COMMANDS: [&str; 9] = [
    "scan",
    "inventory",
    "vercmp",
    "baseline",
    "fleet",
    "report",
    "demo",
    "completions",
    "man",
];

#[test]
fn bash_completion_is_valid_bash_and_knows_every_command() {
    let out = run(&["completions", "bash"], None);
    assert_eq!(out.status.code(), Some(0));
    let script = String::from_utf8(out.stdout).unwrap();
    for c in COMMANDS {
        assert!(script.contains(c), "{c} missing from the completion");
    }
    assert!(script.contains("--fail-on") && script.contains("--color"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("patchscan.bash");
    std::fs::write(&path, &script).unwrap();
    // bash parses it without running it.
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell], None);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("fail-on"),
            "{shell}"
        );
    }
}

#[test]
fn man_pages_cover_every_command_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["man", dir.path().to_str().unwrap()], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for c in COMMANDS {
        assert!(
            dir.path().join(format!("patchscan-{c}.1")).is_file(),
            "no page for {c}"
        );
    }
    assert!(dir.path().join("patchscan-baseline-validate.1").is_file());
    let man = common::tool_available("man", "man", &["--version"]);
    if man {
        let page = std::process::Command::new("man")
            .arg("-l")
            .arg(dir.path().join("patchscan-scan.1"))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&page.stdout);
        assert!(
            page.status.success(),
            "{}",
            String::from_utf8_lossy(&page.stderr)
        );
        assert!(
            text.contains("NAME") && text.contains("--fail-on"),
            "{text}"
        );
    }
}
