//! # crm
//!
//! An embeddable library for the customer, sales, purchasing and inventory work of a trading
//! company (CRM + 进销存). This facade re-exports the domain core and, behind cargo features,
//! the storage adapters, and opens a store from a URL so a host chooses its engine in
//! configuration. See `README.md` for how to choose.
//!
//! ```
//! # futures::executor::block_on(async {
//! use crm::{Crm, core::customer::CustomerInput};
//!
//! let crm = Crm::new(crm::open("memory:").await?);
//! let admin = crm.bootstrap("示例贸易有限公司", "admin", "管理员").await?;
//! let created = crm
//!     .create_customer(admin, CustomerInput::builder().name("北京星辰科技有限公司".into()).build(), vec![])
//!     .await?;
//! assert_eq!(created.customer.value.name, "北京星辰科技有限公司");
//! # Ok::<(), crm::Error>(())
//! # }).unwrap();
//! ```

use std::sync::Arc;

pub use crm_core as core;
pub use crm_core::{Crm, Error, Result};
#[cfg(feature = "sled")]
pub use crm_storage_sled as sled;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use crm_storage_sql as sql;

use crm_core::store::{MemoryStore, Store};

/// Opens the store a URL names:
///
/// | URL | store |
/// | --- | --- |
/// | `memory:` | a new in-memory store (nothing survives the process) |
/// | `sled:PATH` | a sled database in the folder `PATH`, created if missing |
/// | `sqlite:PATH` | a SQLite file, created if missing (`sqlite::memory:` for a private in-memory one) |
/// | `postgres://user@host:port/db` | a PostgreSQL database (must exist; the schema is migrated on open) |
///
/// # Errors
/// [`Error::Invalid`] (field `url`) for an unknown scheme or one this build leaves out;
/// [`Error::Backend`] for an unreachable server, an unreadable file, or a database written by a
/// newer version of the library.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    let (scheme, rest) = url.split_once(':').unwrap_or((url, ""));
    match scheme {
        "memory" => Ok(Arc::new(MemoryStore::new())),
        #[cfg(feature = "sled")]
        "sled" => {
            if rest.is_empty() {
                return Err(Error::invalid("url", "sled: needs a folder, as in sled:./data/crm"));
            }
            Ok(Arc::new(crm_storage_sled::SledStore::open(rest)?))
        }
        #[cfg(any(feature = "sqlite", feature = "postgres"))]
        "sqlite" | "postgres" | "postgresql" => crm_storage_sql::open(url).await,
        _ => Err(Error::invalid(
            "url",
            format!(
                "unknown storage scheme {scheme:?}: expected memory:, sled:PATH, sqlite:PATH or postgres://… (as this build allows)"
            ),
        )),
    }
}
