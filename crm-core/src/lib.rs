//! The domain core of the crm library: a CRM and sales/purchase/inventory (进销存) system for a
//! trading company, as a library to embed.
//!
//! The core does no I/O and depends on no storage engine or async runtime. It holds every rule
//! (money and tax, who may see and do what, duplicates, workflows) and reaches storage only
//! through the [`store::Store`] port.
//!
//! # Layout
//!
//! | module | what lives there |
//! | --- | --- |
//! | [`service`] | [`Crm`], the façade: one async method per public operation, each taking the acting user |
//! | [`customer`] | customer files, contacts, shares, contact records, search criteria, access decisions |
//! | [`product`] | the product catalogue (商品中心): products, duplicate keys, search |
//! | [`purchase`] | suppliers, price history, requests for quotation, purchase orders, payments, input invoices |
//! | [`org`] | departments, employees, roles and permissions, the [`org::Actor`] |
//! | [`inventory`] | warehouses, the stock ledger and balances, moving-average valuation, stock documents, stocktakes |
//! | [`money`] | money, rounding policies, exchange rates, tax rates and the one document-totals function |
//! | [`text`] | capital numerals (大写金额), credit codes, name keys for 排重, phone and e-mail checks |
//! | [`table`] | streaming CSV (UTF-8, GBK/GB18030) and XLSX readers, header mapping, safe CSV export |
//! | [`audit`] | the audit log entry and field diffs |
//! | [`blob`] | content-addressed files (product pictures): SHA-256 names, media types from the bytes |
//! | [`settings`] | user-defined option lists, number sequences |
//! | [`store`] | the storage port, the in-memory store, query evaluation, the conformance suite |
//! | [`catalog`] | every record kind, for adapters |
//! | [`sources`] | injected clock and id generator |
//!
//! # Example
//!
//! ```
//! # futures::executor::block_on(async {
//! use std::sync::Arc;
//! use crm_core::{Crm, customer::{CustomerInput, CustomerSearch}, store::MemoryStore};
//!
//! let crm = Crm::new(Arc::new(MemoryStore::new()));
//! let admin = crm.bootstrap("示例贸易有限公司", "admin", "管理员").await?;
//! crm.create_customer(admin, CustomerInput::builder().name("上海汇丰贸易有限公司".into()).build(), vec![]).await?;
//! // The same company written differently is a duplicate.
//! let dup = crm.create_customer(admin, CustomerInput::builder().name("上海汇丰贸易（股份有限公司）".into()).build(), vec![]).await;
//! assert!(matches!(dup, Err(crm_core::Error::Duplicate { .. })));
//! assert_eq!(crm.count_customers(admin, &CustomerSearch::default()).await?, 1);
//! # Ok::<(), crm_core::Error>(())
//! # }).unwrap();
//! ```

#[macro_use]
mod macros;

pub mod audit;
pub mod blob;
pub mod catalog;
pub mod customer;
pub mod error;
pub mod finance;
pub mod inventory;
pub mod money;
pub mod org;
pub mod print;
pub mod product;
pub mod purchase;
pub mod sales;
pub mod service;
pub mod settings;
pub mod sources;
pub mod store;
pub mod table;
pub mod text;

pub use error::{Error, Result};
pub use service::Crm;
