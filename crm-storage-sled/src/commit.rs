//! One commit: every check by reads of the data tree, then every write as one `sled::Batch`.
//!
//! The store runs this under its commit lock, and it is the only writer of the directory (sled
//! locks it), so nothing changes the tree between the checks and the batch: the reads see every
//! earlier commit and no later one. The batch is applied by `Tree::apply_batch`, which sled
//! makes atomic for readers (its write concurrency control) and across crashes (the batch's
//! log entries are recovered whole or not at all: sled 0.34 `Tree::apply_batch_inner` pins the
//! log before the first write and seals the batch after the last, and recovery stops before a
//! batch whose end did not reach the disk — the same mechanism its transactions use).

use std::collections::{HashMap, HashSet};

use crm_core::store::{Commit, Kind, Record, Value, Write};
use crm_core::{Error, Result};
use sled::{Batch, Tree};
use uuid::Uuid;

use crate::codec::{self, decode_record, encode_record, put_key_value};
use crate::{group, keys};

/// A record's reference to another.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Ref {
    target_kind: &'static str,
    target: Uuid,
    /// The stored index of the referring kind that lists the records referring through this
    /// column; `None` when the reference is counted instead.
    via: Option<&'static crm_core::store::Index>,
}

/// The keys a record contributes to indexes and the references it holds.
#[derive(Default)]
struct Derived {
    /// (index name, full key) for each stored unique index whose key has no `Null` part.
    unique: Vec<(&'static str, Vec<u8>)>,
    /// The index prefix and key tuple of each of the record's stored non-unique index
    /// entries (the entry that lists it is found or made by `group`).
    entries: Vec<Vec<u8>>,
    /// Every non-null enforced (Restrict or Cascade) reference.
    refs: Vec<Ref>,
}

fn derive(kind: &'static Kind, values: &[Value]) -> Derived {
    let mut d = Derived::default();
    let value = |c: &str| {
        kind.column_index(c)
            .and_then(|i| values.get(i))
            .unwrap_or(&Value::Null)
    };
    for idx in kind.indexes.iter().filter(|i| keys::stored(kind, i)) {
        let mut key = keys::index_prefix(idx);
        let mut has_null = false;
        for c in idx.columns {
            let v = value(c);
            has_null |= v.is_null();
            put_key_value(&mut key, v);
        }
        if idx.unique {
            // As in SQL, a key with a null part never conflicts, and is not stored.
            if !has_null {
                d.unique.push((idx.name, key));
            }
        } else if idx.columns.first().is_some_and(|c| !value(c).is_null()) {
            // Index entries serve look-ups of non-null first values (a `Null` equals nothing),
            // so a record whose first indexed value is null needs no entry.
            d.entries.push(key);
        }
    }
    for (col, v) in kind.columns.iter().zip(values) {
        if let (Some(r), Value::Id(target)) = (col.references, v) {
            if keys::enforced(r.on_delete) {
                d.refs.push(Ref {
                    target_kind: r.kind,
                    target: *target,
                    via: keys::covering_index(kind, col.name),
                });
            }
        }
    }
    d
}

/// A write, prepared.
enum Action<'c> {
    Put {
        record: &'c Record,
        insert: bool,
        expected: u64,
        version: u64,
        bytes: Vec<u8>,
        derived: Derived,
    },
    Delete {
        expected: u64,
    },
    Assert {
        expected: u64,
    },
}

struct Op<'c> {
    kind: &'static Kind,
    id: Uuid,
    action: Action<'c>,
}

fn prepare(commit: &Commit) -> Vec<Op<'_>> {
    commit
        .writes
        .iter()
        .map(|w| {
            let (kind, id) = w.target();
            let action = match w {
                Write::Insert(record) | Write::Update { record, .. } => {
                    let (insert, expected) = match w {
                        Write::Update { expected, .. } => (false, *expected),
                        _ => (true, 0),
                    };
                    let version = if insert {
                        1
                    } else {
                        expected.saturating_add(1)
                    };
                    Action::Put {
                        record,
                        insert,
                        expected,
                        version,
                        bytes: encode_record(version, &record.values),
                        derived: derive(kind, &record.values),
                    }
                }
                Write::Delete { expected, .. } => Action::Delete {
                    expected: *expected,
                },
                Write::Assert { expected, .. } => Action::Assert {
                    expected: *expected,
                },
            };
            Op { kind, id, action }
        })
        .collect()
}

/// Where the records referring to a kind are listed: an index of a referring kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Referrer {
    /// The referring kind.
    pub(crate) kind: String,
    /// The prefix of the index's entries.
    pub(crate) prefix: Vec<u8>,
    /// Whether the index is unique (its entries then hold the id as their value).
    pub(crate) unique: bool,
}

/// The registered referrers, by target kind: read at open, extended by commits.
#[derive(Debug, Default)]
pub(crate) struct Referrers {
    by_target: HashMap<String, Vec<Referrer>>,
    keys: HashSet<Vec<u8>>,
}

impl Referrers {
    /// Reads the registrations from the data tree.
    pub(crate) fn load(data: &Tree) -> Result<Self> {
        let mut r = Referrers::default();
        for item in data.scan_prefix([keys::REFERRER]) {
            let (k, v) = item.map_err(Error::backend)?;
            let (target, kind, _) = keys::parse_referrer(&k)
                .ok_or_else(|| Error::backend_msg("sled store: corrupt referrer key"))?;
            let unique = v.first() == Some(&b'u');
            r.add(k.to_vec(), target, kind, v.to_vec(), unique);
        }
        Ok(r)
    }

    fn add(&mut self, key: Vec<u8>, target: String, kind: String, prefix: Vec<u8>, unique: bool) {
        if self.keys.insert(key) {
            self.by_target.entry(target).or_default().push(Referrer {
                kind,
                prefix,
                unique,
            });
        }
    }
}

/// What became of one record touched by a commit: its stored bytes, or `None` when it was
/// deleted. Returned for the record cache.
pub(crate) struct Outcome {
    pub(crate) kind: &'static Kind,
    pub(crate) id: Uuid,
    pub(crate) stored: Option<Vec<u8>>,
}

/// The state of one touched record during the checks.
struct Touched {
    kind: &'static Kind,
    id: Uuid,
    /// Version and keys of the stored record before the commit.
    before: Option<(u64, Derived)>,
    after: After,
}

#[derive(Clone, Copy)]
enum After {
    Unchanged,
    Put(usize),
    Deleted,
}

fn conflict(kind: &Kind, id: Uuid, expected: u64, found: Option<u64>) -> Error {
    match found {
        Some(v) => Error::Conflict(format!(
            "{} {id} is at version {v}, not {expected}",
            kind.name
        )),
        None => Error::Conflict(format!("{} {id} does not exist", kind.name)),
    }
}

fn read_u64(bytes: &[u8]) -> Result<u64> {
    let b: [u8; 8] = bytes
        .try_into()
        .map_err(|_| Error::backend_msg("sled store: corrupt reference count"))?;
    Ok(u64::from_be_bytes(b))
}

fn get(data: &Tree, key: &[u8]) -> Result<Option<sled::IVec>> {
    data.get(key).map_err(Error::backend)
}

/// A commit inserting at least this many records of a kind looks them up by one range scan.
const RANGE_MIN: usize = 8;

/// The stored records of a kind whose ids lie between the lowest and highest id a commit
/// inserts, read by one range scan.
struct Range {
    lo: Uuid,
    hi: Uuid,
    found: HashMap<Uuid, sled::IVec>,
}

impl Range {
    /// `Some(stored value or None)` when `id` lies in the range; `None` when it must be read.
    fn lookup(&self, id: &Uuid) -> Option<Option<sled::IVec>> {
        (self.lo <= *id && *id <= self.hi).then(|| self.found.get(id).cloned())
    }
}

/// Reads, per kind, the stored records in the id range of the records the commit inserts:
/// one range scan instead of one read per inserted record. Ids are mostly time-ordered (UUID
/// v7), so such a range holds the new ids and few stored records; when it holds more than
/// twice as many as the commit inserts, the scan stops and the records are read one by one.
fn prefetch(data: &Tree, ops: &[Op<'_>]) -> Result<HashMap<&'static str, Range>> {
    let mut inserted: HashMap<&'static str, Vec<Uuid>> = HashMap::new();
    for op in ops {
        if matches!(op.action, Action::Put { insert: true, .. }) {
            inserted.entry(op.kind.name).or_default().push(op.id);
        }
    }
    let mut out = HashMap::new();
    for (kind, ids) in inserted {
        if ids.len() < RANGE_MIN {
            continue;
        }
        let (Some(&lo), Some(&hi)) = (ids.iter().min(), ids.iter().max()) else {
            continue;
        };
        let skip = keys::kind_prefix(kind).len();
        let limit = ids.len().saturating_mul(2);
        let mut found = HashMap::new();
        let mut complete = true;
        for item in data.range(keys::record(kind, &lo)..=keys::record(kind, &hi)) {
            if found.len() >= limit {
                complete = false;
                break;
            }
            let (k, v) = item.map_err(Error::backend)?;
            found.insert(codec::id_from_key(k.get(skip..).unwrap_or_default())?, v);
        }
        if complete {
            out.insert(kind, Range { lo, hi, found });
        }
    }
    Ok(out)
}

/// Checks a commit against the data tree and applies it as one batch; returns what became of
/// each touched record. The caller holds the commit lock.
pub(crate) fn apply(
    data: &Tree,
    referrers: &mut Referrers,
    commit: &Commit,
) -> Result<Vec<Outcome>> {
    let mut ops = prepare(commit);
    let ranges = prefetch(data, &ops)?;
    let mut touched: Vec<Touched> = Vec::new();
    let mut pos: HashMap<(&'static str, Uuid), usize> = HashMap::new();

    // 1. Versions and existence, write by write (later writes see earlier ones).
    for (i, op) in ops.iter().enumerate() {
        let t = match pos.get(&(op.kind.name, op.id)) {
            Some(&t) => t,
            None => {
                let stored = match ranges.get(op.kind.name).and_then(|r| r.lookup(&op.id)) {
                    Some(found) => found,
                    None => get(data, &keys::record(op.kind.name, &op.id))?,
                };
                let before = match stored {
                    Some(bytes) => {
                        let rec = decode_record(op.kind, op.id, &bytes)?;
                        Some((rec.version, derive(op.kind, &rec.values)))
                    }
                    None => None,
                };
                touched.push(Touched {
                    kind: op.kind,
                    id: op.id,
                    before,
                    after: After::Unchanged,
                });
                pos.insert((op.kind.name, op.id), touched.len() - 1);
                touched.len() - 1
            }
        };
        let found = match touched[t].after {
            After::Unchanged => touched[t].before.as_ref().map(|(v, _)| *v),
            After::Put(j) => match &ops[j].action {
                Action::Put { version, .. } => Some(*version),
                _ => None,
            },
            After::Deleted => None,
        };
        match &op.action {
            Action::Put {
                record,
                insert: true,
                ..
            } => {
                if found.is_some() {
                    return Err(Error::AlreadyExists {
                        kind: op.kind.name,
                        id: op.id.to_string(),
                    });
                }
                record.check_shape()?;
                touched[t].after = After::Put(i);
            }
            Action::Put {
                record, expected, ..
            } => {
                if found != Some(*expected) {
                    return Err(conflict(op.kind, op.id, *expected, found));
                }
                record.check_shape()?;
                touched[t].after = After::Put(i);
            }
            Action::Delete { expected } => {
                if found != Some(*expected) {
                    return Err(conflict(op.kind, op.id, *expected, found));
                }
                touched[t].after = After::Deleted;
            }
            Action::Assert { expected } => {
                if found != Some(*expected) {
                    return Err(conflict(op.kind, op.id, *expected, found));
                }
            }
        }
    }
    let after_derived = |a: After| match a {
        After::Put(j) => match &ops[j].action {
            Action::Put { derived, .. } => Some(derived),
            _ => None,
        },
        _ => None,
    };
    let changed = || {
        touched
            .iter()
            .filter(|t| !matches!(t.after, After::Unchanged))
    };

    // 2. Unique keys: release the keys of the old versions, then claim the new ones.
    let mut claims: HashMap<&[u8], Option<Uuid>> = HashMap::new();
    let mut held: HashSet<(&[u8], Uuid)> = HashSet::new();
    for t in changed() {
        if let Some((_, d)) = &t.before {
            for (_, key) in &d.unique {
                claims.insert(key.as_slice(), None);
                held.insert((key.as_slice(), t.id));
            }
        }
    }
    for t in changed() {
        let Some(d) = after_derived(t.after) else {
            continue;
        };
        for (rule, key) in &d.unique {
            let owner = match claims.get(key.as_slice()) {
                Some(o) => *o,
                None => match get(data, key)? {
                    Some(v) => Some(codec::id_from_key(&v)?),
                    None => None,
                },
            };
            if let Some(other) = owner.filter(|o| *o != t.id) {
                return Err(Error::Duplicate {
                    kind: t.kind.name,
                    rule,
                    existing: Some(other.to_string()),
                });
            }
            claims.insert(key.as_slice(), Some(t.id));
        }
    }

    // 3. References: targets exist; deleted records are no longer referred to. References
    // listed by an index are found by scanning it; the others are counted.
    let mut delta: HashMap<(&'static str, Uuid), i64> = HashMap::new();
    for t in changed() {
        if let Some((_, d)) = &t.before {
            for r in d.refs.iter().filter(|r| r.via.is_none()) {
                *delta.entry((r.target_kind, r.target)).or_default() -= 1;
            }
        }
        if let Some(d) = after_derived(t.after) {
            for r in d.refs.iter().filter(|r| r.via.is_none()) {
                *delta.entry((r.target_kind, r.target)).or_default() += 1;
            }
        }
    }
    let mut stored_counts: HashMap<(&'static str, Uuid), u64> = HashMap::new();
    // Targets outside the commit, looked up once each (an import's customers share an owner).
    let mut known: HashMap<(&'static str, Uuid), bool> = HashMap::new();
    // Referrer registrations already checked in this commit.
    let mut checked: HashSet<(&'static str, &'static str, &'static str)> = HashSet::new();
    let mut registrations: Vec<(
        Vec<u8>,
        &'static str,
        &'static Kind,
        &'static crm_core::store::Index,
    )> = Vec::new();
    for t in changed() {
        if let Some(d) = after_derived(t.after) {
            for r in &d.refs {
                let exists = match pos.get(&(r.target_kind, r.target)) {
                    Some(&p) => match touched[p].after {
                        After::Unchanged => touched[p].before.is_some(),
                        After::Put(_) => true,
                        After::Deleted => false,
                    },
                    None => match known.get(&(r.target_kind, r.target)) {
                        Some(&e) => e,
                        None => {
                            let e = get(data, &keys::record(r.target_kind, &r.target))?.is_some();
                            known.insert((r.target_kind, r.target), e);
                            e
                        }
                    },
                };
                if !exists {
                    return Err(Error::Conflict(format!(
                        "{} {} refers to {} {}, which does not exist",
                        t.kind.name, t.id, r.target_kind, r.target
                    )));
                }
                if let Some(idx) = r.via {
                    if checked.insert((r.target_kind, t.kind.name, idx.name)) {
                        let key = keys::referrer(r.target_kind, t.kind.name, idx.name);
                        if !referrers.keys.contains(&key) {
                            registrations.push((key, r.target_kind, t.kind, idx));
                        }
                    }
                }
            }
        } else if t.before.is_some() {
            let key = (t.kind.name, t.id);
            let stored = match get(data, &keys::count(t.kind.name, &t.id))? {
                Some(v) => read_u64(&v)?,
                None => 0,
            };
            stored_counts.insert(key, stored);
            let now = i128::from(stored) + i128::from(delta.get(&key).copied().unwrap_or(0));
            let listed = still_listed(data, referrers, &touched, &ops, t)?;
            if now > 0 || listed > 0 {
                return Err(Error::Conflict(format!(
                    "{} {} is still referred to by {} record(s)",
                    t.kind.name,
                    t.id,
                    now.max(0) + i128::from(listed)
                )));
            }
        }
    }

    // 4. Every write, in one batch.
    let mut batch = Batch::default();
    for (key, d) in delta.iter().filter(|(_, d)| **d != 0) {
        let ck = keys::count(key.0, &key.1);
        let stored = match stored_counts.get(key) {
            Some(&s) => s,
            None => match get(data, &ck)? {
                Some(v) => read_u64(&v)?,
                None => 0,
            },
        };
        let now = i128::from(stored) + i128::from(*d);
        if now < 0 {
            return Err(Error::backend_msg(format!(
                "sled store: reference count of {} {} would go below zero",
                key.0, key.1
            )));
        }
        if now == 0 {
            batch.remove(ck);
        } else {
            let n = u64::try_from(now).unwrap_or(u64::MAX);
            batch.insert(ck, &n.to_be_bytes()[..]);
        }
    }
    let mut entries = group::Changes::default();
    for t in changed() {
        let old: &[Vec<u8>] = t.before.as_ref().map_or(&[], |(_, d)| &d.entries);
        let new: &[Vec<u8>] = after_derived(t.after).map_or(&[], |d| &d.entries);
        for e in old.iter().filter(|e| !new.contains(e)) {
            entries.leave(e, t.id);
        }
        for e in new.iter().filter(|e| !old.contains(e)) {
            entries.join(e, t.id);
        }
    }
    entries.write(data, &mut batch)?;
    for (key, owner) in &claims {
        match owner {
            Some(id) if held.contains(&(*key, *id)) => {}
            Some(id) => batch.insert(*key, &id.as_bytes()[..]),
            None => batch.remove(*key),
        }
    }
    for (key, _, _, idx) in &registrations {
        // The value is the index's entry prefix, so the registration is read without the
        // referring kind's description.
        batch.insert(key.as_slice(), keys::index_prefix(idx));
    }
    let mut out = Vec::new();
    let targets: Vec<(&'static Kind, Uuid, After, bool)> = changed()
        .map(|t| (t.kind, t.id, t.after, t.before.is_some()))
        .collect();
    for (kind, id, after, existed) in targets {
        let rk = keys::record(kind.name, &id);
        match after {
            After::Put(j) => {
                if let Some(Op {
                    action: Action::Put { bytes, .. },
                    ..
                }) = ops.get_mut(j)
                {
                    batch.insert(rk, bytes.as_slice());
                    out.push(Outcome {
                        kind,
                        id,
                        stored: Some(std::mem::take(bytes)),
                    });
                }
            }
            After::Deleted | After::Unchanged => {
                if existed {
                    batch.remove(rk);
                    out.push(Outcome {
                        kind,
                        id,
                        stored: None,
                    });
                }
            }
        }
    }
    data.apply_batch(batch).map_err(Error::backend)?;
    for (key, target, kind, idx) in registrations {
        referrers.add(
            key,
            target.to_owned(),
            kind.name.to_owned(),
            keys::index_prefix(idx),
            idx.unique,
        );
    }
    Ok(out)
}

/// How many records an index still lists as referring to the deleted record `t`, leaving out
/// those this commit deletes or changes to refer elsewhere.
fn still_listed(
    data: &Tree,
    referrers: &Referrers,
    touched: &[Touched],
    ops: &[Op<'_>],
    t: &Touched,
) -> Result<u64> {
    let Some(list) = referrers.by_target.get(t.kind.name) else {
        return Ok(0);
    };
    let mine: HashMap<(&str, Uuid), After> = touched
        .iter()
        .map(|x| ((x.kind.name, x.id), x.after))
        .collect();
    let target = Value::Id(t.id);
    let mut n = 0u64;
    for r in list {
        let mut prefix = r.prefix.clone();
        put_key_value(&mut prefix, &target);
        for item in data.scan_prefix(&prefix) {
            let (k, v) = item.map_err(Error::backend)?;
            let ids: Vec<Uuid> = if r.unique {
                vec![codec::id_from_key(&v)?]
            } else {
                group::members(&k, &v)?.collect()
            };
            n += ids
                .into_iter()
                .filter(|id| still_refers(&mine, ops, r, *id, t))
                .count() as u64;
        }
    }
    Ok(n)
}

/// Whether the record `id` of the referring kind of `r`, listed as referring to `t`, still
/// does after the commit.
fn still_refers(
    mine: &HashMap<(&str, Uuid), After>,
    ops: &[Op<'_>],
    r: &Referrer,
    id: Uuid,
    t: &Touched,
) -> bool {
    match mine.get(&(r.kind.as_str(), id)).copied() {
        None | Some(After::Unchanged) => true,
        Some(After::Deleted) => false,
        Some(After::Put(j)) => match &ops[j].action {
            Action::Put { derived, .. } => derived
                .refs
                .iter()
                .any(|x| x.target_kind == t.kind.name && x.target == t.id),
            _ => false,
        },
    }
}
