//! Spreadsheet columns of a customer file, shared by import and export, with the header names
//! Chinese offices use and their common aliases.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::input::{ContactInput, CustomerInput};
use crate::error::{Error, Result};
use crate::table::{HeaderMapping, ResolvedMapping, TableRow};

/// How many contacts one import row can carry (联系人, 联系人2, 联系人3).
pub const CONTACT_SLOTS: u8 = 3;

/// A field of a contact column group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactField {
    /// 联系人.
    Name,
    /// 职务.
    Title,
    /// 手机.
    Mobile,
    /// 办公电话.
    Phone,
    /// 邮箱.
    Email,
    /// 生日.
    Birthday,
}

/// A column of the customer spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerField {
    /// 客户名称.
    Name,
    /// 简称.
    ShortName,
    /// 客户类型.
    CustomerType,
    /// 客户等级.
    Level,
    /// 行业.
    Industry,
    /// 省份.
    Province,
    /// 城市.
    City,
    /// 客户来源.
    Source,
    /// 地址.
    Address,
    /// 电话.
    Phone,
    /// 网址.
    Website,
    /// 统一社会信用代码.
    CreditCode,
    /// 开户银行.
    BankName,
    /// 银行账号.
    BankAccount,
    /// 信用额度.
    CreditLimit,
    /// 负责人工号 (the owner's employee code).
    OwnerCode,
    /// 标签, separated by 、 , ; or ；.
    Tags,
    /// A contact field in slot 1..=[`CONTACT_SLOTS`].
    Contact(u8, ContactField),
}

const BASE: &[(CustomerField, &[&str])] = &[
    (
        CustomerField::Name,
        &[
            "客户名称",
            "公司名称",
            "客户全称",
            "单位名称",
            "name",
            "customer name",
            "company",
        ],
    ),
    (
        CustomerField::ShortName,
        &["简称", "客户简称", "short name"],
    ),
    (CustomerField::CustomerType, &["客户类型", "类型", "type"]),
    (CustomerField::Level, &["客户等级", "等级", "级别", "level"]),
    (CustomerField::Industry, &["行业", "所属行业", "industry"]),
    (CustomerField::Province, &["省份", "省", "province"]),
    (CustomerField::City, &["城市", "市", "city"]),
    (CustomerField::Source, &["客户来源", "来源", "source"]),
    (CustomerField::Address, &["地址", "详细地址", "address"]),
    (CustomerField::Phone, &["电话", "公司电话", "总机", "phone"]),
    (CustomerField::Website, &["网址", "网站", "website"]),
    (
        CustomerField::CreditCode,
        &["统一社会信用代码", "信用代码", "税号", "credit code"],
    ),
    (CustomerField::BankName, &["开户银行", "开户行", "bank"]),
    (
        CustomerField::BankAccount,
        &["银行账号", "账号", "bank account"],
    ),
    (CustomerField::CreditLimit, &["信用额度", "credit limit"]),
    (
        CustomerField::OwnerCode,
        &["负责人工号", "负责人", "业务员", "owner"],
    ),
    (CustomerField::Tags, &["标签", "tags"]),
];

const CONTACT: &[(ContactField, &str, &str)] = &[
    (ContactField::Name, "联系人", "contact"),
    (ContactField::Title, "职务", "title"),
    (ContactField::Mobile, "手机", "mobile"),
    (ContactField::Phone, "办公电话", "office phone"),
    (ContactField::Email, "邮箱", "email"),
    (ContactField::Birthday, "生日", "birthday"),
];

/// The export header, in order: one name per column.
pub fn export_header() -> Vec<String> {
    let mut h: Vec<String> = BASE.iter().map(|(_, names)| names[0].to_owned()).collect();
    for slot in 1..=CONTACT_SLOTS {
        for (_, zh, _) in CONTACT {
            h.push(contact_header(zh, slot));
        }
    }
    h
}

fn contact_header(base: &str, slot: u8) -> String {
    if slot == 1 {
        base.to_owned()
    } else {
        format!("{base}{slot}")
    }
}

/// The default mapping from header names (and aliases, in Chinese and English) to fields.
pub fn default_mapping() -> HeaderMapping<CustomerField> {
    let mut m = HeaderMapping::new();
    for (f, names) in BASE {
        m = m.field(*f, names);
    }
    for slot in 1..=CONTACT_SLOTS {
        for (f, zh, en) in CONTACT {
            let names = [contact_header(zh, slot), contact_header(en, slot)];
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            m = m.field(CustomerField::Contact(slot, *f), &refs);
        }
    }
    m
}

/// One spreadsheet row read into inputs. Field errors name the column's field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowInput {
    /// The customer part.
    pub customer: CustomerInput,
    /// The contacts part.
    pub contacts: Vec<ContactInput>,
    /// The owner's employee code, if the row names one.
    pub owner_code: Option<String>,
}

fn parse<T: FromStr>(field: &str, s: Option<&str>, what: &str) -> Result<Option<T>> {
    s.map(|v| {
        v.trim()
            .parse::<T>()
            .map_err(|_| Error::invalid(field, format!("{v:?} is not {what}")))
    })
    .transpose()
}

/// Reads a row through a resolved mapping, taking its cells (the inputs own the row's
/// texts, not copies).
///
/// # Errors
/// [`Error::Invalid`] for a cell that does not parse (a date, an amount).
pub fn read_row(m: &ResolvedMapping<CustomerField>, mut row: TableRow) -> Result<RowInput> {
    use CustomerField as F;
    let row = &mut row;
    let credit_limit: Option<Decimal> = parse(
        "credit_limit",
        m.get(row, F::CreditLimit)
            .map(|v| v.replace(',', ""))
            .as_deref(),
        "an amount",
    )?;
    let mut s = |f: F| m.take(row, f);
    let customer = CustomerInput {
        name: s(F::Name).unwrap_or_default(),
        short_name: s(F::ShortName),
        customer_type: s(F::CustomerType),
        level: s(F::Level),
        industry: s(F::Industry),
        province: s(F::Province),
        city: s(F::City),
        source: s(F::Source),
        address: s(F::Address),
        phone: s(F::Phone),
        website: s(F::Website),
        credit_code: s(F::CreditCode),
        bank_name: s(F::BankName),
        bank_account: s(F::BankAccount),
        credit_limit,
        tags: s(F::Tags)
            .as_deref()
            .map(|t| {
                t.split(['、', ',', ';', '；', '，'])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        attributes: Default::default(),
        anniversaries: Vec::new(),
    };
    let owner_code = s(F::OwnerCode);
    let mut contacts = Vec::new();
    for slot in 1..=CONTACT_SLOTS {
        let any = CONTACT
            .iter()
            .any(|(f, _, _)| m.get(row, F::Contact(slot, *f)).is_some());
        if !any {
            continue;
        }
        let birthday: Option<NaiveDate> = parse(
            "birthday",
            m.get(row, F::Contact(slot, ContactField::Birthday)),
            "a date (YYYY-MM-DD)",
        )
        // Named by its place in the row's list of contacts, as the contact checks name theirs.
        .map_err(|e| e.within(&format!("contacts[{}].", contacts.len())))?;
        let mut c = |f: ContactField| m.take(row, F::Contact(slot, f));
        contacts.push(ContactInput {
            name: c(ContactField::Name).unwrap_or_default(),
            title: c(ContactField::Title),
            mobile: c(ContactField::Mobile),
            phone: c(ContactField::Phone),
            email: c(ContactField::Email),
            birthday,
            primary: slot == 1,
            notes: None,
        });
    }
    Ok(RowInput {
        customer,
        contacts,
        owner_code,
    })
}
