//! The migrated schema of both backends against the core's descriptions
//! (`crm_core::catalog::KINDS`): every table, column, type, nullability, index and foreign key,
//! and nothing else (on PostgreSQL besides: the trigram index on customer names, migration 0014). A kind or column added to the core without a migration fails here.
//!
//! Also: the integrator's plain SQL report of the crate documentation, run on both backends.

// The tests use both backends; a build with one of them runs none of them.
#![cfg(all(feature = "sqlite", feature = "postgres"))]

mod common;

use std::collections::BTreeSet;

use crm_core::catalog::KINDS;
use crm_core::store::{ColumnType, Commit, Entity, Kind, OnDelete, Store};
use crm_storage_sql::sqlx::{self, Row};
use crm_storage_sql::SqliteStore;

/// (column, type, not null) of a kind's table, `id` and `version` first.
fn expected_columns(
    kind: &Kind,
    ty: fn(ColumnType) -> &'static str,
) -> Vec<(String, String, bool)> {
    let mut cols = vec![
        ("id".to_owned(), ty(ColumnType::Id).to_owned(), true),
        ("version".to_owned(), ty(ColumnType::Int).to_owned(), true),
    ];
    cols.extend(
        kind.columns
            .iter()
            .map(|c| (c.name.to_owned(), ty(c.ty).to_owned(), !c.nullable)),
    );
    cols
}

/// (index, unique, columns) of a kind: every index of the catalogue but a non-unique one whose
/// columns begin another index of the kind, which serves its look-ups (`customer_owner`,
/// answered by `customer_owner_province_level`).
fn expected_indexes(kind: &Kind) -> BTreeSet<(String, bool, Vec<String>)> {
    let covered = |i: &crm_core::store::Index| {
        !i.unique
            && kind.indexes.iter().any(|o| {
                o.name != i.name
                    && o.columns.len() > i.columns.len()
                    && o.columns.starts_with(i.columns)
            })
    };
    kind.indexes
        .iter()
        .filter(|i| !covered(i))
        .map(|i| {
            (
                i.name.to_owned(),
                i.unique,
                i.columns.iter().map(|c| (*c).to_owned()).collect(),
            )
        })
        .collect()
}

/// (column, referenced table) of a kind: every reference that must hold (not `Keep`).
fn expected_foreign_keys(kind: &Kind) -> BTreeSet<(String, String)> {
    kind.columns
        .iter()
        .filter_map(|c| c.references.map(|r| (c, r)))
        .filter(|(_, r)| r.on_delete != OnDelete::Keep)
        .map(|(c, r)| (c.name.to_owned(), r.kind.to_owned()))
        .collect()
}

fn kind_names() -> BTreeSet<String> {
    KINDS.iter().map(|k| k.name.to_owned()).collect()
}

fn sqlite_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Int | ColumnType::Bool | ColumnType::Decimal => "INTEGER",
        ColumnType::Text
        | ColumnType::Id
        | ColumnType::Date
        | ColumnType::Timestamp
        | ColumnType::Json => "TEXT",
        ColumnType::Bytes => "BLOB",
    }
}

fn postgres_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Bool => "boolean",
        ColumnType::Int => "bigint",
        ColumnType::Decimal => "numeric",
        ColumnType::Text => "text",
        ColumnType::Date => "date",
        ColumnType::Timestamp => "timestamp with time zone",
        ColumnType::Id => "uuid",
        ColumnType::Json => "jsonb",
        ColumnType::Bytes => "bytea",
    }
}

#[tokio::test]
async fn sqlite_schema_matches_the_core() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_path(dir.path().join("crm.db"))
        .await
        .expect("open");
    let pool = store.pool();

    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("tables")
    .into_iter()
    .collect();
    assert_eq!(tables, kind_names(), "tables");

    for kind in KINDS {
        let (strict, without_rowid): (i64, i64) =
            sqlx::query_as("SELECT strict, wr FROM pragma_table_list WHERE name = ?")
                .bind(kind.name)
                .fetch_one(pool)
                .await
                .expect("table list");
        assert_eq!(strict, 1, "{} is not STRICT", kind.name);
        // A lone "contains" reads its rows by rowid (`crm_storage_sql`'s `sql::query`).
        assert_eq!(without_rowid, 0, "{} is WITHOUT ROWID", kind.name);

        let rows = sqlx::query(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind(kind.name)
        .fetch_all(pool)
        .await
        .expect("table info");
        let columns: Vec<(String, String, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.get("name"),
                    r.get("type"),
                    r.get::<i64, _>("notnull") == 1,
                )
            })
            .collect();
        assert_eq!(
            columns,
            expected_columns(kind, sqlite_type),
            "columns of {}",
            kind.name
        );
        let pk: Vec<String> = rows
            .iter()
            .filter(|r| r.get::<i64, _>("pk") > 0)
            .map(|r| r.get("name"))
            .collect();
        assert_eq!(pk, ["id"], "primary key of {}", kind.name);

        let mut indexes = BTreeSet::new();
        let list =
            sqlx::query("SELECT name, \"unique\" FROM pragma_index_list(?) WHERE origin = 'c'")
                .bind(kind.name)
                .fetch_all(pool)
                .await
                .expect("index list");
        for r in list {
            let name: String = r.get("name");
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(pool)
                    .await
                    .expect("index info");
            indexes.insert((name, r.get::<i64, _>("unique") == 1, columns));
        }
        assert_eq!(indexes, expected_indexes(kind), "indexes of {}", kind.name);

        let fks: BTreeSet<(String, String)> =
            sqlx::query("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?)")
                .bind(kind.name)
                .fetch_all(pool)
                .await
                .expect("foreign keys")
                .iter()
                .map(|r| {
                    assert_eq!(r.get::<String, _>("to"), "id");
                    (r.get("from"), r.get("table"))
                })
                .collect();
        assert_eq!(
            fks,
            expected_foreign_keys(kind),
            "foreign keys of {}",
            kind.name
        );
        // Deferred: pragma_foreign_key_list does not say, the table's SQL does.
        let ddl: String =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?")
                .bind(kind.name)
                .fetch_one(pool)
                .await
                .expect("table sql");
        assert_eq!(
            ddl.matches("DEFERRABLE INITIALLY DEFERRED").count(),
            fks.len(),
            "every foreign key of {} is deferred",
            kind.name
        );
    }
    store.close().await;
}

#[tokio::test]
async fn postgres_schema_matches_the_core() {
    let Some(db) = common::PgDb::create("postgres_schema_matches_the_core").await else {
        return;
    };
    let store = db.store().await;
    let pool = store.pool();

    let tables: BTreeSet<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
         AND tablename <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .expect("tables")
    .into_iter()
    .collect();
    assert_eq!(tables, kind_names(), "tables");

    for kind in KINDS {
        let rows = sqlx::query(
            "SELECT column_name::text AS name, data_type::text AS ty, is_nullable::text AS nullable, \
                    collation_name::text AS collation \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(kind.name)
        .fetch_all(pool)
        .await
        .expect("columns");
        let columns: Vec<(String, String, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.get("name"),
                    r.get("ty"),
                    r.get::<String, _>("nullable") == "NO",
                )
            })
            .collect();
        assert_eq!(
            columns,
            expected_columns(kind, postgres_type),
            "columns of {}",
            kind.name
        );
        for r in &rows {
            if r.get::<String, _>("ty") == "text" {
                assert_eq!(
                    r.get::<Option<String>, _>("collation").as_deref(),
                    Some("C"),
                    "{}.{} must sort byte-wise",
                    kind.name,
                    r.get::<String, _>("name")
                );
            }
        }

        let pk: Vec<String> = sqlx::query_scalar(
            "SELECT a.attname::text FROM pg_constraint con \
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey) \
             WHERE con.contype = 'p' AND con.conrelid = $1::regclass AND con.conname = $2",
        )
        .bind(format!("\"{}\"", kind.name))
        .bind(format!("{}_pkey", kind.name))
        .fetch_all(pool)
        .await
        .expect("primary key");
        assert_eq!(pk, ["id"], "primary key of {}", kind.name);

        let indexes: BTreeSet<(String, bool, Vec<String>)> = sqlx::query(
            "SELECT i.relname::text AS name, ix.indisunique AS uniq, \
                    array_agg(a.attname::text ORDER BY k.ord) AS columns \
             FROM pg_index ix \
             JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) ON TRUE \
             JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum \
             JOIN pg_am am ON am.oid = i.relam \
             WHERE ix.indrelid = $1::regclass AND NOT ix.indisprimary AND am.amname = 'btree' \
             GROUP BY i.relname, ix.indisunique",
        )
        .bind(format!("\"{}\"", kind.name))
        .fetch_all(pool)
        .await
        .expect("indexes")
        .iter()
        .map(|r| (r.get("name"), r.get("uniq"), r.get("columns")))
        .collect();
        assert_eq!(indexes, expected_indexes(kind), "indexes of {}", kind.name);
        // Beside the B-tree indexes the core describes: the trigram index that serves the
        // near-duplicate check of customer names, wherever pg_trgm is available.
        let trigrams: Vec<String> = sqlx::query_scalar(
            "SELECT indexname::text FROM pg_indexes \
             WHERE tablename = $1 AND indexdef LIKE '%gin_trgm_ops%'",
        )
        .bind(kind.name)
        .fetch_all(pool)
        .await
        .expect("trigram indexes");
        let available: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')",
        )
        .fetch_one(pool)
        .await
        .expect("extensions");
        let want: Vec<String> = if kind.name == "customer" && available {
            vec!["customer_name_key_trigrams".to_owned()]
        } else {
            Vec::new()
        };
        assert_eq!(trigrams, want, "trigram indexes of {}", kind.name);

        let fk_rows = sqlx::query(
            "SELECT a.attname::text AS col, ref.relname::text AS target, \
                    con.condeferrable AS deferrable, con.condeferred AS deferred \
             FROM pg_constraint con \
             JOIN pg_class ref ON ref.oid = con.confrelid \
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1] \
             WHERE con.contype = 'f' AND con.conrelid = $1::regclass",
        )
        .bind(format!("\"{}\"", kind.name))
        .fetch_all(pool)
        .await
        .expect("foreign keys");
        let fks: BTreeSet<(String, String)> = fk_rows
            .iter()
            .map(|r| {
                assert!(
                    r.get::<bool, _>("deferrable") && r.get::<bool, _>("deferred"),
                    "foreign key {}.{} must be checked at commit",
                    kind.name,
                    r.get::<String, _>("col")
                );
                (r.get("col"), r.get("target"))
            })
            .collect();
        assert_eq!(
            fks,
            expected_foreign_keys(kind),
            "foreign keys of {}",
            kind.name
        );
    }
    store.close().await;
    db.drop_db().await;
}

/// The report of the crate documentation, verbatim.
const CUSTOMERS_PER_OWNER_PER_REGION: &str = r#"
    SELECT e.name AS owner, c.province, c.city, count(*) AS customers
    FROM customer c
    JOIN employee e ON e.id = c.owner_id
    WHERE NOT c.archived
    GROUP BY e.name, c.province, c.city
    ORDER BY e.name, c.province NULLS FIRST, c.city NULLS FIRST"#;

type ReportRow = (String, Option<String>, Option<String>, i64);

/// Writes customers through the store; returns the report the query must give.
async fn seed(store: &dyn Store) -> Vec<ReportRow> {
    let zhang = common::employee(store, "张三").await;
    let li = common::employee(store, "李四").await;
    let mut rows = vec![
        common::customer(zhang.id, "深圳一号", Some("广东"), Some("深圳")),
        common::customer(zhang.id, "深圳二号", Some("广东"), Some("深圳")),
        common::customer(zhang.id, "广州一号", Some("广东"), Some("广州")),
        common::customer(zhang.id, "无地区", None, None),
        common::customer(li.id, "北京一号", Some("北京"), Some("北京")),
        common::customer(li.id, "已归档", Some("北京"), Some("北京")),
    ];
    rows[5].archived = true;
    let mut c = Commit::new();
    for r in &rows {
        c.insert(r.to_record());
    }
    store.commit(c).await.expect("seed customers");
    let s = |x: &str| Some(x.to_owned());
    vec![
        ("张三".to_owned(), None, None, 1),
        ("张三".to_owned(), s("广东"), s("广州"), 1),
        ("张三".to_owned(), s("广东"), s("深圳"), 2),
        ("李四".to_owned(), s("北京"), s("北京"), 1),
    ]
}

#[tokio::test]
async fn sqlite_runs_the_integrator_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_path(dir.path().join("crm.db"))
        .await
        .expect("open");
    let want = seed(&store).await;
    let got: Vec<ReportRow> = sqlx::query_as(CUSTOMERS_PER_OWNER_PER_REGION)
        .fetch_all(store.pool())
        .await
        .expect("report");
    assert_eq!(got, want);
    store.close().await;
}

#[tokio::test]
async fn postgres_runs_the_integrator_report() {
    let Some(db) = common::PgDb::create("postgres_runs_the_integrator_report").await else {
        return;
    };
    let store = db.store().await;
    let want = seed(&store).await;
    let got: Vec<ReportRow> = sqlx::query_as(CUSTOMERS_PER_OWNER_PER_REGION)
        .fetch_all(store.pool())
        .await
        .expect("report");
    assert_eq!(got, want);
    store.close().await;
    db.drop_db().await;
}
