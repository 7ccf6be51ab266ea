//! Courier tracking (快递管理): tracking numbers with their carrier, linked to a sales order or an
//! invoice (an invoice is often posted on its own), with dated status entries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

/// Normalises and checks a tracking number: spaces and dashes dropped, letters upper-cased,
/// then 6–40 ASCII letters and digits (SF1234567890123, YT…, JD…).
///
/// ```
/// use crm_core::sales::tracking_number;
/// assert_eq!(tracking_number("sf 1234-5678-9012")?, "SF123456789012");
/// assert!(tracking_number("顺丰123").is_err());
/// # Ok::<(), crm_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::Invalid`] (field `tracking_number`).
pub fn tracking_number(raw: &str) -> Result<String> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if (6..=40).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(Error::invalid(
            "tracking_number",
            format!("{raw:?} is not a tracking number (6–40 letters and digits)"),
        ))
    }
}

/// A parcel sent by courier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracking {
    /// Id.
    pub id: Uuid,
    /// Carrier (顺丰, 圆通, 京东 …).
    pub carrier: String,
    /// Tracking number (运单号), normalised; unique per carrier.
    pub tracking_number: String,
    /// The sales order it carries goods or papers for.
    pub order_id: Option<Uuid>,
    /// The invoice it carries.
    pub invoice_id: Option<Uuid>,
    /// The customer.
    pub customer_id: Uuid,
    /// The customer's owner when it was recorded (for visibility).
    pub owner_id: Uuid,
    /// Who recorded it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The `tracking` kind.
pub static TRACKING: Kind = Kind {
    name: "tracking",
    columns: &[
        Column::new("carrier", T::Text),
        Column::new("tracking_number", T::Text),
        Column::nullable("order_id", T::Id).refs("sales_order", OnDelete::Restrict),
        Column::nullable("invoice_id", T::Id).refs("invoice", OnDelete::Restrict),
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::new("owner_id", T::Id),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("created_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "tracking_carrier_number",
            columns: &["carrier", "tracking_number"],
            unique: true,
        },
        Index {
            name: "tracking_number",
            columns: &["tracking_number"],
            unique: false,
        },
        Index {
            name: "tracking_order",
            columns: &["order_id"],
            unique: false,
        },
        Index {
            name: "tracking_invoice",
            columns: &["invoice_id"],
            unique: false,
        },
    ],
};

impl Entity for Tracking {
    const KIND: &'static Kind = &TRACKING;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.carrier.clone().into(),
            self.tracking_number.clone().into(),
            self.order_id.into(),
            self.invoice_id.into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.created_by.into(),
            self.created_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Tracking {
            id: r.id,
            carrier: f.text("carrier")?,
            tracking_number: f.text("tracking_number")?,
            order_id: f.opt_id("order_id")?,
            invoice_id: f.opt_id("invoice_id")?,
            customer_id: f.id("customer_id")?,
            owner_id: f.id("owner_id")?,
            created_by: f.id("created_by")?,
            created_at: f.timestamp("created_at")?,
        })
    }
}

/// A dated status of a parcel (揽收, 运输中, 派送中, 已签收 …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingEvent {
    /// Id.
    pub id: Uuid,
    /// The parcel.
    pub tracking_id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Status as the carrier words it.
    pub status: String,
    /// Where.
    pub location: Option<String>,
    /// Who recorded it.
    pub recorded_by: Uuid,
}

/// The `tracking_event` kind.
pub static TRACKING_EVENT: Kind = Kind {
    name: "tracking_event",
    columns: &[
        Column::new("tracking_id", T::Id).refs("tracking", OnDelete::Cascade),
        Column::new("at", T::Timestamp),
        Column::new("status", T::Text),
        Column::nullable("location", T::Text),
        Column::new("recorded_by", T::Id).refs("employee", OnDelete::Keep),
    ],
    indexes: &[Index {
        name: "tracking_event_tracking",
        columns: &["tracking_id", "at"],
        unique: false,
    }],
};

impl Entity for TrackingEvent {
    const KIND: &'static Kind = &TRACKING_EVENT;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.tracking_id.into(),
            self.at.into(),
            self.status.clone().into(),
            self.location.clone().into(),
            self.recorded_by.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(TrackingEvent {
            id: r.id,
            tracking_id: f.id("tracking_id")?,
            at: f.timestamp("at")?,
            status: f.text("status")?,
            location: f.opt_text("location")?,
            recorded_by: f.id("recorded_by")?,
        })
    }
}
