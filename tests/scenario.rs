//! The customer scenario (org chart, import of the sample, visibility, share, contact record,
//! archive, transfer, export) on every adapter this build has, with identical results.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use crm::core::store::MemoryStore;
use support::engines;

#[tokio::test]
async fn customer_scenario_on_the_memory_store() {
    let s = support::run(Arc::new(MemoryStore::new())).await;
    assert_eq!(s.dry_run, (1000, 986, 6, 8));
    assert_eq!(s.imported, 986);
    assert_eq!(s.visible[0].1, 986, "the manager sees the whole team");
    assert!(
        s.visible[1].1 + s.visible[2].1 < s.visible[0].1,
        "the manager also owns some: {s:?}"
    );
    assert_eq!(
        s.after_share,
        s.visible[2].1 + 3,
        "three customers shared with 李四"
    );
    assert!(s.archived);
    assert_eq!(s.after_transfer[0].1, 0);
    assert_eq!(
        s.export_lines as u64,
        s.after_transfer[1].1 + 1,
        "header plus one line per visible customer"
    );
    assert_eq!(s.search_names.len(), 10);
    let mut sorted = s.search_names.clone();
    sorted.sort();
    assert_eq!(s.search_names, sorted);
    assert_eq!(
        s.products,
        [
            ("P-002".to_owned(), "0.35".parse().unwrap()),
            ("P-003".to_owned(), "88".parse().unwrap())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_scenario_gives_identical_results_on_every_engine() {
    let memory = support::run(Arc::new(MemoryStore::new())).await;
    let (sled, _d1) = engines::sled();
    assert_eq!(support::run(sled).await, memory, "sled");
    let (sqlite, _d2) = engines::sqlite().await;
    assert_eq!(support::run(sqlite).await, memory, "SQLite");
    if let Some(pg) = engines::postgres().await {
        assert_eq!(support::run(pg).await, memory, "PostgreSQL");
    }
}
