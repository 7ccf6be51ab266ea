//! Shipping notices (发货通知): which lines of approved orders may ship and how many, gated by
//! the company's rule ([`ShipGate`], in [`ShippingPolicy`]). A notice is written by whoever may
//! change the customer's documents (`shipping_notice.create`); it is held while the rule fails
//! and released once it passes, or by someone holding `shipping_notice.approve`. The warehouse
//! ships it with a stock-out ([`Crm::stock_out`] with `notice_id`).
//!
//! A notice may cover several orders of one customer, and their owners may differ (orders made
//! before and after the customer was reassigned keep their owners, ADR 6). Outside the
//! warehouse (`stock_out.view`), writing or withdrawing a notice needs the right to change
//! every one of its orders, and reading or releasing it the right to read every one.
//!
//! A notice never asks for more than is left: for every order line, what open notices claim
//! (their quantity less what shipped against them) plus what has shipped never exceeds what
//! was ordered; stock-outs without a notice leave those claims alone too.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{Crm, OrderDoc, Session};
use crate::customer::CUSTOMER;
use crate::error::{Error, Result};
use crate::finance::{OPENING_BALANCE, RECEIPT, RECEIPT_ALLOCATION};
use crate::inventory::{
    NoticeEvent, NoticeLine, NoticeState, ShipGate, ShippingNotice, SHIPPING_NOTICE,
    SHIPPING_NOTICE_LINE,
};
use crate::money::round_money;
use crate::org::{Actor, Op, Permission, Resource};
use crate::sales::{OrderLine, OrderState, SalesOrder, INVOICE, SALES_ORDER, SALES_ORDER_LINE};
use crate::store::{Aggregate, Commit, Entity, Filter, GroupBy, Order, Query, Value, Versioned};
use crate::text;

use super::retry;

/// Company rules for shipping (settings, not law).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShippingPolicy {
    /// When a shipping notice may be released.
    pub gate: ShipGate,
    /// Whether stock-outs must ship a released shipping notice (else they may ship approved
    /// orders directly).
    pub stock_out_from_notice: bool,
}

/// A shipping notice as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct NoticeInput {
    /// Date; today when absent.
    #[builder(default, setter(strip_option))]
    pub date: Option<NaiveDate>,
    /// (order line, units) pairs, of approved orders of one customer.
    pub lines: Vec<(Uuid, Decimal)>,
    /// Remark.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// A shipping notice with its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeDoc {
    /// The notice.
    pub notice: Versioned<ShippingNotice>,
    /// Its lines, in order.
    pub lines: Vec<Versioned<NoticeLine>>,
}

fn need(s: &Session, op: Op, action: &str) -> Result<()> {
    if s.ctx.has(Resource::ShippingNotice, op) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(Resource::ShippingNotice, op)
        )))
    }
}

impl Crm {
    /// Replaces the company's shipping rules (see [`ShippingPolicy`]).
    pub fn with_shipping_policy(mut self, shipping: ShippingPolicy) -> Self {
        self.shipping = shipping;
        self
    }

    /// The company's shipping rules.
    pub fn shipping_policy(&self) -> ShippingPolicy {
        self.shipping
    }

    /// What open notices other than `except` claim per order line of `order_ids`.
    pub(super) async fn notice_claims(
        &self,
        order_ids: &[Uuid],
        except: Option<Uuid>,
    ) -> Result<HashMap<Uuid, Decimal>> {
        self.claims_of(order_ids, except, NoticeState::is_open)
            .await
    }

    /// What released notices (partly shipped ones included) other than `except` claim per
    /// order line of `order_ids`: the units production's readiness must already cover.
    pub(super) async fn released_claims(
        &self,
        order_ids: &[Uuid],
        except: Option<Uuid>,
    ) -> Result<HashMap<Uuid, Decimal>> {
        self.claims_of(order_ids, except, |state| {
            matches!(state, NoticeState::Released | NoticeState::PartlyShipped)
        })
        .await
    }

    async fn claims_of(
        &self,
        order_ids: &[Uuid],
        except: Option<Uuid>,
        counts: impl Fn(NoticeState) -> bool,
    ) -> Result<HashMap<Uuid, Decimal>> {
        let q = Query::filter(
            &SHIPPING_NOTICE_LINE,
            Filter::In(
                "order_id",
                order_ids.iter().map(|&i| Value::Id(i)).collect(),
            ),
        );
        let lines: Vec<NoticeLine> = self
            .store
            .query(&q)
            .await?
            .records
            .iter()
            .map(NoticeLine::from_record)
            .collect::<Result<_>>()?;
        let mut notice_ids: Vec<Uuid> = lines.iter().map(|l| l.notice_id).collect();
        notice_ids.sort();
        notice_ids.dedup();
        let open: std::collections::HashSet<Uuid> = self
            .store
            .get_many(&SHIPPING_NOTICE, &notice_ids)
            .await?
            .iter()
            .map(ShippingNotice::from_record)
            .filter_map(|n| n.ok())
            .filter(|n| counts(n.state) && Some(n.id) != except)
            .map(|n| n.id)
            .collect();
        let mut claims: HashMap<Uuid, Decimal> = HashMap::new();
        for l in lines.iter().filter(|l| open.contains(&l.notice_id)) {
            *claims.entry(l.order_line_id).or_default() += l.quantity - l.shipped;
        }
        Ok(claims)
    }

    /// Why the company's rule holds these orders back, or `None` when they may ship. Reads the
    /// company's books whole (a rule about the customer's account, not about what the actor
    /// may see).
    ///
    /// `lines` are the notice's (order line, units still to ship) and `except` the notice
    /// itself once written: the production rule weighs them against what is ready.
    async fn hold_reason(
        &self,
        customer_id: Uuid,
        orders: &[&SalesOrder],
        lines: &[(Uuid, Decimal)],
        except: Option<Uuid>,
    ) -> Result<Option<String>> {
        match self.shipping.gate {
            ShipGate::Always => Ok(None),
            ShipGate::ProductionReady => {
                let ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
                self.production_hold(&ids, lines, except).await
            }
            ShipGate::FullyPaid => {
                for o in orders {
                    let by_order = Filter::Eq("order_id", Value::Id(o.id));
                    let mut allocated = Decimal::ZERO;
                    for r in &self
                        .store
                        .query(&Query::filter(&RECEIPT_ALLOCATION, by_order.clone()))
                        .await?
                        .records
                    {
                        allocated += crate::finance::Allocation::from_record(r)?.amount_cny;
                    }
                    let mut credited = Decimal::ZERO;
                    let reds = Filter::And(vec![by_order, Filter::IsNull("red_of", false)]);
                    for r in &self
                        .store
                        .query(&Query::filter(&INVOICE, reds))
                        .await?
                        .records
                    {
                        credited -= crate::sales::Invoice::from_record(r)?.gross;
                    }
                    let owed = o.gross - credited;
                    if allocated < owed {
                        return Ok(Some(format!(
                            "order {} is not fully paid: {} of {} received",
                            o.number,
                            round_money(allocated),
                            round_money(owed)
                        )));
                    }
                }
                Ok(None)
            }
            ShipGate::WithinCredit => {
                let c = crate::customer::Customer::from_record(
                    &self
                        .store
                        .get(&CUSTOMER, customer_id)
                        .await?
                        .ok_or(Error::NotFound {
                            kind: "customer",
                            id: customer_id.to_string(),
                        })?,
                )?;
                let Some(limit) = c.credit_limit else {
                    return Ok(None);
                };
                let balance = self.receivable_of(customer_id).await?;
                if balance > limit {
                    Ok(Some(format!(
                        "customer {} owes {}, beyond the credit limit of {}",
                        c.name,
                        round_money(balance),
                        round_money(limit)
                    )))
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// The customer's whole receivable: opening + approved orders − received − credited.
    async fn receivable_of(&self, customer_id: Uuid) -> Result<Decimal> {
        let by = || Filter::Eq("customer_id", Value::Id(customer_id));
        let sum = |kind, filter, col| Aggregate {
            kind,
            filter,
            group_by: vec![GroupBy::Column("customer_id")],
            sums: vec![col],
            distinct: vec![],
        };
        let sale_states: Vec<Value> = [
            OrderState::Approved,
            OrderState::PartlyShipped,
            OrderState::Shipped,
            OrderState::Closed,
        ]
        .iter()
        .map(|s| Value::Text(s.as_str().into()))
        .collect();
        let due = sum(
            &SALES_ORDER,
            Filter::And(vec![by(), Filter::In("state", sale_states)]),
            "gross",
        );
        let received = sum(&RECEIPT, by(), "amount_cny");
        let credited = sum(
            &INVOICE,
            Filter::And(vec![by(), Filter::IsNull("red_of", false)]),
            "gross",
        );
        let opening = sum(&OPENING_BALANCE, by(), "amount_cny");
        let (due, received, credited, opening) = futures::try_join!(
            self.store.aggregate(&due),
            self.store.aggregate(&received),
            self.store.aggregate(&credited),
            self.store.aggregate(&opening),
        )?;
        let first = |rows: Vec<crate::store::AggregateRow>| {
            rows.first().map_or(Decimal::ZERO, |r| r.sums[0])
        };
        // Red-letter invoices carry negative gross: adding them takes the credit off.
        Ok(first(opening) + first(due) - first(received) + first(credited))
    }

    pub(super) async fn load_notice(&self, id: Uuid) -> Result<NoticeDoc> {
        let r = self
            .store
            .get(&SHIPPING_NOTICE, id)
            .await?
            .ok_or(Error::NotFound {
                kind: "shipping_notice",
                id: id.to_string(),
            })?;
        let q = Query::filter(
            &SHIPPING_NOTICE_LINE,
            Filter::Eq("notice_id", Value::Id(id)),
        )
        .order_by(vec![Order::asc("position")]);
        Ok(NoticeDoc {
            notice: Versioned::decode(&r)?,
            lines: self
                .store
                .query(&q)
                .await?
                .records
                .iter()
                .map(Versioned::decode)
                .collect::<Result<_>>()?,
        })
    }

    /// Checks that the actor may see (or, with `write`, change) every order a notice carries:
    /// a notice may cover orders of several owners (a customer reassigned between them), and
    /// passing the guard for one of them says nothing about the others.
    async fn notice_guard(
        &self,
        s: &Session,
        action: &str,
        doc: &NoticeDoc,
        write: bool,
    ) -> Result<Vec<Versioned<SalesOrder>>> {
        let ids: Vec<Uuid> = doc.lines.iter().map(|l| l.value.order_id).collect();
        let what = format!("shipping notice {}", doc.notice.value.number);
        self.guard_orders(s, action, &ids, write, &what).await
    }

    /// The orders `order_ids` (repeats allowed), with their versions, once the actor has
    /// passed the document guard of every one of them: a document carrying orders of several
    /// owners (a notice, a stock-out) is read or changed only by who may for each. `what`
    /// names the document for the error when an order is missing.
    pub(super) async fn guard_orders(
        &self,
        s: &Session,
        action: &str,
        order_ids: &[Uuid],
        write: bool,
        what: &str,
    ) -> Result<Vec<Versioned<SalesOrder>>> {
        let mut ids = order_ids.to_vec();
        ids.sort();
        ids.dedup();
        let orders: Vec<Versioned<SalesOrder>> = self
            .store
            .get_many(&SALES_ORDER, &ids)
            .await?
            .iter()
            .map(|r| {
                SalesOrder::from_record(r).map(|value| Versioned {
                    value,
                    version: r.version,
                })
            })
            .collect::<Result<_>>()?;
        if orders.len() != ids.len() {
            return Err(Error::backend_msg(format!(
                "{what} refers to a missing order"
            )));
        }
        for o in &orders {
            self.doc_guard(s, action, o.value.owner_id, o.value.customer_id, write)
                .await?;
        }
        Ok(orders)
    }

    /// Writes a shipping notice for lines of approved orders of one customer. It is released
    /// at once when the company's rule passes, else held with the reason.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `shipping_notice.create` or when the actor may not
    /// change every one of the orders (a notice mixing orders of several owners needs the
    /// right to change each); [`Error::Invalid`] (naming the line) for no lines, an unknown order line,
    /// an order not approved, orders of different customers, a bad quantity or more than is
    /// left unshipped and unclaimed.
    pub async fn create_shipping_notice(
        &self,
        actor: Actor,
        input: NoticeInput,
    ) -> Result<NoticeDoc> {
        let action = "shipping_notice.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Create, action)?;
            if input.lines.is_empty() {
                return Err(Error::invalid(
                    "lines",
                    "a shipping notice needs at least one line",
                ));
            }
            let note = match input.note.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) => Some(text::check_text("note", t, 1, 500)?),
            };
            let ids: Vec<Uuid> = input.lines.iter().map(|l| l.0).collect();
            let found: HashMap<Uuid, OrderLine> = self
                .store
                .get_many(&SALES_ORDER_LINE, &ids)
                .await?
                .iter()
                .map(|r| OrderLine::from_record(r).map(|l| (l.id, l)))
                .collect::<Result<_>>()?;
            let mut orders: BTreeMap<Uuid, OrderDoc> = BTreeMap::new();
            for (i, &(line_id, q)) in input.lines.iter().enumerate() {
                if q <= Decimal::ZERO || q.normalize().scale() > crate::sales::MAX_DECIMALS {
                    return Err(Error::invalid(
                        format!("lines[{i}].quantity"),
                        format!("{q} is not a quantity"),
                    ));
                }
                let ol = found.get(&line_id).ok_or_else(|| {
                    Error::invalid(
                        format!("lines[{i}].order_line_id"),
                        format!("no sales order line {line_id}"),
                    )
                })?;
                if let std::collections::btree_map::Entry::Vacant(e) = orders.entry(ol.doc_id) {
                    e.insert(self.load_order(ol.doc_id).await?);
                }
            }
            let first = orders
                .values()
                .next()
                .map(|d| d.order.value.clone())
                .ok_or_else(|| Error::backend_msg("no order"))?;
            for doc in orders.values() {
                let o = &doc.order.value;
                self.doc_guard(&s, action, o.owner_id, o.customer_id, true)
                    .await?;
                if o.customer_id != first.customer_id {
                    return Err(Error::invalid(
                        "lines",
                        format!("order {} is for another customer", o.number),
                    ));
                }
                if !matches!(o.state, OrderState::Approved | OrderState::PartlyShipped) {
                    return Err(Error::invalid(
                        "lines",
                        format!(
                            "order {} is {}; only approved orders ship",
                            o.number,
                            o.state.as_str()
                        ),
                    ));
                }
            }
            let order_ids: Vec<Uuid> = orders.keys().copied().collect();
            let shipped = self.shipped_of(&order_ids).await?;
            let mut claimed = self.notice_claims(&order_ids, None).await?;
            for (i, &(line_id, q)) in input.lines.iter().enumerate() {
                let ol = &found[&line_id];
                let c = claimed.entry(line_id).or_default();
                let left = ol.quantity - shipped.get(&line_id).copied().unwrap_or_default() - *c;
                if q > left {
                    return Err(Error::invalid(
                        format!("lines[{i}].quantity"),
                        format!(
                            "{q} of {} is more than is left to ship ({left})",
                            ol.product_name
                        ),
                    ));
                }
                *c += q;
            }
            let order_refs: Vec<&SalesOrder> = orders.values().map(|d| &d.order.value).collect();
            let hold = self
                .hold_reason(first.customer_id, &order_refs, &input.lines, None)
                .await?;
            let mut c = Commit::new();
            // Each order's version guards what is left to claim.
            for doc in orders.values() {
                c.update(
                    SalesOrder {
                        updated_at: self.now(),
                        ..doc.order.value.clone()
                    }
                    .to_record(),
                    doc.order.version,
                );
            }
            let date = input.date.unwrap_or_else(|| self.today());
            let number = self
                .next_number(&mut c, "FH", chrono::Datelike::year(&date))
                .await?;
            let now = self.now();
            let notice = ShippingNotice {
                id: self.new_id(),
                number,
                customer_id: first.customer_id,
                owner_id: first.owner_id,
                state: if hold.is_some() {
                    NoticeState::Held
                } else {
                    NoticeState::Released
                },
                notice_date: date,
                released_by: hold.is_none().then_some(s.ctx.employee_id),
                released_at: hold.is_none().then_some(now),
                hold_reason: hold,
                note,
                created_by: s.ctx.employee_id,
                created_at: now,
            };
            let lines: Vec<NoticeLine> = input
                .lines
                .iter()
                .enumerate()
                .map(|(i, &(line_id, q))| {
                    let ol = &found[&line_id];
                    NoticeLine {
                        id: self.new_id(),
                        notice_id: notice.id,
                        position: i64::try_from(i + 1).unwrap_or(i64::MAX),
                        order_id: ol.doc_id,
                        order_line_id: ol.id,
                        product_id: ol.product_id,
                        quantity: q,
                        shipped: Decimal::ZERO,
                    }
                })
                .collect();
            c.insert(notice.to_record());
            for l in &lines {
                c.insert(l.to_record());
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "shipping_notice",
                Some(notice.id),
                serde_json::json!({
                    "number": notice.number,
                    "state": notice.state.as_str(),
                    "hold_reason": notice.hold_reason,
                }),
            ));
            self.commit(&s, c).await?;
            Ok(NoticeDoc {
                notice: Versioned {
                    value: notice,
                    version: 1,
                },
                lines: lines
                    .into_iter()
                    .map(|l| Versioned {
                        value: l,
                        version: 1,
                    })
                    .collect(),
            })
        });
        self.logged(actor, action, "shipping_notice", None, res)
            .await
    }

    /// Releases a held notice: when the company's rule now passes (the customer paid, the
    /// balance came down), or, when it still fails, on the authority of someone holding
    /// `shipping_notice.approve` (the override is written to the audit log).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `shipping_notice.edit`, for an order on the notice
    /// whose customer's documents the actor may not read, or when the rule fails and the
    /// actor may not override it; [`Error::Invalid`] for a notice not held; [`Error::NotFound`].
    pub async fn release_shipping_notice(&self, actor: Actor, id: Uuid) -> Result<NoticeDoc> {
        let action = "shipping_notice.release";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Edit, action)?;
            let doc = self.load_notice(id).await?;
            let orders = self.notice_guard(&s, action, &doc, false).await?;
            let n = &doc.notice.value;
            let state = n.state.apply(NoticeEvent::Release)?;
            let asked: Vec<(Uuid, Decimal)> = doc
                .lines
                .iter()
                .map(|l| (l.value.order_line_id, l.value.quantity - l.value.shipped))
                .collect();
            let hold = self
                .hold_reason(
                    n.customer_id,
                    &orders.iter().map(|o| &o.value).collect::<Vec<_>>(),
                    &asked,
                    Some(id),
                )
                .await?;
            let overridden = match &hold {
                None => None,
                Some(reason) if s.ctx.has(Resource::ShippingNotice, Op::Approve) => Some(reason.clone()),
                Some(reason) => {
                    return Err(Error::PermissionDenied(format!(
                        "{action}: the notice is held ({reason}); only shipping_notice.approve overrides it"
                    )))
                }
            };
            let now = self.now();
            let next = ShippingNotice {
                state,
                hold_reason: None,
                released_by: Some(s.ctx.employee_id),
                released_at: Some(now),
                ..n.clone()
            };
            let mut c = Commit::new();
            c.update(next.to_record(), doc.notice.version);
            if self.shipping.gate == ShipGate::ProductionReady {
                // Releasing takes ready units: the orders' versions serialise it with other
                // releases and with production's marks, as creating a notice does.
                for o in &orders {
                    c.update(
                        SalesOrder {
                            updated_at: now,
                            ..o.value.clone()
                        }
                        .to_record(),
                        o.version,
                    );
                }
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "shipping_notice",
                Some(id),
                serde_json::json!({ "number": n.number, "overrode": overridden }),
            ));
            self.commit(&s, c).await?;
            Ok(NoticeDoc {
                notice: Versioned {
                    value: next,
                    version: doc.notice.version + 1,
                },
                lines: doc.lines,
            })
        });
        self.logged(actor, action, "shipping_notice", Some(id), res)
            .await
    }

    /// Withdraws a notice nothing has shipped against.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `shipping_notice.edit` or for an order on the notice
    /// whose customer's documents the actor may not change; [`Error::Invalid`] once anything
    /// shipped.
    pub async fn cancel_shipping_notice(&self, actor: Actor, id: Uuid) -> Result<()> {
        let action = "shipping_notice.cancel";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Edit, action)?;
            let doc = self.load_notice(id).await?;
            self.notice_guard(&s, action, &doc, true).await?;
            let n = &doc.notice.value;
            let state = n.state.apply(NoticeEvent::Cancel)?;
            let mut c = Commit::new();
            c.update(
                ShippingNotice { state, ..n.clone() }.to_record(),
                doc.notice.version,
            );
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "shipping_notice",
                Some(id),
                serde_json::json!({ "number": n.number }),
            ));
            self.commit(&s, c).await
        });
        self.logged(actor, action, "shipping_notice", Some(id), res)
            .await
    }

    /// A shipping notice with its lines: for the warehouse (`stock_out.view`) or, with
    /// `shipping_notice.view`, anyone who may read every order on it.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without either permission (before anything is read, so
    /// whether the notice exists is not told), or for an order on the notice whose customer's
    /// documents the actor may not read; [`Error::NotFound`].
    pub async fn shipping_notice(&self, actor: Actor, id: Uuid) -> Result<NoticeDoc> {
        let action = "shipping_notice.read";
        let res = async {
            let s = self.session(actor).await?;
            let warehouse = s.ctx.has(Resource::StockOut, Op::View);
            if !warehouse {
                need(&s, Op::View, action)?;
            }
            let doc = self.load_notice(id).await?;
            if !warehouse {
                self.notice_guard(&s, action, &doc, false).await?;
            }
            Ok(doc)
        }
        .await;
        self.logged(actor, action, "shipping_notice", Some(id), res)
            .await
    }
}
