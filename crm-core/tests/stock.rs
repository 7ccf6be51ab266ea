//! Stock rules against the in-memory store: moving-average valuation through the operations,
//! stock-outs against orders (partial, several orders, limits), transfers, requisitions,
//! stocktakes, safety stock, reports, bad input that writes nothing, and who may do what.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use common::{block_on, Company};
use crm_core::customer::CustomerInput;
use crm_core::inventory::{
    MoveType, NoticeState, ShipGate, StockDocType, PRODUCTION_READY, STOCK_BALANCE, STOCK_DOC,
    STOCK_MOVE,
};
use crm_core::org::{Actor, Op, Permission, Resource};
use crm_core::product::ProductInput;
use crm_core::sales::{LineDraft, OrderState};
use crm_core::service::{
    NewEmployee, NoticeInput, OrderInput, ReadyInput, ReceiptInput, ReceivableBasis,
    RequisitionInput, SalesPolicy, ShippingPolicy, StockInInput, StockInLine, StockOutInput,
    StockOutLine, TransferInput, WarehouseInput,
};
use crm_core::store::{Entity, Kind, Query};
use crm_core::{Crm, Error};
use rust_decimal::Decimal;
use uuid::Uuid;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

async fn count(crm: &Crm, kind: &'static Kind) -> u64 {
    crm.store()
        .query(&Query::all(kind).with_total())
        .await
        .unwrap()
        .total
        .unwrap()
}

/// The fixture company with a warehouse clerk (库管) and two warehouses, two products and a
/// second customer.
struct Depot {
    co: Company,
    clerk: Actor,
    /// WH1, no negative stock.
    main: Uuid,
    /// WH2, no negative stock.
    second: Uuid,
    drill: Uuid,
    bolt: Uuid,
    customer: Uuid,
    other_customer: Uuid,
}

fn clerk_permissions() -> Vec<Permission> {
    let mut v = Vec::new();
    for op in [Op::View, Op::Create, Op::Edit] {
        v.push(Permission::new(Resource::Warehouse, op));
        v.push(Permission::new(Resource::Stock, op));
    }
    v.push(Permission::new(Resource::StockOut, Op::View));
    v.push(Permission::new(Resource::StockOut, Op::Create));
    v
}

fn depot() -> Depot {
    let co = Company::new();
    let customer = co.shared_customer("上海申达机电有限公司");
    let other_customer = co.shared_customer("杭州恒通五金有限公司");
    let (clerk, main, second, drill, bolt) = block_on(async {
        let crm = &co.crm;
        let role = crm
            .create_role(co.admin, "库管", clerk_permissions(), false)
            .await
            .unwrap();
        let org = crm.org().await.unwrap();
        let root = org.employee(co.admin.employee_id()).unwrap().department_id;
        let clerk = crm
            .create_employee(
                co.admin,
                NewEmployee::builder()
                    .code("kuguan".into())
                    .name("周库管".into())
                    .department_id(root)
                    .manager_id(None)
                    .role_ids(BTreeSet::from([role.id]))
                    .build(),
            )
            .await
            .unwrap();
        let clerk = Actor::new(clerk.id);
        let wh = |code: &str, name: &str| {
            WarehouseInput::builder()
                .code(code.into())
                .name(name.into())
                .build()
        };
        let main = crm
            .create_warehouse(clerk, wh("WH1", "上海一号仓"))
            .await
            .unwrap()
            .id;
        let second = crm
            .create_warehouse(clerk, wh("WH2", "苏州二号仓"))
            .await
            .unwrap()
            .id;
        let product = |code: &str, name: &str, safety: Option<&str>| {
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
        };
        let drill = crm
            .create_product(co.admin, product("P-1", "电钻", Some("8")))
            .await
            .unwrap()
            .value
            .id;
        let bolt = crm
            .create_product(co.admin, product("P-2", "螺栓", None))
            .await
            .unwrap()
            .value
            .id;
        (clerk, main, second, drill, bolt)
    });
    Depot {
        co,
        clerk,
        main,
        second,
        drill,
        bolt,
        customer,
        other_customer,
    }
}

fn receipt(product: Uuid, warehouse: Uuid, qty: &str, cost: &str) -> StockInLine {
    StockInLine {
        product_id: product,
        warehouse_id: warehouse,
        quantity: d(qty),
        unit_cost: d(cost),
    }
}

impl Depot {
    fn crm(&self) -> &Crm {
        &self.co.crm
    }

    async fn stock_in(&self, lines: Vec<StockInLine>) {
        self.crm()
            .stock_in(self.clerk, StockInInput::builder().lines(lines).build())
            .await
            .unwrap();
    }

    /// An approved order of `customer` (by the administrator, within any limit).
    async fn order(&self, customer: Uuid, lines: &[(Uuid, &str)]) -> (Uuid, Vec<Uuid>) {
        let crm = self.crm();
        let doc = crm
            .create_order(
                self.co.admin,
                OrderInput::builder()
                    .customer_id(customer)
                    .lines(
                        lines
                            .iter()
                            .map(|&(p, q)| {
                                LineDraft::builder().product_id(p).quantity(d(q)).build()
                            })
                            .collect(),
                    )
                    .build(),
            )
            .await
            .unwrap();
        let o = crm
            .submit_order(self.co.admin, doc.order.value.id, doc.order.version)
            .await
            .unwrap();
        assert_eq!(o.value.state, OrderState::Approved);
        (o.value.id, doc.lines.iter().map(|l| l.id).collect())
    }

    fn out(&self, lines: &[(Uuid, Uuid, &str)]) -> StockOutInput {
        StockOutInput::builder()
            .lines(
                lines
                    .iter()
                    .map(|&(order_line_id, warehouse_id, q)| StockOutLine {
                        order_line_id,
                        warehouse_id,
                        quantity: d(q),
                    })
                    .collect(),
            )
            .build()
    }

    async fn on_hand(&self, product: Uuid, warehouse: Uuid) -> (Decimal, Decimal) {
        let r = self
            .crm()
            .stock_on_hand(self.clerk, Some(warehouse), Some(product))
            .await
            .unwrap();
        r.rows
            .first()
            .map_or((Decimal::ZERO, Decimal::ZERO), |r| (r.quantity, r.value))
    }

    /// Sum of the ledger of one product in one warehouse: (quantity, value).
    async fn ledger_sum(&self, product: Uuid, warehouse: Uuid) -> (Decimal, Decimal) {
        let moves = self
            .crm()
            .stock_ledger(self.clerk, product, Some(warehouse))
            .await
            .unwrap();
        (
            moves.iter().map(|m| m.quantity).sum(),
            moves.iter().map(|m| m.value).sum(),
        )
    }

    /// Counts of the kinds every stock operation writes.
    async fn footprint(&self) -> [u64; 3] {
        let crm = self.crm();
        [
            count(crm, &STOCK_DOC).await,
            count(crm, &STOCK_MOVE).await,
            count(crm, &STOCK_BALANCE).await,
        ]
    }
}

#[test]
fn a_requisition_values_at_moving_average_and_the_balance_equals_the_ledger() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "10", "10.00")])
            .await;
        s.stock_in(vec![receipt(s.drill, s.main, "10", "20.00")])
            .await;
        let doc = s
            .crm()
            .requisition(
                s.clerk,
                RequisitionInput::builder()
                    .warehouse_id(s.main)
                    .department_id(s.co.sales_dept)
                    .lines(vec![(s.drill, d("15"))])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(doc.doc.doc_type, StockDocType::Requisition);
        assert_eq!(doc.doc.department_id, Some(s.co.sales_dept));
        assert_eq!(doc.lines[0].value, d("225.00"));
        assert_eq!(doc.moves[0].move_type, MoveType::Requisition);
        assert_eq!(s.on_hand(s.drill, s.main).await, (d("5"), d("75.00")));
        assert_eq!(s.ledger_sum(s.drill, s.main).await, (d("5"), d("75.00")));
    });
}

#[test]
fn shipping_every_unit_leaves_value_zero_and_the_order_shipped() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![
            receipt(s.bolt, s.main, "1000", "0.17"),
            receipt(s.bolt, s.main, "800", "0.23"),
        ])
        .await;
        let (order, lines) = s.order(s.customer, &[(s.bolt, "1800")]).await;
        let out = s
            .crm()
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "1800")]))
            .await
            .unwrap();
        assert_eq!(out.lines[0].value, d("354.00"));
        assert_eq!(out.doc.customer_id, Some(s.customer));
        assert_eq!(s.on_hand(s.bolt, s.main).await, (d("0"), d("0.00")));
        assert_eq!(s.ledger_sum(s.bolt, s.main).await, (d("0"), d("0.00")));
        let shipping = s.crm().order_shipping(s.clerk, order).await.unwrap();
        assert_eq!(shipping.state, OrderState::Shipped);
        assert_eq!(shipping.lines[0].left, d("0"));
    });
}

#[test]
fn one_stock_out_covers_two_orders_of_a_customer_and_each_order_moves_on() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![
            receipt(s.drill, s.main, "10", "80"),
            receipt(s.drill, s.second, "10", "82"),
            receipt(s.bolt, s.main, "100", "0.5"),
        ])
        .await;
        let (o1, l1) = s.order(s.customer, &[(s.drill, "6"), (s.bolt, "40")]).await;
        let (o2, l2) = s.order(s.customer, &[(s.drill, "2")]).await;
        // Order 1's drills from two warehouses, its bolts not yet; all of order 2.
        let out = s
            .crm()
            .stock_out(
                s.clerk,
                s.out(&[
                    (l1[0], s.main, "4"),
                    (l1[0], s.second, "2"),
                    (l2[0], s.main, "2"),
                ]),
            )
            .await
            .unwrap();
        assert_eq!(out.lines.len(), 3);
        let one = s.crm().order_shipping(s.clerk, o1).await.unwrap();
        assert_eq!(one.state, OrderState::PartlyShipped);
        assert_eq!((one.lines[0].shipped, one.lines[0].left), (d("6"), d("0")));
        assert_eq!((one.lines[1].shipped, one.lines[1].left), (d("0"), d("40")));
        let two = s.crm().order_shipping(s.clerk, o2).await.unwrap();
        assert_eq!(two.state, OrderState::Shipped);
        // The rest of order 1 in a second stock-out.
        s.crm()
            .stock_out(s.clerk, s.out(&[(l1[1], s.main, "40")]))
            .await
            .unwrap();
        let one = s.crm().order_shipping(s.clerk, o1).await.unwrap();
        assert_eq!(one.state, OrderState::Shipped);
        assert_eq!(s.on_hand(s.drill, s.main).await, (d("4"), d("320.00")));
        assert_eq!(s.on_hand(s.drill, s.second).await, (d("8"), d("656.00")));
    });
}

#[test]
fn a_stock_out_never_ships_more_than_is_left_on_the_order_and_writes_nothing_when_refused() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "50", "80")]).await;
        let (_, lines) = s.order(s.customer, &[(s.drill, "5")]).await;
        s.crm()
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "3")]))
            .await
            .unwrap();
        let before = s.footprint().await;
        // 3 of 5 shipped: 3 more is too many, also when split over two lines.
        let r = s
            .crm()
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "3")]))
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "lines[0].quantity"),
            "{r:?}"
        );
        let r = s
            .crm()
            .stock_out(
                s.clerk,
                s.out(&[(lines[0], s.main, "1"), (lines[0], s.main, "2")]),
            )
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "lines[1].quantity"),
            "{r:?}"
        );
        assert_eq!(s.footprint().await, before);
    });
}

#[test]
fn a_stock_out_beyond_on_hand_is_refused_naming_product_and_warehouse() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "2", "80")]).await;
        let (_, lines) = s.order(s.customer, &[(s.drill, "5")]).await;
        let before = s.footprint().await;
        let r = s
            .crm()
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "3")]))
            .await;
        match r {
            Err(Error::InsufficientStock {
                product,
                warehouse,
                on_hand,
                wanted,
            }) => {
                assert!(product.contains("电钻"), "{product}");
                assert!(warehouse.contains("WH1"), "{warehouse}");
                assert_eq!((on_hand, wanted), (d("2"), d("3")));
            }
            other => panic!("expected InsufficientStock, got {other:?}"),
        }
        assert_eq!(s.footprint().await, before);
    });
}

#[test]
fn a_warehouse_that_allows_negative_stock_ships_beyond_on_hand_at_the_last_cost() {
    let s = depot();
    block_on(async {
        let loose = s
            .crm()
            .create_warehouse(
                s.clerk,
                WarehouseInput::builder()
                    .code("WH9".into())
                    .name("门店".into())
                    .allow_negative(true)
                    .build(),
            )
            .await
            .unwrap()
            .id;
        s.stock_in(vec![receipt(s.drill, loose, "2", "80")]).await;
        let (_, lines) = s.order(s.customer, &[(s.drill, "3")]).await;
        s.crm()
            .stock_out(s.clerk, s.out(&[(lines[0], loose, "3")]))
            .await
            .unwrap();
        assert_eq!(s.on_hand(s.drill, loose).await, (d("-1"), d("-80.00")));
        // Back to zero: the value left over is booked as an adjustment, not lost.
        s.stock_in(vec![receipt(s.drill, loose, "1", "90")]).await;
        assert_eq!(s.on_hand(s.drill, loose).await, (d("0"), d("0.00")));
        assert_eq!(s.ledger_sum(s.drill, loose).await, (d("0"), d("0.00")));
        let moves = s
            .crm()
            .stock_ledger(s.clerk, s.drill, Some(loose))
            .await
            .unwrap();
        let adj = moves
            .iter()
            .find(|m| m.move_type == MoveType::Adjustment)
            .unwrap();
        assert_eq!((adj.quantity, adj.value), (d("0"), d("-10.00")));
    });
}

#[test]
fn a_stock_out_ships_only_approved_orders_of_one_customer() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "50", "80")]).await;
        let (_, mine) = s.order(s.customer, &[(s.drill, "5")]).await;
        let (_, theirs) = s.order(s.other_customer, &[(s.drill, "5")]).await;
        let r = s
            .crm()
            .stock_out(
                s.clerk,
                s.out(&[(mine[0], s.main, "1"), (theirs[0], s.main, "1")]),
            )
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "lines"),
            "{r:?}"
        );
        let draft = s
            .crm()
            .create_order(
                s.co.admin,
                OrderInput::builder()
                    .customer_id(s.customer)
                    .lines(vec![LineDraft::builder()
                        .product_id(s.drill)
                        .quantity(d("1"))
                        .build()])
                    .build(),
            )
            .await
            .unwrap();
        let r = s
            .crm()
            .stock_out(s.clerk, s.out(&[(draft.lines[0].id, s.main, "1")]))
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { reason, .. }) if reason.contains("draft")),
            "{r:?}"
        );
        let r = s
            .crm()
            .stock_out(s.clerk, s.out(&[(Uuid::from_u128(7), s.main, "1")]))
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "lines[0].order_line_id"),
            "{r:?}"
        );
    });
}

#[test]
fn bad_stock_input_gets_a_typed_error_naming_the_field_and_writes_nothing() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "5", "80")]).await;
        let before = s.footprint().await;
        let crm = s.crm();
        let bad_in = |lines| crm.stock_in(s.clerk, StockInInput::builder().lines(lines).build());
        let cases = [
            (bad_in(vec![]).await, "lines"),
            (
                bad_in(vec![receipt(s.drill, s.main, "0", "1")]).await,
                "lines[0].quantity",
            ),
            (
                bad_in(vec![receipt(s.drill, s.main, "1.0000001", "1")]).await,
                "lines[0].quantity",
            ),
            (
                bad_in(vec![receipt(s.drill, s.main, "1", "-1")]).await,
                "lines[0].unit_cost",
            ),
            (
                bad_in(vec![
                    receipt(s.drill, s.main, "1", "1"),
                    receipt(s.bolt, Uuid::from_u128(9), "1", "1"),
                ])
                .await,
                "lines[1].warehouse_id",
            ),
            (
                bad_in(vec![receipt(Uuid::from_u128(9), s.main, "1", "1")]).await,
                "lines[0].product_id",
            ),
        ];
        for (r, field) in cases {
            assert!(
                matches!(&r, Err(Error::Invalid { field: f, .. }) if f == field),
                "{field}: {r:?}"
            );
        }
        let same = crm
            .transfer_stock(
                s.clerk,
                TransferInput::builder()
                    .from_warehouse_id(s.main)
                    .to_warehouse_id(s.main)
                    .lines(vec![(s.drill, d("1"))])
                    .build(),
            )
            .await;
        assert!(matches!(&same, Err(Error::Invalid { field, .. }) if field == "to_warehouse_id"));
        let nobody = crm
            .requisition(
                s.clerk,
                RequisitionInput::builder()
                    .warehouse_id(s.main)
                    .lines(vec![(s.drill, d("1"))])
                    .build(),
            )
            .await;
        assert!(matches!(&nobody, Err(Error::Invalid { field, .. }) if field == "department_id"));
        let dup = crm
            .create_warehouse(
                s.clerk,
                WarehouseInput::builder()
                    .code("WH1".into())
                    .name("又一个".into())
                    .build(),
            )
            .await;
        assert!(matches!(
            dup,
            Err(Error::Duplicate {
                rule: "warehouse_code",
                ..
            })
        ));
        assert_eq!(s.footprint().await, before);
    });
}

#[test]
fn a_transfer_moves_quantity_and_value_and_leaves_the_totals_unchanged() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "3", "3.333333")])
            .await;
        s.stock_in(vec![receipt(s.drill, s.second, "1", "5")]).await;
        let total = |r: &crm_core::service::StockReport| (r.per_product[0].1, r.per_product[0].2);
        let before = s
            .crm()
            .stock_on_hand(s.clerk, None, Some(s.drill))
            .await
            .unwrap();
        let doc = s
            .crm()
            .transfer_stock(
                s.clerk,
                TransferInput::builder()
                    .from_warehouse_id(s.main)
                    .to_warehouse_id(s.second)
                    .lines(vec![(s.drill, d("1"))])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(doc.moves.len(), 2);
        assert_eq!(doc.moves[0].value, -doc.moves[1].value);
        let after = s
            .crm()
            .stock_on_hand(s.clerk, None, Some(s.drill))
            .await
            .unwrap();
        assert_eq!(total(&before), total(&after));
        assert_eq!(total(&after), (d("4"), d("15.00")));
        assert_eq!(s.on_hand(s.drill, s.main).await, (d("2"), d("6.67")));
        assert_eq!(s.on_hand(s.drill, s.second).await, (d("2"), d("8.33")));
        let r = s
            .crm()
            .transfer_stock(
                s.clerk,
                TransferInput::builder()
                    .from_warehouse_id(s.main)
                    .to_warehouse_id(s.second)
                    .lines(vec![(s.drill, d("3"))])
                    .build(),
            )
            .await;
        assert!(matches!(r, Err(Error::InsufficientStock { .. })));
    });
}

#[test]
fn a_stocktake_posts_the_counted_difference_from_the_frozen_book_and_keeps_later_movements() {
    let s = depot();
    block_on(async {
        s.stock_in(vec![
            receipt(s.drill, s.main, "10", "80"),
            receipt(s.bolt, s.main, "100", "0.5"),
        ])
        .await;
        let st = s.crm().begin_stocktake(s.clerk, s.main).await.unwrap();
        assert_eq!(st.lines.len(), 2);
        // Two drills ship after the sheet is frozen; the count still compares with 10.
        let (_, lines) = s.order(s.customer, &[(s.drill, "2")]).await;
        s.crm()
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "2")]))
            .await
            .unwrap();
        s.crm()
            .enter_counts(
                s.clerk,
                st.stocktake.id,
                vec![(s.drill, d("9")), (s.bolt, d("100"))],
            )
            .await
            .unwrap();
        let posted = s
            .crm()
            .post_stocktake(s.clerk, st.stocktake.id)
            .await
            .unwrap();
        assert_eq!(posted.doc.doc_type, StockDocType::Stocktake);
        // Only the drill differs: one short, at 80.00.
        assert_eq!(posted.lines.len(), 1);
        assert_eq!(posted.moves[0].move_type, MoveType::CountLoss);
        assert_eq!(
            (posted.moves[0].quantity, posted.moves[0].value),
            (d("-1"), d("-80.00"))
        );
        assert_eq!(s.on_hand(s.drill, s.main).await, (d("7"), d("560.00")));
        // Posted once.
        let again = s.crm().post_stocktake(s.clerk, st.stocktake.id).await;
        assert!(matches!(again, Err(Error::Invalid { .. })));
        let late = s
            .crm()
            .enter_counts(s.clerk, st.stocktake.id, vec![(s.drill, d("1"))])
            .await;
        assert!(matches!(late, Err(Error::Invalid { .. })));
    });
}

#[test]
fn safety_stock_alerts_name_products_below_their_safety_stock_across_warehouses() {
    let s = depot();
    block_on(async {
        // Safety stock of the drill is 8.
        s.stock_in(vec![receipt(s.drill, s.main, "5", "80")]).await;
        let alerts = s.crm().safety_stock_alerts(s.clerk).await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            (alerts[0].on_hand, alerts[0].safety_stock),
            (d("5"), d("8"))
        );
        s.stock_in(vec![receipt(s.drill, s.second, "3", "80")])
            .await;
        assert!(s
            .crm()
            .safety_stock_alerts(s.clerk)
            .await
            .unwrap()
            .is_empty());
    });
}

#[test]
fn the_value_as_of_a_date_sums_the_ledger_up_to_that_date() {
    let s = depot();
    block_on(async {
        let day = |m, dd| NaiveDate::from_ymd_opt(2026, m, dd).unwrap();
        s.crm()
            .stock_in(
                s.clerk,
                StockInInput::builder()
                    .date(day(1, 10))
                    .lines(vec![receipt(s.drill, s.main, "10", "10")])
                    .build(),
            )
            .await
            .unwrap();
        s.crm()
            .stock_in(
                s.clerk,
                StockInInput::builder()
                    .date(day(2, 10))
                    .lines(vec![receipt(s.drill, s.main, "10", "20")])
                    .build(),
            )
            .await
            .unwrap();
        let jan = s
            .crm()
            .stock_value_as_of(s.clerk, day(1, 31))
            .await
            .unwrap();
        assert_eq!(jan.total_value, d("100.00"));
        assert_eq!(jan.rows[0].quantity, d("10"));
        let feb = s
            .crm()
            .stock_value_as_of(s.clerk, day(2, 28))
            .await
            .unwrap();
        assert_eq!(feb.total_value, d("300.00"));
        let now = s.crm().stock_on_hand(s.clerk, None, None).await.unwrap();
        assert_eq!(now.total_value, feb.total_value);
    });
}

fn denied<T>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::PermissionDenied(_)))
}

#[test]
fn stock_operations_are_denied_without_their_permission() {
    let s = depot();
    block_on(async {
        let crm = s.crm();
        let seller = s.co.owner; // customer permissions only
        assert!(denied(
            &crm.stock_in(
                seller,
                StockInInput::builder()
                    .lines(vec![receipt(s.drill, s.main, "1", "1")])
                    .build()
            )
            .await
        ));
        assert!(denied(&crm.stock_on_hand(seller, None, None).await));
        assert!(denied(&crm.warehouses(seller).await));
        assert!(denied(
            &crm.create_warehouse(
                seller,
                WarehouseInput::builder()
                    .code("X".into())
                    .name("X".into())
                    .build()
            )
            .await
        ));
        assert!(denied(&crm.begin_stocktake(seller, s.main).await));
        assert!(denied(&crm.safety_stock_alerts(seller).await));
        s.stock_in(vec![receipt(s.drill, s.main, "5", "80")]).await;
        let (order, lines) = s.order(s.customer, &[(s.drill, "1")]).await;
        assert!(denied(
            &crm.stock_out(seller, s.out(&[(lines[0], s.main, "1")]))
                .await
        ));
        let out = crm
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "1")]))
            .await
            .unwrap();
        // The clerk reads stock-outs by permission; a salesperson reads them through the
        // customer's documents (with sales_order.view), and an unrelated one does not.
        assert!(crm.stock_doc(s.clerk, out.doc.id).await.is_ok());
        assert!(denied(&crm.stock_doc(s.co.unrelated, out.doc.id).await));
        assert!(denied(&crm.order_shipping(s.co.unrelated, order).await));
        assert!(crm.stock_doc(s.co.admin, out.doc.id).await.is_ok());
    });
}

/// A library over the depot's store with other shipping rules (its own ids, the same clock).
fn with_policy(s: &Depot, policy: ShippingPolicy) -> Crm {
    Crm::new(s.crm().store().clone())
        .with_clock(s.co.clock.clone())
        .with_shipping_policy(policy)
}

/// Gives 张三 (the customers' owner) shipping-notice rights without the override.
fn owner_writes_notices(s: &Depot) {
    block_on(async {
        let crm = s.crm();
        let role = crm
            .create_role(
                s.co.admin,
                "发货通知",
                [Op::View, Op::Create, Op::Edit]
                    .map(|op| Permission::new(Resource::ShippingNotice, op)),
                false,
            )
            .await
            .unwrap();
        let org = crm.org().await.unwrap();
        let mut e = org.employee(s.co.owner.employee_id()).unwrap().clone();
        e.role_ids.insert(role.id);
        crm.update_employee(s.co.admin, e).await.unwrap();
    });
}

#[test]
fn a_notice_is_held_until_its_orders_are_paid_and_the_warehouse_ships_only_released_notices() {
    let s = depot();
    owner_writes_notices(&s);
    let crm = with_policy(
        &s,
        ShippingPolicy {
            gate: ShipGate::FullyPaid,
            stock_out_from_notice: true,
        },
    );
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "10", "80")]).await;
        let (order, lines) = s.order(s.customer, &[(s.drill, "2")]).await; // 226.00 gross
        let notice = crm
            .create_shipping_notice(
                s.co.owner,
                NoticeInput::builder()
                    .lines(vec![(lines[0], d("2"))])
                    .build(),
            )
            .await
            .unwrap();
        let n = notice.notice.value.id;
        assert_eq!(notice.notice.value.state, NoticeState::Held);
        assert!(notice
            .notice
            .value
            .hold_reason
            .as_deref()
            .unwrap()
            .contains("not fully paid"));
        // The warehouse may not ship around the notice, nor ship it while held.
        let direct = crm
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "2")]))
            .await;
        assert!(
            matches!(&direct, Err(Error::Invalid { field, .. }) if field == "notice_id"),
            "{direct:?}"
        );
        let mut held = s.out(&[(lines[0], s.main, "2")]);
        held.notice_id = Some(n);
        let r = crm.stock_out(s.clerk, held.clone()).await;
        assert!(
            matches!(&r, Err(Error::Invalid { reason, .. }) if reason.contains("held")),
            "{r:?}"
        );
        // Releasing needs the rule to pass (or the override).
        let early = crm.release_shipping_notice(s.co.owner, n).await;
        assert!(
            matches!(early, Err(Error::PermissionDenied(_))),
            "{early:?}"
        );
        let account = crm
            .create_cash_account(s.co.admin, "工行基本户", true, "CNY", None)
            .await
            .unwrap();
        crm.record_receipt(
            s.co.admin,
            ReceiptInput::builder()
                .customer_id(s.customer)
                .account_id(account.id)
                .method("银行转账".into())
                .amount(d("226.00"))
                .allocations(vec![(order, d("226.00"))])
                .build(),
        )
        .await
        .unwrap();
        let released = crm.release_shipping_notice(s.co.owner, n).await.unwrap();
        assert_eq!(released.notice.value.state, NoticeState::Released);
        let out = crm.stock_out(s.clerk, held).await.unwrap();
        assert_eq!(out.doc.notice_id, Some(n));
        let after = crm.shipping_notice(s.clerk, n).await.unwrap();
        assert_eq!(after.notice.value.state, NoticeState::Shipped);
        assert_eq!(after.lines[0].value.shipped, d("2"));
        assert_eq!(
            crm.order_shipping(s.clerk, order).await.unwrap().state,
            OrderState::Shipped
        );
    });
}

#[test]
fn an_administrator_overrides_a_held_notice_and_the_override_is_audited() {
    let s = depot();
    let crm = with_policy(
        &s,
        ShippingPolicy {
            gate: ShipGate::FullyPaid,
            stock_out_from_notice: false,
        },
    );
    block_on(async {
        let (_, lines) = s.order(s.customer, &[(s.drill, "2")]).await;
        let n = crm
            .create_shipping_notice(
                s.co.admin,
                NoticeInput::builder()
                    .lines(vec![(lines[0], d("1"))])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(n.notice.value.state, NoticeState::Held);
        let r = crm
            .release_shipping_notice(s.co.admin, n.notice.value.id)
            .await
            .unwrap();
        assert_eq!(r.notice.value.state, NoticeState::Released);
        let log = crm
            .store()
            .query(&Query::all(&crm_core::audit::AUDIT_ENTRY))
            .await
            .unwrap();
        let entry = log
            .records
            .iter()
            .map(|r| crm_core::audit::AuditEntry::from_record(r).unwrap())
            .find(|e| e.action == "shipping_notice.release")
            .unwrap();
        assert!(entry.detail["overrode"]
            .as_str()
            .unwrap()
            .contains("not fully paid"));
    });
}

#[test]
fn notices_never_claim_more_than_is_left_and_direct_stock_outs_leave_their_claims_alone() {
    let s = depot();
    block_on(async {
        let crm = s.crm();
        s.stock_in(vec![receipt(s.drill, s.main, "10", "80")]).await;
        let (_, lines) = s.order(s.customer, &[(s.drill, "5")]).await;
        let notice = |q: &str| {
            crm.create_shipping_notice(
                s.co.admin,
                NoticeInput::builder().lines(vec![(lines[0], d(q))]).build(),
            )
        };
        let first = notice("3").await.unwrap();
        assert_eq!(first.notice.value.state, NoticeState::Released);
        let r = crm
            .stock_out(s.clerk, s.out(&[(lines[0], s.main, "3")]))
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { reason, .. }) if reason.contains("held by other shipping notices")),
            "{r:?}"
        );
        crm.stock_out(s.clerk, s.out(&[(lines[0], s.main, "2")]))
            .await
            .unwrap();
        let over = notice("1").await;
        assert!(
            matches!(&over, Err(Error::Invalid { field, .. }) if field == "lines[0].quantity"),
            "{over:?}"
        );
        // Cancelling the first notice frees its claim.
        crm.cancel_shipping_notice(s.co.admin, first.notice.value.id)
            .await
            .unwrap();
        notice("3").await.unwrap();
    });
}

#[test]
fn a_notice_for_a_customer_over_the_credit_limit_is_held() {
    let s = depot();
    let crm = with_policy(
        &s,
        ShippingPolicy {
            gate: ShipGate::WithinCredit,
            stock_out_from_notice: false,
        },
    );
    block_on(async {
        let c = crm.customer(s.co.admin, s.customer).await.unwrap();
        let mut input = CustomerInput::builder().name(c.value.name.clone()).build();
        input.credit_limit = Some(d("300.00"));
        crm.update_customer(s.co.admin, s.customer, c.version, input)
            .await
            .unwrap();
        let (_, small) = s.order(s.customer, &[(s.drill, "2")]).await; // 226.00 owed
        let ok = crm
            .create_shipping_notice(
                s.co.admin,
                NoticeInput::builder()
                    .lines(vec![(small[0], d("2"))])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(ok.notice.value.state, NoticeState::Released);
        let (_, more) = s.order(s.customer, &[(s.drill, "1")]).await; // 339.00 owed
        let held = crm
            .create_shipping_notice(
                s.co.admin,
                NoticeInput::builder()
                    .lines(vec![(more[0], d("1"))])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(held.notice.value.state, NoticeState::Held);
        assert!(held
            .notice
            .value
            .hold_reason
            .unwrap()
            .contains("credit limit"));
    });
}

#[test]
fn goods_reports_list_unshipped_lines_goods_issued_and_slow_movers() {
    let s = depot();
    block_on(async {
        let crm = s.crm();
        s.stock_in(vec![
            receipt(s.drill, s.main, "10", "80"),
            receipt(s.bolt, s.second, "100", "0.5"),
        ])
        .await;
        let (order, lines) = s.order(s.customer, &[(s.drill, "5")]).await;
        crm.stock_out(s.clerk, s.out(&[(lines[0], s.main, "3")]))
            .await
            .unwrap();
        crm.requisition(
            s.clerk,
            RequisitionInput::builder()
                .warehouse_id(s.main)
                .project("展会样机".into())
                .lines(vec![(s.drill, d("1"))])
                .build(),
        )
        .await
        .unwrap();
        let unshipped = crm.unshipped_goods(s.clerk).await.unwrap();
        assert_eq!(unshipped.len(), 1);
        assert_eq!(unshipped[0].order_id, order);
        assert_eq!((unshipped[0].shipped, unshipped[0].left), (d("3"), d("2")));
        // Administrators see it too; a salesperson without sales_order.view may not ask.
        assert_eq!(crm.unshipped_goods(s.co.admin).await.unwrap(), unshipped);
        assert!(denied(&crm.unshipped_goods(s.co.owner).await));
        let day = |m, dd| NaiveDate::from_ymd_opt(2026, m, dd).unwrap();
        let issued = crm
            .goods_issued(s.clerk, day(3, 1), day(3, 31))
            .await
            .unwrap();
        assert_eq!(issued.len(), 1);
        assert_eq!(issued[0].month, "2026-03");
        assert_eq!((issued[0].quantity, issued[0].value), (d("4"), d("320.00")));
        assert!(crm
            .goods_issued(s.clerk, day(4, 1), day(4, 30))
            .await
            .unwrap()
            .is_empty());
        // The bolts have not moved since they came in; the drills have.
        let slow = crm.slow_moving_stock(s.clerk, day(3, 1)).await.unwrap();
        assert_eq!(slow.len(), 1);
        assert_eq!(
            (slow[0].product_id, slow[0].on_hand, slow[0].value),
            (s.bolt, d("100"), d("50.00"))
        );
    });
}

#[test]
fn sales_by_region_groups_booked_lines_by_the_customers_province_and_industry() {
    let s = depot();
    block_on(async {
        let crm = s.crm();
        for (id, province, industry) in [
            (s.customer, "上海", "机械"),
            (s.other_customer, "浙江", "五金"),
        ] {
            let c = crm.customer(s.co.admin, id).await.unwrap();
            let mut input = CustomerInput::builder().name(c.value.name.clone()).build();
            input.province = Some(province.into());
            input.industry = Some(industry.into());
            crm.update_customer(s.co.admin, id, c.version, input)
                .await
                .unwrap();
        }
        s.order(s.customer, &[(s.drill, "2")]).await; // 226.00
        s.order(s.customer, &[(s.drill, "1")]).await; // 113.00
        s.order(s.other_customer, &[(s.drill, "1")]).await;
        let day = |m, dd| NaiveDate::from_ymd_opt(2026, m, dd).unwrap();
        let rows = crm
            .sales_by_region(s.co.admin, day(3, 1), day(3, 31))
            .await
            .unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.province.as_str(), r.industry.as_str(), r.orders, r.gross))
            .collect();
        assert_eq!(
            got,
            vec![
                ("上海", "机械", 2, d("339.00")),
                ("浙江", "五金", 1, d("113.00"))
            ]
        );
    });
}

#[test]
fn receivables_reckoned_per_stock_out_fall_due_as_goods_ship() {
    let s = depot();
    let crm = Crm::new(s.crm().store().clone())
        .with_clock(s.co.clock.clone())
        .with_sales_policy(SalesPolicy {
            receivable_basis: ReceivableBasis::PerStockOut,
            ..SalesPolicy::default()
        });
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "10", "80")]).await;
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        // 3 drills at 113.00: 339.00, nothing due until something ships.
        let (_, lines) = s.order(s.customer, &[(s.drill, "3")]).await;
        async fn owed(crm: &Crm, admin: Actor, customer: Uuid, today: NaiveDate) -> Decimal {
            crm.receivables(admin, today, Some(customer))
                .await
                .unwrap()
                .first()
                .map_or(Decimal::ZERO, |r| r.due)
        }
        let owed = |crm| owed(crm, s.co.admin, s.customer, today);
        assert_eq!(owed(&crm).await, d("0"));
        // Under the default basis the whole order is due at once.
        assert_eq!(owed(s.crm()).await, d("339.00"));
        crm.stock_out(s.clerk, s.out(&[(lines[0], s.main, "1")]))
            .await
            .unwrap();
        assert_eq!(owed(&crm).await, d("113.00"));
        crm.stock_out(s.clerk, s.out(&[(lines[0], s.main, "2")]))
            .await
            .unwrap();
        assert_eq!(owed(&crm).await, d("339.00"));
        let statement = crm
            .customer_statement(s.co.admin, s.customer)
            .await
            .unwrap();
        let shipped: Vec<_> = statement
            .iter()
            .filter(|l| l.entry == "stock_out")
            .map(|l| (l.number.as_str(), l.debit))
            .collect();
        assert_eq!(
            shipped,
            vec![
                ("CK-2026-000001", d("113.00")),
                ("CK-2026-000002", d("226.00"))
            ]
        );
    });
}

/// Gives the workshop (a new employee) the production permissions, nothing else.
fn workshop(s: &Depot) -> Actor {
    block_on(async {
        let crm = s.crm();
        let role = crm
            .create_role(
                s.co.admin,
                "车间",
                [Op::View, Op::Create].map(|op| Permission::new(Resource::Production, op)),
                false,
            )
            .await
            .unwrap();
        let org = crm.org().await.unwrap();
        let root = org
            .employee(s.co.admin.employee_id())
            .unwrap()
            .department_id;
        let e = crm
            .create_employee(
                s.co.admin,
                NewEmployee::builder()
                    .code("chejian".into())
                    .name("吴车间".into())
                    .department_id(root)
                    .manager_id(None)
                    .role_ids(BTreeSet::from([role.id]))
                    .build(),
            )
            .await
            .unwrap();
        Actor::new(e.id)
    })
}

fn ready(order_id: Uuid, lines: &[(Uuid, &str)]) -> ReadyInput {
    ReadyInput::builder()
        .order_id(order_id)
        .lines(lines.iter().map(|&(l, q)| (l, d(q))).collect())
        .build()
}

#[test]
fn production_marks_stay_between_what_shipped_and_what_was_ordered_and_bad_marks_write_nothing() {
    let s = depot();
    let shop = workshop(&s);
    block_on(async {
        let crm = s.crm();
        s.stock_in(vec![receipt(s.drill, s.main, "10", "80")]).await;
        let (order, lines) = s.order(s.customer, &[(s.drill, "5"), (s.bolt, "4")]).await;
        let r = crm
            .mark_production_ready(shop, ready(order, &[(lines[0], "3")]))
            .await
            .unwrap();
        assert_eq!(r.lines[0].ready, d("3"));
        assert_eq!(r.lines[1].ready, d("0"));
        crm.stock_out(s.clerk, s.out(&[(lines[0], s.main, "2")]))
            .await
            .unwrap();
        let marks = count(crm, &PRODUCTION_READY).await;
        let (other_order, other_lines) = s.order(s.other_customer, &[(s.drill, "1")]).await;
        let bad: Vec<(ReadyInput, &str)> = vec![
            (ready(order, &[]), "lines"),
            (ready(order, &[(lines[0], "0")]), "lines[0].quantity"),
            // 3 + 3 = 6 ready of 5 ordered.
            (ready(order, &[(lines[0], "3")]), "lines[0].quantity"),
            // The second mark of the same line counts the first: 3 + 1 + 2 = 6.
            (
                ready(order, &[(lines[0], "1"), (lines[0], "2")]),
                "lines[1].quantity",
            ),
            // 3 − 2 = 1 ready, fewer than the 2 shipped.
            (ready(order, &[(lines[0], "-2")]), "lines[0].quantity"),
            (
                ready(order, &[(other_lines[0], "1")]),
                "lines[0].order_line_id",
            ),
            (
                ready(order, &[(lines[1], "0.0000001")]),
                "lines[0].quantity",
            ),
        ];
        for (input, field) in bad {
            let r = crm.mark_production_ready(shop, input.clone()).await;
            assert!(
                matches!(&r, Err(Error::Invalid { field: f, .. }) if f == field),
                "{input:?}: {r:?}"
            );
        }
        // A draft order has nothing production may mark.
        let draft = crm
            .create_order(
                s.co.admin,
                OrderInput::builder()
                    .customer_id(s.customer)
                    .lines(vec![LineDraft::builder()
                        .product_id(s.drill)
                        .quantity(d("1"))
                        .build()])
                    .build(),
            )
            .await
            .unwrap();
        let r = crm
            .mark_production_ready(
                shop,
                ready(draft.order.value.id, &[(draft.lines[0].id, "1")]),
            )
            .await;
        assert!(
            matches!(&r, Err(Error::Invalid { field, .. }) if field == "order_id"),
            "{r:?}"
        );
        assert_eq!(count(crm, &PRODUCTION_READY).await, marks);
        // Taking back one mistaken unit is a further entry.
        let r = crm
            .mark_production_ready(shop, ready(order, &[(lines[0], "-1")]))
            .await
            .unwrap();
        assert_eq!(r.lines[0].ready, d("2"));
        assert_eq!(r.lines[0].shipped, d("2"));
        let read = crm.production_readiness(shop, order).await.unwrap();
        assert_eq!(read, r);
        assert_eq!(count(crm, &PRODUCTION_READY).await, marks + 1);
        let _ = other_order;
    });
}

#[test]
fn a_notice_is_held_until_production_has_its_units_ready_beyond_what_released_notices_claim() {
    let s = depot();
    owner_writes_notices(&s);
    let shop = workshop(&s);
    let crm = with_policy(
        &s,
        ShippingPolicy {
            gate: ShipGate::ProductionReady,
            stock_out_from_notice: true,
        },
    );
    block_on(async {
        s.stock_in(vec![receipt(s.drill, s.main, "10", "80")]).await;
        let (order, lines) = s.order(s.customer, &[(s.drill, "5")]).await;
        crm.mark_production_ready(shop, ready(order, &[(lines[0], "2")]))
            .await
            .unwrap();
        let notice = |q: &str| {
            crm.create_shipping_notice(
                s.co.owner,
                NoticeInput::builder().lines(vec![(lines[0], d(q))]).build(),
            )
        };
        let first = notice("3").await.unwrap();
        assert_eq!(first.notice.value.state, NoticeState::Held);
        let reason = first.notice.value.hold_reason.clone().unwrap();
        assert!(reason.contains("电钻") && reason.contains('2'), "{reason}");
        let n = first.notice.value.id;
        let early = crm.release_shipping_notice(s.co.owner, n).await;
        assert!(
            matches!(early, Err(Error::PermissionDenied(_))),
            "{early:?}"
        );
        crm.mark_production_ready(shop, ready(order, &[(lines[0], "1")]))
            .await
            .unwrap();
        let released = crm.release_shipping_notice(s.co.owner, n).await.unwrap();
        assert_eq!(released.notice.value.state, NoticeState::Released);
        // The three ready units are the first notice's: a second one waits for more.
        let second = notice("2").await.unwrap();
        assert_eq!(second.notice.value.state, NoticeState::Held);
        let mut ship = s.out(&[(lines[0], s.main, "3")]);
        ship.notice_id = Some(n);
        crm.stock_out(s.clerk, ship).await.unwrap();
        // Shipped units stay counted against what is ready.
        let still = crm
            .release_shipping_notice(s.co.owner, second.notice.value.id)
            .await;
        assert!(
            matches!(still, Err(Error::PermissionDenied(_))),
            "{still:?}"
        );
        crm.mark_production_ready(shop, ready(order, &[(lines[0], "2")]))
            .await
            .unwrap();
        let done = crm
            .release_shipping_notice(s.co.owner, second.notice.value.id)
            .await
            .unwrap();
        assert_eq!(done.notice.value.state, NoticeState::Released);
    });
}

#[test]
fn production_operations_are_denied_without_their_permission_before_the_order_is_read() {
    let s = depot();
    block_on(async {
        let crm = s.crm();
        let (order, lines) = s.order(s.customer, &[(s.drill, "5")]).await;
        // The clerk and the customer's owner hold no production permission.
        for actor in [s.clerk, s.co.owner] {
            assert!(denied(
                &crm.mark_production_ready(actor, ready(order, &[(lines[0], "1")]))
                    .await
            ));
            assert!(denied(&crm.production_readiness(actor, order).await));
            // An unknown order is refused the same way: no permission, no existence.
            assert!(denied(
                &crm.production_readiness(actor, Uuid::now_v7()).await
            ));
        }
        assert_eq!(count(crm, &PRODUCTION_READY).await, 0);
    });
}
