//! JSON Lines tables: one object per row with the Parquet tables' column names; nulls are
//! `null`, counts numbers, timestamps `YYYY-MM-DDTHH:MM:SSZ` strings, lists arrays.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use crate::report::fleet::{
    comma_items, into_file, warning_items, AtomicFile, ColumnType, ReportError, TableEncoder, Value,
};
use crate::vocab::time::format_time;

/// One JSON Lines table file.
pub struct JsonlTable {
    target: AtomicFile,
    file: BufWriter<File>,
    columns: Vec<(&'static str, ColumnType)>,
    line: Vec<u8>,
}

impl TableEncoder for JsonlTable {
    fn create(dest: &Path, columns: Vec<(&'static str, ColumnType)>) -> Result<Self, ReportError> {
        let (target, file) = AtomicFile::create(dest)?;
        Ok(JsonlTable {
            target,
            file: BufWriter::with_capacity(1 << 20, file),
            columns,
            line: Vec::new(),
        })
    }

    fn write_row(&mut self, row: &[Value<'_>]) -> Result<(), ReportError> {
        let mut object = Map::with_capacity(self.columns.len());
        for ((name, _), value) in self.columns.iter().zip(row) {
            let v = match value {
                Value::Null => Json::Null,
                Value::Text(s) => Json::String((*s).to_string()),
                Value::Owned(s) => Json::String(s.clone()),
                Value::Count(n) => Json::from(*n),
                Value::Timestamp(ms) => Json::String(format_time(ms.div_euclid(1000))),
                Value::List(items) => Json::from(items.to_vec()),
                Value::CommaList(s) => Json::from_iter(comma_items(s)),
                Value::Warnings(ws, part) => Json::from_iter(warning_items(ws, *part)),
            };
            object.insert((*name).to_string(), v);
        }
        self.line.clear();
        let dest = self.target.dest();
        serde_json::to_writer(&mut self.line, &object).map_err(|e| ReportError::Encode {
            path: dest.to_path_buf(),
            message: e.to_string(),
        })?;
        self.line.push(b'\n');
        self.file
            .write_all(&self.line)
            .map_err(ReportError::io(dest))
    }

    fn finish(self) -> Result<PathBuf, ReportError> {
        let file = into_file(self.file, self.target.dest())?;
        self.target.commit(&file)
    }
}
