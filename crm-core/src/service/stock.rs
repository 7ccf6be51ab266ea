//! Stock operations (库存): warehouses, stock-ins, stock-outs against sales orders, transfers,
//! requisitions, stocktakes, and the on-hand, valuation, ledger and safety-stock reads.
//!
//! Every movement goes through one [`Ledger`]: it reads the balances it needs by key, values
//! each movement with [`Position`] (the only valuation code), and writes the ledger entries and
//! the changed balances into the operation's commit, asserting the versions it read. Two
//! operations racing for the same units therefore never both commit; the loser decides again
//! on the new balance, up to [`STOCK_ATTEMPTS`] times.
//!
//! Who may do what (ADR 9): warehouses are set up under `warehouse.*`; goods movements inside
//! the company and the stock reports under `stock.*`; shipping goods against sales orders under
//! `stock_out.create`, for any approved order (the warehouse ships what sales approved). A
//! stock-out, which names a customer and its orders, is read by holders of `stock_out.view`
//! and by those who may read every order it ships (`stock.view` reads the movements inside the
//! company, not the stock-outs).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{Crm, OrderDoc, Session};
use crate::error::{Error, Result};
use crate::inventory::{
    MoveType, NoticeState, Position, Posting, StockBalance, StockDoc, StockDocLine, StockDocType,
    StockMove, Stocktake, StocktakeLine, StocktakeState, Warehouse, STOCKTAKE, STOCKTAKE_LINE,
    STOCK_BALANCE, STOCK_DOC, STOCK_DOC_LINE, STOCK_MOVE, WAREHOUSE,
};
use crate::org::{Actor, Op, Permission, Resource};
use crate::product::{Product, PRODUCT};
use crate::purchase::{PurchaseEvent, PurchaseOrder, PurchaseState};
use crate::sales::{tracking_number, OrderEvent, OrderLine, OrderState, SalesOrder, MAX_DECIMALS};
use crate::sources::IdGen;
use crate::store::{Aggregate, Commit, Entity, Filter, GroupBy, Order, Query, Value, Versioned};
use crate::text;

/// How many times a stock operation decides again after a conflict. Stock operations meet on
/// hot records (the balance of a popular product, the year's number sequence): each conflict
/// means another operation committed, so a budget above the number of concurrent writers of
/// one balance lets every one of them through.
pub const STOCK_ATTEMPTS: usize = 4 * super::MAX_ATTEMPTS;

/// A warehouse as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct WarehouseInput {
    /// Code, unique (1–20 characters).
    pub code: String,
    /// Name.
    pub name: String,
    /// Whether stock may go below zero here.
    #[builder(default)]
    pub allow_negative: bool,
}

/// One line of a stock-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockInLine {
    /// The product.
    pub product_id: Uuid,
    /// The warehouse it goes into.
    pub warehouse_id: Uuid,
    /// Units, more than zero.
    pub quantity: Decimal,
    /// Cost per unit excluding tax, zero or more.
    pub unit_cost: Decimal,
}

/// Goods received (入库) other than against a purchase order: opening stock, returns, finds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct StockInInput {
    /// Business date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// The lines.
    pub lines: Vec<StockInLine>,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// One line of a stock-out: part of an order line, from one warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockOutLine {
    /// The sales order line shipped.
    pub order_line_id: Uuid,
    /// The warehouse the goods leave.
    pub warehouse_id: Uuid,
    /// Units, more than zero, at most what is left unshipped.
    pub quantity: Decimal,
}

/// Goods received against an approved purchase order (采购入库), in one or several partial
/// receipts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct PurchaseReceiptInput {
    /// The purchase order.
    pub order_id: Uuid,
    /// Business date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// (purchase order line, warehouse, units) triples.
    pub lines: Vec<(Uuid, Uuid, Decimal)>,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// Goods shipped (出库) against one or more approved orders of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct StockOutInput {
    /// The released shipping notice it ships; required when the company ships from notices
    /// ([`super::ShippingPolicy::stock_out_from_notice`]).
    #[builder(default, setter(strip_option))]
    pub notice_id: Option<Uuid>,
    /// Business date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// The lines.
    pub lines: Vec<StockOutLine>,
    /// The carrier, when sent by courier.
    #[builder(default, setter(strip_option))]
    pub carrier: Option<String>,
    /// The tracking number (with the carrier).
    #[builder(default, setter(strip_option))]
    pub tracking_number: Option<String>,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// Goods moved between warehouses (调拨).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct TransferInput {
    /// Business date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// The warehouse goods leave.
    pub from_warehouse_id: Uuid,
    /// The warehouse goods enter.
    pub to_warehouse_id: Uuid,
    /// (product, units) pairs.
    pub lines: Vec<(Uuid, Decimal)>,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// Goods taken out to a department or a project (领料).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct RequisitionInput {
    /// Business date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// The warehouse goods leave.
    pub warehouse_id: Uuid,
    /// The department that takes them.
    #[builder(default, setter(strip_option))]
    pub department_id: Option<Uuid>,
    /// The project they are for.
    #[builder(default, setter(strip_option))]
    pub project: Option<String>,
    /// (product, units) pairs.
    pub lines: Vec<(Uuid, Decimal)>,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// A stock document with its lines and the ledger entries it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDocView {
    /// The header.
    pub doc: StockDoc,
    /// Its lines, in order.
    pub lines: Vec<StockDocLine>,
    /// The ledger entries it wrote, in order.
    pub moves: Vec<StockMove>,
}

/// A stocktake with its sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StocktakeDoc {
    /// The stocktake.
    pub stocktake: Stocktake,
    /// Its lines, by product code.
    pub lines: Vec<StocktakeLine>,
}

/// What one warehouse holds of one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnHandRow {
    /// The product.
    pub product_id: Uuid,
    /// Its code.
    pub product_code: String,
    /// Its name.
    pub product_name: String,
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// Its code.
    pub warehouse_code: String,
    /// Units on hand.
    pub quantity: Decimal,
    /// Their value.
    pub value: Decimal,
    /// Average unit cost (6 places).
    pub unit_cost: Decimal,
}

/// Stock on hand and its value, per product and warehouse, with totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReport {
    /// Rows by product code, then warehouse code.
    pub rows: Vec<OnHandRow>,
    /// Per product across warehouses: (product, units, value), by product code.
    pub per_product: Vec<(Uuid, Decimal, Decimal)>,
    /// Value of everything.
    pub total_value: Decimal,
}

/// What one order line has shipped and has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineShipping {
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

/// What an order has shipped and has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipping {
    /// The order.
    pub order_id: Uuid,
    /// Its state.
    pub state: OrderState,
    /// Per line, in order.
    pub lines: Vec<LineShipping>,
}

/// A product below its safety stock across all warehouses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyStockAlert {
    /// The product.
    pub product_id: Uuid,
    /// Its code.
    pub product_code: String,
    /// Its name.
    pub product_name: String,
    /// On hand across warehouses.
    pub on_hand: Decimal,
    /// Its safety stock.
    pub safety_stock: Decimal,
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

fn check_quantity(field: &str, q: Decimal) -> Result<()> {
    if q <= Decimal::ZERO {
        return Err(Error::invalid(field, format!("{q} is not more than zero")));
    }
    if q.normalize().scale() > MAX_DECIMALS {
        return Err(Error::invalid(
            field,
            format!("{q} has more than {MAX_DECIMALS} decimal places"),
        ));
    }
    Ok(())
}

fn check_note(note: Option<&str>) -> Result<Option<String>> {
    match note.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text::check_text("note", t, 1, 500).map(Some),
    }
}

/// Renames the field of an input error to where it sits in the input (`lines[2].quantity`).
fn at_line(i: usize, e: Error) -> Error {
    match e {
        Error::Invalid { field, reason } => Error::invalid(format!("lines[{i}].{field}"), reason),
        e => e,
    }
}

/// A balance created twice at once is a race to retry, like a stale version.
fn balance_race(e: Error) -> Error {
    match e {
        Error::AlreadyExists {
            kind: "stock_balance",
            ..
        } => Error::Conflict("two operations made the same stock balance at once".into()),
        e => super::sales::sequence_race(e),
    }
}

/// Runs `$body` until it returns something other than a conflict, at most [`STOCK_ATTEMPTS`]
/// times.
macro_rules! retry_stock {
    ($body:expr) => {{
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome: $crate::Result<_> = $body.await.map_err(balance_race);
            match outcome {
                Err(e) if e.is_retryable() && attempt < STOCK_ATTEMPTS => continue,
                other => break other,
            }
        }
    }};
}

/// The balances one operation reads and changes, and the ledger entries it writes.
struct Ledger {
    ids: Arc<dyn IdGen>,
    doc_id: Uuid,
    doc_type: StockDocType,
    date: NaiveDate,
    at: DateTime<Utc>,
    actor: Uuid,
    warehouses: HashMap<Uuid, Warehouse>,
    products: HashMap<Uuid, Product>,
    /// Balance id → (version read, or `None` when new; the balance as changed so far).
    balances: HashMap<Uuid, (Option<u64>, StockBalance)>,
    moves: Vec<StockMove>,
}

impl Ledger {
    fn balance(
        &mut self,
        product_id: Uuid,
        warehouse_id: Uuid,
    ) -> &mut (Option<u64>, StockBalance) {
        let id = StockBalance::id_of(product_id, warehouse_id);
        let at = self.at;
        self.balances.entry(id).or_insert_with(|| {
            (
                None,
                StockBalance {
                    id,
                    product_id,
                    warehouse_id,
                    position: Position::default(),
                    updated_at: at,
                },
            )
        })
    }

    fn label_product(&self, id: Uuid) -> String {
        self.products
            .get(&id)
            .map_or_else(|| id.to_string(), |p| format!("{} {}", p.code, p.name))
    }

    fn label_warehouse(&self, id: Uuid) -> String {
        self.warehouses
            .get(&id)
            .map_or_else(|| id.to_string(), |w| format!("{} {}", w.code, w.name))
    }

    /// Posts one movement decided by `decide` on the current position.
    fn post(
        &mut self,
        product_id: Uuid,
        warehouse_id: Uuid,
        move_type: MoveType,
        line_id: Option<Uuid>,
        decide: impl FnOnce(&Position, bool) -> Result<Posting>,
    ) -> Result<Posting> {
        let allow_negative = self
            .warehouses
            .get(&warehouse_id)
            .is_some_and(|w| w.allow_negative);
        let product = self.label_product(product_id);
        let warehouse = self.label_warehouse(warehouse_id);
        let at = self.at;
        let entry = self.balance(product_id, warehouse_id);
        let posting = decide(&entry.1.position, allow_negative).map_err(|e| match e {
            Error::InsufficientStock {
                on_hand, wanted, ..
            } => Error::InsufficientStock {
                product,
                warehouse,
                on_hand,
                wanted,
            },
            e => e,
        })?;
        entry.1.position = posting.after;
        entry.1.updated_at = at;
        let after = posting.after;
        let balance_value_before_adjustment = after.value - posting.adjustment.unwrap_or_default();
        self.moves.push(StockMove {
            id: self.ids.next_id(),
            product_id,
            warehouse_id,
            move_type,
            quantity: posting.quantity,
            unit_cost: posting.unit_cost,
            value: posting.value,
            balance_quantity: after.quantity,
            balance_value: balance_value_before_adjustment,
            doc_id: self.doc_id,
            doc_type: self.doc_type,
            doc_line_id: line_id,
            move_date: self.date,
            at: self.at,
            created_by: self.actor,
        });
        if let Some(adjustment) = posting.adjustment {
            self.moves.push(StockMove {
                id: self.ids.next_id(),
                product_id,
                warehouse_id,
                move_type: MoveType::Adjustment,
                quantity: Decimal::ZERO,
                unit_cost: Decimal::ZERO,
                value: adjustment,
                balance_quantity: after.quantity,
                balance_value: after.value,
                doc_id: self.doc_id,
                doc_type: self.doc_type,
                doc_line_id: line_id,
                move_date: self.date,
                at: self.at,
                created_by: self.actor,
            });
        }
        Ok(posting)
    }

    /// Adds the ledger entries and the changed balances to the commit.
    fn write(self, c: &mut Commit) -> Vec<StockMove> {
        for m in &self.moves {
            c.insert(m.to_record());
        }
        let mut balances: Vec<_> = self.balances.into_values().collect();
        balances.sort_by_key(|(_, b)| b.id);
        for (version, b) in balances {
            match version {
                Some(v) => c.update(b.to_record(), v),
                None => c.insert(b.to_record()),
            };
        }
        self.moves
    }
}

impl Crm {
    fn stock_date(&self, date: Option<NaiveDate>) -> NaiveDate {
        date.unwrap_or_else(|| self.today())
    }

    /// Loads the warehouses, products and balances of `pairs` and opens a ledger for a new
    /// document. Every warehouse must exist and be active, every product exist.
    async fn open_ledger(
        &self,
        s: &Session,
        doc_type: StockDocType,
        date: NaiveDate,
        pairs: &[(Uuid, Uuid)],
    ) -> Result<Ledger> {
        let wh_ids: Vec<Uuid> = pairs
            .iter()
            .map(|p| p.1)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let product_ids: Vec<Uuid> = pairs
            .iter()
            .map(|p| p.0)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let balance_ids: Vec<Uuid> = pairs
            .iter()
            .map(|&(p, w)| StockBalance::id_of(p, w))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let (warehouses, products, balances) = futures::try_join!(
            self.store.get_many(&WAREHOUSE, &wh_ids),
            self.store.get_many(&PRODUCT, &product_ids),
            self.store.get_many(&STOCK_BALANCE, &balance_ids),
        )?;
        let warehouses: HashMap<Uuid, Warehouse> = warehouses
            .iter()
            .map(|r| Warehouse::from_record(r).map(|w| (w.id, w)))
            .collect::<Result<_>>()?;
        let products: HashMap<Uuid, Product> = products
            .iter()
            .map(|r| Product::from_record(r).map(|p| (p.id, p)))
            .collect::<Result<_>>()?;
        for (i, &(p, w)) in pairs.iter().enumerate() {
            match warehouses.get(&w) {
                None => {
                    return Err(Error::invalid(
                        format!("lines[{i}].warehouse_id"),
                        format!("no warehouse {w}"),
                    ))
                }
                Some(wh) if !wh.active => {
                    return Err(Error::invalid(
                        format!("lines[{i}].warehouse_id"),
                        format!("warehouse {} is not active", wh.code),
                    ))
                }
                Some(_) => {}
            }
            if !products.contains_key(&p) {
                return Err(Error::invalid(
                    format!("lines[{i}].product_id"),
                    format!("no product {p}"),
                ));
            }
        }
        let balances = balances
            .iter()
            .map(|r| {
                let v = Versioned::<StockBalance>::decode(r)?;
                Ok((v.value.id, (Some(v.version), v.value)))
            })
            .collect::<Result<_>>()?;
        Ok(Ledger {
            ids: self.ids.clone(),
            doc_id: self.new_id(),
            doc_type,
            date,
            at: self.now(),
            actor: s.ctx.employee_id,
            warehouses,
            products,
            balances,
            moves: Vec::new(),
        })
    }

    /// Numbers, audits and commits a stock document whose ledger is complete.
    #[allow(clippy::too_many_arguments)]
    async fn write_stock_doc(
        &self,
        s: &Session,
        action: &str,
        mut c: Commit,
        ledger: Ledger,
        prefix: &str,
        doc: impl FnOnce(Uuid, String, NaiveDate, DateTime<Utc>) -> StockDoc,
        lines: Vec<StockDocLine>,
    ) -> Result<StockDocView> {
        let number = self.next_number(&mut c, prefix, ledger.date.year()).await?;
        let doc = doc(ledger.doc_id, number, ledger.date, ledger.at);
        c.insert(doc.to_record());
        for l in &lines {
            c.insert(l.to_record());
        }
        let moves = ledger.write(&mut c);
        c.insert(self.audit(
            s.ctx.employee_id,
            action,
            "stock_doc",
            Some(doc.id),
            serde_json::json!({
                "number": doc.number,
                "doc_type": doc.doc_type.as_str(),
                "lines": lines.len(),
                "value": lines.iter().map(|l| l.value).sum::<Decimal>(),
            }),
        ));
        self.commit(s, c).await?;
        Ok(StockDocView { doc, lines, moves })
    }

    fn new_doc(
        s: &Session,
        doc_type: StockDocType,
        note: Option<String>,
    ) -> impl FnOnce(Uuid, String, NaiveDate, DateTime<Utc>) -> StockDoc {
        let created_by = s.ctx.employee_id;
        move |id, number, doc_date, created_at| StockDoc {
            id,
            number,
            doc_type,
            doc_date,
            customer_id: None,
            owner_id: None,
            supplier_id: None,
            notice_id: None,
            department_id: None,
            project: None,
            carrier: None,
            tracking_number: None,
            note,
            created_by,
            created_at,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn doc_line(
        &self,
        ledger: &Ledger,
        position: usize,
        product_id: Uuid,
        warehouse_id: Uuid,
        quantity: Decimal,
        posting: &Posting,
    ) -> StockDocLine {
        StockDocLine {
            id: self.new_id(),
            doc_id: ledger.doc_id,
            doc_type: ledger.doc_type,
            doc_date: ledger.date,
            position: i64::try_from(position + 1).unwrap_or(i64::MAX),
            product_id,
            warehouse_id,
            to_warehouse_id: None,
            quantity,
            unit_cost: posting.unit_cost,
            value: posting.value.abs(),
            order_id: None,
            order_line_id: None,
            customer_id: None,
            purchase_order_id: None,
            purchase_line_id: None,
        }
    }

    // ------------------------------------------------------------------ warehouses

    /// Sets up a warehouse.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `warehouse.create`; [`Error::Invalid`] for an empty
    /// or over-long code or name; [`Error::Duplicate`] for a code in use.
    pub async fn create_warehouse(&self, actor: Actor, input: WarehouseInput) -> Result<Warehouse> {
        let action = "warehouse.create";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Warehouse, Op::Create, action)?;
            let code = text::check_text("code", &input.code, 1, 20)?;
            let name = text::check_text("name", &input.name, 1, 100)?;
            let q =
                Query::filter(&WAREHOUSE, Filter::Eq("code", Value::Text(code.clone()))).page(0, 1);
            if let Some(r) = self.store.query(&q).await?.records.first() {
                return Err(Error::Duplicate {
                    kind: "warehouse",
                    rule: "warehouse_code",
                    existing: Some(format!("{} ({})", r.id, code)),
                });
            }
            let w = Warehouse {
                id: self.new_id(),
                code,
                name,
                allow_negative: input.allow_negative,
                active: true,
                created_at: self.now(),
            };
            let mut c = Commit::new();
            c.insert(w.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "warehouse",
                Some(w.id),
                serde_json::json!({ "code": w.code, "allow_negative": w.allow_negative }),
            ));
            self.commit(&s, c).await?;
            Ok(w)
        }
        .await;
        self.logged(actor, action, "warehouse", None, res).await
    }

    /// Every warehouse, by code. Anyone who works with stock may list them.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `warehouse.view`, `stock.view` or
    /// `stock_out.create`.
    pub async fn warehouses(&self, actor: Actor) -> Result<Vec<Warehouse>> {
        let action = "warehouse.list";
        let res = async {
            let s = self.session(actor).await?;
            if !(s.ctx.has(Resource::Warehouse, Op::View)
                || s.ctx.has(Resource::Stock, Op::View)
                || s.ctx.has(Resource::StockOut, Op::Create))
            {
                return Err(Error::PermissionDenied(format!(
                    "{action}: no role grants warehouse.view, stock.view or stock_out.create"
                )));
            }
            let q = Query::all(&WAREHOUSE).order_by(vec![Order::asc("code")]);
            self.store
                .query(&q)
                .await?
                .records
                .iter()
                .map(Warehouse::from_record)
                .collect()
        }
        .await;
        self.logged(actor, action, "warehouse", None, res).await
    }

    // ------------------------------------------------------------------ movements

    /// Receives goods (入库) at the costs entered: opening stock, returns, goods found.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.create`; [`Error::Invalid`] (naming the line)
    /// for no lines, an unknown or inactive warehouse, an unknown product, a quantity not more
    /// than zero or with more than 6 places, a negative cost.
    pub async fn stock_in(&self, actor: Actor, input: StockInInput) -> Result<StockDocView> {
        let action = "stock.in";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::Create, action)?;
            if input.lines.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "a stock-in needs at least one line",
                ));
            }
            for (i, l) in input.lines.iter().enumerate() {
                check_quantity(&format!("lines[{i}].quantity"), l.quantity)?;
                if l.unit_cost < Decimal::ZERO || l.unit_cost.normalize().scale() > MAX_DECIMALS {
                    return Err(Error::invalid(
                        format!("lines[{i}].unit_cost"),
                        format!(
                            "{} is negative or has more than {MAX_DECIMALS} places",
                            l.unit_cost
                        ),
                    ));
                }
            }
            let note = check_note(input.note.as_deref())?;
            let pairs: Vec<(Uuid, Uuid)> = input
                .lines
                .iter()
                .map(|l| (l.product_id, l.warehouse_id))
                .collect();
            let date = self.stock_date(input.date);
            let mut ledger = self
                .open_ledger(&s, StockDocType::StockIn, date, &pairs)
                .await?;
            let mut lines = Vec::with_capacity(input.lines.len());
            for (i, l) in input.lines.iter().enumerate() {
                let line_id = self.new_id();
                let posting = ledger
                    .post(
                        l.product_id,
                        l.warehouse_id,
                        MoveType::Receipt,
                        Some(line_id),
                        |p, _| p.receive(l.quantity, l.unit_cost),
                    )
                    .map_err(|e| at_line(i, e))?;
                let mut line = self.doc_line(
                    &ledger,
                    i,
                    l.product_id,
                    l.warehouse_id,
                    l.quantity,
                    &posting,
                );
                line.id = line_id;
                lines.push(line);
            }
            let doc = Self::new_doc(&s, StockDocType::StockIn, note);
            self.write_stock_doc(&s, action, Commit::new(), ledger, "RK", doc, lines)
                .await
        });
        self.logged(actor, action, "stock_doc", None, res).await
    }

    /// Moves goods between warehouses (调拨) at the moving average cost of the warehouse they
    /// leave: the receiving warehouse takes exactly the value that left, so totals across
    /// warehouses do not change.
    ///
    /// # Errors
    /// As [`Crm::stock_in`]; also [`Error::Invalid`] when both warehouses are the same, and
    /// [`Error::InsufficientStock`] when the warehouse left does not hold enough and does not
    /// allow negative stock.
    pub async fn transfer_stock(&self, actor: Actor, input: TransferInput) -> Result<StockDocView> {
        let action = "stock.transfer";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::Create, action)?;
            let (from, to) = (input.from_warehouse_id, input.to_warehouse_id);
            if from == to {
                return Err(Error::invalid(
                    "to_warehouse_id",
                    "a transfer goes to another warehouse",
                ));
            }
            if input.lines.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "a transfer needs at least one line",
                ));
            }
            for (i, &(_, q)) in input.lines.iter().enumerate() {
                check_quantity(&format!("lines[{i}].quantity"), q)?;
            }
            let note = check_note(input.note.as_deref())?;
            let pairs: Vec<(Uuid, Uuid)> = input
                .lines
                .iter()
                .flat_map(|&(p, _)| [(p, from), (p, to)])
                .collect();
            let date = self.stock_date(input.date);
            let mut ledger = self
                .open_ledger(&s, StockDocType::Transfer, date, &pairs)
                .await?;
            let mut lines = Vec::with_capacity(input.lines.len());
            for (i, &(product, q)) in input.lines.iter().enumerate() {
                let line_id = self.new_id();
                let out = ledger
                    .post(
                        product,
                        from,
                        MoveType::TransferOut,
                        Some(line_id),
                        |p, neg| p.issue(q, neg),
                    )
                    .map_err(|e| at_line(i, e))?;
                ledger
                    .post(product, to, MoveType::TransferIn, Some(line_id), |p, _| {
                        p.receive_value(q, -out.value)
                    })
                    .map_err(|e| at_line(i, e))?;
                let mut line = self.doc_line(&ledger, i, product, from, q, &out);
                line.id = line_id;
                line.to_warehouse_id = Some(to);
                lines.push(line);
            }
            let doc = Self::new_doc(&s, StockDocType::Transfer, note);
            self.write_stock_doc(&s, action, Commit::new(), ledger, "DB", doc, lines)
                .await
        });
        self.logged(actor, action, "stock_doc", None, res).await
    }

    /// Takes goods out to a department or a project (领料) at moving average cost.
    ///
    /// # Errors
    /// As [`Crm::transfer_stock`]; also [`Error::Invalid`] for an unknown department or
    /// neither a department nor a project.
    pub async fn requisition(&self, actor: Actor, input: RequisitionInput) -> Result<StockDocView> {
        let action = "stock.requisition";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::Create, action)?;
            if let Some(d) = input.department_id {
                if s.org.department(d).is_none() {
                    return Err(Error::invalid(
                        "department_id",
                        format!("no department {d}"),
                    ));
                }
            }
            let project = match input.project.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(p) => Some(text::check_text("project", p, 1, 100)?),
            };
            if input.department_id.is_none() && project.is_none() {
                return Err(Error::invalid(
                    "department_id",
                    "a requisition names the department or the project that takes the goods",
                ));
            }
            if input.lines.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "a requisition needs at least one line",
                ));
            }
            for (i, &(_, q)) in input.lines.iter().enumerate() {
                check_quantity(&format!("lines[{i}].quantity"), q)?;
            }
            let note = check_note(input.note.as_deref())?;
            let wh = input.warehouse_id;
            let pairs: Vec<(Uuid, Uuid)> = input.lines.iter().map(|&(p, _)| (p, wh)).collect();
            let date = self.stock_date(input.date);
            let mut ledger = self
                .open_ledger(&s, StockDocType::Requisition, date, &pairs)
                .await?;
            let mut lines = Vec::with_capacity(input.lines.len());
            for (i, &(product, q)) in input.lines.iter().enumerate() {
                let line_id = self.new_id();
                let out = ledger
                    .post(
                        product,
                        wh,
                        MoveType::Requisition,
                        Some(line_id),
                        |p, neg| p.issue(q, neg),
                    )
                    .map_err(|e| at_line(i, e))?;
                let mut line = self.doc_line(&ledger, i, product, wh, q, &out);
                line.id = line_id;
                lines.push(line);
            }
            let make = Self::new_doc(&s, StockDocType::Requisition, note);
            let department_id = input.department_id;
            let doc = move |id, number, date, at| StockDoc {
                department_id,
                project,
                ..make(id, number, date, at)
            };
            self.write_stock_doc(&s, action, Commit::new(), ledger, "LL", doc, lines)
                .await
        });
        self.logged(actor, action, "stock_doc", None, res).await
    }

    /// Receives goods against an approved purchase order: each line at the order line's cost
    /// excluding tax (input VAT is not a cost of the goods), in proportion to the units received
    /// and rounded to the fen, the receipt completing a line taking exactly what is left of its
    /// net amount, so the stock takes in the order's net to the fen. The order moves to partly
    /// received or received in the same commit.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.create`; [`Error::NotFound`] for an unknown
    /// order; [`Error::Invalid`] (naming the line) for an order not approved or already
    /// received, a line not on it, more than is left to receive, a bad quantity or warehouse.
    pub async fn receive_purchase(
        &self,
        actor: Actor,
        input: PurchaseReceiptInput,
    ) -> Result<StockDocView> {
        let action = "stock.receive_purchase";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::Create, action)?;
            if input.lines.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "a stock-in needs at least one line",
                ));
            }
            for (i, l) in input.lines.iter().enumerate() {
                check_quantity(&format!("lines[{i}].quantity"), l.2)?;
            }
            let note = check_note(input.note.as_deref())?;
            let po = self.load_purchase(input.order_id).await?;
            let o = &po.order.value;
            if !matches!(
                o.state,
                PurchaseState::Approved | PurchaseState::PartlyReceived
            ) {
                return Err(Error::invalid(
                    "order_id",
                    format!(
                        "purchase order {} is {}; only approved orders not yet received take goods",
                        o.number,
                        o.state.as_str()
                    ),
                ));
            }
            // Received so far per line: (units, value).
            let q = Query::filter(
                &STOCK_DOC_LINE,
                Filter::Eq("purchase_order_id", Value::Id(o.id)),
            );
            let mut received: HashMap<Uuid, (Decimal, Decimal)> = HashMap::new();
            for r in &self.store.query(&q).await?.records {
                let l = StockDocLine::from_record(r)?;
                if let Some(pl) = l.purchase_line_id {
                    let e = received.entry(pl).or_default();
                    e.0 += l.quantity;
                    e.1 += l.value;
                }
            }
            let mut planned = Vec::with_capacity(input.lines.len());
            for (i, &(line_id, warehouse_id, qty)) in input.lines.iter().enumerate() {
                let pl = po.lines.iter().find(|l| l.id == line_id).ok_or_else(|| {
                    Error::invalid(
                        format!("lines[{i}].purchase_line_id"),
                        format!("{line_id} is not a line of purchase order {}", o.number),
                    )
                })?;
                let done = received.entry(line_id).or_default();
                if done.0 + qty > pl.quantity {
                    return Err(Error::invalid(
                        format!("lines[{i}].quantity"),
                        format!(
                            "{qty} of {} is more than is left to receive ({})",
                            pl.product_name,
                            pl.quantity - done.0
                        ),
                    ));
                }
                let value = if done.0 + qty == pl.quantity {
                    pl.net - done.1
                } else {
                    crate::money::round(
                        pl.net * qty / pl.quantity,
                        crate::inventory::VALUE_DECIMALS,
                        crate::inventory::VALUATION_ROUNDING,
                    )
                };
                done.0 += qty;
                done.1 += value;
                planned.push((pl.product_id, line_id, warehouse_id, qty, value));
            }
            let pairs: Vec<(Uuid, Uuid)> = planned.iter().map(|p| (p.0, p.2)).collect();
            let date = self.stock_date(input.date);
            let mut ledger = self
                .open_ledger(&s, StockDocType::StockIn, date, &pairs)
                .await?;
            let mut lines = Vec::with_capacity(planned.len());
            for (i, &(product, pl_id, wh, qty, value)) in planned.iter().enumerate() {
                let line_id = self.new_id();
                let posting = ledger
                    .post(product, wh, MoveType::Receipt, Some(line_id), |p, _| {
                        p.receive_value(qty, value)
                    })
                    .map_err(|e| at_line(i, e))?;
                let mut line = self.doc_line(&ledger, i, product, wh, qty, &posting);
                line.id = line_id;
                line.purchase_order_id = Some(o.id);
                line.purchase_line_id = Some(pl_id);
                lines.push(line);
            }
            let complete = po
                .lines
                .iter()
                .all(|l| received.get(&l.id).is_some_and(|r| r.0 >= l.quantity));
            let event = if complete {
                PurchaseEvent::ReceivedAll
            } else {
                PurchaseEvent::ReceivedPart
            };
            let mut c = Commit::new();
            c.update(
                PurchaseOrder {
                    state: o.state.apply(event)?,
                    updated_at: self.now(),
                    ..o.clone()
                }
                .to_record(),
                po.order.version,
            );
            let make = Self::new_doc(&s, StockDocType::StockIn, note);
            let supplier_id = o.supplier_id;
            let doc = move |id, number, date, at| StockDoc {
                supplier_id: Some(supplier_id),
                ..make(id, number, date, at)
            };
            self.write_stock_doc(&s, action, c, ledger, "RK", doc, lines)
                .await
        });
        self.logged(actor, action, "purchase_order", Some(input.order_id), res)
            .await
    }

    // ------------------------------------------------------------------ stock-out

    /// Units shipped so far per order line of `order_ids`.
    pub(super) async fn shipped_of(&self, order_ids: &[Uuid]) -> Result<HashMap<Uuid, Decimal>> {
        let q = Query::filter(
            &STOCK_DOC_LINE,
            Filter::And(vec![
                Filter::In(
                    "order_id",
                    order_ids.iter().map(|&i| Value::Id(i)).collect(),
                ),
                Filter::Eq(
                    "doc_type",
                    Value::Text(StockDocType::StockOut.as_str().into()),
                ),
            ]),
        );
        let mut shipped: HashMap<Uuid, Decimal> = HashMap::new();
        for r in &self.store.query(&q).await?.records {
            let l = StockDocLine::from_record(r)?;
            if let Some(ol) = l.order_line_id {
                *shipped.entry(ol).or_default() += l.quantity;
            }
        }
        Ok(shipped)
    }

    fn shipping_of(doc: &OrderDoc, shipped: &HashMap<Uuid, Decimal>) -> OrderShipping {
        OrderShipping {
            order_id: doc.order.value.id,
            state: doc.order.value.state,
            lines: doc
                .lines
                .iter()
                .map(|l| {
                    let done = shipped.get(&l.id).copied().unwrap_or_default();
                    LineShipping {
                        order_line_id: l.id,
                        product_id: l.product_id,
                        product_name: l.product_name.clone(),
                        ordered: l.quantity,
                        shipped: done,
                        left: l.quantity - done,
                    }
                })
                .collect(),
        }
    }

    /// Ships goods (出库) against approved orders of one customer: lowers on hand, writes the
    /// ledger at moving average cost, and advances each order to partly shipped or shipped,
    /// all in one commit. One stock-out may cover several orders; an order may be shipped in
    /// several stock-outs; each line names its warehouse.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock_out.create`; [`Error::Invalid`] (naming the
    /// line) for no lines, an unknown order line, an order not approved (or already shipped),
    /// orders of different customers, more than is left unshipped, a bad quantity, warehouse
    /// or tracking number; [`Error::InsufficientStock`] when a warehouse does not hold enough.
    pub async fn stock_out(&self, actor: Actor, input: StockOutInput) -> Result<StockDocView> {
        let action = "stock_out.create";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::StockOut, Op::Create, action)?;
            if input.lines.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "a stock-out needs at least one line",
                ));
            }
            for (i, l) in input.lines.iter().enumerate() {
                check_quantity(&format!("lines[{i}].quantity"), l.quantity)?;
            }
            let note = check_note(input.note.as_deref())?;
            let (carrier, tracking) = match (&input.carrier, &input.tracking_number) {
                (None, None) => (None, None),
                (Some(c), Some(n)) => (
                    Some(text::check_text("carrier", c, 1, 50)?),
                    Some(tracking_number(n)?),
                ),
                _ => {
                    return Err(Error::invalid(
                        "tracking_number",
                        "a tracking number goes with its carrier",
                    ))
                }
            };
            // The order lines, their orders, what they shipped so far.
            let line_ids: Vec<Uuid> = input
                .lines
                .iter()
                .map(|l| l.order_line_id)
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let found: HashMap<Uuid, OrderLine> = self
                .store
                .get_many(&crate::sales::SALES_ORDER_LINE, &line_ids)
                .await?
                .iter()
                .map(|r| OrderLine::from_record(r).map(|l| (l.id, l)))
                .collect::<Result<_>>()?;
            let mut order_ids = Vec::new();
            for (i, l) in input.lines.iter().enumerate() {
                let ol = found.get(&l.order_line_id).ok_or_else(|| {
                    Error::invalid(
                        format!("lines[{i}].order_line_id"),
                        format!("no sales order line {}", l.order_line_id),
                    )
                })?;
                if !order_ids.contains(&ol.doc_id) {
                    order_ids.push(ol.doc_id);
                }
            }
            let mut orders: BTreeMap<Uuid, OrderDoc> = BTreeMap::new();
            for &id in &order_ids {
                orders.insert(id, self.load_order(id).await?);
            }
            let first = &orders[&order_ids[0]].order.value;
            let (customer_id, owner_id) = (first.customer_id, first.owner_id);
            for doc in orders.values() {
                let o = &doc.order.value;
                if o.customer_id != customer_id {
                    return Err(Error::invalid(
                        "lines",
                        format!(
                            "order {} is for another customer; one stock-out ships to one customer",
                            o.number
                        ),
                    ));
                }
                if !matches!(o.state, OrderState::Approved | OrderState::PartlyShipped) {
                    return Err(Error::invalid(
                        "lines",
                        format!(
                            "order {} is {}; only approved orders not yet fully shipped ship",
                            o.number,
                            o.state.as_str()
                        ),
                    ));
                }
            }
            let mut shipped = self.shipped_of(&order_ids).await?;
            // Units open notices (other than the one shipped) hold for their own stock-outs.
            let claims = self.notice_claims(&order_ids, input.notice_id).await?;
            let mut notice = match input.notice_id {
                Some(id) => Some(self.load_notice(id).await.map_err(|e| match e {
                    Error::NotFound { .. } => {
                        Error::invalid("notice_id", format!("no shipping notice {id}"))
                    }
                    e => e,
                })?),
                None if self.shipping.stock_out_from_notice => {
                    return Err(Error::invalid(
                        "notice_id",
                        "goods ship against a released shipping notice (company setting)",
                    ))
                }
                None => None,
            };
            if let Some(n) = &notice {
                let v = &n.notice.value;
                if !matches!(v.state, NoticeState::Released | NoticeState::PartlyShipped) {
                    return Err(Error::invalid(
                        "notice_id",
                        format!("shipping notice {} is {}", v.number, v.state.as_str()),
                    ));
                }
            }
            for (i, l) in input.lines.iter().enumerate() {
                let ol = &found[&l.order_line_id];
                let done = shipped.entry(ol.id).or_default();
                *done += l.quantity;
                let held = claims.get(&ol.id).copied().unwrap_or_default();
                if *done + held > ol.quantity {
                    return Err(Error::invalid(
                        format!("lines[{i}].quantity"),
                        format!(
                            "{} of {} is more than is left to ship ({}, of which {held} held by other shipping notices)",
                            l.quantity,
                            ol.product_name,
                            ol.quantity - (*done - l.quantity)
                        ),
                    ));
                }
                if let Some(n) = notice.as_mut() {
                    let nl = n
                        .lines
                        .iter_mut()
                        .find(|x| x.value.order_line_id == ol.id)
                        .ok_or_else(|| {
                            Error::invalid(
                                format!("lines[{i}].order_line_id"),
                                format!("{} is not on the shipping notice", ol.product_name),
                            )
                        })?;
                    nl.value.shipped += l.quantity;
                    if nl.value.shipped > nl.value.quantity {
                        return Err(Error::invalid(
                            format!("lines[{i}].quantity"),
                            format!(
                                "{} of {} is more than the shipping notice leaves ({})",
                                l.quantity,
                                ol.product_name,
                                nl.value.quantity - (nl.value.shipped - l.quantity)
                            ),
                        ));
                    }
                }
            }
            let pairs: Vec<(Uuid, Uuid)> = input
                .lines
                .iter()
                .map(|l| (found[&l.order_line_id].product_id, l.warehouse_id))
                .collect();
            let date = self.stock_date(input.date);
            let mut ledger = self
                .open_ledger(&s, StockDocType::StockOut, date, &pairs)
                .await?;
            let mut lines = Vec::with_capacity(input.lines.len());
            for (i, l) in input.lines.iter().enumerate() {
                let ol = &found[&l.order_line_id];
                let line_id = self.new_id();
                let out = ledger
                    .post(
                        ol.product_id,
                        l.warehouse_id,
                        MoveType::Issue,
                        Some(line_id),
                        |p, neg| p.issue(l.quantity, neg),
                    )
                    .map_err(|e| at_line(i, e))?;
                let mut line =
                    self.doc_line(&ledger, i, ol.product_id, l.warehouse_id, l.quantity, &out);
                line.id = line_id;
                line.order_id = Some(ol.doc_id);
                line.order_line_id = Some(ol.id);
                line.customer_id = Some(customer_id);
                lines.push(line);
            }
            // Each order moves on; its version guards what was left to ship.
            let mut c = Commit::new();
            let notice_id = input.notice_id;
            if let Some(n) = notice {
                let complete = n.lines.iter().all(|l| l.value.shipped >= l.value.quantity);
                let v = &n.notice.value;
                c.update(
                    crate::inventory::ShippingNotice {
                        state: v
                            .state
                            .apply(crate::inventory::NoticeEvent::Shipped { complete })?,
                        ..v.clone()
                    }
                    .to_record(),
                    n.notice.version,
                );
                for l in &n.lines {
                    c.update(l.value.to_record(), l.version);
                }
            }
            for doc in orders.values() {
                let o = &doc.order.value;
                let complete = doc
                    .lines
                    .iter()
                    .all(|l| shipped.get(&l.id).copied().unwrap_or_default() >= l.quantity);
                let state = o.state.apply(OrderEvent::Shipped { complete })?;
                c.update(
                    SalesOrder {
                        state,
                        updated_at: self.now(),
                        ..o.clone()
                    }
                    .to_record(),
                    doc.order.version,
                );
            }
            let make = Self::new_doc(&s, StockDocType::StockOut, note);
            let doc = move |id, number, date, at| StockDoc {
                notice_id,
                customer_id: Some(customer_id),
                owner_id: Some(owner_id),
                carrier,
                tracking_number: tracking,
                ..make(id, number, date, at)
            };
            self.write_stock_doc(&s, action, c, ledger, "CK", doc, lines)
                .await
        });
        self.logged(actor, action, "stock_doc", None, res).await
    }

    /// What an order has shipped and has left, per line.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] unless the actor holds `stock_out.view` or may read the
    /// order (`sales_order.view` checked before anything is read); [`Error::NotFound`] for an
    /// unknown order.
    pub async fn order_shipping(&self, actor: Actor, order_id: Uuid) -> Result<OrderShipping> {
        let action = "stock_out.order_shipping";
        let res = async {
            let s = self.session(actor).await?;
            // The permission first, so that one without it is not told whether the order
            // exists.
            let warehouse = s.ctx.has(Resource::StockOut, Op::View);
            if !warehouse {
                need(&s, Resource::SalesOrder, Op::View, action)?;
            }
            let doc = self.load_order(order_id).await?;
            if !warehouse {
                let o = &doc.order.value;
                self.doc_guard(&s, action, o.owner_id, o.customer_id, false)
                    .await?;
            }
            let shipped = self.shipped_of(&[order_id]).await?;
            Ok(Self::shipping_of(&doc, &shipped))
        }
        .await;
        self.logged(actor, action, "sales_order", Some(order_id), res)
            .await
    }

    /// A stock document with its lines and ledger entries. Movements inside the company are
    /// read with `stock.view`; a stock-out, which names a customer and its orders, by the
    /// warehouse (`stock_out.view`) or with `sales_order.view` by whoever may read every order
    /// it ships (ADR 9: the customer rule applies outside the warehouse).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without any of `stock.view`, `stock_out.view` and
    /// `sales_order.view` (before anything is read), for a document other than a stock-out
    /// without `stock.view`, or for a stock-out the actor may not read as above;
    /// [`Error::NotFound`] for an unknown document.
    pub async fn stock_doc(&self, actor: Actor, id: Uuid) -> Result<StockDocView> {
        let action = "stock.doc";
        let res = async {
            let s = self.session(actor).await?;
            let (stock, warehouse, sales) = (
                s.ctx.has(Resource::Stock, Op::View),
                s.ctx.has(Resource::StockOut, Op::View),
                s.ctx.has(Resource::SalesOrder, Op::View),
            );
            if !(stock || warehouse || sales) {
                return Err(Error::PermissionDenied(format!(
                    "{action}: no role grants stock.view, stock_out.view or sales_order.view"
                )));
            }
            let doc = StockDoc::from_record(&self.store.get(&STOCK_DOC, id).await?.ok_or(
                Error::NotFound {
                    kind: "stock_doc",
                    id: id.to_string(),
                },
            )?)?;
            let lines = Query::filter(&STOCK_DOC_LINE, Filter::Eq("doc_id", Value::Id(id)))
                .order_by(vec![Order::asc("position")]);
            let lines: Vec<StockDocLine> = self
                .store
                .query(&lines)
                .await?
                .records
                .iter()
                .map(StockDocLine::from_record)
                .collect::<Result<_>>()?;
            if doc.doc_type != StockDocType::StockOut {
                need(&s, Resource::Stock, Op::View, action)?;
            } else if !warehouse {
                need(&s, Resource::SalesOrder, Op::View, action)?;
                // Every order it ships: one stock-out may carry orders of several owners.
                let order_ids: Vec<Uuid> = lines.iter().filter_map(|l| l.order_id).collect();
                let what = format!("stock-out {}", doc.number);
                self.guard_orders(&s, action, &order_ids, false, &what)
                    .await?;
            }
            let moves = Query::filter(&STOCK_MOVE, Filter::Eq("doc_id", Value::Id(id)))
                .order_by(vec![Order::asc("id")]);
            let moves = self.store.query(&moves).await?;
            Ok(StockDocView {
                doc,
                lines,
                moves: moves
                    .records
                    .iter()
                    .map(StockMove::from_record)
                    .collect::<Result<_>>()?,
            })
        }
        .await;
        self.logged(actor, action, "stock_doc", Some(id), res).await
    }

    // ------------------------------------------------------------------ stocktakes

    /// Begins a stocktake (盘点) of a warehouse: freezes the book quantity of every product it
    /// holds or has held.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.create`; [`Error::Invalid`] for an unknown
    /// warehouse.
    pub async fn begin_stocktake(&self, actor: Actor, warehouse_id: Uuid) -> Result<StocktakeDoc> {
        let action = "stock.stocktake_begin";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::Create, action)?;
            if self.store.get(&WAREHOUSE, warehouse_id).await?.is_none() {
                return Err(Error::invalid(
                    "warehouse_id",
                    format!("no warehouse {warehouse_id}"),
                ));
            }
            let q = Query::filter(
                &STOCK_BALANCE,
                Filter::Eq("warehouse_id", Value::Id(warehouse_id)),
            );
            let balances = self
                .store
                .query(&q)
                .await?
                .records
                .iter()
                .map(StockBalance::from_record)
                .collect::<Result<Vec<_>>>()?;
            let mut c = Commit::new();
            let number = self.next_number(&mut c, "PD", self.today().year()).await?;
            let stocktake = Stocktake {
                id: self.new_id(),
                number,
                warehouse_id,
                state: StocktakeState::Counting,
                frozen_at: self.now(),
                posted_doc_id: None,
                created_by: s.ctx.employee_id,
            };
            let lines: Vec<StocktakeLine> = balances
                .iter()
                .map(|b| StocktakeLine {
                    id: self.new_id(),
                    stocktake_id: stocktake.id,
                    product_id: b.product_id,
                    book_quantity: b.position.quantity,
                    counted: None,
                })
                .collect();
            c.insert(stocktake.to_record());
            for l in &lines {
                c.insert(l.to_record());
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "stocktake",
                Some(stocktake.id),
                serde_json::json!({ "number": stocktake.number, "lines": lines.len() }),
            ));
            self.commit(&s, c).await?;
            Ok(StocktakeDoc { stocktake, lines })
        });
        self.logged(actor, action, "stocktake", None, res).await
    }

    async fn load_stocktake(
        &self,
        id: Uuid,
    ) -> Result<(Versioned<Stocktake>, Vec<Versioned<StocktakeLine>>)> {
        let r = self
            .store
            .get(&STOCKTAKE, id)
            .await?
            .ok_or(Error::NotFound {
                kind: "stocktake",
                id: id.to_string(),
            })?;
        let q = Query::filter(&STOCKTAKE_LINE, Filter::Eq("stocktake_id", Value::Id(id)));
        let lines = self
            .store
            .query(&q)
            .await?
            .records
            .iter()
            .map(Versioned::decode)
            .collect::<Result<_>>()?;
        Ok((Versioned::decode(&r)?, lines))
    }

    /// Enters counted quantities on a stocktake's sheet. A product not on the sheet is added
    /// with a book quantity of zero (goods found where none were booked).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.edit`; [`Error::NotFound`] for an unknown
    /// stocktake; [`Error::Invalid`] for one no longer counting, an unknown product, a
    /// negative count or one with more than 6 places.
    pub async fn enter_counts(
        &self,
        actor: Actor,
        stocktake_id: Uuid,
        counts: Vec<(Uuid, Decimal)>,
    ) -> Result<StocktakeDoc> {
        let action = "stock.stocktake_count";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::Edit, action)?;
            let (st, lines) = self.load_stocktake(stocktake_id).await?;
            if st.value.state != StocktakeState::Counting {
                return Err(Error::invalid(
                    "stocktake_id",
                    format!(
                        "stocktake {} is {}",
                        st.value.number,
                        st.value.state.as_str()
                    ),
                ));
            }
            let mut by_product: HashMap<Uuid, (Option<u64>, StocktakeLine)> = lines
                .into_iter()
                .map(|l| (l.value.product_id, (Some(l.version), l.value)))
                .collect();
            let ids: Vec<Uuid> = counts.iter().map(|c| c.0).collect();
            let known: HashSet<Uuid> = self
                .store
                .get_many(&PRODUCT, &ids)
                .await?
                .iter()
                .map(|r| r.id)
                .collect();
            let mut changed = Vec::new();
            for (i, &(product, counted)) in counts.iter().enumerate() {
                if counted < Decimal::ZERO || counted.normalize().scale() > MAX_DECIMALS {
                    return Err(Error::invalid(
                        format!("counts[{i}].counted"),
                        format!("{counted} is negative or has more than {MAX_DECIMALS} places"),
                    ));
                }
                if !known.contains(&product) {
                    return Err(Error::invalid(
                        format!("counts[{i}].product_id"),
                        format!("no product {product}"),
                    ));
                }
                let entry = by_product.entry(product).or_insert_with(|| {
                    (
                        None,
                        StocktakeLine {
                            id: self.new_id(),
                            stocktake_id,
                            product_id: product,
                            book_quantity: Decimal::ZERO,
                            counted: None,
                        },
                    )
                });
                entry.1.counted = Some(counted);
                if !changed.contains(&product) {
                    changed.push(product);
                }
            }
            let mut c = Commit::new();
            c.assert_version(&STOCKTAKE, stocktake_id, st.version);
            for p in &changed {
                let (version, line) = &by_product[p];
                match version {
                    Some(v) => c.update(line.to_record(), *v),
                    None => c.insert(line.to_record()),
                };
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "stocktake",
                Some(stocktake_id),
                serde_json::json!({ "counts": counts.len() }),
            ));
            self.commit(&s, c).await?;
            let mut lines: Vec<StocktakeLine> = by_product.into_values().map(|v| v.1).collect();
            lines.sort_by_key(|l| (l.product_id, l.id));
            Ok(StocktakeDoc {
                stocktake: st.value,
                lines,
            })
        });
        self.logged(actor, action, "stocktake", Some(stocktake_id), res)
            .await
    }

    /// Posts a stocktake: every counted line's difference from its frozen book quantity is
    /// received (a gain, at the current unit cost) or issued (a loss, at moving average cost)
    /// as one stock document; movements since the freeze stay as they are. Lines left
    /// uncounted post nothing.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.edit`; [`Error::NotFound`] for an unknown
    /// stocktake; [`Error::Invalid`] for one no longer counting or with nothing counted;
    /// [`Error::InsufficientStock`] when a loss is more than is now on hand and the warehouse
    /// does not allow negative stock.
    pub async fn post_stocktake(&self, actor: Actor, stocktake_id: Uuid) -> Result<StockDocView> {
        let action = "stock.stocktake_post";
        let res = retry_stock!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::Edit, action)?;
            let (st, lines) = self.load_stocktake(stocktake_id).await?;
            if st.value.state != StocktakeState::Counting {
                return Err(Error::invalid(
                    "stocktake_id",
                    format!(
                        "stocktake {} is {}",
                        st.value.number,
                        st.value.state.as_str()
                    ),
                ));
            }
            let mut counted: Vec<(Uuid, Decimal)> = lines
                .iter()
                .filter_map(|l| {
                    l.value
                        .counted
                        .map(|c| (l.value.product_id, c - l.value.book_quantity))
                })
                .collect();
            if lines.iter().all(|l| l.value.counted.is_none()) {
                return Err(Error::invalid("stocktake_id", "nothing has been counted"));
            }
            counted.sort();
            let wh = st.value.warehouse_id;
            let diffs: Vec<(Uuid, Decimal)> =
                counted.into_iter().filter(|(_, d)| !d.is_zero()).collect();
            let pairs: Vec<(Uuid, Uuid)> = diffs.iter().map(|&(p, _)| (p, wh)).collect();
            let mut ledger = self
                .open_ledger(&s, StockDocType::Stocktake, self.today(), &pairs)
                .await?;
            let mut doc_lines = Vec::with_capacity(diffs.len());
            for (i, &(product, diff)) in diffs.iter().enumerate() {
                let line_id = self.new_id();
                let move_type = if diff > Decimal::ZERO {
                    MoveType::CountGain
                } else {
                    MoveType::CountLoss
                };
                let posting = ledger
                    .post(product, wh, move_type, Some(line_id), |p, neg| {
                        p.correct(diff, neg)?
                            .ok_or_else(|| Error::backend_msg("a zero difference was posted"))
                    })
                    .map_err(|e| at_line(i, e))?;
                let mut line = self.doc_line(&ledger, i, product, wh, diff.abs(), &posting);
                line.id = line_id;
                doc_lines.push(line);
            }
            let mut c = Commit::new();
            c.update(
                Stocktake {
                    state: StocktakeState::Posted,
                    posted_doc_id: Some(ledger.doc_id),
                    ..st.value.clone()
                }
                .to_record(),
                st.version,
            );
            let note = Some(format!("stocktake {}", st.value.number));
            let doc = Self::new_doc(&s, StockDocType::Stocktake, note);
            self.write_stock_doc(&s, action, c, ledger, "PY", doc, doc_lines)
                .await
        });
        self.logged(actor, action, "stocktake", Some(stocktake_id), res)
            .await
    }

    // ------------------------------------------------------------------ reads

    /// Stock on hand and its value per product and warehouse (only where a product has moved),
    /// optionally for one warehouse or one product, with per-product and overall totals.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.view`.
    pub async fn stock_on_hand(
        &self,
        actor: Actor,
        warehouse_id: Option<Uuid>,
        product_id: Option<Uuid>,
    ) -> Result<StockReport> {
        let action = "stock.on_hand";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::View, action)?;
            let mut f = Vec::new();
            if let Some(w) = warehouse_id {
                f.push(Filter::Eq("warehouse_id", Value::Id(w)));
            }
            if let Some(p) = product_id {
                f.push(Filter::Eq("product_id", Value::Id(p)));
            }
            let balances = self
                .store
                .query(&Query::filter(&STOCK_BALANCE, Filter::And(f)))
                .await?
                .records
                .iter()
                .map(StockBalance::from_record)
                .collect::<Result<Vec<_>>>()?;
            self.stock_report(balances).await
        }
        .await;
        self.logged(actor, action, "stock_balance", None, res).await
    }

    async fn stock_report(&self, balances: Vec<StockBalance>) -> Result<StockReport> {
        let pids: Vec<Uuid> = balances
            .iter()
            .map(|b| b.product_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let all_warehouses = Query::all(&WAREHOUSE);
        let (products, warehouses) = futures::try_join!(
            self.store.get_many(&PRODUCT, &pids),
            self.store.query(&all_warehouses),
        )?;
        let products: HashMap<Uuid, Product> = products
            .iter()
            .map(|r| Product::from_record(r).map(|p| (p.id, p)))
            .collect::<Result<_>>()?;
        let warehouses: HashMap<Uuid, Warehouse> = warehouses
            .records
            .iter()
            .map(|r| Warehouse::from_record(r).map(|w| (w.id, w)))
            .collect::<Result<_>>()?;
        let mut rows: Vec<OnHandRow> = balances
            .iter()
            .map(|b| {
                let p = products.get(&b.product_id);
                OnHandRow {
                    product_id: b.product_id,
                    product_code: p.map(|p| p.code.clone()).unwrap_or_default(),
                    product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
                    warehouse_id: b.warehouse_id,
                    warehouse_code: warehouses
                        .get(&b.warehouse_id)
                        .map(|w| w.code.clone())
                        .unwrap_or_default(),
                    quantity: b.position.quantity,
                    value: b.position.value,
                    unit_cost: b.position.unit_cost(),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (&a.product_code, &a.warehouse_code, a.product_id).cmp(&(
                &b.product_code,
                &b.warehouse_code,
                b.product_id,
            ))
        });
        let mut per_product: Vec<(Uuid, Decimal, Decimal)> = Vec::new();
        for r in &rows {
            match per_product.last_mut() {
                Some(last) if last.0 == r.product_id => {
                    last.1 += r.quantity;
                    last.2 += r.value;
                }
                _ => per_product.push((r.product_id, r.quantity, r.value)),
            }
        }
        let total_value = rows.iter().map(|r| r.value).sum();
        Ok(StockReport {
            rows,
            per_product,
            total_value,
        })
    }

    /// Stock on hand and its value as it stood at the end of `date`, summed from the ledger
    /// (one aggregate over the entries up to that date, grouped by product and warehouse).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.view`.
    pub async fn stock_value_as_of(&self, actor: Actor, date: NaiveDate) -> Result<StockReport> {
        let action = "stock.value_as_of";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::View, action)?;
            let agg = Aggregate {
                kind: &STOCK_MOVE,
                filter: Filter::Range(
                    "move_date",
                    std::ops::Bound::Unbounded,
                    std::ops::Bound::Included(Value::Date(date)),
                ),
                group_by: vec![
                    GroupBy::Column("product_id"),
                    GroupBy::Column("warehouse_id"),
                ],
                sums: vec!["quantity", "value"],
                distinct: vec![],
            };
            let at = self.now();
            let mut balances = Vec::new();
            for row in self.store.aggregate(&agg).await? {
                let (Some(Value::Id(product_id)), Some(Value::Id(warehouse_id))) =
                    (row.keys.first(), row.keys.get(1))
                else {
                    return Err(Error::backend_msg("stock aggregate without its keys"));
                };
                balances.push(StockBalance {
                    id: StockBalance::id_of(*product_id, *warehouse_id),
                    product_id: *product_id,
                    warehouse_id: *warehouse_id,
                    position: Position {
                        quantity: row.sums[0],
                        value: row.sums[1],
                        last_cost: Decimal::ZERO,
                    },
                    updated_at: at,
                });
            }
            self.stock_report(balances).await
        }
        .await;
        self.logged(actor, action, "stock_move", None, res).await
    }

    /// The ledger of one product (in one warehouse, or all), oldest first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.view`.
    pub async fn stock_ledger(
        &self,
        actor: Actor,
        product_id: Uuid,
        warehouse_id: Option<Uuid>,
    ) -> Result<Vec<StockMove>> {
        let action = "stock.ledger";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::View, action)?;
            let mut f = vec![Filter::Eq("product_id", Value::Id(product_id))];
            if let Some(w) = warehouse_id {
                f.push(Filter::Eq("warehouse_id", Value::Id(w)));
            }
            let q = Query::filter(&STOCK_MOVE, Filter::And(f))
                .order_by(vec![Order::asc("at"), Order::asc("id")]);
            self.store
                .query(&q)
                .await?
                .records
                .iter()
                .map(StockMove::from_record)
                .collect()
        }
        .await;
        self.logged(actor, action, "stock_move", None, res).await
    }

    /// Products whose stock across all warehouses is below their safety stock, by code.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `stock.view`.
    pub async fn safety_stock_alerts(&self, actor: Actor) -> Result<Vec<SafetyStockAlert>> {
        let action = "stock.safety_alerts";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Stock, Op::View, action)?;
            let products = Query::filter(&PRODUCT, Filter::IsNull("safety_stock", false));
            let agg = Aggregate {
                kind: &STOCK_BALANCE,
                filter: Filter::All,
                group_by: vec![GroupBy::Column("product_id")],
                sums: vec!["quantity"],
                distinct: vec![],
            };
            let (products, on_hand) =
                futures::try_join!(self.store.query(&products), self.store.aggregate(&agg))?;
            let on_hand: HashMap<Uuid, Decimal> = on_hand
                .iter()
                .filter_map(|r| match r.keys.first() {
                    Some(Value::Id(p)) => Some((*p, r.sums[0])),
                    _ => None,
                })
                .collect();
            let mut alerts = Vec::new();
            for r in &products.records {
                let p = Product::from_record(r)?;
                let Some(safety) = p.safety_stock else {
                    continue;
                };
                let have = on_hand.get(&p.id).copied().unwrap_or_default();
                if p.active && have < safety {
                    alerts.push(SafetyStockAlert {
                        product_id: p.id,
                        product_code: p.code,
                        product_name: p.name,
                        on_hand: have,
                        safety_stock: safety,
                    });
                }
            }
            alerts.sort_by(|a, b| a.product_code.cmp(&b.product_code));
            Ok(alerts)
        }
        .await;
        self.logged(actor, action, "product", None, res).await
    }
}
