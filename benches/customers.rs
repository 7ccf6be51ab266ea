//! Customer import and search on the in-memory store: the baseline the adapters are held to.
//!
//! - `import`: 100,000 customers with two contacts each, from an in-memory CSV, through the
//!   library (checks, duplicate detection, indexes and audit entries included). Reported as
//!   customers per second.
//! - `search`: a multi-criteria search over those 100,000 as a salesperson who sees a tenth of
//!   them. Reported as median latency.
//!
//! `CRM_BENCH_CUSTOMERS` overrides the size (CI runs a small one with `cargo bench -- --test`).

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]
// Rates and latencies are reported as floating-point figures; no money is computed here.
#![allow(clippy::float_arithmetic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crm::core::customer::{CustomerSearch, CustomerSort};
use crm::core::org::{Actor, Op, Permission, Resource};
use crm::core::service::{ImportMode, ImportOptions, NewEmployee};
use crm::core::store::MemoryStore;
use crm::core::table::{TableReader, TextEncoding};
use crm::Crm;

const SALESPEOPLE: usize = 10;
const PROVINCES: [(&str, &str); 8] = [
    ("浙江", "杭州"),
    ("江苏", "苏州"),
    ("广东", "深圳"),
    ("北京", "北京"),
    ("上海", "上海"),
    ("山东", "青岛"),
    ("四川", "成都"),
    ("湖北", "武汉"),
];
const TRADES: [&str; 8] = [
    "科技", "贸易", "电子", "机械", "化工", "物流", "食品", "建材",
];
const LEVELS: [&str; 4] = ["A类", "B类", "C类", "D类"];

fn size() -> usize {
    std::env::var("CRM_BENCH_CUSTOMERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

/// A CSV of `n` distinct customers with two contacts each, owned round-robin by the
/// salespeople `s0`…`s9`.
fn csv(n: usize) -> Vec<u8> {
    let mut s =
        String::from("客户名称,客户等级,省份,城市,负责人工号,标签,联系人,手机,联系人2,手机2\n");
    for i in 0..n {
        let (prov, city) = PROVINCES[i % PROVINCES.len()];
        let trade = TRADES[(i / 7) % TRADES.len()];
        let level = LEVELS[(i / 3) % LEVELS.len()];
        let tag = if i % 5 == 0 { "重点客户" } else { "" };
        let _ = writeln!(
            s,
            "{city}第{i}号{trade}有限公司,{level},{prov},{city},s{},{tag},联系人{i}甲,13{:09},联系人{i}乙,15{:09}",
            i % SALESPEOPLE,
            i,
            i
        );
    }
    s.into_bytes()
}

struct Setup {
    crm: Crm,
    manager: Actor,
    salespeople: Vec<Actor>,
}

fn company(rt: &tokio::runtime::Runtime) -> Setup {
    rt.block_on(async {
        let crm = Crm::new(Arc::new(MemoryStore::new()));
        let admin = crm
            .bootstrap("基准测试有限公司", "admin", "管理员")
            .await
            .expect("bootstrap");
        let dept = crm
            .org()
            .await
            .expect("org")
            .employee(admin.employee_id())
            .expect("admin")
            .department_id;
        let all: Vec<Permission> = [Op::View, Op::Create, Op::Edit, Op::Import, Op::Assign]
            .into_iter()
            .map(|o| Permission::new(Resource::Customer, o))
            .collect();
        let role = crm
            .create_role(admin, "销售", all, false)
            .await
            .expect("role");
        let hire = |code: String, mgr| {
            NewEmployee::builder()
                .code(code.clone())
                .name(code)
                .department_id(dept)
                .manager_id(mgr)
                .role_ids(BTreeSet::from([role.id]))
                .build()
        };
        let m = crm
            .create_employee(admin, hire("mgr".into(), None))
            .await
            .expect("manager");
        let mut salespeople = Vec::new();
        for i in 0..SALESPEOPLE {
            let e = crm
                .create_employee(admin, hire(format!("s{i}"), Some(m.id)))
                .await
                .expect("hire");
            salespeople.push(Actor::new(e.id));
        }
        Setup {
            crm,
            manager: Actor::new(m.id),
            salespeople,
        }
    })
}

fn import(rt: &tokio::runtime::Runtime, s: &Setup, data: &Arc<[u8]>) -> u64 {
    let options = ImportOptions {
        mode: ImportMode::AllOrNothing,
        ..Default::default()
    };
    let report = rt
        .block_on(s.crm.import_customers(
            s.manager,
            || TableReader::csv(Cursor::new(data.clone()), TextEncoding::Utf8),
            &options,
            |_| {},
        ))
        .expect("import");
    assert_eq!(
        report.invalid + report.duplicates,
        0,
        "{:?}",
        report.problems.first()
    );
    report.created
}

fn benches(c: &mut Criterion) {
    let n = size();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let data: Arc<[u8]> = csv(n).into();

    let mut g = c.benchmark_group("memory");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    let mut rates = Vec::new();
    g.bench_function(format!("import {n} customers with 2 contacts"), |b| {
        b.iter_batched(
            || company(&rt),
            |s| {
                let t = Instant::now();
                let created = import(&rt, &s, &data);
                rates.push(created as f64 / t.elapsed().as_secs_f64());
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    rates.sort_by(f64::total_cmp);
    if let Some(r) = rates.get(rates.len() / 2) {
        println!(
            "memory import: median {r:.0} customers/s over {} runs",
            rates.len()
        );
    }

    let s = company(&rt);
    import(&rt, &s, &data);
    let who = s.salespeople[3];
    let search = CustomerSearch::builder()
        .name_contains(Some("科技".into()))
        .provinces(vec!["浙江".into(), "广东".into(), "北京".into()])
        .levels(vec!["A类".into(), "B类".into()])
        .sort(CustomerSort::NameAsc)
        .limit(20)
        .build();
    let visible = rt
        .block_on(s.crm.count_customers(who, &CustomerSearch::default()))
        .expect("count");
    let mut times: Vec<Duration> = Vec::new();
    let mut g = c.benchmark_group("memory");
    g.bench_function(
        format!("search {n} customers as a salesperson seeing {visible}"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let page = rt
                        .block_on(s.crm.search_customers(who, &search))
                        .expect("search");
                    let d = t.elapsed();
                    criterion::black_box(page);
                    times.push(d);
                    total += d;
                }
                total
            })
        },
    );
    g.finish();
    times.sort();
    if let Some(m) = times.get(times.len() / 2) {
        println!(
            "memory search: median {:.3} ms over {} searches ({visible} visible of {n})",
            m.as_secs_f64() * 1e3,
            times.len()
        );
    }
}

criterion_group!(customers, benches);
criterion_main!(customers);
