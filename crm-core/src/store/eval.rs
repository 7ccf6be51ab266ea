//! Query evaluation in Rust, for adapters without a query engine (memory, sled).
//!
//! The SQL adapter translates the same [`Filter`]s into `WHERE` clauses; the conformance suite
//! checks that both give identical answers. Keep the two in step: `Null` never equals anything,
//! text compares byte-wise, `Null` sorts first, ties break by id.

use std::cmp::Ordering;
use std::ops::Bound;

use super::{Filter, Order, Query, Record, Value};

/// The value of a column of a record, with `id` and `version` as implicit columns.
fn column<'r>(record: &'r Record, name: &str, scratch: &'r mut Option<Value>) -> &'r Value {
    match name {
        "id" => scratch.insert(Value::Id(record.id)),
        "version" => scratch.insert(Value::Int(
            i64::try_from(record.version).unwrap_or(i64::MAX),
        )),
        _ => record
            .kind
            .column_index(name)
            .and_then(|i| record.values.get(i))
            .unwrap_or(&Value::Null),
    }
}

/// Whether `record` satisfies `filter`. Columns must have been checked with
/// [`Query::check_columns`]; an unknown column reads as `Null`.
pub fn matches(filter: &Filter, record: &Record) -> bool {
    let mut scratch = None;
    match filter {
        Filter::All => true,
        Filter::Eq(c, v) => {
            let x = column(record, c, &mut scratch);
            !x.is_null() && !v.is_null() && x == v
        }
        Filter::In(c, vs) => {
            let x = column(record, c, &mut scratch);
            !x.is_null() && vs.iter().any(|v| v == x)
        }
        Filter::Contains(c, needle) => match column(record, c, &mut scratch) {
            Value::Text(s) => s.contains(needle.as_str()),
            _ => false,
        },
        Filter::Range(c, lo, hi) => {
            let x = column(record, c, &mut scratch);
            if x.is_null() {
                return false;
            }
            let above = match lo {
                Bound::Unbounded => true,
                Bound::Included(v) => !v.is_null() && x >= v,
                Bound::Excluded(v) => !v.is_null() && x > v,
            };
            let below = match hi {
                Bound::Unbounded => true,
                Bound::Included(v) => !v.is_null() && x <= v,
                Bound::Excluded(v) => !v.is_null() && x < v,
            };
            above && below
        }
        Filter::IsNull(c, want) => column(record, c, &mut scratch).is_null() == *want,
        Filter::JsonHasAny(c, wanted) => match column(record, c, &mut scratch) {
            Value::Json(serde_json::Value::Array(items)) => items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| wanted.iter().any(|w| w == s))),
            _ => false,
        },
        Filter::And(fs) => fs.iter().all(|f| matches(f, record)),
        Filter::Or(fs) => fs.iter().any(|f| matches(f, record)),
    }
}

/// Compares two records by the query's order, then by id.
pub fn compare(order: &[Order], a: &Record, b: &Record) -> Ordering {
    for o in order {
        let (mut sa, mut sb) = (None, None);
        let ord = column(a, o.column, &mut sa).cmp(column(b, o.column, &mut sb));
        let ord = if o.descending { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.id.cmp(&b.id)
}

/// Filters, sorts and pages an iterator of records as the query asks: the whole query engine
/// of a scanning adapter.
pub fn run<'a, I>(query: &Query, records: I) -> (Vec<Record>, Option<u64>)
where
    I: IntoIterator<Item = &'a Record>,
{
    let mut hits: Vec<&Record> = records
        .into_iter()
        .filter(|r| matches(&query.filter, r))
        .collect();
    let total = query.count_total.then_some(hits.len() as u64);
    let offset = usize::try_from(query.offset).unwrap_or(usize::MAX);
    let limit = query
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let wanted = offset.saturating_add(limit);
    if wanted < hits.len() && !hits.is_empty() {
        // Only the first `offset + limit` in order are needed: partial selection, then sort.
        hits.select_nth_unstable_by(wanted, |a, b| compare(&query.order, a, b));
        hits.truncate(wanted);
    }
    hits.sort_by(|a, b| compare(&query.order, a, b));
    let page = hits.into_iter().skip(offset).take(limit).cloned().collect();
    (page, total)
}

/// The ids a filter pins down, if it restricts `id` (or another column) to a finite set at its
/// top level: lets a scanning adapter start from an index instead of the whole table.
pub fn pinned_values<'f>(filter: &'f Filter, column_name: &str) -> Option<Vec<&'f Value>> {
    match filter {
        Filter::Eq(c, v) if *c == column_name => Some(vec![v]),
        Filter::In(c, vs) if *c == column_name => Some(vs.iter().collect()),
        Filter::And(fs) => fs.iter().find_map(|f| pinned_values(f, column_name)),
        _ => None,
    }
}
