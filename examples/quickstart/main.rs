//! Quickstart: a small trading company on the crm library.
//!
//! Sets up an org chart (a sales manager and two salespeople), imports a shipped sample of about
//! a thousand customers with contacts (with a few deliberate duplicates and bad rows), shows
//! what each person may see, shares a customer, and transfers a leaver's customers.
//!
//! ```text
//! cargo run --example quickstart                       # sled, in ./data/quickstart (recreated)
//! cargo run --example quickstart -- sqlite:./data/q.db # or any engine, by URL, on an empty store
//! cargo run --example quickstart -- postgres://postgres@127.0.0.1:5432/crm_demo
//! ```

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use crm::core::customer::{CustomerSearch, CustomerSort, Grantee, ShareAccess};
use crm::core::org::{Actor, Op, Permission, Resource};
use crm::core::service::{ImportMode, ImportOptions, ImportReport, NewEmployee, RowOutcome};
use crm::core::settings::OptionCategory;
use crm::core::table::{TableReader, TextEncoding};
use crm::Crm;

fn sample_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/data/customers.csv")
}

fn perms(list: &[(Resource, Op)]) -> Vec<Permission> {
    list.iter().map(|&(r, o)| Permission::new(r, o)).collect()
}

fn print_report(title: &str, r: &ImportReport) {
    println!("{title}");
    println!(
        "  rows read {:>5} | created {:>5} | duplicates {:>3} | invalid {:>3} | with warnings {:>3}",
        r.rows, r.created, r.duplicates, r.invalid, r.warned
    );
    for p in r
        .problems
        .iter()
        .filter(|p| !matches!(p.outcome, RowOutcome::Created { .. }))
    {
        let what = match &p.outcome {
            RowOutcome::Duplicate(of) => format!("duplicate of {of}"),
            RowOutcome::Invalid { field, reason } => format!("invalid {field}: {reason}"),
            RowOutcome::Created { .. } => unreachable!(),
        };
        println!("  line {:>4}  {:<28} {what}", p.line, p.name);
    }
}

#[tokio::main]
async fn main() -> crm::Result<()> {
    // The embedded default is sled, in a data folder the example creates afresh; any other
    // engine can be named by URL (it must be empty: the example sets up a new company).
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let dir = PathBuf::from("data/quickstart");
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| crm::Error::invalid("data", e))?;
            }
            std::fs::create_dir_all(&dir).map_err(|e| crm::Error::invalid("data", e))?;
            format!("sled:{}", dir.join("sled").display())
        }
    };
    println!("== 存储 / store: {url}\n");
    let crm = Crm::new(crm::open(&url).await?);

    // 1. The company and its org chart.
    let admin = crm
        .bootstrap("杭州示例贸易有限公司", "admin", "系统管理员")
        .await?;
    let org = crm.org().await?;
    let root = org
        .employee(admin.employee_id())
        .expect("admin")
        .department_id;
    let sales = crm.create_department(admin, "销售部", Some(root)).await?;
    use Op::*;
    use Resource::*;
    let salesperson = crm
        .create_role(
            admin,
            "销售员",
            perms(&[
                (Customer, View),
                (Customer, Create),
                (Customer, Edit),
                (Customer, Share),
                (Contact, View),
                (Contact, Edit),
                (ContactLog, View),
                (ContactLog, Create),
            ]),
            false,
        )
        .await?;
    let manager_role = crm
        .create_role(
            admin,
            "销售经理",
            perms(&[
                (Customer, View),
                (Customer, Create),
                (Customer, Edit),
                (Customer, Delete),
                (Customer, Share),
                (Customer, Assign),
                (Customer, Transfer),
                (Customer, Import),
                (Customer, Export),
                (Contact, View),
                (Contact, Edit),
                (ContactLog, View),
                (ContactLog, Create),
                (Audit, View),
            ]),
            false,
        )
        .await?;
    let hire = |code: &str, name: &str, manager: Option<uuid::Uuid>, role: uuid::Uuid| {
        NewEmployee::builder()
            .code(code.into())
            .name(name.into())
            .department_id(sales.id)
            .manager_id(manager)
            .role_ids(BTreeSet::from([role]))
            .build()
    };
    let wang = crm
        .create_employee(admin, hire("wangjl", "王经理", None, manager_role.id))
        .await?;
    let zhang = crm
        .create_employee(
            admin,
            hire("zhangsan", "张三", Some(wang.id), salesperson.id),
        )
        .await?;
    let li = crm
        .create_employee(admin, hire("lisi", "李四", Some(wang.id), salesperson.id))
        .await?;
    let (wang_a, zhang_a, li_a) = (Actor::new(wang.id), Actor::new(zhang.id), Actor::new(li.id));
    for level in ["A类", "B类", "C类", "D类"] {
        crm.add_option(admin, OptionCategory::CustomerLevel, level)
            .await?;
    }
    println!("== 组织架构 / org chart");
    println!("  王经理 (销售经理)\n  ├── 张三 (销售员)\n  └── 李四 (销售员)\n");

    // 2. Import the sample: a dry run first, then for real, skipping the bad rows.
    let path = sample_file();
    let open = || {
        let file = File::open(&path)
            .map_err(|e| crm::Error::invalid("file", format!("{}: {e}", path.display())))?;
        TableReader::csv(BufReader::new(file), TextEncoding::Auto)
    };
    let dry = ImportOptions {
        dry_run: true,
        ..Default::default()
    };
    let report = crm.import_customers(wang_a, open, &dry, |_| {}).await?;
    print_report("== 导入预检 / import dry run (nothing written)", &report);
    let real = ImportOptions {
        mode: ImportMode::SkipInvalid,
        ..Default::default()
    };
    let mut last = 0;
    let report = crm
        .import_customers(wang_a, open, &real, |p| last = p.rows_done)
        .await?;
    println!(
        "\n== 导入 / import, skipping bad rows: {} customers created ({last} rows streamed)\n",
        report.created
    );

    // 3. Who sees what.
    println!("== 可见范围 / what each person sees");
    for (name, who) in [
        ("王经理", wang_a),
        ("张三", zhang_a),
        ("李四", li_a),
        ("系统管理员", admin),
    ] {
        let n = crm.count_customers(who, &CustomerSearch::default()).await?;
        println!("  {name:<6} sees {n:>4} customers");
    }
    let search = CustomerSearch::builder()
        .name_contains(Some("科技".into()))
        .provinces(vec!["浙江".into()])
        .levels(vec!["A类".into(), "B类".into()])
        .sort(CustomerSort::NameAsc)
        .limit(5)
        .build();
    for (name, who) in [("张三", zhang_a), ("李四", li_a)] {
        let page = crm.search_customers(who, &search).await?;
        println!(
            "\n  {name}: 浙江, 名称含“科技”, A/B类 → {} found, first {}:",
            page.total,
            page.items.len()
        );
        for c in &page.items {
            println!(
                "    {} [{}] {}",
                c.name,
                c.level.as_deref().unwrap_or("-"),
                c.city.as_deref().unwrap_or("")
            );
        }
    }

    // 4. Sharing: 张三 shares one customer with 李四, read-only.
    let first = crm
        .search_customers(zhang_a, &CustomerSearch::builder().limit(1).build())
        .await?;
    if let Some(c) = first.items.first() {
        crm.share_customers(
            zhang_a,
            &[c.id],
            Grantee::Employee(li.id),
            ShareAccess::Read,
        )
        .await?;
        println!("\n== 共享 / share: 张三 shares “{}” with 李四", c.name);
        println!(
            "  李四 can read it: {}",
            crm.customer(li_a, c.id).await.is_ok()
        );
        println!(
            "  李四 now sees {} customers",
            crm.count_customers(li_a, &CustomerSearch::default())
                .await?
        );
    }

    // 5. 张三 leaves: his manager transfers all his customers to 李四.
    let moved = crm.transfer_customers(wang_a, zhang.id, li.id).await?;
    println!("\n== 移交 / transfer: 张三 leaves, {moved} customers move to 李四");
    for (name, who) in [("张三", zhang_a), ("李四", li_a)] {
        println!(
            "  {name:<4} sees {:>4} customers",
            crm.count_customers(who, &CustomerSearch::default()).await?
        );
    }
    let log = crm.audit_by_employee(wang_a, wang.id).await?;
    println!(
        "  audit log: {} entries by 王经理, the last: {}",
        log.len(),
        log.last().map_or("-", |e| e.action.as_str())
    );
    Ok(())
}
