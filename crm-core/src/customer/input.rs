//! What a caller hands in to create or edit customers and contacts, and how it is checked.
//!
//! Parse, don't validate: raw text goes in, and only checked values reach a [`Customer`] or a
//! [`Contact`]. Every refusal is an [`Error::Invalid`] naming the field.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::model::{Anniversary, Contact, Customer};
use crate::error::{Error, Result};
use crate::text;

/// Longest customer name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Most contacts entered with one customer.
pub const MAX_CONTACTS: usize = 50;

/// The editable part of a customer file, as typed by a user or read from an import row.
///
/// ```
/// use crm_core::customer::CustomerInput;
/// let input = CustomerInput::builder()
///     .name("上海汇丰贸易有限公司".to_string())
///     .province(Some("上海".to_string()))
///     .build();
/// assert_eq!(input.name, "上海汇丰贸易有限公司");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct CustomerInput {
    /// Full name (required, 2–100 characters).
    pub name: String,
    /// Short name.
    #[builder(default)]
    pub short_name: Option<String>,
    /// Customer type, one of the configured options when any are configured.
    #[builder(default)]
    pub customer_type: Option<String>,
    /// Level, one of the configured options when any are configured.
    #[builder(default)]
    pub level: Option<String>,
    /// Industry.
    #[builder(default)]
    pub industry: Option<String>,
    /// Province.
    #[builder(default)]
    pub province: Option<String>,
    /// City.
    #[builder(default)]
    pub city: Option<String>,
    /// Source.
    #[builder(default)]
    pub source: Option<String>,
    /// Address.
    #[builder(default)]
    pub address: Option<String>,
    /// Switchboard phone.
    #[builder(default)]
    pub phone: Option<String>,
    /// Website.
    #[builder(default)]
    pub website: Option<String>,
    /// Unified social credit code.
    #[builder(default)]
    pub credit_code: Option<String>,
    /// Bank.
    #[builder(default)]
    pub bank_name: Option<String>,
    /// Bank account.
    #[builder(default)]
    pub bank_account: Option<String>,
    /// Credit limit in CNY (non-negative, at most 2 decimals).
    #[builder(default)]
    pub credit_limit: Option<Decimal>,
    /// Tags.
    #[builder(default)]
    pub tags: Vec<String>,
    /// User-defined attributes.
    #[builder(default)]
    pub attributes: BTreeMap<String, String>,
    /// Anniversaries.
    #[builder(default)]
    pub anniversaries: Vec<Anniversary>,
}

/// A contact as typed by a user or read from an import row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct ContactInput {
    /// Name (required, 1–50 characters).
    pub name: String,
    /// Job title.
    #[builder(default)]
    pub title: Option<String>,
    /// Mobile phone.
    #[builder(default)]
    pub mobile: Option<String>,
    /// Office phone.
    #[builder(default)]
    pub phone: Option<String>,
    /// E-mail.
    #[builder(default)]
    pub email: Option<String>,
    /// Birthday.
    #[builder(default)]
    pub birthday: Option<NaiveDate>,
    /// Make this the primary contact.
    #[builder(default)]
    pub primary: bool,
    /// Notes.
    #[builder(default)]
    pub notes: Option<String>,
}

fn opt_text(field: &str, v: &Option<String>, max: usize) -> Result<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => text::check_text(field, s, 1, max).map(Some),
    }
}

/// [`opt_text`] of an owned value: the text itself when it needs no trimming.
fn opt_text_owned(field: &str, v: Option<String>, max: usize) -> Result<Option<String>> {
    match v {
        Some(s) if !s.trim().is_empty() => text::check_text_owned(field, s, 1, max).map(Some),
        _ => Ok(None),
    }
}

fn website(v: Option<String>) -> Result<Option<String>> {
    let Some(s) = opt_text_owned("website", v, 200)? else {
        return Ok(None);
    };
    let host = s
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("");
    if !host.contains('.') || host.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            "website",
            format!("{s:?} is not a web address"),
        ));
    }
    Ok(Some(s))
}

/// The checked fields of a customer, before ownership and timestamps are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCustomer {
    pub(crate) name: String,
    pub(crate) name_key: String,
    pub(crate) input: CustomerInput,
    pub(crate) tags: BTreeSet<String>,
}

impl CustomerInput {
    /// Checks every field: lengths, the credit code's check character, phone and address
    /// formats, tag limits. Option-list membership is checked against settings by the caller.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the first offending field.
    pub fn check(&self) -> Result<CheckedCustomer> {
        self.clone().into_checked()
    }

    /// [`CustomerInput::check`], taking the input: the checked fields are the input's own
    /// texts where they need no change (an import's cells), not copies of them.
    ///
    /// # Errors
    /// As [`CustomerInput::check`].
    pub fn into_checked(self) -> Result<CheckedCustomer> {
        let CustomerInput {
            name,
            short_name,
            customer_type,
            level,
            industry,
            province,
            city,
            source,
            address,
            phone,
            website: site,
            credit_code,
            bank_name,
            bank_account,
            credit_limit,
            tags: tag_list,
            attributes,
            anniversaries,
        } = self;
        let name = text::check_text_owned("name", name, 2, MAX_NAME_CHARS)?;
        let name_key = text::company_name_key(&name);
        if name_key.is_empty() {
            return Err(Error::invalid("name", "has no letters or digits"));
        }
        // Each field is checked in turn: the first offending one is the error.
        let short_name = opt_text_owned("short_name", short_name, 50)?;
        let customer_type = opt_text_owned("customer_type", customer_type, 50)?;
        let level = opt_text_owned("level", level, 50)?;
        let industry = opt_text_owned("industry", industry, 50)?;
        let province = opt_text_owned("province", province, 20)?;
        let city = opt_text_owned("city", city, 30)?;
        let source = opt_text_owned("source", source, 50)?;
        let address = opt_text_owned("address", address, 200)?;
        let phone = match opt_text_owned("phone", phone, 40)? {
            Some(p) => Some(text::parse_phone("phone", &p)?),
            None => None,
        };
        let website = website(site)?;
        let credit_code = match opt_text_owned("credit_code", credit_code, 40)? {
            Some(c) => Some(text::CreditCode::parse(&c)?.as_str().to_owned()),
            None => None,
        };
        let bank_name = opt_text_owned("bank_name", bank_name, 100)?;
        let bank_account = match opt_text_owned("bank_account", bank_account, 40)? {
            Some(a) => {
                let compact: String = a
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .collect();
                if compact.len() < 6 || !compact.chars().all(|c| c.is_ascii_digit()) {
                    return Err(Error::invalid(
                        "bank_account",
                        format!("{a:?} is not an account number"),
                    ));
                }
                Some(compact)
            }
            None => None,
        };
        if let Some(l) = credit_limit {
            if l.is_sign_negative() || l.normalize().scale() > 2 {
                return Err(Error::invalid(
                    "credit_limit",
                    format!("{l} must be a non-negative amount with at most 2 decimals"),
                ));
            }
        }
        let mut tags = BTreeSet::new();
        for t in &tag_list {
            let t = t.trim();
            if !t.is_empty() {
                tags.insert(text::check_text("tags", t, 1, 30)?);
            }
        }
        if tags.len() > 20 {
            return Err(Error::invalid("tags", "at most 20 tags"));
        }
        for (k, v) in &attributes {
            text::check_text("attributes", k, 1, 50)?;
            if v.chars().count() > 500 {
                return Err(Error::invalid(
                    format!("attributes.{k}"),
                    "longer than 500 characters",
                ));
            }
        }
        for a in &anniversaries {
            text::check_text("anniversaries", &a.label, 1, 50)?;
        }
        let input = CustomerInput {
            name: name.clone(),
            short_name,
            customer_type,
            level,
            industry,
            province,
            city,
            source,
            address,
            phone,
            website,
            credit_code,
            bank_name,
            bank_account,
            credit_limit,
            tags: tag_list,
            attributes,
            anniversaries,
        };
        Ok(CheckedCustomer {
            name,
            name_key,
            input,
            tags,
        })
    }
}

impl CheckedCustomer {
    /// The normalised name key.
    pub fn name_key(&self) -> &str {
        &self.name_key
    }

    /// The checked credit code, if any.
    pub fn credit_code(&self) -> Option<&str> {
        self.input.credit_code.as_deref()
    }

    /// The checked input.
    pub fn input(&self) -> &CustomerInput {
        &self.input
    }

    /// Builds a new customer record.
    pub(crate) fn into_new(
        self,
        id: Uuid,
        owner: Uuid,
        actor: Uuid,
        now: DateTime<Utc>,
    ) -> Customer {
        let mut c = Customer {
            id,
            name: String::new(),
            short_name: None,
            name_key: String::new(),
            customer_type: None,
            level: None,
            industry: None,
            province: None,
            city: None,
            source: None,
            address: None,
            phone: None,
            website: None,
            credit_code: None,
            bank_name: None,
            bank_account: None,
            credit_limit: None,
            owner_id: owner,
            tags: BTreeSet::new(),
            attributes: BTreeMap::new(),
            anniversaries: Vec::new(),
            archived: false,
            created_at: now,
            created_by: actor,
            updated_at: now,
            last_contact_at: None,
            search_name: String::new(),
            search_contacts: String::new(),
        };
        self.apply_to(&mut c, now);
        c
    }

    /// Overwrites the editable fields of an existing customer.
    pub(crate) fn apply_to(self, c: &mut Customer, now: DateTime<Utc>) {
        let i = self.input;
        c.search_name = search_text([Some(self.name.as_str()), i.short_name.as_deref()]);
        c.name = self.name;
        c.name_key = self.name_key;
        c.short_name = i.short_name;
        c.customer_type = i.customer_type;
        c.level = i.level;
        c.industry = i.industry;
        c.province = i.province;
        c.city = i.city;
        c.source = i.source;
        c.address = i.address;
        c.phone = i.phone;
        c.website = i.website;
        c.credit_code = i.credit_code;
        c.bank_name = i.bank_name;
        c.bank_account = i.bank_account;
        c.credit_limit = i.credit_limit;
        c.tags = self.tags;
        c.attributes = i.attributes;
        c.anniversaries = i.anniversaries;
        c.updated_at = now;
    }
}

/// Folded text of several parts, joined by a separator no needle can contain, so that a
/// contains-search never matches across two parts.
pub(crate) fn search_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .map(text::fold_text)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// The contact search column of a customer: names and phone numbers of all its contacts.
pub(crate) fn contacts_search_text(contacts: &[Contact]) -> String {
    search_text(contacts.iter().flat_map(|c| {
        [
            Some(c.name.as_str()),
            c.mobile.as_deref(),
            c.phone.as_deref(),
        ]
    }))
}

impl ContactInput {
    /// Checks every field and builds the contact.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the offending field, prefixed with `field_prefix`
    /// (for example `contacts[1].email`).
    pub fn check(&self, field_prefix: &str, id: Uuid, customer_id: Uuid) -> Result<Contact> {
        // Fields are checked under their bare names and the prefix is put on the one named by
        // an error: formatting every prefixed name up front cost a customer import about an
        // eighth of its time.
        self.check_fields(id, customer_id)
            .map_err(|e| e.within(field_prefix))
    }

    /// [`ContactInput::check`] of the contact at `index` of a customer's list: an error names
    /// its field as `contacts[index].field`, and nothing is formatted when the contact passes.
    pub(crate) fn check_at(&self, index: usize, id: Uuid, customer_id: Uuid) -> Result<Contact> {
        self.check_fields(id, customer_id)
            .map_err(|e| e.within(&format!("contacts[{index}].")))
    }

    fn check_fields(&self, id: Uuid, customer_id: Uuid) -> Result<Contact> {
        let name = text::check_text("name", &self.name, 1, 50)?;
        let mobile = match opt_text("mobile", &self.mobile, 30)? {
            Some(m) => Some(text::parse_phone("mobile", &m)?),
            None => None,
        };
        let phone = match opt_text("phone", &self.phone, 40)? {
            Some(p) => Some(text::parse_phone("phone", &p)?),
            None => None,
        };
        let email = match opt_text("email", &self.email, 254)? {
            Some(e) => Some(text::parse_email("email", &e)?),
            None => None,
        };
        Ok(Contact {
            id,
            customer_id,
            name,
            title: opt_text("title", &self.title, 50)?,
            mobile,
            phone,
            email,
            birthday: self.birthday,
            primary: self.primary,
            notes: opt_text("notes", &self.notes, 1000)?,
        })
    }
}

/// Makes exactly one contact primary when there are any: the last one marked, else the first.
pub(crate) fn settle_primary(contacts: &mut [Contact], preferred: Option<Uuid>) {
    let chosen = preferred
        .or_else(|| contacts.iter().rev().find(|c| c.primary).map(|c| c.id))
        .or_else(|| contacts.first().map(|c| c.id));
    for c in contacts {
        c.primary = Some(c.id) == chosen;
    }
}
