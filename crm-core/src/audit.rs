//! The audit log: who did what to which record, when, and what changed.
//!
//! An entry is written in the same commit as the change it describes, so the log never claims a
//! change that did not happen nor misses one that did. A refused operation is logged too, in a
//! commit of its own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::Result;
use crate::store::{
    json_value, Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value,
};

/// Whether the operation was carried out or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Carried out.
    Done,
    /// Refused for lack of permission.
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Denied => "denied",
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an employee id).
    pub actor_id: Uuid,
    /// What, as a permission-like name: `customer.create`, `customer.transfer`, …
    pub action: String,
    /// Kind of the record concerned.
    pub record_kind: String,
    /// The record concerned, if one.
    pub record_id: Option<Uuid>,
    /// Done or denied.
    pub outcome: Outcome,
    /// What changed (`{"field": [old, new]}`), or why it was refused, or the batch it was part of.
    pub detail: serde_json::Value,
}

/// The `audit_entry` kind.
pub static AUDIT_ENTRY: Kind = Kind {
    name: "audit_entry",
    columns: &[
        Column::new("at", T::Timestamp),
        Column::new("actor_id", T::Id).refs("employee", OnDelete::Keep),
        Column::new("action", T::Text),
        Column::new("record_kind", T::Text),
        Column::nullable("record_id", T::Id),
        Column::new("outcome", T::Text),
        Column::new("detail", T::Json),
    ],
    indexes: &[
        Index {
            name: "audit_entry_record",
            columns: &["record_id"],
            unique: false,
        },
        Index {
            name: "audit_entry_actor",
            columns: &["actor_id", "at"],
            unique: false,
        },
    ],
};

impl Entity for AuditEntry {
    const KIND: &'static Kind = &AUDIT_ENTRY;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.at.into(),
            self.actor_id.into(),
            self.action.clone().into(),
            self.record_kind.clone().into(),
            self.record_id.into(),
            self.outcome.as_str().into(),
            Value::Json(self.detail.clone()),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(AuditEntry {
            id: r.id,
            at: f.timestamp("at")?,
            actor_id: f.id("actor_id")?,
            action: f.text("action")?,
            record_kind: f.text("record_kind")?,
            record_id: f.opt_id("record_id")?,
            outcome: if f.text("outcome")? == "denied" {
                Outcome::Denied
            } else {
                Outcome::Done
            },
            detail: f.json("detail")?,
        })
    }
}

/// The field-by-field difference of two serialisable values, as `{"field": [old, new]}`.
pub fn diff<T: Serialize>(old: &T, new: &T) -> serde_json::Value {
    let (Value::Json(serde_json::Value::Object(a)), Value::Json(serde_json::Value::Object(b))) =
        (json_value(old), json_value(new))
    else {
        return serde_json::Value::Null;
    };
    let mut out = serde_json::Map::new();
    for (k, vb) in &b {
        let va = a.get(k).cloned().unwrap_or(serde_json::Value::Null);
        if &va != vb {
            out.insert(k.clone(), serde_json::json!([va, vb]));
        }
    }
    serde_json::Value::Object(out)
}
