//! The library's layers hold: data flows one way, from the leaves (vocabulary, version order,
//! file formats, confined file access) through the readers (host, repo, baseline) to the
//! engine, the report, the scan pipeline, the fleet and the command line. A module may name
//! (`crate::…` anywhere in its code, `use` lines or paths) only the modules its layer lists;
//! the readers do not name each other.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and the top-level modules it may name.
const LAYERS: &[(&str, &[&str])] = &[
    ("vocab", &[]),
    ("version", &["vocab"]),
    ("deb822", &[]),
    ("sqlite", &[]),
    ("disk", &[]),
    ("files", &["disk"]),
    ("apt_sources", &["deb822", "files"]),
    (
        "host",
        &[
            "vocab",
            "version",
            "deb822",
            "sqlite",
            "disk",
            "files",
            "apt_sources",
        ],
    ),
    (
        "repo",
        &[
            "vocab",
            "version",
            "deb822",
            "sqlite",
            "files",
            "apt_sources",
        ],
    ),
    ("baseline", &["vocab", "version"]),
    (
        "engine",
        &[
            "vocab",
            "version",
            "apt_sources",
            "host",
            "repo",
            "baseline",
        ],
    ),
    (
        "report",
        &[
            "vocab", "version", "files", "host", "repo", "baseline", "engine",
        ],
    ),
    (
        "scan",
        &[
            "vocab",
            "version",
            "files",
            "apt_sources",
            "host",
            "repo",
            "baseline",
            "engine",
            "report",
        ],
    ),
    (
        "fleet",
        &[
            "vocab", "version", "files", "host", "repo", "baseline", "engine", "report", "scan",
            "exit",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `crate::NAME` names in `text`, comments left out.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::{a, b}` names several.
            if name.is_empty() && after.starts_with('{') {
                let inner = after[1..].split('}').next().unwrap_or("");
                for part in inner.split(',') {
                    let part: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !part.is_empty() {
                        out.insert(part);
                    }
                }
            } else if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

/// The top-level module a file of `src/` belongs to (`src/host/rpmdb/bdb.rs` → `host`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn no_layer_names_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut faults = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        if matches!(module.as_str(), "lib" | "main" | "cli") {
            // The crate root declares the modules; the command line is the binary's and may
            // use every layer.
            continue;
        }
        seen.insert(module.clone());
        let Some((_, allowed)) = LAYERS.iter().find(|(m, _)| *m == module) else {
            faults.push(format!(
                "{}: module `{module}` has no place in LAYERS (tests/layers.rs): give it one",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for named in named_modules(&text) {
            if named != module && !allowed.contains(&named.as_str()) {
                faults.push(format!(
                    "{}: `{module}` names `crate::{named}`, which is not below it",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(faults.is_empty(), "layering faults:\n{}", faults.join("\n"));
    // Every layer listed still exists, so the table does not rot.
    for (m, _) in LAYERS {
        assert!(
            seen.contains(*m),
            "LAYERS lists `{m}`, which src/ no longer has"
        );
    }
}

/// The check itself finds what it should: a `use` line, a path in code, a brace group, and
/// not a comment.
#[test]
fn named_modules_reads_paths_and_groups_but_not_comments() {
    let text = "use crate::host::facts;\nlet x = crate::repo::set::load(a);\n\
                use crate::{engine, report::model};\n// crate::fleet in a comment\n\
                /// [`crate::cli`] in a doc comment\n";
    let got: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(got, ["engine", "host", "repo", "report"]);
}
