//! A fleet run's results as two tables — `summaries` (one row per host) and `patches` (one row
//! per host × reported patch) — and the writers that stream them to files in batches.
//!
//! The columns are defined once here ([`SUMMARY_COLUMNS`], [`PATCH_COLUMNS`]); Parquet, CSV
//! and JSON Lines all render the same rows, so the formats cannot drift apart.
//! docs/output-schema.md documents them; `tests/report.rs` pins them.

use crate::vocab::warning::Warning;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use crate::report::model::{HostReport, PatchRecord, PatchStateSummary};
use crate::vocab::status::ComplianceStatus;
use crate::vocab::time::format_time;

/// The version of the fleet output schema (docs/output-schema.md documents each change).
pub const SCHEMA_VERSION: &str = "1.1.0";

/// One host of a fleet run: who it is, how it was judged, and its report or why there is none.
#[derive(Debug, Clone)]
pub struct FleetHost {
    /// The manifest's id for the host.
    pub host_id: String,
    /// The reported managed-node id (`i-…`/`mi-…` when known, else the host id).
    pub instance_id: String,
    pub source: String,
    /// `root`, `archive` or `inventory`.
    pub source_kind: &'static str,
    pub patch_group: String,
    /// Known once the host is identified.
    pub operating_system: Option<String>,
    pub product: Option<String>,
    pub platform_name: Option<String>,
    pub repo_set: Option<String>,
    pub baseline_id: Option<String>,
    /// When the host was evaluated ("now"), UNIX seconds.
    pub scan_time: i64,
    /// A name-based 36-character id for this host's scan (AWS's SnapshotId shape).
    pub snapshot_id: String,
    /// The report, or why the host could not be evaluated: the typed error the reader or the
    /// pipeline gave, its causes kept (downcast it to the reader's error type to tell cases apart).
    pub outcome: Result<HostReport, HostFailure>,
}

/// Why one host of a fleet could not be evaluated: the error as its layer gave it, shared so
/// that a record can be cloned.
pub type HostFailure = std::sync::Arc<dyn std::error::Error + Send + Sync>;

impl FleetHost {
    /// The host's compliance status; `SCAN_FAILED` when it could not be evaluated.
    pub fn status(&self) -> ComplianceStatus {
        match &self.outcome {
            Ok(r) if r.is_non_compliant() => ComplianceStatus::NonCompliant,
            Ok(_) => ComplianceStatus::Compliant,
            Err(_) => ComplianceStatus::ScanFailed,
        }
    }

    /// The scan date, `YYYY-MM-DD` (UTC): the `date` partition value.
    pub fn scan_date(&self) -> String {
        format_time(self.scan_time).chars().take(10).collect()
    }
}

/// A column's type, as every format renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text; null where a failed host has no value.
    Text,
    /// A signed 64-bit count; null for failed hosts.
    Count,
    /// Milliseconds since 1970 UTC (Parquet `TIMESTAMP(MILLIS)`, no zone; text elsewhere).
    Timestamp,
    /// A list of text values (Parquet `LIST<STRING>`; comma-joined in CSV).
    TextList,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Text(&'a str),
    Owned(String),
    Count(i64),
    Timestamp(i64),
    List(&'a [String]),
    /// A list kept as comma-separated text (`CVEIds`): its items are [`comma_items`].
    CommaList(&'a str),
    /// One part of each of a host's warnings: its items are [`warning_items`].
    Warnings(&'a [Warning], WarningPart),
}

/// Which part of each warning a [`Value::Warnings`] cell lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningPart {
    Message,
    Code,
}

/// The items of a [`Value::Warnings`] cell.
pub fn warning_items(warnings: &[Warning], part: WarningPart) -> impl Iterator<Item = &str> {
    warnings.iter().map(move |w| match part {
        WarningPart::Message => w.message.as_str(),
        WarningPart::Code => w.code.as_str(),
    })
}

impl Value<'_> {
    /// The text of a text cell (`None` for null and other types).
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            Value::Owned(s) => Some(s),
            _ => None,
        }
    }
}

/// A column of `summaries`: its name, its type and what fills it.
pub struct SummaryColumn {
    pub name: &'static str,
    pub kind: ColumnType,
    pub cell: for<'a> fn(&'a FleetHost) -> Value<'a>,
}

/// A column of `patches`: its name, its type and what fills it from a host and one patch.
pub struct PatchColumn {
    pub name: &'static str,
    pub kind: ColumnType,
    pub cell: for<'a> fn(&'a FleetHost, &'a PatchRecord) -> Value<'a>,
}

fn opt(s: &Option<String>) -> Value<'_> {
    s.as_deref().map_or(Value::Null, Value::Text)
}

/// A count of a scanned host's summary; null for a failed host.
fn count(h: &FleetHost, f: fn(&PatchStateSummary) -> u64) -> Value<'static> {
    h.outcome.as_ref().map_or(Value::Null, |r| {
        Value::Count(i64::try_from(f(&r.patch_state)).unwrap_or(i64::MAX))
    })
}

/// A text of a scanned host's summary; null for a failed host.
fn summary_text(h: &FleetHost, f: fn(&PatchStateSummary) -> &str) -> Value<'_> {
    h.outcome
        .as_ref()
        .map_or(Value::Null, |r| Value::Text(f(&r.patch_state)))
}

macro_rules! summary {
    ($name:literal, $kind:ident, $cell:expr) => {
        SummaryColumn {
            name: $name,
            kind: ColumnType::$kind,
            cell: $cell,
        }
    };
}

macro_rules! patch {
    ($name:literal, $kind:ident, $cell:expr) => {
        PatchColumn {
            name: $name,
            kind: ColumnType::$kind,
            cell: $cell,
        }
    };
}

/// `summaries`: one row per host.
pub const SUMMARY_COLUMNS: &[SummaryColumn] = &[
    summary!("InstanceId", Text, |h| Value::Text(&h.instance_id)),
    summary!("HostId", Text, |h| Value::Text(&h.host_id)),
    summary!("PatchGroup", Text, |h| Value::Text(&h.patch_group)),
    summary!("BaselineId", Text, |h| opt(&h.baseline_id)),
    summary!("SnapshotId", Text, |h| Value::Text(&h.snapshot_id)),
    summary!("ComplianceStatus", Text, |h| Value::Text(
        h.status().as_str()
    )),
    summary!("NonCompliantSeverity", Text, |h| {
        h.outcome
            .as_ref()
            .ok()
            .and_then(|r| r.patch_state.non_compliant_severity)
            .map_or(Value::Null, |l| Value::Text(l.as_str()))
    }),
    summary!("InstalledCount", Count, |h| count(h, |s| s.installed_count)),
    summary!("InstalledOtherCount", Count, |h| count(h, |s| s
        .installed_other_count)),
    summary!("InstalledPendingRebootCount", Count, |h| {
        count(h, |s| s.installed_pending_reboot_count)
    }),
    summary!("InstalledRejectedCount", Count, |h| count(h, |s| s
        .installed_rejected_count)),
    summary!("MissingCount", Count, |h| count(h, |s| s.missing_count)),
    summary!("FailedCount", Count, |h| count(h, |s| s.failed_count)),
    summary!("NotApplicableCount", Count, |h| count(h, |s| s
        .not_applicable_count)),
    summary!("UnreportedNotApplicableCount", Count, |h| {
        count(h, |s| s.unreported_not_applicable_count)
    }),
    summary!("CriticalNonCompliantCount", Count, |h| {
        count(h, |s| s.critical_non_compliant_count)
    }),
    summary!("SecurityNonCompliantCount", Count, |h| {
        count(h, |s| s.security_non_compliant_count)
    }),
    summary!("OtherNonCompliantCount", Count, |h| count(h, |s| s
        .other_non_compliant_count)),
    summary!("OperationStartTime", Text, |h| summary_text(h, |s| &s
        .operation_start_time)),
    summary!("OperationEndTime", Text, |h| summary_text(h, |s| &s
        .operation_end_time)),
    summary!("Operation", Text, |h| summary_text(h, |s| &s.operation)),
    summary!("OperatingSystem", Text, |h| opt(&h.operating_system)),
    summary!("Product", Text, |h| opt(&h.product)),
    summary!("PlatformName", Text, |h| opt(&h.platform_name)),
    summary!("RepoSet", Text, |h| opt(&h.repo_set)),
    summary!("SourceKind", Text, |h| Value::Text(h.source_kind)),
    summary!("Source", Text, |h| Value::Text(&h.source)),
    summary!("ScanTime", Timestamp, |h| Value::Timestamp(
        h.scan_time * 1000
    )),
    summary!("Error", Text, |h| {
        h.outcome
            .as_ref()
            .err()
            .map_or(Value::Null, |e| Value::Owned(e.to_string()))
    }),
    summary!("Warnings", TextList, |h| {
        h.outcome.as_ref().map_or(Value::List(&[]), |r| {
            Value::Warnings(&r.warnings, WarningPart::Message)
        })
    }),
    summary!("WarningCodes", TextList, |h| {
        h.outcome.as_ref().map_or(Value::List(&[]), |r| {
            Value::Warnings(&r.warnings, WarningPart::Code)
        })
    }),
];

/// `patches`: one row per host × reported patch.
pub const PATCH_COLUMNS: &[PatchColumn] = &[
    patch!("InstanceId", Text, |h, _| Value::Text(&h.instance_id)),
    patch!("PatchGroup", Text, |h, _| Value::Text(&h.patch_group)),
    patch!("BaselineId", Text, |h, _| opt(&h.baseline_id)),
    patch!("OperatingSystem", Text, |h, _| opt(&h.operating_system)),
    patch!("ScanTime", Timestamp, |h, _| Value::Timestamp(
        h.scan_time * 1000
    )),
    patch!("Title", Text, |_, p| Value::Text(&p.title)),
    patch!("KBId", Text, |_, p| Value::Text(&p.kb_id)),
    patch!("Classification", Text, |_, p| Value::Text(
        &p.classification
    )),
    patch!("Severity", Text, |_, p| Value::Text(&p.severity)),
    patch!("State", Text, |_, p| Value::Text(p.state.as_str())),
    patch!("InstalledTime", Text, |_, p| Value::Text(&p.installed_time)),
    patch!("CVEIds", TextList, |_, p| Value::CommaList(&p.cve_ids)),
    patch!("InstalledVersion", Text, |_, p| Value::Text(
        &p.installed_version
    )),
    patch!("CandidateVersion", Text, |_, p| Value::Text(
        &p.candidate_version
    )),
    patch!("AdvisoryIds", TextList, |_, p| Value::List(&p.advisory_ids)),
    patch!("ComplianceLevel", Text, |_, p| Value::Text(
        p.compliance_level.as_str()
    )),
    patch!("Reason", Text, |_, p| Value::Text(&p.reason)),
];

/// The `summaries` row of a host, in [`SUMMARY_COLUMNS`] order.
pub fn summary_row(h: &FleetHost) -> Vec<Value<'_>> {
    SUMMARY_COLUMNS.iter().map(|c| (c.cell)(h)).collect()
}

/// The items of a comma-separated list: trimmed, empty ones left out.
pub fn comma_items(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// Cell `column` ([`PATCH_COLUMNS`] order) of the `patches` row of one patch of a host.
pub fn patch_cell<'a>(h: &'a FleetHost, p: &'a PatchRecord, column: usize) -> Value<'a> {
    PATCH_COLUMNS
        .get(column)
        .map_or(Value::Null, |c| (c.cell)(h, p))
}

/// How hive-style partitions split the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionBy {
    /// `ScanDate=YYYY-MM-DD/`.
    Date,
    /// `PatchGroup=<group>/` (the column moves from the files into the path).
    PatchGroup,
}

impl PartitionBy {
    /// The partition key as it appears in paths.
    pub fn key(self) -> &'static str {
        match self {
            PartitionBy::Date => "ScanDate",
            PartitionBy::PatchGroup => "PatchGroup",
        }
    }

    /// The partition directory name of a host (`KEY=value`, hive-escaped).
    pub fn dir_name(self, h: &FleetHost) -> String {
        let value = match self {
            PartitionBy::Date => h.scan_date(),
            PartitionBy::PatchGroup => h.patch_group.clone(),
        };
        format!("{}={}", self.key(), hive_escape(&value))
    }

    /// The column the partition replaces in the files, if any.
    pub fn dropped_column(self) -> Option<&'static str> {
        match self {
            PartitionBy::Date => None,
            PartitionBy::PatchGroup => Some("PatchGroup"),
        }
    }
}

/// Hive's partition-value escaping: `%XX` for characters that cannot stand in a path
/// segment; the empty value is `__HIVE_DEFAULT_PARTITION__`, as Hive and Spark write it.
pub fn hive_escape(value: &str) -> String {
    if value.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".to_string();
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() || "\"#%'*/:=?\\\u{7f}{[]^".contains(c) || c == ' ' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Why fleet output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: {message}", .path.display())]
    Encode { path: PathBuf, message: String },
    #[error("{}: {message}", .path.display())]
    Read { path: PathBuf, message: String },
    #[error("cannot start the writer thread: {0}")]
    Thread(String),
    #[error("{}: {message}", .path.display())]
    Output { path: PathBuf, message: String },
}

impl ReportError {
    pub fn io(path: &Path) -> impl FnOnce(io::Error) -> ReportError + '_ {
        move |source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A writer of fleet results: gets batches of hosts in manifest order, then `finish`.
pub trait FleetSink: Send {
    fn write(&mut self, batch: &[FleetHost]) -> Result<(), ReportError>;
    /// Completes the files (renaming them into place) and returns their paths.
    fn finish(&mut self) -> Result<Vec<PathBuf>, ReportError>;
}

/// One table file in one format: rows in, a finished file out.
pub trait TableEncoder: Send + Sized {
    /// Opens `dest` (atomically: nothing appears there before `finish`).
    fn create(dest: &Path, columns: Vec<(&'static str, ColumnType)>) -> Result<Self, ReportError>;
    /// Adds one row, its cells in the order of the columns given to `create`.
    fn write_row(&mut self, row: &[Value<'_>]) -> Result<(), ReportError>;
    /// Adds `rows` rows of `width` cells in order, cell (row, column) being `cell(row,
    /// column)`; an encoder may add them column by column, in parallel.
    fn write_cells<'a>(
        &mut self,
        rows: usize,
        width: usize,
        cell: &(dyn Fn(usize, usize) -> Value<'a> + Sync),
    ) -> Result<(), ReportError> {
        let mut row = Vec::with_capacity(width);
        for r in 0..rows {
            row.clear();
            row.extend((0..width).map(|c| cell(r, c)));
            self.write_row(&row)?;
        }
        Ok(())
    }
    /// The end of a batch of hosts (Parquet writes a row group).
    fn end_batch(&mut self) -> Result<(), ReportError> {
        Ok(())
    }
    fn finish(self) -> Result<PathBuf, ReportError>;
}

/// Which of the two tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    Summaries,
    Patches,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Summaries => "summaries",
            Table::Patches => "patches",
        }
    }

    /// The table's schema: column names and types, in order.
    pub fn columns(self) -> Vec<(&'static str, ColumnType)> {
        match self {
            Table::Summaries => SUMMARY_COLUMNS.iter().map(|c| (c.name, c.kind)).collect(),
            Table::Patches => PATCH_COLUMNS.iter().map(|c| (c.name, c.kind)).collect(),
        }
    }
}

/// Both tables in one format, optionally partitioned: `OUT/summaries.EXT` and
/// `OUT/patches.EXT`, or `OUT/summaries/KEY=value/part-0.parquet` (other formats:
/// `OUT/EXT/summaries/KEY=value/part-0.EXT`) and the same for patches.
pub struct TableSink<E: TableEncoder> {
    out: PathBuf,
    extension: &'static str,
    partition: Option<PartitionBy>,
    open: std::collections::BTreeMap<(Table, String), E>,
}

impl<E: TableEncoder> TableSink<E> {
    pub fn new(out: &Path, extension: &'static str, partition: Option<PartitionBy>) -> Self {
        TableSink {
            out: out.to_path_buf(),
            extension,
            partition,
            open: Default::default(),
        }
    }

    fn encoder(&mut self, table: Table, part: &str) -> Result<&mut E, ReportError> {
        let key = (table, part.to_string());
        if !self.open.contains_key(&key) {
            let (dest, dropped) = match self.partition {
                None => (
                    self.out
                        .join(format!("{}.{}", table.name(), self.extension)),
                    None,
                ),
                // Partitioned Parquet is `OUT/TABLE/…` (what Spark, DuckDB and pyarrow read as
                // a dataset); other formats get their own root so no dataset mixes formats.
                Some(p) => (
                    if self.extension == "parquet" {
                        self.out.clone()
                    } else {
                        self.out.join(self.extension)
                    }
                    .join(table.name())
                    .join(part)
                    .join(format!("part-0.{}", self.extension)),
                    p.dropped_column(),
                ),
            };
            let columns = table
                .columns()
                .into_iter()
                .filter(|(name, _)| Some(*name) != dropped)
                .collect();
            self.open.insert(key.clone(), E::create(&dest, columns)?);
        }
        self.open.get_mut(&key).ok_or_else(|| ReportError::Encode {
            path: self.out.clone(),
            message: "internal: encoder vanished".into(),
        })
    }
}

/// Patch rows gathered before they are handed to the encoder.
const ROWS_AT_ONCE: usize = 1 << 16;

/// Removes the partition column's cell from a row (`dropped` is its index).
fn without(row: &mut Vec<Value<'_>>, dropped: Option<usize>) {
    if let Some(i) = dropped {
        row.remove(i);
    }
}

impl<E: TableEncoder> FleetSink for TableSink<E> {
    fn write(&mut self, batch: &[FleetHost]) -> Result<(), ReportError> {
        let drop_at = |table: Table| {
            self.partition
                .and_then(PartitionBy::dropped_column)
                .and_then(|c| table.columns().iter().position(|(n, _)| *n == c))
        };
        let (drop_s, drop_p) = (drop_at(Table::Summaries), drop_at(Table::Patches));
        let mut touched = std::collections::BTreeSet::new();
        // Patch rows are handed over a partition's run at a time (up to ROWS_AT_ONCE), as the
        // (host, patch) pairs they come from: an encoder can fill its columns side by side,
        // each column task reading its own field of every row.
        let width = PATCH_COLUMNS.len() - usize::from(drop_p.is_some());
        // The row's column of a table with the partition column taken out.
        let source_column = |c: usize| c + usize::from(drop_p.is_some_and(|d| c >= d));
        let mut pending: Vec<(&FleetHost, &PatchRecord)> = Vec::new();
        let mut pending_part = String::new();
        let flush = |sink: &mut Self,
                     pending: &mut Vec<(&FleetHost, &PatchRecord)>,
                     part: &str|
         -> Result<(), ReportError> {
            if pending.is_empty() {
                return Ok(());
            }
            let rows: &[(&FleetHost, &PatchRecord)] = pending;
            let cell = |r: usize, c: usize| {
                let (h, p) = rows[r];
                patch_cell(h, p, source_column(c))
            };
            sink.encoder(Table::Patches, part)?
                .write_cells(rows.len(), width, &cell)?;
            pending.clear();
            Ok(())
        };
        for h in batch {
            let part = self.partition.map(|p| p.dir_name(h)).unwrap_or_default();
            let mut summary = summary_row(h);
            without(&mut summary, drop_s);
            self.encoder(Table::Summaries, &part)?.write_row(&summary)?;
            touched.insert((Table::Summaries, part.clone()));
            if let Ok(report) = &h.outcome {
                if part != pending_part || pending.len() >= ROWS_AT_ONCE {
                    flush(self, &mut pending, &pending_part)?;
                    pending_part.clone_from(&part);
                }
                pending.extend(report.patches.iter().map(|p| (h, p)));
                // The encoder exists (with its schema) even when the host has no patches.
                self.encoder(Table::Patches, &part)?;
                touched.insert((Table::Patches, part));
            }
        }
        flush(self, &mut pending, &pending_part)?;
        for key in touched {
            if let Some(enc) = self.open.get_mut(&key) {
                enc.end_batch()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<Vec<PathBuf>, ReportError> {
        // Unpartitioned tables always get a file (with the schema), so readers find both.
        if self.partition.is_none() {
            self.encoder(Table::Summaries, "")?;
            self.encoder(Table::Patches, "")?;
        }
        let mut paths = Vec::new();
        for (_, enc) in std::mem::take(&mut self.open) {
            paths.push(enc.finish()?);
        }
        Ok(paths)
    }
}

/// A file written under a temporary name in its final directory and renamed into place by
/// [`AtomicFile::commit`], so a reader never sees half a file; dropped uncommitted, the
/// temporary file is removed.
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates `dest`'s directory and a temporary file beside `dest`, returned open.
    pub fn create(dest: &Path) -> Result<(Self, File), ReportError> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(ReportError::io(dir))?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp).map_err(ReportError::io(&tmp))?;
        Ok((
            AtomicFile {
                tmp,
                dest: dest.to_path_buf(),
                committed: false,
            },
            file,
        ))
    }

    /// The final path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Syncs the finished file and renames it into place.
    pub fn commit(mut self, file: &File) -> Result<PathBuf, ReportError> {
        file.sync_all().map_err(ReportError::io(&self.tmp))?;
        std::fs::rename(&self.tmp, &self.dest).map_err(ReportError::io(&self.dest))?;
        self.committed = true;
        Ok(self.dest.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Unwraps a finished buffered writer, naming the file if the last flush fails.
pub fn into_file(w: BufWriter<File>, path: &Path) -> Result<File, ReportError> {
    w.into_inner()
        .map_err(|e| ReportError::io(path)(e.into_error()))
}

/// A 36-character, name-based id (UUID version 8 layout) for a host's scan: the same host,
/// time and baseline give the same id, so re-runs are reproducible.
pub fn snapshot_id(parts: &[&str]) -> String {
    // FNV-1a, 128 bits.
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
    }
    let mut bytes = h.to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_values_are_escaped_like_hive() {
        assert_eq!(hive_escape("web"), "web");
        assert_eq!(hive_escape(""), "__HIVE_DEFAULT_PARTITION__");
        assert_eq!(hive_escape("a/b=c d%"), "a%2Fb%3Dc%20d%25");
    }

    #[test]
    fn snapshot_ids_are_guid_shaped_and_stable() {
        let a = snapshot_id(&["i-1", "2025-06-01T12:00:00Z"]);
        assert_eq!(a.len(), 36);
        assert_eq!(a, snapshot_id(&["i-1", "2025-06-01T12:00:00Z"]));
        assert_ne!(a, snapshot_id(&["i-2", "2025-06-01T12:00:00Z"]));
        assert_eq!(a.as_bytes()[14], b'8');
    }
}
