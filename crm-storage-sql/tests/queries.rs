//! The SQL translation of the filter language against the reference: the same records written
//! to the in-memory store and to each SQL backend, then a battery of queries (every filter,
//! the corner cases where SQL and Rust part ways, orders, pages, totals) must give identical
//! pages on all of them.

// The tests use both backends; a build with one of them runs none of them.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod common;

use std::collections::BTreeMap;
use std::ops::Bound;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::customer::CUSTOMER;
use crm_core::store::{Commit, Entity, Filter, MemoryStore, Order, Query, Store, Value};
use crm_storage_sql::SqliteStore;
use rust_decimal::Decimal;
use uuid::Uuid;

fn at(day: u32, micros: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 8, 0, 0)
        .single()
        .expect("valid time")
        + Duration::microseconds(micros)
}

/// The records, written to `store` with the same ids everywhere.
async fn seed(store: &dyn Store, records: &[crm_core::store::Record]) {
    let mut c = Commit::new();
    for r in records {
        c.insert(r.clone());
    }
    store.commit(c).await.expect("seed");
}

/// Customers covering the corners: nulls, byte order of text, decimals, instants, JSON.
fn customers(owner: Uuid) -> Vec<crm_core::store::Record> {
    let provinces = [
        Some("北京"),
        Some("B"),
        Some("a"),
        Some("Ä"),
        Some(""),
        None,
        Some("北京"),
        Some("广东"),
        None,
        Some("b"),
    ];
    let limits = [
        None,
        Some(Decimal::new(5, 2)),
        Some(Decimal::new(15, 1)),
        Some(Decimal::new(-3, 0)),
        Some(Decimal::new(123_456_123_456, 6)),
        Some(Decimal::new(15, 1)),
        Some(Decimal::ZERO),
        None,
        Some(Decimal::new(1_499_999, 6)),
        Some(Decimal::new(1_500_001, 6)),
    ];
    let mut out = Vec::new();
    for (i, (p, l)) in provinces.iter().zip(limits).enumerate() {
        let i32_ = u32::try_from(i).expect("small");
        let mut c = common::customer(owner, &format!("客户{}", 9 - i), *p, None);
        c.name = [
            "北京星辰",
            "beta",
            "Beta",
            "上海",
            "",
            "北京",
            "gamma",
            "北",
            "z",
            "Z",
        ][i]
            .to_owned();
        c.credit_limit = l;
        c.archived = i % 3 == 0;
        c.created_at = at(1 + i32_ % 4, i64::from(i32_) * 7);
        c.last_contact_at = (i % 2 == 0).then(|| at(10, i64::from(i32_)));
        c.tags = match i % 4 {
            0 => ["VIP".to_owned(), "重点".to_owned()].into(),
            1 => ["重点".to_owned()].into(),
            2 => Default::default(),
            _ => ["vip".to_owned()].into(),
        };
        c.attributes = if i % 2 == 0 {
            BTreeMap::from([("VIP".to_owned(), "是".to_owned())])
        } else {
            BTreeMap::new()
        };
        c.search_name = format!("{}|{}", c.name, p.unwrap_or("-"));
        out.push(c.to_record());
    }
    out
}

/// `n` texts no customer has, to make `In` lists long.
fn filler(n: usize) -> Vec<Value> {
    (0..n).map(|i| Value::Text(format!("无此省{i}"))).collect()
}

/// A list of `n` values (long past the adapters' limit of 64 parameters per list when `n` is
/// large) that ends with `tail`.
fn list(n: usize, tail: Vec<Value>) -> Vec<Value> {
    let mut v = filler(n.saturating_sub(tail.len()));
    v.extend(tail);
    v
}

fn queries(owner: Uuid, ids: &[Uuid]) -> Vec<(String, Query)> {
    let mine = Filter::Eq("owner_id", Value::Id(owner));
    let f = |name: &str, filter: Filter| {
        (
            name.to_owned(),
            Query::filter(&CUSTOMER, Filter::And(vec![mine.clone(), filter])),
        )
    };
    let d = |n: i64, s: u32| Value::Decimal(Decimal::new(n, s));
    let mut qs = vec![
        f("all", Filter::All),
        f("eq text", Filter::Eq("province", "北京".into())),
        f("eq empty text", Filter::Eq("province", "".into())),
        f("eq null", Filter::Eq("province", Value::Null)),
        f("eq other type", Filter::Eq("province", Value::Int(1))),
        f("eq decimal", Filter::Eq("credit_limit", d(150, 2))),
        f(
            "eq decimal 7 places",
            Filter::Eq("credit_limit", d(15_000_001, 7)),
        ),
        f("eq bool", Filter::Eq("archived", Value::Bool(true))),
        f(
            "eq instant",
            Filter::Eq("last_contact_at", at(10, 4).into()),
        ),
        f(
            "eq json",
            Filter::Eq("tags", serde_json::json!(["重点"]).into()),
        ),
        f(
            "in mixed",
            Filter::In(
                "province",
                vec!["a".into(), Value::Null, Value::Int(3), "Ä".into()],
            ),
        ),
        f(
            "in decimals",
            Filter::In("credit_limit", vec![d(5, 2), d(-3, 0), d(1, 9)]),
        ),
        f("in empty", Filter::In("province", vec![])),
        f(
            "in short",
            Filter::In("province", vec!["北京".into(), "b".into()]),
        ),
        // Around the adapters' limit of 64 values bound one by one (longer lists go as one
        // parameter: json_each on SQLite, = ANY on PostgreSQL).
        f(
            "in 64",
            Filter::In("province", list(64, vec!["北京".into(), "".into()])),
        ),
        f(
            "in 65",
            Filter::In("province", list(65, vec!["北京".into(), "".into()])),
        ),
        f(
            "in long",
            Filter::In("province", list(500, vec!["Ä".into(), "a".into()])),
        ),
        f(
            "in long mixed",
            Filter::In(
                "province",
                list(
                    100,
                    vec![Value::Null, Value::Int(3), "B".into(), Value::Bool(true)],
                ),
            ),
        ),
        f(
            "in long nothing storable",
            Filter::In(
                "province",
                (0..100).map(Value::Int).chain([Value::Null]).collect(),
            ),
        ),
        f(
            "in long decimals",
            Filter::In(
                "credit_limit",
                (0..100)
                    .map(|i| d(i, 2))
                    .chain([d(15, 1), d(1, 9)])
                    .collect(),
            ),
        ),
        f(
            "in long ids",
            Filter::In(
                "id",
                (0..100)
                    .map(|_| Value::Id(Uuid::now_v7()))
                    .chain(ids.iter().step_by(2).map(|&id| Value::Id(id)))
                    .collect(),
            ),
        ),
        f(
            "in short ids",
            Filter::In(
                "id",
                ids.iter()
                    .skip(1)
                    .step_by(3)
                    .map(|&id| Value::Id(id))
                    .collect(),
            ),
        ),
        f(
            "in long owners",
            Filter::In(
                "owner_id",
                (0..100)
                    .map(|_| Value::Id(Uuid::now_v7()))
                    .chain([Value::Id(owner)])
                    .collect(),
            ),
        ),
        f(
            "in ids",
            Filter::In("id", vec![Value::Id(Uuid::nil()), Value::Id(owner)]),
        ),
        f("contains", Filter::Contains("name", "北京".into())),
        f("contains case", Filter::Contains("name", "b".into())),
        f(
            "contains empty",
            Filter::Contains("province", String::new()),
        ),
        f(
            "contains non-text",
            Filter::Contains("credit_limit", "1".into()),
        ),
        f("contains percent", Filter::Contains("name", "%".into())),
        f(
            "range decimals 7 places",
            Filter::Range(
                "credit_limit",
                Bound::Included(d(14_999_995, 7)),
                Bound::Excluded(d(15_000_005, 7)),
            ),
        ),
        f(
            "range decimals excluded 7 places",
            Filter::Range(
                "credit_limit",
                Bound::Excluded(d(14_999_990, 7)),
                Bound::Included(d(15_000_010, 7)),
            ),
        ),
        f(
            "range decimal huge",
            Filter::Range(
                "credit_limit",
                Bound::Excluded(Value::Decimal(Decimal::MIN)),
                Bound::Included(Value::Decimal(Decimal::MAX)),
            ),
        ),
        f(
            "range decimal beyond",
            Filter::Range(
                "credit_limit",
                Bound::Included(Value::Decimal(Decimal::MAX)),
                Bound::Unbounded,
            ),
        ),
        f(
            "range text",
            Filter::Range(
                "province",
                Bound::Included("B".into()),
                Bound::Excluded("b".into()),
            ),
        ),
        f(
            "range other type below",
            Filter::Range("province", Bound::Included(Value::Int(5)), Bound::Unbounded),
        ),
        f(
            "range other type above",
            Filter::Range(
                "province",
                Bound::Unbounded,
                Bound::Included(Value::Bool(true)),
            ),
        ),
        f(
            "range other type blocks",
            Filter::Range(
                "province",
                Bound::Included(Value::Json(serde_json::json!(1))),
                Bound::Unbounded,
            ),
        ),
        f(
            "range null bound",
            Filter::Range("province", Bound::Included(Value::Null), Bound::Unbounded),
        ),
        f(
            "range instants",
            Filter::Range(
                "created_at",
                Bound::Excluded(at(2, 7).into()),
                Bound::Included(at(3, 70).into()),
            ),
        ),
        f(
            "range bool",
            Filter::Range(
                "archived",
                Bound::Excluded(Value::Bool(false)),
                Bound::Unbounded,
            ),
        ),
        f(
            "range version",
            Filter::Range(
                "version",
                Bound::Included(Value::Int(1)),
                Bound::Included(Value::Int(1)),
            ),
        ),
        f("is null", Filter::IsNull("province", true)),
        f("is not null", Filter::IsNull("last_contact_at", false)),
        f(
            "json has any",
            Filter::JsonHasAny("tags", vec!["VIP".into(), "无".into()]),
        ),
        f(
            "json has any lower",
            Filter::JsonHasAny("tags", vec!["vip".into()]),
        ),
        f(
            "json has any object keys",
            Filter::JsonHasAny("attributes", vec!["VIP".into()]),
        ),
        f("json has any empty", Filter::JsonHasAny("tags", vec![])),
        f(
            "json has any non-json",
            Filter::JsonHasAny("name", vec!["beta".into()]),
        ),
        f("or empty", Filter::Or(vec![])),
        f("and empty", Filter::And(vec![])),
        f(
            "nested",
            Filter::Or(vec![
                Filter::And(vec![
                    Filter::Eq("archived", Value::Bool(false)),
                    Filter::IsNull("credit_limit", true),
                ]),
                Filter::Eq("province", Value::Null),
                Filter::Range("credit_limit", Bound::Unbounded, Bound::Excluded(d(0, 0))),
            ]),
        ),
    ];
    let orders: Vec<(&str, Vec<Order>)> = vec![
        ("province asc", vec![Order::asc("province")]),
        ("province desc", vec![Order::desc("province")]),
        ("name asc", vec![Order::asc("name")]),
        ("credit asc", vec![Order::asc("credit_limit")]),
        ("credit desc", vec![Order::desc("credit_limit")]),
        ("contact desc", vec![Order::desc("last_contact_at")]),
        (
            "archived then created",
            vec![Order::asc("archived"), Order::desc("created_at")],
        ),
        ("id desc", vec![Order::desc("id")]),
        ("version", vec![Order::asc("version")]),
    ];
    for (name, order) in orders {
        let (_, q) = f(name, Filter::All);
        qs.push((name.to_owned(), q.clone().order_by(order.clone())));
        // Pages inside, at the end of and past the end of the ten records, and none.
        for (off, lim) in [(0, 3), (3, 3), (8, 5), (9, 1), (10, 1), (20, 1), (0, 0)] {
            qs.push((
                format!("{name} page {off}+{lim}"),
                q.clone()
                    .order_by(order.clone())
                    .page(off, lim)
                    .with_total(),
            ));
        }
        // Every record with the total, and the same past the first.
        qs.push((format!("{name} all with total"), q.clone().with_total()));
        let mut rest = q.clone().order_by(order.clone()).with_total();
        rest.offset = 4;
        qs.push((format!("{name} from 4 with total"), rest));
    }
    // Nothing matches: the first page and a later one still say 0.
    let (_, none) = f("none", Filter::Eq("province", "无此省".into()));
    qs.push((
        "none page 0+5".to_owned(),
        none.clone().page(0, 5).with_total(),
    ));
    qs.push(("none page 5+5".to_owned(), none.page(5, 5).with_total()));
    qs
}

/// An employee on `store`, and an in-memory reference holding the same organisation records
/// (same ids).
async fn reference_for(store: &dyn Store) -> (MemoryStore, Uuid) {
    let reference = MemoryStore::new();
    let owner = common::employee(store, "对照").await;
    for kind in [&crm_core::org::DEPARTMENT, &crm_core::org::EMPLOYEE] {
        let page = store.query(&Query::all(kind)).await.expect("read back");
        let mut c = Commit::new();
        for r in page.records {
            c.insert(r);
        }
        reference.commit(c).await.expect("reference setup");
    }
    (reference, owner.id)
}

/// Runs every query on the reference and on `store`, which hold the same records: the same
/// records in the same order, and the same total.
async fn agree(label: &str, store: &dyn Store, reference: &MemoryStore, qs: Vec<(String, Query)>) {
    let mut checked = 0;
    for (name, q) in qs {
        let want = reference.query(&q).await.expect("reference query");
        let got = store
            .query(&q)
            .await
            .unwrap_or_else(|e| panic!("{label}: query {name:?} failed: {e}"));
        let names = |p: &crm_core::store::Page| -> Vec<String> {
            p.records
                .iter()
                .map(|r| match r.get("name") {
                    Ok(Value::Text(s)) => s.clone(),
                    _ => String::new(),
                })
                .collect()
        };
        assert_eq!(
            (names(&got), got.total),
            (names(&want), want.total),
            "{label}: query {name:?} (left: SQL, right: reference)"
        );
        assert_eq!(got, want, "{label}: query {name:?} records differ");
        checked += 1;
    }
    eprintln!("{label}: {checked} queries agree with the reference");
}

/// Runs every query of the battery on the reference and on `store`.
async fn compare(label: &str, store: &dyn Store) {
    let (reference, owner) = reference_for(store).await;
    let records = customers(owner);
    seed(&reference, &records).await;
    seed(store, &records).await;
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    agree(label, store, &reference, queries(owner, &ids)).await;
}

/// The adapters answer a page and its total in one statement when a query has at most 1,000
/// matches, and with a count and a page past that: pages on both sides of that cap, at and
/// past the end, with and without a limit, must still agree with the reference.
async fn compare_around_the_cap(label: &str, store: &dyn Store) {
    let (reference, owner) = reference_for(store).await;
    // 1,000 customers in 甲, 1 in 乙, 99 in 丙; names out of id order.
    let records: Vec<_> = (0..1_100_u32)
        .map(|i| {
            let province = match i {
                0..=999 => "甲",
                1_000 => "乙",
                _ => "丙",
            };
            let mut c = common::customer(
                owner,
                &format!("客户{:04}", (i * 7_919) % 1_100),
                Some(province),
                None,
            );
            c.archived = i % 10 == 0;
            c.to_record()
        })
        .collect();
    seed(&reference, &records).await;
    seed(store, &records).await;
    let by_name = vec![Order::asc("name")];
    let q = |filter: Filter| Query::filter(&CUSTOMER, filter).order_by(by_name.clone());
    let one = |p: &str| Filter::In("province", vec![Value::Text(p.to_owned())]);
    let sets = [
        ("1000 matches", one("甲")),
        (
            "1001 matches",
            Filter::In("province", vec!["甲".into(), "乙".into()]),
        ),
        ("1100 matches", Filter::All),
        ("99 matches", one("丙")),
        ("990 matches", Filter::Eq("archived", Value::Bool(false))),
        ("no match", one("丁")),
    ];
    let mut qs = Vec::new();
    for (name, filter) in sets {
        for (off, lim) in [
            (0, 20),
            (980, 20),
            (990, 20),
            (995, 20),
            (1_000, 20),
            (1_001, 5),
            (1_090, 20),
            (1_100, 5),
            (5_000, 5),
            (0, 0),
        ] {
            qs.push((
                format!("{name} page {off}+{lim}"),
                q(filter.clone()).page(off, lim).with_total(),
            ));
        }
        qs.push((
            format!("{name} all with total"),
            q(filter.clone()).with_total(),
        ));
        let mut rest = q(filter.clone()).with_total();
        rest.offset = 950;
        qs.push((format!("{name} from 950 with total"), rest));
        qs.push((
            format!("{name} page 0+20 without total"),
            q(filter).page(0, 20),
        ));
    }
    agree(label, store, &reference, qs).await;
}

#[tokio::test]
async fn sqlite_queries_agree_with_the_reference() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_path(dir.path().join("crm.db"))
        .await
        .expect("open");
    compare("sqlite", &store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_queries_agree_with_the_reference() {
    let Some(db) = common::PgDb::create("postgres_queries_agree_with_the_reference").await else {
        return;
    };
    let store = db.store().await;
    compare("postgres", &store).await;
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_pages_around_the_one_statement_cap_agree() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_path(dir.path().join("crm.db"))
        .await
        .expect("open");
    compare_around_the_cap("sqlite", &store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_pages_around_the_one_statement_cap_agree() {
    let Some(db) = common::PgDb::create("postgres_pages_around_the_one_statement_cap_agree").await
    else {
        return;
    };
    let store = db.store().await;
    compare_around_the_cap("postgres", &store).await;
    store.close().await;
    db.drop_db().await;
}
