//! Checking and canonicalising phone numbers, e-mail addresses and single-line text fields.

use super::normalize::half_width;
use crate::error::{Error, Result};

/// Parses a Chinese mobile or landline number and returns it in canonical form.
///
/// Accepted, after full-width digits and symbols are folded to ASCII and the ends trimmed:
///
/// - **Mobile**: `1[3-9]` and 9 more digits, optionally after `+86` or `0086` (also `(+86)`),
///   with spaces or dashes between groups: `138 1234 5678`, `+86-138-1234-5678`. Canonical form:
///   the 11 digits, `13812345678`.
/// - **Landline**: the area code (`0` and 2–3 digits), then the local number of 7–8 digits not
///   starting with 0, optionally an extension of 1–6 digits after `-` or `转`: `010-12345678`,
///   `(010)12345678`, `0755 1234 5678`, `01012345678`, `021-12345678-123`, `+86 10 12345678`.
///   Canonical form: `010-12345678` or `010-12345678-123`. When the local number is written in
///   groups, a last group is read as the extension if the groups before it already make a
///   complete number (`010-1234567-8` is 1234567 extension 8, `010-1234-5678` is 12345678).
///
/// The area code's length follows the national numbering plan: codes starting `01` and `02`
/// (Beijing, and the large cities 020–029) have 3 digits, all others 4. That is what lets a
/// number written without separators be split correctly. Service numbers (`400`/`800`,
/// `95xxx`) are not accepted.
///
/// # Errors
///
/// [`Error::Invalid`] on `field` saying what is wrong.
///
/// ```
/// use crm_core::text::parse_phone;
///
/// assert_eq!(parse_phone("phone", "+86 138-1234-5678").unwrap(), "13812345678");
/// assert_eq!(parse_phone("phone", "１３８１２３４５６７８").unwrap(), "13812345678");
/// assert_eq!(parse_phone("phone", "(010)12345678").unwrap(), "010-12345678");
/// assert_eq!(parse_phone("phone", "0755 8765 4321 转 801").unwrap(), "0755-87654321-801");
/// let err = parse_phone("contacts[0].phone", "12345").unwrap_err();
/// assert!(err.to_string().starts_with("invalid contacts[0].phone:"));
/// ```
pub fn parse_phone(field: &str, s: &str) -> Result<String> {
    // Most numbers in a file are mobiles written as their 11 plain digits, already canonical.
    let plain = s.trim();
    if plain.len() == 11 && plain.bytes().all(|b| b.is_ascii_digit()) && is_mobile(plain) {
        return Ok(plain.to_owned());
    }
    let folded: String = s.chars().map(half_width).collect();
    let text = folded.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "phone number is empty"));
    }
    let invalid = |reason: String| Error::invalid(field, format!("'{text}': {reason}"));

    let (international, rest) = strip_country_code(text);
    let (main, explicit_extension) = match rest.split_once('转') {
        Some((main, extension)) => (main, Some(extension.trim())),
        None => (rest, None),
    };
    let mut runs = digit_runs(main).map_err(&invalid)?;
    if runs.is_empty() {
        return Err(invalid("contains no digits".into()));
    }

    let all: String = runs.concat();
    if is_mobile(&all) {
        return match explicit_extension {
            None => Ok(all),
            Some(_) => Err(invalid("a mobile number has no extension".into())),
        };
    }
    // Dialled from abroad, an area code loses its 0: +86 10 12345678 is 010-12345678. Beijing's
    // 10 is the only area code that starts with 1; any other 1 starts a (mistyped) mobile.
    let international_landline =
        international && (all.starts_with("10") || !all.starts_with(['0', '1']));
    if international_landline {
        runs[0] = format!("0{}", runs[0]);
    } else if all.starts_with('1') {
        return Err(invalid(format!(
            "a mobile number has 11 digits starting with 13 to 19, found {} digits",
            all.len()
        )));
    }
    landline(&runs, explicit_extension).map_err(invalid)
}

/// Removes a leading `+86`, `0086` or `(+86)` and the separators after it.
fn strip_country_code(text: &str) -> (bool, &str) {
    ["(+86)", "(0086)", "+86", "0086"]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .map_or((false, text), |rest| {
            (true, rest.trim_start_matches([' ', '-']))
        })
}

/// Splits `s` into its runs of digits. Spaces and dashes separate runs; a parenthesised run is
/// allowed at the start only, for the area code: `(010)12345678`.
fn digit_runs(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let (area, rest) = match s.strip_prefix('(') {
        Some(after) => {
            let (inside, rest) = after
                .split_once(')')
                .ok_or_else(|| "unbalanced parenthesis".to_owned())?;
            let inside = inside.trim();
            if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_digit()) {
                return Err("only an area code may stand in parentheses".into());
            }
            (Some(inside.to_owned()), rest)
        }
        None => (None, s),
    };
    if let Some(c) = rest
        .chars()
        .find(|c| !c.is_ascii_digit() && !matches!(c, ' ' | '-'))
    {
        return Err(format!("'{c}' is not allowed in a phone number"));
    }
    let runs = rest
        .split([' ', '-'])
        .filter(|run| !run.is_empty())
        .map(str::to_owned);
    Ok(area.into_iter().chain(runs).collect())
}

fn is_mobile(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1])
}

/// Splits the digit runs of a landline into area code, local number and extension, and writes
/// them in canonical form.
fn landline(runs: &[String], explicit_extension: Option<&str>) -> Result<String, String> {
    let first = &runs[0];
    if !first.starts_with('0') {
        return Err("not a mobile number (11 digits starting with 13 to 19), \
             nor a landline starting with its area code (0…)"
            .into());
    }
    let area_len = if first.starts_with("01") || first.starts_with("02") {
        3
    } else {
        4
    };
    if first.len() < area_len {
        return Err(format!(
            "area code {first} is too short: it has {area_len} digits"
        ));
    }
    let (area, number, extension) = if first.len() == area_len {
        // The area code stands alone. The local number may be split into groups (1234 5678);
        // a last group is the extension when the groups before it already make a whole number,
        // which is how canonical numbers (010-1234567-8) read back unchanged.
        let rest = &runs[1..];
        match rest.split_last() {
            Some((last, body)) if !body.is_empty() && is_local_number(&body.concat()) => {
                (first.as_str(), body.concat(), Some(last.as_str()))
            }
            _ => (first.as_str(), rest.concat(), None),
        }
    } else {
        // Written without a separator after the area code: the run holds the whole number, and
        // only an extension may follow.
        let (area, number) = first.split_at(area_len);
        match &runs[1..] {
            [] => (area, number.to_owned(), None),
            [extension] => (area, number.to_owned(), Some(extension.as_str())),
            _ => return Err("too many groups of digits".into()),
        }
    };

    if !is_local_number(&number) {
        return Err(if number.starts_with('0') {
            format!("the local number after area code {area} cannot start with 0")
        } else {
            format!(
                "the local number after area code {area} has 7 or 8 digits, found {}",
                number.len()
            )
        });
    }
    let extension = match (extension, explicit_extension) {
        (Some(_), Some(_)) => return Err("two extensions".into()),
        (extension, explicit) => extension.or(explicit),
    };
    match extension {
        None => Ok(format!("{area}-{number}")),
        Some(ext) if (1..=6).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_digit()) => {
            Ok(format!("{area}-{number}-{ext}"))
        }
        Some(ext) => Err(format!("extension '{ext}' must be 1 to 6 digits")),
    }
}

fn is_local_number(digits: &str) -> bool {
    (7..=8).contains(&digits.len()) && !digits.starts_with('0')
}

/// Checks an e-mail address pragmatically and returns it with the domain lower-cased.
///
/// Full-width characters typed by an input method (`ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ`) are folded
/// first and the ends trimmed. Then: exactly one `@`; a local part of 1–64 bytes made of letters,
/// digits and ``!#$%&'*+/=?^_`{|}~-``, with dots only between other characters; a domain of at
/// least two dot-separated labels of 1–63 letters, digits and inner hyphens, whose last label
/// is not numeric. Letters may be non-ASCII (`用户@例子.中国`). Quoted local parts and IP
/// literals are refused: nobody types them into a CRM. The local part keeps its case, since
/// only the receiving server may interpret it.
///
/// # Errors
///
/// [`Error::Invalid`] on `field` saying what is wrong.
///
/// ```
/// use crm_core::text::parse_email;
///
/// assert_eq!(parse_email("email", " Zhang.San@Example.COM ").unwrap(), "Zhang.San@example.com");
/// assert_eq!(parse_email("email", "li＠qq．com").unwrap(), "li@qq.com");
/// assert!(parse_email("email", "li@qq").is_err());
/// assert!(parse_email("email", "li@@qq.com").is_err());
/// ```
pub fn parse_email(field: &str, s: &str) -> Result<String> {
    let folded: String = s.chars().map(half_width).collect();
    let text = folded.trim();
    let invalid = |reason: &str| Error::invalid(field, format!("'{text}': {reason}"));
    if text.is_empty() {
        return Err(Error::invalid(field, "e-mail address is empty"));
    }
    if text.chars().any(char::is_whitespace) {
        return Err(invalid("white space is not allowed in an e-mail address"));
    }
    let (local, domain) = text
        .split_once('@')
        .ok_or_else(|| invalid("the @ is missing"))?;
    if domain.contains('@') {
        return Err(invalid("more than one @"));
    }
    check_local_part(local).map_err(invalid)?;
    let domain = domain.to_lowercase();
    check_domain(&domain).map_err(invalid)?;
    Ok(format!("{local}@{domain}"))
}

fn check_local_part(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("the part before @ is empty");
    }
    if local.len() > 64 {
        return Err("the part before @ is longer than 64 bytes");
    }
    let allowed = |c: char| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c);
    if !local.chars().all(allowed) {
        return Err("the part before @ contains a character that is not allowed");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("dots in the part before @ must stand between other characters");
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), &'static str> {
    if domain.len() > 253 {
        return Err("the domain is longer than 253 bytes");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err("the domain has no dot");
    }
    for label in &labels {
        if label.is_empty() {
            return Err("the domain has an empty part between dots");
        }
        if label.len() > 63 {
            return Err("a part of the domain is longer than 63 bytes");
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err("the domain contains a character that is not allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a part of the domain starts or ends with a hyphen");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("the domain ends in a number");
    }
    Ok(())
}

/// Checks a single-line text field and returns it trimmed.
///
/// Length is counted in characters (`char`s), not bytes, so `"华为"` has 2. Control characters
/// (including tabs and line breaks inside the text) are refused: they break exports, printed
/// documents and log lines, and single-line fields never need them.
///
/// # Errors
///
/// [`Error::Invalid`] on `field` when the trimmed text has fewer than `min_chars` or more than
/// `max_chars` characters, or contains a control character.
///
/// ```
/// use crm_core::text::check_text;
///
/// assert_eq!(check_text("name", "  华为技术有限公司 ", 1, 100).unwrap(), "华为技术有限公司");
/// assert!(check_text("name", "   ", 1, 100).is_err());
/// assert!(check_text("name", "华为", 1, 1).is_err());
/// assert!(check_text("name", "a\nb", 1, 100).is_err());
/// ```
pub fn check_text(field: &str, s: &str, min_chars: usize, max_chars: usize) -> Result<String> {
    let text = s.trim();
    check_chars(field, text, min_chars, max_chars)?;
    Ok(text.to_owned())
}

/// [`check_text`] of text the caller owns: the same checks, and the text itself comes back
/// when it needs no trimming (a cell read from a file already is), without a copy.
pub(crate) fn check_text_owned(
    field: &str,
    s: String,
    min_chars: usize,
    max_chars: usize,
) -> Result<String> {
    let text = s.trim();
    check_chars(field, text, min_chars, max_chars)?;
    Ok(if text.len() == s.len() {
        s
    } else {
        text.to_owned()
    })
}

/// The checks of [`check_text`] on already trimmed text, in one pass over its characters.
fn check_chars(field: &str, text: &str, min_chars: usize, max_chars: usize) -> Result<()> {
    let mut count = 0;
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            return Err(Error::invalid(
                field,
                format!(
                    "contains a control character (U+{:04X}) at position {}",
                    u32::from(c),
                    count + 1
                ),
            ));
        }
        count += 1;
    }
    if count < min_chars {
        return Err(Error::invalid(
            field,
            if count == 0 {
                "must not be empty".to_owned()
            } else {
                format!("must have at least {min_chars} characters, found {count}")
            },
        ));
    }
    if count > max_chars {
        return Err(Error::invalid(
            field,
            format!("must have at most {max_chars} characters, found {count}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn phone(s: &str) -> String {
        parse_phone("phone", s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn phone_error(s: &str) -> String {
        match parse_phone("phone", s) {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(field, "phone");
                reason
            }
            other => panic!("{s}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn mobiles_in_every_common_spelling() {
        for s in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "008613812345678",
            "0086 13812345678",
            "(+86)13812345678",
            "（＋８６）１３８１２３４５６７８",
            "１３８　１２３４　５６７８",
            "  13812345678\t",
        ] {
            assert_eq!(phone(s), "13812345678", "{s}");
        }
        for prefix in 3..=9 {
            assert_eq!(
                phone(&format!("1{prefix}012345678")),
                format!("1{prefix}012345678")
            );
        }
    }

    #[test]
    fn invalid_mobiles() {
        assert!(phone_error("12812345678").contains("13 to 19"));
        assert!(phone_error("1381234567").contains("found 10 digits"));
        assert!(phone_error("138123456789").contains("found 12 digits"));
        assert!(phone_error("13812345678转1").contains("no extension"));
        assert!(phone_error("138.1234.5678").contains("'.' is not allowed"));
        assert!(phone_error("138 1234 567a").contains("'a' is not allowed"));
    }

    #[test]
    fn landlines_in_every_common_spelling() {
        for (s, expected) in [
            ("010-12345678", "010-12345678"),
            ("010 12345678", "010-12345678"),
            ("01012345678", "010-12345678"),
            ("(010)12345678", "010-12345678"),
            ("(010) 1234 5678", "010-12345678"),
            ("（０１０）１２３４５６７８", "010-12345678"),
            ("010-1234-5678", "010-12345678"),
            ("+86 10 12345678", "010-12345678"),
            ("+86-10-1234-5678", "010-12345678"),
            ("+861012345678", "010-12345678"),
            ("+86 755 87654321", "0755-87654321"),
            ("+86 0755 87654321", "0755-87654321"),
            ("021-2345678", "021-2345678"),
            ("0755-87654321", "0755-87654321"),
            ("075587654321", "0755-87654321"),
            ("0571-8765432", "0571-8765432"),
            ("0755 8765 4321", "0755-87654321"),
        ] {
            assert_eq!(phone(s), expected, "{s}");
        }
    }

    #[test]
    fn landline_extensions() {
        for (s, expected) in [
            ("010-12345678-123", "010-12345678-123"),
            ("01012345678-123", "010-12345678-123"),
            ("(010)12345678-1", "010-12345678-1"),
            ("010-12345678转123", "010-12345678-123"),
            ("010-12345678 转 123", "010-12345678-123"),
            ("0755-8765432-801", "0755-8765432-801"),
            ("0755-8765-4321-801", "0755-87654321-801"),
            ("021-12345678-123456", "021-12345678-123456"),
        ] {
            assert_eq!(phone(s), expected, "{s}");
        }
    }

    #[test]
    fn invalid_landlines() {
        assert!(phone_error("010-1234567890").contains("7 or 8 digits, found 10"));
        assert!(phone_error("+86 1381234567").contains("found 10 digits"));
        assert!(phone_error("+86 12812345678").contains("13 to 19"));
        assert!(phone_error("010-123456").contains("found 6"));
        assert!(phone_error("010-02345678").contains("cannot start with 0"));
        assert!(phone_error("01-12345678").contains("too short"));
        assert!(phone_error("010-12345678-1234567").contains("1 to 6 digits"));
        assert!(phone_error("010-12345678-12转3").contains("two extensions"));
        assert!(phone_error("01012345678-1-2").contains("too many groups"));
        assert!(phone_error("010-12345678转").contains("1 to 6 digits"));
        assert!(phone_error("(010-12345678").contains("parenthesis"));
        assert!(phone_error("010(1234)5678").contains("'(' is not allowed"));
        assert!(phone_error("4008108888").contains("not a mobile"));
        assert!(phone_error("---").contains("no digits"));
        assert_eq!(phone_error("  "), "phone number is empty");
    }

    #[test]
    fn phone_errors_name_the_field() {
        let err = parse_phone("contacts[2].mobile", "12").unwrap_err();
        assert!(matches!(err, Error::Invalid { ref field, .. } if field == "contacts[2].mobile"));
    }

    fn email_error(s: &str) -> String {
        match parse_email("email", s) {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(field, "email");
                reason
            }
            other => panic!("{s}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn valid_emails() {
        for (s, expected) in [
            ("zhang@example.com", "zhang@example.com"),
            ("Zhang.San@Example.COM", "Zhang.San@example.com"),
            ("  li+crm@mail.qq.com ", "li+crm@mail.qq.com"),
            ("ｌｉ＠ｑｑ．ｃｏｍ", "li@qq.com"),
            (
                "o'brien@sub-domain.example.co.uk",
                "o'brien@sub-domain.example.co.uk",
            ),
            ("用户@例子.中国", "用户@例子.中国"),
            ("a@b.cn", "a@b.cn"),
        ] {
            assert_eq!(parse_email("email", s).unwrap(), expected, "{s}");
        }
        let longest_local = "a".repeat(64);
        assert!(parse_email("email", &format!("{longest_local}@example.com")).is_ok());
    }

    #[test]
    fn invalid_emails() {
        assert_eq!(email_error(""), "e-mail address is empty");
        assert!(email_error("zhang.example.com").contains("@ is missing"));
        assert!(email_error("a@b@example.com").contains("more than one @"));
        assert!(email_error("@example.com").contains("before @ is empty"));
        assert!(email_error(&format!("{}@example.com", "a".repeat(65))).contains("64"));
        assert!(email_error("zh ang@example.com").contains("white space"));
        assert!(email_error(".zhang@example.com").contains("dots"));
        assert!(email_error("zhang.@example.com").contains("dots"));
        assert!(email_error("zh..ang@example.com").contains("dots"));
        assert!(email_error("zh(ang)@example.com").contains("not allowed"));
        assert!(email_error("zhang@example").contains("no dot"));
        assert!(email_error("zhang@example..com").contains("empty part"));
        assert!(email_error("zhang@.example.com").contains("empty part"));
        assert!(email_error("zhang@example.com.").contains("empty part"));
        assert!(email_error("zhang@-example.com").contains("hyphen"));
        assert!(email_error("zhang@example_x.com").contains("not allowed"));
        assert!(email_error("zhang@127.0.0.1").contains("number"));
        assert!(email_error(&format!("a@{}.com", "x".repeat(64))).contains("63"));
        assert!(email_error(&format!("a@{}com", "x.".repeat(127))).contains("253"));
    }

    fn text_error(s: &str, min: usize, max: usize) -> String {
        match check_text("remark", s, min, max) {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(field, "remark");
                reason
            }
            other => panic!("{s}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn text_is_trimmed_and_counted_in_characters() {
        assert_eq!(check_text("remark", " 华为 ", 2, 2).unwrap(), "华为");
        assert_eq!(check_text("remark", "", 0, 10).unwrap(), "");
        assert_eq!(check_text("remark", "\t a b \n", 0, 3).unwrap(), "a b");
        assert_eq!(
            text_error("华为技术", 1, 3),
            "must have at most 3 characters, found 4"
        );
        assert_eq!(
            text_error("华", 2, 3),
            "must have at least 2 characters, found 1"
        );
        assert_eq!(text_error(" \u{3000} ", 1, 3), "must not be empty");
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            text_error("a\tb", 0, 10),
            "contains a control character (U+0009) at position 2"
        );
        assert!(text_error("a\u{0}b", 0, 10).contains("U+0000"));
        assert!(text_error("a\u{7F}b", 0, 10).contains("U+007F"));
        assert!(text_error("a\u{2028}b", 0, 10).contains("U+2028"));
        assert!(text_error("第一行\r\n第二行", 0, 10).contains("at position 4"));
    }

    proptest! {
        /// The owned form of the text check answers exactly as the borrowed one.
        #[test]
        fn owned_text_check_agrees_with_check_text(s in "[ \t\n华a-z\u{3000}\u{2028}]{0,12}", max in 0usize..8) {
            let borrowed = check_text("field", &s, 1, max).map_err(|e| e.to_string());
            let owned = check_text_owned("field", s.clone(), 1, max).map_err(|e| e.to_string());
            prop_assert_eq!(owned, borrowed);
        }

        #[test]
        fn canonical_mobiles_parse_to_themselves(second in 3_u8..=9, rest in "[0-9]{9}") {
            let mobile = format!("1{second}{rest}");
            prop_assert_eq!(phone(&mobile), mobile.clone());
            let spaced = format!("+86 {} {} {}", &mobile[..3], &mobile[3..7], &mobile[7..]);
            prop_assert_eq!(phone(&spaced), mobile);
        }

        #[test]
        fn canonical_landlines_parse_to_themselves(
            area in "0(10|2[0-9]|[3-9][0-9]{2})",
            number in "[1-9][0-9]{6,7}",
            extension in proptest::option::of("[0-9]{1,6}"),
        ) {
            let canonical = match &extension {
                Some(ext) => format!("{area}-{number}-{ext}"),
                None => format!("{area}-{number}"),
            };
            prop_assert_eq!(phone(&canonical), canonical.clone());
            prop_assert_eq!(phone(&canonical.replace('-', "")[..area.len() + number.len()]),
                format!("{area}-{number}"));
            prop_assert_eq!(phone(&format!("({area}){number}")), format!("{area}-{number}"));
        }

        #[test]
        fn parse_phone_never_panics(s in "[0-9 ()+\\-转]{0,24}") {
            if let Ok(canonical) = parse_phone("phone", &s) {
                prop_assert_eq!(phone(&canonical), canonical);
            }
        }

        #[test]
        fn parse_email_is_idempotent(s in "[a-zA-Z0-9.+@\\-]{1,30}") {
            if let Ok(email) = parse_email("email", &s) {
                prop_assert_eq!(parse_email("email", &email).ok(), Some(email));
            }
        }
    }
}
