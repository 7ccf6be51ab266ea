//! Product pictures (商品图片): identical bytes stored once, the media type read from the bytes,
//! the size limit, exactly one primary picture, blobs freed with their last picture, and who may
//! do what.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{block_on, Company};
use crm_core::audit::AUDIT_ENTRY;
use crm_core::blob::{sha256_hex, BLOB};
use crm_core::org::{Actor, Op, Permission, Resource};
use crm_core::product::{ImagePolicy, ProductImage, ProductInput, PRODUCT_IMAGE};
use crm_core::service::DeleteOutcome;
use crm_core::store::{Filter, Query, Value};
use crm_core::{Crm, Error};
use rust_decimal::Decimal;
use uuid::Uuid;

/// A PNG's signature and header chunk, then `seed` so that pictures differ.
fn png(seed: &str) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    b.extend_from_slice(seed.as_bytes());
    b
}

fn jpeg(seed: &str) -> Vec<u8> {
    let mut b = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01".to_vec();
    b.extend_from_slice(seed.as_bytes());
    b
}

fn gif(seed: &str) -> Vec<u8> {
    let mut b = b"GIF89a\x01\0\x01\0\x80\0\0".to_vec();
    b.extend_from_slice(seed.as_bytes());
    b
}

fn webp(seed: &str) -> Vec<u8> {
    let mut b = b"RIFF\x24\0\0\0WEBPVP8 ".to_vec();
    b.extend_from_slice(seed.as_bytes());
    b
}

fn product(co: &Company, code: &str) -> Uuid {
    block_on(
        co.crm.create_product(
            co.admin,
            ProductInput::builder()
                .code(code.into())
                .name("不锈钢保温杯".into())
                .unit("个".into())
                .sale_price(Decimal::new(4900, 2))
                .tax_rate(Decimal::new(13, 2))
                .build(),
        ),
    )
    .unwrap()
    .value
    .id
}

async fn total(crm: &Crm, q: Query) -> u64 {
    crm.store()
        .query(&q.with_total())
        .await
        .unwrap()
        .total
        .unwrap()
}

fn count(crm: &Crm, q: Query) -> u64 {
    block_on(total(crm, q))
}

/// (blobs, pictures) stored, from inside an async block.
async fn stored(crm: &Crm) -> (u64, u64) {
    (
        total(crm, Query::all(&BLOB)).await,
        total(crm, Query::all(&PRODUCT_IMAGE)).await,
    )
}

fn blobs(crm: &Crm) -> u64 {
    count(crm, Query::all(&BLOB))
}

fn images_stored(crm: &Crm) -> u64 {
    count(crm, Query::all(&PRODUCT_IMAGE))
}

async fn images(co: &Company, product_id: Uuid) -> Vec<ProductImage> {
    co.crm.product_images(co.admin, product_id).await.unwrap()
}

fn list(co: &Company, product_id: Uuid) -> Vec<ProductImage> {
    block_on(images(co, product_id))
}

/// Exactly one primary picture when there are any, listed first, the rest by position.
fn assert_one_primary_first(images: &[ProductImage]) {
    if images.is_empty() {
        return;
    }
    assert_eq!(images.iter().filter(|i| i.is_primary).count(), 1);
    assert!(images[0].is_primary);
    assert!(images[1..]
        .windows(2)
        .all(|w| w[0].position <= w[1].position));
}

#[test]
fn identical_bytes_are_stored_once_for_every_product_that_shows_them() {
    let co = Company::new();
    let (cup, lid) = (product(&co, "CUP-1"), product(&co, "LID-1"));
    let picture = png("the same picture");
    block_on(async {
        let a = co
            .crm
            .add_product_image(co.admin, cup, "cup.png", picture.clone())
            .await
            .unwrap();
        let b = co
            .crm
            .add_product_image(co.admin, lid, "lid.png", picture.clone())
            .await
            .unwrap();
        assert_eq!(a.blob_id, b.blob_id);
        assert_eq!(a.sha256, sha256_hex(&picture));
        assert_eq!(
            (a.size, a.media_type.as_str()),
            (picture.len() as i64, "image/png")
        );
        for image in [&a, &b] {
            let got = co
                .crm
                .product_image_bytes(co.admin, image.id)
                .await
                .unwrap();
            assert_eq!(got.bytes, picture);
            assert_eq!(got.media_type, "image/png");
            assert_eq!(got.sha256, a.sha256);
        }
        // Another picture is another blob.
        co.crm
            .add_product_image(co.admin, lid, "lid-2.jpg", jpeg("other"))
            .await
            .unwrap();
    });
    assert_eq!(blobs(&co.crm), 2);
    assert_eq!(images_stored(&co.crm), 3);
}

#[test]
fn the_media_type_comes_from_the_bytes_not_the_file_name() {
    let co = Company::new();
    let p = product(&co, "CUP-2");
    block_on(async {
        let named_jpg = co
            .crm
            .add_product_image(co.admin, p, "actually-a-png.jpg", png("x"))
            .await
            .unwrap();
        assert_eq!(named_jpg.media_type, "image/png");
        assert_eq!(named_jpg.file_name, "actually-a-png.jpg");
        for (bytes, want) in [
            (jpeg("j"), "image/jpeg"),
            (gif("g"), "image/gif"),
            (webp("w"), "image/webp"),
        ] {
            let i = co
                .crm
                .add_product_image(co.admin, p, "picture", bytes)
                .await
                .unwrap();
            assert_eq!(i.media_type, want);
        }
    });
    assert_eq!((blobs(&co.crm), images_stored(&co.crm)), (4, 4));

    let refused = [
        (b"just some text, not a picture".to_vec(), "notes.png", None),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            "quote.png",
            Some("application/pdf"),
        ),
        (
            b"PK\x03\x04\x14\0\0\0".to_vec(),
            "photo.jpg",
            Some("application/zip"),
        ),
        (Vec::new(), "empty.gif", None),
    ];
    for (bytes, name, found_want) in refused {
        match block_on(co.crm.add_product_image(co.admin, p, name, bytes)) {
            Err(Error::UnsupportedMediaType { found, accepted }) => {
                assert_eq!(found.as_deref(), found_want, "{name}");
                assert!(accepted.contains(&"image/webp"));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert_eq!((blobs(&co.crm), images_stored(&co.crm)), (4, 4));
}

#[test]
fn a_picture_over_the_size_limit_is_refused_and_writes_nothing() {
    let co = Company::new();
    let p = product(&co, "CUP-3");
    let audit_before = count(&co.crm, Query::all(&AUDIT_ENTRY));
    // The default limit: 5 MiB.
    let mut big = png("");
    big.resize(5 * 1024 * 1024 + 1, 0);
    match block_on(
        co.crm
            .add_product_image(co.admin, p, "big.png", big.clone()),
    ) {
        Err(Error::TooLarge { size, limit, .. }) => {
            assert_eq!((size, limit), (5 * 1024 * 1024 + 1, 5 * 1024 * 1024));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((blobs(&co.crm), images_stored(&co.crm)), (0, 0));
    assert_eq!(count(&co.crm, Query::all(&AUDIT_ENTRY)), audit_before);
    big.truncate(5 * 1024 * 1024);
    block_on(co.crm.add_product_image(co.admin, p, "just-fits.png", big)).unwrap();
    assert_eq!((blobs(&co.crm), images_stored(&co.crm)), (1, 1));

    // A limit of the company's own.
    let admin = co.admin;
    let crm = co.crm.with_image_policy(ImagePolicy { max_bytes: 1000 });
    let mut b = jpeg("");
    b.resize(1001, 7);
    assert!(matches!(
        block_on(crm.add_product_image(admin, p, "a.jpg", b.clone())),
        Err(Error::TooLarge {
            size: 1001,
            limit: 1000,
            ..
        })
    ));
    b.truncate(1000);
    block_on(crm.add_product_image(admin, p, "a.jpg", b)).unwrap();
    assert_eq!((blobs(&crm), images_stored(&crm)), (2, 2));
}

#[test]
fn a_product_always_has_exactly_one_primary_picture() {
    let co = Company::new();
    let p = product(&co, "CUP-4");
    block_on(async {
        let add = |name: &'static str| co.crm.add_product_image(co.admin, p, name, png(name));
        let first = add("1.png").await.unwrap();
        assert!(first.is_primary);
        let second = add("2.png").await.unwrap();
        let third = add("3.png").await.unwrap();
        assert!(!second.is_primary && !third.is_primary);
        assert_eq!(
            images(&co, p)
                .await
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>(),
            [first.id, second.id, third.id]
        );

        let chosen = co
            .crm
            .set_primary_product_image(co.admin, third.id)
            .await
            .unwrap();
        assert!(chosen.is_primary);
        let now = images(&co, p).await;
        assert_one_primary_first(&now);
        assert_eq!(
            now.iter().map(|i| i.id).collect::<Vec<_>>(),
            [third.id, first.id, second.id]
        );
        // Choosing the primary again changes nothing.
        co.crm
            .set_primary_product_image(co.admin, third.id)
            .await
            .unwrap();
        assert_eq!(images(&co, p).await, now);

        // Removing the primary promotes the next by position.
        co.crm
            .remove_product_image(co.admin, third.id)
            .await
            .unwrap();
        let now = images(&co, p).await;
        assert_one_primary_first(&now);
        assert_eq!(now[0].id, first.id);
        co.crm
            .remove_product_image(co.admin, second.id)
            .await
            .unwrap();
        let now = images(&co, p).await;
        assert_eq!(now.len(), 1);
        assert_one_primary_first(&now);
        co.crm
            .remove_product_image(co.admin, first.id)
            .await
            .unwrap();
        assert!(images(&co, p).await.is_empty());
        // A product that lost all its pictures gets a primary again with the next one.
        assert!(add("4.png").await.unwrap().is_primary);
        assert!(matches!(
            co.crm.remove_product_image(co.admin, first.id).await,
            Err(Error::NotFound { .. })
        ));
    });
}

#[test]
fn removal_frees_a_blob_nothing_shows_any_more_and_keeps_a_shared_one() {
    let co = Company::new();
    let (a, b) = (product(&co, "CUP-5"), product(&co, "CUP-6"));
    let shared = png("shared");
    let own = gif("own");
    block_on(async {
        let a_shared = co
            .crm
            .add_product_image(co.admin, a, "s.png", shared.clone())
            .await
            .unwrap();
        let a_own = co
            .crm
            .add_product_image(co.admin, a, "o.gif", own.clone())
            .await
            .unwrap();
        let b_shared = co
            .crm
            .add_product_image(co.admin, b, "s.png", shared.clone())
            .await
            .unwrap();
        assert_eq!(stored(&co.crm).await.0, 2);

        co.crm
            .remove_product_image(co.admin, a_shared.id)
            .await
            .unwrap();
        assert_eq!(
            stored(&co.crm).await.0,
            2,
            "b still shows the shared picture"
        );
        let still = co
            .crm
            .product_image_bytes(co.admin, b_shared.id)
            .await
            .unwrap();
        assert_eq!(still.bytes, shared);

        co.crm
            .remove_product_image(co.admin, a_own.id)
            .await
            .unwrap();
        assert_eq!(
            stored(&co.crm).await.0,
            1,
            "nothing shows a's own picture any more"
        );
        let gone = Query::filter(&BLOB, Filter::Eq("sha256", Value::Text(sha256_hex(&own))));
        assert_eq!(total(&co.crm, gone).await, 0);

        // Uploading freed bytes again stores them again.
        co.crm
            .add_product_image(co.admin, a, "o.gif", own.clone())
            .await
            .unwrap();
        assert_eq!(stored(&co.crm).await.0, 2);

        // Deleting a product takes its pictures along, and the bytes no other product shows.
        assert_eq!(
            co.crm.delete_product(co.admin, a, 1).await.unwrap(),
            DeleteOutcome::Deleted
        );
        assert_eq!(stored(&co.crm).await, (1, 1));
        assert_eq!(
            co.crm.delete_product(co.admin, b, 1).await.unwrap(),
            DeleteOutcome::Deleted
        );
        assert_eq!(stored(&co.crm).await, (0, 0));
    });
}

#[test]
fn the_same_picture_twice_on_one_product_is_refused_naming_the_first() {
    let co = Company::new();
    let p = product(&co, "CUP-7");
    block_on(async {
        let first = co
            .crm
            .add_product_image(co.admin, p, "a.png", png("a"))
            .await
            .unwrap();
        match co
            .crm
            .add_product_image(co.admin, p, "copy.png", png("a"))
            .await
        {
            Err(Error::Duplicate {
                rule: "product_image_bytes",
                existing: Some(e),
                ..
            }) => assert!(e.contains(&first.id.to_string())),
            other => panic!("{other:?}"),
        }
    });
    assert_eq!((blobs(&co.crm), images_stored(&co.crm)), (1, 1));
}

#[test]
fn bad_file_names_and_missing_records_are_refused() {
    let co = Company::new();
    let p = product(&co, "CUP-8");
    block_on(async {
        let i = co
            .crm
            .add_product_image(co.admin, p, "C:\\fakepath\\杯子.png", png("n"))
            .await
            .unwrap();
        assert_eq!(i.file_name, "杯子.png");
        for name in ["", "  ", "folder/", "a\u{7}.png"] {
            match co.crm.add_product_image(co.admin, p, name, png(name)).await {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "file_name"),
                other => panic!("{name:?}: {other:?}"),
            }
        }
        let missing = Uuid::now_v7();
        assert!(matches!(
            co.crm
                .add_product_image(co.admin, missing, "a.png", png("m"))
                .await,
            Err(Error::NotFound {
                kind: "product",
                ..
            })
        ));
        assert!(matches!(
            co.crm.product_images(co.admin, missing).await,
            Err(Error::NotFound {
                kind: "product",
                ..
            })
        ));
        for r in [
            co.crm
                .product_image_bytes(co.admin, missing)
                .await
                .map(|_| ()),
            co.crm
                .set_primary_product_image(co.admin, missing)
                .await
                .map(|_| ()),
            co.crm.remove_product_image(co.admin, missing).await,
        ] {
            assert!(matches!(
                r,
                Err(Error::NotFound {
                    kind: "product_image",
                    ..
                })
            ));
        }
    });
    assert_eq!((blobs(&co.crm), images_stored(&co.crm)), (1, 1));
}

#[test]
fn image_changes_are_audited_on_the_product() {
    let co = Company::new();
    let p = product(&co, "CUP-9");
    block_on(async {
        let i = co
            .crm
            .add_product_image(co.admin, p, "a.png", png("a"))
            .await
            .unwrap();
        let j = co
            .crm
            .add_product_image(co.admin, p, "b.png", png("b"))
            .await
            .unwrap();
        co.crm
            .set_primary_product_image(co.admin, j.id)
            .await
            .unwrap();
        co.crm.remove_product_image(co.admin, i.id).await.unwrap();
    });
    let q = Query::filter(&AUDIT_ENTRY, Filter::Eq("record_id", Value::Id(p)));
    let page = block_on(co.crm.store().query(&q)).unwrap();
    let actions: Vec<String> = page
        .records
        .iter()
        .map(|r| match r.get("action").unwrap() {
            Value::Text(t) => t.clone(),
            v => panic!("{v:?}"),
        })
        .collect();
    for want in [
        "product.add_image",
        "product.set_primary_image",
        "product.remove_image",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
}

/// Pictures follow the product permissions: `product.view` to see them, `product.edit` to change
/// them; nobody else may do either, and a refusal writes nothing.
#[test]
fn picture_operations_need_the_product_permissions() {
    let co = Company::new();
    let p = product(&co, "CUP-10");
    let image = block_on(co.crm.add_product_image(co.admin, p, "a.png", png("a"))).unwrap();
    let viewer: Actor = block_on(async {
        let role = co
            .crm
            .create_role(
                co.admin,
                "商品查看",
                [Permission::new(Resource::Product, Op::View)],
                false,
            )
            .await
            .unwrap();
        let org = co.crm.org().await.unwrap();
        let mut e = org.employee(co.peer.employee_id()).unwrap().clone();
        e.role_ids = [role.id].into();
        co.crm.update_employee(co.admin, e).await.unwrap();
        co.peer
    });
    let none = co.owner; // the common role grants no product permission
    let allowed = |r: Result<(), Error>| match r {
        Ok(()) => true,
        Err(Error::PermissionDenied(_)) => false,
        Err(e) => panic!("{e}"),
    };
    block_on(async {
        for who in [viewer, none] {
            let may_view = who == viewer;
            assert_eq!(
                allowed(co.crm.product_images(who, p).await.map(|_| ())),
                may_view
            );
            assert_eq!(
                allowed(co.crm.product_image_bytes(who, image.id).await.map(|_| ())),
                may_view
            );
            assert!(!allowed(
                co.crm
                    .add_product_image(who, p, "b.png", png("b"))
                    .await
                    .map(|_| ())
            ));
            assert!(!allowed(
                co.crm
                    .set_primary_product_image(who, image.id)
                    .await
                    .map(|_| ())
            ));
            assert!(!allowed(co.crm.remove_product_image(who, image.id).await));
        }
    });
    assert_eq!((blobs(&co.crm), images_stored(&co.crm)), (1, 1));
    assert!(list(&co, p)[0].is_primary);
}
