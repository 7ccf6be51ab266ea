//! A commit future dropped half-way (a request timed out, a `select!` took another branch)
//! must leave nothing behind: no transaction open on a pooled connection, no half-written
//! commit, and the next commits on the same pool work.
//!
//! Commits are cut at every await point in turn (polled at most n times, then dropped) and at
//! tiny deadlines (`tokio::time::timeout`).

// The tests use both backends; a build with one of them runs none of them.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod common;

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use crm_core::customer::{CONTACT, CUSTOMER};
use crm_core::store::{Commit, Entity, Filter, Query, Store, Value};
use crm_storage_sql::sqlx::{self, Connection as _, Executor as _};
use crm_storage_sql::SqliteStore;

/// Polls `fut` at most `n` times; drops it unfinished after that.
async fn poll_at_most<F: Future>(fut: F, n: usize) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut polls = 0;
    std::future::poll_fn(|cx| {
        if polls >= n {
            return Poll::Ready(None);
        }
        polls += 1;
        fut.as_mut().poll(cx).map(Some)
    })
    .await
}

/// Cuts commits (a customer and its contact each) and counted queries short; checks that
/// every commit is whole or absent and that the store still works. Returns (finished, cut).
async fn cut_commits(store: &dyn Store) -> (usize, usize) {
    let owner = common::employee(store, "取消").await;
    let (mut finished, mut cut) = (0, 0);
    let mut written = Vec::new();
    for i in 0..240_usize {
        let c = common::customer(owner.id, &format!("取消{i}"), Some("浙江"), None);
        let ct = common::contact(c.id, "联系人");
        let mut commit = Commit::new();
        commit.insert(c.to_record()).insert(ct.to_record());
        written.push((c.id, ct.id));
        let outcome = if i % 2 == 0 {
            poll_at_most(store.commit(commit), i / 2 % 24).await
        } else {
            let deadline = Duration::from_micros(u64::try_from(i * 25 % 3000).unwrap_or(0));
            tokio::time::timeout(deadline, store.commit(commit))
                .await
                .ok()
        };
        match outcome {
            Some(r) => {
                r.expect("a commit that ran to the end succeeds");
                finished += 1;
            }
            None => cut += 1,
        }
        // Reads cut short too: a counted query runs in a read transaction.
        let q = Query::filter(&CUSTOMER, Filter::Eq("owner_id", Value::Id(owner.id))).with_total();
        let _ = poll_at_most(store.query(&q), i % 7).await;
    }
    // Connections of dropped futures go back to their pools in the background.
    tokio::time::sleep(Duration::from_millis(200)).await;

    for (customer, contact) in &written {
        let a = store
            .get(&CUSTOMER, *customer)
            .await
            .expect("get")
            .is_some();
        let b = store.get(&CONTACT, *contact).await.expect("get").is_some();
        assert_eq!(a, b, "commit of customer {customer} is half-written");
    }
    let q = Query::filter(&CUSTOMER, Filter::Eq("owner_id", Value::Id(owner.id))).with_total();
    let page = store.query(&q).await.expect("query after cancellations");
    assert_eq!(page.total, Some(page.records.len() as u64));

    for i in 0..20 {
        let c = common::customer(owner.id, &format!("之后{i}"), None, None);
        let mut commit = Commit::new();
        commit.insert(c.to_record());
        store
            .commit(commit)
            .await
            .expect("commit after cancellations");
        let mut commit = Commit::new();
        let mut changed = c.clone();
        changed.name = format!("改{i}");
        commit.update(changed.to_record(), 1);
        store
            .commit(commit)
            .await
            .expect("update after cancellations");
    }
    (finished, cut)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_dropped_commits_leave_no_transaction_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crm.db");
    let store = SqliteStore::open_path(&path).await.expect("open");
    let (finished, cut) = cut_commits(&store).await;
    eprintln!("sqlite: {finished} commits finished, {cut} cut short");
    assert!(finished > 0 && cut > 0, "{finished} finished, {cut} cut");

    // Nobody holds the write lock: another connection takes it at once.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .busy_timeout(Duration::ZERO);
    let mut other = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("second connection");
    other
        .execute("BEGIN IMMEDIATE")
        .await
        .expect("the write lock is free");
    other.execute("ROLLBACK").await.expect("rollback");
    other.close().await.expect("close");

    // No pooled reader connection is inside a transaction: each of them can begin one.
    let mut readers = Vec::new();
    for _ in 0..store.pool().options().get_max_connections() {
        readers.push(store.pool().acquire().await.expect("reader"));
    }
    for r in &mut readers {
        r.execute("BEGIN")
            .await
            .expect("reader is not in a transaction");
        r.execute("ROLLBACK").await.expect("rollback");
    }
    // Nor is the reader the store holds itself (the only one free while the test holds the
    // pool's): it sees a commit made now, so it reads no old snapshot.
    let owner = common::employee(&store, "之后").await;
    let fresh = common::customer(owner.id, "最后", None, None);
    let mut commit = Commit::new();
    commit.insert(fresh.to_record());
    store.commit(commit).await.expect("commit");
    assert!(store
        .get(&CUSTOMER, fresh.id)
        .await
        .expect("read on the held reader")
        .is_some());
    drop(readers);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dropped_commits_leave_no_transaction_open() {
    let Some(db) = common::PgDb::create("postgres_dropped_commits_leave_no_transaction_open").await
    else {
        return;
    };
    let store = db.store().await;
    let (finished, cut) = cut_commits(&store).await;
    eprintln!("postgres: {finished} commits finished, {cut} cut short");
    assert!(finished > 0 && cut > 0, "{finished} finished, {cut} cut");

    // No session of this database is left inside a transaction.
    let mut open = -1_i64;
    for _ in 0..50 {
        open = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(store.pool())
        .await
        .expect("pg_stat_activity");
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open, 0, "sessions left idle in transaction");
    store.close().await;
    db.drop_db().await;
}
