//! A store wrapper that makes a chosen commit fail: for proving that every change is wholly
//! present or wholly absent after a failure, and that retrying it is safe.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

use super::{Capabilities, Commit, Kind, Page, Query, Record, Store};
use crate::error::{Error, Result};

/// When the injected failure happens relative to the real commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// The commit is refused before it reaches the engine: nothing of it is written.
    Before,
    /// The commit reaches the engine and succeeds, but the caller hears an error (a lost
    /// acknowledgement): the change is wholly present though the caller thinks it failed.
    After,
}

/// Wraps a store and fails its k-th commit (1-based), once.
///
/// ```
/// # futures::executor::block_on(async {
/// use std::sync::Arc;
/// use crm_core::store::{faults::{FaultMode, FaultyStore}, Commit, MemoryStore, Store};
/// let store = FaultyStore::new(Arc::new(MemoryStore::new()), 1, FaultMode::Before);
/// assert!(store.commit(Commit::new()).await.is_err());
/// assert!(store.commit(Commit::new()).await.is_ok());
/// assert!(store.tripped());
/// # });
/// ```
pub struct FaultyStore {
    inner: Arc<dyn Store>,
    fail_at: u64,
    mode: FaultMode,
    commits: AtomicU64,
}

impl FaultyStore {
    /// Fails commit number `fail_at` (1-based) of `inner`, in `mode`.
    pub fn new(inner: Arc<dyn Store>, fail_at: u64, mode: FaultMode) -> Self {
        FaultyStore {
            inner,
            fail_at,
            mode,
            commits: AtomicU64::new(0),
        }
    }

    /// Commits attempted so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// Whether the failure has been injected.
    pub fn tripped(&self) -> bool {
        self.commits() >= self.fail_at
    }
}

fn injected(n: u64) -> Error {
    Error::backend_msg(format!("injected failure of commit {n}"))
}

#[async_trait]
impl Store for FaultyStore {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn get(&self, kind: &'static Kind, id: Uuid) -> Result<Option<Record>> {
        self.inner.get(kind, id).await
    }

    async fn get_many(&self, kind: &'static Kind, ids: &[Uuid]) -> Result<Vec<Record>> {
        self.inner.get_many(kind, ids).await
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        self.inner.query(query).await
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        let n = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        if n != self.fail_at {
            return self.inner.commit(commit).await;
        }
        match self.mode {
            FaultMode::Before => Err(injected(n)),
            FaultMode::After => {
                self.inner.commit(commit).await?;
                Err(injected(n))
            }
        }
    }
}
