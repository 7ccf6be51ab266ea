//! Folding and normalising company names and free text for searches and duplicate detection.

/// Maps a full-width form to its ASCII counterpart: U+FF01–U+FF5E to U+0021–U+007E and the
/// ideographic space U+3000 to a plain space. Every other character is returned unchanged.
///
/// Chinese input methods produce full-width letters, digits and punctuation (`ＡＢＣ１２３（）`),
/// and users do not see the difference, so every comparison goes through this first.
pub(crate) fn half_width(c: char) -> char {
    const FULL_WIDTH_OFFSET: u32 = 0xFF01 - 0x21;
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - FULL_WIDTH_OFFSET).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Punctuation and symbols that carry no meaning in a name: ASCII and Latin-1 punctuation, the
/// General Punctuation block (dashes, quotes, ellipsis, zero-width characters), CJK punctuation
/// (、。《》【】「」〔〕…) and the half-width and compatibility forms of CJK punctuation.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '¡' | '§' | '«' | '¶' | '·' | '»' | '¿' // Latin-1 punctuation
            | '\u{2000}'..='\u{206F}' // General Punctuation: — – ‘ ’ “ ” … • and invisible spaces
            | '\u{3000}'..='\u{303F}' // CJK Symbols and Punctuation: 、 。 《 》 【 】 「 」 〜
            | '\u{30FB}' // katakana middle dot ・
            | '\u{FE10}'..='\u{FE1F}' // vertical forms
            | '\u{FE30}'..='\u{FE6F}' // CJK compatibility and small form variants
            | '\u{FEFF}' // byte order mark pasted from files
            | '\u{FF01}'..='\u{FF0F}' // full-width punctuation (also caught after width folding)
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}' // full-width and half-width CJK brackets and ｡ ｢ ｣ ､ ･
        )
}

/// Legal-form suffixes stripped from the end of a key. The longest match is stripped first so
/// that `股份有限公司` goes whole instead of leaving `股份` behind. Latin forms are listed as they
/// look after punctuation and white space are gone (`Co., Ltd.` → `coltd`).
///
/// `集团` is not here: in `XX集团有限公司` only the legal form `有限公司` goes and `XX集团` stays,
/// because a group and its namesake operating company are different customers. `分公司` is not
/// here either: a branch is a customer of its own.
const LEGAL_FORM_SUFFIXES: [&str; 15] = [
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "有限合伙",
    "companylimited",
    "colimited",
    "limited",
    "coltd",
    "ltd",
    "incorporated",
    "inc",
    "corporation",
    "corp",
    "llc",
    "gmbh",
];

/// The normalised key of a company name, used to find duplicates (排重).
///
/// The key is built in this order:
/// 1. full-width letters, digits and punctuation become ASCII (`ＡＢＣ（深圳）` → `ABC(深圳)`);
/// 2. letters are lower-cased;
/// 3. all white space and punctuation is removed, ASCII and CJK alike (`、。，·“”《》【】—…`);
/// 4. legal-form suffixes are stripped from the end, repeatedly, longest first:
///    `股份有限公司`, `有限责任公司`, `有限公司`, `有限合伙`, and the Latin forms
///    `company limited`, `co limited`, `co ltd`, `limited`, `ltd`, `incorporated`, `inc`,
///    `corporation`, `corp`, `llc`, `gmbh`.
///
/// `集团` and `分公司` are kept: a group and a branch are customers of their own. A name that
/// is nothing but a legal form (`有限公司`, `Ltd.`) is kept whole, so the key of a name with any
/// letter or digit in it is never empty.
///
/// Because white space is removed before the suffixes are compared, the key does not depend on
/// how the user spaced the name (`ABC Co., Ltd.` and `ABCCo.,Ltd.` agree). The price is that a
/// name whose last word merely ends in a suffix loses it too (`Zinc` → `z`); for duplicate
/// *detection*, a rare false alarm is cheaper than a missed duplicate.
///
/// The key is idempotent: `company_name_key(&company_name_key(x)) == company_name_key(x)`.
///
/// ```
/// use crm_core::text::company_name_key;
///
/// assert_eq!(company_name_key("华为技术有限公司"), "华为技术");
/// assert_eq!(company_name_key("  阿里巴巴（中国）网络技术有限公司 "), "阿里巴巴中国网络技术");
/// assert_eq!(company_name_key("ＡＢＣ Trading Co., Ltd."), "abctrading");
/// assert_eq!(company_name_key("海尔集团有限公司"), "海尔集团");
/// assert_eq!(company_name_key("华为技术有限公司北京分公司"), "华为技术有限公司北京分公司");
/// // Never stripped to nothing.
/// assert_eq!(company_name_key("有限公司"), "有限公司");
/// ```
pub fn company_name_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.chars().map(half_width) {
        push_lowercase(c, |c| {
            if !c.is_whitespace() && !is_punctuation(c) {
                key.push(c);
            }
        });
    }
    // Each pass removes the longest matching suffix. A name that is nothing but a legal form
    // (`有限公司`, `Co. Ltd.`) is kept whole rather than cut down to a fragment of it.
    while let Some(suffix) = LEGAL_FORM_SUFFIXES
        .iter()
        .filter(|s| key.ends_with(*s))
        .max_by_key(|s| s.len())
    {
        if suffix.len() == key.len() {
            break;
        }
        key.truncate(key.len() - suffix.len());
    }
    key
}

/// Folds text for contains-searches: full-width forms become ASCII, letters are lower-cased,
/// leading and trailing white space is removed and every inner run of white space becomes one
/// space. Punctuation and legal forms are kept (use [`company_name_key`] to compare names).
///
/// ```
/// use crm_core::text::fold_text;
///
/// assert_eq!(fold_text("  ＡＢＣ　Trading\t Co.  "), "abc trading co.");
/// assert!(fold_text("深圳市ＡＢＣ科技").contains(&fold_text("abc科技")));
/// ```
pub fn fold_text(s: &str) -> String {
    let mut folded = String::with_capacity(s.len());
    // A run of white space is written as one space when the next word starts.
    let mut space = false;
    for c in s.chars().map(half_width) {
        push_lowercase(c, |c| {
            if c.is_whitespace() {
                space = true;
            } else {
                if space && !folded.is_empty() {
                    folded.push(' ');
                }
                space = false;
                folded.push(c);
            }
        });
    }
    folded
}

/// Hands `c` lower-cased to `push` (one character, or several for the few whose lower case
/// is longer). ASCII and the CJK unified ideographs, which make up almost every name, skip
/// the Unicode case tables: ideographs have no case.
fn push_lowercase(c: char, mut push: impl FnMut(char)) {
    if c.is_ascii() {
        push(c.to_ascii_lowercase());
    } else if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        push(c);
    } else {
        c.to_lowercase().for_each(push);
    }
}

/// True when two company-name keys (from [`company_name_key`]) are probably the same company:
/// both are non-empty, one contains the other, and the shorter has at least 2 characters.
///
/// The 2-character floor keeps a one-letter key from matching every name that contains the
/// letter. Equal keys are near-duplicates too (when at least 2 characters long); an exact
/// duplicate is usually caught earlier by comparing keys for equality.
///
/// ```
/// use crm_core::text::{company_name_key, is_near_duplicate};
///
/// let a = company_name_key("深圳市腾讯计算机系统有限公司");
/// let b = company_name_key("腾讯计算机系统");
/// assert!(is_near_duplicate(&a, &b));
/// assert!(is_near_duplicate(&b, &a));
/// assert!(!is_near_duplicate(&a, &company_name_key("华为技术有限公司")));
/// assert!(!is_near_duplicate("a", "abc")); // too short to mean anything
/// assert!(!is_near_duplicate("", "abc"));
/// ```
pub fn is_near_duplicate(a_key: &str, b_key: &str) -> bool {
    let (shorter, longer) = if a_key.chars().count() <= b_key.chars().count() {
        (a_key, b_key)
    } else {
        (b_key, a_key)
    };
    shorter.chars().count() >= 2 && longer.contains(shorter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn half_width_maps_the_full_width_range_and_the_ideographic_space() {
        assert_eq!(half_width('！'), '!');
        assert_eq!(half_width('～'), '~');
        assert_eq!(half_width('Ａ'), 'A');
        assert_eq!(half_width('ｚ'), 'z');
        assert_eq!(half_width('０'), '0');
        assert_eq!(half_width('（'), '(');
        assert_eq!(half_width('\u{3000}'), ' ');
        assert_eq!(half_width('中'), '中');
        assert_eq!(half_width('、'), '、');
        for c in '\u{FF01}'..='\u{FF5E}' {
            let h = half_width(c);
            assert!(h.is_ascii_graphic(), "{c} -> {h}");
        }
    }

    #[test]
    fn chinese_legal_forms_are_stripped() {
        assert_eq!(company_name_key("华为技术有限公司"), "华为技术");
        assert_eq!(
            company_name_key("中国平安保险（集团）股份有限公司"),
            "中国平安保险集团"
        );
        assert_eq!(company_name_key("北京某某科技有限责任公司"), "北京某某科技");
        assert_eq!(
            company_name_key("深圳某某投资合伙企业（有限合伙）"),
            "深圳某某投资合伙企业"
        );
        assert_eq!(company_name_key("海尔集团有限公司"), "海尔集团");
    }

    #[test]
    fn branches_are_kept_apart_from_the_head_office() {
        assert_eq!(
            company_name_key("招商银行股份有限公司深圳分行"),
            "招商银行股份有限公司深圳分行"
        );
        assert_ne!(
            company_name_key("某某有限公司上海分公司"),
            company_name_key("某某有限公司")
        );
    }

    #[test]
    fn latin_legal_forms_are_stripped_after_punctuation_removal() {
        assert_eq!(company_name_key("ABC Trading Co., Ltd."), "abctrading");
        assert_eq!(company_name_key("ABC Trading Co.,Ltd"), "abctrading");
        assert_eq!(company_name_key("ABC TRADING CO LTD"), "abctrading");
        assert_eq!(
            company_name_key("ABC Trading Company Limited"),
            "abctrading"
        );
        assert_eq!(company_name_key("ABC Trading Co., Limited"), "abctrading");
        assert_eq!(company_name_key("ABC Trading Limited"), "abctrading");
        assert_eq!(company_name_key("Acme, Inc."), "acme");
        assert_eq!(company_name_key("Acme Incorporated"), "acme");
        assert_eq!(company_name_key("Acme Corp."), "acme");
        assert_eq!(company_name_key("Acme Corporation"), "acme");
        assert_eq!(company_name_key("Acme LLC"), "acme");
        assert_eq!(company_name_key("Acme GmbH"), "acme");
    }

    #[test]
    fn suffixes_are_stripped_repeatedly() {
        assert_eq!(company_name_key("ABC有限公司 Co., Ltd."), "abc");
        assert_eq!(company_name_key("Acme Holdings Inc. Ltd"), "acmeholdings");
    }

    #[test]
    fn width_case_space_and_punctuation_do_not_matter() {
        let expected = "abc科技";
        for name in [
            "ABC科技有限公司",
            "ＡＢＣ科技有限公司",
            "abc 科技 有限公司",
            "A.B.C·科技有限公司",
            "“ABC”科技有限公司",
            "《ABC》科技——有限公司。",
            "【ABC】科技、有限公司…",
            "ABC\u{3000}科技\u{200B}有限公司",
            "「ABC」科技有限公司",
        ] {
            assert_eq!(company_name_key(name), expected, "{name}");
        }
    }

    #[test]
    fn full_width_parentheses_fold_like_ascii_ones() {
        assert_eq!(
            company_name_key("阿里巴巴（中国）有限公司"),
            company_name_key("阿里巴巴(中国)有限公司")
        );
    }

    #[test]
    fn a_key_is_never_stripped_to_empty() {
        assert_eq!(company_name_key("有限公司"), "有限公司");
        assert_eq!(company_name_key("Ltd."), "ltd");
        assert_eq!(company_name_key("股份有限公司"), "股份有限公司");
        assert_eq!(company_name_key("Co. Ltd."), "coltd");
        assert_eq!(company_name_key("Limited Co., Ltd."), "limited");
        assert_eq!(company_name_key(""), "");
        assert_eq!(company_name_key(" 、。 "), "");
    }

    #[test]
    fn fold_text_trims_and_collapses_white_space() {
        assert_eq!(
            fold_text("  Hello\u{3000}\u{3000}ＷＯＲＬＤ \n"),
            "hello world"
        );
        assert_eq!(fold_text(""), "");
        assert_eq!(fold_text("有限公司（北京）"), "有限公司(北京)");
    }

    #[test]
    fn near_duplicates() {
        assert!(is_near_duplicate("华为技术", "华为技术"));
        assert!(is_near_duplicate("华为", "华为技术"));
        assert!(is_near_duplicate("华为技术", "深圳华为技术"));
        assert!(!is_near_duplicate("华", "华为技术"));
        assert!(!is_near_duplicate("a", "a"));
        assert!(!is_near_duplicate("", ""));
        assert!(!is_near_duplicate("华为", "中兴"));
        assert!(!is_near_duplicate("华为技术", "华为通信"));
    }

    /// Names made of the characters that matter: CJK, ASCII letters and digits, punctuation,
    /// and fragments of legal-form suffixes so that stripping is exercised often.
    fn name() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => "[a-zA-Z0-9]{1,4}",
            3 => "[华为技术科北京上海集团分]{1,3}",
            1 => "[ .,()（）、。·\\-]",
            2 => prop::sample::select(vec![
                "有限公司", "股份有限公司", "有限责任公司", "Co., Ltd.", "Ltd", "Inc.",
                "Corp", "Limited", "Company Limited", "GmbH", "LLC", "co", "ltd",
            ])
            .prop_map(str::to_owned),
        ];
        prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
    }

    /// The full-width form of every ASCII graphic character, and U+3000 for a space.
    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c),
                ' ' => '\u{3000}',
                _ => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn key_is_idempotent(name in name()) {
            let key = company_name_key(&name);
            prop_assert_eq!(company_name_key(&key), key);
        }

        #[test]
        fn key_ignores_width_case_and_spacing(
            name in name(),
            spaces in prop::collection::vec((any::<prop::sample::Index>(), " |\u{3000}|\t"), 0..4),
        ) {
            let key = company_name_key(&name);
            prop_assert_eq!(&company_name_key(&full_width(&name)), &key);
            prop_assert_eq!(&company_name_key(&name.to_uppercase()), &key);
            prop_assert_eq!(&company_name_key(&name.to_lowercase()), &key);
            let mut chars: Vec<String> = name.chars().map(String::from).collect();
            for (at, space) in spaces {
                chars.insert(at.index(chars.len() + 1), space);
            }
            prop_assert_eq!(&company_name_key(&chars.concat()), &key);
        }

        #[test]
        fn key_of_a_name_with_content_is_never_empty(name in name()) {
            let has_content = name.chars().any(|c| c.is_alphanumeric());
            prop_assert_eq!(!company_name_key(&name).is_empty(), has_content);
        }

        #[test]
        fn fold_text_is_idempotent(s in "[ a-zA-Z０-９ＡＢ\u{3000}\t,.华为]{0,20}") {
            let folded = fold_text(&s);
            prop_assert_eq!(fold_text(&folded), folded.clone());
            prop_assert_eq!(folded.trim(), folded.as_str());
            prop_assert!(!folded.contains("  "));
        }

        /// The ASCII and ideograph shortcut of the lower-casing changes nothing: any text
        /// folds as it does through the Unicode case tables character by character.
        #[test]
        fn folding_agrees_with_unicode_lower_case(s in "\\PC{0,24}") {
            let lowered: String = s.chars().map(half_width).flat_map(char::to_lowercase).collect();
            prop_assert_eq!(
                fold_text(&s),
                lowered.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            let mut key: String = lowered
                .chars()
                .filter(|&c| !c.is_whitespace() && !is_punctuation(c))
                .collect();
            let full = key.clone();
            while let Some(suffix) = LEGAL_FORM_SUFFIXES
                .iter()
                .filter(|x| key.ends_with(*x))
                .max_by_key(|x| x.len())
            {
                if suffix.len() == key.len() {
                    break;
                }
                key.truncate(key.len() - suffix.len());
            }
            prop_assert_eq!(company_name_key(&s), key, "from {:?}", full);
        }

        #[test]
        fn near_duplicate_is_symmetric(a in name(), b in name()) {
            let (a, b) = (company_name_key(&a), company_name_key(&b));
            prop_assert_eq!(is_near_duplicate(&a, &b), is_near_duplicate(&b, &a));
        }
    }
}
