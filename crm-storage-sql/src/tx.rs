//! Transactions that a dropped future cannot leave open on a pooled connection.
//!
//! sqlx 0.8's own transactions are not safe against cancellation at every point: a
//! `begin`/`begin_with` future dropped after the server (or SQLite's worker thread) ran the
//! `BEGIN` but before sqlx recorded it (PostgreSQL: while waiting for the reply; SQLite with a
//! custom statement: while checking that it took) leaves the connection inside a transaction,
//! and the pool hands it to the next user: a "read-only transaction" refusing the next commit,
//! or a connection holding SQLite's write lock for ever. The cancellation test found both on
//! sqlx 0.8.6 (upstream: sqlx issues 2054 for SQLite, 4385 and 4393 for PostgreSQL, the latter
//! reproduced on 0.9.0 too).
//!
//! [`Tx`] begins with plain SQL on a pooled connection and is armed from before the `BEGIN`
//! is sent until the `COMMIT` or `ROLLBACK` has come back. Dropped while armed (a future
//! dropped half-way, or a rollback that failed), it closes the connection instead of returning
//! it to the pool; closing ends the transaction in the database (SQLite rolls back when the
//! handle closes, PostgreSQL when the session ends), and the pool opens a fresh connection
//! when it needs one. Dropping costs a reconnect, which only cancellation pays.

use sqlx::pool::PoolConnection;
use sqlx::{Database, Executor, Pool};

/// A pooled connection inside a transaction begun with plain SQL.
pub(crate) struct Tx<DB: Database> {
    conn: PoolConnection<DB>,
    /// A transaction may be open: close the connection on drop.
    armed: bool,
}

impl<DB: Database> Tx<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// Takes a connection from `pool` and runs `begin` (`BEGIN IMMEDIATE`, `BEGIN ISOLATION
    /// LEVEL …`) on it.
    pub(crate) async fn begin(pool: &Pool<DB>, begin: &'static str) -> Result<Self, sqlx::Error> {
        let conn = pool.acquire().await?;
        // Armed before the BEGIN goes out: from here on, dropping closes the connection.
        let mut tx = Tx { conn, armed: true };
        tx.conn.execute(begin).await?;
        Ok(tx)
    }

    /// The connection, to run the transaction's statements on.
    pub(crate) fn conn(&mut self) -> &mut DB::Connection {
        &mut self.conn
    }

    /// Commits. When the commit fails (SQLite keeps the transaction open when a deferred
    /// foreign key fails at commit), rolls back before returning the error.
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        match self.conn.execute("COMMIT").await {
            Ok(_) => {
                self.armed = false;
                Ok(())
            }
            Err(e) => {
                self.rollback().await;
                Err(e)
            }
        }
    }

    /// Rolls back; the connection goes back to the pool once the rollback is done, and is
    /// closed if it fails.
    pub(crate) async fn rollback(mut self) {
        // PostgreSQL answers a ROLLBACK outside a transaction with a warning, not an error.
        if self.conn.execute("ROLLBACK").await.is_ok() {
            self.armed = false;
        }
    }
}

impl<DB: Database> Drop for Tx<DB> {
    fn drop(&mut self) {
        if self.armed {
            self.conn.close_on_drop();
        }
    }
}
