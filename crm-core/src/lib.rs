//! The domain core of the crm library.
#![doc = "placeholder"]

pub mod error;
pub mod sources;
pub mod store;
pub mod money;
pub mod org;
pub mod table;
pub mod text;

pub use error::{Error, Result};
