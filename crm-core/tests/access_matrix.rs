//! The authorisation matrix: every public customer and contact operation × every relation an
//! actor can have to a customer → allowed or denied, each asserted.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{block_on, Company, RELS};
use crm_core::customer::{
    Channel, ContactInput, ContactLogInput, CustomerInput, CustomerOp, CustomerSearch,
};
use crm_core::org::Actor;
use crm_core::Error;
use uuid::Uuid;

/// Every public operation that concerns customers or contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatrixOp {
    Read,
    List,
    Search,
    Count,
    Export,
    Edit,
    Delete,
    Share,
    Assign,
    Transfer,
    ReadContacts,
    AddContact,
    EditContact,
    RemoveContact,
    ReadAudit,
    ReadAuditByEmployee,
    LogContact,
    ReadContactLogs,
}

const OPS: [MatrixOp; 18] = [
    MatrixOp::Read,
    MatrixOp::List,
    MatrixOp::Search,
    MatrixOp::Count,
    MatrixOp::Export,
    MatrixOp::Edit,
    MatrixOp::Delete,
    MatrixOp::Share,
    MatrixOp::Assign,
    MatrixOp::Transfer,
    MatrixOp::ReadContacts,
    MatrixOp::AddContact,
    MatrixOp::EditContact,
    MatrixOp::RemoveContact,
    MatrixOp::ReadAudit,
    MatrixOp::ReadAuditByEmployee,
    MatrixOp::LogContact,
    MatrixOp::ReadContactLogs,
];

/// Which core operation each matrix row exercises; a core operation without a row fails
/// `every_customer_operation_has_a_row`.
fn core_op(op: MatrixOp) -> Option<CustomerOp> {
    use MatrixOp::*;
    Some(match op {
        Read => CustomerOp::Read,
        List | Search | Count => CustomerOp::Search,
        Export => CustomerOp::Export,
        Edit => CustomerOp::Edit,
        Delete => CustomerOp::Delete,
        Share => CustomerOp::Share,
        Assign => CustomerOp::Assign,
        ReadContacts => CustomerOp::ReadContacts,
        AddContact | EditContact | RemoveContact => CustomerOp::EditContacts,
        ReadAudit => CustomerOp::ReadAudit,
        LogContact => CustomerOp::LogContact,
        ReadContactLogs => CustomerOp::ReadContactLogs,
        Transfer | ReadAuditByEmployee => return None,
    })
}

/// The expected answer for each cell, in RELS order:
/// owner, manager above, peer, subordinate, shared person (edit), shared department (read),
/// unrelated, administrator.
fn expected(op: MatrixOp) -> [bool; 8] {
    use MatrixOp::*;
    const Y: bool = true;
    const N: bool = false;
    match op {
        Read | List | Search | Count | Export | ReadContacts | ReadAudit | ReadContactLogs => {
            [Y, Y, N, N, Y, Y, N, Y]
        }
        Edit | AddContact | EditContact | RemoveContact | LogContact => [Y, Y, N, N, Y, N, N, Y],
        Delete | Share => [Y, Y, N, N, N, N, N, Y],
        // Setting the owner is the manager's (or the administrator's) decision.
        Assign => [N, Y, N, N, N, N, N, Y],
        // Moving all of 张三's customers to 李四 needs reach over both.
        Transfer => [N, Y, N, N, N, N, N, Y],
        // Reading what 张三 did: 张三, those above, administrators.
        ReadAuditByEmployee => [Y, Y, N, N, N, N, N, Y],
    }
}

/// Runs one cell; `Ok(true)` allowed, `Ok(false)` denied (an error that says so, or a
/// filtered-out result for list-like operations).
fn run(co: &Company, op: MatrixOp, who: Actor, id: Uuid, name: &str) -> bool {
    let crm = &co.crm;
    let denied = |r: Result<(), Error>| match r {
        Ok(()) => true,
        Err(Error::PermissionDenied(_)) => false,
        Err(e) => panic!("{op:?}: unexpected error {e}"),
    };
    let by_name = CustomerSearch::builder()
        .name_contains(Some(name.to_owned()))
        .build();
    block_on(async {
        match op {
            MatrixOp::Read => denied(crm.customer(who, id).await.map(|_| ())),
            MatrixOp::List => crm
                .search_customers(who, &CustomerSearch::builder().limit(1000).build())
                .await
                .unwrap()
                .items
                .iter()
                .any(|c| c.id == id),
            MatrixOp::Search => crm
                .search_customers(who, &by_name)
                .await
                .unwrap()
                .items
                .iter()
                .any(|c| c.id == id),
            MatrixOp::Count => crm.count_customers(who, &by_name).await.unwrap() == 1,
            MatrixOp::Export => {
                let mut out = Vec::new();
                crm.export_customers_csv(who, &by_name, &mut out)
                    .await
                    .unwrap();
                String::from_utf8(out).unwrap().contains(name)
            }
            MatrixOp::Edit => {
                let c = crm.customer(co.admin, id).await.unwrap();
                let input = CustomerInput::builder()
                    .name(format!("{name}改"))
                    .city(Some("北京".into()))
                    .build();
                denied(
                    crm.update_customer(who, id, c.version, input)
                        .await
                        .map(|_| ()),
                )
            }
            MatrixOp::Delete => {
                let c = crm.customer(co.admin, id).await.unwrap();
                denied(crm.delete_customer(who, id, c.version).await.map(|_| ()))
            }
            MatrixOp::Share => denied(
                crm.share_customers(
                    who,
                    &[id],
                    crm_core::customer::Grantee::Employee(co.peer.employee_id()),
                    crm_core::customer::ShareAccess::Read,
                )
                .await
                .map(|_| ()),
            ),
            MatrixOp::Assign => denied(
                crm.assign_customers(who, &[id], who.employee_id())
                    .await
                    .map(|_| ()),
            ),
            MatrixOp::Transfer => denied(
                crm.transfer_customers(who, co.owner.employee_id(), co.peer.employee_id())
                    .await
                    .map(|_| ()),
            ),
            MatrixOp::ReadContacts => denied(crm.contacts(who, id).await.map(|_| ())),
            MatrixOp::AddContact => denied(
                crm.add_contact(
                    who,
                    id,
                    ContactInput::builder().name("新联系人".into()).build(),
                )
                .await
                .map(|_| ()),
            ),
            MatrixOp::EditContact => {
                let ct = crm.contacts(co.admin, id).await.unwrap().remove(0);
                let input = ContactInput::builder().name("改名联系人".into()).build();
                denied(
                    crm.update_contact(who, id, ct.value.id, ct.version, input)
                        .await
                        .map(|_| ()),
                )
            }
            MatrixOp::RemoveContact => {
                let ct = crm.contacts(co.admin, id).await.unwrap().remove(0);
                denied(
                    crm.remove_contact(who, id, ct.value.id, ct.version)
                        .await
                        .map(|_| ()),
                )
            }
            MatrixOp::ReadAudit => denied(crm.customer_audit(who, id).await.map(|_| ())),
            MatrixOp::LogContact => denied(
                crm.log_contact(
                    who,
                    id,
                    ContactLogInput::builder()
                        .channel(Channel::Call)
                        .summary("电话沟通报价".into())
                        .build(),
                )
                .await
                .map(|_| ()),
            ),
            MatrixOp::ReadContactLogs => denied(crm.contact_logs(who, id).await.map(|_| ())),
            MatrixOp::ReadAuditByEmployee => denied(
                crm.audit_by_employee(who, co.owner.employee_id())
                    .await
                    .map(|_| ()),
            ),
        }
    })
}

#[test]
fn every_customer_operation_has_a_row() {
    for op in CustomerOp::ALL {
        assert!(
            OPS.iter().any(|&m| core_op(m) == Some(op)),
            "{op:?} has no row in the authorisation matrix"
        );
    }
}

#[test]
fn authorisation_matrix_holds_for_every_operation_and_relation() {
    let mut failures = Vec::new();
    for op in OPS {
        for (i, rel) in RELS.iter().enumerate() {
            // A fresh company per cell: operations such as delete and transfer change the data.
            let co = Company::new();
            let name = format!("矩阵测试{op:?}{i}科技");
            let id = co.shared_customer(&name);
            let got = run(&co, op, co.actor(*rel), id, &name);
            if got != expected(op)[i] {
                failures.push(format!(
                    "{op:?} as {rel:?}: expected {}, got {}",
                    expected(op)[i],
                    got
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix cells wrong:\n{}",
        failures.join("\n")
    );
}

#[test]
fn refused_operations_are_written_to_the_audit_log() {
    let co = Company::new();
    let id = co.shared_customer("被拒绝测试有限公司");
    let c = block_on(co.crm.customer(co.admin, id)).unwrap();
    let r = block_on(co.crm.delete_customer(co.peer, id, c.version));
    assert!(matches!(r, Err(Error::PermissionDenied(_))));
    let log = block_on(co.crm.audit_by_employee(co.admin, co.peer.employee_id())).unwrap();
    let denied: Vec<_> = log
        .iter()
        .filter(|e| e.outcome == crm_core::audit::Outcome::Denied && e.record_id == Some(id))
        .collect();
    assert_eq!(denied.len(), 1, "log: {log:?}");
    assert_eq!(denied[0].action, "customer.delete");
}

#[test]
fn a_role_without_the_permission_is_denied_even_for_the_owner() {
    let co = Company::new();
    let id = co.shared_customer("无权限测试有限公司");
    block_on(async {
        let viewer = co
            .crm
            .create_role(
                co.admin,
                "只读",
                [crm_core::org::Permission::new(
                    crm_core::org::Resource::Customer,
                    crm_core::org::Op::View,
                )],
                false,
            )
            .await
            .unwrap();
        let org = co.crm.org().await.unwrap();
        let mut owner = org.employee(co.owner.employee_id()).unwrap().clone();
        owner.role_ids = [viewer.id].into();
        co.crm.update_employee(co.admin, owner).await.unwrap();
        assert!(co.crm.customer(co.owner, id).await.is_ok());
        let c = co.crm.customer(co.admin, id).await.unwrap();
        let r = co.crm.delete_customer(co.owner, id, c.version).await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        let r = co
            .crm
            .create_customer(
                co.owner,
                CustomerInput::builder()
                    .name("新客户有限公司".into())
                    .build(),
                vec![],
            )
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
    });
}

#[test]
fn an_inactive_employee_may_do_nothing() {
    let co = Company::new();
    let id = co.shared_customer("离职测试有限公司");
    block_on(async {
        let org = co.crm.org().await.unwrap();
        let mut owner = org.employee(co.owner.employee_id()).unwrap().clone();
        owner.active = false;
        co.crm.update_employee(co.admin, owner).await.unwrap();
        let r = co.crm.customer(co.owner, id).await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        let r = co
            .crm
            .search_customers(co.owner, &CustomerSearch::default())
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
    });
}
