//! The product record, its input and its search criteria.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{
    Column, ColumnType as T, Entity, Fields, Filter, Index, Kind, Order, Record, Value,
};
use crate::text;

/// A product of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Id.
    pub id: Uuid,
    /// Product code (商品编码).
    pub code: String,
    /// Name.
    pub name: String,
    /// Specification / model (规格型号).
    pub spec: Option<String>,
    /// The normalised code + name + specification that duplicate detection works on (unique).
    pub product_key: String,
    /// Category (商品分类).
    pub category: Option<String>,
    /// Unit of measure (个, 台, 箱, kg …).
    pub unit: String,
    /// Default sale price.
    pub sale_price: Decimal,
    /// Whether `sale_price` includes VAT.
    pub price_includes_tax: bool,
    /// VAT rate as a fraction (0.13).
    pub tax_rate: Decimal,
    /// Purchase price.
    pub purchase_price: Option<Decimal>,
    /// Safety stock (安全库存): below this, inventory raises an alert.
    pub safety_stock: Option<Decimal>,
    /// Inactive products are kept for history but offered on no new document.
    pub active: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// Folded code, name and specification for contains-searches (derived).
    pub search_text: String,
}

/// The `product` kind.
pub static PRODUCT: Kind = Kind {
    name: "product",
    columns: &[
        Column::new("code", T::Text),
        Column::new("name", T::Text),
        Column::nullable("spec", T::Text),
        Column::new("product_key", T::Text),
        Column::nullable("category", T::Text),
        Column::new("unit", T::Text),
        Column::new("sale_price", T::Decimal),
        Column::new("price_includes_tax", T::Bool),
        Column::new("tax_rate", T::Decimal),
        Column::nullable("purchase_price", T::Decimal),
        Column::nullable("safety_stock", T::Decimal),
        Column::new("active", T::Bool),
        Column::new("created_at", T::Timestamp),
        Column::new("updated_at", T::Timestamp),
        Column::new("search_text", T::Text),
    ],
    indexes: &[
        Index {
            name: "product_key",
            columns: &["product_key"],
            unique: true,
        },
        Index {
            name: "product_code",
            columns: &["code"],
            unique: false,
        },
        Index {
            name: "product_category",
            columns: &["category"],
            unique: false,
        },
    ],
};

impl Entity for Product {
    const KIND: &'static Kind = &PRODUCT;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.code.clone().into(),
            self.name.clone().into(),
            self.spec.clone().into(),
            self.product_key.clone().into(),
            self.category.clone().into(),
            self.unit.clone().into(),
            self.sale_price.into(),
            self.price_includes_tax.into(),
            self.tax_rate.into(),
            self.purchase_price.into(),
            self.safety_stock.into(),
            self.active.into(),
            self.created_at.into(),
            self.updated_at.into(),
            self.search_text.clone().into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Product {
            id: r.id,
            code: f.text("code")?,
            name: f.text("name")?,
            spec: f.opt_text("spec")?,
            product_key: f.text("product_key")?,
            category: f.opt_text("category")?,
            unit: f.text("unit")?,
            sale_price: f.decimal("sale_price")?,
            price_includes_tax: f.boolean("price_includes_tax")?,
            tax_rate: f.decimal("tax_rate")?,
            purchase_price: f.opt_decimal("purchase_price")?,
            safety_stock: f.opt_decimal("safety_stock")?,
            active: f.boolean("active")?,
            created_at: f.timestamp("created_at")?,
            updated_at: f.timestamp("updated_at")?,
            search_text: f.text("search_text")?,
        })
    }
}

/// The duplicate key of a product: code, name and specification, each folded (width, case)
/// and stripped of white space and punctuation, joined by a separator no part contains.
///
/// ```
/// use crm_core::product::product_key;
/// assert_eq!(product_key("A-100", "螺丝刀", Some("十字 6mm")), product_key("ａ100", "螺丝刀", Some("十字6MM")));
/// assert_ne!(product_key("A-100", "螺丝刀", Some("十字 6mm")), product_key("A-100", "螺丝刀", Some("一字 6mm")));
/// ```
pub fn product_key(code: &str, name: &str, spec: Option<&str>) -> String {
    let part = |s: &str| -> String {
        text::fold_text(s)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect()
    };
    format!(
        "{}\u{1f}{}\u{1f}{}",
        part(code),
        part(name),
        spec.map(part).unwrap_or_default()
    )
}

/// A product as typed by a user or read from an import row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct ProductInput {
    /// Product code (1–50 characters).
    pub code: String,
    /// Name (1–100 characters).
    pub name: String,
    /// Specification / model.
    #[builder(default)]
    pub spec: Option<String>,
    /// Category.
    #[builder(default)]
    pub category: Option<String>,
    /// Unit of measure (1–10 characters).
    pub unit: String,
    /// Default sale price (≥ 0, at most 6 decimals).
    pub sale_price: Decimal,
    /// Whether the sale price includes VAT.
    #[builder(default)]
    pub price_includes_tax: bool,
    /// VAT rate as a fraction, 0 ≤ rate < 1 (0.13 for 13 %).
    pub tax_rate: Decimal,
    /// Purchase price (≥ 0, at most 6 decimals).
    #[builder(default)]
    pub purchase_price: Option<Decimal>,
    /// Safety stock (≥ 0, at most 4 decimals).
    #[builder(default)]
    pub safety_stock: Option<Decimal>,
    /// Offered on new documents.
    #[builder(default = true)]
    pub active: bool,
}

fn amount(field: &str, v: Decimal, decimals: u32) -> Result<Decimal> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(Error::invalid(field, format!("{v} is negative")));
    }
    if v.normalize().scale() > decimals {
        return Err(Error::invalid(
            field,
            format!("{v} has more than {decimals} decimal places"),
        ));
    }
    Ok(v)
}

fn opt(field: &str, v: &Option<String>, max: usize) -> Result<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => text::check_text(field, s, 1, max).map(Some),
    }
}

impl ProductInput {
    /// Checks every field and builds the product (or, with `existing`, its new state).
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first offending field.
    pub fn check(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        existing: Option<&Product>,
    ) -> Result<Product> {
        let code = text::check_text("code", &self.code, 1, 50)?;
        let name = text::check_text("name", &self.name, 1, 100)?;
        let spec = opt("spec", &self.spec, 100)?;
        if !(Decimal::ZERO..Decimal::ONE).contains(&self.tax_rate)
            || self.tax_rate.normalize().scale() > 4
        {
            return Err(Error::invalid(
                "tax_rate",
                format!(
                    "{} is not a rate between 0 and 1 (0.13 for 13 %)",
                    self.tax_rate
                ),
            ));
        }
        let product_key = product_key(&code, &name, spec.as_deref());
        let search_text = [Some(code.as_str()), Some(name.as_str()), spec.as_deref()]
            .into_iter()
            .flatten()
            .map(text::fold_text)
            .collect::<Vec<_>>()
            .join("\u{1f}");
        Ok(Product {
            id,
            product_key,
            search_text,
            category: opt("category", &self.category, 50)?,
            unit: text::check_text("unit", &self.unit, 1, 10)?,
            sale_price: amount("sale_price", self.sale_price, 6)?,
            price_includes_tax: self.price_includes_tax,
            tax_rate: self.tax_rate,
            purchase_price: self
                .purchase_price
                .map(|p| amount("purchase_price", p, 6))
                .transpose()?,
            safety_stock: self
                .safety_stock
                .map(|s| amount("safety_stock", s, 4))
                .transpose()?,
            active: self.active,
            created_at: existing.map_or(now, |p| p.created_at),
            updated_at: now,
            code,
            name,
            spec,
        })
    }
}

/// Product search criteria; every criterion given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct ProductSearch {
    /// Code, name or specification contains (width- and case-insensitive).
    #[builder(default)]
    pub text: Option<String>,
    /// Category is one of.
    #[builder(default)]
    pub categories: Vec<String>,
    /// Include inactive products.
    #[builder(default)]
    pub include_inactive: bool,
    /// Results to skip.
    #[builder(default)]
    pub offset: u64,
    /// Page size (at most 1000).
    #[builder(default = 50)]
    pub limit: u64,
}

impl Default for ProductSearch {
    fn default() -> Self {
        ProductSearch::builder().build()
    }
}

impl ProductSearch {
    /// The criteria as a store filter.
    pub fn filter(&self) -> Filter {
        let mut all = Vec::new();
        if !self.include_inactive {
            all.push(Filter::Eq("active", Value::Bool(true)));
        }
        if let Some(t) = self
            .text
            .as_deref()
            .map(text::fold_text)
            .filter(|t| !t.is_empty())
        {
            all.push(Filter::Contains("search_text", t));
        }
        if !self.categories.is_empty() {
            all.push(Filter::In(
                "category",
                self.categories
                    .iter()
                    .map(|c| Value::Text(c.clone()))
                    .collect(),
            ));
        }
        Filter::And(all)
    }

    /// Sorted by code, then name.
    pub fn order(&self) -> Vec<Order> {
        vec![Order::asc("code"), Order::asc("name")]
    }
}
