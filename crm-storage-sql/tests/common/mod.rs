//! Helpers shared by the integration tests: a tokio spawner for the conformance suite, fresh
//! SQLite files and fresh PostgreSQL databases, and records to write.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crm_core::customer::{Contact, Customer};
use crm_core::org::{Department, Employee};
use crm_core::store::conformance::Spawner;
use crm_core::store::{Commit, Entity, Store};
use crm_core::Error;
use crm_storage_sql::sqlx::postgres::PgConnectOptions;
use crm_storage_sql::sqlx::{Connection, Executor, PgConnection};
use crm_storage_sql::PostgresStore;
use uuid::Uuid;

/// The variable naming the PostgreSQL server the tests use.
pub const PG_ENV: &str = "CRM_TEST_POSTGRES_URL";

/// A spawner running each future as a tokio task (the tests use a multi-thread runtime).
pub fn spawner() -> Spawner {
    Arc::new(|f| {
        Box::pin(async move {
            tokio::spawn(f)
                .await
                .map_err(|e| Error::backend_msg(format!("conformance task failed: {e}")))?
        })
    })
}

/// A fresh PostgreSQL database on the server of `CRM_TEST_POSTGRES_URL`; dropped by
/// [`PgDb::drop_db`].
pub struct PgDb {
    /// Options connecting to the server's `postgres` database.
    pub admin: PgConnectOptions,
    server_url: String,
    /// The database name.
    pub name: String,
    /// Options connecting to it.
    pub options: PgConnectOptions,
}

impl PgDb {
    /// Creates a fresh database, or returns `None` (after saying how to run the test) when
    /// `CRM_TEST_POSTGRES_URL` is unset.
    pub async fn create(test: &str) -> Option<PgDb> {
        let Ok(url) = std::env::var(PG_ENV) else {
            // In CI the PostgreSQL tests are never skipped: `.ci/run` starts the server and sets
            // the variable, so its absence there is a broken pipeline, not a reason to pass.
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{PG_ENV} is not set in CI: {test} would be skipped"
            );
            eprintln!(
                "skipping {test}: PostgreSQL tests need a server; run them with\n    \
                 export {PG_ENV}=postgres://postgres@127.0.0.1:5432/postgres"
            );
            return None;
        };
        let server = PgConnectOptions::from_str(&url).expect("CRM_TEST_POSTGRES_URL is a URL");
        // Create the test's own database from the server's `postgres` database.
        let admin = server.clone().database("postgres");
        let name = format!("crm_test_{}", Uuid::now_v7().simple());
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .expect("connect to postgres");
        conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .expect("create database");
        conn.close().await.expect("close");
        let options = server.database(&name);
        Some(PgDb {
            admin,
            server_url: url,
            name,
            options,
        })
    }

    /// A URL of the database (the server's URL with the database name replaced).
    pub fn url(&self) -> String {
        let base = self
            .server_url
            .split('?')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/');
        let base = match base.rsplit_once('/') {
            Some((host, _)) if host.contains("//") && host.len() > "postgres://".len() => host,
            _ => base,
        };
        format!("{base}/{}", self.name)
    }

    /// Opens a store on the database.
    pub async fn store(&self) -> PostgresStore {
        PostgresStore::open_with(self.options.clone())
            .await
            .expect("open PostgreSQL store")
    }

    /// Drops the database (connections still open to it are ended).
    pub async fn drop_db(self) {
        let mut conn = PgConnection::connect_with(&self.admin)
            .await
            .expect("connect to postgres");
        conn.execute(format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name).as_str())
            .await
            .expect("drop database");
        conn.close().await.expect("close");
    }
}

/// A department and an employee named `name`, committed; returns the employee.
pub async fn employee(store: &dyn Store, name: &str) -> Employee {
    let d = Department {
        id: Uuid::now_v7(),
        name: "销售部".into(),
        parent_id: None,
    };
    let e = Employee {
        id: Uuid::now_v7(),
        code: format!("e-{}", Uuid::now_v7()),
        name: name.to_owned(),
        department_id: d.id,
        manager_id: None,
        role_ids: BTreeSet::new(),
        active: true,
    };
    let mut c = Commit::new();
    c.insert(d.to_record()).insert(e.to_record());
    store.commit(c).await.expect("commit employee");
    e
}

/// A customer owned by `owner`, in `province`/`city`.
pub fn customer(owner: Uuid, name: &str, province: Option<&str>, city: Option<&str>) -> Customer {
    let key = format!("{name}-{}", Uuid::now_v7());
    let at = Utc
        .with_ymd_and_hms(2026, 3, 1, 8, 30, 0)
        .single()
        .expect("valid time");
    Customer {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        short_name: None,
        name_key: key.clone(),
        customer_type: None,
        level: None,
        industry: None,
        province: province.map(str::to_owned),
        city: city.map(str::to_owned),
        source: None,
        address: None,
        phone: None,
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
        created_at: at,
        created_by: owner,
        updated_at: at,
        last_contact_at: None,
        search_name: key,
        search_contacts: String::new(),
    }
}

/// A primary contact of a customer.
pub fn contact(customer_id: Uuid, name: &str) -> Contact {
    Contact {
        id: Uuid::now_v7(),
        customer_id,
        name: name.to_owned(),
        title: None,
        mobile: None,
        phone: None,
        email: None,
        birthday: None,
        primary: true,
        notes: None,
    }
}
