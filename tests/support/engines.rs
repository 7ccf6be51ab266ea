//! Fresh stores of every engine for the end-to-end tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use crm::core::store::Store;

/// A fresh sled store in a temporary folder (kept alive by the returned guard).
pub fn sled() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = crm::sled::SledStore::open(dir.path().join("db")).unwrap();
    (Arc::new(store), dir)
}

/// A fresh SQLite file in a temporary folder.
pub async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("crm.db").display());
    (crm::open(&url).await.unwrap(), dir)
}

/// A fresh PostgreSQL database on the server named by `CRM_TEST_POSTGRES_URL`, or `None` (with
/// a message saying how to run these tests) when the variable is not set.
pub async fn postgres() -> Option<Arc<dyn Store>> {
    let Ok(server) = std::env::var("CRM_TEST_POSTGRES_URL") else {
        // In CI the PostgreSQL tests are never skipped (`.ci/run` sets the variable).
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CRM_TEST_POSTGRES_URL is not set in CI"
        );
        eprintln!(
            "skipping PostgreSQL: set CRM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres to run it"
        );
        return None;
    };
    use crm::sql::sqlx::{Connection, Executor, PgConnection};
    let mut conn = PgConnection::connect(&server)
        .await
        .expect("PostgreSQL server");
    let name = format!("crm_e2e_{}", uuid::Uuid::now_v7().simple());
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').expect("a URL with a database name");
    Some(crm::open(&format!("{base}/{name}")).await.unwrap())
}
