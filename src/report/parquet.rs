//! Parquet: the fleet tables written with polars (zstd, one row group per ~64k rows, streamed
//! batch by batch), and read back lazily for `patchscan report`. The only module that uses
//! polars.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::report::fleet::{
    comma_items, warning_items, AtomicFile, ColumnType, ReportError, TableEncoder, Value,
};
use crate::report::view::{AdvisoryRow, Count, FailedHost, FleetView, GroupRow, HostRow};
use crate::vocab::severity;
use crate::vocab::status::ComplianceStatus;

/// Rows gathered before a row group is written.
const ROW_GROUP_ROWS: usize = 1 << 16;

/// The file, shared with polars' writer (which keeps its writer to the end) so it can be
/// synced and renamed afterwards.
struct SharedFile(Arc<File>);

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        (&*self.0).flush()
    }
}

enum Builder {
    Text(StringChunkedBuilder),
    Int(PrimitiveChunkedBuilder<Int64Type>),
    Time(PrimitiveChunkedBuilder<Int64Type>),
    List(ListStringChunkedBuilder),
}

fn dtype(t: ColumnType) -> DataType {
    match t {
        ColumnType::Text => DataType::String,
        ColumnType::Count => DataType::Int64,
        ColumnType::Timestamp => DataType::Datetime(TimeUnit::Milliseconds, None),
        ColumnType::TextList => DataType::List(Box::new(DataType::String)),
    }
}

/// The Parquet schema of a table's columns, as the files carry it.
pub fn schema_of(columns: &[(&'static str, ColumnType)]) -> Vec<(String, String)> {
    columns
        .iter()
        .map(|(n, t)| (n.to_string(), dtype(*t).to_string()))
        .collect()
}

fn builder(name: &str, t: ColumnType, rows: usize) -> Builder {
    let name = PlSmallStr::from(name);
    match t {
        ColumnType::Text => Builder::Text(StringChunkedBuilder::new(name, rows)),
        ColumnType::Count => Builder::Int(PrimitiveChunkedBuilder::new(name, rows)),
        ColumnType::Timestamp => Builder::Time(PrimitiveChunkedBuilder::new(name, rows)),
        ColumnType::TextList => Builder::List(ListStringChunkedBuilder::new(name, rows, rows)),
    }
}

/// Appends one cell to its column's builder (a cell of another type is a null).
fn append(b: &mut Builder, v: &Value<'_>) {
    match (b, v) {
        (Builder::Text(b), Value::Text(s)) => b.append_value(s),
        (Builder::Text(b), Value::Owned(s)) => b.append_value(s),
        (Builder::Text(b), _) => b.append_null(),
        (Builder::Int(b) | Builder::Time(b), Value::Count(n) | Value::Timestamp(n)) => {
            b.append_value(*n)
        }
        (Builder::Int(b) | Builder::Time(b), _) => b.append_null(),
        (Builder::List(b), Value::List(items)) => {
            b.append_values_iter(items.iter().map(String::as_str))
        }
        (Builder::List(b), Value::CommaList(s)) => b.append_values_iter(comma_items(s)),
        (Builder::List(b), Value::Warnings(ws, part)) => {
            b.append_values_iter(warning_items(ws, *part))
        }
        (Builder::List(b), _) => b.append_null(),
    }
}

/// One Parquet table file.
pub struct ParquetTable {
    target: AtomicFile,
    file: Arc<File>,
    writer: polars::io::parquet::write::BatchedWriter<SharedFile>,
    columns: Vec<(&'static str, ColumnType)>,
    builders: Vec<Builder>,
    rows: usize,
}

impl ParquetTable {
    fn encode_err(&self, e: impl std::fmt::Display) -> ReportError {
        ReportError::Encode {
            path: self.target.dest().to_path_buf(),
            message: format!("parquet: {e}"),
        }
    }

    fn flush(&mut self) -> Result<(), ReportError> {
        if self.rows == 0 {
            return Ok(());
        }
        let fresh: Vec<Builder> = self
            .columns
            .iter()
            .map(|(n, t)| builder(n, *t, ROW_GROUP_ROWS))
            .collect();
        let mut columns = Vec::with_capacity(self.columns.len());
        for b in std::mem::replace(&mut self.builders, fresh) {
            let series = match b {
                Builder::Text(b) => b.finish().into_series(),
                Builder::Int(b) => b.finish().into_series(),
                Builder::Time(b) => b
                    .finish()
                    .into_datetime(TimeUnit::Milliseconds, None)
                    .into_series(),
                Builder::List(mut b) => b.finish().into_series(),
            };
            columns.push(Column::from(series));
        }
        let df = DataFrame::new(self.rows, columns).map_err(|e| self.encode_err(e))?;
        self.writer
            .write_batch(&df)
            .map_err(|e| self.encode_err(e))?;
        self.rows = 0;
        Ok(())
    }
}

impl TableEncoder for ParquetTable {
    fn create(dest: &Path, columns: Vec<(&'static str, ColumnType)>) -> Result<Self, ReportError> {
        let (target, file) = AtomicFile::create(dest)?;
        let file = Arc::new(file);
        let schema = Schema::from_iter(
            columns
                .iter()
                .map(|(n, t)| Field::new(PlSmallStr::from(*n), dtype(*t))),
        );
        // Columns are encoded on polars' own pool only when the pool this runs in (a fleet's
        // `--jobs`) has more than one thread: one job means one thread doing everything.
        let writer = ParquetWriter::new(SharedFile(file.clone()))
            .with_compression(ParquetCompression::Zstd(None))
            .set_parallel(rayon::current_num_threads() > 1)
            .batched(&schema)
            .map_err(|e| ReportError::Encode {
                path: dest.to_path_buf(),
                message: format!("parquet: {e}"),
            })?;
        let builders = columns
            .iter()
            .map(|(n, t)| builder(n, *t, ROW_GROUP_ROWS))
            .collect();
        Ok(ParquetTable {
            target,
            file,
            writer,
            columns,
            builders,
            rows: 0,
        })
    }

    fn write_row(&mut self, row: &[Value<'_>]) -> Result<(), ReportError> {
        for (b, v) in self.builders.iter_mut().zip(row) {
            append(b, v);
        }
        self.rows += 1;
        Ok(())
    }

    fn write_cells<'a>(
        &mut self,
        rows: usize,
        width: usize,
        cell: &(dyn Fn(usize, usize) -> Value<'a> + Sync),
    ) -> Result<(), ReportError> {
        use rayon::prelude::*;
        // Each column's builder is filled by one task: the columns side by side.
        self.builders
            .par_iter_mut()
            .take(width)
            .enumerate()
            .for_each(|(c, b)| {
                for r in 0..rows {
                    append(b, &cell(r, c));
                }
            });
        // Columns beyond `width` (none when the caller gives every column) are nulls.
        for b in self.builders.iter_mut().skip(width) {
            for _ in 0..rows {
                append(b, &Value::Null);
            }
        }
        self.rows += rows;
        Ok(())
    }

    fn end_batch(&mut self) -> Result<(), ReportError> {
        if self.rows >= ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<PathBuf, ReportError> {
        self.flush()?;
        self.writer.finish().map_err(|e| self.encode_err(e))?;
        let file = self.file.clone();
        let ParquetTable { target, writer, .. } = self;
        drop(writer);
        target.commit(&file)
    }
}

// ---------------------------------------------------------------- reading

fn read_err(path: &Path) -> impl Fn(PolarsError) -> ReportError + '_ {
    move |e| ReportError::Read {
        path: path.to_path_buf(),
        message: format!("parquet: {e}"),
    }
}

/// A table under `out`: `out/NAME.parquet`, or a hive-partitioned `out/NAME/` directory.
fn scan_table(out: &Path, name: &str) -> Result<(PathBuf, LazyFrame), ReportError> {
    let file = out.join(format!("{name}.parquet"));
    let dir = out.join(name);
    let (path, source, hive) = if file.is_file() {
        (file.clone(), file.display().to_string(), false)
    } else if dir.is_dir() {
        (dir.clone(), format!("{}/**/*.parquet", dir.display()), true)
    } else {
        return Err(ReportError::Read {
            path: out.to_path_buf(),
            message: format!(
                "no {name}.parquet and no {name}/ partition directory here (write one with `patchscan fleet MANIFEST --out {}`)",
                out.display()
            ),
        });
    };
    // Partition values are text (a patch group named `2024` stays a string): name the key's
    // type instead of letting the reader guess numbers and dates.
    let key = hive
        .then(|| {
            std::fs::read_dir(&dir).ok()?.find_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                name.split_once('=').map(|(k, _)| k.to_string())
            })
        })
        .flatten();
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(hive),
            try_parse_dates: false,
            schema: key
                .map(|k| Arc::new(Schema::from_iter([Field::new(k.into(), DataType::String)]))),
            ..HiveOptions::new_enabled()
        },
        glob: hive,
        ..Default::default()
    };
    let lf = LazyFrame::scan_parquet(PlRefPath::new(&source), args).map_err(read_err(&path))?;
    Ok((path, lf))
}

fn strings(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<String>, ReportError> {
    let col = df.column(name).map_err(read_err(path))?;
    let col = col.cast(&DataType::String).map_err(read_err(path))?;
    let ca = col.str().map_err(read_err(path))?;
    Ok(ca
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn ints(df: &DataFrame, name: &str, path: &Path) -> Result<Vec<i64>, ReportError> {
    let col = df.column(name).map_err(read_err(path))?;
    let col = col.cast(&DataType::Int64).map_err(read_err(path))?;
    let ca = col.i64().map_err(read_err(path))?;
    Ok(ca.iter().map(|v| v.unwrap_or(0)).collect())
}

/// The rank of each row's `Severity` ([`severity::rank`]), as an expression over the values
/// the table holds (a null one ranks as an unknown word).
fn severity_rank(patches: &LazyFrame, path: &Path) -> Result<Expr, ReportError> {
    let values = patches
        .clone()
        .select([col("Severity").unique()])
        .collect()
        .map_err(read_err(path))?;
    let column = values.column("Severity").map_err(read_err(path))?;
    let names: Vec<String> = column
        .str()
        .map_err(read_err(path))?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let rank = names
        .iter()
        .map(|n| col("Severity").eq(lit(n.as_str())).cast(DataType::Int32) * lit(severity::rank(n)))
        .reduce(|a, b| a + b)
        .unwrap_or(lit(4i32));
    Ok(rank.fill_null(lit(4i32)))
}

fn status_is(status: ComplianceStatus) -> Expr {
    col("ComplianceStatus")
        .eq(lit(status.as_str()))
        .cast(DataType::Int64)
        .sum()
}

fn group_rows(summaries: &LazyFrame, key: &str, path: &Path) -> Result<Vec<GroupRow>, ReportError> {
    let df = summaries
        .clone()
        .group_by([col(key).fill_null(lit(""))])
        .agg([
            len().cast(DataType::Int64).alias("hosts"),
            status_is(ComplianceStatus::Compliant).alias("compliant"),
            status_is(ComplianceStatus::NonCompliant).alias("non_compliant"),
            status_is(ComplianceStatus::ScanFailed).alias("failed"),
            col("MissingCount").sum().alias("missing"),
            col("CriticalNonCompliantCount").sum().alias("critical"),
        ])
        .sort([key], SortMultipleOptions::default())
        .collect()
        .map_err(read_err(path))?;
    let keys = strings(&df, key, path)?;
    let hosts = ints(&df, "hosts", path)?;
    let compliant = ints(&df, "compliant", path)?;
    let non = ints(&df, "non_compliant", path)?;
    let failed = ints(&df, "failed", path)?;
    let missing = ints(&df, "missing", path)?;
    let critical = ints(&df, "critical", path)?;
    Ok((0..keys.len())
        .map(|i| GroupRow {
            key: keys[i].clone(),
            hosts: hosts[i],
            compliant: compliant[i],
            non_compliant: non[i],
            scan_failed: failed[i],
            missing_patches: missing[i],
            critical_non_compliant_patches: critical[i],
        })
        .collect())
}

/// Reads a fleet run's Parquet tables under `out` (files or hive partitions) and computes the
/// fleet view; `top` bounds the advisory and host lists.
pub fn read_fleet_view(out: &Path, top: usize) -> Result<FleetView, ReportError> {
    let (spath, summaries) = scan_table(out, "summaries")?;
    let (ppath, patches) = scan_table(out, "patches")?;
    let top = u32::try_from(top).unwrap_or(u32::MAX);

    let totals = summaries
        .clone()
        .select([
            len().cast(DataType::Int64).alias("hosts"),
            status_is(ComplianceStatus::Compliant).alias("compliant"),
            status_is(ComplianceStatus::NonCompliant).alias("non_compliant"),
            status_is(ComplianceStatus::ScanFailed).alias("failed"),
        ])
        .collect()
        .map_err(read_err(&spath))?;
    let one = |name: &str| -> Result<i64, ReportError> {
        Ok(ints(&totals, name, &spath)?.first().copied().unwrap_or(0))
    };

    let severity = summaries
        .clone()
        .filter(col("NonCompliantSeverity").is_not_null())
        .group_by([col("NonCompliantSeverity")])
        .agg([len().cast(DataType::Int64).alias("hosts")])
        .collect()
        .map_err(read_err(&spath))?;
    let rank = |s: &str| {
        [
            "CRITICAL",
            "HIGH",
            "MEDIUM",
            "LOW",
            "INFORMATIONAL",
            "UNSPECIFIED",
        ]
        .iter()
        .position(|x| *x == s)
        .unwrap_or(usize::MAX)
    };
    let mut by_severity: Vec<Count> = strings(&severity, "NonCompliantSeverity", &spath)?
        .into_iter()
        .zip(ints(&severity, "hosts", &spath)?)
        .map(|(key, hosts)| Count { key, hosts })
        .collect();
    by_severity.sort_by_key(|c| rank(&c.key));

    let worst = summaries
        .clone()
        .filter(col("CriticalNonCompliantCount").gt(lit(0i64)))
        .sort_by_exprs(
            [
                col("CriticalNonCompliantCount"),
                col("SecurityNonCompliantCount"),
                col("MissingCount"),
                col("InstanceId"),
            ],
            SortMultipleOptions::default().with_order_descending_multi([true, true, true, false]),
        )
        .limit(top)
        .collect()
        .map_err(read_err(&spath))?;
    let ids = strings(&worst, "InstanceId", &spath)?;
    let oses = strings(&worst, "OperatingSystem", &spath)?;
    let groups = strings(&worst, "PatchGroup", &spath)?;
    let crit = ints(&worst, "CriticalNonCompliantCount", &spath)?;
    let sec = ints(&worst, "SecurityNonCompliantCount", &spath)?;
    let miss = ints(&worst, "MissingCount", &spath)?;
    let most_critical_hosts = (0..ids.len())
        .map(|i| HostRow {
            instance_id: ids[i].clone(),
            operating_system: oses[i].clone(),
            patch_group: groups[i].clone(),
            critical_non_compliant_count: crit[i],
            security_non_compliant_count: sec[i],
            missing_count: miss[i],
        })
        .collect();

    let failed = summaries
        .clone()
        .filter(col("ComplianceStatus").eq(lit(ComplianceStatus::ScanFailed.as_str())))
        .sort(["InstanceId"], SortMultipleOptions::default())
        .collect()
        .map_err(read_err(&spath))?;
    let failed_hosts = strings(&failed, "InstanceId", &spath)?
        .into_iter()
        .zip(strings(&failed, "Source", &spath)?)
        .zip(strings(&failed, "Error", &spath)?)
        .map(|((instance_id, source), error)| FailedHost {
            instance_id,
            source,
            error,
        })
        .collect();

    let rank_expr = severity_rank(&patches, &ppath)?;
    let advisories = patches
        .filter(col("State").eq(lit("Missing")))
        .select([
            col("InstanceId"),
            col("AdvisoryIds"),
            col("ComplianceLevel"),
            col("Severity"),
            col("Classification"),
        ])
        .explode(
            by_name(["AdvisoryIds"], true, false),
            ExplodeOptions {
                empty_as_null: true,
                keep_nulls: true,
            },
        )
        .filter(col("AdvisoryIds").is_not_null())
        .group_by([col("AdvisoryIds")])
        .agg([
            col("InstanceId")
                .n_unique()
                .cast(DataType::Int64)
                .alias("hosts"),
            col("InstanceId")
                .filter(col("ComplianceLevel").eq(lit("CRITICAL")))
                .n_unique()
                .cast(DataType::Int64)
                .alias("critical_hosts"),
            col("Severity")
                .sort_by([rank_expr], SortMultipleOptions::default())
                .first()
                .alias("severity"),
            col("Classification")
                .sort(SortOptions::default())
                .last()
                .alias("classification"),
        ])
        .sort_by_exprs(
            [col("hosts"), col("critical_hosts"), col("AdvisoryIds")],
            SortMultipleOptions::default().with_order_descending_multi([true, true, false]),
        )
        .limit(top)
        .collect()
        .map_err(read_err(&ppath))?;
    let adv_ids = strings(&advisories, "AdvisoryIds", &ppath)?;
    let adv_hosts = ints(&advisories, "hosts", &ppath)?;
    let adv_crit = ints(&advisories, "critical_hosts", &ppath)?;
    let adv_sev = strings(&advisories, "severity", &ppath)?;
    let adv_class = strings(&advisories, "classification", &ppath)?;
    let top_missing_advisories = (0..adv_ids.len())
        .map(|i| AdvisoryRow {
            advisory_id: adv_ids[i].clone(),
            hosts: adv_hosts[i],
            critical_hosts: adv_crit[i],
            vendor_severity: adv_sev[i].clone(),
            classification: adv_class[i].clone(),
        })
        .collect();

    Ok(FleetView {
        hosts: one("hosts")?,
        compliant: one("compliant")?,
        non_compliant: one("non_compliant")?,
        scan_failed: one("failed")?,
        non_compliant_by_severity: by_severity,
        by_operating_system: group_rows(&summaries, "OperatingSystem", &spath)?,
        by_patch_group: group_rows(&summaries, "PatchGroup", &spath)?,
        by_baseline: group_rows(&summaries, "BaselineId", &spath)?,
        top_missing_advisories,
        most_critical_hosts,
        failed_hosts,
    })
}

/// The column names and types of a Parquet file as polars reads them back.
pub fn file_schema(path: &Path) -> Result<Vec<(String, String)>, ReportError> {
    let mut lf = LazyFrame::scan_parquet(
        PlRefPath::new(path.display().to_string()),
        ScanArgsParquet::default(),
    )
    .map_err(read_err(path))?;
    let schema = lf.collect_schema().map_err(read_err(path))?;
    Ok(schema
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fleet::Table;

    #[test]
    fn rows_added_together_write_the_file_rows_added_one_by_one_write() {
        let dir = tempfile::tempdir().unwrap();
        let cves: Vec<Vec<String>> = (0..50)
            .map(|i| (0..i % 4).map(|k| format!("CVE-2025-{i}{k}")).collect())
            .collect();
        let texts: Vec<String> = (0..5000)
            .map(|i| format!("pkg-{}.x86_64", i % 731))
            .collect();
        let patch_columns = Table::Patches.columns();
        let rows: Vec<Vec<Value<'_>>> = (0..5000usize)
            .map(|i| {
                patch_columns
                    .iter()
                    .enumerate()
                    .map(|(c, (_, t))| match t {
                        ColumnType::Text if (i + c) % 7 == 0 => Value::Null,
                        ColumnType::Text if c % 2 == 0 => Value::Text(&texts[i]),
                        ColumnType::Text => Value::Owned(format!("{c}:{i}")),
                        ColumnType::Count => Value::Count(i as i64),
                        ColumnType::Timestamp => Value::Timestamp(1_748_779_200_000 + i as i64),
                        ColumnType::TextList => Value::List(&cves[i % 50]),
                    })
                    .collect()
            })
            .collect();
        let write = |name: &str, together: bool| {
            let dest = dir.path().join(name);
            let mut table = ParquetTable::create(&dest, patch_columns.clone()).unwrap();
            for chunk in rows.chunks(1234) {
                if together {
                    let cell = |r: usize, c: usize| chunk[r][c].clone();
                    table
                        .write_cells(chunk.len(), patch_columns.len(), &cell)
                        .unwrap();
                } else {
                    chunk.iter().for_each(|r| table.write_row(r).unwrap());
                }
                table.end_batch().unwrap();
            }
            table.finish().unwrap();
            std::fs::read(dest).unwrap()
        };
        let (one_by_one, together) = (write("a.parquet", false), write("b.parquet", true));
        assert!(one_by_one.len() > 1000);
        assert!(one_by_one == together, "the same bytes either way");
    }

    /// Both tables written with a null, an empty list and a timestamp, then read back: the
    /// types polars reads are the ones the schema documents.
    #[test]
    fn tables_read_back_with_their_types() {
        let dir = tempfile::tempdir().unwrap();
        for columns in [Table::Summaries.columns(), Table::Patches.columns()] {
            let dest = dir.path().join("t.parquet");
            let mut table = ParquetTable::create(&dest, columns.clone()).unwrap();
            let list = vec!["CVE-2025-1".to_string(), "CVE-2025-2".to_string()];
            for i in 0..3 {
                let row: Vec<Value<'_>> = columns
                    .iter()
                    .map(|(_, t)| match t {
                        ColumnType::Text if i == 1 => Value::Null,
                        ColumnType::Text => Value::Text("x"),
                        ColumnType::Count => Value::Count(i),
                        ColumnType::Timestamp => Value::Timestamp(1_748_779_200_000),
                        ColumnType::TextList if i == 2 => Value::List(&[]),
                        ColumnType::TextList => Value::List(&list),
                    })
                    .collect();
                table.write_row(&row).unwrap();
            }
            assert!(!dest.exists(), "nothing at the final path before finish");
            table.finish().unwrap();
            let got = file_schema(&dest).unwrap();
            let want: Vec<(String, String)> = columns
                .iter()
                .map(|(n, t)| {
                    let t = match t {
                        ColumnType::Text => "str",
                        ColumnType::Count => "i64",
                        ColumnType::Timestamp => "datetime[ms]",
                        ColumnType::TextList => "list[str]",
                    };
                    (n.to_string(), t.to_string())
                })
                .collect();
            assert_eq!(got, want);
            let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            assert_eq!(names.len(), 1, "no temporary file left behind");
            std::fs::remove_file(&dest).unwrap();
        }
    }
}
