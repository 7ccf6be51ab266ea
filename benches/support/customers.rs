//! The customer data set and company the customer benchmarks share (`adapters`, `customers`):
//! generated rows, their CSV, the company they are imported into, and the import.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Cursor;
use std::sync::Arc;

use crm::core::org::{Actor, Op, Permission, Resource};
use crm::core::service::{ImportMode, ImportOptions, NewEmployee};
use crm::core::store::Store;
use crm::core::table::{TableReader, TextEncoding};
use crm::Crm;

/// Salespeople of the company; rows are owned round-robin by `s0`…`s9`.
pub const SALESPEOPLE: usize = 10;
const PROVINCES: [(&str, &str); 8] = [
    ("浙江", "杭州"),
    ("江苏", "苏州"),
    ("广东", "深圳"),
    ("北京", "北京"),
    ("上海", "上海"),
    ("山东", "青岛"),
    ("四川", "成都"),
    ("湖北", "武汉"),
];
const TRADES: [&str; 8] = [
    "科技", "贸易", "电子", "机械", "化工", "物流", "食品", "建材",
];
const LEVELS: [&str; 4] = ["A类", "B类", "C类", "D类"];

/// Row `i` of the generated data set.
pub struct Row {
    pub name: String,
    pub level: &'static str,
    pub province: &'static str,
    pub city: &'static str,
    pub owner: usize,
    pub tag: &'static str,
    pub contacts: [(String, String); 2],
}

pub fn row(i: usize) -> Row {
    let (province, city) = PROVINCES[i % PROVINCES.len()];
    let trade = TRADES[(i / 7) % TRADES.len()];
    Row {
        name: format!("{city}第{i}号{trade}有限公司"),
        level: LEVELS[(i / 3) % LEVELS.len()],
        province,
        city,
        owner: i % SALESPEOPLE,
        tag: if i.is_multiple_of(5) {
            "重点客户"
        } else {
            ""
        },
        contacts: [
            (format!("联系人{i}甲"), format!("13{i:09}")),
            (format!("联系人{i}乙"), format!("15{i:09}")),
        ],
    }
}

/// A CSV of the distinct customers `start..start + n`, owned round-robin by `s0`…`s9`.
pub fn csv(start: usize, n: usize) -> Vec<u8> {
    let mut s =
        String::from("客户名称,客户等级,省份,城市,负责人工号,标签,联系人,手机,联系人2,手机2\n");
    for i in start..start + n {
        let r = row(i);
        let [(c1, m1), (c2, m2)] = &r.contacts;
        let _ = writeln!(
            s,
            "{},{},{},{},s{},{},{c1},{m1},{c2},{m2}",
            r.name, r.level, r.province, r.city, r.owner, r.tag
        );
    }
    s.into_bytes()
}

/// A company to import into: an administrator, a sales role with the customer rights, a
/// manager `mgr` and the salespeople `s0`… under them.
pub struct Setup {
    pub crm: Crm,
    pub manager: Actor,
    pub salespeople: Vec<Actor>,
}

/// Sets the company up on `store`.
pub async fn company(store: Arc<dyn Store>) -> Setup {
    let crm = Crm::new(store);
    let admin = crm
        .bootstrap("基准测试有限公司", "admin", "管理员")
        .await
        .expect("bootstrap");
    let dept = crm
        .org()
        .await
        .expect("org")
        .employee(admin.employee_id())
        .expect("admin")
        .department_id;
    let all: Vec<Permission> = [Op::View, Op::Create, Op::Edit, Op::Import, Op::Assign]
        .into_iter()
        .map(|o| Permission::new(Resource::Customer, o))
        .collect();
    let role = crm
        .create_role(admin, "销售", all, false)
        .await
        .expect("role");
    let hire = |code: String, mgr| {
        NewEmployee::builder()
            .code(code.clone())
            .name(code)
            .department_id(dept)
            .manager_id(mgr)
            .role_ids(BTreeSet::from([role.id]))
            .build()
    };
    let m = crm
        .create_employee(admin, hire("mgr".into(), None))
        .await
        .expect("manager");
    let mut salespeople = Vec::new();
    for i in 0..SALESPEOPLE {
        let e = crm
            .create_employee(admin, hire(format!("s{i}"), Some(m.id)))
            .await
            .expect("hire");
        salespeople.push(Actor::new(e.id));
    }
    Setup {
        crm,
        manager: Actor::new(m.id),
        salespeople,
    }
}

/// Imports `data` (a CSV from [`csv`]) as the manager, all or nothing, `batch_size` customers per
/// commit; the number of customers created (every row must be).
pub async fn import(s: &Setup, data: &Arc<[u8]>, batch_size: usize) -> u64 {
    let options = ImportOptions {
        mode: ImportMode::AllOrNothing,
        batch_size,
        ..Default::default()
    };
    let report = s
        .crm
        .import_customers(
            s.manager,
            || TableReader::csv(Cursor::new(data.clone()), TextEncoding::Utf8),
            &options,
            |_| {},
        )
        .await
        .expect("import");
    assert_eq!(
        report.invalid + report.duplicates,
        0,
        "{:?}",
        report.problems.first()
    );
    report.created
}
