//! Sales reports: salesperson performance per month (and per department) and the product
//! sales summary, both over what the actor may see, both answered by the store's aggregates
//! (a `GROUP BY` on engines that have one) rather than by decoding every line.

use std::collections::BTreeMap;
use std::ops::Bound;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Crm, Session};
use crate::customer::access::visibility_filter_on;
use crate::error::{Error, Result};
use crate::finance::RECEIPT;
use crate::org::{Actor, Op, Permission, Resource};
use crate::product::{Product, PRODUCT};
use crate::sales::SALES_ORDER_LINE;
use crate::store::{Aggregate, AggregateRow, Entity, Filter, GroupBy, Value};

/// One salesperson's figures for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformanceRow {
    /// The salesperson (the owner of the orders and receipts).
    pub employee_id: Uuid,
    /// Their name.
    pub employee_name: String,
    /// Their department.
    pub department_id: Option<Uuid>,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Orders that are sales (approved or further), by order date.
    pub orders: u64,
    /// Their amount excluding tax.
    pub net: Decimal,
    /// Their amount including tax.
    pub gross: Decimal,
    /// Receipts (CNY value) by receipt date.
    pub received: Decimal,
}

/// One department's figures for one month: the sum of its salespeople's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentRow {
    /// The department.
    pub department_id: Uuid,
    /// Its name.
    pub department_name: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Orders.
    pub orders: u64,
    /// Net amount.
    pub net: Decimal,
    /// Gross amount.
    pub gross: Decimal,
    /// Received.
    pub received: Decimal,
}

/// Salesperson performance (销售业绩) over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesPerformance {
    /// Per salesperson and month, by name then month.
    pub by_employee: Vec<PerformanceRow>,
    /// Per department and month, by name then month.
    pub by_department: Vec<DepartmentRow>,
}

/// One product's sales over a period (商品销售汇总).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSalesRow {
    /// The product.
    pub product_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Order lines.
    pub lines: u64,
    /// Quantity sold.
    pub quantity: Decimal,
    /// Net amount.
    pub net: Decimal,
    /// Tax.
    pub tax: Decimal,
    /// Gross amount.
    pub gross: Decimal,
}

fn need(s: &Session, action: &str) -> Result<()> {
    if s.ctx.has(Resource::SalesOrder, Op::View) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(Resource::SalesOrder, Op::View)
        )))
    }
}

fn period(column: &'static str, from: NaiveDate, to: NaiveDate) -> Filter {
    Filter::Range(
        column,
        Bound::Included(Value::Date(from)),
        Bound::Included(Value::Date(to)),
    )
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

fn sum(row: &AggregateRow, i: usize) -> Decimal {
    row.sums.get(i).copied().unwrap_or_default()
}

fn perf_row<'a>(
    rows: &'a mut BTreeMap<(Uuid, String), PerformanceRow>,
    org: &crate::org::Org,
    id: Uuid,
    month: String,
) -> &'a mut PerformanceRow {
    rows.entry((id, month.clone())).or_insert_with(|| {
        let e = org.employee(id);
        PerformanceRow {
            employee_id: id,
            employee_name: e.map(|e| e.name.clone()).unwrap_or_default(),
            department_id: e.map(|e| e.department_id),
            month,
            orders: 0,
            net: Decimal::ZERO,
            gross: Decimal::ZERO,
            received: Decimal::ZERO,
        }
    })
}

impl Crm {
    /// The visibility part of a report's filter (documents of the customers the actor may see).
    async fn report_visibility(&self, s: &Session) -> Result<Vec<Filter>> {
        Ok(
            visibility_filter_on(&s.ctx, self.shared_with(s).await?, "customer_id")
                .into_iter()
                .collect(),
        )
    }

    /// Salesperson performance from `from` to `to` (inclusive): per salesperson and month the
    /// sales orders (approved or further along, by order date) with their net and gross
    /// amounts, and the receipts (by receipt date); the same per department. Only documents of
    /// customers the actor may see count, so a salesperson sees their own figures and a manager
    /// their team's.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sales_order.view`; [`Error::Invalid`] for `to`
    /// before `from`.
    pub async fn sales_performance(
        &self,
        actor: Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<SalesPerformance> {
        let action = "report.sales_performance";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, action)?;
            if to < from {
                return Err(Error::invalid("to", format!("{to} is before {from}")));
            }
            let vis = self.report_visibility(&s).await?;
            let with = |mut f: Vec<Filter>| {
                f.extend(vis.iter().cloned());
                Filter::And(f)
            };
            // The orders are counted among their own lines: a sale's lines are booked and
            // carry its owner and date (every order has a line), so one pass over the lines
            // gives amounts and orders alike, without reading the orders.
            let lines = Aggregate {
                kind: &SALES_ORDER_LINE,
                filter: with(vec![
                    Filter::Eq("booked", Value::Bool(true)),
                    period("doc_date", from, to),
                ]),
                group_by: vec![GroupBy::Column("owner_id"), GroupBy::Month("doc_date")],
                sums: vec!["net", "gross"],
                distinct: vec!["order_id"],
            };
            let receipts = Aggregate {
                kind: &RECEIPT,
                filter: with(vec![period("receipt_date", from, to)]),
                group_by: vec![GroupBy::Column("owner_id"), GroupBy::Month("receipt_date")],
                sums: vec!["amount_cny"],
                distinct: vec![],
            };
            // Two independent reads, waited on together: an engine with several connections
            // answers them side by side. (They may see different moments, as separate reports
            // would; each is exact for its own.)
            let (lines, receipts) = futures::try_join!(
                self.store.aggregate(&lines),
                self.store.aggregate(&receipts),
            )?;
            let mut rows: BTreeMap<(Uuid, String), PerformanceRow> = BTreeMap::new();
            let org = &s.org;
            for r in &lines {
                let p = perf_row(&mut rows, org, key_id(r, 0)?, key_text(r, 1));
                p.net += sum(r, 0);
                p.gross += sum(r, 1);
                p.orders += r.distinct.first().copied().unwrap_or_default();
            }
            for r in &receipts {
                perf_row(&mut rows, org, key_id(r, 0)?, key_text(r, 1)).received += sum(r, 0);
            }
            let mut by_employee: Vec<PerformanceRow> = rows.into_values().collect();
            by_employee.sort_by(|a, b| {
                (&a.employee_name, &a.month, a.employee_id).cmp(&(
                    &b.employee_name,
                    &b.month,
                    b.employee_id,
                ))
            });
            let mut depts: BTreeMap<(Uuid, String), DepartmentRow> = BTreeMap::new();
            for p in &by_employee {
                let Some(d) = p.department_id else { continue };
                let r = depts
                    .entry((d, p.month.clone()))
                    .or_insert_with(|| DepartmentRow {
                        department_id: d,
                        department_name: org
                            .department(d)
                            .map(|d| d.name.clone())
                            .unwrap_or_default(),
                        month: p.month.clone(),
                        orders: 0,
                        net: Decimal::ZERO,
                        gross: Decimal::ZERO,
                        received: Decimal::ZERO,
                    });
                r.orders += p.orders;
                r.net += p.net;
                r.gross += p.gross;
                r.received += p.received;
            }
            let mut by_department: Vec<DepartmentRow> = depts.into_values().collect();
            by_department.sort_by(|a, b| {
                (&a.department_name, &a.month, a.department_id).cmp(&(
                    &b.department_name,
                    &b.month,
                    b.department_id,
                ))
            });
            Ok(SalesPerformance {
                by_employee,
                by_department,
            })
        }
        .await;
        self.logged(actor, action, "sales_order", None, res).await
    }

    /// The product sales summary from `from` to `to` (inclusive): per product, the lines,
    /// quantity and amounts of sales orders (approved or further along) of customers the actor
    /// may see, largest gross first.
    ///
    /// # Errors
    /// As [`Crm::sales_performance`].
    pub async fn product_sales(
        &self,
        actor: Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ProductSalesRow>> {
        let action = "report.product_sales";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, action)?;
            if to < from {
                return Err(Error::invalid("to", format!("{to} is before {from}")));
            }
            let mut filter = vec![
                Filter::Eq("booked", Value::Bool(true)),
                period("doc_date", from, to),
            ];
            filter.extend(self.report_visibility(&s).await?);
            let groups = self
                .store
                .aggregate(&Aggregate {
                    kind: &SALES_ORDER_LINE,
                    filter: Filter::And(filter),
                    group_by: vec![GroupBy::Column("product_id")],
                    sums: vec!["quantity", "net", "tax", "gross"],
                    distinct: vec![],
                })
                .await?;
            let ids = groups
                .iter()
                .map(|g| key_id(g, 0))
                .collect::<Result<Vec<_>>>()?;
            let products: BTreeMap<Uuid, Product> = self
                .store
                .get_many(&PRODUCT, &ids)
                .await?
                .iter()
                .map(|r| Product::from_record(r).map(|p| (p.id, p)))
                .collect::<Result<_>>()?;
            let mut rows = groups
                .iter()
                .map(|g| {
                    let id = key_id(g, 0)?;
                    let p = products.get(&id);
                    Ok(ProductSalesRow {
                        product_id: id,
                        code: p.map(|p| p.code.clone()).unwrap_or_default(),
                        name: p.map(|p| p.name.clone()).unwrap_or_default(),
                        lines: g.count,
                        quantity: sum(g, 0),
                        net: sum(g, 1),
                        tax: sum(g, 2),
                        gross: sum(g, 3),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            rows.sort_by(|a, b| b.gross.cmp(&a.gross).then_with(|| a.code.cmp(&b.code)));
            Ok(rows)
        }
        .await;
        self.logged(actor, action, "sales_order", None, res).await
    }
}
