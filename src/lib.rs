//! # crm
//!
//! An embeddable library for the customer, sales, purchasing and inventory work of a trading
//! company (CRM + 进销存). This facade re-exports the domain core and, behind cargo features,
//! the storage adapters; see `README.md` for how to choose one.
//!
//! ```
//! # futures::executor::block_on(async {
//! use std::sync::Arc;
//! use crm::{Crm, core::store::MemoryStore, core::customer::CustomerInput};
//!
//! let crm = Crm::new(Arc::new(MemoryStore::new()));
//! let admin = crm.bootstrap("示例贸易有限公司", "admin", "管理员").await?;
//! let created = crm
//!     .create_customer(admin, CustomerInput::builder().name("北京星辰科技有限公司".into()).build(), vec![])
//!     .await?;
//! assert_eq!(created.customer.value.name, "北京星辰科技有限公司");
//! # Ok::<(), crm::Error>(())
//! # }).unwrap();
//! ```

pub use crm_core as core;
pub use crm_core::{Crm, Error, Result};
