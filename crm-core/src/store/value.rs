//! Column values: the typed cells a record is made of, as every adapter stores them.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The type of a column. Each adapter maps it to a native type (for example `Decimal` to
/// `NUMERIC` on PostgreSQL and to exact text on SQLite; never to a float).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ColumnType {
    /// `true` or `false`.
    Bool,
    /// A 64-bit signed integer.
    Int,
    /// An exact decimal (money, quantities, rates).
    Decimal,
    /// UTF-8 text, compared byte-wise (the "C" collation) on every adapter.
    Text,
    /// A calendar date without time zone.
    Date,
    /// An instant, in UTC.
    Timestamp,
    /// A record id (UUID).
    Id,
    /// Structured data (JSON). Not orderable, not indexable.
    Json,
    /// Raw bytes (a file's content), compared and ordered byte-wise. Stored as `BLOB` on
    /// SQLite and `bytea` on PostgreSQL, exactly, including the empty value.
    Bytes,
}

/// One cell of a record.
///
/// `Value` has a total order so that adapters without a query engine can sort and range-scan:
/// `Null` sorts first, values of one type sort naturally (text byte-wise), and values of
/// different types (which a well-formed query never mixes) sort by type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Value {
    /// No value. A `Null` never equals anything in a filter, as in SQL.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// An exact decimal.
    Decimal(Decimal),
    /// Text.
    Text(String),
    /// A date.
    Date(NaiveDate),
    /// An instant.
    Timestamp(DateTime<Utc>),
    /// An id.
    Id(Uuid),
    /// JSON.
    Json(serde_json::Value),
    /// Raw bytes.
    Bytes(Vec<u8>),
}

impl Value {
    /// The column type this value belongs to, or `None` for `Null`.
    pub fn column_type(&self) -> Option<ColumnType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => ColumnType::Bool,
            Value::Int(_) => ColumnType::Int,
            Value::Decimal(_) => ColumnType::Decimal,
            Value::Text(_) => ColumnType::Text,
            Value::Date(_) => ColumnType::Date,
            Value::Timestamp(_) => ColumnType::Timestamp,
            Value::Id(_) => ColumnType::Id,
            Value::Json(_) => ColumnType::Json,
            Value::Bytes(_) => ColumnType::Bytes,
        })
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Decimal(_) => 3,
            Value::Text(_) => 4,
            Value::Date(_) => 5,
            Value::Timestamp(_) => 6,
            Value::Id(_) => 7,
            Value::Json(_) => 8,
            Value::Bytes(_) => 9,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Decimal(a), Decimal(b)) => a.cmp(b),
            (Text(a), Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Date(a), Date(b)) => a.cmp(b),
            (Timestamp(a), Timestamp(b)) => a.cmp(b),
            (Id(a), Id(b)) => a.cmp(b),
            (Json(a), Json(b)) => a.to_string().cmp(&b.to_string()),
            (Bytes(a), Bytes(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Value::Null => {}
            Value::Bool(v) => v.hash(state),
            Value::Int(v) => v.hash(state),
            // Decimal's Hash agrees with its Eq (1.0 == 1.00), which is what we need.
            Value::Decimal(v) => v.hash(state),
            Value::Text(v) => v.hash(state),
            Value::Date(v) => v.hash(state),
            Value::Timestamp(v) => v.hash(state),
            Value::Id(v) => v.hash(state),
            Value::Json(v) => v.to_string().hash(state),
            Value::Bytes(v) => v.hash(state),
        }
    }
}

macro_rules! from_impl {
    ($t:ty, $v:ident) => {
        impl From<$t> for Value {
            fn from(x: $t) -> Self {
                Value::$v(x)
            }
        }
    };
}
from_impl!(bool, Bool);
from_impl!(i64, Int);
from_impl!(Decimal, Decimal);
from_impl!(String, Text);
from_impl!(NaiveDate, Date);
from_impl!(DateTime<Utc>, Timestamp);
from_impl!(Uuid, Id);
from_impl!(serde_json::Value, Json);
from_impl!(Vec<u8>, Bytes);

impl From<&str> for Value {
    fn from(x: &str) -> Self {
        Value::Text(x.to_owned())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(x: Option<T>) -> Self {
        x.map_or(Value::Null, Into::into)
    }
}
