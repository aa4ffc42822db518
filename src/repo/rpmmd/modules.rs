//! modules.yaml: module streams (`modulemd` documents) and default streams
//! (`modulemd-defaults` documents), as dnf reads them to filter modular updates.
//!
//! YAML is read with `serde_yaml_ng`, the maintained fork of `serde_yaml`: it reads a
//! multi-document stream through serde and reports line and column on errors. The documents
//! are kept loosely typed (`Value`) because streams and versions are written both quoted and
//! bare (`stream: 10`, `stream: "1.10"`) and other document kinds (obsoletes, translations)
//! are skipped.

use std::path::Path;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::{ModuleDefault, ModuleRef, ModuleStream, RpmMdError};
use crate::version::rpm::Nevra;

/// Reads modules.yaml (compressed or not): the `modulemd` and `modulemd-defaults` documents,
/// in file order.
pub fn read_modules(path: &Path) -> Result<(Vec<ModuleStream>, Vec<ModuleDefault>), RpmMdError> {
    let bytes = super::read_whole(path)?;
    let text = String::from_utf8(bytes).map_err(|e| RpmMdError::Yaml {
        path: path.to_path_buf(),
        document: 0,
        reason: format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
    })?;
    parse_modules(&text).map_err(|(document, reason)| RpmMdError::Yaml {
        path: path.to_path_buf(),
        document,
        reason,
    })
}

/// Parses modules.yaml text; an error is the 1-based document number and a reason.
pub fn parse_modules(
    text: &str,
) -> Result<(Vec<ModuleStream>, Vec<ModuleDefault>), (usize, String)> {
    let (mut streams, mut defaults) = (Vec::new(), Vec::new());
    let mut seen = 0;
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let number = index + 1;
        let value = Value::deserialize(document).map_err(|e| (number, yaml_error(&e)))?;
        if value.is_null() {
            continue; // an empty document, e.g. after a trailing `---`
        }
        seen += 1;
        let err = |reason: String| (number, reason);
        let kind = value
            .get("document")
            .and_then(Value::as_str)
            .ok_or_else(|| err("no `document` key".into()))?;
        let data = value.get("data");
        match kind {
            "modulemd" => {
                let data = data.ok_or_else(|| err("modulemd without `data`".into()))?;
                streams.push(module_stream(data).map_err(err)?);
            }
            "modulemd-defaults" => {
                let data = data.ok_or_else(|| err("modulemd-defaults without `data`".into()))?;
                let module = scalar(data.get("module"))
                    .ok_or_else(|| err("modulemd-defaults without `module`".into()))?;
                defaults.push(ModuleDefault {
                    module,
                    stream: scalar(data.get("stream")),
                });
            }
            _ => {}
        }
    }
    if seen == 0 {
        return Err((0, "no YAML documents: the file is empty".into()));
    }
    Ok((streams, defaults))
}

/// One `modulemd` document's `data`.
fn module_stream(data: &Value) -> Result<ModuleStream, String> {
    let name = scalar(data.get("name")).ok_or("modulemd without `name`")?;
    let stream = scalar(data.get("stream")).ok_or("modulemd without `stream`")?;
    let version = match data.get("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            scalar(Some(v))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("module {name}:{stream}: version is not a number"))?,
        ),
    };
    let mut rpms = Vec::new();
    if let Some(list) = data.get("artifacts").and_then(|a| a.get("rpms")) {
        let list = list
            .as_sequence()
            .ok_or_else(|| format!("module {name}:{stream}: artifacts.rpms is not a list"))?;
        for item in list {
            let text = item
                .as_str()
                .ok_or_else(|| format!("module {name}:{stream}: an artifact is not a string"))?;
            rpms.push(
                Nevra::parse(text)
                    .map_err(|e| format!("module {name}:{stream}: artifact {text:?}: {e}"))?,
            );
        }
    }
    Ok(ModuleStream {
        id: ModuleRef {
            version,
            context: scalar(data.get("context")),
            arch: scalar(data.get("arch")),
            name,
            stream,
        },
        rpms,
    })
}

/// A scalar as text, whether YAML read it as a string, a number or a boolean.
fn scalar(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML error with its position.
fn yaml_error(error: &serde_yaml_ng::Error) -> String {
    match error.location() {
        Some(at) => format!("line {}, column {}: {error}", at.line(), at.column()),
        None => error.to_string(),
    }
}
