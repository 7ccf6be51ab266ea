//! The goods path on every engine, in one run.
//!
//! - **stock-outs**: `N` stock-outs (`CRM_BENCH_STOCK_OUTS`, default 500) one after the other,
//!   each shipping one unit of one of four products from one warehouse against an approved
//!   order: one durable commit through the library with every check (order, notice claims,
//!   balance, ledger, order state, number, audit). Stock-outs per second printed.
//! - **contended stock-outs**: 16 tasks each shipping `M` stock-outs
//!   (`CRM_BENCH_CONTENDED`, default 40) of the same four hot products at once: stock-outs per
//!   second, and how many gave up after every retry (each a `Conflict` the host would retry).
//! - **valuation report**: `L` ledger entries (`CRM_BENCH_LEDGER`, default 10,000,000; over 200
//!   products, 5 warehouses and 365 days) written straight through the store port, then
//!   `Crm::stock_value_as_of` (quantity and value per product and warehouse as of a date, one
//!   aggregate over the ledger) timed three times, median printed. The issue's bar: seconds,
//!   not minutes. Beside it `Crm::stock_on_hand`, the same report from the balances the
//!   library keeps beside the ledger (the seed writes the balances its entries add up to),
//!   checked to agree with the ledger's as-of report at the year's end.
//!
//! `CRM_BENCH_ENGINES` selects engines (`memory,sled,sqlite,postgres`); PostgreSQL is used when
//! `CRM_BENCH_POSTGRES_URL` (else `CRM_TEST_POSTGRES_URL`, else the local server) answers, in a
//! fresh database dropped at the end. CI: `CRM_BENCH_STOCK_OUTS=5 CRM_BENCH_CONTENDED=2
//! CRM_BENCH_LEDGER=2000 cargo test --bench goods`. Nothing asserts on time.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]
// Rates and latencies are reported as floating-point figures; no money is computed here.
#![allow(clippy::float_arithmetic)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use crm::core::customer::CustomerInput;
use crm::core::inventory::{MoveType, Position, StockBalance, StockDoc, StockDocType, StockMove};
use crm::core::org::Actor;
use crm::core::product::ProductInput;
use crm::core::sales::LineDraft;
use crm::core::service::{
    OrderInput, StockInInput, StockInLine, StockOutInput, StockOutLine, WarehouseInput,
};
use crm::core::store::{Commit, Entity, Store};
use crm::core::Error;
use crm::Crm;
use rust_decimal::Decimal;
use tokio::runtime::Runtime;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;
use support::{engine_wanted, env_usize, library_store, Engine, Pg, Place};

const HOT: usize = 4;

struct Depot {
    crm: Arc<Crm>,
    admin: Actor,
    warehouse: Uuid,
    /// The order line of each hot product.
    lines: Vec<Uuid>,
}

async fn depot(store: Arc<dyn Store>) -> Depot {
    let crm = Crm::new(store);
    let admin = crm
        .bootstrap("基准测试有限公司", "admin", "管理员")
        .await
        .expect("bootstrap");
    let warehouse = crm
        .create_warehouse(
            admin,
            WarehouseInput::builder()
                .code("WH".into())
                .name("总仓".into())
                .build(),
        )
        .await
        .expect("warehouse")
        .id;
    let customer = crm
        .create_customer(
            admin,
            CustomerInput::builder()
                .name("上海基准测试客户有限公司".into())
                .build(),
            vec![],
        )
        .await
        .expect("customer")
        .customer
        .value
        .id;
    let mut lines = Vec::new();
    for i in 0..HOT {
        let p = crm
            .create_product(
                admin,
                ProductInput::builder()
                    .code(format!("HOT-{i}"))
                    .name(format!("热销品{i}"))
                    .unit("个".into())
                    .sale_price(Decimal::new(9900, 2))
                    .price_includes_tax(true)
                    .tax_rate(Decimal::new(13, 2))
                    .build(),
            )
            .await
            .expect("product")
            .value
            .id;
        crm.stock_in(
            admin,
            StockInInput::builder()
                .lines(vec![StockInLine {
                    product_id: p,
                    warehouse_id: warehouse,
                    quantity: Decimal::from(1_000_000),
                    unit_cost: Decimal::new(4321, 2),
                }])
                .build(),
        )
        .await
        .expect("stock in");
        let o = crm
            .create_order(
                admin,
                OrderInput::builder()
                    .customer_id(customer)
                    .lines(vec![LineDraft::builder()
                        .product_id(p)
                        .quantity(Decimal::from(1_000_000))
                        .build()])
                    .build(),
            )
            .await
            .expect("order");
        crm.submit_order(admin, o.order.value.id, o.order.version)
            .await
            .expect("submit");
        lines.push(o.lines[0].id);
    }
    Depot {
        crm: Arc::new(crm),
        admin,
        warehouse,
        lines,
    }
}

async fn ship_one(d: &Depot, i: usize) -> Result<(), Error> {
    d.crm
        .stock_out(
            d.admin,
            StockOutInput::builder()
                .lines(vec![StockOutLine {
                    order_line_id: d.lines[i % HOT],
                    warehouse_id: d.warehouse,
                    quantity: Decimal::ONE,
                }])
                .build(),
        )
        .await
        .map(|_| ())
}

/// Writes `n` ledger entries straight through the port: 200 products, 5 warehouses, one
/// entry a day-slot over 2026, in commits of `CRM_BENCH_SEED_BATCH` (500); then the balance of each product and
/// warehouse they add up to (what the library keeps beside its ledger). Returns the date the
/// as-of report is asked for and the total value of the balances.
async fn seed_ledger(crm: &Crm, admin: Actor, n: usize) -> (NaiveDate, Decimal) {
    let store = crm.store().clone();
    let mut warehouses = Vec::new();
    for i in 0..5 {
        let w = crm
            .create_warehouse(
                admin,
                WarehouseInput::builder()
                    .code(format!("L{i}"))
                    .name(format!("账仓{i}"))
                    .build(),
            )
            .await
            .expect("warehouse");
        warehouses.push(w.id);
    }
    let mut products = Vec::new();
    for i in 0..200 {
        let p = crm
            .create_product(
                admin,
                ProductInput::builder()
                    .code(format!("L-{i:03}"))
                    .name(format!("账品{i}"))
                    .unit("个".into())
                    .sale_price(Decimal::new(1000, 2))
                    .price_includes_tax(false)
                    .tax_rate(Decimal::new(13, 2))
                    .build(),
            )
            .await
            .expect("product");
        products.push(p.value.id);
    }
    let now = Utc.with_ymd_and_hms(2026, 12, 31, 12, 0, 0).unwrap();
    let doc = StockDoc {
        id: Uuid::now_v7(),
        number: "RK-BENCH-1".into(),
        doc_type: StockDocType::StockIn,
        doc_date: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        customer_id: None,
        owner_id: None,
        supplier_id: None,
        notice_id: None,
        department_id: None,
        project: None,
        carrier: None,
        tracking_number: None,
        note: None,
        created_by: admin.employee_id(),
        created_at: now,
    };
    let mut c = Commit::new();
    c.insert(doc.to_record());
    store.commit(c).await.expect("doc");
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    // Commits of 500 entries, the size of a busy day's documents: sled holds on to memory
    // in proportion to the size of its batches (commits of 5,000 took its resident size to
    // 2.5 GB over 2,000,000 entries, against 0.4 GB with commits of 500).
    let batch = env_usize("CRM_BENCH_SEED_BATCH", 500);
    let mut sums: HashMap<(Uuid, Uuid), (Decimal, Decimal)> = HashMap::new();
    let mut c = Commit::new();
    for k in 0..n {
        // Mostly receipts, every third entry an issue, so positions stay positive.
        let issue = k % 3 == 2;
        let qty = Decimal::from(1 + (k % 7) as i64);
        let value = Decimal::new(1000 + (k % 5000) as i64, 2);
        let product_id = products[k % products.len()];
        let warehouse_id = warehouses[(k / products.len()) % warehouses.len()];
        let sum = sums.entry((product_id, warehouse_id)).or_default();
        if issue {
            sum.0 -= qty;
            sum.1 -= value;
        } else {
            sum.0 += qty;
            sum.1 += value;
        }
        c.insert(
            StockMove {
                id: Uuid::now_v7(),
                product_id,
                warehouse_id,
                move_type: if issue {
                    MoveType::Issue
                } else {
                    MoveType::Receipt
                },
                quantity: if issue { -qty } else { qty },
                unit_cost: Decimal::new(1234, 2),
                value: if issue { -value } else { value },
                balance_quantity: Decimal::ZERO,
                balance_value: Decimal::ZERO,
                doc_id: doc.id,
                doc_type: doc.doc_type,
                doc_line_id: None,
                move_date: start + chrono::Days::new((k % 365) as u64),
                at: now,
                created_by: admin.employee_id(),
            }
            .to_record(),
        );
        if c.len() == batch || k + 1 == n {
            store
                .commit(std::mem::take(&mut c))
                .await
                .expect("seed commit");
        }
    }
    let mut c = Commit::new();
    let mut total = Decimal::ZERO;
    for ((product_id, warehouse_id), (quantity, value)) in sums {
        total += value;
        c.insert(
            StockBalance {
                id: StockBalance::id_of(product_id, warehouse_id),
                product_id,
                warehouse_id,
                position: Position {
                    quantity,
                    value,
                    last_cost: Decimal::new(1234, 2),
                },
                updated_at: now,
            }
            .to_record(),
        );
    }
    store.commit(c).await.expect("balances");
    (NaiveDate::from_ymd_opt(2026, 9, 30).expect("date"), total)
}

fn run(_c: &mut Criterion, rt: &Runtime, engine: Engine, pg: Option<&Pg>) {
    let serial = env_usize("CRM_BENCH_STOCK_OUTS", 500);
    let contended = env_usize("CRM_BENCH_CONTENDED", 40);
    let ledger = env_usize("CRM_BENCH_LEDGER", 10_000_000);
    let (store, place) = rt.block_on(library_store(engine, pg));
    let d = Arc::new(rt.block_on(depot(store.clone())));

    let started = Instant::now();
    rt.block_on(async {
        for i in 0..serial {
            ship_one(&d, i).await.expect("stock-out");
        }
    });
    let rate = serial as f64 / started.elapsed().as_secs_f64();
    println!(
        "{}: {rate:.1} stock-outs/s (durable, one after the other, {serial})",
        engine.name()
    );

    let started = Instant::now();
    let gave_up = rt.block_on(async {
        let mut tasks = Vec::new();
        for t in 0..16 {
            let d = d.clone();
            tasks.push(tokio::spawn(async move {
                let mut gave_up = 0usize;
                for i in 0..contended {
                    match ship_one(&d, t + i).await {
                        Ok(()) => {}
                        Err(Error::Conflict(_)) => gave_up += 1,
                        Err(e) => panic!("stock-out: {e:?}"),
                    }
                }
                gave_up
            }));
        }
        let mut n = 0;
        for t in tasks {
            n += t.await.expect("task");
        }
        n
    });
    let total = 16 * contended;
    let rate = (total - gave_up) as f64 / started.elapsed().as_secs_f64();
    println!(
        "{}: {rate:.1} stock-outs/s under contention (16 tasks, {HOT} hot products, {total} tried, {gave_up} gave up after every retry)",
        engine.name()
    );

    let seeded = Instant::now();
    let (as_of, seeded_value) = rt.block_on(seed_ledger(&d.crm, d.admin, ledger));
    println!(
        "{}: seeded {ledger} ledger entries in {:.1} s",
        engine.name(),
        seeded.elapsed().as_secs_f64()
    );
    let mut times: Vec<Duration> = Vec::new();
    let mut rows = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let r = rt
            .block_on(d.crm.stock_value_as_of(d.admin, as_of))
            .expect("report");
        times.push(t.elapsed());
        rows = r.rows.len();
    }
    times.sort();
    println!(
        "{}: stock value as of a date over {ledger} ledger entries: median {:.2} s ({rows} product × warehouse rows; target: seconds, not minutes)",
        engine.name(),
        times[1].as_secs_f64()
    );

    // The same positions as of the last day, and as kept beside the ledger: both must show
    // what the seeded entries add up to (plus the depot's own stock), or the figures above
    // measured a report that answers something else.
    let year_end = rt
        .block_on(d.crm.stock_value_as_of(
            d.admin,
            NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
        ))
        .expect("report");
    let mut times: Vec<Duration> = Vec::new();
    let mut on_hand = None;
    for _ in 0..3 {
        let t = Instant::now();
        on_hand = Some(
            rt.block_on(d.crm.stock_on_hand(d.admin, None, None))
                .expect("on hand"),
        );
        times.push(t.elapsed());
    }
    let on_hand = on_hand.expect("three runs");
    assert_eq!(
        on_hand.total_value, year_end.total_value,
        "balances equal the ledger"
    );
    assert!(
        on_hand.total_value >= seeded_value,
        "the seeded value is on hand"
    );
    times.sort();
    println!(
        "{}: stock on hand and value (kept balances, {} rows, beside {ledger} ledger entries): median {:.1} ms",
        engine.name(),
        on_hand.rows.len(),
        times[1].as_secs_f64() * 1000.0
    );
    if let (Place::Pg { name, .. }, Some(pg)) = (&place, pg) {
        drop(d);
        drop(store);
        rt.block_on(pg.drop_db(name));
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let pg = if engine_wanted("postgres") {
        rt.block_on(Pg::find())
    } else {
        None
    };
    for engine in Engine::ALL {
        if !engine_wanted(engine.name()) || (engine == Engine::Postgres && pg.is_none()) {
            continue;
        }
        run(c, &rt, engine, pg.as_ref());
    }
}

criterion_group! {
    name = goods;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(goods);
