//! Runs of inserts of one kind are written with multi-row statements; a refusal anywhere in a
//! run must still name the record that caused it, exactly as a record-by-record commit would,
//! and leave nothing written.

// The tests use both backends; a build with one of them runs none of them.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod common;

use crm_core::customer::{Customer, CUSTOMER};
use crm_core::store::{Commit, Entity, Filter, Query, Store, Value};
use crm_core::Error;
use crm_storage_sql::SqliteStore;

fn commit_of(customers: &[Customer]) -> Commit {
    let mut c = Commit::new();
    for x in customers {
        c.insert(x.to_record());
    }
    c
}

async fn count_of(store: &dyn Store, owner: uuid::Uuid) -> u64 {
    let q = Query::filter(&CUSTOMER, Filter::Eq("owner_id", Value::Id(owner)))
        .page(0, 0)
        .with_total();
    store
        .query(&q)
        .await
        .expect("count")
        .total
        .unwrap_or_default()
}

async fn batches(label: &str, store: &dyn Store) {
    let owner = common::employee(store, "批量").await;
    let held = common::customer(owner.id, "已有", None, None);
    store
        .commit(commit_of(std::slice::from_ref(&held)))
        .await
        .expect("seed");

    let fresh = |n: usize| -> Vec<Customer> {
        (0..n)
            .map(|i| common::customer(owner.id, &format!("批{i}"), Some("江苏"), None))
            .collect()
    };

    // A key held by a stored record, in the middle of a run.
    let mut run = fresh(10);
    run[6].name_key = held.name_key.clone();
    let r = store.commit(commit_of(&run)).await;
    match &r {
        Err(Error::Duplicate { rule, existing, .. }) => {
            assert_eq!(*rule, "customer_name_key", "{label}");
            assert_eq!(
                existing.as_deref(),
                Some(held.id.to_string().as_str()),
                "{label}"
            );
        }
        other => panic!("{label}: stored key gave {other:?}"),
    }

    // An id that exists.
    let mut run = fresh(10);
    run[3] = held.clone();
    let r = store.commit(commit_of(&run)).await;
    assert!(
        matches!(r, Err(Error::AlreadyExists { ref id, .. }) if *id == held.id.to_string()),
        "{label}: {r:?}"
    );

    // The same key twice within the run.
    let mut run = fresh(10);
    run[8].name_key = run[2].name_key.clone();
    let r = store.commit(commit_of(&run)).await;
    assert!(
        matches!(
            r,
            Err(Error::Duplicate {
                rule: "customer_name_key",
                ..
            })
        ),
        "{label}: {r:?}"
    );

    // The same record twice within the run.
    let mut run = fresh(10);
    run[9] = run[1].clone();
    let r = store.commit(commit_of(&run)).await;
    assert!(
        matches!(r, Err(Error::AlreadyExists { .. })),
        "{label}: {r:?}"
    );

    // A record referring to nobody.
    let mut run = fresh(10);
    run[5].owner_id = uuid::Uuid::now_v7();
    let r = store.commit(commit_of(&run)).await;
    assert!(matches!(r, Err(Error::Conflict(_))), "{label}: {r:?}");

    assert_eq!(
        count_of(store, owner.id).await,
        1,
        "{label}: a refused run left records"
    );

    // A long run, over several statements, then a mixed commit around a run.
    let run = fresh(1_234);
    store.commit(commit_of(&run)).await.expect("long run");
    let got = store
        .get_many(&CUSTOMER, &run.iter().map(|c| c.id).collect::<Vec<_>>())
        .await
        .expect("get_many");
    assert_eq!(got.len(), run.len(), "{label}");
    for (g, want) in got.iter().zip(&run) {
        assert_eq!(&Customer::from_record(g).expect("decode"), want, "{label}");
        assert_eq!(g.version, 1, "{label}");
    }
    let mut changed = held.clone();
    changed.name = "已有改".into();
    let mut c = Commit::new();
    c.update(changed.to_record(), 1);
    for x in fresh(6) {
        c.insert(x.to_record());
        c.insert(common::contact(x.id, "联系人").to_record());
    }
    for x in fresh(7) {
        c.insert(x.to_record());
    }
    c.delete(&CUSTOMER, run[0].id, 1);
    store.commit(c).await.expect("mixed commit");
    assert_eq!(
        count_of(store, owner.id).await,
        1 + 1_234 + 6 + 7 - 1,
        "{label}"
    );
}

#[tokio::test]
async fn sqlite_runs_of_inserts_fail_like_single_inserts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_path(dir.path().join("crm.db"))
        .await
        .expect("open");
    batches("sqlite", &store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_runs_of_inserts_fail_like_single_inserts() {
    let Some(db) = common::PgDb::create("postgres_runs_of_inserts_fail_like_single_inserts").await
    else {
        return;
    };
    let store = db.store().await;
    batches("postgres", &store).await;
    store.close().await;
    db.drop_db().await;
}
