//! The core's storage conformance suite on SQLite (a temporary file) and on PostgreSQL
//! (a fresh database), twice on the same data.

// The tests use both backends; a build with one of them runs none of them.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod common;

use std::sync::Arc;

use crm_core::store::{conformance, Store};
use crm_storage_sql::SqliteStore;

async fn run_twice(store: Arc<dyn Store>) -> Vec<&'static str> {
    let passed = conformance::run_all(store.clone(), common::spawner())
        .await
        .expect("conformance suite");
    conformance::run_all(store, common::spawner())
        .await
        .expect("conformance suite, second run on the same data");
    passed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_file_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_path(dir.path().join("crm.db"))
        .await
        .expect("open");
    let passed = run_twice(Arc::new(store.clone())).await;
    assert_eq!(passed.len(), 12, "cases: {passed:?}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_passes_the_conformance_suite() {
    let Some(db) = common::PgDb::create("postgres_passes_the_conformance_suite").await else {
        return;
    };
    let store = db.store().await;
    let passed = run_twice(Arc::new(store.clone())).await;
    assert_eq!(passed.len(), 12, "cases: {passed:?}");
    store.close().await;
    db.drop_db().await;
}

/// Two stores on one file, used alternately: what two processes sharing the file see. Every
/// promise must hold between them (SQLite's write lock, not this process, serialises them).
struct Alternating {
    stores: [SqliteStore; 2],
    next: std::sync::atomic::AtomicUsize,
}

impl Alternating {
    fn pick(&self) -> &SqliteStore {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        &self.stores[n % 2]
    }
}

#[async_trait::async_trait]
impl Store for Alternating {
    fn capabilities(&self) -> crm_core::store::Capabilities {
        self.stores[0].capabilities()
    }
    async fn get(
        &self,
        kind: &'static crm_core::store::Kind,
        id: uuid::Uuid,
    ) -> crm_core::Result<Option<crm_core::store::Record>> {
        self.pick().get(kind, id).await
    }
    async fn get_many(
        &self,
        kind: &'static crm_core::store::Kind,
        ids: &[uuid::Uuid],
    ) -> crm_core::Result<Vec<crm_core::store::Record>> {
        self.pick().get_many(kind, ids).await
    }
    async fn query(
        &self,
        query: &crm_core::store::Query,
    ) -> crm_core::Result<crm_core::store::Page> {
        self.pick().query(query).await
    }
    async fn commit(&self, commit: crm_core::store::Commit) -> crm_core::Result<()> {
        self.pick().commit(commit).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_two_stores_on_one_file_pass_the_conformance_suite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crm.db");
    let a = SqliteStore::open_path(&path).await.expect("open");
    let b = SqliteStore::open_path(&path).await.expect("open again");
    assert!(a.capabilities().multi_process);
    let both = Alternating {
        stores: [a.clone(), b.clone()],
        next: Default::default(),
    };
    let passed = run_twice(Arc::new(both)).await;
    assert_eq!(passed.len(), 12, "cases: {passed:?}");
    a.close().await;
    b.close().await;
}
