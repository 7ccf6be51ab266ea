//! The storage conformance suite on every adapter this build has.

use std::sync::Arc;

use crm::core::store::{conformance, MemoryStore};

#[test]
fn memory_store_passes_the_conformance_suite() {
    let store = Arc::new(MemoryStore::new());
    let passed =
        futures::executor::block_on(conformance::run_all(store, conformance::thread_spawner()))
            .expect("conformance");
    assert_eq!(passed.len(), 12);
}

#[test]
fn memory_store_passes_the_conformance_suite_twice_on_the_same_data() {
    let store = Arc::new(MemoryStore::new());
    for _ in 0..2 {
        futures::executor::block_on(conformance::run_all(
            store.clone(),
            conformance::thread_spawner(),
        ))
        .expect("conformance");
    }
}
