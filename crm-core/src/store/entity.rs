//! Mapping between domain structs and stored records.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{Kind, Record, Value};
use crate::error::{Error, Result};

/// A domain struct stored as one record of one [`Kind`].
pub trait Entity: Sized {
    /// Its kind.
    const KIND: &'static Kind;

    /// Its id.
    fn id(&self) -> Uuid;

    /// Its column values, in [`Kind::columns`] order.
    fn to_values(&self) -> Vec<Value>;

    /// Reads it back from a record.
    ///
    /// # Errors
    /// [`Error::Backend`] when the record does not decode (a corrupt or foreign row).
    fn from_record(record: &Record) -> Result<Self>;

    /// The record to store.
    fn to_record(&self) -> Record {
        Record {
            kind: Self::KIND,
            id: self.id(),
            version: 0,
            values: self.to_values(),
        }
    }
}

/// An entity together with the version it was read at; the version goes back with the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The entity.
    pub value: T,
    /// The stored version it was read at.
    pub version: u64,
}

impl<T: Entity> Versioned<T> {
    /// Decodes a record.
    ///
    /// # Errors
    /// As [`Entity::from_record`].
    pub fn decode(record: &Record) -> Result<Self> {
        Ok(Versioned {
            value: T::from_record(record)?,
            version: record.version,
        })
    }
}

/// Typed access to the columns of a record, with errors that name the column.
pub struct Fields<'r> {
    record: &'r Record,
}

fn corrupt(record: &Record, col: &str, want: &str) -> Error {
    Error::backend_msg(format!(
        "{} {}: column {col} is not {want}",
        record.kind.name, record.id
    ))
}

macro_rules! getter {
    ($name:ident, $opt:ident, $variant:ident, $t:ty, $want:literal) => {
        #[doc = concat!("A required ", $want, " column.")]
        ///
        /// # Errors
        /// [`Error::Backend`] when the column is missing or of another type.
        pub fn $name(&self, col: &str) -> Result<$t> {
            match self.record.get(col)? {
                Value::$variant(v) => Ok(v.clone()),
                _ => Err(corrupt(self.record, col, $want)),
            }
        }

        #[doc = concat!("An optional ", $want, " column.")]
        ///
        /// # Errors
        /// [`Error::Backend`] when the column is missing or of another type.
        pub fn $opt(&self, col: &str) -> Result<Option<$t>> {
            match self.record.get(col)? {
                Value::Null => Ok(None),
                Value::$variant(v) => Ok(Some(v.clone())),
                _ => Err(corrupt(self.record, col, $want)),
            }
        }
    };
}

impl<'r> Fields<'r> {
    /// Reads the columns of `record`.
    pub fn new(record: &'r Record) -> Self {
        Fields { record }
    }

    getter!(text, opt_text, Text, String, "text");
    getter!(boolean, opt_boolean, Bool, bool, "a boolean");
    getter!(int, opt_int, Int, i64, "an integer");
    getter!(decimal, opt_decimal, Decimal, Decimal, "a decimal");
    getter!(date, opt_date, Date, NaiveDate, "a date");
    getter!(
        timestamp,
        opt_timestamp,
        Timestamp,
        DateTime<Utc>,
        "a timestamp"
    );
    getter!(id, opt_id, Id, Uuid, "an id");
    getter!(bytes, opt_bytes, Bytes, Vec<u8>, "bytes");

    /// A JSON column decoded into `T` (`Null` decodes as JSON `null`).
    ///
    /// # Errors
    /// [`Error::Backend`] when the column is not JSON or does not decode.
    pub fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T> {
        let v = match self.record.get(col)? {
            Value::Json(v) => v.clone(),
            Value::Null => serde_json::Value::Null,
            _ => return Err(corrupt(self.record, col, "JSON")),
        };
        serde_json::from_value(v).map_err(|e| corrupt(self.record, col, &format!("valid: {e}")))
    }
}

/// Encodes a serialisable value as a JSON column value.
pub fn json_value<T: serde::Serialize>(v: &T) -> Value {
    // Serialising plain data structs to a JSON value cannot fail (no non-string map keys).
    Value::Json(serde_json::to_value(v).unwrap_or(serde_json::Value::Null))
}
