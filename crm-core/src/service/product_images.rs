//! Product pictures (商品图片): add, list, read, choose the primary, remove.
//!
//! Reading needs `product.view`, changing `product.edit`. Every change is one commit with its
//! audit entry (on the product, so a product's history shows its pictures), and keeps the
//! rules of [`crate::product::ProductImage`]: exactly one primary picture per product that has
//! any, and the bytes of identical pictures stored once, as a blob deleted with the last
//! picture that refers to it.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::products::need;
use super::{retry, Crm};
use crate::blob::{self, Blob, BLOB, BLOB_VERSION};
use crate::catalog;
use crate::error::{Error, Result};
use crate::org::{Actor, Op};
use crate::product::{check_file_name, display_order, ProductImage, PRODUCT, PRODUCT_IMAGE};
use crate::store::{Commit, Entity, Filter, Order, Query, Value, Versioned};

/// The content of a picture, as [`Crm::product_image_bytes`] returns it.
#[derive(Clone, PartialEq, Eq)]
pub struct ImageBytes {
    /// The media type found in the bytes (`image/png`): the `Content-Type` to serve them with.
    pub media_type: String,
    /// The SHA-256 of the bytes, 64 hexadecimal digits: a strong `ETag`.
    pub sha256: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for ImageBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageBytes")
            .field("media_type", &self.media_type)
            .field("sha256", &self.sha256)
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// Store refusals that a concurrent change explains: another writer stored the same bytes, gave
/// the product its first picture or added the same picture first. Deciding again (after a
/// reload) reuses the blob, leaves the new picture secondary or names the existing one.
fn raced(e: Error) -> Error {
    match e {
        Error::Duplicate {
            rule: rule @ ("blob_sha256" | "product_image_primary" | "product_image_bytes"),
            ..
        } => Error::Conflict(format!("{rule} changed meanwhile")),
        e => e,
    }
}

impl Crm {
    /// The pictures of a product with their versions, by position.
    pub(super) async fn images_of(&self, product_id: Uuid) -> Result<Vec<Versioned<ProductImage>>> {
        let q = Query::filter(
            &PRODUCT_IMAGE,
            Filter::Eq("product_id", Value::Id(product_id)),
        )
        .order_by(vec![Order::asc("position")]);
        self.store
            .query(&q)
            .await?
            .records
            .iter()
            .map(Versioned::decode)
            .collect()
    }

    async fn image_by_id(&self, id: Uuid) -> Result<Versioned<ProductImage>> {
        let r = self
            .store
            .get(&PRODUCT_IMAGE, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "product_image",
                id: id.to_string(),
            })?;
        Versioned::decode(&r)
    }

    async fn require_product(&self, id: Uuid) -> Result<()> {
        match self.store.get(&PRODUCT, id).await? {
            Some(_) => Ok(()),
            None => Err(Error::NotFound {
                kind: "product",
                id: id.to_string(),
            }),
        }
    }

    /// Adds to `c` the deletes of the blobs that nothing refers to once `removed` (pictures this
    /// commit deletes) are gone; returns their ids. Every kind that refers to blobs is asked, so
    /// a later kind sharing them (documents) keeps them alive too.
    pub(super) async fn free_blobs(
        &self,
        c: &mut Commit,
        removed: &[Versioned<ProductImage>],
    ) -> Result<Vec<Uuid>> {
        let gone: BTreeSet<Uuid> = removed.iter().map(|i| i.value.id).collect();
        let blobs: BTreeSet<Uuid> = removed.iter().map(|i| i.value.blob_id).collect();
        let mut freed = Vec::new();
        for blob_id in blobs {
            let mut referenced = false;
            for (kind, col) in catalog::references_to("blob") {
                let q = Query::filter(kind, Filter::Eq(col.name, Value::Id(blob_id)))
                    .page(0, gone.len() as u64 + 1);
                let page = self.store.query(&q).await?;
                referenced |= page
                    .records
                    .iter()
                    .any(|r| !(kind.name == PRODUCT_IMAGE.name && gone.contains(&r.id)));
            }
            if !referenced {
                c.delete(&BLOB, blob_id, BLOB_VERSION);
                freed.push(blob_id);
            }
        }
        Ok(freed)
    }

    /// Adds a picture to a product. Its media type is read from the bytes (JPEG, PNG, GIF or
    /// WebP, whatever the file name says); bytes already stored (for this or another product)
    /// are not stored again. The product's first picture becomes its primary one.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.edit`; [`Error::TooLarge`] above the
    /// [`ImagePolicy`](crate::product::ImagePolicy) limit; [`Error::UnsupportedMediaType`]
    /// naming what the bytes are; [`Error::Invalid`] on `file_name`; [`Error::NotFound`] for
    /// the product; [`Error::Duplicate`] (`product_image_bytes`) when the product already has
    /// this picture, naming it. Nothing is written on any of these.
    pub async fn add_product_image(
        &self,
        actor: Actor,
        product_id: Uuid,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ProductImage> {
        let action = "product.add_image";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Edit, action)?;
            let size = bytes.len() as u64;
            if size > self.images.max_bytes {
                return Err(Error::TooLarge {
                    what: "image",
                    size,
                    limit: self.images.max_bytes,
                });
            }
            let media_type = blob::image_media_type(&bytes)?;
            let file_name = check_file_name(file_name)?;
            self.require_product(product_id).await?;
            let sha256 = blob::sha256_hex(&bytes);
            let images = self.images_of(product_id).await?;
            if let Some(same) = images.iter().find(|i| i.value.sha256 == sha256) {
                return Err(Error::Duplicate {
                    kind: "product_image",
                    rule: "product_image_bytes",
                    existing: Some(format!("{} ({})", same.value.id, same.value.file_name)),
                });
            }
            let now = self.now();
            let mut c = Commit::new();
            let stored = self
                .store
                .query(
                    &Query::filter(&BLOB, Filter::Eq("sha256", Value::Text(sha256.clone())))
                        .page(0, 1),
                )
                .await?;
            let (blob_id, shared) = match stored.records.first() {
                Some(r) => {
                    // Reused as stored: the commit fails if it is deleted meanwhile.
                    c.assert_version(&BLOB, r.id, BLOB_VERSION);
                    (r.id, true)
                }
                None => {
                    let b = Blob::new(self.new_id(), media_type, bytes.clone(), now);
                    c.insert(b.to_record());
                    (b.id, false)
                }
            };
            let image = ProductImage {
                id: self.new_id(),
                product_id,
                blob_id,
                sha256,
                media_type: media_type.to_owned(),
                size: i64::try_from(size).unwrap_or(i64::MAX),
                file_name,
                position: images
                    .iter()
                    .map(|i| i.value.position)
                    .max()
                    .map_or(0, |p| p.saturating_add(1)),
                is_primary: images.is_empty(),
                created_at: now,
                created_by: s.ctx.employee_id,
            };
            c.insert(image.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "product",
                Some(product_id),
                serde_json::json!({
                    "image": image.id,
                    "file_name": image.file_name,
                    "media_type": image.media_type,
                    "size": image.size,
                    "sha256": image.sha256,
                    "primary": image.is_primary,
                    "blob": if shared { "shared" } else { "stored" },
                }),
            ));
            self.commit(&s, c).await.map_err(raced)?;
            Ok(image)
        });
        self.logged(actor, action, "product", Some(product_id), res)
            .await
    }

    /// A product's pictures: the primary first, then by position.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.view`; [`Error::NotFound`] for the product.
    pub async fn product_images(
        &self,
        actor: Actor,
        product_id: Uuid,
    ) -> Result<Vec<ProductImage>> {
        let action = "product.images";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            self.require_product(product_id).await?;
            let mut images: Vec<ProductImage> = self
                .images_of(product_id)
                .await?
                .into_iter()
                .map(|v| v.value)
                .collect();
            display_order(&mut images);
            Ok(images)
        }
        .await;
        self.logged(actor, action, "product", Some(product_id), res)
            .await
    }

    /// The bytes of a picture with their media type.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.view`; [`Error::NotFound`] for the picture.
    pub async fn product_image_bytes(&self, actor: Actor, image_id: Uuid) -> Result<ImageBytes> {
        let action = "product.image_bytes";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            let image = self.image_by_id(image_id).await?.value;
            let r = self.store.get(&BLOB, image.blob_id).await?.ok_or_else(|| {
                Error::backend_msg(format!(
                    "product_image {image_id} refers to blob {}, which is missing",
                    image.blob_id
                ))
            })?;
            let b = Blob::from_record(&r)?;
            Ok(ImageBytes {
                media_type: b.media_type,
                sha256: b.sha256,
                bytes: b.bytes,
            })
        }
        .await;
        self.logged(actor, action, "product_image", Some(image_id), res)
            .await
    }

    /// Makes a picture its product's primary one (the previous primary stops being it, in the
    /// same commit). Choosing the primary picture again changes nothing.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.edit`; [`Error::NotFound`] for the picture.
    pub async fn set_primary_product_image(
        &self,
        actor: Actor,
        image_id: Uuid,
    ) -> Result<ProductImage> {
        let action = "product.set_primary_image";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Edit, action)?;
            let chosen = self.image_by_id(image_id).await?;
            if chosen.value.is_primary {
                return Ok(chosen.value);
            }
            let product_id = chosen.value.product_id;
            let mut c = Commit::new();
            // The old primary lets go of the product's primary key before the new one takes it.
            let mut previous = None;
            for old in self.images_of(product_id).await? {
                if old.value.is_primary {
                    previous = Some(old.value.id);
                    let mut off = old.value;
                    off.is_primary = false;
                    c.update(off.to_record(), old.version);
                }
            }
            let mut on = chosen.value;
            on.is_primary = true;
            c.update(on.to_record(), chosen.version);
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "product",
                Some(product_id),
                serde_json::json!({"image": on.id, "previous": previous}),
            ));
            self.commit(&s, c).await.map_err(raced)?;
            Ok(on)
        });
        self.logged(actor, action, "product_image", Some(image_id), res)
            .await
    }

    /// Removes a picture. Its bytes are deleted too unless another picture shows them; when it
    /// was the primary one, the next picture (by position) becomes primary.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.edit`; [`Error::NotFound`] for the picture.
    pub async fn remove_product_image(&self, actor: Actor, image_id: Uuid) -> Result<()> {
        let action = "product.remove_image";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Edit, action)?;
            let gone = self.image_by_id(image_id).await?;
            let product_id = gone.value.product_id;
            let mut c = Commit::new();
            c.delete(&PRODUCT_IMAGE, image_id, gone.version);
            let mut promoted = None;
            if gone.value.is_primary {
                let mut rest: Vec<Versioned<ProductImage>> = self
                    .images_of(product_id)
                    .await?
                    .into_iter()
                    .filter(|i| i.value.id != image_id)
                    .collect();
                rest.sort_by(|a, b| {
                    (a.value.position, a.value.id).cmp(&(b.value.position, b.value.id))
                });
                if let Some(next) = rest.into_iter().next() {
                    let mut on = next.value;
                    on.is_primary = true;
                    promoted = Some(on.id);
                    c.update(on.to_record(), next.version);
                }
            }
            let freed = self.free_blobs(&mut c, std::slice::from_ref(&gone)).await?;
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "product",
                Some(product_id),
                serde_json::json!({
                    "image": image_id,
                    "file_name": gone.value.file_name,
                    "sha256": gone.value.sha256,
                    "promoted": promoted,
                    "blob": if freed.is_empty() { "kept" } else { "deleted" },
                }),
            ));
            self.commit(&s, c).await.map_err(raced)?;
            Ok(())
        });
        self.logged(actor, action, "product_image", Some(image_id), res)
            .await
    }
}
