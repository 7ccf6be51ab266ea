//! Reports of the goods path: unshipped goods, goods issued, sales by customer region and
//! industry, slow-moving stock and purchases by supplier. Stock on hand and its value are
//! [`Crm::stock_on_hand`] and [`Crm::stock_value_as_of`].
//!
//! Reports about customers' documents (unshipped goods, sales by region) count only what the
//! actor may see, with the same visibility rule as every search, unless the actor holds the
//! warehouse's `stock_out.view` (unshipped goods are the warehouse's work list). Reports about
//! goods and suppliers are company-wide and need `stock.view` or `purchase.view`.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Crm, Session};
use crate::customer::access::visibility_filter_on;
use crate::customer::{Customer, CUSTOMER};
use crate::error::{Error, Result};
use crate::inventory::{MoveType, STOCK_BALANCE, STOCK_MOVE};
use crate::org::{Actor, Op, Permission, Resource};
use crate::product::{Product, PRODUCT};
use crate::purchase::{PurchaseState, Supplier, PURCHASE_ORDER, SUPPLIER};
use crate::sales::{OrderLine, OrderState, SalesOrder, SALES_ORDER, SALES_ORDER_LINE};
use crate::store::{Aggregate, AggregateRow, Entity, Filter, GroupBy, Order, Query, Value};

/// One order line with goods still to ship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnshippedRow {
    /// The order.
    pub order_id: Uuid,
    /// Its number.
    pub order_number: String,
    /// Its customer.
    pub customer_id: Uuid,
    /// The order line.
    pub order_line_id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// Its name on the order.
    pub product_name: String,
    /// Ordered.
    pub ordered: Decimal,
    /// Shipped.
    pub shipped: Decimal,
    /// Left to ship.
    pub left: Decimal,
}

/// Goods issued in one month of one product from one warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedRow {
    /// `YYYY-MM`.
    pub month: String,
    /// The product.
    pub product_id: Uuid,
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// Units issued (stock-outs and requisitions).
    pub quantity: Decimal,
    /// Their value at moving average cost.
    pub value: Decimal,
}

/// Sales of one province and industry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionRow {
    /// The customers' province (empty when not recorded).
    pub province: String,
    /// Their industry (empty when not recorded).
    pub industry: String,
    /// Orders.
    pub orders: u64,
    /// Net amount.
    pub net: Decimal,
    /// Gross amount.
    pub gross: Decimal,
}

/// A product on hand that has not gone out since a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlowMovingRow {
    /// The product.
    pub product_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// On hand across warehouses.
    pub on_hand: Decimal,
    /// Their value.
    pub value: Decimal,
}

/// Purchases from one supplier over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseSummaryRow {
    /// The supplier.
    pub supplier_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Approved purchase orders.
    pub orders: u64,
    /// Net amount.
    pub net: Decimal,
    /// Input VAT.
    pub tax: Decimal,
    /// Gross amount.
    pub gross: Decimal,
}

fn need(s: &Session, resource: Resource, op: Op, action: &str) -> Result<()> {
    if s.ctx.has(resource, op) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(resource, op)
        )))
    }
}

fn period(column: &'static str, from: NaiveDate, to: NaiveDate) -> Result<Filter> {
    if to < from {
        return Err(Error::invalid("to", format!("{to} is before {from}")));
    }
    Ok(Filter::Range(
        column,
        Bound::Included(Value::Date(from)),
        Bound::Included(Value::Date(to)),
    ))
}

fn key_id(row: &AggregateRow, i: usize) -> Result<Uuid> {
    match row.keys.get(i) {
        Some(Value::Id(id)) => Ok(*id),
        other => Err(Error::backend_msg(format!("aggregate key {i}: {other:?}"))),
    }
}

fn key_text(row: &AggregateRow, i: usize) -> String {
    match row.keys.get(i) {
        Some(Value::Text(t)) => t.clone(),
        _ => String::new(),
    }
}

impl Crm {
    /// Order lines with goods still to ship, of approved and partly shipped orders, by order
    /// number and line. The warehouse (`stock_out.view`) sees every order; others need
    /// `sales_order.view` and see the orders of customers they may see.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without either permission.
    pub async fn unshipped_goods(&self, actor: Actor) -> Result<Vec<UnshippedRow>> {
        let action = "report.unshipped_goods";
        let res = async {
            let s = self.session(actor).await?;
            let mut f = vec![Filter::In(
                "state",
                [OrderState::Approved, OrderState::PartlyShipped]
                    .iter()
                    .map(|st| Value::Text(st.as_str().into()))
                    .collect(),
            )];
            if !s.ctx.has(Resource::StockOut, Op::View) {
                need(&s, Resource::SalesOrder, Op::View, action)?;
                f.extend(visibility_filter_on(
                    &s.ctx,
                    self.shared_with(&s).await?,
                    "customer_id",
                ));
            }
            let q =
                Query::filter(&SALES_ORDER, Filter::And(f)).order_by(vec![Order::asc("number")]);
            let orders: Vec<SalesOrder> = self
                .store
                .query(&q)
                .await?
                .records
                .iter()
                .map(SalesOrder::from_record)
                .collect::<Result<_>>()?;
            if orders.is_empty() {
                return Ok(Vec::new());
            }
            let ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
            let lines_q = Query::filter(
                &SALES_ORDER_LINE,
                Filter::In("order_id", ids.iter().map(|&i| Value::Id(i)).collect()),
            )
            .order_by(vec![Order::asc("position")]);
            let lines: Vec<OrderLine> = self
                .store
                .query(&lines_q)
                .await?
                .records
                .iter()
                .map(OrderLine::from_record)
                .collect::<Result<_>>()?;
            let shipped = self.shipped_of(&ids).await?;
            let mut rows = Vec::new();
            for o in &orders {
                for l in lines.iter().filter(|l| l.doc_id == o.id) {
                    let done = shipped.get(&l.id).copied().unwrap_or_default();
                    if done < l.quantity {
                        rows.push(UnshippedRow {
                            order_id: o.id,
                            order_number: o.number.clone(),
                            customer_id: o.customer_id,
                            order_line_id: l.id,
                            product_id: l.product_id,
                            product_name: l.product_name.clone(),
                            ordered: l.quantity,
                            shipped: done,
                            left: l.quantity - done,
                        });
                    }
                }
            }
            Ok(rows)
        }
        .await;
        self.logged(actor, action, "sales_order", None, res).await
    }

    /// Goods issued (stock-outs and requisitions) per month, product and warehouse, from the
    /// ledger in one aggregate.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.view`; [`Error::Invalid`] for `to` before
    /// `from`.
    pub async fn goods_issued(
        &self,
        actor: Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<IssuedRow>> {
        let action = "report.goods_issued";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::View, action)?;
            let agg = Aggregate {
                kind: &STOCK_MOVE,
                filter: Filter::And(vec![
                    Filter::In(
                        "move_type",
                        [MoveType::Issue, MoveType::Requisition]
                            .iter()
                            .map(|m| Value::Text(m.as_str().into()))
                            .collect(),
                    ),
                    period("move_date", from, to)?,
                ]),
                group_by: vec![
                    GroupBy::Month("move_date"),
                    GroupBy::Column("product_id"),
                    GroupBy::Column("warehouse_id"),
                ],
                sums: vec!["quantity", "value"],
                distinct: vec![],
            };
            let mut rows = Vec::new();
            for r in self.store.aggregate(&agg).await? {
                rows.push(IssuedRow {
                    month: key_text(&r, 0),
                    product_id: key_id(&r, 1)?,
                    warehouse_id: key_id(&r, 2)?,
                    quantity: -r.sums[0],
                    value: -r.sums[1],
                });
            }
            rows.sort_by(|a, b| {
                (&a.month, a.product_id, a.warehouse_id).cmp(&(
                    &b.month,
                    b.product_id,
                    b.warehouse_id,
                ))
            });
            Ok(rows)
        }
        .await;
        self.logged(actor, action, "stock_move", None, res).await
    }

    /// Sales (booked order lines, by order date) per customer province and industry, over the
    /// customers the actor may see.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sales_order.view`; [`Error::Invalid`] for `to`
    /// before `from`.
    pub async fn sales_by_region(
        &self,
        actor: Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RegionRow>> {
        let action = "report.sales_by_region";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::View, action)?;
            let mut f = vec![
                Filter::Eq("booked", Value::Bool(true)),
                period("doc_date", from, to)?,
            ];
            f.extend(visibility_filter_on(
                &s.ctx,
                self.shared_with(&s).await?,
                "customer_id",
            ));
            let agg = Aggregate {
                kind: &SALES_ORDER_LINE,
                filter: Filter::And(f),
                group_by: vec![GroupBy::Column("customer_id")],
                sums: vec!["net", "gross"],
                distinct: vec!["order_id"],
            };
            let per_customer = self.store.aggregate(&agg).await?;
            let ids: Vec<Uuid> = per_customer
                .iter()
                .map(|r| key_id(r, 0))
                .collect::<Result<_>>()?;
            let customers: HashMap<Uuid, Customer> = self
                .store
                .get_many(&CUSTOMER, &ids)
                .await?
                .iter()
                .map(|r| Customer::from_record(r).map(|c| (c.id, c)))
                .collect::<Result<_>>()?;
            let mut rows: BTreeMap<(String, String), RegionRow> = BTreeMap::new();
            for r in &per_customer {
                let c = customers.get(&key_id(r, 0)?);
                let province = c.and_then(|c| c.province.clone()).unwrap_or_default();
                let industry = c.and_then(|c| c.industry.clone()).unwrap_or_default();
                let row = rows
                    .entry((province.clone(), industry.clone()))
                    .or_insert_with(|| RegionRow {
                        province,
                        industry,
                        orders: 0,
                        net: Decimal::ZERO,
                        gross: Decimal::ZERO,
                    });
                // An order belongs to one customer, so per-customer distinct counts add up.
                row.orders += r.distinct[0];
                row.net += r.sums[0];
                row.gross += r.sums[1];
            }
            Ok(rows.into_values().collect())
        }
        .await;
        self.logged(actor, action, "sales_order", None, res).await
    }

    /// Products on hand that have not gone out (no stock-out or requisition) since `since`,
    /// by code.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.view`.
    pub async fn slow_moving_stock(
        &self,
        actor: Actor,
        since: NaiveDate,
    ) -> Result<Vec<SlowMovingRow>> {
        let action = "report.slow_moving_stock";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::View, action)?;
            let on_hand = Aggregate {
                kind: &STOCK_BALANCE,
                filter: Filter::All,
                group_by: vec![GroupBy::Column("product_id")],
                sums: vec!["quantity", "value"],
                distinct: vec![],
            };
            let moved = Aggregate {
                kind: &STOCK_MOVE,
                filter: Filter::And(vec![
                    Filter::In(
                        "move_type",
                        [MoveType::Issue, MoveType::Requisition]
                            .iter()
                            .map(|m| Value::Text(m.as_str().into()))
                            .collect(),
                    ),
                    Filter::Range(
                        "move_date",
                        Bound::Included(Value::Date(since)),
                        Bound::Unbounded,
                    ),
                ]),
                group_by: vec![GroupBy::Column("product_id")],
                sums: vec![],
                distinct: vec![],
            };
            let (on_hand, moved) =
                futures::try_join!(self.store.aggregate(&on_hand), self.store.aggregate(&moved))?;
            let moved: std::collections::HashSet<Uuid> =
                moved.iter().map(|r| key_id(r, 0)).collect::<Result<_>>()?;
            let still: Vec<(Uuid, Decimal, Decimal)> = on_hand
                .iter()
                .map(|r| Ok((key_id(r, 0)?, r.sums[0], r.sums[1])))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .filter(|(p, q, _)| *q > Decimal::ZERO && !moved.contains(p))
                .collect();
            let ids: Vec<Uuid> = still.iter().map(|r| r.0).collect();
            let products: HashMap<Uuid, Product> = self
                .store
                .get_many(&PRODUCT, &ids)
                .await?
                .iter()
                .map(|r| Product::from_record(r).map(|p| (p.id, p)))
                .collect::<Result<_>>()?;
            let mut rows: Vec<SlowMovingRow> = still
                .into_iter()
                .map(|(id, q, v)| SlowMovingRow {
                    product_id: id,
                    code: products
                        .get(&id)
                        .map(|p| p.code.clone())
                        .unwrap_or_default(),
                    name: products
                        .get(&id)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    on_hand: q,
                    value: v,
                })
                .collect();
            rows.sort_by(|a, b| a.code.cmp(&b.code));
            Ok(rows)
        }
        .await;
        self.logged(actor, action, "stock_balance", None, res).await
    }

    /// Approved purchase orders (by order date) per supplier: count, net, tax, gross; by
    /// supplier code.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `purchase.view`; [`Error::Invalid`] for `to` before
    /// `from`.
    pub async fn purchase_summary(
        &self,
        actor: Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PurchaseSummaryRow>> {
        let action = "report.purchase_summary";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Purchase, Op::View, action)?;
            let due: Vec<Value> = PurchaseState::ALL
                .iter()
                .filter(|st| st.is_due())
                .map(|st| Value::Text(st.as_str().into()))
                .collect();
            let agg = Aggregate {
                kind: &PURCHASE_ORDER,
                filter: Filter::And(vec![
                    Filter::In("state", due),
                    period("order_date", from, to)?,
                ]),
                group_by: vec![GroupBy::Column("supplier_id")],
                sums: vec!["net", "tax", "gross"],
                distinct: vec![],
            };
            let per = self.store.aggregate(&agg).await?;
            let ids: Vec<Uuid> = per.iter().map(|r| key_id(r, 0)).collect::<Result<_>>()?;
            let suppliers: HashMap<Uuid, Supplier> = self
                .store
                .get_many(&SUPPLIER, &ids)
                .await?
                .iter()
                .map(|r| Supplier::from_record(r).map(|x| (x.id, x)))
                .collect::<Result<_>>()?;
            let mut rows = Vec::new();
            for r in &per {
                let id = key_id(r, 0)?;
                let sup = suppliers.get(&id);
                rows.push(PurchaseSummaryRow {
                    supplier_id: id,
                    code: sup.map(|x| x.code.clone()).unwrap_or_default(),
                    name: sup.map(|x| x.name.clone()).unwrap_or_default(),
                    orders: r.count,
                    net: r.sums[0],
                    tax: r.sums[1],
                    gross: r.sums[2],
                });
            }
            rows.sort_by(|a, b| a.code.cmp(&b.code));
            Ok(rows)
        }
        .await;
        self.logged(actor, action, "purchase_order", None, res)
            .await
    }
}
