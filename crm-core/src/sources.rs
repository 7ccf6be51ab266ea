//! Time and ids come in through small injected sources, so a test or a simulation replays
//! exactly: the core never reads the system clock or a random generator directly.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // Truncated to microseconds, the precision every adapter stores, so that a time read
        // back equals the time written on every engine.
        let now = Utc::now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }
}

/// A clock that stands still until moved: for tests and simulations.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::sources::{Clock, ManualClock};
/// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
/// clock.advance(Duration::days(1));
/// assert_eq!(clock.now(), Utc.with_ymd_and_hms(2026, 1, 6, 9, 0, 0).unwrap());
/// ```
#[derive(Debug)]
pub struct ManualClock {
    micros: AtomicI64,
}

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock {
            micros: AtomicI64::new(at.timestamp_micros()),
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let d = by.num_microseconds().unwrap_or(i64::MAX);
        self.micros.fetch_add(d, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, at: DateTime<Utc>) {
        self.micros.store(at.timestamp_micros(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

/// A source of new record ids.
pub trait IdGen: Send + Sync {
    /// A fresh, never-before-returned id.
    fn next_id(&self) -> Uuid;
}

/// Time-ordered UUID v7 ids: consecutive records land next to each other in ordered engines
/// (sled, B-tree indexes), which keeps inserts fast and files small.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7;

impl IdGen for UuidV7 {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Deterministic ids 00000000-0000-7000-8000-000000000001, …: for tests that replay exactly.
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl SequentialIds {
    /// Starts at 1.
    pub fn new() -> Self {
        Self::default()
    }
}

impl IdGen for SequentialIds {
    fn next_id(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        // Version 7 and variant bits set, so the ids look like the production ones.
        Uuid::from_u128((0x7u128 << 76) | (0x8u128 << 60) | u128::from(n))
    }
}
