//! Text rules of Chinese business paperwork: amounts in capital numerals, the unified social
//! credit code, company-name keys for duplicate detection, and checks of phone numbers, e-mail
//! addresses and text fields.
//!
//! Everything here is pure: no I/O, no locale, no global state. Full-width characters typed by
//! Chinese input methods (`ＡＢＣ１２３（）＠`) are accepted wherever users type, and folded to
//! ASCII before anything is compared or stored.
//!
//! | need | use |
//! | --- | --- |
//! | 大写金额 on a contract or receipt | [`amount_in_capitals`] |
//! | `¥12,345.67` | [`format_yuan`] |
//! | 统一社会信用代码 | [`CreditCode`], [`check_character`] |
//! | 排重: are two customers the same company? | [`company_name_key`], [`is_near_duplicate`] |
//! | case- and width-insensitive search | [`fold_text`] |
//! | phone, e-mail, text fields | [`parse_phone`], [`parse_email`], [`check_text`] |
//!
//! Every function that can refuse its input returns [`Error::Invalid`](crate::Error::Invalid)
//! naming the field, with a reason a user can act on.

mod capital;
mod credit_code;
mod normalize;
mod validate;

pub use capital::{amount_in_capitals, format_yuan};
pub use credit_code::{check_character, CreditCode};
pub use normalize::{company_name_key, fold_text, is_near_duplicate};
pub(crate) use validate::check_text_owned;
pub use validate::{check_text, parse_email, parse_phone};
