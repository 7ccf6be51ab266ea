//! Basic settings (基础设置): the user-defined option lists (customer types, levels, industries,
//! sources) and document-number sequences.

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
}

impl OptionCategory {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionCategory::CustomerType => "customer_type",
            OptionCategory::CustomerLevel => "customer_level",
            OptionCategory::Industry => "industry",
            OptionCategory::CustomerSource => "customer_source",
        }
    }

    /// All categories.
    pub const ALL: [OptionCategory; 4] = [
        OptionCategory::CustomerType,
        OptionCategory::CustomerLevel,
        OptionCategory::Industry,
        OptionCategory::CustomerSource,
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
