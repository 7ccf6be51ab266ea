//! PostgreSQL writes a commit as one statement when it can, and runs it again statement by
//! statement when that statement fails: the outcome (written, or the precise error with nothing
//! written) must be the same as a commit written statement by statement, and the usual commit
//! must really take the one-statement path.

#![cfg(feature = "postgres")]

mod common;

use crm_core::customer::{Customer, CUSTOMER};
use crm_core::store::{Commit, Entity, Store};
use crm_core::Error;
use crm_storage_sql::{CommitPaths, PostgresStore};

async fn stored(store: &PostgresStore, c: &Customer) -> Option<(Customer, u64)> {
    store
        .get(&CUSTOMER, c.id)
        .await
        .expect("get")
        .map(|r| (Customer::from_record(&r).expect("decode"), r.version))
}

fn paths(one: u64, retried: u64, by: u64) -> CommitPaths {
    CommitPaths {
        one_statement: one,
        retried_by_statements: retried,
        by_statements: by,
    }
}

#[tokio::test]
async fn postgres_commits_go_as_one_statement_and_failures_as_precise_as_before() {
    let Some(db) = common::PgDb::create("postgres_one_statement_commits").await else {
        return;
    };
    let store = db.store().await;
    let owner = common::employee(&store, "一句").await; // one commit
    assert_eq!(store.commit_paths(), paths(1, 0, 0));

    // Inserts, an update, a delete and an assertion together: one statement, all applied.
    let a = common::customer(owner.id, "甲", Some("江苏"), None);
    let b = common::customer(owner.id, "乙", None, None);
    let mut c = Commit::new();
    c.insert(a.to_record()).insert(b.to_record());
    store.commit(c).await.expect("seed");
    let mut a2 = a.clone();
    a2.name = "甲改".into();
    let fresh = common::customer(owner.id, "丙", None, None);
    let mut c = Commit::new();
    c.update(a2.to_record(), 1)
        .delete(&CUSTOMER, b.id, 1)
        .insert(fresh.to_record())
        .insert(common::contact(fresh.id, "联系人").to_record())
        .assert_version(&crm_core::org::ROLE, owner.id, 1);
    // (An assertion on a record that does not exist fails: the commit must not be applied.)
    let r = store.commit(c).await;
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    assert_eq!(
        stored(&store, &a).await.map(|s| s.1),
        Some(1),
        "nothing applied"
    );
    assert!(stored(&store, &fresh).await.is_none(), "nothing applied");
    assert_eq!(store.commit_paths(), paths(2, 1, 0));

    let mut c = Commit::new();
    c.update(a2.to_record(), 1)
        .delete(&CUSTOMER, b.id, 1)
        .insert(fresh.to_record())
        .insert(common::contact(fresh.id, "联系人").to_record())
        .assert_version(&crm_core::org::EMPLOYEE, owner.id, 1);
    store.commit(c).await.expect("mixed commit");
    assert_eq!(store.commit_paths(), paths(3, 1, 0));
    assert_eq!(stored(&store, &a).await, Some((a2.clone(), 2)));
    assert!(stored(&store, &b).await.is_none());
    assert_eq!(stored(&store, &fresh).await, Some((fresh.clone(), 1)));

    // A stale version: the precise conflict, and the insert beside it not written.
    let late = common::customer(owner.id, "丁", None, None);
    let mut c = Commit::new();
    c.insert(late.to_record()).update(a2.to_record(), 1);
    let r = store.commit(c).await;
    match &r {
        Err(Error::Conflict(msg)) => assert!(msg.contains(&a.id.to_string()), "{msg}"),
        other => panic!("stale update gave {other:?}"),
    }
    assert!(stored(&store, &late).await.is_none());
    assert_eq!(store.commit_paths(), paths(3, 2, 0));

    // A duplicate key: the rule and the record that holds it, as statement by statement.
    let mut twin = common::customer(owner.id, "戊", None, None);
    twin.name_key = fresh.name_key.clone();
    let mut c = Commit::new();
    c.insert(twin.to_record());
    let r = store.commit(c).await;
    match &r {
        Err(Error::Duplicate { rule, existing, .. }) => {
            assert_eq!(*rule, "customer_name_key");
            assert_eq!(existing.as_deref(), Some(fresh.id.to_string().as_str()));
        }
        other => panic!("duplicate key gave {other:?}"),
    }
    assert_eq!(store.commit_paths(), paths(3, 3, 0));

    // A key handed over inside one commit (freed by the first write, taken by the second):
    // correct in the commit's order, whichever path wrote it.
    let mut a3 = a2.clone();
    a3.name_key = format!("{}-改", a2.name_key);
    let mut heir = common::customer(owner.id, "己", None, None);
    heir.name_key = a2.name_key.clone();
    let mut c = Commit::new();
    c.update(a3.to_record(), 2).insert(heir.to_record());
    store.commit(c).await.expect("key handed over");
    assert_eq!(stored(&store, &heir).await, Some((heir.clone(), 1)));
    assert_eq!(stored(&store, &a).await, Some((a3.clone(), 3)));
    let p = store.commit_paths();
    assert_eq!(p.one_statement + p.retried_by_statements, 4 + 3);

    // One record written twice in a commit: statement by statement from the start.
    let twice = common::customer(owner.id, "庚", None, None);
    let mut again = twice.clone();
    again.name = "庚改".into();
    let mut c = Commit::new();
    c.insert(twice.to_record()).update(again.to_record(), 1);
    store.commit(c).await.expect("written twice");
    assert_eq!(stored(&store, &twice).await, Some((again, 2)));
    assert_eq!(store.commit_paths().by_statements, 1);

    store.close().await;
    db.drop_db().await;
}
