//! Products (商品中心): the catalogue that quotes, orders and stock refer to.
//!
//! A product is identified for duplicate detection by the normalised combination of its code,
//! name and specification (规格型号): the same code with another specification is another
//! product; the same three written with other widths, cases, spaces or punctuation are the same.
//!
//! A product has pictures ([`ProductImage`]), one of them primary, whose bytes are stored once
//! per content as [`crate::blob::Blob`]s.

pub mod columns;
mod image;
mod model;

pub use image::{
    check_file_name, display_order, ImagePolicy, ProductImage, DEFAULT_MAX_IMAGE_BYTES,
    PRODUCT_IMAGE,
};
pub use model::{product_key, Product, ProductInput, ProductSearch, PRODUCT};
