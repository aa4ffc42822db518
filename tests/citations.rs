//! Every "spec §N" that the code, the tests or the documents cite names a section of the
//! specification committed in docs/spec/patch-manager.md, so a reader can follow it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .is_some_and(|x| ["rs", "md", "sh", "py"].iter().any(|e| x == *e))
        {
            out.push(path);
        }
    }
}

/// Every `§N` or `§N.M` in `text`.
fn citations(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices('§') {
        let after = &text[at + '§'.len_utf8()..];
        let mut n: String = after
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        while n.ends_with('.') {
            n.pop();
        }
        if !n.is_empty() {
            out.insert(n);
        }
    }
    out
}

#[test]
fn every_spec_citation_names_a_section_of_the_committed_spec() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = std::fs::read_to_string(root.join("docs/spec/patch-manager.md")).unwrap();
    let sections: BTreeSet<String> = spec
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .map(|n| n.trim_end_matches('.').to_string())
        .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert!(sections.contains("3.4"), "{sections:?}");
    let mut found = Vec::new();
    for dir in [
        "src",
        "tests",
        "benches",
        "docs",
        "repodata-fixtures/scripts",
    ] {
        files(&root.join(dir), &mut found);
    }
    found.push(root.join("README.md"));
    let mut missing = Vec::new();
    for file in found {
        if file.ends_with("docs/spec/patch-manager.md") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for n in citations(&text) {
            if !sections.contains(&n) {
                missing.push(format!(
                    "{}: §{n}",
                    file.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "citations of no section:\n{}",
        missing.join("\n")
    );
}

#[test]
fn citations_are_read_with_their_subsection() {
    let got: Vec<String> = citations("spec §3.4 step 6, §5.1. and §12")
        .into_iter()
        .collect();
    assert_eq!(got, ["12", "3.4", "5.1"]);
}
