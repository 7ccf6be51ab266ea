//! The in-memory store: the reference adapter, used by tests, simulations and the rule tests of
//! the core. It keeps every promise of the port (atomic commits, versions, unique indexes,
//! references) so that a rule tested against it behaves the same on a real engine.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::RwLock;

use async_trait::async_trait;
use uuid::Uuid;

use super::aggregate;
use super::eval;
use super::{
    Aggregate, AggregateRow, Capabilities, Commit, Filter, Kind, OnDelete, Page, Query, Record,
    Store, Value, Write,
};
use crate::error::{Error, Result};

/// The rows of one kind plus its indexes.
struct Table {
    kind: &'static Kind,
    rows: BTreeMap<Uuid, Record>,
    /// Unique index name → key → owner id.
    unique: HashMap<&'static str, HashMap<Vec<Value>, Uuid>>,
    /// Column name → value → ids: for the first column of every index and every reference,
    /// so equality look-ups and reference checks do not scan.
    by_column: HashMap<&'static str, HashMap<Value, BTreeSet<Uuid>>>,
}

impl Table {
    /// The records a filter can match, by id, when the filter pins the id or a mapped column
    /// to a few values (a superset: the filter is still applied); `None` when every record
    /// must be looked at.
    fn pinned(&self, filter: &Filter) -> Option<Vec<&Record>> {
        if let Some(ids) = eval::pinned_values(filter, "id") {
            let ids: BTreeSet<Uuid> = ids
                .into_iter()
                .filter_map(|v| match v {
                    Value::Id(id) => Some(*id),
                    _ => None,
                })
                .collect();
            return Some(ids.iter().filter_map(|id| self.rows.get(id)).collect());
        }
        for (col, map) in &self.by_column {
            if let Some(vals) = eval::pinned_values(filter, col) {
                let ids: BTreeSet<Uuid> = vals
                    .into_iter()
                    .filter_map(|v| map.get(v))
                    .flatten()
                    .copied()
                    .collect();
                return Some(ids.iter().filter_map(|id| self.rows.get(id)).collect());
            }
        }
        None
    }
}

fn index_key(record: &Record, columns: &[&str]) -> Option<Vec<Value>> {
    let mut key = Vec::with_capacity(columns.len());
    for c in columns {
        let v = record
            .kind
            .column_index(c)
            .and_then(|i| record.values.get(i))?;
        if v.is_null() {
            // As in SQL, a key with a null part never conflicts.
            return None;
        }
        key.push(v.clone());
    }
    Some(key)
}

/// Columns worth a value → ids map: first columns of indexes, and reference columns.
fn lookup_columns(kind: &'static Kind) -> impl Iterator<Item = &'static str> {
    let firsts = kind
        .indexes
        .iter()
        .filter_map(|i| i.columns.first().copied());
    let refs = kind
        .columns
        .iter()
        .filter(|c| c.references.is_some())
        .map(|c| c.name);
    firsts.chain(refs)
}

impl Table {
    fn new(kind: &'static Kind) -> Self {
        Table {
            kind,
            rows: BTreeMap::new(),
            unique: HashMap::new(),
            by_column: HashMap::new(),
        }
    }

    fn unindex(&mut self, r: &Record) {
        for idx in r.kind.indexes.iter().filter(|i| i.unique) {
            if let Some(k) = index_key(r, idx.columns) {
                if let Some(m) = self.unique.get_mut(idx.name) {
                    m.remove(&k);
                }
            }
        }
        for c in lookup_columns(r.kind) {
            if let Ok(v) = r.get(c) {
                if let Some(set) = self.by_column.get_mut(c).and_then(|m| m.get_mut(v)) {
                    set.remove(&r.id);
                }
            }
        }
    }

    fn index(&mut self, r: &Record) {
        for idx in r.kind.indexes.iter().filter(|i| i.unique) {
            if let Some(k) = index_key(r, idx.columns) {
                self.unique.entry(idx.name).or_default().insert(k, r.id);
            }
        }
        for c in lookup_columns(r.kind) {
            if let Ok(v) = r.get(c) {
                if !v.is_null() {
                    self.by_column
                        .entry(c)
                        .or_default()
                        .entry(v.clone())
                        .or_default()
                        .insert(r.id);
                }
            }
        }
    }
}

#[derive(Default)]
struct State {
    tables: HashMap<&'static str, Table>,
}

/// An in-memory [`Store`]. Cheap to create; nothing survives the process.
///
/// ```
/// use crm_core::store::{MemoryStore, Store};
/// let store = MemoryStore::new();
/// assert!(!store.capabilities().durable);
/// ```
#[derive(Default)]
pub struct MemoryStore {
    // A std RwLock, not an async one: no lock is ever held across an await point, and commits
    // are short, so readers and writers never wait long.
    state: RwLock<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> Result<std::sync::RwLockReadGuard<'_, State>> {
        self.state
            .read()
            .map_err(|_| Error::backend_msg("memory store lock poisoned"))
    }
}

/// What a commit changes, staged before anything is applied.
struct Staged {
    /// (kind, id) → final record, or `None` when deleted; in first-touch order.
    finals: Vec<((&'static str, Uuid), Option<Record>)>,
    pos: HashMap<(&'static str, Uuid), usize>,
    /// The records as they were before the commit, for index maintenance.
    before: HashMap<(&'static str, Uuid), Option<Record>>,
}

impl Staged {
    fn current<'a>(&'a self, state: &'a State, kind: &'static str, id: Uuid) -> Option<&'a Record> {
        match self.pos.get(&(kind, id)) {
            Some(&p) => self.finals[p].1.as_ref(),
            None => state.tables.get(kind).and_then(|t| t.rows.get(&id)),
        }
    }

    fn stage(&mut self, state: &State, kind: &'static Kind, id: Uuid, rec: Option<Record>) {
        let key = (kind.name, id);
        if let Some(&p) = self.pos.get(&key) {
            self.finals[p].1 = rec;
        } else {
            let old = state
                .tables
                .get(kind.name)
                .and_then(|t| t.rows.get(&id))
                .cloned();
            self.before.insert(key, old);
            self.pos.insert(key, self.finals.len());
            self.finals.push((key, rec));
        }
    }
}

fn conflict(kind: &Kind, id: Uuid, expected: u64, found: Option<u64>) -> Error {
    match found {
        Some(v) => Error::Conflict(format!(
            "{} {id} is at version {v}, not {expected}",
            kind.name
        )),
        None => Error::Conflict(format!("{} {id} no longer exists", kind.name)),
    }
}

fn check(state: &State, commit: &Commit) -> Result<Staged> {
    let mut st = Staged {
        finals: Vec::new(),
        pos: HashMap::new(),
        before: HashMap::new(),
    };
    for w in &commit.writes {
        let (kind, id) = w.target();
        let found = st.current(state, kind.name, id).map(|r| r.version);
        match w {
            Write::Insert(r) => {
                if found.is_some() {
                    return Err(Error::AlreadyExists {
                        kind: kind.name,
                        id: id.to_string(),
                    });
                }
                r.check_shape()?;
                let mut r = r.clone();
                r.version = 1;
                st.stage(state, kind, id, Some(r));
            }
            Write::Update { record, expected } => {
                if found != Some(*expected) {
                    return Err(conflict(kind, id, *expected, found));
                }
                record.check_shape()?;
                let mut r = record.clone();
                r.version = expected + 1;
                st.stage(state, kind, id, Some(r));
            }
            Write::Delete { expected, .. } => {
                if found != Some(*expected) {
                    return Err(conflict(kind, id, *expected, found));
                }
                st.stage(state, kind, id, None);
            }
            Write::Assert { expected, .. } => {
                if found != Some(*expected) {
                    return Err(conflict(kind, id, *expected, found));
                }
            }
        }
    }
    check_unique(state, &st)?;
    check_references(state, &st)?;
    Ok(st)
}

fn check_unique(state: &State, st: &Staged) -> Result<()> {
    let mut seen: HashMap<(&'static str, Vec<Value>), Uuid> = HashMap::new();
    for (_, rec) in &st.finals {
        let Some(rec) = rec else { continue };
        for idx in rec.kind.indexes.iter().filter(|i| i.unique) {
            let Some(key) = index_key(rec, idx.columns) else {
                continue;
            };
            let dup = |existing: Uuid| Error::Duplicate {
                kind: rec.kind.name,
                rule: idx.name,
                existing: Some(existing.to_string()),
            };
            if let Some(other) = seen.insert((idx.name, key.clone()), rec.id) {
                return Err(dup(other));
            }
            let owner = state
                .tables
                .get(rec.kind.name)
                .and_then(|t| t.unique.get(idx.name))
                .and_then(|m| m.get(&key));
            if let Some(&owner) = owner {
                if owner != rec.id && !st.pos.contains_key(&(rec.kind.name, owner)) {
                    // The owner is untouched by this commit, so it still holds the key.
                    return Err(dup(owner));
                }
                // A touched owner was checked (or released the key) through `seen`.
            }
        }
    }
    Ok(())
}

fn check_references(state: &State, st: &Staged) -> Result<()> {
    for ((kind_name, id), rec) in &st.finals {
        match rec {
            Some(rec) => {
                for (col, v) in rec.kind.columns.iter().zip(&rec.values) {
                    let (Some(r), Value::Id(target)) = (col.references, v) else {
                        continue;
                    };
                    if r.on_delete == OnDelete::Keep {
                        continue;
                    }
                    if st.current(state, r.kind, *target).is_none() {
                        return Err(Error::Conflict(format!(
                            "{}.{} refers to {} {target}, which does not exist",
                            rec.kind.name, col.name, r.kind
                        )));
                    }
                }
            }
            None => {
                // Deleted: nothing that stays may still refer to it.
                for (other_kind, table) in &state.tables {
                    for col in table.kind.columns {
                        let Some(r) = col.references else { continue };
                        if r.kind != *kind_name || r.on_delete == OnDelete::Keep {
                            continue;
                        }
                        let refs = table
                            .by_column
                            .get(col.name)
                            .and_then(|m| m.get(&Value::Id(*id)));
                        for rid in refs.into_iter().flatten() {
                            if st
                                .current(state, other_kind, *rid)
                                .is_some_and(|x| x.get(col.name).ok() == Some(&Value::Id(*id)))
                            {
                                return Err(Error::Conflict(format!(
                                    "{kind_name} {id} is still referred to by {other_kind} {rid}"
                                )));
                            }
                        }
                    }
                }
            }
        }
    }
    // Records staged in this commit that refer to a deleted one are caught above by the
    // existence check on their own references.
    Ok(())
}

#[async_trait]
impl Store for MemoryStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(false, false)
    }

    async fn get(&self, kind: &'static Kind, id: Uuid) -> Result<Option<Record>> {
        Ok(self
            .read()?
            .tables
            .get(kind.name)
            .and_then(|t| t.rows.get(&id))
            .cloned())
    }

    async fn get_many(&self, kind: &'static Kind, ids: &[Uuid]) -> Result<Vec<Record>> {
        let state = self.read()?;
        let Some(t) = state.tables.get(kind.name) else {
            return Ok(Vec::new());
        };
        Ok(ids
            .iter()
            .filter_map(|id| t.rows.get(id))
            .cloned()
            .collect())
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        query.check_columns()?;
        let state = self.read()?;
        let Some(t) = state.tables.get(query.kind.name) else {
            return Ok(Page {
                records: Vec::new(),
                total: query.count_total.then_some(0),
            });
        };
        let (records, total) = match t.pinned(&query.filter) {
            Some(rows) => eval::run(query, rows),
            None => eval::run(query, t.rows.values()),
        };
        Ok(Page { records, total })
    }

    async fn aggregate(&self, agg: &Aggregate) -> Result<Vec<AggregateRow>> {
        agg.check()?;
        let state = self.read()?;
        let Some(t) = state.tables.get(agg.kind.name) else {
            return Ok(Vec::new());
        };
        // Folded in place under the read lock: no record is cloned.
        match t.pinned(&agg.filter) {
            Some(rows) => aggregate::fold(
                agg,
                rows.into_iter().filter(|r| eval::matches(&agg.filter, r)),
            ),
            None => aggregate::fold(
                agg,
                t.rows.values().filter(|r| eval::matches(&agg.filter, r)),
            ),
        }
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        let mut state = self
            .state
            .write()
            .map_err(|_| Error::backend_msg("memory store lock poisoned"))?;
        let staged = check(&state, &commit)?;
        // Nothing below can fail: the commit is applied whole.
        for ((kind_name, id), rec) in staged.finals {
            let before = staged.before.get(&(kind_name, id)).cloned().flatten();
            let Some(kind) = rec.as_ref().or(before.as_ref()).map(|r| r.kind) else {
                continue;
            };
            let table = state
                .tables
                .entry(kind_name)
                .or_insert_with(|| Table::new(kind));
            if let Some(old) = &before {
                table.unindex(old);
                table.rows.remove(&id);
            }
            if let Some(new) = rec {
                table.index(&new);
                table.rows.insert(id, new);
            }
        }
        Ok(())
    }
}
