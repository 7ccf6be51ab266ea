//! One commit as one sled transaction over every tree it touches.
//!
//! Everything that does not depend on stored data (encoding the new records, their index keys
//! and references) is prepared before the transaction. The transaction closure then only reads
//! by key, checks and writes: sled may run it more than once, so it has no side effects and its
//! result is used only after the transaction returns.

use std::collections::{HashMap, HashSet};

use crm_core::store::{Commit, Kind, OnDelete, Record, Value, Write};
use crm_core::{Error, Result};
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::{Db, Transactional, Tree};
use uuid::Uuid;

use crate::codec::{self, decode_record, encode_record, put_key_value};
use crate::names;

/// The keys a record contributes to index trees and the references it holds.
#[derive(Default)]
struct Derived {
    /// (tree, index name, key) for each unique index whose key has no `Null` part.
    unique: Vec<(usize, &'static str, Vec<u8>)>,
    /// (tree, key ++ id) for each non-unique index.
    entries: Vec<(usize, Vec<u8>)>,
    /// (referenced kind, target) for each non-null Restrict or Cascade reference.
    refs: Vec<(&'static str, Uuid)>,
}

/// Positions of the trees of one transaction.
struct TreeMap {
    trees: Vec<Tree>,
    by_name: HashMap<String, usize>,
    refs: usize,
}

impl TreeMap {
    fn add(&mut self, db: &Db, name: String) -> Result<usize> {
        if let Some(&p) = self.by_name.get(&name) {
            return Ok(p);
        }
        let tree = db.open_tree(name.as_bytes()).map_err(Error::backend)?;
        self.trees.push(tree);
        self.by_name.insert(name, self.trees.len() - 1);
        Ok(self.trees.len() - 1)
    }

    fn position(&self, name: &str) -> Result<usize> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| Error::backend_msg(format!("sled store: tree {name} not opened")))
    }
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
    tree: usize,
    action: Action<'c>,
}

/// What became of one record touched by a commit: the op whose record is now stored, or `None`
/// when it was deleted. Returned by the transaction for the cache.
pub(crate) struct Outcome {
    pub(crate) kind: &'static Kind,
    pub(crate) id: Uuid,
    pub(crate) stored: Option<Vec<u8>>,
}

fn ref_key(kind: &str, id: &Uuid) -> Vec<u8> {
    let mut k = Vec::with_capacity(kind.len() + 17);
    k.extend_from_slice(kind.as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

fn enforced(on_delete: OnDelete) -> bool {
    matches!(on_delete, OnDelete::Restrict | OnDelete::Cascade)
}

fn derive(kind: &'static Kind, id: Uuid, values: &[Value], trees: &TreeMap) -> Result<Derived> {
    let mut d = Derived::default();
    let value = |c: &str| {
        kind.column_index(c)
            .and_then(|i| values.get(i))
            .unwrap_or(&Value::Null)
    };
    for idx in kind.indexes {
        let mut key = Vec::with_capacity(32);
        let mut has_null = false;
        for c in idx.columns {
            let v = value(c);
            has_null |= v.is_null();
            put_key_value(&mut key, v);
        }
        if idx.unique {
            // As in SQL, a key with a null part never conflicts, and is not stored.
            if !has_null {
                d.unique
                    .push((trees.position(&names::unique(idx.name))?, idx.name, key));
            }
        } else if idx.columns.first().is_some_and(|c| !value(c).is_null()) {
            // Index trees serve look-ups of non-null first values (a `Null` equals nothing),
            // so a record whose first indexed value is null needs no entry: one write less
            // for every customer without a credit code.
            key.extend_from_slice(id.as_bytes());
            d.entries
                .push((trees.position(&names::index(idx.name))?, key));
        }
    }
    for (col, v) in kind.columns.iter().zip(values) {
        if let (Some(r), Value::Id(target)) = (col.references, v) {
            if enforced(r.on_delete) {
                d.refs.push((r.kind, *target));
            }
        }
    }
    Ok(d)
}

/// Opens every tree the commit needs.
fn open_trees(db: &Db, commit: &Commit) -> Result<TreeMap> {
    let mut m = TreeMap {
        trees: Vec::new(),
        by_name: HashMap::new(),
        refs: 0,
    };
    m.refs = m.add(db, names::REFS.to_owned())?;
    let mut seen = HashSet::new();
    for w in &commit.writes {
        let (kind, _) = w.target();
        if !seen.insert(kind.name) {
            continue;
        }
        m.add(db, names::kind(kind.name))?;
        for idx in kind.indexes {
            if idx.unique {
                m.add(db, names::unique(idx.name))?;
            } else {
                m.add(db, names::index(idx.name))?;
            }
        }
        for col in kind.columns {
            if let Some(r) = col.references.filter(|r| enforced(r.on_delete)) {
                m.add(db, names::kind(r.kind))?;
            }
        }
    }
    Ok(m)
}

fn prepare<'c>(commit: &'c Commit, trees: &TreeMap) -> Result<Vec<Op<'c>>> {
    commit
        .writes
        .iter()
        .map(|w| {
            let (kind, id) = w.target();
            let tree = trees.position(&names::kind(kind.name))?;
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
                        derived: derive(kind, id, &record.values, trees)?,
                    }
                }
                Write::Delete { expected, .. } => Action::Delete {
                    expected: *expected,
                },
                Write::Assert { expected, .. } => Action::Assert {
                    expected: *expected,
                },
            };
            Ok(Op {
                kind,
                id,
                tree,
                action,
            })
        })
        .collect()
}

/// The state of one touched record during the transaction.
struct Touched {
    kind: &'static Kind,
    id: Uuid,
    tree: usize,
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

type TxResult<T> = std::result::Result<T, ConflictableTransactionError<Error>>;

fn abort<T>(e: Error) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(e))
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

fn read_u64(bytes: &[u8]) -> TxResult<u64> {
    let b: [u8; 8] = match bytes.try_into() {
        Ok(b) => b,
        Err(_) => return abort(Error::backend_msg("sled store: corrupt reference count")),
    };
    Ok(u64::from_be_bytes(b))
}

/// The body of the transaction. Pure apart from the transactional reads and writes.
fn run(tx: &[TransactionalTree], ops: &[Op<'_>], trees: &TreeMap) -> TxResult<Vec<Outcome>> {
    let tree = |p: usize| -> TxResult<&TransactionalTree> {
        match tx.get(p) {
            Some(t) => Ok(t),
            None => abort(Error::backend_msg(
                "sled store: tree missing from transaction",
            )),
        }
    };
    let mut touched: Vec<Touched> = Vec::new();
    let mut pos: HashMap<(&'static str, Uuid), usize> = HashMap::new();

    // 1. Versions and existence, write by write (later writes see earlier ones).
    for (i, op) in ops.iter().enumerate() {
        let t = match pos.get(&(op.kind.name, op.id)) {
            Some(&t) => t,
            None => {
                let before = match tree(op.tree)?.get(op.id.as_bytes())? {
                    Some(bytes) => {
                        let rec = match decode_record(op.kind, op.id, &bytes) {
                            Ok(r) => r,
                            Err(e) => return abort(e),
                        };
                        match derive(op.kind, op.id, &rec.values, trees) {
                            Ok(d) => Some((rec.version, d)),
                            Err(e) => return abort(e),
                        }
                    }
                    None => None,
                };
                touched.push(Touched {
                    kind: op.kind,
                    id: op.id,
                    tree: op.tree,
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
                    return abort(Error::AlreadyExists {
                        kind: op.kind.name,
                        id: op.id.to_string(),
                    });
                }
                if let Err(e) = record.check_shape() {
                    return abort(e);
                }
                touched[t].after = After::Put(i);
            }
            Action::Put {
                record, expected, ..
            } => {
                if found != Some(*expected) {
                    return abort(conflict(op.kind, op.id, *expected, found));
                }
                if let Err(e) = record.check_shape() {
                    return abort(e);
                }
                touched[t].after = After::Put(i);
            }
            Action::Delete { expected } => {
                if found != Some(*expected) {
                    return abort(conflict(op.kind, op.id, *expected, found));
                }
                touched[t].after = After::Deleted;
            }
            Action::Assert { expected } => {
                if found != Some(*expected) {
                    return abort(conflict(op.kind, op.id, *expected, found));
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
    let mut claims: HashMap<(usize, &[u8]), Option<Uuid>> = HashMap::new();
    let mut held: HashSet<(usize, &[u8], Uuid)> = HashSet::new();
    for t in changed() {
        if let Some((_, d)) = &t.before {
            for (tree, _, key) in &d.unique {
                claims.insert((*tree, key.as_slice()), None);
                held.insert((*tree, key.as_slice(), t.id));
            }
        }
    }
    for t in changed() {
        let Some(d) = after_derived(t.after) else {
            continue;
        };
        for (tr, rule, key) in &d.unique {
            let owner = match claims.get(&(*tr, key.as_slice())) {
                Some(o) => *o,
                None => match tree(*tr)?.get(key.as_slice())? {
                    Some(v) => match codec::id_from_key(&v) {
                        Ok(id) => Some(id),
                        Err(e) => return abort(e),
                    },
                    None => None,
                },
            };
            if let Some(other) = owner.filter(|o| *o != t.id) {
                return abort(Error::Duplicate {
                    kind: t.kind.name,
                    rule,
                    existing: Some(other.to_string()),
                });
            }
            claims.insert((*tr, key.as_slice()), Some(t.id));
        }
    }

    // 3. References: targets exist; deleted records are no longer referred to.
    let mut delta: HashMap<(&'static str, Uuid), i64> = HashMap::new();
    for t in changed() {
        if let Some((_, d)) = &t.before {
            for r in &d.refs {
                *delta.entry(*r).or_default() -= 1;
            }
        }
        if let Some(d) = after_derived(t.after) {
            for r in &d.refs {
                *delta.entry(*r).or_default() += 1;
            }
        }
    }
    let mut stored_counts: HashMap<(&'static str, Uuid), u64> = HashMap::new();
    let refs = tree(trees.refs)?;
    for t in changed() {
        if let Some(d) = after_derived(t.after) {
            for &(target_kind, target) in &d.refs {
                let exists = match pos.get(&(target_kind, target)) {
                    Some(&p) => match touched[p].after {
                        After::Unchanged => touched[p].before.is_some(),
                        After::Put(_) => true,
                        After::Deleted => false,
                    },
                    None => {
                        let p = match trees.position(&crate::names::kind(target_kind)) {
                            Ok(p) => p,
                            Err(e) => return abort(e),
                        };
                        tree(p)?.get(target.as_bytes())?.is_some()
                    }
                };
                if !exists {
                    return abort(Error::Conflict(format!(
                        "{} {} refers to {target_kind} {target}, which does not exist",
                        t.kind.name, t.id
                    )));
                }
            }
        } else if t.before.is_some() {
            let key = (t.kind.name, t.id);
            let stored = match refs.get(ref_key(t.kind.name, &t.id))? {
                Some(v) => read_u64(&v)?,
                None => 0,
            };
            stored_counts.insert(key, stored);
            let now = i128::from(stored) + i128::from(delta.get(&key).copied().unwrap_or(0));
            if now > 0 {
                return abort(Error::Conflict(format!(
                    "{} {} is still referred to by {now} record(s)",
                    t.kind.name, t.id
                )));
            }
        }
    }

    // 4. Writes: reference counts, index entries, unique keys, records.
    for (key, d) in delta.iter().filter(|(_, d)| **d != 0) {
        let rk = ref_key(key.0, &key.1);
        let stored = match stored_counts.get(key) {
            Some(&s) => s,
            None => match refs.get(&rk)? {
                Some(v) => read_u64(&v)?,
                None => 0,
            },
        };
        let now = i128::from(stored) + i128::from(*d);
        if now < 0 {
            return abort(Error::backend_msg(format!(
                "sled store: reference count of {} {} would go below zero",
                key.0, key.1
            )));
        }
        if now == 0 {
            refs.remove(rk)?;
        } else {
            let n = u64::try_from(now).unwrap_or(u64::MAX);
            refs.insert(rk, &n.to_be_bytes()[..])?;
        }
    }
    for t in changed() {
        let old: &[(usize, Vec<u8>)] = t.before.as_ref().map_or(&[], |(_, d)| &d.entries);
        let new: &[(usize, Vec<u8>)] = after_derived(t.after).map_or(&[], |d| &d.entries);
        for e in old.iter().filter(|e| !new.contains(e)) {
            tree(e.0)?.remove(e.1.as_slice())?;
        }
        for e in new.iter().filter(|e| !old.contains(e)) {
            tree(e.0)?.insert(e.1.as_slice(), &[] as &[u8])?;
        }
    }
    for ((tr, key), owner) in &claims {
        match owner {
            Some(id) if held.contains(&(*tr, *key, *id)) => {}
            Some(id) => {
                tree(*tr)?.insert(*key, &id.as_bytes()[..])?;
            }
            None => {
                tree(*tr)?.remove(*key)?;
            }
        }
    }
    let mut out = Vec::new();
    for t in changed() {
        let kt = tree(t.tree)?;
        match t.after {
            After::Put(j) => {
                if let Action::Put { bytes, .. } = &ops[j].action {
                    kt.insert(&t.id.as_bytes()[..], bytes.as_slice())?;
                    out.push(Outcome {
                        kind: t.kind,
                        id: t.id,
                        stored: Some(bytes.clone()),
                    });
                }
            }
            After::Deleted | After::Unchanged => {
                if t.before.is_some() {
                    kt.remove(&t.id.as_bytes()[..])?;
                    out.push(Outcome {
                        kind: t.kind,
                        id: t.id,
                        stored: None,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Applies a commit in one sled transaction; returns what became of each touched record.
pub(crate) fn apply(db: &Db, commit: &Commit) -> Result<Vec<Outcome>> {
    let trees = open_trees(db, commit)?;
    let ops = prepare(commit, &trees)?;
    let result = trees
        .trees
        .as_slice()
        .transaction(|tx| run(tx, &ops, &trees));
    match result {
        Ok(out) => Ok(out),
        Err(TransactionError::Abort(e)) => Err(e),
        Err(TransactionError::Storage(e)) => Err(Error::backend(e)),
    }
}
