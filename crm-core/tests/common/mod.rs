//! A small company used by the rule tests: an org chart with every relation the access rules
//! distinguish.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crm_core::customer::{ContactInput, CustomerInput, Grantee, ShareAccess};
use crm_core::org::{Actor, Op, Permission, Resource};
use crm_core::service::NewEmployee;
use crm_core::sources::{ManualClock, SequentialIds};
use crm_core::store::{MemoryStore, Store};
use crm_core::Crm;
use uuid::Uuid;

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// An actor's relation to the customers 张三 owns: the columns of the authorisation matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    Owner,
    ManagerAbove,
    Peer,
    Subordinate,
    SharedPerson,
    SharedDepartment,
    Unrelated,
    Admin,
}

pub const RELS: [Rel; 8] = [
    Rel::Owner,
    Rel::ManagerAbove,
    Rel::Peer,
    Rel::Subordinate,
    Rel::SharedPerson,
    Rel::SharedDepartment,
    Rel::Unrelated,
    Rel::Admin,
];

pub struct Company {
    pub crm: Crm,
    pub clock: Arc<ManualClock>,
    pub admin: Actor,
    /// 销售经理: manager of owner and peer.
    pub manager: Actor,
    /// 张三: owns the customers under test.
    pub owner: Actor,
    /// 李四: same team as the owner, same manager.
    pub peer: Actor,
    /// 小王: reports to the owner.
    pub subordinate: Actor,
    /// 赵六 (市场部): customers are shared with this person for editing.
    pub shared_person: Actor,
    /// 钱七 (会计组, under 财务部): customers are shared with 财务部 for reading.
    pub shared_dept_member: Actor,
    /// 孙八: another salesperson with no relation to the owner.
    pub unrelated: Actor,
    pub finance_dept: Uuid,
    pub sales_dept: Uuid,
    /// A role with every customer, contact and audit permission.
    pub full_role: Uuid,
}

pub fn all_customer_permissions() -> Vec<Permission> {
    let mut v = Vec::new();
    for op in [
        Op::View,
        Op::Create,
        Op::Edit,
        Op::Delete,
        Op::Share,
        Op::Assign,
        Op::Transfer,
        Op::Import,
        Op::Export,
    ] {
        v.push(Permission::new(Resource::Customer, op));
    }
    v.push(Permission::new(Resource::Contact, Op::View));
    v.push(Permission::new(Resource::Contact, Op::Edit));
    v.push(Permission::new(Resource::Audit, Op::View));
    v.push(Permission::new(Resource::ContactLog, Op::View));
    v.push(Permission::new(Resource::ContactLog, Op::Create));
    v
}

impl Company {
    /// The employee who stands in `rel` to 张三's customers.
    pub fn actor(&self, rel: Rel) -> Actor {
        match rel {
            Rel::Owner => self.owner,
            Rel::ManagerAbove => self.manager,
            Rel::Peer => self.peer,
            Rel::Subordinate => self.subordinate,
            Rel::SharedPerson => self.shared_person,
            Rel::SharedDepartment => self.shared_dept_member,
            Rel::Unrelated => self.unrelated,
            Rel::Admin => self.admin,
        }
    }

    /// Every stored record except the audit log, by kind, id and version: what a refused
    /// operation must leave as it was.
    pub fn snapshot(&self) -> Vec<(&'static str, Uuid, u64)> {
        block_on(async {
            let mut out = vec![];
            for kind in crm_core::catalog::KINDS {
                if kind.name == crm_core::audit::AUDIT_ENTRY.name {
                    continue;
                }
                let all = crm_core::store::Query::all(kind);
                for r in self.crm.store().query(&all).await.unwrap().records {
                    out.push((kind.name, r.id, r.version));
                }
            }
            out.sort();
            out
        })
    }

    /// Gives the employee exactly these roles.
    pub fn set_roles(&self, who: Actor, roles: BTreeSet<Uuid>) {
        block_on(async {
            let org = self.crm.org().await.unwrap();
            let mut e = org.employee(who.employee_id()).unwrap().clone();
            e.role_ids = roles;
            self.crm.update_employee(self.admin, e).await.unwrap();
        });
    }

    /// Gives `role` to every employee who stands in a relation to 张三's customers (all but the
    /// administrator), and hires 周外: in the top department, reporting to nobody, holding the
    /// full customer role and `role`. Returns 周外.
    pub async fn grant_everyone_and_hire_outsider(&self, role: Uuid) -> Actor {
        let org = self.crm.org().await.unwrap();
        for a in [
            self.manager,
            self.owner,
            self.peer,
            self.subordinate,
            self.shared_person,
            self.shared_dept_member,
            self.unrelated,
        ] {
            let mut e = org.employee(a.employee_id()).unwrap().clone();
            e.role_ids.insert(role);
            self.crm.update_employee(self.admin, e).await.unwrap();
        }
        let top = org
            .employee(self.admin.employee_id())
            .unwrap()
            .department_id;
        let outsider = self
            .crm
            .create_employee(
                self.admin,
                NewEmployee::builder()
                    .code("zhouwai".into())
                    .name("周外".into())
                    .department_id(top)
                    .manager_id(None)
                    .role_ids(BTreeSet::from([self.full_role, role]))
                    .build(),
            )
            .await
            .unwrap();
        Actor::new(outsider.id)
    }

    pub fn new() -> Self {
        Self::on(Arc::new(MemoryStore::new()))
    }

    pub fn on(store: Arc<dyn Store>) -> Self {
        block_on(async {
            let clock = Arc::new(ManualClock::new(
                Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
            ));
            let crm = Crm::new(store)
                .with_clock(clock.clone())
                .with_ids(Arc::new(SequentialIds::new()));
            let admin = crm
                .bootstrap("华东贸易有限公司", "admin", "系统管理员")
                .await
                .unwrap();
            let org = crm.org().await.unwrap();
            let root = org.employee(admin.employee_id()).unwrap().department_id;
            let sales = crm
                .create_department(admin, "销售部", Some(root))
                .await
                .unwrap();
            let north = crm
                .create_department(admin, "华北组", Some(sales.id))
                .await
                .unwrap();
            let marketing = crm
                .create_department(admin, "市场部", Some(root))
                .await
                .unwrap();
            let finance = crm
                .create_department(admin, "财务部", Some(root))
                .await
                .unwrap();
            let accounting = crm
                .create_department(admin, "会计组", Some(finance.id))
                .await
                .unwrap();
            let role = crm
                .create_role(admin, "全权销售", all_customer_permissions(), false)
                .await
                .unwrap();
            let roles = BTreeSet::from([role.id]);
            let mk = |code: &str, name: &str, dept: Uuid, mgr: Option<Uuid>| {
                NewEmployee::builder()
                    .code(code.into())
                    .name(name.into())
                    .department_id(dept)
                    .manager_id(mgr)
                    .role_ids(roles.clone())
                    .build()
            };
            let manager = crm
                .create_employee(admin, mk("mgr", "王经理", sales.id, None))
                .await
                .unwrap();
            let owner = crm
                .create_employee(admin, mk("zhangsan", "张三", north.id, Some(manager.id)))
                .await
                .unwrap();
            let peer = crm
                .create_employee(admin, mk("lisi", "李四", north.id, Some(manager.id)))
                .await
                .unwrap();
            let sub = crm
                .create_employee(admin, mk("xiaowang", "小王", north.id, Some(owner.id)))
                .await
                .unwrap();
            let shared = crm
                .create_employee(admin, mk("zhaoliu", "赵六", marketing.id, None))
                .await
                .unwrap();
            let member = crm
                .create_employee(admin, mk("qianqi", "钱七", accounting.id, None))
                .await
                .unwrap();
            let unrelated = crm
                .create_employee(admin, mk("sunba", "孙八", sales.id, None))
                .await
                .unwrap();
            Company {
                crm,
                clock,
                admin,
                manager: Actor::new(manager.id),
                owner: Actor::new(owner.id),
                peer: Actor::new(peer.id),
                subordinate: Actor::new(sub.id),
                shared_person: Actor::new(shared.id),
                shared_dept_member: Actor::new(member.id),
                unrelated: Actor::new(unrelated.id),
                finance_dept: finance.id,
                sales_dept: sales.id,
                full_role: role.id,
            }
        })
    }

    /// A customer owned by 张三 with one contact, shared with 赵六 (edit) and 财务部 (read).
    pub fn shared_customer(&self, name: &str) -> Uuid {
        block_on(async {
            let c = self
                .crm
                .create_customer(
                    self.owner,
                    CustomerInput::builder().name(name.into()).build(),
                    vec![ContactInput::builder()
                        .name("联系人甲".into())
                        .mobile(Some("13800138000".into()))
                        .build()],
                )
                .await
                .unwrap();
            let id = c.customer.value.id;
            self.crm
                .share_customers(
                    self.owner,
                    &[id],
                    Grantee::Employee(self.shared_person.employee_id()),
                    ShareAccess::Edit,
                )
                .await
                .unwrap();
            self.crm
                .share_customers(
                    self.owner,
                    &[id],
                    Grantee::Department(self.finance_dept),
                    ShareAccess::Read,
                )
                .await
                .unwrap();
            id
        })
    }
}

/// The `pub async fn`s of service source files (name, text): (file, operation).
pub fn public_operations(
    sources: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![];
    for &(file, text) in sources {
        for line in text.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("pub async fn ") {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                out.push((file, &rest[..end]));
            }
        }
    }
    out
}

/// Asserts that an authorisation matrix covers its service files: every public operation of
/// `sources` is exercised by a row (`rows`: the operation each row calls, a row's name for
/// the message), and every row calls a public operation of those files.
pub fn assert_matrix_covers<R: std::fmt::Debug>(
    matrix: &str,
    sources: &[(&'static str, &'static str)],
    rows: &[(R, &'static str)],
) {
    let ops = public_operations(sources);
    assert!(!ops.is_empty(), "no public operation found in {sources:?}");
    for (file, name) in &ops {
        assert!(
            rows.iter().any(|(_, f)| f == name),
            "{file}: `{name}` has no row in the {matrix} authorisation matrix"
        );
    }
    for (row, f) in rows {
        assert!(
            ops.iter().any(|(_, name)| name == f),
            "{row:?} exercises `{f}`, which is no public operation of the service files"
        );
    }
}

/// How a cell of an authorisation matrix came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done, or the record (the figures) answered.
    Allowed,
    /// Refused with `Error::PermissionDenied`.
    Refused,
    /// A search, look-up or report that answered without the records (or their figures).
    LeftOut,
}

/// Runs every row of `rows` as every relation of [`RELS`], each cell in a fresh world, and
/// asserts that the cell is allowed exactly where `expected` says (in `RELS` order) and that a
/// cell not allowed left every record as it was. `run` answers a cell (the world, the row, the
/// actor, whether the actor sees everything), or says what it answered wrongly.
pub fn check_cells<W, O: Copy + std::fmt::Debug, S: PartialEq>(
    rows: &[O],
    world: impl Fn() -> W,
    snapshot: impl Fn(&W) -> S,
    actor: impl Fn(&W, Rel) -> Actor,
    expected: impl Fn(O) -> [bool; 8],
    run: impl Fn(&W, O, Actor, bool) -> Result<Outcome, String>,
) {
    let mut failures = Vec::new();
    for &op in rows {
        for (i, &rel) in RELS.iter().enumerate() {
            // A fresh world per cell: many operations change the documents.
            let w = world();
            let before = snapshot(&w);
            let want = expected(op)[i];
            match run(&w, op, actor(&w, rel), rel == Rel::Admin) {
                Err(m) => failures.push(format!("{op:?} as {rel:?}: {m}")),
                Ok(got) => {
                    let allowed = got == Outcome::Allowed;
                    if allowed != want {
                        failures.push(format!(
                            "{op:?} as {rel:?}: expected {}, got {got:?}",
                            if want { "allowed" } else { "denied" }
                        ));
                    }
                    if !allowed && snapshot(&w) != before {
                        failures.push(format!("{op:?} as {rel:?}: refused but records changed"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix cells wrong:\n{}",
        failures.join("\n")
    );
}
