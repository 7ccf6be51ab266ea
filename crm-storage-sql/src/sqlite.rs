//! The SQLite store: one file, one writer connection, a few reader connections.
//!
//! Why this shape:
//! - SQLite has one writer at a time. Writers of this process queue for the single writer
//!   connection (held by the store behind a fair async lock, see `held`) instead of spinning in
//!   SQLite's busy handler; `busy_timeout` only matters when another process holds the lock.
//! - The writer and one reader connection are held by the store, not taken from sqlx's pool
//!   for every statement: an acquire and release costs about 28 µs, a third of a small read
//!   (`SELECT 1` through a pool 47 µs, on a held connection 15 µs). A read takes the held
//!   reader when it is free and a connection of the reader pool when it is not, so concurrent
//!   reads do not queue behind each other.
//! - Write transactions begin with `BEGIN IMMEDIATE`: the write lock is taken before the first
//!   read, so the version checks read what the commit will write over, and a deferred
//!   transaction can never fail half-way with "database is locked" when it upgrades.
//! - A commit's statements are sent together with its `BEGIN IMMEDIATE`, as one text: one round
//!   trip to the connection's worker thread instead of one per statement (a step of the
//!   order-to-cash flow writes six to ten records). The version checks are in the statements
//!   themselves (`WHERE version = ?`, rows affected checked; an assertion reads the version),
//!   and the first write that does not hold fails the commit with the error it would have had
//!   alone (see `apply_all`).
//! - An error rolls the transaction back before the connection is used again; a commit future
//!   dropped half-way closes its connection instead (a held one is opened again when next
//!   needed; see `Tx` for why not sqlx's own transactions), so no later commit inherits an
//!   open transaction or the write lock.
//! - WAL lets readers run beside the writer, each on a consistent snapshot; `synchronous=FULL`
//!   makes a commit durable once `commit` returns.
//! - The writer connection keeps its statement journals in memory (`temp_store = MEMORY`): a
//!   multi-row `INSERT` inside a transaction journals every page it changes so that it can be
//!   undone alone, and past 64 KiB SQLite writes that journal to a temporary file. The
//!   writer's statements change at most a commit's pages, so the memory is bounded by the
//!   commit; readers, whose sorts can be large, keep temporary files. It also checkpoints
//!   every [`WAL_CHECKPOINT_PAGES`] pages of log instead of every 1,000. Each took about a
//!   tenth off the import of 100,000 customers and off the raw engine writing the same rows
//!   into the same indexes (`benches/RESULTS.md` §1).
//!
//! Searching (measured on 100,000 customers with two contacts each, the benchmark's search of
//! `benches/adapters.rs`: a salesperson who sees 10,300 of them, name contains, three
//! provinces, two levels, by name, 20 a page with the total; 169 ms median before, 8.6 ms
//! after):
//! - Short `In` lists are written out, one parameter per value (`sql::IN_LIST_BIND_MAX`), so
//!   that the planner looks the salesperson's owner up in an index on `owner_id` instead
//!   of scanning the table.
//! - A page and its total come from one statement when the query has at most
//!   `sql::ONE_PASS_MAX` matches (`count(*) OVER ()` over the capped matches); past that, or
//!   for an empty page after the first, the count and the page run as two statements in one
//!   read transaction, as before. Totals are exact either way.
//! - Reader connections keep a page cache of [`READER_CACHE_KIB`] (64 MiB) instead of
//!   SQLite's 2 MiB: the search above touches about 40 MB of the customer table (a tenth of
//!   the rows, spread over nearly every page), which a 2 MiB cache reads again from the
//!   operating system on every search. The cache is per connection and only grows as pages
//!   are read, so the readers (the held one and three pooled) hold at most 4 × 64 MiB, and a
//!   small database much less. A
//!   larger store needs a larger cache for the same effect; mapping the file (`mmap_size`) was
//!   measured to help the first search only, and turns an I/O error into a crash, so it is
//!   left to the host.
//! - The planner has statistics: `PRAGMA optimize=0x10002` runs when the store opens, after
//!   the first [`OPTIMIZE_AFTER_WRITES`] records committed, and then after twice as many
//!   as the time before (up to [`OPTIMIZE_INTERVAL_MAX`]). It analyses only tables that have rows
//!   and no statistics, or that grew or shrank tenfold since they were analysed, on a sample
//!   (SQLite's limit of about 2,000 rows per index): an import of 100,000 customers analyses
//!   the customer table a handful of times at a few milliseconds each, and opening a store of
//!   100,000 customers that was never analysed takes about 150 ms once (a full `ANALYZE` of
//!   that file: 140 ms), then about 2 ms. Reader connections read the statistics when they
//!   load the schema: the first ones (creating `sqlite_stat1` changes the schema), later
//!   refreshes when a connection is next opened. Without statistics the plans above are the
//!   same; they keep the planner from guessing when the data are skewed.

use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use crm_core::store::{
    Aggregate, AggregateRow, Capabilities, ColumnType, Commit, Kind, Page, Prepared, Query, Record,
    Store, Value, Write,
};
use crm_core::{Error, Result};
use futures::TryStreamExt as _;
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::Sqlite;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{
    Arguments as _, ConnectOptions as _, Either, Executor as _, Row as _, SqliteConnection,
};
use uuid::Uuid;

use crate::held::{Held, Lease};
use crate::sql::{self, Arg, Dialect, Sql};
use crate::tx::{Conn, Tx};
use crate::{check_applied_migrations, db_code};

/// The embedded SQLite migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a writer waits for another process's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Reader connections per store: one held by the store, the others in the reader pool.
const READERS: u32 = 4;

/// The page cache of each reader connection, in KiB: `PRAGMA cache_size = -65536`, 64 MiB,
/// against SQLite's default of 2 MiB. See the module documentation for why.
pub const READER_CACHE_KIB: u32 = 65_536;

/// Pages the write-ahead log takes before the writer copies them into the database file
/// (`PRAGMA wal_autocheckpoint` on the writer connection), against SQLite's 1,000: 40 MiB of
/// log at 4 KiB pages. A commit of an import batch dirties a few hundred index pages, so with
/// 1,000 nearly every commit also checkpointed (an extra write and `fsync` of the database
/// file); with this many, a page written by several commits is copied once. Durability does
/// not change: every commit is in the `fsync`ed log before it returns. See the module
/// documentation.
pub const WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// Records written (inserted, updated or deleted) after which a commit first brings the
/// planner's statistics up to date (`PRAGMA optimize`) once it has committed. Each later run
/// waits for twice as many records as the one before it, up to [`OPTIMIZE_INTERVAL_MAX`]:
/// 10,000, then 20,000 more, 40,000 more, and so on.
///
/// Why not every 10,000: `PRAGMA optimize` ends by expiring every prepared statement of the
/// connection, whether or not it analysed anything, so the next commit parses its statements
/// again, and an import's multi-row `INSERT`s are long to parse. Run every 10,000 records, that
/// cost an import of 100,000 customers about 5 % of its time (`benches/RESULTS.md` §1).
/// Doubling keeps that to five runs for such an import (after 10,000, 30,000, 70,000, 150,000
/// and 310,000 records), while a store growing from empty is still looked at each time what
/// was written since it opened doubles: well within the tenfold change at which `optimize`
/// analyses a table again.
pub const OPTIMIZE_AFTER_WRITES: u64 = 10_000;

/// The most records written between two runs of `PRAGMA optimize` (see
/// [`OPTIMIZE_AFTER_WRITES`]): a store open for long keeps refreshing its statistics at least
/// this often.
pub const OPTIMIZE_INTERVAL_MAX: u64 = 640_000;

/// When the writer next brings the planner's statistics up to date: records written since the
/// last run, and how many the next run waits for.
#[derive(Debug)]
struct OptimizeSchedule {
    unanalyzed: AtomicU64,
    interval: AtomicU64,
}

impl OptimizeSchedule {
    fn new() -> Self {
        OptimizeSchedule {
            unanalyzed: AtomicU64::new(0),
            interval: AtomicU64::new(OPTIMIZE_AFTER_WRITES),
        }
    }

    /// Counts `written` records; true when they complete the interval, which then starts
    /// again, twice as long (up to [`OPTIMIZE_INTERVAL_MAX`]). Called after the writer is
    /// released, so two commits ending together may both run `optimize`, or count a few
    /// records into the next interval: the schedule is a rate, not a promise.
    fn due_after(&self, written: u64) -> bool {
        let interval = self.interval.load(Ordering::Relaxed);
        let before = self.unanalyzed.fetch_add(written, Ordering::Relaxed);
        if before.saturating_add(written) < interval {
            return false;
        }
        self.unanalyzed.store(0, Ordering::Relaxed);
        self.interval.store(
            interval.saturating_mul(2).min(OPTIMIZE_INTERVAL_MAX),
            Ordering::Relaxed,
        );
        true
    }
}

const D: Dialect = Dialect::Sqlite;

// SQLite extended result codes (https://sqlite.org/rescode.html).
const CONSTRAINT_PRIMARYKEY: &str = "1555";
const CONSTRAINT_UNIQUE: &str = "2067";
const CONSTRAINT_FOREIGNKEY: &str = "787";
const CONSTRAINT_CHECK: &str = "275";
const CONSTRAINT_NOTNULL: &str = "1299";

/// A [`Store`] on a SQLite database file.
///
/// ```no_run
/// # async fn demo() -> crm_core::Result<()> {
/// use crm_storage_sql::SqliteStore;
/// let store = SqliteStore::open("sqlite://crm.db").await?;
/// // hand it to the core as an Arc<dyn Store> …
/// store.close().await;
/// # Ok(()) }
/// ```
///
/// Several processes may open the same file (on a local file system: SQLite's locks do not
/// work over network file systems); every promise of the port holds between them, because the
/// version checks and the unique indexes are enforced inside SQLite's write lock. A writer in
/// another process waits up to [`BUSY_TIMEOUT`] for the lock.
///
/// Memory and statistics: each of its reader connections keeps a page cache of up to
/// [`READER_CACHE_KIB`] KiB (filled as pages are read), and the store brings SQLite's planner
/// statistics up to date when it opens and then at longer and longer intervals of records
/// committed ([`OPTIMIZE_AFTER_WRITES`]; `PRAGMA optimize`, sampled, on tables that changed
/// tenfold or were never analysed).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The one writer connection, held (commits queue for it in order).
    writer: Arc<Held>,
    /// The reader connection every read tries first.
    held_reader: Arc<Held>,
    /// Further readers, for reads beside a busy held reader, and for reports.
    reader: SqlitePool,
    /// When the planner's statistics are next brought up to date.
    optimize: Arc<OptimizeSchedule>,
}

fn backend(e: sqlx::Error) -> Error {
    Error::backend(e)
}

fn is_in_memory(options: &SqliteConnectOptions) -> bool {
    let f = options.get_filename().to_string_lossy();
    f == ":memory:" || f.starts_with("file:sqlx-in-memory-") || f.contains("mode=memory")
}

/// An in-memory database lives and dies with its connections, and this store closes a
/// connection whenever a commit is dropped half-way (see `tx`): it needs a file.
fn in_memory() -> Error {
    Error::invalid(
        "url",
        "the SQLite store needs a database file (a temporary one for tests); \
         for an in-memory store use crm_core::store::MemoryStore",
    )
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url` (`sqlite://path/to/crm.db` or
    /// `sqlite:crm.db`), and brings its schema up to date.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed URL or an in-memory database (use a file, a temporary
    /// one for tests, or `crm_core::store::MemoryStore`); [`Error::Backend`] when the file
    /// cannot be opened, a migration fails, or the database was written by a newer version of
    /// this library ([`crate::SchemaTooNew`]).
    pub async fn open(url: &str) -> Result<Self> {
        if url.contains("mode=memory") {
            return Err(in_memory());
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("url", e))?
            .create_if_missing(true);
        Self::open_with(options).await
    }

    /// Opens (creating it if missing) the database file at `path`; see [`SqliteStore::open`].
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub async fn open_path(path: impl AsRef<Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::open_with(options).await
    }

    /// Opens a database with options of your own (file name, `create_if_missing`, extra
    /// pragmas). WAL, `synchronous=FULL`, foreign keys and [`BUSY_TIMEOUT`] are set on top:
    /// the store's promises depend on them.
    ///
    /// # Errors
    /// As [`SqliteStore::open`].
    pub async fn open_with(options: SqliteConnectOptions) -> Result<Self> {
        if is_in_memory(&options) {
            return Err(in_memory());
        }
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // The writer and one reader are held by the store, outside sqlx's pool: an acquire
        // and release through the pool costs about as much as a small statement (see `held`).
        let writer_options = options
            .clone()
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", WAL_CHECKPOINT_PAGES.to_string());
        let mut writer = writer_options.connect().await.map_err(backend)?;
        migrate(&mut writer).await?;
        // Statistics before the readers open, so that they plan with them from the start.
        optimize(&mut writer).await;
        let writer = Held::new(writer_options, writer);
        let reader_options = options
            .create_if_missing(false)
            .pragma("query_only", "ON")
            .pragma("cache_size", format!("-{READER_CACHE_KIB}"));
        let held_reader = reader_options.connect().await.map_err(backend)?;
        let held_reader = Held::new(reader_options.clone(), held_reader);
        // No ping before handing out a connection: it is a round trip to the connection's
        // worker thread on every operation, to detect a broken network that SQLite has not.
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS - 1)
            .test_before_acquire(false)
            .connect_with(reader_options)
            .await
            .map_err(backend)?;
        Ok(SqliteStore {
            writer: Arc::new(writer),
            held_reader: Arc::new(held_reader),
            reader,
            optimize: Arc::new(OptimizeSchedule::new()),
        })
    }

    /// The reader pool, for reports in plain SQL (see the crate documentation for the
    /// encodings). Its connections are read-only (`query_only`): write only through
    /// [`Store::commit`], which keeps versions and references.
    pub fn pool(&self) -> &SqlitePool {
        &self.reader
    }

    /// Closes every connection, waiting for those in use to come back. The store refuses work
    /// afterwards.
    pub async fn close(&self) {
        self.held_reader.close().await;
        self.reader.close().await;
        self.writer.close().await;
    }

    /// A reader connection: the held one when it is free, else one from the reader pool, so
    /// that concurrent reads do not queue behind each other.
    async fn read_conn(&self) -> Result<Reader<'_>> {
        if let Some(lease) = self.held_reader.try_lock().await {
            return lease.map(Reader::Held).map_err(backend);
        }
        self.reader
            .acquire()
            .await
            .map(Reader::Pooled)
            .map_err(backend)
    }
}

/// A reader connection, held by the store or taken from the reader pool.
enum Reader<'a> {
    Held(Lease<'a>),
    Pooled(PoolConnection<Sqlite>),
}

impl std::ops::Deref for Reader<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            Reader::Held(c) => c,
            Reader::Pooled(c) => c,
        }
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Reader::Held(c) => c,
            Reader::Pooled(c) => c,
        }
    }
}

impl Conn<Sqlite> for Reader<'_> {
    fn discard(&mut self) {
        match self {
            Reader::Held(c) => c.discard(),
            Reader::Pooled(c) => c.discard(),
        }
    }
}

/// Refuses a database with migrations this library does not know, then applies the missing
/// ones.
async fn migrate(conn: &mut SqliteConnection) -> Result<()> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    if exists > 0 {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        check_applied_migrations(&MIGRATOR, &applied)?;
    }
    MIGRATOR.run(conn).await.map_err(Error::backend)
}

/// Brings the planner's statistics up to date where they are missing or stale:
/// `PRAGMA optimize=0x10002` runs `ANALYZE` on every table that has rows and an index without
/// statistics, or has grown or shrunk tenfold since it was last analysed, each on a sample of
/// about 2,000 rows per index (SQLite 3.46's default limit for `optimize`), and on no other
/// table. It only improves plans, so a failure (a busy database, a read-only file) is not the
/// caller's failure and is ignored.
async fn optimize(writer: &mut SqliteConnection) {
    let _ = sqlx::query("PRAGMA optimize=0x10002").execute(writer).await;
}

fn arguments(args: Vec<Arg>) -> Result<SqliteArguments<'static>> {
    let mut out = SqliteArguments::default();
    for a in args {
        match a {
            Arg::Null(_) => out.add(None::<i64>),
            Arg::Int(i) => out.add(i),
            Arg::Text(s) => out.add(s),
            Arg::Bytes(b) => out.add(b),
            other => {
                return Err(Error::backend_msg(format!(
                    "not a SQLite argument: {other:?}"
                )))
            }
        }
        .map_err(Error::Backend)?;
    }
    Ok(out)
}

async fn fetch_all(conn: &mut SqliteConnection, sql: Sql) -> Result<Vec<SqliteRow>> {
    let args = arguments(sql.args)?;
    sqlx::query_with(&sql.text, args)
        .fetch_all(conn)
        .await
        .map_err(backend)
}

/// The number of records matching a query's filter.
async fn count(conn: &mut SqliteConnection, query: &Query) -> Result<u64> {
    let q = sql::count(D, query)?;
    let total: i64 = sqlx::query_scalar_with(&q.text, arguments(q.args)?)
        .fetch_one(conn)
        .await
        .map_err(backend)?;
    Ok(u64::try_from(total).unwrap_or_default())
}

async fn fetch_optional(
    conn: &mut SqliteConnection,
    sql: Sql,
) -> std::result::Result<Option<SqliteRow>, sqlx::Error> {
    let args = arguments(sql.args).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    sqlx::query_with(&sql.text, args).fetch_optional(conn).await
}

async fn execute(conn: &mut SqliteConnection, sql: Sql) -> std::result::Result<u64, sqlx::Error> {
    let args = arguments(sql.args).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    sqlx::query_with(&sql.text, args)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

fn text(kind: &Kind, col: &str, row: &SqliteRow, i: usize) -> Result<Option<String>> {
    row.try_get::<Option<String>, _>(i)
        .map_err(|e| sql::corrupt(kind, col, e))
}

fn int(kind: &Kind, col: &str, row: &SqliteRow, i: usize) -> Result<Option<i64>> {
    row.try_get::<Option<i64>, _>(i)
        .map_err(|e| sql::corrupt(kind, col, e))
}

fn uuid(kind: &Kind, col: &str, s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| sql::corrupt(kind, col, e))
}

/// Decodes column `i` of a row as a value of type `ty` (`col` names it in errors).
fn decode_value(
    kind: &Kind,
    col: &str,
    ty: ColumnType,
    row: &SqliteRow,
    i: usize,
) -> Result<Value> {
    Ok(match ty {
        ColumnType::Int => int(kind, col, row, i)?.map(Value::Int),
        ColumnType::Bool => int(kind, col, row, i)?.map(|b| Value::Bool(b != 0)),
        ColumnType::Decimal => {
            int(kind, col, row, i)?.map(|m| Value::Decimal(sql::micros_to_decimal(m)))
        }
        ColumnType::Text => text(kind, col, row, i)?.map(Value::Text),
        ColumnType::Date => match text(kind, col, row, i)? {
            Some(s) => Some(Value::Date(
                sql::parse_date(&s).ok_or_else(|| sql::corrupt(kind, col, &s))?,
            )),
            None => None,
        },
        ColumnType::Timestamp => match text(kind, col, row, i)? {
            Some(s) => Some(Value::Timestamp(
                sql::parse_timestamp(&s).ok_or_else(|| sql::corrupt(kind, col, &s))?,
            )),
            None => None,
        },
        ColumnType::Id => match text(kind, col, row, i)? {
            Some(s) => Some(Value::Id(uuid(kind, col, &s)?)),
            None => None,
        },
        ColumnType::Json => match text(kind, col, row, i)? {
            Some(s) => Some(Value::Json(
                serde_json::from_str(&s).map_err(|e| sql::corrupt(kind, col, e))?,
            )),
            None => None,
        },
        ColumnType::Bytes => row
            .try_get::<Option<Vec<u8>>, _>(i)
            .map_err(|e| sql::corrupt(kind, col, e))?
            .map(Value::Bytes),
    }
    .unwrap_or(Value::Null))
}

/// Reads aggregate rows of a kind: SQLite's encodings (decimals as millionths).
struct Columns(&'static Kind);

impl sql::AggregateColumns<SqliteRow> for Columns {
    fn key(&self, row: &SqliteRow, i: usize, column: &str, ty: ColumnType) -> Result<Value> {
        decode_value(self.0, column, ty, row, i)
    }

    fn count(&self, row: &SqliteRow, i: usize, column: &str) -> Result<u64> {
        Ok(u64::try_from(int(self.0, column, row, i)?.unwrap_or_default()).unwrap_or_default())
    }

    fn sum(&self, row: &SqliteRow, i: usize, column: &str) -> Result<rust_decimal::Decimal> {
        Ok(int(self.0, column, row, i)?
            .map(sql::micros_to_decimal)
            .unwrap_or_default())
    }
}

/// Decodes a row selected by [`sql::select`].
fn decode(kind: &'static Kind, row: &SqliteRow) -> Result<Record> {
    let id = text(kind, "id", row, 0)?.ok_or_else(|| sql::corrupt(kind, "id", "null"))?;
    let version =
        int(kind, "version", row, 1)?.ok_or_else(|| sql::corrupt(kind, "version", "null"))?;
    let mut values = Vec::with_capacity(kind.columns.len());
    for (n, c) in kind.columns.iter().enumerate() {
        values.push(decode_value(kind, c.name, c.ty, row, n + 2)?);
    }
    Ok(Record {
        kind,
        id: uuid(kind, "id", &id)?,
        version: sql::version_from_db(version)?,
        values,
    })
}

/// Which unique rule a record broke, and who holds the key: asked inside the failed commit's
/// transaction, which still holds the write lock, so the answer is exact.
async fn duplicate(conn: &mut SqliteConnection, record: &Record, e: &sqlx::Error) -> Result<Error> {
    let kind = record.kind;
    for index in kind.indexes.iter().filter(|i| i.unique) {
        let Some(q) = sql::holder(D, index, record) else {
            continue;
        };
        if let Some(row) = fetch_optional(conn, q).await.map_err(backend)? {
            let holder = text(kind, "id", &row, 0)?.unwrap_or_default();
            return Ok(Error::Duplicate {
                kind: kind.name,
                rule: index.name,
                existing: Some(holder),
            });
        }
    }
    // Nobody found (cannot happen under the write lock): name the rule from SQLite's message,
    // "UNIQUE constraint failed: table.a, table.b".
    let message = e
        .as_database_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_default();
    let columns: Vec<&str> = message
        .rsplit(": ")
        .next()
        .unwrap_or_default()
        .split(", ")
        .filter_map(|tc| tc.split_once('.').map(|(_, c)| c))
        .collect();
    match kind
        .indexes
        .iter()
        .find(|i| i.unique && i.columns == columns.as_slice())
    {
        Some(index) => Ok(Error::Duplicate {
            kind: kind.name,
            rule: index.name,
            existing: None,
        }),
        None => Err(Error::backend_msg(message)),
    }
}

/// Maps the failure of an `INSERT` (`insert`) or `UPDATE` of `record`.
async fn write_error(
    conn: &mut SqliteConnection,
    record: &Record,
    insert: bool,
    e: sqlx::Error,
) -> Error {
    let already_exists = || Error::AlreadyExists {
        kind: record.kind.name,
        id: record.id.to_string(),
    };
    match db_code(&e).as_deref() {
        Some(CONSTRAINT_PRIMARYKEY) => already_exists(),
        Some(CONSTRAINT_UNIQUE) => {
            // SQLite may check another unique index before the primary key: an insert of an
            // existing record is `AlreadyExists` whichever index spoke first.
            if insert {
                match stored_version(conn, record.kind, record.id).await {
                    Ok(Some(_)) => return already_exists(),
                    Ok(None) => {}
                    Err(other) => return other,
                }
            }
            match duplicate(conn, record, &e).await {
                Ok(dup) => dup,
                Err(other) => other,
            }
        }
        Some(CONSTRAINT_CHECK | CONSTRAINT_NOTNULL) => Error::invalid(
            record.kind.name,
            e.as_database_error()
                .map(|d| d.message().to_owned())
                .unwrap_or_default(),
        ),
        _ => backend(e),
    }
}

/// The stored version of a record, inside the commit's transaction.
async fn stored_version(conn: &mut SqliteConnection, kind: &Kind, id: Uuid) -> Result<Option<u64>> {
    match fetch_optional(conn, sql::version(D, kind, id, false))
        .await
        .map_err(backend)?
    {
        Some(row) => {
            let v = int(kind, "version", &row, 0)?.unwrap_or_default();
            Ok(Some(sql::version_from_db(v)?))
        }
        None => Ok(None),
    }
}

/// Applies one write inside the commit's transaction.
async fn apply(conn: &mut SqliteConnection, write: &Write) -> Result<()> {
    match write {
        Write::Insert(record) => {
            let q = sql::insert(D, record)?;
            if let Err(e) = execute(conn, q).await {
                return Err(write_error(conn, record, true, e).await);
            }
        }
        Write::Update { record, expected } => {
            let (kind, id) = (record.kind, record.id);
            let q = sql::update(D, record, sql::version_to_db(*expected).unwrap_or(-1))?;
            match execute(conn, q).await {
                Ok(1) => {}
                Ok(_) => {
                    let found = stored_version(conn, kind, id).await?;
                    return Err(sql::conflict(kind, id, *expected, found));
                }
                Err(e) => return Err(write_error(conn, record, false, e).await),
            }
        }
        Write::Delete { kind, id, expected } => {
            let q = sql::delete(D, kind, *id, sql::version_to_db(*expected).unwrap_or(-1));
            if execute(conn, q).await.map_err(backend)? != 1 {
                let found = stored_version(conn, kind, *id).await?;
                return Err(sql::conflict(kind, *id, *expected, found));
            }
        }
        Write::Assert { kind, id, expected } => {
            // The write lock is held: the version cannot move before the commit.
            let found = stored_version(conn, kind, *id).await?;
            if found != Some(*expected) {
                return Err(sql::conflict(kind, *id, *expected, found));
            }
        }
    }
    Ok(())
}

/// Whether an error is a constraint failure (SQLite undoes the statement, the transaction
/// stays open).
fn is_constraint(e: &sqlx::Error) -> bool {
    db_code(e)
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| c & 0xff == 19)
}

/// Runs of at least this many inserts of one kind go in one multi-row `INSERT` (a document's
/// lines, a record's audit entries); lower than [`sql::BATCH_MIN`], because on SQLite every
/// statement of a commit is sent in one round trip anyway and a shorter run only saves the
/// per-statement work.
const RUN_MIN: usize = 2;

/// How a commit's transaction begins: the write lock is taken before the first statement.
const BEGIN: &str = "BEGIN IMMEDIATE";

/// A batch of a commit is closed once it holds this many statements…
const BATCH_STATEMENTS: usize = 32;

/// …or this many arguments. An import batch of 500 customers with two contacts each binds
/// about 30,000, so its whole commit goes in one round trip: the engine's thread runs every
/// statement without waiting for the caller's thread, which is meanwhile reading and
/// preparing the next batch (with 2,000 each multi-row `INSERT` went alone, and the engine
/// waited for the caller between them: 60.6 % of the raw engine with the same indexes against
/// 69.4 %, `benches/RESULTS.md` §1). Every full batch of an import has the same text, so the
/// connection's statement cache (which holds texts, not statements) prepares it once.
const BATCH_ARGS: usize = 65_000;

/// The statement of a single write (an assertion reads the version, which the write lock
/// holds until the commit).
fn statement(write: &Write) -> Result<Sql> {
    Ok(match write {
        Write::Insert(record) => sql::insert(D, record)?,
        Write::Update { record, expected } => {
            sql::update(D, record, sql::version_to_db(*expected).unwrap_or(-1))?
        }
        Write::Delete { kind, id, expected } => {
            sql::delete(D, kind, *id, sql::version_to_db(*expected).unwrap_or(-1))
        }
        Write::Assert { kind, id, .. } => sql::version(D, kind, *id, false),
    })
}

/// Statements sent together, in one round trip: their text (behind the transaction's `BEGIN`
/// for the first batch of a commit) and arguments, ready to go.
struct Batch {
    /// Which of the plan's statements.
    statements: Range<usize>,
    /// Whether the text starts with the `BEGIN`.
    begins: bool,
    text: String,
    arguments: SqliteArguments<'static>,
}

/// How a commit is sent: its statements, each with the positions of the writes it carries, in
/// write order, up to the first write that cannot be stored (kept beside them: the commit
/// fails with it once the writes before it have been checked, as if they had been applied one
/// by one); and the statements grouped into batches with their text and arguments put
/// together. Made from the writes alone, so it can be made ahead of the commit
/// ([`Store::prepare`]), and then nothing is left to do between taking the writer and
/// sending the first batch.
struct Plan {
    statements: Vec<Range<usize>>,
    batches: Vec<Batch>,
    unstorable: Option<Error>,
}

impl Plan {
    /// The plan of `writes`, its first batch behind the transaction's [`BEGIN`].
    fn new(writes: &[Write]) -> Result<Plan> {
        let (statements, unstorable) = Self::statements(writes);
        let mut plan = Plan {
            statements: Vec::with_capacity(statements.len()),
            batches: Vec::new(),
            unstorable,
        };
        let mut statements = statements.into_iter().peekable();
        while statements.peek().is_some() {
            let first = plan.statements.len();
            let mut text = String::new();
            let mut args = Vec::new();
            let begins = plan.batches.is_empty();
            if begins {
                text.push_str(BEGIN);
                text.push_str("; ");
            }
            // A batch is closed once it holds BATCH_STATEMENTS statements or BATCH_ARGS
            // arguments.
            while plan.statements.len() - first < BATCH_STATEMENTS && args.len() < BATCH_ARGS {
                let Some((range, mut sql)) = statements.next() else {
                    break;
                };
                if plan.statements.len() > first {
                    text.push_str("; ");
                }
                text.push_str(&sql.text);
                args.append(&mut sql.args);
                plan.statements.push(range);
            }
            plan.batches.push(Batch {
                statements: first..plan.statements.len(),
                begins,
                text,
                arguments: arguments(args)?,
            });
        }
        Ok(plan)
    }

    /// The statements of `writes` (see [`Plan`]) and the first write that cannot be stored.
    fn statements(writes: &[Write]) -> (Vec<(Range<usize>, Sql)>, Option<Error>) {
        let mut out = Vec::new();
        let one = |out: &mut Vec<(Range<usize>, Sql)>, i: usize, write: &Write| {
            statement(write).map(|sql| out.push((i..i + 1, sql))).err()
        };
        let mut i = 0;
        while let Some(write) = writes.get(i) {
            let run = sql::insert_run(&writes[i..]);
            if let (true, Write::Insert(first)) = (run >= RUN_MIN, write) {
                let rows = sql::batch_rows(first.kind).max(1);
                let mut start = i;
                while start < i + run {
                    let end = (start + rows).min(i + run);
                    let records: Vec<&Record> = writes[start..end]
                        .iter()
                        .filter_map(|w| match w {
                            Write::Insert(r) => Some(r),
                            _ => None,
                        })
                        .collect();
                    match sql::insert_many(D, &records) {
                        Ok(sql) => out.push((start..end, sql)),
                        Err(_) => {
                            // The record at fault is named by the record-by-record statements.
                            for (j, w) in writes.iter().enumerate().skip(start) {
                                if let Some(e) = one(&mut out, j, w) {
                                    return (out, Some(e));
                                }
                            }
                            return (out, None);
                        }
                    }
                    start = end;
                }
                i += run;
            } else {
                if let Some(e) = one(&mut out, i, write) {
                    return (out, Some(e));
                }
                i += 1;
            }
        }
        (out, None)
    }
}

/// Whether a statement's outcome is what its write expects: an update or delete changed its
/// one row (its `WHERE` checked the version), an assertion read the expected version.
fn holds(write: &Write, changes: u64, read: Option<i64>) -> bool {
    match write {
        Write::Insert(_) => true,
        Write::Update { .. } | Write::Delete { .. } => changes == 1,
        Write::Assert { expected, .. } => {
            read.and_then(|v| u64::try_from(v).ok()) == Some(*expected)
        }
    }
}

/// How a batch ended.
enum Outcome {
    /// Every statement ran and held.
    Done,
    /// The `BEGIN` in front of the batch failed.
    Begin(sqlx::Error),
    /// Statement `n` of the batch ran but did not hold (a stale version).
    Stale(usize),
    /// Statement `n` of the batch failed; SQLite undid that statement only, and ran none
    /// after it.
    Failed(usize, sqlx::Error),
}

/// Sends `batch` as one multi-statement text: one round trip to the connection's worker
/// thread for all of its statements, whose writes are `writes` at the positions
/// `statements`. sqlx's SQLite driver runs the statements in order, binding each one's
/// parameters from the shared list, and reports each statement's rows and rows affected in
/// turn; it stops at the first error.
async fn run_batch(
    conn: &mut SqliteConnection,
    batch: Batch,
    statements: &[Range<usize>],
    writes: &[Write],
) -> Result<Outcome> {
    let offset = usize::from(batch.begins);
    let mut stream = conn.fetch_many(sqlx::query_with(&batch.text, batch.arguments));
    // The statement running: the `BEGIN`, then the batch's statements.
    let mut at: usize = 0;
    let mut read = None;
    loop {
        match stream.try_next().await {
            Ok(Some(Either::Right(row))) => read = row.try_get::<i64, _>(0).ok(),
            Ok(Some(Either::Left(done))) => {
                if let Some(range) = at.checked_sub(offset).and_then(|n| statements.get(n)) {
                    let write = writes.get(range.start);
                    if !write.is_some_and(|w| holds(w, done.rows_affected(), read)) {
                        return Ok(Outcome::Stale(at - offset));
                    }
                }
                read = None;
                at += 1;
            }
            Ok(None) => return Ok(Outcome::Done),
            Err(e) => {
                return Ok(match at.checked_sub(offset) {
                    Some(n) => Outcome::Failed(n, e),
                    None => Outcome::Begin(e),
                })
            }
        }
    }
}

/// Applies a commit's writes on the writer connection by `plan`, whose first batch begins the
/// transaction: as many round trips as it has batches. The first write that does not hold
/// fails the commit with the error it would have had applied alone.
async fn apply_all(conn: &mut SqliteConnection, plan: Plan, writes: &[Write]) -> Result<()> {
    if plan.batches.is_empty() {
        // No statement at all: the transaction still has to begin.
        conn.execute(BEGIN).await.map_err(backend)?;
        return Ok(());
    }
    for batch in plan.batches {
        let ranges = plan
            .statements
            .get(batch.statements.clone())
            .ok_or_else(|| Error::backend_msg("a batch outside its plan"))?;
        let write_at = |n: usize| ranges.get(n).and_then(|r| writes.get(r.clone()));
        match run_batch(conn, batch, ranges, writes).await? {
            Outcome::Done => {}
            Outcome::Begin(e) => return Err(backend(e)),
            Outcome::Stale(n) => {
                let Some(
                    [Write::Update {
                        record: Record { kind, id, .. },
                        expected,
                    }
                    | Write::Delete { kind, id, expected }
                    | Write::Assert { kind, id, expected }],
                ) = write_at(n)
                else {
                    return Err(Error::backend_msg("an insert reported as stale"));
                };
                let found = stored_version(conn, kind, *id).await?;
                return Err(sql::conflict(kind, *id, *expected, found));
            }
            Outcome::Failed(n, e) => {
                let Some(failed) = write_at(n) else {
                    return Err(backend(e));
                };
                return Err(match failed {
                    [Write::Insert(record)] => write_error(conn, record, true, e).await,
                    [Write::Update { record, .. }] => write_error(conn, record, false, e).await,
                    [_] => backend(e),
                    _ if is_constraint(&e) => {
                        // A multi-row INSERT was refused: redo its records one by one, for the
                        // error of the record that failed (the commit fails either way).
                        for w in failed {
                            apply(conn, w).await?;
                        }
                        Error::backend_msg(format!(
                            "a multi-row INSERT was refused ({e}) though each of its records \
                             went in alone"
                        ))
                    }
                    _ => backend(e),
                });
            }
        }
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, true)
    }

    async fn get(&self, kind: &'static Kind, id: Uuid) -> Result<Option<Record>> {
        let mut conn = self.read_conn().await?;
        let row = fetch_optional(&mut conn, sql::get(D, kind, id))
            .await
            .map_err(backend)?;
        row.map(|r| decode(kind, &r)).transpose()
    }

    async fn get_many(&self, kind: &'static Kind, ids: &[Uuid]) -> Result<Vec<Record>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.read_conn().await?;
        let rows = fetch_all(&mut conn, sql::get_many(D, kind, ids)).await?;
        let found = rows
            .iter()
            .map(|r| decode(kind, r).map(|rec| (rec.id, rec)))
            .collect::<Result<std::collections::HashMap<_, _>>>()?;
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        let decode_all = |rows: &[SqliteRow]| -> Result<Vec<Record>> {
            rows.iter().map(|r| decode(query.kind, r)).collect()
        };
        if !query.count_total {
            let mut conn = self.read_conn().await?;
            let rows = fetch_all(&mut conn, sql::query(D, query)?).await?;
            return Ok(Page {
                records: decode_all(&rows)?,
                total: None,
            });
        }
        if query.limit == Some(0) {
            let total = count(&mut *self.read_conn().await?, query).await?;
            return Ok(Page {
                records: Vec::new(),
                total: Some(total),
            });
        }
        // The page and its total in one statement (one snapshot) when there are few matches.
        if let Some(one_pass) = sql::counted_page(D, query)? {
            let mut conn = self.read_conn().await?;
            let rows = fetch_all(&mut conn, one_pass).await?;
            let total_col = query.kind.columns.len() + 2;
            let first_count = match rows.first() {
                Some(r) => int(query.kind, "count", r, total_col)?,
                None => None,
            };
            if let Some(total) = sql::counted_total(query, rows.len(), first_count) {
                return Ok(Page {
                    records: decode_all(&rows)?,
                    total: Some(total),
                });
            }
        }
        // Count and page in one read transaction: one snapshot for both. (An error returns
        // early and drops the transaction, which closes its connection: see `Tx`.)
        let mut tx = Tx::begin_on(self.read_conn().await?, "BEGIN")
            .await
            .map_err(backend)?;
        let total = count(tx.conn(), query).await?;
        let rows = fetch_all(tx.conn(), sql::query(D, query)?).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Page {
            records: decode_all(&rows)?,
            total: Some(total),
        })
    }

    async fn aggregate(&self, agg: &Aggregate) -> Result<Vec<AggregateRow>> {
        let statement = sql::aggregate(D, agg)?;
        let mut conn = self.read_conn().await?;
        let args = arguments(statement.args)?;
        let rows = sqlx::query_with(&statement.text, args)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| {
                // SQLite's sum of integers fails rather than lose exactness.
                if e.to_string().contains("integer overflow") {
                    Error::Overflow("aggregate sum")
                } else {
                    backend(e)
                }
            })?;
        sql::aggregate_rows(agg, &rows, &Columns(agg.kind))
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        if commit.is_empty() {
            return Ok(());
        }
        self.commit_planned(Plan::new(&commit.writes)?, commit)
            .await
    }

    fn prepare(&self, commit: Commit) -> Prepared {
        let plan = Plan::new(&commit.writes);
        Prepared::new(commit, Some(Box::new(plan)))
    }

    async fn commit_prepared(&self, prepared: Prepared) -> Result<()> {
        match crate::prepared_work(prepared, Plan::new)? {
            Some((commit, plan)) => self.commit_planned(plan, commit).await,
            None => Ok(()),
        }
    }
}

impl SqliteStore {
    /// Commits `commit` by the statements of `plan`, made from its writes before the write
    /// lock is taken (by `commit`, or earlier by `prepare`).
    async fn commit_planned(&self, mut plan: Plan, commit: Commit) -> Result<()> {
        let unstorable = match (plan.statements.is_empty(), plan.unstorable.take()) {
            (true, Some(e)) => return Err(e),
            (_, unstorable) => unstorable,
        };
        let writer = self.writer.lock().await.map_err(backend)?;
        // Armed before the BEGIN goes out with the first statements.
        let mut tx = Tx::armed(writer);
        if let Err(e) = apply_all(tx.conn(), plan, &commit.writes).await {
            tx.rollback().await;
            return Err(e);
        }
        if let Some(e) = unstorable {
            tx.rollback().await;
            return Err(e);
        }
        let written = commit
            .writes
            .iter()
            .filter(|w| !matches!(w, Write::Assert { .. }))
            .count();
        // The records are not needed once their statements have run: they are freed while
        // the engine syncs the COMMIT (`join!` sends it first), not after it, when the
        // writer would wait for the next commit meanwhile (an import's batch of 500
        // customers holds some 60,000 values: ~0.6 ms).
        let (committed, ()) = futures::join!(tx.commit(), async move { drop(commit) });
        committed.map_err(|e| match db_code(&e).as_deref() {
            // Deferred foreign keys are checked here, on the final state of the commit.
            Some(CONSTRAINT_FOREIGNKEY) => Error::Conflict(
                "the commit breaks a reference: a record refers to one that does not exist, \
                 or a deleted record is still referred to"
                    .to_owned(),
            ),
            _ => backend(e),
        })?;
        // Statistics follow the data: after an import, not only at the next open.
        let written = u64::try_from(written).unwrap_or(u64::MAX);
        if self.optimize.due_after(written) {
            if let Ok(mut writer) = self.writer.lock().await {
                optimize(&mut writer).await;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_refreshed_at_doubling_intervals_up_to_the_cap() {
        let schedule = OptimizeSchedule::new();
        // Commits of 2,000 records, as an import writes them: the runs come after 10,000,
        // 30,000, 70,000, 150,000 and 310,000 records.
        let runs: Vec<u64> = (1..=200u64)
            .filter(|_| schedule.due_after(2_000))
            .map(|n| n * 2_000)
            .collect();
        assert_eq!(runs, [10_000, 30_000, 70_000, 150_000, 310_000]);
        // The interval stops growing at the cap.
        for _ in 0..10 {
            while !schedule.due_after(10_000) {}
        }
        assert_eq!(
            schedule.interval.load(Ordering::Relaxed),
            OPTIMIZE_INTERVAL_MAX
        );
        let mut written = 0;
        while !schedule.due_after(10_000) {
            written += 10_000;
        }
        assert_eq!(written + 10_000, OPTIMIZE_INTERVAL_MAX);
    }
    use crm_core::customer::CUSTOMER;
    use crm_core::store::{Filter, Order};

    /// SQLite's plan for `sql`, one line per step.
    async fn plan(store: &SqliteStore, sql: Sql) -> Vec<String> {
        let text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        let rows = sqlx::query_with(&text, arguments(sql.args).expect("SQLite arguments"))
            .fetch_all(&store.reader)
            .await
            .expect("explain");
        rows.iter()
            .map(|r| r.try_get::<String, _>("detail").expect("detail"))
            .collect()
    }

    /// The benchmark's search (a salesperson's visibility filter, name contains, two levels,
    /// three provinces, by name, a page with its total) as the core writes it.
    fn search(owners: Vec<Value>) -> Query {
        Query::filter(
            &CUSTOMER,
            Filter::And(vec![
                Filter::Eq("archived", Value::Bool(false)),
                Filter::Contains("search_name", "科技".into()),
                Filter::In("level", vec!["A类".into(), "B类".into()]),
                Filter::In(
                    "province",
                    vec!["浙江".into(), "广东".into(), "北京".into()],
                ),
                Filter::Or(vec![Filter::In("owner_id", owners)]),
            ]),
        )
        .order_by(vec![Order::asc("name")])
        .page(0, 20)
        .with_total()
    }

    #[tokio::test]
    async fn the_salespersons_search_seeks_owner_province_and_level_in_one_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open_path(dir.path().join("crm.db"))
            .await
            .expect("open");
        let q = search(vec![Value::Id(Uuid::now_v7())]);
        let one_pass = sql::counted_page(D, &q)
            .expect("known columns")
            .expect("first page");
        let steps = plan(&store, one_pass).await;
        assert!(
            steps.iter().any(|s| s.contains(
                "USING INDEX customer_owner_province_level (owner_id=? AND province=? AND level=?)"
            )),
            "{steps:?}"
        );
        assert!(!steps.iter().any(|s| s.starts_with("SCAN t0")), "{steps:?}");
        let steps = plan(&store, sql::count(D, &q).expect("known columns")).await;
        assert!(
            steps
                .iter()
                .any(|s| s.contains("customer_owner_province_level (owner_id=?")),
            "{steps:?}"
        );
        store.close().await;
    }

    #[tokio::test]
    async fn a_contains_alone_on_an_indexed_column_scans_the_index_not_the_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open_path(dir.path().join("crm.db"))
            .await
            .expect("open");
        // The near-duplicate check of an interactive create.
        let q = Query::filter(&CUSTOMER, Filter::Contains("name_key", "恒通".into())).page(0, 20);
        let steps = plan(&store, sql::query(D, &q).expect("known columns")).await;
        assert!(
            steps
                .iter()
                .any(|s| s.contains("SCAN t0 USING COVERING INDEX customer_name_key")),
            "{steps:?}"
        );
        assert!(
            steps
                .iter()
                .filter(|s| s.starts_with("SCAN"))
                .all(|s| s.contains("COVERING INDEX customer_name_key")),
            "{steps:?}"
        );
        // With another condition beside it, the filter stays as it was (the other
        // condition's index may be the better way in).
        let q = Query::filter(
            &CUSTOMER,
            Filter::And(vec![
                Filter::Contains("name_key", "恒通".into()),
                Filter::Eq("owner_id", Value::Id(Uuid::now_v7())),
            ]),
        );
        let text = sql::query(D, &q).expect("known columns").text;
        assert!(!text.contains("rowid"), "{text}");
        store.close().await;
    }
}
