//! Aggregates: counts and exact sums of a kind's records grouped by columns or by month, for
//! reports (salesperson performance, product sales) that must not decode every record.
//!
//! [`Store::aggregate`](super::Store::aggregate) has a default implementation that queries the
//! matching records and folds them here; an adapter with a query engine answers it natively
//! (`GROUP BY`) and the conformance suite holds both to the same answers.

use std::collections::{BTreeMap, HashSet};

use chrono::Datelike;
use rust_decimal::Decimal;

use super::{Filter, Kind, Record, Value};
use crate::error::{Error, Result};

/// A grouping key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The column's value.
    Column(&'static str),
    /// The calendar month of a date or timestamp column (UTC), as text `YYYY-MM`.
    Month(&'static str),
}

impl GroupBy {
    /// The column it reads.
    pub fn column(self) -> &'static str {
        match self {
            GroupBy::Column(c) | GroupBy::Month(c) => c,
        }
    }
}

/// Counts and sums of one kind's records matching a filter, per group.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The kind.
    pub kind: &'static Kind,
    /// Which records.
    pub filter: Filter,
    /// Group keys (none: one row for everything, when anything matches).
    pub group_by: Vec<GroupBy>,
    /// Decimal columns to sum (nulls are skipped).
    pub sums: Vec<&'static str>,
    /// Columns whose distinct values are counted per group (nulls are not counted), as SQL's
    /// `count(DISTINCT …)`: for instance the orders among a month's order lines.
    pub distinct: Vec<&'static str>,
}

/// One group of an [`Aggregate`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregateRow {
    /// The group's key values, in `group_by` order (`Null` for a null column).
    pub keys: Vec<Value>,
    /// Matching records in the group.
    pub count: u64,
    /// The sums, in `sums` order (zero when every value is null).
    pub sums: Vec<Decimal>,
    /// The counts of distinct values, in `distinct` order.
    pub distinct: Vec<u64>,
}

impl Aggregate {
    /// Checks that every column exists, that months are taken of dates or instants and that
    /// summed columns are decimals.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the column.
    pub fn check(&self) -> Result<()> {
        super::Query::filter(self.kind, self.filter.clone()).check_columns()?;
        for g in &self.group_by {
            let i = self.kind.column_index(g.column()).ok_or_else(|| {
                Error::invalid(
                    g.column(),
                    format!("kind {} has no such column", self.kind.name),
                )
            })?;
            let ty = self.kind.columns[i].ty;
            if matches!(g, GroupBy::Month(_))
                && !matches!(ty, super::ColumnType::Date | super::ColumnType::Timestamp)
            {
                return Err(Error::invalid(
                    g.column(),
                    "a month is taken only of a date or an instant",
                ));
            }
        }
        for s in &self.sums {
            let i = self.kind.column_index(s).ok_or_else(|| {
                Error::invalid(*s, format!("kind {} has no such column", self.kind.name))
            })?;
            if self.kind.columns[i].ty != super::ColumnType::Decimal {
                return Err(Error::invalid(*s, "only decimal columns are summed"));
            }
        }
        for d in &self.distinct {
            self.kind.column_index(d).ok_or_else(|| {
                Error::invalid(*d, format!("kind {} has no such column", self.kind.name))
            })?;
        }
        Ok(())
    }
}

/// A group key part while folding: a column's value borrowed from its record, or a month kept
/// as numbers, so that folding a record allocates nothing unless it opens a new group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part<'a> {
    Value(&'a Value),
    Month(i32, u32),
}

impl Part<'_> {
    fn to_value(&self) -> Value {
        match self {
            Part::Value(v) => (*v).clone(),
            Part::Month(y, m) => Value::Text(format!("{y:04}-{m:02}")),
        }
    }
}

/// One group while folding.
struct Group<'a> {
    count: u64,
    sums: Vec<Decimal>,
    distinct: Vec<HashSet<&'a Value>>,
}

fn month_part(v: &Value) -> Part<'_> {
    match v {
        Value::Date(d) => Part::Month(d.year(), d.month()),
        Value::Timestamp(t) => Part::Month(t.year(), t.month()),
        _ => Part::Value(&Value::Null),
    }
}

/// Folds records (already filtered) into the aggregate's rows, sorted by key.
///
/// # Errors
/// [`Error::Invalid`] for an unknown column; [`Error::Overflow`] for a sum beyond a decimal.
pub fn fold<'a>(
    agg: &Aggregate,
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<Vec<AggregateRow>> {
    agg.check()?;
    let index = |c: &str| {
        agg.kind
            .column_index(c)
            .ok_or_else(|| Error::invalid(c, format!("kind {} has no such column", agg.kind.name)))
    };
    let keys = agg
        .group_by
        .iter()
        .map(|g| Ok((index(g.column())?, matches!(g, GroupBy::Month(_)))))
        .collect::<Result<Vec<_>>>()?;
    let sums = agg
        .sums
        .iter()
        .map(|c| index(c))
        .collect::<Result<Vec<_>>>()?;
    let distinct = agg
        .distinct
        .iter()
        .map(|c| index(c))
        .collect::<Result<Vec<_>>>()?;
    let mut groups: BTreeMap<Vec<Part<'a>>, Group<'a>> = BTreeMap::new();
    let mut key: Vec<Part<'a>> = Vec::with_capacity(keys.len());
    for r in records {
        key.clear();
        for &(i, by_month) in &keys {
            let v = r.values.get(i).unwrap_or(&Value::Null);
            key.push(if by_month {
                month_part(v)
            } else {
                Part::Value(v)
            });
        }
        let entry = match groups.get_mut(key.as_slice()) {
            Some(e) => e,
            None => groups.entry(key.clone()).or_insert_with(|| Group {
                count: 0,
                sums: vec![Decimal::ZERO; sums.len()],
                distinct: vec![HashSet::new(); distinct.len()],
            }),
        };
        entry.count += 1;
        for (n, &i) in sums.iter().enumerate() {
            if let Some(Value::Decimal(d)) = r.values.get(i) {
                entry.sums[n] = entry.sums[n]
                    .checked_add(*d)
                    .ok_or(Error::Overflow("aggregate sum"))?;
            }
        }
        for (n, &i) in distinct.iter().enumerate() {
            match r.values.get(i) {
                None | Some(Value::Null) => {}
                Some(v) => {
                    entry.distinct[n].insert(v);
                }
            }
        }
    }
    let mut rows: Vec<AggregateRow> = groups
        .into_iter()
        .map(|(keys, g)| AggregateRow {
            keys: keys.iter().map(Part::to_value).collect(),
            count: g.count,
            sums: g.sums,
            distinct: g.distinct.iter().map(|set| set.len() as u64).collect(),
        })
        .collect();
    // Months as numbers and as text sort alike, but a null month sorts as a value: sort again.
    rows.sort_by(|a, b| a.keys.cmp(&b.keys));
    Ok(rows)
}

/// Adds the rows of a further fold of the same aggregate (over other records) to `rows`: counts
/// and sums of a group present in both are added, new groups join, and the rows stay sorted by
/// key. This lets an adapter fold a large kind a chunk at a time. Counts of distinct values
/// cannot be added (a value may occur in both folds), so an aggregate with `distinct` columns
/// is refused.
///
/// # Errors
/// [`Error::Invalid`] for rows with distinct counts; [`Error::Overflow`] for a sum beyond a
/// decimal.
///
/// ```
/// use crm_core::store::{aggregate, AggregateRow, Value};
/// use rust_decimal::Decimal;
/// let row = |k: &str, n: u64, s: i64| AggregateRow {
///     keys: vec![Value::Text(k.into())],
///     count: n,
///     sums: vec![Decimal::new(s, 2)],
///     distinct: vec![],
/// };
/// let mut rows = vec![row("a", 1, 150), row("c", 2, 300)];
/// aggregate::merge(&mut rows, vec![row("b", 1, 100), row("c", 1, 25)]).unwrap();
/// assert_eq!(rows, vec![row("a", 1, 150), row("b", 1, 100), row("c", 3, 325)]);
/// ```
pub fn merge(rows: &mut Vec<AggregateRow>, more: Vec<AggregateRow>) -> Result<()> {
    if rows.iter().chain(&more).any(|r| !r.distinct.is_empty()) {
        return Err(Error::invalid(
            "distinct",
            "counts of distinct values cannot be merged across folds",
        ));
    }
    for row in more {
        match rows.binary_search_by(|r| r.keys.cmp(&row.keys)) {
            Ok(i) => {
                let into = &mut rows[i];
                into.count += row.count;
                for (a, b) in into.sums.iter_mut().zip(&row.sums) {
                    *a = a.checked_add(*b).ok_or(Error::Overflow("aggregate sum"))?;
                }
            }
            Err(i) => rows.insert(i, row),
        }
    }
    Ok(())
}
