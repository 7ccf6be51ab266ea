//! Batch import from CSV (UTF-8 with or without BOM, GBK) and export with formula neutralisation.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::io::Cursor;

use common::{block_on, Company};
use crm_core::customer::{CustomerSearch, CONTACT, CUSTOMER};
use crm_core::service::{
    DuplicateOf, ImportMode, ImportOptions, ImportPhase, ImportReport, RowOutcome,
};
use crm_core::store::{Entity, Query};
use crm_core::table::{TableReader, TextEncoding};
use crm_core::Error;

const HEADER: &str = "客户名称,客户等级,省份,城市,统一社会信用代码,负责人工号,标签,联系人,职务,手机,邮箱,联系人2,手机2\n";

fn sample() -> String {
    let mut s = String::from(HEADER);
    s.push_str("杭州恒通电子有限公司,A类,浙江,杭州,91350100M000100Y43,zhangsan,重点客户、长期合作,陈明,采购经理,13800138000,chenming@hengtong.com,王芳,13900139000\n");
    s.push_str("苏州瑞丰机械有限公司,B类,江苏,苏州,,lisi,,刘伟,总经理,13700137000,,,\n");
    // Same company as line 2, written with another legal form and full-width brackets.
    s.push_str("杭州恒通电子（股份有限公司）,A类,浙江,杭州,,zhangsan,,赵强,,13600136000,,,\n");
    // Bad mobile.
    s.push_str("南京金鼎化工有限公司,C类,江苏,南京,,zhangsan,,孙丽,,1380013800,,,\n");
    // Unknown owner.
    s.push_str("成都鸿远物流有限公司,C类,四川,成都,,nobody,,周杰,,13500135000,,,\n");
    // Too many cells.
    s.push_str("厦门海天食品有限公司,C类,福建,厦门,,zhangsan,,吴磊,,13300133000,,,,extra\n");
    s
}

fn import(co: &Company, bytes: &[u8], options: &ImportOptions) -> Result<ImportReport, Error> {
    let mut calls = 0;
    let r = block_on(co.crm.import_customers(
        co.manager,
        || TableReader::csv(Cursor::new(bytes.to_vec()), TextEncoding::Auto),
        options,
        |_| calls += 1,
    ));
    if r.is_ok() {
        assert!(calls >= 1, "progress was never reported");
    }
    r
}

fn customers(co: &Company) -> u64 {
    block_on(co.crm.store().query(&Query::all(&CUSTOMER).with_total()))
        .unwrap()
        .total
        .unwrap()
}

#[test]
fn a_dry_run_reports_every_problem_row_and_writes_nothing() {
    let co = Company::new();
    let opts = ImportOptions {
        dry_run: true,
        ..Default::default()
    };
    let report = import(&co, sample().as_bytes(), &opts).unwrap();
    assert_eq!(report.rows, 6);
    assert_eq!(report.created, 2);
    assert_eq!(report.duplicates, 1);
    assert_eq!(report.invalid, 3);
    assert!(!report.written);
    let by_line = |l: u64| report.problems.iter().find(|p| p.line == l).unwrap();
    assert_eq!(
        by_line(4).outcome,
        RowOutcome::Duplicate(DuplicateOf::EarlierRow { line: 2 })
    );
    assert!(
        matches!(&by_line(5).outcome, RowOutcome::Invalid { field, .. } if field == "contacts[0].mobile"),
        "{:?}",
        by_line(5)
    );
    assert!(
        matches!(&by_line(6).outcome, RowOutcome::Invalid { field, .. } if field == "owner"),
        "{:?}",
        by_line(6)
    );
    assert!(
        matches!(&by_line(7).outcome, RowOutcome::Invalid { reason, .. } if reason.contains("cells")),
        "{:?}",
        by_line(7)
    );
    assert_eq!(customers(&co), 0);
}

#[test]
fn all_or_nothing_writes_nothing_when_a_row_is_bad() {
    let co = Company::new();
    let report = import(&co, sample().as_bytes(), &ImportOptions::default()).unwrap();
    assert!(!report.written);
    assert_eq!(report.created, 0);
    assert_eq!(customers(&co), 0);
    let contacts = block_on(co.crm.store().query(&Query::all(&CONTACT).with_total()))
        .unwrap()
        .total;
    assert_eq!(contacts, Some(0));
}

#[test]
fn skip_invalid_imports_the_good_rows_with_their_contacts_and_owners() {
    let co = Company::new();
    let opts = ImportOptions {
        mode: ImportMode::SkipInvalid,
        batch_size: 1,
        ..Default::default()
    };
    let report = import(&co, sample().as_bytes(), &opts).unwrap();
    assert!(report.written);
    assert_eq!(report.created, 2);
    assert_eq!(customers(&co), 2);
    block_on(async {
        let page = co
            .crm
            .search_customers(co.owner, &CustomerSearch::default())
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "张三 owns one imported customer");
        let c = &page.items[0];
        assert_eq!(c.name, "杭州恒通电子有限公司");
        assert!(c.tags.contains("重点客户") && c.tags.contains("长期合作"));
        let contacts = co.crm.contacts(co.owner, c.id).await.unwrap();
        assert_eq!(contacts.len(), 2);
        assert_eq!(contacts[0].value.name, "陈明");
        assert!(contacts[0].value.primary);
        let log = co.crm.customer_audit(co.owner, c.id).await.unwrap();
        assert_eq!(log[0].action, "customer.import");
    });
    // Importing the same file again finds every good row in the store.
    let again = import(
        &co,
        sample().as_bytes(),
        &ImportOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(again.created, 0);
    assert!(again.problems.iter().any(|p| matches!(&p.outcome, RowOutcome::Duplicate(DuplicateOf::Stored { name, .. }) if name == "杭州恒通电子有限公司")));
}

#[test]
fn a_gbk_file_imports_like_a_utf8_one() {
    let co = Company::new();
    let text = format!("{HEADER}宁波华信贸易有限公司,B类,浙江,宁波,,lisi,,钱进,,13800001111,,,\n");
    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    let report = import(&co, &gbk, &ImportOptions::default()).unwrap();
    assert_eq!(report.created, 1, "{report:?}");
    let page = block_on(co.crm.search_customers(co.peer, &CustomerSearch::default())).unwrap();
    assert_eq!(page.items[0].name, "宁波华信贸易有限公司");
}

#[test]
fn a_file_in_an_unexpected_encoding_is_refused_and_writes_nothing() {
    let co = Company::new();
    // UTF-16 little endian, as some tools save "Unicode text".
    let mut bytes = vec![0xFF, 0xFE];
    for u in sample().encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    let r = import(&co, &bytes, &ImportOptions::default());
    assert!(
        matches!(r, Err(Error::Invalid { ref field, .. }) if field == "file"),
        "{r:?}"
    );
    assert_eq!(customers(&co), 0);
}

#[test]
fn a_file_without_a_name_column_is_refused() {
    let co = Company::new();
    let r = import(
        &co,
        "省份,城市\n浙江,杭州\n".as_bytes(),
        &ImportOptions::default(),
    );
    assert!(matches!(r, Err(Error::Invalid { .. })), "{r:?}");
}

#[test]
fn export_writes_visible_customers_only_with_formulas_neutralised() {
    let co = Company::new();
    let mut text = String::from(HEADER);
    text.push_str(
        "\"=HYPERLINK(\"\"http://x\"\")公司\",B类,浙江,杭州,,zhangsan,,@陈明,,13800138000,,,\n",
    );
    text.push_str("广州南方电子有限公司,B类,广东,广州,,lisi,,-刘伟,,13700137000,,,\n");
    let report = import(&co, text.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(report.created, 2, "{report:?}");
    let mut out = Vec::new();
    let n = block_on(
        co.crm
            .export_customers_csv(co.owner, &CustomerSearch::default(), &mut out),
    )
    .unwrap();
    assert_eq!(n, 1, "张三 sees only his own");
    let s = String::from_utf8(out).unwrap();
    assert!(s.starts_with('\u{feff}'));
    assert!(s.contains("'=HYPERLINK"), "{s}");
    assert!(s.contains("'@陈明"), "{s}");
    assert!(!s.contains("广州南方电子"));
    // The manager's export round-trips: re-importing it finds only duplicates.
    let mut out = Vec::new();
    block_on(
        co.crm
            .export_customers_csv(co.manager, &CustomerSearch::default(), &mut out),
    )
    .unwrap();
    let again = import(
        &co,
        &out,
        &ImportOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((again.rows, again.duplicates), (2, 2), "{again:?}");
}

#[test]
fn an_xlsx_workbook_imports_like_a_csv_file() {
    let co = Company::new();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "客户名称",
        "省份",
        "负责人工号",
        "信用额度",
        "联系人",
        "手机",
    ]
    .iter()
    .enumerate()
    {
        sheet.write(0, c as u16, *h).unwrap();
    }
    sheet.write(1, 0, "青岛海润食品有限公司").unwrap();
    sheet.write(1, 1, "山东").unwrap();
    sheet.write(1, 2, "zhangsan").unwrap();
    sheet.write(1, 3, 50000).unwrap();
    sheet.write(1, 4, "马丽").unwrap();
    sheet.write(1, 5, "13912345678").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let workbook = crm_core::table::XlsxWorkbook::open(Cursor::new(bytes)).unwrap();
    let source = crm_core::table::XlsxSource::new(workbook, None);
    let report =
        block_on(
            co.crm
                .import_customers(co.manager, source, &ImportOptions::default(), |_| {}),
        )
        .unwrap();
    assert_eq!(report.created, 1, "{report:?}");
    let page = block_on(
        co.crm
            .search_customers(co.owner, &CustomerSearch::default()),
    )
    .unwrap();
    assert_eq!(page.items[0].credit_limit, Some("50000".parse().unwrap()));
    assert!(page.items[0].search_contacts.contains("13912345678"));
}

/// Four valid rows, each of its own company, owned by 张三.
fn four_rows() -> String {
    let mut s = String::from(HEADER);
    for (i, name) in ["甲", "乙", "丙", "丁"].iter().enumerate() {
        s.push_str(&format!(
            "{name}方贸易有限公司,A类,浙江,杭州,,zhangsan,,联系人{i},,1380013800{i},,,\n"
        ));
    }
    s
}

/// Imports `bytes` one row per batch, running `between` (on a thread of its own, as another
/// user of the library would) once the first batch is written.
fn import_changing_org_after_first_batch(
    co: &Company,
    bytes: &[u8],
    between: impl Fn() + Sync,
) -> Result<ImportReport, Error> {
    let opts = ImportOptions {
        batch_size: 1,
        ..Default::default()
    };
    let mut changed = false;
    block_on(co.crm.import_customers(
        co.manager,
        || TableReader::csv(Cursor::new(bytes.to_vec()), TextEncoding::Auto),
        &opts,
        |p| {
            if p.phase == ImportPhase::Writing && !changed {
                changed = true;
                std::thread::scope(|t| {
                    t.spawn(&between);
                });
            }
        },
    ))
}

#[test]
fn an_organisation_change_during_the_import_leaves_every_row_written_once() {
    let co = Company::new();
    let before = customers(&co);
    let report = import_changing_org_after_first_batch(&co, four_rows().as_bytes(), || {
        block_on(co.crm.create_department(co.admin, "华东大区", None)).unwrap();
    })
    .unwrap();
    assert_eq!(report.created, 4);
    assert_eq!(customers(&co), before + 4);
    let names: std::collections::BTreeSet<String> =
        block_on(co.crm.store().query(&Query::all(&CUSTOMER)))
            .unwrap()
            .records
            .iter()
            .map(|r| crm_core::customer::Customer::from_record(r).unwrap().name)
            .filter(|n| n.ends_with("方贸易有限公司"))
            .collect();
    assert_eq!(names.len(), 4, "{names:?}");
}

#[test]
fn an_actor_losing_the_right_to_import_mid_import_writes_no_further_batch() {
    let co = Company::new();
    let before = customers(&co);
    let r = import_changing_org_after_first_batch(&co, four_rows().as_bytes(), || {
        co.set_roles(co.manager, std::collections::BTreeSet::new());
    });
    assert!(matches!(r, Err(Error::PermissionDenied(_))), "{r:?}");
    assert_eq!(
        customers(&co),
        before + 1,
        "only the batch before the change"
    );
}

#[test]
fn rows_keep_the_owner_they_were_checked_with_when_the_owner_leaves_mid_import() {
    // Rows are judged once, against the organisation as the import began; a later change
    // re-judges no row (an import never stops half-way over a row problem), only whether the
    // actor may still import.
    let co = Company::new();
    let before = customers(&co);
    let report = import_changing_org_after_first_batch(&co, four_rows().as_bytes(), || {
        block_on(async {
            let org = co.crm.org().await.unwrap();
            let mut e = org.employee(co.owner.employee_id()).unwrap().clone();
            e.active = false;
            co.crm.update_employee(co.admin, e).await.unwrap();
        });
    })
    .unwrap();
    assert_eq!(report.created, 4);
    assert_eq!(customers(&co), before + 4);
}

#[test]
fn a_bad_contact_cell_is_named_by_the_contacts_place_in_the_row() {
    let co = Company::new();
    let mut csv = String::from("客户名称,联系人,手机,生日,联系人2,手机2,生日2,邮箱2\n");
    csv.push_str("宁波海联贸易有限公司,陈明,13800138000,1985-03-02,王芳,13900139000,1990-13-40,\n");
    csv.push_str("温州瑞安五金有限公司,刘伟,13700137000,,赵强,13600136000,,not-an-email\n");
    // The first contact's columns empty: the second columns' contact is the row's first.
    csv.push_str("台州黄岩模具有限公司,,,,王芳,13900139000,1990-13-40,\n");
    csv.push_str("金华义乌小商品有限公司,,,,赵强,13600136000,,not-an-email\n");
    let opts = ImportOptions {
        dry_run: true,
        ..Default::default()
    };
    let report = import(&co, csv.as_bytes(), &opts).unwrap();
    assert_eq!((report.rows, report.invalid), (4, 4), "{report:?}");
    let field_of = |line: u64| match &report
        .problems
        .iter()
        .find(|p| p.line == line)
        .unwrap()
        .outcome
    {
        RowOutcome::Invalid { field, .. } => field.clone(),
        other => panic!("line {line}: {other:?}"),
    };
    assert_eq!(field_of(2), "contacts[1].birthday");
    assert_eq!(field_of(3), "contacts[1].email");
    assert_eq!(field_of(4), "contacts[0].birthday");
    assert_eq!(field_of(5), "contacts[0].email");
}
