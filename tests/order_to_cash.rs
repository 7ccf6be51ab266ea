//! The order-to-cash scenario as far as it is built (products, quote, copy, order from the
//! quote, discount approval, a change that voids it, last prices, searches) on every adapter
//! this build has, with identical results.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use crm::core::customer::CustomerInput;
use crm::core::org::{Op, Permission, Resource};
use crm::core::product::ProductInput;
use crm::core::sales::InvoiceKind;
use crm::core::sales::{EnteredPrice, LineDraft, OrderState, QuoteEvent, QuoteState};
use crm::core::service::{
    DocSearch, InvoiceInput, NewEmployee, OrderInput, QuoteInput, ReceiptInput, RedInvoiceInput,
    TrackingInput, TrackingLookup,
};
use crm::core::sources::{ManualClock, SequentialIds};
use crm::core::store::{MemoryStore, Store};
use crm::Crm;
use rust_decimal::Decimal;
use support::engines;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// What the scenario observed; every engine must observe the same.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    /// (number, net, tax, gross) of each quote written.
    quotes: Vec<(String, Decimal, Decimal, Decimal)>,
    /// (number, state, net, tax, gross, approved by the manager) of each order.
    orders: Vec<(String, OrderState, Decimal, Decimal, Decimal, bool)>,
    /// The states the first order went through.
    order_states: Vec<OrderState>,
    /// The customer's last price of the first product.
    last_price: Option<EnteredPrice>,
    /// Quotes and orders the salesperson and the colleague see.
    visible: (u64, u64, u64, u64),
    /// Quote states after conversion, by number.
    quote_states: Vec<(String, QuoteState)>,
    /// (number, red, gross) of each invoice of the first order, in the order issued.
    invoices: Vec<(String, bool, Decimal)>,
    /// The first order's invoiced and left gross.
    invoiced_left: (Decimal, Decimal),
    /// (number, statuses) of the parcels found for the first order.
    parcels: Vec<(String, Vec<String>)>,
    /// (number, amount_cny, exchange difference, unallocated) of each receipt.
    receipts: Vec<(String, Decimal, Decimal, Decimal)>,
    /// The customer's receivable: (opening, due, received, credited, balance, unapplied) and
    /// the ageing buckets.
    receivable: (Decimal, Decimal, Decimal, Decimal, Decimal, Decimal),
    ageing: [Decimal; 4],
    /// The statement's closing balance.
    statement_balance: Decimal,
    /// (salesperson, month, orders, gross, received) as the manager sees them.
    performance: Vec<(String, String, u64, Decimal, Decimal)>,
    /// (product code, quantity, gross) as the seller sees them.
    product_sales: Vec<(String, Decimal, Decimal)>,
    /// The pump's pictures as listed: (file name, media type, primary); whether the picture
    /// the pump shares with the valve reads back as uploaded, from one shared blob.
    pictures: (Vec<(String, String, bool)>, bool),
}

async fn run(store: Arc<dyn Store>) -> Summary {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 9, 1, 9, 0, 0).unwrap(),
    ));
    let crm = Crm::new(store)
        .with_clock(clock.clone())
        .with_ids(Arc::new(SequentialIds::new()));
    let admin = crm
        .bootstrap("场景测试贸易有限公司", "admin", "管理员")
        .await
        .unwrap();
    let root = crm
        .org()
        .await
        .unwrap()
        .employee(admin.employee_id())
        .unwrap()
        .department_id;
    let mut perms: Vec<Permission> = vec![
        Permission::new(Resource::Customer, Op::View),
        Permission::new(Resource::Customer, Op::Create),
        Permission::new(Resource::Product, Op::View),
    ];
    for op in [Op::View, Op::Create, Op::Edit] {
        perms.push(Permission::new(Resource::Quote, op));
    }
    for op in [Op::View, Op::Create, Op::Edit, Op::Delete] {
        perms.push(Permission::new(Resource::SalesOrder, op));
    }
    perms.push(Permission::new(Resource::Invoice, Op::View));
    perms.push(Permission::new(Resource::Invoice, Op::Create));
    for op in [Op::View, Op::Create, Op::Edit] {
        perms.push(Permission::new(Resource::Courier, op));
        perms.push(Permission::new(Resource::Receipt, op));
    }
    let sales = crm.create_role(admin, "销售", perms, false).await.unwrap();
    crm.set_role_discount_limit(admin, sales.id, d("0.05"))
        .await
        .unwrap();
    let approver = crm
        .create_role(
            admin,
            "审批",
            [Permission::new(Resource::SalesOrder, Op::Approve)],
            false,
        )
        .await
        .unwrap();
    crm.set_role_discount_limit(admin, approver.id, d("0.25"))
        .await
        .unwrap();
    let manager = crm
        .create_employee(
            admin,
            NewEmployee::builder()
                .code("m".into())
                .name("王经理".into())
                .department_id(root)
                .role_ids(BTreeSet::from([sales.id, approver.id]))
                .build(),
        )
        .await
        .unwrap();
    let mk = |code: &str, name: &str| {
        NewEmployee::builder()
            .code(code.into())
            .name(name.into())
            .department_id(root)
            .manager_id(Some(manager.id))
            .role_ids(BTreeSet::from([sales.id]))
            .build()
    };
    let seller = crm::core::org::Actor::new(
        crm.create_employee(admin, mk("s1", "张三"))
            .await
            .unwrap()
            .id,
    );
    let colleague = crm::core::org::Actor::new(
        crm.create_employee(admin, mk("s2", "李四"))
            .await
            .unwrap()
            .id,
    );
    let manager = crm::core::org::Actor::new(manager.id);

    let product = |code: &str, name: &str, price: &str, incl: bool, rate: &str| {
        ProductInput::builder()
            .code(code.into())
            .name(name.into())
            .unit("台".into())
            .sale_price(d(price))
            .price_includes_tax(incl)
            .tax_rate(d(rate))
            .build()
    };
    let pump = crm
        .create_product(admin, product("P-100", "离心泵", "2350.00", true, "0.13"))
        .await
        .unwrap()
        .value
        .id;
    let valve = crm
        .create_product(admin, product("P-200", "闸阀", "186.40", false, "0.13"))
        .await
        .unwrap()
        .value
        .id;
    let service = crm
        .create_product(admin, product("S-1", "安装服务", "500", false, "0.06"))
        .await
        .unwrap()
        .value
        .id;
    // Pictures: the pump and the valve share one (stored once); the pump's photo is primary.
    let drawing = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR shared drawing".to_vec();
    let photo = b"\xff\xd8\xff\xe0\0\x10JFIF\0 pump photo".to_vec();
    let pump_drawing = crm
        .add_product_image(admin, pump, "drawing.jpg", drawing.clone())
        .await
        .unwrap();
    let valve_drawing = crm
        .add_product_image(admin, valve, "drawing.png", drawing.clone())
        .await
        .unwrap();
    let pump_photo = crm
        .add_product_image(admin, pump, "pump.jpg", photo)
        .await
        .unwrap();
    crm.set_primary_product_image(admin, pump_photo.id)
        .await
        .unwrap();
    let pictures = (
        crm.product_images(seller, pump)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.file_name, i.media_type, i.is_primary))
            .collect(),
        pump_drawing.blob_id == valve_drawing.blob_id
            && crm
                .product_image_bytes(seller, valve_drawing.id)
                .await
                .unwrap()
                .bytes
                == drawing,
    );
    let customer = |name: &str| CustomerInput::builder().name(name.into()).build();
    let acme = crm
        .create_customer(seller, customer("杭州恒通水务有限公司"), vec![])
        .await
        .unwrap()
        .customer
        .value
        .id;
    let other = crm
        .create_customer(seller, customer("宁波北仑港务有限公司"), vec![])
        .await
        .unwrap()
        .customer
        .value
        .id;

    let lines = vec![
        LineDraft::builder()
            .product_id(pump)
            .quantity(d("3"))
            .discount(d("0.12"))
            .build(),
        LineDraft::builder()
            .product_id(valve)
            .quantity(d("17.5"))
            .price(EnteredPrice::Inclusive(d("209.99")))
            .build(),
        LineDraft::builder()
            .product_id(service)
            .quantity(d("1"))
            .build(),
    ];
    let q = crm
        .create_quote(
            seller,
            QuoteInput::builder()
                .customer_id(acme)
                .valid_until(NaiveDate::from_ymd_opt(2026, 9, 30).unwrap())
                .terms("款到发货".into())
                .lines(lines)
                .build(),
        )
        .await
        .unwrap();
    let qid = q.quote.value.id;
    let copy = crm.copy_quote(seller, qid, Some(other)).await.unwrap();
    let sent = crm
        .quote_event(seller, qid, 1, QuoteEvent::Send)
        .await
        .unwrap();
    clock.advance(chrono::Duration::days(3));
    let accepted = crm
        .quote_event(seller, qid, sent.version, QuoteEvent::Accept)
        .await
        .unwrap();
    let order = crm
        .order_from_quote(seller, qid, accepted.version)
        .await
        .unwrap();
    let oid = order.order.value.id;
    let mut states = vec![order.order.value.state];
    let submitted = crm.submit_order(seller, oid, 1).await.unwrap();
    states.push(submitted.value.state);
    let approved = crm
        .approve_order(manager, oid, submitted.version)
        .await
        .unwrap();
    states.push(approved.value.state);
    // One more valve: the approval is void.
    let mut input = OrderInput::builder()
        .customer_id(acme)
        .lines(order.lines.iter().map(|l| l.to_draft()).collect())
        .build();
    input.lines[1].quantity = d("18.5");
    let changed = crm
        .update_order(seller, oid, approved.version, input)
        .await
        .unwrap();
    states.push(changed.order.value.state);
    let resubmitted = crm
        .submit_order(seller, oid, changed.order.version)
        .await
        .unwrap();
    states.push(resubmitted.value.state);
    let reapproved = crm
        .approve_order(manager, oid, resubmitted.version)
        .await
        .unwrap();
    states.push(reapproved.value.state);
    // A direct order within the seller's limit, priced from the last prices.
    let direct = crm
        .create_order(
            seller,
            OrderInput::builder()
                .customer_id(acme)
                .lines(vec![LineDraft::builder()
                    .product_id(valve)
                    .quantity(d("4"))
                    .build()])
                .build(),
        )
        .await
        .unwrap();
    crm.submit_order(seller, direct.order.value.id, 1)
        .await
        .unwrap();

    // Two invoices (the pumps in two parts, the rest on the second), then a red-letter invoice
    // for one returned valve.
    let lines = crm.order(seller, oid).await.unwrap().lines;
    let inv = |number: &str, lines: Vec<(uuid::Uuid, Decimal)>| {
        InvoiceInput::builder()
            .order_id(oid)
            .kind(InvoiceKind::Special)
            .code("3300234130".into())
            .number(number.into())
            .lines(lines)
            .build()
    };
    crm.issue_invoice(seller, inv("10000001", vec![(lines[0].id, d("1"))]))
        .await
        .unwrap();
    let second = crm
        .issue_invoice(
            seller,
            inv(
                "10000002",
                vec![
                    (lines[0].id, d("2")),
                    (lines[1].id, d("18.5")),
                    (lines[2].id, d("1")),
                ],
            ),
        )
        .await
        .unwrap();
    crm.issue_red_invoice(
        seller,
        RedInvoiceInput::builder()
            .blue_invoice_id(second.invoice.id)
            .code("3300234130".into())
            .number("10000003".into())
            .reason("退货一台闸阀".into())
            .lines(vec![(second.lines[1].id, d("1"))])
            .build(),
    )
    .await
    .unwrap();
    let (invoices, invoicing) = crm.order_invoicing(seller, oid).await.unwrap();
    let parcel = crm
        .add_tracking(
            seller,
            TrackingInput::builder()
                .carrier("顺丰".into())
                .tracking_number("SF 1000 2000 3000".into())
                .invoice_id(second.invoice.id)
                .build(),
        )
        .await
        .unwrap();
    for (h, status) in [(20, "已揽收"), (30, "运输中"), (44, "已签收")] {
        let at = Utc.with_ymd_and_hms(2026, 9, 4, 0, 0, 0).unwrap() + chrono::Duration::hours(h);
        crm.add_tracking_event(seller, parcel.id, at, status, None)
            .await
            .unwrap();
    }
    let parcels = crm
        .find_tracking(manager, &TrackingLookup::Order(oid))
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.tracking.tracking_number,
                p.events.into_iter().map(|e| e.status).collect(),
            )
        })
        .collect();

    // Money: an opening balance, a USD receipt for the first order (fee and exchange
    // difference kept), an advance in CNY applied later to the direct order.
    let usd = crm
        .create_cash_account(admin, "中行美元户", true, "USD", None)
        .await
        .unwrap()
        .id;
    let cny = crm
        .create_cash_account(admin, "工行基本户", true, "CNY", Some("1202 0000 0000"))
        .await
        .unwrap()
        .id;
    let today = NaiveDate::from_ymd_opt(2026, 9, 4).unwrap();
    crm.set_exchange_rate(admin, "USD", today, d("7.1225"))
        .await
        .unwrap();
    crm.set_opening_balance(
        seller,
        acme,
        d("2500.00"),
        NaiveDate::from_ymd_opt(2026, 5, 31).unwrap(),
    )
    .await
    .unwrap();
    let paid = crm
        .record_receipt(
            seller,
            ReceiptInput::builder()
                .customer_id(acme)
                .account_id(usd)
                .method("电汇".into())
                .currency("USD".into())
                .amount(d("1400.00"))
                .fee_cny(d("25.00"))
                .received_cny(d("9940.00"))
                .allocations(vec![(oid, d("9900.00"))])
                .build(),
        )
        .await
        .unwrap();
    let advance = crm
        .record_receipt(
            seller,
            ReceiptInput::builder()
                .customer_id(acme)
                .account_id(cny)
                .method("银行转账".into())
                .amount(d("1000.00"))
                .build(),
        )
        .await
        .unwrap();
    let direct_gross = crm
        .order(seller, direct.order.value.id)
        .await
        .unwrap()
        .order
        .value
        .gross;
    let applied = crm
        .apply_receipt(
            seller,
            advance.receipt.value.id,
            &[(direct.order.value.id, direct_gross)],
        )
        .await
        .unwrap();
    let receivable = crm
        .receivables(
            manager,
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            Some(acme),
        )
        .await
        .unwrap()
        .remove(0);
    let statement = crm.customer_statement(seller, acme).await.unwrap();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
    );
    let performance = crm
        .sales_performance(manager, from, to)
        .await
        .unwrap()
        .by_employee
        .into_iter()
        .map(|p| (p.employee_name, p.month, p.orders, p.gross, p.received))
        .collect();
    let product_sales = crm
        .product_sales(seller, from, to)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.code, p.quantity, p.gross))
        .collect();

    let all_quotes = crm
        .search_quotes(seller, &DocSearch::default())
        .await
        .unwrap();
    let all_orders = crm
        .search_orders(manager, &DocSearch::default())
        .await
        .unwrap();
    let mut orders = vec![];
    for o in &all_orders.items {
        orders.push((
            o.number.clone(),
            o.state,
            o.net,
            o.tax,
            o.gross,
            o.approved_by == Some(manager.employee_id()),
        ));
    }
    let colleague_quotes = crm
        .search_quotes(colleague, &DocSearch::default())
        .await
        .unwrap()
        .total;
    let colleague_orders = crm
        .search_orders(colleague, &DocSearch::default())
        .await
        .unwrap()
        .total;
    Summary {
        quotes: [&q.quote.value, &copy.quote.value]
            .iter()
            .map(|q| (q.number.clone(), q.net, q.tax, q.gross))
            .collect(),
        orders,
        order_states: states,
        last_price: crm
            .last_price(seller, acme, valve)
            .await
            .unwrap()
            .map(|p| p.price()),
        visible: (
            all_quotes.total,
            all_orders.total,
            colleague_quotes,
            colleague_orders,
        ),
        quote_states: all_quotes
            .items
            .iter()
            .map(|q| (q.number.clone(), q.state))
            .collect(),
        invoices: invoices
            .iter()
            .map(|i| (i.number.clone(), i.is_red(), i.gross))
            .collect(),
        invoiced_left: (invoicing.invoiced.gross, invoicing.left.gross),
        parcels,
        receipts: [&paid.receipt.value, &applied.receipt.value]
            .iter()
            .map(|r| {
                (
                    r.number.clone(),
                    r.amount_cny,
                    r.exchange_difference,
                    r.unallocated(),
                )
            })
            .collect(),
        receivable: (
            receivable.opening,
            receivable.due,
            receivable.received,
            receivable.credited,
            receivable.balance,
            receivable.unapplied,
        ),
        ageing: [
            receivable.ageing.days_0_30,
            receivable.ageing.days_31_60,
            receivable.ageing.days_61_90,
            receivable.ageing.over_90,
        ],
        statement_balance: statement.last().unwrap().balance,
        performance,
        product_sales,
        pictures,
    }
}

#[tokio::test]
async fn order_to_cash_on_the_memory_store() {
    let s = run(Arc::new(MemoryStore::new())).await;
    // Pump: 3 × 2350.00 incl., 12 % off = 6204.00 gross; valve 17.5 × 209.99 incl. = 3674.83
    // gross; service 500.00 net + 6 % = 530.00.
    assert_eq!(s.quotes[0].3, d("10408.83"));
    assert_eq!(s.quotes[0].1 + s.quotes[0].2, s.quotes[0].3);
    assert_eq!(s.quotes[1].1..=s.quotes[1].3, s.quotes[0].1..=s.quotes[0].3);
    assert_eq!(
        s.order_states,
        [
            OrderState::Draft,
            OrderState::AwaitingApproval,
            OrderState::Approved,
            OrderState::Draft,
            OrderState::AwaitingApproval,
            OrderState::Approved
        ]
    );
    assert_eq!(s.orders.len(), 2);
    assert_eq!(s.orders[1].1, OrderState::Approved);
    assert!(s.orders[1].5, "the first order was approved by the manager");
    assert!(
        !s.orders[0].5,
        "the direct order was within the seller's limit"
    );
    // 18.5 valves now: 209.99 × 18.5 = 3884.815 → 3884.82.
    assert_eq!(s.orders[1].4, d("10618.82"));
    assert_eq!(s.last_price, Some(EnteredPrice::Inclusive(d("209.99"))));
    assert_eq!(s.visible, (2, 2, 0, 0));
    // One valve returned: 209.99 back; the order is invoiced but for that valve.
    assert_eq!(s.invoices.len(), 3);
    assert!(s.invoices[2].1);
    assert_eq!(s.invoices[2].2, d("-209.99"));
    assert_eq!(
        s.invoices.iter().map(|i| i.2).sum::<Decimal>(),
        s.invoiced_left.0
    );
    assert_eq!(s.invoiced_left, (d("10408.83"), d("209.99")));
    // 1400 USD × 7.1225 = 9971.50 CNY; the bank credited 9940.00 and kept 25.00: 6.50
    // exchange difference; 71.50 of it stays unallocated.
    assert_eq!(
        s.receipts[0],
        (
            "RC-2026-000001".to_owned(),
            d("9971.50"),
            d("6.50"),
            d("71.50")
        )
    );
    assert_eq!(s.receipts[1].3, d("0.00") + (d("1000.00") - s.orders[0].4));
    let (opening, due, received, credited, balance, unapplied) = s.receivable;
    assert_eq!(balance, opening + due - received - credited);
    assert_eq!(credited, d("209.99"));
    assert_eq!(received, d("10971.50"));
    assert_eq!(s.ageing.iter().sum::<Decimal>() - unapplied, balance);
    assert_eq!(
        s.ageing[3],
        d("2500.00"),
        "the opening balance is over 90 days old"
    );
    assert_eq!(s.statement_balance, balance);
    assert_eq!(s.performance.len(), 1);
    assert_eq!(s.performance[0].2, 2);
    assert_eq!(s.performance[0].3, s.orders[0].4 + s.orders[1].4);
    assert_eq!(s.performance[0].4, received);
    assert_eq!(
        s.product_sales.iter().map(|p| p.2).sum::<Decimal>(),
        s.performance[0].3
    );
    assert_eq!(
        s.parcels,
        [(
            "SF100020003000".to_owned(),
            vec!["已揽收".to_owned(), "运输中".into(), "已签收".into()]
        )]
    );
    assert_eq!(
        s.quote_states,
        [
            ("QT-2026-000002".to_owned(), QuoteState::Draft),
            ("QT-2026-000001".to_owned(), QuoteState::Converted)
        ]
    );
    let listed = |name: &str, ty: &str, primary| (name.to_owned(), ty.to_owned(), primary);
    assert_eq!(
        s.pictures,
        (
            vec![
                listed("pump.jpg", "image/jpeg", true),
                listed("drawing.jpg", "image/png", false)
            ],
            true
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_to_cash_gives_identical_results_on_every_engine() {
    let memory = run(Arc::new(MemoryStore::new())).await;
    let (sled, _d1) = engines::sled();
    assert_eq!(run(sled).await, memory, "sled");
    let (sqlite, _d2) = engines::sqlite().await;
    assert_eq!(run(sqlite).await, memory, "SQLite");
    if let Some(pg) = engines::postgres().await {
        assert_eq!(run(pg).await, memory, "PostgreSQL");
    }
}
