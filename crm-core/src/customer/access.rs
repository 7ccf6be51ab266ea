//! Who may see and do what with a customer: pure decisions over an [`ActorContext`].
//!
//! Visibility of a customer: its owner; the employees and departments (with their
//! sub-departments) it is shared with; everyone above the owner in the reporting line;
//! administrators. Nobody else. Operations additionally need the permission of a role.

use uuid::Uuid;

use super::model::{Customer, CustomerShare, Grantee, ShareAccess};
use crate::error::{Error, Result};
use crate::org::{ActorContext, Op, Resource};
use crate::store::{Filter, Value};

/// How an actor stands to one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    /// No relation: the customer is invisible.
    None,
    /// Shared with the actor (or a department of theirs) for reading.
    SharedRead,
    /// Shared with the actor (or a department of theirs) for editing.
    SharedEdit,
    /// The actor is above the owner in the reporting line.
    ManagerAbove,
    /// The actor owns it.
    Owner,
    /// The actor is an administrator.
    Admin,
}

impl Relation {
    /// Whether the customer is visible at all.
    pub fn visible(self) -> bool {
        self != Relation::None
    }

    /// Whether the actor controls the customer: owner, manager above, administrator.
    pub fn controls(self) -> bool {
        matches!(
            self,
            Relation::Owner | Relation::ManagerAbove | Relation::Admin
        )
    }
}

/// The relation of an actor to a customer, given the customer's shares.
pub fn relation(ctx: &ActorContext, customer: &Customer, shares: &[CustomerShare]) -> Relation {
    if ctx.admin {
        return Relation::Admin;
    }
    if customer.owner_id == ctx.employee_id {
        return Relation::Owner;
    }
    if ctx.subordinates.contains(&customer.owner_id) {
        return Relation::ManagerAbove;
    }
    shares
        .iter()
        .filter(|s| s.customer_id == customer.id && reaches(ctx, s.grantee))
        .map(|s| match s.access {
            ShareAccess::Edit => Relation::SharedEdit,
            ShareAccess::Read => Relation::SharedRead,
        })
        .max()
        .unwrap_or(Relation::None)
}

/// Whether a share's grantee includes the actor.
pub fn reaches(ctx: &ActorContext, grantee: Grantee) -> bool {
    match grantee {
        Grantee::Employee(e) => e == ctx.employee_id,
        Grantee::Department(d) => ctx.department_chain.contains(&d),
    }
}

/// The customer operations that take an actor: one row each in the authorisation matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerOp {
    /// Read one customer.
    Read,
    /// List, search and count customers (filtered to the visible ones).
    Search,
    /// Export customers to a file (filtered to the visible ones).
    Export,
    /// Edit a customer's file.
    Edit,
    /// Delete (or archive) a customer.
    Delete,
    /// Share a customer with colleagues.
    Share,
    /// Set a customer's owner.
    Assign,
    /// Read a customer's contacts.
    ReadContacts,
    /// Add, edit or remove a customer's contacts.
    EditContacts,
    /// Read the audit log of a customer.
    ReadAudit,
    /// Record a visit, call or message with a customer (联系记录).
    LogContact,
    /// Read a customer's contact records.
    ReadContactLogs,
}

impl CustomerOp {
    /// Every operation, so that a test can prove each has its row in the matrix.
    pub const ALL: [CustomerOp; 12] = [
        CustomerOp::Read,
        CustomerOp::Search,
        CustomerOp::Export,
        CustomerOp::Edit,
        CustomerOp::Delete,
        CustomerOp::Share,
        CustomerOp::Assign,
        CustomerOp::ReadContacts,
        CustomerOp::EditContacts,
        CustomerOp::ReadAudit,
        CustomerOp::LogContact,
        CustomerOp::ReadContactLogs,
    ];

    /// The permission this operation needs from a role.
    pub fn permission(self) -> (Resource, Op) {
        match self {
            CustomerOp::Read | CustomerOp::Search => (Resource::Customer, Op::View),
            CustomerOp::Export => (Resource::Customer, Op::Export),
            CustomerOp::Edit => (Resource::Customer, Op::Edit),
            CustomerOp::Delete => (Resource::Customer, Op::Delete),
            CustomerOp::Share => (Resource::Customer, Op::Share),
            CustomerOp::Assign => (Resource::Customer, Op::Assign),
            CustomerOp::ReadContacts => (Resource::Contact, Op::View),
            CustomerOp::EditContacts => (Resource::Contact, Op::Edit),
            CustomerOp::ReadAudit => (Resource::Audit, Op::View),
            CustomerOp::LogContact => (Resource::ContactLog, Op::Create),
            CustomerOp::ReadContactLogs => (Resource::ContactLog, Op::View),
        }
    }

    /// The action name written to the audit log.
    pub fn action(self) -> &'static str {
        match self {
            CustomerOp::Read => "customer.read",
            CustomerOp::Search => "customer.search",
            CustomerOp::Export => "customer.export",
            CustomerOp::Edit => "customer.edit",
            CustomerOp::Delete => "customer.delete",
            CustomerOp::Share => "customer.share",
            CustomerOp::Assign => "customer.assign",
            CustomerOp::ReadContacts => "contact.read",
            CustomerOp::EditContacts => "contact.edit",
            CustomerOp::ReadAudit => "audit.read",
            CustomerOp::LogContact => "contact_log.create",
            CustomerOp::ReadContactLogs => "contact_log.read",
        }
    }

    /// Which relations allow the operation (given the permission).
    fn allowed(self, rel: Relation) -> bool {
        match self {
            CustomerOp::Read
            | CustomerOp::Search
            | CustomerOp::Export
            | CustomerOp::ReadContacts
            | CustomerOp::ReadAudit
            | CustomerOp::ReadContactLogs => rel.visible(),
            CustomerOp::Edit | CustomerOp::EditContacts | CustomerOp::LogContact => {
                rel.controls() || rel == Relation::SharedEdit
            }
            CustomerOp::Delete | CustomerOp::Share => rel.controls(),
            // Setting the owner is a manager's decision about a subordinate's customer: the
            // owner cannot hand a customer off by themselves, but asks their manager.
            CustomerOp::Assign => matches!(rel, Relation::ManagerAbove | Relation::Admin),
        }
    }
}

/// Decides whether the actor may do `op` on a customer they stand to in `rel`.
///
/// # Errors
/// [`Error::PermissionDenied`] saying which permission or relation is missing.
pub fn decide(ctx: &ActorContext, op: CustomerOp, rel: Relation) -> Result<()> {
    let (res, o) = op.permission();
    if !ctx.has(res, o) {
        return Err(Error::PermissionDenied(format!(
            "{}: no role grants {}",
            op.action(),
            crate::org::Permission::new(res, o)
        )));
    }
    if !op.allowed(rel) {
        return Err(Error::PermissionDenied(format!(
            "{}: not allowed for this customer ({rel:?})",
            op.action()
        )));
    }
    Ok(())
}

/// The store filter for "customers this actor may see", given the ids shared with them.
/// `None` for administrators, who see everything.
pub fn visibility_filter(ctx: &ActorContext, shared_ids: Vec<Uuid>) -> Option<Filter> {
    visibility_filter_on(ctx, shared_ids, "id")
}

/// The same rule for records that belong to a customer's account (quotes, orders): their
/// `owner_id` stands for the customer's owner and `customer_column` names the customer.
/// `None` for administrators.
pub fn visibility_filter_on(
    ctx: &ActorContext,
    shared_ids: Vec<Uuid>,
    customer_column: &'static str,
) -> Option<Filter> {
    if ctx.admin {
        return None;
    }
    let mut owners: Vec<Value> = ctx.subordinates.iter().map(|&id| Value::Id(id)).collect();
    owners.push(Value::Id(ctx.employee_id));
    owners.sort();
    let mut any = vec![Filter::In("owner_id", owners)];
    if !shared_ids.is_empty() {
        any.push(Filter::In(
            customer_column,
            shared_ids.into_iter().map(Value::Id).collect(),
        ));
    }
    Some(Filter::Or(any))
}
