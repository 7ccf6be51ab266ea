//! The stock rules on every engine: model-based property tests over random sequences of
//! stock-ins, stock-outs, transfers, requisitions and stocktakes, checked after every step
//! against a plain model, and sixteen tasks racing to ship the last ten units.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crm::core::customer::CustomerInput;
use crm::core::inventory::MoveType;
use crm::core::product::ProductInput;
use crm::core::sales::LineDraft;
use crm::core::service::{
    OrderInput, RequisitionInput, StockInInput, StockInLine, StockOutInput, StockOutLine,
    TransferInput, WarehouseInput,
};
use crm::core::sources::ManualClock;
use crm::core::store::{MemoryStore, Store};
use crm::core::{org::Actor, Crm, Error};
use proptest::prelude::*;
use rust_decimal::Decimal;
use support::engines;
use uuid::Uuid;

const PRODUCTS: usize = 2;
const WAREHOUSES: usize = 3;
/// Warehouse 2 allows negative stock; 0 and 1 do not.
const NEGATIVE_OK: usize = 2;

/// One step of a random sequence (indexes into the world's products and warehouses).
#[derive(Debug, Clone)]
enum Step {
    In {
        p: usize,
        w: usize,
        qty: u32,
        cents: u32,
    },
    Out {
        p: usize,
        w: usize,
        qty: u32,
    },
    Transfer {
        p: usize,
        from: usize,
        to: usize,
        qty: u32,
    },
    Requisition {
        p: usize,
        w: usize,
        qty: u32,
    },
    Count {
        p: usize,
        w: usize,
        counted: u32,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let p = 0..PRODUCTS;
    let w = 0..WAREHOUSES;
    prop_oneof![
        3 => (p.clone(), w.clone(), 1..40u32, 0..5000u32).prop_map(|(p, w, qty, cents)| Step::In { p, w, qty, cents }),
        2 => (p.clone(), w.clone(), 1..30u32).prop_map(|(p, w, qty)| Step::Out { p, w, qty }),
        2 => (p.clone(), w.clone(), w.clone(), 1..30u32)
            .prop_filter("another warehouse", |(_, a, b, _)| a != b)
            .prop_map(|(p, from, to, qty)| Step::Transfer { p, from, to, qty }),
        1 => (p.clone(), w.clone(), 1..20u32).prop_map(|(p, w, qty)| Step::Requisition { p, w, qty }),
        1 => (p, w, 0..40u32).prop_map(|(p, w, counted)| Step::Count { p, w, counted }),
    ]
}

/// A company with warehouses, products, a customer and one large approved order per product
/// that stock-outs ship against.
struct World {
    crm: Crm,
    admin: Actor,
    products: Vec<Uuid>,
    warehouses: Vec<Uuid>,
    /// The order line of each product.
    order_lines: Vec<Uuid>,
}

async fn world(store: Arc<dyn Store>, order_qty: &str) -> World {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 5, 6, 9, 0, 0).unwrap(),
    ));
    let crm = Crm::new(store).with_clock(clock);
    let admin = crm
        .bootstrap("库存测试有限公司", "admin", "管理员")
        .await
        .unwrap();
    let mut warehouses = Vec::new();
    for i in 0..WAREHOUSES {
        let w = crm
            .create_warehouse(
                admin,
                WarehouseInput::builder()
                    .code(format!("WH{i}"))
                    .name(format!("{i}号仓"))
                    .allow_negative(i == NEGATIVE_OK)
                    .build(),
            )
            .await
            .unwrap();
        warehouses.push(w.id);
    }
    let mut products = Vec::new();
    for i in 0..PRODUCTS {
        let p = crm
            .create_product(
                admin,
                ProductInput::builder()
                    .code(format!("P{i}"))
                    .name(format!("商品{i}"))
                    .unit("件".into())
                    .sale_price("10".parse().unwrap())
                    .price_includes_tax(false)
                    .tax_rate("0.13".parse().unwrap())
                    .build(),
            )
            .await
            .unwrap();
        products.push(p.value.id);
    }
    let customer = crm
        .create_customer(
            admin,
            CustomerInput::builder()
                .name("上海库存测试客户有限公司".into())
                .build(),
            vec![],
        )
        .await
        .unwrap()
        .customer
        .value
        .id;
    let mut order_lines = Vec::new();
    for &p in &products {
        let o = crm
            .create_order(
                admin,
                OrderInput::builder()
                    .customer_id(customer)
                    .lines(vec![LineDraft::builder()
                        .product_id(p)
                        .quantity(order_qty.parse().unwrap())
                        .build()])
                    .build(),
            )
            .await
            .unwrap();
        crm.submit_order(admin, o.order.value.id, o.order.version)
            .await
            .unwrap();
        order_lines.push(o.lines[0].id);
    }
    World {
        crm,
        admin,
        products,
        warehouses,
        order_lines,
    }
}

fn dec(n: u32) -> Decimal {
    Decimal::from(n)
}

/// Applies one step (a refusal must be the typed shortage, and only where the model says stock
/// is short) and returns the value of the adjustments a transfer booked.
async fn apply(
    w: &World,
    model: &mut HashMap<(usize, usize), Decimal>,
    s: &Step,
) -> Result<Decimal, String> {
    let crm = &w.crm;
    let mut adjusted = Decimal::ZERO;
    let short = |model: &HashMap<(usize, usize), Decimal>, p: usize, wh: usize, qty: u32| {
        wh != NEGATIVE_OK && model.get(&(p, wh)).copied().unwrap_or_default() < dec(qty)
    };
    let check = |r: Result<(), Error>, expect_short: bool| -> Result<bool, String> {
        match (r, expect_short) {
            (Ok(()), false) => Ok(true),
            (Err(Error::InsufficientStock { .. }), true) => Ok(false),
            (r, _) => Err(format!(
                "{s:?}: expected shortage={expect_short}, got {r:?}"
            )),
        }
    };
    match *s {
        Step::In {
            p,
            w: wh,
            qty,
            cents,
        } => {
            let r = crm
                .stock_in(
                    w.admin,
                    StockInInput::builder()
                        .lines(vec![StockInLine {
                            product_id: w.products[p],
                            warehouse_id: w.warehouses[wh],
                            quantity: dec(qty),
                            unit_cost: Decimal::new(i64::from(cents), 2),
                        }])
                        .build(),
                )
                .await
                .map(|_| ());
            if check(r, false)? {
                *model.entry((p, wh)).or_default() += dec(qty);
            }
        }
        Step::Out { p, w: wh, qty } => {
            let expect = short(model, p, wh, qty);
            let r = crm
                .stock_out(
                    w.admin,
                    StockOutInput::builder()
                        .lines(vec![StockOutLine {
                            order_line_id: w.order_lines[p],
                            warehouse_id: w.warehouses[wh],
                            quantity: dec(qty),
                        }])
                        .build(),
                )
                .await
                .map(|_| ());
            if check(r, expect)? {
                *model.entry((p, wh)).or_default() -= dec(qty);
            }
        }
        Step::Transfer { p, from, to, qty } => {
            let expect = short(model, p, from, qty);
            let r = crm
                .transfer_stock(
                    w.admin,
                    TransferInput::builder()
                        .from_warehouse_id(w.warehouses[from])
                        .to_warehouse_id(w.warehouses[to])
                        .lines(vec![(w.products[p], dec(qty))])
                        .build(),
                )
                .await
                .map(|doc| {
                    // A transfer into a warehouse that was short settles that shortfall's
                    // cost: an adjustment, the only value a transfer may add or take away.
                    adjusted = doc
                        .moves
                        .iter()
                        .filter(|m| m.move_type == MoveType::Adjustment)
                        .map(|m| m.value)
                        .sum();
                });
            if check(r, expect)? {
                *model.entry((p, from)).or_default() -= dec(qty);
                *model.entry((p, to)).or_default() += dec(qty);
            }
        }
        Step::Requisition { p, w: wh, qty } => {
            let expect = short(model, p, wh, qty);
            let r = crm
                .requisition(
                    w.admin,
                    RequisitionInput::builder()
                        .warehouse_id(w.warehouses[wh])
                        .project("测试".into())
                        .lines(vec![(w.products[p], dec(qty))])
                        .build(),
                )
                .await
                .map(|_| ());
            if check(r, expect)? {
                *model.entry((p, wh)).or_default() -= dec(qty);
            }
        }
        Step::Count { p, w: wh, counted } => {
            let st = crm
                .begin_stocktake(w.admin, w.warehouses[wh])
                .await
                .map_err(|e| e.to_string())?;
            crm.enter_counts(
                w.admin,
                st.stocktake.id,
                vec![(w.products[p], dec(counted))],
            )
            .await
            .map_err(|e| e.to_string())?;
            let book = model.get(&(p, wh)).copied().unwrap_or_default();
            match crm.post_stocktake(w.admin, st.stocktake.id).await {
                Ok(_) => {
                    model.insert((p, wh), dec(counted));
                }
                // Nothing differs: nothing to post is still a posted stocktake.
                Err(e) => return Err(format!("{s:?} (book {book}): {e:?}")),
            }
        }
    }
    Ok(adjusted)
}

/// The invariants after every step: balances equal the model and the ledger, in quantity and
/// value; nothing negative where refused; no value without units.
async fn check(w: &World, model: &HashMap<(usize, usize), Decimal>) -> Result<(), String> {
    let report = w
        .crm
        .stock_on_hand(w.admin, None, None)
        .await
        .map_err(|e| e.to_string())?;
    let mut ledger_value = Decimal::ZERO;
    for (pi, &p) in w.products.iter().enumerate() {
        for (wi, &wh) in w.warehouses.iter().enumerate() {
            let row = report
                .rows
                .iter()
                .find(|r| r.product_id == p && r.warehouse_id == wh);
            let (q, v) = row.map_or((Decimal::ZERO, Decimal::ZERO), |r| (r.quantity, r.value));
            let want = model.get(&(pi, wi)).copied().unwrap_or_default();
            if q != want {
                return Err(format!("P{pi}@WH{wi}: on hand {q}, model {want}"));
            }
            let moves = w
                .crm
                .stock_ledger(w.admin, p, Some(wh))
                .await
                .map_err(|e| e.to_string())?;
            let lq: Decimal = moves.iter().map(|m| m.quantity).sum();
            let lv: Decimal = moves.iter().map(|m| m.value).sum();
            ledger_value += lv;
            if (lq, lv) != (q, v) {
                return Err(format!(
                    "P{pi}@WH{wi}: balance ({q}, {v}) but ledger ({lq}, {lv})"
                ));
            }
            if wi != NEGATIVE_OK && (q < Decimal::ZERO || v < Decimal::ZERO) {
                return Err(format!("P{pi}@WH{wi}: negative ({q}, {v}) where refused"));
            }
            if q.is_zero() && !v.is_zero() {
                return Err(format!("P{pi}@WH{wi}: value {v} without units"));
            }
            if let Some(last) = moves.last() {
                if (last.balance_quantity, last.balance_value) != (q, v) {
                    return Err(format!(
                        "P{pi}@WH{wi}: last entry leaves ({}, {})",
                        last.balance_quantity, last.balance_value
                    ));
                }
            }
        }
    }
    if report.total_value != ledger_value {
        return Err(format!(
            "inventory value {} but ledger {}",
            report.total_value, ledger_value
        ));
    }
    Ok(())
}

/// Totals of one product across warehouses.
fn totals(report: &crm::core::service::StockReport, p: Uuid) -> (Decimal, Decimal) {
    report
        .per_product
        .iter()
        .find(|r| r.0 == p)
        .map_or((Decimal::ZERO, Decimal::ZERO), |r| (r.1, r.2))
}

async fn run_steps(store: Arc<dyn Store>, steps: &[Step]) -> Result<(), String> {
    let w = world(store, "100000").await;
    let mut model = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        let before = match s {
            Step::Transfer { p, .. } => Some(totals(
                &w.crm.stock_on_hand(w.admin, None, None).await.unwrap(),
                w.products[*p],
            )),
            _ => None,
        };
        let adjusted = apply(&w, &mut model, s)
            .await
            .map_err(|e| format!("step {i}: {e}"))?;
        check(&w, &model)
            .await
            .map_err(|e| format!("after step {i} {s:?}: {e}"))?;
        if let (Some(before), Step::Transfer { p, .. }) = (before, s) {
            let after = totals(
                &w.crm.stock_on_hand(w.admin, None, None).await.unwrap(),
                w.products[*p],
            );
            let after = (after.0, after.1 - adjusted);
            if !adjusted.is_zero() && !model.contains_key(&(*p, NEGATIVE_OK)) {
                return Err(format!(
                    "step {i}: a transfer booked {adjusted} with no shortfall anywhere"
                ));
            }
            if before != after {
                return Err(format!(
                    "step {i}: transfer changed the totals {before:?} → {after:?}"
                ));
            }
        }
    }
    Ok(())
}

fn cases(default: u32) -> u32 {
    std::env::var("CRM_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the model test on the engine `make` opens, one fresh store per case.
fn model_test<F, Fut>(name: &str, default_cases: u32, make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<(Arc<dyn Store>, Option<tempfile::TempDir>)>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: cases(default_cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&proptest::collection::vec(step(), 1..25), |steps| {
        let outcome = rt.block_on(async {
            let Some((store, _dir)) = make().await else {
                return Ok(());
            };
            run_steps(store, &steps).await
        });
        outcome.map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn stock_model_holds_on_memory() {
    model_test("memory", 48, || async {
        Some((Arc::new(MemoryStore::new()) as Arc<dyn Store>, None))
    });
}

#[test]
fn stock_model_holds_on_sled() {
    model_test("sled", 12, || async {
        let (s, d) = engines::sled();
        Some((s, Some(d)))
    });
}

#[test]
fn stock_model_holds_on_sqlite() {
    model_test("SQLite", 8, || async {
        let (s, d) = engines::sqlite().await;
        Some((s, Some(d)))
    });
}

#[test]
fn stock_model_holds_on_postgres() {
    model_test("PostgreSQL", 6, || async {
        engines::postgres().await.map(|s| (s, None))
    });
}

/// Sixteen tasks each ship one unit of a product of which ten are in stock.
async fn race(store: Arc<dyn Store>) {
    let w = Arc::new(world(store, "16").await);
    w.crm
        .stock_in(
            w.admin,
            StockInInput::builder()
                .lines(vec![StockInLine {
                    product_id: w.products[0],
                    warehouse_id: w.warehouses[0],
                    quantity: dec(10),
                    unit_cost: "12.34".parse().unwrap(),
                }])
                .build(),
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move {
            w.crm
                .stock_out(
                    w.admin,
                    StockOutInput::builder()
                        .lines(vec![StockOutLine {
                            order_line_id: w.order_lines[0],
                            warehouse_id: w.warehouses[0],
                            quantity: Decimal::ONE,
                        }])
                        .build(),
                )
                .await
        }));
    }
    let mut shipped = 0;
    let mut short = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => shipped += 1,
            Err(Error::InsufficientStock { .. }) => short += 1,
            Err(e) => panic!("a stock-out failed otherwise: {e:?}"),
        }
    }
    assert_eq!((shipped, short), (10, 6));
    let report = w.crm.stock_on_hand(w.admin, None, None).await.unwrap();
    assert_eq!(
        (report.rows[0].quantity, report.rows[0].value),
        (Decimal::ZERO, Decimal::ZERO)
    );
    let moves = w
        .crm
        .stock_ledger(w.admin, w.products[0], None)
        .await
        .unwrap();
    let issued: Decimal = moves
        .iter()
        .filter(|m| m.quantity < Decimal::ZERO)
        .map(|m| -m.quantity)
        .sum();
    assert_eq!(issued, dec(10));
    assert_eq!(
        moves.iter().map(|m| m.value).sum::<Decimal>(),
        Decimal::ZERO
    );
    let shipping = w.crm.order_shipping(w.admin, {
        let line = w.order_lines[0];
        w.crm
            .unshipped_goods(w.admin)
            .await
            .unwrap()
            .iter()
            .find(|r| r.order_line_id == line)
            .map(|r| r.order_id)
            .expect("the order still has six to ship")
    });
    assert_eq!(shipping.await.unwrap().lines[0].shipped, dec(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_racing_stock_outs_ship_exactly_the_ten_units_in_stock_on_every_engine() {
    race(Arc::new(MemoryStore::new())).await;
    let (sled, _d1) = engines::sled();
    race(sled).await;
    let (sqlite, _d2) = engines::sqlite().await;
    race(sqlite).await;
    if let Some(pg) = engines::postgres().await {
        race(pg).await;
    }
}
