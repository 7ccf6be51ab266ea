//! The production gate (生产完工) on every engine, with identical results: production marks
//! units of an approved order ready, a shipping notice waits until they cover it, a second
//! notice waits for more, and a mistaken mark is taken back — the marks stored and summed alike
//! on memory, sled, SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crm::core::customer::CustomerInput;
use crm::core::inventory::{NoticeState, ShipGate, PRODUCTION_READY};
use crm::core::product::ProductInput;
use crm::core::sales::LineDraft;
use crm::core::service::{NoticeInput, OrderInput, ReadyInput, ShippingPolicy};
use crm::core::sources::{ManualClock, SequentialIds};
use crm::core::store::{MemoryStore, Query, Store};
use crm::Crm;
use rust_decimal::Decimal;
use support::engines;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// What the scenario observed; every engine must observe the same.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    /// The first notice when written, its hold reason, and after production caught up.
    first: (NoticeState, String, NoticeState),
    /// The second notice when written.
    second: NoticeState,
    /// (ordered, ready, shipped) of the line after a mistaken unit was taken back.
    readiness: (Decimal, Decimal, Decimal),
    /// The marks stored.
    marks: u64,
}

async fn run(store: Arc<dyn Store>) -> Summary {
    let crm = Crm::new(store)
        .with_clock(Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
        )))
        .with_ids(Arc::new(SequentialIds::new()))
        .with_shipping_policy(ShippingPolicy {
            gate: ShipGate::ProductionReady,
            stock_out_from_notice: true,
        });
    let admin = crm
        .bootstrap("定制机械有限公司", "admin", "管理员")
        .await
        .unwrap();
    let press = crm
        .create_product(
            admin,
            ProductInput::builder()
                .code("M-1".into())
                .name("液压机".into())
                .unit("台".into())
                .sale_price(d("20000"))
                .price_includes_tax(false)
                .tax_rate(d("0.13"))
                .build(),
        )
        .await
        .unwrap()
        .value;
    let customer = crm
        .create_customer(
            admin,
            CustomerInput::builder()
                .name("苏州精工制造有限公司".into())
                .build(),
            vec![],
        )
        .await
        .unwrap()
        .customer
        .value
        .id;
    let o = crm
        .create_order(
            admin,
            OrderInput::builder()
                .customer_id(customer)
                .lines(vec![LineDraft::builder()
                    .product_id(press.id)
                    .quantity(d("5"))
                    .build()])
                .build(),
        )
        .await
        .unwrap();
    let order = o.order.value.id;
    let line = o.lines[0].id;
    crm.submit_order(admin, order, o.order.version)
        .await
        .unwrap();
    let mark = |q: &str| {
        crm.mark_production_ready(
            admin,
            ReadyInput::builder()
                .order_id(order)
                .lines(vec![(line, d(q))])
                .build(),
        )
    };
    let notice = |q: &str| {
        crm.create_shipping_notice(
            admin,
            NoticeInput::builder().lines(vec![(line, d(q))]).build(),
        )
    };
    mark("2").await.unwrap();
    let first = notice("3").await.unwrap();
    let id: Uuid = first.notice.value.id;
    mark("1").await.unwrap();
    let released = crm.release_shipping_notice(admin, id).await.unwrap();
    let second = notice("2").await.unwrap();
    mark("1").await.unwrap();
    let r = mark("-1").await.unwrap();
    let marks = crm
        .store()
        .query(&Query::all(&PRODUCTION_READY).with_total())
        .await
        .unwrap()
        .total
        .unwrap();
    Summary {
        first: (
            first.notice.value.state,
            first.notice.value.hold_reason.unwrap_or_default(),
            released.notice.value.state,
        ),
        second: second.notice.value.state,
        readiness: (r.lines[0].ordered, r.lines[0].ready, r.lines[0].shipped),
        marks,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_gate_gives_identical_results_on_every_engine() {
    let memory = run(Arc::new(MemoryStore::new())).await;
    assert_eq!(memory.first.0, NoticeState::Held);
    assert!(memory.first.1.contains("液压机"), "{}", memory.first.1);
    assert_eq!(memory.first.2, NoticeState::Released);
    assert_eq!(memory.second, NoticeState::Held);
    assert_eq!(memory.readiness, (d("5"), d("3"), d("0")));
    assert_eq!(memory.marks, 4);
    let (sled, _d1) = engines::sled();
    assert_eq!(run(sled).await, memory, "sled");
    let (sqlite, _d2) = engines::sqlite().await;
    assert_eq!(run(sqlite).await, memory, "SQLite");
    if let Some(pg) = engines::postgres().await {
        assert_eq!(run(pg).await, memory, "PostgreSQL");
    }
}
