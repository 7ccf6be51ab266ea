//! What the benchmarks share: their environment variables, the engines, scratch folders, the
//! PostgreSQL server and a fresh library store per engine. Included by each benchmark with
//! `#[path = "support/mod.rs"] mod support;` (cargo makes no target of this folder).
#![allow(dead_code)]

pub mod customers;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crm::core::store::{MemoryStore, Store};
use crm::sql::sqlx::{self, postgres::PgConnection, Connection as _, Executor as _};
use uuid::Uuid;

/// A size or count from the environment, or its default.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Whether `CRM_BENCH_ENGINES` (a comma-separated list; all when unset) names the engine.
pub fn engine_wanted(name: &str) -> bool {
    std::env::var("CRM_BENCH_ENGINES").map_or(true, |l| l.split(',').any(|e| e.trim() == name))
}

/// The engines, in the order the benchmarks run them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Engine {
    Memory,
    Sled,
    Sqlite,
    Postgres,
}

impl Engine {
    pub const ALL: [Engine; 4] = [
        Engine::Memory,
        Engine::Sled,
        Engine::Sqlite,
        Engine::Postgres,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Engine::Memory => "memory",
            Engine::Sled => "sled",
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// A scratch folder under cargo's target `tmp` folder, on disk; removed when dropped unless
/// `CRM_BENCH_KEEP` is set (then kept, and its path printed, for looking at afterwards, for
/// instance the SQLite file with `sqlite3`).
pub fn scratch() -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).expect("target tmp folder");
    let mut dir = tempfile::Builder::new()
        .prefix("crm-bench-")
        .tempdir_in(base)
        .expect("scratch folder");
    if std::env::var_os("CRM_BENCH_KEEP").is_some() {
        println!("keeping {}", dir.path().display());
        dir.disable_cleanup(true);
    }
    dir
}

/// The PostgreSQL server, when one answers: `CRM_BENCH_POSTGRES_URL`, else
/// `CRM_TEST_POSTGRES_URL`, else the local server.
pub struct Pg {
    server: String,
}

impl Pg {
    /// The server, with its durability settings printed; `None` (said why) when it does not
    /// answer within 5 s.
    pub async fn find() -> Option<Pg> {
        let server = std::env::var("CRM_BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("CRM_TEST_POSTGRES_URL"))
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&server)).await {
            Ok(Ok(mut conn)) => {
                for setting in [
                    "server_version",
                    "synchronous_commit",
                    "fsync",
                    "wal_sync_method",
                ] {
                    let v: String = sqlx::query_scalar(&format!("SHOW {setting}"))
                        .fetch_one(&mut conn)
                        .await
                        .unwrap_or_default();
                    println!("postgres {setting} = {v}");
                }
                let _ = conn.close().await;
                Some(Pg { server })
            }
            Ok(Err(e)) => {
                println!("skipping PostgreSQL: {server} does not answer ({e})");
                None
            }
            Err(_) => {
                println!("skipping PostgreSQL: {server} does not answer within 5 s");
                None
            }
        }
    }

    /// A fresh database; returns its URL and name.
    pub async fn create(&self) -> (String, String) {
        let mut conn = PgConnection::connect(&self.server).await.expect("postgres");
        let name = format!("crm_bench_{}", Uuid::now_v7().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create database");
        let _ = conn.close().await;
        let (base, _) = self
            .server
            .rsplit_once('/')
            .expect("a URL with a database name");
        (format!("{base}/{name}"), name)
    }

    /// Drops a database made by [`Pg::create`].
    pub async fn drop_db(&self, name: &str) {
        if let Ok(mut conn) = PgConnection::connect(&self.server).await {
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
            let _ = conn.close().await;
        }
    }
}

/// Where a library store lives, kept alive while it is used.
pub enum Place {
    None,
    /// The scratch folder (removed when dropped) and the store's file or folder in it.
    Dir {
        _guard: tempfile::TempDir,
        path: PathBuf,
    },
    /// The database's URL and name.
    Pg {
        url: String,
        name: String,
    },
}

/// A fresh library store of the engine with the adapters' defaults (durable commits; on sled
/// the record cache on first scan), and where it lives.
pub async fn library_store(engine: Engine, pg: Option<&Pg>) -> (Arc<dyn Store>, Place) {
    let in_dir = |file: &str| {
        let dir = scratch();
        let path = dir.path().join(file);
        (dir, path)
    };
    match engine {
        Engine::Memory => (Arc::new(MemoryStore::new()), Place::None),
        Engine::Sled => {
            let (dir, path) = in_dir("db");
            let store = crm::open(&format!("sled:{}", path.display()))
                .await
                .expect("sled");
            (store, Place::Dir { _guard: dir, path })
        }
        Engine::Sqlite => {
            let (dir, path) = in_dir("crm.db");
            let store = crm::open(&format!("sqlite:{}", path.display()))
                .await
                .expect("sqlite");
            (store, Place::Dir { _guard: dir, path })
        }
        Engine::Postgres => {
            let pg = pg.expect("postgres server");
            let (url, name) = pg.create().await;
            let store = crm::open(&url).await.expect("postgres");
            (store, Place::Pg { url, name })
        }
    }
}
