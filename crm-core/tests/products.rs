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

mod import {
    use super::*;
    use crm_core::service::{ImportMode, ProductImportOptions, RowOutcome};
    use crm_core::table::{TableReader, TextEncoding};
    use std::io::Cursor;

    const FILE: &str = "\
商品编码,商品名称,规格型号,单位,销售单价,是否含税,税率,采购单价,安全库存
A-100,螺丝刀,十字 6mm,把,12.50,否,13%,8.00,20
A-101,螺丝刀,一字 6mm,把,12.50,否,0.13,,
B-200,电钻,500W,台,\"1,299.00\",是,13,,5
A-100,螺丝刀,十字6MM,把,13.00,否,13%,,
C-300,手套,,双,abc,否,13%,,
D-400,工具箱,,个,88,也许,13%,,
";

    fn source(text: &'static str) -> impl FnMut() -> crm_core::Result<TableReader<'static>> {
        move || TableReader::csv(Cursor::new(text.as_bytes().to_vec()), TextEncoding::Auto)
    }

    fn options(mode: ImportMode, dry_run: bool) -> ProductImportOptions {
        ProductImportOptions {
            mode,
            dry_run,
            ..ProductImportOptions::default()
        }
    }

    #[test]
    fn a_product_file_is_checked_whole_and_all_or_nothing_writes_nothing_on_a_bad_row() {
        let co = Company::new();
        let r = block_on(co.crm.import_products(
            co.admin,
            source(FILE),
            &options(ImportMode::AllOrNothing, false),
            |_| {},
        ))
        .unwrap();
        assert_eq!((r.rows, r.duplicates, r.invalid), (6, 1, 2));
        assert!(!r.written);
        assert_eq!(products_stored(&co), 0);
        let lines: Vec<(u64, String)> = r
            .problems
            .iter()
            .map(|p| {
                (
                    p.line,
                    match &p.outcome {
                        RowOutcome::Invalid { field, .. } => field.clone(),
                        RowOutcome::Duplicate(d) => d.to_string(),
                        RowOutcome::Created { .. } => "created".into(),
                    },
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                (5, "line 2 of this file".to_owned()),
                (6, "sale_price".to_owned()),
                (7, "price_includes_tax".to_owned())
            ]
        );
    }

    #[test]
    fn skip_invalid_imports_the_good_rows_and_a_dry_run_writes_nothing() {
        let co = Company::new();
        let run = |mode, dry| {
            block_on(
                co.crm
                    .import_products(co.admin, source(FILE), &options(mode, dry), |_| {}),
            )
            .unwrap()
        };
        let dry = run(ImportMode::SkipInvalid, true);
        assert_eq!((dry.created, dry.written), (3, false));
        assert_eq!(products_stored(&co), 0);
        let r = run(ImportMode::SkipInvalid, false);
        assert_eq!((r.created, r.written), (3, true));
        assert_eq!(products_stored(&co), 3);
        let drill = block_on(co.crm.search_products(
            co.admin,
            &ProductSearch::builder().text(Some("电钻".into())).build(),
        ))
        .unwrap();
        assert_eq!(drill.items[0].sale_price, d("1299.00"));
        assert!(drill.items[0].price_includes_tax);
        // Importing again: every good row now duplicates a stored product, named.
        let again = run(ImportMode::SkipInvalid, false);
        assert_eq!((again.created, again.duplicates), (0, 4));
        match &again.problems[0].outcome {
            RowOutcome::Duplicate(dup) => {
                assert!(dup.to_string().contains("A-100 螺丝刀 十字 6mm"), "{dup}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn importing_products_needs_the_import_permission() {
        let co = Company::new();
        let e = block_on(co.crm.import_products(
            co.owner,
            source(FILE),
            &ProductImportOptions::default(),
            |_| {},
        ))
        .unwrap_err();
        assert!(matches!(e, Error::PermissionDenied(_)));
    }
}
