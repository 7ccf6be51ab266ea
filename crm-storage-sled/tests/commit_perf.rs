//! Commit throughput of the sled adapter against raw sled with the same batching and
//! durability. Ignored by default; run in release mode:
//!
//! `cargo test -p crm-storage-sled --release --test commit_perf -- --ignored --nocapture`
//!
//! Set `BATCHED=1` to commit with `Durability::Batched` (the raw side flushes either way).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_arithmetic,
    missing_docs
)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::Utc;
use crm_core::customer::{Contact, Customer};
use crm_core::org::{Department, Employee};
use crm_core::store::{Commit, Entity, Record, Store};
use crm_storage_sled::SledStore;
use futures::executor::block_on;
use uuid::Uuid;

const CUSTOMERS: usize = 20_000;
const BATCH: usize = 500;

fn batch(owner: Uuid, from: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for n in from..from + BATCH {
        let now = Utc::now();
        let name = format!("杭州星辰科技有限公司{n}");
        let c = Customer {
            id: Uuid::now_v7(),
            name: name.clone(),
            short_name: Some("星辰".into()),
            name_key: format!("星辰科技{n}"),
            customer_type: Some("企业".into()),
            level: Some("A类".into()),
            industry: Some("制造".into()),
            province: Some("浙江".into()),
            city: Some("杭州".into()),
            source: None,
            address: Some("西湖区文三路 100 号".into()),
            phone: Some(format!("0571-{n:08}")),
            website: None,
            credit_code: None,
            bank_name: None,
            bank_account: None,
            credit_limit: None,
            owner_id: owner,
            tags: BTreeSet::new(),
            attributes: BTreeMap::new(),
            anniversaries: Vec::new(),
            archived: false,
            created_at: now,
            created_by: owner,
            updated_at: now,
            last_contact_at: None,
            search_name: name,
            search_contacts: format!("张三 1380000{n:04}"),
        };
        out.push(c.to_record());
        for k in 0..2 {
            let ct = Contact {
                id: Uuid::now_v7(),
                customer_id: c.id,
                name: format!("联系人{k}"),
                title: None,
                mobile: Some(format!("1390000{n:04}")),
                phone: None,
                email: None,
                birthday: None,
                primary: k == 0,
                notes: None,
            };
            out.push(ct.to_record());
        }
    }
    out
}

#[test]
#[ignore = "throughput measurement; run in release mode"]
fn commit_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let batched = std::env::var("BATCHED").is_ok();
    let opts = crm_storage_sled::SledOptions {
        durability: if batched {
            crm_storage_sled::Durability::Batched
        } else {
            crm_storage_sled::Durability::FlushEachCommit
        },
        ..Default::default()
    };
    let store = SledStore::open_with(dir.path().join("lib"), opts).unwrap();
    let d = Department {
        id: Uuid::now_v7(),
        name: "d".into(),
        parent_id: None,
    };
    let e = Employee {
        id: Uuid::now_v7(),
        code: "e".into(),
        name: "e".into(),
        department_id: d.id,
        manager_id: None,
        role_ids: BTreeSet::new(),
        active: true,
    };
    let mut c = Commit::new();
    c.insert(d.to_record()).insert(e.to_record());
    block_on(store.commit(c)).unwrap();
    let batches: Vec<Vec<Record>> = (0..CUSTOMERS / BATCH)
        .map(|b| batch(e.id, b * BATCH))
        .collect();
    let records: usize = batches.iter().map(Vec::len).sum();
    let raw_batches = batches.clone();

    let t = Instant::now();
    for b in batches {
        let mut c = Commit::new();
        for r in b {
            c.insert(r);
        }
        block_on(store.commit(c)).unwrap();
    }
    let lib = t.elapsed();

    // Raw sled: the same records as JSON-ish blobs of similar size, one Batch per tree per
    // commit, then flush.
    let db = sled::open(dir.path().join("raw")).unwrap();
    let customers = db.open_tree("customer").unwrap();
    let contacts = db.open_tree("contact").unwrap();
    let t = Instant::now();
    for b in raw_batches {
        let (mut bc, mut bt) = (sled::Batch::default(), sled::Batch::default());
        for r in b {
            let bytes = format!("{:?}", r.values).into_bytes();
            if r.kind.name == "customer" {
                bc.insert(r.id.as_bytes(), &bytes[..bytes.len().min(300)]);
            } else {
                bt.insert(r.id.as_bytes(), &bytes[..bytes.len().min(120)]);
            }
        }
        customers.apply_batch(bc).unwrap();
        contacts.apply_batch(bt).unwrap();
        db.flush().unwrap();
    }
    let raw = t.elapsed();
    let rate = |d: std::time::Duration| CUSTOMERS as f64 / d.as_secs_f64();
    eprintln!(
        "{CUSTOMERS} customers ({records} records): adapter {lib:?} ({:.0} customers/s), raw {raw:?} ({:.0}/s), ratio {:.0} %",
        rate(lib),
        rate(raw),
        100.0 * raw.as_secs_f64() / lib.as_secs_f64()
    );
}
