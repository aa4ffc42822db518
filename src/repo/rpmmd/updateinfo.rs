//! updateinfo.xml: update notices (advisories) and the packages they cover.
//!
//! Read as a stream: real mirrors serve files of several hundred megabytes, of which only
//! ids, types, severities, dates, references and package NEVRAs are kept. Descriptions and
//! checksums are never copied.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};

use super::lean::{self, Attrs, Bail, Lean, Token, Tokens};
use super::primary::parse_epoch;
use super::xml::{local, push_text, XmlFile};
use super::{parse_metadata_date, Advisory, AdvisoryPackage, ModuleRef, RpmMdError};
use crate::version::rpm::{Nevra, RpmEvr};

/// Reads an updateinfo.xml file (compressed or not): every `<update>`, in file order.
pub fn read_updateinfo(path: &Path) -> Result<Vec<Advisory>, RpmMdError> {
    // Fast path: the lean reader (see `lean`). When it gives up, the full parse runs: it
    // reads what the lean reader does not, and its errors carry exact positions.
    match lean_updateinfo(path) {
        Ok(advisories) => Ok(advisories),
        Err(Bail) => parse_updateinfo(path),
    }
}

/// updateinfo.xml through the lean reader: the same advisories as [`parse_updateinfo`], or
/// [`Bail`].
///
/// Read in two passes side by side, each reading every other `<update>` (the file is inflated
/// twice: for updateinfo that is a tenth of the reading), then interleaved back into document
/// order.
fn lean_updateinfo(path: &Path) -> Lean<Vec<Advisory>> {
    let pass = |which: usize| {
        let mut strings = Strings::new();
        lean::read_every_child(path, "updates", "update", (2, which), |element| {
            lean_update(element, &mut strings).map(Some)
        })
    };
    let (even, odd) = rayon::join(|| pass(0), || pass(1));
    let (even, odd) = (even?, odd?);
    let mut out = Vec::with_capacity(even.len() + odd.len());
    let mut odd = odd.into_iter();
    for advisory in even {
        out.push(advisory);
        out.extend(odd.next());
    }
    // Every child is counted by both passes, so `odd` has at most as many as `even`.
    out.extend(odd);
    Ok(out)
}

/// One `<update>…</update>` element, read as [`State`] reads it.
fn lean_update(element: &str, strings: &mut Strings) -> Lean<Advisory> {
    let mut tokens = Tokens::new(element);
    let attrs = match tokens.next()? {
        Some(Token::Start {
            name,
            attrs,
            empty: false,
        }) if lean::local(name) == "update" => attrs,
        _ => return Err(Bail),
    };
    let mut advisory = empty_advisory(update_type(lean::attributes(attrs), strings)?);
    let mut module: Option<Arc<[ModuleRef]>> = None;
    let mut text = String::new();
    while let Some(token) = tokens.next_tag()? {
        let (name, attrs, empty) = match token {
            Token::Start { name, attrs, empty } => (name, attrs, empty),
            Token::End { name } => {
                if lean::local(name) == "collection" {
                    module = None;
                }
                continue;
            }
            Token::Text(_) => continue, // checked by the tokeniser
        };
        // 1: a child of <update>.
        let depth = tokens.depth() - usize::from(!empty);
        let local = lean::local(name);
        // Most elements hold only text: one step for the element.
        let leaf = if empty { None } else { tokens.leaf_text(name)? };
        if depth == 1 {
            match local {
                "id" | "title" | "severity" if !empty => {
                    text.clear();
                    match leaf {
                        Some(raw) => text.push_str(&lean::text(raw)?),
                        None => loop {
                            match tokens.next()? {
                                Some(Token::Text(raw)) => text.push_str(&lean::text(raw)?),
                                Some(Token::End { .. }) => break,
                                _ => return Err(Bail),
                            }
                        },
                    }
                    let field = match local {
                        "id" => Field::Id,
                        "title" => Field::Title,
                        _ => Field::Severity,
                    };
                    store(&mut advisory, field, std::mem::take(&mut text), strings);
                }
                "issued" => advisory.issued = date_attribute(lean::attributes(attrs))?,
                "updated" => advisory.updated = date_attribute(lean::attributes(attrs))?,
                _ => {}
            }
            continue;
        }
        match local {
            "reference" => reference(lean::attributes(attrs), &mut advisory)?,
            "collection" => module = None,
            "module" => {
                module = Some(with_module(
                    module.take(),
                    module_attributes(lean::attributes(attrs))?,
                ))
            }
            "package" => advisory.packages.push(AdvisoryPackage {
                nevra: package_attributes(lean::attributes(attrs))?,
                module: module.clone(),
            }),
            _ => {}
        }
    }
    if advisory.id.is_empty() {
        return Err(Bail);
    }
    Ok(advisory)
}

/// updateinfo.xml through quick-xml, every event checked.
fn parse_updateinfo(path: &Path) -> Result<Vec<Advisory>, RpmMdError> {
    let mut file = XmlFile::open(path, "updates")?;
    let mut state = State::default();
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        let (event, depth) = file.next(&mut buf)?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                if depth > 0 {
                    state.element(&file, e, depth, matches!(event, Event::Start(_)))?;
                }
            }
            Event::End(e) => state.end(&file, local(e.name().as_ref()), depth)?,
            Event::Eof => break,
            other => {
                if state.collecting != Field::Nothing {
                    push_text(&file, other, &mut state.text)?;
                }
            }
        }
    }
    Ok(state.advisories)
}

/// Which `<update>` child's text is being collected.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Field {
    #[default]
    Nothing,
    Id,
    Title,
    Severity,
}

/// The reader's state between events.
#[derive(Default)]
struct State {
    advisories: Vec<Advisory>,
    /// The `<update>` being read.
    current: Option<Advisory>,
    /// The modules of the `<collection>` being read.
    module: Option<Arc<[ModuleRef]>>,
    strings: Strings,
    collecting: Field,
    text: String,
}

/// `<update>` sits at depth 1 (inside `<updates>`), its fields at depth 2.
const UPDATE_DEPTH: usize = 1;

impl State {
    /// A start or empty element at `depth` (0 = the root).
    fn element(
        &mut self,
        file: &XmlFile,
        e: &BytesStart<'_>,
        depth: usize,
        is_start: bool,
    ) -> Result<(), RpmMdError> {
        let qname = e.name();
        let name = local(qname.as_ref());
        if depth == UPDATE_DEPTH {
            if name == "update" {
                self.start_update(file, e)?;
                if !is_start {
                    self.finish_update(file)?;
                }
            }
            return Ok(());
        }
        let Some(advisory) = self.current.as_mut() else {
            return Ok(());
        };
        if depth == UPDATE_DEPTH + 1 {
            match name {
                "id" | "title" | "severity" if is_start => {
                    self.collecting = match name {
                        "id" => Field::Id,
                        "title" => Field::Title,
                        _ => Field::Severity,
                    };
                    self.text.clear();
                }
                "issued" => advisory.issued = date_attribute(file.attrs(e))?,
                "updated" => advisory.updated = date_attribute(file.attrs(e))?,
                _ => {}
            }
            return Ok(());
        }
        match name {
            "reference" => reference(file.attrs(e), advisory)?,
            "collection" => self.module = None,
            "module" => {
                let module = module_attributes(file.attrs(e))?;
                self.module = Some(with_module(self.module.take(), module));
            }
            "package" => {
                let nevra = package_attributes(file.attrs(e))?;
                let module = self.module.clone();
                if let Some(advisory) = self.current.as_mut() {
                    advisory.packages.push(AdvisoryPackage { nevra, module });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// An end tag; `depth` is that of the element being closed.
    fn end(&mut self, file: &XmlFile, name: &str, depth: usize) -> Result<(), RpmMdError> {
        if depth == UPDATE_DEPTH && name == "update" {
            return self.finish_update(file);
        }
        if depth == UPDATE_DEPTH + 1 && self.collecting != Field::Nothing {
            let field = std::mem::take(&mut self.collecting);
            let text = std::mem::take(&mut self.text);
            let Some(advisory) = self.current.as_mut() else {
                return Ok(());
            };
            store(advisory, field, text, &mut self.strings);
        } else if name == "collection" {
            self.module = None;
        }
        Ok(())
    }

    fn start_update(&mut self, file: &XmlFile, e: &BytesStart<'_>) -> Result<(), RpmMdError> {
        let kind = update_type(file.attrs(e), &mut self.strings)?;
        self.module = None;
        self.current = Some(empty_advisory(kind));
        Ok(())
    }

    fn finish_update(&mut self, file: &XmlFile) -> Result<(), RpmMdError> {
        if let Some(advisory) = self.current.take() {
            if advisory.id.is_empty() {
                return Err(file.malformed("<update> without an <id>"));
            }
            self.advisories.push(advisory);
        }
        Ok(())
    }
}

/// Shared copies of the few distinct types, severities and module parts.
type Strings = HashMap<Box<str>, Arc<str>>;

/// The shared copy of `text`.
fn intern(strings: &mut Strings, text: &str) -> Arc<str> {
    if let Some(shared) = strings.get(text) {
        return shared.clone();
    }
    let shared: Arc<str> = Arc::from(text);
    strings.insert(Box::from(text), shared.clone());
    shared
}

/// Keeps the collected text of `<id>` (trimmed), `<title>` (as written) or `<severity>`
/// (trimmed and shared; empty is none).
fn store(advisory: &mut Advisory, field: Field, text: String, strings: &mut Strings) {
    match field {
        Field::Id => advisory.id = text.trim().to_string(),
        Field::Title => advisory.title = text,
        Field::Severity => {
            let severity = text.trim();
            advisory.severity = (!severity.is_empty()).then(|| intern(strings, severity));
        }
        Field::Nothing => {}
    }
}

/// An advisory of type `kind` with nothing read yet.
fn empty_advisory(kind: Option<Arc<str>>) -> Advisory {
    Advisory {
        id: String::new(),
        kind,
        severity: None,
        title: String::new(),
        issued: None,
        updated: None,
        cves: Vec::new(),
        bugzillas: Vec::new(),
        packages: Vec::new(),
    }
}

/// The `type` attribute of `<update>`, trimmed and shared; `None` when absent or empty.
fn update_type<'a, A: Attrs<'a>>(
    mut attrs: A,
    strings: &mut Strings,
) -> Result<Option<Arc<str>>, A::Err> {
    let mut kind = None;
    while let Some(attr) = attrs.next_attr() {
        let (key, raw) = attr?;
        if key == "type" {
            let value = attrs.value(&raw)?;
            let value = value.trim();
            if !value.is_empty() {
                kind = Some(intern(strings, value));
            }
        }
    }
    Ok(kind)
}

/// The `date` attribute of `<issued>`/`<updated>`; unparseable dates are `None`.
fn date_attribute<'a, A: Attrs<'a>>(mut attrs: A) -> Result<Option<i64>, A::Err> {
    while let Some(attr) = attrs.next_attr() {
        let (key, raw) = attr?;
        if key == "date" {
            return Ok(parse_metadata_date(&attrs.value(&raw)?));
        }
    }
    Ok(None)
}

/// `<reference type id>`: a CVE or bugzilla id is kept (types matched case-insensitively).
fn reference<'a, A: Attrs<'a>>(mut attrs: A, advisory: &mut Advisory) -> Result<(), A::Err> {
    let (mut kind, mut id) = (None, None);
    while let Some(attr) = attrs.next_attr() {
        match attr? {
            ("type", raw) => kind = Some(attrs.value(&raw)?),
            ("id", raw) => id = Some(attrs.value(&raw)?),
            _ => {}
        }
    }
    if let (Some(kind), Some(id)) = (kind, id) {
        let id = id.trim();
        let list = if kind.eq_ignore_ascii_case("cve") {
            Some(&mut advisory.cves)
        } else if kind.eq_ignore_ascii_case("bugzilla") {
            Some(&mut advisory.bugzillas)
        } else {
            None
        };
        if let Some(list) = list.filter(|_| !id.is_empty()) {
            list.push(id.to_string());
        }
    }
    Ok(())
}

/// `<package name epoch version release arch>`.
fn package_attributes<'a, A: Attrs<'a>>(mut attrs: A) -> Result<Nevra, A::Err> {
    let (mut name, mut epoch, mut version, mut release, mut arch) = (None, 0, None, None, None);
    while let Some(attr) = attrs.next_attr() {
        let (key, raw) = attr?;
        match key {
            "name" => name = Some(attrs.value(&raw)?),
            "version" => version = Some(attrs.value(&raw)?),
            "release" => release = Some(attrs.value(&raw)?),
            "arch" => arch = Some(attrs.value(&raw)?),
            "epoch" => {
                epoch = parse_epoch(&attrs.value(&raw)?)
                    .ok_or_else(|| attrs.malformed("package epoch is not a number"))?
            }
            _ => {}
        }
    }
    match (name, version, arch) {
        (Some(name), Some(version), Some(arch)) => Ok(Nevra::new(
            name,
            RpmEvr::new(epoch, version, release.unwrap_or_default()),
            arch,
        )),
        _ => Err(attrs.malformed("<package> without name, version or arch")),
    }
}

/// A collection's modules with one more (a collection may name several `<module>`s; libdnf
/// applies it when any of them is active).
fn with_module(modules: Option<Arc<[ModuleRef]>>, module: ModuleRef) -> Arc<[ModuleRef]> {
    let mut all = modules.map(|m| m.to_vec()).unwrap_or_default();
    all.push(module);
    all.into()
}

/// `<module name stream version context arch/>` in a `<collection>`.
fn module_attributes<'a, A: Attrs<'a>>(mut attrs: A) -> Result<ModuleRef, A::Err> {
    let mut module = ModuleRef {
        name: String::new(),
        stream: String::new(),
        version: None,
        context: None,
        arch: None,
    };
    while let Some(attr) = attrs.next_attr() {
        let (key, raw) = attr?;
        let value = attrs.value(&raw)?;
        match key {
            "name" => module.name = value.into_owned(),
            "stream" => module.stream = value.into_owned(),
            "version" => {
                module.version = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| attrs.malformed("module version is not a number"))?,
                )
            }
            "context" => module.context = Some(value.into_owned()),
            "arch" => module.arch = Some(value.into_owned()),
            _ => {}
        }
    }
    if module.name.is_empty() || module.stream.is_empty() {
        return Err(attrs.malformed("<module> without name or stream"));
    }
    Ok(module)
}

#[cfg(test)]
mod lean_tests {
    use super::*;
    use crate::files::compress;
    use crate::repo::rpmmd::lean::testing::{check_edits, fixture_files};

    #[test]
    fn lean_reader_takes_real_updateinfo_and_agrees_with_the_full_parse() {
        // The beds (modifyrepo_c) and real files from Amazon Linux, Rocky, Bottlerocket,
        // openSUSE and libdnf's test data.
        let files = fixture_files("updateinfo");
        assert!(files.len() >= 15, "{files:?}");
        for path in &files {
            let lean = lean_updateinfo(path)
                .unwrap_or_else(|_| panic!("lean reader gave up on {}", path.display()));
            assert_eq!(lean, parse_updateinfo(path).unwrap(), "{}", path.display());
        }
    }

    #[test]
    fn lean_reader_never_accepts_what_the_full_parse_reads_differently() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for (file, rounds) in [
            (
                "tests/fixtures/rpmmd/amazon/updateinfo_2_items.xml.gz",
                2500,
            ),
            ("tests/fixtures/rpmmd/rocky/updateinfo.xml", 1500),
            (
                "tests/fixtures/rpmmd/libdnf-advisories/updateinfo.xml",
                1500,
            ),
            (
                "tests/fixtures/rpmmd/suse-delta/repodata/updateinfo.xml.gz",
                300,
            ),
        ] {
            let mut xml = Vec::new();
            std::io::Read::read_to_end(&mut compress::open(&root.join(file)).unwrap(), &mut xml)
                .unwrap();
            let (accepted, refused) =
                check_edits(&xml, rounds, lean_updateinfo, parse_updateinfo, |_| false);
            assert!(
                accepted > rounds / 10 && refused > rounds / 10,
                "{file}: {accepted} accepted, {refused} refused"
            );
        }
    }
}
