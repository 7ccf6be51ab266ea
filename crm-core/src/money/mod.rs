//! Money, rounding, exchange rates and tax.
//!
//! Money is a [`Decimal`] amount with an explicit [`Currency`]; there are no floats anywhere.
//! Amounts in different currencies never mix silently: combining them is
//! [`Error::CurrencyMismatch`], and exceeding the decimal range is [`Error::Overflow`], never a
//! panic.
//!
//! | module       | what it owns                                                             |
//! |--------------|--------------------------------------------------------------------------|
//! | [`rounding`] | [`RoundingPolicy`] and [`round`], the only place anything is rounded     |
//! | [`fx`]       | [`ExchangeRates`] by date and [`convert_to_cny`]                          |
//! | [`tax`]      | [`TaxRate`]s as data and [`compute_document`], the only place totals are made |
//!
//! Every item of the submodules is re-exported here, so `crm_core::money::compute_document` and
//! `crm_core::money::tax::compute_document` are the same function.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Neg;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

pub mod fx;
pub mod rounding;
pub mod tax;

pub use fx::{convert_to_cny, Conversion, ExchangeRate, ExchangeRates};
pub use rounding::{round, round_money, round_to_total, RoundingPolicy};
pub use tax::{
    compute_document, split_gross, unit_price_exclusive, unit_price_inclusive, DocumentTotals,
    LineAmounts, LineInput, PriceBasis, RateTotals, TaxRate, TaxRounding, TaxSettings,
};

/// An ISO 4217 currency code such as `CNY`: three uppercase ASCII letters.
///
/// The code is checked for its shape only, not against the ISO list, so a host can use a
/// currency the library has never heard of. It serializes as the bare code string (`"CNY"`).
///
/// ```
/// use crm_core::money::Currency;
///
/// let usd = Currency::new("USD")?;
/// assert_eq!(usd, Currency::USD);
/// assert_eq!(usd.to_string(), "USD");
/// assert_eq!(Currency::JPY.minor_units(), 0);
/// assert!(Currency::new("usd").is_err());
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Chinese yuan renminbi (人民币).
    pub const CNY: Currency = Currency(*b"CNY");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Hong Kong dollar.
    pub const HKD: Currency = Currency(*b"HKD");
    /// Japanese yen.
    pub const JPY: Currency = Currency(*b"JPY");

    /// Parses a currency code.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `currency`) unless `code` is exactly three uppercase ASCII
    /// letters. Lowercase is refused rather than fixed up, so a typo is seen where it is made.
    ///
    /// ```
    /// use crm_core::money::Currency;
    ///
    /// assert_eq!(Currency::new("HKD")?, Currency::HKD);
    /// assert!(Currency::new("HK$").is_err());
    /// assert!(Currency::new("RMB ").is_err());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn new(code: &str) -> Result<Currency> {
        match <[u8; 3]>::try_from(code.as_bytes()) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency(bytes)),
            _ => Err(Error::invalid(
                "currency",
                format!("{code:?} is not an ISO 4217 code of three uppercase letters"),
            )),
        }
    }

    /// The three-letter code.
    ///
    /// ```
    /// use crm_core::money::Currency;
    ///
    /// assert_eq!(Currency::EUR.code(), "EUR");
    /// ```
    pub fn code(&self) -> &str {
        match std::str::from_utf8(&self.0) {
            Ok(code) => code,
            // `new` and the constants only ever store ASCII letters.
            Err(_) => unreachable!("a currency code is always ASCII"),
        }
    }

    /// How many decimal places the currency's smallest unit has: 2 (CNY 分, USD cent), except
    /// 0 for the yen (JPY) and the won (KRW). Amounts of this currency are rounded to it.
    ///
    /// ```
    /// use crm_core::money::Currency;
    ///
    /// assert_eq!(Currency::CNY.minor_units(), 2);
    /// assert_eq!(Currency::new("KRW")?.minor_units(), 0);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn minor_units(self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Currency").field(&self.code()).finish()
    }
}

impl FromStr for Currency {
    type Err = Error;

    fn from_str(code: &str) -> Result<Currency> {
        Currency::new(code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::new(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of money in one currency.
///
/// Arithmetic is checked: combining two currencies is [`Error::CurrencyMismatch`] and leaving
/// the range of [`Decimal`] is [`Error::Overflow`]. The amount is kept exactly as given until
/// [`Money::round`] is asked for; equality compares values, so `1.0 CNY == 1.00 CNY`. `-money`
/// negates (a red-letter reversal).
///
/// ```
/// use crm_core::money::{Currency, Money};
/// use rust_decimal_macros::dec;
///
/// let price = Money::cny(dec!(19.99));
/// let total = price.checked_mul(dec!(3))?.checked_add(&Money::cny(dec!(0.03)))?;
/// assert_eq!(total, Money::cny(dec!(60.00)));
/// assert!(total.checked_add(&Money::new(dec!(1), Currency::USD)).is_err());
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// An amount in `currency`, kept exactly as given (not rounded).
    ///
    /// ```
    /// use crm_core::money::{Currency, Money};
    /// use rust_decimal_macros::dec;
    ///
    /// let m = Money::new(dec!(12.5), Currency::USD);
    /// assert_eq!(m.to_string(), "USD 12.5");
    /// ```
    pub fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// An amount in Chinese yuan.
    ///
    /// ```
    /// use crm_core::money::{Currency, Money};
    /// use rust_decimal_macros::dec;
    ///
    /// assert_eq!(Money::cny(dec!(8)).currency(), Currency::CNY);
    /// ```
    pub fn cny(amount: Decimal) -> Money {
        Money::new(amount, Currency::CNY)
    }

    /// Zero in `currency`.
    ///
    /// ```
    /// use crm_core::money::{Currency, Money};
    ///
    /// assert!(Money::zero(Currency::EUR).is_zero());
    /// ```
    pub fn zero(currency: Currency) -> Money {
        Money::new(Decimal::ZERO, currency)
    }

    /// The amount.
    ///
    /// ```
    /// use crm_core::money::Money;
    /// use rust_decimal_macros::dec;
    ///
    /// assert_eq!(Money::cny(dec!(3.20)).amount(), dec!(3.2));
    /// ```
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    ///
    /// ```
    /// use crm_core::money::{Currency, Money};
    /// use rust_decimal_macros::dec;
    ///
    /// assert_eq!(Money::new(dec!(1), Currency::HKD).currency(), Currency::HKD);
    /// ```
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// `self + other`.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] if the currencies differ; [`Error::Overflow`] if the sum
    /// does not fit a [`Decimal`].
    ///
    /// ```
    /// use crm_core::money::Money;
    /// use rust_decimal_macros::dec;
    ///
    /// let sum = Money::cny(dec!(0.10)).checked_add(&Money::cny(dec!(0.20)))?;
    /// assert_eq!(sum, Money::cny(dec!(0.30)));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn checked_add(&self, other: &Money) -> Result<Money> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(Error::Overflow("money addition"))?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self - other`.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] if the currencies differ; [`Error::Overflow`] if the
    /// difference does not fit a [`Decimal`].
    ///
    /// ```
    /// use crm_core::money::{Currency, Money};
    /// use rust_decimal_macros::dec;
    ///
    /// let change = Money::cny(dec!(100)).checked_sub(&Money::cny(dec!(87.35)))?;
    /// assert_eq!(change, Money::cny(dec!(12.65)));
    /// assert!(Money::cny(dec!(1)).checked_sub(&Money::zero(Currency::USD)).is_err());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn checked_sub(&self, other: &Money) -> Result<Money> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(Error::Overflow("money subtraction"))?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self × factor`, unrounded (round with [`Money::round`] when the result is final).
    ///
    /// # Errors
    ///
    /// [`Error::Overflow`] if the product does not fit a [`Decimal`].
    ///
    /// ```
    /// use crm_core::money::Money;
    /// use rust_decimal_macros::dec;
    ///
    /// assert_eq!(Money::cny(dec!(2.50)).checked_mul(dec!(0.333))?, Money::cny(dec!(0.8325)));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn checked_mul(&self, factor: Decimal) -> Result<Money> {
        let amount = self
            .amount
            .checked_mul(factor)
            .ok_or(Error::Overflow("money multiplication"))?;
        Ok(Money::new(amount, self.currency))
    }

    /// True if the amount is zero.
    ///
    /// ```
    /// use crm_core::money::Money;
    /// use rust_decimal_macros::dec;
    ///
    /// assert!(Money::cny(dec!(0.00)).is_zero());
    /// ```
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True if the amount is below zero (a refund, a red-letter line). Zero is not negative.
    ///
    /// ```
    /// use crm_core::money::Money;
    /// use rust_decimal_macros::dec;
    ///
    /// assert!((-Money::cny(dec!(5))).is_negative());
    /// assert!(!Money::cny(dec!(0)).is_negative());
    /// ```
    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    /// Rounds to the currency's [minor units](Currency::minor_units) with `policy`.
    ///
    /// ```
    /// use crm_core::money::{Currency, Money, RoundingPolicy};
    /// use rust_decimal_macros::dec;
    ///
    /// assert_eq!(Money::cny(dec!(0.8325)).round(RoundingPolicy::HalfUp), Money::cny(dec!(0.83)));
    /// let yen = Money::new(dec!(1234.5), Currency::JPY);
    /// assert_eq!(yen.round(RoundingPolicy::HalfUp).amount(), dec!(1235));
    /// ```
    pub fn round(&self, policy: RoundingPolicy) -> Money {
        Money::new(
            round(self.amount, self.currency.minor_units(), policy),
            self.currency,
        )
    }

    /// Splits the amount into parts proportional to `weights`, without losing or creating a
    /// minor unit.
    ///
    /// The amount is first rounded to the currency's minor units with the default policy
    /// ([`RoundingPolicy::HalfUp`]); the parts always add up to exactly that. Each part is its
    /// exact share rounded down or up by less than one minor unit; the leftover units go to the
    /// parts whose exact share lost the most, and equal losses go to the earlier part (largest
    /// remainder method, see [`round_to_total`]). A negative amount splits as the mirror image
    /// of the positive one. A zero weight gets zero.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `weights[i]`) if a weight is negative, or (field `weights`)
    /// if the weights do not add up to more than zero (including no weights at all);
    /// [`Error::Overflow`] if the weights' sum does not fit a [`Decimal`].
    ///
    /// ```
    /// use crm_core::money::Money;
    /// use rust_decimal_macros::dec;
    ///
    /// let parts = Money::cny(dec!(100)).allocate(&[dec!(1), dec!(1), dec!(1)])?;
    /// let amounts: Vec<_> = parts.iter().map(|m| m.amount()).collect();
    /// assert_eq!(amounts, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
    ///
    /// let refund = Money::cny(dec!(-100)).allocate(&[dec!(1), dec!(1), dec!(1)])?;
    /// assert_eq!(refund[0].amount(), dec!(-33.34));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn allocate(&self, weights: &[Decimal]) -> Result<Vec<Money>> {
        let mut weight_sum = Decimal::ZERO;
        for (i, weight) in weights.iter().enumerate() {
            if *weight < Decimal::ZERO {
                return Err(Error::invalid(
                    format!("weights[{i}]"),
                    format!("{weight} is negative; a weight must be zero or more"),
                ));
            }
            weight_sum = weight_sum
                .checked_add(*weight)
                .ok_or(Error::Overflow("money allocation"))?;
        }
        if weight_sum <= Decimal::ZERO {
            return Err(Error::invalid(
                "weights",
                "the weights must add up to more than zero",
            ));
        }

        let decimals = self.currency.minor_units();
        let total = round(self.amount, decimals, RoundingPolicy::default());
        let shares: Vec<Decimal> = weights
            .iter()
            .map(|weight| {
                // Multiplying first keeps the share exact whenever it can be; dividing first
                // cannot overflow, so it is the fallback for huge amounts.
                total
                    .checked_mul(*weight)
                    .and_then(|product| product.checked_div(weight_sum))
                    .or_else(|| weight.checked_div(weight_sum)?.checked_mul(total))
                    .ok_or(Error::Overflow("money allocation"))
            })
            .collect::<Result<_>>()?;
        let parts = round_to_total(&shares, total, decimals)?;
        Ok(parts
            .into_iter()
            .map(|amount| Money::new(amount, self.currency))
            .collect())
    }

    /// Adds up amounts of one currency; the currency is taken from the first.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `amounts`) if there is nothing to add, because the currency of
    /// an empty sum is unknown (use [`Money::sum_in`] when that can happen);
    /// [`Error::CurrencyMismatch`] if the currencies differ; [`Error::Overflow`] if the sum
    /// does not fit a [`Decimal`].
    ///
    /// ```
    /// use crm_core::money::Money;
    /// use rust_decimal_macros::dec;
    ///
    /// let lines = [Money::cny(dec!(1.10)), Money::cny(dec!(2.20))];
    /// assert_eq!(Money::sum(&lines)?, Money::cny(dec!(3.30)));
    /// assert!(Money::sum(Vec::<Money>::new()).is_err());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn sum<I>(amounts: I) -> Result<Money>
    where
        I: IntoIterator,
        I::Item: Borrow<Money>,
    {
        let mut amounts = amounts.into_iter();
        let first = *amounts
            .next()
            .ok_or_else(|| {
                Error::invalid("amounts", "nothing to add up: an empty sum has no currency")
            })?
            .borrow();
        amounts.try_fold(first, |total, m| total.checked_add(m.borrow()))
    }

    /// Adds up amounts that must all be in `currency`; no amounts add up to zero.
    ///
    /// # Errors
    ///
    /// [`Error::CurrencyMismatch`] if an amount is in another currency; [`Error::Overflow`] if
    /// the sum does not fit a [`Decimal`].
    ///
    /// ```
    /// use crm_core::money::{Currency, Money};
    ///
    /// assert_eq!(Money::sum_in(Currency::CNY, Vec::<Money>::new())?, Money::zero(Currency::CNY));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn sum_in<I>(currency: Currency, amounts: I) -> Result<Money>
    where
        I: IntoIterator,
        I::Item: Borrow<Money>,
    {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), |total, m| {
                total.checked_add(m.borrow())
            })
    }

    fn same_currency(&self, other: &Money) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::CurrencyMismatch {
                left: self.currency.to_string(),
                right: other.currency.to_string(),
            })
        }
    }
}

impl Neg for Money {
    type Output = Money;

    /// The same amount with the opposite sign, in the same currency.
    fn neg(self) -> Money {
        Money::new(-self.amount, self.currency)
    }
}

impl fmt::Display for Money {
    /// `CNY 12.30`: the code, a space, and the amount as stored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.amount)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn currency_accepts_only_three_uppercase_letters() {
        for good in ["CNY", "USD", "XAU", "KRW"] {
            assert_eq!(Currency::new(good).unwrap().code(), good);
        }
        for bad in ["", "CN", "CNYY", "cny", "C1Y", "人民币", "CN ", "ÄBC"] {
            let err = Currency::new(bad).unwrap_err();
            assert!(
                matches!(err, Error::Invalid { ref field, .. } if field == "currency"),
                "{bad:?}: {err}"
            );
        }
        assert_eq!("EUR".parse::<Currency>().unwrap(), Currency::EUR);
    }

    #[test]
    fn minor_units() {
        assert_eq!(Currency::CNY.minor_units(), 2);
        assert_eq!(Currency::USD.minor_units(), 2);
        assert_eq!(Currency::HKD.minor_units(), 2);
        assert_eq!(Currency::JPY.minor_units(), 0);
        assert_eq!(Currency::new("KRW").unwrap().minor_units(), 0);
    }

    #[test]
    fn currency_serializes_as_its_code() {
        assert_eq!(serde_json::to_string(&Currency::CNY).unwrap(), "\"CNY\"");
        let back: Currency = serde_json::from_str("\"HKD\"").unwrap();
        assert_eq!(back, Currency::HKD);
        assert!(serde_json::from_str::<Currency>("\"hkd\"").is_err());
        assert_eq!(format!("{:?}", Currency::USD), "Currency(\"USD\")");
    }

    #[test]
    fn money_serializes_amount_as_string() {
        let m = Money::cny(dec!(12.30));
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"12.30","currency":"CNY"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies() {
        let err = Money::cny(dec!(1))
            .checked_add(&Money::new(dec!(1), Currency::USD))
            .unwrap_err();
        assert!(matches!(
            err,
            Error::CurrencyMismatch { ref left, ref right } if left == "CNY" && right == "USD"
        ));
        let err = Money::sum([Money::cny(dec!(1)), Money::new(dec!(1), Currency::EUR)]);
        assert!(matches!(err, Err(Error::CurrencyMismatch { .. })));
    }

    #[test]
    fn arithmetic_reports_overflow() {
        let max = Money::cny(Decimal::MAX);
        assert!(matches!(max.checked_add(&max), Err(Error::Overflow(_))));
        assert!(matches!((-max).checked_sub(&max), Err(Error::Overflow(_))));
        assert!(matches!(max.checked_mul(dec!(2)), Err(Error::Overflow(_))));
    }

    #[test]
    fn sign_and_negation() {
        let m = Money::cny(dec!(3.5));
        assert_eq!(-m, Money::cny(dec!(-3.5)));
        assert!((-m).is_negative());
        assert!(!m.is_negative());
        assert!(!(-Money::cny(dec!(0))).is_negative());
    }

    #[test]
    fn rounds_to_the_currency_minor_units() {
        let m = Money::cny(dec!(2.675));
        assert_eq!(m.round(RoundingPolicy::HalfUp).amount().to_string(), "2.68");
        assert_eq!(m.round(RoundingPolicy::HalfEven).amount(), dec!(2.68));
        assert_eq!(m.round(RoundingPolicy::Down).amount(), dec!(2.67));
        let yen = Money::new(dec!(99.5), Currency::JPY);
        assert_eq!(yen.round(RoundingPolicy::HalfEven).amount(), dec!(100));
    }

    #[test]
    fn allocate_examples() {
        let amounts = |parts: Vec<Money>| parts.iter().map(Money::amount).collect::<Vec<_>>();
        let m = Money::cny(dec!(0.05));
        assert_eq!(
            amounts(m.allocate(&[dec!(3), dec!(7)]).unwrap()),
            // 0.015 and 0.035 lose the same half cent: the earlier part gets it.
            vec![dec!(0.02), dec!(0.03)]
        );
        assert_eq!(
            amounts(
                Money::cny(dec!(10))
                    .allocate(&[dec!(0), dec!(1), dec!(2)])
                    .unwrap()
            ),
            vec![dec!(0), dec!(3.33), dec!(6.67)]
        );
        // The amount is rounded to whole cents before it is split.
        assert_eq!(
            amounts(
                Money::cny(dec!(0.015))
                    .allocate(&[dec!(1), dec!(1)])
                    .unwrap()
            ),
            vec![dec!(0.01), dec!(0.01)]
        );
        assert_eq!(
            amounts(
                Money::new(dec!(100), Currency::JPY)
                    .allocate(&[dec!(1); 3])
                    .unwrap()
            ),
            vec![dec!(34), dec!(33), dec!(33)]
        );
        assert_eq!(
            amounts(
                Money::cny(dec!(-0.05))
                    .allocate(&[dec!(3), dec!(7)])
                    .unwrap()
            ),
            vec![dec!(-0.02), dec!(-0.03)]
        );
    }

    #[test]
    fn allocate_refuses_bad_weights() {
        let m = Money::cny(dec!(1));
        assert!(matches!(
            m.allocate(&[dec!(1), dec!(-1), dec!(2)]),
            Err(Error::Invalid { ref field, .. }) if field == "weights[1]"
        ));
        assert!(matches!(
            m.allocate(&[dec!(0), dec!(0)]),
            Err(Error::Invalid { ref field, .. }) if field == "weights"
        ));
        assert!(m.allocate(&[]).is_err());
    }

    #[test]
    fn sums() {
        assert_eq!(
            Money::sum(vec![Money::cny(dec!(1)), Money::cny(dec!(2))]).unwrap(),
            Money::cny(dec!(3))
        );
        assert!(matches!(
            Money::sum(Vec::<Money>::new()),
            Err(Error::Invalid { ref field, .. }) if field == "amounts"
        ));
        assert_eq!(
            Money::sum_in(Currency::USD, [Money::new(dec!(1), Currency::USD)]).unwrap(),
            Money::new(dec!(1), Currency::USD)
        );
    }

    /// An amount in cents between -1 000 000.00 and 1 000 000.00 with extra sub-cent digits.
    fn arb_amount() -> impl Strategy<Value = Decimal> {
        (-100_000_000_000i64..100_000_000_000).prop_map(|n| Decimal::new(n, 5))
    }

    /// Weights with up to 3 decimals, some zero, at least one positive.
    fn arb_weights() -> impl Strategy<Value = Vec<Decimal>> {
        prop::collection::vec(
            prop_oneof![Just(0i64), 1i64..1_000_000].prop_map(|n| Decimal::new(n, 3)),
            1..12,
        )
        .prop_filter("a positive sum", |w| w.iter().any(|x| !x.is_zero()))
    }

    proptest! {
        #[test]
        fn allocation_loses_no_cent(amount in arb_amount(), weights in arb_weights()) {
            let money = Money::cny(amount);
            let total = money.round(RoundingPolicy::HalfUp).amount();
            let parts = money.allocate(&weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert_eq!(Money::sum(&parts).unwrap().amount(), total);

            let weight_sum: Decimal = weights.iter().sum();
            for (part, weight) in parts.iter().zip(&weights) {
                let exact = total * *weight / weight_sum;
                prop_assert!((part.amount() - exact).abs() < dec!(0.01),
                    "part {} of exact share {}", part.amount(), exact);
                prop_assert!(part.amount().scale() == 2);
                prop_assert_eq!(part.currency(), Currency::CNY);
            }
        }

        #[test]
        fn allocation_of_a_negative_amount_mirrors_the_positive(
            amount in arb_amount(), weights in arb_weights()
        ) {
            let positive = Money::cny(amount.abs()).allocate(&weights).unwrap();
            let negative = Money::cny(-amount.abs()).allocate(&weights).unwrap();
            let mirrored: Vec<Money> = positive.into_iter().map(|m| -m).collect();
            prop_assert_eq!(negative, mirrored);
        }
    }
}
