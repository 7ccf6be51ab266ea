//! Product catalogue operations (商品中心).

use uuid::Uuid;

use super::{retry, Crm, DeleteOutcome, SearchPage, Session};
use crate::audit;
use crate::catalog;
use crate::error::{Error, Result};
use crate::org::{Actor, Op, Permission, Resource};
use crate::product::{Product, ProductInput, ProductSearch, PRODUCT, PRODUCT_IMAGE};
use crate::store::{Commit, Entity, Filter, OnDelete, Query, Value, Versioned};

pub(super) fn need(s: &Session, op: Op, action: &str) -> Result<()> {
    if s.ctx.has(Resource::Product, op) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(Resource::Product, op)
        )))
    }
}

impl Crm {
    async fn product_by_key(&self, key: &str) -> Result<Option<Product>> {
        let q = Query::filter(
            &PRODUCT,
            Filter::Eq("product_key", Value::Text(key.to_owned())),
        )
        .page(0, 1);
        self.store
            .query(&q)
            .await?
            .records
            .first()
            .map(Product::from_record)
            .transpose()
    }

    fn product_duplicate(existing: &Product) -> Error {
        Error::Duplicate {
            kind: "product",
            rule: "product_key",
            existing: Some(format!(
                "{} ({} {} {})",
                existing.id,
                existing.code,
                existing.name,
                existing.spec.as_deref().unwrap_or("")
            )),
        }
    }

    /// Fills in which product a store-reported duplicate key duplicates.
    async fn explain_product_duplicate(&self, e: Error, key: &str) -> Error {
        match e {
            Error::Duplicate {
                rule: "product_key",
                ..
            } => match self.product_by_key(key).await {
                Ok(Some(p)) => Self::product_duplicate(&p),
                _ => e,
            },
            e => e,
        }
    }

    /// Adds a product to the catalogue. The same code, name and specification (after
    /// normalisation) is refused as a duplicate naming the existing product.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.create`; [`Error::Invalid`] naming the field;
    /// [`Error::Duplicate`].
    pub async fn create_product(
        &self,
        actor: Actor,
        input: ProductInput,
    ) -> Result<Versioned<Product>> {
        let action = "product.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Op::Create, action)?;
            let p = input.check(self.new_id(), self.now(), None)?;
            if let Some(existing) = self.product_by_key(&p.product_key).await? {
                return Err(Self::product_duplicate(&existing));
            }
            let mut c = Commit::new();
            c.insert(p.to_record());
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "product",
                Some(p.id),
                serde_json::json!({"code": p.code, "name": p.name}),
            ));
            match self.commit(&s, c).await {
                Ok(()) => Ok(Versioned {
                    value: p,
                    version: 1,
                }),
                Err(e) => Err(self.explain_product_duplicate(e, &p.product_key).await),
            }
        });
        self.logged(actor, action, "product", None, res).await
    }

    /// One product.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.view`; [`Error::NotFound`].
    pub async fn product(&self, actor: Actor, id: Uuid) -> Result<Versioned<Product>> {
        let action = "product.read";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            let r = self
                .store
                .get(&PRODUCT, id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "product",
                    id: id.to_string(),
                })?;
            Versioned::decode(&r)
        }
        .await;
        self.logged(actor, action, "product", Some(id), res).await
    }

    /// Replaces a product read at `version`.
    ///
    /// # Errors
    /// [`Error::Conflict`] when it changed since; otherwise as [`Crm::create_product`] with
    /// `product.edit`.
    pub async fn update_product(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
        input: ProductInput,
    ) -> Result<Versioned<Product>> {
        let action = "product.edit";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::Edit, action)?;
            let r = self
                .store
                .get(&PRODUCT, id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "product",
                    id: id.to_string(),
                })?;
            let old = Versioned::<Product>::decode(&r)?;
            if old.version != version {
                return Err(Error::Conflict(format!(
                    "product {id} is at version {}, not {version}",
                    old.version
                )));
            }
            let new = input.check(id, self.now(), Some(&old.value))?;
            if let Some(existing) = self.product_by_key(&new.product_key).await? {
                if existing.id != id {
                    return Err(Self::product_duplicate(&existing));
                }
            }
            let mut c = Commit::new();
            c.update(new.to_record(), version);
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "product",
                Some(id),
                audit::diff(&old.value, &new),
            ));
            match self.commit(&s, c).await {
                Ok(()) => Ok(Versioned {
                    value: new,
                    version: version + 1,
                }),
                Err(e) => Err(self.explain_product_duplicate(e, &new.product_key).await),
            }
        }
        .await;
        self.logged(actor, action, "product", Some(id), res).await
    }

    /// Deletes a product with its pictures (and their bytes, unless another product's picture
    /// shows them), or deactivates it when documents refer to it.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.delete`; [`Error::Conflict`] when it changed
    /// since `version`.
    pub async fn delete_product(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
    ) -> Result<DeleteOutcome> {
        let action = "product.delete";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::Delete, action)?;
            let r = self
                .store
                .get(&PRODUCT, id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "product",
                    id: id.to_string(),
                })?;
            let old = Versioned::<Product>::decode(&r)?;
            let mut referenced = false;
            for (kind, col) in catalog::references_to("product") {
                if col
                    .references
                    .is_some_and(|r| r.on_delete == OnDelete::Restrict)
                {
                    let q = Query::filter(kind, Filter::Eq(col.name, Value::Id(id))).page(0, 1);
                    referenced |= !self.store.query(&q).await?.records.is_empty();
                }
            }
            let mut c = Commit::new();
            let outcome = if referenced {
                let mut p = old.value.clone();
                p.active = false;
                p.updated_at = self.now();
                c.update(p.to_record(), version);
                DeleteOutcome::Archived
            } else {
                // The pictures go with the product, and their bytes unless shared.
                let images = self.images_of(id).await?;
                for i in &images {
                    c.delete(&PRODUCT_IMAGE, i.value.id, i.version);
                }
                self.free_blobs(&mut c, &images).await?;
                c.delete(&PRODUCT, id, version);
                DeleteOutcome::Deleted
            };
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "product",
                Some(id),
                serde_json::json!({"code": old.value.code, "outcome": outcome}),
            ));
            self.commit(&s, c).await?;
            Ok(outcome)
        }
        .await;
        self.logged(actor, action, "product", Some(id), res).await
    }

    /// Searches the catalogue, sorted by code, with the total count of matches.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `product.view`.
    pub async fn search_products(
        &self,
        actor: Actor,
        search: &ProductSearch,
    ) -> Result<SearchPage<Product>> {
        let action = "product.search";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Op::View, action)?;
            let q = Query::filter(&PRODUCT, search.filter())
                .order_by(search.order())
                .page(search.offset, search.limit.min(1000))
                .with_total();
            let page = self.store.query(&q).await?;
            Ok(SearchPage {
                items: page
                    .records
                    .iter()
                    .map(Product::from_record)
                    .collect::<Result<_>>()?,
                total: page.total.unwrap_or(0),
            })
        }
        .await;
        self.logged(actor, action, "product", None, res).await
    }
}
