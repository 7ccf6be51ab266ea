//! The sled storage adapter of the crm library: embedded, zero set-up, durable.
//!
//! [`SledStore`] implements the storage port [`crm_core::store::Store`] on a
//! [sled](https://docs.rs/sled/0.34) database in a directory. It holds no business rule: it
//! stores, indexes, scans and commits; filtering, ordering and paging are done by the core's
//! own query engine ([`crm_core::store::eval`]), so its answers are the memory store's answers,
//! and the conformance suite proves it.
//!
//! ```
//! # futures::executor::block_on(async {
//! use crm_core::store::{Commit, Store, Entity};
//! use crm_core::settings::{Sequence, SEQUENCE};
//! use crm_storage_sled::SledStore;
//!
//! let dir = tempfile::tempdir()?;
//! let store = SledStore::open(dir.path().join("crm"))?;
//! let seq = Sequence { id: uuid::Uuid::now_v7(), name: "order-no".into(), next: 1 };
//! let mut commit = Commit::new();
//! commit.insert(seq.to_record());
//! store.commit(commit).await?;
//! let stored = store.get(&SEQUENCE, seq.id).await?.expect("committed");
//! assert_eq!(stored.version, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Layout
//!
//! Everything is in one sled tree, `data`, whose keys start with a tag and a name ended by
//! `0x00`, so that each kind and each index is one contiguous key range (schema version 3; the
//! version is kept in the tree `meta`):
//!
//! | key                                | value                          |
//! |------------------------------------|--------------------------------|
//! | `r` kind `0` id                    | version and column values      |
//! | `u` index `0` key tuple            | 16 id bytes of the holder      |
//! | `i` index `0` key tuple ++ id      | the other ids listed (16 bytes each), often none |
//! | `c` kind `0` id                    | u64 count of referring records |
//! | `f` target `0` kind `0` index      | the index's key prefix         |
//!
//! # Commits: checks under the lock, then one atomic batch
//!
//! This process is the only writer of the directory (sled locks it), and the store runs every
//! commit under its own lock (the one that keeps the record cache exact). So a commit checks
//! everything by reading the tree — versions, existence, unique keys, that reference targets
//! exist, that a deleted record is no longer referred to — knowing nothing can change it before
//! its writes, and then applies all its writes as **one `sled::Batch`** (`Tree::apply_batch`).
//! sled applies a batch to one tree atomically for readers and across crashes: in sled 0.34.7
//! `apply_batch` pins the log before its first write and seals the batch after its last, and
//! recovery stops before a batch whose end is not on disk (the mechanism sled's transactions
//! use for their own commit). A commit therefore needs no sled transaction: the earlier layout
//! (schema 1: a tree per kind and per index, each commit a `TransactionalTrees` transaction,
//! 15 entries per imported customer) ran its import at 60 % of the rate sled wrote the same
//! entries raw, and at 18 % of the raw records alone (`docs/adr/0005-sled-layout.md`).
//!
//! **Which indexes are stored.** Every unique index (they decide commits; a key with a `Null`
//! part is not stored and never conflicts, as in SQL), and every non-unique index but three:
//! the customer's creation time and region and the contact's mobile, attribute columns that
//! only searches filter or sort on. A customer search loads the customer kind into the record
//! cache, whose value maps then answer them (with the cache off, a scan does); storing them
//! cost four of the fifteen sled writes of an imported customer. The stored ones are look-ups
//! of the records that belong to or mention another record (a customer's contacts, a record's
//! audit entries, an employee's customers) or by an identifying value (a credit code, a
//! tracking number), answered from sled without loading a kind into memory. A non-unique
//! index lists every record whose first indexed value is not null (a null equals nothing).
//! Indexes only narrow candidates; `eval` decides every match, so what is stored never
//! changes an answer.
//!
//! **Existence by range.** A commit that inserts many records of a kind (an import batch)
//! checks that their ids are new by one range scan over the kind's keys between its lowest
//! and highest new id, rather than a read per record: ids are mostly time-ordered (UUID v7),
//! so that range holds few stored records (when it holds many, the records are read one by
//! one).
//!
//! **References.** A Restrict or Cascade reference that a stored index of the referring kind
//! lists (the reference column first) costs nothing extra: deleting its target scans that
//! index for the target's id, minding the records the same commit deletes or re-points. The
//! first commit writing such a reference registers the index under the target kind (`f`
//! keys, read at open), so a delete knows what to scan. A reference no stored index lists is
//! counted (`c` keys).
//!
//! **Shared index entries.** A non-unique index entry lists the records of one key tuple that
//! one commit wrote, up to 256: its key ends with the smallest of their ids and its value holds
//! the others (a record written alone has an entry to itself with an empty value, the layout
//! of schema 2, which this version opens as it is). An import batch's customers of one owner,
//! its audit entries (one actor, one time) and each customer's contacts then take one entry
//! each. A record leaving a key tuple is found in its entry by a short backward scan from
//! `tuple ++ id` (ids are mostly time-ordered, so the entry is the first one met), and the
//! entry is written again without it. An imported customer with two contacts thus costs about
//! 7 entries: the customer and its name key, two contacts and one entry listing them, the
//! audit entry and its record entry, and a share of the batch's owner and actor entries
//! (10 entries in schema 2; `docs/adr/0005-sled-layout.md`).
//!
//! Record values use a compact tag-and-payload encoding (decimals in their 16-byte form, which
//! keeps the scale; timestamps as microseconds, the precision every adapter stores; JSON as its
//! text). Index keys use an order-preserving encoding (`Null` first, integers big-endian with
//! the sign flipped, text escaped and terminated, decimals as sign, exponent and digits so that
//! 1.0 and 1.00 are one key), so an index lists its entries in value order: equality
//! look-ups are prefix scans, and range scans are possible.
//!
//! # Queries, and why there is a record cache
//!
//! The performance target is a multi-criteria customer search over 100,000 customers in under
//! 10 ms (median). Decoding 100,000 records from sled for every search takes far longer (and
//! even evaluating 100,000 decoded records with `eval` takes 25–40 ms on the 2-core reference
//! machine, because each record is a cache miss), while most customer searches cannot start
//! from a sled index: a name that *contains* some text, a manager's visibility filter that is
//! an `Or`, a level that is not indexed. So:
//!
//! 1. **Record cache.** A kind is decoded once into an in-process cache the first time a query
//!    has to scan it ([`CachePolicy::OnFirstScan`], the default; [`SledStore::preload`] does it
//!    up front). The cache is exact, never stale: this process is the only writer (sled locks
//!    its directory) and every commit updates the cache under the same lock as its checks
//!    and batch, so readers see a commit whole or not at all.
//! 2. **Candidate maps.** Next to the records, the cache builds — on first use, per column, and
//!    maintained by every commit after that — a value map for columns compared with `Eq`, `In`,
//!    `Range` or `IsNull`, a map of characters and character pairs for text searched with
//!    `Contains` (a record containing the needle contains all of its pairs), and a map of
//!    elements for JSON arrays searched with `JsonHasAny`. A query intersects the lists of its
//!    most selective criteria (`And`) and unites those of the branches of an `Or` (the
//!    visibility filter), so only a few candidates reach `eval`.
//! 3. **Sort-order walk.** When a paged query still matches a large share of the kind (the
//!    unfiltered list, newest first), the page is found by walking the value map of its first
//!    sort column in order, rather than sorting every match; the total is still counted with
//!    `eval::matches` over all candidates.
//!
//! None of this decides a match: candidate lists are supersets, and every candidate goes
//! through `eval::matches`, `eval::compare` and `eval::run`, so answers are those of the
//! memory store by construction (`tests/equivalence.rs` checks hundreds of query shapes
//! against it, before and after changes). Measured at 100,000 customers (`tests/search_perf.rs`,
//! release build): multi-criteria searches 0.1–5 ms, median 0.4 ms; listing every customer
//! with a total, 12 ms as an administrator (95,000 matches to count) and 8 ms for a manager of
//! a fifth of them.
//!
//! The price is memory: the decoded records of every cached kind (roughly 1–2 KB per customer)
//! plus the maps its queries use. Kinds that are only ever read by id or through an index (the
//! audit log by record or actor) are never cached; [`CachePolicy::Off`] turns the cache off
//! entirely. Without the cache, a query whose filter pins `id` reads those records by key, one
//! that pins the first column of a stored index to a few values prefix-scans that index, and
//! anything else decodes the whole kind tree; `eval` answers in every case.
//!
//! # sled's page cache
//!
//! Apart from the record cache, sled keeps its own cache of pages, sized by
//! [`SledOptions::cache_capacity`] (64 MiB by default). sled's own default of 1 GiB is not a
//! bound on the heap it uses: a 1,000,000-customer import peaked at 2,366 MiB resident with
//! it, and at 487 MiB with 64 MiB, no slower.
//!
//! # The writer thread
//!
//! Each store has one writer thread. [`Store::commit`] hands its commit to it and awaits the
//! answer: the thread checks and applies commits one at a time, in the order they arrive, and
//! (by default) flushes before it answers. The committing task is free meanwhile, so an import
//! reads and checks its next batch while sled applies and flushes the previous one, and the
//! committing task's thread is not blocked by the commit or its fsync (reads still wait for
//! the commit lock while a commit is applied). With [`Durability::FlushEachCommit`], commits
//! that arrive while another is being applied are flushed together (one fsync for up to 64 of
//! them), each still answered only once it is on disk. A commit whose future is dropped after
//! it was handed over is still applied whole: like a commit whose acknowledgement was lost.
//! Dropping the store waits for the commits already handed over.
//!
//! # Durability
//!
//! sled 0.34 makes a write durable only once it is flushed. With the default
//! [`Durability::FlushEachCommit`], [`Store::commit`] returns
//! only after the commit is flushed to disk. With [`Durability::Batched`] it returns as soon as
//! the commit is applied; the host calls [`SledStore::flush`] itself (on a timer, at the end of
//! an import), and sled also flushes in the background about every half second. A crash may
//! then lose the last commits, but never leaves part of one: a batch is recovered whole or not
//! at all.
//!
//! # Capabilities
//!
//! Durable; one process at a time (sled locks the directory), any number of tasks and threads
//! inside it.

mod cache;
mod codec;
mod commit;
mod group;
mod keys;
mod writer;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use crm_core::store::{
    aggregate, eval, Aggregate, AggregateRow, Capabilities, Commit, Kind, Page, Query, Record,
    Store, Value,
};
use crm_core::{Error, Result};
use sled::{Db, Tree};
use uuid::Uuid;

use crate::cache::KindCache;

/// The version of the on-disk layout this build writes and reads. A store written by a newer
/// version is refused at open, never misread.
pub const SCHEMA_VERSION: u32 = 3;

/// The oldest layout this build opens. A schema-2 store is a schema-3 store whose index
/// entries each list one record (`group`), so it is opened as it is and marked 3.
const OLDEST_READABLE: u32 = 2;

/// Tree names.
pub(crate) mod names {
    /// Every record, index entry and reference count (key layout in `keys`).
    pub(crate) const DATA: &str = "data";
    /// Store metadata.
    pub(crate) const META: &str = "meta";
    /// Key of the schema version in [`META`].
    pub(crate) const SCHEMA_KEY: &[u8] = b"schema_version";
}

/// When a commit is on disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// A commit returns only after it is flushed to disk (`sled::Db::flush`). The default.
    #[default]
    FlushEachCommit,
    /// A commit returns once applied; the host calls [`SledStore::flush`] itself (for example on
    /// a timer, or after a batch import), and sled flushes in the background about every 500 ms.
    /// A crash may lose the last commits, but never leaves part of a commit.
    Batched,
}

/// Which kinds are kept decoded in memory (see the crate documentation for why).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CachePolicy {
    /// A kind is loaded into memory the first time a query has to scan it, and kept current by
    /// every commit after that. Kinds read only by id or through an index are never loaded. The
    /// default.
    #[default]
    OnFirstScan,
    /// Nothing is cached: every read decodes from sled.
    Off,
}

/// The default of [`SledOptions::cache_capacity`]: 64 MiB.
pub const DEFAULT_CACHE_CAPACITY: u64 = 64 * 1024 * 1024;

/// Options for [`SledStore::open_with`].
///
/// ```
/// use crm_storage_sled::{Durability, SledOptions, DEFAULT_CACHE_CAPACITY};
/// let opts = SledOptions { durability: Durability::Batched, ..SledOptions::default() };
/// assert_eq!(opts.durability, Durability::Batched);
/// assert_eq!(opts.cache_capacity, DEFAULT_CACHE_CAPACITY);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SledOptions {
    /// When a commit is on disk.
    pub durability: Durability,
    /// Which kinds are kept decoded in memory.
    pub cache: CachePolicy,
    /// The size in bytes of sled's own page cache (`sled::Config::cache_capacity`), separate
    /// from the record cache of [`CachePolicy`]. Default [`DEFAULT_CACHE_CAPACITY`] (64 MiB).
    ///
    /// sled's own default is 1 GiB, and that figure is not a bound on the heap sled uses for
    /// its cache: a 1,000,000-customer import with it peaked at 2,366 MiB resident. With
    /// 64 MiB the same import peaked at 487 MiB and was not slower (`benches/RESULTS.md`,
    /// §5). The peak still grows slowly with the size of the store (sled's own structures),
    /// whatever this figure. A larger cache helps only read-heavy use of records that are not
    /// in the record cache (for example the audit log of a large store).
    pub cache_capacity: u64,
    /// The most records of one kind the record cache holds (default
    /// [`DEFAULT_CACHE_MAX_RECORDS`]). A kind found larger while loading is not cached: its
    /// queries read sled each time and its aggregates stream over it in chunks. This keeps
    /// kinds that only grow — the stock ledger, with millions of entries — from taking the
    /// process's memory (decoded records cost 1–2 KB each), while customers, products and
    /// orders of an ordinary company stay cached.
    pub cache_max_records: usize,
}

/// The default of [`SledOptions::cache_max_records`]: 1,000,000 records of one kind.
pub const DEFAULT_CACHE_MAX_RECORDS: usize = 1_000_000;

impl Default for SledOptions {
    fn default() -> Self {
        SledOptions {
            durability: Durability::default(),
            cache: CachePolicy::default(),
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            cache_max_records: DEFAULT_CACHE_MAX_RECORDS,
        }
    }
}

/// The most decoded records an aggregate over an uncached kind holds at once (fewer when
/// [`SledOptions::cache_max_records`] is smaller).
const AGGREGATE_CHUNK: usize = 65_536;

struct State {
    /// The loaded kinds, by name.
    caches: HashMap<&'static str, KindCache>,
    /// Kinds found larger than [`SledOptions::cache_max_records`]: never loaded again (a kind
    /// that outgrew the cache rarely shrinks back, and each attempt decodes it whole).
    too_large: HashSet<&'static str>,
    /// Which indexes list the records referring to each kind.
    referrers: commit::Referrers,
}

/// A [`Store`] on a sled database. See the crate documentation for layout, caching and
/// durability.
pub struct SledStore {
    shared: Arc<Shared>,
    writer: writer::Writer,
}

/// What the store's handle and its writer thread share.
pub(crate) struct Shared {
    db: Db,
    data: Tree,
    options: SledOptions,
    // A std RwLock, not an async one: it is never held across an await point. Commits take it
    // for writing around the checks, the batch and the cache update, so a reader (which takes
    // it for reading) sees every commit whole or not at all.
    state: RwLock<State>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

fn backend(e: sled::Error) -> Error {
    Error::backend(e)
}

impl SledStore {
    /// Opens (or creates) the store in the directory `path`, with default options.
    ///
    /// # Errors
    /// [`Error::Backend`] when the directory cannot be opened (for example because another
    /// process has it open: after waiting up to 2 s for the lock, since a handle closed just
    /// before releases it from sled's background threads) or holds a store written by a newer
    /// version of this crate.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SledOptions::default())
    }

    /// Opens (or creates) the store in the directory `path`.
    ///
    /// # Errors
    /// As [`SledStore::open`].
    pub fn open_with(path: impl AsRef<Path>, options: SledOptions) -> Result<Self> {
        let db = open_db(path.as_ref(), options.cache_capacity)?;
        check_schema(&db)?;
        let data = db.open_tree(names::DATA).map_err(backend)?;
        let referrers = commit::Referrers::load(&data)?;
        let shared = Arc::new(Shared {
            db,
            data,
            options,
            state: RwLock::new(State {
                caches: HashMap::new(),
                too_large: HashSet::new(),
                referrers,
            }),
        });
        let writer = writer::Writer::start(Arc::clone(&shared))?;
        Ok(SledStore { shared, writer })
    }

    /// The options the store was opened with.
    pub fn options(&self) -> SledOptions {
        self.shared.options
    }

    /// Flushes every commit so far to disk; returns when they are durable. Needed only with
    /// [`Durability::Batched`]. Blocks the calling thread for the fsync; from an async runtime,
    /// call it where blocking is allowed (for example tokio's `spawn_blocking`).
    ///
    /// # Errors
    /// [`Error::Backend`] on I/O failure.
    pub fn flush(&self) -> Result<()> {
        self.shared.flush()
    }

    /// Loads a kind into the record cache now rather than at its first scanning query (for
    /// example at start-up, so that the first customer search is as fast as the others). Does
    /// nothing when the cache is off or the kind is already loaded.
    ///
    /// # Errors
    /// [`Error::Backend`] when a stored record cannot be read.
    pub fn preload(&self, kind: &'static Kind) -> Result<()> {
        if self.shared.options.cache == CachePolicy::Off {
            return Ok(());
        }
        let mut state = self.write();
        if state.caches.contains_key(kind.name) || state.too_large.contains(kind.name) {
            return Ok(());
        }
        let mut cache = KindCache::new(kind);
        for (n, r) in self.scan_kind(kind).enumerate() {
            if n >= self.shared.options.cache_max_records {
                state.too_large.insert(kind.name);
                return Ok(());
            }
            cache.put(r?);
        }
        state.caches.insert(kind.name, cache);
        Ok(())
    }

    /// Every stored record of a kind, decoded.
    fn scan_kind(&self, kind: &'static Kind) -> impl Iterator<Item = Result<Record>> + '_ {
        let prefix = keys::kind_prefix(kind.name);
        let skip = prefix.len();
        self.shared.data.scan_prefix(prefix).map(move |item| {
            let (k, v) = item.map_err(backend)?;
            let id = codec::id_from_key(k.get(skip..).unwrap_or_default())?;
            codec::decode_record(kind, id, &v)
        })
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.shared.read()
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.shared.write()
    }

    fn decode_ids(
        &self,
        kind: &'static Kind,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(v) = self
                .shared
                .data
                .get(keys::record(kind.name, &id))
                .map_err(backend)?
            {
                out.push(codec::decode_record(kind, id, &v)?);
            }
        }
        Ok(out)
    }

    /// The records a query must look at when it can start from sled keys: the pinned ids, or
    /// the records a stored index lists for the pinned values of its leading columns (the
    /// index pinning the most of them; an invoice found by code and number reads one key, not
    /// every invoice of the code). `None` when the query has to scan the whole kind.
    fn indexed_candidates(&self, query: &Query) -> Result<Option<Vec<Record>>> {
        let kind = query.kind;
        if let Some(vals) = eval::pinned_values(&query.filter, "id") {
            let ids: BTreeSet<Uuid> = vals
                .into_iter()
                .filter_map(|v| match v {
                    Value::Id(id) => Some(*id),
                    _ => None,
                })
                .collect();
            return self.decode_ids(kind, ids).map(Some);
        }
        let best = kind
            .indexes
            .iter()
            .filter(|idx| keys::lists_every_record(kind, idx))
            .filter_map(|idx| {
                let prefixes = pinned_prefixes(idx, &query.filter)?;
                Some((idx, prefixes))
            })
            // The first of the indexes pinning the most columns.
            .min_by_key(|(_, (_, depth))| std::cmp::Reverse(*depth));
        if let Some((idx, (prefixes, _))) = best {
            let mut ids = BTreeSet::new();
            for p in prefixes {
                for item in self.shared.data.scan_prefix(p) {
                    let (k, v) = item.map_err(backend)?;
                    if idx.unique {
                        ids.insert(codec::id_from_key(&v)?);
                    } else {
                        ids.extend(group::members(&k, &v)?);
                    }
                }
            }
            return self.decode_ids(kind, ids).map(Some);
        }
        Ok(None)
    }

    /// Answers from the record cache of `query`'s kind: at once when the cache holds the kind
    /// with every value map the query could use; otherwise, unless `not_loaded` answers (asked
    /// only when the kind is not in the cache), after loading the kind and building those maps
    /// (once). `None` when the cache is off, or the kind was evicted meanwhile (see `commit`):
    /// the caller then reads sled directly.
    fn answer_cached<T>(
        &self,
        query: &Query,
        not_loaded: impl FnOnce() -> Result<Option<T>>,
        answer: impl Fn(&KindCache) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.shared.options.cache == CachePolicy::Off {
            return Ok(None);
        }
        {
            let state = self.read();
            match state.caches.get(query.kind.name) {
                Some(cache) if !cache.lacks_maps(query) => return answer(cache).map(Some),
                Some(_) => {}
                None => {
                    if let Some(found) = not_loaded()? {
                        return Ok(Some(found));
                    }
                }
            }
        }
        self.preload(query.kind)?;
        if self.read().too_large.contains(query.kind.name) {
            return Ok(None);
        }
        {
            let mut state = self.write();
            if let Some(cache) = state.caches.get_mut(query.kind.name) {
                cache.build_maps(query);
            }
        }
        let state = self.read();
        state.caches.get(query.kind.name).map(answer).transpose()
    }

    /// An aggregate answered from sled: the matching records folded a chunk at a time, so a
    /// kind of any size is aggregated in bounded memory. Counts of distinct values cannot be
    /// merged across chunks; such an aggregate folds all matching records at once.
    fn aggregate_uncached(&self, agg: &Aggregate) -> Result<Vec<AggregateRow>> {
        let query = Query::filter(agg.kind, agg.filter.clone());
        let _snapshot = self.read();
        if let Some(records) = self.indexed_candidates(&query)? {
            let matching = records.iter().filter(|r| eval::matches(&agg.filter, r));
            return aggregate::fold(agg, matching);
        }
        if !agg.distinct.is_empty() {
            let mut matching = Vec::new();
            for r in self.scan_kind(agg.kind) {
                let r = r?;
                if eval::matches(&agg.filter, &r) {
                    matching.push(r);
                }
            }
            return aggregate::fold(agg, &matching);
        }
        let size = self
            .shared
            .options
            .cache_max_records
            .clamp(1, AGGREGATE_CHUNK);
        let mut rows = Vec::new();
        let mut chunk = Vec::with_capacity(size);
        let mut records = self.scan_kind(agg.kind);
        loop {
            chunk.clear();
            for r in records.by_ref() {
                let r = r?;
                if eval::matches(&agg.filter, &r) {
                    chunk.push(r);
                    if chunk.len() == size {
                        break;
                    }
                }
            }
            if chunk.is_empty() {
                return Ok(rows);
            }
            let more = aggregate::fold(agg, &chunk)?;
            aggregate::merge(&mut rows, more)?;
        }
    }

    fn query_uncached(&self, query: &Query) -> Result<Page> {
        let _snapshot = self.read();
        let records = match self.indexed_candidates(query)? {
            Some(r) => r,
            None => self.scan_kind(query.kind).collect::<Result<Vec<_>>>()?,
        };
        let (records, total) = eval::run(query, records.iter());
        Ok(Page { records, total })
    }
}

impl Shared {
    /// Checks `commit` and applies it as one batch under the commit lock, then brings the
    /// record caches up to date. Does not flush. Runs on the writer thread.
    fn apply(&self, commit: &Commit) -> Result<()> {
        let mut state = self.write();
        let outcomes = match commit::apply(&self.data, &mut state.referrers, commit) {
            Ok(o) => o,
            Err(e) => {
                if matches!(e, Error::Backend(_)) {
                    // sled failed part-way (I/O): it is the truth, so the caches reload
                    // from it on demand, and the referrer registrations are read again.
                    state.caches.clear();
                    if let Ok(r) = commit::Referrers::load(&self.data) {
                        state.referrers = r;
                    }
                }
                return Err(e);
            }
        };
        let mut evict = Vec::new();
        for o in outcomes {
            let Some(cache) = state.caches.get_mut(o.kind.name) else {
                continue;
            };
            match o.stored {
                Some(bytes) => match codec::decode_record(o.kind, o.id, &bytes) {
                    Ok(r) => cache.put(r),
                    // Cannot happen for bytes we just encoded; if it does, sled is the
                    // truth and the kind reloads on demand.
                    Err(_) => evict.push(o.kind.name),
                },
                None => cache.remove(&o.id),
            }
        }
        for name in evict {
            state.caches.remove(name);
        }
        // A kind that grew past the limit leaves the cache for good (the ledger of a new
        // company is small when first scanned and only grows).
        let limit = self.options.cache_max_records;
        let grown: Vec<&'static str> = state
            .caches
            .iter()
            .filter(|(_, c)| c.len() > limit)
            .map(|(name, _)| *name)
            .collect();
        for name in grown {
            state.caches.remove(name);
            state.too_large.insert(name);
        }
        Ok(())
    }

    /// Flushes every applied commit to disk.
    fn flush(&self) -> Result<()> {
        self.db.flush().map(drop).map_err(backend)
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        match self.state.read() {
            Ok(g) => g,
            Err(poisoned) => {
                drop(poisoned);
                drop(self.write());
                self.state.read().unwrap_or_else(PoisonError::into_inner)
            }
        }
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        match self.state.write() {
            Ok(g) => g,
            Err(poisoned) => {
                // A panic during a commit or a cache update: sled is the truth, so forget the
                // caches (they reload on demand), read the referrer registrations again and
                // carry on.
                let mut g = poisoned.into_inner();
                g.caches.clear();
                if let Ok(r) = commit::Referrers::load(&self.data) {
                    g.referrers = r;
                }
                self.state.clear_poison();
                g
            }
        }
    }
}

/// How long [`SledStore::open`] waits for the directory lock of a handle that is closing.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens the sled database. sled releases its directory lock from background threads shortly
/// after the last handle is dropped, so reopening right after closing (in the same process) can
/// find the lock still held: wait for it a little before giving up.
fn open_db(path: &Path, cache_capacity: u64) -> Result<Db> {
    let started = std::time::Instant::now();
    loop {
        match sled::Config::new()
            .path(path)
            .cache_capacity(cache_capacity)
            .open()
        {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e))
                if e.to_string().starts_with("could not acquire lock")
                    && started.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(backend(e)),
        }
    }
}

fn check_schema(db: &Db) -> Result<()> {
    let meta = db.open_tree(names::META).map_err(backend)?;
    match meta.get(names::SCHEMA_KEY).map_err(backend)? {
        None => mark_schema(db, &meta),
        Some(v) => {
            let found = <[u8; 4]>::try_from(&v[..])
                .map(u32::from_be_bytes)
                .map_err(|_| Error::backend_msg("sled store: unreadable schema version"))?;
            if found == SCHEMA_VERSION {
                Ok(())
            } else if (OLDEST_READABLE..SCHEMA_VERSION).contains(&found) {
                // Marked before anything of the newer layout is written, so that a build that
                // reads only the older one refuses the store from then on.
                mark_schema(db, &meta)
            } else if found > SCHEMA_VERSION {
                Err(Error::backend_msg(format!(
                    "sled store: written by schema version {found}, newer than the version this \
                     build reads ({SCHEMA_VERSION}); open it with a newer crm-storage-sled"
                )))
            } else {
                Err(Error::backend_msg(format!(
                    "sled store: schema version {found} is older than {SCHEMA_VERSION} and no \
                     migration from it exists"
                )))
            }
        }
    }
}

/// Records this build's schema version in `meta`, durably.
fn mark_schema(db: &Db, meta: &Tree) -> Result<()> {
    meta.insert(names::SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes()[..])
        .map_err(backend)?;
    db.flush().map_err(backend)?;
    Ok(())
}

#[async_trait]
impl Store for SledStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, false)
    }

    async fn get(&self, kind: &'static Kind, id: Uuid) -> Result<Option<Record>> {
        let state = self.read();
        if let Some(cache) = state.caches.get(kind.name) {
            return Ok(cache.get(&id).cloned());
        }
        Ok(self.decode_ids(kind, [id])?.pop())
    }

    async fn get_many(&self, kind: &'static Kind, ids: &[Uuid]) -> Result<Vec<Record>> {
        let state = self.read();
        if let Some(cache) = state.caches.get(kind.name) {
            return Ok(ids.iter().filter_map(|id| cache.get(id)).cloned().collect());
        }
        self.decode_ids(kind, ids.iter().copied())
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        query.check_columns()?;
        // A kind not loaded yet may be answered from sled's own indexes without loading it.
        let by_index = || {
            Ok(self.indexed_candidates(query)?.map(|records| {
                let (records, total) = eval::run(query, records.iter());
                Page { records, total }
            }))
        };
        match self.answer_cached(query, by_index, |cache| Ok(cache.query(query)))? {
            Some(page) => Ok(page),
            None => self.query_uncached(query),
        }
    }

    async fn aggregate(&self, agg: &Aggregate) -> Result<Vec<AggregateRow>> {
        agg.check()?;
        let query = Query::filter(agg.kind, agg.filter.clone());
        match self.answer_cached(&query, || Ok(None), |cache| cache.aggregate(agg))? {
            Some(rows) => Ok(rows),
            None => self.aggregate_uncached(agg),
        }
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        if commit.is_empty() {
            return Ok(());
        }
        // Checked, applied and (by default) flushed on the writer thread (`writer`).
        self.writer.commit(commit).await
    }
}

/// Look-ups a query may start from one index before it is read key by key at all: beyond this
/// many combinations of pinned values, the columns after the first are left to the filter.
const MAX_PREFIXES: usize = 64;

/// The key prefixes of `idx` under which every record `filter` can match is listed: the
/// index's head followed by the pinned values of as many of its leading columns as the filter
/// pins, with how many columns that is. `None` when the filter does not pin the first column.
/// (A pinned `Null` equals nothing, so it adds no prefix.)
fn pinned_prefixes(
    idx: &crm_core::store::Index,
    filter: &crm_core::store::Filter,
) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut prefixes = vec![keys::index_prefix(idx)];
    let mut depth = 0;
    for column in idx.columns {
        let Some(values) = eval::pinned_values(filter, column) else {
            break;
        };
        let values: Vec<&Value> = values.into_iter().filter(|v| !v.is_null()).collect();
        if depth > 0 && prefixes.len().saturating_mul(values.len()) > MAX_PREFIXES {
            break;
        }
        prefixes = prefixes
            .iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut key = p.clone();
                    codec::put_key_value(&mut key, v);
                    key
                })
            })
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        depth += 1;
    }
    (depth > 0).then_some((prefixes, depth))
}
