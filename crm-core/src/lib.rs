//! The domain core of the crm library.
#![doc = "placeholder"]

pub mod audit;
pub mod catalog;
pub mod customer;
pub mod error;
pub mod money;
pub mod org;
pub mod service;
pub mod settings;
pub mod sources;
pub mod store;
pub mod table;
pub mod text;

pub use error::{Error, Result};
pub use service::Crm;
