//! The storage port: what the core needs from a storage engine, and nothing more.
//!
//! Five methods, general enough that no screen or report ever needs a new one:
//! [`Store::get`], [`Store::get_many`], [`Store::query`] (filtered, sorted, paged, with an
//! optional total count; index look-ups and range scans are queries), [`Store::commit`] (a set of
//! writes with the versions that were read, all or nothing), and [`Store::capabilities`].
//!
//! Records are described as data ([`Kind`]), so an adapter maps every kind with one generic
//! piece of code. The rules every adapter must keep are proved by the conformance suite
//! (`crm_core::store::conformance`, behind the `conformance` feature).
//!
//! # Semantics every adapter keeps
//! - A commit is atomic and isolated: all its writes, or none, and no reader sees a part of it.
//! - `Insert` of an existing id is [`Error::AlreadyExists`]; `Update`, `Delete` and `Assert` with a
//!   version other than the stored one (or of a missing record) are [`Error::Conflict`].
//! - A unique index holds at commit, also between concurrent commits: [`Error::Duplicate`] with
//!   the index name as `rule` (and the existing id in `existing` when the adapter knows it).
//! - Writes apply in order. A commit that hands a unique key from one record to another
//!   releases it first (updates or deletes the holder before the taker is written): SQL engines
//!   check unique keys statement by statement, so a swap inside one commit is refused there.
//! - Filters follow SQL: `Null` equals nothing; text compares byte-wise; ordering puts `Null`
//!   first and breaks ties by id, so paging is stable.

pub mod aggregate;
mod entity;
pub mod eval;
mod memory;
mod schema;
mod value;

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "conformance")]
pub mod faults;

use std::ops::Bound;

use async_trait::async_trait;
use uuid::Uuid;

use crate::error::{Error, Result};

pub use aggregate::{Aggregate, AggregateRow, GroupBy};
pub use entity::{json_value, Entity, Fields, Versioned};
pub use memory::MemoryStore;
pub use schema::{Column, Index, Kind, OnDelete, Reference};
pub use value::{ColumnType, Value};

/// One stored record: its kind, id, version and column values in [`Kind::columns`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The kind.
    pub kind: &'static Kind,
    /// Primary key.
    pub id: Uuid,
    /// Optimistic version: 1 when created, +1 on every update.
    pub version: u64,
    /// Values, one per column of the kind.
    pub values: Vec<Value>,
}

impl Record {
    /// The value of a column by name.
    ///
    /// # Errors
    /// [`Error::Backend`] when the kind has no such column (a programming error in the core).
    pub fn get(&self, column: &str) -> Result<&Value> {
        match column {
            "id" => Err(Error::backend_msg("use Record::id for the id column")),
            _ => self
                .kind
                .column_index(column)
                .and_then(|i| self.values.get(i))
                .ok_or_else(|| {
                    Error::backend_msg(format!("kind {} has no column {column}", self.kind.name))
                }),
        }
    }

    /// Checks that the values fit the kind: count, types and nullability.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the column.
    pub fn check_shape(&self) -> Result<()> {
        if self.values.len() != self.kind.columns.len() {
            return Err(Error::invalid(
                self.kind.name,
                format!(
                    "record has {} values, kind has {} columns",
                    self.values.len(),
                    self.kind.columns.len()
                ),
            ));
        }
        for (col, v) in self.kind.columns.iter().zip(&self.values) {
            match v.column_type() {
                None if !col.nullable => {
                    return Err(Error::invalid(col.name, "must not be empty"));
                }
                Some(t) if t != col.ty => {
                    return Err(Error::invalid(
                        col.name,
                        format!("expected {:?}, got {t:?}", col.ty),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// One write of a commit.
#[derive(Debug, Clone)]
pub enum Write {
    /// Create a record; it is stored with version 1 (the record's own version is ignored).
    Insert(Record),
    /// Replace a record that is still at version `expected`; it is stored with `expected + 1`.
    Update {
        /// New values (kind and id name the record).
        record: Record,
        /// The version that was read.
        expected: u64,
    },
    /// Remove a record that is still at version `expected`.
    Delete {
        /// The kind.
        kind: &'static Kind,
        /// The id.
        id: Uuid,
        /// The version that was read.
        expected: u64,
    },
    /// Write nothing, but fail the commit unless the record is still at version `expected`:
    /// how a decision that depended on a record it does not change stays valid.
    Assert {
        /// The kind.
        kind: &'static Kind,
        /// The id.
        id: Uuid,
        /// The version that was read.
        expected: u64,
    },
}

impl Write {
    /// The kind and id the write touches.
    pub fn target(&self) -> (&'static Kind, Uuid) {
        match self {
            Write::Insert(r) | Write::Update { record: r, .. } => (r.kind, r.id),
            Write::Delete { kind, id, .. } | Write::Assert { kind, id, .. } => (kind, *id),
        }
    }
}

/// A commit with work an adapter did for it ahead of time ([`Store::prepare`]). The commit is
/// held inside, out of reach of changes, so the work matches it. [`Prepared::new`] and
/// [`Prepared::into_parts`] are for adapters; an adapter's work is a type of its own, which
/// only it can take out, so a `Prepared` built elsewhere carries no work it would trust.
///
/// ```
/// # futures::executor::block_on(async {
/// use crm_core::settings::{Sequence, SEQUENCE};
/// use crm_core::store::{Commit, Entity, MemoryStore, Store};
///
/// let store = MemoryStore::new();
/// let seq = Sequence { id: uuid::Uuid::now_v7(), name: "order-no".into(), next: 1 };
/// let mut commit = Commit::new();
/// commit.insert(seq.to_record());
/// let prepared = store.prepare(commit);
/// assert_eq!(prepared.commit().writes.len(), 1);
/// store.commit_prepared(prepared).await?;
/// assert!(store.get(&SEQUENCE, seq.id).await?.is_some());
/// # Ok::<(), crm_core::Error>(())
/// # }).unwrap();
/// ```
pub struct Prepared {
    commit: Commit,
    work: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl Prepared {
    /// `commit` with the adapter's `work` for it (`None`: nothing done ahead).
    pub fn new(commit: Commit, work: Option<Box<dyn std::any::Any + Send + Sync>>) -> Self {
        Prepared { commit, work }
    }

    /// The commit.
    pub fn commit(&self) -> &Commit {
        &self.commit
    }

    /// The commit alone, its work dropped.
    pub fn into_commit(self) -> Commit {
        self.commit
    }

    /// The commit and the work done for it, for the adapter committing it: `None` when no
    /// work was done or it is not a `W` (another adapter's), and the adapter redoes it.
    pub fn into_parts<W: std::any::Any>(self) -> (Commit, Option<W>) {
        let work = self
            .work
            .and_then(|w| (w as Box<dyn std::any::Any>).downcast::<W>().ok());
        (self.commit, work.map(|w| *w))
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("commit", &self.commit)
            .field("work", &self.work.is_some())
            .finish()
    }
}

/// A set of writes applied atomically.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// The writes, applied in order (later writes see earlier ones).
    pub writes: Vec<Write>,
}

impl Commit {
    /// An empty commit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an insert.
    pub fn insert(&mut self, record: Record) -> &mut Self {
        self.writes.push(Write::Insert(record));
        self
    }

    /// Adds an update of a record read at `expected`.
    pub fn update(&mut self, record: Record, expected: u64) -> &mut Self {
        self.writes.push(Write::Update { record, expected });
        self
    }

    /// Adds a delete of a record read at `expected`.
    pub fn delete(&mut self, kind: &'static Kind, id: Uuid, expected: u64) -> &mut Self {
        self.writes.push(Write::Delete { kind, id, expected });
        self
    }

    /// Adds a version assertion.
    pub fn assert_version(&mut self, kind: &'static Kind, id: Uuid, expected: u64) -> &mut Self {
        self.writes.push(Write::Assert { kind, id, expected });
        self
    }

    /// Number of writes.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }
}

/// A filter over the columns of one kind. The column `id` may be used too.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every record.
    All,
    /// The column equals the value (never true for `Null`).
    Eq(&'static str, Value),
    /// The column equals one of the values. An empty list matches nothing.
    In(&'static str, Vec<Value>),
    /// The text column contains the needle (byte-wise, case-sensitive: the core stores folded
    /// search columns and folds the needle). An empty needle matches every non-null value.
    Contains(&'static str, String),
    /// The column lies within the bounds.
    Range(&'static str, Bound<Value>, Bound<Value>),
    /// The column is (`true`) or is not (`false`) null.
    IsNull(&'static str, bool),
    /// The JSON column is an array of strings holding at least one of these.
    JsonHasAny(&'static str, Vec<String>),
    /// All of the filters hold (an empty list is true).
    And(Vec<Filter>),
    /// Any of the filters holds (an empty list is false).
    Or(Vec<Filter>),
}

/// A sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// Column to sort by (`id` allowed).
    pub column: &'static str,
    /// Descending instead of ascending.
    pub descending: bool,
}

impl Order {
    /// Ascending by `column`.
    pub const fn asc(column: &'static str) -> Self {
        Order {
            column,
            descending: false,
        }
    }

    /// Descending by `column`.
    pub const fn desc(column: &'static str) -> Self {
        Order {
            column,
            descending: true,
        }
    }
}

/// A query over one kind: filter, order, page.
#[derive(Debug, Clone)]
pub struct Query {
    /// The kind to read.
    pub kind: &'static Kind,
    /// Which records.
    pub filter: Filter,
    /// Sort keys; ties (and an empty list) are broken by id ascending.
    pub order: Vec<Order>,
    /// Records to skip.
    pub offset: u64,
    /// At most this many records.
    pub limit: Option<u64>,
    /// Also count all matching records, ignoring offset and limit.
    pub count_total: bool,
}

impl Query {
    /// Every record of `kind`, by id.
    pub fn all(kind: &'static Kind) -> Self {
        Query {
            kind,
            filter: Filter::All,
            order: Vec::new(),
            offset: 0,
            limit: None,
            count_total: false,
        }
    }

    /// Records of `kind` matching `filter`, by id.
    pub fn filter(kind: &'static Kind, filter: Filter) -> Self {
        Query {
            filter,
            ..Self::all(kind)
        }
    }

    /// Sets the order.
    pub fn order_by(mut self, order: Vec<Order>) -> Self {
        self.order = order;
        self
    }

    /// Sets offset and limit.
    pub fn page(mut self, offset: u64, limit: u64) -> Self {
        self.offset = offset;
        self.limit = Some(limit);
        self
    }

    /// Asks for the total count.
    pub fn with_total(mut self) -> Self {
        self.count_total = true;
        self
    }

    /// Checks that every column named in the query exists in the kind.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the unknown column.
    pub fn check_columns(&self) -> Result<()> {
        fn check(kind: &Kind, col: &str) -> Result<()> {
            if col == "id" || col == "version" || kind.column_index(col).is_some() {
                Ok(())
            } else {
                Err(Error::invalid(
                    col,
                    format!("kind {} has no such column", kind.name),
                ))
            }
        }
        fn walk(kind: &Kind, f: &Filter) -> Result<()> {
            match f {
                Filter::All => Ok(()),
                Filter::Eq(c, _)
                | Filter::In(c, _)
                | Filter::Contains(c, _)
                | Filter::Range(c, _, _)
                | Filter::IsNull(c, _)
                | Filter::JsonHasAny(c, _) => check(kind, c),
                Filter::And(fs) | Filter::Or(fs) => fs.iter().try_for_each(|f| walk(kind, f)),
            }
        }
        walk(self.kind, &self.filter)?;
        self.order
            .iter()
            .try_for_each(|o| check(self.kind, o.column))
    }
}

/// The answer to a [`Query`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The records of the requested page, in order.
    pub records: Vec<Record>,
    /// The number of all matching records, when asked for.
    pub total: Option<u64>,
}

/// What an adapter can and cannot do; the conformance suite reads these flags, so any allowed
/// difference between adapters is explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Data outlives the process (false for the in-memory store).
    pub durable: bool,
    /// Several processes may open the same store at once (PostgreSQL).
    pub multi_process: bool,
}

impl Capabilities {
    /// Builds a capability set.
    pub const fn new(durable: bool, multi_process: bool) -> Self {
        Capabilities {
            durable,
            multi_process,
        }
    }
}

/// The storage port. Dyn-compatible: hosts hold an `Arc<dyn Store>` chosen at run time.
#[async_trait]
pub trait Store: Send + Sync {
    /// What this adapter can do.
    fn capabilities(&self) -> Capabilities;

    /// One record by id.
    ///
    /// # Errors
    /// [`Error::Backend`] on engine failure.
    async fn get(&self, kind: &'static Kind, id: Uuid) -> Result<Option<Record>>;

    /// Several records by id, in the order asked; missing ids are left out.
    ///
    /// # Errors
    /// [`Error::Backend`] on engine failure.
    async fn get_many(&self, kind: &'static Kind, ids: &[Uuid]) -> Result<Vec<Record>>;

    /// Records matching a query.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown column; [`Error::Backend`] on engine failure.
    async fn query(&self, query: &Query) -> Result<Page>;

    /// Applies all writes atomically, or none.
    ///
    /// # Errors
    /// [`Error::Conflict`], [`Error::AlreadyExists`], [`Error::Duplicate`] as described in the
    /// module documentation; [`Error::Invalid`] for a record that does not fit its kind;
    /// [`Error::Backend`] on engine failure (then nothing was written).
    async fn commit(&self, commit: Commit) -> Result<()>;

    /// Does ahead of time the part of committing `commit` that needs no engine — for the SQL
    /// adapters, writing and encoding its statements — so that a caller with other work to overlap takes it
    /// off the commit's path: the import prepares a batch's commit while the batch before it
    /// commits. The default does nothing. Commit the result with [`Store::commit_prepared`].
    fn prepare(&self, commit: Commit) -> Prepared {
        Prepared::new(commit, None)
    }

    /// Commits what [`Store::prepare`] returned, exactly as [`Store::commit`] would commit the
    /// commit inside it (same rules, same errors). An adapter uses the work it finds done only
    /// when it recognises it (its own type); anything else is redone. The default commits the
    /// commit.
    ///
    /// # Errors
    /// As [`Store::commit`].
    async fn commit_prepared(&self, prepared: Prepared) -> Result<()> {
        self.commit(prepared.into_commit()).await
    }

    /// Counts and sums of the records matching an aggregate's filter, per group, sorted by the
    /// group keys. The default reads the matching records with [`Store::query`] and folds them
    /// ([`aggregate::fold`]); an adapter with a query engine may answer natively, with the same
    /// answers (the conformance suite checks).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown column or a summed column that is not a decimal;
    /// [`Error::Backend`] on engine failure.
    async fn aggregate(&self, agg: &Aggregate) -> Result<Vec<AggregateRow>> {
        agg.check()?;
        let page = self
            .query(&Query::filter(agg.kind, agg.filter.clone()))
            .await?;
        aggregate::fold(agg, &page.records)
    }
}
