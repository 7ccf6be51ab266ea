//! Connections the SQLite store holds itself, outside sqlx's pool.
//!
//! A pool acquire and release costs about 28 µs on SQLite (measured: `SELECT 1` through a
//! pool 47 µs, on a held connection 15 µs), a third of a small read and more than a whole
//! statement. The store therefore holds its writer connection, and one reader connection,
//! each behind an async lock ([`Held`]): whoever holds the lock ([`Lease`]) has the
//! connection; the lock queues waiters in order, as the single-connection pool did.
//!
//! Cancellation: a [`Lease`] is a [`Conn`] that a transaction guard ([`crate::tx::Tx`]) can
//! discard. Discarding drops the connection at once (SQLite rolls back what it had open when
//! the handle closes, and releases the write lock), and the next [`Held::lock`] opens a fresh
//! one with the same options. A lease dropped outside a transaction simply unlocks: a
//! statement cut short in autocommit mode leaves nothing open.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::sqlite::{Sqlite, SqliteConnectOptions};
use sqlx::{ConnectOptions as _, SqliteConnection};
use tokio::sync::{Mutex, MutexGuard};

use crate::tx::Conn;

/// A connection the store holds, opened again when it was discarded.
pub(crate) struct Held {
    /// How to open it (again).
    options: SqliteConnectOptions,
    /// The connection; `None` once discarded, until the next lease opens a fresh one.
    slot: Mutex<Option<SqliteConnection>>,
    /// The store was closed: refuse leases.
    closed: AtomicBool,
}

impl fmt::Debug for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Held")
            .field("filename", &self.options.get_filename())
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Held {
    /// Holds `conn`, opened with `options`.
    pub(crate) fn new(options: SqliteConnectOptions, conn: SqliteConnection) -> Self {
        Held {
            options,
            slot: Mutex::new(Some(conn)),
            closed: AtomicBool::new(false),
        }
    }

    /// Waits for the connection (in order with other waiters), opening a fresh one if the last
    /// was discarded.
    ///
    /// # Errors
    /// [`sqlx::Error::PoolClosed`] once [`Held::close`] has run; the error of opening a
    /// connection.
    pub(crate) async fn lock(&self) -> Result<Lease<'_>, sqlx::Error> {
        let slot = self.slot.lock().await;
        self.lease(slot).await
    }

    /// The connection if nobody holds it now; `None` if somebody does.
    pub(crate) async fn try_lock(&self) -> Option<Result<Lease<'_>, sqlx::Error>> {
        let slot = self.slot.try_lock().ok()?;
        Some(self.lease(slot).await)
    }

    async fn lease<'a>(
        &'a self,
        mut slot: MutexGuard<'a, Option<SqliteConnection>>,
    ) -> Result<Lease<'a>, sqlx::Error> {
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        if slot.is_none() {
            *slot = Some(self.options.connect().await?);
        }
        Ok(Lease { slot })
    }

    /// Refuses further leases, waits for the current holder, and closes the connection.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let conn = self.slot.lock().await.take();
        if let Some(conn) = conn {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

/// The held connection, while its lock is held.
pub(crate) struct Lease<'a> {
    /// Always `Some` while the lease is usable: it is only made over a connection, and
    /// [`Lease::discard`] empties it only when the lease is being dropped.
    slot: MutexGuard<'a, Option<SqliteConnection>>,
}

const HELD: &str = "a lease holds a connection until it is discarded on drop";

impl Deref for Lease<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.slot.as_ref().expect(HELD)
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.slot.as_mut().expect(HELD)
    }
}

impl Conn<Sqlite> for Lease<'_> {
    fn discard(&mut self) {
        // Dropping the connection ends its worker thread, which closes the handle: SQLite
        // rolls back an open transaction and releases its locks. The next lease reconnects.
        drop(self.slot.take());
    }
}
