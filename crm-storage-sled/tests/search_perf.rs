//! At 100,000 customers, the sled adapter's searches (through its record cache and index
//! candidates) answer exactly as the memory store does. Ignored by default (it takes a while to
//! load); it also prints the median search time, whose figure of record comes from
//! `benches/adapters.rs`. Run it in release mode:
//!
//! `cargo test -p crm-storage-sled --release --test search_perf -- --ignored --nocapture`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    missing_docs
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crm_core::customer::CUSTOMER;
use crm_core::customer::{Customer, CustomerSearch};
use crm_core::org::{Department, Employee};
use crm_core::store::{Commit, Entity, Filter, MemoryStore, Query, Store, Value};
use crm_core::text::fold_text;
use crm_storage_sled::{Durability, SledOptions, SledStore};
use futures::executor::block_on;
use uuid::Uuid;

const N: usize = 100_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const PROVINCES: &[&str] = &[
    "北京",
    "上海",
    "天津",
    "重庆",
    "广东",
    "浙江",
    "江苏",
    "山东",
    "河南",
    "河北",
    "湖北",
    "湖南",
    "四川",
    "福建",
    "安徽",
    "江西",
    "辽宁",
    "吉林",
    "黑龙江",
    "陕西",
    "山西",
    "云南",
    "贵州",
    "广西",
    "海南",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "西藏",
    "内蒙古",
];
const WORDS: &[&str] = &[
    "星辰", "汇丰", "南方", "前海", "西湖", "华夏", "东方", "长城", "中原", "蓝天", "金桥", "宏达",
    "恒通", "盛世", "新元", "远航", "天成", "博远", "瑞丰", "鼎盛",
];
const TRADES: &[&str] = &[
    "科技", "贸易", "电子", "物流", "茶业", "机械", "化工", "食品", "建材", "医药",
];
const INDUSTRIES: &[&str] = &["制造", "零售", "批发", "物流", "医疗", "教育", "IT"];
const LEVELS: &[&str] = &["A", "B", "C", "D"];
const TAGS: &[&str] = &["VIP", "重点", "新客", "老客", "流失"];

/// Loads `N` customers owned by 50 employees; returns the employee ids.
fn load(stores: &[&dyn Store]) -> Vec<Uuid> {
    let dept = Department {
        id: Uuid::now_v7(),
        name: "销售部".into(),
        parent_id: None,
    };
    let emps: Vec<Employee> = (0..50)
        .map(|i| Employee {
            id: Uuid::now_v7(),
            code: format!("perf-{i}-{}", Uuid::now_v7()),
            name: format!("销售{i}"),
            department_id: dept.id,
            manager_id: None,
            role_ids: BTreeSet::new(),
            active: true,
        })
        .collect();
    let mut c = Commit::new();
    c.insert(dept.to_record());
    for e in &emps {
        c.insert(e.to_record());
    }
    for s in stores {
        block_on(s.commit(c.clone())).unwrap();
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let t0 = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let start = Instant::now();
    for batch in 0..N / 1000 {
        let mut c = Commit::new();
        for i in 0..1000 {
            let n = batch * 1000 + i;
            let name = format!(
                "{}{}{}{}有限公司{n}",
                rng.pick(PROVINCES),
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(TRADES)
            );
            let owner = emps[(rng.next() % 50) as usize].id;
            let created = t0 + chrono::Duration::minutes((n as i64) * 15);
            let mut tags = BTreeSet::new();
            if rng.next().is_multiple_of(3) {
                tags.insert(rng.pick(TAGS).to_owned());
            }
            let cust = Customer {
                id: Uuid::now_v7(),
                name: name.clone(),
                short_name: None,
                name_key: format!("{name}-{n}"),
                customer_type: Some("企业".into()),
                level: Some(rng.pick(LEVELS).into()),
                industry: Some(rng.pick(INDUSTRIES).into()),
                province: Some(rng.pick(PROVINCES).into()),
                city: None,
                source: Some("展会".into()),
                address: Some(format!("{}路{}号", rng.pick(WORDS), n % 999)),
                phone: Some(format!("010-{:08}", n)),
                website: None,
                credit_code: None,
                bank_name: None,
                bank_account: None,
                credit_limit: None,
                owner_id: owner,
                tags,
                attributes: BTreeMap::new(),
                anniversaries: Vec::new(),
                archived: rng.next().is_multiple_of(20),
                created_at: created,
                created_by: owner,
                updated_at: created,
                last_contact_at: None,
                search_name: fold_text(&name),
                search_contacts: format!(
                    "张{} 13{:09}",
                    rng.pick(WORDS),
                    rng.next() % 1_000_000_000
                ),
            };
            c.insert(cust.to_record());
        }
        for s in stores {
            block_on(s.commit(c.clone())).unwrap();
        }
    }
    eprintln!("loaded {N} customers in {:?}", start.elapsed());
    emps.iter().map(|e| e.id).collect()
}

fn searches(emps: &[Uuid]) -> Vec<Query> {
    let t = |y, m| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap();
    let mut out = Vec::new();
    let specs = vec![
        CustomerSearch::builder()
            .name_contains(Some("科技".into()))
            .provinces(vec!["北京".into(), "上海".into()])
            .build(),
        CustomerSearch::builder()
            .levels(vec!["A".into()])
            .industries(vec!["制造".into(), "IT".into()])
            .created_from(Some(t(2021, 1)))
            .created_to(Some(t(2022, 6)))
            .build(),
        CustomerSearch::builder()
            .tags_any(vec!["VIP".into()])
            .name_contains(Some("星辰".into()))
            .build(),
        CustomerSearch::builder()
            .contact_contains(Some("138000".into()))
            .build(),
        // The default list: every visible customer, newest first.
        CustomerSearch::builder().build(),
    ];
    for s in &specs {
        // An administrator: no visibility filter.
        out.push(
            Query::filter(&CUSTOMER, Filter::And(s.filter()))
                .order_by(s.order())
                .page(0, 20)
                .with_total(),
        );
        // A manager of 10 salespeople.
        let mut f = s.filter();
        f.push(Filter::Or(vec![Filter::In(
            "owner_id",
            emps[..10].iter().map(|&e| Value::Id(e)).collect(),
        )]));
        out.push(
            Query::filter(&CUSTOMER, Filter::And(f))
                .order_by(s.order())
                .page(0, 20)
                .with_total(),
        );
        // A salesperson.
        let mut f = s.filter();
        f.push(Filter::Or(vec![Filter::In(
            "owner_id",
            vec![Value::Id(emps[0])],
        )]));
        out.push(
            Query::filter(&CUSTOMER, Filter::And(f))
                .order_by(s.order())
                .page(0, 20)
                .with_total(),
        );
    }
    out
}

fn median_search(store: &dyn Store, queries: &[Query]) -> Duration {
    // Warm up (loads caches and maps), then time.
    for q in queries {
        block_on(store.query(q)).unwrap();
    }
    let mut all = Vec::new();
    for q in queries {
        let mut times = Vec::new();
        let mut total = None;
        for _ in 0..7 {
            let t = Instant::now();
            let page = block_on(store.query(q)).unwrap();
            times.push(t.elapsed());
            total = page.total;
        }
        times.sort();
        eprintln!(
            "  {:>10.3?}  (matches {:>6?})",
            times[times.len() / 2],
            total.unwrap_or(0)
        );
        all.extend(times);
    }
    all.sort();
    let median = all[all.len() / 2];
    eprintln!(
        "  all: min {:?} median {:?} max {:?}",
        all[0],
        median,
        all[all.len() - 1]
    );
    median
}

#[test]
#[ignore = "loads 100,000 customers; run in release mode"]
fn customer_search_at_100k_has_a_median_under_10ms() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SledOptions {
        durability: Durability::Batched,
        ..SledOptions::default()
    };
    let sled = Arc::new(SledStore::open_with(dir.path(), opts).unwrap());
    let memory = Arc::new(MemoryStore::new());
    let emps = load(&[sled.as_ref(), memory.as_ref()]);
    sled.flush().unwrap();
    let qs = searches(&emps);
    // Same answers as the reference store.
    for q in &qs {
        let a = block_on(sled.query(q)).unwrap();
        let b = block_on(memory.query(q)).unwrap();
        assert_eq!(a, b, "{q:?}");
    }
    eprint!("memory: ");
    median_search(memory.as_ref(), &qs);
    eprint!("sled:   ");
    // Timing is reported, never asserted: the figure of record comes from benches/adapters.rs.
    let median = median_search(sled.as_ref(), &qs);
    eprintln!("sled median {median:?} (target: under 10 ms)");
}
