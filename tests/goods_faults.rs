//! Fault sweep over the goods path: the k-th commit of a workload of stock operations (a
//! stock-in of two lines, a stock-out of two orders from two warehouses, a transfer, a
//! requisition, a stocktake) fails, for every k, before or after reaching the engine. After
//! each failure every stock document is wholly present (its lines, its ledger entries, its
//! balances, the orders it moved) or wholly absent, and the balances still equal the ledger.
//! The host then carries on with the rest of the workload, and the books stay whole.
//!
//! (Retrying an operation whose acknowledgement was lost would apply it twice: stock
//! operations carry no idempotency key yet. The customer import, which does, is swept in
//! `faults.rs`.)
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crm::core::customer::CustomerInput;
use crm::core::inventory::{StockBalance, StockDoc, StockDocLine, StockMove};
use crm::core::org::Actor;
use crm::core::product::ProductInput;
use crm::core::sales::{LineDraft, OrderState, SalesOrder};
use crm::core::service::{
    OrderInput, RequisitionInput, StockInInput, StockInLine, StockOutInput, StockOutLine,
    TransferInput, WarehouseInput,
};
use crm::core::sources::ManualClock;
use crm::core::store::faults::{FaultMode, FaultyStore};
use crm::core::store::{Entity, MemoryStore, Query, Store};
use crm::Crm;
use rust_decimal::Decimal;
use support::engines;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

struct World {
    admin: Actor,
    warehouses: [Uuid; 2],
    products: [Uuid; 2],
    /// Two approved orders of one customer: (order, line) of product 0 and of product 1.
    orders: [(Uuid, Uuid); 2],
}

fn crm_over(store: Arc<dyn Store>) -> Crm {
    Crm::new(store).with_clock(Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap(),
    )))
}

async fn setup(crm: &Crm) -> World {
    let admin = crm
        .bootstrap("故障测试仓储有限公司", "admin", "管理员")
        .await
        .unwrap();
    let mut warehouses = [Uuid::nil(); 2];
    for (i, w) in warehouses.iter_mut().enumerate() {
        *w = crm
            .create_warehouse(
                admin,
                WarehouseInput::builder()
                    .code(format!("W{i}"))
                    .name(format!("仓{i}"))
                    .build(),
            )
            .await
            .unwrap()
            .id;
    }
    let mut products = [Uuid::nil(); 2];
    for (i, p) in products.iter_mut().enumerate() {
        *p = crm
            .create_product(
                admin,
                ProductInput::builder()
                    .code(format!("F-{i}"))
                    .name(format!("故障品{i}"))
                    .unit("个".into())
                    .sale_price(d("20"))
                    .price_includes_tax(false)
                    .tax_rate(d("0.13"))
                    .build(),
            )
            .await
            .unwrap()
            .value
            .id;
    }
    let customer = crm
        .create_customer(
            admin,
            CustomerInput::builder()
                .name("杭州故障测试客户有限公司".into())
                .build(),
            vec![],
        )
        .await
        .unwrap()
        .customer
        .value
        .id;
    let mut orders = [(Uuid::nil(), Uuid::nil()); 2];
    for (i, o) in orders.iter_mut().enumerate() {
        let doc = crm
            .create_order(
                admin,
                OrderInput::builder()
                    .customer_id(customer)
                    .lines(vec![LineDraft::builder()
                        .product_id(products[i])
                        .quantity(d("6"))
                        .build()])
                    .build(),
            )
            .await
            .unwrap();
        crm.submit_order(admin, doc.order.value.id, doc.order.version)
            .await
            .unwrap();
        *o = (doc.order.value.id, doc.lines[0].id);
    }
    World {
        admin,
        warehouses,
        products,
        orders,
    }
}

/// The workload, one operation after another; each error is reported and the host carries on.
async fn workload(crm: &Crm, w: &World) -> Vec<bool> {
    let [w0, w1] = w.warehouses;
    let [p0, p1] = w.products;
    let line = |p, wh, q: &str, c: &str| StockInLine {
        product_id: p,
        warehouse_id: wh,
        quantity: d(q),
        unit_cost: d(c),
    };
    let mut ok = Vec::new();
    ok.push(
        crm.stock_in(
            w.admin,
            StockInInput::builder()
                .lines(vec![line(p0, w0, "10", "3.33"), line(p1, w1, "10", "7.01")])
                .build(),
        )
        .await
        .is_ok(),
    );
    ok.push(
        crm.stock_out(
            w.admin,
            StockOutInput::builder()
                .lines(vec![
                    StockOutLine {
                        order_line_id: w.orders[0].1,
                        warehouse_id: w0,
                        quantity: d("6"),
                    },
                    StockOutLine {
                        order_line_id: w.orders[1].1,
                        warehouse_id: w1,
                        quantity: d("4"),
                    },
                ])
                .build(),
        )
        .await
        .is_ok(),
    );
    ok.push(
        crm.transfer_stock(
            w.admin,
            TransferInput::builder()
                .from_warehouse_id(w0)
                .to_warehouse_id(w1)
                .lines(vec![(p0, d("3"))])
                .build(),
        )
        .await
        .is_ok(),
    );
    ok.push(
        crm.requisition(
            w.admin,
            RequisitionInput::builder()
                .warehouse_id(w1)
                .project("维修".into())
                .lines(vec![(p1, d("1"))])
                .build(),
        )
        .await
        .is_ok(),
    );
    let counted = async {
        let st = crm.begin_stocktake(w.admin, w1).await?;
        crm.enter_counts(w.admin, st.stocktake.id, vec![(p1, d("4"))])
            .await?;
        crm.post_stocktake(w.admin, st.stocktake.id).await
    };
    ok.push(counted.await.is_ok());
    ok
}

async fn all<T: Entity>(store: &dyn Store) -> Vec<T> {
    store
        .query(&Query::all(T::KIND))
        .await
        .unwrap()
        .records
        .iter()
        .map(|r| T::from_record(r).unwrap())
        .collect()
}

/// Checks that the books are whole; returns the number of stock documents.
async fn whole(store: &dyn Store, w: &World) -> usize {
    let docs: Vec<StockDoc> = all(store).await;
    let lines: Vec<StockDocLine> = all(store).await;
    let moves: Vec<StockMove> = all(store).await;
    let balances: Vec<StockBalance> = all(store).await;
    // Every line and entry belongs to a document that exists, and every document has both.
    for l in &lines {
        assert!(
            docs.iter().any(|x| x.id == l.doc_id),
            "a line without its document"
        );
    }
    for m in &moves {
        assert!(
            docs.iter().any(|x| x.id == m.doc_id),
            "a ledger entry without its document"
        );
    }
    for doc in &docs {
        assert!(
            moves.iter().any(|m| m.doc_id == doc.id),
            "{} has no ledger entries",
            doc.number
        );
        let n_lines = lines.iter().filter(|l| l.doc_id == doc.id).count();
        assert!(
            n_lines > 0 || doc.doc_type == crm::core::inventory::StockDocType::Stocktake,
            "{} has no lines",
            doc.number
        );
    }
    // Balances equal the ledger.
    let mut sums: HashMap<(Uuid, Uuid), (Decimal, Decimal)> = HashMap::new();
    for m in &moves {
        let e = sums.entry((m.product_id, m.warehouse_id)).or_default();
        e.0 += m.quantity;
        e.1 += m.value;
    }
    for b in &balances {
        let s = sums
            .remove(&(b.product_id, b.warehouse_id))
            .unwrap_or_default();
        assert_eq!(
            (b.position.quantity, b.position.value),
            s,
            "balance differs from its ledger"
        );
    }
    assert!(sums.is_empty(), "ledger entries without a balance");
    // The orders moved with the stock-out or not at all.
    let orders: Vec<SalesOrder> = all(store).await;
    let shipped_out = lines.iter().any(|l| l.order_id.is_some());
    for (id, _) in w.orders {
        let o = orders.iter().find(|o| o.id == id).unwrap();
        let expect = if shipped_out {
            if id == w.orders[0].0 {
                OrderState::Shipped
            } else {
                OrderState::PartlyShipped
            }
        } else {
            OrderState::Approved
        };
        assert_eq!(
            o.state, expect,
            "order {} moved apart from its stock-out",
            o.number
        );
    }
    docs.len()
}

async fn sweep<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    let inner = make().await;
    let w = setup(&crm_over(inner.clone())).await;
    let faulty = Arc::new(FaultyStore::new(inner.clone(), u64::MAX, FaultMode::Before));
    let ok = workload(&crm_over(faulty.clone()), &w).await;
    assert!(ok.iter().all(|x| *x), "the clean run: {ok:?}");
    let commits = faulty.commits();
    assert_eq!(whole(inner.as_ref(), &w).await, 5);
    for k in 1..=commits {
        for mode in [FaultMode::Before, FaultMode::After] {
            let inner = make().await;
            let w = setup(&crm_over(inner.clone())).await;
            let faulty = Arc::new(FaultyStore::new(inner.clone(), k, mode));
            let ok = workload(&crm_over(faulty.clone()), &w).await;
            assert!(
                ok.iter().any(|x| !*x),
                "commit {k} ({mode:?}) failed but nothing noticed"
            );
            whole(inner.as_ref(), &w).await;
        }
    }
}

#[tokio::test]
async fn stock_documents_are_whole_after_any_failed_commit_on_the_memory_store() {
    sweep(|| async { Arc::new(MemoryStore::new()) as Arc<dyn Store> }).await;
}

#[tokio::test]
async fn stock_documents_are_whole_after_any_failed_commit_on_sled() {
    let dirs = std::sync::Mutex::new(Vec::new());
    sweep(|| {
        let (store, dir) = engines::sled();
        dirs.lock().unwrap().push(dir);
        async move { store }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_documents_are_whole_after_any_failed_commit_on_sqlite() {
    let dirs = std::sync::Mutex::new(Vec::new());
    sweep(|| async {
        let (store, dir) = engines::sqlite().await;
        dirs.lock().unwrap().push(dir);
        store
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_documents_are_whole_after_any_failed_commit_on_postgres() {
    if engines::postgres().await.is_none() {
        return;
    }
    sweep(|| async { engines::postgres().await.expect("server checked above") }).await;
}
