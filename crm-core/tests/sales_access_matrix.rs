//! The order-to-cash authorisation matrix: every public quote, order, invoice, courier,
//! printing, receipt, report and product operation × every relation an actor can have to the
//! customer whose documents it concerns → allowed or denied, each asserted.
//!
//! Every actor holds a role with every order-to-cash permission (and the fixture's customer
//! role), so that a column differs from another only by the relation. What the roles decide is
//! checked separately: each operation with exactly the permissions it needs is allowed, and
//! without any one of them is refused even to the owner. An inactive employee is refused
//! everything.
//!
//! Each cell runs in a fresh world: the customer of the fixture (owned by 张三, shared with 赵六
//! for editing and with 财务部 for reading) with a document of every kind, and a customer of
//! 周外, who stands in no relation to any actor, with documents of its own. Searches, reports
//! and look-ups must leave 周外's documents out for everyone but administrators, and their
//! figures must be exactly those of the documents the actor may see.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{block_on, Company, Outcome, Rel};
use crm_core::customer::CustomerInput;
use crm_core::org::{Actor, Op, Permission, Resource};
use crm_core::print::PrintTemplate;
use crm_core::product::{ProductInput, ProductSearch};
use crm_core::sales::{InvoiceKind, LineDraft, OrderLine, OrderState, QuoteEvent, Tracking};
use crm_core::service::{
    DocSearch, InvoiceDoc, InvoiceInput, OrderDoc, OrderInput, ProductImportOptions, QuoteInput,
    ReceiptDoc, ReceiptInput, RedInvoiceInput, TrackingInput, TrackingLookup,
};
use crm_core::settings::CompanyProfile;
use crm_core::table::{TableReader, TextEncoding};
use crm_core::Error;
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
        /// One row of the matrix: one public operation (searches and reports by what they
        /// answer).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum MatrixOp { $($name),* }
        const OPS: &[MatrixOp] = &[$(MatrixOp::$name),*];
    };
}

matrix_ops! {
    CreateQuote, ReadQuote, UpdateQuote, QuoteEvent, CopyQuote, SearchQuotes,
    CreateOrder, OrderFromQuote, ReadOrder, UpdateOrder, SubmitOrder, ApproveOrder, RejectOrder,
    CancelOrder, SearchOrders, LastPrice,
    IssueInvoice, IssueRedInvoice, ReadInvoice, OrderInvoicing,
    AddTracking, AddTrackingEvent, FindTracking,
    CompanyProfile, SetCompanyProfile, PrintQuote, PrintContract,
    CreateCashAccount, CashAccounts, SetExchangeRate, RecordReceipt, ApplyReceipt,
    SetOpeningBalance, Receivables, ReceivablesOfOne, CustomerStatement,
    SalesPerformance, ProductSales,
    CreateProduct, ReadProduct, UpdateProduct, DeleteProduct, SearchProducts, ImportProducts,
    AddProductImage, ProductImages, ProductImageBytes, SetPrimaryProductImage, RemoveProductImage,
}

use MatrixOp as M;

/// The `Crm` method each row exercises.
fn core_fn(op: MatrixOp) -> &'static str {
    match op {
        M::CreateQuote => "create_quote",
        M::ReadQuote => "quote",
        M::UpdateQuote => "update_quote",
        M::QuoteEvent => "quote_event",
        M::CopyQuote => "copy_quote",
        M::SearchQuotes => "search_quotes",
        M::CreateOrder => "create_order",
        M::OrderFromQuote => "order_from_quote",
        M::ReadOrder => "order",
        M::UpdateOrder => "update_order",
        M::SubmitOrder => "submit_order",
        M::ApproveOrder => "approve_order",
        M::RejectOrder => "reject_order",
        M::CancelOrder => "cancel_order",
        M::SearchOrders => "search_orders",
        M::LastPrice => "last_price",
        M::IssueInvoice => "issue_invoice",
        M::IssueRedInvoice => "issue_red_invoice",
        M::ReadInvoice => "invoice",
        M::OrderInvoicing => "order_invoicing",
        M::AddTracking => "add_tracking",
        M::AddTrackingEvent => "add_tracking_event",
        M::FindTracking => "find_tracking",
        M::CompanyProfile => "company_profile",
        M::SetCompanyProfile => "set_company_profile",
        M::PrintQuote => "print_quote",
        M::PrintContract => "print_contract",
        M::CreateCashAccount => "create_cash_account",
        M::CashAccounts => "cash_accounts",
        M::SetExchangeRate => "set_exchange_rate",
        M::RecordReceipt => "record_receipt",
        M::ApplyReceipt => "apply_receipt",
        M::SetOpeningBalance => "set_opening_balance",
        M::Receivables | M::ReceivablesOfOne => "receivables",
        M::CustomerStatement => "customer_statement",
        M::SalesPerformance => "sales_performance",
        M::ProductSales => "product_sales",
        M::CreateProduct => "create_product",
        M::ReadProduct => "product",
        M::UpdateProduct => "update_product",
        M::DeleteProduct => "delete_product",
        M::SearchProducts => "search_products",
        M::ImportProducts => "import_products",
        M::AddProductImage => "add_product_image",
        M::ProductImages => "product_images",
        M::ProductImageBytes => "product_image_bytes",
        M::SetPrimaryProductImage => "set_primary_product_image",
        M::RemoveProductImage => "remove_product_image",
    }
}

/// The service files whose public operations the matrix must cover, read at compile time so
/// that a new operation without a row fails `every_order_to_cash_operation_has_a_row`.
const SOURCES: [(&str, &str); 9] = [
    ("sales.rs", include_str!("../src/service/sales.rs")),
    ("invoices.rs", include_str!("../src/service/invoices.rs")),
    ("courier.rs", include_str!("../src/service/courier.rs")),
    ("print.rs", include_str!("../src/service/print.rs")),
    ("receipts.rs", include_str!("../src/service/receipts.rs")),
    ("reports.rs", include_str!("../src/service/reports.rs")),
    ("products.rs", include_str!("../src/service/products.rs")),
    (
        "product_import.rs",
        include_str!("../src/service/product_import.rs"),
    ),
    (
        "product_images.rs",
        include_str!("../src/service/product_images.rs"),
    ),
];

/// Which test checks a row: one per area, so that the areas run in parallel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Quotes,
    Orders,
    Invoices,
    Courier,
    Printing,
    Receipts,
    Reports,
    Products,
}

fn area(op: MatrixOp) -> Area {
    match op {
        M::CreateQuote
        | M::ReadQuote
        | M::UpdateQuote
        | M::QuoteEvent
        | M::CopyQuote
        | M::SearchQuotes => Area::Quotes,
        M::CreateOrder
        | M::OrderFromQuote
        | M::ReadOrder
        | M::UpdateOrder
        | M::SubmitOrder
        | M::ApproveOrder
        | M::RejectOrder
        | M::CancelOrder
        | M::SearchOrders
        | M::LastPrice => Area::Orders,
        M::IssueInvoice | M::IssueRedInvoice | M::ReadInvoice | M::OrderInvoicing => Area::Invoices,
        M::AddTracking | M::AddTrackingEvent | M::FindTracking => Area::Courier,
        M::CompanyProfile | M::SetCompanyProfile | M::PrintQuote | M::PrintContract => {
            Area::Printing
        }
        M::CreateCashAccount
        | M::CashAccounts
        | M::SetExchangeRate
        | M::RecordReceipt
        | M::ApplyReceipt
        | M::SetOpeningBalance
        | M::Receivables
        | M::ReceivablesOfOne
        | M::CustomerStatement => Area::Receipts,
        M::SalesPerformance | M::ProductSales => Area::Reports,
        M::CreateProduct
        | M::ReadProduct
        | M::UpdateProduct
        | M::DeleteProduct
        | M::SearchProducts
        | M::ImportProducts
        | M::AddProductImage
        | M::ProductImages
        | M::ProductImageBytes
        | M::SetPrimaryProductImage
        | M::RemoveProductImage => Area::Products,
    }
}

/// The expected answer for each cell, in RELS order:
/// owner, manager above, peer, subordinate, shared person (edit), shared department (read),
/// unrelated, administrator.
fn expected(op: MatrixOp) -> [bool; 8] {
    const Y: bool = true;
    const N: bool = false;
    // Documents follow their customer: seen by whoever sees the customer.
    const SEES: [bool; 8] = [Y, Y, N, N, Y, Y, N, Y];
    // Made or changed by whoever controls the customer or may edit it (not a read share).
    const EDITS: [bool; 8] = [Y, Y, N, N, Y, N, N, Y];
    // Organisation-wide records: the relation to a customer plays no part, only the role.
    const ANYONE: [bool; 8] = [Y; 8];
    match op {
        M::ReadQuote
        | M::SearchQuotes
        | M::PrintQuote
        | M::ReadOrder
        | M::SearchOrders
        | M::PrintContract
        | M::LastPrice
        | M::ReadInvoice
        | M::OrderInvoicing
        | M::FindTracking
        | M::Receivables
        | M::ReceivablesOfOne
        | M::CustomerStatement
        | M::SalesPerformance
        | M::ProductSales => SEES,
        M::CreateQuote
        | M::UpdateQuote
        | M::QuoteEvent
        | M::CopyQuote
        | M::CreateOrder
        | M::OrderFromQuote
        | M::UpdateOrder
        | M::SubmitOrder
        | M::CancelOrder => EDITS,
        // Approval is a second person's consent: the approver must see the order (and have
        // the limit), not edit it. Invoices, parcels, receipts and opening balances are
        // finance's work on an account it sees (documented "for a document/customer the actor
        // may not see"): a read share suffices.
        M::ApproveOrder
        | M::RejectOrder
        | M::IssueInvoice
        | M::IssueRedInvoice
        | M::AddTracking
        | M::AddTrackingEvent
        | M::RecordReceipt
        | M::ApplyReceipt
        | M::SetOpeningBalance => SEES,
        M::CompanyProfile
        | M::SetCompanyProfile
        | M::CreateCashAccount
        | M::CashAccounts
        | M::SetExchangeRate
        | M::CreateProduct
        | M::ReadProduct
        | M::UpdateProduct
        | M::DeleteProduct
        | M::SearchProducts
        | M::ImportProducts
        | M::AddProductImage
        | M::ProductImages
        | M::ProductImageBytes
        | M::SetPrimaryProductImage
        | M::RemoveProductImage => ANYONE,
    }
}

/// The permissions a row needs from the actor's roles: with exactly these it is allowed to the
/// owner; without any one of them it is refused.
fn needs(op: MatrixOp) -> Vec<Permission> {
    use Resource as R;
    let p = Permission::new;
    match op {
        M::CreateQuote | M::CopyQuote => vec![p(R::Quote, Op::Create)],
        M::ReadQuote | M::SearchQuotes | M::PrintQuote => vec![p(R::Quote, Op::View)],
        M::UpdateQuote | M::QuoteEvent => vec![p(R::Quote, Op::Edit)],
        M::CreateOrder | M::OrderFromQuote => vec![p(R::SalesOrder, Op::Create)],
        M::ReadOrder
        | M::SearchOrders
        | M::LastPrice
        | M::PrintContract
        | M::SalesPerformance
        | M::ProductSales => vec![p(R::SalesOrder, Op::View)],
        M::UpdateOrder | M::SubmitOrder => vec![p(R::SalesOrder, Op::Edit)],
        M::ApproveOrder | M::RejectOrder => vec![p(R::SalesOrder, Op::Approve)],
        M::CancelOrder => vec![p(R::SalesOrder, Op::Delete)],
        M::IssueInvoice | M::IssueRedInvoice => vec![p(R::Invoice, Op::Create)],
        M::ReadInvoice | M::OrderInvoicing => vec![p(R::Invoice, Op::View)],
        M::AddTracking => vec![p(R::Courier, Op::Create)],
        M::AddTrackingEvent => vec![p(R::Courier, Op::Edit)],
        M::FindTracking => vec![p(R::Courier, Op::View)],
        // Any active employee reads the printed letterhead and the list of accounts.
        M::CompanyProfile | M::CashAccounts => vec![],
        M::SetCompanyProfile | M::CreateCashAccount | M::SetExchangeRate => {
            vec![p(R::Settings, Op::Edit)]
        }
        M::RecordReceipt => vec![p(R::Receipt, Op::Create)],
        M::ApplyReceipt | M::SetOpeningBalance => vec![p(R::Receipt, Op::Edit)],
        M::Receivables | M::ReceivablesOfOne | M::CustomerStatement => {
            vec![p(R::Receipt, Op::View)]
        }
        M::CreateProduct => vec![p(R::Product, Op::Create)],
        M::ReadProduct | M::SearchProducts => vec![p(R::Product, Op::View)],
        M::UpdateProduct => vec![p(R::Product, Op::Edit)],
        M::DeleteProduct => vec![p(R::Product, Op::Delete)],
        M::ImportProducts => vec![p(R::Product, Op::Import), p(R::Product, Op::Create)],
        M::ProductImages | M::ProductImageBytes => vec![p(R::Product, Op::View)],
        M::AddProductImage | M::SetPrimaryProductImage | M::RemoveProductImage => {
            vec![p(R::Product, Op::Edit)]
        }
    }
}

/// Every order-to-cash permission: what the matrix role grants.
fn order_to_cash_permissions() -> Vec<Permission> {
    use Resource as R;
    let mut v = vec![];
    for op in [Op::View, Op::Create, Op::Edit] {
        v.push(Permission::new(R::Quote, op));
        v.push(Permission::new(R::Courier, op));
        v.push(Permission::new(R::Receipt, op));
    }
    for op in [Op::View, Op::Create, Op::Edit, Op::Delete, Op::Approve] {
        v.push(Permission::new(R::SalesOrder, op));
    }
    for op in [Op::View, Op::Create] {
        v.push(Permission::new(R::Invoice, op));
    }
    for op in [Op::View, Op::Create, Op::Edit, Op::Delete, Op::Import] {
        v.push(Permission::new(R::Product, op));
    }
    v.push(Permission::new(R::Settings, Op::Edit));
    v
}

/// The discount on the order awaiting approval, and every actor's limit once the world is
/// built (it was 5 % while the order was submitted, so that it waits).
const WAITING_DISCOUNT: &str = "0.10";
const INVOICE_CODE: &str = "3100231130";
/// The drill's primary picture (a PNG signature is all the media type check reads).
const DRILL_PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR drill photo";

/// A company with a document of every kind for the fixture's customer and for 周外's.
struct World {
    co: Company,
    /// The role with every order-to-cash permission that every actor holds.
    role: Uuid,
    /// 周外: in the top department, reporting to nobody, sharing nothing.
    outsider: Actor,
    /// The fixture's customer (owner 张三, shared with 赵六 to edit and 财务部 to read).
    customer: Uuid,
    /// 周外's customer, shared with nobody.
    other_customer: Uuid,
    /// 113.00 tax-inclusive, 13 %.
    drill: Uuid,
    /// A product no document refers to.
    spare: Uuid,
    /// The drill's pictures: the primary photo and a drawing.
    drill_photo: Uuid,
    drill_drawing: Uuid,
    account: Uuid,
    /// A draft quote, version 1.
    draft_quote: Uuid,
    /// An accepted quote and its version.
    accepted_quote: (Uuid, u64),
    /// 周外's draft quote.
    other_quote: Uuid,
    /// A draft order (one drill), version 1.
    draft_order: Uuid,
    /// An order with 10 % off awaiting approval, and its version.
    waiting_order: (Uuid, u64),
    /// An approved order (2 drills at 113.00 with tax, 10 bolts at 8.85 without), the drills invoiced, 100.00 paid.
    sold: OrderDoc,
    /// 周外's approved order (5 drills).
    other_sold: OrderDoc,
    /// The blue invoice of the sold order's drills.
    blue: InvoiceDoc,
    /// The sold order's parcel.
    parcel: Tracking,
    /// 周外's parcel.
    other_parcel: Tracking,
    /// 300.00 received, 100.00 applied to the sold order, 200.00 an advance.
    receipt: ReceiptDoc,
    /// 周外's customer paid 77.00, applied to nothing.
    other_receipt: ReceiptDoc,
}

fn product(code: &str, name: &str, price: &str, incl: bool, rate: &str) -> ProductInput {
    ProductInput::builder()
        .code(code.into())
        .name(name.into())
        .unit("个".into())
        .sale_price(d(price))
        .price_includes_tax(incl)
        .tax_rate(d(rate))
        .build()
}

fn line(product: Uuid, qty: &str) -> LineDraft {
    LineDraft::builder()
        .product_id(product)
        .quantity(d(qty))
        .build()
}

fn quote_input(customer: Uuid, lines: Vec<LineDraft>) -> QuoteInput {
    QuoteInput::builder()
        .customer_id(customer)
        .valid_until(date(2026, 3, 31))
        .lines(lines)
        .build()
}

fn order_input(customer: Uuid, lines: Vec<LineDraft>) -> OrderInput {
    OrderInput::builder()
        .customer_id(customer)
        .lines(lines)
        .build()
}

fn invoice_input(order: Uuid, number: &str, lines: Vec<(Uuid, Decimal)>) -> InvoiceInput {
    InvoiceInput::builder()
        .order_id(order)
        .kind(InvoiceKind::Special)
        .code(INVOICE_CODE.into())
        .number(number.into())
        .lines(lines)
        .build()
}

fn receipt_input(customer: Uuid, account: Uuid, amount: &str) -> ReceiptInput {
    ReceiptInput::builder()
        .customer_id(customer)
        .account_id(account)
        .method("银行转账".into())
        .amount(d(amount))
        .build()
}

fn parcel_input(carrier: &str, number: &str, order: Uuid) -> TrackingInput {
    TrackingInput::builder()
        .carrier(carrier.into())
        .tracking_number(number.into())
        .order_id(order)
        .build()
}

/// An order of `lines` for `customer`, made and submitted by `by` within their limit, so
/// approved at once; read back with its lines.
async fn approved_order(
    co: &Company,
    by: Actor,
    customer: Uuid,
    lines: Vec<LineDraft>,
) -> OrderDoc {
    let crm = &co.crm;
    let o = crm
        .create_order(by, order_input(customer, lines))
        .await
        .unwrap();
    let id = o.order.value.id;
    let s = crm.submit_order(by, id, 1).await.unwrap();
    assert_eq!(s.value.state, OrderState::Approved);
    crm.order(by, id).await.unwrap()
}

fn world() -> World {
    let co = Company::new();
    let customer = co.shared_customer("上海申达机电有限公司");
    block_on(async {
        let crm = &co.crm;
        let admin = co.admin;
        let owner = co.owner;
        let role = crm
            .create_role(admin, "订单到收款全权", order_to_cash_permissions(), false)
            .await
            .unwrap()
            .id;
        crm.set_role_discount_limit(admin, role, d("0.05"))
            .await
            .unwrap();
        let outsider = co.grant_everyone_and_hire_outsider(role).await;
        let id_of = |p: crm_core::store::Versioned<crm_core::product::Product>| p.value.id;
        let drill = id_of(
            crm.create_product(admin, product("P-1", "电钻", "113.00", true, "0.13"))
                .await
                .unwrap(),
        );
        let bolt = id_of(
            crm.create_product(admin, product("P-2", "螺栓", "8.85", false, "0.09"))
                .await
                .unwrap(),
        );
        let spare = id_of(
            crm.create_product(admin, product("P-9", "手套", "6.00", true, "0.13"))
                .await
                .unwrap(),
        );
        let drill_photo = crm
            .add_product_image(admin, drill, "drill.png", DRILL_PHOTO.to_vec())
            .await
            .unwrap()
            .id;
        let drill_drawing = crm
            .add_product_image(
                admin,
                drill,
                "drill.gif",
                b"GIF89a\x01\0\x01\0 drawing".to_vec(),
            )
            .await
            .unwrap()
            .id;
        crm.set_company_profile(
            admin,
            CompanyProfile::builder()
                .name("华东贸易有限公司".into())
                .build(),
        )
        .await
        .unwrap();
        let account = crm
            .create_cash_account(admin, "工行基本户", true, "CNY", Some("6222 0000 1111"))
            .await
            .unwrap()
            .id;

        // The fixture customer's documents, made by its owner.
        let draft_quote = crm
            .create_quote(owner, quote_input(customer, vec![line(drill, "1")]))
            .await
            .unwrap()
            .quote
            .value
            .id;
        let aq = crm
            .create_quote(owner, quote_input(customer, vec![line(bolt, "4")]))
            .await
            .unwrap()
            .quote
            .value
            .id;
        let v = crm
            .quote_event(owner, aq, 1, QuoteEvent::Send)
            .await
            .unwrap()
            .version;
        let v = crm
            .quote_event(owner, aq, v, QuoteEvent::Accept)
            .await
            .unwrap()
            .version;
        let draft_order = crm
            .create_order(owner, order_input(customer, vec![line(drill, "1")]))
            .await
            .unwrap()
            .order
            .value
            .id;
        let waiting = crm
            .create_order(
                owner,
                order_input(
                    customer,
                    vec![LineDraft::builder()
                        .product_id(drill)
                        .quantity(d("1"))
                        .discount(d(WAITING_DISCOUNT))
                        .build()],
                ),
            )
            .await
            .unwrap()
            .order
            .value
            .id;
        let w = crm.submit_order(owner, waiting, 1).await.unwrap();
        assert_eq!(w.value.state, OrderState::AwaitingApproval);
        let sold = approved_order(
            &co,
            owner,
            customer,
            vec![line(drill, "2"), line(bolt, "10")],
        )
        .await;
        let blue = crm
            .issue_invoice(
                owner,
                invoice_input(
                    sold.order.value.id,
                    "00000001",
                    vec![(sold.lines[0].id, d("2"))],
                ),
            )
            .await
            .unwrap();
        let parcel = crm
            .add_tracking(
                owner,
                parcel_input("顺丰", "SF1000000001", sold.order.value.id),
            )
            .await
            .unwrap();
        let mut pay = receipt_input(customer, account, "300.00");
        pay.allocations = vec![(sold.order.value.id, d("100.00"))];
        let receipt = crm.record_receipt(owner, pay).await.unwrap();
        crm.set_opening_balance(owner, customer, d("50.00"), date(2026, 1, 31))
            .await
            .unwrap();

        // 周外's customer and documents.
        let other_customer = crm
            .create_customer(
                outsider,
                CustomerInput::builder()
                    .name("深圳外联电子有限公司".into())
                    .build(),
                vec![],
            )
            .await
            .unwrap()
            .customer
            .value
            .id;
        let other_quote = crm
            .create_quote(
                outsider,
                quote_input(other_customer, vec![line(drill, "9")]),
            )
            .await
            .unwrap()
            .quote
            .value
            .id;
        let other_sold =
            approved_order(&co, outsider, other_customer, vec![line(drill, "5")]).await;
        let other_parcel = crm
            .add_tracking(
                outsider,
                parcel_input("圆通", "YT2000000002", other_sold.order.value.id),
            )
            .await
            .unwrap();
        let other_receipt = crm
            .record_receipt(outsider, receipt_input(other_customer, account, "77.00"))
            .await
            .unwrap();
        crm.set_opening_balance(outsider, other_customer, d("10.00"), date(2026, 1, 31))
            .await
            .unwrap();

        // From now on everyone's limit covers the waiting order: approving it depends on the
        // relation alone.
        crm.set_role_discount_limit(admin, role, d(WAITING_DISCOUNT))
            .await
            .unwrap();
        // Read back: invoicing and receipts bumped the sold order's version.
        let sold = crm.order(admin, sold.order.value.id).await.unwrap();
        World {
            role,
            outsider,
            customer,
            other_customer,
            drill,
            spare,
            drill_photo,
            drill_drawing,
            account,
            draft_quote,
            accepted_quote: (aq, v),
            other_quote,
            draft_order,
            waiting_order: (waiting, w.version),
            sold,
            other_sold,
            blue,
            parcel,
            other_parcel,
            receipt,
            other_receipt,
            co,
        }
    })
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

    /// A new role with these permissions and the matrix's discount limit.
    fn role_with(&self, name: &str, permissions: Vec<Permission>) -> Uuid {
        block_on(async {
            let crm = &self.co.crm;
            let r = crm
                .create_role(self.co.admin, name, permissions, false)
                .await
                .unwrap();
            crm.set_role_discount_limit(self.co.admin, r.id, d(WAITING_DISCOUNT))
                .await
                .unwrap();
            r.id
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

/// A search page: `Allowed` when it lists `target`, `LeftOut` when not; an error message when
/// it lists (or counts) a document of a customer the actor may not see, or when an
/// administrator does not get 周外's.
fn listed(
    w: &World,
    items: &[(Uuid, Uuid)],
    total: u64,
    target: Uuid,
    sees_all: bool,
) -> Result<Outcome, String> {
    if total != items.len() as u64 {
        return Err(format!(
            "the total {total} counts records the page does not list ({})",
            items.len()
        ));
    }
    let theirs = items.iter().any(|&(_, c)| c == w.other_customer);
    if !sees_all && items.iter().any(|&(_, c)| c != w.customer) {
        return Err(format!(
            "lists documents of customers the actor may not see: {items:?}"
        ));
    }
    if sees_all && !theirs {
        return Err("an administrator does not see 周外's documents".into());
    }
    Ok(if items.iter().any(|&(id, _)| id == target) {
        Outcome::Allowed
    } else {
        Outcome::LeftOut
    })
}

/// A report's figures: `Allowed` when exactly those of the documents the actor may see (the
/// customer's, or for an administrator the customer's and 周外's), `LeftOut` when nothing;
/// anything else, a partial or leaking report, is an error message.
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

/// Orders, net, gross and received of a salesperson performance report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Perf {
    orders: u64,
    net: Decimal,
    gross: Decimal,
    received: Decimal,
}

impl std::ops::Add for Perf {
    type Output = Perf;
    fn add(self, o: Perf) -> Perf {
        Perf {
            orders: self.orders + o.orders,
            net: self.net + o.net,
            gross: self.gross + o.gross,
            received: self.received + o.received,
        }
    }
}

fn perf_of(order: &OrderDoc, receipt: &ReceiptDoc) -> Perf {
    Perf {
        orders: 1,
        net: order.order.value.net,
        gross: order.order.value.gross,
        received: receipt.receipt.value.amount_cny,
    }
}

/// Per product: lines, quantity, net, tax, gross.
type ProductFigures = BTreeMap<Uuid, (u64, Decimal, Decimal, Decimal, Decimal)>;

fn product_figures<'a>(lines: impl IntoIterator<Item = &'a OrderLine>) -> ProductFigures {
    let mut m = ProductFigures::new();
    for l in lines {
        let e = m.entry(l.product_id).or_default();
        *e = (
            e.0 + 1,
            e.1 + l.quantity,
            e.2 + l.net,
            e.3 + l.tax,
            e.4 + l.gross,
        );
    }
    m
}

/// Per customer: opening, due, received, credited, balance, unapplied.
type ReceivableFigures = BTreeMap<Uuid, [Decimal; 6]>;

impl World {
    fn receivable_of_customer(&self) -> (Uuid, [Decimal; 6]) {
        let due = self.sold.order.value.gross;
        let opening = d("50.00");
        let received = self.receipt.receipt.value.amount_cny;
        (
            self.customer,
            [
                opening,
                due,
                received,
                Decimal::ZERO,
                opening + due - received,
                received - d("100.00"),
            ],
        )
    }

    fn receivable_of_other(&self) -> (Uuid, [Decimal; 6]) {
        let due = self.other_sold.order.value.gross;
        let opening = d("10.00");
        let received = self.other_receipt.receipt.value.amount_cny;
        (
            self.other_customer,
            [
                opening,
                due,
                received,
                Decimal::ZERO,
                opening + due - received,
                received,
            ],
        )
    }
}

const PRODUCT_FILE: &str = "商品编码,商品名称,单位,销售单价,税率\nM-1,矩阵导入件,个,10.00,13%\n";

/// Runs one cell as `who` (`sees_all` for an administrator). An error message is a cell that is
/// wrong whatever the expectation: a leak, a partial report, wrong figures.
fn run(w: &World, op: MatrixOp, who: Actor, sees_all: bool) -> Result<Outcome, String> {
    let crm = &w.co.crm;
    let sold = w.sold.order.value.id;
    let (from, to) = (date(2026, 3, 1), date(2026, 3, 31));
    let quotes = DocSearch {
        limit: 100,
        ..DocSearch::default()
    };
    let orders = DocSearch {
        limit: 100,
        ..DocSearch::default()
    };
    block_on(async {
        Ok(match op {
            M::CreateQuote => outcome(
                op,
                crm.create_quote(who, quote_input(w.customer, vec![line(w.drill, "1")]))
                    .await,
            ),
            M::ReadQuote => outcome(op, crm.quote(who, w.draft_quote).await),
            M::UpdateQuote => outcome(
                op,
                crm.update_quote(
                    who,
                    w.draft_quote,
                    1,
                    quote_input(w.customer, vec![line(w.drill, "2")]),
                )
                .await,
            ),
            M::QuoteEvent => outcome(
                op,
                crm.quote_event(who, w.draft_quote, 1, QuoteEvent::Send)
                    .await,
            ),
            M::CopyQuote => outcome(op, crm.copy_quote(who, w.draft_quote, None).await),
            M::SearchQuotes => match crm.search_quotes(who, &quotes).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(page) => {
                    let items: Vec<_> = page.items.iter().map(|q| (q.id, q.customer_id)).collect();
                    if sees_all && !items.iter().any(|&(id, _)| id == w.other_quote) {
                        return Err("an administrator does not see 周外's quote".into());
                    }
                    listed(w, &items, page.total, w.draft_quote, sees_all)?
                }
            },
            M::CreateOrder => outcome(
                op,
                crm.create_order(who, order_input(w.customer, vec![line(w.drill, "1")]))
                    .await,
            ),
            M::OrderFromQuote => {
                let (q, v) = w.accepted_quote;
                outcome(op, crm.order_from_quote(who, q, v).await)
            }
            M::ReadOrder => outcome(op, crm.order(who, sold).await),
            M::UpdateOrder => outcome(
                op,
                crm.update_order(
                    who,
                    w.draft_order,
                    1,
                    order_input(w.customer, vec![line(w.drill, "2")]),
                )
                .await,
            ),
            M::SubmitOrder => outcome(op, crm.submit_order(who, w.draft_order, 1).await),
            M::ApproveOrder => {
                let (o, v) = w.waiting_order;
                outcome(op, crm.approve_order(who, o, v).await)
            }
            M::RejectOrder => {
                let (o, v) = w.waiting_order;
                outcome(op, crm.reject_order(who, o, v).await)
            }
            M::CancelOrder => outcome(op, crm.cancel_order(who, w.draft_order, 1).await),
            M::SearchOrders => match crm.search_orders(who, &orders).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(page) => {
                    let items: Vec<_> = page.items.iter().map(|o| (o.id, o.customer_id)).collect();
                    listed(w, &items, page.total, sold, sees_all)?
                }
            },
            M::LastPrice => match crm.last_price(who, w.customer, w.drill).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(Some(p)) if p.order_id == sold && p.unit_price == d("113.00") => {
                    Outcome::Allowed
                }
                Ok(other) => return Err(format!("the last price is {other:?}")),
            },
            M::IssueInvoice => outcome(
                op,
                crm.issue_invoice(
                    who,
                    invoice_input(sold, "00000002", vec![(w.sold.lines[1].id, d("1"))]),
                )
                .await,
            ),
            M::IssueRedInvoice => outcome(
                op,
                crm.issue_red_invoice(
                    who,
                    RedInvoiceInput::builder()
                        .blue_invoice_id(w.blue.invoice.id)
                        .code(INVOICE_CODE.into())
                        .number("00000003".into())
                        .reason("退货".into())
                        .lines(vec![(w.blue.lines[0].id, d("1"))])
                        .build(),
                )
                .await,
            ),
            M::ReadInvoice => outcome(op, crm.invoice(who, w.blue.invoice.id).await),
            M::OrderInvoicing => outcome(op, crm.order_invoicing(who, sold).await),
            M::AddTracking => outcome(
                op,
                crm.add_tracking(who, parcel_input("圆通", "YT3000000003", sold))
                    .await,
            ),
            M::AddTrackingEvent => outcome(
                op,
                crm.add_tracking_event(
                    who,
                    w.parcel.id,
                    Utc.with_ymd_and_hms(2026, 3, 2, 18, 0, 0).unwrap(),
                    "运输中",
                    Some("杭州转运中心"),
                )
                .await,
            ),
            M::FindTracking => {
                let number = |t: &Tracking| TrackingLookup::Number(t.tracking_number.clone());
                let theirs = match crm.find_tracking(who, &number(&w.other_parcel)).await {
                    Err(Error::PermissionDenied(_)) => return Ok(Outcome::Refused),
                    Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                    Ok(found) => found,
                };
                if theirs.is_empty() == sees_all {
                    return Err(format!("周外's parcel by number: {theirs:?}"));
                }
                let by_order = crm
                    .find_tracking(who, &TrackingLookup::Order(w.other_sold.order.value.id))
                    .await
                    .unwrap();
                if by_order.is_empty() == sees_all {
                    return Err(format!("周外's parcel by order: {by_order:?}"));
                }
                let mine = crm.find_tracking(who, &number(&w.parcel)).await.unwrap();
                match mine.as_slice() {
                    [] => Outcome::LeftOut,
                    [t] if t.tracking.id == w.parcel.id => Outcome::Allowed,
                    other => return Err(format!("found {other:?}")),
                }
            }
            M::CompanyProfile => match crm.company_profile(who).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(p) if p.name == "华东贸易有限公司" => Outcome::Allowed,
                Ok(p) => return Err(format!("the profile read is {p:?}")),
            },
            M::SetCompanyProfile => outcome(
                op,
                crm.set_company_profile(
                    who,
                    CompanyProfile::builder()
                        .name("华东贸易股份有限公司".into())
                        .build(),
                )
                .await,
            ),
            M::PrintQuote => outcome(
                op,
                crm.print_quote(who, w.draft_quote, &PrintTemplate::default_quote())
                    .await,
            ),
            M::PrintContract => outcome(
                op,
                crm.print_contract(who, sold, &PrintTemplate::default_contract())
                    .await,
            ),
            M::CreateCashAccount => outcome(
                op,
                crm.create_cash_account(who, "现金", false, "CNY", None)
                    .await,
            ),
            M::CashAccounts => match crm.cash_accounts(who).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(v) if v.iter().any(|a| a.id == w.account) => Outcome::Allowed,
                Ok(v) => return Err(format!("the accounts listed are {v:?}")),
            },
            M::SetExchangeRate => outcome(
                op,
                crm.set_exchange_rate(who, "USD", date(2026, 3, 2), d("7.1"))
                    .await,
            ),
            M::RecordReceipt => outcome(
                op,
                crm.record_receipt(who, receipt_input(w.customer, w.account, "10.00"))
                    .await,
            ),
            M::ApplyReceipt => outcome(
                op,
                crm.apply_receipt(who, w.receipt.receipt.value.id, &[(sold, d("50.00"))])
                    .await,
            ),
            M::SetOpeningBalance => outcome(
                op,
                crm.set_opening_balance(who, w.customer, d("80.00"), date(2026, 1, 31))
                    .await,
            ),
            M::Receivables => match crm.receivables(who, date(2026, 3, 31), None).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(rows) => {
                    let got: ReceivableFigures = rows
                        .iter()
                        .map(|r| {
                            (
                                r.customer_id,
                                [
                                    r.opening,
                                    r.due,
                                    r.received,
                                    r.credited,
                                    r.balance,
                                    r.unapplied,
                                ],
                            )
                        })
                        .collect();
                    let mine = ReceivableFigures::from([w.receivable_of_customer()]);
                    let all = ReceivableFigures::from([
                        w.receivable_of_customer(),
                        w.receivable_of_other(),
                    ]);
                    figures(got, mine, all, sees_all)?
                }
            },
            M::ReceivablesOfOne => {
                match crm
                    .receivables(who, date(2026, 3, 31), Some(w.customer))
                    .await
                {
                    Err(Error::PermissionDenied(_)) => Outcome::Refused,
                    Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                    Ok(rows) => {
                        let got: Vec<_> = rows
                            .iter()
                            .map(|r| {
                                (
                                    r.customer_id,
                                    [
                                        r.opening,
                                        r.due,
                                        r.received,
                                        r.credited,
                                        r.balance,
                                        r.unapplied,
                                    ],
                                )
                            })
                            .collect();
                        if got != [w.receivable_of_customer()] {
                            return Err(format!("the customer's receivable is {got:?}"));
                        }
                        Outcome::Allowed
                    }
                }
            }
            M::CustomerStatement => match crm.customer_statement(who, w.customer).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(lines) => {
                    let got: Vec<_> = lines
                        .iter()
                        .map(|l| (l.entry, l.debit, l.credit, l.balance))
                        .collect();
                    let [opening, due, received, _, balance, _] = w.receivable_of_customer().1;
                    let want = vec![
                        ("opening", opening, Decimal::ZERO, opening),
                        ("order", due, Decimal::ZERO, opening + due),
                        ("receipt", Decimal::ZERO, received, balance),
                    ];
                    if got != want {
                        return Err(format!("the statement is {got:?}, not {want:?}"));
                    }
                    Outcome::Allowed
                }
            },
            M::SalesPerformance => match crm.sales_performance(who, from, to).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(p) => {
                    let by_employee = p.by_employee.iter().fold(Perf::default(), |a, r| {
                        a + Perf {
                            orders: r.orders,
                            net: r.net,
                            gross: r.gross,
                            received: r.received,
                        }
                    });
                    let by_department = p.by_department.iter().fold(Perf::default(), |a, r| {
                        a + Perf {
                            orders: r.orders,
                            net: r.net,
                            gross: r.gross,
                            received: r.received,
                        }
                    });
                    let mine = perf_of(&w.sold, &w.receipt);
                    let all = mine + perf_of(&w.other_sold, &w.other_receipt);
                    let owners: BTreeSet<Uuid> =
                        p.by_employee.iter().map(|r| r.employee_id).collect();
                    let mut allowed_owners = BTreeSet::from([w.co.owner.employee_id()]);
                    if sees_all {
                        allowed_owners.insert(w.outsider.employee_id());
                    }
                    if !owners.is_subset(&allowed_owners) {
                        return Err(format!("rows for salespeople {owners:?}"));
                    }
                    let e = figures(by_employee, mine, all, sees_all)?;
                    let dep = figures(by_department, mine, all, sees_all)?;
                    if e != dep {
                        return Err(format!(
                            "per salesperson {by_employee:?}, per department {by_department:?}"
                        ));
                    }
                    e
                }
            },
            M::ProductSales => match crm.product_sales(who, from, to).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(rows) => {
                    let got: ProductFigures = rows
                        .iter()
                        .map(|r| (r.product_id, (r.lines, r.quantity, r.net, r.tax, r.gross)))
                        .collect();
                    if got.len() != rows.len() {
                        return Err(format!("a product appears twice: {rows:?}"));
                    }
                    let mine = product_figures(&w.sold.lines);
                    let all = product_figures(w.sold.lines.iter().chain(&w.other_sold.lines));
                    figures(got, mine, all, sees_all)?
                }
            },
            M::CreateProduct => outcome(
                op,
                crm.create_product(who, product("P-8", "扳手", "25.00", true, "0.13"))
                    .await,
            ),
            M::ReadProduct => outcome(op, crm.product(who, w.drill).await),
            M::UpdateProduct => outcome(
                op,
                crm.update_product(
                    who,
                    w.spare,
                    1,
                    product("P-9", "手套", "6.50", true, "0.13"),
                )
                .await,
            ),
            M::DeleteProduct => outcome(op, crm.delete_product(who, w.spare, 1).await),
            M::SearchProducts => match crm.search_products(who, &ProductSearch::default()).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(page) if page.items.iter().any(|p| p.id == w.drill) => Outcome::Allowed,
                Ok(page) => return Err(format!("the catalogue listed is {:?}", page.items)),
            },
            M::ImportProducts => {
                let source = || {
                    TableReader::csv(
                        Cursor::new(PRODUCT_FILE.as_bytes().to_vec()),
                        TextEncoding::Auto,
                    )
                };
                match crm
                    .import_products(who, source, &ProductImportOptions::default(), |_| {})
                    .await
                {
                    Err(Error::PermissionDenied(_)) => Outcome::Refused,
                    Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                    Ok(r) if r.written && r.created == 1 => Outcome::Allowed,
                    Ok(r) => return Err(format!("the import wrote nothing: {r:?}")),
                }
            }
            M::AddProductImage => outcome(
                op,
                crm.add_product_image(
                    who,
                    w.spare,
                    "spare.jpg",
                    b"\xff\xd8\xff\xe0 spare".to_vec(),
                )
                .await,
            ),
            M::ProductImages => match crm.product_images(who, w.drill).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(list) if list.first().map(|i| i.id) == Some(w.drill_photo) => Outcome::Allowed,
                Ok(list) => return Err(format!("the drill's pictures are {list:?}")),
            },
            M::ProductImageBytes => match crm.product_image_bytes(who, w.drill_photo).await {
                Err(Error::PermissionDenied(_)) => Outcome::Refused,
                Err(e) => panic!("{op:?}: unexpected error {e:?}"),
                Ok(b) if b.bytes == DRILL_PHOTO && b.media_type == "image/png" => Outcome::Allowed,
                Ok(b) => return Err(format!("the drill's photo reads as {b:?}")),
            },
            M::SetPrimaryProductImage => outcome(
                op,
                crm.set_primary_product_image(who, w.drill_drawing).await,
            ),
            M::RemoveProductImage => {
                outcome(op, crm.remove_product_image(who, w.drill_drawing).await)
            }
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
fn every_order_to_cash_operation_has_a_row() {
    let rows: Vec<(MatrixOp, &'static str)> = OPS.iter().map(|&op| (op, core_fn(op))).collect();
    common::assert_matrix_covers("order-to-cash", &SOURCES, &rows);
}

#[test]
fn quotes_are_seen_as_their_customer_and_changed_by_those_who_may_edit_it() {
    check_area(Area::Quotes);
}

#[test]
fn orders_are_seen_as_their_customer_changed_by_its_editors_and_approved_by_those_who_see_them() {
    check_area(Area::Orders);
}

#[test]
fn invoices_are_issued_and_read_by_those_who_see_the_order() {
    check_area(Area::Invoices);
}

#[test]
fn parcels_are_recorded_and_found_only_by_those_who_see_the_order() {
    check_area(Area::Courier);
}

#[test]
fn documents_print_for_those_who_see_them_and_the_letterhead_is_the_roles_business() {
    check_area(Area::Printing);
}

#[test]
fn receipts_and_receivables_show_only_accounts_the_actor_sees() {
    check_area(Area::Receipts);
}

#[test]
fn sales_reports_add_up_only_documents_of_customers_the_actor_sees() {
    check_area(Area::Reports);
}

#[test]
fn the_product_catalogue_depends_on_the_role_alone() {
    check_area(Area::Products);
}

#[test]
fn each_operation_is_allowed_with_exactly_its_permissions_and_refused_without_any_of_them() {
    let mut failures = Vec::new();
    let mut every = common::all_customer_permissions();
    every.extend(order_to_cash_permissions());
    for &op in OPS {
        let needed = needs(op);
        // Exactly the permissions needed (none: no role at all) suffice for the owner.
        let w = world();
        let roles = if needed.is_empty() {
            BTreeSet::new()
        } else {
            BTreeSet::from([w.role_with("恰好所需", needed.clone())])
        };
        w.set_roles(w.co.owner, roles);
        match run(&w, op, w.co.owner, false) {
            Ok(Outcome::Allowed) => {}
            other => failures.push(format!(
                "{op:?} with exactly {needed:?}: expected allowed, got {other:?}"
            )),
        }
        // Every other permission but one needed: refused, even to the owner, and nothing
        // written.
        for missing in &needed {
            let w = world();
            let rest: Vec<Permission> = every.iter().copied().filter(|p| p != missing).collect();
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
            let org = w.co.crm.org().await.unwrap();
            let mut e = org.employee(w.co.owner.employee_id()).unwrap().clone();
            e.active = false;
            w.co.crm.update_employee(w.co.admin, e).await.unwrap();
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

#[test]
fn an_approver_whose_limit_does_not_cover_the_largest_discount_is_refused() {
    let w = world();
    let crm = &w.co.crm;
    let (id, v) = w.waiting_order;
    block_on(async {
        // Just below the order's 10 %: refused, even to the owner's manager, and it waits on.
        crm.set_role_discount_limit(w.co.admin, w.role, d("0.0999"))
            .await
            .unwrap();
        let r = crm.approve_order(w.co.manager, id, v).await;
        assert!(
            matches!(&r, Err(Error::PermissionDenied(m)) if m.contains("limit")),
            "{r:?}"
        );
        let o = crm.order(w.co.admin, id).await.unwrap().order;
        assert_eq!(
            (o.value.state, o.version),
            (OrderState::AwaitingApproval, v)
        );
        // A limit of exactly the discount covers it.
        crm.set_role_discount_limit(w.co.admin, w.role, d(WAITING_DISCOUNT))
            .await
            .unwrap();
        let o = crm.approve_order(w.co.manager, id, v).await.unwrap();
        assert_eq!(o.value.state, OrderState::Approved);
        assert_eq!(o.value.approved_by, Some(w.co.manager.employee_id()));
    });
}

#[test]
fn an_author_beyond_their_limit_can_neither_self_approve_on_submission_nor_approve_afterwards() {
    let w = world();
    let crm = &w.co.crm;
    block_on(async {
        crm.set_role_discount_limit(w.co.admin, w.role, d("0.05"))
            .await
            .unwrap();
        let o = crm
            .create_order(
                w.co.owner,
                order_input(
                    w.customer,
                    vec![LineDraft::builder()
                        .product_id(w.drill)
                        .quantity(d("1"))
                        .discount(d("0.06"))
                        .build()],
                ),
            )
            .await
            .unwrap();
        let id = o.order.value.id;
        let s = crm.submit_order(w.co.owner, id, 1).await.unwrap();
        assert_eq!(s.value.state, OrderState::AwaitingApproval);
        assert_eq!(s.value.approved_by, None);
        // The owner holds sales_order.approve, but not the limit.
        let r = crm.approve_order(w.co.owner, id, s.version).await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        assert_eq!(
            crm.order(w.co.admin, id).await.unwrap().order.value.state,
            OrderState::AwaitingApproval
        );
    });
}

#[test]
fn a_quote_is_copied_only_to_a_customer_the_actor_may_edit() {
    let w = world();
    let crm = &w.co.crm;
    block_on(async {
        // The owner sees the quote but not 周外's customer.
        let r = crm
            .copy_quote(w.co.owner, w.draft_quote, Some(w.other_customer))
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        // 周外 may edit their own customer, but does not see the quote to copy.
        let r = crm
            .copy_quote(w.outsider, w.draft_quote, Some(w.other_customer))
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        // Copying to a customer one may edit is allowed: the copy belongs to that customer.
        let c = crm
            .copy_quote(w.co.admin, w.draft_quote, Some(w.other_customer))
            .await
            .unwrap();
        assert_eq!(c.quote.value.customer_id, w.other_customer);
        assert_eq!(c.quote.value.owner_id, w.outsider.employee_id());
    });
}

#[test]
fn a_parcel_or_receipt_cannot_reach_an_invisible_document_through_another_reference() {
    let w = world();
    let crm = &w.co.crm;
    block_on(async {
        // A parcel for 周外's order, recorded by the owner: refused.
        let r = crm
            .add_tracking(
                w.co.owner,
                parcel_input("中通", "ZT4000000004", w.other_sold.order.value.id),
            )
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        // A receipt of a visible customer applied to 周外's order, which the owner may not
        // read: refused as such, without saying whose order it is.
        let r = crm
            .apply_receipt(
                w.co.owner,
                w.receipt.receipt.value.id,
                &[(w.other_sold.order.value.id, d("1.00"))],
            )
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        // 周外 may not apply the customer's advance to their own order.
        let r = crm
            .apply_receipt(
                w.outsider,
                w.receipt.receipt.value.id,
                &[(w.other_sold.order.value.id, d("1.00"))],
            )
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        // A red-letter invoice against the customer's invoice by 周外: refused.
        let r = crm
            .issue_red_invoice(
                w.outsider,
                RedInvoiceInput::builder()
                    .blue_invoice_id(w.blue.invoice.id)
                    .code(INVOICE_CODE.into())
                    .number("00000009".into())
                    .reason("退货".into())
                    .build(),
            )
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        // Searching 周外's customer by id lists none of its documents to the owner.
        let page = crm
            .search_orders(
                w.co.owner,
                &DocSearch {
                    customer_id: Some(w.other_customer),
                    ..DocSearch::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((page.items.len(), page.total), (0, 0));
    });
}

/// 张三's customer given to 李四 by their manager: the documents made so far stay 张三's (ADR 6),
/// so 李四 may not read the sold order or the receipt.
fn reassigned() -> World {
    let w = world();
    block_on(async {
        let crm = &w.co.crm;
        crm.assign_customers(w.co.manager, &[w.customer], w.co.peer.employee_id())
            .await
            .unwrap();
        let r = crm.order(w.co.peer, w.sold.order.value.id).await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
    });
    w
}

#[test]
fn after_a_reassignment_statements_show_no_document_the_actor_may_not_read() {
    let w = reassigned();
    let crm = &w.co.crm;
    block_on(async {
        let peer = w.co.peer;
        let hidden = [
            w.sold.order.value.number.clone(),
            w.receipt.receipt.value.number.clone(),
        ];
        match crm.customer_statement(peer, w.customer).await {
            Err(Error::PermissionDenied(_)) => {}
            Err(e) => panic!("{e:?}"),
            Ok(lines) => assert!(
                lines.iter().all(|l| !hidden.contains(&l.number)),
                "李四's statement lists 张三's documents: {lines:?}"
            ),
        }
        match crm.receivables(peer, date(2026, 3, 31), None).await {
            Err(Error::PermissionDenied(_)) => {}
            Err(e) => panic!("{e:?}"),
            Ok(rows) => assert!(
                rows.iter()
                    .all(|r| r.due == Decimal::ZERO && r.received == Decimal::ZERO),
                "李四's receivables add up 张三's documents: {rows:?}"
            ),
        }
    });
}

#[test]
fn a_receipt_is_not_applied_to_an_order_the_actor_may_not_read() {
    let w = reassigned();
    let crm = &w.co.crm;
    block_on(async {
        let peer = w.co.peer;
        let sold = w.sold.order.value.id;
        let before = crm.order(w.co.admin, sold).await.unwrap().order.version;
        let mut pay = receipt_input(w.customer, w.account, "5.00");
        pay.allocations = vec![(sold, d("5.00"))];
        let r = crm.record_receipt(peer, pay).await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        let advance = crm
            .record_receipt(peer, receipt_input(w.customer, w.account, "5.00"))
            .await
            .unwrap();
        let r = crm
            .apply_receipt(peer, advance.receipt.value.id, &[(sold, d("5.00"))])
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        assert_eq!(
            crm.order(w.co.admin, sold).await.unwrap().order.version,
            before
        );
    });
}
