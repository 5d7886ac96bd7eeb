//! One table file being written: Parquet through the `parquet` crate's Arrow writer, CSV through
//! `arrow-csv`, JSON Lines through `arrow-json`. Every writer takes record batches; the caller
//! hands over one batch per bounded number of rows, so a Parquet file gets one row group per
//! batch and memory stays flat whatever the capture's size.

use crate::{Error, Format};
use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

enum Inner {
    Parquet(Box<ArrowWriter<BufWriter<File>>>),
    Csv(Box<arrow_csv::Writer<BufWriter<File>>>),
    Jsonl(Box<arrow_json::LineDelimitedWriter<BufWriter<File>>>),
}

/// A table file open for writing.
pub(crate) struct Sink {
    inner: Inner,
    path: PathBuf,
    schema: SchemaRef,
    rows: u64,
}

impl Sink {
    /// Creates `path` (its folder must exist) for `schema`; `metadata` goes into a Parquet
    /// file's key-value metadata (CSV and JSON Lines have nowhere to keep it).
    pub(crate) fn create(
        path: &Path,
        format: Format,
        schema: SchemaRef,
        batch_rows: usize,
        metadata: &[(&str, &str)],
    ) -> Result<Self, Error> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let out = BufWriter::with_capacity(1 << 16, file);
        let inner = match format {
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_max_row_group_row_count(Some(batch_rows.max(1)))
                    .set_compression(Compression::SNAPPY)
                    .set_key_value_metadata(Some(
                        metadata
                            .iter()
                            .map(|(k, v)| KeyValue::new((*k).to_owned(), (*v).to_owned()))
                            .collect(),
                    ))
                    .build();
                let w = ArrowWriter::try_new(out, schema.clone(), Some(props))
                    .map_err(|e| Error::parquet(path, e))?;
                Inner::Parquet(Box::new(w))
            }
            Format::Csv => Inner::Csv(Box::new(
                arrow_csv::WriterBuilder::new().with_header(true).build(out),
            )),
            Format::Jsonl => Inner::Jsonl(Box::new(arrow_json::LineDelimitedWriter::new(out))),
        };
        Ok(Sink {
            inner,
            path: path.to_owned(),
            schema,
            rows: 0,
        })
    }

    /// Writes one batch (a Parquet row group when it holds `batch_rows` rows).
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        self.rows += batch.num_rows() as u64;
        match &mut self.inner {
            Inner::Parquet(w) => w.write(batch).map_err(|e| Error::parquet(&self.path, e)),
            Inner::Csv(w) => w
                .write(&with_utc_offset(batch)?)
                .map_err(|e| Error::arrow(&self.path, e)),
            Inner::Jsonl(w) => w
                .write(&with_utc_offset(batch)?)
                .map_err(|e| Error::arrow(&self.path, e)),
        }
    }

    /// Closes the file (a Parquet footer, buffered bytes flushed); returns the rows written.
    pub(crate) fn finish(mut self) -> Result<u64, Error> {
        if self.rows == 0 {
            // A CSV file still gets its header line, so an empty partition reads as a table.
            if let Inner::Csv(_) = self.inner {
                let empty = RecordBatch::new_empty(self.schema.clone());
                self.write(&empty)?;
            }
        }
        let path = self.path;
        match self.inner {
            Inner::Parquet(w) => {
                w.close().map_err(|e| Error::parquet(&path, e))?;
            }
            Inner::Csv(w) => {
                use std::io::Write as _;
                w.into_inner().flush().map_err(|e| Error::io(&path, e))?;
            }
            Inner::Jsonl(mut w) => {
                w.finish().map_err(|e| Error::arrow(&path, e))?;
                use std::io::Write as _;
                w.into_inner().flush().map_err(|e| Error::io(&path, e))?;
            }
        }
        Ok(self.rows)
    }
}

/// The batch with its `Timestamp(ns, "UTC")` columns tagged `+00:00` instead: the same instants
/// (only the type's metadata changes, no value is copied), which the CSV and JSON writers can
/// format as RFC 3339 without a time-zone database (arrow's `chrono-tz` feature).
pub(crate) fn with_utc_offset(batch: &RecordBatch) -> Result<RecordBatch, Error> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampNanosecondType;
    use arrow_array::{Array, ArrayRef};
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        if let DataType::Timestamp(TimeUnit::Nanosecond, Some(_)) = f.data_type() {
            let a = c
                .as_primitive::<TimestampNanosecondType>()
                .clone()
                .with_timezone(UTC_OFFSET);
            fields.push(Field::new(f.name(), a.data_type().clone(), f.is_nullable()));
            columns.push(Arc::new(a));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Schema(e.to_string()))
}

/// UTC as an offset, for the text formats.
pub const UTC_OFFSET: &str = "+00:00";
