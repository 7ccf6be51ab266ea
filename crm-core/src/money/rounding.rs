//! Rounding: the one place in the library where a decimal loses digits.
//!
//! Every amount, price and tax the library computes is rounded by [`round`] with a named
//! [`RoundingPolicy`], never inline with `round_dp`. Keeping it in one function means a change of
//! policy (or a bug fix) reaches the quote, the order and the invoice alike, which is what keeps
//! their totals identical.
//!
//! [`round_to_total`] is the other half: rounding several shares of a known total so that the
//! rounded parts still add up to it exactly (the "no lost cent" rule).

use std::cmp::Reverse;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a value that falls between two representable results is rounded.
///
/// The names follow the Chinese accounting vocabulary; each maps onto one
/// [`rust_decimal::RoundingStrategy`].
///
/// ```
/// use crm_core::money::{round, RoundingPolicy};
/// use rust_decimal_macros::dec;
///
/// assert_eq!(round(dec!(2.345), 2, RoundingPolicy::HalfUp), dec!(2.35));
/// assert_eq!(round(dec!(2.345), 2, RoundingPolicy::HalfEven), dec!(2.34));
/// assert_eq!(round(dec!(2.349), 2, RoundingPolicy::Down), dec!(2.34));
/// assert_eq!(round(dec!(2.341), 2, RoundingPolicy::Up), dec!(2.35));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingPolicy {
    /// 四舍五入: to the nearest, and away from zero at exactly half (`2.345 → 2.35`,
    /// `-2.345 → -2.35`). The default of Chinese accounting and of 增值税发票.
    #[default]
    HalfUp,
    /// Banker's rounding: to the nearest, and to the even neighbour at exactly half
    /// (`2.345 → 2.34`, `2.355 → 2.36`). Unbiased over many roundings.
    HalfEven,
    /// 舍去 / truncation: toward zero (`2.349 → 2.34`, `-2.349 → -2.34`).
    Down,
    /// 进一: away from zero (`2.341 → 2.35`, `-2.341 → -2.35`).
    Up,
}

impl RoundingPolicy {
    /// The `rust_decimal` strategy that implements this policy.
    pub fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingPolicy::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingPolicy::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingPolicy::Down => RoundingStrategy::ToZero,
            RoundingPolicy::Up => RoundingStrategy::AwayFromZero,
        }
    }
}

/// Rounds `value` to `decimals` decimal places with `policy`.
///
/// This is the only function in the library that rounds. The result always carries exactly
/// `decimals` places (`1.5` rounded to 2 places is `1.50`), so amounts print and serialize as
/// `"12.30"`, and it is never negative zero. `decimals` above 28 (the most a
/// [`Decimal`] holds) is treated as 28.
///
/// ```
/// use crm_core::money::{round, RoundingPolicy};
/// use rust_decimal_macros::dec;
///
/// assert_eq!(round(dec!(0.125), 2, RoundingPolicy::HalfUp).to_string(), "0.13");
/// assert_eq!(round(dec!(-0.125), 2, RoundingPolicy::HalfUp).to_string(), "-0.13");
/// assert_eq!(round(dec!(7), 2, RoundingPolicy::HalfUp).to_string(), "7.00");
/// assert_eq!(round(dec!(-0.001), 2, RoundingPolicy::HalfUp).to_string(), "0.00");
/// ```
pub fn round(value: Decimal, decimals: u32, policy: RoundingPolicy) -> Decimal {
    let decimals = decimals.min(Decimal::MAX_SCALE);
    let mut rounded = value.round_dp_with_strategy(decimals, policy.strategy());
    if rounded.scale() < decimals {
        // Padding with zeros never changes the value; `rescale` keeps as many places as the
        // mantissa allows for very large numbers.
        rounded.rescale(decimals);
    }
    if rounded.is_zero() {
        // `-0.001` rounds to a zero that remembers its sign and would print as "-0.00".
        rounded.set_sign_positive(true);
    }
    rounded
}

/// Rounds a money amount to 2 places (分) with [`RoundingPolicy::HalfUp`] (四舍五入).
///
/// ```
/// use crm_core::money::round_money;
/// use rust_decimal_macros::dec;
///
/// assert_eq!(round_money(dec!(10.005)), dec!(10.01));
/// assert_eq!(round_money(dec!(10.004)), dec!(10.00));
/// ```
pub fn round_money(value: Decimal) -> Decimal {
    round(value, 2, RoundingPolicy::HalfUp)
}

/// Rounds each of `shares` to `decimals` places so that the rounded parts add up to exactly
/// `total` (largest-remainder method).
///
/// Each share is first rounded down to the grid of `decimals` places; the units still missing
/// to reach `total` then go, one each, to the shares that lost the most in that rounding. Equal
/// losses are broken by position (the earlier share wins), so the result is deterministic. A
/// negative `total` is handled as the mirror image of the positive one, so a credit note
/// allocates exactly like the invoice it reverses.
///
/// When `total` is the sum of the shares, or that sum rounded to `decimals` places by any
/// policy, every part is its share rounded down or up to the grid: it differs from the share by
/// less than one unit of the last place. Shares may have mixed signs.
///
/// # Errors
///
/// [`Error::Invalid`] (field `total`) if `total` has more than `decimals` places (no parts on
/// the grid can add up to it), or if `shares` is empty and `total` is not zero;
/// [`Error::Overflow`] if a sum does not fit a [`Decimal`].
///
/// ```
/// use crm_core::money::round_to_total;
/// use rust_decimal_macros::dec;
///
/// // Three equal thirds of 0.10 cannot all be 0.03 or 0.04: the first one gets the extra cent.
/// let third = dec!(0.10) / dec!(3);
/// let parts = round_to_total(&[third, third, third], dec!(0.10), 2)?;
/// assert_eq!(parts, vec![dec!(0.04), dec!(0.03), dec!(0.03)]);
///
/// // 13 % of three lines of 0.10 is 0.039 in all, 0.04 rounded: 0.013 each is rounded so the
/// // lines still add up to 0.04.
/// let parts = round_to_total(&[dec!(0.013); 3], dec!(0.04), 2)?;
/// assert_eq!(parts.iter().sum::<rust_decimal::Decimal>(), dec!(0.04));
/// # Ok::<(), crm_core::Error>(())
/// ```
pub fn round_to_total(shares: &[Decimal], total: Decimal, decimals: u32) -> Result<Vec<Decimal>> {
    let decimals = decimals.min(Decimal::MAX_SCALE);
    if total.normalize().scale() > decimals {
        return Err(Error::invalid(
            "total",
            format!("{total} has more than {decimals} decimal places"),
        ));
    }
    if shares.is_empty() {
        return if total.is_zero() {
            Ok(Vec::new())
        } else {
            Err(Error::invalid(
                "total",
                format!("{total} cannot be split into no parts"),
            ))
        };
    }
    if total.is_sign_negative() && !total.is_zero() {
        let mirrored: Vec<Decimal> = shares.iter().map(|s| -*s).collect();
        let parts = round_to_total(&mirrored, -total, decimals)?;
        return Ok(parts.into_iter().map(|p| pad(-p, decimals)).collect());
    }

    let unit = Decimal::new(1, decimals);
    let floors: Vec<Decimal> = shares
        .iter()
        .map(|s| s.round_dp_with_strategy(decimals, RoundingStrategy::ToNegativeInfinity))
        .collect();
    let floor_sum = checked_sum(&floors)?;
    let missing = total.checked_sub(floor_sum).ok_or(overflow())?;
    // Both `total` and the floors lie on the grid, so this division is exact.
    let missing_units = missing.checked_div(unit).ok_or(overflow())?;

    // Normally 0 <= missing_units <= shares.len(). Spreading whole rounds first keeps the sum
    // exact even for a `total` far from the shares' sum.
    let n = Decimal::from(shares.len());
    let rounds = (missing_units / n).floor();
    let extra = missing_units - rounds * n;
    let every_part = rounds.checked_mul(unit).ok_or(overflow())?;
    // `extra` lies in 0..n, so it fits a usize.
    let extra = extra.to_usize().unwrap_or(0);

    let mut by_loss: Vec<usize> = (0..shares.len()).collect();
    // A stable sort keeps equal losses in index order: the deterministic tie-break.
    by_loss.sort_by_key(|&i| Reverse(shares[i] - floors[i]));

    let mut parts = floors;
    for part in &mut parts {
        *part = part.checked_add(every_part).ok_or(overflow())?;
    }
    for &i in by_loss.iter().take(extra) {
        parts[i] = parts[i].checked_add(unit).ok_or(overflow())?;
    }
    Ok(parts.into_iter().map(|p| pad(p, decimals)).collect())
}

/// Gives an on-grid value exactly `decimals` places, as [`round`] does, without rounding.
fn pad(value: Decimal, decimals: u32) -> Decimal {
    round(value, decimals, RoundingPolicy::HalfUp)
}

fn checked_sum(values: &[Decimal]) -> Result<Decimal> {
    values.iter().try_fold(Decimal::ZERO, |acc, v| {
        acc.checked_add(*v).ok_or(overflow())
    })
}

fn overflow() -> Error {
    Error::Overflow("rounding to a total")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn each_policy_at_the_midpoint_and_off_it() {
        use RoundingPolicy::*;
        let cases = [
            // value, HalfUp, HalfEven, Down, Up
            (dec!(2.345), dec!(2.35), dec!(2.34), dec!(2.34), dec!(2.35)),
            (dec!(2.355), dec!(2.36), dec!(2.36), dec!(2.35), dec!(2.36)),
            (
                dec!(-2.345),
                dec!(-2.35),
                dec!(-2.34),
                dec!(-2.34),
                dec!(-2.35),
            ),
            (dec!(2.3449), dec!(2.34), dec!(2.34), dec!(2.34), dec!(2.35)),
            (dec!(2.3451), dec!(2.35), dec!(2.35), dec!(2.34), dec!(2.35)),
            (dec!(2.34), dec!(2.34), dec!(2.34), dec!(2.34), dec!(2.34)),
        ];
        for (value, half_up, half_even, down, up) in cases {
            assert_eq!(round(value, 2, HalfUp), half_up, "{value} HalfUp");
            assert_eq!(round(value, 2, HalfEven), half_even, "{value} HalfEven");
            assert_eq!(round(value, 2, Down), down, "{value} Down");
            assert_eq!(round(value, 2, Up), up, "{value} Up");
        }
    }

    #[test]
    fn default_policy_is_half_up() {
        assert_eq!(RoundingPolicy::default(), RoundingPolicy::HalfUp);
    }

    #[test]
    fn result_has_exactly_the_requested_places() {
        assert_eq!(
            round(dec!(3), 2, RoundingPolicy::HalfUp).to_string(),
            "3.00"
        );
        assert_eq!(
            round(dec!(3.14159), 0, RoundingPolicy::HalfUp).to_string(),
            "3"
        );
        assert_eq!(
            round(dec!(-0.004), 2, RoundingPolicy::HalfUp).to_string(),
            "0.00"
        );
        assert_eq!(round(dec!(1.5), 40, RoundingPolicy::HalfUp), dec!(1.5));
    }

    #[test]
    fn policy_serializes_in_snake_case() {
        let json = serde_json::to_string(&RoundingPolicy::HalfEven).unwrap();
        assert_eq!(json, "\"half_even\"");
        let back: RoundingPolicy = serde_json::from_str("\"half_up\"").unwrap();
        assert_eq!(back, RoundingPolicy::HalfUp);
    }

    #[test]
    fn round_to_total_keeps_every_cent() {
        let parts =
            round_to_total(&[dec!(0.013), dec!(0.013), dec!(0.013)], dec!(0.04), 2).unwrap();
        assert_eq!(parts, vec![dec!(0.02), dec!(0.01), dec!(0.01)]);
        let parts = round_to_total(&[dec!(0.011), dec!(0.019)], dec!(0.03), 2).unwrap();
        assert_eq!(parts, vec![dec!(0.01), dec!(0.02)]);
    }

    #[test]
    fn round_to_total_mirrors_negative_totals() {
        let positive = round_to_total(&[dec!(0.013); 3], dec!(0.04), 2).unwrap();
        let negative = round_to_total(&[dec!(-0.013); 3], dec!(-0.04), 2).unwrap();
        let mirrored: Vec<Decimal> = positive.iter().map(|p| -*p).collect();
        assert_eq!(negative, mirrored);
    }

    #[test]
    fn round_to_total_with_mixed_signs() {
        let parts = round_to_total(&[dec!(13.013), dec!(-6.5065)], dec!(6.51), 2).unwrap();
        assert_eq!(parts.iter().sum::<Decimal>(), dec!(6.51));
        // The second share lost more to rounding down (0.0035 against 0.003), so it gets the cent.
        assert_eq!(parts, vec![dec!(13.01), dec!(-6.50)]);
    }

    #[test]
    fn round_to_total_far_from_the_shares_still_sums() {
        let parts = round_to_total(&[dec!(1), dec!(1)], dec!(5.01), 2).unwrap();
        assert_eq!(parts, vec![dec!(2.51), dec!(2.50)]);
        let parts = round_to_total(&[dec!(1), dec!(1)], dec!(0), 2).unwrap();
        assert_eq!(parts, vec![dec!(0), dec!(0)]);
    }

    #[test]
    fn round_to_total_refuses_impossible_inputs() {
        assert!(matches!(
            round_to_total(&[dec!(1)], dec!(0.001), 2),
            Err(Error::Invalid { ref field, .. }) if field == "total"
        ));
        assert!(round_to_total(&[], dec!(1), 2).is_err());
        assert_eq!(
            round_to_total(&[], dec!(0), 2).unwrap(),
            Vec::<Decimal>::new()
        );
        // Trailing zeros beyond the grid are not extra precision.
        assert!(round_to_total(&[dec!(1)], dec!(1.0000), 2).is_ok());
    }
}
