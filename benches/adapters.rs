//! The storage adapters side by side with their raw engines, in one run.
//!
//! For each engine (memory as the baseline, sled, SQLite, and PostgreSQL when a server answers):
//!
//! - **import**: `N` customers with two contacts each (default 100,000), imported from an
//!   in-memory CSV through the library (checks, duplicate detection, indexes and audit entries
//!   included), in batches of 500 customers per durable commit; and the same number of records
//!   written by the raw engine with the same batching and durability:
//!   - sled: one `sled::Batch` of the customer, contact and audit records per 500 customers,
//!     applied to one tree, then `Db::flush` (as the adapter writes: one data tree, one batch
//!     per commit, ADR 5). Key and value sizes are *measured*: a calibration import through
//!     the library into a scratch sled store, whose data tree is then read raw and its entries
//!     averaged per key prefix, i.e. per record kind and per index (printed);
//!   - SQLite: three plain tables with the library's columns (no secondary index, no foreign
//!     key, no check), one multi-row `INSERT` per table per 500 customers inside one
//!     `BEGIN IMMEDIATE … COMMIT`, WAL and `synchronous=FULL` as the adapter sets them;
//!   - PostgreSQL: the same plain tables with the library's column types, multi-row `INSERT`s,
//!     one transaction per 500 customers (the server's own `synchronous_commit`, printed).
//!
//!
//!   A second raw variant, "raw + indexes", writes what the adapter's layout costs the engine:
//!   on SQL the same plain tables plus the library's secondary indexes (no foreign keys; on
//!   PostgreSQL also the trigram index on customer names, where pg_trgm is available); on
//!   sled every key prefix the calibration found, with its measured entries per customer and
//!   key and value sizes (index keys approximated: the prefix, text taken from the row, then a
//!   time-ordered id). It separates what the layout costs from what the adapter adds; the
//!   issue's ratio is against the plain raw side.
//!
//!   The import is **not** a criterion loop: each run is one timed import per engine and side
//!   (`CRM_BENCH_IMPORT_RUNS`, default 1, alternating raw and library), and the rates are
//!   printed (customers/s) with the ratio library/raw. The issue's target is ≥ 40 %. Nothing
//!   asserts on time.
//! - **create**: after the import, 300 sequential `create_customer` calls with one contact, as
//!   a salesperson, each timed (durable: the adapters' defaults). Median, p99, max and the
//!   first call (which may warm a cache) are printed.
//! - **search**: the multi-criteria search of `benches/customers.rs` as a salesperson who sees
//!   a tenth of the customers, timed by criterion (`iter_custom`, every call also recorded);
//!   the median is printed. The target is < 10 ms on sled and SQLite. The first (cold) search
//!   is timed on its own before criterion starts.
//!
//! Environment: `CRM_BENCH_CUSTOMERS` (size), `CRM_BENCH_IMPORT_RUNS`, `CRM_BENCH_KEEP` (keep
//! the sled and SQLite folders; their paths are printed), `CRM_BENCH_ENGINES`
//! (comma-separated subset of `memory,sled,sqlite,postgres`), `CRM_BENCH_POSTGRES_URL` (else
//! `CRM_TEST_POSTGRES_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`; a fresh
//! database is created per store and dropped at the end). CI: `CRM_BENCH_CUSTOMERS=1000 cargo
//! test --bench adapters` (criterion runs each benchmark once). Stores live under cargo's target `tmp` folder, on disk.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]
// Rates, ratios and latencies are reported as floating-point figures; no money is computed here.
#![allow(clippy::float_arithmetic)]

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use crm::core::customer::{ContactInput, CustomerInput, CustomerSearch, CustomerSort};
use crm::core::text::{company_name_key, fold_text};
use crm::sql::sqlx::{
    self,
    postgres::PgConnection,
    sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous},
    ConnectOptions as _, Connection as _, Executor as _, Postgres, QueryBuilder, Sqlite,
};
use crm::sql::WAL_CHECKPOINT_PAGES;
use tokio::runtime::Runtime;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;
use support::customers::{company, csv, import, row, Setup, SALESPEOPLE};
use support::{engine_wanted, env_usize, library_store, scratch, Engine, Pg, Place};

/// Customers per commit, on both sides (the library's default `ImportOptions::batch_size`).
const BATCH: usize = 500;
/// Sequential interactive creates timed per engine.
const CREATES: usize = 300;
/// Customers imported through the library to measure the sled adapter's record sizes.
const CALIBRATION: usize = 2_000;

fn size() -> usize {
    env_usize("CRM_BENCH_CUSTOMERS", 100_000)
}

// ---------------------------------------------------------------------------------------------
// The library side.

// ---------------------------------------------------------------------------------------------
// The raw side.

/// Column values of one generated customer, precomputed before the clock starts so that the
/// raw side times the engine and nothing else. Texts are what the library stores for the row
/// (the name key and search columns through the library's own folding functions).
struct RawCustomer {
    name: String,
    name_key: String,
    level: &'static str,
    province: &'static str,
    city: &'static str,
    owner: usize,
    tags: String,
    search_name: String,
    search_contacts: String,
    contacts: [(String, String); 2],
    detail: String,
}

fn raw_rows(n: usize) -> Vec<RawCustomer> {
    (0..n)
        .map(|i| {
            let r = row(i);
            let search_contacts = r
                .contacts
                .iter()
                .flat_map(|(c, m)| [fold_text(c), m.clone()])
                .collect::<Vec<_>>()
                .join("\u{1f}");
            RawCustomer {
                name_key: company_name_key(&r.name),
                search_name: fold_text(&r.name),
                tags: if r.tag.is_empty() {
                    "[]".to_owned()
                } else {
                    format!("[\"{}\"]", r.tag)
                },
                detail: format!("{{\"line\":{},\"name\":\"{}\"}}", i + 2, r.name),
                name: r.name,
                level: r.level,
                province: r.province,
                city: r.city,
                owner: r.owner,
                search_contacts,
                contacts: r.contacts,
            }
        })
        .collect()
}

/// One group of the sled adapter's entries as the calibration measured it (the records of one
/// kind, or the entries of one index): its key prefix, entries written per imported customer,
/// and their average key and value sizes.
#[derive(Debug, Clone)]
struct TreeShape {
    name: String,
    prefix: Vec<u8>,
    per_customer: usize,
    key: usize,
    value: usize,
}

/// What the sled adapter writes per imported customer.
#[derive(Debug, Clone)]
struct SledLayout {
    /// Every group the import writes to (set-up-only groups left out).
    trees: Vec<TreeShape>,
    per_customer_bytes: usize,
    per_customer_entries: f64,
}

impl SledLayout {
    /// The raw comparison the issue asks for: the records only (customer, contacts, audit
    /// entry), with the adapter's measured key and value sizes.
    fn records_only(&self) -> Vec<TreeShape> {
        self.trees
            .iter()
            .filter(|t| t.name.starts_with("kind/"))
            .cloned()
            .collect()
    }
}

/// The group of a key of the adapter's data tree: its tag byte and name, up to the first NUL
/// (`crm-storage-sled/src/keys.rs`), labelled for printing.
fn key_group(key: &[u8]) -> (String, Vec<u8>) {
    let end = key
        .iter()
        .position(|&b| b == 0)
        .map_or(key.len(), |i| i + 1);
    let prefix = key[..end].to_vec();
    let name = String::from_utf8_lossy(&key[1.min(key.len())..end.saturating_sub(1).max(1)]);
    let label = match key.first() {
        Some(b'r') => format!("kind/{name}"),
        Some(b'u') => format!("unique/{name}"),
        Some(b'i') => format!("index/{name}"),
        Some(b'c') => format!("count/{name}"),
        Some(b'f') => format!("referrer/{name}"),
        _ => "other".to_owned(),
    };
    (label, prefix)
}

/// Imports `CALIBRATION` customers through the library into a scratch sled store, closes it,
/// opens its folder with sled directly and measures what the adapter wrote, per key group.
fn sled_calibrate(rt: &Runtime, n: usize) -> SledLayout {
    let m = CALIBRATION.min(n).max(1);
    let dir = scratch();
    let path = dir.path().join("db");
    rt.block_on(async {
        let store = crm::open(&format!("sled:{}", path.display()))
            .await
            .expect("sled");
        let s = company(store).await;
        let data: Arc<[u8]> = csv(n / 2, m).into();
        import(&s, &data, BATCH).await;
    });
    let db = open_raw_sled(&path);
    let mut layout = SledLayout {
        trees: Vec::new(),
        per_customer_bytes: 0,
        per_customer_entries: 0.0,
    };
    // label → (prefix, entries, key bytes, value bytes)
    let mut groups: std::collections::BTreeMap<String, (Vec<u8>, usize, usize, usize)> =
        std::collections::BTreeMap::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name).expect("tree");
        for item in tree.iter() {
            let (key, value) = item.expect("entry");
            let (label, prefix) = if name.as_ref() == b"data" {
                key_group(&key)
            } else {
                (
                    format!("tree/{}", String::from_utf8_lossy(&name)),
                    Vec::new(),
                )
            };
            let g = groups.entry(label).or_insert((prefix, 0, 0, 0));
            g.1 += 1;
            g.2 += key.len();
            g.3 += value.len();
        }
    }
    let (mut bytes, mut entries) = (0usize, 0usize);
    println!(
        "sled adapter, what {m} imported customers occupy, key group by key group (raw sled read):"
    );
    println!(
        "  {:<36} {:>8} {:>9} {:>9}",
        "group", "entries", "avg key", "avg value"
    );
    for (label, (prefix, c, k, v)) in groups {
        println!("  {label:<36} {c:>8} {:>9} {:>9}", k / c, v / c);
        bytes += k + v;
        entries += c;
        // Groups the import writes to hold about one entry or more per customer; the set-up's
        // (employees, roles, …) hold a dozen entries in all.
        let per_customer = (c + m / 2) / m;
        if per_customer > 0 && !prefix.is_empty() {
            layout.trees.push(TreeShape {
                name: label,
                prefix,
                per_customer,
                key: k / c,
                value: v / c,
            });
        }
    }
    layout.per_customer_bytes = bytes / m;
    layout.per_customer_entries = entries as f64 / m as f64;
    println!(
        "  in all {entries} entries, {bytes} bytes: {:.1} entries and {} bytes per customer \
         (the company set-up's few records included)",
        layout.per_customer_entries, layout.per_customer_bytes
    );
    assert!(
        layout.records_only().len() >= 3,
        "the calibration found no customer, contact and audit records: {:?}",
        layout.trees
    );
    layout
}

/// Opens a sled folder directly, waiting for the adapter's handle to release its lock.
fn open_raw_sled(path: &std::path::Path) -> sled::Db {
    let started = Instant::now();
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(e) if started.elapsed() < Duration::from_secs(5) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("reopen sled raw: {e}"),
        }
    }
}

fn filler(len: usize, seed: &str) -> Vec<u8> {
    seed.as_bytes().iter().copied().cycle().take(len).collect()
}

/// A key of `len` bytes: the group's prefix, text from the row (so index keys land all over
/// the key space, as names and regions do), then a 16-byte time-ordered id, as the adapter's
/// keys end.
fn shaped_key(prefix: &[u8], len: usize, seed: &str) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend(filler(len.saturating_sub(16 + prefix.len()), seed));
    k.extend_from_slice(Uuid::now_v7().as_bytes());
    k
}

/// Raw sled: per 500 customers, one `sled::Batch` applied to one tree, then `Db::flush`.
/// Writes, per customer, `per_customer` entries of the measured key and value sizes for each
/// group of `shape` (the issue's comparison: the three record kinds; or the adapter's whole
/// layout).
fn raw_sled(rows: &[RawCustomer], shape: &[TreeShape]) -> Duration {
    let dir = scratch();
    let db = sled::open(dir.path().join("raw")).expect("sled raw");
    let tree = db.open_tree("data").expect("tree");
    let t = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let mut batch = sled::Batch::default();
        for r in chunk {
            for g in shape {
                for e in 0..g.per_customer {
                    let seed = r.contacts.get(e).map_or(&r.name_key, |c| &c.0);
                    batch.insert(
                        shaped_key(&g.prefix, g.key, seed),
                        filler(g.value, &r.detail),
                    );
                }
            }
        }
        tree.apply_batch(batch).expect("batch");
        db.flush().expect("flush");
    }
    let d = t.elapsed();
    drop((tree, db, dir));
    d
}

const SQLITE_RAW_SCHEMA: &str = r#"
CREATE TABLE customer (
    id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, name TEXT NOT NULL,
    short_name TEXT, name_key TEXT NOT NULL, customer_type TEXT, level TEXT, industry TEXT,
    province TEXT, city TEXT, source TEXT, address TEXT, phone TEXT, website TEXT,
    credit_code TEXT, bank_name TEXT, bank_account TEXT, credit_limit INTEGER,
    owner_id TEXT NOT NULL, tags TEXT NOT NULL, attributes TEXT NOT NULL,
    anniversaries TEXT NOT NULL, archived INTEGER NOT NULL, created_at TEXT NOT NULL,
    created_by TEXT NOT NULL, updated_at TEXT NOT NULL, last_contact_at TEXT,
    search_name TEXT NOT NULL, search_contacts TEXT NOT NULL
) STRICT;
CREATE TABLE contact (
    id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, customer_id TEXT NOT NULL,
    name TEXT NOT NULL, title TEXT, mobile TEXT, phone TEXT, email TEXT, birthday TEXT,
    is_primary INTEGER NOT NULL, notes TEXT
) STRICT;
CREATE TABLE audit_entry (
    id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, at TEXT NOT NULL,
    actor_id TEXT NOT NULL, action TEXT NOT NULL, record_kind TEXT NOT NULL, record_id TEXT,
    outcome TEXT NOT NULL, detail TEXT NOT NULL
) STRICT;
"#;

const PG_RAW_SCHEMA: &str = r#"
CREATE TABLE customer (
    id uuid PRIMARY KEY, version bigint NOT NULL, name text COLLATE "C" NOT NULL,
    short_name text COLLATE "C", name_key text COLLATE "C" NOT NULL,
    customer_type text COLLATE "C", level text COLLATE "C", industry text COLLATE "C",
    province text COLLATE "C", city text COLLATE "C", source text COLLATE "C",
    address text COLLATE "C", phone text COLLATE "C", website text COLLATE "C",
    credit_code text COLLATE "C", bank_name text COLLATE "C", bank_account text COLLATE "C",
    credit_limit numeric, owner_id uuid NOT NULL, tags jsonb NOT NULL,
    attributes jsonb NOT NULL, anniversaries jsonb NOT NULL, archived boolean NOT NULL,
    created_at timestamptz NOT NULL, created_by uuid NOT NULL, updated_at timestamptz NOT NULL,
    last_contact_at timestamptz, search_name text COLLATE "C" NOT NULL,
    search_contacts text COLLATE "C" NOT NULL
);
CREATE TABLE contact (
    id uuid PRIMARY KEY, version bigint NOT NULL, customer_id uuid NOT NULL,
    name text COLLATE "C" NOT NULL, title text COLLATE "C", mobile text COLLATE "C",
    phone text COLLATE "C", email text COLLATE "C", birthday date, is_primary boolean NOT NULL,
    notes text COLLATE "C"
);
CREATE TABLE audit_entry (
    id uuid PRIMARY KEY, version bigint NOT NULL, at timestamptz NOT NULL,
    actor_id uuid NOT NULL, action text COLLATE "C" NOT NULL,
    record_kind text COLLATE "C" NOT NULL, record_id uuid, outcome text COLLATE "C" NOT NULL,
    detail jsonb NOT NULL
);
"#;

/// The library's secondary indexes (both dialects), for the "raw + indexes" variant.
const RAW_INDEXES: &str = r#"
CREATE UNIQUE INDEX customer_name_key ON customer (name_key);
CREATE INDEX customer_owner_province_level ON customer (owner_id, province, level);
CREATE INDEX customer_credit_code ON customer (credit_code);
CREATE INDEX customer_created_at ON customer (created_at);
CREATE INDEX customer_region ON customer (province, city);
CREATE INDEX contact_customer ON contact (customer_id);
CREATE INDEX audit_entry_record ON audit_entry (record_id);
CREATE INDEX audit_entry_actor ON audit_entry (actor_id, at);
"#;

const CUSTOMER_COLS: &str = "INSERT INTO customer (id, version, name, short_name, name_key, \
    customer_type, level, industry, province, city, source, address, phone, website, \
    credit_code, bank_name, bank_account, credit_limit, owner_id, tags, attributes, \
    anniversaries, archived, created_at, created_by, updated_at, last_contact_at, search_name, \
    search_contacts) ";
const CONTACT_COLS: &str = "INSERT INTO contact (id, version, customer_id, name, title, mobile, \
    phone, email, birthday, is_primary, notes) ";
const AUDIT_COLS: &str = "INSERT INTO audit_entry (id, version, at, actor_id, action, \
    record_kind, record_id, outcome, detail) ";

/// The ids a raw batch writes, made up front so both SQL dialects bind the same values.
struct Ids {
    customer: Uuid,
    contacts: [Uuid; 2],
    audit: Uuid,
}

fn batch_ids(len: usize) -> Vec<Ids> {
    (0..len)
        .map(|_| Ids {
            customer: Uuid::now_v7(),
            contacts: [Uuid::now_v7(), Uuid::now_v7()],
            audit: Uuid::now_v7(),
        })
        .collect()
}

fn sqlite_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Raw SQLite: per 500 customers, `BEGIN IMMEDIATE`, one multi-row `INSERT` per table, `COMMIT`;
/// with `indexes`, the tables also carry the library's secondary indexes.
async fn raw_sqlite(path: &Path, rows: &[RawCustomer], owners: &[Uuid], indexes: bool) -> Duration {
    let mut conn: SqliteConnection =
        SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display()))
            .expect("sqlite url")
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // The adapter's writer settings (see crm_storage_sql's sqlite module): neither
            // durability nor batching, but where the engine keeps its statement journals and
            // how often it checkpoints, so the raw side gets them too.
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", WAL_CHECKPOINT_PAGES.to_string())
            .connect()
            .await
            .expect("sqlite raw");
    conn.execute(SQLITE_RAW_SCHEMA).await.expect("schema");
    if indexes {
        conn.execute(RAW_INDEXES).await.expect("indexes");
    }
    let manager = Uuid::now_v7().hyphenated().to_string();
    let owners: Vec<String> = owners.iter().map(|u| u.hyphenated().to_string()).collect();
    let t = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let ids = batch_ids(chunk.len());
        let now = sqlite_time(Utc::now());
        conn.execute("BEGIN IMMEDIATE").await.expect("begin");
        let mut q = QueryBuilder::<Sqlite>::new(CUSTOMER_COLS);
        q.push_values(chunk.iter().zip(&ids), |mut b, (r, id)| {
            b.push_bind(id.customer.hyphenated().to_string())
                .push_bind(1_i64)
                .push_bind(r.name.clone())
                .push_bind(None::<String>)
                .push_bind(r.name_key.clone())
                .push_bind(None::<String>)
                .push_bind(r.level)
                .push_bind(None::<String>)
                .push_bind(r.province)
                .push_bind(r.city);
            for _ in 0..7 {
                b.push_bind(None::<String>);
            }
            b.push_bind(None::<i64>)
                .push_bind(owners[r.owner].clone())
                .push_bind(r.tags.clone())
                .push_bind("{}")
                .push_bind("[]")
                .push_bind(0_i64)
                .push_bind(now.clone())
                .push_bind(manager.clone())
                .push_bind(now.clone())
                .push_bind(None::<String>)
                .push_bind(r.search_name.clone())
                .push_bind(r.search_contacts.clone());
        });
        q.build().execute(&mut conn).await.expect("customers");
        let mut q = QueryBuilder::<Sqlite>::new(CONTACT_COLS);
        let contacts = chunk
            .iter()
            .zip(&ids)
            .flat_map(|(r, id)| r.contacts.iter().zip(id.contacts));
        q.push_values(contacts.enumerate(), |mut b, (k, ((name, mobile), cid))| {
            b.push_bind(cid.hyphenated().to_string())
                .push_bind(1_i64)
                .push_bind(id_text(ids_customer(&ids, k)))
                .push_bind(name.clone())
                .push_bind(None::<String>)
                .push_bind(mobile.clone());
            for _ in 0..3 {
                b.push_bind(None::<String>);
            }
            b.push_bind(i64::from(k % 2 == 0)).push_bind(None::<String>);
        });
        q.build().execute(&mut conn).await.expect("contacts");
        let mut q = QueryBuilder::<Sqlite>::new(AUDIT_COLS);
        q.push_values(chunk.iter().zip(&ids), |mut b, (r, id)| {
            b.push_bind(id.audit.hyphenated().to_string())
                .push_bind(1_i64)
                .push_bind(now.clone())
                .push_bind(manager.clone())
                .push_bind("customer.import")
                .push_bind("customer")
                .push_bind(id.customer.hyphenated().to_string())
                .push_bind("done")
                .push_bind(r.detail.clone());
        });
        q.build().execute(&mut conn).await.expect("audit");
        conn.execute("COMMIT").await.expect("commit");
    }
    let d = t.elapsed();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM customer")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(usize::try_from(count).ok(), Some(rows.len()));
    conn.close().await.expect("close");
    d
}

fn ids_customer(ids: &[Ids], contact_index: usize) -> Uuid {
    ids[contact_index / 2].customer
}

fn id_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// Raw PostgreSQL: per 500 customers, `BEGIN`, one multi-row `INSERT` per table, `COMMIT`;
/// with `indexes`, the tables also carry the library's secondary indexes.
async fn raw_postgres(url: &str, rows: &[RawCustomer], owners: &[Uuid], indexes: bool) -> Duration {
    let mut conn = PgConnection::connect(url).await.expect("postgres raw");
    conn.execute(PG_RAW_SCHEMA).await.expect("schema");
    if indexes {
        conn.execute(RAW_INDEXES).await.expect("indexes");
        // The trigram index the adapter keeps on customer names where pg_trgm is available,
        // made by the adapter's own migration text (it only notes a failure).
        conn.execute(include_str!(
            "../crm-storage-sql/migrations/postgres/0014_customer_name_trigrams.sql"
        ))
        .await
        .expect("trigram index");
    }
    let manager = Uuid::now_v7();
    let t = Instant::now();
    for chunk in rows.chunks(BATCH) {
        let ids = batch_ids(chunk.len());
        let now = Utc::now();
        conn.execute("BEGIN").await.expect("begin");
        let mut q = QueryBuilder::<Postgres>::new(CUSTOMER_COLS);
        q.push_values(chunk.iter().zip(&ids), |mut b, (r, id)| {
            b.push_bind(id.customer)
                .push_bind(1_i64)
                .push_bind(r.name.clone())
                .push_bind(None::<String>)
                .push_bind(r.name_key.clone())
                .push_bind(None::<String>)
                .push_bind(r.level)
                .push_bind(None::<String>)
                .push_bind(r.province)
                .push_bind(r.city);
            for _ in 0..7 {
                b.push_bind(None::<String>);
            }
            b.push_bind(None::<rust_decimal::Decimal>)
                .push_bind(owners[r.owner])
                .push_bind(r.tags.clone())
                .push_unseparated("::jsonb")
                .push_bind("{}")
                .push_unseparated("::jsonb")
                .push_bind("[]")
                .push_unseparated("::jsonb")
                .push_bind(false)
                .push_bind(now)
                .push_bind(manager)
                .push_bind(now)
                .push_bind(None::<DateTime<Utc>>)
                .push_bind(r.search_name.clone())
                .push_bind(r.search_contacts.clone());
        });
        q.build().execute(&mut conn).await.expect("customers");
        let mut q = QueryBuilder::<Postgres>::new(CONTACT_COLS);
        let contacts = chunk
            .iter()
            .zip(&ids)
            .flat_map(|(r, id)| r.contacts.iter().zip(id.contacts));
        q.push_values(contacts.enumerate(), |mut b, (k, ((name, mobile), cid))| {
            b.push_bind(cid)
                .push_bind(1_i64)
                .push_bind(ids_customer(&ids, k))
                .push_bind(name.clone())
                .push_bind(None::<String>)
                .push_bind(mobile.clone())
                .push_bind(None::<String>)
                .push_bind(None::<String>)
                .push_bind(None::<chrono::NaiveDate>)
                .push_bind(k % 2 == 0)
                .push_bind(None::<String>);
        });
        q.build().execute(&mut conn).await.expect("contacts");
        let mut q = QueryBuilder::<Postgres>::new(AUDIT_COLS);
        q.push_values(chunk.iter().zip(&ids), |mut b, (r, id)| {
            b.push_bind(id.audit)
                .push_bind(1_i64)
                .push_bind(now)
                .push_bind(manager)
                .push_bind("customer.import")
                .push_bind("customer")
                .push_bind(id.customer)
                .push_bind("done")
                .push_bind(r.detail.clone())
                .push_unseparated("::jsonb");
        });
        q.build().execute(&mut conn).await.expect("audit");
        conn.execute("COMMIT").await.expect("commit");
    }
    let d = t.elapsed();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM customer")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(usize::try_from(count).ok(), Some(rows.len()));
    conn.close().await.expect("close");
    d
}

// ---------------------------------------------------------------------------------------------
// Engines.

/// What one engine measured.
struct Figures {
    engine: Engine,
    library: Vec<f64>,
    raw: Vec<f64>,
    raw_full: Vec<f64>,
    create_first: Duration,
    create_median: Duration,
    create_p99: Duration,
    create_max: Duration,
    search_first: Duration,
    search_median: Duration,
    searches: usize,
    visible: u64,
}

fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

/// The value at quantile `q` (nearest rank) of sorted durations.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One raw import of `rows` on `engine` (none for memory); `full` adds the adapter's indexes
/// (SQL) or writes the adapter's whole measured layout (sled).
fn raw_import(
    rt: &Runtime,
    engine: Engine,
    pg: Option<&Pg>,
    rows: &[RawCustomer],
    sled_layout: Option<&SledLayout>,
    full: bool,
) -> Option<Duration> {
    let owners: Vec<Uuid> = (0..SALESPEOPLE).map(|_| Uuid::now_v7()).collect();
    match engine {
        Engine::Memory => None,
        Engine::Sled => {
            let layout = sled_layout.expect("sled layout calibrated");
            let shape = if full {
                layout.trees.clone()
            } else {
                layout.records_only()
            };
            Some(raw_sled(rows, &shape))
        }
        Engine::Sqlite => {
            let dir = scratch();
            let path = dir.path().join("raw.db");
            Some(rt.block_on(raw_sqlite(&path, rows, &owners, full)))
        }
        Engine::Postgres => rt.block_on(async {
            let pg = pg.expect("postgres server");
            let (url, db) = pg.create().await;
            let d = raw_postgres(&url, rows, &owners, full).await;
            pg.drop_db(&db).await;
            Some(d)
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn run_engine(
    c: &mut Criterion,
    rt: &Runtime,
    engine: Engine,
    pg: Option<&Pg>,
    n: usize,
    data: &Arc<[u8]>,
    rows: &[RawCustomer],
    sled_layout: Option<&SledLayout>,
) -> Figures {
    let runs = env_usize("CRM_BENCH_IMPORT_RUNS", 1).max(1);
    let name = engine.name();
    let mut library = Vec::new();
    let mut raw = Vec::new();
    let mut raw_full = Vec::new();
    let mut kept: Option<(Setup, Place)> = None;
    for run in 1..=runs {
        // Raw first (plain, then with the adapter's indexes), then the library, in every run:
        // neither side always runs on a cold cache.
        for (full, out) in [(false, &mut raw), (true, &mut raw_full)] {
            let Some(d) = raw_import(rt, engine, pg, rows, sled_layout, full) else {
                continue;
            };
            let r = n as f64 / d.as_secs_f64();
            let what = if full { "raw + indexes" } else { "raw" };
            println!(
                "{name} {what} import run {run}: {n} customers in {:.2} s = {r:.0} customers/s",
                d.as_secs_f64()
            );
            out.push(r);
        }
        // Drop the previous run's store (and its database) before making the next one.
        if let Some((s, place)) = kept.take() {
            drop(s);
            if let (Place::Pg { name: db, .. }, Some(pg)) = (&place, pg) {
                rt.block_on(pg.drop_db(db));
            }
        }
        let (s, place) = rt.block_on(async {
            let (store, place) = library_store(engine, pg).await;
            (company(store).await, place)
        });
        let t = Instant::now();
        let created = rt.block_on(import(&s, data, BATCH));
        let d = t.elapsed();
        let r = created as f64 / d.as_secs_f64();
        println!(
            "{name} library import run {run}: {created} customers in {:.2} s = {r:.0} customers/s",
            d.as_secs_f64()
        );
        library.push(r);
        kept = Some((s, place));
    }
    let (s, place) = kept.expect("at least one run");
    if let (Some(l), Some(r), Some(f)) = (median(&library), median(&raw), median(&raw_full)) {
        println!(
            "{name} import: library {l:.0} customers/s, raw {r:.0} customers/s, library/raw {:.1} % \
             (target >= 40 %); raw + indexes {f:.0} customers/s, library/(raw + indexes) {:.1} %",
            100.0 * l / r,
            100.0 * l / f
        );
    }

    // One interactive change at a time, durable, timed each.
    let who = s.salespeople[3];
    let mut creates = Vec::with_capacity(CREATES);
    rt.block_on(async {
        for i in 0..CREATES {
            let input = CustomerInput::builder()
                .name(format!("交互{name}第{i}号新客户有限公司"))
                .level(Some("A类".into()))
                .province(Some("浙江".into()))
                .city(Some("杭州".into()))
                .build();
            let contact = ContactInput::builder()
                .name(format!("新联系人{i}"))
                .mobile(Some(format!("18{i:09}")))
                .build();
            let t = Instant::now();
            s.crm
                .create_customer(who, input, vec![contact])
                .await
                .expect("create");
            creates.push(t.elapsed());
        }
    });
    let create_first = creates.first().copied().unwrap_or_default();
    creates.sort();
    let (create_median, create_p99) = (quantile(&creates, 0.5), quantile(&creates, 0.99));
    let create_max = creates.last().copied().unwrap_or_default();
    println!(
        "{name} create (1 customer + 1 contact, durable): median {:.2} ms, p99 {:.2} ms, max {:.2} ms, \
         first {:.2} ms over {CREATES} sequential creates",
        ms(create_median),
        ms(create_p99),
        ms(create_max),
        ms(create_first)
    );

    // The multi-criteria search of benches/customers.rs.
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
    let t = Instant::now();
    let first = rt
        .block_on(s.crm.search_customers(who, &search))
        .expect("search");
    let search_first = t.elapsed();
    assert!(first.total > 0 || n < 100, "the search finds customers");
    let mut times: Vec<Duration> = Vec::new();
    let total = n + CREATES;
    let mut g = c.benchmark_group(name);
    if matches!(engine, Engine::Sqlite | Engine::Postgres) {
        g.sample_size(20);
    }
    g.bench_function(
        format!("search {total} customers as a salesperson seeing {visible}"),
        |b| {
            b.iter_custom(|iters| {
                let mut sum = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let page = rt
                        .block_on(s.crm.search_customers(who, &search))
                        .expect("search");
                    let d = t.elapsed();
                    criterion::black_box(page);
                    times.push(d);
                    sum += d;
                }
                sum
            })
        },
    );
    g.finish();
    times.sort();
    let search_median = quantile(&times, 0.5);
    println!(
        "{name} search: median {:.3} ms over {} searches, first {:.3} ms ({visible} visible of {total})",
        ms(search_median),
        times.len(),
        ms(search_first)
    );

    drop(s);
    if let (Place::Pg { name: db, .. }, Some(pg)) = (&place, pg) {
        rt.block_on(pg.drop_db(db));
    }
    drop(place);
    Figures {
        engine,
        library,
        raw,
        raw_full,
        create_first,
        create_median,
        create_p99,
        create_max,
        search_first,
        search_median,
        searches: times.len(),
        visible,
    }
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

fn summary(n: usize, figures: &[Figures]) {
    println!("\n## Summary ({n} customers with 2 contacts, batches of {BATCH})\n");
    println!(
        "| engine | library customers/s | raw customers/s | library/raw | target >= 40 % | \
         raw + indexes customers/s | library/(raw + indexes) |"
    );
    println!("| --- | ---: | ---: | ---: | --- | ---: | ---: |");
    for f in figures {
        let l = median(&f.library).unwrap_or(0.0);
        match (median(&f.raw), median(&f.raw_full)) {
            (Some(r), Some(x)) => println!(
                "| {} | {l:.0} | {r:.0} | {:.1} % | {} | {x:.0} | {:.1} % |",
                f.engine.name(),
                100.0 * l / r,
                verdict(l / r >= 0.4),
                100.0 * l / x
            ),
            _ => println!(
                "| {} | {l:.0} | – | – | baseline | – | – |",
                f.engine.name()
            ),
        }
    }
    println!("\n| engine | create median ms | create p99 ms | create max ms | first create ms |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for f in figures {
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            f.engine.name(),
            ms(f.create_median),
            ms(f.create_p99),
            ms(f.create_max),
            ms(f.create_first)
        );
    }
    println!(
        "\n| engine | search median ms | searches | first search ms | visible | target < 10 ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | --- |");
    for f in figures {
        let target = match f.engine {
            Engine::Sled | Engine::Sqlite => verdict(ms(f.search_median) < 10.0),
            _ => "–",
        };
        println!(
            "| {} | {:.3} | {} | {:.3} | {} | {target} |",
            f.engine.name(),
            ms(f.search_median),
            f.searches,
            ms(f.search_first),
            f.visible
        );
    }
}

fn benches(c: &mut Criterion) {
    let n = size();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let data: Arc<[u8]> = csv(0, n).into();
    let rows = raw_rows(n);
    let pg = if engine_wanted("postgres") {
        rt.block_on(Pg::find())
    } else {
        None
    };
    let mut figures = Vec::new();
    for engine in Engine::ALL {
        if !engine_wanted(engine.name()) || (engine == Engine::Postgres && pg.is_none()) {
            continue;
        }
        let layout = (engine == Engine::Sled).then(|| sled_calibrate(&rt, n));
        figures.push(run_engine(
            c,
            &rt,
            engine,
            pg.as_ref(),
            n,
            &data,
            &rows,
            layout.as_ref(),
        ));
    }
    summary(n, &figures);
}

criterion_group!(adapters, benches);
criterion_main!(adapters);
