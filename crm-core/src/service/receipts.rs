//! Receipt and receivables operations (到款管理). The records, the identity they keep and the
//! ageing rule are in [`crate::finance`].

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{retry, Crm, Session};
use crate::customer::access::{visibility_filter, visibility_filter_on};
use crate::customer::{Customer, CUSTOMER};
use crate::error::{Error, Result};
use crate::finance::{
    check_amount, Ageing, Allocation, CashAccount, ExchangeRateRecord, OpeningBalance, Receipt,
    Receivable, StatementLine, CASH_ACCOUNT, EXCHANGE_RATE, OPENING_BALANCE, RECEIPT,
    RECEIPT_ALLOCATION,
};
use crate::money::{round, Currency, RoundingPolicy};
use crate::org::{Actor, Op, Permission, Resource};
use crate::sales::{Invoice, SalesOrder, INVOICE, SALES_ORDER};
use crate::settings::OptionCategory;
use crate::store::{Commit, Entity, Filter, Query, Value, Versioned};
use crate::text;

/// A receipt to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct ReceiptInput {
    /// The customer who paid.
    pub customer_id: Uuid,
    /// The account it went into.
    pub account_id: Uuid,
    /// Payment method; when the payment-method option list has values, one of them.
    pub method: String,
    /// Date received; today when absent.
    #[builder(default, setter(strip_option))]
    pub receipt_date: Option<NaiveDate>,
    /// Currency paid in (ISO code).
    #[builder(default = "CNY".to_owned())]
    pub currency: String,
    /// Amount paid in that currency, more than zero, at most 2 places.
    pub amount: Decimal,
    /// Bank fee in CNY (zero or more).
    #[builder(default)]
    pub fee_cny: Decimal,
    /// What reached the account in CNY, when the bank converted at its own rate; absent means
    /// the CNY value less the fee.
    #[builder(default, setter(strip_option))]
    pub received_cny: Option<Decimal>,
    /// (order, CNY amount) applied now; the rest stays as an advance (预收款).
    #[builder(default)]
    pub allocations: Vec<(Uuid, Decimal)>,
    /// A remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// A receipt with its allocations.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptDoc {
    /// The receipt.
    pub receipt: Versioned<Receipt>,
    /// Its allocations, oldest first.
    pub allocations: Vec<Allocation>,
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

/// Orders that count as amounts due.
fn due(o: &SalesOrder) -> bool {
    o.state.is_sale()
}

/// An amount falling due: an approved order, or what one stock-out shipped of an order
/// (see [`super::ReceivableBasis`]).
struct Due {
    order_id: Uuid,
    date: NaiveDate,
    /// The order's or the stock-out's number.
    number: String,
    amount: Decimal,
}

/// What the receivables of a set of customers rest on.
struct Ledger {
    orders: Vec<SalesOrder>,
    /// What falls due, oldest first.
    dues: Vec<Due>,
    reds: Vec<Invoice>,
    receipts: Vec<Receipt>,
    allocations: Vec<Allocation>,
    openings: Vec<OpeningBalance>,
}

impl Ledger {
    /// Credited (positive) per order: what its red-letter invoices took back.
    fn credited(&self) -> HashMap<Uuid, Decimal> {
        let mut m = HashMap::new();
        for i in &self.reds {
            *m.entry(i.order_id).or_insert(Decimal::ZERO) -= i.gross;
        }
        m
    }

    fn allocated(&self) -> HashMap<Uuid, Decimal> {
        let mut m = HashMap::new();
        for a in &self.allocations {
            *m.entry(a.order_id).or_insert(Decimal::ZERO) += a.amount_cny;
        }
        m
    }
}

impl Crm {
    /// Whether any receipt is applied to the order.
    pub(super) async fn has_allocations(&self, order_id: Uuid) -> Result<bool> {
        let q = Query::filter(
            &RECEIPT_ALLOCATION,
            Filter::Eq("order_id", Value::Id(order_id)),
        )
        .page(0, 1);
        Ok(!self.store.query(&q).await?.records.is_empty())
    }

    async fn all_where<T: Entity>(
        &self,
        kind: &'static crate::store::Kind,
        f: Filter,
    ) -> Result<Vec<T>> {
        self.store
            .query(&Query::filter(kind, f))
            .await?
            .records
            .iter()
            .map(T::from_record)
            .collect()
    }

    /// The receivables ledger of customers the actor may see: their opening balances (which
    /// belong to the account) and, of their orders, red-letter invoices and receipts, only
    /// those the actor may read (after a reassignment a customer's earlier documents stay with
    /// their owner, ADR 6), with the allocations between a readable receipt and order.
    async fn ledger(&self, s: &Session, customers: &[Uuid]) -> Result<Ledger> {
        let ids: Vec<Value> = customers.iter().map(|&c| Value::Id(c)).collect();
        let visible = visibility_filter_on(&s.ctx, self.shared_with(s).await?, "customer_id");
        let by = || Filter::In("customer_id", ids.clone());
        let readable = || Filter::And(std::iter::once(by()).chain(visible.clone()).collect());
        let orders: Vec<SalesOrder> = self.all_where(&SALES_ORDER, readable()).await?;
        let reds = self
            .all_where::<Invoice>(&INVOICE, readable())
            .await?
            .into_iter()
            .filter(Invoice::is_red)
            .collect();
        let receipts: Vec<Receipt> = self.all_where(&RECEIPT, readable()).await?;
        let order_ids: BTreeSet<Uuid> = orders.iter().map(|o| o.id).collect();
        let receipt_ids: BTreeSet<Uuid> = receipts.iter().map(|r| r.id).collect();
        let allocations = self
            .all_where::<Allocation>(&RECEIPT_ALLOCATION, by())
            .await?
            .into_iter()
            .filter(|a| order_ids.contains(&a.order_id) && receipt_ids.contains(&a.receipt_id))
            .collect();
        let orders: Vec<SalesOrder> = orders.into_iter().filter(due).collect();
        let dues = self.dues_of(&orders).await?;
        Ok(Ledger {
            dues,
            orders,
            reds,
            receipts,
            allocations,
            openings: self.all_where(&OPENING_BALANCE, by()).await?,
        })
    }

    /// What falls due for `orders` under the company's receivable basis, oldest first.
    async fn dues_of(&self, orders: &[SalesOrder]) -> Result<Vec<Due>> {
        let mut dues: Vec<Due> = match self.policy.receivable_basis {
            super::ReceivableBasis::PerOrder => orders
                .iter()
                .map(|o| Due {
                    order_id: o.id,
                    date: o.order_date,
                    number: o.number.clone(),
                    amount: o.gross,
                })
                .collect(),
            super::ReceivableBasis::PerStockOut => self.shipped_dues(orders).await?,
        };
        dues.sort_by(|a, b| (a.date, &a.number).cmp(&(b.date, &b.number)));
        Ok(dues)
    }

    /// One due per stock-out and order: the increase, over the stock-out's lines, of each
    /// line's gross in proportion to the units shipped so far (the shipment completing a line
    /// takes exactly what is left of its gross).
    async fn shipped_dues(&self, orders: &[SalesOrder]) -> Result<Vec<Due>> {
        use crate::inventory::{StockDoc, StockDocLine, StockDocType, STOCK_DOC, STOCK_DOC_LINE};
        use crate::sales::{OrderLine, SALES_ORDER_LINE};
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Value> = orders.iter().map(|o| Value::Id(o.id)).collect();
        let order_lines: HashMap<Uuid, OrderLine> = self
            .all_where::<OrderLine>(&SALES_ORDER_LINE, Filter::In("order_id", ids.clone()))
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
        let mut shipped: Vec<StockDocLine> = self
            .all_where(
                &STOCK_DOC_LINE,
                Filter::And(vec![
                    Filter::In("order_id", ids),
                    Filter::Eq(
                        "doc_type",
                        Value::Text(StockDocType::StockOut.as_str().into()),
                    ),
                ]),
            )
            .await?;
        shipped.sort_by(|a, b| {
            (a.doc_date, a.doc_id, a.position).cmp(&(b.doc_date, b.doc_id, b.position))
        });
        let mut doc_ids: Vec<Uuid> = shipped.iter().map(|l| l.doc_id).collect();
        doc_ids.dedup();
        let numbers: HashMap<Uuid, String> = self
            .store
            .get_many(&STOCK_DOC, &doc_ids)
            .await?
            .iter()
            .map(|r| StockDoc::from_record(r).map(|d| (d.id, d.number)))
            .collect::<Result<_>>()?;
        let mut so_far: HashMap<Uuid, Decimal> = HashMap::new();
        let mut dues: Vec<Due> = Vec::new();
        for l in &shipped {
            let (Some(ol), Some(order_id)) = (
                l.order_line_id.and_then(|i| order_lines.get(&i)),
                l.order_id,
            ) else {
                continue;
            };
            let before = so_far.get(&ol.id).copied().unwrap_or_default();
            let after = before + l.quantity;
            so_far.insert(ol.id, after);
            let share = |q: Decimal| {
                if q >= ol.quantity {
                    ol.gross
                } else {
                    round(ol.gross * q / ol.quantity, 2, RoundingPolicy::HalfUp)
                }
            };
            let amount = share(after) - share(before);
            match dues.last_mut() {
                Some(d)
                    if d.number == numbers.get(&l.doc_id).cloned().unwrap_or_default()
                        && d.order_id == order_id =>
                {
                    d.amount += amount;
                }
                _ => dues.push(Due {
                    order_id,
                    date: l.doc_date,
                    number: numbers.get(&l.doc_id).cloned().unwrap_or_default(),
                    amount,
                }),
            }
        }
        Ok(dues)
    }

    /// Adds a bank or cash account.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `settings.edit`; [`Error::Invalid`] for a bad name or
    /// currency; [`Error::Duplicate`] for a name in use.
    pub async fn create_cash_account(
        &self,
        actor: Actor,
        name: &str,
        is_bank: bool,
        currency: &str,
        account_number: Option<&str>,
    ) -> Result<CashAccount> {
        let action = "settings.create_cash_account";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Settings, Op::Edit, action)?;
            let a = CashAccount {
                id: self.new_id(),
                name: text::check_text("name", name, 1, 50)?,
                is_bank,
                currency: Currency::new(currency)?.code().to_owned(),
                account_number: account_number
                    .map(|n| text::check_text("account_number", n, 1, 50))
                    .transpose()?,
                active: true,
            };
            let mut c = Commit::new();
            c.insert(a.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "cash_account",
                Some(a.id),
                serde_json::json!({"name": a.name}),
            ));
            self.commit(&s, c).await?;
            Ok(a)
        }
        .await;
        self.logged(actor, action, "cash_account", None, res).await
    }

    /// Every bank and cash account.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] for an unknown or inactive actor.
    pub async fn cash_accounts(&self, actor: Actor) -> Result<Vec<CashAccount>> {
        self.session(actor).await?;
        let mut v = self.load_all::<CashAccount>().await?;
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    /// Stores (or replaces) the CNY rate of a currency on a date.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `settings.edit`; [`Error::Invalid`] for CNY itself,
    /// an unknown code, or a rate not more than zero or with more than 6 places.
    pub async fn set_exchange_rate(
        &self,
        actor: Actor,
        currency: &str,
        date: NaiveDate,
        cny_per_unit: Decimal,
    ) -> Result<ExchangeRateRecord> {
        let action = "settings.exchange_rate";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Settings, Op::Edit, action)?;
            let cur = Currency::new(currency)?;
            if cur == Currency::CNY {
                return Err(Error::invalid(
                    "currency",
                    "CNY converts at 1; it has no rate",
                ));
            }
            crate::money::ExchangeRate::new(cur, date, cny_per_unit)?;
            if cny_per_unit.normalize().scale() > 6 {
                return Err(Error::invalid(
                    "cny_per_unit",
                    format!("{cny_per_unit} has more than 6 decimal places"),
                ));
            }
            let existing = self.rate_record(cur.code(), date).await?;
            let r = ExchangeRateRecord {
                id: existing
                    .as_ref()
                    .map_or_else(|| self.new_id(), |e| e.value.id),
                currency: cur.code().to_owned(),
                date,
                cny_per_unit,
            };
            let mut c = Commit::new();
            match existing {
                Some(e) => c.update(r.to_record(), e.version),
                None => c.insert(r.to_record()),
            };
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "exchange_rate",
                Some(r.id),
                serde_json::json!({"currency": r.currency, "date": date, "rate": cny_per_unit}),
            ));
            self.commit(&s, c).await?;
            Ok(r)
        });
        self.logged(actor, action, "exchange_rate", None, res).await
    }

    async fn rate_record(
        &self,
        currency: &str,
        date: NaiveDate,
    ) -> Result<Option<Versioned<ExchangeRateRecord>>> {
        let q = Query::filter(
            &EXCHANGE_RATE,
            Filter::And(vec![
                Filter::Eq("currency", Value::Text(currency.into())),
                Filter::Eq("date", Value::Date(date)),
            ]),
        );
        self.store
            .query(&q)
            .await?
            .records
            .first()
            .map(Versioned::decode)
            .transpose()
    }

    /// Checks `(order, amount)` allocations for a customer and adds them (and a version bump of
    /// each order, so concurrent allocations never both take what is left) to `c`.
    async fn allocate(
        &self,
        s: &Session,
        action: &str,
        c: &mut Commit,
        receipt: &Receipt,
        wanted: &[(Uuid, Decimal)],
        on: NaiveDate,
    ) -> Result<Vec<Allocation>> {
        let mut out = Vec::with_capacity(wanted.len());
        let mut seen = BTreeSet::new();
        for (i, &(order_id, amount)) in wanted.iter().enumerate() {
            let at = |f: &str| format!("allocations[{i}].{f}");
            check_amount(&at("amount"), amount, true)?;
            if !seen.insert(order_id) {
                return Err(Error::invalid(at("order_id"), "the same order twice"));
            }
            let doc = self.load_order(order_id).await?;
            let o = &doc.order.value;
            self.doc_guard(s, action, o.owner_id, o.customer_id, false)
                .await?;
            if o.customer_id != receipt.customer_id {
                return Err(Error::invalid(
                    at("order_id"),
                    format!("order {} is another customer's", o.number),
                ));
            }
            if !due(o) {
                return Err(Error::invalid(
                    at("order_id"),
                    format!(
                        "order {} is {}; receipts apply to approved orders",
                        o.number,
                        o.state.as_str()
                    ),
                ));
            }
            let f = || Filter::Eq("order_id", Value::Id(order_id));
            let credited: Decimal = self
                .all_where::<Invoice>(&INVOICE, f())
                .await?
                .iter()
                .filter(|i| i.is_red())
                .map(|i| -i.gross)
                .sum();
            let allocated: Decimal = self
                .all_where::<Allocation>(&RECEIPT_ALLOCATION, f())
                .await?
                .iter()
                .map(|a| a.amount_cny)
                .sum();
            let outstanding = o.gross - credited - allocated;
            if amount > outstanding {
                return Err(Error::invalid(
                    at("amount"),
                    format!(
                        "{amount} is more than order {} still owes ({outstanding})",
                        o.number
                    ),
                ));
            }
            c.update(
                SalesOrder {
                    updated_at: self.now(),
                    ..o.clone()
                }
                .to_record(),
                doc.order.version,
            );
            out.push(Allocation {
                id: self.new_id(),
                receipt_id: receipt.id,
                order_id,
                customer_id: receipt.customer_id,
                amount_cny: amount,
                applied_on: on,
            });
        }
        let total: Decimal = out.iter().map(|a| a.amount_cny).sum();
        if total > receipt.unallocated() {
            return Err(Error::invalid(
                "allocations",
                format!(
                    "{total} is more than the receipt has left to apply ({})",
                    receipt.unallocated()
                ),
            ));
        }
        for a in &out {
            c.insert(a.to_record());
        }
        Ok(out)
    }

    /// Records money received from a customer the actor may see: converted to CNY at the rate
    /// stored for its date, the fee and exchange difference kept, and applied to the given
    /// orders; what is not applied is an advance (预收款) for [`Crm::apply_receipt`].
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `receipt.create` or for a customer the actor may not
    /// see; [`Error::Invalid`] naming the field: an amount not more than zero, a fee below
    /// zero, more than 2 places, an unknown or inactive account, a method not in the list, a
    /// currency with no rate for the date (`exchange_rate`), an allocation beyond what an order
    /// owes or beyond the receipt.
    pub async fn record_receipt(&self, actor: Actor, input: ReceiptInput) -> Result<ReceiptDoc> {
        let action = "receipt.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Receipt, Op::Create, action)?;
            let customer = self.load_customer(input.customer_id).await?.value;
            self.doc_guard(&s, action, customer.owner_id, customer.id, false)
                .await?;
            check_amount("amount", input.amount, true)?;
            check_amount("fee_cny", input.fee_cny, false)?;
            let account = self
                .store
                .get(&CASH_ACCOUNT, input.account_id)
                .await?
                .map(|r| CashAccount::from_record(&r))
                .transpose()?
                .filter(|a| a.active)
                .ok_or_else(|| {
                    Error::invalid(
                        "account_id",
                        format!("no active account {}", input.account_id),
                    )
                })?;
            let method = text::check_text("method", &input.method, 1, 30)?;
            let methods = self.options(OptionCategory::PaymentMethod).await?;
            if !methods.is_empty() && !methods.iter().any(|m| m.value == method) {
                return Err(Error::invalid(
                    "method",
                    format!("{method} is not a payment method of the list"),
                ));
            }
            let currency = Currency::new(&input.currency)?;
            let date = input.receipt_date.unwrap_or_else(|| self.today());
            let rate = if currency == Currency::CNY {
                Decimal::ONE
            } else {
                self.rate_record(currency.code(), date)
                    .await?
                    .map(|r| r.value.cny_per_unit)
                    .ok_or_else(|| {
                        Error::invalid(
                            "exchange_rate",
                            format!("no {currency} to CNY rate on {date}"),
                        )
                    })?
            };
            let amount_cny = round(
                input
                    .amount
                    .checked_mul(rate)
                    .ok_or(Error::Overflow("receipt conversion"))?,
                2,
                RoundingPolicy::HalfUp,
            );
            if input.fee_cny > amount_cny {
                return Err(Error::invalid(
                    "fee_cny",
                    "the fee is more than the amount received",
                ));
            }
            let received_cny = match input.received_cny {
                Some(r) => {
                    check_amount("received_cny", r, false)?;
                    r
                }
                None => amount_cny - input.fee_cny,
            };
            let mut c = Commit::new();
            let number = self.next_number(&mut c, "RC", date.year()).await?;
            let receipt = Receipt {
                id: self.new_id(),
                number,
                customer_id: customer.id,
                owner_id: customer.owner_id,
                account_id: account.id,
                method: method.clone(),
                receipt_date: date,
                currency: currency.code().to_owned(),
                amount: input.amount,
                rate,
                amount_cny,
                fee_cny: input.fee_cny,
                received_cny,
                exchange_difference: amount_cny - input.fee_cny - received_cny,
                allocated_cny: Decimal::ZERO,
                note: input
                    .note
                    .as_deref()
                    .map(|n| text::check_text("note", n, 1, 200))
                    .transpose()?,
                created_by: s.ctx.employee_id,
                created_at: self.now(),
            };
            let allocations = self
                .allocate(&s, action, &mut c, &receipt, &input.allocations, date)
                .await?;
            let receipt = Receipt {
                allocated_cny: allocations.iter().map(|a| a.amount_cny).sum(),
                ..receipt
            };
            c.insert(receipt.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "receipt",
                Some(receipt.id),
                serde_json::json!({"number": receipt.number, "amount_cny": receipt.amount_cny, "allocated": receipt.allocated_cny}),
            ));
            self.commit(&s, c)
                .await
                .map_err(super::sales::sequence_race)?;
            Ok(ReceiptDoc {
                receipt: Versioned {
                    value: receipt,
                    version: 1,
                },
                allocations,
            })
        });
        self.logged(actor, action, "receipt", None, res).await
    }

    /// Applies what is left of a receipt (an advance) to orders of its customer.
    ///
    /// # Errors
    /// As [`Crm::record_receipt`] for the allocations, with `receipt.edit`;
    /// [`Error::NotFound`]; [`Error::Conflict`] when retried out.
    pub async fn apply_receipt(
        &self,
        actor: Actor,
        receipt_id: Uuid,
        allocations: &[(Uuid, Decimal)],
    ) -> Result<ReceiptDoc> {
        let action = "receipt.apply";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Receipt, Op::Edit, action)?;
            let r = self
                .store
                .get(&RECEIPT, receipt_id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "receipt",
                    id: receipt_id.to_string(),
                })?;
            let v = Versioned::<Receipt>::decode(&r)?;
            self.doc_guard(&s, action, v.value.owner_id, v.value.customer_id, false)
                .await?;
            if allocations.is_empty() {
                return Err(Error::invalid("allocations", "nothing to apply"));
            }
            let mut c = Commit::new();
            let made = self
                .allocate(&s, action, &mut c, &v.value, allocations, self.today())
                .await?;
            let receipt = Receipt {
                allocated_cny: v.value.allocated_cny
                    + made.iter().map(|a| a.amount_cny).sum::<Decimal>(),
                ..v.value
            };
            c.update(receipt.to_record(), v.version);
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "receipt",
                Some(receipt.id),
                serde_json::json!({"applied": made.iter().map(|a| a.amount_cny).sum::<Decimal>()}),
            ));
            self.commit(&s, c).await?;
            let allocations = self
                .all_where(
                    &RECEIPT_ALLOCATION,
                    Filter::Eq("receipt_id", Value::Id(receipt_id)),
                )
                .await?;
            Ok(ReceiptDoc {
                receipt: Versioned {
                    value: receipt,
                    version: v.version + 1,
                },
                allocations,
            })
        });
        self.logged(actor, action, "receipt", Some(receipt_id), res)
            .await
    }

    /// Sets a customer's opening balance (positive: they owed; negative: they had prepaid).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `receipt.edit` or for a customer the actor may not
    /// see; [`Error::Invalid`] for more than 2 places.
    pub async fn set_opening_balance(
        &self,
        actor: Actor,
        customer_id: Uuid,
        amount_cny: Decimal,
        as_of: NaiveDate,
    ) -> Result<OpeningBalance> {
        let action = "receipt.opening_balance";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Receipt, Op::Edit, action)?;
            let customer = self.load_customer(customer_id).await?.value;
            self.doc_guard(&s, action, customer.owner_id, customer.id, false)
                .await?;
            check_amount("amount_cny", amount_cny.abs(), false)?;
            let existing = self
                .all_where::<OpeningBalance>(
                    &OPENING_BALANCE,
                    Filter::Eq("customer_id", Value::Id(customer_id)),
                )
                .await?
                .into_iter()
                .next();
            let ob = OpeningBalance {
                id: existing.as_ref().map_or_else(|| self.new_id(), |e| e.id),
                customer_id,
                amount_cny,
                as_of,
            };
            let mut c = Commit::new();
            match self.store.get(&OPENING_BALANCE, ob.id).await? {
                Some(r) => c.update(ob.to_record(), r.version),
                None => c.insert(ob.to_record()),
            };
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "customer",
                Some(customer_id),
                serde_json::json!({"amount_cny": amount_cny, "as_of": as_of}),
            ));
            self.commit(&s, c).await?;
            Ok(ob)
        });
        self.logged(actor, action, "customer", Some(customer_id), res)
            .await
    }

    /// The receivables of the customers the actor may see (or of one), as of a date: the
    /// identity's terms, the balance, the ageing and the advances. Customers with nothing on
    /// their books are left out. Sorted by customer name.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `receipt.view`, or for a named customer the actor
    /// may not see.
    pub async fn receivables(
        &self,
        actor: Actor,
        as_of: NaiveDate,
        customer: Option<Uuid>,
    ) -> Result<Vec<Receivable>> {
        let action = "receipt.receivables";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Receipt, Op::View, action)?;
            let customers: Vec<Customer> = match customer {
                Some(id) => {
                    let c = self.load_customer(id).await?.value;
                    self.doc_guard(&s, action, c.owner_id, c.id, false).await?;
                    vec![c]
                }
                None => {
                    let f = visibility_filter(&s.ctx, self.shared_with(&s).await?)
                        .unwrap_or(Filter::And(vec![]));
                    self.all_where(&CUSTOMER, f).await?
                }
            };
            let ids: Vec<Uuid> = customers.iter().map(|c| c.id).collect();
            let ledger = self.ledger(&s, &ids).await?;
            let credited = ledger.credited();
            let allocated = ledger.allocated();
            let mut out: HashMap<Uuid, Receivable> = HashMap::new();
            let names: HashMap<Uuid, &str> =
                customers.iter().map(|c| (c.id, c.name.as_str())).collect();
            for ob in &ledger.openings {
                let r = Self::row(&mut out, &names, ob.customer_id);
                r.opening += ob.amount_cny;
                r.ageing.add(ob.amount_cny, ob.as_of, as_of);
            }
            // Credits and receipts of an order settle its oldest dues first; what is left of
            // each due is aged by its date (more than was due stays with the order's date).
            for o in &ledger.orders {
                let cr = credited.get(&o.id).copied().unwrap_or_default();
                let al = allocated.get(&o.id).copied().unwrap_or_default();
                let r = Self::row(&mut out, &names, o.customer_id);
                r.credited += cr;
                let mut settled = cr + al;
                for d in ledger.dues.iter().filter(|d| d.order_id == o.id) {
                    r.due += d.amount;
                    let taken = settled.min(d.amount).max(Decimal::ZERO);
                    settled -= taken;
                    r.ageing.add(d.amount - taken, d.date, as_of);
                }
                if !settled.is_zero() {
                    r.ageing.add(-settled, o.order_date, as_of);
                }
            }
            for rc in &ledger.receipts {
                let r = Self::row(&mut out, &names, rc.customer_id);
                r.received += rc.amount_cny;
                r.unapplied += rc.unallocated();
            }
            let mut rows: Vec<Receivable> = out
                .into_values()
                .map(|mut r| {
                    r.balance = r.opening + r.due - r.received - r.credited;
                    r
                })
                .collect();
            rows.sort_by(|a, b| {
                a.customer_name
                    .cmp(&b.customer_name)
                    .then(a.customer_id.cmp(&b.customer_id))
            });
            Ok(rows)
        }
        .await;
        self.logged(actor, action, "customer", customer, res).await
    }

    fn row<'a>(
        out: &'a mut HashMap<Uuid, Receivable>,
        names: &HashMap<Uuid, &str>,
        id: Uuid,
    ) -> &'a mut Receivable {
        out.entry(id).or_insert_with(|| Receivable {
            customer_id: id,
            customer_name: names.get(&id).copied().unwrap_or_default().to_owned(),
            opening: Decimal::ZERO,
            due: Decimal::ZERO,
            received: Decimal::ZERO,
            credited: Decimal::ZERO,
            balance: Decimal::ZERO,
            ageing: Ageing::default(),
            unapplied: Decimal::ZERO,
        })
    }

    /// A customer's statement (应收明细): opening balance, orders, receipts and red-letter
    /// credits in date order with the running balance; the last balance is the receivable.
    ///
    /// # Errors
    /// As [`Crm::receivables`] for one customer.
    pub async fn customer_statement(
        &self,
        actor: Actor,
        customer_id: Uuid,
    ) -> Result<Vec<StatementLine>> {
        let action = "receipt.statement";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Receipt, Op::View, action)?;
            let c = self.load_customer(customer_id).await?.value;
            self.doc_guard(&s, action, c.owner_id, c.id, false).await?;
            let l = self.ledger(&s, &[customer_id]).await?;
            let mut lines: Vec<(NaiveDate, u8, StatementLine)> = vec![];
            let line = |date, entry, number: &str, debit, credit| StatementLine {
                date,
                entry,
                number: number.to_owned(),
                debit,
                credit,
                balance: Decimal::ZERO,
            };
            for ob in &l.openings {
                let (d, cr) = if ob.amount_cny >= Decimal::ZERO {
                    (ob.amount_cny, Decimal::ZERO)
                } else {
                    (Decimal::ZERO, -ob.amount_cny)
                };
                lines.push((ob.as_of, 0, line(ob.as_of, "opening", "", d, cr)));
            }
            let entry = match self.policy.receivable_basis {
                super::ReceivableBasis::PerOrder => "order",
                super::ReceivableBasis::PerStockOut => "stock_out",
            };
            for d in &l.dues {
                lines.push((
                    d.date,
                    1,
                    line(d.date, entry, &d.number, d.amount, Decimal::ZERO),
                ));
            }
            for i in &l.reds {
                lines.push((
                    i.issue_date,
                    2,
                    line(i.issue_date, "credit", &i.number, Decimal::ZERO, -i.gross),
                ));
            }
            for r in &l.receipts {
                lines.push((
                    r.receipt_date,
                    3,
                    line(
                        r.receipt_date,
                        "receipt",
                        &r.number,
                        Decimal::ZERO,
                        r.amount_cny,
                    ),
                ));
            }
            lines.sort_by(|a, b| (a.0, a.1, &a.2.number).cmp(&(b.0, b.1, &b.2.number)));
            let mut balance = Decimal::ZERO;
            Ok(lines
                .into_iter()
                .map(|(_, _, mut sl)| {
                    balance += sl.debit - sl.credit;
                    sl.balance = balance;
                    sl
                })
                .collect())
        }
        .await;
        self.logged(actor, action, "customer", Some(customer_id), res)
            .await
    }
}
