//! Dialect-neutral SQL: quoting, typed arguments, the SQLite encodings, and the translation of
//! the port's records, filters, orders and pages into statements with bound parameters.
//!
//! Only table and column names, which come from the static [`Kind`] descriptions of the core,
//! are ever formatted into SQL text (quoted); every value is a bound parameter. The filter
//! translation follows `crm_core::store::eval` rule for rule; where SQL would differ (a `Null`
//! or a value of another type, an empty `In` or `Or`, a value SQLite cannot store) the
//! condition is decided here, before the database sees it.

use std::fmt::Write as _;
use std::ops::Bound;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use crm_core::store::{
    Aggregate, AggregateRow, ColumnType, Filter, GroupBy, Index, Kind, Order, Query, Record, Value,
    Write,
};
use crm_core::{Error, Result};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

/// The SQL dialect a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?` placeholders, values in the encodings of this module.
    Sqlite,
    /// PostgreSQL: `$n` placeholders, native types.
    Postgres,
}

/// One bound parameter. SQLite statements only ever carry `Null`, `Int`, `Text` and `Bytes`;
/// the other variants are PostgreSQL's native types.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// A null of the given column type (PostgreSQL needs the type).
    Null(ColumnType),
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
    /// An exact decimal.
    Decimal(Decimal),
    /// A date.
    Date(NaiveDate),
    /// An instant.
    Timestamp(DateTime<Utc>),
    /// A UUID.
    Uuid(Uuid),
    /// JSON.
    Json(serde_json::Value),
    /// Raw bytes (`BLOB` on SQLite, `bytea` on PostgreSQL).
    Bytes(Vec<u8>),
    /// PostgreSQL: an array of values of one column type, for `= ANY($n)`.
    Array(ColumnType, Vec<Value>),
    /// PostgreSQL: a `text[]`, for the `?|` operator.
    TextArray(Vec<String>),
}

/// The alias of the queried table in every `SELECT`, so that column names never collide with
/// the columns of `json_each` in correlated subqueries.
const T0: &str = "t0";

/// A statement under construction: SQL text plus its arguments in placeholder order.
#[derive(Debug)]
pub(crate) struct Sql {
    dialect: Dialect,
    /// The SQL text.
    pub(crate) text: String,
    /// The arguments, in placeholder order.
    pub(crate) args: Vec<Arg>,
}

impl Sql {
    /// An empty statement.
    pub(crate) fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            text: String::with_capacity(256),
            args: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a quoted identifier.
    pub(crate) fn ident(&mut self, name: &str) -> &mut Self {
        push_ident(&mut self.text, name);
        self
    }

    /// Appends a column of the queried table: `t0."name"`.
    fn col(&mut self, name: &str) -> &mut Self {
        self.text.push_str(T0);
        self.text.push('.');
        self.ident(name)
    }

    /// Appends a placeholder and records its argument.
    pub(crate) fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                // Writing to a String cannot fail.
                let _ = write!(self.text, "${}", self.args.len());
            }
        }
        self
    }
}

/// Appends `"name"`, doubling any quote inside (names come from the core's static kinds).
pub(crate) fn push_ident(out: &mut String, name: &str) {
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// SQLite encodings
// ---------------------------------------------------------------------------------------------

/// Decimal places a decimal keeps on SQLite, where it is stored as an integer of millionths.
pub(crate) const DECIMAL_PLACES: u32 = 6;

fn million() -> Decimal {
    Decimal::from(1_000_000_i64)
}

/// A decimal as millionths, exactly, or why it cannot be stored.
pub(crate) fn decimal_to_micros(d: Decimal) -> std::result::Result<i64, String> {
    if d.normalize().scale() > DECIMAL_PLACES {
        return Err(format!(
            "{d} has more than {DECIMAL_PLACES} decimal places, which the SQLite store keeps exactly"
        ));
    }
    d.checked_mul(million())
        .and_then(|m| m.to_i64())
        .ok_or_else(|| {
            format!(
                "{d} is out of the range the SQLite store keeps exactly \
                 (±9223372036854.775807)"
            )
        })
}

/// Millionths back to a decimal (without trailing zeros).
pub(crate) fn micros_to_decimal(m: i64) -> Decimal {
    Decimal::new(m, DECIMAL_PLACES).normalize()
}

/// The millionths of `d` rounded up (`up`) or down, or `None` when they do not fit an `i64`.
fn decimal_micros_rounded(d: Decimal, up: bool) -> Option<i64> {
    let strategy = if up {
        RoundingStrategy::ToPositiveInfinity
    } else {
        RoundingStrategy::ToNegativeInfinity
    };
    d.round_dp_with_strategy(DECIMAL_PLACES, strategy)
        .checked_mul(million())
        .and_then(|m| m.to_i64())
}

/// The stored form of an instant: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, truncated), or
/// `None` outside the years 0000–9999 where the text would not be fixed-width.
///
/// Written digit by digit rather than through `format`: an import writes three instants per
/// customer, and parsing the format string each time was a measurable part of encoding a
/// commit. A test checks it against chrono's formatting.
pub(crate) fn timestamp_text(t: DateTime<Utc>) -> Option<String> {
    // Through whole microseconds, so that a leap-second nanosecond count rolls over properly.
    let t = DateTime::from_timestamp_micros(t.timestamp_micros())?;
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = String::with_capacity(27);
    push_digits(&mut out, year, 4);
    out.push('-');
    push_digits(&mut out, t.month(), 2);
    out.push('-');
    push_digits(&mut out, t.day(), 2);
    out.push('T');
    push_digits(&mut out, t.hour(), 2);
    out.push(':');
    push_digits(&mut out, t.minute(), 2);
    out.push(':');
    push_digits(&mut out, t.second(), 2);
    out.push('.');
    push_digits(&mut out, t.nanosecond() / 1_000, 6);
    out.push('Z');
    Some(out)
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, mut n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let width = width.min(digits.len());
    for d in digits[..width].iter_mut().rev() {
        // `n % 10` is a single digit.
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(digits[..width].iter().map(|&d| char::from(d)));
}

/// The stored form of an id on SQLite: lower-case hyphenated text, without going through
/// `Display`.
pub(crate) fn id_text(id: Uuid) -> String {
    id.hyphenated()
        .encode_lower(&mut Uuid::encode_buffer())
        .to_owned()
}

/// Reads back [`timestamp_text`].
pub(crate) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.fZ")
        .ok()
        .map(|n| n.and_utc())
}

/// The stored form of a date: `YYYY-MM-DD`, or `None` outside the years 0000–9999.
pub(crate) fn date_text(d: NaiveDate) -> Option<String> {
    (0..=9999)
        .contains(&d.year())
        .then(|| d.format("%Y-%m-%d").to_string())
}

/// Reads back [`date_text`].
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// The type of a column of `kind`, with the implicit `id` and `version`.
pub(crate) fn column_type(kind: &Kind, name: &str) -> Option<ColumnType> {
    match name {
        "id" => Some(ColumnType::Id),
        "version" => Some(ColumnType::Int),
        _ => kind
            .column_index(name)
            .and_then(|i| kind.columns.get(i))
            .map(|c| c.ty),
    }
}

/// The position of a type in the order of `crm_core::store::Value` (values of different types
/// sort by type).
fn rank(ty: ColumnType) -> u8 {
    match ty {
        ColumnType::Bool => 1,
        ColumnType::Int => 2,
        ColumnType::Decimal => 3,
        ColumnType::Text => 4,
        ColumnType::Date => 5,
        ColumnType::Timestamp => 6,
        ColumnType::Id => 7,
        ColumnType::Json => 8,
        ColumnType::Bytes => 9,
    }
}

/// A value as the argument that stores it in column `col` of type `ty`.
///
/// # Errors
/// [`Error::Invalid`] naming the column when the value is of another type or cannot be stored
/// exactly (SQLite: a decimal with more than six places or out of range; a date or instant
/// outside the years 0000–9999. PostgreSQL: text with a NUL character).
pub(crate) fn encode(d: Dialect, col: &str, ty: ColumnType, v: &Value) -> Result<Arg> {
    if v.is_null() {
        return Ok(Arg::Null(ty));
    }
    if v.column_type() != Some(ty) {
        return Err(Error::invalid(
            col,
            format!("expected {ty:?}, got {:?}", v.column_type()),
        ));
    }
    let out_of_range = || Error::invalid(col, "year outside 0000–9999, which SQLite cannot order");
    Ok(match (d, v) {
        (_, Value::Null) => Arg::Null(ty),
        (_, Value::Int(i)) => Arg::Int(*i),
        (Dialect::Postgres, Value::Text(s)) if s.contains('\0') => {
            return Err(Error::invalid(col, "text must not contain a NUL character"));
        }
        (_, Value::Text(s)) => Arg::Text(s.clone()),
        (_, Value::Bytes(b)) => Arg::Bytes(b.clone()),
        (Dialect::Sqlite, Value::Bool(b)) => Arg::Int(i64::from(*b)),
        (Dialect::Sqlite, Value::Decimal(x)) => {
            Arg::Int(decimal_to_micros(*x).map_err(|reason| Error::invalid(col, reason))?)
        }
        (Dialect::Sqlite, Value::Date(x)) => Arg::Text(date_text(*x).ok_or_else(out_of_range)?),
        (Dialect::Sqlite, Value::Timestamp(x)) => {
            Arg::Text(timestamp_text(*x).ok_or_else(out_of_range)?)
        }
        (Dialect::Sqlite, Value::Id(x)) => Arg::Text(id_text(*x)),
        (Dialect::Sqlite, Value::Json(x)) => Arg::Text(x.to_string()),
        (Dialect::Postgres, Value::Bool(b)) => Arg::Bool(*b),
        (Dialect::Postgres, Value::Decimal(x)) => Arg::Decimal(*x),
        (Dialect::Postgres, Value::Date(x)) => Arg::Date(*x),
        (Dialect::Postgres, Value::Timestamp(x)) => Arg::Timestamp(*x),
        (Dialect::Postgres, Value::Id(x)) => Arg::Uuid(*x),
        (Dialect::Postgres, Value::Json(x)) => Arg::Json(x.clone()),
    })
}

/// The argument to compare a column of type `ty` with for equality, or `None` when no stored
/// value can equal `v` (a `Null`, a value of another type, a value the column cannot hold).
fn eq_arg(d: Dialect, ty: ColumnType, v: &Value) -> Option<Arg> {
    if v.is_null() || v.column_type() != Some(ty) {
        return None;
    }
    encode(d, "", ty, v).ok()
}

/// How one bound of a range comes out.
enum Cond {
    /// True for every non-null value.
    Always,
    /// False for every value.
    Never,
    /// A comparison with an argument.
    Cmp(&'static str, Arg),
}

/// Translates one bound of a range over a column of type `ty`; `lower` for the lower bound.
fn bound_cond(d: Dialect, ty: ColumnType, bound: &Bound<Value>, lower: bool) -> Cond {
    let (v, inclusive) = match bound {
        Bound::Unbounded => return Cond::Always,
        Bound::Included(v) => (v, true),
        Bound::Excluded(v) => (v, false),
    };
    let op = match (lower, inclusive) {
        (true, true) => ">=",
        (true, false) => ">",
        (false, true) => "<=",
        (false, false) => "<",
    };
    let Some(vt) = v.column_type() else {
        return Cond::Never;
    };
    // Values of another type compare by type, as `Value`'s order does: a bound of a lower
    // type lets every value above it through, one of a higher type none.
    if vt != ty {
        let below = rank(vt) < rank(ty);
        return if below == lower {
            Cond::Always
        } else {
            Cond::Never
        };
    }
    // A value beyond what the column can hold: every stored value lies on one side of it.
    let beyond = |above_all: bool| {
        if above_all != lower {
            Cond::Always
        } else {
            Cond::Never
        }
    };
    match (d, v) {
        (Dialect::Sqlite, Value::Decimal(x)) => {
            // Stored values are whole millionths m: x >= v ⇔ m >= ceil(v·10⁶), x > v ⇔
            // m > floor(v·10⁶), x <= v ⇔ m <= floor(v·10⁶), x < v ⇔ m < ceil(v·10⁶).
            let up = lower == inclusive;
            match decimal_micros_rounded(*x, up) {
                Some(m) => Cond::Cmp(op, Arg::Int(m)),
                None => beyond(x.is_sign_positive()),
            }
        }
        (Dialect::Sqlite, Value::Date(x)) => match date_text(*x) {
            Some(s) => Cond::Cmp(op, Arg::Text(s)),
            None => beyond(x.year() > 9999),
        },
        (Dialect::Sqlite, Value::Timestamp(x)) => match timestamp_text(*x) {
            Some(s) => Cond::Cmp(op, Arg::Text(s)),
            None => beyond(x.year() > 9999),
        },
        _ => match encode(d, "", ty, v) {
            Ok(arg) => Cond::Cmp(op, arg),
            // Only PostgreSQL text with a NUL fails here; no stored text holds one.
            Err(_) => Cond::Never,
        },
    }
}

/// The longest `In` list written with one bound parameter per value: `col IN (?, ?, ?)`.
/// Longer lists are bound as one parameter (SQLite: a JSON array read by `json_each`;
/// PostgreSQL: an array compared with `= ANY`).
///
/// Why a limit, and why 64: SQLite's planner only sees the values of a list written out in the
/// statement. Behind `IN (SELECT value FROM json_each(?))` it cannot tell one value from a
/// thousand, and on a 100,000-customer store it chose to scan the region index (or the whole
/// table) for a salesperson's visibility filter instead of looking up the `customer_owner`
/// index for the one owner it names (`EXPLAIN QUERY PLAN`: `SEARCH t0 USING INDEX
/// customer_owner (owner_id=?)` only with the list written out). The lists of the core are
/// short: a manager and the subordinates, a few provinces or levels, the customers shared with
/// someone, a page of ids. Each length is another statement text (another entry in the
/// connection's statement cache, another parse), so the limit keeps that variety bounded, and
/// keeps every statement far below SQLite's 32,766 parameters. Above it the planner learns
/// little more from the values, and one parameter is cheaper to bind and parse.
pub(crate) const IN_LIST_BIND_MAX: usize = 64;

/// A JSON array of SQLite arguments, for `IN (SELECT value FROM json_each(?))`.
fn json_list(args: Vec<Arg>) -> String {
    let items: Vec<serde_json::Value> = args
        .into_iter()
        .filter_map(|a| match a {
            Arg::Int(i) => Some(serde_json::Value::from(i)),
            Arg::Text(s) => Some(serde_json::Value::from(s)),
            _ => None,
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

/// Appends `column IN (values)`; the values are already encoded and non-empty. Up to
/// [`IN_LIST_BIND_MAX`] values (and PostgreSQL `jsonb`, which has no array to bind, and bytes,
/// which a JSON list for SQLite cannot carry) get a parameter each; longer lists one parameter
/// for all.
fn push_in(sql: &mut Sql, column: &str, ty: ColumnType, args: Vec<Arg>, values: Vec<Value>) {
    let one_each = args.len() <= IN_LIST_BIND_MAX
        || ty == ColumnType::Bytes
        || (sql.dialect == Dialect::Postgres && ty == ColumnType::Json);
    if one_each {
        sql.col(column).push(" IN (");
        for (i, a) in args.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(a);
        }
        sql.push(")");
        return;
    }
    match sql.dialect {
        Dialect::Sqlite => {
            sql.col(column)
                .push(" IN (SELECT value FROM json_each(")
                .bind(Arg::Text(json_list(args)))
                .push("))");
        }
        Dialect::Postgres => {
            sql.col(column)
                .push(" = ANY(")
                .bind(Arg::Array(ty, values))
                .push(")");
        }
    }
}

/// Appends the condition of `filter` over the columns of `kind`, aliased `t0`.
///
/// # Errors
/// [`Error::Invalid`] for an unknown column.
pub(crate) fn push_filter(sql: &mut Sql, kind: &Kind, filter: &Filter) -> Result<()> {
    let ty_of = |c: &str| {
        column_type(kind, c)
            .ok_or_else(|| Error::invalid(c, format!("kind {} has no such column", kind.name)))
    };
    match filter {
        Filter::All => {
            sql.push("TRUE");
        }
        Filter::Eq(c, v) => match eq_arg(sql.dialect, ty_of(c)?, v) {
            Some(arg) => {
                sql.col(c).push(" = ").bind(arg);
            }
            None => {
                sql.push("FALSE");
            }
        },
        Filter::In(c, vs) => {
            let ty = ty_of(c)?;
            let (mut args, mut values) = (Vec::new(), Vec::new());
            for v in vs {
                if let Some(a) = eq_arg(sql.dialect, ty, v) {
                    args.push(a);
                    values.push(v.clone());
                }
            }
            if args.is_empty() {
                sql.push("FALSE");
            } else {
                push_in(sql, c, ty, args, values);
            }
        }
        Filter::Contains(c, needle) => {
            if ty_of(c)? != ColumnType::Text {
                sql.push("FALSE");
            } else {
                // Byte-wise, case-sensitive substring. SQLite: `instr`, never LIKE (which folds
                // ASCII case). PostgreSQL: LIKE on the "C"-collated column, case-sensitive, the
                // needle's wildcards escaped, so that a trigram index (migration 0014) can
                // answer it; `strpos` gives the same answer by reading every row.
                match sql.dialect {
                    Dialect::Sqlite => {
                        sql.push("instr(")
                            .col(c)
                            .push(", ")
                            .bind(Arg::Text(needle.clone()))
                            .push(") > 0");
                    }
                    Dialect::Postgres => {
                        sql.col(c)
                            .push(" LIKE ")
                            .bind(Arg::Text(like_contains(needle)))
                            .push(" ESCAPE '\\'");
                    }
                }
            }
        }
        Filter::Range(c, lo, hi) => {
            let ty = ty_of(c)?;
            let conds = [
                bound_cond(sql.dialect, ty, lo, true),
                bound_cond(sql.dialect, ty, hi, false),
            ];
            if conds.iter().any(|x| matches!(x, Cond::Never)) {
                sql.push("FALSE");
            } else {
                sql.push("(").col(c).push(" IS NOT NULL");
                for cond in conds {
                    if let Cond::Cmp(op, arg) = cond {
                        sql.push(" AND ")
                            .col(c)
                            .push(" ")
                            .push(op)
                            .push(" ")
                            .bind(arg);
                    }
                }
                sql.push(")");
            }
        }
        Filter::IsNull(c, want) => {
            ty_of(c)?;
            sql.col(c)
                .push(if *want { " IS NULL" } else { " IS NOT NULL" });
        }
        Filter::JsonHasAny(c, wanted) => {
            if ty_of(c)? != ColumnType::Json || wanted.is_empty() {
                sql.push("FALSE");
            } else {
                match sql.dialect {
                    Dialect::Sqlite => {
                        let list = serde_json::Value::from(wanted.clone()).to_string();
                        sql.push("(json_type(")
                            .col(c)
                            .push(") = 'array' AND EXISTS (SELECT 1 FROM json_each(")
                            .col(c)
                            .push(") AS j WHERE j.type = 'text' AND j.value IN ")
                            .push("(SELECT w.value FROM json_each(")
                            .bind(Arg::Text(list))
                            .push(") AS w)))");
                    }
                    Dialect::Postgres => {
                        // `?|` alone would also match object keys and a scalar string.
                        sql.push("(jsonb_typeof(")
                            .col(c)
                            .push(") = 'array' AND ")
                            .col(c)
                            .push(" ?| ")
                            .bind(Arg::TextArray(wanted.clone()))
                            .push(")");
                    }
                }
            }
        }
        Filter::And(fs) | Filter::Or(fs) => {
            let and = matches!(filter, Filter::And(_));
            if fs.is_empty() {
                sql.push(if and { "TRUE" } else { "FALSE" });
            } else {
                // Without NOT, treating SQL's unknown as false at every level is exact.
                sql.push("(");
                for (i, f) in fs.iter().enumerate() {
                    if i > 0 {
                        sql.push(if and { " AND " } else { " OR " });
                    }
                    push_filter(sql, kind, f)?;
                }
                sql.push(")");
            }
        }
    }
    Ok(())
}

/// `SELECT t0."id", t0."version", t0."c1", … FROM "kind" AS t0`.
pub(crate) fn select(d: Dialect, kind: &Kind) -> Sql {
    let mut sql = Sql::new(d);
    sql.push("SELECT ").col("id").push(", ").col("version");
    for c in kind.columns {
        sql.push(", ").col(c.name);
    }
    sql.push(" FROM ").ident(kind.name).push(" AS ").push(T0);
    sql
}

/// One record by id.
pub(crate) fn get(d: Dialect, kind: &Kind, id: Uuid) -> Sql {
    let mut sql = select(d, kind);
    sql.push(" WHERE ")
        .col("id")
        .push(" = ")
        .bind(id_arg(d, id));
    sql
}

/// Several records by id (any order).
pub(crate) fn get_many(d: Dialect, kind: &Kind, ids: &[Uuid]) -> Sql {
    let mut sql = select(d, kind);
    sql.push(" WHERE ");
    let args = ids.iter().map(|id| id_arg(d, *id)).collect();
    let values = ids.iter().map(|id| Value::Id(*id)).collect();
    push_in(&mut sql, "id", ColumnType::Id, args, values);
    sql
}

/// The argument for an id.
pub(crate) fn id_arg(d: Dialect, id: Uuid) -> Arg {
    match d {
        Dialect::Sqlite => Arg::Text(id_text(id)),
        Dialect::Postgres => Arg::Uuid(id),
    }
}

/// `ORDER BY` with the port's rules: nulls first ascending and last descending, ties by id.
fn push_order(sql: &mut Sql, order: &[Order]) {
    sql.push(" ORDER BY ");
    for o in order {
        sql.col(o.column).push(if o.descending {
            " DESC NULLS LAST, "
        } else {
            " ASC NULLS FIRST, "
        });
    }
    sql.col("id").push(" ASC");
}

/// Appends the order, limit and offset of a query's page.
fn push_page(sql: &mut Sql, q: &Query) {
    push_order(sql, &q.order);
    let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
    let limit = q.limit.and_then(|l| i64::try_from(l).ok());
    match (sql.dialect, limit) {
        (Dialect::Sqlite, l) => {
            // SQLite needs a LIMIT to take an OFFSET; a negative one means none.
            sql.push(" LIMIT ").bind(Arg::Int(l.unwrap_or(-1)));
        }
        (Dialect::Postgres, Some(l)) => {
            sql.push(" LIMIT ").bind(Arg::Int(l));
        }
        (Dialect::Postgres, None) => {}
    }
    if offset > 0 {
        sql.push(" OFFSET ").bind(Arg::Int(offset));
    }
}

/// The page of a query: filter, order, offset and limit.
///
/// # Errors
/// [`Error::Invalid`] for an unknown column.
pub(crate) fn query(d: Dialect, q: &Query) -> Result<Sql> {
    q.check_columns()?;
    let mut sql = select(d, q.kind);
    sql.push(" WHERE ");
    if d == Dialect::Sqlite && contains_on_an_indexed_column(q) {
        // A "contains" that is the whole filter reads every row. On a column with an index of
        // its own, the index holds the column and the rowid, and nothing else: SQLite scans it
        // (a few pages per thousand rows) for the rowids that match, and reads only their rows,
        // instead of every row of the table. At 100,000 customers, the near-duplicate check of
        // an interactive create (`name_key` contains) went from 13–15 ms to 4–5 ms. Only a
        // page asked for without its total is written so; counts are as before. Every table
        // has a rowid (none is WITHOUT ROWID: tests/schema.rs).
        sql.col("rowid")
            .push(" IN (SELECT ")
            .col("rowid")
            .push(" FROM ")
            .ident(q.kind.name)
            .push(" AS ")
            .push(T0)
            .push(" WHERE ");
        push_filter(&mut sql, q.kind, &q.filter)?;
        sql.push(")");
    } else {
        push_filter(&mut sql, q.kind, &q.filter)?;
    }
    push_page(&mut sql, q);
    Ok(sql)
}

/// Whether the query's whole filter is a "contains" on a column that has an index of its own
/// (as its only column).
fn contains_on_an_indexed_column(q: &Query) -> bool {
    let Filter::Contains(column, _) = &q.filter else {
        return false;
    };
    q.kind
        .indexes
        .iter()
        .any(|i| matches!(i.columns, [only] if only == column))
}

/// The number of records matching a query's filter.
///
/// # Errors
/// [`Error::Invalid`] for an unknown column.
pub(crate) fn count(d: Dialect, q: &Query) -> Result<Sql> {
    q.check_columns()?;
    let mut sql = Sql::new(d);
    sql.push("SELECT count(*) FROM ")
        .ident(q.kind.name)
        .push(" AS ")
        .push(T0)
        .push(" WHERE ");
    push_filter(&mut sql, q.kind, &q.filter)?;
    Ok(sql)
}

/// An aggregate as one `GROUP BY` statement: the group keys (a month as `YYYY-MM` text), then
/// `count(*)`, then one `sum` per summed column, then one `count(DISTINCT …)` per distinct
/// column, one row per group in no particular order (the
/// caller sorts by the port's value order, which neither engine's collation promises).
///
/// Sums are exact on both engines: SQLite adds the integers of millionths (and fails on an
/// overflow rather than going to floating point), PostgreSQL adds `NUMERIC`. Without group
/// keys the statement answers one row even when nothing matches; the caller drops it.
///
/// # Errors
/// [`Error::Invalid`] for an unknown column, a summed column that is not a decimal, or a month
/// of a column that is not a date or an instant.
pub(crate) fn aggregate(d: Dialect, agg: &Aggregate) -> Result<Sql> {
    agg.check()?;
    let mut sql = Sql::new(d);
    sql.push("SELECT ");
    for g in &agg.group_by {
        match *g {
            GroupBy::Column(c) => {
                sql.col(c);
            }
            GroupBy::Month(c) => match (d, column_type(agg.kind, c)) {
                // Dates and instants are stored as fixed-width text beginning `YYYY-MM`.
                (Dialect::Sqlite, Some(ColumnType::Date | ColumnType::Timestamp)) => {
                    sql.push("substr(").col(c).push(", 1, 7)");
                }
                (Dialect::Postgres, Some(ColumnType::Date)) => {
                    sql.push("to_char(").col(c).push(", 'YYYY-MM')");
                }
                // The month in UTC, as the port defines it, whatever the session's time zone.
                (Dialect::Postgres, Some(ColumnType::Timestamp)) => {
                    sql.push("to_char(")
                        .col(c)
                        .push(" AT TIME ZONE 'UTC', 'YYYY-MM')");
                }
                _ => {
                    return Err(Error::invalid(
                        c,
                        "a month is taken only of a date or an instant",
                    ))
                }
            },
        }
        sql.push(", ");
    }
    sql.push("count(*)");
    for s in &agg.sums {
        sql.push(", sum(").col(s).push(")");
    }
    for c in &agg.distinct {
        sql.push(", count(DISTINCT ").col(c).push(")");
    }
    sql.push(" FROM ")
        .ident(agg.kind.name)
        .push(" AS ")
        .push(T0)
        .push(" WHERE ");
    push_filter(&mut sql, agg.kind, &agg.filter)?;
    if !agg.group_by.is_empty() {
        sql.push(" GROUP BY ");
        for i in 1..=agg.group_by.len() {
            if i > 1 {
                sql.push(", ");
            }
            // Writing to a String cannot fail.
            let _ = write!(sql.text, "{i}");
        }
    }
    Ok(sql)
}

/// How an engine reads the columns of an [`aggregate`] statement's row.
pub(crate) trait AggregateColumns<R> {
    /// A group key of column type `ty` (text for a month) at position `i`.
    fn key(&self, row: &R, i: usize, column: &str, ty: ColumnType) -> Result<Value>;
    /// A count at position `i`.
    fn count(&self, row: &R, i: usize, column: &str) -> Result<u64>;
    /// A sum at position `i` (zero for a sum of nothing).
    fn sum(&self, row: &R, i: usize, column: &str) -> Result<Decimal>;
}

/// Reads the rows of an [`aggregate`] statement (keys, `count(*)`, sums, distinct counts) and
/// puts them in the port's order.
///
/// # Errors
/// What the engine's reader returns for a column it cannot decode.
pub(crate) fn aggregate_rows<R>(
    agg: &Aggregate,
    rows: &[R],
    read: &impl AggregateColumns<R>,
) -> Result<Vec<AggregateRow>> {
    let keys = agg.group_by.len();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut key_values = Vec::with_capacity(keys);
        for (i, g) in agg.group_by.iter().enumerate() {
            let ty = match g {
                GroupBy::Column(c) => column_type(agg.kind, c).unwrap_or(ColumnType::Text),
                GroupBy::Month(_) => ColumnType::Text,
            };
            key_values.push(read.key(row, i, g.column(), ty)?);
        }
        let sums = agg
            .sums
            .iter()
            .enumerate()
            .map(|(n, c)| read.sum(row, keys + 1 + n, c))
            .collect::<Result<Vec<_>>>()?;
        let distinct = agg
            .distinct
            .iter()
            .enumerate()
            .map(|(n, c)| read.count(row, keys + 1 + agg.sums.len() + n, c))
            .collect::<Result<Vec<_>>>()?;
        out.push(AggregateRow {
            keys: key_values,
            count: read.count(row, keys, "count")?,
            sums,
            distinct,
        });
    }
    Ok(finish_aggregate(agg, out))
}

/// Puts an aggregate's rows in the port's order (by group keys, in [`Value`]'s order) and
/// drops the one row a statement without group keys answers when nothing matched.
fn finish_aggregate(agg: &Aggregate, mut rows: Vec<AggregateRow>) -> Vec<AggregateRow> {
    if agg.group_by.is_empty() {
        rows.retain(|r| r.count > 0);
    }
    rows.sort_by(|a, b| a.keys.cmp(&b.keys));
    rows
}

/// The most matches for which [`counted_page`] answers a page and its total in one statement.
///
/// Why a cap: the window (`count(*) OVER ()`) holds every match, whole, until the last one
/// is counted, and then every match goes through the sort. For a search that keeps a few
/// hundred of the rows it reads (the benchmark's: 120 of the 10,300 a salesperson sees) that
/// is nothing, and the scan is paid once instead of twice. For a broad one it is far worse
/// than two statements: on 100,000 customers, "every customer not archived, by name, 20 per
/// page" took 0.5 s with the window against 45 ms for a count and a page, and "newest first"
/// reads 20 rows of the `created_at` index when paged alone but every row with the window.
/// Capping the matches the statement reads bounds the price of trying at about a thousand
/// rows; past it, the count and the page run as two statements.
pub(crate) const ONE_PASS_MAX: u64 = 1_000;

/// The page of a query and, as its last column, its total, in one statement, for queries with
/// at most [`ONE_PASS_MAX`] matches:
///
/// ```text
/// SELECT t0."id", …, count(*) OVER () FROM
///     (SELECT t0."id", … FROM "kind" AS t0 WHERE <filter> LIMIT <ONE_PASS_MAX + 1>) AS t0
/// ORDER BY … LIMIT ? OFFSET ?
/// ```
///
/// The inner query stops after `ONE_PASS_MAX + 1` matches; [`counted_total`] tells whether the
/// answer stands. `None` when the offset alone passes the cap (the statement could only come
/// back empty).
///
/// # Errors
/// [`Error::Invalid`] for an unknown column.
pub(crate) fn counted_page(d: Dialect, q: &Query) -> Result<Option<Sql>> {
    if q.offset > ONE_PASS_MAX {
        return Ok(None);
    }
    q.check_columns()?;
    let mut sql = Sql::new(d);
    sql.push("SELECT ").col("id").push(", ").col("version");
    for c in q.kind.columns {
        sql.push(", ").col(c.name);
    }
    sql.push(", count(*) OVER () FROM (");
    let inner = select(d, q.kind);
    sql.push(&inner.text);
    sql.args.extend(inner.args);
    sql.push(" WHERE ");
    push_filter(&mut sql, q.kind, &q.filter)?;
    let cap = i64::try_from(ONE_PASS_MAX + 1).unwrap_or(i64::MAX);
    sql.push(" LIMIT ")
        .bind(Arg::Int(cap))
        .push(") AS ")
        .push(T0);
    push_page(&mut sql, q);
    Ok(Some(sql))
}

/// The total of a [`counted_page`] statement that came back with `rows` rows, the first of
/// them counting `first_count`: `Some` when the rows are the page and the total is exact,
/// `None` when the count and the page must run as two statements (more than
/// [`ONE_PASS_MAX`] matches, or an empty page past the first, which says nothing about how
/// many records come before it).
pub(crate) fn counted_total(q: &Query, rows: usize, first_count: Option<i64>) -> Option<u64> {
    if rows == 0 {
        // With no offset and a limit above zero, an empty page means no match at all.
        return (q.offset == 0 && q.limit != Some(0)).then_some(0);
    }
    first_count
        .and_then(|n| u64::try_from(n).ok())
        .filter(|&n| n <= ONE_PASS_MAX)
}

/// The arguments for every column of a record, in column order.
fn record_args(d: Dialect, record: &Record) -> Result<Vec<Arg>> {
    record.check_shape()?;
    record
        .kind
        .columns
        .iter()
        .zip(&record.values)
        .map(|(c, v)| encode(d, c.name, c.ty, v))
        .collect()
}

/// The LIKE pattern of "contains `needle`": `%needle%`, with backslashes, `%` and `_` escaped by a backslash.
fn like_contains(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for ch in needle.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// `INSERT` of a new record at version 1.
///
/// # Errors
/// [`Error::Invalid`] when the record does not fit its kind or cannot be stored exactly.
pub(crate) fn insert(d: Dialect, record: &Record) -> Result<Sql> {
    insert_many(d, &[record])
}

/// Runs of at least this many inserts of one kind in a commit are written with multi-row
/// `INSERT`s (a round trip per chunk instead of per record).
pub(crate) const BATCH_MIN: usize = 4;

/// Records of `kind` per multi-row `INSERT`: at most 500, and few enough that the parameters
/// stay far below both engines' limits (SQLite 32766, PostgreSQL 65535).
pub(crate) fn batch_rows(kind: &Kind) -> usize {
    (30_000 / (kind.columns.len() + 1)).clamp(1, 500)
}

/// The length of the run of inserts of one kind that starts `writes`.
pub(crate) fn insert_run(writes: &[Write]) -> usize {
    let Some(Write::Insert(first)) = writes.first() else {
        return 0;
    };
    writes
        .iter()
        .take_while(|w| matches!(w, Write::Insert(r) if std::ptr::eq(r.kind, first.kind)))
        .count()
}

/// One multi-row `INSERT` of new records of one kind, at version 1.
///
/// # Errors
/// [`Error::Invalid`] when a record does not fit its kind or cannot be stored exactly.
pub(crate) fn insert_many(d: Dialect, records: &[&Record]) -> Result<Sql> {
    let mut sql = Sql::new(d);
    push_insert_many(&mut sql, records)?;
    Ok(sql)
}

/// Appends [`insert_many`]'s statement to `sql` (its placeholders numbered after those already
/// bound).
///
/// # Errors
/// As [`insert_many`].
pub(crate) fn push_insert_many(sql: &mut Sql, records: &[&Record]) -> Result<()> {
    let Some(first) = records.first() else {
        return Err(Error::backend_msg("an INSERT needs a record"));
    };
    let d = sql.dialect;
    let kind = first.kind;
    sql.push("INSERT INTO ")
        .ident(kind.name)
        .push(" (")
        .ident("id")
        .push(", ")
        .ident("version");
    for c in kind.columns {
        sql.push(", ").ident(c.name);
    }
    sql.push(") VALUES ");
    for (i, record) in records.iter().enumerate() {
        if !std::ptr::eq(record.kind, kind) {
            return Err(Error::backend_msg("a multi-row INSERT mixes kinds"));
        }
        let args = record_args(d, record)?;
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(").bind(id_arg(d, record.id)).push(", 1");
        for a in args {
            sql.push(", ").bind(a);
        }
        sql.push(")");
    }
    Ok(())
}

/// `UPDATE` of a record still at version `expected`, to `expected + 1`, in one statement.
///
/// # Errors
/// [`Error::Invalid`] when the record does not fit its kind or cannot be stored exactly.
pub(crate) fn update(d: Dialect, record: &Record, expected: i64) -> Result<Sql> {
    let mut sql = Sql::new(d);
    push_update(&mut sql, record, expected)?;
    Ok(sql)
}

/// Appends [`update`]'s statement to `sql`.
///
/// # Errors
/// As [`update`].
pub(crate) fn push_update(sql: &mut Sql, record: &Record, expected: i64) -> Result<()> {
    let d = sql.dialect;
    let args = record_args(d, record)?;
    let kind = record.kind;
    sql.push("UPDATE ")
        .ident(kind.name)
        .push(" SET ")
        .ident("version")
        .push(" = ")
        .bind(Arg::Int(expected.saturating_add(1)));
    for (c, a) in kind.columns.iter().zip(args) {
        sql.push(", ").ident(c.name).push(" = ").bind(a);
    }
    push_id_version(sql, record.id, expected);
    Ok(())
}

/// Appends ` WHERE "id" = … AND "version" = …`.
fn push_id_version(sql: &mut Sql, id: Uuid, expected: i64) {
    let d = sql.dialect;
    sql.push(" WHERE ")
        .ident("id")
        .push(" = ")
        .bind(id_arg(d, id))
        .push(" AND ")
        .ident("version")
        .push(" = ")
        .bind(Arg::Int(expected));
}

/// `DELETE` of a record still at version `expected`.
pub(crate) fn delete(d: Dialect, kind: &Kind, id: Uuid, expected: i64) -> Sql {
    let mut sql = Sql::new(d);
    push_delete(&mut sql, kind, id, expected);
    sql
}

/// Appends [`delete`]'s statement to `sql`.
pub(crate) fn push_delete(sql: &mut Sql, kind: &Kind, id: Uuid, expected: i64) {
    sql.push("DELETE FROM ").ident(kind.name);
    push_id_version(sql, id, expected);
}

/// The stored version of a record; `for_share` locks the row against writers until commit
/// (PostgreSQL).
pub(crate) fn version(d: Dialect, kind: &Kind, id: Uuid, for_share: bool) -> Sql {
    let mut sql = Sql::new(d);
    push_version(&mut sql, kind, id, for_share);
    sql
}

/// Appends [`version`]'s statement to `sql`.
pub(crate) fn push_version(sql: &mut Sql, kind: &Kind, id: Uuid, for_share: bool) {
    let d = sql.dialect;
    sql.push("SELECT ")
        .ident("version")
        .push(" FROM ")
        .ident(kind.name)
        .push(" WHERE ")
        .ident("id")
        .push(" = ")
        .bind(id_arg(d, id));
    if for_share {
        sql.push(" FOR SHARE");
    }
}

/// Another record holding `record`'s key of the unique `index`, or `None` when the key has a
/// null part (and so never conflicts) or cannot be stored.
pub(crate) fn holder(d: Dialect, index: &Index, record: &Record) -> Option<Sql> {
    let kind = record.kind;
    let mut sql = Sql::new(d);
    sql.push("SELECT ")
        .ident("id")
        .push(" FROM ")
        .ident(kind.name)
        .push(" WHERE ");
    for c in index.columns {
        let i = kind.column_index(c)?;
        let (col, v) = (kind.columns.get(i)?, record.values.get(i)?);
        if v.is_null() {
            return None;
        }
        let arg = encode(d, col.name, col.ty, v).ok()?;
        sql.ident(c).push(" = ").bind(arg).push(" AND ");
    }
    sql.ident("id")
        .push(" <> ")
        .bind(id_arg(d, record.id))
        .push(" LIMIT 1");
    Some(sql)
}

/// The unique index of any kind with this name (PostgreSQL reports the index it refused).
pub(crate) fn unique_index(kind: &'static Kind, name: &str) -> Option<&'static Index> {
    kind.indexes.iter().find(|i| i.unique && i.name == name)
}

/// A version from the database as the port's `u64`.
pub(crate) fn version_from_db(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::backend_msg(format!("negative record version {v}")))
}

/// A version from the port as the database's `i64`; `None` when no stored version can equal it.
pub(crate) fn version_to_db(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

/// The error of a write whose expected version is not the stored one.
pub(crate) fn conflict(kind: &Kind, id: Uuid, expected: u64, found: Option<u64>) -> Error {
    match found {
        Some(v) => Error::Conflict(format!(
            "{} {id} is at version {v}, not {expected}",
            kind.name
        )),
        None => Error::Conflict(format!("{} {id} does not exist", kind.name)),
    }
}

/// A corrupt or foreign row: a stored value that does not decode.
pub(crate) fn corrupt(kind: &Kind, column: &str, what: impl std::fmt::Display) -> Error {
    Error::backend_msg(format!(
        "{}.{column}: stored value does not decode: {what}",
        kind.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_millionths_exactly() {
        assert_eq!(decimal_to_micros(Decimal::new(5, 2)), Ok(50_000));
        assert_eq!(
            decimal_to_micros(Decimal::new(-123_456_789, 6)),
            Ok(-123_456_789)
        );
        assert_eq!(
            decimal_to_micros(Decimal::new(1_000_000_000, 9)),
            Ok(1_000_000)
        );
        assert!(decimal_to_micros(Decimal::new(1, 7)).is_err());
        assert!(decimal_to_micros(Decimal::new(9_223_372_036_855, 0)).is_err());
        assert_eq!(
            decimal_to_micros(Decimal::new(9_223_372_036_854_775_807, 6)),
            Ok(i64::MAX)
        );
        assert_eq!(micros_to_decimal(50_000).to_string(), "0.05");
        assert_eq!(micros_to_decimal(-1).to_string(), "-0.000001");
        assert_eq!(decimal_micros_rounded(Decimal::new(15, 7), true), Some(2));
        assert_eq!(decimal_micros_rounded(Decimal::new(15, 7), false), Some(1));
        assert_eq!(decimal_micros_rounded(Decimal::new(-15, 7), true), Some(-1));
        assert_eq!(decimal_micros_rounded(Decimal::MAX, true), None);
    }

    #[test]
    fn timestamps_are_fixed_width_and_sort_as_time() {
        let t = DateTime::from_timestamp_micros(1_772_353_800_123_456).expect("valid");
        let s = timestamp_text(t).expect("in range");
        assert_eq!(s, "2026-03-01T08:30:00.123456Z");
        assert_eq!(parse_timestamp(&s), Some(t));
        let whole = DateTime::from_timestamp(0, 0).expect("epoch");
        assert_eq!(
            timestamp_text(whole).as_deref(),
            Some("1970-01-01T00:00:00.000000Z")
        );
        let nanos = DateTime::from_timestamp(0, 999).expect("valid");
        assert_eq!(timestamp_text(nanos), timestamp_text(whole));
        let first = NaiveDate::from_ymd_opt(0, 1, 1).expect("valid");
        let first = first.and_hms_opt(0, 0, 0).expect("valid").and_utc();
        assert_eq!(
            timestamp_text(first).as_deref(),
            Some("0000-01-01T00:00:00.000000Z")
        );
        let before = first - chrono::Duration::microseconds(1);
        assert_eq!(timestamp_text(before), None);
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid");
        let last = last.and_hms_micro_opt(23, 59, 59, 999_999).expect("valid");
        assert_eq!(
            timestamp_text(last.and_utc()).as_deref(),
            Some("9999-12-31T23:59:59.999999Z")
        );
        assert_eq!(
            timestamp_text(last.and_utc() + chrono::Duration::microseconds(1)),
            None
        );
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).expect("valid");
        assert_eq!(date_text(far), None);
        let d = NaiveDate::from_ymd_opt(1990, 2, 28).expect("valid");
        assert_eq!(parse_date(&date_text(d).expect("in range")), Some(d));
    }

    #[test]
    fn timestamp_text_is_what_chrono_formats() {
        // Spread over the years 0000–9999, with every field's extremes among them.
        let mut micros = -62_167_219_200_000_000_i64; // 0000-01-01T00:00:00Z
        while micros < 253_402_300_800_000_000 {
            let t = DateTime::from_timestamp_micros(micros).expect("valid");
            assert_eq!(
                timestamp_text(t),
                Some(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
                "{micros}"
            );
            micros += 7_919_777_123_457;
        }
    }

    #[test]
    fn id_text_is_the_hyphenated_lower_case_form() {
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        assert_eq!(id_text(id), id.to_string());
        assert_eq!(id_text(id), "01234567-89ab-cdef-fedc-ba9876543210");
    }

    /// The condition of `filter` over customers, in `d`.
    fn condition(d: Dialect, filter: &Filter) -> Sql {
        let mut sql = Sql::new(d);
        push_filter(&mut sql, &crm_core::customer::CUSTOMER, filter).expect("known columns");
        sql
    }

    fn provinces(n: usize) -> Vec<Value> {
        (0..n).map(|i| Value::Text(format!("省{i}"))).collect()
    }

    #[test]
    fn short_lists_bind_one_parameter_per_value() {
        let f = Filter::In("province", provinces(3));
        let sqlite = condition(Dialect::Sqlite, &f);
        assert_eq!(sqlite.text, "t0.\"province\" IN (?, ?, ?)");
        assert_eq!(sqlite.args.len(), 3);
        let pg = condition(Dialect::Postgres, &f);
        assert_eq!(pg.text, "t0.\"province\" IN ($1, $2, $3)");
        // Values that cannot match are left out before counting.
        let mixed = Filter::In(
            "province",
            vec![Value::Null, "a".into(), Value::Int(1), "b".into()],
        );
        assert_eq!(
            condition(Dialect::Sqlite, &mixed).text,
            "t0.\"province\" IN (?, ?)"
        );
        let at_limit = condition(Dialect::Sqlite, &Filter::In("province", provinces(64)));
        assert_eq!(at_limit.args.len(), IN_LIST_BIND_MAX);
        assert!(!at_limit.text.contains("json_each"));
    }

    #[test]
    fn long_lists_bind_one_parameter() {
        let f = Filter::In("province", provinces(IN_LIST_BIND_MAX + 1));
        let sqlite = condition(Dialect::Sqlite, &f);
        assert_eq!(
            sqlite.text,
            "t0.\"province\" IN (SELECT value FROM json_each(?))"
        );
        assert!(
            matches!(sqlite.args.as_slice(), [Arg::Text(json)] if json.starts_with("[\"省0\","))
        );
        let pg = condition(Dialect::Postgres, &f);
        assert_eq!(pg.text, "t0.\"province\" = ANY($1)");
        assert!(matches!(pg.args.as_slice(), [Arg::Array(ColumnType::Text, v)] if v.len() == 65));
        // jsonb has no array type to bind: a parameter per value whatever the length.
        let tags = (0..70)
            .map(|i| Value::Json(serde_json::json!([i])))
            .collect();
        let json = condition(Dialect::Postgres, &Filter::In("tags", tags));
        assert_eq!(json.args.len(), 70);
        assert_eq!(
            condition(Dialect::Sqlite, &Filter::In("province", vec![])).text,
            "FALSE"
        );
    }

    #[test]
    fn one_pass_pages_stop_at_the_cap() {
        let q = Query::filter(
            &crm_core::customer::CUSTOMER,
            Filter::Eq("province", "北京".into()),
        )
        .order_by(vec![Order::asc("name")])
        .page(40, 20)
        .with_total();
        let sql = counted_page(Dialect::Postgres, &q)
            .expect("known columns")
            .expect("offset under the cap");
        assert!(sql
            .text
            .contains(", count(*) OVER () FROM (SELECT t0.\"id\""));
        assert!(sql.text.ends_with(
            ") AS t0 ORDER BY t0.\"name\" ASC NULLS FIRST, t0.\"id\" ASC LIMIT $3 OFFSET $4"
        ));
        assert!(matches!(sql.args.get(1), Some(Arg::Int(1001))));
        let far = q.clone().page(ONE_PASS_MAX + 1, 20);
        assert!(counted_page(Dialect::Sqlite, &far)
            .expect("known columns")
            .is_none());
        // The answer stands up to the cap, and an empty page only on the first page.
        assert_eq!(counted_total(&q, 3, Some(1000)), Some(1000));
        assert_eq!(counted_total(&q, 3, Some(1001)), None);
        assert_eq!(counted_total(&q, 0, None), None);
        assert_eq!(counted_total(&q.clone().page(0, 20), 0, None), Some(0));
    }

    #[test]
    fn identifiers_are_quoted() {
        let mut s = String::new();
        push_ident(&mut s, "next");
        push_ident(&mut s, "a\"b");
        assert_eq!(s, "\"next\"\"a\"\"b\"");
    }
}
