//! Columnar export of rtcscope's engine model, for DuckDB, Spark and anything that reads
//! Parquet, CSV or JSON Lines: `rtcscope export FILE... -o DIR`.
//!
//! ```text
//! capture ─ CaptureReader ─ Engine::feed_frame ─ Verdict ─┬ packets (one row per frame, batched)
//!                                                         │
//!            Engine::finish ─ Report::new ────────────────┴ captures, flows, streams,
//!                                                           stream_bins, stream_frame_bins,
//!                                                           ice_checks, turn, dtls, findings
//! ```
//!
//! A dataset is a folder with one sub-folder per table, partitioned by capture the way Hive
//! does it: `DIR/packets/capture=<name>/part-0.parquet`, so
//! `read_parquet('DIR/packets/*/*.parquet', hive_partitioning = true)` in DuckDB and
//! `spark.read.parquet("DIR/packets")` in Spark read every capture with a `capture` column.
//! The schema is versioned ([`SCHEMA_VERSION`], in every Parquet file's key-value metadata and
//! in the `captures` table) and documented in `docs/export.md`; within a version, columns are
//! only added.
//!
//! Memory is flat whatever the capture's size: the packet rows are written every
//! [`Options::batch_rows`] rows (one Parquet row group each), and the report tables are as
//! large as the engine's bounded tables.
#![forbid(unsafe_code)]

mod columns;
pub mod packets;
mod sink;
pub mod tables;

pub use columns::{Col, Ty};
pub use tables::{ReadOutcome, Table};

use rtcscope_analysis::report::Report;
use rtcscope_analysis::Verdict;
use rtcscope_capture::file::Packet;
use sink::Sink;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The export's schema identifier; within a version columns are only added, never renamed or
/// removed.
pub const SCHEMA_VERSION: &str = "rtcscope.export/1";

/// The Parquet key-value metadata key holding [`SCHEMA_VERSION`].
pub const SCHEMA_KEY: &str = "rtcscope.export.schema";

/// Packet rows per batch (and Parquet row group) unless told otherwise.
pub const DEFAULT_BATCH_ROWS: usize = 65_536;

/// Packet rows per file unless told otherwise (16 row groups of the default size).
pub const DEFAULT_FILE_ROWS: usize = 1 << 20;

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet, Snappy-compressed, one row group per batch.
    Parquet,
    /// CSV with a header line; times in RFC 3339 (UTC).
    Csv,
    /// JSON Lines: one object per row; null fields left out.
    Jsonl,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

/// Why an export failed.
#[derive(Debug)]
pub enum Error {
    /// A file or folder could not be created, read or written.
    Io(PathBuf, std::io::Error),
    /// The Parquet writer failed.
    Parquet(PathBuf, String),
    /// The CSV or JSON writer failed.
    Arrow(PathBuf, String),
    /// Rows did not fit the table's schema (a bug).
    Schema(String),
    /// The output folder already holds files and `--force` was not given.
    NotEmpty(PathBuf),
    /// Two captures would share a partition name.
    DuplicateName(String),
    /// With `--force`, a capture's name is already taken in the dataset by another file (a
    /// capture of the same file name exported in another run): `(name, that file)`.
    NameTaken(String, String),
}

impl Error {
    fn io(path: &Path, e: std::io::Error) -> Self {
        Error::Io(path.to_owned(), e)
    }
    fn parquet(path: &Path, e: parquet::errors::ParquetError) -> Self {
        Error::Parquet(path.to_owned(), e.to_string())
    }
    fn arrow(path: &Path, e: arrow_schema::ArrowError) -> Self {
        Error::Arrow(path.to_owned(), e.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(p, e) => write!(f, "{}: {e}", p.display()),
            Error::Parquet(p, e) => write!(f, "{}: Parquet writer: {e}", p.display()),
            Error::Arrow(p, e) => write!(f, "{}: {e}", p.display()),
            Error::Schema(e) => write!(f, "export schema: {e}"),
            Error::NotEmpty(p) => write!(
                f,
                "{} is not empty; give an empty or new folder, or --force to replace these \
                 captures' partitions",
                p.display()
            ),
            Error::DuplicateName(n) => write!(f, "two captures would both be named {n}"),
            Error::NameTaken(n, other) => write!(
                f,
                "the dataset's capture={n} holds {other}, another file of the same name; export \
                 such files in one run (their names then tell them apart) or under names of \
                 their own, or remove its capture={n} folders to replace it"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// How to export.
#[derive(Clone, Debug)]
pub struct Options {
    /// File format.
    pub format: Format,
    /// Packet rows per batch (Parquet row group); bounds the memory the export holds.
    pub batch_rows: usize,
    /// Packet rows per file: a capture's packets go into `part-0`, `part-1`, … of at most this
    /// many rows (rounded up to whole batches), so no writer holds the metadata of more row
    /// groups than that (a Parquet footer lists every row group of its file).
    pub file_rows: usize,
    /// Write into a folder that already holds files: the partitions of the captures being
    /// exported are replaced, other captures' partitions are kept (and a capture whose name is
    /// held by another file is refused, [`Error::NameTaken`]).
    pub force: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: Format::Parquet,
            batch_rows: DEFAULT_BATCH_ROWS,
            file_rows: DEFAULT_FILE_ROWS,
            force: false,
        }
    }
}

/// Partition names for capture files: the file name without its extension, with as many
/// parent folders as it takes (joined by `-`) to tell files of the same name apart, and every
/// character outside `[A-Za-z0-9._-]` replaced by `_` (a Hive partition value must not hold
/// `/` or `=`). Standard input (`-`) is `stdin`.
pub fn capture_names(paths: &[&str]) -> Vec<String> {
    let parts: Vec<Vec<String>> = paths
        .iter()
        .map(|p| {
            if *p == "-" {
                return vec!["stdin".to_owned()];
            }
            let path = Path::new(p);
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "stdin".into());
            let mut v = vec![stem];
            if let Some(parent) = path.parent() {
                v.extend(parent.components().rev().filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(s.to_string_lossy().into()),
                    _ => None,
                }));
            }
            v
        })
        .collect();
    let name = |p: &[String], depth: usize| -> String {
        let mut picked: Vec<&str> = p.iter().take(depth).map(String::as_str).collect();
        picked.reverse();
        picked
            .join("-")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let max_depth = parts.iter().map(Vec::len).max().unwrap_or(1);
    (0..parts.len())
        .map(|i| {
            (1..=max_depth)
                .map(|d| name(&parts[i], d))
                .find(|n| {
                    parts
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .all(|(j, _)| (1..=max_depth).all(|d| name(&parts[j], d) != *n))
                })
                .unwrap_or_else(|| name(&parts[i], max_depth))
        })
        .collect()
}

/// An export folder.
pub struct Dataset {
    dir: PathBuf,
    options: Options,
}

impl Dataset {
    /// Opens `dir` (created if missing) for the captures named `names`. Fails when it already
    /// holds files and [`Options::force`] is off; with it, each capture's partitions are
    /// replaced when [`Dataset::capture`] starts it.
    pub fn create(dir: &Path, names: &[String], options: Options) -> Result<Self, Error> {
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            if !seen.insert(n) {
                return Err(Error::DuplicateName(n.clone()));
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let non_empty = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .next()
            .is_some();
        if non_empty && !options.force {
            return Err(Error::NotEmpty(dir.to_owned()));
        }
        Ok(Dataset {
            dir: dir.to_owned(),
            options,
        })
    }

    /// Starts one capture's partitions (`source` is the file as given, kept in the metadata).
    ///
    /// Partitions of the same name already in the dataset (with [`Options::force`]) are
    /// removed first, when they came from the same `source`; a capture of that name from
    /// another file is [`Error::NameTaken`] and kept: the names of one run tell its files
    /// apart, but a later run of one `calls/b/capture.pcapng` would name it `capture` too, and
    /// silently replace `calls/a/capture.pcapng`'s rows.
    pub fn capture(&self, name: &str, source: &str) -> Result<CaptureExport, Error> {
        if let Some(other) = recorded_source(&self.dir, name) {
            // The same file given the same way, or another way from the same folder.
            let same = other == source
                || matches!(
                    (std::fs::canonicalize(&other), std::fs::canonicalize(source)),
                    (Ok(a), Ok(b)) if a == b
                );
            if !same {
                return Err(Error::NameTaken(name.to_owned(), other));
            }
        }
        for t in Table::ALL {
            let part = partition(&self.dir, t, name);
            if part.exists() {
                std::fs::remove_dir_all(&part).map_err(|e| Error::io(&part, e))?;
            }
        }
        let target = Target {
            dir: self.dir.clone(),
            options: self.options.clone(),
            table: Table::Packets,
            name: name.to_owned(),
            source: source.to_owned(),
            schema: packets::schema(),
        };
        Ok(CaptureExport {
            dir: self.dir.clone(),
            options: self.options.clone(),
            name: name.to_owned(),
            source: source.to_owned(),
            packets: packets::PacketTable::new(target)?,
        })
    }
}

/// The source file a capture already in the dataset was exported from: its `captures` row's
/// `source` (in a Parquet file, its key-value metadata); `None` when there is none or it does
/// not read.
fn recorded_source(dir: &Path, name: &str) -> Option<String> {
    let part = partition(dir, Table::Captures, name);
    let file = |ext: &str| std::fs::File::open(part.join(format!("part-0.{ext}"))).ok();
    if let Some(f) = file("parquet") {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let reader = SerializedFileReader::new(f).ok()?;
        let kv = reader.metadata().file_metadata().key_value_metadata()?;
        return kv
            .iter()
            .find(|kv| kv.key == "rtcscope.export.source")
            .and_then(|kv| kv.value.clone());
    }
    if let Some(f) = file("jsonl") {
        use std::io::BufRead;
        let line = std::io::BufReader::new(f).lines().next()?.ok()?;
        let row: serde_json::Value = serde_json::from_str(&line).ok()?;
        return row.get("source")?.as_str().map(str::to_owned);
    }
    let f = file("csv")?;
    // Every column as text: only `source` is wanted.
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(
        tables::CAPTURES
            .iter()
            .map(|c| arrow_schema::Field::new(c.name, arrow_schema::DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let mut reader = arrow_csv::ReaderBuilder::new(schema)
        .with_header(true)
        .build(f)
        .ok()?;
    let batch = reader.next()?.ok()?;
    use arrow_array::{cast::AsArray, Array};
    let source = batch.column_by_name("source")?.as_string_opt::<i32>()?;
    (!source.is_empty() && source.is_valid(0)).then(|| source.value(0).to_owned())
}

fn partition(dir: &Path, table: Table, name: &str) -> PathBuf {
    dir.join(table.name()).join(format!("capture={name}"))
}

/// Where a table of one capture goes: its partition folder, whose files are `part-N.EXT`.
pub(crate) struct Target {
    dir: PathBuf,
    options: Options,
    table: Table,
    name: String,
    source: String,
    schema: arrow_schema::SchemaRef,
}

impl Target {
    /// Creates file `part-N` of the partition.
    pub(crate) fn open(&self, n: usize) -> Result<Sink, Error> {
        let part = partition(&self.dir, self.table, &self.name);
        std::fs::create_dir_all(&part).map_err(|e| Error::io(&part, e))?;
        let path = part.join(format!("part-{n}.{}", self.options.format.extension()));
        Sink::create(
            &path,
            self.options.format,
            self.schema.clone(),
            self.options.batch_rows,
            &[
                (SCHEMA_KEY, SCHEMA_VERSION),
                ("rtcscope.export.table", self.table.name()),
                ("rtcscope.export.capture", &self.name),
                ("rtcscope.export.source", &self.source),
            ],
        )
    }

    /// Batch rows, and rows per file (rounded up to whole batches).
    pub(crate) fn rows(&self) -> (usize, u64) {
        (
            self.options.batch_rows.max(1),
            self.options.file_rows.max(1) as u64,
        )
    }
}

/// One capture being exported: feed it each packet with the engine's verdict, then the
/// finished report.
pub struct CaptureExport {
    dir: PathBuf,
    options: Options,
    name: String,
    source: String,
    packets: packets::PacketTable,
}

impl CaptureExport {
    /// Adds the row of one frame (call it with what [`rtcscope_analysis::Engine::feed_frame`]
    /// returned for it).
    pub fn packet(&mut self, p: &Packet<'_>, verdict: &Verdict) -> Result<(), Error> {
        self.packets.push(p, verdict)
    }

    /// Closes the packets table and writes the report's tables; returns the rows written per
    /// table.
    pub fn finish(
        self,
        report: &Report,
        read: &ReadOutcome,
    ) -> Result<BTreeMap<Table, u64>, Error> {
        let mut rows = BTreeMap::new();
        rows.insert(Table::Packets, self.packets.finish()?);
        let mut tables: BTreeMap<Table, columns::JsonTable> = BTreeMap::new();
        for t in Table::ALL {
            if let Some(cols) = t.columns() {
                let sink = Target {
                    dir: self.dir.clone(),
                    options: self.options.clone(),
                    table: t,
                    name: self.name.clone(),
                    source: self.source.clone(),
                    schema: columns::schema(cols),
                }
                .open(0)?;
                tables.insert(
                    t,
                    columns::JsonTable::new(cols, sink, self.options.batch_rows),
                );
            }
        }
        let mut failed = None;
        if let Some(t) = tables.get_mut(&Table::Captures) {
            t.push(&tables::capture_row(report, read))?;
        }
        tables::report_rows(report, |table, row| {
            if failed.is_none() {
                if let Some(t) = tables.get_mut(&table) {
                    if let Err(e) = t.push(&row) {
                        failed = Some(e);
                    }
                }
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        for (t, table) in tables {
            rows.insert(t, table.finish()?);
        }
        Ok(rows)
    }
}
