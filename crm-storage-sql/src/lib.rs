//! SQL storage for the crm library on [sqlx]: SQLite for a host that embeds everything in one
//! process, PostgreSQL for several application servers sharing one database.
//!
//! Both implement the core's storage port, [`crm_core::store::Store`], and pass its
//! conformance suite. Unlike a key-value adapter, they keep every record kind in a relational
//! table of its own with real columns, keys and constraints, so that an integrator can write a
//! report in plain SQL without decoding anything.
//!
//! # Choosing a backend
//! - [`SqliteStore`] (feature `sqlite`): one database file. One writer at a time (writers
//!   queue), readers beside it (WAL). Durable once `commit` returns (`synchronous=FULL`).
//! - [`PostgresStore`] (feature `postgres`): a pool of connections; any number of processes.
//! - [`open`] picks one from a URL (`sqlite:…` or `postgres:…`) and returns an
//!   `Arc<dyn Store>`, for a host that reads its storage from configuration.
//!
//! They are two types, not one enum over two pools: the dialects differ in every statement
//! (placeholders, types, locking, error codes), each type can be compiled alone behind its
//! feature, and a host that wants to decide at run time holds an `Arc<dyn Store>` anyway.
//! The SQL text itself is written once, in a dialect-neutral module, from the core's
//! descriptions of the record kinds.
//!
//! # Schema
//! Every kind of [`crm_core::catalog::KINDS`] has a table named after the kind, with `id`
//! (primary key), `version` (1 when created, +1 per update) and one column per column of the
//! kind, `NOT NULL` unless the column is optional. Every index of the kind is an index of the
//! same name (`UNIQUE` for a uniqueness rule; as in SQL, a key with a null part never
//! conflicts), except a non-unique index whose columns begin another index of the kind: the
//! longer index answers its look-ups, so the tables do without it (`customer_owner`, served by
//! `customer_owner_province_level`; sled, which keeps the first and not the second, needs it).
//! A reference is a foreign key `DEFERRABLE INITIALLY DEFERRED`, checked at commit
//! on the commit's final state (historical mentions, such as the audit log's actor, have none).
//!
//! | core type   | PostgreSQL          | SQLite (STRICT tables)                                  |
//! |-------------|---------------------|---------------------------------------------------------|
//! | `Id`        | `uuid`              | `TEXT`, hyphenated lower case                            |
//! | `Text`      | `text COLLATE "C"`  | `TEXT` (byte-wise, like "C")                             |
//! | `Int`       | `bigint`            | `INTEGER`                                                |
//! | `Decimal`   | `numeric`           | `INTEGER`: the value × 10⁶ (see below)                   |
//! | `Bool`      | `boolean`           | `INTEGER` 0 or 1                                         |
//! | `Date`      | `date`              | `TEXT` `YYYY-MM-DD`                                      |
//! | `Timestamp` | `timestamptz`       | `TEXT` `YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC, fixed width   |
//! | `Json`      | `jsonb`             | `TEXT`, compact JSON                                     |
//!
//! The migrations are hand-written SQL (`migrations/sqlite`, `migrations/postgres`), embedded
//! in the library and applied when a store is opened. A test compares the migrated schema of
//! both backends with the core's descriptions, so the two cannot drift apart silently: a new
//! kind or column in the core needs a new migration here. A database that has a migration this
//! library does not know (it was written by a newer version) is refused with
//! [`SchemaTooNew`] rather than used.
//!
//! ## Decimals on SQLite
//! sqlx has no `rust_decimal` support for SQLite, and `REAL` is never acceptable for money. A
//! decimal is therefore stored as a 64-bit integer of millionths: exact, ordered numerically,
//! and `sum()` over it is exact in SQL. The price is a limit: a value with more than six
//! decimal places, or beyond ±9 223 372 036 854.775807, is refused with
//! [`crm_core::Error::Invalid`] naming the column (never rounded). Values read back carry no
//! trailing zeros (`5.00` reads as `5`); they compare equal. To read a sum exactly, take the
//! integer into the host and divide there (`Decimal::new(sum, 6)`); dividing by `1e6` in SQL
//! makes a float.
//!
//! ## Instants
//! Timestamps are kept to the microsecond on both backends (finer digits are dropped, on
//! writes and in filters alike). On SQLite the fixed-width UTC text sorts as time sorts, and
//! `substr(created_at, 1, 7)` is the month (in UTC; PostgreSQL can use
//! `date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai')`).
//!
//! # Semantics
//! Queries follow `crm_core::store::eval` exactly: `Null` equals nothing, an empty `In` or `Or`
//! matches nothing, `Contains` is a byte-wise case-sensitive substring (`instr`/`strpos`, never
//! `LIKE`), `JsonHasAny` looks at the strings of a JSON array, ordering puts nulls first
//! (ascending) and breaks ties by id, text compares byte-wise. Values are always bound
//! parameters; only table and column names from the core's static descriptions appear in SQL
//! text. Two things differ from the in-memory store, by the nature of SQL:
//! - Unique indexes are checked statement by statement, in the commit's write order: a commit
//!   that hands a key from one record to another must release it first (update or delete the
//!   old holder before writing the new one), which is the order the core writes anyway. A key
//!   swap between two records in one commit is refused.
//! - Ordering by a JSON column is the engine's (PostgreSQL orders `jsonb` its own way). JSON
//!   columns are not meant to be ordered by.
//!
//! Capabilities: both are durable, and both allow several processes (SQLite on a local file
//! system; its locks do not work over network file systems). On SQLite a writer waits up to
//! [`BUSY_TIMEOUT`] for another process's write lock, then fails with a backend error.
//!
//! # How queries are written
//! - An `In` list of up to 64 values is written out, one bound parameter per value
//!   (`owner_id IN (?, ?)`), so that the planner sees how many values it has and uses an index
//!   for them (on SQLite the salesperson's visibility filter went from a scan of the customer
//!   table to a search of the owner index). A longer list is one parameter: a JSON array read
//!   with `json_each` on SQLite, an array compared with `= ANY` on PostgreSQL.
//! - A page asked for with its total is one statement when the query has at most 1,000
//!   matches: `count(*) OVER ()` over the matches (read up to the 1,001st), ordered and paged.
//!   Past that cap, or when the page is empty and not the first, a count and the page run as
//!   two statements on one snapshot. The cap exists because the window holds and sorts every
//!   match: for a broad query (every customer, by name) it was ten times slower than two
//!   statements, and it would read every row where a page alone reads a few through an index.
//! - The SQLite store gives its reader connections a 64 MiB page cache and keeps the planner's
//!   statistics up to date (`PRAGMA optimize` when it opens, after the first 10,000 records
//!   written, then after twice as many as the time before); PostgreSQL's autovacuum does the
//!   latter on its own. See [`SqliteStore`].
//!
//! # Commits
//! A commit is one transaction: `BEGIN IMMEDIATE` on SQLite (the write lock first, so the
//! version checks see what the commit writes over), READ COMMITTED on PostgreSQL with every
//! version checked in the `UPDATE`/`DELETE` itself and assertions held with `FOR SHARE`.
//! Runs of four or more inserts of one kind (two or more on SQLite: an import batch, a record's
//! lines) go in multi-row `INSERT`s of up to 500 records; when a constraint refuses one, that
//! statement is undone (on PostgreSQL through a savepoint) and its records are written one by
//! one, so the error names the record at fault exactly as a record-by-record commit would. On
//! SQLite the `BEGIN IMMEDIATE` and a commit's statements go to the connection in one round
//! trip (a multi-statement text, up to 32 statements or 65,000 parameters a batch, put together
//! when the commit is prepared), each
//! update's and delete's rows affected and each assertion's version checked as its result
//! comes back; the `COMMIT` follows once they all held. A commit future
//! dropped half-way never leaves a transaction open on a connection that is used again: its
//! connection is closed instead of returned to the pool (or, on SQLite, where the store holds
//! its writer itself, closed and opened afresh when next needed); sqlx 0.8's own transactions
//! cannot promise that (see the cancellation test).
//!
//! # Reports in plain SQL
//! The tables are meant to be queried directly. Customers per owner per region, the same text
//! on both backends (a test runs it on both):
//!
//! ```no_run
//! # async fn demo() -> crm_core::Result<()> {
//! use crm_storage_sql::{sqlx, SqliteStore};
//!
//! const CUSTOMERS_PER_OWNER_PER_REGION: &str = r#"
//!     SELECT e.name AS owner, c.province, c.city, count(*) AS customers
//!     FROM customer c
//!     JOIN employee e ON e.id = c.owner_id
//!     WHERE NOT c.archived
//!     GROUP BY e.name, c.province, c.city
//!     ORDER BY e.name, c.province NULLS FIRST, c.city NULLS FIRST"#;
//!
//! let store = SqliteStore::open("sqlite://crm.db").await?;
//! let rows: Vec<(String, Option<String>, Option<String>, i64)> =
//!     sqlx::query_as(CUSTOMERS_PER_OWNER_PER_REGION)
//!         .fetch_all(store.pool())
//!         .await
//!         .map_err(crm_core::Error::backend)?;
//! for (owner, province, city, customers) in rows {
//!     println!("{owner} {province:?} {city:?}: {customers}");
//! }
//! # Ok(()) }
//! ```
//!
//! A report must apply the same visibility rules as the library (who may see which
//! customers); the core's access rules decide that, and a report in plain SQL is for users who
//! may see everything it counts.
//!
//! # Module map
//! - `sql`: dialect-neutral statements: filters, orders, pages, writes, SQLite encodings.
//! - `sqlite`: [`SqliteStore`]: held connections and a reader pool, `BEGIN IMMEDIATE` commits,
//!   SQLite error codes.
//! - `held`: the connections the SQLite store holds itself, outside sqlx's pool, replaced when
//!   a dropped transaction discards them.
//! - `postgres`: [`PostgresStore`]: pool, READ COMMITTED commits, SQLSTATE mapping.
//! - `tx`: transactions begun with plain SQL that a dropped future cannot leave open on a
//!   connection that is used again (sqlx 0.8's own can be).
//!
//! The tests (`tests/`) run the core's conformance suite on both backends (and on two SQLite
//! stores sharing one file), compare a battery of queries with the in-memory reference,
//! check the migrated schemas against the core, run the report above, cut commits short at
//! every await point, and reopen files. PostgreSQL tests need
//! `CRM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres` (each creates and drops
//! a database of its own); without it they say so and pass.

#![cfg_attr(
    not(all(feature = "sqlite", feature = "postgres")),
    allow(dead_code, unused_imports)
)]

use std::fmt;
use std::sync::Arc;

use crm_core::store::Store;
use crm_core::{Error, Result};

#[cfg(feature = "sqlite")]
mod held;
#[cfg(feature = "postgres")]
mod one_statement;
#[cfg(feature = "postgres")]
mod pg_conns;
mod sql;
mod tx;

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::{CommitPaths, PostgresStore, CONNECT_TIMEOUT, DEFAULT_CONNECTIONS};
#[cfg(feature = "sqlite")]
pub use sqlite::{
    SqliteStore, BUSY_TIMEOUT, OPTIMIZE_AFTER_WRITES, OPTIMIZE_INTERVAL_MAX, READER_CACHE_KIB,
    WAL_CHECKPOINT_PAGES,
};

/// The sqlx this crate is built on, for reports on [`SqliteStore::pool`] and
/// [`PostgresStore::pool`] without a second copy of sqlx.
pub use sqlx;

/// Opens the store a URL names: `sqlite:…` (see [`SqliteStore::open`]) or `postgres:…` /
/// `postgresql:…` (see [`PostgresStore::open`]), for hosts that choose their storage in
/// configuration.
///
/// # Errors
/// [`Error::Invalid`] for a URL of another scheme or of a backend this build does not include;
/// otherwise as the backend's `open`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(Arc::new(SqliteStore::open(url).await?)),
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => Ok(Arc::new(PostgresStore::open(url).await?)),
        _ => Err(Error::invalid(
            "url",
            format!("no storage backend for the scheme {scheme:?} in this build"),
        )),
    }
}

/// The database holds a migration this library does not know: it was written by a newer
/// version. Opening it is refused (as the source of an [`Error::Backend`]) rather than risking
/// a schema the code does not understand; upgrade the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaTooNew {
    /// The unknown migration version found in the database.
    pub found: i64,
    /// The newest migration version this library knows.
    pub known: i64,
}

impl fmt::Display for SchemaTooNew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the database has schema migration {}, which this version of crm-storage-sql does \
             not know (it knows up to {}): it was written by a newer version; upgrade the library",
            self.found, self.known
        )
    }
}

impl std::error::Error for SchemaTooNew {}

/// Refuses applied migrations that `migrator` does not know.
fn check_applied_migrations(migrator: &sqlx::migrate::Migrator, applied: &[i64]) -> Result<()> {
    let known = migrator.iter().map(|m| m.version).max().unwrap_or_default();
    match applied.iter().find(|v| !migrator.version_exists(**v)) {
        Some(&found) => Err(Error::backend(SchemaTooNew { found, known })),
        None => Ok(()),
    }
}

/// The database's error code: SQLite's extended result code, PostgreSQL's SQLSTATE.
fn db_code(e: &sqlx::Error) -> Option<String> {
    e.as_database_error()
        .and_then(|d| d.code())
        .map(|c| c.into_owned())
}

/// A prepared commit's commit and the adapter's work for it (`W`, made by `make` from the writes
/// when the commit was not prepared by this adapter, or an error it kept); `None` for an empty
/// commit, which has nothing to do. Both adapters prepare their commits this way
/// ([`Store::prepare`]: SQLite its plan of batches, PostgreSQL its one statement).
fn prepared_work<W: 'static>(
    prepared: crm_core::store::Prepared,
    make: impl FnOnce(&[crm_core::store::Write]) -> Result<W>,
) -> Result<Option<(crm_core::store::Commit, W)>> {
    let (commit, work) = prepared.into_parts::<Result<W>>();
    if commit.is_empty() {
        return Ok(None);
    }
    let work = match work {
        Some(work) => work?,
        None => make(&commit.writes)?,
    };
    Ok(Some((commit, work)))
}
