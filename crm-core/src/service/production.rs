//! Production readiness (生产完工): production marks units of approved sales order lines as
//! ready to ship. Under the company rule [`ShipGate::ProductionReady`] a shipping notice is
//! held until, for each of its lines, the units marked ready cover what has shipped, what
//! released notices claim and what the notice asks (see [`Crm::release_shipping_notice`]).
//!
//! Marks are append-only entries ([`ProductionReady`]); a mistake is taken back with a
//! negative mark. Like the rest of the goods path (ADR 9), the right to mark and to read
//! readiness comes from the role (`production.create`, `production.view`), not from the
//! relation to the customer: the workshop serves every salesperson's orders.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{retry, Crm, OrderDoc, Session};
use crate::error::{Error, Result};
use crate::inventory::{ProductionReady, ShipGate, PRODUCTION_READY};
use crate::org::{Actor, Op, Permission, Resource};
use crate::sales::{OrderLine, OrderState, SalesOrder, SALES_ORDER_LINE};
use crate::store::{Commit, Entity, Filter, Query, Value};
use crate::text;

/// Units of an order's lines marked ready, as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct ReadyInput {
    /// The sales order.
    pub order_id: Uuid,
    /// (order line, units) pairs; units may be negative to take back a mistaken mark.
    pub lines: Vec<(Uuid, Decimal)>,
    /// Remark (batch, work order …).
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// How far production and shipping have come on one order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineReadiness {
    /// The order line.
    pub order_line_id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// Its name on the order.
    pub product_name: String,
    /// Units ordered.
    pub ordered: Decimal,
    /// Units marked ready so far (shipped units included).
    pub ready: Decimal,
    /// Units shipped so far.
    pub shipped: Decimal,
}

/// How far production and shipping have come on one order, line by line in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReadiness {
    /// The order.
    pub order_id: Uuid,
    /// Its number.
    pub number: String,
    /// Its lines.
    pub lines: Vec<LineReadiness>,
}

fn need(s: &Session, op: Op, action: &str) -> Result<()> {
    if s.ctx.has(Resource::Production, op) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(Resource::Production, op)
        )))
    }
}

impl Crm {
    /// Units marked ready per order line of `order_ids`.
    pub(super) async fn ready_of(&self, order_ids: &[Uuid]) -> Result<HashMap<Uuid, Decimal>> {
        let q = Query::filter(
            &PRODUCTION_READY,
            Filter::In(
                "order_id",
                order_ids.iter().map(|&i| Value::Id(i)).collect(),
            ),
        );
        let mut ready: HashMap<Uuid, Decimal> = HashMap::new();
        for r in &self.store.query(&q).await?.records {
            let m = ProductionReady::from_record(r)?;
            *ready.entry(m.order_line_id).or_default() += m.quantity;
        }
        Ok(ready)
    }

    async fn readiness_of(&self, doc: &OrderDoc) -> Result<OrderReadiness> {
        let ids = [doc.order.value.id];
        let (ready, shipped) = futures::try_join!(self.ready_of(&ids), self.shipped_of(&ids))?;
        Ok(OrderReadiness {
            order_id: doc.order.value.id,
            number: doc.order.value.number.clone(),
            lines: doc
                .lines
                .iter()
                .map(|l| LineReadiness {
                    order_line_id: l.id,
                    product_id: l.product_id,
                    product_name: l.product_name.clone(),
                    ordered: l.quantity,
                    ready: ready.get(&l.id).copied().unwrap_or_default(),
                    shipped: shipped.get(&l.id).copied().unwrap_or_default(),
                })
                .collect(),
        })
    }

    /// Marks units of an approved (or partly shipped) order's lines as ready to ship, in one
    /// commit with its audit entry, and returns the order's readiness after it.
    ///
    /// Per line, the units marked ready stay between what has shipped and what was ordered;
    /// a negative quantity takes back units marked in error. Under
    /// [`ShipGate::ProductionReady`], held notices of the order are not released by this
    /// call: [`Crm::release_shipping_notice`] checks the rule again.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `production.create`; [`Error::NotFound`] for an
    /// unknown order; [`Error::Invalid`] for no lines, a zero quantity, a line of another
    /// order, an order not approved, or a mark that would leave a line's ready units above
    /// what was ordered or below what has shipped. Nothing is written then.
    pub async fn mark_production_ready(
        &self,
        actor: Actor,
        input: ReadyInput,
    ) -> Result<OrderReadiness> {
        let action = "production.mark_ready";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Create, action)?;
            if input.lines.is_empty() {
                return Err(Error::invalid("lines", "name at least one order line"));
            }
            let note = match input.note.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) => Some(text::check_text("note", t, 1, 500)?),
            };
            let doc = self.load_order(input.order_id).await?;
            let o = &doc.order.value;
            if !matches!(o.state, OrderState::Approved | OrderState::PartlyShipped) {
                return Err(Error::invalid(
                    "order_id",
                    format!(
                        "order {} is {}; production marks approved orders that have goods left to ship",
                        o.number,
                        o.state.as_str()
                    ),
                ));
            }
            let before = self.readiness_of(&doc).await?;
            let mut after: HashMap<Uuid, LineReadiness> = before
                .lines
                .into_iter()
                .map(|l| (l.order_line_id, l))
                .collect();
            let now = self.now();
            let mut c = Commit::new();
            // The order's version serialises marks of the same order, so two racing marks
            // cannot together pass the ordered quantity.
            c.update(
                SalesOrder {
                    updated_at: now,
                    ..o.clone()
                }
                .to_record(),
                doc.order.version,
            );
            let mut marks = Vec::new();
            for (i, &(line_id, q)) in input.lines.iter().enumerate() {
                let field = format!("lines[{i}]");
                if q.is_zero() || q.normalize().scale() > crate::sales::MAX_DECIMALS {
                    return Err(Error::invalid(
                        format!("{field}.quantity"),
                        format!("{q} is not a quantity to mark"),
                    ));
                }
                let l = after.get_mut(&line_id).ok_or_else(|| {
                    Error::invalid(
                        format!("{field}.order_line_id"),
                        format!("order {} has no line {line_id}", o.number),
                    )
                })?;
                let ready = l.ready + q;
                if ready > l.ordered {
                    return Err(Error::invalid(
                        format!("{field}.quantity"),
                        format!(
                            "{} of {} would be ready, more than the {} ordered",
                            ready, l.product_name, l.ordered
                        ),
                    ));
                }
                if ready < l.shipped {
                    return Err(Error::invalid(
                        format!("{field}.quantity"),
                        format!(
                            "{} of {} would be ready, fewer than the {} already shipped",
                            ready, l.product_name, l.shipped
                        ),
                    ));
                }
                l.ready = ready;
                let m = ProductionReady {
                    id: self.new_id(),
                    order_id: o.id,
                    order_line_id: line_id,
                    product_id: l.product_id,
                    quantity: q,
                    note: note.clone(),
                    marked_by: s.ctx.employee_id,
                    marked_at: now,
                };
                c.insert(m.to_record());
                marks.push(serde_json::json!({
                    "order_line_id": line_id,
                    "quantity": q.to_string(),
                }));
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "sales_order",
                Some(o.id),
                serde_json::json!({ "number": o.number, "marks": marks }),
            ));
            self.commit(&s, c).await?;
            let lines = doc
                .lines
                .iter()
                .filter_map(|l| after.remove(&l.id))
                .collect();
            Ok(OrderReadiness {
                order_id: o.id,
                number: o.number.clone(),
                lines,
            })
        });
        self.logged(actor, action, "sales_order", Some(input.order_id), res)
            .await
    }

    /// How far production and shipping have come on one order, line by line.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `production.view` (checked before the order is
    /// looked up); [`Error::NotFound`] for an unknown order.
    pub async fn production_readiness(
        &self,
        actor: Actor,
        order_id: Uuid,
    ) -> Result<OrderReadiness> {
        let action = "production.readiness";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            let doc = self.load_order(order_id).await?;
            self.readiness_of(&doc).await
        }
        .await;
        self.logged(actor, action, "sales_order", Some(order_id), res)
            .await
    }

    /// Why the notice lines `lines` ((order line, units)) may not ship yet under
    /// [`ShipGate::ProductionReady`]: the first line whose ready units fall short of what has
    /// shipped, what other released notices claim and what it asks. `except` is the notice
    /// itself when it already exists.
    pub(super) async fn production_hold(
        &self,
        order_ids: &[Uuid],
        lines: &[(Uuid, Decimal)],
        except: Option<Uuid>,
    ) -> Result<Option<String>> {
        if self.shipping.gate != ShipGate::ProductionReady {
            return Ok(None);
        }
        let (ready, shipped, claimed) = futures::try_join!(
            self.ready_of(order_ids),
            self.shipped_of(order_ids),
            self.released_claims(order_ids, except),
        )?;
        let mut asked: Vec<(Uuid, Decimal)> = Vec::new();
        for &(line_id, q) in lines {
            match asked.iter_mut().find(|(l, _)| *l == line_id) {
                Some((_, sum)) => *sum += q,
                None => asked.push((line_id, q)),
            }
        }
        for (line_id, q) in asked {
            let ready = ready.get(&line_id).copied().unwrap_or_default();
            let needed = shipped.get(&line_id).copied().unwrap_or_default()
                + claimed.get(&line_id).copied().unwrap_or_default()
                + q;
            if ready < needed {
                let name = match self.store.get(&SALES_ORDER_LINE, line_id).await? {
                    Some(r) => OrderLine::from_record(&r)?.product_name.clone(),
                    None => line_id.to_string(),
                };
                return Ok(Some(format!(
                    "production has {ready} of {name} ready; {needed} are needed"
                )));
            }
        }
        Ok(None)
    }
}
