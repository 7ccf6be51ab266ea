//! Exchange rates to CNY by date, and conversion of foreign amounts into CNY.
//!
//! Chinese books are kept in CNY (记账本位币); a foreign-currency amount is booked at the rate of
//! the transaction date (or, by the company's choice, of the first day of the month). The
//! library never fetches rates: the host loads the rates it uses (for example the PBOC central
//! parity, 人民币汇率中间价) into an [`ExchangeRates`] table, so a conversion is reproducible.
//!
//! By default a conversion needs the rate of exactly its date, because silently using an old
//! rate is how books drift. Weekends and holidays have no published rate, so a host that
//! wants "the latest rate before" opts in with [`ExchangeRates::with_lookback_days`].

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{round, Currency, Money, RoundingPolicy};
use crate::error::{Error, Result};

/// How many CNY one unit of a foreign currency was worth on a date.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_core::money::{Currency, ExchangeRate};
/// use rust_decimal_macros::dec;
///
/// let date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let rate = ExchangeRate::new(Currency::USD, date, dec!(7.1036))?;
/// assert_eq!(rate.cny_per_unit(), dec!(7.1036));
/// assert!(ExchangeRate::new(Currency::USD, date, dec!(0)).is_err());
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ExchangeRateRecord")]
pub struct ExchangeRate {
    currency: Currency,
    date: NaiveDate,
    cny_per_unit: Decimal,
}

/// The unchecked shape of an [`ExchangeRate`], so deserializing goes through [`ExchangeRate::new`].
#[derive(Deserialize)]
struct ExchangeRateRecord {
    currency: Currency,
    date: NaiveDate,
    cny_per_unit: Decimal,
}

impl TryFrom<ExchangeRateRecord> for ExchangeRate {
    type Error = Error;

    fn try_from(r: ExchangeRateRecord) -> Result<Self> {
        ExchangeRate::new(r.currency, r.date, r.cny_per_unit)
    }
}

impl ExchangeRate {
    /// A rate of `cny_per_unit` CNY for one unit of `currency` on `date`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `cny_per_unit`) unless the rate is above zero; (field
    /// `currency`) for CNY itself, whose rate is always 1.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_core::money::{Currency, ExchangeRate};
    /// use rust_decimal_macros::dec;
    ///
    /// let date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// assert!(ExchangeRate::new(Currency::JPY, date, dec!(0.048)).is_ok());
    /// assert!(ExchangeRate::new(Currency::CNY, date, dec!(1)).is_err());
    /// ```
    pub fn new(currency: Currency, date: NaiveDate, cny_per_unit: Decimal) -> Result<Self> {
        if currency == Currency::CNY {
            return Err(Error::invalid(
                "currency",
                "CNY needs no exchange rate: it is always 1",
            ));
        }
        if cny_per_unit <= Decimal::ZERO {
            return Err(Error::invalid(
                "cny_per_unit",
                format!("the {currency} rate on {date} must be above zero, not {cny_per_unit}"),
            ));
        }
        Ok(ExchangeRate {
            currency,
            date,
            cny_per_unit,
        })
    }

    /// The foreign currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The day the rate applies to.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// CNY per one unit of the currency.
    pub fn cny_per_unit(&self) -> Decimal {
        self.cny_per_unit
    }
}

/// A table of exchange rates to CNY, at most one per currency and day.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_core::money::{Currency, ExchangeRate, ExchangeRates};
/// use rust_decimal_macros::dec;
///
/// let friday = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let sunday = NaiveDate::from_ymd_opt(2024, 3, 3).unwrap();
/// let mut rates = ExchangeRates::new();
/// rates.insert(ExchangeRate::new(Currency::USD, friday, dec!(7.1036))?);
///
/// assert_eq!(rates.rate_on(Currency::USD, friday)?, dec!(7.1036));
/// assert_eq!(rates.rate_on(Currency::CNY, sunday)?, dec!(1));
/// assert!(rates.rate_on(Currency::USD, sunday).is_err());
///
/// let rates = rates.with_lookback_days(3);
/// assert_eq!(rates.rate_on(Currency::USD, sunday)?, dec!(7.1036));
/// # Ok::<(), crm_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeRates {
    by_currency: BTreeMap<Currency, BTreeMap<NaiveDate, Decimal>>,
    lookback_days: u32,
}

impl ExchangeRates {
    /// An empty table that requires the rate of exactly the conversion date.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts, when a date has no rate, the latest rate of the `days` days before it.
    ///
    /// `0` (the default) requires the rate of exactly that date. Three days bridge a weekend;
    /// the Spring Festival holiday needs about nine.
    pub fn with_lookback_days(mut self, days: u32) -> Self {
        self.lookback_days = days;
        self
    }

    /// How many days before a date a rate may come from; see [`ExchangeRates::with_lookback_days`].
    pub fn lookback_days(&self) -> u32 {
        self.lookback_days
    }

    /// Adds a rate, or replaces the rate of the same currency and day; returns the replaced one.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_core::money::{Currency, ExchangeRate, ExchangeRates};
    /// use rust_decimal_macros::dec;
    ///
    /// let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// let mut rates = ExchangeRates::new();
    /// assert_eq!(rates.insert(ExchangeRate::new(Currency::EUR, day, dec!(7.70))?), None);
    /// let corrected = ExchangeRate::new(Currency::EUR, day, dec!(7.71))?;
    /// assert_eq!(rates.insert(corrected), Some(dec!(7.70)));
    /// assert_eq!(rates.rate_on(Currency::EUR, day)?, dec!(7.71));
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn insert(&mut self, rate: ExchangeRate) -> Option<Decimal> {
        self.by_currency
            .entry(rate.currency)
            .or_default()
            .insert(rate.date, rate.cny_per_unit)
    }

    /// The number of rates in the table.
    pub fn len(&self) -> usize {
        self.by_currency.values().map(BTreeMap::len).sum()
    }

    /// True if the table holds no rate.
    pub fn is_empty(&self) -> bool {
        self.by_currency.values().all(BTreeMap::is_empty)
    }

    /// All rates, by currency and then by date.
    pub fn iter(&self) -> impl Iterator<Item = ExchangeRate> + '_ {
        self.by_currency.iter().flat_map(|(currency, dates)| {
            dates.iter().map(|(date, cny_per_unit)| ExchangeRate {
                currency: *currency,
                date: *date,
                cny_per_unit: *cny_per_unit,
            })
        })
    }

    /// The rate that applies to `currency` on `date`, with the date it was published for.
    ///
    /// For CNY this is a rate of 1 on `date` itself.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `exchange_rate`) naming the currency and the date if the table
    /// has no rate of that date, nor of the lookback window before it.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_core::money::{Currency, ExchangeRate, ExchangeRates};
    /// use rust_decimal_macros::dec;
    ///
    /// let friday = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// let monday = NaiveDate::from_ymd_opt(2024, 3, 4).unwrap();
    /// let mut rates = ExchangeRates::new().with_lookback_days(3);
    /// rates.insert(ExchangeRate::new(Currency::HKD, friday, dec!(0.9079))?);
    /// assert_eq!(rates.lookup(Currency::HKD, monday)?.date(), friday);
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    pub fn lookup(&self, currency: Currency, date: NaiveDate) -> Result<ExchangeRate> {
        if currency == Currency::CNY {
            return Ok(ExchangeRate {
                currency,
                date,
                cny_per_unit: Decimal::ONE,
            });
        }
        let earliest = date
            .checked_sub_days(Days::new(u64::from(self.lookback_days)))
            .unwrap_or(NaiveDate::MIN);
        self.by_currency
            .get(&currency)
            .and_then(|dates| dates.range(earliest..=date).next_back())
            .map(|(found, cny_per_unit)| ExchangeRate {
                currency,
                date: *found,
                cny_per_unit: *cny_per_unit,
            })
            .ok_or_else(|| {
                let reason = if self.lookback_days == 0 {
                    format!("no {currency} to CNY rate on {date}")
                } else {
                    format!(
                        "no {currency} to CNY rate on {date} or in the {} days before",
                        self.lookback_days
                    )
                };
                Error::invalid("exchange_rate", reason)
            })
    }

    /// CNY per unit of `currency` on `date`: 1 for CNY, otherwise the rate of that date or, with
    /// a lookback, the latest one within it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (field `exchange_rate`) naming the currency and the date if there is
    /// no such rate.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_core::money::{Currency, ExchangeRates};
    ///
    /// let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    /// let err = ExchangeRates::new().rate_on(Currency::USD, day).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid exchange_rate: no USD to CNY rate on 2024-03-01");
    /// ```
    pub fn rate_on(&self, currency: Currency, date: NaiveDate) -> Result<Decimal> {
        self.lookup(currency, date).map(|rate| rate.cny_per_unit)
    }
}

impl Extend<ExchangeRate> for ExchangeRates {
    fn extend<I: IntoIterator<Item = ExchangeRate>>(&mut self, rates: I) {
        for rate in rates {
            self.insert(rate);
        }
    }
}

impl FromIterator<ExchangeRate> for ExchangeRates {
    fn from_iter<I: IntoIterator<Item = ExchangeRate>>(rates: I) -> Self {
        let mut table = ExchangeRates::new();
        table.extend(rates);
        table
    }
}

/// The record of one conversion into CNY: what was converted, at which rate, and the result.
///
/// Keep it with the booking; it is what an auditor asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The amount as given, in its own currency.
    pub original: Money,
    /// CNY per unit of the original currency.
    pub rate: Decimal,
    /// The date the conversion was made for.
    pub date: NaiveDate,
    /// The date of the rate used: `date` itself, or an earlier day within the lookback.
    pub rate_date: NaiveDate,
    /// The amount in CNY, rounded to 2 places (分).
    pub cny: Money,
}

/// Converts `money` into CNY at the rate of `date`, rounding the result to 2 places with
/// `policy`.
///
/// An amount already in CNY converts at 1 (and is only rounded).
///
/// # Errors
///
/// [`Error::Invalid`] (field `exchange_rate`) if `rates` has no rate for the currency on that
/// date (see [`ExchangeRates::rate_on`]); [`Error::Overflow`] if the product does not fit a
/// [`Decimal`].
///
/// ```
/// use chrono::NaiveDate;
/// use crm_core::money::{convert_to_cny, Currency, ExchangeRate, ExchangeRates, Money, RoundingPolicy};
/// use rust_decimal_macros::dec;
///
/// let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
/// let rates: ExchangeRates = [ExchangeRate::new(Currency::USD, day, dec!(7.1036))?]
///     .into_iter()
///     .collect();
/// let usd = Money::new(dec!(99.99), Currency::USD);
/// let c = convert_to_cny(&usd, day, &rates, RoundingPolicy::HalfUp)?;
/// // 99.99 × 7.1036 = 710.288964
/// assert_eq!(c.cny, Money::cny(dec!(710.29)));
/// assert_eq!(c.rate, dec!(7.1036));
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn convert_to_cny(
    money: &Money,
    date: NaiveDate,
    rates: &ExchangeRates,
    policy: RoundingPolicy,
) -> Result<Conversion> {
    let rate = rates.lookup(money.currency(), date)?;
    let exact = money
        .amount()
        .checked_mul(rate.cny_per_unit)
        .ok_or(Error::Overflow("currency conversion"))?;
    Ok(Conversion {
        original: *money,
        rate: rate.cny_per_unit,
        date,
        rate_date: rate.date,
        cny: Money::cny(round(exact, Currency::CNY.minor_units(), policy)),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
    }

    fn table() -> ExchangeRates {
        [
            ExchangeRate::new(Currency::USD, day(1), dec!(7.1036)).unwrap(),
            ExchangeRate::new(Currency::USD, day(4), dec!(7.1020)).unwrap(),
            ExchangeRate::new(Currency::EUR, day(1), dec!(7.7000)).unwrap(),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn rate_validation() {
        assert!(ExchangeRate::new(Currency::USD, day(1), dec!(-7)).is_err());
        assert!(matches!(
            ExchangeRate::new(Currency::USD, day(1), dec!(0)),
            Err(Error::Invalid { ref field, .. }) if field == "cny_per_unit"
        ));
        assert!(matches!(
            ExchangeRate::new(Currency::CNY, day(1), dec!(1)),
            Err(Error::Invalid { ref field, .. }) if field == "currency"
        ));
    }

    #[test]
    fn exact_date_is_required_by_default() {
        let rates = table();
        assert_eq!(rates.rate_on(Currency::USD, day(1)).unwrap(), dec!(7.1036));
        assert_eq!(rates.rate_on(Currency::USD, day(4)).unwrap(), dec!(7.1020));
        let err = rates.rate_on(Currency::USD, day(2)).unwrap_err();
        match err {
            Error::Invalid { field, reason } => {
                assert_eq!(field, "exchange_rate");
                assert!(
                    reason.contains("USD") && reason.contains("2024-03-02"),
                    "{reason}"
                );
            }
            other => panic!("unexpected {other}"),
        }
        assert!(rates.rate_on(Currency::HKD, day(1)).is_err());
    }

    #[test]
    fn lookback_takes_the_latest_rate_within_the_window() {
        let rates = table().with_lookback_days(2);
        assert_eq!(rates.rate_on(Currency::USD, day(3)).unwrap(), dec!(7.1036));
        assert_eq!(rates.lookup(Currency::USD, day(3)).unwrap().date(), day(1));
        assert_eq!(rates.rate_on(Currency::USD, day(5)).unwrap(), dec!(7.1020));
        // The EUR rate of day 1 is three days before day 4: too old for a two-day window.
        assert!(rates.rate_on(Currency::EUR, day(4)).is_err());
        // A rate after the date is never used.
        assert!(rates
            .rate_on(Currency::USD, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
            .is_err());
        let reason = rates
            .rate_on(Currency::EUR, day(4))
            .unwrap_err()
            .to_string();
        assert!(reason.contains("2 days before"), "{reason}");
    }

    #[test]
    fn lookback_near_the_earliest_date_does_not_overflow() {
        let rates = ExchangeRates::new().with_lookback_days(u32::MAX);
        assert!(rates.rate_on(Currency::USD, NaiveDate::MIN).is_err());
    }

    #[test]
    fn cny_is_always_one() {
        let rates = ExchangeRates::new();
        assert_eq!(rates.rate_on(Currency::CNY, day(9)).unwrap(), Decimal::ONE);
        let c = convert_to_cny(
            &Money::cny(dec!(1.005)),
            day(9),
            &rates,
            RoundingPolicy::HalfUp,
        )
        .unwrap();
        assert_eq!(c.cny, Money::cny(dec!(1.01)));
        assert_eq!(c.rate_date, day(9));
    }

    #[test]
    fn insert_replaces_and_counts() {
        let mut rates = table();
        assert_eq!(rates.len(), 3);
        assert!(!rates.is_empty());
        let old = rates.insert(ExchangeRate::new(Currency::USD, day(1), dec!(7.2)).unwrap());
        assert_eq!(old, Some(dec!(7.1036)));
        assert_eq!(rates.len(), 3);
        assert_eq!(rates.iter().count(), 3);
        assert!(ExchangeRates::new().is_empty());
    }

    #[test]
    fn conversion_rounds_with_the_named_policy() {
        let rates = table();
        // 10.05 × 7.7000 = 77.385: exactly half a fen.
        let eur = Money::new(dec!(10.05), Currency::EUR);
        let up = convert_to_cny(&eur, day(1), &rates, RoundingPolicy::HalfUp).unwrap();
        let even = convert_to_cny(&eur, day(1), &rates, RoundingPolicy::HalfEven).unwrap();
        assert_eq!(up.cny.amount(), dec!(77.39));
        assert_eq!(even.cny.amount(), dec!(77.38));
        assert_eq!(up.original, eur);
        // A refund converts to a negative CNY amount.
        let refund = convert_to_cny(&-eur, day(1), &rates, RoundingPolicy::HalfUp).unwrap();
        assert_eq!(refund.cny.amount(), dec!(-77.39));
    }

    #[test]
    fn conversion_without_a_rate_fails() {
        let usd = Money::new(dec!(1), Currency::USD);
        assert!(matches!(
            convert_to_cny(&usd, day(2), &table(), RoundingPolicy::HalfUp),
            Err(Error::Invalid { ref field, .. }) if field == "exchange_rate"
        ));
    }

    #[test]
    fn rates_deserialize_through_validation() {
        let ok: ExchangeRate =
            serde_json::from_str(r#"{"currency":"USD","date":"2024-03-01","cny_per_unit":"7.1"}"#)
                .unwrap();
        assert_eq!(ok.cny_per_unit(), dec!(7.1));
        assert!(serde_json::from_str::<ExchangeRate>(
            r#"{"currency":"USD","date":"2024-03-01","cny_per_unit":"-1"}"#
        )
        .is_err());
    }
}
