//! `modules.yaml`: module streams with their RPM artifacts, and default streams.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::RpmMdError;
use crate::repo::compress;
use crate::version::Nevra;

/// One module stream.
#[derive(Debug, Clone)]
pub struct Stream {
    pub name: String,
    pub stream: String,
    pub artifacts: Vec<Nevra>,
}

/// Everything a modules file says that matters here.
#[derive(Debug, Default)]
pub struct Modules {
    pub streams: Vec<Stream>,
    /// module → default stream.
    pub defaults: HashMap<String, String>,
}

fn text(v: &serde_yaml_ng::Value) -> Option<String> {
    match v {
        serde_yaml_ng::Value::String(s) => Some(s.clone()),
        serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a (compressed) modules.yaml with its several YAML documents.
pub fn read(path: &Path) -> Result<Modules, RpmMdError> {
    let err = |message: String| RpmMdError::Modules {
        path: path.to_path_buf(),
        message,
    };
    let input = compress::open(path)?;
    let mut out = Modules::default();
    for (i, doc) in serde_yaml_ng::Deserializer::from_reader(input).enumerate() {
        let v = serde_yaml_ng::Value::deserialize(doc)
            .map_err(|e| err(format!("document {}: {e}", i + 1)))?;
        let kind = v.get("document").and_then(text).unwrap_or_default();
        let Some(data) = v.get("data") else {
            continue;
        };
        match kind.as_str() {
            "modulemd" => {
                let name = data.get("name").and_then(text).unwrap_or_default();
                let stream = data.get("stream").and_then(text).unwrap_or_default();
                let mut artifacts = Vec::new();
                if let Some(rpms) = data
                    .get("artifacts")
                    .and_then(|a| a.get("rpms"))
                    .and_then(|r| r.as_sequence())
                {
                    for r in rpms.iter().filter_map(text) {
                        let n = Nevra::parse(&r)
                            .map_err(|e| err(format!("{name}:{stream}: artifact {e}")))?;
                        if n.arch != "src" {
                            artifacts.push(n);
                        }
                    }
                }
                out.streams.push(Stream {
                    name,
                    stream,
                    artifacts,
                });
            }
            "modulemd-defaults" => {
                if let (Some(m), Some(s)) = (
                    data.get("module").and_then(text),
                    data.get("stream").and_then(text),
                ) {
                    out.defaults.insert(m, s);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}
