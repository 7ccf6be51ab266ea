//! Invoice operations (发票管理): issuing blue invoices against an order, red-letter reversals,
//! and what an order has invoiced and has left. The arithmetic is in [`crate::sales`].

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{retry, Crm, OrderDoc, Session};
use crate::error::{Error, Result};
use crate::money::TaxSettings;
use crate::org::{Actor, Op, Permission, Resource};
use crate::sales::{
    check_invoice_number, invoice_amounts, Invoice, InvoiceKind, InvoiceLine, OrderLine, Portion,
    SalesOrder, INVOICE, INVOICE_LINE,
};
use crate::store::{Commit, Entity, Filter, Order, Query, Value};
use crate::text;

/// An invoice with its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceDoc {
    /// The invoice.
    pub invoice: Invoice,
    /// Its lines, in order.
    pub lines: Vec<InvoiceLine>,
}

/// A blue invoice to issue against an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct InvoiceInput {
    /// The order.
    pub order_id: Uuid,
    /// Ordinary or special.
    pub kind: InvoiceKind,
    /// 发票代码 (empty for a fully digital invoice).
    pub code: String,
    /// 发票号码.
    pub number: String,
    /// Date of issue; today when absent.
    #[builder(default, setter(strip_option))]
    pub issue_date: Option<NaiveDate>,
    /// (order line, quantity) pairs; each quantity more than zero.
    pub lines: Vec<(Uuid, Decimal)>,
}

/// A red-letter invoice reversing all or part of a blue one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct RedInvoiceInput {
    /// The blue invoice reversed.
    pub blue_invoice_id: Uuid,
    /// The red invoice's 发票代码.
    pub code: String,
    /// The red invoice's 发票号码.
    pub number: String,
    /// Date of issue; today when absent.
    #[builder(default, setter(strip_option))]
    pub issue_date: Option<NaiveDate>,
    /// Why (returned goods, a price correction …); required.
    pub reason: String,
    /// (blue invoice line, quantity to reverse) pairs; `None` reverses everything not yet
    /// reversed.
    #[builder(default, setter(strip_option))]
    pub lines: Option<Vec<(Uuid, Decimal)>>,
}

/// What one order line has invoiced and has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInvoicing {
    /// The order line.
    pub order_line_id: Uuid,
    /// Its product name.
    pub product_name: String,
    /// The whole line.
    pub ordered: Portion,
    /// Invoiced, net of red-letter reversals.
    pub invoiced: Portion,
    /// Ordered minus invoiced (negative when over-invoiced under the policy that allows it).
    pub left: Portion,
}

/// What an order has invoiced and has left, per line and in total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInvoicing {
    /// Per line, in order.
    pub lines: Vec<LineInvoicing>,
    /// The order's totals (quantity summed over lines).
    pub ordered: Portion,
    /// Invoiced in total.
    pub invoiced: Portion,
    /// Left in total.
    pub left: Portion,
}

fn need(s: &Session, op: Op, action: &str) -> Result<()> {
    if s.ctx.has(Resource::Invoice, op) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(Resource::Invoice, op)
        )))
    }
}

fn invoiceable(o: &SalesOrder) -> Result<()> {
    if o.state.is_sale() {
        Ok(())
    } else {
        Err(Error::invalid(
            "order_id",
            format!(
                "order {} is {}; only approved orders are invoiced",
                o.number,
                o.state.as_str()
            ),
        ))
    }
}

impl Crm {
    async fn invoice_lines_where(&self, f: Filter) -> Result<Vec<InvoiceLine>> {
        let q = Query::filter(&INVOICE_LINE, f).order_by(vec![Order::asc("position")]);
        self.store
            .query(&q)
            .await?
            .records
            .iter()
            .map(InvoiceLine::from_record)
            .collect()
    }

    async fn invoices_where(&self, f: Filter) -> Result<Vec<Invoice>> {
        let q =
            Query::filter(&INVOICE, f).order_by(vec![Order::asc("created_at"), Order::asc("id")]);
        self.store
            .query(&q)
            .await?
            .records
            .iter()
            .map(Invoice::from_record)
            .collect()
    }

    /// Whether any invoice was issued against the order.
    pub(super) async fn has_invoices(&self, order_id: Uuid) -> Result<bool> {
        let q = Query::filter(&INVOICE, Filter::Eq("order_id", Value::Id(order_id))).page(0, 1);
        Ok(!self.store.query(&q).await?.records.is_empty())
    }

    fn invoicing_of(doc: &OrderDoc, issued: &[InvoiceLine]) -> OrderInvoicing {
        let mut done: HashMap<Uuid, Portion> = HashMap::new();
        for l in issued {
            let p = done.entry(l.order_line_id).or_default();
            *p = p.plus(Portion::of_invoice_line(l));
        }
        let lines: Vec<LineInvoicing> = doc
            .lines
            .iter()
            .map(|l| {
                let ordered = Portion::of_line(l);
                let invoiced = done.get(&l.id).copied().unwrap_or_default();
                LineInvoicing {
                    order_line_id: l.id,
                    product_name: l.product_name.clone(),
                    ordered,
                    invoiced,
                    left: ordered.minus(invoiced),
                }
            })
            .collect();
        let sum = |f: fn(&LineInvoicing) -> Portion| {
            lines.iter().map(f).fold(Portion::default(), Portion::plus)
        };
        OrderInvoicing {
            ordered: sum(|l| l.ordered),
            invoiced: sum(|l| l.invoiced),
            left: sum(|l| l.left),
            lines,
        }
    }

    async fn check_number_free(&self, code: &str, number: &str) -> Result<()> {
        let q = Query::filter(
            &INVOICE,
            Filter::And(vec![
                Filter::Eq("code", Value::Text(code.into())),
                Filter::Eq("number", Value::Text(number.into())),
            ]),
        )
        .page(0, 1);
        if let Some(r) = self.store.query(&q).await?.records.first() {
            let existing = Invoice::from_record(r)?;
            return Err(Error::Duplicate {
                kind: "invoice",
                rule: "invoice_code_number",
                existing: Some(format!(
                    "{} (invoice {code} {number} of {})",
                    existing.id, existing.issue_date
                )),
            });
        }
        Ok(())
    }

    /// Loads the order of an invoice operation, checks the actor may see it, and bumps its
    /// version in `c`, so that two invoices against one order never both take what is left.
    async fn invoice_order(
        &self,
        s: &Session,
        action: &str,
        order_id: Uuid,
        c: &mut Commit,
    ) -> Result<OrderDoc> {
        let doc = self.load_order(order_id).await?;
        let o = &doc.order.value;
        self.doc_guard(s, action, o.owner_id, o.customer_id, false)
            .await?;
        let touched = SalesOrder {
            updated_at: self.now(),
            ..o.clone()
        };
        c.update(touched.to_record(), doc.order.version);
        Ok(doc)
    }

    /// Issues a blue invoice for chosen lines and quantities of an approved order: never more
    /// than is left of a line unless [`super::SalesPolicy::allow_over_invoicing`]; the line
    /// completing an order line takes exactly what is left of its amounts.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `invoice.create` or for an order the actor may not
    /// see; [`Error::Invalid`] for an order not approved, a line not on the order, a quantity
    /// not more than zero or more than is left, a bad code or number;
    /// [`Error::Duplicate`] for a number already used within its code.
    pub async fn issue_invoice(&self, actor: Actor, input: InvoiceInput) -> Result<InvoiceDoc> {
        let action = "invoice.issue";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Create, action)?;
            check_invoice_number(&input.code, &input.number)?;
            if input.lines.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "an invoice needs at least one line",
                ));
            }
            let mut c = Commit::new();
            let doc = self
                .invoice_order(&s, action, input.order_id, &mut c)
                .await?;
            let o = doc.order.value.clone();
            invoiceable(&o)?;
            self.check_number_free(&input.code, &input.number).await?;
            let issued = self
                .invoice_lines_where(Filter::Eq("order_id", Value::Id(o.id)))
                .await?;
            let mut state = Self::invoicing_of(&doc, &issued);
            let by_id: HashMap<Uuid, &OrderLine> = doc.lines.iter().map(|l| (l.id, l)).collect();
            let settings = TaxSettings {
                rounding: o.tax_rounding,
                ..self.tax
            };
            let id = self.new_id();
            let mut lines = Vec::with_capacity(input.lines.len());
            for (i, &(line_id, qty)) in input.lines.iter().enumerate() {
                let at = |f: &str| format!("lines[{i}].{f}");
                let ol = by_id.get(&line_id).ok_or_else(|| {
                    Error::invalid(
                        at("order_line_id"),
                        format!("{line_id} is not a line of order {}", o.number),
                    )
                })?;
                let progress = state
                    .lines
                    .iter_mut()
                    .find(|p| p.order_line_id == line_id)
                    .ok_or_else(|| Error::backend_msg("order line without invoicing state"))?;
                if qty > progress.left.quantity && !self.policy.allow_over_invoicing {
                    return Err(Error::invalid(
                        at("quantity"),
                        format!(
                            "{qty} is more than is left to invoice of {} ({})",
                            ol.product_name, progress.left.quantity
                        ),
                    ));
                }
                let part = invoice_amounts(
                    &ol.input(),
                    progress.ordered,
                    progress.invoiced,
                    qty,
                    &settings,
                )
                .map_err(|e| match e {
                    Error::Invalid { field, reason } => Error::invalid(at(&field), reason),
                    e => e,
                })?;
                progress.invoiced = progress.invoiced.plus(part);
                progress.left = progress.ordered.minus(progress.invoiced);
                lines.push(InvoiceLine {
                    id: self.new_id(),
                    invoice_id: id,
                    order_id: o.id,
                    order_line_id: line_id,
                    blue_line_id: None,
                    position: i64::try_from(i + 1).unwrap_or(i64::MAX),
                    product_id: ol.product_id,
                    product_name: ol.product_name.clone(),
                    spec: ol.spec.clone(),
                    unit: ol.unit.clone(),
                    quantity: part.quantity,
                    unit_price_exclusive: ol.unit_price_exclusive,
                    tax_rate: ol.tax_rate,
                    net: part.net,
                    tax: part.tax,
                    gross: part.gross,
                });
            }
            let total = lines
                .iter()
                .map(Portion::of_invoice_line)
                .fold(Portion::default(), Portion::plus);
            let invoice = Invoice {
                id,
                order_id: o.id,
                customer_id: o.customer_id,
                owner_id: o.owner_id,
                kind: input.kind,
                code: input.code.clone(),
                number: input.number.clone(),
                issue_date: input.issue_date.unwrap_or_else(|| self.today()),
                red_of: None,
                reason: None,
                net: total.net,
                tax: total.tax,
                gross: total.gross,
                created_by: s.ctx.employee_id,
                created_at: self.now(),
            };
            self.write_invoice(&s, action, c, invoice, lines).await
        });
        self.logged(actor, action, "invoice", None, res).await
    }

    async fn write_invoice(
        &self,
        s: &Session,
        action: &str,
        mut c: Commit,
        invoice: Invoice,
        lines: Vec<InvoiceLine>,
    ) -> Result<InvoiceDoc> {
        c.insert(invoice.to_record());
        for l in &lines {
            c.insert(l.to_record());
        }
        c.insert(self.audit(
            s.ctx.employee_id,
            action,
            "invoice",
            Some(invoice.id),
            serde_json::json!({
                "order_id": invoice.order_id,
                "code": invoice.code,
                "number": invoice.number,
                "gross": invoice.gross,
                "red_of": invoice.red_of,
            }),
        ));
        self.commit(s, c).await?;
        Ok(InvoiceDoc { invoice, lines })
    }

    /// Issues a red-letter invoice reversing all (or the chosen lines and quantities) of what is
    /// not yet reversed of a blue invoice; the reversal completing a blue line takes exactly what
    /// is left of its amounts. The order's invoiced amounts go down by as much.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `invoice.create` or for an invoice the actor may not
    /// see; [`Error::Invalid`] for a red invoice given as the one to reverse, a line not on it,
    /// more than is left to reverse, nothing left, an empty reason, a bad code or number;
    /// [`Error::Duplicate`] for a number already used within its code.
    pub async fn issue_red_invoice(
        &self,
        actor: Actor,
        input: RedInvoiceInput,
    ) -> Result<InvoiceDoc> {
        let action = "invoice.red";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Create, action)?;
            check_invoice_number(&input.code, &input.number)?;
            let reason = text::check_text("reason", &input.reason, 1, 200)?;
            let blue = self.load_invoice(input.blue_invoice_id).await?;
            if blue.invoice.is_red() {
                return Err(Error::invalid(
                    "blue_invoice_id",
                    "a red-letter invoice reverses a blue invoice, not another red one",
                ));
            }
            let mut c = Commit::new();
            let doc = self
                .invoice_order(&s, action, blue.invoice.order_id, &mut c)
                .await?;
            self.check_number_free(&input.code, &input.number).await?;
            let order_lines: HashMap<Uuid, &OrderLine> =
                doc.lines.iter().map(|l| (l.id, l)).collect();
            let reds = self
                .invoice_lines_where(Filter::Eq("order_id", Value::Id(doc.order.value.id)))
                .await?;
            // Reversed so far, per blue line (as positive portions).
            let mut reversed: HashMap<Uuid, Portion> = HashMap::new();
            for r in reds.iter().filter(|r| r.blue_line_id.is_some()) {
                if let Some(b) = r.blue_line_id {
                    let p = reversed.entry(b).or_default();
                    *p = p.plus(Portion::of_invoice_line(r).negated());
                }
            }
            let wanted: Vec<(Uuid, Decimal)> = match &input.lines {
                Some(l) => l.clone(),
                None => blue
                    .lines
                    .iter()
                    .map(|b| {
                        let done = reversed.get(&b.id).copied().unwrap_or_default();
                        (b.id, b.quantity - done.quantity)
                    })
                    .filter(|(_, q)| *q > Decimal::ZERO)
                    .collect(),
            };
            if wanted.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "everything on this invoice is already reversed",
                ));
            }
            let settings = TaxSettings {
                rounding: doc.order.value.tax_rounding,
                ..self.tax
            };
            let id = self.new_id();
            let mut lines = Vec::with_capacity(wanted.len());
            for (i, (blue_line_id, qty)) in wanted.into_iter().enumerate() {
                let at = |f: &str| format!("lines[{i}].{f}");
                let b = blue
                    .lines
                    .iter()
                    .find(|b| b.id == blue_line_id)
                    .ok_or_else(|| {
                        Error::invalid(
                            at("blue_line_id"),
                            format!(
                                "{blue_line_id} is not a line of invoice {}",
                                blue.invoice.number
                            ),
                        )
                    })?;
                let ol = order_lines
                    .get(&b.order_line_id)
                    .ok_or_else(|| Error::backend_msg("invoice line without its order line"))?;
                let whole = Portion::of_invoice_line(b);
                let done = reversed.get(&b.id).copied().unwrap_or_default();
                if qty > whole.quantity - done.quantity {
                    return Err(Error::invalid(
                        at("quantity"),
                        format!(
                            "{qty} is more than is left to reverse of {} ({})",
                            b.product_name,
                            whole.quantity - done.quantity
                        ),
                    ));
                }
                let part = invoice_amounts(&ol.input(), whole, done, qty, &settings).map_err(
                    |e| match e {
                        Error::Invalid { field, reason } => Error::invalid(at(&field), reason),
                        e => e,
                    },
                )?;
                let entry = reversed.entry(b.id).or_default();
                *entry = entry.plus(part);
                let neg = part.negated();
                lines.push(InvoiceLine {
                    id: self.new_id(),
                    invoice_id: id,
                    blue_line_id: Some(b.id),
                    position: i64::try_from(i + 1).unwrap_or(i64::MAX),
                    quantity: neg.quantity,
                    net: neg.net,
                    tax: neg.tax,
                    gross: neg.gross,
                    ..b.clone()
                });
            }
            let total = lines
                .iter()
                .map(Portion::of_invoice_line)
                .fold(Portion::default(), Portion::plus);
            let invoice = Invoice {
                id,
                code: input.code.clone(),
                number: input.number.clone(),
                issue_date: input.issue_date.unwrap_or_else(|| self.today()),
                red_of: Some(blue.invoice.id),
                reason: Some(reason),
                net: total.net,
                tax: total.tax,
                gross: total.gross,
                created_by: s.ctx.employee_id,
                created_at: self.now(),
                ..blue.invoice.clone()
            };
            self.write_invoice(&s, action, c, invoice, lines).await
        });
        self.logged(actor, action, "invoice", Some(input.blue_invoice_id), res)
            .await
    }

    async fn load_invoice(&self, id: Uuid) -> Result<InvoiceDoc> {
        let r = self
            .store
            .get(&INVOICE, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "invoice",
                id: id.to_string(),
            })?;
        Ok(InvoiceDoc {
            invoice: Invoice::from_record(&r)?,
            lines: self
                .invoice_lines_where(Filter::Eq("invoice_id", Value::Id(id)))
                .await?,
        })
    }

    /// One invoice with its lines, if the actor may see its order.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `invoice.view` or when not visible;
    /// [`Error::NotFound`].
    pub async fn invoice(&self, actor: Actor, id: Uuid) -> Result<InvoiceDoc> {
        let action = "invoice.read";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            let doc = self.load_invoice(id).await?;
            let i = &doc.invoice;
            self.doc_guard(&s, action, i.owner_id, i.customer_id, false)
                .await?;
            Ok(doc)
        }
        .await;
        self.logged(actor, action, "invoice", Some(id), res).await
    }

    /// The invoices of an order (blue and red, in the order issued) and what it has invoiced
    /// and has left, per line and in total.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `invoice.view` or for an order the actor may not
    /// see; [`Error::NotFound`].
    pub async fn order_invoicing(
        &self,
        actor: Actor,
        order_id: Uuid,
    ) -> Result<(Vec<Invoice>, OrderInvoicing)> {
        let action = "invoice.order_invoicing";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            let doc = self.load_order(order_id).await?;
            let o = &doc.order.value;
            self.doc_guard(&s, action, o.owner_id, o.customer_id, false)
                .await?;
            let f = || Filter::Eq("order_id", Value::Id(order_id));
            let lines = self.invoice_lines_where(f()).await?;
            Ok((
                self.invoices_where(f()).await?,
                Self::invoicing_of(&doc, &lines),
            ))
        }
        .await;
        self.logged(actor, action, "sales_order", Some(order_id), res)
            .await
    }
}
