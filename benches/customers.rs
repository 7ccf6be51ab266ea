//! Customer import and search on the in-memory store: the baseline the adapters are held to.
//!
//! - `import`: 100,000 customers with two contacts each, from an in-memory CSV, through the
//!   library (checks, duplicate detection, indexes and audit entries included). Reported as
//!   customers per second.
//! - `search`: a multi-criteria search over those 100,000 as a salesperson who sees a tenth of
//!   them. Reported as median latency.
//!
//! `CRM_BENCH_CUSTOMERS` overrides the size (CI runs a small one with `cargo bench -- --test`).

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]
// Rates and latencies are reported as floating-point figures; no money is computed here.
#![allow(clippy::float_arithmetic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crm::core::customer::{CustomerSearch, CustomerSort};
use crm::core::service::ImportOptions;
use crm::core::store::MemoryStore;

#[path = "support/mod.rs"]
mod support;
use support::customers::{company, csv, import, Setup};
use support::env_usize;

fn size() -> usize {
    env_usize("CRM_BENCH_CUSTOMERS", 100_000)
}

/// The company of [`support::customers`] on a fresh in-memory store.
fn memory_company(rt: &tokio::runtime::Runtime) -> Setup {
    rt.block_on(company(Arc::new(MemoryStore::new())))
}

fn benches(c: &mut Criterion) {
    let n = size();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let data: Arc<[u8]> = csv(0, n).into();
    let batch = ImportOptions::default().batch_size;

    let mut g = c.benchmark_group("memory");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    let mut rates = Vec::new();
    g.bench_function(format!("import {n} customers with 2 contacts"), |b| {
        b.iter_batched(
            || memory_company(&rt),
            |s| {
                let t = Instant::now();
                let created = rt.block_on(import(&s, &data, batch));
                rates.push(created as f64 / t.elapsed().as_secs_f64());
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    rates.sort_by(f64::total_cmp);
    if let Some(r) = rates.get(rates.len() / 2) {
        println!(
            "memory import: median {r:.0} customers/s over {} runs",
            rates.len()
        );
    }

    let s = memory_company(&rt);
    rt.block_on(import(&s, &data, batch));
    let who = s.salespeople[3];
    let search = CustomerSearch::builder()
        .name_contains(Some("科技".into()))
        .provinces(vec!["浙江".into(), "广东".into(), "北京".into()])
        .levels(vec!["A类".into(), "B类".into()])
        .sort(CustomerSort::NameAsc)
        .limit(20)
        .build();
    let visible = rt
        .block_on(s.crm.count_customers(who, &CustomerSearch::default()))
        .expect("count");
    let mut times: Vec<Duration> = Vec::new();
    let mut g = c.benchmark_group("memory");
    g.bench_function(
        format!("search {n} customers as a salesperson seeing {visible}"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let page = rt
                        .block_on(s.crm.search_customers(who, &search))
                        .expect("search");
                    let d = t.elapsed();
                    criterion::black_box(page);
                    times.push(d);
                    total += d;
                }
                total
            })
        },
    );
    g.finish();
    times.sort();
    if let Some(m) = times.get(times.len() / 2) {
        println!(
            "memory search: median {:.3} ms over {} searches ({visible} visible of {n})",
            m.as_secs_f64() * 1e3,
            times.len()
        );
    }
}

criterion_group!(customers, benches);
criterion_main!(customers);
