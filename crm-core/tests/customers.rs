//! Customer rules against the in-memory store: duplicates, search, contacts, batch operations,
//! deletion and the audit trail.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use chrono::Duration;
use common::{block_on, Company};
use crm_core::customer::{
    ContactInput, CustomerInput, CustomerSearch, CustomerSort, Grantee, ShareAccess, CONTACT,
    CUSTOMER,
};
use crm_core::service::DeleteOutcome;
use crm_core::settings::OptionCategory;
use crm_core::store::Query;
use crm_core::Error;

fn input(name: &str) -> CustomerInput {
    CustomerInput::builder().name(name.into()).build()
}

fn count_records(co: &Company, kind: &'static crm_core::store::Kind) -> u64 {
    block_on(co.crm.store().query(&Query::all(kind).with_total()))
        .unwrap()
        .total
        .unwrap()
}

#[test]
fn an_exact_duplicate_name_is_refused_and_names_the_existing_customer() {
    let co = Company::new();
    block_on(async {
        let first = co
            .crm
            .create_customer(co.owner, input("北京星辰科技有限公司"), vec![])
            .await
            .unwrap();
        for variant in [
            "北京星辰科技股份有限公司",
            "  北京星辰科技 有限责任公司 ",
            "北京星辰科技",
        ] {
            let r = co
                .crm
                .create_customer(co.peer, input(variant), vec![])
                .await;
            match r {
                Err(Error::Duplicate {
                    existing: Some(e), ..
                }) => {
                    assert!(
                        e.contains(&first.customer.value.id.to_string()),
                        "{variant}: {e}"
                    )
                }
                other => panic!("{variant}: expected a duplicate, got {other:?}"),
            }
        }
        let r = co
            .crm
            .create_customer(co.owner, input("Star Trading Co., Ltd."), vec![])
            .await
            .unwrap();
        let r2 = co
            .crm
            .create_customer(co.owner, input("ＳＴＡＲ  trading company limited"), vec![])
            .await;
        assert!(
            matches!(r2, Err(Error::Duplicate { .. })),
            "{r2:?} after {:?}",
            r.customer.value.name_key
        );
    });
    assert_eq!(
        count_records(&co, &CUSTOMER),
        2,
        "refused duplicates wrote nothing"
    );
}

#[test]
fn near_duplicates_and_shared_credit_codes_come_back_as_warnings() {
    let co = Company::new();
    block_on(async {
        let code = "91350100M000100Y43";
        let a = co
            .crm
            .create_customer(
                co.owner,
                CustomerInput::builder()
                    .name("星辰科技有限公司".into())
                    .credit_code(Some(code.into()))
                    .build(),
                vec![],
            )
            .await
            .unwrap();
        assert!(a.warnings.is_empty());
        // The new name contains an existing one.
        let b = co
            .crm
            .create_customer(co.owner, input("北京星辰科技有限公司"), vec![])
            .await
            .unwrap();
        assert_eq!(b.warnings.len(), 1, "{:?}", b.warnings);
        assert_eq!(b.warnings[0].customer_id, a.customer.value.id);
        // An existing name contains the new one.
        let c = co.crm.create_customer(co.owner, input("星辰科技"), vec![]);
        let c = c.await;
        assert!(
            matches!(c, Err(Error::Duplicate { .. })),
            "星辰科技 normalises to the same key: {c:?}"
        );
        let d = co
            .crm
            .create_customer(co.owner, input("星辰"), vec![])
            .await
            .unwrap();
        assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
        // Same credit code under another name.
        let e = co
            .crm
            .create_customer(
                co.owner,
                CustomerInput::builder()
                    .name("福州某某公司".into())
                    .credit_code(Some(code.into()))
                    .build(),
                vec![],
            )
            .await
            .unwrap();
        assert!(
            e.warnings
                .iter()
                .any(|w| w.customer_id == a.customer.value.id && w.reason.contains(code)),
            "{:?}",
            e.warnings
        );
    });
}

#[test]
fn bad_input_is_refused_naming_the_field_and_writes_nothing() {
    let co = Company::new();
    let cases: Vec<(CustomerInput, Vec<ContactInput>, &str)> = vec![
        (input(""), vec![], "name"),
        (input("甲"), vec![], "name"),
        (input(&"长".repeat(101)), vec![], "name"),
        (
            CustomerInput::builder()
                .name("信用代码错误公司".into())
                .credit_code(Some("91350100M000100Y44".into()))
                .build(),
            vec![],
            "credit_code",
        ),
        (
            CustomerInput::builder()
                .name("电话错误公司".into())
                .phone(Some("12345".into()))
                .build(),
            vec![],
            "phone",
        ),
        (
            input("邮箱错误公司"),
            vec![ContactInput::builder()
                .name("张".into())
                .email(Some("not-an-email".into()))
                .build()],
            "contacts[0].email",
        ),
        (
            input("手机错误公司"),
            vec![
                ContactInput::builder().name("甲".into()).build(),
                ContactInput::builder()
                    .name("乙".into())
                    .mobile(Some("1380013800".into()))
                    .build(),
            ],
            "contacts[1].mobile",
        ),
        (
            CustomerInput::builder()
                .name("额度错误公司".into())
                .credit_limit(Some("-1".parse().unwrap()))
                .build(),
            vec![],
            "credit_limit",
        ),
    ];
    for (inp, contacts, field) in cases {
        let r = block_on(co.crm.create_customer(co.owner, inp.clone(), contacts));
        match r {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{inp:?}"),
            other => panic!("{inp:?}: expected Invalid({field}), got {other:?}"),
        }
    }
    assert_eq!(count_records(&co, &CUSTOMER), 0);
    assert_eq!(count_records(&co, &CONTACT), 0);
}

#[test]
fn option_lists_once_configured_restrict_the_values() {
    let co = Company::new();
    block_on(async {
        co.crm
            .add_option(co.admin, OptionCategory::CustomerLevel, "A类")
            .await
            .unwrap();
        co.crm
            .add_option(co.admin, OptionCategory::CustomerLevel, "B类")
            .await
            .unwrap();
        let ok = CustomerInput::builder()
            .name("等级正确公司".into())
            .level(Some("A类".into()))
            .build();
        co.crm.create_customer(co.owner, ok, vec![]).await.unwrap();
        let bad = CustomerInput::builder()
            .name("等级错误公司".into())
            .level(Some("Z类".into()))
            .build();
        let r = co.crm.create_customer(co.owner, bad, vec![]).await;
        assert!(
            matches!(r, Err(Error::Invalid { ref field, .. }) if field == "level"),
            "{r:?}"
        );
        // Types have no list yet: free text.
        let free = CustomerInput::builder()
            .name("类型自由公司".into())
            .customer_type(Some("经销商".into()))
            .build();
        co.crm
            .create_customer(co.owner, free, vec![])
            .await
            .unwrap();
        let r = co
            .crm
            .add_option(co.owner, OptionCategory::CustomerLevel, "C类")
            .await;
        assert!(
            matches!(r, Err(Error::PermissionDenied(_))),
            "a salesperson edits settings: {r:?}"
        );
    });
}

#[test]
fn search_combines_every_criterion_over_visible_customers_only() {
    let co = Company::new();
    block_on(async {
        let mk = |name: &str, province: &str, level: &str, tag: &str| {
            CustomerInput::builder()
                .name(name.into())
                .province(Some(province.into()))
                .level(Some(level.into()))
                .industry(Some("制造业".into()))
                .tags(vec![tag.into()])
                .build()
        };
        let a = co
            .crm
            .create_customer(
                co.owner,
                mk("北京精密机械有限公司", "北京", "A", "重点"),
                vec![ContactInput::builder()
                    .name("刘强".into())
                    .mobile(Some("139 1111 2222".into()))
                    .build()],
            )
            .await
            .unwrap();
        co.clock.advance(Duration::days(1));
        let _b = co
            .crm
            .create_customer(
                co.owner,
                mk("北京化工机械有限公司", "北京", "B", "普通"),
                vec![],
            )
            .await
            .unwrap();
        co.clock.advance(Duration::days(1));
        let c = co
            .crm
            .create_customer(
                co.owner,
                mk("天津精密仪器有限公司", "天津", "A", "重点"),
                vec![],
            )
            .await
            .unwrap();
        co.clock.advance(Duration::days(1));
        // A peer's customer with matching words must never show up for the owner.
        co.crm
            .create_customer(
                co.peer,
                mk("北京精密电子有限公司", "北京", "A", "重点"),
                vec![],
            )
            .await
            .unwrap();

        let s = CustomerSearch::builder()
            .name_contains(Some("精密".into()))
            .levels(vec!["A".into()])
            .tags_any(vec!["重点".into()])
            .build();
        let page = co.crm.search_customers(co.owner, &s).await.unwrap();
        let names: Vec<_> = page.items.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["天津精密仪器有限公司", "北京精密机械有限公司"],
            "newest first"
        );
        assert_eq!(page.total, 2);

        let s = CustomerSearch::builder()
            .contact_contains(Some("13911112222".into()))
            .build();
        let page = co.crm.search_customers(co.owner, &s).await.unwrap();
        assert_eq!(
            page.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![a.customer.value.id]
        );
        let s = CustomerSearch::builder()
            .contact_contains(Some("刘".into()))
            .build();
        assert_eq!(co.crm.count_customers(co.owner, &s).await.unwrap(), 1);

        let s = CustomerSearch::builder()
            .provinces(vec!["北京".into(), "天津".into()])
            .created_from(Some(c.customer.value.created_at))
            .build();
        let page = co.crm.search_customers(co.owner, &s).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].id, c.customer.value.id);

        // The manager sees the team's four; paging and sorting by name.
        let s = CustomerSearch::builder()
            .sort(CustomerSort::NameAsc)
            .offset(1)
            .limit(2)
            .build();
        let page = co.crm.search_customers(co.manager, &s).await.unwrap();
        assert_eq!(page.total, 4);
        assert_eq!(page.items.len(), 2);
        let all = co
            .crm
            .search_customers(
                co.manager,
                &CustomerSearch::builder()
                    .sort(CustomerSort::NameAsc)
                    .build(),
            )
            .await
            .unwrap();
        let mut sorted: Vec<_> = all.items.iter().map(|c| c.name.clone()).collect();
        sorted.sort();
        assert_eq!(
            all.items.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
            sorted
        );
        assert_eq!(page.items[0].name, sorted[1]);

        // Unrelated colleagues see nothing.
        assert_eq!(
            co.crm
                .count_customers(co.unrelated, &CustomerSearch::default())
                .await
                .unwrap(),
            0
        );
    });
}

#[test]
fn contacts_keep_exactly_one_primary_and_feed_the_contact_search() {
    let co = Company::new();
    block_on(async {
        let c = co
            .crm
            .create_customer(
                co.owner,
                input("联系人测试有限公司"),
                vec![
                    ContactInput::builder().name("甲".into()).build(),
                    ContactInput::builder()
                        .name("乙".into())
                        .primary(true)
                        .build(),
                ],
            )
            .await
            .unwrap();
        let id = c.customer.value.id;
        let primaries = |cs: &[crm_core::store::Versioned<crm_core::customer::Contact>]| {
            cs.iter()
                .filter(|c| c.value.primary)
                .map(|c| c.value.name.clone())
                .collect::<Vec<_>>()
        };
        let cs = co.crm.contacts(co.owner, id).await.unwrap();
        assert_eq!(primaries(&cs), ["乙"]);
        co.crm
            .add_contact(
                co.owner,
                id,
                ContactInput::builder()
                    .name("丙".into())
                    .primary(true)
                    .mobile(Some("13700001111".into()))
                    .build(),
            )
            .await
            .unwrap();
        let cs = co.crm.contacts(co.owner, id).await.unwrap();
        assert_eq!(primaries(&cs), ["丙"]);
        assert_eq!(cs.len(), 3);
        let s = CustomerSearch::builder()
            .contact_contains(Some("1370000".into()))
            .build();
        assert_eq!(co.crm.count_customers(co.owner, &s).await.unwrap(), 1);
        // Removing the primary makes another one primary.
        let bing = cs.iter().find(|c| c.value.name == "丙").unwrap();
        co.crm
            .remove_contact(co.owner, id, bing.value.id, bing.version)
            .await
            .unwrap();
        let cs = co.crm.contacts(co.owner, id).await.unwrap();
        assert_eq!(primaries(&cs).len(), 1);
        assert_eq!(
            co.crm.count_customers(co.owner, &s).await.unwrap(),
            0,
            "search text follows the contacts"
        );
        // A stale version is a conflict.
        let jia = cs.iter().find(|c| c.value.name == "甲").unwrap();
        co.crm
            .update_contact(
                co.owner,
                id,
                jia.value.id,
                jia.version,
                ContactInput::builder().name("甲一".into()).build(),
            )
            .await
            .unwrap();
        let r = co
            .crm
            .update_contact(
                co.owner,
                id,
                jia.value.id,
                jia.version,
                ContactInput::builder().name("甲二".into()).build(),
            )
            .await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    });
}

#[test]
fn editing_with_a_stale_version_is_a_conflict_and_changes_are_audited() {
    let co = Company::new();
    block_on(async {
        let c = co
            .crm
            .create_customer(co.owner, input("版本测试有限公司"), vec![])
            .await
            .unwrap();
        let id = c.customer.value.id;
        let edited = CustomerInput::builder()
            .name("版本测试有限公司".into())
            .city(Some("苏州".into()))
            .build();
        let v2 = co
            .crm
            .update_customer(co.owner, id, c.customer.version, edited.clone())
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        let r = co
            .crm
            .update_customer(co.manager, id, c.customer.version, edited)
            .await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
        let log = co.crm.customer_audit(co.owner, id).await.unwrap();
        let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["customer.create", "customer.edit"]);
        assert_eq!(log[1].detail["city"], serde_json::json!([null, "苏州"]));
        assert_eq!(log[1].actor_id, co.owner.employee_id());
    });
}

#[test]
fn deleting_removes_contacts_and_shares_with_the_customer() {
    let co = Company::new();
    let id = co.shared_customer("删除测试有限公司");
    block_on(async {
        let c = co.crm.customer(co.owner, id).await.unwrap();
        assert_eq!(
            co.crm
                .delete_customer(co.owner, id, c.version)
                .await
                .unwrap(),
            DeleteOutcome::Deleted
        );
        assert!(matches!(
            co.crm.customer(co.admin, id).await,
            Err(Error::NotFound { .. })
        ));
    });
    assert_eq!(count_records(&co, &CONTACT), 0);
    assert_eq!(count_records(&co, &crm_core::customer::CUSTOMER_SHARE), 0);
}

#[test]
fn a_department_share_reaches_sub_departments_and_can_be_withdrawn() {
    let co = Company::new();
    let id = co.shared_customer("部门共享测试有限公司");
    block_on(async {
        assert!(co.crm.customer(co.shared_dept_member, id).await.is_ok());
        co.crm
            .unshare_customers(co.owner, &[id], Grantee::Department(co.finance_dept))
            .await
            .unwrap();
        assert!(matches!(
            co.crm.customer(co.shared_dept_member, id).await,
            Err(Error::PermissionDenied(_))
        ));
        // Re-sharing changes the access level rather than adding a second share.
        co.crm
            .share_customers(
                co.owner,
                &[id],
                Grantee::Employee(co.shared_person.employee_id()),
                ShareAccess::Read,
            )
            .await
            .unwrap();
        let c = co.crm.customer(co.admin, id).await.unwrap();
        let r = co
            .crm
            .update_customer(
                co.shared_person,
                id,
                c.version,
                input("部门共享测试有限公司"),
            )
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
    });
}

#[test]
fn batch_assign_is_all_or_nothing() {
    let co = Company::new();
    block_on(async {
        let mine = co
            .crm
            .create_customer(co.owner, input("分配一有限公司"), vec![])
            .await
            .unwrap()
            .customer
            .value
            .id;
        let other = co
            .crm
            .create_customer(co.unrelated, input("分配二有限公司"), vec![])
            .await
            .unwrap()
            .customer
            .value
            .id;
        // The manager is above 张三 but not above 孙八: the whole batch is refused.
        let r = co
            .crm
            .assign_customers(co.manager, &[mine, other], co.peer.employee_id())
            .await;
        assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
        assert_eq!(
            co.crm
                .customer(co.admin, mine)
                .await
                .unwrap()
                .value
                .owner_id,
            co.owner.employee_id()
        );
        let n = co
            .crm
            .assign_customers(co.manager, &[mine], co.peer.employee_id())
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            co.crm
                .customer(co.admin, mine)
                .await
                .unwrap()
                .value
                .owner_id,
            co.peer.employee_id()
        );
        // The new owner sees it, the old one no longer does.
        assert!(co.crm.customer(co.peer, mine).await.is_ok());
        assert!(co.crm.customer(co.owner, mine).await.is_err());
    });
}

#[test]
fn transfer_moves_every_customer_of_a_leaver_in_one_audited_commit() {
    let co = Company::new();
    block_on(async {
        for i in 0..5 {
            co.crm
                .create_customer(co.owner, input(&format!("移交测试{i}号有限公司")), vec![])
                .await
                .unwrap();
        }
        let n = co
            .crm
            .transfer_customers(co.manager, co.owner.employee_id(), co.peer.employee_id())
            .await
            .unwrap();
        assert_eq!(n, 5);
        let s = CustomerSearch::builder()
            .owners(vec![co.peer.employee_id()])
            .build();
        assert_eq!(co.crm.count_customers(co.manager, &s).await.unwrap(), 5);
        let log = co
            .crm
            .audit_by_employee(co.admin, co.manager.employee_id())
            .await
            .unwrap();
        assert_eq!(
            log.iter()
                .filter(|e| e.action == "customer.transfer")
                .count(),
            5
        );
    });
}

#[test]
fn a_customer_with_contact_records_is_archived_not_deleted() {
    let co = Company::new();
    block_on(async {
        let c = co
            .crm
            .create_customer(co.owner, input("归档测试有限公司"), vec![])
            .await
            .unwrap();
        let id = c.customer.value.id;
        co.clock.advance(Duration::hours(2));
        let log = co
            .crm
            .log_contact(
                co.owner,
                id,
                crm_core::customer::ContactLogInput::builder()
                    .channel(crm_core::customer::Channel::Visit)
                    .summary("上门拜访，介绍新产品".into())
                    .build(),
            )
            .await
            .unwrap();
        let c = co.crm.customer(co.owner, id).await.unwrap();
        assert_eq!(c.value.last_contact_at, Some(log.at));
        let s = CustomerSearch::builder()
            .last_contact_from(Some(log.at))
            .build();
        assert_eq!(co.crm.count_customers(co.owner, &s).await.unwrap(), 1);
        assert_eq!(
            co.crm
                .delete_customer(co.owner, id, c.version)
                .await
                .unwrap(),
            DeleteOutcome::Archived
        );
        let c = co.crm.customer(co.owner, id).await.unwrap();
        assert!(c.value.archived);
        assert_eq!(
            co.crm
                .count_customers(co.owner, &CustomerSearch::default())
                .await
                .unwrap(),
            0,
            "archived are hidden by default"
        );
        let s = CustomerSearch::builder().include_archived(true).build();
        assert_eq!(co.crm.count_customers(co.owner, &s).await.unwrap(), 1);
        assert_eq!(co.crm.contact_logs(co.manager, id).await.unwrap().len(), 1);
    });
}
