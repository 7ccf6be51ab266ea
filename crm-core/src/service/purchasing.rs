//! Purchasing operations (采购管理): suppliers, requests for quotation and their answers,
//! purchase orders and their approval, payments to suppliers, input invoices, payables. Goods
//! received against a purchase order are a stock-in: [`Crm::receive_purchase`] in
//! `service/stock.rs`. The records and the payables identity are in [`crate::purchase`].
//!
//! Purchasing is company-wide: suppliers are not accounts owned by a salesperson, so what an
//! actor may see and do is decided by permissions alone (`supplier.*`, `purchase.*`,
//! `payable.*`; ADR 9). A purchase order is approved by someone holding `purchase.approve`
//! other than its author (four eyes), unless the approver is an administrator.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{Crm, Session};
use crate::error::{Error, Result};
use crate::finance::CASH_ACCOUNT;
use crate::money::{compute_document, round_money, unit_price_exclusive, LineInput, PriceBasis};
use crate::org::{Actor, Op, Permission, Resource};
use crate::product::{Product, PRODUCT};
use crate::purchase::{
    PurchaseEvent, PurchaseLine, PurchaseOrder, PurchaseState, Rfq, RfqAnswer, RfqLine,
    RfqSupplier, Supplier, SupplierContact, SupplierInvoice, SupplierOpening, SupplierPayment,
    SupplierPrice, PURCHASE_LINE, PURCHASE_ORDER, RFQ, RFQ_ANSWER, RFQ_LINE, RFQ_SUPPLIER,
    SUPPLIER, SUPPLIER_CONTACT, SUPPLIER_INVOICE, SUPPLIER_OPENING, SUPPLIER_PAYMENT,
    SUPPLIER_PRICE,
};
use crate::sales::{check_invoice_number, InvoiceKind, MAX_DECIMALS};
use crate::store::{Aggregate, Commit, Entity, Filter, GroupBy, Order, Query, Value, Versioned};
use crate::text;

use super::retry;

/// A supplier as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct SupplierInput {
    /// Code, unique.
    pub code: String,
    /// Company name; duplicates are refused on its normalised key.
    pub name: String,
    /// Unified social credit code.
    #[builder(default, setter(strip_option))]
    pub credit_code: Option<String>,
    /// Telephone.
    #[builder(default, setter(strip_option))]
    pub phone: Option<String>,
    /// Address.
    #[builder(default, setter(strip_option))]
    pub address: Option<String>,
    /// Bank and account.
    #[builder(default, setter(strip_option))]
    pub bank_account: Option<String>,
    /// Contacts: (name, mobile, title).
    #[builder(default)]
    pub contacts: Vec<(String, Option<String>, Option<String>)>,
}

/// A supplier with its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierDoc {
    /// The supplier.
    pub supplier: Supplier,
    /// Its contacts.
    pub contacts: Vec<SupplierContact>,
}

/// A request for quotation as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct RfqInput {
    /// Date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// Answers wanted by.
    #[builder(default, setter(strip_option))]
    pub due_date: Option<NaiveDate>,
    /// (product, quantity) asked for.
    pub lines: Vec<(Uuid, Decimal)>,
    /// The suppliers asked (at least one).
    pub supplier_ids: Vec<Uuid>,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// A supplier's answer to one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfqAnswerInput {
    /// The line answered.
    pub rfq_line_id: Uuid,
    /// Unit price.
    pub unit_price: Decimal,
    /// Whether it includes tax.
    pub price_includes_tax: bool,
    /// VAT rate; the product's when absent.
    pub tax_rate: Option<Decimal>,
    /// Days to deliver.
    pub lead_days: Option<i64>,
}

/// A request for quotation with its lines, suppliers, answers and the cheapest answer per line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfqDoc {
    /// The request.
    pub rfq: Rfq,
    /// Its lines.
    pub lines: Vec<RfqLine>,
    /// The suppliers asked.
    pub suppliers: Vec<RfqSupplier>,
    /// The answers.
    pub answers: Vec<RfqAnswer>,
    /// Per line, the supplier with the lowest unit price excluding tax (ties: the earlier
    /// answer), when anyone answered.
    pub cheapest: Vec<(Uuid, Option<Uuid>)>,
    /// The supplier whose answers cost least for every line they answered in full (all lines
    /// answered), when any did.
    pub cheapest_supplier: Option<Uuid>,
}

/// A purchase order line as entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseLineInput {
    /// The product.
    pub product_id: Uuid,
    /// Units.
    pub quantity: Decimal,
    /// Unit price; the product's purchase price (excluding tax) when absent.
    pub unit_price: Option<Decimal>,
    /// Whether the price includes tax.
    pub price_includes_tax: bool,
    /// VAT rate; the product's when absent.
    pub tax_rate: Option<Decimal>,
}

/// A purchase order as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct PurchaseOrderInput {
    /// The supplier.
    pub supplier_id: Uuid,
    /// Order date; today when absent.
    #[builder(default, setter(strip_option))]
    pub order_date: Option<NaiveDate>,
    /// Expected delivery.
    #[builder(default, setter(strip_option))]
    pub expected_date: Option<NaiveDate>,
    /// The lines.
    pub lines: Vec<PurchaseLineInput>,
}

/// A purchase order with its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseDoc {
    /// The order.
    pub order: Versioned<PurchaseOrder>,
    /// Its lines.
    pub lines: Vec<PurchaseLine>,
}

/// A payment to a supplier as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct SupplierPaymentInput {
    /// The supplier.
    pub supplier_id: Uuid,
    /// The purchase order it pays; on account when absent.
    #[builder(default, setter(strip_option))]
    pub order_id: Option<Uuid>,
    /// The account it leaves.
    pub account_id: Uuid,
    /// How.
    pub method: String,
    /// Date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// Amount in CNY, more than zero, to the fen.
    pub amount: Decimal,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// An input invoice as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct SupplierInvoiceInput {
    /// The purchase order.
    pub order_id: Uuid,
    /// Ordinary or special.
    pub kind: InvoiceKind,
    /// 发票代码.
    pub code: String,
    /// 发票号码.
    pub number: String,
    /// Date of issue; today when absent.
    #[builder(default, setter(strip_option))]
    pub issue_date: Option<NaiveDate>,
    /// Amount excluding tax.
    pub net: Decimal,
    /// Tax.
    pub tax: Decimal,
}

/// One supplier's payables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayableRow {
    /// The supplier.
    pub supplier_id: Uuid,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Opening balance.
    pub opening: Decimal,
    /// Gross of approved purchase orders.
    pub due: Decimal,
    /// Paid.
    pub paid: Decimal,
    /// opening + due − paid.
    pub payable: Decimal,
    /// Gross of input invoices received.
    pub invoiced: Decimal,
}

/// The header of a purchase order being written.
struct PoHead {
    supplier_id: Uuid,
    rfq_id: Option<Uuid>,
    order_date: NaiveDate,
    expected_date: Option<NaiveDate>,
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

fn opt_text(field: &str, v: Option<&str>, max: usize) -> Result<Option<String>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text::check_text(field, t, 1, max).map(Some),
    }
}

fn check_price(field: &str, p: Decimal) -> Result<()> {
    if p < Decimal::ZERO || p.normalize().scale() > MAX_DECIMALS {
        return Err(Error::invalid(
            field,
            format!("{p} is negative or has more than {MAX_DECIMALS} places"),
        ));
    }
    Ok(())
}

fn check_qty(field: &str, q: Decimal) -> Result<()> {
    if q <= Decimal::ZERO || q.normalize().scale() > MAX_DECIMALS {
        return Err(Error::invalid(
            field,
            format!("{q} is not more than zero or has more than {MAX_DECIMALS} places"),
        ));
    }
    Ok(())
}

fn lines_at(i: usize, e: Error) -> Error {
    match e {
        Error::Invalid { field, reason } if !field.starts_with("lines[") => {
            Error::invalid(format!("lines[{i}].{field}"), reason)
        }
        e => e,
    }
}

impl Crm {
    async fn load_supplier(&self, id: Uuid) -> Result<Supplier> {
        let r = self
            .store
            .get(&SUPPLIER, id)
            .await?
            .ok_or(Error::NotFound {
                kind: "supplier",
                id: id.to_string(),
            })?;
        Supplier::from_record(&r)
    }

    async fn query_all<T: Entity>(&self, q: Query) -> Result<Vec<T>> {
        self.store
            .query(&q)
            .await?
            .records
            .iter()
            .map(T::from_record)
            .collect()
    }

    async fn products_by_id(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Product>> {
        let ids: Vec<Uuid> = ids
            .iter()
            .copied()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        self.store
            .get_many(&PRODUCT, &ids)
            .await?
            .iter()
            .map(|r| Product::from_record(r).map(|p| (p.id, p)))
            .collect()
    }

    // ------------------------------------------------------------------ suppliers

    /// Creates a supplier with its contacts. The name is checked for duplicates on its
    /// normalised key (so 上海汇丰贸易有限公司 and 上海汇丰贸易（有限公司） are one supplier).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `supplier.create`; [`Error::Invalid`] for an empty
    /// code or name, a bad contact; [`Error::Duplicate`] for a code or name in use.
    pub async fn create_supplier(&self, actor: Actor, input: SupplierInput) -> Result<SupplierDoc> {
        let action = "supplier.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Supplier, Op::Create, action)?;
            let code = text::check_text("code", &input.code, 1, 20)?;
            let name = text::check_text("name", &input.name, 2, 100)?;
            let name_key = text::company_name_key(&name);
            for (rule, col, val) in [
                ("supplier_code", "code", code.clone()),
                ("supplier_name_key", "name_key", name_key.clone()),
            ] {
                let q = Query::filter(&SUPPLIER, Filter::Eq(col, Value::Text(val))).page(0, 1);
                if let Some(r) = self.store.query(&q).await?.records.first() {
                    let existing = Supplier::from_record(r)?;
                    return Err(Error::Duplicate {
                        kind: "supplier",
                        rule,
                        existing: Some(format!(
                            "{} ({} {})",
                            existing.id, existing.code, existing.name
                        )),
                    });
                }
            }
            let supplier = Supplier {
                id: self.new_id(),
                code,
                name,
                name_key,
                credit_code: opt_text("credit_code", input.credit_code.as_deref(), 18)?,
                phone: opt_text("phone", input.phone.as_deref(), 30)?,
                address: opt_text("address", input.address.as_deref(), 200)?,
                bank_account: opt_text("bank_account", input.bank_account.as_deref(), 100)?,
                active: true,
                created_at: self.now(),
            };
            let mut contacts = Vec::new();
            for (i, (n, mobile, title)) in input.contacts.iter().enumerate() {
                contacts.push(SupplierContact {
                    id: self.new_id(),
                    supplier_id: supplier.id,
                    name: text::check_text(&format!("contacts[{i}].name"), n, 1, 50)?,
                    mobile: match mobile.as_deref().map(str::trim) {
                        None | Some("") => None,
                        Some(m) => Some(text::parse_phone(&format!("contacts[{i}].mobile"), m)?),
                    },
                    email: None,
                    title: opt_text(&format!("contacts[{i}].title"), title.as_deref(), 50)?,
                });
            }
            let mut c = Commit::new();
            c.insert(supplier.to_record());
            for ct in &contacts {
                c.insert(ct.to_record());
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "supplier",
                Some(supplier.id),
                serde_json::json!({ "code": supplier.code, "name": supplier.name }),
            ));
            self.commit(&s, c).await?;
            Ok(SupplierDoc { supplier, contacts })
        });
        self.logged(actor, action, "supplier", None, res).await
    }

    /// A supplier with its contacts.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `supplier.view`; [`Error::NotFound`].
    pub async fn supplier(&self, actor: Actor, id: Uuid) -> Result<SupplierDoc> {
        let action = "supplier.read";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Supplier, Op::View, action)?;
            let supplier = self.load_supplier(id).await?;
            let contacts = self
                .query_all(
                    Query::filter(&SUPPLIER_CONTACT, Filter::Eq("supplier_id", Value::Id(id)))
                        .order_by(vec![Order::asc("id")]),
                )
                .await?;
            Ok(SupplierDoc { supplier, contacts })
        }
        .await;
        self.logged(actor, action, "supplier", Some(id), res).await
    }

    /// Every supplier, by code.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `supplier.view`.
    pub async fn suppliers(&self, actor: Actor) -> Result<Vec<Supplier>> {
        let action = "supplier.list";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Supplier, Op::View, action)?;
            self.query_all(Query::all(&SUPPLIER).order_by(vec![Order::asc("code")]))
                .await
        }
        .await;
        self.logged(actor, action, "supplier", None, res).await
    }

    /// The price history of a product: every supplier's prices, newest first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `supplier.view`.
    pub async fn supplier_prices(
        &self,
        actor: Actor,
        product_id: Uuid,
    ) -> Result<Vec<SupplierPrice>> {
        let action = "supplier.prices";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Supplier, Op::View, action)?;
            self.query_all(
                Query::filter(
                    &SUPPLIER_PRICE,
                    Filter::Eq("product_id", Value::Id(product_id)),
                )
                .order_by(vec![Order::desc("quoted_on"), Order::desc("id")]),
            )
            .await
        }
        .await;
        self.logged(actor, action, "supplier_price", None, res)
            .await
    }

    // ------------------------------------------------------------------ requests for quotation

    /// Writes a request for quotation to several suppliers.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `purchase.create`; [`Error::Invalid`] for no lines,
    /// no supplier, an unknown or inactive supplier or product, a bad quantity.
    pub async fn create_rfq(&self, actor: Actor, input: RfqInput) -> Result<RfqDoc> {
        let action = "purchase.rfq_create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Purchase, Op::Create, action)?;
            if input.lines.is_empty() {
                return Err(Error::invalid("lines", "a request needs at least one line"));
            }
            if input.supplier_ids.is_empty() {
                return Err(Error::invalid(
                    "supplier_ids",
                    "a request goes to at least one supplier",
                ));
            }
            let products = self
                .products_by_id(&input.lines.iter().map(|l| l.0).collect::<Vec<_>>())
                .await?;
            for (i, &(p, q)) in input.lines.iter().enumerate() {
                check_qty(&format!("lines[{i}].quantity"), q)?;
                if !products.contains_key(&p) {
                    return Err(Error::invalid(
                        format!("lines[{i}].product_id"),
                        format!("no product {p}"),
                    ));
                }
            }
            let mut supplier_ids = input.supplier_ids.clone();
            supplier_ids.sort();
            supplier_ids.dedup();
            let found = self.store.get_many(&SUPPLIER, &supplier_ids).await?;
            for (i, id) in input.supplier_ids.iter().enumerate() {
                let sup = found
                    .iter()
                    .find(|r| r.id == *id)
                    .map(Supplier::from_record)
                    .transpose()?;
                if !sup.is_some_and(|s| s.active) {
                    return Err(Error::invalid(
                        format!("supplier_ids[{i}]"),
                        format!("no active supplier {id}"),
                    ));
                }
            }
            let date = input.date.unwrap_or_else(|| self.today());
            let mut c = Commit::new();
            let number = self.next_number(&mut c, "XJ", date.year()).await?;
            let rfq = Rfq {
                id: self.new_id(),
                number,
                rfq_date: date,
                due_date: input.due_date,
                closed: false,
                note: opt_text("note", input.note.as_deref(), 500)?,
                created_by: s.ctx.employee_id,
                created_at: self.now(),
            };
            let lines: Vec<RfqLine> = input
                .lines
                .iter()
                .enumerate()
                .map(|(i, &(product_id, quantity))| RfqLine {
                    id: self.new_id(),
                    rfq_id: rfq.id,
                    position: i64::try_from(i + 1).unwrap_or(i64::MAX),
                    product_id,
                    quantity,
                })
                .collect();
            let suppliers: Vec<RfqSupplier> = supplier_ids
                .iter()
                .map(|&supplier_id| RfqSupplier {
                    id: self.new_id(),
                    rfq_id: rfq.id,
                    supplier_id,
                    answered_at: None,
                })
                .collect();
            c.insert(rfq.to_record());
            for l in &lines {
                c.insert(l.to_record());
            }
            for sp in &suppliers {
                c.insert(sp.to_record());
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "rfq",
                Some(rfq.id),
                serde_json::json!({ "number": rfq.number, "suppliers": suppliers.len() }),
            ));
            self.commit(&s, c).await?;
            Ok(Self::rfq_doc(rfq, lines, suppliers, Vec::new()))
        });
        self.logged(actor, action, "rfq", None, res).await
    }

    fn exclusive_price(a: &RfqAnswer) -> Decimal {
        if a.price_includes_tax {
            unit_price_exclusive(
                a.unit_price,
                a.tax_rate,
                6,
                crate::money::RoundingPolicy::HalfUp,
            )
            .unwrap_or(a.unit_price)
        } else {
            a.unit_price
        }
    }

    fn rfq_doc(
        rfq: Rfq,
        lines: Vec<RfqLine>,
        suppliers: Vec<RfqSupplier>,
        answers: Vec<RfqAnswer>,
    ) -> RfqDoc {
        let cheapest = lines
            .iter()
            .map(|l| {
                let best = answers
                    .iter()
                    .filter(|a| a.rfq_line_id == l.id)
                    .min_by_key(|a| (Self::exclusive_price(a), a.id))
                    .map(|a| a.supplier_id);
                (l.id, best)
            })
            .collect();
        // Whole-request totals of suppliers who answered every line.
        let cheapest_supplier = suppliers
            .iter()
            .filter_map(|sp| {
                let mut total = Decimal::ZERO;
                for l in &lines {
                    let a = answers
                        .iter()
                        .find(|a| a.rfq_line_id == l.id && a.supplier_id == sp.supplier_id)?;
                    total += Self::exclusive_price(a) * l.quantity;
                }
                Some((total, sp.supplier_id))
            })
            .min()
            .map(|(_, id)| id);
        RfqDoc {
            rfq,
            lines,
            suppliers,
            answers,
            cheapest,
            cheapest_supplier,
        }
    }

    async fn load_rfq(
        &self,
        id: Uuid,
    ) -> Result<(Versioned<Rfq>, RfqDoc, Vec<Versioned<RfqSupplier>>)> {
        let r = self.store.get(&RFQ, id).await?.ok_or(Error::NotFound {
            kind: "rfq",
            id: id.to_string(),
        })?;
        let rfq = Versioned::<Rfq>::decode(&r)?;
        let lines: Vec<RfqLine> = self
            .query_all(
                Query::filter(&RFQ_LINE, Filter::Eq("rfq_id", Value::Id(id)))
                    .order_by(vec![Order::asc("position")]),
            )
            .await?;
        let sup_records = self
            .store
            .query(
                &Query::filter(&RFQ_SUPPLIER, Filter::Eq("rfq_id", Value::Id(id)))
                    .order_by(vec![Order::asc("id")]),
            )
            .await?;
        let suppliers_v: Vec<Versioned<RfqSupplier>> = sup_records
            .records
            .iter()
            .map(Versioned::decode)
            .collect::<Result<_>>()?;
        let answers: Vec<RfqAnswer> = self
            .query_all(
                Query::filter(&RFQ_ANSWER, Filter::Eq("rfq_id", Value::Id(id)))
                    .order_by(vec![Order::asc("id")]),
            )
            .await?;
        let doc = Self::rfq_doc(
            rfq.value.clone(),
            lines,
            suppliers_v.iter().map(|v| v.value.clone()).collect(),
            answers,
        );
        Ok((rfq, doc, suppliers_v))
    }

    /// A request for quotation with its answers and the cheapest answer per line.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `purchase.view`; [`Error::NotFound`].
    pub async fn rfq(&self, actor: Actor, id: Uuid) -> Result<RfqDoc> {
        let action = "purchase.rfq_read";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Purchase, Op::View, action)?;
            Ok(self.load_rfq(id).await?.1)
        }
        .await;
        self.logged(actor, action, "rfq", Some(id), res).await
    }

    /// Records a supplier's answer to a request (replacing an earlier answer of theirs), and
    /// adds its prices to the supplier's price history.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `purchase.edit`; [`Error::NotFound`]; [`Error::Invalid`]
    /// for a closed request, a supplier not asked, a line not on it, a bad price or rate.
    pub async fn record_rfq_answer(
        &self,
        actor: Actor,
        rfq_id: Uuid,
        supplier_id: Uuid,
        answers: Vec<RfqAnswerInput>,
    ) -> Result<RfqDoc> {
        let action = "purchase.rfq_answer";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Purchase, Op::Edit, action)?;
            let (rfq, doc, suppliers) = self.load_rfq(rfq_id).await?;
            if rfq.value.closed {
                return Err(Error::invalid(
                    "rfq_id",
                    format!("request {} is closed", rfq.value.number),
                ));
            }
            let asked = suppliers
                .iter()
                .find(|sp| sp.value.supplier_id == supplier_id)
                .ok_or_else(|| Error::invalid("supplier_id", "this supplier was not asked"))?;
            if answers.is_empty() {
                return Err(Error::invalid(
                    "answers",
                    "an answer prices at least one line",
                ));
            }
            let products = self
                .products_by_id(&doc.lines.iter().map(|l| l.product_id).collect::<Vec<_>>())
                .await?;
            let mut c = Commit::new();
            let now = self.now();
            let mut seen = HashSet::new();
            for (i, a) in answers.iter().enumerate() {
                let at = |f: &str| format!("answers[{i}].{f}");
                let line = doc
                    .lines
                    .iter()
                    .find(|l| l.id == a.rfq_line_id)
                    .ok_or_else(|| {
                        Error::invalid(at("rfq_line_id"), "not a line of this request")
                    })?;
                if !seen.insert(a.rfq_line_id) {
                    return Err(Error::invalid(at("rfq_line_id"), "answered twice"));
                }
                check_price(&at("unit_price"), a.unit_price)?;
                let rate = match a.tax_rate {
                    Some(r) => r,
                    None => products
                        .get(&line.product_id)
                        .map_or(Decimal::ZERO, |p| p.tax_rate),
                };
                LineInput::exclusive(Decimal::ONE, a.unit_price, rate)
                    .validate()
                    .map_err(|e| match e {
                        Error::Invalid { field, reason } => Error::invalid(at(&field), reason),
                        e => e,
                    })?;
                let answer = RfqAnswer {
                    id: self.new_id(),
                    rfq_id,
                    rfq_line_id: line.id,
                    supplier_id,
                    unit_price: a.unit_price,
                    price_includes_tax: a.price_includes_tax,
                    tax_rate: rate,
                    lead_days: a.lead_days,
                };
                // An earlier answer of this supplier for this line is replaced.
                let q = Query::filter(
                    &RFQ_ANSWER,
                    Filter::And(vec![
                        Filter::Eq("rfq_line_id", Value::Id(line.id)),
                        Filter::Eq("supplier_id", Value::Id(supplier_id)),
                    ]),
                );
                for r in self.store.query(&q).await?.records {
                    c.delete(&RFQ_ANSWER, r.id, r.version);
                }
                c.insert(answer.to_record());
                c.insert(
                    SupplierPrice {
                        id: self.new_id(),
                        supplier_id,
                        product_id: line.product_id,
                        unit_price: Self::exclusive_price(&answer),
                        tax_rate: rate,
                        quoted_on: self.today(),
                        source: "rfq".into(),
                        source_id: rfq_id,
                    }
                    .to_record(),
                );
            }
            c.update(
                RfqSupplier {
                    answered_at: Some(now),
                    ..asked.value.clone()
                }
                .to_record(),
                asked.version,
            );
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "rfq",
                Some(rfq_id),
                serde_json::json!({ "supplier_id": supplier_id, "lines": answers.len() }),
            ));
            self.commit(&s, c).await?;
            Ok(self.load_rfq(rfq_id).await?.1)
        });
        self.logged(actor, action, "rfq", Some(rfq_id), res).await
    }

    // ------------------------------------------------------------------ purchase orders

    fn price_purchase_lines(
        &self,
        order_id: Uuid,
        inputs: &[PurchaseLineInput],
        products: &HashMap<Uuid, Product>,
    ) -> Result<(Vec<PurchaseLine>, Decimal, Decimal, Decimal)> {
        if inputs.is_empty() {
            return Err(Error::invalid(
                "lines",
                "a purchase order needs at least one line",
            ));
        }
        let mut line_inputs = Vec::with_capacity(inputs.len());
        for (i, l) in inputs.iter().enumerate() {
            let at = |f: &str| format!("lines[{i}].{f}");
            let p = products.get(&l.product_id).ok_or_else(|| {
                Error::invalid(at("product_id"), format!("no product {}", l.product_id))
            })?;
            check_qty(&at("quantity"), l.quantity)?;
            let price = match l.unit_price {
                Some(p) => p,
                None => p.purchase_price.ok_or_else(|| {
                    Error::invalid(
                        at("unit_price"),
                        format!("product {} has no purchase price", p.code),
                    )
                })?,
            };
            check_price(&at("unit_price"), price)?;
            let input = LineInput {
                quantity: l.quantity,
                unit_price: price,
                basis: if l.price_includes_tax && l.unit_price.is_some() {
                    PriceBasis::TaxInclusive
                } else {
                    PriceBasis::TaxExclusive
                },
                discount: Decimal::ZERO,
                tax_rate: l.tax_rate.unwrap_or(p.tax_rate),
            };
            input.validate().map_err(|e| lines_at(i, e))?;
            line_inputs.push(input);
        }
        let totals = compute_document(&line_inputs, &self.tax)?;
        let lines = inputs
            .iter()
            .zip(&line_inputs)
            .zip(&totals.lines)
            .enumerate()
            .map(|(i, ((l, inp), amt))| {
                let p = &products[&l.product_id];
                PurchaseLine {
                    id: self.new_id(),
                    order_id,
                    position: i64::try_from(i + 1).unwrap_or(i64::MAX),
                    product_id: l.product_id,
                    product_code: p.code.clone(),
                    product_name: p.name.clone(),
                    unit: p.unit.clone(),
                    quantity: inp.quantity,
                    unit_price: inp.unit_price,
                    price_includes_tax: inp.basis == PriceBasis::TaxInclusive,
                    tax_rate: inp.tax_rate,
                    net: amt.net,
                    tax: amt.tax,
                    gross: amt.gross,
                }
            })
            .collect();
        Ok((lines, totals.net, totals.tax, totals.gross))
    }

    async fn write_purchase_order(
        &self,
        s: &Session,
        action: &str,
        mut c: Commit,
        head: PoHead,
        inputs: &[PurchaseLineInput],
    ) -> Result<PurchaseDoc> {
        let PoHead {
            supplier_id,
            rfq_id,
            order_date,
            expected_date,
        } = head;
        let supplier = self.load_supplier(supplier_id).await.map_err(|e| match e {
            Error::NotFound { .. } => {
                Error::invalid("supplier_id", format!("no supplier {supplier_id}"))
            }
            e => e,
        })?;
        if !supplier.active {
            return Err(Error::invalid(
                "supplier_id",
                format!("supplier {} is inactive", supplier.code),
            ));
        }
        let products = self
            .products_by_id(&inputs.iter().map(|l| l.product_id).collect::<Vec<_>>())
            .await?;
        let id = self.new_id();
        let (lines, net, tax, gross) = self.price_purchase_lines(id, inputs, &products)?;
        let number = self.next_number(&mut c, "CG", order_date.year()).await?;
        let now = self.now();
        let order = PurchaseOrder {
            id,
            number,
            supplier_id,
            rfq_id,
            state: PurchaseState::Draft,
            order_date,
            expected_date,
            tax_rounding: self.tax.rounding,
            net,
            tax,
            gross,
            approved_by: None,
            approved_at: None,
            created_by: s.ctx.employee_id,
            created_at: now,
            updated_at: now,
        };
        c.insert(order.to_record());
        for l in &lines {
            c.insert(l.to_record());
        }
        c.insert(self.audit(
            s.ctx.employee_id,
            action,
            "purchase_order",
            Some(id),
            serde_json::json!({ "number": order.number, "supplier_id": supplier_id, "gross": gross }),
        ));
        self.commit(s, c).await?;
        Ok(PurchaseDoc {
            order: Versioned {
                value: order,
                version: 1,
            },
            lines,
        })
    }

    /// Writes a purchase order (a draft) for a supplier. A line without a price takes the
    /// product's purchase price (excluding tax); totals come from the one tax function.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `purchase.create`; [`Error::Invalid`] for an unknown
    /// or inactive supplier, no lines, an unknown product, a bad quantity, price or rate.
    pub async fn create_purchase_order(
        &self,
        actor: Actor,
        input: PurchaseOrderInput,
    ) -> Result<PurchaseDoc> {
        let action = "purchase.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Purchase, Op::Create, action)?;
            let date = input.order_date.unwrap_or_else(|| self.today());
            self.write_purchase_order(
                &s,
                action,
                Commit::new(),
                PoHead {
                    supplier_id: input.supplier_id,
                    rfq_id: None,
                    order_date: date,
                    expected_date: input.expected_date,
                },
                &input.lines,
            )
            .await
        });
        self.logged(actor, action, "purchase_order", None, res)
            .await
    }

    /// Makes a purchase order (a draft) from one supplier's answer to a request: every line
    /// they priced, at their price, tax basis and rate. Closes the request.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `purchase.create`; [`Error::Invalid`] for a closed
    /// request or a supplier who priced nothing on it.
    pub async fn purchase_order_from_rfq(
        &self,
        actor: Actor,
        rfq_id: Uuid,
        supplier_id: Uuid,
        expected_date: Option<NaiveDate>,
    ) -> Result<PurchaseDoc> {
        let action = "purchase.create_from_rfq";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Purchase, Op::Create, action)?;
            let (rfq, doc, _) = self.load_rfq(rfq_id).await?;
            if rfq.value.closed {
                return Err(Error::invalid(
                    "rfq_id",
                    format!("request {} is closed", rfq.value.number),
                ));
            }
            let inputs: Vec<PurchaseLineInput> = doc
                .lines
                .iter()
                .filter_map(|l| {
                    let a = doc
                        .answers
                        .iter()
                        .find(|a| a.rfq_line_id == l.id && a.supplier_id == supplier_id)?;
                    Some(PurchaseLineInput {
                        product_id: l.product_id,
                        quantity: l.quantity,
                        unit_price: Some(a.unit_price),
                        price_includes_tax: a.price_includes_tax,
                        tax_rate: Some(a.tax_rate),
                    })
                })
                .collect();
            if inputs.is_empty() {
                return Err(Error::invalid(
                    "supplier_id",
                    "this supplier priced nothing on the request",
                ));
            }
            let mut c = Commit::new();
            c.update(
                Rfq {
                    closed: true,
                    ..rfq.value.clone()
                }
                .to_record(),
                rfq.version,
            );
            self.write_purchase_order(
                &s,
                action,
                c,
                PoHead {
                    supplier_id,
                    rfq_id: Some(rfq_id),
                    order_date: self.today(),
                    expected_date,
                },
                &inputs,
            )
            .await
        });
        self.logged(actor, action, "purchase_order", None, res)
            .await
    }

    pub(super) async fn load_purchase(&self, id: Uuid) -> Result<PurchaseDoc> {
        let r = self
            .store
            .get(&PURCHASE_ORDER, id)
            .await?
            .ok_or(Error::NotFound {
                kind: "purchase_order",
                id: id.to_string(),
            })?;
        Ok(PurchaseDoc {
            order: Versioned::decode(&r)?,
            lines: self
                .query_all(
                    Query::filter(&PURCHASE_LINE, Filter::Eq("order_id", Value::Id(id)))
                        .order_by(vec![Order::asc("position")]),
                )
                .await?,
        })
    }

    /// A purchase order with its lines.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `purchase.view`; [`Error::NotFound`].
    pub async fn purchase_order(&self, actor: Actor, id: Uuid) -> Result<PurchaseDoc> {
        let action = "purchase.read";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Purchase, Op::View, action)?;
            self.load_purchase(id).await
        }
        .await;
        self.logged(actor, action, "purchase_order", Some(id), res)
            .await
    }

    /// Moves a purchase order on: submit (`purchase.edit`: a draft is the purchasing team's
    /// work, not its author's alone, as a sales draft is submitted by anyone who may change it),
    /// approve (someone other than its author holding `purchase.approve`, or an administrator;
    /// the lines' prices join the supplier's price history), reject (`purchase.approve`), close (`purchase.edit`, once received),
    /// cancel (`purchase.edit`, before any goods came).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without the permission, or when the author approves their own
    /// order; [`Error::Invalid`] (field `state`) when the event does not apply (goods-received
    /// events come only from stock-ins); [`Error::NotFound`].
    pub async fn purchase_event(
        &self,
        actor: Actor,
        id: Uuid,
        event: PurchaseEvent,
    ) -> Result<Versioned<PurchaseOrder>> {
        let action = match event {
            PurchaseEvent::Approve | PurchaseEvent::Reject => "purchase.approve",
            _ => "purchase.edit",
        };
        let res = retry!(async {
            let s = self.session(actor).await?;
            let op = if matches!(event, PurchaseEvent::Approve | PurchaseEvent::Reject) {
                Op::Approve
            } else {
                Op::Edit
            };
            need(&s, Resource::Purchase, op, action)?;
            if matches!(
                event,
                PurchaseEvent::ReceivedPart | PurchaseEvent::ReceivedAll
            ) {
                return Err(Error::invalid(
                    "event",
                    "goods are received with a stock-in",
                ));
            }
            let doc = self.load_purchase(id).await?;
            let o = &doc.order.value;
            if event == PurchaseEvent::Approve && o.created_by == s.ctx.employee_id && !s.ctx.admin
            {
                return Err(Error::PermissionDenied(format!(
                    "{action}: the author of purchase order {} may not approve it",
                    o.number
                )));
            }
            let state = o.state.apply(event)?;
            let now = self.now();
            let mut next = PurchaseOrder {
                state,
                updated_at: now,
                ..o.clone()
            };
            let mut c = Commit::new();
            if event == PurchaseEvent::Approve {
                next.approved_by = Some(s.ctx.employee_id);
                next.approved_at = Some(now);
                for l in &doc.lines {
                    c.insert(
                        SupplierPrice {
                            id: self.new_id(),
                            supplier_id: o.supplier_id,
                            product_id: l.product_id,
                            unit_price: crate::money::round(
                                l.net / l.quantity,
                                6,
                                crate::money::RoundingPolicy::HalfUp,
                            ),
                            tax_rate: l.tax_rate,
                            quoted_on: o.order_date,
                            source: "purchase_order".into(),
                            source_id: o.id,
                        }
                        .to_record(),
                    );
                }
            }
            c.update(next.to_record(), doc.order.version);
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "purchase_order",
                Some(id),
                serde_json::json!({ "event": event.as_str(), "from": o.state.as_str(), "to": state.as_str() }),
            ));
            self.commit(&s, c).await?;
            Ok(Versioned {
                value: next,
                version: doc.order.version + 1,
            })
        });
        self.logged(actor, action, "purchase_order", Some(id), res)
            .await
    }

    // ------------------------------------------------------------------ payables

    /// Registers a payment to a supplier, against one of their approved purchase orders or on
    /// account.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `payable.create`; [`Error::Invalid`] for an amount
    /// not more than zero or not to the fen, an unknown supplier or account, an order of
    /// another supplier or not approved.
    pub async fn pay_supplier(
        &self,
        actor: Actor,
        input: SupplierPaymentInput,
    ) -> Result<SupplierPayment> {
        let action = "payable.pay";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Payable, Op::Create, action)?;
            if input.amount <= Decimal::ZERO || round_money(input.amount) != input.amount {
                return Err(Error::invalid(
                    "amount",
                    format!("{} is not a positive amount in fen", input.amount),
                ));
            }
            let supplier = self
                .load_supplier(input.supplier_id)
                .await
                .map_err(|e| match e {
                    Error::NotFound { .. } => Error::invalid("supplier_id", "no such supplier"),
                    e => e,
                })?;
            if self
                .store
                .get(&CASH_ACCOUNT, input.account_id)
                .await?
                .is_none()
            {
                return Err(Error::invalid("account_id", "no such account"));
            }
            let method = text::check_text("method", &input.method, 1, 30)?;
            let mut c = Commit::new();
            if let Some(oid) = input.order_id {
                let doc = self.load_purchase(oid).await.map_err(|e| match e {
                    Error::NotFound { .. } => Error::invalid("order_id", "no such purchase order"),
                    e => e,
                })?;
                let o = &doc.order.value;
                if o.supplier_id != supplier.id || !o.state.is_due() {
                    return Err(Error::invalid(
                        "order_id",
                        format!(
                            "purchase order {} is not an approved order of {}",
                            o.number, supplier.name
                        ),
                    ));
                }
            }
            let date = input.date.unwrap_or_else(|| self.today());
            let number = self.next_number(&mut c, "FK", date.year()).await?;
            let p = SupplierPayment {
                id: self.new_id(),
                number,
                supplier_id: supplier.id,
                order_id: input.order_id,
                account_id: input.account_id,
                method,
                pay_date: date,
                amount: input.amount,
                note: opt_text("note", input.note.as_deref(), 500)?,
                created_by: s.ctx.employee_id,
                created_at: self.now(),
            };
            c.insert(p.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "supplier_payment",
                Some(p.id),
                serde_json::json!({ "number": p.number, "amount": p.amount, "order_id": p.order_id }),
            ));
            self.commit(&s, c).await?;
            Ok(p)
        });
        self.logged(actor, action, "supplier_payment", None, res)
            .await
    }

    /// Registers an input invoice (进项发票) against a purchase order: never more in total than
    /// the order's gross.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `payable.create`; [`Error::Invalid`] for a bad code
    /// or number, amounts not to the fen or negative, an order not approved, more than the
    /// order's gross in total; [`Error::Duplicate`] for a code and number registered already.
    pub async fn register_supplier_invoice(
        &self,
        actor: Actor,
        input: SupplierInvoiceInput,
    ) -> Result<SupplierInvoice> {
        let action = "payable.invoice";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Payable, Op::Create, action)?;
            check_invoice_number(&input.code, &input.number)?;
            for (f, v) in [("net", input.net), ("tax", input.tax)] {
                if v < Decimal::ZERO || round_money(v) != v {
                    return Err(Error::invalid(f, format!("{v} is not an amount in fen")));
                }
            }
            let doc = self
                .load_purchase(input.order_id)
                .await
                .map_err(|e| match e {
                    Error::NotFound { .. } => Error::invalid("order_id", "no such purchase order"),
                    e => e,
                })?;
            let o = &doc.order.value;
            if !o.state.is_due() {
                return Err(Error::invalid(
                    "order_id",
                    format!("purchase order {} is not approved", o.number),
                ));
            }
            let q = Query::filter(
                &SUPPLIER_INVOICE,
                Filter::And(vec![
                    Filter::Eq("code", Value::Text(input.code.clone())),
                    Filter::Eq("number", Value::Text(input.number.clone())),
                ]),
            )
            .page(0, 1);
            if let Some(r) = self.store.query(&q).await?.records.first() {
                return Err(Error::Duplicate {
                    kind: "supplier_invoice",
                    rule: "supplier_invoice_code_number",
                    existing: Some(r.id.to_string()),
                });
            }
            let earlier: Vec<SupplierInvoice> = self
                .query_all(Query::filter(
                    &SUPPLIER_INVOICE,
                    Filter::Eq("order_id", Value::Id(o.id)),
                ))
                .await?;
            let gross = input.net + input.tax;
            let so_far: Decimal = earlier.iter().map(|i| i.gross).sum();
            if so_far + gross > o.gross {
                return Err(Error::invalid(
                    "net",
                    format!(
                        "{} invoiced would exceed the order's {} ({} invoiced so far)",
                        so_far + gross,
                        o.gross,
                        so_far
                    ),
                ));
            }
            let inv = SupplierInvoice {
                id: self.new_id(),
                supplier_id: o.supplier_id,
                order_id: o.id,
                kind: input.kind,
                code: input.code.clone(),
                number: input.number.clone(),
                issue_date: input.issue_date.unwrap_or_else(|| self.today()),
                net: input.net,
                tax: input.tax,
                gross,
                created_by: s.ctx.employee_id,
                created_at: self.now(),
            };
            let mut c = Commit::new();
            // Two invoices against one order never both take what is left.
            c.update(
                PurchaseOrder {
                    updated_at: self.now(),
                    ..o.clone()
                }
                .to_record(),
                doc.order.version,
            );
            c.insert(inv.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "supplier_invoice",
                Some(inv.id),
                serde_json::json!({ "code": inv.code, "number": inv.number, "gross": inv.gross }),
            ));
            self.commit(&s, c).await?;
            Ok(inv)
        });
        self.logged(actor, action, "supplier_invoice", None, res)
            .await
    }

    /// Sets what the company owed a supplier when it started (replacing an earlier figure).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `payable.create`; [`Error::Invalid`] for an amount
    /// not to the fen or an unknown supplier.
    pub async fn set_supplier_opening(
        &self,
        actor: Actor,
        supplier_id: Uuid,
        as_of: NaiveDate,
        amount: Decimal,
    ) -> Result<SupplierOpening> {
        let action = "payable.opening";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Payable, Op::Create, action)?;
            if round_money(amount) != amount {
                return Err(Error::invalid(
                    "amount",
                    format!("{amount} is not an amount in fen"),
                ));
            }
            self.load_supplier(supplier_id).await.map_err(|e| match e {
                Error::NotFound { .. } => Error::invalid("supplier_id", "no such supplier"),
                e => e,
            })?;
            let q = Query::filter(
                &SUPPLIER_OPENING,
                Filter::Eq("supplier_id", Value::Id(supplier_id)),
            );
            let existing = self.store.query(&q).await?.records.into_iter().next();
            let mut c = Commit::new();
            let opening = match existing {
                Some(r) => {
                    let o = SupplierOpening {
                        as_of,
                        amount,
                        ..SupplierOpening::from_record(&r)?
                    };
                    c.update(o.to_record(), r.version);
                    o
                }
                None => {
                    let o = SupplierOpening {
                        id: self.new_id(),
                        supplier_id,
                        as_of,
                        amount,
                    };
                    c.insert(o.to_record());
                    o
                }
            };
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "supplier_opening",
                Some(opening.id),
                serde_json::json!({ "supplier_id": supplier_id, "amount": amount }),
            ));
            self.commit(&s, c).await?;
            Ok(opening)
        });
        self.logged(actor, action, "supplier_opening", None, res)
            .await
    }

    /// Payables per supplier: opening + amounts due − paid, with what each has invoiced; by
    /// supplier code, suppliers with nothing at all left out.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `payable.view`.
    pub async fn payables(&self, actor: Actor) -> Result<Vec<PayableRow>> {
        let action = "payable.report";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Payable, Op::View, action)?;
            let due_states: Vec<Value> = PurchaseState::ALL
                .iter()
                .filter(|st| st.is_due())
                .map(|st| Value::Text(st.as_str().into()))
                .collect();
            let per_supplier = |kind, filter, sum| Aggregate {
                kind,
                filter,
                group_by: vec![GroupBy::Column("supplier_id")],
                sums: vec![sum],
                distinct: vec![],
            };
            let due = per_supplier(&PURCHASE_ORDER, Filter::In("state", due_states), "gross");
            let paid = per_supplier(&SUPPLIER_PAYMENT, Filter::All, "amount");
            let invoiced = per_supplier(&SUPPLIER_INVOICE, Filter::All, "gross");
            let opening = per_supplier(&SUPPLIER_OPENING, Filter::All, "amount");
            let all = Query::all(&SUPPLIER).order_by(vec![Order::asc("code")]);
            let (due, paid, invoiced, opening, suppliers) = futures::try_join!(
                self.store.aggregate(&due),
                self.store.aggregate(&paid),
                self.store.aggregate(&invoiced),
                self.store.aggregate(&opening),
                self.store.query(&all),
            )?;
            let map = |rows: Vec<crate::store::AggregateRow>| -> HashMap<Uuid, Decimal> {
                rows.into_iter()
                    .filter_map(|r| match r.keys.first() {
                        Some(Value::Id(id)) => Some((*id, r.sums[0])),
                        _ => None,
                    })
                    .collect()
            };
            let (due, paid, invoiced, opening) = (map(due), map(paid), map(invoiced), map(opening));
            let mut rows = Vec::new();
            for r in &suppliers.records {
                let sup = Supplier::from_record(r)?;
                let get = |m: &HashMap<Uuid, Decimal>| m.get(&sup.id).copied().unwrap_or_default();
                let (o, d, p, i) = (get(&opening), get(&due), get(&paid), get(&invoiced));
                if [o, d, p, i].iter().all(|x| x.is_zero()) {
                    continue;
                }
                rows.push(PayableRow {
                    supplier_id: sup.id,
                    code: sup.code,
                    name: sup.name,
                    opening: o,
                    due: d,
                    paid: p,
                    payable: o + d - p,
                    invoiced: i,
                });
            }
            Ok(rows)
        }
        .await;
        self.logged(actor, action, "supplier", None, res).await
    }
}
