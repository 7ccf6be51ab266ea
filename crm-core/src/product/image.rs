//! Product images (商品图片): several pictures per product, one of them primary, each referring
//! to a content-addressed [`Blob`](crate::blob::Blob) that holds the bytes.
//!
//! An image record is small (no bytes), so listing a product's pictures never reads them. It
//! repeats the blob's hash, media type and size, which never change (a blob is named by its
//! content), so a host can list, cache (`ETag: sha256`) and label pictures from the list alone.
//!
//! The primary picture is marked by `primary_product_id`: the product's id on its primary image
//! and `Null` on the others. A unique index on that column makes "at most one primary per
//! product" a rule every adapter enforces at commit, also between concurrent writers; the
//! operations keep "at least one" (the first image becomes primary, removing the primary
//! promotes the next).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};
use crate::text;

/// The default largest picture accepted: 5 MiB.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;

/// Rules for product pictures, set with [`Crm::with_image_policy`](crate::Crm::with_image_policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePolicy {
    /// The largest picture accepted, in bytes (default [`DEFAULT_MAX_IMAGE_BYTES`]).
    pub max_bytes: u64,
}

impl Default for ImagePolicy {
    fn default() -> Self {
        ImagePolicy {
            max_bytes: DEFAULT_MAX_IMAGE_BYTES,
        }
    }
}

/// One picture of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductImage {
    /// Id.
    pub id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// The blob holding the bytes.
    pub blob_id: Uuid,
    /// The SHA-256 of the bytes (the blob's name).
    pub sha256: String,
    /// The media type found in the bytes (`image/png`), whatever the file name says.
    pub media_type: String,
    /// Size in bytes.
    pub size: i64,
    /// The file name it was uploaded as (for display and download only).
    pub file_name: String,
    /// Order among the product's pictures (ascending; the primary is listed first anyway).
    pub position: i64,
    /// Whether this is the product's primary picture (exactly one per product with pictures).
    pub is_primary: bool,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Added by (an employee).
    pub created_by: Uuid,
}

/// The `product_image` kind.
pub static PRODUCT_IMAGE: Kind = Kind {
    name: "product_image",
    columns: &[
        Column::new("product_id", T::Id).refs("product", OnDelete::Cascade),
        Column::new("blob_id", T::Id).refs("blob", OnDelete::Restrict),
        Column::new("sha256", T::Text),
        Column::new("media_type", T::Text),
        Column::new("size", T::Int),
        Column::new("file_name", T::Text),
        Column::new("position", T::Int),
        Column::nullable("primary_product_id", T::Id),
        Column::new("created_at", T::Timestamp),
        Column::new("created_by", T::Id),
    ],
    indexes: &[
        Index {
            name: "product_image_product",
            columns: &["product_id", "position"],
            unique: false,
        },
        Index {
            name: "product_image_bytes",
            columns: &["product_id", "sha256"],
            unique: true,
        },
        Index {
            name: "product_image_primary",
            columns: &["primary_product_id"],
            unique: true,
        },
        Index {
            name: "product_image_blob",
            columns: &["blob_id"],
            unique: false,
        },
    ],
};

impl Entity for ProductImage {
    const KIND: &'static Kind = &PRODUCT_IMAGE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.product_id.into(),
            self.blob_id.into(),
            self.sha256.clone().into(),
            self.media_type.clone().into(),
            self.size.into(),
            self.file_name.clone().into(),
            self.position.into(),
            self.is_primary.then_some(self.product_id).into(),
            self.created_at.into(),
            self.created_by.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        let product_id = f.id("product_id")?;
        let primary = f.opt_id("primary_product_id")?;
        if primary.is_some_and(|p| p != product_id) {
            return Err(Error::backend_msg(format!(
                "product_image {}: primary_product_id is not its product_id",
                r.id
            )));
        }
        Ok(ProductImage {
            id: r.id,
            product_id,
            blob_id: f.id("blob_id")?,
            sha256: f.text("sha256")?,
            media_type: f.text("media_type")?,
            size: f.int("size")?,
            file_name: f.text("file_name")?,
            position: f.int("position")?,
            is_primary: primary.is_some(),
            created_at: f.timestamp("created_at")?,
            created_by: f.id("created_by")?,
        })
    }
}

/// Checks the file name a picture was uploaded as: 1–200 characters, no control characters,
/// and without the folders some browsers send (`C:\fakepath\a.png` → `a.png`).
///
/// # Errors
/// [`Error::Invalid`] on `file_name`.
pub fn check_file_name(name: &str) -> Result<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    text::check_text("file_name", base, 1, 200)
}

/// Sorts a product's pictures as they are shown: the primary first, then by position, then by
/// id (stable for equal positions).
pub fn display_order(images: &mut [ProductImage]) {
    images.sort_by(|a, b| {
        b.is_primary
            .cmp(&a.is_primary)
            .then(a.position.cmp(&b.position))
            .then(a.id.cmp(&b.id))
    });
}
