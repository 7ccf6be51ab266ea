//! Customers, contacts and shares as stored records.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;
use crate::store::{
    json_value, Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value,
};

/// A dated occasion worth remembering: founding day, contract anniversary (客户纪念日).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Anniversary {
    /// What it is, e.g. 公司成立日.
    pub label: String,
    /// The date.
    pub date: NaiveDate,
}

/// A customer file (客户档案).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Id.
    pub id: Uuid,
    /// Full registered name.
    pub name: String,
    /// Short name used day to day (简称).
    pub short_name: Option<String>,
    /// The normalised name key that duplicate detection works on (unique).
    pub name_key: String,
    /// User-defined customer type (客户类型), from settings.
    pub customer_type: Option<String>,
    /// User-defined level (客户等级), from settings.
    pub level: Option<String>,
    /// Industry (行业).
    pub industry: Option<String>,
    /// Province (省份).
    pub province: Option<String>,
    /// City (城市).
    pub city: Option<String>,
    /// Where the customer came from (客户来源).
    pub source: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Switchboard phone, canonical form.
    pub phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Unified social credit code (统一社会信用代码), validated.
    pub credit_code: Option<String>,
    /// Bank (开户银行).
    pub bank_name: Option<String>,
    /// Bank account number (银行账号).
    pub bank_account: Option<String>,
    /// Credit limit (信用额度) in CNY: how much may be owed before shipping stops.
    pub credit_limit: Option<Decimal>,
    /// The salesperson responsible (负责人).
    pub owner_id: Uuid,
    /// Free tags.
    pub tags: BTreeSet<String>,
    /// User-defined attributes (自定义字段).
    pub attributes: BTreeMap<String, String>,
    /// Anniversaries.
    pub anniversaries: Vec<Anniversary>,
    /// Archived instead of deleted because other records refer to it.
    pub archived: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Created by.
    pub created_by: Uuid,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// Last visit, call or other contact (最后联系时间).
    pub last_contact_at: Option<DateTime<Utc>>,
    /// Folded name and short name, for contains-searches (derived).
    pub search_name: String,
    /// Folded names and phone numbers of the contacts, for contains-searches (derived, kept in
    /// step with the contacts in the same commit).
    pub search_contacts: String,
}

/// The `customer` kind.
pub static CUSTOMER: Kind = Kind {
    name: "customer",
    columns: &[
        Column::new("name", T::Text),
        Column::nullable("short_name", T::Text),
        Column::new("name_key", T::Text),
        Column::nullable("customer_type", T::Text),
        Column::nullable("level", T::Text),
        Column::nullable("industry", T::Text),
        Column::nullable("province", T::Text),
        Column::nullable("city", T::Text),
        Column::nullable("source", T::Text),
        Column::nullable("address", T::Text),
        Column::nullable("phone", T::Text),
        Column::nullable("website", T::Text),
        Column::nullable("credit_code", T::Text),
        Column::nullable("bank_name", T::Text),
        Column::nullable("bank_account", T::Text),
        Column::nullable("credit_limit", T::Decimal),
        Column::new("owner_id", T::Id).refs("employee", OnDelete::Restrict),
        Column::new("tags", T::Json),
        Column::new("attributes", T::Json),
        Column::new("anniversaries", T::Json),
        Column::new("archived", T::Bool),
        Column::new("created_at", T::Timestamp),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("updated_at", T::Timestamp),
        Column::nullable("last_contact_at", T::Timestamp),
        Column::new("search_name", T::Text),
        Column::new("search_contacts", T::Text),
    ],
    indexes: &[
        Index {
            name: "customer_name_key",
            columns: &["name_key"],
            unique: true,
        },
        Index {
            name: "customer_owner",
            columns: &["owner_id"],
            unique: false,
        },
        // The usual salesperson's search (their customers, some provinces, some levels)
        // found in the index instead of by reading every customer of theirs: on SQLite at
        // 100,000 customers, 13 ms → 1.3 ms in the shell. Search-only: not kept in sled.
        Index {
            name: "customer_owner_province_level",
            columns: &["owner_id", "province", "level"],
            unique: false,
        },
        Index {
            name: "customer_credit_code",
            columns: &["credit_code"],
            unique: false,
        },
        Index {
            name: "customer_created_at",
            columns: &["created_at"],
            unique: false,
        },
        Index {
            name: "customer_region",
            columns: &["province", "city"],
            unique: false,
        },
    ],
};

impl Entity for Customer {
    const KIND: &'static Kind = &CUSTOMER;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        let t = |s: &Option<String>| Value::from(s.clone());
        vec![
            self.name.clone().into(),
            t(&self.short_name),
            self.name_key.clone().into(),
            t(&self.customer_type),
            t(&self.level),
            t(&self.industry),
            t(&self.province),
            t(&self.city),
            t(&self.source),
            t(&self.address),
            t(&self.phone),
            t(&self.website),
            t(&self.credit_code),
            t(&self.bank_name),
            t(&self.bank_account),
            self.credit_limit.into(),
            self.owner_id.into(),
            json_value(&self.tags),
            json_value(&self.attributes),
            json_value(&self.anniversaries),
            self.archived.into(),
            self.created_at.into(),
            self.created_by.into(),
            self.updated_at.into(),
            self.last_contact_at.into(),
            self.search_name.clone().into(),
            self.search_contacts.clone().into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Customer {
            id: r.id,
            name: f.text("name")?,
            short_name: f.opt_text("short_name")?,
            name_key: f.text("name_key")?,
            customer_type: f.opt_text("customer_type")?,
            level: f.opt_text("level")?,
            industry: f.opt_text("industry")?,
            province: f.opt_text("province")?,
            city: f.opt_text("city")?,
            source: f.opt_text("source")?,
            address: f.opt_text("address")?,
            phone: f.opt_text("phone")?,
            website: f.opt_text("website")?,
            credit_code: f.opt_text("credit_code")?,
            bank_name: f.opt_text("bank_name")?,
            bank_account: f.opt_text("bank_account")?,
            credit_limit: f.opt_decimal("credit_limit")?,
            owner_id: f.id("owner_id")?,
            tags: f.json("tags")?,
            attributes: f.json("attributes")?,
            anniversaries: f.json("anniversaries")?,
            archived: f.boolean("archived")?,
            created_at: f.timestamp("created_at")?,
            created_by: f.id("created_by")?,
            updated_at: f.timestamp("updated_at")?,
            last_contact_at: f.opt_timestamp("last_contact_at")?,
            search_name: f.text("search_name")?,
            search_contacts: f.text("search_contacts")?,
        })
    }
}

/// A contact person at a customer (联系人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// Name.
    pub name: String,
    /// Job title (职务).
    pub title: Option<String>,
    /// Mobile phone, canonical form.
    pub mobile: Option<String>,
    /// Office phone, canonical form.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Birthday.
    pub birthday: Option<NaiveDate>,
    /// The primary contact of the customer (exactly one when there are any).
    pub primary: bool,
    /// Notes.
    pub notes: Option<String>,
}

/// The `contact` kind.
pub static CONTACT: Kind = Kind {
    name: "contact",
    columns: &[
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Cascade),
        Column::new("name", T::Text),
        Column::nullable("title", T::Text),
        Column::nullable("mobile", T::Text),
        Column::nullable("phone", T::Text),
        Column::nullable("email", T::Text),
        Column::nullable("birthday", T::Date),
        Column::new("is_primary", T::Bool),
        Column::nullable("notes", T::Text),
    ],
    // No index on `mobile`: no query of the library looks contacts up by it (a search for a
    // phone number reads the customer's `search_contacts`), and it cost an import a random
    // index insert per contact (`docs/adr/0008-customer-search-index.md`, addendum).
    indexes: &[Index {
        name: "contact_customer",
        columns: &["customer_id"],
        unique: false,
    }],
};

impl Entity for Contact {
    const KIND: &'static Kind = &CONTACT;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        let t = |s: &Option<String>| Value::from(s.clone());
        vec![
            self.customer_id.into(),
            self.name.clone().into(),
            t(&self.title),
            t(&self.mobile),
            t(&self.phone),
            t(&self.email),
            self.birthday.into(),
            self.primary.into(),
            t(&self.notes),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Contact {
            id: r.id,
            customer_id: f.id("customer_id")?,
            name: f.text("name")?,
            title: f.opt_text("title")?,
            mobile: f.opt_text("mobile")?,
            phone: f.opt_text("phone")?,
            email: f.opt_text("email")?,
            birthday: f.opt_date("birthday")?,
            primary: f.boolean("is_primary")?,
            notes: f.opt_text("notes")?,
        })
    }
}

/// What a share lets the grantee do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareAccess {
    /// See the customer and its contacts.
    Read,
    /// Also edit them.
    Edit,
}

/// Whom a customer is shared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Grantee {
    /// One employee.
    Employee(Uuid),
    /// Everyone in a department and its sub-departments.
    Department(Uuid),
}

/// A customer shared with a colleague or a department (客户共享).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerShare {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The grantee.
    pub grantee: Grantee,
    /// What the grantee may do.
    pub access: ShareAccess,
}

/// The `customer_share` kind.
pub static CUSTOMER_SHARE: Kind = Kind {
    name: "customer_share",
    columns: &[
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Cascade),
        Column::nullable("employee_id", T::Id).refs("employee", OnDelete::Restrict),
        Column::nullable("department_id", T::Id).refs("department", OnDelete::Restrict),
        Column::new("access", T::Text),
    ],
    indexes: &[
        Index {
            name: "customer_share_customer",
            columns: &["customer_id"],
            unique: false,
        },
        Index {
            name: "customer_share_employee",
            columns: &["employee_id", "customer_id"],
            unique: true,
        },
        Index {
            name: "customer_share_department",
            columns: &["department_id", "customer_id"],
            unique: true,
        },
    ],
};

impl Entity for CustomerShare {
    const KIND: &'static Kind = &CUSTOMER_SHARE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        let (e, d) = match self.grantee {
            Grantee::Employee(e) => (Some(e), None),
            Grantee::Department(d) => (None, Some(d)),
        };
        let access = match self.access {
            ShareAccess::Read => "read",
            ShareAccess::Edit => "edit",
        };
        vec![self.customer_id.into(), e.into(), d.into(), access.into()]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        let grantee = match (f.opt_id("employee_id")?, f.opt_id("department_id")?) {
            (Some(e), None) => Grantee::Employee(e),
            (None, Some(d)) => Grantee::Department(d),
            _ => {
                return Err(crate::Error::backend_msg(format!(
                    "customer_share {} must name exactly one grantee",
                    r.id
                )))
            }
        };
        Ok(CustomerShare {
            id: r.id,
            customer_id: f.id("customer_id")?,
            grantee,
            access: if f.text("access")? == "edit" {
                ShareAccess::Edit
            } else {
                ShareAccess::Read
            },
        })
    }
}
