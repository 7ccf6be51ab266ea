//! Connections the PostgreSQL store holds itself, outside sqlx's pool.
//!
//! sqlx 0.8's pool pings every connection as it comes back (a round trip, in a task it spawns
//! for the purpose) and hands its idle connections out in turn. Each statement of the store
//! thus cost the server two round trips, and the next statement went to another backend
//! process, the one least recently woken. Measured on the order-to-cash flows: a read through
//! the pool took about 220 µs where the statement itself takes 50–60 µs on a connection held
//! directly. [`Conns`] keeps its idle connections on a stack, hands out the one used last, and
//! takes it back without a round trip.
//!
//! What the pool's ping guarded against is handled here instead:
//! - A connection idle for [`IDLE_PING`] or more is pinged before it is handed out (it may
//!   have outlived a server restart); one found gone is dropped and the next one tried.
//! - A statement cut short (its future dropped at an await point) or that found its
//!   connection gone leaves the lease marked: the connection is closed instead of kept
//!   ([`Lease::fetch_all`] and friends). A transaction guard ([`crate::tx::Tx`]) discards its
//!   connection the same way when dropped half-way.
//!
//! At most `max` connections are out at once; further callers wait in order (a fair
//! semaphore).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection, PgRow, Postgres};
use sqlx::ConnectOptions as _;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::tx::Conn;

/// A connection idle this long is pinged before it is handed out.
pub(crate) const IDLE_PING: Duration = Duration::from_secs(1);

/// An idle connection and since when.
struct Idle {
    conn: PgConnection,
    since: Instant,
}

/// The store's connections.
pub(crate) struct Conns {
    /// How to open one.
    options: PgConnectOptions,
    /// How long opening one may take.
    connect_timeout: Duration,
    /// Idle connections, the most recently used last.
    idle: Mutex<Vec<Idle>>,
    /// One permit per connection that may be out.
    permits: Semaphore,
    /// The store was closed: refuse leases, close connections as they come back.
    closed: AtomicBool,
}

impl fmt::Debug for Conns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conns")
            .field("host", &self.options.get_host())
            .field("database", &self.options.get_database())
            .field("available", &self.permits.available_permits())
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Conns {
    /// Up to `max` connections opened with `options`, each within `connect_timeout`.
    pub(crate) fn new(options: PgConnectOptions, max: u32, connect_timeout: Duration) -> Self {
        Conns {
            options,
            connect_timeout,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(usize::try_from(max.max(1)).unwrap_or(1)),
            closed: AtomicBool::new(false),
        }
    }

    /// A connection: the most recently used idle one, or a new one.
    ///
    /// # Errors
    /// [`sqlx::Error::PoolClosed`] after [`Conns::close`]; [`sqlx::Error::PoolTimedOut`] when a
    /// new connection cannot be opened in time; the error of opening it.
    pub(crate) async fn get(&self) -> Result<Lease<'_>, sqlx::Error> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        loop {
            let idle = self.idle.lock().map_or(None, |mut v| v.pop());
            let Some(Idle { mut conn, since }) = idle else {
                break;
            };
            if since.elapsed() < IDLE_PING || sqlx::Connection::ping(&mut conn).await.is_ok() {
                return Ok(self.lease(conn, permit));
            }
        }
        let conn = tokio::time::timeout(self.connect_timeout, self.options.connect())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        Ok(self.lease(conn, permit))
    }

    fn lease<'a>(&'a self, conn: PgConnection, permit: SemaphorePermit<'a>) -> Lease<'a> {
        Lease {
            conn: Some(conn),
            conns: self,
            _permit: permit,
            keep: true,
        }
    }

    /// Refuses further leases and closes the idle connections; connections still out are
    /// closed as they come back.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.permits.close();
        let idle = self
            .idle
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        for Idle { conn, .. } in idle {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

/// A connection taken from [`Conns`], going back to it when dropped (or closed, when it was
/// discarded, cut short, or found gone).
pub(crate) struct Lease<'a> {
    /// Always `Some` until dropped.
    conn: Option<PgConnection>,
    conns: &'a Conns,
    _permit: SemaphorePermit<'a>,
    /// Whether the connection goes back to the idle stack when the lease is dropped.
    keep: bool,
}

const HELD: &str = "a lease holds its connection until dropped";

impl Lease<'_> {
    /// Runs a statement and collects its rows.
    pub(crate) async fn fetch_all(
        &mut self,
        text: &str,
        args: PgArguments,
    ) -> Result<Vec<PgRow>, sqlx::Error> {
        self.keep = false; // until it has completed: a future dropped half-way discards
        let r = sqlx::query_with(text, args).fetch_all(&mut **self).await;
        self.settle(&r);
        r
    }

    /// Runs a statement; the rows it affected.
    pub(crate) async fn execute(
        &mut self,
        text: &str,
        args: PgArguments,
    ) -> Result<u64, sqlx::Error> {
        self.keep = false;
        let r = sqlx::query_with(text, args)
            .execute(&mut **self)
            .await
            .map(|r| r.rows_affected());
        self.settle(&r);
        r
    }

    /// After a statement: keep the connection unless it turned out gone.
    fn settle<T>(&mut self, r: &Result<T, sqlx::Error>) {
        self.keep = match r {
            Ok(_) => true,
            Err(e) => !crate::postgres::connection_lost(e),
        };
    }
}

impl Deref for Lease<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.conn.as_ref().expect(HELD)
    }
}

impl DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn.as_mut().expect(HELD)
    }
}

impl Conn<Postgres> for Lease<'_> {
    fn discard(&mut self) {
        self.keep = false;
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.keep && !self.conns.closed.load(Ordering::Acquire) {
            if let Ok(mut idle) = self.conns.idle.lock() {
                idle.push(Idle {
                    conn,
                    since: Instant::now(),
                });
            }
        }
        // Otherwise `conn` is dropped here: its socket closes, and the server ends the session
        // (rolling back whatever it had open).
    }
}
