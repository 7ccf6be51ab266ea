//! Organisation operations: bootstrap, departments, roles, employees.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{retry, Crm, Session};
use crate::error::{Error, Result};
use crate::org::{
    Actor, Department, Employee, Op, Permission, Resource, Role, ORG_REVISION, ORG_REVISION_ID,
};
use crate::settings::{OptionCategory, SettingOption};
use crate::store::{Commit, Entity, Filter, Query, Record, Value};
use crate::text;

/// A new employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct NewEmployee {
    /// Login or staff number, unique.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Home department.
    pub department_id: Uuid,
    /// Direct superior.
    #[builder(default)]
    pub manager_id: Option<Uuid>,
    /// Roles.
    #[builder(default)]
    pub role_ids: BTreeSet<Uuid>,
}

fn revision_record(note: &str) -> Record {
    Record {
        kind: &ORG_REVISION,
        id: ORG_REVISION_ID,
        version: 0,
        values: vec![Value::Text(note.to_owned())],
    }
}

impl Crm {
    /// Sets up an empty store: the company's top department, an administrator role and the
    /// first administrator, who then creates everyone else. Refused once the store has an
    /// organisation.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`] when the store is already set up; [`Error::Invalid`] for bad names.
    pub async fn bootstrap(
        &self,
        company: &str,
        admin_code: &str,
        admin_name: &str,
    ) -> Result<Actor> {
        let company = text::check_text("company", company, 1, 100)?;
        let code = text::check_text("code", admin_code, 1, 50)?;
        let name = text::check_text("name", admin_name, 1, 50)?;
        let dept = Department {
            id: self.new_id(),
            name: company,
            parent_id: None,
        };
        let role = Role {
            id: self.new_id(),
            name: "系统管理员".to_owned(),
            permissions: BTreeSet::new(),
            admin: true,
            max_discount: Decimal::ONE,
        };
        let admin = Employee {
            id: self.new_id(),
            code,
            name,
            department_id: dept.id,
            manager_id: None,
            role_ids: BTreeSet::from([role.id]),
            active: true,
        };
        let mut c = Commit::new();
        // Inserting the revision record with its fixed id is what makes bootstrap happen once.
        c.insert(revision_record("bootstrap"));
        c.insert(dept.to_record());
        c.insert(role.to_record());
        c.insert(admin.to_record());
        c.insert(self.audit(
            admin.id,
            "org.bootstrap",
            "employee",
            Some(admin.id),
            serde_json::json!({}),
        ));
        self.store.commit(c).await?;
        Ok(Actor::new(admin.id))
    }

    async fn org_change(
        &self,
        actor: Actor,
        op: Op,
        action: &str,
        kind: &str,
        id: Uuid,
        decide: impl Fn(&Session) -> Result<(Vec<Record>, Vec<(Record, u64)>)>,
    ) -> Result<()> {
        let res = retry!(async {
            let s = self.session(actor).await?;
            if !s.ctx.has(Resource::Org, op) {
                return Err(Error::PermissionDenied(format!(
                    "{action}: no role grants {}",
                    Permission::new(Resource::Org, op)
                )));
            }
            let (inserts, updates) = decide(&s)?;
            let mut c = Commit::new();
            for r in inserts {
                c.insert(r);
            }
            for (r, v) in updates {
                c.update(r, v);
            }
            c.insert(self.audit(
                actor.employee_id(),
                action,
                kind,
                Some(id),
                serde_json::json!({}),
            ));
            // Bumping the revision tells every process that caches the organisation to reload;
            // it also makes two concurrent organisation changes conflict, so no decision rests on
            // a stale chart.
            c.update(revision_record(action), s.org_version);
            self.store.commit(c).await
        });
        self.logged(actor, action, kind, Some(id), res).await
    }

    /// Creates a department under `parent` (or at the top).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `org.create`; [`Error::Invalid`] for a bad name or an
    /// unknown parent.
    pub async fn create_department(
        &self,
        actor: Actor,
        name: &str,
        parent: Option<Uuid>,
    ) -> Result<Department> {
        let d = Department {
            id: self.new_id(),
            name: text::check_text("name", name, 1, 50)?,
            parent_id: parent,
        };
        self.org_change(
            actor,
            Op::Create,
            "org.create_department",
            "department",
            d.id,
            |s| {
                if let Some(p) = parent {
                    s.org
                        .department(p)
                        .ok_or_else(|| Error::invalid("parent_id", "no such department"))?;
                }
                Ok((vec![d.to_record()], vec![]))
            },
        )
        .await?;
        Ok(d)
    }

    /// Creates a role granting `permissions` (administrator roles pass every check).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `org.create`, or when a non-administrator creates an
    /// administrator role; [`Error::Duplicate`] for a name in use.
    pub async fn create_role(
        &self,
        actor: Actor,
        name: &str,
        permissions: impl IntoIterator<Item = Permission>,
        admin: bool,
    ) -> Result<Role> {
        let role = Role {
            id: self.new_id(),
            name: text::check_text("name", name, 1, 50)?,
            permissions: permissions.into_iter().collect(),
            admin,
            max_discount: Decimal::ZERO,
        };
        self.org_change(actor, Op::Create, "org.create_role", "role", role.id, |s| {
            if admin && !s.ctx.admin {
                return Err(Error::PermissionDenied(
                    "only an administrator may create an administrator role".into(),
                ));
            }
            Ok((vec![role.to_record()], vec![]))
        })
        .await?;
        Ok(role)
    }

    /// Sets the largest discount holders of a role may give without approval (and may approve
    /// on others' sales orders): a fraction from 0 to 1, 0.15 for 15 % off.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `org.edit`; [`Error::Invalid`] for a limit outside
    /// 0–1; [`Error::NotFound`] for an unknown role.
    pub async fn set_role_discount_limit(
        &self,
        actor: Actor,
        role_id: Uuid,
        max_discount: Decimal,
    ) -> Result<Role> {
        if !(Decimal::ZERO..=Decimal::ONE).contains(&max_discount) {
            return Err(Error::invalid(
                "max_discount",
                format!("{max_discount} is not a fraction between 0 and 1 (0.15 is 15 % off)"),
            ));
        }
        let stored = self
            .store
            .get(&crate::org::ROLE, role_id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "role",
                id: role_id.to_string(),
            })?;
        let version = stored.version;
        let role = Role {
            max_discount,
            ..Role::from_record(&stored)?
        };
        self.org_change(
            actor,
            Op::Edit,
            "org.set_role_discount_limit",
            "role",
            role_id,
            |_| Ok((vec![], vec![(role.to_record(), version)])),
        )
        .await?;
        Ok(role)
    }

    /// Creates an employee.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `org.create` (or when granting an administrator role
    /// without being one); [`Error::Invalid`] for unknown department, manager or role;
    /// [`Error::Duplicate`] for a code in use.
    pub async fn create_employee(&self, actor: Actor, new: NewEmployee) -> Result<Employee> {
        let e = Employee {
            id: self.new_id(),
            code: text::check_text("code", &new.code, 1, 50)?,
            name: text::check_text("name", &new.name, 1, 50)?,
            department_id: new.department_id,
            manager_id: new.manager_id,
            role_ids: new.role_ids,
            active: true,
        };
        self.org_change(
            actor,
            Op::Create,
            "org.create_employee",
            "employee",
            e.id,
            |s| {
                check_employee(s, &e)?;
                Ok((vec![e.to_record()], vec![]))
            },
        )
        .await?;
        Ok(e)
    }

    /// Changes an employee's manager, department, roles or active flag. Deactivating an employee
    /// (who left) takes every right away at once; their customers stay with them until
    /// transferred.
    ///
    /// # Errors
    /// As [`Crm::create_employee`], plus [`Error::Invalid`] for a manager that would close a loop
    /// in the reporting line, and [`Error::NotFound`].
    pub async fn update_employee(&self, actor: Actor, employee: Employee) -> Result<Employee> {
        let e = Employee {
            code: text::check_text("code", &employee.code, 1, 50)?,
            name: text::check_text("name", &employee.name, 1, 50)?,
            ..employee
        };
        let version = self
            .store
            .get(&crate::org::EMPLOYEE, e.id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "employee",
                id: e.id.to_string(),
            })?
            .version;
        self.org_change(
            actor,
            Op::Edit,
            "org.update_employee",
            "employee",
            e.id,
            |s| {
                check_employee(s, &e)?;
                if let Some(m) = e.manager_id {
                    if s.org.would_cycle(e.id, m) {
                        return Err(Error::invalid(
                            "manager_id",
                            "would make the reporting line a loop",
                        ));
                    }
                }
                Ok((vec![], vec![(e.to_record(), version)]))
            },
        )
        .await?;
        Ok(e)
    }

    /// Adds a value to a user-defined option list (customer types, levels, industries, sources).
    /// Once a list has values, customers may only use those.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `settings.edit`; [`Error::Duplicate`] for a value in
    /// the list already.
    pub async fn add_option(
        &self,
        actor: Actor,
        category: OptionCategory,
        value: &str,
    ) -> Result<SettingOption> {
        let value = text::check_text("value", value, 1, 50)?;
        let action = "settings.add_option";
        let res = retry!(async {
            let s = self.session(actor).await?;
            if !s.ctx.has(Resource::Settings, Op::Edit) {
                return Err(Error::PermissionDenied(format!(
                    "{action}: no role grants settings.edit"
                )));
            }
            let existing = self.options(category).await?;
            let opt = SettingOption {
                id: self.new_id(),
                category,
                value: value.clone(),
                position: i64::try_from(existing.len()).unwrap_or(i64::MAX),
            };
            let mut c = Commit::new();
            c.insert(opt.to_record());
            c.insert(self.audit(
                actor.employee_id(),
                action,
                "setting_option",
                Some(opt.id),
                serde_json::json!({"category": category, "value": value}),
            ));
            self.commit(&s, c).await?;
            Ok(opt)
        });
        self.logged(actor, action, "setting_option", None, res)
            .await
    }

    /// The values of an option list, in display order. Settings are readable by everyone.
    ///
    /// # Errors
    /// [`Error::Backend`] on storage failure.
    pub async fn options(&self, category: OptionCategory) -> Result<Vec<SettingOption>> {
        let q = Query::filter(
            &crate::settings::SETTING_OPTION,
            Filter::Eq("category", Value::Text(category.as_str().to_owned())),
        )
        .order_by(vec![crate::store::Order::asc("position")]);
        let page = self.store.query(&q).await?;
        page.records
            .iter()
            .map(SettingOption::from_record)
            .collect()
    }
}

fn check_employee(s: &Session, e: &Employee) -> Result<()> {
    s.org
        .department(e.department_id)
        .ok_or_else(|| Error::invalid("department_id", "no such department"))?;
    if let Some(m) = e.manager_id {
        s.org
            .employee(m)
            .ok_or_else(|| Error::invalid("manager_id", "no such employee"))?;
    }
    for r in &e.role_ids {
        let role = s
            .org
            .role(*r)
            .ok_or_else(|| Error::invalid("role_ids", format!("no such role {r}")))?;
        if role.admin && !s.ctx.admin {
            return Err(Error::PermissionDenied(
                "only an administrator may grant an administrator role".into(),
            ));
        }
    }
    Ok(())
}
