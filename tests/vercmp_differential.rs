//! Differential tests of version ordering against the real tools: rpm's `labelCompare`
//! (python3-rpm) and dpkg's ordering as apt implements it (python3-apt), over ≥ 200,000 pairs
//! each, through `patchscan vercmp --batch`. Where the oracles are not installed, a recorded
//! sample of the oracles' answers keeps the test meaningful (CI sets PATCHSCAN_REQUIRE_ORACLES=1
//! and installs them, so there the full comparison always runs).
//!
//! Re-record the samples with `PATCHSCAN_RECORD_VERCMP_SAMPLES=1 cargo test --test vercmp_differential`.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use common::corpus::{self, Scheme};

const PAIRS: usize = 220_000;
const SAMPLE: usize = 4_000;

fn seed(scheme: Scheme) -> u64 {
    match scheme {
        Scheme::Rpm => 0x5EED_0001,
        Scheme::Deb => 0x5EED_0002,
    }
}

fn scheme_arg(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Rpm => "rpm",
        Scheme::Deb => "deb",
    }
}

fn to_input(pairs: &[(String, String)]) -> Vec<u8> {
    let mut s = String::with_capacity(pairs.len() * 40);
    for (a, b) in pairs {
        s.push_str(a);
        s.push('\t');
        s.push_str(b);
        s.push('\n');
    }
    s.into_bytes()
}

fn answers(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(str::to_string)
        .collect()
}

fn patchscan_answers(scheme: Scheme, pairs: &[(String, String)]) -> Vec<String> {
    let out = common::run(
        &["vercmp", scheme_arg(scheme), "--batch"],
        Some(&to_input(pairs)),
    );
    assert!(
        out.status.success(),
        "patchscan vercmp --batch failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    answers(&out.stdout)
}

fn oracle_answers(scheme: Scheme, pairs: &[(String, String)]) -> Option<Vec<String>> {
    let (module, script) = match scheme {
        Scheme::Rpm => ("rpm", "rpm_vercmp.py"),
        Scheme::Deb => ("apt_pkg", "deb_vercmp.py"),
    };
    let python = common::system_python();
    if !common::tool_available(
        &format!("{python} with the {module} module"),
        python,
        &["-c", &format!("import {module}")],
    ) {
        return None;
    }
    let script = common::root().join("tests/oracles").join(script);
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start oracle");
    let input = to_input(pairs);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("oracle output");
    writer.join().unwrap().expect("feed oracle");
    assert!(out.status.success(), "oracle failed");
    Some(answers(&out.stdout))
}

fn assert_agree(what: &str, pairs: &[(String, String)], ours: &[String], theirs: &[String]) {
    assert_eq!(
        ours.len(),
        pairs.len(),
        "{what}: patchscan answered {} of {} pairs",
        ours.len(),
        pairs.len()
    );
    assert_eq!(
        theirs.len(),
        pairs.len(),
        "{what}: oracle answered {} of {} pairs",
        theirs.len(),
        pairs.len()
    );
    let diffs: Vec<_> = pairs
        .iter()
        .zip(ours.iter().zip(theirs))
        .filter(|(_, (o, t))| o != t)
        .map(|((a, b), (o, t))| format!("{a:?} vs {b:?}: patchscan {o}, oracle {t}"))
        .collect();
    assert!(
        diffs.is_empty(),
        "{what}: {} of {} pairs disagree, first ones:\n{}",
        diffs.len(),
        pairs.len(),
        diffs
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn assert_not_trivial(scheme: Scheme, pairs: &[(String, String)], answers: &[String]) {
    assert!(
        pairs.len() >= 200_000,
        "corpus has only {} pairs",
        pairs.len()
    );
    let f = corpus::features(pairs);
    let mut checks = vec![
        ("~", f.tilde),
        ("epoch", f.epoch),
        ("leading zero", f.leading_zero),
        ("numeric component over 20 digits", f.long_number),
    ];
    if scheme == Scheme::Rpm {
        checks.push(("^", f.caret));
    }
    for (what, n) in checks {
        assert!(n >= 1_000, "only {n} pairs with {what}");
    }
    let count = |symbol: &str| answers.iter().filter(|a| *a == symbol).count();
    eprintln!(
        "{scheme:?} corpus: {} pairs; ~ {}, ^ {}, epoch {}, leading zero {}, >20 digits {}; < {} = {} > {}",
        pairs.len(), f.tilde, f.caret, f.epoch, f.leading_zero, f.long_number,
        count("<"), count("="), count(">")
    );
    for symbol in ["<", "=", ">"] {
        let n = count(symbol);
        assert!(
            n * 10 >= answers.len(),
            "{symbol} is only {n} of {} answers (< 10%)",
            answers.len()
        );
    }
}

fn sample_path(scheme: Scheme) -> std::path::PathBuf {
    common::root()
        .join("tests/data/vercmp")
        .join(format!("{}-sample.tsv.xz", scheme_arg(scheme)))
}

fn record_sample(scheme: Scheme, pairs: &[(String, String)], theirs: &[String]) {
    let step = pairs.len() / SAMPLE;
    let path = sample_path(scheme);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let mut xz = liblzma::write::XzEncoder::new(file, 9);
    for i in (0..pairs.len()).step_by(step.max(1)).take(SAMPLE) {
        writeln!(xz, "{}\t{}\t{}", pairs[i].0, pairs[i].1, theirs[i]).unwrap();
    }
    xz.finish().unwrap();
}

fn full_differential(scheme: Scheme) {
    let pairs = corpus::generate(scheme, PAIRS, seed(scheme));
    let ours = patchscan_answers(scheme, &pairs);
    let Some(theirs) = oracle_answers(scheme, &pairs) else {
        // Still check the corpus shape with our own answers.
        assert_not_trivial(scheme, &pairs, &ours);
        return;
    };
    assert_not_trivial(scheme, &pairs, &theirs);
    assert_agree(scheme_arg(scheme), &pairs, &ours, &theirs);
    if std::env::var("PATCHSCAN_RECORD_VERCMP_SAMPLES").is_ok_and(|v| v == "1") {
        record_sample(scheme, &pairs, &theirs);
    }
}

fn recorded_sample(scheme: Scheme) {
    let path = sample_path(scheme);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    liblzma::read::XzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    let mut pairs = Vec::new();
    let mut theirs = Vec::new();
    for line in text.lines() {
        let mut cols = line.split('\t');
        let (Some(a), Some(b), Some(ans)) = (cols.next(), cols.next(), cols.next()) else {
            panic!("{}: bad line {line:?}", path.display());
        };
        pairs.push((a.to_string(), b.to_string()));
        theirs.push(ans.to_string());
    }
    assert!(
        pairs.len() >= 3_000,
        "sample has only {} pairs",
        pairs.len()
    );
    let ours = patchscan_answers(scheme, &pairs);
    assert_agree(
        &format!("{} recorded sample", scheme_arg(scheme)),
        &pairs,
        &ours,
        &theirs,
    );
}

#[test]
fn rpm_agrees_with_rpm_label_compare() {
    full_differential(Scheme::Rpm);
}

#[test]
fn deb_agrees_with_apt_version_compare() {
    full_differential(Scheme::Deb);
}

#[test]
fn rpm_agrees_with_recorded_oracle_sample() {
    recorded_sample(Scheme::Rpm);
}

#[test]
fn deb_agrees_with_recorded_oracle_sample() {
    recorded_sample(Scheme::Deb);
}

/// `vercmp deb A B --test OP` exits as `dpkg --compare-versions A OP B` does (0 holds, 1 not),
/// for every relation and pairs below, equal and above; `vercmp rpm … --test` agrees with the
/// symbol `vercmp rpm A B` prints.
#[test]
fn test_mode_exits_as_dpkg_compare_versions() {
    let deb = [
        ("1.0-1", "1.0-2"),
        ("2:1.0", "1:9.9"),
        ("1.0~rc1", "1.0"),
        ("1.0", "1.0"),
    ];
    let ops = ["lt", "le", "eq", "ne", "ge", "gt"];
    let dpkg = common::tool_available("dpkg", "dpkg", &["--version"]);
    for (a, b) in deb {
        for op in ops {
            let ours = common::run(&["vercmp", "deb", a, b, "--test", op], None);
            assert!(ours.stdout.is_empty(), "--test prints nothing");
            if dpkg {
                let theirs = std::process::Command::new("dpkg")
                    .args(["--compare-versions", a, op, b])
                    .status()
                    .unwrap();
                assert_eq!(ours.status.code(), theirs.code(), "{a} {op} {b}");
            }
        }
    }
    // `<` and `>` are strict, as dpkg's `<<` and `>>` (dpkg's deprecated `<` and `>` mean `<=`
    // and `>=`: a deliberate difference, in `vercmp --help`).
    for (a, b) in deb {
        for (ours, dpkgs) in [("<", "<<"), (">", ">>")] {
            let out = common::run(&["vercmp", "deb", a, b, "--test", ours], None);
            if dpkg {
                let theirs = std::process::Command::new("dpkg")
                    .args(["--compare-versions", a, dpkgs, b])
                    .status()
                    .unwrap();
                assert_eq!(out.status.code(), theirs.code(), "{a} {ours} {b}");
            }
        }
    }
    let symbols = [("<", "lt"), ("=", "eq"), (">", "gt")];
    for (a, b) in [
        ("1.0-1.el9", "1.0-1.el9_1"),
        ("1:1.0", "2.0"),
        ("1.0", "1.0"),
    ] {
        let printed = common::run(&["vercmp", "rpm", a, b], None);
        let symbol = String::from_utf8_lossy(&printed.stdout).trim().to_string();
        for (sym, word) in symbols {
            for op in [sym, word] {
                let out = common::run(&["vercmp", "rpm", a, b, "--test", op], None);
                let want = if symbol == sym { 0 } else { 1 };
                assert_eq!(out.status.code(), Some(want), "{a} {op} {b} ({symbol})");
            }
        }
    }
    let bad = common::run(&["vercmp", "rpm", "1", "2", "--test", "~"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not one of"));
}
