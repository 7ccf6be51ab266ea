//! The customer scenario every adapter must run with identical results.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod engines;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use crm::core::customer::{
    Channel, ContactLogInput, CustomerSearch, CustomerSort, Grantee, ShareAccess,
};
use crm::core::org::{Actor, Op, Permission, Resource};
use crm::core::service::{ImportMode, ImportOptions, NewEmployee};
use crm::core::sources::{ManualClock, SequentialIds};
use crm::core::store::Store;
use crm::core::table::{TableReader, TextEncoding};
use crm::Crm;

/// What the scenario observed; two adapters must produce equal summaries.
#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    pub dry_run: (u64, u64, u64, u64),
    pub imported: u64,
    pub visible: Vec<(String, u64)>,
    pub search_names: Vec<String>,
    pub search_total: u64,
    pub after_share: u64,
    pub transferred: usize,
    pub after_transfer: Vec<(String, u64)>,
    pub archived: bool,
    pub audit_entries: usize,
    pub export_lines: usize,
    pub products: Vec<(String, rust_decimal::Decimal)>,
}

fn sample() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/data/customers.csv")
}

pub async fn run(store: Arc<dyn Store>) -> Summary {
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
    ));
    let crm = Crm::new(store)
        .with_clock(clock.clone())
        .with_ids(Arc::new(SequentialIds::new()));
    let admin = crm
        .bootstrap("场景测试贸易有限公司", "admin", "管理员")
        .await
        .unwrap();
    let root = crm
        .org()
        .await
        .unwrap()
        .employee(admin.employee_id())
        .unwrap()
        .department_id;
    let perms: Vec<Permission> = [
        (Resource::Customer, Op::View),
        (Resource::Customer, Op::Create),
        (Resource::Customer, Op::Edit),
        (Resource::Customer, Op::Delete),
        (Resource::Customer, Op::Share),
        (Resource::Customer, Op::Assign),
        (Resource::Customer, Op::Transfer),
        (Resource::Customer, Op::Import),
        (Resource::Customer, Op::Export),
        (Resource::Contact, Op::View),
        (Resource::ContactLog, Op::Create),
        (Resource::ContactLog, Op::View),
        (Resource::Audit, Op::View),
        (Resource::Product, Op::View),
        (Resource::Product, Op::Create),
    ]
    .into_iter()
    .map(|(r, o)| Permission::new(r, o))
    .collect();
    let role = crm.create_role(admin, "销售", perms, false).await.unwrap();
    let hire = |code: &str, mgr: Option<uuid::Uuid>| {
        NewEmployee::builder()
            .code(code.into())
            .name(code.into())
            .department_id(root)
            .manager_id(mgr)
            .role_ids(BTreeSet::from([role.id]))
            .build()
    };
    let wang = crm
        .create_employee(admin, hire("wangjl", None))
        .await
        .unwrap();
    let zhang = crm
        .create_employee(admin, hire("zhangsan", Some(wang.id)))
        .await
        .unwrap();
    let li = crm
        .create_employee(admin, hire("lisi", Some(wang.id)))
        .await
        .unwrap();
    let (w, z, l) = (Actor::new(wang.id), Actor::new(zhang.id), Actor::new(li.id));

    let open = || {
        TableReader::csv(
            std::fs::File::open(sample()).expect("sample"),
            TextEncoding::Auto,
        )
    };
    let dry = crm
        .import_customers(
            w,
            open,
            &ImportOptions {
                dry_run: true,
                ..Default::default()
            },
            |_| {},
        )
        .await
        .unwrap();
    let options = ImportOptions {
        mode: ImportMode::SkipInvalid,
        batch_size: 200,
        ..Default::default()
    };
    let report = crm
        .import_customers(w, open, &options, |_| {})
        .await
        .unwrap();

    let mut visible = Vec::new();
    for (name, who) in [("wangjl", w), ("zhangsan", z), ("lisi", l)] {
        visible.push((
            name.to_owned(),
            crm.count_customers(who, &CustomerSearch::default())
                .await
                .unwrap(),
        ));
    }
    let search = CustomerSearch::builder()
        .name_contains(Some("科技".into()))
        .levels(vec!["A类".into(), "B类".into()])
        .sort(CustomerSort::NameAsc)
        .offset(2)
        .limit(10)
        .build();
    let page = crm.search_customers(z, &search).await.unwrap();

    let mine = crm
        .search_customers(
            z,
            &CustomerSearch::builder()
                .sort(CustomerSort::NameAsc)
                .limit(3)
                .build(),
        )
        .await
        .unwrap();
    let ids: Vec<_> = mine.items.iter().map(|c| c.id).collect();
    crm.share_customers(z, &ids, Grantee::Employee(li.id), ShareAccess::Read)
        .await
        .unwrap();
    let after_share = crm
        .count_customers(l, &CustomerSearch::default())
        .await
        .unwrap();

    // A contact record keeps a customer: deleting it archives it.
    clock.advance(chrono::Duration::hours(1));
    crm.log_contact(
        z,
        ids[0],
        ContactLogInput::builder()
            .channel(Channel::Visit)
            .summary("拜访".into())
            .build(),
    )
    .await
    .unwrap();
    let c = crm.customer(z, ids[0]).await.unwrap();
    let archived = crm.delete_customer(z, ids[0], c.version).await.unwrap()
        == crm::core::service::DeleteOutcome::Archived;

    let transferred = crm.transfer_customers(w, zhang.id, li.id).await.unwrap();
    let mut after_transfer = Vec::new();
    for (name, who) in [("zhangsan", z), ("lisi", l)] {
        after_transfer.push((
            name.to_owned(),
            crm.count_customers(who, &CustomerSearch::default())
                .await
                .unwrap(),
        ));
    }
    let audit_entries = crm
        .audit_by_employee(w, w.employee_id())
        .await
        .unwrap()
        .len();
    let mut out = Vec::new();
    crm.export_customers_csv(l, &CustomerSearch::default(), &mut out)
        .await
        .unwrap();
    for (code, name, price) in [
        ("P-002", "不锈钢螺丝 M6", "0.35"),
        ("P-001", "工业胶带 48mm", "12.50"),
        ("P-003", "螺丝刀套装", "88.00"),
    ] {
        let input = crm::core::product::ProductInput::builder()
            .code(code.into())
            .name(name.into())
            .unit("个".into())
            .sale_price(price.parse().unwrap())
            .tax_rate("0.13".parse().unwrap())
            .build();
        crm.create_product(z, input).await.unwrap();
    }
    let products = crm
        .search_products(
            l,
            &crm::core::product::ProductSearch::builder()
                .text(Some("螺丝".into()))
                .build(),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| (p.code, p.sale_price))
        .collect();
    Summary {
        products,
        dry_run: (dry.rows, dry.created, dry.duplicates, dry.invalid),
        imported: report.created,
        visible,
        search_names: page.items.iter().map(|c| c.name.clone()).collect(),
        search_total: page.total,
        after_share,
        transferred,
        after_transfer,
        archived,
        audit_entries,
        export_lines: String::from_utf8(out).unwrap().lines().count(),
    }
}
