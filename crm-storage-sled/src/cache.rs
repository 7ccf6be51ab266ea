//! The decoded-record cache of one kind, with in-memory maps that narrow a query to candidates.
//!
//! The cache never decides whether a record matches a query: it only narrows the records the
//! query engine of the core ([`crm_core::store::eval`]) looks at, to a superset of the answer.
//! Every candidate is still filtered, ordered and paged by `eval`, so answers are identical to a
//! full scan by construction, whatever the maps say.
//!
//! Maps are built the first time a query could use them, and kept current by every change
//! after that, so memory goes only to the columns queries actually filter on:
//! - a value map (value → records) for a column compared with `Eq`, `In`, `Range` or
//!   `IsNull(true)`;
//! - a gram map (character, and pair of adjacent characters → records) for a text column
//!   searched with `Contains`: a record containing the needle contains all of its grams;
//! - an element map (string → records) for a JSON column searched with `JsonHasAny`.
//!
//! Candidate lists are slot numbers, ascending without repeats, so that `And` intersects and
//! `Or` unites them in linear time, far cheaper than evaluating a record.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use crm_core::store::{
    aggregate, eval, Aggregate, AggregateRow, ColumnType, Filter, Kind, Page, Query, Record, Value,
};
use crm_core::Result;
use uuid::Uuid;

/// A range look-up covering more than this share of the records (1/n) is not worth it.
const RANGE_SHARE: usize = 2;
/// An `And` stops intersecting once this few candidates are left: `eval` finishes the job.
const FEW: usize = 64;
/// An `And` intersects a further criterion only if it lists at most this many times the
/// candidates left (materialising a list costs far less per entry than evaluating a record).
const INTERSECT_RATIO: usize = 16;

/// Above this many candidates, a paged query walks the map of its sort column
/// ([`KindCache::walk`]) rather than sorting every match.
const WALK_ABOVE: usize = 2_000;
/// …and make up at least 1/n of the records…
const WALK_SHARE: usize = 8;
/// …and the page ends within this many records.
const WALK_PAGE_MAX: usize = 1_000;

/// Slots of records, ascending, without repeats.
type Slots = Vec<u32>;

/// Gram key: one character alone, or two adjacent characters.
type Gram = u64;

const NO_CHAR: u64 = 0x11_0000;

fn gram(a: char, b: Option<char>) -> Gram {
    (u64::from(a) << 32) | b.map_or(NO_CHAR, u64::from)
}

/// The grams of a haystack: every character and every pair of adjacent characters.
fn grams_of(s: &str) -> Vec<Gram> {
    let mut out: Vec<Gram> = Vec::with_capacity(s.len() * 2);
    let mut prev: Option<char> = None;
    for c in s.chars() {
        out.push(gram(c, None));
        if let Some(p) = prev {
            out.push(gram(p, Some(c)));
        }
        prev = Some(c);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The grams every haystack containing `needle` has: its pairs (or its one character).
/// Empty for an empty needle, which every text contains.
fn needle_grams(needle: &str) -> Vec<Gram> {
    let chars: Vec<char> = needle.chars().collect();
    let mut out: Vec<Gram> = match chars.as_slice() {
        [] => Vec::new(),
        [c] => vec![gram(*c, None)],
        cs => cs.windows(2).map(|w| gram(w[0], Some(w[1]))).collect(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// The string elements of a JSON array, as `JsonHasAny` reads them.
fn elements_of(v: &Value) -> Vec<&str> {
    let mut out: Vec<&str> = match v {
        Value::Json(serde_json::Value::Array(items)) => {
            items.iter().filter_map(serde_json::Value::as_str).collect()
        }
        _ => Vec::new(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn insert_sorted(v: &mut Slots, s: u32) {
    // New slots are mostly the highest yet: check the end first.
    if v.last().is_none_or(|&l| l < s) {
        v.push(s);
    } else if let Err(p) = v.binary_search(&s) {
        v.insert(p, s);
    }
}

fn remove_sorted(v: &mut Slots, s: u32) {
    if let Ok(p) = v.binary_search(&s) {
        v.remove(p);
    }
}

/// Removes `slot` from the list under `key`, dropping the list when it empties.
fn drop_slot<K: Ord>(map: &mut BTreeMap<K, Slots>, key: &K, slot: u32) {
    if let Some(list) = map.get_mut(key) {
        remove_sorted(list, slot);
        if list.is_empty() {
            map.remove(key);
        }
    }
}

fn drop_slot_hashed<K, Q>(map: &mut HashMap<K, Slots>, key: &Q, slot: u32)
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    if let Some(list) = map.get_mut(key) {
        remove_sorted(list, slot);
        if list.is_empty() {
            map.remove(key);
        }
    }
}

/// Slots in both sorted lists.
fn intersect(a: &[u32], b: &[u32]) -> Slots {
    let (small, mut large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    for &s in small {
        let p = large.partition_point(|&x| x < s);
        large = &large[p..];
        match large.first() {
            Some(&x) if x == s => out.push(s),
            Some(_) => {}
            None => break,
        }
    }
    out
}

/// Slots in any of the sorted lists.
fn unite<'a>(lists: impl IntoIterator<Item = &'a [u32]>) -> Slots {
    let mut out: Slots = lists.into_iter().flatten().copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Start and end of a `BTreeMap` range for filter bounds; `None` when the range is empty (or
/// would make `BTreeMap::range` panic). A `Null` bound matches nothing, and `Null` values lie
/// in no range, as in [`crm_core::store::eval::matches`].
fn map_bounds<'v>(
    lo: &'v Bound<Value>,
    hi: &'v Bound<Value>,
) -> Option<(Bound<&'v Value>, Bound<&'v Value>)> {
    let lo = match lo {
        Bound::Included(v) | Bound::Excluded(v) if v.is_null() => return None,
        Bound::Included(v) => Bound::Included(v),
        Bound::Excluded(v) => Bound::Excluded(v),
        Bound::Unbounded => Bound::Excluded(&Value::Null),
    };
    let hi = match hi {
        Bound::Included(v) | Bound::Excluded(v) if v.is_null() => return None,
        Bound::Included(v) => Bound::Included(v),
        Bound::Excluded(v) => Bound::Excluded(v),
        Bound::Unbounded => Bound::Unbounded,
    };
    let (Bound::Included(a) | Bound::Excluded(a)) = lo else {
        return None;
    };
    if let Bound::Included(b) | Bound::Excluded(b) = hi {
        let both_inclusive = matches!((lo, hi), (Bound::Included(_), Bound::Included(_)));
        if a > b || (a == b && !both_inclusive) {
            return None;
        }
    }
    Some((lo, hi))
}

/// A map a query could use and that is not built yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Values(usize),
    Grams(usize),
    Elements(usize),
}

/// The records of one kind, decoded, plus the maps built so far.
pub(crate) struct KindCache {
    kind: &'static Kind,
    rows: Vec<Option<Record>>,
    free: Vec<u32>,
    slot_of: HashMap<Uuid, u32>,
    /// Column position → value → slots.
    values: HashMap<usize, BTreeMap<Value, Slots>>,
    /// Text column position → gram → slots.
    grams: HashMap<usize, HashMap<Gram, Slots>>,
    /// JSON column position → array element → slots.
    elements: HashMap<usize, HashMap<String, Slots>>,
}

impl KindCache {
    /// An empty cache for `kind`.
    pub(crate) fn new(kind: &'static Kind) -> Self {
        KindCache {
            kind,
            rows: Vec::new(),
            free: Vec::new(),
            slot_of: HashMap::new(),
            values: HashMap::new(),
            grams: HashMap::new(),
            elements: HashMap::new(),
        }
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// The record with this id.
    pub(crate) fn get(&self, id: &Uuid) -> Option<&Record> {
        let slot = *self.slot_of.get(id)?;
        self.row(slot)
    }

    fn row(&self, slot: u32) -> Option<&Record> {
        self.rows.get(slot as usize)?.as_ref()
    }

    /// Every record, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Record> {
        self.rows.iter().flatten()
    }

    /// The records in these slots.
    pub(crate) fn slots<'a>(&'a self, slots: &'a [u32]) -> impl Iterator<Item = &'a Record> {
        slots.iter().filter_map(|&s| self.row(s))
    }

    fn list(&mut self, slot: u32, record: &Record) {
        for (&pos, map) in &mut self.values {
            if let Some(v) = record.values.get(pos) {
                insert_sorted(map.entry(v.clone()).or_default(), slot);
            }
        }
        for (&pos, map) in &mut self.grams {
            if let Some(Value::Text(s)) = record.values.get(pos) {
                for g in grams_of(s) {
                    insert_sorted(map.entry(g).or_default(), slot);
                }
            }
        }
        for (&pos, map) in &mut self.elements {
            if let Some(v) = record.values.get(pos) {
                for e in elements_of(v) {
                    insert_sorted(map.entry(e.to_owned()).or_default(), slot);
                }
            }
        }
    }

    fn unlist(&mut self, slot: u32, record: &Record) {
        for (&pos, map) in &mut self.values {
            if let Some(v) = record.values.get(pos) {
                drop_slot(map, v, slot);
            }
        }
        for (&pos, map) in &mut self.grams {
            if let Some(Value::Text(s)) = record.values.get(pos) {
                for g in grams_of(s) {
                    drop_slot_hashed(map, &g, slot);
                }
            }
        }
        for (&pos, map) in &mut self.elements {
            if let Some(v) = record.values.get(pos) {
                for e in elements_of(v) {
                    drop_slot_hashed(map, e, slot);
                }
            }
        }
    }

    /// Adds or replaces a record.
    pub(crate) fn put(&mut self, record: Record) {
        self.remove(&record.id);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.rows.push(None);
                // A cache of more than 4 billion records would not fit in memory anyway.
                u32::try_from(self.rows.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.list(slot, &record);
        self.slot_of.insert(record.id, slot);
        if let Some(row) = self.rows.get_mut(slot as usize) {
            *row = Some(record);
        }
    }

    /// Removes a record, if present.
    pub(crate) fn remove(&mut self, id: &Uuid) {
        let Some(slot) = self.slot_of.remove(id) else {
            return;
        };
        let Some(old) = self.rows.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        self.unlist(slot, &old);
        self.free.push(slot);
    }

    fn position(&self, column: &str, types: &[ColumnType], exclude: bool) -> Option<usize> {
        let p = self.kind.column_index(column)?;
        let ty = self.kind.columns.get(p)?.ty;
        (types.contains(&ty) != exclude).then_some(p)
    }

    /// The maps `filter` could use, built or not.
    fn wanted(&self, filter: &Filter, out: &mut Vec<Wanted>) {
        let values = |c: &str| {
            self.position(c, &[ColumnType::Json], true)
                .map(Wanted::Values)
        };
        match filter {
            Filter::Eq(c, _)
            | Filter::In(c, _)
            | Filter::Range(c, ..)
            | Filter::IsNull(c, true) => {
                out.extend(values(c));
            }
            Filter::Contains(c, needle) if !needle.is_empty() => {
                out.extend(
                    self.position(c, &[ColumnType::Text], false)
                        .map(Wanted::Grams),
                );
            }
            Filter::JsonHasAny(c, _) => {
                out.extend(
                    self.position(c, &[ColumnType::Json], false)
                        .map(Wanted::Elements),
                );
            }
            Filter::And(fs) | Filter::Or(fs) => fs.iter().for_each(|f| self.wanted(f, out)),
            Filter::All | Filter::Contains(..) | Filter::IsNull(_, false) => {}
        }
    }

    /// The maps a query could use: those of its filter, and the value map of its first sort
    /// column (for [`KindCache::walk`]).
    fn wanted_by(&self, query: &Query) -> Vec<Wanted> {
        let mut out = Vec::new();
        self.wanted(&query.filter, &mut out);
        if let Some(o) = query.order.first() {
            out.extend(
                self.position(o.column, &[ColumnType::Json], true)
                    .map(Wanted::Values),
            );
        }
        out
    }

    fn built(&self, w: Wanted) -> bool {
        match w {
            Wanted::Values(p) => self.values.contains_key(&p),
            Wanted::Grams(p) => self.grams.contains_key(&p),
            Wanted::Elements(p) => self.elements.contains_key(&p),
        }
    }

    /// Whether `query` could use a map that is not built yet.
    pub(crate) fn lacks_maps(&self, query: &Query) -> bool {
        self.wanted_by(query).into_iter().any(|w| !self.built(w))
    }

    /// Builds every map `query` could use.
    pub(crate) fn build_maps(&mut self, query: &Query) {
        for w in self.wanted_by(query) {
            if self.built(w) {
                continue;
            }
            let rows = self
                .rows
                .iter()
                .enumerate()
                .filter_map(|(s, r)| Some((u32::try_from(s).ok()?, r.as_ref()?)));
            match w {
                Wanted::Values(p) => {
                    let mut map: BTreeMap<Value, Slots> = BTreeMap::new();
                    for (slot, r) in rows {
                        if let Some(v) = r.values.get(p) {
                            // Slots come in ascending order: pushing keeps lists sorted.
                            map.entry(v.clone()).or_default().push(slot);
                        }
                    }
                    self.values.insert(p, map);
                }
                Wanted::Grams(p) => {
                    let mut map: HashMap<Gram, Slots> = HashMap::new();
                    for (slot, r) in rows {
                        if let Some(Value::Text(s)) = r.values.get(p) {
                            for g in grams_of(s) {
                                map.entry(g).or_default().push(slot);
                            }
                        }
                    }
                    self.grams.insert(p, map);
                }
                Wanted::Elements(p) => {
                    let mut map: HashMap<String, Slots> = HashMap::new();
                    for (slot, r) in rows {
                        if let Some(v) = r.values.get(p) {
                            for e in elements_of(v) {
                                map.entry(e.to_owned()).or_default().push(slot);
                            }
                        }
                    }
                    self.elements.insert(p, map);
                }
            }
        }
    }

    fn value_map(&self, column: &str) -> Option<&BTreeMap<Value, Slots>> {
        self.values.get(&self.kind.column_index(column)?)
    }

    fn gram_map(&self, column: &str) -> Option<&HashMap<Gram, Slots>> {
        self.grams.get(&self.kind.column_index(column)?)
    }

    fn element_map(&self, column: &str) -> Option<&HashMap<String, Slots>> {
        self.elements.get(&self.kind.column_index(column)?)
    }

    /// An upper bound of the number of candidates of `filter`, or `None` when the maps cannot
    /// narrow it (or narrowing would not pay).
    fn cost(&self, filter: &Filter) -> Option<usize> {
        let listed = |m: &BTreeMap<Value, Slots>, v: &Value| m.get(v).map_or(0, Vec::len);
        match filter {
            Filter::Eq("id", _) => Some(1),
            Filter::In("id", vs) => Some(vs.len()),
            Filter::Eq(_, Value::Null) => Some(0),
            Filter::Eq(c, v) => self.value_map(c).map(|m| listed(m, v)),
            Filter::In(c, vs) => self.value_map(c).map(|m| {
                vs.iter()
                    .filter(|v| !v.is_null())
                    .map(|v| listed(m, v))
                    .sum()
            }),
            Filter::IsNull(c, true) => self.value_map(c).map(|m| listed(m, &Value::Null)),
            Filter::Range(c, lo, hi) => {
                let m = self.value_map(c)?;
                let Some(bounds) = map_bounds(lo, hi) else {
                    return Some(0);
                };
                let cap = self.len() / RANGE_SHARE;
                let mut n = 0usize;
                for (_, slots) in m.range::<Value, _>(bounds) {
                    n += slots.len();
                    if n > cap {
                        return None;
                    }
                }
                Some(n)
            }
            Filter::Contains(c, needle) => {
                let m = self.gram_map(c)?;
                needle_grams(needle)
                    .iter()
                    .map(|g| m.get(g).map_or(0, Vec::len))
                    .min()
            }
            Filter::JsonHasAny(c, wanted) => {
                let m = self.element_map(c)?;
                Some(wanted.iter().map(|w| m.get(w).map_or(0, Vec::len)).sum())
            }
            Filter::And(fs) => fs.iter().filter_map(|f| self.cost(f)).min(),
            Filter::Or(fs) => fs
                .iter()
                .map(|f| self.cost(f))
                .try_fold(0usize, |acc, c| c.map(|c| acc.saturating_add(c))),
            Filter::All | Filter::IsNull(_, false) => None,
        }
    }

    /// The slots of a superset of the records matching `filter`, ascending without repeats;
    /// `None` when the filter cannot be narrowed.
    fn narrow(&self, filter: &Filter) -> Option<Cow<'_, [u32]>> {
        let empty = || Some(Cow::Owned(Vec::new()));
        let slot = |v: &Value| match v {
            Value::Id(id) => self.slot_of.get(id).copied(),
            _ => None,
        };
        match filter {
            Filter::Eq("id", v) => Some(Cow::Owned(slot(v).into_iter().collect())),
            Filter::In("id", vs) => {
                let mut out: Slots = vs.iter().filter_map(slot).collect();
                out.sort_unstable();
                out.dedup();
                Some(Cow::Owned(out))
            }
            Filter::Eq(_, Value::Null) => empty(),
            Filter::Eq(c, v) => {
                let m = self.value_map(c)?;
                Some(
                    m.get(v)
                        .map_or(Cow::Owned(Vec::new()), |l| Cow::Borrowed(l.as_slice())),
                )
            }
            Filter::In(c, vs) => {
                let m = self.value_map(c)?;
                let lists = vs
                    .iter()
                    .filter(|v| !v.is_null())
                    .filter_map(|v| m.get(v).map(Vec::as_slice));
                Some(Cow::Owned(unite(lists)))
            }
            Filter::IsNull(c, true) => {
                let m = self.value_map(c)?;
                Some(
                    m.get(&Value::Null)
                        .map_or(Cow::Owned(Vec::new()), |l| Cow::Borrowed(l.as_slice())),
                )
            }
            Filter::Range(c, lo, hi) => {
                self.cost(filter)?;
                let m = self.value_map(c)?;
                let Some(bounds) = map_bounds(lo, hi) else {
                    return empty();
                };
                Some(Cow::Owned(unite(
                    m.range::<Value, _>(bounds).map(|(_, l)| l.as_slice()),
                )))
            }
            Filter::Contains(c, needle) => {
                let m = self.gram_map(c)?;
                let mut lists: Vec<&[u32]> = Vec::new();
                for g in needle_grams(needle) {
                    match m.get(&g) {
                        Some(l) => lists.push(l),
                        None => return empty(),
                    }
                }
                lists.sort_by_key(|l| l.len());
                let mut it = lists.into_iter();
                let first = it.next()?;
                let mut acc: Cow<'_, [u32]> = Cow::Borrowed(first);
                for l in it {
                    if acc.is_empty() {
                        break;
                    }
                    acc = Cow::Owned(intersect(&acc, l));
                }
                Some(acc)
            }
            Filter::JsonHasAny(c, wanted) => {
                let m = self.element_map(c)?;
                Some(Cow::Owned(unite(
                    wanted.iter().filter_map(|w| m.get(w).map(Vec::as_slice)),
                )))
            }
            Filter::And(fs) => {
                let mut parts: Vec<(usize, &Filter)> =
                    fs.iter().filter_map(|f| Some((self.cost(f)?, f))).collect();
                parts.sort_by_key(|(c, _)| *c);
                let mut it = parts.into_iter();
                let (_, first) = it.next()?;
                let mut acc = self.narrow(first)?;
                for (cost, f) in it {
                    if acc.len() <= FEW || cost > acc.len().saturating_mul(INTERSECT_RATIO) {
                        break;
                    }
                    if let Some(more) = self.narrow(f) {
                        acc = Cow::Owned(intersect(&acc, &more));
                    }
                }
                Some(acc)
            }
            Filter::Or(fs) => {
                let lists: Vec<Cow<'_, [u32]>> =
                    fs.iter().map(|f| self.narrow(f)).collect::<Option<_>>()?;
                Some(Cow::Owned(unite(lists.iter().map(|l| &**l))))
            }
            Filter::All | Filter::IsNull(_, false) => None,
        }
    }

    /// The slots of a superset of the records matching `filter`, ascending without repeats,
    /// or `None` when every record must be looked at.
    pub(crate) fn candidates(&self, filter: &Filter) -> Option<Cow<'_, [u32]>> {
        self.cost(filter)?;
        self.narrow(filter)
    }

    /// Answers a query from the cache: candidates from the maps, then `eval`.
    pub(crate) fn query(&self, query: &Query) -> Page {
        let candidates = self.candidates(&query.filter);
        let n = candidates.as_ref().map_or(self.len(), |c| c.len());
        // Walking pays when the matches are many and spread over the whole sort order; when
        // the candidates are a small share of the kind, the walk would pass mostly others.
        if n > WALK_ABOVE && n.saturating_mul(WALK_SHARE) >= self.len() {
            if let Some(page) = self.walk(query, candidates.as_deref()) {
                return page;
            }
        }
        let (records, total) = match &candidates {
            Some(slots) => eval::run(query, self.slots(slots)),
            None => eval::run(query, self.iter()),
        };
        Page { records, total }
    }

    /// Answers an aggregate from the cache: candidates from the maps, then the matching
    /// records folded where they lie (none is cloned).
    pub(crate) fn aggregate(&self, agg: &Aggregate) -> Result<Vec<AggregateRow>> {
        let matching = |r: &&Record| eval::matches(&agg.filter, r);
        match self.candidates(&agg.filter) {
            Some(slots) => aggregate::fold(agg, self.slots(&slots).filter(matching)),
            None => aggregate::fold(agg, self.iter().filter(matching)),
        }
    }

    /// A page of many matches, found by walking the value map of the first sort column in sort
    /// order instead of sorting every match: the records met first (up to the end of the group
    /// of equal values in which the page fills) contain the page, which `eval::run` then cuts
    /// from them. The total, when asked for, still counts every match with `eval::matches`.
    /// `None` when the query does not lend itself to it.
    fn walk(&self, query: &Query, candidates: Option<&[u32]>) -> Option<Page> {
        let first = query.order.first()?;
        let map = self.value_map(first.column)?;
        let limit = usize::try_from(query.limit?).ok()?;
        let wanted = usize::try_from(query.offset).ok()?.checked_add(limit)?;
        if wanted > WALK_PAGE_MAX {
            return None;
        }
        let member = |s: u32| candidates.is_none_or(|c| c.binary_search(&s).is_ok());
        let mut met: Vec<&Record> = Vec::new();
        let mut visit = |slots: &Slots| {
            for &s in slots.iter().filter(|&&s| member(s)) {
                if let Some(r) = self.row(s).filter(|r| eval::matches(&query.filter, r)) {
                    met.push(r);
                }
            }
            met.len() >= wanted
        };
        if first.descending {
            for slots in map.values().rev() {
                if visit(slots) {
                    break;
                }
            }
        } else {
            for slots in map.values() {
                if visit(slots) {
                    break;
                }
            }
        }
        let page_query = Query {
            count_total: false,
            ..query.clone()
        };
        let (records, _) = eval::run(&page_query, met);
        let total = query.count_total.then(|| {
            let n = match candidates {
                Some(slots) => self
                    .slots(slots)
                    .filter(|r| eval::matches(&query.filter, r))
                    .count(),
                None => self
                    .iter()
                    .filter(|r| eval::matches(&query.filter, r))
                    .count(),
            };
            n as u64
        });
        Some(Page { records, total })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crm_core::settings::SEQUENCE;
    use crm_core::store::eval;

    fn seq(name: &str, next: i64) -> Record {
        Record {
            kind: &SEQUENCE,
            id: Uuid::now_v7(),
            version: 1,
            values: vec![Value::Text(name.into()), Value::Int(next)],
        }
    }

    fn hits(c: &mut KindCache, f: &Filter) -> Option<Vec<Uuid>> {
        let q = Query::filter(&SEQUENCE, f.clone());
        c.build_maps(&q);
        assert!(!c.lacks_maps(&q));
        let slots = c.candidates(f)?;
        let mut ids: Vec<Uuid> = c.slots(&slots).map(|r| r.id).collect();
        ids.sort();
        Some(ids)
    }

    /// Candidates always include every match.
    fn superset(c: &mut KindCache, f: &Filter) {
        let Some(got) = hits(c, f) else { return };
        for r in c.iter() {
            if eval::matches(f, r) {
                assert!(got.contains(&r.id), "{f:?} misses {r:?}");
            }
        }
    }

    #[test]
    fn candidates_are_a_superset_and_maps_follow_changes() {
        let mut c = KindCache::new(&SEQUENCE);
        let a = seq("北京星辰", 1);
        let b = seq("上海星光", 2);
        c.put(a.clone());
        c.put(b.clone());
        let f = Filter::Eq("name", Value::Text("北京星辰".into()));
        assert_eq!(hits(&mut c, &f).unwrap(), vec![a.id]);
        let g = Filter::Contains("name", "星".into());
        assert_eq!(hits(&mut c, &g).unwrap().len(), 2);
        let h = Filter::Contains("name", "星光".into());
        assert_eq!(hits(&mut c, &h).unwrap(), vec![b.id]);
        let mut a2 = a.clone();
        a2.values[0] = Value::Text("深圳星光".into());
        c.put(a2);
        assert!(hits(&mut c, &f).unwrap().is_empty());
        assert_eq!(hits(&mut c, &h).unwrap().len(), 2);
        let r = Filter::Range("next", Bound::Included(Value::Int(2)), Bound::Unbounded);
        assert_eq!(hits(&mut c, &r).unwrap(), vec![b.id]);
        let e = Filter::Range(
            "next",
            Bound::Excluded(Value::Int(2)),
            Bound::Excluded(Value::Int(2)),
        );
        assert!(hits(&mut c, &e).unwrap().is_empty());
        c.remove(&b.id);
        assert_eq!(c.len(), 1);
        assert!(hits(&mut c, &h).unwrap().len() == 1);
        let o = Filter::Or(vec![
            Filter::Eq("id", Value::Id(b.id)),
            Filter::Eq("id", Value::Id(a.id)),
        ]);
        assert_eq!(hits(&mut c, &o).unwrap(), vec![a.id]);
        assert!(hits(&mut c, &Filter::Contains("name", String::new())).is_none());
        assert!(hits(&mut c, &Filter::Or(vec![])).unwrap().is_empty());
        let and = Filter::And(vec![g.clone(), Filter::Eq("next", Value::Int(1))]);
        assert_eq!(hits(&mut c, &and).unwrap(), vec![a.id]);
    }

    #[test]
    fn candidates_cover_every_match() {
        let mut c = KindCache::new(&SEQUENCE);
        let names = [
            "",
            "a",
            "ab",
            "ba",
            "aba",
            "北京",
            "北京市",
            "京北",
            "a北",
            "b\0",
        ];
        for (i, n) in names.iter().enumerate() {
            c.put(seq(n, i64::try_from(i % 4).unwrap()));
        }
        let needles = [
            "", "a", "b", "ab", "aba", "北", "京", "北京", "京市", "x", "\0", "b\0",
        ];
        for n in needles {
            superset(&mut c, &Filter::Contains("name", n.into()));
            superset(
                &mut c,
                &Filter::And(vec![
                    Filter::Contains("name", n.into()),
                    Filter::In("next", vec![Value::Int(1), Value::Int(3), Value::Null]),
                ]),
            );
        }
        for lo in 0..5 {
            for hi in 0..5 {
                for (l, h) in [
                    (
                        Bound::Included(Value::Int(lo)),
                        Bound::Included(Value::Int(hi)),
                    ),
                    (
                        Bound::Excluded(Value::Int(lo)),
                        Bound::Excluded(Value::Int(hi)),
                    ),
                    (Bound::Unbounded, Bound::Excluded(Value::Int(hi))),
                    (Bound::Included(Value::Int(lo)), Bound::Unbounded),
                ] {
                    superset(&mut c, &Filter::Range("next", l, h));
                }
            }
        }
        superset(&mut c, &Filter::IsNull("name", true));
        superset(&mut c, &Filter::Eq("next", Value::Null));
    }

    #[test]
    fn intersect_and_unite() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[2, 3, 4, 7, 9]), vec![3, 7]);
        assert_eq!(intersect(&[], &[1]), Vec::<u32>::new());
        assert_eq!(unite([&[1u32, 4][..], &[2, 4, 9][..]]), vec![1, 2, 4, 9]);
    }
}
