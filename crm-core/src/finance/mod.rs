//! Receipts and receivables (到款管理): bank and cash accounts, exchange rates by date,
//! receipts (in any currency, converted to CNY at the rate of their date), their allocation
//! over orders, advance receipts (预收款) waiting to be applied, customer opening balances, and
//! the receivables report with ageing.
//!
//! # The receivables identity
//!
//! For every customer, at every moment:
//!
//! ```text
//! receivable = opening balance + amounts due − received − credited
//! ```
//!
//! *Amounts due* are the gross totals of the customer's approved orders (approved, shipped or
//! closed; never drafts or cancelled ones); *received* is the CNY value of every receipt,
//! allocated or not; *credited* is what red-letter invoices took back. Each term is a sum of
//! stored records, and every change to them is one atomic commit, so the identity holds between
//! any two commits. The report also splits the balance by age: each order's outstanding amount
//! (gross − credited − allocated) falls in the bucket of its age, an opening balance in the
//! bucket of its date, and advance receipts not yet applied are shown apart; the buckets less
//! the advances equal the balance ([`Ageing::total`]).
//!
//! # Foreign currency and fees
//!
//! A receipt in USD converts at the rate stored for its date ([`ExchangeRateRecord`]); the
//! customer is credited with that CNY value. The bank may credit the account with a different
//! CNY amount (its own rate) and keep a fee: the fee is recorded as a financial charge and the
//! rest of the difference as the exchange difference (汇兑损益), so
//! `amount_cny = received_cny + fee_cny + exchange_difference`, to the cent.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

/// A bank or cash account money is received into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashAccount {
    /// Id.
    pub id: Uuid,
    /// Name, unique (工行基本户, 现金 …).
    pub name: String,
    /// Whether it is a bank account (else cash).
    pub is_bank: bool,
    /// Its currency (ISO code).
    pub currency: String,
    /// Bank account number.
    pub account_number: Option<String>,
    /// Offered for new receipts.
    pub active: bool,
}

/// The `cash_account` kind.
pub static CASH_ACCOUNT: Kind = Kind {
    name: "cash_account",
    columns: &[
        Column::new("name", T::Text),
        Column::new("is_bank", T::Bool),
        Column::new("currency", T::Text),
        Column::nullable("account_number", T::Text),
        Column::new("active", T::Bool),
    ],
    indexes: &[Index {
        name: "cash_account_name",
        columns: &["name"],
        unique: true,
    }],
};

impl Entity for CashAccount {
    const KIND: &'static Kind = &CASH_ACCOUNT;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.name.clone().into(),
            self.is_bank.into(),
            self.currency.clone().into(),
            self.account_number.clone().into(),
            self.active.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(CashAccount {
            id: r.id,
            name: f.text("name")?,
            is_bank: f.boolean("is_bank")?,
            currency: f.text("currency")?,
            account_number: f.opt_text("account_number")?,
            active: f.boolean("active")?,
        })
    }
}

/// A stored exchange rate: CNY per unit of a currency on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeRateRecord {
    /// Id.
    pub id: Uuid,
    /// ISO code.
    pub currency: String,
    /// The date it applies to.
    pub date: NaiveDate,
    /// CNY per unit (at most 6 decimal places).
    pub cny_per_unit: Decimal,
}

/// The `exchange_rate` kind: one rate per currency and date.
pub static EXCHANGE_RATE: Kind = Kind {
    name: "exchange_rate",
    columns: &[
        Column::new("currency", T::Text),
        Column::new("date", T::Date),
        Column::new("cny_per_unit", T::Decimal),
    ],
    indexes: &[Index {
        name: "exchange_rate_currency_date",
        columns: &["currency", "date"],
        unique: true,
    }],
};

impl Entity for ExchangeRateRecord {
    const KIND: &'static Kind = &EXCHANGE_RATE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.currency.clone().into(),
            self.date.into(),
            self.cny_per_unit.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(ExchangeRateRecord {
            id: r.id,
            currency: f.text("currency")?,
            date: f.date("date")?,
            cny_per_unit: f.decimal("cny_per_unit")?,
        })
    }
}

/// Money received from a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Id.
    pub id: Uuid,
    /// Receipt number (RC-2026-000001), unique.
    pub number: String,
    /// The customer who paid.
    pub customer_id: Uuid,
    /// The customer's owner when it was recorded (for visibility).
    pub owner_id: Uuid,
    /// The account it went into.
    pub account_id: Uuid,
    /// Payment method (from the payment-method option list).
    pub method: String,
    /// Date received.
    pub receipt_date: NaiveDate,
    /// Currency paid in.
    pub currency: String,
    /// Amount paid, in that currency.
    pub amount: Decimal,
    /// CNY per unit on the receipt's date (1 for CNY).
    pub rate: Decimal,
    /// The CNY value credited to the customer: `round(amount × rate, 2)`.
    pub amount_cny: Decimal,
    /// Bank fee or other financial charge, in CNY (手续费).
    pub fee_cny: Decimal,
    /// What actually reached the account, in CNY.
    pub received_cny: Decimal,
    /// `amount_cny − fee_cny − received_cny` (汇兑损益): zero for CNY receipts.
    pub exchange_difference: Decimal,
    /// How much of `amount_cny` is allocated to orders; the rest is an advance (预收款).
    pub allocated_cny: Decimal,
    /// A remark.
    pub note: Option<String>,
    /// Who recorded it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl Receipt {
    /// What is not yet applied to an order (the advance part).
    pub fn unallocated(&self) -> Decimal {
        self.amount_cny - self.allocated_cny
    }
}

/// The `receipt` kind.
pub static RECEIPT: Kind = Kind {
    name: "receipt",
    columns: &[
        Column::new("number", T::Text),
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::new("owner_id", T::Id),
        Column::new("account_id", T::Id).refs("cash_account", OnDelete::Restrict),
        Column::new("method", T::Text),
        Column::new("receipt_date", T::Date),
        Column::new("currency", T::Text),
        Column::new("amount", T::Decimal),
        Column::new("rate", T::Decimal),
        Column::new("amount_cny", T::Decimal),
        Column::new("fee_cny", T::Decimal),
        Column::new("received_cny", T::Decimal),
        Column::new("exchange_difference", T::Decimal),
        Column::new("allocated_cny", T::Decimal),
        Column::nullable("note", T::Text),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("created_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "receipt_number",
            columns: &["number"],
            unique: true,
        },
        Index {
            name: "receipt_customer",
            columns: &["customer_id"],
            unique: false,
        },
    ],
};

impl Entity for Receipt {
    const KIND: &'static Kind = &RECEIPT;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.number.clone().into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.account_id.into(),
            self.method.clone().into(),
            self.receipt_date.into(),
            self.currency.clone().into(),
            self.amount.into(),
            self.rate.into(),
            self.amount_cny.into(),
            self.fee_cny.into(),
            self.received_cny.into(),
            self.exchange_difference.into(),
            self.allocated_cny.into(),
            self.note.clone().into(),
            self.created_by.into(),
            self.created_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Receipt {
            id: r.id,
            number: f.text("number")?,
            customer_id: f.id("customer_id")?,
            owner_id: f.id("owner_id")?,
            account_id: f.id("account_id")?,
            method: f.text("method")?,
            receipt_date: f.date("receipt_date")?,
            currency: f.text("currency")?,
            amount: f.decimal("amount")?,
            rate: f.decimal("rate")?,
            amount_cny: f.decimal("amount_cny")?,
            fee_cny: f.decimal("fee_cny")?,
            received_cny: f.decimal("received_cny")?,
            exchange_difference: f.decimal("exchange_difference")?,
            allocated_cny: f.decimal("allocated_cny")?,
            note: f.opt_text("note")?,
            created_by: f.id("created_by")?,
            created_at: f.timestamp("created_at")?,
        })
    }
}

/// Part of a receipt applied to an order (核销).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// Id.
    pub id: Uuid,
    /// The receipt.
    pub receipt_id: Uuid,
    /// The order paid.
    pub order_id: Uuid,
    /// The customer (for reports).
    pub customer_id: Uuid,
    /// Amount applied, CNY, more than zero.
    pub amount_cny: Decimal,
    /// When it was applied.
    pub applied_on: NaiveDate,
}

/// The `receipt_allocation` kind.
pub static RECEIPT_ALLOCATION: Kind = Kind {
    name: "receipt_allocation",
    columns: &[
        Column::new("receipt_id", T::Id).refs("receipt", OnDelete::Cascade),
        Column::new("order_id", T::Id).refs("sales_order", OnDelete::Restrict),
        Column::new("customer_id", T::Id),
        Column::new("amount_cny", T::Decimal),
        Column::new("applied_on", T::Date),
    ],
    indexes: &[
        Index {
            name: "receipt_allocation_receipt",
            columns: &["receipt_id"],
            unique: false,
        },
        Index {
            name: "receipt_allocation_order",
            columns: &["order_id"],
            unique: false,
        },
        Index {
            name: "receipt_allocation_customer",
            columns: &["customer_id"],
            unique: false,
        },
    ],
};

impl Entity for Allocation {
    const KIND: &'static Kind = &RECEIPT_ALLOCATION;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.receipt_id.into(),
            self.order_id.into(),
            self.customer_id.into(),
            self.amount_cny.into(),
            self.applied_on.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Allocation {
            id: r.id,
            receipt_id: f.id("receipt_id")?,
            order_id: f.id("order_id")?,
            customer_id: f.id("customer_id")?,
            amount_cny: f.decimal("amount_cny")?,
            applied_on: f.date("applied_on")?,
        })
    }
}

/// What a customer owed (or had prepaid, when negative) when the books were opened (期初应收).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningBalance {
    /// Id.
    pub id: Uuid,
    /// The customer; one opening balance each.
    pub customer_id: Uuid,
    /// Amount, CNY.
    pub amount_cny: Decimal,
    /// The date it stands at (ageing counts from it).
    pub as_of: NaiveDate,
}

/// The `opening_balance` kind.
pub static OPENING_BALANCE: Kind = Kind {
    name: "opening_balance",
    columns: &[
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Cascade),
        Column::new("amount_cny", T::Decimal),
        Column::new("as_of", T::Date),
    ],
    indexes: &[Index {
        name: "opening_balance_customer",
        columns: &["customer_id"],
        unique: true,
    }],
};

impl Entity for OpeningBalance {
    const KIND: &'static Kind = &OPENING_BALANCE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.customer_id.into(),
            self.amount_cny.into(),
            self.as_of.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(OpeningBalance {
            id: r.id,
            customer_id: f.id("customer_id")?,
            amount_cny: f.decimal("amount_cny")?,
            as_of: f.date("as_of")?,
        })
    }
}

/// Outstanding amounts by age (账龄).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ageing {
    /// 0–30 days.
    pub days_0_30: Decimal,
    /// 31–60 days.
    pub days_31_60: Decimal,
    /// 61–90 days.
    pub days_61_90: Decimal,
    /// Over 90 days.
    pub over_90: Decimal,
}

impl Ageing {
    /// Adds `amount`, dated `date`, as seen on `as_of` (an amount dated after `as_of` counts
    /// as 0 days old).
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_core::finance::Ageing;
    /// use rust_decimal_macros::dec;
    ///
    /// let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    /// let mut a = Ageing::default();
    /// a.add(dec!(100), day(3, 1), day(3, 31)); // 30 days
    /// a.add(dec!(50), day(1, 30), day(3, 31)); // 60 days
    /// a.add(dec!(7), day(12, 1).with_year(2025).unwrap(), day(3, 31));
    /// assert_eq!((a.days_0_30, a.days_31_60, a.over_90), (dec!(100), dec!(50), dec!(7)));
    /// assert_eq!(a.total(), dec!(157));
    /// # use chrono::Datelike;
    /// ```
    pub fn add(&mut self, amount: Decimal, date: NaiveDate, as_of: NaiveDate) {
        let days = (as_of - date).num_days();
        let bucket = match days {
            ..=30 => &mut self.days_0_30,
            31..=60 => &mut self.days_31_60,
            61..=90 => &mut self.days_61_90,
            _ => &mut self.over_90,
        };
        *bucket += amount;
    }

    /// The sum of the buckets.
    pub fn total(&self) -> Decimal {
        self.days_0_30 + self.days_31_60 + self.days_61_90 + self.over_90
    }
}

/// One customer's receivable: the identity's terms, the balance, and its ageing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receivable {
    /// The customer.
    pub customer_id: Uuid,
    /// Its name.
    pub customer_name: String,
    /// Opening balance.
    pub opening: Decimal,
    /// Gross of approved orders.
    pub due: Decimal,
    /// CNY value of every receipt.
    pub received: Decimal,
    /// Taken back by red-letter invoices.
    pub credited: Decimal,
    /// `opening + due − received − credited`.
    pub balance: Decimal,
    /// Outstanding per order and opening balance, by age.
    pub ageing: Ageing,
    /// Receipts not yet applied to an order (预收款).
    pub unapplied: Decimal,
}

/// One line of a customer's statement (应收明细), in date order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// Date.
    pub date: NaiveDate,
    /// What: `opening`, `order`, `receipt`, `credit`.
    pub entry: &'static str,
    /// The document's number.
    pub number: String,
    /// Increases the receivable.
    pub debit: Decimal,
    /// Decreases it.
    pub credit: Decimal,
    /// The running balance after this line.
    pub balance: Decimal,
}

pub(crate) fn check_amount(field: &str, v: Decimal, positive: bool) -> Result<()> {
    if positive && v <= Decimal::ZERO {
        return Err(Error::invalid(field, format!("{v} is not more than zero")));
    }
    if !positive && v < Decimal::ZERO {
        return Err(Error::invalid(field, format!("{v} is negative")));
    }
    if v.normalize().scale() > 2 {
        return Err(Error::invalid(
            field,
            format!("{v} has more than 2 decimal places"),
        ));
    }
    Ok(())
}
