//! Contact records (联系记录): each visit, call or message with a customer, summarised with its
//! result. A record keeps its customer alive: a customer with contact records is archived, not
//! deleted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};
use crate::text;

/// How the contact happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 上门拜访.
    Visit,
    /// 电话.
    Call,
    /// 微信 / 即时消息.
    Message,
    /// 邮件.
    Email,
    /// 其他.
    Other,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Visit => "visit",
            Channel::Call => "call",
            Channel::Message => "message",
            Channel::Email => "email",
            Channel::Other => "other",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "visit" => Channel::Visit,
            "call" => Channel::Call,
            "message" => Channel::Message,
            "email" => Channel::Email,
            _ => Channel::Other,
        }
    }
}

/// A contact record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactLog {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The contact person spoken to, if one.
    pub contact_id: Option<Uuid>,
    /// Who made the contact.
    pub employee_id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// How.
    pub channel: Channel,
    /// What was discussed.
    pub summary: String,
    /// What came of it.
    pub result: Option<String>,
}

/// The `contact_log` kind.
pub static CONTACT_LOG: Kind = Kind {
    name: "contact_log",
    columns: &[
        Column::new("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::nullable("contact_id", T::Id).refs("contact", OnDelete::Keep),
        Column::new("employee_id", T::Id).refs("employee", OnDelete::Restrict),
        Column::new("at", T::Timestamp),
        Column::new("channel", T::Text),
        Column::new("summary", T::Text),
        Column::nullable("result", T::Text),
    ],
    indexes: &[
        Index {
            name: "contact_log_customer",
            columns: &["customer_id", "at"],
            unique: false,
        },
        Index {
            name: "contact_log_employee",
            columns: &["employee_id", "at"],
            unique: false,
        },
    ],
};

impl Entity for ContactLog {
    const KIND: &'static Kind = &CONTACT_LOG;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.customer_id.into(),
            self.contact_id.into(),
            self.employee_id.into(),
            self.at.into(),
            self.channel.as_str().into(),
            self.summary.clone().into(),
            self.result.clone().into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(ContactLog {
            id: r.id,
            customer_id: f.id("customer_id")?,
            contact_id: f.opt_id("contact_id")?,
            employee_id: f.id("employee_id")?,
            at: f.timestamp("at")?,
            channel: Channel::parse(&f.text("channel")?),
            summary: f.text("summary")?,
            result: f.opt_text("result")?,
        })
    }
}

/// A contact record as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct ContactLogInput {
    /// How.
    pub channel: Channel,
    /// When; defaults to now.
    #[builder(default)]
    pub at: Option<DateTime<Utc>>,
    /// The contact person, one of the customer's contacts.
    #[builder(default)]
    pub contact_id: Option<Uuid>,
    /// What was discussed (1–2000 characters).
    pub summary: String,
    /// What came of it.
    #[builder(default)]
    pub result: Option<String>,
}

impl ContactLogInput {
    /// Checks the input and builds the record.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field.
    pub fn check(
        &self,
        id: Uuid,
        customer_id: Uuid,
        employee_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<ContactLog> {
        let at = self.at.unwrap_or(now);
        if at > now {
            return Err(Error::invalid(
                "at",
                "a contact cannot be recorded before it happens",
            ));
        }
        Ok(ContactLog {
            id,
            customer_id,
            contact_id: self.contact_id,
            employee_id,
            at,
            channel: self.channel,
            summary: text::check_text("summary", &self.summary, 1, 2000)?,
            result: match self.result.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(r) => Some(text::check_text("result", r, 1, 500)?),
            },
        })
    }
}
