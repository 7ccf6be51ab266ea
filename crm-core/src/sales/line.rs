//! Document lines: what a user types ([`LineDraft`]), what is stored ([`DocLine`], kept as
//! [`QuoteLine`] and [`OrderLine`] records), and the one place where drafts become priced lines.
//!
//! A line stores the price exactly as entered (its basis says whether it includes tax) plus the
//! amounts [`compute_document`] made of it, and snapshots of the product's code, name,
//! specification and unit, so a printed document never changes when the catalogue does.
//! Carrying a line over (quote → order, copy) copies the entered price, basis, discount, tax
//! rate and quantity, so the same function gives the same amounts to the cent.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::money::{compute_document, DocumentTotals, LineInput, PriceBasis, TaxSettings};
use crate::product::Product;
use crate::store::{Fields, Record, Value};

/// The most decimal places of a quantity or a unit price (what every adapter stores exactly).
pub const MAX_DECIMALS: u32 = 6;

/// A unit price as the user typed it: without tax, or with tax included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "basis", content = "price", rename_all = "snake_case")]
pub enum EnteredPrice {
    /// 不含税单价.
    Exclusive(Decimal),
    /// 含税单价.
    Inclusive(Decimal),
}

impl EnteredPrice {
    /// The price and its basis.
    pub fn parts(self) -> (Decimal, PriceBasis) {
        match self {
            EnteredPrice::Exclusive(p) => (p, PriceBasis::TaxExclusive),
            EnteredPrice::Inclusive(p) => (p, PriceBasis::TaxInclusive),
        }
    }

    fn from_parts(price: Decimal, includes_tax: bool) -> Self {
        if includes_tax {
            EnteredPrice::Inclusive(price)
        } else {
            EnteredPrice::Exclusive(price)
        }
    }
}

/// One line of a quote or an order as the user enters it.
///
/// ```
/// use crm_core::sales::{EnteredPrice, LineDraft};
/// use rust_decimal_macros::dec;
/// use uuid::Uuid;
///
/// let line = LineDraft::builder()
///     .product_id(Uuid::nil())
///     .quantity(dec!(10))
///     .price(EnteredPrice::Inclusive(dec!(113)))
///     .discount(dec!(0.05))
///     .build();
/// assert_eq!(line.tax_rate, None); // the product's rate
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct LineDraft {
    /// The product sold.
    pub product_id: Uuid,
    /// How many units: more than zero, at most 6 decimal places.
    pub quantity: Decimal,
    /// The unit price, with or without tax. `None` offers the customer's last price of this
    /// product, or else the product's default sale price.
    #[builder(default, setter(strip_option))]
    pub price: Option<EnteredPrice>,
    /// The discount as a fraction (0.15 = 15 % off), from 0 to 1.
    #[builder(default)]
    pub discount: Decimal,
    /// The VAT rate as a fraction; `None` takes the product's rate.
    #[builder(default, setter(strip_option))]
    pub tax_rate: Option<Decimal>,
    /// A remark printed on the line.
    #[builder(default, setter(strip_option))]
    pub note: Option<String>,
}

/// A stored line of a quote or a sales order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLine {
    /// Id.
    pub id: Uuid,
    /// The quote or order it belongs to.
    pub doc_id: Uuid,
    /// Its place on the document, from 1.
    pub position: i64,
    /// The document's customer (kept on the line for reports over lines).
    pub customer_id: Uuid,
    /// The document's owner, the salesperson (kept on the line for performance reports).
    pub owner_id: Uuid,
    /// The document's date (kept on the line for reports by period).
    pub doc_date: NaiveDate,
    /// The product.
    pub product_id: Uuid,
    /// The product's code when the line was written.
    pub product_code: String,
    /// The product's name when the line was written.
    pub product_name: String,
    /// The product's specification when the line was written.
    pub spec: Option<String>,
    /// The unit of measure.
    pub unit: String,
    /// Quantity.
    pub quantity: Decimal,
    /// The unit price as entered, before discount.
    pub unit_price: Decimal,
    /// Whether `unit_price` includes tax.
    pub price_includes_tax: bool,
    /// Discount as a fraction.
    pub discount: Decimal,
    /// VAT rate as a fraction.
    pub tax_rate: Decimal,
    /// Amount excluding tax (金额).
    pub net: Decimal,
    /// Tax (税额).
    pub tax: Decimal,
    /// Amount including tax (价税合计).
    pub gross: Decimal,
    /// Unit price excluding tax (entered or derived).
    pub unit_price_exclusive: Decimal,
    /// Unit price including tax (entered or derived).
    pub unit_price_inclusive: Decimal,
    /// A remark.
    pub note: Option<String>,
    /// Whether the line counts in sales reports: its order is approved (or further along).
    /// Always false on quote lines.
    pub booked: bool,
}

impl DocLine {
    /// The price as entered.
    pub fn entered_price(&self) -> EnteredPrice {
        EnteredPrice::from_parts(self.unit_price, self.price_includes_tax)
    }

    /// The input of the tax function this line was computed from.
    pub fn input(&self) -> LineInput {
        let (price, basis) = self.entered_price().parts();
        LineInput {
            quantity: self.quantity,
            unit_price: price,
            basis,
            discount: self.discount,
            tax_rate: self.tax_rate,
        }
    }

    /// The draft that reproduces this line exactly (for carrying it to another document).
    pub fn to_draft(&self) -> LineDraft {
        LineDraft {
            product_id: self.product_id,
            quantity: self.quantity,
            price: Some(self.entered_price()),
            discount: self.discount,
            tax_rate: Some(self.tax_rate),
            note: self.note.clone(),
        }
    }

    pub(crate) fn values(&self) -> Vec<Value> {
        vec![
            self.doc_id.into(),
            self.position.into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.doc_date.into(),
            self.product_id.into(),
            self.product_code.clone().into(),
            self.product_name.clone().into(),
            self.spec.clone().into(),
            self.unit.clone().into(),
            self.quantity.into(),
            self.unit_price.into(),
            self.price_includes_tax.into(),
            self.discount.into(),
            self.tax_rate.into(),
            self.net.into(),
            self.tax.into(),
            self.gross.into(),
            self.unit_price_exclusive.into(),
            self.unit_price_inclusive.into(),
            self.note.clone().into(),
            self.booked.into(),
        ]
    }

    pub(crate) fn read(r: &Record, doc_column: &str) -> Result<Self> {
        let f = Fields::new(r);
        Ok(DocLine {
            id: r.id,
            doc_id: f.id(doc_column)?,
            position: f.int("position")?,
            customer_id: f.id("customer_id")?,
            owner_id: f.id("owner_id")?,
            doc_date: f.date("doc_date")?,
            product_id: f.id("product_id")?,
            product_code: f.text("product_code")?,
            product_name: f.text("product_name")?,
            spec: f.opt_text("spec")?,
            unit: f.text("unit")?,
            quantity: f.decimal("quantity")?,
            unit_price: f.decimal("unit_price")?,
            price_includes_tax: f.boolean("price_includes_tax")?,
            discount: f.decimal("discount")?,
            tax_rate: f.decimal("tax_rate")?,
            net: f.decimal("net")?,
            tax: f.decimal("tax")?,
            gross: f.decimal("gross")?,
            unit_price_exclusive: f.decimal("unit_price_exclusive")?,
            unit_price_inclusive: f.decimal("unit_price_inclusive")?,
            note: f.opt_text("note")?,
            booked: f.boolean("booked")?,
        })
    }
}

/// Declares a line kind (its own table, its document column referencing its document with
/// cascade) and its record type, a [`DocLine`] under another name.
macro_rules! line_kind {
    ($(#[$m:meta])* $ty:ident, $kind:ident, $name:literal, $doc_col:literal, $doc_kind:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $ty(pub DocLine);

        impl std::ops::Deref for $ty {
            type Target = DocLine;
            fn deref(&self) -> &DocLine {
                &self.0
            }
        }

        #[doc = concat!("The `", $name, "` kind.")]
        pub static $kind: crate::store::Kind = crate::store::Kind {
            name: $name,
            columns: &[
                crate::store::Column::new($doc_col, crate::store::ColumnType::Id)
                    .refs($doc_kind, crate::store::OnDelete::Cascade),
                crate::store::Column::new("position", crate::store::ColumnType::Int),
                crate::store::Column::new("customer_id", crate::store::ColumnType::Id),
                crate::store::Column::new("owner_id", crate::store::ColumnType::Id),
                crate::store::Column::new("doc_date", crate::store::ColumnType::Date),
                crate::store::Column::new("product_id", crate::store::ColumnType::Id)
                    .refs("product", crate::store::OnDelete::Restrict),
                crate::store::Column::new("product_code", crate::store::ColumnType::Text),
                crate::store::Column::new("product_name", crate::store::ColumnType::Text),
                crate::store::Column::nullable("spec", crate::store::ColumnType::Text),
                crate::store::Column::new("unit", crate::store::ColumnType::Text),
                crate::store::Column::new("quantity", crate::store::ColumnType::Decimal),
                crate::store::Column::new("unit_price", crate::store::ColumnType::Decimal),
                crate::store::Column::new("price_includes_tax", crate::store::ColumnType::Bool),
                crate::store::Column::new("discount", crate::store::ColumnType::Decimal),
                crate::store::Column::new("tax_rate", crate::store::ColumnType::Decimal),
                crate::store::Column::new("net", crate::store::ColumnType::Decimal),
                crate::store::Column::new("tax", crate::store::ColumnType::Decimal),
                crate::store::Column::new("gross", crate::store::ColumnType::Decimal),
                crate::store::Column::new("unit_price_exclusive", crate::store::ColumnType::Decimal),
                crate::store::Column::new("unit_price_inclusive", crate::store::ColumnType::Decimal),
                crate::store::Column::nullable("note", crate::store::ColumnType::Text),
                crate::store::Column::new("booked", crate::store::ColumnType::Bool),
            ],
            indexes: &[
                crate::store::Index {
                    name: concat!($name, "_doc"),
                    columns: &[$doc_col],
                    unique: false,
                },
                crate::store::Index {
                    name: concat!($name, "_owner_date"),
                    columns: &["owner_id", "doc_date"],
                    unique: false,
                },
                crate::store::Index {
                    name: concat!($name, "_product"),
                    columns: &["product_id"],
                    unique: false,
                },
            ],
        };

        impl crate::store::Entity for $ty {
            const KIND: &'static crate::store::Kind = &$kind;
            fn id(&self) -> Uuid {
                self.0.id
            }
            fn to_values(&self) -> Vec<Value> {
                self.0.values()
            }
            fn from_record(r: &Record) -> Result<Self> {
                DocLine::read(r, $doc_col).map($ty)
            }
        }
    };
}

line_kind!(
    /// A line of a quote.
    QuoteLine,
    QUOTE_LINE,
    "quote_line",
    "quote_id",
    "quote"
);
line_kind!(
    /// A line of a sales order.
    OrderLine,
    SALES_ORDER_LINE,
    "sales_order_line",
    "order_id",
    "sales_order"
);

/// The header facts every line of a document repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineContext {
    /// The document.
    pub doc_id: Uuid,
    /// Its customer.
    pub customer_id: Uuid,
    /// Its owner.
    pub owner_id: Uuid,
    /// Its date.
    pub doc_date: NaiveDate,
}

/// A customer's last price of a product, offered on a new line (see [`crate::sales::LastPrice`]).
pub type OfferedPrices = HashMap<Uuid, EnteredPrice>;

fn check_decimals(field: &str, v: Decimal) -> Result<()> {
    if v.normalize().scale() > MAX_DECIMALS {
        return Err(Error::invalid(
            field,
            format!("{v} has more than {MAX_DECIMALS} decimal places"),
        ));
    }
    Ok(())
}

/// Prices the drafts of one document: checks each line, fills the price (given, else the
/// customer's last price of the product from `offered`, else the product's sale price) and the
/// tax rate (given, else the product's), and computes every amount with [`compute_document`].
///
/// # Errors
/// [`Error::Invalid`] naming the line and field (`lines[2].quantity`): no lines, a quantity
/// that is not more than zero, too many decimals, a discount outside 0–1 (over 100 %), an
/// unknown or inactive product; [`Error::Overflow`].
pub fn price_lines(
    ctx: LineContext,
    drafts: &[LineDraft],
    products: &HashMap<Uuid, Product>,
    offered: &OfferedPrices,
    settings: &TaxSettings,
    mut new_id: impl FnMut() -> Uuid,
) -> Result<(Vec<DocLine>, DocumentTotals)> {
    if drafts.is_empty() {
        return Err(Error::invalid(
            "lines",
            "a document needs at least one line",
        ));
    }
    let mut inputs = Vec::with_capacity(drafts.len());
    let mut chosen = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let product = products.get(&d.product_id).ok_or_else(|| {
            Error::invalid(at("product_id"), format!("no product {}", d.product_id))
        })?;
        if !product.active {
            return Err(Error::invalid(
                at("product_id"),
                format!("product {} {} is inactive", product.code, product.name),
            ));
        }
        if d.quantity <= Decimal::ZERO {
            return Err(Error::invalid(
                at("quantity"),
                format!("{} is not more than zero", d.quantity),
            ));
        }
        check_decimals(&at("quantity"), d.quantity)?;
        let price = d
            .price
            .or_else(|| offered.get(&d.product_id).copied())
            .unwrap_or_else(|| {
                EnteredPrice::from_parts(product.sale_price, product.price_includes_tax)
            });
        let (unit_price, basis) = price.parts();
        check_decimals(&at("price"), unit_price)?;
        let tax_rate = d.tax_rate.unwrap_or(product.tax_rate);
        let input = LineInput {
            quantity: d.quantity,
            unit_price,
            basis,
            discount: d.discount,
            tax_rate,
        };
        input.validate().map_err(|e| match e {
            Error::Invalid { field, reason } => Error::invalid(at(&field), reason),
            e => e,
        })?;
        check_decimals(&at("discount"), d.discount)?;
        if let Some(note) = &d.note {
            crate::text::check_text(&at("note"), note, 0, 200)?;
        }
        inputs.push(input);
        chosen.push((product, price));
    }
    let totals = compute_document(&inputs, settings)?;
    let lines = drafts
        .iter()
        .zip(chosen)
        .zip(&totals.lines)
        .enumerate()
        .map(|(i, ((d, (product, price)), amounts))| {
            let (unit_price, basis) = price.parts();
            DocLine {
                id: new_id(),
                doc_id: ctx.doc_id,
                position: i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1),
                customer_id: ctx.customer_id,
                owner_id: ctx.owner_id,
                doc_date: ctx.doc_date,
                product_id: product.id,
                product_code: product.code.clone(),
                product_name: product.name.clone(),
                spec: product.spec.clone(),
                unit: product.unit.clone(),
                quantity: d.quantity,
                unit_price,
                price_includes_tax: basis == PriceBasis::TaxInclusive,
                discount: d.discount,
                tax_rate: inputs[i].tax_rate,
                net: amounts.net,
                tax: amounts.tax,
                gross: amounts.gross,
                unit_price_exclusive: amounts.unit_price_exclusive,
                unit_price_inclusive: amounts.unit_price_inclusive,
                note: d
                    .note
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned),
                booked: false,
            }
        })
        .collect();
    Ok((lines, totals))
}

/// The largest discount on any line.
pub fn max_discount(lines: &[DocLine]) -> Decimal {
    lines
        .iter()
        .map(|l| l.discount)
        .max()
        .unwrap_or(Decimal::ZERO)
}

/// A fingerprint of what an approval covers: every line's product, quantity, entered price and
/// basis, discount and tax rate, in order. Two line lists with the same fingerprint charge the
/// same amounts; any change of price or quantity changes it.
pub fn price_fingerprint(lines: &[DocLine]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for l in lines {
        let _ = write!(
            s,
            "{}|{}|{}|{}|{}|{};",
            l.product_id,
            l.quantity.normalize(),
            l.unit_price.normalize(),
            l.price_includes_tax,
            l.discount.normalize(),
            l.tax_rate.normalize()
        );
    }
    s
}
