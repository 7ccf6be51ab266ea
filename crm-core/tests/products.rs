//! Product catalogue rules (商品中心): duplicates on code + name + specification, checked input,
//! search, versions, and who may do what.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{block_on, Company};
use crm_core::org::{Op, Permission, Resource};
use crm_core::product::{ProductInput, ProductSearch, PRODUCT};
use crm_core::service::DeleteOutcome;
use crm_core::store::Query;
use crm_core::Error;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn screwdriver(code: &str, spec: &str) -> ProductInput {
    ProductInput::builder()
        .code(code.into())
        .name("螺丝刀".into())
        .spec(Some(spec.into()))
        .unit("把".into())
        .sale_price(d("12.50"))
        .tax_rate(d("0.13"))
        .build()
}

fn products_stored(co: &Company) -> u64 {
    block_on(co.crm.store().query(&Query::all(&PRODUCT).with_total()))
        .unwrap()
        .total
        .unwrap()
}

#[test]
fn the_same_code_name_and_specification_is_refused_naming_the_existing_product() {
    let co = Company::new();
    block_on(async {
        let first = co
            .crm
            .create_product(co.admin, screwdriver("A-100", "十字 6mm"))
            .await
            .unwrap();
        for (code, spec) in [("a100", "十字6MM"), ("Ａ－１００", "十字 6 mm")] {
            match co
                .crm
                .create_product(co.admin, screwdriver(code, spec))
                .await
            {
                Err(Error::Duplicate {
                    existing: Some(e), ..
                }) => assert!(e.contains(&first.value.id.to_string())),
                other => panic!("{code} {spec}: {other:?}"),
            }
        }
        // Another specification is another product.
        co.crm
            .create_product(co.admin, screwdriver("A-100", "一字 6mm"))
            .await
            .unwrap();
    });
    assert_eq!(products_stored(&co), 2);
}

#[test]
fn bad_product_input_is_refused_naming_the_field_and_writes_nothing() {
    let co = Company::new();
    let mut cases = Vec::new();
    let mut p = screwdriver("", "x");
    cases.push((p.clone(), "code"));
    p = screwdriver("B-1", "x");
    p.sale_price = d("-1");
    cases.push((p.clone(), "sale_price"));
    p = screwdriver("B-1", "x");
    p.tax_rate = d("13");
    cases.push((p.clone(), "tax_rate"));
    p = screwdriver("B-1", "x");
    p.unit = "".into();
    cases.push((p.clone(), "unit"));
    p = screwdriver("B-1", "x");
    p.sale_price = d("1.1234567");
    cases.push((p.clone(), "sale_price"));
    for (input, field) in cases {
        match block_on(co.crm.create_product(co.admin, input.clone())) {
            Err(Error::Invalid { field: f, .. }) => assert_eq!(f, field, "{input:?}"),
            other => panic!("{input:?}: {other:?}"),
        }
    }
    assert_eq!(products_stored(&co), 0);
}

#[test]
fn search_finds_products_by_code_name_or_specification_sorted_by_code() {
    let co = Company::new();
    block_on(async {
        co.crm
            .create_product(co.admin, screwdriver("B-2", "十字 6mm"))
            .await
            .unwrap();
        co.crm
            .create_product(co.admin, screwdriver("A-1", "一字 4mm"))
            .await
            .unwrap();
        let mut other = screwdriver("C-3", "M8");
        other.name = "六角螺母".into();
        other.category = Some("紧固件".into());
        let nut = co.crm.create_product(co.admin, other).await.unwrap();
        let page = co
            .crm
            .search_products(
                co.admin,
                &ProductSearch::builder().text(Some("螺丝".into())).build(),
            )
            .await
            .unwrap();
        assert_eq!(
            page.items
                .iter()
                .map(|p| p.code.as_str())
                .collect::<Vec<_>>(),
            ["A-1", "B-2"]
        );
        assert_eq!(page.total, 2);
        let page = co
            .crm
            .search_products(
                co.admin,
                &ProductSearch::builder().text(Some("m8".into())).build(),
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        // An inactive product drops out of searches unless asked for.
        let mut input = screwdriver("C-3", "M8");
        input.name = "六角螺母".into();
        input.category = Some("紧固件".into());
        input.active = false;
        co.crm
            .update_product(co.admin, nut.value.id, nut.version, input)
            .await
            .unwrap();
        let page = co
            .crm
            .search_products(
                co.admin,
                &ProductSearch::builder()
                    .categories(vec!["紧固件".into()])
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 0);
        let page = co
            .crm
            .search_products(
                co.admin,
                &ProductSearch::builder()
                    .categories(vec!["紧固件".into()])
                    .include_inactive(true)
                    .build(),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 1);
    });
}

#[test]
fn editing_a_product_at_a_stale_version_is_a_conflict_and_delete_removes_it() {
    let co = Company::new();
    block_on(async {
        let p = co
            .crm
            .create_product(co.admin, screwdriver("D-4", "x"))
            .await
            .unwrap();
        let mut input = screwdriver("D-4", "x");
        input.sale_price = d("13.00");
        let v2 = co
            .crm
            .update_product(co.admin, p.value.id, p.version, input.clone())
            .await
            .unwrap();
        assert_eq!(v2.value.sale_price, d("13.00"));
        let r = co
            .crm
            .update_product(co.admin, p.value.id, p.version, input)
            .await;
        assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
        assert_eq!(
            co.crm
                .delete_product(co.admin, p.value.id, v2.version)
                .await
                .unwrap(),
            DeleteOutcome::Deleted
        );
        assert!(matches!(
            co.crm.product(co.admin, p.value.id).await,
            Err(Error::NotFound { .. })
        ));
    });
}

/// Products are a company-wide catalogue: what matters is the permission, not a relation.
#[test]
fn product_operations_need_their_permission() {
    let co = Company::new();
    block_on(async {
        let viewer = co
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
        e.role_ids = [viewer.id].into();
        co.crm.update_employee(co.admin, e).await.unwrap();
        let p = co
            .crm
            .create_product(co.admin, screwdriver("E-5", "x"))
            .await
            .unwrap();
        // Rows: (operation, actor holding only product.view, actor holding no product permission).
        let viewer_a = co.peer;
        let none = co.owner; // the common role grants no product permission
        type Row = (&'static str, bool, bool);
        let mut rows: Vec<Row> = Vec::new();
        let denied = |r: Result<(), Error>| match r {
            Ok(()) => true,
            Err(Error::PermissionDenied(_)) => false,
            Err(e) => panic!("{e}"),
        };
        let read = |who| co.crm.product(who, p.value.id);
        rows.push((
            "read",
            denied(read(viewer_a).await.map(|_| ())),
            denied(read(none).await.map(|_| ())),
        ));
        let all = ProductSearch::default();
        let search = |who| co.crm.search_products(who, &all);
        rows.push((
            "search",
            denied(search(viewer_a).await.map(|_| ())),
            denied(search(none).await.map(|_| ())),
        ));
        let create = |who| co.crm.create_product(who, screwdriver("F-6", "x"));
        rows.push((
            "create",
            denied(create(viewer_a).await.map(|_| ())),
            denied(create(none).await.map(|_| ())),
        ));
        let edit = |who| {
            co.crm
                .update_product(who, p.value.id, p.version, screwdriver("E-5", "y"))
        };
        rows.push((
            "edit",
            denied(edit(viewer_a).await.map(|_| ())),
            denied(edit(none).await.map(|_| ())),
        ));
        let delete = |who| co.crm.delete_product(who, p.value.id, p.version);
        rows.push((
            "delete",
            denied(delete(viewer_a).await.map(|_| ())),
            denied(delete(none).await.map(|_| ())),
        ));
        let expected: Vec<Row> = vec![
            ("read", true, false),
            ("search", true, false),
            ("create", false, false),
            ("edit", false, false),
            ("delete", false, false),
        ];
        assert_eq!(rows, expected);
    });
}
