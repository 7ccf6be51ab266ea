//! Quotes (报价单): the record, its states and the decisions that move it between them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::money::TaxRounding;
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

/// Where a quote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteState {
    /// Being written; the only state in which lines and terms may change.
    Draft,
    /// Sent to the customer, awaiting an answer.
    Sent,
    /// The customer accepted it; it may become a sales order.
    Accepted,
    /// The customer declined it.
    Rejected,
    /// Its validity date passed without an answer.
    Expired,
    /// A sales order was made from it.
    Converted,
}

/// Something that happens to a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteEvent {
    /// Sent to the customer.
    Send,
    /// Accepted by the customer (only while valid).
    Accept,
    /// Declined by the customer.
    Reject,
    /// Marked expired (only once its validity date has passed).
    Expire,
    /// Reopened for changes: a sent, rejected or expired quote goes back to draft.
    Revise,
    /// Turned into a sales order: from an accepted quote, or from a sent one while it is
    /// valid (the order is the customer's acceptance).
    Convert,
}

impl QuoteState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteState::Draft => "draft",
            QuoteState::Sent => "sent",
            QuoteState::Accepted => "accepted",
            QuoteState::Rejected => "rejected",
            QuoteState::Expired => "expired",
            QuoteState::Converted => "converted",
        }
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self> {
        [
            QuoteState::Draft,
            QuoteState::Sent,
            QuoteState::Accepted,
            QuoteState::Rejected,
            QuoteState::Expired,
            QuoteState::Converted,
        ]
        .into_iter()
        .find(|q| q.as_str() == s)
        .ok_or_else(|| Error::invalid("state", format!("unknown quote state {s:?}")))
    }

    /// Decides the state after `event`, on `today`, for a quote valid until `valid_until`.
    ///
    /// ```
    /// use crm_core::sales::{QuoteEvent, QuoteState};
    /// use chrono::NaiveDate;
    ///
    /// let valid = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    /// let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    /// let sent = QuoteState::Draft.apply(QuoteEvent::Send, today, valid)?;
    /// assert_eq!(sent.apply(QuoteEvent::Accept, today, valid)?, QuoteState::Accepted);
    /// // Too late to accept: the quote must be revised (or expired).
    /// let later = NaiveDate::from_ymd_opt(2027, 1, 5).unwrap();
    /// assert!(sent.apply(QuoteEvent::Accept, later, valid).is_err());
    /// assert_eq!(sent.apply(QuoteEvent::Expire, later, valid)?, QuoteState::Expired);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `state`) saying why the event does not apply.
    pub fn apply(
        self,
        event: QuoteEvent,
        today: NaiveDate,
        valid_until: NaiveDate,
    ) -> Result<Self> {
        use QuoteEvent as E;
        use QuoteState as S;
        let next = match (self, event) {
            (S::Draft, E::Send) => S::Sent,
            (S::Sent, E::Accept) if today <= valid_until => S::Accepted,
            (S::Sent, E::Accept) => {
                return Err(Error::invalid(
                    "state",
                    format!("the quote was valid until {valid_until}; revise it before accepting"),
                ))
            }
            (S::Sent, E::Reject) => S::Rejected,
            (S::Draft | S::Sent, E::Expire) if today > valid_until => S::Expired,
            (S::Draft | S::Sent, E::Expire) => {
                return Err(Error::invalid(
                    "state",
                    format!("the quote is valid until {valid_until}"),
                ))
            }
            (S::Sent | S::Rejected | S::Expired, E::Revise) => S::Draft,
            // An order placed on a sent quote is the customer's acceptance: both at once,
            // while the quote is valid.
            (S::Accepted, E::Convert) => S::Converted,
            (S::Sent, E::Convert) if today <= valid_until => S::Converted,
            (S::Sent, E::Convert) => {
                return Err(Error::invalid(
                    "state",
                    format!("the quote was valid until {valid_until}; revise it before ordering"),
                ))
            }
            (from, event) => {
                return Err(Error::invalid(
                    "state",
                    format!(
                        "a quote that is {} cannot be {}",
                        from.as_str(),
                        match event {
                            E::Send => "sent",
                            E::Accept => "accepted",
                            E::Reject => "rejected",
                            E::Expire => "expired",
                            E::Revise => "revised",
                            E::Convert => "converted to an order",
                        }
                    ),
                ))
            }
        };
        Ok(next)
    }
}

pub(crate) fn rounding_str(r: TaxRounding) -> &'static str {
    match r {
        TaxRounding::PerLine => "per_line",
        TaxRounding::PerDocument => "per_document",
    }
}

pub(crate) fn parse_rounding(s: &str) -> Result<TaxRounding> {
    match s {
        "per_line" => Ok(TaxRounding::PerLine),
        "per_document" => Ok(TaxRounding::PerDocument),
        _ => Err(Error::invalid(
            "tax_rounding",
            format!("unknown rounding {s:?}"),
        )),
    }
}

/// A quote: header and totals; its lines are [`crate::sales::QuoteLine`] records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Id.
    pub id: Uuid,
    /// Quote number (QT-2026-000001), unique.
    pub number: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The responsible salesperson: the customer's owner when the quote was made.
    pub owner_id: Uuid,
    /// State.
    pub state: QuoteState,
    /// Date of the quote.
    pub quote_date: NaiveDate,
    /// Valid until (inclusive).
    pub valid_until: NaiveDate,
    /// Terms (payment, delivery), printed.
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
    /// The quote this one was copied from.
    pub copied_from: Option<Uuid>,
    /// The sales order made from it.
    pub order_id: Option<Uuid>,
    /// Who wrote it.
    pub created_by: Uuid,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// The `quote` kind.
pub static QUOTE: Kind = Kind {
    name: "quote",
    columns: &[
        Column::new("number", T::Text),
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::new("owner_id", T::Id).refs("employee", OnDelete::Restrict),
        Column::new("state", T::Text),
        Column::new("quote_date", T::Date),
        Column::new("valid_until", T::Date),
        Column::nullable("terms", T::Text),
        Column::new("currency", T::Text),
        Column::new("tax_rounding", T::Text),
        Column::new("net", T::Decimal),
        Column::new("tax", T::Decimal),
        Column::new("gross", T::Decimal),
        Column::nullable("copied_from", T::Id),
        Column::nullable("order_id", T::Id),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("created_at", T::Timestamp),
        Column::new("updated_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "quote_number",
            columns: &["number"],
            unique: true,
        },
        Index {
            name: "quote_customer",
            columns: &["customer_id"],
            unique: false,
        },
        Index {
            name: "quote_owner",
            columns: &["owner_id"],
            unique: false,
        },
    ],
};

impl Entity for Quote {
    const KIND: &'static Kind = &QUOTE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.number.clone().into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.state.as_str().into(),
            self.quote_date.into(),
            self.valid_until.into(),
            self.terms.clone().into(),
            self.currency.clone().into(),
            rounding_str(self.tax_rounding).into(),
            self.net.into(),
            self.tax.into(),
            self.gross.into(),
            self.copied_from.into(),
            self.order_id.into(),
            self.created_by.into(),
            self.created_at.into(),
            self.updated_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Quote {
            id: r.id,
            number: f.text("number")?,
            customer_id: f.id("customer_id")?,
            owner_id: f.id("owner_id")?,
            state: QuoteState::parse(&f.text("state")?)?,
            quote_date: f.date("quote_date")?,
            valid_until: f.date("valid_until")?,
            terms: f.opt_text("terms")?,
            currency: f.text("currency")?,
            tax_rounding: parse_rounding(&f.text("tax_rounding")?)?,
            net: f.decimal("net")?,
            tax: f.decimal("tax")?,
            gross: f.decimal("gross")?,
            copied_from: f.opt_id("copied_from")?,
            order_id: f.opt_id("order_id")?,
            created_by: f.id("created_by")?,
            created_at: f.timestamp("created_at")?,
            updated_at: f.timestamp("updated_at")?,
        })
    }
}
