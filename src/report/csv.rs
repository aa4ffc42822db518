//! CSV tables: the same columns as the Parquet tables, one header line, RFC 4180 quoting.
//! Counts are numbers, timestamps `YYYY-MM-DDTHH:MM:SSZ`, nulls empty; id lists (`CVEIds`,
//! `AdvisoryIds`) are comma-joined as AWS joins CVEIds, and `Warnings` newline-joined.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::report::fleet::{
    comma_items, into_file, warning_items, AtomicFile, ColumnType, ReportError, TableEncoder, Value,
};
use crate::vocab::time::format_time;

/// One CSV table file.
pub struct CsvTable {
    target: AtomicFile,
    writer: csv::Writer<BufWriter<File>>,
    columns: Vec<(&'static str, ColumnType)>,
    cells: Vec<String>,
}

impl CsvTable {
    fn encode_err(&self, e: csv::Error) -> ReportError {
        ReportError::Encode {
            path: self.target.dest().to_path_buf(),
            message: e.to_string(),
        }
    }
}

impl TableEncoder for CsvTable {
    fn create(dest: &Path, columns: Vec<(&'static str, ColumnType)>) -> Result<Self, ReportError> {
        let (target, file) = AtomicFile::create(dest)?;
        let writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(BufWriter::with_capacity(1 << 20, file));
        let mut table = CsvTable {
            target,
            writer,
            columns,
            cells: Vec::new(),
        };
        let header: Vec<&str> = table.columns.iter().map(|(n, _)| *n).collect();
        table
            .writer
            .write_record(&header)
            .map_err(|e| table.encode_err(e))?;
        Ok(table)
    }

    fn write_row(&mut self, row: &[Value<'_>]) -> Result<(), ReportError> {
        self.cells.resize(self.columns.len(), String::new());
        for ((cell, (name, _)), value) in self.cells.iter_mut().zip(&self.columns).zip(row) {
            cell.clear();
            let sep = if *name == "Warnings" { "\n" } else { "," };
            match value {
                Value::Null => {}
                Value::Text(s) => cell.push_str(s),
                Value::Owned(s) => cell.push_str(s),
                Value::Count(n) => cell.push_str(&n.to_string()),
                Value::Timestamp(ms) => cell.push_str(&format_time(ms.div_euclid(1000))),
                Value::List(items) => cell.push_str(&items.join(sep)),
                Value::Warnings(ws, part) => {
                    for (i, item) in warning_items(ws, *part).enumerate() {
                        if i > 0 {
                            cell.push_str(sep);
                        }
                        cell.push_str(item);
                    }
                }
                Value::CommaList(s) => {
                    for (i, item) in comma_items(s).enumerate() {
                        if i > 0 {
                            cell.push_str(sep);
                        }
                        cell.push_str(item);
                    }
                }
            }
        }
        let result = self.writer.write_record(&self.cells);
        result.map_err(|e| self.encode_err(e))
    }

    fn finish(self) -> Result<PathBuf, ReportError> {
        let dest = self.target.dest().to_path_buf();
        let buffered = self.writer.into_inner().map_err(|e| ReportError::Io {
            path: dest.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let file = into_file(buffered, &dest)?;
        self.target.commit(&file)
    }
}
