//! Basic settings (基础设置): the user-defined option lists (customer types, levels, industries,
//! sources, payment methods), document-number sequences and the company profile.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, Record, Value};

/// A user-defined option list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OptionCategory {
    /// 客户类型: e.g. 终端客户, 经销商, 代理商.
    CustomerType,
    /// 客户等级: e.g. A, B, C, or 重点/普通.
    CustomerLevel,
    /// 行业.
    Industry,
    /// 客户来源: e.g. 展会, 网络, 转介绍.
    CustomerSource,
    /// 收款方式: e.g. 银行转账, 现金, 承兑汇票, 微信.
    PaymentMethod,
}

impl OptionCategory {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionCategory::CustomerType => "customer_type",
            OptionCategory::CustomerLevel => "customer_level",
            OptionCategory::Industry => "industry",
            OptionCategory::CustomerSource => "customer_source",
            OptionCategory::PaymentMethod => "payment_method",
        }
    }

    /// All categories.
    pub const ALL: [OptionCategory; 5] = [
        OptionCategory::CustomerType,
        OptionCategory::CustomerLevel,
        OptionCategory::Industry,
        OptionCategory::CustomerSource,
        OptionCategory::PaymentMethod,
    ];

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One value of an option list. A customer stores the value's text (its label), so renaming an
/// option is a data change the host can make deliberately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingOption {
    /// Id.
    pub id: Uuid,
    /// The list it belongs to.
    pub category: OptionCategory,
    /// The value, e.g. `A类客户`.
    pub value: String,
    /// Display order.
    pub position: i64,
}

/// The `setting_option` kind.
pub static SETTING_OPTION: Kind = Kind {
    name: "setting_option",
    columns: &[
        Column::new("category", T::Text),
        Column::new("value", T::Text),
        Column::new("position", T::Int),
    ],
    indexes: &[Index {
        name: "setting_option_value",
        columns: &["category", "value"],
        unique: true,
    }],
};

impl Entity for SettingOption {
    const KIND: &'static Kind = &SETTING_OPTION;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.category.as_str().into(),
            self.value.clone().into(),
            self.position.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        let cat = f.text("category")?;
        Ok(SettingOption {
            id: r.id,
            category: OptionCategory::parse(&cat).ok_or_else(|| {
                crate::Error::backend_msg(format!("unknown option category {cat}"))
            })?,
            value: f.text("value")?,
            position: f.int("position")?,
        })
    }
}

/// A named counter, for document numbers (SO-2026-000123) and anything else that must count
/// without gaps or repeats under concurrency: its version check makes two writers conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// Id.
    pub id: Uuid,
    /// Unique name, e.g. `sales_order:2026`.
    pub name: String,
    /// The next number to hand out.
    pub next: i64,
}

/// The `sequence` kind.
pub static SEQUENCE: Kind = Kind {
    name: "sequence",
    columns: &[Column::new("name", T::Text), Column::new("next", T::Int)],
    indexes: &[Index {
        name: "sequence_name",
        columns: &["name"],
        unique: true,
    }],
};

impl Entity for Sequence {
    const KIND: &'static Kind = &SEQUENCE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![self.name.clone().into(), self.next.into()]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Sequence {
            id: r.id,
            name: f.text("name")?,
            next: f.int("next")?,
        })
    }
}

/// The company's own details, printed on quotes and contracts (our side of the document).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, typed_builder::TypedBuilder,
)]
pub struct CompanyProfile {
    /// Registered name (公司名称).
    pub name: String,
    /// Address.
    #[builder(default)]
    pub address: Option<String>,
    /// Telephone.
    #[builder(default)]
    pub phone: Option<String>,
    /// Unified social credit code / taxpayer number (统一社会信用代码).
    #[builder(default)]
    pub tax_id: Option<String>,
    /// Bank (开户行).
    #[builder(default)]
    pub bank_name: Option<String>,
    /// Bank account (账号).
    #[builder(default)]
    pub bank_account: Option<String>,
}

/// The fixed id of the single company profile record.
pub const COMPANY_PROFILE_ID: Uuid = Uuid::from_u128(2);

/// The `company_profile` kind: one record, [`COMPANY_PROFILE_ID`].
pub static COMPANY_PROFILE: Kind = Kind {
    name: "company_profile",
    columns: &[
        Column::new("name", T::Text),
        Column::nullable("address", T::Text),
        Column::nullable("phone", T::Text),
        Column::nullable("tax_id", T::Text),
        Column::nullable("bank_name", T::Text),
        Column::nullable("bank_account", T::Text),
    ],
    indexes: &[],
};

impl Entity for CompanyProfile {
    const KIND: &'static Kind = &COMPANY_PROFILE;
    fn id(&self) -> Uuid {
        COMPANY_PROFILE_ID
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.name.clone().into(),
            self.address.clone().into(),
            self.phone.clone().into(),
            self.tax_id.clone().into(),
            self.bank_name.clone().into(),
            self.bank_account.clone().into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(CompanyProfile {
            name: f.text("name")?,
            address: f.opt_text("address")?,
            phone: f.opt_text("phone")?,
            tax_id: f.opt_text("tax_id")?,
            bank_name: f.opt_text("bank_name")?,
            bank_account: f.opt_text("bank_account")?,
        })
    }
}
