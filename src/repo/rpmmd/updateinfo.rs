//! updateinfo.xml: update notices (advisories) and the packages they cover.
//!
//! Read as a stream: real mirrors serve files of several hundred megabytes, of which only
//! ids, types, severities, dates, references and package NEVRAs are kept. Descriptions and
//! checksums are never copied.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};

use super::primary::parse_epoch;
use super::xml::{local, push_text, XmlFile};
use super::{parse_metadata_date, Advisory, AdvisoryPackage, ModuleRef, RpmMdError};
use crate::version::rpm::{Nevra, RpmEvr};

/// Reads an updateinfo.xml file (compressed or not): every `<update>`, in file order.
pub fn read_updateinfo(path: &Path) -> Result<Vec<Advisory>, RpmMdError> {
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
    /// The module of the `<collection>` being read.
    module: Option<Arc<ModuleRef>>,
    /// Shared copies of the few distinct types, severities and module parts.
    strings: HashMap<Box<str>, Arc<str>>,
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
        e: &BytesStart,
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
                "issued" => advisory.issued = date_attribute(file, e)?,
                "updated" => advisory.updated = date_attribute(file, e)?,
                _ => {}
            }
            return Ok(());
        }
        match name {
            "reference" => {
                let (mut kind, mut id) = (None, None);
                for attr in file.attributes(e) {
                    let attr = attr?;
                    match attr.key.as_ref() {
                        "type" => kind = Some(file.value(&attr)?),
                        "id" => id = Some(file.value(&attr)?),
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
            }
            "collection" => self.module = None,
            "module" => {
                let module = module_attributes(file, e)?;
                self.module = Some(Arc::new(module));
            }
            "package" => {
                let nevra = package_attributes(file, e)?;
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
            match field {
                Field::Id => advisory.id = text.trim().to_string(),
                Field::Title => advisory.title = text,
                Field::Severity => {
                    let severity = text.trim();
                    advisory.severity =
                        (!severity.is_empty()).then(|| intern(&mut self.strings, severity));
                }
                Field::Nothing => {}
            }
        } else if name == "collection" {
            self.module = None;
        }
        Ok(())
    }

    fn start_update(&mut self, file: &XmlFile, e: &BytesStart) -> Result<(), RpmMdError> {
        let mut kind = None;
        for attr in file.attributes(e) {
            let attr = attr?;
            if attr.key.as_ref() == "type" {
                let value = file.value(&attr)?;
                let value = value.trim();
                if !value.is_empty() {
                    kind = Some(intern(&mut self.strings, value));
                }
            }
        }
        self.module = None;
        self.current = Some(Advisory {
            id: String::new(),
            kind,
            severity: None,
            title: String::new(),
            issued: None,
            updated: None,
            cves: Vec::new(),
            bugzillas: Vec::new(),
            packages: Vec::new(),
        });
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

/// The shared copy of `text`.
fn intern(strings: &mut HashMap<Box<str>, Arc<str>>, text: &str) -> Arc<str> {
    if let Some(shared) = strings.get(text) {
        return shared.clone();
    }
    let shared: Arc<str> = Arc::from(text);
    strings.insert(Box::from(text), shared.clone());
    shared
}

/// The `date` attribute of `<issued>`/`<updated>`; unparseable dates are `None`.
fn date_attribute(file: &XmlFile, e: &BytesStart) -> Result<Option<i64>, RpmMdError> {
    for attr in file.attributes(e) {
        let attr = attr?;
        if attr.key.as_ref() == "date" {
            return Ok(parse_metadata_date(&file.value(&attr)?));
        }
    }
    Ok(None)
}

/// `<package name epoch version release arch>`.
fn package_attributes(file: &XmlFile, e: &BytesStart) -> Result<Nevra, RpmMdError> {
    let (mut name, mut epoch, mut version, mut release, mut arch) = (None, 0, None, None, None);
    for attr in file.attributes(e) {
        let attr = attr?;
        match attr.key.as_ref() {
            "name" => name = Some(file.value(&attr)?.into_owned()),
            "version" => version = Some(file.value(&attr)?.into_owned()),
            "release" => release = Some(file.value(&attr)?.into_owned()),
            "arch" => arch = Some(file.value(&attr)?.into_owned()),
            "epoch" => {
                epoch = parse_epoch(&file.value(&attr)?)
                    .ok_or_else(|| file.malformed("package epoch is not a number"))?
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
        _ => Err(file.malformed("<package> without name, version or arch")),
    }
}

/// `<module name stream version context arch/>` in a `<collection>`.
fn module_attributes(file: &XmlFile, e: &BytesStart) -> Result<ModuleRef, RpmMdError> {
    let mut module = ModuleRef {
        name: String::new(),
        stream: String::new(),
        version: None,
        context: None,
        arch: None,
    };
    for attr in file.attributes(e) {
        let attr = attr?;
        let value = file.value(&attr)?;
        match attr.key.as_ref() {
            "name" => module.name = value.into_owned(),
            "stream" => module.stream = value.into_owned(),
            "version" => {
                module.version = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| file.malformed("module version is not a number"))?,
                )
            }
            "context" => module.context = Some(value.into_owned()),
            "arch" => module.arch = Some(value.into_owned()),
            _ => {}
        }
    }
    if module.name.is_empty() || module.stream.is_empty() {
        return Err(file.malformed("<module> without name or stream"));
    }
    Ok(module)
}
