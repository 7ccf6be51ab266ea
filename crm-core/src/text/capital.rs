//! Amounts in Chinese financial capital numerals (大写金额) and as `¥1,234.56`.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::{Error, Result};

/// The capital digits 零 to 玖, indexed by value.
const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// Units inside a group of four digits, indexed by the digit's position from the right.
const GROUP_DIGIT_UNITS: [&str; 4] = ["", "拾", "佰", "仟"];

/// The largest amount that can be written: 9999亿9999万9999元9角9分.
const MAX_CENTS: u64 = 99_999_999_999_999;

/// Writes `amount` in Chinese financial capital numerals (大写金额), as printed on contracts,
/// invoices and receipts.
///
/// The rules follow the People's Bank of China's rules for filling in bills
/// (《支付结算办法》附件《正确填写票据和结算凭证的基本规定》):
///
/// - A leading ten is written `壹拾` (10 → `壹拾元整`), as banks require, so that nothing can be
///   written in front of it.
/// - Inside the integer part, a run of zeros is read as one `零`; zeros at the end of a group of
///   four (before `万`, `亿` or `元`) are not read; a group that is all zeros is left out together
///   with its unit (100,010,000 → `壹亿零壹万元整`).
/// - `整` follows `元` when there are no 角 and 分, and follows `角` when there is no 分
///   (10.50 → `壹拾元伍角整`); it never follows `分`. The rules allow `角` with or without `整`;
///   this crate always writes it, so that nothing can be appended.
/// - When 角 is zero and 分 is not, `零` stands between `元` and `分` (1000.05 →
///   `壹仟元零伍分`). When 角 is not zero, no `零` is written after `元` even if the units digit is
///   zero (1680.32 → `壹仟陆佰捌拾元叁角贰分`), which the rules also allow.
/// - Amounts below one yuan have no `元` part (0.05 → `伍分`, 0.50 → `伍角整`); zero is
///   `零元整`.
/// - Negative amounts get the prefix `负`.
///
/// # Errors
///
/// [`Error::Invalid`] on field `amount` when the amount has more than 2 decimal places that are
/// not zero (round it first: which rounding applies is the caller's business decision, so it is
/// never done here silently), or when its absolute value exceeds 999,999,999,999.99.
///
/// ```
/// use crm_core::text::amount_in_capitals;
/// use rust_decimal::Decimal;
///
/// let yuan = |s: &str| s.parse::<Decimal>().unwrap();
/// assert_eq!(amount_in_capitals(yuan("12345.67")).unwrap(), "壹万贰仟叁佰肆拾伍元陆角柒分");
/// assert_eq!(amount_in_capitals(yuan("1000.05")).unwrap(), "壹仟元零伍分");
/// assert_eq!(amount_in_capitals(yuan("10.50")).unwrap(), "壹拾元伍角整");
/// assert_eq!(amount_in_capitals(yuan("100010000")).unwrap(), "壹亿零壹万元整");
/// assert_eq!(amount_in_capitals(yuan("0")).unwrap(), "零元整");
/// assert_eq!(amount_in_capitals(yuan("-0.05")).unwrap(), "负伍分");
/// assert!(amount_in_capitals(yuan("1.005")).is_err());
/// ```
pub fn amount_in_capitals(amount: Decimal) -> Result<String> {
    let cents = whole_cents(amount)?;
    let yuan = cents / 100;
    let jiao = digit(cents / 10);
    let fen = digit(cents);

    let mut out = String::new();
    if amount.is_sign_negative() && cents != 0 {
        out.push('负');
    }
    if yuan > 0 {
        push_integer(yuan, &mut out);
        out.push('元');
    }
    match (jiao, fen) {
        (0, 0) if yuan == 0 => out.push_str("零元整"),
        (0, 0) => out.push('整'),
        (0, fen) => {
            if yuan > 0 {
                out.push('零');
            }
            out.push(DIGITS[fen]);
            out.push('分');
        }
        (jiao, 0) => {
            out.push(DIGITS[jiao]);
            out.push_str("角整");
        }
        (jiao, fen) => {
            out.push(DIGITS[jiao]);
            out.push('角');
            out.push(DIGITS[fen]);
            out.push('分');
        }
    }
    Ok(out)
}

/// The absolute value of `amount` in 分, refusing fractions of a 分 and amounts too large to write.
fn whole_cents(amount: Decimal) -> Result<u64> {
    // `normalize` drops trailing zeros, so 1.500 is accepted: it asks for no rounding.
    if amount.normalize().scale() > 2 {
        return Err(Error::invalid(
            "amount",
            format!("{amount} has more than 2 decimal places; round it to 分 first"),
        ));
    }
    let mut abs = amount.abs();
    // With at most 2 decimals this only appends zeros. An amount too large for that keeps a
    // smaller scale, and its mantissa is then far above the limit anyway.
    abs.rescale(2);
    u64::try_from(abs.mantissa())
        .ok()
        .filter(|&cents| cents <= MAX_CENTS)
        .ok_or_else(|| {
            Error::invalid(
                "amount",
                format!(
                    "{amount} is too large; at most 999,999,999,999.99 can be written in capitals"
                ),
            )
        })
}

/// The last decimal digit of `n`, as an index into [`DIGITS`].
fn digit(n: u64) -> usize {
    (n % 10) as usize
}

/// Appends the capitals of the non-zero integer `n` (below 10¹²), without `元`.
fn push_integer(n: u64, out: &mut String) {
    let groups = [
        (n / 100_000_000, "亿"),
        (n / 10_000 % 10_000, "万"),
        (n % 10_000, ""),
    ];
    let mut started = false;
    // A zero seen after the first written digit; it is written as one 零 before the next
    // non-zero digit, so a run of zeros, or a whole zero group, reads as a single 零.
    let mut zero_pending = false;
    for (group, unit) in groups {
        if group == 0 {
            zero_pending |= started;
            continue;
        }
        for position in (0..4).rev() {
            let d = digit(group / 10_u64.pow(position));
            if d == 0 {
                zero_pending |= started;
                continue;
            }
            if zero_pending {
                out.push('零');
                zero_pending = false;
            }
            out.push(DIGITS[d]);
            out.push_str(GROUP_DIGIT_UNITS[position as usize]);
            started = true;
        }
        out.push_str(unit);
        // Zeros at the end of a group are covered by the group's unit (壹拾万伍仟, not
        // 壹拾万零伍仟); only zeros at the start of the next group call for a 零.
        zero_pending = false;
    }
}

/// Formats an amount as `¥12,345.67`: thousands separated by commas, always two decimals,
/// rounded half away from zero (四舍五入) when it has more. Negative amounts are written
/// `-¥12,345.67`.
///
/// ```
/// use crm_core::text::format_yuan;
/// use rust_decimal::Decimal;
///
/// let yuan = |s: &str| s.parse::<Decimal>().unwrap();
/// assert_eq!(format_yuan(yuan("12345.67")), "¥12,345.67");
/// assert_eq!(format_yuan(yuan("1000000")), "¥1,000,000.00");
/// assert_eq!(format_yuan(yuan("0.5")), "¥0.50");
/// assert_eq!(format_yuan(yuan("-1234.565")), "-¥1,234.57");
/// ```
pub fn format_yuan(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    let plain = format!("{:.2}", rounded.abs());
    let (integer, fraction) = plain.split_once('.').unwrap_or((&plain, "00"));

    let mut grouped = String::with_capacity(integer.len() + integer.len() / 3);
    for (i, c) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{fraction}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use std::collections::HashSet;

    fn capitals(amount: Decimal) -> String {
        amount_in_capitals(amount).unwrap()
    }

    fn from_cents(cents: i64) -> Decimal {
        Decimal::new(cents, 2)
    }

    /// Parses a rendering back into the amount. It is deliberately independent of the renderer
    /// (it reads units by multiplication, not by position), so `parse(render(x)) == x` for all
    /// `x` proves that no two amounts share a rendering.
    fn capitals_to_amount(s: &str) -> Option<Decimal> {
        let (negative, s) = match s.strip_prefix('负') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let s = s.strip_suffix('整').unwrap_or(s);
        let (integer, fraction) = s.split_once('元').unwrap_or(("", s));
        let mut cents = parse_integer(integer)? * 100;

        let mut pending_digit = None;
        for c in fraction.chars() {
            match c {
                '零' if pending_digit.is_none() => {}
                '角' => cents += pending_digit.take()? * 10,
                '分' => cents += pending_digit.take()?,
                _ => pending_digit = Some(digit_value(c)?),
            }
        }
        if pending_digit.is_some() {
            return None;
        }
        let cents = i64::try_from(cents).ok()?;
        Some(from_cents(if negative { -cents } else { cents }))
    }

    fn digit_value(c: char) -> Option<u64> {
        DIGITS
            .iter()
            .position(|&d| d == c)
            .and_then(|i| u64::try_from(i).ok())
    }

    fn parse_integer(s: &str) -> Option<u64> {
        let (mut total, mut section, mut digit) = (0_u64, 0_u64, 0_u64);
        for c in s.chars() {
            match c {
                '拾' => (section, digit) = (section + digit * 10, 0),
                '佰' => (section, digit) = (section + digit * 100, 0),
                '仟' => (section, digit) = (section + digit * 1000, 0),
                '万' => (total, section, digit) = (total + (section + digit) * 10_000, 0, 0),
                '亿' => (total, section, digit) = ((total + section + digit) * 100_000_000, 0, 0),
                _ => digit = digit_value(c)?,
            }
        }
        Some(total + section + digit)
    }

    #[test]
    fn the_examples_render_as_specified() {
        let cases = [
            (dec!(12345.67), "壹万贰仟叁佰肆拾伍元陆角柒分"),
            (dec!(0), "零元整"),
            (dec!(0.00), "零元整"),
            (dec!(100), "壹佰元整"),
            (dec!(1000.05), "壹仟元零伍分"),
            (dec!(10.50), "壹拾元伍角整"),
            (dec!(10), "壹拾元整"),
            (dec!(100000000), "壹亿元整"),
            (dec!(100010000), "壹亿零壹万元整"),
            (dec!(1001.01), "壹仟零壹元零壹分"),
            (dec!(0.05), "伍分"),
            (dec!(0.5), "伍角整"),
            (dec!(0.15), "壹角伍分"),
            (dec!(10000.00), "壹万元整"),
            (dec!(105000), "壹拾万伍仟元整"),
            (dec!(100500), "壹拾万零伍佰元整"),
            (dec!(1000000010), "壹拾亿零壹拾元整"),
            (dec!(1680.32), "壹仟陆佰捌拾元叁角贰分"),
            (dec!(100001000), "壹亿零壹仟元整"),
            (dec!(110000000), "壹亿壹仟万元整"),
            (dec!(100000001), "壹亿零壹元整"),
            (dec!(20000000), "贰仟万元整"),
            (dec!(1010101.01), "壹佰零壹万零壹佰零壹元零壹分"),
            (dec!(1.01), "壹元零壹分"),
            (dec!(1.10), "壹元壹角整"),
            (
                dec!(999999999999.99),
                "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
            ),
            (dec!(-12345.67), "负壹万贰仟叁佰肆拾伍元陆角柒分"),
            (
                dec!(-999999999999.99),
                "负玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
            ),
            (dec!(-0.00), "零元整"),
            (dec!(1.500), "壹元伍角整"),
        ];
        for (amount, expected) in cases {
            assert_eq!(capitals(amount), expected, "{amount}");
        }
    }

    /// The reason of an `Invalid` error on field `amount`.
    fn amount_error(amount: Decimal) -> String {
        match amount_in_capitals(amount) {
            Err(Error::Invalid { field, reason }) if field == "amount" => reason,
            other => panic!("{amount}: expected an invalid amount, got {other:?}"),
        }
    }

    #[test]
    fn fractions_of_a_fen_are_refused() {
        for amount in [dec!(1.005), dec!(0.001), dec!(-3.141)] {
            let reason = amount_error(amount);
            assert!(reason.contains("more than 2 decimal places"), "{reason}");
        }
    }

    #[test]
    fn amounts_out_of_range_are_refused() {
        let rounds_up_to_a_trillion = dec!(999999999999.995).round_dp(2);
        for amount in [
            dec!(1000000000000),
            dec!(-1000000000000),
            rounds_up_to_a_trillion,
            Decimal::MAX,
            Decimal::MIN,
        ] {
            let reason = amount_error(amount);
            assert!(reason.contains("too large"), "{reason}");
        }
    }

    #[test]
    fn the_parser_reads_the_examples() {
        assert_eq!(
            capitals_to_amount("壹拾亿零壹拾元整"),
            Some(dec!(1000000010))
        );
        assert_eq!(capitals_to_amount("负伍分"), Some(dec!(-0.05)));
        assert_eq!(capitals_to_amount("零元整"), Some(dec!(0)));
        assert_eq!(
            capitals_to_amount("壹万贰仟叁佰肆拾伍元陆角柒分"),
            Some(dec!(12345.67))
        );
        assert_eq!(capitals_to_amount("壹元伍"), None);
    }

    #[test]
    fn every_amount_up_to_ten_thousand_yuan_round_trips() {
        for cents in 0..=1_000_000 {
            let amount = from_cents(cents);
            assert_eq!(capitals_to_amount(&capitals(amount)), Some(amount));
        }
    }

    /// Every amount whose 14 digits are all 0 or 1: each pattern of zeros in every position,
    /// which is where the 零 rules bite. All renderings are distinct and read back.
    #[test]
    fn every_pattern_of_zeros_renders_distinctly() {
        let mut seen = HashSet::new();
        for bits in 0_u32..(1 << 14) {
            let cents = (0..14)
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| 10_i64.pow(i))
                .sum();
            let amount = from_cents(cents);
            let text = capitals(amount);
            assert_eq!(capitals_to_amount(&text), Some(amount), "{text}");
            assert!(seen.insert(text), "{amount}");
        }
    }

    #[test]
    fn yuan_formatting() {
        assert_eq!(format_yuan(dec!(0)), "¥0.00");
        assert_eq!(format_yuan(dec!(-0.001)), "¥0.00");
        assert_eq!(format_yuan(dec!(1)), "¥1.00");
        assert_eq!(format_yuan(dec!(999.999)), "¥1,000.00");
        assert_eq!(format_yuan(dec!(123456.7)), "¥123,456.70");
        assert_eq!(format_yuan(dec!(1234567.891)), "¥1,234,567.89");
        assert_eq!(format_yuan(dec!(-1234.5)), "-¥1,234.50");
        assert_eq!(format_yuan(dec!(0.005)), "¥0.01");
        assert_eq!(format_yuan(dec!(-0.005)), "-¥0.01");
        assert_eq!(
            format_yuan(Decimal::MAX),
            "¥79,228,162,514,264,337,593,543,950,335.00"
        );
    }

    /// Amounts in 分 across the whole range, with zero digits made common.
    fn cents_in_range() -> impl Strategy<Value = i64> {
        let zero_heavy_digit = prop_oneof![3 => Just(0_i64), 2 => 0_i64..10];
        let zero_heavy = prop::collection::vec(zero_heavy_digit, 14)
            .prop_map(|digits| digits.into_iter().fold(0, |n, d| n * 10 + d));
        let max = i64::try_from(MAX_CENTS).unwrap_or(i64::MAX);
        let magnitude = prop_oneof![zero_heavy, 0..=max, 0_i64..100_000];
        (magnitude, any::<bool>()).prop_map(|(m, negative)| if negative { -m } else { m })
    }

    proptest! {
        #[test]
        fn every_amount_round_trips(cents in cents_in_range()) {
            let amount = from_cents(cents);
            let text = capitals(amount);
            prop_assert_eq!(capitals_to_amount(&text), Some(amount), "{}", text);
        }

        #[test]
        fn distinct_amounts_render_distinctly(a in cents_in_range(), b in cents_in_range()) {
            prop_assume!(a != b);
            prop_assert_ne!(capitals(from_cents(a)), capitals(from_cents(b)));
        }

        #[test]
        fn renderings_obey_the_zero_rules(cents in cents_in_range()) {
            let text = capitals(from_cents(cents));
            prop_assert!(!text.contains("零零"), "{}", text);
            for before_unit in ["零万", "零亿", "零元", "零角", "零整"] {
                prop_assert!(text == "零元整" || !text.contains(before_unit), "{}", text);
            }
            let unsigned = text.trim_start_matches('负');
            prop_assert!(text == "零元整" || !unsigned.starts_with('零'), "{}", text);
            prop_assert!(text.ends_with('整') || text.ends_with('分'), "{}", text);
            prop_assert!(!text.contains("分整"), "{}", text);
        }

        #[test]
        fn formatting_keeps_the_digits(cents in -10_i64.pow(15)..10_i64.pow(15)) {
            let text = format_yuan(from_cents(cents));
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(digits.parse::<i64>().ok(), Some(cents.abs()));
            prop_assert_eq!(text.starts_with('-'), cents < 0);
        }
    }
}
