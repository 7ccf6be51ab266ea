//! Opening, reopening and refusing: data survives a reopen of the SQLite file, a database
//! written by a newer version of the library is refused, values SQLite cannot keep exactly are
//! refused, and `open` picks the backend from the URL.

// The tests use both backends; a build with one of them runs none of them.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod common;

use std::time::Duration;

use chrono::TimeZone;
use crm_core::customer::{Customer, CUSTOMER};
use crm_core::store::{Commit, Entity, Store};
use crm_core::Error;
use crm_storage_sql::sqlx::{self, Connection as _, Executor as _};
use crm_storage_sql::{SchemaTooNew, SqliteStore};
use rust_decimal::Decimal;

#[tokio::test]
async fn sqlite_data_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crm.db");
    let store = SqliteStore::open_path(&path).await.expect("open");
    assert!(store.capabilities().durable);
    let owner = common::employee(&store, "王五").await;
    let mut c = common::customer(owner.id, "杭州西湖茶业", Some("浙江"), Some("杭州"));
    c.credit_limit = Some(Decimal::new(123_456_789_012_345_678, 6));
    c.last_contact_at = Some(
        chrono::Utc
            .with_ymd_and_hms(2026, 3, 20, 23, 59, 59)
            .single()
            .expect("valid")
            + chrono::Duration::microseconds(999_999),
    );
    c.tags = ["VIP".to_owned(), "茶".to_owned()].into();
    let mut commit = Commit::new();
    commit.insert(c.to_record());
    store.commit(commit).await.expect("insert");
    let mut changed = c.clone();
    changed.name = "杭州西湖茶业有限公司".into();
    let mut commit = Commit::new();
    commit.update(changed.to_record(), 1);
    store.commit(commit).await.expect("update");
    store.close().await;

    let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("reopen");
    let got = store
        .get(&CUSTOMER, c.id)
        .await
        .expect("get")
        .expect("customer survives the reopen");
    assert_eq!(got.version, 2);
    assert_eq!(Customer::from_record(&got).expect("decode"), changed);
    // And it keeps working: the next update sees version 2.
    let mut commit = Commit::new();
    commit.update(changed.to_record(), 2);
    store.commit(commit).await.expect("update after reopen");
    store.close().await;
}

#[tokio::test]
async fn sqlite_refuses_decimals_it_cannot_keep_exactly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_path(dir.path().join("crm.db"))
        .await
        .expect("open");
    let owner = common::employee(&store, "赵六").await;
    for bad in [Decimal::new(1, 7), Decimal::new(9_223_372_036_855, 0)] {
        let mut c = common::customer(owner.id, "精度", None, None);
        c.credit_limit = Some(bad);
        let mut commit = Commit::new();
        commit.insert(c.to_record());
        let r = store.commit(commit).await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "credit_limit"),
            "{bad} gave {r:?}"
        );
        assert!(store.get(&CUSTOMER, c.id).await.expect("get").is_none());
    }
    // Trailing zeros beyond six places are no precision: accepted.
    let mut c = common::customer(owner.id, "精度", None, None);
    c.credit_limit = Some(Decimal::new(1_500_000_000, 9));
    let mut commit = Commit::new();
    commit.insert(c.to_record());
    store.commit(commit).await.expect("1.500000000 is 1.5");
    let got = store
        .get(&CUSTOMER, c.id)
        .await
        .expect("get")
        .expect("stored");
    let back = Customer::from_record(&got).expect("decode");
    assert_eq!(back.credit_limit, Some(Decimal::new(15, 1)));
    store.close().await;
}

/// Marks the database as migrated by a future version of the library (`checksum` is a blob
/// literal of the backend).
fn future_migration(checksum: &str) -> String {
    format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', TRUE, {checksum}, 0)"
    )
}

fn assert_too_new(r: Result<impl std::fmt::Debug, Error>) {
    match r {
        Err(Error::Backend(e)) => {
            let too_new = e
                .downcast_ref::<SchemaTooNew>()
                .unwrap_or_else(|| panic!("expected SchemaTooNew, got {e}"));
            assert_eq!(too_new.found, 99_990_101_000_000);
            assert!(e.to_string().contains("newer version"), "{e}");
        }
        other => panic!("a newer schema was not refused: {other:?}"),
    }
}

#[tokio::test]
async fn sqlite_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crm.db");
    SqliteStore::open_path(&path)
        .await
        .expect("open")
        .close()
        .await;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .busy_timeout(Duration::from_secs(5));
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("connect");
    conn.execute(future_migration("x'00'").as_str())
        .await
        .expect("future migration");
    conn.close().await.expect("close");
    assert_too_new(SqliteStore::open_path(&path).await);
}

#[tokio::test]
async fn postgres_refuses_a_newer_schema() {
    let Some(db) = common::PgDb::create("postgres_refuses_a_newer_schema").await else {
        return;
    };
    let store = db.store().await;
    store
        .pool()
        .execute(future_migration("'\\x00'::bytea").as_str())
        .await
        .expect("future migration");
    store.close().await;
    assert_too_new(crm_storage_sql::PostgresStore::open_with(db.options.clone()).await);
    db.drop_db().await;
}

#[tokio::test]
async fn open_picks_the_backend_from_the_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("crm.db").display());
    let store = crm_storage_sql::open(&url).await.expect("open sqlite");
    let owner = common::employee(store.as_ref(), "孙七").await;
    assert!(store
        .get(&crm_core::org::EMPLOYEE, owner.id)
        .await
        .expect("get")
        .is_some());

    for url in ["mysql://localhost/crm", "crm.db"] {
        let r = crm_storage_sql::open(url).await;
        assert!(matches!(r, Err(Error::Invalid { .. })), "{url}");
    }
    for url in ["sqlite::memory:", "sqlite://crm.db?mode=memory"] {
        let r = SqliteStore::open(url).await;
        assert!(matches!(r, Err(Error::Invalid { .. })), "{url} gave {r:?}");
    }

    if let Some(db) = common::PgDb::create("open_picks_the_backend_from_the_url").await {
        let store = crm_storage_sql::open(&db.url())
            .await
            .expect("open postgres");
        let owner = common::employee(store.as_ref(), "孙七").await;
        assert!(store
            .get(&crm_core::org::EMPLOYEE, owner.id)
            .await
            .expect("get")
            .is_some());
        drop(store);
        db.drop_db().await;
    }
}

#[tokio::test]
async fn postgres_carries_on_when_the_server_ends_every_pooled_connection() {
    let Some(db) = common::PgDb::create("postgres_carries_on_after_sessions_end").await else {
        return;
    };
    let store = db.store().await;
    let owner = common::employee(&store, "周八").await;
    // Fill the pool with connections in steady use (not idle long enough to be pinged).
    let mut reads = Vec::new();
    for _ in 0..crm_storage_sql::DEFAULT_CONNECTIONS {
        reads.push(store.get(&crm_core::org::EMPLOYEE, owner.id));
    }
    for r in futures::future::join_all(reads).await {
        assert!(r.expect("read").is_some());
    }
    // An administrator (or a restart) ends every session of the database.
    let mut admin = sqlx::PgConnection::connect_with(&db.admin)
        .await
        .expect("connect to postgres");
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
    )
    .bind(&db.name)
    .fetch_all(&mut admin)
    .await
    .expect("terminate");
    assert!(!ended.is_empty() && ended.iter().all(|&e| e), "{ended:?}");
    admin.close().await.expect("close");
    // Reads and commits find their connections gone and run again on fresh ones.
    assert!(store
        .get(&crm_core::org::EMPLOYEE, owner.id)
        .await
        .expect("read after the sessions ended")
        .is_some());
    let c = common::customer(owner.id, "宁波港务物流", Some("浙江"), Some("宁波"));
    let mut commit = Commit::new();
    commit.insert(c.to_record());
    store
        .commit(commit)
        .await
        .expect("commit after the sessions ended");
    assert!(store.get(&CUSTOMER, c.id).await.expect("read").is_some());
    store.close().await;
    db.drop_db().await;
}
