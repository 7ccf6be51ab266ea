//! Transactions that a dropped future cannot leave open on a connection that is used again.
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
//! [`Tx`] begins with plain SQL on a connection and is armed from before the `BEGIN` is sent
//! until the `COMMIT` or `ROLLBACK` has come back. Dropped while armed (a future dropped
//! half-way, or a rollback that failed), it discards the connection instead of letting it be
//! used again ([`Conn::discard`]): a pooled connection is closed instead of returned, a
//! connection the store holds (SQLite) is closed and replaced by a fresh one when next needed.
//! Closing ends the transaction in the database (SQLite rolls back when the handle closes,
//! PostgreSQL when the session ends). Dropping costs a reconnect, which only cancellation pays.

use std::ops::DerefMut;

use sqlx::pool::PoolConnection;
use sqlx::{Database, Executor};

/// A connection a transaction runs on, however it is held (taken from a pool, or held by the
/// store behind a lock), that can be discarded: never used again.
pub(crate) trait Conn<DB: Database>: DerefMut<Target = DB::Connection> {
    /// Makes sure this connection is never used again: it is closed once the holder lets go,
    /// and whoever needs one next gets a fresh connection. Called from `Drop`, so it must not
    /// block.
    fn discard(&mut self);
}

impl<DB: Database> Conn<DB> for PoolConnection<DB> {
    fn discard(&mut self) {
        self.close_on_drop();
    }
}

/// A connection inside a transaction begun with plain SQL.
pub(crate) struct Tx<DB: Database, C: Conn<DB>> {
    conn: C,
    /// A transaction may be open: discard the connection on drop.
    armed: bool,
    _db: std::marker::PhantomData<DB>,
}

impl<DB: Database, C: Conn<DB>> Tx<DB, C>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    /// Runs `begin` on `conn`.
    pub(crate) async fn begin_on(conn: C, begin: &'static str) -> Result<Self, sqlx::Error> {
        let mut tx = Self::armed(conn);
        tx.conn.execute(begin).await?;
        Ok(tx)
    }

    /// Takes `conn` armed, before anything is sent: the caller sends its own `BEGIN` (with the
    /// transaction's first statements, in one round trip) on [`Tx::conn`].
    pub(crate) fn armed(conn: C) -> Self {
        // Armed before the BEGIN goes out: from here on, dropping discards the connection.
        Tx {
            conn,
            armed: true,
            _db: std::marker::PhantomData,
        }
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

    /// Rolls back; the connection is free for the next user once the rollback is done, and is
    /// discarded if it fails.
    pub(crate) async fn rollback(mut self) {
        // PostgreSQL answers a ROLLBACK outside a transaction with a warning, not an error.
        if self.conn.execute("ROLLBACK").await.is_ok() {
            self.armed = false;
        }
    }
}

impl<DB: Database, C: Conn<DB>> Drop for Tx<DB, C> {
    fn drop(&mut self) {
        if self.armed {
            self.conn.discard();
        }
    }
}
