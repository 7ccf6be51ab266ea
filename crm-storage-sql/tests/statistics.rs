//! The SQLite store keeps the query planner's statistics: none are made for an empty store,
//! they appear once enough records have been written (without reopening), and a store opened
//! on a file without them makes them.

// The shared test helpers need both backends; a build with one of them runs none of them.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod common;

use crm_core::store::{Commit, Entity, Store};
use crm_storage_sql::{sqlx, SqliteStore, OPTIMIZE_AFTER_WRITES};

/// Whether SQLite holds statistics for the `customer_owner_province_level` index.
async fn owner_index_analysed(store: &SqliteStore) -> bool {
    let stat_table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
    )
    .fetch_one(store.pool())
    .await
    .expect("schema");
    if stat_table == 0 {
        return false;
    }
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customer' AND idx = 'customer_owner_province_level'",
    )
    .fetch_one(store.pool())
    .await
    .expect("statistics");
    rows > 0
}

#[tokio::test]
async fn statistics_follow_large_writes_and_reopening() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crm.db");
    let store = SqliteStore::open_path(&path).await.expect("open");
    assert!(!owner_index_analysed(&store).await, "an empty store");
    let owner = common::employee(&store, "统计").await;
    // An import's worth of customers, in commits of 2,000 records as an import writes them.
    let total = usize::try_from(OPTIMIZE_AFTER_WRITES).expect("small");
    let mut written = 0;
    while written < total {
        let mut c = Commit::new();
        for i in 0..2_000 {
            let name = format!("客户{}", written + i);
            c.insert(common::customer(owner.id, &name, Some("浙江"), None).to_record());
        }
        store.commit(c).await.expect("commit");
        written += 2_000;
    }
    assert!(
        owner_index_analysed(&store).await,
        "statistics after {written} records written"
    );
    store.close().await;

    // A file with rows and no statistics (dropped here) gets them when it is opened.
    let mut conn = plain_connection(&path).await;
    sqlx::query("DROP TABLE sqlite_stat1")
        .execute(&mut conn)
        .await
        .expect("drop statistics");
    sqlx::Connection::close(conn).await.expect("close");
    let store = SqliteStore::open_path(&path).await.expect("reopen");
    assert!(
        owner_index_analysed(&store).await,
        "statistics after reopening"
    );
    store.close().await;
}

/// A plain writable connection to the file, outside the store.
async fn plain_connection(path: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::ConnectOptions as _;
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .expect("connect")
}
