//! Purchasing rules against the in-memory store: suppliers and their duplicates, requests for
//! quotation and the cheapest answer, purchase orders and four-eyes approval, partial stock-ins
//! that take in the order's net to the fen, payments, input invoices and the payables identity.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;

use common::{block_on, Company};
use crm_core::org::{Actor, Op, Permission, Resource};
use crm_core::product::ProductInput;
use crm_core::purchase::{PurchaseEvent, PurchaseState};
use crm_core::sales::InvoiceKind;
use crm_core::service::{
    NewEmployee, PurchaseLineInput, PurchaseOrderInput, PurchaseReceiptInput, RfqAnswerInput,
    RfqInput, SupplierInput, SupplierInvoiceInput, SupplierPaymentInput, WarehouseInput,
};
use crm_core::{Crm, Error};
use rust_decimal::Decimal;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

struct Buyers {
    co: Company,
    /// 采购员: suppliers, purchase view/create/edit, payables, stock-in.
    buyer: Actor,
    /// 采购经理: approves purchase orders.
    approver: Actor,
    warehouse: Uuid,
    drill: Uuid,
    bolt: Uuid,
    acme: Uuid,
    bestco: Uuid,
    account: Uuid,
}

fn buyers() -> Buyers {
    let co = Company::new();
    let ids = block_on(async {
        let crm = &co.crm;
        let mut perms = Vec::new();
        for op in [Op::View, Op::Create, Op::Edit] {
            perms.push(Permission::new(Resource::Supplier, op));
            perms.push(Permission::new(Resource::Purchase, op));
            perms.push(Permission::new(Resource::Payable, op));
            perms.push(Permission::new(Resource::Stock, op));
            perms.push(Permission::new(Resource::Warehouse, op));
        }
        let role = crm
            .create_role(co.admin, "采购", perms, false)
            .await
            .unwrap();
        let approve = crm
            .create_role(
                co.admin,
                "采购审批",
                [
                    Permission::new(Resource::Purchase, Op::View),
                    Permission::new(Resource::Purchase, Op::Approve),
                ],
                false,
            )
            .await
            .unwrap();
        let org = crm.org().await.unwrap();
        let root = org.employee(co.admin.employee_id()).unwrap().department_id;
        let mk = |code: &str, name: &str, roles: BTreeSet<Uuid>| {
            NewEmployee::builder()
                .code(code.into())
                .name(name.into())
                .department_id(root)
                .manager_id(None)
                .role_ids(roles)
                .build()
        };
        let buyer = crm
            .create_employee(
                co.admin,
                mk("caigou", "吴采购", BTreeSet::from([role.id, approve.id])),
            )
            .await
            .unwrap();
        let approver = crm
            .create_employee(
                co.admin,
                mk("jingli", "郑经理", BTreeSet::from([approve.id])),
            )
            .await
            .unwrap();
        let buyer = Actor::new(buyer.id);
        let warehouse = crm
            .create_warehouse(
                buyer,
                WarehouseInput::builder()
                    .code("WH1".into())
                    .name("上海仓".into())
                    .build(),
            )
            .await
            .unwrap()
            .id;
        let product = |code: &str, name: &str, cost: &str| {
            let mut p = ProductInput::builder()
                .code(code.into())
                .name(name.into())
                .unit("个".into())
                .sale_price(d("113.00"))
                .price_includes_tax(true)
                .tax_rate(d("0.13"))
                .build();
            p.purchase_price = Some(d(cost));
            p
        };
        let drill = crm
            .create_product(co.admin, product("P-1", "电钻", "60"))
            .await
            .unwrap()
            .value
            .id;
        let bolt = crm
            .create_product(co.admin, product("P-2", "螺栓", "0.3"))
            .await
            .unwrap()
            .value
            .id;
        let sup = |code: &str, name: &str| {
            SupplierInput::builder()
                .code(code.into())
                .name(name.into())
                .contacts(vec![(
                    "刘经理".into(),
                    Some("13900001111".into()),
                    Some("销售经理".into()),
                )])
                .build()
        };
        let acme = crm
            .create_supplier(buyer, sup("S1", "宁波甬江五金制造有限公司"))
            .await
            .unwrap()
            .supplier
            .id;
        let bestco = crm
            .create_supplier(buyer, sup("S2", "温州瓯海机电有限公司"))
            .await
            .unwrap()
            .supplier
            .id;
        let account = crm
            .create_cash_account(co.admin, "工行基本户", true, "CNY", None)
            .await
            .unwrap()
            .id;
        (
            buyer,
            Actor::new(approver.id),
            warehouse,
            drill,
            bolt,
            acme,
            bestco,
            account,
        )
    });
    Buyers {
        co,
        buyer: ids.0,
        approver: ids.1,
        warehouse: ids.2,
        drill: ids.3,
        bolt: ids.4,
        acme: ids.5,
        bestco: ids.6,
        account: ids.7,
    }
}

fn line(product: Uuid, qty: &str, price: &str) -> PurchaseLineInput {
    PurchaseLineInput {
        product_id: product,
        quantity: d(qty),
        unit_price: Some(d(price)),
        price_includes_tax: false,
        tax_rate: None,
    }
}

impl Buyers {
    fn crm(&self) -> &Crm {
        &self.co.crm
    }

    /// An approved purchase order from `supplier`.
    async fn approved(
        &self,
        supplier: Uuid,
        lines: Vec<PurchaseLineInput>,
    ) -> crm_core::service::PurchaseDoc {
        let crm = self.crm();
        let po = crm
            .create_purchase_order(
                self.buyer,
                PurchaseOrderInput::builder()
                    .supplier_id(supplier)
                    .lines(lines)
                    .build(),
            )
            .await
            .unwrap();
        let id = po.order.value.id;
        crm.purchase_event(self.buyer, id, PurchaseEvent::Submit)
            .await
            .unwrap();
        crm.purchase_event(self.approver, id, PurchaseEvent::Approve)
            .await
            .unwrap();
        crm.purchase_order(self.buyer, id).await.unwrap()
    }
}

#[test]
fn a_supplier_written_differently_is_a_duplicate_and_so_is_a_code_in_use() {
    let b = buyers();
    block_on(async {
        let dup = b
            .crm()
            .create_supplier(
                b.buyer,
                SupplierInput::builder()
                    .code("S9".into())
                    .name("宁波甬江五金制造（有限公司）".into())
                    .build(),
            )
            .await;
        assert!(
            matches!(
                dup,
                Err(Error::Duplicate {
                    rule: "supplier_name_key",
                    ..
                })
            ),
            "{dup:?}"
        );
        let code = b
            .crm()
            .create_supplier(
                b.buyer,
                SupplierInput::builder()
                    .code("S1".into())
                    .name("另一家公司".into())
                    .build(),
            )
            .await;
        assert!(
            matches!(
                code,
                Err(Error::Duplicate {
                    rule: "supplier_code",
                    ..
                })
            ),
            "{code:?}"
        );
        let doc = b.crm().supplier(b.buyer, b.acme).await.unwrap();
        assert_eq!(doc.contacts[0].mobile.as_deref(), Some("13900001111"));
    });
}

#[test]
fn a_request_to_two_suppliers_names_the_cheaper_and_its_order_carries_their_prices() {
    let b = buyers();
    block_on(async {
        let crm = b.crm();
        let rfq = crm
            .create_rfq(
                b.buyer,
                RfqInput::builder()
                    .lines(vec![(b.drill, d("10")), (b.bolt, d("1000"))])
                    .supplier_ids(vec![b.acme, b.bestco])
                    .build(),
            )
            .await
            .unwrap();
        let (l1, l2) = (rfq.lines[0].id, rfq.lines[1].id);
        let answer = |line, price: &str, incl| RfqAnswerInput {
            rfq_line_id: line,
            unit_price: d(price),
            price_includes_tax: incl,
            tax_rate: None,
            lead_days: Some(7),
        };
        // Acme: 58 + 0.30 excl. = 880; Bestco: 67.80 incl. (60 excl.) + 0.25 = 850.
        crm.record_rfq_answer(
            b.buyer,
            rfq.rfq.id,
            b.acme,
            vec![answer(l1, "58", false), answer(l2, "0.30", false)],
        )
        .await
        .unwrap();
        let doc = crm
            .record_rfq_answer(
                b.buyer,
                rfq.rfq.id,
                b.bestco,
                vec![answer(l1, "67.80", true), answer(l2, "0.25", false)],
            )
            .await
            .unwrap();
        assert_eq!(doc.cheapest, vec![(l1, Some(b.acme)), (l2, Some(b.bestco))]);
        assert_eq!(doc.cheapest_supplier, Some(b.bestco));
        let po = crm
            .purchase_order_from_rfq(b.buyer, rfq.rfq.id, b.bestco, None)
            .await
            .unwrap();
        assert_eq!(po.order.value.rfq_id, Some(rfq.rfq.id));
        assert_eq!(po.lines[0].unit_price, d("67.80"));
        assert!(po.lines[0].price_includes_tax);
        // 10 × 67.80 incl. = 678.00 gross, 600.00 net; 1000 × 0.25 = 250.00 net, 32.50 tax.
        assert_eq!(
            (po.order.value.net, po.order.value.gross),
            (d("850.00"), d("960.50"))
        );
        // The request is closed; the prices are in both suppliers' history.
        assert!(crm.rfq(b.buyer, rfq.rfq.id).await.unwrap().rfq.closed);
        let again = crm
            .purchase_order_from_rfq(b.buyer, rfq.rfq.id, b.acme, None)
            .await;
        assert!(matches!(again, Err(Error::Invalid { .. })));
        let history = crm.supplier_prices(b.buyer, b.drill).await.unwrap();
        let mut prices: Vec<_> = history
            .iter()
            .map(|p| (p.supplier_id == b.acme, p.unit_price))
            .collect();
        prices.sort();
        assert_eq!(prices, vec![(false, d("60.000000")), (true, d("58"))]);
    });
}

#[test]
fn a_purchase_order_is_approved_by_someone_other_than_its_author() {
    let b = buyers();
    block_on(async {
        let crm = b.crm();
        let po = crm
            .create_purchase_order(
                b.buyer,
                PurchaseOrderInput::builder()
                    .supplier_id(b.acme)
                    .lines(vec![PurchaseLineInput {
                        product_id: b.drill,
                        quantity: d("2"),
                        unit_price: None,
                        price_includes_tax: false,
                        tax_rate: None,
                    }])
                    .build(),
            )
            .await
            .unwrap();
        // The product's purchase price, 60.00 excl.
        assert_eq!(po.lines[0].net, d("120.00"));
        let id = po.order.value.id;
        let early = crm
            .purchase_event(b.approver, id, PurchaseEvent::Approve)
            .await;
        assert!(
            matches!(early, Err(Error::Invalid { .. })),
            "a draft is not approved: {early:?}"
        );
        crm.purchase_event(b.buyer, id, PurchaseEvent::Submit)
            .await
            .unwrap();
        let own = crm
            .purchase_event(b.buyer, id, PurchaseEvent::Approve)
            .await;
        assert!(matches!(own, Err(Error::PermissionDenied(_))), "{own:?}");
        let ok = crm
            .purchase_event(b.approver, id, PurchaseEvent::Approve)
            .await
            .unwrap();
        assert_eq!(ok.value.state, PurchaseState::Approved);
        assert_eq!(ok.value.approved_by, Some(b.approver.employee_id()));
        let by_stock = crm
            .purchase_event(b.buyer, id, PurchaseEvent::ReceivedAll)
            .await;
        assert!(matches!(by_stock, Err(Error::Invalid { .. })));
    });
}

#[test]
fn partial_stock_ins_take_in_the_order_net_to_the_fen_and_never_more_than_ordered() {
    let b2 = buyers();
    block_on(async {
        let crm = b2.crm();
        // 3 units for 10.00 net: 3.333… each.
        let po = b2
            .approved(
                b2.acme,
                vec![line(b2.drill, "3", "3.333333"), line(b2.bolt, "10", "0.3")],
            )
            .await;
        let (l1, l2) = (po.lines[0].id, po.lines[1].id);
        assert_eq!(po.lines[0].net, d("10.00"));
        let receive = |lines| {
            crm.receive_purchase(
                b2.buyer,
                PurchaseReceiptInput::builder()
                    .order_id(po.order.value.id)
                    .lines(lines)
                    .build(),
            )
        };
        let first = receive(vec![(l1, b2.warehouse, d("1"))]).await.unwrap();
        assert_eq!(first.lines[0].value, d("3.33"));
        assert_eq!(first.doc.supplier_id, Some(b2.acme));
        let state = crm
            .purchase_order(b2.buyer, po.order.value.id)
            .await
            .unwrap()
            .order
            .value
            .state;
        assert_eq!(state, PurchaseState::PartlyReceived);
        let too_many = receive(vec![(l1, b2.warehouse, d("3"))]).await;
        assert!(
            matches!(&too_many, Err(Error::Invalid { field, .. }) if field == "lines[0].quantity"),
            "{too_many:?}"
        );
        let second = receive(vec![
            (l1, b2.warehouse, d("2")),
            (l2, b2.warehouse, d("10")),
        ])
        .await
        .unwrap();
        assert_eq!(second.lines[0].value, d("6.67"));
        let state = crm
            .purchase_order(b2.buyer, po.order.value.id)
            .await
            .unwrap()
            .order
            .value
            .state;
        assert_eq!(state, PurchaseState::Received);
        let stock = crm.stock_on_hand(b2.buyer, None, None).await.unwrap();
        assert_eq!(stock.total_value, po.order.value.net);
        let late = receive(vec![(l2, b2.warehouse, d("1"))]).await;
        assert!(matches!(late, Err(Error::Invalid { .. })));
    });
}

#[test]
fn payables_are_opening_plus_approved_orders_less_payments_and_invoices_never_exceed_the_order() {
    let b = buyers();
    block_on(async {
        let crm = b.crm();
        let po = b.approved(b.acme, vec![line(b.drill, "10", "60")]).await; // 678.00 gross
                                                                            // A draft order is not a debt.
        crm.create_purchase_order(
            b.buyer,
            PurchaseOrderInput::builder()
                .supplier_id(b.acme)
                .lines(vec![line(b.drill, "1", "60")])
                .build(),
        )
        .await
        .unwrap();
        crm.set_supplier_opening(
            b.buyer,
            b.acme,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            d("100.00"),
        )
        .await
        .unwrap();
        crm.pay_supplier(
            b.buyer,
            SupplierPaymentInput::builder()
                .supplier_id(b.acme)
                .order_id(po.order.value.id)
                .account_id(b.account)
                .method("转账".into())
                .amount(d("300.00"))
                .build(),
        )
        .await
        .unwrap();
        let inv = |number: &str, net: &str, tax: &str| {
            SupplierInvoiceInput::builder()
                .order_id(po.order.value.id)
                .kind(InvoiceKind::Special)
                .code("3100231130".into())
                .number(number.into())
                .net(d(net))
                .tax(d(tax))
                .build()
        };
        crm.register_supplier_invoice(b.buyer, inv("00000001", "300.00", "39.00"))
            .await
            .unwrap();
        let dup = crm
            .register_supplier_invoice(b.buyer, inv("00000001", "1.00", "0.13"))
            .await;
        assert!(matches!(dup, Err(Error::Duplicate { .. })), "{dup:?}");
        let over = crm
            .register_supplier_invoice(b.buyer, inv("00000002", "300.01", "39.00"))
            .await;
        assert!(matches!(over, Err(Error::Invalid { .. })), "{over:?}");
        let rows = crm.payables(b.buyer).await.unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.opening, r.due, r.paid, r.invoiced),
            (d("100.00"), d("678.00"), d("300.00"), d("339.00"))
        );
        assert_eq!(r.payable, d("478.00"));
        assert_eq!(r.payable, r.opening + r.due - r.paid);
        let bad = crm
            .pay_supplier(
                b.buyer,
                SupplierPaymentInput::builder()
                    .supplier_id(b.bestco)
                    .order_id(po.order.value.id)
                    .account_id(b.account)
                    .method("转账".into())
                    .amount(d("1.00"))
                    .build(),
            )
            .await;
        assert!(
            matches!(&bad, Err(Error::Invalid { field, .. }) if field == "order_id"),
            "{bad:?}"
        );
        let cents = crm
            .pay_supplier(
                b.buyer,
                SupplierPaymentInput::builder()
                    .supplier_id(b.acme)
                    .account_id(b.account)
                    .method("转账".into())
                    .amount(d("1.001"))
                    .build(),
            )
            .await;
        assert!(matches!(&cents, Err(Error::Invalid { field, .. }) if field == "amount"));
    });
}

#[test]
fn purchasing_is_denied_without_its_permissions() {
    let b = buyers();
    block_on(async {
        let crm = b.crm();
        let seller = b.co.owner;
        let denied = |r: Result<(), Error>| matches!(r, Err(Error::PermissionDenied(_)));
        assert!(denied(crm.suppliers(seller).await.map(|_| ())));
        assert!(denied(crm.payables(seller).await.map(|_| ())));
        assert!(denied(
            crm.create_purchase_order(
                seller,
                PurchaseOrderInput::builder()
                    .supplier_id(b.acme)
                    .lines(vec![line(b.drill, "1", "1")])
                    .build()
            )
            .await
            .map(|_| ())
        ));
        // The approver may approve but not write orders.
        assert!(denied(
            crm.create_purchase_order(
                b.approver,
                PurchaseOrderInput::builder()
                    .supplier_id(b.acme)
                    .lines(vec![line(b.drill, "1", "1")])
                    .build()
            )
            .await
            .map(|_| ())
        ));
    });
}

#[test]
fn the_purchase_summary_sums_approved_orders_per_supplier() {
    let b = buyers();
    block_on(async {
        let crm = b.crm();
        b.approved(b.acme, vec![line(b.drill, "10", "60")]).await; // 600 + 78
        b.approved(b.acme, vec![line(b.bolt, "100", "0.3")]).await; // 30 + 3.90
                                                                    // A draft is not a purchase yet.
        crm.create_purchase_order(
            b.buyer,
            PurchaseOrderInput::builder()
                .supplier_id(b.bestco)
                .lines(vec![line(b.drill, "1", "60")])
                .build(),
        )
        .await
        .unwrap();
        let day = |m, dd| chrono::NaiveDate::from_ymd_opt(2026, m, dd).unwrap();
        let rows = crm
            .purchase_summary(b.buyer, day(3, 1), day(3, 31))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.supplier_id, r.orders), (b.acme, 2));
        assert_eq!(
            (r.net, r.tax, r.gross),
            (d("630.00"), d("81.90"), d("711.90"))
        );
    });
}
