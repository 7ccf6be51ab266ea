//! The procure-to-ship scenario on every engine, with identical results: a request for
//! quotation to two suppliers, a purchase order from the cheaper answer, two partial
//! stock-ins, a shipping notice held back until payment, a stock-out covering two orders, a
//! transfer, a stocktake with a shortage and a safety-stock alert.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use crm::core::customer::CustomerInput;
use crm::core::inventory::{NoticeState, ShipGate};
use crm::core::org::{Actor, Op, Permission, Resource};
use crm::core::product::ProductInput;
use crm::core::purchase::{PurchaseEvent, PurchaseState};
use crm::core::sales::{LineDraft, OrderState};
use crm::core::service::{
    NewEmployee, NoticeInput, OrderInput, PurchaseReceiptInput, ReceiptInput, RfqAnswerInput,
    RfqInput, ShippingPolicy, StockOutInput, StockOutLine, SupplierInput, SupplierPaymentInput,
    TransferInput, WarehouseInput,
};
use crm::core::sources::{ManualClock, SequentialIds};
use crm::core::store::{MemoryStore, Store};
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
    /// The cheaper supplier's code and the purchase order's number, net and gross.
    purchase: (String, String, Decimal, Decimal),
    /// The purchase order's state after each stock-in.
    receiving: Vec<PurchaseState>,
    /// Value taken into stock by the two stock-ins (equal to the order's net).
    received_value: Decimal,
    /// The notice's state when written, its hold reason, and its state after payment.
    notice: (NoticeState, String, NoticeState),
    /// The stock-out's number, lines and value at cost.
    stock_out: (String, usize, Decimal),
    /// The orders' states after the stock-out.
    order_states: Vec<OrderState>,
    /// (product code, warehouse code, quantity, value) on hand at the end.
    on_hand: Vec<(String, String, Decimal, Decimal)>,
    /// The stocktake's posted difference (quantity, value).
    shortage: (Decimal, Decimal),
    /// Products below safety stock: (code, on hand, safety stock).
    alerts: Vec<(String, Decimal, Decimal)>,
    /// Payables: (supplier code, due, paid, payable).
    payables: Vec<(String, Decimal, Decimal, Decimal)>,
    /// Goods issued in May: (product id position, quantity, value).
    issued: Vec<(String, Decimal, Decimal)>,
}

async fn run(store: Arc<dyn Store>) -> Summary {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap(),
    ));
    let crm = Crm::new(store)
        .with_clock(clock)
        .with_ids(Arc::new(SequentialIds::new()))
        .with_shipping_policy(ShippingPolicy {
            gate: ShipGate::FullyPaid,
            stock_out_from_notice: true,
        });
    let admin = crm
        .bootstrap("场景贸易有限公司", "admin", "管理员")
        .await
        .unwrap();
    let root = crm
        .org()
        .await
        .unwrap()
        .employee(admin.employee_id())
        .unwrap()
        .department_id;
    let role = |name: &str, perms: Vec<(Resource, Op)>| {
        let crm = &crm;
        let name = name.to_owned();
        async move {
            crm.create_role(
                admin,
                &name,
                perms.into_iter().map(|(r, o)| Permission::new(r, o)),
                false,
            )
            .await
            .unwrap()
            .id
        }
    };
    let all = |r: Resource| [Op::View, Op::Create, Op::Edit].map(|o| (r, o)).to_vec();
    let buying = role(
        "采购",
        [
            all(Resource::Supplier),
            all(Resource::Purchase),
            all(Resource::Payable),
            all(Resource::Stock),
        ]
        .concat(),
    )
    .await;
    let approving = role(
        "采购审批",
        vec![
            (Resource::Purchase, Op::View),
            (Resource::Purchase, Op::Approve),
        ],
    )
    .await;
    let warehouse = role(
        "库管",
        [
            all(Resource::Stock),
            all(Resource::Warehouse),
            vec![
                (Resource::StockOut, Op::View),
                (Resource::StockOut, Op::Create),
            ],
        ]
        .concat(),
    )
    .await;
    let hire = |code: &str, roles: Vec<Uuid>| {
        let crm = &crm;
        let code = code.to_owned();
        async move {
            Actor::new(
                crm.create_employee(
                    admin,
                    NewEmployee::builder()
                        .code(code.clone())
                        .name(code)
                        .department_id(root)
                        .manager_id(None)
                        .role_ids(roles.into_iter().collect::<BTreeSet<_>>())
                        .build(),
                )
                .await
                .unwrap()
                .id,
            )
        }
    };
    let buyer = hire("buyer", vec![buying]).await;
    let boss = hire("boss", vec![approving]).await;
    let clerk = hire("clerk", vec![warehouse]).await;

    // Warehouses and products (the valve has a safety stock of 40).
    let wh = |code: &str| {
        WarehouseInput::builder()
            .code(code.into())
            .name(format!("{code}仓"))
            .build()
    };
    let sh = crm.create_warehouse(clerk, wh("SH")).await.unwrap();
    let sz = crm.create_warehouse(clerk, wh("SZ")).await.unwrap();
    let product = |code: &str, name: &str, safety: Option<&str>| {
        let mut p = ProductInput::builder()
            .code(code.into())
            .name(name.into())
            .unit("个".into())
            .sale_price(d("150"))
            .price_includes_tax(false)
            .tax_rate(d("0.13"))
            .build();
        p.safety_stock = safety.map(d);
        p
    };
    let valve = crm
        .create_product(admin, product("V-100", "球阀", Some("40")))
        .await
        .unwrap()
        .value;
    let pump = crm
        .create_product(admin, product("P-200", "水泵", None))
        .await
        .unwrap()
        .value;

    // A request for quotation to two suppliers; the order goes to the cheaper one.
    let sup = |code: &str, name: &str| {
        SupplierInput::builder()
            .code(code.into())
            .name(name.into())
            .build()
    };
    let a = crm
        .create_supplier(buyer, sup("S-A", "宁波甬江阀门有限公司"))
        .await
        .unwrap()
        .supplier;
    let b = crm
        .create_supplier(buyer, sup("S-B", "温州瓯海泵阀有限公司"))
        .await
        .unwrap()
        .supplier;
    let rfq = crm
        .create_rfq(
            buyer,
            RfqInput::builder()
                .lines(vec![(valve.id, d("60")), (pump.id, d("7"))])
                .supplier_ids(vec![a.id, b.id])
                .build(),
        )
        .await
        .unwrap();
    let answer = |line: Uuid, price: &str| RfqAnswerInput {
        rfq_line_id: line,
        unit_price: d(price),
        price_includes_tax: false,
        tax_rate: None,
        lead_days: Some(5),
    };
    let (lv, lp) = (rfq.lines[0].id, rfq.lines[1].id);
    crm.record_rfq_answer(
        buyer,
        rfq.rfq.id,
        a.id,
        vec![answer(lv, "41.50"), answer(lp, "880")],
    )
    .await
    .unwrap();
    let compared = crm
        .record_rfq_answer(
            buyer,
            rfq.rfq.id,
            b.id,
            vec![answer(lv, "39.90"), answer(lp, "905")],
        )
        .await
        .unwrap();
    let cheaper = compared.cheapest_supplier.unwrap();
    let po = crm
        .purchase_order_from_rfq(buyer, rfq.rfq.id, cheaper, None)
        .await
        .unwrap();
    let po_id = po.order.value.id;
    crm.purchase_event(buyer, po_id, PurchaseEvent::Submit)
        .await
        .unwrap();
    crm.purchase_event(boss, po_id, PurchaseEvent::Approve)
        .await
        .unwrap();
    let supplier_code = if cheaper == a.id {
        a.code.clone()
    } else {
        b.code.clone()
    };
    let purchase = (
        supplier_code,
        po.order.value.number.clone(),
        po.order.value.net,
        po.order.value.gross,
    );

    // Two partial stock-ins into Shanghai.
    let (pv, pp) = (po.lines[0].id, po.lines[1].id);
    let mut receiving = Vec::new();
    let mut received_value = Decimal::ZERO;
    for lines in [
        vec![(pv, sh.id, d("25")), (pp, sh.id, d("3"))],
        vec![(pv, sh.id, d("35")), (pp, sh.id, d("4"))],
    ] {
        let doc = crm
            .receive_purchase(
                clerk,
                PurchaseReceiptInput::builder()
                    .order_id(po_id)
                    .lines(lines)
                    .build(),
            )
            .await
            .unwrap();
        received_value += doc.lines.iter().map(|l| l.value).sum::<Decimal>();
        receiving.push(
            crm.purchase_order(buyer, po_id)
                .await
                .unwrap()
                .order
                .value
                .state,
        );
    }
    let account = crm
        .create_cash_account(admin, "工行基本户", true, "CNY", None)
        .await
        .unwrap();
    crm.pay_supplier(
        buyer,
        SupplierPaymentInput::builder()
            .supplier_id(cheaper)
            .order_id(po_id)
            .account_id(account.id)
            .method("转账".into())
            .amount(d("1000.00"))
            .build(),
    )
    .await
    .unwrap();

    // Two orders of one customer; the notice is held until both are paid.
    let customer = crm
        .create_customer(
            admin,
            CustomerInput::builder()
                .name("上海申通水务工程有限公司".into())
                .build(),
            vec![],
        )
        .await
        .unwrap()
        .customer
        .value
        .id;
    let order = |lines: Vec<(Uuid, &str)>| {
        let crm = &crm;
        let lines: Vec<LineDraft> = lines
            .into_iter()
            .map(|(p, q)| LineDraft::builder().product_id(p).quantity(d(q)).build())
            .collect();
        async move {
            let o = crm
                .create_order(
                    admin,
                    OrderInput::builder()
                        .customer_id(customer)
                        .lines(lines)
                        .build(),
                )
                .await
                .unwrap();
            crm.submit_order(admin, o.order.value.id, o.order.version)
                .await
                .unwrap();
            o
        }
    };
    let o1 = order(vec![(valve.id, "20"), (pump.id, "2")]).await;
    let o2 = order(vec![(valve.id, "8")]).await;
    let written = crm
        .create_shipping_notice(
            admin,
            NoticeInput::builder()
                .lines(vec![
                    (o1.lines[0].id, d("20")),
                    (o1.lines[1].id, d("2")),
                    (o2.lines[0].id, d("8")),
                ])
                .build(),
        )
        .await
        .unwrap();
    let notice_id = written.notice.value.id;
    crm.record_receipt(
        admin,
        ReceiptInput::builder()
            .customer_id(customer)
            .account_id(account.id)
            .method("银行转账".into())
            .amount(o1.order.value.gross + o2.order.value.gross)
            .allocations(vec![
                (o1.order.value.id, o1.order.value.gross),
                (o2.order.value.id, o2.order.value.gross),
            ])
            .build(),
    )
    .await
    .unwrap();
    let released = crm.release_shipping_notice(admin, notice_id).await.unwrap();
    let notice = (
        written.notice.value.state,
        written.notice.value.hold_reason.clone().unwrap_or_default(),
        released.notice.value.state,
    );

    // Half the valves move to Suzhou first; the stock-out ships both orders from both.
    crm.transfer_stock(
        clerk,
        TransferInput::builder()
            .from_warehouse_id(sh.id)
            .to_warehouse_id(sz.id)
            .lines(vec![(valve.id, d("30"))])
            .build(),
    )
    .await
    .unwrap();
    let line = |ol: Uuid, w: Uuid, q: &str| StockOutLine {
        order_line_id: ol,
        warehouse_id: w,
        quantity: d(q),
    };
    let out = crm
        .stock_out(
            clerk,
            StockOutInput::builder()
                .notice_id(notice_id)
                .lines(vec![
                    line(o1.lines[0].id, sh.id, "20"),
                    line(o1.lines[1].id, sh.id, "2"),
                    line(o2.lines[0].id, sz.id, "8"),
                ])
                .carrier("顺丰".into())
                .tracking_number("SF1234567890".into())
                .build(),
        )
        .await
        .unwrap();
    let stock_out = (
        out.doc.number.clone(),
        out.lines.len(),
        out.lines.iter().map(|l| l.value).sum(),
    );
    let mut order_states = Vec::new();
    for o in [&o1, &o2] {
        order_states.push(
            crm.order_shipping(clerk, o.order.value.id)
                .await
                .unwrap()
                .state,
        );
    }

    // A stocktake in Suzhou finds two valves short.
    let st = crm.begin_stocktake(clerk, sz.id).await.unwrap();
    crm.enter_counts(clerk, st.stocktake.id, vec![(valve.id, d("20"))])
        .await
        .unwrap();
    let posted = crm.post_stocktake(clerk, st.stocktake.id).await.unwrap();
    let shortage = (posted.moves[0].quantity, posted.moves[0].value);

    let report = crm.stock_on_hand(clerk, None, None).await.unwrap();
    let on_hand = report
        .rows
        .iter()
        .map(|r| {
            (
                r.product_code.clone(),
                r.warehouse_code.clone(),
                r.quantity,
                r.value,
            )
        })
        .collect();
    let alerts = crm
        .safety_stock_alerts(clerk)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.product_code, a.on_hand, a.safety_stock))
        .collect();
    let payables = crm
        .payables(buyer)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.code, r.due, r.paid, r.payable))
        .collect();
    let may = |day| NaiveDate::from_ymd_opt(2026, 5, day).unwrap();
    let codes = [(valve.id, "V-100"), (pump.id, "P-200")];
    let issued = crm
        .goods_issued(clerk, may(1), may(31))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let code = codes
                .iter()
                .find(|c| c.0 == r.product_id)
                .map_or("?", |c| c.1);
            (code.to_owned(), r.quantity, r.value)
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Summary {
        purchase,
        receiving,
        received_value,
        notice,
        stock_out,
        order_states,
        on_hand,
        shortage,
        alerts,
        payables,
        issued,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn procure_to_ship_gives_identical_results_on_every_engine() {
    let memory = run(Arc::new(MemoryStore::new())).await;
    // The figures themselves, once: the cheaper whole answer (60 × 39.90 + 7 × 905 = 8,729.00
    // against 8,650.00) is A's; the stock takes in the order's net to the fen.
    assert_eq!(memory.purchase.0, "S-A");
    assert_eq!(memory.received_value, memory.purchase.2);
    assert_eq!(
        memory.receiving,
        vec![PurchaseState::PartlyReceived, PurchaseState::Received]
    );
    assert_eq!(memory.notice.0, NoticeState::Held);
    assert!(
        memory.notice.1.contains("not fully paid"),
        "{}",
        memory.notice.1
    );
    assert_eq!(memory.notice.2, NoticeState::Released);
    assert_eq!(
        memory.order_states,
        vec![OrderState::Shipped, OrderState::Shipped]
    );
    assert_eq!(memory.shortage, (d("-2"), d("-83.00")));
    // 60 valves in, 28 shipped, 2 short: 30 left, below the safety stock of 40.
    assert_eq!(memory.alerts, vec![("V-100".to_owned(), d("30"), d("40"))]);
    assert_eq!(memory.purchase.2, d("8650.00"));
    assert_eq!(
        memory.payables,
        vec![("S-A".to_owned(), d("9774.50"), d("1000.00"), d("8774.50"))]
    );
    let (sled, _d1) = engines::sled();
    assert_eq!(run(sled).await, memory, "sled");
    let (sqlite, _d2) = engines::sqlite().await;
    assert_eq!(run(sqlite).await, memory, "SQLite");
    if let Some(pg) = engines::postgres().await {
        assert_eq!(run(pg).await, memory, "PostgreSQL");
    }
}
