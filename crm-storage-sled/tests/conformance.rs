//! The storage conformance suite of the core, on the sled store: fresh, twice on the same data,
//! with the record cache and without it, and across close and reopen.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;

use crm_core::customer::{Contact, Customer, CONTACT, CUSTOMER};
use crm_core::org::{Department, Employee, EMPLOYEE};
use crm_core::settings::{Sequence, SEQUENCE};
use crm_core::store::{conformance, Commit, Entity, Filter, Query, Store, Value};
use crm_core::Error;
use crm_storage_sled::{CachePolicy, Durability, SledOptions, SledStore, SCHEMA_VERSION};
use futures::executor::block_on;
use uuid::Uuid;

fn run_suite(store: Arc<SledStore>) {
    let passed =
        block_on(conformance::run_all(store, conformance::thread_spawner())).expect("conformance");
    assert_eq!(passed.len(), 12);
}

#[test]
fn sled_store_passes_the_conformance_suite_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    assert!(store.capabilities().durable);
    assert!(!store.capabilities().multi_process);
    run_suite(store.clone());
    run_suite(store);
}

#[test]
fn sled_store_without_cache_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SledOptions {
        cache: CachePolicy::Off,
        durability: Durability::Batched,
        ..SledOptions::default()
    };
    let store = Arc::new(SledStore::open_with(dir.path(), opts).unwrap());
    run_suite(store.clone());
    run_suite(store.clone());
    store.flush().unwrap();
}

#[test]
fn sled_store_whose_kinds_outgrow_the_record_cache_passes_the_conformance_suite() {
    // Every kind with more than two records is too large to cache: queries read sled, and
    // aggregates fold two records at a time and merge the chunks.
    let dir = tempfile::tempdir().unwrap();
    let opts = SledOptions {
        cache_max_records: 2,
        durability: Durability::Batched,
        ..SledOptions::default()
    };
    let store = Arc::new(SledStore::open_with(dir.path(), opts).unwrap());
    run_suite(store.clone());
    run_suite(store.clone());
    store.flush().unwrap();
}

#[test]
fn sled_store_passes_the_suite_again_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Arc::new(SledStore::open(dir.path()).unwrap());
        run_suite(store);
    }
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    run_suite(store);
}

fn org(store: &SledStore) -> (Department, Employee) {
    let d = Department {
        id: Uuid::now_v7(),
        name: "销售部".into(),
        parent_id: None,
    };
    let e = Employee {
        id: Uuid::now_v7(),
        code: "E001".into(),
        name: "张三".into(),
        department_id: d.id,
        manager_id: None,
        role_ids: Default::default(),
        active: true,
    };
    let mut c = Commit::new();
    c.insert(d.to_record()).insert(e.to_record());
    block_on(store.commit(c)).unwrap();
    (d, e)
}

#[test]
fn data_versions_and_rules_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (dept, emp, seq) = {
        let store = SledStore::open(dir.path()).unwrap();
        let (dept, emp) = org(&store);
        let mut seq = Sequence {
            id: Uuid::now_v7(),
            name: "order".into(),
            next: 1,
        };
        let mut c = Commit::new();
        c.insert(seq.to_record());
        block_on(store.commit(c)).unwrap();
        for v in 1..=3 {
            seq.next += 1;
            let mut c = Commit::new();
            c.update(seq.to_record(), v);
            block_on(store.commit(c)).unwrap();
        }
        // Load the employee kind into the cache, so reopening starts from a cold cache.
        let q = Query::filter(&EMPLOYEE, Filter::Contains("name", "张".into()));
        assert_eq!(block_on(store.query(&q)).unwrap().records.len(), 1);
        (dept, emp, seq)
    };

    let store = SledStore::open(dir.path()).unwrap();
    let r = block_on(store.get(&SEQUENCE, seq.id))
        .unwrap()
        .expect("sequence survives");
    assert_eq!(r.version, 4);
    assert_eq!(Sequence::from_record(&r).unwrap(), seq);
    let r = block_on(store.get(&EMPLOYEE, emp.id))
        .unwrap()
        .expect("employee survives");
    assert_eq!(Employee::from_record(&r).unwrap(), emp);

    // A stale version is still a conflict.
    let mut c = Commit::new();
    c.update(seq.to_record(), 3);
    assert!(matches!(block_on(store.commit(c)), Err(Error::Conflict(_))));

    // The unique employee code still holds, and names the holder.
    let twin = Employee {
        id: Uuid::now_v7(),
        ..emp.clone()
    };
    let mut c = Commit::new();
    c.insert(twin.to_record());
    match block_on(store.commit(c)) {
        Err(Error::Duplicate {
            rule: "employee_code",
            existing: Some(e),
            ..
        }) => assert_eq!(e, emp.id.to_string()),
        other => panic!("expected a duplicate, got {other:?}"),
    }

    // References still hold: the department is referred to by the employee.
    let mut c = Commit::new();
    c.delete(&crm_core::org::DEPARTMENT, dept.id, 1);
    assert!(matches!(block_on(store.commit(c)), Err(Error::Conflict(_))));

    // A contact of a missing customer is refused; the sequence can still move on.
    let orphan = Contact {
        id: Uuid::now_v7(),
        customer_id: Uuid::now_v7(),
        name: "孤儿".into(),
        title: None,
        mobile: None,
        phone: None,
        email: None,
        birthday: None,
        primary: true,
        notes: None,
    };
    let mut c = Commit::new();
    c.insert(orphan.to_record());
    assert!(matches!(block_on(store.commit(c)), Err(Error::Conflict(_))));
    let q = Query::filter(
        &CONTACT,
        Filter::Eq("customer_id", Value::Id(orphan.customer_id)),
    );
    assert!(block_on(store.query(&q)).unwrap().records.is_empty());

    // Delete the employee, then the department is free to go.
    let mut c = Commit::new();
    c.delete(&EMPLOYEE, emp.id, 1)
        .delete(&crm_core::org::DEPARTMENT, dept.id, 1);
    block_on(store.commit(c)).unwrap();
    assert!(block_on(store.get(&EMPLOYEE, emp.id)).unwrap().is_none());
    let q = Query::filter(&EMPLOYEE, Filter::Eq("code", Value::Text("E001".into()))).with_total();
    assert_eq!(block_on(store.query(&q)).unwrap().total, Some(0));
    assert_eq!(
        block_on(store.query(&Query::all(&CUSTOMER)))
            .unwrap()
            .records
            .len(),
        0
    );
}

#[test]
fn batched_commits_survive_an_explicit_flush_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SledOptions {
        durability: Durability::Batched,
        ..SledOptions::default()
    };
    let id = {
        let store = SledStore::open_with(dir.path(), opts).unwrap();
        let (_, e) = org(&store);
        store.flush().unwrap();
        e.id
    };
    let store = SledStore::open(dir.path()).unwrap();
    assert!(block_on(store.get(&EMPLOYEE, id)).unwrap().is_some());
}

#[test]
fn a_store_from_a_newer_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SledStore::open(dir.path()).unwrap());
    {
        let db = open_raw_sled(dir.path());
        let meta = db.open_tree("meta").unwrap();
        meta.insert("schema_version", &(SCHEMA_VERSION + 1).to_be_bytes()[..])
            .unwrap();
        db.flush().unwrap();
    }
    match SledStore::open(dir.path()) {
        Err(Error::Backend(e)) => assert!(e.to_string().contains("newer"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Sets the schema version a store's `meta` tree records.
fn set_schema_version(path: &std::path::Path, version: u32) {
    let db = open_raw_sled(path);
    let meta = db.open_tree("meta").unwrap();
    meta.insert("schema_version", &version.to_be_bytes()[..])
        .unwrap();
    db.flush().unwrap();
}

fn schema_version(path: &std::path::Path) -> u32 {
    let db = open_raw_sled(path);
    let meta = db.open_tree("meta").unwrap();
    let v = meta.get("schema_version").unwrap().unwrap();
    u32::from_be_bytes(v[..].try_into().unwrap())
}

#[test]
fn a_schema_2_store_opens_and_is_marked_with_the_current_version() {
    // Schema 2 differs only in that every index entry lists one record, which schema 3 reads.
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = SledStore::open(dir.path()).unwrap();
        let (_, e) = org(&store);
        e.id
    };
    set_schema_version(dir.path(), 2);
    {
        let store = SledStore::open(dir.path()).unwrap();
        assert!(block_on(store.get(&EMPLOYEE, id)).unwrap().is_some());
    }
    assert_eq!(schema_version(dir.path()), SCHEMA_VERSION);
}

#[test]
fn a_store_older_than_schema_2_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SledStore::open(dir.path()).unwrap());
    set_schema_version(dir.path(), 1);
    match SledStore::open(dir.path()) {
        Err(Error::Backend(e)) => assert!(e.to_string().contains("older"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_second_handle_on_an_open_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = SledStore::open(dir.path()).unwrap();
    assert!(matches!(
        SledStore::open(dir.path()),
        Err(Error::Backend(_))
    ));
}

/// Opens the directory with sled itself, waiting for the lock the store just dropped: sled
/// releases it from background threads shortly after the last handle goes.
fn open_raw_sled(path: &std::path::Path) -> sled::Db {
    let started = std::time::Instant::now();
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(e) if started.elapsed() < std::time::Duration::from_secs(5) => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("cannot open {}: {e}", path.display()),
        }
    }
}

fn a_customer(owner: Uuid, name: &str) -> Customer {
    Customer {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        short_name: None,
        name_key: name.to_owned(),
        customer_type: None,
        level: None,
        industry: None,
        province: None,
        city: None,
        source: None,
        address: None,
        phone: None,
        website: None,
        credit_code: None,
        bank_name: None,
        bank_account: None,
        credit_limit: None,
        owner_id: owner,
        tags: Default::default(),
        attributes: Default::default(),
        anniversaries: Vec::new(),
        archived: false,
        created_at: chrono::Utc::now(),
        created_by: owner,
        updated_at: chrono::Utc::now(),
        last_contact_at: None,
        search_name: name.to_owned(),
        search_contacts: String::new(),
    }
}

fn a_contact(customer_id: Uuid, name: &str) -> Contact {
    Contact {
        id: Uuid::now_v7(),
        customer_id,
        name: name.into(),
        title: None,
        mobile: None,
        phone: None,
        email: None,
        birthday: None,
        primary: true,
        notes: None,
    }
}

/// References that an index lists (a contact's customer, a customer's owner) are checked by
/// scanning that index: also after reopening, and minding what the same commit changes.
#[test]
fn references_listed_by_indexes_hold_across_reopen_and_within_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (emp, a, b, ct) = {
        let store = SledStore::open(dir.path()).unwrap();
        let (_, emp) = org(&store);
        let a = a_customer(emp.id, "甲公司");
        let b = a_customer(emp.id, "乙公司");
        let ct = a_contact(a.id, "王五");
        let mut c = Commit::new();
        c.insert(a.to_record())
            .insert(b.to_record())
            .insert(ct.to_record());
        block_on(store.commit(c)).unwrap();
        (emp, a, b, ct)
    };
    let store = SledStore::open(dir.path()).unwrap();
    let refused = |c: Commit| matches!(block_on(store.commit(c)), Err(Error::Conflict(_)));

    // The owner of customers, and a customer with a contact, cannot go.
    let mut c = Commit::new();
    c.delete(&EMPLOYEE, emp.id, 1);
    assert!(refused(c));
    let mut c = Commit::new();
    c.delete(&CUSTOMER, a.id, 1);
    assert!(refused(c));

    // Moving the contact to the other customer in the same commit frees the first.
    let moved = Contact {
        customer_id: b.id,
        ..ct.clone()
    };
    let mut c = Commit::new();
    c.update(moved.to_record(), 1).delete(&CUSTOMER, a.id, 1);
    block_on(store.commit(c)).unwrap();
    assert!(block_on(store.get(&CUSTOMER, a.id)).unwrap().is_none());
    let q = Query::filter(&CONTACT, Filter::Eq("customer_id", Value::Id(b.id)));
    assert_eq!(block_on(store.query(&q)).unwrap().records.len(), 1);

    // A contact cannot be added to a customer deleted in the same commit.
    let mut c = Commit::new();
    c.delete(&CONTACT, ct.id, 2)
        .delete(&CUSTOMER, b.id, 1)
        .insert(a_contact(b.id, "赵六").to_record());
    assert!(refused(c));

    // Deleting the contact and its customer together works; then the owner is still referred
    // to by nobody and can go with the department.
    let mut c = Commit::new();
    c.delete(&CONTACT, ct.id, 2).delete(&CUSTOMER, b.id, 1);
    block_on(store.commit(c)).unwrap();
    let mut c = Commit::new();
    c.delete(&EMPLOYEE, emp.id, 1);
    block_on(store.commit(c)).unwrap();
}

/// A commit inserting many records of a kind looks them up by one range scan: an id already
/// stored inside that range is still refused, and stored records in the range are untouched.
#[test]
fn many_inserts_in_one_commit_still_refuse_an_existing_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let seq = |i: usize| Sequence {
        id: Uuid::now_v7(),
        name: format!("seq-{i}"),
        next: 1,
    };
    let all: Vec<Sequence> = (0..40).map(seq).collect();
    // Every other one stored first, so that the later commits' ranges hold stored records.
    let mut c = Commit::new();
    for s in all.iter().step_by(2) {
        c.insert(s.to_record());
    }
    block_on(store.commit(c)).unwrap();

    // The rest, plus one stored id from the middle of their range: refused whole.
    let mut c = Commit::new();
    for s in all.iter().skip(1).step_by(2) {
        c.insert(s.to_record());
    }
    c.insert(all[20].to_record());
    assert!(matches!(
        block_on(store.commit(c)),
        Err(Error::AlreadyExists { .. })
    ));
    assert!(block_on(store.get(&SEQUENCE, all[1].id)).unwrap().is_none());

    // Without it, they go in, and an update of a stored one in the same commit sees it.
    let mut c = Commit::new();
    for s in all.iter().skip(1).step_by(2) {
        c.insert(s.to_record());
    }
    let moved = Sequence {
        next: 2,
        ..all[20].clone()
    };
    c.update(moved.to_record(), 1);
    block_on(store.commit(c)).unwrap();
    let q = Query::all(&SEQUENCE).with_total();
    assert_eq!(block_on(store.query(&q)).unwrap().total, Some(40));
    let r = block_on(store.get(&SEQUENCE, all[20].id)).unwrap().unwrap();
    assert_eq!(r.version, 2);
}
