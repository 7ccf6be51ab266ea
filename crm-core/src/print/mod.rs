//! Printing quotes and sales contracts (报价单和合同的个性化输出) through templates.
//!
//! A document is turned into a [`PrintDocument`] (every figure already formatted, exactly as the
//! one tax function computed it, plus the gross in Chinese capital numerals) and rendered with a
//! [`PrintTemplate`]: the library's defaults ([`PrintTemplate::default_quote`],
//! [`PrintTemplate::default_contract`], HTML with print styles for A4), or the integrator's own
//! Jinja-syntax template ([`PrintTemplate::new`]). Rendering uses `minijinja`, a well-kept
//! template engine with Jinja2 syntax that integrators already know, with HTML auto-escaping
//! on, so a customer named `<script>` prints as text.
//!
//! The template sees `company`, `customer`, `doc` (`number`, `date`, `valid_until`,
//! `delivery_date`, `terms`), `lines` (`position`, `code`, `name`, `spec`, `unit`, `quantity`,
//! `unit_price_exclusive`, `unit_price_inclusive`, `discount`, `tax_rate`, `net`, `tax`,
//! `gross`), `totals` (`net`, `tax`, `gross`, `gross_display`, `gross_capitals`, `by_rate`) and
//! `css`, the default style sheet.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::customer::Customer;
use crate::error::{Error, Result};
use crate::money::RateTotals;
use crate::sales::DocLine;
use crate::settings::CompanyProfile;
use crate::text::{amount_in_capitals, format_yuan};

const CSS: &str = include_str!("templates/base.css");
const QUOTE: &str = include_str!("templates/quote.html");
const CONTRACT: &str = include_str!("templates/contract.html");

/// A compiled template.
#[derive(Debug)]
pub struct PrintTemplate {
    env: minijinja::Environment<'static>,
}

impl PrintTemplate {
    /// Compiles an integrator's template (Jinja syntax; HTML auto-escaped).
    ///
    /// ```
    /// use crm_core::print::PrintTemplate;
    /// assert!(PrintTemplate::new("<p>{{ doc.number }}</p>").is_ok());
    /// assert!(PrintTemplate::new("<p>{{ doc.number </p>").is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `template`) with the engine's explanation and line.
    pub fn new(source: impl Into<String>) -> Result<Self> {
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template_owned("doc", source.into())
            .map_err(|e| Error::invalid("template", e.to_string()))?;
        Ok(PrintTemplate { env })
    }

    /// The default quote (报价单).
    pub fn default_quote() -> Self {
        Self::builtin(QUOTE)
    }

    /// The default sales contract (销售合同).
    pub fn default_contract() -> Self {
        Self::builtin(CONTRACT)
    }

    fn builtin(src: &'static str) -> Self {
        let mut env = minijinja::Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        // The built-in templates are tested (`print_renders_the_default_*`); a syntax error
        // in them is a bug of this crate, reported at render time below.
        let _ = env.add_template("doc", src);
        PrintTemplate { env }
    }

    /// Renders a document.
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `template`) when the template fails on this document (an
    /// unknown variable, a bad filter).
    pub fn render(&self, doc: &PrintDocument) -> Result<String> {
        self.env
            .get_template("doc")
            .and_then(|t| t.render(doc))
            .map_err(|e| Error::invalid("template", e.to_string()))
    }
}

/// A party of a printed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintParty {
    /// Name.
    pub name: String,
    /// Address.
    pub address: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// Unified social credit code.
    pub tax_id: Option<String>,
    /// Bank.
    pub bank_name: Option<String>,
    /// Bank account.
    pub bank_account: Option<String>,
}

impl From<&CompanyProfile> for PrintParty {
    fn from(c: &CompanyProfile) -> Self {
        PrintParty {
            name: c.name.clone(),
            address: c.address.clone(),
            phone: c.phone.clone(),
            tax_id: c.tax_id.clone(),
            bank_name: c.bank_name.clone(),
            bank_account: c.bank_account.clone(),
        }
    }
}

impl From<&Customer> for PrintParty {
    fn from(c: &Customer) -> Self {
        let address = [
            c.province.as_deref(),
            c.city.as_deref(),
            c.address.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<String>();
        PrintParty {
            name: c.name.clone(),
            address: (!address.is_empty()).then_some(address),
            phone: c.phone.clone(),
            tax_id: c.credit_code.clone(),
            bank_name: c.bank_name.clone(),
            bank_account: c.bank_account.clone(),
        }
    }
}

/// The document's header facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintHeader {
    /// Number.
    pub number: String,
    /// Date.
    pub date: NaiveDate,
    /// Valid until (quotes).
    pub valid_until: Option<NaiveDate>,
    /// Delivery date (orders).
    pub delivery_date: Option<NaiveDate>,
    /// Terms.
    pub terms: Option<String>,
}

/// One printed line, every figure formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintLine {
    /// From 1.
    pub position: i64,
    /// Product code.
    pub code: String,
    /// Product name.
    pub name: String,
    /// Specification ("" when none).
    pub spec: String,
    /// Unit.
    pub unit: String,
    /// Quantity, without trailing zeros.
    pub quantity: String,
    /// Unit price excluding tax, 2–6 places.
    pub unit_price_exclusive: String,
    /// Unit price including tax, 2–6 places.
    pub unit_price_inclusive: String,
    /// Discount as a percentage ("" when none), e.g. `12%`.
    pub discount: String,
    /// Tax rate as a percentage, e.g. `13%`.
    pub tax_rate: String,
    /// Net, with thousands separators.
    pub net: String,
    /// Tax.
    pub tax: String,
    /// Gross.
    pub gross: String,
}

/// One tax rate's totals, formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintRate {
    /// The rate, e.g. `13%`.
    pub rate: String,
    /// Net.
    pub net: String,
    /// Tax.
    pub tax: String,
    /// Gross.
    pub gross: String,
}

/// The totals, formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintTotals {
    /// Net.
    pub net: String,
    /// Tax.
    pub tax: String,
    /// Gross.
    pub gross: String,
    /// Gross with thousands separators (`12,345.67`), for after a `¥`.
    pub gross_display: String,
    /// Gross in capital numerals (壹万贰仟叁佰肆拾伍元陆角柒分).
    pub gross_capitals: String,
    /// Per tax rate, highest first.
    pub by_rate: Vec<PrintRate>,
}

/// Everything a template sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintDocument {
    /// Our company.
    pub company: PrintParty,
    /// The customer.
    pub customer: PrintParty,
    /// Header.
    pub doc: PrintHeader,
    /// Lines.
    pub lines: Vec<PrintLine>,
    /// Totals.
    pub totals: PrintTotals,
    /// The default style sheet, for templates that want it.
    pub css: &'static str,
}

fn percent(rate: Decimal) -> String {
    format!("{}%", (rate * Decimal::ONE_HUNDRED).normalize())
}

/// An amount as printed in a table cell: `12,345.67` (the sign kept, no currency mark).
fn amount(d: Decimal) -> String {
    format_yuan(d).replacen('¥', "", 1)
}

fn price(p: Decimal) -> String {
    let n = p.normalize();
    if n.scale() < 2 {
        format!("{:.2}", n)
    } else {
        n.to_string()
    }
}

impl PrintDocument {
    /// Builds the printable form of a document's lines and totals. The totals are the sums of
    /// the stored lines (which the tax function made), so the print shows exactly what is
    /// stored; `by_rate` groups them per rate.
    ///
    /// # Errors
    /// [`Error::Overflow`] for a total beyond what capital numerals can write.
    pub fn build(
        company: &CompanyProfile,
        customer: &Customer,
        doc: PrintHeader,
        lines: &[&DocLine],
    ) -> Result<Self> {
        let mut rates: Vec<RateTotals> = vec![];
        for l in lines {
            match rates.iter_mut().find(|r| r.rate == l.tax_rate) {
                Some(r) => {
                    r.net += l.net;
                    r.tax += l.tax;
                    r.gross += l.gross;
                }
                None => rates.push(RateTotals {
                    rate: l.tax_rate,
                    net: l.net,
                    tax: l.tax,
                    gross: l.gross,
                }),
            }
        }
        rates.sort_by_key(|r| std::cmp::Reverse(r.rate));
        let sum = |f: fn(&DocLine) -> Decimal| lines.iter().map(|l| f(l)).sum::<Decimal>();
        let (net, tax, gross) = (sum(|l| l.net), sum(|l| l.tax), sum(|l| l.gross));
        Ok(PrintDocument {
            company: company.into(),
            customer: customer.into(),
            doc,
            lines: lines
                .iter()
                .map(|l| PrintLine {
                    position: l.position,
                    code: l.product_code.clone(),
                    name: l.product_name.clone(),
                    spec: l.spec.clone().unwrap_or_default(),
                    unit: l.unit.clone(),
                    quantity: l.quantity.normalize().to_string(),
                    unit_price_exclusive: price(l.unit_price_exclusive),
                    unit_price_inclusive: price(l.unit_price_inclusive),
                    discount: if l.discount.is_zero() {
                        String::new()
                    } else {
                        percent(l.discount)
                    },
                    tax_rate: percent(l.tax_rate),
                    net: amount(l.net),
                    tax: amount(l.tax),
                    gross: amount(l.gross),
                })
                .collect(),
            totals: PrintTotals {
                net: amount(net),
                tax: amount(tax),
                gross: amount(gross),
                gross_display: amount(gross),
                gross_capitals: amount_in_capitals(gross)?,
                by_rate: rates
                    .iter()
                    .map(|r| PrintRate {
                        rate: percent(r.rate),
                        net: amount(r.net),
                        tax: amount(r.tax),
                        gross: amount(r.gross),
                    })
                    .collect(),
            },
            css: CSS,
        })
    }
}
