//! Invoices (发票管理): blue invoices against a sales order's lines, red-letter invoices (红字发票)
//! reversing all or part of a blue one, and the arithmetic that keeps them from drifting.
//!
//! # Never a cent of drift
//!
//! An invoice line charges a quantity of an order line at the order line's entered price,
//! discount and tax rate, through the one tax function. Invoicing a line in parts rounds each
//! part, so the parts could differ from the line by a cent; therefore the invoice line that
//! completes an order line's quantity takes exactly what is left of the line's net, tax and
//! gross ([`invoice_amounts`]). The same holds for a red-letter line that reverses what is left
//! of a blue line. So however an order is invoiced and reversed, the invoiced amounts of a fully
//! invoiced line equal the line's amounts to the cent, and nothing is invoiced twice.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::line::DocLine;
use crate::error::{Error, Result};
use crate::money::{compute_document, TaxRounding, TaxSettings};
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

/// The type of a VAT invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// 增值税普通发票: the buyer cannot deduct its input tax.
    Ordinary,
    /// 增值税专用发票: the buyer deducts the tax; needs the buyer's tax details.
    Special,
}

impl InvoiceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Ordinary => "ordinary",
            InvoiceKind::Special => "special",
        }
    }

    /// Parses a stored name.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unknown name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "ordinary" => Ok(InvoiceKind::Ordinary),
            "special" => Ok(InvoiceKind::Special),
            _ => Err(Error::invalid(
                "kind",
                format!("unknown invoice kind {s:?}"),
            )),
        }
    }
}

/// Checks an invoice code (发票代码: 10 or 12 digits, or empty for a fully digital invoice
/// 全电发票) and number (发票号码: 8 digits, or 20 for a fully digital invoice).
///
/// ```
/// use crm_core::sales::check_invoice_number;
/// assert!(check_invoice_number("3100231130", "01234567").is_ok());
/// assert!(check_invoice_number("", "24312000000012345678").is_ok());
/// assert!(check_invoice_number("31002311", "01234567").is_err());
/// assert!(check_invoice_number("3100231130", "0123456A").is_err());
/// ```
///
/// # Errors
/// [`Error::Invalid`] naming `code` or `number`.
pub fn check_invoice_number(code: &str, number: &str) -> Result<()> {
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !(digits(code) && matches!(code.len(), 0 | 10 | 12)) {
        return Err(Error::invalid(
            "code",
            format!("{code:?} is not an invoice code (10 or 12 digits, or empty for a fully digital invoice)"),
        ));
    }
    let ok = digits(number)
        && match code.len() {
            0 => number.len() == 20,
            _ => number.len() == 8,
        };
    if !ok {
        return Err(Error::invalid(
            "number",
            format!(
                "{number:?} is not an invoice number (8 digits, or 20 for a fully digital invoice)"
            ),
        ));
    }
    Ok(())
}

/// An issued invoice: blue (positive amounts) or red-letter (negative amounts, `red_of` set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// Id.
    pub id: Uuid,
    /// The sales order invoiced.
    pub order_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The order's owner.
    pub owner_id: Uuid,
    /// Ordinary or special VAT invoice.
    pub kind: InvoiceKind,
    /// 发票代码 (empty for a fully digital invoice).
    pub code: String,
    /// 发票号码; unique within its code.
    pub number: String,
    /// Date of issue.
    pub issue_date: NaiveDate,
    /// For a red-letter invoice: the blue invoice it reverses.
    pub red_of: Option<Uuid>,
    /// Why it was reversed (red-letter invoices).
    pub reason: Option<String>,
    /// Total excluding tax (negative when red).
    pub net: Decimal,
    /// Total tax.
    pub tax: Decimal,
    /// Total including tax.
    pub gross: Decimal,
    /// Who issued it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl Invoice {
    /// Whether it is a red-letter invoice.
    pub fn is_red(&self) -> bool {
        self.red_of.is_some()
    }
}

/// The `invoice` kind.
pub static INVOICE: Kind = Kind {
    name: "invoice",
    columns: &[
        Column::new("order_id", T::Id).refs("sales_order", OnDelete::Restrict),
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::new("owner_id", T::Id),
        Column::new("kind", T::Text),
        Column::new("code", T::Text),
        Column::new("number", T::Text),
        Column::new("issue_date", T::Date),
        Column::nullable("red_of", T::Id).refs("invoice", OnDelete::Restrict),
        Column::nullable("reason", T::Text),
        Column::new("net", T::Decimal),
        Column::new("tax", T::Decimal),
        Column::new("gross", T::Decimal),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("created_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "invoice_code_number",
            columns: &["code", "number"],
            unique: true,
        },
        Index {
            name: "invoice_order",
            columns: &["order_id"],
            unique: false,
        },
        Index {
            name: "invoice_customer",
            columns: &["customer_id"],
            unique: false,
        },
    ],
};

impl Entity for Invoice {
    const KIND: &'static Kind = &INVOICE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.order_id.into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.kind.as_str().into(),
            self.code.clone().into(),
            self.number.clone().into(),
            self.issue_date.into(),
            self.red_of.into(),
            self.reason.clone().into(),
            self.net.into(),
            self.tax.into(),
            self.gross.into(),
            self.created_by.into(),
            self.created_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Invoice {
            id: r.id,
            order_id: f.id("order_id")?,
            customer_id: f.id("customer_id")?,
            owner_id: f.id("owner_id")?,
            kind: InvoiceKind::parse(&f.text("kind")?)?,
            code: f.text("code")?,
            number: f.text("number")?,
            issue_date: f.date("issue_date")?,
            red_of: f.opt_id("red_of")?,
            reason: f.opt_text("reason")?,
            net: f.decimal("net")?,
            tax: f.decimal("tax")?,
            gross: f.decimal("gross")?,
            created_by: f.id("created_by")?,
            created_at: f.timestamp("created_at")?,
        })
    }
}

/// One line of an invoice: a quantity of one order line (negative on a red-letter invoice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// Id.
    pub id: Uuid,
    /// The invoice.
    pub invoice_id: Uuid,
    /// The order (for the order's invoiced quantities).
    pub order_id: Uuid,
    /// The order line invoiced.
    pub order_line_id: Uuid,
    /// On a red-letter line: the blue invoice line it reverses.
    pub blue_line_id: Option<Uuid>,
    /// Place on the invoice, from 1.
    pub position: i64,
    /// The product.
    pub product_id: Uuid,
    /// Its name as printed.
    pub product_name: String,
    /// Its specification.
    pub spec: Option<String>,
    /// Unit.
    pub unit: String,
    /// Quantity: positive on a blue invoice, negative on a red-letter one.
    pub quantity: Decimal,
    /// Unit price excluding tax, as printed on a VAT invoice.
    pub unit_price_exclusive: Decimal,
    /// VAT rate.
    pub tax_rate: Decimal,
    /// Amount excluding tax.
    pub net: Decimal,
    /// Tax.
    pub tax: Decimal,
    /// Amount including tax.
    pub gross: Decimal,
}

/// The `invoice_line` kind.
pub static INVOICE_LINE: Kind = Kind {
    name: "invoice_line",
    columns: &[
        Column::new("invoice_id", T::Id).refs("invoice", OnDelete::Cascade),
        Column::new("order_id", T::Id),
        Column::new("order_line_id", T::Id).refs("sales_order_line", OnDelete::Restrict),
        Column::nullable("blue_line_id", T::Id).refs("invoice_line", OnDelete::Restrict),
        Column::new("position", T::Int),
        Column::new("product_id", T::Id),
        Column::new("product_name", T::Text),
        Column::nullable("spec", T::Text),
        Column::new("unit", T::Text),
        Column::new("quantity", T::Decimal),
        Column::new("unit_price_exclusive", T::Decimal),
        Column::new("tax_rate", T::Decimal),
        Column::new("net", T::Decimal),
        Column::new("tax", T::Decimal),
        Column::new("gross", T::Decimal),
    ],
    indexes: &[
        Index {
            name: "invoice_line_invoice",
            columns: &["invoice_id"],
            unique: false,
        },
        Index {
            name: "invoice_line_order",
            columns: &["order_id"],
            unique: false,
        },
    ],
};

impl Entity for InvoiceLine {
    const KIND: &'static Kind = &INVOICE_LINE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.invoice_id.into(),
            self.order_id.into(),
            self.order_line_id.into(),
            self.blue_line_id.into(),
            self.position.into(),
            self.product_id.into(),
            self.product_name.clone().into(),
            self.spec.clone().into(),
            self.unit.clone().into(),
            self.quantity.into(),
            self.unit_price_exclusive.into(),
            self.tax_rate.into(),
            self.net.into(),
            self.tax.into(),
            self.gross.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(InvoiceLine {
            id: r.id,
            invoice_id: f.id("invoice_id")?,
            order_id: f.id("order_id")?,
            order_line_id: f.id("order_line_id")?,
            blue_line_id: f.opt_id("blue_line_id")?,
            position: f.int("position")?,
            product_id: f.id("product_id")?,
            product_name: f.text("product_name")?,
            spec: f.opt_text("spec")?,
            unit: f.text("unit")?,
            quantity: f.decimal("quantity")?,
            unit_price_exclusive: f.decimal("unit_price_exclusive")?,
            tax_rate: f.decimal("tax_rate")?,
            net: f.decimal("net")?,
            tax: f.decimal("tax")?,
            gross: f.decimal("gross")?,
        })
    }
}

/// Quantity and amounts: of a line, of what was invoiced of it, of what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Portion {
    /// Quantity.
    pub quantity: Decimal,
    /// Amount excluding tax.
    pub net: Decimal,
    /// Tax.
    pub tax: Decimal,
    /// Amount including tax.
    pub gross: Decimal,
}

impl Portion {
    /// The portion of a whole line.
    pub fn of_line(l: &DocLine) -> Self {
        Portion {
            quantity: l.quantity,
            net: l.net,
            tax: l.tax,
            gross: l.gross,
        }
    }

    /// The portion an invoice line charges (negative for red).
    pub fn of_invoice_line(l: &InvoiceLine) -> Self {
        Portion {
            quantity: l.quantity,
            net: l.net,
            tax: l.tax,
            gross: l.gross,
        }
    }

    /// The sum of two portions.
    pub fn plus(self, o: Portion) -> Portion {
        Portion {
            quantity: self.quantity + o.quantity,
            net: self.net + o.net,
            tax: self.tax + o.tax,
            gross: self.gross + o.gross,
        }
    }

    /// The difference of two portions.
    pub fn minus(self, o: Portion) -> Portion {
        Portion {
            quantity: self.quantity - o.quantity,
            net: self.net - o.net,
            tax: self.tax - o.tax,
            gross: self.gross - o.gross,
        }
    }

    /// The same portion with every sign turned.
    pub fn negated(self) -> Portion {
        Portion::default().minus(self)
    }
}

/// The amounts of charging `quantity` (more than zero) of `line`, of which `done` is already
/// charged. When `quantity` completes the line (`done.quantity + quantity == whole.quantity`),
/// the result is exactly what is left of `whole`, so the parts add up to the whole to the cent;
/// otherwise the quantity is priced at the line's entered price, discount and rate with per-line
/// rounding.
///
/// ```
/// use crm_core::money::TaxSettings;
/// use crm_core::sales::{invoice_amounts, Portion};
/// use rust_decimal_macros::dec;
///
/// // 3 units at 0.10 excl. 13 %: the line is net 0.30, tax 0.04 (rounded once).
/// let whole = Portion { quantity: dec!(3), net: dec!(0.30), tax: dec!(0.04), gross: dec!(0.34) };
/// let line = crm_core::money::LineInput::exclusive(dec!(3), dec!(0.10), dec!(0.13));
/// let s = TaxSettings::default();
/// let first = invoice_amounts(&line, whole, Portion::default(), dec!(1), &s)?;
/// assert_eq!((first.net, first.tax), (dec!(0.10), dec!(0.01)));
/// let second = invoice_amounts(&line, whole, first, dec!(1), &s)?;
/// let third = invoice_amounts(&line, whole, first.plus(second), dec!(1), &s)?;
/// // The last part takes what is left: 0.02 tax, not 0.01.
/// assert_eq!(third.tax, dec!(0.02));
/// assert_eq!(first.plus(second).plus(third), whole);
/// # Ok::<(), crm_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::Invalid`] (field `quantity`) for a quantity not more than zero; [`Error::Overflow`].
pub fn invoice_amounts(
    line: &crate::money::LineInput,
    whole: Portion,
    done: Portion,
    quantity: Decimal,
    settings: &TaxSettings,
) -> Result<Portion> {
    if quantity <= Decimal::ZERO {
        return Err(Error::invalid(
            "quantity",
            format!("{quantity} is not more than zero"),
        ));
    }
    if done.quantity + quantity == whole.quantity {
        return Ok(whole.minus(done));
    }
    let part = crate::money::LineInput { quantity, ..*line };
    let per_line = TaxSettings {
        rounding: TaxRounding::PerLine,
        ..*settings
    };
    let t = compute_document(&[part], &per_line)?;
    Ok(Portion {
        quantity,
        net: t.net,
        tax: t.tax,
        gross: t.gross,
    })
}
