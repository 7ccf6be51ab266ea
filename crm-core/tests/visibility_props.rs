//! Property: a search returns exactly the customers the actor may read one by one — never a
//! customer they may not see, never missing one they may — for random owners and shares.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::BTreeSet;

use common::{block_on, Company};
use crm_core::customer::{CustomerInput, CustomerSearch, Grantee, ShareAccess};
use crm_core::org::Actor;
use crm_core::Error;
use proptest::prelude::*;

fn actors(co: &Company) -> Vec<Actor> {
    vec![
        co.admin,
        co.manager,
        co.owner,
        co.peer,
        co.subordinate,
        co.shared_person,
        co.shared_dept_member,
        co.unrelated,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn search_returns_exactly_the_customers_each_actor_may_read(
        owners in proptest::collection::vec(1usize..8, 1..12),
        shares in proptest::collection::vec((0usize..12, 0usize..8, any::<bool>(), any::<bool>()), 0..8),
    ) {
        let co = Company::new();
        let people = actors(&co);
        let depts = [co.finance_dept, co.sales_dept];
        block_on(async {
            let mut ids = Vec::new();
            for (i, &o) in owners.iter().enumerate() {
                let c = co.crm.create_customer(people[o], CustomerInput::builder().name(format!("性质测试{i}号公司")).build(), vec![]).await.unwrap();
                ids.push(c.customer.value.id);
            }
            for &(c, g, to_dept, edit) in &shares {
                let Some(&id) = ids.get(c) else { continue };
                let grantee = if to_dept { Grantee::Department(depts[g % 2]) } else { Grantee::Employee(people[g].employee_id()) };
                let access = if edit { ShareAccess::Edit } else { ShareAccess::Read };
                // The admin may share anything; shares by others are covered by the matrix.
                co.crm.share_customers(co.admin, &[id], grantee, access).await.unwrap();
            }
            for who in people.iter().copied() {
                let found: BTreeSet<_> = co.crm
                    .search_customers(who, &CustomerSearch::builder().limit(100).build())
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                let mut readable = BTreeSet::new();
                for &id in &ids {
                    match co.crm.customer(who, id).await {
                        Ok(_) => { readable.insert(id); }
                        Err(Error::PermissionDenied(_)) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                assert_eq!(found, readable, "actor {who:?}");
                let n = co.crm.count_customers(who, &CustomerSearch::default()).await.unwrap();
                assert_eq!(n, readable.len() as u64);
            }
        });
    }
}
