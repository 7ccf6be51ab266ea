//! Fault sweep: the k-th commit of a workload (a batched import, a share, a transfer) fails,
//! for every k, before or after reaching the engine. After each failure every change is wholly
//! present or wholly absent, and running the workload again ends in the same state as a run
//! without faults.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::sync::Arc;

use crm::core::audit::{AuditEntry, AUDIT_ENTRY};
use crm::core::customer::{Customer, CONTACT, CUSTOMER};
use crm::core::customer::{CustomerSearch, Grantee, ShareAccess};
use crm::core::org::{Actor, Op, Permission, Resource};
use crm::core::service::{ImportMode, ImportOptions, NewEmployee};
use crm::core::store::faults::{FaultMode, FaultyStore};
use crm::core::store::{Entity, MemoryStore, Query, Store};
use crm::core::table::{TableReader, TextEncoding};
use crm::Crm;
use support::engines;

const ROWS: usize = 24;

fn csv() -> Vec<u8> {
    let mut s = String::from("客户名称,负责人工号,联系人,手机,联系人2,手机2\n");
    for i in 0..ROWS {
        let owner = if i % 2 == 0 { "zhangsan" } else { "lisi" };
        let second = if i % 3 == 0 {
            format!("副联系人{i},15{i:09}")
        } else {
            ",".into()
        };
        s.push_str(&format!(
            "故障测试{i}号贸易有限公司,{owner},联系人{i},13{i:09},{second}\n"
        ));
    }
    s.push_str("坏,zhangsan,某,13800000000,,\n");
    s.into_bytes()
}

fn expected_contacts(name: &str) -> usize {
    let i: usize = name
        .trim_start_matches("故障测试")
        .split('号')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    if i.is_multiple_of(3) {
        2
    } else {
        1
    }
}

struct Org {
    manager: Actor,
    zhang: Actor,
    li: Actor,
}

async fn setup(crm: &Crm) -> Org {
    let admin = crm
        .bootstrap("故障测试有限公司", "admin", "管理员")
        .await
        .unwrap();
    let root = crm
        .org()
        .await
        .unwrap()
        .employee(admin.employee_id())
        .unwrap()
        .department_id;
    let perms: Vec<_> = [Op::View, Op::Create, Op::Import, Op::Transfer, Op::Share]
        .into_iter()
        .map(|o| Permission::new(Resource::Customer, o))
        .chain([Permission::new(Resource::Audit, Op::View)])
        .collect();
    let role = crm.create_role(admin, "销售", perms, false).await.unwrap();
    let hire = |code: &str, mgr| {
        NewEmployee::builder()
            .code(code.into())
            .name(code.into())
            .department_id(root)
            .manager_id(mgr)
            .role_ids(BTreeSet::from([role.id]))
            .build()
    };
    let m = crm.create_employee(admin, hire("mgr", None)).await.unwrap();
    let z = crm
        .create_employee(admin, hire("zhangsan", Some(m.id)))
        .await
        .unwrap();
    let l = crm
        .create_employee(admin, hire("lisi", Some(m.id)))
        .await
        .unwrap();
    Org {
        manager: Actor::new(m.id),
        zhang: Actor::new(z.id),
        li: Actor::new(l.id),
    }
}

/// The workload; stops at the first error, as a host would.
async fn workload(crm: &Crm, org: &Org, data: &Arc<[u8]>) -> crm::Result<()> {
    let options = ImportOptions {
        mode: ImportMode::SkipInvalid,
        batch_size: 5,
        ..Default::default()
    };
    let d = data.clone();
    crm.import_customers(
        org.manager,
        move || TableReader::csv(Cursor::new(d.clone()), TextEncoding::Auto),
        &options,
        |_| {},
    )
    .await?;
    let mine = crm
        .search_customers(org.zhang, &CustomerSearch::builder().limit(4).build())
        .await?;
    let ids: Vec<_> = mine.items.iter().map(|c| c.id).collect();
    crm.share_customers(
        org.zhang,
        &ids,
        Grantee::Employee(org.li.employee_id()),
        ShareAccess::Read,
    )
    .await?;
    crm.transfer_customers(org.manager, org.zhang.employee_id(), org.li.employee_id())
        .await?;
    Ok(())
}

/// The state a run leaves: customer name → (owner code, contacts).
async fn state(store: &dyn Store) -> BTreeMap<String, (uuid::Uuid, usize)> {
    let customers = store.query(&Query::all(&CUSTOMER)).await.unwrap();
    let contacts = store.query(&Query::all(&CONTACT)).await.unwrap();
    let audit = store.query(&Query::all(&AUDIT_ENTRY)).await.unwrap();
    let audit: Vec<AuditEntry> = audit
        .records
        .iter()
        .map(|r| AuditEntry::from_record(r).unwrap())
        .collect();
    let mut out = BTreeMap::new();
    for r in &customers.records {
        let c = Customer::from_record(r).unwrap();
        let n = contacts
            .records
            .iter()
            .filter(|x| x.get("customer_id").unwrap() == &crm::core::store::Value::Id(c.id))
            .count();
        // Wholly present: every imported customer came with all its contacts and its audit entry.
        assert_eq!(n, expected_contacts(&c.name), "{} has {n} contacts", c.name);
        assert!(
            audit
                .iter()
                .any(|e| e.action == "customer.import" && e.record_id == Some(c.id)),
            "{} has no import audit entry",
            c.name
        );
        let moved = audit
            .iter()
            .filter(|e| e.action == "customer.transfer" && e.record_id == Some(c.id))
            .count();
        assert!(moved <= 1);
        out.insert(c.name, (c.owner_id, n));
    }
    out
}

async fn sweep<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Arc<dyn Store>>,
{
    let data: Arc<[u8]> = csv().into();
    // A run without faults: the reference end state and the number of commits.
    let inner = make().await;
    let crm = Crm::new(inner.clone());
    let org = setup(&crm).await;
    let faulty = Arc::new(FaultyStore::new(inner.clone(), u64::MAX, FaultMode::Before));
    workload(&Crm::new(faulty.clone()), &org, &data)
        .await
        .unwrap();
    let commits = faulty.commits();
    let reference = state(inner.as_ref()).await;
    assert_eq!(reference.len(), ROWS);
    let zhang_after: Vec<_> = reference
        .values()
        .filter(|(o, _)| *o == org.zhang.employee_id())
        .collect();
    assert!(zhang_after.is_empty(), "the transfer moved everything");
    assert!(commits >= 7, "the workload is several commits: {commits}");

    for k in 1..=commits {
        for mode in [FaultMode::Before, FaultMode::After] {
            let inner = make().await;
            let crm = Crm::new(inner.clone());
            let org = setup(&crm).await;
            let faulty = Arc::new(FaultyStore::new(inner.clone(), k, mode));
            let r = workload(&Crm::new(faulty.clone()), &org, &data).await;
            assert!(
                r.is_err(),
                "commit {k} ({mode:?}) failed but the workload did not notice"
            );
            // Wholly present or wholly absent: checked customer by customer inside `state`.
            let partial = state(inner.as_ref()).await;
            let z = partial
                .values()
                .filter(|(o, _)| *o == org.zhang.employee_id())
                .count();
            let zhang_imported = partial
                .keys()
                .filter(|n| {
                    let i: usize = n
                        .trim_start_matches("故障测试")
                        .split('号')
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap();
                    i.is_multiple_of(2)
                })
                .count();
            assert!(
                z == 0 || z == zhang_imported,
                "a transfer half-happened: {z} of {zhang_imported} left"
            );
            // Retrying is safe: the same workload again ends where a clean run ends.
            workload(&crm, &org, &data).await.unwrap();
            let after = state(inner.as_ref()).await;
            let names = |m: &BTreeMap<String, (uuid::Uuid, usize)>| {
                m.iter()
                    .map(|(n, (_, c))| (n.clone(), *c))
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&after), names(&reference), "commit {k} ({mode:?})");
            assert!(
                after.values().all(|(o, _)| *o != org.zhang.employee_id()),
                "commit {k} ({mode:?})"
            );
        }
    }
}

#[tokio::test]
async fn every_change_is_whole_after_any_failed_commit_on_the_memory_store() {
    sweep(|| async { Arc::new(MemoryStore::new()) as Arc<dyn Store> }).await;
}

#[tokio::test]
async fn every_change_is_whole_after_any_failed_commit_on_sled() {
    let dirs = std::sync::Mutex::new(Vec::new());
    sweep(|| {
        let (store, dir) = engines::sled();
        dirs.lock().unwrap().push(dir);
        async move { store }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_whole_after_any_failed_commit_on_sqlite() {
    let dirs = std::sync::Mutex::new(Vec::new());
    sweep(|| async {
        let (store, dir) = engines::sqlite().await;
        dirs.lock().unwrap().push(dir);
        store
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_whole_after_any_failed_commit_on_postgres() {
    if engines::postgres().await.is_none() {
        return;
    }
    sweep(|| async { engines::postgres().await.expect("server checked above") }).await;
}
