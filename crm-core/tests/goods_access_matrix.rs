//! The goods authorisation matrix: every public operation of stock, purchasing, shipping
//! notices, production readiness and goods reports × every relation an actor can have to the
//! customer whose documents it concerns → allowed or denied, each asserted.
//!
//! ADR 9: goods are company property, so most operations are decided by the role alone (a
//! column differs from another only by the relation, so those rows are allowed everywhere).
//! Where a customer is involved the customer rule applies to people outside the warehouse: a
//! stock-out, a shipping notice and an order's shipping state are read through the customer's
//! documents, and a notice is written (or withdrawn) only by those who may change them.
//!
//! Every actor holds a role with every goods permission except the warehouse's
//! `stock_out.view` (which reads every stock-out and notice whatever the customer), plus
//! `sales_order.view` (reading through the customer's documents). What the warehouse reads is
//! checked separately, as is what the roles decide: each operation with exactly the
//! permissions it needs is allowed, and without any one of them is refused even to the owner.
//! An inactive employee is refused everything.
//!
//! Each cell runs in a fresh world: the fixture's customer (owned by 张三, shared with 赵六 for
//! editing and with 财务部 for reading) with an approved order partly shipped, a held shipping
//! notice, and a customer of 周外, who stands in no relation to any actor, with an approved
//! order partly shipped. Reports and look-ups about customers' documents must leave 周外's out
//! for everyone but administrators, and their figures must be exactly those of the documents
//! the actor may see; company-wide reports must give everyone the whole company's figures.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use common::{block_on, Company, Outcome, Rel, RELS};
use crm_core::customer::CustomerInput;
use crm_core::inventory::{ShipGate, StockDocType};
use crm_core::org::{Actor, Op, Permission, Resource};
use crm_core::product::ProductInput;
use crm_core::purchase::PurchaseEvent;
use crm_core::sales::{InvoiceKind, LineDraft, OrderState};
use crm_core::service::{
    NoticeDoc, NoticeInput, OrderDoc, OrderInput, PurchaseDoc, PurchaseLineInput,
    PurchaseOrderInput, PurchaseReceiptInput, ReadyInput, ReceiptInput, RequisitionInput,
    RfqAnswerInput, RfqDoc, RfqInput, ShippingPolicy, StockDocView, StockInInput, StockInLine,
    StockOutInput, StockOutLine, SupplierInput, SupplierInvoiceInput, SupplierPaymentInput,
    TransferInput, WarehouseInput,
};
use crm_core::{Crm, Error};
use rust_decimal::Decimal;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Declares the matrix rows and `OPS`, which lists every one of them (so no row can be
/// declared and left out of the matrix).
macro_rules! matrix_ops {
    ($($name:ident),* $(,)?) => {
        /// One row of the matrix: one public operation (reports by what they answer; a
        /// stock document and a purchase order event by the case whose rule differs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum MatrixOp { $($name),* }
        const OPS: &[MatrixOp] = &[$(MatrixOp::$name),*];
    };
}

matrix_ops! {
    CreateWarehouse, Warehouses, StockIn, TransferStock, Requisition, ReceivePurchase, StockOut,
    OrderShipping, ReadStockOut, ReadStockIn, BeginStocktake, EnterCounts, PostStocktake,
    StockOnHand, StockValueAsOf, StockLedger, SafetyStockAlerts,
    CreateSupplier, ReadSupplier, Suppliers, SupplierPrices, CreateRfq, ReadRfq, RecordRfqAnswer,
    CreatePurchaseOrder, PurchaseOrderFromRfq, ReadPurchaseOrder, SubmitPurchaseOrder,
    ApprovePurchaseOrder, PaySupplier, RegisterSupplierInvoice, SetSupplierOpening, Payables,
    CreateShippingNotice, ReleaseShippingNotice, CancelShippingNotice, ReadShippingNotice,
    MarkProductionReady, ProductionReadiness,
    UnshippedGoods, GoodsIssued, SalesByRegion, SlowMovingStock, PurchaseSummary,
}

use MatrixOp as M;

/// The `Crm` method each row exercises.
fn core_fn(op: MatrixOp) -> &'static str {
    match op {
        M::CreateWarehouse => "create_warehouse",
        M::Warehouses => "warehouses",
        M::StockIn => "stock_in",
        M::TransferStock => "transfer_stock",
        M::Requisition => "requisition",
        M::ReceivePurchase => "receive_purchase",
        M::StockOut => "stock_out",
        M::OrderShipping => "order_shipping",
        M::ReadStockOut | M::ReadStockIn => "stock_doc",
        M::BeginStocktake => "begin_stocktake",
        M::EnterCounts => "enter_counts",
        M::PostStocktake => "post_stocktake",
        M::StockOnHand => "stock_on_hand",
        M::StockValueAsOf => "stock_value_as_of",
        M::StockLedger => "stock_ledger",
        M::SafetyStockAlerts => "safety_stock_alerts",
        M::CreateSupplier => "create_supplier",
        M::ReadSupplier => "supplier",
        M::Suppliers => "suppliers",
        M::SupplierPrices => "supplier_prices",
        M::CreateRfq => "create_rfq",
        M::ReadRfq => "rfq",
        M::RecordRfqAnswer => "record_rfq_answer",
        M::CreatePurchaseOrder => "create_purchase_order",
        M::PurchaseOrderFromRfq => "purchase_order_from_rfq",
        M::ReadPurchaseOrder => "purchase_order",
        M::SubmitPurchaseOrder | M::ApprovePurchaseOrder => "purchase_event",
        M::PaySupplier => "pay_supplier",
        M::RegisterSupplierInvoice => "register_supplier_invoice",
        M::SetSupplierOpening => "set_supplier_opening",
        M::Payables => "payables",
        M::CreateShippingNotice => "create_shipping_notice",
        M::ReleaseShippingNotice => "release_shipping_notice",
        M::CancelShippingNotice => "cancel_shipping_notice",
        M::ReadShippingNotice => "shipping_notice",
        M::MarkProductionReady => "mark_production_ready",
        M::ProductionReadiness => "production_readiness",
        M::UnshippedGoods => "unshipped_goods",
        M::GoodsIssued => "goods_issued",
        M::SalesByRegion => "sales_by_region",
        M::SlowMovingStock => "slow_moving_stock",
        M::PurchaseSummary => "purchase_summary",
    }
}

/// The service files whose public operations the matrix must cover, read at compile time so
/// that a new operation without a row fails `every_goods_operation_has_a_row`.
const SOURCES: [(&str, &str); 5] = [
    ("stock.rs", include_str!("../src/service/stock.rs")),
    (
        "purchasing.rs",
        include_str!("../src/service/purchasing.rs"),
    ),
    ("shipping.rs", include_str!("../src/service/shipping.rs")),
    (
        "production.rs",
        include_str!("../src/service/production.rs"),
    ),
    (
        "goods_reports.rs",
        include_str!("../src/service/goods_reports.rs"),
    ),
];

/// Which test checks a row: one per area, so that the areas run in parallel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Movements,
    StockReads,
    Purchasing,
    Notices,
    Reports,
}

fn area(op: MatrixOp) -> Area {
    match op {
        M::CreateWarehouse
        | M::StockIn
        | M::TransferStock
        | M::Requisition
        | M::ReceivePurchase
        | M::StockOut
        | M::BeginStocktake
        | M::EnterCounts
        | M::PostStocktake => Area::Movements,
        M::Warehouses
        | M::OrderShipping
        | M::ReadStockOut
        | M::ReadStockIn
        | M::StockOnHand
        | M::StockValueAsOf
        | M::StockLedger
        | M::SafetyStockAlerts => Area::StockReads,
        M::CreateSupplier
        | M::ReadSupplier
        | M::Suppliers
        | M::SupplierPrices
        | M::CreateRfq
        | M::ReadRfq
        | M::RecordRfqAnswer
        | M::CreatePurchaseOrder
        | M::PurchaseOrderFromRfq
        | M::ReadPurchaseOrder
        | M::SubmitPurchaseOrder
        | M::ApprovePurchaseOrder
        | M::PaySupplier
        | M::RegisterSupplierInvoice
        | M::SetSupplierOpening
        | M::Payables => Area::Purchasing,
        M::CreateShippingNotice
        | M::ReleaseShippingNotice
        | M::CancelShippingNotice
        | M::ReadShippingNotice
        | M::MarkProductionReady
        | M::ProductionReadiness => Area::Notices,
        M::UnshippedGoods
        | M::GoodsIssued
        | M::SalesByRegion
        | M::SlowMovingStock
        | M::PurchaseSummary => Area::Reports,
    }
}

/// The expected answer for each cell, in RELS order:
/// owner, manager above, peer, subordinate, shared person (edit), shared department (read),
/// unrelated, administrator.
fn expected(op: MatrixOp) -> [bool; 8] {
    const Y: bool = true;
    const N: bool = false;
    // Read through the customer's documents: whoever sees the customer's documents.
    const SEES: [bool; 8] = [Y, Y, N, N, Y, Y, N, Y];
    // Written by whoever may change the customer's documents (not a read share).
    const EDITS: [bool; 8] = [Y, Y, N, N, Y, N, N, Y];
    // Company property: the relation to a customer plays no part, only the role (ADR 9).
    const ROLE: [bool; 8] = [Y; 8];
    match op {
        // The warehouse ships what sales approved, for any customer (ADR 9): the stock-out
        // is decided by `stock_out.create` alone.
        M::CreateWarehouse
        | M::Warehouses
        | M::StockIn
        | M::TransferStock
        | M::Requisition
        | M::ReceivePurchase
        | M::StockOut
        | M::ReadStockIn
        | M::BeginStocktake
        | M::EnterCounts
        | M::PostStocktake
        | M::StockOnHand
        | M::StockValueAsOf
        | M::StockLedger
        | M::SafetyStockAlerts
        | M::CreateSupplier
        | M::ReadSupplier
        | M::Suppliers
        | M::SupplierPrices
        | M::CreateRfq
        | M::ReadRfq
        | M::RecordRfqAnswer
        | M::CreatePurchaseOrder
        | M::PurchaseOrderFromRfq
        | M::ReadPurchaseOrder
        | M::SubmitPurchaseOrder
        | M::ApprovePurchaseOrder
        | M::PaySupplier
        | M::RegisterSupplierInvoice
        | M::SetSupplierOpening
        | M::Payables
        | M::GoodsIssued
        | M::SlowMovingStock
        | M::PurchaseSummary
        // The workshop serves every salesperson's orders: production marks by role.
        | M::MarkProductionReady
        | M::ProductionReadiness => ROLE,
        // Outside the warehouse, a stock-out, a notice and an order's shipping state are read
        // through the customer's documents; releasing a notice whose rule passes is the same
        // kind of step as approving an order (documented "for a customer whose documents the
        // actor may not read"): a read share suffices.
        M::OrderShipping
        | M::ReadStockOut
        | M::ReadShippingNotice
        | M::ReleaseShippingNotice
        | M::UnshippedGoods
        | M::SalesByRegion => SEES,
        M::CreateShippingNotice | M::CancelShippingNotice => EDITS,
    }
}

/// The permissions a row needs from the actor's roles on the salesperson's path: with exactly
/// these it is allowed to the owner; without any one of them (and without every alternative
/// of [`alternatives`]) it is refused.
fn needs(op: MatrixOp) -> Vec<Permission> {
    use Resource as R;
    let p = Permission::new;
    match op {
        M::CreateWarehouse => vec![p(R::Warehouse, Op::Create)],
        M::Warehouses => vec![p(R::Warehouse, Op::View)],
        M::StockIn | M::TransferStock | M::Requisition | M::ReceivePurchase | M::BeginStocktake => {
            vec![p(R::Stock, Op::Create)]
        }
        M::EnterCounts | M::PostStocktake => vec![p(R::Stock, Op::Edit)],
        M::StockOut => vec![p(R::StockOut, Op::Create)],
        M::OrderShipping | M::ReadStockOut | M::UnshippedGoods | M::SalesByRegion => {
            vec![p(R::SalesOrder, Op::View)]
        }
        M::ReadStockIn
        | M::StockOnHand
        | M::StockValueAsOf
        | M::StockLedger
        | M::SafetyStockAlerts
        | M::GoodsIssued
        | M::SlowMovingStock => vec![p(R::Stock, Op::View)],
        M::CreateSupplier => vec![p(R::Supplier, Op::Create)],
        M::ReadSupplier | M::Suppliers | M::SupplierPrices => vec![p(R::Supplier, Op::View)],
        M::CreateRfq | M::CreatePurchaseOrder | M::PurchaseOrderFromRfq => {
            vec![p(R::Purchase, Op::Create)]
        }
        M::ReadRfq | M::ReadPurchaseOrder | M::PurchaseSummary => vec![p(R::Purchase, Op::View)],
        M::RecordRfqAnswer | M::SubmitPurchaseOrder => vec![p(R::Purchase, Op::Edit)],
        M::ApprovePurchaseOrder => vec![p(R::Purchase, Op::Approve)],
        M::PaySupplier | M::RegisterSupplierInvoice | M::SetSupplierOpening => {
            vec![p(R::Payable, Op::Create)]
        }
        M::Payables => vec![p(R::Payable, Op::View)],
        M::CreateShippingNotice => vec![p(R::ShippingNotice, Op::Create)],
        M::ReleaseShippingNotice | M::CancelShippingNotice => {
            vec![p(R::ShippingNotice, Op::Edit)]
        }
        M::ReadShippingNotice => vec![p(R::ShippingNotice, Op::View)],
        M::MarkProductionReady => vec![p(R::Production, Op::Create)],
        M::ProductionReadiness => vec![p(R::Production, Op::View)],
    }
}

/// Other permission sets that each suffice on their own (documented alternatives).
fn alternatives(op: MatrixOp) -> Vec<Vec<Permission>> {
    use Resource as R;
    let p = Permission::new;
    match op {
        // Anyone who works with stock lists the warehouses.
        M::Warehouses => vec![
            vec![p(R::Stock, Op::View)],
            vec![p(R::StockOut, Op::Create)],
        ],
        // The warehouse reads every stock-out, notice and order's shipping state.
        M::OrderShipping | M::ReadStockOut | M::ReadShippingNotice | M::UnshippedGoods => {
            vec![vec![p(R::StockOut, Op::View)]]
        }
        _ => vec![],
    }
}

/// What the matrix role grants: every goods permission except the warehouse's
/// `stock_out.view`, and `sales_order.view` to read through the customer's documents.
fn goods_permissions() -> Vec<Permission> {
    use Resource as R;
    let mut v = vec![];
    for r in [R::Warehouse, R::Stock, R::Supplier, R::Payable] {
        for op in [Op::View, Op::Create, Op::Edit] {
            v.push(Permission::new(r, op));
        }
    }
    for r in [R::Purchase, R::ShippingNotice] {
        for op in [Op::View, Op::Create, Op::Edit, Op::Approve] {
            v.push(Permission::new(r, op));
        }
    }
    v.push(Permission::new(R::StockOut, Op::Create));
    v.push(Permission::new(R::SalesOrder, Op::View));
    v.push(Permission::new(R::Production, Op::View));
    v.push(Permission::new(R::Production, Op::Create));
    v
}

/// A company with stock, suppliers, purchase orders, and for the fixture's customer and for
/// 周外's an approved order partly shipped.
struct World {
    co: Company,
    /// The company's library with the 款到发货 rule (notices wait for payment).
    crm: Crm,
    /// The fixture's customer (owner 张三, shared with 赵六 to edit and 财务部 to read).
    customer: Uuid,
    /// WH1 and WH2.
    main: Uuid,
    second: Uuid,
    /// 20 in WH1 at 60.00, safety stock 20; goes out.
    drill: Uuid,
    /// 100 in WH1 at 0.30; never goes out.
    bolt: Uuid,
    /// 5 in WH1 at 4.00; never goes out.
    spare: Uuid,
    /// The opening stock-in (dated 2026-03-01).
    opening: StockDocView,
    /// The customer's approved order: 4 drills, 10 bolts; 1 drill shipped, fully paid.
    sold: OrderDoc,
    /// Its stock-out.
    sold_out: StockDocView,
    /// 周外's approved order: 5 drills, 2 shipped.
    other_sold: OrderDoc,
    other_out: StockDocView,
    /// A notice for 1 drill of the sold order, held while it was unpaid (the rule now passes).
    held: NoticeDoc,
    /// A stocktake of WH1 in counting, 4 gloves counted.
    stocktake: Uuid,
    /// Supplier S1 with a contact.
    acme: Uuid,
    /// A request to S1 for 10 drills, answered at 58.00.
    rfq: RfqDoc,
    /// Purchase orders of S1 by the administrator: a draft, one awaiting approval, one
    /// approved (10 drills at 58.00 excluding tax) with 100.00 paid.
    draft_po: PurchaseDoc,
    waiting_po: PurchaseDoc,
    approved_po: PurchaseDoc,
    account: Uuid,
}

fn product(code: &str, name: &str, safety: Option<&str>) -> ProductInput {
    let mut p = ProductInput::builder()
        .code(code.into())
        .name(name.into())
        .unit("个".into())
        .sale_price(d("113.00"))
        .price_includes_tax(true)
        .tax_rate(d("0.13"))
        .build();
    p.safety_stock = safety.map(d);
    p
}

fn line(product: Uuid, qty: &str) -> LineDraft {
    LineDraft::builder()
        .product_id(product)
        .quantity(d(qty))
        .build()
}

fn po_line(product: Uuid, qty: &str, price: &str) -> PurchaseLineInput {
    PurchaseLineInput {
        product_id: product,
        quantity: d(qty),
        unit_price: Some(d(price)),
        price_includes_tax: false,
        tax_rate: None,
    }
}

fn stock_in_line(product: Uuid, warehouse: Uuid, qty: &str, cost: &str) -> StockInLine {
    StockInLine {
        product_id: product,
        warehouse_id: warehouse,
        quantity: d(qty),
        unit_cost: d(cost),
    }
}

fn out_line(order_line: Uuid, warehouse: Uuid, qty: &str) -> StockOutLine {
    StockOutLine {
        order_line_id: order_line,
        warehouse_id: warehouse,
        quantity: d(qty),
    }
}

/// An approved order of `customer` made by the administrator (within any limit); its owner is
/// the customer's owner.
async fn approved_order(
    crm: &Crm,
    admin: Actor,
    customer: Uuid,
    lines: Vec<LineDraft>,
) -> OrderDoc {
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
    let id = o.order.value.id;
    let s = crm.submit_order(admin, id, o.order.version).await.unwrap();
    assert_eq!(s.value.state, OrderState::Approved);
    crm.order(admin, id).await.unwrap()
}

async fn purchase_order(
    crm: &Crm,
    by: Actor,
    supplier: Uuid,
    lines: Vec<PurchaseLineInput>,
) -> PurchaseDoc {
    crm.create_purchase_order(
        by,
        PurchaseOrderInput::builder()
            .supplier_id(supplier)
            .lines(lines)
            .build(),
    )
    .await
    .unwrap()
}

fn world() -> World {
    let co = Company::new();
    let customer = co.shared_customer("上海申达机电有限公司");
    let crm = Crm::new(co.crm.store().clone())
        .with_clock(co.clock.clone())
        .with_shipping_policy(ShippingPolicy {
            gate: ShipGate::FullyPaid,
            stock_out_from_notice: false,
        });
    block_on(async {
        let admin = co.admin;
        let role = crm
            .create_role(admin, "进销存全权", goods_permissions(), false)
            .await
            .unwrap()
            .id;
        let outsider = co.grant_everyone_and_hire_outsider(role).await;
        let wh = |code: &str, name: &str| {
            WarehouseInput::builder()
                .code(code.into())
                .name(name.into())
                .build()
        };
        let main = crm
            .create_warehouse(admin, wh("WH1", "上海一号仓"))
            .await
            .unwrap()
            .id;
        let second = crm
            .create_warehouse(admin, wh("WH2", "苏州二号仓"))
            .await
            .unwrap()
            .id;
        let id_of = |p: crm_core::store::Versioned<crm_core::product::Product>| p.value.id;
        let drill = id_of(
            crm.create_product(admin, product("P-1", "电钻", Some("20")))
                .await
                .unwrap(),
        );
        let bolt = id_of(
            crm.create_product(admin, product("P-2", "螺栓", None))
                .await
                .unwrap(),
        );
        let spare = id_of(
            crm.create_product(admin, product("P-9", "手套", None))
                .await
                .unwrap(),
        );
        let opening = crm
            .stock_in(
                admin,
                StockInInput::builder()
                    .date(date(2026, 3, 1))
                    .lines(vec![
                        stock_in_line(drill, main, "20", "60"),
                        stock_in_line(bolt, main, "100", "0.30"),
                        stock_in_line(spare, main, "5", "4"),
                    ])
                    .build(),
            )
            .await
            .unwrap();
        let account = crm
            .create_cash_account(admin, "工行基本户", true, "CNY", None)
            .await
            .unwrap()
            .id;

        // The customer's order: a notice while unpaid (held), then paid in full, 1 shipped.
        let sold = approved_order(
            &crm,
            admin,
            customer,
            vec![line(drill, "4"), line(bolt, "10")],
        )
        .await;
        assert_eq!(sold.order.value.owner_id, co.owner.employee_id());
        let held = crm
            .create_shipping_notice(
                admin,
                NoticeInput::builder()
                    .lines(vec![(sold.lines[0].id, d("1"))])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(
            held.notice.value.state,
            crm_core::inventory::NoticeState::Held
        );
        let mut pay = ReceiptInput::builder()
            .customer_id(customer)
            .account_id(account)
            .method("银行转账".into())
            .amount(sold.order.value.gross)
            .build();
        pay.allocations = vec![(sold.order.value.id, sold.order.value.gross)];
        crm.record_receipt(admin, pay).await.unwrap();
        let sold_out = crm
            .stock_out(
                admin,
                StockOutInput::builder()
                    .lines(vec![out_line(sold.lines[0].id, main, "1")])
                    .build(),
            )
            .await
            .unwrap();

        // 周外's customer and order.
        let other_customer = crm
            .create_customer(
                outsider,
                CustomerInput::builder()
                    .name("深圳外联电子有限公司".into())
                    .province(Some("广东".into()))
                    .industry(Some("电子".into()))
                    .build(),
                vec![],
            )
            .await
            .unwrap()
            .customer
            .value
            .id;
        let other_sold = approved_order(&crm, admin, other_customer, vec![line(drill, "5")]).await;
        assert_eq!(other_sold.order.value.owner_id, outsider.employee_id());
        let other_out = crm
            .stock_out(
                admin,
                StockOutInput::builder()
                    .lines(vec![out_line(other_sold.lines[0].id, main, "2")])
                    .build(),
            )
            .await
            .unwrap();

        let stocktake = crm.begin_stocktake(admin, main).await.unwrap().stocktake.id;
        crm.enter_counts(admin, stocktake, vec![(spare, d("4"))])
            .await
            .unwrap();

        // Purchasing.
        let acme = crm
            .create_supplier(
                admin,
                SupplierInput::builder()
                    .code("S1".into())
                    .name("宁波甬江五金制造有限公司".into())
                    .contacts(vec![("刘经理".into(), Some("13900001111".into()), None)])
                    .build(),
            )
            .await
            .unwrap()
            .supplier
            .id;
        let rfq = crm
            .create_rfq(
                admin,
                RfqInput::builder()
                    .lines(vec![(drill, d("10"))])
                    .supplier_ids(vec![acme])
                    .build(),
            )
            .await
            .unwrap();
        let rfq = crm
            .record_rfq_answer(
                admin,
                rfq.rfq.id,
                acme,
                vec![rfq_answer(rfq.lines[0].id, "58")],
            )
            .await
            .unwrap();
        let draft_po = purchase_order(&crm, admin, acme, vec![po_line(bolt, "100", "0.25")]).await;
        let waiting_po =
            purchase_order(&crm, admin, acme, vec![po_line(bolt, "200", "0.25")]).await;
        let id = waiting_po.order.value.id;
        crm.purchase_event(admin, id, PurchaseEvent::Submit)
            .await
            .unwrap();
        let waiting_po = crm.purchase_order(admin, id).await.unwrap();
        let approved_po = purchase_order(&crm, admin, acme, vec![po_line(drill, "10", "58")]).await;
        let id = approved_po.order.value.id;
        crm.purchase_event(admin, id, PurchaseEvent::Submit)
            .await
            .unwrap();
        crm.purchase_event(admin, id, PurchaseEvent::Approve)
            .await
            .unwrap();
        let approved_po = crm.purchase_order(admin, id).await.unwrap();
        crm.pay_supplier(admin, payment(acme, account, Some(id), "100.00"))
            .await
            .unwrap();
        let sold = crm.order(admin, sold.order.value.id).await.unwrap();
        let other_sold = crm.order(admin, other_sold.order.value.id).await.unwrap();
        World {
            crm,
            customer,
            main,
            second,
            drill,
            bolt,
            spare,
            opening,
            sold,
            sold_out,
            other_sold,
            other_out,
            held,
            stocktake,
            acme,
            rfq,
            draft_po,
            waiting_po,
            approved_po,
            account,
            co,
        }
    })
}

fn rfq_answer(line: Uuid, price: &str) -> RfqAnswerInput {
    RfqAnswerInput {
        rfq_line_id: line,
        unit_price: d(price),
        price_includes_tax: false,
        tax_rate: None,
        lead_days: Some(7),
    }
}

fn payment(
    supplier: Uuid,
    account: Uuid,
    order: Option<Uuid>,
    amount: &str,
) -> SupplierPaymentInput {
    let mut p = SupplierPaymentInput::builder()
        .supplier_id(supplier)
        .account_id(account)
        .method("转账".into())
        .amount(d(amount))
        .build();
    p.order_id = order;
    p
}

impl World {
    fn actor(&self, rel: Rel) -> Actor {
        self.co.actor(rel)
    }

    fn snapshot(&self) -> Vec<(&'static str, Uuid, u64)> {
        self.co.snapshot()
    }

    fn set_roles(&self, who: Actor, roles: BTreeSet<Uuid>) {
        self.co.set_roles(who, roles);
    }

    /// Adds a role to the employee.
    fn add_role(&self, who: Actor, role: Uuid) {
        block_on(async {
            let org = self.crm.org().await.unwrap();
            let mut e = org.employee(who.employee_id()).unwrap().clone();
            e.role_ids.insert(role);
            self.crm.update_employee(self.co.admin, e).await.unwrap();
        });
    }

    /// A new role with these permissions.
    fn role_with(&self, name: &str, permissions: Vec<Permission>) -> Uuid {
        block_on(async {
            self.crm
                .create_role(self.co.admin, name, permissions, false)
                .await
                .unwrap()
                .id
        })
    }
}

fn outcome<T>(op: MatrixOp, r: Result<T, Error>) -> Outcome {
    match r {
        Ok(_) => Outcome::Allowed,
        Err(Error::PermissionDenied(_)) => Outcome::Refused,
        Err(e) => panic!("{op:?}: unexpected error {e:?}"),
    }
}

/// A read that answered: `Allowed` when it answered `want`, else an error message.
fn exactly<F: PartialEq + std::fmt::Debug>(got: F, want: F) -> Result<Outcome, String> {
    if got == want {
        Ok(Outcome::Allowed)
    } else {
        Err(format!("answered {got:?}, expected {want:?}"))
    }
}

/// A report about customers' documents: `Allowed` when exactly the figures of the documents
/// the actor may see (the customer's, or for an administrator or the warehouse the customer's
/// and 周外's), `LeftOut` when nothing; anything else, a partial or leaking report, is an error
/// message.
fn figures<F: PartialEq + std::fmt::Debug + Default>(
    got: F,
    mine: F,
    all: F,
    sees_all: bool,
) -> Result<Outcome, String> {
    let want = if sees_all { all } else { mine };
    if got == want {
        Ok(Outcome::Allowed)
    } else if got == F::default() && !sees_all {
        Ok(Outcome::LeftOut)
    } else {
        Err(format!(
            "figures {got:?}; expected {want:?} or, for one who sees nothing, none"
        ))
    }
}

/// Per order line: units left to ship.
type Unshipped = BTreeMap<Uuid, Decimal>;

fn unshipped_of(order: &OrderDoc, out: &StockDocView) -> Unshipped {
    order
        .lines
        .iter()
        .map(|l| {
            let shipped: Decimal = out
                .lines
                .iter()
                .filter(|x| x.order_line_id == Some(l.id))
                .map(|x| x.quantity)
                .sum();
            (l.id, l.quantity - shipped)
        })
        .filter(|(_, left)| *left > Decimal::ZERO)
        .collect()
}

/// Per (province, industry): orders, net, gross.
type Regions = BTreeMap<(String, String), (u64, Decimal, Decimal)>;

fn region_of(
    order: &OrderDoc,
    province: &str,
    industry: &str,
) -> ((String, String), (u64, Decimal, Decimal)) {
    (
        (province.into(), industry.into()),
        (1, order.order.value.net, order.order.value.gross),
    )
}

/// Per (month, product, warehouse): units and value issued, from the stock-outs' ledger
/// entries (issues are negative entries).
type Issued = BTreeMap<(String, Uuid, Uuid), (Decimal, Decimal)>;

fn issued_of(outs: &[&StockDocView]) -> Issued {
    let mut m = Issued::new();
    for o in outs {
        for mv in &o.moves {
            let e = m
                .entry((
                    mv.move_date.format("%Y-%m").to_string(),
                    mv.product_id,
                    mv.warehouse_id,
                ))
                .or_default();
            e.0 -= mv.quantity;
            e.1 -= mv.value;
        }
    }
    m
}

/// Runs one cell as `who` (`sees_all` for an administrator or the warehouse). An error
/// message is a cell that is wrong whatever the expectation: a leak, a partial report, wrong
/// figures.
fn run(w: &World, op: MatrixOp, who: Actor, sees_all: bool) -> Result<Outcome, String> {
    let crm = &w.crm;
    let sold = w.sold.order.value.id;
    let (from, to) = (date(2026, 3, 1), date(2026, 3, 31));
    let refused_or = |e: Error| -> Result<Outcome, String> {
        match e {
            Error::PermissionDenied(_) => Ok(Outcome::Refused),
            e => panic!("{op:?}: unexpected error {e:?}"),
        }
    };
    block_on(async {
        Ok(match op {
            M::CreateWarehouse => outcome(
                op,
                crm.create_warehouse(
                    who,
                    WarehouseInput::builder()
                        .code("WH3".into())
                        .name("杭州三号仓".into())
                        .build(),
                )
                .await,
            ),
            M::Warehouses => match crm.warehouses(who).await {
                Err(e) => refused_or(e)?,
                Ok(v) => exactly(
                    v.iter().map(|x| x.id).collect::<Vec<_>>(),
                    vec![w.main, w.second],
                )?,
            },
            M::StockIn => outcome(
                op,
                crm.stock_in(
                    who,
                    StockInInput::builder()
                        .lines(vec![stock_in_line(w.bolt, w.main, "10", "0.30")])
                        .build(),
                )
                .await,
            ),
            M::TransferStock => outcome(
                op,
                crm.transfer_stock(
                    who,
                    TransferInput::builder()
                        .from_warehouse_id(w.main)
                        .to_warehouse_id(w.second)
                        .lines(vec![(w.drill, d("1"))])
                        .build(),
                )
                .await,
            ),
            M::Requisition => outcome(
                op,
                crm.requisition(
                    who,
                    RequisitionInput::builder()
                        .warehouse_id(w.main)
                        .department_id(w.co.sales_dept)
                        .lines(vec![(w.bolt, d("5"))])
                        .build(),
                )
                .await,
            ),
            M::ReceivePurchase => outcome(
                op,
                crm.receive_purchase(
                    who,
                    PurchaseReceiptInput::builder()
                        .order_id(w.approved_po.order.value.id)
                        .lines(vec![(w.approved_po.lines[0].id, w.main, d("1"))])
                        .build(),
                )
                .await,
            ),
            M::StockOut => outcome(
                op,
                crm.stock_out(
                    who,
                    StockOutInput::builder()
                        .lines(vec![out_line(w.sold.lines[0].id, w.main, "1")])
                        .build(),
                )
                .await,
            ),
            M::OrderShipping => match crm.order_shipping(who, sold).await {
                Err(e) => refused_or(e)?,
                Ok(s) => exactly(
                    s.lines
                        .iter()
                        .map(|l| (l.order_line_id, l.shipped, l.left))
                        .collect::<Vec<_>>(),
                    vec![
                        (w.sold.lines[0].id, d("1"), d("3")),
                        (w.sold.lines[1].id, d("0"), d("10")),
                    ],
                )?,
            },
            M::ReadStockOut => match crm.stock_doc(who, w.sold_out.doc.id).await {
                Err(e) => refused_or(e)?,
                Ok(v) => exactly(v, w.sold_out.clone())?,
            },
            M::ReadStockIn => match crm.stock_doc(who, w.opening.doc.id).await {
                Err(e) => refused_or(e)?,
                Ok(v) => exactly(v, w.opening.clone())?,
            },
            M::BeginStocktake => outcome(op, crm.begin_stocktake(who, w.second).await),
            M::EnterCounts => outcome(
                op,
                crm.enter_counts(who, w.stocktake, vec![(w.spare, d("5"))])
                    .await,
            ),
            M::PostStocktake => outcome(op, crm.post_stocktake(who, w.stocktake).await),
            M::StockOnHand => match crm.stock_on_hand(who, None, None).await {
                Err(e) => refused_or(e)?,
                Ok(r) => exactly(
                    (
                        r.rows
                            .iter()
                            .map(|x| (x.product_id, x.warehouse_id, x.quantity, x.value))
                            .collect::<Vec<_>>(),
                        r.total_value,
                    ),
                    (
                        vec![
                            (w.drill, w.main, d("17"), d("1020.00")),
                            (w.bolt, w.main, d("100"), d("30.00")),
                            (w.spare, w.main, d("5"), d("20.00")),
                        ],
                        d("1070.00"),
                    ),
                )?,
            },
            M::StockValueAsOf => match crm.stock_value_as_of(who, date(2026, 3, 1)).await {
                Err(e) => refused_or(e)?,
                Ok(r) => exactly(
                    (
                        r.rows
                            .iter()
                            .map(|x| (x.product_id, x.quantity, x.value))
                            .collect::<Vec<_>>(),
                        r.total_value,
                    ),
                    (
                        vec![
                            (w.drill, d("20"), d("1200.00")),
                            (w.bolt, d("100"), d("30.00")),
                            (w.spare, d("5"), d("20.00")),
                        ],
                        d("1250.00"),
                    ),
                )?,
            },
            M::StockLedger => match crm.stock_ledger(who, w.drill, None).await {
                Err(e) => refused_or(e)?,
                Ok(moves) => exactly(
                    moves.iter().map(|m| m.doc_id).collect::<Vec<_>>(),
                    vec![w.opening.doc.id, w.sold_out.doc.id, w.other_out.doc.id],
                )?,
            },
            M::SafetyStockAlerts => match crm.safety_stock_alerts(who).await {
                Err(e) => refused_or(e)?,
                Ok(a) => exactly(
                    a.iter()
                        .map(|x| (x.product_id, x.on_hand, x.safety_stock))
                        .collect::<Vec<_>>(),
                    vec![(w.drill, d("17"), d("20"))],
                )?,
            },
            M::CreateSupplier => outcome(
                op,
                crm.create_supplier(
                    who,
                    SupplierInput::builder()
                        .code("S2".into())
                        .name("温州瓯海机电有限公司".into())
                        .build(),
                )
                .await,
            ),
            M::ReadSupplier => match crm.supplier(who, w.acme).await {
                Err(e) => refused_or(e)?,
                Ok(s) => exactly((s.supplier.id, s.contacts.len()), (w.acme, 1))?,
            },
            M::Suppliers => match crm.suppliers(who).await {
                Err(e) => refused_or(e)?,
                Ok(v) => exactly(v.iter().map(|s| s.id).collect::<Vec<_>>(), vec![w.acme])?,
            },
            M::SupplierPrices => match crm.supplier_prices(who, w.drill).await {
                Err(e) => refused_or(e)?,
                // The answer to the request and the approved order, both S1's at 58.
                Ok(v) => exactly(
                    v.iter()
                        .map(|p| (p.supplier_id, p.unit_price))
                        .collect::<Vec<_>>(),
                    vec![(w.acme, d("58")), (w.acme, d("58"))],
                )?,
            },
            M::CreateRfq => outcome(
                op,
                crm.create_rfq(
                    who,
                    RfqInput::builder()
                        .lines(vec![(w.bolt, d("100"))])
                        .supplier_ids(vec![w.acme])
                        .build(),
                )
                .await,
            ),
            M::ReadRfq => match crm.rfq(who, w.rfq.rfq.id).await {
                Err(e) => refused_or(e)?,
                Ok(r) => exactly(r, w.rfq.clone())?,
            },
            M::RecordRfqAnswer => outcome(
                op,
                crm.record_rfq_answer(
                    who,
                    w.rfq.rfq.id,
                    w.acme,
                    vec![rfq_answer(w.rfq.lines[0].id, "57")],
                )
                .await,
            ),
            M::CreatePurchaseOrder => outcome(
                op,
                crm.create_purchase_order(
                    who,
                    PurchaseOrderInput::builder()
                        .supplier_id(w.acme)
                        .lines(vec![po_line(w.spare, "10", "4")])
                        .build(),
                )
                .await,
            ),
            M::PurchaseOrderFromRfq => outcome(
                op,
                crm.purchase_order_from_rfq(who, w.rfq.rfq.id, w.acme, None)
                    .await,
            ),
            M::ReadPurchaseOrder => {
                match crm.purchase_order(who, w.approved_po.order.value.id).await {
                    Err(e) => refused_or(e)?,
                    Ok(p) => exactly(p, w.approved_po.clone())?,
                }
            }
            M::SubmitPurchaseOrder => outcome(
                op,
                crm.purchase_event(who, w.draft_po.order.value.id, PurchaseEvent::Submit)
                    .await,
            ),
            M::ApprovePurchaseOrder => outcome(
                op,
                crm.purchase_event(who, w.waiting_po.order.value.id, PurchaseEvent::Approve)
                    .await,
            ),
            M::PaySupplier => outcome(
                op,
                crm.pay_supplier(who, payment(w.acme, w.account, None, "10.00"))
                    .await,
            ),
            M::RegisterSupplierInvoice => outcome(
                op,
                crm.register_supplier_invoice(
                    who,
                    SupplierInvoiceInput::builder()
                        .order_id(w.approved_po.order.value.id)
                        .kind(InvoiceKind::Special)
                        .code("3100231130".into())
                        .number("00000001".into())
                        .net(d("58.00"))
                        .tax(d("7.54"))
                        .build(),
                )
                .await,
            ),
            M::SetSupplierOpening => outcome(
                op,
                crm.set_supplier_opening(who, w.acme, date(2026, 1, 1), d("50.00"))
                    .await,
            ),
            M::Payables => match crm.payables(who).await {
                Err(e) => refused_or(e)?,
                Ok(rows) => {
                    let gross = w.approved_po.order.value.gross;
                    exactly(
                        rows.iter()
                            .map(|r| {
                                (
                                    r.supplier_id,
                                    r.opening,
                                    r.due,
                                    r.paid,
                                    r.payable,
                                    r.invoiced,
                                )
                            })
                            .collect::<Vec<_>>(),
                        vec![(
                            w.acme,
                            Decimal::ZERO,
                            gross,
                            d("100.00"),
                            gross - d("100.00"),
                            Decimal::ZERO,
                        )],
                    )?
                }
            },
            M::CreateShippingNotice => outcome(
                op,
                crm.create_shipping_notice(
                    who,
                    NoticeInput::builder()
                        .lines(vec![(w.sold.lines[1].id, d("1"))])
                        .build(),
                )
                .await,
            ),
            M::ReleaseShippingNotice => outcome(
                op,
                crm.release_shipping_notice(who, w.held.notice.value.id)
                    .await,
            ),
            M::CancelShippingNotice => outcome(
                op,
                crm.cancel_shipping_notice(who, w.held.notice.value.id)
                    .await,
            ),
            M::ReadShippingNotice => match crm.shipping_notice(who, w.held.notice.value.id).await {
                Err(e) => refused_or(e)?,
                Ok(n) => exactly(n, w.held.clone())?,
            },
            M::UnshippedGoods => match crm.unshipped_goods(who).await {
                Err(e) => refused_or(e)?,
                Ok(rows) => {
                    let got: Unshipped = rows.iter().map(|r| (r.order_line_id, r.left)).collect();
                    if got.len() != rows.len() {
                        return Err(format!("a line appears twice: {rows:?}"));
                    }
                    let mine = unshipped_of(&w.sold, &w.sold_out);
                    let mut all = mine.clone();
                    all.extend(unshipped_of(&w.other_sold, &w.other_out));
                    figures(got, mine, all, sees_all)?
                }
            },
            M::GoodsIssued => match crm.goods_issued(who, from, to).await {
                Err(e) => refused_or(e)?,
                Ok(rows) => {
                    let got: Issued = rows
                        .iter()
                        .map(|r| {
                            (
                                (r.month.clone(), r.product_id, r.warehouse_id),
                                (r.quantity, r.value),
                            )
                        })
                        .collect();
                    exactly(got, issued_of(&[&w.sold_out, &w.other_out]))?
                }
            },
            M::SalesByRegion => match crm.sales_by_region(who, from, to).await {
                Err(e) => refused_or(e)?,
                Ok(rows) => {
                    let got: Regions = rows
                        .iter()
                        .map(|r| {
                            (
                                (r.province.clone(), r.industry.clone()),
                                (r.orders, r.net, r.gross),
                            )
                        })
                        .collect();
                    let mine = Regions::from([region_of(&w.sold, "", "")]);
                    let all = Regions::from([
                        region_of(&w.sold, "", ""),
                        region_of(&w.other_sold, "广东", "电子"),
                    ]);
                    figures(got, mine, all, sees_all)?
                }
            },
            M::MarkProductionReady => outcome(
                op,
                crm.mark_production_ready(
                    who,
                    ReadyInput::builder()
                        .order_id(sold)
                        .lines(vec![(w.sold.lines[0].id, d("2"))])
                        .build(),
                )
                .await,
            ),
            M::ProductionReadiness => match crm.production_readiness(who, sold).await {
                Err(e) => refused_or(e)?,
                Ok(r) => exactly(
                    r.lines
                        .iter()
                        .map(|l| (l.order_line_id, l.ordered, l.ready, l.shipped))
                        .collect::<Vec<_>>(),
                    vec![
                        (w.sold.lines[0].id, d("4"), d("0"), d("1")),
                        (w.sold.lines[1].id, d("10"), d("0"), d("0")),
                    ],
                )?,
            },
            M::SlowMovingStock => match crm.slow_moving_stock(who, date(2026, 1, 1)).await {
                Err(e) => refused_or(e)?,
                Ok(rows) => exactly(
                    rows.iter()
                        .map(|r| (r.product_id, r.on_hand, r.value))
                        .collect::<Vec<_>>(),
                    vec![
                        (w.bolt, d("100"), d("30.00")),
                        (w.spare, d("5"), d("20.00")),
                    ],
                )?,
            },
            M::PurchaseSummary => match crm.purchase_summary(who, from, to).await {
                Err(e) => refused_or(e)?,
                Ok(rows) => {
                    let po = &w.approved_po.order.value;
                    exactly(
                        rows.iter()
                            .map(|r| (r.supplier_id, r.orders, r.net, r.tax, r.gross))
                            .collect::<Vec<_>>(),
                        vec![(w.acme, 1, po.net, po.tax, po.gross)],
                    )?
                }
            },
        })
    })
}

/// Checks every row of an area in every column; a refused or left-out cell must also leave
/// every record as it was.
fn check_area(a: Area) {
    let rows: Vec<MatrixOp> = OPS.iter().copied().filter(|&op| area(op) == a).collect();
    assert!(!rows.is_empty(), "{a:?} has no rows");
    common::check_cells(&rows, world, World::snapshot, World::actor, expected, run);
}

#[test]
fn every_goods_operation_has_a_row() {
    let rows: Vec<(MatrixOp, &'static str)> = OPS.iter().map(|&op| (op, core_fn(op))).collect();
    common::assert_matrix_covers("goods", &SOURCES, &rows);
}

#[test]
fn stock_movements_and_stock_outs_depend_on_the_role_alone() {
    check_area(Area::Movements);
}

#[test]
fn stock_reports_are_the_roles_business_and_stock_outs_are_read_as_their_customer() {
    check_area(Area::StockReads);
}

#[test]
fn purchasing_depends_on_the_role_alone() {
    check_area(Area::Purchasing);
}

#[test]
fn notices_are_written_by_the_customers_editors_and_read_and_released_by_those_who_see_it() {
    check_area(Area::Notices);
}

#[test]
fn goods_reports_about_customers_add_up_only_what_the_actor_sees_and_the_rest_everything() {
    check_area(Area::Reports);
}

#[test]
fn the_warehouse_reads_every_stock_out_notice_and_unshipped_line_whatever_the_relation() {
    let mut failures = Vec::new();
    for &op in OPS.iter().filter(|&&op| {
        alternatives(op).contains(&vec![Permission::new(Resource::StockOut, Op::View)])
    }) {
        for rel in RELS {
            let w = world();
            let role = w.role_with(
                "仓库查看",
                vec![Permission::new(Resource::StockOut, Op::View)],
            );
            w.add_role(w.actor(rel), role);
            match run(&w, op, w.actor(rel), true) {
                Ok(Outcome::Allowed) => {}
                other => failures.push(format!("{op:?} as {rel:?} with stock_out.view: {other:?}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the warehouse was refused:\n{}",
        failures.join("\n")
    );
}

#[test]
fn each_operation_is_allowed_with_exactly_its_permissions_and_refused_without_any_of_them() {
    let mut failures = Vec::new();
    let every = goods_permissions();
    for &op in OPS {
        let needed = needs(op);
        let mut sufficient = vec![needed.clone()];
        sufficient.extend(alternatives(op));
        // Each sufficient set alone (the warehouse's sees everything) is allowed to the owner.
        for set in &sufficient {
            let w = world();
            let roles = BTreeSet::from([w.role_with("恰好所需", set.clone())]);
            w.set_roles(w.co.owner, roles);
            let warehouse = set.contains(&Permission::new(Resource::StockOut, Op::View));
            match run(&w, op, w.co.owner, warehouse) {
                Ok(Outcome::Allowed) => {}
                other => failures.push(format!(
                    "{op:?} with exactly {set:?}: expected allowed, got {other:?}"
                )),
            }
        }
        // Every other permission but one needed (and no alternative): refused, even to the
        // owner, and nothing written.
        let others: BTreeSet<Permission> = alternatives(op).into_iter().flatten().collect();
        for missing in &needed {
            let w = world();
            let rest: Vec<Permission> = every
                .iter()
                .copied()
                .filter(|p| p != missing && !others.contains(p))
                .collect();
            let role = w.role_with("缺一权限", rest);
            w.set_roles(w.co.owner, BTreeSet::from([role]));
            let before = w.snapshot();
            match run(&w, op, w.co.owner, false) {
                Ok(Outcome::Refused) => {}
                other => failures.push(format!(
                    "{op:?} without {missing}: expected PermissionDenied, got {other:?}"
                )),
            }
            if w.snapshot() != before {
                failures.push(format!("{op:?} without {missing}: records changed"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission checks wrong:\n{}",
        failures.join("\n")
    );
}

#[test]
fn an_inactive_employee_may_do_nothing_even_as_owner() {
    let mut failures = Vec::new();
    for &op in OPS {
        let w = world();
        block_on(async {
            let org = w.crm.org().await.unwrap();
            let mut e = org.employee(w.co.owner.employee_id()).unwrap().clone();
            e.active = false;
            w.crm.update_employee(w.co.admin, e).await.unwrap();
        });
        let before = w.snapshot();
        match run(&w, op, w.co.owner, false) {
            Ok(Outcome::Refused) => {}
            other => failures.push(format!("{op:?}: expected PermissionDenied, got {other:?}")),
        }
        if w.snapshot() != before {
            failures.push(format!("{op:?}: records changed"));
        }
    }
    assert!(
        failures.is_empty(),
        "an inactive employee got through:\n{}",
        failures.join("\n")
    );
}

fn denied<T: std::fmt::Debug>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::PermissionDenied(_)))
}

/// The customer given to 李四 by their manager, and a new approved order of it (李四's, ADR 6),
/// while the sold order stays 张三's: a notice and a stock-out over both orders, by the
/// administrator.
struct TwoOwners {
    w: World,
    /// 李四's order: 4 bolts.
    new_order: OrderDoc,
    notice: NoticeDoc,
    out: StockDocView,
}

fn two_owners() -> TwoOwners {
    let w = world();
    block_on(async {
        let crm = &w.crm;
        crm.assign_customers(w.co.manager, &[w.customer], w.co.peer.employee_id())
            .await
            .unwrap();
        let new_order = approved_order(crm, w.co.admin, w.customer, vec![line(w.bolt, "4")]).await;
        assert_eq!(new_order.order.value.owner_id, w.co.peer.employee_id());
        let notice = crm
            .create_shipping_notice(
                w.co.admin,
                NoticeInput::builder()
                    .lines(vec![
                        (w.sold.lines[1].id, d("1")),
                        (new_order.lines[0].id, d("1")),
                    ])
                    .build(),
            )
            .await
            .unwrap();
        let out = crm
            .stock_out(
                w.co.admin,
                StockOutInput::builder()
                    .lines(vec![
                        out_line(w.sold.lines[1].id, w.main, "1"),
                        out_line(new_order.lines[0].id, w.main, "1"),
                    ])
                    .build(),
            )
            .await
            .unwrap();
        TwoOwners {
            w,
            new_order,
            notice,
            out,
        }
    })
}

#[test]
fn a_notice_over_orders_of_two_owners_is_read_released_or_cancelled_only_by_who_may_for_every_order(
) {
    let t = two_owners();
    let w = &t.w;
    let crm = &w.crm;
    let id = t.notice.notice.value.id;
    block_on(async {
        // 张三 may not read 李四's new order, nor 李四 张三's sold one: neither reads, releases or
        // withdraws a notice carrying both, whichever order it names first.
        for who in [w.co.owner, w.co.peer] {
            let r = crm.shipping_notice(who, id).await;
            assert!(denied(&r), "{who:?} read the notice: {r:?}");
            let r = crm.release_shipping_notice(who, id).await;
            assert!(denied(&r), "{who:?} released the notice: {r:?}");
            let r = crm.cancel_shipping_notice(who, id).await;
            assert!(denied(&r), "{who:?} withdrew the notice: {r:?}");
        }
        assert_eq!(
            crm.shipping_notice(w.co.admin, id).await.unwrap().notice,
            t.notice.notice
        );
        // The manager above both may; 赵六 (the customer shared to edit) may too.
        assert_eq!(
            crm.shipping_notice(w.co.manager, id).await.unwrap().lines,
            t.notice.lines
        );
        crm.release_shipping_notice(w.co.shared_person, id)
            .await
            .unwrap();
        crm.cancel_shipping_notice(w.co.manager, id).await.unwrap();
    });
}

#[test]
fn a_notice_mixing_orders_the_actor_may_not_all_change_is_refused_and_their_own_is_not() {
    let t = two_owners();
    let w = &t.w;
    let crm = &w.crm;
    let mixed = NoticeInput::builder()
        .lines(vec![
            (w.sold.lines[1].id, d("1")),
            (t.new_order.lines[0].id, d("1")),
        ])
        .build();
    let before = w.snapshot();
    for who in [w.co.owner, w.co.peer] {
        let r = block_on(crm.create_shipping_notice(who, mixed.clone()));
        assert!(denied(&r), "{who:?} wrote a notice over both orders: {r:?}");
    }
    assert_eq!(w.snapshot(), before);
    block_on(async {
        let own = crm
            .create_shipping_notice(
                w.co.peer,
                NoticeInput::builder()
                    .lines(vec![(t.new_order.lines[0].id, d("1"))])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(own.notice.value.owner_id, w.co.peer.employee_id());
        crm.create_shipping_notice(w.co.manager, mixed)
            .await
            .unwrap();
    });
}

#[test]
fn a_stock_out_over_orders_of_two_owners_is_read_only_by_who_may_read_every_order() {
    let t = two_owners();
    let w = &t.w;
    let crm = &w.crm;
    block_on(async {
        for who in [w.co.owner, w.co.peer] {
            let r = crm.stock_doc(who, t.out.doc.id).await;
            assert!(denied(&r), "{who:?} read the stock-out: {r:?}");
        }
        assert_eq!(
            crm.stock_doc(w.co.manager, t.out.doc.id).await.unwrap(),
            t.out
        );
    });
}

#[test]
fn a_goods_read_without_its_permission_is_refused_alike_for_records_that_exist_and_do_not() {
    let w = world();
    let crm = &w.crm;
    // 张三 with the customer role only: no goods permission, no sales_order.view.
    w.set_roles(w.co.owner, BTreeSet::from([w.co.full_role]));
    let who = w.co.owner;
    let nothing = Uuid::from_u128(0xdead_beef);
    block_on(async {
        for id in [w.held.notice.value.id, nothing] {
            let r = crm.shipping_notice(who, id).await;
            assert!(denied(&r), "shipping_notice({id}): {r:?}");
        }
        for id in [w.sold.order.value.id, nothing] {
            let r = crm.order_shipping(who, id).await;
            assert!(denied(&r), "order_shipping({id}): {r:?}");
        }
        for id in [w.sold_out.doc.id, w.opening.doc.id, nothing] {
            let r = crm.stock_doc(who, id).await;
            assert!(denied(&r), "stock_doc({id}): {r:?}");
        }
        for id in [w.approved_po.order.value.id, nothing] {
            let r = crm.purchase_order(who, id).await;
            assert!(denied(&r), "purchase_order({id}): {r:?}");
            let r = crm.purchase_event(who, id, PurchaseEvent::Cancel).await;
            assert!(denied(&r), "purchase_event({id}): {r:?}");
        }
        for id in [w.acme, nothing] {
            let r = crm.supplier(who, id).await;
            assert!(denied(&r), "supplier({id}): {r:?}");
        }
        for id in [w.rfq.rfq.id, nothing] {
            let r = crm.rfq(who, id).await;
            assert!(denied(&r), "rfq({id}): {r:?}");
        }
        for id in [w.stocktake, nothing] {
            let r = crm.post_stocktake(who, id).await;
            assert!(denied(&r), "post_stocktake({id}): {r:?}");
        }
        for id in [w.held.notice.value.id, nothing] {
            let r = crm.release_shipping_notice(who, id).await;
            assert!(denied(&r), "release_shipping_notice({id}): {r:?}");
            let r = crm.cancel_shipping_notice(who, id).await;
            assert!(denied(&r), "cancel_shipping_notice({id}): {r:?}");
        }
    });
}

#[test]
fn stock_view_alone_reads_movements_inside_the_company_but_not_a_customers_stock_out() {
    let w = world();
    let crm = &w.crm;
    let role = w.role_with("库存会计", vec![Permission::new(Resource::Stock, Op::View)]);
    w.set_roles(w.co.unrelated, BTreeSet::from([role]));
    block_on(async {
        assert_eq!(
            crm.stock_doc(w.co.unrelated, w.opening.doc.id)
                .await
                .unwrap(),
            w.opening
        );
        let r = crm.stock_doc(w.co.unrelated, w.sold_out.doc.id).await;
        assert!(denied(&r), "{r:?}");
        assert_eq!(w.sold_out.doc.doc_type, StockDocType::StockOut);
    });
}

#[test]
fn any_buyer_submits_a_draft_purchase_order_but_its_author_may_not_approve_it() {
    let w = world();
    let crm = &w.crm;
    block_on(async {
        // 张三 writes the order; 李四, another buyer, submits it (a draft is the purchasing
        // team's work, as sales drafts are the customer's editors').
        let po = purchase_order(crm, w.co.owner, w.acme, vec![po_line(w.bolt, "10", "0.25")]).await;
        let id = po.order.value.id;
        crm.purchase_event(w.co.peer, id, PurchaseEvent::Submit)
            .await
            .unwrap();
        // Its author holds purchase.approve but may not approve it.
        let r = crm
            .purchase_event(w.co.owner, id, PurchaseEvent::Approve)
            .await;
        assert!(denied(&r), "{r:?}");
        assert_eq!(
            crm.purchase_order(w.co.admin, id)
                .await
                .unwrap()
                .order
                .value
                .state,
            crm_core::purchase::PurchaseState::AwaitingApproval
        );
        let o = crm
            .purchase_event(w.co.manager, id, PurchaseEvent::Approve)
            .await
            .unwrap();
        assert_eq!(o.value.approved_by, Some(w.co.manager.employee_id()));
    });
}
