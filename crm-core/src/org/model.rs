//! Departments, employees and roles as stored records.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Permission;
use crate::error::Result;
use crate::store::{
    json_value, Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value,
};

/// A department; departments form a tree through `parent_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Id.
    pub id: Uuid,
    /// Name, unique among its siblings' names is not enforced: two branches may each have 销售部.
    pub name: String,
    /// The parent department; `None` for a top-level one.
    pub parent_id: Option<Uuid>,
}

/// The `department` kind.
pub static DEPARTMENT: Kind = Kind {
    name: "department",
    columns: &[
        Column::new("name", T::Text),
        Column::nullable("parent_id", T::Id).refs("department", OnDelete::Restrict),
    ],
    indexes: &[Index {
        name: "department_parent",
        columns: &["parent_id"],
        unique: false,
    }],
};

impl Entity for Department {
    const KIND: &'static Kind = &DEPARTMENT;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![self.name.clone().into(), self.parent_id.into()]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Department {
            id: r.id,
            name: f.text("name")?,
            parent_id: f.opt_id("parent_id")?,
        })
    }
}

/// An employee: a person who acts in the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    /// Id; an [`crate::org::Actor`] carries it.
    pub id: Uuid,
    /// Login or staff number (工号), unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Home department.
    pub department_id: Uuid,
    /// Direct superior in the reporting line.
    pub manager_id: Option<Uuid>,
    /// Roles, which grant permissions.
    pub role_ids: BTreeSet<Uuid>,
    /// An inactive employee (who left) may do nothing.
    pub active: bool,
}

/// The `employee` kind.
pub static EMPLOYEE: Kind = Kind {
    name: "employee",
    columns: &[
        Column::new("code", T::Text),
        Column::new("name", T::Text),
        Column::new("department_id", T::Id).refs("department", OnDelete::Restrict),
        Column::nullable("manager_id", T::Id).refs("employee", OnDelete::Restrict),
        Column::new("role_ids", T::Json),
        Column::new("active", T::Bool),
    ],
    indexes: &[
        Index {
            name: "employee_code",
            columns: &["code"],
            unique: true,
        },
        Index {
            name: "employee_department",
            columns: &["department_id"],
            unique: false,
        },
        Index {
            name: "employee_manager",
            columns: &["manager_id"],
            unique: false,
        },
    ],
};

impl Entity for Employee {
    const KIND: &'static Kind = &EMPLOYEE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.code.clone().into(),
            self.name.clone().into(),
            self.department_id.into(),
            self.manager_id.into(),
            json_value(&self.role_ids),
            self.active.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Employee {
            id: r.id,
            code: f.text("code")?,
            name: f.text("name")?,
            department_id: f.id("department_id")?,
            manager_id: f.opt_id("manager_id")?,
            role_ids: f.json("role_ids")?,
            active: f.boolean("active")?,
        })
    }
}

/// A role: a named set of permissions. An administrator role passes every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Id.
    pub id: Uuid,
    /// Name, unique (销售员, 销售经理, 系统管理员 …).
    pub name: String,
    /// Granted permissions.
    pub permissions: BTreeSet<Permission>,
    /// Administrators see and may do everything.
    pub admin: bool,
    /// The largest line discount (a fraction, 0.15 = 15 % off) a holder of this role may give
    /// on a sales order without approval, and may approve on others' orders. 0 by default: any
    /// discount then needs approval. Administrators have no limit.
    #[serde(default)]
    pub max_discount: Decimal,
}

/// The `role` kind.
pub static ROLE: Kind = Kind {
    name: "role",
    columns: &[
        Column::new("name", T::Text),
        Column::new("permissions", T::Json),
        Column::new("admin", T::Bool),
        Column::new("max_discount", T::Decimal),
    ],
    indexes: &[Index {
        name: "role_name",
        columns: &["name"],
        unique: true,
    }],
};

impl Entity for Role {
    const KIND: &'static Kind = &ROLE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.name.clone().into(),
            json_value(&self.permissions),
            self.admin.into(),
            self.max_discount.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Role {
            id: r.id,
            name: f.text("name")?,
            permissions: f.json("permissions")?,
            admin: f.boolean("admin")?,
            max_discount: f.decimal("max_discount")?,
        })
    }
}

/// One record whose version is bumped by every change to the organisation, so that every
/// process holding a cached [`crate::org::Org`] notices and reloads it.
pub static ORG_REVISION: Kind = Kind {
    name: "org_revision",
    columns: &[Column::new("note", T::Text)],
    indexes: &[],
};

/// The fixed id of the single [`ORG_REVISION`] record.
pub const ORG_REVISION_ID: Uuid = Uuid::from_u128(1);
