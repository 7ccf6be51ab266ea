//! Courier tracking operations (快递管理).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{retry, Crm, Session};
use crate::error::{Error, Result};
use crate::org::{Actor, Op, Permission, Resource};
use crate::sales::{
    tracking_number, Invoice, Tracking, TrackingEvent, INVOICE, TRACKING, TRACKING_EVENT,
};
use crate::store::{Commit, Entity, Filter, Order, Query, Value};
use crate::text;

/// A parcel to record: carrier and number, and the order and/or invoice it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct TrackingInput {
    /// Carrier (1–30 characters).
    pub carrier: String,
    /// Tracking number as typed (normalised by [`tracking_number`]).
    pub tracking_number: String,
    /// The sales order.
    #[builder(default, setter(strip_option))]
    pub order_id: Option<Uuid>,
    /// The invoice (when both are given, it must be the order's).
    #[builder(default, setter(strip_option))]
    pub invoice_id: Option<Uuid>,
}

/// How to find parcels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackingLookup {
    /// By tracking number (any carrier).
    Number(String),
    /// Every parcel of a sales order.
    Order(Uuid),
    /// Every parcel of an invoice.
    Invoice(Uuid),
}

/// A parcel with its status entries, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingDoc {
    /// The parcel.
    pub tracking: Tracking,
    /// Its status entries.
    pub events: Vec<TrackingEvent>,
}

fn need(s: &Session, op: Op, action: &str) -> Result<()> {
    if s.ctx.has(Resource::Courier, op) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(Resource::Courier, op)
        )))
    }
}

impl Crm {
    /// Records a parcel for an order and/or invoice the actor may see.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `courier.create` or for a document the actor may
    /// not see; [`Error::Invalid`] for a bad number or carrier, no document, or an invoice of
    /// another order; [`Error::Duplicate`] for a number the carrier already has.
    pub async fn add_tracking(&self, actor: Actor, input: TrackingInput) -> Result<Tracking> {
        let action = "courier.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Create, action)?;
            let carrier = text::check_text("carrier", &input.carrier, 1, 30)?;
            let number = tracking_number(&input.tracking_number)?;
            let invoice = match input.invoice_id {
                Some(id) => Some(Invoice::from_record(
                    &self
                        .store
                        .get(&INVOICE, id)
                        .await?
                        .ok_or_else(|| Error::NotFound {
                            kind: "invoice",
                            id: id.to_string(),
                        })?,
                )?),
                None => None,
            };
            let order_id = match (input.order_id, &invoice) {
                (None, None) => {
                    return Err(Error::invalid(
                        "order_id",
                        "a parcel belongs to a sales order or an invoice",
                    ))
                }
                (Some(o), Some(i)) if i.order_id != o => {
                    return Err(Error::invalid(
                        "invoice_id",
                        format!("invoice {} is not of this order", i.number),
                    ))
                }
                (Some(o), _) => o,
                (None, Some(i)) => i.order_id,
            };
            let order = self.load_order(order_id).await?.order.value;
            self.doc_guard(&s, action, order.owner_id, order.customer_id, false)
                .await?;
            let t = Tracking {
                id: self.new_id(),
                carrier,
                tracking_number: number,
                order_id: input.order_id.or(invoice.as_ref().map(|i| i.order_id)),
                invoice_id: input.invoice_id,
                customer_id: order.customer_id,
                owner_id: order.owner_id,
                created_by: s.ctx.employee_id,
                created_at: self.now(),
            };
            let mut c = Commit::new();
            c.insert(t.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "tracking",
                Some(t.id),
                serde_json::json!({"carrier": t.carrier, "number": t.tracking_number}),
            ));
            self.commit(&s, c).await?;
            Ok(t)
        });
        self.logged(actor, action, "tracking", None, res).await
    }

    /// Adds a dated status entry to a parcel the actor may see.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `courier.edit` or for a parcel the actor may not
    /// see; [`Error::Invalid`] for an empty status; [`Error::NotFound`].
    pub async fn add_tracking_event(
        &self,
        actor: Actor,
        tracking_id: Uuid,
        at: DateTime<Utc>,
        status: &str,
        location: Option<&str>,
    ) -> Result<TrackingEvent> {
        let action = "courier.event";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::Edit, action)?;
            let t = self.load_tracking(tracking_id).await?;
            self.doc_guard(&s, action, t.owner_id, t.customer_id, false)
                .await?;
            let e = TrackingEvent {
                id: self.new_id(),
                tracking_id,
                at,
                status: text::check_text("status", status, 1, 100)?,
                location: location
                    .map(|l| text::check_text("location", l, 1, 100))
                    .transpose()?,
                recorded_by: s.ctx.employee_id,
            };
            let mut c = Commit::new();
            c.insert(e.to_record());
            self.commit(&s, c).await?;
            Ok(e)
        }
        .await;
        self.logged(actor, action, "tracking", Some(tracking_id), res)
            .await
    }

    async fn load_tracking(&self, id: Uuid) -> Result<Tracking> {
        Tracking::from_record(&self.store.get(&TRACKING, id).await?.ok_or_else(|| {
            Error::NotFound {
                kind: "tracking",
                id: id.to_string(),
            }
        })?)
    }

    /// Finds parcels by number, order or invoice, with their status entries; parcels of
    /// documents the actor may not see are left out.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `courier.view`; [`Error::Invalid`] for a malformed
    /// number.
    pub async fn find_tracking(
        &self,
        actor: Actor,
        lookup: &TrackingLookup,
    ) -> Result<Vec<TrackingDoc>> {
        let action = "courier.find";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            let f = match lookup {
                TrackingLookup::Number(n) => {
                    Filter::Eq("tracking_number", Value::Text(tracking_number(n)?))
                }
                TrackingLookup::Order(o) => Filter::Eq("order_id", Value::Id(*o)),
                TrackingLookup::Invoice(i) => Filter::Eq("invoice_id", Value::Id(*i)),
            };
            let q = Query::filter(&TRACKING, f)
                .order_by(vec![Order::asc("created_at"), Order::asc("id")]);
            let mut out = vec![];
            for r in &self.store.query(&q).await?.records {
                let t = Tracking::from_record(r)?;
                if self
                    .doc_guard(&s, action, t.owner_id, t.customer_id, false)
                    .await
                    .is_err()
                {
                    continue;
                }
                let q = Query::filter(&TRACKING_EVENT, Filter::Eq("tracking_id", Value::Id(t.id)))
                    .order_by(vec![Order::asc("at"), Order::asc("id")]);
                let events = self
                    .store
                    .query(&q)
                    .await?
                    .records
                    .iter()
                    .map(TrackingEvent::from_record)
                    .collect::<Result<_>>()?;
                out.push(TrackingDoc {
                    tracking: t,
                    events,
                });
            }
            Ok(out)
        }
        .await;
        self.logged(actor, action, "tracking", None, res).await
    }
}
