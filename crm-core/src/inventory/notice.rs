//! Shipping notices (发货通知): what may ship, drawn from approved sales orders and gated by the
//! company's rule ([`ShipGate`]).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

named_enum!(
    /// Where a shipping notice stands.
    NoticeState, "state" {
        /// Written, but the company's rule holds it back (not paid, over credit …).
        Held = "held",
        /// Released to the warehouse: goods may ship.
        Released = "released",
        /// Some of it shipped.
        PartlyShipped = "partly_shipped",
        /// All of it shipped.
        Shipped = "shipped",
        /// Withdrawn before anything shipped.
        Cancelled = "cancelled",
    }
);

/// Something that happens to a shipping notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEvent {
    /// The rule now passes, or someone holding `shipping_notice.approve` overrides it.
    Release,
    /// A stock-out shipped part of it; `complete` when nothing is left.
    Shipped {
        /// Every line shipped in full.
        complete: bool,
    },
    /// Withdrawn.
    Cancel,
}

impl NoticeState {
    /// Decides the state after `event`.
    ///
    /// ```
    /// use crm_core::inventory::{NoticeEvent as E, NoticeState as S};
    /// assert_eq!(S::Held.apply(E::Release)?, S::Released);
    /// assert_eq!(S::Released.apply(E::Shipped { complete: false })?, S::PartlyShipped);
    /// assert!(S::Held.apply(E::Shipped { complete: true }).is_err());
    /// assert!(S::PartlyShipped.apply(E::Cancel).is_err());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `state`) saying why the event does not apply.
    pub fn apply(self, event: NoticeEvent) -> Result<Self> {
        use NoticeEvent as E;
        use NoticeState as S;
        Ok(match (self, event) {
            (S::Held, E::Release) => S::Released,
            (S::Released | S::PartlyShipped, E::Shipped { complete: false }) => S::PartlyShipped,
            (S::Released | S::PartlyShipped, E::Shipped { complete: true }) => S::Shipped,
            (S::Held | S::Released, E::Cancel) => S::Cancelled,
            (from, event) => {
                return Err(Error::invalid(
                    "state",
                    format!(
                        "a shipping notice that is {} cannot take {event:?}",
                        from.as_str()
                    ),
                ))
            }
        })
    }

    /// Whether the notice still claims goods (not shipped in full, not cancelled).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            NoticeState::Held | NoticeState::Released | NoticeState::PartlyShipped
        )
    }
}

/// The company's rule for when goods may ship (a setting, [`crate::service::ShippingPolicy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShipGate {
    /// Any approved order may ship.
    #[default]
    Always,
    /// Only once every order on the notice is fully paid (款到发货).
    FullyPaid,
    /// Only while the customer's receivable, with the goods on the notice, stays within the
    /// customer's credit limit (a customer without a limit is not held).
    WithinCredit,
    /// Only once production has marked the units ready (生产完工): for each line, the units
    /// marked ready cover what has shipped, what released notices claim and what the notice
    /// asks ([`ProductionReady`]).
    ProductionReady,
}

/// A shipping notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingNotice {
    /// Id.
    pub id: Uuid,
    /// Number, unique (FH-2026-000001).
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The customer's owner when it was written (for visibility).
    pub owner_id: Uuid,
    /// State.
    pub state: NoticeState,
    /// Date.
    pub notice_date: NaiveDate,
    /// Why it is held, while it is.
    pub hold_reason: Option<String>,
    /// Who released it (the rule, checked by them, or their override).
    pub released_by: Option<Uuid>,
    /// When.
    pub released_at: Option<DateTime<Utc>>,
    /// Remark.
    pub note: Option<String>,
    /// Who wrote it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The `shipping_notice` kind.
pub static SHIPPING_NOTICE: Kind = Kind {
    name: "shipping_notice",
    columns: &[
        Column::new("number", T::Text),
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::new("owner_id", T::Id).refs("employee", OnDelete::Keep),
        Column::new("state", T::Text),
        Column::new("notice_date", T::Date),
        Column::nullable("hold_reason", T::Text),
        Column::nullable("released_by", T::Id).refs("employee", OnDelete::Keep),
        Column::nullable("released_at", T::Timestamp),
        Column::nullable("note", T::Text),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("created_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "shipping_notice_number",
            columns: &["number"],
            unique: true,
        },
        Index {
            name: "shipping_notice_customer",
            columns: &["customer_id"],
            unique: false,
        },
    ],
};

impl Entity for ShippingNotice {
    const KIND: &'static Kind = &SHIPPING_NOTICE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.number.clone().into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.state.as_str().into(),
            self.notice_date.into(),
            self.hold_reason.clone().into(),
            self.released_by.into(),
            self.released_at.into(),
            self.note.clone().into(),
            self.created_by.into(),
            self.created_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(ShippingNotice {
            id: r.id,
            number: f.text("number")?,
            customer_id: f.id("customer_id")?,
            owner_id: f.id("owner_id")?,
            state: NoticeState::parse(&f.text("state")?)?,
            notice_date: f.date("notice_date")?,
            hold_reason: f.opt_text("hold_reason")?,
            released_by: f.opt_id("released_by")?,
            released_at: f.opt_timestamp("released_at")?,
            note: f.opt_text("note")?,
            created_by: f.id("created_by")?,
            created_at: f.timestamp("created_at")?,
        })
    }
}

/// A line of a shipping notice: part of an order line, and how much of it has shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeLine {
    /// Id.
    pub id: Uuid,
    /// The notice.
    pub notice_id: Uuid,
    /// Place, from 1.
    pub position: i64,
    /// The sales order.
    pub order_id: Uuid,
    /// The order line.
    pub order_line_id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// Units that may ship.
    pub quantity: Decimal,
    /// Units shipped against it so far.
    pub shipped: Decimal,
}

/// The `shipping_notice_line` kind.
pub static SHIPPING_NOTICE_LINE: Kind = Kind {
    name: "shipping_notice_line",
    columns: &[
        Column::new("notice_id", T::Id).refs("shipping_notice", OnDelete::Cascade),
        Column::new("position", T::Int),
        Column::new("order_id", T::Id).refs("sales_order", OnDelete::Restrict),
        Column::new("order_line_id", T::Id).refs("sales_order_line", OnDelete::Restrict),
        Column::new("product_id", T::Id).refs("product", OnDelete::Restrict),
        Column::new("quantity", T::Decimal),
        Column::new("shipped", T::Decimal),
    ],
    indexes: &[
        Index {
            name: "shipping_notice_line_notice",
            columns: &["notice_id", "position"],
            unique: false,
        },
        Index {
            name: "shipping_notice_line_order",
            columns: &["order_id"],
            unique: false,
        },
    ],
};

impl Entity for NoticeLine {
    const KIND: &'static Kind = &SHIPPING_NOTICE_LINE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.notice_id.into(),
            self.position.into(),
            self.order_id.into(),
            self.order_line_id.into(),
            self.product_id.into(),
            self.quantity.into(),
            self.shipped.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(NoticeLine {
            id: r.id,
            notice_id: f.id("notice_id")?,
            position: f.int("position")?,
            order_id: f.id("order_id")?,
            order_line_id: f.id("order_line_id")?,
            product_id: f.id("product_id")?,
            quantity: f.decimal("quantity")?,
            shipped: f.decimal("shipped")?,
        })
    }
}

/// Production's word that units of a sales order line are ready to ship (an entry, never
/// changed: a correction is a further entry with a negative quantity). Under
/// [`ShipGate::ProductionReady`] a notice is held until the ready units of each of its lines
/// cover what has shipped, what released notices claim and what it asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductionReady {
    /// Id.
    pub id: Uuid,
    /// The sales order.
    pub order_id: Uuid,
    /// The order line.
    pub order_line_id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// Units marked ready (negative to take back units marked in error).
    pub quantity: Decimal,
    /// Remark (batch, work order …).
    pub note: Option<String>,
    /// Who marked them.
    pub marked_by: Uuid,
    /// When.
    pub marked_at: DateTime<Utc>,
}

/// The `production_ready` kind.
pub static PRODUCTION_READY: Kind = Kind {
    name: "production_ready",
    columns: &[
        Column::new("order_id", T::Id).refs("sales_order", OnDelete::Restrict),
        Column::new("order_line_id", T::Id).refs("sales_order_line", OnDelete::Restrict),
        Column::new("product_id", T::Id).refs("product", OnDelete::Restrict),
        Column::new("quantity", T::Decimal),
        Column::nullable("note", T::Text),
        Column::new("marked_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("marked_at", T::Timestamp),
    ],
    indexes: &[Index {
        name: "production_ready_order",
        columns: &["order_id"],
        unique: false,
    }],
};

impl Entity for ProductionReady {
    const KIND: &'static Kind = &PRODUCTION_READY;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.order_id.into(),
            self.order_line_id.into(),
            self.product_id.into(),
            self.quantity.into(),
            self.note.clone().into(),
            self.marked_by.into(),
            self.marked_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(ProductionReady {
            id: r.id,
            order_id: f.id("order_id")?,
            order_line_id: f.id("order_line_id")?,
            product_id: f.id("product_id")?,
            quantity: f.decimal("quantity")?,
            note: f.opt_text("note")?,
            marked_by: f.id("marked_by")?,
            marked_at: f.timestamp("marked_at")?,
        })
    }
}
