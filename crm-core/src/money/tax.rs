//! Value-added tax: rates as data, price conversions, and [`compute_document`], the one function
//! that turns lines into amounts and totals.
//!
//! # One function for every total
//!
//! The classic bug of sales software is a quote, an order and an invoice for the same
//! goods that disagree by a cent, because each screen rounded tax its own way, or because a
//! tax-inclusive price and its tax-exclusive equivalent were rounded in different places. Here
//! every document (quote, order, shipping notice, invoice, purchase order) computes its amounts
//! with [`compute_document`] and one [`TaxSettings`], so the same lines always give the same
//! totals, and in every result `gross == net + tax` and the totals are exactly the sums of the
//! lines.
//!
//! # The rules
//!
//! All amounts are rounded to 2 places (分) with the policy of the settings.
//!
//! * **Tax-exclusive line** (不含税单价): `net = round(qty × price × (1 − discount))`,
//!   `tax = round(net × rate)`, `gross = net + tax`.
//! * **Tax-inclusive line** (含税单价): `gross = round(qty × price × (1 − discount))`,
//!   `net = round(gross / (1 + rate))`, `tax = gross − net` (see [`split_gross`]). The gross is
//!   what the customer agreed to pay, so it is never changed by the tax split.
//!
//! # Per line or per document
//!
//! Rounding the tax of each line and adding the results ([`TaxRounding::PerLine`]) can differ
//! from rounding the tax of the total once ([`TaxRounding::PerDocument`]): three lines of 0.10 at
//! 13 % have 0.01 of tax each, 0.03 in all, while 13 % of 0.30 is 0.039, rounded 0.04.
//!
//! **Per line is the Chinese invoice practice and the default.** A 增值税发票 (special or
//! ordinary, paper or fully digital 数电票) prints, for every line, the amount excluding tax
//! (金额), the rate (税率) and the tax (税额) rounded to the fen, and the invoice's total tax
//! (合计税额) is the sum of the lines. Computing per line gives exactly the figures the invoice
//! will carry.
//!
//! Per document is what some ERPs offer (Odoo's "round globally") and some foreign regimes
//! expect: the total tax is the rate applied to the total, closest to the exact tax. Lines are
//! grouped by rate (and price basis); a tax-exclusive group's tax is `round(Σ net × rate)`, a
//! tax-inclusive group's net is `round(Σ gross / (1 + rate))` and its tax `Σ gross − net`. The
//! group's tax is then spread back over its lines in proportion to their nets with the
//! largest-remainder method ([`round_to_total`]), so line taxes still add up exactly to the
//! document's tax, each line's tax is within a fen of its exact share, and every line still has
//! `net + tax = gross` (a tax-exclusive line keeps its net, a tax-inclusive one its gross).
//!
//! # Credit (red-letter) lines
//!
//! A quantity may be negative: a return, or a line of a 红字发票. All policies round
//! symmetrically around zero, so a credit note of the same lines with negated quantities has
//! exactly the negated amounts of the original.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{round, round_to_total, RoundingPolicy};
use crate::error::{Error, Result};

/// Decimal places of every amount (net, tax, gross): the fen.
const AMOUNT_DECIMALS: u32 = 2;

/// A named tax rate, such as 13 % VAT.
///
/// Rates are data: the host stores the ones it uses (the rates change; the 2019 reform moved
/// 16 % to 13 % and 10 % to 9 %), and lines carry the rate they were sold at.
///
/// ```
/// use crm_core::money::TaxRate;
/// use rust_decimal_macros::dec;
///
/// let vat = TaxRate::new("VAT13", "13% 增值税", dec!(0.13))?;
/// assert_eq!(vat.rate(), dec!(0.13));
/// assert!(TaxRate::new("BAD", "百分之百", dec!(1)).is_err());
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "TaxRateRecord")]
pub struct TaxRate {
    code: String,
    name: String,
    rate: Decimal,
}

/// The unchecked shape of a [`TaxRate`], so deserializing goes through [`TaxRate::new`].
#[derive(Deserialize)]
struct TaxRateRecord {
    code: String,
    name: String,
    rate: Decimal,
}

impl TryFrom<TaxRateRecord> for TaxRate {
    type Error = Error;

    fn try_from(r: TaxRateRecord) -> Result<Self> {
        TaxRate::new(r.code, r.name, r.rate)
    }
}

impl TaxRate {
    /// A tax rate with a short `code` (what lines and settings refer to), a display `name`, and
    /// the `rate` as a fraction (`0.13` for 13 %).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `code`) if the code is blank; (field `rate`) unless
    /// `0 <= rate < 1`.
    ///
    /// ```
    /// use crm_core::money::TaxRate;
    /// use rust_decimal_macros::dec;
    ///
    /// assert!(TaxRate::new("VAT5", "5% 征收率", dec!(0.05)).is_ok());
    /// assert!(TaxRate::new(" ", "无代码", dec!(0.05)).is_err());
    /// assert!(TaxRate::new("NEG", "负税率", dec!(-0.01)).is_err());
    /// ```
    pub fn new(code: impl Into<String>, name: impl Into<String>, rate: Decimal) -> Result<Self> {
        let code = code.into();
        if code.trim().is_empty() {
            return Err(Error::invalid("code", "a tax rate needs a code"));
        }
        check_rate("rate", rate)?;
        Ok(TaxRate {
            code,
            name: name.into(),
            rate,
        })
    }

    /// The short code, e.g. `VAT13`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The display name, e.g. `13% 增值税`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rate as a fraction, e.g. `0.13`.
    pub fn rate(&self) -> Decimal {
        self.rate
    }

    /// The VAT rates of mainland China (since April 2019), highest first:
    ///
    /// | code    | rate | typical use                                                  |
    /// |---------|------|--------------------------------------------------------------|
    /// | `VAT13` | 13 % | goods, processing and repairs, leasing of movable property   |
    /// | `VAT9`  | 9 %  | transport, construction, real estate, farm produce, utilities |
    /// | `VAT6`  | 6 %  | modern services, finance, telecom value-added services        |
    /// | `VAT3`  | 3 %  | levy rate (征收率) of small-scale taxpayers                   |
    /// | `VAT0`  | 0 %  | zero-rated exports and cross-border services                  |
    ///
    /// ```
    /// use crm_core::money::TaxRate;
    /// use rust_decimal_macros::dec;
    ///
    /// let rates = TaxRate::common_china();
    /// assert_eq!(rates[0].name(), "13% 增值税");
    /// assert!(rates.iter().any(|r| r.rate() == dec!(0.06)));
    /// ```
    pub fn common_china() -> Vec<TaxRate> {
        [
            ("VAT13", "13% 增值税", 13),
            ("VAT9", "9% 增值税", 9),
            ("VAT6", "6% 增值税", 6),
            ("VAT3", "3% 增值税征收率", 3),
            ("VAT0", "0% 增值税零税率", 0),
        ]
        .into_iter()
        .map(|(code, name, percent)| TaxRate {
            code: code.to_owned(),
            name: name.to_owned(),
            rate: Decimal::new(percent, 2),
        })
        .collect()
    }
}

/// Whether a unit price includes tax.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// 不含税: the price excludes tax; tax is added on top. Usual between businesses.
    #[default]
    TaxExclusive,
    /// 含税: the price includes tax; the tax is split out of it. Usual in retail.
    TaxInclusive,
}

/// Where tax is rounded; see the [module documentation](self#per-line-or-per-document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxRounding {
    /// Each line's tax is rounded, and the document's tax is their sum. What a 增值税发票 prints.
    #[default]
    PerLine,
    /// The tax of each rate's total is rounded once, then spread back over the lines.
    PerDocument,
}

/// How [`compute_document`] rounds. Use one value for every document of a company.
///
/// ```
/// use crm_core::money::{RoundingPolicy, TaxRounding, TaxSettings};
///
/// let settings = TaxSettings::default();
/// assert_eq!(settings.rounding, TaxRounding::PerLine);
/// assert_eq!(settings.policy, RoundingPolicy::HalfUp);
/// assert_eq!(settings.unit_price_decimals, 6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct TaxSettings {
    /// Per line (default) or per document.
    pub rounding: TaxRounding,
    /// The rounding policy of every amount and derived price (default 四舍五入, half up).
    pub policy: RoundingPolicy,
    /// Decimal places of a unit price derived from the other basis (default 6): a derived price
    /// is for display and for the unit price column of an invoice; amounts are always computed
    /// from the price as entered.
    pub unit_price_decimals: u32,
}

impl Default for TaxSettings {
    fn default() -> Self {
        TaxSettings {
            rounding: TaxRounding::PerLine,
            policy: RoundingPolicy::HalfUp,
            unit_price_decimals: 6,
        }
    }
}

/// One line of a document, as entered.
///
/// ```
/// use crm_core::money::{LineInput, PriceBasis};
/// use rust_decimal_macros::dec;
///
/// let line = LineInput::exclusive(dec!(2.5), dec!(19.99), dec!(0.13)).with_discount(dec!(0.05));
/// assert_eq!(line.basis, PriceBasis::TaxExclusive);
/// assert!(line.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineInput {
    /// How many units; negative for a return or a red-letter (红字) line.
    pub quantity: Decimal,
    /// The price of one unit before discount, in the basis below; zero or more.
    pub unit_price: Decimal,
    /// Whether `unit_price` includes tax.
    pub basis: PriceBasis,
    /// The discount as a fraction of the line, from 0 (none) to 1 (free); `0.15` is 15 % off
    /// (八五折).
    #[serde(default)]
    pub discount: Decimal,
    /// The tax rate as a fraction, `0 <= rate < 1`.
    pub tax_rate: Decimal,
}

impl LineInput {
    /// A line with a tax-exclusive price and no discount.
    pub fn exclusive(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> Self {
        LineInput {
            quantity,
            unit_price,
            basis: PriceBasis::TaxExclusive,
            discount: Decimal::ZERO,
            tax_rate,
        }
    }

    /// A line with a tax-inclusive price and no discount.
    pub fn inclusive(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> Self {
        LineInput {
            basis: PriceBasis::TaxInclusive,
            ..LineInput::exclusive(quantity, unit_price, tax_rate)
        }
    }

    /// The same line with `discount` (a fraction from 0 to 1).
    pub fn with_discount(self, discount: Decimal) -> Self {
        LineInput { discount, ..self }
    }

    /// Checks the line.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field: `unit_price` if negative, `discount` unless
    /// `0 <= discount <= 1`, `tax_rate` unless `0 <= rate < 1`. Any quantity is accepted.
    ///
    /// ```
    /// use crm_core::money::LineInput;
    /// use crm_core::Error;
    /// use rust_decimal_macros::dec;
    ///
    /// let line = LineInput::exclusive(dec!(1), dec!(-5), dec!(0.13));
    /// assert!(matches!(line.validate(), Err(Error::Invalid { field, .. }) if field == "unit_price"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.unit_price < Decimal::ZERO {
            return Err(Error::invalid(
                "unit_price",
                format!(
                    "{} is negative; a price is zero or more (use a negative quantity for a credit)",
                    self.unit_price
                ),
            ));
        }
        if self.discount < Decimal::ZERO || self.discount > Decimal::ONE {
            return Err(Error::invalid(
                "discount",
                format!(
                    "{} is not a fraction between 0 and 1 (0.15 is 15 % off)",
                    self.discount
                ),
            ));
        }
        check_rate("tax_rate", self.tax_rate)
    }
}

/// The amounts of one line. Amounts have 2 places and `gross == net + tax`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineAmounts {
    /// Amount excluding tax (金额).
    pub net: Decimal,
    /// Tax (税额).
    pub tax: Decimal,
    /// Amount including tax (价税合计).
    pub gross: Decimal,
    /// Unit price excluding tax, before discount: the price as entered for a tax-exclusive line,
    /// derived with [`unit_price_exclusive`] for a tax-inclusive one.
    pub unit_price_exclusive: Decimal,
    /// Unit price including tax, before discount: the price as entered for a tax-inclusive line,
    /// derived with [`unit_price_inclusive`] for a tax-exclusive one.
    pub unit_price_inclusive: Decimal,
    /// What the discount took off, in the line's own price basis: `round(qty × price)` minus the
    /// net of a tax-exclusive line, or minus the gross of a tax-inclusive one.
    pub discount_amount: Decimal,
}

/// The totals of the lines at one tax rate (the rate summary of an invoice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateTotals {
    /// The tax rate, as a fraction.
    pub rate: Decimal,
    /// Sum of the lines' net amounts.
    pub net: Decimal,
    /// Sum of the lines' tax.
    pub tax: Decimal,
    /// Sum of the lines' gross amounts.
    pub gross: Decimal,
}

/// The result of [`compute_document`]: every line's amounts and the totals.
///
/// The totals are exactly the sums of the lines, `gross == net + tax`, and `by_rate` adds up to
/// the totals too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DocumentTotals {
    /// The amounts of each line, in the order of the input.
    pub lines: Vec<LineAmounts>,
    /// Total excluding tax (合计金额).
    pub net: Decimal,
    /// Total tax (合计税额).
    pub tax: Decimal,
    /// Total including tax (价税合计).
    pub gross: Decimal,
    /// Totals per tax rate, highest rate first.
    pub by_rate: Vec<RateTotals>,
}

/// Computes the amounts of every line and the totals of a document.
///
/// This is the one function that makes totals: quotes, orders, invoices and purchase orders all
/// call it, so the same lines give the same amounts everywhere. The rules, and the difference
/// between per-line and per-document tax rounding, are in the
/// [module documentation](self).
///
/// # Errors
///
/// [`Error::Invalid`] naming the line and field (e.g. `lines[2].discount`) if a line fails
/// [`LineInput::validate`]; [`Error::Overflow`] if an amount does not fit a [`Decimal`].
///
/// ```
/// use crm_core::money::{compute_document, LineInput, TaxRounding, TaxSettings};
/// use rust_decimal_macros::dec;
///
/// let lines = [LineInput::exclusive(dec!(1), dec!(0.10), dec!(0.13)); 3];
///
/// let per_line = compute_document(&lines, &TaxSettings::default())?;
/// assert_eq!((per_line.net, per_line.tax, per_line.gross), (dec!(0.30), dec!(0.03), dec!(0.33)));
///
/// let settings = TaxSettings { rounding: TaxRounding::PerDocument, ..TaxSettings::default() };
/// let per_doc = compute_document(&lines, &settings)?;
/// assert_eq!((per_doc.net, per_doc.tax, per_doc.gross), (dec!(0.30), dec!(0.04), dec!(0.34)));
/// // The extra fen went to the first line, so the lines still add up.
/// assert_eq!(per_doc.lines[0].tax, dec!(0.02));
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn compute_document(lines: &[LineInput], settings: &TaxSettings) -> Result<DocumentTotals> {
    let mut amounts = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            line.validate().map_err(|e| within_line(i, e))?;
            line_amounts(line, settings)
        })
        .collect::<Result<Vec<_>>>()?;
    if settings.rounding == TaxRounding::PerDocument {
        round_tax_per_document(lines, &mut amounts, settings.policy)?;
    }
    totals(lines, amounts)
}

/// Splits a tax-inclusive amount into `(net, tax)`: `net = round(gross / (1 + rate), 2)` with
/// `policy`, and `tax = gross − net`, so the two always add up to `gross` exactly.
///
/// `gross` should already have 2 places (it is not rounded here, so that the sum stays exact).
///
/// # Errors
///
/// [`Error::Invalid`] (field `tax_rate`) unless `0 <= rate < 1`; [`Error::Overflow`] if an
/// amount does not fit a [`Decimal`].
///
/// ```
/// use crm_core::money::{split_gross, RoundingPolicy};
/// use rust_decimal_macros::dec;
///
/// assert_eq!(split_gross(dec!(113.00), dec!(0.13), RoundingPolicy::HalfUp)?, (dec!(100.00), dec!(13.00)));
/// // 100 / 1.13 = 88.4956…
/// assert_eq!(split_gross(dec!(100), dec!(0.13), RoundingPolicy::HalfUp)?, (dec!(88.50), dec!(11.50)));
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn split_gross(
    gross: Decimal,
    rate: Decimal,
    policy: RoundingPolicy,
) -> Result<(Decimal, Decimal)> {
    check_rate("tax_rate", rate)?;
    let net = round(div(gross, Decimal::ONE + rate)?, AMOUNT_DECIMALS, policy);
    Ok((net, sub(gross, net)?))
}

/// The tax-inclusive equivalent of a tax-exclusive unit price: `round(price × (1 + rate))` to
/// `decimals` places with `policy`.
///
/// Converting back with [`unit_price_exclusive`] under a half policy returns the original
/// price when it had at most `decimals` places.
///
/// # Errors
///
/// [`Error::Invalid`] (field `tax_rate`) unless `0 <= rate < 1`; [`Error::Overflow`] if the
/// result does not fit a [`Decimal`].
///
/// ```
/// use crm_core::money::{unit_price_inclusive, RoundingPolicy};
/// use rust_decimal_macros::dec;
///
/// assert_eq!(unit_price_inclusive(dec!(8.85), dec!(0.13), 2, RoundingPolicy::HalfUp)?, dec!(10.00));
/// assert_eq!(unit_price_inclusive(dec!(1), dec!(0.13), 6, RoundingPolicy::HalfUp)?, dec!(1.13));
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn unit_price_inclusive(
    price_exclusive: Decimal,
    rate: Decimal,
    decimals: u32,
    policy: RoundingPolicy,
) -> Result<Decimal> {
    check_rate("tax_rate", rate)?;
    Ok(round(
        mul(price_exclusive, Decimal::ONE + rate)?,
        decimals,
        policy,
    ))
}

/// The tax-exclusive equivalent of a tax-inclusive unit price: `round(price / (1 + rate))` to
/// `decimals` places with `policy`.
///
/// # Errors
///
/// [`Error::Invalid`] (field `tax_rate`) unless `0 <= rate < 1`; [`Error::Overflow`] if the
/// result does not fit a [`Decimal`].
///
/// ```
/// use crm_core::money::{unit_price_exclusive, RoundingPolicy};
/// use rust_decimal_macros::dec;
///
/// // 10 / 1.13 = 8.849557522…
/// assert_eq!(unit_price_exclusive(dec!(10), dec!(0.13), 6, RoundingPolicy::HalfUp)?, dec!(8.849558));
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn unit_price_exclusive(
    price_inclusive: Decimal,
    rate: Decimal,
    decimals: u32,
    policy: RoundingPolicy,
) -> Result<Decimal> {
    check_rate("tax_rate", rate)?;
    Ok(round(
        div(price_inclusive, Decimal::ONE + rate)?,
        decimals,
        policy,
    ))
}

/// The amounts of a validated line with its tax rounded per line.
fn line_amounts(line: &LineInput, settings: &TaxSettings) -> Result<LineAmounts> {
    let policy = settings.policy;
    let rate = line.tax_rate;
    let list = mul(line.quantity, line.unit_price)?;
    let charged = mul(list, Decimal::ONE - line.discount)?;
    let list = round(list, AMOUNT_DECIMALS, policy);
    let charged = round(charged, AMOUNT_DECIMALS, policy);
    let discount_amount = sub(list, charged)?;

    let amounts = match line.basis {
        PriceBasis::TaxExclusive => {
            let tax = round(mul(charged, rate)?, AMOUNT_DECIMALS, policy);
            LineAmounts {
                net: charged,
                tax,
                gross: add(charged, tax)?,
                unit_price_exclusive: line.unit_price,
                unit_price_inclusive: unit_price_inclusive(
                    line.unit_price,
                    rate,
                    settings.unit_price_decimals,
                    policy,
                )?,
                discount_amount,
            }
        }
        PriceBasis::TaxInclusive => {
            let (net, tax) = split_gross(charged, rate, policy)?;
            LineAmounts {
                net,
                tax,
                gross: charged,
                unit_price_exclusive: unit_price_exclusive(
                    line.unit_price,
                    rate,
                    settings.unit_price_decimals,
                    policy,
                )?,
                unit_price_inclusive: line.unit_price,
                discount_amount,
            }
        }
    };
    Ok(amounts)
}

/// Replaces the per-line taxes by the tax of each (rate, basis) group's total, spread back over
/// the group's lines in proportion to their nets.
fn round_tax_per_document(
    lines: &[LineInput],
    amounts: &mut [LineAmounts],
    policy: RoundingPolicy,
) -> Result<()> {
    // Lines of the same rate but different bases are rounded apart: an exclusive line keeps its
    // net and an inclusive one its gross, so they cannot share one rounding.
    let mut groups: BTreeMap<(Decimal, PriceBasis), Vec<usize>> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        groups
            .entry((line.tax_rate, line.basis))
            .or_default()
            .push(i);
    }

    for ((rate, basis), members) in groups {
        match basis {
            PriceBasis::TaxExclusive => {
                let nets: Vec<Decimal> = members.iter().map(|&i| amounts[i].net).collect();
                let tax = round(mul(sum(&nets)?, rate)?, AMOUNT_DECIMALS, policy);
                // Each line's exact share of the group's tax is its net times the rate.
                let shares = nets
                    .iter()
                    .map(|net| mul(*net, rate))
                    .collect::<Result<Vec<_>>>()?;
                let taxes = round_to_total(&shares, tax, AMOUNT_DECIMALS)?;
                for (&i, tax) in members.iter().zip(taxes) {
                    amounts[i].tax = tax;
                    amounts[i].gross = add(amounts[i].net, tax)?;
                }
            }
            PriceBasis::TaxInclusive => {
                let grosses: Vec<Decimal> = members.iter().map(|&i| amounts[i].gross).collect();
                let (_, tax) = split_gross(sum(&grosses)?, rate, policy)?;
                // A line's exact net is gross / (1 + rate), so its exact tax is
                // gross × rate / (1 + rate): the share proportional to the net.
                let shares = grosses
                    .iter()
                    .map(|gross| div(mul(*gross, rate)?, Decimal::ONE + rate))
                    .collect::<Result<Vec<_>>>()?;
                let taxes = round_to_total(&shares, tax, AMOUNT_DECIMALS)?;
                for (&i, tax) in members.iter().zip(taxes) {
                    amounts[i].tax = tax;
                    amounts[i].net = sub(amounts[i].gross, tax)?;
                }
            }
        }
    }
    Ok(())
}

/// Adds the lines up into the document's totals and its per-rate summary.
fn totals(lines: &[LineInput], amounts: Vec<LineAmounts>) -> Result<DocumentTotals> {
    let zero = round(Decimal::ZERO, AMOUNT_DECIMALS, RoundingPolicy::HalfUp);
    let mut by_rate: BTreeMap<Decimal, RateTotals> = BTreeMap::new();
    let (mut net, mut tax, mut gross) = (zero, zero, zero);
    for (line, a) in lines.iter().zip(&amounts) {
        net = add(net, a.net)?;
        tax = add(tax, a.tax)?;
        gross = add(gross, a.gross)?;
        let at_rate = by_rate.entry(line.tax_rate).or_insert(RateTotals {
            rate: line.tax_rate.normalize(),
            net: zero,
            tax: zero,
            gross: zero,
        });
        at_rate.net = add(at_rate.net, a.net)?;
        at_rate.tax = add(at_rate.tax, a.tax)?;
        at_rate.gross = add(at_rate.gross, a.gross)?;
    }
    Ok(DocumentTotals {
        lines: amounts,
        net,
        tax,
        gross,
        by_rate: by_rate.into_values().rev().collect(),
    })
}

fn check_rate(field: &str, rate: Decimal) -> Result<()> {
    if rate < Decimal::ZERO || rate >= Decimal::ONE {
        return Err(Error::invalid(
            field,
            format!("{rate} is not a fraction from 0 up to but excluding 1 (0.13 is 13 %)"),
        ));
    }
    Ok(())
}

/// Points an error about a line's field at the line: `discount` becomes `lines[2].discount`.
fn within_line(index: usize, error: Error) -> Error {
    match error {
        Error::Invalid { field, reason } => Error::Invalid {
            field: format!("lines[{index}].{field}"),
            reason,
        },
        other => other,
    }
}

fn overflow() -> Error {
    Error::Overflow("tax calculation")
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(overflow)
}

fn sub(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(overflow)
}

fn mul(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(overflow)
}

fn div(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_div(b).ok_or_else(overflow)
}

fn sum(values: &[Decimal]) -> Result<Decimal> {
    values.iter().try_fold(Decimal::ZERO, |acc, v| add(acc, *v))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn settings(rounding: TaxRounding, policy: RoundingPolicy) -> TaxSettings {
        TaxSettings {
            rounding,
            policy,
            ..TaxSettings::default()
        }
    }

    fn excl(qty: Decimal, price: Decimal, rate: Decimal) -> LineInput {
        LineInput::exclusive(qty, price, rate)
    }

    fn incl(qty: Decimal, price: Decimal, rate: Decimal) -> LineInput {
        LineInput::inclusive(qty, price, rate)
    }

    /// The invariants every result must keep, whatever the input.
    fn assert_consistent(doc: &DocumentTotals) {
        for line in &doc.lines {
            assert_eq!(line.net + line.tax, line.gross, "line {line:?}");
        }
        assert_eq!(doc.net + doc.tax, doc.gross);
        assert_eq!(doc.lines.iter().map(|l| l.net).sum::<Decimal>(), doc.net);
        assert_eq!(doc.lines.iter().map(|l| l.tax).sum::<Decimal>(), doc.tax);
        assert_eq!(
            doc.lines.iter().map(|l| l.gross).sum::<Decimal>(),
            doc.gross
        );
        assert_eq!(doc.by_rate.iter().map(|r| r.net).sum::<Decimal>(), doc.net);
        assert_eq!(doc.by_rate.iter().map(|r| r.tax).sum::<Decimal>(), doc.tax);
        assert_eq!(
            doc.by_rate.iter().map(|r| r.gross).sum::<Decimal>(),
            doc.gross
        );
    }

    /// A description with the arithmetic, the settings, the lines, and the expected net, tax
    /// and gross of the document.
    type GoldenRow = (
        &'static str,
        TaxRounding,
        RoundingPolicy,
        Vec<LineInput>,
        [Decimal; 3],
    );

    /// Worked out by hand; the description of each row shows the arithmetic.
    #[test]
    fn golden_table() {
        use RoundingPolicy::{Down, HalfEven, HalfUp, Up};
        use TaxRounding::{PerDocument, PerLine};
        let r13 = dec!(0.13);
        let r9 = dec!(0.09);
        let r6 = dec!(0.06);
        let r3 = dec!(0.03);
        let r0 = dec!(0);

        #[rustfmt::skip]
        let table: Vec<GoldenRow> = vec![
            ("100.00 excl 13%: tax 13.00",
                PerLine, HalfUp, vec![excl(dec!(1), dec!(100), r13)],
                [dec!(100.00), dec!(13.00), dec!(113.00)]),
            ("113.00 incl 13%: net 113/1.13 = 100.00",
                PerLine, HalfUp, vec![incl(dec!(1), dec!(113), r13)],
                [dec!(100.00), dec!(13.00), dec!(113.00)]),
            ("3 × 0.10 excl 13% per line: 0.013 → 0.01 each",
                PerLine, HalfUp, vec![excl(dec!(1), dec!(0.10), r13); 3],
                [dec!(0.30), dec!(0.03), dec!(0.33)]),
            ("3 × 0.10 excl 13% per document: 0.30 × 0.13 = 0.039 → 0.04",
                PerDocument, HalfUp, vec![excl(dec!(1), dec!(0.10), r13); 3],
                [dec!(0.30), dec!(0.04), dec!(0.34)]),
            ("2.5 × 19.99 excl 9%: 49.975 → 49.98; 4.4982 → 4.50",
                PerLine, HalfUp, vec![excl(dec!(2.5), dec!(19.99), r9)],
                [dec!(49.98), dec!(4.50), dec!(54.48)]),
            ("0.333 × 100 excl 6%: 33.30; 1.998 → 2.00",
                PerLine, HalfUp, vec![excl(dec!(0.333), dec!(100), r6)],
                [dec!(33.30), dec!(2.00), dec!(35.30)]),
            ("0.333 × 100 incl 6%: 33.30 / 1.06 = 31.4151 → 31.42",
                PerLine, HalfUp, vec![incl(dec!(0.333), dec!(100), r6)],
                [dec!(31.42), dec!(1.88), dec!(33.30)]),
            ("10 × 8.88 excl 13% 15% off: 88.80 × 0.85 = 75.48; 9.8124 → 9.81",
                PerLine, HalfUp, vec![excl(dec!(10), dec!(8.88), r13).with_discount(dec!(0.15))],
                [dec!(75.48), dec!(9.81), dec!(85.29)]),
            ("10 × 8.88 incl 13% 15% off: 75.48 / 1.13 = 66.7965 → 66.80",
                PerLine, HalfUp, vec![incl(dec!(10), dec!(8.88), r13).with_discount(dec!(0.15))],
                [dec!(66.80), dec!(8.68), dec!(75.48)]),
            ("3 × 33.33 excl 3%: 99.99; 2.9997 → 3.00",
                PerLine, HalfUp, vec![excl(dec!(3), dec!(33.33), r3)],
                [dec!(99.99), dec!(3.00), dec!(102.99)]),
            ("103 incl 3%: 103 / 1.03 = 100",
                PerLine, HalfUp, vec![incl(dec!(1), dec!(103), r3)],
                [dec!(100.00), dec!(3.00), dec!(103.00)]),
            ("7 × 1.23 excl 0%",
                PerLine, HalfUp, vec![excl(dec!(7), dec!(1.23), r0)],
                [dec!(8.61), dec!(0), dec!(8.61)]),
            ("2.5 × 3.99 incl 0%: 9.975 → 9.98",
                PerLine, HalfUp, vec![incl(dec!(2.5), dec!(3.99), r0)],
                [dec!(9.98), dec!(0), dec!(9.98)]),
            ("0.05 at 13/9/6% per line: 0.0065 → 0.01, 0.0045 → 0, 0.003 → 0",
                PerLine, HalfUp,
                vec![excl(dec!(1), dec!(0.05), r13), excl(dec!(1), dec!(0.05), r9), excl(dec!(1), dec!(0.05), r6)],
                [dec!(0.15), dec!(0.01), dec!(0.16)]),
            ("0.05 at 13/9/6% per document: one line per rate, same as per line",
                PerDocument, HalfUp,
                vec![excl(dec!(1), dec!(0.05), r13), excl(dec!(1), dec!(0.05), r9), excl(dec!(1), dec!(0.05), r6)],
                [dec!(0.15), dec!(0.01), dec!(0.16)]),
            ("3 × 0.11 incl 13% per line: 0.11 / 1.13 = 0.0973 → 0.10 each",
                PerLine, HalfUp, vec![incl(dec!(1), dec!(0.11), r13); 3],
                [dec!(0.30), dec!(0.03), dec!(0.33)]),
            ("3 × 0.11 incl 13% per document: 0.33 / 1.13 = 0.2920 → 0.29",
                PerDocument, HalfUp, vec![incl(dec!(1), dec!(0.11), r13); 3],
                [dec!(0.29), dec!(0.04), dec!(0.33)]),
            ("5 × 0.50 excl 9% per line: 0.045 → 0.05 each",
                PerLine, HalfUp, vec![excl(dec!(1), dec!(0.50), r9); 5],
                [dec!(2.50), dec!(0.25), dec!(2.75)]),
            ("5 × 0.50 excl 9% per document: 0.225 → 0.23",
                PerDocument, HalfUp, vec![excl(dec!(1), dec!(0.50), r9); 5],
                [dec!(2.50), dec!(0.23), dec!(2.73)]),
            ("5 × 0.50 excl 9% per line, half even: 0.045 → 0.04 each",
                PerLine, HalfEven, vec![excl(dec!(1), dec!(0.50), r9); 5],
                [dec!(2.50), dec!(0.20), dec!(2.70)]),
            ("5 × 0.50 excl 9% per document, half even: 0.225 → 0.22",
                PerDocument, HalfEven, vec![excl(dec!(1), dec!(0.50), r9); 5],
                [dec!(2.50), dec!(0.22), dec!(2.72)]),
            ("9.999 excl 13%, down: 9.99; 1.2987 → 1.29",
                PerLine, Down, vec![excl(dec!(1), dec!(9.999), r13)],
                [dec!(9.99), dec!(1.29), dec!(11.28)]),
            ("9.991 excl 13%, up: 10.00; 1.30",
                PerLine, Up, vec![excl(dec!(1), dec!(9.991), r13)],
                [dec!(10.00), dec!(1.30), dec!(11.30)]),
            ("red letter -2.5 × 19.99 excl 9%: -49.975 → -49.98; -4.4982 → -4.50",
                PerLine, HalfUp, vec![excl(dec!(-2.5), dec!(19.99), r9)],
                [dec!(-49.98), dec!(-4.50), dec!(-54.48)]),
            ("100 and a credit of -0.10 excl 13% per document: 99.90 × 0.13 = 12.987 → 12.99",
                PerDocument, HalfUp, vec![excl(dec!(1), dec!(100), r13), excl(dec!(-1), dec!(0.10), r13)],
                [dec!(99.90), dec!(12.99), dec!(112.89)]),
            ("100 and a credit of -0.10 excl 13% per line: 13.00 + round(-0.013) = 12.99",
                PerLine, HalfUp, vec![excl(dec!(1), dec!(100), r13), excl(dec!(-1), dec!(0.10), r13)],
                [dec!(99.90), dec!(12.99), dec!(112.89)]),
            ("50 excl 13% at 100% off",
                PerLine, HalfUp, vec![excl(dec!(1), dec!(50), r13).with_discount(dec!(1))],
                [dec!(0), dec!(0), dec!(0)]),
            ("100 excl and 113 incl at 13%",
                PerLine, HalfUp, vec![excl(dec!(1), dec!(100), r13), incl(dec!(1), dec!(113), r13)],
                [dec!(200.00), dec!(26.00), dec!(226.00)]),
            ("3 × 9.90 incl 6% 10% off per document: 26.73 / 1.06 = 25.2170 → 25.22",
                PerDocument, HalfUp, vec![incl(dec!(3), dec!(9.90), r6).with_discount(dec!(0.10))],
                [dec!(25.22), dec!(1.51), dec!(26.73)]),
            ("2.5 × 10.90 and 0.333 × 10.90 incl 9% per document: 27.25 + 3.63 = 30.88; / 1.09 = 28.3303 → 28.33",
                PerDocument, HalfUp, vec![incl(dec!(2.5), dec!(10.90), r9), incl(dec!(0.333), dec!(10.90), r9)],
                [dec!(28.33), dec!(2.55), dec!(30.88)]),
            ("3 × 0.10 at 13% and 5 × 0.50 at 9% per line: 0.03 + 0.25",
                PerLine, HalfUp,
                [vec![excl(dec!(1), dec!(0.10), r13); 3], vec![excl(dec!(1), dec!(0.50), r9); 5]].concat(),
                [dec!(2.80), dec!(0.28), dec!(3.08)]),
            ("3 × 0.10 at 13% and 5 × 0.50 at 9% per document: 0.04 + 0.23",
                PerDocument, HalfUp,
                [vec![excl(dec!(1), dec!(0.10), r13); 3], vec![excl(dec!(1), dec!(0.50), r9); 5]].concat(),
                [dec!(2.80), dec!(0.27), dec!(3.07)]),
        ];
        assert!(table.len() >= 20);

        for (name, rounding, policy, lines, [net, tax, gross]) in table {
            let doc = compute_document(&lines, &settings(rounding, policy)).unwrap();
            assert_eq!([doc.net, doc.tax, doc.gross], [net, tax, gross], "{name}");
            assert_consistent(&doc);
        }
    }

    #[test]
    fn per_document_spreads_the_extra_fen_by_largest_remainder() {
        let s = settings(TaxRounding::PerDocument, RoundingPolicy::HalfUp);
        let doc = compute_document(&[excl(dec!(1), dec!(0.10), dec!(0.13)); 3], &s).unwrap();
        let taxes: Vec<Decimal> = doc.lines.iter().map(|l| l.tax).collect();
        assert_eq!(taxes, vec![dec!(0.02), dec!(0.01), dec!(0.01)]);

        // Inclusive lines keep their gross; the net gives way.
        let doc = compute_document(&[incl(dec!(1), dec!(0.11), dec!(0.13)); 3], &s).unwrap();
        let nets: Vec<Decimal> = doc.lines.iter().map(|l| l.net).collect();
        assert_eq!(nets, vec![dec!(0.09), dec!(0.10), dec!(0.10)]);
        assert!(doc.lines.iter().all(|l| l.gross == dec!(0.11)));
    }

    #[test]
    fn per_document_credit_note_mirrors_the_invoice() {
        let s = settings(TaxRounding::PerDocument, RoundingPolicy::HalfUp);
        let invoice = [
            excl(dec!(1), dec!(0.10), dec!(0.13)),
            excl(dec!(2), dec!(0.35), dec!(0.13)),
            excl(dec!(1), dec!(0.10), dec!(0.13)),
        ];
        let credit: Vec<LineInput> = invoice
            .iter()
            .map(|l| LineInput {
                quantity: -l.quantity,
                ..*l
            })
            .collect();
        let a = compute_document(&invoice, &s).unwrap();
        let b = compute_document(&credit, &s).unwrap();
        for (x, y) in a.lines.iter().zip(&b.lines) {
            assert_eq!((x.net, x.tax, x.gross), (-y.net, -y.tax, -y.gross));
        }
        assert_eq!((a.net, a.tax, a.gross), (-b.net, -b.tax, -b.gross));
    }

    #[test]
    fn line_details() {
        let doc = compute_document(
            &[
                excl(dec!(10), dec!(8.88), dec!(0.13)).with_discount(dec!(0.15)),
                incl(dec!(3), dec!(9.90), dec!(0.06)).with_discount(dec!(0.10)),
            ],
            &TaxSettings::default(),
        )
        .unwrap();
        let a = doc.lines[0];
        assert_eq!(a.unit_price_exclusive, dec!(8.88));
        assert_eq!(a.unit_price_inclusive.to_string(), "10.034400");
        assert_eq!(a.discount_amount, dec!(13.32)); // 88.80 − 75.48
        let b = doc.lines[1];
        assert_eq!(b.unit_price_inclusive, dec!(9.90));
        assert_eq!(b.unit_price_exclusive, dec!(9.339623)); // 9.90 / 1.06 = 9.3396226…
        assert_eq!(b.discount_amount, dec!(2.97)); // 29.70 − 26.73, tax included
        assert_eq!(a.net.to_string(), "75.48");
        assert_eq!(doc.lines[1].tax.to_string(), "1.51");
    }

    #[test]
    fn by_rate_summary_is_ordered_highest_first() {
        let doc = compute_document(
            &[
                excl(dec!(1), dec!(10), dec!(0.06)),
                excl(dec!(1), dec!(10), dec!(0.13)),
                excl(dec!(1), dec!(10), dec!(0.130)),
                incl(dec!(1), dec!(10.9), dec!(0.09)),
            ],
            &TaxSettings::default(),
        )
        .unwrap();
        let rates: Vec<String> = doc.by_rate.iter().map(|r| r.rate.to_string()).collect();
        assert_eq!(rates, vec!["0.13", "0.09", "0.06"]);
        assert_eq!(doc.by_rate[0].net, dec!(20));
        assert_eq!(doc.by_rate[0].tax, dec!(2.60));
        assert_eq!(doc.by_rate[1].net, dec!(10));
        assert_consistent(&doc);
    }

    #[test]
    fn an_empty_document_is_zero() {
        let doc = compute_document(&[], &TaxSettings::default()).unwrap();
        assert_eq!((doc.net, doc.tax, doc.gross), (dec!(0), dec!(0), dec!(0)));
        assert_eq!(doc.net.to_string(), "0.00");
        assert!(doc.lines.is_empty() && doc.by_rate.is_empty());
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let field_of = |lines: &[LineInput]| match compute_document(lines, &TaxSettings::default())
        {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        };
        let ok = excl(dec!(1), dec!(1), dec!(0.13));
        assert_eq!(
            field_of(&[ok, excl(dec!(1), dec!(-1), dec!(0.13))]),
            "lines[1].unit_price"
        );
        assert_eq!(
            field_of(&[ok.with_discount(dec!(1.01))]),
            "lines[0].discount"
        );
        assert_eq!(
            field_of(&[ok.with_discount(dec!(-0.1))]),
            "lines[0].discount"
        );
        assert_eq!(
            field_of(&[ok, ok, excl(dec!(1), dec!(1), dec!(1))]),
            "lines[2].tax_rate"
        );
        assert_eq!(
            field_of(&[excl(dec!(1), dec!(1), dec!(-0.01))]),
            "lines[0].tax_rate"
        );
        // A negative quantity is a credit line, not an error.
        assert!(compute_document(
            &[excl(dec!(-1), dec!(1), dec!(0.13))],
            &TaxSettings::default()
        )
        .is_ok());
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        let huge = excl(Decimal::MAX, Decimal::MAX, dec!(0.13));
        assert!(matches!(
            compute_document(&[huge], &TaxSettings::default()),
            Err(Error::Overflow(_))
        ));
    }

    #[test]
    fn tax_rates() {
        let rates = TaxRate::common_china();
        let pairs: Vec<(&str, Decimal)> = rates.iter().map(|r| (r.code(), r.rate())).collect();
        assert_eq!(
            pairs,
            vec![
                ("VAT13", dec!(0.13)),
                ("VAT9", dec!(0.09)),
                ("VAT6", dec!(0.06)),
                ("VAT3", dec!(0.03)),
                ("VAT0", dec!(0)),
            ]
        );
        assert!(rates.iter().all(|r| r.name().contains("增值税")));
        assert!(TaxRate::new("X", "x", dec!(0.999)).is_ok());
        assert!(matches!(
            TaxRate::new("X", "x", dec!(1)),
            Err(Error::Invalid { ref field, .. }) if field == "rate"
        ));
        assert!(matches!(
            TaxRate::new("", "x", dec!(0.1)),
            Err(Error::Invalid { ref field, .. }) if field == "code"
        ));
    }

    #[test]
    fn serde_shapes() {
        let rate: TaxRate =
            serde_json::from_str(r#"{"code":"VAT13","name":"13% 增值税","rate":"0.13"}"#).unwrap();
        assert_eq!(rate.rate(), dec!(0.13));
        assert!(
            serde_json::from_str::<TaxRate>(r#"{"code":"X","name":"x","rate":"1.5"}"#).is_err()
        );

        let s: TaxSettings = serde_json::from_str(r#"{"rounding":"per_document"}"#).unwrap();
        assert_eq!(s.rounding, TaxRounding::PerDocument);
        assert_eq!(s.unit_price_decimals, 6);

        let line: LineInput = serde_json::from_str(
            r#"{"quantity":"2","unit_price":"9.9","basis":"tax_inclusive","tax_rate":"0.13"}"#,
        )
        .unwrap();
        assert_eq!(line, incl(dec!(2), dec!(9.9), dec!(0.13)));
    }

    #[test]
    fn split_gross_examples() {
        let p = RoundingPolicy::HalfUp;
        assert_eq!(
            split_gross(dec!(0), dec!(0.13), p).unwrap(),
            (dec!(0), dec!(0))
        );
        assert_eq!(
            split_gross(dec!(-113), dec!(0.13), p).unwrap(),
            (dec!(-100), dec!(-13))
        );
        assert_eq!(
            split_gross(dec!(10), dec!(0), p).unwrap(),
            (dec!(10), dec!(0))
        );
        assert!(split_gross(dec!(10), dec!(-1), p).is_err());
    }

    // ---- properties -------------------------------------------------------------------------

    fn arb_policy() -> impl Strategy<Value = RoundingPolicy> {
        prop_oneof![
            Just(RoundingPolicy::HalfUp),
            Just(RoundingPolicy::HalfEven),
            Just(RoundingPolicy::Down),
            Just(RoundingPolicy::Up),
        ]
    }

    fn arb_rate() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            prop::sample::select(vec![0i64, 300, 600, 900, 1300]).prop_map(|n| Decimal::new(n, 4)),
            (0i64..10_000).prop_map(|n| Decimal::new(n, 4)),
        ]
    }

    fn arb_basis() -> impl Strategy<Value = PriceBasis> {
        prop_oneof![
            Just(PriceBasis::TaxExclusive),
            Just(PriceBasis::TaxInclusive)
        ]
    }

    fn arb_line_with(
        basis: BoxedStrategy<PriceBasis>,
        rate: BoxedStrategy<Decimal>,
    ) -> impl Strategy<Value = LineInput> {
        (
            (-100_000i64..1_000_000).prop_map(|n| Decimal::new(n, 3)),
            (0i64..100_000_000).prop_map(|n| Decimal::new(n, 4)),
            basis,
            prop_oneof![
                Just(Decimal::ZERO),
                (0i64..=100).prop_map(|n| Decimal::new(n, 2))
            ],
            rate,
        )
            .prop_map(
                |(quantity, unit_price, basis, discount, tax_rate)| LineInput {
                    quantity,
                    unit_price,
                    basis,
                    discount,
                    tax_rate,
                },
            )
    }

    fn arb_line() -> impl Strategy<Value = LineInput> {
        arb_line_with(arb_basis().boxed(), arb_rate().boxed())
    }

    fn arb_settings() -> impl Strategy<Value = TaxSettings> {
        (
            prop_oneof![Just(TaxRounding::PerLine), Just(TaxRounding::PerDocument)],
            arb_policy(),
            0u32..=8,
        )
            .prop_map(|(rounding, policy, unit_price_decimals)| TaxSettings {
                rounding,
                policy,
                unit_price_decimals,
            })
    }

    proptest! {
        #[test]
        fn gross_is_net_plus_tax_and_totals_are_sums(
            lines in prop::collection::vec(arb_line(), 0..20),
            settings in arb_settings(),
        ) {
            let doc = compute_document(&lines, &settings).unwrap();
            prop_assert_eq!(doc.lines.len(), lines.len());
            for l in &doc.lines {
                prop_assert_eq!(l.net + l.tax, l.gross);
                prop_assert!(l.net.scale() == 2 && l.tax.scale() == 2 && l.gross.scale() == 2);
            }
            prop_assert_eq!(doc.net + doc.tax, doc.gross);
            prop_assert_eq!(doc.lines.iter().map(|l| l.net).sum::<Decimal>(), doc.net);
            prop_assert_eq!(doc.lines.iter().map(|l| l.tax).sum::<Decimal>(), doc.tax);
            prop_assert_eq!(doc.lines.iter().map(|l| l.gross).sum::<Decimal>(), doc.gross);
            prop_assert_eq!(doc.by_rate.iter().map(|r| r.tax).sum::<Decimal>(), doc.tax);
            prop_assert_eq!(doc.by_rate.iter().map(|r| r.gross).sum::<Decimal>(), doc.gross);
        }

        #[test]
        fn per_document_line_taxes_sum_to_the_rounded_group_tax(
            lines in prop::collection::vec(
                arb_line_with(arb_basis().boxed(), prop::sample::select(vec![dec!(0.13), dec!(0.09)]).boxed()),
                1..20,
            ),
            policy in arb_policy(),
        ) {
            let settings = settings(TaxRounding::PerDocument, policy);
            let doc = compute_document(&lines, &settings).unwrap();

            // Recompute each (rate, basis) group's tax from its total, independently.
            let mut expected = Decimal::ZERO;
            for rate in [dec!(0.13), dec!(0.09)] {
                let of = |basis| lines.iter().zip(&doc.lines)
                    .filter(move |(input, _)| input.tax_rate == rate && input.basis == basis);
                let net: Decimal = of(PriceBasis::TaxExclusive).map(|(_, a)| a.net).sum();
                expected += round(net * rate, 2, policy);
                let gross: Decimal = of(PriceBasis::TaxInclusive).map(|(_, a)| a.gross).sum();
                expected += gross - round(gross / (Decimal::ONE + rate), 2, policy);
            }
            prop_assert_eq!(doc.tax, expected);

            // Each line's tax is its exact share rounded down or up: within one fen.
            for (input, a) in lines.iter().zip(&doc.lines) {
                let exact = match input.basis {
                    PriceBasis::TaxExclusive => a.net * input.tax_rate,
                    PriceBasis::TaxInclusive => a.gross * input.tax_rate / (Decimal::ONE + input.tax_rate),
                };
                prop_assert!((a.tax - exact).abs() < dec!(0.01), "tax {} of exact {}", a.tax, exact);
            }
        }

        #[test]
        fn unit_price_round_trip_stays_within_half_a_unit(
            mantissa in 0i64..10_000_000_000,
            decimals in 0u32..=6,
            rate in arb_rate(),
            half_even in any::<bool>(),
        ) {
            let policy = if half_even { RoundingPolicy::HalfEven } else { RoundingPolicy::HalfUp };
            let price = Decimal::new(mantissa, decimals);
            let half_unit = Decimal::new(5, decimals + 1);
            let inclusive = unit_price_inclusive(price, rate, decimals, policy).unwrap();
            let back = unit_price_exclusive(inclusive, rate, decimals, policy).unwrap();
            prop_assert!((back - price).abs() <= half_unit, "{} → {} → {}", price, inclusive, back);

            let exclusive = unit_price_exclusive(price, rate, decimals, policy).unwrap();
            let back = unit_price_inclusive(exclusive, rate, decimals, policy).unwrap();
            // Going this way the rounding of the exclusive price is multiplied by (1 + rate),
            // so the round trip is only within one unit.
            prop_assert!((back - price).abs() <= half_unit * dec!(2), "{} → {} → {}", price, exclusive, back);
        }

        #[test]
        fn credit_lines_mirror_the_original(line in arb_line(), settings in arb_settings()) {
            let credit = LineInput { quantity: -line.quantity, ..line };
            let a = compute_document(&[line], &settings).unwrap();
            let b = compute_document(&[credit], &settings).unwrap();
            prop_assert_eq!((a.net, a.tax, a.gross), (-b.net, -b.tax, -b.gross));
        }
    }
}
