//! Tables built from the report: each column names a field of the report's JSON form (a JSON
//! pointer into `analyze --json`'s object for that item), so an exported figure is the JSON
//! report's figure by construction, under the same name wherever it can be.

use crate::sink::Sink;
use crate::Error;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder,
    UInt16Builder, UInt32Builder, UInt64Builder, UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde_json::Value;
use std::sync::Arc;

/// A column's type in the export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// UInt8.
    U8,
    /// UInt16.
    U16,
    /// UInt32.
    U32,
    /// UInt64.
    U64,
    /// Int64.
    I64,
    /// Float64.
    F64,
    /// Boolean.
    Bool,
    /// Utf8; a JSON value that is not a string (an array, an object) is kept as JSON text.
    Str,
    /// Timestamp(ns, UTC), from an integer of nanoseconds since the Unix epoch.
    Time,
}

impl Ty {
    /// The Arrow type.
    pub fn data_type(self) -> DataType {
        match self {
            Ty::U8 => DataType::UInt8,
            Ty::U16 => DataType::UInt16,
            Ty::U32 => DataType::UInt32,
            Ty::U64 => DataType::UInt64,
            Ty::I64 => DataType::Int64,
            Ty::F64 => DataType::Float64,
            Ty::Bool => DataType::Boolean,
            Ty::Str => DataType::Utf8,
            Ty::Time => timestamp_type(),
        }
    }
}

/// Timestamp(ns, UTC), the type of every time column.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// A column: its name, type, and where its value is in the row's JSON object.
#[derive(Clone, Copy, Debug)]
pub struct Col {
    /// Column name.
    pub name: &'static str,
    /// Type.
    pub ty: Ty,
    /// JSON pointer into the row object (`/flow/lo`, `/packets/0`).
    pub path: &'static str,
}

/// Shorthand for a [`Col`].
pub const fn col(name: &'static str, ty: Ty, path: &'static str) -> Col {
    Col { name, ty, path }
}

/// The Arrow schema of `cols`; every column is nullable (`null`: not known, as in the JSON).
pub fn schema(cols: &[Col]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|c| Field::new(c.name, c.ty.data_type(), true))
            .collect::<Vec<_>>(),
    ))
}

enum Builder {
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
    Time(TimestampNanosecondBuilder),
}

impl Builder {
    fn new(ty: Ty) -> Self {
        match ty {
            Ty::U8 => Builder::U8(UInt8Builder::new()),
            Ty::U16 => Builder::U16(UInt16Builder::new()),
            Ty::U32 => Builder::U32(UInt32Builder::new()),
            Ty::U64 => Builder::U64(UInt64Builder::new()),
            Ty::I64 => Builder::I64(Int64Builder::new()),
            Ty::F64 => Builder::F64(Float64Builder::new()),
            Ty::Bool => Builder::Bool(BooleanBuilder::new()),
            Ty::Str => Builder::Str(StringBuilder::new()),
            Ty::Time => Builder::Time(TimestampNanosecondBuilder::new().with_timezone("UTC")),
        }
    }

    fn append(&mut self, v: Option<&Value>) {
        let v = v.filter(|v| !v.is_null());
        match self {
            Builder::U8(b) => {
                b.append_option(v.and_then(Value::as_u64).and_then(|x| u8::try_from(x).ok()))
            }
            Builder::U16(b) => b.append_option(
                v.and_then(Value::as_u64)
                    .and_then(|x| u16::try_from(x).ok()),
            ),
            Builder::U32(b) => b.append_option(
                v.and_then(Value::as_u64)
                    .and_then(|x| u32::try_from(x).ok()),
            ),
            Builder::U64(b) => b.append_option(v.and_then(Value::as_u64)),
            Builder::I64(b) => b.append_option(v.and_then(Value::as_i64)),
            Builder::Time(b) => b.append_option(v.and_then(Value::as_i64)),
            Builder::F64(b) => b.append_option(v.and_then(Value::as_f64)),
            Builder::Bool(b) => b.append_option(v.and_then(Value::as_bool)),
            Builder::Str(b) => match v {
                None => b.append_null(),
                Some(Value::String(s)) => b.append_value(s),
                Some(other) => b.append_value(other.to_string()),
            },
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::U8(b) => Arc::new(b.finish()),
            Builder::U16(b) => Arc::new(b.finish()),
            Builder::U32(b) => Arc::new(b.finish()),
            Builder::U64(b) => Arc::new(b.finish()),
            Builder::I64(b) => Arc::new(b.finish()),
            Builder::F64(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::Time(b) => Arc::new(b.finish()),
        }
    }
}

/// A table filled row by row from JSON objects, written in batches of bounded size.
pub(crate) struct JsonTable {
    cols: &'static [Col],
    schema: SchemaRef,
    builders: Vec<Builder>,
    pending: usize,
    batch_rows: usize,
    sink: Sink,
}

impl JsonTable {
    pub(crate) fn new(cols: &'static [Col], sink: Sink, batch_rows: usize) -> Self {
        JsonTable {
            cols,
            schema: schema(cols),
            builders: cols.iter().map(|c| Builder::new(c.ty)).collect(),
            pending: 0,
            batch_rows: batch_rows.max(1),
            sink,
        }
    }

    /// Appends one row: each column's value is `row.pointer(col.path)`.
    pub(crate) fn push(&mut self, row: &Value) -> Result<(), Error> {
        for (c, b) in self.cols.iter().zip(&mut self.builders) {
            b.append(row.pointer(c.path));
        }
        self.pending += 1;
        if self.pending >= self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.pending == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| Error::Schema(e.to_string()))?;
        self.pending = 0;
        self.sink.write(&batch)
    }

    /// Writes what is pending and closes the file; returns the rows written.
    pub(crate) fn finish(mut self) -> Result<u64, Error> {
        self.flush()?;
        self.sink.finish()
    }
}
