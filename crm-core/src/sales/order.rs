//! Sales orders (销售订单): the record, its states, the discount approval rule, and each
//! customer's last price of each product.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::line::EnteredPrice;
use super::quote::{parse_rounding, rounding_str};
use crate::error::{Error, Result};
use crate::money::TaxRounding;
use crate::org::ActorContext;
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

/// Where a sales order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Being written.
    Draft,
    /// Submitted with a discount beyond its author's limit; waits for someone whose limit
    /// covers it.
    AwaitingApproval,
    /// Approved (by its author's own limit or by an approver): binding, may be shipped.
    Approved,
    /// Some goods shipped (driven by inventory).
    PartlyShipped,
    /// Every line shipped (driven by inventory).
    Shipped,
    /// Finished: nothing more happens to it.
    Closed,
    /// Cancelled before shipping.
    Cancelled,
}

impl OrderState {
    const ALL: [OrderState; 7] = [
        OrderState::Draft,
        OrderState::AwaitingApproval,
        OrderState::Approved,
        OrderState::PartlyShipped,
        OrderState::Shipped,
        OrderState::Closed,
        OrderState::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Draft => "draft",
            OrderState::AwaitingApproval => "awaiting_approval",
            OrderState::Approved => "approved",
            OrderState::PartlyShipped => "partly_shipped",
            OrderState::Shipped => "shipped",
            OrderState::Closed => "closed",
            OrderState::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|q| q.as_str() == s)
            .ok_or_else(|| Error::invalid("state", format!("unknown order state {s:?}")))
    }

    /// Whether the order is a sale: approved or further along (not a draft, not waiting, not
    /// cancelled). Such orders are amounts due, may be invoiced and paid, and their lines count
    /// in sales reports.
    pub fn is_sale(self) -> bool {
        matches!(
            self,
            OrderState::Approved
                | OrderState::PartlyShipped
                | OrderState::Shipped
                | OrderState::Closed
        )
    }

    /// Whether lines, prices and quantities may still change (before any shipment).
    pub fn editable(self) -> bool {
        matches!(
            self,
            OrderState::Draft | OrderState::AwaitingApproval | OrderState::Approved
        )
    }

    /// Decides the state after `event`.
    ///
    /// ```
    /// use crm_core::sales::{OrderEvent, OrderState};
    ///
    /// // Within the author's limit, submitting approves at once.
    /// assert_eq!(OrderState::Draft.apply(OrderEvent::Submit { within_limit: true })?, OrderState::Approved);
    /// let waiting = OrderState::Draft.apply(OrderEvent::Submit { within_limit: false })?;
    /// assert_eq!(waiting, OrderState::AwaitingApproval);
    /// assert_eq!(waiting.apply(OrderEvent::Approve)?, OrderState::Approved);
    /// // Changing prices or quantities of an approved order voids the approval.
    /// assert_eq!(OrderState::Approved.apply(OrderEvent::PricesChanged)?, OrderState::Draft);
    /// assert!(OrderState::Shipped.apply(OrderEvent::Cancel).is_err());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `state`) saying why the event does not apply.
    pub fn apply(self, event: OrderEvent) -> Result<Self> {
        use OrderEvent as E;
        use OrderState as S;
        Ok(match (self, event) {
            (S::Draft, E::Submit { within_limit: true }) => S::Approved,
            (
                S::Draft,
                E::Submit {
                    within_limit: false,
                },
            ) => S::AwaitingApproval,
            (S::AwaitingApproval, E::Approve) => S::Approved,
            (S::AwaitingApproval, E::Reject) => S::Draft,
            (S::Draft | S::AwaitingApproval | S::Approved, E::PricesChanged) => S::Draft,
            (S::Approved | S::PartlyShipped, E::Shipped { complete: false }) => S::PartlyShipped,
            (S::Approved | S::PartlyShipped, E::Shipped { complete: true }) => S::Shipped,
            (S::Shipped, E::Close) => S::Closed,
            (S::Draft | S::AwaitingApproval | S::Approved, E::Cancel) => S::Cancelled,
            (from, event) => {
                return Err(Error::invalid(
                    "state",
                    format!("an order that is {} cannot take {event:?}", from.as_str()),
                ))
            }
        })
    }
}

/// Something that happens to a sales order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEvent {
    /// Submitted by its author; `within_limit` says whether the largest discount is within
    /// the author's limit (see [`within_limit`]).
    Submit {
        /// The author's limit covers the order's discounts.
        within_limit: bool,
    },
    /// Approved by someone whose limit covers the discount.
    Approve,
    /// Sent back to its author.
    Reject,
    /// Prices, discounts, tax rates or quantities changed: any approval is void.
    PricesChanged,
    /// Goods shipped (the inventory hook); `complete` when every line is shipped in full.
    Shipped {
        /// Every line shipped in full.
        complete: bool,
    },
    /// Closed after shipping.
    Close,
    /// Cancelled.
    Cancel,
}

/// Whether an actor's discount limit covers an order's largest discount.
pub fn within_limit(ctx: &ActorContext, max_discount: Decimal) -> bool {
    ctx.admin || max_discount <= ctx.max_discount
}

/// Decides whether `ctx` may approve an order whose largest discount is `max_discount`.
///
/// # Errors
/// [`Error::PermissionDenied`] when their limit does not cover it.
pub fn decide_approval(ctx: &ActorContext, max_discount: Decimal) -> Result<()> {
    if within_limit(ctx, max_discount) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "sales_order.approve: the order gives {} % off, beyond this approver's limit of {} %",
            (max_discount * Decimal::ONE_HUNDRED).normalize(),
            (ctx.max_discount * Decimal::ONE_HUNDRED).normalize()
        )))
    }
}

/// A sales order: header and totals; its lines are [`crate::sales::OrderLine`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesOrder {
    /// Id.
    pub id: Uuid,
    /// Order number (SO-2026-000001), unique.
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The responsible salesperson: the customer's owner when the order was made.
    pub owner_id: Uuid,
    /// The quote it was made from.
    pub quote_id: Option<Uuid>,
    /// State.
    pub state: OrderState,
    /// Order date.
    pub order_date: NaiveDate,
    /// Promised delivery date.
    pub delivery_date: Option<NaiveDate>,
    /// Terms, printed on the contract.
    pub terms: Option<String>,
    /// Currency (ISO code); CNY.
    pub currency: String,
    /// How tax was rounded for its totals.
    pub tax_rounding: TaxRounding,
    /// Total excluding tax.
    pub net: Decimal,
    /// Total tax.
    pub tax: Decimal,
    /// Total including tax.
    pub gross: Decimal,
    /// The largest discount on any line: what an approval must cover.
    pub max_discount: Decimal,
    /// Who approved it (its author, within their own limit, or an approver).
    pub approved_by: Option<Uuid>,
    /// When.
    pub approved_at: Option<DateTime<Utc>>,
    /// Who wrote it.
    pub created_by: Uuid,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// The `sales_order` kind.
pub static SALES_ORDER: Kind = Kind {
    name: "sales_order",
    columns: &[
        Column::new("number", T::Text),
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::new("owner_id", T::Id).refs("employee", OnDelete::Restrict),
        Column::nullable("quote_id", T::Id).refs("quote", OnDelete::Restrict),
        Column::new("state", T::Text),
        Column::new("order_date", T::Date),
        Column::nullable("delivery_date", T::Date),
        Column::nullable("terms", T::Text),
        Column::new("currency", T::Text),
        Column::new("tax_rounding", T::Text),
        Column::new("net", T::Decimal),
        Column::new("tax", T::Decimal),
        Column::new("gross", T::Decimal),
        Column::new("max_discount", T::Decimal),
        Column::nullable("approved_by", T::Id).refs("employee", OnDelete::Keep),
        Column::nullable("approved_at", T::Timestamp),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("created_at", T::Timestamp),
        Column::new("updated_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "sales_order_number",
            columns: &["number"],
            unique: true,
        },
        Index {
            name: "sales_order_customer",
            columns: &["customer_id"],
            unique: false,
        },
        Index {
            name: "sales_order_owner",
            columns: &["owner_id"],
            unique: false,
        },
        Index {
            name: "sales_order_quote",
            columns: &["quote_id"],
            unique: false,
        },
    ],
};

impl Entity for SalesOrder {
    const KIND: &'static Kind = &SALES_ORDER;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.number.clone().into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.quote_id.into(),
            self.state.as_str().into(),
            self.order_date.into(),
            self.delivery_date.into(),
            self.terms.clone().into(),
            self.currency.clone().into(),
            rounding_str(self.tax_rounding).into(),
            self.net.into(),
            self.tax.into(),
            self.gross.into(),
            self.max_discount.into(),
            self.approved_by.into(),
            self.approved_at.into(),
            self.created_by.into(),
            self.created_at.into(),
            self.updated_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(SalesOrder {
            id: r.id,
            number: f.text("number")?,
            customer_id: f.id("customer_id")?,
            owner_id: f.id("owner_id")?,
            quote_id: f.opt_id("quote_id")?,
            state: OrderState::parse(&f.text("state")?)?,
            order_date: f.date("order_date")?,
            delivery_date: f.opt_date("delivery_date")?,
            terms: f.opt_text("terms")?,
            currency: f.text("currency")?,
            tax_rounding: parse_rounding(&f.text("tax_rounding")?)?,
            net: f.decimal("net")?,
            tax: f.decimal("tax")?,
            gross: f.decimal("gross")?,
            max_discount: f.decimal("max_discount")?,
            approved_by: f.opt_id("approved_by")?,
            approved_at: f.opt_timestamp("approved_at")?,
            created_by: f.id("created_by")?,
            created_at: f.timestamp("created_at")?,
            updated_at: f.timestamp("updated_at")?,
        })
    }
}

/// A customer's last price of a product: the entered price of the product's line on the
/// customer's most recently approved order. Offered on new lines (上次成交价).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastPrice {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// The unit price as entered on that line.
    pub unit_price: Decimal,
    /// Whether it includes tax.
    pub price_includes_tax: bool,
    /// The discount on that line.
    pub discount: Decimal,
    /// The order it comes from.
    pub order_id: Uuid,
    /// When that order was approved.
    pub at: DateTime<Utc>,
}

impl LastPrice {
    /// The price as entered.
    pub fn price(&self) -> EnteredPrice {
        if self.price_includes_tax {
            EnteredPrice::Inclusive(self.unit_price)
        } else {
            EnteredPrice::Exclusive(self.unit_price)
        }
    }
}

/// The `last_price` kind: one record per customer and product.
pub static LAST_PRICE: Kind = Kind {
    name: "last_price",
    columns: &[
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Cascade),
        Column::new("product_id", T::Id).refs("product", OnDelete::Cascade),
        Column::new("unit_price", T::Decimal),
        Column::new("price_includes_tax", T::Bool),
        Column::new("discount", T::Decimal),
        Column::new("order_id", T::Id).refs("sales_order", OnDelete::Cascade),
        Column::new("at", T::Timestamp),
    ],
    indexes: &[Index {
        name: "last_price_customer_product",
        columns: &["customer_id", "product_id"],
        unique: true,
    }],
};

impl Entity for LastPrice {
    const KIND: &'static Kind = &LAST_PRICE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.customer_id.into(),
            self.product_id.into(),
            self.unit_price.into(),
            self.price_includes_tax.into(),
            self.discount.into(),
            self.order_id.into(),
            self.at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(LastPrice {
            id: r.id,
            customer_id: f.id("customer_id")?,
            product_id: f.id("product_id")?,
            unit_price: f.decimal("unit_price")?,
            price_includes_tax: f.boolean("price_includes_tax")?,
            discount: f.decimal("discount")?,
            order_id: f.id("order_id")?,
            at: f.timestamp("at")?,
        })
    }
}
