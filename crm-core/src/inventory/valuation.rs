//! Moving weighted average cost (移动加权平均): the one place stock is valued.
//!
//! A [`Position`] is what one warehouse holds of one product: a quantity and its value. A
//! receipt adds its quantity and its value (quantity × unit cost, rounded to the cent). An issue
//! takes its share of the value at the average cost *before rounding*: `value × issued ÷ on
//! hand`, rounded once with [`VALUATION_ROUNDING`] to [`VALUE_DECIMALS`] places. So
//!
//! - an issue never takes more than the position is worth, and never leaves a position with
//!   units but a negative value;
//! - issuing the last unit takes exactly what is left: the position ends at quantity zero and
//!   value zero, and no cent is lost or made;
//! - the unit cost printed on a ledger entry ([`Position::unit_cost`], 6 places) is for people;
//!   the amounts never go through it.
//!
//! Where a warehouse allows negative stock, an issue beyond what is on hand takes the whole
//! value and values the shortfall at the last known unit cost. A later receipt fills the
//! shortfall: the units it leaves on hand are worth their share of the receipt, units still
//! short stay at the last cost, and the difference between what the shortfall was issued at and
//! what it really cost is booked as an adjustment ([`Posting::adjustment`]), so a position with
//! units never carries a negative value and a position of zero units is worth zero.
//!
//! ```
//! use crm_core::inventory::Position;
//! use rust_decimal_macros::dec;
//!
//! // In 10 at 10.00 and 10 at 20.00, out 15: 5 units worth 75.00 are left.
//! let p = Position::default();
//! let p = p.receive(dec!(10), dec!(10.00))?.after;
//! let p = p.receive(dec!(10), dec!(20.00))?.after;
//! let out = p.issue(dec!(15), false)?;
//! assert_eq!(out.value, dec!(-225.00));
//! assert_eq!((out.after.quantity, out.after.value), (dec!(5), dec!(75.00)));
//! # Ok::<(), crm_core::Error>(())
//! ```

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money::{round, RoundingPolicy};

/// Places of a stock value (分).
pub const VALUE_DECIMALS: u32 = 2;
/// Places of a unit cost as shown on a ledger entry.
pub const COST_DECIMALS: u32 = 6;
/// How stock values are rounded: half up (四舍五入), the accountants' default.
pub const VALUATION_ROUNDING: RoundingPolicy = RoundingPolicy::HalfUp;

/// What one warehouse holds of one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Position {
    /// Units on hand (negative only where the warehouse allows it).
    pub quantity: Decimal,
    /// Their value at moving average cost, to the cent.
    pub value: Decimal,
    /// The last unit cost: the average while units are on hand, else the cost of the last
    /// movement (what a shortfall is valued at).
    pub last_cost: Decimal,
}

/// What one movement does to a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posting {
    /// Units in (positive) or out (negative).
    pub quantity: Decimal,
    /// The movement's unit cost, for the ledger (6 places).
    pub unit_cost: Decimal,
    /// Value in (positive) or out (negative), to the cent.
    pub value: Decimal,
    /// A value booked apart with no quantity: the remainder of a position whose quantity came
    /// back to zero (see the module documentation). `None` when there is none.
    pub adjustment: Option<Decimal>,
    /// The position after the movement (and its adjustment).
    pub after: Position,
}

fn value_of(amount: Decimal) -> Decimal {
    round(amount, VALUE_DECIMALS, VALUATION_ROUNDING)
}

fn cost_of(amount: Decimal) -> Decimal {
    round(amount, COST_DECIMALS, VALUATION_ROUNDING)
}

fn overflow<T>(v: Option<T>) -> Result<T> {
    v.ok_or(Error::Overflow("stock valuation"))
}

impl Position {
    /// The average unit cost while units are on hand, else the last cost (6 places).
    pub fn unit_cost(&self) -> Decimal {
        if self.quantity > Decimal::ZERO {
            self.value
                .checked_div(self.quantity)
                .map_or(self.last_cost, cost_of)
        } else {
            self.last_cost
        }
    }

    /// Settles a position whose quantity may have come back to zero: a value left over then is
    /// an adjustment.
    fn settle(
        quantity: Decimal,
        value: Decimal,
        last_cost: Decimal,
    ) -> (Position, Option<Decimal>) {
        if quantity.is_zero() && !value.is_zero() {
            let p = Position {
                quantity,
                value: Decimal::ZERO,
                last_cost,
            };
            (p, Some(-value))
        } else {
            let mut p = Position {
                quantity,
                value,
                last_cost,
            };
            p.last_cost = p.unit_cost();
            (p, None)
        }
    }

    /// Takes in `quantity` units at `unit_cost` each.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a quantity not more than zero or a negative cost;
    /// [`Error::Overflow`] past the decimal range.
    pub fn receive(&self, quantity: Decimal, unit_cost: Decimal) -> Result<Posting> {
        if quantity <= Decimal::ZERO {
            return Err(Error::invalid(
                "quantity",
                format!("{quantity} is not more than zero"),
            ));
        }
        if unit_cost < Decimal::ZERO {
            return Err(Error::invalid(
                "unit_cost",
                format!("{unit_cost} is negative"),
            ));
        }
        let value = value_of(overflow(quantity.checked_mul(unit_cost))?);
        let mut posting = self.receive_value(quantity, value)?;
        // The ledger shows the cost as entered.
        posting.unit_cost = cost_of(unit_cost);
        Ok(posting)
    }

    /// Takes in `quantity` units worth `value` in all: what a transfer brings from the
    /// warehouse it leaves, at exactly the value that left it.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a quantity not more than zero or a negative value;
    /// [`Error::Overflow`] past the decimal range.
    pub fn receive_value(&self, quantity: Decimal, value: Decimal) -> Result<Posting> {
        if quantity <= Decimal::ZERO {
            return Err(Error::invalid(
                "quantity",
                format!("{quantity} is not more than zero"),
            ));
        }
        if value < Decimal::ZERO {
            return Err(Error::invalid("value", format!("{value} is negative")));
        }
        let value = value_of(value);
        let unit_cost = cost_of(overflow(value.checked_div(quantity))?);
        let q = overflow(self.quantity.checked_add(quantity))?;
        let v = overflow(self.value.checked_add(value))?;
        let (after, adjustment) = if self.quantity < Decimal::ZERO {
            // The receipt fills a shortfall that was issued at the last cost. The units left
            // on hand are the receipt's own, worth their share of it; units still short stay
            // at the last cost; the difference is the cost the estimate missed, booked apart.
            let target = if q > Decimal::ZERO {
                value_of(overflow(
                    overflow(value.checked_mul(q))?.checked_div(quantity),
                )?)
            } else {
                value_of(overflow(q.checked_mul(self.last_cost))?)
            };
            let last_cost = if q > Decimal::ZERO {
                unit_cost
            } else {
                self.last_cost
            };
            let after = Position {
                quantity: q,
                value: target,
                last_cost,
            };
            let adjustment = overflow(target.checked_sub(v))?;
            (after, (!adjustment.is_zero()).then_some(adjustment))
        } else {
            Position::settle(q, v, unit_cost)
        };
        Ok(Posting {
            quantity,
            unit_cost,
            value,
            adjustment,
            after,
        })
    }

    /// Issues `quantity` units at moving average cost. Beyond what is on hand only when
    /// `allow_negative`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a quantity not more than zero; [`Error::InsufficientStock`] when
    /// it is more than is on hand and negative stock is not allowed (the caller fills in the
    /// product and warehouse); [`Error::Overflow`] past the decimal range.
    pub fn issue(&self, quantity: Decimal, allow_negative: bool) -> Result<Posting> {
        if quantity <= Decimal::ZERO {
            return Err(Error::invalid(
                "quantity",
                format!("{quantity} is not more than zero"),
            ));
        }
        let on_hand = self.quantity.max(Decimal::ZERO);
        if quantity > on_hand && !allow_negative {
            return Err(Error::InsufficientStock {
                product: String::new(),
                warehouse: String::new(),
                on_hand: self.quantity,
                wanted: quantity,
            });
        }
        let unit_cost = self.unit_cost();
        let value = if quantity >= on_hand {
            // Everything on hand (its whole value) and the shortfall at the last cost.
            let short = quantity - on_hand;
            let pos_value = if on_hand.is_zero() {
                Decimal::ZERO
            } else {
                self.value
            };
            overflow(pos_value.checked_add(value_of(overflow(short.checked_mul(unit_cost))?)))?
        } else {
            let share = overflow(self.value.checked_mul(quantity))?;
            value_of(overflow(share.checked_div(on_hand))?)
        };
        let q = overflow(self.quantity.checked_sub(quantity))?;
        let v = overflow(self.value.checked_sub(value))?;
        let (mut after, adjustment) = Position::settle(q, v, unit_cost);
        if after.quantity < Decimal::ZERO {
            after.last_cost = unit_cost;
        }
        Ok(Posting {
            quantity: -quantity,
            unit_cost,
            value: -value,
            adjustment,
            after,
        })
    }

    /// Posts a counted difference (stocktake): a gain (`difference` > 0) is received at the
    /// current unit cost, a loss issued at moving average cost (beyond what is on hand only
    /// when `allow_negative`). `None` when there is no difference.
    ///
    /// # Errors
    /// As [`Position::issue`] for a loss.
    pub fn correct(&self, difference: Decimal, allow_negative: bool) -> Result<Option<Posting>> {
        if difference > Decimal::ZERO {
            self.receive(difference, self.unit_cost()).map(Some)
        } else if difference < Decimal::ZERO {
            self.issue(-difference, allow_negative).map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn after_receipts(receipts: &[(Decimal, Decimal)]) -> Position {
        receipts.iter().fold(Position::default(), |p, &(q, c)| {
            p.receive(q, c).unwrap().after
        })
    }

    /// Golden cases: (receipts, issues, expected quantity, expected value left, issue values).
    #[test]
    fn moving_average_golden_cases() {
        type Case = (
            Vec<(Decimal, Decimal)>,
            Vec<Decimal>,
            Decimal,
            Decimal,
            Vec<Decimal>,
        );
        let cases: Vec<Case> = vec![
            // The two cases of the issue.
            (
                vec![(dec!(10), dec!(10.00)), (dec!(10), dec!(20.00))],
                vec![dec!(15)],
                dec!(5),
                dec!(75.00),
                vec![dec!(-225.00)],
            ),
            (
                vec![(dec!(1000), dec!(0.17)), (dec!(800), dec!(0.23))],
                vec![dec!(1800)],
                dec!(0),
                dec!(0.00),
                vec![dec!(-354.00)],
            ),
            // 10.00 over 3 units: 3.33, 3.33, then the last unit takes the 3.34 left.
            (
                vec![(dec!(3), dec!(3.333333))],
                vec![dec!(1), dec!(1), dec!(1)],
                dec!(0),
                dec!(0.00),
                vec![dec!(-3.33), dec!(-3.34), dec!(-3.33)],
            ),
            // Fractional quantities (kg), a cost with 4 places.
            (
                vec![(dec!(2.5), dec!(12.3456)), (dec!(0.75), dec!(13))],
                vec![dec!(1.2)],
                dec!(2.05),
                dec!(25.62),
                vec![dec!(-14.99)],
            ),
            // Many cheap units: the average rounds to 0.000000 but the value is not lost.
            (
                vec![(dec!(3000000), dec!(0.0000003))],
                vec![dec!(1000000), dec!(2000000)],
                dec!(0),
                dec!(0.00),
                vec![dec!(-0.30), dec!(-0.60)],
            ),
        ];
        for (i, (ins, outs, qty, value, issued)) in cases.iter().enumerate() {
            let mut p = after_receipts(ins);
            let mut got = Vec::new();
            for &q in outs {
                let post = p.issue(q, false).unwrap();
                got.push(post.value);
                assert_eq!(post.adjustment, None, "case {i}");
                p = post.after;
            }
            assert_eq!(&got, issued, "case {i}: issue values");
            assert_eq!((p.quantity, p.value), (*qty, *value), "case {i}: left");
        }
    }

    #[test]
    fn receipt_value_is_rounded_to_the_cent_half_up() {
        let post = Position::default().receive(dec!(3), dec!(0.335)).unwrap();
        assert_eq!(post.value, dec!(1.01)); // 1.005
        assert_eq!(post.after.unit_cost(), dec!(0.336667));
    }

    #[test]
    fn issuing_more_than_on_hand_is_refused_unless_negative_stock_is_allowed() {
        let p = after_receipts(&[(dec!(2), dec!(5))]);
        assert!(matches!(
            p.issue(dec!(3), false),
            Err(Error::InsufficientStock { on_hand, wanted, .. }) if on_hand == dec!(2) && wanted == dec!(3)
        ));
        let neg = p.issue(dec!(3), true).unwrap();
        // The 10.00 on hand and one unit short at 5.00.
        assert_eq!(neg.value, dec!(-15.00));
        assert_eq!(
            (neg.after.quantity, neg.after.value),
            (dec!(-1), dec!(-5.00))
        );
    }

    #[test]
    fn a_receipt_that_brings_negative_stock_back_to_zero_books_the_remainder_as_an_adjustment() {
        let p = after_receipts(&[(dec!(2), dec!(5))]);
        let neg = p.issue(dec!(3), true).unwrap().after; // −1 unit, −5.00
        let back = neg.receive(dec!(1), dec!(6)).unwrap();
        assert_eq!(back.value, dec!(6.00));
        assert_eq!(back.adjustment, Some(dec!(-1.00)));
        assert_eq!(back.after.quantity, dec!(0));
        assert_eq!(back.after.value, dec!(0));
        // Nothing lost: receipts − issues + adjustment = value left.
        assert_eq!(
            dec!(10.00) - dec!(15.00) + dec!(6.00) + dec!(-1.00),
            dec!(0)
        );
    }

    #[test]
    fn a_receipt_that_fills_a_shortfall_values_the_units_left_at_its_own_cost() {
        // 1 unit at 11.39, 19 issued (18 short at 11.39), then 19 received free of charge.
        let p = after_receipts(&[(dec!(1), dec!(11.39))]);
        let short = p.issue(dec!(19), true).unwrap();
        assert_eq!(
            (short.after.quantity, short.after.value),
            (dec!(-18), dec!(-205.02))
        );
        let back = short.after.receive(dec!(19), dec!(0)).unwrap();
        assert_eq!(
            (back.after.quantity, back.after.value),
            (dec!(1), dec!(0.00))
        );
        assert_eq!(back.adjustment, Some(dec!(205.02)));
        // Partly filled: the units still short stay at the last cost.
        let part = short.after.receive(dec!(8), dec!(12)).unwrap();
        assert_eq!(
            (part.after.quantity, part.after.value),
            (dec!(-10), dec!(-113.90))
        );
        // −205.02 + 96.00 + adjustment = −113.90.
        assert_eq!(part.adjustment, Some(dec!(-4.88)));
        // Nothing lost: entries add up to the position.
        let p2 = part.after.receive(dec!(12), dec!(10)).unwrap();
        assert_eq!((p2.after.quantity, p2.after.value), (dec!(2), dec!(20.00)));
        let sum = dec!(11.39)
            + short.value
            + part.value
            + part.adjustment.unwrap()
            + p2.value
            + p2.adjustment.unwrap();
        assert_eq!(sum, p2.after.value);
    }

    #[test]
    fn a_counted_difference_posts_at_the_current_cost() {
        let p = after_receipts(&[(dec!(10), dec!(2.5))]);
        let loss = p.correct(dec!(-2), false).unwrap().unwrap();
        assert_eq!((loss.quantity, loss.value), (dec!(-2), dec!(-5.00)));
        let gain = p.correct(dec!(1), false).unwrap().unwrap();
        assert_eq!((gain.quantity, gain.value), (dec!(1), dec!(2.50)));
        assert_eq!(p.correct(dec!(0), false).unwrap(), None);
        assert!(p.correct(dec!(-11), false).is_err());
    }

    #[test]
    fn bad_quantities_and_costs_are_refused() {
        let p = Position::default();
        assert!(p.receive(dec!(0), dec!(1)).is_err());
        assert!(p.receive(dec!(1), dec!(-1)).is_err());
        assert!(p.issue(dec!(0), true).is_err());
    }
}
