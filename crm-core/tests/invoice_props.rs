//! Property tests of the order-to-cash arithmetic: however a document's lines are carried over,
//! invoiced in parts and reversed, no cent drifts.
#![allow(clippy::unwrap_used, missing_docs)]

use proptest::prelude::*;
use rust_decimal::Decimal;

use crm_core::money::{compute_document, LineInput, PriceBasis, TaxRounding, TaxSettings};
use crm_core::sales::{invoice_amounts, Portion};

fn line() -> impl Strategy<Value = LineInput> {
    (
        1i64..5_000,      // quantity in thousandths … 5
        0i64..10_000_000, // price in 1/10,000 … 1000
        0i64..=100,       // discount in %
        prop_oneof![Just(0i64), Just(3), Just(6), Just(9), Just(13)],
        any::<bool>(),
    )
        .prop_map(|(q, p, disc, rate, incl)| LineInput {
            quantity: Decimal::new(q, 3),
            unit_price: Decimal::new(p, 4),
            basis: if incl {
                PriceBasis::TaxInclusive
            } else {
                PriceBasis::TaxExclusive
            },
            discount: Decimal::new(disc, 2),
            tax_rate: Decimal::new(rate, 2),
        })
}

/// Splits `total` thousandths into parts given by `cuts` (each part at least one thousandth).
fn split(total: i64, cuts: &[i64]) -> Vec<Decimal> {
    let mut points: Vec<i64> = cuts
        .iter()
        .map(|c| c.rem_euclid(total))
        .filter(|&c| c > 0)
        .collect();
    points.sort_unstable();
    points.dedup();
    let mut parts = vec![];
    let mut last = 0;
    for p in points.into_iter().chain([total]) {
        parts.push(Decimal::new(p - last, 3));
        last = p;
    }
    parts
}

fn settings(per_doc: bool) -> TaxSettings {
    TaxSettings {
        rounding: if per_doc {
            TaxRounding::PerDocument
        } else {
            TaxRounding::PerLine
        },
        ..TaxSettings::default()
    }
}

proptest! {
    #[test]
    fn invoicing_a_document_in_parts_then_reversing_it_never_drifts_by_a_cent(
        lines in prop::collection::vec(line(), 1..6),
        cuts in prop::collection::vec(any::<i64>(), 0..4),
        reverse_cuts in prop::collection::vec(any::<i64>(), 0..3),
        per_doc in any::<bool>(),
    ) {
        let s = settings(per_doc);
        // Quote → order: the same lines through the same function.
        let quote = compute_document(&lines, &s).unwrap();
        let order = compute_document(&lines, &s).unwrap();
        prop_assert_eq!(&quote, &order);
        let mut invoiced_total = Portion::default();
        let mut invoice_sum = Decimal::ZERO;
        for (input, amounts) in lines.iter().zip(&order.lines) {
            let whole = Portion {
                quantity: input.quantity,
                net: amounts.net,
                tax: amounts.tax,
                gross: amounts.gross,
            };
            let thousandths = (input.quantity * Decimal::ONE_THOUSAND).try_into().unwrap();
            let mut done = Portion::default();
            let mut parts = vec![];
            for q in split(thousandths, &cuts) {
                let p = invoice_amounts(input, whole, done, q, &s).unwrap();
                prop_assert_eq!(p.net + p.tax, p.gross);
                done = done.plus(p);
                invoice_sum += p.gross;
                parts.push(p);
            }
            // Fully invoiced: exactly the order line.
            prop_assert_eq!(done, whole);
            invoiced_total = invoiced_total.plus(done);
            // Reverse the first part in pieces: the reversals add up to it exactly.
            let first = parts[0];
            let first_thousandths = (first.quantity * Decimal::ONE_THOUSAND).try_into().unwrap();
            let mut reversed = Portion::default();
            for q in split(first_thousandths, &reverse_cuts) {
                reversed = reversed.plus(invoice_amounts(input, first, reversed, q, &s).unwrap());
            }
            prop_assert_eq!(reversed, first);
        }
        prop_assert_eq!(invoiced_total.gross, order.gross);
        prop_assert_eq!(invoiced_total.tax, order.tax);
        prop_assert_eq!(invoice_sum, order.gross);
    }
}
