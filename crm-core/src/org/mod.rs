//! The organisation: departments as a tree, employees with their managers, roles that grant
//! permissions, and the [`Actor`] that every public operation takes.
//!
//! An [`Org`] is an immutable snapshot of the whole organisation, loaded once and shared: every
//! access decision reads it without touching the store. The snapshot is keyed by the version of
//! one revision record that every organisation change bumps in its own commit, so all processes
//! sharing a database see a change on their next operation.

mod model;
mod permission;

use std::collections::{BTreeSet, HashMap, HashSet};

use uuid::Uuid;

pub use model::{
    Department, Employee, Role, DEPARTMENT, EMPLOYEE, ORG_REVISION, ORG_REVISION_ID, ROLE,
};
pub use permission::{Op, Permission, Resource};

/// The acting user: who asks for an operation. The host authenticates the person and builds the
/// actor from the employee id; the library checks everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Actor {
    employee_id: Uuid,
}

impl Actor {
    /// The actor for an employee.
    pub const fn new(employee_id: Uuid) -> Self {
        Actor { employee_id }
    }

    /// The employee id.
    pub const fn employee_id(&self) -> Uuid {
        self.employee_id
    }
}

/// A snapshot of the organisation.
#[derive(Debug, Clone, Default)]
pub struct Org {
    employees: HashMap<Uuid, Employee>,
    departments: HashMap<Uuid, Department>,
    roles: HashMap<Uuid, Role>,
    /// manager id → direct reports.
    reports: HashMap<Uuid, Vec<Uuid>>,
}

impl Org {
    /// Builds a snapshot from its parts.
    pub fn new(employees: Vec<Employee>, departments: Vec<Department>, roles: Vec<Role>) -> Self {
        let mut reports: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for e in &employees {
            if let Some(m) = e.manager_id {
                reports.entry(m).or_default().push(e.id);
            }
        }
        Org {
            employees: employees.into_iter().map(|e| (e.id, e)).collect(),
            departments: departments.into_iter().map(|d| (d.id, d)).collect(),
            roles: roles.into_iter().map(|r| (r.id, r)).collect(),
            reports,
        }
    }

    /// An employee.
    pub fn employee(&self, id: Uuid) -> Option<&Employee> {
        self.employees.get(&id)
    }

    /// The employee with this code (login / 工号).
    pub fn employee_by_code(&self, code: &str) -> Option<&Employee> {
        self.employees.values().find(|e| e.code == code)
    }

    /// The employee with this display name, when exactly one has it.
    pub fn employee_by_name(&self, name: &str) -> Option<&Employee> {
        let mut it = self.employees.values().filter(|e| e.name == name);
        match (it.next(), it.next()) {
            (Some(e), None) => Some(e),
            _ => None,
        }
    }

    /// All employees.
    pub fn employees(&self) -> impl Iterator<Item = &Employee> {
        self.employees.values()
    }

    /// A department.
    pub fn department(&self, id: Uuid) -> Option<&Department> {
        self.departments.get(&id)
    }

    /// A role.
    pub fn role(&self, id: Uuid) -> Option<&Role> {
        self.roles.get(&id)
    }

    /// The role with this name.
    pub fn role_by_name(&self, name: &str) -> Option<&Role> {
        self.roles.values().find(|r| r.name == name)
    }

    /// Whether there is no employee yet (a store that still needs bootstrapping).
    pub fn is_empty(&self) -> bool {
        self.employees.is_empty()
    }

    /// Everyone below `id` in the reporting line (direct and indirect reports), not `id` itself.
    pub fn subordinates(&self, id: Uuid) -> HashSet<Uuid> {
        let mut out = HashSet::new();
        let mut stack = vec![id];
        while let Some(m) = stack.pop() {
            for &r in self.reports.get(&m).into_iter().flatten() {
                // The insert guard also stops a cycle that bad data might contain.
                if r != id && out.insert(r) {
                    stack.push(r);
                }
            }
        }
        out
    }

    /// The managers above `id`, nearest first.
    pub fn managers_above(&self, id: Uuid) -> Vec<Uuid> {
        let mut out = Vec::new();
        let mut cur = self.employees.get(&id).and_then(|e| e.manager_id);
        while let Some(m) = cur {
            if m == id || out.contains(&m) {
                break;
            }
            out.push(m);
            cur = self.employees.get(&m).and_then(|e| e.manager_id);
        }
        out
    }

    /// Whether `upper` is above `lower` in the reporting line.
    pub fn is_above(&self, upper: Uuid, lower: Uuid) -> bool {
        self.managers_above(lower).contains(&upper)
    }

    /// A department and its ancestors, nearest first.
    pub fn department_chain(&self, id: Uuid) -> Vec<Uuid> {
        let mut out = Vec::new();
        let mut cur = Some(id);
        while let Some(d) = cur {
            if out.contains(&d) {
                break;
            }
            out.push(d);
            cur = self.departments.get(&d).and_then(|x| x.parent_id);
        }
        out
    }

    /// Would setting `employee`'s manager to `manager` close a loop in the reporting line?
    pub fn would_cycle(&self, employee: Uuid, manager: Uuid) -> bool {
        employee == manager || self.is_above(employee, manager)
    }

    /// Would setting `department`'s parent to `parent` close a loop in the tree?
    pub fn department_would_cycle(&self, department: Uuid, parent: Uuid) -> bool {
        self.department_chain(parent).contains(&department)
    }

    /// Resolves an actor against this snapshot: who they are, what they may do, whom they
    /// oversee. `None` for an unknown or inactive employee, who may do nothing.
    pub fn context(&self, actor: Actor) -> Option<ActorContext> {
        let e = self.employees.get(&actor.employee_id)?;
        if !e.active {
            return None;
        }
        let mut permissions = BTreeSet::new();
        let mut admin = false;
        let mut max_discount = rust_decimal::Decimal::ZERO;
        for r in e.role_ids.iter().filter_map(|id| self.roles.get(id)) {
            admin |= r.admin;
            permissions.extend(r.permissions.iter().copied());
            max_discount = max_discount.max(r.max_discount);
        }
        if admin {
            max_discount = rust_decimal::Decimal::ONE;
        }
        Some(ActorContext {
            employee_id: e.id,
            department_chain: self.department_chain(e.department_id),
            subordinates: self.subordinates(e.id),
            permissions,
            admin,
            max_discount,
        })
    }
}

/// What the core knows about an actor while it decides: resolved once per operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorContext {
    /// The acting employee.
    pub employee_id: Uuid,
    /// Their department and its ancestors (a share with a department reaches its sub-departments).
    pub department_chain: Vec<Uuid>,
    /// Everyone below them in the reporting line.
    pub subordinates: HashSet<Uuid>,
    /// Union of their roles' permissions.
    pub permissions: BTreeSet<Permission>,
    /// Whether any of their roles is an administrator role.
    pub admin: bool,
    /// The largest discount they may give or approve: the highest of their roles' limits
    /// (1, no limit, for administrators).
    pub max_discount: rust_decimal::Decimal,
}

impl ActorContext {
    /// Whether the actor holds a permission (administrators hold all).
    pub fn has(&self, resource: Resource, op: Op) -> bool {
        self.admin || self.permissions.contains(&Permission::new(resource, op))
    }

    /// Whether `employee` is the actor or below them in the reporting line.
    pub fn oversees(&self, employee: Uuid) -> bool {
        employee == self.employee_id || self.subordinates.contains(&employee)
    }
}
