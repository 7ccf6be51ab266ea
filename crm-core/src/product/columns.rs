//! The product spreadsheet: columns, their usual Chinese and English headers, and reading one
//! row into a [`ProductInput`].

use rust_decimal::Decimal;

use super::ProductInput;
use crate::error::{Error, Result};
use crate::table::{HeaderMapping, ResolvedMapping, TableRow};

/// A column of the product spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductField {
    /// 商品编码.
    Code,
    /// 商品名称.
    Name,
    /// 规格型号.
    Spec,
    /// 商品分类.
    Category,
    /// 单位.
    Unit,
    /// 销售单价.
    SalePrice,
    /// 是否含税 (是/否, 含税/不含税, Y/N).
    PriceIncludesTax,
    /// 税率 (`13%` or `0.13`).
    TaxRate,
    /// 采购单价.
    PurchasePrice,
    /// 安全库存.
    SafetyStock,
    /// 是否启用 (是/否); absent means active.
    Active,
}

const HEADERS: &[(ProductField, &[&str])] = &[
    (
        ProductField::Code,
        &["商品编码", "编码", "货号", "物料编码", "code", "sku"],
    ),
    (
        ProductField::Name,
        &["商品名称", "名称", "品名", "name", "product name"],
    ),
    (
        ProductField::Spec,
        &["规格型号", "规格", "型号", "spec", "specification"],
    ),
    (
        ProductField::Category,
        &["商品分类", "分类", "类别", "category"],
    ),
    (ProductField::Unit, &["单位", "计量单位", "unit"]),
    (
        ProductField::SalePrice,
        &["销售单价", "售价", "单价", "sale price", "price"],
    ),
    (
        ProductField::PriceIncludesTax,
        &["是否含税", "含税", "price includes tax"],
    ),
    (ProductField::TaxRate, &["税率", "tax rate"]),
    (
        ProductField::PurchasePrice,
        &["采购单价", "采购价", "进价", "purchase price"],
    ),
    (ProductField::SafetyStock, &["安全库存", "safety stock"]),
    (
        ProductField::Active,
        &["是否启用", "启用", "状态", "active"],
    ),
];

/// The fields a product file must have.
pub const REQUIRED: &[ProductField] = &[
    ProductField::Code,
    ProductField::Name,
    ProductField::Unit,
    ProductField::SalePrice,
    ProductField::TaxRate,
];

/// The usual headers of each field (the first is the one messages use).
///
/// ```
/// use crm_core::product::columns::{default_mapping, ProductField, REQUIRED};
/// let headers: Vec<String> = ["货号", "品名", "单位", "售价", "税率"].map(String::from).into();
/// let m = default_mapping().resolve(&headers, REQUIRED)?;
/// assert_eq!(m.column(ProductField::Code), Some(0));
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn default_mapping() -> HeaderMapping<ProductField> {
    HEADERS
        .iter()
        .fold(HeaderMapping::new(), |m, (f, names)| m.field(*f, names))
}

fn decimal(field: &str, s: &str) -> Result<Decimal> {
    let t: String = s
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',')
        .collect();
    t.parse()
        .map_err(|_| Error::invalid(field, format!("{s:?} is not a number")))
}

fn yes_no(field: &str, s: &str) -> Result<bool> {
    match s.trim().to_lowercase().as_str() {
        "是" | "含税" | "y" | "yes" | "true" | "1" | "启用" | "有效" => Ok(true),
        "否" | "不含税" | "n" | "no" | "false" | "0" | "停用" | "禁用" | "无效" => {
            Ok(false)
        }
        _ => Err(Error::invalid(field, format!("{s:?} is neither 是 nor 否"))),
    }
}

/// A tax rate written `13%`, `13` or `0.13`, as a fraction.
fn rate(s: &str) -> Result<Decimal> {
    let t = s.trim();
    let (num, percent) = match t.strip_suffix(['%', '％']) {
        Some(n) => (n, true),
        None => (t, false),
    };
    let v = decimal("tax_rate", num)?;
    Ok(if percent || v >= Decimal::ONE {
        v / Decimal::ONE_HUNDRED
    } else {
        v
    })
}

/// Reads one row into a product input (unchecked: [`ProductInput::check`] does that).
///
/// # Errors
/// [`Error::Invalid`] naming the field whose cell does not parse.
pub fn read_row(m: &ResolvedMapping<ProductField>, row: &TableRow) -> Result<ProductInput> {
    let text = |f| m.get(row, f).map(str::to_owned);
    let req = |f, name: &str| {
        m.get(row, f)
            .map(str::to_owned)
            .ok_or_else(|| Error::invalid(name, "is empty"))
    };
    Ok(ProductInput {
        code: req(ProductField::Code, "code")?,
        name: req(ProductField::Name, "name")?,
        spec: text(ProductField::Spec),
        category: text(ProductField::Category),
        unit: req(ProductField::Unit, "unit")?,
        sale_price: decimal("sale_price", &req(ProductField::SalePrice, "sale_price")?)?,
        price_includes_tax: m
            .get(row, ProductField::PriceIncludesTax)
            .map(|s| yes_no("price_includes_tax", s))
            .transpose()?
            .unwrap_or(false),
        tax_rate: rate(&req(ProductField::TaxRate, "tax_rate")?)?,
        purchase_price: m
            .get(row, ProductField::PurchasePrice)
            .map(|s| decimal("purchase_price", s))
            .transpose()?,
        safety_stock: m
            .get(row, ProductField::SafetyStock)
            .map(|s| decimal("safety_stock", s))
            .transpose()?,
        active: m
            .get(row, ProductField::Active)
            .map(|s| yes_no("active", s))
            .transpose()?
            .unwrap_or(true),
    })
}
