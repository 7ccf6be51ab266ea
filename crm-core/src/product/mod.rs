//! Products (商品中心): the catalogue that quotes, orders and stock refer to.
//!
//! A product is identified for duplicate detection by the normalised combination of its code,
//! name and specification (规格型号): the same code with another specification is another
//! product; the same three written with other widths, cases, spaces or punctuation are the same.

pub mod columns;
mod model;

pub use model::{product_key, Product, ProductInput, ProductSearch, PRODUCT};
