//! Content-addressed blobs: files (product pictures today) stored once per content through the
//! storage port, named by the SHA-256 of their bytes.
//!
//! A blob is written once and never changed: the same bytes always have the same hash, so a
//! second upload of a picture finds the stored blob by its hash and refers to it instead of
//! storing the bytes again. The records that refer to a blob (see
//! [`crate::catalog::references_to`]) delete it in the same commit as the last reference to it.
//!
//! The media type is decided from the bytes (their signature, with the `infer` crate), never from
//! a file name or a type the uploader claims.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, Record, Value};

/// The version of every stored blob. Blobs are only ever inserted and deleted, never updated,
/// so a blob that exists is at version 1: a commit that reuses or deletes one asserts this
/// version without reading the bytes first.
pub const BLOB_VERSION: u64 = 1;

/// One stored content: its bytes, their SHA-256 and their media type.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob {
    /// Id.
    pub id: Uuid,
    /// The SHA-256 of the bytes, 64 lowercase hexadecimal digits (unique).
    pub sha256: String,
    /// The media type found in the bytes (`image/png`).
    pub media_type: String,
    /// The number of bytes.
    pub size: i64,
    /// The content.
    pub bytes: Vec<u8>,
    /// When it was first stored.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Blob {
    // The bytes are left out: a picture in a log line or a failed assertion helps nobody.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("id", &self.id)
            .field("sha256", &self.sha256)
            .field("media_type", &self.media_type)
            .field("size", &self.size)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The `blob` kind.
pub static BLOB: Kind = Kind {
    name: "blob",
    columns: &[
        Column::new("sha256", T::Text),
        Column::new("media_type", T::Text),
        Column::new("size", T::Int),
        Column::new("bytes", T::Bytes),
        Column::new("created_at", T::Timestamp),
    ],
    indexes: &[Index {
        name: "blob_sha256",
        columns: &["sha256"],
        unique: true,
    }],
};

impl Entity for Blob {
    const KIND: &'static Kind = &BLOB;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.sha256.clone().into(),
            self.media_type.clone().into(),
            self.size.into(),
            self.bytes.clone().into(),
            self.created_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Blob {
            id: r.id,
            sha256: f.text("sha256")?,
            media_type: f.text("media_type")?,
            size: f.int("size")?,
            bytes: f.bytes("bytes")?,
            created_at: f.timestamp("created_at")?,
        })
    }
}

impl Blob {
    /// A new blob of `bytes` with the media type found in them.
    pub fn new(id: Uuid, media_type: &str, bytes: Vec<u8>, now: DateTime<Utc>) -> Self {
        Blob {
            id,
            sha256: sha256_hex(&bytes),
            media_type: media_type.to_owned(),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            bytes,
            created_at: now,
        }
    }
}

/// The SHA-256 of `bytes` as 64 lowercase hexadecimal digits: the name of their blob.
///
/// ```
/// assert_eq!(
///     crm_core::blob::sha256_hex(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The picture formats a product image may have: those every browser and office program shows.
pub const IMAGE_MEDIA_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The media type of a picture, read from its bytes' signature.
///
/// ```
/// use crm_core::blob::image_media_type;
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
/// assert_eq!(image_media_type(png).unwrap(), "image/png");
/// assert!(image_media_type(b"%PDF-1.7\n").is_err());
/// ```
///
/// # Errors
/// [`Error::UnsupportedMediaType`] naming what the bytes are (or that nothing was recognised)
/// when they are not one of [`IMAGE_MEDIA_TYPES`].
pub fn image_media_type(bytes: &[u8]) -> Result<&'static str> {
    let found = infer::get(bytes).map(|t| t.mime_type());
    match found {
        Some(t) if IMAGE_MEDIA_TYPES.contains(&t) => Ok(t),
        other => Err(Error::UnsupportedMediaType {
            found: other.map(str::to_owned),
            accepted: IMAGE_MEDIA_TYPES,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashes_are_lowercase_hex_of_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_four_picture_formats_are_recognised_and_others_named() {
        let cases: [(&[u8], &str); 4] = [
            (b"\xff\xd8\xff\xe0\0\x10JFIF\0", "image/jpeg"),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
            (b"GIF89a\x01\0\x01\0\0\0", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
        ];
        for (bytes, want) in cases {
            assert_eq!(image_media_type(bytes).unwrap(), want);
        }
        match image_media_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n") {
            Err(Error::UnsupportedMediaType { found: Some(f), .. }) => {
                assert_eq!(f, "application/pdf")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            image_media_type(b"hello, world"),
            Err(Error::UnsupportedMediaType { found: None, .. })
        ));
        assert!(image_media_type(b"").is_err());
    }
}
