//! The PostgreSQL store: a connection pool shared by the tasks of one process, and by any
//! number of processes on other machines.
//!
//! Why this shape:
//! - Commits run at READ COMMITTED. Every `UPDATE` and `DELETE` checks the version in its own
//!   `WHERE` (`… WHERE id = $1 AND version = $2`): a row changed by a concurrent commit is
//!   re-read by PostgreSQL before the condition is applied, so a stale version matches no row
//!   and the commit is a `Conflict` (rows affected are checked before `COMMIT`). A version
//!   assertion takes `SELECT … FOR SHARE`, which keeps the row at that version until the commit
//!   ends. No lost update, no serialization retries at a stricter isolation level.
//! - Unique indexes are checked per statement, also against uncommitted rows of concurrent
//!   commits (the second writer waits for the first and then fails with 23505). Foreign keys
//!   are `DEFERRABLE INITIALLY DEFERRED`, checked at `COMMIT` on the commit's final state.
//! - A commit goes as one statement when it can (`one_statement`): its writes as the parts of
//!   one `WITH`, the versions checked by `crm_commit_check` before the statement's own
//!   transaction commits; one round trip instead of one per write plus `BEGIN` and `COMMIT`.
//!   When that statement fails on a version, a constraint or a lost connection, the commit runs
//!   again statement by statement in a transaction, as described above, for the precise error.
//! - An error rolls the transaction back before the connection goes back to the pool; a future
//!   dropped half-way closes its connection instead (see `Tx`), so no later user of the pool
//!   inherits an open transaction.
//! - SQLSTATEs map to the port's errors: 23505 on a primary key is `AlreadyExists`, on a unique
//!   index `Duplicate` (the index name is the rule), 23503 and 40001/40P01 are `Conflict`,
//!   data exceptions (class 22) are `Invalid`.
//! - Searches are written as on SQLite (short `In` lists bound per value, longer ones as one
//!   `= ANY` array; a page and its total in one statement up to `sql::ONE_PASS_MAX` matches):
//!   the benchmark's search over 100,000 customers went from 16 to 7.3 ms median, the one pass
//!   halving the index and heap reads. Planner statistics are autovacuum's business here (it
//!   analyses a table after enough changes), so the store runs no `ANALYZE` of its own.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use crm_core::store::{
    Aggregate, AggregateRow, Capabilities, ColumnType, Commit, Index, Kind, Page, Prepared, Query,
    Record, Store, Value, Write,
};
use crm_core::{Error, Result};
use rust_decimal::Decimal;
use sqlx::migrate::Migrator;
use sqlx::postgres::{
    PgArguments, PgConnectOptions, PgConnection, PgDatabaseError, PgPool, PgPoolOptions, PgRow,
};
use sqlx::{Arguments as _, Executor as _, Row as _};
use uuid::Uuid;

use crate::one_statement;
use crate::pg_conns::{Conns, Lease};
use crate::sql::{self, Arg, Dialect, Sql};
use crate::tx::Tx;
use crate::{check_applied_migrations, db_code};

/// The embedded PostgreSQL migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per pool opened by [`PostgresStore::open`] and [`PostgresStore::open_with`].
pub const DEFAULT_CONNECTIONS: u32 = 10;

const D: Dialect = Dialect::Postgres;

/// How long [`PostgresStore::open`] waits for a connection before reporting the server
/// unreachable.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A [`Store`] on a PostgreSQL database.
///
/// ```no_run
/// # async fn demo() -> crm_core::Result<()> {
/// use crm_storage_sql::PostgresStore;
/// let store = PostgresStore::open("postgres://crm@db.internal/crm").await?;
/// store.close().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PostgresStore {
    /// For migrations and for the host's own reports ([`PostgresStore::pool`]).
    pool: PgPool,
    /// The connections the store's own reads and commits run on (`pg_conns`).
    conns: Arc<Conns>,
    paths: Arc<Paths>,
}

/// How this store's commits were written, counted since it opened: see
/// [`PostgresStore::commit_paths`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitPaths {
    /// Commits written as one statement, one round trip (the usual way).
    pub one_statement: u64,
    /// Commits whose one statement failed (a version that did not match, a unique key, a
    /// deadlock, a lost connection) and that were run again statement by statement for the
    /// precise outcome.
    pub retried_by_statements: u64,
    /// Commits written statement by statement from the start: one record written twice, or
    /// more parameters than one statement should carry (large imports).
    pub by_statements: u64,
}

/// The counters behind [`CommitPaths`].
#[derive(Debug, Default)]
struct Paths {
    one_statement: AtomicU64,
    retried: AtomicU64,
    by_statements: AtomicU64,
}

fn backend(e: sqlx::Error) -> Error {
    Error::backend(e)
}

/// How many connections a read or a `BEGIN` tries when each finds its connection gone (the
/// server restarted, or an administrator ended the sessions): every stale connection the store
/// may hold, and one fresh.
const LOST_ATTEMPTS: u32 = DEFAULT_CONNECTIONS + 1;

/// Whether `e` says the connection was gone before the statement could run (an I/O error, or
/// the server ending the session: `57P01` admin shutdown, `57P02` crash shutdown, class `08`
/// connection exceptions). Only reads and `BEGIN` are run again on such an error: their
/// running again changes nothing.
pub(crate) fn connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) => true,
        _ => db_code(e).is_some_and(|c| c == "57P01" || c == "57P02" || c.starts_with("08")),
    }
}

/// Begins a transaction, on another connection when the first one taken was gone.
async fn begin<'c>(
    conns: &'c Conns,
    sql: &'static str,
) -> std::result::Result<Tx<sqlx::Postgres, Lease<'c>>, sqlx::Error> {
    let mut attempt = 1;
    loop {
        let begun = match conns.get().await {
            Ok(lease) => Tx::begin_on(lease, sql).await,
            Err(e) => Err(e),
        };
        match begun {
            Err(e) if connection_lost(&e) && attempt < LOST_ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:5432/db`), and brings its
    /// schema up to date. The store opens up to [`DEFAULT_CONNECTIONS`] connections for its
    /// own work, and keeps a pool of as many for the host's reports ([`PostgresStore::pool`];
    /// it opens connections only as they are used).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a malformed URL; [`Error::Backend`] when the server cannot be
    /// reached, a migration fails, or the database was written by a newer version of this
    /// library ([`crate::SchemaTooNew`]).
    pub async fn open(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(|e| Error::invalid("url", e))?;
        Self::open_with(options).await
    }

    /// Connects with options of your own; see [`PostgresStore::open`].
    ///
    /// # Errors
    /// As [`PostgresStore::open`].
    pub async fn open_with(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(DEFAULT_CONNECTIONS)
            // A server that cannot be reached should say so in seconds, not after sqlx's
            // default of thirty; `from_pool` takes a pool with other timeouts.
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Self::from_pool(pool).await
    }

    /// Uses a pool you configured, and brings the schema up to date. The store's own
    /// connections are opened with the pool's connect options, up to its maximum size, each
    /// within its acquire timeout; the pool itself stays for the host's reports.
    ///
    /// # Errors
    /// As [`PostgresStore::open`].
    pub async fn from_pool(pool: PgPool) -> Result<Self> {
        migrate(&pool).await?;
        let conns = Conns::new(
            (*pool.connect_options()).clone(),
            pool.options().get_max_connections(),
            pool.options().get_acquire_timeout(),
        );
        Ok(PostgresStore {
            pool,
            conns: Arc::new(conns),
            paths: Arc::default(),
        })
    }

    /// The pool, for reports in plain SQL. Write only through [`Store::commit`], which keeps
    /// versions and references. (The store's own reads and commits run on connections it
    /// holds itself, outside this pool: sqlx's pool costs a round trip per statement when a
    /// connection comes back.)
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// How the commits of this store (and its clones) were written since it opened. Most go
    /// as one statement; a high share retried statement by statement means many commits meet
    /// conflicts or duplicates, each of which then costs a second attempt.
    pub fn commit_paths(&self) -> CommitPaths {
        CommitPaths {
            one_statement: self.paths.one_statement.load(Ordering::Relaxed),
            retried_by_statements: self.paths.retried.load(Ordering::Relaxed),
            by_statements: self.paths.by_statements.load(Ordering::Relaxed),
        }
    }

    /// Closes every connection, waiting for those in use to come back. The store refuses work
    /// afterwards.
    pub async fn close(&self) {
        self.conns.close().await;
        self.pool.close().await;
    }
}

/// Refuses a database with migrations this library does not know, then applies the missing
/// ones (sqlx holds an advisory lock meanwhile, so servers starting together migrate once).
async fn migrate(pool: &PgPool) -> Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(backend)?;
    if exists {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(pool)
            .await
            .map_err(backend)?;
        check_applied_migrations(&MIGRATOR, &applied)?;
    }
    MIGRATOR.run(pool).await.map_err(Error::backend)
}

/// The values of one type out of a list already filtered to that type.
fn typed<T>(values: &[Value], f: impl Fn(&Value) -> Option<T>) -> Vec<T> {
    values.iter().filter_map(f).collect()
}

fn arguments(args: Vec<Arg>) -> Result<PgArguments> {
    let mut out = PgArguments::default();
    for a in args {
        match a {
            Arg::Null(ty) => match ty {
                ColumnType::Bool => out.add(None::<bool>),
                ColumnType::Int => out.add(None::<i64>),
                ColumnType::Decimal => out.add(None::<Decimal>),
                ColumnType::Text => out.add(None::<String>),
                ColumnType::Date => out.add(None::<NaiveDate>),
                ColumnType::Timestamp => out.add(None::<DateTime<Utc>>),
                ColumnType::Id => out.add(None::<Uuid>),
                ColumnType::Json => out.add(None::<serde_json::Value>),
                ColumnType::Bytes => out.add(None::<Vec<u8>>),
            },
            Arg::Bool(b) => out.add(b),
            Arg::Int(i) => out.add(i),
            Arg::Text(s) => out.add(s),
            Arg::Decimal(d) => out.add(d),
            Arg::Date(d) => out.add(d),
            Arg::Timestamp(t) => out.add(t),
            Arg::Uuid(u) => out.add(u),
            Arg::Json(j) => out.add(j),
            Arg::Bytes(b) => out.add(b),
            Arg::TextArray(v) => out.add(v),
            Arg::Array(ty, vs) => match ty {
                ColumnType::Bool => out.add(typed(&vs, |v| match v {
                    Value::Bool(x) => Some(*x),
                    _ => None,
                })),
                ColumnType::Int => out.add(typed(&vs, |v| match v {
                    Value::Int(x) => Some(*x),
                    _ => None,
                })),
                ColumnType::Decimal => out.add(typed(&vs, |v| match v {
                    Value::Decimal(x) => Some(*x),
                    _ => None,
                })),
                ColumnType::Text => out.add(typed(&vs, |v| match v {
                    Value::Text(x) => Some(x.clone()),
                    _ => None,
                })),
                ColumnType::Date => out.add(typed(&vs, |v| match v {
                    Value::Date(x) => Some(*x),
                    _ => None,
                })),
                ColumnType::Timestamp => out.add(typed(&vs, |v| match v {
                    Value::Timestamp(x) => Some(*x),
                    _ => None,
                })),
                ColumnType::Id => out.add(typed(&vs, |v| match v {
                    Value::Id(x) => Some(*x),
                    _ => None,
                })),
                ColumnType::Json => out.add(typed(&vs, |v| match v {
                    Value::Json(x) => Some(x.clone()),
                    _ => None,
                })),
                ColumnType::Bytes => out.add(typed(&vs, |v| match v {
                    Value::Bytes(x) => Some(x.clone()),
                    _ => None,
                })),
            },
        }
        .map_err(Error::Backend)?;
    }
    Ok(out)
}

/// Decodes column `i` of a row as `T`.
fn get<'r, T>(kind: &Kind, col: &str, row: &'r PgRow, i: usize) -> Result<Option<T>>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get::<Option<T>, _>(i)
        .map_err(|e| sql::corrupt(kind, col, e))
}

/// Decodes column `i` of a row as a value of type `ty` (`col` names it in errors).
fn decode_value(kind: &Kind, col: &str, ty: ColumnType, row: &PgRow, i: usize) -> Result<Value> {
    Ok(match ty {
        ColumnType::Bool => get(kind, col, row, i)?.map(Value::Bool),
        ColumnType::Int => get(kind, col, row, i)?.map(Value::Int),
        ColumnType::Decimal => get(kind, col, row, i)?.map(Value::Decimal),
        ColumnType::Text => get(kind, col, row, i)?.map(Value::Text),
        ColumnType::Date => get(kind, col, row, i)?.map(Value::Date),
        ColumnType::Timestamp => get(kind, col, row, i)?.map(Value::Timestamp),
        ColumnType::Id => get(kind, col, row, i)?.map(Value::Id),
        ColumnType::Json => get(kind, col, row, i)?.map(Value::Json),
        ColumnType::Bytes => get(kind, col, row, i)?.map(Value::Bytes),
    }
    .unwrap_or(Value::Null))
}

/// Reads aggregate rows of a kind: PostgreSQL's native types.
struct Columns(&'static Kind);

impl sql::AggregateColumns<PgRow> for Columns {
    fn key(&self, row: &PgRow, i: usize, column: &str, ty: ColumnType) -> Result<Value> {
        decode_value(self.0, column, ty, row, i)
    }

    fn count(&self, row: &PgRow, i: usize, column: &str) -> Result<u64> {
        let n: i64 = get(self.0, column, row, i)?.unwrap_or_default();
        Ok(u64::try_from(n).unwrap_or_default())
    }

    fn sum(&self, row: &PgRow, i: usize, _column: &str) -> Result<Decimal> {
        // A NUMERIC sum of stored decimals fails to decode only past a decimal's range.
        let sum = row
            .try_get::<Option<Decimal>, _>(i)
            .map_err(|_| Error::Overflow("aggregate sum"))?;
        Ok(sum.unwrap_or_default())
    }
}

/// Decodes a row selected by [`sql::select`].
fn decode(kind: &'static Kind, row: &PgRow) -> Result<Record> {
    let id: Uuid = get(kind, "id", row, 0)?.ok_or_else(|| sql::corrupt(kind, "id", "null"))?;
    let version: i64 =
        get(kind, "version", row, 1)?.ok_or_else(|| sql::corrupt(kind, "version", "null"))?;
    let mut values = Vec::with_capacity(kind.columns.len());
    for (n, c) in kind.columns.iter().enumerate() {
        values.push(decode_value(kind, c.name, c.ty, row, n + 2)?);
    }
    Ok(Record {
        kind,
        id,
        version: sql::version_from_db(version)?,
        values,
    })
}

/// The server's message with its detail, for errors the caller reads.
fn describe(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => {
            let detail = d
                .try_downcast_ref::<PgDatabaseError>()
                .and_then(PgDatabaseError::detail)
                .map(|x| format!(" ({x})"))
                .unwrap_or_default();
            format!("{}{detail}", d.message())
        }
        None => e.to_string(),
    }
}

/// Maps a failure that is not a unique violation.
fn map_error(e: sqlx::Error) -> Error {
    let Some(code) = db_code(&e) else {
        return backend(e);
    };
    match code.as_str() {
        // foreign_key_violation: checked at commit (deferred).
        "23503" => Error::Conflict(format!("the commit breaks a reference: {}", describe(&e))),
        // serialization_failure, deadlock_detected: another commit got in the way.
        "40001" | "40P01" => Error::Conflict(describe(&e)),
        // not_null_violation, check_violation, data exceptions (bad text, out of range).
        c if c == "23502" || c == "23514" || c.starts_with("22") => {
            let field = e
                .as_database_error()
                .and_then(|d| d.try_downcast_ref::<PgDatabaseError>())
                .and_then(|d| d.column().or(d.table()))
                .unwrap_or("value")
                .to_owned();
            Error::invalid(field, describe(&e))
        }
        _ => backend(e),
    }
}

/// Why one write failed.
enum Failure {
    /// The port's error, final.
    Done(Error),
    /// A unique index refused the record; who holds the key is asked after the rollback.
    Unique(&'static Index),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Done(e)
    }
}

/// Maps the failure of an `INSERT` or `UPDATE` of `record`.
fn write_error(record: &Record, e: sqlx::Error) -> Failure {
    if db_code(&e).as_deref() == Some("23505") {
        let constraint = e
            .as_database_error()
            .and_then(|d| d.constraint())
            .unwrap_or_default();
        if constraint == format!("{}_pkey", record.kind.name) {
            return Failure::Done(Error::AlreadyExists {
                kind: record.kind.name,
                id: record.id.to_string(),
            });
        }
        if let Some(index) = sql::unique_index(record.kind, constraint) {
            return Failure::Unique(index);
        }
    }
    Failure::Done(map_error(e))
}

async fn execute(conn: &mut PgConnection, sql: Sql) -> std::result::Result<u64, Failure> {
    let args = arguments(sql.args)?;
    sqlx::query_with(&sql.text, args)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| Failure::Done(map_error(e)))
}

async fn version_of(
    conn: &mut PgConnection,
    kind: &Kind,
    id: Uuid,
    lock: bool,
) -> Result<Option<u64>> {
    let q = sql::version(D, kind, id, lock);
    let args = arguments(q.args)?;
    let v: Option<i64> = sqlx::query_scalar_with(&q.text, args)
        .fetch_optional(conn)
        .await
        .map_err(map_error)?;
    v.map(sql::version_from_db).transpose()
}

/// Applies one write inside the commit's transaction.
async fn apply(conn: &mut PgConnection, write: &Write) -> std::result::Result<(), Failure> {
    match write {
        Write::Insert(record) => {
            let q = sql::insert(D, record)?;
            let args = arguments(q.args)?;
            if let Err(e) = sqlx::query_with(&q.text, args).execute(conn).await {
                return Err(write_error(record, e));
            }
        }
        Write::Update { record, expected } => {
            let (kind, id) = (record.kind, record.id);
            let q = sql::update(D, record, sql::version_to_db(*expected).unwrap_or(-1))?;
            let args = arguments(q.args)?;
            match sqlx::query_with(&q.text, args).execute(&mut *conn).await {
                Ok(r) if r.rows_affected() == 1 => {}
                Ok(_) => {
                    let found = version_of(conn, kind, id, false).await?;
                    return Err(sql::conflict(kind, id, *expected, found).into());
                }
                Err(e) => return Err(write_error(record, e)),
            }
        }
        Write::Delete { kind, id, expected } => {
            let q = sql::delete(D, kind, *id, sql::version_to_db(*expected).unwrap_or(-1));
            if execute(conn, q).await? != 1 {
                let found = version_of(conn, kind, *id, false).await?;
                return Err(sql::conflict(kind, *id, *expected, found).into());
            }
        }
        Write::Assert { kind, id, expected } => {
            // FOR SHARE: the row stays at this version until the commit ends.
            let found = version_of(conn, kind, *id, true).await?;
            if found != Some(*expected) {
                return Err(sql::conflict(kind, *id, *expected, found).into());
            }
        }
    }
    Ok(())
}

/// Applies the writes in order; runs of inserts of one kind go in multi-row statements. On
/// failure, the write that failed and why.
async fn apply_all<'w>(
    conn: &mut PgConnection,
    writes: &'w [Write],
) -> std::result::Result<(), (&'w Write, Failure)> {
    let mut i = 0;
    while let Some(write) = writes.get(i) {
        let run = sql::insert_run(&writes[i..]);
        let Write::Insert(first) = write else {
            apply(conn, write).await.map_err(|f| (write, f))?;
            i += 1;
            continue;
        };
        if run < sql::BATCH_MIN {
            apply(conn, write).await.map_err(|f| (write, f))?;
            i += 1;
            continue;
        }
        for chunk in writes[i..i + run].chunks(sql::batch_rows(first.kind)) {
            batch(conn, chunk).await?;
        }
        i += run;
    }
    Ok(())
}

/// One chunk of inserts in one statement, inside a savepoint: when a constraint refuses it,
/// the chunk is undone and redone record by record, for the error of the record that failed.
async fn batch<'w>(
    conn: &mut PgConnection,
    chunk: &'w [Write],
) -> std::result::Result<(), (&'w Write, Failure)> {
    let Some(first) = chunk.first() else {
        return Ok(());
    };
    let fail = |e: Error| (first, Failure::Done(e));
    let records: Vec<&Record> = chunk
        .iter()
        .filter_map(|w| match w {
            Write::Insert(r) => Some(r),
            _ => None,
        })
        .collect();
    let q = sql::insert_many(D, &records).map_err(fail)?;
    let args = arguments(q.args).map_err(fail)?;
    conn.execute("SAVEPOINT crm_batch")
        .await
        .map_err(|e| fail(map_error(e)))?;
    match sqlx::query_with(&q.text, args).execute(&mut *conn).await {
        Ok(_) => {
            conn.execute("RELEASE SAVEPOINT crm_batch")
                .await
                .map_err(|e| fail(map_error(e)))?;
        }
        Err(e) if db_code(&e).is_some_and(|c| c.starts_with("23")) => {
            conn.execute("ROLLBACK TO SAVEPOINT crm_batch")
                .await
                .map_err(|e| fail(map_error(e)))?;
            for w in chunk {
                apply(conn, w).await.map_err(|f| (w, f))?;
            }
        }
        Err(e) => return Err(fail(map_error(e))),
    }
    Ok(())
}

impl PostgresStore {
    /// The record holding `record`'s key of `index`, asked after the failed commit.
    async fn duplicate(&self, record: &Record, index: &'static Index) -> Error {
        let existing = match sql::holder(D, index, record) {
            Some(q) => self
                .fetch_all(q)
                .await
                .ok()
                .and_then(|rows| rows.first().and_then(|r| r.try_get::<Uuid, _>(0).ok()))
                .map(|id| id.to_string()),
            None => None,
        };
        Error::Duplicate {
            kind: record.kind.name,
            rule: index.name,
            existing,
        }
    }

    /// Whether a record exists (after a failed insert: PostgreSQL reports the primary key
    /// first, but an insert of an existing record must be `AlreadyExists` whatever it reports).
    async fn exists(&self, kind: &Kind, id: Uuid) -> bool {
        self.fetch_all(sql::version(D, kind, id, false))
            .await
            .is_ok_and(|rows| !rows.is_empty())
    }

    /// Runs a read, again on another connection when the one taken was gone.
    async fn fetch_all(&self, sql: Sql) -> Result<Vec<PgRow>> {
        let mut attempt = 1;
        loop {
            let args = arguments(sql.args.clone())?;
            let rows = match self.conns.get().await {
                Ok(mut lease) => lease.fetch_all(&sql.text, args).await,
                Err(e) => Err(e),
            };
            match rows {
                Err(e) if connection_lost(&e) && attempt < LOST_ATTEMPTS => attempt += 1,
                other => return other.map_err(map_error),
            }
        }
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, true)
    }

    async fn get(&self, kind: &'static Kind, id: Uuid) -> Result<Option<Record>> {
        let rows = self.fetch_all(sql::get(D, kind, id)).await?;
        rows.first().map(|r| decode(kind, r)).transpose()
    }

    async fn get_many(&self, kind: &'static Kind, ids: &[Uuid]) -> Result<Vec<Record>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.fetch_all(sql::get_many(D, kind, ids)).await?;
        let found = rows
            .iter()
            .map(|r| decode(kind, r).map(|rec| (rec.id, rec)))
            .collect::<Result<HashMap<_, _>>>()?;
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        let decode_all = |rows: &[PgRow]| -> Result<Vec<Record>> {
            rows.iter().map(|r| decode(query.kind, r)).collect()
        };
        if !query.count_total {
            let rows = self.fetch_all(sql::query(D, query)?).await?;
            return Ok(Page {
                records: decode_all(&rows)?,
                total: None,
            });
        }
        let count = sql::count(D, query)?;
        if query.limit == Some(0) {
            let rows = self.fetch_all(count).await?;
            let total: i64 = match rows.first() {
                Some(r) => r.try_get(0).map_err(map_error)?,
                None => 0,
            };
            return Ok(Page {
                records: Vec::new(),
                total: Some(u64::try_from(total).unwrap_or_default()),
            });
        }
        // The page and its total in one statement (one snapshot) when there are few matches.
        if let Some(one_pass) = sql::counted_page(D, query)? {
            let rows = self.fetch_all(one_pass).await?;
            let first_count: Option<i64> = match rows.first() {
                Some(r) => get(query.kind, "count", r, query.kind.columns.len() + 2)?,
                None => None,
            };
            if let Some(total) = sql::counted_total(query, rows.len(), first_count) {
                return Ok(Page {
                    records: decode_all(&rows)?,
                    total: Some(total),
                });
            }
        }
        // Count and page on one snapshot. (An error returns early and drops the transaction,
        // which closes its connection: see `Tx`.)
        let mut tx = begin(
            &self.conns,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )
        .await
        .map_err(backend)?;
        let total: i64 = sqlx::query_scalar_with(&count.text, arguments(count.args)?)
            .fetch_one(tx.conn())
            .await
            .map_err(map_error)?;
        let page = sql::query(D, query)?;
        let rows = sqlx::query_with(&page.text, arguments(page.args)?)
            .fetch_all(tx.conn())
            .await
            .map_err(map_error)?;
        tx.commit().await.map_err(backend)?;
        Ok(Page {
            records: decode_all(&rows)?,
            total: Some(u64::try_from(total).unwrap_or_default()),
        })
    }

    async fn aggregate(&self, agg: &Aggregate) -> Result<Vec<AggregateRow>> {
        let rows = self.fetch_all(sql::aggregate(D, agg)?).await?;
        sql::aggregate_rows(agg, &rows, &Columns(agg.kind))
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        if commit.is_empty() {
            return Ok(());
        }
        self.commit_planned(OneStatement::new(&commit.writes)?, commit)
            .await
    }

    fn prepare(&self, commit: Commit) -> Prepared {
        let one = OneStatement::new(&commit.writes);
        Prepared::new(commit, Some(Box::new(one)))
    }

    async fn commit_prepared(&self, prepared: Prepared) -> Result<()> {
        match crate::prepared_work(prepared, OneStatement::new)? {
            Some((commit, one)) => self.commit_planned(one, commit).await,
            None => Ok(()),
        }
    }
}

/// A commit's one statement with its arguments encoded (`None` when the commit cannot be one
/// statement): made from the writes alone, so it can be made ahead ([`Store::prepare`]).
struct OneStatement(Option<(String, PgArguments)>);

impl OneStatement {
    fn new(writes: &[Write]) -> Result<OneStatement> {
        Ok(OneStatement(match one_statement::statement(writes)? {
            Some(one) => Some((one.text, arguments(one.args)?)),
            None => None,
        }))
    }
}

impl PostgresStore {
    /// Commits `commit`, whose one statement (made before the connection is taken, by
    /// `commit` or earlier by `prepare`) is `one`.
    async fn commit_planned(&self, one: OneStatement, commit: Commit) -> Result<()> {
        // One statement, one round trip (see `one_statement`); when it cannot be one, or it
        // failed in a way the order of the writes may explain, statement by statement below.
        if let Some((text, args)) = one.0 {
            let done = match self.conns.get().await {
                Ok(mut lease) => lease.execute(&text, args).await,
                Err(e) => Err(e),
            };
            match done {
                Ok(_) => {
                    self.paths.one_statement.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) if one_statement::fall_back(&e, connection_lost(&e)) => {
                    self.paths.retried.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => return Err(map_error(e)),
            }
        } else {
            self.paths.by_statements.fetch_add(1, Ordering::Relaxed);
        }
        let mut tx = begin(&self.conns, "BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(backend)?;
        if let Err((write, failure)) = apply_all(tx.conn(), &commit.writes).await {
            tx.rollback().await;
            return Err(match failure {
                Failure::Done(e) => e,
                Failure::Unique(index) => match write {
                    Write::Insert(r) if self.exists(r.kind, r.id).await => Error::AlreadyExists {
                        kind: r.kind.name,
                        id: r.id.to_string(),
                    },
                    Write::Insert(r) | Write::Update { record: r, .. } => {
                        self.duplicate(r, index).await
                    }
                    // Only inserts and updates meet a unique index.
                    _ => Error::Duplicate {
                        kind: write.target().0.name,
                        rule: index.name,
                        existing: None,
                    },
                },
            });
        }
        // Deferred foreign keys are checked here, on the final state of the commit.
        tx.commit().await.map_err(map_error)
    }
}
