//! The unified social credit code (统一社会信用代码, GB 32100-2015).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::normalize::half_width;
use crate::error::{Error, Result};

/// The 31 characters a code may contain, in the order of their values 0–30. The letters I, O, Z,
/// S and V are left out because they are easily confused with 1, 0, 2, 5 and U.
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weights of positions 1–17: 3ⁱ mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The field named in every error of this module.
const FIELD: &str = "credit_code";

/// A unified social credit code (统一社会信用代码): 18 characters from
/// `0-9 A-H J-N P-R T-U W-Y`, the last being a check character over the first 17 (GB 32100-2015).
///
/// A `CreditCode` always holds a valid, upper-case, half-width code; the only ways to make one
/// check it. Only the character set and the check character are verified, not the meaning of
/// the leading registration-authority and category characters, so codes of kinds added after
/// the standard are not refused.
///
/// It serialises as its string and deserialises through [`CreditCode::parse`].
///
/// ```
/// use crm_core::text::CreditCode;
///
/// let code = CreditCode::parse(" 91350100m000100y43 ").unwrap();
/// assert_eq!(code.as_str(), "91350100M000100Y43");
/// assert_eq!(code.to_string(), "91350100M000100Y43");
///
/// let json = serde_json::to_string(&code).unwrap();
/// assert_eq!(json, r#""91350100M000100Y43""#);
/// assert!(serde_json::from_str::<CreditCode>(r#""91350100M000100Y44""#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code as users type or paste it: surrounding white space is trimmed, lower-case
    /// letters are upper-cased, and full-width letters and digits (`９１３５…`) are accepted.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] on field `credit_code`, saying what is wrong: the length, the first
    /// character that may not appear (and where), or the check character expected and found.
    ///
    /// ```
    /// use crm_core::text::CreditCode;
    ///
    /// assert!(CreditCode::parse("９１３５０１００Ｍ０００１００Ｙ４３").is_ok());
    ///
    /// let err = CreditCode::parse("91350100M000100Y44").unwrap_err();
    /// assert!(err.to_string().contains("expected 3, found 4"));
    /// let err = CreditCode::parse("91350100M000I00Y43").unwrap_err();
    /// assert!(err.to_string().contains("'I' at position 13"));
    /// let err = CreditCode::parse("91350100M000100Y4").unwrap_err();
    /// assert!(err.to_string().contains("18 characters"));
    /// ```
    pub fn parse(s: &str) -> Result<CreditCode> {
        let code = fold(s);
        let values = values(&code, 18)?;
        let expected = check_of(&values[..17]);
        let found = code.chars().last().unwrap_or_default();
        if found != expected {
            return Err(Error::invalid(
                FIELD,
                format!(
                    "{code}: wrong check character (position 18): \
                     expected {expected}, found {found}"
                ),
            ));
        }
        Ok(CreditCode(code))
    }

    /// The code as 18 upper-case ASCII characters.
    ///
    /// ```
    /// use crm_core::text::CreditCode;
    ///
    /// let code = CreditCode::parse("91350100M000100Y43").unwrap();
    /// assert_eq!(code.as_str(), "91350100M000100Y43");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Computes the check character (position 18) for the first 17 characters of a code, so that
/// test data and fixtures can be made valid. The input is folded like [`CreditCode::parse`]
/// folds it (trimmed, upper-cased, half-width).
///
/// The check value is `31 - (Σ value × weight) mod 31`, with 31 written as `0`.
///
/// # Errors
///
/// [`Error::Invalid`] on field `credit_code` when the input is not 17 characters of the code's
/// character set.
///
/// ```
/// use crm_core::text::{check_character, CreditCode};
///
/// assert_eq!(check_character("91350100M000100Y4").unwrap(), '3');
///
/// let first17 = "91440300MA5FAKE01";
/// let code = format!("{first17}{}", check_character(first17).unwrap());
/// assert!(CreditCode::parse(&code).is_ok());
/// ```
pub fn check_character(first17: &str) -> Result<char> {
    let values = values(&fold(first17), 17)?;
    Ok(check_of(&values))
}

/// Trims, converts full-width forms to ASCII and upper-cases.
fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| half_width(c).to_ascii_uppercase())
        .collect()
}

/// The values of the characters of `code`, which must have exactly `len` characters.
fn values(code: &str, len: usize) -> Result<Vec<u32>> {
    let found = code.chars().count();
    if found != len {
        return Err(Error::invalid(
            FIELD,
            format!("must be {len} characters, found {found}"),
        ));
    }
    code.chars()
        .enumerate()
        .map(|(i, c)| value_of(c).ok_or_else(|| bad_character(i + 1, c)))
        .collect()
}

fn value_of(c: char) -> Option<u32> {
    // The set is ASCII, so the byte offset is the value.
    CHARSET.find(c).and_then(|i| u32::try_from(i).ok())
}

fn bad_character(position: usize, c: char) -> Error {
    let hint = if matches!(c, 'I' | 'O' | 'Z' | 'S' | 'V') {
        " (the letters I, O, Z, S and V are never used; did you mean 1, 0, 2, 5 or U?)"
    } else {
        " (only digits and the letters A-H, J-N, P-R, T, U, W-Y are used)"
    };
    Error::invalid(
        FIELD,
        format!("character '{c}' at position {position} is not allowed{hint}"),
    )
}

/// The check character for the values of the first 17 characters.
fn check_of(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    CHARSET.chars().nth(check as usize).unwrap_or('0')
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for CreditCode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        CreditCode::parse(s)
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CreditCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        CreditCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Codes published by companies and the standard's own example, each confirmed to carry a
    /// correct check character.
    const REAL_CODES: [&str; 14] = [
        "91350100M000100Y43",
        "91330100716105852F",
        "9144030071526726XG",
        "914403001922038216",
        "91110000802100433B",
        "911000001000013428",
        "91100000100003962T",
        "91110108551385082Q",
        "911103026605015136",
        "91520000214434146R",
        "91440300192317458F",
        "91110000710925462X",
        "91440300708461136T",
        "914403007261824992",
    ];

    fn reason(err: Error) -> String {
        match err {
            Error::Invalid { field, reason } => {
                assert_eq!(field, "credit_code");
                reason
            }
            other => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1;
        for weight in WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % 31;
        }
        assert_eq!(CHARSET.len(), 31);
    }

    #[test]
    fn real_codes_are_accepted() {
        for code in REAL_CODES {
            let parsed = CreditCode::parse(code).unwrap();
            assert_eq!(parsed.as_str(), code);
            assert_eq!(
                check_character(&code[..17]).unwrap(),
                code.chars().last().unwrap()
            );
        }
    }

    #[test]
    fn codes_are_folded_before_checking() {
        let expected = CreditCode::parse("91350100M000100Y43").unwrap();
        for input in [
            "  91350100m000100y43\t",
            "９１３５０１００Ｍ０００１００Ｙ４３",
            "９１３５０１００ｍ０００１００ｙ４３",
            "\u{3000}91350100M000100Y43\u{3000}",
        ] {
            assert_eq!(CreditCode::parse(input).unwrap(), expected, "{input}");
        }
    }

    #[test]
    fn wrong_length_is_reported() {
        assert_eq!(
            reason(CreditCode::parse("").unwrap_err()),
            "must be 18 characters, found 0"
        );
        assert_eq!(
            reason(CreditCode::parse("91350100M000100Y433").unwrap_err()),
            "must be 18 characters, found 19"
        );
        assert_eq!(
            reason(CreditCode::parse("91350100 M000100Y43").unwrap_err()),
            "must be 18 characters, found 19"
        );
        assert_eq!(
            reason(check_character("91350100M000100Y").unwrap_err()),
            "must be 17 characters, found 16"
        );
    }

    #[test]
    fn bad_characters_are_reported_with_their_position() {
        let r = reason(CreditCode::parse("9135010OM000100Y43").unwrap_err());
        assert!(
            r.starts_with("character 'O' at position 8 is not allowed"),
            "{r}"
        );
        assert!(r.contains("did you mean"), "{r}");
        let r = reason(CreditCode::parse("91350100M000100Y4-").unwrap_err());
        assert!(
            r.starts_with("character '-' at position 18 is not allowed"),
            "{r}"
        );
        let r = reason(CreditCode::parse("统一社会信用代码统一社会信用代码统一").unwrap_err());
        assert!(r.starts_with("character '统' at position 1"), "{r}");
        let r = reason(check_character("91350100M000100Z4").unwrap_err());
        assert!(r.starts_with("character 'Z' at position 16"), "{r}");
    }

    #[test]
    fn wrong_check_character_is_reported() {
        assert_eq!(
            reason(CreditCode::parse("91350100M000100Y4A").unwrap_err()),
            "91350100M000100Y4A: wrong check character (position 18): expected 3, found A"
        );
    }

    #[test]
    fn every_other_check_character_is_refused() {
        for code in REAL_CODES {
            let first17 = &code[..17];
            for c in CHARSET.chars().filter(|&c| !code.ends_with(c)) {
                assert!(
                    CreditCode::parse(&format!("{first17}{c}")).is_err(),
                    "{first17}{c}"
                );
            }
        }
    }

    #[test]
    fn check_value_31_is_written_as_zero() {
        // A weighted sum of 0 (mod 31) gives 31 - 0 = 31, which the standard writes as 0.
        assert_eq!(check_character("00000000000000000").unwrap(), '0');
        assert_eq!(check_character("10000000000000000").unwrap(), 'Y');
        assert!(CreditCode::parse("000000000000000000").is_ok());
    }

    #[test]
    fn serde_uses_the_string_and_validates() {
        let code = CreditCode::parse(REAL_CODES[1]).unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{}\"", REAL_CODES[1]));
        assert_eq!(serde_json::from_str::<CreditCode>(&json).unwrap(), code);
        let lower = serde_json::from_str::<CreditCode>("\"91330100716105852f\"").unwrap();
        assert_eq!(lower, code);
        let err = serde_json::from_str::<CreditCode>("\"91330100716105852G\"").unwrap_err();
        assert!(err.to_string().contains("expected F, found G"), "{err}");
        assert!(serde_json::from_str::<CreditCode>("42").is_err());
    }

    #[test]
    fn from_str_and_display_agree() {
        let code: CreditCode = REAL_CODES[3].parse().unwrap();
        assert_eq!(code.to_string(), REAL_CODES[3]);
        assert_eq!(code.as_ref(), REAL_CODES[3]);
    }

    fn first17() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(CHARSET.chars().collect::<Vec<_>>()),
            17,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn generated_codes_are_accepted_and_other_check_characters_refused(
            first17 in first17(),
        ) {
            let check = check_character(&first17).unwrap();
            let code = format!("{first17}{check}");
            prop_assert_eq!(CreditCode::parse(&code).unwrap().to_string(), code);
            for c in CHARSET.chars().filter(|&c| c != check) {
                let r = reason(CreditCode::parse(&format!("{first17}{c}")).unwrap_err());
                let expected = format!("expected {check}, found {c}");
                prop_assert!(r.ends_with(&expected), "{}", r);
            }
        }

        /// The weights make the check catch every single-character error in positions 1–17.
        #[test]
        fn any_single_substitution_in_the_body_is_caught(
            first17 in first17(),
            position in 0_usize..17,
            replacement in prop::sample::select(CHARSET.chars().collect::<Vec<_>>()),
        ) {
            let check = check_character(&first17).unwrap();
            let code: Vec<char> = format!("{first17}{check}").chars().collect();
            prop_assume!(code[position] != replacement);
            let mut mutated = code.clone();
            mutated[position] = replacement;
            prop_assert!(CreditCode::parse(&mutated.iter().collect::<String>()).is_err());
        }
    }
}
