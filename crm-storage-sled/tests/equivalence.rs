//! The sled store answers every query exactly as the memory store (the reference) does: with
//! its record cache (candidate maps, sort-order walks) and without it, on a data set large
//! enough for every query path, before and after changes and deletes.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use chrono::{Duration, TimeZone, Utc};
use crm_core::customer::{Customer, CUSTOMER};
use crm_core::org::{Department, Employee};
use crm_core::store::{Commit, Entity, Filter, MemoryStore, Order, Query, Store, Value};
use crm_core::text::fold_text;
use crm_storage_sled::{CachePolicy, Durability, SledOptions, SledStore};
use futures::executor::block_on;
use rust_decimal::Decimal;
use uuid::Uuid;

const N: usize = 3_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const PROVINCES: &[&str] = &["北京", "上海", "广东", "浙江", "江苏"];
const WORDS: &[&str] = &[
    "星辰", "汇丰", "南方", "前海", "西湖", "科技", "贸易", "a", "ab",
];
const TAGS: &[&str] = &["VIP", "重点", "新客"];

fn all_stores(stores: &[&dyn Store], c: Commit) {
    for s in stores {
        block_on(s.commit(c.clone())).unwrap();
    }
}

fn make(rng: &mut Rng, owners: &[Uuid], n: usize) -> Customer {
    let name = format!("{}{}{}", rng.pick(WORDS), rng.pick(WORDS), n % 50);
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    // Few distinct instants, so that sort keys tie often.
    let created = t0 + Duration::hours(rng.below(300) as i64);
    let owner = owners[rng.below(owners.len())];
    let mut tags = BTreeSet::new();
    if rng.below(3) == 0 {
        tags.insert(rng.pick(TAGS).to_owned());
    }
    Customer {
        id: Uuid::now_v7(),
        name: name.clone(),
        short_name: None,
        name_key: format!("{name}-{n}-{}", Uuid::now_v7()),
        customer_type: None,
        level: [None, Some("A"), Some("B")][rng.below(3)].map(str::to_owned),
        industry: None,
        province: (rng.below(6) > 0).then(|| rng.pick(PROVINCES).to_owned()),
        city: None,
        source: None,
        address: None,
        phone: None,
        website: None,
        credit_code: (rng.below(4) == 0).then(|| format!("code{}", rng.below(20))),
        bank_name: None,
        bank_account: None,
        credit_limit: (rng.below(2) == 0).then(|| Decimal::new(rng.below(2000) as i64, 2)),
        owner_id: owner,
        tags,
        attributes: BTreeMap::new(),
        anniversaries: Vec::new(),
        archived: rng.below(10) == 0,
        created_at: created,
        created_by: owner,
        updated_at: created,
        last_contact_at: (rng.below(3) > 0).then(|| t0 + Duration::hours(rng.below(500) as i64)),
        search_name: fold_text(&name),
        search_contacts: String::new(),
    }
}

fn queries(owners: &[Uuid], some_ids: &[Uuid]) -> Vec<Query> {
    let t = |h: i64| {
        Value::Timestamp(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::hours(h))
    };
    let ids = |n: usize| {
        owners[..n]
            .iter()
            .map(|&o| Value::Id(o))
            .collect::<Vec<_>>()
    };
    let filters = vec![
        Filter::All,
        Filter::Eq("archived", Value::Bool(false)),
        Filter::Contains("search_name", "星".into()),
        Filter::Contains("search_name", "科技".into()),
        Filter::Contains("search_name", "ab".into()),
        Filter::Contains("search_name", String::new()),
        Filter::Contains("search_name", "不存在".into()),
        Filter::In("province", vec!["北京".into(), Value::Null, "广东".into()]),
        Filter::IsNull("province", true),
        Filter::IsNull("last_contact_at", false),
        Filter::Range(
            "created_at",
            Bound::Included(t(10)),
            Bound::Excluded(t(200)),
        ),
        Filter::Range("created_at", Bound::Excluded(t(100)), Bound::Unbounded),
        Filter::Range("created_at", Bound::Included(t(50)), Bound::Excluded(t(50))),
        Filter::Range(
            "credit_limit",
            Bound::Excluded(Value::Decimal(Decimal::new(5, 0))),
            Bound::Unbounded,
        ),
        Filter::Range("last_contact_at", Bound::Unbounded, Bound::Included(t(100))),
        Filter::JsonHasAny("tags", vec!["VIP".into(), "无".into()]),
        Filter::Eq("credit_code", "code3".into()),
        Filter::Eq("level", Value::Null),
        Filter::In("id", some_ids.iter().map(|&i| Value::Id(i)).collect()),
        Filter::And(vec![
            Filter::Eq("archived", Value::Bool(false)),
            Filter::Contains("search_name", "星".into()),
            Filter::In("level", vec!["A".into()]),
            Filter::Or(vec![
                Filter::In("owner_id", ids(2)),
                Filter::In("id", vec![Value::Id(some_ids[0])]),
            ]),
        ]),
        Filter::And(vec![
            Filter::Eq("archived", Value::Bool(false)),
            Filter::Or(vec![Filter::In("owner_id", ids(3))]),
        ]),
        Filter::And(vec![
            Filter::Range("created_at", Bound::Included(t(0)), Bound::Excluded(t(250))),
            Filter::JsonHasAny("tags", vec!["重点".into()]),
            Filter::In("province", vec!["上海".into(), "浙江".into()]),
        ]),
        Filter::Or(vec![
            Filter::Contains("search_name", "南方".into()),
            Filter::Eq("owner_id", Value::Id(owners[0])),
        ]),
        Filter::Or(vec![
            Filter::Contains("search_name", "南方".into()),
            Filter::All,
        ]),
        Filter::Or(vec![]),
        Filter::And(vec![]),
    ];
    let orders = vec![
        vec![],
        vec![Order::desc("created_at")],
        vec![Order::asc("created_at")],
        vec![Order::asc("name")],
        vec![Order::desc("last_contact_at")],
        vec![Order::asc("last_contact_at"), Order::desc("name")],
        vec![Order::desc("province"), Order::asc("created_at")],
        vec![Order::asc("credit_limit")],
        vec![Order::desc("id")],
    ];
    let pages = [(0, Some(20)), (37, Some(15)), (2990, Some(50))];
    let mut out = Vec::new();
    for f in &filters {
        for (n, o) in orders.iter().enumerate() {
            let extra = [(0, None), (0, Some(0))];
            let extra = if n < 2 { &extra[..] } else { &[] };
            for &(offset, limit) in pages.iter().chain(extra) {
                let mut q = Query::filter(&CUSTOMER, f.clone())
                    .order_by(o.clone())
                    .with_total();
                q.offset = offset;
                q.limit = limit;
                out.push(q);
            }
        }
    }
    out
}

fn same_answers(reference: &dyn Store, stores: &[&dyn Store], qs: &[Query]) {
    for (n, q) in qs.iter().enumerate() {
        let want = block_on(reference.query(q)).unwrap();
        // The uncached store decodes every record it reads: ask it a quarter of the queries
        // (every filter still, with several orders and pages), to keep the test quick.
        let asked = if n % 4 == 0 { stores } else { &stores[..1] };
        for (i, s) in asked.iter().enumerate() {
            let got = block_on(s.query(q)).unwrap();
            assert_eq!(got.total, want.total, "store {i}: total of {q:?}");
            let ids =
                |p: &crm_core::store::Page| p.records.iter().map(|r| r.id).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&want), "store {i}: page of {q:?}");
            assert_eq!(got, want, "store {i}: records of {q:?}");
        }
    }
}

#[test]
fn sled_answers_exactly_as_the_memory_store() {
    let memory = MemoryStore::new();
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
    let batched = |cache| SledOptions {
        durability: Durability::Batched,
        cache,
        ..SledOptions::default()
    };
    let cached = SledStore::open_with(d1.path(), batched(CachePolicy::OnFirstScan)).unwrap();
    let plain = SledStore::open_with(d2.path(), batched(CachePolicy::Off)).unwrap();
    // The cached store first: it answers every query; the uncached one a share of them.
    let stores: [&dyn Store; 3] = [&memory, &cached, &plain];

    let dept = Department {
        id: Uuid::now_v7(),
        name: "d".into(),
        parent_id: None,
    };
    let owners: Vec<Employee> = (0..8)
        .map(|i| Employee {
            id: Uuid::now_v7(),
            code: format!("e{i}"),
            name: format!("员工{i}"),
            department_id: dept.id,
            manager_id: None,
            role_ids: BTreeSet::new(),
            active: true,
        })
        .collect();
    let mut c = Commit::new();
    c.insert(dept.to_record());
    for e in &owners {
        c.insert(e.to_record());
    }
    all_stores(&stores, c);
    let owner_ids: Vec<Uuid> = owners.iter().map(|e| e.id).collect();

    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut rows = Vec::new();
    for chunk in 0..N / 500 {
        let mut c = Commit::new();
        for i in 0..500 {
            let x = make(&mut rng, &owner_ids, chunk * 500 + i);
            c.insert(x.to_record());
            rows.push(x);
        }
        all_stores(&stores, c);
    }
    let some_ids: Vec<Uuid> = rows.iter().step_by(97).map(|r| r.id).collect();
    let qs = queries(&owner_ids, &some_ids);
    same_answers(&memory, &stores[1..], &qs);

    // Change a third of the records (moving them in every map), delete a tenth, then ask
    // again: the cache and its maps follow every commit.
    let mut c = Commit::new();
    for (i, r) in rows.iter().enumerate() {
        if i % 10 == 3 {
            c.delete(&CUSTOMER, r.id, 1);
        } else if i % 3 == 0 {
            let mut x = make(&mut rng, &owner_ids, i);
            x.id = r.id;
            x.name_key = r.name_key.clone();
            c.update(x.to_record(), 1);
        }
    }
    all_stores(&stores, c);
    same_answers(&memory, &stores[1..], &qs);
}
