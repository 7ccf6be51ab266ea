//! Imports a customer CSV into a new store and says how long it took.
//!
//! ```text
//! cargo run --release --example import_file -- sled:./target/imp/sled  customers.csv
//! cargo run --release --example import_file -- sqlite:./target/imp/crm.db customers.csv
//! ```
//!
//! The store must be empty: the program sets up a company whose administrator owns every
//! imported customer (rows naming an owner by 负责人工号 must name `admin`). The file is
//! streamed (read twice, never held whole), bad rows are skipped and counted
//! ([`ImportMode::SkipInvalid`]), and the batches are the library's default (500 customers per
//! durable commit). `benches/import_memory.sh` runs it under `/usr/bin/time -v` to measure the
//! peak memory of a large import.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

use crm::core::service::{ImportMode, ImportOptions, ImportPhase};
use crm::core::table::{TableReader, TextEncoding};
use crm::Crm;

#[tokio::main]
async fn main() -> crm::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(file)) = (args.next(), args.next().map(PathBuf::from)) else {
        eprintln!("usage: import_file URL FILE.csv   (URL: sled:DIR, sqlite:FILE, postgres://…)");
        std::process::exit(2);
    };
    let crm = Crm::new(crm::open(&url).await?);
    let admin = crm
        .bootstrap("导入测试贸易有限公司", "admin", "管理员")
        .await?;

    let open = || {
        let f = File::open(&file).map_err(|e| crm::Error::invalid("file", e))?;
        TableReader::csv(BufReader::with_capacity(1 << 16, f), TextEncoding::Auto)
    };
    let options = ImportOptions {
        mode: ImportMode::SkipInvalid,
        ..ImportOptions::default()
    };
    let started = Instant::now();
    // Progress on stderr every 100,000 rows of each phase (check, then write).
    let mut last = (ImportPhase::Checking, 0u64);
    let report = crm
        .import_customers(admin, open, &options, |p| {
            if p.phase != last.0 {
                last = (p.phase, 0);
            }
            if p.rows_done / 100_000 > last.1 / 100_000 {
                let phase = match p.phase {
                    ImportPhase::Checking => "checked",
                    ImportPhase::Writing => "written",
                };
                eprintln!(
                    "  {phase} {:>9} rows after {:.1?}",
                    p.rows_done,
                    started.elapsed()
                );
            }
            last.1 = p.rows_done;
        })
        .await?;
    let elapsed = started.elapsed();

    let millis = elapsed.as_millis().max(1);
    let rate = u128::from(report.created) * 1000 / millis;
    println!("store     {url}");
    println!("file      {}", file.display());
    println!("rows      {}", report.rows);
    println!("created   {}", report.created);
    println!(
        "skipped   {} duplicates, {} invalid",
        report.duplicates, report.invalid
    );
    println!("elapsed   {elapsed:.2?}");
    println!("rate      {rate} customers/s");
    Ok(())
}
