//! The conformance suite: the promises of the storage port, written once and run against every
//! adapter (memory, sled, SQLite, PostgreSQL) and against an integrator's own.
//!
//! Enable the `conformance` feature and call [`run_all`] from a test of your adapter:
//!
//! ```
//! # futures::executor::block_on(async {
//! use std::sync::Arc;
//! use crm_core::store::{conformance, MemoryStore};
//! let store = Arc::new(MemoryStore::new());
//! let passed = conformance::run_all(store, conformance::thread_spawner()).await.unwrap();
//! assert!(passed.contains(&"concurrent_increments"));
//! # });
//! ```
//!
//! Every case writes its own fresh records (new ids, new names) and reads only those, so the
//! suite runs on a store that already holds data, and twice on the same store. Concurrency
//! cases need real parallelism: pass a [`Spawner`] that runs futures on other threads (for
//! tokio-based adapters, one that calls `tokio::spawn`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures::future::BoxFuture;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Commit, Entity, Filter, Order, Page, Query, Record, Store, Value};
use crate::blob::{Blob, BLOB};
use crate::customer::{Contact, Customer, CONTACT, CUSTOMER};
use crate::error::{Error, Result};
use crate::org::{Department, Employee};
use crate::settings::{Sequence, SEQUENCE};

/// Runs a future to completion somewhere that may run in parallel with the caller.
pub type Spawner =
    Arc<dyn Fn(BoxFuture<'static, Result<()>>) -> BoxFuture<'static, Result<()>> + Send + Sync>;

/// A [`Spawner`] that runs each future on its own OS thread with a minimal executor: for
/// adapters that need no async runtime (memory, sled).
pub fn thread_spawner() -> Spawner {
    Arc::new(|fut| {
        let handle = std::thread::spawn(move || futures::executor::block_on(fut));
        Box::pin(async move {
            // Joining blocks this thread briefly; the suite only joins at the end of a case.
            handle
                .join()
                .map_err(|_| Error::backend_msg("conformance worker panicked"))?
        })
    })
}

fn fail(case: &str, what: impl std::fmt::Display) -> Error {
    Error::backend_msg(format!("conformance {case}: {what}"))
}

macro_rules! ensure {
    ($case:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(fail($case, format!($($msg)+)));
        }
    };
}

/// Fresh department and employee to own the case's records.
async fn owner(store: &dyn Store) -> Result<Uuid> {
    let d = Department {
        id: Uuid::now_v7(),
        name: "conformance".into(),
        parent_id: None,
    };
    let e = Employee {
        id: Uuid::now_v7(),
        code: format!("conf-{}", Uuid::now_v7()),
        name: "测试员".into(),
        department_id: d.id,
        manager_id: None,
        role_ids: BTreeSet::new(),
        active: true,
    };
    let mut c = Commit::new();
    c.insert(d.to_record()).insert(e.to_record());
    store.commit(c).await?;
    Ok(e.id)
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 8, 30, 0)
        .single()
        .unwrap_or_default()
}

/// A customer record with the fields the cases vary.
fn customer(owner: Uuid, name: &str, province: Option<&str>, day: u32) -> Customer {
    let key = format!("{}-{}", name, Uuid::now_v7());
    Customer {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        short_name: None,
        name_key: key.clone(),
        customer_type: None,
        level: None,
        industry: None,
        province: province.map(str::to_owned),
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
        tags: BTreeSet::new(),
        attributes: BTreeMap::new(),
        anniversaries: Vec::new(),
        archived: false,
        created_at: at(day),
        created_by: owner,
        updated_at: at(day),
        last_contact_at: None,
        search_name: key,
        search_contacts: String::new(),
    }
}

fn contact(customer_id: Uuid, name: &str) -> Contact {
    Contact {
        id: Uuid::now_v7(),
        customer_id,
        name: name.to_owned(),
        title: None,
        mobile: None,
        phone: None,
        email: None,
        birthday: None,
        primary: true,
        notes: None,
    }
}

async fn insert(store: &dyn Store, records: Vec<Record>) -> Result<()> {
    let mut c = Commit::new();
    for r in records {
        c.insert(r);
    }
    store.commit(c).await
}

/// A commit whose last write fails leaves nothing of its earlier writes.
pub async fn commit_is_all_or_nothing(store: &dyn Store) -> Result<()> {
    let case = "commit_is_all_or_nothing";
    let o = owner(store).await?;
    let existing = customer(o, "已存在", None, 1);
    insert(store, vec![existing.to_record()]).await?;

    let a = customer(o, "甲", None, 2);
    let mut c = Commit::new();
    c.insert(a.to_record());
    c.insert(contact(a.id, "张三").to_record());
    c.insert(existing.to_record());
    let r = store.commit(c).await;
    ensure!(
        case,
        matches!(r, Err(Error::AlreadyExists { .. })),
        "expected AlreadyExists, got {r:?}"
    );
    ensure!(
        case,
        store.get(&CUSTOMER, a.id).await?.is_none(),
        "first write of a failed commit is visible"
    );
    let q = Query::filter(&CONTACT, Filter::Eq("customer_id", Value::Id(a.id)));
    ensure!(
        case,
        store.query(&q).await?.records.is_empty(),
        "contact of a failed commit is visible"
    );

    // A stale version at the end fails the whole commit too.
    let b = customer(o, "乙", None, 3);
    let mut changed = existing.clone();
    changed.name = "改名".into();
    let mut c = Commit::new();
    c.insert(b.to_record());
    c.update(changed.to_record(), 7);
    let r = store.commit(c).await;
    ensure!(
        case,
        matches!(r, Err(Error::Conflict(_))),
        "expected Conflict, got {r:?}"
    );
    ensure!(
        case,
        store.get(&CUSTOMER, b.id).await?.is_none(),
        "insert before a stale update was applied"
    );
    let still = store
        .get(&CUSTOMER, existing.id)
        .await?
        .ok_or_else(|| fail(case, "existing vanished"))?;
    ensure!(
        case,
        Customer::from_record(&still)?.name == "已存在",
        "stale update was applied"
    );

    // The same for commits as large as an import batch, which an adapter may write in parts:
    // a failure in the last write takes the first ones with it.
    for stale in [false, true] {
        let many: Vec<Customer> = (0..100)
            .map(|i| customer(o, &format!("批量{i}"), None, 4 + i % 20))
            .collect();
        let mut c = Commit::new();
        for x in &many {
            c.insert(x.to_record());
        }
        for x in &many {
            c.insert(contact(x.id, "李四").to_record());
        }
        if stale {
            c.update(changed.to_record(), 7);
        } else {
            c.insert(existing.to_record());
        }
        let r = store.commit(c).await;
        ensure!(
            case,
            if stale {
                matches!(r, Err(Error::Conflict(_)))
            } else {
                matches!(r, Err(Error::AlreadyExists { .. }))
            },
            "large commit ending in a {}: got {r:?}",
            if stale { "stale update" } else { "duplicate" }
        );
        for x in [&many[0], &many[99]] {
            ensure!(
                case,
                store.get(&CUSTOMER, x.id).await?.is_none(),
                "a customer of a failed large commit is visible"
            );
            let q = Query::filter(&CONTACT, Filter::Eq("customer_id", Value::Id(x.id)));
            ensure!(
                case,
                store.query(&q).await?.records.is_empty(),
                "a contact of a failed large commit is visible"
            );
        }
    }
    Ok(())
}

/// Versions start at 1, go up by one per update, and a stale version is a conflict for update,
/// delete and assert alike.
pub async fn stale_version_is_conflict(store: &dyn Store) -> Result<()> {
    let case = "stale_version_is_conflict";
    let o = owner(store).await?;
    let mut x = customer(o, "版本", None, 1);
    insert(store, vec![x.to_record()]).await?;
    let got = store
        .get(&CUSTOMER, x.id)
        .await?
        .ok_or_else(|| fail(case, "not stored"))?;
    ensure!(
        case,
        got.version == 1,
        "new record has version {}",
        got.version
    );

    x.name = "版本二".into();
    let mut c = Commit::new();
    c.update(x.to_record(), 1);
    store.commit(c).await?;
    let got = store
        .get(&CUSTOMER, x.id)
        .await?
        .ok_or_else(|| fail(case, "lost"))?;
    ensure!(
        case,
        got.version == 2,
        "updated record has version {}",
        got.version
    );

    x.name = "过时".into();
    for w in [
        Commit {
            writes: vec![super::Write::Update {
                record: x.to_record(),
                expected: 1,
            }],
        },
        Commit {
            writes: vec![super::Write::Delete {
                kind: &CUSTOMER,
                id: x.id,
                expected: 1,
            }],
        },
        Commit {
            writes: vec![super::Write::Assert {
                kind: &CUSTOMER,
                id: x.id,
                expected: 1,
            }],
        },
    ] {
        let r = store.commit(w).await;
        ensure!(
            case,
            matches!(r, Err(Error::Conflict(_))),
            "stale write gave {r:?}"
        );
    }
    // A stale or missing assertion after inserts (an import batch under a changed
    // organisation) leaves none of them written.
    // Four inserts: a multi-row INSERT on every SQL adapter.
    let before: Vec<Customer> = (1..=4)
        .map(|i| customer(o, &format!("断言之前{i}"), None, 1))
        .collect();
    for (id, expected) in [(x.id, 1), (Uuid::now_v7(), 1)] {
        let mut c = Commit::new();
        for b in &before {
            c.insert(b.to_record());
        }
        c.assert_version(&CUSTOMER, id, expected);
        let r = store.commit(c).await;
        ensure!(
            case,
            matches!(r, Err(Error::Conflict(_))),
            "inserts with a failed assertion gave {r:?}"
        );
        for b in &before {
            ensure!(
                case,
                store.get(&CUSTOMER, b.id).await?.is_none(),
                "an insert before a failed assertion was written"
            );
        }
    }
    let missing = customer(o, "不存在", None, 1);
    let mut c = Commit::new();
    c.update(missing.to_record(), 1);
    let r = store.commit(c).await;
    ensure!(
        case,
        matches!(r, Err(Error::Conflict(_))),
        "update of a missing record gave {r:?}"
    );

    let got = Customer::from_record(
        &store
            .get(&CUSTOMER, x.id)
            .await?
            .ok_or_else(|| fail(case, "lost"))?,
    )?;
    ensure!(
        case,
        got.name == "版本二",
        "a stale write changed the record to {}",
        got.name
    );
    let mut c = Commit::new();
    c.assert_version(&CUSTOMER, x.id, 2)
        .delete(&CUSTOMER, x.id, 2);
    store.commit(c).await?;
    ensure!(
        case,
        store.get(&CUSTOMER, x.id).await?.is_none(),
        "delete at the right version did nothing"
    );
    Ok(())
}

/// Creating a record whose id exists is `AlreadyExists`, also within one commit.
pub async fn create_existing_is_already_exists(store: &dyn Store) -> Result<()> {
    let case = "create_existing_is_already_exists";
    let o = owner(store).await?;
    let x = customer(o, "重复", None, 1);
    insert(store, vec![x.to_record()]).await?;
    let r = insert(store, vec![x.to_record()]).await;
    ensure!(
        case,
        matches!(r, Err(Error::AlreadyExists { .. })),
        "second insert gave {r:?}"
    );
    let y = customer(o, "同批", None, 1);
    let r = insert(store, vec![y.to_record(), y.to_record()]).await;
    ensure!(
        case,
        matches!(r, Err(Error::AlreadyExists { .. })),
        "double insert in one commit gave {r:?}"
    );
    ensure!(
        case,
        store.get(&CUSTOMER, y.id).await?.is_none(),
        "half of a failed commit is visible"
    );
    Ok(())
}

fn is_dup(r: &Result<()>, rule: &str) -> bool {
    matches!(r, Err(Error::Duplicate { rule: x, .. }) if *x == rule)
}

/// Unique indexes hold at commit: against stored records, within one commit, on update, and
/// a key is free again once its holder is deleted or changed in the same commit.
pub async fn unique_rule_holds(store: &dyn Store) -> Result<()> {
    let case = "unique_rule_holds";
    let o = owner(store).await?;
    let a = customer(o, "唯一", None, 1);
    insert(store, vec![a.to_record()]).await?;

    let mut b = customer(o, "唯一二", None, 1);
    b.name_key = a.name_key.clone();
    let r = insert(store, vec![b.to_record()]).await;
    ensure!(
        case,
        is_dup(&r, "customer_name_key"),
        "duplicate key gave {r:?}"
    );
    if let Err(Error::Duplicate {
        existing: Some(e), ..
    }) = &r
    {
        ensure!(
            case,
            e.contains(&a.id.to_string()),
            "duplicate names {e}, not {}",
            a.id
        );
    }

    let c1 = customer(o, "同批一", None, 1);
    let mut c2 = customer(o, "同批二", None, 1);
    c2.name_key = c1.name_key.clone();
    let r = insert(store, vec![c1.to_record(), c2.to_record()]).await;
    ensure!(
        case,
        is_dup(&r, "customer_name_key"),
        "duplicate within a commit gave {r:?}"
    );

    let d = customer(o, "改键", None, 1);
    insert(store, vec![d.to_record()]).await?;
    let mut d2 = d.clone();
    d2.name_key = a.name_key.clone();
    let mut c = Commit::new();
    c.update(d2.to_record(), 1);
    let r = store.commit(c).await;
    ensure!(
        case,
        is_dup(&r, "customer_name_key"),
        "update onto a taken key gave {r:?}"
    );

    // Swap: the holder moves away and another takes its key in the same commit.
    let mut a2 = a.clone();
    a2.name_key = format!("{}-moved", a.name_key);
    let mut c = Commit::new();
    c.update(a2.to_record(), 1).update(d2.to_record(), 1);
    store.commit(c).await?;
    // Delete and re-create a key in one commit.
    let mut e = customer(o, "接替", None, 1);
    e.name_key = d2.name_key.clone();
    let mut c = Commit::new();
    c.delete(&CUSTOMER, d.id, 2).insert(e.to_record());
    store.commit(c).await?;

    // Nulls never conflict (credit codes are indexed, unique keys with a null part are free).
    let mut emp = Employee::from_record(
        &store
            .get(&crate::org::EMPLOYEE, o)
            .await?
            .ok_or_else(|| fail(case, "owner"))?,
    )?;
    let dup_emp = Employee {
        id: Uuid::now_v7(),
        ..emp.clone()
    };
    let r = insert(store, vec![dup_emp.to_record()]).await;
    ensure!(
        case,
        is_dup(&r, "employee_code"),
        "duplicate employee code gave {r:?}"
    );
    emp.name = "改名".into();
    let mut c = Commit::new();
    c.update(emp.to_record(), 1);
    store.commit(c).await?;
    Ok(())
}

/// Two writers racing for one unique key: exactly one wins each round.
pub async fn unique_rule_holds_between_concurrent_writers(
    store: Arc<dyn Store>,
    spawn: Spawner,
) -> Result<()> {
    let case = "unique_rule_holds_between_concurrent_writers";
    let o = owner(store.as_ref()).await?;
    for round in 0..20 {
        let key = format!("race-{round}-{}", Uuid::now_v7());
        let mut handles = Vec::new();
        let wins = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for w in 0..2 {
            let store = store.clone();
            let key = key.clone();
            let wins = wins.clone();
            handles.push(spawn(Box::pin(async move {
                let mut c = customer(o, &format!("竞争{w}"), None, 1);
                c.name_key = key;
                match insert(store.as_ref(), vec![c.to_record()]).await {
                    Ok(()) => {
                        wins.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok(())
                    }
                    Err(Error::Duplicate { .. } | Error::Conflict(_)) => Ok(()),
                    Err(e) => Err(e),
                }
            })));
        }
        for h in handles {
            h.await?;
        }
        let n = wins.load(std::sync::atomic::Ordering::SeqCst);
        ensure!(case, n == 1, "round {round}: {n} writers won");
        let q = Query::filter(&CUSTOMER, Filter::Eq("name_key", Value::Text(key))).with_total();
        let total = store.query(&q).await?.total;
        ensure!(
            case,
            total == Some(1),
            "round {round}: {total:?} records hold the key"
        );
    }
    Ok(())
}

fn ids(records: &[Record]) -> Vec<Uuid> {
    records.iter().map(|r| r.id).collect()
}

/// Look-ups, filters, ordering, paging and counts return exactly what was committed.
pub async fn lookups_and_scans(store: &dyn Store) -> Result<()> {
    let case = "lookups_and_scans";
    let o = owner(store).await?;
    let mut rows = vec![
        customer(o, "北京星辰科技", Some("北京"), 1),
        customer(o, "上海汇丰贸易", Some("上海"), 2),
        customer(o, "广州南方电子", Some("广东"), 3),
        customer(o, "深圳前海物流", Some("广东"), 4),
        customer(o, "杭州西湖茶业", None, 5),
    ];
    rows[0].tags = BTreeSet::from(["VIP".to_owned(), "重点".to_owned()]);
    rows[2].tags = BTreeSet::from(["重点".to_owned()]);
    rows[1].credit_limit = Some(Decimal::new(1_234_567_890_123_456, 4));
    rows[3].credit_limit = Some(Decimal::new(5, 2));
    rows[4].last_contact_at = Some(at(20) + Duration::microseconds(123_456));
    rows[3].archived = true;
    rows[2].level = Some("A".into());
    rows[3].level = Some("B".into());
    insert(store, rows.iter().map(Entity::to_record).collect()).await?;
    let mine = Filter::Eq("owner_id", Value::Id(o));
    let q = |f: Filter| Query::filter(&CUSTOMER, Filter::And(vec![mine.clone(), f]));
    let want = |idx: &[usize]| idx.iter().map(|&i| rows[i].id).collect::<Vec<_>>();

    // Values come back exactly: decimals, microsecond timestamps, JSON, Chinese text.
    for r in &rows {
        let got = store
            .get(&CUSTOMER, r.id)
            .await?
            .ok_or_else(|| fail(case, "missing row"))?;
        let back = Customer::from_record(&got)?;
        ensure!(
            case,
            &back == r,
            "round trip changed {:?} into {:?}",
            r,
            back
        );
    }

    let by = |f: Filter| q(f).order_by(vec![Order::asc("created_at")]);
    let page = store
        .query(&by(Filter::Eq("province", "广东".into())))
        .await?;
    ensure!(case, ids(&page.records) == want(&[2, 3]), "Eq province");
    let page = store
        .query(&by(Filter::In(
            "province",
            vec!["北京".into(), "上海".into(), Value::Null],
        )))
        .await?;
    ensure!(case, ids(&page.records) == want(&[0, 1]), "In province");
    // Owner, province and level pinned together: the three leading columns of one index.
    let region = |level: Filter| {
        by(Filter::And(vec![
            Filter::Eq("province", "广东".into()),
            level,
        ]))
    };
    let page = store
        .query(&region(Filter::Eq("level", "A".into())))
        .await?;
    ensure!(
        case,
        ids(&page.records) == want(&[2]),
        "Eq province and level"
    );
    let page = store
        .query(&region(Filter::In("level", vec!["A".into(), "B".into()])))
        .await?;
    ensure!(case, ids(&page.records) == want(&[2, 3]), "In level");
    let page = store
        .query(&region(Filter::Eq("level", Value::Null)))
        .await?;
    ensure!(
        case,
        page.records.is_empty(),
        "Eq level null matches nothing"
    );
    let page = store
        .query(&by(Filter::Contains("name", "南方".into())))
        .await?;
    ensure!(case, ids(&page.records) == want(&[2]), "Contains");
    // A "contains" that is the whole filter, on a column with an index of its own (an SQL
    // adapter may find the rows through that index).
    for (i, r) in rows.iter().enumerate().skip(1).step_by(2) {
        let needle = r.name_key[r.name.len()..].to_owned();
        let page = store
            .query(&Query::filter(&CUSTOMER, Filter::Contains("name_key", needle)).page(0, 5))
            .await?;
        ensure!(
            case,
            ids(&page.records) == want(&[i]),
            "Contains alone on name_key"
        );
    }
    let page = store
        .query(&Query::filter(
            &CUSTOMER,
            Filter::Contains("name_key", "没有这个键".into()),
        ))
        .await?;
    ensure!(case, page.records.is_empty(), "Contains alone, no match");
    // A needle's `%`, `_` and `\` are characters, never wildcards (another owner's customer,
    // so that the counts above and below stay as they are).
    let o2 = owner(store).await?;
    let odd = customer(o2, "百分百100%_\\诚信", None, 6);
    insert(store, vec![odd.to_record()]).await?;
    for (needle, hit) in [
        ("100%", true),
        ("_", true),
        ("\\", true),
        ("1_0", false),
        ("%百", false),
    ] {
        let f = Filter::And(vec![
            Filter::Eq("owner_id", Value::Id(o2)),
            Filter::Contains("name", needle.into()),
        ]);
        let page = store.query(&Query::filter(&CUSTOMER, f)).await?;
        ensure!(
            case,
            ids(&page.records) == if hit { vec![odd.id] } else { vec![] },
            "Contains {needle:?}"
        );
    }
    let page = store.query(&by(Filter::IsNull("province", true))).await?;
    ensure!(case, ids(&page.records) == want(&[4]), "IsNull");
    let page = store
        .query(&by(Filter::JsonHasAny(
            "tags",
            vec!["重点".into(), "无".into()],
        )))
        .await?;
    ensure!(case, ids(&page.records) == want(&[0, 2]), "JsonHasAny");
    let page = store
        .query(&by(Filter::Range(
            "created_at",
            Bound::Included(at(2).into()),
            Bound::Excluded(at(4).into()),
        )))
        .await?;
    ensure!(
        case,
        ids(&page.records) == want(&[1, 2]),
        "Range timestamps"
    );
    let page = store
        .query(&by(Filter::Range(
            "credit_limit",
            Bound::Excluded(Decimal::new(5, 2).into()),
            Bound::Unbounded,
        )))
        .await?;
    ensure!(case, ids(&page.records) == want(&[1]), "Range decimals");
    let page = store
        .query(&by(Filter::Or(vec![
            Filter::Eq("archived", Value::Bool(true)),
            Filter::Eq("province", "北京".into()),
        ])))
        .await?;
    ensure!(case, ids(&page.records) == want(&[0, 3]), "Or");
    let page = store
        .query(&by(Filter::Eq("province", Value::Null)))
        .await?;
    ensure!(case, page.records.is_empty(), "Eq Null matched something");
    let page = store.query(&by(Filter::In("province", vec![]))).await?;
    ensure!(case, page.records.is_empty(), "empty In matched something");
    let page = store.query(&by(Filter::Or(vec![]))).await?;
    ensure!(case, page.records.is_empty(), "empty Or matched something");

    // Ordering: text byte-wise, nulls first ascending, ties by id, paging with totals.
    let page = store
        .query(&q(Filter::All).order_by(vec![Order::asc("province")]))
        .await?;
    ensure!(
        case,
        ids(&page.records) == want(&[4, 1, 0, 2, 3]),
        "order by province asc"
    );
    let page = store
        .query(&q(Filter::All).order_by(vec![Order::desc("province")]))
        .await?;
    ensure!(
        case,
        ids(&page.records) == want(&[2, 3, 0, 1, 4]),
        "order by province desc"
    );
    let page = store
        .query(
            &q(Filter::All)
                .order_by(vec![Order::desc("created_at")])
                .page(1, 2)
                .with_total(),
        )
        .await?;
    ensure!(
        case,
        ids(&page.records) == want(&[3, 2]) && page.total == Some(5),
        "paging: {:?}",
        page.total
    );
    let page = store
        .query(&q(Filter::All).page(10, 5).with_total())
        .await?;
    ensure!(
        case,
        page.records.is_empty() && page.total == Some(5),
        "page past the end"
    );
    let page = store.query(&q(Filter::All).page(0, 0).with_total()).await?;
    ensure!(
        case,
        page.records.is_empty() && page.total == Some(5),
        "count only"
    );

    // get_many keeps the order asked and leaves out missing ids.
    let got = store
        .get_many(&CUSTOMER, &[rows[3].id, Uuid::now_v7(), rows[0].id])
        .await?;
    ensure!(case, ids(&got) == want(&[3, 0]), "get_many");

    // An unknown column is refused, not ignored.
    let r = store
        .query(&q(Filter::Eq("no_such_column", Value::Int(1))))
        .await;
    ensure!(
        case,
        matches!(r, Err(Error::Invalid { .. })),
        "unknown column gave {r:?}"
    );

    // Dates round-trip.
    let mut ct = contact(rows[0].id, "李四");
    ct.birthday = NaiveDate::from_ymd_opt(1990, 2, 28);
    insert(store, vec![ct.to_record()]).await?;
    let got = Contact::from_record(
        &store
            .get(&CONTACT, ct.id)
            .await?
            .ok_or_else(|| fail(case, "contact"))?,
    )?;
    ensure!(case, got == ct, "contact round trip");
    Ok(())
}

/// References hold: no record may point at a missing one, and a record still pointed at by one
/// that stays cannot be deleted.
pub async fn references_hold(store: &dyn Store) -> Result<()> {
    let case = "references_hold";
    let o = owner(store).await?;
    let orphan = contact(Uuid::now_v7(), "孤儿");
    let r = insert(store, vec![orphan.to_record()]).await;
    ensure!(
        case,
        matches!(r, Err(Error::Conflict(_))),
        "contact of a missing customer gave {r:?}"
    );

    let c = customer(o, "有联系人", None, 1);
    let ct = contact(c.id, "王五");
    insert(store, vec![c.to_record(), ct.to_record()]).await?;
    let mut del = Commit::new();
    del.delete(&CUSTOMER, c.id, 1);
    let r = store.commit(del).await;
    ensure!(
        case,
        matches!(r, Err(Error::Conflict(_))),
        "deleting a referenced customer gave {r:?}"
    );
    let mut del = Commit::new();
    del.delete(&CONTACT, ct.id, 1).delete(&CUSTOMER, c.id, 1);
    store.commit(del).await?;
    ensure!(
        case,
        store.get(&CUSTOMER, c.id).await?.is_none(),
        "customer still there"
    );
    Ok(())
}

/// A prepared commit ([`Store::prepare`]) is committed exactly as the commit in it: whole, or,
/// when one of its writes fails (a record that exists, a stale version), not at all, with the
/// same error.
pub async fn prepared_commits_follow_the_commit_rules(store: &dyn Store) -> Result<()> {
    let case = "prepared_commits_follow_the_commit_rules";
    let o = owner(store).await?;
    let rows: Vec<Customer> = (0..3)
        .map(|i| customer(o, &format!("预备客户{i}"), None, 1))
        .collect();
    let mut c = Commit::new();
    for r in &rows {
        c.insert(r.to_record());
    }
    store.commit_prepared(store.prepare(c)).await?;
    for r in &rows {
        ensure!(
            case,
            store.get(&CUSTOMER, r.id).await?.is_some(),
            "a prepared insert is missing"
        );
    }

    let fresh: Vec<Customer> = (0..3)
        .map(|i| customer(o, &format!("预备新客户{i}"), None, 2))
        .collect();
    let mut c = Commit::new();
    for r in &fresh {
        c.insert(r.to_record());
    }
    c.insert(rows[1].to_record());
    let r = store.commit_prepared(store.prepare(c)).await;
    ensure!(
        case,
        matches!(r, Err(Error::AlreadyExists { .. })),
        "a prepared commit inserting an existing record gave {r:?}"
    );
    let mut c = Commit::new();
    for r in &fresh {
        c.insert(r.to_record());
    }
    c.update(rows[2].to_record(), 7);
    let r = store.commit_prepared(store.prepare(c)).await;
    ensure!(
        case,
        matches!(r, Err(Error::Conflict(_))),
        "a prepared commit with a stale update gave {r:?}"
    );
    for r in &fresh {
        ensure!(
            case,
            store.get(&CUSTOMER, r.id).await?.is_none(),
            "a failed prepared commit left a record"
        );
    }
    Ok(())
}

/// Records that one commit lists under the same indexed value (an import's customers of one
/// owner, a customer's contacts) are found by that value exactly as they leave it one by one
/// or several at once — moved to another value, deleted, the first of them or a later one —
/// and a target stays protected while any of them still refers to it.
pub async fn records_sharing_an_indexed_value_stay_exact(store: &dyn Store) -> Result<()> {
    let case = "records_sharing_an_indexed_value_stay_exact";
    let o1 = owner(store).await?;
    let o2 = owner(store).await?;
    let mut rows: Vec<Customer> = (0..6)
        .map(|i| customer(o1, &format!("同批客户{i}"), None, 1))
        .collect();
    rows.sort_by_key(|c| c.id);
    let holder = rows[0].clone();
    let mut contacts: Vec<Contact> = (0..5)
        .map(|i| contact(holder.id, &format!("联系人{i}")))
        .collect();
    contacts.sort_by_key(|c| c.id);
    let mut records: Vec<Record> = rows.iter().map(Entity::to_record).collect();
    records.extend(contacts.iter().map(Entity::to_record));
    insert(store, records).await?;

    let by_owner = |o: Uuid| Query::filter(&CUSTOMER, Filter::Eq("owner_id", Value::Id(o)));
    let of_holder = Query::filter(&CONTACT, Filter::Eq("customer_id", Value::Id(holder.id)));
    let sorted = |mut v: Vec<Uuid>| {
        v.sort_unstable();
        v
    };
    let found = |page: Page| sorted(ids(&page.records));
    ensure!(
        case,
        found(store.query(&by_owner(o1)).await?) == sorted(rows.iter().map(|c| c.id).collect()),
        "customers inserted together under one owner"
    );

    // The lowest id and a middle one move to the other owner; a later one is deleted; all in
    // one commit.
    let mut c = Commit::new();
    for i in [1, 3] {
        let mut moved = rows[i].clone();
        moved.owner_id = o2;
        c.update(moved.to_record(), 1);
    }
    c.delete(&CUSTOMER, rows[5].id, 1);
    store.commit(c).await?;
    let want = |idx: &[usize]| sorted(idx.iter().map(|&i| rows[i].id).collect());
    ensure!(
        case,
        found(store.query(&by_owner(o1)).await?) == want(&[0, 2, 4]),
        "customers left with the first owner"
    );
    ensure!(
        case,
        found(store.query(&by_owner(o2)).await?) == want(&[1, 3]),
        "customers moved to the second owner"
    );

    // Contacts: the lowest id leaves alone, then two more together.
    let mut c = Commit::new();
    c.delete(&CONTACT, contacts[0].id, 1);
    store.commit(c).await?;
    let mut c = Commit::new();
    c.delete(&CONTACT, contacts[2].id, 1)
        .delete(&CONTACT, contacts[4].id, 1);
    store.commit(c).await?;
    let left = sorted(vec![contacts[1].id, contacts[3].id]);
    ensure!(
        case,
        found(store.query(&of_holder).await?) == left,
        "contacts left with their customer"
    );
    let mut del = Commit::new();
    del.delete(&CONTACT, contacts[1].id, 1)
        .delete(&CUSTOMER, holder.id, 1);
    let r = store.commit(del).await;
    ensure!(
        case,
        matches!(r, Err(Error::Conflict(_))),
        "deleting a customer one of whose contacts stays gave {r:?}"
    );
    let mut del = Commit::new();
    del.delete(&CONTACT, contacts[1].id, 1)
        .delete(&CONTACT, contacts[3].id, 1)
        .delete(&CUSTOMER, holder.id, 1);
    store.commit(del).await?;
    ensure!(
        case,
        store.query(&of_holder).await?.records.is_empty(),
        "contacts of a deleted customer"
    );
    ensure!(
        case,
        found(store.query(&by_owner(o1)).await?) == want(&[2, 4]),
        "customers of the first owner after the deletion"
    );
    Ok(())
}

/// 8 workers × 50 read-increment-commit cycles on one counter, retrying on conflict, end at
/// exactly 400: no lost update, no double count.
pub async fn concurrent_increments(store: Arc<dyn Store>, spawn: Spawner) -> Result<()> {
    let case = "concurrent_increments";
    let seq = Sequence {
        id: Uuid::now_v7(),
        name: format!("conformance-{}", Uuid::now_v7()),
        next: 0,
    };
    insert(store.as_ref(), vec![seq.to_record()]).await?;
    let mut handles = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let id = seq.id;
        handles.push(spawn(Box::pin(async move {
            for _ in 0..50 {
                loop {
                    let r = store
                        .get(&SEQUENCE, id)
                        .await?
                        .ok_or_else(|| fail(case, "counter vanished"))?;
                    let mut s = Sequence::from_record(&r)?;
                    s.next += 1;
                    let mut c = Commit::new();
                    c.update(s.to_record(), r.version);
                    match store.commit(c).await {
                        Ok(()) => break,
                        Err(Error::Conflict(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(())
        })));
    }
    for h in handles {
        h.await?;
    }
    let r = store
        .get(&SEQUENCE, seq.id)
        .await?
        .ok_or_else(|| fail(case, "counter vanished"))?;
    let s = Sequence::from_record(&r)?;
    ensure!(case, s.next == 400, "counter ended at {}", s.next);
    ensure!(case, r.version == 401, "counter version is {}", r.version);
    Ok(())
}

/// Aggregates count, sum and count distinct values exactly per group, nulls grouped apart and
/// skipped in sums and distinct counts, rows sorted by key; no group key gives one row;
/// nothing matching gives no rows; a month only of a date or an instant.
pub async fn aggregates_group_and_sum_exactly(store: &dyn Store) -> Result<()> {
    use super::{Aggregate, AggregateRow, GroupBy};
    let case = "aggregates_group_and_sum_exactly";
    let owner = owner(store).await?;
    let mut a = customer(owner, "聚合甲", Some("浙江"), 2);
    a.credit_limit = Some(Decimal::new(10050, 2));
    // Made between the two of 浙江, so that in id order another group separates them.
    let c = customer(owner, "聚合丙", Some("江苏"), 4);
    let mut b = customer(owner, "聚合乙", Some("浙江"), 3);
    b.credit_limit = Some(Decimal::new(25, 2));
    let mut d = customer(owner, "聚合丁", None, 5);
    d.credit_limit = Some(Decimal::from(7));
    insert(
        store,
        vec![a.to_record(), b.to_record(), c.to_record(), d.to_record()],
    )
    .await?;
    let mine = Filter::Eq("owner_id", Value::Id(owner));
    let agg = Aggregate {
        kind: &CUSTOMER,
        filter: mine.clone(),
        group_by: vec![GroupBy::Column("province"), GroupBy::Month("created_at")],
        sums: vec!["credit_limit"],
        distinct: vec!["province"],
    };
    let month = || Value::Text("2026-03".into());
    let expected = vec![
        AggregateRow {
            keys: vec![Value::Null, month()],
            count: 1,
            sums: vec![Decimal::from(7)],
            // A null is not a value to count.
            distinct: vec![0],
        },
        AggregateRow {
            keys: vec![Value::Text("江苏".into()), month()],
            count: 1,
            sums: vec![Decimal::ZERO],
            distinct: vec![1],
        },
        AggregateRow {
            keys: vec![Value::Text("浙江".into()), month()],
            count: 2,
            sums: vec![Decimal::new(10075, 2)],
            distinct: vec![1],
        },
    ];
    let got = store.aggregate(&agg).await?;
    ensure!(case, got == expected, "grouped: {got:?}");
    let all = store
        .aggregate(&Aggregate {
            group_by: vec![],
            ..agg.clone()
        })
        .await?;
    ensure!(
        case,
        all == vec![AggregateRow {
            keys: vec![],
            count: 4,
            sums: vec![Decimal::new(10775, 2)],
            distinct: vec![2],
        }],
        "ungrouped: {all:?}"
    );
    let none = store
        .aggregate(&Aggregate {
            filter: Filter::And(vec![
                mine,
                Filter::Eq("province", Value::Text("西藏".into())),
            ]),
            ..agg.clone()
        })
        .await?;
    ensure!(case, none.is_empty(), "nothing matching: {none:?}");
    let none = store
        .aggregate(&Aggregate {
            filter: Filter::Eq("province", Value::Text("西藏".into())),
            group_by: vec![],
            ..agg.clone()
        })
        .await?;
    ensure!(
        case,
        none.is_empty(),
        "nothing matching, ungrouped: {none:?}"
    );
    let by_owner = store
        .aggregate(&Aggregate {
            group_by: vec![GroupBy::Column("owner_id")],
            ..agg.clone()
        })
        .await?;
    ensure!(
        case,
        by_owner
            == vec![AggregateRow {
                keys: vec![Value::Id(owner)],
                count: 4,
                sums: vec![Decimal::new(10775, 2)],
                distinct: vec![2],
            }],
        "by an id column: {by_owner:?}"
    );
    // Without distinct counts, over a filter no index pins: an adapter may fold such an
    // aggregate in parts and add them up (other runs of the suite left customers named so
    // too, under other owners).
    let named = store
        .aggregate(&Aggregate {
            filter: Filter::Contains("name", "聚合".into()),
            group_by: vec![GroupBy::Column("owner_id"), GroupBy::Column("province")],
            distinct: vec![],
            ..agg.clone()
        })
        .await?;
    let of_owner: Vec<&AggregateRow> = named
        .iter()
        .filter(|r| r.keys.first() == Some(&Value::Id(owner)))
        .collect();
    let row = |province: Value, count: u64, sum: Decimal| AggregateRow {
        keys: vec![Value::Id(owner), province],
        count,
        sums: vec![sum],
        distinct: vec![],
    };
    ensure!(
        case,
        of_owner
            == vec![
                &row(Value::Null, 1, Decimal::from(7)),
                &row(Value::Text("江苏".into()), 1, Decimal::ZERO),
                &row(Value::Text("浙江".into()), 2, Decimal::new(10075, 2)),
            ]
            && named.windows(2).all(|w| w[0].keys < w[1].keys),
        "without distinct counts: {named:?}"
    );
    let month_of_text = store
        .aggregate(&Aggregate {
            group_by: vec![GroupBy::Month("name")],
            ..agg.clone()
        })
        .await;
    ensure!(
        case,
        matches!(month_of_text, Err(Error::Invalid { .. })),
        "month of text: {month_of_text:?}"
    );
    let bad = store
        .aggregate(&Aggregate {
            sums: vec!["name"],
            ..agg
        })
        .await;
    ensure!(
        case,
        matches!(bad, Err(Error::Invalid { .. })),
        "summing text: {bad:?}"
    );
    Ok(())
}

/// Bytes are stored exactly: the empty value, NUL and 0xff bytes, and 1 MiB, read back by id,
/// by several ids, through a unique index and by equality on the bytes themselves; an update
/// replaces them whole.
pub async fn bytes_round_trip_exactly(store: &dyn Store) -> Result<()> {
    let case = "bytes_round_trip_exactly";
    let tag = Uuid::now_v7();
    let small: Vec<u8> = [&[0u8, 0xff, 0, 0, 1][..], tag.as_bytes(), &[0xff, 0]].concat();
    // 1 MiB of every byte value, NULs included, shifted by the tag so that runs differ.
    let shift = tag.as_bytes()[15];
    let large: Vec<u8> = (0..1024 * 1024)
        .map(|i: u32| (i % 251) as u8 ^ shift)
        .collect();
    let blob = |bytes: Vec<u8>| Blob {
        id: Uuid::now_v7(),
        // Unique per run (a real blob is named by its hash; the store does not care).
        sha256: format!("conformance-{}", Uuid::now_v7()),
        media_type: "application/octet-stream".into(),
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        bytes,
        created_at: at(1),
    };
    let blobs = vec![blob(Vec::new()), blob(small.clone()), blob(large.clone())];
    insert(store, blobs.iter().map(Entity::to_record).collect()).await?;
    let same = |r: Option<&Record>, b: &Blob| -> bool {
        r.and_then(|r| Blob::from_record(r).ok())
            .is_some_and(|got| got == *b)
    };
    for b in &blobs {
        let r = store.get(&BLOB, b.id).await?;
        ensure!(case, same(r.as_ref(), b), "{} bytes by id", b.bytes.len());
        let q = Query::filter(&BLOB, Filter::Eq("sha256", Value::Text(b.sha256.clone())));
        let page = store.query(&q).await?;
        ensure!(
            case,
            page.records.len() == 1 && same(page.records.first(), b),
            "{} bytes by hash",
            b.bytes.len()
        );
    }
    let ids: Vec<Uuid> = blobs.iter().rev().map(|b| b.id).collect();
    let many = store.get_many(&BLOB, &ids).await?;
    ensure!(
        case,
        many.len() == 3 && blobs.iter().rev().zip(&many).all(|(b, r)| same(Some(r), b)),
        "get_many"
    );
    let ours = Filter::In(
        "sha256",
        blobs
            .iter()
            .map(|b| Value::Text(b.sha256.clone()))
            .collect(),
    );
    for (b, want) in [(&small, 1usize), (&Vec::new(), 1), (&vec![0u8], 0)] {
        let q = Query::filter(
            &BLOB,
            Filter::And(vec![
                ours.clone(),
                Filter::Eq("bytes", Value::Bytes(b.clone())),
            ]),
        );
        let n = store.query(&q).await?.records.len();
        ensure!(case, n == want, "equal to {} bytes: {n} records", b.len());
    }
    let ordered = store
        .query(&Query::filter(&BLOB, ours).order_by(vec![Order::asc("bytes")]))
        .await?;
    let sizes: Vec<usize> = ordered
        .records
        .iter()
        .filter_map(|r| Blob::from_record(r).ok())
        .map(|b| b.bytes.len())
        .collect();
    // The port's order: byte-wise, the empty value first.
    let mut want: Vec<&Vec<u8>> = vec![&blobs[0].bytes, &small, &large];
    want.sort();
    let want: Vec<usize> = want.iter().map(|b| b.len()).collect();
    ensure!(
        case,
        sizes == want,
        "ordered by bytes: {sizes:?}, want {want:?}"
    );

    let mut changed = blobs[0].clone();
    changed.bytes = large;
    changed.size = 1024 * 1024;
    let mut c = Commit::new();
    c.update(changed.to_record(), 1);
    store.commit(c).await?;
    let r = store.get(&BLOB, changed.id).await?;
    ensure!(case, same(r.as_ref(), &changed), "updated to 1 MiB");
    let mut back = changed.clone();
    back.bytes = Vec::new();
    back.size = 0;
    let mut c = Commit::new();
    c.update(back.to_record(), 2);
    store.commit(c).await?;
    let r = store.get(&BLOB, back.id).await?;
    ensure!(case, same(r.as_ref(), &back), "updated back to empty");
    Ok(())
}

/// Runs every case; returns the names of the cases that passed (all of them, or an error
/// naming the first that failed).
///
/// # Errors
/// The first failing case, as [`Error::Backend`] naming it and what went wrong.
pub async fn run_all(store: Arc<dyn Store>, spawn: Spawner) -> Result<Vec<&'static str>> {
    let s = store.as_ref();
    commit_is_all_or_nothing(s).await?;
    stale_version_is_conflict(s).await?;
    create_existing_is_already_exists(s).await?;
    unique_rule_holds(s).await?;
    lookups_and_scans(s).await?;
    references_hold(s).await?;
    records_sharing_an_indexed_value_stay_exact(s).await?;
    prepared_commits_follow_the_commit_rules(s).await?;
    aggregates_group_and_sum_exactly(s).await?;
    bytes_round_trip_exactly(s).await?;
    unique_rule_holds_between_concurrent_writers(store.clone(), spawn.clone()).await?;
    concurrent_increments(store.clone(), spawn).await?;
    Ok(vec![
        "commit_is_all_or_nothing",
        "stale_version_is_conflict",
        "create_existing_is_already_exists",
        "unique_rule_holds",
        "lookups_and_scans",
        "references_hold",
        "records_sharing_an_indexed_value_stay_exact",
        "prepared_commits_follow_the_commit_rules",
        "aggregates_group_and_sum_exactly",
        "bytes_round_trip_exactly",
        "unique_rule_holds_between_concurrent_writers",
        "concurrent_increments",
    ])
}
